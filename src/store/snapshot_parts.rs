//! How a snapshot's bytes lie in the `snapshot_parts` tree: in parts of
//! at most [`PART_LEN`] bytes, so that neither writing nor reading one
//! ever holds it whole. (sled keeps up to 16 values in a leaf and reads a
//! leaf whole, and keeps much of what it read: reading the latest of four
//! whole-value snapshots of a 1M-event ledger took 530 MB before anything
//! was decoded. [`PART_LEN`] says why parts are as small as they are.)
//!
//! A snapshot's bytes come in *segments* (the snapshot module says where
//! one ends: the head of the state, each range of 64 actions, the rest),
//! and each segment is a *run* of consecutive parts. A snapshot at `seq` is
//! a manifest under `m ‖ seq` (`u64` BE) listing its runs in order; a run
//! lies under `q ‖ written ‖ part` (`u64` BE, `u32` BE), where `written` is
//! the snapshot that wrote it. A segment whose bytes are those of the
//! latest snapshot's run for the same segment (the same length and BLAKE3
//! hash) is not written again: the new manifest names that run. Most of a
//! large ledger's actions have gone quiet, so a snapshot writes the few
//! ranges that changed (building a 1M-event ledger took 8.5 s in
//! `Ledger::transact`, where writing every snapshot whole took 13.3 s, and
//! left 26.7 MB of snapshots where it left 45 MB). The manifest is written
//! last: without it there is no snapshot, and a run no manifest names (a
//! write that stopped, or one no kept snapshot shares any more) is removed
//! by the next save.
//!
//! Written before runs, and still read: a header under `h ‖ seq` holding
//! how many parts and how many bytes, the parts under `p ‖ seq ‖ part`.
//! Headers and manifests lie apart from the parts, so listing the
//! snapshots reads neither. A snapshot written before parts existed is one
//! value under the 8-byte key `seq` in the `snapshots` tree, and is read as
//! it is; a planledger of that time, which knows only that tree, reads a
//! ledger written since as one without snapshots, and folds its events (as
//! one that knows only headers does a ledger of manifests).
//!
//! What the bytes mean (version, chain hash, folded state) is `snapshot`'s
//! business; this module stores and returns bytes.

use std::collections::BTreeMap;
use std::io::{self, Read};

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

const HEADER_PREFIX: u8 = b'h';
const PART_PREFIX: u8 = b'p';
const MANIFEST_PREFIX: u8 = b'm';
const RUN_PART_PREFIX: u8 = b'q';

/// The key of a header (`h`) or a manifest (`m`).
fn snapshot_key(prefix: u8, seq: u64) -> [u8; 9] {
    let mut key = [prefix; 9];
    key[1..].copy_from_slice(&seq.to_be_bytes());
    key
}

fn header_key(seq: u64) -> [u8; 9] {
    snapshot_key(HEADER_PREFIX, seq)
}

fn manifest_key(seq: u64) -> [u8; 9] {
    snapshot_key(MANIFEST_PREFIX, seq)
}

/// The key of a part: of a headed snapshot (`p`) or of a run (`q`).
fn part_key_in(prefix: u8, seq: u64, part: u32) -> [u8; 13] {
    let mut key = [prefix; 13];
    key[1..9].copy_from_slice(&seq.to_be_bytes());
    key[9..].copy_from_slice(&part.to_be_bytes());
    key
}

fn part_key(seq: u64, part: u32) -> [u8; 13] {
    part_key_in(PART_PREFIX, seq, part)
}

fn run_part_key(written: u64, part: u32) -> [u8; 13] {
    part_key_in(RUN_PART_PREFIX, written, part)
}

/// The snapshot a header's, a manifest's or a part's key names.
fn seq_of(key: &[u8]) -> Result<u64, StoreError> {
    key.get(1..9)
        .and_then(decode_seq)
        .filter(|_| matches!(key.len(), 9 | 13))
        .ok_or(StoreError::Damaged {
            seq: 0,
            kind: DamageKind::SnapshotKeyLength { len: key.len() },
        })
}

/// One segment of a snapshot, as its manifest lists it: parts `first ..
/// first + parts` of the snapshot `written`, `len` bytes in all, whose
/// BLAKE3 hash is `hash`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    segment: u32,
    written: u64,
    first: u32,
    parts: u32,
    len: u64,
    hash: [u8; 32],
}

/// A manifest's value: the snapshot's length (`u64` BE) and the number of
/// runs (`u32` BE), then each run.
const MANIFEST_HEAD_LEN: usize = 8 + 4;
/// A run in a manifest: segment (`u32` BE), written (`u64` BE), first part
/// and parts (`u32` BE each), length (`u64` BE), BLAKE3 hash.
const RUN_LEN: usize = 4 + 8 + 4 + 4 + 8 + 32;

fn encode_manifest(len: u64, runs: &[Run]) -> Vec<u8> {
    let mut value = Vec::with_capacity(MANIFEST_HEAD_LEN + RUN_LEN * runs.len());
    value.extend_from_slice(&len.to_be_bytes());
    value.extend_from_slice(&(runs.len() as u32).to_be_bytes());
    for run in runs {
        value.extend_from_slice(&run.segment.to_be_bytes());
        value.extend_from_slice(&run.written.to_be_bytes());
        value.extend_from_slice(&run.first.to_be_bytes());
        value.extend_from_slice(&run.parts.to_be_bytes());
        value.extend_from_slice(&run.len.to_be_bytes());
        value.extend_from_slice(&run.hash);
    }
    value
}

/// A manifest's length and runs; `None` if it is not one (a wrong length,
/// or runs whose lengths do not add up to the snapshot's).
fn decode_manifest(value: &[u8]) -> Option<(u64, Vec<Run>)> {
    fn take<const N: usize>(bytes: &mut &[u8]) -> Option<[u8; N]> {
        let (head, rest) = bytes.split_first_chunk::<N>()?;
        *bytes = rest;
        Some(*head)
    }
    let mut bytes = value;
    let len = u64::from_be_bytes(take(&mut bytes)?);
    let count = u32::from_be_bytes(take(&mut bytes)?) as usize;
    if bytes.len() != count.checked_mul(RUN_LEN)? {
        return None;
    }
    let mut runs = Vec::with_capacity(count);
    let mut total: u64 = 0;
    for _ in 0..count {
        let run = Run {
            segment: u32::from_be_bytes(take(&mut bytes)?),
            written: u64::from_be_bytes(take(&mut bytes)?),
            first: u32::from_be_bytes(take(&mut bytes)?),
            parts: u32::from_be_bytes(take(&mut bytes)?),
            len: u64::from_be_bytes(take(&mut bytes)?),
            hash: take(&mut bytes)?,
        };
        run.first.checked_add(run.parts)?;
        total = total.checked_add(run.len)?;
        runs.push(run);
    }
    (total == len).then_some((len, runs))
}

/// Writes a snapshot segment by segment ([`SnapshotWriter::segment`]);
/// [`SnapshotWriter::finish`] writes its manifest and makes it a snapshot.
/// Dropped unfinished, it leaves no snapshot (the next save removes the
/// runs it wrote). Not synced: a lost snapshot is rebuilt from the events.
pub struct SnapshotWriter<'a> {
    tree: &'a sled::Tree,
    dir: &'a std::path::Path,
    seq: u64,
    /// The number of the next part written under `seq`.
    next_part: u32,
    runs: Vec<Run>,
    len: u64,
    /// The latest snapshot's runs by segment: what need not be written
    /// again.
    latest: BTreeMap<u32, Run>,
}

impl SnapshotWriter<'_> {
    /// Adds `bytes` as the next segment, `segment` naming which it is (its
    /// place in the state, the same from one snapshot to the next): named
    /// again from the latest snapshot if that holds the same bytes for
    /// it, else written in parts.
    pub fn segment(&mut self, segment: u32, bytes: &[u8]) -> Result<(), StoreError> {
        if bytes.is_empty() {
            return Ok(());
        }
        let len = bytes.len() as u64;
        let hash = *blake3::hash(bytes).as_bytes();
        if let Some(run) = self.latest.get(&segment)
            && run.len == len
            && run.hash == hash
        {
            self.runs.push(*run);
            self.len += len;
            return Ok(());
        }
        let first = self.next_part;
        u32::try_from(bytes.len().div_ceil(PART_LEN))
            .ok()
            .and_then(|parts| first.checked_add(parts))
            .ok_or_else(|| StoreError::Io {
                path: self.dir.to_path_buf(),
                source: io::Error::other("a snapshot has more parts than a part key can number"),
            })?;
        for part in bytes.chunks(PART_LEN) {
            self.tree
                .insert(run_part_key(self.seq, self.next_part), part)?;
            self.next_part += 1;
        }
        self.runs.push(Run {
            segment,
            written: self.seq,
            first,
            parts: self.next_part - first,
            len,
            hash,
        });
        self.len += len;
        Ok(())
    }

    /// Writes the manifest; returns the snapshot's length.
    pub fn finish(self) -> Result<u64, StoreError> {
        self.tree.insert(
            manifest_key(self.seq),
            encode_manifest(self.len, &self.runs),
        )?;
        Ok(self.len)
    }
}

/// Parts of one snapshot to read in order: `first .. first + parts` under
/// `prefix ‖ seq`.
#[derive(Clone, Copy, Debug)]
struct ReadRun {
    prefix: u8,
    seq: u64,
    first: u32,
    parts: u32,
}

/// A stored snapshot's bytes, read part by part as they are asked for
/// ([`Read`]). A missing part, or parts that do not add up to the length
/// the snapshot states, is an error of the read (the snapshot is then
/// unusable).
pub struct SnapshotRead<'a> {
    /// The parts tree; `None` for a whole-value snapshot.
    tree: Option<&'a sled::Tree>,
    /// The parts, run by run (none for a whole-value snapshot, read from
    /// `current`).
    runs: Vec<ReadRun>,
    /// The snapshot's length, as stated.
    len: u64,
    run: usize,
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

    /// The next part to read, if any is left.
    fn next_key(&mut self) -> Option<[u8; 13]> {
        loop {
            let run = self.runs.get(self.run)?;
            if self.next_part < run.parts {
                let part = run.first + self.next_part;
                self.next_part += 1;
                return Some(part_key_in(run.prefix, run.seq, part));
            }
            self.run += 1;
            self.next_part = 0;
        }
    }
}

impl Read for SnapshotRead<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.current.len() {
            let Some(key) = self.next_key() else {
                if self.read != self.len {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the snapshot's parts hold fewer bytes than it states",
                    ));
                }
                return Ok(0);
            };
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
    /// Starts writing a snapshot at `seq`, replacing any stored there, and
    /// sharing what it can with the latest stored snapshot.
    pub fn snapshot_writer(&self, seq: u64) -> Result<SnapshotWriter<'_>, StoreError> {
        if let Some(refusal) = self.refusal() {
            return Err(refusal);
        }
        // A snapshot stored whole or headed at `seq` goes; a manifest there
        // is replaced when this one is written, its runs shared or removed.
        self.snapshots.remove(seq.to_be_bytes())?;
        let tree = self.tree_to_write(&self.snapshot_parts, SNAPSHOT_PARTS_TREE)?;
        tree.remove(header_key(seq))?;
        self.remove_parts(tree, seq)?;
        let latest = match tree.scan_prefix([MANIFEST_PREFIX]).values().next_back() {
            Some(value) => decode_manifest(&value?)
                .map(|(_, runs)| runs.into_iter().map(|run| (run.segment, run)).collect())
                .unwrap_or_default(),
            None => BTreeMap::new(),
        };
        // After any part a stopped write left under `seq`.
        let next_part = match tree
            .range(run_part_key(seq, 0)..=run_part_key(seq, u32::MAX))
            .keys()
            .next_back()
        {
            Some(key) => part_of(&key?)?.saturating_add(1),
            None => 0,
        };
        Ok(SnapshotWriter {
            tree,
            dir: &self.dir,
            seq,
            next_part,
            runs: Vec::new(),
            len: 0,
            latest,
        })
    }

    /// Stores `value` as the snapshot at `seq`, in place of any there, as
    /// one segment written afresh (for a test that forges or plants one).
    pub fn put_snapshot(&self, seq: u64, value: Vec<u8>) -> Result<(), StoreError> {
        self.remove_snapshot(seq)?;
        self.remove_unused_snapshot_parts()?;
        let mut writer = self.snapshot_writer(seq)?;
        writer.latest.clear();
        writer.segment(0, &value)?;
        writer.finish()?;
        Ok(())
    }

    /// The snapshot at `seq`, to be read, if there is one.
    pub fn snapshot_read(&self, seq: u64) -> Result<Option<SnapshotRead<'_>>, StoreError> {
        let reading = |tree, runs, len, current| SnapshotRead {
            tree,
            runs,
            len,
            run: 0,
            next_part: 0,
            current,
            at: 0,
            read: 0,
        };
        // Unreadable: read as an empty snapshot, which nothing can use.
        let unreadable = || reading(None, Vec::new(), 0, IVec::default());
        if let Some(whole) = self.snapshots.get(seq.to_be_bytes())? {
            return Ok(Some(reading(None, Vec::new(), whole.len() as u64, whole)));
        }
        let Some(tree) = self.snapshot_parts.get() else {
            return Ok(None);
        };
        if let Some(manifest) = tree.get(manifest_key(seq))? {
            return Ok(Some(match decode_manifest(&manifest) {
                Some((len, runs)) => {
                    let runs = runs
                        .iter()
                        .map(|run| ReadRun {
                            prefix: RUN_PART_PREFIX,
                            seq: run.written,
                            first: run.first,
                            parts: run.parts,
                        })
                        .collect();
                    reading(Some(tree), runs, len, IVec::default())
                }
                None => unreadable(),
            }));
        }
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
            (Some(parts), Some(len)) => {
                let run = ReadRun {
                    prefix: PART_PREFIX,
                    seq,
                    first: 0,
                    parts,
                };
                reading(Some(tree), vec![run], len, IVec::default())
            }
            _ => unreadable(),
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
    /// the keys alone: whole values, and the manifests and headers of those
    /// in parts.
    pub fn snapshot_seqs(&self) -> Result<Vec<u64>, StoreError> {
        let mut seqs = self.whole_value_snapshot_seqs()?;
        if let Some(tree) = self.snapshot_parts.get() {
            for prefix in [HEADER_PREFIX, MANIFEST_PREFIX] {
                for key in tree.scan_prefix([prefix]).keys() {
                    seqs.push(seq_of(&key?)?);
                }
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

    /// Drops the snapshot at `seq`: its whole value, its header and every
    /// part of it, or its manifest (whose runs other snapshots may share:
    /// [`Store::remove_unused_snapshot_parts`] removes those none does).
    pub fn remove_snapshot(&self, seq: u64) -> Result<(), StoreError> {
        self.snapshots.remove(seq.to_be_bytes())?;
        let Some(tree) = self.snapshot_parts.get() else {
            return Ok(());
        };
        tree.remove(header_key(seq))?;
        tree.remove(manifest_key(seq))?;
        self.remove_parts(tree, seq)
    }

    /// Removes every part of the headed snapshot at `seq` (whichever are
    /// left).
    fn remove_parts(&self, tree: &sled::Tree, seq: u64) -> Result<(), StoreError> {
        remove_range(tree, part_key(seq, 0), part_key(seq, u32::MAX))
    }

    /// Drops every part that belongs to no snapshot: parts left by a write
    /// that stopped before its header or manifest, and runs no manifest
    /// names any more. Reads one key of each headed write and of each
    /// snapshot that wrote runs, and the ranges between the runs named.
    pub fn remove_unused_snapshot_parts(&self) -> Result<(), StoreError> {
        let Some(tree) = self.snapshot_parts.get() else {
            return Ok(());
        };
        let mut from = part_key(0, 0);
        while let Some(seq) = first_seq_from(tree, PART_PREFIX, from)? {
            if tree.get(header_key(seq))?.is_none() {
                self.remove_parts(tree, seq)?;
            }
            match seq.checked_add(1) {
                Some(next) => from = part_key(next, 0),
                None => break,
            }
        }
        // The parts each manifest names, by the snapshot that wrote them.
        let mut named: BTreeMap<u64, Vec<(u32, u32)>> = BTreeMap::new();
        for value in tree.scan_prefix([MANIFEST_PREFIX]).values() {
            for run in decode_manifest(&value?)
                .map(|(_, runs)| runs)
                .unwrap_or_default()
            {
                named
                    .entry(run.written)
                    .or_default()
                    .push((run.first, run.first + run.parts));
            }
        }
        let mut from = run_part_key(0, 0);
        while let Some(written) = first_seq_from(tree, RUN_PART_PREFIX, from)? {
            let mut ranges = named.remove(&written).unwrap_or_default();
            ranges.sort_unstable();
            // Every part before, between and after the ranges named.
            let mut gap_from = 0u32;
            for (first, end) in ranges {
                if first > gap_from {
                    remove_range(
                        tree,
                        run_part_key(written, gap_from),
                        run_part_key(written, first - 1),
                    )?;
                }
                gap_from = gap_from.max(end);
            }
            remove_range(
                tree,
                run_part_key(written, gap_from),
                run_part_key(written, u32::MAX),
            )?;
            match written.checked_add(1) {
                Some(next) => from = run_part_key(next, 0),
                None => break,
            }
        }
        Ok(())
    }
}

/// The snapshot named by the first part key at or after `from` under
/// `prefix`, if there is one.
fn first_seq_from(
    tree: &sled::Tree,
    prefix: u8,
    from: [u8; 13],
) -> Result<Option<u64>, StoreError> {
    match tree.range(from..).keys().next().transpose()? {
        Some(key) if key.first() == Some(&prefix) => seq_of(&key).map(Some),
        _ => Ok(None),
    }
}

/// The part number of a part's key.
fn part_of(key: &[u8]) -> Result<u32, StoreError> {
    key.get(9..13)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_be_bytes)
        .ok_or(StoreError::Damaged {
            seq: 0,
            kind: DamageKind::SnapshotKeyLength { len: key.len() },
        })
}

/// Removes every key from `first` to `last`, both included.
fn remove_range(tree: &sled::Tree, first: [u8; 13], last: [u8; 13]) -> Result<(), StoreError> {
    let keys: Vec<IVec> = tree.range(first..=last).keys().collect::<Result<_, _>>()?;
    for key in keys {
        tree.remove(key)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(segment: u32, written: u64, first: u32, parts: u32, len: u64) -> Run {
        Run {
            segment,
            written,
            first,
            parts,
            len,
            hash: [segment as u8; 32],
        }
    }

    #[test]
    fn a_manifest_reads_back_as_written_and_nothing_else_reads_as_one() {
        let runs = vec![
            run(0, 7, 0, 3, 2500),
            run(5, 3, 10, 1, 40),
            run(u32::MAX, 7, 3, 2, 1100),
        ];
        let value = encode_manifest(3640, &runs);
        assert_eq!(value.len(), MANIFEST_HEAD_LEN + 3 * RUN_LEN);
        assert_eq!(decode_manifest(&value), Some((3640, runs.clone())));
        for len in 0..value.len() {
            assert_eq!(decode_manifest(&value[..len]), None, "cut to {len} bytes");
        }
        let mut longer = value.clone();
        longer.push(0);
        assert_eq!(decode_manifest(&longer), None, "a byte more");
        assert_eq!(
            decode_manifest(&encode_manifest(3641, &runs)),
            None,
            "runs that do not add up to the stated length"
        );
        assert_eq!(
            decode_manifest(&encode_manifest(10, &[run(0, 1, u32::MAX, 2, 10)])),
            None,
            "parts past the last a key can number"
        );
        let mut huge = u64::MAX.to_be_bytes().to_vec();
        huge.extend_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(decode_manifest(&huge), None, "a count no value holds");
        assert_eq!(
            decode_manifest(&encode_manifest(0, &[])),
            Some((0, Vec::new()))
        );
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_decode_as_a_manifest_or_as_none_without_panicking(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)
        ) {
            if let Some((len, runs)) = decode_manifest(&bytes) {
                proptest::prop_assert_eq!(encode_manifest(len, &runs), bytes);
            }
        }
    }
}
