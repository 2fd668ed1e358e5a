//! Checkpoints (`ledger/FORMAT.md` §12): a small signed statement of a
//! ledger's head, in text a person can read and paste into board minutes,
//! that a second party countersigns as a witness, so that no one who holds
//! the ledger's files can rewrite or cut back its history unnoticed.
//!
//! A checkpoint states the ledger's id and format, the head's sequence
//! number, hash and recorded time, and *marks*: the first 8 bytes of the
//! hash at a few earlier sequence numbers ([`mark_seqs`]: the genesis, the
//! powers of two, and the head less each power of two), so that a history
//! that differs is located, not just refused. The signer and each witness
//! sign with ed25519 over BLAKE3 `derive_key` ([`CHECKPOINT_CONTEXT`]) of
//! the statement's lines as printed ([`Checkpoint::render`]), each with
//! their own name and key lines.
//!
//! A [`Checkpoint`] is only ever made by [`sign`] or read by
//! [`Checkpoint::parse`], and either way every signature in it has been
//! checked: parsing is strict (one text per checkpoint; each departure is
//! refused naming its line) and never panics. [`Checkpoint::compare`] holds
//! it against a history given as a function from sequence numbers to
//! hashes, so nothing here opens a ledger; [`Checkpoint::signer_keys`]
//! gives the keys that signed it, for checking against the ledger's actors.

use std::collections::BTreeSet;
use std::fmt::{self, Write as _};
use std::ops::RangeInclusive;

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

use crate::chain::CHAIN_FORMAT;
use crate::event::{Hash, Micros};
use crate::keys;
use crate::time::{DayEnd, format_micros, parse_instant};

/// The first line of every checkpoint: the name and version of this form.
pub const TITLE: &str = "planledger checkpoint v1";

/// What the first line of a checkpoint of another version starts with.
const TITLE_STEM: &str = "planledger checkpoint v";

/// The BLAKE3 `derive_key` context of the message each signature signs.
pub const CHECKPOINT_CONTEXT: &str = "planledger 2026 checkpoint v1";

/// How many bytes of a hash a mark keeps: 16 hex digits, like a key's
/// fingerprint. Marks only locate a difference; the head's full hash is
/// what proves the history.
pub const MARK_BYTES: usize = 8;

/// Marks printed on one `marks` line, so that lines stay short enough for
/// an email or a page of minutes.
pub const MARKS_PER_LINE: usize = 3;

/// The largest file read as a checkpoint: far more than the most marks and
/// signatures a checkpoint can hold.
pub const MAX_CHECKPOINT_BYTES: u64 = 64 * 1024;

/// The most signatures (the signer's and the witnesses') one checkpoint
/// holds.
pub const MAX_SIGNATURES: usize = 32;

/// The column (counted from 0) where each line's value starts: labels are
/// padded with spaces to it.
const VALUE_COLUMN: usize = 12;

/// The sequence numbers a checkpoint of a history whose head is at `head`
/// marks, in ascending order: 0, every power of two below `head`, and
/// `head` less every power of two up to `head`; never `head` itself (the
/// statement holds its full hash). A history that first differs at seq
/// `f` then differs at every mark from `f` on, and the marks either side
/// of `f` are at most as far apart as `f` is from the nearer end of the
/// checkpoint's history.
pub fn mark_seqs(head: u64) -> Vec<u64> {
    let mut seqs = BTreeSet::new();
    if head > 0 {
        seqs.insert(0);
    }
    let mut step: u64 = 1;
    while step <= head {
        if step < head {
            seqs.insert(step);
        }
        seqs.insert(head - step);
        match step.checked_mul(2) {
            Some(next) => step = next,
            None => break,
        }
    }
    seqs.into_iter().collect()
}

/// The first [`MARK_BYTES`] of a hash.
fn prefix(hash: &Hash) -> [u8; MARK_BYTES] {
    let mut out = [0; MARK_BYTES];
    out.copy_from_slice(&hash[..MARK_BYTES]);
    out
}

/// One mark: a sequence number and the first bytes of the hash there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    pub seq: u64,
    pub prefix: [u8; MARK_BYTES],
}

/// What a checkpoint states about a history: everything but who signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    ledger_id: [u8; 16],
    format_version: u32,
    seq: u64,
    hash: Hash,
    recorded_at: Micros,
    marks: Vec<Mark>,
}

impl Statement {
    /// The statement of a history whose head is the event at `seq`, with
    /// hash `hash`, recorded at `recorded_at`; `hash_at` gives the hash of
    /// the event at each of [`mark_seqs`]`(seq)`.
    pub fn of_history<E>(
        ledger_id: [u8; 16],
        format_version: u32,
        seq: u64,
        hash: Hash,
        recorded_at: Micros,
        mut hash_at: impl FnMut(u64) -> Result<Hash, E>,
    ) -> Result<Statement, E> {
        let marks = mark_seqs(seq)
            .into_iter()
            .map(|at| {
                Ok(Mark {
                    seq: at,
                    prefix: prefix(&hash_at(at)?),
                })
            })
            .collect::<Result<_, E>>()?;
        Ok(Statement {
            ledger_id,
            format_version,
            seq,
            hash,
            recorded_at,
            marks,
        })
    }

    pub fn ledger_id(&self) -> [u8; 16] {
        self.ledger_id
    }

    pub fn format_version(&self) -> u32 {
        self.format_version
    }

    /// The head's sequence number.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The head's hash.
    pub fn hash(&self) -> Hash {
        self.hash
    }

    /// When the head was recorded.
    pub fn recorded_at(&self) -> Micros {
        self.recorded_at
    }

    pub fn marks(&self) -> &[Mark] {
        &self.marks
    }

    /// The statement's lines, as printed and signed.
    fn render(&self, out: &mut String) {
        out.push_str(TITLE);
        out.push('\n');
        line(out, "ledger", &hex::encode(self.ledger_id));
        line(out, "format", &self.format_version.to_string());
        line(out, "seq", &self.seq.to_string());
        line(out, "hash", &hex::encode(self.hash));
        line(out, "recorded", &format_micros(self.recorded_at));
        for chunk in self.marks.chunks(MARKS_PER_LINE) {
            let marks: Vec<String> = chunk.iter().map(mark_text).collect();
            line(out, "marks", &marks.join(" "));
        }
    }
}

/// `seq:16 hex digits`.
fn mark_text(mark: &Mark) -> String {
    format!("{}:{}", mark.seq, hex::encode(mark.prefix))
}

/// One line: the label padded with spaces to [`VALUE_COLUMN`], the value,
/// a line feed.
fn line(out: &mut String, label: &str, value: &str) {
    // Writing to a String cannot fail.
    let _ = writeln!(out, "{label:<VALUE_COLUMN$}{value}");
}

/// Who signed: the checkpoint's signer, or a witness who countersigned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Signer,
    Witness,
}

impl Role {
    /// The label of the line that names someone in this role.
    pub fn label(self) -> &'static str {
        match self {
            Role::Signer => "signer",
            Role::Witness => "witness",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Who signed and with which key: the lines a signature covers besides
/// the statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub role: Role,
    /// The name the signer gave, for people; one line of plain text
    /// ([`keys::check_name`]).
    pub name: String,
    pub key: VerifyingKey,
}

impl Identity {
    fn render(&self, out: &mut String) {
        line(out, self.role.label(), &self.name);
        line(out, "key", &hex::encode(self.key.as_bytes()));
        line(out, "fingerprint", &keys::fingerprint(&self.key));
    }

    pub fn fingerprint(&self) -> String {
        keys::fingerprint(&self.key)
    }
}

/// One signature of a checkpoint, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    pub identity: Identity,
    pub signature: Signature,
}

/// A signer's key, as [`Checkpoint::signer_keys`] gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignerKey {
    pub role: Role,
    pub name: String,
    /// The 32 bytes of the ed25519 public key (RFC 8032's encoding).
    pub key: [u8; 32],
}

/// A checkpoint whose every signature has been checked: made by [`sign`]
/// (and [`Checkpoint::witness`]) or read by [`Checkpoint::parse`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    statement: Statement,
    /// The signer's first, then each witness's in the order they signed.
    signatures: Vec<Signed>,
}

/// The 32 bytes that `identity` signs: BLAKE3 `derive_key`
/// ([`CHECKPOINT_CONTEXT`]) over the statement's lines, the signer's
/// name, key and fingerprint lines, and, for a witness, the witness's own.
fn message(statement: &Statement, signer: &Identity, witness: Option<&Identity>) -> [u8; 32] {
    let mut text = String::new();
    statement.render(&mut text);
    signer.render(&mut text);
    if let Some(witness) = witness {
        witness.render(&mut text);
    }
    blake3::derive_key(CHECKPOINT_CONTEXT, text.as_bytes())
}

/// Signs `statement` as its signer, named `name`: a checkpoint with no
/// witness yet. What it returns reads back with [`Checkpoint::parse`].
pub fn sign(
    statement: Statement,
    name: &str,
    key: &SigningKey,
) -> Result<Checkpoint, CheckpointError> {
    let identity = Identity {
        role: Role::Signer,
        name: keys::check_name(name)
            .map_err(|e| CheckpointError::Name(e.to_string()))?
            .to_string(),
        key: key.verifying_key(),
    };
    let signature = key.sign(&message(&statement, &identity, None));
    Checkpoint {
        statement,
        signatures: vec![Signed {
            identity,
            signature,
        }],
    }
    .read_back()
}

impl Checkpoint {
    pub fn statement(&self) -> &Statement {
        &self.statement
    }

    /// Every signature: the signer's first, then the witnesses'.
    pub fn signatures(&self) -> &[Signed] {
        &self.signatures
    }

    /// The checkpoint's signer.
    pub fn signer(&self) -> &Identity {
        // Never out of bounds: `sign` makes a checkpoint with its signer's
        // signature, and `parse` reads none without one.
        &self.signatures[0].identity
    }

    /// The key of everyone who signed, the signer first: what to check
    /// against the actors the ledger held at the checkpoint's head, once
    /// actors and their keys are events.
    pub fn signer_keys(&self) -> Vec<SignerKey> {
        self.signatures
            .iter()
            .map(|s| SignerKey {
                role: s.identity.role,
                name: s.identity.name.clone(),
                key: s.identity.key.to_bytes(),
            })
            .collect()
    }

    /// This checkpoint with one more signature, a witness's, over the same
    /// statement and signer. A key signs a checkpoint once.
    pub fn witness(&self, name: &str, key: &SigningKey) -> Result<Checkpoint, CheckpointError> {
        let public = key.verifying_key();
        if let Some(already) = self.signatures.iter().find(|s| s.identity.key == public) {
            return Err(CheckpointError::AlreadySigned {
                fingerprint: keys::fingerprint(&public),
                role: already.identity.role,
                name: already.identity.name.clone(),
            });
        }
        if self.signatures.len() >= MAX_SIGNATURES {
            return Err(CheckpointError::TooManySignatures);
        }
        let identity = Identity {
            role: Role::Witness,
            name: keys::check_name(name)
                .map_err(|e| CheckpointError::Name(e.to_string()))?
                .to_string(),
            key: public,
        };
        let signature = key.sign(&message(&self.statement, self.signer(), Some(&identity)));
        let mut signatures = self.signatures.clone();
        signatures.push(Signed {
            identity,
            signature,
        });
        Checkpoint {
            statement: self.statement.clone(),
            signatures,
        }
        .read_back()
    }

    /// The checkpoint as text: the statement, then for each signature its
    /// name, key and fingerprint lines and two lines of signature.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.statement.render(&mut out);
        for signed in &self.signatures {
            signed.identity.render(&mut out);
            let bytes = signed.signature.to_bytes();
            line(&mut out, "signature", &hex::encode(&bytes[..32]));
            line(&mut out, "signature", &hex::encode(&bytes[32..]));
        }
        out
    }

    /// Renders and parses back what was made, so that nothing is returned
    /// that [`Checkpoint::parse`] would refuse.
    fn read_back(self) -> Result<Checkpoint, CheckpointError> {
        Checkpoint::parse(self.render().as_bytes())
    }

    /// Reads a checkpoint from its text, checking every signature. Lines
    /// end with LF (a CR before it is allowed: the signed bytes are the
    /// same); the last line's LF may be missing. Anything else that is not
    /// exactly as [`Checkpoint::render`] writes it is refused, naming the
    /// line.
    pub fn parse(bytes: &[u8]) -> Result<Checkpoint, CheckpointError> {
        if bytes.len() as u64 > MAX_CHECKPOINT_BYTES {
            return Err(CheckpointError::TooLarge {
                size: bytes.len() as u64,
            });
        }
        let text = std::str::from_utf8(bytes).map_err(|e| CheckpointError::Line {
            line: line_of(&bytes[..e.valid_up_to()]),
            fault: LineFault::NotUtf8,
        })?;
        if text.trim().is_empty() {
            return Err(CheckpointError::Empty);
        }
        let body = text.strip_suffix('\n').unwrap_or(text);
        let lines: Vec<&str> = body
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .collect();
        let mut cursor = Cursor {
            lines: &lines,
            next: 0,
        };
        let checkpoint = cursor.checkpoint()?;
        // Belt and braces: the parser above refuses every departure from
        // the one form; this names any it missed.
        let rendered = checkpoint.render();
        if let Some((number, _)) = (1..)
            .zip(rendered.lines().zip(&lines))
            .find(|(_, (ours, theirs))| ours != *theirs)
        {
            return Err(CheckpointError::Line {
                line: number,
                fault: LineFault::NotCanonical,
            });
        }
        Ok(checkpoint)
    }

    /// Checks that the checkpoint is of this ledger: its id and format.
    pub fn check_ledger(&self, ledger_id: [u8; 16], format: u32) -> Result<(), CheckpointError> {
        if self.statement.ledger_id != ledger_id {
            return Err(CheckpointError::OtherLedger {
                checkpoint: self.statement.ledger_id,
                ledger: ledger_id,
            });
        }
        if self.statement.format_version != format {
            return Err(CheckpointError::OtherFormat {
                checkpoint: self.statement.format_version,
                ledger: format,
            });
        }
        Ok(())
    }

    /// Holds the checkpoint against a history whose last event is at
    /// `last`: `at(seq)` gives the hash and recorded time of its event at
    /// `seq`, and is asked only for sequence numbers up to `last`. The
    /// chain of that history must have been checked (`verify`): this
    /// compares the marks and the head, not the links between them.
    pub fn compare<E>(
        &self,
        last: u64,
        mut at: impl FnMut(u64) -> Result<(Hash, Micros), E>,
    ) -> Result<Comparison, E> {
        let statement = &self.statement;
        let head_agrees = |at: &mut dyn FnMut(u64) -> Result<(Hash, Micros), E>| {
            if statement.seq > last {
                return Ok(None);
            }
            at(statement.seq).map(|(hash, recorded_at)| Some((hash == statement.hash, recorded_at)))
        };
        let mut agrees = None;
        for mark in statement.marks.iter().filter(|m| m.seq <= last) {
            let (hash, _) = at(mark.seq)?;
            if prefix(&hash) != mark.prefix {
                if let Some((true, _)) = head_agrees(&mut at)? {
                    return Ok(Comparison::FalseMark {
                        head: statement.seq,
                        seq: mark.seq,
                    });
                }
                return Ok(Comparison::Differs {
                    head: statement.seq,
                    agrees,
                    differs: mark.seq,
                });
            }
            agrees = Some(mark.seq);
        }
        match head_agrees(&mut at)? {
            None => Ok(Comparison::Truncated {
                head: statement.seq,
                last,
                agrees,
            }),
            Some((false, _)) => Ok(Comparison::Differs {
                head: statement.seq,
                agrees,
                differs: statement.seq,
            }),
            Some((true, recorded_at)) if recorded_at != statement.recorded_at => {
                Ok(Comparison::FalseTime {
                    head: statement.seq,
                    stated: statement.recorded_at,
                    recorded_at,
                })
            }
            Some((true, _)) => Ok(Comparison::Holds {
                head: statement.seq,
                last,
            }),
        }
    }
}

/// The line number (from 1) of the byte just after `before`.
fn line_of(before: &[u8]) -> usize {
    before.iter().filter(|&&b| b == b'\n').count() + 1
}

/// What holding a checkpoint against a history found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// The history holds the checkpoint's head with its hash (so, the
    /// chain being intact, exactly the history up to it), and has grown to
    /// `last` since.
    Holds { head: u64, last: u64 },
    /// The history's hash at `differs` (a mark, or the head) is not the
    /// checkpoint's; at `agrees`, the mark before it, it is (none: the
    /// genesis differs). The first event that differs is one of
    /// `agrees + 1 ..= differs`.
    Differs {
        head: u64,
        agrees: Option<u64>,
        differs: u64,
    },
    /// The history ends at `last`, before the checkpoint's head; every
    /// mark up to `last` agrees, the last of them at `agrees`. The first
    /// event missing or changed is one of `agrees + 1 ..= last + 1`.
    Truncated {
        head: u64,
        last: u64,
        agrees: Option<u64>,
    },
    /// The head's hash agrees but the mark at `seq` does not: the
    /// checkpoint states something that history never held.
    FalseMark { head: u64, seq: u64 },
    /// The head's hash agrees but its recorded time does not.
    FalseTime {
        head: u64,
        stated: Micros,
        recorded_at: Micros,
    },
}

impl Comparison {
    /// True when the history holds the checkpoint.
    pub fn holds(&self) -> bool {
        matches!(self, Comparison::Holds { .. })
    }

    /// Where the first event that differs from the checkpoint's history
    /// must be, when the history differs or was cut back.
    pub fn first_difference(&self) -> Option<RangeInclusive<u64>> {
        let after = |agrees: &Option<u64>| agrees.map_or(0, |a| a + 1);
        match self {
            Comparison::Differs {
                agrees, differs, ..
            } => Some(after(agrees)..=*differs),
            Comparison::Truncated { last, agrees, .. } => {
                Some(after(agrees)..=last.saturating_add(1))
            }
            Comparison::Holds { .. }
            | Comparison::FalseMark { .. }
            | Comparison::FalseTime { .. } => None,
        }
    }
}

/// Where the first event that differs must be, by every checkpoint held
/// against one history at once: after the head of each that holds, and
/// within each [`Comparison::first_difference`]. `None` when no
/// checkpoint locates a difference, or when they disagree (no sequence
/// number fits them all).
pub fn narrowest(comparisons: &[Comparison]) -> Option<RangeInclusive<u64>> {
    let mut located = false;
    let (mut low, mut high) = (0, u64::MAX);
    for comparison in comparisons {
        if let Comparison::Holds { head, .. } = comparison {
            low = low.max(head.saturating_add(1));
        }
        if let Some(range) = comparison.first_difference() {
            located = true;
            low = low.max(*range.start());
            high = high.min(*range.end());
        }
    }
    (located && low <= high).then_some(low..=high)
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let range = self.first_difference();
        let within = |f: &mut fmt::Formatter<'_>| match &range {
            Some(r) if r.start() == r.end() => {
                write!(f, "the first event that differs is seq {}", r.start())
            }
            Some(r) => write!(
                f,
                "the first event that differs is one of seq {} to {}",
                r.start(),
                r.end()
            ),
            None => Ok(()),
        };
        match self {
            Comparison::Holds { head, last } if head == last => write!(
                f,
                "the ledger holds exactly the history of the checkpoint, and its head is still seq {head}"
            ),
            Comparison::Holds { head, last } => write!(
                f,
                "the ledger holds exactly the history of the checkpoint to seq {head}, and has only grown since, by {} event(s) to seq {last}",
                last - head
            ),
            Comparison::Differs {
                head,
                agrees,
                differs,
            } => {
                let at = if differs == head {
                    format!("at the checkpoint's head, seq {differs}")
                } else {
                    format!("at seq {differs}")
                };
                match agrees {
                    None => write!(
                        f,
                        "history rewritten: the ledger's hash {at} is not the checkpoint's, nor is its genesis; "
                    )?,
                    Some(a) => write!(
                        f,
                        "history rewritten: the ledger's hash {at} is not the checkpoint's (at seq {a} it is); "
                    )?,
                }
                within(f)
            }
            Comparison::Truncated { head, last, agrees } => {
                write!(
                    f,
                    "history cut back: the ledger ends at seq {last}, but the checkpoint vouches for it to seq {head}"
                )?;
                if let Some(a) = agrees {
                    write!(f, " (its hash at seq {a} agrees)")?;
                }
                f.write_str("; ")?;
                within(f)
            }
            Comparison::FalseMark { head, seq } => write!(
                f,
                "the checkpoint is false: its head hash is the ledger's at seq {head}, but its mark at seq {seq} is not the ledger's hash there"
            ),
            Comparison::FalseTime {
                head,
                stated,
                recorded_at,
            } => write!(
                f,
                "the checkpoint is false: its head hash is the ledger's at seq {head}, but it says that event was recorded at {}, and it was recorded at {}",
                format_micros(*stated),
                format_micros(*recorded_at)
            ),
        }
    }
}

/// A checkpoint refused: why, naming the line where it can.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("it is {size} bytes, and a checkpoint is at most {max} bytes", max = MAX_CHECKPOINT_BYTES)]
    TooLarge { size: u64 },
    #[error("it is empty")]
    Empty,
    #[error("it is not a planledger checkpoint: its first line is not '{TITLE}'")]
    NotACheckpoint,
    #[error(
        "it is a checkpoint of version {version}, which this planledger does not read (it reads '{TITLE}')"
    )]
    UnknownVersion { version: String },
    #[error("line {line}: {fault}")]
    Line { line: usize, fault: LineFault },
    #[error(
        "line {line}: the signature of {role} {name} does not verify under key {fingerprint}: the checkpoint was changed after it was signed, or the signature is another key's"
    )]
    BadSignature {
        line: usize,
        role: Role,
        name: String,
        fingerprint: String,
    },
    #[error(
        "it is a checkpoint of ledger {}, not of this ledger ({})",
        hex::encode(.checkpoint),
        hex::encode(.ledger)
    )]
    OtherLedger {
        checkpoint: [u8; 16],
        ledger: [u8; 16],
    },
    #[error(
        "it is a checkpoint of a format-{checkpoint} ledger, and this ledger is format {ledger}"
    )]
    OtherFormat { checkpoint: u32, ledger: u32 },
    #[error(
        "it is already signed by key {fingerprint} (its {role}, {name}); a key signs a checkpoint once"
    )]
    AlreadySigned {
        fingerprint: String,
        role: Role,
        name: String,
    },
    #[error("it already holds {max} signatures, the most a checkpoint holds", max = MAX_SIGNATURES)]
    TooManySignatures,
    #[error("bad signer name: {0}")]
    Name(String),
}

/// What is wrong with one line of a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LineFault {
    #[error("it is not UTF-8 text")]
    NotUtf8,
    #[error("expected {expected} here, found {found}")]
    Expected { expected: String, found: String },
    #[error("'{label}' must be followed by spaces up to column {}, then the value", VALUE_COLUMN + 1)]
    Padding { label: &'static str },
    #[error("the {what} is not {wanted}")]
    BadValue {
        what: &'static str,
        wanted: &'static str,
    },
    #[error(
        "the format version {found} is not one this planledger knows (it reads format {CHAIN_FORMAT})"
    )]
    UnknownFormat { found: u32 },
    #[error(
        "the marks of a checkpoint at seq {head} on this line are at seq {expected}, not {found}"
    )]
    WrongMarks {
        head: u64,
        expected: String,
        found: String,
    },
    #[error("a checkpoint at seq {head} has no more marks")]
    ExtraMarks { head: u64 },
    #[error("the name is not one line of plain text: {why}")]
    BadName { why: String },
    #[error("the key is not an ed25519 public key")]
    NotAKey,
    #[error("the fingerprint is not the key's ({expected})")]
    Fingerprint { expected: String },
    #[error("a second signature by key {fingerprint}; a key signs a checkpoint once")]
    SignedTwice { fingerprint: String },
    #[error("more than {max} signatures", max = MAX_SIGNATURES)]
    TooManySignatures,
    #[error("it is not as planledger writes it")]
    NotCanonical,
}

/// Reads a checkpoint's lines in order.
struct Cursor<'a> {
    lines: &'a [&'a str],
    /// The index of the next line to read.
    next: usize,
}

/// How a line read at the cursor is shown in a refusal: its first word,
/// with hidden characters escaped, at most 24 characters of it.
fn found(line: Option<&str>) -> String {
    match line {
        None => "the end of the checkpoint".into(),
        Some("") => "an empty line".into(),
        Some(line) => {
            let word: String = line
                .split(' ')
                .next()
                .unwrap_or(line)
                .chars()
                .take(24)
                .collect();
            format!("'{}'", crate::text::visible(&word))
        }
    }
}

impl<'a> Cursor<'a> {
    fn fault(&self, line: usize, fault: LineFault) -> CheckpointError {
        CheckpointError::Line { line, fault }
    }

    /// The label of the next line, if there is one.
    fn next_label(&self) -> Option<&'a str> {
        self.lines
            .get(self.next)
            .map(|l| l.split(' ').next().unwrap_or(l))
    }

    /// Reads the next line, which must be `label`, padded, and a value:
    /// returns its line number and its value.
    fn field(&mut self, label: &'static str) -> Result<(usize, &'a str), CheckpointError> {
        let number = self.next + 1;
        let line = self.lines.get(self.next).copied();
        // The label is the line's first word: the rest is nothing, or
        // starts with a space.
        let Some(rest) = line
            .and_then(|l| l.strip_prefix(label))
            .filter(|rest| rest.is_empty() || rest.starts_with(' '))
        else {
            return Err(self.fault(
                number,
                LineFault::Expected {
                    expected: format!("'{label}'"),
                    found: found(line),
                },
            ));
        };
        let value = rest.trim_start_matches(' ');
        if rest.len() - value.len() != VALUE_COLUMN - label.len() || value.is_empty() {
            return Err(self.fault(number, LineFault::Padding { label }));
        }
        self.next += 1;
        Ok((number, value))
    }

    fn checkpoint(&mut self) -> Result<Checkpoint, CheckpointError> {
        match self.lines.first() {
            Some(&TITLE) => self.next = 1,
            Some(other) => {
                return Err(match other.strip_prefix(TITLE_STEM) {
                    Some(version) if !version.is_empty() && version.len() <= 20 => {
                        CheckpointError::UnknownVersion {
                            version: crate::text::visible(version).into_owned(),
                        }
                    }
                    _ => CheckpointError::NotACheckpoint,
                });
            }
            None => return Err(CheckpointError::Empty),
        }
        let statement = self.statement()?;
        let mut signatures: Vec<Signed> = Vec::new();
        let mut keys_seen = BTreeSet::new();
        loop {
            let role = if signatures.is_empty() {
                Role::Signer
            } else if self.next == self.lines.len() {
                break;
            } else if self.next_label() == Some(Role::Witness.label()) {
                Role::Witness
            } else {
                return Err(self.fault(
                    self.next + 1,
                    LineFault::Expected {
                        expected: "'witness' or the end of the checkpoint".into(),
                        found: found(self.lines.get(self.next).copied()),
                    },
                ));
            };
            if signatures.len() == MAX_SIGNATURES {
                return Err(self.fault(self.next + 1, LineFault::TooManySignatures));
            }
            let first_line = self.next + 1;
            let (identity, signature, signature_line) = self.signature(role)?;
            if !keys_seen.insert(identity.key.to_bytes()) {
                return Err(self.fault(
                    first_line,
                    LineFault::SignedTwice {
                        fingerprint: identity.fingerprint(),
                    },
                ));
            }
            let signed_by_signer = signatures.first().map(|s: &Signed| &s.identity);
            let message = match signed_by_signer {
                None => message(&statement, &identity, None),
                Some(signer) => message(&statement, signer, Some(&identity)),
            };
            if identity.key.verify_strict(&message, &signature).is_err() {
                return Err(CheckpointError::BadSignature {
                    line: signature_line,
                    role,
                    fingerprint: identity.fingerprint(),
                    name: crate::text::visible(&identity.name).into_owned(),
                });
            }
            signatures.push(Signed {
                identity,
                signature,
            });
        }
        Ok(Checkpoint {
            statement,
            signatures,
        })
    }

    fn statement(&mut self) -> Result<Statement, CheckpointError> {
        let (number, value) = self.field("ledger")?;
        let ledger_id = hex_bytes::<16>(value)
            .ok_or_else(|| self.bad(number, "ledger id", "32 lower-case hex digits"))?;
        let (number, value) = self.field("format")?;
        let format_version = decimal(value)
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| self.bad(number, "format version", "a number"))?;
        if format_version != CHAIN_FORMAT {
            return Err(self.fault(
                number,
                LineFault::UnknownFormat {
                    found: format_version,
                },
            ));
        }
        let (number, value) = self.field("seq")?;
        let seq = decimal(value).ok_or_else(|| {
            self.bad(
                number,
                "sequence number",
                "a number (digits, no leading zero)",
            )
        })?;
        let (number, value) = self.field("hash")?;
        let hash = hex_bytes::<32>(value)
            .ok_or_else(|| self.bad(number, "hash", "64 lower-case hex digits"))?;
        let (number, value) = self.field("recorded")?;
        let recorded_at = parse_instant(value, DayEnd::Start)
            .ok()
            .filter(|t| format_micros(*t) == value)
            .ok_or_else(|| {
                self.bad(
                    number,
                    "recorded time",
                    "a time in UTC as planledger writes it (2022-03-14T09:30:00Z, with 3 or 6 fraction digits where needed)",
                )
            })?;
        let expected = mark_seqs(seq);
        let mut marks = Vec::with_capacity(expected.len());
        for chunk in expected.chunks(MARKS_PER_LINE) {
            let (number, value) = self.field("marks")?;
            let found: Vec<Mark> = value
                .split(' ')
                .map(parse_mark)
                .collect::<Option<_>>()
                .ok_or_else(|| {
                    self.bad(
                        number,
                        "marks",
                        "up to three SEQ:HASH marks (a number, a colon, 16 lower-case hex digits) separated by single spaces",
                    )
                })?;
            if found.iter().map(|m| m.seq).ne(chunk.iter().copied()) {
                let list = |seqs: &mut dyn Iterator<Item = u64>| {
                    seqs.map(|s| s.to_string()).collect::<Vec<_>>().join(", ")
                };
                return Err(self.fault(
                    number,
                    LineFault::WrongMarks {
                        head: seq,
                        expected: list(&mut chunk.iter().copied()),
                        found: list(&mut found.iter().map(|m| m.seq)),
                    },
                ));
            }
            marks.extend(found);
        }
        if self.next_label() == Some("marks") {
            return Err(self.fault(self.next + 1, LineFault::ExtraMarks { head: seq }));
        }
        Ok(Statement {
            ledger_id,
            format_version,
            seq,
            hash,
            recorded_at,
            marks,
        })
    }

    /// Reads one signature's five lines: the name, key and fingerprint,
    /// and the signature in two halves. Returns the line of the signature.
    fn signature(&mut self, role: Role) -> Result<(Identity, Signature, usize), CheckpointError> {
        let (number, name) = self.field(role.label())?;
        match keys::check_name(name) {
            Ok(checked) if checked == name => {}
            Ok(_) => {
                return Err(self.fault(
                    number,
                    LineFault::BadName {
                        why: "it ends with spaces".into(),
                    },
                ));
            }
            Err(e) => {
                let why = match e {
                    keys::KeyError::BadName { why } => why,
                    other => other.to_string(),
                };
                return Err(self.fault(number, LineFault::BadName { why }));
            }
        }
        let (number, value) = self.field("key")?;
        let bytes = hex_bytes::<32>(value)
            .ok_or_else(|| self.bad(number, "key", "64 lower-case hex digits"))?;
        let key =
            VerifyingKey::from_bytes(&bytes).map_err(|_| self.fault(number, LineFault::NotAKey))?;
        let (number, value) = self.field("fingerprint")?;
        let expected = keys::fingerprint(&key);
        if value != expected {
            return Err(self.fault(number, LineFault::Fingerprint { expected }));
        }
        let (first, value) = self.field("signature")?;
        let r = hex_bytes::<32>(value).ok_or_else(|| {
            self.bad(
                first,
                "signature",
                "64 lower-case hex digits on each of its two lines",
            )
        })?;
        let (number, value) = self.field("signature")?;
        let s = hex_bytes::<32>(value).ok_or_else(|| {
            self.bad(
                number,
                "signature",
                "64 lower-case hex digits on each of its two lines",
            )
        })?;
        let mut bytes = [0u8; 64];
        bytes[..32].copy_from_slice(&r);
        bytes[32..].copy_from_slice(&s);
        let identity = Identity {
            role,
            name: name.to_string(),
            key,
        };
        Ok((identity, Signature::from_bytes(&bytes), first))
    }

    fn bad(&self, line: usize, what: &'static str, wanted: &'static str) -> CheckpointError {
        self.fault(line, LineFault::BadValue { what, wanted })
    }
}

/// `N` bytes from exactly `2N` lower-case hex digits.
fn hex_bytes<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

/// A number as planledger writes one: decimal digits, no sign, no leading
/// zero (but `0` itself), within `u64`.
fn decimal(text: &str) -> Option<u64> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if !digits || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    text.parse().ok()
}

/// `SEQ:HASH`, the hash [`MARK_BYTES`] long.
fn parse_mark(text: &str) -> Option<Mark> {
    let (seq, hash) = text.split_once(':')?;
    Some(Mark {
        seq: decimal(seq)?,
        prefix: hex_bytes::<MARK_BYTES>(hash)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8032 §7.1, test 1's secret key (as in `keys`' tests).
    fn rfc8032_key() -> SigningKey {
        let seed: [u8; 32] =
            hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .unwrap()
                .try_into()
                .unwrap();
        SigningKey::from_bytes(&seed)
    }

    fn witness_key() -> SigningKey {
        SigningKey::from_bytes(&[7; 32])
    }

    /// A made-up history: the hash of the event at `seq` is BLAKE3 of its
    /// sequence number as u64 big-endian.
    fn history_hash(seq: u64) -> Hash {
        *blake3::hash(&seq.to_be_bytes()).as_bytes()
    }

    /// 2022-03-14T09:30:00.250Z.
    const RECORDED: Micros = 1_647_250_200_250_000;

    const LEDGER_ID: [u8; 16] = [0x11; 16];

    fn statement(seq: u64) -> Statement {
        Statement::of_history(
            LEDGER_ID,
            CHAIN_FORMAT,
            seq,
            history_hash(seq),
            RECORDED,
            |at| Ok::<_, ()>(history_hash(at)),
        )
        .unwrap()
    }

    fn signed(seq: u64) -> Checkpoint {
        sign(
            statement(seq),
            "Sam Okafor (assurance lead)",
            &rfc8032_key(),
        )
        .unwrap()
    }

    fn witnessed(seq: u64) -> Checkpoint {
        signed(seq)
            .witness("Jo Bloggs (chair, CSP board)", &witness_key())
            .unwrap()
    }

    /// The golden checkpoint of `ledger/FORMAT.md` §12
    /// (`ledger/golden/checkpoint.txt`): the made-up history at seq 10,
    /// signed with RFC 8032's test key and witnessed by the key whose seed
    /// is 32 bytes of 7. Ed25519 signatures are deterministic, so every
    /// byte is fixed; both signatures were checked with Python's `blake3`
    /// and `cryptography` packages from FORMAT.md's description alone.
    const GOLDEN: &str = include_str!("../ledger/golden/checkpoint.txt");

    #[test]
    fn the_marks_are_the_genesis_the_powers_of_two_and_the_head_less_each() {
        let cases: [(u64, &[u64]); 8] = [
            (0, &[]),
            (1, &[0]),
            (2, &[0, 1]),
            (3, &[0, 1, 2]),
            (8, &[0, 1, 2, 4, 6, 7]),
            (10, &[0, 1, 2, 4, 6, 8, 9]),
            (
                121,
                &[0, 1, 2, 4, 8, 16, 32, 57, 64, 89, 105, 113, 117, 119, 120],
            ),
            (
                1024,
                &[
                    0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 768, 896, 960, 992, 1008, 1016, 1020,
                    1022, 1023,
                ],
            ),
        ];
        for (head, expected) in cases {
            assert_eq!(mark_seqs(head), expected, "head {head}");
        }
        let most = mark_seqs(u64::MAX);
        assert!(most.len() <= 2 * 64 + 1, "{}", most.len());
        assert!(most.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(most.last(), Some(&(u64::MAX - 1)));
    }

    #[test]
    fn the_marks_either_side_of_any_seq_are_no_farther_apart_than_it_is_from_the_nearer_end() {
        for head in [5u64, 100, 1000, 3 << 10, 4097] {
            let mut marks = mark_seqs(head);
            marks.push(head);
            for pair in marks.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                for f in a + 1..=b {
                    let nearer = f.min(head - f).max(1);
                    assert!(b - a <= nearer, "head {head}: {a}..{b} around {f}");
                }
            }
        }
    }

    /// The message each golden signature signs, as FORMAT.md §12 gives it.
    #[test]
    fn the_golden_checkpoint_is_pinned_and_its_messages_too() {
        let golden = witnessed(10);
        assert_eq!(golden.render(), GOLDEN);
        assert_eq!(Checkpoint::parse(GOLDEN.as_bytes()).unwrap(), golden);
        let signer = golden.signer();
        assert_eq!(
            hex::encode(message(golden.statement(), signer, None)),
            "a248914fcda0d5287cfd8b09f88827d6967a426ea7eb87e506feb373e424763e"
        );
        assert_eq!(
            hex::encode(message(
                golden.statement(),
                signer,
                Some(&golden.signatures()[1].identity)
            )),
            "25997f22f2eec3019764e1b9f38d84f8e4ceb7f2de66c2ae7884ba784fc58919"
        );
    }

    #[test]
    fn a_checkpoint_reads_back_as_it_was_made_at_every_size() {
        for seq in [0, 1, 2, 3, 10, 121, 4096, 1 << 40, u64::MAX] {
            let made = witnessed(seq);
            let text = made.render();
            assert_eq!(
                Checkpoint::parse(text.as_bytes()).unwrap(),
                made,
                "seq {seq}"
            );
            assert_eq!(made.statement().seq(), seq);
            assert_eq!(made.statement().marks().len(), mark_seqs(seq).len());
            assert!(
                text.lines()
                    .all(|l| l.chars().count() <= 80 || seq > 99_999),
                "{text}"
            );
        }
    }

    #[test]
    fn windows_line_endings_and_a_missing_last_line_feed_read_the_same() {
        let made = witnessed(121);
        let text = made.render();
        let crlf = text.replace('\n', "\r\n");
        assert_eq!(Checkpoint::parse(crlf.as_bytes()).unwrap(), made);
        let cut = text.strip_suffix('\n').unwrap();
        assert_eq!(Checkpoint::parse(cut.as_bytes()).unwrap(), made);
    }

    #[test]
    fn the_signer_keys_are_each_signatures_key_the_signer_first() {
        let keys = witnessed(10).signer_keys();
        assert_eq!(
            keys,
            vec![
                SignerKey {
                    role: Role::Signer,
                    name: "Sam Okafor (assurance lead)".into(),
                    key: rfc8032_key().verifying_key().to_bytes(),
                },
                SignerKey {
                    role: Role::Witness,
                    name: "Jo Bloggs (chair, CSP board)".into(),
                    key: witness_key().verifying_key().to_bytes(),
                },
            ]
        );
    }

    /// Parses `text`, which must be refused at `line` for `fault`.
    fn refused_at(text: &str, line: usize) -> LineFault {
        match Checkpoint::parse(text.as_bytes()) {
            Err(CheckpointError::Line { line: at, fault }) => {
                assert_eq!(at, line, "{fault}");
                fault
            }
            other => panic!("expected a refusal at line {line}, got {other:?}"),
        }
    }

    /// `text` with line `number` (from 1) replaced by `with`.
    fn with_line(text: &str, number: usize, with: &str) -> String {
        let mut lines: Vec<&str> = text.lines().collect();
        lines[number - 1] = with;
        lines.iter().map(|l| format!("{l}\n")).collect()
    }

    fn bad_signature_at(text: &str) -> (usize, Role) {
        match Checkpoint::parse(text.as_bytes()) {
            Err(CheckpointError::BadSignature { line, role, .. }) => (line, role),
            other => panic!("expected a bad signature, got {other:?}"),
        }
    }

    #[test]
    fn a_changed_digit_anywhere_in_the_statement_fails_the_signatures() {
        // Lines 13 and 18 are the first lines of the signer's and the
        // witness's signatures.
        let text = GOLDEN.replace("hash        88df", "hash        88de");
        assert_eq!(bad_signature_at(&text), (13, Role::Signer));
        let text = GOLDEN.replace("4:8a3e", "4:8a3f");
        assert_eq!(bad_signature_at(&text), (13, Role::Signer));
        let text = GOLDEN.replace("09:30:00.250Z", "09:30:00.251Z");
        assert_eq!(bad_signature_at(&text), (13, Role::Signer));
        let text = GOLDEN.replace("ledger      1111", "ledger      1112");
        assert_eq!(bad_signature_at(&text), (13, Role::Signer));
        // A witness's name is signed by the witness.
        let text = GOLDEN.replace("Jo Bloggs", "Jo Blogs");
        assert_eq!(bad_signature_at(&text), (18, Role::Witness));
        // The signer's name by both.
        let text = GOLDEN.replace("Sam Okafor", "Sam Okafur");
        assert_eq!(bad_signature_at(&text), (13, Role::Signer));
    }

    #[test]
    fn a_changed_seq_names_the_marks_it_no_longer_fits() {
        let text = GOLDEN.replace("seq         10", "seq         11");
        assert!(matches!(
            refused_at(&text, 8),
            LineFault::WrongMarks { head: 11, .. }
        ));
        let text = GOLDEN.replace("seq         10", "seq         010");
        assert!(matches!(
            refused_at(&text, 4),
            LineFault::BadValue {
                what: "sequence number",
                ..
            }
        ));
    }

    #[test]
    fn a_missing_or_extra_line_is_named() {
        let lines: Vec<&str> = GOLDEN.lines().collect();
        // Each line of the statement left out.
        for (i, _) in lines.iter().enumerate().take(9).skip(1) {
            let mut fewer = lines.clone();
            fewer.remove(i);
            let text: String = fewer.iter().map(|l| format!("{l}\n")).collect();
            assert!(
                Checkpoint::parse(text.as_bytes()).is_err(),
                "line {} left out",
                i + 1
            );
        }
        // The last marks line left out: the signer comes too soon.
        let text = with_line(GOLDEN, 9, "");
        let text = text.replacen("\n\n", "\n", 1);
        assert!(matches!(
            refused_at(&text, 9),
            LineFault::Expected { ref expected, ref found } if expected == "'marks'" && found == "'signer'"
        ));
        // A marks line too many.
        let text = GOLDEN.replace(
            "marks       9:e0f92af5aa13f3ae\n",
            "marks       9:e0f92af5aa13f3ae\nmarks       9:e0f92af5aa13f3ae\n",
        );
        assert_eq!(refused_at(&text, 10), LineFault::ExtraMarks { head: 10 });
        // A line after the last signature, and an empty one.
        let text = format!("{GOLDEN}note        signed at the board, 3 May\n");
        assert!(matches!(refused_at(&text, 20), LineFault::Expected { .. }));
        let text = format!("{GOLDEN}\n");
        assert!(matches!(
            refused_at(&text, 20),
            LineFault::Expected { ref found, .. } if found == "an empty line"
        ));
        // A signature cut short.
        let cut: String = lines[..lines.len() - 1]
            .iter()
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(matches!(
            refused_at(&cut, 19),
            LineFault::Expected { ref found, .. } if found == "the end of the checkpoint"
        ));
    }

    #[test]
    fn a_signature_by_another_key_than_the_one_named_is_refused() {
        // The witness's signature lines under the signer's key and name.
        let lines: Vec<&str> = GOLDEN.lines().collect();
        let mut forged = lines[..12].to_vec();
        forged.extend_from_slice(&lines[17..19]);
        let text: String = forged.iter().map(|l| format!("{l}\n")).collect();
        assert_eq!(bad_signature_at(&text), (13, Role::Signer));
        // The signer's key and fingerprint swapped for another's, keeping
        // the signature: it does not verify under the key now named.
        let other = witness_key().verifying_key();
        let text = GOLDEN
            .replace(
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                &hex::encode(other.as_bytes()),
            )
            .replacen(
                "fingerprint f70771b24c062630",
                &format!("fingerprint {}", keys::fingerprint(&other)),
                1,
            );
        let text: String = text.lines().take(14).map(|l| format!("{l}\n")).collect();
        assert_eq!(bad_signature_at(&text), (13, Role::Signer));
        // A fingerprint that is not the key's.
        let text = GOLDEN.replace(
            "fingerprint f70771b24c062630",
            "fingerprint f70771b24c062631",
        );
        assert_eq!(
            refused_at(&text, 12),
            LineFault::Fingerprint {
                expected: "f70771b24c062630".into()
            }
        );
    }

    #[test]
    fn a_witness_signs_once_and_over_the_same_statement() {
        let signed = signed(10);
        let once = signed.witness("Jo", &witness_key()).unwrap();
        assert!(matches!(
            once.witness("Jo again", &witness_key()),
            Err(CheckpointError::AlreadySigned {
                role: Role::Witness,
                ..
            })
        ));
        assert!(matches!(
            signed.witness("Sam as a witness", &rfc8032_key()),
            Err(CheckpointError::AlreadySigned {
                role: Role::Signer,
                ..
            })
        ));
        // A witness block copied onto another statement fails there.
        let other = sign(statement(11), "Sam Okafor (assurance lead)", &rfc8032_key()).unwrap();
        let block: String = once
            .render()
            .lines()
            .skip(14)
            .map(|l| format!("{l}\n"))
            .collect();
        let text = format!("{}{block}", other.render());
        assert_eq!(bad_signature_at(&text).1, Role::Witness);
        // The same key's block twice is refused as such.
        let text = format!("{}{block}", once.render());
        assert!(matches!(
            refused_at(&text, 20),
            LineFault::SignedTwice { .. }
        ));
    }

    #[test]
    fn a_checkpoint_holds_at_most_so_many_signatures() {
        let mut checkpoint = signed(3);
        for i in 1..MAX_SIGNATURES {
            let key = SigningKey::from_bytes(&[i as u8; 32]);
            checkpoint = checkpoint.witness(&format!("Witness {i}"), &key).unwrap();
        }
        let key = SigningKey::from_bytes(&[200; 32]);
        assert_eq!(
            checkpoint.witness("One too many", &key),
            Err(CheckpointError::TooManySignatures)
        );
    }

    #[test]
    fn flipping_any_bit_of_any_byte_is_refused() {
        let text = GOLDEN.as_bytes();
        for i in 0..text.len() {
            for bit in 0..8 {
                let mut flipped = text.to_vec();
                flipped[i] ^= 1 << bit;
                assert!(
                    Checkpoint::parse(&flipped).is_err(),
                    "byte {i} bit {bit} accepted: {:?}",
                    String::from_utf8_lossy(&flipped)
                );
            }
        }
    }

    #[test]
    fn what_is_not_a_checkpoint_is_refused_saying_so() {
        assert_eq!(Checkpoint::parse(b""), Err(CheckpointError::Empty));
        assert_eq!(Checkpoint::parse(b" \n\n"), Err(CheckpointError::Empty));
        assert_eq!(
            Checkpoint::parse(b"-----BEGIN PUBLIC KEY-----\n"),
            Err(CheckpointError::NotACheckpoint)
        );
        assert_eq!(
            Checkpoint::parse(b"planledger checkpoint v2\nledger      00\n"),
            Err(CheckpointError::UnknownVersion {
                version: "2".into()
            })
        );
        assert!(matches!(
            Checkpoint::parse(&vec![b'a'; MAX_CHECKPOINT_BYTES as usize + 1]),
            Err(CheckpointError::TooLarge { .. })
        ));
        let mut bytes = GOLDEN.as_bytes().to_vec();
        let at = GOLDEN.find("Jo Bloggs").unwrap();
        bytes[at] = 0xff;
        assert_eq!(
            Checkpoint::parse(&bytes),
            Err(CheckpointError::Line {
                line: 15,
                fault: LineFault::NotUtf8
            })
        );
    }

    #[test]
    fn values_are_in_their_one_form() {
        let cases: [(&str, &str, usize); 10] = [
            (
                "ledger      11111111111111111111111111111111",
                "ledger      1111111111111111111111111111111A",
                2,
            ),
            ("format      2", "format      3", 3),
            ("format      2", "format       2", 3),
            ("format      2", "format\t2", 3),
            ("seq         10", "seq", 4),
            ("hash        88df", "hash        88DF", 5),
            (
                "recorded    2022-03-14T09:30:00.250Z",
                "recorded    2022-03-14T09:30:00.25Z",
                6,
            ),
            (
                "recorded    2022-03-14T09:30:00.250Z",
                "recorded    2022-03-14T10:30:00.250+01:00",
                6,
            ),
            (
                "marks       9:e0f92af5aa13f3ae",
                "marks       9:e0f92af5aa13f3ae ",
                9,
            ),
            ("signer      Sam", "signer      \u{202e}Sam", 10),
        ];
        for (from, to, line) in cases {
            let text = GOLDEN.replacen(from, to, 1);
            assert_ne!(text, GOLDEN, "{from}");
            let fault = refused_at(&text, line);
            assert!(!matches!(fault, LineFault::NotCanonical), "{to}: {fault}");
            if let LineFault::Expected { expected, found } = &fault {
                assert_ne!(expected, found, "{to}: {fault}");
            }
        }
    }

    #[test]
    fn a_checkpoint_of_another_ledger_or_format_is_refused() {
        let checkpoint = witnessed(10);
        assert_eq!(checkpoint.check_ledger(LEDGER_ID, CHAIN_FORMAT), Ok(()));
        assert_eq!(
            checkpoint.check_ledger([0x22; 16], CHAIN_FORMAT),
            Err(CheckpointError::OtherLedger {
                checkpoint: LEDGER_ID,
                ledger: [0x22; 16]
            })
        );
        assert!(matches!(
            checkpoint.check_ledger(LEDGER_ID, 3),
            Err(CheckpointError::OtherFormat { .. })
        ));
    }

    /// A history of `len` events that agrees with [`history_hash`] before
    /// `changed` and differs from it there on, as a rewritten chain does.
    fn rewritten(len: u64, changed: Option<u64>) -> Vec<(Hash, Micros)> {
        (0..len)
            .map(|seq| {
                let mut hash = history_hash(seq);
                if changed.is_some_and(|c| seq >= c) {
                    hash[0] ^= 1;
                }
                (hash, RECORDED)
            })
            .collect()
    }

    fn compare(checkpoint: &Checkpoint, history: &[(Hash, Micros)]) -> Comparison {
        let last = history.len() as u64 - 1;
        checkpoint
            .compare(last, |seq| {
                assert!(seq <= last, "asked for seq {seq} beyond {last}");
                Ok::<_, ()>(history[seq as usize])
            })
            .unwrap()
    }

    #[test]
    fn the_same_history_grown_holds() {
        let checkpoint = signed(121);
        assert_eq!(
            compare(&checkpoint, &rewritten(122, None)),
            Comparison::Holds {
                head: 121,
                last: 121
            }
        );
        assert_eq!(
            compare(&checkpoint, &rewritten(500, Some(122))),
            Comparison::Holds {
                head: 121,
                last: 499
            }
        );
    }

    #[test]
    fn a_rewrite_at_any_seq_is_located_between_two_marks_around_it() {
        let head = 121;
        let checkpoint = signed(head);
        for changed in 0..=head {
            for len in [head + 1, head + 40] {
                let comparison = compare(&checkpoint, &rewritten(len, Some(changed)));
                assert!(!comparison.holds());
                let range = comparison.first_difference().unwrap();
                assert!(range.contains(&changed), "{changed}: {comparison}");
                let nearer = changed.min(head - changed).max(1);
                assert!(
                    range.end() - range.start() < nearer,
                    "{changed}: {comparison}"
                );
                if changed <= 2 || changed >= head - 1 {
                    assert_eq!(range, changed..=changed, "{comparison}");
                }
            }
        }
        assert_eq!(
            compare(&checkpoint, &rewritten(122, Some(70))),
            Comparison::Differs {
                head,
                agrees: Some(64),
                differs: 89
            }
        );
        assert_eq!(
            compare(&checkpoint, &rewritten(122, Some(0))),
            Comparison::Differs {
                head,
                agrees: None,
                differs: 0
            }
        );
    }

    #[test]
    fn a_history_cut_back_is_named_as_such() {
        let checkpoint = signed(121);
        assert_eq!(
            compare(&checkpoint, &rewritten(100, None)),
            Comparison::Truncated {
                head: 121,
                last: 99,
                agrees: Some(89)
            }
        );
        assert_eq!(
            compare(&checkpoint, &rewritten(100, None)).first_difference(),
            Some(90..=100)
        );
        // Cut back to a mark: the first missing event is named exactly.
        assert_eq!(
            compare(&checkpoint, &rewritten(106, None)).first_difference(),
            Some(106..=106)
        );
        // Cut back and grown again past the head: a rewrite.
        assert!(matches!(
            compare(&checkpoint, &rewritten(200, Some(100))),
            Comparison::Differs { differs: 105, .. }
        ));
    }

    #[test]
    fn a_checkpoint_that_misstates_its_own_history_is_false() {
        let mut false_mark = statement(121);
        false_mark.marks[3].prefix[0] ^= 1;
        let checkpoint = sign(false_mark, "Sam", &rfc8032_key()).unwrap();
        assert_eq!(
            compare(&checkpoint, &rewritten(122, None)),
            Comparison::FalseMark { head: 121, seq: 4 }
        );
        let mut late = statement(121);
        late.recorded_at += 1;
        let checkpoint = sign(late, "Sam", &rfc8032_key()).unwrap();
        assert!(matches!(
            compare(&checkpoint, &rewritten(122, None)),
            Comparison::FalseTime { head: 121, .. }
        ));
    }

    #[test]
    fn checkpoints_together_narrow_where_the_history_first_differs() {
        let history = rewritten(300, Some(70));
        let comparisons: Vec<Comparison> = [10, 66, 121, 250]
            .into_iter()
            .map(|seq| compare(&signed(seq), &history))
            .collect();
        assert!(comparisons[0].holds() && comparisons[1].holds());
        let each: Vec<_> = comparisons[2..]
            .iter()
            .map(|c| c.first_difference().unwrap())
            .collect();
        assert_eq!(each, [65..=89, 65..=122]);
        assert_eq!(narrowest(&comparisons), Some(67..=89));
        assert_eq!(narrowest(&comparisons[..2]), None);
    }
}
