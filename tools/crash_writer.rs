//! A helper for the crash test (`tests/it/crash.rs`): opens the ledger at the
//! directory given as its only argument (creating it, with one plan and one
//! action, if it does not exist yet), then appends milestone notes to that
//! action until it is killed.
//!
//! After each note's transaction is acknowledged as durable it prints
//! `ok N` (the note's text is `note N`) and flushes standard output, so
//! whoever reads the lines knows exactly which notes the ledger promised to
//! keep. Numbering continues from the notes already stored, so every note
//! across runs on the same ledger has its own number.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use planledger::command::Command;
use planledger::ledger::{Ledger, Stamped};
use planledger::time::SystemClock;

const ACTOR: &str = "crash-writer";

fn main() {
    let dir = PathBuf::from(
        std::env::args_os()
            .nth(1)
            .expect("usage: planledger-crash-writer LEDGER_DIR"),
    );
    let clock = Arc::new(SystemClock);
    let mut ledger = if dir.join("sled").is_dir() {
        Ledger::open(&dir, clock).expect("the existing ledger opens")
    } else {
        Ledger::init(&dir, ACTOR, clock).expect("a new ledger can be created")
    };
    if ledger.state().plans.is_empty() {
        ledger
            .transact(
                ACTOR,
                "plan add",
                vec![Stamped::from(Command::AddPlan {
                    partnership: "Crash Test CSP".into(),
                    review: "Crash".into(),
                    chair: None,
                    published: None,
                })],
            )
            .expect("the plan is recorded");
    }
    let plan = *ledger
        .state()
        .plans
        .keys()
        .next()
        .expect("the ledger holds a plan");
    if ledger.state().actions.is_empty() {
        ledger
            .transact(
                ACTOR,
                "action add",
                vec![Stamped::from(Command::AddAction {
                    plan,
                    agency: "Crash Agency".into(),
                    lead: None,
                    text: "Survive being killed".into(),
                    scope: None,
                    recommendations: Vec::new(),
                    target: None,
                })],
            )
            .expect("the action is recorded");
    }
    let action = *ledger
        .state()
        .actions
        .keys()
        .next()
        .expect("the ledger holds an action");
    let mut n = ledger.state().actions[&action].milestones.len() as u64 + 1;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    loop {
        ledger
            .transact(
                ACTOR,
                "note",
                vec![Stamped::from(Command::NoteMilestone {
                    action,
                    note: format!("note {n}"),
                })],
            )
            .expect("the note is recorded");
        writeln!(out, "ok {n}").expect("the test reads standard output");
        out.flush().expect("the test reads standard output");
        n += 1;
    }
}
