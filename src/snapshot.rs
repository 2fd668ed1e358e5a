//! Snapshots: the state folded up to a sequence number, stored so that
//! opening a large ledger, or reading it as of a past point, does not refold
//! the whole history.
//!
//! A snapshot is derived data, never the record: it lives in the `snapshots`
//! tree under the sequence number it was folded to, as
//! `SNAPSHOT_VERSION (u32 BE) ‖ hash of the event at that seq (32 bytes) ‖ encoded State`.
//! A snapshot whose version differs from [`SNAPSHOT_VERSION`], whose hash no
//! longer matches the chain, or which does not decode is dropped and the
//! state is folded from the events instead. `verify` folds the events and
//! checks that each stored snapshot equals that fold.

use crate::codec;
use crate::event::Hash;
use crate::projection::State;
use crate::store::chain_check::{ProblemKind, Report};
use crate::store::{Store, StoreError};

/// Bumped whenever `State` or how events fold into it changes.
pub const SNAPSHOT_VERSION: u32 = 4;

/// A snapshot is written when the head passes a multiple of this many events.
pub const SNAPSHOT_EVERY: u64 = 4096;

/// How many snapshots are kept. Each holds the whole state, so keeping all
/// of them would grow the disk with the square of the ledger; an as-of read
/// older than the oldest kept folds from the start.
pub const SNAPSHOTS_KEPT: usize = 4;

/// Encodes a snapshot of `state`, which must have a head.
pub fn encode(state: &State) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
    let Some((seq, hash)) = state.head else {
        return Ok(None);
    };
    let mut value = Vec::new();
    value.extend_from_slice(&SNAPSHOT_VERSION.to_be_bytes());
    value.extend_from_slice(&hash);
    value.extend_from_slice(&codec::encode_derived(state)?);
    Ok(Some((seq, value)))
}

/// Writes a snapshot of `state` at its head, then drops all but the
/// latest [`SNAPSHOTS_KEPT`].
pub fn save(store: &Store, state: &State) -> Result<(), StoreError> {
    if let Some((seq, value)) = encode(state)? {
        store.put_snapshot(seq, value)?;
    }
    let stale: Vec<u64> = store
        .snapshot_seqs()?
        .into_iter()
        .rev()
        .skip(SNAPSHOTS_KEPT)
        .collect();
    for seq in stale {
        store.remove_snapshot(seq)?;
    }
    Ok(())
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

/// Why a stored snapshot cannot be used, judged from its header.
fn unusable(store: &Store, seq: u64, value: &[u8]) -> Result<Option<SnapshotFault>, StoreError> {
    if value.len() < 36 {
        return Ok(Some(SnapshotFault::TooShort { len: value.len() }));
    }
    let version = u32::from_be_bytes(value[..4].try_into().expect("4 bytes"));
    if version != SNAPSHOT_VERSION {
        return Ok(Some(SnapshotFault::Version { found: version }));
    }
    let hash: Hash = value[4..36].try_into().expect("32 bytes");
    match store.event_at(seq)? {
        Some((stored, _)) if stored == hash => Ok(None),
        Some(_) => Ok(Some(SnapshotFault::HashDiffers)),
        None => Ok(Some(SnapshotFault::ChainDoesNotReach)),
    }
}

/// The latest usable snapshot at or before `seq`. Unusable snapshots on
/// the way are dropped; older ones are not read at all.
pub fn load_latest(store: &Store, seq: u64) -> Result<Option<State>, StoreError> {
    for candidate in store.snapshots_upto(seq) {
        let (at, value) = candidate?;
        if unusable(store, at, &value)?.is_some() {
            store.remove_snapshot(at)?;
            continue;
        }
        match codec::decode_derived::<State>(&value[36..]) {
            Ok(state) if state.head.map(|h| h.0) == Some(at) => return Ok(Some(state)),
            _ => store.remove_snapshot(at)?,
        }
    }
    Ok(None)
}

/// Folds every event and checks each stored snapshot against the fold,
/// adding a problem for any that differs. Call only on a chain that
/// verified: folding a broken chain proves nothing.
pub fn check(store: &Store, report: &mut Report) -> Result<(), StoreError> {
    let mut stored: Vec<(u64, sled::IVec)> =
        store.snapshots_upto(u64::MAX).collect::<Result<_, _>>()?;
    stored.reverse();
    report.snapshots = stored.len() as u64;
    let mut pending = stored.into_iter().peekable();
    let mut state = State::default();
    for event in store.events() {
        let event = event?;
        state.apply(event.seq, event.hash, &event.record);
        while let Some((at, value)) = pending.next_if(|(at, _)| *at <= event.seq) {
            if at < event.seq {
                continue;
            }
            let expected = encode(&state)?.map(|(_, v)| v);
            if expected.as_deref() != Some(value.as_ref()) {
                let fault = unusable(store, at, &value)?.unwrap_or(SnapshotFault::DiffersFromFold);
                report.problem(at, ProblemKind::SnapshotWrong { at, fault });
            }
        }
    }
    for (at, _) in pending {
        report.problem(at, ProblemKind::SnapshotWithoutEvent { at });
    }
    Ok(())
}

/// Drops every snapshot and writes one of `state`.
pub fn rebuild(store: &Store, state: &State) -> Result<u64, StoreError> {
    let all = store.snapshot_seqs()?;
    for seq in &all {
        store.remove_snapshot(*seq)?;
    }
    save(store, state)?;
    Ok(all.len() as u64)
}
