//! The only code that touches sled and the file system.
//!
//! A ledger is a directory holding a lock file (`LOCK`) and a sled 0.34.7
//! database (`sled/`) with three trees:
//!
//! - `events`: key = sequence number as big-endian `u64` (genesis at 0),
//!   value = the event's 32-byte hash ‖ its record bytes (see `chain`);
//! - `meta`: `format_version` = [`FORMAT_VERSION`] as big-endian `u32`, and
//!   `head` = seq (u64 BE) ‖ hash (32 bytes) ‖ tx (u64 BE) ‖ recorded_at
//!   (i64 BE) of the last event;
//! - `txs`: key = transaction number as big-endian `u64`, value = an encoded
//!   [`TxRecord`].
//!
//! Promises: a transaction's events, the new head and its transaction record
//! are written in one sled transaction, and [`Store::append`] returns only
//! after they are flushed *and* the data file is fsynced (sled 0.34.7's flush
//! stops at `sync_file_range`). An append states the head it expects and
//! never replaces a stored event. One process at a time: the lock file is
//! taken before sled is opened.

pub mod chain_check;

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::{Transactional, Tree};

use crate::chain::{self, GENESIS_PREV, LinkError};
use crate::codec::{self, CodecError};
use crate::event::{ClockNote, Event, Hash, Micros, Record, SourceRef, TxRecord};

/// The version of the on-disk format this code reads and writes. It changes
/// whenever stored bytes or the hash framing change.
pub const FORMAT_VERSION: u32 = 1;

/// sled's page cache, bounded: its default of 1 GiB makes a one-line CLI
/// call hold hundreds of megabytes.
const CACHE_BYTES: u64 = 16 * 1024 * 1024;

const SLED_DIR: &str = "sled";
const LOCK_FILE: &str = "LOCK";
const EVENTS_TREE: &str = "events";
const META_TREE: &str = "meta";
const TXS_TREE: &str = "txs";
const SNAPSHOTS_TREE: &str = "snapshots";
const FORMAT_KEY: &[u8] = b"format_version";
const HEAD_KEY: &[u8] = b"head";
const HEAD_LEN: usize = 8 + 32 + 8 + 8;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no ledger at {path} (create one with 'planledger init')")]
    NotALedger { path: PathBuf },
    #[error("a ledger already exists at {path}")]
    AlreadyExists { path: PathBuf },
    #[error("{path} is a file, not a ledger directory")]
    NotADirectory { path: PathBuf },
    #[error("ledger {path} is in use by another process")]
    InUse { path: PathBuf },
    #[error(
        "ledger {path} has format version {found}; this planledger reads version {FORMAT_VERSION} only"
    )]
    UnknownFormat { path: PathBuf, found: u32 },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("the storage engine failed: {0}")]
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
    #[error("the ledger is damaged at sequence {seq}: {kind} (run 'planledger verify')")]
    Damaged {
        seq: u64,
        #[source]
        kind: DamageKind,
    },
    #[error(transparent)]
    Codec(#[from] CodecError),
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
    #[error("a snapshot key of {len} bytes is not a sequence number")]
    SnapshotKeyLength { len: usize },
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

/// One event as read back: its place in the chain and its decoded record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    pub seq: u64,
    pub prev: Hash,
    pub hash: Hash,
    pub bytes: Vec<u8>,
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
}

#[derive(Clone, Debug)]
pub struct PendingEvent {
    pub effective: Option<crate::date::FuzzyDate>,
    pub source: Option<SourceRef>,
    pub event: Event,
}

impl From<Record> for PendingEvent {
    fn from(record: Record) -> PendingEvent {
        PendingEvent {
            effective: record.effective,
            source: record.source,
            event: record.event,
        }
    }
}

/// An open ledger directory, locked for this process.
pub struct Store {
    dir: PathBuf,
    db: sled::Db,
    events: Tree,
    meta: Tree,
    txs: Tree,
    snapshots: Tree,
    // Held for the life of the store; the OS releases the lock on close.
    _lock: File,
}

impl Store {
    /// Creates the ledger directory and its empty database. The caller
    /// appends the genesis event; until then the ledger counts as not yet
    /// created, so an interrupted `init` can simply be run again.
    pub fn create(dir: &Path) -> Result<Store, StoreError> {
        if dir.exists() && !dir.is_dir() {
            return Err(StoreError::NotADirectory {
                path: dir.to_path_buf(),
            });
        }
        fs::create_dir_all(dir).map_err(|source| io_error(dir, source))?;
        let store = Store::open_unchecked(dir)?;
        if !store.events.is_empty() || store.meta.get(FORMAT_KEY)?.is_some() {
            return Err(StoreError::AlreadyExists {
                path: dir.to_path_buf(),
            });
        }
        Ok(store)
    }

    /// Opens an existing ledger and checks its format version.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let store = Store::open_for_verify(dir)?;
        store.format_version()?;
        Ok(store)
    }

    /// Opens a ledger whose format version may be missing or unreadable
    /// (damage that `verify` reports), but not one of another version.
    pub fn open_for_verify(dir: &Path) -> Result<Store, StoreError> {
        if !dir.join(SLED_DIR).is_dir() {
            return Err(StoreError::NotALedger {
                path: dir.to_path_buf(),
            });
        }
        let store = Store::open_unchecked(dir)?;
        match store.format_version() {
            Err(StoreError::Damaged { .. }) | Ok(()) => Ok(store),
            Err(e) => Err(e),
        }
    }

    /// Checks the stored format version: this version is fine; another
    /// version is [`StoreError::UnknownFormat`]; none at all is a ledger
    /// never finished (no events) or damaged (events without a version).
    pub fn format_version(&self) -> Result<(), StoreError> {
        let path = || self.dir.to_path_buf();
        match self.meta.get(FORMAT_KEY)? {
            Some(v) if v.as_ref() == FORMAT_VERSION.to_be_bytes() => Ok(()),
            Some(v) => match <[u8; 4]>::try_from(v.as_ref()) {
                Ok(b) => Err(StoreError::UnknownFormat {
                    path: path(),
                    found: u32::from_be_bytes(b),
                }),
                Err(_) => Err(StoreError::Damaged {
                    seq: 0,
                    kind: DamageKind::FormatVersionUnreadable { stored: v.to_vec() },
                }),
            },
            None if self.events.is_empty() => Err(StoreError::NotALedger { path: path() }),
            None => Err(StoreError::Damaged {
                seq: 0,
                kind: DamageKind::FormatVersionMissing,
            }),
        }
    }

    fn open_unchecked(dir: &Path) -> Result<Store, StoreError> {
        let lock_path = dir.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|source| io_error(&lock_path, source))?;
        take_lock(&lock, dir, &lock_path)?;
        let db = open_sled(&dir.join(SLED_DIR))?;
        Ok(Store {
            dir: dir.to_path_buf(),
            events: db.open_tree(EVENTS_TREE)?,
            meta: db.open_tree(META_TREE)?,
            txs: db.open_tree(TXS_TREE)?,
            snapshots: db.open_tree(SNAPSHOTS_TREE)?,
            db,
            _lock: lock,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
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
    pub fn append(
        &self,
        expected: Option<u64>,
        tx: PendingTx,
    ) -> Result<Vec<StoredEvent>, StoreError> {
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
        let mut written = Vec::with_capacity(tx.events.len());
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
            let bytes = codec::encode(&record)?;
            let hash = chain::event_hash(&prev, seq, &bytes);
            written.push(StoredEvent {
                seq,
                prev,
                hash,
                bytes,
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

        let result = (&self.events, &self.meta, &self.txs).transaction(|(events, meta, txs)| {
            let current = meta
                .get(HEAD_KEY)?
                .and_then(|b| Head::from_bytes(&b))
                .map(|h| h.seq);
            if current != expected {
                return Err(ConflictableTransactionError::Abort(current));
            }
            for event in &written {
                let key = event.seq.to_be_bytes();
                if events.get(key)?.is_some() {
                    return Err(ConflictableTransactionError::Abort(Some(event.seq)));
                }
                events.insert(&key, chain::stored_value(&event.hash, &event.bytes))?;
            }
            if is_genesis {
                meta.insert(FORMAT_KEY, &FORMAT_VERSION.to_be_bytes())?;
            }
            meta.insert(HEAD_KEY, &new_head.to_bytes()[..])?;
            txs.insert(&tx_number.to_be_bytes(), tx_bytes.as_slice())?;
            Ok(())
        });
        match result {
            Ok(()) => {}
            Err(TransactionError::Abort(found)) => {
                return Err(StoreError::Conflict { expected, found });
            }
            Err(TransactionError::Storage(e)) => return Err(e.into()),
        }
        self.sync()?;
        Ok(written)
    }

    /// Makes everything written so far durable: sled's flush, then an fsync
    /// of its data file, its blob files and its directory.
    fn sync(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        let sled_dir = self.dir.join(SLED_DIR);
        let fsync = |path: &Path| -> Result<(), StoreError> {
            File::open(path)
                .and_then(|f| f.sync_all())
                .map_err(|source| io_error(path, source))
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
        let mut prev = prev;
        let mut expected_seq = first;
        let mut failed = false;
        self.events
            .range(first.to_be_bytes()..)
            .map_while(move |item| {
                if failed {
                    return None;
                }
                let result = (|| {
                    let (key, value) = item?;
                    let seq = decode_seq(&key).ok_or(StoreError::Damaged {
                        seq: expected_seq,
                        kind: DamageKind::EventKeyLength { len: key.len() },
                    })?;
                    if seq != expected_seq {
                        return Err(StoreError::Damaged {
                            seq: expected_seq,
                            kind: DamageKind::EventMissing {
                                next_stored: Some(seq),
                            },
                        });
                    }
                    let (bytes, hash) =
                        chain::check_link(&prev, seq, &value).map_err(|e| StoreError::Damaged {
                            seq,
                            kind: DamageKind::Link(e),
                        })?;
                    let record =
                        codec::decode::<Record>(bytes).map_err(|e| StoreError::Damaged {
                            seq,
                            kind: DamageKind::Undecodable(e),
                        })?;
                    Ok(StoredEvent {
                        seq,
                        prev,
                        hash,
                        bytes: bytes.to_vec(),
                        record,
                    })
                })();
                match &result {
                    Ok(event) => {
                        prev = event.hash;
                        expected_seq += 1;
                    }
                    Err(_) => failed = true,
                }
                Some(result)
            })
    }

    /// The event at `seq`, decoded, with its stored hash. The link to its
    /// predecessor is not checked here.
    pub fn event_at(&self, seq: u64) -> Result<Option<(Hash, Record)>, StoreError> {
        let Some(value) = self.events.get(seq.to_be_bytes())? else {
            return Ok(None);
        };
        if value.len() < 32 {
            return Err(StoreError::Damaged {
                seq,
                kind: DamageKind::Link(LinkError::Truncated { len: value.len() }),
            });
        }
        let hash: Hash = value[..32].try_into().expect("checked length");
        let record = codec::decode::<Record>(&value[32..]).map_err(|e| StoreError::Damaged {
            seq,
            kind: DamageKind::Undecodable(e),
        })?;
        Ok(Some((hash, record)))
    }

    /// Stores a snapshot (derived data) under `seq`. Not synced: a lost
    /// snapshot is rebuilt from the events.
    pub fn put_snapshot(&self, seq: u64, value: Vec<u8>) -> Result<(), StoreError> {
        self.snapshots.insert(seq.to_be_bytes(), value)?;
        Ok(())
    }

    /// Stored snapshots at or before `seq`, latest first.
    pub fn snapshots_upto(
        &self,
        seq: u64,
    ) -> impl Iterator<Item = Result<(u64, sled::IVec), StoreError>> + '_ {
        self.snapshots
            .range(..=seq.to_be_bytes())
            .rev()
            .map(|item| {
                let (key, value) = item?;
                let seq = decode_seq(&key).ok_or(StoreError::Damaged {
                    seq: 0,
                    kind: DamageKind::SnapshotKeyLength { len: key.len() },
                })?;
                Ok((seq, value))
            })
    }

    /// The sequence numbers of the stored snapshots, oldest first, read from
    /// the keys alone.
    pub fn snapshot_seqs(&self) -> Result<Vec<u64>, StoreError> {
        self.snapshots
            .iter()
            .keys()
            .map(|key| {
                let key = key?;
                decode_seq(&key).ok_or(StoreError::Damaged {
                    seq: 0,
                    kind: DamageKind::SnapshotKeyLength { len: key.len() },
                })
            })
            .collect()
    }

    /// Drops a snapshot that no longer matches; it will be rebuilt.
    pub fn remove_snapshot(&self, seq: u64) -> Result<(), StoreError> {
        self.snapshots.remove(seq.to_be_bytes())?;
        Ok(())
    }

    /// The raw contents of a tree, for `verify`, which trusts nothing.
    pub(crate) fn raw_tree(
        &self,
        name: RawTree,
    ) -> impl Iterator<Item = Result<(sled::IVec, sled::IVec), StoreError>> + '_ {
        let tree = match name {
            RawTree::Events => &self.events,
            RawTree::Txs => &self.txs,
        };
        tree.iter().map(|item| item.map_err(StoreError::from))
    }

    pub(crate) fn raw_head(&self) -> Result<Option<sled::IVec>, StoreError> {
        Ok(self.meta.get(HEAD_KEY)?)
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum RawTree {
    Events,
    Txs,
}

/// Takes the ledger's exclusive lock. A lock held only for a moment (a
/// process that is exiting, or a child process between fork and exec that
/// briefly shares this process's descriptors) is waited for, up to a
/// second; a lock still held after that belongs to another user of the
/// ledger.
fn take_lock(lock: &File, dir: &Path, lock_path: &Path) -> Result<(), StoreError> {
    const WAIT: std::time::Duration = std::time::Duration::from_millis(10);
    const TRIES: u32 = 100;
    let mut tries = 0;
    loop {
        match lock.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) if tries < TRIES => {
                tries += 1;
                std::thread::sleep(WAIT);
            }
            Err(TryLockError::WouldBlock) => {
                return Err(StoreError::InUse {
                    path: dir.to_path_buf(),
                });
            }
            Err(TryLockError::Error(source)) => return Err(io_error(lock_path, source)),
        }
    }
}

/// Opens sled. We hold the ledger's own lock, so if sled's lock on its data
/// file is still taken, it is held by this process's previous instance of
/// the same database, whose background threads release it moments after it
/// is dropped: wait for that rather than fail.
fn open_sled(path: &Path) -> Result<sled::Db, StoreError> {
    const WAIT: std::time::Duration = std::time::Duration::from_millis(10);
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
            result => return Ok(result?),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
