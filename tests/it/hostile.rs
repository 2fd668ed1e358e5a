//! What a hostile tester did with the files partnerships really hold, and
//! what planledger now does: cells that carry terminal escapes, NULs and
//! right-to-left overrides are kept as they were but shown escaped on every
//! screen and in every report; the same characters typed at the command
//! line are refused by argument name; a CSV export reads back as the text
//! it came from; dates before any plan could exist are refused; and a PDF,
//! an old Word file, an OpenDocument file or a picture gets a useful answer.

use std::io::Write;
use std::path::PathBuf;

use planledger::import::{ImportError, parse};
use serde_json::Value;

use crate::support::{Run, planledger, run};

const CLOCK: &str = "2022-06-01T12:00:00Z";
const ESC: char = '\u{1b}';
const RLO: char = '\u{202E}';
const LRI: char = '\u{2066}';

struct Fixture {
    tmp: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let fixture = Fixture {
            tmp: tempfile::tempdir().expect("tempdir"),
        };
        fixture.ok(&["init"]);
        fixture
    }

    fn dir(&self) -> PathBuf {
        self.tmp.path().join("ledger")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    fn run(&self, args: &[&str]) -> Run {
        let mut process = planledger(&self.dir());
        process
            .current_dir(self.tmp.path())
            .env("PLANLEDGER_CLOCK", CLOCK)
            .env("PLANLEDGER_ACTOR", "Sam Okafor")
            .args(args);
        run(&mut process)
    }

    fn ok(&self, args: &[&str]) -> Run {
        let out = self.run(args);
        assert_eq!(
            out.code, 0,
            "planledger {args:?}:\n{}\n{}",
            out.stdout, out.stderr
        );
        out
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args).stdout).expect("JSON output")
    }

    fn event_count(&self) -> usize {
        self.ok(&["export", "--format", "events"])
            .stdout
            .lines()
            .count()
    }

    /// Writes `rows` (a header first) as a CSV file and imports it.
    fn import_csv(&self, name: &str, rows: &[&[&str]]) -> Run {
        let path = self.path(name);
        let mut writer = csv::Writer::from_path(&path).expect("csv");
        for row in rows {
            writer.write_record(*row).expect("a row");
        }
        writer.flush().expect("flush");
        drop(writer);
        self.ok(&[
            "import",
            path.to_str().expect("utf-8 path"),
            "--partnership",
            "Hostile CSP",
            "--review",
            "Zed",
        ])
    }

    /// A command that must be refused with a one-line error containing
    /// `words`, no hidden character, and nothing written.
    fn refused(&self, args: &[&str], words: &str) {
        let before = self.event_count();
        let out = self.run(args);
        assert_eq!(out.code, 1, "{args:?}: {}\n{}", out.stdout, out.stderr);
        assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
        assert!(out.stderr.contains(words), "{args:?}: {}", out.stderr);
        assert_raw_free(&out.stderr, "stderr");
        assert_eq!(self.event_count(), before, "{args:?} wrote something");
    }
}

const HEADER: [&str; 5] = [
    "Agency",
    "Action to be taken",
    "Lead Agency",
    "Target Date",
    "Date of completion and Outcome",
];

fn assert_raw_free(text: &str, what: &str) {
    for c in [ESC, '\0', RLO, LRI, '\u{7}'] {
        assert!(
            !text.contains(c),
            "{what} holds U+{:04X} raw:\n{text:?}",
            u32::from(c)
        );
    }
}

/// Regression (issue: import what partnerships really hold): an actor or an
/// imported cell holding an ESC sequence was printed raw by `history` and
/// `audit`, and NULs and right-to-left overrides by `show` and the CSV,
/// HTML and Markdown exports.
#[test]
fn escapes_nuls_and_direction_overrides_in_imported_cells_are_shown_escaped_everywhere() {
    let fx = Fixture::new();
    let agency = format!("Police{ESC}[2K{ESC}[1A");
    let text = format!("Train staff\0 on {RLO}lortnoc evicreoc");
    let lead = format!("{LRI}Head of Safeguarding");
    let outcome = format!("Completed 5 June 2021 {ESC}]0;owned\u{7}");
    let imported = fx.import_csv(
        "hostile.csv",
        &[&HEADER, &[&agency, &text, &lead, "July 2022", &outcome]],
    );
    // The import's own summary names the new action's agency: escaped too.
    assert_raw_free(&imported.stdout, "import");

    // Kept as it was: the ledger is evidence, and JSON escapes by itself.
    let show = fx.json(&["show", "--json"]);
    let action = &show["plans"][0]["actions"][0];
    assert_eq!(action["agency"].as_str(), Some(agency.as_str()));
    assert_eq!(action["text"].as_str(), Some(text.as_str()));
    assert_eq!(action["lead"].as_str(), Some(lead.as_str()));

    for args in [
        &["show"][..],
        &["history", "A1"],
        &["audit"],
        &["summary"],
        &["diff", "--from", "2022-01-01"],
        &["export", "--format", "md"],
        &["export", "--format", "html"],
        &["export", "--format", "csv"],
    ] {
        let out = fx.ok(args);
        assert_raw_free(&out.stdout, &format!("{args:?}"));
        assert!(
            out.stdout.contains("u{1b}"),
            "{args:?} shows the escape:\n{}",
            out.stdout
        );
    }
    let csv = fx.ok(&["export", "--format", "csv"]).stdout;
    assert!(
        csv.contains("Train staff\\u{0} on \\u{202e}lortnoc"),
        "{csv}"
    );
    assert_eq!(fx.run(&["verify"]).code, 0);
}

/// Regression (issue: import what partnerships really hold): text typed at
/// the command line could carry the same characters into the ledger.
#[test]
fn control_and_direction_characters_typed_at_the_command_line_are_refused_by_argument_name() {
    let fx = Fixture::new();
    fx.ok(&["plan", "add", "--partnership", "CSP", "--review", "Zed"]);
    fx.ok(&["action", "add", "Train staff", "--agency", "Police"]);
    let escape = format!("cleared{ESC}[2J");
    let reversed = format!("done {RLO}enod");
    let isolated = format!("{LRI}Police");
    fx.refused(&["note", "A1", &escape], "NOTE holds U+001B");
    fx.refused(
        &["status", "A1", "in-progress", "--reason", &reversed],
        "--reason holds U+202E",
    );
    fx.refused(
        &["claim", "A1", "--outcome", "bell\u{7}"],
        "--outcome holds U+0007",
    );
    fx.refused(
        &["plan", "add", "--partnership", &escape, "--review", "Y"],
        "--partnership",
    );
    fx.refused(
        &["action", "add", "Train", "--agency", &isolated],
        "--agency holds U+2066",
    );
    fx.refused(&["retarget", "A1", &isolated, "--reason", "r"], "TARGET");
    // Line breaks and tabs are ordinary text.
    fx.ok(&["note", "A1", "first line\nsecond\tline"]);
}

/// Regression (issue: import what partnerships really hold): the guard
/// apostrophe the CSV export puts before a formula-like cell came back with
/// the import, so "=SUM(" read back as "'=SUM(".
#[test]
fn action_texts_starting_like_formulas_survive_a_csv_export_and_import_unchanged() {
    let fx = Fixture::new();
    fx.ok(&["plan", "add", "--partnership", "CSP", "--review", "Zed"]);
    let texts = [
        "=SUM(A1:A3) referrals dip-sampled each quarter",
        "-5 days is the longest a referral may wait",
        "'=already quoted by hand",
        "'Alice' case study for training",
    ];
    for text in texts {
        // A lead, so that the importer reads each row as an action of its
        // own rather than a continuation of the one above.
        fx.ok(&[
            "action", "add", "--agency", "Police", "--lead", "DI", "--", text,
        ]);
    }
    fx.ok(&["export", "--format", "csv", "-o", "plan.csv"]);
    let exported = std::fs::read_to_string(fx.path("plan.csv")).expect("the export");
    assert!(exported.contains("'=SUM(A1:A3)"), "the guard: {exported}");

    let copy = Fixture::new();
    copy.ok(&[
        "import",
        fx.path("plan.csv").to_str().expect("utf-8 path"),
        "--partnership",
        "CSP",
        "--review",
        "Zed",
    ]);
    let show = copy.json(&["show", "--json"]);
    let read: Vec<&str> = show["plans"][0]["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter_map(|a| a["text"].as_str())
        .collect();
    assert_eq!(read, texts);
}

/// Regression (issue: import what partnerships really hold): year 0000 was
/// accepted for `--effective`, `retarget`, `claim` and `accept`
/// (`accept A23 --effective 0000` made an action assured).
#[test]
fn dates_before_reviews_began_are_refused() {
    let fx = Fixture::new();
    fx.ok(&["plan", "add", "--partnership", "CSP", "--review", "Zed"]);
    fx.ok(&["action", "add", "Train staff", "--agency", "Police"]);
    fx.refused(
        &["claim", "A1", "--outcome", "done", "--effective", "0000"],
        "effective date 0000 is before 2011-01-01",
    );
    fx.refused(
        &["retarget", "A1", "0000", "--reason", "typo"],
        "target 0000 is before 2011-01-01",
    );
    fx.refused(
        &[
            "action", "add", "Train", "--agency", "X", "--target", "2010-12",
        ],
        "before 2011-01-01",
    );
    fx.ok(&["claim", "A1", "--outcome", "done", "--effective", "2011"]);
    fx.refused(
        &["accept", "A1", "--finding", "seen", "--effective", "0000"],
        "before 2011-01-01",
    );
    let show = fx.json(&["show", "--json"]);
    assert_eq!(show["plans"][0]["actions"][0]["status"], "claimed");
    fx.ok(&[
        "accept",
        "A1",
        "--finding",
        "seen",
        "--effective",
        "2012-06",
    ]);
    assert_eq!(fx.run(&["verify"]).code, 0);
}

/// An imported document may hold a slip such as "2009": the plan still
/// imports, the date is dropped with a warning, and the words are kept.
#[test]
fn an_imported_date_before_reviews_began_is_dropped_with_a_warning() {
    let fx = Fixture::new();
    let out = fx.import_csv(
        "early.csv",
        &[
            &HEADER,
            &["Police", "Train staff", "Police", "March 2009", ""],
            &[
                "Health",
                "Audit referrals",
                "Health",
                "July 2022",
                "Completed 1 June 2005",
            ],
        ],
    );
    assert!(out.stdout.contains("before 2011-01-01"), "{}", out.stdout);
    let show = fx.json(&["show", "--json"]);
    let actions = show["plans"][0]["actions"].as_array().expect("actions");
    assert_eq!(actions[0]["target"]["text"], "March 2009");
    assert_eq!(actions[0]["target"]["date"], Value::Null);
    assert_eq!(actions[1]["status"], "claimed");
    assert_eq!(fx.run(&["verify"]).code, 0);
}

/// An OpenDocument file: a zip whose first entry, stored, is `mimetype`.
fn odf(mimetype: &str) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).expect("an entry");
    zip.write_all(mimetype.as_bytes()).expect("written");
    zip.start_file("content.xml", zip::write::SimpleFileOptions::default())
        .expect("an entry");
    zip.write_all(b"<office:document-content/>")
        .expect("written");
    zip.finish().expect("a zip").into_inner()
}

/// Whether an import error is the one a case expects.
type Expected = fn(&ImportError) -> bool;

/// Regression (issue: import what partnerships really hold): a PDF, an old
/// Word file, an OpenDocument file or a picture was read as text and
/// refused as "not UTF-8" or "no table", which says nothing useful.
#[test]
fn a_pdf_an_old_word_file_an_odt_and_pictures_are_named_with_what_to_do() {
    let mut old_word = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    old_word.extend([0u8; 504]);
    let cases: Vec<(&str, Vec<u8>, Expected)> = vec![
        (
            "plan.pdf",
            b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n".to_vec(),
            |e| matches!(e, ImportError::Pdf),
        ),
        ("plan.doc", old_word, |e| {
            matches!(e, ImportError::OldOffice)
        }),
        (
            "plan.odt",
            odf("application/vnd.oasis.opendocument.text"),
            |e| matches!(e, ImportError::OpenDocument { kind } if kind.contains(".odt")),
        ),
        ("scan.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(), |e| {
            matches!(e, ImportError::Image { format: "PNG" })
        }),
        ("scan.jpg", b"\xFF\xD8\xFF\xE0\0\x10JFIF\0".to_vec(), |e| {
            matches!(e, ImportError::Image { format: "JPEG" })
        }),
        ("scan.gif", b"GIF89a\x01\0\x01\0".to_vec(), |e| {
            matches!(e, ImportError::Image { format: "GIF" })
        }),
    ];
    let fx = Fixture::new();
    for (name, bytes, expected) in &cases {
        let error = parse(name, bytes, None).expect_err(name);
        assert!(expected(&error), "{name}: {error:?}");
        // Whatever format is asked for, the answer is the same.
        let forced = parse(name, bytes, Some(planledger::import::Format::Csv)).expect_err(name);
        assert_eq!(forced, error, "{name}");
        let path = fx.path(name);
        std::fs::write(&path, bytes).expect("written");
        fx.refused(
            &["import", path.to_str().expect("utf-8 path")],
            &format!("{name}: The file is a"),
        );
    }
    // An OpenDocument spreadsheet is read now (tests/it/import.rs), so one
    // without a table is refused for that, not for being a spreadsheet.
    let ods = odf("application/vnd.oasis.opendocument.spreadsheet");
    let error = parse("plan.ods", &ods, None).expect_err("no table");
    assert!(
        !matches!(error, ImportError::OpenDocument { .. }),
        "{error:?}"
    );
    let pdf = fx.run(&["import", "plan.pdf"]);
    assert!(
        pdf.stderr.contains(
            "plan.pdf: The file is a PDF: save the plan as Word (.docx) or export its action table as CSV, then import that"
        ),
        "{}",
        pdf.stderr
    );
}

/// The actor is typed too (`--actor` or PLANLEDGER_ACTOR): an ESC sequence
/// in it would reach every auditor's screen through `history` and `audit`.
#[test]
fn an_actor_name_with_control_characters_is_refused() {
    let fx = Fixture::new();
    let before = fx.event_count();
    let actor = format!("Sam{ESC}[2K Okafor");
    let out = fx.run(&[
        "--actor",
        &actor,
        "plan",
        "add",
        "--partnership",
        "CSP",
        "--review",
        "Alice",
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("--actor (PLANLEDGER_ACTOR)"),
        "{}",
        out.stderr
    );
    assert_raw_free(&out.stderr, "stderr");
    assert_eq!(fx.event_count(), before);
}
