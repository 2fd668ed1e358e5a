//! The action index: which events are about each action, so that the
//! history of one action reads that action's events and not the ledger.
//!
//! Derived data, like snapshots: the chain is the authority. The events
//! whose subject names an action (§4 of `ledger/FORMAT.md`: the subject is
//! committed in the chain) are listed per action in chunks in the
//! `actions` tree, and the tree's mark says below which sequence number
//! every event is indexed. Events at or above the mark are found by a scan
//! of their stored subjects, so an index that lags (a ledger written
//! before the index existed, or a process stopped between a transaction
//! and its index) is slower to read, never wrong. A writer brings it up to
//! the head after each transaction and on open; `verify` checks it against
//! the subjects it reads; `planledger snapshot --rebuild` writes it afresh.
//!
//! # Layout (version 2)
//!
//! - A chunk: key `action u32 BE ‖ first u64 BE` (12 bytes), value the
//!   sequence numbers of 1 to [`CHUNK`] events about that action, each a
//!   `u64` BE, strictly ascending, the first equal to `first`. Every
//!   sequence number of a chunk is below the first of the action's next
//!   chunk, and below the mark. A writer extends an action's last chunk
//!   (one read and one write of a small value) until it holds [`CHUNK`],
//!   then starts another, so all but an action's last chunk are full.
//! - The mark: key `[0; 4]` (no action is numbered 0, so no chunk's key
//!   starts so), value `INDEX_VERSION u32 BE ‖ below u64 BE`.
//!
//! Version 1 had a key `action ‖ seq` with an empty value per event: about
//! a million 12-byte keys at a million events, which sled keeps sixteen to
//! a leaf (its page table, and its splitting of them, cost memory on every
//! open and import). An index of another version is no index: readers and
//! `verify` pass it by, and the first writer replaces it. sled does not
//! give back the pages the old keys took: the open of a ledger whose index
//! was replaced in place is no cheaper (a little dearer, measured) until a
//! redaction's rewrite copies the database.

use std::collections::BTreeMap;

use sled::Tree;

use crate::chain::{self, Subject, Subjects};
use crate::id::{ActionId, Id};

use super::{DamageKind, Store, StoreError, StoredEvent, decode_seq, stored_parts};

/// The tree's name.
pub(super) const ACTIONS_TREE: &str = "actions";

/// The key of the mark: no action is numbered 0, so no chunk starts so.
const MARK_KEY: [u8; 4] = [0; 4];

/// The layout of the chunks and the mark (the module's doc). A mark of
/// another version is read as no index at all, and a writer replaces the
/// index.
const INDEX_VERSION: u32 = 2;

/// The most events a chunk lists. Large enough that most actions' events
/// fit one chunk (an action has about 40 at a million events), so that the
/// tree holds about one key per action; small enough that extending a
/// chunk rewrites at most 512 bytes. 32 and 128 measured no different, at
/// a million events and on a 100,000-row import.
pub const CHUNK: usize = 64;

/// Events indexed in one sled batch, which writes each action's last
/// chunk grown and the chunks begun, with the mark the batch reaches. sled
/// holds every page a batch replaces until the batch ends (its epoch guard
/// is pinned throughout), so one batch of an import's 200,000 events held
/// about 400 MB; batches of this size hold little.
const BATCH_ENTRIES: usize = 1024;

/// What is wrong with the action index, as `verify` finds it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IndexFault {
    #[error("a key of {len} bytes is neither a chunk nor the mark")]
    KeyLength { len: usize },
    #[error("its mark is unreadable")]
    MarkUnreadable,
    #[error(
        "its chunk of {action} at event {first} is {len} bytes, not a whole number of 8-byte sequence numbers"
    )]
    ChunkLength {
        action: ActionId,
        first: u64,
        len: usize,
    },
    #[error("its chunk of {action} at event {first} lists no events")]
    ChunkEmpty { action: ActionId, first: u64 },
    #[error(
        "its chunk of {action} at event {first} lists {events} events, more than a chunk holds ({})",
        CHUNK
    )]
    ChunkOverfull {
        action: ActionId,
        first: u64,
        events: usize,
    },
    #[error("its chunk of {action} at event {first} begins with event {begins}")]
    ChunkStart {
        action: ActionId,
        first: u64,
        begins: u64,
    },
    #[error("it lists event {seq} under {action} after event {after}")]
    OutOfOrder {
        action: ActionId,
        seq: u64,
        after: u64,
    },
    #[error("it files event {seq} under {action}, which the event is not about")]
    NotAbout { seq: u64, action: ActionId },
    #[error("it files event {seq} under {action} beyond its mark (event {below})")]
    BeyondMark {
        seq: u64,
        action: ActionId,
        below: u64,
    },
    #[error("its mark says events up to {last} are indexed, but the chain holds {events}")]
    MarkBeyondChain { last: u64, events: u64 },
    #[error("it is missing {missing} event(s) below its mark")]
    Missing { missing: u64 },
    /// Found by `history`, which reads an action through the index alone:
    /// the ledger added the action, but the index lists no event that did.
    #[error("it does not list event {seq}, which added {action}")]
    AddedUnlisted { seq: u64, action: ActionId },
}

impl IndexFault {
    /// The event the fault is found at: the one it names, or the first of
    /// the chunk it names; 0 for a fault of the whole index.
    pub fn seq(&self) -> u64 {
        match *self {
            IndexFault::ChunkLength { first, .. }
            | IndexFault::ChunkEmpty { first, .. }
            | IndexFault::ChunkOverfull { first, .. }
            | IndexFault::ChunkStart { first, .. } => first,
            IndexFault::OutOfOrder { seq, .. }
            | IndexFault::NotAbout { seq, .. }
            | IndexFault::BeyondMark { seq, .. }
            | IndexFault::AddedUnlisted { seq, .. } => seq,
            IndexFault::KeyLength { .. }
            | IndexFault::MarkUnreadable
            | IndexFault::MarkBeyondChain { .. }
            | IndexFault::Missing { .. } => 0,
        }
    }
}

/// What `verify` found of the action index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndexCheck {
    /// Events the index lists, each checked against the event it names.
    pub entries: u64,
    /// The first fault found, if any.
    pub fault: Option<IndexFault>,
}

/// The damage a reader reports for a fault of the index.
fn damaged(fault: IndexFault) -> StoreError {
    StoreError::Damaged {
        seq: fault.seq(),
        kind: DamageKind::ActionIndex(fault),
    }
}

/// The key of the chunk of `action` whose first event is `first`.
fn chunk_key(action: u32, first: u64) -> [u8; 12] {
    let mut key = [0; 12];
    key[..4].copy_from_slice(&action.to_be_bytes());
    key[4..].copy_from_slice(&first.to_be_bytes());
    key
}

/// The value of a chunk listing `seqs`.
fn chunk_value(seqs: &[u64]) -> Vec<u8> {
    seqs.iter().flat_map(|seq| seq.to_be_bytes()).collect()
}

/// The action and the first sequence number a chunk's key names.
fn read_key(key: &[u8]) -> Result<(ActionId, u64), IndexFault> {
    let fault = || IndexFault::KeyLength { len: key.len() };
    let (action, first) = key.split_first_chunk::<4>().ok_or_else(fault)?;
    let first = decode_seq(first).ok_or_else(fault)?;
    Ok((ActionId::of(u32::from_be_bytes(*action)), first))
}

/// The sequence numbers of the chunk of `action` keyed `first`, checked
/// alone: whole 8-byte numbers, one to [`CHUNK`] of them, the first
/// `first`, strictly ascending.
fn read_chunk(action: ActionId, first: u64, value: &[u8]) -> Result<Vec<u64>, IndexFault> {
    if !value.len().is_multiple_of(8) {
        return Err(IndexFault::ChunkLength {
            action,
            first,
            len: value.len(),
        });
    }
    let events = value.len() / 8;
    if events == 0 {
        return Err(IndexFault::ChunkEmpty { action, first });
    }
    if events > CHUNK {
        return Err(IndexFault::ChunkOverfull {
            action,
            first,
            events,
        });
    }
    let seqs: Vec<u64> = value.chunks_exact(8).filter_map(decode_seq).collect();
    if let Some(&begins) = seqs.first()
        && begins != first
    {
        return Err(IndexFault::ChunkStart {
            action,
            first,
            begins,
        });
    }
    if let Some(pair) = seqs.windows(2).find(|pair| pair[1] <= pair[0]) {
        return Err(IndexFault::OutOfOrder {
            action,
            seq: pair[1],
            after: pair[0],
        });
    }
    Ok(seqs)
}

/// Reads chunks in key order, each checked alone ([`read_chunk`]) and
/// against the chunk before it of the same action, whose events must all
/// come before its first.
#[derive(Default)]
struct Chunks {
    /// The action of the chunk read last, and its last event.
    last: Option<(ActionId, u64)>,
}

impl Chunks {
    /// The chunk at `key`: its action, and the events it lists.
    fn read(&mut self, key: &[u8], value: &[u8]) -> Result<(ActionId, Vec<u64>), IndexFault> {
        let (action, first) = read_key(key)?;
        let seqs = read_chunk(action, first, value)?;
        if let Some((before, after)) = self.last
            && before == action
            && first <= after
        {
            return Err(IndexFault::OutOfOrder {
                action,
                seq: first,
                after,
            });
        }
        self.last = seqs.last().map(|&seq| (action, seq));
        Ok((action, seqs))
    }
}

/// The mark's value for an index of every event below `below`.
fn mark_value(below: u64) -> [u8; 12] {
    let mut value = [0; 12];
    value[..4].copy_from_slice(&INDEX_VERSION.to_be_bytes());
    value[4..].copy_from_slice(&below.to_be_bytes());
    value
}

/// What a mark's value says.
enum Mark {
    /// Every event below this sequence number is indexed.
    Below(u64),
    /// An index of another version, which is no index.
    OtherVersion,
    /// Not a mark's twelve bytes.
    Unreadable,
}

fn read_mark(value: &[u8]) -> Mark {
    let Some((version, below)) = value.split_first_chunk::<4>() else {
        return Mark::Unreadable;
    };
    match decode_seq(below) {
        None => Mark::Unreadable,
        Some(below) if u32::from_be_bytes(*version) == INDEX_VERSION => Mark::Below(below),
        Some(_) => Mark::OtherVersion,
    }
}

/// The last chunk of `action`, read and checked alone.
fn last_chunk(tree: &Tree, action: ActionId) -> Result<Option<Vec<u64>>, StoreError> {
    let id = action.get();
    let Some(item) = tree
        .range(chunk_key(id, 0)..=chunk_key(id, u64::MAX))
        .next_back()
    else {
        return Ok(None);
    };
    let (key, value) = item?;
    let (_, first) = read_key(&key).map_err(damaged)?;
    read_chunk(action, first, &value).map(Some).map_err(damaged)
}

/// Adds `new` (per action, the events from `from` on about it, in order)
/// to the index whose mark is `from`, and moves its mark to `below`, in
/// one sled batch: each action's last chunk is extended until it holds
/// [`CHUNK`] events, and the rest begin new chunks.
fn add_entries(
    tree: &Tree,
    new: BTreeMap<ActionId, Vec<u64>>,
    from: u64,
    below: u64,
) -> Result<(), StoreError> {
    let mut batch = sled::Batch::default();
    for (action, seqs) in new {
        let last = last_chunk(tree, action)?;
        if let Some(&listed) = last.as_ref().and_then(|chunk| chunk.last())
            && listed >= from
        {
            // Never list an event twice, or out of order.
            return Err(damaged(IndexFault::BeyondMark {
                seq: listed,
                action,
                below: from,
            }));
        }
        let mut chunk = last.filter(|chunk| chunk.len() < CHUNK).unwrap_or_default();
        for seq in seqs {
            if chunk.len() == CHUNK {
                put_chunk(&mut batch, action, &chunk);
                chunk.clear();
            }
            chunk.push(seq);
        }
        put_chunk(&mut batch, action, &chunk);
    }
    batch.insert(&MARK_KEY, &mark_value(below));
    tree.apply_batch(batch)?;
    Ok(())
}

/// Writes `chunk` of `action` (if it lists any event) into `batch`.
fn put_chunk(batch: &mut sled::Batch, action: ActionId, chunk: &[u64]) {
    if let Some(&first) = chunk.first() {
        batch.insert(&chunk_key(action.get(), first), chunk_value(chunk));
    }
}

impl Store {
    /// The action index's tree, where it exists.
    fn actions_tree(&self) -> Option<&Tree> {
        self.actions.get()
    }

    /// The action index's tree, made if this ledger has none yet.
    fn actions_tree_to_write(&self) -> Result<&Tree, StoreError> {
        self.tree_to_write(&self.actions, ACTIONS_TREE)
    }

    /// The sequence number below which every event is indexed: 0 where
    /// there is no index, or one of another version.
    fn indexed_below(&self) -> Result<u64, StoreError> {
        let Some(tree) = self.actions_tree() else {
            return Ok(0);
        };
        Ok(match tree.get(MARK_KEY)?.as_deref().map(read_mark) {
            Some(Mark::Below(below)) => below,
            Some(Mark::OtherVersion | Mark::Unreadable) | None => 0,
        })
    }

    /// Brings the index up to the head: indexes every event from its mark
    /// on. Returns how many events it read. A writer's duty after every
    /// transaction and on open; never synced (a lost entry is found again
    /// from the mark).
    pub fn index_actions(&self) -> Result<u64, StoreError> {
        let head = self.head()?.map(|h| h.seq);
        match head {
            Some(head) => self.index_actions_upto(head),
            None => Ok(0),
        }
    }

    /// [`Store::index_actions`], up to and including `last` (which must be
    /// at most the head) rather than the head.
    pub fn index_actions_upto(&self, last: u64) -> Result<u64, StoreError> {
        let below = self.indexed_below()?;
        if below > last {
            return Ok(0);
        }
        let tree = self.actions_tree_to_write()?;
        if below == 0 {
            // No index, or one of another version: start afresh.
            tree.clear()?;
        }
        let mut new: BTreeMap<ActionId, Vec<u64>> = BTreeMap::new();
        let mut from = below;
        let mut in_batch = 0;
        let mut read = 0;
        for item in self.stored_subjects(below, last) {
            let (seq, subject) = item?;
            read += 1;
            if let Some(action) = subject.action {
                new.entry(action).or_default().push(seq);
                in_batch += 1;
            }
            if in_batch >= BATCH_ENTRIES {
                add_entries(tree, std::mem::take(&mut new), from, seq + 1)?;
                from = seq + 1;
                in_batch = 0;
            }
        }
        add_entries(tree, new, from, last + 1)?;
        self.refresh
            .wrote
            .store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(read)
    }

    /// Indexes the events a transaction just wrote, where the index had
    /// reached the transaction's first event; otherwise catches up from the
    /// mark (and starts afresh where there is no index). Best effort: a
    /// failure leaves the index behind, never wrong.
    pub(super) fn index_written(&self, written: &[StoredEvent]) {
        let (Some(first), Some(last)) = (written.first(), written.last()) else {
            return;
        };
        let result = (|| -> Result<(), StoreError> {
            let below = self.indexed_below()?;
            if below == 0 || below != first.seq {
                return self.index_actions_upto(last.seq).map(drop);
            }
            let tree = self.actions_tree_to_write()?;
            let mut from = below;
            for part in written.chunks(BATCH_ENTRIES) {
                let mut new: BTreeMap<ActionId, Vec<u64>> = BTreeMap::new();
                for event in part {
                    if let Some(action) = event.subject.action {
                        new.entry(action).or_default().push(event.seq);
                    }
                }
                if let Some(end) = part.last() {
                    add_entries(tree, new, from, end.seq + 1)?;
                    from = end.seq + 1;
                }
            }
            Ok(())
        })();
        let _ = result;
    }

    /// Drops the whole index and writes it afresh from the events' subjects
    /// (`planledger snapshot --rebuild`). Returns how many events it read.
    pub fn rebuild_action_index(&self) -> Result<u64, StoreError> {
        let tree = self.actions_tree_to_write()?;
        tree.clear()?;
        self.index_actions()
    }

    /// The events about `action`, in order, up to and including `last`:
    /// those the index lists, then those after its mark found by their
    /// stored subjects. Each is read alone and its hash checked against
    /// the stored hash of the event before it. A chunk that is malformed,
    /// or an indexed event that is not about the action, is damage to the
    /// index, reported as such.
    pub fn action_events(
        &self,
        action: ActionId,
        last: u64,
    ) -> Result<impl Iterator<Item = Result<StoredEvent, StoreError>> + '_, StoreError> {
        let below = self.indexed_below()?;
        let end = below.min(last.saturating_add(1));
        let mut seqs = Vec::new();
        if let Some(tree) = self.actions_tree().filter(|_| end > 0) {
            let id = action.get();
            let mut chunks = Chunks::default();
            for item in tree.range(chunk_key(id, 0)..chunk_key(id, end)) {
                let (key, value) = item?;
                let (_, listed) = chunks.read(&key, &value).map_err(damaged)?;
                seqs.extend(listed.into_iter().take_while(|&seq| seq < end));
            }
        }
        for item in self.stored_subjects(below, last) {
            let (seq, subject) = item?;
            if subject.action == Some(action) {
                seqs.push(seq);
            }
        }
        Ok(seqs
            .into_iter()
            .map(move |seq| self.event_about(seq, action)))
    }

    /// The stored subject of each event from `first` to `last`, read from
    /// the stored values without decoding their records.
    fn stored_subjects(
        &self,
        first: u64,
        last: u64,
    ) -> impl Iterator<Item = Result<(u64, Subject), StoreError>> + '_ {
        let stored = (first <= last).then(|| self.stored_from(first));
        stored
            .into_iter()
            .flatten()
            .take_while(move |item| item.as_ref().map_or(true, |s| s.seq <= last))
            .map(|item| {
                let stored = item?;
                let (_, subject, _) = stored_parts(stored.seq, &stored.value)?;
                Ok((stored.seq, subject))
            })
    }

    /// The event at `seq`, read alone, which the index says is about
    /// `action`.
    fn event_about(&self, seq: u64, action: ActionId) -> Result<StoredEvent, StoreError> {
        let missing = || StoreError::Damaged {
            seq,
            kind: DamageKind::EventMissing { next_stored: None },
        };
        let prev = match seq.checked_sub(1) {
            None => chain::GENESIS_PREV,
            Some(before) => self.stored_hash(before)?,
        };
        let stored = self.stored_at(seq)?.ok_or_else(missing)?;
        let event = self.linked_event(prev, &stored)?;
        if event.subject.action != Some(action) {
            return Err(StoreError::Damaged {
                seq,
                kind: DamageKind::ActionIndex(IndexFault::NotAbout { seq, action }),
            });
        }
        Ok(event)
    }

    /// Checks the index against the stored subjects of the chain's events,
    /// in order (what `verify` read, `subjects[seq]`): every chunk is well
    /// formed (see [`Chunks::read`]), every event it lists is about its
    /// action and below the mark, and every such event below the mark is
    /// listed. The first fault found, if any. An index of another version
    /// is no index, and passes.
    pub fn check_action_index(&self, subjects: &Subjects) -> Result<IndexCheck, StoreError> {
        let found = |fault| {
            Ok(IndexCheck {
                entries: 0,
                fault: Some(fault),
            })
        };
        let Some(tree) = self.actions_tree() else {
            return Ok(IndexCheck::default());
        };
        let below = match tree.get(MARK_KEY)?.as_deref().map(read_mark) {
            None => 0,
            Some(Mark::Below(below)) => below,
            Some(Mark::OtherVersion) => return Ok(IndexCheck::default()),
            Some(Mark::Unreadable) => return found(IndexFault::MarkUnreadable),
        };
        let events = subjects.len();
        if below > events {
            return found(IndexFault::MarkBeyondChain {
                last: below - 1,
                events,
            });
        }
        let mut chunks = Chunks::default();
        let mut checked = 0u64;
        for item in tree.iter() {
            let (key, value) = item?;
            if key.as_ref() == MARK_KEY {
                continue;
            }
            let (action, seqs) = match chunks.read(&key, &value) {
                Ok(chunk) => chunk,
                Err(fault) => return found(fault),
            };
            for seq in seqs {
                if seq >= below {
                    return found(IndexFault::BeyondMark { seq, action, below });
                }
                let filed = subjects.get(seq).and_then(|s| s.action);
                if filed != Some(action) {
                    return found(IndexFault::NotAbout { seq, action });
                }
                checked += 1;
            }
        }
        let expected = subjects
            .iter()
            .take(usize::try_from(below).unwrap_or(usize::MAX))
            .filter(|s| s.action.is_some())
            .count() as u64;
        Ok(IndexCheck {
            entries: checked,
            fault: (checked < expected).then_some(IndexFault::Missing {
                missing: expected - checked,
            }),
        })
    }
}
