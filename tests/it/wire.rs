//! The JSON shapes other programs read, pinned. The shipped plan is
//! imported with a fixed clock, a few months of assurance are recorded by
//! named people, and every `--json` command's output is compared with its
//! golden file under `ledger/golden/json/`; `ledger/JSON.md` must document
//! every key those outputs hold, and hold no key they lack.
//!
//! After an intended change to a shape, regenerate the golden files with
//! `PLANLEDGER_BLESS=1 cargo test --test it wire` and review the diff: a
//! field may be added, never renamed or removed (`ledger/JSON.md`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use crate::support::{Run, planledger, put_value, run, stored_value, tamper};

const PLAN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/ledger/plans/west-oxfordshire-dhr-alice-action-plan.txt"
);
const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ledger/golden/json");
const JSON_MD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ledger/JSON.md");

/// When every read below is made.
const READ_AT: &str = "2022-02-01T12:00:00Z";

/// Each shape's golden file and the command that prints it.
const SHAPES: [(&str, &[&str]); 7] = [
    ("show.json", &["show", "--json"]),
    ("history.json", &["history", "A1", "--json"]),
    ("audit.json", &["audit", "--json"]),
    ("summary.json", &["summary", "--json"]),
    ("diff.json", &["diff", "--from", "2022-01-01", "--json"]),
    ("verify.json", &["verify", "--json"]),
    // Made by the scenario, with `export --format pack --plan P1`.
    ("verify-pack.json", &["verify-pack", "pack.jsonl", "--json"]),
];

/// What the scenario printed.
struct Outputs {
    /// Each shape's file name and its output, with the random ledger id and
    /// the head hash replaced by placeholders.
    shapes: Vec<(&'static str, String)>,
    /// `export --format json`, normalised the same way.
    export_json: String,
    /// `diff` of the same span as `diff.json`, as text.
    diff_text: String,
    /// `verify --json` on the ledger once one stored byte was changed.
    verify_failed: Value,
    /// `verify --json` on a ledger upgraded from format 1.
    verify_upgraded: Value,
    /// `verify-pack --json` on the pack once one of its bytes was changed.
    verify_pack_failed: Value,
}

fn at(dir: &Path, clock: &str, actor: &str, args: &[&str]) -> Run {
    let mut process = planledger(&dir.join("ledger"));
    process
        .current_dir(dir)
        .env("PLANLEDGER_CLOCK", clock)
        .env("PLANLEDGER_ACTOR", actor)
        .args(args);
    run(&mut process)
}

fn ok(dir: &Path, clock: &str, actor: &str, args: &[&str]) -> String {
    let out = at(dir, clock, actor, args);
    assert_eq!(
        out.code, 0,
        "planledger {args:?}:\n{}\n{}",
        out.stdout, out.stderr
    );
    out.stdout
}

/// The scenario, run once for every test in this file.
fn outputs() -> &'static Outputs {
    static OUTPUTS: OnceLock<Outputs> = OnceLock::new();
    OUTPUTS.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let dir = tmp.path();
        let sam = "Sam Okafor (assurance lead)";
        let bob = "Bob Assurance";
        let ruth = "Dr Ruth Mensah (Oxford Health)";
        ok(dir, "2021-11-30T09:00:00Z", sam, &["init"]);
        ok(dir, "2021-12-01T10:00:00Z", sam, &["import", PLAN]);
        std::fs::write(
            dir.join("minutes.txt"),
            "Minutes of the board, 3 June 2019\n",
        )
        .expect("the evidence file is written");
        let steps: [(&str, &str, &[&str]); 8] = [
            (
                "2022-01-10T09:00:00Z",
                bob,
                &[
                    "accept",
                    "A1",
                    "--finding",
                    "Dip sample of ten referrals checked",
                ],
            ),
            (
                "2022-01-11T09:00:00Z",
                bob,
                &["challenge", "A2", "--finding", "No audit attached"],
            ),
            (
                "2022-01-12T09:00:00Z",
                ruth,
                &[
                    "status",
                    "A25",
                    "in-progress",
                    "--reason",
                    "Policy review restarted",
                ],
            ),
            (
                "2022-01-12T09:05:00Z",
                ruth,
                &[
                    "note",
                    "A25",
                    "Draft policy to the Safeguarding Committee",
                    "--effective",
                    "2022-01-05",
                ],
            ),
            (
                "2022-01-12T09:10:00Z",
                ruth,
                &[
                    "claim",
                    "A21",
                    "--outcome",
                    "Policy updated and published",
                    "--evidence",
                    "minutes.txt",
                    "--effective",
                    "2021-10",
                ],
            ),
            (
                "2022-01-12T09:15:00Z",
                ruth,
                &["retarget", "A26", "2022-06", "--reason", "HR capacity"],
            ),
            (
                "2022-01-13T09:00:00Z",
                sam,
                &[
                    "action",
                    "link",
                    "A1",
                    "R1",
                    "--reason",
                    "The force's recommendation restates R1: MARAC referrals recorded on NICHE",
                ],
            ),
            (
                "2022-01-13T09:05:00Z",
                sam,
                &[
                    "action",
                    "amend",
                    "A1",
                    "--lead",
                    "TVP MARAC Co-ordinator team",
                    "--reason",
                    "The co-ordinators became one team",
                    "--effective",
                    "2022-01",
                ],
            ),
        ];
        for (clock, actor, args) in steps {
            ok(dir, clock, actor, args);
        }

        // The ledger id is random and every hash depends on it.
        let events = ok(dir, READ_AT, sam, &["export", "--format", "events"]);
        let genesis: Value = serde_json::from_str(events.lines().next().expect("a genesis line"))
            .expect("a JSON line");
        let ledger_id = genesis["event"]["ledger_id"]
            .as_str()
            .expect("the genesis names the ledger id")
            .to_string();
        let head: Value =
            serde_json::from_str(events.lines().last().expect("a last line")).expect("a JSON line");
        let head_hash = head["hash"].as_str().expect("a hash").to_string();
        let normalise = |text: String| {
            text.replace(&ledger_id, "<ledger-id>")
                .replace(&head_hash, "<head-hash>")
        };

        ok(
            dir,
            READ_AT,
            sam,
            &[
                "export",
                "--format",
                "pack",
                "--plan",
                "P1",
                "-o",
                "pack.jsonl",
            ],
        );
        let shapes = SHAPES
            .iter()
            .map(|(name, args)| (*name, normalise(ok(dir, READ_AT, sam, args))))
            .collect();
        let export_json = normalise(ok(dir, READ_AT, sam, &["export", "--format", "json"]));
        let diff_text = ok(dir, READ_AT, sam, &["diff", "--from", "2022-01-01"]);

        tamper(&dir.join("ledger"), |events, _| {
            let mut value = stored_value(events, 40);
            let last = value.len() - 1;
            value[last] ^= 0x01;
            put_value(events, 40, &value);
        });
        let failed = at(dir, READ_AT, sam, &["verify", "--json"]);
        assert_eq!(failed.code, 3, "{}", failed.stderr);
        let verify_failed = serde_json::from_str(&failed.stdout).expect("verify prints JSON");

        crate::upgrade::golden_v1_ledger(&dir.join("v1"));
        ok(dir, READ_AT, sam, &["upgrade", "v1", "upgraded"]);
        let mut process = planledger(&dir.join("upgraded"));
        let upgraded = run(process.args(["verify", "--json"]));
        assert_eq!(upgraded.code, 0, "{}", upgraded.stderr);
        let verify_upgraded = serde_json::from_str(&upgraded.stdout).expect("verify prints JSON");
        let pack = dir.join("pack.jsonl");
        let mut bytes = std::fs::read(&pack).expect("the pack was written");
        // One letter of the plan's title in the projection.
        let title = b"\"title\":\"";
        let found = bytes
            .windows(title.len())
            .rposition(|w| w == title)
            .expect("the projection names the plan's title");
        bytes[found + title.len()] ^= 0x01;
        std::fs::write(&pack, bytes).expect("the pack is rewritten");
        let failed = at(dir, READ_AT, sam, &["verify-pack", "pack.jsonl", "--json"]);
        assert_eq!(failed.code, 3, "{}", failed.stderr);
        let verify_pack_failed =
            serde_json::from_str(&failed.stdout).expect("verify-pack prints JSON");
        Outputs {
            shapes,
            export_json,
            diff_text,
            verify_failed,
            verify_upgraded,
            verify_pack_failed,
        }
    })
}

fn golden_path(name: &str) -> PathBuf {
    Path::new(GOLDEN).join(name)
}

#[test]
fn every_json_shape_matches_its_golden_file() {
    let bless = std::env::var_os("PLANLEDGER_BLESS").is_some();
    let mut differing = Vec::new();
    for (name, output) in &outputs().shapes {
        let path = golden_path(name);
        if bless {
            std::fs::create_dir_all(GOLDEN).expect("the golden folder is made");
            std::fs::write(&path, output).expect("the golden file is written");
            continue;
        }
        let golden = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run PLANLEDGER_BLESS=1 cargo test --test it wire",
                path.display()
            )
        });
        if &golden != output {
            let line = golden
                .lines()
                .zip(output.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| golden.lines().count().min(output.lines().count()));
            differing.push(format!(
                "{name}: first difference at line {}:\n  golden: {:?}\n  now:    {:?}",
                line + 1,
                golden.lines().nth(line),
                output.lines().nth(line)
            ));
        }
    }
    assert!(
        differing.is_empty(),
        "the JSON shapes changed (if intended, re-run with PLANLEDGER_BLESS=1, review the \
         diff and update ledger/JSON.md):\n{}",
        differing.join("\n")
    );
}

/// `diff`'s text lists every event its JSON lists, once, under a heading
/// of its kind's group: the headings in order, each once, each group's
/// events in recorded order, and the count in the first line theirs.
#[test]
fn diff_text_lists_each_event_of_its_json_once_under_its_group() {
    let outputs = outputs();
    let json = &outputs
        .shapes
        .iter()
        .find(|(name, _)| *name == "diff.json")
        .expect("diff is one of the shapes")
        .1;
    let json: Value = serde_json::from_str(json).expect("diff --json is JSON");
    let events = json["events"].as_array().expect("a list of events");
    let kind_of: std::collections::BTreeMap<u64, &str> = events
        .iter()
        .map(|event| {
            let seq = event["seq"].as_u64().expect("a seq");
            (seq, event["event"].as_str().expect("an event kind"))
        })
        .collect();

    let text = &outputs.diff_text;
    assert!(
        text.starts_with(&format!(
            "Between 2022-01-01 and now: {} change(s)\n",
            events.len()
        )),
        "{text}"
    );
    // (heading, seqs listed under it), in the order printed.
    let mut groups: Vec<(String, Vec<u64>)> = Vec::new();
    for line in text.lines() {
        if let Some(heading) = line.strip_suffix(':').filter(|h| !h.starts_with(' ')) {
            groups.push((heading.to_string(), Vec::new()));
        } else if let Some(rest) = line.strip_prefix("  seq ") {
            let seq: u64 = rest
                .split_whitespace()
                .next()
                .and_then(|seq| seq.parse().ok())
                .expect("a seq after 'seq'");
            groups
                .last_mut()
                .expect("a heading before the events")
                .1
                .push(seq);
        }
    }
    assert!(
        groups.len() > 2,
        "too few groups to show their order: {text}"
    );
    let headings: Vec<&String> = groups.iter().map(|(heading, _)| heading).collect();
    let mut sorted = headings.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(headings, sorted, "headings in order, each once");
    let mut listed: Vec<u64> = Vec::new();
    let mut group_of_kind: std::collections::BTreeMap<&str, &String> = Default::default();
    for (heading, seqs) in &groups {
        assert!(seqs.is_sorted(), "{heading}: {seqs:?}");
        for seq in seqs {
            let kind = kind_of.get(seq).expect("every event listed is in the JSON");
            assert_eq!(
                *group_of_kind.entry(kind).or_insert(heading),
                heading,
                "{kind} under two headings"
            );
        }
        listed.extend(seqs);
    }
    listed.sort();
    assert_eq!(listed, kind_of.keys().copied().collect::<Vec<_>>());
}

#[test]
fn export_json_is_the_shape_of_show_json() {
    let show = &outputs()
        .shapes
        .iter()
        .find(|(name, _)| *name == "show.json")
        .expect("show is one of the shapes")
        .1;
    assert_eq!(&outputs().export_json, show);
}

/// Every key of every object in `value`.
fn keys(value: &Value, into: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                into.insert(key.clone());
                keys(inner, into);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| keys(item, into)),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
}

/// The keys `ledger/JSON.md` documents: the first cell of every table row,
/// when it is a name in backticks.
fn documented_keys() -> BTreeSet<String> {
    let page = std::fs::read_to_string(JSON_MD).expect("ledger/JSON.md is readable");
    page.lines()
        .filter_map(|line| line.trim().strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`'))
        .map(|(key, _)| key.to_string())
        .collect()
}

#[test]
fn json_md_documents_every_key_of_every_shape_and_no_other() {
    let outputs = outputs();
    let mut used = BTreeSet::new();
    for (name, output) in &outputs.shapes {
        let value: Value =
            serde_json::from_str(output).unwrap_or_else(|e| panic!("{name} is JSON: {e}"));
        keys(&value, &mut used);
    }
    keys(&outputs.verify_failed, &mut used);
    keys(&outputs.verify_upgraded, &mut used);
    keys(&outputs.verify_pack_failed, &mut used);
    assert_eq!(
        outputs.verify_pack_failed["problems"][0]["kind"], "projection_differs",
        "{}",
        outputs.verify_pack_failed
    );
    assert_eq!(
        outputs.verify_failed["first_bad_seq"], 40,
        "{}",
        outputs.verify_failed
    );
    let documented = documented_keys();
    let undocumented: Vec<&String> = used.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "keys printed but not documented in ledger/JSON.md: {undocumented:?}"
    );
    let unused: Vec<&String> = documented.difference(&used).collect();
    assert!(
        unused.is_empty(),
        "keys documented in ledger/JSON.md that no shape prints: {unused:?}"
    );
}

#[test]
fn every_change_says_who_with_actor_and_whether_its_date_was_stated() {
    // One concept, one spelling: wherever a change is shown, its stamp is
    // whole, and the older `by` and `claimed_by` agree with `actor`.
    fn check(value: &Value, path: &str) {
        match value {
            Value::Object(map) => {
                if map.contains_key("effective") {
                    for field in [
                        "seq",
                        "recorded_at",
                        "actor",
                        "effective",
                        "effective_stated",
                    ] {
                        assert!(map.contains_key(field), "{path} lacks {field}: {value}");
                    }
                    assert!(map["effective"].is_string(), "{path}: {value}");
                }
                for alias in ["by", "claimed_by"] {
                    if let Some(name) = map.get(alias) {
                        assert_eq!(name, &map["actor"], "{path}: {value}");
                    }
                }
                for (key, inner) in map {
                    check(inner, &format!("{path}.{key}"));
                }
            }
            Value::Array(items) => items.iter().for_each(|item| check(item, path)),
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
        }
    }
    for (name, output) in &outputs().shapes {
        let value: Value = serde_json::from_str(output).expect("JSON");
        check(&value, name);
    }
    let audit: Value = serde_json::from_str(
        &outputs()
            .shapes
            .iter()
            .find(|(name, _)| *name == "audit.json")
            .expect("audit is one of the shapes")
            .1,
    )
    .expect("JSON");
    let claim = audit
        .as_array()
        .expect("entries")
        .iter()
        .rfind(|e| e["event"] == "CompletionClaimed")
        .expect("the claim on A21");
    assert_eq!(claim["effective"], "2021-10");
    assert_eq!(claim["effective_stated"], true);
    let accept = audit
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["event"] == "ClaimAccepted")
        .expect("the acceptance of A1's claim");
    assert_eq!(accept["effective"], "2022-01-10", "the recorded day");
    assert_eq!(accept["effective_stated"], false);
}
