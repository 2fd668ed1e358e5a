//! `planledger upgrade`: a format-1 ledger carried into a new format-2
//! ledger, the old one left exactly as it was.
//!
//! What it promises:
//!
//! - The old ledger is never written. It is read under its lock from a copy
//!   of its files (`Store::open_copy_waiting`), because sled 0.34.7 may
//!   write to the files it opens.
//! - Nothing is carried from a ledger that is not intact. The old ledger is
//!   checked in full first, as `verify` checks a current one: every hash
//!   and link with format 1's framing, every record decoded (no trailing
//!   bytes, no event format 1 does not have), the transaction records and
//!   the head (`store::chain_check::check_chain_v1`), then every event
//!   replayed against the rule book (`rules::check`). The first problem is
//!   named, with its sequence number, and nothing is written.
//! - The new ledger's genesis is `LedgerUpgraded`, naming the old ledger's
//!   id, its format, its head hash and how many events it holds; it keeps
//!   the old genesis's envelope (transaction 0, its recorded time, clock
//!   and actor) so that recorded time never goes backwards. Every other old
//!   event follows as it was recorded (`Ledger::append_carried`): the same
//!   sequence number, transaction, recorded time, clock note, actor,
//!   effective date, source and fact, each asked of the rule book again.
//!   So the two ledgers fold to the same plans.
//! - The new ledger appears whole or not at all: it is written beside its
//!   target, verified in full (`integrity::verify`), and only then moved
//!   into place (`store::Staging`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::chain::CHAIN_FORMAT;
use crate::event::{Event, Hash, Record};
use crate::integrity;
use crate::ledger::{Carried, Ledger, LedgerError};
use crate::rules;
use crate::store::chain_check::{self, Format1Event, Problem, ProblemKind, Report};
use crate::store::{FORMAT_VERSION, LockWait, Staging, Store, StoreError};
use crate::time::{Clock, format_micros};

/// The format this module carries into a new ledger, event by event.
pub const FROM_FORMAT: u32 = 1;

/// The format this module writes again in blocks, keeping every byte of
/// its chain.
pub const LAYOUT_FROM_FORMAT: u32 = 2;

#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    #[error(
        "no ledger at {path}: name the directory of the format-{FROM_FORMAT} ledger (the one holding 'sled/')"
    )]
    NoOldLedger { path: PathBuf },
    #[error(
        "ledger {path} is already in format {FORMAT_VERSION}: there is nothing to upgrade, and this planledger reads it as it is"
    )]
    AlreadyCurrent { path: PathBuf },
    #[error(
        "{path} is not empty: upgrade writes the new ledger only into a new or empty directory (nothing was written)"
    )]
    NewNotEmpty { path: PathBuf },
    #[error(
        "{new} is inside the old ledger {old}: upgrade writes nothing there; name a directory outside it"
    )]
    NewInsideOld { old: PathBuf, new: PathBuf },
    #[error(
        "ledger {path} cannot be upgraded: at sequence {seq}, {kind}{}; upgrade carries only an intact ledger, and wrote nothing ('planledger verify' on it, with the planledger that wrote it, gives the full report)",
        More(*.more)
    )]
    OldNotIntact {
        path: PathBuf,
        seq: u64,
        #[source]
        kind: ProblemKind,
        /// How many other problems were found.
        more: usize,
    },
    #[error(
        "the upgraded ledger failed its own verify at sequence {seq}: {kind}; nothing was left at {path} (this is a bug in planledger: please report it)"
    )]
    NewNotIntact {
        path: PathBuf,
        seq: u64,
        #[source]
        kind: ProblemKind,
    },
    #[error("the system could not provide randomness for the new ledger's id: {0}")]
    Random(#[source] getrandom::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl UpgradeError {
    /// True when the old ledger's stored data is damaged or breaks the
    /// rules (an integrity failure), as opposed to a refusal.
    pub fn is_damage(&self) -> bool {
        match self {
            UpgradeError::OldNotIntact { .. } => true,
            UpgradeError::Store(e) => e.is_damage(),
            UpgradeError::Ledger(e) => e.is_damage(),
            UpgradeError::NoOldLedger { .. }
            | UpgradeError::AlreadyCurrent { .. }
            | UpgradeError::NewNotEmpty { .. }
            | UpgradeError::NewInsideOld { .. }
            | UpgradeError::NewNotIntact { .. }
            | UpgradeError::Random(_) => false,
        }
    }
}

/// " (and 3 more problems)", or nothing.
struct More(usize);

impl std::fmt::Display for More {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            0 => Ok(()),
            1 => f.write_str(" (and 1 more problem)"),
            n => write!(f, " (and {n} more problems)"),
        }
    }
}

/// What an upgrade did: both ledgers' ids and heads, which the user should
/// write down.
#[derive(Debug)]
pub struct Upgraded {
    /// The format the old ledger was in: 1 (carried into a new ledger) or
    /// 2 (the same ledger, written in blocks).
    pub from_format: u32,
    pub old_id: [u8; 16],
    /// The old ledger's head: its last event's sequence number and hash.
    pub old_head: (u64, Hash),
    /// Events the old ledger holds, and so the new one (its genesis in
    /// place of the old genesis).
    pub events: u64,
    pub transactions: u64,
    pub new_id: [u8; 16],
    pub new_head: (u64, Hash),
    /// `verify` of the new ledger, run before it was moved into place.
    pub verified: Report,
}

/// Upgrades the format-1 ledger at `old` into a new format-2 ledger at
/// `new` (a new or empty directory). `actor` (who runs the upgrade) and
/// the time `clock` reads are kept in the new genesis transaction's
/// summary; the chain keeps the old genesis's envelope. `wait` is how long
/// to wait for the old ledger's lock.
pub fn upgrade(
    old: &Path,
    new: &Path,
    actor: &str,
    clock: Arc<dyn Clock>,
    wait: LockWait<'_>,
) -> Result<Upgraded, UpgradeError> {
    Store::check_new_or_empty(new).map_err(|e| new_dir_error(new, e))?;
    if is_inside(new, old) {
        return Err(UpgradeError::NewInsideOld {
            old: old.to_path_buf(),
            new: new.to_path_buf(),
        });
    }
    let store = Store::open_copy_waiting(old, wait).map_err(|e| match e {
        StoreError::NotALedger { path } => UpgradeError::NoOldLedger { path },
        e => e.into(),
    })?;
    match store.stored_format_version()? {
        FROM_FORMAT => {}
        LAYOUT_FROM_FORMAT => return relayout(old, store, new),
        FORMAT_VERSION => {
            return Err(UpgradeError::AlreadyCurrent {
                path: old.to_path_buf(),
            });
        }
        found => {
            return Err(StoreError::UnknownFormat {
                path: old.to_path_buf(),
                found,
            }
            .into());
        }
    }
    let read = read_old(old, store)?;
    let old_events = read.events.len() as u64;
    let (old_id, transactions) = (read.ledger_id, read.transactions.len() as u64 + 1);

    let mut new_id = [0u8; 16];
    getrandom::fill(&mut new_id).map_err(UpgradeError::Random)?;
    let mut genesis = read.genesis;
    genesis.records[0].event = Event::LedgerUpgraded {
        ledger_id: new_id,
        format_version: CHAIN_FORMAT,
        from_ledger_id: old_id,
        from_format_version: FROM_FORMAT,
        from_head_hash: read.head.1,
        from_events: old_events,
    };
    genesis.summary = format!(
        "upgrade from format {FROM_FORMAT} by {} at {}",
        actor.trim(),
        format_micros(clock.now())
    );

    let staging = Staging::new(new).map_err(|e| new_dir_error(new, e))?;
    let mut ledger = Ledger::init_carried(staging.dir(), genesis, clock, LockWait::no_wait())?;
    for tx in read.transactions {
        ledger.append_carried(tx)?;
    }
    let not_intact = |problem: Problem| UpgradeError::NewNotIntact {
        path: new.to_path_buf(),
        seq: problem.seq,
        kind: problem.kind,
    };
    let verified = intact(integrity::verify(ledger.store())?).map_err(|(p, _)| not_intact(p))?;
    let Some(new_head) = verified.head else {
        return Err(not_intact(Problem {
            seq: 0,
            kind: ProblemKind::NoEvents,
        }));
    };
    drop(ledger);
    staging.publish().map_err(|e| new_dir_error(new, e))?;
    Ok(Upgraded {
        from_format: FROM_FORMAT,
        old_id,
        old_head: read.head,
        events: old_events,
        transactions,
        new_id,
        new_head,
        verified,
    })
}

/// Writes the format-2 ledger at `old` (`store`, a copy of it) into a new
/// format-3 ledger at `new`: the same chain, byte for byte, in blocks
/// (`Store::copy_from_format2`). The old ledger is verified in full first
/// (every hash, link, text, transaction record and the head, every event
/// against the rules, its snapshots and index), the new one in full after;
/// the new one must end at the old one's head, with its hash, and is only
/// then moved into place.
fn relayout(old: &Path, store: Store, new: &Path) -> Result<Upgraded, UpgradeError> {
    let not_intact = |problem: Problem, more: usize| UpgradeError::OldNotIntact {
        path: old.to_path_buf(),
        seq: problem.seq,
        kind: problem.kind,
        more,
    };
    let checked =
        intact(integrity::verify(&store)?).map_err(|(problem, more)| not_intact(problem, more))?;
    let (Some(old_head), Some(old_id)) = (checked.head, checked.ledger_id) else {
        return Err(not_intact(
            Problem {
                seq: 0,
                kind: ProblemKind::NoEvents,
            },
            0,
        ));
    };
    let staging = Staging::new(new).map_err(|e| new_dir_error(new, e))?;
    let events = Store::create(staging.dir())?.copy_from_format2(&store)?;
    // The old ledger's copy is let go before the new ledger is read, so
    // that the two are never held at once.
    drop(store);
    let written = Store::open(staging.dir())?;
    let new_not_intact = |problem: Problem| UpgradeError::NewNotIntact {
        path: new.to_path_buf(),
        seq: problem.seq,
        kind: problem.kind,
    };
    // On this thread, where the old ledger's check left memory it can use
    // again: 1M events upgraded in 182 MB, 200-216 MB on threads of its own.
    let verified =
        intact(integrity::verify_on_this_thread(&written)?).map_err(|(p, _)| new_not_intact(p))?;
    if verified.head != Some(old_head) || verified.events != checked.events {
        return Err(new_not_intact(Problem {
            seq: old_head.0,
            kind: ProblemKind::HeadHashMismatch {
                stored: verified.head.map_or([0; 32], |h| h.1),
                last: old_head.1,
            },
        }));
    }
    drop(written);
    staging.publish().map_err(|e| new_dir_error(new, e))?;
    Ok(Upgraded {
        from_format: LAYOUT_FROM_FORMAT,
        old_id,
        old_head,
        events,
        transactions: verified.transactions,
        new_id: old_id,
        new_head: old_head,
        verified,
    })
}

/// A format-1 ledger read and found intact.
struct OldLedger {
    ledger_id: [u8; 16],
    head: (u64, Hash),
    events: Vec<Format1Event>,
    /// The genesis transaction, its genesis still the old one.
    genesis: Carried,
    /// Every later transaction, in order.
    transactions: Vec<Carried>,
}

/// Reads the format-1 ledger at `old` (`store`, a copy of it), checks it
/// in full and groups its events into their transactions.
fn read_old(old: &Path, store: Store) -> Result<OldLedger, UpgradeError> {
    let chain = chain_check::check_chain_v1(&store)?;
    drop(store);
    let mut report = chain.report;
    if report.ok() {
        // Replaying a broken chain would prove nothing.
        let refusals = rules::check(chain.events.iter().map(|e| (e.seq, e.hash, &e.record)));
        for (seq, refusal) in refusals {
            report.problem(seq, ProblemKind::BrokenRule { refusal });
        }
    }
    let not_intact = |problem: Problem, more: usize| UpgradeError::OldNotIntact {
        path: old.to_path_buf(),
        seq: problem.seq,
        kind: problem.kind,
        more,
    };
    let report = intact(report).map_err(|(problem, more)| not_intact(problem, more))?;
    let (Some(head), Some(first)) = (report.head, chain.events.first()) else {
        return Err(not_intact(
            Problem {
                seq: 0,
                kind: ProblemKind::NoEvents,
            },
            0,
        ));
    };
    let Event::LedgerCreated { ledger_id, .. } = first.record.event else {
        return Err(not_intact(
            Problem {
                seq: 0,
                kind: ProblemKind::FirstNotGenesis {
                    kind: first.record.event.kind(),
                },
            },
            0,
        ));
    };
    let mut transactions = group(
        chain.events.iter().map(|e| e.record.clone()),
        &chain.summaries,
    );
    // The check found the genesis first, so there is a first transaction.
    let genesis = transactions.remove(0);
    Ok(OldLedger {
        ledger_id,
        head,
        events: chain.events,
        genesis,
        transactions,
    })
}

/// Groups records (in chain order, each transaction's contiguous) into
/// their transactions, each with the summary its transaction record gave.
fn group(records: impl Iterator<Item = Record>, summaries: &BTreeMap<u64, String>) -> Vec<Carried> {
    let mut transactions: Vec<Carried> = Vec::new();
    for record in records {
        match transactions.last_mut() {
            Some(tx) if tx.records.last().is_some_and(|r| r.tx == record.tx) => {
                tx.records.push(record)
            }
            _ => transactions.push(Carried {
                summary: summaries.get(&record.tx).cloned().unwrap_or_default(),
                records: vec![record],
            }),
        }
    }
    transactions
}

/// The report, when it found nothing wrong; otherwise its first problem
/// at the lowest sequence number, and how many others it found.
fn intact(mut report: Report) -> Result<Report, (Problem, usize)> {
    let more = report.problems.len().saturating_sub(1);
    // `min_by_key` gives the first of equals: the first found at that seq.
    match std::mem::take(&mut report.problems)
        .into_iter()
        .min_by_key(|p| p.seq)
    {
        None => Ok(report),
        Some(first) => Err((first, more)),
    }
}

/// A [`StoreError`] about the new ledger's directory, in upgrade's words
/// where `init`'s would mislead.
fn new_dir_error(new: &Path, e: StoreError) -> UpgradeError {
    match e {
        StoreError::NotEmpty { .. } => UpgradeError::NewNotEmpty {
            path: new.to_path_buf(),
        },
        e => e.into(),
    }
}

/// True when `new` is `old` or lies inside it, symbolic links resolved as
/// far as `new` exists.
fn is_inside(new: &Path, old: &Path) -> bool {
    let Ok(old) = std::fs::canonicalize(old) else {
        return false;
    };
    let Ok(mut probe) = std::path::absolute(new) else {
        return false;
    };
    loop {
        if let Ok(found) = std::fs::canonicalize(&probe) {
            return found.starts_with(&old);
        }
        if !probe.pop() {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::ClockNote;
    use crate::id::ActionId;

    fn note(tx: u64) -> Record {
        Record {
            tx,
            recorded_at: 1_600_000_000_000_000 + tx as i64,
            clock: ClockNote::System,
            actor: "Ann".into(),
            effective: None,
            source: None,
            event: Event::MilestoneNoted {
                action: ActionId::of(1),
                note: format!("in transaction {tx}"),
            },
        }
    }

    #[test]
    fn records_are_grouped_into_their_transactions_with_their_summaries() {
        let summaries = BTreeMap::from([(0, "init".to_string()), (2, "note".to_string())]);
        let grouped = group([note(0), note(1), note(1), note(2)].into_iter(), &summaries);
        let shape: Vec<(&str, usize)> = grouped
            .iter()
            .map(|tx| (tx.summary.as_str(), tx.records.len()))
            .collect();
        assert_eq!(shape, [("init", 1), ("", 2), ("note", 1)]);
    }

    #[test]
    fn a_target_inside_the_old_ledger_is_inside_even_before_it_exists() {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let old = tmp.path().join("old");
        std::fs::create_dir(&old).expect("old");
        assert!(is_inside(&old, &old));
        assert!(is_inside(&old.join("a/b/new"), &old));
        assert!(is_inside(&old.join("../old/new"), &old));
        assert!(!is_inside(&tmp.path().join("new"), &old));
        assert!(
            !is_inside(&tmp.path().join("old-new"), &old),
            "a prefix of a name is not inside"
        );
    }

    #[test]
    fn old_not_intact_says_where_why_and_how_many_more() {
        let e = UpgradeError::OldNotIntact {
            path: "old".into(),
            seq: 9,
            kind: ProblemKind::NoActor,
            more: 2,
        };
        assert_eq!(
            e.to_string(),
            "ledger old cannot be upgraded: at sequence 9, the event has no actor (and 2 more problems); upgrade carries only an intact ledger, and wrote nothing ('planledger verify' on it, with the planledger that wrote it, gives the full report)"
        );
        assert!(e.is_damage());
    }
}
