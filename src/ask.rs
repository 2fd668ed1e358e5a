//! What a user asks the ledger to record, as data: [`CommandOf`], one
//! change, and [`StampedOf`], a command with its effective date and source.
//!
//! Pure data, generic over the type of its free texts like
//! [`crate::event::EventOf`]: words in memory, their salted commitments in
//! a signed request (`crate::request`), which the chain stores. So these
//! types are part of the on-disk format (FORMAT.md §13.2). What a command
//! drafts, and which commands may be made, is `crate::command`'s and
//! `crate::rules`' to say.

use serde::{Deserialize, Serialize};

use crate::date::{FuzzyDate, Target};
use crate::event::{EvidenceOf, Hash, LinkBasis, PublicKey, Role, SourceRef};
use crate::id::{ActionId, PlanId, RecId};
use crate::status::Status;

/// One change a user asks for, its free texts as words.
pub type Command = CommandOf<String>;

/// One change a user asks for, its free texts of type `T`: words in
/// memory; their salted commitments ([`crate::sealed::Commit`]) in a signed
/// request (`crate::request`), so that a request signs exactly the texts its
/// events will hold, and a redaction erases them from both at once.
///
/// Part of the on-disk format since requests are stored in the chain
/// (`RequestSigned`): variants are encoded by position and fields in
/// order, so a new variant goes at the end and none is reordered. Each
/// variant's texts come in the order of the text slots of the event it
/// drafts ([`CommandOf::texts`]), one slot per text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommandOf<T> {
    AddPlan {
        partnership: String,
        review: T,
        chair: Option<T>,
        published: Option<FuzzyDate>,
    },
    AddRecommendation {
        plan: PlanId,
        /// `None` takes the next free number.
        number: Option<RecId>,
        text: T,
        scope: Option<T>,
    },
    AddAction {
        plan: PlanId,
        agency: String,
        lead: Option<T>,
        text: T,
        scope: Option<T>,
        recommendations: Vec<RecId>,
        target: Option<Target>,
    },
    SetStatus {
        action: ActionId,
        to: Status,
        reason: T,
    },
    NoteMilestone {
        action: ActionId,
        note: T,
    },
    Claim {
        action: ActionId,
        outcome: T,
        evidence: Vec<EvidenceOf<T>>,
    },
    Accept {
        action: ActionId,
        finding: T,
    },
    Challenge {
        action: ActionId,
        finding: T,
    },
    Withdraw {
        action: ActionId,
        reason: T,
    },
    Retarget {
        action: ActionId,
        target: Option<Target>,
        reason: T,
    },
    RecordSource {
        name: T,
        size: u64,
        blake3: Hash,
        format: String,
    },
    Warn {
        action: Option<ActionId>,
        message: T,
    },
    /// Says which of the review's recommendations an action answers, and
    /// how that was decided (`note`: the reason, or the agency's own
    /// recommendation).
    Link {
        action: ActionId,
        recommendations: Vec<RecId>,
        basis: LinkBasis,
        note: Option<T>,
    },
    /// Changes an action's wording, lead, agency or scope; `None` leaves a
    /// field as it is (a lead or scope of `Some(None)` removes it).
    Amend {
        action: ActionId,
        text: Option<T>,
        lead: Option<Option<T>>,
        agency: Option<String>,
        scope: Option<Option<T>>,
        reason: T,
    },
    /// Erase free texts of the event at `event`: its slots, as
    /// `crate::command::redaction_slots` resolves them from the names a user gives. The
    /// reason is structure (a redaction cannot be redacted).
    Redact {
        event: u64,
        slots: Vec<u32>,
        reason: String,
    },
    /// Adds an actor who signs with `key`.
    AddActor {
        name: String,
        roles: Vec<Role>,
        key: PublicKey,
    },
    /// Replaces an actor's key.
    RotateKey {
        name: String,
        key: PublicKey,
    },
    /// Stops an actor signing.
    RevokeActor {
        name: String,
        reason: T,
    },
}

/// One command with what the actor says about it, its texts as words.
pub type Stamped = StampedOf<String>;

/// One command with what the actor says about it: when it happened in the
/// world (`None`: the day it is recorded) and, for an import, where in the
/// source it was read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StampedOf<T> {
    pub command: CommandOf<T>,
    pub effective: Option<FuzzyDate>,
    pub source: Option<SourceRef>,
}

impl From<Command> for Stamped {
    fn from(command: Command) -> Stamped {
        Stamped {
            command,
            effective: None,
            source: None,
        }
    }
}

impl<T> StampedOf<T> {
    /// The same, its texts mapped by `f` (see [`CommandOf::try_map_texts`]).
    pub fn try_map_texts<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<StampedOf<U>, E> {
        Ok(StampedOf {
            command: self.command.try_map_texts(f)?,
            effective: self.effective,
            source: self.source,
        })
    }
}

impl<T> CommandOf<T> {
    /// The command with each free text mapped by `f`, in [`texts`] order.
    ///
    /// [`texts`]: CommandOf::texts
    pub fn try_map_texts<U, E>(
        self,
        mut f: impl FnMut(T) -> Result<U, E>,
    ) -> Result<CommandOf<U>, E> {
        let opt = |t: Option<T>, f: &mut dyn FnMut(T) -> Result<U, E>| t.map(f).transpose();
        Ok(match self {
            CommandOf::AddPlan {
                partnership,
                review,
                chair,
                published,
            } => CommandOf::AddPlan {
                partnership,
                review: f(review)?,
                chair: opt(chair, &mut f)?,
                published,
            },
            CommandOf::AddRecommendation {
                plan,
                number,
                text,
                scope,
            } => CommandOf::AddRecommendation {
                plan,
                number,
                text: f(text)?,
                scope: opt(scope, &mut f)?,
            },
            CommandOf::AddAction {
                plan,
                agency,
                lead,
                text,
                scope,
                recommendations,
                target,
            } => CommandOf::AddAction {
                plan,
                agency,
                lead: opt(lead, &mut f)?,
                text: f(text)?,
                scope: opt(scope, &mut f)?,
                recommendations,
                target,
            },
            CommandOf::SetStatus { action, to, reason } => CommandOf::SetStatus {
                action,
                to,
                reason: f(reason)?,
            },
            CommandOf::NoteMilestone { action, note } => CommandOf::NoteMilestone {
                action,
                note: f(note)?,
            },
            CommandOf::Claim {
                action,
                outcome,
                evidence,
            } => {
                let outcome = f(outcome)?;
                let evidence = evidence
                    .into_iter()
                    .map(|e| {
                        Ok(EvidenceOf {
                            name: f(e.name)?,
                            size: e.size,
                            blake3: e.blake3,
                        })
                    })
                    .collect::<Result<_, E>>()?;
                CommandOf::Claim {
                    action,
                    outcome,
                    evidence,
                }
            }
            CommandOf::Accept { action, finding } => CommandOf::Accept {
                action,
                finding: f(finding)?,
            },
            CommandOf::Challenge { action, finding } => CommandOf::Challenge {
                action,
                finding: f(finding)?,
            },
            CommandOf::Withdraw { action, reason } => CommandOf::Withdraw {
                action,
                reason: f(reason)?,
            },
            CommandOf::Retarget {
                action,
                target,
                reason,
            } => CommandOf::Retarget {
                action,
                target,
                reason: f(reason)?,
            },
            CommandOf::RecordSource {
                name,
                size,
                blake3,
                format,
            } => CommandOf::RecordSource {
                name: f(name)?,
                size,
                blake3,
                format,
            },
            CommandOf::Warn { action, message } => CommandOf::Warn {
                action,
                message: f(message)?,
            },
            CommandOf::Link {
                action,
                recommendations,
                basis,
                note,
            } => CommandOf::Link {
                action,
                recommendations,
                basis,
                note: opt(note, &mut f)?,
            },
            CommandOf::Amend {
                action,
                text,
                lead,
                agency,
                scope,
                reason,
            } => {
                let text = opt(text, &mut f)?;
                let lead = match lead {
                    Some(lead) => Some(opt(lead, &mut f)?),
                    None => None,
                };
                let scope = match scope {
                    Some(scope) => Some(opt(scope, &mut f)?),
                    None => None,
                };
                CommandOf::Amend {
                    action,
                    text,
                    lead,
                    agency,
                    scope,
                    reason: f(reason)?,
                }
            }
            CommandOf::Redact {
                event,
                slots,
                reason,
            } => CommandOf::Redact {
                event,
                slots,
                reason,
            },
            CommandOf::AddActor { name, roles, key } => CommandOf::AddActor { name, roles, key },
            CommandOf::RotateKey { name, key } => CommandOf::RotateKey { name, key },
            CommandOf::RevokeActor { name, reason } => CommandOf::RevokeActor {
                name,
                reason: f(reason)?,
            },
        })
    }

    /// The command's free texts, in the order of the text slots of the
    /// event it drafts.
    pub fn texts(&self) -> Vec<&T> {
        let mut texts = Vec::new();
        match self {
            CommandOf::AddPlan { review, chair, .. } => {
                texts.push(review);
                texts.extend(chair);
            }
            CommandOf::AddRecommendation { text, scope, .. } => {
                texts.push(text);
                texts.extend(scope);
            }
            CommandOf::AddAction {
                lead, text, scope, ..
            } => {
                texts.extend(lead);
                texts.push(text);
                texts.extend(scope);
            }
            CommandOf::SetStatus { reason, .. }
            | CommandOf::Withdraw { reason, .. }
            | CommandOf::Retarget { reason, .. }
            | CommandOf::RevokeActor { reason, .. } => texts.push(reason),
            CommandOf::NoteMilestone { note, .. } => texts.push(note),
            CommandOf::Claim {
                outcome, evidence, ..
            } => {
                texts.push(outcome);
                texts.extend(evidence.iter().map(|e| &e.name));
            }
            CommandOf::Accept { finding, .. } | CommandOf::Challenge { finding, .. } => {
                texts.push(finding)
            }
            CommandOf::RecordSource { name, .. } => texts.push(name),
            CommandOf::Warn { message, .. } => texts.push(message),
            CommandOf::Link { note, .. } => texts.extend(note),
            CommandOf::Amend {
                text,
                lead,
                scope,
                reason,
                ..
            } => {
                texts.extend(text);
                texts.extend(lead.iter().flatten());
                texts.extend(scope.iter().flatten());
                texts.push(reason);
            }
            CommandOf::Redact { .. } | CommandOf::AddActor { .. } | CommandOf::RotateKey { .. } => {
            }
        }
        texts
    }
}

impl Command {
    /// The command as `crate::command::draft` reads it: texts trimmed, blank optional
    /// texts left out (a blank lead or scope given to an amendment stays,
    /// blank, for the rule book to refuse). Drafting a tidied command
    /// changes none of its texts, so the texts a signed request commits to
    /// are exactly those its events hold.
    pub fn tidy(self) -> Command {
        match self {
            CommandOf::AddPlan {
                partnership,
                review,
                chair,
                published,
            } => CommandOf::AddPlan {
                partnership: trimmed(&partnership),
                review: trimmed(&review),
                chair: optional(&chair),
                published,
            },
            CommandOf::AddRecommendation {
                plan,
                number,
                text,
                scope,
            } => CommandOf::AddRecommendation {
                plan,
                number,
                text: trimmed(&text),
                scope: optional(&scope),
            },
            CommandOf::AddAction {
                plan,
                agency,
                lead,
                text,
                scope,
                recommendations,
                target,
            } => CommandOf::AddAction {
                plan,
                agency: trimmed(&agency),
                lead: optional(&lead),
                text: trimmed(&text),
                scope: optional(&scope),
                recommendations,
                target,
            },
            other => other
                .try_map_texts(|t| Ok::<_, std::convert::Infallible>(trimmed(&t)))
                .unwrap_or_else(|never| match never {}),
        }
    }
}

pub(crate) fn trimmed(text: &str) -> String {
    text.trim().to_string()
}

pub(crate) fn optional(text: &Option<String>) -> Option<String> {
    text.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}
