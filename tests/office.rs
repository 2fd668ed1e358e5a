//! Spreadsheets made and opened by a real office suite: LibreOffice Calc,
//! headless (`soffice --headless --convert-to`).
//!
//! Partnerships keep trackers in Excel or Calc and open our CSV exports in
//! them. Our own writer (`rust_xlsxwriter`, in the import tests) shows that
//! the importer reads a spreadsheet; these show that it reads the files a
//! real office suite writes (shared strings, styles, date cells Calc made
//! from text), and that a CSV export opens in one as the ledger says: every
//! cell whole, line breaks and non-ASCII intact, nothing evaluated as a
//! formula.
//!
//! A test target of its own without libtest's harness, like `browser`: where
//! LibreOffice is missing the tests are reported as *ignored* with the
//! reason; in CI (`CI` set) that is a failure, since CI installs it
//! (`apt-get install -y libreoffice-calc-nogui`). The office suite is
//! `$SOFFICE`, or `soffice` on the `PATH`.

use std::path::{Path, PathBuf};
use std::process::{Command as Process, ExitCode, Stdio};
use std::time::{Duration, Instant};

use calamine::{Data, Reader, Xlsx, open_workbook};
use libtest_mimic::{Arguments, Completion, Failed, Trial};
use serde_json::Value;

#[path = "common/external.rs"]
mod external;

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let trials = vec![
        Trial::ignorable_test(
            "a_tracker_calc_saved_as_xlsx_and_ods_imports_like_its_csv",
            when_office_is_there(a_tracker_calc_saved_as_xlsx_and_ods_imports_like_its_csv),
        ),
        Trial::ignorable_test(
            "a_csv_export_opens_in_calc_whole_and_inert",
            when_office_is_there(a_csv_export_opens_in_calc_whole_and_inert),
        ),
    ];
    libtest_mimic::run(&args, trials).exit_code()
}

/// Runs `test` if LibreOffice is there (see `common/external.rs`).
fn when_office_is_there(
    test: fn(&Path),
) -> impl FnOnce() -> Result<Completion, Failed> + Send + 'static {
    let missing = "LibreOffice is needed to make and open spreadsheets as an office suite does, \
                   and 'soffice' is not on the PATH: install it with \
                   'apt-get install -y libreoffice-calc-nogui' (Debian), or point SOFFICE at it";
    external::when_there(soffice(), missing.to_string(), test)
}

fn soffice() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SOFFICE") {
        return Some(PathBuf::from(path));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("soffice"))
        .find(|path| path.is_file())
}

/// Has Calc open `file` (a CSV read as UTF-8, comma-separated, with `"`
/// quotes) and save it as `to` (`xlsx` or `ods`) in `dir`; returns the path.
///
/// soffice sometimes exits without converting the first time it starts on
/// a new profile (exit code 81: it restarts itself to finish making the
/// profile, and a headless conversion is lost), so a conversion that
/// wrote nothing is tried again, three times in all.
fn calc_convert(office: &Path, file: &Path, to: &str, dir: &Path) -> PathBuf {
    let profile = dir.join(format!("lo-profile-{to}"));
    let made = dir.join(file.with_extension(to).file_name().expect("a file name"));
    let mut last = None;
    for _ in 0..3 {
        let status = run_soffice(office, &profile, file, to, dir);
        if status.success() && made.is_file() {
            return made;
        }
        last = Some(status);
    }
    panic!(
        "soffice failed converting to {to} three times (last: {:?}); made {}: {}",
        last,
        made.display(),
        made.is_file()
    );
}

/// One run of soffice converting `file` to `to`, bounded to two minutes.
fn run_soffice(
    office: &Path,
    profile: &Path,
    file: &Path,
    to: &str,
    dir: &Path,
) -> std::process::ExitStatus {
    let mut child = Process::new(office)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--headless",
            "--infilter=CSV:44,34,76,1",
            "--convert-to",
            to,
            "--outdir",
        ])
        .arg(dir)
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("soffice starts");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("soffice is waited on") {
            return status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("soffice did not finish converting to {to} in two minutes");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs a planledger write command as the assurance lead.
fn write(ledger: &Path, args: &[&str]) -> String {
    let mut args = args.to_vec();
    args.extend(["--actor", "Assurance Lead"]);
    planledger(ledger, &args)
}

/// Runs planledger with `args` on the ledger at `ledger`; returns stdout.
fn planledger(ledger: &Path, args: &[&str]) -> String {
    let mut argv: Vec<std::ffi::OsString> = vec![
        "planledger".into(),
        "--ledger".into(),
        ledger.as_os_str().to_owned(),
    ];
    argv.extend(args.iter().map(|a| a.into()));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = planledger::cli::run(argv, &mut out, &mut err);
    assert_eq!(
        code,
        0,
        "planledger {args:?} failed: {}",
        String::from_utf8_lossy(&err)
    );
    String::from_utf8(out).expect("UTF-8 output")
}

/// What a user compares between two imports of one plan: each action's
/// agency, lead, wording, recommendations, target and status.
fn actions_of(ledger: &Path) -> Vec<Value> {
    let show: Value =
        serde_json::from_str(&planledger(ledger, &["show", "--json"])).expect("show --json");
    show["plans"][0]["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|a| {
            serde_json::json!({
                "agency": a["agency"], "lead": a["lead"], "text": a["text"],
                "recommendations": a["recommendations"], "target": a["target"],
                "status": a["status"],
            })
        })
        .collect()
}

/// A tracker in the Home Office template's columns, as a partnership keeps
/// one: a single table whose Lead Agency column names the agency, cells
/// with line breaks, dashes and accents, targets as dates, months and
/// words, and completions in the outcome column.
const TRACKER: &str = "\u{feff}Recommendation,Scope,Action to take,Lead Agency,Key milestones,Target Date,Date of completion and outcome\n\
\"Recommendation 1\",Local,\"Record offences raised at MARAC on Niche – every case\",Thames Valley Police,\"Briefing to co-ordinators\nDip sample\",31/12/2019,\"05/06/2019 – completed. Process updated.\"\n\
\"Recommendation 2\",Local,\"MARAC to MARAC referral for every high-risk case that moves away\",Thames Valley Police,Procedure agreed,Ongoing,\n\
\"Recommendation 3\",Regional,\"Learning event: domestic abuse and mental health (café-style session)\",Oxford Health NHS Foundation Trust,\"Venue booked\",March 2020,\n\
\"Recommendation 4\",National,\"Training in the national toolkit for health professionals\",Oxford Health NHS Foundation Trust,,2020,\n";

fn a_tracker_calc_saved_as_xlsx_and_ods_imports_like_its_csv(office: &Path) {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let csv = tmp.path().join("tracker.csv");
    std::fs::write(&csv, TRACKER).expect("the CSV is written");
    let xlsx = calc_convert(office, &csv, "xlsx", tmp.path());
    let ods = calc_convert(office, &csv, "ods", tmp.path());

    let mut imported = Vec::new();
    let mut warned = Vec::new();
    for file in [&csv, &xlsx, &ods] {
        let ledger = tmp.path().join(format!(
            "ledger-{}",
            file.extension().and_then(|e| e.to_str()).unwrap_or("x")
        ));
        write(&ledger, &["init"]);
        write(
            &ledger,
            &[
                "import",
                "--verbose",
                file.to_str().expect("a UTF-8 path"),
                "--partnership",
                "West Oxfordshire CSP",
                "--review",
                "Alice",
            ],
        );
        imported.push((file.clone(), actions_of(&ledger)));
        warned.push((file.clone(), planledger(&ledger, &["audit", "--json"])));
    }
    let (_, from_csv) = &imported[0];
    assert_eq!(from_csv.len(), 4, "{from_csv:#?}");
    assert_eq!(from_csv[2]["target"]["date"], "2020-03");
    for (file, actions) in &imported[1..] {
        let what = format!("{} (saved by Calc)", file.display());
        // Calc turns the typed "March 2020" into a date cell, 1 March
        // 2020, that only its number format (which calamine does not
        // give) tells from a day: read as that day, with a warning that
        // says how to make it the month again. Everything else is as in
        // the CSV.
        let march = &actions[2]["target"];
        assert_eq!(march["date"], "2020-03-01", "{what}");
        assert_eq!(march["precision"], "day", "{what}");
        let mut expected = from_csv.clone();
        expected[2]["target"] = march.clone();
        assert_eq!(
            actions, &expected,
            "{what} imports differently from its CSV"
        );
    }
    for (file, warnings) in &warned[1..] {
        assert!(
            warnings.contains("retarget it to 2020-03"),
            "{}: the first-of-month date cell is not warned about: {warnings}",
            file.display()
        );
    }
}

fn a_csv_export_opens_in_calc_whole_and_inert(office: &Path) {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let ledger = tmp.path().join("ledger");
    write(&ledger, &["init"]);
    write(
        &ledger,
        &[
            "plan",
            "add",
            "--partnership",
            "West Oxfordshire CSP",
            "--review",
            "Alice",
        ],
    );
    let hostile = "=HYPERLINK(\"http://example.invalid\",\"click\")";
    write(
        &ledger,
        &[
            "action",
            "add",
            "--agency",
            "Thames Valley Police",
            "Record offences on Niche – every case",
            "--lead",
            "+44 1865 000000",
        ],
    );
    write(&ledger, &["note", "A1", hostile]);
    write(
        &ledger,
        &[
            "claim",
            "A1",
            "--outcome",
            "Completed.\nDip sample of ten referrals: café notes attached",
        ],
    );
    let csv = tmp.path().join("export.csv");
    planledger(
        &ledger,
        &[
            "export",
            "--format",
            "csv",
            "-o",
            csv.to_str().expect("UTF-8"),
        ],
    );
    let xlsx = calc_convert(office, &csv, "xlsx", tmp.path());

    let mut book: Xlsx<_> = open_workbook(&xlsx).expect("Calc's xlsx opens");
    let sheet = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&sheet).expect("the sheet reads");
    let rows: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
    assert_eq!(rows.len(), 2, "a header and one action: {rows:?}");
    let header: Vec<String> = rows[0].iter().map(ToString::to_string).collect();
    let cell = |name: &str| -> &Data {
        let at = header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {header:?}"));
        &rows[1][at]
    };
    // Text stays text: Calc evaluated nothing and turned no phone number
    // into a sum. The guard apostrophe shows, as OWASP recommends.
    let lead = cell("Lead Agency");
    assert!(
        matches!(lead, Data::String(s) if s == "'+44 1865 000000"),
        "{lead:?}"
    );
    // The note sits behind its date, so it cannot start a formula.
    let milestones = cell("Key milestones to enact recommendation");
    assert!(
        matches!(milestones, Data::String(s) if s.ends_with(&format!(": {hostile}"))),
        "{milestones:?}"
    );
    let outcome = cell("Date of completion and Outcome");
    assert!(
        matches!(outcome, Data::String(s) if s.contains("Completed.\nDip sample of ten referrals: café notes attached")),
        "line breaks and accents survive: {outcome:?}"
    );
    let action = cell("Action to be taken");
    assert!(
        matches!(action, Data::String(s) if s == "Record offences on Niche – every case"),
        "{action:?}"
    );
}
