//! Format 3's `events` tree: the events in blocks of [`BLOCK_EVENTS`] a key.
//!
//! sled 0.34.7 spends on every key: an insert is a transaction's worth of
//! page writes, each key holds memory from open on (about 39 bytes a key,
//! 355 MB at 4.5M events), and a scan descends the tree at every leaf.
//! Sixteen events a key made the same bytes import 7x faster, scan at
//! SQLite's speed and open in 17 MB (BENCHMARKS.md, "the blocked floor").
//!
//! A block's key is the seq of its first event, a multiple of
//! [`BLOCK_EVENTS`], as big-endian `u64`; its value is, for each of its
//! events in order (at least one, at most [`BLOCK_EVENTS`]):
//!
//! ```text
//! u32 BE length ‖ stored value (hash ‖ subject ‖ sealed record)
//! u32 BE length ‖ stored texts (0: the event has none)
//! ```
//!
//! The stored value and the texts are format 2's bytes exactly, so every
//! hash is the same in either layout. Only the last block is ever short,
//! and an append fills it before it starts the next.

use std::ops::Range;

/// How many events a block holds, at most.
pub const BLOCK_EVENTS: u64 = 16;

/// The key of the block holding `seq`.
pub fn block_key(seq: u64) -> u64 {
    seq - seq % BLOCK_EVENTS
}

/// What is wrong with a block's framing. The events before the fault read
/// as they are; the rest of the block cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BlockFault {
    #[error("a block is stored at {key}, which is not a multiple of {BLOCK_EVENTS}")]
    Misplaced { key: u64 },
    #[error("a stored block holds no event")]
    Empty,
    #[error("a stored block ends inside an event's length or bytes")]
    Truncated,
    #[error("a stored block holds more than {BLOCK_EVENTS} events")]
    TooMany,
}

/// One event of a block: its seq, and where its stored value, its texts
/// (if it has any) and the whole of it, lengths included, lie in the
/// block's bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub seq: u64,
    pub value: Range<usize>,
    pub texts: Option<Range<usize>>,
    pub bytes: Range<usize>,
}

/// The events of the block stored at `key` with bytes `block`, in order;
/// a fault, with the seq where it was met, ends them.
pub fn entries(key: u64, block: &[u8]) -> Entries<'_> {
    Entries {
        key,
        block,
        at: 0,
        index: 0,
        done: false,
    }
}

pub struct Entries<'a> {
    key: u64,
    block: &'a [u8],
    at: usize,
    index: u64,
    done: bool,
}

impl Entries<'_> {
    /// The next length-prefixed piece of the block.
    fn piece(&mut self) -> Option<Range<usize>> {
        let len_end = self.at.checked_add(4)?;
        let len = self.block.get(self.at..len_end)?;
        let len = u32::from_be_bytes(len.try_into().ok()?) as usize;
        let end = len_end.checked_add(len)?;
        (end <= self.block.len()).then(|| {
            self.at = end;
            len_end..end
        })
    }
}

impl Iterator for Entries<'_> {
    type Item = Result<Entry, (u64, BlockFault)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let seq = self.key.saturating_add(self.index);
        let fault = |fault| Some(Err((seq, fault)));
        if self.index == 0 && !self.key.is_multiple_of(BLOCK_EVENTS) {
            self.done = true;
            return fault(BlockFault::Misplaced { key: self.key });
        }
        if self.at == self.block.len() {
            self.done = true;
            return if self.index == 0 {
                fault(BlockFault::Empty)
            } else {
                None
            };
        }
        if self.index == BLOCK_EVENTS {
            self.done = true;
            return fault(BlockFault::TooMany);
        }
        let start = self.at;
        let (Some(value), Some(texts)) = (self.piece(), self.piece()) else {
            self.done = true;
            return fault(BlockFault::Truncated);
        };
        self.index += 1;
        Some(Ok(Entry {
            seq,
            value,
            texts: (!texts.is_empty()).then_some(texts),
            bytes: start..self.at,
        }))
    }
}

/// Adds an event to a block's bytes: its stored value and its texts.
pub fn push(block: &mut Vec<u8>, value: &[u8], texts: Option<&[u8]>) {
    for piece in [value, texts.unwrap_or_default()] {
        // A stored value is at most a record's bound and texts are far
        // smaller than 4 GiB: the length always fits.
        block.extend_from_slice(&(piece.len() as u32).to_be_bytes());
        block.extend_from_slice(piece);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(events: &[(&[u8], Option<&[u8]>)]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for (value, texts) in events {
            push(&mut bytes, value, *texts);
        }
        bytes
    }

    /// An event read back: its seq, stored value and texts.
    type Read = (u64, Vec<u8>, Option<Vec<u8>>);

    fn read(key: u64, bytes: &[u8]) -> Vec<Result<Read, BlockFault>> {
        entries(key, bytes)
            .map(|e| {
                e.map(|e| {
                    (
                        e.seq,
                        bytes[e.value].to_vec(),
                        e.texts.map(|t| bytes[t].to_vec()),
                    )
                })
                .map_err(|(_, fault)| fault)
            })
            .collect()
    }

    #[test]
    fn a_block_reads_back_its_events_with_their_seqs_and_texts() {
        let bytes = block(&[(b"one", None), (b"two", Some(b"words")), (b"", None)]);
        assert_eq!(
            read(32, &bytes),
            vec![
                Ok((32, b"one".to_vec(), None)),
                Ok((33, b"two".to_vec(), Some(b"words".to_vec()))),
                Ok((34, Vec::new(), None)),
            ]
        );
        // Each event's whole bytes, lengths included, follow the last's.
        let spans: Vec<Range<usize>> = entries(32, &bytes)
            .map(|e| e.map(|e| e.bytes).map_err(|(_, fault)| fault))
            .collect::<Result<_, _>>()
            .expect("a whole block");
        assert_eq!(spans, vec![0..11, 11..27, 27..35]);
    }

    #[test]
    fn a_block_cut_anywhere_reads_its_whole_events_then_says_where_it_ends() {
        let bytes = block(&[(b"one", None), (b"two", Some(b"words"))]);
        let first_len = 4 + 3 + 4;
        for cut in 1..bytes.len() {
            let read = read(16, &bytes[..cut]);
            if cut == first_len {
                // Cut between two events: a shorter block.
                assert_eq!(read, vec![Ok((16, b"one".to_vec(), None))]);
                continue;
            }
            let whole = usize::from(cut > first_len);
            assert_eq!(read.len(), whole + 1, "cut at {cut}");
            assert_eq!(read[whole], Err(BlockFault::Truncated), "cut at {cut}");
        }
    }

    #[test]
    fn a_block_out_of_place_empty_or_overfull_is_a_fault() {
        let one = block(&[(b"x", None)]);
        assert_eq!(read(17, &one), vec![Err(BlockFault::Misplaced { key: 17 })]);
        assert_eq!(read(0, &[]), vec![Err(BlockFault::Empty)]);
        let full: Vec<(&[u8], Option<&[u8]>)> = vec![(b"x", None); 17];
        let read = read(0, &block(&full));
        assert_eq!(read.len(), 17);
        assert_eq!(read[16], Err(BlockFault::TooMany));
        assert_eq!(
            entries(0, &block(&full)).nth(16),
            Some(Err((16, BlockFault::TooMany)))
        );
    }

    #[test]
    fn a_block_key_is_the_first_seq_of_its_sixteen() {
        assert_eq!(block_key(0), 0);
        assert_eq!(block_key(15), 0);
        assert_eq!(block_key(16), 16);
        assert_eq!(block_key(u64::MAX), u64::MAX - 15);
    }
}
