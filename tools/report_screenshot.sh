#!/usr/bin/env bash
# Builds a demonstration ledger through the planledger command line, exports
# it as the HTML report and has headless Chromium photograph it, writing
# ledger/report-screenshot.png (the picture README shows).
#
# The plan is modelled on the West Oxfordshire 'Alice' review, with a story of
# updates from October 2019 to December 2021 on a simulated clock (every
# transaction records that its clock was overridden). Once the shipped-plan
# importer lands, swap the hand-built plan below for `planledger import
# ledger/plans/…` and keep the story.
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
# REPORT_LEDGER=DIR keeps the demonstration ledger (DIR must not exist yet).
ledger="${REPORT_LEDGER:-$work/ledger}"

# pl WHEN ACTOR ARGS...: one planledger call at a simulated instant.
pl() {
    local when="$1" actor="$2"
    shift 2
    PLANLEDGER_CLOCK="$when" PLANLEDGER_ACTOR="$actor" "$bin" --ledger "$ledger" "$@" >/dev/null
}
evidence() { printf '%s\n' "$2" >"$work/$1"; echo "$work/$1"; }

CSP="Sam Okafor (assurance lead, West Oxfordshire CSP)"
TVP="DS Claire Hunt (Thames Valley Police)"
OH="Dr Ruth Mensah (Oxford Health NHS FT)"
CCG="Jo Barnes (Named GP for safeguarding, OCCG)"
WODC="Mark Ellis (WODC Housing)"
A2D="Priya Shah (A2Dominion)"

t0=2019-10-21T09:00:00Z
pl $t0 "$CSP" init
pl $t0 "$CSP" plan add --partnership "West Oxfordshire Community Safety Partnership" --review "Alice" \
    --chair "Deborah Jeremiah" --published 2019-10
pl $t0 "$CSP" rec add --number 1 "The CSP to reinforce with MARAC chairs and coordinators that offences coming to light at MARAC are recorded on Niche."
pl $t0 "$CSP" rec add --number 2 "The CSP to seek assurance that MARAC coordinators send a MARAC to MARAC referral for all high-risk cases when a victim moves out of the TVP area."
pl $t0 "$CSP" rec add --number 3 "All agencies would benefit from a learning event on the links between domestic abuse and mental health."
pl $t0 "$CSP" rec add --number 4 "All health agencies would benefit from training in the national toolkit for health professionals on domestic abuse."
pl $t0 "$CSP" rec add --number 5 "Primary care to use the principles developed in the IRIS project."
pl $t0 "$CSP" rec add --number 6 "Agencies other than the police to use and assess risk with the DASH risk assessment."
pl $t0 "$CSP" rec add --number 7 "Oxford Health to review discharge planning where patients are homeless, vulnerable and present with multiple risks."
pl $t0 "$CSP" rec add --number 8 --scope National "The Department of Health and Social Care to support timely transfer of patient information when a patient changes GP practice."
pl $t0 "$CSP" rec add --number 9 "The CSP to support agencies to consider models of working with perpetrators."

add() { pl $t0 "$CSP" action add "$@"; }
add --agency "Thames Valley Police" --lead "TVP MARAC co-ordinators" --rec 1 --target 2019-07 --scope Local \
    "Update Niche for MARAC referrals from other agencies, with the reason for referral and the agreed risk level."
add --agency "Thames Valley Police" --lead "TVP MARAC co-ordinators" --rec 2 --target 2020-03 --scope Regional \
    "Send a MARAC to MARAC referral for every high-risk case when the victim moves out of the TVP area, and audit compliance quarterly."
add --agency "Oxford Health NHS FT" --lead "Head of Safeguarding" --rec 3 --target 2021-09 --scope Local \
    "Hold a multi-agency learning event on domestic abuse and mental health, including the MARAC group."
add --agency "Oxford Health NHS FT" --lead "Safeguarding Adults Lead" --rec 4 --target 2020-12 --scope Local \
    "Train all adult mental health staff in the national domestic abuse toolkit for health professionals."
add --agency "Oxford Health NHS FT" --lead "Head of Mental Health Services" --rec 7 --target 2020-06 --scope Local \
    "Review discharge planning for patients who are homeless, vulnerable and present with multiple risks."
add --agency "Oxfordshire CCG (Primary Care)" --lead "Named GP for safeguarding, OCCG" --rec 5 --target 2022-06 --scope Local \
    "Commission IRIS training and advocacy for GP practices in West Oxfordshire."
add --agency "Oxfordshire CCG (Primary Care)" --lead "Designated Nurse, OCCG" --rec 8 --target 2020-04 --scope "Local and regional" \
    "Create local guidance for coding domestic abuse disclosures based on the RCGP guidance and disseminate through safeguarding leads."
add --agency "West Oxfordshire DC Housing" --lead "Housing Manager" --rec 6 --target Ongoing --scope "Local and regional" \
    "Domestic abuse training for all customer-facing housing staff, repeated annually for new starters."
add --agency "West Oxfordshire DC Housing" --lead "Housing Manager and ODAS" --rec 6 --target 2019-09-30 --scope Local \
    "Agree a domestic abuse protocol with ODAS that includes an 'opt in' clause."
add --agency "A2Dominion" --lead "Head of Tenancy Services" --rec 6 --target 2022-03 --scope Local \
    "Introduce the DASH risk checklist for housing officers, with referral routes to MARAC."
add --agency "A2Dominion" --lead "Head of Tenancy Services" --rec 6 --target 2020-12 --scope Local \
    "Flag tenancies with a known domestic abuse risk so that repairs and visits are arranged safely."
add --agency "Department of Health and Social Care" --lead "via Home Office DHR team" --rec 8 --target 2020-12 --scope National \
    "Improve the transfer of patient records when a patient moves to a new GP practice."
add --agency "West Oxfordshire CSP" --lead "CSP Manager" --rec 9 --target 2021-03 --scope Local \
    "Evaluate the police perpetrator pilot and agree a partnership approach to perpetrator programmes."
add --agency "Oxford Health NHS FT" --lead "Dual Diagnosis Lead" --rec 3 --target 2022-09 --scope Local \
    "Develop a dual diagnosis pathway that recognises low mood, depression and anxiety alongside addiction."

# The story.
pl 2019-11-04T10:15:00Z "$TVP" claim A1 --effective 2019-06-05 --outcome "Process updated at the MARAC co-ordinators' meeting; agreed by co-ordinators and chairs." \
    --evidence "$(evidence marac-minutes-2019-06-05.pdf 'minutes')"
pl 2019-11-20T14:00:00Z "$WODC" claim A9 --effective 2019-09-30 --outcome "Protocol agreed with ODAS, including the opt-in clause." \
    --evidence "$(evidence odas-protocol-v1.docx 'protocol')"
pl 2019-12-02T09:30:00Z "$TVP" status A2 in-progress --reason "Raised with all MARAC co-ordinators in TVP"
pl 2020-01-15T11:00:00Z "$CSP" accept A1 --finding "Dip sample of ten referrals on Niche: all show the reason and agreed risk level."
pl 2020-01-15T11:05:00Z "$CSP" accept A9 --finding "Signed protocol seen."
pl 2020-02-10T16:20:00Z "$WODC" status A8 embedded --reason "Training booked annually; new starters trained within three months"
pl 2020-03-03T10:00:00Z "$CCG" status A7 in-progress --reason "Draft guidance written"
pl 2020-03-20T09:00:00Z "$OH" status A5 in-progress --reason "Discharge audit started"
pl 2020-05-12T13:40:00Z "$CCG" note A7 "Guidance presented at the regional safeguarding network."
pl 2020-06-30T10:00:00Z "$OH" retarget A5 2021-09 --reason "Paused for the Covid-19 response"
pl 2020-07-01T09:00:00Z "$CCG" status A7 embedded --reason "Coding guidance in use by all practices; refreshed with RCGP updates"
pl 2020-09-14T15:10:00Z "$TVP" note A2 "Quarterly audit template agreed with MARAC chairs." --effective 2020-09-10
pl 2020-11-02T10:00:00Z "$OH" status A4 in-progress --reason "E-learning module commissioned"
pl 2021-01-18T12:00:00Z "$CSP" withdraw A12 --reason "A national recommendation: referred to the Home Office DHR team; not a local workstream"
pl 2021-02-22T09:45:00Z "$A2D" status A10 in-progress --reason "Pilot in the Witney area"
pl 2021-03-01T10:30:00Z "$A2D" note A10 "Twelve housing officers trained in the DASH checklist."
pl 2021-03-29T11:00:00Z "$CSP" claim A13 --outcome "Evaluation report received; partnership approach agreed at the CSP board." \
    --evidence "$(evidence perpetrator-pilot-evaluation.pdf 'report')"
pl 2021-05-10T10:00:00Z "$CSP" accept A13 --finding "Board minutes of 24 March 2021 record the decision."
pl 2021-06-07T14:00:00Z "$OH" claim A4 --outcome "Training delivered to adult mental health teams." \
    --evidence "$(evidence toolkit-training-slides.pptx 'slides')"
pl 2021-07-19T10:00:00Z "$CSP" challenge A4 --finding "No attendance figures: which teams and how many staff were trained?"
pl 2021-08-02T09:00:00Z "$OH" note A14 "Scoping meeting with Turning Point and the community mental health teams."
pl 2021-10-04T16:30:00Z "$OH" claim A3 --effective 2021-09-23 --outcome "Learning event held on 23 September 2021: 64 attendees from 11 agencies." \
    --evidence "$(evidence learning-event-attendance.xlsx 'attendance')"
pl 2021-11-15T10:00:00Z "$OH" claim A5 --effective 2020-02 --outcome "Discharge policy revised in February 2020." \
    --evidence "$(evidence discharge-policy-2020.pdf 'policy')"
pl 2021-11-26T09:00:00Z "$TVP" note A2 "Audit: 9 of 11 cases moving out of area were referred MARAC to MARAC."

now=2021-12-01T10:00:00Z
PLANLEDGER_CLOCK=$now "$bin" --ledger "$ledger" export --format html -o "$work/report.html" >/dev/null

profile="$work/chromium-profile"
"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$profile" --window-size=1400,2000 \
    --screenshot="$work/report.png" "file://$work/report.html" 2>/dev/null
cp "$work/report.png" "$out_png"
echo "Wrote $out_png ($(wc -c <"$out_png") bytes)"
