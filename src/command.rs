//! What a user asks the ledger to record, and the event it drafts.
//!
//! [`draft`] turns a [`Command`] into the [`Event`] it would append, filling
//! in from the state what the command leaves implicit (the next id, the
//! status moved from). Whether the event may be appended is the rule
//! book's to say (`rules::admissible`), so that commands and `verify` apply
//! the same rules. Nothing here writes: a refused command leaves the
//! ledger exactly as it was.

use std::collections::BTreeMap;

pub use crate::ask::{Command, CommandOf, Stamped, StampedOf};
use crate::event::Event;
use crate::id::{self, ActionId, Id, PlanId, RecId};
use crate::projection::{Plan, State};
use crate::rules::Refusal;
pub use crate::rules::draft;

/// The slots a redaction of `event` (stored at `target`) erases, from the
/// field names a user gives (`note`, `outcome`, `evidence.2`: as
/// [`crate::event::EventOf::slot_names`] names them, ignoring case and
/// surrounding space), in slot order. With no names, every text the event
/// has that is not yet redacted (or, where all are, every text: the rule
/// book then says they were redacted already).
///
/// Whether the redaction may be made is `rules::admissible`'s to say; this
/// only turns names into slots, refusing a name the event does not have
/// (naming those it has) and an event with no text to name.
pub fn redaction_slots(
    state: &State,
    target: u64,
    event: &Event,
    fields: &[String],
) -> Result<Vec<u32>, Refusal> {
    if let Event::Redacted { .. } = event {
        return Err(Refusal::RedactARedaction { target });
    }
    let names = event.slot_names();
    if names.is_empty() {
        return Err(Refusal::RedactNothing { target });
    }
    let all = 0..names.len() as u32;
    if fields.is_empty() {
        let left: Vec<u32> = all
            .clone()
            .filter(|&slot| state.texts.erased_by(target, slot).is_none())
            .collect();
        return Ok(if left.is_empty() { all.collect() } else { left });
    }
    let mut slots = Vec::with_capacity(fields.len());
    for field in fields {
        let wanted = field.trim().to_lowercase();
        let slot = names
            .iter()
            .position(|name| *name == wanted)
            .ok_or_else(|| Refusal::RedactNoSuchField {
                target,
                kind: event.kind(),
                field: field.trim().to_string(),
                fields: names.clone(),
            })?;
        slots.push(slot as u32);
    }
    slots.sort_unstable();
    slots.dedup();
    Ok(slots)
}

/// The recommendations among `cited` that `plan` does not list, in the
/// order cited. Both entry points (an import, `action add`) record a
/// warning for each, worded by [`unlisted_warning`].
pub fn unlisted_recommendations(plan: &Plan, cited: &[RecId]) -> Vec<RecId> {
    cited
        .iter()
        .filter(|number| !plan.recommendations.contains_key(number))
        .copied()
        .collect()
}

/// The warning recorded for an action that cites a recommendation its plan
/// does not list; `reads_like` is the listed recommendation its text shares
/// most words with, and how many (in per cent), where that is known.
pub fn unlisted_warning(number: RecId, reads_like: Option<Option<(RecId, usize)>>) -> String {
    let number = number.get();
    match reads_like {
        None => format!("The action cites Recommendation {number}, which the plan does not list."),
        Some(Some((like, percent))) => format!(
            "The action cites Recommendation {number}, which the plan does not list; its recommendation text reads like Recommendation {} ({percent}% of words shared).",
            like.get()
        ),
        Some(None) => format!(
            "The action cites Recommendation {number}, which the plan does not list, and its text reads like none of the listed recommendations."
        ),
    }
}

/// Resolves an action id as typed (`A12`, `a12`, `12`).
pub fn resolve_action(state: &State, typed: &str) -> Result<ActionId, Refusal> {
    resolve(typed, &state.actions).map_err(|did_you_mean| Refusal::UnknownAction {
        id: typed.trim().to_string(),
        did_you_mean,
    })
}

/// Resolves a plan id as typed (`P1`, `p1`, `1`).
pub fn resolve_plan(state: &State, typed: &str) -> Result<PlanId, Refusal> {
    resolve(typed, &state.plans).map_err(|did_you_mean| Refusal::UnknownPlan {
        id: typed.trim().to_string(),
        did_you_mean,
    })
}

/// The plan a command is about: the one named, or the only one there is.
pub fn choose_plan(state: &State, typed: Option<&str>) -> Result<PlanId, Refusal> {
    match typed {
        Some(typed) => resolve_plan(state, typed),
        None if state.plans.is_empty() => Err(Refusal::NoPlan),
        None => state.sole_plan().ok_or(Refusal::WhichPlan),
    }
}

/// The known id typed, or else the nearest known one as a suggestion.
fn resolve<I: Id, V>(typed: &str, known: &BTreeMap<I, V>) -> Result<I, Option<I>> {
    match I::parse(typed) {
        Ok(id) if known.contains_key(&id) => Ok(id),
        _ => Err(id::closest(typed, known.keys().copied())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{ClockNote, Record};
    use crate::status::Status;

    fn state_with_one_action() -> State {
        let records = [
            Event::LedgerCreated {
                ledger_id: [0; 16],
                format_version: 1,
            },
            Event::PlanAdded {
                plan: PlanId::of(1),
                partnership: "CSP".into(),
                review: "Alice".into(),
                chair: None,
                published: None,
            },
            Event::ActionAdded {
                action: ActionId::of(1),
                plan: PlanId::of(1),
                agency: "Police".into(),
                lead: None,
                text: "Update Niche".into(),
                scope: None,
                recommendations: vec![],
                target: None,
            },
        ]
        .map(|event| Record {
            tx: 0,
            recorded_at: 0,
            clock: ClockNote::System,
            actor: "Admin".into(),
            effective: None,
            source: None,
            event,
        });
        State::fold((0..).zip(&records).map(|(seq, r)| (seq, [0; 32], r)))
    }

    /// A signed request commits to its commands' texts in order, and the
    /// chain check compares them with the events' slots in order: every
    /// command's texts must come out of `draft` as the event's slots, one
    /// for one, in the same order.
    #[test]
    fn every_command_drafts_its_texts_into_the_slots_in_order() {
        let state = state_with_one_action();
        let a1 = ActionId::of(1);
        let evidence = |name: &str| crate::event::Evidence {
            name: name.into(),
            size: 1,
            blake3: [1; 32],
        };
        let commands = [
            Command::AddPlan {
                partnership: "CSP".into(),
                review: "Bob".into(),
                chair: Some("Chair".into()),
                published: None,
            },
            Command::AddRecommendation {
                plan: PlanId::of(1),
                number: None,
                text: "Recommend".into(),
                scope: Some("Local".into()),
            },
            Command::AddAction {
                plan: PlanId::of(1),
                agency: "Housing".into(),
                lead: Some("Lead".into()),
                text: "Act".into(),
                scope: Some("Scope".into()),
                recommendations: vec![],
                target: None,
            },
            Command::SetStatus {
                action: a1,
                to: Status::InProgress,
                reason: "Reason".into(),
            },
            Command::NoteMilestone {
                action: a1,
                note: "Note".into(),
            },
            Command::Claim {
                action: a1,
                outcome: "Outcome".into(),
                evidence: vec![evidence("one.pdf"), evidence("two.pdf")],
            },
            Command::Withdraw {
                action: a1,
                reason: "Why".into(),
            },
            Command::Retarget {
                action: a1,
                target: None,
                reason: "Later".into(),
            },
            Command::RecordSource {
                name: "plan.docx".into(),
                size: 1,
                blake3: [2; 32],
                format: "docx".into(),
            },
            Command::Warn {
                action: Some(a1),
                message: "Look".into(),
            },
            Command::Link {
                action: a1,
                recommendations: vec![],
                basis: crate::event::LinkBasis::Stated,
                note: Some("Because".into()),
            },
            Command::Amend {
                action: a1,
                text: Some("New words".into()),
                lead: Some(Some("New lead".into())),
                agency: Some("Other".into()),
                scope: Some(Some("Wider".into())),
                reason: "Handover".into(),
            },
            Command::RevokeActor {
                name: "Jo".into(),
                reason: "Left".into(),
            },
        ];
        for command in commands {
            let event = draft(&state, &command).expect("drafts");
            let slots: Vec<&String> = event.texts();
            assert_eq!(slots, command.texts(), "{command:?}");
        }
    }

    #[test]
    fn a_draft_takes_the_next_ids_and_the_current_status_from_the_state() {
        let state = state_with_one_action();
        let added = draft(
            &state,
            &Command::AddAction {
                plan: PlanId::of(1),
                agency: " Housing ".into(),
                lead: Some("  ".into()),
                text: "Audit".into(),
                scope: None,
                recommendations: vec![],
                target: None,
            },
        );
        assert!(
            matches!(&added, Ok(Event::ActionAdded { action, agency, lead: None, .. })
                if *action == ActionId::of(2) && agency == "Housing"),
            "{added:?}"
        );
        let moved = draft(
            &state,
            &Command::SetStatus {
                action: ActionId::of(1),
                to: Status::InProgress,
                reason: "started".into(),
            },
        );
        assert!(
            matches!(
                moved,
                Ok(Event::StatusChanged {
                    from: Status::Open,
                    ..
                })
            ),
            "{moved:?}"
        );
        let decided = draft(
            &state,
            &Command::Accept {
                action: ActionId::of(1),
                finding: "seen".into(),
            },
        );
        assert!(
            matches!(
                decided,
                Err(Refusal::NoPendingClaim {
                    status: Status::Open,
                    ..
                })
            ),
            "{decided:?}"
        );
    }

    #[test]
    fn an_id_typed_wrong_is_refused_with_the_nearest_known_one() {
        let state = state_with_one_action();
        assert_eq!(resolve_action(&state, "a1"), Ok(ActionId::of(1)));
        assert_eq!(
            resolve_action(&state, "A2"),
            Err(Refusal::UnknownAction {
                id: "A2".into(),
                did_you_mean: Some(ActionId::of(1)),
            })
        );
        assert_eq!(
            resolve_action(&state, "A2").unwrap_err().to_string(),
            "there is no action A2 (did you mean A1?)"
        );
        assert_eq!(choose_plan(&state, None), Ok(PlanId::of(1)));
    }

    #[test]
    fn only_recommendations_the_plan_does_not_list_are_unlisted() {
        let mut state = state_with_one_action();
        let plan = state.plans.get_mut(&PlanId::of(1)).unwrap();
        plan.recommendations.insert(
            RecId::of(1),
            crate::projection::Recommendation {
                number: RecId::of(1),
                text: "Train".into(),
                scope: None,
                added: plan.added.clone(),
            },
        );
        assert_eq!(
            unlisted_recommendations(plan, &[RecId::of(1), RecId::of(9)]),
            [RecId::of(9)]
        );
    }
}
