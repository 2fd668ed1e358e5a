//! Snapshots: the state folded up to a sequence number, stored so that
//! opening a large ledger, or reading it as of a past point, does not refold
//! the whole history.
//!
//! A snapshot is derived data, never the record: it is stored under the
//! sequence number it was folded to, as
//! `SNAPSHOT_VERSION (u32 BE) ‖ hash of the event at that seq (32 bytes) ‖ encoded State`,
//! written a segment at a time and read as it is decoded, in parts
//! (`store::snapshot_parts`), so that it is never held whole. Its segments
//! ([`segments`]: the head of the state, each range of
//! [`ACTIONS_A_SEGMENT`] action numbers, the rest) are what a snapshot
//! shares with the latest one before it: a segment whose bytes have not
//! changed is named, not written again. A snapshot
//! whose version differs from [`SNAPSHOT_VERSION`], whose hash no longer
//! matches the chain, or which does not decode is dropped and the state is
//! folded from the events instead. `verify` folds the events and checks
//! that each stored snapshot equals that fold, comparing as it reads.
//!
//! # When one is written, and which are kept
//!
//! Each snapshot is the whole state, and the state grows with the history.
//! A snapshot every fixed number of events therefore made building a
//! ledger cost the square of its size (at 1M events, when the state held
//! every note's words, a 127 MB snapshot every 4,096 events). Instead a
//! snapshot is due ([`Since::due`]) once at least [`SNAPSHOT_EVERY`]
//! events *and* at least `1 /` [`SNAPSHOT_TAIL_DIVISOR`] of the latest
//! snapshot's size in record bytes have been appended since it. So:
//!
//! - the snapshots written over a whole history add up to at most
//!   [`SNAPSHOT_TAIL_DIVISOR`] times its record bytes (each is at most that
//!   many times the bytes appended since the one before), linear in the
//!   history; they come at points spaced geometrically (and what is
//!   written of each is less: only the segments that changed since the
//!   latest);
//! - opening folds at most that share of the latest snapshot's size in
//!   events after it, so the open of the latest state stays within a small
//!   factor of reading that snapshot alone.
//!
//! Kept ([`keep`]): the latest, and the first snapshot written in each of
//! the [`SNAPSHOT_BUCKETS_KEPT`] most recent powers of two of sequence
//! numbers (the one written at or after 2^k, for the latest k). A reading
//! as of any point past the oldest of those finds one at no less than a
//! quarter of the way to it (where snapshots were written in those
//! powers, as they are once the ledger is past a few of them), and the
//! kept ones add up to about twice the latest's size, not a multiple of it
//! (less, where they share segments): older ones are small, and a
//! reading that far back folds little. Nothing here changes the snapshot's
//! bytes; the policy is free to change without a new [`SNAPSHOT_VERSION`].

use std::io::Read;

use crate::codec;
use crate::id::Id;
use crate::projection::State;
use crate::store::chain_check::{ProblemKind, Report};
use crate::store::{SnapshotRead, Store, StoreError};

/// Bumped whenever `State` or how events fold into it changes.
pub const SNAPSHOT_VERSION: u32 = 5;

/// A snapshot's first bytes: [`SNAPSHOT_VERSION`] (`u32` BE), then the
/// hash of the event it was folded to.
const HEADER_LEN: usize = 4 + 32;

/// No snapshot is written until at least this many events have been
/// appended since the last one (or since the genesis): a ledger of a few
/// thousand events folds in milliseconds.
pub const SNAPSHOT_EVERY: u64 = 4096;

/// A snapshot is also not written until the record bytes appended since
/// the latest are at least its size divided by this (see the module doc).
pub const SNAPSHOT_TAIL_DIVISOR: u64 = 2;

/// How many of the most recent powers of two of sequence numbers keep
/// their first snapshot, besides the latest (see [`keep`]).
pub const SNAPSHOT_BUCKETS_KEPT: u32 = 3;

/// What has been appended since the latest snapshot, and its size: what
/// decides whether the next is due.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Since {
    /// The stored size of the latest snapshot (0 when there is none).
    pub snapshot_len: u64,
    /// Events appended after it.
    pub events: u64,
    /// Their record bytes.
    pub bytes: u64,
}

impl Since {
    /// Since a snapshot of `len` bytes, nothing yet.
    pub fn snapshot(len: u64) -> Since {
        Since {
            snapshot_len: len,
            events: 0,
            bytes: 0,
        }
    }

    /// One more event of `record_bytes` bytes.
    pub fn add(&mut self, record_bytes: usize) {
        self.events += 1;
        self.bytes += record_bytes as u64;
    }

    /// Whether a snapshot at the head is due.
    pub fn due(&self) -> bool {
        self.events >= SNAPSHOT_EVERY
            && self.bytes.saturating_mul(SNAPSHOT_TAIL_DIVISOR) >= self.snapshot_len
    }
}

/// The first bytes of a snapshot of `state` at its head: the version and
/// the chain's hash there. `None` for a state with no head.
fn header(state: &State) -> Option<(u64, [u8; HEADER_LEN])> {
    let (seq, hash) = state.head?;
    let mut header = [0; HEADER_LEN];
    header[..4].copy_from_slice(&SNAPSHOT_VERSION.to_be_bytes());
    header[4..].copy_from_slice(&hash);
    Some((seq, header))
}

/// The bytes of a snapshot of `state` at its head, whole: what [`save`]
/// writes part by part (for a test that forges or compares one).
pub fn encode(state: &State) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
    let Some((seq, header)) = header(state) else {
        return Ok(None);
    };
    let mut value = header.to_vec();
    codec::encode_derived_into(state, &mut value)?;
    Ok(Some((seq, value)))
}

/// Actions whose numbers fall in one range of this many make one segment
/// of a snapshot (`store::snapshot_parts`): what is written again when one
/// of them changes.
pub const ACTIONS_A_SEGMENT: u32 = 64;

/// The segment of the snapshot's header, the ledger, the plans and the
/// number of actions.
const HEAD_SEGMENT: u32 = 0;
/// The segment of everything after the actions.
const REST_SEGMENT: u32 = u32::MAX;

/// The bytes of a snapshot of `state` (`header` first) in segments, handed
/// to `segment` in order with the name of each: the head, then the actions
/// a range of [`ACTIONS_A_SEGMENT`] numbers at a time, then the rest. They
/// add up to exactly [`encode`]'s bytes: a struct's fields, and a map's
/// length and its entries, are encoded one after the other with nothing
/// between (`codec`), so encoding the fields of `State` in their order,
/// and its actions entry by entry, gives the same bytes.
fn segments<E: From<codec::CodecError>>(
    state: &State,
    header: &[u8],
    mut segment: impl FnMut(u32, &[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let State {
        ledger,
        plans,
        actions,
        sources,
        warnings,
        head,
        last_recorded,
        last_tx,
        texts,
        actors,
        signing,
        requests,
    } = state;
    let mut bytes = header.to_vec();
    codec::encode_derived_into(&(ledger, plans, actions.len() as u64), &mut bytes)?;
    segment(HEAD_SEGMENT, &bytes)?;
    let mut range = None;
    bytes.clear();
    for (id, action) in actions {
        let here = id.get() / ACTIONS_A_SEGMENT;
        if let Some(before) = range
            && before != here
        {
            segment(1 + before, &bytes)?;
            bytes.clear();
        }
        range = Some(here);
        codec::encode_derived_into(&(id, action), &mut bytes)?;
    }
    if let Some(range) = range {
        segment(1 + range, &bytes)?;
    }
    bytes.clear();
    codec::encode_derived_into(
        &(
            sources,
            warnings,
            head,
            last_recorded,
            last_tx,
            texts,
            actors,
            signing,
            requests,
        ),
        &mut bytes,
    )?;
    segment(REST_SEGMENT, &bytes)
}

/// Writes a snapshot of `state` at its head, a segment at a time (never
/// whole in memory), sharing each segment the latest snapshot holds the
/// same bytes for; then drops those [`keep`] does not keep, and any part
/// no snapshot names. Returns what the next snapshot is counted from.
pub fn save(store: &Store, state: &State) -> Result<Since, StoreError> {
    let mut since = Since::default();
    if let Some((seq, header)) = header(state) {
        let mut writer = store.snapshot_writer(seq)?;
        segments(state, &header, |name, bytes| writer.segment(name, bytes))?;
        since = Since::snapshot(writer.finish()?);
    }
    let seqs = store.snapshot_seqs()?;
    let kept = keep(&seqs);
    for seq in seqs {
        if !kept.contains(&seq) {
            store.remove_snapshot(seq)?;
        }
    }
    store.remove_unused_snapshot_parts()?;
    Ok(since)
}

/// Of the snapshots stored at `seqs`, those kept: the latest, and the
/// first (lowest) in each of the [`SNAPSHOT_BUCKETS_KEPT`] most recent
/// powers of two, where snapshot `s` is in power `k` when
/// `2^k <= s < 2^(k+1)`. Once the first of its power, a snapshot stays the
/// first, so a kept snapshot is only ever dropped when its power falls out
/// of the most recent ones: nothing dropped would be kept later.
pub fn keep(seqs: &[u64]) -> Vec<u64> {
    let power = |seq: u64| u64::BITS - seq.leading_zeros();
    let Some(&latest) = seqs.iter().max() else {
        return Vec::new();
    };
    let top = power(latest);
    let mut kept: Vec<u64> = Vec::new();
    let mut sorted = seqs.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut previous = None;
    for seq in sorted {
        let p = power(seq);
        let first_of_power = previous != Some(p);
        previous = Some(p);
        if seq == latest || (first_of_power && p + SNAPSHOT_BUCKETS_KEPT > top) {
            kept.push(seq);
        }
    }
    kept
}

/// Why a stored snapshot is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotFault {
    #[error("too short")]
    TooShort { len: usize },
    #[error("version {found}, not {SNAPSHOT_VERSION}")]
    Version { found: u32 },
    #[error("its hash differs from the chain's")]
    HashDiffers,
    #[error("the chain does not reach it")]
    ChainDoesNotReach,
    #[error("it differs from a fold of the events")]
    DiffersFromFold,
}

/// Why a stored snapshot cannot be used, judged from its header (its
/// first [`HEADER_LEN`] bytes, read from `read`).
fn unusable(
    store: &Store,
    seq: u64,
    read: &mut SnapshotRead<'_>,
) -> Result<Option<SnapshotFault>, StoreError> {
    let mut header = [0u8; HEADER_LEN];
    if read.read_exact(&mut header).is_err() {
        return Ok(Some(SnapshotFault::TooShort {
            len: usize::try_from(read.len()).unwrap_or(usize::MAX),
        }));
    }
    let [a, b, c, d, hash @ ..] = header;
    let version = u32::from_be_bytes([a, b, c, d]);
    if version != SNAPSHOT_VERSION {
        return Ok(Some(SnapshotFault::Version { found: version }));
    }
    match store.event_at(seq)? {
        Some((stored, _)) if stored == hash => Ok(None),
        Some(_) => Ok(Some(SnapshotFault::HashDiffers)),
        None => Ok(Some(SnapshotFault::ChainDoesNotReach)),
    }
}

/// The latest usable snapshot at or before `seq`, and its stored size,
/// read and decoded part by part. Unusable snapshots on the way are
/// dropped; older ones are not read at all.
pub fn load_latest(store: &Store, seq: u64) -> Result<Option<(State, u64)>, StoreError> {
    let mut seqs = store.snapshot_seqs()?;
    seqs.retain(|&at| at <= seq);
    for at in seqs.into_iter().rev() {
        let Some(mut read) = store.snapshot_read(at)? else {
            continue;
        };
        let len = read.len();
        if unusable(store, at, &mut read)?.is_some() {
            store.remove_snapshot(at)?;
            continue;
        }
        match codec::decode_derived_from::<State>(&mut read) {
            Ok(state) if state.head.map(|h| h.0) == Some(at) => return Ok(Some((state, len))),
            _ => store.remove_snapshot(at)?,
        }
    }
    Ok(None)
}

/// What ends [`same_as`]'s comparison early: the stored bytes differ, end
/// early or cannot be read, or the state would not encode.
struct Differs;

impl From<codec::CodecError> for Differs {
    fn from(_: codec::CodecError) -> Differs {
        Differs
    }
}

/// Whether the stored snapshot read by `read` (its header already read) is
/// exactly the encoding of `state`: compared a segment at a time as the
/// state is encoded and the snapshot read, so that neither is held whole.
fn same_as(read: &mut SnapshotRead<'_>, state: &State) -> bool {
    let mut stored = Vec::new();
    let compared = segments(state, &[], |_, bytes| {
        stored.resize(bytes.len(), 0);
        read.read_exact(&mut stored).map_err(|_| Differs)?;
        if stored != bytes {
            return Err(Differs);
        }
        Ok(())
    });
    compared.is_ok() && matches!(read.read(&mut [0u8; 1]), Ok(0))
}

/// Checks stored snapshots against a fold of the events that is made
/// elsewhere: handed the state after each event, in order, it compares
/// each snapshot when the fold reaches its sequence number. It reads each
/// snapshot only then, so at most one is held at a time.
pub struct Checker<'a> {
    store: &'a Store,
    /// The sequence numbers of the stored snapshots not yet reached,
    /// latest first.
    pending: Vec<u64>,
    stored: u64,
}

impl<'a> Checker<'a> {
    pub fn new(store: &'a Store) -> Result<Checker<'a>, StoreError> {
        let mut pending = store.snapshot_seqs()?;
        pending.reverse();
        Ok(Checker {
            store,
            stored: pending.len() as u64,
            pending,
        })
    }

    /// Compares the snapshot stored at `state`'s head, if there is one,
    /// with `state`, adding a problem to `report` if it differs.
    pub fn after(&mut self, state: &State, report: &mut Report) -> Result<(), StoreError> {
        let Some((seq, _)) = state.head else {
            return Ok(());
        };
        while let Some(at) = self.pending.pop() {
            if at > seq {
                self.pending.push(at);
                break;
            }
            if at < seq {
                // An event the fold never reached: the chain check says why.
                continue;
            }
            let Some(mut read) = self.store.snapshot_read(at)? else {
                continue;
            };
            let fault = match unusable(self.store, at, &mut read)? {
                Some(fault) => Some(fault),
                None => (!same_as(&mut read, state)).then_some(SnapshotFault::DiffersFromFold),
            };
            if let Some(fault) = fault {
                report.problem(at, ProblemKind::SnapshotWrong { at, fault });
            }
        }
        Ok(())
    }

    /// Names each snapshot stored past the last event folded, and counts
    /// the snapshots checked.
    pub fn finish(self, report: &mut Report) {
        report.snapshots = self.stored;
        for at in self.pending.into_iter().rev() {
            report.problem(at, ProblemKind::SnapshotWithoutEvent { at });
        }
    }
}

/// Folds every event and checks each stored snapshot against the fold,
/// adding a problem for any that differs. Call only on a chain that
/// verified: folding a broken chain proves nothing. (`integrity::verify`
/// does this with the fold its rules replay makes.)
pub fn check(store: &Store, report: &mut Report) -> Result<(), StoreError> {
    let mut checker = Checker::new(store)?;
    let mut state = State::default();
    for event in store.events() {
        let event = event?;
        state.apply(event.seq, event.hash, &event.record);
        checker.after(&state, report)?;
    }
    checker.finish(report);
    Ok(())
}

/// Drops every snapshot and writes one of `state`; returns how many were
/// dropped.
pub fn rebuild(store: &Store, state: &State) -> Result<u64, StoreError> {
    let all = store.snapshot_seqs()?;
    for seq in &all {
        store.remove_snapshot(*seq)?;
    }
    save(store, state)?;
    Ok(all.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Snapshot points as the policy spaces them: each about a third past
    /// the one before.
    fn geometric(count: usize) -> Vec<u64> {
        let mut at = SNAPSHOT_EVERY;
        (0..count)
            .map(|_| {
                let here = at;
                at += (at / 3).max(SNAPSHOT_EVERY);
                here
            })
            .collect()
    }

    #[test]
    fn the_latest_and_the_first_of_each_recent_power_of_two_are_kept() {
        let seqs = [
            4_096, 8_192, 12_288, 16_384, 20_480, 24_576, 32_768, 40_000, 70_000, 90_000,
        ];
        // Powers (bit lengths): 13, 14, 14, 15, 15, 15, 16, 16, 17, 17.
        assert_eq!(keep(&seqs), vec![16_384, 32_768, 70_000, 90_000]);
        assert_eq!(keep(&[]), Vec::<u64>::new());
        assert_eq!(keep(&[5]), vec![5]);
    }

    #[test]
    fn thinning_as_snapshots_come_keeps_what_thinning_all_at_once_keeps() {
        let all = geometric(30);
        let mut stored: Vec<u64> = Vec::new();
        for &seq in &all {
            stored.push(seq);
            stored = keep(&stored);
        }
        assert_eq!(stored, keep(&all));
        let head = *all.last().expect("some");
        let middle = head / 2;
        assert!(
            stored.iter().any(|&s| s <= middle && s >= middle / 4),
            "{stored:?}"
        );
        assert!(stored.len() <= SNAPSHOT_BUCKETS_KEPT as usize + 1);
    }

    #[test]
    fn a_snapshot_is_due_after_enough_events_and_enough_bytes() {
        let mut since = Since::default();
        for _ in 0..SNAPSHOT_EVERY - 1 {
            since.add(200);
        }
        assert!(!since.due(), "too few events");
        since.add(200);
        assert!(since.due(), "no snapshot yet, enough events");

        let mut since = Since::snapshot(10_000_000);
        for _ in 0..SNAPSHOT_EVERY {
            since.add(200);
        }
        assert!(!since.due(), "enough events, too few bytes");
        while since.bytes * SNAPSHOT_TAIL_DIVISOR < 10_000_000 {
            since.add(200);
        }
        assert!(since.due());
    }
}
