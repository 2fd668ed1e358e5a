//! Evidence packs (`ledger/FORMAT.md` §7) of real ledgers: the shipped plan
//! imported beside a small plan made by hand, packed whole, by plan, by
//! action and as of an earlier time, checked by `verify-pack` as its
//! reader would; a ledger with a redacted text; and a small pack tampered
//! with in every way a holder might try, each refused for what it is.

use serde_json::Value;

use planledger::chain::Subject;
use planledger::command::Command;
use planledger::date::{FuzzyDate, Target};
use planledger::id::{ActionId, PlanId};
use planledger::pack::{self, PackFault, Request, Required, Scope};
use planledger::store::StoredEvent;

use crate::support::{CliLedger, Run, TempLedger, note, planledger, record, run, tamper_trees};

const PLAN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/ledger/plans/west-oxfordshire-dhr-alice-action-plan.txt"
);

/// The words of the hand-made plan P2, which no pack of P1 may hold.
const P2_WORDS: [&str; 5] = [
    "Cherwell",
    "Bob",
    "Health visitors ask every mother about coercive control",
    "GP practice reviews its referrals",
    "case conference held",
];

// ---------------------------------------------------------------------------
// A real ledger, through the command line

/// The shipped West Oxfordshire plan (P1, imported 2021-12-01) and a small
/// plan made by hand (P2, 2021-12-02), then a month of work on both.
struct Fixture(CliLedger);

impl std::ops::Deref for Fixture {
    type Target = CliLedger;

    fn deref(&self) -> &CliLedger {
        &self.0
    }
}

impl Fixture {
    fn new() -> Fixture {
        let fx = Fixture(CliLedger::new());
        fx.ok_at("2021-11-30T09:00:00Z", &["init"]);
        fx.ok_at("2021-12-01T10:00:00Z", &["import", PLAN]);
        let p2 = "2021-12-02T10:00:00Z";
        fx.ok_at(
            p2,
            &[
                "plan",
                "add",
                "--partnership",
                "Cherwell CSP",
                "--review",
                "Bob",
                "--published",
                "2021-06",
            ],
        );
        fx.ok_at(
            p2,
            &["rec", "add", P2_WORDS[2], "--plan", "P2", "--number", "1"],
        );
        let added = fx.ok_at(
            p2,
            &[
                "action",
                "add",
                P2_WORDS[3],
                "--plan",
                "P2",
                "--agency",
                "Oxford Health",
                "--rec",
                "1",
                "--target",
                "2022-03",
            ],
        );
        assert!(added.stdout.contains("A27"), "{}", added.stdout);
        fx.ok_at(
            "2022-01-10T09:00:00Z",
            &["accept", "A1", "--finding", "Dip sample of ten referrals"],
        );
        fx.ok_at("2022-01-11T09:00:00Z", &["note", "A27", P2_WORDS[4]]);
        fx.ok_at(
            "2022-01-12T09:00:00Z",
            &["status", "A25", "in-progress", "--reason", "Restarted"],
        );
        fx.ok_at("2022-01-13T09:00:00Z", &["note", "A27", "Audit begun"]);
        fx
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_at("2022-02-01T12:00:00Z", args)
    }

    fn ok(&self, args: &[&str]) -> Run {
        self.ok_at("2022-02-01T12:00:00Z", args)
    }

    /// `export --format pack` with `args`, written to `name`: its bytes.
    fn pack(&self, name: &str, args: &[&str]) -> Vec<u8> {
        let mut all = vec!["export", "--format", "pack", "-o", name];
        all.extend_from_slice(args);
        let out = self.ok(&all);
        assert!(out.stdout.contains(name), "{}", out.stdout);
        std::fs::read(self.path(name)).expect("the pack is written")
    }

    /// The sequence number of the import's `SourceImported` event.
    fn source_seq(&self) -> Value {
        self.ok(&["export", "--format", "events"])
            .stdout
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).expect("a JSON line"))
            .find(|e| e["event"]["type"] == "SourceImported")
            .expect("the import's source")["seq"]
            .clone()
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args).stdout).expect("JSON output")
    }
}

/// The pack's lines as JSON.
fn lines(pack: &[u8]) -> Vec<Value> {
    std::str::from_utf8(pack)
        .expect("a pack is UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

/// The event lines of a pack.
fn event_lines(pack: &[u8]) -> Vec<Value> {
    let mut lines = lines(pack);
    lines.pop();
    lines.remove(0);
    lines
}

/// The value of a pack's projection line.
fn projection_of(pack: &[u8]) -> Value {
    lines(pack).pop().expect("a projection line")["projection"].take()
}

fn is_disclosed(line: &Value) -> bool {
    line.get("record").is_some()
}

#[test]
fn a_plan_pack_discloses_every_event_of_its_plan_and_not_a_word_of_the_other() {
    let fx = Fixture::new();
    let bytes = fx.pack("p1.jsonl", &["--plan", "P1"]);
    let text = String::from_utf8(bytes.clone()).expect("UTF-8");
    for words in P2_WORDS {
        assert!(!text.contains(words), "{words:?} is in P1's pack");
    }
    let events = event_lines(&bytes);
    let exported = fx.ok(&["export", "--format", "events"]).stdout;
    assert_eq!(events.len(), exported.lines().count(), "a line per event");
    let source = fx.source_seq();
    for line in &events {
        let plan = &line["subject"]["plan"];
        match plan.as_str() {
            Some("P1") => assert!(is_disclosed(line), "P1's event is withheld: {line}"),
            Some("P2") => assert!(!is_disclosed(line), "P2's event is disclosed: {line}"),
            // Filed under the ledger: the genesis and the source P1's
            // actions cite are disclosed; an import warning that names no
            // action is filed under the ledger too (FORMAT.md §4), and
            // withheld.
            _ => assert_eq!(
                is_disclosed(line),
                line["seq"] == 0 || line["seq"] == source,
                "{line}"
            ),
        }
    }
    let header = &lines(&bytes)[0];
    assert_eq!(header["scope"]["plan"], "P1");

    let checked = fx.ok(&["verify-pack", "p1.jsonl"]);
    assert!(
        checked.stdout.contains("result      OK"),
        "{}",
        checked.stdout
    );
    assert!(
        checked.stdout.contains("scope       plan P1"),
        "{}",
        checked.stdout
    );
    // P1's last event (A25 in progress) is the as-of point; P2's last note
    // is the head, after it.
    let as_of = events
        .iter()
        .rfind(|l| l["subject"]["plan"] == "P1")
        .expect("P1 has events");
    assert_eq!(header["as_of"]["seq"], as_of["seq"]);
    assert_eq!(header["head"]["seq"], events.len() - 1);
    let json = fx.json(&["verify-pack", "p1.jsonl", "--json"]);
    assert_eq!(json["ok"], true);
    assert_eq!(json["in_scope_after_as_of"], 0);
    assert_eq!(json["head"]["hash"], events.last().expect("a head")["hash"]);
    let withheld = events.iter().filter(|l| !is_disclosed(l)).count();
    assert_eq!(json["withheld"], withheld);
    let p2 = events
        .iter()
        .filter(|l| l["subject"]["plan"] == "P2")
        .count();
    assert_eq!(p2, 5, "P2, its recommendation, its action and two notes");
}

#[test]
fn an_action_pack_discloses_the_action_and_its_plans_own_events_only() {
    let fx = Fixture::new();
    let bytes = fx.pack("a25.jsonl", &["--action", "a25"]);
    let source = fx.source_seq();
    for line in event_lines(&bytes) {
        let subject = (&line["subject"]["plan"], &line["subject"]["action"]);
        let expected = match (subject.0.as_str(), subject.1.as_str()) {
            (Some("P1"), None) | (Some("P1"), Some("A25")) => true,
            (Some(_), _) => false,
            // The genesis, and the import's source, which A25 cites.
            (None, _) => line["seq"] == 0 || line["seq"] == source,
        };
        assert_eq!(is_disclosed(&line), expected, "{line}");
    }
    let header = &lines(&bytes)[0];
    assert_eq!(
        header["scope"],
        serde_json::json!({"kind": "action", "plan": "P1", "action": "A25"})
    );
    let projection = projection_of(&bytes);
    let projection = &projection;
    let actions = projection["plans"][0]["actions"]
        .as_array()
        .expect("actions");
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0]["id"], "A25");
    assert_eq!(actions[0]["status"], "in-progress");
    fx.ok(&["verify-pack", "a25.jsonl"]);
}

#[test]
fn an_as_of_pack_shows_the_plan_as_show_did_then() {
    let fx = Fixture::new();
    // The instant A1's claim was accepted: the last event of P1 by then.
    let when = "2022-01-10T09:00:00Z";
    let bytes = fx.pack("then.jsonl", &["--plan", "P1", "--as-of", when]);
    let projection = projection_of(&bytes);
    let projection = &projection;
    let show = fx.json(&["show", "--plan", "P1", "--as-of", when, "--json"]);
    assert_eq!(projection, &show);
    assert_eq!(projection["plans"][0]["actions"][0]["status"], "assured");
    assert_eq!(projection["plans"][0]["actions"][24]["id"], "A25");
    assert_ne!(
        projection["plans"][0]["actions"][24]["status"],
        "in-progress"
    );
    let json = fx.json(&["verify-pack", "then.jsonl", "--json"]);
    assert_eq!(json["ok"], true);
    assert_eq!(json["as_of"]["recorded_at"], when);
    assert_eq!(json["in_scope_after_as_of"], 1, "A25 in progress, later");
    // Nothing of P1 after the as-of point is disclosed.
    let as_of = json["as_of"]["seq"].as_u64().expect("a seq");
    for line in event_lines(&bytes) {
        if line["seq"].as_u64() > Some(as_of) {
            assert!(!is_disclosed(&line), "{line}");
        }
    }
}

#[test]
fn a_whole_ledger_pack_carries_everything_and_shows_what_show_shows() {
    let fx = Fixture::new();
    let bytes = fx.pack("all.jsonl", &[]);
    let events = event_lines(&bytes);
    assert!(events.iter().all(is_disclosed));
    let projection = projection_of(&bytes);
    let projection = &projection;
    // Read on the day of the last event, so that overdue is judged alike.
    let show = serde_json::from_str::<Value>(
        &fx.ok_at("2022-01-13T09:00:00Z", &["show", "--json"]).stdout,
    )
    .expect("JSON");
    assert_eq!(projection, &show);
    let json = fx.json(&["verify-pack", "all.jsonl", "--json"]);
    assert_eq!(json["scope"]["kind"], "ledger");
    assert_eq!(json["withheld"], 0);
}

#[test]
fn a_pack_names_an_unknown_plan_or_action_as_show_does_and_writes_nothing() {
    let fx = Fixture::new();
    let out = fx.run(&[
        "export", "--format", "pack", "--plan", "P3", "-o", "x.jsonl",
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("P3"), "{}", out.stderr);
    assert!(out.stderr.contains("did you mean"), "{}", out.stderr);
    let out = fx.run(&[
        "export", "--format", "pack", "--action", "A99", "-o", "x.jsonl",
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("A99"), "{}", out.stderr);
    // P2 did not exist yet on 2021-12-01.
    let out = fx.run(&[
        "export",
        "--format",
        "pack",
        "--plan",
        "P2",
        "--as-of",
        "2021-12-01",
        "-o",
        "x.jsonl",
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let out = fx.run(&["export", "--format", "csv", "--plan", "P1"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("--format pack"), "{}", out.stderr);
    let out = fx.run(&[
        "export", "--format", "pack", "--plan", "P1", "--action", "A1",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(!fx.path("x.jsonl").exists());
}

#[test]
fn no_pack_is_made_of_a_ledger_that_fails_verify() {
    let fx = Fixture::new();
    // The last transaction's record removed: the ledger still opens, and
    // only `verify` sees it.
    tamper_trees(&fx.dir(), |trees| {
        let (last, _) = trees
            .txs
            .last()
            .expect("sled reads")
            .expect("a transaction record");
        trees.txs.remove(last).expect("sled writes");
    });
    let out = fx.run(&[
        "export", "--format", "pack", "--plan", "P1", "-o", "x.jsonl",
    ]);
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("fails verification"), "{}", out.stderr);
    assert!(!fx.path("x.jsonl").exists());
}

#[test]
fn verify_pack_reads_no_ledger_and_says_what_fails() {
    let fx = Fixture::new();
    let bytes = fx.pack("p2.jsonl", &["--plan", "P2"]);
    // Anywhere, with no ledger named or present.
    let elsewhere = tempfile::tempdir().expect("a temporary directory");
    let copy = elsewhere.path().join("p2.jsonl");
    std::fs::write(&copy, &bytes).expect("written");
    let mut process = planledger(&elsewhere.path().join("no-ledger-here"));
    process.arg("verify-pack").arg(&copy);
    let out = run(&mut process);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("result      OK"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("after       the as-of event is the head"),
        "P2's last note is the head: {}",
        out.stdout
    );

    let mut flipped = bytes.clone();
    let at = flipped.len() / 2;
    flipped[at] ^= 0x01;
    std::fs::write(&copy, &flipped).expect("written");
    let out = run(planledger(elsewhere.path()).arg("verify-pack").arg(&copy));
    assert_eq!(out.code, 3, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("result      FAILED: "),
        "{}",
        out.stdout
    );
    let out = run(planledger(elsewhere.path())
        .arg("verify-pack")
        .arg(&copy)
        .arg("--json"));
    assert_eq!(out.code, 3);
    let json: Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(json["ok"], false);
    assert_eq!(json["problems"].as_array().map(Vec::len), Some(1));
    assert!(json["head"].is_null());

    let out = run(planledger(elsewhere.path())
        .arg("verify-pack")
        .arg(elsewhere.path().join("missing.jsonl")));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("cannot read"), "{}", out.stderr);
}

// ---------------------------------------------------------------------------
// A small ledger, through the library, with a redacted text

const P1: PlanId = PlanId::of(1);
const P2: PlanId = PlanId::of(2);

/// Words redacted from A1's first milestone, which no pack may hold.
const ERASED: &str = "Jane Doe";

/// seq 0 genesis; 1 P1; 2 A1; 3 P2; 4 A2 (P2); 5 note on A1 (its words
/// later erased); 6 note on A2; 7 claim on A1; 8 the redaction of seq 5;
/// 9 note on A2, the head. Its words are short, so that its packs are
/// small enough to change every byte of.
fn small_ledger() -> (TempLedger, Vec<StoredEvent>) {
    let (tmp, mut ledger) = TempLedger::new();
    let clock = tmp.clock.clone();
    let plan = |partnership: &str, review: &str| Command::AddPlan {
        partnership: partnership.into(),
        review: review.into(),
        chair: None,
        published: None,
    };
    let action = |plan: PlanId, agency: &str, text: &str| Command::AddAction {
        plan,
        agency: agency.into(),
        lead: None,
        text: text.into(),
        scope: None,
        recommendations: vec![],
        target: Some(Target {
            text: "July 2019".into(),
            date: FuzzyDate::month(2019, 7),
        }),
    };
    record(&mut ledger, &clock, vec![plan("WO CSP", "Alice")]);
    record(
        &mut ledger,
        &clock,
        vec![action(P1, "TVP", "Train officers")],
    );
    record(&mut ledger, &clock, vec![plan("Cherwell CSP", "Bob")]);
    record(
        &mut ledger,
        &clock,
        vec![action(P2, "Oxford Health", "GP audit")],
    );
    record(&mut ledger, &clock, vec![note(1, &format!("Met {ERASED}"))]);
    record(
        &mut ledger,
        &clock,
        vec![note(2, "Bob's case conference held")],
    );
    record(
        &mut ledger,
        &clock,
        vec![Command::Claim {
            action: ActionId::of(1),
            outcome: "Done".into(),
            evidence: vec![],
        }],
    );
    clock.advance_secs(60);
    ledger
        .transact(
            "Data Protection Officer",
            "redact 5",
            vec![
                Command::Redact {
                    event: 5,
                    slots: vec![0],
                    reason: "a name".into(),
                }
                .into(),
            ],
        )
        .expect("the redaction is recorded");
    record(&mut ledger, &clock, vec![note(2, "Bob's audit begun")]);
    let events = ledger.events().expect("the events read back");
    assert_eq!(events.len(), 10);
    drop(ledger);
    let report = tmp.verify();
    assert!(report.ok(), "{:?}", report.problems);
    (tmp, events)
}

fn small_pack(events: &[StoredEvent], scope: Scope) -> Vec<u8> {
    pack::make(
        events,
        Request {
            scope,
            as_of: None,
            checkpoint: None,
        },
    )
    .expect("the pack is made")
}

/// Writes `lines` back as a pack, each in canonical form.
fn write_lines(lines: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in lines {
        pack::canonical(line, &mut out);
        out.push(b'\n');
    }
    out
}

#[test]
fn a_pack_of_a_ledger_with_a_redacted_text_verifies_without_the_words() {
    let (_tmp, events) = small_ledger();
    let bytes = small_pack(&events, Scope::Plan(P1));
    let text = String::from_utf8(bytes.clone()).expect("UTF-8");
    assert!(!text.contains(ERASED));
    for words in P2_WORDS {
        assert!(!text.contains(words), "{words:?}");
    }
    assert!(text.contains(r#""texts":[{"erased_by":8}]"#), "{text}");
    assert!(text.contains("redacted on 2021-01-01 by Data Protection Officer: a name"));
    let report = pack::verify(&bytes).expect("the pack verifies");
    assert_eq!(report.texts_redacted, 1);
    assert_eq!(report.as_of.0, 8, "the redaction, P1's last event");
    assert_eq!(report.head.0, 9);
    // A pack of P2 leaves out P1's redaction along with the rest of P1.
    let p2 = small_pack(&events, Scope::Plan(P2));
    let report = pack::verify(&p2).expect("the pack verifies");
    assert_eq!(report.texts_redacted, 0);
    assert_eq!(report.disclosed, 5, "the genesis, P2, A2 and two notes");
}

/// One flipped bit anywhere in a pack fails it: every byte is proven by
/// the chain or recomputed from what the chain proves.
#[test]
fn a_pack_with_any_one_byte_changed_fails() {
    let (_tmp, events) = small_ledger();
    let bytes = small_pack(&events, Scope::Plan(P1));
    pack::verify(&bytes).expect("the pack as made verifies");
    // Every offset, shared among threads: each check is independent.
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let results: Vec<(usize, Result<(), &'static str>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|first| {
                let bytes = &bytes;
                scope.spawn(move || {
                    (first..bytes.len())
                        .step_by(threads)
                        .map(|at| {
                            let mut changed = bytes.clone();
                            changed[at] ^= 0x01;
                            (at, pack::verify(&changed).map(drop).map_err(|f| f.name()))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a worker finishes"))
            .collect()
    });
    assert_eq!(results.len(), bytes.len());
    let passed: Vec<usize> = results
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(at, _)| *at)
        .collect();
    let kinds: std::collections::BTreeSet<&str> =
        results.iter().filter_map(|(_, r)| r.err()).collect();
    assert!(
        passed.is_empty(),
        "{} of {} changed bytes passed, first at {}: {:?}",
        passed.len(),
        bytes.len(),
        passed[0],
        String::from_utf8_lossy(&bytes[passed[0].saturating_sub(40)..passed[0] + 10])
    );
    for kind in [
        "not_canonical",
        "hash_mismatch",
        "texts",
        "projection_differs",
    ] {
        assert!(kinds.contains(kind), "no flip failed as {kind}: {kinds:?}");
    }
}

#[test]
fn a_dropped_event_line_is_named() {
    let (_tmp, events) = small_ledger();
    let mut lines = pack_lines(&events, Scope::Plan(P1));
    lines.remove(3 + 1);
    assert_eq!(
        pack::verify(&write_lines(&lines)),
        Err(PackFault::EventMissing {
            line: 5,
            expected: 3,
            found: 4
        })
    );
    // The last event line dropped: the chain ends before the header's head.
    let mut lines = pack_lines(&events, Scope::Plan(P1));
    lines.remove(9 + 1);
    assert_eq!(
        pack::verify(&write_lines(&lines)),
        Err(PackFault::EndsEarly { last: 8, head: 9 })
    );
}

#[test]
fn two_event_lines_swapped_are_named() {
    let (_tmp, events) = small_ledger();
    let mut lines = pack_lines(&events, Scope::Plan(P1));
    lines.swap(3 + 1, 4 + 1);
    assert_eq!(
        pack::verify(&write_lines(&lines)),
        Err(PackFault::OutOfOrder {
            line: 5,
            expected: 3,
            found: 4
        })
    );
}

#[test]
fn a_withheld_events_digest_swapped_for_anothers_breaks_the_chain_there() {
    let (_tmp, events) = small_ledger();
    let mut lines = pack_lines(&events, Scope::Plan(P1));
    // Events 3 and 4 are P2's, withheld.
    let other = lines[4 + 1]["digest"].clone();
    lines[3 + 1]["digest"] = other;
    assert!(matches!(
        pack::verify(&write_lines(&lines)),
        Err(PackFault::HashMismatch { seq: 3, .. })
    ));
}

#[test]
fn a_disclosed_event_withheld_makes_the_pack_incomplete() {
    let (_tmp, events) = small_ledger();
    let mut lines = pack_lines(&events, Scope::Plan(P1));
    // A1's claim, withheld as a holder who wanted it hidden would: the
    // digest is right, so every hash still checks.
    let claim = &events[7];
    lines[7 + 1] = serde_json::json!({
        "seq": 7,
        "subject": lines[7 + 1]["subject"].clone(),
        "hash": lines[7 + 1]["hash"].clone(),
        "digest": hex::encode(planledger::chain::record_digest(&claim.bytes)),
    });
    let disclosed = lines[0]["disclosed"].as_u64().expect("a count");
    lines[0]["disclosed"] = (disclosed - 1).into();
    let a1 = Subject {
        plan: Some(P1),
        action: Some(ActionId::of(1)),
    };
    assert_eq!(
        pack::verify(&write_lines(&lines)),
        Err(PackFault::WithheldRequired {
            seq: 7,
            why: Required::InScope(a1)
        })
    );
}

#[test]
fn a_withheld_redaction_is_named_by_the_text_it_erased() {
    let (_tmp, events) = small_ledger();
    let mut lines = pack_lines(&events, Scope::Plan(P1));
    let redaction = &events[8];
    lines[8 + 1] = serde_json::json!({
        "seq": 8,
        "subject": lines[8 + 1]["subject"].clone(),
        "hash": lines[8 + 1]["hash"].clone(),
        "digest": hex::encode(planledger::chain::record_digest(&redaction.bytes)),
    });
    assert!(matches!(
        pack::verify(&write_lines(&lines)),
        Err(PackFault::ErasedByWithheld { seq: 5, by: 8, .. })
    ));
}

#[test]
fn a_withheld_event_disclosed_says_more_than_the_pack_should() {
    let (_tmp, events) = small_ledger();
    let mut lines = pack_lines(&events, Scope::Plan(P1));
    // P2's action, its genuine line taken from a pack of the whole ledger.
    let whole = pack_lines(&events, Scope::Ledger);
    lines[4 + 1] = whole[4 + 1].clone();
    let disclosed = lines[0]["disclosed"].as_u64().expect("a count");
    lines[0]["disclosed"] = (disclosed + 1).into();
    assert_eq!(
        pack::verify(&write_lines(&lines)),
        Err(PackFault::DisclosedNotRequired {
            seq: 4,
            subject: Subject {
                plan: Some(P2),
                action: Some(ActionId::of(2))
            }
        })
    );
}

#[test]
fn a_forged_projection_is_named_where_it_differs() {
    let (_tmp, events) = small_ledger();
    let mut lines = pack_lines(&events, Scope::Plan(P1));
    let last = lines.len() - 1;
    let status = &mut lines[last]["projection"]["plans"][0]["actions"][0]["status"];
    assert_eq!(status, "claimed");
    *status = "assured".into();
    assert_eq!(
        pack::verify(&write_lines(&lines)),
        Err(PackFault::ProjectionDiffers {
            path: "plans[0].actions[0].status".into()
        })
    );
}

#[test]
fn a_header_whose_head_or_as_of_is_not_the_chains_is_refused() {
    let (_tmp, events) = small_ledger();
    let lines = pack_lines(&events, Scope::Plan(P1));
    let other_hash = lines[3]["hash"].clone();

    let mut head = lines.clone();
    head[0]["head"]["hash"] = other_hash.clone();
    assert!(matches!(
        pack::verify(&write_lines(&head)),
        Err(PackFault::HeadMismatch { seq: 9, .. })
    ));

    // A head one event beyond the pack: the events it ends with are gone.
    let mut beyond = lines.clone();
    beyond[0]["head"]["seq"] = 10.into();
    beyond[0]["events"] = 11.into();
    assert_eq!(
        pack::verify(&write_lines(&beyond)),
        Err(PackFault::EndsEarly { last: 9, head: 10 })
    );

    let mut as_of = lines.clone();
    as_of[0]["as_of"]["hash"] = other_hash;
    assert!(matches!(
        pack::verify(&write_lines(&as_of)),
        Err(PackFault::AsOfMismatch { seq: 8, .. })
    ));
}

#[test]
fn changed_words_in_a_disclosed_text_fail_their_commitment() {
    let (_tmp, events) = small_ledger();
    let mut lines = pack_lines(&events, Scope::Plan(P1));
    lines[7 + 1]["texts"][0]["words"] = "Done and dusted".into();
    assert!(matches!(
        pack::verify(&write_lines(&lines)),
        Err(PackFault::Texts { seq: 7, .. })
    ));
}

fn pack_lines(events: &[StoredEvent], scope: Scope) -> Vec<Value> {
    lines(&small_pack(events, scope))
}

/// A pack made with a key ends with a checkpoint of its head (pack
/// version 3): its signature is checked, and a flipped bit anywhere in it,
/// or a checkpoint of another head, fails the pack.
#[test]
fn a_pack_with_a_checkpoint_vouches_for_its_head() {
    let (_tmp, events) = small_ledger();
    let key = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
    let signer = pack::Signer {
        name: "Sam Okafor",
        key: &key,
    };
    let made = |events: &[StoredEvent]| {
        pack::make(
            events,
            Request {
                scope: Scope::Plan(P1),
                as_of: None,
                checkpoint: Some(signer),
            },
        )
        .expect("the pack is made")
    };
    let bytes = made(&events);
    let report = pack::verify(&bytes).expect("it verifies");
    let checkpoint = report.checkpoint.expect("it carries a checkpoint");
    assert_eq!(checkpoint.statement().seq(), report.head.0);
    assert_eq!(checkpoint.signer().name, "Sam Okafor");
    assert_eq!(lines_of(&bytes)[0]["pack_version"], 3);
    // Without a key, a pack is version 2 as before.
    assert_eq!(
        lines_of(&small_pack(&events, Scope::Plan(P1)))[0]["pack_version"],
        2
    );

    // Every byte of the checkpoint line is checked.
    let start = bytes[..bytes.len() - 1]
        .iter()
        .rposition(|b| *b == b'\n')
        .expect("a line before the last")
        + 1;
    for at in start..bytes.len() {
        let mut changed = bytes.clone();
        changed[at] ^= 0x01;
        assert!(
            pack::verify(&changed).is_err(),
            "byte {at} of the checkpoint line flipped"
        );
    }
    // The checkpoint of a shorter history does not vouch for this pack.
    let shorter = made(&events[..events.len() - 1]);
    let mut swapped = bytes[..start].to_vec();
    let other_start = shorter[..shorter.len() - 1]
        .iter()
        .rposition(|b| *b == b'\n')
        .expect("a line before the last")
        + 1;
    swapped.extend_from_slice(&shorter[other_start..]);
    assert!(matches!(
        pack::verify(&swapped),
        Err(PackFault::CheckpointNotThisPack { .. })
    ));
    // Nor does a version-3 pack without its checkpoint line.
    assert!(pack::verify(&bytes[..start]).is_err());
}

fn lines_of(pack: &[u8]) -> Vec<Value> {
    std::str::from_utf8(pack)
        .expect("UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

/// A pack checked from a file, a line at a time, gives what the same bytes
/// give in memory: the report when it holds, the same first fault when one
/// byte of it is changed (every 7th byte, and every byte of the header).
#[test]
fn a_pack_checked_from_its_file_says_what_its_bytes_say() {
    use std::io::{Seek, Write};
    let (_tmp, events) = small_ledger();
    let bytes = small_pack(&events, Scope::Ledger);
    let from_file = |bytes: &[u8]| {
        let mut file = tempfile::tempfile().expect("a temporary file");
        file.write_all(bytes).expect("the pack is written");
        file.rewind().expect("the file rewinds");
        pack::verify_file(file).expect("the file reads")
    };
    assert_eq!(from_file(&bytes), pack::verify(&bytes));
    assert!(from_file(&bytes).is_ok());
    let header = bytes.iter().position(|b| *b == b'\n').unwrap_or(0);
    for at in (0..bytes.len()).filter(|at| at % 7 == 0 || *at <= header) {
        let mut changed = bytes.clone();
        changed[at] ^= 0x01;
        assert_eq!(from_file(&changed), pack::verify(&changed), "byte {at}");
    }
    for cut in [0, 1, header, header + 1, bytes.len() - 1] {
        assert_eq!(
            from_file(&bytes[..cut]),
            pack::verify(&bytes[..cut]),
            "cut {cut}"
        );
    }
}
