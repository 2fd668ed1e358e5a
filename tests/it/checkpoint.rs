//! Checkpoints as a partnership would use them, through the real binary:
//! the assurance lead signs the head (`planledger checkpoint`), the board's
//! chair countersigns it without the ledger (`planledger witness`), the
//! ledger grows, and `verify --checkpoint` still passes. Then someone with
//! the ledger's files rewrites history carefully (every hash, the
//! transaction index and the head recomputed, so `verify` alone passes) or
//! cuts it back, and `verify --checkpoint` fails naming where the history
//! first differs. Every refusal is one plain line.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use planledger::chain::GENESIS_PREV;
use planledger::checkpoint::Checkpoint;
use planledger::codec;
use planledger::event::{Event, Hash, Record, TxRecord};

use crate::support::{
    Held, Run, TempLedger, cli_verify, note, planledger, put_value, record, record_at, reseal, run,
    small_plan, stored_value, tamper, tamper_trees,
};

const SAM: &str = "Sam Okafor (assurance lead)";
const JO: &str = "Jo Bloggs (chair, West Oxfordshire CSP board)";

/// A closed ledger holding the small plan (seq 0 to 9), with a folder for
/// keys and checkpoints beside it.
fn small_ledger() -> TempLedger {
    let (tl, mut ledger) = TempLedger::new();
    small_plan(&mut ledger, &tl.clock);
    tl
}

/// Appends `count` notes on A1, one transaction each.
fn grow(tl: &TempLedger, count: usize) {
    let mut ledger = tl.open();
    for i in 0..count {
        record(
            &mut ledger,
            &tl.clock,
            vec![note(1, &format!("Cohort {i} trained"))],
        );
    }
}

fn path(tl: &TempLedger, name: &str) -> PathBuf {
    tl.tmp.path().join(name)
}

/// `planledger ARGS` against the ledger, with no passphrase from the
/// test's environment.
fn command(tl: &TempLedger, args: &[&str]) -> Process {
    let mut process = planledger(&tl.dir());
    process
        .current_dir(tl.tmp.path())
        .env_remove("PLANLEDGER_KEY_PASSPHRASE")
        .args(args);
    process
}

fn ok(tl: &TempLedger, args: &[&str]) -> Run {
    let out = run(&mut command(tl, args));
    assert_eq!(
        out.code, 0,
        "planledger {args:?} failed:\n{}\n{}",
        out.stdout, out.stderr
    );
    out
}

/// Runs a command that must fail with `code` and one line on stderr that
/// is an error message, not Debug output; returns that line.
fn fails(tl: &TempLedger, args: &[&str], code: i32) -> String {
    let out = run(&mut command(tl, args));
    assert_eq!(out.code, code, "{args:?}: {}\n{}", out.stdout, out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {}", out.stderr);
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    assert!(!out.stderr.contains("{ "), "Debug output: {}", out.stderr);
    out.stderr
}

/// Makes a key pair named `name` at `file` (and `file.pub`).
fn key(tl: &TempLedger, file: &str, name: &str) {
    ok(tl, &["key", "new", "--name", name, "-o", file]);
}

/// The assurance lead's checkpoint of the ledger's head, countersigned by
/// the board's chair: `cp.txt` and `cp-witnessed.txt`.
fn checkpoint_and_witness(tl: &TempLedger) -> Checkpoint {
    key(tl, "sam.pem", SAM);
    key(tl, "jo.pem", JO);
    ok(tl, &["checkpoint", "--key", "sam.pem", "-o", "cp.txt"]);
    ok(
        tl,
        &[
            "witness",
            "cp.txt",
            "--key",
            "jo.pem",
            "-o",
            "cp-witnessed.txt",
        ],
    );
    let text = std::fs::read(path(tl, "cp-witnessed.txt")).expect("the checkpoint was written");
    Checkpoint::parse(&text).expect("the checkpoint reads back")
}

fn hash_of(stored: &[u8]) -> Hash {
    stored[..32]
        .try_into()
        .expect("a stored value starts with its hash")
}

/// What a careful forger holding the files and `ledger/FORMAT.md` does:
/// changes the record at `seq`, re-seals and re-hashes it and every event
/// after it onto the new hashes, and fixes each transaction record's head
/// hash and the stored head to match. `verify` alone passes the result.
fn rewrite_history(dir: &Path, seq: u64, change: impl FnOnce(&mut Record)) {
    tamper_trees(dir, |trees| {
        let last = trees.events.len() as u64 - 1;
        let mut prev = match seq {
            0 => GENESIS_PREV,
            _ => hash_of(&stored_value(&trees.events, seq - 1)),
        };
        let mut change = Some(change);
        for at in seq..=last {
            let mut record = record_at(trees, at);
            if let Some(change) = change.take() {
                change(&mut record);
            }
            prev = hash_of(&reseal(trees, at, &prev, &record));
            let key = record.tx.to_be_bytes();
            let stored = trees
                .txs
                .get(key)
                .expect("sled reads")
                .expect("a tx record");
            let mut tx: TxRecord = codec::decode(&stored).expect("the tx record decodes");
            if tx.last_seq == at {
                tx.head_hash = prev;
                trees
                    .txs
                    .insert(key, codec::encode(&tx).expect("encodes"))
                    .expect("sled writes");
            }
        }
        let mut head = trees
            .meta
            .get("head")
            .expect("reads")
            .expect("a head")
            .to_vec();
        head[8..40].copy_from_slice(&prev);
        trees.meta.insert("head", head).expect("writes");
    });
}

/// Cuts the ledger back to end at `last` (the end of a transaction), with
/// its transaction records and head cut back to match, as FORMAT.md §5
/// says no chain can detect by itself.
fn cut_back(dir: &Path, last: u64) {
    tamper_trees(dir, |trees| {
        let total = trees.events.len() as u64;
        let kept = record_at(trees, last);
        let hash = hash_of(&stored_value(&trees.events, last));
        for seq in (last + 1..total).rev() {
            trees
                .events
                .remove(seq.to_be_bytes())
                .expect("sled removes");
        }
        for tx in kept.tx + 1.. {
            if trees
                .txs
                .remove(tx.to_be_bytes())
                .expect("sled removes")
                .is_none()
            {
                break;
            }
        }
        let mut head = Vec::with_capacity(56);
        head.extend_from_slice(&last.to_be_bytes());
        head.extend_from_slice(&hash);
        head.extend_from_slice(&kept.tx.to_be_bytes());
        head.extend_from_slice(&kept.recorded_at.to_be_bytes());
        trees.meta.insert("head", head).expect("writes");
    });
    // A forger cutting the history back drops the derived action index too
    // (the next command rebuilds it), which would otherwise still name the
    // events cut off.
    let sled_dir = dir.join("sled");
    let db = Held::new(sled::open(&sled_dir).expect("sled opens"), sled_dir);
    db.drop_tree("actions").expect("the index drops");
    db.flush().expect("sled flushes");
}

/// The forger's new words for the milestone note at seq 5 (on A1).
fn reword_note(record: &mut Record) {
    match &mut record.event {
        Event::MilestoneNoted { note, .. } => *note = "Training finished early".into(),
        other => panic!("seq 5 is a note in the small plan, not {other:?}"),
    }
}

#[test]
fn a_witnessed_checkpoint_holds_while_the_ledger_only_grows() {
    let tl = small_ledger();
    let checkpoint = checkpoint_and_witness(&tl);
    assert_eq!(checkpoint.statement().seq(), 9);
    let names: Vec<&str> = checkpoint
        .signatures()
        .iter()
        .map(|s| s.identity.name.as_str())
        .collect();
    assert_eq!(names, [SAM, JO], "the names come from the keys' .pub files");

    let at_head = ok(&tl, &["verify", "--checkpoint", "cp-witnessed.txt"]);
    assert!(
        at_head
            .stdout
            .contains("OK: the ledger holds exactly the history of the checkpoint, and its head is still seq 9"),
        "{}",
        at_head.stdout
    );
    grow(&tl, 4);
    let grown = ok(
        &tl,
        &[
            "verify",
            "--checkpoint",
            "cp-witnessed.txt",
            "--checkpoint",
            "cp.txt",
        ],
    );
    assert_eq!(
        grown
            .stdout
            .matches("and has only grown since, by 4 event(s) to seq 13")
            .count(),
        2,
        "{}",
        grown.stdout
    );
    assert!(
        grown.stdout.contains(&format!("witness {JO}")),
        "{}",
        grown.stdout
    );
}

#[test]
fn a_careful_rewrite_passes_verify_but_not_the_checkpoint_which_names_the_seq() {
    let tl = small_ledger();
    checkpoint_and_witness(&tl);
    grow(&tl, 4);
    rewrite_history(&tl.dir(), 5, reword_note);

    let plain = cli_verify(&tl.dir());
    assert_eq!(
        plain.code, 0,
        "the forgery is a valid chain: {}",
        plain.stdout
    );
    let out = run(&mut command(
        &tl,
        &["verify", "--checkpoint", "cp-witnessed.txt"],
    ));
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    // The checkpoint at seq 9 marks seqs 0, 1, 2, 4, 5, 7 and 8: seq 4
    // agrees and seq 5 does not, so seq 5 is named exactly.
    assert!(
        out.stdout.contains(
            "FAILED: history rewritten: the ledger's hash at seq 5 is not the checkpoint's (at seq 4 it is); the first event that differs is seq 5"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.ends_with(
            "result      FAILED: the chain is intact, but the ledger no longer holds the history that 1 of 1 checkpoint(s) vouch for\n"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn a_rewrite_between_marks_is_named_as_the_seqs_it_lies_between() {
    let (tl, mut ledger) = TempLedger::new();
    small_plan(&mut ledger, &tl.clock);
    drop(ledger);
    grow(&tl, 30);
    // The head is seq 39; its marks are 0, 1, 2, 4, 7, 8, 16, 23, 31, 32,
    // 35, 37 and 38.
    checkpoint_and_witness(&tl);
    rewrite_history(&tl.dir(), 20, |record| match &mut record.event {
        Event::MilestoneNoted { note, .. } => *note = "Cohort 10 never trained".into(),
        other => panic!("seq 20 is a note, not {other:?}"),
    });
    assert_eq!(cli_verify(&tl.dir()).code, 0);
    let out = run(&mut command(&tl, &["verify", "--checkpoint", "cp.txt"]));
    assert_eq!(out.code, 3);
    assert!(
        out.stdout.contains(
            "the ledger's hash at seq 23 is not the checkpoint's (at seq 16 it is); the first event that differs is one of seq 17 to 23"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn a_history_cut_back_passes_verify_but_not_the_checkpoint() {
    let tl = small_ledger();
    grow(&tl, 4);
    checkpoint_and_witness(&tl);
    cut_back(&tl.dir(), 9);

    let plain = cli_verify(&tl.dir());
    assert_eq!(plain.code, 0, "a shorter chain is valid: {}", plain.stdout);
    let out = run(&mut command(
        &tl,
        &["verify", "--checkpoint", "cp-witnessed.txt"],
    ));
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    // The checkpoint at seq 13 marks 9, which agrees: seq 10 is the first
    // event missing.
    assert!(
        out.stdout.contains(
            "FAILED: history cut back: the ledger ends at seq 9, but the checkpoint vouches for it to seq 13 (its hash at seq 9 agrees); the first event that differs is seq 10"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn a_history_cut_back_and_grown_again_is_a_rewrite() {
    let tl = small_ledger();
    grow(&tl, 4);
    checkpoint_and_witness(&tl);
    cut_back(&tl.dir(), 9);
    tl.clock.advance_secs(3600);
    grow(&tl, 8);
    assert_eq!(cli_verify(&tl.dir()).code, 0);
    let out = run(&mut command(&tl, &["verify", "--checkpoint", "cp.txt"]));
    assert_eq!(out.code, 3);
    assert!(
        out.stdout
            .contains("history rewritten: the ledger's hash at seq 11 is not the checkpoint's (at seq 9 it is); the first event that differs is one of seq 10 to 11"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_checkpoint_of_another_ledger_is_refused_in_one_line() {
    let tl = small_ledger();
    checkpoint_and_witness(&tl);
    let other = small_ledger();
    let file = path(&tl, "cp.txt");
    let line = fails(
        &other,
        &["verify", "--checkpoint", file.to_str().unwrap()],
        1,
    );
    assert!(line.contains("not of this ledger"), "{line}");
}

#[test]
fn a_changed_checkpoint_file_is_refused_in_one_line_naming_the_line() {
    let tl = small_ledger();
    checkpoint_and_witness(&tl);
    let text = std::fs::read_to_string(path(&tl, "cp-witnessed.txt")).unwrap();
    let cases = [
        (text.replacen("seq         9", "seq         8", 1), "line 8"),
        (
            text.replacen("format      2\n", "", 1),
            "line 3: expected 'format' here",
        ),
        (
            text.replacen(JO, "Jo Bloggs", 1),
            "the signature of witness Jo Bloggs does not verify",
        ),
        (
            format!("{text}witness     Someone else\n"),
            "line 21: expected 'key'",
        ),
    ];
    for (i, (changed, expected)) in cases.into_iter().enumerate() {
        let name = format!("changed-{i}.txt");
        std::fs::write(path(&tl, &name), changed).unwrap();
        let line = fails(&tl, &["verify", "--checkpoint", &name], 1);
        assert!(line.contains(expected), "{expected}: {line}");
        let line = fails(&tl, &["witness", &name, "--key", "jo.pem"], 1);
        assert!(line.contains(expected), "{expected}: {line}");
    }
}

#[test]
fn a_ledger_that_fails_verify_is_not_checkpointed() {
    let tl = small_ledger();
    key(&tl, "sam.pem", SAM);
    tamper(&tl.dir(), |events, _| {
        let mut value = stored_value(events, 5);
        let last = value.len() - 1;
        value[last] ^= 1;
        put_value(events, 5, &value);
    });
    let line = fails(&tl, &["checkpoint", "--key", "sam.pem", "-o", "cp.txt"], 3);
    assert!(line.contains("fails verification at seq 5"), "{line}");
    assert!(!path(&tl, "cp.txt").exists());
}

#[test]
fn a_witness_needs_no_ledger_and_signs_once() {
    let tl = small_ledger();
    checkpoint_and_witness(&tl);
    let nowhere = tl.tmp.path().join("no-ledger-here");
    let mut process = planledger(&nowhere);
    process.current_dir(tl.tmp.path()).args([
        "witness",
        "cp.txt",
        "--key",
        "jo.pem",
        "--name",
        "Jo Bloggs (board)",
    ]);
    let out = run(&mut process);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let read = Checkpoint::parse(out.stdout.as_bytes()).expect("stdout is the checkpoint");
    assert_eq!(read.signatures()[1].identity.name, "Jo Bloggs (board)");
    assert!(!nowhere.exists());
    let line = fails(&tl, &["witness", "cp-witnessed.txt", "--key", "jo.pem"], 1);
    assert!(line.contains("a key signs a checkpoint once"), "{line}");
    // Nothing is written over a file.
    let line = fails(
        &tl,
        &[
            "witness",
            "cp.txt",
            "--key",
            "sam.pem",
            "-o",
            "cp-witnessed.txt",
        ],
        1,
    );
    assert!(
        line.contains("already signed") || line.contains("exists"),
        "{line}"
    );
    let line = fails(&tl, &["checkpoint", "--key", "sam.pem", "-o", "cp.txt"], 1);
    assert!(line.contains("cp.txt exists"), "{line}");
}

#[test]
fn an_encrypted_key_signs_with_its_passphrase_and_a_key_without_a_name_needs_one() {
    let tl = small_ledger();
    let mut process = command(
        &tl,
        &["key", "new", "--name", SAM, "-o", "sam.pem", "--passphrase"],
    );
    process.env("PLANLEDGER_KEY_PASSPHRASE", "correct horse");
    assert_eq!(run(&mut process).code, 0);
    let mut process = command(&tl, &["checkpoint", "--key", "sam.pem"]);
    process.env("PLANLEDGER_KEY_PASSPHRASE", "wrong horse");
    let out = run(&mut process);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("wrong passphrase"), "{}", out.stderr);
    let mut process = command(&tl, &["checkpoint", "--key", "sam.pem"]);
    process.env("PLANLEDGER_KEY_PASSPHRASE", "correct horse");
    let out = run(&mut process);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(&format!("signer      {SAM}\n")),
        "{}",
        out.stdout
    );

    std::fs::remove_file(path(&tl, "sam.pem.pub")).unwrap();
    let mut process = command(&tl, &["checkpoint", "--key", "sam.pem"]);
    process.env("PLANLEDGER_KEY_PASSPHRASE", "correct horse");
    let out = run(&mut process);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("--name"), "{}", out.stderr);
}
