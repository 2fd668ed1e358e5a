//! Auditors read what they cannot write (issue 10): every command that only
//! reads works on a ledger directory nobody may write (a read-only copy,
//! share or mount), prints what it prints on the writable ledger and
//! changes no byte, mode or name under it; a command that writes is refused
//! in one line naming the directory, and changes nothing either.
//!
//! How the directory is made unwritable, and why these tests mean something
//! when they run as root (as CI does, in a container): the ledger is made
//! with the real binary (`planledger demo --keep`), then every directory in
//! it is set to mode 0555 and every file to 0444 (`chmod -R a-w`). Root
//! ignores permission bits, so a test process that is root runs each
//! command as the user `nobody` (uid and gid 65534, no other groups)
//! through `setpriv` (util-linux, essential in Debian), for whom the bits
//! hold; a test process that is not root runs the commands as itself, the
//! owner, for whom they hold too. Either way the command really is denied
//! writing (`EACCES`), by the kernel, and nothing in planledger is told
//! that it is under test: before the read-only path existed every reader
//! here failed on `LOCK`, and a reader that wrote anything would fail the
//! byte comparison. Whether the tests run as root is told by the owner of a
//! file they create (std has no `geteuid`, and the crate forbids `unsafe`).
//! Where the tests are root and `setpriv` cannot switch users, they fail,
//! saying so, rather than pass having tested nothing. A read-only file
//! system (`EROFS`) and an immutable file (`EPERM`) cannot be made without
//! privileges a test may lack: the decision they lead to is the same
//! function, driven with those errors by a unit test in `store`.

use std::collections::BTreeMap;
use std::fs::{self, File, Permissions};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use planledger::store::{LockWait, ReadOnly, Store, StoreError};

use crate::support::{Held, Run, run, tamper_trees};

/// The clock every command runs at, so that "overdue" and "now" are the
/// same in every run.
const CLOCK: &str = "2023-01-01T00:00:00Z";
const ACTOR: &str = "Ruth Auditor";

/// The commands that only read, each as a user runs it.
const READERS: &[&[&str]] = &[
    &["show"],
    &["show", "--json"],
    &["show", "--overdue"],
    &["summary"],
    &["summary", "--json"],
    &["history", "A1"],
    &["history", "A3", "--as-of", "2021-12-02"],
    &["audit"],
    &["audit", "--json"],
    &["diff", "--from", "2021-12-02"],
    &["verify"],
    &["verify", "--json"],
    &["export", "--format", "events"],
    &["export", "--format", "json"],
    &["export", "--format", "csv"],
    &["export", "--format", "md"],
    &["export", "--format", "html"],
    &["export", "--format", "pack", "--plan", "P1"],
    &["actor", "list"],
];

/// Who runs a command on the read-only ledger: a user the permission bits
/// stop.
#[derive(Clone, Copy)]
enum Reader {
    /// The tests are not root: the owner, whose write bits are cleared.
    Owner,
    /// The tests are root: `nobody`, through `setpriv`.
    Nobody,
}

/// The demo ledger in a temporary directory that `nobody` may enter, with
/// a scratch directory for the copies readers make (`TMPDIR`). Its drop
/// makes everything writable again, so that the temporary directory can
/// be removed.
struct Fixture {
    tmp: tempfile::TempDir,
    reader: Reader,
    /// The `planledger` binary: the one cargo built, or, where `nobody`
    /// may not reach it (a build under a private home directory), a link
    /// to it (or a copy) in the temporary directory.
    binary: PathBuf,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        set_modes(self.tmp.path(), 0o755, 0o644);
    }
}

impl Fixture {
    /// `planledger demo --keep DIR`: the shipped plan imported and a tour
    /// of changes, a redaction among them, recorded by the real binary.
    fn demo() -> Fixture {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        fs::set_permissions(tmp.path(), Permissions::from_mode(0o755)).expect("chmod");
        let scratch = tmp.path().join("scratch");
        fs::create_dir(&scratch).expect("made");
        fs::set_permissions(&scratch, Permissions::from_mode(0o1777)).expect("chmod");
        let probe = tmp.path().join("whoami");
        fs::write(&probe, b"").expect("written");
        let root = fs::metadata(&probe).expect("stat").uid() == 0;
        fs::remove_file(&probe).expect("removed");
        let mut fx = Fixture {
            tmp,
            reader: if root { Reader::Nobody } else { Reader::Owner },
            binary: PathBuf::from(env!("CARGO_BIN_EXE_planledger")),
        };
        let out = run(fx.command(Reader::Owner, &["demo", "--keep"]).arg(fx.dir()));
        assert_eq!(out.code, 0, "the demo runs: {}", out.stderr);
        if let Reader::Nobody = fx.reader {
            if run(&mut fx.command(Reader::Nobody, &["--version"])).code != 0 {
                let near = fx.tmp.path().join("planledger");
                if fs::hard_link(&fx.binary, &near).is_err() {
                    fs::copy(&fx.binary, &near).expect("the binary is copied");
                }
                fx.binary = near;
            }
            let out = run(&mut fx.command(Reader::Nobody, &["--version"]));
            assert_eq!(
                out.code, 0,
                "these tests run as root, so they run planledger as nobody through setpriv, which failed (is util-linux installed, and may this process change users?): {}",
                out.stderr
            );
        }
        fx
    }

    fn dir(&self) -> PathBuf {
        self.tmp.path().join("ledger")
    }

    fn scratch(&self) -> PathBuf {
        self.tmp.path().join("scratch")
    }

    /// `planledger --ledger DIR ARGS` as `who`, at [`CLOCK`], with the
    /// scratch directory as the temporary directory.
    fn command(&self, who: Reader, args: &[&str]) -> Process {
        let mut process = match who {
            Reader::Owner => Process::new(&self.binary),
            Reader::Nobody => {
                let mut p = Process::new("setpriv");
                p.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                    .arg(&self.binary);
                p
            }
        };
        process
            .env_remove("PLANLEDGER_ACTOR")
            .env_remove("PLANLEDGER_LEDGER")
            .env("PLANLEDGER_CLOCK", CLOCK)
            .env("TMPDIR", self.scratch())
            .current_dir(self.tmp.path())
            .arg("--ledger")
            .arg(self.dir())
            .args(args);
        process
    }

    /// Runs `args` as the owner, on the ledger while it is writable.
    fn as_owner(&self, args: &[&str]) -> Run {
        run(&mut self.command(Reader::Owner, args))
    }

    /// Runs `args` as a user who cannot write the ledger.
    fn as_reader(&self, args: &[&str]) -> Run {
        run(&mut self.command(self.reader, args))
    }

    /// What each reader prints on the writable ledger: the exit code and
    /// standard output, with nothing on standard error.
    fn expected(&self) -> Vec<(i32, String)> {
        READERS
            .iter()
            .map(|args| {
                let out = self.as_owner(args);
                assert!(out.stderr.is_empty(), "{args:?}: {}", out.stderr);
                assert!(
                    out.code == 0,
                    "{args:?} on the writable ledger: {}",
                    out.stderr
                );
                (out.code, out.stdout)
            })
            .collect()
    }

    /// `chmod -R a-w` (with read and search for all): directories 0555,
    /// files 0444.
    fn make_read_only(&self) {
        set_modes(&self.dir(), 0o555, 0o444);
    }

    fn make_writable(&self) {
        set_modes(&self.dir(), 0o755, 0o644);
    }

    /// Every reader, on the read-only ledger, prints what it printed on
    /// the writable one, with `notice` (or nothing) on standard error; the
    /// ledger's files are as they were, and the copy each made is gone.
    fn assert_readers_see(&self, expected: &[(i32, String)], notice: Option<&str>) {
        let before = snapshot(&self.dir());
        for (args, (code, stdout)) in READERS.iter().zip(expected) {
            let out = self.as_reader(args);
            assert_eq!(
                out.code, *code,
                "{args:?} on the read-only ledger: {}",
                out.stderr
            );
            assert!(
                out.stdout == *stdout,
                "{args:?} printed something else on the read-only ledger:\n{}\n--- on the writable one:\n{stdout}",
                out.stdout
            );
            match notice {
                None => assert!(out.stderr.is_empty(), "{args:?}: {}", out.stderr),
                Some(words) => assert!(
                    out.stderr.lines().count() == 1 && out.stderr.contains(words),
                    "{args:?}: {}",
                    out.stderr
                ),
            }
            assert_eq!(
                snapshot(&self.dir()),
                before,
                "{args:?} changed the read-only ledger"
            );
            assert_eq!(
                fs::read_dir(self.scratch()).expect("listed").count(),
                0,
                "{args:?} left its copy behind"
            );
        }
    }
}

/// Sets every directory under `dir` (and `dir`) to `dirs` and every file to
/// `files`, directories before their contents when opening them up and
/// after them when closing them.
fn set_modes(dir: &Path, dirs: u32, files: u32) {
    let Ok(meta) = fs::symlink_metadata(dir) else {
        return;
    };
    if !meta.is_dir() {
        return;
    }
    let _ = fs::set_permissions(dir, Permissions::from_mode(dirs | 0o700));
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => set_modes(&path, dirs, files),
            Ok(kind) if kind.is_file() => {
                let _ = fs::set_permissions(&path, Permissions::from_mode(files));
            }
            _ => {}
        }
    }
    let _ = fs::set_permissions(dir, Permissions::from_mode(dirs));
}

/// Every name under `dir`, with its kind, mode and (for a file) the
/// BLAKE3 of its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (String, u32, String)> {
    fn walk(root: &Path, dir: &Path, into: &mut BTreeMap<PathBuf, (String, u32, String)>) {
        for entry in fs::read_dir(dir).expect("listed") {
            let path = entry.expect("an entry").path();
            let meta = fs::symlink_metadata(&path).expect("stat");
            let name = path
                .strip_prefix(root)
                .expect("under the root")
                .to_path_buf();
            let mode = meta.permissions().mode() & 0o7777;
            if meta.is_dir() {
                into.insert(name, ("dir".into(), mode, String::new()));
                walk(root, &path, into);
            } else {
                let bytes = fs::read(&path).expect("read");
                into.insert(
                    name,
                    (
                        "file".into(),
                        mode,
                        blake3::hash(&bytes).to_hex().to_string(),
                    ),
                );
            }
        }
    }
    let mut names = BTreeMap::new();
    walk(dir, dir, &mut names);
    names
}

/// Asserts that a command that writes is refused on the read-only ledger
/// in one line that names the directory, writing nothing.
fn assert_refused(fx: &Fixture, args: &[&str]) {
    let before = snapshot(&fx.dir());
    let out = fx.as_reader(args);
    assert_eq!(out.code, 1, "{args:?}: {}{}", out.stdout, out.stderr);
    let expected = format!("error: ledger {} is read-only", fx.dir().display());
    assert!(
        out.stderr.lines().count() == 1 && out.stderr.starts_with(&expected),
        "{args:?}: {}",
        out.stderr
    );
    assert!(!out.stderr.contains("os error"), "{}", out.stderr);
    assert_eq!(snapshot(&fx.dir()), before, "{args:?} changed the ledger");
}

#[test]
fn every_reader_prints_the_same_on_a_read_only_ledger_and_changes_nothing() {
    let fx = Fixture::demo();
    let expected = fx.expected();
    fx.make_read_only();
    fx.assert_readers_see(&expected, None);

    // `evidence check` reads too, whatever it finds.
    let file = fx.tmp.path().join("minutes.pdf");
    fs::write(&file, b"board minutes").expect("written");
    let args = ["evidence", "check", "minutes.pdf"];
    fx.make_writable();
    let writable = fx.as_owner(&args);
    fx.make_read_only();
    let read_only = fx.as_reader(&args);
    assert_eq!(
        (read_only.code, &read_only.stdout),
        (writable.code, &writable.stdout),
        "{}",
        read_only.stderr
    );
}

#[test]
fn a_write_to_a_read_only_ledger_is_refused_in_one_line_and_writes_nothing() {
    let fx = Fixture::demo();
    let events = fx.as_owner(&["export", "--format", "events"]).stdout;
    fx.make_read_only();
    let plan = fx.tmp.path().join("plan.txt");
    fs::write(
        &plan,
        include_str!("../../ledger/plans/west-oxfordshire-dhr-alice-action-plan.txt"),
    )
    .expect("written");
    for args in [
        &["--actor", ACTOR, "note", "A1", "a note nobody may write"][..],
        &[
            "--actor",
            ACTOR,
            "status",
            "A2",
            "in-progress",
            "--reason",
            "x",
        ],
        &["--actor", ACTOR, "redact", "1", "--reason", "a mistake"],
        &["--actor", ACTOR, "import", "plan.txt", "--dry-run"],
        &["--actor", ACTOR, "apply", "return.plreq"],
        &[
            "--actor",
            ACTOR,
            "actor",
            "revoke",
            "Priya Shah (A2Dominion)",
            "--reason",
            "left",
        ],
        &["snapshot", "--rebuild"],
    ] {
        assert_refused(&fx, args);
    }
    fx.make_writable();
    assert_eq!(
        fx.as_owner(&["export", "--format", "events"]).stdout,
        events,
        "the ledger holds what it held"
    );
}

/// A stopped redaction's rewrite leaves its leftovers and its mark: a
/// reader of a read-only ledger finishes and removes none of them, reads
/// the committed database, sees what every reader sees, and says once that
/// the rewrite is owed. A writer, once the ledger is writable again,
/// finishes it.
#[test]
fn a_read_only_ledger_with_a_rewrite_owed_and_its_leftovers_is_read_as_committed() {
    let fx = Fixture::demo();
    let expected = fx.expected();
    let dir = fx.dir();
    // What a redaction stopped before its swap leaves: the mark in `meta`,
    // an unfinished copy in `sled.tmp/`, and a partial sled snapshot.
    tamper_trees(&dir, |trees| {
        trees
            .meta
            .insert(b"rewrite", &1u64.to_be_bytes())
            .expect("the mark is written");
    });
    fs::create_dir(dir.join("sled.tmp")).expect("made");
    fs::write(dir.join("sled.tmp").join("db"), b"half a copy").expect("written");
    fs::write(
        dir.join("sled").join("snap.00000000000000FF.generating"),
        b"",
    )
    .expect("written");
    fx.make_read_only();
    fx.assert_readers_see(&expected, Some("owes a redaction's rewrite"));

    // Opened by a writer, the ledger is rewritten and tidied.
    fx.make_writable();
    let out = fx.as_owner(&["show"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!dir.join("sled.tmp").exists());
    assert!(!dir.join("sled/snap.00000000000000FF.generating").exists());
    let store = Held::new(Store::open(&dir).expect("opens"), dir.join("sled"));
    assert!(!store.rewrite_owed().expect("meta reads"));
}

/// A rewrite stopped between its two renames leaves `sled.new/` (complete)
/// and no `sled/`: a reader of a read-only ledger reads `sled.new/` and
/// renames nothing.
#[test]
fn a_read_only_ledger_between_a_rewrite_s_renames_is_read_from_sled_new() {
    let fx = Fixture::demo();
    let expected = fx.expected();
    let dir = fx.dir();
    fs::rename(dir.join("sled"), dir.join("sled.new")).expect("renamed");
    fx.make_read_only();
    fx.assert_readers_see(&expected, None);
    assert!(!dir.join("sled").exists());
    fx.make_writable();
    assert_eq!(fx.as_owner(&["verify"]).code, 0);
    assert!(dir.join("sled").exists() && !dir.join("sled.new").exists());
}

/// A read-only ledger without `LOCK` (copied without it, or never opened
/// where it lies) is read without a lock: every planledger makes `LOCK`
/// before it opens sled, so none has it open. None is made.
#[test]
fn a_read_only_ledger_without_a_lock_file_is_read_and_none_is_made() {
    let fx = Fixture::demo();
    let expected = fx.expected();
    fs::remove_file(fx.dir().join("LOCK")).expect("removed");
    fx.make_read_only();
    fx.assert_readers_see(&expected, None);
    assert!(!fx.dir().join("LOCK").exists());
}

/// A reader of a read-only ledger takes a shared lock on `LOCK`: it waits
/// for a writer's exclusive lock (here held by the test, as a writer
/// mid-transaction holds it), and does not wait for another reader's
/// shared one.
#[test]
fn a_reader_of_a_read_only_ledger_waits_for_a_writer_but_not_for_another_reader() {
    let fx = Fixture::demo();
    let expected = fx.as_owner(&["show"]).stdout;
    fx.make_read_only();
    let lock = File::open(fx.dir().join("LOCK")).expect("LOCK opens to be read");

    lock.try_lock().expect("the test holds the writer's lock");
    let out = fx.as_reader(&["--no-wait", "show"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stderr.contains("is in use by another process") && out.stderr.lines().count() == 1,
        "{}",
        out.stderr
    );
    lock.unlock().expect("unlocked");

    lock.try_lock_shared()
        .expect("the test holds a reader's lock");
    let out = fx.as_reader(&["--no-wait", "show"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, expected);
}

/// The library's read-only open (`Store::open_copy_waiting`, the path every
/// reader of an unwritable ledger takes) refuses a write in words, whoever
/// runs the tests, and leaves the ledger as it was.
#[test]
fn a_store_read_from_a_copy_refuses_every_write_and_changes_nothing() {
    let fx = Fixture::demo();
    let dir = fx.dir();
    let before = snapshot(&dir);
    let mut store = Held::new(
        Store::open_copy_waiting(&dir, LockWait::no_wait()).expect("opens"),
        fx.tmp.path().join("none"),
    );
    assert!(store.reads_a_copy());
    let head = store.head().expect("reads").expect("a head");
    let refused = store
        .append(
            Some(head.seq),
            planledger::store::PendingTx {
                summary: "nothing".into(),
                actor: ACTOR.into(),
                recorded_at: head.recorded_at,
                clock: planledger::event::ClockNote::System,
                events: Vec::new(),
                salts: None,
            },
        )
        .expect_err("a store read from a copy writes nothing");
    assert!(
        matches!(
            refused,
            StoreError::ReadOnly {
                why: ReadOnly::Opened,
                ..
            }
        ),
        "{refused}"
    );
    drop(store);
    assert_eq!(snapshot(&dir), before);
}
