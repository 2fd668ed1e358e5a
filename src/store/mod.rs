//! The only code that touches sled and the file system.
//!
//! A ledger is a directory holding a lock file (`LOCK`) and a sled 0.34.7
//! database (`sled/`) with these trees (and the derived snapshots and
//! action index):
//!
//! - `events`: blocks of up to [`BLOCK_EVENTS`] events a key ([`block`]):
//!   key = the sequence number of the block's first event as big-endian
//!   `u64` (genesis at 0), value = for each event its stored value (its
//!   32-byte hash ‖ its subject ‖ its sealed record bytes, see `chain`),
//!   never changed once written, and its free texts (see `sealed`), of
//!   which a text is only ever replaced by the mark that it was erased.
//!   Format 2 kept one event a key and the texts in a `texts` tree; such a
//!   ledger is read ([`Layout::OneAKey`]) only to be upgraded;
//! - `meta`: `format_version` = [`FORMAT_VERSION`] as big-endian `u32`, and
//!   `head` = seq (u64 BE) ‖ hash (32 bytes) ‖ tx (u64 BE) ‖ recorded_at
//!   (i64 BE) of the last event;
//! - `txs`: key = transaction number as big-endian `u64`, value = an encoded
//!   [`TxRecord`].
//!
//! A redaction erases words, and sled keeps a replaced value in its log
//! until it cleans the segment, so a transaction that holds a `Redacted`
//! event is followed by a rewrite of the whole database without superseded
//! values (see [`Store::rewrite`]): copied into `sled.tmp/`, made durable,
//! renamed `sled.new/` (complete), swapped in for `sled/`. Every open
//! finishes or discards a rewrite a stopped process left (see
//! [`recover_rewrite`]).
//!
//! Promises: a transaction's events, the new head and its transaction record
//! are written in one sled transaction, and [`Store::append`] returns only
//! after they are flushed *and* the data file is fsynced (sled 0.34.7's flush
//! stops at `sync_file_range`). An append states the head it expects and
//! never replaces a stored event. One process at a time: the lock file is
//! taken before sled is opened, and another process waits its turn for as
//! long as its [`LockWait`] allows.
//!
//! A ledger this process cannot write (a read-only copy, share or mount) is
//! still read: a command that only reads ([`Store::open_to_read_waiting`],
//! [`Store::open_for_verify_waiting`]) takes a shared lock on `LOCK` where
//! it can open it read-only and opens sled on a copy of its files in the
//! temporary directory, creating, changing and removing nothing in the
//! ledger; a command that writes is refused in one line
//! ([`StoreError::ReadOnly`]) before anything is written.
//!
//! Opening is careful with what it finds: `LOCK` is opened without following
//! a symbolic link, a link anywhere among sled's files is refused, sled's own
//! leftover temporary files are removed (see [`sled_leftovers`]), and a
//! sled file the engine cannot read is [`DamageKind::StorageUnreadable`],
//! naming the file, never the engine's own error text.

mod action_index;
pub mod block;
pub mod chain_check;
mod scan;
mod snapshot_parts;

pub use action_index::{CHUNK as ACTION_INDEX_CHUNK, IndexCheck, IndexFault};
pub use block::{BLOCK_EVENTS, BlockFault};
pub use scan::{Readers, SCAN_BLOCK};
pub use snapshot_parts::{PART_LEN, SnapshotRead, SnapshotWriter};

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sled::transaction::TransactionalTree;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::{Transactional, Tree};

use crate::chain::{self, GENESIS_PREV, LinkError, Subject};
use crate::codec::{self, CodecError};
use crate::event::{ClockNote, Event, Hash, Micros, Record, SourceRef, TxRecord};
use crate::sealed::{self, Erasure, Salt, StoredText, TextFault};

/// The version of the on-disk format this code reads and writes. It changes
/// whenever stored bytes or the hash framing change. Format 3 holds format
/// 2's bytes in blocks ([`block`]); its chain is format 2's
/// ([`chain::CHAIN_FORMAT`]).
pub const FORMAT_VERSION: u32 = 3;

/// sled's page cache, bounded: its default of 1 GiB makes a one-line CLI
/// call hold hundreds of megabytes. sled 0.34 keeps pages well past this
/// bound (it counts reads 64 at a time in each of 256 shards before it
/// evicts), so the bound is what is left to choose. At 1M events, 4 MiB
/// rather than 16 took `verify` from 212 to 187 MB and `show` from 155 to
/// 137 MB, with bulk import and `verify` as fast as before (BENCHMARKS.md).
pub const CACHE_BYTES: u64 = 4 * 1024 * 1024;

const SLED_DIR: &str = "sled";
/// Where a rewrite copies the database; incomplete while it exists.
const SLED_TMP: &str = "sled.tmp";
/// The rewritten database, complete, waiting to be swapped in.
const SLED_NEW: &str = "sled.new";
/// The database a rewrite replaced, waiting to be removed.
const SLED_OLD: &str = "sled.old";
const LOCK_FILE: &str = "LOCK";
const EVENTS_TREE: &str = "events";
const META_TREE: &str = "meta";
const TXS_TREE: &str = "txs";
const TEXTS_TREE: &str = "texts";
const SNAPSHOTS_TREE: &str = "snapshots";
const FORMAT_KEY: &[u8] = b"format_version";
const HEAD_KEY: &[u8] = b"head";
/// In `meta` while a redaction's rewrite is owed: written with the
/// redaction, left out of the copy. Value: the redaction's seq (u64 BE).
const REWRITE_KEY: &[u8] = b"rewrite";
/// In `meta` while a transaction too big for one sled transaction is being
/// written in parts ([`APPEND_PART_EVENTS`] events each): written with its
/// first part, removed with its last, which moves the head. Value: its
/// first and last seq (u64 BE each). An open that finds it with the head
/// still before that first seq removes those events, never acknowledged
/// ([`Store::discard_unfinished_append`]).
const APPENDING_KEY: &[u8] = b"appending";
const HEAD_LEN: usize = 8 + 32 + 8 + 8;

/// How many times a key a scan reads is read again by key ([`touch`]).
const LEAF_TOUCHES: usize = 4;

/// The most events one sled transaction holds. sled keeps every page a
/// transaction replaces until the transaction ends, so one of 100,000
/// events held about 1.5 GB; a bigger transaction of the ledger is written
/// in parts of this many, with the head moved only by the last.
pub const APPEND_PART_EVENTS: usize = 1024;

/// The free space a write leaves on the disk, at least: room for sled to
/// grow its data file by a segment (512 KiB) and to write the snapshot of
/// its page table that the next open needs. A write that would leave less is
/// refused before anything is written, so that a full disk never stops the
/// ledger from being read.
pub const MIN_FREE_BYTES: u64 = 1024 * 1024;

/// How long a wait for another process's lock lasts before the caller is
/// told (through [`LockWait::on_wait`]) that it is waiting.
pub const NOTICE_AFTER: Duration = Duration::from_millis(200);

/// How [`Store::open_waiting`] treats a ledger another process has open.
/// sled allows one process at a time, so readers and writers take turns
/// (but readers of a ledger they cannot write, which read copies, share
/// the lock with one another).
pub struct LockWait<'a> {
    /// When to give up; `None` gives up at once.
    pub until: Option<Instant>,
    /// Called once, when the wait has lasted [`NOTICE_AFTER`], so that the
    /// caller can say what it is waiting for.
    pub on_wait: Option<&'a mut dyn FnMut()>,
}

impl LockWait<'_> {
    /// Waits a moment (a second) for a lock held only briefly: a process
    /// that is exiting, or a child process between fork and exec that
    /// shares this process's descriptors. What `Store::open` does.
    pub fn moment() -> LockWait<'static> {
        LockWait {
            until: Some(Instant::now() + Duration::from_secs(1)),
            on_wait: None,
        }
    }

    /// Gives up at once if another process holds the lock.
    pub fn no_wait() -> LockWait<'static> {
        LockWait {
            until: None,
            on_wait: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no ledger at {path} (create one with 'planledger init')")]
    NotALedger { path: PathBuf },
    #[error("a ledger already exists at {path}")]
    AlreadyExists { path: PathBuf },
    #[error(
        "{path} is not empty: 'planledger init' creates a ledger only in a new or empty directory"
    )]
    NotEmpty { path: PathBuf },
    #[error("{path} is a file, not a ledger directory")]
    NotADirectory { path: PathBuf },
    #[error(
        "ledger {path} {why}: this command would write to it, so nothing was written (commands that only read it, such as show, history, audit, verify and export, work)"
    )]
    ReadOnly { path: PathBuf, why: ReadOnly },
    #[error("ledger {path} is in use by another process{}", Waited(*.waited))]
    InUse {
        path: PathBuf,
        /// How long this process waited for it.
        waited: Duration,
    },
    #[error(
        "{path} is a symbolic link: planledger never opens a ledger's own files through a link (nothing was written)"
    )]
    Link { path: PathBuf },
    #[error(
        "the disk holding ledger {path} is full{}: free some space and try again (nothing was written)",
        FreeSpace(*.free)
    )]
    DiskFull {
        path: PathBuf,
        /// The bytes free, when a write was refused beforehand.
        free: Option<u64>,
    },
    #[error(
        "ledger {path} has format version {found}; this planledger reads version {FORMAT_VERSION} only"
    )]
    UnknownFormat { path: PathBuf, found: u32 },
    #[error(
        "ledger {path} is in format {found}, which this planledger reads only to upgrade it: run 'planledger upgrade {path} NEW_DIR' to write a format-{FORMAT_VERSION} ledger (the old one is left as it is)"
    )]
    OldFormat { path: PathBuf, found: u32 },
    #[error(
        "a redaction rewrites the ledger's files without the erased words, which needs {} KiB free on the disk holding ledger {path}, and {} KiB are free: free some space and try again (nothing was written)",
        .needed / 1024,
        .free / 1024
    )]
    NoRoomToRewrite {
        path: PathBuf,
        /// The bytes the copy may take, and the margin every write leaves.
        needed: u64,
        free: u64,
    },
    #[error(
        "the redaction (event {seq}) is recorded and the words are gone from the ledger's records, but its files could not be rewritten without the old words ({source}); the next command that opens this ledger rewrites them"
    )]
    RewriteUnfinished {
        seq: u64,
        #[source]
        source: Box<StoreError>,
    },
    #[error("a signed transaction has {texts} texts but {salts} salts for them")]
    SaltCount { texts: usize, salts: usize },
    #[error("no random numbers for the texts' salts: {0}")]
    Random(#[source] getrandom::Error),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("the storage engine failed: {}", EngineText(.0))]
    Sled(#[from] sled::Error),
    #[error(
        "the ledger changed while this command ran (it was {} when read, now {}); nothing was written",
        HeadAt(*.expected),
        HeadAt(*.found)
    )]
    Conflict {
        /// The head sequence number the command read and validated against.
        expected: Option<u64>,
        /// The head sequence number found when writing.
        found: Option<u64>,
    },
    #[error("the ledger is damaged{}: {kind} (run 'planledger verify')", AtSeq(*.seq, .kind))]
    Damaged {
        seq: u64,
        #[source]
        kind: DamageKind,
    },
    #[error(transparent)]
    Codec(#[from] CodecError),
}

/// Why a ledger cannot be written by this process: what
/// [`StoreError::ReadOnly`] says, and why a store reads a copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReadOnly {
    /// Its directory, `LOCK` or sled's files deny this user writing
    /// (`EACCES`, or `EPERM`: an immutable file).
    #[error("is read-only for this user")]
    Permission,
    /// It is on a file system mounted read-only (`EROFS`).
    #[error("is on a read-only file system")]
    FileSystem,
    /// It was opened to be read and never written (as `upgrade` reads the
    /// ledger it upgrades).
    #[error("was opened only to be read")]
    Opened,
}

impl ReadOnly {
    /// The reason an I/O error gives for not writing, if it gives one: a
    /// permission denied (`EACCES`, `EPERM`) or a read-only file system
    /// (`EROFS`). Any other error is not about writing.
    pub fn of(error: &io::Error) -> Option<ReadOnly> {
        match error.kind() {
            io::ErrorKind::ReadOnlyFilesystem => Some(ReadOnly::FileSystem),
            io::ErrorKind::PermissionDenied => Some(ReadOnly::Permission),
            _ => None,
        }
    }
}

/// What is wrong with a ledger found damaged while reading it. `verify`
/// gives the full account; these are the cases that stop a read.
#[derive(Debug, thiserror::Error)]
pub enum DamageKind {
    #[error("the stored format version is unreadable ({})", hex::encode(.stored))]
    FormatVersionUnreadable { stored: Vec<u8> },
    #[error("the ledger holds events but names no format version")]
    FormatVersionMissing,
    #[error("the stored head is {len} bytes, not {HEAD_LEN}")]
    HeadLength { len: usize },
    #[error("a key of {len} bytes is not a sequence number")]
    EventKeyLength { len: usize },
    #[error("the event is missing{}", NextStored(*.next_stored))]
    EventMissing {
        /// The next event that is stored, when the read went on to find one.
        next_stored: Option<u64>,
    },
    #[error(transparent)]
    Link(#[from] LinkError),
    #[error(transparent)]
    Undecodable(#[from] CodecError),
    #[error("its stored texts do not decode: {0}")]
    TextsUndecodable(#[source] CodecError),
    #[error(transparent)]
    Texts(#[from] TextFault),
    #[error("its text {slot} is not stored as words, so a redaction cannot erase it")]
    TextNotStored { slot: u32 },
    #[error("a snapshot key of {len} bytes is not a sequence number")]
    SnapshotKeyLength { len: usize },
    #[error(transparent)]
    Block(#[from] BlockFault),
    #[error(
        "the action index is wrong: {0} (derived data: 'planledger snapshot --rebuild' replaces it)"
    )]
    ActionIndex(#[source] IndexFault),
    /// sled could not open or read its files: the damage is below the
    /// chain, in the storage engine's own files.
    #[error("{} {fault}", .file.display())]
    StorageUnreadable {
        /// The sled file found at fault (`db` when no other is).
        file: PathBuf,
        fault: StorageFault,
        #[source]
        source: sled::Error,
    },
    /// sled opened its files and found nothing in them: a damaged header
    /// makes sled start an empty database over the old one.
    #[error(
        "{} holds no ledger: no format version and no events (the file is damaged, or an interrupted 'planledger init' left it; nothing was written over it)",
        .file.display()
    )]
    StorageEmpty { file: PathBuf },
}

impl DamageKind {
    /// True for damage in sled's own files rather than at an event.
    pub fn is_storage(&self) -> bool {
        matches!(
            self,
            DamageKind::StorageUnreadable { .. } | DamageKind::StorageEmpty { .. }
        )
    }
}

/// What is wrong with a sled file, in words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StorageFault {
    #[error(
        "holds data the storage engine cannot read (the database file is damaged or truncated)"
    )]
    Database,
    #[error("is not the storage engine's configuration (its contents were changed)")]
    Config,
    #[error("is too short to be a snapshot of the storage engine's page table (it is truncated)")]
    SnapshotTruncated,
    #[error("does not match its checksum (a damaged snapshot of the storage engine's page table)")]
    SnapshotChecksum,
}

/// " at sequence 4", or nothing for damage in sled's own files.
struct AtSeq<'a>(u64, &'a DamageKind);

impl std::fmt::Display for AtSeq<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.1.is_storage() {
            Ok(())
        } else {
            write!(f, " at sequence {}", self.0)
        }
    }
}

/// " (waited 60 s)", or nothing for a wait under a second.
struct Waited(Duration);

impl std::fmt::Display for Waited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.as_secs() {
            0 => Ok(()),
            secs => write!(f, " (waited {secs} s)"),
        }
    }
}

/// " (12 KiB free; a write leaves at least 1024 KiB)", or nothing.
struct FreeSpace(Option<u64>);

impl std::fmt::Display for FreeSpace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(free) => write!(
                f,
                " ({} KiB free; a write leaves at least {} KiB)",
                free / 1024,
                MIN_FREE_BYTES / 1024
            ),
            None => Ok(()),
        }
    }
}

/// A sled error in words a user can read: never its Debug text (a file
/// offset as `Some(Inline(348))`, "backtrace ()").
struct EngineText<'a>(&'a sled::Error);

impl std::fmt::Display for EngineText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            sled::Error::Io(e) => write!(f, "{e}"),
            sled::Error::Corruption { .. } => {
                f.write_str("it read corrupted data (run 'planledger verify')")
            }
            sled::Error::ReportableBug(_) => {
                f.write_str("it found its files inconsistent (run 'planledger verify')")
            }
            sled::Error::Unsupported(what) => write!(f, "Unsupported: {what}"),
            sled::Error::CollectionNotFound(_) => f.write_str("a tree it expected is missing"),
        }
    }
}

/// True for a sled error that means its files are damaged, as opposed to
/// an I/O problem of the moment (permission denied, a full disk).
fn is_engine_damage(e: &sled::Error) -> bool {
    match e {
        sled::Error::Io(io) => matches!(
            io.kind(),
            io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidData
        ),
        sled::Error::Corruption { .. }
        | sled::Error::ReportableBug(_)
        | sled::Error::Unsupported(_)
        | sled::Error::CollectionNotFound(_) => true,
    }
}

impl StoreError {
    /// True when the ledger's stored data is damaged (an integrity
    /// failure), as opposed to a refusal or a problem of the moment.
    pub fn is_damage(&self) -> bool {
        match self {
            StoreError::Damaged { .. } => true,
            StoreError::Sled(e) => is_engine_damage(e),
            _ => false,
        }
    }

    /// The damage this error reports, for a `verify` report; the error
    /// itself when it is no damage. A sled error met while reading is
    /// placed in the data file `sled/db` of the ledger at `dir`.
    pub fn into_damage(self, dir: &Path) -> Result<DamageKind, StoreError> {
        match self {
            StoreError::Damaged { kind, .. } => Ok(kind),
            StoreError::Sled(source) if is_engine_damage(&source) => {
                Ok(DamageKind::StorageUnreadable {
                    file: dir.join(SLED_DIR).join("db"),
                    fault: StorageFault::Database,
                    source,
                })
            }
            other => Err(other),
        }
    }
}

/// A head sequence number in words: "at event 3", or "empty".
struct HeadAt(Option<u64>);

impl std::fmt::Display for HeadAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(seq) => write!(f, "at event {seq}"),
            None => f.write_str("empty"),
        }
    }
}

/// " (the next stored is event 7)", or nothing.
struct NextStored(Option<u64>);

impl std::fmt::Display for NextStored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(seq) => write!(f, " (the next stored is event {seq})"),
            None => Ok(()),
        }
    }
}

/// The last event of the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    pub seq: u64,
    pub hash: Hash,
    pub tx: u64,
    pub recorded_at: Micros,
}

impl Head {
    fn to_bytes(self) -> [u8; HEAD_LEN] {
        let mut out = [0; HEAD_LEN];
        out[..8].copy_from_slice(&self.seq.to_be_bytes());
        out[8..40].copy_from_slice(&self.hash);
        out[40..48].copy_from_slice(&self.tx.to_be_bytes());
        out[48..].copy_from_slice(&self.recorded_at.to_be_bytes());
        out
    }

    fn from_bytes(bytes: &[u8]) -> Option<Head> {
        if bytes.len() != HEAD_LEN {
            return None;
        }
        let u64_at = |i: usize| u64::from_be_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
        Some(Head {
            seq: u64_at(0),
            hash: bytes[8..40].try_into().expect("32 bytes"),
            tx: u64_at(40),
            recorded_at: u64_at(48) as i64,
        })
    }
}

/// One event as a fold reads it ([`Store::fold_from`]): what
/// [`StoredEvent`] holds but copies of its stored bytes and texts.
#[derive(Clone, Debug)]
pub struct Folded {
    pub seq: u64,
    pub hash: Hash,
    /// The length of its sealed record bytes.
    pub len: usize,
    pub record: Record,
}

/// How many events each thread of [`Store::fold_from`] reads at a time.
pub const FOLD_BLOCK: u64 = 4096;

/// One event as read back: its place in the chain and its decoded record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    pub seq: u64,
    pub prev: Hash,
    pub hash: Hash,
    pub subject: Subject,
    /// The sealed record bytes the chain hashes.
    pub bytes: Vec<u8>,
    /// The free texts as stored apart from the record: words with their
    /// salts, or the mark of an erasure.
    pub texts: Vec<StoredText>,
    /// The record with its free texts (an erased text reads as who erased
    /// it, when and why).
    pub record: Record,
}

/// What one transaction will append, before the store numbers it.
#[derive(Clone, Debug)]
pub struct PendingTx {
    pub actor: String,
    pub recorded_at: Micros,
    pub clock: ClockNote,
    pub summary: String,
    pub events: Vec<PendingEvent>,
    /// The salts of the transaction's free texts, in order, where they are
    /// given (a signed request committed to its texts with them); `None`:
    /// fresh random salts.
    pub salts: Option<Vec<Salt>>,
}

#[derive(Clone, Debug)]
pub struct PendingEvent {
    pub subject: Subject,
    pub effective: Option<crate::date::FuzzyDate>,
    pub source: Option<SourceRef>,
    pub event: Event,
}

/// How the `events` tree holds the events.
pub(crate) enum Layout {
    /// Format 3: blocks of [`BLOCK_EVENTS`] a key ([`block`]).
    Blocks,
    /// Formats 1 and 2 (read only by `planledger upgrade`): one event a
    /// key, its texts in the `texts` tree, where there is one.
    OneAKey { texts: Option<Tree> },
}

impl Layout {
    /// The layout of `db`, whose `meta` tree is `meta`: one event a key
    /// where it states format 1 or 2, blocks otherwise (a new ledger, or
    /// one whose version is damaged or unknown, which is refused or
    /// reported elsewhere).
    fn of(db: &sled::Db, meta: &Tree) -> Result<Layout, StoreError> {
        let version = meta.get(FORMAT_KEY)?;
        let version = version
            .as_deref()
            .and_then(|v| <[u8; 4]>::try_from(v).ok())
            .map(u32::from_be_bytes);
        Ok(match version {
            Some(1 | 2) => Layout::OneAKey {
                texts: open_if_present(db, TEXTS_TREE)?.into_inner(),
            },
            _ => Layout::Blocks,
        })
    }
}

/// Bytes of a stored value: all of a sled value, or a piece of a block.
#[derive(Clone)]
pub(crate) struct Piece {
    bytes: sled::IVec,
    range: std::ops::Range<usize>,
}

impl Piece {
    fn whole(bytes: sled::IVec) -> Piece {
        let range = 0..bytes.len();
        Piece { bytes, range }
    }
}

impl std::ops::Deref for Piece {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes[self.range.clone()]
    }
}

/// One stored event as read: its seq, its stored value (hash ‖ subject ‖
/// sealed record) and its stored texts, if it has any.
pub(crate) struct Stored {
    pub seq: u64,
    pub value: Piece,
    pub texts: Option<Piece>,
}

/// An open ledger directory, locked for this process.
pub struct Store {
    dir: PathBuf,
    db: sled::Db,
    /// Format 3: blocks of events ([`block`]); formats 1 and 2 (read only
    /// by `planledger upgrade`): one event a key.
    events: Tree,
    layout: Layout,
    meta: Tree,
    txs: Tree,
    snapshots: Tree,
    /// The action index (derived data, [`action_index`]): set on open where
    /// the tree exists, and by the first write to it otherwise, so that a
    /// reader never makes it.
    actions: std::sync::OnceLock<Tree>,
    /// Snapshots in parts (derived data, [`snapshot_parts`]): set as
    /// `actions` is.
    snapshot_parts: std::sync::OnceLock<Tree>,
    // Fields drop in order: sled first, then the refresh (which reopens
    // sled once if this store wrote), then the lock.
    refresh: SnapshotRefresh,
    /// Set when the ledger was opened from a copy of its files in the
    /// temporary directory: such a store reads, and refuses every write (it
    /// would go to the copy).
    copy: Option<Aside>,
    // Held for the life of the store; the OS releases the lock on close.
    // `None` only for a copy opened where no `LOCK` file was.
    _lock: Option<File>,
}

/// A copy of a ledger's sled files in the temporary directory, removed when
/// the store is dropped, and why the ledger is read from it.
struct Aside {
    dir: tempfile::TempDir,
    why: AsideWhy,
}

#[derive(Clone, Copy)]
enum AsideWhy {
    /// The disk is too full for sled to open the files in place.
    DiskFull,
    /// The ledger cannot be written by this process, or is read by a
    /// command that must leave it exactly as it was.
    ReadOnly(ReadOnly),
}

/// Who opens a ledger, which decides what happens where it cannot be
/// written (see [`Store::open_to_read_waiting`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    /// A command that may write: it opens the ledger's own files, or is
    /// refused with [`StoreError::ReadOnly`].
    Write,
    /// A command that only reads: where the ledger cannot be written, it
    /// reads a copy of its files.
    Read,
}

/// Where an open goes once it has tried to open `LOCK` to write it (see
/// [`route`]).
#[derive(Debug)]
enum Route {
    /// `LOCK` opened for writing: take the exclusive lock and open the
    /// ledger's own files.
    InPlace(File),
    /// This process cannot write `LOCK`, and only reads: read a copy.
    ReadOnly(ReadOnly),
}

/// Leaves sled's snapshot of its page table current after a write.
///
/// sled 0.34.7 writes that snapshot only while opening, and only when its
/// log has grown since the last one: so the first open after a write, even
/// by a reader, has to write a file, and fails on a full disk. sled has no
/// setting to avoid it (`Config::snapshot_after_ops` and `snapshot_path`
/// do nothing in 0.34.7, and there is no read-only mode). So a store that
/// wrote reopens sled once as it closes, still holding the ledger's lock:
/// the snapshot is then written by the writer, and the next reader finds
/// nothing to write. A failure here is harmless: the next open writes the
/// snapshot itself, and removes any temporary file left behind.
struct SnapshotRefresh {
    sled_dir: PathBuf,
    wrote: AtomicBool,
}

impl Drop for SnapshotRefresh {
    fn drop(&mut self) {
        if self.wrote.load(Ordering::Relaxed) {
            let _ = open_sled(&self.sled_dir);
        }
    }
}

impl Store {
    /// Creates the ledger directory and its empty database, in a directory
    /// that is new or empty (never over anything already there). The caller
    /// appends the genesis event.
    pub fn create(dir: &Path) -> Result<Store, StoreError> {
        Store::create_waiting(dir, LockWait::moment())
    }

    /// [`Store::create`], waiting for another process as `wait` says.
    pub fn create_waiting(dir: &Path, wait: LockWait<'_>) -> Result<Store, StoreError> {
        if !Store::check_new_or_empty(dir)? {
            fs::create_dir_all(dir).map_err(|source| io_error(dir, source))?;
        }
        let store = Store::open_unchecked(dir, wait, Access::Write)?;
        // Another `init` may have got here first, between the check above
        // and the lock.
        if !store.events.is_empty() || store.meta.get(FORMAT_KEY)?.is_some() {
            return Err(StoreError::AlreadyExists {
                path: dir.to_path_buf(),
            });
        }
        Ok(store)
    }

    /// Checks that a new ledger may be made at `dir`: it is not there
    /// (`false`), or it is an empty directory (`true`). Writes nothing.
    pub fn check_new_or_empty(dir: &Path) -> Result<bool, StoreError> {
        let path = || dir.to_path_buf();
        match fs::symlink_metadata(dir) {
            Ok(m) if m.is_dir() || (m.is_symlink() && dir.is_dir()) => {
                let mut entries = fs::read_dir(dir).map_err(|source| io_error(dir, source))?;
                if entries.next().is_some() {
                    return Err(if dir.join(SLED_DIR).exists() {
                        StoreError::AlreadyExists { path: path() }
                    } else {
                        StoreError::NotEmpty { path: path() }
                    });
                }
                Ok(true)
            }
            Ok(_) => Err(StoreError::NotADirectory { path: path() }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(io_error(dir, source)),
        }
    }

    /// Opens an existing ledger, for a command that may write, and checks
    /// its format version. A ledger this process cannot write is refused
    /// with [`StoreError::ReadOnly`], before anything is written.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Store::open_waiting(dir, LockWait::moment())
    }

    /// [`Store::open`], waiting for another process as `wait` says.
    pub fn open_waiting(dir: &Path, wait: LockWait<'_>) -> Result<Store, StoreError> {
        Store::open_checked(dir, wait, Access::Write)
    }

    /// Opens an existing ledger for a command that only reads it, and
    /// checks its format version. A ledger this process can write is opened
    /// as [`Store::open_waiting`] opens it. One it cannot write (a
    /// read-only copy, share or mount) is read from a copy of its sled
    /// files in the temporary directory, under a shared lock on `LOCK`
    /// where there is one, and nothing in its directory is changed (see
    /// [`Store::open_copy_waiting`]).
    ///
    /// The choice is made on an attempt, not a guess: the open tries to
    /// open (or create) `LOCK` to write it, as every open does, and takes
    /// the read-only path only when that is denied (`EACCES`, `EPERM`) or
    /// the file system is read-only (`EROFS`), or, holding the exclusive
    /// lock, when sled's files or a stopped rewrite's leftovers cannot be
    /// written. Permission bits are not asked about beforehand: `root`
    /// ignores them, and a check is stale by the time it is acted on.
    pub fn open_to_read_waiting(dir: &Path, wait: LockWait<'_>) -> Result<Store, StoreError> {
        Store::open_checked(dir, wait, Access::Read)
    }

    fn open_checked(dir: &Path, wait: LockWait<'_>, access: Access) -> Result<Store, StoreError> {
        let mut store = Store::open_tolerant(dir, wait, access)?;
        store.format_version()?;
        store.finish_owed_rewrite()?;
        Ok(store)
    }

    /// Opens a ledger whose format version may be missing or unreadable
    /// (damage that `verify` reports), but not one of another version. For
    /// `verify`, which only reads: a ledger this process cannot write is
    /// read from a copy, as [`Store::open_to_read_waiting`] does.
    pub fn open_for_verify(dir: &Path) -> Result<Store, StoreError> {
        Store::open_for_verify_waiting(dir, LockWait::moment())
    }

    /// [`Store::open_for_verify`], waiting for another process as `wait`
    /// says.
    pub fn open_for_verify_waiting(dir: &Path, wait: LockWait<'_>) -> Result<Store, StoreError> {
        Store::open_tolerant(dir, wait, Access::Read)
    }

    /// Opens the ledger for `access`, tolerating the damage `verify`
    /// reports in the format version (but not sled files that hold
    /// nothing).
    fn open_tolerant(dir: &Path, wait: LockWait<'_>, access: Access) -> Result<Store, StoreError> {
        if committed_database(dir)?.is_none() {
            return Err(StoreError::NotALedger {
                path: dir.to_path_buf(),
            });
        }
        let store = Store::open_unchecked(dir, wait, access)?;
        match store.format_version() {
            // Files with nothing in them: there is no chain to check.
            Err(
                e @ StoreError::Damaged {
                    kind: DamageKind::StorageEmpty { .. },
                    ..
                },
            ) => Err(e),
            Err(StoreError::Damaged { .. }) | Ok(()) => Ok(store),
            Err(e) => Err(e),
        }
    }

    /// Checks the stored format version: this version is fine; another
    /// version is [`StoreError::UnknownFormat`]; none at all is damage,
    /// whether events are stored (the version was lost) or not (sled found
    /// nothing in its files: a damaged header, or an `init` that never
    /// finished).
    pub fn format_version(&self) -> Result<(), StoreError> {
        let path = || self.dir.to_path_buf();
        match self.stored_format_version()? {
            FORMAT_VERSION => Ok(()),
            found if found < FORMAT_VERSION => Err(StoreError::OldFormat {
                path: path(),
                found,
            }),
            found => Err(StoreError::UnknownFormat {
                path: path(),
                found,
            }),
        }
    }

    /// The format version the ledger states, whatever it is; none, or one
    /// that is not four bytes, is damage (as [`Store::format_version`]
    /// says).
    pub fn stored_format_version(&self) -> Result<u32, StoreError> {
        match self.meta.get(FORMAT_KEY)? {
            Some(v) => match <[u8; 4]>::try_from(v.as_ref()) {
                Ok(b) => Ok(u32::from_be_bytes(b)),
                Err(_) => Err(StoreError::Damaged {
                    seq: 0,
                    kind: DamageKind::FormatVersionUnreadable { stored: v.to_vec() },
                }),
            },
            None if self.events.is_empty() => Err(StoreError::Damaged {
                seq: 0,
                kind: DamageKind::StorageEmpty {
                    file: self.dir.join(SLED_DIR).join("db"),
                },
            }),
            None => Err(StoreError::Damaged {
                seq: 0,
                kind: DamageKind::FormatVersionMissing,
            }),
        }
    }

    /// Opens the ledger at `dir` to read it while writing nothing there:
    /// how `planledger upgrade` reads a ledger of an earlier format, which
    /// it must leave exactly as it was, and how a command that only reads
    /// opens a ledger it cannot write ([`Store::open_to_read_waiting`]).
    /// The format version is the caller's to read
    /// ([`Store::stored_format_version`]); every write is refused.
    pub fn open_copy_waiting(dir: &Path, wait: LockWait<'_>) -> Result<Store, StoreError> {
        if committed_database(dir)?.is_none() {
            return Err(StoreError::NotALedger {
                path: dir.to_path_buf(),
            });
        }
        Store::open_read_only(dir, wait, ReadOnly::Opened)
    }

    /// Reads the ledger at `dir` from a copy of its sled files, creating,
    /// changing and removing nothing there.
    ///
    /// - **The lock.** Where `LOCK` is there, it is opened read-only
    ///   (`O_NOFOLLOW`: a link is refused) and a *shared* lock taken on it,
    ///   waiting as `wait` says: `flock` needs no write access, a writer's
    ///   exclusive lock excludes it (so the copy is never taken while a
    ///   writer is mid-transaction), and readers of a read-only ledger do
    ///   not exclude one another.
    /// - **No `LOCK`.** A ledger with no `LOCK` is read without a lock, and
    ///   that is sound: every planledger creates `LOCK` before it opens
    ///   sled and none ever removes it, so while there is no `LOCK` no
    ///   planledger has the ledger open. The copy is made between two looks
    ///   that both find no `LOCK`; a writer that began in between made
    ///   `LOCK` first, so the second look sees it, and then the copy is
    ///   dropped and made again under the lock. This process cannot make
    ///   `LOCK` itself (a reader comes here only when creating it was
    ///   denied, or the file system is read-only; `upgrade` never creates
    ///   it). What no lock can guard against, here or anywhere, is a
    ///   program other than planledger writing sled's files, or `LOCK`
    ///   removed while a writer holds it.
    /// - **Leftovers.** Nothing a stopped process left is finished or
    ///   removed: a read-only ledger waits for a writer to open it. The copy
    ///   is of the committed database ([`committed_database`]): `sled/`, or
    ///   `sled.new/` where a rewrite stopped between its two renames left
    ///   only that; `sled.tmp/` (an unfinished copy) and `sled.old/` are
    ///   never read, and sled's partial `snap.*.generating` files are left
    ///   out of the copy. A redaction's rewrite still owed stays owed: the
    ///   reader sees the words erased, as every reader does, but they may
    ///   remain in superseded values in `sled/`'s files (and so, for the
    ///   life of the store, in the copy) until a writer opens the ledger.
    ///   Snapshots are neither saved nor dropped in the ledger (a snapshot
    ///   written to the copy would be thrown away with it).
    /// - **The cost.** The copy is of every sled file, made on each open:
    ///   the temporary directory needs room for it (the size of `sled/`).
    ///   On the shipped demo ledger (528 KiB of sled files) it was lost in
    ///   the noise of a busy machine (0–10 ms on a 40 ms command); on a
    ///   20,000-event ledger (22 MiB), about 60 ms on `show`
    ///   (`BENCHMARKS.md`, "Reading a ledger one cannot write").
    fn open_read_only(dir: &Path, wait: LockWait<'_>, why: ReadOnly) -> Result<Store, StoreError> {
        let lock_path = dir.join(LOCK_FILE);
        let lock = match open_lock(&lock_path, false) {
            Ok(lock) => Some(lock),
            Err(StoreError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let (db, copy) = match lock {
            Some(lock) => {
                take_lock(&lock, dir, &lock_path, wait, Share::Shared)?;
                let (db, copy) = read_copy(dir)?;
                return Store::of(dir, db, Some(Aside::read_only(copy, why)), Some(lock));
            }
            None => read_copy(dir)?,
        };
        match fs::symlink_metadata(&lock_path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Store::of(dir, db, Some(Aside::read_only(copy, why)), None);
            }
            _ => {}
        }
        // A writer began while the copy was made: read again, under the
        // lock.
        drop(db);
        drop(copy);
        let lock = open_lock(&lock_path, false)?;
        take_lock(&lock, dir, &lock_path, wait, Share::Shared)?;
        let (db, copy) = read_copy(dir)?;
        Store::of(dir, db, Some(Aside::read_only(copy, why)), Some(lock))
    }

    fn open_unchecked(dir: &Path, wait: LockWait<'_>, access: Access) -> Result<Store, StoreError> {
        let lock_path = dir.join(LOCK_FILE);
        let lock = match route(access, dir, open_lock(&lock_path, true))? {
            Route::InPlace(lock) => lock,
            Route::ReadOnly(why) => return Store::open_read_only(dir, wait, why),
        };
        take_lock(&lock, dir, &lock_path, wait, Share::Exclusive)?;
        // Holding the exclusive lock from here: a copy read now is of the
        // ledger as its last writer left it.
        let in_place = recover_rewrite(dir).and_then(|()| {
            let sled_dir = dir.join(SLED_DIR);
            sled_leftovers(&sled_dir, Leftovers::Remove)?;
            open_sled(&sled_dir).map_err(|e| open_error(dir, &sled_dir, e))
        });
        let (db, copy) = match in_place {
            Ok(db) => (db, None),
            Err(e) => match (denied(&e), access) {
                // sled's files, or a stopped rewrite's leftovers, cannot be
                // written by this process, which only reads: read a copy.
                (Some(why), Access::Read) => {
                    let (db, copy) = read_copy(dir)?;
                    (db, Some(Aside::read_only(copy, why)))
                }
                (Some(why), Access::Write) => {
                    return Err(StoreError::ReadOnly {
                        path: dir.to_path_buf(),
                        why,
                    });
                }
                // sled must write to open a ledger whose last writer was
                // stopped before it closed, and the disk is full: read from
                // a copy elsewhere, so that no one is locked out of reading.
                (None, _) if matches!(e, StoreError::DiskFull { .. }) => {
                    match open_copy(&dir.join(SLED_DIR)) {
                        Ok((db, copy)) => (
                            db,
                            Some(Aside {
                                dir: copy,
                                why: AsideWhy::DiskFull,
                            }),
                        ),
                        Err(_) => return Err(e),
                    }
                }
                (None, _) => return Err(e),
            },
        };
        Store::of(dir, db, copy, Some(lock))
    }

    fn of(
        dir: &Path,
        db: sled::Db,
        copy: Option<Aside>,
        lock: Option<File>,
    ) -> Result<Store, StoreError> {
        let meta = db.open_tree(META_TREE)?;
        let layout = Layout::of(&db, &meta)?;
        Ok(Store {
            dir: dir.to_path_buf(),
            events: db.open_tree(EVENTS_TREE)?,
            layout,
            meta,
            txs: db.open_tree(TXS_TREE)?,
            snapshots: db.open_tree(SNAPSHOTS_TREE)?,
            actions: open_if_present(&db, action_index::ACTIONS_TREE)?,
            snapshot_parts: open_if_present(&db, snapshot_parts::SNAPSHOT_PARTS_TREE)?,
            db,
            refresh: SnapshotRefresh {
                // Where sled was opened: a store read from a copy never
                // opens the ledger's own files.
                sled_dir: copy
                    .as_ref()
                    .map_or_else(|| dir.join(SLED_DIR), |c| c.dir.path().join(SLED_DIR)),
                wrote: AtomicBool::new(false),
            },
            copy,
            _lock: lock,
        })
        .and_then(|store| {
            store.discard_unfinished_append()?;
            Ok(store)
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// True when the ledger is read from a copy of its files (it cannot be
    /// written by this process, or the disk is full): every write is
    /// refused, and derived data such as snapshots is not worth saving.
    pub fn reads_a_copy(&self) -> bool {
        self.copy.is_some()
    }

    /// The refusal of a write to a store that reads a copy.
    fn refusal(&self) -> Option<StoreError> {
        let aside = self.copy.as_ref()?;
        Some(match aside.why {
            AsideWhy::DiskFull => StoreError::DiskFull {
                path: self.dir.clone(),
                free: fs2::available_space(self.dir.join(SLED_DIR)).ok(),
            },
            AsideWhy::ReadOnly(why) => StoreError::ReadOnly {
                path: self.dir.clone(),
                why,
            },
        })
    }

    /// The head as the `meta` tree states it; `None` for a ledger with no
    /// events yet.
    pub fn head(&self) -> Result<Option<Head>, StoreError> {
        match self.meta.get(HEAD_KEY)? {
            None => Ok(None),
            Some(bytes) => Head::from_bytes(&bytes)
                .map(Some)
                .ok_or(StoreError::Damaged {
                    seq: 0,
                    kind: DamageKind::HeadLength { len: bytes.len() },
                }),
        }
    }

    /// Appends one transaction atomically and durably. `expected` is the
    /// head sequence number the caller validated against; if the ledger has
    /// moved on, nothing is written.
    ///
    /// A `Redacted` event erases the texts it names in the same sled
    /// transaction (each becomes [`StoredText::Erased`], naming the
    /// redaction), scrubs the words from its target's transaction summary,
    /// and marks the database as owing a rewrite; the append then returns
    /// only after [`Store::rewrite`] has swapped in a database that never
    /// held the words. A redaction is refused beforehand, writing nothing,
    /// when the disk has no room for that copy.
    pub fn append(
        &mut self,
        expected: Option<u64>,
        tx: PendingTx,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.check_free_space()?;
        let redacts = tx
            .events
            .iter()
            .any(|e| matches!(e.event, Event::Redacted { .. }));
        if redacts {
            self.check_rewrite_space()?;
        }
        let head = self.head()?;
        if head.map(|h| h.seq) != expected {
            return Err(StoreError::Conflict {
                expected,
                found: head.map(|h| h.seq),
            });
        }
        let tx_number = head.map_or(0, |h| h.tx + 1);
        let mut prev = head.map_or(GENESIS_PREV, |h| h.hash);
        let first_seq = head.map_or(0, |h| h.seq + 1);
        let mut salts = match tx.salts {
            None => Salts::new()?,
            Some(given) => {
                let texts: usize = tx.events.iter().map(|e| e.event.texts().len()).sum();
                if texts != given.len() {
                    return Err(StoreError::SaltCount {
                        texts,
                        salts: given.len(),
                    });
                }
                Salts::given(given)
            }
        };
        let mut written = Vec::with_capacity(tx.events.len());
        let mut texts = Vec::new();
        for (seq, pending) in (first_seq..).zip(tx.events) {
            let record = Record {
                tx: tx_number,
                recorded_at: tx.recorded_at,
                clock: tx.clock,
                actor: tx.actor.clone(),
                effective: pending.effective,
                source: pending.source,
                event: pending.event,
            };
            let sealed = codec::encode_record(&record, || salts.next())?;
            let digest = chain::record_digest(&sealed.record);
            let hash = chain::event_hash(&prev, seq, pending.subject, &digest);
            let stored = codec::decode_texts(sealed.texts.as_deref())?;
            if let Some(bytes) = sealed.texts {
                texts.push((seq, bytes));
            }
            written.push(StoredEvent {
                seq,
                prev,
                hash,
                subject: pending.subject,
                bytes: sealed.record,
                texts: stored,
                record,
            });
            prev = hash;
        }
        let (Some(first), Some(last)) = (written.first(), written.last()) else {
            return Ok(written);
        };
        let new_head = Head {
            seq: last.seq,
            hash: last.hash,
            tx: tx_number,
            recorded_at: tx.recorded_at,
        };
        let tx_bytes = codec::encode(&TxRecord {
            first_seq: first.seq,
            last_seq: last.seq,
            actor: tx.actor,
            recorded_at: tx.recorded_at,
            clock: tx.clock,
            summary: tx.summary,
            head_hash: last.hash,
        })?;
        let is_genesis = first.seq == 0;
        let redactions: Vec<(u64, u64, &[u32])> = written
            .iter()
            .filter_map(|e| {
                if let Event::Redacted { event, slots, .. } = &e.record.event {
                    Some((e.seq, *event, slots.as_slice()))
                } else {
                    None
                }
            })
            .collect();

        // A transaction too big for one sled transaction (never one that
        // redacts, which is small) goes in parts: all but the last leave the
        // head where it is, under a mark that lets the next open remove them
        // should the process stop before the last.
        let parted = redactions.is_empty() && written.len() > APPEND_PART_EVENTS;
        let last_part = if parted {
            (written.len() - 1) / APPEND_PART_EVENTS * APPEND_PART_EVENTS
        } else {
            0
        };
        if parted {
            let mark = [first.seq.to_be_bytes(), last.seq.to_be_bytes()].concat();
            for (i, part) in written[..last_part].chunks(APPEND_PART_EVENTS).enumerate() {
                if let Err(e) =
                    self.append_part(expected, part, &texts, (i == 0).then_some(&mark[..]))
                {
                    // Best effort: the next open removes what is left.
                    let _ = self.discard_unfinished_append();
                    return Err(e);
                }
            }
        }
        let final_part = &written[last_part..];
        let final_texts = texts_of(&texts, final_part);

        let trees = (&self.events, &self.meta, &self.txs);
        let result = trees.transaction(|(events, meta, txs)| {
            head_unmoved(meta, expected)?;
            if parted {
                meta.remove(APPENDING_KEY)?;
            }
            insert_events(events, final_part, final_texts)?;
            for &(by, target, slots) in &redactions {
                erase(events, txs, by, target, slots)?;
            }
            if let Some(&(by, _, _)) = redactions.last() {
                meta.insert(REWRITE_KEY, &by.to_be_bytes())?;
            }
            if is_genesis {
                meta.insert(FORMAT_KEY, &FORMAT_VERSION.to_be_bytes())?;
            }
            meta.insert(HEAD_KEY, &new_head.to_bytes()[..])?;
            txs.insert(&tx_number.to_be_bytes(), tx_bytes.as_slice())?;
            Ok(())
        });
        if let Err(e) = result {
            if parted {
                // Best effort: the next open removes what is left.
                let _ = self.discard_unfinished_append();
            }
            return Err(self.append_error(expected, e));
        }
        self.refresh.wrote.store(true, Ordering::Relaxed);
        self.sync()?;
        if let Some(&(by, _, _)) = redactions.last() {
            self.rewrite()
                .map_err(|source| StoreError::RewriteUnfinished {
                    seq: by,
                    source: Box::new(source),
                })?;
        }
        self.index_written(&written);
        Ok(written)
    }

    /// Writes one part of a transaction written in parts (not its last):
    /// its events and their texts, the head left where it is; with `mark`,
    /// the [`APPENDING_KEY`] mark too (the first part).
    fn append_part(
        &self,
        expected: Option<u64>,
        part: &[StoredEvent],
        texts: &[(u64, Vec<u8>)],
        mark: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        let part_texts = texts_of(texts, part);
        let trees = (&self.events, &self.meta);
        let result = trees.transaction(|(events, meta)| {
            head_unmoved(meta, expected)?;
            if let Some(mark) = mark {
                meta.insert(APPENDING_KEY, mark)?;
            }
            insert_events(events, part, part_texts)
        });
        result.map_err(|e| self.append_error(expected, e))
    }

    /// Writes into this new, empty store everything `old` holds, `old`
    /// being a ledger in format 2 (read from a copy): its events and their
    /// texts in blocks, every other tree as it is, and format 3 stated.
    /// The same bytes, so the same hashes: every checkpoint and pack of
    /// the old ledger is one of this. Returns how many events were
    /// written, once they are durable. The caller checks both ledgers.
    pub fn copy_from_format2(&self, old: &Store) -> Result<u64, StoreError> {
        if let Some(refused) = self.refusal() {
            return Err(refused);
        }
        if !self.events.is_empty() || !matches!(old.layout, Layout::OneAKey { .. }) {
            return Err(StoreError::UnknownFormat {
                path: old.dir.clone(),
                found: old.stored_format_version()?,
            });
        }
        for name in old.db.tree_names() {
            let skipped = [EVENTS_TREE, TEXTS_TREE, "__sled__default"];
            if skipped.iter().any(|s| s.as_bytes() == &name[..]) {
                continue;
            }
            let is_meta = name == META_TREE.as_bytes();
            let into = self.db.open_tree(&name)?;
            for item in old.db.open_tree(&name)?.iter() {
                let (key, value) = item?;
                if is_meta && [FORMAT_KEY, REWRITE_KEY, APPENDING_KEY].contains(&&key[..]) {
                    continue;
                }
                into.insert(key, value).map_err(|e| self.engine_error(e))?;
            }
        }
        let mut written = 0u64;
        let mut block = Vec::new();
        let mut key = 0;
        for stored in old.stored_from(0) {
            let stored = stored?;
            if stored.seq != written {
                return Err(StoreError::Damaged {
                    seq: written,
                    kind: DamageKind::EventMissing {
                        next_stored: Some(stored.seq),
                    },
                });
            }
            if block::block_key(stored.seq) != key {
                self.events
                    .insert(key.to_be_bytes(), std::mem::take(&mut block))
                    .map_err(|e| self.engine_error(e))?;
                key = block::block_key(stored.seq);
            }
            block::push(&mut block, &stored.value, stored.texts.as_deref());
            written += 1;
        }
        if !block.is_empty() {
            self.events
                .insert(key.to_be_bytes(), block)
                .map_err(|e| self.engine_error(e))?;
        }
        self.meta
            .insert(FORMAT_KEY, &FORMAT_VERSION.to_be_bytes())
            .map_err(|e| self.engine_error(e))?;
        self.refresh.wrote.store(true, Ordering::Relaxed);
        self.sync()?;
        Ok(written)
    }

    /// What a failed sled transaction of an append means to its caller,
    /// who expected the head at `expected`.
    fn append_error(&self, expected: Option<u64>, e: TransactionError<Abort>) -> StoreError {
        match e {
            TransactionError::Abort(Abort::Moved(found)) => {
                StoreError::Conflict { expected, found }
            }
            TransactionError::Abort(Abort::Damaged { seq, kind }) => {
                StoreError::Damaged { seq, kind }
            }
            TransactionError::Storage(e) => self.engine_error(e),
        }
    }

    /// Removes the parts of a transaction whose writing stopped before its
    /// last part (the [`APPENDING_KEY`] mark, with the head still before
    /// its first event): events no one was ever told were written. Called
    /// on every open, and by an append that fails part-way. A mark that
    /// does not fit the head is left as it is, for `verify` to name what
    /// is wrong; nothing acknowledged is ever removed.
    fn discard_unfinished_append(&self) -> Result<(), StoreError> {
        let Some(mark) = self.meta.get(APPENDING_KEY)? else {
            return Ok(());
        };
        let (Some(first), Some(last)) = (
            mark.get(..8).and_then(decode_seq),
            mark.get(8..).and_then(decode_seq),
        ) else {
            return Ok(());
        };
        let next = match self.head() {
            Ok(head) => head.map_or(0, |h| h.seq + 1),
            Err(_) => return Ok(()),
        };
        if next != first || last < first {
            return Ok(());
        }
        // From the end back, so that a process stopped here leaves a mark
        // and the events before what it removed: the next open goes on.
        match &self.layout {
            Layout::Blocks => {
                let keys: Vec<u64> = (block::block_key(first)..=last)
                    .step_by(BLOCK_EVENTS as usize)
                    .collect();
                for key in keys.into_iter().rev() {
                    let Some(value) = self.events.get(key.to_be_bytes())? else {
                        continue;
                    };
                    if key >= first {
                        self.events.remove(key.to_be_bytes())?;
                    } else if let Some(kept) = cut_block(key, &value, first) {
                        self.events.insert(key.to_be_bytes(), kept)?;
                    }
                    // A block before `first` whose framing fails before it
                    // is left for `verify` to name.
                }
            }
            Layout::OneAKey { texts } => {
                for seq in (first..=last).rev() {
                    self.events.remove(seq.to_be_bytes())?;
                    if let Some(texts) = texts {
                        texts.remove(seq.to_be_bytes())?;
                    }
                }
            }
        }
        self.meta.remove(APPENDING_KEY)?;
        if self.copy.is_some() {
            self.db.flush().map_err(|e| self.engine_error(e))?;
            Ok(())
        } else {
            self.refresh.wrote.store(true, Ordering::Relaxed);
            self.sync()
        }
    }

    /// Refuses a redaction when the disk could not hold the copy its
    /// rewrite makes (at most the size of `sled/` now) and still leave
    /// [`MIN_FREE_BYTES`]. If the free space cannot be read, it goes ahead.
    fn check_rewrite_space(&self) -> Result<(), StoreError> {
        let sled_dir = self.dir.join(SLED_DIR);
        let needed =
            dir_size(&sled_dir).map_err(|source| io_error(&sled_dir, source))? + MIN_FREE_BYTES;
        match fs2::available_space(&sled_dir) {
            Ok(free) if free < needed => Err(StoreError::NoRoomToRewrite {
                path: self.dir.clone(),
                needed,
                free,
            }),
            _ => Ok(()),
        }
    }

    /// Rewrites the database so that no superseded value survives in its
    /// files: what makes a redaction's erasure real on the disk, not only
    /// in the trees. sled keeps a replaced value in its log until it
    /// cleans that segment, which may be never.
    ///
    /// Every tree but the snapshots (derived data, which held folded words;
    /// the ledger rebuilds it) is copied, key by key, into a new sled
    /// database in `sled.tmp/`, without the `rewrite` mark; its files are
    /// flushed and fsynced, and it is renamed `sled.new/`: the rename says
    /// it is complete. Then `sled/` becomes `sled.old/`, `sled.new/`
    /// becomes `sled/`, the ledger directory is fsynced, the store
    /// continues on the new database, and `sled.old/` is removed. A
    /// process stopped anywhere in this leaves either the old database
    /// (with its `rewrite` mark, so the next open rewrites it) or the new
    /// one, and the next open finishes the swap ([`recover_rewrite`]).
    /// Called only while holding the ledger's lock, after a sync.
    pub fn rewrite(&mut self) -> Result<(), StoreError> {
        if let Some(refused) = self.refusal() {
            return Err(refused);
        }
        let tmp = self.dir.join(SLED_TMP);
        let new = self.dir.join(SLED_NEW);
        let old = self.dir.join(SLED_OLD);
        remove_if_present(&tmp)?;
        if let Err(e) = self.copy_into(&tmp) {
            let _ = remove_if_present(&tmp);
            return Err(e);
        }
        rename(&tmp, &new)?;
        fsync_path(&self.dir)?;
        // The copy is complete: from here a stopped process leaves a swap
        // that the next open finishes.
        swap_in(&self.dir)?;
        let sled_dir = self.dir.join(SLED_DIR);
        let db = open_sled(&sled_dir).map_err(|e| open_error(&self.dir, &sled_dir, e))?;
        let trees = (
            db.open_tree(EVENTS_TREE)?,
            db.open_tree(META_TREE)?,
            db.open_tree(TXS_TREE)?,
            db.open_tree(SNAPSHOTS_TREE)?,
        );
        (self.events, self.meta, self.txs, self.snapshots) = trees;
        self.layout = Layout::of(&db, &self.meta)?;
        self.actions = open_if_present(&db, action_index::ACTIONS_TREE)?;
        self.snapshot_parts = open_if_present(&db, snapshot_parts::SNAPSHOT_PARTS_TREE)?;
        drop(std::mem::replace(&mut self.db, db));
        // sled lets go of its files a moment after its database is dropped;
        // removing them while it writes its last bytes would race it.
        wait_for_sled_release(&old);
        remove_if_present(&old)?;
        fsync_path(&self.dir)
    }

    /// Copies every tree but `snapshots` into a new sled database at `to`,
    /// leaving out the `rewrite` mark, and makes its files durable.
    fn copy_into(&self, to: &Path) -> Result<(), StoreError> {
        {
            let copy = open_sled(to).map_err(|e| self.engine_error(e))?;
            for name in self.db.tree_names() {
                if name == SNAPSHOTS_TREE.as_bytes()
                    || name == snapshot_parts::SNAPSHOT_PARTS_TREE.as_bytes()
                {
                    continue;
                }
                let is_meta = name == META_TREE.as_bytes();
                let from = self.db.open_tree(&name)?;
                let into = copy.open_tree(&name)?;
                for item in from.iter() {
                    let (key, value) = item?;
                    touch(&from, &key)?;
                    if is_meta && key == REWRITE_KEY {
                        continue;
                    }
                    into.insert(key, value).map_err(|e| self.engine_error(e))?;
                }
            }
            copy.flush().map_err(|e| self.engine_error(e))?;
        }
        wait_for_sled_release(to);
        sync_dir_files(to).map_err(|source| match source.kind() {
            io::ErrorKind::StorageFull => StoreError::DiskFull {
                path: self.dir.clone(),
                free: None,
            },
            _ => io_error(to, source),
        })
    }

    /// Finishes a rewrite a redaction owes (its `rewrite` mark is still in
    /// `meta`: the process that made it was stopped before the swap).
    /// Leaves it owed, and the ledger readable, where the disk has no room
    /// for the copy, the ledger directory cannot be written, or the ledger
    /// was opened from a copy elsewhere (a full disk, or a ledger this
    /// process cannot write).
    fn finish_owed_rewrite(&mut self) -> Result<(), StoreError> {
        if self.copy.is_some() || self.meta.get(REWRITE_KEY)?.is_none() {
            return Ok(());
        }
        if self.check_rewrite_space().is_err() {
            return Ok(());
        }
        match self.rewrite() {
            Ok(()) => Ok(()),
            Err(StoreError::DiskFull { .. }) => Ok(()),
            // The directory cannot be written (where sled's files can):
            // the rewrite stops before it changes anything, and waits for
            // a writer who can.
            Err(e) if denied(&e).is_some() => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// True while a redaction's rewrite is owed: the erased words may still
    /// be in superseded values in sled's files.
    pub fn rewrite_owed(&self) -> Result<bool, StoreError> {
        Ok(self.meta.get(REWRITE_KEY)?.is_some())
    }

    /// Refuses every write to a store that reads a copy, and a write that
    /// would leave less than [`MIN_FREE_BYTES`] free on the disk holding
    /// the ledger. If the free space cannot be read,
    /// the write goes ahead (and a full disk fails it plainly).
    fn check_free_space(&self) -> Result<(), StoreError> {
        if let Some(refused) = self.refusal() {
            return Err(refused);
        }
        match fs2::available_space(self.dir.join(SLED_DIR)) {
            Ok(free) if free < MIN_FREE_BYTES => Err(StoreError::DiskFull {
                path: self.dir.clone(),
                free: Some(free),
            }),
            _ => Ok(()),
        }
    }

    /// A sled error met while writing, with a full disk said plainly.
    fn engine_error(&self, e: sled::Error) -> StoreError {
        match e {
            sled::Error::Io(io) if io.kind() == io::ErrorKind::StorageFull => {
                StoreError::DiskFull {
                    path: self.dir.clone(),
                    free: None,
                }
            }
            e => StoreError::Sled(e),
        }
    }

    /// Makes everything written so far durable: sled's flush, then an fsync
    /// of its data file, its blob files and its directory.
    fn sync(&self) -> Result<(), StoreError> {
        self.db.flush().map_err(|e| self.engine_error(e))?;
        let sled_dir = self.dir.join(SLED_DIR);
        let fsync = |path: &Path| -> Result<(), StoreError> {
            File::open(path)
                .and_then(|f| f.sync_all())
                .map_err(|source| match source.kind() {
                    io::ErrorKind::StorageFull => StoreError::DiskFull {
                        path: self.dir.clone(),
                        free: None,
                    },
                    _ => io_error(path, source),
                })
        };
        fsync(&sled_dir.join("db"))?;
        let blobs = sled_dir.join("blobs");
        if let Ok(entries) = fs::read_dir(&blobs) {
            for entry in entries.flatten() {
                // sled removes old blob files in the background: one that is
                // gone between listing and opening has nothing to sync.
                match fsync(&entry.path()) {
                    Err(StoreError::Io { source, .. })
                        if source.kind() == io::ErrorKind::NotFound => {}
                    other => other?,
                }
            }
            fsync(&blobs)?;
        }
        fsync(&sled_dir)
    }

    /// Makes the ledger directory itself durable: its entries (`LOCK`,
    /// `sled/`) and its own entry in its parent. Called once, after the
    /// genesis transaction, so that an acknowledged `init` survives a crash.
    pub fn sync_directories(&self) -> Result<(), StoreError> {
        let fsync = |path: &Path| {
            File::open(path)
                .and_then(|f| f.sync_all())
                .map_err(|source| io_error(path, source))
        };
        fsync(&self.dir)?;
        let parent = match self.dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fsync(&parent)
    }

    /// Every stored event in sequence order, each checked against its
    /// predecessor's hash and decoded. Stops at the first event that does
    /// not fit; `verify` gives the full account.
    pub fn events(&self) -> impl Iterator<Item = Result<StoredEvent, StoreError>> + '_ {
        self.events_from(0, GENESIS_PREV)
    }

    /// The stored events from `first` on, checked as [`Store::events`] does,
    /// given the hash of the event before `first`.
    pub fn events_from(
        &self,
        first: u64,
        prev: Hash,
    ) -> impl Iterator<Item = Result<StoredEvent, StoreError>> + '_ {
        self.linked_from(first, prev, |prev, stored| {
            let event = self.linked_event(prev, &stored)?;
            Ok((event.hash, event))
        })
    }

    /// The stored events from `first` on, as stored, in order: each read
    /// from its block (or its key, in formats 1 and 2), or the damage met
    /// reading it, which ends them. An event not stored is not there: the
    /// next one stored follows.
    pub(crate) fn stored_from(
        &self,
        first: u64,
    ) -> impl Iterator<Item = Result<Stored, StoreError>> + '_ {
        let mut next = first;
        let mut failed = false;
        let start = match self.layout {
            Layout::Blocks => block::block_key(first),
            Layout::OneAKey { .. } => first,
        };
        self.events.range(start.to_be_bytes()..).flat_map(
            move |item| -> Vec<Result<Stored, StoreError>> {
                if failed {
                    return Vec::new();
                }
                let read = self.key_events(item, next);
                let mut kept = Vec::with_capacity(read.len());
                for item in read {
                    match item {
                        Ok(stored) if stored.seq < first => continue,
                        Ok(stored) => {
                            next = stored.seq.saturating_add(1);
                            kept.push(Ok(stored));
                        }
                        Err(e) => {
                            failed = true;
                            kept.push(Err(e));
                            break;
                        }
                    }
                }
                kept
            },
        )
    }

    /// The events stored under one key of the `events` tree, as an
    /// iterator read it (`next`: the seq expected there, for damage to
    /// name): a block's, or one event's in formats 1 and 2; the damage or
    /// error met reading them ends them.
    fn key_events(
        &self,
        item: sled::Result<(sled::IVec, sled::IVec)>,
        next: u64,
    ) -> Vec<Result<Stored, StoreError>> {
        let read = item.map_err(StoreError::from).and_then(|(key, value)| {
            touch(&self.events, &key)?;
            Ok((key, value))
        });
        match (read, &self.layout) {
            (Err(e), _) => vec![Err(e)],
            (Ok((key, value)), Layout::Blocks) => block_events(&key, value, next),
            (Ok((key, value)), Layout::OneAKey { texts }) => {
                vec![one_event(texts.as_ref(), &key, value, next)]
            }
        }
    }

    /// The event stored at `seq`, if it is.
    pub(crate) fn stored_at(&self, seq: u64) -> Result<Option<Stored>, StoreError> {
        match &self.layout {
            Layout::Blocks => {
                let key = block::block_key(seq);
                let Some(value) = self.events.get(key.to_be_bytes())? else {
                    return Ok(None);
                };
                touch(&self.events, &key.to_be_bytes())?;
                for item in block_events(&key.to_be_bytes(), value, key) {
                    let stored = item?;
                    if stored.seq == seq {
                        return Ok(Some(stored));
                    }
                }
                Ok(None)
            }
            Layout::OneAKey { texts } => {
                let key = seq.to_be_bytes();
                match self.events.get(key)? {
                    Some(value) => one_event(texts.as_ref(), &key, value, seq).map(Some),
                    None => Ok(None),
                }
            }
        }
    }

    /// The stored events from `first` on, each checked against the hash of
    /// the one before (`prev` for the first) and opened by `open`, which
    /// returns the event's hash and what is yielded. Stops after the first
    /// error.
    fn linked_from<'s, T: 's>(
        &'s self,
        first: u64,
        prev: Hash,
        open: impl Fn(Hash, Stored) -> Result<(Hash, T), StoreError> + 's,
    ) -> impl Iterator<Item = Result<T, StoreError>> + 's {
        let mut prev = prev;
        let mut expected_seq = first;
        let mut failed = false;
        self.stored_from(first).map_while(move |item| {
            if failed {
                return None;
            }
            let result = item.and_then(|stored| {
                if stored.seq != expected_seq {
                    return Err(StoreError::Damaged {
                        seq: expected_seq,
                        kind: DamageKind::EventMissing {
                            next_stored: Some(stored.seq),
                        },
                    });
                }
                open(prev, stored)
            });
            Some(match result {
                Ok((hash, opened)) => {
                    prev = hash;
                    expected_seq += 1;
                    Ok(opened)
                }
                Err(e) => {
                    failed = true;
                    Err(e)
                }
            })
        })
    }

    /// The events `first..=last` as a fold reads them, given the hash of
    /// the event before `first`: checked and opened as
    /// [`Store::events_from`] does, each given to `each` in order. Stops at
    /// the end of the stored events, or at the first error, which is the
    /// one a reading in order finds first.
    ///
    /// Reading is most of a fold's cost (the folding itself is a small
    /// part), so with [`Readers::TwoThreads`] a long range is read on two
    /// threads, [`FOLD_BLOCK`] events at a time: the calling thread reads
    /// and folds the even blocks, a second reads the odd ones, each
    /// starting from the stored hash of the event before it, which the
    /// block before has checked.
    pub fn fold_from(
        &self,
        first: u64,
        prev: Hash,
        last: u64,
        readers: Readers,
        mut each: impl FnMut(Folded),
    ) -> Result<(), StoreError> {
        if last < first {
            return Ok(());
        }
        let count = (last - first).saturating_add(1);
        if readers == Readers::ThisThread || count <= 2 * FOLD_BLOCK {
            return self.fold_block(first, prev, count, &mut each).map(|_| ());
        }
        let blocks = count.div_ceil(FOLD_BLOCK);
        let block = |k: u64| {
            let start = first + k * FOLD_BLOCK;
            (start, FOLD_BLOCK.min((last - start).saturating_add(1)))
        };
        std::thread::scope(|scope| {
            // Each odd block, read from the stored hash before it: that
            // hash, and the block's events or the error that ended it.
            type Read = Result<(Hash, Vec<Folded>), StoreError>;
            let (send, receive) = std::sync::mpsc::sync_channel::<Read>(1);
            scope.spawn(move || {
                for k in (1..blocks).step_by(2) {
                    let (start, len) = block(k);
                    let read = self.stored_hash(start - 1).and_then(|prev| {
                        let mut events = Vec::new();
                        self.fold_block(start, prev, len, &mut |e| events.push(e))?;
                        Ok((prev, events))
                    });
                    let failed = read.is_err();
                    // The receiver is gone once the calling thread stops.
                    if send.send(read).is_err() || failed {
                        return;
                    }
                }
            });
            let mut prev = prev;
            for k in 0..blocks {
                let (start, len) = block(k);
                let theirs = if k % 2 == 1 {
                    receive.recv().ok()
                } else {
                    None
                };
                let read = match theirs {
                    Some(Ok((from, events))) if from == prev => {
                        let whole = events.len() as u64 == len;
                        let mut hash = prev;
                        for event in events {
                            hash = event.hash;
                            each(event);
                        }
                        whole.then_some(hash)
                    }
                    // An error there, or a block read from another hash
                    // than this thread checked, is read again here, in
                    // order, so that the error returned is the first.
                    _ => self.fold_block(start, prev, len, &mut each)?,
                };
                match read {
                    Some(hash) => prev = hash,
                    // The stored events end in this block.
                    None => break,
                }
            }
            Ok(())
        })
    }

    /// Up to `len` events from `start`, linked from `prev`, given to `each`:
    /// the hash of the last of them if all `len` were there.
    fn fold_block(
        &self,
        start: u64,
        prev: Hash,
        len: u64,
        each: &mut dyn FnMut(Folded),
    ) -> Result<Option<Hash>, StoreError> {
        let mut read = 0;
        let mut hash = prev;
        let events = self.linked_from(start, prev, |prev, stored| {
            let seq = stored.seq;
            let link = checked_link(prev, seq, &stored.value)?;
            let texts = texts_at(seq, stored.texts.as_deref())?;
            let folded = Folded {
                seq,
                hash: link.hash,
                len: link.record.len(),
                record: self.unseal_with(seq, link.record, texts)?,
            };
            Ok((link.hash, folded))
        });
        for event in events.take(usize::try_from(len).unwrap_or(usize::MAX)) {
            let event = event?;
            hash = event.hash;
            read += 1;
            each(event);
        }
        Ok((read == len).then_some(hash))
    }

    /// The hash stored with the event at `seq`.
    fn stored_hash(&self, seq: u64) -> Result<Hash, StoreError> {
        let stored = self.stored_at(seq)?.ok_or(StoreError::Damaged {
            seq,
            kind: DamageKind::EventMissing { next_stored: None },
        })?;
        let (hash, _, _) = stored_parts(seq, &stored.value)?;
        Ok(hash)
    }

    /// The event at `seq` from its stored value, its hash checked against
    /// `prev` (the hash of the event before it), decoded and opened.
    fn linked_event(&self, prev: Hash, stored: &Stored) -> Result<StoredEvent, StoreError> {
        let seq = stored.seq;
        let link = checked_link(prev, seq, &stored.value)?;
        let texts = texts_at(seq, stored.texts.as_deref())?;
        let record = self.unseal_with(seq, link.record, texts.clone())?;
        Ok(StoredEvent {
            seq,
            prev,
            hash: link.hash,
            subject: link.subject,
            bytes: link.record.to_vec(),
            texts,
            record,
        })
    }

    /// The event at `seq`, decoded, with its stored hash. The link to its
    /// predecessor is not checked here.
    pub fn event_at(&self, seq: u64) -> Result<Option<(Hash, Record)>, StoreError> {
        let Some(stored) = self.stored_at(seq)? else {
            return Ok(None);
        };
        let (hash, _, bytes) = stored_parts(seq, &stored.value)?;
        let texts = texts_at(seq, stored.texts.as_deref())?;
        Ok(Some((hash, self.unseal_with(seq, bytes, texts)?)))
    }

    /// The record at `seq`, its texts as views show them: what a view
    /// reads a milestone's or claim's words from ([`crate::recall`]).
    fn recall_record(&self, seq: u64) -> Result<Record, crate::recall::RecallError> {
        match self.event_at(seq)? {
            Some((_, record)) => Ok(record),
            None => Err(crate::recall::RecallError::Missing { seq }),
        }
    }

    /// The record of transaction `tx` in the `txs` tree (an index the
    /// chain vouches for: `verify` checks each against the chain).
    pub fn tx_record(&self, tx: u64) -> Result<Option<TxRecord>, StoreError> {
        let Some(bytes) = self.txs.get(tx.to_be_bytes())? else {
            return Ok(None);
        };
        Ok(Some(codec::decode(&bytes)?))
    }

    /// The subject stored with the event at `seq`.
    pub fn subject_at(&self, seq: u64) -> Result<Option<Subject>, StoreError> {
        let Some(stored) = self.stored_at(seq)? else {
            return Ok(None);
        };
        let (_, subject, _) = stored_parts(seq, &stored.value)?;
        Ok(Some(subject))
    }

    /// The free texts stored for the event at `seq`, as stored: words with
    /// their salts, or the mark of an erasure (none for an event not
    /// stored).
    pub fn stored_texts(&self, seq: u64) -> Result<Vec<StoredText>, StoreError> {
        let stored = self.stored_at(seq)?;
        texts_at(seq, stored.as_ref().and_then(|s| s.texts.as_deref()))
    }

    /// Decodes sealed record bytes of the event at `seq` and opens them
    /// with `texts`, its stored texts.
    fn unseal_with(
        &self,
        seq: u64,
        bytes: &[u8],
        texts: Vec<StoredText>,
    ) -> Result<Record, StoreError> {
        let sealed = codec::decode_sealed(bytes).map_err(|e| StoreError::Damaged {
            seq,
            kind: DamageKind::Undecodable(e),
        })?;
        let mut lookup_failed = None;
        let record = sealed::unseal(sealed, texts, |by, slot| {
            match self.erasure(by, seq, slot) {
                Ok(found) => found,
                Err(e) => {
                    lookup_failed = Some(e);
                    None
                }
            }
        });
        if let Some(e) = lookup_failed {
            return Err(e);
        }
        let record = record.map_err(|e| StoreError::Damaged {
            seq,
            kind: DamageKind::Texts(e),
        })?;
        Ok(record)
    }

    /// Who erased slot `slot` of event `target`, if the event at `by` is a
    /// redaction of it. (A redaction has no free texts, so reading it needs
    /// no texts of its own.)
    pub fn erasure(&self, by: u64, target: u64, slot: u32) -> Result<Option<Erasure>, StoreError> {
        let Some(stored) = self.stored_at(by)? else {
            return Ok(None);
        };
        let Ok((_, _, bytes)) = chain::split_stored(&stored.value) else {
            return Ok(None);
        };
        let Ok(record) = codec::decode_sealed(bytes) else {
            return Ok(None);
        };
        Ok(match record.event {
            crate::event::EventOf::Redacted {
                event,
                slots,
                reason,
            } if event == target && slots.contains(&slot) => Some(Erasure {
                by_seq: by,
                recorded_at: record.recorded_at,
                actor: record.actor,
                reason,
            }),
            _ => None,
        })
    }

    /// The raw contents of the `txs` tree, for `verify`, which trusts
    /// nothing (the `events` and `texts` trees are read by `scan`).
    pub(crate) fn raw_txs(
        &self,
    ) -> impl Iterator<Item = Result<(sled::IVec, sled::IVec), StoreError>> + '_ {
        self.txs.iter().map(|item| item.map_err(StoreError::from))
    }

    pub(crate) fn raw_head(&self) -> Result<Option<sled::IVec>, StoreError> {
        Ok(self.meta.get(HEAD_KEY)?)
    }
}

/// The tree `name` of `db`, where it has one: a reader never makes a tree
/// (opening one that is not there would write).
fn open_if_present(db: &sled::Db, name: &str) -> Result<std::sync::OnceLock<Tree>, StoreError> {
    let cell = std::sync::OnceLock::new();
    if db.tree_names().iter().any(|n| n == name.as_bytes()) {
        let _ = cell.set(db.open_tree(name)?);
    }
    Ok(cell)
}

impl Store {
    /// The tree `name` held in `cell`, made if this ledger has none yet;
    /// refused where the store reads a copy.
    fn tree_to_write<'a>(
        &self,
        cell: &'a std::sync::OnceLock<Tree>,
        name: &str,
    ) -> Result<&'a Tree, StoreError> {
        if let Some(refusal) = self.refusal() {
            return Err(refusal);
        }
        if let Some(tree) = cell.get() {
            return Ok(tree);
        }
        let tree = self.db.open_tree(name)?;
        Ok(cell.get_or_init(|| tree))
    }
}

/// A new ledger written aside and moved into place only once it is whole:
/// how `planledger upgrade` writes, so that a failure at any point leaves
/// nothing at the target. The ledger is written in a directory beside the
/// target (`.NAME.staging-` and 16 hex digits, in the same file system, so
/// that the move is one `rename`), which is removed if the staging is
/// dropped before [`Staging::publish`].
pub struct Staging {
    target: PathBuf,
    dir: PathBuf,
    published: bool,
}

impl Staging {
    /// Checks that `target` is new or an empty directory (as `init` would)
    /// and makes the staging directory beside it.
    pub fn new(target: &Path) -> Result<Staging, StoreError> {
        Store::check_new_or_empty(target)?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "ledger".into());
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|source| io_error(&parent, source))?;
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).map_err(StoreError::Random)?;
        let dir = parent.join(format!(".{name}.staging-{}", hex::encode(random)));
        // `create_dir`, not a temporary directory's 0700: the ledger gets
        // the permissions `init` would give it.
        fs::create_dir(&dir).map_err(|source| io_error(&dir, source))?;
        Ok(Staging {
            target: target.to_path_buf(),
            dir,
            published: false,
        })
    }

    /// Where the ledger is written until it is published.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Moves the ledger into place: the target must still be new or an
    /// empty directory (which the move replaces), and the ledger written
    /// in the staging directory must be closed. The move is made durable.
    pub fn publish(mut self) -> Result<(), StoreError> {
        Store::check_new_or_empty(&self.target)?;
        fs::rename(&self.dir, &self.target).map_err(|source| match source.kind() {
            io::ErrorKind::DirectoryNotEmpty => StoreError::NotEmpty {
                path: self.target.clone(),
            },
            _ => io_error(&self.target, source),
        })?;
        self.published = true;
        let parent = match self.target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        File::open(&parent)
            .and_then(|f| f.sync_all())
            .map_err(|source| io_error(&parent, source))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.published {
            // Best effort: a staging directory left behind holds a ledger
            // no one reads, under a name no command uses.
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Salts for the free texts of one transaction: a random 32-byte key per
/// transaction, and for the Nth text the first 16 bytes of BLAKE3 keyed
/// with it over N. One call for random bytes however many texts are
/// written, and salts that are unpredictable without the key. Or the salts
/// a signed request gave, counted against the texts before any is used.
struct Salts {
    key: [u8; 32],
    next: u64,
    given: Option<std::vec::IntoIter<Salt>>,
}

impl Salts {
    fn new() -> Result<Salts, StoreError> {
        let mut key = [0; 32];
        getrandom::fill(&mut key).map_err(StoreError::Random)?;
        Ok(Salts {
            key,
            next: 0,
            given: None,
        })
    }

    fn given(salts: Vec<Salt>) -> Salts {
        Salts {
            key: [0; 32],
            next: 0,
            given: Some(salts.into_iter()),
        }
    }

    fn next(&mut self) -> Salt {
        if let Some(salt) = self.given.as_mut().and_then(Iterator::next) {
            return salt;
        }
        let out = blake3::keyed_hash(&self.key, &self.next.to_le_bytes());
        self.next += 1;
        let mut salt = [0; 16];
        salt.copy_from_slice(&out.as_bytes()[..16]);
        salt
    }
}

/// Opens the ledger's `LOCK` file, creating it when `create` says so,
/// never through a symbolic link (`O_NOFOLLOW`: a `LOCK` that is a link is
/// refused, and nothing is created at its target).
fn open_lock(lock_path: &Path, create: bool) -> Result<File, StoreError> {
    OpenOptions::new()
        .create(create)
        .truncate(false)
        .read(!create)
        .write(create)
        .custom_flags(libc::O_NOFOLLOW)
        .open(lock_path)
        .map_err(|source| match source.raw_os_error() {
            Some(libc::ELOOP) => StoreError::Link {
                path: lock_path.to_path_buf(),
            },
            _ => io_error(lock_path, source),
        })
}

/// Where an open goes, given its attempt to open `LOCK` to write it: in
/// place under the exclusive lock when it could; to a copy when it was
/// denied or the file system is read-only and the command only reads; a
/// [`StoreError::ReadOnly`] refusal, in one line, when the command may
/// write (nothing has been written: opening `LOCK` is the first thing an
/// open does); any other failure as it is.
fn route(access: Access, dir: &Path, lock: Result<File, StoreError>) -> Result<Route, StoreError> {
    match lock {
        Ok(lock) => Ok(Route::InPlace(lock)),
        Err(StoreError::Io { source, path }) => match (ReadOnly::of(&source), access) {
            (Some(why), Access::Read) => Ok(Route::ReadOnly(why)),
            (Some(why), Access::Write) => Err(StoreError::ReadOnly {
                path: dir.to_path_buf(),
                why,
            }),
            (None, _) => Err(StoreError::Io { path, source }),
        },
        Err(e) => Err(e),
    }
}

/// Why a failed step was not allowed to write, when that is why it failed
/// (see [`ReadOnly::of`]), whether the file system said so directly or
/// through sled.
fn denied(e: &StoreError) -> Option<ReadOnly> {
    match e {
        StoreError::Io { source, .. } | StoreError::Sled(sled::Error::Io(source)) => {
            ReadOnly::of(source)
        }
        _ => None,
    }
}

/// The database a ledger holds as committed, without finishing or
/// discarding anything a stopped rewrite left (see [`recover_rewrite`],
/// which does, under the lock): `sled/`, or `sled.new/` where a rewrite
/// stopped between its two renames left only that (`sled.new/` is
/// complete once it has that name). `None` when neither is there. A link
/// in either place is refused, never followed.
fn committed_database(dir: &Path) -> Result<Option<PathBuf>, StoreError> {
    for name in [SLED_DIR, SLED_NEW] {
        let path = dir.join(name);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.is_symlink() => return Err(StoreError::Link { path }),
            Ok(m) if m.is_dir() => return Ok(Some(path)),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            // The ledger "directory" is a file: say so, not "ledger/sled:
            // Not a directory (os error 20)".
            Err(e) if e.kind() == io::ErrorKind::NotADirectory && dir.is_file() => {
                return Err(StoreError::NotADirectory {
                    path: dir.to_path_buf(),
                });
            }
            Err(source) => return Err(io_error(&path, source)),
        }
    }
    Ok(None)
}

/// Opens a copy, in the temporary directory, of the committed database of
/// the ledger at `dir` ([`committed_database`]), refusing a link among its
/// files and leaving every file of the ledger as it is.
fn read_copy(dir: &Path) -> Result<(sled::Db, tempfile::TempDir), StoreError> {
    let sled_dir = committed_database(dir)?.ok_or_else(|| StoreError::NotALedger {
        path: dir.to_path_buf(),
    })?;
    sled_leftovers(&sled_dir, Leftovers::Keep)?;
    let copy = copy_sled(&sled_dir).map_err(|source| io_error(&std::env::temp_dir(), source))?;
    let db = open_sled(&copy.path().join(SLED_DIR)).map_err(|e| open_error(dir, &sled_dir, e))?;
    Ok((db, copy))
}

impl Aside {
    fn read_only(dir: tempfile::TempDir, why: ReadOnly) -> Aside {
        Aside {
            dir,
            why: AsideWhy::ReadOnly(why),
        }
    }
}

/// Why an append's sled transaction gave up, writing nothing.
enum Abort {
    /// The head moved (or a key to be written exists): a conflict.
    Moved(Option<u64>),
    /// A redaction's target does not hold the texts the rules found.
    Damaged { seq: u64, kind: DamageKind },
}

type TxResult<T> = Result<T, ConflictableTransactionError<Abort>>;

/// Aborts a sled transaction of an append as a conflict unless the head is
/// still where its caller read it (`expected`).
fn head_unmoved(meta: &TransactionalTree, expected: Option<u64>) -> TxResult<()> {
    let current = meta
        .get(HEAD_KEY)?
        .and_then(|b| Head::from_bytes(&b))
        .map(|h| h.seq);
    if current == expected {
        Ok(())
    } else {
        Err(ConflictableTransactionError::Abort(Abort::Moved(current)))
    }
}

/// Adds `part`'s events, with `texts` (theirs, sorted by seq), to their
/// blocks inside a sled transaction: the last block stored, where it is
/// not full, is read and written again with the first of them. A block
/// that holds an event of `part` already aborts it as a conflict (the head
/// moved).
fn insert_events(
    events: &TransactionalTree,
    part: &[StoredEvent],
    texts: &[(u64, Vec<u8>)],
) -> TxResult<()> {
    let Some(first) = part.first() else {
        return Ok(());
    };
    let mut texts = texts.iter().peekable();
    let mut key = block::block_key(first.seq);
    let mut bytes = match events.get(key.to_be_bytes())? {
        None => Vec::new(),
        Some(stored) => {
            // The block must hold exactly the events before the first.
            let mut held = key;
            for entry in block::entries(key, &stored) {
                let entry = entry.map_err(block_damage)?;
                held = entry.seq + 1;
            }
            if held > first.seq {
                return Err(ConflictableTransactionError::Abort(Abort::Moved(Some(
                    held - 1,
                ))));
            }
            if held < first.seq {
                return Err(ConflictableTransactionError::Abort(Abort::Damaged {
                    seq: held,
                    kind: DamageKind::EventMissing { next_stored: None },
                }));
            }
            stored.to_vec()
        }
    };
    for event in part {
        if block::block_key(event.seq) != key {
            events.insert(&key.to_be_bytes(), std::mem::take(&mut bytes))?;
            key = block::block_key(event.seq);
            if events.get(key.to_be_bytes())?.is_some() {
                return Err(ConflictableTransactionError::Abort(Abort::Moved(Some(
                    event.seq,
                ))));
            }
        }
        let value = chain::stored_value(&event.hash, event.subject, &event.bytes);
        let own = texts.next_if(|(seq, _)| *seq == event.seq);
        block::push(&mut bytes, &value, own.map(|(_, t)| t.as_slice()));
    }
    events.insert(&key.to_be_bytes(), bytes)?;
    Ok(())
}

/// A block's fault, met inside an append's sled transaction, as the
/// damage that aborts it.
fn block_damage((seq, fault): (u64, BlockFault)) -> ConflictableTransactionError<Abort> {
    ConflictableTransactionError::Abort(Abort::Damaged {
        seq,
        kind: DamageKind::Block(fault),
    })
}

/// The block stored at `key` without its events from `from` on; `None`
/// unless every event of it before `from` reads.
fn cut_block(key: u64, block: &[u8], from: u64) -> Option<Vec<u8>> {
    let before = block::entries(key, block)
        .map_while(Result::ok)
        .find(|entry| entry.seq + 1 == from)?;
    Some(block[..before.bytes.end].to_vec())
}

/// The texts (sorted by seq) of the events of `part` (consecutive seqs).
fn texts_of<'t>(texts: &'t [(u64, Vec<u8>)], part: &[StoredEvent]) -> &'t [(u64, Vec<u8>)] {
    let (Some(first), Some(last)) = (part.first(), part.last()) else {
        return &[];
    };
    let from = texts.partition_point(|(seq, _)| *seq < first.seq);
    let to = texts.partition_point(|(seq, _)| *seq <= last.seq);
    &texts[from..to]
}

/// Inside an append's sled transaction: erases texts `slots` of event
/// `target` for the redaction at `by`, and scrubs their words from the
/// summary of the target's transaction (`txs` is an index, never checked
/// for its summary, and summaries are written without free text; this
/// covers any that were not).
fn erase(
    events: &TransactionalTree,
    txs: &TransactionalTree,
    by: u64,
    target: u64,
    slots: &[u32],
) -> TxResult<()> {
    let damaged = |kind| ConflictableTransactionError::Abort(Abort::Damaged { seq: target, kind });
    let key = block::block_key(target);
    let Some(block) = events.get(key.to_be_bytes())? else {
        return Err(damaged(DamageKind::EventMissing { next_stored: None }));
    };
    let mut entry = None;
    for read in block::entries(key, &block) {
        let read = read.map_err(block_damage)?;
        if read.seq == target {
            entry = Some(read);
            break;
        }
    }
    let Some(entry) = entry else {
        return Err(damaged(DamageKind::EventMissing { next_stored: None }));
    };
    let value = &block[entry.value.clone()];
    let texts = entry.texts.map(|t| &block[t]);
    let mut stored =
        codec::decode_texts(texts).map_err(|e| damaged(DamageKind::TextsUndecodable(e)))?;
    let mut erased = Vec::with_capacity(slots.len());
    for &slot in slots {
        match stored.get_mut(slot as usize) {
            Some(text @ StoredText::Words { .. }) => {
                if let StoredText::Words { words, .. } =
                    std::mem::replace(text, StoredText::Erased { by })
                {
                    erased.push(words);
                }
            }
            _ => return Err(damaged(DamageKind::TextNotStored { slot })),
        }
    }
    // Texts that decoded encode again, and erasing a text only shrinks them.
    let encoded = codec::encode(&stored).map_err(|e| damaged(DamageKind::TextsUndecodable(e)))?;
    // The block with this event's entry written again, the rest as it was.
    let mut rewritten = block[..entry.bytes.start].to_vec();
    block::push(&mut rewritten, value, Some(&encoded));
    rewritten.extend_from_slice(&block[entry.bytes.end..]);
    events.insert(&key.to_be_bytes(), rewritten)?;
    let Some(tx) = chain::split_stored(value)
        .ok()
        .and_then(|(_, _, bytes)| codec::decode_sealed(bytes).ok())
        .map(|record| record.tx)
    else {
        return Ok(());
    };
    let tx_key = tx.to_be_bytes();
    if let Some(bytes) = txs.get(tx_key)?
        && let Ok(mut record) = codec::decode::<TxRecord>(&bytes)
        && let Some(scrubbed) = scrub(&record.summary, &erased)
    {
        record.summary = scrubbed;
        if let Ok(bytes) = codec::encode(&record) {
            txs.insert(&tx_key, bytes)?;
        }
    }
    Ok(())
}

/// `summary` with every erased text in it, and every word of one that could
/// name or number someone ([`sealed::is_telling`]), replaced by
/// `[redacted]`; `None` when it holds none of them.
fn scrub(summary: &str, erased: &[String]) -> Option<String> {
    let mut scrubbed = summary.to_string();
    for text in erased {
        let whole = text.trim();
        let telling =
            sealed::words(text).filter(|&(starts, word)| sealed::is_telling(starts, word));
        for words in std::iter::once(whole).chain(telling.map(|(_, word)| word)) {
            if !words.is_empty() && scrubbed.contains(words) {
                scrubbed = scrubbed.replace(words, "[redacted]");
            }
        }
    }
    (scrubbed != summary).then_some(scrubbed)
}

/// Finishes or discards a rewrite that a stopped process left behind
/// (see [`Store::rewrite`]). Called only while holding the ledger's lock,
/// before sled is opened:
///
/// - `sled.tmp/` is a copy that never completed: removed;
/// - `sled.new/` is complete (renamed only once durable) and was made
///   under the lock from the state `sled/` holds, with the redaction
///   carried out: swapped in (`sled/` to `sled.old/`, `sled.new/` to
///   `sled/`), or, where `sled/` is already gone, renamed `sled/`;
/// - `sled.old/` is a database that was replaced: removed.
fn recover_rewrite(dir: &Path) -> Result<(), StoreError> {
    remove_if_present(&dir.join(SLED_TMP))?;
    let new = dir.join(SLED_NEW);
    match fs::symlink_metadata(&new) {
        Ok(m) if m.is_symlink() => return Err(StoreError::Link { path: new }),
        Ok(_) => swap_in(dir)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(source) => return Err(io_error(&new, source)),
    }
    let old = dir.join(SLED_OLD);
    if fs::symlink_metadata(&old).is_ok() {
        remove_if_present(&old)?;
        fsync_path(dir)?;
    }
    Ok(())
}

/// Puts `sled.new/` in place of `sled/` (which becomes `sled.old/`, if
/// it is there), and makes the renames durable.
fn swap_in(dir: &Path) -> Result<(), StoreError> {
    let sled_dir = dir.join(SLED_DIR);
    let old = dir.join(SLED_OLD);
    match fs::symlink_metadata(&sled_dir) {
        Ok(m) if m.is_symlink() => return Err(StoreError::Link { path: sled_dir }),
        Ok(_) => {
            remove_if_present(&old)?;
            rename(&sled_dir, &old)?;
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(source) => return Err(io_error(&sled_dir, source)),
    }
    rename(&dir.join(SLED_NEW), &sled_dir)?;
    fsync_path(dir)
}

/// Removes a directory (or a file, or a link, never what it points to)
/// if it is there.
fn remove_if_present(path: &Path) -> Result<(), StoreError> {
    let removed = match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    };
    removed.map_err(|source| io_error(path, source))
}

fn rename(from: &Path, to: &Path) -> Result<(), StoreError> {
    fs::rename(from, to).map_err(|source| io_error(from, source))
}

fn fsync_path(path: &Path) -> Result<(), StoreError> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|source| io_error(path, source))
}

/// Fsyncs every file of a sled database directory (its data file,
/// configuration, snapshots and blobs), then the directories.
fn sync_dir_files(dir: &Path) -> io::Result<()> {
    let blobs = dir.join("blobs");
    for folder in [dir, blobs.as_path()] {
        let entries = match fs::read_dir(folder) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                File::open(entry.path())?.sync_all()?;
            }
        }
        File::open(folder)?.sync_all()?;
    }
    Ok(())
}

/// The bytes of the regular files under `dir`, recursively.
fn dir_size(dir: &Path) -> io::Result<u64> {
    let mut total = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            total += dir_size(&entry.path())?;
        } else if kind.is_file() {
            total += entry.metadata()?.len();
        }
    }
    Ok(total)
}

/// Waits, at most ten seconds, until no one holds the lock on the sled data
/// file in `sled_dir`. sled 0.34.7 lets go of it a moment after its
/// database is dropped, when its background I/O ends (sled issues #1234
/// and #1289); the files are only renamed or removed after that.
fn wait_for_sled_release(sled_dir: &Path) {
    const WAIT: Duration = Duration::from_millis(2);
    let deadline = Instant::now() + Duration::from_secs(10);
    let db = sled_dir.join("db");
    while Instant::now() < deadline {
        match File::open(&db).map(|f| f.try_lock()) {
            Ok(Err(TryLockError::WouldBlock)) => std::thread::sleep(WAIT),
            _ => return,
        }
    }
}

/// Which lock [`take_lock`] takes on `LOCK`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Share {
    /// Every open that may open the ledger's own files: one at a time.
    Exclusive,
    /// A read from a copy of a ledger this process cannot write: it shuts
    /// out writers, not other such reads, and needs no write access to
    /// `LOCK` (nor does an exclusive `flock` on Linux, but a shared one is
    /// what the `fcntl` locks behind `flock` on NFS allow on a file opened
    /// read-only).
    Shared,
}

/// Takes the ledger's lock, exclusive or shared as `share` says, waiting
/// for another process as `wait` says: polling, and calling `wait.on_wait`
/// once if the wait lasts longer than [`NOTICE_AFTER`].
fn take_lock(
    lock: &File,
    dir: &Path,
    lock_path: &Path,
    mut wait: LockWait<'_>,
    share: Share,
) -> Result<(), StoreError> {
    const POLL: Duration = Duration::from_millis(10);
    let started = Instant::now();
    let mut told = false;
    loop {
        let taken = match share {
            Share::Exclusive => lock.try_lock(),
            Share::Shared => lock.try_lock_shared(),
        };
        match taken {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) => {
                let now = Instant::now();
                let Some(left) = wait
                    .until
                    .and_then(|until| until.checked_duration_since(now))
                else {
                    return Err(StoreError::InUse {
                        path: dir.to_path_buf(),
                        waited: now - started,
                    });
                };
                if !told && now - started >= NOTICE_AFTER {
                    told = true;
                    if let Some(tell) = wait.on_wait.as_mut() {
                        tell();
                    }
                }
                std::thread::sleep(POLL.min(left));
            }
            Err(TryLockError::Error(source)) => return Err(io_error(lock_path, source)),
        }
    }
}

/// What [`sled_leftovers`] does with sled's leftover temporary files.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Leftovers {
    Remove,
    /// Leave them: the ledger is read from a copy, which leaves them out.
    Keep,
}

/// Refuses symbolic links among sled's files and removes the temporary
/// files sled 0.34.7 leaves behind when it is stopped while writing a
/// snapshot (when `leftovers` says so). Called only while holding the
/// ledger's exclusive lock.
///
/// sled writes the snapshot of its page table (`pagecache/snapshot.rs`,
/// `write_snapshot`) to `snap.<lsn as 16 hex digits>.generating`, fsyncs
/// it, renames it to `snap.<lsn>`, and only then removes older snapshots.
/// It writes one while opening (and only then), derived from the previous
/// snapshot and the log in `db`. But when it opens, it reads the last of
/// *all* `snap.*` files by name (`Config::get_snapshot_files` leaves out
/// only `*.in___motion`), `.generating` included, and a partial one (a
/// process killed while writing it, or a full disk: an empty file) fails
/// its length or checksum test, so sled refuses to open at all.
///
/// Removing a `.generating` file loses nothing: it is a copy in progress
/// of what sled derives from the previous snapshot and the log, which are
/// untouched until the rename, and the older snapshot it would have
/// replaced is still there; without it sled derives the same again. No
/// other process can be writing one, because sled is opened only under
/// our lock. Only names of exactly that form are removed.
fn sled_leftovers(sled_dir: &Path, leftovers: Leftovers) -> Result<(), StoreError> {
    let entries = match fs::read_dir(sled_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(match fs::symlink_metadata(sled_dir) {
                Ok(m) if m.is_symlink() => StoreError::Link {
                    path: sled_dir.to_path_buf(),
                },
                _ => io_error(sled_dir, source),
            });
        }
    };
    if fs::symlink_metadata(sled_dir).is_ok_and(|m| m.is_symlink()) {
        return Err(StoreError::Link {
            path: sled_dir.to_path_buf(),
        });
    }
    let blobs = sled_dir.join("blobs");
    let blob_entries = fs::read_dir(&blobs).into_iter().flatten();
    for entry in entries.chain(blob_entries) {
        let entry = entry.map_err(|source| io_error(sled_dir, source))?;
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(|source| io_error(&path, source))?;
        if kind.is_symlink() {
            return Err(StoreError::Link { path });
        }
        let name = entry.file_name();
        if leftovers == Leftovers::Remove
            && kind.is_file()
            && name.to_str().is_some_and(is_snapshot_temporary)
        {
            fs::remove_file(&path).map_err(|source| io_error(&path, source))?;
        }
    }
    Ok(())
}

/// `snap.` ‖ 16 hex digits ‖ `.generating`: the name sled 0.34.7 gives a
/// snapshot while it writes it.
fn is_snapshot_temporary(name: &str) -> bool {
    name.strip_prefix("snap.")
        .and_then(|rest| rest.strip_suffix(".generating"))
        .is_some_and(|lsn| lsn.len() == 16 && lsn.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Opens sled. We hold the ledger's own lock, so if sled's lock on its data
/// file is still taken, it is held by this process's previous instance of
/// the same database, whose background threads release it moments after it
/// is dropped: wait for that rather than fail.
fn open_sled(path: &Path) -> Result<sled::Db, sled::Error> {
    const WAIT: Duration = Duration::from_millis(10);
    const TRIES: u32 = 500;
    let config = sled::Config::new()
        .path(path)
        .cache_capacity(CACHE_BYTES)
        .flush_every_ms(None);
    let mut tries = 0;
    loop {
        match config.open() {
            Err(sled::Error::Io(e))
                if tries < TRIES && e.to_string().contains("could not acquire lock") =>
            {
                tries += 1;
                std::thread::sleep(WAIT);
            }
            result => return result,
        }
    }
}

/// Copies the sled directory into a new temporary directory (leaving out
/// sled's own temporary files) and opens the copy: how a ledger is read on
/// a disk too full for sled to open it in place. The copy is removed when
/// the store is dropped.
fn open_copy(sled_dir: &Path) -> io::Result<(sled::Db, tempfile::TempDir)> {
    let copy = copy_sled(sled_dir)?;
    let db = open_sled(&copy.path().join(SLED_DIR)).map_err(io::Error::other)?;
    Ok((db, copy))
}

/// Copies the sled directory into `sled/` in a new temporary directory,
/// leaving out sled's own temporary files. The copy is removed when the
/// returned directory is dropped.
fn copy_sled(sled_dir: &Path) -> io::Result<tempfile::TempDir> {
    fn copy_dir(from: &Path, to: &Path) -> io::Result<()> {
        fs::create_dir_all(to)?;
        for entry in fs::read_dir(from)? {
            let entry = entry?;
            let name = entry.file_name();
            if is_snapshot_temporary(&name.to_string_lossy()) {
                continue;
            }
            let kind = entry.file_type()?;
            if kind.is_dir() {
                copy_dir(&entry.path(), &to.join(&name))?;
            } else if kind.is_file() {
                // `fs::copy` keeps the permissions, and sled opens its files
                // to write them: a copy of a read-only ledger must be
                // writable, by this user alone.
                let copied = to.join(&name);
                fs::copy(entry.path(), &copied)?;
                fs::set_permissions(&copied, fs::Permissions::from_mode(0o600))?;
            }
        }
        Ok(())
    }
    let copy = tempfile::Builder::new()
        .prefix("planledger-read-")
        .tempdir()?;
    copy_dir(sled_dir, &copy.path().join(SLED_DIR))?;
    Ok(copy)
}

/// What a failure to open sled means for a user: a full disk, an I/O
/// problem of the moment (permission denied), or damage, naming the file.
fn open_error(dir: &Path, sled_dir: &Path, e: sled::Error) -> StoreError {
    match e {
        sled::Error::Io(io) if io.kind() == io::ErrorKind::StorageFull => StoreError::DiskFull {
            path: dir.to_path_buf(),
            free: None,
        },
        sled::Error::Io(io)
            if !matches!(
                io.kind(),
                io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidData
            ) =>
        {
            io_error(sled_dir, io)
        }
        source => {
            let (file, fault) = unreadable_file(sled_dir);
            StoreError::Damaged {
                seq: 0,
                kind: DamageKind::StorageUnreadable {
                    file,
                    fault,
                    source,
                },
            }
        }
    }
}

/// The configuration sled 0.34.7 writes to `conf` for this ledger's
/// settings, before its 4-byte checksum.
const SLED_CONF: &[u8] = b"segment_size: 524288\nuse_compression: false\nversion: 0.34\n";

/// Which sled file made sled refuse to open, by the checks sled makes in
/// the order it makes them: `conf` (which sled parses, ignoring its
/// checksum: anything but what it wrote is at fault), then the snapshot it
/// would read (the last `snap.*` by name: longer than 12 bytes, ending in
/// its length and a CRC-32 of the rest), else the data file `db`.
fn unreadable_file(sled_dir: &Path) -> (PathBuf, StorageFault) {
    let read = |path: &Path| -> Option<Vec<u8>> {
        let mut bytes = Vec::new();
        File::open(path).ok()?.read_to_end(&mut bytes).ok()?;
        Some(bytes)
    };
    let conf = sled_dir.join("conf");
    if let Some(bytes) = read(&conf) {
        // sled rewrites a `conf` of 8 bytes or less rather than read it.
        if bytes.len() > 8 && bytes.get(..bytes.len() - 4) != Some(SLED_CONF) {
            return (conf, StorageFault::Config);
        }
    }
    let mut snapshots: Vec<PathBuf> = fs::read_dir(sled_dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("snap.") && !n.ends_with(".in___motion"))
        })
        .collect();
    snapshots.sort();
    if let Some(snapshot) = snapshots.pop()
        && let Some(bytes) = read(&snapshot)
    {
        if bytes.len() <= 12 {
            return (snapshot, StorageFault::SnapshotTruncated);
        }
        let (body, trailer) = bytes.split_at(bytes.len() - 4);
        let stored = u32::from_le_bytes(trailer.try_into().expect("4 bytes"));
        if crc32fast::hash(&body[..body.len() - 8]) != stored {
            return (snapshot, StorageFault::SnapshotChecksum);
        }
    }
    (sled_dir.join("db"), StorageFault::Database)
}

/// [`chain::split_stored`] of the event at `seq`'s stored value, a failure
/// as the damage it is.
fn stored_parts(seq: u64, value: &[u8]) -> Result<(Hash, Subject, &[u8]), StoreError> {
    chain::split_stored(value).map_err(|e| StoreError::Damaged {
        seq,
        kind: DamageKind::Link(e),
    })
}

/// [`chain::check_link`] of the event at `seq`, a failure as the damage it
/// is.
fn checked_link(prev: Hash, seq: u64, value: &[u8]) -> Result<chain::Link<'_>, StoreError> {
    chain::check_link(&prev, seq, value).map_err(|e| StoreError::Damaged {
        seq,
        kind: DamageKind::Link(e),
    })
}

/// Reads `key` of `tree` again [`LEAF_TOUCHES`] times, so that sled can
/// let go of what a scan has read. sled 0.34.7 evicts a page only once its
/// shard, one of 256, has counted 64 accesses, and an iterator accesses
/// each leaf once; a leaf holds up to 16 keys, so with format 3's blocks
/// (16 events, about 4.6 KB, a key) a scan kept every leaf it read: 286 MB
/// for the 297 MB of blocks of 1M events, none evicted. Read again by key,
/// each leaf is counted often enough for its shard to evict: 32 MB, the
/// scan 20% longer (BENCHMARKS.md, "format 3").
fn touch(tree: &Tree, key: &[u8]) -> Result<(), StoreError> {
    for _ in 0..LEAF_TOUCHES {
        tree.get(key)?;
    }
    Ok(())
}

/// The events of the block stored under `key` with bytes `value`, each
/// read, or the damage that ends them (`next`: the seq expected there, for
/// a key that is no seq to name).
fn block_events(key: &[u8], value: sled::IVec, next: u64) -> Vec<Result<Stored, StoreError>> {
    let Some(key) = decode_seq(key) else {
        return vec![Err(StoreError::Damaged {
            seq: next,
            kind: DamageKind::EventKeyLength { len: key.len() },
        })];
    };
    let piece = |range| Piece {
        bytes: value.clone(),
        range,
    };
    block::entries(key, &value)
        .map(|entry| match entry {
            Ok(entry) => Ok(Stored {
                seq: entry.seq,
                value: piece(entry.value),
                texts: entry.texts.map(piece),
            }),
            Err((seq, fault)) => Err(StoreError::Damaged {
                seq,
                kind: DamageKind::Block(fault),
            }),
        })
        .collect()
}

/// The event stored at `key` in format 1 or 2, with its texts from
/// `texts` (`next`: the seq expected there, for damage to name).
fn one_event(
    texts: Option<&Tree>,
    key: &[u8],
    value: sled::IVec,
    next: u64,
) -> Result<Stored, StoreError> {
    let seq = decode_seq(key).ok_or(StoreError::Damaged {
        seq: next,
        kind: DamageKind::EventKeyLength { len: key.len() },
    })?;
    let texts = match texts {
        Some(texts) => texts.get(seq.to_be_bytes())?.map(Piece::whole),
        None => None,
    };
    Ok(Stored {
        seq,
        value: Piece::whole(value),
        texts,
    })
}

/// The stored texts `bytes` of the event at `seq`, decoded.
fn texts_at(seq: u64, bytes: Option<&[u8]>) -> Result<Vec<StoredText>, StoreError> {
    codec::decode_texts(bytes).map_err(|e| StoreError::Damaged {
        seq,
        kind: DamageKind::TextsUndecodable(e),
    })
}

fn decode_seq(key: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(key).ok().map(u64::from_be_bytes)
}

fn io_error(path: &Path, source: io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl crate::recall::Recall for Store {
    fn recall(&self, seq: u64) -> Result<Record, crate::recall::RecallError> {
        self.recall_record(seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A transaction bigger than one sled transaction is written in parts
    /// and reads back whole; the parts a process stopped before the last
    /// left behind are removed by the next open, which keeps everything
    /// acknowledged, and the ledger goes on.
    #[test]
    fn a_transaction_in_parts_is_whole_or_absent() {
        use crate::command::Command;
        use crate::id::{ActionId, PlanId};
        use crate::ledger::{Ledger, Stamped};
        use crate::time::FixedClock;
        use std::sync::Arc;

        let dir = tempfile::tempdir().expect("tempdir");
        let clock = Arc::new(FixedClock::new(1_600_000_000_000_000));
        let mut ledger = Ledger::init(dir.path(), "Admin", clock.clone()).expect("init");
        let plan = Stamped::from(Command::AddPlan {
            partnership: "CSP".into(),
            review: "Alice".into(),
            chair: None,
            published: None,
        });
        let action = Stamped::from(Command::AddAction {
            plan: PlanId::of(1),
            agency: "Police".into(),
            lead: None,
            text: "Update Niche".into(),
            scope: None,
            recommendations: Vec::new(),
            target: None,
        });
        let notes = |n: usize| -> Vec<Stamped> {
            (0..n)
                .map(|i| {
                    Stamped::from(Command::NoteMilestone {
                        action: ActionId::of(1),
                        note: format!("note {i}"),
                    })
                })
                .collect()
        };
        let mut big = vec![plan, action];
        big.extend(notes(2 * APPEND_PART_EVENTS + 5));
        ledger
            .transact("Lead", "big", big)
            .expect("a big transaction");
        let next = ledger.next_seq();
        drop(ledger);

        let ledger = Ledger::open(dir.path(), clock.clone()).expect("reopens");
        assert_eq!(
            ledger.next_seq(),
            next,
            "every event of the big transaction"
        );
        let intact = crate::integrity::verify(ledger.store()).expect("verifies");
        assert!(intact.ok(), "{intact:?}");
        let events: Vec<StoredEvent> = ledger
            .store()
            .events()
            .collect::<Result<_, _>>()
            .expect("events");
        drop(ledger);

        // A process stopped after two parts of the next transaction, which
        // began inside a block: the cut keeps the block's first events.
        assert_ne!(next % BLOCK_EVENTS, 0, "{next}");
        let store = Store::open(dir.path()).expect("store");
        let head = Some(next - 1);
        let parts: Vec<StoredEvent> = events[1..=2 * APPEND_PART_EVENTS]
            .iter()
            .zip(next..)
            .map(|(e, seq)| StoredEvent { seq, ..e.clone() })
            .collect();
        let mark = [next.to_be_bytes(), (next + 3000).to_be_bytes()].concat();
        let (first, second) = parts.split_at(APPEND_PART_EVENTS);
        store
            .append_part(head, first, &[], Some(&mark))
            .expect("first part");
        store
            .append_part(head, second, &[], None)
            .expect("second part");
        store.db.flush().expect("flushed");
        assert_eq!(
            store.stored_from(0).count() as u64,
            next + 2 * APPEND_PART_EVENTS as u64
        );
        drop(store);

        let mut ledger = Ledger::open(dir.path(), clock.clone()).expect("reopens");
        assert_eq!(
            ledger.next_seq(),
            next,
            "nothing acknowledged lost, nothing added"
        );
        assert_eq!(
            ledger.store().stored_from(0).count() as u64,
            next,
            "the parts are gone"
        );
        assert!(
            ledger
                .store()
                .meta
                .get(APPENDING_KEY)
                .expect("meta")
                .is_none()
        );
        let intact = crate::integrity::verify(ledger.store()).expect("verifies");
        assert!(intact.ok(), "{intact:?}");
        clock.advance_secs(60);
        ledger
            .transact("Lead", "more", notes(3))
            .expect("the ledger goes on");
    }

    #[test]
    fn a_cut_keeps_the_events_before_it_and_leaves_a_block_it_cannot_read() {
        let block = |events: &[(&[u8], Option<&[u8]>)]| {
            let mut bytes = Vec::new();
            for (value, texts) in events {
                block::push(&mut bytes, value, *texts);
            }
            bytes
        };
        let three = block(&[(b"zero", None), (b"one", Some(b"t")), (b"two", None)]);
        assert_eq!(
            cut_block(16, &three, 18),
            Some(block(&[(b"zero", None), (b"one", Some(b"t"))]))
        );
        assert_eq!(cut_block(16, &three, 17), Some(block(&[(b"zero", None)])));
        assert_eq!(
            cut_block(16, &three[..5], 18),
            None,
            "event 17 does not read"
        );
        assert_eq!(cut_block(16, &three, 20), None, "event 19 is not there");
    }

    /// A user reads the heads of a conflict in words, never as `Some(3)`.
    #[test]
    fn a_conflict_names_both_heads_in_words() {
        let moved = StoreError::Conflict {
            expected: Some(3),
            found: Some(5),
        };
        assert_eq!(
            moved.to_string(),
            "the ledger changed while this command ran (it was at event 3 when read, now at event 5); nothing was written"
        );
        let created = StoreError::Conflict {
            expected: None,
            found: Some(0),
        };
        assert_eq!(
            created.to_string(),
            "the ledger changed while this command ran (it was empty when read, now at event 0); nothing was written"
        );
    }

    #[test]
    fn damage_says_where_and_what_and_keeps_its_cause() {
        let missing = StoreError::Damaged {
            seq: 4,
            kind: DamageKind::EventMissing {
                next_stored: Some(6),
            },
        };
        assert_eq!(
            missing.to_string(),
            "the ledger is damaged at sequence 4: the event is missing (the next stored is event 6) (run 'planledger verify')"
        );
        let bytes = codec::encode(&7u64).expect("encodes");
        let undecodable = StoreError::Damaged {
            seq: 2,
            kind: DamageKind::Undecodable(
                codec::decode::<String>(&bytes[..3]).expect_err("three bytes are no string"),
            ),
        };
        let source = std::error::Error::source(&undecodable).expect("the damage is the source");
        assert!(source.to_string().starts_with("record does not decode: "));
    }

    #[test]
    fn a_sled_error_is_kept_as_the_source() {
        let e = StoreError::from(sled::Error::Unsupported("test".into()));
        assert_eq!(
            e.to_string(),
            "the storage engine failed: Unsupported: test"
        );
        assert!(std::error::Error::source(&e).is_some());
    }

    /// An attempt to open `LOCK` for writing that is denied (`EACCES`,
    /// `EPERM`) or meets a read-only file system (`EROFS`) is what sends a
    /// reader to a copy and refuses a writer. The errors are made here
    /// because the tests may run as root, whom permission bits do not
    /// stop: the integration test `readonly` runs the real binary as
    /// another user where it can.
    #[test]
    fn a_lock_that_cannot_be_written_sends_a_reader_to_a_copy_and_refuses_a_writer() {
        let dir = Path::new("/srv/ledgers/alice");
        let met = |errno| {
            Err(io_error(
                &dir.join(LOCK_FILE),
                io::Error::from_raw_os_error(errno),
            ))
        };
        for (errno, why) in [
            (libc::EACCES, ReadOnly::Permission),
            (libc::EPERM, ReadOnly::Permission),
            (libc::EROFS, ReadOnly::FileSystem),
        ] {
            match route(Access::Read, dir, met(errno)) {
                Ok(Route::ReadOnly(found)) => assert_eq!(found, why, "errno {errno}"),
                other => panic!("errno {errno}: a reader got {other:?}"),
            }
            match route(Access::Write, dir, met(errno)) {
                Err(refused @ StoreError::ReadOnly { .. }) => {
                    assert!(
                        matches!(&refused, StoreError::ReadOnly { path, why: found }
                            if path == dir && *found == why),
                        "errno {errno}: {refused:?}"
                    );
                    let line = refused.to_string();
                    assert!(!line.contains('\n') && !line.contains("os error"), "{line}");
                    assert!(line.starts_with("ledger /srv/ledgers/alice is "), "{line}");
                }
                other => panic!("errno {errno}: a writer got {other:?}"),
            }
        }
        // Anything else is not about writing, and is reported as it is.
        for errno in [libc::EIO, libc::ENOSPC, libc::ENOENT, libc::EMFILE] {
            for access in [Access::Read, Access::Write] {
                match route(access, dir, met(errno)) {
                    Err(StoreError::Io { source, .. }) => {
                        assert_eq!(source.raw_os_error(), Some(errno));
                    }
                    other => panic!("errno {errno}, {access:?}: {other:?}"),
                }
            }
        }
        let link = Err(StoreError::Link {
            path: dir.join(LOCK_FILE),
        });
        assert!(matches!(
            route(Access::Read, dir, link),
            Err(StoreError::Link { .. })
        ));
        let lock = tempfile::tempfile().expect("a temporary file");
        assert!(matches!(
            route(Access::Read, dir, Ok(lock)),
            Ok(Route::InPlace(_))
        ));
    }

    /// A read-only ledger is read from the database its last writer
    /// committed, whatever a stopped rewrite left beside it.
    #[test]
    fn the_committed_database_is_sled_or_else_a_complete_sled_new() {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let dir = tmp.path();
        assert_eq!(committed_database(dir).expect("reads"), None);
        fs::create_dir(dir.join(SLED_TMP)).expect("made");
        assert_eq!(committed_database(dir).expect("reads"), None);
        fs::create_dir(dir.join(SLED_NEW)).expect("made");
        assert_eq!(
            committed_database(dir).expect("reads"),
            Some(dir.join(SLED_NEW))
        );
        fs::create_dir(dir.join(SLED_DIR)).expect("made");
        assert_eq!(
            committed_database(dir).expect("reads"),
            Some(dir.join(SLED_DIR))
        );
        fs::remove_dir(dir.join(SLED_DIR)).expect("removed");
        std::os::unix::fs::symlink(dir.join(SLED_NEW), dir.join(SLED_DIR)).expect("a link");
        assert!(matches!(
            committed_database(dir),
            Err(StoreError::Link { path }) if path == dir.join(SLED_DIR)
        ));
    }
}
