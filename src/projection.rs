//! The plan as it stands: state folded from events.
//!
//! [`State::apply`] cannot fail. Commands are validated before their events
//! are written, so every stored event fits the state it is folded into; an
//! event that refers to something unknown (possible only in a ledger that
//! was written by something else) is skipped rather than trusted. This
//! module never touches sled: it is handed decoded records.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ask::StampedOf;
use crate::chain::Subject;
use crate::date::{FuzzyDate, Target};
use crate::event::{Amendment, Event, Hash, LinkBasis, Micros, PublicKey, Record, Role, SourceRef};
use crate::id::{self, ActionId, ClaimNo, PlanId, RecId};
use crate::sealed::Commit;
use crate::status::{self, Status, Via};
use crate::time::day_of;

/// Who changed something, when the ledger learned it, and when it happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub seq: u64,
    pub recorded_at: Micros,
    pub actor: String,
    /// The effective date as stated, or the recorded day when not stated.
    pub effective: FuzzyDate,
    /// True when the actor stated the effective date.
    pub effective_stated: bool,
}

impl Change {
    /// Who, when and with what effective date `record` says it happened.
    pub fn of(seq: u64, record: &Record) -> Change {
        Change {
            seq,
            recorded_at: record.recorded_at,
            actor: record.actor.clone(),
            effective: record
                .effective
                .unwrap_or_else(|| FuzzyDate::from_naive(day_of(record.recorded_at))),
            effective_stated: record.effective.is_some(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerInfo {
    pub id: [u8; 16],
    pub format_version: u32,
    pub created: Change,
    /// For a ledger written by `planledger upgrade`: the ledger it carries.
    pub upgraded_from: Option<UpgradedFrom>,
}

/// The earlier-format ledger an upgraded ledger was made from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpgradedFrom {
    pub ledger_id: [u8; 16],
    pub format_version: u32,
    pub head_hash: Hash,
    pub events: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub id: PlanId,
    pub partnership: String,
    pub review: String,
    pub chair: Option<String>,
    pub published: Option<FuzzyDate>,
    pub recommendations: BTreeMap<RecId, Recommendation>,
    pub added: Change,
}

impl Plan {
    /// "West Oxfordshire Community Safety Partnership: Alice".
    pub fn title(&self) -> String {
        format!("{}: {}", self.partnership, self.review)
    }

    /// The number the next recommendation added without one gets.
    pub fn next_rec_id(&self) -> RecId {
        id::next_after(self.recommendations.keys().copied())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    pub number: RecId,
    pub text: String,
    pub scope: Option<String>,
    pub added: Change,
}

/// A completion claim, as far as the rule book needs it: its number, the
/// event that made it and the decision on it. Its outcome, evidence, who
/// and when are the event's, read back from the ledger when a view shows
/// them ([`crate::recall`]), so the state of a national ledger does not
/// carry every word ever written into it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub number: ClaimNo,
    /// The `CompletionClaimed` event.
    pub seq: u64,
    /// When it says the work was done (a decision cannot be before it).
    pub effective: FuzzyDate,
    pub assurance: Option<Decision>,
}

/// An assurance decision on a claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub accepted: bool,
    /// The `ClaimAccepted` or `ClaimChallenged` event.
    pub seq: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub id: ActionId,
    pub plan: PlanId,
    pub agency: String,
    pub lead: Option<String>,
    pub text: String,
    pub scope: Option<String>,
    pub recommendations: Vec<RecId>,
    pub target: Option<Target>,
    pub status: Status,
    /// The reason given with the latest status change, withdrawal or
    /// assurance decision.
    pub status_reason: Option<String>,
    /// The `MilestoneNoted` events, in order: their notes, who and when
    /// are read back from the ledger ([`crate::recall`]).
    pub milestones: Vec<u64>,
    pub claims: Vec<Claim>,
    pub added: Change,
    pub last_changed: Change,
    pub source: Option<SourceRef>,
    /// How `recommendations` came to be what they are, when an
    /// `ActionLinked` said so; `None`: as the action cited them when added.
    pub link: Option<Link>,
}

/// How an action's recommendations were last decided (`ActionLinked`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub basis: LinkBasis,
    /// A person's reason (`Stated`), or the words of the agency's own
    /// recommendation (`Own`).
    pub note: Option<String>,
    pub at: Change,
}

impl Action {
    /// Overdue is derived, never stored: the target names a date whose
    /// whole period ended before `day`, and work is still owed.
    pub fn is_overdue(&self, day: NaiveDate) -> bool {
        self.status.is_outstanding() && self.target.as_ref().is_some_and(|t| t.has_passed(day))
    }

    /// The number the next completion claim gets.
    pub fn next_claim_no(&self) -> ClaimNo {
        id::next_after(self.claims.iter().map(|c| c.number))
    }

    /// The claim waiting for an assurance decision, if any.
    pub fn pending_claim(&self) -> Option<&Claim> {
        self.claims
            .last()
            .filter(|c| c.assurance.is_none() && self.status == Status::Claimed)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub seq: u64,
    pub name: String,
    pub size: u64,
    pub blake3: Hash,
    pub format: String,
    pub at: Change,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub seq: u64,
    pub action: Option<ActionId>,
    pub message: String,
}

/// Everything folded from the events applied so far.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub ledger: Option<LedgerInfo>,
    pub plans: BTreeMap<PlanId, Plan>,
    pub actions: BTreeMap<ActionId, Action>,
    pub sources: BTreeMap<u64, Source>,
    pub warnings: Vec<Warning>,
    /// The last event applied: its sequence number and hash.
    pub head: Option<(u64, Hash)>,
    /// The recorded time of the last event applied.
    pub last_recorded: Option<Micros>,
    /// The transaction of the last event applied.
    pub last_tx: Option<u64>,
    /// How many free texts each event has, and which were redacted: what
    /// the rule book checks a redaction against.
    pub texts: TextIndex,
    /// The ledger's actors by name, revoked ones too. Once there is one,
    /// every transaction is a signed request.
    pub actors: BTreeMap<String, Actor>,
    /// The signed transaction being folded, or the last one folded.
    pub signing: Option<Signing>,
    /// The digest of every request carried out, with the sequence number
    /// of its `RequestSigned`: a request is carried out once.
    pub requests: BTreeMap<Hash, u64>,
}

/// A person who signs requests, and what they may do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub name: String,
    pub roles: Vec<Role>,
    /// The key their requests are signed with now.
    pub key: PublicKey,
    /// Keys they signed with before, oldest first, with the rotation that
    /// replaced each.
    pub former_keys: Vec<(PublicKey, Change)>,
    pub added: Change,
    pub revoked: Option<Change>,
}

impl Actor {
    pub fn has(&self, role: &Role) -> bool {
        self.roles.contains(role)
    }
}

/// A signed transaction: who signed it, and how many of its request's
/// commands have been folded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signing {
    pub tx: u64,
    /// The sequence number of its `RequestSigned`.
    pub seq: u64,
    pub signer: String,
    pub key: PublicKey,
    /// How many commands the request asks for (none if its bytes do not
    /// decode, which the rule book refuses).
    pub asked: usize,
    /// The commands not yet carried out, in order: emptied as the events
    /// follow, so a large request is not held once it is done.
    pub pending: std::collections::VecDeque<StampedOf<Commit>>,
    /// How many events have followed the `RequestSigned`.
    pub done: usize,
}

impl Signing {
    /// The command the next event of the transaction must carry out.
    pub fn next(&self) -> Option<&StampedOf<Commit>> {
        self.pending.front()
    }

    /// True once every command has its event.
    pub fn is_complete(&self) -> bool {
        self.done >= self.asked
    }
}

/// The free-text slots of every event folded, and the redactions of them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextIndex {
    /// The number of free texts of the event at each sequence number (0
    /// for an event not folded, in a valid-time view).
    counts: Vec<u16>,
    /// For each event with redacted texts: each redacted slot and the
    /// sequence number of the redaction.
    erased: BTreeMap<u64, Vec<(u32, u64)>>,
}

impl TextIndex {
    /// How many free texts the event at `seq` has, if it was folded.
    pub fn count(&self, seq: u64) -> Option<u32> {
        let at = usize::try_from(seq).ok()?;
        self.counts.get(at).map(|&n| u32::from(n))
    }

    /// The redaction that erased text `slot` of event `seq`, if one did.
    pub fn erased_by(&self, seq: u64, slot: u32) -> Option<u64> {
        self.erased
            .get(&seq)?
            .iter()
            .find(|(s, _)| *s == slot)
            .map(|(_, by)| *by)
    }

    /// How many texts have been redacted.
    pub fn redacted(&self) -> usize {
        self.erased.values().map(Vec::len).sum()
    }

    fn note(&mut self, seq: u64, record: &Record) {
        let Ok(at) = usize::try_from(seq) else {
            return;
        };
        if self.counts.len() > at {
            return;
        }
        self.counts.resize(at, 0);
        let count = record.event.texts().len();
        self.counts.push(u16::try_from(count).unwrap_or(u16::MAX));
        if let Event::Redacted { event, slots, .. } = &record.event {
            let erased = self.erased.entry(*event).or_default();
            erased.extend(slots.iter().map(|&slot| (slot, seq)));
        }
    }
}

impl State {
    /// True once the ledger has actors: every transaction must then be a
    /// signed request.
    pub fn is_signed(&self) -> bool {
        !self.actors.is_empty()
    }

    /// The actor whose key, now or before, is `key`, and whether it is
    /// their current key.
    pub fn actor_by_key(&self, key: &PublicKey) -> Option<(&Actor, bool)> {
        self.actors.values().find_map(|actor| {
            if actor.key == *key {
                Some((actor, true))
            } else if actor.former_keys.iter().any(|(k, _)| k == key) {
                Some((actor, false))
            } else {
                None
            }
        })
    }

    /// The signed transaction `record` belongs to, if it is one.
    pub fn signing_of(&self, tx: u64) -> Option<&Signing> {
        self.signing.as_ref().filter(|s| s.tx == tx)
    }

    fn fold_signing(&mut self, seq: u64, record: &Record) {
        if let Event::RequestSigned { key, request, .. } = &record.event {
            let decoded = crate::request::decode(request).ok();
            self.requests.insert(crate::request::digest(request), seq);
            let commands = decoded.as_ref().map_or(0, |r| r.commands.len());
            self.signing = Some(Signing {
                tx: record.tx,
                seq,
                signer: decoded
                    .as_ref()
                    .map_or_else(|| record.actor.clone(), |r| r.signer.clone()),
                key: *key,
                asked: commands,
                pending: decoded.map(|r| r.commands.into()).unwrap_or_default(),
                done: 0,
            });
        } else if let Some(signing) = self.signing.as_mut().filter(|s| s.tx == record.tx) {
            signing.done += 1;
            signing.pending.pop_front();
        }
    }

    /// Folds records in order from the start.
    pub fn fold<'a>(events: impl IntoIterator<Item = (u64, Hash, &'a Record)>) -> State {
        let mut state = State::default();
        for (seq, hash, record) in events {
            state.apply(seq, hash, record);
        }
        state
    }

    /// Folds one more event into the state. Never fails.
    pub fn apply(&mut self, seq: u64, hash: Hash, record: &Record) {
        self.texts.note(seq, record);
        self.fold_signing(seq, record);
        self.head = Some((seq, hash));
        self.last_recorded = Some(record.recorded_at);
        self.last_tx = Some(record.tx);
        let at = Change::of(seq, record);
        match &record.event {
            Event::LedgerCreated {
                ledger_id,
                format_version,
            } => {
                self.ledger = Some(LedgerInfo {
                    id: *ledger_id,
                    format_version: *format_version,
                    created: at,
                    upgraded_from: None,
                });
            }
            Event::LedgerUpgraded {
                ledger_id,
                format_version,
                from_ledger_id,
                from_format_version,
                from_head_hash,
                from_events,
            } => {
                self.ledger = Some(LedgerInfo {
                    id: *ledger_id,
                    format_version: *format_version,
                    created: at,
                    upgraded_from: Some(UpgradedFrom {
                        ledger_id: *from_ledger_id,
                        format_version: *from_format_version,
                        head_hash: *from_head_hash,
                        events: *from_events,
                    }),
                });
            }
            // Erasing words changes no state: the texts read from the store
            // already say who erased them. A request's signing is folded
            // above, for every event of its transaction.
            Event::Redacted { .. } | Event::RequestSigned { .. } => {}
            Event::ActorAdded { name, roles, key } => {
                self.actors.entry(name.clone()).or_insert(Actor {
                    name: name.clone(),
                    roles: roles.clone(),
                    key: *key,
                    former_keys: Vec::new(),
                    added: at,
                    revoked: None,
                });
            }
            Event::KeyRotated { name, key } => {
                if let Some(actor) = self.actors.get_mut(name) {
                    let old = std::mem::replace(&mut actor.key, *key);
                    actor.former_keys.push((old, at));
                }
            }
            Event::ActorRevoked { name, .. } => {
                if let Some(actor) = self.actors.get_mut(name) {
                    actor.revoked.get_or_insert(at);
                }
            }
            Event::PlanAdded {
                plan,
                partnership,
                review,
                chair,
                published,
            } => {
                self.plans.insert(
                    *plan,
                    Plan {
                        id: *plan,
                        partnership: partnership.clone(),
                        review: review.clone(),
                        chair: chair.clone(),
                        published: *published,
                        recommendations: BTreeMap::new(),
                        added: at,
                    },
                );
            }
            Event::RecommendationAdded {
                plan,
                number,
                text,
                scope,
            } => {
                if let Some(plan) = self.plans.get_mut(plan) {
                    plan.recommendations.insert(
                        *number,
                        Recommendation {
                            number: *number,
                            text: text.clone(),
                            scope: scope.clone(),
                            added: at,
                        },
                    );
                }
            }
            Event::ActionAdded {
                action,
                plan,
                agency,
                lead,
                text,
                scope,
                recommendations,
                target,
            } => {
                self.actions.insert(
                    *action,
                    Action {
                        id: *action,
                        plan: *plan,
                        agency: agency.clone(),
                        lead: lead.clone(),
                        text: text.clone(),
                        scope: scope.clone(),
                        recommendations: recommendations.clone(),
                        target: target.clone(),
                        status: Status::Open,
                        status_reason: None,
                        milestones: Vec::new(),
                        claims: Vec::new(),
                        added: at.clone(),
                        last_changed: at,
                        source: record.source.clone(),
                        link: None,
                    },
                );
            }
            Event::SourceImported {
                name,
                size,
                blake3,
                format,
            } => {
                self.sources.insert(
                    seq,
                    Source {
                        seq,
                        name: name.clone(),
                        size: *size,
                        blake3: *blake3,
                        format: format.clone(),
                        at,
                    },
                );
            }
            Event::ImportWarning { action, message } => self.warnings.push(Warning {
                seq,
                action: *action,
                message: message.clone(),
            }),
            Event::StatusChanged { action, .. }
            | Event::MilestoneNoted { action, .. }
            | Event::CompletionClaimed { action, .. }
            | Event::ClaimAccepted { action, .. }
            | Event::ClaimChallenged { action, .. }
            | Event::ActionWithdrawn { action, .. }
            | Event::TargetChanged { action, .. }
            | Event::ActionLinked { action, .. }
            | Event::ActionAmended { action, .. } => {
                if let Some(action) = self.actions.get_mut(action) {
                    apply_to_action(action, &record.event, at);
                }
            }
        }
    }

    /// Folds the facts that were true in the world by the end of `valid_at`,
    /// by what the given events say.
    ///
    /// Events that define the plan (the plan, its recommendations and
    /// actions, which recommendations an action answers, import
    /// provenance) have no place on the valid-time axis and are always
    /// folded. Every other event (an amendment too: a lead changes on the
    /// day someone leaves) counts from the end of its
    /// effective period (an unstated effective date is the recorded day), so
    /// a completion "in December 2019" is not yet true on 15 December 2019.
    /// The facts are folded in the order the ledger learned them, so the
    /// view at any date from today on is the ledger as it stands; a fact
    /// whose precondition is not yet true at `valid_at` (an acceptance
    /// dated before its claim, a move from a status the action did not yet
    /// have) is left out rather than producing a state that never existed.
    /// The head and recorded time of the result are those of the last event
    /// given, whether or not it was folded.
    pub fn fold_valid_at<R: std::borrow::Borrow<Record>>(
        events: impl IntoIterator<Item = (u64, Hash, R)>,
        valid_at: NaiveDate,
    ) -> State {
        let mut last = None;
        let mut state = State::default();
        for (seq, hash, record) in events {
            let record = record.borrow();
            last = Some((seq, hash, record.recorded_at, record.tx));
            if valid_from(record).is_none_or(|day| day <= valid_at) {
                state.apply(seq, hash, record);
            }
        }
        if let Some((seq, hash, recorded_at, tx)) = last {
            state.head = Some((seq, hash));
            state.last_recorded = Some(recorded_at);
            state.last_tx = Some(tx);
        }
        state
    }

    /// Which plan and which action `event` is about, by this state (the
    /// state just before the event). A redaction is about what the event it
    /// redacts is about, which `earlier` gives for a sequence number.
    pub fn subject_of(
        &self,
        event: &Event,
        earlier: impl FnOnce(u64) -> Option<Subject>,
    ) -> Subject {
        let about_action = |action: ActionId| Subject {
            plan: self.actions.get(&action).map(|a| a.plan),
            action: Some(action),
        };
        match event {
            Event::LedgerCreated { .. }
            | Event::LedgerUpgraded { .. }
            | Event::SourceImported { .. }
            | Event::ActorAdded { .. }
            | Event::KeyRotated { .. }
            | Event::ActorRevoked { .. }
            | Event::RequestSigned { .. } => Subject::LEDGER,
            Event::PlanAdded { plan, .. } | Event::RecommendationAdded { plan, .. } => Subject {
                plan: Some(*plan),
                action: None,
            },
            Event::ActionAdded { action, plan, .. } => Subject {
                plan: Some(*plan),
                action: Some(*action),
            },
            Event::StatusChanged { action, .. }
            | Event::MilestoneNoted { action, .. }
            | Event::CompletionClaimed { action, .. }
            | Event::ClaimAccepted { action, .. }
            | Event::ClaimChallenged { action, .. }
            | Event::ActionWithdrawn { action, .. }
            | Event::TargetChanged { action, .. }
            | Event::ActionLinked { action, .. }
            | Event::ActionAmended { action, .. } => about_action(*action),
            Event::ImportWarning { action, .. } => action.map_or(Subject::LEDGER, about_action),
            Event::Redacted { event, .. } => earlier(*event).unwrap_or(Subject::LEDGER),
        }
    }

    /// The id the next plan added gets.
    pub fn next_plan_id(&self) -> PlanId {
        id::next_after(self.plans.keys().copied())
    }

    /// The id the next action added gets.
    pub fn next_action_id(&self) -> ActionId {
        id::next_after(self.actions.keys().copied())
    }

    /// A copy of everything but the plans and actions, which are left
    /// empty: for a view of some of them ([`crate::query::select`]).
    pub fn without_plans(&self) -> State {
        let State {
            ledger,
            plans: _,
            actions: _,
            sources,
            warnings,
            head,
            last_recorded,
            last_tx,
            texts,
            actors,
            signing,
            requests,
        } = self;
        State {
            ledger: ledger.clone(),
            plans: BTreeMap::new(),
            actions: BTreeMap::new(),
            sources: sources.clone(),
            warnings: warnings.clone(),
            head: *head,
            last_recorded: *last_recorded,
            last_tx: *last_tx,
            texts: texts.clone(),
            actors: actors.clone(),
            signing: signing.clone(),
            requests: requests.clone(),
        }
    }

    /// Each plan's actions, in id order: one pass over the actions, for
    /// views that show plan after plan (a filter for each plan reads every
    /// action once for every plan: 17M steps for 714 plans).
    pub fn actions_by_plan(&self) -> BTreeMap<PlanId, Vec<&Action>> {
        let mut by_plan: BTreeMap<PlanId, Vec<&Action>> = BTreeMap::new();
        for action in self.actions.values() {
            by_plan.entry(action.plan).or_default().push(action);
        }
        by_plan
    }

    /// The only plan, if there is exactly one.
    pub fn sole_plan(&self) -> Option<PlanId> {
        let mut ids = self.plans.keys();
        match (ids.next(), ids.next()) {
            (Some(id), None) => Some(*id),
            _ => None,
        }
    }
}

/// The day from which an event's fact is true in the world: the end of its
/// effective period, or the recorded day when none was stated. `None` for
/// events that define the plan rather than report on it.
pub fn valid_from(record: &Record) -> Option<NaiveDate> {
    match record.event {
        Event::LedgerCreated { .. }
        | Event::LedgerUpgraded { .. }
        | Event::Redacted { .. }
        | Event::PlanAdded { .. }
        | Event::RecommendationAdded { .. }
        | Event::ActionAdded { .. }
        | Event::SourceImported { .. }
        | Event::ImportWarning { .. }
        | Event::ActionLinked { .. }
        | Event::ActorAdded { .. }
        | Event::KeyRotated { .. }
        | Event::ActorRevoked { .. }
        | Event::RequestSigned { .. } => None,
        Event::StatusChanged { .. }
        | Event::MilestoneNoted { .. }
        | Event::CompletionClaimed { .. }
        | Event::ClaimAccepted { .. }
        | Event::ClaimChallenged { .. }
        | Event::ActionWithdrawn { .. }
        | Event::TargetChanged { .. }
        | Event::ActionAmended { .. } => Some(match record.effective {
            Some(date) => date.last_day(),
            None => day_of(record.recorded_at),
        }),
    }
}

/// Whether `event` can follow the state `action` is in. Always true along a
/// validated history; false only when a subset of it is folded (the
/// valid-time view), where such an event is skipped.
fn fits(action: &Action, event: &Event) -> bool {
    match event {
        Event::StatusChanged { from, .. } | Event::ActionWithdrawn { from, .. } => {
            action.status == *from
        }
        Event::CompletionClaimed { .. } => {
            status::is_legal(action.status, Status::Claimed, Via::Claim)
        }
        Event::ClaimAccepted { claim, .. } | Event::ClaimChallenged { claim, .. } => action
            .pending_claim()
            .is_some_and(|pending| pending.number == *claim),
        Event::MilestoneNoted { .. }
        | Event::TargetChanged { .. }
        | Event::ActionLinked { .. }
        | Event::ActionAmended { .. } => true,
        // Not about an action: never handed here.
        Event::LedgerCreated { .. }
        | Event::LedgerUpgraded { .. }
        | Event::Redacted { .. }
        | Event::PlanAdded { .. }
        | Event::RecommendationAdded { .. }
        | Event::ActionAdded { .. }
        | Event::SourceImported { .. }
        | Event::ImportWarning { .. }
        | Event::ActorAdded { .. }
        | Event::KeyRotated { .. }
        | Event::ActorRevoked { .. }
        | Event::RequestSigned { .. } => false,
    }
}

fn apply_to_action(action: &mut Action, event: &Event, at: Change) {
    if !fits(action, event) {
        return;
    }
    match event {
        Event::StatusChanged { to, reason, .. } => {
            action.status = *to;
            action.status_reason = Some(reason.clone());
        }
        Event::MilestoneNoted { .. } => action.milestones.push(at.seq),
        Event::CompletionClaimed { claim, .. } => {
            action.status = Status::Claimed;
            action.status_reason = None;
            action.claims.push(Claim {
                number: *claim,
                seq: at.seq,
                effective: at.effective,
                assurance: None,
            });
        }
        Event::ClaimAccepted { claim, finding, .. }
        | Event::ClaimChallenged { claim, finding, .. } => {
            let accepted = matches!(event, Event::ClaimAccepted { .. });
            if let Some(claim) = action.claims.iter_mut().find(|c| c.number == *claim) {
                claim.assurance = Some(Decision {
                    accepted,
                    seq: at.seq,
                });
            }
            action.status = if accepted {
                Status::Assured
            } else {
                Status::Challenged
            };
            action.status_reason = Some(finding.clone());
        }
        Event::ActionWithdrawn { reason, .. } => {
            action.status = Status::Withdrawn;
            action.status_reason = Some(reason.clone());
        }
        Event::TargetChanged { to, .. } => action.target = to.clone(),
        Event::ActionLinked {
            recommendations,
            basis,
            note,
            ..
        } => {
            action.recommendations = recommendations.clone();
            action.link = Some(Link {
                basis: *basis,
                note: note.clone(),
                at: at.clone(),
            });
        }
        Event::ActionAmended { changes, .. } => {
            for change in changes {
                match change {
                    Amendment::Text(text) => action.text = text.clone(),
                    Amendment::Lead(lead) => action.lead = lead.clone(),
                    Amendment::Agency(agency) => action.agency = agency.clone(),
                    Amendment::Scope(scope) => action.scope = scope.clone(),
                }
            }
        }
        // Not about an action: `fits` refused them above.
        Event::LedgerCreated { .. }
        | Event::LedgerUpgraded { .. }
        | Event::Redacted { .. }
        | Event::PlanAdded { .. }
        | Event::RecommendationAdded { .. }
        | Event::ActionAdded { .. }
        | Event::SourceImported { .. }
        | Event::ImportWarning { .. }
        | Event::ActorAdded { .. }
        | Event::KeyRotated { .. }
        | Event::ActorRevoked { .. }
        | Event::RequestSigned { .. } => return,
    }
    action.last_changed = at;
}
