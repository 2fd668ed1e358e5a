//! Which of the review's recommendations each action answers, and changes
//! to an action's wording, lead, agency or scope, through the command line
//! on the shipped plan: `action link` confirms or changes what the importer
//! linked by wording, `action amend` records a handover, and each refuses
//! what it cannot record, writing nothing.

use serde_json::Value;

use crate::support::CliLedger;

const PLAN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/ledger/plans/west-oxfordshire-dhr-alice-action-plan.txt"
);
const IMPORTED_AT: &str = "2021-12-01T10:00:00Z";
const LATER: &str = "2022-06-01T12:00:00Z";

/// A ledger holding the shipped plan, imported on 1 December 2021.
struct Shipped(CliLedger);

impl std::ops::Deref for Shipped {
    type Target = CliLedger;

    fn deref(&self) -> &CliLedger {
        &self.0
    }
}

impl Shipped {
    fn new() -> Shipped {
        let shipped = Shipped::empty();
        shipped.ok_at(IMPORTED_AT, &["import", PLAN]);
        shipped
    }

    /// A new ledger holding nothing yet.
    fn empty() -> Shipped {
        let shipped = Shipped(CliLedger::new());
        shipped.ok_at("2021-11-30T09:00:00Z", &["init"]);
        shipped
    }

    fn ok(&self, args: &[&str]) -> String {
        self.ok_at(LATER, args).stdout
    }

    /// Runs a command that must be refused with one line of error and
    /// exit code 1, and checks it wrote nothing; returns what it said.
    fn refused(&self, args: &[&str]) -> String {
        let said = self.not_run(1, args);
        assert_eq!(said.lines().count(), 1, "one line of error: {said}");
        said
    }

    /// Runs a command that must exit with `code` (2: a usage error, which
    /// clap explains at more length), writing nothing; returns what it said.
    fn not_run(&self, code: i32, args: &[&str]) -> String {
        let before = self.events();
        let out = self.run_at(LATER, args);
        assert_eq!(out.code, code, "{args:?}:\n{}\n{}", out.stdout, out.stderr);
        assert_eq!(self.events(), before, "{args:?} wrote something");
        out.stderr
    }

    /// How many events the ledger holds.
    fn events(&self) -> usize {
        self.ok(&["export", "--format", "events"]).lines().count()
    }

    fn action(&self, id: &str) -> Value {
        let show: Value = serde_json::from_str(&self.ok(&["show", "--json"])).expect("JSON");
        show["plans"][0]["actions"]
            .as_array()
            .expect("actions")
            .iter()
            .find(|a| a["id"] == id)
            .unwrap_or_else(|| panic!("no {id}"))
            .clone()
    }

    fn coverage(&self) -> Value {
        let summary: Value = serde_json::from_str(&self.ok(&["summary", "--json"])).expect("JSON");
        summary["plans"][0]["coverage"].clone()
    }
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| v.as_str().expect("a string"))
        .collect()
}

#[test]
fn action_link_confirms_and_changes_links_and_coverage_follows() {
    let ledger = Shipped::new();
    // The importer's links: A15 and A16 by wording, unconfirmed.
    let a15 = ledger.action("A15");
    assert_eq!(strings(&a15["recommendations"]), ["R9"]);
    assert_eq!(a15["link"]["basis"], "wording");
    assert_eq!(a15["link"]["confirmed"], false);
    let summary = ledger.ok(&["summary"]);
    assert!(summary.contains("A15 → R9 and A16 → R10."), "{summary}");

    // Confirmed by a person: no longer marked.
    let out = ledger.ok(&[
        "action",
        "link",
        "A15",
        "R9",
        "--reason",
        "Confirmed with A2Dominion's safeguarding lead",
    ]);
    assert!(
        out.contains(
            "A15: linked to R9 by Sam Okafor: Confirmed with A2Dominion's safeguarding lead"
        ),
        "{out}"
    );
    let a15 = ledger.action("A15");
    assert_eq!(a15["link"]["basis"], "stated");
    assert_eq!(a15["link"]["confirmed"], true);
    assert_eq!(
        strings(&ledger.coverage()["unconfirmed_links"][0]["recommendations"]),
        ["R10"]
    );

    // Changed: A16 answers R10 and R3; the police row is R1 in other words.
    ledger.ok(&[
        "action",
        "link",
        "A16",
        "R10",
        "3",
        "--reason",
        "Its training answers R3 as well",
    ]);
    assert_eq!(
        strings(&ledger.action("A16")["recommendations"]),
        ["R10", "R3"]
    );
    ledger.ok(&[
        "action",
        "link",
        "A1",
        "R1",
        "--reason",
        "The force's recommendation restates R1: recording on NICHE",
    ]);
    // A statement of policy, said to answer none of them.
    ledger.ok(&[
        "action",
        "link",
        "A26",
        "--none",
        "--reason",
        "A statement in the policy, not a response to the review",
    ]);

    let coverage = ledger.coverage();
    assert_eq!(
        strings(&coverage["recommendations_without_action"]),
        ["R2", "R4", "R5", "R7", "R8"]
    );
    assert_eq!(coverage["unconfirmed_links"], serde_json::json!([]));
    assert_eq!(strings(&coverage["actions_stated_none"]), ["A26"]);
    assert_eq!(coverage["actions_unlinked"], serde_json::json!([]));
    assert_eq!(
        strings(&coverage["actions_answering_own_recommendation"]).len(),
        20,
        "the police row is no longer its own"
    );
    let show = ledger.ok(&["show"]);
    assert!(
        show.contains("5 of 10 recommendations have no action: R2, R4, R5, R7 and R8."),
        "{show}"
    );
    assert!(
        !show.contains("R9?") && !show.contains("R1? marks"),
        "{show}"
    );
    assert!(
        show.contains("Stated to answer none of the review's recommendations: A26."),
        "{show}"
    );

    // The history keeps both: what the importer found, and who changed it.
    let history = ledger.ok(&["history", "A15", "--json"]);
    for words in [
        "linked to R9 by wording (50% shared), not yet confirmed",
        "linked to R9 by Sam Okafor: Confirmed with A2Dominion's",
    ] {
        assert!(history.contains(words), "{words}: {history}");
    }
    let history = ledger.ok(&["history", "A1", "--json"]);
    assert!(
        history.contains(
            "answers its agency's own recommendation: 'TVP MARAC Co-ordinators to update"
        ),
        "{history}"
    );
    // As it stood before the links were changed.
    let then = ledger.ok(&["show", "--as-of", IMPORTED_AT]);
    assert!(then.contains("R9?"), "{then}");
    assert!(ledger.ok(&["verify"]).contains("intact"));
}

#[test]
fn action_link_refuses_what_it_cannot_record_and_writes_nothing() {
    let ledger = Shipped::new();
    let said = ledger.refused(&["action", "link", "A15", "R12", "--reason", "x"]);
    assert!(
        said.contains("plan P1 lists no recommendation R12 (did you mean R1")
            && said.contains("(it lists R1, R2, R3, R4, R5, R6, R7, R8, R9, R10)"),
        "{said}"
    );
    let said = ledger.refused(&["action", "link", "A15", "R9", "--reason", "  "]);
    assert!(said.contains("the reason must not be empty"), "{said}");
    let said = ledger.refused(&["action", "link", "A99", "R9", "--reason", "x"]);
    assert!(
        said.contains("there is no action A99 (did you mean"),
        "{said}"
    );
    let said = ledger.refused(&["action", "link", "A15", "R9", "R9", "--reason", "x"]);
    assert!(said.contains("it links A15 to R9 twice"), "{said}");
    let said = ledger.not_run(1, &["action", "link", "A15", "Rx", "--reason", "x"]);
    assert!(said.contains("Rx"), "{said}");
    // Neither recommendations nor --none, or both: a usage error.
    ledger.not_run(2, &["action", "link", "A15", "--reason", "x"]);
    ledger.not_run(
        2,
        &["action", "link", "A15", "R9", "--none", "--reason", "x"],
    );
    // The same stated link twice says so.
    ledger.ok(&["action", "link", "A15", "R9", "--reason", "Confirmed"]);
    let said = ledger.refused(&["action", "link", "A15", "R9", "--reason", "Again"]);
    assert!(
        said.contains("A15 is already linked that way (to R9)"),
        "{said}"
    );
}

#[test]
fn action_amend_changes_each_field_and_history_says_what_it_was() {
    let ledger = Shipped::new();
    let turning_point = ledger.action("A12");
    assert_eq!(turning_point["lead"], "Turning Point Witney");
    let out = ledger.ok(&[
        "action",
        "amend",
        "A12",
        "--lead",
        "Turning Point Banbury",
        "--reason",
        "The Witney hub manager left; Banbury leads now",
        "--effective",
        "2022-03",
    ]);
    assert!(
        out.contains("A12: amended lead 'Turning Point Witney' → 'Turning Point Banbury': The Witney hub manager left"),
        "{out}"
    );
    ledger.ok(&[
        "action",
        "amend",
        "A12",
        "--text",
        "Two staff members to complete MARAC and champion training",
        "--agency",
        "Change Grow Live",
        "--scope",
        "Local and regional",
        "--reason",
        "The service passed to its successor provider",
    ]);
    let amended = ledger.action("A12");
    assert_eq!(amended["lead"], "Turning Point Banbury");
    assert_eq!(
        amended["text"],
        "Two staff members to complete MARAC and champion training"
    );
    assert_eq!(amended["agency"], "Change Grow Live");
    assert_eq!(amended["scope"], "Local and regional");
    assert_eq!(
        amended["status"], turning_point["status"],
        "its history stays"
    );
    assert_eq!(amended["claims"], turning_point["claims"]);
    ledger.ok(&[
        "action",
        "amend",
        "A12",
        "--no-lead",
        "--no-scope",
        "--reason",
        "The provider has not named a lead yet",
    ]);
    let amended = ledger.action("A12");
    assert_eq!(
        (&amended["lead"], &amended["scope"]),
        (&Value::Null, &Value::Null)
    );

    let history = ledger.ok(&["history", "A12", "--json"]);
    for words in [
        "amended lead 'Turning Point Witney' → 'Turning Point Banbury'",
        "agency Turning Point → Change Grow Live",
        "scope 'Local' → 'Local and regional'",
        "lead 'Turning Point Banbury' → none; scope 'Local and regional' → none",
    ] {
        assert!(history.contains(words), "{words}: {history}");
    }
    // The agency filter finds it under its new agency, and as it stood
    // before, under its old one.
    assert!(
        ledger
            .ok(&["show", "--agency", "change grow"])
            .contains("A12")
    );
    let then = ledger.ok(&["show", "--as-of", IMPORTED_AT, "--json"]);
    assert!(then.contains("Turning Point Witney"));
    // On the valid-time axis the lead changed in March 2022.
    let february: Value =
        serde_json::from_str(&ledger.ok(&["show", "--valid-at", "2022-02-28", "--json"]))
            .expect("JSON");
    let a12 = &february["plans"][0]["actions"][11];
    assert_eq!(a12["id"], "A12");
    assert_eq!(a12["lead"], "Turning Point Witney");
    assert!(ledger.ok(&["verify"]).contains("intact"));
}

#[test]
fn action_amend_refuses_what_changes_nothing_and_writes_nothing() {
    let ledger = Shipped::new();
    let said = ledger.refused(&["action", "amend", "A12", "--reason", "tidying"]);
    assert!(said.contains("it amends nothing"), "{said}");
    let cases: [(&[&str], &str); 7] = [
        (
            &["--lead", "Turning Point Witney"],
            "A12 already has that lead",
        ),
        (
            &["--agency", "Turning Point"],
            "A12 already has that agency",
        ),
        (&["--scope", "Local"], "A12 already has that scope"),
        (
            &["--text", "Two staff members completed MARAC training"],
            "A12 already has that text",
        ),
        (&["--text", "   "], "the action text must not be empty"),
        (&["--agency", " "], "the agency must not be empty"),
        (&["--lead", " "], "the lead must not be empty"),
    ];
    for (change, words) in cases {
        let mut args = vec!["action", "amend", "A12"];
        args.extend_from_slice(change);
        args.extend_from_slice(&["--reason", "because"]);
        let said = ledger.refused(&args);
        assert!(said.contains(words), "{change:?}: {said}");
    }
    let said = ledger.refused(&[
        "action", "amend", "A12", "--lead", "New lead", "--reason", " ",
    ]);
    assert!(said.contains("the reason must not be empty"), "{said}");
    let said = ledger.refused(&["action", "amend", "A77", "--lead", "X", "--reason", "y"]);
    assert!(said.contains("there is no action A77"), "{said}");
    let said = ledger.refused(&[
        "action",
        "amend",
        "A12",
        "--lead",
        "X\u{1b}[2J",
        "--reason",
        "y",
    ]);
    assert!(said.contains("--lead"), "{said}");
    ledger.not_run(
        2,
        &[
            "action",
            "amend",
            "A12",
            "--lead",
            "X",
            "--no-lead",
            "--reason",
            "y",
        ],
    );
}

/// An action that answers its agency's own recommendation is exported to
/// CSV with that recommendation's words in the Recommendation column, as
/// the plan's table had them, not an empty cell.
#[test]
fn csv_export_keeps_an_agencys_own_recommendation_and_reads_back() {
    let shipped = Shipped::new();
    let show: Value = serde_json::from_str(&shipped.ok(&["show", "--json"])).expect("JSON");
    let own = show["plans"][0]["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .find(|a| a["link"]["basis"] == "own")
        .expect("the shipped plan has an action answering its agency's own recommendation")
        .clone();
    let words = own["link"]["note"].as_str().expect("its words").to_string();
    let csv_path = shipped.tmp.path().join("plan.csv");
    shipped.ok(&[
        "export",
        "--format",
        "csv",
        "-o",
        csv_path.to_str().expect("UTF-8"),
    ]);
    let mut reader = csv::Reader::from_path(&csv_path).expect("the CSV reads");
    let headers = reader.headers().expect("a header").clone();
    let column = |name: &str| headers.iter().position(|h| h == name).expect(name);
    let (id_at, rec_at) = (column("Action id"), column("Recommendation"));
    let row = reader
        .records()
        .map(|r| r.expect("a row"))
        .find(|r| r[id_at] == *own["id"].as_str().expect("an id"))
        .expect("its row");
    assert_eq!(&row[rec_at], words.as_str());

    // Read back into a new ledger, the action still answers its agency's
    // own recommendation, in the same words (they were lost when the CSV
    // listed no recommendations for its rows to be matched against).
    let again = Shipped::empty();
    again.ok(&[
        "import",
        csv_path.to_str().expect("UTF-8"),
        "--partnership",
        "West Oxfordshire CSP",
        "--review",
        "Alice",
    ]);
    let show: Value = serde_json::from_str(&again.ok(&["show", "--json"])).expect("JSON");
    let read_back = show["plans"][0]["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .find(|a| a["text"] == own["text"])
        .expect("the action read back")
        .clone();
    assert_eq!(read_back["link"]["basis"], "own", "{read_back:#}");
    assert_eq!(read_back["link"]["note"], words.as_str());
}
