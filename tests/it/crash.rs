//! Killing a writer mid-append: rule 2 (an acknowledged write is durable)
//! and rule 3 (all or nothing) as a user would see them.
//!
//! `planledger-crash-writer` (in `tools/`) appends milestone notes in a loop
//! and prints `ok N` after each append the ledger acknowledged. This test
//! kills it with SIGKILL at a random moment, many times over one growing
//! ledger, and after each kill checks that the ledger opens (the dead
//! process's lock is gone), verifies, and holds every acknowledged note,
//! with no gap among the notes it holds.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command as Process, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::{Rng, TempLedger, open_ledger, spawn, verify_dir};

const ROUNDS: usize = 25;

#[test]
fn acknowledged_notes_survive_sigkill_and_the_ledger_reopens_and_verifies() {
    let (tl, ledger) = TempLedger::new();
    drop(ledger);
    // The writer makes its own ledger: start from an empty directory.
    let dir = tl.tmp.path().join("crash");
    let mut rng = Rng::from_env_or_time("crash test");
    let mut acked: Vec<u64> = Vec::new();
    for round in 0..ROUNDS {
        let wanted_acks = rng.between(0, 10) as usize;
        let delay = Duration::from_millis(rng.between(5, 150));
        let mut child = spawn(
            Process::new(env!("CARGO_BIN_EXE_planledger-crash-writer"))
                .arg(&dir)
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
        for _ in 0..wanted_acks {
            if rx.recv_timeout(Duration::from_secs(30)).is_err() {
                break;
            }
        }
        std::thread::sleep(delay);
        let exited_by_itself = child.try_wait().expect("the writer can be polled");
        child.kill().expect("the writer can be killed");
        child.wait().expect("the writer is reaped");
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        assert!(
            exited_by_itself.is_none(),
            "round {round}: the writer stopped before it was killed ({exited_by_itself:?}): {stderr}"
        );
        for line in reader.join().expect("the reader thread ends") {
            let n = line
                .strip_prefix("ok ")
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or_else(|| panic!("round {round}: unexpected writer output {line:?}"));
            acked.push(n);
        }

        let ledger = open_ledger(&dir, tl.clock.clone());
        let notes: Vec<u64> = ledger
            .state()
            .actions
            .values()
            .flat_map(|a| planledger::recall::milestones(&*ledger, a).expect("notes read back"))
            .map(|m| {
                m.note
                    .strip_prefix("note ")
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("an unexpected note {:?}", m.note))
            })
            .collect();
        drop(ledger);
        let expected: Vec<u64> = (1..=notes.len() as u64).collect();
        assert_eq!(
            notes, expected,
            "round {round}: the stored notes are not 1..=n in order"
        );
        if let Some(missing) = acked.iter().find(|n| !notes.contains(n)) {
            panic!(
                "round {round}: note {missing} was acknowledged but is not in the ledger (it holds {} notes)",
                notes.len()
            );
        }
        let report = verify_dir(&dir);
        assert!(
            report.ok(),
            "round {round}: verify failed after the kill: {:?}",
            report.problems
        );
    }
    assert!(
        !acked.is_empty(),
        "over {ROUNDS} rounds the writer acknowledged nothing, so nothing was tested"
    );
}
