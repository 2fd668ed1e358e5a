//! The whole of `verify`: the stored bytes and chain (`store::chain_check`),
//! then, if those hold, the rules replayed over the history (`rules`) and
//! every snapshot against a fold of the events (`snapshot`).
//!
//! The events are read once and streamed, never held together: one thread
//! reads, hashes, decodes and opens each event (`check_chain_with`), and
//! hands it, in batches through a bounded channel, to a second thread that
//! replays the rule book over it and compares each snapshot with the state
//! the replay has reached (one fold serves both). Each thread has its own
//! share of the work, so on two cores the whole takes about as long as the
//! longer of the two. Findings of the replay count only if the bytes and
//! chain hold: replaying a broken chain proves nothing, and the report then
//! names only what is wrong with the bytes and chain, as it always has.

use std::sync::mpsc;

use crate::chain::Subject;
use crate::event::{Hash, Record};
use crate::rules::{self, Refusal};
use crate::snapshot;
use crate::store::chain_check::{self, ProblemKind, Report};
use crate::store::{Store, StoreError};

/// Events handed from the reading thread to the replaying one at a time.
const BATCH: usize = 256;

/// Batches in flight between the two threads: what bounds the memory of
/// events read but not yet replayed.
const IN_FLIGHT: usize = 16;

type Batch = Vec<(u64, Hash, Subject, Record)>;

/// What the replaying thread found.
struct Replayed {
    refusals: Vec<(u64, Refusal)>,
    snapshots: Report,
    index: crate::store::IndexCheck,
}

/// Verifies everything `planledger verify` promises. Errors only if the
/// storage engine cannot be read; every finding is in the report.
pub fn verify(store: &Store) -> Result<Report, StoreError> {
    verify_with_progress(store, &|_| {})
}

/// [`verify`], telling `progress` how many events have been read, every
/// few hundred (for a progress bar).
pub fn verify_with_progress(
    store: &Store,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Report, StoreError> {
    let (send, receive) = mpsc::sync_channel::<Batch>(IN_FLIGHT);
    let (chain, replayed) = std::thread::scope(|scope| {
        let replayer = scope.spawn(move || replay(store, receive));
        let chain = {
            let mut batch = Vec::with_capacity(BATCH);
            let mut replaying = true;
            let report = chain_check::check_chain_with(store, |seq, hash, subject, record| {
                if !replaying {
                    return;
                }
                batch.push((seq, hash, subject, record));
                if batch.len() == BATCH {
                    progress(seq + 1);
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    // The replay stopped (storage error): its result says why.
                    replaying = send.send(full).is_ok();
                }
            });
            if replaying && !batch.is_empty() {
                let _ = send.send(batch);
            }
            drop(send);
            report
        };
        let replayed = match replayer.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        (chain, replayed)
    });
    let mut report = chain?;
    if !report.ok() {
        // Replaying a broken chain would prove nothing.
        return Ok(report);
    }
    let replayed = replayed?;
    for (seq, refusal) in replayed.refusals {
        report.problem(seq, ProblemKind::BrokenRule { refusal });
    }
    report.snapshots = replayed.snapshots.snapshots;
    report.problems.extend(replayed.snapshots.problems);
    report.action_index_entries = replayed.index.entries;
    if let Some(fault) = replayed.index.fault {
        report.problem(fault.seq(), ProblemKind::ActionIndexWrong { fault });
    }
    Ok(report)
}

/// The replaying thread: the rule book over every event received, each
/// stored snapshot against the state reached at its sequence number, and
/// the action index against what the events are about.
fn replay(store: &Store, receive: mpsc::Receiver<Batch>) -> Result<Replayed, StoreError> {
    let mut rules = rules::Replay::default();
    let mut snapshots = Report::default();
    let mut checker = snapshot::Checker::new(store)?;
    for batch in receive {
        for (seq, hash, subject, record) in batch {
            rules.step(seq, hash, subject, &record);
            checker.after(rules.state(), &mut snapshots)?;
        }
    }
    checker.finish(&mut snapshots);
    let index = store.check_action_index(rules.subjects())?;
    Ok(Replayed {
        refusals: rules.finish(),
        snapshots,
        index,
    })
}
