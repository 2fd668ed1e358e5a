//! The hash chain: pure functions over bytes.
//!
//! The hash of event `n` is BLAKE3 in `derive_key` mode with the context
//! string [`EVENT_CONTEXT`], over
//!
//! ```text
//! prev_hash (32 bytes) ‖ n as u64 big-endian ‖ len(record) as u32 big-endian ‖ record
//! ```
//!
//! where `prev_hash` of the genesis event (sequence 0) is 32 zero bytes and
//! `record` is exactly the stored record bytes: nothing is re-encoded before
//! hashing. The length prefix makes the framing unambiguous.

use crate::event::Hash;

/// The BLAKE3 `derive_key` context for event hashes.
pub const EVENT_CONTEXT: &str = "planledger 2026 event v1";

/// The `prev_hash` of the genesis event.
pub const GENESIS_PREV: Hash = [0; 32];

/// The hash of the event at `seq` whose record bytes are `record`, following
/// the event whose hash is `prev`.
///
/// `record` must be shorter than 4 GiB; `codec` never produces a record
/// anywhere near that.
pub fn event_hash(prev: &Hash, seq: u64, record: &[u8]) -> Hash {
    let len = u32::try_from(record.len()).expect("codec caps records far below 4 GiB");
    let mut hasher = blake3::Hasher::new_derive_key(EVENT_CONTEXT);
    hasher.update(prev);
    hasher.update(&seq.to_be_bytes());
    hasher.update(&len.to_be_bytes());
    hasher.update(record);
    *hasher.finalize().as_bytes()
}

/// Why a stored event does not fit the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("stored value is {len} bytes, too short to hold a 32-byte hash")]
    Truncated { len: usize },
    #[error("the record is {len} bytes, more than a record may hold")]
    TooLong { len: usize },
    #[error(
        "stored hash {} does not match the recomputed hash {}",
        hex::encode(.stored),
        hex::encode(.computed)
    )]
    HashMismatch { stored: Hash, computed: Hash },
}

/// Splits a stored value into its hash and record bytes and checks the hash
/// against `prev` and `seq`. Returns the record bytes and the hash.
pub fn check_link<'a>(
    prev: &Hash,
    seq: u64,
    stored: &'a [u8],
) -> Result<(&'a [u8], Hash), LinkError> {
    if stored.len() < 32 {
        return Err(LinkError::Truncated { len: stored.len() });
    }
    if stored.len() - 32 > crate::codec::MAX_RECORD_LEN {
        return Err(LinkError::TooLong {
            len: stored.len() - 32,
        });
    }
    let (hash, record) = stored.split_at(32);
    let hash: Hash = hash.try_into().expect("split at 32 bytes");
    let computed = event_hash(prev, seq, record);
    if hash != computed {
        return Err(LinkError::HashMismatch {
            stored: hash,
            computed,
        });
    }
    Ok((record, computed))
}

/// The value stored for an event: its hash followed by its record bytes.
pub fn stored_value(hash: &Hash, record: &[u8]) -> Vec<u8> {
    let mut value = Vec::with_capacity(32 + record.len());
    value.extend_from_slice(hash);
    value.extend_from_slice(record);
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pins the framing (values computed independently with the Python `blake3`
    /// package from the description above). If this fails, the hash of every stored event has
    /// changed: that is a new format version, not a test to update.
    #[test]
    fn framing_is_pinned() {
        let genesis = event_hash(&GENESIS_PREV, 0, b"planledger");
        assert_eq!(
            hex::encode(genesis),
            "8c0d69317daa5148e2894072cac96673689919cfd609ebb7a542ca1fe74ed5ae"
        );
        let next = event_hash(&genesis, 1, b"");
        assert_eq!(
            hex::encode(next),
            "15ecddde3c8aaf41d26789e4a25650cd25e960f767d1aff2e2b504a6af8f7bb5"
        );
    }

    #[test]
    fn framing_matches_its_description() {
        let prev = [9u8; 32];
        let record = b"abc";
        let mut preimage = prev.to_vec();
        preimage.extend_from_slice(&7u64.to_be_bytes());
        preimage.extend_from_slice(&3u32.to_be_bytes());
        preimage.extend_from_slice(record);
        let expected = blake3::derive_key(EVENT_CONTEXT, &preimage);
        assert_eq!(event_hash(&prev, 7, record), expected);
    }

    #[test]
    fn links_check_hash_seq_and_prev() {
        let record = b"record bytes";
        let hash = event_hash(&GENESIS_PREV, 0, record);
        let stored = stored_value(&hash, record);
        assert_eq!(
            check_link(&GENESIS_PREV, 0, &stored),
            Ok((&record[..], hash))
        );
        assert!(
            check_link(&GENESIS_PREV, 1, &stored).is_err(),
            "wrong sequence"
        );
        assert!(
            check_link(&[1; 32], 0, &stored).is_err(),
            "wrong predecessor"
        );
        let mut flipped = stored.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(matches!(
            check_link(&GENESIS_PREV, 0, &flipped),
            Err(LinkError::HashMismatch { stored, computed })
                if stored == hash && computed != hash
        ));
        assert_eq!(
            check_link(&GENESIS_PREV, 0, &stored[..31]),
            Err(LinkError::Truncated { len: 31 })
        );
    }

    /// A stored value longer than any record is refused before hashing, so
    /// no stored length can overflow the framing's u32.
    #[test]
    fn an_overlong_value_is_refused_not_hashed() {
        let value = vec![0u8; 32 + crate::codec::MAX_RECORD_LEN + 1];
        assert_eq!(
            check_link(&GENESIS_PREV, 0, &value),
            Err(LinkError::TooLong {
                len: crate::codec::MAX_RECORD_LEN + 1
            })
        );
    }
}
