//! The facts the ledger records: pure data, no behaviour beyond naming.
//!
//! A [`Record`] is what is encoded (by `codec`) and hashed (by `chain`): the
//! envelope that says who, when and in which transaction, around one
//! [`Event`]. Every type here is part of the on-disk format, described field
//! by field in `ledger/FORMAT.md`: fields are encoded in declaration order and
//! enum variants by their position, so a new variant goes at the end of its
//! enum and an existing field is never reordered, retyped or removed. Only
//! ordered collections (`Vec`) appear; there are no maps, no floats, and times
//! are `i64` microseconds since the Unix epoch, UTC.

use serde::{Deserialize, Serialize};

use crate::date::{FuzzyDate, Target};
use crate::id::{ActionId, ClaimNo, PlanId, RecId};
use crate::status::Status;

/// A BLAKE3 hash: of an event (see `chain`) or of an evidence file's bytes.
pub type Hash = [u8; 32];

/// Microseconds since 1970-01-01T00:00:00Z.
pub type Micros = i64;

/// One stored fact with its envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The transaction this event belongs to, counted from 0 (the genesis
    /// transaction).
    pub tx: u64,
    /// When the ledger learned the fact. Set by the ledger, never by the user;
    /// the same for every event of a transaction and never earlier than the
    /// previous event's.
    pub recorded_at: Micros,
    /// Where `recorded_at` came from.
    pub clock: ClockNote,
    /// Who made the change. Never empty.
    pub actor: String,
    /// When the fact happened in the world, as the actor stated it; `None`
    /// means not stated, which reads as the recorded day.
    pub effective: Option<FuzzyDate>,
    /// For imported events: which import and which place in the source.
    pub source: Option<SourceRef>,
    pub event: Event,
}

/// How the recorded time of a transaction was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClockNote {
    /// Read from the system clock.
    System,
    /// Given by the operator (`PLANLEDGER_CLOCK`); `verify` and `audit` say so.
    Overridden,
    /// The clock read `clock_read`, which is earlier than the head's recorded
    /// time; the head's time was used instead so that time never goes
    /// backwards along the chain.
    HeldAtHead { clock_read: Micros },
}

/// Points an imported event back to its source document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    /// The sequence number of the [`Event::SourceImported`] event.
    pub import_seq: u64,
    /// Where in the source the fact was read, in words a person can find
    /// ("THAMES VALLEY POLICE, table row 1").
    pub locator: String,
}

/// A file offered as evidence for a completion claim. The ledger keeps its
/// name, size and hash, never its content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub name: String,
    pub size: u64,
    pub blake3: Hash,
}

/// One immutable fact, named in the past tense.
///
/// Plans, actions and claims are numbered from 1 and shown as `P1`, `A12`
/// and "claim 2 of A12"; a recommendation is identified by its number within
/// its plan and shown as `R3`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// The genesis event, always at sequence 0.
    LedgerCreated {
        ledger_id: [u8; 16],
        format_version: u32,
    },
    PlanAdded {
        plan: PlanId,
        partnership: String,
        review: String,
        chair: Option<String>,
        published: Option<FuzzyDate>,
    },
    RecommendationAdded {
        plan: PlanId,
        number: RecId,
        text: String,
        scope: Option<String>,
    },
    ActionAdded {
        action: ActionId,
        plan: PlanId,
        agency: String,
        lead: Option<String>,
        text: String,
        scope: Option<String>,
        /// Recommendation numbers the action cites, as written: a number the
        /// plan does not list is kept (and warned about), never dropped.
        recommendations: Vec<RecId>,
        target: Option<Target>,
    },
    StatusChanged {
        action: ActionId,
        from: Status,
        to: Status,
        reason: String,
    },
    MilestoneNoted {
        action: ActionId,
        note: String,
    },
    CompletionClaimed {
        action: ActionId,
        claim: ClaimNo,
        outcome: String,
        evidence: Vec<Evidence>,
    },
    ClaimAccepted {
        action: ActionId,
        claim: ClaimNo,
        finding: String,
    },
    ClaimChallenged {
        action: ActionId,
        claim: ClaimNo,
        finding: String,
    },
    ActionWithdrawn {
        action: ActionId,
        from: Status,
        reason: String,
    },
    TargetChanged {
        action: ActionId,
        from: Option<Target>,
        to: Option<Target>,
        reason: String,
    },
    /// An import transaction begins with this: what was read.
    SourceImported {
        name: String,
        size: u64,
        blake3: Hash,
        format: String,
    },
    /// Something a reviewer should look at, found while importing, or by
    /// `action add` when the action cites a recommendation its plan does not
    /// list. (Named for where it began; the name is part of the format.)
    ImportWarning {
        action: Option<ActionId>,
        message: String,
    },
}

impl Event {
    /// The action this event is about, if any.
    pub fn action(&self) -> Option<ActionId> {
        match self {
            Event::ActionAdded { action, .. }
            | Event::StatusChanged { action, .. }
            | Event::MilestoneNoted { action, .. }
            | Event::CompletionClaimed { action, .. }
            | Event::ClaimAccepted { action, .. }
            | Event::ClaimChallenged { action, .. }
            | Event::ActionWithdrawn { action, .. }
            | Event::TargetChanged { action, .. } => Some(*action),
            Event::ImportWarning { action, .. } => *action,
            Event::LedgerCreated { .. }
            | Event::PlanAdded { .. }
            | Event::RecommendationAdded { .. }
            | Event::SourceImported { .. } => None,
        }
    }

    /// Which type of event this is.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::LedgerCreated { .. } => EventKind::LedgerCreated,
            Event::PlanAdded { .. } => EventKind::PlanAdded,
            Event::RecommendationAdded { .. } => EventKind::RecommendationAdded,
            Event::ActionAdded { .. } => EventKind::ActionAdded,
            Event::StatusChanged { .. } => EventKind::StatusChanged,
            Event::MilestoneNoted { .. } => EventKind::MilestoneNoted,
            Event::CompletionClaimed { .. } => EventKind::CompletionClaimed,
            Event::ClaimAccepted { .. } => EventKind::ClaimAccepted,
            Event::ClaimChallenged { .. } => EventKind::ClaimChallenged,
            Event::ActionWithdrawn { .. } => EventKind::ActionWithdrawn,
            Event::TargetChanged { .. } => EventKind::TargetChanged,
            Event::SourceImported { .. } => EventKind::SourceImported,
            Event::ImportWarning { .. } => EventKind::ImportWarning,
        }
    }
}

/// The type of an [`Event`], without its fields: what views group and
/// filter by. Never stored; it is written (in JSON, in reports) by its name
/// in the event catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventKind {
    LedgerCreated,
    PlanAdded,
    RecommendationAdded,
    ActionAdded,
    StatusChanged,
    MilestoneNoted,
    CompletionClaimed,
    ClaimAccepted,
    ClaimChallenged,
    ActionWithdrawn,
    TargetChanged,
    SourceImported,
    ImportWarning,
}

impl EventKind {
    /// The name of the event type, as in the event catalogue.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::LedgerCreated => "LedgerCreated",
            EventKind::PlanAdded => "PlanAdded",
            EventKind::RecommendationAdded => "RecommendationAdded",
            EventKind::ActionAdded => "ActionAdded",
            EventKind::StatusChanged => "StatusChanged",
            EventKind::MilestoneNoted => "MilestoneNoted",
            EventKind::CompletionClaimed => "CompletionClaimed",
            EventKind::ClaimAccepted => "ClaimAccepted",
            EventKind::ClaimChallenged => "ClaimChallenged",
            EventKind::ActionWithdrawn => "ActionWithdrawn",
            EventKind::TargetChanged => "TargetChanged",
            EventKind::SourceImported => "SourceImported",
            EventKind::ImportWarning => "ImportWarning",
        }
    }
}

impl Serialize for EventKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The record of one transaction, stored in the `txs` tree under the
/// transaction number. It indexes the chain (which events, which head) and
/// is checked against it by `verify`; the chain itself is the authority.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxRecord {
    pub first_seq: u64,
    pub last_seq: u64,
    pub actor: String,
    pub recorded_at: Micros,
    pub clock: ClockNote,
    /// What was done, in a few words ("claim A3", "import plan.txt").
    pub summary: String,
    /// The hash of the transaction's last event: the chain head it made.
    pub head_hash: Hash,
}
