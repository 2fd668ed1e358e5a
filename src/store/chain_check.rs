//! The chain check, the first part of `verify` (`integrity::verify`):
//! re-reads every stored byte and trusts none of it. It checks bytes and
//! links only; the rules and snapshots are `integrity`'s to check.
//!
//! It recomputes every event hash from the stored record bytes, checks every
//! link and sequence number, every stored text against its commitment and
//! every erased text against the redaction that erased it, that recorded time never goes backwards, that
//! every record decodes (with no trailing bytes), that transactions are
//! contiguous and agree with their `txs` records, and that the stored head
//! names the last event. It never panics, whatever the bytes: every problem
//! becomes a [`Problem`] naming the sequence number where it was found.
//!
//! The same walk reads a format-1 ledger for `planledger upgrade`
//! ([`check_chain_v1`]): format 1's framing and record bytes, every other
//! check as for the current format.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use crate::chain::{self, GENESIS_PREV, Subject};
use crate::codec::{self, CodecError};
use crate::event::{ClockNote, EventKind, EventOf, Hash, Micros, Record, RecordOf, TxRecord};
use crate::projection::UpgradedFrom;
use crate::rules::Refusal;
use crate::sealed::{self, StoredText, TextFault};
use crate::snapshot::SnapshotFault;
use crate::time::format_micros;

use super::scan::{self, Readers, Texts};
use super::{BlockFault, DamageKind, Head, IndexFault, Piece, Store, StoreError, decode_seq};

/// Something `verify` found wrong (the chain check, the rules or a
/// snapshot).
#[derive(Debug)]
pub struct Problem {
    /// The sequence number of the first event the problem concerns.
    pub seq: u64,
    pub kind: ProblemKind,
}

/// Each thing `verify` can find wrong, with the values that show it. The
/// `Display` of a kind is the sentence `planledger verify` prints.
#[derive(Debug, thiserror::Error)]
pub enum ProblemKind {
    #[error("the stored format version is unreadable ({})", hex::encode(.stored))]
    FormatVersionUnreadable { stored: Vec<u8> },
    #[error("the ledger holds events but names no format version")]
    FormatVersionMissing,
    #[error("a key of {len} bytes is not a sequence number")]
    KeyLength { len: usize },
    /// A block of events whose framing does not read: the events after
    /// the fault in the same block cannot be read.
    #[error("{fault}; the rest of its events cannot be read")]
    Block { fault: BlockFault },
    #[error("{}", missing(*.first, *.last))]
    EventsMissing { first: u64, last: u64 },
    #[error("stored value is {len} bytes, too short to hold a hash and a subject")]
    ValueTooShort { len: usize },
    #[error("the record is {len} bytes, more than a record may hold")]
    ValueTooLong { len: usize },
    #[error(
        "hash mismatch: stored {} but the bytes hash to {} (the event was changed, moved or its predecessor was)",
        short(.stored),
        short(.computed)
    )]
    HashMismatch { stored: Hash, computed: Hash },
    /// The record does not decode, or has bytes after its end.
    #[error("{source}")]
    Undecodable {
        #[source]
        source: CodecError,
    },
    #[error(
        "recorded time goes backwards ({} after {})",
        format_micros(*.recorded_at),
        format_micros(*.previous)
    )]
    TimeGoesBackwards {
        recorded_at: Micros,
        previous: Micros,
    },
    #[error("the genesis event names format version {found}, not {expected}")]
    GenesisFormatVersion { found: u32, expected: u32 },
    #[error("a {kind} event, which format {version} does not have")]
    NotInFormat { kind: EventKind, version: u32 },
    #[error("the first event is {kind}, not LedgerCreated")]
    FirstNotGenesis { kind: EventKind },
    #[error("a second LedgerCreated event")]
    SecondGenesis,
    #[error("the event has no actor")]
    NoActor,
    #[error("its stored texts do not decode: {source}")]
    TextsUndecodable {
        #[source]
        source: CodecError,
    },
    #[error("its stored texts do not fit the record: {fault}")]
    Texts {
        #[source]
        fault: TextFault,
    },
    #[error("texts are stored for event {at}, which the chain does not hold")]
    TextsWithoutEvent { at: u64 },
    #[error("the redaction of event {target} was not carried out: its text {slot} is still stored")]
    RedactionNotCarriedOut { target: u64, slot: u32 },
    #[error(
        "the texts of the transaction begun by the signed request at event {request} are not those the request committed to"
    )]
    RequestTextsDiffer { request: u64 },
    #[error(
        "the signed request says its signer saw event {seen} with hash {}, which this chain does not hold there",
        hex::encode(.hash)
    )]
    RequestSawOtherHistory { seen: u64, hash: Hash },
    #[error("event differs from the rest of transaction {tx} in actor, time or clock")]
    TxEventDiffers { tx: u64 },
    #[error("transaction {tx} is not contiguous")]
    TxNotContiguous { tx: u64 },
    #[error("event belongs to transaction {found}, expected {expected}")]
    TxOutOfOrder { found: u64, expected: u64 },
    /// A `txs` entry whose key is not a transaction number (no source) or
    /// whose value does not decode.
    #[error("transaction record {} does not decode", hex::encode(.key))]
    TxRecordUndecodable {
        key: Vec<u8>,
        #[source]
        source: Option<CodecError>,
    },
    #[error("transaction {tx} has no transaction record")]
    TxRecordMissing { tx: u64 },
    #[error(
        "transaction record {tx} (events {}..={}) does not agree with the chain (events {}..={})",
        .recorded.start(),
        .recorded.end(),
        .chain.start(),
        .chain.end()
    )]
    TxRecordDisagrees {
        tx: u64,
        /// The events the transaction record names.
        recorded: RangeInclusive<u64>,
        /// The events of the transaction along the chain.
        chain: RangeInclusive<u64>,
    },
    #[error(
        "transaction record {tx} names events {}..={} that the chain does not hold",
        .recorded.start(),
        .recorded.end()
    )]
    TxRecordWithoutEvents {
        tx: u64,
        recorded: RangeInclusive<u64>,
    },
    #[error("the ledger holds no events, not even its genesis event")]
    NoEvents,
    #[error("the ledger has events but no stored head")]
    HeadMissing,
    #[error("the stored head does not decode")]
    HeadUndecodable { len: usize },
    #[error("the stored head names event {head} but no events are stored")]
    HeadWithoutEvents { head: u64 },
    #[error(
        "the stored head names event {head} but the chain ends at event {last}: events were removed from the end"
    )]
    HeadBeyondChain { head: u64, last: u64 },
    #[error("events after the stored head (event {head}) were never acknowledged")]
    HeadBehindChain { head: u64 },
    #[error(
        "the stored head hash {} differs from the last event's {}",
        short(.stored),
        short(.last)
    )]
    HeadHashMismatch { stored: Hash, last: Hash },
    /// Found by replaying the history against the rule book
    /// (`rules::check`): the refusal a command would have met.
    #[error("the event breaks the ledger's rules: {refusal}")]
    BrokenRule { refusal: Refusal },
    /// Found by checking a snapshot against a fold (`snapshot::check`).
    #[error(
        "the snapshot at event {at} is wrong: {fault} (derived data: 'planledger snapshot --rebuild' replaces it)"
    )]
    SnapshotWrong { at: u64, fault: SnapshotFault },
    #[error("a snapshot names event {at}, which the chain does not hold")]
    SnapshotWithoutEvent { at: u64 },
    /// Found by checking the action index against the events' subjects
    /// (`Store::check_action_index`).
    #[error(
        "the action index is wrong: {fault} (derived data: 'planledger snapshot --rebuild' replaces it)"
    )]
    ActionIndexWrong { fault: IndexFault },
    /// The store could not be opened or read: damage below the chain, in
    /// the storage engine's own files (reported at seq 0).
    #[error("{damage}")]
    StorageUnreadable {
        #[source]
        damage: DamageKind,
    },
}

impl ProblemKind {
    /// A stable snake_case name for the kind, for `verify --json`.
    pub fn name(&self) -> &'static str {
        match self {
            ProblemKind::FormatVersionUnreadable { .. } => "format_version_unreadable",
            ProblemKind::FormatVersionMissing => "format_version_missing",
            ProblemKind::KeyLength { .. } => "key_length",
            ProblemKind::Block { .. } => "block",
            ProblemKind::EventsMissing { .. } => "events_missing",
            ProblemKind::ValueTooShort { .. } => "value_too_short",
            ProblemKind::ValueTooLong { .. } => "value_too_long",
            ProblemKind::HashMismatch { .. } => "hash_mismatch",
            ProblemKind::Undecodable { .. } => "undecodable",
            ProblemKind::TimeGoesBackwards { .. } => "time_goes_backwards",
            ProblemKind::GenesisFormatVersion { .. } => "genesis_format_version",
            ProblemKind::NotInFormat { .. } => "not_in_format",
            ProblemKind::FirstNotGenesis { .. } => "first_not_genesis",
            ProblemKind::SecondGenesis => "second_genesis",
            ProblemKind::NoActor => "no_actor",
            ProblemKind::TextsUndecodable { .. } => "texts_undecodable",
            ProblemKind::Texts { .. } => "texts",
            ProblemKind::TextsWithoutEvent { .. } => "texts_without_event",
            ProblemKind::RedactionNotCarriedOut { .. } => "redaction_not_carried_out",
            ProblemKind::RequestTextsDiffer { .. } => "request_texts_differ",
            ProblemKind::RequestSawOtherHistory { .. } => "request_saw_other_history",
            ProblemKind::TxEventDiffers { .. } => "tx_event_differs",
            ProblemKind::TxNotContiguous { .. } => "tx_not_contiguous",
            ProblemKind::TxOutOfOrder { .. } => "tx_out_of_order",
            ProblemKind::TxRecordUndecodable { .. } => "tx_record_undecodable",
            ProblemKind::TxRecordMissing { .. } => "tx_record_missing",
            ProblemKind::TxRecordDisagrees { .. } => "tx_record_disagrees",
            ProblemKind::TxRecordWithoutEvents { .. } => "tx_record_without_events",
            ProblemKind::NoEvents => "no_events",
            ProblemKind::HeadMissing => "head_missing",
            ProblemKind::HeadUndecodable { .. } => "head_undecodable",
            ProblemKind::HeadWithoutEvents { .. } => "head_without_events",
            ProblemKind::HeadBeyondChain { .. } => "head_beyond_chain",
            ProblemKind::HeadBehindChain { .. } => "head_behind_chain",
            ProblemKind::HeadHashMismatch { .. } => "head_hash_mismatch",
            ProblemKind::BrokenRule { .. } => "broken_rule",
            ProblemKind::SnapshotWrong { .. } => "snapshot_wrong",
            ProblemKind::SnapshotWithoutEvent { .. } => "snapshot_without_event",
            ProblemKind::ActionIndexWrong { .. } => "action_index_wrong",
            ProblemKind::StorageUnreadable { .. } => "storage_unreadable",
        }
    }
}

/// "event 5 is missing", or "events 5 to 7 are missing".
fn missing(first: u64, last: u64) -> String {
    if first == last {
        format!("event {first} is missing")
    } else {
        format!("events {first} to {last} are missing")
    }
}

/// Everything `verify` checked and found.
#[derive(Debug, Default)]
pub struct Report {
    /// The ledger's id, as its genesis event states it.
    pub ledger_id: Option<[u8; 16]>,
    /// Transactions that are signed requests, and the first of them.
    pub signed_transactions: u64,
    pub first_signed_tx: Option<u64>,
    /// Events read (whether or not they were sound).
    pub events: u64,
    /// Transactions seen along the chain.
    pub transactions: u64,
    /// The last event of the chain as read (its seq and stored hash).
    pub head: Option<(u64, Hash)>,
    /// Problems in the order found; empty when the ledger is intact.
    pub problems: Vec<Problem>,
    /// Transactions whose recorded time was given by the operator.
    pub clock_overridden: Vec<u64>,
    /// Transactions recorded while the system clock was behind the head.
    pub clock_held: Vec<u64>,
    /// Snapshots checked against a fold of the events (see `snapshot`).
    pub snapshots: u64,
    /// Free texts erased by redactions, each checked against the
    /// redaction that erased it.
    pub redacted_texts: u64,
    /// Events the action index lists, each checked against the event it
    /// names (see `Store::check_action_index`).
    pub action_index_entries: u64,
    /// For a ledger written by `planledger upgrade`, the ledger its genesis
    /// names as the one it carries.
    pub upgraded_from: Option<UpgradedFrom>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The lowest sequence number any problem concerns.
    pub fn first_bad_seq(&self) -> Option<u64> {
        self.problems.iter().map(|p| p.seq).min()
    }

    /// The report on a store that could not be opened or read because it
    /// is damaged: nothing read, one problem at seq 0.
    pub fn unreadable(damage: DamageKind) -> Report {
        let mut report = Report::default();
        report.problem(0, ProblemKind::StorageUnreadable { damage });
        report
    }

    pub(crate) fn problem(&mut self, seq: u64, kind: ProblemKind) {
        self.problems.push(Problem { seq, kind });
    }
}

/// One transaction as observed along the chain.
struct SeenTx {
    number: u64,
    first_seq: u64,
    last_seq: u64,
    actor: String,
    recorded_at: Micros,
    clock: ClockNote,
    head_hash: Hash,
}

/// Checks the stored bytes and the chain: every hash, link and sequence
/// number, every record, the transaction records and the head. Not the
/// rules or the snapshots: `integrity::verify` is the full verify. Errors
/// only if the storage engine itself cannot be read; anything wrong with the
/// stored data is in the report.
pub fn check_chain(store: &Store) -> Result<Report, StoreError> {
    check_chain_with(store, Readers::ThisThread, |_, _, _, _| {})
}

/// [`check_chain`], handing `each` every event whose record decoded and
/// whose texts opened, in order, as [`Store::events`] reads it: its seq,
/// stored hash, subject and record; none after the first problem found.
/// What it is handed proves nothing unless the report is clean. The trees
/// are read by `readers` ([`scan`]); the report is the same either way.
pub fn check_chain_with(
    store: &Store,
    readers: Readers,
    each: impl FnMut(u64, Hash, Subject, Record),
) -> Result<Report, StoreError> {
    let mut report = Report::default();
    match store.format_version() {
        Err(StoreError::Damaged {
            seq,
            kind: DamageKind::FormatVersionMissing,
        }) => report.problem(seq, ProblemKind::FormatVersionMissing),
        Err(StoreError::Damaged {
            seq,
            kind: DamageKind::FormatVersionUnreadable { stored },
        }) => report.problem(seq, ProblemKind::FormatVersionUnreadable { stored }),
        // Format 2's chain is this format's, one event a key: what
        // `planledger upgrade` checks before it writes it in blocks.
        Err(StoreError::OldFormat { found: 2, .. }) => {}
        result => result?,
    }
    Ok(walk(store, report, Framing::Current, readers, each)?.0)
}

/// One event of a format-1 ledger, as [`check_chain_v1`] read it.
#[derive(Clone, Debug)]
pub struct Format1Event {
    pub seq: u64,
    pub hash: Hash,
    pub record: Record,
}

/// What [`check_chain_v1`] found: the report, the events that decoded, and
/// the summary each transaction record gives.
#[derive(Debug)]
pub struct Format1Chain {
    pub report: Report,
    pub events: Vec<Format1Event>,
    pub summaries: BTreeMap<u64, String>,
}

/// [`check_chain`] for a ledger in format 1, which this planledger reads
/// only to upgrade it (`crate::upgrade`): every value is a 32-byte hash and
/// the record, hashed with format 1's framing (`chain::v1`); every record
/// is format 1's bytes (its free texts as words) and holds none of the
/// events format 1 does not have. Everything else is checked as for the
/// current format: links, sequence numbers, time, transactions and their
/// records, and the head. The store must state format version 1.
pub fn check_chain_v1(store: &Store) -> Result<Format1Chain, StoreError> {
    let found = store.stored_format_version()?;
    if found != 1 {
        return Err(StoreError::UnknownFormat {
            path: store.dir().to_path_buf(),
            found,
        });
    }
    let mut events = Vec::new();
    let (report, summaries) = walk(
        store,
        Report::default(),
        Framing::V1,
        Readers::ThisThread,
        |seq, hash, _, record| events.push(Format1Event { seq, hash, record }),
    )?;
    Ok(Format1Chain {
        report,
        events,
        summaries,
    })
}

/// How an event's stored value is framed and hashed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    /// hash ‖ subject ‖ sealed record, hashed over the record's digest.
    Current,
    /// Format 1: hash ‖ record (its texts as words), hashed over the
    /// record's bytes.
    V1,
}

impl Framing {
    fn version(self) -> u32 {
        match self {
            Framing::Current => chain::CHAIN_FORMAT,
            Framing::V1 => 1,
        }
    }
}

/// Reads every stored event in key order and checks it, then the
/// transaction records and the head; `keep` is given each record that
/// decodes (and, in the current format, whose texts open), with its subject
/// (the ledger's, in format 1), until the first problem is found: a
/// replay of a broken chain proves nothing (its findings are dropped), and
/// an event past the damage may have any sequence number (a fold of one
/// at `u64::MAX` would size its tables by it). Returns the report and each
/// transaction record's summary.
fn walk(
    store: &Store,
    report: Report,
    framing: Framing,
    readers: Readers,
    keep: impl FnMut(u64, Hash, Subject, Record),
) -> Result<(Report, BTreeMap<u64, String>), StoreError> {
    scan::scan(store, readers, |events, texts| {
        walk_events(store, report, framing, events, texts, keep)
    })
}

/// [`walk`], given the events and texts as they are read.
fn walk_events(
    store: &Store,
    mut report: Report,
    framing: Framing,
    events: &mut scan::Events<'_>,
    texts: &Texts,
    mut keep: impl FnMut(u64, Hash, Subject, Record),
) -> Result<(Report, BTreeMap<u64, String>), StoreError> {
    let mut prev: Option<Hash> = Some(GENESIS_PREV);
    let mut expected_seq = 0u64;
    let mut last_recorded: Option<Micros> = None;
    let mut txs: Vec<SeenTx> = Vec::new();
    let mut requests = RequestTexts::default();
    let mut texts = TextsCursor {
        items: texts.clone(),
    };

    for (item, link) in events {
        let (key, value) = match item {
            Ok(item) => item,
            Err(StoreError::Damaged {
                seq,
                kind: DamageKind::Block(fault),
            }) => {
                report.problem(seq, ProblemKind::Block { fault });
                // The event's hash is unknown: the next cannot be linked.
                prev = None;
                continue;
            }
            Err(e) => return Err(e),
        };
        report.events += 1;
        let Some(seq) = decode_seq(&key) else {
            report.problem(expected_seq, ProblemKind::KeyLength { len: key.len() });
            continue;
        };
        if seq > expected_seq {
            report.problem(
                expected_seq,
                ProblemKind::EventsMissing {
                    first: expected_seq,
                    last: seq - 1,
                },
            );
            // The missing event's hash is unknown: this one cannot be linked.
            prev = None;
        }
        // No key follows u64::MAX.
        expected_seq = seq.saturating_add(1);

        let split = match framing {
            Framing::Current => chain::split_stored(&value),
            Framing::V1 => split_v1(&value),
        };
        let (stored_hash, subject, bytes) = match split {
            Ok(parts) => parts,
            Err(chain::LinkError::TooLong { len }) => {
                // Longer than any record: nothing to hash or decode.
                report.problem(seq, ProblemKind::ValueTooLong { len });
                prev = Some(value[..32].try_into().expect("longer than a hash"));
                continue;
            }
            Err(_) => {
                report.problem(seq, ProblemKind::ValueTooShort { len: value.len() });
                prev = None;
                continue;
            }
        };
        if let Some(prev_hash) = prev {
            let computed = match (framing, link) {
                // Hashed by the reader, from the same hash before it.
                (Framing::Current, Some(link)) if link.prev == prev_hash => link.computed,
                (Framing::Current, _) => {
                    chain::event_hash(&prev_hash, seq, subject, &chain::record_digest(bytes))
                }
                (Framing::V1, _) => chain::v1::event_hash(&prev_hash, seq, bytes),
            };
            if computed != stored_hash {
                report.problem(
                    seq,
                    ProblemKind::HashMismatch {
                        stored: stored_hash,
                        computed,
                    },
                );
            }
        }
        // Continue from the stored hash so that one changed event is
        // reported once, not again at every later event.
        prev = Some(stored_hash);
        report.head = Some((seq, stored_hash));

        let event = EventCheck {
            report: &mut report,
            seq,
            framing,
            last_recorded: &mut last_recorded,
            txs: &mut txs,
            hash: stored_hash,
        };
        match framing {
            Framing::Current => {
                let record = match codec::decode_sealed(bytes) {
                    Ok(record) => record,
                    Err(source) => {
                        event
                            .report
                            .problem(seq, ProblemKind::Undecodable { source });
                        continue;
                    }
                };
                let stored = texts.at(seq, event.report)?;
                requests.see(seq, stored_hash, &record);
                event.check(&record);
                let opened = check_texts(store, &mut report, seq, stored.as_deref(), record)?;
                if let Some(opened) = opened
                    && report.ok()
                {
                    keep(seq, stored_hash, subject, opened);
                }
            }
            Framing::V1 => {
                let record: Record = match codec::decode(bytes) {
                    Ok(record) => record,
                    Err(source) => {
                        event
                            .report
                            .problem(seq, ProblemKind::Undecodable { source });
                        continue;
                    }
                };
                event.check(&record);
                if report.ok() {
                    keep(seq, stored_hash, subject, record);
                }
            }
        }
    }

    let requests =
        requests.check_seen(|seen| Ok::<_, StoreError>(store.event_at(seen)?.map(|(h, _)| h)))?;
    report.signed_transactions = requests.signed_transactions;
    report.first_signed_tx = requests.first_signed_tx;
    for (seq, kind) in requests.faults {
        report.problem(seq, kind);
    }
    report.transactions = txs.len() as u64;
    for tx in &txs {
        match tx.clock {
            ClockNote::Overridden => report.clock_overridden.push(tx.number),
            ClockNote::HeldAtHead { .. } => report.clock_held.push(tx.number),
            ClockNote::System => {}
        }
    }
    let summaries = check_tx_records(store, &mut report, &txs)?;
    if framing == Framing::Current {
        texts.finish(&mut report)?;
    }
    check_head(store, &mut report)?;
    Ok((report, summaries))
}

/// Compares the texts of each signed transaction with those its request
/// committed to: the commitments of the request's commands, in order, must
/// be the commitments of the events after its `RequestSigned`, in slot
/// order. (The rule book compares everything else an event holds with what
/// the command drafts; it sees words, this sees commitments, which stay
/// when words are erased.) Also collects the head each request says its
/// signer saw, for [`RequestTexts::check_seen`] once every hash is known.
/// `verify` feeds it the stored chain; `verify-pack` a whole-ledger pack's.
#[derive(Default)]
pub struct RequestTexts {
    open: Option<OpenRequest>,
    /// The last event seen, its seq and hash: the head most requests saw,
    /// checked at once, so the chain is not read again for it.
    last: Option<(u64, Hash)>,
    /// (the request's seq, the seq its signer saw, the hash they saw).
    seen: Vec<(u64, u64, Hash)>,
    /// Signed transactions, and the first of them.
    pub signed_transactions: u64,
    pub first_signed_tx: Option<u64>,
    /// What was found, in order: each fault at its request's seq.
    pub faults: Vec<(u64, ProblemKind)>,
}

struct OpenRequest {
    seq: u64,
    tx: u64,
    expected: Vec<sealed::Commit>,
    found: Vec<sealed::Commit>,
}

impl RequestTexts {
    /// Takes the next event of the chain, in order, with its hash.
    pub fn see(&mut self, seq: u64, hash: Hash, record: &RecordOf<sealed::Commit>) {
        self.take(seq, record);
        self.last = Some((seq, hash));
    }

    fn take(&mut self, seq: u64, record: &RecordOf<sealed::Commit>) {
        if self.open.as_ref().is_some_and(|open| open.tx != record.tx) {
            self.finish();
        }
        if let EventOf::RequestSigned { request, .. } = &record.event {
            self.finish();
            self.signed_transactions += 1;
            self.first_signed_tx.get_or_insert(record.tx);
            // An unreadable request is the rule book's to report.
            if let Ok(request) = crate::request::decode(request) {
                match (request.head_seen, self.last) {
                    (Some((seen, hash)), Some((last, stored))) if seen == last => {
                        if hash != stored {
                            self.faults
                                .push((seq, ProblemKind::RequestSawOtherHistory { seen, hash }));
                        }
                    }
                    (Some((seen, hash)), _) => self.seen.push((seq, seen, hash)),
                    (None, _) => {}
                }
                self.open = Some(OpenRequest {
                    seq,
                    tx: record.tx,
                    expected: request
                        .commands
                        .iter()
                        .flat_map(|c| c.command.texts())
                        .copied()
                        .collect(),
                    found: Vec::new(),
                });
            }
            return;
        }
        if let Some(open) = &mut self.open {
            open.found.extend(record.event.texts().into_iter().copied());
        }
    }

    /// Closes the last transaction, then checks the head each request says
    /// its signer saw against `hash_at`, the chain's hash at a seq.
    pub fn check_seen<E>(
        mut self,
        mut hash_at: impl FnMut(u64) -> Result<Option<Hash>, E>,
    ) -> Result<RequestTexts, E> {
        self.finish();
        for (request, seen, hash) in std::mem::take(&mut self.seen) {
            if hash_at(seen)? != Some(hash) {
                self.faults
                    .push((request, ProblemKind::RequestSawOtherHistory { seen, hash }));
            }
        }
        self.faults.sort_by_key(|(seq, _)| *seq);
        Ok(self)
    }

    fn finish(&mut self) {
        if let Some(open) = self.open.take()
            && open.expected != open.found
        {
            self.faults.push((
                open.seq,
                ProblemKind::RequestTextsDiffer { request: open.seq },
            ));
        }
    }
}

/// Format 1's stored value: the hash, then the record. (Format 1 has no
/// subject: the one returned is the ledger's, and is not hashed.)
fn split_v1(stored: &[u8]) -> Result<(Hash, Subject, &[u8]), chain::LinkError> {
    let Some((hash, record)) = stored.split_first_chunk::<32>() else {
        return Err(chain::LinkError::Truncated { len: stored.len() });
    };
    if record.len() > codec::MAX_RECORD_LEN {
        return Err(chain::LinkError::TooLong { len: record.len() });
    }
    Ok((*hash, Subject::LEDGER, record))
}

/// The checks of one decoded record, whatever its framing, and where it
/// leaves the walk.
struct EventCheck<'a> {
    report: &'a mut Report,
    seq: u64,
    framing: Framing,
    hash: Hash,
    last_recorded: &'a mut Option<Micros>,
    txs: &'a mut Vec<SeenTx>,
}

impl EventCheck<'_> {
    fn check<T>(self, record: &RecordOf<T>) {
        let seq = self.seq;
        check_record(self.report, seq, record, self.framing);
        if let Some(last) = *self.last_recorded
            && record.recorded_at < last
        {
            self.report.problem(
                seq,
                ProblemKind::TimeGoesBackwards {
                    recorded_at: record.recorded_at,
                    previous: last,
                },
            );
        }
        *self.last_recorded = Some(record.recorded_at);
        track_tx(self.report, self.txs, seq, self.hash, record);
    }
}

/// Checks the stored texts of the event at `seq` against its sealed record:
/// each text's words against its commitment, each erased text against the
/// redaction that erased it; and, for a redaction, that the texts it names
/// are erased. Returns the record opened with its texts, if they open.
fn check_texts(
    store: &Store,
    report: &mut Report,
    seq: u64,
    stored: Option<&[u8]>,
    record: RecordOf<sealed::Commit>,
) -> Result<Option<Record>, StoreError> {
    let texts = match codec::decode_texts(stored) {
        Ok(texts) => texts,
        Err(source) => {
            report.problem(seq, ProblemKind::TextsUndecodable { source });
            return Ok(None);
        }
    };
    if let EventOf::Redacted { event, slots, .. } = &record.event {
        // Whether the redaction was admissible (an earlier event, slots it
        // has) is the rule book's to say; here: were the words erased?
        let target_texts = store.stored_texts(*event).unwrap_or_default();
        for &slot in slots {
            let carried_out = matches!(
                target_texts.get(slot as usize),
                Some(StoredText::Erased { by }) if *by == seq
            );
            if !carried_out && (slot as usize) < target_texts.len() {
                report.problem(
                    seq,
                    ProblemKind::RedactionNotCarriedOut {
                        target: *event,
                        slot,
                    },
                );
            }
        }
    }
    let erased = texts
        .iter()
        .filter(|t| matches!(t, StoredText::Erased { .. }))
        .count() as u64;
    let mut lookup = Ok(());
    let opened = sealed::unseal(record, texts, |by, slot| {
        store.erasure(by, seq, slot).unwrap_or_else(|e| {
            lookup = Err(e);
            None
        })
    });
    lookup?;
    let opened = match opened {
        Ok(opened) => {
            report.redacted_texts += erased;
            Some(opened)
        }
        Err(fault) => {
            report.problem(seq, ProblemKind::Texts { fault });
            None
        }
    };
    Ok(opened)
}

/// The `texts` tree, read in key order beside the events: one scan,
/// instead of a lookup for each event and a second scan for texts that
/// belong to no event (which were 38% of `verify`'s reading at 1M events).
struct TextsCursor {
    items: Texts,
}

impl TextsCursor {
    /// The stored texts of the event at `seq`, if any. Keys before it are
    /// passed over, each checked to be a sequence number; the events are
    /// read in order, so a key passed over names an event at or before
    /// this one, which has been or will never be read.
    fn at(&mut self, seq: u64, report: &mut Report) -> Result<Option<Piece>, StoreError> {
        let key = seq.to_be_bytes();
        // An error is taken, to be returned; a key after this one is left.
        let not_after = |item: &scan::Item| {
            item.as_ref()
                .map_or(true, |(found, _)| found.as_ref() <= &key[..])
        };
        while let Some(item) = self.items.next_if(not_after) {
            let (found, value) = item?;
            if found.as_ref() == &key[..] {
                return Ok(Some(value));
            }
            if decode_seq(&found).is_none() {
                report.problem(0, ProblemKind::KeyLength { len: found.len() });
            }
        }
        Ok(None)
    }

    /// The keys after the last event: texts of events that do not exist
    /// (the head is the last event read).
    fn finish(self, report: &mut Report) -> Result<(), StoreError> {
        let last = report.head.map(|(seq, _)| seq);
        for item in self.items.drain() {
            let (key, _) = item?;
            match decode_seq(&key) {
                Some(at) if last.is_some_and(|last| at <= last) => {}
                Some(at) => report.problem(at, ProblemKind::TextsWithoutEvent { at }),
                None => report.problem(0, ProblemKind::KeyLength { len: key.len() }),
            }
        }
        Ok(())
    }
}

fn check_record<T>(report: &mut Report, seq: u64, record: &RecordOf<T>, framing: Framing) {
    // Only the genesis event is told apart here; what every other event may
    // say is the rule book's to decide (`rules`, replayed by `integrity`).
    let genesis_version = match &record.event {
        EventOf::LedgerCreated { format_version, .. } => Some(*format_version),
        EventOf::LedgerUpgraded { format_version, .. } if framing == Framing::Current => {
            Some(*format_version)
        }
        EventOf::LedgerUpgraded { .. }
        | EventOf::Redacted { .. }
        | EventOf::ActionLinked { .. }
        | EventOf::ActionAmended { .. }
        | EventOf::ActorAdded { .. }
        | EventOf::KeyRotated { .. }
        | EventOf::ActorRevoked { .. }
        | EventOf::RequestSigned { .. }
            if framing == Framing::V1 =>
        {
            report.problem(
                seq,
                ProblemKind::NotInFormat {
                    kind: record.event.kind(),
                    version: framing.version(),
                },
            );
            return;
        }
        EventOf::LedgerUpgraded { .. }
        | EventOf::PlanAdded { .. }
        | EventOf::RecommendationAdded { .. }
        | EventOf::ActionAdded { .. }
        | EventOf::StatusChanged { .. }
        | EventOf::MilestoneNoted { .. }
        | EventOf::CompletionClaimed { .. }
        | EventOf::ClaimAccepted { .. }
        | EventOf::ClaimChallenged { .. }
        | EventOf::ActionWithdrawn { .. }
        | EventOf::TargetChanged { .. }
        | EventOf::SourceImported { .. }
        | EventOf::ImportWarning { .. }
        | EventOf::Redacted { .. }
        | EventOf::ActionLinked { .. }
        | EventOf::ActionAmended { .. }
        | EventOf::ActorAdded { .. }
        | EventOf::KeyRotated { .. }
        | EventOf::ActorRevoked { .. }
        | EventOf::RequestSigned { .. } => None,
    };
    match (genesis_version, seq) {
        (Some(found), 0) if found != framing.version() => {
            report.problem(
                0,
                ProblemKind::GenesisFormatVersion {
                    found,
                    expected: framing.version(),
                },
            );
        }
        (Some(_), 0) => {
            if let EventOf::LedgerCreated { ledger_id, .. }
            | EventOf::LedgerUpgraded { ledger_id, .. } = &record.event
            {
                report.ledger_id = Some(*ledger_id);
            }
            if let EventOf::LedgerUpgraded {
                from_ledger_id,
                from_format_version,
                from_head_hash,
                from_events,
                ..
            } = &record.event
            {
                report.upgraded_from = Some(UpgradedFrom {
                    ledger_id: *from_ledger_id,
                    format_version: *from_format_version,
                    head_hash: *from_head_hash,
                    events: *from_events,
                });
            }
        }
        (None, 0) => report.problem(
            0,
            ProblemKind::FirstNotGenesis {
                kind: record.event.kind(),
            },
        ),
        (Some(_), _) => report.problem(seq, ProblemKind::SecondGenesis),
        (None, _) => {}
    }
    if record.actor.trim().is_empty() {
        report.problem(seq, ProblemKind::NoActor);
    }
}

fn track_tx<T>(
    report: &mut Report,
    txs: &mut Vec<SeenTx>,
    seq: u64,
    hash: Hash,
    record: &RecordOf<T>,
) {
    match txs.last_mut() {
        Some(tx) if tx.number == record.tx => {
            if tx.actor != record.actor
                || tx.recorded_at != record.recorded_at
                || tx.clock != record.clock
            {
                report.problem(seq, ProblemKind::TxEventDiffers { tx: tx.number });
            }
            if tx.last_seq.checked_add(1) != Some(seq) {
                report.problem(seq, ProblemKind::TxNotContiguous { tx: tx.number });
            }
            tx.last_seq = seq;
            tx.head_hash = hash;
        }
        last => {
            let expected = last.map_or(0, |tx| tx.number + 1);
            if record.tx != expected {
                report.problem(
                    seq,
                    ProblemKind::TxOutOfOrder {
                        found: record.tx,
                        expected,
                    },
                );
            }
            txs.push(SeenTx {
                number: record.tx,
                first_seq: seq,
                last_seq: seq,
                actor: record.actor.clone(),
                recorded_at: record.recorded_at,
                clock: record.clock,
                head_hash: hash,
            });
        }
    }
}

/// Checks the transaction records against the transactions seen along the
/// chain, and returns the summary of each that decoded.
fn check_tx_records(
    store: &Store,
    report: &mut Report,
    seen: &[SeenTx],
) -> Result<BTreeMap<u64, String>, StoreError> {
    let mut stored = BTreeMap::new();
    let mut summaries = BTreeMap::new();
    for item in store.raw_txs() {
        let (key, value) = item?;
        match (decode_seq(&key), codec::decode::<TxRecord>(&value)) {
            (Some(number), Ok(record)) => {
                summaries.insert(number, record.summary.clone());
                stored.insert(number, record);
            }
            (number, decoded) => {
                let seq = number
                    .and_then(|n| seen.iter().find(|t| t.number == n))
                    .map_or(0, |t| t.first_seq);
                report.problem(
                    seq,
                    ProblemKind::TxRecordUndecodable {
                        key: key.to_vec(),
                        source: decoded.err(),
                    },
                );
            }
        }
    }
    for tx in seen {
        let Some(record) = stored.remove(&tx.number) else {
            report.problem(tx.first_seq, ProblemKind::TxRecordMissing { tx: tx.number });
            continue;
        };
        let agrees = record.first_seq == tx.first_seq
            && record.last_seq == tx.last_seq
            && record.actor == tx.actor
            && record.recorded_at == tx.recorded_at
            && record.clock == tx.clock
            && record.head_hash == tx.head_hash;
        if !agrees {
            report.problem(
                tx.first_seq,
                ProblemKind::TxRecordDisagrees {
                    tx: tx.number,
                    recorded: record.first_seq..=record.last_seq,
                    chain: tx.first_seq..=tx.last_seq,
                },
            );
        }
    }
    for (number, record) in stored {
        report.problem(
            record.first_seq,
            ProblemKind::TxRecordWithoutEvents {
                tx: number,
                recorded: record.first_seq..=record.last_seq,
            },
        );
    }
    Ok(summaries)
}

fn check_head(store: &Store, report: &mut Report) -> Result<(), StoreError> {
    let stored = store.raw_head()?;
    match (stored, report.head) {
        (None, None) => report.problem(0, ProblemKind::NoEvents),
        (None, Some((seq, _))) => report.problem(seq, ProblemKind::HeadMissing),
        (Some(bytes), chain_head) => match (Head::from_bytes(&bytes), chain_head) {
            (None, _) => report.problem(
                chain_head.map_or(0, |h| h.0),
                ProblemKind::HeadUndecodable { len: bytes.len() },
            ),
            (Some(head), None) => {
                report.problem(0, ProblemKind::HeadWithoutEvents { head: head.seq })
            }
            (Some(head), Some((seq, hash))) => {
                if head.seq > seq {
                    report.problem(
                        seq + 1,
                        ProblemKind::HeadBeyondChain {
                            head: head.seq,
                            last: seq,
                        },
                    );
                } else if head.seq < seq {
                    report.problem(
                        head.seq + 1,
                        ProblemKind::HeadBehindChain { head: head.seq },
                    );
                } else if head.hash != hash {
                    report.problem(
                        seq,
                        ProblemKind::HeadHashMismatch {
                            stored: head.hash,
                            last: hash,
                        },
                    );
                }
            }
        },
    }
    Ok(())
}

fn short(hash: &Hash) -> String {
    hex::encode(&hash[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sentences `planledger verify` prints, pinned: the text and HTML
    /// reports show them, so a change here is a change users see.
    #[test]
    fn each_kind_reads_as_it_always_has_and_has_its_own_name() {
        let stored = [0xab; 32];
        let computed = [0xcd; 32];
        let undecodable = codec::decode::<u64>(&[1, 2, 3]).expect_err("three bytes are no u64");
        let undecodable_text = undecodable.to_string();
        let cases: Vec<(ProblemKind, String)> = vec![
            (
                ProblemKind::FormatVersionUnreadable {
                    stored: vec![0, 1],
                },
                "the stored format version is unreadable (0001)".into(),
            ),
            (
                ProblemKind::FormatVersionMissing,
                "the ledger holds events but names no format version".into(),
            ),
            (
                ProblemKind::KeyLength { len: 3 },
                "a key of 3 bytes is not a sequence number".into(),
            ),
            (
                ProblemKind::Block {
                    fault: BlockFault::Truncated,
                },
                "a stored block ends inside an event's length or bytes; the rest of its events cannot be read".into(),
            ),
            (
                ProblemKind::EventsMissing { first: 5, last: 5 },
                "event 5 is missing".into(),
            ),
            (
                ProblemKind::EventsMissing { first: 5, last: 7 },
                "events 5 to 7 are missing".into(),
            ),
            (
                ProblemKind::ValueTooShort { len: 31 },
                "stored value is 31 bytes, too short to hold a hash and a subject".into(),
            ),
            (
                ProblemKind::ValueTooLong { len: 70000 },
                "the record is 70000 bytes, more than a record may hold".into(),
            ),
            (
                ProblemKind::HashMismatch { stored, computed },
                "hash mismatch: stored abababababababab but the bytes hash to cdcdcdcdcdcdcdcd (the event was changed, moved or its predecessor was)".into(),
            ),
            (
                ProblemKind::Undecodable {
                    source: undecodable,
                },
                undecodable_text,
            ),
            (
                ProblemKind::Undecodable {
                    source: CodecError::TrailingBytes { trailing: 2 },
                },
                "record has 2 unexpected byte(s) after its end".into(),
            ),
            (
                ProblemKind::TimeGoesBackwards {
                    recorded_at: 1_600_000_000_000_000,
                    previous: 1_600_000_060_000_000,
                },
                "recorded time goes backwards (2020-09-13T12:26:40Z after 2020-09-13T12:27:40Z)"
                    .into(),
            ),
            (
                ProblemKind::GenesisFormatVersion {
                    found: 9,
                    expected: chain::CHAIN_FORMAT,
                },
                format!("the genesis event names format version 9, not {}", chain::CHAIN_FORMAT),
            ),
            (
                ProblemKind::NotInFormat {
                    kind: EventKind::Redacted,
                    version: 1,
                },
                "a Redacted event, which format 1 does not have".into(),
            ),
            (
                ProblemKind::FirstNotGenesis {
                    kind: EventKind::PlanAdded,
                },
                "the first event is PlanAdded, not LedgerCreated".into(),
            ),
            (
                ProblemKind::SecondGenesis,
                "a second LedgerCreated event".into(),
            ),
            (ProblemKind::NoActor, "the event has no actor".into()),
            (
                ProblemKind::TxEventDiffers { tx: 4 },
                "event differs from the rest of transaction 4 in actor, time or clock".into(),
            ),
            (
                ProblemKind::TxNotContiguous { tx: 4 },
                "transaction 4 is not contiguous".into(),
            ),
            (
                ProblemKind::TxOutOfOrder {
                    found: 6,
                    expected: 5,
                },
                "event belongs to transaction 6, expected 5".into(),
            ),
            (
                ProblemKind::TxRecordUndecodable {
                    key: vec![0, 0, 0, 0, 0, 0, 0, 2],
                    source: None,
                },
                "transaction record 0000000000000002 does not decode".into(),
            ),
            (
                ProblemKind::TxRecordMissing { tx: 2 },
                "transaction 2 has no transaction record".into(),
            ),
            (
                ProblemKind::TxRecordDisagrees {
                    tx: 2,
                    recorded: 3..=5,
                    chain: 3..=4,
                },
                "transaction record 2 (events 3..=5) does not agree with the chain (events 3..=4)"
                    .into(),
            ),
            (
                ProblemKind::TxRecordWithoutEvents {
                    tx: 2,
                    recorded: 3..=5,
                },
                "transaction record 2 names events 3..=5 that the chain does not hold".into(),
            ),
            (
                ProblemKind::NoEvents,
                "the ledger holds no events, not even its genesis event".into(),
            ),
            (
                ProblemKind::HeadMissing,
                "the ledger has events but no stored head".into(),
            ),
            (
                ProblemKind::HeadUndecodable { len: 7 },
                "the stored head does not decode".into(),
            ),
            (
                ProblemKind::HeadWithoutEvents { head: 3 },
                "the stored head names event 3 but no events are stored".into(),
            ),
            (
                ProblemKind::HeadBeyondChain { head: 9, last: 7 },
                "the stored head names event 9 but the chain ends at event 7: events were removed from the end".into(),
            ),
            (
                ProblemKind::HeadBehindChain { head: 7 },
                "events after the stored head (event 7) were never acknowledged".into(),
            ),
            (
                ProblemKind::HeadHashMismatch {
                    stored,
                    last: computed,
                },
                "the stored head hash abababababababab differs from the last event's cdcdcdcdcdcdcdcd".into(),
            ),
            (
                ProblemKind::BrokenRule {
                    refusal: Refusal::SameTarget {
                        action: crate::id::ActionId::of(3),
                    },
                },
                "the event breaks the ledger's rules: A3 already has that target".into(),
            ),
            (
                ProblemKind::SnapshotWrong {
                    at: 4096,
                    fault: SnapshotFault::DiffersFromFold,
                },
                "the snapshot at event 4096 is wrong: it differs from a fold of the events (derived data: 'planledger snapshot --rebuild' replaces it)".into(),
            ),
            (
                ProblemKind::SnapshotWithoutEvent { at: 8192 },
                "a snapshot names event 8192, which the chain does not hold".into(),
            ),
        ];
        let mut names = std::collections::BTreeSet::new();
        for (kind, words) in &cases {
            assert_eq!(&kind.to_string(), words, "{kind:?}");
            names.insert(kind.name());
        }
        // Two cases each for `EventsMissing` and `Undecodable`.
        assert_eq!(names.len(), cases.len() - 2, "every kind has its own name");
    }

    #[test]
    fn an_undecodable_record_keeps_the_codec_error_as_its_source() {
        let kind = ProblemKind::Undecodable {
            source: CodecError::TrailingBytes { trailing: 1 },
        };
        let source = std::error::Error::source(&kind).expect("a source");
        assert_eq!(
            source.to_string(),
            "record has 1 unexpected byte(s) after its end"
        );
    }
}
