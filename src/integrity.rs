//! The whole of `verify`: the stored bytes and chain (`store::chain_check`),
//! then, if those hold, the rules replayed over the history (`rules`) and
//! every snapshot against a fold of the events (`snapshot::check`).

use crate::rules;
use crate::snapshot;
use crate::store::chain_check::{self, ProblemKind, Report};
use crate::store::{Store, StoreError};

/// Verifies everything `planledger verify` promises. Errors only if the
/// storage engine cannot be read; every finding is in the report.
pub fn verify(store: &Store) -> Result<Report, StoreError> {
    let mut report = chain_check::check_chain(store)?;
    if !report.ok() {
        // Replaying a broken chain would prove nothing.
        return Ok(report);
    }
    let events = store.events().collect::<Result<Vec<_>, _>>()?;
    let replayed =
        rules::check_with_subjects(events.iter().map(|e| (e.seq, e.hash, e.subject, &e.record)));
    for (seq, refusal) in replayed {
        report.problem(seq, ProblemKind::BrokenRule { refusal });
    }
    snapshot::check(store, &mut report)?;
    Ok(report)
}
