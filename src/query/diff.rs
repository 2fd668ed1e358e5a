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
use std::collections::BTreeMap;

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
    let mut entries = Vec::new();
    let kept: Result<(), std::convert::Infallible> =
        entries_each(events.iter().map(Ok), &names_of, span, &mut |entry| {
            entries.push(entry);
            Ok(())
        });
    match kept {
        Ok(()) => {}
        Err(never) => match never {},
    }
    let seqs = events
        .iter()
        .filter(|event| span.contains(event))
        .map(|event| event.seq)
        .collect();
    Diff {
        entries,
        seqs,
        moves: moves(&statuses(before), after),
    }
}

/// The events of the change over `span`, described, handed to `sink` in
/// recorded order as they are read from `events` (`Store::events`): what
/// `planledger diff` prints, never held whole. `names_of` gives the text
/// slot names of an earlier event, by its seq.
pub fn entries_each<E: Borrow<StoredEvent>, X>(
    events: impl Iterator<Item = Result<E, X>>,
    names_of: &dyn Fn(u64) -> Option<Vec<String>>,
    span: Span,
    sink: &mut dyn FnMut(Entry) -> Result<(), X>,
) -> Result<(), X> {
    // Each event in the span is marked as it passes, before the trail
    // describes it (the trail may read one event ahead), and the marks
    // are let go of once the trail is past them.
    let marks = std::cell::RefCell::new(std::collections::VecDeque::new());
    let marked = events.inspect(|event| {
        if let Ok(event) = event {
            let event = event.borrow();
            if span.contains(event) {
                marks.borrow_mut().push_back(event.seq);
            }
        }
    });
    audit::trail_each(marked, names_of, &Filter::default(), &mut |entry| {
        let in_span = {
            let mut marks = marks.borrow_mut();
            while marks.front().is_some_and(|&seq| seq < entry.seq) {
                marks.pop_front();
            }
            marks.front() == Some(&entry.seq)
        };
        if in_span { sink(entry) } else { Ok(()) }
    })
}

/// Each action's status at one point, all a [`Move`] needs of it: kept
/// in place of the whole state while the other point is folded.
pub type Statuses = BTreeMap<ActionId, Status>;

/// Each of `state`'s actions' status.
pub fn statuses(state: &State) -> Statuses {
    state
        .actions
        .values()
        .map(|action| (action.id, action.status))
        .collect()
}

/// The actions whose status at `after` differs from `before`'s, in id
/// order.
pub fn moves(before: &Statuses, after: &State) -> Vec<Move> {
    after
        .actions
        .values()
        .filter_map(|action| {
            let from = before.get(&action.id).copied();
            (from != Some(action.status)).then(|| Move {
                action: action.id,
                agency: action.agency.clone(),
                from,
                to: action.status,
            })
        })
        .collect()
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
