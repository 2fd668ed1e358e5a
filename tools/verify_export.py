#!/usr/bin/env python3
"""Independent verifier for planledger event exports and evidence packs.

Written from ledger/FORMAT.md and the golden files alone, without reading the
Rust source, to show that the specification is enough to verify a ledger.

    python3 tools/verify_export.py FILE.jsonl            an export (§6), format 1 or 2
    python3 tools/verify_export.py --no-signatures FILE.jsonl
                                                         the same, accepting that without the
                                                         `cryptography` package signatures go unchecked
    python3 tools/verify_export.py --pack FILE.jsonl     an evidence pack (§7)
    python3 tools/verify_export.py [--no-signatures] --self-test GOLDEN.jsonl
    (FILE may be - for standard input)

An export (`planledger export --format events`, §6). The format is told by
the genesis's format_version (§10); format 1 is checked as §10 describes it
(the chain over the record bytes, plain strings for texts), format 2 so:
  - the chain (§4): `digest` is the record's digest, `hash` follows from the
    previous line's hash, seq, the subject and the digest; seq counts from 0;
  - the sealed record decodes per §3 (commitments in place of Text fields,
    no trailing bytes, at most 65,536 bytes);
  - each stored text (§3.4): {"salt","words"} gives the slot's commitment;
    {"erased_by": n} names a Redacted event n that names this event and slot;
    and every slot a Redacted event names is erased by it;
  - the line's decoded fields show exactly what the record holds, with each
    text as its words or as `redacted on DATE by ACTOR: REASON`;
  - each subject is the one the table of §4 gives at that point of history;
  - §5 step 5 (genesis, actors, recorded_at, transactions) and that each
    `source` names an earlier SourceImported event;
  - §13, actors and signed requests, every rule of §13.5: each RequestSigned's
    request decodes (§13.2) and is not empty; its key is the request's and its
    ed25519 signature over the request digest verifies strictly (§13.3: with
    `cryptography`, plus this script's own checks of s and of small-order
    points); the request names this ledger, is carried out once, and saw a
    head (seq, hash) this chain holds before it; it begins its transaction (or
    follows the genesis in transaction 0); its signer is the record's actor
    and either adds themselves as the first admin with their own key or is the
    live actor whose current key it is; once there is an actor every
    transaction is signed; each later event of a signed transaction has the
    signer as actor and is what the next command drafts (§13.4: every field,
    those the state fills in too, from a fold of plans, actions, statuses,
    targets and claims), with its effective date and source; no command is
    left without its event; the events' text commitments are the request's,
    in order; the role table; and the rules of ActorAdded, KeyRotated and
    ActorRevoked (names, live actors, unused valid keys, the last admin).
    Without the `cryptography` package the signatures themselves are NOT
    checked: the script says so and exits 4, unless given --no-signatures.
An export carries no head and no txs tree: events removed from its end, the
txs records (§5 step 6) and the head (§5 step 7) cannot be checked; nor are
the rules of ledger/EVENTS.md replayed (status moves, claims, blank texts,
...), beyond what §13 needs.

A pack (`planledger export --format pack`, §7), the checks of §7.5: 1 the
form (canonical JSON, §7.1) and the header; 2 the chain over disclosed and
withheld events to head and as_of; 3 every disclosed record decoded with its
texts, the genesis; 4 the as-of event (the genesis or in scope, its time),
the disclosure rule both ways (nothing required withheld, nothing disclosed
that §7.4 does not require) and every disclosed subject per §4 by the
disclosed history. Of step 5 only the projection's head and as_of_day are
checked: its plans (the fold of the disclosed events) are NOT, as this
verifier does not refold; nor are the rules of EVENTS.md, nor §13's, replayed
over a whole-ledger pack (a plan or action pack withholds the RequestSigned
events anyway): check signatures on an export. A pack of version 3 (§7.6)
ends with a checkpoint of its head: it is checked as §12 gives (its form,
that it names the pack's ledger and head, its marks against the pack's
hashes, the head's recorded time where the pack discloses the head, and
every signature, strictly); --self-test checks the golden checkpoint too.
A pack cannot show its head is the ledger's latest: compare the head
printed with one recorded elsewhere.

Where FORMAT.md leaves a choice, this verifier reads it strictly: a Redacted
event must name at least one slot and an earlier event; an event naming an
action no earlier ActionAdded adds has no subject by §4 and is refused; an
action pack whose action's disclosed ActionAdded names another plan than
the scope is refused. LedgerUpgraded's JSON spelling is not given by §6 nor
the golden file: its ids and hash are taken as hex, the rest as integers.

--self-test mutates the golden export (and packs it builds from it) in
memory and checks that every mutation is caught, at the right sequence number;
for §13 it flips a signature, swaps keys, changes a signed text, drops and
replays requests, and (with the golden keys' seeds, §4) signs altered
requests again to reach the rules behind the signature. Without
`cryptography` those cases cannot run: it says so and exits 4, unless given
--no-signatures.

Exit status: 0 intact, 3 not intact (or a self-test case failed), 2 usage error,
4 intact as far as checked but signatures not checked (no `cryptography`).
Needs Python 3.11, the `blake3` package from PyPI, and for signatures the
`cryptography` package.
"""
import json
import re
import os
import sys
from datetime import datetime, timedelta, timezone

import blake3

try:  # §13.3's signatures; without it they are reported as not checked
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
except ImportError:
    InvalidSignature, Ed25519PrivateKey, Ed25519PublicKey = Exception, None, None

# ---- §4 the chain, §3.4 text commitments ------------------------------------

RECORD_CONTEXT = "planledger 2026 record v2"
EVENT_CONTEXT = "planledger 2026 event v2"
TEXT_CONTEXT = "planledger 2026 text v2"
V1_EVENT_CONTEXT = "planledger 2026 event v1"  # format 1 (its own FORMAT.md, §4)
ZERO_HASH = bytes(32)
MAX_RECORD = 65536  # §3.1: a sealed record, and the encoded texts of one event
KNOWN_FORMATS = (1, 2)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def derive(context: str, data: bytes) -> bytes:
    return blake3.blake3(data, derive_key_context=context).digest()


def record_digest(record: bytes) -> bytes:
    """§4 digest(n)."""
    return derive(RECORD_CONTEXT, record)


def event_hash(prev: bytes, seq: int, plan: int, action: int, digest: bytes) -> bytes:
    """§4 hash(n): the preimage is always 84 bytes."""
    return derive(EVENT_CONTEXT, prev + seq.to_bytes(8, "big") + plan.to_bytes(4, "big")
                  + action.to_bytes(4, "big") + digest)


def event_hash_v1(prev: bytes, seq: int, record: bytes) -> bytes:
    """Format 1's hash: prev ‖ seq u64 BE ‖ len(record) u32 BE ‖ record."""
    return derive(V1_EVENT_CONTEXT, prev + seq.to_bytes(8, "big") + len(record).to_bytes(4, "big") + record)


def text_commitment(salt: bytes, words: str) -> bytes:
    """§3.4: derive_key("planledger 2026 text v2", salt ‖ words as UTF-8)."""
    return derive(TEXT_CONTEXT, salt + words.encode("utf-8"))


# ---- §3 record bytes ---------------------------------------------------------

# JSON spellings of enum variants (§6 names the statuses; the clock kinds and
# precisions are its examples).
CLOCKS = ["system", "overridden", "held_at_head"]
PRECISIONS = ["day", "month", "year"]
STATUSES = ["open", "in-progress", "claimed", "assured", "challenged", "embedded", "withdrawn"]
# §3.3 Event variants in index order: "field:kind ..." (kinds are the keys of
# KINDS below; `text` and `opt_text` are §3.2's Text).
EVENTS = [
    ("LedgerCreated", "ledger_id:hex16 format_version:u32"),
    ("PlanAdded", "plan:plan partnership:str review:text chair:opt_text published:opt_date"),
    ("RecommendationAdded", "plan:plan number:u32 text:text scope:opt_text"),
    ("ActionAdded", "action:action plan:plan agency:str lead:opt_text text:text scope:opt_text "
                    "recommendations:recs target:opt_target"),
    ("StatusChanged", "action:action from:status to:status reason:text"),
    ("MilestoneNoted", "action:action note:text"),
    ("CompletionClaimed", "action:action claim:u32 outcome:text evidence:evidence"),
    ("ClaimAccepted", "action:action claim:u32 finding:text"),
    ("ClaimChallenged", "action:action claim:u32 finding:text"),
    ("ActionWithdrawn", "action:action from:status reason:text"),
    ("TargetChanged", "action:action from:opt_target to:opt_target reason:text"),
    ("SourceImported", "name:text size:u64 blake3:hash32 format:str"),
    ("ImportWarning", "action:opt_action message:text"),
    # Format 2 only:
    ("Redacted", "event:u64 slots:u32s reason:str"),
    ("LedgerUpgraded", "ledger_id:hex16 format_version:u32 from_ledger_id:hex16 "
                       "from_format_version:u32 from_head_hash:hash32 from_events:u64"),
    ("ActionLinked", "action:action recommendations:recs basis:basis note:opt_text"),
    ("ActionAmended", "action:action changes:amendments reason:text"),
    # §13.1 actors and signed requests:
    ("ActorAdded", "name:str roles:roles key:hash32"),
    ("KeyRotated", "name:str key:hash32"),
    ("ActorRevoked", "name:str reason:text"),
    ("RequestSigned", "key:hash32 request:bytes signature:sig64"),
]
VARIANTS = {1: 13, 2: 21}  # how many Event variants each format knows
GENESIS = ("LedgerCreated", "LedgerUpgraded")
# §4: subject 0, 0 (§13.1)
ACTOR_EVENTS = ("ActorAdded", "KeyRotated", "ActorRevoked", "RequestSigned")
# §4: subject from the action's ActionAdded
ACTION_EVENTS = [name for name, _ in EVENTS[4:11]] + ["ActionLinked", "ActionAmended"]
# §3.3 LinkBasis variants in index order, as §6 spells their kinds.
LINK_BASES = ["wording", "stated", "own"]
# §3.3 Amendment variants in index order: (§6's field name, its kind).
AMENDMENTS = [("text", "text"), ("lead", "opt_text"), ("agency", "str"), ("scope", "opt_text")]
# §3.3 Role variants in index order, as §6 writes them (Agency: "agency:NAME").
ROLES = ["admin", "assurance", "agency", "auditor"]
# §13.2 Command variants in index order, with the event each drafts (§13.4).
COMMANDS = [
    ("AddPlan", "partnership:str review:text chair:opt_text published:opt_date", "PlanAdded"),
    ("AddRecommendation", "plan:plan number:opt_u32 text:text scope:opt_text", "RecommendationAdded"),
    ("AddAction", "plan:plan agency:str lead:opt_text text:text scope:opt_text recommendations:recs "
                  "target:opt_target", "ActionAdded"),
    ("SetStatus", "action:action to:status reason:text", "StatusChanged"),
    ("NoteMilestone", "action:action note:text", "MilestoneNoted"),
    ("Claim", "action:action outcome:text evidence:evidence", "CompletionClaimed"),
    ("Accept", "action:action finding:text", "ClaimAccepted"),
    ("Challenge", "action:action finding:text", "ClaimChallenged"),
    ("Withdraw", "action:action reason:text", "ActionWithdrawn"),
    ("Retarget", "action:action target:opt_target reason:text", "TargetChanged"),
    ("RecordSource", "name:text size:u64 blake3:hash32 format:str", "SourceImported"),
    ("Warn", "action:opt_action message:text", "ImportWarning"),
    ("Link", "action:action recommendations:recs basis:basis note:opt_text", "ActionLinked"),
    ("Amend", "action:action text:opt_text lead:opt_opt_text agency:opt_str scope:opt_opt_text reason:text",
     "ActionAmended"),
    ("Redact", "event:u64 slots:u32s reason:str", "Redacted"),
    ("AddActor", "name:str roles:roles key:hash32", "ActorAdded"),
    ("RotateKey", "name:str key:hash32", "KeyRotated"),
    ("RevokeActor", "name:str reason:text", "ActorRevoked"),
]


class Bad(Exception):
    """A record that does not decode per §3."""


class Slot:
    """A Text field of a sealed record (§3.4): slot number, name, commitment, offset in the record."""

    def __init__(self, index: int, name: str, commitment: bytes, offset: int):
        self.index, self.name, self.commitment, self.offset = index, name, commitment, offset

    def __repr__(self):
        return f"<slot {self.index} {self.name}>"


class Reader:
    """bincode legacy (§3.1): fixed-width little-endian ints, u64 lengths, u8 Option tags, u32 variants."""

    def __init__(self, data: bytes, version: int):
        self.data, self.pos, self.version, self.slots = data, 0, version, []

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

    def text(self, what, name):
        """§3.2: a Text is a String in format 1, its 32-byte commitment (one slot) in format 2."""
        if self.version == 1:
            return self.string(what)
        slot = Slot(len(self.slots), name, None, self.pos)
        slot.commitment = self.take(32, what + " commitment")
        self.slots.append(slot)
        return slot

    def option(self, what, read):
        tag = self.uint(1, what + " Option tag")
        if tag > 1:
            raise Bad(f"{what}: bad Option tag {tag} at offset {self.pos - 1}")
        return read() if tag else None

    def vec(self, what, read, min_size):
        n = self.uint(8, what + " count")
        if n * min_size > self.left():
            raise Bad(f"{what}: count {n} is beyond the record ({self.left()} bytes left)")
        return [read(i) for i in range(n)]

    def variant(self, what, names):
        i = self.uint(4, what + " variant index")
        if i >= len(names):
            raise Bad(f"unknown {what} variant index {i} at offset {self.pos - 4}")
        return names[i]


def days_in_month(year: int, month: int) -> int:
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)  # proleptic Gregorian
    return [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]


def read_date(r: Reader, what: str) -> tuple[str, str]:
    """§3.2 FuzzyDate -> (ISO text at its precision, precision name)."""
    year, month, day = r.uint(4, what + ".year", True), r.uint(1, what + ".month"), r.uint(1, what + ".day")
    prec = r.variant(what + ".precision", PRECISIONS)
    if (prec != "day" and day != 1) or (prec == "year" and month != 1):
        raise Bad(f"{what}: fields below {prec} precision must be stored as 1 (month {month}, day {day})")
    if not 1 <= month <= 12 or not 1 <= day <= days_in_month(year, month):
        raise Bad(f"{what}: {year}-{month}-{day} is not a real calendar date")
    text = f"{year:04d}" + (f"-{month:02d}" if prec != "year" else "") + (f"-{day:02d}" if prec == "day" else "")
    return text, prec


def read_target(r, what):
    text = r.string(what + ".text")
    date = r.option(what + ".date", lambda: read_date(r, what + ".date"))
    return {"text": text, "date": date and date[0], "precision": date and date[1]}


def read_evidence(r, what, i):
    return {"name": r.text(f"{what}[{i}].name", f"evidence.{i + 1}"), "size": r.uint(8, f"{what}[{i}].size"),
            "blake3": r.take(32, f"{what}[{i}].blake3").hex()}


def read_basis(r, what):
    """§3.3 LinkBasis: {"kind": "wording", "shared_percent": n}, {"kind": "stated"} or {"kind": "own"}."""
    kind = r.variant(what, LINK_BASES)
    return {"kind": kind, "shared_percent": r.uint(1, what + ".shared_percent")} if kind == "wording" else {"kind": kind}


def read_role(r, what, i):
    """§3.3 Role: "admin", "assurance", "agency:NAME" or "auditor", as §6 writes it."""
    kind = r.variant(f"{what}[{i}]", ROLES)
    return f"agency:{r.string(f'{what}[{i}].name')}" if kind == "agency" else kind


def read_amendment(r, what, i):
    """§3.3 Amendment: {"field": name, name: value}; a Text or Some Text is a slot named after its field."""
    name = r.variant(f"{what}[{i}]", [f for f, _ in AMENDMENTS])
    kind = dict(AMENDMENTS)[name]
    return {"field": name, name: KINDS[kind](r, f"{what}[{i}].{name}", name)}


KINDS = {  # field kind -> reader returning the value as the export shows it (§6)
    "u32": lambda r, w, f: r.uint(4, w),
    "u64": lambda r, w, f: r.uint(8, w),
    "str": lambda r, w, f: r.string(w),
    "text": lambda r, w, f: r.text(w, f),
    "opt_text": lambda r, w, f: r.option(w, lambda: r.text(w, f)),
    "opt_date": lambda r, w, f: r.option(w, lambda: read_date(r, w)[0]),
    "plan": lambda r, w, f: f"P{r.uint(4, w)}",
    "action": lambda r, w, f: f"A{r.uint(4, w)}",
    "opt_action": lambda r, w, f: r.option(w, lambda: f"A{r.uint(4, w)}"),
    "recs": lambda r, w, f: r.vec(w, lambda i: f"R{r.uint(4, w)}", 4),
    "u32s": lambda r, w, f: r.vec(w, lambda i: r.uint(4, w), 4),
    "status": lambda r, w, f: r.variant(w, STATUSES),
    "opt_target": lambda r, w, f: r.option(w, lambda: read_target(r, w)),
    # An Evidence is 48 bytes at least in format 1 (name as an empty String), 72 in format 2.
    "evidence": lambda r, w, f: r.vec(w, lambda i: read_evidence(r, w, i), 48 if r.version == 1 else 72),
    "basis": lambda r, w, f: read_basis(r, w),
    # An Amendment is 5 bytes at least: its variant index and a Lead or Scope of none.
    "amendments": lambda r, w, f: r.vec(w, lambda i: read_amendment(r, w, i), 5),
    "hash32": lambda r, w, f: r.take(32, w).hex(),
    "hex16": lambda r, w, f: r.take(16, w).hex(),
    # §13.1: a Role is 4 bytes at least; a Vec<u8> is its u64 length and its bytes; a Signature R ‖ s.
    "roles": lambda r, w, f: r.vec(w, lambda i: read_role(r, w, i), 4),
    "bytes": lambda r, w, f: r.take(r.uint(8, w + " length"), w).hex(),
    "sig64": lambda r, w, f: r.take(64, w).hex(),
    # §13.2, in commands only. An Option<Option<Text>> that is some is {"some": None or the Slot}.
    "opt_u32": lambda r, w, f: r.option(w, lambda: r.uint(4, w)),
    "opt_str": lambda r, w, f: r.option(w, lambda: r.string(w)),
    "opt_opt_text": lambda r, w, f: r.option(w, lambda: {"some": r.option(w, lambda: r.text(w, f))}),
}


class Decoded:
    """A decoded record (§3.2): `rec` in the shape its export line shows (times still in µs, each
    format-2 Text still a Slot), its slots in order, and the offset of its Event variant index."""

    def __init__(self, rec: dict, slots: list, event_offset: int):
        self.rec, self.slots, self.event_offset = rec, slots, event_offset

    @property
    def type(self):
        return self.rec["event"]["type"]

    @property
    def event(self):
        return self.rec["event"]


def decode_record(data: bytes, version: int) -> Decoded:
    """Decode a Record (§3.2) of the given format; every byte must be consumed (§3.1)."""
    if len(data) > MAX_RECORD:
        raise Bad(f"record is {len(data)} bytes, over the {MAX_RECORD}-byte limit")
    r = Reader(data, version)
    rec = {"tx": r.uint(8, "tx"), "recorded_at": r.uint(8, "recorded_at", True)}
    rec["clock"] = {"kind": r.variant("ClockNote", CLOCKS)}
    if rec["clock"]["kind"] == "held_at_head":
        rec["clock"]["clock_read"] = r.uint(8, "clock_read", True)
    rec["actor"] = r.string("actor")
    rec["effective"] = r.option("effective", lambda: read_date(r, "effective")[0])
    rec["source"] = r.option("source", lambda: {"import_seq": r.uint(8, "source.import_seq"),
                                                "locator": r.string("source.locator")})
    event_offset = r.pos
    name = r.variant("Event", [n for n, _ in EVENTS[:VARIANTS[version]]])
    rec["event"] = {"type": name}
    for field, kind in (f.split(":") for f in dict(EVENTS)[name].split()):
        rec["event"][field] = KINDS[kind](r, f"{name}.{field}", field)
    if r.left():
        raise Bad(f"{r.left()} trailing byte(s) after the record ends at offset {r.pos}")
    return Decoded(rec, r.slots, event_offset)


def with_words(value, words: list):
    """A copy of a decoded value with each Slot replaced by the text shown for it."""
    if isinstance(value, Slot):
        return words[value.index]
    if isinstance(value, dict):
        return {k: with_words(v, words) for k, v in value.items()}
    if isinstance(value, list):
        return [with_words(v, words) for v in value]
    return value


# ---- shared pieces: times, identifiers, subjects, texts --------------------------

def civil(micros: int) -> tuple[int, int, int, int]:
    """µs since 1970 (UTC) -> (year, month, day, µs into the day), proleptic Gregorian, for any i64
    (datetime stops at year 9999); the days-to-civil algorithm of H. Hinnant."""
    days, into_day = divmod(micros, 86_400_000_000)
    z = days + 719468
    era, doe = divmod(z, 146097)
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, doy - (153 * mp + 2) // 5 + 1, into_day


def rfc3339(micros: int) -> str | None:
    """§6: RFC 3339 in UTC with Z and 0, 3 or 6 fraction digits as needed (µs never needs 9).
    None for a year RFC 3339 cannot write (before 0 or after 9999)."""
    year, month, day, into_day = civil(micros)
    if not 0 <= year <= 9999:
        return None
    secs, frac = divmod(into_day, 1_000_000)
    text = f"{year:04d}-{month:02d}-{day:02d}T{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"
    if frac:
        text += f".{frac // 1000:03d}" if frac % 1000 == 0 else f".{frac:06d}"
    return text + "Z"


def utc_date(micros: int) -> str:
    year, month, day, _ = civil(micros)
    return f"{year:04d}-{month:02d}-{day:02d}"


def erased_text(redacted: Decoded) -> str:
    """§3.4: how a reader shows a text erased by this Redacted event."""
    return (f"redacted on {utc_date(redacted.rec['recorded_at'])} by {redacted.rec['actor']}: "
            f"{redacted.event['reason']}")


def ident(value: str, letter: str) -> int:
    """'P12' -> 12 (identifiers as decoded, §6)."""
    return int(value[1:]) if isinstance(value, str) and value.startswith(letter) else 0


def parse_subject(value) -> tuple[int, int] | None:
    """§6 subject {"plan": "P1" or null, "action": "A3" or null} -> (plan, action), 0 for none."""
    if not isinstance(value, dict) or set(value) != {"plan", "action"}:
        return None
    out = []
    for key, letter in (("plan", "P"), ("action", "A")):
        v = value[key]
        if v is None:
            out.append(0)
        elif isinstance(v, str) and re.fullmatch(letter + r"[1-9][0-9]{0,9}", v) and int(v[1:]) < 2 ** 32:
            out.append(int(v[1:]))
        else:
            return None
    return out[0], out[1]


def show_subject(subject) -> str:
    plan, action = subject
    return f"(plan {f'P{plan}' if plan else 'none'}, action {f'A{action}' if action else 'none'})"


class Subjects:
    """§4: the subject each event must have, folded along the history (action -> plan from ActionAdded)."""

    def __init__(self):
        self.plan_of = {}  # action number -> plan number, from its ActionAdded

    def expected(self, dec: Decoded, named_subject=None) -> tuple[tuple[int, int] | None, str | None]:
        """(subject, None) or (None, why it cannot be told). named_subject: for Redacted, the subject
        of the event it names (None if that is not known)."""
        ev, kind = dec.event, dec.type
        if kind in ("LedgerCreated", "LedgerUpgraded", "SourceImported") + ACTOR_EVENTS or \
                (kind == "ImportWarning" and ev["action"] is None):
            return (0, 0), None
        if kind in ("PlanAdded", "RecommendationAdded"):
            return (ident(ev["plan"], "P"), 0), None
        if kind == "ActionAdded":
            return (ident(ev["plan"], "P"), ident(ev["action"], "A")), None
        if kind in ACTION_EVENTS or kind == "ImportWarning":
            action = ident(ev["action"], "A")
            if action not in self.plan_of:
                return None, f"A{action}'s ActionAdded is not before it, so §4 gives it no subject"
            return (self.plan_of[action], action), None
        if kind == "Redacted":
            if named_subject is None:
                return None, f"the event it names ({ev['event']}) is not before it, so §4 gives it no subject"
            return named_subject, None
        raise AssertionError(kind)

    def fold(self, dec: Decoded) -> str | None:
        """Record what an event adds; a problem if it makes the subject table ambiguous."""
        if dec.type == "ActionAdded":
            action = ident(dec.event["action"], "A")
            if action in self.plan_of:
                return f"A{action} is added a second time (§4 could not tell its events' plan)"
            self.plan_of[action] = ident(dec.event["plan"], "P")
        return None


def is_hex(value, nbytes: int | None) -> bool:
    """Lowercase hex (§6), of exactly nbytes bytes when given."""
    return isinstance(value, str) and re.fullmatch(r"(?:[0-9a-f]{2})*", value) is not None and \
        (nbytes is None or len(value) == 2 * nbytes)


def is_u64(value) -> bool:
    return type(value) is int and 0 <= value < 2 ** 64


def parse_texts(value, dec: Decoded) -> tuple[list, list[str]]:
    """§3.4/§6: the texts of a format-2 event, checked against its slots.

    Returns ([("words", text) | ("erased", by) | None per slot], problems). Words are checked
    against the commitment here; an erasure is checked by check_erasure (it needs the Redacted event)."""
    if not isinstance(value, list):
        return [], ["texts is not a list"]
    out, problems, size = [], [], 8  # size: the bincode Vec<StoredText> (§3.1)
    if len(value) != len(dec.slots):
        problems.append(f"texts has {len(value)} entries; the record has {len(dec.slots)} slot(s)"
                        f" ({', '.join(s.name for s in dec.slots) or 'none'})")
    for slot, text in zip(dec.slots, value):
        where = f"text {slot.index} ({slot.name})"
        if isinstance(text, dict) and set(text) == {"salt", "words"}:
            if not is_hex(text["salt"], 16) or not isinstance(text["words"], str):
                problems.append(f"{where}: salt is not 16 bytes of lowercase hex or words not a string")
                out.append(None)
            elif text_commitment(bytes.fromhex(text["salt"]), text["words"]) != slot.commitment:
                problems.append(f"{where}: salt and words do not give the commitment the record holds"
                                f" ({slot.commitment.hex()[:16]}…)")
                out.append(None)
            else:
                out.append(("words", text["words"]))
                size += 4 + 16 + 8 + len(text["words"].encode("utf-8"))
        elif isinstance(text, dict) and set(text) == {"erased_by"} and is_u64(text["erased_by"]):
            out.append(("erased", text["erased_by"]))
            size += 4 + 8
        else:
            problems.append(f"{where} is neither {{\"salt\",\"words\"}} nor {{\"erased_by\": seq}}:"
                            f" {json.dumps(text, ensure_ascii=False)[:80]}")
            out.append(None)
    if size > MAX_RECORD:
        problems.append(f"the encoded texts are {size} bytes, over the {MAX_RECORD}-byte limit (§3.1)")
    return out, problems


def check_erasure(seq: int, slot: Slot, by: int, redacted: Decoded | None) -> str | None:
    """§3.4: an Erased text names a Redacted event that names this event and this slot."""
    where = f"text {slot.index} ({slot.name}) is erased by event {by}"
    if by <= seq:
        return f"{where}, which is not after it"
    if redacted is None:
        return f"{where}, which is not there (or does not decode)"
    if redacted.type != "Redacted":
        return f"{where}, which is {redacted.type}, not Redacted"
    if redacted.event["event"] != seq:
        return f"{where}, which names event {redacted.event['event']}, not {seq}"
    if slot.index not in redacted.event["slots"]:
        return f"{where}, which names slots {redacted.event['slots']}, not {slot.index}"
    return None


def check_redacted(seq: int, dec: Decoded, named: Decoded | None, named_texts: list | None,
                   withheld: bool = False) -> list[str]:
    """§3.3/§5 step 4: a Redacted event names an earlier event and some of its slots, strictly
    increasing, each of which that event's texts show erased by this one. withheld: the named
    event is not shown (in a pack), so only the Redacted event itself is checked."""
    ev, out = dec.event, []
    slots = ev["slots"]
    if ev["event"] >= seq:
        return [f"Redacted names event {ev['event']}, which is not before it"]
    if not slots:
        out.append("Redacted names no slot")
    if any(a >= b for a, b in zip(slots, slots[1:])):
        out.append(f"Redacted slots {slots} are not strictly increasing")
    if not ev["reason"].strip():
        out.append("Redacted reason is blank (§8: it is not)")
    if withheld:
        return out
    if named is None:
        return out + [f"Redacted names event {ev['event']}, which is not there (or does not decode)"]
    for s in slots:
        if s >= len(named.slots):
            out.append(f"Redacted names slot {s} of event {ev['event']}, which has {len(named.slots)} slot(s)")
        elif named_texts is not None and (s >= len(named_texts) or named_texts[s] != ("erased", seq)):
            out.append(f"slot {s} ({named.slots[s].name}) of event {ev['event']} is not erased by this Redacted")
    return out


def envelope(seq: int, rec: dict, prev: dict | None, version: int) -> list[str]:
    """§5 step 5, for one event and the event just before it (None for the genesis)."""
    out, ev = [], rec["event"]
    if seq == 0:
        if ev["type"] not in GENESIS[:1 if version == 1 else 2]:
            out.append(f"event 0 is {ev['type']}, not LedgerCreated" + (" or LedgerUpgraded" if version > 1 else ""))
        elif ev["format_version"] != version:
            out.append(f"{ev['type']} names format version {ev['format_version']}, not {version}")
        if rec["tx"] != 0:
            out.append(f"the genesis event is in tx {rec['tx']}, not tx 0")
    elif ev["type"] in GENESIS:
        out.append(f"{ev['type']} at a sequence number other than 0")
    if rec["actor"] == "":
        out.append("actor is empty")
    if prev is None:
        if seq == 0 and rec["clock"]["kind"] == "held_at_head":
            out.append("clock is held_at_head, but there is no previous event")
        return out
    if rec["recorded_at"] < prev["recorded_at"]:
        out.append(f"recorded_at {rec['recorded_at']} is before the previous event's {prev['recorded_at']}")
    if rec["tx"] == prev["tx"]:
        out += [f"{k} differs from the previous event of tx {rec['tx']}"
                for k in ("actor", "recorded_at", "clock") if rec[k] != prev[k]]
    elif rec["tx"] != prev["tx"] + 1:
        out.append(f"tx {rec['tx']} follows tx {prev['tx']} (must be the same or the next)")
    elif rec["clock"]["kind"] == "held_at_head":
        # §3.2: the clock read earlier than the previous event's recorded_at, which was used instead.
        if rec["recorded_at"] != prev["recorded_at"] or rec["clock"]["clock_read"] >= prev["recorded_at"]:
            out.append("clock is held_at_head, but recorded_at is not the previous event's or clock_read"
                       " is not earlier than it")
    return out


# ---- §6 exports ------------------------------------------------------------------

def parse_json(raw: bytes):
    """One JSON object; duplicate keys and NaN/Infinity (not JSON) refused."""
    def no_dupes(pairs):
        if len({k for k, _ in pairs}) != len(pairs):
            raise ValueError("duplicate key in an object")
        return dict(pairs)

    def no_constant(name):
        raise ValueError(f"{name} is not JSON")
    line = json.loads(raw, object_pairs_hook=no_dupes, parse_constant=no_constant)
    if not isinstance(line, dict):
        raise ValueError("a JSON value that is not an object")
    return line


def dump(v):
    return json.dumps(v, sort_keys=True, ensure_ascii=False)


class Unknown:
    """Stands for a text whose words could not be told (its own problem is already reported)."""


UNKNOWN = Unknown()


def diff(path, want, got, out):
    """Append a message for every place the JSON (got) disagrees with the record (want)."""
    if want is UNKNOWN:
        return
    if isinstance(want, dict) and isinstance(got, dict):
        for k in sorted(want.keys() | got.keys()):
            p = f"{path}.{k}" if path else k
            if k not in got:
                out.append(f"JSON lacks {p} (record has {dump(want[k])})")
            elif k in want:  # a field the record does not hold is ignored (§6: exports only add fields)
                diff(p, want[k], got[k], out)
    elif isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for i, (a, b) in enumerate(zip(want, got)):
            diff(f"{path}[{i}]", a, b, out)
    elif dump(want) != dump(got):  # dump() tells 1 from true and 1.0
        out.append(f"{path}: record says {dump(want)[:120]}, JSON says {dump(got)[:120]}")


def cross_check(rec: dict, line: dict) -> list[str]:
    """§6: the line's decoded fields must show what the record holds (texts filled in). Fields the
    record does not hold, at any depth, are ignored: later exports only ever add fields (§6)."""
    want = dict(rec, recorded_at_micros=rec["recorded_at"], recorded_at=rfc3339(rec["recorded_at"]))
    if "clock_read" in rec["clock"]:
        want["clock"] = dict(rec["clock"], clock_read=rfc3339(rec["clock"]["clock_read"]))
    if want["recorded_at"] is None or want["clock"].get("clock_read", "") is None:  # beyond datetime's years
        want.pop("recorded_at")
        want["clock"].pop("clock_read", None)
    shown = {k: line[k] for k in want if k in line}
    out = []
    diff("", want, shown, out)
    return out


class Line:
    """One export line: where it is, what it says, and what its record decodes to."""

    def __init__(self, no: int, seq: int, obj: dict):
        self.no, self.seq, self.obj = no, seq, obj
        self.dec: Decoded | None = None
        self.subject = None  # (plan, action) as stated, format 2
        self.texts = None  # parse_texts() result, format 2


def detect_version(first: bytes) -> tuple[int | None, str | None]:
    """The format of an export: the genesis record's format_version (LedgerCreated and
    LedgerUpgraded both start with ledger_id, format_version; a genesis record has no Text,
    so formats 1 and 2 decode it alike). Falls back to the JSON's event.format_version."""
    try:
        obj = parse_json(first)
    except (ValueError, RecursionError):
        return None, "line 1 is not a JSON object, so the format cannot be told"
    try:
        dec = decode_record(bytes.fromhex(obj["record"]), 2)
        if dec.type in GENESIS:
            return dec.event["format_version"], None
    except (Bad, KeyError, TypeError, ValueError):
        pass
    version = obj.get("event", {}).get("format_version") if isinstance(obj.get("event"), dict) else None
    return (version, None) if type(version) is int else (None, "the genesis names no format_version")


def verify_export(lines: list[bytes]):
    """Check an export. Returns (problems as (seq, message) sorted by seq, event count,
    (seq, hash) of the last line, format version, the SignedHistory of §13 or None)."""
    problems = []
    if not lines:
        return [(0, "export is empty: no genesis event")], 0, None, None, None
    version, why = detect_version(lines[0])
    if why or version not in KNOWN_FORMATS:
        # §2: a reader MUST refuse a format version it does not know, naming it, and not guess.
        return ([(0, why or f"format version {version} is not one this verifier knows (1, 2)")], len(lines), None,
                version, None)
    add = lambda seq, msg: problems.append((seq, msg))

    # Pass 1, line by line: seq, the chain (§4, §6) and decoding (§3).
    parsed, expect, prev_hash = [], 0, ZERO_HASH
    for no, raw in enumerate(lines, 1):
        try:
            obj = parse_json(raw)
        except (ValueError, RecursionError) as e:
            add(expect, f"line {no} is not a JSON object: {e}")
            expect, prev_hash = expect + 1, None
            continue
        seq = obj.get("seq")
        if not is_u64(seq):
            add(expect, f"line {no}: seq is not a u64")
            seq = expect
        elif seq > expect:
            add(expect, f"gap: expected seq {expect}, line {no} has seq {seq}")
        elif seq < expect:
            add(seq, f"seq {seq} is out of order or repeated (line {no}, expected {expect})")
        expect = max(expect, seq + 1)
        line = Line(no, seq, obj)
        parsed.append(line)
        prev_hash = check_chain(line, prev_hash, version, lambda msg, s=seq: add(s, msg))
        record = obj.get("record")
        if is_hex(record, None):
            try:
                line.dec = decode_record(bytes.fromhex(record), version)
            except Bad as e:
                add(seq, f"record does not decode: {e}")

    # Pass 2, along the history: texts, redactions, subjects, decoded fields, envelope.
    by_seq = {}
    for line in parsed:
        by_seq.setdefault(line.seq, line)
    if version == 2:
        for line in parsed:
            if line.dec is not None:
                line.texts, msgs = parse_texts(line.obj.get("texts"), line.dec)
                for msg in msgs:
                    add(line.seq, msg)
    subjects, prev_rec = Subjects(), None
    signed = SignedHistory(by_seq, add) if version == 2 else None
    for line in parsed:
        dec = line.dec
        if dec is None:
            prev_rec = None
            continue
        if signed is not None:
            signed.see(line.seq, dec)
        at = lambda msg, s=line.seq: add(s, msg)
        words = []
        if version == 2:
            words = export_texts(line, by_seq, at)
            check_subject(line, by_seq, subjects, at)
        for msg in cross_check(with_words(dec.rec, words), line.obj):
            at(msg)
        for msg in envelope(line.seq, dec.rec, prev_rec, version):
            at(msg)
        src = dec.rec["source"]
        if src is not None:
            named = by_seq.get(src["import_seq"])
            if src["import_seq"] >= line.seq or named is None or named.dec is None or \
                    named.dec.type != "SourceImported":
                at(f"source.import_seq {src['import_seq']} does not name an earlier SourceImported event")
        prev_rec = dec.rec
    if signed is not None:
        signed.finish()
    last = parsed[-1] if parsed else None
    head = (last.seq, last.obj.get("hash")) if last else None
    return sorted(problems, key=lambda p: p[0]), len(lines), head, version, signed


def check_chain(line: Line, prev_hash: bytes | None, version: int, add) -> bytes | None:
    """§4/§6 for one line: prev, digest (format 2) and hash. Returns the line's stated hash, from
    which the next line goes on (§5 step 3: one altered event is reported once)."""
    obj, seq = line.obj, line.seq
    prev, hsh, record = obj.get("prev"), obj.get("hash"), obj.get("record")
    if version == 2:
        line.subject = parse_subject(obj.get("subject"))
        if line.subject is None:
            add(f"subject is not {{\"plan\": \"P<n>\" or null, \"action\": \"A<n>\" or null}}:"
                f" {dump(obj.get('subject'))[:80]}")
    for key, value, n in (("prev", prev, 32), ("hash", hsh, 32), ("record", record, None)):
        if not is_hex(value, n):
            add(f"{key} is not {f'{n} bytes of ' if n else ''}lowercase hex")
    if not is_hex(hsh, 32):
        return None
    want_prev = ZERO_HASH if seq == 0 else prev_hash
    if is_hex(prev, 32) and want_prev is not None and bytes.fromhex(prev) != want_prev:
        add(f"prev {prev[:16]}… is not the previous event's hash {want_prev.hex()[:16]}…")
    if want_prev is None or not is_hex(record, None):
        return bytes.fromhex(hsh)
    record = bytes.fromhex(record)
    if version == 1:
        actual = event_hash_v1(want_prev, seq, record)
    else:
        digest = record_digest(record)
        if obj.get("digest") != digest.hex():
            add(f"digest {str(obj.get('digest'))[:16]}… is not the record's digest {digest.hex()[:16]}…")
        if line.subject is None:
            return bytes.fromhex(hsh)
        actual = event_hash(want_prev, seq, *line.subject, digest)
    if actual.hex() != hsh:
        add(f"hash mismatch: line says {hsh[:16]}…, recomputed {actual.hex()[:16]}…")
    return bytes.fromhex(hsh)


def export_texts(line: Line, by_seq: dict, at) -> list:
    """§3.4: the words shown for each slot of a format-2 line, checking each erasure, and for a
    Redacted event that every slot it names is erased by it."""
    dec, words = line.dec, []
    for slot, text in zip(dec.slots, line.texts or []):
        if text is None or text[0] == "words":
            words.append(text[1] if text else UNKNOWN)
            continue
        redacted = by_seq.get(text[1])
        problem = check_erasure(line.seq, slot, text[1], redacted and redacted.dec)
        if problem:
            at(problem)
            words.append(UNKNOWN)
        else:
            words.append(erased_text(redacted.dec))
    words += [UNKNOWN] * (len(dec.slots) - len(words))
    if dec.type == "Redacted":
        named = by_seq.get(dec.event["event"])
        for msg in check_redacted(line.seq, dec, named and named.dec, named and named.texts):
            at(msg)
    return words


def check_subject(line: Line, by_seq: dict, subjects: Subjects, at):
    """§4: the stated subject is the one the table gives at this point of the history."""
    dec = line.dec
    named = by_seq.get(dec.event["event"]) if dec.type == "Redacted" else None
    named_subject = named.subject if named is not None and named.seq < line.seq else None
    want, why = subjects.expected(dec, named_subject)
    if why:
        at(f"subject: {why}")
    elif line.subject is not None and want != line.subject:
        at(f"subject is {show_subject(line.subject)}; §4 gives {dec.type} {show_subject(want)}")
    problem = subjects.fold(dec)
    if problem:
        at(problem)


def report(problems, count, head, version, signed, signatures_optional=False) -> int:
    if problems:
        print(f"FAILED at seq {problems[0][0]}: {problems[0][1]}")
        for seq, msg in problems:
            print(f"  seq {seq}: {msg}")
        return 3
    print(f"OK: format {version} export, {count} events, last event {head[0]} {head[1]}")
    if signed is not None and signed.requests:
        checked = signed.requests - signed.unchecked
        print(f"  signed requests (§13): {signed.requests}, {len(signed.actors)} actor(s); checked: {checked} ed25519"
              " signature(s), keys, ledger id, replay, head seen, where each stands, signer and actors, each event"
              " against what its command drafts, text commitments, the role table, the actor events' rules")
    if signed is not None and signed.unchecked:
        print(f"  {signed.unchecked} signature(s) were NOT checked: the Python package `cryptography` is not installed"
              " (pip install cryptography)")
        if not signatures_optional:
            print("FAILED: signatures not checked (give --no-signatures to accept an export checked without them)")
            return 4
    print("(an export cannot show events removed from its end: compare the last event with a head recorded elsewhere)")
    return 0


# ---- §13 actors and signed requests ---------------------------------------------------

REQUEST_CONTEXT = "planledger 2026 request v1"
# Ed25519 (RFC 8032): the field prime, the group order, the curve's d and a square root of -1.
P25519 = 2 ** 255 - 19
L25519 = 2 ** 252 + 27742317777372353535851937790883648493
D25519 = -121665 * pow(121666, -1, P25519) % P25519
SQRT_M1 = pow(2, (P25519 - 1) // 4, P25519)
UNCHECKED = "not checked: the Python package `cryptography` is not installed"
# Unicode White_Space, which §13.4's "trimmed" and §13.5's agency names go by (Rust's char::is_whitespace).
WHITE_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200b))) + \
    "\u2028\u2029\u202f\u205f\u3000"
WHITE_RUN = re.compile("[" + WHITE_SPACE + "]+")
# §13.5 rule 12, the role table.
FOR_ADMIN = ("ActorAdded", "ActorRevoked", "Redacted")
FOR_AGENCY = ("StatusChanged", "MilestoneNoted", "CompletionClaimed")
FOR_ASSURANCE = ("PlanAdded", "RecommendationAdded", "ActionAdded", "ClaimAccepted", "ClaimChallenged",
                 "ActionWithdrawn", "TargetChanged", "SourceImported", "ImportWarning", "ActionLinked",
                 "ActionAmended") + FOR_AGENCY


def trimmed(text: str) -> str:
    return text.strip(WHITE_SPACE)


def same_name(a: str, b: str) -> bool:
    """§13.5: names compared ignoring case and runs of white space."""
    norm = lambda s: WHITE_RUN.sub(" ", trimmed(s)).lower()
    return norm(a) == norm(b)


def decode_request(data: bytes) -> tuple[dict, list]:
    """§13.2: a Request, its texts as Slots (commitments) in order; no trailing bytes."""
    if len(data) > MAX_RECORD:
        raise Bad(f"the request is {len(data)} bytes, over the {MAX_RECORD}-byte limit")
    r = Reader(data, 2)
    req = {"ledger_id": r.take(16, "ledger_id").hex(),
           "head_seen": r.option("head_seen", lambda: (r.uint(8, "head_seen.seq"), r.take(32, "head_seen.hash").hex())),
           "key": r.take(32, "key").hex(), "signer": r.string("signer"), "made_at": r.uint(8, "made_at", True),
           "nonce": r.take(16, "nonce").hex()}
    # A Stamped is 6 bytes at least: its Command's variant index and two option bytes.
    req["commands"] = r.vec("commands", lambda i: read_stamped(r, f"commands[{i}]"), 6)
    if r.left():
        raise Bad(f"{r.left()} trailing byte(s) after the request ends at offset {r.pos}")
    return req, r.slots


def read_stamped(r: Reader, what: str) -> dict:
    """§13.2 Stamped: the command's fields (as an event's are decoded), then effective and source."""
    name = r.variant(what, [n for n, _, _ in COMMANDS])
    cmd = {"type": name}
    for field, kind in (f.split(":") for f in next(fs for n, fs, _ in COMMANDS if n == name).split()):
        cmd[field] = KINDS[kind](r, f"{what}.{name}.{field}", field)
    cmd["effective"] = r.option(what + ".effective", lambda: read_date(r, what + ".effective")[0])
    cmd["source"] = r.option(what + ".source", lambda: {"import_seq": r.uint(8, what + ".source.import_seq"),
                                                        "locator": r.string(what + ".source.locator")})
    return cmd


def decode_point(b: bytes) -> tuple[int, int] | None:
    """An Edwards point from its 32-byte encoding (RFC 8032 §5.1.3, y taken mod p as
    ed25519-dalek does); None if there is no such point."""
    y = int.from_bytes(b, "little") & ((1 << 255) - 1)
    y %= P25519
    u, v = (y * y - 1) % P25519, (D25519 * y * y + 1) % P25519
    x2 = u * pow(v, -1, P25519) % P25519
    x = pow(x2, (P25519 + 3) // 8, P25519)
    if (x * x - x2) % P25519:
        x = x * SQRT_M1 % P25519
    if (x * x - x2) % P25519:
        return None
    if (x & 1) != b[31] >> 7:
        x = (P25519 - x) % P25519
    return x, y


def small_order(point: tuple[int, int]) -> bool:
    """[8]P is the identity (0, 1): P is one of the eight points of small order."""
    x, y = point
    for _ in range(3):  # doubling on -x² + y² = 1 + d x² y²
        t = D25519 * x * x * y * y % P25519
        x, y = 2 * x * y * pow(1 + t, -1, P25519) % P25519, (y * y + x * x) * pow(1 - t, -1, P25519) % P25519
    return (x, y) == (0, 1)


def signature_problem(key: bytes, message: bytes, signature: bytes) -> str | None:
    """§13.3, strictly: s below the group order, the key and R points not of small order, and the
    RFC 8032 check (by `cryptography`, whose OpenSSL compares R's encoding). UNCHECKED when the
    last could not be made."""
    a, r = decode_point(key), decode_point(signature[:32])
    if a is None:
        return "the key is not an ed25519 point"
    if small_order(a):
        return "the key is a point of small order, which strict verification refuses"
    if r is None or small_order(r):
        return "the signature's R is " + ("not a point" if r is None else "of small order, which strict verification refuses")
    if int.from_bytes(signature[32:], "little") >= L25519:
        return "the signature's s is not below the group order"
    if Ed25519PublicKey is None:
        return UNCHECKED
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return "the signature does not verify with the key"
    return None


def shape(value):
    """A decoded value with each text (Slot) as a placeholder: its structure (§13.5 rule 10)."""
    if isinstance(value, Slot):
        return "<text>"
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return value


class NoDraft(Exception):
    """A command that drafts nothing against the state (§13.4)."""


class OpenRequest:
    """A signed transaction being read: its RequestSigned, signer, commands and commitments."""

    def __init__(self, seq: int, tx: int, signer: str, commands: list, expected: list | None):
        self.seq, self.tx, self.signer, self.commands = seq, tx, signer, commands
        self.expected, self.found, self.done = expected, [], 0


class SignedHistory:
    """§13.5, replayed along a format-2 export: each RequestSigned (signature, key, ledger id,
    replay, head seen, where it stands, its signer), each event of a signed transaction (the
    signer, what the next command drafts, the role table), each signed transaction's texts by
    their commitments, and the actor events' own rules. It folds what those need: the actors,
    the plans' recommendations, and each action's plan, agency, status, target and claims."""

    def __init__(self, by_seq: dict, add):
        self.by_seq, self.add = by_seq, add
        self.ledger_id = None
        self.actors = {}  # name -> {"roles": [...], "key": hex, "revoked": bool}
        self.key_owner = {}  # every key an actor holds or held (hex) -> their name
        self.digests = {}  # request digest -> seq of its RequestSigned
        self.open: OpenRequest | None = None
        self.last_tx = None
        self.plans = {}  # plan -> set of its recommendation numbers
        self.actions = {}  # action -> {"plan", "agency", "status", "target", "claims"}
        self.requests = self.unchecked = 0

    def see(self, seq: int, dec: Decoded):
        if self.last_tx != dec.rec["tx"]:
            self.close()
        if dec.type == "RequestSigned":
            self.request(seq, dec, self.last_tx != dec.rec["tx"])
        elif seq > 0:
            self.step(seq, dec)
        if dec.type in ACTOR_EVENTS[:3]:
            for msg in self.actor_rules(dec):
                self.add(seq, f"{msg} (§13.5 rules 13-15)")
        self.fold(seq, dec)
        self.last_tx = dec.rec["tx"]

    def finish(self):
        self.close()

    # -- rules 1-8: the RequestSigned ------------------------------------------------------

    def request(self, seq: int, dec: Decoded, new_tx: bool):
        self.close()
        ev, rec = dec.event, dec.rec
        at = lambda msg, rule: self.add(seq, f"{msg} (§13.5 rule {rule})")
        if not (new_tx or (rec["tx"] == 0 and seq == 1)):
            at("RequestSigned does not begin its transaction", 6)
        raw = bytes.fromhex(ev["request"])
        self.open = OpenRequest(seq, rec["tx"], rec["actor"], [], None)
        try:
            req, slots = decode_request(raw)
        except Bad as e:
            return at(f"its request does not decode (§13.2): {e}", 1)
        self.requests += 1
        self.open = OpenRequest(seq, rec["tx"], req["signer"], req["commands"], [s.commitment for s in slots])
        if not req["commands"]:
            at("its request asks for nothing", 1)
        if ev["key"] != req["key"]:
            at(f"RequestSigned.key {ev['key'][:16]}… is not the request's key {req['key'][:16]}…", 2)
        digest = derive(REQUEST_CONTEXT, raw)
        problem = signature_problem(bytes.fromhex(ev["key"]), digest, bytes.fromhex(ev["signature"]))
        if problem == UNCHECKED:
            self.unchecked += 1
        elif problem:
            at(f"{problem} (signature over request digest {digest.hex()[:16]}…)", 2)
        if req["ledger_id"] != self.ledger_id:
            at(f"the request is for ledger {req['ledger_id']}, not this one ({self.ledger_id})", 3)
        if digest in self.digests:
            at(f"the request was carried out already, at event {self.digests[digest]}", 4)
        self.digests.setdefault(digest, seq)
        if req["head_seen"] is not None:
            seen, hsh = req["head_seen"]
            line = self.by_seq.get(seen)
            if seen >= seq:
                at(f"its signer saw event {seen}, which is not before it", 5)
            elif line is None or line.obj.get("hash") != hsh:
                at(f"its signer saw event {seen} with hash {hsh[:16]}…, which this chain does not hold there", 5)
        if rec["actor"] != req["signer"]:
            at(f"the record's actor {rec['actor']!r} is not the request's signer {req['signer']!r}", 6)
        if rec.get("effective") is not None or rec.get("source") is not None:
            at("the RequestSigned record states an effective date or a source", 6)
        if not self.actors:
            first = req["commands"][0] if req["commands"] else {}
            if first.get("type") != "AddActor" or trimmed(first["name"]) != req["signer"] or \
                    first["key"] != req["key"] or "admin" not in first["roles"]:
                at("the ledger has no actors, so the request must first add its signer, with its own key, as an"
                   " admin", 7)
            return
        owner = self.key_owner.get(req["key"])
        actor = self.actors.get(owner)
        if actor is None:
            at(f"no actor signs with key {req['key'][:16]}…", 8)
        elif actor["key"] != req["key"]:
            at(f"key {req['key'][:16]}… is one {owner} rotated away", 8)
        elif actor["revoked"]:
            at(f"{owner} was revoked", 8)
        elif owner != req["signer"]:
            at(f"the request is signed as {req['signer']!r}, but its key is {owner!r}'s", 8)

    # -- rules 9-12: the events after it -------------------------------------------------------

    def step(self, seq: int, dec: Decoded):
        op = self.open if self.open is not None and self.open.tx == dec.rec["tx"] else None
        at = lambda msg, rule: self.add(seq, f"{msg} (§13.5 rule {rule})")
        if op is None:
            if self.actors:
                at("an unsigned transaction in a ledger with actors", 9)
            elif dec.type == "ActorAdded":
                at("an actor added without a signed request", 9)
            return
        op.found += [s.commitment for s in dec.slots]
        if dec.rec["actor"] != op.signer:
            at(f"its actor {dec.rec['actor']!r} is not the signer {op.signer!r} of the request at event {op.seq}", 10)
        op.done += 1
        if op.done > len(op.commands):
            return at(f"not asked for: the request at event {op.seq} has {len(op.commands)} command(s)", 10)
        cmd = op.commands[op.done - 1]
        where = f"command {op.done} of the request at event {op.seq} ({cmd['type']})"
        try:
            kind, fields = self.draft(cmd)
        except NoDraft as e:
            return at(f"{where} drafts nothing: {e}", 10)
        if kind != dec.type:
            return at(f"{where} drafts {kind}, not {dec.type}", 10)
        for name in sorted(fields.keys() | dec.event.keys() - {"type"}):
            want, got = shape(fields.get(name)), shape(dec.event.get(name))
            if want != got:
                at(f"{where} drafts {name} {dump(want)[:80]}, the event holds {dump(got)[:80]}", 10)
        for name in ("effective", "source"):
            if cmd[name] != dec.rec[name]:
                at(f"{where} has {name} {dump(cmd[name])}, the record {dump(dec.rec[name])}", 10)
        problem = self.permitted(op.signer, dec)
        if problem:
            at(problem, 12)

    def close(self):
        """The end of a signed transaction: every command carried out (rule 10), and the texts
        its events hold are the request's, commitment for commitment (rule 11)."""
        op, self.open = self.open, None
        if op is None or op.expected is None:
            return
        at = lambda msg, rule: self.add(op.seq, f"{msg} (§13.5 rule {rule})")
        if op.done < len(op.commands):
            at(f"its transaction ends after {op.done} of the request's {len(op.commands)} command(s)", 10)
        if op.expected != op.found:
            i = next((i for i, (a, b) in enumerate(zip(op.expected, op.found)) if a != b),
                     min(len(op.expected), len(op.found)))
            at(f"the texts of its transaction are not those its request committed to: the request has"
               f" {len(op.expected)} commitment(s), the events {len(op.found)}, first differing at text {i + 1}", 11)

    def draft(self, cmd: dict) -> tuple[str, dict]:
        """§13.4: the event a command drafts against the state, as decode_record shows one."""
        kind = next(e for n, _, e in COMMANDS if n == cmd["type"])
        c = {k: v for k, v in cmd.items() if k not in ("type", "effective", "source")}

        def action():
            a = self.actions.get(ident(cmd["action"], "A"))
            if a is None:
                raise NoDraft(f"there is no action {cmd['action']}")
            return a
        t = cmd["type"]
        if t == "AddPlan":
            return kind, dict(c, plan=f"P{max(self.plans, default=0) + 1}", partnership=trimmed(c["partnership"]))
        if t == "AddRecommendation":
            if c["number"] is None:
                plan = self.plans.get(ident(c["plan"], "P"))
                if plan is None:
                    raise NoDraft(f"there is no plan {c['plan']}")
                c["number"] = max(plan, default=0) + 1
            return kind, c
        if t == "AddAction":
            return kind, dict(c, action=f"A{max(self.actions, default=0) + 1}", agency=trimmed(c["agency"]))
        if t in ("SetStatus", "Withdraw"):
            return kind, dict(c, **{"from": action()["status"]})
        if t == "Claim":
            return kind, dict(c, claim=action()["claims"] + 1)
        if t in ("Accept", "Challenge"):
            a = action()
            if a["status"] != "claimed":
                raise NoDraft(f"{cmd['action']} is {a['status']}: no claim awaits assurance")
            return kind, dict(c, claim=a["claims"])
        if t == "Retarget":
            return kind, {"action": c["action"], "from": action()["target"], "to": c["target"], "reason": c["reason"]}
        if t == "Amend":
            changes = [{"field": "text", "text": c["text"]}] if c["text"] is not None else []
            if c["lead"] is not None:
                changes.append({"field": "lead", "lead": c["lead"]["some"]})
            if c["agency"] is not None:
                changes.append({"field": "agency", "agency": trimmed(c["agency"])})
            if c["scope"] is not None:
                changes.append({"field": "scope", "scope": c["scope"]["some"]})
            return kind, {"action": c["action"], "changes": changes, "reason": c["reason"]}
        if t == "Redact":
            return kind, dict(c, reason=trimmed(c["reason"]))
        if t in ("AddActor", "RotateKey", "RevokeActor"):
            return kind, dict(c, name=trimmed(c["name"]))
        return kind, c  # NoteMilestone, RecordSource, Warn, Link: as given

    def permitted(self, signer: str, dec: Decoded) -> str | None:
        """Rule 12: the role table, by the state before the event."""
        actor = self.actors.get(signer)
        if actor is None:  # the first actor's own ActorAdded (rule 7)
            return None
        roles, kind = actor["roles"], dec.type
        who = f"{signer} ({', '.join(roles)})"
        if actor["revoked"]:
            return f"{signer} was revoked and may change nothing"
        if kind in FOR_ADMIN or (kind == "KeyRotated" and dec.event["name"] != signer):
            return None if "admin" in roles else f"{who} may not make {kind}: that needs the admin role"
        if kind == "KeyRotated" or "assurance" in roles and kind in FOR_ASSURANCE:
            return None
        if kind in FOR_AGENCY:
            agencies = [role[len("agency:"):] for role in roles if role.startswith("agency:")]
            owner = self.actions.get(ident(dec.event["action"], "A"), {}).get("agency", "")
            if any(same_name(agency, owner) for agency in agencies):
                return None
            if agencies:
                return f"{who} may not make {kind} on {dec.event['action']}, {owner}'s action"
            return f"{who} may not make {kind}: that needs the assurance or agency role"
        return f"{who} may not make {kind}" + (": that needs the assurance role" if kind in FOR_ASSURANCE else "")

    # -- rules 13-15, and the fold --------------------------------------------------------------

    def actor_rules(self, dec: Decoded) -> list[str]:
        ev, kind, out = dec.event, dec.type, []
        if kind == "ActorAdded":
            if not trimmed(ev["name"]):
                out.append("ActorAdded names no one")
            clash = next((n for n in self.actors if same_name(n, ev["name"])), None)
            if clash is not None:
                out.append(f"there is already an actor named {clash!r}")
            if not ev["roles"]:
                out.append("ActorAdded gives no role")
            if any(role.startswith("agency:") and not trimmed(role[len("agency:"):]) for role in ev["roles"]):
                out.append("an agency role names no agency")
        else:
            actor = self.actors.get(ev["name"])
            if actor is None or actor["revoked"]:
                out.append(f"{kind} names {ev['name']!r}, who is " + ("not an actor" if actor is None else "revoked"))
            elif kind == "ActorRevoked" and "admin" in actor["roles"] and not any(
                    "admin" in a["roles"] and not a["revoked"] and n != ev["name"] for n, a in self.actors.items()):
                out.append(f"{ev['name']} is the last admin, who cannot be revoked")
        if kind != "ActorRevoked":
            point = decode_point(bytes.fromhex(ev["key"]))
            if point is None:
                out.append(f"key {ev['key'][:16]}… is not an ed25519 point")
            elif small_order(point):
                out.append(f"key {ev['key'][:16]}… is a point of small order")
            if ev["key"] in self.key_owner:
                out.append(f"key {ev['key'][:16]}… is already {self.key_owner[ev['key']]}'s (now or before)")
        return out

    def fold(self, seq: int, dec: Decoded):
        ev, kind = dec.event, dec.type
        action = self.actions.get(ident(ev.get("action"), "A"))
        if kind in GENESIS and seq == 0:
            self.ledger_id = ev["ledger_id"]
        elif kind == "ActorAdded":
            self.actors.setdefault(ev["name"], {"roles": ev["roles"], "key": ev["key"], "revoked": False})
            self.key_owner.setdefault(ev["key"], ev["name"])
        elif kind == "KeyRotated" and ev["name"] in self.actors:
            self.actors[ev["name"]]["key"] = ev["key"]
            self.key_owner.setdefault(ev["key"], ev["name"])
        elif kind == "ActorRevoked" and ev["name"] in self.actors:
            self.actors[ev["name"]]["revoked"] = True
        elif kind == "PlanAdded":
            self.plans.setdefault(ident(ev["plan"], "P"), set())
        elif kind == "RecommendationAdded":
            self.plans.setdefault(ident(ev["plan"], "P"), set()).add(ev["number"])
        elif kind == "ActionAdded":
            self.actions.setdefault(ident(ev["action"], "A"), {"plan": ev["plan"], "agency": ev["agency"],
                                                                "status": "open", "target": ev["target"], "claims": 0})
        elif action is not None:
            new_status = {"CompletionClaimed": "claimed", "ClaimAccepted": "assured", "ClaimChallenged": "challenged",
                          "ActionWithdrawn": "withdrawn", "StatusChanged": ev.get("to")}.get(kind)
            if new_status is not None:
                action["status"] = new_status
            if kind == "CompletionClaimed":
                action["claims"] = max(action["claims"], ev["claim"])
            elif kind == "TargetChanged":
                action["target"] = ev["to"]
            elif kind == "ActionAmended":
                for change in ev["changes"]:
                    if change["field"] == "agency":
                        action["agency"] = change["agency"]


# ---- §7 evidence packs ---------------------------------------------------------------

PACK_MAGIC = "planledger evidence pack"
# §7.2: the pack versions; they differ only in the projection's shape (§7.3), which this verifier
# does not refold.
PACK_VERSIONS = (1, 2, 3)
HEADER_KEYS = {"pack", "pack_version", "format_version", "ledger_id", "scope", "as_of", "head", "events",
               "disclosed"}
DISCLOSED_KEYS = {"seq", "subject", "hash", "record", "texts"}
WITHHELD_KEYS = {"seq", "subject", "hash", "digest"}
SCOPE_KEYS = {"ledger": {"kind"}, "plan": {"kind", "plan"}, "action": {"kind", "plan", "action"}}
RFC3339_TEXT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6}|\.\d{9})?Z")


class PackFail(Exception):
    """The first thing in a pack that fails, with the step of §7.5 "Checking a pack" it fails."""

    def __init__(self, step: int, where: str, msg: str):
        super().__init__(f"§7.5 step {step}, {where}: {msg}")
        self.step, self.where, self.msg = step, where, msg


def odd_number(value) -> str | None:
    """§7.1: every number in a pack is a non-negative integer (json.dumps would write -1 or 1.0
    back as it read them, so the byte comparison alone does not refuse them)."""
    if isinstance(value, float) or (type(value) is int and value < 0):
        return json.dumps(value)
    if isinstance(value, dict):
        value = value.values()
    if isinstance(value, (list, type({}.values()))):
        return next((n for n in map(odd_number, value) if n is not None), None)
    return None


def canonical(obj) -> bytes:
    """§7's canonical form: compact, keys sorted, no escapes but those JSON requires (Python's
    json escapes exactly \\" \\\\ \\n \\r \\t \\b \\f and other controls as \\u00xx in lowercase
    with ensure_ascii=False; --self-test checks that against §7's wording)."""
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")


def rfc3339_micros(text) -> int | None:
    """§6 RFC 3339 text -> µs, or None unless it is exactly the spelling §6 gives for that instant."""
    if not isinstance(text, str) or not RFC3339_TEXT.fullmatch(text):
        return None
    frac = (text[19:-1] + "000000000")[1:10] if text[19] == "." else "0" * 9
    try:
        whole = datetime.fromisoformat(text[:19] + "+00:00")
    except ValueError:
        return None
    micros = (whole - EPOCH) // timedelta(microseconds=1) + int(frac) // 1000
    return micros if int(frac) % 1000 == 0 and rfc3339(micros) == text else None


def parse_ident(value, letter: str) -> int | None:
    if isinstance(value, str) and re.fullmatch(letter + r"[1-9][0-9]{0,9}", value) and int(value[1:]) < 2 ** 32:
        return int(value[1:])
    return None


class Pack:
    """A pack being checked, step by step (§7 "Checking a pack")."""

    def __init__(self, data: bytes):
        self.data = data
        self.lines: list[dict] = []  # every line, parsed
        self.events: list[dict] = []  # the event lines, seq = index
        self.decoded: dict[int, Decoded] = {}  # disclosed seq -> record
        self.texts: dict[int, list] = {}  # disclosed seq -> parse_texts() result
        self.subjects: list[tuple[int, int]] = []

    # -- step 1: parse, canonical form, header ----------------------------------------

    def step1(self):
        def fail(where, msg):
            raise PackFail(1, where, msg)
        try:
            self.data.decode("utf-8")
        except UnicodeDecodeError as e:
            fail(f"byte {e.start}", f"the pack is not UTF-8 ({e.reason})")
        if not self.data.endswith(b"\n"):
            fail("the end", "the last line does not end with \\n")
        raws = self.data[:-1].split(b"\n")
        for no, raw in enumerate(raws, 1):
            if not raw:
                fail(f"line {no}", "a blank line")
            try:
                obj = parse_json(raw.decode("utf-8"))
            except (ValueError, RecursionError) as e:
                fail(f"line {no}", f"not a JSON object: {e}")
            try:
                canon = canonical(obj)
            except UnicodeEncodeError:  # a \ud800-style escape of a lone surrogate: no UTF-8 for it
                fail(f"line {no}", "holds a lone surrogate escape, which the canonical UTF-8 form cannot")
            if canon != raw:
                at = next((i for i, (a, b) in enumerate(zip(canon, raw)) if a != b), min(len(canon), len(raw)))
                fail(f"line {no}", f"not in the canonical form (first difference at byte {at} of the line:"
                                   f" {raw[at:at + 12]!r}, canonical {canon[at:at + 12]!r})")
            number = odd_number(obj)
            if number is not None:
                fail(f"line {no}", f"not in the canonical form: the number {number} is not a non-negative integer")
            self.lines.append(obj)
        self.check_header()
        h = self.header
        # §7.6: a pack of version 3 ends with a checkpoint line after its projection.
        self.checkpoint = None
        if h["pack_version"] == 3:
            last = self.lines[-1]
            if set(last) != {"checkpoint"} or not isinstance(last["checkpoint"], str):
                fail(f"line {len(self.lines)}", "a pack of version 3 ends with {\"checkpoint\": TEXT}")
            self.checkpoint = self.lines.pop()["checkpoint"]
        if len(self.lines) != h["events"] + 2:
            fail("the file", f"{len(self.lines)} lines; a pack of {h['events']} events has {h['events'] + 2}"
                             " (header, the events, the projection)")
        self.events = self.lines[1:-1]
        if set(self.lines[-1]) != {"projection"}:
            fail(f"line {len(self.lines)}", "the last line is not {\"projection\": …}")
        disclosed = 0
        for seq, obj in enumerate(self.events):
            keys = set(obj)
            if keys not in (DISCLOSED_KEYS, WITHHELD_KEYS):
                fail(f"line {seq + 2}", f"keys {sorted(keys)} are neither a disclosed event's"
                                        f" {sorted(DISCLOSED_KEYS)} nor a withheld one's {sorted(WITHHELD_KEYS)}")
            disclosed += keys == DISCLOSED_KEYS
        if disclosed != h["disclosed"]:
            fail("line 1", f"disclosed is {h['disclosed']}, but {disclosed} event lines are disclosed")

    def check_header(self):
        h = self.header = self.lines[0]
        bad = lambda msg: PackFail(1, "line 1 (the header)", msg)
        if set(h) != HEADER_KEYS:
            raise bad(f"keys {sorted(h)} are not {sorted(HEADER_KEYS)}")
        if h["pack"] != PACK_MAGIC:
            raise bad(f"pack is {dump(h['pack'])[:60]}, not \"{PACK_MAGIC}\"")
        if type(h["pack_version"]) is not int or h["pack_version"] not in PACK_VERSIONS:
            raise bad(f"pack_version {dump(h['pack_version'])} is not 1, 2 or 3, the ones this verifier knows")
        if type(h["format_version"]) is not int or h["format_version"] != 2:
            raise bad(f"format_version {dump(h['format_version'])} is not 2")
        if not is_hex(h["ledger_id"], 16):
            raise bad("ledger_id is not 16 bytes of lowercase hex")
        scope = h["scope"]
        if not isinstance(scope, dict) or not isinstance(scope.get("kind"), str) or \
                scope["kind"] not in SCOPE_KEYS or set(scope) != SCOPE_KEYS[scope["kind"]]:
            raise bad(f"scope {dump(scope)[:80]} is not a ledger, plan or action scope")
        self.scope_plan = parse_ident(scope.get("plan"), "P") if "plan" in scope else 0
        self.scope_action = parse_ident(scope.get("action"), "A") if "action" in scope else 0
        if self.scope_plan is None or self.scope_action is None:
            raise bad(f"scope {dump(scope)} does not name a plan \"P<n>\" (and action \"A<n>\")")
        for key, keys in (("as_of", {"seq", "hash", "recorded_at"}), ("head", {"seq", "hash"})):
            v = h[key]
            if not isinstance(v, dict) or set(v) != keys or not is_u64(v["seq"]) or not is_hex(v["hash"], 32):
                raise bad(f"{key} is not {{{', '.join(sorted(keys))}}} with a u64 seq and 32 bytes of hex")
        self.as_of_micros = rfc3339_micros(h["as_of"]["recorded_at"])
        if self.as_of_micros is None:
            raise bad(f"as_of.recorded_at {dump(h['as_of']['recorded_at'])[:40]} is not RFC 3339 as §6 spells it")
        if h["as_of"]["seq"] > h["head"]["seq"]:
            raise bad(f"as_of.seq {h['as_of']['seq']} is after head.seq {h['head']['seq']}")
        if type(h["events"]) is not int or h["events"] != h["head"]["seq"] + 1:
            raise bad(f"events is {dump(h['events'])}, not head.seq + 1 = {h['head']['seq'] + 1}")
        if not is_u64(h["disclosed"]):
            raise bad("disclosed is not a count")

    # -- step 2: the chain ----------------------------------------------------------------

    def step2(self):
        prev = ZERO_HASH
        for seq, obj in enumerate(self.events):
            fail = lambda msg: PackFail(2, f"line {seq + 2} (seq {seq})", msg)
            if obj["seq"] != seq or type(obj["seq"]) is not int:
                raise fail(f"seq is {dump(obj['seq'])}; the event lines must count from 0 with no gap")
            subject = parse_subject(obj["subject"])
            if subject is None:
                raise fail(f"subject {dump(obj['subject'])[:80]} is not {{\"plan\", \"action\"}} as §6 gives it")
            self.subjects.append(subject)
            if not is_hex(obj["hash"], 32):
                raise fail("hash is not 32 bytes of lowercase hex")
            if "record" in obj:
                if not is_hex(obj["record"], None):
                    raise fail("record is not lowercase hex")
                digest = record_digest(bytes.fromhex(obj["record"]))
            elif is_hex(obj["digest"], 32):
                digest = bytes.fromhex(obj["digest"])
            else:
                raise fail("digest is not 32 bytes of lowercase hex")
            actual = event_hash(prev, seq, *subject, digest)
            if actual.hex() != obj["hash"]:
                raise fail(f"hash {obj['hash'][:16]}… is not the one §4 gives from the previous hash, the"
                           f" subject and the {'record' if 'record' in obj else 'stated digest'}"
                           f" ({actual.hex()[:16]}…)")
            prev = actual
        h = self.header
        if self.events[-1]["hash"] != h["head"]["hash"]:
            raise PackFail(2, "line 1 (the header)", f"head.hash {h['head']['hash'][:16]}… is not the last"
                                                     f" event's hash {self.events[-1]['hash'][:16]}…")
        if self.events[h["as_of"]["seq"]]["hash"] != h["as_of"]["hash"]:
            raise PackFail(2, "line 1 (the header)", f"as_of.hash {h['as_of']['hash'][:16]}… is not the hash of"
                                                     f" event {h['as_of']['seq']}")

    # -- step 3: disclosed records and their texts ------------------------------------------

    def disclosed(self, seq: int) -> bool:
        return 0 <= seq < len(self.events) and "record" in self.events[seq]

    def step3(self):
        for seq, obj in enumerate(self.events):  # decode every disclosed record first
            if "record" in obj:
                try:
                    self.decoded[seq] = decode_record(bytes.fromhex(obj["record"]), 2)
                except Bad as e:
                    raise PackFail(3, f"line {seq + 2} (seq {seq})", f"record does not decode: {e}") from None
        if not self.disclosed(0):
            raise PackFail(3, "line 2 (seq 0)", "the genesis is withheld (§7.4 rule 1: it must be disclosed)")
        genesis = self.decoded[0]
        if genesis.type in GENESIS and genesis.event["ledger_id"] != self.header["ledger_id"]:
            raise PackFail(3, "line 2 (seq 0)", f"the genesis names ledger_id {genesis.event['ledger_id']}, the"
                                                f" header {self.header['ledger_id']}")
        prev_seq = None
        for seq, dec in self.decoded.items():
            fail = lambda msg: PackFail(3, f"line {seq + 2} (seq {seq})", msg)
            texts, problems = parse_texts(self.events[seq]["texts"], dec)
            if problems:
                raise fail(problems[0])
            self.texts[seq] = texts
            for slot, text in zip(dec.slots, texts):
                if text[0] == "erased" and text[1] >= len(self.events):
                    raise fail(f"text {slot.index} ({slot.name}) is erased by event {text[1]}, which is after"
                               " the pack's head")
                if text[0] == "erased" and not self.disclosed(text[1]):
                    raise fail(f"text {slot.index} ({slot.name}) is erased by event {text[1]}, which the pack"
                               " withholds (§7.5 step 3, §7.4 rule 4: it must be disclosed)")
                if text[0] == "erased":
                    problem = check_erasure(seq, slot, text[1], self.decoded[text[1]])
                    if problem:
                        raise fail(problem)
            # §5 step 5 as far as the disclosed events show it.
            problems = self.envelope_across(seq, dec.rec, prev_seq)
            if problems:
                raise fail(problems[0])
            src = dec.rec["source"]
            if src is not None and (src["import_seq"] >= seq or (
                    src["import_seq"] in self.decoded and self.decoded[src["import_seq"]].type != "SourceImported")):
                raise fail(f"source.import_seq {src['import_seq']} does not name an earlier SourceImported event")
            prev_seq = seq
        for seq, dec in self.decoded.items():  # each disclosed Redacted erased what it names
            if dec.type == "Redacted":
                n = dec.event["event"]
                # A withheld named event is step 4's (rule 4 then does not require this one).
                problems = check_redacted(seq, dec, self.decoded.get(n), self.texts.get(n),
                                          withheld=0 <= n < seq and not self.disclosed(n))
                if problems:
                    raise PackFail(3, f"line {seq + 2} (seq {seq})", problems[0])

    def envelope_across(self, seq: int, rec: dict, prev_seq: int | None) -> list[str]:
        """§5 step 5 between this disclosed event and the previous disclosed one, perhaps with
        withheld events between: recorded_at never decreases; tx numbers rise by at most one an
        event; a transaction's events are contiguous and share actor, recorded_at and clock."""
        if prev_seq is None or prev_seq == seq - 1:
            return envelope(seq, rec, None if prev_seq is None else self.decoded[prev_seq].rec, 2)
        out = envelope(seq, rec, None, 2)
        prev = self.decoded[prev_seq].rec
        if rec["recorded_at"] < prev["recorded_at"]:
            out.append(f"recorded_at {rec['recorded_at']} is before event {prev_seq}'s {prev['recorded_at']}")
        if not 0 <= rec["tx"] - prev["tx"] <= seq - prev_seq:
            out.append(f"tx {rec['tx']} cannot follow event {prev_seq}'s tx {prev['tx']} {seq - prev_seq} events later")
        elif rec["tx"] == prev["tx"]:
            out += [f"{k} differs from event {prev_seq} of the same tx {rec['tx']}"
                    for k in ("actor", "recorded_at", "clock") if rec[k] != prev[k]]
        return out

    # -- step 4: subjects and the disclosure rule -----------------------------------------

    def in_scope(self, subject) -> bool:
        """§7 rule 2's scope (the seq ≤ as_of part is the caller's)."""
        kind = self.header["scope"]["kind"]
        if kind == "ledger":
            return True
        if kind == "plan":
            return subject[0] == self.scope_plan
        return subject[1] == self.scope_action or subject == (self.scope_plan, 0)

    def step4(self):
        """The as-of event; the disclosure rule, both ways (the stated subjects are bound by the
        chain, step 2); then every disclosed subject is the one §4 gives by the disclosed history."""
        s, where = self.header["as_of"]["seq"], "line 1 (the header)"
        if s != 0 and not self.in_scope(self.subjects[s]):
            raise PackFail(4, where, f"the as-of event {s} is neither the genesis nor in scope (its subject is"
                                     f" {show_subject(self.subjects[s])}; §7.4)")
        if s in self.decoded and self.decoded[s].rec["recorded_at"] != self.as_of_micros:
            raise PackFail(4, where, f"as_of.recorded_at {self.header['as_of']['recorded_at']} is not the as-of"
                                     f" event's, {rfc3339(self.decoded[s].rec['recorded_at'])}")
        # The disclosure rule (§7.4): what must be disclosed, and why.
        required = {0: "rule 1: it is the genesis"}
        for seq, subject in enumerate(self.subjects):
            if seq <= s and self.in_scope(subject):
                required.setdefault(seq, f"rule 2: its subject {show_subject(subject)} is in scope, at or before as_of {s}")
        grown = True
        while grown:  # rules 3 and 4 close over what is required
            grown = False
            for seq in sorted(required):
                dec = self.decoded.get(seq)
                if dec is not None and dec.rec["source"] is not None and dec.rec["source"]["import_seq"] not in required:
                    required[dec.rec["source"]["import_seq"]] = f"rule 3: event {seq}'s source names it"
                    grown = True
                for slot, text in zip(dec.slots if dec else [], self.texts.get(seq, [])):
                    if text[0] == "erased" and text[1] not in required:
                        required[text[1]] = f"rule 4: it erased text {slot.index} of event {seq}"
                        grown = True
            for seq, dec in self.decoded.items():
                if dec.type == "Redacted" and seq not in required and dec.event["event"] in required:
                    required[seq] = f"rule 4: it is a Redacted event naming event {dec.event['event']}, which is disclosed"
                    grown = True
        for seq, subject in enumerate(self.subjects):
            where = f"line {seq + 2} (seq {seq})"
            if seq in required and not self.disclosed(seq):
                raise PackFail(4, where, f"withheld, but must be disclosed ({required[seq]}): the pack is incomplete")
            if seq not in required and self.disclosed(seq):
                raise PackFail(4, where, f"disclosed, but no rule of §7.4 requires it (subject {show_subject(subject)},"
                                         f" as_of {s}): the pack says more than it should")
        subjects = Subjects()
        for seq, dec in self.decoded.items():  # every disclosed subject is §4's, by the disclosed history
            fail = lambda msg: PackFail(4, f"line {seq + 2} (seq {seq})", msg)
            n = dec.event["event"] if dec.type == "Redacted" else None
            want, why = subjects.expected(dec, self.subjects[n] if n is not None and n < seq else None)
            if why:
                raise fail(f"subject: {why} in the disclosed history")
            if want != self.subjects[seq]:
                raise fail(f"subject is {show_subject(self.subjects[seq])}; §4 gives {dec.type} {show_subject(want)}")
            problem = subjects.fold(dec)
            if problem:
                raise fail(problem)
        self.check_scope(subjects)

    def check_scope(self, subjects: Subjects):
        """An action pack's action, where its ActionAdded is disclosed, is an action of the scope's
        plan (§7.2 names both; a pack whose two disagree scopes nothing consistent)."""
        scope = self.header["scope"]
        plan = subjects.plan_of.get(self.scope_action) if scope["kind"] == "action" else None
        if plan is not None and plan != self.scope_plan:
            raise PackFail(4, "line 1 (the header)", f"scope names {scope['action']} of {scope['plan']}, but"
                                                     f" {scope['action']} is an action of P{plan}")

    # -- step 5, in part: the projection's head and day ----------------------------------------

    def step5_in_part(self):
        """§7.3: the projection's `head` is the as-of event and its `as_of_day` the UTC date of
        as_of.recorded_at. The folded plans are not checked: this verifier does not refold."""
        proj, as_of = self.lines[-1]["projection"], self.header["as_of"]
        where = f"line {len(self.lines)} (the projection)"
        if not isinstance(proj, dict) or not {"as_of_day", "head", "plans"} <= set(proj):
            raise PackFail(5, where, "the projection is not an object with as_of_day, head and plans")
        if proj["head"] != {"seq": as_of["seq"], "hash": as_of["hash"]}:
            raise PackFail(5, where, f"projection head {dump(proj['head'])[:100]} is not the as-of event")
        if proj["as_of_day"] != utc_date(self.as_of_micros):
            raise PackFail(5, where, f"projection as_of_day {dump(proj['as_of_day'])} is not the day of"
                                     f" as_of.recorded_at, {utc_date(self.as_of_micros)}")


# ---- §12 checkpoints, as a pack of version 3 carries one (§7.6) ------------------------------

CHECKPOINT_CONTEXT = "planledger 2026 checkpoint v1"
KEY_ID_CONTEXT = "planledger 2026 key v1"
CHECKPOINT_FIRST = "planledger checkpoint v1"


def mark_seqs(head: int) -> list[int]:
    """§12.2: M(H) = {0 if H > 0} ∪ {2^k < H} ∪ {H - 2^k ≥ 0}, ascending."""
    seqs = {0} if head > 0 else set()
    k = 1
    while k < head:
        seqs.add(k)
        k *= 2
    k = 1
    while k <= head:
        seqs.add(head - k)
        k *= 2
    return sorted(seqs)


def check_checkpoint(text: str, ledger_id: str, head_seq: int, head_hash: str, hash_at,
                     recorded_at) -> tuple[str | None, list[str]]:
    """§12 and §7.6: the first fault of a pack's checkpoint (or None), and who signed it.
    `hash_at(seq)` is the chain's hash at seq, in hex; `recorded_at` the head's recorded time in
    microseconds where the pack discloses the head, else None."""
    if not text.endswith("\n"):
        return "its text does not end with a line feed", []
    lines = text[:-1].split("\n")
    if lines[0] != CHECKPOINT_FIRST:
        return f"its first line is not {CHECKPOINT_FIRST!r}", []
    fields = []
    for no, line in enumerate(lines[1:], start=2):
        label, value = line[:12].rstrip(" "), line[12:]
        if not label or len(label) > 11 or line != f"{label:<12}{value}" or not value or \
                value != value.strip(" ") or "\t" in line:
            return f"line {no} is not a label padded to 12 columns and a value", []
        fields.append((no, label, value))
    want = [("ledger", ledger_id), ("format", "2"), ("seq", str(head_seq)), ("hash", head_hash)]
    for (no, label, value), (wanted_label, wanted) in zip(fields, want):
        if label != wanted_label or value != wanted:
            return f"line {no}: {label} {value!r} is not the pack's {wanted_label} {wanted!r}", []
    if len(fields) < 5 or fields[4][1] != "recorded" or rfc3339_micros(fields[4][2]) is None:
        return "its fifth line is not a recorded time", []
    if recorded_at is not None and rfc3339_micros(fields[4][2]) != recorded_at:
        return f"it says the head was recorded {fields[4][2]}, not when the pack's head was", []
    rest = fields[5:]
    marks = []
    while rest and rest[0][1] == "marks":
        marks.extend(rest[0][2].split(" "))
        rest = rest[1:]
    seqs = mark_seqs(head_seq)
    if len(marks) != len(seqs):
        return f"it holds {len(marks)} marks, not the {len(seqs)} of §12.2", []
    for mark, seq in zip(marks, seqs):
        if mark != f"{seq}:{hash_at(seq)[:16]}":
            return f"mark {mark!r} is not seq {seq}'s hash prefix in this pack", []
    statement = "".join(line + "\n" for line in lines[:6 + (len(fields) - 5 - len(rest))])
    if not rest or len(rest) % 5:
        return "its signatures are not blocks of five lines", []
    signers, identities = [], []
    for i in range(0, len(rest), 5):
        block = rest[i:i + 5]
        labels = [b[1] for b in block]
        role = "signer" if i == 0 else "witness"
        if labels != [role, "key", "fingerprint", "signature", "signature"]:
            return f"line {block[0][0]}: the block {labels} is not a {role}'s", []
        name, key, fingerprint, r, s_half = (b[2] for b in block)
        if not is_hex(key, 32) or not is_hex(r, 32) or not is_hex(s_half, 32):
            return f"line {block[1][0]}: a key or signature is not lower-case hex of 32 bytes", []
        if fingerprint != derive(KEY_ID_CONTEXT, bytes.fromhex(key)).hex()[:16]:
            return f"line {block[2][0]}: the fingerprint is not the key's", []
        if key in (k for k, _ in identities):
            return f"line {block[1][0]}: a key signs a checkpoint once", []
        own = f"{role:<12}{name}\n{'key':<12}{key}\n{'fingerprint':<12}{fingerprint}\n"
        signed = statement + (identities[0][1] if identities else "") + own
        message = derive(CHECKPOINT_CONTEXT, signed.encode("utf-8"))
        problem = signature_problem(bytes.fromhex(key), message, bytes.fromhex(r + s_half))
        if problem == UNCHECKED:
            return UNCHECKED, []
        if problem:
            return f"the {role} {name!r}'s signature: {problem}", []
        identities.append((key, own))
        signers.append(f"{role} {name} (key {fingerprint})")
    return None, signers


def verify_pack(data: bytes) -> Pack:
    """Check a pack (§7 steps 1-4); raises PackFail naming the first thing that fails."""
    pack = Pack(data)
    pack.step1()
    pack.step2()
    pack.step3()
    pack.step4()
    pack.step5_in_part()
    pack.signers = []
    if pack.checkpoint is not None:
        h = pack.header
        head = h["head"]["seq"]
        disclosed_head = pack.decoded.get(head)
        problem, pack.signers = check_checkpoint(
            pack.checkpoint, h["ledger_id"], head, h["head"]["hash"],
            lambda seq: pack.events[seq]["hash"],
            None if disclosed_head is None else disclosed_head.rec["recorded_at"])
        if problem == UNCHECKED:
            pack.signers = None
        elif problem:
            raise PackFail(3, f"line {len(pack.lines) + 1} (the checkpoint)", problem)
    return pack


def report_pack(data: bytes) -> int:
    try:
        pack = verify_pack(data)
    except PackFail as e:
        print(f"FAILED: {e}")
        return 3
    h = pack.header
    scope = h["scope"]
    print(f"OK: evidence pack of {' '.join([scope['kind']] + [scope[k] for k in ('plan', 'action') if k in scope])}"
          f" for ledger {h['ledger_id']}: {h['events']} events, {h['disclosed']} disclosed")
    print(f"  head  {h['head']['seq']} {h['head']['hash']}")
    print(f"  as_of {h['as_of']['seq']} {h['as_of']['hash']} {h['as_of']['recorded_at']}")
    print("  checked: form and header, the chain to head and as_of, every disclosed record and text, the as-of"
          " event, the disclosure rule, subjects (§7.5 steps 1-4); the projection's head and as_of_day")
    print("  NOT checked: the projection's plans (§7.5 step 5: this verifier does not refold); nor that this"
          " head is the ledger's latest: compare it with a head recorded elsewhere")
    if pack.checkpoint is not None and pack.signers is None:
        print("  NOT checked: the signatures of the pack's checkpoint: the `cryptography` package is missing")
        return 4
    for signer in pack.signers or []:
        print(f"  checkpoint: {signer}: signature checked, vouching for the head (§7.6, §12)")
    return 0


# ---- --self-test: mutations of the golden export, and of packs built from it ------------

class Skip(Exception):
    """The file has nothing this case needs (say, no erased text), or the change it would make
    gives a pack that is as valid as the one it changed."""

    def __init__(self, why="nothing in this pack for it"):
        super().__init__(why)

    @staticmethod
    def unless(condition, why):
        if not condition:
            raise Skip(why)
        return None  # any step may catch it


def encode(objs: list[dict]) -> list[bytes]:
    return [json.dumps(o, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8") for o in objs]


def rechain(objs: list[dict], k: int, version: int) -> None:
    """Recompute digest (format 2), prev and hash from line k on, so only the other checks can object."""
    for i in range(k, len(objs)):
        o, prev = objs[i], bytes.fromhex(objs[i - 1]["hash"]) if i else ZERO_HASH
        record = bytes.fromhex(o["record"])
        o["prev"] = prev.hex()
        if version == 1:
            o["hash"] = event_hash_v1(prev, o["seq"], record).hex()
        else:
            o["digest"] = record_digest(record).hex()
            o["hash"] = event_hash(prev, o["seq"], *parse_subject(o["subject"]), bytes.fromhex(o["digest"])).hex()


def flip(hex_text: str, i: int) -> str:
    return hex_text[:i] + ("1" if hex_text[i] == "0" else "0") + hex_text[i + 1:]


class Golden:
    """The golden export, decoded, with the lines the cases aim at."""

    def __init__(self, lines: list[bytes]):
        self.objs = [json.loads(line) for line in lines]
        self.version = verify_export(lines)[3]
        self.decs = [decode_record(bytes.fromhex(o["record"]), self.version) for o in self.objs]
        self.k = len(self.objs) // 2
        texts = lambda o: o.get("texts") or []
        self.k_text = self.first(lambda i, o: any("words" in t for t in texts(o)))
        self.k_erased = self.first(lambda i, o: any("erased_by" in t for t in texts(o)))
        self.k_redacted = self.first(lambda i, o: self.decs[i].type == "Redacted")
        self.k_status = self.first(lambda i, o: self.decs[i].type == "StatusChanged")
        # §13: the first and last RequestSigned, and a text in a signed transaction.
        requests = [i for i, d in enumerate(self.decs) if d.type == "RequestSigned"]
        self.k_request = requests[0] if requests else None
        self.k_request_last = requests[-1] if requests else None
        self.k_signed_text = self.first(lambda i, o: self.request_of(i) not in (None, i) and texts(o)
                                        and "words" in texts(o)[0])
        self.k_agency_note = self.first(lambda i, o: self.request_of(i) not in (None, i) and
                                        self.decs[i].type == "MilestoneNoted")
        self.k_actor_added = self.first(lambda i, o: self.decs[i].type == "ActorAdded" and i > 1 + (self.k_request or 0))

    def request_of(self, i):
        """The seq of the RequestSigned of line i's transaction, if it is signed."""
        tx = self.decs[i].rec["tx"]
        return next((j for j in range(i, -1, -1) if self.decs[j].rec["tx"] == tx and self.decs[j].type == "RequestSigned"),
                    None)

    def first(self, pred):
        return next((i for i, o in enumerate(self.objs) if pred(i, o)), None)

    def need(self, k):
        if k is None:
            raise Skip("the file has no line for it")
        return k

    def record(self, objs, k, change, rechain_from=None):
        """Change line k's record bytes in place and re-chain, so the record itself must be refused."""
        rec = bytearray.fromhex(objs[k]["record"])
        change(rec, self.decs[k])
        objs[k]["record"] = rec.hex()
        rechain(objs, k if rechain_from is None else rechain_from, self.version)
        return k


def actor_at(dec: Decoded) -> int:
    return 28 if dec.rec["clock"]["kind"] == "held_at_head" else 20  # tx, recorded_at, clock (+ clock_read)


def set_text(objs, k, slot, value):
    objs[k]["texts"][slot] = value


# Each case changes the parsed lines `o` (a copy) of golden `g` and returns the seq at which the
# verifier must report its first problem. v2: only for format 2 exports.
EXPORT_CASES = [
    ("flip a record hex digit (chain not repaired)", 1,
     lambda o, g: o[g.k].update(record=flip(o[g.k]["record"], len(o[g.k]["record"]) // 2)) or g.k),
    ("flip a hash hex digit", 1, lambda o, g: o[g.k].update(hash=flip(o[g.k]["hash"], 10)) or g.k),
    ("flip a prev hex digit", 1, lambda o, g: o[g.k].update(prev=flip(o[g.k]["prev"], 10)) or g.k),
    ("drop a line", 1, lambda o, g: o.pop(g.k) and g.k),
    ("swap two lines", 1, lambda o, g: o.insert(g.k + 1, o.pop(g.k)) or g.k),
    ("JSON actor differs from the record", 1, lambda o, g: o[g.k].update(actor=o[g.k]["actor"] + "!") or g.k),
    ("JSON recorded_at spelled +00:00", 1,
     lambda o, g: o[g.k].update(recorded_at=o[g.k]["recorded_at"].replace("Z", "+00:00")) or g.k),
    ("record: a trailing 00, re-chained", 1, lambda o, g: g.record(o, g.k, lambda r, d: r.append(0))),
    ("record: one byte short, re-chained", 1, lambda o, g: g.record(o, g.k, lambda r, d: r.pop())),
    ("record: unknown ClockNote index, re-chained", 1,
     lambda o, g: g.record(o, g.k, lambda r, d: r.__setitem__(16, 9))),
    ("record: bad Option tag (effective), re-chained", 1, lambda o, g: g.record(
        o, g.k, lambda r, d: r.__setitem__(actor_at(d) + 8 + len(d.rec["actor"].encode()), 2))),
    ("record: invalid UTF-8 in the actor, re-chained", 1,
     lambda o, g: g.record(o, g.k, lambda r, d: r.__setitem__(actor_at(d) + 8, 0xff))),
    ("record: actor length beyond the record, re-chained", 1, lambda o, g: g.record(
        o, g.k, lambda r, d: r.__setitem__(slice(actor_at(d), actor_at(d) + 8), (1 << 40).to_bytes(8, "little")))),
    ("record: unknown Event variant, re-chained", 1, lambda o, g: g.record(
        o, g.k, lambda r, d: r.__setitem__(slice(d.event_offset, d.event_offset + 4),
                                           VARIANTS[g.version].to_bytes(4, "little")))),
    ("record: recorded_at before the previous event's, re-chained (JSON to match)", 1, lambda o, g: g.record(
        o, g.k, lambda r, d: (r.__setitem__(slice(8, 16), (d.rec["recorded_at"] - 10 ** 9).to_bytes(8, "little")),
                              o[g.k].update(recorded_at=rfc3339(d.rec["recorded_at"] - 10 ** 9),
                                            recorded_at_micros=d.rec["recorded_at"] - 10 ** 9)))),
    # Format 2: digests, subjects, texts and redaction.
    ("digest field altered", 2, lambda o, g: o[g.k].update(digest=flip(o[g.k]["digest"], 3)) or g.k),
    ("subject altered, chain not repaired", 2,
     lambda o, g: o[g.k].update(subject={"plan": "P7", "action": None}) or g.k),
    ("subject altered, re-chained (§4's table refuses it)", 2,
     lambda o, g: (o[g.k].update(subject={"plan": "P7", "action": o[g.k]["subject"]["action"]}),
                   rechain(o, g.k, 2)) and g.k),
    ("a text's words changed", 2, lambda o, g: next(
        t.update(words=t["words"] + ".") for t in o[g.need(g.k_text)]["texts"] if "words" in t) or g.k_text),
    ("a text's salt changed", 2, lambda o, g: next(
        t.update(salt=flip(t["salt"], 0)) for t in o[g.need(g.k_text)]["texts"] if "words" in t) or g.k_text),
    ("a commitment byte flipped, re-chained", 2, lambda o, g: g.record(
        o, g.need(g.k_text), lambda r, d: r.__setitem__(d.slots[0].offset, r[d.slots[0].offset] ^ 1))),
    ("texts: one entry too many", 2, lambda o, g: o[g.need(g.k_text)]["texts"].append(
        dict(o[g.k_text]["texts"][0])) or g.k_text),
    ("texts: an entry with both words and erased_by", 2,
     lambda o, g: o[g.need(g.k_text)]["texts"][0].update(erased_by=0) or g.k_text),
    ("a text marked erased by a Redacted event that names another event", 2,
     lambda o, g: set_text(o, g.need(g.k_text), 0, {"erased_by": g.need(g.k_redacted)}) or g.k_text),
    ("an erased_by changed", 2,
     lambda o, g: o[g.need(g.k_erased)]["texts"][0].update(erased_by=g.k_erased + 1) or g.k_erased),
    ("an erased text shown as words (guessed salt)", 2,
     lambda o, g: set_text(o, g.need(g.k_erased), 0, {"salt": "00" * 16, "words": "guess"}) or g.k_erased),
    ("an erased text's redacted-on line altered in the JSON", 2,
     lambda o, g: o[g.need(g.k_erased)]["event"].update(
         {g.decs[g.k_erased].slots[0].name: "redacted on 1999-01-01 by X: Y"}) or g.k_erased),
    ("the Redacted event's JSON reason differs", 2,
     lambda o, g: o[g.need(g.k_redacted)]["event"].update(reason="other") or g.k_redacted),
    ("the Redacted event names another slot, re-chained", 2, lambda o, g: g.record(
        o, g.need(g.k_redacted), lambda r, d: r.__setitem__(slice(-len(d.event["reason"].encode()) - 12,
                                                               -len(d.event["reason"].encode()) - 8),
                                                         (d.event["slots"][-1] + 1).to_bytes(4, "little")))
     and g.need(g.k_erased)),
    ("the Redacted event dropped", 2, lambda o, g: o.pop(g.need(g.k_redacted)) and g.need(g.k_erased)),
    ("a StatusChanged for an action never added, re-chained", 2, lambda o, g: (
        g.record(o, g.need(g.k_status), lambda r, d: r.__setitem__(
            slice(d.event_offset + 4, d.event_offset + 8), (999).to_bytes(4, "little"))),
        o[g.k_status]["event"].update(action="A999"),
        o[g.k_status].update(subject={"plan": o[g.k_status]["subject"]["plan"], "action": "A999"}),
        rechain(o, g.k_status, 2)) and g.k_status),
]


# §13: the seeds of the golden keys (32 bytes each of one value), so that cases can sign again.
GOLDEN_SEEDS = (0xa1, 0xa2, 0xa3, 0xa4, 0xb1, 0xb2)


def public_of(private) -> bytes:
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def golden_private(key: bytes):
    """The private key of a golden public key."""
    if Ed25519PrivateKey is None:
        raise Skip("needs the `cryptography` package to sign again")
    for seed in GOLDEN_SEEDS:
        private = Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
        if public_of(private) == key:
            return private
    raise Skip("the request's key is not one of the golden keys")


def request_signed(objs, g: Golden, k: int, key=None, request=None, signature=None) -> int:
    """Line k's RequestSigned with a new key, request or signature (§13.1: key ‖ u64 length ‖ request ‖
    R ‖ s after the variant index), its JSON to match, re-chained."""
    dec, ev = g.decs[k], g.decs[k].event
    key = key or bytes.fromhex(ev["key"])
    request = bytes.fromhex(ev["request"]) if request is None else request
    signature = signature or bytes.fromhex(ev["signature"])
    head = bytes.fromhex(objs[k]["record"])[:dec.event_offset + 4]
    objs[k]["record"] = (head + key + len(request).to_bytes(8, "little") + request + signature).hex()
    objs[k]["event"].update(key=key.hex(), request=request.hex(), signature=signature.hex())
    rechain(objs, k, 2)
    return k


def sign_again(objs, g: Golden, k: int, change, key: bytes | None = None) -> int:
    """Change line k's request bytes in place (§13.2 offsets) and sign it again with its own golden key,
    or with `key`'s, which the request then names too (at offset 16 + its head_seen)."""
    request = bytearray.fromhex(g.decs[k].event["request"])
    change(request)
    private = golden_private(key or bytes.fromhex(g.decs[k].event["key"]))
    if key is not None:
        at = 17 + (40 if request[16] else 0)
        request[at:at + 32] = key
    signature = private.sign(derive(REQUEST_CONTEXT, bytes(request)))
    return request_signed(objs, g, k, key=public_of(private), request=bytes(request), signature=signature)


def signed_text_changed(o, g: Golden) -> int:
    """A text of a signed event given new words and salt, and its commitment to match: every check
    of §3.4 passes, but the request committed to another text (§13.5 rule 11)."""
    k = g.need(g.k_signed_text)
    slot, salt, words = g.decs[k].slots[0], bytes(16), "words the signer never signed"
    rec = bytearray.fromhex(o[k]["record"])
    rec[slot.offset:slot.offset + 32] = text_commitment(salt, words)
    o[k]["record"] = rec.hex()
    o[k]["texts"][0] = {"salt": salt.hex(), "words": words}
    o[k]["event"][slot.name] = words
    rechain(o, k, 2)
    return g.request_of(k)


def request_dropped(o, g: Golden) -> int:
    """The last RequestSigned removed and the lines after it numbered down: its transaction is unsigned."""
    k = g.need(g.k_request_last)
    o.pop(k)
    for line in o[k:]:
        line["seq"] -= 1
    rechain(o, k, 2)
    return k


def request_replayed(o, g: Golden) -> int:
    """The last signed transaction copied to the end as the next transaction (its record's tx, bytes
    0-7, and the JSON to match), re-chained: the same request carried out twice (rule 4)."""
    k = g.need(g.k_request_last)
    tx, n = g.decs[k].rec["tx"] + 1, len(o)
    for i, line in enumerate(json.loads(json.dumps(o[k:]))):
        rec = bytearray.fromhex(line["record"])
        rec[0:8] = tx.to_bytes(8, "little")
        line.update(seq=n + i, tx=tx, record=rec.hex())
        o.append(line)
    rechain(o, n, 2)
    return n


def role_changed(o, g: Golden) -> int:
    """The agency role of the adopting request named another agency (same length), in the request and
    its ActorAdded, the request signed again: the agency's note is then on another agency's action."""
    k, note = g.need(g.k_request), g.need(g.k_agency_note)
    old = next((r for d in g.decs for r in (d.event.get("roles") or []) if r.startswith("agency:")), None)
    if old is None:
        raise Skip("the file has no agency role")
    new = "agency:" + old[len("agency:"):].swapcase()[:-1] + "Z"
    if same_name(old, new):
        raise Skip("could not make a different agency name")
    a, b = old[len("agency:"):].encode(), new[len("agency:"):].encode()
    for i in range(k + 1, note):
        if old in (g.decs[i].event.get("roles") or []):
            o[i]["record"] = bytes.fromhex(o[i]["record"]).replace(a, b).hex()
            o[i]["event"]["roles"] = [new if r == old else r for r in o[i]["event"]["roles"]]
    sign_again(o, g, k, lambda r: r.__setitem__(slice(0, len(r)), bytes(r).replace(a, b)))
    # The note's request saw a head the change above re-chained: it is signed again for the new one.
    sign_again(o, g, g.request_of(note), lambda r: r.__setitem__(slice(25, 57), bytes.fromhex(
        o[int.from_bytes(r[17:25], "little")]["hash"])) if r[16] else None)
    return note


def old_key_signs(o, g: Golden) -> int:
    """The last request signed again with the key its signer rotated away (rule 8)."""
    k = g.need(g.k_request_last)
    rotated = [d for d in g.decs[:k] if d.type == "KeyRotated" and d.event["name"] == g.decs[k].rec["actor"]]
    if not rotated:
        raise Skip("its signer never rotated a key")
    added = next(d for d in g.decs if d.type == "ActorAdded" and d.event["name"] == rotated[0].event["name"])
    return sign_again(o, g, k, lambda r: None, key=bytes.fromhex(added.event["key"]))


# §13: tampering with signed transactions. Each returns the seq of the first problem.
SIGNED_CASES = [
    ("a RequestSigned's signature: one digit of s changed, re-chained", 2, lambda o, g: request_signed(
        o, g, g.need(g.k_request), signature=bytes.fromhex(flip(g.decs[g.k_request].event["signature"], 70)))
     if Ed25519PublicKey else Skip.unless(False, "needs the `cryptography` package")),
    ("a RequestSigned's key swapped for another's, re-chained", 2, lambda o, g: request_signed(
        o, g, g.need(g.k_request_last), key=bytes.fromhex(g.decs[g.need(g.k_request)].event["key"]))),
    ("an ActorAdded's key changed, re-chained (not what its command drafts)", 2, lambda o, g: g.record(
        o, g.need(g.k_actor_added), lambda r, d: r.__setitem__(slice(-32, None), bytes.fromhex(
            g.decs[g.k_request].event["key"])))),
    ("a signed event's text and commitment changed together, re-chained", 2, signed_text_changed),
    ("the last RequestSigned dropped, numbered down, re-chained", 2, request_dropped),
    ("the last signed transaction carried out again at the end", 2, request_replayed),
    ("head_seen's hash altered, signed again", 2, lambda o, g: sign_again(
        o, g, g.need(g.k_request), lambda r: r.__setitem__(30, r[30] ^ 1) if r[16] else (_ for _ in ()).throw(
            Skip("the first request saw no head")))),
    ("the request's ledger_id altered, signed again", 2, lambda o, g: sign_again(
        o, g, g.need(g.k_request), lambda r: r.__setitem__(0, r[0] ^ 1))),
    ("the agency's role names another agency, signed again", 2, role_changed),
    ("the last request signed with a key rotated away", 2, old_key_signs),
]


def upgraded_genesis(objs: list[dict], g: Golden) -> None:
    """Make the genesis a LedgerUpgraded (§3.3 index 14, which the golden file lacks), re-chained."""
    dec, ev = g.decs[0], g.decs[0].event
    rec = bytes.fromhex(objs[0]["record"])[:dec.event_offset] + (14).to_bytes(4, "little") + \
        bytes.fromhex(ev["ledger_id"]) + (2).to_bytes(4, "little") + bytes.fromhex("ab" * 16) + \
        (1).to_bytes(4, "little") + bytes.fromhex("cd" * 32) + (27).to_bytes(8, "little")
    objs[0]["record"] = rec.hex()
    objs[0]["event"] = {"type": "LedgerUpgraded", "ledger_id": ev["ledger_id"], "format_version": 2,
                        "from_ledger_id": "ab" * 16, "from_format_version": 1, "from_head_hash": "cd" * 32,
                        "from_events": 27}
    rechain(objs, 0, 2)


def export_self_test(lines: list[bytes], results: list) -> Golden:
    global Ed25519PublicKey
    g = Golden(lines)
    problems, count, head, version, _ = verify_export(lines)
    results.append((not problems, f"untampered format {version} export: " +
                    (f"{problems[0]}" if problems else f"{count} events, last {head[0]}")))
    if version == 2 and g.decs[0].type == "LedgerCreated":
        # Up to the first signed request only: a request binds the head its signer saw (§13.5 rule 5).
        objs = json.loads(json.dumps(g.objs[:g.k_request]))
        upgraded_genesis(objs, g)
        problems = verify_export(encode(objs))[0]
        results.append((not problems, "the genesis made a LedgerUpgraded, re-chained: " +
                        (f"{problems[0]}" if problems else "verifies")))
    if g.k_request is not None:  # as if `cryptography` were not installed
        kept, Ed25519PublicKey = Ed25519PublicKey, None
        problems, _, _, _, signed = verify_export(lines)
        Ed25519PublicKey = kept
        ok = not problems and signed.unchecked == signed.requests > 0
        results.append((ok, f"without `cryptography`, the {signed.requests} signatures are reported NOT checked: "
                        + (f"{signed.unchecked}" if ok else f"{problems[:1]}, {signed.unchecked} unchecked")))
    for name, since, case in EXPORT_CASES + SIGNED_CASES:
        if g.version < since:
            continue
        objs = json.loads(json.dumps(g.objs))
        try:
            want = case(objs, g)
        except Skip as e:
            results.append((True, f"{name:64} -> skipped: {e}"))
            continue
        problems = verify_export(encode(objs))[0]
        where = f"seq {problems[0][0]}: {problems[0][1]}" if problems else "NOT DETECTED"
        ok = bool(problems) and problems[0][0] == want
        results.append((ok, f"{name:64} -> {where}" + ("" if ok else f" (expected at seq {want})")))
    return g


# -- packs -------------------------------------------------------------------------------

def build_pack(g: Golden, scope: dict, upto: int) -> bytes:
    """A pack per §7 from a format-2 export, as of the instant event `upto` was recorded: the
    header, one line per event (disclosed by §7.4, else withheld), and a projection with its head
    and as_of_day but no plans (this verifier does not refold)."""
    objs, decs = g.objs, g.decs
    plan, action = ident(scope.get("plan"), "P"), ident(scope.get("action"), "A")
    subject = [parse_subject(o["subject"]) for o in objs]
    in_scope = {"ledger": lambda s: True, "plan": lambda s: s[0] == plan,
                "action": lambda s: s[1] == action or s == (plan, 0)}[scope["kind"]]
    # §7.4: the as-of event is the last genesis-or-in-scope event recorded by then.
    until = decs[upto].rec["recorded_at"]
    as_of = max(i for i in range(len(objs)) if decs[i].rec["recorded_at"] <= until and (i == 0 or in_scope(subject[i])))
    disclosed = {0} | {i for i in range(len(objs)) if i <= as_of and in_scope(subject[i])}
    while True:  # rules 3 and 4
        more = {decs[i].rec["source"]["import_seq"] for i in disclosed if decs[i].rec["source"]}
        more |= {i for i, d in enumerate(decs) if d.type == "Redacted" and d.event["event"] in disclosed}
        if more <= disclosed:
            break
        disclosed |= more
    head = objs[-1]
    lines = [{"pack": PACK_MAGIC, "pack_version": 2, "format_version": 2, "ledger_id": decs[0].event["ledger_id"],
              "scope": scope, "as_of": {"seq": as_of, "hash": objs[as_of]["hash"],
                                        "recorded_at": objs[as_of]["recorded_at"]},
              "head": {"seq": head["seq"], "hash": head["hash"]}, "events": len(objs), "disclosed": len(disclosed)}]
    for i, o in enumerate(objs):
        keep = ("seq", "subject", "hash") + (("record", "texts") if i in disclosed else ("digest",))
        lines.append({k: o[k] for k in keep})
    lines.append({"projection": {"as_of_day": utc_date(decs[as_of].rec["recorded_at"]), "head": {
        "seq": as_of, "hash": objs[as_of]["hash"]}, "plans": "not refolded by this self-test"}})
    return b"".join(canonical(line) + b"\n" for line in lines)


def pack_lines(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def pack_bytes(lines: list[dict]) -> bytes:
    return b"".join(canonical(line) + b"\n" for line in lines)


def first_where(lines, pred, start=0):
    """The seq of the first event line from `start` matching pred(seq, line), else Skip."""
    for i, line in enumerate(lines[1:-1]):
        if i >= start and pred(i, line):
            return i
    raise Skip()


def disclosed_flip(lines, i, disclose: bool, g: Golden):
    """Turn event line i into a disclosed or withheld line (the chain still holds), fixing the count."""
    o = g.objs[i]
    lines[i + 1] = {k: o[k] for k in ("seq", "subject", "hash") + (("record", "texts") if disclose else ("digest",))}
    lines[0]["disclosed"] += 1 if disclose else -1


def last_where(lines, pred):
    """The seq of the last event line matching pred(seq, line), else Skip."""
    for i in range(len(lines) - 3, -1, -1):
        if pred(i, lines[i + 1]):
            return i
    raise Skip()


def first_text(lines, key) -> dict:
    """The first disclosed text with this key, else Skip."""
    for line in lines[1:-1]:
        for text in line.get("texts", []):
            if key in text:
                return text
    raise Skip()


def withheld(line):
    return "digest" in line


# Each case changes the parsed pack lines `p` (a copy; p[0] is the header, event seq i is p[i + 1])
# and returns the §7 step that must fail first (None: any step).
PACK_CASES = [
    ("drop an event line", lambda p, g: p.pop(len(p) // 2) and 1),
    ("drop an event line, header's head and events cut to match", lambda p, g: (
        p.pop(-2), p[0]["head"].update(seq=p[0]["head"]["seq"] - 1, hash=p[-2]["hash"]),
        p[0].update(events=p[0]["events"] - 1, disclosed=sum("record" in x for x in p[1:-1])))
     and (1 if p[0]["as_of"]["seq"] > p[0]["head"]["seq"] else Skip.unless(any(
         t.get("erased_by") == p[0]["head"]["seq"] + 1 for x in p[1:-1] for t in x.get("texts", [])),
         "a pack cut back at its end is a valid pack of an earlier head (§7.5: compare heads)"))),
    ("swap two event lines", lambda p, g: p.insert(3, p.pop(2)) and 2),
    ("drop the projection line", lambda p, g: p.pop() and 1),
    ("an unknown key in an event line", lambda p, g: p[2].update(prev="00" * 32) or 1),
    ("pack_version 3", lambda p, g: p[0].update(pack_version=3) or 1),
    ("disclosed count off by one", lambda p, g: p[0].update(disclosed=p[0]["disclosed"] + 1) or 1),
    ("wrong head hash", lambda p, g: p[0]["head"].update(hash=p[0]["as_of"]["hash"] if p[0]["as_of"]["seq"] !=
                                                          p[0]["head"]["seq"] else "00" * 32) or 2),
    ("wrong as_of hash", lambda p, g: p[0]["as_of"].update(hash=p[2]["hash"]) or 2),
    ("as_of.seq one less, its hash kept", lambda p, g: p[0]["as_of"].update(seq=p[0]["as_of"]["seq"] - 1) or 2),
    ("as_of moved to a withheld event, its hash and time to match", lambda p, g: (
        lambda i: p[0]["as_of"].update(seq=i, hash=p[i + 1]["hash"], recorded_at=g.objs[i]["recorded_at"])
    )(first_where(p, lambda i, x: withheld(x))) or 4),
    ("as_of.recorded_at a second later", lambda p, g: p[0]["as_of"].update(recorded_at=rfc3339(
        rfc3339_micros(p[0]["as_of"]["recorded_at"]) + 10 ** 6)) or 4),
    ("the projection's head is not the as-of event", lambda p, g: p[-1]["projection"].update(
        head={"seq": p[0]["head"]["seq"], "hash": p[0]["head"]["hash"]})
        if p[0]["head"] != {"seq": p[0]["as_of"]["seq"], "hash": p[0]["as_of"]["hash"]} else
        p[-1]["projection"]["head"].update(seq=p[0]["as_of"]["seq"] + 1) or 5),
    ("the projection's as_of_day a day later", lambda p, g: p[-1]["projection"].update(
        as_of_day=utc_date(rfc3339_micros(p[0]["as_of"]["recorded_at"]) + 86_400_000_000)) or 5),
    ("swap the digests of two withheld events", lambda p, g: (
        lambda a, b: (p[a + 1].update(digest=p[b + 1]["digest"]), p[b + 1].update(digest=g.objs[a]["digest"]))
    )(first_where(p, lambda i, x: withheld(x)), first_where(
        p, lambda i, x: withheld(x) and x["digest"] != p[first_where(p, lambda j, y: withheld(y)) + 1]["digest"],
        first_where(p, lambda i, x: withheld(x)) + 1)) and 2),
    ("swap the records of two disclosed events", lambda p, g: (
        lambda a, b: (p[a + 1].update(record=g.objs[b]["record"], texts=g.objs[b]["texts"]),
                      p[b + 1].update(record=g.objs[a]["record"], texts=g.objs[a]["texts"]))
    )(first_where(p, lambda i, x: not withheld(x), 1),
      first_where(p, lambda i, x: not withheld(x), first_where(p, lambda i, x: not withheld(x), 1) + 1)) and 2),
    ("a withheld event's subject relabelled", lambda p, g: p[first_where(
        p, lambda i, x: withheld(x)) + 1].update(subject={"plan": "P99", "action": None}) or 2),
    ("ledger_id in the header altered", lambda p, g: p[0].update(ledger_id=flip(p[0]["ledger_id"], 0)) or 3),
    ("a disclosed text's words altered", lambda p, g: first_text(p, "words").update(
        words=first_text(p, "words")["words"] + "!") or 3),
    ("a disclosed text's salt altered", lambda p, g: first_text(p, "salt").update(
        salt=flip(first_text(p, "salt")["salt"], 31)) or 3),
    ("an erased_by altered", lambda p, g: first_text(p, "erased_by").update(
        erased_by=first_text(p, "erased_by")["erased_by"] - 1) or 3),
    ("the genesis withheld (count fixed)", lambda p, g: disclosed_flip(p, 0, False, g) or 3),
    ("a required in-scope event withheld (count fixed)", lambda p, g: disclosed_flip(
        p, last_where(p, lambda i, x: not withheld(x) and i <= p[0]["as_of"]["seq"] and
                       g.decs[i].type not in ("SourceImported", "Redacted", "LedgerCreated")
                       and not any("erased_by" in t for t in x["texts"])
                       and not any(g.decs[j].rec["source"] and g.decs[j].rec["source"]["import_seq"] == i
                                   for j in range(len(g.objs)))), False, g) or 4),
    ("the SourceImported a disclosed event names, withheld (count fixed)", lambda p, g: disclosed_flip(
        p, first_where(p, lambda i, x: not withheld(x) and g.decs[i].type == "SourceImported"), False, g) or 4),
    ("the Redacted event a disclosed text names, withheld (count fixed)", lambda p, g: disclosed_flip(
        p, first_where(p, lambda i, x: not withheld(x) and g.decs[i].type == "Redacted"), False, g) or 3),
    ("a withheld event disclosed (count fixed)", lambda p, g: disclosed_flip(  # one with no erased text
        p, first_where(p, lambda i, x: withheld(x) and not any("erased_by" in t for t in g.objs[i]["texts"])),
        True, g) or 4),
    ("scope changed to another action of the plan", lambda p, g: (
        p[0]["scope"].update(action=next(o["subject"]["action"] for o in g.objs if o["subject"]["action"]
                                         not in (None, p[0]["scope"].get("action")))) if p[0]["scope"]["kind"] ==
        "action" else (_ for _ in ()).throw(Skip())) and None),
]
def proj_insert(data: bytes, text: bytes) -> bytes:
    """Put text at the start of the projection object (whose keys sort after "a")."""
    return data.replace(b'{"projection":{', b'{"projection":{' + text, 1)


# Byte-level cases: (name, change the pack's bytes); each must fail step 1 (form).
PACK_BYTE_CASES = [
    ("a space after the first colon", lambda b: b.replace(b":", b": ", 1)),
    ("keys of the header out of order", lambda b: b'{"pack_version":2,' + b[1:].replace(b',"pack_version":2', b"", 1)),
    ("CRLF line ends", lambda b: b.replace(b"\n", b"\r\n")),
    ("no final newline", lambda b: b[:-1]),
    ("a blank line at the end", lambda b: b + b"\n"),
    ("a UTF-8 byte order mark", lambda b: b"\xef\xbb\xbf" + b),
    ("\\/ for /", lambda b: proj_insert(b, b'"a":"\\/",')),
    ("\\u2014 for a non-ASCII character", lambda b: b.replace("\u2014".encode(), b"\\u2014", 1)
     if "\u2014".encode() in b else proj_insert(b, b'"a":"\\u2014",')),
    ("\\u0009 for a tab", lambda b: proj_insert(b, b'"a":"\\u0009",')),
    ("\\u001F (upper case) for a control character", lambda b: proj_insert(b, b'"a":"\\u001F",')),
    ("a lone surrogate \\ud800", lambda b: proj_insert(b, b'"a":"\\ud800",')),
    ("NaN in the projection", lambda b: proj_insert(b, b'"a":NaN,')),
    ("a negative number in the projection", lambda b: proj_insert(b, b'"a":-1,')),
    ("a fraction in the projection", lambda b: proj_insert(b, b'"a":1.5,')),
    ("a duplicated key", lambda b: proj_insert(b, b'"a":1,"a":1,')),
    ("2.0 for pack_version 2", lambda b: b.replace(b'"pack_version":2', b'"pack_version":2.0', 1)),
]


def escaping_matches_spec() -> tuple[bool, str]:
    """§7's escaping ('no escapes but \\" \\\\ and control characters as \\n \\r \\t \\b \\f or
    \\u00xx in lowercase hex') against what canonical() writes, for every BMP character and a few
    beyond (all but the lone surrogates, which UTF-8 cannot hold)."""
    short = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
    for cp in [*range(0xD800), *range(0xE000, 0x10000), 0x10000, 0x1F600, 0x10FFFF]:
        c = chr(cp)
        want = short.get(c, f"\\u{cp:04x}" if cp < 0x20 else c)
        if canonical(c) != f'"{want}"'.encode("utf-8"):
            return False, f"U+{cp:04X} is written {canonical(c)!r}, §7 says {want!r}"
    return True, "§7's escaping rule is what canonical() writes, for U+0000..U+FFFF (but surrogates) and beyond"


def allowed_regions(data: bytes) -> list[tuple[int, int, str]]:
    """Byte ranges a flip may change without failing: the projection's plans (§7.5 step 5, which
    this verifier does not check)."""
    at = data.rindex(b'"plans":') + len(b'"plans":')
    return [(at, len(data) - 3, "the projection's plans")]


SWEEP_MAX = 12_000  # flips per pack: every byte of the golden's packs, a stride through larger ones


def sweep(data: bytes) -> tuple[bool, str]:
    """Flip one bit (XOR 1) of every byte of the pack in turn (of every Nth byte, N chosen to make
    at most SWEEP_MAX flips): every flip must fail, but for the regions allowed_regions() names."""
    regions = allowed_regions(data)
    missed, allowed, stride = [], {}, -(-len(data) // SWEEP_MAX)
    for i in range(0, len(data), stride):
        changed = data[:i] + bytes([data[i] ^ 1]) + data[i + 1:]
        try:
            verify_pack(changed)
        except PackFail:
            continue
        region = next((name for lo, hi, name in regions if lo <= i < hi), None)
        if region is None:
            missed.append(i)
        else:
            allowed[region] = allowed.get(region, 0) + 1
    note = "; undetected, as expected: " + ", ".join(f"{n} in {r}" for r, n in allowed.items()) if allowed else ""
    if missed:
        i = missed[0]
        return False, f"{len(missed)} flips NOT DETECTED, first at byte {i}: {data[max(0, i - 30):i + 30]!r}"
    which = f"all {len(data)}" if stride == 1 else f"one in {stride} of the {len(data)}"
    return True, f"{which} one-bit flips outside the unchecked fields caught{note}"


def pack_self_test(g: Golden, results: list, full_sweep: bool) -> None:
    ok, text = escaping_matches_spec()
    results.append((ok, text))
    if g.version != 2:
        return
    n = len(g.objs)
    plans = sorted({o["subject"]["plan"] for o in g.objs if o["subject"]["plan"]}, key=lambda p: int(p[1:]))
    actions = {}
    for o in g.objs:
        if o["subject"]["action"]:
            actions.setdefault(o["subject"]["action"], []).append(o)
    mid = n // 3  # packs as of the time this event was recorded (build_pack picks the as-of event)
    erased_action = next((o["subject"]["action"] for o in g.objs if any("erased_by" in t for t in o["texts"])
                          and o["subject"]["action"]), None)
    packs = [("ledger pack, as of the head", {"kind": "ledger"}, n - 1)]
    packs += [(f"plan pack {p}, as of the head", {"kind": "plan", "plan": p}, n - 1) for p in plans[:2]]
    packs += [(f"plan pack {p}, as of event {mid}'s time", {"kind": "plan", "plan": p}, mid) for p in plans[:1]]
    if len(plans) < 2:
        results.append((True, "the export has one plan: a plan pack withholds only its events of no plan"))
    if actions:
        a = erased_action or min(actions)
        packs.append((f"action pack {a}, as of event {mid}'s time",
                      {"kind": "action", "plan": actions[a][0]["subject"]["plan"], "action": a}, mid))
        few = min(actions, key=lambda x: (len(actions[x]), x))
        packs.append((f"action pack {few}, as of the head's time", {"kind": "action",
                                                             "plan": actions[few][0]["subject"]["plan"], "action": few},
                       n - 1))
    for title, scope, as_of in packs:
        data = pack_case.original = build_pack(g, scope, as_of)
        try:
            pack = verify_pack(data)
            results.append((True, f"{title}: verifies ({pack.header['disclosed']} of {n} disclosed,"
                                  f" as-of event {pack.header['as_of']['seq']})"))
        except PackFail as e:
            results.append((False, f"{title}: {e}"))
            continue
        for name, case in PACK_CASES:
            lines = pack_lines(data)
            try:
                want = case(lines, g)
            except Skip as e:
                results.append((True, f"  {name:62} -> skipped: {e}"))
                continue
            results.append(pack_case(name, pack_bytes(lines), want))
        for name, change in PACK_BYTE_CASES:
            results.append(pack_case(name, change(data), 1))
        if full_sweep or scope["kind"] == "action":
            results.append(sweep(data))


def pack_case(name: str, data: bytes, want: int | None):
    if data == getattr(pack_case, "original", None):
        return False, f"  {name:62} -> the case changed nothing (a fault of the self-test)"
    try:
        verify_pack(data)
        return False, f"  {name:62} -> NOT DETECTED"
    except PackFail as e:
        ok = want is None or e.step == want
        return ok, f"  {name:62} -> {e}" + ("" if ok else f" (expected step {want})")


def checkpoint_self_test(results: list):
    """§12.1's golden checkpoint (its made-up history: the hash at seq n is BLAKE3 of n as u64 BE,
    the ledger id 16 bytes of 0x11) holds, with both its signatures; a changed byte of it fails."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ledger", "golden", "checkpoint.txt")
    try:
        text = open(path, encoding="utf-8").read()
    except OSError:
        results.append((False, f"the golden checkpoint {path} cannot be read"))
        return
    hash_at = lambda seq: blake3.blake3(seq.to_bytes(8, "big")).hexdigest()
    check = lambda t: check_checkpoint(t, "11" * 16, 10, hash_at(10), hash_at, None)
    problem, signers = check(text)
    if problem == UNCHECKED:
        results.append((True, "the golden checkpoint's signatures were NOT checked (no `cryptography`)"))
        return
    results.append((problem is None and len(signers) == 2,
                    f"the golden checkpoint holds, signed by {signers}: {problem}"))
    caught = 0
    for at in range(len(text)):
        changed = text[:at] + ("0" if text[at] != "0" else "1") + text[at + 1:]
        caught += check(changed)[0] is not None
    results.append((caught == len(text), f"each of the golden checkpoint's {len(text)} characters changed: {caught} caught"))


def self_test(lines: list[bytes], signatures_optional: bool = False) -> int:
    d = record_digest(b"planledger")
    h0 = event_hash(ZERO_HASH, 0, 0, 0, d)
    h1 = event_hash(h0, 1, 1, 3, record_digest(b""))
    results = [(d.hex() == "1b0c1bb7d5b1aeff8aaac1c4d9eeea4fae4a7db93fef7b8aff024a1d91aa1c0e", f"§4 digest vector {d.hex()}"),
               (h0.hex() == "1a502908245c204f16b2def215e0021d17a1f96b053aa8d948e4c75ee041710e", f"§4 hash vector 0 {h0.hex()}"),
               (h1.hex() == "40ab2e49148f4ca3f5b4158f81a662f5d925aa4ca278a97bc2b0953e77fd5765", f"§4 hash vector 1 {h1.hex()}")]
    try:
        g = export_self_test(lines, results)
    except (Bad, ValueError, KeyError, TypeError) as e:
        print(f"BAD  the self-test file is not a good export: {e!r}")
        return 3
    pack_self_test(g, results, full_sweep=False)
    checkpoint_self_test(results)
    for ok, text in results:
        print(f"{'ok ' if ok else 'BAD'}  {text}")
    failures = sum(not ok for ok, _ in results)
    print(f"self-test {'passed' if not failures else f'FAILED ({failures} of {len(results)})'}:"
          f" {len(results)} checks, export cases aimed at seq {g.k} and at the lines they need")
    if failures:
        return 3
    if Ed25519PublicKey is None and g.k_request is not None:
        print("the signature cases were NOT run: the Python package `cryptography` is not installed"
              + ("" if signatures_optional else " (give --no-signatures to accept that)"))
        return 0 if signatures_optional else 4
    return 0


def main(argv: list[str]) -> int:
    signatures_optional = "--no-signatures" in argv
    argv = [a for a in argv if a != "--no-signatures"]
    modes = {"--self-test": "self-test", "--pack": "pack"}
    mode = modes.get(argv[0]) if argv else None
    if len(argv) != 1 + (mode is not None) or argv[-1].startswith("--"):
        print("usage: verify_export.py [--no-signatures] FILE.jsonl | -\n"
              "       verify_export.py --pack PACK.jsonl | -\n"
              "       verify_export.py [--no-signatures] --self-test GOLDEN.jsonl", file=sys.stderr)
        return 2
    try:
        data = sys.stdin.buffer.read() if argv[-1] == "-" else open(argv[-1], "rb").read()
    except OSError as e:
        print(f"cannot read {argv[-1]}: {e.strerror}", file=sys.stderr)
        return 2
    if mode == "pack":
        return report_pack(data)
    lines = data.split(b"\n")
    lines = lines[:-1] if lines[-1] == b"" else lines
    if mode == "self-test":
        if len(lines) < 3:
            print("self-test needs an export of at least 3 events", file=sys.stderr)
            return 2
        return self_test(lines, signatures_optional)
    return report(*verify_export(lines), signatures_optional=signatures_optional)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
