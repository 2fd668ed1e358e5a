//! The words of an action's milestones and claims, read back from the
//! events that wrote them.
//!
//! The folded [`State`](crate::projection::State) keeps, for each action,
//! only which events noted its milestones and made and decided its claims
//! (sequence numbers): what the rule book needs. What a view prints (the
//! note, the outcome, the evidence, the finding, who and when) is in those
//! events, and is read from them when, and only when, a view prints it.
//! That keeps the state of a national ledger, and every snapshot of it,
//! to the plans and actions themselves: at 1M events the milestones and
//! claims were 109 MB of a 123 MB snapshot.
//!
//! A [`Recall`] is whatever holds the events: the store, a pack being
//! checked, or a map of records in a test.

use std::collections::BTreeMap;

use crate::event::{Event, EventKind, Evidence, Record};
use crate::id::ClaimNo;
use crate::projection::{self, Action, Change};

/// Reads back the event at a sequence number, its free texts as every view
/// shows them (an erased text as who erased it, when and why).
pub trait Recall {
    fn recall(&self, seq: u64) -> Result<Record, RecallError>;
}

/// Why the words of a milestone or claim could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum RecallError {
    #[error("event {seq}, named by the folded state, is not in the ledger")]
    Missing { seq: u64 },
    #[error("event {seq} is not the {expected} the folded state names")]
    NotThe { seq: u64, expected: &'static str },
    #[error(transparent)]
    Store(#[from] Box<crate::store::StoreError>),
    #[error("event {seq} cannot be read back: {why}")]
    Unreadable { seq: u64, why: String },
}

impl From<crate::store::StoreError> for RecallError {
    fn from(e: crate::store::StoreError) -> RecallError {
        RecallError::Store(Box::new(e))
    }
}

/// Records by sequence number: what a test, or a fold held in memory,
/// recalls from.
impl Recall for BTreeMap<u64, Record> {
    fn recall(&self, seq: u64) -> Result<Record, RecallError> {
        self.get(&seq).cloned().ok_or(RecallError::Missing { seq })
    }
}

impl<R: Recall + ?Sized> Recall for &R {
    fn recall(&self, seq: u64) -> Result<Record, RecallError> {
        (**self).recall(seq)
    }
}

/// A milestone as a view shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Milestone {
    pub note: String,
    pub at: Change,
}

/// A decision on a claim as a view shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assurance {
    pub accepted: bool,
    pub finding: String,
    pub at: Change,
}

/// A completion claim as a view shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub number: ClaimNo,
    pub outcome: String,
    pub evidence: Vec<Evidence>,
    pub at: Change,
    pub assurance: Option<Assurance>,
}

/// The milestone noted by event `seq`.
pub fn milestone(recall: &dyn Recall, seq: u64) -> Result<Milestone, RecallError> {
    let record = recall.recall(seq)?;
    let at = Change::of(seq, &record);
    let Event::MilestoneNoted { note, .. } = record.event else {
        return Err(RecallError::NotThe {
            seq,
            expected: "milestone",
        });
    };
    Ok(Milestone { note, at })
}

/// The claim, with its outcome, evidence and decision.
pub fn claim(recall: &dyn Recall, claim: &projection::Claim) -> Result<Claim, RecallError> {
    let seq = claim.seq;
    let record = recall.recall(seq)?;
    let at = Change::of(seq, &record);
    let Event::CompletionClaimed {
        outcome, evidence, ..
    } = record.event
    else {
        return Err(RecallError::NotThe {
            seq,
            expected: "completion claim",
        });
    };
    let assurance = match claim.assurance {
        None => None,
        Some(decision) => Some(assurance(recall, decision.seq)?),
    };
    Ok(Claim {
        number: claim.number,
        outcome,
        evidence,
        at,
        assurance,
    })
}

fn assurance(recall: &dyn Recall, seq: u64) -> Result<Assurance, RecallError> {
    let record = recall.recall(seq)?;
    let at = Change::of(seq, &record);
    let accepted = record.event.kind() == EventKind::ClaimAccepted;
    let (Event::ClaimAccepted { finding, .. } | Event::ClaimChallenged { finding, .. }) =
        record.event
    else {
        return Err(RecallError::NotThe {
            seq,
            expected: "assurance decision",
        });
    };
    Ok(Assurance {
        accepted,
        finding,
        at,
    })
}

/// Every milestone of `action`, oldest first.
pub fn milestones(recall: &dyn Recall, action: &Action) -> Result<Vec<Milestone>, RecallError> {
    action
        .milestones
        .iter()
        .map(|&seq| milestone(recall, seq))
        .collect()
}

/// Every claim of `action`, oldest first.
pub fn claims(recall: &dyn Recall, action: &Action) -> Result<Vec<Claim>, RecallError> {
    action.claims.iter().map(|c| claim(recall, c)).collect()
}

/// The latest claim of `action`, if any.
pub fn latest_claim(recall: &dyn Recall, action: &Action) -> Result<Option<Claim>, RecallError> {
    action.claims.last().map(|c| claim(recall, c)).transpose()
}

/// The latest milestone of `action`, if any.
pub fn latest_milestone(
    recall: &dyn Recall,
    action: &Action,
) -> Result<Option<Milestone>, RecallError> {
    action
        .milestones
        .last()
        .map(|&seq| milestone(recall, seq))
        .transpose()
}

/// A view writing to a file or terminal fails as writing fails.
impl From<RecallError> for std::io::Error {
    fn from(e: RecallError) -> std::io::Error {
        std::io::Error::other(e)
    }
}

/// A record written by `actor` with the stated effective date: for tests
/// that build an action's milestones and claims by hand.
#[cfg(test)]
pub(crate) fn test_record(actor: &str, effective: crate::date::FuzzyDate, event: Event) -> Record {
    Record {
        tx: 1,
        recorded_at: 0,
        clock: crate::event::ClockNote::System,
        actor: actor.into(),
        effective: Some(effective),
        source: None,
        event,
    }
}

/// An action's milestones and claims as views show them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Details {
    pub milestones: Vec<Milestone>,
    pub claims: Vec<Claim>,
}

/// Every milestone and claim of `action`, read back.
pub fn details(recall: &dyn Recall, action: &Action) -> Result<Details, RecallError> {
    Ok(Details {
        milestones: milestones(recall, action)?,
        claims: claims(recall, action)?,
    })
}

/// The kinds of event whose records a view reads back: an action's
/// milestones, claims and decisions on them.
const READ_BACK: [EventKind; 4] = [
    EventKind::MilestoneNoted,
    EventKind::CompletionClaimed,
    EventKind::ClaimAccepted,
    EventKind::ClaimChallenged,
];

/// The records of the milestones, claims and decisions of a fold, kept as
/// they are folded: the recall of a fold whose events cannot be read again
/// by sequence number (an evidence pack, made or checked as it streams).
/// Each is kept encoded, in about half the memory of the record itself (a
/// whole-ledger pack of 1M events keeps some 600,000).
#[derive(Clone, Debug, Default)]
pub struct Kept(BTreeMap<u64, KeptRecord>);

#[derive(Clone, Debug)]
enum KeptRecord {
    Encoded(Box<[u8]>),
    /// One that did not encode (none does: kept whole rather than lost).
    Whole(Box<Record>),
}

/// Whether a view may read back the records of events of `kind` (the
/// records a recall must be able to give).
pub fn is_read_back(kind: EventKind) -> bool {
    READ_BACK.contains(&kind)
}

impl Kept {
    /// Keeps `record` if a view may read it back.
    pub fn keep(&mut self, seq: u64, record: &Record) {
        if is_read_back(record.event.kind()) {
            let kept = match crate::codec::encode_derived(record) {
                Ok(bytes) => KeptRecord::Encoded(bytes.into_boxed_slice()),
                Err(_) => KeptRecord::Whole(Box::new(record.clone())),
            };
            self.0.insert(seq, kept);
        }
    }
}

impl Recall for Kept {
    fn recall(&self, seq: u64) -> Result<Record, RecallError> {
        match self.0.get(&seq) {
            None => Err(RecallError::Missing { seq }),
            Some(KeptRecord::Whole(record)) => Ok((**record).clone()),
            Some(KeptRecord::Encoded(bytes)) => {
                crate::codec::decode_derived(bytes).map_err(|e| RecallError::Unreadable {
                    seq,
                    why: e.to_string(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::FuzzyDate;
    use crate::id::ActionId;

    #[test]
    fn kept_records_are_those_a_view_reads_back_and_come_back_the_same() {
        let day = FuzzyDate::parse_iso("2020-09-14").expect("a date");
        let note = test_record(
            "Lead",
            day,
            Event::MilestoneNoted {
                action: ActionId::of(1),
                note: "Audit template agreed".into(),
            },
        );
        let target = test_record(
            "Lead",
            day,
            Event::TargetChanged {
                action: ActionId::of(1),
                from: None,
                to: None,
                reason: "moved".into(),
            },
        );
        let mut kept = Kept::default();
        kept.keep(4, &note);
        kept.keep(5, &target);
        assert_eq!(kept.recall(4).expect("kept"), note);
        assert!(matches!(
            kept.recall(5),
            Err(RecallError::Missing { seq: 5 })
        ));
        let read = milestone(&kept, 4).expect("a milestone");
        assert_eq!(read.note, "Audit template agreed");
        assert_eq!((read.at.seq, read.at.actor.as_str()), (4, "Lead"));
    }
}
