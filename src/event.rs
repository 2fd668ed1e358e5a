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

/// One stored fact with its envelope, its free texts as words.
pub type Record = RecordOf<String>;

/// One stored fact with its envelope, its free texts of type `T`: words
/// ([`Record`]) in memory; their commitments ([`crate::sealed::Commit`]) in
/// the bytes format 2 stores and hashes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordOf<T> {
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
    pub event: EventOf<T>,
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

/// A file offered as evidence, its name as words.
pub type Evidence = EvidenceOf<String>;

/// A file offered as evidence for a completion claim. The ledger keeps its
/// name (a free text, which may be redacted), size and hash, never its
/// content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceOf<T> {
    pub name: T,
    pub size: u64,
    pub blake3: Hash,
}

/// One immutable fact, its free texts as words.
pub type Event = EventOf<String>;

/// One immutable fact, named in the past tense, with its free texts of type
/// `T` (see [`RecordOf`]).
///
/// A field of type `T` is a *free text*: words a person typed, which may
/// hold personal data and can be redacted (`crate::sealed` lists them in
/// order as the event's text slots). Every other field is structure: ids,
/// statuses, dates, targets, names of agencies and partnerships, which the
/// rules and the fold depend on and which is never redacted.
///
/// Plans, actions and claims are numbered from 1 and shown as `P1`, `A12`
/// and "claim 2 of A12"; a recommendation is identified by its number within
/// its plan and shown as `R3`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventOf<T> {
    /// The genesis event, always at sequence 0.
    LedgerCreated {
        ledger_id: [u8; 16],
        format_version: u32,
    },
    PlanAdded {
        plan: PlanId,
        partnership: String,
        review: T,
        chair: Option<T>,
        published: Option<FuzzyDate>,
    },
    RecommendationAdded {
        plan: PlanId,
        number: RecId,
        text: T,
        scope: Option<T>,
    },
    ActionAdded {
        action: ActionId,
        plan: PlanId,
        agency: String,
        lead: Option<T>,
        text: T,
        scope: Option<T>,
        /// Recommendation numbers the action cites, as written: a number the
        /// plan does not list is kept (and warned about), never dropped.
        recommendations: Vec<RecId>,
        target: Option<Target>,
    },
    StatusChanged {
        action: ActionId,
        from: Status,
        to: Status,
        reason: T,
    },
    MilestoneNoted {
        action: ActionId,
        note: T,
    },
    CompletionClaimed {
        action: ActionId,
        claim: ClaimNo,
        outcome: T,
        evidence: Vec<EvidenceOf<T>>,
    },
    ClaimAccepted {
        action: ActionId,
        claim: ClaimNo,
        finding: T,
    },
    ClaimChallenged {
        action: ActionId,
        claim: ClaimNo,
        finding: T,
    },
    ActionWithdrawn {
        action: ActionId,
        from: Status,
        reason: T,
    },
    TargetChanged {
        action: ActionId,
        from: Option<Target>,
        to: Option<Target>,
        reason: T,
    },
    /// An import transaction begins with this: what was read.
    SourceImported {
        name: T,
        size: u64,
        blake3: Hash,
        format: String,
    },
    /// Something a reviewer should look at, found while importing, or by
    /// `action add` when the action cites a recommendation its plan does not
    /// list. (Named for where it began; the name is part of the format.)
    ImportWarning {
        action: Option<ActionId>,
        message: T,
    },
    /// Free texts of an earlier event were erased (format 2). Names the
    /// event by its sequence number and the texts by their slots (their
    /// places in `crate::sealed::slots`, from 0), and says why. The reason
    /// is structure, not a free text: a redaction cannot itself be redacted.
    Redacted {
        event: u64,
        slots: Vec<u32>,
        reason: String,
    },
    /// The genesis event of a ledger made by `planledger upgrade` from a
    /// ledger of an earlier format, naming that ledger and the head it had.
    LedgerUpgraded {
        ledger_id: [u8; 16],
        format_version: u32,
        from_ledger_id: [u8; 16],
        from_format_version: u32,
        from_head_hash: Hash,
        from_events: u64,
    },
    /// From now on the action answers `recommendations` (numbers its plan
    /// lists), in place of what it cited or was linked to before; `basis`
    /// says how that was decided, and `note` holds the words that go with
    /// it: a person's reason (`Stated`), or the agency's own recommendation
    /// (`Own`).
    ActionLinked {
        action: ActionId,
        recommendations: Vec<RecId>,
        basis: LinkBasis,
        note: Option<T>,
    },
    /// The action's wording, lead, agency or scope changed: at most one
    /// change of each kind, in [`AmendmentKind`] order, with a reason.
    ActionAmended {
        action: ActionId,
        changes: Vec<Amendment<T>>,
        reason: T,
    },
    /// A person joined the ledger's actors: their requests are signed with
    /// `key`, and `roles` say what they may change. The first actor of a
    /// ledger is an `admin` who signs the request that adds them.
    ActorAdded {
        name: String,
        roles: Vec<Role>,
        key: PublicKey,
    },
    /// The actor signs with `key` from now on; requests signed with the key
    /// it replaces are refused after this, and those before stay valid.
    KeyRotated {
        name: String,
        key: PublicKey,
    },
    /// The actor may sign no more requests; what they signed before stays
    /// valid.
    ActorRevoked {
        name: String,
        reason: T,
    },
    /// The first event of a signed transaction: the request it carries out
    /// (its encoded bytes, `crate::request`), signed with `key`. Every other
    /// event of the transaction is what the request's commands draft, in
    /// order; `verify` drafts them again.
    RequestSigned {
        key: PublicKey,
        request: Vec<u8>,
        signature: Signature,
    },
}

/// An ed25519 public key, its 32 bytes.
pub type PublicKey = [u8; 32];

/// An ed25519 signature: its two 32-byte halves, `R` then `s`, as RFC 8032
/// writes them one after the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub r: [u8; 32],
    pub s: [u8; 32],
}

impl Signature {
    pub fn from_bytes(bytes: [u8; 64]) -> Signature {
        let mut r = [0; 32];
        let mut s = [0; 32];
        r.copy_from_slice(&bytes[..32]);
        s.copy_from_slice(&bytes[32..]);
        Signature { r, s }
    }

    pub fn to_bytes(self) -> [u8; 64] {
        let mut bytes = [0; 64];
        bytes[..32].copy_from_slice(&self.r);
        bytes[32..].copy_from_slice(&self.s);
        bytes
    }
}

/// What an actor may do. Structure, never redacted.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// Manages actors and redacts.
    Admin,
    /// Edits plans (adds, amends, links, retargets, imports) and accepts or
    /// challenges completion claims.
    Assurance,
    /// Reports progress on the named agency's actions: status, milestones,
    /// completion claims.
    Agency(String),
    /// Reads and signs checkpoints; changes nothing.
    Auditor,
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Role::Admin => f.write_str("admin"),
            Role::Assurance => f.write_str("assurance"),
            Role::Agency(name) => write!(f, "agency:{name}"),
            Role::Auditor => f.write_str("auditor"),
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    /// `admin`, `assurance`, `auditor` or `agency:NAME` (any case for the
    /// word; the agency's name as written, trimmed).
    fn from_str(typed: &str) -> Result<Role, String> {
        let typed = typed.trim();
        let (word, agency) = match typed.split_once(':') {
            Some((word, agency)) => (word.trim(), Some(agency.trim())),
            None => (typed, None),
        };
        match (word.to_ascii_lowercase().as_str(), agency) {
            ("admin", None) => Ok(Role::Admin),
            ("assurance", None) => Ok(Role::Assurance),
            ("auditor", None) => Ok(Role::Auditor),
            ("agency", Some(name)) if !name.is_empty() => Ok(Role::Agency(name.to_string())),
            ("agency", _) => Err("an agency role names its agency: agency:NAME".to_string()),
            _ => Err(format!(
                "'{typed}' is not a role: the roles are admin, assurance, agency:NAME and auditor"
            )),
        }
    }
}

/// How an action's links to its review's recommendations were decided.
/// Structure, never redacted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkBasis {
    /// Found by an import: the row's words share `shared_percent` per cent
    /// of their words with the one recommendation linked, clearly more than
    /// with any other. Not confirmed by a person.
    Wording { shared_percent: u8 },
    /// A person linked or confirmed it (or said the action answers none of
    /// the review's recommendations), with a reason.
    Stated,
    /// Found by an import: no recommendation of the review clearly matches,
    /// and the row answers its agency's own single-agency recommendation,
    /// whose words are the event's note.
    Own,
}

impl LinkBasis {
    /// True for a link a person has not confirmed.
    pub fn is_unconfirmed(self) -> bool {
        match self {
            LinkBasis::Wording { .. } => true,
            LinkBasis::Stated | LinkBasis::Own => false,
        }
    }

    /// `wording`, `stated` or `own`: how JSON and reports name it.
    pub fn name(self) -> &'static str {
        match self {
            LinkBasis::Wording { .. } => "wording",
            LinkBasis::Stated => "stated",
            LinkBasis::Own => "own",
        }
    }
}

/// One new value of one field of an action, its free texts of type `T`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Amendment<T> {
    /// The action's new wording.
    Text(T),
    /// Its new lead; `None`: no lead.
    Lead(Option<T>),
    /// The agency that owns it now (structure, as in `ActionAdded`).
    Agency(String),
    /// Its new scope; `None`: no scope.
    Scope(Option<T>),
}

impl<T> Amendment<T> {
    /// Which field it changes.
    pub fn kind(&self) -> AmendmentKind {
        match self {
            Amendment::Text(_) => AmendmentKind::Text,
            Amendment::Lead(_) => AmendmentKind::Lead,
            Amendment::Agency(_) => AmendmentKind::Agency,
            Amendment::Scope(_) => AmendmentKind::Scope,
        }
    }
}

/// The field an [`Amendment`] changes, in the order an `ActionAmended`
/// lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AmendmentKind {
    Text,
    Lead,
    Agency,
    Scope,
}

impl AmendmentKind {
    /// `text`, `lead`, `agency` or `scope`: the field's name, and the name
    /// of its text slot.
    pub fn name(self) -> &'static str {
        match self {
            AmendmentKind::Text => "text",
            AmendmentKind::Lead => "lead",
            AmendmentKind::Agency => "agency",
            AmendmentKind::Scope => "scope",
        }
    }
}

impl std::fmt::Display for AmendmentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl<T> EventOf<T> {
    /// The action this event is about, if any.
    pub fn action(&self) -> Option<ActionId> {
        match self {
            EventOf::ActionAdded { action, .. }
            | EventOf::StatusChanged { action, .. }
            | EventOf::MilestoneNoted { action, .. }
            | EventOf::CompletionClaimed { action, .. }
            | EventOf::ClaimAccepted { action, .. }
            | EventOf::ClaimChallenged { action, .. }
            | EventOf::ActionWithdrawn { action, .. }
            | EventOf::TargetChanged { action, .. }
            | EventOf::ActionLinked { action, .. }
            | EventOf::ActionAmended { action, .. } => Some(*action),
            EventOf::ImportWarning { action, .. } => *action,
            EventOf::LedgerCreated { .. }
            | EventOf::LedgerUpgraded { .. }
            | EventOf::PlanAdded { .. }
            | EventOf::RecommendationAdded { .. }
            | EventOf::SourceImported { .. }
            | EventOf::Redacted { .. }
            | EventOf::ActorAdded { .. }
            | EventOf::KeyRotated { .. }
            | EventOf::ActorRevoked { .. }
            | EventOf::RequestSigned { .. } => None,
        }
    }

    /// Which type of event this is.
    pub fn kind(&self) -> EventKind {
        match self {
            EventOf::LedgerCreated { .. } => EventKind::LedgerCreated,
            EventOf::PlanAdded { .. } => EventKind::PlanAdded,
            EventOf::RecommendationAdded { .. } => EventKind::RecommendationAdded,
            EventOf::ActionAdded { .. } => EventKind::ActionAdded,
            EventOf::StatusChanged { .. } => EventKind::StatusChanged,
            EventOf::MilestoneNoted { .. } => EventKind::MilestoneNoted,
            EventOf::CompletionClaimed { .. } => EventKind::CompletionClaimed,
            EventOf::ClaimAccepted { .. } => EventKind::ClaimAccepted,
            EventOf::ClaimChallenged { .. } => EventKind::ClaimChallenged,
            EventOf::ActionWithdrawn { .. } => EventKind::ActionWithdrawn,
            EventOf::TargetChanged { .. } => EventKind::TargetChanged,
            EventOf::SourceImported { .. } => EventKind::SourceImported,
            EventOf::ImportWarning { .. } => EventKind::ImportWarning,
            EventOf::Redacted { .. } => EventKind::Redacted,
            EventOf::LedgerUpgraded { .. } => EventKind::LedgerUpgraded,
            EventOf::ActionLinked { .. } => EventKind::ActionLinked,
            EventOf::ActionAmended { .. } => EventKind::ActionAmended,
            EventOf::ActorAdded { .. } => EventKind::ActorAdded,
            EventOf::KeyRotated { .. } => EventKind::KeyRotated,
            EventOf::ActorRevoked { .. } => EventKind::ActorRevoked,
            EventOf::RequestSigned { .. } => EventKind::RequestSigned,
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
    Redacted,
    LedgerUpgraded,
    ActionLinked,
    ActionAmended,
    ActorAdded,
    KeyRotated,
    ActorRevoked,
    RequestSigned,
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
            EventKind::Redacted => "Redacted",
            EventKind::LedgerUpgraded => "LedgerUpgraded",
            EventKind::ActionLinked => "ActionLinked",
            EventKind::ActionAmended => "ActionAmended",
            EventKind::ActorAdded => "ActorAdded",
            EventKind::KeyRotated => "KeyRotated",
            EventKind::ActorRevoked => "ActorRevoked",
            EventKind::RequestSigned => "RequestSigned",
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
