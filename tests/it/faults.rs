//! The store under faults, as a hostile tester found them: sled's leftover
//! temporary files, a full disk, damaged sled files, a damaged database
//! header that `init` would have written over, readers and writers taking
//! turns, and symbolic links inside the ledger directory. Each test is
//! named after what broke.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Run, TempLedger, open_ledger, planledger, run, small_plan};

/// A closed ledger holding the small plan (A1 and A2 exist), and its
/// directory.
fn closed_plan() -> (TempLedger, PathBuf) {
    let (tl, mut ledger) = TempLedger::new();
    small_plan(&mut ledger, &tl.clock);
    drop(ledger);
    let dir = tl.dir();
    (tl, dir)
}

/// `planledger --ledger DIR ARGS` with an actor.
fn cli(dir: &Path, args: &[&str]) -> Run {
    run(planledger(dir).env("PLANLEDGER_ACTOR", "Tester").args(args))
}

fn events_exported(dir: &Path) -> usize {
    let out = cli(dir, &["export", "--format", "events"]);
    assert_eq!(out.code, 0, "export: {}", out.stderr);
    out.stdout.lines().count()
}

/// Nothing a user reads carries sled's Debug text.
fn assert_plain(text: &str) {
    for debug in ["backtrace", "Some(", "Inline(", "Corruption {"] {
        assert!(!text.contains(debug), "sled internals shown: {text}");
    }
}

/// `verify` and `verify --json` report damage in `file`: exit 3, the file
/// named in words, the JSON report printed with the problem at seq 0.
fn assert_storage_damage_named(dir: &Path, file: &str) {
    let text = cli(dir, &["verify"]);
    assert_eq!(text.code, 3, "verify: {}{}", text.stdout, text.stderr);
    assert!(
        text.stdout.contains(file),
        "verify does not name {file}: {}",
        text.stdout
    );
    assert_plain(&text.stdout);
    assert_plain(&text.stderr);

    let json = cli(dir, &["verify", "--json"]);
    assert_eq!(json.code, 3, "verify --json: {}", json.stderr);
    let report: Value = serde_json::from_str(&json.stdout)
        .unwrap_or_else(|e| panic!("verify --json printed no JSON ({e}): {}", json.stdout));
    assert_eq!(report["ok"], false);
    assert_eq!(report["first_bad_seq"], 0);
    assert_eq!(report["problems"][0]["kind"], "storage_unreadable");
    let problem = report["problems"][0]["problem"].as_str().unwrap_or("");
    assert!(problem.contains(file), "{problem}");
    assert_plain(&json.stdout);

    let show = cli(dir, &["show"]);
    assert_eq!(show.code, 3, "show: {}", show.stderr);
    assert!(show.stderr.contains(file), "{}", show.stderr);
    assert_plain(&show.stderr);
}

fn snapshot_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir.join("sled"))
        .expect("the sled directory lists")
        .map(|e| e.expect("an entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("snap."))
        })
        .collect();
    files.sort();
    files
}

/// Regression: a process killed while sled wrote its snapshot on open (or a
/// full disk) left `snap.<lsn>.generating`, and every command, `verify`
/// included, then failed with "Read corrupted data at file offset None".
#[test]
fn a_leftover_snapshot_temporary_no_longer_locks_out_every_command() {
    let (_tl, dir) = closed_plan();
    let before = events_exported(&dir);
    for leftover in [&b""[..], &b"half a snapshot, cut off mid-write"[..]] {
        let temp = dir.join("sled").join("snap.FFFFFFFFFFFFFFF0.generating");
        fs::write(&temp, leftover).expect("the leftover is written");
        for args in [&["verify"][..], &["show"], &["verify", "--json"]] {
            let out = cli(&dir, args);
            assert_eq!(out.code, 0, "{args:?}: {}{}", out.stdout, out.stderr);
        }
        assert!(!temp.exists(), "the leftover temporary file is gone");
    }
    fs::write(
        dir.join("sled").join("snap.FFFFFFFFFFFFFFF0.generating"),
        b"",
    )
    .expect("the leftover is written");
    let out = cli(&dir, &["note", "A1", "Written after a crash"]);
    assert_eq!(out.code, 0, "note: {}", out.stderr);
    assert_eq!(events_exported(&dir), before + 1);
    // A file that only looks like one is not removed: sled reads every
    // `snap.*`, so it is damage, named.
    let other = dir.join("sled").join("snap.notes.generating");
    fs::write(&other, b"mine").expect("written");
    assert_storage_damage_named(&dir, "snap.notes.generating");
    assert!(other.exists(), "only sled's own temporaries are removed");
}

/// Unmounts a tmpfs when dropped, even if the test fails.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Process::new("umount").arg(&self.0).status();
    }
}

/// Fills the file system holding `dir` with a file in `dir`.
fn fill_disk(dir: &Path) {
    let mut chunk = vec![0u8; 64 * 1024];
    let path = dir.join("filler");
    let mut file = fs::File::create(&path).expect("the filler is created");
    use std::io::Write;
    while file.write_all(&chunk).is_ok() {}
    chunk.truncate(1);
    while file.write_all(&chunk).is_ok() {}
    let _ = file.sync_all();
}

/// Regression: on a full disk, `note` failed and left a 0-byte snapshot
/// temporary behind, and from then on every command, `verify` included,
/// failed. Now a write on a full disk is refused plainly before anything is
/// written, and reads and `verify` work while the disk is still full.
#[test]
fn a_full_disk_refuses_a_write_plainly_and_reads_still_work() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let mount_point = tmp.path().join("small-disk");
    fs::create_dir(&mount_point).expect("the mount point");
    let mounted = Process::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
        .arg(&mount_point)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !mounted {
        eprintln!(
            "a_full_disk_refuses_a_write_plainly_and_reads_still_work: cannot mount a tmpfs here \
             (not root, or not permitted): the full-disk part is NOT tested; checking only that \
             a write leaves the snapshot current so that a reader writes nothing"
        );
        let (_tl, dir) = closed_plan();
        let out = cli(&dir, &["note", "A1", "One more"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let snapshots = snapshot_files(&dir);
        assert_eq!(cli(&dir, &["show"]).code, 0);
        assert_eq!(snapshot_files(&dir), snapshots, "a read wrote a snapshot");
        return;
    }
    let _unmount = Mounted(mount_point.clone());
    let dir = mount_point.join("ledger");
    for args in [
        &["init"][..],
        &["plan", "add", "--partnership", "P", "--review", "R"],
        &["rec", "add", "Agencies train staff"],
    ] {
        let out = cli(&dir, args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
    }
    let before = events_exported(&dir);
    let files_before = snapshot_files(&dir);
    fill_disk(&mount_point);

    let started = Instant::now();
    let out = cli(&dir, &["rec", "add", "Written on a full disk"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("is full") && out.stderr.contains("nothing was written"),
        "{}",
        out.stderr
    );
    assert_plain(&out.stderr);
    assert!(started.elapsed() < Duration::from_secs(30));

    for args in [
        &["show"][..],
        &["verify"],
        &["verify", "--json"],
        &["summary"],
    ] {
        let out = cli(&dir, args);
        assert_eq!(out.code, 0, "{args:?} on a full disk: {}", out.stderr);
    }
    assert_eq!(
        events_exported(&dir),
        before,
        "the refused write wrote nothing"
    );
    assert_eq!(snapshot_files(&dir), files_before, "nothing left behind");

    fs::remove_file(mount_point.join("filler")).expect("space is freed");
    let out = cli(&dir, &["rec", "add", "Written once there is room"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(events_exported(&dir), before + 1);
}

/// Regression: a zeroed `sled/db` made `verify` exit 1 with "offset
/// Some(Inline(348)) backtrace ()" and `verify --json` print no JSON.
#[test]
fn a_zeroed_database_file_is_an_integrity_failure_naming_it() {
    let (_tl, dir) = closed_plan();
    let db = dir.join("sled").join("db");
    let len = fs::metadata(&db).expect("db").len();
    fs::write(&db, vec![0u8; len as usize]).expect("zeroed");
    assert_storage_damage_named(&dir, "sled/db");
}

/// Regression: a truncated `sled/db` was reported as a usage failure.
#[test]
fn a_truncated_database_file_is_an_integrity_failure_naming_it() {
    let (_tl, dir) = closed_plan();
    let db = fs::OpenOptions::new()
        .write(true)
        .open(dir.join("sled").join("db"))
        .expect("db opens");
    db.set_len(1000).expect("truncated");
    drop(db);
    assert_storage_damage_named(&dir, "sled/db");
}

/// Regression: garbage in `sled/conf` was reported as a usage failure.
#[test]
fn garbage_in_the_sled_configuration_is_an_integrity_failure_naming_it() {
    let (_tl, dir) = closed_plan();
    fs::write(
        dir.join("sled").join("conf"),
        b"this is not\na configuration\n",
    )
    .expect("written");
    assert_storage_damage_named(&dir, "sled/conf");
}

/// Regression: a corrupt `sled/snap.*` was reported as a usage failure.
#[test]
fn a_corrupt_sled_snapshot_is_an_integrity_failure_naming_it() {
    let (_tl, dir) = closed_plan();
    let snapshot = snapshot_files(&dir)
        .pop()
        .expect("sled keeps a snapshot after a write");
    let mut bytes = fs::read(&snapshot).expect("read");
    for b in bytes.iter_mut().take(20) {
        *b ^= 0x5a;
    }
    fs::write(&snapshot, &bytes).expect("written");
    let name = snapshot
        .file_name()
        .and_then(|n| n.to_str())
        .expect("a name")
        .to_string();
    assert_storage_damage_named(&dir, &name);
}

/// Regression: 64 zero bytes at offset 16 of `sled/db` (a damaged header)
/// made the ledger look empty ("no ledger at DIR", exit 1), and `init` then
/// wrote a new genesis over the old files.
#[test]
fn a_damaged_database_header_is_damage_and_init_refuses_to_write_over_it() {
    let (_tl, dir) = closed_plan();
    let db = dir.join("sled").join("db");
    let mut bytes = fs::read(&db).expect("read");
    bytes[16..80].fill(0);
    fs::write(&db, &bytes).expect("written");

    let out = cli(&dir, &["verify"]);
    assert_eq!(out.code, 3, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("sled/db"), "{}", out.stdout);
    let out = cli(&dir, &["show"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(!out.stderr.contains("no ledger at"), "{}", out.stderr);

    let damaged = fs::read(&db).expect("read");
    let out = cli(&dir, &["init"]);
    assert_eq!(out.code, 1, "init over a damaged ledger: {}", out.stdout);
    assert_eq!(fs::read(&db).expect("read"), damaged, "init wrote nothing");
}

/// Regression: `init` accepted a directory with files in it.
#[test]
fn init_refuses_a_directory_that_is_not_empty_and_accepts_an_empty_one() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let full = tmp.path().join("full");
    fs::create_dir(&full).expect("made");
    fs::write(full.join("notes.txt"), b"someone's notes").expect("written");
    let out = cli(&full, &["init"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stderr.contains("is not empty"), "{}", out.stderr);
    assert!(!full.join("sled").exists() && !full.join("LOCK").exists());

    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).expect("made");
    let out = cli(&empty, &["init"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(cli(&empty, &["verify"]).code, 0);
}

/// Regression: with readers and writers running together, a third of the
/// commands failed with "is in use by another process". A writer started
/// while a reader holds the ledger now waits its turn, saying once what it
/// waits for; with `--no-wait` it fails at once, plainly.
#[test]
fn a_writer_waits_for_a_reader_instead_of_failing() {
    let (tl, dir) = closed_plan();
    let before = events_exported(&dir);
    let reader = open_ledger(&dir, tl.clock.clone());
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        drop(reader);
    });
    let started = Instant::now();
    let out = cli(&dir, &["note", "A1", "Written after waiting"]);
    let waited = started.elapsed();
    release.join().expect("the reader lets go");
    assert_eq!(out.code, 0, "the writer failed: {}", out.stderr);
    assert!(waited >= Duration::from_millis(1000), "{waited:?}");
    let notices: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("waiting for ledger"))
        .collect();
    assert_eq!(
        notices.len(),
        1,
        "one line says what it waits for: {}",
        out.stderr
    );
    assert!(notices[0].contains("another process has it open"));
    assert_eq!(events_exported(&dir), before + 1);

    // Free at once: nothing is said.
    let out = cli(&dir, &["show"]);
    assert_eq!(out.code, 0);
    assert!(out.stderr.is_empty(), "{}", out.stderr);

    let reader = open_ledger(&dir, tl.clock.clone());
    let out = cli(&dir, &["--no-wait", "note", "A1", "Not waiting"]);
    drop(reader);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "ledger {} is in use by another process",
            dir.display()
        )),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("waiting for"), "{}", out.stderr);
    assert_eq!(events_exported(&dir), before + 1);
}

/// `--wait` gives up after the time asked for, plainly.
#[test]
fn a_writer_gives_up_after_its_wait_naming_the_ledger_in_use() {
    let (tl, dir) = closed_plan();
    let reader = open_ledger(&dir, tl.clock.clone());
    let out = cli(&dir, &["note", "A1", "Not today", "--wait", "1"]);
    drop(reader);
    assert_eq!(out.code, 1, "{}", out.stderr);
    // The seconds it reports are what it measured from its first try for
    // the lock, which on a loaded machine may start late in the second it
    // was given: the words are checked, not the seconds.
    assert!(
        out.stderr.contains(&format!(
            "ledger {} is in use by another process",
            dir.display()
        )),
        "{}",
        out.stderr
    );
}

/// Regression: a symlinked `LOCK` was followed and created a file at its
/// target.
#[test]
fn a_symlinked_lock_file_is_refused_and_nothing_is_created_at_its_target() {
    let (tl, dir) = closed_plan();
    let target = tl.tmp.path().join("somewhere-else");
    fs::remove_file(dir.join("LOCK")).expect("the lock file is removed");
    std::os::unix::fs::symlink(&target, dir.join("LOCK")).expect("a link");
    for args in [
        &["show"][..],
        &["verify"],
        &["note", "A1", "Through a link"],
    ] {
        let out = cli(&dir, args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("LOCK is a symbolic link"),
            "{args:?}: {}",
            out.stderr
        );
    }
    assert!(!target.exists(), "nothing was created at the link's target");
}

/// A `sled` directory that is a symbolic link is refused, not followed.
#[test]
fn a_symlinked_sled_directory_is_refused() {
    let (tl, dir) = closed_plan();
    let elsewhere = tl.tmp.path().join("sled-elsewhere");
    fs::rename(dir.join("sled"), &elsewhere).expect("moved");
    std::os::unix::fs::symlink(&elsewhere, dir.join("sled")).expect("a link");
    for args in [
        &["show"][..],
        &["verify"],
        &["note", "A1", "Through a link"],
    ] {
        let out = cli(&dir, args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("sled is a symbolic link"),
            "{args:?}: {}",
            out.stderr
        );
    }
}
