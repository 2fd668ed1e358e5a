//! The store under faults: a campaign of SIGKILLs at random points of
//! opening, appending, importing, snapshotting and redacting on one growing
//! ledger, and a write onto a full disk. After every fault the real `planledger` binary must answer
//! every read (`show`, `history`, `audit`, `export --format events`),
//! `verify` must pass, and the ledger must hold every acknowledged write
//! and nothing else but, at most, the one transaction that was in flight
//! when the fault struck, whole (rules 2 and 3 of the design).
//!
//! The writer is `planledger-crash-writer` (in `tools/`), in the mode each
//! cycle picks: single notes, transactions of several notes, transactions
//! each followed by a snapshot, a note then its redaction (which rewrites
//! the database), or opening and closing the ledger only; or the cycle runs
//! `planledger import` of a generated CSV of [`DEFAULT_IMPORT_ROWS`] rows
//! (`PLANLEDGER_CAMPAIGN_IMPORT_ROWS`), killed at a random point of about
//! the time the last whole import took. An acknowledged import (exit 0) must
//! be there with every action; a killed one whole or not at all; an
//! acknowledged redaction must have erased its note, and no note is erased
//! but by an acknowledged redaction or the one in flight.
//!
//! By default the campaign runs [`DEFAULT_CYCLES`] cycles, so the test suite
//! stays fast. The long campaign (a few hundred cycles) is
//!
//! ```text
//! PLANLEDGER_CAMPAIGN_CYCLES=400 cargo test --test it campaign -- --nocapture
//! ```
//!
//! and a failing run is repeated with the `PLANLEDGER_TEST_SEED=…` it
//! printed. The full disk is a 2 MiB tmpfs mounted for the test (the tests
//! run as root here); where mounting is not permitted, or with
//! `PLANLEDGER_CAMPAIGN_NO_MOUNT=1`, the writer runs under a 2 MiB file
//! size limit instead (`prlimit --fsize`, with `SIGXFSZ` ignored so the
//! write fails with an error rather than killing the process).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command as Process, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::{
    Rng, Run, SmallDisk, fill_with_another_file, is_plain_error, planledger, run, spawn,
};

/// Cycles run when `PLANLEDGER_CAMPAIGN_CYCLES` is not set.
const DEFAULT_CYCLES: usize = 40;

/// Rows of the CSV an import cycle imports when
/// `PLANLEDGER_CAMPAIGN_IMPORT_ROWS` is not set.
const DEFAULT_IMPORT_ROWS: usize = 1000;

fn campaign_cycles() -> usize {
    std::env::var("PLANLEDGER_CAMPAIGN_CYCLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_CYCLES)
}

/// What the writer does; see `tools/crash_writer.rs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Mode {
    Notes,
    Bulk,
    Snapshot,
    Open,
    Redact,
    /// `planledger import` of a generated CSV (the real binary, not the
    /// writer).
    Import,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Notes => "notes",
            Mode::Bulk => "bulk",
            Mode::Snapshot => "snapshot",
            Mode::Open => "open",
            Mode::Redact => "redact",
            Mode::Import => "import",
        }
    }

    /// Picks a mode: appends most often, since they are what must survive.
    fn pick(rng: &mut Rng) -> Mode {
        match rng.between(0, 10) {
            0..=2 => Mode::Notes,
            3..=4 => Mode::Bulk,
            5..=6 => Mode::Snapshot,
            7..=8 => Mode::Redact,
            9 => Mode::Import,
            _ => Mode::Open,
        }
    }
}

/// The writer binary in `mode`, on the ledger at `dir`.
fn writer(dir: &Path, mode: Mode) -> Process {
    let mut process = Process::new(env!("CARGO_BIN_EXE_planledger-crash-writer"));
    process.arg(dir).arg("--mode").arg(mode.name());
    process
}

/// The writer in `notes` mode, stopping after `notes` notes to wait to be
/// killed: on a small disk, a writer left to run while the test is slow to
/// kill it (on a loaded machine) would fill the disk by itself.
fn note_writer(dir: &Path, notes: usize) -> Process {
    let mut process = writer(dir, Mode::Notes);
    process.arg("--notes").arg(notes.to_string());
    process
}

/// What one run of the writer printed, and how it ended.
struct WriterRun {
    /// The notes it acknowledged, in order.
    acked: Vec<u64>,
    /// The notes whose redaction it acknowledged.
    redacted: Vec<u64>,
    /// Lines of any kind it printed.
    lines: usize,
    /// Its exit status if it ended before it was killed.
    ended: Option<ExitStatus>,
    stderr: String,
}

impl WriterRun {
    fn failed_by_itself(&self) -> Option<String> {
        self.ended.map(|status| {
            format!(
                "the writer ended by itself ({status}) after {} lines of output: {}",
                self.lines,
                self.stderr.trim()
            )
        })
    }
}

/// Starts the writer, and kills it with SIGKILL once it has printed
/// `lines` lines (or 30 seconds passed) and `delay` more has gone by.
/// With `lines` unset, waits (at most `limit`) for it to end by itself.
fn run_writer(process: &mut Process, lines: Option<usize>, delay: Duration) -> WriterRun {
    let limit = Duration::from_secs(120);
    let mut child = spawn(
        process
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(());
            lines.push(line);
        }
        lines
    });
    let ended = match lines {
        Some(wanted) => {
            for _ in 0..wanted {
                if rx.recv_timeout(Duration::from_secs(30)).is_err() {
                    break;
                }
            }
            std::thread::sleep(delay);
            let ended = child.try_wait().expect("the writer can be polled");
            // `Child::kill` sends SIGKILL on Unix.
            child.kill().expect("the writer can be killed");
            child.wait().expect("the writer is reaped");
            ended
        }
        None => {
            let deadline = Instant::now() + limit;
            loop {
                if let Some(status) = child.try_wait().expect("the writer can be polled") {
                    break Some(status);
                }
                if Instant::now() > deadline {
                    child.kill().expect("the writer can be killed");
                    child.wait().expect("the writer is reaped");
                    panic!("the writer was still writing after {limit:?}: the disk never filled");
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    let printed = reader.join().expect("the reader thread ends");
    let mut acked = Vec::new();
    let mut redacted = Vec::new();
    for line in &printed {
        if let Some(n) = line.strip_prefix("ok ") {
            acked.push(
                n.parse()
                    .unwrap_or_else(|_| panic!("unexpected writer output {line:?}")),
            );
        } else if let Some(n) = line.strip_prefix("redacted ") {
            redacted.push(
                n.parse()
                    .unwrap_or_else(|_| panic!("unexpected writer output {line:?}")),
            );
        } else {
            assert!(
                line.starts_with("snapshot ") || line.starts_with("opened "),
                "unexpected writer output {line:?}"
            );
        }
    }
    WriterRun {
        acked,
        redacted,
        lines: printed.len(),
        ended,
        stderr,
    }
}

/// One stored milestone note, as `export --format events` shows it.
#[derive(Debug)]
struct StoredNote {
    number: u64,
    tx: u64,
    /// `(i, k)` for the `i`-th note of a transaction of `k`.
    part: Option<(u64, u64)>,
    /// Its words were erased by a redaction.
    erased: bool,
}

/// Every file under `dir` with its size: what a failure report shows, so
/// that a stray file (a 0-byte `snap.*.generating`) is seen at once.
fn on_disk(dir: &Path) -> String {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let shown = path.strip_prefix(base).unwrap_or(&path).display();
            match entry.metadata() {
                Ok(meta) if meta.is_dir() => {
                    out.push(format!("  {shown}/"));
                    walk(&path, base, out);
                }
                Ok(meta) => out.push(format!("  {shown} ({} bytes)", meta.len())),
                Err(e) => out.push(format!("  {shown} ({e})")),
            }
        }
    }
    let mut lines = Vec::new();
    walk(dir, dir, &mut lines);
    format!("on disk in {}:\n{}", dir.display(), lines.join("\n"))
}

/// Runs the real binary with `args` on the ledger at `dir`; a non-zero
/// exit or a panic is a failure, reported with what is on disk.
fn command(planledger: &mut Process, dir: &Path, args: &[&str]) -> Result<Run, String> {
    let result = run(planledger.args(args));
    if result.code != 0 || result.stderr.contains("panicked") {
        return Err(format!(
            "`planledger {}` exited with {}: {}\n{}",
            args.join(" "),
            result.code,
            result.stderr.trim(),
            on_disk(dir)
        ));
    }
    Ok(result)
}

/// Every read command and `verify`, run as the real binary; returns the
/// stored notes from the exported chain, checked to be numbered `1..=n` in
/// order, each transaction of several notes whole.
fn read_everything(dir: &Path, binary: &dyn Fn() -> Process) -> Result<Vec<StoredNote>, String> {
    read_all(dir, binary).map(|(notes, _)| notes)
}

/// [`read_everything`], with the imported plans and their action counts.
fn read_all(
    dir: &Path,
    binary: &dyn Fn() -> Process,
) -> Result<(Vec<StoredNote>, BTreeMap<String, u64>), String> {
    let export = command(&mut binary(), dir, &["export", "--format", "events"])?;
    for args in [&["show"][..], &["history", "A1"], &["audit"]] {
        command(&mut binary(), dir, args)?;
    }
    command(&mut binary(), dir, &["verify"])?;
    let notes = notes_of(&export.stdout)?;
    check_shape(&notes)?;
    Ok((notes, imports_of(&export.stdout)?))
}

/// The milestone notes in an `export --format events` output. A note
/// whose words were erased by a redaction is numbered by its place (the
/// notes are numbered in order, which the notes around it still show).
fn notes_of(export: &str) -> Result<Vec<StoredNote>, String> {
    let mut notes = Vec::new();
    for line in export.lines() {
        let event: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| format!("an exported line is not JSON ({e}): {line}"))?;
        if event["event"]["type"] != "MilestoneNoted" {
            continue;
        }
        let tx = event["tx"].as_u64().ok_or(format!("no tx in {line}"))?;
        if event["texts"][0]["erased_by"].is_u64() {
            let number = notes.len() as u64 + 1;
            notes.push(StoredNote {
                number,
                tx,
                part: None,
                erased: true,
            });
            continue;
        }
        let text = event["event"]["note"].as_str().unwrap_or_default();
        // A redact-mode note: `note N: visited …`.
        let text = text.split_once(": visited ").map_or(text, |(head, _)| head);
        let (number, part) = match text.strip_prefix("note ").map(|t| t.split_once(" (")) {
            Some(None) => (text["note ".len()..].parse().ok(), None),
            Some(Some((number, part))) => (
                number.parse().ok(),
                part.strip_suffix(')')
                    .and_then(|p| p.split_once('/'))
                    .and_then(|(i, k)| Some((i.parse().ok()?, k.parse().ok()?))),
            ),
            None => (None, None),
        };
        let number = number.ok_or(format!("an unexpected note {text:?}"))?;
        if text.contains(" (") && part.is_none() {
            return Err(format!("an unexpected note {text:?}"));
        }
        notes.push(StoredNote {
            number,
            tx,
            part,
            erased: false,
        });
    }
    Ok(notes)
}

/// The plans an import made (review `Bulk …`), each with the number of
/// actions it holds, from an `export --format events` output.
fn imports_of(export: &str) -> Result<BTreeMap<String, u64>, String> {
    let mut plans: BTreeMap<String, String> = BTreeMap::new();
    let mut actions: BTreeMap<String, u64> = BTreeMap::new();
    for line in export.lines() {
        let event: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| format!("an exported line is not JSON ({e}): {line}"))?;
        let event = &event["event"];
        let plan = event["plan"].as_str().unwrap_or_default().to_string();
        match event["type"].as_str() {
            Some("PlanAdded") => {
                if let Some(review) = event["review"].as_str().filter(|r| r.starts_with("Bulk ")) {
                    plans.insert(plan, review.to_string());
                }
            }
            Some("ActionAdded") => *actions.entry(plan).or_default() += 1,
            _ => {}
        }
    }
    Ok(plans
        .into_iter()
        .map(|(plan, review)| (review, actions.get(&plan).copied().unwrap_or(0)))
        .collect())
}

/// Notes are `1..=n` in order, and every transaction holds exactly the
/// notes it was written with: one unnumbered note, or parts `1..=k` of `k`.
fn check_shape(notes: &[StoredNote]) -> Result<(), String> {
    for (expected, note) in (1..).zip(notes) {
        if note.number != expected {
            return Err(format!(
                "the stored notes are not 1..=n in order: note {} stands where note {expected} should",
                note.number
            ));
        }
    }
    let mut by_tx: BTreeMap<u64, Vec<&StoredNote>> = BTreeMap::new();
    for note in notes {
        by_tx.entry(note.tx).or_default().push(note);
    }
    for (tx, held) in by_tx {
        let whole = match held[0].part {
            None => held.len() == 1,
            Some((_, k)) => {
                held.len() as u64 == k && (1..).zip(&held).all(|(i, n)| n.part == Some((i, k)))
            }
        };
        if !whole {
            let parts: Vec<String> = held
                .iter()
                .map(|n| match n.part {
                    Some((i, k)) => format!("note {} ({i}/{k})", n.number),
                    None => format!("note {}", n.number),
                })
                .collect();
            return Err(format!(
                "transaction {tx} is not whole: it holds {}",
                parts.join(", ")
            ));
        }
    }
    Ok(())
}

/// The campaign's running account.
#[derive(Default)]
struct Tally {
    cycles: usize,
    by_mode: BTreeMap<Mode, usize>,
    /// Kills that landed before the writer printed anything: while it
    /// started or opened the ledger.
    killed_while_opening: usize,
    acked: BTreeSet<u64>,
    /// Notes whose redaction was acknowledged.
    redacted: BTreeSet<u64>,
    /// Imports acknowledged (their review names), and imports killed whose
    /// transaction was found whole or not at all.
    imports_acked: BTreeSet<String>,
    imports_killed_kept: usize,
    imports_killed_gone: usize,
    /// Transactions committed but killed before they were acknowledged.
    in_flight_kept: usize,
    losses: Vec<String>,
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let modes: Vec<String> = self
            .by_mode
            .iter()
            .map(|(mode, n)| format!("{n} {}", mode.name()))
            .collect();
        write!(
            f,
            "{} cycles ({}; {} killed before the writer printed anything), \
             {} writes acknowledged, {} redactions acknowledged, {} imports acknowledged, \
             {} killed imports found whole and {} not at all, \
             {} acknowledged writes lost, \
             {} unacknowledged transactions found whole",
            self.cycles,
            modes.join(", "),
            self.killed_while_opening,
            self.acked.len(),
            self.redacted.len(),
            self.imports_acked.len(),
            self.imports_killed_kept,
            self.imports_killed_gone,
            self.losses.len(),
            self.in_flight_kept
        )
    }
}

/// Rows of the generated CSV each import cycle imports.
fn import_rows() -> usize {
    std::env::var("PLANLEDGER_CAMPAIGN_IMPORT_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_IMPORT_ROWS)
}

/// A plan of `rows` actions as a CSV file, each row its own action, its
/// words naming `review` (an import of the same bytes twice is refused).
fn write_import_csv(path: &Path, rows: usize, review: &str) {
    let mut csv = String::from(
        "Agency,Action to be taken,Lead Agency,Target Date,Date of completion and Outcome\n",
    );
    for i in 1..=rows {
        csv.push_str(&format!(
            "Agency {},Action {i} for {review}: cohort {i} of staff trained on coercive control,Lead {i},July 2019,\n",
            i % 12
        ));
    }
    std::fs::write(path, csv).expect("the CSV is written");
}

/// How an import run ended: acknowledged (exit 0 before the kill), or
/// killed, or failed by itself.
struct ImportRun {
    acked: bool,
    failed: Option<String>,
    took: Duration,
}

/// Runs `planledger import CSV --review REVIEW`, and kills it with SIGKILL
/// after `delay` unless it has ended by then.
fn run_import(dir: &Path, csv: &Path, review: &str, delay: Duration) -> ImportRun {
    let started = Instant::now();
    let mut child = spawn(
        planledger(dir)
            .env("PLANLEDGER_ACTOR", "Campaign Importer")
            .arg("import")
            .arg(csv)
            .args(["--partnership", "Bulk CSP", "--review", review])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
    );
    let deadline = started + delay;
    let status = loop {
        if let Some(status) = child.try_wait().expect("the import can be polled") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            child.kill().expect("the import can be killed");
            child.wait().expect("the import is reaped");
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let took = started.elapsed();
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    match status {
        Some(status) if status.success() => ImportRun {
            acked: true,
            failed: None,
            took,
        },
        Some(status) => ImportRun {
            acked: false,
            failed: Some(format!(
                "the import ended by itself ({status}): {}",
                stderr.trim()
            )),
            took,
        },
        None => ImportRun {
            acked: false,
            failed: None,
            took,
        },
    }
}

#[test]
fn sigkill_in_appends_imports_snapshots_and_redactions_loses_no_acknowledged_write() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let dir = tmp.path().join("ledger");
    let cycles = campaign_cycles();
    let rows = import_rows();
    let csv = tmp.path().join("bulk.csv");
    let mut rng = Rng::from_env_or_time("campaign");
    let binary = || planledger(&dir);
    let mut tally = Tally::default();
    let mut stored_before = 0u64;
    let mut erased_before: BTreeSet<u64> = BTreeSet::new();
    // How long the last whole import took: kills are aimed inside it.
    let mut import_time = Duration::from_millis(1500);
    for cycle in 0..cycles {
        // The first cycle makes the ledger: it waits for an acknowledged
        // note, so that every later read has a ledger, a plan and A1.
        let (mode, lines) = if cycle == 0 {
            (Mode::Notes, 1)
        } else {
            (Mode::pick(&mut rng), rng.between(0, 4) as usize)
        };
        let delay = Duration::from_millis(rng.between(0, 30));
        let review = format!("Bulk {cycle}");
        let (writer_run, import_run) = if mode == Mode::Import {
            let ms = import_time.as_millis() as u64;
            let delay = Duration::from_millis(rng.between(ms / 4, ms + ms / 4));
            write_import_csv(&csv, rows, &review);
            (None, Some(run_import(&dir, &csv, &review, delay)))
        } else {
            (
                Some(run_writer(&mut writer(&dir, mode), Some(lines), delay)),
                None,
            )
        };
        tally.cycles += 1;
        *tally.by_mode.entry(mode).or_default() += 1;
        if let Some(writer_run) = &writer_run {
            if writer_run.lines == 0 {
                tally.killed_while_opening += 1;
            }
            tally.acked.extend(&writer_run.acked);
            tally.redacted.extend(&writer_run.redacted);
        }
        if let Some(import) = &import_run
            && import.acked
        {
            tally.imports_acked.insert(review.clone());
            import_time = import.took;
        }
        let fail = |problem: String, tally: &Tally| -> ! {
            eprintln!("campaign: {tally}");
            panic!(
                "campaign cycle {cycle} ({}, killed after {lines} lines and {} ms): {problem}\n\
                 (repeat it with the PLANLEDGER_TEST_SEED printed above)",
                mode.name(),
                delay.as_millis()
            )
        };
        let read = read_all(&dir, &binary);
        let ended = writer_run
            .as_ref()
            .and_then(WriterRun::failed_by_itself)
            .or_else(|| import_run.as_ref().and_then(|i| i.failed.clone()));
        if let Some(ended) = ended {
            let then = match read {
                Ok((notes, _)) => format!("the ledger then read fine ({} notes)", notes.len()),
                Err(e) => format!("then {e}"),
            };
            fail(format!("{ended}\n{then}"), &tally);
        }
        let (notes, imports) = read.unwrap_or_else(|e| fail(e, &tally));
        let stored = notes.len() as u64;
        if stored < stored_before {
            tally.losses.push(format!(
                "cycle {cycle} ({}): {} notes stored before, only {stored} now",
                mode.name(),
                stored_before
            ));
        }
        for &n in tally.acked.range(stored + 1..) {
            tally.losses.push(format!(
                "cycle {cycle} ({}): note {n} was acknowledged but is not in the ledger ({stored} notes)",
                mode.name()
            ));
        }
        // Every acknowledged redaction erased its note; a note erased
        // without an acknowledgement can only be the one redaction in
        // flight at this cycle's kill.
        let erased: BTreeSet<u64> = notes
            .iter()
            .filter(|n| n.erased)
            .map(|n| n.number)
            .collect();
        for &n in &tally.redacted {
            if !erased.contains(&n) {
                tally.losses.push(format!(
                    "cycle {cycle} ({}): the redaction of note {n} was acknowledged but the note is not erased",
                    mode.name()
                ));
            }
        }
        let newly_erased: Vec<&u64> = erased
            .difference(&erased_before)
            .filter(|n| !tally.redacted.contains(n))
            .collect();
        if newly_erased.len() > usize::from(mode == Mode::Redact) {
            fail(
                format!("notes {newly_erased:?} were erased without an acknowledged redaction"),
                &tally,
            );
        }
        if erased_before.difference(&erased).next().is_some() {
            fail("an erased note has its words back".into(), &tally);
        }
        erased_before = erased;
        // Every acknowledged import is there whole; a killed one is whole
        // or absent.
        for (review, actions) in &imports {
            if *actions != rows as u64 {
                fail(
                    format!("the import {review:?} holds {actions} of its {rows} actions"),
                    &tally,
                );
            }
        }
        for review in &tally.imports_acked {
            if !imports.contains_key(review) {
                tally.losses.push(format!(
                    "cycle {cycle} ({}): the import {review:?} was acknowledged but is not in the ledger",
                    mode.name()
                ));
            }
        }
        if let Some(import) = &import_run
            && !import.acked
        {
            if imports.contains_key(&review) {
                tally.imports_killed_kept += 1;
            } else {
                tally.imports_killed_gone += 1;
            }
        }
        // Beyond what was acknowledged, only the transaction in flight at
        // the kill may be there, and it is whole (checked by its shape).
        let unacked: Vec<&StoredNote> = notes
            .iter()
            .filter(|n| n.number > stored_before && !tally.acked.contains(&n.number))
            .collect();
        if let Some(first) = unacked.first() {
            let one_tx = unacked.iter().all(|n| n.tx == first.tx);
            let last = unacked.iter().all(|n| n.tx == notes[notes.len() - 1].tx);
            if !one_tx || !last {
                let numbers: Vec<u64> = unacked.iter().map(|n| n.number).collect();
                fail(
                    format!(
                        "notes {numbers:?} were never acknowledged, yet are more than the one last transaction"
                    ),
                    &tally,
                );
            }
            tally.in_flight_kept += 1;
        }
        stored_before = stored_before.max(stored);
    }
    eprintln!("campaign: {tally}");
    assert!(
        tally.losses.is_empty(),
        "acknowledged writes were lost (repeat with the PLANLEDGER_TEST_SEED printed above):\n{}",
        tally.losses.join("\n")
    );
    assert!(
        !tally.acked.is_empty(),
        "over {cycles} cycles the writer acknowledged nothing, so nothing was tested"
    );
}

/// The real `planledger` binary as it runs on `disk`, with the ledger
/// directory given and nothing taken from the test's own environment.
fn planledger_on(disk: &SmallDisk, dir: &Path) -> Process {
    let mut process = disk.on_disk(Path::new(env!("CARGO_BIN_EXE_planledger")));
    process
        .env_remove("PLANLEDGER_ACTOR")
        .env_remove("PLANLEDGER_CLOCK")
        .env_remove("PLANLEDGER_LEDGER")
        .arg("--ledger")
        .arg(dir);
    process
}

#[test]
fn a_full_disk_fails_a_transaction_cleanly_and_whole_and_every_read_still_works() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let mut disk = SmallDisk::new(&tmp.path().join("disk"));
    let dir = disk.root.join("ledger");
    let writer_bin = Path::new(env!("CARGO_BIN_EXE_planledger-crash-writer"));
    // Every check below is made, and what failed is reported together, so
    // that one failure does not hide what the next stage would have shown.
    let mut problems: Vec<String> = Vec::new();

    // Fill the disk with transactions of three notes until one fails.
    let mut fill = disk.on_disk(writer_bin);
    fill.arg(&dir).arg("--mode").arg("bulk");
    let filled = run_writer(&mut fill, None, Duration::ZERO);
    let status = filled.ended.expect("the writer ran until it stopped");
    let stderr = filled.stderr.trim();
    eprintln!(
        "full disk: {} notes acknowledged, then: {stderr}",
        filled.acked.len()
    );
    assert!(
        !filled.acked.is_empty(),
        "the disk was full before the first note, so nothing was tested: {stderr}\n{}",
        on_disk(&dir)
    );
    if status.code() != Some(1) {
        problems.push(format!(
            "filling the disk: the failed write ended with {status}, not exit code 1: {stderr}"
        ));
    }
    if !is_plain_error(stderr) {
        problems.push(format!(
            "filling the disk: the failed write did not fail with one plain line: {stderr:?}"
        ));
    }
    let mut acked: BTreeSet<u64> = filled.acked.iter().copied().collect();
    let last_acked = *acked.last().expect("checked not empty");

    // Every read and verify work, every acknowledged note is there, and
    // nothing of the transaction that failed.
    let check = |when: &str, disk: &SmallDisk, acked: &BTreeSet<u64>| -> Result<(), String> {
        let notes = read_everything(&dir, &|| planledger_on(disk, &dir))
            .map_err(|e| format!("{when}: {e}"))?;
        let stored: BTreeSet<u64> = notes.iter().map(|n| n.number).collect();
        let lost: Vec<&u64> = acked.difference(&stored).collect();
        if !lost.is_empty() {
            return Err(format!(
                "{when}: acknowledged notes {lost:?} are not in the ledger"
            ));
        }
        let unacked: Vec<&u64> = stored.difference(acked).collect();
        if !unacked.is_empty() {
            return Err(format!(
                "{when}: notes {unacked:?} are in the ledger but were never acknowledged \
                 (the transaction that failed on the full disk was notes {}..={})",
                last_acked + 1,
                last_acked + 3
            ));
        }
        Ok(())
    };
    problems.extend(check("on the full disk", &disk, &acked).err());

    // A write through the real binary, on the full disk: refused plainly
    // (exit 1), or, if sled found room, acknowledged and kept.
    let next = last_acked + 1;
    let note = run(planledger_on(&disk, &dir)
        .args(["--actor", "Full Disk", "note", "A1"])
        .arg(format!("note {next}")));
    eprintln!(
        "full disk: `planledger note` exited with {}: {}",
        note.code,
        note.stderr.trim()
    );
    match note.code {
        0 => {
            acked.insert(next);
        }
        1 if is_plain_error(note.stderr.trim()) => {}
        code => problems.push(format!(
            "`planledger note` on the full disk exited with {code}, not with 1 and one plain line: {:?}",
            note.stderr
        )),
    }
    problems.extend(check("after a note on the full disk", &disk, &acked).err());

    // With space freed: the same, and writing goes on.
    disk.grow();
    problems.extend(check("after space was freed", &disk, &acked).err());
    let more = run_writer(&mut note_writer(&dir, 2), Some(2), Duration::ZERO);
    if let Some(ended) = more.failed_by_itself() {
        problems.push(format!("after space was freed, {ended}\n{}", on_disk(&dir)));
    } else if more.acked.is_empty() {
        problems.push(format!(
            "after space was freed the writer acknowledged nothing: {}",
            more.stderr
        ));
    }
    acked.extend(&more.acked);
    // The writer was killed, so its last transaction may be there
    // unacknowledged: check only that nothing acknowledged is missing.
    match read_everything(&dir, &|| planledger(&dir)) {
        Err(e) => problems.push(format!("after writing on the grown disk: {e}")),
        Ok(notes) => {
            let stored: BTreeSet<u64> = notes.iter().map(|n| n.number).collect();
            let lost: Vec<&u64> = acked.difference(&stored).collect();
            if !lost.is_empty() {
                problems.push(format!(
                    "after writing on the grown disk, acknowledged notes {lost:?} are not in the ledger"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "the ledger on a full disk:\n\n{}",
        problems.join("\n\n")
    );
}

#[test]
fn a_disk_filled_by_another_file_leaves_every_read_working_then_and_once_space_is_freed() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let disk = SmallDisk::new(&tmp.path().join("disk"));
    if !disk.mounted {
        // Only a real small file system fills from outside; a file size
        // limit cannot stand for that.
        eprintln!("a disk filled by another file: no tmpfs here, so not simulated");
        return;
    }
    let dir = disk.root.join("ledger");
    let filler = disk.root.join("filler");
    let mut acked: BTreeSet<u64> = BTreeSet::new();
    // Write, open once (sled writes its own snapshot then), and write a
    // little more, so that the next open has a snapshot of sled's to write.
    // Both writers are killed, as a crash would stop them: neither closes
    // the ledger, so the next reader finds sled's work undone, and then the
    // disk fills up under it.
    let first = run_writer(&mut note_writer(&dir, 20), Some(20), Duration::ZERO);
    acked.extend(&first.acked);
    if let Err(e) = read_everything(&dir, &|| planledger(&dir)) {
        panic!("before the disk was full: {e}");
    }
    let second = run_writer(&mut note_writer(&dir, 3), Some(3), Duration::ZERO);
    acked.extend(&second.acked);
    for writer_run in [&first, &second] {
        if let Some(ended) = writer_run.failed_by_itself() {
            panic!("before the disk was full, {ended}\n{}", on_disk(&dir));
        }
    }

    let mut problems: Vec<String> = Vec::new();
    let mut check = |when: &str| match read_everything(&dir, &|| planledger(&dir)) {
        Err(e) => problems.push(format!("{when}: {e}")),
        Ok(notes) => {
            let stored: BTreeSet<u64> = notes.iter().map(|n| n.number).collect();
            let lost: Vec<&u64> = acked.difference(&stored).collect();
            if !lost.is_empty() {
                problems.push(format!(
                    "{when}: acknowledged notes {lost:?} are not in the ledger"
                ));
            }
        }
    };
    fill_with_another_file(&filler);
    check("on a disk filled by another file");
    std::fs::remove_file(&filler).expect("the filler file can be removed");
    check("once the other file was removed");
    assert!(
        problems.is_empty(),
        "a ledger on a disk filled by another file:\n\n{}",
        problems.join("\n\n")
    );
}
