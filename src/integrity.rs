//! The whole of `verify`: the stored bytes and chain (`store::chain_check`),
//! then, if those hold, the rules replayed over the history (`rules`) and
//! every snapshot against a fold of the events (`snapshot`).
//!
//! The events are read once and streamed, never held together: two
//! threads read the `events` and `texts` trees a block of keys at a time
//! and hash the events they read (`store::scan`), one thread checks,
//! decodes and opens each event in order (`check_chain_with`), and hands
//! it, in batches through a bounded channel, to the calling thread, which
//! replays the rule book over it and compares each snapshot with the state
//! the replay has reached (one fold serves both). Reading sled's trees and
//! hashing what is read are split in two; on two cores the whole takes
//! about as long as the four shares divided between them, and the
//! checking thread carries the most (BENCHMARKS.md, run J). Findings of
//! the replay count only if
//! the bytes and chain hold: replaying a broken chain proves nothing, and
//! the report then names only what is wrong with the bytes and chain, as it
//! always has.

use std::sync::mpsc;

use crate::chain::Subject;
use crate::event::{Hash, Record};
use crate::rules::{self, Refusal};
use crate::snapshot;
use crate::store::chain_check::{self, ProblemKind, Report};
use crate::store::{Readers, Store, StoreError};

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
    // The replay runs on the calling thread, and the checking and the
    // reading (`Readers::TwoThreads`) on threads of their own. glibc gives
    // a second thread an arena of its own and keeps what was freed there
    // for it, so the larger share, sled's pages read, is better on the
    // threads that end: 14 MB less at 1M events than the other way round.
    let (chain, replayed) = std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            let mut replaying = true;
            let readers = Readers::TwoThreads;
            let report =
                chain_check::check_chain_with(store, readers, |seq, hash, subject, record| {
                    if !replaying {
                        return;
                    }
                    batch.push((seq, hash, subject, record));
                    if batch.len() == BATCH {
                        progress(seq.saturating_add(1));
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        // The replay stopped (storage error): its result says why.
                        replaying = send.send(full).is_ok();
                    }
                });
            if replaying && !batch.is_empty() {
                let _ = send.send(batch);
            }
            report
        });
        let replayed = replay(store, receive);
        let chain = match reader.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        (chain, replayed)
    });
    combine(chain, replayed)
}

/// [`verify`] on the calling thread alone: the same checks, one after the
/// other for each event, slower on two cores. For a caller that goes on to
/// build large state of its own (a report): memory a second thread freed
/// stays in that thread's glibc arena, where the caller cannot reuse it, so
/// a report that verified on two threads held about 60 MB more at 1M
/// events.
pub fn verify_on_this_thread(store: &Store) -> Result<Report, StoreError> {
    let mut replayer = Replayer::new(store)?;
    let mut failed = None;
    let chain =
        chain_check::check_chain_with(store, Readers::ThisThread, |seq, hash, subject, record| {
            if failed.is_none()
                && let Err(e) = replayer.step(seq, hash, subject, &record)
            {
                failed = Some(e);
            }
        });
    let replayed = match failed {
        Some(e) => Err(e),
        None => replayer.finish(),
    };
    combine(chain, replayed)
}

/// The chain check's report with the replay's findings, which count only
/// if the bytes and chain hold.
fn combine(
    chain: Result<Report, StoreError>,
    replayed: Result<Replayed, StoreError>,
) -> Result<Report, StoreError> {
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

/// The replaying thread: every event received, through a [`Replayer`].
fn replay(store: &Store, receive: mpsc::Receiver<Batch>) -> Result<Replayed, StoreError> {
    let mut replayer = Replayer::new(store)?;
    for batch in receive {
        for (seq, hash, subject, record) in batch {
            replayer.step(seq, hash, subject, &record)?;
        }
    }
    replayer.finish()
}

/// The rule book over every event in order, each stored snapshot against
/// the state reached at its sequence number, and at the end the action
/// index against what the events are about.
struct Replayer<'a> {
    store: &'a Store,
    rules: rules::Replay,
    snapshots: Report,
    checker: snapshot::Checker<'a>,
}

impl<'a> Replayer<'a> {
    fn new(store: &'a Store) -> Result<Replayer<'a>, StoreError> {
        Ok(Replayer {
            store,
            rules: rules::Replay::default(),
            snapshots: Report::default(),
            checker: snapshot::Checker::new(store)?,
        })
    }

    fn step(
        &mut self,
        seq: u64,
        hash: Hash,
        subject: Subject,
        record: &Record,
    ) -> Result<(), StoreError> {
        self.rules.step(seq, hash, subject, record);
        self.checker.after(self.rules.state(), &mut self.snapshots)
    }

    fn finish(mut self) -> Result<Replayed, StoreError> {
        self.checker.finish(&mut self.snapshots);
        let index = self.store.check_action_index(self.rules.subjects())?;
        Ok(Replayed {
            refusals: self.rules.finish(),
            snapshots: self.snapshots,
            index,
        })
    }
}
