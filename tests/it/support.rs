//! What every integration test shares: a temporary ledger with a fixed
//! clock, a small plan built through `Ledger::transact`, direct access to the
//! sled trees for tampering, the real binaries run as processes, and a small
//! seeded random number generator (so a failing run can be repeated).

#![allow(dead_code)]

use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Output, Stdio};
use std::sync::{Arc, RwLock};

use planledger::command::Command;
use planledger::date::{FuzzyDate, Target};
use planledger::id::{ActionId, PlanId, RecId};
use planledger::integrity;
use planledger::ledger::{Ledger, Stamped};
use planledger::projection::State;
use planledger::store::Store;
use planledger::store::chain_check::{self, Report};
use planledger::time::{DayEnd, FixedClock, parse_instant};

/// The actor used unless a test says otherwise.
pub const ACTOR: &str = "Assurance Lead";

/// 2021-01-01T00:00:00Z: the fixed clock's starting time.
pub fn start_time() -> i64 {
    parse_instant("2021-01-01T00:00:00Z", DayEnd::Start).expect("a valid instant")
}

/// Guards the fork-to-exec window of every child process the tests start.
///
/// The tests run in parallel threads of one process. A child forked while
/// another thread holds a ledger open inherits that ledger's lock file
/// descriptor (and sled's), and keeps it, with its lock, until it execs. If
/// the other thread closes the ledger in that window and a process then
/// tries to open it, it is told the ledger "is in use by another process".
/// So children are spawned under the write lock (`spawn` returns only once
/// the child has exec'd), and held ledgers and stores are closed under the
/// read lock: once a close returns, no child still holds the lock.
static SPAWN: RwLock<()> = RwLock::new(());

/// An open ledger, store or sled database that is closed under the read
/// side of [`SPAWN`], and whose close waits until sled has let go of its
/// database file.
///
/// sled 0.34.7 does not release the lock on its `db` file when the `Db` is
/// dropped, but a moment later, when its background I/O has finished
/// (sled issues #1234 and #1289). Reopening at once, in this process or in a
/// child, then fails with "could not acquire lock". The tests wait for the
/// release so that they test planledger, not that race; the race itself is
/// described in the report that came with these tests.
pub struct Held<T> {
    value: Option<T>,
    sled_dir: PathBuf,
}

impl<T> Held<T> {
    /// `sled_dir` is the sled database directory the value has open.
    pub fn new(value: T, sled_dir: PathBuf) -> Held<T> {
        Held {
            value: Some(value),
            sled_dir,
        }
    }
}

/// Waits (at most ten seconds) until nobody holds the lock on sled's `db`
/// file in `sled_dir`.
fn wait_for_sled_release(sled_dir: &Path) {
    let path = sled_dir.join("db");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let Ok(file) = std::fs::File::open(&path) else {
            return;
        };
        if file.try_lock().is_ok() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "sled still holds {} ten seconds after it was closed",
            path.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

impl<T> Deref for Held<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.value.as_ref().expect("held until dropped")
    }
}

impl<T> DerefMut for Held<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.value.as_mut().expect("held until dropped")
    }
}

impl<T> Drop for Held<T> {
    fn drop(&mut self) {
        let _guard = SPAWN
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        drop(self.value.take());
        wait_for_sled_release(&self.sled_dir);
    }
}

/// Starts a child process under the write side of [`SPAWN`].
pub fn spawn(process: &mut Process) -> Child {
    let _guard = SPAWN
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    process.spawn().expect("the binary starts")
}

/// A ledger in a temporary directory, with the clock it was made with.
pub struct TempLedger {
    // Dropped last, after any ledger opened in it.
    pub tmp: tempfile::TempDir,
    pub clock: Arc<FixedClock>,
}

impl TempLedger {
    /// A fresh ledger holding only its genesis event (seq 0).
    pub fn new() -> (TempLedger, Held<Ledger>) {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let clock = Arc::new(FixedClock::new(start_time()));
        let dir = tmp.path().join("ledger");
        let ledger = Ledger::init(&dir, ACTOR, clock.clone()).expect("a new ledger");
        (
            TempLedger { tmp, clock },
            Held::new(ledger, dir.join("sled")),
        )
    }

    pub fn dir(&self) -> PathBuf {
        self.tmp.path().join("ledger")
    }

    pub fn open(&self) -> Held<Ledger> {
        open_ledger(&self.dir(), self.clock.clone())
    }

    /// Runs the full `verify` on the ledger (which must not be open).
    pub fn verify(&self) -> Report {
        verify_dir(&self.dir())
    }

    /// Runs only the chain check (bytes, links, transaction records, head)
    /// on the ledger (which must not be open).
    pub fn check_chain(&self) -> Report {
        let store = open_for_verify(&self.dir());
        chain_check::check_chain(&store).expect("the chain check reads the store")
    }
}

/// Runs the full `verify` (`integrity::verify`) on the ledger at `dir`
/// (which must not be open).
pub fn verify_dir(dir: &Path) -> Report {
    let store = open_for_verify(dir);
    let report = integrity::verify(&store).expect("verify reads the store");
    // A report verifies on one thread: every finding must be the same.
    let alone = integrity::verify_on_this_thread(&store).expect("verify reads the store");
    assert_eq!(
        format!("{alone:?}"),
        format!("{report:?}"),
        "verify on one thread and on two find the same"
    );
    report
}

/// Opens the store as `planledger verify` opens it: a missing or unreadable
/// format version is a finding, not a refusal.
pub fn open_for_verify(dir: &Path) -> Held<Store> {
    let store = Store::open_for_verify(dir).expect("the store opens for verify");
    Held::new(store, dir.join("sled"))
}

pub fn open_store(dir: &Path) -> Held<Store> {
    let store = Store::open(dir).expect("the store opens whatever its events hold");
    Held::new(store, dir.join("sled"))
}

pub fn open_ledger(dir: &Path, clock: Arc<FixedClock>) -> Held<Ledger> {
    let ledger = Ledger::open(dir, clock).expect("the ledger opens");
    Held::new(ledger, dir.join("sled"))
}

/// Records one transaction of the given commands, advancing the clock a
/// minute first so recorded times differ.
pub fn record(ledger: &mut Ledger, clock: &FixedClock, commands: Vec<Command>) {
    clock.advance_secs(60);
    let stamped = commands.into_iter().map(Stamped::from).collect();
    ledger
        .transact(ACTOR, "test", stamped)
        .expect("the transaction is recorded");
}

pub fn add_plan() -> Command {
    Command::AddPlan {
        partnership: "West Oxfordshire Community Safety Partnership".into(),
        review: "Alice".into(),
        chair: Some("Independent Chair".into()),
        published: FuzzyDate::month(2019, 5),
    }
}

pub fn add_action(plan: u32, agency: &str) -> Command {
    Command::AddAction {
        plan: PlanId::of(plan),
        agency: agency.into(),
        lead: Some("Safeguarding Lead".into()),
        text: format!("{agency} trains its staff on coercive control"),
        scope: Some("Local".into()),
        recommendations: vec![RecId::of(1)],
        target: Some(Target {
            text: "July 2019".into(),
            date: FuzzyDate::month(2019, 7),
        }),
    }
}

pub fn note(action: u32, text: &str) -> Command {
    Command::NoteMilestone {
        action: ActionId::of(action),
        note: text.into(),
    }
}

/// A small plan, one event per transaction:
/// seq 0 genesis, 1 plan P1, 2 recommendation R1, 3 action A1, 4 action A2,
/// 5..=8 notes on A1 and A2, 9 a claim on A1. Returns the number of events.
pub fn small_plan(ledger: &mut Ledger, clock: &FixedClock) -> u64 {
    record(ledger, clock, vec![add_plan()]);
    record(
        ledger,
        clock,
        vec![Command::AddRecommendation {
            plan: PlanId::of(1),
            number: None,
            text: "Agencies train staff on coercive control".into(),
            scope: Some("Local".into()),
        }],
    );
    record(ledger, clock, vec![add_action(1, "Thames Valley Police")]);
    record(ledger, clock, vec![add_action(1, "Oxford Health")]);
    for (action, text) in [
        (1, "Training plan drafted"),
        (2, "Audit of records begun"),
        (1, "First cohort trained"),
        (2, "Audit complete"),
    ] {
        record(ledger, clock, vec![note(action, text)]);
    }
    record(
        ledger,
        clock,
        vec![Command::Claim {
            action: ActionId::of(1),
            outcome: "All frontline officers trained".into(),
            evidence: Vec::new(),
        }],
    );
    ledger.events().expect("events read back").len() as u64
}

/// The state folded from scratch from the ledger's stored events.
pub fn rebuilt(ledger: &Ledger) -> State {
    let events = ledger.events().expect("events read back");
    State::fold(events.iter().map(|e| (e.seq, e.hash, &e.record)))
}

/// Opens the ledger's sled database directly (the ledger must be closed),
/// lets `change` edit its events (one at a time, [`Events`]) and the `txs`
/// tree, and flushes.
pub fn tamper(dir: &Path, change: impl FnOnce(&Events, &sled::Tree)) {
    tamper_trees(dir, |trees| change(&trees.events, &trees.txs));
}

/// The events as a forger holding the files and `ledger/FORMAT.md` sees
/// them, one at a time: in format 3 each key of the `events` tree holds a
/// block of up to 16 events (each `u32 BE length ‖ stored value ‖ u32 BE
/// length ‖ texts`), so one event is read and written inside its block; in
/// formats 1 and 2 each key is one event, its texts in the `texts` tree.
#[derive(Clone)]
pub struct Events {
    tree: sled::Tree,
    /// Formats 1 and 2 only.
    texts: Option<sled::Tree>,
}

/// One event of a block: its stored value and its texts, if any.
type Entry = (Vec<u8>, Option<Vec<u8>>);

pub const BLOCK: u64 = 16;

fn seq_of(key: impl AsRef<[u8]>) -> u64 {
    u64::from_be_bytes(key.as_ref().try_into().expect("an 8-byte seq"))
}

/// A block's events, as `ledger/FORMAT.md` frames them.
pub fn block_entries(bytes: &[u8]) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut rest = bytes;
    let piece = |rest: &mut &[u8]| {
        let len = u32::from_be_bytes(rest[..4].try_into().expect("a length")) as usize;
        let piece = rest[4..4 + len].to_vec();
        *rest = &rest[4 + len..];
        piece
    };
    while !rest.is_empty() {
        let value = piece(&mut rest);
        let texts = piece(&mut rest);
        entries.push((value, (!texts.is_empty()).then_some(texts)));
    }
    entries
}

pub fn block_bytes(entries: &[Entry]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for (value, texts) in entries {
        for piece in [value.as_slice(), texts.as_deref().unwrap_or_default()] {
            bytes.extend_from_slice(&(piece.len() as u32).to_be_bytes());
            bytes.extend_from_slice(piece);
        }
    }
    bytes
}

impl Events {
    fn of(db: &sled::Db) -> Events {
        let meta = db.open_tree("meta").expect("the meta tree");
        let version = meta.get("format_version").expect("sled reads");
        let per_key = matches!(version.as_deref(), Some([0, 0, 0, 1 | 2]));
        Events {
            tree: db.open_tree("events").expect("the events tree"),
            texts: per_key.then(|| db.open_tree("texts").expect("the texts tree")),
        }
    }

    /// The `events` tree itself.
    pub fn raw(&self) -> &sled::Tree {
        &self.tree
    }

    fn block(&self, seq: u64) -> (u64, Vec<Entry>) {
        let key = seq - seq % BLOCK;
        let stored = self.tree.get(key.to_be_bytes()).expect("sled reads");
        (key, stored.map_or_else(Vec::new, |b| block_entries(&b)))
    }

    fn put_block(&self, key: u64, entries: &[Entry]) {
        if entries.is_empty() {
            self.tree.remove(key.to_be_bytes()).expect("sled removes");
        } else {
            let bytes = block_bytes(entries);
            self.tree
                .insert(key.to_be_bytes(), bytes)
                .expect("sled writes");
        }
    }

    /// The stored value of the event at `key` (its seq).
    pub fn get(&self, key: impl AsRef<[u8]>) -> sled::Result<Option<sled::IVec>> {
        if self.texts.is_some() {
            return self.tree.get(key);
        }
        let seq = seq_of(key);
        let (first, entries) = self.block(seq);
        Ok(entries
            .get((seq - first) as usize)
            .map(|(value, _)| value.as_slice().into()))
    }

    /// Writes `value` as the stored value of the event at `key`, keeping
    /// its texts; at the end of its block, adds it.
    pub fn insert(
        &self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> sled::Result<Option<sled::IVec>> {
        if self.texts.is_some() {
            return self.tree.insert(key.as_ref(), value.as_ref());
        }
        let seq = seq_of(key);
        let (first, mut entries) = self.block(seq);
        let at = (seq - first) as usize;
        let held = entries.len();
        let old = match entries.get_mut(at) {
            Some(entry) => Some(std::mem::replace(&mut entry.0, value.as_ref().to_vec())),
            None if at == held => {
                entries.push((value.as_ref().to_vec(), None));
                None
            }
            None => panic!("event {seq} would leave a gap in its block"),
        };
        self.put_block(first, &entries);
        Ok(old.map(|v| v.as_slice().into()))
    }

    /// Takes the event at `key` out of its block, with its texts: the
    /// events after it in the block move down a seq (a block has no gaps).
    pub fn remove(&self, key: impl AsRef<[u8]>) -> sled::Result<Option<sled::IVec>> {
        if let Some(texts) = &self.texts {
            texts.remove(key.as_ref())?;
            return self.tree.remove(key);
        }
        let seq = seq_of(key);
        let (first, mut entries) = self.block(seq);
        let at = (seq - first) as usize;
        let old = (at < entries.len()).then(|| entries.remove(at).0);
        self.put_block(first, &entries);
        Ok(old.map(|v| v.as_slice().into()))
    }

    /// How many events are stored.
    pub fn len(&self) -> usize {
        if self.texts.is_some() {
            return self.tree.len();
        }
        self.tree
            .iter()
            .map(|item| block_entries(&item.expect("sled reads").1).len())
            .sum()
    }

    /// The texts stored for the event at `key`.
    pub fn texts(&self, key: impl AsRef<[u8]>) -> Option<Vec<u8>> {
        if let Some(texts) = &self.texts {
            return texts.get(key).expect("sled reads").map(|t| t.to_vec());
        }
        let seq = seq_of(key);
        let (first, entries) = self.block(seq);
        entries
            .get((seq - first) as usize)
            .and_then(|e| e.1.clone())
    }

    /// Stores `texts` (`None`: none) for the event at `key`.
    pub fn set_texts(&self, key: impl AsRef<[u8]>, texts: Option<Vec<u8>>) {
        if let Some(tree) = &self.texts {
            match texts {
                Some(texts) => tree.insert(key, texts).map(drop),
                None => tree.remove(key).map(drop),
            }
            .expect("sled writes");
            return;
        }
        let seq = seq_of(key);
        let (first, mut entries) = self.block(seq);
        let entry = entries
            .get_mut((seq - first) as usize)
            .unwrap_or_else(|| panic!("event {seq} is stored"));
        entry.1 = texts;
        self.put_block(first, &entries);
    }
}

/// The trees a forger with the files would change.
pub struct Trees {
    pub events: Events,
    pub txs: sled::Tree,
    pub meta: sled::Tree,
}

/// [`tamper`], with every tree of the ledger.
pub fn tamper_trees(dir: &Path, change: impl FnOnce(&Trees)) {
    let db = Held::new(
        sled::open(dir.join("sled")).expect("sled opens"),
        dir.join("sled"),
    );
    let trees = Trees {
        events: Events::of(&db),
        txs: db.open_tree("txs").expect("the txs tree"),
        meta: db.open_tree("meta").expect("the meta tree"),
    };
    change(&trees);
    db.flush().expect("sled flushes");
}

/// The record of the event at `seq`, opened with its stored texts.
pub fn record_at(trees: &Trees, seq: u64) -> planledger::event::Record {
    let value = stored_value(&trees.events, seq);
    let sealed = planledger::codec::decode_sealed(&value[planledger::chain::STORED_PREFIX..])
        .expect("the record decodes");
    let texts = trees.events.texts(seq.to_be_bytes());
    let texts = planledger::codec::decode_texts(texts.as_deref()).expect("the texts decode");
    planledger::sealed::unseal(sealed, texts, |_, _| None).expect("the texts fit")
}

/// Writes `record` as the event at `seq` onto `prev`, keeping its stored
/// subject, sealed and hashed as the format says: what a forger holding
/// the files and `ledger/FORMAT.md` would write. Returns the stored value.
pub fn reseal(
    trees: &Trees,
    seq: u64,
    prev: &planledger::event::Hash,
    record: &planledger::event::Record,
) -> Vec<u8> {
    use planledger::chain;
    let old = stored_value(&trees.events, seq);
    let (_, subject, _) = chain::split_stored(&old).expect("a stored value");
    let sealed = planledger::codec::encode_record(record, || [7; 16]).expect("the record encodes");
    let hash = chain::event_hash(prev, seq, subject, &chain::record_digest(&sealed.record));
    let value = chain::stored_value(&hash, subject, &sealed.record);
    put_value(&trees.events, seq, &value);
    trees.events.set_texts(seq.to_be_bytes(), sealed.texts);
    value
}

/// The stored value (hash ‖ subject ‖ record bytes) of the event at `seq`.
pub fn stored_value(events: &Events, seq: u64) -> Vec<u8> {
    events
        .get(seq.to_be_bytes())
        .expect("sled reads")
        .unwrap_or_else(|| panic!("event {seq} is stored"))
        .to_vec()
}

pub fn put_value(events: &Events, seq: u64, value: &[u8]) {
    events
        .insert(seq.to_be_bytes(), value)
        .expect("sled writes");
}

/// What a process run reported.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output
                .status
                .code()
                .expect("the process exited, not signalled"),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// The real `planledger` binary, with the ledger directory given and no
/// actor, clock or ledger taken from the test's own environment.
pub fn planledger(ledger_dir: &Path) -> Process {
    let mut process = Process::new(env!("CARGO_BIN_EXE_planledger"));
    process
        .env_remove("PLANLEDGER_ACTOR")
        .env_remove("PLANLEDGER_CLOCK")
        .env_remove("PLANLEDGER_LEDGER")
        .arg("--ledger")
        .arg(ledger_dir);
    process
}

pub fn run(process: &mut Process) -> Run {
    process
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = spawn(process);
    Run::from(child.wait_with_output().expect("the binary runs"))
}

/// `planledger verify --ledger DIR`.
pub fn cli_verify(dir: &Path) -> Run {
    run(planledger(dir).arg("verify"))
}

/// splitmix64: a tiny seeded generator, enough to choose bytes and delays.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// Seeded from `PLANLEDGER_TEST_SEED` when set, otherwise from the time;
    /// the seed is printed so a failing run can be repeated.
    pub fn from_env_or_time(name: &str) -> Rng {
        let seed = std::env::var("PLANLEDGER_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64)
            });
        eprintln!("{name}: PLANLEDGER_TEST_SEED={seed}");
        Rng::new(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low + 1)
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

/// The hash a stored value (hash ‖ subject ‖ record) begins with.
pub fn hash_of_value(value: &[u8]) -> planledger::event::Hash {
    value[..32]
        .try_into()
        .expect("a stored value starts with a hash")
}

/// The size of the full disk.
pub const DISK_BYTES: u64 = 2 * 1024 * 1024;

/// The size the full disk is grown to once it has been filled.
pub const GROWN_BYTES: u64 = 16 * 1024 * 1024;

/// A small disk that can be filled (the fault campaign's full disk, the
/// bad-input table's): a tmpfs mounted for the test and
/// unmounted when the guard is dropped (even when the test fails), or,
/// where mounting is not permitted, a file size limit on the processes run
/// on it. Either way `grow` frees space.
pub struct SmallDisk {
    pub root: PathBuf,
    pub mounted: bool,
    grown: bool,
}

impl SmallDisk {
    pub fn new(root: &Path) -> SmallDisk {
        std::fs::create_dir_all(root).expect("the mount point can be made");
        let no_mount = std::env::var_os("PLANLEDGER_CAMPAIGN_NO_MOUNT").is_some();
        let mounted = !no_mount
            && run(Process::new("mount")
                .args(["-t", "tmpfs", "-o"])
                .arg(format!("size={DISK_BYTES}"))
                .arg("tmpfs")
                .arg(root))
            .code
                == 0;
        eprintln!(
            "full disk: {}",
            if mounted {
                format!("a {DISK_BYTES}-byte tmpfs at {}", root.display())
            } else {
                format!("no tmpfs here, so a {DISK_BYTES}-byte file size limit (prlimit --fsize)")
            }
        );
        SmallDisk {
            root: root.to_path_buf(),
            mounted,
            grown: false,
        }
    }

    /// `program` as it runs on this disk: as it is on the tmpfs, under the
    /// file size limit (with `SIGXFSZ` ignored, which `exec` keeps) until
    /// the disk has grown otherwise.
    pub fn on_disk(&self, program: &Path) -> Process {
        if self.mounted || self.grown {
            return Process::new(program);
        }
        let mut process = Process::new("sh");
        process
            .arg("-c")
            .arg(format!(
                "trap '' XFSZ; exec prlimit --fsize={DISK_BYTES} -- \"$0\" \"$@\""
            ))
            .arg(program);
        process
    }

    /// Frees space: remounts the tmpfs larger, or lifts the limit.
    pub fn grow(&mut self) {
        if self.mounted {
            let remount = run(Process::new("mount")
                .arg("-o")
                .arg(format!("remount,size={GROWN_BYTES}"))
                .arg(&self.root));
            assert_eq!(
                remount.code, 0,
                "the tmpfs can be grown: {}",
                remount.stderr
            );
        }
        self.grown = true;
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        if !self.mounted {
            return;
        }
        let umount = run(Process::new("umount").arg(&self.root));
        if umount.code != 0 {
            // Something still has a file open there: detach it now, and the
            // kernel frees it once the last file closes.
            let lazy = run(Process::new("umount").arg("-l").arg(&self.root));
            if lazy.code != 0 {
                eprintln!(
                    "could not unmount the tmpfs at {}: {} {}",
                    self.root.display(),
                    umount.stderr.trim(),
                    lazy.stderr.trim()
                );
            }
        }
    }
}

/// One line of words for a person: `error: …`, no panic, and no Debug
/// output (which shows as `Name { field: … }`).
pub fn is_plain_error(stderr: &str) -> bool {
    stderr.starts_with("error: ")
        && stderr.lines().count() == 1
        && !stderr.contains("panicked")
        && !stderr.contains(" { ")
}

/// Writes zeros to `path` until the disk under it is full.
pub fn fill_with_another_file(path: &Path) {
    use std::io::Write;
    let mut file = std::fs::File::create(path).expect("the filler file can be made");
    let chunk = vec![0u8; 64 * 1024];
    while file.write_all(&chunk).is_ok() {}
    // The last pages may still fit one by one.
    while file.write_all(&chunk[..4096]).is_ok() {}
    let _ = file.sync_all();
}

/// Asserts that the history of every action read through the action index
/// (`Store::action_events`, `audit::action_trail_of`: what `history` prints)
/// is entry for entry the trail a fold of the whole history gives
/// (`audit::trail_of`), and that the action `history` shows, folded from
/// its own events alone (`OneAction`), is the action in that fold: now, as
/// of the middle of the history, valid at a date in it, both, and as of a
/// time before the ledger existed. Returns how many actions it compared.
pub fn assert_histories_match_the_full_fold(store: &Store) -> usize {
    use planledger::ledger::View;
    use planledger::query::audit::{self, Filter};
    use planledger::query::one_action::OneAction;

    let events: Vec<_> = store.events().collect::<Result<_, _>>().expect("events");
    let head = events.last().expect("a ledger with events").seq;
    let state = State::fold(events.iter().map(|e| (e.seq, e.hash, &e.record)));
    let middle = &events[events.len() / 2].record;
    let valid_day = chrono::DateTime::from_timestamp_micros(middle.recorded_at)
        .expect("a recorded time")
        .date_naive();
    let views = [
        View::default(),
        View {
            as_of: Some(middle.recorded_at),
            valid_at: None,
        },
        View {
            as_of: None,
            valid_at: Some(valid_day),
        },
    ];
    let names_of = |seq: u64| {
        let event = events.get(usize::try_from(seq).ok()?)?;
        Some(event.record.event.slot_names())
    };
    let earlier = |seq: u64| store.event_at(seq).expect("event").map(|(_, r)| r);
    let first_of_tx = |tx: u64| store.tx_record(tx).expect("tx").map(|r| r.first_seq);
    let views = [
        views[0],
        views[1],
        views[2],
        View {
            as_of: Some(middle.recorded_at),
            valid_at: Some(valid_day),
        },
        // Before the ledger existed.
        View {
            as_of: Some(events[0].record.recorded_at - 1),
            valid_at: None,
        },
    ];
    for &action in state.actions.keys() {
        let one = OneAction::read(store, action)
            .expect("the action's events")
            .expect("an action the full fold holds is found alone");
        assert_eq!(one.head(), head);
        for view in views {
            let admitted = events
                .iter()
                .take_while(|e| view.admits(e))
                .map(|e| (e.seq, e.hash, &e.record));
            let mut full = match view.valid_at {
                None => State::fold(admitted),
                Some(day) => State::fold_valid_at(admitted, day),
            };
            let alone = one.state_view(view);
            assert_eq!(
                alone.ledger.is_some(),
                full.ledger.is_some(),
                "{action} in {view:?}"
            );
            assert_eq!(
                one.action_view(view),
                full.actions.remove(&action),
                "{action} in {view:?}"
            );
            let filter = Filter {
                action: Some(action),
                view,
                ..Filter::default()
            };
            let full = audit::trail_of(events.iter().map(Ok::<_, ()>), &names_of, &filter)
                .expect("the full trail");
            let indexed = audit::action_trail_of(
                store
                    .action_events(action, head)
                    .expect("the action's events"),
                &earlier,
                &first_of_tx,
                &filter,
            )
            .expect("the indexed trail");
            assert_eq!(indexed, full, "{action} in {view:?}");
        }
    }
    state.actions.len()
}

/// A ledger in a temporary directory, driven through the command line as
/// one person ("Sam Okafor") at stated clock times, in that directory (so
/// that relative paths in arguments land beside the ledger). Test fixtures
/// that build a ledger command by command wrap one and deref to it.
pub struct CliLedger {
    pub tmp: tempfile::TempDir,
}

impl CliLedger {
    /// A temporary directory with no ledger in it yet.
    pub fn new() -> CliLedger {
        CliLedger {
            tmp: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// The ledger directory.
    pub fn dir(&self) -> PathBuf {
        self.tmp.path().join("ledger")
    }

    /// A path beside the ledger.
    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// Runs `planledger ARGS` with the clock at `clock`.
    pub fn run_at(&self, clock: &str, args: &[&str]) -> Run {
        let mut process = planledger(&self.dir());
        process
            .current_dir(self.tmp.path())
            .env("PLANLEDGER_CLOCK", clock)
            .env("PLANLEDGER_ACTOR", "Sam Okafor")
            .args(args);
        run(&mut process)
    }

    /// [`CliLedger::run_at`], which must succeed.
    pub fn ok_at(&self, clock: &str, args: &[&str]) -> Run {
        let out = self.run_at(clock, args);
        assert_eq!(
            out.code, 0,
            "planledger {args:?}:\n{}\n{}",
            out.stdout, out.stderr
        );
        out
    }
}
