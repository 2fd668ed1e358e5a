//! Which plans and actions a view shows: `show --plan/--agency/--overdue`,
//! as a query over a [`State`].
//!
//! [`Select::apply`] keeps the plans and actions asked for and drops the
//! rest; it never adds, changes or reorders anything, so every view of the
//! selected state (a table, JSON, a report) agrees with the unselected one
//! about what it does show. An agency is matched the same way everywhere
//! ([`agency_matches`]), here and in the audit trail's filter.

use chrono::NaiveDate;

use crate::id::PlanId;
use crate::projection::State;

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
    pub fn apply(&self, mut state: State) -> State {
        if let Some(plan) = self.plan {
            state.plans.retain(|id, _| *id == plan);
            state.actions.retain(|_, a| a.plan == plan);
        }
        if let Some(wanted) = &self.agency {
            state
                .actions
                .retain(|_, a| agency_matches(&a.agency, wanted));
        }
        if let Some(day) = self.overdue_on {
            state.actions.retain(|_, a| a.is_overdue(day));
        }
        state
    }
}

/// Whether an agency's name contains `wanted`, ignoring case.
pub fn agency_matches(agency: &str, wanted: &str) -> bool {
    agency.to_lowercase().contains(&wanted.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agencies_match_by_substring_ignoring_case() {
        assert!(agency_matches("Thames Valley Police", "police"));
        assert!(agency_matches("Thames Valley Police", "VALLEY P"));
        assert!(!agency_matches("Thames Valley Police", "health"));
    }

    #[test]
    fn the_default_selection_keeps_everything() {
        let state = State::default();
        assert_eq!(Select::default().apply(state.clone()), state);
    }
}
