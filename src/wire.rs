//! The one place JSON is shaped. Every `--json` output (`show`, `history`,
//! `audit`, `summary`, `diff`, `verify`, `verify-pack`) and `export --format
//! json` is one of the `Serialize` types here, built from the library's
//! state, audit trail, summary, diff or verify report; no other module
//! builds a JSON value. (The events export, `export::events`, and evidence
//! packs, `pack`, are the on-disk format's own shapes and follow
//! `ledger/FORMAT.md` instead; a pack's projection is `Show`.) A list too
//! long to hold, `audit --json` and `diff --json`'s events, is written an
//! element at a time through [`Streaming`] by [`write_entries`] and
//! [`Diff::write`], each element one of the types here.
//!
//! What it promises, and `ledger/JSON.md` documents field by field:
//!
//! - Fields are only ever added; a field is never renamed or removed, and
//!   every field is always present (`null` when it has no value).
//! - One concept, one spelling. Whoever made a change is `actor`; when it
//!   happened is `effective` (the date the actor stated or, when they stated
//!   none, the day it was recorded) with `effective_stated` saying which;
//!   when the ledger learned of it is `recorded_at` and where it sits in the
//!   chain is `seq`. Every object that is a change carries all five, from one
//!   type ([`Stamp`]). Ids are shown as people write them (`"A3"`); claim
//!   and recommendation numbers are integers.
//! - `by` (milestones, claims, assurance decisions) and `claimed_by`
//!   (claims awaiting assurance) are older names for `actor`, and a verify
//!   problem's `problem` the older name of `what`, kept with the same value
//!   because fields are only ever added.
//! - Nothing depends on hash-map order: keys come in the order declared here.
//!
//! `tests/it/wire.rs` compares every shape against the golden files under
//! `ledger/golden/json/` and checks that every key is documented in
//! `ledger/JSON.md`.

use std::io::{self, Write};

use chrono::NaiveDate;
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

use crate::date::{FuzzyDate, Target as TargetDate};
use crate::event::{EventKind, Hash, LinkBasis, Micros};
use crate::id::{ClaimNo, RecId};
use crate::pack;
use crate::projection::{self, Change, State};
use crate::query::audit::{self, clock_words};
use crate::query::coverage;
use crate::query::diff::{self, Span};
use crate::query::summary::{self, Category};
use crate::recall::{self, Details, Recall, RecallError};
use crate::status::Status;
use crate::store::chain_check as verify;
use crate::time::{day_of, format_micros};

/// Writes `value` as pretty-printed JSON and a final newline.
pub fn write(value: &impl Serialize, out: &mut dyn Write) -> io::Result<()> {
    // Buffered here: a terminal's standard output is flushed at every line,
    // and pretty JSON is mostly short lines (a write call for each took
    // 1–3 s of a national ledger's `show --json`).
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut out, value).map_err(io::Error::from)?;
    writeln!(out)?;
    out.flush()
}

/// Pretty JSON written a piece at a time, byte for byte what [`write`]
/// gives for the whole value, for a list too long to hold: `audit --json`
/// and `diff --json` of a national ledger list every change. Each piece is
/// written with serde_json's own pretty printer and indented to where it
/// sits (its strings never hold a raw line break: JSON escapes them).
pub struct Streaming<'w> {
    out: io::BufWriter<&'w mut dyn Write>,
    /// For each object or list open, whether it has a member yet.
    open: Vec<bool>,
    piece: Vec<u8>,
}

impl<'w> Streaming<'w> {
    pub fn new(out: &'w mut dyn Write) -> Streaming<'w> {
        Streaming {
            // Buffered as [`write`] buffers.
            out: io::BufWriter::with_capacity(1 << 16, out),
            open: Vec::new(),
            piece: Vec::new(),
        }
    }

    pub fn begin_object(&mut self) -> io::Result<()> {
        self.begin(b"{")
    }

    pub fn end_object(&mut self) -> io::Result<()> {
        self.end(b"}")
    }

    pub fn begin_list(&mut self) -> io::Result<()> {
        self.begin(b"[")
    }

    pub fn end_list(&mut self) -> io::Result<()> {
        self.end(b"]")
    }

    /// A member of the open object, named `name`, whose value is written
    /// next: by [`Streaming::value`] or as an object or list begun here.
    pub fn key(&mut self, name: &str) -> io::Result<()> {
        self.next_member()?;
        serde_json::to_writer(&mut self.out, name)?;
        self.out.write_all(b": ")
    }

    /// A member of the open object and its value.
    pub fn field(&mut self, name: &str, value: &impl Serialize) -> io::Result<()> {
        self.key(name)?;
        self.value(value)
    }

    /// An element of the open list.
    pub fn element(&mut self, value: &impl Serialize) -> io::Result<()> {
        self.next_member()?;
        self.value(value)
    }

    /// A whole value where one is due: after [`Streaming::key`], or alone.
    pub fn value(&mut self, value: &impl Serialize) -> io::Result<()> {
        self.piece.clear();
        serde_json::to_writer_pretty(&mut self.piece, value)?;
        let mut lines = self.piece.split(|&b| b == b'\n');
        if let Some(first) = lines.next() {
            self.out.write_all(first)?;
        }
        for line in lines {
            self.out.write_all(b"\n")?;
            indent(&mut self.out, self.open.len())?;
            self.out.write_all(line)?;
        }
        Ok(())
    }

    /// Ends the value with a line break, as [`write`] does, and flushes.
    pub fn finish(mut self) -> io::Result<()> {
        self.out.write_all(b"\n")?;
        self.out.flush()
    }

    fn begin(&mut self, open: &[u8]) -> io::Result<()> {
        self.out.write_all(open)?;
        self.open.push(false);
        Ok(())
    }

    fn end(&mut self, close: &[u8]) -> io::Result<()> {
        if self.open.pop() == Some(true) {
            self.out.write_all(b"\n")?;
            indent(&mut self.out, self.open.len())?;
        }
        self.out.write_all(close)
    }

    fn next_member(&mut self) -> io::Result<()> {
        let had = self.open.last_mut().map(|had| std::mem::replace(had, true));
        self.out
            .write_all(if had == Some(true) { b",\n" } else { b"\n" })?;
        indent(&mut self.out, self.open.len())
    }
}

/// Two spaces for each level open, as serde_json's pretty printer.
fn indent(out: &mut impl Write, depth: usize) -> io::Result<()> {
    for _ in 0..depth {
        out.write_all(b"  ")?;
    }
    Ok(())
}

/// Writes, as [`write`] would the list of them, the entries of a trail as
/// `fill` hands them over one by one: `audit --json` holds none.
pub fn write_entries<X: From<io::Error>>(
    out: &mut dyn Write,
    fill: impl FnOnce(&mut dyn FnMut(&audit::Entry) -> Result<(), X>) -> Result<(), X>,
) -> Result<(), X> {
    let mut json = Streaming::new(out);
    json.begin_list()?;
    fill(&mut |entry| Ok(json.element(&Entry::of(entry))?))?;
    json.end_list()?;
    Ok(json.finish()?)
}

/// The last event of the chain: its sequence number and hash.
#[derive(Clone, Debug, Serialize)]
pub struct Head {
    pub seq: u64,
    pub hash: String,
}

impl Head {
    fn of(head: Option<(u64, Hash)>) -> Option<Head> {
        head.map(|(seq, hash)| Head {
            seq,
            hash: hex::encode(hash),
        })
    }
}

/// Who made a change, when it took effect and when the ledger recorded it:
/// flattened into every object that is a change.
#[derive(Clone, Debug, Serialize)]
pub struct Stamp<'a> {
    pub seq: u64,
    pub recorded_at: String,
    pub actor: &'a str,
    pub effective: String,
    pub effective_stated: bool,
}

impl<'a> Stamp<'a> {
    fn of(change: &'a Change) -> Stamp<'a> {
        Stamp {
            actor: &change.actor,
            effective: change.effective.to_string(),
            effective_stated: change.effective_stated,
            recorded_at: format_micros(change.recorded_at),
            seq: change.seq,
        }
    }

    /// A stamp from a stated effective date, if any, and the recorded time.
    fn stated(actor: &'a str, effective: Option<FuzzyDate>, recorded_at: Micros, seq: u64) -> Self {
        Stamp {
            actor,
            effective: effective
                .unwrap_or_else(|| FuzzyDate::from_naive(day_of(recorded_at)))
                .to_string(),
            effective_stated: effective.is_some(),
            recorded_at: format_micros(recorded_at),
            seq,
        }
    }
}

// ---------------------------------------------------------------------------
// show --json and export --format json

/// The plan as it stands: `show --json` and `export --format json`.
#[derive(Clone, Debug, Serialize)]
pub struct Show<'a> {
    /// The day "overdue" is judged on.
    pub as_of_day: String,
    pub head: Option<Head>,
    pub plans: Vec<Plan<'a>>,
    /// The first read back that failed while the plans were written.
    #[serde(skip)]
    failed: Failed,
}

/// Where a plan's actions leave the read that failed, for [`Show::write`]
/// to return as it was (serde can carry only its words).
type Failed = std::rc::Rc<std::cell::RefCell<Option<RecallError>>>;

impl<'a> Show<'a> {
    /// The state as `show --json` shows it. The words of milestones and
    /// claims are read back from `recall` one action at a time, as each is
    /// written out ([`Actions`]); a failed read fails the writing.
    pub fn new(state: &'a State, recall: &'a dyn Recall, today: NaiveDate) -> Show<'a> {
        let failed = Failed::default();
        let mut by_plan = state.actions_by_plan();
        let plans = state
            .plans
            .values()
            .map(|plan| {
                let actions = Actions {
                    actions: by_plan.remove(&plan.id).unwrap_or_default(),
                    recall,
                    today,
                    failed: failed.clone(),
                };
                Plan::new(state, plan, actions)
            })
            .collect();
        Show {
            as_of_day: today.to_string(),
            head: Head::of(state.head),
            plans,
            failed,
        }
    }

    /// [`write`]s it; a read back that failed is returned as the
    /// [`RecallError`] it was, inside the I/O error, so that the command
    /// says the ledger is damaged.
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        write(self, out).map_err(|e| match self.failed.borrow_mut().take() {
            Some(failed) => io::Error::other(failed),
            None => e,
        })
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Plan<'a> {
    pub id: String,
    pub title: String,
    pub partnership: &'a str,
    pub review: &'a str,
    pub chair: Option<&'a str>,
    pub published: Option<String>,
    pub recommendations: Vec<Recommendation<'a>>,
    pub actions: Actions<'a>,
    /// Over the actions shown.
    pub coverage: Coverage,
}

/// A plan's actions, each built, with its milestones and claims read back,
/// as it is written: a plan of 100,000 actions is never held whole.
#[derive(Clone)]
pub struct Actions<'a> {
    actions: Vec<&'a projection::Action>,
    recall: &'a dyn Recall,
    today: NaiveDate,
    failed: Failed,
}

impl std::fmt::Debug for Actions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<String> = self.actions.iter().map(|a| a.id.to_string()).collect();
        f.debug_struct("Actions").field("ids", &ids).finish()
    }
}

impl Serialize for Actions<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for &action in &self.actions {
            let details = self.details(action)?;
            seq.serialize_element(&Action::new(action, &details, self.today))?;
        }
        seq.end()
    }
}

impl<'a> Actions<'a> {
    /// Takes the actions out, leaving none: for a writer that writes the
    /// rest of the plan as a value and the actions one at a time.
    pub fn take(&mut self) -> Actions<'a> {
        Actions {
            actions: std::mem::take(&mut self.actions),
            recall: self.recall,
            today: self.today,
            failed: self.failed.clone(),
        }
    }

    /// Calls `each` with each action as a JSON value, built (its words read
    /// back) and let go of in turn; a failed read fails it as
    /// serialization does.
    pub fn each_value(
        &self,
        mut each: impl FnMut(Value) -> Result<(), serde_json::Error>,
    ) -> Result<(), serde_json::Error> {
        for &action in &self.actions {
            let details = self.details(action)?;
            each(serde_json::to_value(Action::new(
                action, &details, self.today,
            ))?)?;
        }
        Ok(())
    }

    /// The action's milestones and claims read back; a failed read is kept
    /// for [`Show::write`] and returned in words.
    fn details<E: serde::ser::Error>(&self, action: &projection::Action) -> Result<Details, E> {
        recall::details(self.recall, action).map_err(|e| {
            let words = E::custom(&e);
            *self.failed.borrow_mut() = Some(e);
            words
        })
    }
}

impl<'a> Plan<'a> {
    fn new(state: &'a State, plan: &'a projection::Plan, actions: Actions<'a>) -> Plan<'a> {
        let coverage = Coverage::of(&coverage::of_actions(state, plan.id, &actions.actions));
        Plan {
            id: plan.id.to_string(),
            title: plan.title(),
            partnership: &plan.partnership,
            review: &plan.review,
            chair: plan.chair.as_deref(),
            published: plan.published.map(|d| d.to_string()),
            recommendations: plan
                .recommendations
                .values()
                .map(|r| Recommendation {
                    id: r.number.to_string(),
                    number: r.number,
                    text: &r.text,
                    scope: r.scope.as_deref(),
                })
                .collect(),
            actions,
            coverage,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Recommendation<'a> {
    pub id: String,
    pub number: RecId,
    pub text: &'a str,
    pub scope: Option<&'a str>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Action<'a> {
    pub id: String,
    pub plan: String,
    pub agency: &'a str,
    pub text: &'a str,
    pub lead: Option<&'a str>,
    pub scope: Option<&'a str>,
    pub recommendations: Vec<String>,
    pub status: &'static str,
    pub status_reason: Option<&'a str>,
    pub target: Option<Target>,
    pub overdue: bool,
    pub milestones: Vec<Milestone<'a>>,
    pub claims: Vec<Claim<'a>>,
    pub added: Stamp<'a>,
    pub last_changed: Stamp<'a>,
    /// How `recommendations` were last decided; `null`: as the action cited
    /// them when it was added.
    pub link: Option<Link<'a>>,
}

/// How an action's recommendations were decided (`ActionLinked`).
#[derive(Clone, Debug, Serialize)]
pub struct Link<'a> {
    /// `wording`, `stated` or `own`.
    pub basis: &'static str,
    /// For a link by wording, the share of words; otherwise `null`.
    pub shared_percent: Option<u8>,
    /// False only for a link by wording no person has confirmed.
    pub confirmed: bool,
    /// A stated link's reason, or the words of the agency's own
    /// recommendation.
    pub note: Option<&'a str>,
    #[serde(flatten)]
    pub at: Stamp<'a>,
}

impl<'a> Action<'a> {
    /// The action as `show --json` shows it, with its milestones and claims
    /// as read back ([`recall::details`]).
    pub fn new(
        action: &'a projection::Action,
        details: &'a Details,
        today: NaiveDate,
    ) -> Action<'a> {
        Action {
            id: action.id.to_string(),
            plan: action.plan.to_string(),
            agency: &action.agency,
            text: &action.text,
            lead: action.lead.as_deref(),
            scope: action.scope.as_deref(),
            recommendations: action
                .recommendations
                .iter()
                .map(|n| n.to_string())
                .collect(),
            status: action.status.as_str(),
            status_reason: action.status_reason.as_deref(),
            target: action.target.as_ref().map(Target::of),
            overdue: action.is_overdue(today),
            milestones: details
                .milestones
                .iter()
                .map(|m| Milestone {
                    note: &m.note,
                    at: Stamp::of(&m.at),
                    by: &m.at.actor,
                })
                .collect(),
            claims: details.claims.iter().map(Claim::of).collect(),
            added: Stamp::of(&action.added),
            last_changed: Stamp::of(&action.last_changed),
            link: action.link.as_ref().map(|link| Link {
                basis: link.basis.name(),
                shared_percent: match link.basis {
                    LinkBasis::Wording { shared_percent } => Some(shared_percent),
                    LinkBasis::Stated | LinkBasis::Own => None,
                },
                confirmed: !link.basis.is_unconfirmed(),
                note: link.note.as_deref(),
                at: Stamp::of(&link.at),
            }),
        }
    }
}

/// A target as the plan words it, with the date read from it, if any.
#[derive(Clone, Debug, Serialize)]
pub struct Target {
    pub text: String,
    pub date: Option<String>,
    pub precision: Option<&'static str>,
}

impl Target {
    fn of(target: &TargetDate) -> Target {
        Target {
            text: target.text.clone(),
            date: target.date.map(|d| d.to_string()),
            precision: target.date.map(|d| d.precision().as_str()),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Milestone<'a> {
    pub note: &'a str,
    #[serde(flatten)]
    pub at: Stamp<'a>,
    /// The older name of `actor`.
    pub by: &'a str,
}

#[derive(Clone, Debug, Serialize)]
pub struct Claim<'a> {
    pub number: ClaimNo,
    pub outcome: &'a str,
    pub evidence: Vec<Evidence<'a>>,
    #[serde(flatten)]
    pub at: Stamp<'a>,
    /// The older name of `actor`.
    pub by: &'a str,
    pub assurance: Option<Assurance<'a>>,
}

impl<'a> Claim<'a> {
    fn of(claim: &'a recall::Claim) -> Claim<'a> {
        Claim {
            number: claim.number,
            outcome: &claim.outcome,
            evidence: claim
                .evidence
                .iter()
                .map(|e| Evidence {
                    name: &e.name,
                    size: e.size,
                    blake3: hex::encode(e.blake3),
                })
                .collect(),
            at: Stamp::of(&claim.at),
            by: &claim.at.actor,
            assurance: claim.assurance.as_ref().map(|a| Assurance {
                decision: if a.accepted { "accepted" } else { "challenged" },
                finding: &a.finding,
                at: Stamp::of(&a.at),
                by: &a.at.actor,
            }),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Evidence<'a> {
    pub name: &'a str,
    pub size: u64,
    pub blake3: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Assurance<'a> {
    /// `accepted` or `challenged`.
    pub decision: &'static str,
    pub finding: &'a str,
    #[serde(flatten)]
    pub at: Stamp<'a>,
    /// The older name of `actor`.
    pub by: &'a str,
}

// ---------------------------------------------------------------------------
// history --json, audit --json, and the events of diff --json

/// One audit-trail entry.
#[derive(Clone, Debug, Serialize)]
pub struct Entry<'a> {
    #[serde(flatten)]
    pub at: Stamp<'a>,
    pub tx: u64,
    pub clock: String,
    pub event: EventKind,
    pub plan: Option<String>,
    pub action: Option<String>,
    pub agency: Option<&'a str>,
    pub change: &'a str,
    pub backdated_days: Option<i64>,
    pub source: Option<&'a str>,
    /// `null` for a change by a name as typed; else the fingerprint of the
    /// key that signed it, and whether it came as a return.
    pub signed: Option<SignedBy<'a>>,
}

/// Who signed a change.
#[derive(Clone, Debug, Serialize)]
pub struct SignedBy<'a> {
    pub key: &'a str,
    #[serde(rename = "return")]
    pub by_return: bool,
}

impl<'a> Entry<'a> {
    pub fn of(entry: &'a audit::Entry) -> Entry<'a> {
        Entry {
            at: Stamp::stated(&entry.actor, entry.effective, entry.recorded_at, entry.seq),
            tx: entry.tx,
            clock: clock_words(entry.clock),
            event: entry.kind,
            plan: entry.plan.map(|p| p.to_string()),
            action: entry.action.map(|a| a.to_string()),
            agency: entry.agency.as_deref(),
            change: &entry.change,
            backdated_days: entry.backdated_days,
            source: entry.source.as_deref(),
            signed: match &entry.signed {
                audit::Signed::Unsigned => None,
                audit::Signed::Key {
                    fingerprint,
                    by_return,
                } => Some(SignedBy {
                    key: fingerprint,
                    by_return: *by_return,
                }),
            },
        }
    }

    /// The entries of a trail, in order: `history --json` and `audit --json`.
    pub fn list(entries: &'a [audit::Entry]) -> Vec<Entry<'a>> {
        entries.iter().map(Entry::of).collect()
    }
}

// ---------------------------------------------------------------------------
// summary --json

/// Numbers keyed by name, in a fixed order (a JSON object).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally(pub Vec<(&'static str, usize)>);

impl Serialize for Tally {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, n) in &self.0 {
            map.serialize_entry(key, n)?;
        }
        map.end()
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Counts {
    pub actions: usize,
    /// Every status, in `Status::ALL` order.
    pub by_status: Tally,
    pub overdue: usize,
    pub awaiting_assurance: usize,
    pub backdated_entries: usize,
    /// Every category, in `Category::ALL` order.
    pub by_category: Tally,
}

impl Counts {
    fn of(c: &summary::Counts) -> Counts {
        Counts {
            actions: c.actions,
            by_status: Tally(
                Status::ALL
                    .iter()
                    .map(|s| (s.as_str(), c.status(*s)))
                    .collect(),
            ),
            overdue: c.overdue,
            awaiting_assurance: c.awaiting_assurance,
            backdated_entries: c.backdated,
            by_category: Tally(
                Category::ALL
                    .iter()
                    .map(|k| (k.key(), c.category(*k)))
                    .collect(),
            ),
        }
    }
}

/// `summary --json`.
#[derive(Clone, Debug, Serialize)]
pub struct Summary<'a> {
    pub today: String,
    pub total: Counts,
    pub backdated_entries: usize,
    pub plans: Vec<PlanSummary<'a>>,
    pub awaiting_assurance: Vec<Awaiting<'a>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PlanSummary<'a> {
    pub id: String,
    pub title: &'a str,
    pub counts: Counts,
    pub agencies: Vec<AgencySummary<'a>>,
    pub coverage: Coverage,
}

/// Which recommendations have no action, and which actions answer none
/// (`query::coverage`).
#[derive(Clone, Debug, Serialize)]
pub struct Coverage {
    pub recommendations: usize,
    pub actions: usize,
    pub recommendations_without_action: Vec<String>,
    pub recommendations_only_withdrawn: Vec<String>,
    pub actions_citing_none: Vec<String>,
    pub actions_answering_own_recommendation: Vec<String>,
    pub actions_stated_none: Vec<String>,
    pub actions_unlinked: Vec<String>,
    pub unconfirmed_links: Vec<UnconfirmedLink>,
}

/// An action linked by its wording, not yet confirmed by a person.
#[derive(Clone, Debug, Serialize)]
pub struct UnconfirmedLink {
    pub action: String,
    pub recommendations: Vec<String>,
}

impl Coverage {
    pub fn of(coverage: &coverage::Coverage) -> Coverage {
        Coverage {
            recommendations: coverage.recommendations,
            actions: coverage.actions,
            recommendations_without_action: coverage
                .without_action
                .iter()
                .map(ToString::to_string)
                .collect(),
            recommendations_only_withdrawn: coverage
                .only_withdrawn
                .iter()
                .map(ToString::to_string)
                .collect(),
            actions_citing_none: ids(&coverage.answering_none),
            actions_answering_own_recommendation: ids(&coverage.own),
            actions_stated_none: ids(&coverage.stated_none),
            actions_unlinked: ids(&coverage.unlinked),
            unconfirmed_links: coverage
                .unconfirmed
                .iter()
                .map(|(action, recs)| UnconfirmedLink {
                    action: action.to_string(),
                    recommendations: ids(recs),
                })
                .collect(),
        }
    }
}

/// Ids as people write them: `["A3", "A7"]`.
fn ids<I: ToString>(ids: &[I]) -> Vec<String> {
    ids.iter().map(ToString::to_string).collect()
}

#[derive(Clone, Debug, Serialize)]
pub struct AgencySummary<'a> {
    pub agency: &'a str,
    pub counts: Counts,
}

/// A claim awaiting an assurance decision.
#[derive(Clone, Debug, Serialize)]
pub struct Awaiting<'a> {
    pub plan: String,
    pub action: String,
    pub agency: &'a str,
    pub claim: ClaimNo,
    pub outcome: &'a str,
    #[serde(flatten)]
    pub at: Stamp<'a>,
    /// The older name of `actor`.
    pub claimed_by: &'a str,
    pub days_waiting: i64,
}

impl<'a> Summary<'a> {
    pub fn new(summary: &'a summary::Summary) -> Summary<'a> {
        Summary {
            today: summary.today.to_string(),
            total: Counts::of(&summary.total),
            backdated_entries: summary.backdated_entries,
            plans: summary
                .plans
                .iter()
                .map(|p| PlanSummary {
                    id: p.plan.to_string(),
                    title: &p.title,
                    counts: Counts::of(&p.counts),
                    agencies: p
                        .agencies
                        .iter()
                        .map(|a| AgencySummary {
                            agency: &a.agency,
                            counts: Counts::of(&a.counts),
                        })
                        .collect(),
                    coverage: Coverage::of(&p.coverage),
                })
                .collect(),
            awaiting_assurance: summary
                .awaiting
                .iter()
                .map(|a| Awaiting {
                    plan: a.plan.to_string(),
                    action: a.action.to_string(),
                    agency: &a.agency,
                    claim: a.claim,
                    outcome: &a.outcome,
                    at: Stamp::of(&a.at),
                    claimed_by: &a.at.actor,
                    days_waiting: a.days_waiting,
                })
                .collect(),
        }
    }
}

// ---------------------------------------------------------------------------
// diff --json

/// `diff --json`: the two points as given, the status moves and the events.
/// The events are not held: [`Diff::write`] writes them as they are read.
#[derive(Clone, Debug)]
pub struct Diff<'a> {
    pub from: &'a str,
    pub to: Option<&'a str>,
    /// `recorded` or `valid`.
    pub axis: &'static str,
    pub moves: Vec<Move<'a>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Move<'a> {
    pub action: String,
    pub agency: &'a str,
    /// `null` when the action did not exist at the first point.
    pub from: Option<&'static str>,
    pub to: &'static str,
}

impl<'a> Diff<'a> {
    /// `from` and `to` are the points as the user gave them.
    pub fn new(
        from: &'a str,
        to: Option<&'a str>,
        span: Span,
        moves: &'a [diff::Move],
    ) -> Diff<'a> {
        Diff {
            from,
            to,
            axis: match span {
                Span::Recorded { .. } => "recorded",
                Span::Valid { .. } => "valid",
            },
            moves: moves
                .iter()
                .map(|m| Move {
                    action: m.action.to_string(),
                    agency: &m.agency,
                    from: m.from.map(Status::as_str),
                    to: m.to.as_str(),
                })
                .collect(),
        }
    }

    /// Writes it with its `events` last, each as `fill` hands it over.
    pub fn write<X: From<io::Error>>(
        &self,
        out: &mut dyn Write,
        fill: impl FnOnce(&mut dyn FnMut(&audit::Entry) -> Result<(), X>) -> Result<(), X>,
    ) -> Result<(), X> {
        let mut json = Streaming::new(out);
        json.begin_object()?;
        json.field("from", &self.from)?;
        json.field("to", &self.to)?;
        json.field("axis", &self.axis)?;
        json.field("moves", &self.moves)?;
        json.key("events")?;
        json.begin_list()?;
        fill(&mut |entry| Ok(json.element(&Entry::of(entry))?))?;
        json.end_list()?;
        json.end_object()?;
        Ok(json.finish()?)
    }
}

// ---------------------------------------------------------------------------
// verify --json

/// `verify --json`.
#[derive(Clone, Debug, Serialize)]
pub struct Verify<'a> {
    pub ok: bool,
    /// The ledger's id, as its genesis states it.
    pub ledger_id: Option<String>,
    pub events: u64,
    pub transactions: u64,
    pub head: Option<Head>,
    pub first_bad_seq: Option<u64>,
    pub problems: Vec<Problem>,
    pub clock_overridden_txs: &'a [u64],
    pub clock_held_txs: &'a [u64],
    pub snapshots_checked: u64,
    /// Events the action index lists, each checked against the event it names.
    pub action_index_checked: u64,
    /// Free texts erased by redactions, each checked against its
    /// redaction.
    pub redacted_texts: u64,
    pub upgraded_from: Option<UpgradedFrom>,
    /// Transactions that are signed requests, and the first of them.
    pub signed_transactions: u64,
    pub first_signed_tx: Option<u64>,
    /// Each checkpoint given with `--checkpoint`, held against the ledger.
    pub checkpoints: Vec<VerifyCheckpoint>,
}

/// One checkpoint held against the ledger (`verify --checkpoint`).
#[derive(Clone, Debug, Serialize)]
pub struct VerifyCheckpoint {
    pub file: String,
    /// The head it vouches for.
    pub head: Head,
    /// True when the ledger holds exactly that history and has only grown.
    pub holds: bool,
    /// What was found, in words; `null` when it was not compared (the
    /// ledger fails verification).
    pub result: Option<String>,
    pub signatures: Vec<CheckpointSignature>,
}

/// One checked signature of a checkpoint.
#[derive(Clone, Debug, Serialize)]
pub struct CheckpointSignature {
    /// `signer` or `witness`.
    pub role: &'static str,
    pub name: String,
    /// The key's fingerprint: 16 hex digits.
    pub key: String,
    /// What the key was in the ledger at the checkpoint's head, in words
    /// (an actor's, with their roles; a former or revoked key; no actor's),
    /// when compared.
    pub standing: Option<String>,
}

/// The earlier-format ledger an upgraded ledger carries, as its genesis
/// names it.
#[derive(Clone, Debug, Serialize)]
pub struct UpgradedFrom {
    pub ledger_id: String,
    pub format_version: u32,
    /// Its head when it was carried: its last event.
    pub head: Head,
    pub events: u64,
}

impl UpgradedFrom {
    fn of(from: &projection::UpgradedFrom) -> UpgradedFrom {
        UpgradedFrom {
            ledger_id: hex::encode(from.ledger_id),
            format_version: from.format_version,
            head: Head {
                seq: from.events.saturating_sub(1),
                hash: hex::encode(from.head_hash),
            },
            events: from.events,
        }
    }
}

/// One thing `verify` found wrong.
#[derive(Clone, Debug, Serialize)]
pub struct Problem {
    pub seq: u64,
    /// What is wrong, in words (the sentence `verify` prints).
    pub what: String,
    /// The kind of problem, a stable snake_case name for programs.
    pub kind: &'static str,
    /// The older name of `what`.
    pub problem: String,
}

impl<'a> Verify<'a> {
    pub fn new(report: &'a verify::Report) -> Verify<'a> {
        Verify {
            ok: report.ok(),
            ledger_id: report.ledger_id.map(hex::encode),
            events: report.events,
            transactions: report.transactions,
            head: Head::of(report.head),
            first_bad_seq: report.first_bad_seq(),
            problems: report
                .problems
                .iter()
                .map(|p| Problem {
                    seq: p.seq,
                    what: p.kind.to_string(),
                    kind: p.kind.name(),
                    problem: p.kind.to_string(),
                })
                .collect(),
            clock_overridden_txs: &report.clock_overridden,
            clock_held_txs: &report.clock_held,
            snapshots_checked: report.snapshots,
            action_index_checked: report.action_index_entries,
            redacted_texts: report.redacted_texts,
            upgraded_from: report.upgraded_from.as_ref().map(UpgradedFrom::of),
            signed_transactions: report.signed_transactions,
            first_signed_tx: report.first_signed_tx,
            checkpoints: Vec::new(),
        }
    }

    /// With the checkpoints held against the ledger: `ok` only if each
    /// holds too.
    pub fn with_checkpoints(mut self, checkpoints: Vec<VerifyCheckpoint>) -> Verify<'a> {
        self.ok = self.ok && checkpoints.iter().all(|c| c.holds);
        self.checkpoints = checkpoints;
        self
    }
}

// ---------------------------------------------------------------------------
// verify-pack --json

/// `verify-pack --json`: what a pack proves, or the first thing that fails
/// (every field of the pack then `null`).
#[derive(Clone, Debug, Serialize)]
pub struct VerifyPack {
    pub ok: bool,
    pub ledger_id: Option<String>,
    pub scope: Option<PackScope>,
    pub as_of: Option<AsOf>,
    pub head: Option<Head>,
    pub events: Option<u64>,
    pub disclosed: Option<u64>,
    pub withheld: Option<u64>,
    pub texts_redacted: Option<u64>,
    pub in_scope_after_as_of: Option<u64>,
    /// A version-3 pack's checkpoint of its head: who signed it (the
    /// signer first, then each witness), every signature checked; `null`
    /// for a pack without one.
    pub checkpoint: Option<Vec<PackSigner>>,
    /// The first thing that fails, alone: a pack is checked in order and
    /// the check stops there.
    pub problems: Vec<PackProblem>,
}

/// One signature on a pack's checkpoint.
#[derive(Clone, Debug, Serialize)]
pub struct PackSigner {
    /// `signer` or `witness`.
    pub role: &'static str,
    pub name: String,
    /// The key's fingerprint: 16 hex digits.
    pub key: String,
}

/// Which history a pack discloses.
#[derive(Clone, Debug, Serialize)]
pub struct PackScope {
    /// `ledger`, `plan` or `action`.
    pub kind: &'static str,
    pub plan: Option<String>,
    pub action: Option<String>,
}

/// The last event a pack's projection folds.
#[derive(Clone, Debug, Serialize)]
pub struct AsOf {
    pub seq: u64,
    pub hash: String,
    pub recorded_at: String,
}

/// What is wrong with a pack.
#[derive(Clone, Debug, Serialize)]
pub struct PackProblem {
    /// The line of the pack (from 1), when the fault is on one.
    pub line: Option<usize>,
    /// The event, when the fault is at one.
    pub seq: Option<u64>,
    /// What is wrong, in words (the sentence `verify-pack` prints).
    pub what: String,
    /// The kind of fault, a stable snake_case name for programs.
    pub kind: &'static str,
}

impl VerifyPack {
    pub fn new(checked: &Result<pack::PackReport, pack::PackFault>) -> VerifyPack {
        match checked {
            Ok(report) => VerifyPack {
                ok: true,
                ledger_id: Some(hex::encode(report.ledger_id)),
                scope: Some(PackScope {
                    kind: report.scope.kind(),
                    plan: report.scope.plan().map(|p| p.to_string()),
                    action: report.scope.action().map(|a| a.to_string()),
                }),
                as_of: Some(AsOf {
                    seq: report.as_of.0,
                    hash: hex::encode(report.as_of.1),
                    recorded_at: format_micros(report.as_of.2),
                }),
                head: Head::of(Some(report.head)),
                events: Some(report.events),
                disclosed: Some(report.disclosed),
                withheld: Some(report.withheld()),
                texts_redacted: Some(report.texts_redacted),
                in_scope_after_as_of: Some(report.in_scope_after_as_of),
                checkpoint: report.checkpoint.as_ref().map(|checkpoint| {
                    checkpoint
                        .signatures()
                        .iter()
                        .map(|signed| PackSigner {
                            role: signed.identity.role.label(),
                            name: signed.identity.name.clone(),
                            key: signed.identity.fingerprint(),
                        })
                        .collect()
                }),
                problems: Vec::new(),
            },
            Err(fault) => VerifyPack {
                ok: false,
                ledger_id: None,
                scope: None,
                as_of: None,
                head: None,
                events: None,
                disclosed: None,
                withheld: None,
                texts_redacted: None,
                in_scope_after_as_of: None,
                checkpoint: None,
                problems: vec![PackProblem {
                    line: fault.line(),
                    seq: fault.seq(),
                    what: fault.to_string(),
                    kind: fault.name(),
                }],
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Written a piece at a time, a value is byte for byte what [`write`]
    /// gives for it whole: empty and nested lists and objects, and strings
    /// holding line breaks, quotes and wide characters.
    #[test]
    fn streaming_writes_what_write_writes() {
        let element = |n: u64| {
            serde_json::json!({
                "seq": n,
                "change": "line one\nline \"two\" — ✓",
                "nested": {"empty": [], "none": {}, "list": [1, [2, []]]},
            })
        };
        #[derive(Serialize)]
        struct Whole {
            from: &'static str,
            to: Option<&'static str>,
            moves: Vec<Value>,
            events: Vec<Value>,
            after: Value,
        }
        let whole = Whole {
            from: "2022-01-01",
            to: None,
            moves: Vec::new(),
            events: vec![element(1), element(2)],
            after: serde_json::json!({}),
        };
        let mut expected = Vec::new();
        write(&whole, &mut expected).expect("written whole");

        let mut streamed = Vec::new();
        let mut json = Streaming::new(&mut streamed);
        json.begin_object().expect("written");
        json.field("from", &"2022-01-01").expect("written");
        json.field("to", &None::<&str>).expect("written");
        json.key("moves").expect("written");
        json.begin_list().expect("written");
        json.end_list().expect("written");
        json.key("events").expect("written");
        json.begin_list().expect("written");
        json.element(&element(1)).expect("written");
        json.element(&element(2)).expect("written");
        json.end_list().expect("written");
        json.field("after", &serde_json::json!({}))
            .expect("written");
        json.end_object().expect("written");
        json.finish().expect("written");
        assert_eq!(
            String::from_utf8(streamed).expect("UTF-8"),
            String::from_utf8(expected).expect("UTF-8")
        );

        for entries in [0, 1, 3] {
            let list: Vec<_> = (0..entries).map(element).collect();
            let mut expected = Vec::new();
            write(&list, &mut expected).expect("written whole");
            let mut streamed = Vec::new();
            let mut json = Streaming::new(&mut streamed);
            json.begin_list().expect("written");
            for value in &list {
                json.element(value).expect("written");
            }
            json.end_list().expect("written");
            json.finish().expect("written");
            assert_eq!(streamed, expected, "a list of {entries}");
        }
    }

    /// A milestone the state names whose event cannot be read back fails
    /// `show --json` with the read's own error, which the command takes for
    /// damage (exit 3), not with words alone.
    #[test]
    fn a_read_back_that_fails_is_returned_as_itself() {
        use std::collections::BTreeMap;

        use crate::event::{Event, Record};
        use crate::id::{ActionId, PlanId};
        use crate::recall::test_record;
        let day = FuzzyDate::parse_iso("2020-09-14").expect("a date");
        let plan = PlanId::of(1);
        let action = ActionId::of(1);
        let events = [
            Event::PlanAdded {
                plan,
                partnership: "CSP".into(),
                review: "Alice".into(),
                chair: None,
                published: None,
            },
            Event::ActionAdded {
                action,
                plan,
                agency: "Police".into(),
                lead: None,
                text: "Train staff".into(),
                scope: None,
                recommendations: Vec::new(),
                target: None,
            },
            Event::MilestoneNoted {
                action,
                note: "Training booked".into(),
            },
        ];
        let records: Vec<Record> = events
            .into_iter()
            .map(|event| test_record("Lead", day, event))
            .collect();
        let state = State::fold(
            records
                .iter()
                .enumerate()
                .map(|(seq, r)| (seq as u64, [0; 32], r)),
        );
        let mut recall: BTreeMap<u64, Record> = BTreeMap::new();
        let mut out = Vec::new();
        let error = Show::new(&state, &recall, NaiveDate::MIN)
            .write(&mut out)
            .expect_err("the milestone is not there to read");
        let inner = error.get_ref().expect("an error inside");
        assert!(
            matches!(
                inner.downcast_ref::<RecallError>(),
                Some(RecallError::Missing { seq: 2 })
            ),
            "{inner}"
        );
        recall.insert(2, records[2].clone());
        let mut out = Vec::new();
        Show::new(&state, &recall, NaiveDate::MIN)
            .write(&mut out)
            .expect("written");
        assert!(String::from_utf8_lossy(&out).contains("Training booked"));
    }

    #[test]
    fn a_stamp_without_a_stated_date_takes_the_recorded_day_and_says_so() {
        let recorded =
            crate::time::parse_instant("2022-01-12T09:00:00Z", crate::time::DayEnd::Start)
                .expect("an instant");
        let unstated = Stamp::stated("Ann", None, recorded, 4);
        assert_eq!(
            (unstated.effective.as_str(), unstated.effective_stated),
            ("2022-01-12", false)
        );
        let stated = Stamp::stated("Ann", FuzzyDate::month(2021, 10), recorded, 4);
        assert_eq!(
            (stated.effective.as_str(), stated.effective_stated),
            ("2021-10", true)
        );
    }

    #[test]
    fn a_tally_keeps_its_order() {
        let tally = Tally(vec![("open", 2), ("assured", 1)]);
        assert_eq!(
            serde_json::to_string(&tally).expect("serializes"),
            r#"{"open":2,"assured":1}"#
        );
    }

    #[test]
    fn a_verify_problem_has_seq_what_and_kind() {
        let mut report = verify::Report::default();
        report.problems.push(verify::Problem {
            seq: 7,
            kind: verify::ProblemKind::SecondGenesis,
        });
        let value = serde_json::to_value(Verify::new(&report)).expect("serializes");
        assert_eq!(value["ok"], false);
        assert_eq!(value["first_bad_seq"], 7);
        let problem = &value["problems"][0];
        assert_eq!(problem["seq"], 7);
        assert_eq!(problem["kind"], "second_genesis");
        assert_eq!(
            problem["what"],
            verify::ProblemKind::SecondGenesis.to_string()
        );
        assert_eq!(problem["problem"], problem["what"]);
    }
}
