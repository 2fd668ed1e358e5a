//! Time travel, as properties over random histories:
//!
//! - the ledger as of an instant equals a fold of exactly the events
//!   recorded by then;
//! - a snapshot plus the events after it equals a full fold, wherever the
//!   snapshots fall;
//! - the change between two instants, folded onto the state at the first,
//!   gives the state at the second;
//! - the valid-time view from today on is the ledger as it stands, and at
//!   no date does it show a state that never existed (assured without an
//!   accepted claim, say).

use std::sync::Arc;

use chrono::NaiveDate;
use planledger::command::Command;
use planledger::date::{FuzzyDate, Target};
use planledger::id::{ActionId, PlanId, RecId};
use planledger::ledger::{Bound, Ledger, Stamped, View};
use planledger::projection::{State, valid_from};
use planledger::query::diff::{self, Span};
use planledger::snapshot;
use planledger::status::Status;
use planledger::store::StoredEvent;
use planledger::time::{DayEnd, FixedClock, parse_instant};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Cmd {
    AddAction,
    SetStatus(u32, Status),
    Note(u32),
    Claim(u32),
    Accept(u32),
    Challenge(u32),
    Withdraw(u32),
    Retarget(u32, u32),
}

#[derive(Clone, Debug)]
struct Step {
    /// Seconds the clock moves on before the command.
    wait: i64,
    cmd: Cmd,
    /// (year, month, day, precision 0 = day, 1 = month, 2 = year)
    effective: Option<(i32, u32, u32, u8)>,
    snapshot_after: bool,
}

fn cmd() -> impl Strategy<Value = Cmd> {
    let action = 1u32..5;
    let status = prop::sample::select(Status::ALL.to_vec());
    prop_oneof![
        2 => Just(Cmd::AddAction),
        2 => (action.clone(), status).prop_map(|(a, s)| Cmd::SetStatus(a, s)),
        2 => action.clone().prop_map(Cmd::Note),
        3 => action.clone().prop_map(Cmd::Claim),
        2 => action.clone().prop_map(Cmd::Accept),
        2 => action.clone().prop_map(Cmd::Challenge),
        1 => action.clone().prop_map(Cmd::Withdraw),
        1 => (action, 1u32..13).prop_map(|(a, m)| Cmd::Retarget(a, m)),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    (
        prop_oneof![Just(0i64), 1i64..600, 3_600i64..400_000],
        cmd(),
        prop::option::of((2019i32..2023, 1u32..13, 1u32..29, 0u8..3)),
        prop::bool::weighted(0.15),
    )
        .prop_map(|(wait, cmd, effective, snapshot_after)| Step {
            wait,
            cmd,
            effective,
            snapshot_after,
        })
}

fn effective((y, m, d, p): (i32, u32, u32, u8)) -> Option<FuzzyDate> {
    match p {
        0 => FuzzyDate::day(y, m, d),
        1 => FuzzyDate::month(y, m),
        _ => FuzzyDate::year(y),
    }
}

fn command(cmd: &Cmd) -> Command {
    match cmd.clone() {
        Cmd::AddAction => Command::AddAction {
            plan: PlanId::of(1),
            agency: "Oxford Health".into(),
            lead: None,
            text: "Review the policy".into(),
            scope: None,
            recommendations: vec![RecId::of(4)],
            target: Some(Target {
                text: "December 2019".into(),
                date: FuzzyDate::month(2019, 12),
            }),
        },
        Cmd::SetStatus(action, to) => Command::SetStatus {
            action: ActionId::of(action),
            to,
            reason: "update".into(),
        },
        Cmd::Note(action) => Command::NoteMilestone {
            action: ActionId::of(action),
            note: "working group met".into(),
        },
        Cmd::Claim(action) => Command::Claim {
            action: ActionId::of(action),
            outcome: "done".into(),
            evidence: vec![],
        },
        Cmd::Accept(action) => Command::Accept {
            action: ActionId::of(action),
            finding: "seen".into(),
        },
        Cmd::Challenge(action) => Command::Challenge {
            action: ActionId::of(action),
            finding: "not shown".into(),
        },
        Cmd::Withdraw(action) => Command::Withdraw {
            action: ActionId::of(action),
            reason: "no longer a workstream".into(),
        },
        Cmd::Retarget(action, month) => Command::Retarget {
            action: ActionId::of(action),
            target: Some(Target {
                text: format!("2020-{month:02}"),
                date: FuzzyDate::month(2020, month),
            }),
            reason: "moved".into(),
        },
    }
}

fn fold<'a>(events: impl IntoIterator<Item = &'a StoredEvent>) -> State {
    State::fold(events.into_iter().map(|e| (e.seq, e.hash, &e.record)))
}

/// Runs a history, with snapshots where the steps ask, and returns the
/// directory holding the ledger (at `ledger/`) and its clock.
fn run_history(steps: &[Step]) -> (tempfile::TempDir, Arc<FixedClock>) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let start = parse_instant("2023-01-01T00:00:00Z", DayEnd::Start).expect("instant");
    let clock = Arc::new(FixedClock::new(start));
    let dir = tmp.path().join("ledger");
    let mut ledger = Ledger::init(&dir, "Admin", clock.clone()).expect("init");
    ledger
        .transact(
            "Admin",
            "plan",
            vec![Stamped::from(Command::AddPlan {
                partnership: "CSP".into(),
                review: "Alice".into(),
                chair: None,
                published: FuzzyDate::month(2019, 10),
            })],
        )
        .expect("plan");
    for step in steps {
        clock.advance_secs(step.wait);
        // A refused command writes nothing; the model test checks that.
        let _ = ledger.transact(
            "Agency lead",
            "step",
            vec![Stamped {
                command: command(&step.cmd),
                effective: step.effective.and_then(effective),
                source: None,
            }],
        );
        if step.snapshot_after {
            snapshot::save(ledger.store(), ledger.state()).expect("snapshot");
        }
    }
    (tmp, clock)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 20, ..ProptestConfig::default() })]

    #[test]
    fn as_of_an_instant_is_the_fold_of_what_was_recorded_by_then(steps in prop::collection::vec(step(), 1..40)) {
        let (tmp, clock) = run_history(&steps);
        let ledger = Ledger::open(&tmp.path().join("ledger"), clock).expect("open");
        let events = ledger.events().expect("events");
        prop_assert_eq!(ledger.state(), &fold(&events));
        let mut instants: Vec<i64> = events.iter().map(|e| e.record.recorded_at).collect();
        instants.extend(instants.clone().iter().map(|t| t - 1));
        instants.push(i64::MIN / 2);
        for t in instants {
            let expected = fold(events.iter().filter(|e| e.record.recorded_at <= t));
            prop_assert_eq!(ledger.state_at(Bound::RecordedBy(t)).expect("state_at"), expected, "as of {}", t);
        }
        for n in 0..events.len() as u64 {
            prop_assert_eq!(
                ledger.state_at(Bound::Seq(n)).expect("state_at"),
                fold(&events[..=n as usize]),
                "snapshot + tail at seq {}", n
            );
        }
    }

    #[test]
    fn a_recorded_diff_folded_onto_the_earlier_state_gives_the_later(
        steps in prop::collection::vec(step(), 1..40),
        picks in (0usize..1000, 0usize..1000),
    ) {
        let (tmp, clock) = run_history(&steps);
        let ledger = Ledger::open(&tmp.path().join("ledger"), clock).expect("open");
        let events = ledger.events().expect("events");
        let times: Vec<i64> = events.iter().map(|e| e.record.recorded_at).collect();
        let (a, b) = (times[picks.0 % times.len()], times[picks.1 % times.len()]);
        let (t1, t2) = (a.min(b), a.max(b));
        let span = Span::Recorded { from: t1, to: t2 };
        let (v1, v2) = span.views();
        let mut state = ledger.state_view(v1).expect("before").into_owned();
        let after = ledger.state_view(v2).expect("after");
        let change = diff::diff(&events, span, &state, &after);
        for event in events.iter().filter(|e| change.seqs.contains(&e.seq)) {
            state.apply(event.seq, event.hash, &event.record);
        }
        prop_assert_eq!(&state, &*after);
    }

    #[test]
    fn the_valid_time_view_never_shows_a_state_that_did_not_exist(
        steps in prop::collection::vec(step(), 1..40),
        dates in prop::collection::vec((2018i32..2024, 1u32..13), 1..6),
    ) {
        let (tmp, clock) = run_history(&steps);
        let ledger = Ledger::open(&tmp.path().join("ledger"), clock).expect("open");
        // From today on, the world as the ledger knows it is the ledger.
        let far = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a real day");
        prop_assert_eq!(
            &*ledger.state_view(View { as_of: None, valid_at: Some(far) }).expect("view"),
            ledger.state()
        );
        for (y, m) in dates {
            let day = NaiveDate::from_ymd_opt(y, m, 1).expect("a real day");
            let state = ledger.state_view(View { as_of: None, valid_at: Some(day) }).expect("view");
            for action in state.actions.values() {
                let last = action.claims.last();
                let decided = |accepted: bool| last.and_then(|c| c.assurance.as_ref()).is_some_and(|a| a.accepted == accepted);
                match action.status {
                    Status::Claimed => prop_assert!(action.pending_claim().is_some(), "{action:?}"),
                    Status::Assured => prop_assert!(decided(true), "assured without an accepted claim: {action:?}"),
                    Status::Challenged => prop_assert!(decided(false), "challenged without a challenged claim: {action:?}"),
                    _ => {}
                }
            }
            // What diff --valid lists is exactly the facts that became true from that day on.
            let span = Span::Valid { from: day, to: far, as_of: None };
            let events = ledger.events().expect("events");
            let (v1, v2) = span.views();
            let before = ledger.state_view(v1).expect("before");
            let after = ledger.state_view(v2).expect("after");
            let change = diff::diff(&events, span, &before, &after);
            let expected: Vec<u64> = events
                .iter()
                .filter(|e| valid_from(&e.record).is_some_and(|d| d >= day))
                .map(|e| e.seq)
                .collect();
            prop_assert_eq!(change.seqs, expected);
        }
    }
}

/// Regression (found in review): an operator-set clock behind the head was
/// recorded as the system clock lagging, so nothing said it was overridden.
#[test]
fn an_overridden_clock_behind_the_head_is_still_recorded_as_overridden() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(FixedClock::new(
        parse_instant("2023-01-01T00:00:00Z", DayEnd::Start).expect("instant"),
    ));
    let mut ledger =
        Ledger::init(&tmp.path().join("ledger"), "Admin", clock.clone()).expect("init");
    let head = ledger.state().last_recorded.expect("genesis time");
    clock.set(head - 3_600_000_000);
    let receipt = ledger
        .transact(
            "Admin",
            "plan",
            vec![Stamped::from(Command::AddPlan {
                partnership: "CSP".into(),
                review: "Alice".into(),
                chair: None,
                published: None,
            })],
        )
        .expect("recorded");
    let record = &receipt.events[0].record;
    assert_eq!(record.recorded_at, head, "time held at the head");
    assert_eq!(record.clock, planledger::event::ClockNote::Overridden);
    assert_eq!(receipt.clock_held, Some(head - 3_600_000_000));
}

/// Regressions (found in review): an acceptance dated before its claim was
/// recorded, and the valid-time view then showed the action assured with no
/// claim; a claim backdated before an earlier-recorded status change made
/// the view for today disagree with `show`.
#[test]
fn decisions_cannot_predate_their_claims_and_today_s_view_is_the_ledger() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(FixedClock::new(
        parse_instant("2023-01-01T00:00:00Z", DayEnd::Start).expect("instant"),
    ));
    let mut ledger =
        Ledger::init(&tmp.path().join("ledger"), "Admin", clock.clone()).expect("init");
    let stamp = |command: Command, effective: Option<FuzzyDate>| Stamped {
        command,
        effective,
        source: None,
    };
    ledger
        .transact(
            "Admin",
            "setup",
            vec![
                stamp(
                    Command::AddPlan {
                        partnership: "CSP".into(),
                        review: "Alice".into(),
                        chair: None,
                        published: None,
                    },
                    None,
                ),
                stamp(command(&Cmd::AddAction), None),
                stamp(command(&Cmd::AddAction), None),
                stamp(command(&Cmd::Claim(1)), FuzzyDate::month(2019, 12)),
            ],
        )
        .expect("setup");
    // Certainly before the claim (December 2019): refused. A decision
    // inside December may have followed the claim, and is admitted (see
    // `a_decision_inside_the_claim_s_month_is_recorded_with_a_note`).
    let refused = ledger.transact(
        "Lead",
        "accept",
        vec![stamp(
            command(&Cmd::Accept(1)),
            FuzzyDate::day(2019, 11, 30),
        )],
    );
    assert!(
        matches!(&refused, Err(planledger::ledger::LedgerError::Refused(e)) if e.to_string().contains("before the claim")),
        "{refused:?}"
    );
    ledger
        .transact(
            "Lead",
            "accept",
            vec![stamp(command(&Cmd::Accept(1)), FuzzyDate::day(2020, 1, 5))],
        )
        .expect("an acceptance after the claim");
    ledger
        .transact(
            "Lead",
            "status",
            vec![stamp(command(&Cmd::SetStatus(2, Status::InProgress)), None)],
        )
        .expect("in progress today");
    ledger
        .transact(
            "Lead",
            "claim",
            vec![stamp(command(&Cmd::Claim(2)), FuzzyDate::day(2019, 6, 5))],
        )
        .expect("a claim backdated before the status change");

    let today = NaiveDate::from_ymd_opt(2023, 1, 1).expect("a day");
    let now = ledger
        .state_view(View {
            as_of: None,
            valid_at: Some(today),
        })
        .expect("view");
    assert_eq!(
        now.actions[&ActionId::of(1)].status,
        ledger.state().actions[&ActionId::of(1)].status
    );
    assert_eq!(now.actions[&ActionId::of(2)].status, Status::Claimed);
    let mid_december = ledger
        .state_view(View {
            as_of: None,
            valid_at: NaiveDate::from_ymd_opt(2019, 12, 20),
        })
        .expect("view");
    assert_eq!(
        mid_december.actions[&ActionId::of(1)].status,
        Status::Open,
        "the December claim counts from 31 December"
    );
    assert_eq!(
        mid_december.actions[&ActionId::of(2)].status,
        Status::Claimed,
        "claimed on 5 June 2019"
    );
}
