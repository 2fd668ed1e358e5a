//! Coverage: which of a review's recommendations have no action, and which
//! actions answer none of the review's recommendations.
//!
//! The first question an assurance lead asks of a plan. A recommendation
//! is *covered* by an action linked to it (by citing its number, by a link
//! a person stated, or by a link an import found in the wording, which is
//! named as not yet confirmed) that is not withdrawn; a recommendation
//! linked only to withdrawn actions is listed apart, because someone once
//! meant to act on it and then stopped. An action *answers* a
//! recommendation of the review when it is linked to a number the plan
//! lists. Of the actions that answer none, those answering their agency's
//! own single-agency recommendation (from its management review) and those
//! a person stated answer none are told apart from those with no link at
//! all, which are the ones still to be looked at. [`of_plan`] is pure.

use crate::event::LinkBasis;
use crate::id::{ActionId, PlanId, RecId};
use crate::projection::{Action, State};
use crate::status::Status;

/// The coverage of one plan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// How many recommendations the plan lists.
    pub recommendations: usize,
    /// How many actions the plan has (whatever their status).
    pub actions: usize,
    /// Recommendations no action is linked to.
    pub without_action: Vec<RecId>,
    /// Recommendations linked only to withdrawn actions.
    pub only_withdrawn: Vec<RecId>,
    /// Actions linked to none of the plan's recommendations, for whatever
    /// reason: the three lists below, together.
    pub answering_none: Vec<ActionId>,
    /// Of those, the actions answering their agency's own recommendation.
    pub own: Vec<ActionId>,
    /// Of those, the actions a person stated answer none of them.
    pub stated_none: Vec<ActionId>,
    /// Of those, the actions with no link at all: not yet looked at.
    pub unlinked: Vec<ActionId>,
    /// Actions linked by their wording and not yet confirmed by a person,
    /// with the recommendations they are linked to.
    pub unconfirmed: Vec<(ActionId, Vec<RecId>)>,
}

impl Coverage {
    /// True when every recommendation has a live action, every action
    /// answers one, and no link waits to be confirmed.
    pub fn is_complete(&self) -> bool {
        self.without_action.is_empty()
            && self.only_withdrawn.is_empty()
            && self.answering_none.is_empty()
            && self.unconfirmed.is_empty()
    }
}

/// The coverage of `plan` by the actions `state` holds.
pub fn of_plan(state: &State, plan: PlanId) -> Coverage {
    let actions: Vec<&Action> = state.actions.values().filter(|a| a.plan == plan).collect();
    of_actions(state, plan, &actions)
}

/// The coverage of `plan` by `actions`, its actions
/// ([`State::actions_by_plan`]).
pub fn of_actions(state: &State, plan: PlanId, actions: &[&Action]) -> Coverage {
    let Some(listed) = state.plans.get(&plan).map(|p| &p.recommendations) else {
        return Coverage::default();
    };
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
    for action in actions {
        let answered: Vec<RecId> = action
            .recommendations
            .iter()
            .filter(|r| listed.contains_key(r))
            .copied()
            .collect();
        let basis = action.link.as_ref().map(|l| l.basis);
        if !answered.is_empty() {
            if basis.is_some_and(LinkBasis::is_unconfirmed) {
                coverage.unconfirmed.push((action.id, answered));
            }
            continue;
        }
        coverage.answering_none.push(action.id);
        match basis {
            Some(LinkBasis::Own) => coverage.own.push(action.id),
            Some(LinkBasis::Stated) => coverage.stated_none.push(action.id),
            Some(LinkBasis::Wording { .. }) | None => coverage.unlinked.push(action.id),
        }
    }
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

/// The verb that agrees with "N of M things": "1 of 4 recommendations has".
fn agree(n: usize, one: &'static str, more: &'static str) -> &'static str {
    if n == 1 { one } else { more }
}

/// The coverage of a plan in a few sentences, as every printer and report
/// shows it.
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
            "{n} of {} recommendations {} no action: {}.",
            coverage.recommendations,
            agree(n, "has", "have"),
            list(&coverage.without_action)
        ),
    });
    if !coverage.only_withdrawn.is_empty() {
        out.push(format!(
            "Only withdrawn actions cite {}.",
            list(&coverage.only_withdrawn)
        ));
    }
    if !coverage.unconfirmed.is_empty() {
        let links: Vec<String> = coverage
            .unconfirmed
            .iter()
            .map(|(action, recs)| format!("{action} → {}", list(recs)))
            .collect();
        out.push(format!(
            "Linked by wording, not yet confirmed ('planledger action link' confirms or changes a link): {}.",
            list(&links)
        ));
    }
    if !coverage.own.is_empty() {
        out.push(format!(
            "{} of {} actions {} their agency's own recommendation rather than one of the review's: {}.",
            coverage.own.len(),
            coverage.actions,
            agree(coverage.own.len(), "answers", "answer"),
            list(&coverage.own)
        ));
    }
    if !coverage.stated_none.is_empty() {
        out.push(format!(
            "Stated to answer none of the review's recommendations: {}.",
            list(&coverage.stated_none)
        ));
    }
    if !coverage.unlinked.is_empty() {
        out.push(format!(
            "{} of {} actions {} linked to none of the review's recommendations: {}.",
            coverage.unlinked.len(),
            coverage.actions,
            agree(coverage.unlinked.len(), "is", "are"),
            list(&coverage.unlinked)
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
                "1 of 4 recommendations has no action: R4.",
                "Only withdrawn actions cite R3.",
                "2 of 5 actions are linked to none of the review's recommendations: A3 and A4.",
            ]
        );
        assert!(!coverage.is_complete());
    }

    fn link(id: u32, recs: &[u32], basis: LinkBasis, note: Option<&str>) -> Event {
        Event::ActionLinked {
            action: ActionId::of(id),
            recommendations: recs.iter().map(|&n| RecId::of(n)).collect(),
            basis,
            note: note.map(String::from),
        }
    }

    /// A link found by wording covers its recommendation and is named as
    /// unconfirmed; an action answering its agency's own recommendation,
    /// one stated to answer none and one with no link at all are told
    /// apart; a stated link replaces what the action cited.
    #[test]
    fn links_count_and_unconfirmed_ones_are_named() {
        let state = plan_with(vec![
            action(1, &[]),
            link(1, &[1], LinkBasis::Wording { shared_percent: 56 }, None),
            action(2, &[]),
            link(2, &[], LinkBasis::Own, Some("Police to update Niche")),
            action(3, &[]),
            link(3, &[], LinkBasis::Stated, Some("an internal matter")),
            action(4, &[]),
            action(5, &[9]),
            link(
                5,
                &[2, 3],
                LinkBasis::Stated,
                Some("R9 was a typo for these"),
            ),
        ]);
        let coverage = of_plan(&state, PlanId::of(1));
        assert_eq!(coverage.without_action, [RecId::of(4)]);
        assert_eq!(
            coverage.unconfirmed,
            [(ActionId::of(1), vec![RecId::of(1)])]
        );
        assert_eq!(coverage.own, [ActionId::of(2)]);
        assert_eq!(coverage.stated_none, [ActionId::of(3)]);
        assert_eq!(coverage.unlinked, [ActionId::of(4)]);
        assert_eq!(
            coverage.answering_none,
            [ActionId::of(2), ActionId::of(3), ActionId::of(4)]
        );
        assert_eq!(
            sentences(&coverage),
            [
                "1 of 4 recommendations has no action: R4.",
                "Linked by wording, not yet confirmed ('planledger action link' confirms or changes a link): A1 → R1.",
                "1 of 5 actions answers their agency's own recommendation rather than one of the review's: A2.",
                "Stated to answer none of the review's recommendations: A3.",
                "1 of 5 actions is linked to none of the review's recommendations: A4.",
            ]
        );
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
