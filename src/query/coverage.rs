//! Coverage: which of a review's recommendations have no action, and which
//! actions answer none of the review's recommendations.
//!
//! The first question an assurance lead asks of a plan. A recommendation
//! is *covered* by an action that cites its number and is not withdrawn; a
//! recommendation cited only by withdrawn actions is listed apart, because
//! someone once meant to act on it and then stopped. An action *answers* a
//! recommendation of the review when it cites a number the plan lists; an
//! action citing none (many answer an agency's own single-agency
//! recommendation from its management review), or only numbers the plan
//! does not list, answers none. [`of_plan`] is pure.

use crate::id::{ActionId, PlanId, RecId};
use crate::projection::State;
use crate::status::Status;

/// The coverage of one plan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// How many recommendations the plan lists.
    pub recommendations: usize,
    /// How many actions the plan has (whatever their status).
    pub actions: usize,
    /// Recommendations no action cites.
    pub without_action: Vec<RecId>,
    /// Recommendations cited only by withdrawn actions.
    pub only_withdrawn: Vec<RecId>,
    /// Actions that cite none of the plan's recommendations.
    pub answering_none: Vec<ActionId>,
}

impl Coverage {
    /// True when every recommendation has a live action and every action
    /// answers one.
    pub fn is_complete(&self) -> bool {
        self.without_action.is_empty()
            && self.only_withdrawn.is_empty()
            && self.answering_none.is_empty()
    }
}

/// The coverage of `plan` by the actions `state` holds.
pub fn of_plan(state: &State, plan: PlanId) -> Coverage {
    let Some(listed) = state.plans.get(&plan).map(|p| &p.recommendations) else {
        return Coverage::default();
    };
    let actions: Vec<_> = state.actions.values().filter(|a| a.plan == plan).collect();
    let cites = |number: RecId, live: bool| {
        actions.iter().any(|a| {
            a.recommendations.contains(&number) && (!live || a.status != Status::Withdrawn)
        })
    };
    let mut coverage = Coverage {
        recommendations: listed.len(),
        actions: actions.len(),
        ..Coverage::default()
    };
    for &number in listed.keys() {
        if !cites(number, false) {
            coverage.without_action.push(number);
        } else if !cites(number, true) {
            coverage.only_withdrawn.push(number);
        }
    }
    coverage.answering_none = actions
        .iter()
        .filter(|a| !a.recommendations.iter().any(|r| listed.contains_key(r)))
        .map(|a| a.id)
        .collect();
    coverage
}

/// A list of ids in words: "R3, R5 and R9", or "none".
pub fn list<I: std::fmt::Display>(ids: &[I]) -> String {
    match ids {
        [] => "none".to_string(),
        [one] => one.to_string(),
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(ToString::to_string).collect();
            format!("{} and {last}", init.join(", "))
        }
    }
}

/// The coverage of a plan in one or two sentences, as every printer and
/// report shows it.
pub fn sentences(coverage: &Coverage) -> Vec<String> {
    let mut out = Vec::new();
    if coverage.recommendations == 0 {
        out.push("The plan lists no recommendations, so no action can be tied to one.".into());
        return out;
    }
    out.push(match coverage.without_action.len() {
        0 => format!(
            "Every one of the {} recommendations has an action.",
            coverage.recommendations
        ),
        n => format!(
            "{n} of {} recommendations have no action: {}.",
            coverage.recommendations,
            list(&coverage.without_action)
        ),
    });
    if !coverage.only_withdrawn.is_empty() {
        out.push(format!(
            "Only withdrawn actions cite {}.",
            list(&coverage.only_withdrawn)
        ));
    }
    if !coverage.answering_none.is_empty() {
        out.push(format!(
            "{} of {} actions cite none of the review's recommendations (an agency's own recommendation, or a link not yet made): {}.",
            coverage.answering_none.len(),
            coverage.actions,
            list(&coverage.answering_none)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{ClockNote, Event, Record};

    fn record(event: Event) -> Record {
        Record {
            tx: 0,
            recorded_at: 1_577_836_800_000_000,
            clock: ClockNote::Overridden,
            actor: "Assurance Lead".into(),
            effective: None,
            source: None,
            event,
        }
    }

    fn action(id: u32, recs: &[u32]) -> Event {
        Event::ActionAdded {
            action: ActionId::of(id),
            plan: PlanId::of(1),
            agency: "Police".into(),
            lead: None,
            text: format!("Action {id}"),
            scope: None,
            recommendations: recs.iter().map(|&n| RecId::of(n)).collect(),
            target: None,
        }
    }

    fn plan_with(actions: Vec<Event>) -> State {
        let mut events = vec![Event::PlanAdded {
            plan: PlanId::of(1),
            partnership: "CSP".into(),
            review: "Alice".into(),
            chair: None,
            published: None,
        }];
        for n in 1..=4 {
            events.push(Event::RecommendationAdded {
                plan: PlanId::of(1),
                number: RecId::of(n),
                text: format!("Recommendation {n}"),
                scope: None,
            });
        }
        events.extend(actions);
        let records: Vec<Record> = events.into_iter().map(record).collect();
        State::fold(
            (1..)
                .zip(&records)
                .map(|(seq, record)| (seq, [0; 32], record)),
        )
    }

    #[test]
    fn recommendations_without_a_live_action_and_actions_answering_none_are_named() {
        let mut state = plan_with(vec![
            action(1, &[1]),
            action(2, &[2, 9]),
            action(3, &[]),
            action(4, &[9]),
            action(5, &[3]),
        ]);
        state.actions.get_mut(&ActionId::of(5)).expect("A5").status = Status::Withdrawn;
        let coverage = of_plan(&state, PlanId::of(1));
        assert_eq!(coverage.without_action, [RecId::of(4)]);
        assert_eq!(coverage.only_withdrawn, [RecId::of(3)]);
        assert_eq!(
            coverage.answering_none,
            [ActionId::of(3), ActionId::of(4)],
            "an action citing only R9, which the plan does not list, answers none"
        );
        assert_eq!(
            sentences(&coverage),
            [
                "1 of 4 recommendations have no action: R4.",
                "Only withdrawn actions cite R3.",
                "2 of 5 actions cite none of the review's recommendations (an agency's own recommendation, or a link not yet made): A3 and A4.",
            ]
        );
        assert!(!coverage.is_complete());
    }

    #[test]
    fn a_fully_covered_plan_says_so() {
        let state = plan_with(vec![action(1, &[1, 2]), action(2, &[3, 4])]);
        let coverage = of_plan(&state, PlanId::of(1));
        assert!(coverage.is_complete());
        assert_eq!(
            sentences(&coverage),
            ["Every one of the 4 recommendations has an action."]
        );
    }

    #[test]
    fn lists_read_as_words() {
        assert_eq!(list::<RecId>(&[]), "none");
        assert_eq!(list(&[RecId::of(1)]), "R1");
        assert_eq!(
            list(&[RecId::of(1), RecId::of(2), RecId::of(3)]),
            "R1, R2 and R3"
        );
    }
}
