//! Which plans and actions a view shows: `show --plan/--agency/--overdue`,
//! as a query over a [`State`].
//!
//! [`Select::apply`] keeps the plans and actions asked for and drops the
//! rest; it never adds, changes or reorders anything, so every view of the
//! selected state (a table, JSON, a report) agrees with the unselected one
//! about what it does show. An agency is matched the same way everywhere
//! ([`agency_matches`]), here and in the audit trail's filter.

use std::borrow::Cow;

use chrono::NaiveDate;

use crate::id::PlanId;
use crate::projection::{Action, State};

/// What to keep. The default keeps everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Select {
    /// Only this plan and its actions.
    pub plan: Option<PlanId>,
    /// Only actions of agencies whose name contains this, ignoring case.
    pub agency: Option<String>,
    /// Only actions overdue on this day.
    pub overdue_on: Option<NaiveDate>,
}

impl Select {
    /// The state with only the selected plans and actions.
    pub fn apply<'a>(&self, state: Cow<'a, State>) -> Cow<'a, State> {
        if self.plan.is_none() && self.agency.is_none() && self.overdue_on.is_none() {
            // Everything: the state as it is, never copied.
            return state;
        }
        let keeps_plan = |id: &PlanId| self.plan.is_none_or(|plan| *id == plan);
        let keeps = |a: &Action| {
            keeps_plan(&a.plan)
                && self
                    .agency
                    .as_deref()
                    .is_none_or(|wanted| agency_matches(&a.agency, wanted))
                && self.overdue_on.is_none_or(|day| a.is_overdue(day))
        };
        match state {
            Cow::Owned(mut state) => {
                state.plans.retain(|id, _| keeps_plan(id));
                state.actions.retain(|_, a| keeps(a));
                Cow::Owned(state)
            }
            // Copy only what is kept: a national ledger's state is tens of
            // megabytes, one plan of it a few kilobytes.
            Cow::Borrowed(whole) => {
                let mut state = whole.without_plans();
                state.plans = whole
                    .plans
                    .iter()
                    .filter(|(id, _)| keeps_plan(id))
                    .map(|(id, plan)| (*id, plan.clone()))
                    .collect();
                state.actions = whole
                    .actions
                    .iter()
                    .filter(|(_, a)| keeps(a))
                    .map(|(id, a)| (*id, a.clone()))
                    .collect();
                Cow::Owned(state)
            }
        }
    }
}

/// Whether an agency's name contains `wanted`, ignoring case.
pub fn agency_matches(agency: &str, wanted: &str) -> bool {
    agency.to_lowercase().contains(&wanted.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::Id;

    #[test]
    fn agencies_match_by_substring_ignoring_case() {
        assert!(agency_matches("Thames Valley Police", "police"));
        assert!(agency_matches("Thames Valley Police", "VALLEY P"));
        assert!(!agency_matches("Thames Valley Police", "health"));
    }

    fn state() -> State {
        use crate::date::{FuzzyDate, Target};
        use crate::id::{ActionId, RecId};
        use crate::projection::{Action, Change};
        use crate::status::Status;
        let change = Change {
            seq: 1,
            recorded_at: 0,
            actor: "Lead".into(),
            effective: FuzzyDate::from_naive(NaiveDate::MIN),
            effective_stated: false,
        };
        let mut state = State::default();
        let rows = [
            (1, 1, "Thames Valley Police", "2019-07"),
            (2, 1, "Oxford Health", "2019-07"),
            (3, 1, "Oxford Health", "2030-01"),
            (4, 2, "Oxford Health", "2019-07"),
        ];
        for (id, plan, agency, target) in rows {
            let id = ActionId::of(id);
            state.actions.insert(
                id,
                Action {
                    id,
                    plan: PlanId::of(plan),
                    agency: agency.into(),
                    lead: None,
                    text: "Train staff".into(),
                    scope: None,
                    recommendations: vec![RecId::of(1)],
                    target: Some(Target::parse_cli(target).expect("a target")),
                    status: Status::Open,
                    status_reason: None,
                    milestones: Vec::new(),
                    claims: Vec::new(),
                    added: change.clone(),
                    last_changed: change.clone(),
                    source: None,
                    link: None,
                },
            );
        }
        state
    }

    #[test]
    fn plan_agency_and_overdue_each_narrow_the_actions() {
        let whole = state();
        let kept = |select: Select| -> Vec<u32> {
            let owned = select.apply(Cow::Owned(state()));
            // A borrowed state is copied in part, an owned one narrowed in
            // place: the same state either way.
            let borrowed = select.apply(Cow::Borrowed(&whole));
            assert_eq!(owned, borrowed, "{select:?}");
            owned.actions.keys().map(|id| id.get()).collect()
        };
        let today = NaiveDate::from_ymd_opt(2021, 1, 1).expect("a date");
        assert_eq!(kept(Select::default()), vec![1, 2, 3, 4]);
        let plan_one = Select {
            plan: Some(PlanId::of(1)),
            ..Select::default()
        };
        assert_eq!(kept(plan_one.clone()), vec![1, 2, 3]);
        let oxford = Select {
            agency: Some("OXFORD".into()),
            ..plan_one
        };
        assert_eq!(kept(oxford.clone()), vec![2, 3]);
        let overdue = Select {
            overdue_on: Some(today),
            ..oxford
        };
        assert_eq!(kept(overdue), vec![2]);
    }

    #[test]
    fn the_default_selection_keeps_everything() {
        let state = State::default();
        let kept = Select::default().apply(Cow::Borrowed(&state));
        assert!(matches!(kept, Cow::Borrowed(_)), "nothing copied");
        assert_eq!(*kept, state);
    }
}
