//! Redaction as a user would check it: `planledger redact` erases the words
//! of an event's free texts, every view shows who erased them, when and
//! why in their place, the fold is otherwise unchanged, `verify` still
//! passes (and fails at any other change), the words are gone from every
//! file under the ledger directory, a refused redaction writes nothing,
//! and a redaction killed at any moment leaves the old ledger or the new
//! one, never a broken one, and never the words behind a redaction.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use planledger::command::Command;
use planledger::event::Evidence;
use planledger::id::{ActionId, PlanId};
use planledger::ledger::{Bound, Ledger};
use planledger::sealed::StoredText;
use planledger::status::Status;
use planledger::store::chain_check::ProblemKind;
use serde_json::Value;

use crate::support::{
    Held, Rng, Run, TempLedger, open_ledger, open_store, planledger, record, run, small_plan,
    spawn, tamper_trees, verify_dir,
};

/// Who redacts, and when: after every event the fixtures record.
const DPO: &str = "Data Protection Officer";
const CLOCK: &str = "2021-06-01T09:00:00Z";
const REASON: &str = "a relative's name, written in error";
const PLACEHOLDER: &str =
    "redacted on 2021-06-01 by Data Protection Officer: a relative's name, written in error";

/// `planledger --ledger DIR ARGS`, as the data protection officer, at
/// [`CLOCK`].
fn cli(dir: &Path, args: &[&str]) -> Run {
    run(planledger(dir)
        .env("PLANLEDGER_CLOCK", CLOCK)
        .env("PLANLEDGER_ACTOR", DPO)
        .args(args))
}

fn ok(dir: &Path, args: &[&str]) -> Run {
    let out = cli(dir, args);
    assert_eq!(
        out.code, 0,
        "planledger {args:?} failed:\n{}\n{}",
        out.stdout, out.stderr
    );
    out
}

fn redact(dir: &Path, seq: u64, fields: &[&str]) -> Run {
    let seq = seq.to_string();
    let mut args = vec!["redact", seq.as_str()];
    for field in fields {
        args.extend(["--field", field]);
    }
    args.extend(["--reason", REASON]);
    ok(dir, &args)
}

/// Every file under `dir`, recursively, with its bytes.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the directory reads") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            found.extend(files(&path));
        } else {
            found.push((path.clone(), std::fs::read(&path).expect("the file reads")));
        }
    }
    found.sort();
    found
}

/// The files under `dir` whose raw bytes hold `needle`.
fn files_holding(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let needle = needle.as_bytes();
    files(dir)
        .into_iter()
        .filter(|(_, bytes)| bytes.windows(needle.len()).any(|w| w == needle))
        .map(|(path, _)| path)
        .collect()
}

/// Each free text of the ledger below holds its own marked word
/// (`Secretword01` …), so a test can tell which text leaks where.
struct Marked(u32);

impl Marked {
    fn next(&mut self, what: &str) -> String {
        self.0 += 1;
        format!("{what} naming Secretword{:02}", self.0)
    }
}

/// A ledger with an event of every kind that has free text, each text
/// marked: seq 1 plan P1 (review, chair), 2 R1 (text, scope), 3 A1 and 4
/// A2 (lead, text, scope), 5 a status change, 6 a note, 7 a claim with two
/// evidence files, 8 a challenge, 9 back in progress, 10 a second claim,
/// 11 its acceptance, 12 A2 retargeted, 13 A2 withdrawn, 14 a source, 15 a
/// warning.
fn every_kind_of_text() -> (TempLedger, Held<Ledger>) {
    let (tl, mut ledger) = TempLedger::new();
    let mut m = Marked(0);
    let a1 = ActionId::of(1);
    let a2 = ActionId::of(2);
    let commands = vec![
        Command::AddPlan {
            partnership: "West Oxfordshire Community Safety Partnership".into(),
            review: m.next("review"),
            chair: Some(m.next("chair")),
            published: None,
        },
        Command::AddRecommendation {
            plan: PlanId::of(1),
            number: None,
            text: m.next("recommendation"),
            scope: Some(m.next("scope")),
        },
        Command::AddAction {
            plan: PlanId::of(1),
            agency: "Thames Valley Police".into(),
            lead: Some(m.next("lead")),
            text: m.next("action"),
            scope: Some(m.next("scope")),
            recommendations: Vec::new(),
            target: None,
        },
        Command::AddAction {
            plan: PlanId::of(1),
            agency: "Oxford Health".into(),
            lead: Some(m.next("lead")),
            text: m.next("action"),
            scope: Some(m.next("scope")),
            recommendations: Vec::new(),
            target: None,
        },
        Command::SetStatus {
            action: a1,
            to: Status::InProgress,
            reason: m.next("reason"),
        },
        Command::NoteMilestone {
            action: a1,
            note: m.next("note"),
        },
        Command::Claim {
            action: a1,
            outcome: m.next("outcome"),
            evidence: vec![
                Evidence {
                    name: m.next("file"),
                    size: 10,
                    blake3: [1; 32],
                },
                Evidence {
                    name: m.next("file"),
                    size: 20,
                    blake3: [2; 32],
                },
            ],
        },
        Command::Challenge {
            action: a1,
            finding: m.next("finding"),
        },
        Command::SetStatus {
            action: a1,
            to: Status::InProgress,
            reason: m.next("reason"),
        },
        Command::Claim {
            action: a1,
            outcome: m.next("outcome"),
            evidence: Vec::new(),
        },
        Command::Accept {
            action: a1,
            finding: m.next("finding"),
        },
        Command::Retarget {
            action: a2,
            target: Some(planledger::date::Target {
                text: "2021-12".into(),
                date: planledger::date::FuzzyDate::month(2021, 12),
            }),
            reason: m.next("reason"),
        },
        Command::Withdraw {
            action: a2,
            reason: m.next("reason"),
        },
        Command::RecordSource {
            name: m.next("source"),
            size: 5,
            blake3: [3; 32],
            format: "txt".into(),
        },
        Command::Warn {
            action: Some(a1),
            message: m.next("warning"),
        },
    ];
    for command in commands {
        record(&mut ledger, &tl.clock, vec![command]);
    }
    (tl, ledger)
}

/// The slot names of every event of the ledger, by sequence number.
fn slot_names(ledger: &Ledger) -> Vec<(u64, Vec<String>)> {
    ledger
        .events()
        .expect("events read back")
        .into_iter()
        .map(|e| (e.seq, e.record.event.slot_names()))
        .filter(|(_, names)| !names.is_empty())
        .collect()
}

/// What every view prints, from `show` to each export.
fn every_view(dir: &Path) -> Vec<(String, String)> {
    let views: &[&[&str]] = &[
        &["show"],
        &["show", "--json"],
        &["history", "A1"],
        &["history", "A2"],
        &["history", "A1", "--json"],
        &["audit"],
        &["audit", "--json"],
        &["diff", "--from", "2021-01-01", "--to", "2021-06-02"],
        &[
            "diff",
            "--from",
            "2021-01-01",
            "--to",
            "2021-06-02",
            "--json",
        ],
        &["summary"],
        &["export", "--format", "events"],
        &["export", "--format", "json"],
        &["export", "--format", "csv"],
        &["export", "--format", "md"],
        &["export", "--format", "html"],
    ];
    views
        .iter()
        .map(|args| (args.join(" "), ok(dir, args).stdout))
        .collect()
}

#[test]
fn every_kind_of_text_can_be_redacted_and_every_view_shows_who_erased_it_when_and_why() {
    let (tl, ledger) = every_kind_of_text();
    let events = slot_names(&ledger);
    drop(ledger);
    let dir = tl.dir();
    let before = every_view(&dir);
    assert!(
        before.iter().any(|(_, out)| out.contains("Secretword")),
        "the views showed none of the words before the redaction, so the test proves nothing"
    );

    let mut names = BTreeSet::new();
    for (seq, fields) in &events {
        // One field at a time, but the last event's texts all at once (no
        // --field erases every text).
        if *seq == events.last().map_or(0, |(s, _)| *s) {
            redact(&dir, *seq, &[]);
        } else {
            for field in fields {
                redact(&dir, *seq, &[field]);
            }
        }
        names.extend(fields.iter().cloned());
    }
    let expected = [
        "review",
        "chair",
        "text",
        "scope",
        "lead",
        "reason",
        "note",
        "outcome",
        "evidence.1",
        "evidence.2",
        "finding",
        "name",
        "message",
    ];
    assert_eq!(
        names,
        expected
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>(),
        "the fixture covers every kind of text"
    );

    // Every text of every event now reads as who erased it, when and why.
    let ledger = tl.open();
    for event in ledger.events().expect("events read back") {
        for text in event.record.event.texts() {
            assert_eq!(text, PLACEHOLDER, "event {}", event.seq);
        }
    }
    drop(ledger);

    for (view, out) in every_view(&dir) {
        assert!(
            !out.contains("Secretword"),
            "`{view}` still shows erased words:\n{out}"
        );
    }
    let show = ok(&dir, &["show"]).stdout;
    assert!(show.contains("redacted on 2021-06-01"), "{show}");
    let (note_seq, _) = events
        .iter()
        .find(|(_, f)| f == &["note"])
        .expect("the fixture has a note");
    let line = format!("redacted the note of event {note_seq}: {REASON}");
    let trail: Value =
        serde_json::from_str(&ok(&dir, &["audit", "--json"]).stdout).expect("audit JSON");
    let changes: Vec<&str> = trail
        .as_array()
        .expect("a list of entries")
        .iter()
        .filter_map(|e| e["change"].as_str())
        .collect();
    assert!(changes.contains(&line.as_str()), "{changes:#?}");
    assert!(
        changes.contains(
            &format!("redacted the name of evidence file 2 of event 7: {REASON}").as_str()
        ),
        "{changes:#?}"
    );
    // The redaction of A1's note shows in A1's history.
    let history = ok(&dir, &["history", "A1", "--json"]).stdout;
    assert!(history.contains(&line), "{history}");

    let verify: Value =
        serde_json::from_str(&ok(&dir, &["verify", "--json"]).stdout).expect("verify JSON");
    assert_eq!(verify["ok"], true);
    let texts: usize = events.iter().map(|(_, fields)| fields.len()).sum();
    assert_eq!(verify["redacted_texts"], texts as u64);
    let text = ok(&dir, &["verify"]).stdout;
    assert!(
        text.contains(&format!("redacted    {texts} text(s)")),
        "{text}"
    );
}

#[test]
fn the_fold_is_the_same_after_a_redaction_but_for_the_erased_words() {
    let (tl, mut ledger) = TempLedger::new();
    small_plan(&mut ledger, &tl.clock);
    let head = ledger.state().head.expect("a head").0;
    let before = ledger.state().clone();
    drop(ledger);
    // Event 3 is A1 (lead, text, scope); event 5 its first note.
    redact(&tl.dir(), 3, &["text", "lead"]);
    redact(&tl.dir(), 5, &[]);

    let ledger = tl.open();
    let mut expected = before.clone();
    let a1 = expected
        .actions
        .get_mut(&ActionId::of(1))
        .expect("A1 is there");
    a1.text = PLACEHOLDER.into();
    a1.lead = Some(PLACEHOLDER.into());
    // (Its milestone's note is read back from the event, as the views read
    // it: erased there too.)
    let milestones =
        planledger::recall::milestones(&*ledger, &ledger.state().actions[&ActionId::of(1)])
            .expect("read back");
    assert_eq!(milestones[0].note, PLACEHOLDER);
    // The history up to the old head, folded now, is the old state with
    // only those words changed.
    assert_eq!(ledger.state_at(Bound::Seq(head)).expect("a fold"), expected);
    // And the state now is that, plus the two redactions (which change no
    // action, plan or claim).
    let now = ledger.state();
    assert_eq!(now.actions, expected.actions);
    assert_eq!(now.plans, expected.plans);
    assert_eq!(now.sources, expected.sources);
    assert_eq!(now.warnings, expected.warnings);
    assert_eq!(now.texts.redacted(), 3);
    assert_eq!(now.head.map(|h| h.0), Some(head + 2));
    drop(ledger);
    assert!(tl.verify().ok(), "{:?}", tl.verify().problems);
}

#[test]
fn after_planledger_redact_no_file_under_the_ledger_holds_the_words() {
    let (tl, mut ledger) = TempLedger::new();
    small_plan(&mut ledger, &tl.clock);
    tl.clock.advance_secs(60);
    // A summary is written by the command; here it repeats the words too,
    // as an older import's did, to show the transaction index is cleaned.
    ledger
        .transact(
            crate::support::ACTOR,
            "note on Quentin Zarkovsky-Abernathy",
            vec![planledger::ledger::Stamped::from(crate::support::note(
                1,
                "Spoke to Quentin Zarkovsky-Abernathy, the victim's cousin",
            ))],
        )
        .expect("the note is recorded");
    let seq = ledger.state().head.expect("a head").0;
    // Snapshots hold folded words: make one, so that it is tested too.
    planledger::snapshot::save(ledger.store(), ledger.state()).expect("a snapshot");
    drop(ledger);
    let dir = tl.dir();
    let words = "Zarkovsky-Abernathy";
    assert!(
        !files_holding(&dir, words).is_empty(),
        "the words are not in the files before the redaction, so the search proves nothing"
    );

    let out = redact(&dir, seq, &["note"]);
    assert!(
        out.stdout
            .contains(&format!("Redacted the note of event {seq}")),
        "{}",
        out.stdout
    );
    assert_eq!(files_holding(&dir, words), Vec::<PathBuf>::new());
    assert_eq!(files_holding(&dir, "Quentin"), Vec::<PathBuf>::new());
    for leftover in ["sled.tmp", "sled.new", "sled.old"] {
        assert!(!dir.join(leftover).exists(), "{leftover} was left behind");
    }
    // The snapshot was rebuilt from the redacted fold, and verify finds it
    // equal to a fold of the events.
    let verify: Value =
        serde_json::from_str(&ok(&dir, &["verify", "--json"]).stdout).expect("verify JSON");
    assert_eq!(verify["ok"], true);
    assert_eq!(verify["snapshots_checked"], 1);
    assert_eq!(verify["redacted_texts"], 1);
    let history = ok(&dir, &["history", "A1", "--json"]).stdout;
    assert!(history.contains("redacted the note of event"), "{history}");
    let show = ok(&dir, &["show", "--json"]).stdout;
    assert!(show.contains(PLACEHOLDER), "{show}");
}

/// The bytes of every file under the ledger directory, to show that a
/// refused command wrote nothing.
fn fingerprint(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    files(dir)
        .into_iter()
        .map(|(path, bytes)| {
            (
                path.strip_prefix(dir).expect("under dir").to_path_buf(),
                bytes,
            )
        })
        .collect()
}

#[test]
fn a_refused_redaction_says_why_in_one_line_and_writes_nothing() {
    let (tl, mut ledger) = TempLedger::new();
    small_plan(&mut ledger, &tl.clock);
    record(
        &mut ledger,
        &tl.clock,
        vec![crate::support::note(1, "Met Jane Doe at the refuge")],
    );
    let note = ledger.state().head.expect("a head").0;
    drop(ledger);
    let dir = tl.dir();
    // A first redaction, to refuse a second of the same text and a
    // redaction of the redaction.
    redact(&dir, 5, &["note"]);
    let redaction = note + 1;

    let refused: Vec<(Vec<String>, &str)> = [
        (
            vec!["redact", "99", "--reason", REASON],
            "there is no event 99",
        ),
        (
            vec!["redact", "3", "--field", "agency", "--reason", REASON],
            "has no text 'agency'",
        ),
        (
            vec!["redact", "3", "--field", "status", "--reason", REASON],
            "its texts are lead, text and scope",
        ),
        (
            vec!["redact", "5", "--field", "note", "--reason", REASON],
            "the note of event 5 was already redacted by event",
        ),
        (
            vec!["redact", "5", "--reason", REASON],
            "was already redacted",
        ),
        (
            vec!["redact", &redaction.to_string(), "--reason", REASON],
            "a redaction's reason cannot be redacted",
        ),
        (
            vec!["redact", "0", "--reason", REASON],
            "has no free text to redact",
        ),
        (
            vec!["redact", &note.to_string(), "--reason", "  "],
            "must not be empty",
        ),
        (
            vec!["redact", &note.to_string(), "--reason", "it names Jane Doe"],
            "the reason repeats 'Jane'",
        ),
        (
            vec![
                "redact",
                &note.to_string(),
                "--reason",
                "met jane doe at the refuge",
            ],
            "the reason repeats",
        ),
    ]
    .into_iter()
    .map(|(args, why)| (args.into_iter().map(String::from).collect(), why))
    .collect();

    let before = fingerprint(&dir);
    let head = ok(&dir, &["verify", "--json"]).stdout;
    for (args, why) in &refused {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = cli(&dir, &args);
        assert_eq!(out.code, 1, "{args:?}: {}{}", out.stdout, out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.starts_with("error: ") && out.stderr.contains(why),
            "{args:?}: expected {why:?} in {:?}",
            out.stderr
        );
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
    }
    assert_eq!(ok(&dir, &["verify", "--json"]).stdout, head);
    assert!(
        fingerprint(&dir) == before,
        "a refused redaction changed the ledger's files"
    );
}

/// A ledger whose note (event 5) was redacted by event 10, closed.
fn redacted_note() -> TempLedger {
    let (tl, mut ledger) = TempLedger::new();
    small_plan(&mut ledger, &tl.clock);
    drop(ledger);
    redact(&tl.dir(), 5, &["note"]);
    let report = tl.verify();
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.redacted_texts, 1);
    tl
}

fn first_problem(tl: &TempLedger) -> (u64, ProblemKind) {
    let report = verify_dir(&tl.dir());
    let problem = report
        .problems
        .into_iter()
        .next()
        .expect("verify found the change");
    (problem.seq, problem.kind)
}

#[test]
fn verify_fails_when_the_words_are_put_back() {
    let (tl, mut ledger) = TempLedger::new();
    small_plan(&mut ledger, &tl.clock);
    let original = ledger.store().stored_texts(5).expect("the note's texts");
    drop(ledger);
    redact(&tl.dir(), 5, &["note"]);
    tamper_trees(&tl.dir(), |trees| {
        let bytes = planledger::codec::encode(&original).expect("texts encode");
        trees.events.set_texts(5u64.to_be_bytes(), Some(bytes));
    });
    assert!(
        matches!(
            first_problem(&tl),
            (
                10,
                ProblemKind::RedactionNotCarriedOut { target: 5, slot: 0 }
            )
        ),
        "{:?}",
        first_problem(&tl)
    );
}

#[test]
fn verify_fails_when_an_erasure_names_another_event() {
    let tl = redacted_note();
    tamper_trees(&tl.dir(), |trees| {
        let bytes =
            planledger::codec::encode(&vec![StoredText::Erased { by: 9 }]).expect("texts encode");
        trees.events.set_texts(5u64.to_be_bytes(), Some(bytes));
    });
    let (seq, kind) = first_problem(&tl);
    assert_eq!(seq, 5);
    assert!(matches!(kind, ProblemKind::Texts { .. }), "{kind:?}");
}

#[test]
fn verify_fails_when_the_redaction_is_changed() {
    let tl = redacted_note();
    tamper_trees(&tl.dir(), |trees| {
        let mut value = crate::support::stored_value(&trees.events, 10);
        let last = value.len() - 1;
        value[last] ^= 0x20; // a letter of the reason, in another case
        crate::support::put_value(&trees.events, 10, &value);
    });
    let (seq, kind) = first_problem(&tl);
    assert_eq!(seq, 10);
    assert!(matches!(kind, ProblemKind::HashMismatch { .. }), "{kind:?}");
}

#[test]
fn verify_fails_when_the_redaction_is_removed_and_the_chain_rehashed() {
    let tl = redacted_note();
    // A forger drops the redaction from the end and fixes the head and the
    // index: the erased text is then marked by an event that does not exist.
    tamper_trees(&tl.dir(), |trees| {
        trees
            .events
            .remove(10u64.to_be_bytes())
            .expect("sled writes");
        let tx = trees
            .txs
            .iter()
            .keys()
            .last()
            .expect("a tx")
            .expect("reads");
        trees.txs.remove(tx).expect("sled writes");
        let value = crate::support::stored_value(&trees.events, 9);
        let head_hash: [u8; 32] = value[..32].try_into().expect("a hash");
        let old = trees.meta.get("head").expect("reads").expect("a head");
        let mut head = old.to_vec();
        head[..8].copy_from_slice(&9u64.to_be_bytes());
        head[8..40].copy_from_slice(&head_hash);
        let tx_of_9 = u64::from_be_bytes(old[40..48].try_into().expect("8 bytes")) - 1;
        head[40..48].copy_from_slice(&tx_of_9.to_be_bytes());
        trees.meta.insert("head", head).expect("sled writes");
    });
    let (seq, kind) = first_problem(&tl);
    assert_eq!(seq, 5);
    assert!(
        matches!(kind, ProblemKind::Texts { .. }),
        "an erased text without its redaction: {kind:?}"
    );
}

#[test]
fn an_open_finishes_a_rewrite_that_was_complete_and_discards_one_that_was_not() {
    let (tl, mut ledger) = TempLedger::new();
    small_plan(&mut ledger, &tl.clock);
    drop(ledger);
    let dir = tl.dir();
    let old = tl.tmp.path().join("before");
    copy_dir(&dir.join("sled"), &old);
    redact(&dir, 5, &["note"]);
    let new = tl.tmp.path().join("after");
    copy_dir(&dir.join("sled"), &new);
    let reads_redacted = |dir: &Path| {
        let ledger = open_ledger(dir, tl.clock.clone());
        let a1 = &ledger.state().actions[&ActionId::of(1)];
        let notes = planledger::recall::milestones(&*ledger, a1).expect("read back");
        notes[0].note == PLACEHOLDER
    };

    // Stopped while copying: the incomplete copy is dropped, the ledger
    // is as it was.
    std::fs::remove_dir_all(dir.join("sled")).expect("removed");
    copy_dir(&old, &dir.join("sled"));
    copy_dir(&new, &dir.join("sled.tmp"));
    assert!(!reads_redacted(&dir));
    assert!(!dir.join("sled.tmp").exists());

    // Stopped after the copy was complete, before the swap: swapped in.
    copy_dir(&new, &dir.join("sled.new"));
    assert!(reads_redacted(&dir));

    // Stopped between the two renames: the new database is put in place.
    std::fs::rename(dir.join("sled"), dir.join("sled.new")).expect("renamed");
    copy_dir(&old, &dir.join("sled.old"));
    assert!(reads_redacted(&dir));
    for leftover in ["sled.tmp", "sled.new", "sled.old"] {
        assert!(!dir.join(leftover).exists(), "{leftover} was left behind");
    }
    assert!(tl.verify().ok(), "{:?}", tl.verify().problems);
    // The command line opens such a ledger too.
    std::fs::rename(dir.join("sled"), dir.join("sled.new")).expect("renamed");
    assert_eq!(cli(&dir, &["verify"]).code, 0);
    assert_eq!(
        files_holding(&dir, "Training plan drafted"),
        Vec::<PathBuf>::new()
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a directory is created");
    for entry in std::fs::read_dir(from).expect("the directory reads") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("a file is copied");
        }
    }
}

const ROUNDS: usize = 12;

/// `planledger-crash-writer --mode redact` notes `note N: visited Pat
/// RedactableNNNNNN` and redacts it, again and again; it is killed at a
/// random moment, often inside a redaction's rewrite. After each kill the
/// ledger opens, verifies, holds every acknowledged redaction, no leftover
/// of a rewrite is there, and no file holds the words of a redacted note.
#[test]
fn a_redaction_killed_at_any_moment_leaves_the_old_ledger_or_the_new_never_the_words() {
    let (tl, ledger) = TempLedger::new();
    drop(ledger);
    let dir = tl.tmp.path().join("crash");
    let mut rng = Rng::from_env_or_time("redaction crash test");
    let mut acked_notes = 0u64;
    let mut acked_redactions: Vec<u64> = Vec::new();
    let mut redacted_seen = 0;
    for round in 0..ROUNDS {
        let wanted = rng.between(1, 6) as usize;
        let delay = Duration::from_millis(rng.between(0, 60));
        let mut child = spawn(
            Process::new(env!("CARGO_BIN_EXE_planledger-crash-writer"))
                .arg(&dir)
                .args(["--mode", "redact"])
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
        for _ in 0..wanted {
            if rx.recv_timeout(Duration::from_secs(60)).is_err() {
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
            "round {round}: the writer stopped before it was killed: {stderr}"
        );
        for line in reader.join().expect("the reader thread ends") {
            if let Some(n) = line.strip_prefix("ok ") {
                acked_notes = n.parse().expect("a number");
            } else if let Some(n) = line.strip_prefix("redacted ") {
                acked_redactions.push(n.parse().expect("a number"));
            } else {
                panic!("round {round}: unexpected writer output {line:?}");
            }
        }

        // Opening finishes or discards whatever the kill interrupted.
        let ledger = open_ledger(&dir, tl.clock.clone());
        let a1 = &ledger.state().actions[&ActionId::of(1)];
        let notes: Vec<String> = planledger::recall::milestones(&*ledger, a1)
            .expect("read back")
            .into_iter()
            .map(|m| m.note)
            .collect();
        drop(ledger);
        for leftover in ["sled.tmp", "sled.new", "sled.old"] {
            assert!(
                !dir.join(leftover).exists(),
                "round {round}: {leftover} is still there after an open"
            );
        }
        let owed = open_store(&dir).rewrite_owed().expect("meta reads");
        assert!(
            !owed,
            "round {round}: a rewrite is still owed after an open"
        );
        assert!(
            notes.len() as u64 >= acked_notes,
            "round {round}: {acked_notes} notes were acknowledged, {} are there",
            notes.len()
        );
        let mut redacted = Vec::new();
        for (n, note) in (1u64..).zip(&notes) {
            if note.starts_with("redacted on ") {
                assert!(
                    note.ends_with("by crash-writer: a name written in error"),
                    "round {round}: note {n} reads {note:?}"
                );
                redacted.push(n);
            } else {
                assert_eq!(
                    note,
                    &format!("note {n}: visited Pat Redactable{n:06}"),
                    "round {round}"
                );
            }
        }
        for n in &acked_redactions {
            assert!(
                redacted.contains(n),
                "round {round}: the redaction of note {n} was acknowledged but is not in the ledger"
            );
        }
        for n in &redacted {
            let words = format!("Redactable{n:06}");
            assert_eq!(
                files_holding(&dir, &words),
                Vec::<PathBuf>::new(),
                "round {round}: note {n} is redacted but its words are still on the disk"
            );
        }
        redacted_seen = redacted.len();
        let report = verify_dir(&dir);
        assert!(
            report.ok(),
            "round {round}: verify failed after the kill: {:?}",
            report.problems
        );
        assert_eq!(report.redacted_texts, redacted.len() as u64);
    }
    assert!(
        redacted_seen > 0,
        "over {ROUNDS} rounds no redaction was made, so nothing was tested"
    );
}
