//! The `events` tree read in key order, for `verify`, as the events and
//! texts it holds: a block of keys at a time, on the calling thread or on
//! two threads of their own. Each of format 3's blocks of 16 events is
//! handed on as its events and their texts (format 2's `events` and
//! `texts` trees, read by `upgrade`, as they are).
//!
//! sled's iterator is most of `verify`'s cost: each leaf is read from the
//! log and decoded, and each step to the next leaf descends the tree again.
//! One thread reading both trees kept the checks and the replay waiting.
//! So the key space is cut into blocks of [`SCAN_BLOCK`] sequence numbers,
//! the first and the last open-ended so that every key, of whatever length,
//! is in exactly one; two threads read the blocks alternately, each block's
//! events and then its texts; and the reader takes the blocks in order, so
//! it sees what one scan of each tree in key order would show. A read
//! error ends its block's items, where one scan would have met it.
//!
//! Each reading thread also hashes what it reads of format 3: for each
//! event after the first of its block, the hash the chain gives it if it
//! follows the event before it there ([`Link`]). The walk uses that hash
//! only where the hash it links from is the one the reader assumed, and
//! hashes the event itself everywhere else, so the finding is the same;
//! the hashing, a large share of the walk's work, is done on the readers.
//!
//! The blocks run up to the last key of the `events` tree. Damage can make
//! that any number (a key of `u64::MAX`), so two blocks in a row with no
//! key in either tree end the blocks: the rest of the keys, however far,
//! are read as one last open-ended block on the calling thread.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::ops::Bound;
use std::rc::Rc;
use std::sync::mpsc;

use sled::{IVec, Tree};

use super::block::BLOCK_EVENTS;
use super::{Layout, Piece, Store, StoreError, block_events, decode_seq, touch};
use crate::chain;
use crate::event::Hash;

/// One key and value of a tree (or an event's seq and its stored value or
/// texts, from a block), or the error reading it.
pub(crate) type Item = Result<(IVec, Piece), StoreError>;

/// How many sequence numbers a block of the scan spans.
pub const SCAN_BLOCK: u64 = 4096;

/// Blocks each reading thread may have read ahead, unread by the walk.
const READ_AHEAD: usize = 2;

/// Where the blocks of a scan are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readers {
    /// On the calling thread, as they are reached.
    ThisThread,
    /// On two threads of their own, alternately, ahead of the walk.
    TwoThreads,
}

/// The hash a reading thread computed for an event, as the chain gives it
/// following an event whose hash is `prev`: the stored hash of the event
/// before it in the block read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Link {
    pub prev: Hash,
    pub computed: Hash,
}

/// One block's items of both trees, and beside each event its [`Link`],
/// where the reader computed one.
struct Block {
    events: Vec<Item>,
    links: Vec<Option<Link>>,
    texts: Vec<Item>,
}

/// The keys of block `k` of `count`: the first open below, the last open
/// above.
fn bounds(k: u64, count: u64) -> (Bound<[u8; 8]>, Bound<[u8; 8]>) {
    let lo = match k {
        0 => Bound::Unbounded,
        k => Bound::Included((k * SCAN_BLOCK).to_be_bytes()),
    };
    let hi = if k + 1 >= count {
        Bound::Unbounded
    } else {
        Bound::Excluded(((k + 1) * SCAN_BLOCK).to_be_bytes())
    };
    (lo, hi)
}

/// The items of `tree` in block `k` of `count`, up to the first error,
/// each key read again ([`touch`]) so that sled lets go of the leaves read.
fn read(tree: &Tree, k: u64, count: u64) -> Vec<Raw> {
    let mut items = Vec::new();
    for item in tree.range(bounds(k, count)) {
        let item = item
            .map_err(StoreError::from)
            .and_then(|(key, value)| touch(tree, &key).map(|()| (key, value)));
        let failed = item.is_err();
        items.push(item);
        if failed {
            break;
        }
    }
    items
}

fn read_block(store: &Store, k: u64, count: u64) -> Block {
    match &store.layout {
        Layout::Blocks => expand(read(&store.events, k, count)),
        Layout::OneAKey { texts } => {
            let events: Vec<Item> = read(&store.events, k, count)
                .into_iter()
                .map(whole)
                .collect();
            Block {
                links: vec![None; events.len()],
                events,
                texts: texts.as_ref().map_or_else(Vec::new, |texts| {
                    read(texts, k, count).into_iter().map(whole).collect()
                }),
            }
        }
    }
}

/// One key and value as sled stores them, or the error reading it.
type Raw = Result<(IVec, IVec), StoreError>;

/// A key and value of one event a key (formats 1 and 2), or a key that is
/// no seq: the value whole.
fn whole(raw: Raw) -> Item {
    raw.map(|(key, value)| (key, Piece::whole(value)))
}

/// Format 3's blocks as the items of format 2's two trees: each event's
/// stored value under its seq, and its texts, if it has any, under its
/// seq. A block's damage is an error item after the events read before
/// it (the rest of the block cannot be read); a key that is no seq, or an
/// error reading the tree, is passed on as it is.
fn expand(blocks: Vec<Raw>) -> Block {
    let mut events = Vec::with_capacity(blocks.len() * BLOCK_EVENTS as usize);
    let mut links = Vec::with_capacity(events.capacity());
    let mut texts = Vec::new();
    // The stored hash of the event just before, when it split as one.
    let mut prev: Option<Hash> = None;
    for item in blocks {
        let (key, value) = match item {
            Ok((key, value)) if decode_seq(&key).is_some() => (key, value),
            other => {
                events.push(whole(other));
                links.push(None);
                prev = None;
                continue;
            }
        };
        for stored in block_events(&key, value, 0) {
            match stored {
                Ok(stored) => {
                    let seq = IVec::from(&stored.seq.to_be_bytes());
                    if let Some(bytes) = stored.texts {
                        texts.push(Ok((seq.clone(), bytes)));
                    }
                    let (link, stored_hash) = match chain::split_stored(&stored.value) {
                        Ok((hash, subject, record)) => {
                            let link = prev.map(|prev| Link {
                                prev,
                                computed: chain::event_hash(
                                    &prev,
                                    stored.seq,
                                    subject,
                                    &chain::record_digest(record),
                                ),
                            });
                            (link, Some(hash))
                        }
                        Err(_) => (None, None),
                    };
                    prev = stored_hash;
                    events.push(Ok((seq, stored.value)));
                    links.push(link);
                }
                Err(e) => {
                    events.push(Err(e));
                    links.push(None);
                    prev = None;
                }
            }
        }
    }
    Block {
        events,
        links,
        texts,
    }
}

/// Runs `walk` over the items of the `events` tree in key order, read by
/// `readers`; the texts of each block are added to the [`Texts`] handed
/// beside them as the walk reaches the block's first event (or passes an
/// empty one).
pub(crate) fn scan<R>(
    store: &Store,
    readers: Readers,
    walk: impl FnOnce(&mut Events<'_>, &Texts) -> R,
) -> R {
    // Blocks up to the one of the last key, where it is a sequence number:
    // the last block takes every key after it.
    let count = match store.events.last() {
        Ok(Some((key, _))) => decode_seq(&key).map_or(1, |seq| seq / SCAN_BLOCK + 1),
        // Read as one block, whose reading meets the error again.
        Ok(None) | Err(_) => 1,
    };
    let texts = Texts::default();
    let mut events = Events {
        store,
        source: Source::Here(store),
        empty: 0,
        next: 0,
        count,
        block: Vec::new().into_iter(),
        links: Vec::new().into_iter(),
        texts: texts.clone(),
    };
    match readers {
        Readers::ThisThread => walk(&mut events, &texts),
        Readers::TwoThreads => std::thread::scope(|scope| {
            let receivers = [0, 1].map(|first| {
                let (send, receive) = mpsc::sync_channel(READ_AHEAD);
                scope.spawn(move || {
                    for k in (first..count).step_by(2) {
                        // The walk stopped: nothing more is wanted.
                        if send.send(read_block(store, k, count)).is_err() {
                            return;
                        }
                    }
                });
                receive
            });
            events.source = Source::Threads(receivers);
            walk(&mut events, &texts)
        }),
    }
}

enum Source<'a> {
    Here(&'a Store),
    /// Block `k` comes from `receivers[k % 2]`.
    Threads([mpsc::Receiver<Block>; 2]),
}

/// The items of the `events` tree, in key order.
pub(crate) struct Events<'a> {
    store: &'a Store,
    source: Source<'a>,
    /// Blocks in a row, up to the last read, with no key in either tree.
    empty: u32,
    /// The next block to read.
    next: u64,
    count: u64,
    block: std::vec::IntoIter<Item>,
    links: std::vec::IntoIter<Option<Link>>,
    texts: Texts,
}

impl Iterator for Events<'_> {
    /// An item, and the hash its reader computed for it, if one did.
    type Item = (Item, Option<Link>);

    fn next(&mut self) -> Option<(Item, Option<Link>)> {
        loop {
            if let Some(item) = self.block.next() {
                return Some((item, self.links.next().flatten()));
            }
            if self.next >= self.count {
                return None;
            }
            let block = match &self.source {
                Source::Here(store) => read_block(store, self.next, self.count),
                Source::Threads(receivers) => {
                    let from = &receivers[usize::from(self.next % 2 == 1)];
                    // A reading thread sends every block unless it panicked,
                    // and then the scope panics as it ends.
                    from.recv().ok()?
                }
            };
            self.next += 1;
            if block.events.is_empty() && block.texts.is_empty() {
                self.empty += 1;
            } else {
                self.empty = 0;
            }
            if self.empty >= 2 && self.next < self.count {
                // The rest as one block, here; the reading threads stop
                // as their receivers go.
                self.count = self.next + 1;
                self.source = Source::Here(self.store);
            }
            self.texts.0.borrow_mut().extend(block.texts);
            self.block = block.events.into_iter();
            self.links = block.links.into_iter();
        }
    }
}

/// The items of the `texts` tree read so far and not yet taken, in key
/// order: every key of the blocks the walk has reached. The keys of a
/// block not yet reached are all after every event reached.
#[derive(Clone, Default)]
pub(crate) struct Texts(Rc<RefCell<VecDeque<Item>>>);

impl Texts {
    /// Takes the first item if `take` says so of it.
    pub(crate) fn next_if(&self, take: impl FnOnce(&Item) -> bool) -> Option<Item> {
        let mut items = self.0.borrow_mut();
        if take(items.front()?) {
            items.pop_front()
        } else {
            None
        }
    }

    /// Takes every item left (the walk has reached every block).
    pub(crate) fn drain(&self) -> Vec<Item> {
        self.0.borrow_mut().drain(..).collect()
    }
}
