//! `verify`: re-reads every stored byte and trusts none of it.
//!
//! It recomputes every event hash from the stored record bytes, checks every
//! link and sequence number, that recorded time never goes backwards, that
//! every record decodes (with no trailing bytes), that transactions are
//! contiguous and agree with their `txs` records, and that the stored head
//! names the last event. It never panics, whatever the bytes: every problem
//! becomes a [`Problem`] naming the sequence number where it was found.

use crate::chain::{self, GENESIS_PREV};
use crate::codec;
use crate::event::{ClockNote, Event, Hash, Micros, Record, TxRecord};

use super::{FORMAT_VERSION, Head, RawTree, Store, StoreError, decode_seq};

/// Something `verify` found wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The sequence number of the first event the problem concerns.
    pub seq: u64,
    pub what: String,
}

/// Everything `verify` checked and found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
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
}

impl Report {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The lowest sequence number any problem concerns.
    pub fn first_bad_seq(&self) -> Option<u64> {
        self.problems.iter().map(|p| p.seq).min()
    }

    fn problem(&mut self, seq: u64, what: impl Into<String>) {
        self.problems.push(Problem {
            seq,
            what: what.into(),
        });
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

/// Verifies the whole ledger. Errors only if the storage engine itself
/// cannot be read; anything wrong with the stored data is in the report.
pub fn verify(store: &Store) -> Result<Report, StoreError> {
    let mut report = Report::default();
    let mut prev: Option<Hash> = Some(GENESIS_PREV);
    let mut expected_seq = 0u64;
    let mut last_recorded: Option<Micros> = None;
    let mut txs: Vec<SeenTx> = Vec::new();
    match store.format_version() {
        Err(StoreError::Damaged { seq, kind }) => report.problem(seq, kind.to_string()),
        result => result?,
    }

    for item in store.raw_tree(RawTree::Events) {
        let (key, value) = item?;
        report.events += 1;
        let Some(seq) = decode_seq(&key) else {
            report.problem(
                expected_seq,
                format!("a key of {} bytes is not a sequence number", key.len()),
            );
            continue;
        };
        if seq > expected_seq {
            let missing = if seq == expected_seq + 1 {
                format!("event {expected_seq} is missing")
            } else {
                format!("events {expected_seq} to {} are missing", seq - 1)
            };
            report.problem(expected_seq, missing);
            // The missing event's hash is unknown: this one cannot be linked.
            prev = None;
        }
        expected_seq = seq + 1;

        if value.len() < 32 {
            report.problem(
                seq,
                format!(
                    "stored value is {} bytes, too short to hold a hash",
                    value.len()
                ),
            );
            prev = None;
            continue;
        }
        let stored_hash: Hash = value[..32].try_into().expect("checked length");
        let bytes = &value[32..];
        if bytes.len() > codec::MAX_RECORD_LEN {
            // Too long for the framing's u32 length, or for any record:
            // nothing to hash or decode.
            report.problem(
                seq,
                format!(
                    "the record is {} bytes, more than a record may hold",
                    bytes.len()
                ),
            );
            prev = Some(stored_hash);
            continue;
        }
        if let Some(prev_hash) = prev {
            let computed = chain::event_hash(&prev_hash, seq, bytes);
            if computed != stored_hash {
                report.problem(
                    seq,
                    format!(
                        "hash mismatch: stored {} but the bytes hash to {} (the event was changed, moved or its predecessor was)",
                        short(&stored_hash),
                        short(&computed)
                    ),
                );
            }
        }
        // Continue from the stored hash so that one changed event is
        // reported once, not again at every later event.
        prev = Some(stored_hash);
        report.head = Some((seq, stored_hash));

        let record = match codec::decode::<Record>(bytes) {
            Ok(record) => record,
            Err(e) => {
                report.problem(seq, e.to_string());
                continue;
            }
        };
        check_record(&mut report, seq, &record);
        if let Some(last) = last_recorded
            && record.recorded_at < last
        {
            report.problem(
                seq,
                format!(
                    "recorded time goes backwards ({} after {})",
                    crate::time::format_micros(record.recorded_at),
                    crate::time::format_micros(last)
                ),
            );
        }
        last_recorded = Some(record.recorded_at);
        track_tx(&mut report, &mut txs, seq, stored_hash, &record);
    }

    report.transactions = txs.len() as u64;
    for tx in &txs {
        match tx.clock {
            ClockNote::Overridden => report.clock_overridden.push(tx.number),
            ClockNote::HeldAtHead { .. } => report.clock_held.push(tx.number),
            ClockNote::System => {}
        }
    }
    check_tx_records(store, &mut report, &txs)?;
    check_head(store, &mut report)?;
    Ok(report)
}

fn check_record(report: &mut Report, seq: u64, record: &Record) {
    match (&record.event, seq) {
        (Event::LedgerCreated { format_version, .. }, 0) if *format_version != FORMAT_VERSION => {
            report.problem(
                0,
                format!(
                    "the genesis event names format version {format_version}, not {FORMAT_VERSION}"
                ),
            );
        }
        (Event::LedgerCreated { .. }, 0) => {}
        (_, 0) => report.problem(
            0,
            format!(
                "the first event is {}, not LedgerCreated",
                record.event.kind()
            ),
        ),
        (Event::LedgerCreated { .. }, _) => report.problem(seq, "a second LedgerCreated event"),
        _ => {}
    }
    if record.actor.trim().is_empty() {
        report.problem(seq, "the event has no actor");
    }
}

fn track_tx(report: &mut Report, txs: &mut Vec<SeenTx>, seq: u64, hash: Hash, record: &Record) {
    match txs.last_mut() {
        Some(tx) if tx.number == record.tx => {
            if tx.actor != record.actor
                || tx.recorded_at != record.recorded_at
                || tx.clock != record.clock
            {
                report.problem(
                    seq,
                    format!(
                        "event differs from the rest of transaction {} in actor, time or clock",
                        tx.number
                    ),
                );
            }
            if tx.last_seq + 1 != seq {
                report.problem(seq, format!("transaction {} is not contiguous", tx.number));
            }
            tx.last_seq = seq;
            tx.head_hash = hash;
        }
        last => {
            let expected = last.map_or(0, |tx| tx.number + 1);
            if record.tx != expected {
                report.problem(
                    seq,
                    format!(
                        "event belongs to transaction {}, expected {expected}",
                        record.tx
                    ),
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

fn check_tx_records(store: &Store, report: &mut Report, seen: &[SeenTx]) -> Result<(), StoreError> {
    let mut stored = std::collections::BTreeMap::new();
    for item in store.raw_tree(RawTree::Txs) {
        let (key, value) = item?;
        match (decode_seq(&key), codec::decode::<TxRecord>(&value)) {
            (Some(number), Ok(record)) => {
                stored.insert(number, record);
            }
            (number, _) => {
                let seq = number
                    .and_then(|n| seen.iter().find(|t| t.number == n))
                    .map_or(0, |t| t.first_seq);
                report.problem(
                    seq,
                    format!("transaction record {} does not decode", hex::encode(&key)),
                );
            }
        }
    }
    for tx in seen {
        let Some(record) = stored.remove(&tx.number) else {
            report.problem(
                tx.first_seq,
                format!("transaction {} has no transaction record", tx.number),
            );
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
                format!(
                    "transaction record {} (events {}..={}) does not agree with the chain (events {}..={})",
                    tx.number, record.first_seq, record.last_seq, tx.first_seq, tx.last_seq
                ),
            );
        }
    }
    for (number, record) in stored {
        report.problem(
            record.first_seq,
            format!(
                "transaction record {number} names events {}..={} that the chain does not hold",
                record.first_seq, record.last_seq
            ),
        );
    }
    Ok(())
}

fn check_head(store: &Store, report: &mut Report) -> Result<(), StoreError> {
    let stored = store.raw_head()?;
    match (stored, report.head) {
        (None, None) => report.problem(0, "the ledger holds no events, not even its genesis event"),
        (None, Some((seq, _))) => report.problem(seq, "the ledger has events but no stored head"),
        (Some(bytes), chain_head) => match (Head::from_bytes(&bytes), chain_head) {
            (None, _) => report.problem(
                chain_head.map_or(0, |h| h.0),
                "the stored head does not decode",
            ),
            (Some(head), None) => report.problem(
                0,
                format!(
                    "the stored head names event {} but no events are stored",
                    head.seq
                ),
            ),
            (Some(head), Some((seq, hash))) => {
                if head.seq > seq {
                    report.problem(
                        seq + 1,
                        format!("the stored head names event {} but the chain ends at event {seq}: events were removed from the end", head.seq),
                    );
                } else if head.seq < seq {
                    report.problem(
                        head.seq + 1,
                        format!(
                            "events after the stored head (event {}) were never acknowledged",
                            head.seq
                        ),
                    );
                } else if head.hash != hash {
                    report.problem(
                        seq,
                        format!(
                            "the stored head hash {} differs from the last event's {}",
                            short(&head.hash),
                            short(&hash)
                        ),
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
