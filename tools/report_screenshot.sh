#!/usr/bin/env bash
# Photographs the HTML report of the shipped plan, writing
# ledger/report-screenshot.png (the picture README shows).
#
# The ledger is the demo's: the West Oxfordshire 'Alice' plan imported from
# ledger/plans/, then a few months of assurance decisions and updates on a
# simulated clock (every transaction records that its clock was overridden).
# The head hash in the picture changes on every run: the ledger id is random.
#
# Needs: a Rust toolchain and Chromium (Debian: apt-get install -y chromium).
# Usage: tools/report_screenshot.sh [OUTPUT.png]   (run from anywhere)
set -euo pipefail
cd "$(dirname "$0")/.."

out_png="${1:-ledger/report-screenshot.png}"
chromium="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$chromium" ] || { echo "error: $chromium not found: install it with 'apt-get install -y chromium'" >&2; exit 1; }

cargo build --quiet --bin planledger
bin="${CARGO_TARGET_DIR:-target}/debug/planledger"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
ledger="$work/ledger"

"$bin" demo --keep "$ledger" >/dev/null
PLANLEDGER_CLOCK=2022-03-01T09:00:00Z "$bin" --ledger "$ledger" export --format html -o "$work/report.html" >/dev/null

"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$work/chromium-profile" --window-size=1400,2200 \
    --screenshot="$work/report.png" "file://$work/report.html" 2>/dev/null
cp "$work/report.png" "$out_png"
echo "Wrote $out_png ($(wc -c <"$out_png") bytes)"
