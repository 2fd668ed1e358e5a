//! What a user asks the ledger to record, and the rules it must pass first.
//!
//! [`validate`] turns a [`Command`] into the [`Event`] it would append, or
//! refuses it with a [`CommandError`] that says why in one sentence. It
//! reads the state and never writes: a refused command leaves the ledger
//! exactly as it was.

use chrono::NaiveDate;

use crate::date::{FuzzyDate, Target};
use crate::event::{Event, Evidence, Hash, ids};
use crate::projection::{Action, State};
use crate::status::{self, Status, Via};

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
        plan: u32,
        /// `None` takes the next free number.
        number: Option<u32>,
        text: String,
        scope: Option<String>,
    },
    AddAction {
        plan: u32,
        agency: String,
        lead: Option<String>,
        text: String,
        scope: Option<String>,
        recommendations: Vec<u32>,
        target: Option<Target>,
    },
    SetStatus {
        action: u32,
        to: Status,
        reason: String,
    },
    NoteMilestone {
        action: u32,
        note: String,
    },
    Claim {
        action: u32,
        outcome: String,
        evidence: Vec<Evidence>,
    },
    Accept {
        action: u32,
        finding: String,
    },
    Challenge {
        action: u32,
        finding: String,
    },
    Withdraw {
        action: u32,
        reason: String,
    },
    Retarget {
        action: u32,
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
        action: Option<u32>,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("there is no action {id}{}", did_you_mean_suffix(did_you_mean))]
    UnknownAction {
        id: String,
        did_you_mean: Option<String>,
    },
    #[error("there is no plan {id}{}", did_you_mean_suffix(did_you_mean))]
    UnknownPlan {
        id: String,
        did_you_mean: Option<String>,
    },
    #[error("the ledger holds no plan yet: add one with 'planledger plan add'")]
    NoPlan,
    #[error("the ledger holds several plans: say which with --plan")]
    WhichPlan,
    #[error("plan {plan} already has recommendation R{number}")]
    DuplicateRecommendation { plan: String, number: u32 },
    #[error(
        "{action} is {from}; it cannot become {to} through '{via}'{}",
        allowed_suffix(via, allowed)
    )]
    IllegalTransition {
        action: String,
        from: Status,
        to: Status,
        via: &'static str,
        allowed: Vec<Status>,
    },
    #[error("{action} is {status}: there is no claim awaiting assurance")]
    NoPendingClaim { action: String, status: Status },
    #[error("{action} is already {status}")]
    Unchanged { action: String, status: Status },
    #[error("{action} already has that target")]
    SameTarget { action: String },
    #[error("the {what} must not be empty")]
    Empty { what: &'static str },
    #[error("the decision is dated {decision}, before the claim it decides ({claim})")]
    DecisionBeforeClaim { decision: String, claim: FuzzyDate },
    #[error("the effective date {date} is after today ({today})")]
    EffectiveInFuture { date: FuzzyDate, today: NaiveDate },
}

fn did_you_mean_suffix(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default()
}

fn allowed_suffix(via: &'static str, allowed: &[Status]) -> String {
    if allowed.is_empty() {
        return String::new();
    }
    let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
    format!(" (from here '{via}' can make it {})", names.join(" or "))
}

/// Checks a command against the state and returns the event it appends.
pub fn validate(state: &State, command: &Command) -> Result<Event, CommandError> {
    match command {
        Command::AddPlan {
            partnership,
            review,
            chair,
            published,
        } => Ok(Event::PlanAdded {
            plan: state.plans.keys().next_back().map_or(1, |n| n + 1),
            partnership: non_empty(partnership, "partnership")?,
            review: non_empty(review, "review name")?,
            chair: optional(chair),
            published: *published,
        }),
        Command::AddRecommendation {
            plan,
            number,
            text,
            scope,
        } => {
            let existing = &state
                .plans
                .get(plan)
                .ok_or_else(|| unknown_plan(state, *plan))?
                .recommendations;
            let number = number.unwrap_or_else(|| existing.keys().next_back().map_or(1, |n| n + 1));
            if existing.contains_key(&number) {
                return Err(CommandError::DuplicateRecommendation {
                    plan: ids::plan(*plan),
                    number,
                });
            }
            Ok(Event::RecommendationAdded {
                plan: *plan,
                number,
                text: non_empty(text, "recommendation text")?,
                scope: optional(scope),
            })
        }
        Command::AddAction {
            plan,
            agency,
            lead,
            text,
            scope,
            recommendations,
            target,
        } => {
            if !state.plans.contains_key(plan) {
                return Err(unknown_plan(state, *plan));
            }
            Ok(Event::ActionAdded {
                action: state.actions.keys().next_back().map_or(1, |n| n + 1),
                plan: *plan,
                agency: non_empty(agency, "agency")?,
                lead: optional(lead),
                text: non_empty(text, "action text")?,
                scope: optional(scope),
                recommendations: recommendations.clone(),
                target: target.clone(),
            })
        }
        Command::SetStatus { action, to, reason } => {
            let current = find(state, *action)?;
            if current.status == *to {
                return Err(CommandError::Unchanged {
                    action: ids::action(*action),
                    status: *to,
                });
            }
            check_transition(current, *to, Via::Status)?;
            Ok(Event::StatusChanged {
                action: *action,
                from: current.status,
                to: *to,
                reason: non_empty(reason, "reason")?,
            })
        }
        Command::NoteMilestone { action, note } => {
            find(state, *action)?;
            Ok(Event::MilestoneNoted {
                action: *action,
                note: non_empty(note, "milestone note")?,
            })
        }
        Command::Claim {
            action,
            outcome,
            evidence,
        } => {
            let current = find(state, *action)?;
            check_transition(current, Status::Claimed, Via::Claim)?;
            Ok(Event::CompletionClaimed {
                action: *action,
                claim: current.claims.last().map_or(1, |c| c.number + 1),
                outcome: non_empty(outcome, "outcome")?,
                evidence: evidence.clone(),
            })
        }
        Command::Accept { action, finding } | Command::Challenge { action, finding } => {
            let current = find(state, *action)?;
            let claim = current
                .pending_claim()
                .ok_or(CommandError::NoPendingClaim {
                    action: ids::action(*action),
                    status: current.status,
                })?;
            let finding = non_empty(finding, "finding")?;
            Ok(match command {
                Command::Accept { .. } => {
                    check_transition(current, Status::Assured, Via::Accept)?;
                    Event::ClaimAccepted {
                        action: *action,
                        claim: claim.number,
                        finding,
                    }
                }
                _ => {
                    check_transition(current, Status::Challenged, Via::Challenge)?;
                    Event::ClaimChallenged {
                        action: *action,
                        claim: claim.number,
                        finding,
                    }
                }
            })
        }
        Command::Withdraw { action, reason } => {
            let current = find(state, *action)?;
            check_transition(current, Status::Withdrawn, Via::Withdraw)?;
            Ok(Event::ActionWithdrawn {
                action: *action,
                from: current.status,
                reason: non_empty(reason, "reason")?,
            })
        }
        Command::Retarget {
            action,
            target,
            reason,
        } => {
            let current = find(state, *action)?;
            if same_target(current.target.as_ref(), target.as_ref()) {
                return Err(CommandError::SameTarget {
                    action: ids::action(*action),
                });
            }
            Ok(Event::TargetChanged {
                action: *action,
                from: current.target.clone(),
                to: target.clone(),
                reason: non_empty(reason, "reason")?,
            })
        }
        Command::RecordSource {
            name,
            size,
            blake3,
            format,
        } => Ok(Event::SourceImported {
            name: name.clone(),
            size: *size,
            blake3: *blake3,
            format: format.clone(),
        }),
        Command::Warn { action, message } => {
            if let Some(action) = action {
                find(state, *action)?;
            }
            Ok(Event::ImportWarning {
                action: *action,
                message: non_empty(message, "warning")?,
            })
        }
    }
}

/// Refuses an assurance decision dated before the claim it decides: a
/// claim cannot be accepted or challenged before it was made. Dates are
/// compared by the end of their periods (the valid-time rule), and an
/// unstated date is the day it was recorded.
pub fn check_decision_date(
    state: &State,
    event: &Event,
    effective: Option<FuzzyDate>,
    today: NaiveDate,
) -> Result<(), CommandError> {
    let (Event::ClaimAccepted { action, claim, .. } | Event::ClaimChallenged { action, claim, .. }) =
        event
    else {
        return Ok(());
    };
    let Some(claimed) = state
        .actions
        .get(action)
        .and_then(|a| a.claims.iter().find(|c| c.number == *claim))
    else {
        return Ok(());
    };
    let decided = effective.map_or(today, |d| d.last_day());
    if decided < claimed.at.effective.last_day() {
        return Err(CommandError::DecisionBeforeClaim {
            decision: effective.map_or_else(|| today.to_string(), |d| d.to_string()),
            claim: claimed.at.effective,
        });
    }
    Ok(())
}

/// Refuses an effective date whose period has not begun by `today`.
pub fn check_effective(effective: Option<FuzzyDate>, today: NaiveDate) -> Result<(), CommandError> {
    match effective {
        Some(date) if date.first_day() > today => {
            Err(CommandError::EffectiveInFuture { date, today })
        }
        _ => Ok(()),
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

fn check_transition(action: &Action, to: Status, via: Via) -> Result<(), CommandError> {
    if status::is_legal(action.status, to, via) {
        return Ok(());
    }
    Err(CommandError::IllegalTransition {
        action: ids::action(action.id),
        from: action.status,
        to,
        via: via.command(),
        allowed: status::reachable(action.status, via),
    })
}

fn find(state: &State, action: u32) -> Result<&Action, CommandError> {
    state
        .actions
        .get(&action)
        .ok_or_else(|| CommandError::UnknownAction {
            id: ids::action(action),
            did_you_mean: closest(
                &ids::action(action),
                state.actions.keys().map(|n| ids::action(*n)),
            ),
        })
}

fn unknown_plan(state: &State, plan: u32) -> CommandError {
    CommandError::UnknownPlan {
        id: ids::plan(plan),
        did_you_mean: closest(&ids::plan(plan), state.plans.keys().map(|n| ids::plan(*n))),
    }
}

fn non_empty(text: &str, what: &'static str) -> Result<String, CommandError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(CommandError::Empty { what });
    }
    Ok(trimmed.to_string())
}

fn optional(text: &Option<String>) -> Option<String> {
    text.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// Resolves an action id as typed (`A12`, `a12`, `12`).
pub fn resolve_action(state: &State, typed: &str) -> Result<u32, CommandError> {
    resolve(typed, 'A', state.actions.keys().copied(), ids::action).map_err(|did_you_mean| {
        CommandError::UnknownAction {
            id: typed.trim().to_string(),
            did_you_mean,
        }
    })
}

/// Resolves a plan id as typed (`P1`, `p1`, `1`).
pub fn resolve_plan(state: &State, typed: &str) -> Result<u32, CommandError> {
    resolve(typed, 'P', state.plans.keys().copied(), ids::plan).map_err(|did_you_mean| {
        CommandError::UnknownPlan {
            id: typed.trim().to_string(),
            did_you_mean,
        }
    })
}

/// The plan a command is about: the one named, or the only one there is.
pub fn choose_plan(state: &State, typed: Option<&str>) -> Result<u32, CommandError> {
    match typed {
        Some(typed) => resolve_plan(state, typed),
        None if state.plans.is_empty() => Err(CommandError::NoPlan),
        None => state.sole_plan().ok_or(CommandError::WhichPlan),
    }
}

fn resolve(
    typed: &str,
    prefix: char,
    known: impl Iterator<Item = u32> + Clone,
    show: fn(u32) -> String,
) -> Result<u32, Option<String>> {
    let trimmed = typed.trim();
    let digits = trimmed
        .strip_prefix(prefix)
        .or_else(|| trimmed.strip_prefix(prefix.to_ascii_lowercase()))
        .unwrap_or(trimmed);
    if let Ok(n) = digits.parse::<u32>()
        && known.clone().any(|k| k == n)
    {
        return Ok(n);
    }
    Err(closest(&trimmed.to_ascii_uppercase(), known.map(show)))
}

/// The known id nearest to what was typed, if one is close enough to be a
/// plausible typo.
fn closest(typed: &str, known: impl Iterator<Item = String>) -> Option<String> {
    known
        .map(|k| {
            (
                strsim::levenshtein(typed, &k),
                k.len().abs_diff(typed.len()),
                k,
            )
        })
        .filter(|(distance, _, _)| *distance <= 2)
        .min_by_key(|(distance, length_gap, _)| (*distance, *length_gap))
        .map(|(_, _, k)| k)
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

    #[test]
    fn closest_suggests_a_near_id_only() {
        let known = || ["A1", "A2", "A12"].into_iter().map(String::from);
        assert_eq!(closest("A13", known()), Some("A12".into()));
        assert_eq!(closest("B2", known()), Some("A2".into()));
        assert_eq!(closest("A999", known()), None);
    }
}
