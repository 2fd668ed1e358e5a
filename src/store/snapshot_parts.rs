//! How a snapshot's bytes lie in the `snapshot_parts` tree: in parts of
//! at most [`PART_LEN`] bytes, so that neither writing nor reading one
//! ever holds it whole. (sled keeps up to 16 values in a leaf and reads a
//! leaf whole, and keeps much of what it read: reading the latest of four
//! whole-value snapshots of a 1M-event ledger took 530 MB before anything
//! was decoded. [`PART_LEN`] says why parts are as small as they are.)
//!
//! A snapshot at `seq` has a header under `h ‖ seq` (`u64` BE) holding how
//! many parts it has and how many bytes in all, and its parts in order
//! under `p ‖ seq ‖ part` (`u32` BE, from 0). The header is written last:
//! without it there is no snapshot (a write that stopped part way leaves
//! parts only, which the next save removes). Headers lie apart from the
//! parts, so listing the snapshots reads only headers. A snapshot written
//! before parts existed is one value under the 8-byte key `seq` in the
//! `snapshots` tree, and is read as it is; a planledger of that time, which
//! knows only that tree, reads a ledger written since as one without
//! snapshots, and folds its events.
//!
//! What the bytes mean (version, chain hash, folded state) is `snapshot`'s
//! business; this module stores and returns bytes.

use std::io::{self, Read, Write};

use sled::IVec;

use super::{DamageKind, Store, StoreError, decode_seq};

/// The tree's name.
pub(super) const SNAPSHOT_PARTS_TREE: &str = "snapshot_parts";

/// The most bytes one part planledger writes holds (a reader takes parts
/// of any length).
///
/// Small, because of how sled 0.34 caches. A leaf holds up to 16 values and
/// is read whole. A leaf over about 128 KiB is written as a blob, which
/// sled's cache counts at the size of its pointer and so never evicts:
/// with parts of 256 KiB, every snapshot part read stayed in memory (about
/// 140 MB for the latest snapshot of a 1M-event ledger). Below that, the
/// cache still applies each read late (it queues 64 reads in each of its
/// 256 shards before it counts them), so what a sequential read keeps is
/// about 16,384 reads' worth of leaves: 58 MB with parts of 4 KiB, 16 MB
/// with parts of 1 KiB (`show` on that ledger: 450, 385, 352 MB).
pub const PART_LEN: usize = 1 << 10;

/// A header's value: the number of parts, then the snapshot's length.
const HEADER_LEN: usize = 4 + 8;

const HEADER_PREFIX: u8 = b'h';
const PART_PREFIX: u8 = b'p';

fn header_key(seq: u64) -> [u8; 9] {
    let mut key = [HEADER_PREFIX; 9];
    key[1..].copy_from_slice(&seq.to_be_bytes());
    key
}

fn part_key(seq: u64, part: u32) -> [u8; 13] {
    let mut key = [PART_PREFIX; 13];
    key[1..9].copy_from_slice(&seq.to_be_bytes());
    key[9..].copy_from_slice(&part.to_be_bytes());
    key
}

/// The snapshot a header's or a part's key names.
fn seq_of(key: &[u8]) -> Result<u64, StoreError> {
    key.get(1..9)
        .and_then(decode_seq)
        .filter(|_| matches!(key.len(), 9 | 13))
        .ok_or(StoreError::Damaged {
            seq: 0,
            kind: DamageKind::SnapshotKeyLength { len: key.len() },
        })
}

/// Writes a snapshot's bytes part by part as they come ([`Write`]);
/// [`SnapshotSink::finish`] writes its header and makes it a snapshot. Dropped
/// unfinished, it leaves no snapshot. Not synced: a lost snapshot is
/// rebuilt from the events.
pub struct SnapshotSink<'a> {
    tree: &'a sled::Tree,
    seq: u64,
    parts: u32,
    len: u64,
    buf: Vec<u8>,
}

impl SnapshotSink<'_> {
    fn write_part(&mut self) -> Result<(), StoreError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.tree
            .insert(part_key(self.seq, self.parts), self.buf.as_slice())?;
        self.parts += 1;
        self.len += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    /// Writes the last part and the header; returns the snapshot's length.
    pub fn finish(mut self) -> Result<u64, StoreError> {
        self.write_part()?;
        let mut header = [0; HEADER_LEN];
        header[..4].copy_from_slice(&self.parts.to_be_bytes());
        header[4..].copy_from_slice(&self.len.to_be_bytes());
        self.tree.insert(header_key(self.seq), &header[..])?;
        Ok(self.len)
    }
}

impl Write for SnapshotSink<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let room = PART_LEN - self.buf.len();
        let taken = bytes.len().min(room);
        self.buf.extend_from_slice(&bytes[..taken]);
        if self.buf.len() == PART_LEN {
            self.write_part().map_err(io::Error::other)?;
        }
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A stored snapshot's bytes, read part by part as they are asked for
/// ([`Read`]). A missing part, or parts that do not add up to the length
/// part 0 states, is an error of the read (the snapshot is then unusable).
pub struct SnapshotRead<'a> {
    /// The parts tree; `None` for a whole-value snapshot.
    tree: Option<&'a sled::Tree>,
    seq: u64,
    /// The parts in all (none for a whole-value snapshot, read from
    /// `current`).
    parts: u32,
    /// The snapshot's length, as stated.
    len: u64,
    next_part: u32,
    current: IVec,
    at: usize,
    read: u64,
}

impl SnapshotRead<'_> {
    /// The snapshot's length, as stored.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the snapshot holds no bytes at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Read for SnapshotRead<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.current.len() {
            if self.next_part >= self.parts {
                if self.read != self.len {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the snapshot's parts hold fewer bytes than it states",
                    ));
                }
                return Ok(0);
            }
            let key = part_key(self.seq, self.next_part);
            self.current = self
                .tree
                .map(|tree| tree.get(key))
                .transpose()
                .map_err(io::Error::other)?
                .flatten()
                .ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "a part of the snapshot is missing",
                    )
                })?;
            self.next_part += 1;
            self.at = 0;
        }
        let taken = out.len().min(self.current.len() - self.at);
        out[..taken].copy_from_slice(&self.current[self.at..self.at + taken]);
        self.at += taken;
        self.read += taken as u64;
        if self.read > self.len {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the snapshot's parts hold more bytes than it states",
            ));
        }
        Ok(taken)
    }
}

impl Store {
    /// Starts writing a snapshot at `seq`, replacing any stored there.
    pub fn snapshot_sink(&self, seq: u64) -> Result<SnapshotSink<'_>, StoreError> {
        if let Some(refusal) = self.refusal() {
            return Err(refusal);
        }
        self.remove_snapshot(seq)?;
        Ok(SnapshotSink {
            tree: self.tree_to_write(&self.snapshot_parts, SNAPSHOT_PARTS_TREE)?,
            seq,
            parts: 0,
            len: 0,
            buf: Vec::with_capacity(PART_LEN),
        })
    }

    /// Stores `value` as the snapshot at `seq` (in parts, as
    /// [`Store::snapshot_sink`] does).
    pub fn put_snapshot(&self, seq: u64, value: Vec<u8>) -> Result<(), StoreError> {
        let mut sink = self.snapshot_sink(seq)?;
        sink.write_all(&value).map_err(|e| StoreError::Io {
            path: self.dir.clone(),
            source: e,
        })?;
        sink.finish()?;
        Ok(())
    }

    /// The snapshot at `seq`, to be read, if there is one.
    pub fn snapshot_read(&self, seq: u64) -> Result<Option<SnapshotRead<'_>>, StoreError> {
        let reading = |tree, parts, len, current| SnapshotRead {
            tree,
            seq,
            parts,
            len,
            next_part: 0,
            current,
            at: 0,
            read: 0,
        };
        if let Some(whole) = self.snapshots.get(seq.to_be_bytes())? {
            return Ok(Some(reading(None, 0, whole.len() as u64, whole)));
        }
        let Some(tree) = self.snapshot_parts.get() else {
            return Ok(None);
        };
        let Some(header) = tree.get(header_key(seq))? else {
            return Ok(None);
        };
        let parts = header
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes);
        let len = header
            .get(4..12)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_be_bytes);
        Ok(Some(match (parts, len) {
            (Some(parts), Some(len)) => reading(Some(tree), parts, len, IVec::default()),
            // Unreadable: read as an empty snapshot, which nothing can use.
            _ => reading(None, 0, 0, IVec::default()),
        }))
    }

    /// The bytes of each stored snapshot at or before `seq`, latest first,
    /// each read whole (for tests and small ledgers; [`Store::snapshot_read`]
    /// reads one part by part).
    pub fn snapshots_upto(
        &self,
        seq: u64,
    ) -> impl Iterator<Item = Result<(u64, Vec<u8>), StoreError>> + '_ {
        let listed: Vec<Result<u64, StoreError>> = match self.snapshot_seqs() {
            Ok(seqs) => seqs
                .into_iter()
                .filter(|&s| s <= seq)
                .rev()
                .map(Ok)
                .collect(),
            Err(e) => vec![Err(e)],
        };
        listed.into_iter().filter_map(move |at| {
            let at = match at {
                Ok(at) => at,
                Err(e) => return Some(Err(e)),
            };
            let mut read = match self.snapshot_read(at) {
                Ok(read) => read?,
                Err(e) => return Some(Err(e)),
            };
            let mut bytes = Vec::new();
            // Parts that do not add up read as what they hold, which
            // nothing can use.
            let _ = read.read_to_end(&mut bytes);
            Some(Ok((at, bytes)))
        })
    }

    /// The sequence numbers of the stored snapshots, oldest first, read from
    /// the keys alone: whole values, and the headers of those in parts.
    pub fn snapshot_seqs(&self) -> Result<Vec<u64>, StoreError> {
        let mut seqs = self.whole_value_snapshot_seqs()?;
        if let Some(tree) = self.snapshot_parts.get() {
            for key in tree.scan_prefix([HEADER_PREFIX]).keys() {
                seqs.push(seq_of(&key?)?);
            }
        }
        seqs.sort_unstable();
        seqs.dedup();
        Ok(seqs)
    }

    /// The sequence numbers of the snapshots stored whole, as a planledger
    /// before parts wrote them (none, once a writer has carried them over).
    pub fn whole_value_snapshot_seqs(&self) -> Result<Vec<u64>, StoreError> {
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

    /// Drops the snapshot stored whole at `seq`, leaving one in parts.
    pub fn remove_whole_value_snapshot(&self, seq: u64) -> Result<(), StoreError> {
        self.snapshots.remove(seq.to_be_bytes())?;
        Ok(())
    }

    /// Drops the snapshot at `seq` (its whole value, or its header and
    /// every part of it).
    pub fn remove_snapshot(&self, seq: u64) -> Result<(), StoreError> {
        self.snapshots.remove(seq.to_be_bytes())?;
        let Some(tree) = self.snapshot_parts.get() else {
            return Ok(());
        };
        tree.remove(header_key(seq))?;
        self.remove_parts(tree, seq)
    }

    /// Removes every part of the snapshot at `seq` (whichever are left).
    fn remove_parts(&self, tree: &sled::Tree, seq: u64) -> Result<(), StoreError> {
        let keys: Vec<IVec> = tree
            .range(part_key(seq, 0)..=part_key(seq, u32::MAX))
            .keys()
            .collect::<Result<_, _>>()?;
        for key in keys {
            tree.remove(key)?;
        }
        Ok(())
    }

    /// Drops every part that belongs to no snapshot (left by a write that
    /// stopped before its header), reading one key of each such write.
    pub fn remove_orphan_snapshot_parts(&self) -> Result<(), StoreError> {
        let Some(tree) = self.snapshot_parts.get() else {
            return Ok(());
        };
        let mut from = part_key(0, 0);
        loop {
            let Some((key, _)) = tree.range(from..).next().transpose()? else {
                return Ok(());
            };
            if key.first() != Some(&PART_PREFIX) {
                return Ok(());
            }
            let seq = seq_of(&key)?;
            if tree.get(header_key(seq))?.is_none() {
                self.remove_parts(tree, seq)?;
            }
            match seq.checked_add(1) {
                Some(next) => from = part_key(next, 0),
                None => return Ok(()),
            }
        }
    }
}
