//! A model test: random sequences of commands, with the ledger closed and
//! reopened in between, checked against what must always hold.
//!
//! - A refused command writes nothing: the events and the state are exactly
//!   as before (and a transaction of two commands is refused whole if either
//!   is refused).
//! - The state the ledger keeps incrementally equals a fold of its stored
//!   events, and reopening gives the same state.
//! - "As of seq n" equals a fold of the first n + 1 events, for every n.
//! - Every status move along the chain is in `status::TRANSITIONS`, through
//!   the command the table names, starting from the status the action had.
//! - Recorded time never goes backwards, even when the clock does.
//! - Links and amendments fold alike incrementally and from scratch (they
//!   are among the random commands).
//! - The history of every action read through the action index is the
//!   history a fold of the whole ledger gives, and the action folded from
//!   its own events alone is the action in that fold, on both time axes.
//! - `verify` is ok at the end.

use std::collections::BTreeMap;

use planledger::command::Command;
use planledger::date::{FuzzyDate, Target};
use planledger::event::{Event, Evidence, LinkBasis};
use planledger::id::{ActionId, PlanId, RecId};
use planledger::ledger::{Bound, Ledger, Stamped};
use planledger::projection::State;
use planledger::status::{Status, TRANSITIONS, Via};
use planledger::store::StoredEvent;
use proptest::prelude::*;

use crate::support::{
    TempLedger, add_action, add_plan, assert_histories_match_the_full_fold, rebuilt, record,
};

/// One step of a random run.
#[derive(Clone, Debug)]
enum Step {
    /// One command as its own transaction.
    One(Cmd),
    /// Two commands in one transaction: both are written or neither.
    Two(Cmd, Cmd),
    /// Close the ledger and open it again.
    Reopen,
    /// Move the clock back an hour: the ledger must hold time at its head.
    ClockBack,
}

/// A command, with action ids that may or may not exist.
#[derive(Clone, Debug)]
enum Cmd {
    AddAction,
    SetStatus(u32, Status),
    Note(u32, bool),
    Claim(u32, bool),
    Accept(u32),
    Challenge(u32),
    Withdraw(u32),
    Retarget(u32, u8),
    /// Link to R1 as stated (0), to none (1), by wording (2), or to R2,
    /// which the plan does not list (3).
    Link(u32, u8),
    /// A new lead (0), a new wording and agency (1), no scope (2), or the
    /// wording it already has (3).
    Amend(u32, u8),
}

impl Cmd {
    fn command(&self) -> Command {
        let text = |empty: bool, words: &str| if empty { "  ".into() } else { words.into() };
        match self.clone() {
            Cmd::AddAction => add_action(1, "Housing Association"),
            Cmd::SetStatus(action, to) => Command::SetStatus {
                action: ActionId::of(action),
                to,
                reason: "agreed at the board".into(),
            },
            Cmd::Note(action, empty) => Command::NoteMilestone {
                action: ActionId::of(action),
                note: text(empty, "met the lead"),
            },
            Cmd::Claim(action, empty) => Command::Claim {
                action: ActionId::of(action),
                outcome: text(empty, "done"),
                evidence: vec![Evidence {
                    name: "minutes.pdf".into(),
                    size: 3,
                    blake3: *blake3::hash(b"abc").as_bytes(),
                }],
            },
            Cmd::Accept(action) => Command::Accept {
                action: ActionId::of(action),
                finding: "evidence seen".into(),
            },
            Cmd::Challenge(action) => Command::Challenge {
                action: ActionId::of(action),
                finding: "no evidence of training".into(),
            },
            Cmd::Withdraw(action) => Command::Withdraw {
                action: ActionId::of(action),
                reason: "no longer a workstream".into(),
            },
            Cmd::Retarget(action, which) => Command::Retarget {
                action: ActionId::of(action),
                target: match which {
                    0 => None,
                    1 => Some(Target {
                        text: "2019-07".into(),
                        date: FuzzyDate::month(2019, 7),
                    }),
                    2 => Some(Target {
                        text: "2020".into(),
                        date: FuzzyDate::year(2020),
                    }),
                    _ => Some(Target {
                        text: "Ongoing".into(),
                        date: None,
                    }),
                },
                reason: "the board agreed a new date".into(),
            },
            Cmd::Link(action, which) => Command::Link {
                action: ActionId::of(action),
                recommendations: match which {
                    1 => vec![],
                    3 => vec![RecId::of(2)],
                    _ => vec![RecId::of(1)],
                },
                basis: if which == 2 {
                    LinkBasis::Wording { shared_percent: 64 }
                } else {
                    LinkBasis::Stated
                },
                note: (which != 2).then(|| "agreed at the board".into()),
            },
            Cmd::Amend(action, which) => Command::Amend {
                action: ActionId::of(action),
                text: match which {
                    1 => Some("Train every officer on coercive control".into()),
                    3 => Some("Thames Valley Police trains its staff on coercive control".into()),
                    _ => None,
                },
                lead: (which == 0).then(|| Some("Head of Safeguarding".into())),
                agency: (which == 1).then(|| "Successor Partnership".into()),
                scope: (which == 2).then_some(None),
                reason: "handed over".into(),
            },
        }
    }
}

fn cmd() -> impl Strategy<Value = Cmd> {
    // Mostly the two actions every run starts with, sometimes one added
    // later or one that does not exist.
    let action = prop_oneof![5 => Just(1u32), 4 => Just(2u32), 2 => 3u32..=5];
    let status = prop::sample::select(Status::ALL.to_vec());
    prop_oneof![
        1 => Just(Cmd::AddAction),
        4 => (action.clone(), status).prop_map(|(a, s)| Cmd::SetStatus(a, s)),
        2 => (action.clone(), prop::bool::weighted(0.2)).prop_map(|(a, e)| Cmd::Note(a, e)),
        3 => (action.clone(), prop::bool::weighted(0.2)).prop_map(|(a, e)| Cmd::Claim(a, e)),
        2 => action.clone().prop_map(Cmd::Accept),
        2 => action.clone().prop_map(Cmd::Challenge),
        1 => action.clone().prop_map(Cmd::Withdraw),
        1 => (action.clone(), 0u8..4).prop_map(|(a, t)| Cmd::Retarget(a, t)),
        1 => (action.clone(), 0u8..4).prop_map(|(a, l)| Cmd::Link(a, l)),
        1 => (action, 0u8..4).prop_map(|(a, c)| Cmd::Amend(a, c)),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        12 => cmd().prop_map(Step::One),
        2 => (cmd(), cmd()).prop_map(|(a, b)| Step::Two(a, b)),
        2 => Just(Step::Reopen),
        1 => Just(Step::ClockBack),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_commands_keep_every_invariant(steps in prop::collection::vec(step(), 1..30)) {
        run_model(&steps);
    }
}

fn run_model(steps: &[Step]) {
    let (tl, mut ledger) = TempLedger::new();
    record(&mut ledger, &tl.clock, vec![add_plan()]);
    record(
        &mut ledger,
        &tl.clock,
        vec![Command::AddRecommendation {
            plan: PlanId::of(1),
            number: None,
            text: "Agencies train staff on coercive control".into(),
            scope: None,
        }],
    );
    record(
        &mut ledger,
        &tl.clock,
        vec![
            add_action(1, "Thames Valley Police"),
            add_action(1, "Oxford Health"),
        ],
    );
    for (i, step) in steps.iter().enumerate() {
        let before_state = ledger.state().clone();
        let before_events = ledger.events().expect("events read back");
        match step {
            Step::Reopen => {
                drop(ledger);
                ledger = tl.open();
                assert_eq!(
                    ledger.state(),
                    &before_state,
                    "step {i}: reopening changed the state"
                );
                continue;
            }
            Step::ClockBack => {
                tl.clock.advance_secs(-3600);
                continue;
            }
            Step::One(_) | Step::Two(..) => {}
        }
        let commands: Vec<Stamped> = match step {
            Step::One(a) => vec![a.command().into()],
            Step::Two(a, b) => vec![a.command().into(), b.command().into()],
            Step::Reopen | Step::ClockBack => unreachable!("handled above"),
        };
        let wanted = commands.len();
        tl.clock.advance_secs(60);
        let result = ledger.transact("Agency Lead", "model step", commands);
        let after_events = ledger.events().expect("events read back");
        match result {
            Ok(receipt) => {
                assert_eq!(receipt.events.len(), wanted, "step {i}: {step:?}");
                assert_eq!(
                    after_events.len(),
                    before_events.len() + wanted,
                    "step {i}: {step:?}"
                );
                assert_eq!(
                    &after_events[..before_events.len()],
                    &before_events[..],
                    "step {i}: an earlier event changed"
                );
            }
            Err(e) => {
                assert_eq!(
                    after_events, before_events,
                    "step {i}: refused ({e}) but the events changed"
                );
                assert_eq!(
                    ledger.state(),
                    &before_state,
                    "step {i}: refused ({e}) but the state changed"
                );
            }
        }
        assert_eq!(
            ledger.state(),
            &rebuilt(&ledger),
            "step {i}: the incremental state differs from a full rebuild after {step:?}"
        );
    }

    let events = ledger.events().expect("events read back");
    check_as_of(&ledger, &events);
    check_transitions(&events);
    for pair in events.windows(2) {
        assert!(
            pair[1].record.recorded_at >= pair[0].record.recorded_at,
            "recorded time goes backwards at seq {}",
            pair[1].seq
        );
    }
    if !events.is_empty() {
        assert_histories_match_the_full_fold(ledger.store());
    }
    let final_state = ledger.state().clone();
    drop(ledger);
    let report = tl.verify();
    assert!(report.ok(), "verify: {:?}", report.problems);
    assert_eq!(report.events, events.len() as u64);
    assert_eq!(tl.open().state(), &final_state, "the final reopen differs");
}

/// `state_at(Seq(n))` equals a fold of the first n + 1 events, for every n.
fn check_as_of(ledger: &Ledger, events: &[StoredEvent]) {
    for n in 0..events.len() {
        let folded = State::fold(events[..=n].iter().map(|e| (e.seq, e.hash, &e.record)));
        let as_of = ledger
            .state_at(Bound::Seq(n as u64))
            .expect("the ledger reads as of a seq");
        assert_eq!(as_of, folded, "as of seq {n}");
    }
    assert_eq!(
        ledger.state_at(Bound::Latest).expect("reads"),
        *ledger.state()
    );
}

/// Replays the statuses along the chain and checks every move against the
/// table.
fn check_transitions(events: &[StoredEvent]) {
    let mut status: BTreeMap<ActionId, Status> = BTreeMap::new();
    for event in events {
        let seq = event.seq;
        let (action, from_stated, to, via) = match &event.record.event {
            Event::ActionAdded { action, .. } => {
                assert!(
                    status.insert(*action, Status::Open).is_none(),
                    "seq {seq}: action {action} added twice"
                );
                continue;
            }
            Event::StatusChanged {
                action, from, to, ..
            } => (*action, Some(*from), *to, Via::Status),
            Event::CompletionClaimed { action, .. } => (*action, None, Status::Claimed, Via::Claim),
            Event::ClaimAccepted { action, .. } => (*action, None, Status::Assured, Via::Accept),
            Event::ClaimChallenged { action, .. } => {
                (*action, None, Status::Challenged, Via::Challenge)
            }
            Event::ActionWithdrawn { action, from, .. } => {
                (*action, Some(*from), Status::Withdrawn, Via::Withdraw)
            }
            _ => continue,
        };
        let current = status
            .get_mut(&action)
            .unwrap_or_else(|| panic!("seq {seq}: a status move for unknown action {action}"));
        if let Some(from) = from_stated {
            assert_eq!(
                from, *current,
                "seq {seq}: the event's 'from' is not the status held"
            );
        }
        assert!(
            TRANSITIONS.contains(&(*current, to, via)),
            "seq {seq}: {current} -> {to} through {via:?} is not in the table"
        );
        *current = to;
    }
}
