#!/usr/bin/env python3
"""Independent verifier for planledger event exports (JSON Lines, FORMAT.md §6).

Written from ledger/FORMAT.md and the golden export alone, without reading the
Rust source, to show the specification is sufficient. For every line it checks
the hash chain (§4), decodes the record bytes (§3, bincode legacy rules,
refusing trailing bytes), cross-checks the decoded record against the line's
JSON fields, and checks the envelope rules of §5 that an export can show.
An export carries no head, so events removed from the end cannot be detected.

    python3 tools/verify_export.py FILE.jsonl     (or - for stdin)
    python3 tools/verify_export.py --self-test GOLDEN.jsonl

Exit status: 0 intact, 3 not intact (or a self-test case failed), 2 usage error.
Needs Python 3.11 and the `blake3` package from PyPI.
"""
import json
import re
import sys
from datetime import datetime, timedelta, timezone

import blake3

CONTEXT = "planledger 2026 event v1"
ZERO_HASH = "0" * 64
MAX_RECORD = 65536
FORMAT_VERSION = 1
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")
# JSON spellings of enum variants: not given by FORMAT.md, taken from the golden file or guessed.
CLOCKS = ["system", "overridden", "held_at_head"]
PRECISIONS = ["day", "month", "year"]
STATUSES = ["open", "in-progress", "claimed", "assured", "challenged", "embedded", "withdrawn"]
# §3.3 Event variants in index order: "field:kind ..." (kinds are the keys of KINDS below).
EVENTS = [
    ("LedgerCreated", "ledger_id:hex16 format_version:u32"),
    ("PlanAdded", "plan:plan partnership:str review:str chair:opt_str published:opt_date"),
    ("RecommendationAdded", "plan:plan number:u32 text:str scope:opt_str"),
    ("ActionAdded", "action:action plan:plan agency:str lead:opt_str text:str scope:opt_str "
                    "recommendations:recs target:opt_target"),
    ("StatusChanged", "action:action from:status to:status reason:str"),
    ("MilestoneNoted", "action:action note:str"),
    ("CompletionClaimed", "action:action claim:u32 outcome:str evidence:evidence"),
    ("ClaimAccepted", "action:action claim:u32 finding:str"),
    ("ClaimChallenged", "action:action claim:u32 finding:str"),
    ("ActionWithdrawn", "action:action from:status reason:str"),
    ("TargetChanged", "action:action from:opt_target to:opt_target reason:str"),
    ("SourceImported", "name:str size:u64 blake3:hash32 format:str"),
    ("ImportWarning", "action:opt_action message:str"),
]


class Bad(Exception):
    """A record that does not decode per §3."""


def event_hash(prev: bytes, seq: int, record: bytes) -> bytes:
    data = prev + seq.to_bytes(8, "big") + len(record).to_bytes(4, "big") + record
    return blake3.blake3(data, derive_key_context=CONTEXT).digest()


class Reader:
    """bincode legacy: fixed-width little-endian ints, u64 lengths, u8 Option tags, u32 variants."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def left(self) -> int:
        return len(self.data) - self.pos

    def take(self, n: int, what: str) -> bytes:
        if n > self.left():
            raise Bad(f"truncated: {what} needs {n} bytes at offset {self.pos}, record has {self.left()} left")
        self.pos += n
        return self.data[self.pos - n:self.pos]

    def uint(self, n, what, signed=False):
        return int.from_bytes(self.take(n, what), "little", signed=signed)

    def string(self, what):
        raw = self.take(self.uint(8, what + " length"), what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise Bad(f"{what}: invalid UTF-8 ({e.reason} at byte {e.start} of the string)") from None

    def option(self, what, read):
        tag = self.uint(1, what + " Option tag")
        if tag > 1:
            raise Bad(f"{what}: bad Option tag {tag} at offset {self.pos - 1}")
        return read() if tag else None

    def vec(self, what, read, min_size):
        n = self.uint(8, what + " count")
        if n * min_size > self.left():
            raise Bad(f"{what}: count {n} is beyond the record ({self.left()} bytes left)")
        return [read() for _ in range(n)]

    def variant(self, what, names):
        i = self.uint(4, what + " variant index")
        if i >= len(names):
            raise Bad(f"unknown {what} variant index {i} at offset {self.pos - 4}")
        return names[i]


def read_date(r: Reader, what: str) -> tuple[str, str]:
    """FuzzyDate -> (ISO text at its precision, precision name)."""
    year, month, day = r.uint(4, what + ".year", True), r.uint(1, what + ".month"), r.uint(1, what + ".day")
    prec = r.variant(what + ".precision", PRECISIONS)
    if (prec != "day" and day != 1) or (prec == "year" and month != 1):
        raise Bad(f"{what}: fields below {prec} precision must be stored as 1 (month {month}, day {day})")
    text = f"{year:04d}" + (f"-{month:02d}" if prec != "year" else "") + (f"-{day:02d}" if prec == "day" else "")
    return text, prec


def read_target(r, what):
    text = r.string(what + ".text")
    date = r.option(what + ".date", lambda: read_date(r, what + ".date"))
    return {"text": text, "date": date and date[0], "precision": date and date[1]}


def read_evidence(r, what):
    return {"name": r.string(what + ".name"), "size": r.uint(8, what + ".size"),
            "blake3": r.take(32, what + ".blake3").hex()}


KINDS = {  # field kind -> reader returning the value as the export shows it
    "u32": lambda r, w: r.uint(4, w),
    "u64": lambda r, w: r.uint(8, w),
    "str": lambda r, w: r.string(w),
    "opt_str": lambda r, w: r.option(w, lambda: r.string(w)),
    "opt_date": lambda r, w: r.option(w, lambda: read_date(r, w)[0]),
    "plan": lambda r, w: f"P{r.uint(4, w)}",
    "action": lambda r, w: f"A{r.uint(4, w)}",
    "opt_action": lambda r, w: r.option(w, lambda: f"A{r.uint(4, w)}"),
    "recs": lambda r, w: r.vec(w, lambda: f"R{r.uint(4, w)}", 4),
    "status": lambda r, w: r.variant(w, STATUSES),
    "opt_target": lambda r, w: r.option(w, lambda: read_target(r, w)),
    "evidence": lambda r, w: r.vec(w, lambda: read_evidence(r, w), 48),
    "hash32": lambda r, w: r.take(32, w).hex(),
    "hex16": lambda r, w: r.take(16, w).hex(),
}


def decode_record(data: bytes) -> dict:
    """Decode a Record (§3.2) into the shape its export line should show (times in µs)."""
    r = Reader(data)
    rec = {"tx": r.uint(8, "tx"), "recorded_at": r.uint(8, "recorded_at", True)}
    rec["clock"] = {"kind": r.variant("ClockNote", CLOCKS)}
    if rec["clock"]["kind"] == "held_at_head":
        rec["clock"]["clock_read"] = r.uint(8, "clock_read", True)
    rec["actor"] = r.string("actor")
    rec["effective"] = r.option("effective", lambda: read_date(r, "effective")[0])
    rec["source"] = r.option("source", lambda: {"import_seq": r.uint(8, "source.import_seq"),
                                                "locator": r.string("source.locator")})
    name = r.variant("Event", [n for n, _ in EVENTS])
    rec["event"] = {"type": name}
    for field, kind in (f.split(":") for f in dict(EVENTS)[name].split()):
        rec["event"][field] = KINDS[kind](r, f"{name}.{field}")
    if r.left():
        raise Bad(f"{r.left()} trailing byte(s) after the record ends at offset {r.pos}")
    rec["recorded_at_micros"] = rec["recorded_at"]
    return rec


def rfc3339_micros(text):
    """RFC 3339 text -> µs since the epoch, or the value unchanged if it is not RFC 3339."""
    if not isinstance(text, str) or not RFC3339.fullmatch(text):
        return text
    try:
        return (datetime.fromisoformat(text.upper()) - EPOCH) // timedelta(microseconds=1)
    except (ValueError, OverflowError):
        return text


def dump(v):
    return json.dumps(v, sort_keys=True, ensure_ascii=False)


def diff(path, want, got, out):
    """Append a message for every place the JSON (got) disagrees with the record (want)."""
    if isinstance(want, dict) and isinstance(got, dict):
        for k in sorted(want.keys() | got.keys()):
            p = f"{path}.{k}" if path else k
            if k not in got:
                out.append(f"JSON lacks {p} (record has {dump(want[k])})")
            elif k not in want:
                out.append(f"JSON has {p}, which the record does not")
            else:
                diff(p, want[k], got[k], out)
    elif isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for i, (a, b) in enumerate(zip(want, got)):
            diff(f"{path}[{i}]", a, b, out)
    elif dump(want) != dump(got):  # dump() tells 1 from true and 1.0
        out.append(f"{path}: record says {dump(want)}, JSON says {dump(got)}")


def cross_check(rec: dict, line: dict) -> list[str]:
    """The line's decoded fields must show exactly what the record bytes hold."""
    shown = {k: line[k] for k in rec if k in line}
    if "recorded_at" in shown:
        shown["recorded_at"] = rfc3339_micros(shown["recorded_at"])
    if isinstance(shown.get("clock"), dict) and "clock_read" in shown["clock"]:
        shown["clock"] = dict(shown["clock"], clock_read=rfc3339_micros(shown["clock"]["clock_read"]))
    out = []
    diff("", rec, shown, out)
    # Fields the record does not hold are a reader's convenience (the export
    # only ever adds fields); the record bytes are the authority.
    return out


def check_envelope(seq: int, rec: dict, prev: dict | None) -> list[str]:
    """§5 step 5, as far as one event and the one before it in the export show it."""
    out, ev = [], rec["event"]
    if seq == 0 and ev["type"] != "LedgerCreated":
        out.append(f"event 0 is {ev['type']}, not LedgerCreated")
    elif seq == 0 and ev["format_version"] != FORMAT_VERSION:
        out.append(f"LedgerCreated names format version {ev['format_version']}, not {FORMAT_VERSION}")
    elif seq != 0 and ev["type"] == "LedgerCreated":
        out.append("LedgerCreated at a sequence number other than 0")
    if rec["actor"] == "":
        out.append("actor is empty")
    if prev is None:
        return out + ([f"genesis event is in tx {rec['tx']}, not tx 0"] if seq == 0 and rec["tx"] else [])
    if rec["recorded_at"] < prev["recorded_at"]:
        out.append(f"recorded_at {rec['recorded_at']} is before the previous event's {prev['recorded_at']}")
    if rec["tx"] == prev["tx"]:
        out += [f"{k} differs from the previous event of tx {rec['tx']}"
                for k in ("actor", "recorded_at", "clock") if rec[k] != prev[k]]
    elif rec["tx"] != prev["tx"] + 1:
        out.append(f"tx {rec['tx']} follows tx {prev['tx']} (must be the same or the next)")
    return out


def parse_line(raw: bytes) -> dict:
    def no_dupes(pairs):
        if len({k for k, _ in pairs}) != len(pairs):
            raise ValueError("duplicate key in an object")
        return dict(pairs)
    line = json.loads(raw, object_pairs_hook=no_dupes)
    if not isinstance(line, dict):
        raise ValueError("a JSON value that is not an object")
    return line


def hex_field(line, key, nbytes, add):
    v = line.get(key)
    if isinstance(v, str) and re.fullmatch(r"(?:[0-9a-f]{2})*", v) and nbytes in (None, len(v) // 2):
        return v
    add(f"{key} is not {f'{nbytes} bytes of ' if nbytes else ''}lowercase hex")
    return None


def check_seq(no, line, st, problems) -> int:
    """§6: seq counts up from 0. A gap at n is a problem at n."""
    seq, want = line.get("seq"), st["next"]
    if type(seq) is not int or not 0 <= seq < 2 ** 64:
        problems.append((want, f"line {no}: seq is not a u64"))
        seq = want
    elif seq > want:
        problems.append((want, f"gap: expected seq {want}, line {no} has seq {seq}"))
    elif seq < want:
        problems.append((seq, f"seq {seq} is out of order or repeated (line {no}, expected {want})"))
    st["next"] = max(want, seq + 1)
    return seq


def check_line(no: int, raw: bytes, st: dict, problems: list):
    try:
        line = parse_line(raw)
    except (ValueError, RecursionError) as e:
        problems.append((st["next"], f"line {no} is not a JSON object: {e}"))
        st.update(next=st["next"] + 1, prev_hash=None, prev_rec=None)
        return
    seq = check_seq(no, line, st, problems)
    add = lambda msg: problems.append((seq, msg))
    prev, hsh, record = (hex_field(line, k, n, add) for k, n in (("prev", 32), ("hash", 32), ("record", None)))
    want_prev = ZERO_HASH if seq == 0 else st["prev_hash"]
    if None not in (prev, want_prev) and prev != want_prev:
        add(f"prev {prev[:16]}… is not the previous event's hash {want_prev[:16]}…")
    if None not in (prev, hsh, record):
        actual = event_hash(bytes.fromhex(prev), seq, bytes.fromhex(record)).hex()
        if actual != hsh:
            add(f"hash mismatch: line says {hsh[:16]}…, recomputed {actual[:16]}…")
    rec = None
    if record is not None:
        if len(record) // 2 > MAX_RECORD:
            add(f"record is {len(record) // 2} bytes, over the {MAX_RECORD}-byte limit")
        try:
            rec = decode_record(bytes.fromhex(record))
        except Bad as e:
            add(f"record does not decode: {e}")
    if rec is not None:
        for msg in cross_check(rec, line) + check_envelope(seq, rec, st["prev_rec"]):
            add(msg)
    st.update(prev_hash=hsh, prev_rec=rec, head=(seq, hsh))


def verify(lines: list[bytes]):
    """Check an export; return (problems as (seq, message) sorted by seq, event count, (seq, hash) of last line)."""
    st, problems = {"next": 0, "prev_hash": ZERO_HASH, "prev_rec": None, "head": None}, []
    for no, raw in enumerate(lines, 1):
        check_line(no, raw, st, problems)
    if not lines:
        problems.append((0, "export is empty: no genesis event"))
    return sorted(problems, key=lambda p: p[0]), len(lines), st["head"]


def report(problems, count, head) -> int:
    if not problems:
        print(f"OK: {count} events, head {head[0]} {head[1]}")
        return 0
    print(f"FAILED at seq {problems[0][0]}: {problems[0][1]}")
    for seq, msg in problems:
        print(f"  seq {seq}: {msg}")
    return 3


# ---- self-test: tamper cases run in memory against a good export ----

def rehash_from(objs: list[dict], k: int) -> list[dict]:
    """Recompute prev/hash from line k on, so only the record decoder can object."""
    for i in range(k, len(objs)):
        objs[i]["prev"] = objs[i - 1]["hash"] if i else ZERO_HASH
        objs[i]["hash"] = event_hash(bytes.fromhex(objs[i]["prev"]), objs[i]["seq"],
                                     bytes.fromhex(objs[i]["record"])).hex()
    return objs


def flip(hex_text: str, i: int) -> str:
    return hex_text[:i] + ("1" if hex_text[i] == "0" else "0") + hex_text[i + 1:]


def set_bytes(rec: bytearray, at: int, value: bytes):
    rec[at:at + len(value)] = value


LINE_CASES = {  # change the parsed lines o at index k; the chain is not repaired
    "flip a record hex digit": lambda o, k: o[k].update(record=flip(o[k]["record"], len(o[k]["record"]) // 2)),
    "flip a hash hex digit": lambda o, k: o[k].update(hash=flip(o[k]["hash"], 10)),
    "delete a line": lambda o, k: o.pop(k),
    "swap two lines": lambda o, k: o.insert(k + 1, o.pop(k)),
    "truncated record, not re-hashed": lambda o, k: o[k].update(record=o[k]["record"][:-2]),
    "JSON actor differs from record": lambda o, k: o[k].update(actor=o[k]["actor"] + "!"),
}
RECORD_CASES = {  # change record bytes r (a = offset of the actor's length), then re-hash the chain
    "trailing 00, re-hashed": lambda r, a: r.append(0),
    "truncated record, re-hashed": lambda r, a: r.pop(),
    "unknown ClockNote index, re-hashed": lambda r, a: set_bytes(r, 16, b"\x09"),
    "bad Option tag (effective), re-hashed":
        lambda r, a: set_bytes(r, a + 8 + int.from_bytes(r[a:a + 8], "little"), b"\x02"),
    "invalid UTF-8 in actor, re-hashed": lambda r, a: set_bytes(r, a + 8, b"\xff"),
    "actor length beyond record, re-hashed": lambda r, a: set_bytes(r, a, (1 << 40).to_bytes(8, "little")),
}


def tamper(lines: list[bytes], k: int, case: str) -> list[bytes]:
    """Apply one tamper case to line k of the export."""
    objs = [json.loads(line) for line in lines]
    if case in LINE_CASES:
        LINE_CASES[case](objs, k)
    else:
        rec = bytearray.fromhex(objs[k]["record"])
        RECORD_CASES[case](rec, 28 if rec[16] == 2 else 20)  # a HeldAtHead clock has 8 more bytes
        objs[k]["record"] = rec.hex()
        rehash_from(objs, k)
    return [json.dumps(o, sort_keys=True).encode() for o in objs]


def self_test(lines: list[bytes]) -> int:
    vec0 = event_hash(bytes(32), 0, b"planledger")
    vec1 = event_hash(vec0, 1, b"")
    problems, count, head = verify(lines)
    results = [(vec0.hex().startswith("8c0d69317daa5148"), f"§4 test vector 0: {vec0.hex()}"),
               (vec1.hex().startswith("15ecddde3c8aaf41"), f"§4 test vector 1: {vec1.hex()}"),
               (not problems, f"untampered: {problems[0] if problems else f'{count} events, head {head[0]}'}")]
    k = len(lines) // 2
    for case in [*LINE_CASES, *RECORD_CASES]:
        try:
            problems = verify(tamper(lines, k, case))[0]
        except (ValueError, KeyError, TypeError, IndexError) as e:
            results.append((False, f"{case:39} -> cannot build this case from the file: {e!r}"))
            continue
        where = f"seq {problems[0][0]}: {problems[0][1]}" if problems else "NOT DETECTED"
        results.append((bool(problems) and problems[0][0] == k, f"{case:39} -> {where}"))
    for ok, text in results:
        print(f"{'ok ' if ok else 'BAD'}  {text}")
    failures = sum(not ok for ok, _ in results)
    print(f"self-test {'passed' if not failures else f'FAILED ({failures} of {len(results)})'}, tampering seq {k}")
    return 3 if failures else 0


def main(argv: list[str]) -> int:
    test = argv[:1] == ["--self-test"]
    if len(argv) != 1 + test or argv[-1].startswith("--"):
        print("usage: verify_export.py FILE.jsonl | -\n       verify_export.py --self-test GOLDEN.jsonl", file=sys.stderr)
        return 2
    try:
        data = sys.stdin.buffer.read() if argv[-1] == "-" else open(argv[-1], "rb").read()
    except OSError as e:
        print(f"cannot read {argv[-1]}: {e.strerror}", file=sys.stderr)
        return 2
    lines = data.split(b"\n")
    lines = lines[:-1] if lines[-1] == b"" else lines
    if test and len(lines) < 3:
        print("self-test needs an export of at least 3 events", file=sys.stderr)
        return 2
    return self_test(lines) if test else report(*verify(lines))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
