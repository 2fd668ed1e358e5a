//! What a user asks the ledger to record, and the event it drafts.
//!
//! [`draft`] turns a [`Command`] into the [`Event`] it would append, filling
//! in from the state what the command leaves implicit (the next id, the
//! status moved from). Whether the event may be appended is the rule
//! book's to say (`rules::admissible`), so that commands and `verify` apply
//! the same rules. Nothing here writes: a refused command leaves the
//! ledger exactly as it was.

use std::collections::BTreeMap;

use crate::date::{FuzzyDate, Target};
use crate::event::{Event, Evidence, Hash};
use crate::id::{self, ActionId, ClaimNo, Id, PlanId, RecId};
use crate::projection::{Plan, State};
use crate::rules::{self, Refusal};
use crate::status::Status;

/// One change a user asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    AddPlan {
        partnership: String,
        review: String,
        chair: Option<String>,
        published: Option<FuzzyDate>,
    },
    AddRecommendation {
        plan: PlanId,
        /// `None` takes the next free number.
        number: Option<RecId>,
        text: String,
        scope: Option<String>,
    },
    AddAction {
        plan: PlanId,
        agency: String,
        lead: Option<String>,
        text: String,
        scope: Option<String>,
        recommendations: Vec<RecId>,
        target: Option<Target>,
    },
    SetStatus {
        action: ActionId,
        to: Status,
        reason: String,
    },
    NoteMilestone {
        action: ActionId,
        note: String,
    },
    Claim {
        action: ActionId,
        outcome: String,
        evidence: Vec<Evidence>,
    },
    Accept {
        action: ActionId,
        finding: String,
    },
    Challenge {
        action: ActionId,
        finding: String,
    },
    Withdraw {
        action: ActionId,
        reason: String,
    },
    Retarget {
        action: ActionId,
        target: Option<Target>,
        reason: String,
    },
    RecordSource {
        name: String,
        size: u64,
        blake3: Hash,
        format: String,
    },
    Warn {
        action: Option<ActionId>,
        message: String,
    },
}

/// Drafts the event a command asks for, reading from the state what the
/// command leaves implicit: the next id, the status an action moves from,
/// the claim awaiting assurance, the target being replaced. Texts are
/// trimmed and blank optional texts left out.
///
/// A draft is not yet allowed: `rules::admissible` decides that, for the
/// command and for `verify` alike. Drafting fails only where there is
/// nothing to draft from (an unknown action, no claim to decide).
pub fn draft(state: &State, command: &Command) -> Result<Event, Refusal> {
    Ok(match command {
        Command::AddPlan {
            partnership,
            review,
            chair,
            published,
        } => Event::PlanAdded {
            plan: state.next_plan_id(),
            partnership: trimmed(partnership),
            review: trimmed(review),
            chair: optional(chair),
            published: *published,
        },
        Command::AddRecommendation {
            plan,
            number,
            text,
            scope,
        } => Event::RecommendationAdded {
            plan: *plan,
            number: match number {
                Some(number) => *number,
                None => rules::find_plan(state, *plan)?.next_rec_id(),
            },
            text: trimmed(text),
            scope: optional(scope),
        },
        Command::AddAction {
            plan,
            agency,
            lead,
            text,
            scope,
            recommendations,
            target,
        } => Event::ActionAdded {
            action: state.next_action_id(),
            plan: *plan,
            agency: trimmed(agency),
            lead: optional(lead),
            text: trimmed(text),
            scope: optional(scope),
            recommendations: recommendations.clone(),
            target: target.clone(),
        },
        Command::SetStatus { action, to, reason } => Event::StatusChanged {
            action: *action,
            from: rules::find_action(state, *action)?.status,
            to: *to,
            reason: trimmed(reason),
        },
        Command::NoteMilestone { action, note } => Event::MilestoneNoted {
            action: *action,
            note: trimmed(note),
        },
        Command::Claim {
            action,
            outcome,
            evidence,
        } => Event::CompletionClaimed {
            action: *action,
            claim: rules::find_action(state, *action)?.next_claim_no(),
            outcome: trimmed(outcome),
            evidence: evidence.clone(),
        },
        Command::Accept { action, finding } => Event::ClaimAccepted {
            action: *action,
            claim: pending_claim(state, *action)?,
            finding: trimmed(finding),
        },
        Command::Challenge { action, finding } => Event::ClaimChallenged {
            action: *action,
            claim: pending_claim(state, *action)?,
            finding: trimmed(finding),
        },
        Command::Withdraw { action, reason } => Event::ActionWithdrawn {
            action: *action,
            from: rules::find_action(state, *action)?.status,
            reason: trimmed(reason),
        },
        Command::Retarget {
            action,
            target,
            reason,
        } => Event::TargetChanged {
            action: *action,
            from: rules::find_action(state, *action)?.target.clone(),
            to: target.clone(),
            reason: trimmed(reason),
        },
        Command::RecordSource {
            name,
            size,
            blake3,
            format,
        } => Event::SourceImported {
            name: name.clone(),
            size: *size,
            blake3: *blake3,
            format: format.clone(),
        },
        Command::Warn { action, message } => Event::ImportWarning {
            action: *action,
            message: trimmed(message),
        },
    })
}

fn pending_claim(state: &State, id: ActionId) -> Result<ClaimNo, Refusal> {
    let action = rules::find_action(state, id)?;
    action
        .pending_claim()
        .map(|claim| claim.number)
        .ok_or(Refusal::NoPendingClaim {
            action: id,
            status: action.status,
        })
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

/// Two targets are the same when they name the same date, however worded
/// ("December 2019" and "2019-12"), or, naming none, the same words.
pub fn same_target(a: Option<&Target>, b: Option<&Target>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => match (a.date, b.date) {
            (Some(x), Some(y)) => x == y,
            (None, None) => a.text.trim().eq_ignore_ascii_case(b.text.trim()),
            _ => false,
        },
        (None, None) => true,
        _ => false,
    }
}

fn trimmed(text: &str) -> String {
    text.trim().to_string()
}

fn optional(text: &Option<String>) -> Option<String> {
    text.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
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

    /// Regression (found in review): retargeting "December 2019" to
    /// "2019-12" was recorded as a change.
    #[test]
    fn a_target_worded_differently_is_the_same_target() {
        let december = |text: &str| Target {
            text: text.into(),
            date: FuzzyDate::month(2019, 12),
        };
        assert!(same_target(
            Some(&december("December 2019")),
            Some(&december("2019-12"))
        ));
        let ongoing = Target {
            text: "Ongoing".into(),
            date: None,
        };
        assert!(same_target(
            Some(&ongoing),
            Some(&Target {
                text: " ongoing".into(),
                date: None
            })
        ));
        assert!(!same_target(Some(&ongoing), Some(&december("2019-12"))));
        assert!(!same_target(None, Some(&ongoing)));
    }
}
