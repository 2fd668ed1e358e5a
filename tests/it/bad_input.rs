//! The bad-input table: one row per way a user, a file or the machine can
//! hand `planledger` something wrong, each run as the real binary on a
//! fresh ledger holding the small plan (A1 claimed, A2 open). Every row
//! states the exit code and a distinctive fragment of the one-line message
//! it expects, and every row checks that nothing moved: the ledger's head
//! (read back once the fault is taken away), and, where the command never
//! got as far as sled, every file's bytes.
//!
//! A row that finds a panic, Debug text, a message of several lines or a
//! moved head fails with everything the command printed; all rows run and
//! the failures are reported together.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::sync::Arc;

use planledger::ledger::Ledger;
use planledger::time::FixedClock;

use crate::support::{
    Held, Rng, Run, SmallDisk, fill_with_another_file, open_ledger, run, small_plan, start_time,
    tamper_trees,
};

/// What is done to the ledger, or around it, before the row's command.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Nothing: the command itself is the bad input.
    None,
    /// The ledger is open in this (another) process.
    Locked,
    /// The ledger's files belong to root and the command runs as `nobody`.
    ReadOnly,
    /// The stored format version is one this build does not know.
    NewerFormat,
    /// The ledger directory is a regular file.
    DirIsFile,
    /// The ledger directory does not exist.
    Missing,
    /// A file of sled's cut to 1,000 bytes.
    Truncated(&'static str),
    /// The `sled` directory is gone (the lock file and nothing else).
    NoSled,
    /// A file of sled's removed.
    Removed(&'static str),
    /// The disk under the ledger is full (a small tmpfs, filled).
    FullDisk,
}

/// A file the row's command reads (`@NAME` in its arguments).
#[derive(Clone, Copy, Debug)]
enum Input {
    None,
    NotUtf8,
    Binary,
    DocxBomb,
    XlsxBomb,
    Empty,
}

struct Row {
    name: &'static str,
    fault: Fault,
    input: Input,
    args: Vec<OsString>,
    code: i32,
    says: &'static str,
    /// Every file of the ledger keeps its bytes (false where the command
    /// opens sled for writing, which may write sled's own bookkeeping).
    same_bytes: bool,
}

fn row(
    name: &'static str,
    fault: Fault,
    args: &[&str],
    code: i32,
    says: &'static str,
    same_bytes: bool,
) -> Row {
    Row {
        name,
        fault,
        input: Input::None,
        args: args.iter().map(OsString::from).collect(),
        code,
        says,
        same_bytes,
    }
}

fn import_row(name: &'static str, input: Input, file: &str, says: &'static str) -> Row {
    let mut row = row(
        name,
        Fault::None,
        &[
            "import",
            file,
            "--partnership",
            "Bad CSP",
            "--review",
            "Bad",
        ],
        1,
        says,
        true,
    );
    row.input = input;
    row
}

/// The table.
fn rows() -> Vec<Row> {
    let long = "x".repeat(100 * 1024);
    let mut rows = vec![
        // Unknown and malformed ids.
        row(
            "unknown action",
            Fault::None,
            &["note", "A99", "Done"],
            1,
            "A99",
            true,
        ),
        row(
            "malformed action id",
            Fault::None,
            &["note", "X1", "Done"],
            1,
            "X1",
            true,
        ),
        row(
            "unknown plan",
            Fault::None,
            &[
                "action",
                "add",
                "--plan",
                "P9",
                "--agency",
                "Police",
                "Train staff",
            ],
            1,
            "P9",
            true,
        ),
        row(
            "history of an unknown action",
            Fault::None,
            &["history", "A42"],
            1,
            "A42",
            true,
        ),
        row(
            "redaction of an event that does not exist",
            Fault::None,
            &["redact", "9999", "--reason", "typo"],
            1,
            "9999",
            true,
        ),
        // Illegal moves.
        row(
            "accepting an action with no claim",
            Fault::None,
            &["accept", "A2", "--finding", "Fine"],
            1,
            "claim",
            true,
        ),
        row(
            "claiming an action already claimed",
            Fault::None,
            &["claim", "A1", "--outcome", "Again"],
            1,
            "claim",
            true,
        ),
        row(
            "an unknown status",
            Fault::None,
            &["status", "A2", "finished", "--reason", "x"],
            2,
            "finished",
            true,
        ),
        row(
            "withdrawing without a reason",
            Fault::None,
            &["withdraw", "A2"],
            2,
            "--reason",
            true,
        ),
        // Dates.
        row(
            "a malformed effective date",
            Fault::None,
            &["note", "A2", "Done", "--effective", "yesterday"],
            1,
            "'yesterday' is not a date",
            true,
        ),
        row(
            "an impossible effective date",
            Fault::None,
            &["note", "A2", "Done", "--effective", "2021-02-30"],
            1,
            "'2021-02-30' is not a real calendar date",
            true,
        ),
        row(
            "an impossible month",
            Fault::None,
            &["note", "A2", "Done", "--effective", "2021-13"],
            1,
            "'2021-13' is not a real calendar date",
            true,
        ),
        row(
            "an impossible target",
            Fault::None,
            &["retarget", "A2", "2021-04-31", "--reason", "slipped"],
            1,
            "'2021-04-31' is not a real calendar date",
            true,
        ),
        row(
            "a date before reviews began",
            Fault::None,
            &["note", "A2", "Done", "--effective", "1066-10-14"],
            1,
            "is before 2011-01-01",
            true,
        ),
        row(
            "an impossible as-of date",
            Fault::None,
            &["show", "--as-of", "2021-02-29"],
            1,
            "'2021-02-29' is not an instant",
            true,
        ),
        // Oversized fields and control characters.
        row(
            "a note larger than a record",
            Fault::None,
            &["note", "A2", &long],
            1,
            "more than the 65536 a record may hold",
            true,
        ),
        row(
            "an escape sequence in a note",
            Fault::None,
            &["note", "A2", "Done\u{1b}[2J"],
            1,
            "NOTE holds U+001B",
            true,
        ),
        row(
            "a right-to-left override in a reason",
            Fault::None,
            &["withdraw", "A2", "--reason", "dup\u{202e}licate"],
            1,
            "reason",
            true,
        ),
        row(
            "a control character in the actor",
            Fault::None,
            &["--actor", "Sam\u{7}", "note", "A2", "Done"],
            1,
            "actor",
            true,
        ),
        // The ledger itself.
        row(
            "a ledger directory that is a file",
            Fault::DirIsFile,
            &["note", "A2", "Done"],
            1,
            "is a file, not a ledger directory",
            true,
        ),
        row(
            "a ledger directory that is a file, read",
            Fault::DirIsFile,
            &["show"],
            1,
            "is a file, not a ledger directory",
            true,
        ),
        row(
            "no ledger at all",
            Fault::Missing,
            &["note", "A2", "Done"],
            1,
            "no ledger",
            true,
        ),
        row(
            "a read-only ledger",
            Fault::ReadOnly,
            &["note", "A2", "Done"],
            1,
            "is read-only",
            true,
        ),
        row(
            "a ledger of a newer format",
            Fault::NewerFormat,
            &["note", "A2", "Done"],
            1,
            "format",
            false,
        ),
        row(
            "a ledger of a newer format, read",
            Fault::NewerFormat,
            &["show"],
            1,
            "format",
            false,
        ),
        // sled's recovery writes to a cut `db` while it opens, before the
        // store names the damage: the refusal stands, the bytes move.
        row(
            "a truncated database file",
            Fault::Truncated("db"),
            &["note", "A2", "Done"],
            3,
            "sled/db holds data the storage engine cannot read",
            false,
        ),
        row(
            "a truncated database file, verified",
            Fault::Truncated("db"),
            &["verify"],
            3,
            "sled/db holds data the storage engine cannot read",
            false,
        ),
        // sled makes an empty `db` in its place before the store finds the
        // damage: the refusal stands, but the directory gains that file.
        row(
            "a missing database file",
            Fault::Removed("db"),
            &["note", "A2", "Done"],
            3,
            "sled/db",
            false,
        ),
        row(
            "no sled database directory",
            Fault::NoSled,
            &["show"],
            1,
            "no ledger",
            true,
        ),
        row(
            "no sled database directory, written",
            Fault::NoSled,
            &["note", "A2", "Done"],
            1,
            "no ledger",
            true,
        ),
        row(
            "a locked ledger, --no-wait",
            Fault::Locked,
            &["--no-wait", "note", "A2", "Done"],
            1,
            "in use by another process",
            true,
        ),
        row(
            "a locked ledger, read with --no-wait",
            Fault::Locked,
            &["--no-wait", "show"],
            1,
            "in use by another process",
            true,
        ),
        row(
            "a full disk",
            Fault::FullDisk,
            &["note", "A2", "Done"],
            1,
            "is full",
            false,
        ),
        // Files to import.
        import_row(
            "a text file that is not UTF-8",
            Input::NotUtf8,
            "@plan.txt",
            "UTF-8",
        ),
        import_row("a binary file", Input::Binary, "@plan.bin", "plan"),
        import_row("an empty file", Input::Empty, "@plan.csv", "empty"),
        import_row("a .docx zip bomb", Input::DocxBomb, "@bomb.docx", "MiB"),
        import_row("an .xlsx zip bomb", Input::XlsxBomb, "@bomb.xlsx", "MiB"),
        import_row(
            "a file that does not exist",
            Input::None,
            "@absent.csv",
            "cannot read",
        ),
    ];
    // A note that is not UTF-8 at all, as the shell would pass it.
    let mut not_utf8 = row(
        "a note that is not UTF-8",
        Fault::None,
        &["note", "A2"],
        2,
        "UTF-8",
        true,
    );
    not_utf8.args.push(OsString::from_vec(b"caf\xe9".to_vec()));
    rows.push(not_utf8);
    rows
}

/// A fresh closed ledger with the small plan, in a directory `nobody` may
/// enter (for the read-only row), optionally on a small disk.
struct Fixture {
    tmp: tempfile::TempDir,
    disk: Option<SmallDisk>,
}

impl Fixture {
    fn new(fault: Fault) -> Option<Fixture> {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        let disk = match fault {
            Fault::FullDisk => {
                let disk = SmallDisk::new(&tmp.path().join("disk"));
                if !disk.mounted {
                    // Only a real small file system fills from outside.
                    eprintln!("bad input: no tmpfs here, so the full disk row is not run");
                    return None;
                }
                Some(disk)
            }
            _ => None,
        };
        let fixture = Fixture { tmp, disk };
        let clock = Arc::new(FixedClock::new(start_time()));
        let dir = fixture.dir();
        let mut ledger = Held::new(
            Ledger::init(&dir, "Assurance Lead", clock.clone()).expect("a new ledger"),
            dir.join("sled"),
        );
        small_plan(&mut ledger, &clock);
        drop(ledger);
        Some(fixture)
    }

    fn dir(&self) -> PathBuf {
        match &self.disk {
            Some(disk) => disk.root.join("ledger"),
            None => self.tmp.path().join("ledger"),
        }
    }

    fn binary(&self) -> PathBuf {
        PathBuf::from(env!("CARGO_BIN_EXE_planledger"))
    }

    /// The command of a row: `@NAME` arguments become paths in the
    /// fixture's directory.
    fn command(&self, args: &[OsString], as_nobody: bool) -> Process {
        let mut process = if as_nobody {
            let mut p = Process::new("setpriv");
            p.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(self.nobody_binary());
            p
        } else {
            Process::new(self.binary())
        };
        process
            .env_remove("PLANLEDGER_CLOCK")
            .env_remove("PLANLEDGER_LEDGER")
            .env("PLANLEDGER_ACTOR", "Tester")
            .env("TMPDIR", self.tmp.path())
            .current_dir(self.tmp.path())
            .arg("--ledger")
            .arg(self.dir());
        for arg in args {
            match arg.to_str().and_then(|a| a.strip_prefix('@')) {
                Some(name) => process.arg(self.tmp.path().join(name)),
                None => process.arg(arg),
            };
        }
        process
    }

    /// The binary where `nobody` can run it: cargo's, or a link to it (or a
    /// copy) beside the ledger where cargo's is out of `nobody`'s reach.
    fn nobody_binary(&self) -> PathBuf {
        let near = self.tmp.path().join("planledger");
        if !near.exists() && fs::hard_link(self.binary(), &near).is_err() {
            fs::copy(self.binary(), &near).expect("the binary is copied");
        }
        near
    }

    fn write_input(&self, input: Input) {
        let path = |name: &str| self.tmp.path().join(name);
        match input {
            Input::None => {}
            Input::NotUtf8 => fs::write(
                path("plan.txt"),
                b"Action Plan\nAgency\tAction\tTarget\nPolice\tTrain staff \xe9\xff\xfe\tJuly 2019\n",
            )
            .expect("written"),
            Input::Binary => {
                let mut bytes = b"\x7fELF\x02\x01\x01\x00".to_vec();
                bytes.extend(Rng::new(12).bytes(4096));
                fs::write(path("plan.bin"), bytes).expect("written");
            }
            Input::Empty => fs::write(path("plan.csv"), b"").expect("written"),
            Input::DocxBomb => write_bomb(&path("bomb.docx"), "word/document.xml", 80),
            Input::XlsxBomb => write_bomb(&path("bomb.xlsx"), "xl/worksheets/sheet1.xml", 300),
        }
    }
}

/// A zip whose `entry` inflates to `mib` MiB of spaces (a few hundred KiB
/// on disk), beside the parts that make it look like an Office document.
fn write_bomb(path: &Path, entry: &str, mib: usize) {
    use zip::write::SimpleFileOptions;
    let file = fs::File::create(path).expect("created");
    let mut zip = zip::ZipWriter::new(file);
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(true);
    zip.start_file("[Content_Types].xml", options)
        .expect("an entry");
    zip.write_all(
        b"<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>",
    )
    .expect("written");
    zip.start_file(entry, options).expect("an entry");
    zip.write_all(b"<?xml version=\"1.0\"?><x>")
        .expect("written");
    let chunk = vec![b' '; 1024 * 1024];
    for _ in 0..mib {
        zip.write_all(&chunk).expect("written");
    }
    zip.write_all(b"</x>").expect("written");
    zip.finish().expect("the zip is finished");
}

/// Every file under `dir` with the BLAKE3 of its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, String> {
    fn walk(dir: &Path, into: &mut BTreeMap<PathBuf, String>) {
        let Ok(entries) = fs::read_dir(dir) else {
            if let Ok(bytes) = fs::read(dir) {
                into.insert(dir.to_path_buf(), blake3::hash(&bytes).to_hex().to_string());
            }
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, into);
            } else if let Ok(bytes) = fs::read(&path) {
                into.insert(path, blake3::hash(&bytes).to_hex().to_string());
            }
        }
    }
    let mut map = BTreeMap::new();
    walk(dir, &mut map);
    map
}

/// The ledger's head as `export --format events` shows it: the number of
/// events and the last one's hash.
fn head(fx: &Fixture) -> Result<(usize, String), String> {
    let out = run(&mut fx.command(
        &["export".into(), "--format".into(), "events".into()],
        false,
    ));
    if out.code != 0 {
        return Err(format!(
            "export exited with {}: {}",
            out.code,
            out.stderr.trim()
        ));
    }
    let last = out.stdout.lines().last().unwrap_or_default();
    let hash = serde_json::from_str::<serde_json::Value>(last)
        .map_err(|e| format!("the export's last line is not JSON ({e})"))?["hash"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    Ok((out.stdout.lines().count(), hash))
}

/// Sets every directory under `dir` (and `dir`) to `dirs`, every file to
/// `files`.
fn set_modes(dir: &Path, dirs: u32, file_mode: u32) {
    fs::set_permissions(dir, fs::Permissions::from_mode(dirs)).expect("chmod");
    for entry in fs::read_dir(dir).expect("listed").flatten() {
        let path = entry.path();
        if path.is_dir() {
            set_modes(&path, dirs, file_mode);
        } else {
            fs::set_permissions(&path, fs::Permissions::from_mode(file_mode)).expect("chmod");
        }
    }
}

/// Whether this process is root (so that `nobody` stands for a user who
/// cannot write the ledger).
fn is_root(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(dir).map(|m| m.uid() == 0).unwrap_or(false)
}

/// Runs one row; returns what was wrong with it, if anything.
fn check(row: &Row) -> Option<String> {
    let fx = Fixture::new(row.fault)?;
    let dir = fx.dir();
    let head_before = match head(&fx) {
        Ok(head) => head,
        Err(e) => return Some(format!("before the command, {e}")),
    };
    fx.write_input(row.input);
    let mut held = None;
    let mut as_nobody = false;
    let mut stashed = None;
    match row.fault {
        Fault::None => {}
        Fault::Locked => held = Some(open_ledger(&dir, Arc::new(FixedClock::new(start_time())))),
        Fault::ReadOnly => {
            if !is_root(&dir) {
                // The owner with the write bits cleared stands for a user
                // who may not write.
                set_modes(&dir, 0o555, 0o444);
            } else {
                set_modes(&dir, 0o755, 0o644);
                as_nobody = true;
            }
        }
        Fault::NewerFormat => tamper_trees(&dir, |trees| {
            trees
                .meta
                .insert("format_version", 99u32.to_be_bytes().to_vec())
                .expect("written");
        }),
        Fault::DirIsFile => {
            let aside = fx.tmp.path().join("ledger.aside");
            fs::rename(&dir, &aside).expect("moved aside");
            fs::write(&dir, b"not a ledger\n").expect("written");
            stashed = Some(aside);
        }
        Fault::Missing => {
            let aside = fx.tmp.path().join("ledger.aside");
            fs::rename(&dir, &aside).expect("moved aside");
            stashed = Some(aside);
        }
        Fault::Truncated(file) => {
            let path = dir.join("sled").join(file);
            let bytes = fs::read(&path).expect("read");
            fs::write(fx.tmp.path().join("stash"), &bytes).expect("kept");
            fs::write(&path, &bytes[..bytes.len().min(1000)]).expect("cut");
        }
        Fault::Removed(file) => {
            fs::rename(dir.join("sled").join(file), fx.tmp.path().join("stash")).expect("moved");
        }
        Fault::NoSled => {
            fs::rename(dir.join("sled"), fx.tmp.path().join("stash")).expect("moved");
        }
        Fault::FullDisk => {
            let root = &fx.disk.as_ref().expect("a disk for the full-disk row").root;
            fill_with_another_file(&root.join("filler"));
        }
    }
    let files_before = files(&dir);
    let out = run(&mut fx.command(&row.args, as_nobody));
    let files_after = files(&dir);
    drop(held);
    let mut problems = Vec::new();
    problems.extend(judge(row, &out));
    if row.same_bytes && files_after != files_before {
        let changed: Vec<String> = files_before
            .iter()
            .filter(|(path, hash)| files_after.get(*path) != Some(hash))
            .map(|(path, _)| path.display().to_string())
            .chain(
                files_after
                    .keys()
                    .filter(|path| !files_before.contains_key(*path))
                    .map(|path| format!("{} (new)", path.display())),
            )
            .collect();
        problems.push(format!("files changed: {}", changed.join(", ")));
    }
    // Take the fault away, then read the head back.
    match row.fault {
        Fault::None | Fault::Locked => {}
        Fault::ReadOnly => set_modes(&dir, 0o755, 0o644),
        Fault::NewerFormat => tamper_trees(&dir, |trees| {
            trees
                .meta
                .insert(
                    "format_version",
                    planledger::store::FORMAT_VERSION.to_be_bytes().to_vec(),
                )
                .expect("written");
        }),
        Fault::DirIsFile | Fault::Missing => {
            let _ = fs::remove_file(&dir);
            if let Some(aside) = stashed {
                fs::rename(aside, &dir).expect("moved back");
            }
        }
        Fault::Truncated(file) | Fault::Removed(file) => {
            fs::rename(fx.tmp.path().join("stash"), dir.join("sled").join(file)).expect("put back");
        }
        Fault::NoSled => {
            let _ = fs::remove_dir_all(dir.join("sled"));
            fs::rename(fx.tmp.path().join("stash"), dir.join("sled")).expect("put back");
        }
        Fault::FullDisk => {
            let root = &fx.disk.as_ref().expect("a disk").root;
            fs::remove_file(root.join("filler")).expect("the filler is removed");
        }
    }
    match head(&fx) {
        Ok(after) if after == head_before => {}
        Ok(after) => problems.push(format!(
            "the head moved: {} events ending {} before, {} ending {} after",
            head_before.0, head_before.1, after.0, after.1
        )),
        Err(e) => problems.push(format!("afterwards, {e}")),
    }
    (!problems.is_empty()).then(|| {
        format!(
            "{}: {}\n    exit {}; stdout: {:?}\n    stderr: {:?}",
            row.name,
            problems.join("; "),
            out.code,
            cut(&out.stdout),
            cut(&out.stderr)
        )
    })
}

fn cut(text: &str) -> String {
    text.chars().take(600).collect()
}

/// What a row's output must be: its exit code, its fragment, one line
/// (clap's usage errors: their first line), no panic and no Debug text.
fn judge(row: &Row, out: &Run) -> Vec<String> {
    let mut problems = Vec::new();
    if out.code != row.code {
        problems.push(format!("exit code {}, expected {}", out.code, row.code));
    }
    // A refusal is said on standard error; verify's findings on standard
    // output.
    let said = if out.stderr.trim().is_empty() {
        out.stdout.trim()
    } else {
        out.stderr.trim()
    };
    // clap ends a refused argument with a hint after a blank line; the
    // message is the line before it.
    let said = said
        .strip_suffix("For more information, try '--help'.")
        .map_or(said, str::trim_end);
    let first = said.lines().next().unwrap_or_default();
    if !said.contains(row.says) {
        problems.push(format!("the message does not say {:?}", row.says));
    }
    if said.contains("panicked") || said.contains("RUST_BACKTRACE") {
        problems.push("a panic".into());
    }
    for debug in [" { ", "Os {", "Some(", "kind: ", "Error(", "\"\\"] {
        if first.contains(debug) {
            problems.push(format!("Debug text ({debug:?})"));
        }
    }
    let lines = said.lines().count();
    match row.code {
        // clap: the error, then its usage and a hint, as clap prints them.
        2 => {
            if !first.starts_with("error: ") {
                problems.push("the usage error does not start with `error: `".into());
            }
        }
        // verify's report may list its findings, one a line.
        3 if row.args.iter().any(|a| a == "verify") => {}
        _ => {
            if lines != 1 || !first.starts_with("error: ") {
                problems.push(format!("{lines} lines, not one `error: …` line"));
            }
        }
    }
    problems
}

#[test]
fn every_bad_input_is_refused_in_one_plain_line_and_moves_nothing() {
    let rows = rows();
    // Four rows at a time: each is its own ledger.
    let mut failures: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|k| {
                let rows = &rows;
                scope.spawn(move || {
                    rows.iter()
                        .skip(k)
                        .step_by(4)
                        .filter_map(check)
                        .collect::<Vec<String>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a worker of the table"))
            .collect()
    });
    failures.sort();
    eprintln!("bad input: {} rows, {} failed", rows.len(), failures.len());
    assert!(
        failures.is_empty(),
        "{} of {} bad inputs were not refused as the table says:\n\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n\n")
    );
}
