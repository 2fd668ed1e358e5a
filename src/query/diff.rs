//! What changed between two points in time, on either axis.
//!
//! On the recorded axis the change from instant `t1` to `t2` is the events
//! recorded in `[t1, t2]`; on the valid axis from day `d1` to `d2` it is the
//! facts that became true in `[d1, d2]`. Both ends are included, so "since
//! 1 June" includes 1 June. Either way, folding
//! the change onto the state at the first point gives the state at the
//! second: the change is a list of events, not a summary of it. Beside the
//! events, [`Diff::moves`] compares each action's status at the two points.

use std::borrow::Borrow;

use chrono::NaiveDate;

use crate::event::{EventKind, Micros};
use crate::id::ActionId;
use crate::ledger::View;
use crate::projection::{State, valid_from};
use crate::query::audit::{self, Entry, Filter};
use crate::status::Status;
use crate::store::StoredEvent;

/// The two points compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Span {
    /// Events recorded at or after `from` and at or before `to`.
    Recorded { from: Micros, to: Micros },
    /// Facts that became true in the world on a day from `from` to `to`,
    /// both included, as the ledger knew them at `as_of` (or now).
    Valid {
        from: NaiveDate,
        to: NaiveDate,
        as_of: Option<Micros>,
    },
}

impl Span {
    /// The views at the start and the end of the span.
    pub fn views(self) -> (View, View) {
        match self {
            Span::Recorded { from, to } => (
                View {
                    as_of: Some(from - 1),
                    valid_at: None,
                },
                View {
                    as_of: Some(to),
                    valid_at: None,
                },
            ),
            Span::Valid { from, to, as_of } => (
                View {
                    as_of,
                    valid_at: from.pred_opt(),
                },
                View {
                    as_of,
                    valid_at: Some(to),
                },
            ),
        }
    }

    /// Whether an event belongs to the change.
    pub fn contains(self, event: &StoredEvent) -> bool {
        match self {
            Span::Recorded { from, to } => {
                event.record.recorded_at >= from && event.record.recorded_at <= to
            }
            Span::Valid { from, to, as_of } => {
                as_of.is_none_or(|t| event.record.recorded_at <= t)
                    && valid_from(&event.record).is_some_and(|day| day >= from && day <= to)
            }
        }
    }
}

/// An action whose status differs between the two points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Move {
    pub action: ActionId,
    pub agency: String,
    /// `None` when the action did not exist at the first point.
    pub from: Option<Status>,
    pub to: Status,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diff {
    /// The events of the change, in recorded order, described.
    pub entries: Vec<Entry>,
    /// The sequence numbers of those events.
    pub seqs: Vec<u64>,
    pub moves: Vec<Move>,
}

/// The change over `span`, given every stored event and the states at the
/// two ends (from `Ledger::state_view` with `span.views()`).
pub fn diff(events: &[StoredEvent], span: Span, before: &State, after: &State) -> Diff {
    let names_of = |target: u64| audit::slot_names_among(events, target);
    let streamed: Result<Diff, std::convert::Infallible> =
        diff_of(events.iter().map(Ok), &names_of, span, before, after);
    match streamed {
        Ok(diff) => diff,
        Err(never) => match never {},
    }
}

/// [`diff`] of events read as they stream by (`Store::events`), holding
/// only the entries in the span: what `planledger diff` prints. `names_of`
/// gives the text slot names of an earlier event, by its seq.
pub fn diff_of<E: Borrow<StoredEvent>, X>(
    events: impl Iterator<Item = Result<E, X>>,
    names_of: &dyn Fn(u64) -> Option<Vec<String>>,
    span: Span,
    before: &State,
    after: &State,
) -> Result<Diff, X> {
    // Each event is marked as it passes, before the trail describes it (the
    // trail may look one event ahead: the marks are searched, in order).
    let in_span = std::cell::RefCell::new(Vec::new());
    let marked = events.inspect(|event| {
        if let Ok(event) = event {
            let event = event.borrow();
            if span.contains(event) {
                in_span.borrow_mut().push(event.seq);
            }
        }
    });
    let mut entries = Vec::new();
    audit::trail_each(marked, names_of, &Filter::default(), &mut |entry| {
        if in_span.borrow().binary_search(&entry.seq).is_ok() {
            entries.push(entry);
        }
        Ok(())
    })?;
    let seqs = in_span.into_inner();
    let moves = after
        .actions
        .values()
        .filter_map(|action| {
            let from = before.actions.get(&action.id).map(|a| a.status);
            (from != Some(action.status)).then(|| Move {
                action: action.id,
                agency: action.agency.clone(),
                from,
                to: action.status,
            })
        })
        .collect();
    Ok(Diff {
        entries,
        seqs,
        moves,
    })
}

/// The heading an event kind is listed under.
pub fn group(kind: EventKind) -> &'static str {
    match kind {
        EventKind::ActionAdded | EventKind::PlanAdded | EventKind::RecommendationAdded => "added",
        EventKind::StatusChanged | EventKind::ActionWithdrawn => "status moves",
        EventKind::CompletionClaimed => "new claims",
        EventKind::ClaimAccepted | EventKind::ClaimChallenged => "assurance decisions",
        EventKind::TargetChanged => "target changes",
        EventKind::MilestoneNoted => "milestones",
        EventKind::Redacted => "redactions",
        EventKind::ActorAdded | EventKind::KeyRotated | EventKind::ActorRevoked => "actors",
        EventKind::RequestSigned => "signed requests",
        EventKind::ActionLinked => "links to recommendations",
        EventKind::ActionAmended => "amendments",
        EventKind::LedgerCreated
        | EventKind::LedgerUpgraded
        | EventKind::SourceImported
        | EventKind::ImportWarning => "other",
    }
}
