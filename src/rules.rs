//! The rule book: whether one record may follow the state before it.
//!
//! [`admissible`] is the only statement of the ledger's rules. The commands
//! ask it before anything is appended (`Ledger::transact`, through
//! `command::draft`), and `verify` asks it again of every stored event
//! ([`check`]), so the two can never disagree: a history passes `verify`
//! exactly when every event in it is one a command could have written at
//! that point.
//!
//! The hash chain proves the bytes were not changed after they were
//! written; it cannot prove they obeyed the rules when written (someone
//! with the storage engine and enough patience can write a whole,
//! internally consistent chain). Replaying this rule book closes that gap
//! for everything the rules decide.

use chrono::NaiveDate;

use crate::ask::{Command, Stamped, optional, trimmed};
use crate::chain::{Subject, Subjects};
use crate::date::same_target;
use crate::date::{FuzzyDate, Target};
use crate::event::{
    Amendment, AmendmentKind, ClockNote, Event, EventKind, Hash, LinkBasis, PublicKey, Record, Role,
};
use crate::id;
use crate::id::{ActionId, ClaimNo, PlanId, RecId};
use crate::keys::fingerprint_of;
use crate::projection::{Action, Actor, Plan, State};
use crate::request;
use crate::sealed;
use crate::status::{self, Status, Via};
use crate::time::day_of;

/// The earliest day an effective date, a target or a publication date may
/// name. Domestic Homicide Reviews became statutory on 13 April 2011
/// (section 9 of the Domestic Violence, Crime and Victims Act 2004), so
/// nothing in a plan happened, or was due, earlier. The limit is the start
/// of that year, not the day, because a date is compared by the first day
/// of its period: "2011" or "2011-03" in an early plan must still pass.
pub const EARLIEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2011, 1, 1) {
    Some(day) => day,
    None => panic!("1 January 2011 is a date"),
};

/// Why a record may not follow the state: the answer to a refused command
/// and to an event `verify` finds breaking the rules. Messages are written
/// to read well after "error: " and after "the event breaks the ledger's
/// rules: ".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("there is no action {id}{}", did_you_mean_suffix(did_you_mean))]
    UnknownAction {
        /// The id as it was asked for.
        id: String,
        did_you_mean: Option<ActionId>,
    },
    #[error("there is no plan {id}{}", did_you_mean_suffix(did_you_mean))]
    UnknownPlan {
        /// The id as it was asked for.
        id: String,
        did_you_mean: Option<PlanId>,
    },
    #[error("the ledger holds no plan yet: add one with 'planledger plan add'")]
    NoPlan,
    #[error("the ledger holds several plans: say which with --plan")]
    WhichPlan,
    #[error("plan {plan} already has recommendation {number}")]
    DuplicateRecommendation { plan: PlanId, number: RecId },
    #[error(
        "{action} is {from}; it cannot become {to} through '{}'{}",
        via.command(),
        allowed_suffix(*via, allowed)
    )]
    IllegalTransition {
        action: ActionId,
        from: Status,
        to: Status,
        via: Via,
        allowed: Vec<Status>,
    },
    #[error("{action} is {status}: there is no claim awaiting assurance")]
    NoPendingClaim { action: ActionId, status: Status },
    #[error("it decides claim {claim} of {action}, but the claim awaiting assurance is {pending}")]
    NotThePendingClaim {
        action: ActionId,
        claim: ClaimNo,
        pending: ClaimNo,
    },
    #[error("{action} is already {status}")]
    Unchanged { action: ActionId, status: Status },
    #[error("{action} already has that target")]
    SameTarget { action: ActionId },
    #[error("the {what} must not be empty")]
    Empty { what: &'static str },
    #[error("the decision is dated {decision}, before the claim it decides ({claim}) was made")]
    DecisionBeforeClaim {
        decision: FuzzyDate,
        claim: FuzzyDate,
    },
    #[error("the effective date {date} is after today ({today})")]
    EffectiveInFuture { date: FuzzyDate, today: NaiveDate },
    #[error(
        "the {what} {date} is before {EARLIEST_DATE}: Domestic Homicide Reviews began in April 2011, so no action plan is older"
    )]
    BeforeReviews { what: &'static str, date: FuzzyDate },
    #[error("it adds {found}, but the next plan is {expected}")]
    NotTheNextPlan { found: PlanId, expected: PlanId },
    #[error("it adds {found}, but the next action is {expected}")]
    NotTheNextAction { found: ActionId, expected: ActionId },
    #[error("it is claim {found} of {action}, but the next claim is {expected}")]
    NotTheNextClaim {
        action: ActionId,
        found: ClaimNo,
        expected: ClaimNo,
    },
    #[error("it moves {action} from {stated}, but {action} was {actual}")]
    StaleStatus {
        action: ActionId,
        stated: Status,
        actual: Status,
    },
    #[error("its old target is not the target {action} had")]
    StaleTarget { action: ActionId },
    #[error("it names event {import_seq} as its import, which is not an import")]
    NotAnImport { import_seq: u64 },
    #[error("a genesis event after the first")]
    SecondGenesis,
    #[error("there is no event {target} to redact (a redaction names an earlier event)")]
    RedactNoSuchEvent { target: u64 },
    #[error(
        "event {target} has no free text to redact (only notes, outcomes, reasons, findings, wordings and names can be)"
    )]
    RedactNothing { target: u64 },
    #[error("event {target} has {count} free text(s); it names text {slot}")]
    RedactNoSuchText { target: u64, count: u32, slot: u32 },
    #[error("text {slot} of event {target} was already redacted by event {by}")]
    RedactedTwice { target: u64, slot: u32, by: u64 },
    #[error("it names no text, or a text twice")]
    RedactSlotsNotAList,
    #[error("event {target} is a redaction: a redaction's reason cannot be redacted")]
    RedactARedaction { target: u64 },
    #[error(
        "event {target} ({kind}) has no text '{field}': {} (ids, statuses, dates, targets, agency and actor are structure and cannot be redacted)",
        texts_it_has(fields)
    )]
    RedactNoSuchField {
        target: u64,
        kind: crate::event::EventKind,
        field: String,
        /// The names of the texts the event has.
        fields: Vec<String>,
    },
    #[error(
        "the reason repeats '{word}' from the text being erased, which would keep what the redaction removes: say why without it (e.g. 'a relative's name')"
    )]
    RedactReasonRepeats { word: String },
    #[error("the chain files it under {stored}, but it is about {expected}")]
    WrongSubject {
        stored: crate::chain::Subject,
        expected: crate::chain::Subject,
    },
    #[error("the first event is not the genesis event")]
    NoGenesis,
    #[error(
        "plan {plan} lists no recommendation {number}{}{}",
        did_you_mean_suffix(did_you_mean),
        listed_suffix(listed)
    )]
    UnlistedRecommendation {
        plan: PlanId,
        number: RecId,
        did_you_mean: Option<RecId>,
        /// Every recommendation the plan lists, to say which may be named.
        listed: Vec<RecId>,
    },
    #[error("it links {action} to {number} twice")]
    LinkedTwice { action: ActionId, number: RecId },
    #[error(
        "a link found by wording names exactly one recommendation, with at most 100% of words shared"
    )]
    WordingLinkNotOne,
    #[error("a link to the agency's own recommendation names none of the review's")]
    OwnLinkNamesOne,
    #[error(
        "{action} is already linked that way{}",
        linked_suffix(recommendations)
    )]
    SameLinks {
        action: ActionId,
        recommendations: Vec<RecId>,
    },
    #[error(
        "it amends nothing: say what changes (--text, --lead, --no-lead, --agency, --scope, --no-scope)"
    )]
    NothingAmended,
    #[error("it amends the {what} of {action} twice")]
    AmendedTwice {
        action: ActionId,
        what: AmendmentKind,
    },
    #[error("{action} already has that {what}")]
    AmendsNothing {
        action: ActionId,
        what: AmendmentKind,
    },
    #[error(
        "the ledger has actors, so every change must be a request signed with an actor's key: give it with --key FILE (or PLANLEDGER_KEY)"
    )]
    Unsigned,
    #[error("a signed request must begin its transaction")]
    RequestNotFirst,
    #[error("its request cannot be read: {reason}")]
    RequestUnreadable { reason: String },
    #[error("it asks for nothing")]
    RequestEmpty,
    #[error("the request names one key and is signed with another")]
    RequestKeyMismatch,
    #[error("its signature does not verify with the signer's key {fingerprint}")]
    BadSignature { fingerprint: String },
    #[error("the request was made for ledger {found}, not this ledger ({expected})")]
    OtherLedger { found: String, expected: String },
    #[error("this request was already carried out (event {first}): a request is carried out once")]
    Replayed { first: u64 },
    #[error("it says its signer saw event {seen}, which was not yet in the ledger")]
    SeenAhead { seen: u64 },
    #[error(
        "no actor signs with key {fingerprint}: an admin adds actors with 'planledger actor add'"
    )]
    UnknownKey { fingerprint: String },
    #[error("{name}'s key {fingerprint} was replaced: sign with their current key")]
    RotatedKey { name: String, fingerprint: String },
    #[error("{name} was revoked and may sign no more requests")]
    RevokedSigner { name: String },
    #[error("the request is signed as '{stated}', but its key is {actual}'s")]
    SignerName { stated: String, actual: String },
    #[error(
        "the first actor of a ledger is an admin who signs the request that adds them: planledger actor add NAME --role admin --public-key NAME.pub --key NAME.pem"
    )]
    FirstActor,
    #[error("the event names {found} as its actor, but the request was signed by {signer}")]
    ActorNotSigner { found: String, signer: String },
    #[error("it is not what the signed request at event {request} asked for")]
    NotRequested { request: u64 },
    #[error(
        "the signed request at event {request} asked for {asked} change(s), but its transaction holds {done}"
    )]
    RequestUnfinished {
        request: u64,
        asked: usize,
        done: usize,
    },
    /// `who`: the actor's name and roles, "Jo Bloggs (agency:Turning Point)".
    #[error("{who} may not {what}: that needs the {needs} role")]
    NotPermitted {
        who: String,
        what: &'static str,
        needs: &'static str,
    },
    #[error("{action} is {agency}'s action; {who} may change only their own agency's actions")]
    OtherAgency {
        who: String,
        action: ActionId,
        agency: String,
    },
    #[error("there is already an actor named {name}")]
    ActorExists { name: String },
    #[error("there is no actor named {name}{}", actors_suffix(known))]
    NoSuchActor { name: String, known: Vec<String> },
    #[error(
        "key {fingerprint} is already {name}'s (now or before): every actor has a key of their own"
    )]
    KeyInUse { name: String, fingerprint: String },
    #[error("{0}")]
    BadRole(String),
    #[error("an actor needs at least one role: admin, assurance, agency:NAME or auditor")]
    NoRoles,
    #[error("{name} already was revoked")]
    RevokedTwice { name: String },
    #[error("{name} is the last admin: add another admin before revoking them")]
    LastAdmin { name: String },
    #[error(
        "the key is not an ed25519 public key, or is a weak one (of small order) that no signature can be trusted from"
    )]
    BadKey,
    #[error("a signed request's own event states no effective date and no source")]
    RequestStamped,
}

fn actors_suffix(known: &[String]) -> String {
    if known.is_empty() {
        " (the ledger has no actors yet)".to_string()
    } else {
        format!(" (the actors are {})", known.join(", "))
    }
}

fn listed_suffix(listed: &[RecId]) -> String {
    let shown: Vec<String> = listed.iter().map(ToString::to_string).collect();
    match shown.as_slice() {
        [] => " (it lists none)".to_string(),
        _ => format!(" (it lists {})", shown.join(", ")),
    }
}

fn linked_suffix(recommendations: &[RecId]) -> String {
    let shown: Vec<String> = recommendations.iter().map(ToString::to_string).collect();
    match shown.as_slice() {
        [] => " (to none of the review's recommendations)".to_string(),
        _ => format!(" (to {})", shown.join(", ")),
    }
}

/// "its texts are note and outcome", or "it has no free text".
fn texts_it_has(fields: &[String]) -> String {
    match fields {
        [] => "it has no free text".into(),
        [one] => format!("its one text is {one}"),
        [rest @ .., last] => format!("its texts are {} and {last}", rest.join(", ")),
    }
}

fn did_you_mean_suffix<I: std::fmt::Display>(suggestion: &Option<I>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default()
}

fn allowed_suffix(via: Via, allowed: &[Status]) -> String {
    if allowed.is_empty() {
        return String::new();
    }
    let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
    format!(
        " (from here '{}' can make it {})",
        via.command(),
        names.join(" or ")
    )
}

/// Whether `record`, appended at `seq`, may follow `state`: `Ok` exactly
/// when a command could have written it there.
///
/// "Today" for the date rules is read from the record itself, so the
/// verdict is the same when the command is made and whenever the history
/// is replayed: the recorded day, or, where the clock read earlier than the
/// head and the head's time was recorded instead, the day the clock read.
/// A head in the future (written by a clock that was wrong) therefore never
/// lets a future effective date pass.
pub fn admissible(state: &State, seq: u64, record: &Record) -> Result<(), Refusal> {
    let today = match record.clock {
        ClockNote::HeldAtHead { clock_read } => day_of(clock_read.min(record.recorded_at)),
        ClockNote::System | ClockNote::Overridden => day_of(record.recorded_at),
    };
    match (&record.event, state.ledger.is_some()) {
        (Event::LedgerCreated { .. } | Event::LedgerUpgraded { .. }, false) if seq == 0 => {
            return Ok(());
        }
        (Event::LedgerCreated { .. } | Event::LedgerUpgraded { .. }, _) => {
            return Err(Refusal::SecondGenesis);
        }
        (_, false) => return Err(Refusal::NoGenesis),
        (_, true) => {}
    }
    signed(state, seq, record)?;
    if let Some(source) = &record.source
        && !state.sources.contains_key(&source.import_seq)
    {
        return Err(Refusal::NotAnImport {
            import_seq: source.import_seq,
        });
    }
    if let Some(date) = record.effective
        && date.first_day() > today
    {
        return Err(Refusal::EffectiveInFuture { date, today });
    }
    if let Some(date) = record.effective {
        not_before_reviews(date, "effective date")?;
    }
    match &record.event {
        Event::LedgerCreated { .. } | Event::LedgerUpgraded { .. } => Ok(()),
        // Checked by `signed`, with the transaction it begins.
        Event::RequestSigned { .. } => Ok(()),
        Event::ActorAdded { name, roles, key } => {
            text(name, "actor's name")?;
            if let Some(existing) = find_actor_named(state, name) {
                return Err(Refusal::ActorExists {
                    name: existing.name.clone(),
                });
            }
            if roles.is_empty() {
                return Err(Refusal::NoRoles);
            }
            for role in roles {
                if let Role::Agency(agency) = role
                    && agency.trim().is_empty()
                {
                    return Err(Refusal::BadRole(
                        "an agency role names its agency: agency:NAME".into(),
                    ));
                }
            }
            new_key(state, key)
        }
        Event::KeyRotated { name, key } => {
            live_actor(state, name)?;
            new_key(state, key)
        }
        Event::ActorRevoked { name, reason } => {
            let actor = live_actor(state, name)?;
            text(reason, "reason for the revocation")?;
            let other_admins = state
                .actors
                .values()
                .filter(|a| a.revoked.is_none() && a.name != actor.name && a.has(&Role::Admin))
                .count();
            if actor.has(&Role::Admin) && other_admins == 0 {
                return Err(Refusal::LastAdmin {
                    name: actor.name.clone(),
                });
            }
            Ok(())
        }
        Event::Redacted {
            event,
            slots,
            reason,
        } => {
            let target = *event;
            let count = match state.texts.count(target) {
                Some(_) if target >= seq => return Err(Refusal::RedactNoSuchEvent { target }),
                None => return Err(Refusal::RedactNoSuchEvent { target }),
                Some(0) => return Err(Refusal::RedactNothing { target }),
                Some(count) => count,
            };
            if slots.is_empty() || !slots.windows(2).all(|w| w[0] < w[1]) {
                return Err(Refusal::RedactSlotsNotAList);
            }
            for &slot in slots {
                if slot >= count {
                    return Err(Refusal::RedactNoSuchText {
                        target,
                        count,
                        slot,
                    });
                }
                if let Some(by) = state.texts.erased_by(target, slot) {
                    return Err(Refusal::RedactedTwice { target, slot, by });
                }
            }
            text(reason, "reason for the redaction")
        }
        Event::PlanAdded {
            plan,
            partnership,
            review,
            chair,
            published,
        } => {
            let expected = state.next_plan_id();
            if *plan != expected {
                return Err(Refusal::NotTheNextPlan {
                    found: *plan,
                    expected,
                });
            }
            text(partnership, "partnership")?;
            text(review, "review name")?;
            if let Some(date) = published {
                not_before_reviews(*date, "publication date")?;
            }
            optional_text(chair, "chair")
        }
        Event::RecommendationAdded {
            plan,
            number,
            text: words,
            scope,
        } => {
            let existing = find_plan(state, *plan)?;
            if existing.recommendations.contains_key(number) {
                return Err(Refusal::DuplicateRecommendation {
                    plan: *plan,
                    number: *number,
                });
            }
            text(words, "recommendation text")?;
            optional_text(scope, "scope")
        }
        Event::ActionAdded {
            action,
            plan,
            agency,
            lead,
            text: words,
            scope,
            recommendations: _,
            target,
        } => {
            find_plan(state, *plan)?;
            let expected = state.next_action_id();
            if *action != expected {
                return Err(Refusal::NotTheNextAction {
                    found: *action,
                    expected,
                });
            }
            target_not_before_reviews(target.as_ref())?;
            text(agency, "agency")?;
            text(words, "action text")?;
            optional_text(lead, "lead")?;
            optional_text(scope, "scope")
        }
        Event::StatusChanged {
            action,
            from,
            to,
            reason,
        } => {
            let current = moves_from(find_action(state, *action)?, *from)?;
            if current.status == *to {
                return Err(Refusal::Unchanged {
                    action: *action,
                    status: *to,
                });
            }
            legal(current, *to, Via::Status)?;
            text(reason, "reason")
        }
        Event::MilestoneNoted { action, note } => {
            find_action(state, *action)?;
            text(note, "milestone note")
        }
        Event::CompletionClaimed {
            action,
            claim,
            outcome,
            evidence: _,
        } => {
            let current = find_action(state, *action)?;
            legal(current, Status::Claimed, Via::Claim)?;
            let expected = current.next_claim_no();
            if *claim != expected {
                return Err(Refusal::NotTheNextClaim {
                    action: *action,
                    found: *claim,
                    expected,
                });
            }
            text(outcome, "outcome")
        }
        Event::ClaimAccepted {
            action,
            claim,
            finding,
        } => decision(
            state,
            record,
            day_of(record.recorded_at),
            *action,
            *claim,
            finding,
            Status::Assured,
        ),
        Event::ClaimChallenged {
            action,
            claim,
            finding,
        } => decision(
            state,
            record,
            day_of(record.recorded_at),
            *action,
            *claim,
            finding,
            Status::Challenged,
        ),
        Event::ActionWithdrawn {
            action,
            from,
            reason,
        } => {
            let current = moves_from(find_action(state, *action)?, *from)?;
            legal(current, Status::Withdrawn, Via::Withdraw)?;
            text(reason, "reason")
        }
        Event::TargetChanged {
            action,
            from,
            to,
            reason,
        } => {
            let current = find_action(state, *action)?;
            if current.target != *from {
                return Err(Refusal::StaleTarget { action: *action });
            }
            if same_target(from.as_ref(), to.as_ref()) {
                return Err(Refusal::SameTarget { action: *action });
            }
            target_not_before_reviews(to.as_ref())?;
            text(reason, "reason")
        }
        Event::ActionLinked {
            action,
            recommendations,
            basis,
            note,
        } => linked(state, *action, recommendations, *basis, note.as_deref()),
        Event::ActionAmended {
            action,
            changes,
            reason,
        } => amended(state, *action, changes, reason),
        Event::SourceImported { .. } => Ok(()),
        Event::ImportWarning { action, message } => {
            if let Some(action) = action {
                find_action(state, *action)?;
            }
            text(message, "warning")
        }
    }
}

/// An assurance decision: about the claim awaiting assurance, a legal move,
/// with a finding, and not certainly before the claim it decides: refused
/// only when the decision's period ends before the claim's period begins.
/// A decision inside the claim's period (an acceptance on 27 January of a
/// claim dated "January 2019") may well have followed it and is recorded;
/// [`decision_order_unknown`] tells the command to say so. An unstated date
/// is the recorded day, for the decision as for the claim.
fn decision(
    state: &State,
    record: &Record,
    recorded_day: NaiveDate,
    action: ActionId,
    claim: ClaimNo,
    finding: &str,
    to: Status,
) -> Result<(), Refusal> {
    let current = find_action(state, action)?;
    let pending = current.pending_claim().ok_or(Refusal::NoPendingClaim {
        action,
        status: current.status,
    })?;
    if pending.number != claim {
        return Err(Refusal::NotThePendingClaim {
            action,
            claim,
            pending: pending.number,
        });
    }
    let via = if to == Status::Assured {
        Via::Accept
    } else {
        Via::Challenge
    };
    legal(current, to, via)?;
    text(finding, "finding")?;
    let decided = record.effective.map_or(recorded_day, |d| d.last_day());
    if decided < pending.effective.first_day() {
        return Err(Refusal::DecisionBeforeClaim {
            decision: record
                .effective
                .unwrap_or_else(|| FuzzyDate::from_naive(recorded_day)),
            claim: pending.effective,
        });
    }
    Ok(())
}

/// An action's links: to recommendations its plan lists, each once; one
/// found by wording names one, with a share no more than 100%; one to the
/// agency's own recommendation names none and keeps its words; a stated one
/// has a reason; and it is not the link the action already has.
fn linked(
    state: &State,
    action: ActionId,
    recommendations: &[RecId],
    basis: LinkBasis,
    note: Option<&str>,
) -> Result<(), Refusal> {
    let current = find_action(state, action)?;
    let plan = find_plan(state, current.plan)?;
    for (i, &number) in recommendations.iter().enumerate() {
        if !plan.recommendations.contains_key(&number) {
            return Err(Refusal::UnlistedRecommendation {
                plan: plan.id,
                number,
                did_you_mean: id::closest(
                    &number.to_string(),
                    plan.recommendations.keys().copied(),
                ),
                listed: plan.recommendations.keys().copied().collect(),
            });
        }
        if recommendations[..i].contains(&number) {
            return Err(Refusal::LinkedTwice { action, number });
        }
    }
    match basis {
        LinkBasis::Wording { shared_percent } => {
            if recommendations.len() != 1 || shared_percent > 100 {
                return Err(Refusal::WordingLinkNotOne);
            }
            optional_text(&note.map(str::to_string), "note")?;
        }
        LinkBasis::Stated => text(note.unwrap_or_default(), "reason")?,
        LinkBasis::Own => {
            if !recommendations.is_empty() {
                return Err(Refusal::OwnLinkNamesOne);
            }
            text(note.unwrap_or_default(), "agency's own recommendation")?;
        }
    }
    let same_basis = current.link.as_ref().is_some_and(|l| l.basis == basis);
    if same_basis && current.recommendations == recommendations {
        return Err(Refusal::SameLinks {
            action,
            recommendations: recommendations.to_vec(),
        });
    }
    Ok(())
}

/// An amendment changes something: at least one field, each at most once,
/// each to a value the action does not have, the wording and agency not
/// blank (a lead or scope absent or not blank), with a reason.
fn amended(
    state: &State,
    action: ActionId,
    changes: &[Amendment<String>],
    reason: &str,
) -> Result<(), Refusal> {
    let current = find_action(state, action)?;
    if changes.is_empty() {
        return Err(Refusal::NothingAmended);
    }
    for (i, change) in changes.iter().enumerate() {
        let what = change.kind();
        if changes[..i].iter().any(|c| c.kind() == what) {
            return Err(Refusal::AmendedTwice { action, what });
        }
        let unchanged = match change {
            Amendment::Text(words) => {
                text(words, "action text")?;
                *words == current.text
            }
            Amendment::Lead(lead) => {
                optional_text(lead, "lead")?;
                *lead == current.lead
            }
            Amendment::Agency(agency) => {
                text(agency, "agency")?;
                *agency == current.agency
            }
            Amendment::Scope(scope) => {
                optional_text(scope, "scope")?;
                *scope == current.scope
            }
        };
        if unchanged {
            return Err(Refusal::AmendsNothing { action, what });
        }
    }
    text(reason, "reason")
}

/// True when a decision dated `decision` falls inside the period of the
/// claim dated `claim`, so which came first is not known from the dates
/// (the rule book admits it; see `decision`).
pub fn decision_order_unknown(claim: FuzzyDate, decision: FuzzyDate) -> bool {
    decision.last_day() < claim.last_day() && decision.last_day() >= claim.first_day()
}

/// A date of a plan is no earlier than [`EARLIEST_DATE`].
fn not_before_reviews(date: FuzzyDate, what: &'static str) -> Result<(), Refusal> {
    if date.first_day() < EARLIEST_DATE {
        return Err(Refusal::BeforeReviews { what, date });
    }
    Ok(())
}

/// A target that names a date names one no earlier than [`EARLIEST_DATE`];
/// words without a date ("Ongoing") pass.
fn target_not_before_reviews(target: Option<&Target>) -> Result<(), Refusal> {
    match target.and_then(|t| t.date) {
        Some(date) => not_before_reviews(date, "target"),
        None => Ok(()),
    }
}

/// The action with this id, or a refusal that suggests a near one.
pub fn find_action(state: &State, id: ActionId) -> Result<&Action, Refusal> {
    state
        .actions
        .get(&id)
        .ok_or_else(|| Refusal::UnknownAction {
            id: id.to_string(),
            did_you_mean: id::closest(&id.to_string(), state.actions.keys().copied()),
        })
}

/// The plan with this id, or a refusal that suggests a near one.
pub fn find_plan(state: &State, id: PlanId) -> Result<&Plan, Refusal> {
    state.plans.get(&id).ok_or_else(|| Refusal::UnknownPlan {
        id: id.to_string(),
        did_you_mean: id::closest(&id.to_string(), state.plans.keys().copied()),
    })
}

/// The action, if the status the event says it moves from is the one it has.
fn moves_from(action: &Action, stated: Status) -> Result<&Action, Refusal> {
    if action.status != stated {
        return Err(Refusal::StaleStatus {
            action: action.id,
            stated,
            actual: action.status,
        });
    }
    Ok(action)
}

fn legal(action: &Action, to: Status, via: Via) -> Result<(), Refusal> {
    if status::is_legal(action.status, to, via) {
        return Ok(());
    }
    Err(Refusal::IllegalTransition {
        action: action.id,
        from: action.status,
        to,
        via,
        allowed: status::reachable(action.status, via),
    })
}

fn text(words: &str, what: &'static str) -> Result<(), Refusal> {
    if words.trim().is_empty() {
        return Err(Refusal::Empty { what });
    }
    Ok(())
}

/// An optional text is absent or has words: a command never stores a
/// blank one.
fn optional_text(words: &Option<String>, what: &'static str) -> Result<(), Refusal> {
    match words {
        Some(words) => text(words, what),
        None => Ok(()),
    }
}

/// The one rule `verify` cannot replay, because once a redaction is made
/// the words it checks are gone: a redaction's reason must not repeat what
/// it erases. The reason stays in the record for ever, so a reason that
/// quoted the words would keep them.
///
/// `erased` are the texts the redaction erases. The reason may not hold
/// one of them whole (compared word by word, ignoring case and
/// punctuation), nor any word of one that could name or number someone
/// ([`sealed::is_telling`]).
pub fn redaction_reason(reason: &str, erased: &[&str]) -> Result<(), Refusal> {
    let reason_words: Vec<String> = sealed::words(reason)
        .map(|(_, w)| w.to_lowercase())
        .collect();
    for text in erased {
        let text_words: Vec<(bool, &str)> = sealed::words(text).collect();
        let lower: Vec<String> = text_words.iter().map(|(_, w)| w.to_lowercase()).collect();
        if !lower.is_empty()
            && reason_words
                .windows(lower.len())
                .any(|w| w == lower.as_slice())
        {
            return Err(Refusal::RedactReasonRepeats {
                word: text_words
                    .iter()
                    .map(|(_, w)| *w)
                    .collect::<Vec<_>>()
                    .join(" "),
            });
        }
        for ((starts_sentence, word), lower) in text_words.iter().zip(&lower) {
            if sealed::is_telling(*starts_sentence, word) && reason_words.contains(lower) {
                return Err(Refusal::RedactReasonRepeats {
                    word: word.to_string(),
                });
            }
        }
    }
    Ok(())
}

/// The rules of signing, checked before an event's own rules.
///
/// A ledger without actors takes unsigned transactions (its history before
/// the first `ActorAdded` stays as it was written, and views mark it
/// unsigned). Once it has actors, every transaction begins with a
/// `RequestSigned` whose signature verifies with the current key of a live
/// actor, made for this ledger, carried out once; and every event after it
/// is what the request's next command drafts, with the signer as its actor
/// and within the signer's roles. The very first actor is an admin who
/// signs the request that adds them.
fn signed(state: &State, seq: u64, record: &Record) -> Result<(), Refusal> {
    let new_tx = state.last_tx != Some(record.tx);
    if new_tx
        && let Some(open) = &state.signing
        && !open.is_complete()
    {
        return Err(Refusal::RequestUnfinished {
            request: open.seq,
            asked: open.asked,
            done: open.done,
        });
    }
    if let Event::RequestSigned {
        key,
        request: bytes,
        signature,
    } = &record.event
    {
        // The genesis transaction of a ledger made with a key is signed
        // from its second event.
        let after_genesis = record.tx == 0 && seq == 1;
        if !(new_tx || after_genesis) {
            return Err(Refusal::RequestNotFirst);
        }
        return request_signed(state, seq, record, key, bytes, signature);
    }
    let Some(signing) = state.signing_of(record.tx) else {
        if state.is_signed() {
            return Err(Refusal::Unsigned);
        }
        if let Event::ActorAdded { .. } = record.event {
            return Err(Refusal::FirstActor);
        }
        return Ok(());
    };
    if record.actor != signing.signer {
        return Err(Refusal::ActorNotSigner {
            found: record.actor.clone(),
            signer: signing.signer.clone(),
        });
    }
    let not_requested = Refusal::NotRequested {
        request: signing.seq,
    };
    let expected = signing.next().ok_or_else(|| not_requested.clone())?;
    let shown: Stamped = expected
        .clone()
        .try_map_texts(|commit| Ok::<_, std::convert::Infallible>(hex::encode(commit)))
        .unwrap_or_else(|never| match never {});
    let drafted = draft(state, &shown.command)?;
    if shape(drafted) != shape(record.event.clone())
        || shown.effective != record.effective
        || shown.source != record.source
    {
        return Err(not_requested);
    }
    match state.actors.get(&signing.signer) {
        Some(actor) => permitted(state, actor, &record.event),
        // The first actor's own `ActorAdded`, which `request_signed`
        // checked is the request's first command.
        None => Ok(()),
    }
}

/// An event without its words: what a request's command fixes besides the
/// texts, which the chain check compares by their commitments.
fn shape(event: Event) -> crate::event::EventOf<()> {
    event
        .try_map_texts(|_| Ok::<_, std::convert::Infallible>(()))
        .unwrap_or_else(|never| match never {})
}

fn request_signed(
    state: &State,
    seq: u64,
    record: &Record,
    key: &PublicKey,
    bytes: &[u8],
    signature: &crate::event::Signature,
) -> Result<(), Refusal> {
    let request = request::decode(bytes).map_err(|e| Refusal::RequestUnreadable {
        reason: e.to_string(),
    })?;
    if record.effective.is_some() || record.source.is_some() {
        return Err(Refusal::RequestStamped);
    }
    if request.key != *key {
        return Err(Refusal::RequestKeyMismatch);
    }
    request::check_signature(key, bytes, signature).map_err(|_| Refusal::BadSignature {
        fingerprint: fingerprint_of(key),
    })?;
    if let Some(ledger) = &state.ledger
        && ledger.id != request.ledger_id
    {
        return Err(Refusal::OtherLedger {
            found: hex::encode(request.ledger_id),
            expected: hex::encode(ledger.id),
        });
    }
    if let Some(&first) = state.requests.get(&request::digest(bytes)) {
        return Err(Refusal::Replayed { first });
    }
    if let Some((seen, _)) = request.head_seen
        && seen >= seq
    {
        return Err(Refusal::SeenAhead { seen });
    }
    if request.commands.is_empty() {
        return Err(Refusal::RequestEmpty);
    }
    if record.actor != request.signer {
        return Err(Refusal::ActorNotSigner {
            found: record.actor.clone(),
            signer: request.signer.clone(),
        });
    }
    if !state.is_signed() {
        // Adoption: the request adds its own signer as the first admin.
        return match &request.commands[0].command {
            crate::ask::CommandOf::AddActor {
                name,
                roles,
                key: added,
            } => {
                if *added == *key && name.trim() == request.signer && roles.contains(&Role::Admin) {
                    Ok(())
                } else {
                    Err(Refusal::FirstActor)
                }
            }
            _ => Err(Refusal::FirstActor),
        };
    }
    match state.actor_by_key(key) {
        None => Err(Refusal::UnknownKey {
            fingerprint: fingerprint_of(key),
        }),
        Some((actor, false)) => Err(Refusal::RotatedKey {
            name: actor.name.clone(),
            fingerprint: fingerprint_of(key),
        }),
        Some((actor, true)) if actor.revoked.is_some() => Err(Refusal::RevokedSigner {
            name: actor.name.clone(),
        }),
        Some((actor, true)) if actor.name != request.signer => Err(Refusal::SignerName {
            stated: request.signer.clone(),
            actual: actor.name.clone(),
        }),
        Some(_) => Ok(()),
    }
}

/// What a role lets its holder do with `event`; refused with the role it
/// needs.
fn permitted(state: &State, actor: &Actor, event: &Event) -> Result<(), Refusal> {
    if actor.revoked.is_some() {
        return Err(Refusal::RevokedSigner {
            name: actor.name.clone(),
        });
    }
    let admin = actor.has(&Role::Admin);
    let assurance = actor.has(&Role::Assurance);
    let who = || format!("{} ({})", actor.name, roles_text(&actor.roles));
    let refuse = |needs: &'static str| {
        Err(Refusal::NotPermitted {
            who: who(),
            what: doing(event.kind()),
            needs,
        })
    };
    match event {
        Event::ActorAdded { .. } | Event::ActorRevoked { .. } | Event::Redacted { .. } => {
            if admin {
                Ok(())
            } else {
                refuse("admin")
            }
        }
        // Anyone may replace their own key; an admin anyone's.
        Event::KeyRotated { name, .. } => {
            if admin || *name == actor.name {
                Ok(())
            } else {
                refuse("admin")
            }
        }
        Event::StatusChanged { action, .. }
        | Event::MilestoneNoted { action, .. }
        | Event::CompletionClaimed { action, .. } => {
            if assurance {
                return Ok(());
            }
            let agencies: Vec<&str> = actor
                .roles
                .iter()
                .filter_map(|r| match r {
                    Role::Agency(name) => Some(name.as_str()),
                    Role::Admin | Role::Assurance | Role::Auditor => None,
                })
                .collect();
            if agencies.is_empty() {
                return refuse("assurance or agency");
            }
            let owner = state
                .actions
                .get(action)
                .map(|a| a.agency.as_str())
                .unwrap_or("");
            if agencies.iter().any(|a| same_name(a, owner)) {
                Ok(())
            } else {
                Err(Refusal::OtherAgency {
                    who: who(),
                    action: *action,
                    agency: owner.to_string(),
                })
            }
        }
        Event::PlanAdded { .. }
        | Event::RecommendationAdded { .. }
        | Event::ActionAdded { .. }
        | Event::ClaimAccepted { .. }
        | Event::ClaimChallenged { .. }
        | Event::ActionWithdrawn { .. }
        | Event::TargetChanged { .. }
        | Event::SourceImported { .. }
        | Event::ImportWarning { .. }
        | Event::ActionLinked { .. }
        | Event::ActionAmended { .. } => {
            if assurance {
                Ok(())
            } else {
                refuse("assurance")
            }
        }
        // Only ever the first event of a ledger or of a transaction.
        Event::LedgerCreated { .. }
        | Event::LedgerUpgraded { .. }
        | Event::RequestSigned { .. } => Err(Refusal::RequestNotFirst),
    }
}

/// What an event does, in words for "X may not …".
fn doing(kind: EventKind) -> &'static str {
    match kind {
        EventKind::LedgerCreated | EventKind::LedgerUpgraded => "create a ledger",
        EventKind::PlanAdded => "add a plan",
        EventKind::RecommendationAdded => "add a recommendation",
        EventKind::ActionAdded => "add an action",
        EventKind::StatusChanged => "change an action's status",
        EventKind::MilestoneNoted => "note a milestone",
        EventKind::CompletionClaimed => "claim completion",
        EventKind::ClaimAccepted => "accept a claim",
        EventKind::ClaimChallenged => "challenge a claim",
        EventKind::ActionWithdrawn => "withdraw an action",
        EventKind::TargetChanged => "change a target",
        EventKind::SourceImported | EventKind::ImportWarning => "import a plan",
        EventKind::Redacted => "redact",
        EventKind::ActionLinked => "link an action to recommendations",
        EventKind::ActionAmended => "amend an action",
        EventKind::ActorAdded => "add an actor",
        EventKind::KeyRotated => "replace another actor's key",
        EventKind::ActorRevoked => "revoke an actor",
        EventKind::RequestSigned => "sign a request",
    }
}

/// "admin, agency:Thames Valley Police".
pub fn roles_text(roles: &[Role]) -> String {
    roles
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Names (of agencies, of actors) compared as people write them: case
/// and spacing aside.
fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    norm(a) == norm(b)
}

/// The actor of that name, case and spacing aside.
pub fn find_actor_named<'a>(state: &'a State, name: &str) -> Option<&'a Actor> {
    state.actors.values().find(|a| same_name(&a.name, name))
}

fn live_actor<'a>(state: &'a State, name: &str) -> Result<&'a Actor, Refusal> {
    let actor = state.actors.get(name).ok_or_else(|| Refusal::NoSuchActor {
        name: name.to_string(),
        known: state.actors.keys().cloned().collect(),
    })?;
    if actor.revoked.is_some() {
        return Err(Refusal::RevokedTwice {
            name: actor.name.clone(),
        });
    }
    Ok(actor)
}

/// A key no actor holds or held, and a real ed25519 point.
fn new_key(state: &State, key: &PublicKey) -> Result<(), Refusal> {
    if ed25519_dalek::VerifyingKey::from_bytes(key).map_or(true, |k| k.is_weak()) {
        return Err(Refusal::BadKey);
    }
    match state.actor_by_key(key) {
        Some((actor, _)) => Err(Refusal::KeyInUse {
            name: actor.name.clone(),
            fingerprint: fingerprint_of(key),
        }),
        None => Ok(()),
    }
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
                None => find_plan(state, *plan)?.next_rec_id(),
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
            from: find_action(state, *action)?.status,
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
            claim: find_action(state, *action)?.next_claim_no(),
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
            from: find_action(state, *action)?.status,
            reason: trimmed(reason),
        },
        Command::Retarget {
            action,
            target,
            reason,
        } => Event::TargetChanged {
            action: *action,
            from: find_action(state, *action)?.target.clone(),
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
        Command::Link {
            action,
            recommendations,
            basis,
            note,
        } => Event::ActionLinked {
            action: *action,
            recommendations: recommendations.clone(),
            basis: *basis,
            note: note.as_deref().map(trimmed),
        },
        Command::Amend {
            action,
            text,
            lead,
            agency,
            scope,
            reason,
        } => {
            // In `AmendmentKind` order. A blank text stays blank (trimmed)
            // for the rule book to refuse, never read as "none".
            let mut changes = Vec::new();
            if let Some(text) = text {
                changes.push(Amendment::Text(trimmed(text)));
            }
            if let Some(lead) = lead {
                changes.push(Amendment::Lead(lead.as_deref().map(trimmed)));
            }
            if let Some(agency) = agency {
                changes.push(Amendment::Agency(trimmed(agency)));
            }
            if let Some(scope) = scope {
                changes.push(Amendment::Scope(scope.as_deref().map(trimmed)));
            }
            Event::ActionAmended {
                action: *action,
                changes,
                reason: trimmed(reason),
            }
        }
        Command::Redact {
            event,
            slots,
            reason,
        } => Event::Redacted {
            event: *event,
            slots: slots.clone(),
            reason: trimmed(reason),
        },
        Command::AddActor { name, roles, key } => Event::ActorAdded {
            name: trimmed(name),
            roles: roles.clone(),
            key: *key,
        },
        Command::RotateKey { name, key } => Event::KeyRotated {
            name: trimmed(name),
            key: *key,
        },
        Command::RevokeActor { name, reason } => Event::ActorRevoked {
            name: trimmed(name),
            reason: trimmed(reason),
        },
    })
}

fn pending_claim(state: &State, id: ActionId) -> Result<ClaimNo, Refusal> {
    let action = find_action(state, id)?;
    action
        .pending_claim()
        .map(|claim| claim.number)
        .ok_or(Refusal::NoPendingClaim {
            action: id,
            status: action.status,
        })
}

/// Replays `events` in order against the rule book and returns each
/// refusal with its sequence number.
pub fn check<'a>(events: impl IntoIterator<Item = (u64, Hash, &'a Record)>) -> Vec<(u64, Refusal)> {
    let mut state = State::default();
    let mut found = Vec::new();
    for (seq, hash, record) in events {
        if let Err(refusal) = admissible(&state, seq, record) {
            found.push((seq, refusal));
        }
        state.apply(seq, hash, record);
    }
    found.extend(unfinished(&state));
    found
}

/// The last transaction, if it is a signed request with commands that have
/// no event: a history cut short inside a transaction.
fn unfinished(state: &State) -> Option<(u64, Refusal)> {
    let open = state.signing.as_ref().filter(|s| !s.is_complete())?;
    Some((
        open.seq,
        Refusal::RequestUnfinished {
            request: open.seq,
            asked: open.asked,
            done: open.done,
        },
    ))
}

/// [`check`], and also that each event's subject, as the chain states it,
/// is what the event is about at that point of the history: the plan of
/// the action it names, or for a redaction the subject of the event it
/// redacts. (The ledger, not the command, sets the subject, so a wrong one
/// means the chain was written by something else.)
pub fn check_with_subjects<'a>(
    events: impl IntoIterator<Item = (u64, Hash, Subject, &'a Record)>,
) -> Vec<(u64, Refusal)> {
    let mut replay = Replay::default();
    for (seq, hash, stored, record) in events {
        replay.step(seq, hash, stored, record);
    }
    replay.finish()
}

/// [`check_with_subjects`] one event at a time, for a caller that streams
/// the history and wants the state after each event (`verify` compares
/// snapshots with it).
#[derive(Default)]
pub struct Replay {
    state: State,
    subjects: Subjects,
    found: Vec<(u64, Refusal)>,
}

impl Replay {
    /// Asks the rule book of the next event, checks its subject, and
    /// folds it in.
    pub fn step(&mut self, seq: u64, hash: Hash, stored: Subject, record: &Record) {
        if let Err(refusal) = admissible(&self.state, seq, record) {
            self.found.push((seq, refusal));
        }
        let subjects = &self.subjects;
        let expected = self
            .state
            .subject_of(&record.event, |earlier| subjects.get(earlier));
        if stored != expected && self.found.last().is_none_or(|(at, _)| *at != seq) {
            self.found
                .push((seq, Refusal::WrongSubject { stored, expected }));
        }
        self.subjects.push(stored);
        self.state.apply(seq, hash, record);
    }

    /// The state after the events so far.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The stored subject of each event so far, in order.
    pub fn subjects(&self) -> &Subjects {
        &self.subjects
    }

    /// What was found, with a history cut short inside a signed
    /// transaction.
    pub fn finish(self) -> Vec<(u64, Refusal)> {
        self.finish_with_state().0
    }

    /// [`Replay::finish`], and the state after the events: for a caller
    /// that would otherwise fold the same events again.
    pub fn finish_with_state(mut self) -> (Vec<(u64, Refusal)>, State) {
        self.found.extend(unfinished(&self.state));
        (self.found, self.state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::Target;

    /// 2020-01-01T00:00:00Z.
    const RECORDED: i64 = 1_577_836_800_000_000;

    fn record(event: Event) -> Record {
        Record {
            tx: 0,
            recorded_at: RECORDED,
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
                plan: PlanId::of(1),
                partnership: "CSP".into(),
                review: "Alice".into(),
                chair: None,
                published: FuzzyDate::month(2019, 10),
            },
            Event::ActionAdded {
                action: ActionId::of(1),
                plan: PlanId::of(1),
                agency: "Police".into(),
                lead: None,
                text: "Update Niche".into(),
                scope: None,
                recommendations: vec![RecId::of(1)],
                target: None,
            },
        ];
        events.extend(tail);
        events.into_iter().map(record).collect()
    }

    fn violations(records: &[Record]) -> Vec<(u64, Refusal)> {
        check((0u64..).zip(records).map(|(seq, r)| (seq, [0; 32], r)))
    }

    const A1: ActionId = ActionId::of(1);

    fn claimed(claim: u32) -> Event {
        Event::CompletionClaimed {
            action: A1,
            claim: ClaimNo::of(claim),
            outcome: "done".into(),
            evidence: vec![],
        }
    }

    #[test]
    fn a_history_the_commands_could_write_passes() {
        let records = history(vec![
            claimed(1),
            Event::ClaimChallenged {
                action: A1,
                claim: ClaimNo::of(1),
                finding: "no".into(),
            },
            Event::StatusChanged {
                action: A1,
                from: Status::Challenged,
                to: Status::InProgress,
                reason: "again".into(),
            },
            claimed(2),
            Event::ClaimAccepted {
                action: A1,
                claim: ClaimNo::of(2),
                finding: "seen".into(),
            },
        ]);
        assert_eq!(violations(&records), vec![]);
    }

    /// Each forged event is named at its seq, with the refusal a command
    /// would have met. The last ones passed `verify` before the rule book
    /// was one function (found in review).
    #[test]
    fn forged_events_are_refused_at_their_seq() {
        let target = |text: &str| {
            Some(Target {
                text: text.into(),
                date: FuzzyDate::month(2019, 12),
            })
        };
        type Expected = fn(&Refusal) -> bool;
        let cases: Vec<(Event, Expected)> = vec![
            (
                Event::StatusChanged {
                    action: A1,
                    from: Status::Open,
                    to: Status::Assured,
                    reason: "trust me".into(),
                },
                |r| {
                    matches!(
                        r,
                        Refusal::IllegalTransition {
                            to: Status::Assured,
                            ..
                        }
                    )
                },
            ),
            (
                Event::StatusChanged {
                    action: A1,
                    from: Status::Claimed,
                    to: Status::InProgress,
                    reason: "x".into(),
                },
                |r| {
                    matches!(
                        r,
                        Refusal::StaleStatus {
                            actual: Status::Open,
                            ..
                        }
                    )
                },
            ),
            (
                Event::ClaimAccepted {
                    action: A1,
                    claim: ClaimNo::of(1),
                    finding: "seen".into(),
                },
                |r| matches!(r, Refusal::NoPendingClaim { .. }),
            ),
            (
                Event::MilestoneNoted {
                    action: ActionId::of(7),
                    note: "x".into(),
                },
                |r| matches!(r, Refusal::UnknownAction { did_you_mean: Some(a), .. } if *a == A1),
            ),
            (
                Event::ActionAdded {
                    action: ActionId::of(5),
                    plan: PlanId::of(1),
                    agency: "x".into(),
                    lead: None,
                    text: "x".into(),
                    scope: None,
                    recommendations: vec![],
                    target: None,
                },
                |r| matches!(r, Refusal::NotTheNextAction { expected, .. } if *expected == ActionId::of(2)),
            ),
            (
                Event::LedgerCreated {
                    ledger_id: [1; 16],
                    format_version: 1,
                },
                |r| matches!(r, Refusal::SecondGenesis),
            ),
            (
                Event::StatusChanged {
                    action: A1,
                    from: Status::Open,
                    to: Status::InProgress,
                    reason: "  ".into(),
                },
                |r| matches!(r, Refusal::Empty { what: "reason" }),
            ),
            (
                Event::TargetChanged {
                    action: A1,
                    from: None,
                    to: None,
                    reason: "no change".into(),
                },
                |r| matches!(r, Refusal::SameTarget { .. }),
            ),
            (
                Event::PlanAdded {
                    plan: PlanId::of(2),
                    partnership: " ".into(),
                    review: "Bob".into(),
                    chair: None,
                    published: None,
                },
                |r| {
                    matches!(
                        r,
                        Refusal::Empty {
                            what: "partnership"
                        }
                    )
                },
            ),
            (
                Event::ActionAdded {
                    action: ActionId::of(2),
                    plan: PlanId::of(1),
                    agency: "x".into(),
                    lead: Some(String::new()),
                    text: "x".into(),
                    scope: None,
                    recommendations: vec![],
                    target: target("December 2019"),
                },
                |r| matches!(r, Refusal::Empty { what: "lead" }),
            ),
        ];
        for (event, expected) in cases {
            let found = violations(&history(vec![event.clone()]));
            assert_eq!(found.len(), 1, "{event:?}: {found:?}");
            assert_eq!(found[0].0, 3);
            assert!(expected(&found[0].1), "{event:?}: {:?}", found[0].1);
        }
    }

    /// Each forged link or amendment is refused for the reason a command
    /// would meet; the ones a command could write pass.
    #[test]
    fn links_and_amendments_follow_the_rules() {
        let rec = |number: u32| Event::RecommendationAdded {
            plan: PlanId::of(1),
            number: RecId::of(number),
            text: format!("Recommendation {number}"),
            scope: None,
        };
        let link = |recs: &[u32], basis, note: Option<&str>| Event::ActionLinked {
            action: A1,
            recommendations: recs.iter().map(|&n| RecId::of(n)).collect(),
            basis,
            note: note.map(String::from),
        };
        let amend = |changes: Vec<Amendment<String>>, reason: &str| Event::ActionAmended {
            action: A1,
            changes,
            reason: reason.into(),
        };
        let wording = LinkBasis::Wording { shared_percent: 56 };
        let passing = vec![
            rec(1),
            rec(2),
            link(&[2], wording, None),
            link(&[2], LinkBasis::Stated, Some("confirmed")),
            link(&[], LinkBasis::Own, Some("The force's own")),
            link(&[], LinkBasis::Stated, Some("answers none")),
            amend(
                vec![
                    Amendment::Text("Update Niche daily".into()),
                    Amendment::Lead(Some("MARAC team".into())),
                    Amendment::Agency("TVP".into()),
                    Amendment::Scope(Some("Local".into())),
                ],
                "handed over",
            ),
            amend(vec![Amendment::Lead(None)], "the lead left"),
        ];
        let mut events = passing.clone();
        assert_eq!(violations(&history(passing)), vec![]);
        type Expected = fn(&Refusal) -> bool;
        let cases: Vec<(Event, Expected)> = vec![
            (link(&[3], LinkBasis::Stated, Some("x")), |r| {
                matches!(r, Refusal::UnlistedRecommendation { number, did_you_mean: Some(near), listed, .. }
                    if *number == RecId::of(3) && *near == RecId::of(1) && listed.len() == 2)
            }),
            (link(&[1, 1], LinkBasis::Stated, Some("x")), |r| {
                matches!(r, Refusal::LinkedTwice { .. })
            }),
            (link(&[1], LinkBasis::Stated, Some(" ")), |r| {
                matches!(r, Refusal::Empty { what: "reason" })
            }),
            (link(&[1], LinkBasis::Stated, None), |r| {
                matches!(r, Refusal::Empty { what: "reason" })
            }),
            (link(&[1, 2], wording, None), |r| {
                matches!(r, Refusal::WordingLinkNotOne)
            }),
            (
                link(
                    &[1],
                    LinkBasis::Wording {
                        shared_percent: 101,
                    },
                    None,
                ),
                |r| matches!(r, Refusal::WordingLinkNotOne),
            ),
            (link(&[1], LinkBasis::Own, Some("own")), |r| {
                matches!(r, Refusal::OwnLinkNamesOne)
            }),
            (link(&[], LinkBasis::Stated, Some("again")), |r| {
                matches!(r, Refusal::SameLinks { .. })
            }),
            (amend(vec![], "x"), |r| matches!(r, Refusal::NothingAmended)),
            (
                amend(
                    vec![Amendment::Lead(Some("A".into())), Amendment::Lead(None)],
                    "x",
                ),
                |r| {
                    matches!(
                        r,
                        Refusal::AmendedTwice {
                            what: AmendmentKind::Lead,
                            ..
                        }
                    )
                },
            ),
            (amend(vec![Amendment::Agency("TVP".into())], "x"), |r| {
                matches!(
                    r,
                    Refusal::AmendsNothing {
                        what: AmendmentKind::Agency,
                        ..
                    }
                )
            }),
            (amend(vec![Amendment::Lead(None)], "x"), |r| {
                matches!(
                    r,
                    Refusal::AmendsNothing {
                        what: AmendmentKind::Lead,
                        ..
                    }
                )
            }),
            (amend(vec![Amendment::Text(" ".into())], "x"), |r| {
                matches!(
                    r,
                    Refusal::Empty {
                        what: "action text"
                    }
                )
            }),
            (amend(vec![Amendment::Scope(Some("".into()))], "x"), |r| {
                matches!(r, Refusal::Empty { what: "scope" })
            }),
            (amend(vec![Amendment::Scope(None)], "  "), |r| {
                matches!(r, Refusal::Empty { what: "reason" })
            }),
        ];
        let at = 3 + events.len() as u64;
        for (event, expected) in cases {
            events.push(event.clone());
            let found = violations(&history(events.clone()));
            events.pop();
            assert_eq!(found.len(), 1, "{event:?}: {found:?}");
            assert_eq!(found[0].0, at);
            assert!(expected(&found[0].1), "{event:?}: {:?}", found[0].1);
        }
    }

    #[test]
    fn an_effective_date_after_the_recorded_day_is_refused() {
        let mut records = history(vec![Event::MilestoneNoted {
            action: A1,
            note: "met".into(),
        }]);
        records[3].effective = FuzzyDate::day(2020, 1, 2);
        let found = violations(&records);
        assert!(
            matches!(found.as_slice(), [(3, Refusal::EffectiveInFuture { .. })]),
            "{found:?}"
        );
        // The recorded day itself, and its month, are not in the future.
        records[3].effective = FuzzyDate::month(2020, 1);
        assert_eq!(violations(&records), vec![]);
    }

    /// Regression (issue: import what partnerships really hold): year 0000
    /// was accepted as an effective date and as a target, so
    /// `accept --effective 0000` made an action assured.
    #[test]
    fn dates_before_reviews_began_are_refused_and_2011_passes() {
        let mut records = history(vec![
            Event::MilestoneNoted {
                action: A1,
                note: "met".into(),
            },
            Event::TargetChanged {
                action: A1,
                from: None,
                to: Some(Target {
                    text: "0000".into(),
                    date: FuzzyDate::year(0),
                }),
                reason: "typo".into(),
            },
        ]);
        records[3].effective = FuzzyDate::year(0);
        let found = violations(&records);
        assert!(
            matches!(
                found.as_slice(),
                [
                    (
                        3,
                        Refusal::BeforeReviews {
                            what: "effective date",
                            ..
                        }
                    ),
                    (4, Refusal::BeforeReviews { what: "target", .. })
                ]
            ),
            "{found:?}"
        );
        records[3].effective = FuzzyDate::month(2010, 12);
        assert!(matches!(
            violations(&records)[0],
            (3, Refusal::BeforeReviews { .. })
        ));
        records[3].effective = FuzzyDate::year(2011);
        records.truncate(4);
        assert_eq!(violations(&records), vec![]);
    }

    #[test]
    fn a_history_must_begin_with_its_genesis() {
        let records = history(vec![]);
        let found = violations(&records[1..]);
        assert!(matches!(found[0], (0, Refusal::NoGenesis)), "{found:?}");
    }

    /// Regression (issue: the store under faults): one far-future clock
    /// held every later entry at its time, and the future-date guard was
    /// measured from that held time, so `--effective 9000-01-01` passed.
    #[test]
    fn a_head_held_in_the_future_does_not_let_a_future_date_pass() {
        let mut records = history(vec![Event::MilestoneNoted {
            action: A1,
            note: "met".into(),
        }]);
        let far = records[3].recorded_at + 7_000 * 365 * 86_400 * 1_000_000;
        records[3].clock = ClockNote::HeldAtHead {
            clock_read: records[3].recorded_at,
        };
        records[3].recorded_at = far;
        records[3].effective = FuzzyDate::year(5000);
        let found = violations(&records);
        assert!(
            matches!(found.as_slice(), [(3, Refusal::EffectiveInFuture { .. })]),
            "{found:?}"
        );
    }

    /// A decision inside the claim's period may have followed it: admitted.
    /// One whose period ends before the claim's begins is refused.
    #[test]
    fn only_a_decision_certainly_before_its_claim_is_refused() {
        let decided_on = |day: u32, month: u32| {
            let mut records = history(vec![
                claimed(1),
                Event::ClaimAccepted {
                    action: A1,
                    claim: ClaimNo::of(1),
                    finding: "seen".into(),
                },
            ]);
            records[3].effective = FuzzyDate::month(2019, 12);
            records[4].effective = FuzzyDate::day(2019, month, day);
            violations(&records)
        };
        assert_eq!(decided_on(15, 12), vec![]);
        assert_eq!(decided_on(1, 12), vec![]);
        assert!(matches!(
            decided_on(30, 11).as_slice(),
            [(4, Refusal::DecisionBeforeClaim { .. })]
        ));
        let december = FuzzyDate::month(2019, 12).unwrap();
        assert!(decision_order_unknown(
            december,
            FuzzyDate::day(2019, 12, 15).unwrap()
        ));
        assert!(!decision_order_unknown(
            december,
            FuzzyDate::day(2020, 1, 2).unwrap()
        ));
    }

    /// A reason is kept for good: one that repeats the erased words, or
    /// a name or number from them, would keep what the redaction removes.
    #[test]
    fn a_redaction_reason_may_not_repeat_a_name_a_number_or_the_text() {
        let note = "Met Jane Doe at the refuge. Mary rang on 07700 900123.";
        let refused = |reason: &str| match redaction_reason(reason, &[note]) {
            Err(Refusal::RedactReasonRepeats { word }) => Some(word),
            Ok(()) => None,
            Err(other) => panic!("{other:?}"),
        };
        assert_eq!(refused("a relative's name and phone number"), None);
        assert_eq!(refused("names jane"), Some("Jane".into()));
        assert_eq!(refused("the Doe family"), Some("Doe".into()));
        assert_eq!(refused("number 07700 given"), Some("07700".into()));
        assert_eq!(
            refused("MET JANE DOE AT THE REFUGE! Mary rang on 07700 900123"),
            Some("Met Jane Doe at the refuge Mary rang on 07700 900123".into())
        );
        // A sentence's first word is an ordinary word more often than a
        // name: "Met" and "Mary" (after a full stop) alone do not refuse.
        assert_eq!(refused("met at the refuge"), None);
        assert_eq!(refused("a call from mary"), None);
        // The whole text, in other case and spacing, is refused.
        assert_eq!(
            redaction_reason("training delivered", &["Training  delivered"]),
            Err(Refusal::RedactReasonRepeats {
                word: "Training delivered".into()
            })
        );
        assert_eq!(
            redaction_reason("delivered late", &["Training delivered"]),
            Ok(())
        );
    }
}
