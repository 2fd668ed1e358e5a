//! The action index: which events are about each action, so that the
//! history of one action reads that action's events and not the ledger.
//!
//! Derived data, like snapshots: the chain is the authority. Each event
//! whose subject names an action (§4 of `ledger/FORMAT.md`: the subject is
//! committed in the chain) has a key `action ‖ seq` in the `actions` tree,
//! and the tree's mark says below which sequence number every event is
//! indexed. Events at or above the mark are found by a scan of their
//! stored subjects, so an index that lags (a ledger written before the
//! index existed, or a process stopped between a transaction and its
//! index) is slower to read, never wrong. A writer brings it up to the
//! head after each transaction and on open; `verify` checks it against the
//! subjects it reads; `planledger snapshot --rebuild` writes it afresh.

use sled::Tree;

use crate::chain::{self, Subject};
use crate::id::{ActionId, Id};

use super::{DamageKind, Store, StoreError, StoredEvent, decode_seq};

/// The tree's name.
pub(super) const ACTIONS_TREE: &str = "actions";

/// The key of the mark: no action is numbered 0, so no entry starts so.
const MARK_KEY: [u8; 4] = [0; 4];

/// The layout of the entries and the mark. A mark of another version is
/// read as no index at all, and a writer replaces the index.
const INDEX_VERSION: u32 = 1;

/// Entries written in one sled batch. sled holds every page a batch
/// replaces until the batch ends (its epoch guard is pinned throughout),
/// so one batch of an import's 200,000 entries held about 400 MB; batches
/// of this size, each with the mark it reaches, hold little. (sled's
/// splitting of this tree's small keys still costs about 190 MB over such
/// an import: BENCHMARKS.md.)
const BATCH_ENTRIES: usize = 1024;

/// What is wrong with the action index, as `verify` finds it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IndexFault {
    #[error("a key of {len} bytes is neither an entry nor the mark")]
    KeyLength { len: usize },
    #[error("its mark is unreadable")]
    MarkUnreadable,
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
}

/// What `verify` found of the action index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndexCheck {
    /// Entries checked against the events they name.
    pub entries: u64,
    /// The first fault found, if any.
    pub fault: Option<IndexFault>,
}

/// The entry key of `seq` under `action`.
fn entry_key(action: u32, seq: u64) -> [u8; 12] {
    let mut key = [0; 12];
    key[..4].copy_from_slice(&action.to_be_bytes());
    key[4..].copy_from_slice(&seq.to_be_bytes());
    key
}

fn mark_value(below: u64) -> [u8; 12] {
    let mut value = [0; 12];
    value[..4].copy_from_slice(&INDEX_VERSION.to_be_bytes());
    value[4..].copy_from_slice(&below.to_be_bytes());
    value
}

/// The sequence number below which every event is indexed, by the mark's
/// value: `None` for a mark of another version or shape.
fn read_mark(value: &[u8]) -> Option<u64> {
    let version = u32::from_be_bytes(value.get(..4)?.try_into().ok()?);
    let below = u64::from_be_bytes(value.get(4..)?.try_into().ok()?);
    (version == INDEX_VERSION).then_some(below)
}

/// The action an entry key names, and the sequence number.
fn read_entry(key: &[u8]) -> Option<(u32, u64)> {
    if key.len() != 12 {
        return None;
    }
    let action = u32::from_be_bytes(key[..4].try_into().ok()?);
    Some((action, decode_seq(&key[4..])?))
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
        Ok(tree
            .get(MARK_KEY)?
            .and_then(|value| read_mark(&value))
            .unwrap_or(0))
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
        let mut batch = sled::Batch::default();
        let mut in_batch = 0;
        let mut read = 0;
        for item in self.stored_subjects(below, last) {
            let (seq, subject) = item?;
            read += 1;
            if let Some(action) = subject.action {
                batch.insert(&entry_key(action.get(), seq), &[]);
                in_batch += 1;
            }
            if in_batch >= BATCH_ENTRIES {
                batch.insert(&MARK_KEY, &mark_value(seq + 1));
                tree.apply_batch(std::mem::take(&mut batch))?;
                in_batch = 0;
            }
        }
        batch.insert(&MARK_KEY, &mark_value(last + 1));
        tree.apply_batch(batch)?;
        self.refresh
            .wrote
            .store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(read)
    }

    /// Indexes the events a transaction just wrote, where the index had
    /// reached the transaction's first event; otherwise catches up from the
    /// mark. Best effort: a failure leaves the index behind, never wrong.
    pub(super) fn index_written(&self, written: &[StoredEvent]) {
        let (Some(first), Some(last)) = (written.first(), written.last()) else {
            return;
        };
        let result = (|| -> Result<(), StoreError> {
            if self.indexed_below()? != first.seq {
                return self.index_actions_upto(last.seq).map(drop);
            }
            let tree = self.actions_tree_to_write()?;
            for part in written.chunks(BATCH_ENTRIES) {
                let mut batch = sled::Batch::default();
                for event in part {
                    if let Some(action) = event.subject.action {
                        batch.insert(&entry_key(action.get(), event.seq), &[]);
                    }
                }
                if let Some(end) = part.last() {
                    batch.insert(&MARK_KEY, &mark_value(end.seq + 1));
                }
                tree.apply_batch(batch)?;
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
    /// the stored hash of the event before it. An indexed event that is
    /// not about the action is damage to the index, reported as such.
    pub fn action_events(
        &self,
        action: ActionId,
        last: u64,
    ) -> Result<impl Iterator<Item = Result<StoredEvent, StoreError>> + '_, StoreError> {
        let below = self.indexed_below()?;
        let mut seqs = Vec::new();
        if let Some(tree) = self.actions_tree().filter(|_| below > 0) {
            let end = below.min(last.saturating_add(1));
            let id = action.get();
            for key in tree.range(entry_key(id, 0)..entry_key(id, end)).keys() {
                let key = key?;
                let (_, seq) = read_entry(&key).ok_or(StoreError::Damaged {
                    seq: 0,
                    kind: DamageKind::ActionIndex(IndexFault::KeyLength { len: key.len() }),
                })?;
                seqs.push(seq);
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
        let range =
            (first <= last).then(|| self.events.range(first.to_be_bytes()..=last.to_be_bytes()));
        range.into_iter().flatten().map(move |item| {
            let (key, value) = item?;
            let seq = decode_seq(&key).ok_or(StoreError::Damaged {
                seq: first,
                kind: DamageKind::EventKeyLength { len: key.len() },
            })?;
            let (_, subject, _) = chain::split_stored(&value).map_err(|e| StoreError::Damaged {
                seq,
                kind: DamageKind::Link(e),
            })?;
            Ok((seq, subject))
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
            Some(before) => {
                let value = self
                    .events
                    .get(before.to_be_bytes())?
                    .ok_or(StoreError::Damaged {
                        seq: before,
                        kind: DamageKind::EventMissing { next_stored: None },
                    })?;
                let (hash, _, _) =
                    chain::split_stored(&value).map_err(|e| StoreError::Damaged {
                        seq: before,
                        kind: DamageKind::Link(e),
                    })?;
                hash
            }
        };
        let value = self.events.get(seq.to_be_bytes())?.ok_or_else(missing)?;
        let event = self.linked_event(prev, seq, &value)?;
        if event.subject.action != Some(action) {
            return Err(StoreError::Damaged {
                seq,
                kind: DamageKind::ActionIndex(IndexFault::NotAbout { seq, action }),
            });
        }
        Ok(event)
    }

    /// Checks the index against the stored subjects of the chain's events,
    /// in order (what `verify` read, `subjects[seq]`): every entry names an
    /// event about its action, below the mark, and every such event below
    /// the mark has its entry. The first fault found, if any.
    pub fn check_action_index(&self, subjects: &[Subject]) -> Result<IndexCheck, StoreError> {
        let found = |fault| IndexCheck {
            entries: 0,
            fault: Some(fault),
        };
        let Some(tree) = self.actions_tree() else {
            return Ok(IndexCheck::default());
        };
        let below = match tree.get(MARK_KEY)? {
            None => 0,
            Some(value) => match read_mark(&value) {
                Some(below) => below,
                None => return Ok(found(IndexFault::MarkUnreadable)),
            },
        };
        let events = subjects.len() as u64;
        if below > events {
            return Ok(found(IndexFault::MarkBeyondChain {
                last: below - 1,
                events,
            }));
        }
        let mut checked = 0u64;
        for key in tree.iter().keys() {
            let key = key?;
            if key.as_ref() == MARK_KEY {
                continue;
            }
            let Some((id, seq)) = read_entry(&key) else {
                return Ok(found(IndexFault::KeyLength { len: key.len() }));
            };
            let action = ActionId::of(id);
            if seq >= below {
                return Ok(found(IndexFault::BeyondMark { seq, action, below }));
            }
            let filed = usize::try_from(seq)
                .ok()
                .and_then(|i| subjects.get(i))
                .and_then(|s| s.action);
            if filed != Some(action) {
                return Ok(found(IndexFault::NotAbout { seq, action }));
            }
            checked += 1;
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
