//! The plan at a glance: per plan and per agency, how many actions stand in
//! each status, how many are overdue, which claims wait for assurance and for
//! how long, how many entries were backdated, and the same actions grouped in
//! the Domestic Abuse Commissioner's categories.
//!
//! [`summarize`] is pure: it reads a [`State`], the audit trail built from
//! the same events and the day to judge "overdue" by, and returns numbers.
//! Nothing here depends on hash-map order.
//!
//! # Categories
//!
//! [`category`] is the one table from an action to a category. Its rules are
//! tried in order and the first that fits wins:
//!
//! | status | condition | category |
//! |---|---|---|
//! | assured | | fully implemented |
//! | claimed, challenged | | partly met |
//! | embedded | | happening already |
//! | withdrawn | | withdrawn |
//! | open, in progress | overdue on the day | not met |
//! | open | no milestone and no claim ever recorded | missing |
//! | open, in progress | otherwise (not yet due) | in progress, not yet due |
//!
//! "Partly met" means a completion has been claimed but not yet assured, or
//! a claim was challenged: something was done, and nobody has verified that
//! it was enough. "Not met" comes before "missing": an overdue action is not
//! met whatever else is known about it. "Missing" is the Commissioner's
//! "no evidence of progress at all": an open action with nothing recorded
//! about it beyond its addition.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;

use crate::id::{ActionId, ClaimNo, PlanId};
use crate::projection::{Action, Change, State};
use crate::query::coverage::{self, Coverage};
use crate::recall::{self, Recall, RecallError};
use crate::status::Status;
use crate::time::day_of;

/// The Domestic Abuse Commissioner's implementation categories, plus the two
/// rows needed to account for every action. The order is the order reports
/// show them in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    FullyImplemented,
    PartlyMet,
    NotMet,
    HappeningAlready,
    Missing,
    InProgressNotYetDue,
    Withdrawn,
}

impl Category {
    pub const ALL: [Category; 7] = [
        Category::FullyImplemented,
        Category::PartlyMet,
        Category::NotMet,
        Category::HappeningAlready,
        Category::Missing,
        Category::InProgressNotYetDue,
        Category::Withdrawn,
    ];

    /// The words reports use.
    pub fn label(self) -> &'static str {
        match self {
            Category::FullyImplemented => "fully implemented",
            Category::PartlyMet => "partly met",
            Category::NotMet => "not met",
            Category::HappeningAlready => "happening already",
            Category::Missing => "missing",
            Category::InProgressNotYetDue => "in progress, not yet due",
            Category::Withdrawn => "withdrawn",
        }
    }

    /// A stable key for JSON.
    pub fn key(self) -> &'static str {
        match self {
            Category::FullyImplemented => "fully_implemented",
            Category::PartlyMet => "partly_met",
            Category::NotMet => "not_met",
            Category::HappeningAlready => "happening_already",
            Category::Missing => "missing",
            Category::InProgressNotYetDue => "in_progress_not_yet_due",
            Category::Withdrawn => "withdrawn",
        }
    }

    /// What the category means, in one line.
    pub fn meaning(self) -> &'static str {
        match self {
            Category::FullyImplemented => "assured: a completion claim accepted by assurance",
            Category::PartlyMet => "claimed but not yet assured, or the claim was challenged",
            Category::NotMet => "open or in progress, and past its target",
            Category::HappeningAlready => "embedded: completed and continuing as usual practice",
            Category::Missing => "open with no milestone and no claim: no evidence of progress",
            Category::InProgressNotYetDue => "open or in progress, target not yet passed",
            Category::Withdrawn => "no longer pursued, with a reason",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The one table from an action to its category on `today`; see the module
/// documentation.
pub fn category(action: &Action, today: NaiveDate) -> Category {
    match action.status {
        Status::Assured => Category::FullyImplemented,
        Status::Claimed | Status::Challenged => Category::PartlyMet,
        Status::Embedded => Category::HappeningAlready,
        Status::Withdrawn => Category::Withdrawn,
        Status::Open | Status::InProgress if action.is_overdue(today) => Category::NotMet,
        Status::Open if action.milestones.is_empty() && action.claims.is_empty() => {
            Category::Missing
        }
        Status::Open | Status::InProgress => Category::InProgressNotYetDue,
    }
}

/// Counts for one group of actions (a plan, an agency, or everything).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub actions: usize,
    pub by_status: BTreeMap<Status, usize>,
    pub by_category: BTreeMap<Category, usize>,
    pub overdue: usize,
    pub awaiting_assurance: usize,
    /// Audit-trail entries about these actions whose effective date lies
    /// well before their recorded day.
    pub backdated: usize,
}

impl Counts {
    pub fn status(&self, status: Status) -> usize {
        self.by_status.get(&status).copied().unwrap_or(0)
    }

    pub fn category(&self, category: Category) -> usize {
        self.by_category.get(&category).copied().unwrap_or(0)
    }

    fn add(&mut self, action: &Action, today: NaiveDate) {
        self.actions += 1;
        *self.by_status.entry(action.status).or_insert(0) += 1;
        *self.by_category.entry(category(action, today)).or_insert(0) += 1;
        if action.is_overdue(today) {
            self.overdue += 1;
        }
        if action.pending_claim().is_some() {
            self.awaiting_assurance += 1;
        }
    }
}

/// A completion claim waiting for an assurance decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Awaiting {
    pub plan: PlanId,
    pub action: ActionId,
    pub agency: String,
    pub claim: ClaimNo,
    pub outcome: String,
    /// Who claimed, the completion date they stated (if any) and when the
    /// ledger learned of the claim.
    pub at: Change,
    /// Whole days from the claim's recorded day to `today` (0 if `today` is
    /// earlier, as in a view of a past date).
    pub days_waiting: i64,
}

impl Awaiting {
    /// "A3 claim 1".
    pub fn reference(&self) -> String {
        format!("{} claim {}", self.action, self.claim)
    }

    /// The stated completion date, or "not stated".
    pub fn completed(&self) -> String {
        if self.at.effective_stated {
            self.at.effective.to_string()
        } else {
            "not stated".to_string()
        }
    }
}

/// One agency's actions within a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgencySummary {
    pub agency: String,
    pub counts: Counts,
}

/// One plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanSummary {
    pub plan: PlanId,
    pub title: String,
    pub counts: Counts,
    /// Agencies in name order.
    pub agencies: Vec<AgencySummary>,
    /// Which recommendations have no action, and which actions answer none.
    pub coverage: Coverage,
}

/// Everything [`summarize`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub today: NaiveDate,
    /// Every action of every plan.
    pub total: Counts,
    /// Plans in id order.
    pub plans: Vec<PlanSummary>,
    /// Claims awaiting assurance, the longest-waiting first.
    pub awaiting: Vec<Awaiting>,
    /// All backdated entries in the trail, including any not about an
    /// action (which no plan or agency count includes).
    pub backdated_entries: usize,
}

/// Summarizes `state` on `today`. `backdated` is the action of each
/// backdated entry of the audit trail of the same events
/// (`query::audit::trail`), `None` for an entry about no action: all a
/// summary reads of the trail, so that a caller streaming it keeps no more.
pub fn summarize(
    state: &State,
    recall: &dyn Recall,
    backdated: impl IntoIterator<Item = Option<ActionId>>,
    today: NaiveDate,
) -> Result<Summary, RecallError> {
    let mut total = Counts::default();
    let mut plans: BTreeMap<PlanId, (Counts, BTreeMap<String, Counts>)> = state
        .plans
        .keys()
        .map(|id| (*id, (Counts::default(), BTreeMap::new())))
        .collect();
    let mut awaiting = Vec::new();
    for action in state.actions.values() {
        total.add(action, today);
        let (plan_counts, agencies) = plans.entry(action.plan).or_default();
        plan_counts.add(action, today);
        agencies
            .entry(action.agency.clone())
            .or_default()
            .add(action, today);
        if let Some(claim) = action.pending_claim() {
            let claim = recall::claim(recall, claim)?;
            awaiting.push(Awaiting {
                plan: action.plan,
                action: action.id,
                agency: action.agency.clone(),
                claim: claim.number,
                // Waiting starts when the ledger learned of the claim; in a
                // view of a date before that, it has not started.
                days_waiting: (today - day_of(claim.at.recorded_at)).num_days().max(0),
                outcome: claim.outcome,
                at: claim.at,
            });
        }
    }
    awaiting.sort_by_key(|a| (a.at.recorded_at, a.action));

    let mut backdated_entries = 0;
    for action in backdated {
        backdated_entries += 1;
        // Count an entry against the action as it stands now, so that plan
        // and agency totals agree with the tables they sit beside.
        let Some(action) = action.and_then(|id| state.actions.get(&id)) else {
            continue;
        };
        total.backdated += 1;
        if let Some((plan_counts, agencies)) = plans.get_mut(&action.plan) {
            plan_counts.backdated += 1;
            if let Some(agency) = agencies.get_mut(&action.agency) {
                agency.backdated += 1;
            }
        }
    }

    let by_plan = state.actions_by_plan();
    let plans = plans
        .into_iter()
        .map(|(id, (counts, agencies))| PlanSummary {
            plan: id,
            title: state
                .plans
                .get(&id)
                .map_or_else(|| id.to_string(), |p| p.title()),
            counts,
            agencies: agencies
                .into_iter()
                .map(|(agency, counts)| AgencySummary { agency, counts })
                .collect(),
            coverage: coverage::of_actions(state, id, by_plan.get(&id).map_or(&[], Vec::as_slice)),
        })
        .collect();
    Ok(Summary {
        today,
        total,
        plans,
        awaiting,
        backdated_entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::{FuzzyDate, Target};
    #[allow(unused_imports)]
    use crate::event::{Event, Record};
    use crate::id::{ActionId, ClaimNo, Id, PlanId, RecId};
    use crate::projection::Claim;
    use crate::recall::test_record;

    fn change(day: &str) -> Change {
        let date = FuzzyDate::parse_iso(day).unwrap();
        Change {
            seq: 1,
            recorded_at: crate::time::start_of_day(date.first_day()),
            actor: "someone".into(),
            effective: date,
            effective_stated: false,
        }
    }

    fn action(status: Status, target: Option<&str>) -> Action {
        Action {
            id: ActionId::of(1),
            plan: PlanId::of(1),
            agency: "Thames Valley Police".into(),
            lead: None,
            text: "Update Niche".into(),
            scope: None,
            recommendations: vec![RecId::of(1)],
            target: target.map(|t| Target::parse_cli(t).unwrap()),
            status,
            status_reason: None,
            milestones: Vec::new(),
            claims: Vec::new(),
            added: change("2019-01-01"),
            last_changed: change("2019-01-01"),
            source: None,
            link: None,
        }
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn category_table_covers_every_status() {
        let today = day("2020-01-15");
        let cases = [
            (Status::Assured, Some("2019-07"), Category::FullyImplemented),
            (Status::Claimed, Some("2019-07"), Category::PartlyMet),
            (Status::Challenged, Some("2019-07"), Category::PartlyMet),
            (Status::Embedded, None, Category::HappeningAlready),
            (Status::Withdrawn, Some("2019-07"), Category::Withdrawn),
            (Status::Open, Some("2019-12"), Category::NotMet),
            (Status::InProgress, Some("2019"), Category::NotMet),
            (Status::Open, Some("2020-01"), Category::Missing),
            (Status::Open, Some("Ongoing"), Category::Missing),
            (
                Status::InProgress,
                Some("2020-01"),
                Category::InProgressNotYetDue,
            ),
        ];
        for (status, target, expected) in cases {
            assert_eq!(
                category(&action(status, target), today),
                expected,
                "{status} with target {target:?}"
            );
        }
    }

    #[test]
    fn an_open_action_with_a_milestone_is_not_missing() {
        let mut a = action(Status::Open, Some("2020-06"));
        a.milestones.push(2);
        assert_eq!(
            category(&a, day("2020-01-15")),
            Category::InProgressNotYetDue
        );
    }

    #[test]
    fn awaiting_claims_come_oldest_first_with_days_waited() {
        let mut state = State::default();
        let mut records: BTreeMap<u64, Record> = BTreeMap::new();
        for (id, claimed) in [(1, "2019-12-01"), (2, "2019-11-01")] {
            let id = ActionId::of(id);
            let mut a = action(Status::Claimed, Some("2019-07"));
            a.id = id;
            let seq = 10 + u64::from(id.get());
            let at = change(claimed);
            let event = Event::CompletionClaimed {
                action: id,
                claim: ClaimNo::of(1),
                outcome: "Done".into(),
                evidence: Vec::new(),
            };
            let mut record = test_record("Lead", at.effective, event);
            record.recorded_at = at.recorded_at;
            records.insert(seq, record);
            a.claims.push(Claim {
                number: ClaimNo::of(1),
                seq,
                effective: at.effective,
                assurance: None,
            });
            state.actions.insert(id, a);
        }
        let summary = summarize(&state, &records, [], day("2019-12-11")).expect("read back");
        let waited: Vec<(ActionId, i64)> = summary
            .awaiting
            .iter()
            .map(|a| (a.action, a.days_waiting))
            .collect();
        assert_eq!(waited, vec![(ActionId::of(2), 40), (ActionId::of(1), 10)]);
        assert_eq!(summary.total.awaiting_assurance, 2);
        assert_eq!(summary.total.category(Category::PartlyMet), 2);
    }
}
