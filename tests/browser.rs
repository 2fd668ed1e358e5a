//! The HTML report rendered by a real headless Chromium: the plan table
//! rows and both charts are in the DOM the browser builds, the planted
//! script stays text, and a screenshot is not blank.
//!
//! This is a test target of its own, run by `cargo test` like the others,
//! without libtest's harness (`harness = false` in `Cargo.toml`): libtest
//! cannot decide at run time that a test did not run, and `libtest-mimic`
//! can. So where Chromium is missing the test is reported as *ignored*,
//! with the reason, rather than passing without having run; in CI (`CI`
//! set) a missing Chromium is a failure, since CI installs it and must run
//! this check. Chromium is `$CHROMIUM`, or Debian's `/usr/bin/chromium`
//! (`apt-get install -y chromium`).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, ExitCode, Stdio};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Completion, Failed, Trial};
use planledger::export;

// The report tests' fixture (one plan with an action in every status and
// hostile text) and renderer. This target has no libtest harness, so the
// `#[test]` functions of that file are not compiled here, and what only
// they use is unused here.
#[path = "common/external.rs"]
mod external;

#[path = "it/report.rs"]
#[allow(dead_code, unused_imports)]
mod report;

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let trials = vec![Trial::ignorable_test(
        "html_report_renders_in_headless_chromium_with_tables_and_charts",
        when_chromium_is_there(html_report_renders_in_headless_chromium_with_tables_and_charts),
    )];
    libtest_mimic::run(&args, trials).exit_code()
}

/// Runs `test` if Chromium is there (see `common/external.rs`).
fn when_chromium_is_there(
    test: fn(&Path),
) -> impl FnOnce() -> Result<Completion, Failed> + Send + 'static {
    let browser = chromium();
    let missing = format!(
        "headless Chromium is needed to render the HTML report, and {} does not exist: \
         install it with 'apt-get install -y chromium' (Debian), or point CHROMIUM at \
         a Chromium binary",
        browser.display()
    );
    external::when_there(browser.exists().then_some(browser), missing, test)
}

/// The browser the rendering test uses: `$CHROMIUM` or Debian's path.
fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// Runs headless Chromium at `browser` with `args` on `page`, killing it
/// after a minute.
fn run_chromium(browser: &Path, profile: &Path, args: &[String], page: &Path) -> String {
    let mut child = Process::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).map(|_| text)
    });
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium failed: {status}");
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("chromium did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().unwrap().unwrap()
}

fn html_report_renders_in_headless_chromium_with_tables_and_charts(browser: &Path) {
    let fx = report::fixture();
    let html = report::render(&fx, export::html::write);
    let work = tempfile::tempdir().unwrap();
    let page = work.path().join("report.html");
    std::fs::write(&page, &html).unwrap();

    let dom = run_chromium(
        browser,
        &work.path().join("profile-dom"),
        &["--dump-dom".into()],
        &page,
    );
    assert_eq!(
        dom.matches("<tr class=\"row-").count(),
        8,
        "the plan table rows render"
    );
    assert!(dom.contains("<svg class=\"timeline-chart\""));
    assert!(dom.contains("<svg class=\"status-over-time\""));
    assert!(dom.matches("<polygon class=\"layer\"").count() >= 5);
    assert!(dom.matches("<g class=\"event\"").count() >= 18);
    assert!(
        !dom.contains("<script>alert"),
        "the planted script stays text in the DOM"
    );
    assert!(dom.contains("&lt;script&gt;alert('pwned')&lt;/script&gt;"));

    let png = work.path().join("report.png");
    run_chromium(
        browser,
        &work.path().join("profile-shot"),
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1400,2000".into(),
        ],
        &page,
    );
    let bytes = std::fs::read(&png).expect("chromium wrote the screenshot");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(
        bytes.len() > 20_000,
        "the screenshot is not blank: {} bytes",
        bytes.len()
    );
}
