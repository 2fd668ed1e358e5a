//! The `planledger` command as a user runs it: the real binary in a
//! temporary directory, with `PLANLEDGER_CLOCK` fixed at
//! 2021-01-01T00:00:00Z and `PLANLEDGER_ACTOR` set. These tests check what a
//! user would check: exit codes, the JSON shapes other tools read, that a
//! refused command writes nothing, that evidence hashes and the exported
//! chain can be re-checked with a BLAKE3 library, and that a closed pipe
//! ends quietly.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command as Process, Stdio};
use std::sync::Arc;

use planledger::chain::{Subject, event_hash, record_digest};
use planledger::ledger::Stamped;
use planledger::time::FixedClock;
use serde_json::Value;

use crate::support::{Run, note, open_ledger, planledger, run, spawn, start_time};

const CLOCK: &str = "2021-01-01T00:00:00Z";
const ALICE: &str = "Alice Agency-Lead";
const BOB: &str = "Bob Assurance";

/// A temporary working directory with a ledger in it.
struct Fixture {
    tmp: tempfile::TempDir,
}

impl Fixture {
    fn dir(&self) -> PathBuf {
        self.tmp.path().join("ledger")
    }

    /// `planledger --ledger DIR ARGS` as Alice, at the fixed clock.
    fn command(&self, args: &[&str]) -> Process {
        let mut process = planledger(&self.dir());
        process
            .current_dir(self.tmp.path())
            .env("PLANLEDGER_CLOCK", CLOCK)
            .env("PLANLEDGER_ACTOR", ALICE)
            .args(args);
        process
    }

    fn run(&self, args: &[&str]) -> Run {
        run(&mut self.command(args))
    }

    /// Runs a command that must succeed.
    fn ok(&self, args: &[&str]) -> Run {
        let out = self.run(args);
        assert_eq!(
            out.code, 0,
            "planledger {args:?} failed:\n{}\n{}",
            out.stdout, out.stderr
        );
        out
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.ok(args);
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}\n{}", out.stdout))
    }

    /// The exported chain, one JSON value a line.
    fn exported_events(&self) -> Vec<Value> {
        self.ok(&["export", "--format", "events"])
            .stdout
            .lines()
            .map(|line| serde_json::from_str(line).expect("each line is JSON"))
            .collect()
    }

    fn write_file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.tmp.path().join(name);
        std::fs::write(&path, bytes).expect("the file is written");
        path
    }
}

/// A ledger with plan P1, recommendation R1 and action A1 (target 2019-07).
fn with_action() -> Fixture {
    let fx = Fixture {
        tmp: tempfile::tempdir().expect("a temporary directory"),
    };
    fx.ok(&["init"]);
    fx.ok(&[
        "plan",
        "add",
        "--partnership",
        "West Oxfordshire Community Safety Partnership",
        "--review",
        "Alice",
        "--published",
        "2019-05",
    ]);
    fx.ok(&["rec", "add", "Agencies train staff on coercive control"]);
    fx.ok(&[
        "action",
        "add",
        "Train all frontline officers on coercive control",
        "--agency",
        "Thames Valley Police",
        "--lead",
        "Head of Safeguarding",
        "--rec",
        "R1",
        "--target",
        "2019-07",
    ]);
    fx
}

fn hex32(value: &Value) -> [u8; 32] {
    let text = value.as_str().expect("a hex string");
    hex::decode(text)
        .expect("valid hex")
        .try_into()
        .expect("32 bytes")
}

#[test]
fn claim_evidence_is_hashed_and_show_json_has_the_documented_shape() {
    let fx = with_action();
    let minutes = b"Minutes of the training board, 3 June 2019".to_vec();
    let register: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let minutes_path = fx.write_file("minutes.txt", &minutes);
    let register_path = fx.write_file("register.csv", &register);

    let action = &fx.json(&["show", "--json"])["plans"][0]["actions"][0];
    assert_eq!(
        action["overdue"], true,
        "a July 2019 target is overdue in 2021"
    );

    fx.ok(&[
        "claim",
        "A1",
        "--outcome",
        "All frontline officers trained",
        "--evidence",
        minutes_path.to_str().expect("utf-8 path"),
        "--evidence",
        register_path.to_str().expect("utf-8 path"),
    ]);
    fx.ok(&[
        "--actor",
        BOB,
        "accept",
        "A1",
        "--finding",
        "Register checked",
    ]);

    let shown = fx.json(&["show", "--json"]);
    let action = &shown["plans"][0]["actions"][0];
    assert_eq!(action["id"], "A1");
    assert_eq!(action["agency"], "Thames Valley Police");
    assert_eq!(
        action["text"],
        "Train all frontline officers on coercive control"
    );
    assert_eq!(action["lead"], "Head of Safeguarding");
    assert_eq!(action["recommendations"], serde_json::json!(["R1"]));
    assert_eq!(action["status"], "assured");
    assert_eq!(action["target"]["text"], "2019-07");
    assert_eq!(action["target"]["date"], "2019-07");
    assert_eq!(action["target"]["precision"], "month");
    assert_eq!(
        action["overdue"], false,
        "an assured action is never overdue"
    );
    assert!(action["milestones"].as_array().is_some_and(Vec::is_empty));

    let claim = &action["claims"][0];
    assert_eq!(claim["outcome"], "All frontline officers trained");
    assert_eq!(claim["by"], ALICE);
    assert_eq!(claim["effective"], "2021-01-01");
    assert_eq!(claim["assurance"]["decision"], "accepted");
    assert_eq!(claim["assurance"]["by"], BOB);
    let evidence = claim["evidence"].as_array().expect("an evidence list");
    assert_eq!(evidence.len(), 2);
    for (shown, (name, bytes)) in evidence
        .iter()
        .zip([("minutes.txt", &minutes), ("register.csv", &register)])
    {
        assert_eq!(shown["name"], name);
        assert_eq!(shown["size"], bytes.len() as u64);
        assert_eq!(
            shown["blake3"],
            blake3::hash(bytes).to_hex().as_str(),
            "{name}"
        );
    }

    let events = fx.exported_events();
    let last_seq = events.last().expect("events")["seq"].clone();
    assert_eq!(action["last_changed"]["seq"], last_seq);
    assert_eq!(action["last_changed"]["recorded_at"], CLOCK);
    assert_eq!(action["last_changed"]["actor"], BOB);
}

#[test]
fn refused_commands_exit_1_and_write_nothing() {
    let fx = with_action();
    let before = fx.exported_events().len();
    let refusals: &[(&[&str], &str)] = &[
        (&["note", "A9", "Met the lead"], "did you mean A1"),
        (
            &["status", "A1", "assured", "--reason", "Done"],
            "cannot become assured",
        ),
        (
            &["claim", "A1", "--outcome", "   "],
            "outcome must not be empty",
        ),
        (
            &[
                "claim",
                "A1",
                "--outcome",
                "Done",
                "--evidence",
                "no-such-file.pdf",
            ],
            "no-such-file.pdf",
        ),
        (&["accept", "A1", "--finding", "Fine"], "no claim awaiting"),
        (
            &["note", "A1", "Met the lead", "--effective", "2021-02"],
            "after today",
        ),
    ];
    for (args, says) in refusals {
        let out = fx.run(args);
        assert_eq!(out.code, 1, "{args:?}:\n{}", out.stderr);
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
        assert_eq!(
            out.stderr.lines().count(),
            1,
            "{args:?}: one line: {}",
            out.stderr
        );
        assert_eq!(
            fx.exported_events().len(),
            before,
            "{args:?} wrote something"
        );
    }
}

#[test]
fn an_impossible_effective_date_is_refused_and_writes_nothing() {
    let fx = with_action();
    let before = fx.exported_events().len();
    let out = fx.run(&["note", "A1", "Met the lead", "--effective", "2019-13"]);
    assert_eq!(
        out.code, 1,
        "bad input exits 1: {} {}",
        out.stdout, out.stderr
    );
    assert!(out.stderr.contains("2019-13"), "{}", out.stderr);
    assert_eq!(fx.exported_events().len(), before);
}

#[test]
fn a_write_without_an_actor_is_refused_naming_the_actor_option() {
    let fx = with_action();
    let before = fx.exported_events().len();
    let out = run(fx
        .command(&["note", "A1", "Met the lead"])
        .env_remove("PLANLEDGER_ACTOR"));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("--actor"), "{}", out.stderr);
    assert_eq!(fx.exported_events().len(), before);
}

#[test]
fn usage_errors_exit_2() {
    let fx = with_action();
    for args in [
        &["frobnicate"][..],
        &["claim", "A1"],
        &["status", "A1", "done", "--reason", "x"],
        &["export", "--format", "xml"],
    ] {
        let out = fx.run(args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(!out.stderr.is_empty(), "{args:?} said nothing");
    }
}

#[test]
fn a_second_process_is_told_the_ledger_is_in_use_and_writes_nothing() {
    let fx = with_action();
    let before = fx.exported_events().len();
    let clock = Arc::new(FixedClock::new(start_time()));
    let held = open_ledger(&fx.dir(), clock);
    for args in [&["note", "A1", "Met the lead"][..], &["show"], &["verify"]] {
        // Commands wait for the ledger by default; --no-wait fails at once.
        let out = fx.run(&[args, &["--no-wait"]].concat());
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("is in use by another process"),
            "{args:?}: {}",
            out.stderr
        );
    }
    drop(held);
    assert_eq!(fx.exported_events().len(), before);
}

#[test]
fn history_and_audit_filter_by_action_and_actor() {
    let fx = with_action();
    fx.ok(&[
        "action",
        "add",
        "Audit case records",
        "--agency",
        "Oxford Health",
    ]);
    fx.ok(&["note", "A2", "Audit begun"]);
    fx.ok(&["claim", "A1", "--outcome", "Officers trained"]);
    fx.ok(&[
        "--actor",
        BOB,
        "challenge",
        "A1",
        "--finding",
        "No register",
    ]);

    let history = fx.json(&["history", "A1", "--json"]);
    let kinds: Vec<&str> = history
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| {
            assert_eq!(e["action"], "A1", "{e}");
            e["event"].as_str().expect("an event name")
        })
        .collect();
    assert_eq!(
        kinds,
        ["ActionAdded", "CompletionClaimed", "ClaimChallenged"]
    );

    // Regression: with PLANLEDGER_ACTOR set (as it is here, to Alice), a
    // plain audit filtered by it and hid everyone else's changes.
    let everyone = fx.json(&["audit", "--json"]);
    assert_eq!(
        everyone.as_array().map(Vec::len),
        Some(fx.exported_events().len())
    );
    assert!(
        everyone
            .as_array()
            .expect("a list")
            .iter()
            .any(|e| e["actor"] == BOB)
    );

    let by_bob = fx.json(&["audit", "--json", "--by", "bob"]);
    let by_bob = by_bob.as_array().expect("a list");
    assert_eq!(by_bob.len(), 1, "{by_bob:?}");
    assert_eq!(by_bob[0]["actor"], BOB);
    assert_eq!(by_bob[0]["event"], "ClaimChallenged");

    let by_alice = fx.json(&["audit", "--json", "--by", "Alice"]);
    let by_alice = by_alice.as_array().expect("a list");
    assert!(by_alice.iter().all(|e| e["actor"] == ALICE));
    assert_eq!(by_alice.len(), fx.exported_events().len() - 1);
}

#[test]
fn exported_events_rechain_with_blake3() {
    let fx = with_action();
    fx.ok(&["note", "A1", "Training plan drafted"]);
    let events = fx.exported_events();
    assert!(events.len() >= 5);
    let mut prev = [0u8; 32];
    for (i, line) in events.iter().enumerate() {
        for field in ["seq", "prev", "hash", "record"] {
            assert!(line.get(field).is_some(), "line {i} lacks {field}: {line}");
        }
        assert_eq!(line["seq"], i as u64);
        assert_eq!(
            hex32(&line["prev"]),
            prev,
            "line {i}: prev is not the last hash"
        );
        let record = hex::decode(line["record"].as_str().expect("hex")).expect("valid hex");
        let hash = hex32(&line["hash"]);
        let subject = Subject {
            plan: line["subject"]["plan"]
                .as_str()
                .map(|p| p.parse().expect("a plan id")),
            action: line["subject"]["action"]
                .as_str()
                .map(|a| a.parse().expect("an action id")),
        };
        assert_eq!(hex32(&line["digest"]), record_digest(&record));
        assert_eq!(
            event_hash(&prev, i as u64, subject, &record_digest(&record)),
            hash,
            "line {i}: the record does not hash to its hash"
        );
        prev = hash;
    }
    assert_eq!(events[0]["prev"], "0".repeat(64));
}

#[test]
fn a_backdated_claim_is_flagged_in_the_audit() {
    let fx = with_action();
    fx.ok(&[
        "claim",
        "A1",
        "--outcome",
        "Officers trained",
        "--effective",
        "2019-06-05",
    ]);
    let audit = fx.json(&["audit", "--json"]);
    let claim = audit
        .as_array()
        .expect("a list")
        .iter()
        .find(|e| e["event"] == "CompletionClaimed")
        .expect("the claim is in the audit");
    assert_eq!(claim["effective"], "2019-06-05");
    let days = claim["backdated_days"]
        .as_i64()
        .expect("flagged as backdated");
    assert!(days > 30, "{days}");
    assert_eq!(days, 576, "2019-06-05 to 2021-01-01");
    let others = audit.as_array().expect("a list").iter();
    assert!(
        others
            .filter(|e| e["event"] != "CompletionClaimed")
            .all(|e| e["backdated_days"].is_null()),
        "only the claim is backdated"
    );
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let fx = with_action();
    // Enough events that the output overflows a pipe's buffer.
    let clock = Arc::new(FixedClock::new(start_time()));
    let mut ledger = open_ledger(&fx.dir(), clock);
    let notes = (0..800)
        .map(|i| {
            Stamped::from(note(
                1,
                &format!("Weekly check {i} of the training register"),
            ))
        })
        .collect::<Vec<Stamped>>();
    ledger
        .transact(ALICE, "notes", notes)
        .expect("the notes are recorded");
    drop(ledger);
    for args in [
        &["audit"][..],
        &["audit", "--json"],
        &["export", "--format", "events"],
    ] {
        assert_quiet_when_the_reader_goes(fx.command(args), args);
    }
}

/// Reads one byte of the command's output, closes the pipe, and checks the
/// command ends with exit 0 and says nothing on stderr.
fn assert_quiet_when_the_reader_goes(mut process: Process, args: &[&str]) {
    process
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = spawn(&mut process);
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).expect("one byte of output");
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr is piped")
        .read_to_string(&mut stderr)
        .expect("stderr reads");
    let status = child.wait().expect("the command ends");
    assert_eq!(status.code(), Some(0), "{args:?}: {stderr}");
    assert!(stderr.is_empty(), "{args:?} complained: {stderr}");
}

/// Regression (found in review): `action add` printed its warning about a
/// recommendation the plan does not list, but recorded nothing, unlike the
/// same finding in an import.
#[test]
fn an_unlisted_recommendation_cited_by_hand_is_recorded_like_an_import_warning() {
    let fx = with_action();
    let added = fx.ok(&[
        "action",
        "add",
        "Review the MARAC referral form",
        "--agency",
        "Oxford Health",
        "--rec",
        "R9",
    ]);
    assert!(
        added
            .stdout
            .contains("warning: The action cites Recommendation 9, which the plan does not list."),
        "{}",
        added.stdout
    );
    let history = fx.json(&["history", "A2", "--json"]);
    let kinds: Vec<&str> = history
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    assert_eq!(kinds, ["ActionAdded", "ImportWarning"], "{history}");
    // A listed recommendation warns of nothing.
    let quiet = fx.ok(&[
        "action",
        "add",
        "Audit the referrals",
        "--agency",
        "Police",
        "--rec",
        "R1",
    ]);
    assert!(!quiet.stdout.contains("warning"), "{}", quiet.stdout);
}

/// Regression (issue: the store under faults): `PLANLEDGER_CLOCK` set far
/// ahead once held every later entry at that time, and let effective dates
/// in the future pass. An override may only set the clock back.
#[test]
fn a_clock_override_ahead_of_the_real_clock_is_refused_and_writes_nothing() {
    let fx = with_action();
    let before = fx.exported_events().len();
    for ahead in ["+10000-01-01", "9999-12-31"] {
        let mut process = fx.command(&["note", "A1", "met the lead"]);
        process.env("PLANLEDGER_CLOCK", ahead);
        let out = run(&mut process);
        assert_eq!(out.code, 2, "{ahead}: {}", out.stderr);
        assert!(
            out.stderr.contains(
                "later than this machine's clock; an override may only set the clock back"
            ) || out.stderr.contains("later than this machine's clock ("),
            "{}",
            out.stderr
        );
    }
    assert_eq!(fx.exported_events().len(), before);
}

/// Regression (issue: the store under faults): `export -o` renamed a temp
/// file over whatever was at the path: `-o L/sled/db` destroyed the ledger,
/// `-o /dev/null` replaced the device with a file, and every report became
/// 0600 whatever the umask or the mode of the file it replaced.
#[test]
fn export_never_writes_inside_the_ledger_nor_replaces_what_is_not_a_file() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};

    let fx = with_action();
    let before = fx.exported_events();
    let db = fx.dir().join("sled").join("db");
    let db_bytes = std::fs::read(&db).expect("sled/db");
    for inside in [db.clone(), fx.dir().join("report.csv")] {
        let out = fx.run(&["export", "--format", "csv", "-o", inside.to_str().unwrap()]);
        assert_eq!(out.code, 1, "{inside:?}: {}", out.stdout);
        assert!(
            out.stderr.contains("inside the ledger directory"),
            "{}",
            out.stderr
        );
    }
    assert_eq!(std::fs::read(&db).expect("sled/db"), db_bytes);
    assert!(!fx.dir().join("report.csv").exists());
    assert_eq!(fx.exported_events(), before);
    assert_eq!(fx.run(&["verify"]).code, 0);

    // A directory is refused; '-' is standard output.
    let folder = fx.tmp.path().join("reports");
    std::fs::create_dir(&folder).unwrap();
    let out = fx.run(&["export", "--format", "md", "-o", folder.to_str().unwrap()]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("not a regular file"), "{}", out.stderr);
    let stdout = fx.ok(&["export", "--format", "json", "-o", "-"]);
    assert!(stdout.stdout.starts_with('{'), "{}", stdout.stdout);

    // A device is written to, never replaced.
    fx.ok(&["export", "--format", "csv", "-o", "/dev/null"]);
    let null = std::fs::metadata("/dev/null").unwrap();
    assert!(null.file_type().is_char_device());

    // A replaced report keeps its mode; a new one follows the umask.
    let kept = fx.write_file("kept.md", b"old");
    std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o644)).unwrap();
    fx.ok(&["export", "--format", "md", "-o", kept.to_str().unwrap()]);
    let mode = std::fs::metadata(&kept).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644);
    assert!(std::fs::read_to_string(&kept).unwrap().starts_with('#'));
    let fresh = fx.tmp.path().join("fresh.md");
    let mut shell = Process::new("sh");
    shell
        .arg("-c")
        .arg(r#"umask 027 && exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_planledger"))
        .args(["--ledger", fx.dir().to_str().unwrap()])
        .args(["export", "--format", "md", "-o", fresh.to_str().unwrap()]);
    let out = run(&mut shell);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
}

/// `evidence check` tells the very file a claim was made with from one of
/// the same name whose bytes differ, and from one no claim cites.
#[test]
fn evidence_check_tells_the_cited_file_from_a_changed_copy() {
    let fx = with_action();
    let minutes = fx.write_file("minutes.pdf", b"board minutes, 5 June 2019");
    fx.ok(&[
        "claim",
        "A1",
        "--outcome",
        "All frontline officers trained",
        "--evidence",
        minutes.to_str().unwrap(),
    ]);
    let before = fx.exported_events().len();

    let same = fx.ok(&["evidence", "check", minutes.to_str().unwrap()]);
    assert!(
        same.stdout
            .contains("cited by claim 1 of A1 (as 'minutes.pdf'"),
        "{}",
        same.stdout
    );

    let copy_dir = fx.tmp.path().join("copy");
    std::fs::create_dir(&copy_dir).unwrap();
    let changed = copy_dir.join("minutes.pdf");
    std::fs::write(&changed, b"board minutes, 5 June 2019 (amended)").unwrap();
    let renamed = fx.write_file("renamed.pdf", b"board minutes, 5 June 2019");
    let stranger = fx.write_file("other.pdf", b"something else");
    let out = fx.run(&[
        "evidence",
        "check",
        changed.to_str().unwrap(),
        renamed.to_str().unwrap(),
        stranger.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("DIFFERS from the file minutes.pdf cited by claim 1 of A1"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("cited by claim 1 of A1 (as 'minutes.pdf'"),
        "a renamed copy with the same bytes is the cited file: {}",
        out.stdout
    );
    assert!(
        out.stdout.contains("no claim cites this file"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("2 of 3 file(s) are cited by no claim with exactly these bytes"),
        "{}",
        out.stderr
    );
    assert_eq!(
        fx.exported_events().len(),
        before,
        "checking writes nothing"
    );
}

/// Regression (issue: import what partnerships really hold): a claim dated
/// "January 2020" and an acceptance on 27 January 2020 were refused, as the
/// month counted from its end. Only a decision certainly before the claim
/// is refused; one inside the claim's month is recorded, with a note.
#[test]
fn a_decision_inside_the_claim_s_month_is_recorded_with_a_note() {
    let fx = with_action();
    fx.ok(&[
        "claim",
        "A1",
        "--outcome",
        "Officers trained",
        "--effective",
        "2020-01",
    ]);
    let early = fx.run(&[
        "--actor",
        BOB,
        "accept",
        "A1",
        "--finding",
        "Register seen",
        "--effective",
        "2019-12-31",
    ]);
    assert_eq!(early.code, 1, "{}", early.stdout);
    assert!(
        early.stderr.contains("before the claim it decides"),
        "{}",
        early.stderr
    );
    let inside = fx.ok(&[
        "--actor",
        BOB,
        "accept",
        "A1",
        "--finding",
        "Register seen",
        "--effective",
        "2020-01-27",
    ]);
    assert!(
        inside.stdout.contains("A1 is now assured"),
        "{}",
        inside.stdout
    );
    assert!(
        inside
            .stdout
            .contains("note: the claim is dated 2020-01 and this decision 2020-01-27"),
        "{}",
        inside.stdout
    );
    assert_eq!(fx.run(&["verify"]).code, 0);
}
