//! Ten writers and ten readers at once on one ledger, every one a real
//! `planledger` process started again and again: writers add milestone
//! notes and retargets (and a status change) to their own action with
//! `--wait`, readers run `show`, `history`, `verify` and
//! `export --format events`. At the end every write reported successful is
//! in the ledger exactly once and no refused one is; every refusal was one
//! plain line; no reader saw a torn chain (every export's lines link, hash
//! to hash, from the genesis event); and `verify` passes.
//!
//! It runs for [`DEFAULT_SECONDS`] seconds; `PLANLEDGER_CONCURRENCY_SECONDS=60`
//! runs it for a minute:
//!
//! ```text
//! PLANLEDGER_CONCURRENCY_SECONDS=60 cargo test --test it concurrency -- --nocapture
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Run, TempLedger, add_action, add_plan, planledger, record, run};

const WRITERS: u32 = 10;
const READERS: u32 = 10;
const DEFAULT_SECONDS: u64 = 4;

fn seconds() -> u64 {
    std::env::var("PLANLEDGER_CONCURRENCY_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SECONDS)
}

/// What the processes reported, gathered from every thread.
#[derive(Default)]
struct Outcome {
    /// The texts of notes and retarget reasons written and acknowledged.
    acked: Vec<String>,
    /// The texts of writes refused.
    refused: Vec<String>,
    /// Runs per command name.
    runs: BTreeMap<&'static str, usize>,
    problems: Vec<String>,
}

/// The lines of standard error that are not the "waiting for ledger …"
/// notice a process prints while it waits for the lock.
fn said(out: &Run) -> Vec<&str> {
    out.stderr
        .lines()
        .filter(|l| !l.starts_with("waiting for ledger") && !l.trim().is_empty())
        .collect()
}

/// A refusal is one plain line: `error: …`, no panic, no Debug text.
fn plain_refusal(out: &Run) -> Result<(), String> {
    let lines = said(out);
    match lines.as_slice() {
        [line] if line.starts_with("error: ") && !line.contains(" { ") => Ok(()),
        _ => Err(format!(
            "exit {} without one plain line: {:?}",
            out.code, out.stderr
        )),
    }
}

/// An export whose lines are JSON and link: each `prev` is the hash of
/// the line before, and `seq` counts up from 0.
fn check_export(stdout: &str) -> Result<usize, String> {
    let mut prev = "0".repeat(64);
    for (n, line) in stdout.lines().enumerate() {
        let event: Value =
            serde_json::from_str(line).map_err(|e| format!("line {n} is not JSON ({e})"))?;
        if event["seq"].as_u64() != Some(n as u64) || event["prev"].as_str() != Some(&prev) {
            return Err(format!("line {n} does not link to the line before: {line}"));
        }
        prev = event["hash"].as_str().unwrap_or_default().to_string();
    }
    Ok(stdout.lines().count())
}

fn writer(dir: &Path, id: u32, until: Instant, outcome: &Mutex<Outcome>) {
    let action = format!("A{id}");
    let mut k = 0u32;
    while Instant::now() < until {
        k += 1;
        let text = format!("writer {id} write {k}");
        let (name, args): (&'static str, Vec<String>) = match k % 4 {
            // A status change first, then notes and retargets.
            1 if k == 1 => (
                "status",
                vec![
                    "status".into(),
                    action.clone(),
                    "in-progress".into(),
                    "--reason".into(),
                    text.clone(),
                ],
            ),
            0 => (
                "retarget",
                vec![
                    "retarget".into(),
                    action.clone(),
                    format!("2023-{:02}", k % 12 + 1),
                    "--reason".into(),
                    text.clone(),
                ],
            ),
            _ => ("note", vec!["note".into(), action.clone(), text.clone()]),
        };
        let out = run(planledger(dir)
            .env("PLANLEDGER_ACTOR", format!("Writer {id}"))
            .args(["--wait", "120"])
            .args(&args));
        let mut outcome = outcome.lock().unwrap_or_else(|p| p.into_inner());
        *outcome.runs.entry(name).or_default() += 1;
        if out.code == 0 {
            outcome.acked.push(text);
        } else {
            if let Err(e) = plain_refusal(&out) {
                outcome.problems.push(format!("{name} by writer {id}: {e}"));
            }
            outcome.refused.push(text);
        }
    }
}

fn reader(dir: &Path, id: u32, until: Instant, outcome: &Mutex<Outcome>) {
    let mut k = 0u32;
    while Instant::now() < until {
        k += 1;
        let action = format!("A{}", (id + k) % WRITERS + 1);
        let (name, args): (&'static str, Vec<&str>) = match k % 4 {
            0 => ("show", vec!["show"]),
            1 => ("history", vec!["history", &action]),
            2 => ("verify", vec!["verify"]),
            _ => ("export", vec!["export", "--format", "events"]),
        };
        let out = run(planledger(dir).args(["--wait", "120"]).args(&args));
        let mut problem = None;
        if out.code != 0 {
            problem = Some(match plain_refusal(&out) {
                // A reader has no reason to be refused: any refusal is a
                // finding, a plain one included.
                Ok(()) => format!("refused: {}", out.stderr.trim()),
                Err(e) => e,
            });
        } else if name == "export" {
            problem = check_export(&out.stdout).err();
        } else if !said(&out).is_empty() {
            problem = Some(format!("said on stderr: {:?}", out.stderr));
        }
        let mut outcome = outcome.lock().unwrap_or_else(|p| p.into_inner());
        *outcome.runs.entry(name).or_default() += 1;
        if let Some(problem) = problem {
            outcome
                .problems
                .push(format!("{name} by reader {id}: {problem}"));
        }
    }
}

#[test]
fn ten_writers_and_ten_readers_at_once_lose_nothing_tear_nothing_and_verify() {
    let (tl, mut ledger) = TempLedger::new();
    record(&mut ledger, &tl.clock, vec![add_plan()]);
    for i in 1..=WRITERS {
        record(
            &mut ledger,
            &tl.clock,
            vec![add_action(1, &format!("Agency {i}"))],
        );
    }
    drop(ledger);
    let dir = tl.dir();
    let seconds = seconds();
    let until = Instant::now() + Duration::from_secs(seconds);
    let outcome = Mutex::new(Outcome::default());
    std::thread::scope(|scope| {
        for id in 1..=WRITERS {
            let (dir, outcome) = (&dir, &outcome);
            scope.spawn(move || writer(dir, id, until, outcome));
        }
        for id in 1..=READERS {
            let (dir, outcome) = (&dir, &outcome);
            scope.spawn(move || reader(dir, id, until, outcome));
        }
    });
    let mut outcome = outcome.into_inner().unwrap_or_else(|p| p.into_inner());

    let verify = run(planledger(&dir).arg("verify"));
    if verify.code != 0 {
        outcome.problems.push(format!(
            "verify at the end exited {}: {}",
            verify.code, verify.stdout
        ));
    }
    let export = run(planledger(&dir).args(["export", "--format", "events"]));
    assert_eq!(export.code, 0, "export at the end: {}", export.stderr);
    if let Err(e) = check_export(&export.stdout) {
        outcome.problems.push(format!("the final export: {e}"));
    }
    // Every text a writer wrote, as stored: a note's words or a reason.
    let mut stored: BTreeMap<String, usize> = BTreeMap::new();
    for line in export.stdout.lines() {
        let event: Value = serde_json::from_str(line).expect("checked above");
        for field in ["note", "reason"] {
            if let Some(text) = event["event"][field].as_str() {
                *stored.entry(text.to_string()).or_default() += 1;
            }
        }
    }
    for text in &outcome.acked {
        match stored.get(text) {
            Some(1) => {}
            Some(n) => outcome
                .problems
                .push(format!("{text:?} is stored {n} times")),
            None => outcome.problems.push(format!(
                "{text:?} was acknowledged but is not in the ledger"
            )),
        }
    }
    for text in &outcome.refused {
        if stored.contains_key(text) {
            outcome
                .problems
                .push(format!("{text:?} was refused but is in the ledger"));
        }
    }
    let runs: Vec<String> = outcome
        .runs
        .iter()
        .map(|(name, n)| format!("{n} {name}"))
        .collect();
    eprintln!(
        "concurrency: {seconds} s, {WRITERS} writers and {READERS} readers: {} runs ({}); \
         {} writes acknowledged, {} refused; {} problems",
        outcome.runs.values().sum::<usize>(),
        runs.join(", "),
        outcome.acked.len(),
        outcome.refused.len(),
        outcome.problems.len()
    );
    assert!(
        outcome.problems.is_empty(),
        "{} problems:\n{}",
        outcome.problems.len(),
        outcome.problems.join("\n")
    );
    assert!(
        !outcome.acked.is_empty(),
        "no write was acknowledged, so nothing was tested"
    );
}
