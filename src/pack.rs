//! Evidence packs (`ledger/FORMAT.md` §7): one plan's or one action's
//! history (or the whole ledger's), handed to someone outside the
//! partnership, who can check it without the ledger and without trusting
//! whoever made it.
//!
//! A pack is JSON Lines in one canonical form ([`canonical`]): a header,
//! one line per event from the genesis to the head, and the plan as the
//! disclosed events fold it. An event line is *disclosed* (its sealed
//! record bytes and its texts) or *withheld* (its subject and its record's
//! digest only, which is all the chain needs to carry the hashes across
//! it). Which events are disclosed is one rule, [`required`], which the
//! maker and the checker share: the maker applies it knowing every record,
//! the checker knowing the disclosed ones.
//!
//! [`make`] writes a pack from a chain of stored events (and checks what it
//! wrote with [`verify`]); [`verify`] checks one from its bytes alone and
//! names the first thing that fails ([`PackFault`]). Every byte of a pack is
//! either proven by the chain or recomputed from what the chain proves, so
//! no byte can change without failing it.
//!
//! The rule book (`rules`) is replayed only over a whole-ledger pack: it
//! needs the state every event followed, and a plan or action pack withholds
//! the other plans' events, which that state depends on (the next action
//! id is counted across plans, transactions are numbered across the
//! ledger). For those packs the checker proves that the disclosed history
//! is complete and unaltered, and that each disclosed event's subject is
//! the one its history gives; that the history obeyed the rules is what
//! `planledger verify` proves of the ledger it was made from, which `make`'s
//! caller checks first.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};

use chrono::NaiveDate;
use serde_json::{Map, Value, json};

use crate::chain::CHAIN_FORMAT;
use crate::chain::{self, Subject, Subjects};
use crate::event::{Event, Hash, Micros};
use crate::export::events::{subject_json, text_json};
use crate::id::{ActionId, Id, PlanId};
use crate::projection::State;
use crate::recall::{Kept, Recall};
use crate::rules::Refusal;
use crate::sealed::{StoredText, TextFault};
use crate::store::StoredEvent;
use crate::time::{day_of, format_micros};
use crate::wire;

use check::Stop;

/// The value of the header's `pack` field.
pub const PACK_NAME: &str = "planledger evidence pack";

/// The version of the pack layout described in `ledger/FORMAT.md` §7, as
/// this planledger writes it: 2 since the projection (`show --json`'s
/// shape) gained each action's `link` and the coverage's lists of links.
pub const PACK_VERSION: u64 = 2;

/// The version of a pack that ends with a signed checkpoint of its head
/// (`ledger/FORMAT.md` §7.6): version 2's lines, then a checkpoint line.
/// A pack without one is still written as version 2.
pub const CHECKPOINTED_PACK_VERSION: u64 = 3;

/// The oldest pack version this planledger reads: a pack of version 1 is
/// checked in the shape it was made in (without those fields).
pub const OLDEST_PACK_VERSION: u64 = 1;

/// The keys of the projection that pack version 2 added: each action's,
/// and each plan's coverage's.
const ADDED_IN_2: (&[&str], &[&str]) = (
    &["link"],
    &[
        "actions_answering_own_recommendation",
        "actions_stated_none",
        "actions_unlinked",
        "unconfirmed_links",
    ],
);

/// Which history a pack discloses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every event.
    Ledger,
    /// Every event filed under the plan.
    Plan(PlanId),
    /// Every event filed under the action, and the plan's own events (the
    /// plan and its recommendations).
    Action { plan: PlanId, action: ActionId },
}

impl Scope {
    /// Whether an event filed under `subject` is in scope.
    pub fn covers(self, subject: Subject) -> bool {
        match self {
            Scope::Ledger => true,
            Scope::Plan(plan) => subject.plan == Some(plan),
            Scope::Action { plan, action } => {
                subject.plan == Some(plan) && subject.action.is_none_or(|a| a == action)
            }
        }
    }

    /// `ledger`, `plan` or `action`.
    pub fn kind(self) -> &'static str {
        match self {
            Scope::Ledger => "ledger",
            Scope::Plan(_) => "plan",
            Scope::Action { .. } => "action",
        }
    }

    pub fn plan(self) -> Option<PlanId> {
        match self {
            Scope::Ledger => None,
            Scope::Plan(plan) | Scope::Action { plan, .. } => Some(plan),
        }
    }

    pub fn action(self) -> Option<ActionId> {
        match self {
            Scope::Ledger | Scope::Plan(_) => None,
            Scope::Action { action, .. } => Some(action),
        }
    }

    fn to_json(self) -> Value {
        match self {
            Scope::Ledger => json!({"kind": "ledger"}),
            Scope::Plan(plan) => json!({"kind": "plan", "plan": plan.to_string()}),
            Scope::Action { plan, action } => {
                json!({"kind": "action", "plan": plan.to_string(), "action": action.to_string()})
            }
        }
    }

    /// The projection's state: only the scoped plan, and for an action
    /// pack only the action. (The fold of a selective pack's disclosed
    /// events holds nothing else; this keeps that a promise.)
    fn restrict(self, mut state: State) -> State {
        if let Some(plan) = self.plan() {
            state.plans.retain(|id, _| *id == plan);
            state.actions.retain(|_, a| a.plan == plan);
        }
        if let Some(action) = self.action() {
            state.actions.retain(|id, _| *id == action);
        }
        state
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Ledger => f.write_str("the whole ledger"),
            Scope::Plan(plan) => write!(f, "plan {plan}"),
            Scope::Action { plan, action } => write!(f, "action {action} of plan {plan}"),
        }
    }
}

/// What a pack is asked for.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub scope: Scope,
    /// The pack is as of the last event in scope recorded at or before
    /// this instant; `None` is as of the last event in scope.
    pub as_of: Option<Micros>,
    /// Who signs a checkpoint of the pack's head, if anyone: the pack is
    /// then of version [`CHECKPOINTED_PACK_VERSION`].
    pub checkpoint: Option<Signer<'a>>,
}

/// The maker of a pack who vouches for its head with a checkpoint.
#[derive(Clone, Copy)]
pub struct Signer<'a> {
    pub name: &'a str,
    pub key: &'a ed25519_dalek::SigningKey,
}

impl fmt::Debug for Signer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("name", &self.name)
            .field("key", &crate::keys::fingerprint(&self.key.verifying_key()))
            .finish()
    }
}

/// Why a pack could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MakeError {
    #[error("the ledger holds no events")]
    Empty,
    #[error("the pack's projection could not be made: {0}")]
    Projection(String),
    #[error("the pack's checkpoint could not be signed: {0}")]
    Checkpoint(crate::checkpoint::CheckpointError),
    #[error(
        "the events given are not a chain from the genesis: event {found} is where event {expected} belongs"
    )]
    NotAChain { expected: u64, found: u64 },
    #[error("the first event is {kind}, not the genesis of a ledger")]
    NoGenesis { kind: crate::event::EventKind },
    #[error("the ledger did not exist yet at {}", format_micros(*.at))]
    BeforeLedger { at: Micros },
    #[error("{action} is an action of {actual}, not of {plan}")]
    ActionElsewhere {
        action: ActionId,
        plan: PlanId,
        actual: PlanId,
    },
    #[error("the ledger's events could not be read: {0}")]
    Read(String),
    #[error("the pack could not be written: {0}")]
    Write(io::Error),
    /// A bug, never a user's mistake: what `make` wrote fails `verify`.
    #[error("the pack made does not verify ({0}); nothing was written")]
    DoesNotVerify(PackFault),
}

/// Why an event must be disclosed: the rule of `ledger/FORMAT.md` §7 that
/// requires it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Required {
    /// Rule 1: the genesis.
    Genesis,
    /// Rule 2: at or before the as-of event and filed under the scope.
    InScope(Subject),
    /// Rule 3: the source the event at this sequence number cites.
    SourceOf(u64),
    /// Rule 4: a redaction of texts of the event at this sequence number.
    Redacts(u64),
}

impl fmt::Display for Required {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Required::Genesis => f.write_str("it is the genesis, which every pack discloses"),
            Required::InScope(subject) => {
                write!(
                    f,
                    "its subject {subject} is in scope, at or before the as-of event"
                )
            }
            Required::SourceOf(seq) => write!(f, "event {seq} names it as its source"),
            Required::Redacts(seq) => write!(f, "it erased texts of event {seq}"),
        }
    }
}

/// The disclosure rule (`ledger/FORMAT.md` §7): for each event, why it must
/// be disclosed, or `None` when it must be withheld.
///
/// `subjects` holds every event's subject, in order; `source_of(seq)` the
/// source named by the record of the event at `seq`, where the caller can
/// read that record; `redactions` maps an event to the redactions of it
/// the caller can read. The maker reads every record, the checker the
/// disclosed ones: a withheld event the rule requires is then a fault the
/// checker finds by its subject (rules 1 and 2), by a disclosed record
/// (rule 3) or by a disclosed text marked erased by it (rule 4).
pub fn required(
    subjects: &Subjects,
    scope: Scope,
    as_of: u64,
    source_of: impl Fn(u64) -> Option<u64>,
    redactions: &BTreeMap<u64, Vec<u64>>,
) -> Vec<Option<Required>> {
    let mut why: Vec<Option<Required>> =
        vec![None; usize::try_from(subjects.len()).unwrap_or(usize::MAX)];
    let mut queue = Vec::new();
    for (seq, subject) in (0u64..).zip(subjects.iter()) {
        let reason = if seq == 0 {
            Some(Required::Genesis)
        } else if seq <= as_of && scope.covers(subject) {
            Some(Required::InScope(subject))
        } else {
            None
        };
        if let Some(reason) = reason {
            why[seq as usize] = Some(reason);
            queue.push(seq);
        }
    }
    while let Some(seq) = queue.pop() {
        let mut mark = |target: u64, reason: Required| {
            let slot = usize::try_from(target).ok().and_then(|i| why.get_mut(i));
            if let Some(slot @ None) = slot {
                *slot = Some(reason);
                queue.push(target);
            }
        };
        if let Some(source) = source_of(seq) {
            mark(source, Required::SourceOf(seq));
        }
        for &redaction in redactions.get(&seq).into_iter().flatten() {
            mark(redaction, Required::Redacts(seq));
        }
    }
    why
}

/// The projection line's value: the state in the `show --json` shape, with
/// only what the scope covers, derived fields for `day`.
fn projection(
    state: State,
    recall: &dyn Recall,
    scope: Scope,
    day: NaiveDate,
    version: u64,
) -> Result<Value, serde_json::Error> {
    let state = scope.restrict(state);
    let mut value = serde_json::to_value(wire::Show::new(&state, recall, day))?;
    if version < 2 {
        let plans = value.get_mut("plans").and_then(Value::as_array_mut);
        plans.into_iter().flatten().for_each(strip_added_in_2);
    }
    Ok(value)
}

/// Writes the projection line (without its `\n`) in canonical form, as
/// [`canonical`] writes `{"projection": …}` of [`projection`]'s value, but
/// one plan at a time, never the whole projection as one JSON value.
fn write_projection_line(
    state: &State,
    recall: &dyn Recall,
    day: NaiveDate,
    version: u64,
    out: &mut dyn Write,
) -> Result<(), serde_json::Error> {
    let mut show = wire::Show::new(state, recall, day);
    let mut plans = std::mem::take(&mut show.plans);
    let Value::Object(top) = serde_json::to_value(&show)? else {
        return Err(serde::ser::Error::custom("the projection is not an object"));
    };
    let mut entries: Vec<(&String, &Value)> = top.iter().collect();
    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut buf = Vec::new();
    buf.extend_from_slice(b"{\"projection\":{");
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        scalar(&Value::String(key.clone()), &mut buf);
        buf.push(b':');
        if key != "plans" {
            canonical(value, &mut buf);
            continue;
        }
        buf.push(b'[');
        for (i, plan) in plans.drain(..).enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            write_plan(plan, version, &mut buf, out)?;
        }
        buf.push(b']');
    }
    buf.extend_from_slice(b"}}");
    out.write_all(&buf).map_err(serde_json::Error::io)
}

/// One plan of the projection, canonical, into `buf`: its actions each
/// built (their words read back), written out of `buf` to `out` and let
/// go of in turn, so that a plan of thousands of actions is never held
/// whole as a value.
fn write_plan(
    mut plan: wire::Plan<'_>,
    version: u64,
    buf: &mut Vec<u8>,
    out: &mut dyn Write,
) -> Result<(), serde_json::Error> {
    let actions = plan.actions.take();
    let mut value = serde_json::to_value(&plan)?;
    if version < 2 {
        strip_added_in_2(&mut value);
    }
    let Value::Object(fields) = value else {
        return Err(serde::ser::Error::custom("a plan is not an object"));
    };
    canonical_object(&fields, buf, |key, value, buf| {
        if key != "actions" {
            canonical(value, buf);
            return Ok(());
        }
        buf.push(b'[');
        let mut first = true;
        actions.each_value(|mut action| {
            if !first {
                buf.push(b',');
            }
            first = false;
            if version < 2 {
                retain_but(&mut action, ADDED_IN_2.0);
            }
            canonical(&action, buf);
            out.write_all(buf).map_err(serde_json::Error::io)?;
            buf.clear();
            Ok(())
        })?;
        buf.push(b']');
        Ok(())
    })
}

/// A plan of the projection as pack version 1 shows it: without what
/// version 2 added.
fn strip_added_in_2(plan: &mut Value) {
    let (action_keys, coverage_keys) = ADDED_IN_2;
    if let Some(coverage) = plan.get_mut("coverage") {
        retain_but(coverage, coverage_keys);
    }
    let actions = plan.get_mut("actions").and_then(Value::as_array_mut);
    for action in actions.into_iter().flatten() {
        retain_but(action, action_keys);
    }
}

/// An object without `keys`.
fn retain_but(object: &mut Value, keys: &[&str]) {
    if let Some(object) = object.as_object_mut() {
        object.retain(|key, _| !keys.contains(&key.as_str()));
    }
}

/// Makes the pack `request` asks for from `events`, every stored event of a
/// ledger from the genesis to the head, as the ledger reads them back.
/// Returns the pack's bytes, which [`verify`] has checked.
pub fn make(events: &[StoredEvent], request: Request<'_>) -> Result<Vec<u8>, MakeError> {
    let mut out = Vec::new();
    write(
        || events.iter().cloned().map(Ok::<_, Infallible>),
        None,
        request,
        &mut out,
    )?;
    verify(&out).map_err(MakeError::DoesNotVerify)?;
    Ok(out)
}

/// [`make`] for a ledger too large to hold: reads the stored events twice
/// through `events` (each call reads them afresh from the genesis), and the
/// words of the milestones and claims its projection shows back from
/// `recall` (the same store), and writes the pack a line at a time to an
/// unnamed temporary file. The pack is not handed out until
/// [`Unchecked::check`] has checked it, which needs nothing of the ledger:
/// a caller lets go of the ledger first, so that the two are never held at
/// once.
pub fn make_file<I, E>(
    events: impl Fn() -> I,
    recall: &dyn Recall,
    request: Request<'_>,
) -> Result<Unchecked, MakeError>
where
    I: Iterator<Item = Result<StoredEvent, E>>,
    E: fmt::Display,
{
    let file = tempfile::tempfile().map_err(MakeError::Write)?;
    let mut out = BufWriter::new(file);
    write(events, Some(recall), request, &mut out)?;
    let file = out
        .into_inner()
        .map_err(|e| MakeError::Write(e.into_error()))?;
    Ok(Unchecked { file })
}

/// A pack [`make_file`] wrote and has not yet checked.
#[must_use = "a pack is handed out only once it is checked"]
pub struct Unchecked {
    file: File,
}

impl Unchecked {
    /// Checks the pack with [`verify_file`] and returns its file, read from
    /// its start.
    pub fn check(self) -> Result<File, MakeError> {
        let mut file = self.file;
        file.rewind().map_err(MakeError::Write)?;
        let again = file.try_clone().map_err(MakeError::Write)?;
        verify_file(again)
            .map_err(MakeError::Write)?
            .map_err(MakeError::DoesNotVerify)?;
        file.rewind().map_err(MakeError::Write)?;
        Ok(file)
    }
}

/// What [`write`]'s first pass over the events finds.
struct Survey {
    count: u64,
    subjects: Subjects,
    /// The source each event names, by sequence number (most name none).
    sources: BTreeMap<u64, u64>,
    redactions: BTreeMap<u64, Vec<u64>>,
    genesis: Option<Result<[u8; 16], crate::event::EventKind>>,
    genesis_recorded_at: Micros,
    not_a_chain: Option<MakeError>,
    /// The plan of the first `ActionAdded` of the scope's action.
    action_added: Option<PlanId>,
    /// The as-of event so far: seq, hash, recorded time.
    as_of: Option<(u64, Hash, Micros)>,
    head: Option<(u64, Hash, Micros)>,
}

impl Survey {
    fn of<I, E>(events: I, request: &Request<'_>) -> Result<Survey, MakeError>
    where
        I: Iterator<Item = Result<StoredEvent, E>>,
        E: fmt::Display,
    {
        let scope = request.scope;
        let mut survey = Survey {
            count: 0,
            subjects: Subjects::default(),
            sources: BTreeMap::new(),
            redactions: BTreeMap::new(),
            genesis: None,
            genesis_recorded_at: 0,
            not_a_chain: None,
            action_added: None,
            as_of: None,
            head: None,
        };
        for event in events {
            let event = event.map_err(|e| MakeError::Read(e.to_string()))?;
            let expected = survey.count;
            if event.seq != expected && survey.not_a_chain.is_none() {
                survey.not_a_chain = Some(MakeError::NotAChain {
                    expected,
                    found: event.seq,
                });
            }
            let record = &event.record;
            if expected == 0 {
                survey.genesis_recorded_at = record.recorded_at;
                survey.genesis = Some(match &record.event {
                    Event::LedgerCreated { ledger_id, .. }
                    | Event::LedgerUpgraded { ledger_id, .. } => Ok(*ledger_id),
                    other => Err(other.kind()),
                });
            }
            if let (Scope::Action { action, .. }, None) = (scope, survey.action_added)
                && let Event::ActionAdded {
                    action: a, plan, ..
                } = &record.event
                && *a == action
            {
                survey.action_added = Some(*plan);
            }
            if let Event::Redacted { event: target, .. } = &record.event {
                survey
                    .redactions
                    .entry(*target)
                    .or_default()
                    .push(event.seq);
            }
            let in_time = request.as_of.is_none_or(|t| record.recorded_at <= t);
            if in_time && (event.seq == 0 || scope.covers(event.subject)) {
                survey.as_of = Some((event.seq, event.hash, record.recorded_at));
            }
            survey.head = Some((event.seq, event.hash, record.recorded_at));
            survey.subjects.push(event.subject);
            if let Some(source) = &record.source {
                survey.sources.insert(event.seq, source.import_seq);
            }
            survey.count += 1;
        }
        Ok(survey)
    }
}

/// Writes the pack `request` asks for to `out` in two passes over
/// `events`: the first finds what the disclosure rule and the header need
/// (each event's subject, hash and source, the redactions), the second
/// writes the lines one at a time and folds the disclosed events. The
/// projection reads the words of milestones and claims back from `recall`,
/// or, where there is none (events held in memory), from their records
/// kept as the second pass goes by.
fn write<I, E>(
    events: impl Fn() -> I,
    recall: Option<&dyn Recall>,
    request: Request<'_>,
    out: &mut dyn Write,
) -> Result<(), MakeError>
where
    I: Iterator<Item = Result<StoredEvent, E>>,
    E: fmt::Display,
{
    let survey = Survey::of(events(), &request)?;
    if survey.count == 0 {
        return Err(MakeError::Empty);
    }
    if let Some(error) = survey.not_a_chain {
        return Err(error);
    }
    let ledger_id = match survey.genesis {
        Some(Ok(ledger_id)) => ledger_id,
        Some(Err(kind)) => return Err(MakeError::NoGenesis { kind }),
        None => return Err(MakeError::Empty),
    };
    let scope = request.scope;
    if let Scope::Action { plan, action } = scope
        && let Some(actual) = survey.action_added.filter(|actual| *actual != plan)
    {
        return Err(MakeError::ActionElsewhere {
            action,
            plan,
            actual,
        });
    }
    let (as_of, as_of_hash, as_of_recorded_at) = survey.as_of.ok_or(MakeError::BeforeLedger {
        at: request.as_of.unwrap_or(survey.genesis_recorded_at),
    })?;
    let (head, head_hash, head_recorded_at) = survey.head.ok_or(MakeError::Empty)?;
    let sources = |seq: u64| survey.sources.get(&seq).copied();
    let disclosed: Vec<bool> =
        required(&survey.subjects, scope, as_of, sources, &survey.redactions)
            .iter()
            .map(Option::is_some)
            .collect();
    let version = match request.checkpoint {
        Some(_) => CHECKPOINTED_PACK_VERSION,
        None => PACK_VERSION,
    };
    let header = json!({
        "pack": PACK_NAME,
        "pack_version": version,
        "format_version": CHAIN_FORMAT,
        "ledger_id": hex::encode(ledger_id),
        "scope": scope.to_json(),
        "as_of": {
            "seq": as_of,
            "hash": hex::encode(as_of_hash),
            "recorded_at": format_micros(as_of_recorded_at),
        },
        "head": {"seq": head, "hash": hex::encode(head_hash)},
        "events": survey.count,
        "disclosed": disclosed.iter().filter(|d| **d).count(),
    });
    let mut buf = Vec::new();
    let mut line = |value: &Value, out: &mut dyn Write| {
        buf.clear();
        canonical(value, &mut buf);
        buf.push(b'\n');
        out.write_all(&buf).map_err(MakeError::Write)
    };
    line(&header, out)?;
    // A checkpoint names the hashes of a few events (its marks), taken as
    // the events go by: the hashes of all are never held.
    let mut marks: BTreeMap<u64, Option<Hash>> = match request.checkpoint {
        Some(_) => crate::checkpoint::mark_seqs(head)
            .into_iter()
            .map(|at| (at, None))
            .collect(),
        None => BTreeMap::new(),
    };
    let mut state = State::default();
    let mut kept = Kept::default();
    for event in events() {
        let event = event.map_err(|e| MakeError::Read(e.to_string()))?;
        if let Some(mark) = marks.get_mut(&event.seq) {
            *mark = Some(event.hash);
        }
        let shown = usize::try_from(event.seq)
            .ok()
            .and_then(|i| disclosed.get(i))
            .is_some_and(|d| *d);
        line(&event_line(&event, shown), out)?;
        if shown && event.seq <= as_of {
            state.apply(event.seq, event.hash, &event.record);
            if recall.is_none() {
                kept.keep(event.seq, &event.record);
            }
        }
    }
    let state = scope.restrict(state);
    let day = day_of(as_of_recorded_at);
    let recall = recall.unwrap_or(&kept);
    write_projection_line(&state, recall, day, version, out).map_err(|e| {
        match e.io_error_kind() {
            Some(kind) => MakeError::Write(io::Error::new(kind, e)),
            None => MakeError::Projection(e.to_string()),
        }
    })?;
    drop(state);
    out.write_all(b"\n").map_err(MakeError::Write)?;
    if let Some(signer) = request.checkpoint {
        let statement = crate::checkpoint::Statement::of_history(
            ledger_id,
            CHAIN_FORMAT,
            head,
            head_hash,
            head_recorded_at,
            |at| {
                marks
                    .get(&at)
                    .copied()
                    .flatten()
                    .ok_or(MakeError::NotAChain {
                        expected: at,
                        found: head,
                    })
            },
        )?;
        let signed = crate::checkpoint::sign(statement, signer.name, signer.key)
            .map_err(MakeError::Checkpoint)?;
        line(&json!({"checkpoint": signed.render()}), out)?;
    }
    out.flush().map_err(MakeError::Write)
}

/// One event's line: disclosed, its record and texts; withheld, its digest.
fn event_line(event: &StoredEvent, disclosed: bool) -> Value {
    let mut fields = Map::new();
    fields.insert("seq".into(), event.seq.into());
    fields.insert("subject".into(), subject_json(event.subject));
    fields.insert("hash".into(), hex::encode(event.hash).into());
    if disclosed {
        fields.insert("record".into(), hex::encode(&event.bytes).into());
        fields.insert(
            "texts".into(),
            Value::Array(event.texts.iter().map(text_json).collect()),
        );
    } else {
        let digest = chain::record_digest(&event.bytes);
        fields.insert("digest".into(), hex::encode(digest).into());
    }
    Value::Object(fields)
}

/// Writes `value` in a pack's canonical form: compact, every object's keys
/// in the order of their UTF-8 bytes, strings escaped as `serde_json`
/// escapes them (`\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`, other control
/// characters as `\u00xx` in lowercase hex, nothing else).
pub fn canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let Ok(()) = canonical_object(map, out, |_, value, out| {
                canonical(value, out);
                Ok::<_, std::convert::Infallible>(())
            });
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical(item, out);
            }
            out.push(b']');
        }
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => scalar(value, out),
    }
}

/// An object in the canonical form of [`canonical`]: its keys in byte
/// order, each followed by its value as `value` writes it (the projection
/// line writes a plan's actions one at a time that way).
fn canonical_object<E>(
    map: &serde_json::Map<String, Value>,
    out: &mut Vec<u8>,
    mut value: impl FnMut(&str, &Value, &mut Vec<u8>) -> Result<(), E>,
) -> Result<(), E> {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    out.push(b'{');
    for (i, (key, item)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        scalar(&Value::String(key.clone()), out);
        out.push(b':');
        value(key, item, out)?;
    }
    out.push(b'}');
    Ok(())
}

/// A scalar as `serde_json` writes it (through `Value`'s `Display`, which
/// is its compact writer).
fn scalar(value: &Value, out: &mut Vec<u8>) {
    out.extend_from_slice(value.to_string().as_bytes());
}

// ---------------------------------------------------------------------------
// Checking a pack

/// What a pack that holds proves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackReport {
    pub ledger_id: [u8; 16],
    pub scope: Scope,
    /// The last event the projection folds: its sequence number, hash and
    /// recorded time.
    pub as_of: (u64, Hash, Micros),
    /// The head the chain in the pack runs to.
    pub head: (u64, Hash),
    /// Event lines: `head.seq + 1`.
    pub events: u64,
    pub disclosed: u64,
    /// Free texts of disclosed events that were erased by a redaction.
    pub texts_redacted: u64,
    /// Events in scope recorded after the as-of event, which the pack
    /// withholds (0: nothing in scope happened between the as-of event and
    /// the head).
    pub in_scope_after_as_of: u64,
    /// A version-3 pack's checkpoint of its head, every signature on it
    /// checked and its marks held against the pack's chain.
    pub checkpoint: Option<crate::checkpoint::Checkpoint>,
}

impl PackReport {
    pub fn withheld(&self) -> u64 {
        self.events - self.disclosed
    }
}

/// The first thing wrong with a pack, in the order `ledger/FORMAT.md` §7
/// checks: the form of its lines, the chain, the records and texts, the
/// disclosure rule, the projection.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PackFault {
    #[error("the file is empty")]
    Empty,
    #[error(
        "line {line}: a version-3 pack ends with its checkpoint line, {{\"checkpoint\": TEXT}}"
    )]
    NoCheckpoint { line: usize },
    #[error("its checkpoint does not vouch for this pack: {why}")]
    CheckpointNotThisPack { why: String },
    #[error("event {seq}: {what}")]
    BrokenRequest { seq: u64, what: String },
    #[error("the file does not end with a newline (every line of a pack does)")]
    NoFinalNewline,
    #[error("line {line} is not UTF-8 at byte {byte}")]
    NotUtf8 { line: usize, byte: usize },
    #[error("line {line} is blank")]
    BlankLine { line: usize },
    #[error("line {line} is not JSON: {error}")]
    NotJson { line: usize, error: String },
    #[error("line {line} is not in canonical form at byte {byte}")]
    NotCanonical { line: usize, byte: usize },
    #[error(
        "the pack has {lines} line(s); a pack has a header, at least the genesis event and a projection"
    )]
    TooShort { lines: usize },
    #[error("line 1 is not a pack header (it has no \"pack\" field)")]
    NotAHeader,
    #[error("line {line} is not a JSON object")]
    NotAnObject { line: usize },
    #[error("line {line} lacks the field {field}")]
    MissingField { line: usize, field: String },
    #[error("line {line} has a field no pack has: {field}")]
    UnexpectedField { line: usize, field: String },
    #[error("line {line}: {field} {why}")]
    BadField {
        line: usize,
        field: String,
        why: String,
    },
    #[error("the header says {events} events, but the chain from seq 0 to its head {head} has {}", .head + 1)]
    HeaderCount { events: u64, head: u64 },
    #[error("the header's as-of event {as_of} is past its head {head}")]
    AsOfPastHead { as_of: u64, head: u64 },
    #[error("the last line (line {line}) is not the projection")]
    NoProjection { line: usize },
    #[error("event {expected} is missing: line {line} holds event {found}")]
    EventMissing {
        line: usize,
        expected: u64,
        found: u64,
    },
    #[error("line {line} holds event {found} where event {expected} belongs")]
    OutOfOrder {
        line: usize,
        expected: u64,
        found: u64,
    },
    #[error("line {line} holds event {seq}, past the header's head {head}")]
    PastHead { line: usize, seq: u64, head: u64 },
    #[error(
        "event {seq}: hash does not match (stated {}, computed {})",
        hex::encode(.stated),
        hex::encode(.computed)
    )]
    HashMismatch {
        seq: u64,
        stated: Hash,
        computed: Hash,
    },
    #[error("the pack ends at seq {last} but its header names head {head}")]
    EndsEarly { last: u64, head: u64 },
    #[error(
        "the header's head hash {} is not the hash of event {seq} ({})",
        hex::encode(.stated),
        hex::encode(.actual)
    )]
    HeadMismatch {
        seq: u64,
        stated: Hash,
        actual: Hash,
    },
    #[error(
        "the header's as-of hash {} is not the hash of event {seq} ({})",
        hex::encode(.stated),
        hex::encode(.actual)
    )]
    AsOfMismatch {
        seq: u64,
        stated: Hash,
        actual: Hash,
    },
    #[error("event {seq}: its record does not decode: {error}")]
    Undecodable { seq: u64, error: String },
    #[error("event {seq}: {fault}")]
    Texts { seq: u64, fault: TextFault },
    #[error("event {seq}: its {slot} is marked erased by event {by}, which the pack withholds")]
    ErasedByWithheld { seq: u64, slot: String, by: u64 },
    #[error("event {by} erased the {slot} of event {seq}, but the pack does not show it erased")]
    RedactionNotApplied { by: u64, seq: u64, slot: String },
    #[error("event 0 is {kind}, not the genesis of a ledger")]
    NotGenesis { kind: crate::event::EventKind },
    #[error(
        "the genesis names ledger {}, not the header's {}",
        hex::encode(.genesis),
        hex::encode(.header)
    )]
    LedgerIdMismatch { header: [u8; 16], genesis: [u8; 16] },
    #[error("the genesis names format version {found}, not {CHAIN_FORMAT}")]
    GenesisFormat { found: u32 },
    #[error(
        "the header's as-of event {seq} is outside the pack's scope (its subject is {subject})"
    )]
    AsOfOutOfScope { seq: u64, subject: Subject },
    #[error("event {seq} is withheld but {why}")]
    WithheldRequired { seq: u64, why: Required },
    #[error(
        "event {seq} is disclosed but nothing requires it: its subject {subject} is out of scope or after the as-of event, and no disclosed event names it"
    )]
    DisclosedNotRequired { seq: u64, subject: Subject },
    #[error(
        "the header gives the as-of time as {stated}, but event {seq} was recorded at {recorded}"
    )]
    AsOfTime {
        seq: u64,
        stated: String,
        recorded: String,
    },
    #[error("the header says {stated} events are disclosed, but {counted} are")]
    DisclosedCount { stated: u64, counted: u64 },
    #[error("event {seq} is filed under {stated}, but the disclosed history makes it {expected}")]
    WrongSubject {
        seq: u64,
        stated: Subject,
        expected: Subject,
    },
    #[error("event {seq} breaks the ledger's rules: {refusal}")]
    BrokenRule { seq: u64, refusal: Refusal },
    #[error("the projection differs from the fold of the disclosed events at {path}")]
    ProjectionDiffers { path: String },
    #[error("the projection of the disclosed events could not be made: {what}")]
    ProjectionUnmade { what: String },
    /// The file was changed while it was being checked: a line read on
    /// one pass was not there on the next.
    #[error("the pack changed while it was being checked")]
    Changed,
}

/// The line a pack holds event `seq` on.
fn line_of(seq: u64) -> usize {
    usize::try_from(seq).map_or(usize::MAX, |s| s.saturating_add(2))
}

impl PackFault {
    /// The kind of fault, a stable snake_case name for programs.
    pub fn name(&self) -> &'static str {
        match self {
            PackFault::Empty => "empty",
            PackFault::NoCheckpoint { .. } => "no_checkpoint",
            PackFault::BrokenRequest { .. } => "broken_request",
            PackFault::CheckpointNotThisPack { .. } => "checkpoint_not_this_pack",
            PackFault::NoFinalNewline => "no_final_newline",
            PackFault::NotUtf8 { .. } => "not_utf8",
            PackFault::BlankLine { .. } => "blank_line",
            PackFault::NotJson { .. } => "not_json",
            PackFault::NotCanonical { .. } => "not_canonical",
            PackFault::TooShort { .. } => "too_short",
            PackFault::NotAHeader => "not_a_header",
            PackFault::NotAnObject { .. } => "not_an_object",
            PackFault::MissingField { .. } => "missing_field",
            PackFault::UnexpectedField { .. } => "unexpected_field",
            PackFault::BadField { .. } => "bad_field",
            PackFault::HeaderCount { .. } => "header_count",
            PackFault::AsOfPastHead { .. } => "as_of_past_head",
            PackFault::NoProjection { .. } => "no_projection",
            PackFault::EventMissing { .. } => "event_missing",
            PackFault::OutOfOrder { .. } => "out_of_order",
            PackFault::PastHead { .. } => "past_head",
            PackFault::HashMismatch { .. } => "hash_mismatch",
            PackFault::EndsEarly { .. } => "ends_early",
            PackFault::HeadMismatch { .. } => "head_mismatch",
            PackFault::AsOfMismatch { .. } => "as_of_mismatch",
            PackFault::Undecodable { .. } => "undecodable",
            PackFault::Texts { .. } => "texts",
            PackFault::ErasedByWithheld { .. } => "erased_by_withheld",
            PackFault::RedactionNotApplied { .. } => "redaction_not_applied",
            PackFault::NotGenesis { .. } => "not_genesis",
            PackFault::LedgerIdMismatch { .. } => "ledger_id_mismatch",
            PackFault::GenesisFormat { .. } => "genesis_format",
            PackFault::AsOfOutOfScope { .. } => "as_of_out_of_scope",
            PackFault::WithheldRequired { .. } => "withheld_required",
            PackFault::DisclosedNotRequired { .. } => "disclosed_not_required",
            PackFault::AsOfTime { .. } => "as_of_time",
            PackFault::DisclosedCount { .. } => "disclosed_count",
            PackFault::WrongSubject { .. } => "wrong_subject",
            PackFault::BrokenRule { .. } => "broken_rule",
            PackFault::ProjectionDiffers { .. } => "projection_differs",
            PackFault::ProjectionUnmade { .. } => "projection_unmade",
            PackFault::Changed => "changed",
        }
    }

    /// The event the fault is at, if it is at one.
    pub fn seq(&self) -> Option<u64> {
        match self {
            PackFault::HashMismatch { seq, .. }
            | PackFault::Undecodable { seq, .. }
            | PackFault::Texts { seq, .. }
            | PackFault::ErasedByWithheld { seq, .. }
            | PackFault::AsOfOutOfScope { seq, .. }
            | PackFault::WithheldRequired { seq, .. }
            | PackFault::DisclosedNotRequired { seq, .. }
            | PackFault::AsOfTime { seq, .. }
            | PackFault::WrongSubject { seq, .. }
            | PackFault::BrokenRule { seq, .. }
            | PackFault::BrokenRequest { seq, .. }
            | PackFault::HeadMismatch { seq, .. }
            | PackFault::AsOfMismatch { seq, .. }
            | PackFault::PastHead { seq, .. } => Some(*seq),
            PackFault::RedactionNotApplied { by, .. } => Some(*by),
            PackFault::EventMissing { expected, .. } | PackFault::OutOfOrder { expected, .. } => {
                Some(*expected)
            }
            PackFault::NotGenesis { .. }
            | PackFault::LedgerIdMismatch { .. }
            | PackFault::GenesisFormat { .. } => Some(0),
            PackFault::EndsEarly { last, .. } => Some(last + 1),
            PackFault::Empty
            | PackFault::NoFinalNewline
            | PackFault::NotUtf8 { .. }
            | PackFault::BlankLine { .. }
            | PackFault::NotJson { .. }
            | PackFault::NotCanonical { .. }
            | PackFault::TooShort { .. }
            | PackFault::NotAHeader
            | PackFault::NotAnObject { .. }
            | PackFault::MissingField { .. }
            | PackFault::UnexpectedField { .. }
            | PackFault::BadField { .. }
            | PackFault::HeaderCount { .. }
            | PackFault::AsOfPastHead { .. }
            | PackFault::NoProjection { .. }
            | PackFault::DisclosedCount { .. }
            | PackFault::NoCheckpoint { .. }
            | PackFault::CheckpointNotThisPack { .. }
            | PackFault::ProjectionDiffers { .. }
            | PackFault::ProjectionUnmade { .. }
            | PackFault::Changed => None,
        }
    }

    /// The line of the pack the fault is on (from 1), if it is on one.
    pub fn line(&self) -> Option<usize> {
        match self {
            PackFault::NotUtf8 { line, .. }
            | PackFault::BlankLine { line }
            | PackFault::NotJson { line, .. }
            | PackFault::NotCanonical { line, .. }
            | PackFault::NotAnObject { line }
            | PackFault::MissingField { line, .. }
            | PackFault::UnexpectedField { line, .. }
            | PackFault::BadField { line, .. }
            | PackFault::NoProjection { line }
            | PackFault::NoCheckpoint { line }
            | PackFault::EventMissing { line, .. }
            | PackFault::OutOfOrder { line, .. }
            | PackFault::PastHead { line, .. } => Some(*line),
            PackFault::NotAHeader
            | PackFault::HeaderCount { .. }
            | PackFault::AsOfPastHead { .. }
            | PackFault::DisclosedCount { .. } => Some(1),
            PackFault::Empty
            | PackFault::NoFinalNewline
            | PackFault::TooShort { .. }
            | PackFault::CheckpointNotThisPack { .. }
            | PackFault::ProjectionDiffers { .. }
            | PackFault::ProjectionUnmade { .. }
            | PackFault::Changed => None,
            PackFault::HashMismatch { .. }
            | PackFault::EndsEarly { .. }
            | PackFault::HeadMismatch { .. }
            | PackFault::AsOfMismatch { .. }
            | PackFault::Undecodable { .. }
            | PackFault::Texts { .. }
            | PackFault::ErasedByWithheld { .. }
            | PackFault::RedactionNotApplied { .. }
            | PackFault::NotGenesis { .. }
            | PackFault::LedgerIdMismatch { .. }
            | PackFault::GenesisFormat { .. }
            | PackFault::AsOfOutOfScope { .. }
            | PackFault::WithheldRequired { .. }
            | PackFault::DisclosedNotRequired { .. }
            | PackFault::AsOfTime { .. }
            | PackFault::WrongSubject { .. }
            | PackFault::BrokenRule { .. }
            | PackFault::BrokenRequest { .. } => self.seq().map(line_of),
        }
    }
}

/// The header, read.
struct Header {
    /// The pack version, which fixes the projection's shape.
    version: u64,
    ledger_id: [u8; 16],
    scope: Scope,
    as_of: u64,
    as_of_hash: Hash,
    as_of_recorded_at: String,
    head: u64,
    head_hash: Hash,
    disclosed: u64,
}

/// An event line, read.
struct EventLine {
    line: usize,
    seq: u64,
    subject: Subject,
    hash: Hash,
    body: Body,
}

enum Body {
    Disclosed {
        record: Vec<u8>,
        texts: Vec<StoredText>,
    },
    Withheld {
        digest: Hash,
    },
}

impl EventLine {
    fn is_disclosed(&self) -> bool {
        matches!(self.body, Body::Disclosed { .. })
    }

    /// The hash the chain gives this line after `prev`: from its record's
    /// digest where disclosed, or the digest it states where withheld.
    fn chain_hash(&self, prev: &Hash) -> Hash {
        let digest = match &self.body {
            Body::Disclosed { record, .. } => chain::record_digest(record),
            Body::Withheld { digest } => *digest,
        };
        chain::event_hash(prev, self.seq, self.subject, &digest)
    }
}

/// Checks a pack from its bytes alone, as `ledger/FORMAT.md` §7 says, and
/// returns what it proves, or the first thing that fails.
pub fn verify(bytes: &[u8]) -> Result<PackReport, PackFault> {
    match check::check(&mut source::Bytes::new(bytes)) {
        Ok(report) => Ok(report),
        Err(Stop::Fault(fault)) => Err(fault),
        Err(Stop::Read(never)) => match never {},
    }
}

/// [`verify`] of the pack in `file`, read a line at a time, again for each
/// step of the check, never held whole: the same checks and the same first
/// fault. The outer error is a read that failed.
pub fn verify_file(file: File) -> io::Result<Result<PackReport, PackFault>> {
    match check::check(&mut source::FileSource::new(file)) {
        Ok(report) => Ok(Ok(report)),
        Err(Stop::Fault(fault)) => Ok(Err(fault)),
        Err(Stop::Read(error)) => Err(error),
    }
}

/// A version-3 pack's last line: `{"checkpoint": TEXT}`, TEXT a checkpoint
/// (§12) of this pack's ledger and format whose statement is the pack's
/// head, every signature on it checked.
fn read_checkpoint(
    value: &Value,
    line: usize,
    header: &Header,
) -> Result<crate::checkpoint::Checkpoint, PackFault> {
    let fields = Fields::line(value, line)?;
    if !fields.map.contains_key("checkpoint") {
        return Err(PackFault::NoCheckpoint { line });
    }
    fields.only(&["checkpoint"])?;
    let text = fields.str("checkpoint")?;
    let checkpoint = crate::checkpoint::Checkpoint::parse(text.as_bytes()).map_err(|fault| {
        PackFault::CheckpointNotThisPack {
            why: fault.to_string(),
        }
    })?;
    checkpoint
        .check_ledger(header.ledger_id, CHAIN_FORMAT)
        .map_err(|fault| PackFault::CheckpointNotThisPack {
            why: fault.to_string(),
        })?;
    let statement = checkpoint.statement();
    if statement.seq() != header.head || statement.hash() != header.head_hash {
        return Err(PackFault::CheckpointNotThisPack {
            why: format!(
                "it vouches for seq {} {}, not the pack's head, seq {} {}",
                statement.seq(),
                hex::encode(statement.hash()),
                header.head,
                hex::encode(header.head_hash)
            ),
        });
    }
    Ok(checkpoint)
}

/// One line of a pack as JSON.
fn parse_line(raw: &[u8], line: usize) -> Result<Value, PackFault> {
    let text = std::str::from_utf8(raw).map_err(|e| PackFault::NotUtf8 {
        line,
        byte: e.valid_up_to() + 1,
    })?;
    // `Value`'s own `FromStr`, not the generic `from_str`: the same
    // parser, compiled with serde_json (fast in a debug build too).
    text.parse()
        .map_err(|e: serde_json::Error| PackFault::NotJson {
            line,
            error: e.to_string(),
        })
}

/// The fields of one JSON object on a line, read with precise complaints.
struct Fields<'a> {
    line: usize,
    /// The path of the object within its line, ending in a dot, or empty.
    prefix: String,
    map: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    fn line(value: &'a Value, line: usize) -> Result<Fields<'a>, PackFault> {
        match value {
            Value::Object(map) => Ok(Fields {
                line,
                prefix: String::new(),
                map,
            }),
            _ => Err(PackFault::NotAnObject { line }),
        }
    }

    fn name(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn bad(&self, key: &str, why: impl Into<String>) -> PackFault {
        PackFault::BadField {
            line: self.line,
            field: self.name(key),
            why: why.into(),
        }
    }

    /// Refuses any field not in `keys`.
    fn only(&self, keys: &[&str]) -> Result<(), PackFault> {
        match self.map.keys().find(|k| !keys.contains(&k.as_str())) {
            Some(key) => Err(PackFault::UnexpectedField {
                line: self.line,
                field: self.name(key),
            }),
            None => Ok(()),
        }
    }

    fn get(&self, key: &str) -> Result<&'a Value, PackFault> {
        self.map.get(key).ok_or_else(|| PackFault::MissingField {
            line: self.line,
            field: self.name(key),
        })
    }

    fn object(&self, key: &str) -> Result<Fields<'a>, PackFault> {
        match self.get(key)? {
            Value::Object(map) => Ok(Fields {
                line: self.line,
                prefix: format!("{}.", self.name(key)),
                map,
            }),
            _ => Err(self.bad(key, "is not an object")),
        }
    }

    fn u64(&self, key: &str) -> Result<u64, PackFault> {
        self.get(key)?
            .as_u64()
            .ok_or_else(|| self.bad(key, "is not a whole number"))
    }

    fn str(&self, key: &str) -> Result<&'a str, PackFault> {
        self.get(key)?
            .as_str()
            .ok_or_else(|| self.bad(key, "is not a string"))
    }

    fn hex_bytes(&self, key: &str) -> Result<Vec<u8>, PackFault> {
        let text = self.str(key)?;
        lower_hex(text).ok_or_else(|| self.bad(key, "is not lowercase hex"))
    }

    fn hex<const N: usize>(&self, key: &str) -> Result<[u8; N], PackFault> {
        let text = self.str(key)?;
        lower_hex(text)
            .and_then(|bytes| <[u8; N]>::try_from(bytes).ok())
            .ok_or_else(|| self.bad(key, format!("is not {} lowercase hex digits", 2 * N)))
    }

    /// An id written exactly as the pack writes it ("P1", never "p1" or
    /// "P01").
    fn id<I: Id>(&self, key: &str) -> Result<I, PackFault> {
        self.get(key)?
            .as_str()
            .and_then(|text| I::parse(text).ok().filter(|id| id.to_string() == text))
            .ok_or_else(|| self.bad(key, format!("is not an id such as \"{}\"", I::first())))
    }

    /// [`Fields::id`], or `null`.
    fn id_or_null<I: Id>(&self, key: &str) -> Result<Option<I>, PackFault> {
        if self.get(key)?.is_null() {
            return Ok(None);
        }
        self.id(key).map(Some).map_err(|_| {
            self.bad(
                key,
                format!("is not an id such as \"{}\", or null", I::first()),
            )
        })
    }

    fn subject(&self, key: &str) -> Result<Subject, PackFault> {
        let subject = self.object(key)?;
        subject.only(&["action", "plan"])?;
        Ok(Subject {
            plan: subject.id_or_null::<PlanId>("plan")?,
            action: subject.id_or_null::<ActionId>("action")?,
        })
    }

    fn texts(&self, key: &str) -> Result<Vec<StoredText>, PackFault> {
        let Value::Array(items) = self.get(key)? else {
            return Err(self.bad(key, "is not a list"));
        };
        let mut texts = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let Value::Object(map) = item else {
                return Err(self.bad(&format!("{key}[{i}]"), "is not an object"));
            };
            let text = Fields {
                line: self.line,
                prefix: format!("{}[{i}].", self.name(key)),
                map,
            };
            if map.contains_key("erased_by") {
                text.only(&["erased_by"])?;
                texts.push(StoredText::Erased {
                    by: text.u64("erased_by")?,
                });
            } else {
                text.only(&["salt", "words"])?;
                texts.push(StoredText::Words {
                    salt: text.hex("salt")?,
                    words: text.str("words")?.to_string(),
                });
            }
        }
        Ok(texts)
    }
}

/// Lowercase hex, an even number of digits, as bytes.
fn lower_hex(text: &str) -> Option<Vec<u8>> {
    if !text
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    hex::decode(text).ok()
}

fn read_header(value: &Value) -> Result<Header, PackFault> {
    let header = Fields::line(value, 1)?;
    if !header.map.contains_key("pack") {
        return Err(PackFault::NotAHeader);
    }
    header.only(&[
        "as_of",
        "disclosed",
        "events",
        "format_version",
        "head",
        "ledger_id",
        "pack",
        "pack_version",
        "scope",
    ])?;
    if header.str("pack")? != PACK_NAME {
        return Err(header.bad("pack", format!("is not \"{PACK_NAME}\"")));
    }
    let version = header.u64("pack_version")?;
    if !(OLDEST_PACK_VERSION..=CHECKPOINTED_PACK_VERSION).contains(&version) {
        return Err(header.bad(
            "pack_version",
            format!(
                "is not a pack version this planledger reads ({OLDEST_PACK_VERSION} to {CHECKPOINTED_PACK_VERSION})"
            ),
        ));
    }
    if header.u64("format_version")? != u64::from(CHAIN_FORMAT) {
        return Err(header.bad(
            "format_version",
            format!("is not {CHAIN_FORMAT}, the format this planledger reads"),
        ));
    }
    let ledger_id = header.hex::<16>("ledger_id")?;
    let scope = read_scope(&header.object("scope")?)?;
    let as_of = header.object("as_of")?;
    as_of.only(&["hash", "recorded_at", "seq"])?;
    let head = header.object("head")?;
    head.only(&["hash", "seq"])?;
    let read = Header {
        version,
        ledger_id,
        scope,
        as_of: as_of.u64("seq")?,
        as_of_hash: as_of.hex("hash")?,
        as_of_recorded_at: as_of.str("recorded_at")?.to_string(),
        head: head.u64("seq")?,
        head_hash: head.hex("hash")?,
        disclosed: header.u64("disclosed")?,
    };
    let events = header.u64("events")?;
    if read.head.checked_add(1) != Some(events) {
        return Err(PackFault::HeaderCount {
            events,
            head: read.head,
        });
    }
    if read.as_of > read.head {
        return Err(PackFault::AsOfPastHead {
            as_of: read.as_of,
            head: read.head,
        });
    }
    Ok(read)
}

fn read_scope(scope: &Fields) -> Result<Scope, PackFault> {
    match scope.str("kind")? {
        "ledger" => {
            scope.only(&["kind"])?;
            Ok(Scope::Ledger)
        }
        "plan" => {
            scope.only(&["kind", "plan"])?;
            Ok(Scope::Plan(scope.id("plan")?))
        }
        "action" => {
            scope.only(&["action", "kind", "plan"])?;
            Ok(Scope::Action {
                plan: scope.id("plan")?,
                action: scope.id("action")?,
            })
        }
        _ => Err(scope.bad("kind", "is not \"ledger\", \"plan\" or \"action\"")),
    }
}

fn read_event(value: &Value, line: usize) -> Result<EventLine, PackFault> {
    let fields = Fields::line(value, line)?;
    let body = if fields.map.contains_key("record") {
        fields.only(&["hash", "record", "seq", "subject", "texts"])?;
        Body::Disclosed {
            record: fields.hex_bytes("record")?,
            texts: fields.texts("texts")?,
        }
    } else if fields.map.contains_key("digest") {
        fields.only(&["digest", "hash", "seq", "subject"])?;
        Body::Withheld {
            digest: fields.hex("digest")?,
        }
    } else if fields.map.contains_key("projection") {
        return Err(PackFault::BadField {
            line,
            field: "projection".into(),
            why: "is found before the last line".into(),
        });
    } else {
        return Err(PackFault::MissingField {
            line,
            field: "record (a disclosed event) or digest (a withheld one)".into(),
        });
    };
    Ok(EventLine {
        line,
        seq: fields.u64("seq")?,
        subject: fields.subject("subject")?,
        hash: fields.hex("hash")?,
        body,
    })
}

fn read_projection(value: &Value, line: usize) -> Result<&Value, PackFault> {
    let fields = Fields::line(value, line)?;
    if !fields.map.contains_key("projection") {
        return Err(PackFault::NoProjection { line });
    }
    fields.only(&["projection"])?;
    Ok(value)
}

fn slot_name(names: &[String], slot: u32) -> String {
    usize::try_from(slot)
        .ok()
        .and_then(|i| names.get(i))
        .cloned()
        .unwrap_or_else(|| format!("text {slot}"))
}

/// Where `found` first differs from `expected`, as a path such as
/// `plans[0].actions[3].status`; `None` when they are equal.
fn first_difference(expected: &Value, found: &Value, path: &str) -> Option<String> {
    let here = || match path {
        "" => "its top level".to_string(),
        path => path.to_string(),
    };
    let join = |key: &str| match path {
        "" => key.to_string(),
        path => format!("{path}.{key}"),
    };
    match (expected, found) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .find_map(|key| match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => first_difference(x, y, &join(key)),
                    _ => Some(join(key)),
                })
        }
        (Value::Array(a), Value::Array(b)) => {
            let at = |i: usize| format!("{}[{i}]", if path.is_empty() { "" } else { path });
            a.iter()
                .zip(b)
                .enumerate()
                .find_map(|(i, (x, y))| first_difference(x, y, &at(i)))
                .or_else(|| (a.len() != b.len()).then(|| at(a.len().min(b.len()))))
        }
        (a, b) => (a != b).then(here),
    }
}

mod check;
mod source;

#[cfg(test)]
mod tests;
