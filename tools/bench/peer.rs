//! The floor and the peer the ledger is measured against, on the same
//! bytes.
//!
//! - The *floor* is sled 0.34.7 itself, configured as the store configures
//!   it, holding the very bytes the ledger stored in the ledger's own
//!   layout (format 3: [`BLOCK_EVENTS`] events a key, each event's stored
//!   value, hash ‖ subject ‖ sealed record, and its texts): raw inserts in
//!   batches of the same size, each made durable as the store makes a
//!   transaction durable (`flush` and an `fsync` of the data file), each
//!   batch rewriting the partial block the one before left, as an append
//!   does; and a scan of the ledger's own `events` tree recomputing each
//!   hash with the chain's framing (FORMAT.md §4) from the previous stored
//!   hash, and hashing each event's texts with BLAKE3.
//! - The *one-key floor* is format 2's layout, for comparison: sled again,
//!   one key an event and the texts in a tree of their own.
//! - The *peer* is what a team would otherwise build: one SQLite table
//!   (bundled SQLite through `rusqlite`, WAL, `synchronous=FULL`),
//!   `events(seq INTEGER PRIMARY KEY, hash BLOB, record BLOB, texts BLOB)`,
//!   where `record` is the subject ‖ sealed record bytes and `texts` the
//!   event's stored texts, the hash computed at insert with the same
//!   framing, one SQL transaction per batch; verify is one ordered scan
//!   recomputing the chain. The `texts` column is there so that the peer
//!   stores the same bytes as the ledger.

use std::fs::File;
use std::path::Path;
use std::time::{Duration, Instant};

use planledger::chain::{self, GENESIS_PREV, Subject};
use planledger::store::block;

use crate::synth::Result;

/// sled's page cache, as the store bounds it.
const CACHE_BYTES: u64 = planledger::store::CACHE_BYTES;

/// Opens a sled database as the store opens one.
pub fn open_sled(path: &Path) -> Result<sled::Db> {
    Ok(sled::Config::new()
        .path(path)
        .cache_capacity(CACHE_BYTES)
        .flush_every_ms(None)
        .open()?)
}

/// One stored event as raw bytes: seq, the `events` value, the `texts`
/// value if any.
pub type Raw = (u64, Vec<u8>, Option<Vec<u8>>);

/// Reads the raw events of a ledger's sled database (format 3's blocks)
/// in batches of `batch`, handing each batch to `f`.
pub fn each_batch(
    db: &sled::Db,
    batch: usize,
    mut f: impl FnMut(&[Raw]) -> Result<()>,
) -> Result<()> {
    let events = db.open_tree("events")?;
    let mut chunk: Vec<Raw> = Vec::with_capacity(batch);
    for entry in events.iter() {
        let (key, value) = entry?;
        let key = u64::from_be_bytes(
            key.as_ref()
                .try_into()
                .map_err(|_| "an events key is not 8 bytes")?,
        );
        for stored in block::entries(key, &value) {
            let stored = stored.map_err(|(seq, fault)| format!("event {seq}: {fault}"))?;
            let texts = stored.texts.map(|t| value[t].to_vec());
            chunk.push((stored.seq, value[stored.value].to_vec(), texts));
            if chunk.len() == batch {
                f(&chunk)?;
                chunk.clear();
            }
        }
    }
    if !chunk.is_empty() {
        f(&chunk)?;
    }
    Ok(())
}

/// Byte counts of a ledger's stored events.
#[derive(Default)]
pub struct RawBytes {
    pub events: u64,
    /// The sealed record bytes alone.
    pub records: u64,
    /// The stored texts.
    pub texts: u64,
}

pub fn raw_bytes(db: &sled::Db) -> Result<RawBytes> {
    let mut bytes = RawBytes::default();
    each_batch(db, 4096, |chunk| {
        for (_, value, texts) in chunk {
            bytes.events += 1;
            bytes.records += value.len().saturating_sub(chain::STORED_PREFIX) as u64;
            bytes.texts += texts.as_ref().map_or(0, |t| t.len() as u64);
        }
        Ok(())
    })?;
    Ok(bytes)
}

/// The bytes of keys and values in each tree of a sled database, by name,
/// in name order: what the database holds, beside what its files take.
pub fn tree_bytes(db: &sled::Db) -> Result<Vec<(String, u64)>> {
    let mut sizes = Vec::new();
    for name in db.tree_names() {
        let tree = db.open_tree(&name)?;
        let mut bytes = 0u64;
        for entry in tree.iter() {
            let (key, value) = entry?;
            bytes += (key.len() + value.len()) as u64;
        }
        sizes.push((String::from_utf8_lossy(&name).into_owned(), bytes));
    }
    sizes.sort();
    Ok(sizes)
}

/// The one-key floor of a bulk import: the ledger's raw values inserted
/// into a new sled database at `dir`, one key an event and the texts in a
/// `texts` tree (format 2's layout), in batches, each batch durable. Only
/// the inserts and their syncs are timed, not reading the source.
pub fn sled_import(source: &sled::Db, dir: &Path, batch: usize) -> Result<(u64, Duration)> {
    let db = open_sled(dir)?;
    let events = db.open_tree("events")?;
    let texts = db.open_tree("texts")?;
    let data = dir.join("db");
    let mut took = Duration::ZERO;
    let mut count = 0;
    each_batch(source, batch, |chunk| {
        let start = Instant::now();
        let mut e = sled::Batch::default();
        let mut t = sled::Batch::default();
        for (seq, value, text) in chunk {
            e.insert(&seq.to_be_bytes(), value.as_slice());
            if let Some(text) = text {
                t.insert(&seq.to_be_bytes(), text.as_slice());
            }
        }
        events.apply_batch(e)?;
        texts.apply_batch(t)?;
        made_durable(&db, &data)?;
        took += start.elapsed();
        count += chunk.len() as u64;
        Ok(())
    })?;
    Ok((count, took))
}

/// Makes what a floor wrote durable as the store makes a transaction
/// durable: sled's `flush` and an `fsync` of its data file.
fn made_durable(db: &sled::Db, data: &Path) -> Result<()> {
    db.flush()?;
    File::open(data)?.sync_all()?;
    Ok(())
}

/// The one-key floor of verify, over a database [`sled_import`] wrote:
/// every stored event's hash recomputed from the previous stored hash, its
/// subject and its record's digest, in one scan of the `events` tree (keys
/// checked to be 0, 1, 2, …), the `texts` tree scanned in key order beside
/// it and the bytes of each event's texts hashed with BLAKE3 (what
/// checking them against the record's commitments costs, near enough).
/// Returns the events checked and the bytes of texts read.
pub fn sled_verify_with_texts(db: &sled::Db) -> Result<(u64, u64)> {
    let events = db.open_tree("events")?;
    let mut texts = db.open_tree("texts")?.iter().peekable();
    let mut prev = GENESIS_PREV;
    let mut expected = 0u64;
    let mut text_bytes = 0u64;
    for entry in events.iter() {
        let (key, value) = entry?;
        if key.as_ref() != expected.to_be_bytes() {
            return Err(format!("floor verify: a gap or bad key at {expected}").into());
        }
        let link = chain::check_link(&prev, expected, &value)
            .map_err(|e| format!("floor verify: event {expected}: {e}"))?;
        prev = link.hash;
        while let Some(Ok((text_key, _))) = texts.peek() {
            if text_key.as_ref() > key.as_ref() {
                break;
            }
            if let Some(item) = texts.next() {
                let (text_key, words) = item?;
                if text_key == key {
                    text_bytes += words.len() as u64;
                    std::hint::black_box(blake3::hash(&words));
                }
            }
        }
        expected += 1;
    }
    Ok((expected, text_bytes))
}

/// The SQLite peer's database at `path`.
pub struct Peer {
    conn: rusqlite::Connection,
}

impl Peer {
    pub fn create(path: &Path) -> Result<Peer> {
        let conn = rusqlite::Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(
            "CREATE TABLE events (seq INTEGER PRIMARY KEY, hash BLOB NOT NULL, record BLOB NOT NULL, texts BLOB)",
        )?;
        Ok(Peer { conn })
    }

    /// Inserts the ledger's events, one SQL transaction per batch, each
    /// hash computed from the previous one as the chain frames it. Only
    /// the hashing and the inserts are timed.
    pub fn import(&mut self, source: &sled::Db, batch: usize) -> Result<(u64, Duration)> {
        let mut prev = GENESIS_PREV;
        let mut took = Duration::ZERO;
        let mut count = 0;
        each_batch(source, batch, |chunk| {
            let start = Instant::now();
            let tx = self.conn.transaction()?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO events (seq, hash, record, texts) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for (seq, value, text) in chunk {
                    let stored = value
                        .get(32..)
                        .ok_or_else(|| format!("event {seq} is shorter than its hash"))?;
                    let (subject, record) = split_subject(stored, *seq)?;
                    let hash =
                        chain::event_hash(&prev, *seq, subject, &chain::record_digest(record));
                    insert.execute(rusqlite::params![*seq as i64, &hash[..], stored, text])?;
                    prev = hash;
                }
            }
            tx.commit()?;
            took += start.elapsed();
            count += chunk.len() as u64;
            Ok(())
        })?;
        // The WAL folded into the database file, so that its size is the
        // table's.
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok((count, took))
    }

    /// One ordered scan recomputing the chain. Returns the events checked.
    pub fn verify(&self) -> Result<u64> {
        self.verify_reading(false)
    }

    /// [`Peer::verify`] that reads and hashes each event's texts too, as
    /// [`sled_verify_with_texts`] does.
    pub fn verify_with_texts(&self) -> Result<u64> {
        self.verify_reading(true)
    }

    fn verify_reading(&self, with_texts: bool) -> Result<u64> {
        let sql = if with_texts {
            "SELECT seq, hash, record, texts FROM events ORDER BY seq"
        } else {
            "SELECT seq, hash, record FROM events ORDER BY seq"
        };
        let mut select = self.conn.prepare_cached(sql)?;
        let mut rows = select.query([])?;
        let mut prev = GENESIS_PREV;
        let mut expected = 0u64;
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            if seq as u64 != expected {
                return Err(format!("peer verify: a gap at {expected}").into());
            }
            let stored_hash = row.get_ref(1)?.as_blob()?;
            let stored = row.get_ref(2)?.as_blob()?;
            let (subject, record) = split_subject(stored, expected)?;
            let hash = chain::event_hash(&prev, expected, subject, &chain::record_digest(record));
            if stored_hash != hash {
                return Err(format!("peer verify: event {expected}'s hash differs").into());
            }
            if with_texts && let Ok(Some(words)) = row.get_ref(3)?.as_blob_or_null() {
                std::hint::black_box(blake3::hash(words));
            }
            prev = hash;
            expected += 1;
        }
        Ok(expected)
    }
}

/// The subject and the record of the bytes after an event's hash.
fn split_subject(stored: &[u8], seq: u64) -> Result<(Subject, &[u8])> {
    let (subject, record) = stored
        .split_first_chunk::<8>()
        .ok_or_else(|| format!("event {seq} is shorter than its subject"))?;
    Ok((Subject::from_bytes(*subject), record))
}

/// Events a key in the floor: format 3's.
pub const BLOCK_EVENTS: u64 = planledger::store::BLOCK_EVENTS;

/// The floor of a bulk import: the ledger's raw values inserted into a new
/// sled database at `dir`, [`BLOCK_EVENTS`] a key (the key the block's
/// first sequence number) as format 3 stores them, in batches, each batch
/// durable and rewriting the partial block the one before left. Only the
/// inserts and their syncs are timed.
pub fn blocked_import(source: &sled::Db, dir: &Path, batch: usize) -> Result<(u64, Duration)> {
    let db = open_sled(dir)?;
    let events = db.open_tree("events")?;
    let data = dir.join("db");
    let mut took = Duration::ZERO;
    let mut count = 0;
    let mut open = (0u64, Vec::new());
    each_batch(source, batch, |chunk| {
        let start = Instant::now();
        let mut writes = sled::Batch::default();
        for (seq, value, texts) in chunk {
            let key = seq - seq % BLOCK_EVENTS;
            if key != open.0 {
                if !open.1.is_empty() {
                    writes.insert(&open.0.to_be_bytes(), open.1.as_slice());
                }
                open = (key, Vec::new());
            }
            block::push(&mut open.1, value, texts.as_deref());
        }
        writes.insert(&open.0.to_be_bytes(), open.1.as_slice());
        events.apply_batch(writes)?;
        made_durable(&db, &data)?;
        took += start.elapsed();
        count += chunk.len() as u64;
        Ok(())
    })?;
    Ok((count, took))
}

/// The floor of verify: one scan of the blocks of the `events` tree (the
/// ledger's own, or [`blocked_import`]'s), every event's hash recomputed
/// from the previous stored hash, its subject and its record's digest, and
/// its texts hashed with BLAKE3 as [`sled_verify_with_texts`] does. Returns
/// the events checked.
pub fn blocked_verify(db: &sled::Db) -> Result<u64> {
    let events = db.open_tree("events")?;
    let mut prev = GENESIS_PREV;
    let mut expected = 0u64;
    for entry in events.iter() {
        let (key, value) = entry?;
        if key.as_ref() != expected.to_be_bytes() {
            return Err(format!("floor verify: a gap or bad key at {expected}").into());
        }
        for stored in block::entries(expected, &value) {
            let stored = stored.map_err(|(seq, fault)| format!("event {seq}: {fault}"))?;
            let link = chain::check_link(&prev, expected, &value[stored.value])
                .map_err(|e| format!("floor verify: event {expected}: {e}"))?;
            prev = link.hash;
            if let Some(texts) = stored.texts {
                std::hint::black_box(blake3::hash(&value[texts]));
            }
            expected += 1;
        }
    }
    Ok(expected)
}
