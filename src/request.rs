//! Signed requests: every write to a ledger that has actors.
//!
//! A request says who asks (their public key and name), of which ledger,
//! having seen which head (none for a return made without a copy of the
//! ledger), when, and what: the commands, each with its effective date and
//! source. It is encoded like a record (`codec`, bincode's legacy
//! configuration) with every free text replaced by its salted commitment
//! ([`crate::sealed::commit`]), and signed with ed25519 over BLAKE3
//! `derive_key` ([`REQUEST_CONTEXT`]) of those bytes, checked with
//! `verify_strict`. The ledger stores the bytes and the signature in the
//! `RequestSigned` event that begins the transaction, and the events that
//! follow hold exactly the texts the request committed to, with the same
//! salts: so `verify` can draft the request's commands again and compare,
//! and a redaction erases a text from the request and its event at once.
//!
//! The words travel beside the request, never inside what is signed: in a
//! return file ([`ReturnFile`], `.plreq`) they are listed with their salts,
//! and [`SignedRequest::from_return`] checks each against its commitment.

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::ask::{Stamped, StampedOf};
use crate::codec::{self, CodecError};
use crate::event::{Hash, Micros, PublicKey, Signature};
use crate::sealed::{self, Commit, Salt};

/// The BLAKE3 `derive_key` context of what a request's signature signs.
pub const REQUEST_CONTEXT: &str = "planledger 2026 request v1";

/// The first line of a return file, naming what it is.
pub const RETURN_KIND: &str = "planledger request";

/// A request as signed and stored: its texts are commitments.
pub type Request = RequestOf<Commit>;

/// What an actor asks a ledger to record, its free texts of type `T`.
/// Part of the on-disk format (FORMAT.md §13.2): fields in this order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestOf<T> {
    /// The ledger it is for: a request is refused by any other.
    pub ledger_id: [u8; 16],
    /// The head the signer saw, its sequence number and hash; `None` for a
    /// request made without a copy of the ledger (a return).
    pub head_seen: Option<(u64, Hash)>,
    /// The signer's public key.
    pub key: PublicKey,
    /// The name the signer goes by in the ledger's actors.
    pub signer: String,
    /// When the signer made it, by their clock.
    pub made_at: Micros,
    /// Random: no two requests are the same bytes, so none can be applied
    /// twice unnoticed.
    pub nonce: [u8; 16],
    pub commands: Vec<StampedOf<T>>,
}

/// Why a request or its signature is not good.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestFault {
    #[error("its bytes are not a request ({0})")]
    Unreadable(String),
    #[error("its signature does not verify with the key it names")]
    BadSignature,
    #[error("the key it names is not an ed25519 public key")]
    BadKey,
    #[error("it has {found} texts beside it where its commands have {expected}")]
    TextCount { expected: usize, found: usize },
    #[error("text {number} beside it is not the text its command signed")]
    TextChanged { number: usize },
    #[error("it is not a planledger return file ({0})")]
    NotAReturn(String),
}

/// The 32 bytes a request's signature signs, and its digest in the
/// ledger: BLAKE3 `derive_key` with [`REQUEST_CONTEXT`] over its bytes.
pub fn digest(bytes: &[u8]) -> Hash {
    blake3::derive_key(REQUEST_CONTEXT, bytes)
}

/// Checks `signature` over the request `bytes` with `key`, strictly (RFC
/// 8032 with ed25519-dalek's `verify_strict`: no small-order keys, no
/// non-canonical encodings).
pub fn check_signature(
    key: &PublicKey,
    bytes: &[u8],
    signature: &Signature,
) -> Result<(), RequestFault> {
    let key = VerifyingKey::from_bytes(key).map_err(|_| RequestFault::BadKey)?;
    let signature = ed25519_dalek::Signature::from_bytes(&signature.to_bytes());
    key.verify_strict(&digest(bytes), &signature)
        .map_err(|_| RequestFault::BadSignature)
}

/// Decodes a request's bytes.
pub fn decode(bytes: &[u8]) -> Result<Request, RequestFault> {
    codec::decode(bytes).map_err(|e| RequestFault::Unreadable(e.to_string()))
}

/// A text of a request with the salt of its commitment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaltedText {
    #[serde(with = "hex_salt")]
    pub salt: Salt,
    pub words: String,
}

/// A signed request with the words of its texts: what a ledger applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedRequest {
    /// The request's encoded bytes, which the signature signs.
    pub bytes: Vec<u8>,
    pub request: Request,
    pub signature: Signature,
    /// Every text of its commands, in order, with its salt.
    pub texts: Vec<SaltedText>,
}

impl SignedRequest {
    /// Makes and signs a request for `commands` (tidied: see
    /// [`crate::command::Command::tidy`]), with a random nonce and each
    /// text committed with a fresh random salt.
    pub fn sign(
        key: &SigningKey,
        head: RequestHead,
        commands: Vec<Stamped>,
    ) -> Result<SignedRequest, RequestError> {
        let mut nonce = [0; 16];
        getrandom::fill(&mut nonce).map_err(|e| RequestError::Random(e.to_string()))?;
        SignedRequest::sign_with(key, head, commands, nonce, || {
            let mut salt = [0; 16];
            getrandom::fill(&mut salt).map_err(|e| RequestError::Random(e.to_string()))?;
            Ok(salt)
        })
    }

    /// [`SignedRequest::sign`] with the nonce given and each salt from
    /// `salt`, called once per text in the order of the request's
    /// commitments (FORMAT.md §13.2). Signing is deterministic, so fixed
    /// inputs give fixed bytes: how the golden vectors are made. Anything
    /// else wants [`SignedRequest::sign`]'s random ones.
    pub fn sign_with(
        key: &SigningKey,
        head: RequestHead,
        commands: Vec<Stamped>,
        nonce: [u8; 16],
        mut salt: impl FnMut() -> Result<Salt, RequestError>,
    ) -> Result<SignedRequest, RequestError> {
        let mut texts = Vec::new();
        let sealed = commands
            .into_iter()
            .map(|stamped| {
                let stamped = Stamped {
                    command: stamped.command.tidy(),
                    ..stamped
                };
                stamped.try_map_texts(|words| {
                    let salt = salt()?;
                    let commit = sealed::commit(&salt, &words);
                    texts.push(SaltedText { salt, words });
                    Ok(commit)
                })
            })
            .collect::<Result<Vec<_>, RequestError>>()?;
        let request = Request {
            ledger_id: head.ledger_id,
            head_seen: head.head_seen,
            key: key.verifying_key().to_bytes(),
            signer: head.signer,
            made_at: head.made_at,
            nonce,
            commands: sealed,
        };
        let bytes = codec::encode(&request).map_err(|e| match e {
            CodecError::TooLarge { len } => RequestError::TooLarge {
                len,
                commands: request.commands.len(),
            },
            other => RequestError::Codec(other),
        })?;
        let signature = Signature::from_bytes(key.sign(&digest(&bytes)).to_bytes());
        Ok(SignedRequest {
            bytes,
            request,
            signature,
            texts,
        })
    }

    /// The request's commands with their words, each checked against the
    /// commitment it signed.
    pub fn commands(&self) -> Result<Vec<Stamped>, RequestFault> {
        let expected: usize = self
            .request
            .commands
            .iter()
            .map(|c| c.command.texts().len())
            .sum();
        if expected != self.texts.len() {
            return Err(RequestFault::TextCount {
                expected,
                found: self.texts.len(),
            });
        }
        let mut texts = self.texts.iter().enumerate();
        self.request
            .commands
            .iter()
            .cloned()
            .map(|stamped| {
                stamped.try_map_texts(|commit| {
                    let (i, text) = texts.next().ok_or(RequestFault::TextCount {
                        expected,
                        found: self.texts.len(),
                    })?;
                    if sealed::commit(&text.salt, &text.words) == commit {
                        Ok(text.words.clone())
                    } else {
                        Err(RequestFault::TextChanged { number: i + 1 })
                    }
                })
            })
            .collect()
    }

    /// The salts of its texts, in order: those its events' texts are
    /// sealed with.
    pub fn salts(&self) -> Vec<Salt> {
        self.texts.iter().map(|t| t.salt).collect()
    }

    /// The request as a return file's text (JSON, one document).
    pub fn to_return(&self) -> String {
        let file = ReturnFile {
            kind: RETURN_KIND.to_string(),
            version: 1,
            request: hex::encode(&self.bytes),
            signature: hex::encode(self.signature.to_bytes()),
            texts: self.texts.clone(),
        };
        // A struct of strings and a list of them always serialises.
        serde_json::to_string_pretty(&file).unwrap_or_default() + "\n"
    }

    /// Reads a return file: its request decoded, its signature checked with
    /// the key it names, and every text checked against its commitment.
    /// Whether that key may sign for the ledger is the ledger's to say.
    pub fn from_return(text: &[u8]) -> Result<SignedRequest, RequestFault> {
        let file: ReturnFile = serde_json::from_slice(text)
            .map_err(|e| RequestFault::NotAReturn(format!("not its JSON: {e}")))?;
        if file.kind != RETURN_KIND || file.version != 1 {
            return Err(RequestFault::NotAReturn(format!(
                "it says it is '{}' version {}",
                file.kind, file.version
            )));
        }
        let bytes = hex::decode(&file.request)
            .map_err(|e| RequestFault::NotAReturn(format!("its request is not hex: {e}")))?;
        let signature: [u8; 64] = hex::decode(&file.signature)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                RequestFault::NotAReturn("its signature is not 64 bytes in hex".to_string())
            })?;
        let request = decode(&bytes)?;
        let signature = Signature::from_bytes(signature);
        check_signature(&request.key, &bytes, &signature)?;
        let signed = SignedRequest {
            bytes,
            request,
            signature,
            texts: file.texts,
        };
        signed.commands()?;
        Ok(signed)
    }
}

/// What a request says beside its commands.
#[derive(Clone, Debug)]
pub struct RequestHead {
    pub ledger_id: [u8; 16],
    pub head_seen: Option<(u64, Hash)>,
    pub signer: String,
    pub made_at: Micros,
}

/// Why a request could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("no random numbers for the request: {0}")]
    Random(String),
    #[error(transparent)]
    Codec(CodecError),
    #[error(
        "{commands} changes make a signed request of {len} bytes, more than the {} one may hold (about 500 changes): split the file into smaller plans, or import it before the ledger adopts keys",
        codec::MAX_RECORD_LEN
    )]
    TooLarge { len: usize, commands: usize },
}

/// A return file: a signed request and its words, as an agency lead sends
/// it (FORMAT.md §13.6).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReturnFile {
    kind: String,
    version: u32,
    /// The request's bytes, in hex.
    request: String,
    /// The signature, 64 bytes in hex.
    signature: String,
    texts: Vec<SaltedText>,
}

mod hex_salt {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(salt: &[u8; 16], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(salt))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 16], D::Error> {
        let text = String::deserialize(d)?;
        hex::decode(&text)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| serde::de::Error::custom("a salt is 16 bytes in hex"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ask::Command;
    use crate::id::ActionId;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn head() -> RequestHead {
        RequestHead {
            ledger_id: [7; 16],
            head_seen: Some((4, [9; 32])),
            signer: "Jo Bloggs".into(),
            made_at: 1_700_000_000_000_000,
        }
    }

    fn note(words: &str) -> Stamped {
        Stamped::from(Command::NoteMilestone {
            action: ActionId::of(3),
            note: words.into(),
        })
    }

    #[test]
    fn a_signed_request_round_trips_through_its_return_file() {
        let signed =
            SignedRequest::sign(&key(1), head(), vec![note("  Training booked ")]).expect("signs");
        let back = SignedRequest::from_return(signed.to_return().as_bytes()).expect("reads");
        assert_eq!(back, signed);
        let commands = back.commands().expect("texts match");
        assert_eq!(
            commands,
            vec![note("Training booked")],
            "tidied before signing"
        );
        assert_eq!(back.request.signer, "Jo Bloggs");
    }

    #[test]
    fn a_changed_text_or_signature_or_request_byte_is_refused() {
        let signed =
            SignedRequest::sign(&key(1), head(), vec![note("Training booked")]).expect("signs");
        let mut words = signed.clone();
        words.texts[0].words = "Training done".into();
        assert_eq!(
            SignedRequest::from_return(words.to_return().as_bytes()),
            Err(RequestFault::TextChanged { number: 1 })
        );
        let mut signature = signed.clone();
        signature.signature.s[0] ^= 1;
        assert_eq!(
            SignedRequest::from_return(signature.to_return().as_bytes()),
            Err(RequestFault::BadSignature)
        );
        for at in 0..signed.bytes.len() {
            let mut flipped = signed.clone();
            flipped.bytes[at] ^= 0x20;
            assert!(
                SignedRequest::from_return(flipped.to_return().as_bytes()).is_err(),
                "byte {at} flipped"
            );
        }
    }

    #[test]
    fn a_signature_verifies_only_with_its_own_key() {
        let signed = SignedRequest::sign(&key(1), head(), vec![note("x")]).expect("signs");
        assert_eq!(
            check_signature(
                &key(1).verifying_key().to_bytes(),
                &signed.bytes,
                &signed.signature
            ),
            Ok(())
        );
        assert_eq!(
            check_signature(
                &key(2).verifying_key().to_bytes(),
                &signed.bytes,
                &signed.signature
            ),
            Err(RequestFault::BadSignature)
        );
    }

    /// The golden vectors rely on it: the same key, head, commands, nonce
    /// and salts give the same bytes and signature.
    #[test]
    fn a_request_signed_with_a_given_nonce_and_salts_is_the_same_each_time() {
        let make = || {
            let mut n = 0u8;
            SignedRequest::sign_with(
                &key(1),
                head(),
                vec![note(" x "), note("y")],
                [3; 16],
                || {
                    n += 1;
                    Ok([n; 16])
                },
            )
            .expect("signs")
        };
        let (a, b) = (make(), make());
        assert_eq!(a, b);
        assert_eq!(a.salts(), vec![[1; 16], [2; 16]]);
        assert_eq!(a.request.nonce, [3; 16]);
        assert_eq!(
            a.commands().expect("texts match"),
            vec![note("x"), note("y")]
        );
    }

    #[test]
    fn two_requests_of_the_same_commands_differ() {
        let a = SignedRequest::sign(&key(1), head(), vec![note("x")]).expect("signs");
        let b = SignedRequest::sign(&key(1), head(), vec![note("x")]).expect("signs");
        assert_ne!(digest(&a.bytes), digest(&b.bytes));
    }

    #[test]
    fn a_file_that_is_not_a_return_is_named() {
        for text in [
            "",
            "{}",
            "[1]",
            r#"{"kind":"x","version":1,"request":"","signature":"","texts":[]}"#,
        ] {
            assert!(
                matches!(
                    SignedRequest::from_return(text.as_bytes()),
                    Err(RequestFault::NotAReturn(_))
                ),
                "{text}"
            );
        }
    }
}
