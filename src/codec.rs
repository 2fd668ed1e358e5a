//! The only code that turns records into bytes and back.
//!
//! Records are encoded with bincode 2.0.1 through its serde path using
//! `bincode::config::legacy()`: little-endian fixed-width integers, `u64`
//! lengths for strings and sequences, `u32` enum variant indexes, a `u8` tag
//! for `Option`. `ledger/FORMAT.md` spells this out so a verifier can be
//! written without Rust. bincode is finished and no longer
//! maintained upstream; it is used nowhere else in the crate.
//!
//! Decoding never trusts its input: it refuses trailing bytes (bincode would
//! accept them, which would let two byte strings decode to one record) and
//! caps what a length prefix can make it allocate.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::event::{Record, RecordOf};
use crate::sealed::{self, Commit, Salt, StoredText};

/// The most bytes one encoded record may hold: 64 KiB. Far above any real
/// record (evidence is stored as a hash, never as content), far below the
/// `u32` length the hash framing allows, and small enough that sled keeps
/// every value inline in its log rather than in a separate blob file.
pub const MAX_RECORD_LEN: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("record is {len} bytes, more than the {MAX_RECORD_LEN} a record may hold")]
    TooLarge { len: usize },
    #[error("record could not be encoded: {source}")]
    Encode {
        #[source]
        source: bincode::error::EncodeError,
    },
    #[error("record does not decode: {source}")]
    Decode {
        #[source]
        source: bincode::error::DecodeError,
    },
    #[error("record has {trailing} unexpected byte(s) after its end")]
    TrailingBytes { trailing: usize },
}

fn config() -> bincode::config::Configuration<
    bincode::config::LittleEndian,
    bincode::config::Fixint,
    bincode::config::NoLimit,
> {
    bincode::config::legacy()
}

/// Encodes a value for storage.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
    let bytes = encode_derived(value)?;
    if bytes.len() > MAX_RECORD_LEN {
        return Err(CodecError::TooLarge { len: bytes.len() });
    }
    Ok(bytes)
}

/// Decodes a value that must occupy every byte given.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    if bytes.len() > MAX_RECORD_LEN {
        return Err(CodecError::TooLarge { len: bytes.len() });
    }
    decode_all(bytes, config().with_limit::<MAX_RECORD_LEN>())
}

/// A record as format 2 stores it: the sealed record bytes (each free text
/// a commitment), which the chain hashes, and its texts, stored apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    pub record: Vec<u8>,
    /// The encoded texts, `None` for an event with no free text.
    pub texts: Option<Vec<u8>>,
}

/// Seals and encodes a record, each text with a fresh salt from `salt`.
/// The record bytes and the texts are each at most [`MAX_RECORD_LEN`].
pub fn encode_record(record: &Record, salt: impl FnMut() -> Salt) -> Result<Sealed, CodecError> {
    let (sealed, texts) = sealed::seal(record, salt);
    let record = encode(&sealed)?;
    let texts = match texts.is_empty() {
        true => None,
        false => Some(encode(&texts)?),
    };
    Ok(Sealed { record, texts })
}

/// Decodes sealed record bytes.
pub fn decode_sealed(bytes: &[u8]) -> Result<RecordOf<Commit>, CodecError> {
    decode(bytes)
}

/// Decodes an event's stored texts; `None` (nothing stored) is no texts.
pub fn decode_texts(bytes: Option<&[u8]>) -> Result<Vec<StoredText>, CodecError> {
    bytes.map_or(Ok(Vec::new()), decode)
}

/// The most bytes a piece of derived data (a snapshot) may decode from.
pub const MAX_DERIVED_LEN: usize = 1 << 30;

/// Encodes derived data, which is not part of the chain and has no record
/// size cap.
pub fn encode_derived<T: Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
    bincode::serde::encode_to_vec(value, config()).map_err(|source| CodecError::Encode { source })
}

/// Encodes derived data into `out` as it goes (a snapshot written part by
/// part, or compared with a stored one): never held whole.
pub fn encode_derived_into<T: Serialize>(
    value: &T,
    out: &mut impl std::io::Write,
) -> Result<(), CodecError> {
    bincode::serde::encode_into_std_write(value, out, config())
        .map(drop)
        .map_err(|source| CodecError::Encode { source })
}

/// Decodes derived data read from `input`, which must hold nothing after
/// it.
pub fn decode_derived_from<T: DeserializeOwned>(
    input: &mut impl std::io::Read,
) -> Result<T, CodecError> {
    let value =
        bincode::serde::decode_from_std_read(input, config().with_limit::<MAX_DERIVED_LEN>())
            .map_err(|source| CodecError::Decode { source })?;
    match std::io::copy(input, &mut std::io::sink()) {
        Ok(0) => Ok(value),
        Ok(trailing) => Err(CodecError::TrailingBytes {
            trailing: usize::try_from(trailing).unwrap_or(usize::MAX),
        }),
        Err(inner) => Err(CodecError::Decode {
            source: bincode::error::DecodeError::Io {
                inner,
                additional: 0,
            },
        }),
    }
}

/// Decodes derived data that must occupy every byte given.
pub fn decode_derived<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    decode_all(bytes, config().with_limit::<MAX_DERIVED_LEN>())
}

/// Decodes with `config`, refusing bytes left over after the value.
fn decode_all<T: DeserializeOwned>(
    bytes: &[u8],
    config: impl bincode::config::Config,
) -> Result<T, CodecError> {
    let (value, used) = bincode::serde::decode_from_slice(bytes, config)
        .map_err(|source| CodecError::Decode { source })?;
    if used != bytes.len() {
        return Err(CodecError::TrailingBytes {
            trailing: bytes.len() - used,
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::{FuzzyDate, Target};
    use crate::event::{ClockNote, Event, Evidence, Record, SourceRef};
    #[allow(unused_imports)]
    use crate::id::{ActionId, ClaimNo, PlanId, RecId};
    use crate::status::Status;

    fn sample() -> Record {
        Record {
            tx: 3,
            recorded_at: 1_700_000_000_000_000,
            clock: ClockNote::HeldAtHead { clock_read: 5 },
            actor: "Assurance Lead".into(),
            effective: FuzzyDate::month(2019, 7),
            source: Some(SourceRef {
                import_seq: 2,
                locator: "THAMES VALLEY POLICE, row 1".into(),
            }),
            event: Event::CompletionClaimed {
                action: ActionId::of(1),
                claim: ClaimNo::of(1),
                outcome: "5/6/19 – completed. Process updated.".into(),
                evidence: vec![Evidence {
                    name: "minutes.pdf".into(),
                    size: 12,
                    blake3: [7; 32],
                }],
            },
        }
    }

    #[test]
    fn records_round_trip() {
        let records = [
            sample(),
            Record {
                event: Event::ActionAdded {
                    action: ActionId::of(9),
                    plan: PlanId::of(1),
                    agency: "A2Dominion".into(),
                    lead: None,
                    text: "Review the training matrix".into(),
                    scope: Some("Local".into()),
                    recommendations: vec![RecId::of(3), RecId::of(11)],
                    target: Some(Target {
                        text: "Dec 2019 (course availability)".into(),
                        date: FuzzyDate::month(2019, 12),
                    }),
                },
                ..sample()
            },
            Record {
                event: Event::StatusChanged {
                    action: ActionId::of(2),
                    from: Status::Open,
                    to: Status::Embedded,
                    reason: String::new(),
                },
                effective: None,
                source: None,
                ..sample()
            },
        ];
        for record in records {
            let bytes = encode(&record).unwrap();
            assert_eq!(decode::<Record>(&bytes).unwrap(), record);
        }
    }

    #[test]
    fn integers_are_fixed_width_little_endian() {
        // The first field of a record is `tx: u64`: eight bytes, LE.
        let bytes = encode(&sample()).unwrap();
        assert_eq!(&bytes[..8], &3u64.to_le_bytes());
        assert_eq!(&bytes[8..16], &1_700_000_000_000_000i64.to_le_bytes());
    }

    /// Regression: a record whose hash is right but whose date is not a real
    /// one (month 13) decoded, and folding it panicked.
    #[test]
    fn a_date_that_does_not_exist_does_not_decode() {
        let record = Record {
            effective: FuzzyDate::day(2019, 6, 5),
            ..sample()
        };
        let bytes = encode(&record).unwrap();
        let good = encode(&FuzzyDate::day(2019, 6, 5).unwrap()).unwrap();
        let at = bytes.windows(good.len()).position(|w| w == good).unwrap();
        for (offset, value) in [(4, 13u8), (5, 31)] {
            let mut bad = bytes.clone();
            bad[at + offset] = value;
            if offset == 5 {
                bad[at + 4] = 2; // 31 February
            }
            assert!(
                matches!(decode::<Record>(&bad), Err(CodecError::Decode { .. })),
                "offset {offset}"
            );
        }
        let month = encode(&FuzzyDate::month(2019, 7).unwrap()).unwrap();
        let mut not_canonical = month.clone();
        not_canonical[5] = 9; // a month-precision date must store day 1
        assert!(decode::<FuzzyDate>(&not_canonical).is_err());
        assert_eq!(
            decode::<FuzzyDate>(&month).unwrap(),
            FuzzyDate::month(2019, 7).unwrap()
        );
    }

    #[test]
    fn trailing_bytes_are_refused() {
        let mut bytes = encode(&sample()).unwrap();
        bytes.push(0);
        assert!(matches!(
            decode::<Record>(&bytes),
            Err(CodecError::TrailingBytes { trailing: 1 })
        ));
    }

    #[test]
    fn truncated_and_garbage_bytes_are_errors_not_panics() {
        let bytes = encode(&sample()).unwrap();
        for len in 0..bytes.len() {
            assert!(
                decode::<Record>(&bytes[..len]).is_err(),
                "prefix of {len} bytes"
            );
        }
        // A length prefix claiming an enormous string must not allocate it.
        let mut huge = bytes.clone();
        huge[25..33].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(decode::<Record>(&huge).is_err());
        assert!(decode::<Record>(&[0xff; 64]).is_err());
    }

    #[test]
    fn a_decode_error_keeps_bincodes_error_as_its_source() {
        let bytes = encode(&sample()).unwrap();
        let err = decode::<Record>(&bytes[..10]).unwrap_err();
        assert!(matches!(err, CodecError::Decode { .. }), "{err:?}");
        let source = std::error::Error::source(&err).expect("a source");
        assert!(err.to_string().starts_with("record does not decode: "));
        assert!(err.to_string().ends_with(&source.to_string()));
    }
}
