//! The summary and the CSV, Markdown and HTML exports, checked the way a
//! user would check them: the CSV read back by a CSV reader, the Markdown
//! for its counts and escaping, the HTML for self-containment, escaping and
//! its footer. The HTML rendered by a real headless Chromium is checked in
//! `tests/browser.rs`, its own test target (so that it can be reported as
//! ignored where there is no Chromium), which includes this file for its
//! fixture.
//!
//! The fixture is one plan with an action in every status, a milestone with
//! a line break, a backdated claim, an accepted and a challenged claim, and
//! action texts carrying `|`, `<script>`, a comma and quotes.

use std::sync::Arc;

use chrono::NaiveDate;
use planledger::command::Command;
use planledger::date::{FuzzyDate, Target};
use planledger::export::{self, ReportInput};
use planledger::id::{ActionId, PlanId, RecId};
use planledger::integrity::verify;
use planledger::ledger::{Ledger, Stamped};
use planledger::query::audit::{Filter, trail};
use planledger::query::summary::{Category, summarize};
use planledger::status::Status;
use planledger::time::{DayEnd, FixedClock, parse_instant};

const ASSURANCE: &str = "Sam Okafor (assurance lead)";
const TVP: &str = "DS Claire Hunt (Thames Valley Police)";
const OH: &str = "Dr Ruth Mensah (Oxford Health)";
const SCRIPT_TEXT: &str = "Review referrals <script>alert('pwned')</script> with MARAC";
const PIPE_TEXT: &str = "Audit Niche | MARAC records, \"high risk\" cases";
const NOW: &str = "2021-12-01T10:00:00Z";

pub(crate) struct Fixture {
    _dir: tempfile::TempDir,
    ledger: Ledger,
}

fn at(text: &str) -> i64 {
    parse_instant(text, DayEnd::Start).unwrap()
}

fn target(text: &str) -> Option<Target> {
    Some(Target::parse_cli(text).unwrap())
}

pub(crate) fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(at("2019-10-21T09:00:00Z")));
    let mut ledger = Ledger::init(&dir.path().join("ledger"), ASSURANCE, clock.clone()).unwrap();
    let mut commands: Vec<Stamped> = vec![
        Command::AddPlan {
            partnership: "West Oxfordshire CSP".into(),
            review: "Alice".into(),
            chair: Some("Deborah Jeremiah".into()),
            published: FuzzyDate::parse_iso("2019-10").ok(),
        }
        .into(),
    ];
    let actions = [
        (
            "Thames Valley Police",
            "Commission IRIS training",
            "2022-06",
        ),
        ("Thames Valley Police", PIPE_TEXT, "2020-03"),
        ("Oxford Health NHS FT", SCRIPT_TEXT, "2020-06"),
        ("Oxford Health NHS FT", "Hold a learning event", "2021-09"),
        (
            "Oxford Health NHS FT",
            "Train staff in the toolkit",
            "2020-12",
        ),
        (
            "A2Dominion",
            "=HYPERLINK(\"http://evil.example\") training for staff",
            "Ongoing",
        ),
        ("A2Dominion", "Flag tenancies", "2020-12"),
        (
            "A2Dominion",
            "Introduce DASH for housing officers",
            "2022-03",
        ),
    ];
    for (agency, text, due) in actions {
        commands.push(
            Command::AddAction {
                plan: PlanId::of(1),
                agency: agency.into(),
                lead: Some("Safeguarding lead".into()),
                text: text.into(),
                scope: Some("Local".into()),
                recommendations: vec![RecId::of(1), RecId::of(3)],
                target: target(due),
            }
            .into(),
        );
    }
    ledger.transact(ASSURANCE, "plan", commands).unwrap();

    let mut step = |when: &str, actor: &str, command: Command, effective: Option<&str>| {
        clock.set(at(when));
        let stamped = Stamped {
            command,
            effective: effective.map(|e| FuzzyDate::parse_iso(e).unwrap()),
            source: None,
        };
        ledger.transact(actor, "step", vec![stamped]).unwrap();
    };
    let status = |action: u32, to| Command::SetStatus {
        action: ActionId::of(action),
        to,
        reason: "work started".into(),
    };
    let claim = |action: u32, outcome: &str| Command::Claim {
        action: ActionId::of(action),
        outcome: outcome.into(),
        evidence: Vec::new(),
    };
    step(
        "2019-12-02T09:00:00Z",
        TVP,
        status(2, Status::InProgress),
        None,
    );
    step(
        "2020-02-01T09:00:00Z",
        OH,
        claim(4, "Learning event held"),
        None,
    );
    step(
        "2020-03-01T09:00:00Z",
        ASSURANCE,
        Command::Accept {
            action: ActionId::of(4),
            finding: "Attendance list seen".into(),
        },
        None,
    );
    step(
        "2020-09-14T09:00:00Z",
        TVP,
        Command::NoteMilestone {
            action: ActionId::of(2),
            note: "Audit template agreed.\nFirst audit due in December.".into(),
        },
        None,
    );
    step(
        "2021-06-07T09:00:00Z",
        OH,
        claim(5, "Training delivered"),
        None,
    );
    step(
        "2021-07-19T09:00:00Z",
        ASSURANCE,
        Command::Challenge {
            action: ActionId::of(5),
            finding: "No attendance figures".into(),
        },
        None,
    );
    step(
        "2021-08-01T09:00:00Z",
        ASSURANCE,
        status(6, Status::Embedded),
        None,
    );
    step(
        "2021-08-02T09:00:00Z",
        ASSURANCE,
        Command::Withdraw {
            action: ActionId::of(7),
            reason: "No longer a workstream".into(),
        },
        None,
    );
    step(
        "2021-09-01T09:00:00Z",
        OH,
        Command::NoteMilestone {
            action: ActionId::of(8),
            note: "Scoping meeting held".into(),
        },
        None,
    );
    // Backdated: claimed in November 2021 as done in January 2020.
    step(
        "2021-11-15T09:00:00Z",
        OH,
        claim(3, "Referrals reviewed"),
        Some("2020-01"),
    );
    clock.set(at(NOW));
    Fixture { _dir: dir, ledger }
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 12, 1).unwrap()
}

/// Renders `write` over the fixture's view into a string.
pub(crate) fn render(
    fx: &Fixture,
    write: fn(&ReportInput<'_>, &mut dyn std::io::Write) -> std::io::Result<()>,
) -> String {
    let events = fx.ledger.events().unwrap();
    let report = verify(fx.ledger.store()).unwrap();
    let view = ReportInput {
        state: fx.ledger.state(),
        events: &events,
        recall: &fx.ledger,
        verify: &report,
        today: today(),
        generated_at: at(NOW),
    };
    let mut out = Vec::new();
    write(&view, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn summary_counts_statuses_categories_overdue_and_backdating_for_the_fixture() {
    let fx = fixture();
    let entries = trail(&fx.ledger.events().unwrap(), &Filter::default());
    let backdated = entries.iter().filter(|e| e.backdated_days.is_some());
    let summary = summarize(
        fx.ledger.state(),
        &fx.ledger,
        backdated.map(|e| e.action),
        today(),
    )
    .unwrap();
    let total = &summary.total;
    assert_eq!(total.actions, 8);
    let statuses: Vec<usize> = Status::ALL.iter().map(|s| total.status(*s)).collect();
    // open, in-progress, claimed, assured, challenged, embedded, withdrawn
    assert_eq!(statuses, vec![2, 1, 1, 1, 1, 1, 1]);
    let categories: Vec<(Category, usize)> = Category::ALL
        .iter()
        .map(|c| (*c, total.category(*c)))
        .collect();
    assert_eq!(
        categories,
        vec![
            (Category::FullyImplemented, 1),
            (Category::PartlyMet, 2),
            (Category::NotMet, 1),
            (Category::HappeningAlready, 1),
            (Category::Missing, 1),
            (Category::InProgressNotYetDue, 1),
            (Category::Withdrawn, 1),
        ]
    );
    // A2 (in progress, due 2020-03) and A5 (challenged, due 2020-12).
    assert_eq!(total.overdue, 2);
    assert_eq!(total.backdated, 1);
    assert_eq!(summary.backdated_entries, 1);
    assert_eq!(summary.awaiting.len(), 1);
    assert_eq!(summary.awaiting[0].action, ActionId::of(3));
    assert_eq!(summary.awaiting[0].days_waiting, 16);

    let plan = &summary.plans[0];
    let agencies: Vec<(&str, usize)> = plan
        .agencies
        .iter()
        .map(|a| (a.agency.as_str(), a.counts.actions))
        .collect();
    assert_eq!(
        agencies,
        vec![
            ("A2Dominion", 3),
            ("Oxford Health NHS FT", 3),
            ("Thames Valley Police", 2)
        ]
    );
    let oh = &plan.agencies[1].counts;
    assert_eq!((oh.awaiting_assurance, oh.backdated, oh.overdue), (1, 1, 1));
}

#[test]
fn csv_reads_back_with_the_template_header_one_row_per_action_and_multiline_cells() {
    let fx = fixture();
    let mut bytes = Vec::new();
    export::csv::write(
        fx.ledger.state(),
        &fx.ledger,
        today(),
        export::csv::Options::default(),
        &mut bytes,
    )
    .unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "the file starts with a UTF-8 BOM"
    );
    assert!(std::str::from_utf8(&bytes).unwrap().contains("\r\n"));

    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, export::csv::HEADERS.to_vec());
    for name in [
        "Agency",
        "Recommendation",
        "Scope of recommendation",
        "Action to be taken",
        "Lead Agency",
        "Target Date",
        "Date of completion and Outcome",
    ] {
        assert!(header.iter().any(|h| h == name), "header has {name}");
    }
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 8);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(&rows[1][col("Action to be taken")], PIPE_TEXT);
    assert_eq!(&rows[1][col("Recommendation")], "R1 R3");
    assert_eq!(
        &rows[1][col("Key milestones to enact recommendation")],
        "2020-09-14: Audit template agreed.\nFirst audit due in December."
    );
    assert_eq!(&rows[1][col("Overdue")], "yes");
    assert_eq!(
        &rows[2][col("Date of completion and Outcome")],
        "2020-01 – Referrals reviewed"
    );
    assert_eq!(&rows[2][col("Assurance")], "awaiting assurance");
    assert!(rows[3][col("Assurance")].starts_with("accepted 2020-03-01 by Sam Okafor"));
    assert!(rows[4][col("Assurance")].starts_with("challenged"));
    assert!(
        rows[5][col("Action to be taken")].starts_with("'=HYPERLINK"),
        "a formula-like cell is neutralised"
    );
    let statuses: Vec<&str> = rows.iter().map(|r| &r[col("Status")]).collect();
    assert_eq!(
        statuses,
        vec![
            "open",
            "in-progress",
            "claimed",
            "assured",
            "challenged",
            "embedded",
            "withdrawn",
            "open"
        ]
    );

    // The csv crate's own reader copes with the BOM left in.
    let mut with_bom = csv::Reader::from_reader(&bytes[..]);
    assert_eq!(with_bom.headers().unwrap().get(0), Some("Plan"));
}

#[test]
fn markdown_report_has_the_summary_counts_and_escapes_pipes() {
    let fx = fixture();
    let md = render(&fx, export::markdown::write);
    assert!(md.starts_with("# Action plan report: West Oxfordshire CSP: Alice\n"));
    let (seq, hash) = fx.ledger.state().head.unwrap();
    assert!(md.contains(&format!("sequence {seq}, hash `{}`", hex::encode(hash))));
    assert!(md.contains("- Verification: intact"));
    assert!(
        md.contains(
            "| **P1 West Oxfordshire CSP: Alice** | 8 | 2 | 1 | 1 | 1 | 1 | 1 | 1 | 2 | 1 | 1 |"
        ),
        "summary row:\n{md}"
    );
    assert!(
        md.contains(
            "| partly met | claimed but not yet assured, or the claim was challenged | 2 |"
        )
    );
    assert!(md.contains("Audit Niche \\| MARAC records"));
    assert!(!md.contains("Audit Niche | MARAC"));
    assert!(md.contains("\\<script\\>"));
    assert!(md.contains("Audit template agreed.<br>First audit due in December."));
    assert!(md.contains("## Backdated entries"));
    assert!(
        md.contains("**684 days**"),
        "the backdated claim shows its gap"
    );
    // Every table row has the same number of unescaped cell separators as
    // its header, so no cell broke out of its table.
    for block in md.split("\n\n").filter(|b| b.starts_with('|')) {
        let counts: Vec<usize> = block
            .lines()
            .map(|l| l.replace("\\|", "").matches('|').count())
            .collect();
        assert!(
            counts.windows(2).all(|w| w[0] == w[1]),
            "ragged table:\n{block}"
        );
    }
}

#[test]
fn html_report_is_self_contained_escapes_ledger_text_and_names_the_head() {
    let fx = fixture();
    let html = render(&fx, export::html::write);
    assert!(html.starts_with("<!DOCTYPE html>"));
    for external in [
        "src=",
        "@import",
        "href=\"http",
        "href='http",
        "url(",
        "<script",
        "<link",
    ] {
        assert!(
            !html.contains(external),
            "the page must not contain {external}"
        );
    }
    for (i, _) in html.match_indices("http") {
        let bytes = html.as_bytes();
        let before = String::from_utf8_lossy(&bytes[i.saturating_sub(12)..i]);
        assert!(
            before.ends_with("xmlns=\"") || html[i..].starts_with("http://evil.example"),
            "unexpected URL at {i}: {}",
            String::from_utf8_lossy(&bytes[i.saturating_sub(40)..(i + 40).min(bytes.len())])
        );
    }
    assert!(html.contains("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;"));
    assert!(html.contains("=HYPERLINK(&quot;http://evil.example&quot;)"));

    let footer = &html[html.find("<footer>").unwrap()..];
    let (seq, hash) = fx.ledger.state().head.unwrap();
    assert!(footer.contains(&hex::encode(hash)));
    assert!(footer.contains(&format!("sequence {seq}")));
    assert!(footer.contains("intact"));
    assert!(footer.contains("2021-12-01T10:00:00Z"));
    assert!(footer.contains("overridden clock"));

    assert_eq!(html.matches("<tr class=\"row-").count(), 8);
    assert!(html.contains("<svg class=\"timeline-chart\""));
    assert!(html.contains("<svg class=\"status-over-time\""));
    assert!(html.contains("data-kind=\"ClaimChallenged\""));
    assert!(
        html.contains("backdated 684 days"),
        "measured from the start of January 2020"
    );
    assert!(html.contains("@media print"));
}

#[test]
fn cli_summary_json_and_export_formats_run_on_a_ledger() {
    let fx = fixture();
    let dir = fx._dir.path().join("ledger");
    drop(fx.ledger);
    let run = |args: &[&str]| {
        let mut argv: Vec<std::ffi::OsString> =
            vec!["planledger".into(), "--ledger".into(), dir.clone().into()];
        argv.extend(args.iter().map(|a| a.into()));
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = planledger::cli::run(argv, &mut out, &mut err);
        assert_eq!(code, 0, "{args:?}: {}", String::from_utf8_lossy(&err));
        String::from_utf8(out).unwrap()
    };
    let json: serde_json::Value = serde_json::from_str(&run(&["summary", "--json"])).unwrap();
    assert_eq!(json["total"]["actions"], 8);
    assert_eq!(json["total"]["by_status"]["withdrawn"], 1);
    assert_eq!(json["total"]["by_category"]["fully_implemented"], 1);
    assert_eq!(json["awaiting_assurance"][0]["action"], "A3");
    let table = run(&["summary"]);
    assert!(table.contains("happening already"));
    for format in ["csv", "md", "html", "json", "events"] {
        let path = fx._dir.path().join(format!("report.{format}"));
        let said = run(&["export", "--format", format, "-o", path.to_str().unwrap()]);
        assert!(said.starts_with("Wrote "));
        assert!(
            std::fs::metadata(&path).unwrap().len() > 100,
            "{format} is not empty"
        );
    }
    let no_bom = run(&["export", "--format", "csv", "--no-bom"]);
    assert!(no_bom.starts_with("Plan,Agency,"));
}

/// Regression (issue: the store under faults): with an entry recorded near
/// the end of the calendar's range, the HTML report looped over every month
/// of 260,000 years and grew past 16 GB. Any time axis is bounded by the
/// data and by a sane maximum of marks, whatever the dates.
#[test]
fn a_report_spanning_the_whole_calendar_is_written_and_stays_small() {
    let tmp = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(at("2019-06-01T09:00:00Z")));
    let mut ledger = Ledger::init(&tmp.path().join("ledger"), "Admin", clock.clone()).unwrap();
    let plan = Command::AddPlan {
        partnership: "CSP".into(),
        review: "Alice".into(),
        chair: None,
        published: FuzzyDate::month(2019, 5),
    };
    let action = Command::AddAction {
        plan: PlanId::of(1),
        agency: "Police".into(),
        lead: None,
        text: "Update Niche".into(),
        scope: None,
        recommendations: vec![],
        target: None,
    };
    ledger
        .transact("Admin", "setup", vec![plan.into(), action.into()])
        .unwrap();
    clock.set(parse_instant("+262142-12-31", DayEnd::Start).unwrap());
    let note = Command::NoteMilestone {
        action: ActionId::of(1),
        note: "far in the future".into(),
    };
    ledger.transact("Admin", "note", vec![note.into()]).unwrap();
    let events = ledger.events().unwrap();
    let report = verify(ledger.store()).unwrap();
    let input = ReportInput {
        state: ledger.state(),
        events: &events,
        recall: &ledger,
        verify: &report,
        today: NaiveDate::MAX,
        generated_at: ledger.now(),
    };
    let mut out = Vec::new();
    export::html::write(&input, &mut out).unwrap();
    assert!(out.len() < 1_000_000, "{} bytes", out.len());
}

/// The first question an assurance lead asks of the shipped plan: which of
/// the review's recommendations have no action, and which actions answer
/// none of them. Every view that shows a whole plan says so; a view of one
/// agency's actions does not claim the others' recommendations are bare.
#[test]
fn coverage_of_the_shipped_plan_names_bare_recommendations_and_unlinked_actions() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ledger");
    let run = |args: &[&str]| {
        let mut argv: Vec<std::ffi::OsString> = vec!["planledger".into()];
        argv.extend(args.iter().map(|a| a.into()));
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = planledger::cli::run(argv, &mut out, &mut err);
        assert_eq!(code, 0, "{args:?}: {}", String::from_utf8_lossy(&err));
        String::from_utf8(out).unwrap()
    };
    run(&["demo", "--keep", dir.to_str().unwrap()]);
    let ledger = dir.to_str().unwrap();

    let json: serde_json::Value =
        serde_json::from_str(&run(&["--ledger", ledger, "summary", "--json"])).unwrap();
    let coverage = &json["plans"][0]["coverage"];
    assert_eq!(coverage["recommendations"], 10);
    let bare: Vec<&str> = coverage["recommendations_without_action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    // The plan's actions cite R3 and R6 (and R11/R13, which it does not
    // list, and whose rows restate R9 and R10: linked by wording).
    assert_eq!(bare, ["R1", "R2", "R4", "R5", "R7", "R8"]);
    let ids = |key: &str| -> Vec<String> {
        coverage[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| id.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(coverage["actions"], 26);
    assert_eq!(ids("actions_citing_none").len(), 22);
    assert_eq!(ids("actions_answering_own_recommendation").len(), 21);
    assert_eq!(ids("actions_unlinked"), ["A26"]);
    assert_eq!(
        coverage["unconfirmed_links"],
        serde_json::json!([
            {"action": "A15", "recommendations": ["R9"]},
            {"action": "A16", "recommendations": ["R10"]},
        ])
    );

    let sentence = "6 of 10 recommendations have no action: R1, R2, R4, R5, R7 and R8.";
    assert!(run(&["--ledger", ledger, "summary"]).contains(sentence));
    assert!(run(&["--ledger", ledger, "show"]).contains(sentence));
    assert!(
        !run(&["--ledger", ledger, "show", "--agency", "police"]).contains("have no action"),
        "one agency's view says nothing of the other agencies' recommendations"
    );
    let unconfirmed = "not yet confirmed ('planledger action link' confirms or changes a link): A15 → R9 and A16 → R10.";
    assert!(run(&["--ledger", ledger, "summary"]).contains(unconfirmed));
    let show = run(&["--ledger", ledger, "show"]);
    assert!(
        show.contains("R9?") && show.contains("R1? marks a link"),
        "{show}"
    );
    for format in ["md", "html"] {
        let report = run(&["--ledger", ledger, "export", "--format", format, "-o", "-"]);
        assert!(report.contains("Coverage of each review"), "{format}");
        assert!(report.contains(sentence), "{format}");
        assert!(report.contains("R9?"), "{format}");
    }
}

/// A report keeps only what it shows of a trail longer than it lists: the
/// last entries, in order, the same as the tail of the whole trail, and the
/// count of all of them.
#[test]
fn a_report_of_a_long_trail_lists_the_last_entries_of_the_whole_trail() {
    let mut fx = fixture();
    for n in 0..(export::html::TRAIL_SHOWN + 5) {
        let note = Command::NoteMilestone {
            action: ActionId::of(2),
            note: format!("step {n}"),
        };
        fx.ledger.transact(TVP, "note", vec![note.into()]).unwrap();
    }
    let events = fx.ledger.events().unwrap();
    let whole = trail(
        &events,
        &Filter {
            backdated_days: Some(ReportInput::BACKDATED_DAYS),
            ..Filter::default()
        },
    );
    let md = render(&fx, export::markdown::write);
    let recent = md
        .split("## Recent audit trail")
        .nth(1)
        .expect("the markdown has a recent trail");
    assert!(recent.contains(&format!(
        "The last {} of {} entries",
        export::markdown::RECENT,
        whole.len()
    )));
    let listed: Vec<String> = recent
        .lines()
        .filter_map(|line| line.strip_prefix("| "))
        .filter_map(|row| row.split(' ').next())
        .filter(|seq| seq.parse::<u64>().is_ok())
        .map(String::from)
        .collect();
    let expected: Vec<String> = whole[whole.len() - export::markdown::RECENT..]
        .iter()
        .map(|e| e.seq.to_string())
        .collect();
    assert_eq!(listed, expected);
    let html = render(&fx, export::html::write);
    assert!(html.contains(&format!(
        "The last {} of {} entries",
        export::html::TRAIL_SHOWN,
        whole.len()
    )));
    let first_shown = &whole[whole.len() - export::html::TRAIL_SHOWN];
    let trail_section = html
        .split("id=\"audit-trail\"")
        .nth(1)
        .expect("the page has an audit trail");
    assert!(
        trail_section.contains(&format!("<td class=\"num\">{}</td>", first_shown.seq)),
        "the first entry shown is the {}th from the end",
        export::html::TRAIL_SHOWN
    );
    assert!(!trail_section.contains(&format!("<td class=\"num\">{}</td>", first_shown.seq - 1)));
}

/// The backdated entries are written as a second pass over the trail reads
/// them, never held: both reports list every backdated entry of the whole
/// trail, in order, and no other, even when the HTML section is written
/// out in several pieces (far more than one flush's worth of rows).
#[test]
fn reports_list_every_backdated_entry_of_a_long_trail_in_order() {
    let mut fx = fixture();
    for n in 0..400 {
        let note = Stamped {
            command: Command::NoteMilestone {
                action: ActionId::of(2),
                note: format!("backdated step {n}"),
            },
            effective: Some(FuzzyDate::parse_iso("2020-01").unwrap()),
            source: None,
        };
        fx.ledger.transact(TVP, "note", vec![note]).unwrap();
        // Every fourth entry is recorded without an effective date.
        let plain = Command::NoteMilestone {
            action: ActionId::of(2),
            note: format!("current step {n}"),
        };
        if n % 4 == 0 {
            fx.ledger.transact(TVP, "note", vec![plain.into()]).unwrap();
        }
    }
    let whole = trail(
        &fx.ledger.events().unwrap(),
        &Filter {
            backdated_days: Some(ReportInput::BACKDATED_DAYS),
            ..Filter::default()
        },
    );
    let expected: Vec<u64> = whole
        .iter()
        .filter(|e| e.backdated_days.is_some())
        .map(|e| e.seq)
        .collect();
    assert_eq!(expected.len(), 401, "the fixture's claim and the 400 notes");

    let md = render(&fx, export::markdown::write);
    let section = md
        .split("## Backdated entries")
        .nth(1)
        .and_then(|rest| rest.split("## Recent audit trail").next())
        .expect("the markdown has a backdated section");
    let listed: Vec<u64> = section
        .lines()
        .filter_map(|line| line.strip_prefix("| "))
        .filter_map(|row| row.split(' ').next()?.parse().ok())
        .collect();
    assert_eq!(listed, expected);

    let html = render(&fx, export::html::write);
    let section = html
        .split("id=\"backdated\"")
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .expect("the page has a backdated section");
    assert!(
        section.len() > 64 * 1024,
        "the section is written out in pieces"
    );
    let listed: Vec<u64> = section
        .split("<tr class=\"backdated\"><td class=\"num\">")
        .skip(1)
        .filter_map(|row| row.split('<').next()?.parse().ok())
        .collect();
    assert_eq!(listed, expected);
    assert!(section.trim_end().ends_with("</tbody>\n</table>"));
}

/// The timeline draws each action's events on that action's own row: the
/// row of the i-th action in id order is centred at 56 + 20·i. Every
/// action's `ActionAdded` mark is drawn, once, on its row, and so is every
/// milestone (both are circles, centred on the row).
#[test]
fn the_timeline_draws_every_event_on_its_own_actions_row() {
    let fx = fixture();
    let html = render(&fx, export::html::write);
    let ids: Vec<ActionId> = fx.ledger.state().actions.keys().copied().collect();
    let row_y = |id: ActionId| {
        let i = ids
            .iter()
            .position(|a| *a == id)
            .expect("an action of the state");
        format!("{:.1}", 56.0 + 20.0 * i as f64)
    };
    let mut added = Vec::new();
    let mut milestones = 0;
    for group in html.split("<g class=\"event\" data-kind=\"").skip(1) {
        let group = group.split("</g>").next().expect("a group");
        let circles = group.starts_with("ActionAdded\"") || group.starts_with("MilestoneNoted\"");
        if !circles {
            continue;
        }
        let title = group
            .split("<title>")
            .nth(1)
            .and_then(|t| t.split(' ').next())
            .expect("a title naming the action");
        let id: ActionId = title.parse().expect("an action id");
        let centres: Vec<&str> = group
            .split("cy=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect();
        assert!(!centres.is_empty(), "{group}");
        for cy in centres {
            assert_eq!(cy, row_y(id), "{id}: {group}");
        }
        match group.starts_with("ActionAdded\"") {
            true => added.push(id),
            false => milestones += 1,
        }
    }
    assert_eq!(added, ids, "one ActionAdded mark per action, in order");
    let noted = fx
        .ledger
        .events()
        .unwrap()
        .iter()
        .filter(|e| e.record.event.kind() == planledger::event::EventKind::MilestoneNoted)
        .count();
    assert!(noted > 0);
    assert_eq!(milestones, noted, "every milestone is drawn");
}
