//! A helper for the crash test (`tests/it/crash.rs`) and the fault campaign
//! (`tests/it/campaign.rs`): opens the ledger at the directory given as its
//! first argument (creating it, with one plan and one action, if it does not
//! exist yet), then writes to it in a loop, in one of four modes, until it
//! is killed or a write fails:
//!
//! - `notes` (the default): one milestone note per transaction;
//! - `bulk`: transactions of [`BULK_NOTES`] notes each;
//! - `snapshot`: transactions of [`SNAPSHOT_NOTES`] notes, each followed by
//!   an explicit `snapshot::save`, so that a kill can land inside a
//!   snapshot write;
//! - `open`: no writes of its own: opens the ledger, reads it, closes it,
//!   and again (sled writes files while it opens, and the ledger writes a
//!   snapshot on open when one is due);
//! - `redact`: a note naming someone (`note N: visited Pat
//!   Redactable00000N`), then a redaction of it, and again, so that a kill
//!   can land inside a redaction's rewrite of the database. `redacted N`
//!   follows each redaction acknowledged.
//!
//! With `--notes N` (in `notes` mode only) it stops writing once N notes
//! are acknowledged and waits, holding the ledger open, to be killed: a
//! writer on a small disk then cannot fill it while whoever kills it is
//! slow to (the writer appends hundreds of notes in a tenth of a second).
//!
//! After a transaction is acknowledged as durable it prints `ok N` for each
//! of its notes (the note's text is `note N`, or `note N (i/k)` for the
//! `i`-th note of a transaction of `k`), all at once, and flushes standard
//! output, so whoever reads the lines knows exactly which notes the ledger
//! promised to keep. `snapshot S` follows each snapshot saved at sequence
//! `S`, `opened H` each open of a ledger whose head is at `H`. Numbering
//! continues from the notes already stored, so every note across runs on
//! the same ledger has its own number.
//!
//! A failure (a full disk, a damaged ledger) is printed as one plain
//! `error: …` line and ends the process with exit code 1, as the
//! `planledger` binary would: the fault campaign checks that it does.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use planledger::command::Command;
use planledger::id::ActionId;
use planledger::ledger::{Ledger, Stamped};
use planledger::snapshot;
use planledger::time::SystemClock;

const ACTOR: &str = "crash-writer";
const USAGE: &str = "usage: planledger-crash-writer LEDGER_DIR \
     [--mode notes|bulk|snapshot|open|redact] [--notes N]";

/// Notes per transaction in `bulk` mode.
const BULK_NOTES: u64 = 3;

/// Notes per transaction in `snapshot` mode.
const SNAPSHOT_NOTES: u64 = 5;

type Failure = Box<dyn std::error::Error>;

#[derive(Clone, Copy)]
enum Mode {
    /// Notes one by one, without end or until this many are acknowledged.
    Notes(Option<u64>),
    Bulk,
    Snapshot,
    Open,
    Redact,
}

fn main() {
    let mut args = std::env::args_os().skip(1);
    let dir = args.next();
    let (Some(dir), Some(mode)) = (dir, parse_args(args)) else {
        eprintln!("{USAGE}");
        std::process::exit(2);
    };
    if let Err(e) = run(&PathBuf::from(dir), mode) {
        eprintln!("error: {}", in_words(e.as_ref()));
        std::process::exit(1);
    }
}

/// The mode named by `--mode MODE` (`notes` if none is given) with any
/// `--notes N`, or `None` for anything else.
fn parse_args(args: impl Iterator<Item = std::ffi::OsString>) -> Option<Mode> {
    let mut mode = "notes".to_string();
    let mut most: Option<u64> = None;
    let mut args = args.map(|a| a.into_string().ok());
    while let Some(flag) = args.next() {
        let value = args.next()??;
        match flag?.as_str() {
            "--mode" => mode = value,
            "--notes" => most = Some(value.parse().ok()?),
            _ => return None,
        }
    }
    match (mode.as_str(), most) {
        ("notes", most) => Some(Mode::Notes(most)),
        ("bulk", None) => Some(Mode::Bulk),
        ("snapshot", None) => Some(Mode::Snapshot),
        ("open", None) => Some(Mode::Open),
        ("redact", None) => Some(Mode::Redact),
        _ => None,
    }
}

/// An error and its causes on one line, each cause once.
fn in_words(e: &dyn std::error::Error) -> String {
    let mut words = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !words.contains(&said) {
            words.push_str(": ");
            words.push_str(&said);
        }
        source = cause.source();
    }
    words
}

fn run(dir: &Path, mode: Mode) -> Result<(), Failure> {
    let (ledger, action) = prepare(dir)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match mode {
        Mode::Notes(most) => write_notes(ledger, action, 1, most, false, &mut out),
        Mode::Bulk => write_notes(ledger, action, BULK_NOTES, None, false, &mut out),
        Mode::Snapshot => write_notes(ledger, action, SNAPSHOT_NOTES, None, true, &mut out),
        Mode::Open => {
            drop(ledger);
            open_again_and_again(dir, &mut out)
        }
        Mode::Redact => note_and_redact(ledger, action, &mut out),
    }
}

/// Appends a note naming someone and then redacts it, until a write fails,
/// printing `ok N` once the note is acknowledged and `redacted N` once its
/// redaction is (which is only after the database was rewritten).
fn note_and_redact(
    mut ledger: Ledger,
    action: ActionId,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let mut n = ledger.state().actions[&action].milestones.len() as u64 + 1;
    loop {
        let note = format!("note {n}: visited Pat Redactable{n:06}");
        let receipt = ledger.transact(
            ACTOR,
            "note",
            vec![Stamped::from(Command::NoteMilestone { action, note })],
        )?;
        writeln!(out, "ok {n}")?;
        out.flush()?;
        let seq = receipt
            .events
            .first()
            .map(|e| e.seq)
            .ok_or("a note was acknowledged without an event")?;
        ledger.transact(
            ACTOR,
            "redact",
            vec![Stamped::from(Command::Redact {
                event: seq,
                slots: vec![0],
                reason: "a name written in error".into(),
            })],
        )?;
        writeln!(out, "redacted {n}")?;
        out.flush()?;
        n += 1;
    }
}

/// Opens the ledger at `dir`, creating it with one plan and one action
/// where they are missing, and returns it with that action.
fn prepare(dir: &Path) -> Result<(Ledger, ActionId), Failure> {
    let clock = Arc::new(SystemClock);
    // A redaction stopped between its two renames leaves only `sled.new`,
    // which opening puts in place.
    let mut ledger = if dir.join("sled").is_dir() || dir.join("sled.new").is_dir() {
        Ledger::open(dir, clock)?
    } else {
        Ledger::init(dir, ACTOR, clock)?
    };
    if ledger.state().plans.is_empty() {
        ledger.transact(
            ACTOR,
            "plan add",
            vec![Stamped::from(Command::AddPlan {
                partnership: "Crash Test CSP".into(),
                review: "Crash".into(),
                chair: None,
                published: None,
            })],
        )?;
    }
    let plan = *ledger
        .state()
        .plans
        .keys()
        .next()
        .expect("the ledger holds the plan just checked for");
    if ledger.state().actions.is_empty() {
        ledger.transact(
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
        )?;
    }
    let action = *ledger
        .state()
        .actions
        .keys()
        .next()
        .expect("the ledger holds the action just checked for");
    Ok((ledger, action))
}

/// Appends transactions of `per_tx` notes until a write fails (or, given
/// `most`, until that many notes are acknowledged, and then waits to be
/// killed), printing `ok N` for each note once its transaction is
/// acknowledged, and, with `snapshots`, saving a snapshot after each
/// transaction.
fn write_notes(
    mut ledger: Ledger,
    action: ActionId,
    per_tx: u64,
    most: Option<u64>,
    snapshots: bool,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let mut n = ledger.state().actions[&action].milestones.len() as u64 + 1;
    let mut written = 0u64;
    loop {
        if most.is_some_and(|most| written >= most) {
            // Killed here, the ledger is left open, as a crash leaves it.
            std::thread::sleep(Duration::from_secs(3600));
            continue;
        }
        let numbers = n..n + per_tx;
        let commands = numbers
            .clone()
            .zip(1..)
            .map(|(number, i)| {
                let note = if per_tx == 1 {
                    format!("note {number}")
                } else {
                    format!("note {number} ({i}/{per_tx})")
                };
                Stamped::from(Command::NoteMilestone { action, note })
            })
            .collect();
        ledger.transact(ACTOR, "note", commands)?;
        let mut acks = String::new();
        for number in numbers {
            acks.push_str(&format!("ok {number}\n"));
        }
        out.write_all(acks.as_bytes())?;
        out.flush()?;
        n += per_tx;
        written += per_tx;
        if snapshots {
            snapshot::save(ledger.store(), ledger.state())?;
            let (seq, _) = ledger.state().head.expect("a ledger with notes has a head");
            writeln!(out, "snapshot {seq}")?;
            out.flush()?;
        }
    }
}

/// Opens the ledger, reads it whole, closes it, and again, until killed.
fn open_again_and_again(dir: &Path, out: &mut dyn Write) -> Result<(), Failure> {
    loop {
        wait_for_sled_release(dir)?;
        let ledger = Ledger::open(dir, Arc::new(SystemClock))?;
        let head = ledger.events()?.last().map_or(0, |e| e.seq);
        drop(ledger);
        writeln!(out, "opened {head}")?;
        out.flush()?;
    }
}

/// Waits (at most ten seconds) until nobody holds the lock on sled's `db`
/// file. sled 0.34.7 lets go of it a moment after its `Db` is dropped, not
/// at once (sled issues #1234 and #1289), so reopening straight away in
/// the same process would fail with "could not acquire lock".
fn wait_for_sled_release(dir: &Path) -> Result<(), Failure> {
    let path = dir.join("sled").join("db");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let file = std::fs::File::open(&path)?;
        if file.try_lock().is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "sled still holds {} ten seconds after it was closed",
                path.display()
            )
            .into());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}
