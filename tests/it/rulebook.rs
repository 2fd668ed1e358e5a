//! One rule book: a command is refused exactly when `verify` would refuse
//! the event it drafts, for the same reason.
//!
//! Random histories of commands, many of them breaking a rule on purpose
//! (an unknown action, a move the table forbids, a status it already has,
//! a blank reason or finding, a retarget to the same target, an effective
//! date after today, a decision dated before its claim, a link to a
//! recommendation the plan does not list or one already made, an amendment
//! that changes nothing or blanks a field), go through two
//! paths: the ledger's own (`Ledger::transact`) and a forger's, who drafts
//! the same event and appends it without asking (the replay `verify` runs,
//! `rules::check`, over the stored history plus that event). The verdicts
//! must be identical, refusal for refusal; and whatever the ledger accepted
//! must pass the full `verify`.

use std::sync::Arc;

use planledger::command::{self, Command};
use planledger::date::{FuzzyDate, Target};
use planledger::event::{ClockNote, LinkBasis, Record};
use planledger::id::{ActionId, PlanId, RecId};
use planledger::integrity;
use planledger::ledger::{Ledger, LedgerError, Stamped};
use planledger::rules::{self, Refusal};
use planledger::status::Status;
use planledger::time::{Clock, DayEnd, FixedClock, parse_instant};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Cmd {
    AddAction {
        blank_agency: bool,
    },
    SetStatus(u32, Status, bool),
    Note(u32, bool),
    Claim(u32, bool),
    Accept(u32, bool),
    Challenge(u32, bool),
    Withdraw(u32, bool),
    Retarget(u32, u8, bool),
    /// Action, recommendation numbers (the plan lists R1 and R2 only),
    /// basis (0 stated, 1 wording, 2 own), blank note.
    Link(u32, Vec<u32>, u8, bool),
    /// Action, then for each of text, lead, agency and scope which new
    /// value (`None`: unchanged; some values are the ones the action
    /// already has, some blank), and a blank reason.
    Amend(u32, [Option<u8>; 4], bool),
}

#[derive(Clone, Debug)]
struct Step {
    wait: i64,
    cmd: Cmd,
    /// (year, month, day, precision 0 = day, 1 = month, 2 = year); the
    /// clock starts in 2023, so some of these are in the future.
    effective: Option<(i32, u32, u32, u8)>,
}

fn cmd() -> impl Strategy<Value = Cmd> {
    let action = 1u32..6;
    let blank = prop::bool::weighted(0.15);
    let status = prop::sample::select(Status::ALL.to_vec());
    prop_oneof![
        2 => blank.prop_map(|blank_agency| Cmd::AddAction { blank_agency }),
        3 => (action.clone(), status, blank).prop_map(|(a, s, b)| Cmd::SetStatus(a, s, b)),
        1 => (action.clone(), blank).prop_map(|(a, b)| Cmd::Note(a, b)),
        3 => (action.clone(), blank).prop_map(|(a, b)| Cmd::Claim(a, b)),
        2 => (action.clone(), blank).prop_map(|(a, b)| Cmd::Accept(a, b)),
        2 => (action.clone(), blank).prop_map(|(a, b)| Cmd::Challenge(a, b)),
        1 => (action.clone(), blank).prop_map(|(a, b)| Cmd::Withdraw(a, b)),
        2 => (action.clone(), 0u8..3, blank).prop_map(|(a, t, b)| Cmd::Retarget(a, t, b)),
        2 => (
            action.clone(),
            prop::collection::vec(1u32..4, 0..3),
            0u8..3,
            blank
        )
            .prop_map(|(a, recs, basis, b)| Cmd::Link(a, recs, basis, b)),
        2 => (action, std::array::from_fn::<_, 4, _>(|_| prop::option::of(0u8..3)), blank)
            .prop_map(|(a, changes, b)| Cmd::Amend(a, changes, b)),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    (
        prop_oneof![Just(0i64), 1i64..600, 86_400i64..4_000_000],
        cmd(),
        prop::option::of((2019i32..2025, 1u32..13, 1u32..29, 0u8..3)),
    )
        .prop_map(|(wait, cmd, effective)| Step {
            wait,
            cmd,
            effective,
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
    let words = |blank: bool, text: &str| if blank { " ".into() } else { text.into() };
    let a = ActionId::of;
    match cmd.clone() {
        Cmd::AddAction { blank_agency } => Command::AddAction {
            plan: PlanId::of(1),
            agency: words(blank_agency, "Oxford Health"),
            lead: None,
            text: "Review the policy".into(),
            scope: None,
            recommendations: vec![RecId::of(1)],
            target: Some(Target {
                text: "December 2019".into(),
                date: FuzzyDate::month(2019, 12),
            }),
        },
        Cmd::SetStatus(action, to, blank) => Command::SetStatus {
            action: a(action),
            to,
            reason: words(blank, "update"),
        },
        Cmd::Note(action, blank) => Command::NoteMilestone {
            action: a(action),
            note: words(blank, "working group met"),
        },
        Cmd::Claim(action, blank) => Command::Claim {
            action: a(action),
            outcome: words(blank, "done"),
            evidence: vec![],
        },
        Cmd::Accept(action, blank) => Command::Accept {
            action: a(action),
            finding: words(blank, "seen"),
        },
        Cmd::Challenge(action, blank) => Command::Challenge {
            action: a(action),
            finding: words(blank, "not shown"),
        },
        Cmd::Withdraw(action, blank) => Command::Withdraw {
            action: a(action),
            reason: words(blank, "no longer a workstream"),
        },
        Cmd::Link(action, recommendations, basis, blank) => Command::Link {
            action: a(action),
            recommendations: recommendations.into_iter().map(RecId::of).collect(),
            basis: match basis {
                0 => LinkBasis::Stated,
                1 => LinkBasis::Wording { shared_percent: 56 },
                _ => LinkBasis::Own,
            },
            note: (basis != 1).then(|| words(blank, "confirmed at the board")),
        },
        Cmd::Amend(action, [text, lead, agency, scope], blank) => {
            // Value 0 is what every action starts with: no change.
            let pick = |which: Option<u8>, values: [&str; 3]| {
                which.map(|i| values[usize::from(i)].to_string())
            };
            let optional = |which: Option<u8>, values: [Option<&str>; 3]| {
                which.map(|i| values[usize::from(i)].map(String::from))
            };
            Command::Amend {
                action: a(action),
                text: pick(text, ["Review the policy", "Review the policy again", " "]),
                lead: optional(lead, [None, Some("Ann Lead"), Some(" ")]),
                agency: pick(agency, ["Oxford Health", "Oxford Health NHS FT", " "]),
                scope: optional(scope, [None, Some("Local"), Some("  ")]),
                reason: words(blank, "handed over"),
            }
        }
        Cmd::Retarget(action, which, blank) => Command::Retarget {
            action: a(action),
            target: match which {
                // The target every action starts with, worded otherwise:
                // the same target.
                0 => Some(Target {
                    text: "2019-12".into(),
                    date: FuzzyDate::month(2019, 12),
                }),
                1 => Some(Target {
                    text: "2020-06".into(),
                    date: FuzzyDate::month(2020, 6),
                }),
                _ => Some(Target {
                    text: "Ongoing".into(),
                    date: None,
                }),
            },
            reason: words(blank, "moved"),
        },
    }
}

/// What the forger's path says of `stamped`: the refusal `verify`'s replay
/// finds for the drafted event on top of the stored history, or the
/// refusal met while drafting (an unknown action, no claim to decide).
fn forged_verdict(ledger: &Ledger, clock: &FixedClock, stamped: &Stamped) -> Option<Refusal> {
    let event = match command::draft(ledger.state(), &stamped.command) {
        Ok(event) => event,
        Err(refusal) => return Some(refusal),
    };
    let stored = ledger.events().expect("events");
    let forged = Record {
        tx: ledger.state().last_tx.map_or(0, |tx| tx + 1),
        recorded_at: clock.now(),
        clock: ClockNote::Overridden,
        actor: "Agency lead".into(),
        effective: stamped.effective,
        source: None,
        event,
    };
    let seq = ledger.next_seq();
    let history = stored
        .iter()
        .map(|e| (e.seq, e.hash, &e.record))
        .chain(std::iter::once((seq, [0; 32], &forged)));
    let mut found = rules::check(history);
    assert!(
        found.iter().all(|(at, _)| *at == seq),
        "the stored history itself breaks the rules: {found:?}"
    );
    found.pop().map(|(_, refusal)| refusal)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn a_command_is_refused_exactly_when_verify_refuses_its_event(
        steps in prop::collection::vec(step(), 1..40)
    ) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let start = parse_instant("2023-01-01T00:00:00Z", DayEnd::Start).expect("instant");
        let clock = Arc::new(FixedClock::new(start));
        let mut ledger = Ledger::init(&tmp.path().join("ledger"), "Admin", clock.clone())
            .expect("init");
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
        for number in [1, 2] {
            ledger
                .transact(
                    "Admin",
                    "rec",
                    vec![Stamped::from(Command::AddRecommendation {
                        plan: PlanId::of(1),
                        number: Some(RecId::of(number)),
                        text: format!("Recommendation {number}"),
                        scope: None,
                    })],
                )
                .expect("recommendation");
        }
        for step in &steps {
            clock.advance_secs(step.wait);
            let stamped = Stamped {
                command: command(&step.cmd),
                effective: step.effective.and_then(effective),
                source: None,
            };
            let forged = forged_verdict(&ledger, &clock, &stamped);
            let head = ledger.next_seq();
            match ledger.transact("Agency lead", "step", vec![stamped.clone()]) {
                Ok(_) => prop_assert_eq!(forged, None, "accepted, but verify refuses {:?}", stamped),
                Err(LedgerError::Refused(refusal)) => {
                    prop_assert_eq!(ledger.next_seq(), head, "a refused command wrote something");
                    prop_assert_eq!(Some(refusal), forged, "{:?}", stamped);
                }
                Err(other) => panic!("{other}"),
            }
        }
        let report = integrity::verify(ledger.store()).expect("verify runs");
        prop_assert!(report.ok(), "{:?}", report.problems);
    }
}

/// Each rule the review found missing from `verify`'s replay is now met by
/// the command and by the replay alike, with the same refusal.
#[test]
fn the_rules_verify_once_missed_are_refused_by_both_paths() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let start = parse_instant("2023-01-01T00:00:00Z", DayEnd::Start).expect("instant");
    let clock = Arc::new(FixedClock::new(start));
    let mut ledger =
        Ledger::init(&tmp.path().join("ledger"), "Admin", clock.clone()).expect("init");
    let add_plan = |partnership: &str| Command::AddPlan {
        partnership: partnership.into(),
        review: "Alice".into(),
        chair: None,
        published: None,
    };
    ledger
        .transact("Admin", "plan", vec![Stamped::from(add_plan("CSP"))])
        .expect("plan");
    ledger
        .transact(
            "Admin",
            "action",
            vec![Stamped::from(command(&Cmd::AddAction {
                blank_agency: false,
            }))],
        )
        .expect("action");
    type Expected = fn(&Refusal) -> bool;
    let cases: Vec<(Stamped, Expected)> = vec![
        (
            Stamped::from(command(&Cmd::SetStatus(1, Status::InProgress, true))),
            |r| matches!(r, Refusal::Empty { what: "reason" }),
        ),
        (Stamped::from(command(&Cmd::Retarget(1, 0, false))), |r| {
            matches!(r, Refusal::SameTarget { .. })
        }),
        (
            Stamped {
                command: command(&Cmd::Note(1, false)),
                effective: FuzzyDate::day(2023, 1, 2),
                source: None,
            },
            |r| matches!(r, Refusal::EffectiveInFuture { .. }),
        ),
        (
            Stamped::from(command(&Cmd::Link(1, vec![1], 0, false))),
            |r| matches!(r, Refusal::UnlistedRecommendation { listed, .. } if listed.is_empty()),
        ),
        (
            Stamped::from(command(&Cmd::Amend(1, [Some(0), None, None, None], false))),
            |r| matches!(r, Refusal::AmendsNothing { .. }),
        ),
        (
            Stamped::from(command(&Cmd::Amend(1, [None, None, None, None], false))),
            |r| matches!(r, Refusal::NothingAmended),
        ),
        (Stamped::from(add_plan("  ")), |r| {
            matches!(
                r,
                Refusal::Empty {
                    what: "partnership"
                }
            )
        }),
    ];
    for (stamped, expected) in cases {
        let forged = forged_verdict(&ledger, &clock, &stamped);
        let refused = match ledger.transact("Agency lead", "step", vec![stamped.clone()]) {
            Err(LedgerError::Refused(refusal)) => refusal,
            other => panic!("{stamped:?} was not refused: {other:?}"),
        };
        assert!(expected(&refused), "{stamped:?}: {refused:?}");
        assert_eq!(forged, Some(refused), "{stamped:?}");
    }
}
