//! The hash chain: pure functions over bytes.
//!
//! Format 2 chains record *digests*, so that a record can be left out of
//! an evidence pack, and a free text erased from a record, while the chain
//! still verifies. For the event at sequence number `n` with record bytes
//! `record` and subject `(plan, action)`:
//!
//! ```text
//! digest(n) = BLAKE3 derive_key(RECORD_CONTEXT, record)
//! hash(n)   = BLAKE3 derive_key(EVENT_CONTEXT,
//!                 prev_hash (32) ‖ n as u64 BE ‖ plan as u32 BE ‖ action as u32 BE ‖ digest(n))
//! ```
//!
//! where `prev_hash` of the genesis event is 32 zero bytes. The preimage has
//! a fixed length, so the framing is unambiguous. The [`Subject`] (which
//! plan and which action the event is about, 0 for none) is outside the
//! record so that a pack can show it for an event it does not disclose: a
//! verifier can then tell that every event of the disclosed plan is there.
//! Format 1's framing is kept in [`v1`] for `planledger upgrade`.

use std::sync::OnceLock;

use crate::event::Hash;
use crate::id::{ActionId, Id, PlanId};

/// The version of the chain: the record bytes and this framing. The
/// genesis event names it, and so do packs and checkpoints, which hold
/// hashes and records, never stored layout. Format 3 stores format 2's
/// chain in blocks, so a ledger upgraded from format 2 to 3 keeps every
/// hash, and its checkpoints and packs stay valid.
pub const CHAIN_FORMAT: u32 = 2;

/// The BLAKE3 `derive_key` context for event hashes.
pub const EVENT_CONTEXT: &str = "planledger 2026 event v2";

/// The BLAKE3 `derive_key` context for record digests.
pub const RECORD_CONTEXT: &str = "planledger 2026 record v2";

/// The `prev_hash` of the genesis event.
pub const GENESIS_PREV: Hash = [0; 32];

/// How many bytes the stored value of an event holds before its record:
/// the hash and the subject.
pub const STORED_PREFIX: usize = 32 + SUBJECT_LEN;

const SUBJECT_LEN: usize = 8;

/// Which plan and which action an event is about, committed in the chain
/// beside the record's digest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Subject {
    pub plan: Option<PlanId>,
    pub action: Option<ActionId>,
}

impl Subject {
    /// About the ledger as a whole (the genesis, an imported source).
    pub const LEDGER: Subject = Subject {
        plan: None,
        action: None,
    };

    pub fn to_bytes(self) -> [u8; SUBJECT_LEN] {
        let mut out = [0; SUBJECT_LEN];
        out[..4].copy_from_slice(&self.plan.map_or(0, Id::get).to_be_bytes());
        out[4..].copy_from_slice(&self.action.map_or(0, Id::get).to_be_bytes());
        out
    }

    pub fn from_bytes(bytes: [u8; SUBJECT_LEN]) -> Subject {
        let half = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
        Subject {
            plan: Some(half(0)).filter(|&n| n != 0).map(PlanId::of),
            action: Some(half(4)).filter(|&n| n != 0).map(ActionId::of),
        }
    }
}

/// The subject of each event of a history, in order, held as the chain
/// stores them: eight bytes each, where a [`Subject`] in memory takes
/// sixteen. `verify` keeps one for every event, so at a million events this
/// is the difference between 8 and 16 MB. (A subject read from the chain
/// has no id 0, which [`Subject::from_bytes`] reads as none; a subject
/// pushed here comes back as the chain would give it.)
#[derive(Clone, Debug, Default)]
pub struct Subjects(Vec<[u8; SUBJECT_LEN]>);

impl Subjects {
    pub fn push(&mut self, subject: Subject) {
        self.0.push(subject.to_bytes());
    }

    /// The subject of the event at `seq`, if there is one.
    pub fn get(&self, seq: u64) -> Option<Subject> {
        let i = usize::try_from(seq).ok()?;
        self.0.get(i).map(|bytes| Subject::from_bytes(*bytes))
    }

    /// How many events have a subject here.
    pub fn len(&self) -> u64 {
        self.0.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each subject, in order.
    pub fn iter(&self) -> impl Iterator<Item = Subject> + '_ {
        self.0.iter().map(|bytes| Subject::from_bytes(*bytes))
    }
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.plan, self.action) {
            (None, None) => f.write_str("the ledger"),
            (Some(p), None) => write!(f, "{p}"),
            (None, Some(a)) => write!(f, "{a} of no plan"),
            (Some(p), Some(a)) => write!(f, "{p} {a}"),
        }
    }
}

/// A BLAKE3 `derive_key` context whose hasher is derived once and copied
/// from there: deriving one is a compression of its own, as costly as
/// hashing a short record, and every event is hashed with the same few
/// contexts.
pub struct DeriveKey {
    context: &'static str,
    hasher: OnceLock<blake3::Hasher>,
}

impl DeriveKey {
    pub const fn new(context: &'static str) -> DeriveKey {
        DeriveKey {
            context,
            hasher: OnceLock::new(),
        }
    }

    /// A hasher in `derive_key` mode for the context, nothing hashed yet.
    pub fn hasher(&self) -> blake3::Hasher {
        self.hasher
            .get_or_init(|| blake3::Hasher::new_derive_key(self.context))
            .clone()
    }
}

/// The digest of a record's bytes.
pub fn record_digest(record: &[u8]) -> Hash {
    static RECORD: DeriveKey = DeriveKey::new(RECORD_CONTEXT);
    let mut hasher = RECORD.hasher();
    hasher.update(record);
    *hasher.finalize().as_bytes()
}

/// The hash of the event at `seq` about `subject` whose record digest is
/// `digest`, following the event whose hash is `prev`.
pub fn event_hash(prev: &Hash, seq: u64, subject: Subject, digest: &Hash) -> Hash {
    static EVENT: DeriveKey = DeriveKey::new(EVENT_CONTEXT);
    let mut hasher = EVENT.hasher();
    hasher.update(prev);
    hasher.update(&seq.to_be_bytes());
    hasher.update(&subject.to_bytes());
    hasher.update(digest);
    *hasher.finalize().as_bytes()
}

/// Why a stored event does not fit the chain.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("stored value is {len} bytes, too short to hold a hash and a subject")]
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

/// An event's stored value taken apart and checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link<'a> {
    pub record: &'a [u8],
    pub subject: Subject,
    pub hash: Hash,
}

/// Splits a stored value into hash, subject and record bytes and checks the
/// hash against `prev` and `seq`.
pub fn check_link<'a>(prev: &Hash, seq: u64, stored: &'a [u8]) -> Result<Link<'a>, LinkError> {
    let (hash, subject, record) = split_stored(stored)?;
    let computed = event_hash(prev, seq, subject, &record_digest(record));
    if hash != computed {
        return Err(LinkError::HashMismatch {
            stored: hash,
            computed,
        });
    }
    Ok(Link {
        record,
        subject,
        hash,
    })
}

/// Splits a stored value into its hash, subject and record bytes without
/// checking the hash.
pub fn split_stored(stored: &[u8]) -> Result<(Hash, Subject, &[u8]), LinkError> {
    if stored.len() < STORED_PREFIX {
        return Err(LinkError::Truncated { len: stored.len() });
    }
    if stored.len() - STORED_PREFIX > crate::codec::MAX_RECORD_LEN {
        return Err(LinkError::TooLong {
            len: stored.len() - STORED_PREFIX,
        });
    }
    let hash: Hash = stored[..32].try_into().expect("32 bytes");
    let subject = Subject::from_bytes(stored[32..STORED_PREFIX].try_into().expect("8 bytes"));
    Ok((hash, subject, &stored[STORED_PREFIX..]))
}

/// The value stored for an event: its hash, its subject, its record bytes.
pub fn stored_value(hash: &Hash, subject: Subject, record: &[u8]) -> Vec<u8> {
    let mut value = Vec::with_capacity(STORED_PREFIX + record.len());
    value.extend_from_slice(hash);
    value.extend_from_slice(&subject.to_bytes());
    value.extend_from_slice(record);
    value
}

/// Format 1's framing, kept so that `planledger upgrade` can check a
/// format-1 ledger before carrying it over.
pub mod v1 {
    use crate::event::Hash;

    /// Format 1's `derive_key` context.
    pub const EVENT_CONTEXT: &str = "planledger 2026 event v1";

    /// `BLAKE3 derive_key("planledger 2026 event v1", prev ‖ seq (u64 BE) ‖
    /// len(record) (u32 BE) ‖ record)`.
    pub fn event_hash(prev: &Hash, seq: u64, record: &[u8]) -> Hash {
        let len = u32::try_from(record.len()).expect("codec caps records far below 4 GiB");
        let mut hasher = blake3::Hasher::new_derive_key(EVENT_CONTEXT);
        hasher.update(prev);
        hasher.update(&seq.to_be_bytes());
        hasher.update(&len.to_be_bytes());
        hasher.update(record);
        *hasher.finalize().as_bytes()
    }

    #[cfg(test)]
    mod tests {
        /// Format 1's vectors, as its FORMAT.md gave them.
        #[test]
        fn format_1_framing_is_pinned() {
            let genesis = super::event_hash(&[0; 32], 0, b"planledger");
            assert_eq!(
                hex::encode(genesis),
                "8c0d69317daa5148e2894072cac96673689919cfd609ebb7a542ca1fe74ed5ae"
            );
            let next = super::event_hash(&genesis, 1, b"");
            assert_eq!(
                hex::encode(next),
                "15ecddde3c8aaf41d26789e4a25650cd25e960f767d1aff2e2b504a6af8f7bb5"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(plan: u32, action: u32) -> Subject {
        Subject::from_bytes(
            [plan.to_be_bytes(), action.to_be_bytes()]
                .concat()
                .try_into()
                .unwrap(),
        )
    }

    /// Pins the framing (values computed independently with the Python
    /// `blake3` package from the description above). If this fails, the hash
    /// of every stored event has changed: that is a new format version, not
    /// a test to update.
    #[test]
    fn framing_is_pinned() {
        let digest = record_digest(b"planledger");
        assert_eq!(
            hex::encode(digest),
            "1b0c1bb7d5b1aeff8aaac1c4d9eeea4fae4a7db93fef7b8aff024a1d91aa1c0e"
        );
        let genesis = event_hash(&GENESIS_PREV, 0, Subject::LEDGER, &digest);
        assert_eq!(
            hex::encode(genesis),
            "1a502908245c204f16b2def215e0021d17a1f96b053aa8d948e4c75ee041710e"
        );
        let next = event_hash(&genesis, 1, subject(1, 3), &record_digest(b""));
        assert_eq!(
            hex::encode(next),
            "40ab2e49148f4ca3f5b4158f81a662f5d925aa4ca278a97bc2b0953e77fd5765"
        );
    }

    #[test]
    fn framing_matches_its_description() {
        let prev = [9u8; 32];
        let record = b"abc";
        let mut preimage = prev.to_vec();
        preimage.extend_from_slice(&7u64.to_be_bytes());
        preimage.extend_from_slice(&2u32.to_be_bytes());
        preimage.extend_from_slice(&5u32.to_be_bytes());
        preimage.extend_from_slice(&blake3::derive_key(RECORD_CONTEXT, record));
        let expected = blake3::derive_key(EVENT_CONTEXT, &preimage);
        assert_eq!(
            event_hash(&prev, 7, subject(2, 5), &record_digest(record)),
            expected
        );
    }

    #[test]
    fn a_subject_reads_back_as_written() {
        for (plan, action) in [(0, 0), (1, 0), (3, 17), (u32::MAX, 1)] {
            let s = subject(plan, action);
            assert_eq!(Subject::from_bytes(s.to_bytes()), s);
            assert_eq!(s.plan.is_none(), plan == 0);
        }
        assert_eq!(subject(0, 0), Subject::LEDGER);
    }

    #[test]
    fn subjects_kept_packed_read_back_by_sequence_number() {
        let written = [
            subject(0, 0),
            subject(1, 0),
            subject(3, 17),
            subject(u32::MAX, 1),
        ];
        let mut subjects = Subjects::default();
        assert!(subjects.is_empty());
        for s in written {
            subjects.push(s);
        }
        assert_eq!(subjects.len(), 4);
        assert_eq!(subjects.get(2), Some(subject(3, 17)));
        assert_eq!(subjects.get(4), None);
        assert_eq!(subjects.get(u64::MAX), None);
        assert_eq!(subjects.iter().collect::<Vec<_>>(), written);
    }

    #[test]
    fn links_check_hash_seq_prev_and_subject() {
        let record = b"record bytes";
        let about = subject(1, 2);
        let hash = event_hash(&GENESIS_PREV, 0, about, &record_digest(record));
        let stored = stored_value(&hash, about, record);
        assert_eq!(
            check_link(&GENESIS_PREV, 0, &stored),
            Ok(Link {
                record: &record[..],
                subject: about,
                hash
            })
        );
        assert!(
            check_link(&GENESIS_PREV, 1, &stored).is_err(),
            "wrong sequence"
        );
        assert!(
            check_link(&[1; 32], 0, &stored).is_err(),
            "wrong predecessor"
        );
        let mut other_plan = stored.clone();
        other_plan[35] ^= 1;
        assert!(
            check_link(&GENESIS_PREV, 0, &other_plan).is_err(),
            "wrong subject"
        );
        let mut flipped = stored.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(matches!(
            check_link(&GENESIS_PREV, 0, &flipped),
            Err(LinkError::HashMismatch { stored, computed })
                if stored == hash && computed != hash
        ));
        assert_eq!(
            check_link(&GENESIS_PREV, 0, &stored[..39]),
            Err(LinkError::Truncated { len: 39 })
        );
    }

    /// A stored value longer than any record is refused before hashing.
    #[test]
    fn an_overlong_value_is_refused_not_hashed() {
        let value = vec![0u8; STORED_PREFIX + crate::codec::MAX_RECORD_LEN + 1];
        assert_eq!(
            check_link(&GENESIS_PREV, 0, &value),
            Err(LinkError::TooLong {
                len: crate::codec::MAX_RECORD_LEN + 1
            })
        );
    }
}
