//! Replays the rules over a stored history: every event must be one that
//! `command::validate` could have written at that point.
//!
//! The hash chain proves the bytes were not changed after they were
//! written; it cannot prove they obeyed the rules when written (someone with
//! the storage engine and enough patience can write a whole, internally
//! consistent chain). This check closes that gap for everything the rules
//! decide: an event about an action that does not exist, a status move the
//! transition table forbids or whose stated `from` is not the status the
//! action had, an assurance decision about a claim that was not pending, an
//! identifier out of sequence, a source reference to something that is not
//! an import. `verify` runs it after the chain itself checks out.

use crate::event::{Event, Record, ids};
use crate::projection::State;
use crate::status::{self, Status, Via};

/// Why `record` (at `seq`) could not have been written on top of `state`,
/// or `None` if it could.
pub fn violation(state: &State, seq: u64, record: &Record) -> Option<String> {
    if let Some(source) = &record.source
        && !state.sources.contains_key(&source.import_seq)
    {
        return Some(format!(
            "it names event {} as its import, which is not an import",
            source.import_seq
        ));
    }
    let action_of = |id: u32| state.actions.get(&id);
    let missing = |id: u32| {
        Some(format!(
            "it is about {}, which does not exist",
            ids::action(id)
        ))
    };
    let moved = |id: u32, from: Status, to: Status, via: Via| -> Option<String> {
        let Some(action) = action_of(id) else {
            return missing(id);
        };
        if action.status != from {
            return Some(format!(
                "it moves {} from {from}, but {} was {}",
                ids::action(id),
                ids::action(id),
                action.status
            ));
        }
        (!status::is_legal(from, to, via)).then(|| {
            format!(
                "{from} → {to} through '{}' is not a legal move",
                via.command()
            )
        })
    };
    match &record.event {
        Event::LedgerCreated { .. } => (seq != 0).then(|| "a second genesis event".to_string()),
        Event::PlanAdded { plan, .. } => {
            let next = state.plans.keys().next_back().map_or(1, |n| n + 1);
            (*plan != next).then(|| {
                format!(
                    "it adds {}, but the next plan is {}",
                    ids::plan(*plan),
                    ids::plan(next)
                )
            })
        }
        Event::RecommendationAdded { plan, number, .. } => match state.plans.get(plan) {
            None => Some(format!(
                "it adds to {}, which does not exist",
                ids::plan(*plan)
            )),
            Some(p) if p.recommendations.contains_key(number) => Some(format!(
                "{} already has {}",
                ids::plan(*plan),
                ids::recommendation(*number)
            )),
            Some(_) => None,
        },
        Event::ActionAdded { action, plan, .. } => {
            let next = state.actions.keys().next_back().map_or(1, |n| n + 1);
            if !state.plans.contains_key(plan) {
                Some(format!(
                    "it adds to {}, which does not exist",
                    ids::plan(*plan)
                ))
            } else {
                (*action != next).then(|| {
                    format!(
                        "it adds {}, but the next action is {}",
                        ids::action(*action),
                        ids::action(next)
                    )
                })
            }
        }
        Event::StatusChanged {
            action, from, to, ..
        } => moved(*action, *from, *to, Via::Status),
        Event::ActionWithdrawn { action, from, .. } => {
            moved(*action, *from, Status::Withdrawn, Via::Withdraw)
        }
        Event::CompletionClaimed { action, claim, .. } => {
            let Some(current) = action_of(*action) else {
                return missing(*action);
            };
            let next = current.claims.last().map_or(1, |c| c.number + 1);
            if *claim != next {
                return Some(format!(
                    "it is claim {claim} of {}, but the next claim is {next}",
                    ids::action(*action)
                ));
            }
            moved(*action, current.status, Status::Claimed, Via::Claim)
        }
        Event::ClaimAccepted { action, claim, .. }
        | Event::ClaimChallenged { action, claim, .. } => {
            let Some(current) = action_of(*action) else {
                return missing(*action);
            };
            match current.pending_claim() {
                Some(pending) if pending.number == *claim => {
                    let decided = crate::projection::valid_from(record);
                    (decided < Some(pending.at.effective.last_day())).then(|| {
                        format!(
                            "it decides claim {claim} of {} before the claim was made",
                            ids::action(*action)
                        )
                    })
                }
                _ => Some(format!(
                    "it decides claim {claim} of {}, which was not awaiting assurance",
                    ids::action(*action)
                )),
            }
        }
        Event::MilestoneNoted { action, .. } => action_of(*action)
            .is_none()
            .then(|| missing(*action))
            .flatten(),
        Event::TargetChanged { action, from, .. } => match action_of(*action) {
            None => missing(*action),
            Some(current) if current.target != *from => Some(format!(
                "its old target is not the target {} had",
                ids::action(*action)
            )),
            Some(_) => None,
        },
        Event::ImportWarning {
            action: Some(action),
            ..
        } => action_of(*action)
            .is_none()
            .then(|| missing(*action))
            .flatten(),
        Event::ImportWarning { action: None, .. } | Event::SourceImported { .. } => None,
    }
}

/// Replays `events` in order and returns each violation with its sequence
/// number.
pub fn check<'a>(
    events: impl IntoIterator<Item = (u64, crate::event::Hash, &'a Record)>,
) -> Vec<(u64, String)> {
    let mut state = State::default();
    let mut found = Vec::new();
    for (seq, hash, record) in events {
        if let Some(why) = violation(&state, seq, record) {
            found.push((seq, why));
        }
        state.apply(seq, hash, record);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::FuzzyDate;
    use crate::event::ClockNote;

    fn record(event: Event) -> Record {
        Record {
            tx: 0,
            recorded_at: 0,
            clock: ClockNote::Overridden,
            actor: "Auditor".into(),
            effective: None,
            source: None,
            event,
        }
    }

    fn history(tail: Vec<Event>) -> Vec<Record> {
        let mut events = vec![
            Event::LedgerCreated {
                ledger_id: [0; 16],
                format_version: 1,
            },
            Event::PlanAdded {
                plan: 1,
                partnership: "CSP".into(),
                review: "Alice".into(),
                chair: None,
                published: FuzzyDate::month(2019, 10),
            },
            Event::ActionAdded {
                action: 1,
                plan: 1,
                agency: "Police".into(),
                lead: None,
                text: "Update Niche".into(),
                scope: None,
                recommendations: vec![1],
                target: None,
            },
        ];
        events.extend(tail);
        events.into_iter().map(record).collect()
    }

    fn violations(records: &[Record]) -> Vec<(u64, String)> {
        check((0u64..).zip(records).map(|(seq, r)| (seq, [0; 32], r)))
    }

    #[test]
    fn a_history_the_commands_could_write_passes() {
        let records = history(vec![
            Event::CompletionClaimed {
                action: 1,
                claim: 1,
                outcome: "done".into(),
                evidence: vec![],
            },
            Event::ClaimChallenged {
                action: 1,
                claim: 1,
                finding: "no".into(),
            },
            Event::StatusChanged {
                action: 1,
                from: Status::Challenged,
                to: Status::InProgress,
                reason: "again".into(),
            },
            Event::CompletionClaimed {
                action: 1,
                claim: 2,
                outcome: "done now".into(),
                evidence: vec![],
            },
            Event::ClaimAccepted {
                action: 1,
                claim: 2,
                finding: "seen".into(),
            },
        ]);
        assert_eq!(violations(&records), vec![]);
    }

    #[test]
    fn forged_moves_are_named_at_their_seq() {
        let cases: Vec<(Event, &str)> = vec![
            (
                Event::StatusChanged {
                    action: 1,
                    from: Status::Open,
                    to: Status::Assured,
                    reason: "trust me".into(),
                },
                "not a legal move",
            ),
            (
                Event::StatusChanged {
                    action: 1,
                    from: Status::Claimed,
                    to: Status::InProgress,
                    reason: "x".into(),
                },
                "was open",
            ),
            (
                Event::ClaimAccepted {
                    action: 1,
                    claim: 1,
                    finding: "seen".into(),
                },
                "not awaiting assurance",
            ),
            (
                Event::MilestoneNoted {
                    action: 7,
                    note: "x".into(),
                },
                "A7, which does not exist",
            ),
            (
                Event::ActionAdded {
                    action: 5,
                    plan: 1,
                    agency: "x".into(),
                    lead: None,
                    text: "x".into(),
                    scope: None,
                    recommendations: vec![],
                    target: None,
                },
                "next action is A2",
            ),
            (
                Event::LedgerCreated {
                    ledger_id: [1; 16],
                    format_version: 1,
                },
                "second genesis",
            ),
        ];
        for (event, words) in cases {
            let found = violations(&history(vec![event]));
            assert_eq!(found.len(), 1, "{found:?}");
            assert_eq!(found[0].0, 3);
            assert!(found[0].1.contains(words), "{found:?} should say {words}");
        }
    }
}
