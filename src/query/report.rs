//! The rows people read, built once: the counts row of a plan, an agency or
//! all plans; the categories per plan; one row per action with its "latest"
//! cell; the claims awaiting assurance; the backdated entries with the
//! threshold they were judged by; and what a report shows of the audit
//! trail ([`TrailShown`]), kept as the trail streams by.
//!
//! Thin printers render them: the terminal (`cli::summary`, `cli::show`),
//! Markdown (`export::markdown`) and HTML (`export::html`). A row holds
//! values, never markup or escapes: each printer escapes, clips and formats
//! the cells for its medium, so a row says the same thing wherever it is
//! shown.

use std::collections::VecDeque;

use chrono::NaiveDate;

use crate::id::{ActionId, PlanId};
use crate::projection::{Action, Change};
use crate::query::audit::{Entry, Signatures};
use crate::query::summary::{Category, Counts, Summary, category};
use crate::recall::{self, Recall, RecallError};
use crate::status::Status;

/// What a counts row is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label<'a> {
    Plan {
        id: PlanId,
        title: &'a str,
    },
    /// An agency within the plan of the rows above it.
    Agency(&'a str),
    /// Every action of every plan (only when there is more than one plan).
    AllPlans,
}

/// One row of counts: actions, by status, overdue, awaiting assurance and
/// backdated entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CountsRow<'a> {
    pub label: Label<'a>,
    pub counts: &'a Counts,
}

/// The headers of a counts row's numbers, in [`CountsRow::numbers`] order.
pub fn count_columns() -> Vec<&'static str> {
    let mut columns = vec!["actions"];
    columns.extend(Status::ALL.iter().map(|s| s.as_str()));
    columns.extend(["overdue", "awaiting assurance", "backdated entries"]);
    columns
}

impl CountsRow<'_> {
    /// The numbers, in [`count_columns`] order.
    pub fn numbers(&self) -> Vec<usize> {
        let c = self.counts;
        let mut numbers = vec![c.actions];
        numbers.extend(Status::ALL.iter().map(|s| c.status(*s)));
        numbers.extend([c.overdue, c.awaiting_assurance, c.backdated]);
        numbers
    }
}

/// Each plan, then its agencies in name order; then all plans, when there
/// is more than one.
pub fn counts_rows(summary: &Summary) -> Vec<CountsRow<'_>> {
    let mut rows = Vec::new();
    for plan in &summary.plans {
        rows.push(CountsRow {
            label: Label::Plan {
                id: plan.plan,
                title: &plan.title,
            },
            counts: &plan.counts,
        });
        for agency in &plan.agencies {
            rows.push(CountsRow {
                label: Label::Agency(&agency.agency),
                counts: &agency.counts,
            });
        }
    }
    if summary.plans.len() > 1 {
        rows.push(CountsRow {
            label: Label::AllPlans,
            counts: &summary.total,
        });
    }
    rows
}

/// One of the Commissioner's categories: how many actions of each plan, and
/// of all plans, are in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryRow {
    pub category: Category,
    /// In the order of `Summary::plans`.
    pub per_plan: Vec<usize>,
    pub total: usize,
}

/// Every category, in `Category::ALL` order.
pub fn category_rows(summary: &Summary) -> Vec<CategoryRow> {
    Category::ALL
        .iter()
        .map(|c| CategoryRow {
            category: *c,
            per_plan: summary
                .plans
                .iter()
                .map(|p| p.counts.category(*c))
                .collect(),
            total: summary.total.category(*c),
        })
        .collect()
}

/// One action as the plan tables show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionRow<'a> {
    pub id: ActionId,
    pub agency: &'a str,
    pub text: &'a str,
    /// The recommendations it answers, "R1 R3"; each marked "R1?" when
    /// the link was found by wording and is not yet confirmed (see
    /// [`UNCONFIRMED_LEGEND`]).
    pub recommendations: String,
    /// True when `recommendations` is such an unconfirmed link.
    pub unconfirmed: bool,
    /// Empty when there is no lead.
    pub lead: &'a str,
    /// The target as the plan words it; empty when there is none.
    pub target: String,
    pub status: Status,
    pub overdue: bool,
    pub category: Category,
    pub last_changed: &'a Change,
}

impl<'a> ActionRow<'a> {
    /// The row of `action`, judging overdue and its category on `today`.
    /// (Its latest claim or milestone is [`latest`], read back by the
    /// reports that show it.)
    pub fn of(action: &'a Action, today: NaiveDate) -> ActionRow<'a> {
        let unconfirmed = action
            .link
            .as_ref()
            .is_some_and(|link| link.basis.is_unconfirmed());
        let mark = if unconfirmed { "?" } else { "" };
        ActionRow {
            id: action.id,
            agency: &action.agency,
            text: &action.text,
            recommendations: action
                .recommendations
                .iter()
                .map(|n| format!("{n}{mark}"))
                .collect::<Vec<_>>()
                .join(" "),
            unconfirmed,
            lead: action.lead.as_deref().unwrap_or(""),
            target: action
                .target
                .as_ref()
                .map_or(String::new(), |t| t.to_string()),
            status: action.status,
            overdue: action.is_overdue(today),
            category: category(action, today),
            last_changed: &action.last_changed,
        }
    }
}

/// What "R1?" in a recs column means, said once under a table that shows
/// one.
pub const UNCONFIRMED_LEGEND: &str = "R1? marks a link the importer found because the row's words match that recommendation's, not yet confirmed: 'planledger action link ACTION REC… --reason …' confirms or changes it.";

/// The "latest" cell: the last claim with its assurance decision, or else
/// the last milestone, or nothing. "claim 1 (2020-01): Referrals reviewed
/// (awaiting assurance)", "claim 2 (2021-03): Audit done — challenged: no
/// register", "2020-09-14: Audit template agreed".
pub fn latest(recall: &dyn Recall, action: &Action) -> Result<String, RecallError> {
    if let Some(claim) = recall::latest_claim(recall, action)? {
        let decision = match &claim.assurance {
            None => " (awaiting assurance)".to_string(),
            Some(a) if a.accepted => format!(" — accepted: {}", a.finding),
            Some(a) => format!(" — challenged: {}", a.finding),
        };
        return Ok(format!(
            "claim {} ({}): {}{}",
            claim.number, claim.at.effective, claim.outcome, decision
        ));
    }
    Ok(match recall::latest_milestone(recall, action)? {
        Some(m) => format!("{}: {}", m.at.effective, m.note),
        None => String::new(),
    })
}

/// The columns of the claims-awaiting-assurance table; the action column is
/// `Awaiting::reference` ("A3 claim 1").
pub const AWAITING_COLUMNS: [&str; 7] = [
    "action",
    "agency",
    "claimed by",
    "recorded",
    "completion date",
    "days waiting",
    "outcome",
];

/// How many entries of a trail are backdated, and the threshold they were
/// judged by. The entries themselves are written as a second pass over the
/// trail reads them (`ReportInput::backdated_each`): at national size they
/// are a fifth of the history, too many to hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backdated {
    pub threshold_days: i64,
    /// How many entries are flagged.
    pub count: usize,
}

impl Backdated {
    /// The sentence above the table, or in place of an empty one.
    pub fn words(&self) -> String {
        let days = self.threshold_days;
        if self.count == 0 {
            format!(
                "None: no effective date lies more than {days} days before the day it was recorded."
            )
        } else {
            format!(
                "Entries whose effective date lies more than {days} days before the day the ledger recorded them."
            )
        }
    }
}

/// What a report shows of an audit trail, kept as the trail streams by
/// ([`TrailShown::see`]): how many entries it has, how they were signed,
/// the action of each backdated entry, and the last few entries. Nothing
/// else of the trail is held, so a report of a long history holds no more
/// than it shows.
#[derive(Clone, Debug)]
pub struct TrailShown {
    /// How many entries the trail has.
    pub len: usize,
    /// How the trail's changes were signed.
    pub signatures: Signatures,
    /// The action of every entry flagged as backdated, in order (for the
    /// summary's counts; the entries are read again to be shown).
    pub backdated_actions: Vec<Option<ActionId>>,
    /// The last `recent` entries, in order.
    recent: VecDeque<Entry>,
    keep: usize,
}

impl TrailShown {
    /// Nothing seen yet; the last `recent` entries will be kept.
    pub fn new(recent: usize) -> TrailShown {
        TrailShown {
            len: 0,
            signatures: Signatures::default(),
            backdated_actions: Vec::new(),
            recent: VecDeque::with_capacity(recent.min(1024)),
            keep: recent,
        }
    }

    /// Takes in the next entry of the trail.
    pub fn see(&mut self, entry: Entry) {
        self.len += 1;
        self.signatures.see(&entry);
        if entry.backdated_days.is_some() {
            self.backdated_actions.push(entry.action);
        }
        if self.keep == 0 {
            return;
        }
        if self.recent.len() == self.keep {
            self.recent.pop_front();
        }
        self.recent.push_back(entry);
    }

    /// The last entries (as many as asked of [`TrailShown::new`], or every
    /// one of a shorter trail), in order.
    pub fn recent(&self) -> Vec<&Entry> {
        self.recent.iter().collect()
    }

    /// How many entries are backdated, judged by `threshold_days` (the
    /// threshold the trail was built with).
    pub fn backdated(&self, threshold_days: i64) -> Backdated {
        Backdated {
            threshold_days,
            count: self.backdated_actions.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::summary::{AgencySummary, PlanSummary};

    fn summary_of(plans: usize) -> Summary {
        let counts = Counts {
            actions: 3,
            overdue: 1,
            ..Counts::default()
        };
        Summary {
            today: NaiveDate::MIN,
            total: counts.clone(),
            plans: (1..=plans as u32)
                .map(|n| PlanSummary {
                    plan: PlanId::of(n),
                    title: format!("Plan {n}"),
                    counts: counts.clone(),
                    agencies: vec![AgencySummary {
                        agency: "Police".into(),
                        counts: counts.clone(),
                    }],
                    coverage: Default::default(),
                })
                .collect(),
            awaiting: Vec::new(),
            backdated_entries: 0,
        }
    }

    #[test]
    fn the_all_plans_row_comes_only_with_more_than_one_plan() {
        let one = summary_of(1);
        let labels: Vec<Label> = counts_rows(&one).iter().map(|r| r.label).collect();
        assert_eq!(
            labels,
            vec![
                Label::Plan {
                    id: PlanId::of(1),
                    title: "Plan 1"
                },
                Label::Agency("Police")
            ]
        );
        let two = summary_of(2);
        let rows = counts_rows(&two);
        assert_eq!(rows.len(), 5);
        assert_eq!(rows[4].label, Label::AllPlans);
    }

    #[test]
    fn a_counts_row_has_a_number_for_every_column() {
        let summary = summary_of(1);
        let rows = counts_rows(&summary);
        assert_eq!(rows[0].numbers().len(), count_columns().len());
        assert_eq!(rows[0].numbers()[0], 3);
    }

    #[test]
    fn the_latest_cell_is_the_last_claim_with_its_decision_or_the_last_milestone() {
        use std::collections::BTreeMap;

        use crate::date::FuzzyDate;
        use crate::event::{Event, Record};
        use crate::id::{ClaimNo, RecId};
        use crate::projection::{Claim, Decision};
        use crate::recall::test_record;
        let date = |day: &str| FuzzyDate::parse_iso(day).expect("a date");
        let change = |day: &str| Change {
            seq: 1,
            recorded_at: 0,
            actor: "Lead".into(),
            effective: date(day),
            effective_stated: true,
        };
        let mut action = Action {
            id: ActionId::of(1),
            plan: PlanId::of(1),
            agency: "Police".into(),
            lead: None,
            text: "Train staff".into(),
            scope: None,
            recommendations: vec![RecId::of(1)],
            target: None,
            status: Status::Open,
            status_reason: None,
            milestones: Vec::new(),
            claims: Vec::new(),
            added: change("2019-01-01"),
            last_changed: change("2019-01-01"),
            source: None,
            link: None,
        };
        let mut records: BTreeMap<u64, Record> = BTreeMap::new();
        assert_eq!(latest(&records, &action).expect("read"), "");
        let note = Event::MilestoneNoted {
            action: action.id,
            note: "Audit template agreed".into(),
        };
        records.insert(2, test_record("Lead", date("2020-09-14"), note));
        action.milestones.push(2);
        assert_eq!(
            latest(&records, &action).expect("read"),
            "2020-09-14: Audit template agreed"
        );
        let claimed = Event::CompletionClaimed {
            action: action.id,
            claim: ClaimNo::of(1),
            outcome: "Referrals reviewed".into(),
            evidence: Vec::new(),
        };
        records.insert(3, test_record("Lead", date("2020-01"), claimed));
        action.claims.push(Claim {
            number: ClaimNo::of(1),
            seq: 3,
            effective: date("2020-01"),
            assurance: None,
        });
        assert_eq!(
            latest(&records, &action).expect("read"),
            "claim 1 (2020-01): Referrals reviewed (awaiting assurance)"
        );
        let challenged = Event::ClaimChallenged {
            action: action.id,
            claim: ClaimNo::of(1),
            finding: "no register".into(),
        };
        records.insert(4, test_record("Assurer", date("2020-02"), challenged));
        action.claims[0].assurance = Some(Decision {
            accepted: false,
            seq: 4,
        });
        assert_eq!(
            latest(&records, &action).expect("read"),
            "claim 1 (2020-01): Referrals reviewed — challenged: no register"
        );
        action.milestones.push(3);
        assert!(
            crate::recall::milestones(&records, &action)
                .expect_err("event 3 is a claim")
                .to_string()
                .contains("event 3 is not the milestone"),
            "an event that is not what the state says it is is named"
        );
    }

    #[test]
    fn the_backdated_words_name_the_threshold() {
        let none = Backdated {
            threshold_days: 45,
            count: 0,
        };
        assert!(
            none.words().contains("more than 45 days"),
            "{}",
            none.words()
        );
    }
}
