//! Format 2's free texts: committed inside the record, stored apart.
//!
//! Every field of type `T` in an [`EventOf<T>`] is a *free text*, a slot.
//! In memory a slot holds words (`String`); in the record bytes that are
//! hashed into the chain it holds only a [`Commit`]: BLAKE3 in `derive_key`
//! mode, context [`TEXT_CONTEXT`], over a random 16-byte salt followed by
//! the words. The salt and the words are stored apart from the record, in
//! the `texts` tree, as one [`StoredText`] per slot in slot order.
//!
//! So a text can be erased (its [`StoredText`] becomes
//! [`StoredText::Erased`], naming the `Redacted` event that erased it) while
//! the record, its hash and everything after it still verify. The salt is
//! what makes the erasure real: an unsalted digest of a short text (a name)
//! could be confirmed by guessing; once the salt is gone with the words, the
//! commitment says nothing about them.
//!
//! The slots of an event are its `T` fields in declaration order, an
//! `Option` that is `None` being no slot, and each evidence file's name one
//! slot, in order. [`EventOf::slot_names`] names them for people.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::event::{Amendment, EventOf, EvidenceOf, Micros, RecordOf};

/// The commitment to one free text.
pub type Commit = [u8; 32];

/// The random bytes mixed into a text's commitment.
pub type Salt = [u8; 16];

/// The BLAKE3 `derive_key` context for text commitments.
pub const TEXT_CONTEXT: &str = "planledger 2026 text v2";

/// The commitment to `words` with `salt`.
pub fn commit(salt: &Salt, words: &str) -> Commit {
    static TEXT: crate::chain::DeriveKey = crate::chain::DeriveKey::new(TEXT_CONTEXT);
    let mut hasher = TEXT.hasher();
    hasher.update(salt);
    hasher.update(words.as_bytes());
    *hasher.finalize().as_bytes()
}

/// One free text as stored in the `texts` tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredText {
    /// The words, and the salt their commitment was made with.
    Words { salt: Salt, words: String },
    /// Erased by the `Redacted` event at sequence number `by`.
    Erased { by: u64 },
}

/// Why the stored texts of an event do not fit its record.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TextFault {
    #[error("the record has {expected} free text(s) but {found} are stored")]
    Count { expected: usize, found: usize },
    #[error("the words stored for its {slot} do not match the record's commitment")]
    Mismatch { slot: String },
    #[error("its {slot} is marked erased by event {by}, which is not a redaction of it")]
    ErasedWithoutRedaction { slot: String, by: u64 },
}

/// Who erased a text, when and why: what every view shows in its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Erasure {
    pub by_seq: u64,
    pub recorded_at: Micros,
    pub actor: String,
    pub reason: String,
}

impl Erasure {
    /// The words shown where the erased text was.
    pub fn placeholder(&self) -> String {
        format!(
            "redacted on {} by {}: {}",
            crate::time::day_of(self.recorded_at),
            self.actor,
            self.reason
        )
    }
}

impl<T> EventOf<T> {
    /// The event with each free text replaced by `f(text)`, in slot order;
    /// the first error stops it.
    pub fn try_map_texts<U, E>(
        self,
        mut f: impl FnMut(T) -> Result<U, E>,
    ) -> Result<EventOf<U>, E> {
        let opt = |t: Option<T>, f: &mut dyn FnMut(T) -> Result<U, E>| t.map(f).transpose();
        Ok(match self {
            EventOf::LedgerCreated {
                ledger_id,
                format_version,
            } => EventOf::LedgerCreated {
                ledger_id,
                format_version,
            },
            EventOf::PlanAdded {
                plan,
                partnership,
                review,
                chair,
                published,
            } => EventOf::PlanAdded {
                plan,
                partnership,
                review: f(review)?,
                chair: opt(chair, &mut f)?,
                published,
            },
            EventOf::RecommendationAdded {
                plan,
                number,
                text,
                scope,
            } => EventOf::RecommendationAdded {
                plan,
                number,
                text: f(text)?,
                scope: opt(scope, &mut f)?,
            },
            EventOf::ActionAdded {
                action,
                plan,
                agency,
                lead,
                text,
                scope,
                recommendations,
                target,
            } => EventOf::ActionAdded {
                action,
                plan,
                agency,
                lead: opt(lead, &mut f)?,
                text: f(text)?,
                scope: opt(scope, &mut f)?,
                recommendations,
                target,
            },
            EventOf::StatusChanged {
                action,
                from,
                to,
                reason,
            } => EventOf::StatusChanged {
                action,
                from,
                to,
                reason: f(reason)?,
            },
            EventOf::MilestoneNoted { action, note } => EventOf::MilestoneNoted {
                action,
                note: f(note)?,
            },
            EventOf::CompletionClaimed {
                action,
                claim,
                outcome,
                evidence,
            } => {
                let outcome = f(outcome)?;
                let mut files = Vec::with_capacity(evidence.len());
                for e in evidence {
                    files.push(EvidenceOf {
                        name: f(e.name)?,
                        size: e.size,
                        blake3: e.blake3,
                    });
                }
                EventOf::CompletionClaimed {
                    action,
                    claim,
                    outcome,
                    evidence: files,
                }
            }
            EventOf::ClaimAccepted {
                action,
                claim,
                finding,
            } => EventOf::ClaimAccepted {
                action,
                claim,
                finding: f(finding)?,
            },
            EventOf::ClaimChallenged {
                action,
                claim,
                finding,
            } => EventOf::ClaimChallenged {
                action,
                claim,
                finding: f(finding)?,
            },
            EventOf::ActionWithdrawn {
                action,
                from,
                reason,
            } => EventOf::ActionWithdrawn {
                action,
                from,
                reason: f(reason)?,
            },
            EventOf::TargetChanged {
                action,
                from,
                to,
                reason,
            } => EventOf::TargetChanged {
                action,
                from,
                to,
                reason: f(reason)?,
            },
            EventOf::SourceImported {
                name,
                size,
                blake3,
                format,
            } => EventOf::SourceImported {
                name: f(name)?,
                size,
                blake3,
                format,
            },
            EventOf::ImportWarning { action, message } => EventOf::ImportWarning {
                action,
                message: f(message)?,
            },
            EventOf::Redacted {
                event,
                slots,
                reason,
            } => EventOf::Redacted {
                event,
                slots,
                reason,
            },
            EventOf::LedgerUpgraded {
                ledger_id,
                format_version,
                from_ledger_id,
                from_format_version,
                from_head_hash,
                from_events,
            } => EventOf::LedgerUpgraded {
                ledger_id,
                format_version,
                from_ledger_id,
                from_format_version,
                from_head_hash,
                from_events,
            },
            EventOf::ActionLinked {
                action,
                recommendations,
                basis,
                note,
            } => EventOf::ActionLinked {
                action,
                recommendations,
                basis,
                note: opt(note, &mut f)?,
            },
            EventOf::ActionAmended {
                action,
                changes,
                reason,
            } => {
                let mut amended = Vec::with_capacity(changes.len());
                for change in changes {
                    amended.push(match change {
                        Amendment::Text(text) => Amendment::Text(f(text)?),
                        Amendment::Lead(lead) => Amendment::Lead(opt(lead, &mut f)?),
                        Amendment::Agency(agency) => Amendment::Agency(agency),
                        Amendment::Scope(scope) => Amendment::Scope(opt(scope, &mut f)?),
                    });
                }
                EventOf::ActionAmended {
                    action,
                    changes: amended,
                    reason: f(reason)?,
                }
            }
            EventOf::ActorAdded { name, roles, key } => EventOf::ActorAdded { name, roles, key },
            EventOf::KeyRotated { name, key } => EventOf::KeyRotated { name, key },
            EventOf::ActorRevoked { name, reason } => EventOf::ActorRevoked {
                name,
                reason: f(reason)?,
            },
            EventOf::RequestSigned {
                key,
                request,
                signature,
            } => EventOf::RequestSigned {
                key,
                request,
                signature,
            },
        })
    }

    /// The event's free texts in slot order.
    pub fn texts(&self) -> Vec<&T> {
        let mut texts = Vec::new();
        self.each_slot(|_, text| texts.push(text));
        texts
    }

    /// The names of the event's slots, in slot order, as `--field` takes
    /// them: the field's name, and `evidence.N` for the name of the Nth
    /// evidence file (from 1).
    pub fn slot_names(&self) -> Vec<String> {
        self.slot_names_borrowed()
            .into_iter()
            .map(Cow::into_owned)
            .collect()
    }

    /// [`EventOf::slot_names`], without a string of its own for each
    /// name the code spells.
    pub fn slot_names_borrowed(&self) -> Vec<Cow<'static, str>> {
        let mut names = Vec::new();
        self.each_slot(|name, _| names.push(name));
        names
    }

    fn each_slot<'a>(&'a self, mut f: impl FnMut(Cow<'static, str>, &'a T)) {
        let opt = |name: &'static str,
                   text: &'a Option<T>,
                   f: &mut dyn FnMut(Cow<'static, str>, &'a T)| {
            if let Some(text) = text {
                f(name.into(), text);
            }
        };
        match self {
            EventOf::LedgerCreated { .. }
            | EventOf::LedgerUpgraded { .. }
            | EventOf::Redacted { .. }
            | EventOf::ActorAdded { .. }
            | EventOf::KeyRotated { .. }
            | EventOf::RequestSigned { .. } => {}
            EventOf::PlanAdded { review, chair, .. } => {
                f("review".into(), review);
                opt("chair", chair, &mut f);
            }
            EventOf::RecommendationAdded { text, scope, .. } => {
                f("text".into(), text);
                opt("scope", scope, &mut f);
            }
            EventOf::ActionAdded {
                lead, text, scope, ..
            } => {
                opt("lead", lead, &mut f);
                f("text".into(), text);
                opt("scope", scope, &mut f);
            }
            EventOf::StatusChanged { reason, .. }
            | EventOf::ActionWithdrawn { reason, .. }
            | EventOf::TargetChanged { reason, .. }
            | EventOf::ActorRevoked { reason, .. } => f("reason".into(), reason),
            EventOf::MilestoneNoted { note, .. } => f("note".into(), note),
            EventOf::CompletionClaimed {
                outcome, evidence, ..
            } => {
                f("outcome".into(), outcome);
                for (n, file) in (1..).zip(evidence) {
                    f(format!("evidence.{n}").into(), &file.name);
                }
            }
            EventOf::ClaimAccepted { finding, .. } | EventOf::ClaimChallenged { finding, .. } => {
                f("finding".into(), finding)
            }
            EventOf::SourceImported { name, .. } => f("name".into(), name),
            EventOf::ImportWarning { message, .. } => f("message".into(), message),
            EventOf::ActionLinked { note, .. } => opt("note", note, &mut f),
            EventOf::ActionAmended {
                changes, reason, ..
            } => {
                for change in changes {
                    let name = change.kind().name();
                    match change {
                        Amendment::Text(text) => f(name.into(), text),
                        Amendment::Lead(text) | Amendment::Scope(text) => opt(name, text, &mut f),
                        Amendment::Agency(_) => {}
                    }
                }
                f("reason".into(), reason);
            }
        }
    }
}

/// The words of `text` (runs of letters and digits, with any apostrophes
/// inside them), each with whether it begins a sentence.
pub fn words(text: &str) -> impl Iterator<Item = (bool, &str)> {
    let mut sentence_start = true;
    let mut rest = text;
    std::iter::from_fn(move || {
        let start = rest.find(|c: char| c.is_alphanumeric())?;
        let before = &rest[..start];
        if before.contains(['.', '!', '?', '\n']) {
            sentence_start = true;
        }
        let word_len = rest[start..]
            .char_indices()
            .find(|&(i, c)| {
                !(c.is_alphanumeric()
                    || ((c == '\'' || c == '’')
                        && rest[start + i + c.len_utf8()..]
                            .starts_with(|n: char| n.is_alphanumeric())))
            })
            .map_or(rest.len() - start, |(i, _)| i);
        let word = &rest[start..start + word_len];
        rest = &rest[start + word_len..];
        let starts = sentence_start;
        sentence_start = false;
        Some((starts, word))
    })
}

/// True for a word that could name or number someone, and so must not
/// outlive the text a redaction erases: one of three or more characters
/// with a digit ("07700", "NW1"), or one of two or more letters written
/// with a capital where it does not begin a sentence ("Doe" in "Met Jane
/// Doe"). A sentence's first word is left out, because most are ordinary
/// words ("Training delivered").
pub fn is_telling(starts_sentence: bool, word: &str) -> bool {
    let len = word.chars().count();
    let numbers = len >= 3 && word.chars().any(char::is_numeric);
    let names = !starts_sentence && len >= 2 && word.chars().next().is_some_and(char::is_uppercase);
    numbers || names
}

/// Seals a record for storage: each free text replaced by its commitment
/// made with a fresh salt from `salt`, and the texts to store apart.
pub fn seal(
    record: &RecordOf<String>,
    mut salt: impl FnMut() -> Salt,
) -> (RecordOf<Commit>, Vec<StoredText>) {
    let mut stored = Vec::new();
    let event = record
        .event
        .clone()
        .try_map_texts(|words| {
            let salt = salt();
            let sealed = commit(&salt, &words);
            stored.push(StoredText::Words { salt, words });
            Ok::<_, std::convert::Infallible>(sealed)
        })
        .unwrap_or_else(|never| match never {});
    let record = RecordOf {
        tx: record.tx,
        recorded_at: record.recorded_at,
        clock: record.clock,
        actor: record.actor.clone(),
        effective: record.effective,
        source: record.source.clone(),
        event,
    };
    (record, stored)
}

/// Opens a sealed record with its stored texts: each slot's words, checked
/// against the commitment, or for an erased slot the placeholder made from
/// `erasure(by_seq, slot)`, which says who erased it (or `None` when the
/// event at `by_seq` is not a redaction of that slot).
pub fn unseal(
    record: RecordOf<Commit>,
    texts: Vec<StoredText>,
    mut erasure: impl FnMut(u64, u32) -> Option<Erasure>,
) -> Result<RecordOf<String>, TextFault> {
    let names = record.event.slot_names_borrowed();
    if names.len() != texts.len() {
        return Err(TextFault::Count {
            expected: names.len(),
            found: texts.len(),
        });
    }
    let mut texts = texts.into_iter();
    let mut slot = 0u32;
    let event = record.event.try_map_texts(|sealed| {
        let name = || names[slot as usize].to_string();
        let Some(text) = texts.next() else {
            return Err(TextFault::Count {
                expected: names.len(),
                found: slot as usize,
            });
        };
        let words = match text {
            StoredText::Words { salt, words } => {
                if commit(&salt, &words) != sealed {
                    return Err(TextFault::Mismatch { slot: name() });
                }
                words
            }
            StoredText::Erased { by } => match erasure(by, slot) {
                Some(erasure) => erasure.placeholder(),
                None => return Err(TextFault::ErasedWithoutRedaction { slot: name(), by }),
            },
        };
        slot += 1;
        Ok(words)
    })?;
    Ok(RecordOf {
        tx: record.tx,
        recorded_at: record.recorded_at,
        clock: record.clock,
        actor: record.actor,
        effective: record.effective,
        source: record.source,
        event,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{ClockNote, Event, Evidence, Record};
    use crate::id::{ActionId, ClaimNo};

    fn claim() -> Record {
        Record {
            tx: 1,
            recorded_at: 1_700_000_000_000_000,
            clock: ClockNote::System,
            actor: "Assurance Lead".into(),
            effective: None,
            source: None,
            event: Event::CompletionClaimed {
                action: ActionId::of(3),
                claim: ClaimNo::of(1),
                outcome: "Training delivered to 40 staff".into(),
                evidence: vec![
                    Evidence {
                        name: "register.pdf".into(),
                        size: 10,
                        blake3: [1; 32],
                    },
                    Evidence {
                        name: "minutes.docx".into(),
                        size: 20,
                        blake3: [2; 32],
                    },
                ],
            },
        }
    }

    fn counter() -> impl FnMut() -> Salt {
        let mut n = 0u8;
        move || {
            n += 1;
            [n; 16]
        }
    }

    #[test]
    fn sealing_then_unsealing_gives_the_record_back() {
        let record = claim();
        let (sealed, texts) = seal(&record, counter());
        assert_eq!(texts.len(), 3);
        assert_eq!(
            record.event.slot_names(),
            ["outcome", "evidence.1", "evidence.2"]
        );
        assert_eq!(unseal(sealed, texts, |_, _| None), Ok(record));
    }

    /// An amendment's slots are its texts in the order of its changes (an
    /// agency, a lead or scope removed, being no text, are no slot), then
    /// its reason; a link's slot is its note, when it has one.
    #[test]
    fn an_amendment_and_a_link_name_their_slots() {
        let amended = Event::ActionAmended {
            action: ActionId::of(3),
            changes: vec![
                Amendment::Text("Update Niche".into()),
                Amendment::Lead(None),
                Amendment::Agency("TVP".into()),
                Amendment::Scope(Some("Local".into())),
            ],
            reason: "handed over".into(),
        };
        assert_eq!(amended.slot_names(), ["text", "scope", "reason"]);
        assert_eq!(amended.texts(), ["Update Niche", "Local", "handed over"]);
        let record = Record {
            event: amended,
            ..claim()
        };
        let (sealed, texts) = seal(&record, counter());
        assert_eq!(unseal(sealed, texts, |_, _| None), Ok(record));
        let linked = |note: Option<&str>| Event::ActionLinked {
            action: ActionId::of(3),
            recommendations: vec![],
            basis: crate::event::LinkBasis::Own,
            note: note.map(String::from),
        };
        assert_eq!(linked(Some("own words")).slot_names(), ["note"]);
        assert!(linked(None).slot_names().is_empty());
    }

    #[test]
    fn the_commitment_is_salted() {
        let words = "Jane Doe";
        assert_ne!(commit(&[1; 16], words), commit(&[2; 16], words));
        let mut preimage = vec![1u8; 16];
        preimage.extend_from_slice(words.as_bytes());
        assert_eq!(
            commit(&[1; 16], words),
            blake3::derive_key(TEXT_CONTEXT, &preimage)
        );
    }

    #[test]
    fn changed_words_or_a_missing_text_do_not_unseal() {
        let (sealed, mut texts) = seal(&claim(), counter());
        let StoredText::Words { words, .. } = &mut texts[1] else {
            panic!("words")
        };
        words.push('!');
        assert_eq!(
            unseal(sealed.clone(), texts.clone(), |_, _| None),
            Err(TextFault::Mismatch {
                slot: "evidence.1".into()
            })
        );
        texts.pop();
        assert_eq!(
            unseal(sealed, texts, |_, _| None),
            Err(TextFault::Count {
                expected: 3,
                found: 2
            })
        );
    }

    #[test]
    fn an_erased_text_reads_as_who_erased_it_and_why() {
        let (sealed, mut texts) = seal(&claim(), counter());
        texts[0] = StoredText::Erased { by: 9 };
        let erasure = Erasure {
            by_seq: 9,
            recorded_at: 1_764_460_800_000_000, // 2025-11-30
            actor: "Data Protection Officer".into(),
            reason: "a relative's name".into(),
        };
        let record = unseal(sealed.clone(), texts.clone(), |by, slot| {
            (by == 9 && slot == 0).then(|| erasure.clone())
        })
        .unwrap();
        let Event::CompletionClaimed { outcome, .. } = record.event else {
            panic!("a claim")
        };
        assert_eq!(
            outcome,
            "redacted on 2025-11-30 by Data Protection Officer: a relative's name"
        );
        assert_eq!(
            unseal(sealed, texts, |_, _| None),
            Err(TextFault::ErasedWithoutRedaction {
                slot: "outcome".into(),
                by: 9
            })
        );
    }
}
