//! An action's status and the one table of legal moves between statuses.
//!
//! `overdue` is not a status: it is derived when a dated target's period has
//! ended and the action is still open, in progress or challenged. A
//! completion, imported or claimed, is `claimed` until an assurance lead
//! accepts it; nothing else leads to `assured`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where an action stands. Encoded as a bincode enum tag: the order of the
/// variants is part of the on-disk format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Status {
    Open,
    InProgress,
    Claimed,
    Assured,
    Challenged,
    Embedded,
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Open,
        Status::InProgress,
        Status::Claimed,
        Status::Assured,
        Status::Challenged,
        Status::Embedded,
        Status::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::InProgress => "in-progress",
            Status::Claimed => "claimed",
            Status::Assured => "assured",
            Status::Challenged => "challenged",
            Status::Embedded => "embedded",
            Status::Withdrawn => "withdrawn",
        }
    }

    /// True while work is still owed: such an action can become overdue.
    pub fn is_outstanding(self) -> bool {
        matches!(self, Status::Open | Status::InProgress | Status::Challenged)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a status: use one of open, in-progress, claimed, assured, challenged, embedded, withdrawn"
)]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Status, UnknownStatus> {
        let wanted = s.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        Status::ALL
            .into_iter()
            .find(|status| status.as_str() == wanted)
            .ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

/// The command through which a move is made. Each move in [`TRANSITIONS`]
/// can be made only through its own command, so that, for example, an
/// action cannot be set to `assured` by a plain status change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// `planledger status`: a change of status with a reason.
    Status,
    /// `planledger claim`: a completion claim.
    Claim,
    /// `planledger accept`: an assurance lead accepts the pending claim.
    Accept,
    /// `planledger challenge`: an assurance lead challenges the pending claim.
    Challenge,
    /// `planledger withdraw`: the action is no longer pursued.
    Withdraw,
}

impl Via {
    pub fn command(self) -> &'static str {
        match self {
            Via::Status => "status",
            Via::Claim => "claim",
            Via::Accept => "accept",
            Via::Challenge => "challenge",
            Via::Withdraw => "withdraw",
        }
    }
}

use Status::*;

/// Every legal move: (from, to, through which command). Anything not listed
/// is refused before it is written. `ledger/EVENTS.md` shows the same table;
/// a test keeps the two equal.
pub const TRANSITIONS: &[(Status, Status, Via)] = &[
    (Open, InProgress, Via::Status),
    (Open, Claimed, Via::Claim),
    (Open, Embedded, Via::Status),
    (Open, Withdrawn, Via::Withdraw),
    (InProgress, Open, Via::Status),
    (InProgress, Claimed, Via::Claim),
    (InProgress, Embedded, Via::Status),
    (InProgress, Withdrawn, Via::Withdraw),
    (Claimed, Assured, Via::Accept),
    (Claimed, Challenged, Via::Challenge),
    (Claimed, Withdrawn, Via::Withdraw),
    (Challenged, InProgress, Via::Status),
    (Challenged, Claimed, Via::Claim),
    (Challenged, Embedded, Via::Status),
    (Challenged, Withdrawn, Via::Withdraw),
    (Embedded, InProgress, Via::Status),
    (Embedded, Claimed, Via::Claim),
    (Embedded, Withdrawn, Via::Withdraw),
    (Assured, InProgress, Via::Status),
    (Withdrawn, Open, Via::Status),
    (Withdrawn, InProgress, Via::Status),
];

/// Whether `from → to` through `via` is in [`TRANSITIONS`].
pub fn is_legal(from: Status, to: Status, via: Via) -> bool {
    TRANSITIONS.contains(&(from, to, via))
}

/// The statuses reachable from `from` through `via`, for error messages.
pub fn reachable(from: Status, via: Via) -> Vec<Status> {
    TRANSITIONS
        .iter()
        .filter(|(f, _, v)| *f == from && *v == via)
        .map(|(_, to, _)| *to)
        .collect()
}

/// The transition table as a Markdown table, as it appears in
/// `ledger/EVENTS.md`.
pub fn transitions_markdown() -> String {
    let mut out = String::from("| from | to | command |\n|---|---|---|\n");
    for (from, to, via) in TRANSITIONS {
        out.push_str(&format!("| {from} | {to} | `{}` |\n", via.command()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_parse_from_their_names() {
        for status in Status::ALL {
            assert_eq!(status.as_str().parse::<Status>(), Ok(status));
        }
        assert_eq!("In Progress".parse::<Status>(), Ok(Status::InProgress));
        assert!("done".parse::<Status>().is_err());
    }

    #[test]
    fn only_accept_leads_to_assured() {
        for (_, to, via) in TRANSITIONS {
            if *to == Assured {
                assert_eq!(*via, Via::Accept);
            }
        }
        assert!(!is_legal(Open, Assured, Via::Status));
        assert!(!is_legal(Claimed, Assured, Via::Status));
    }

    #[test]
    fn no_move_stays_in_place_and_none_is_listed_twice() {
        for (i, (from, to, via)) in TRANSITIONS.iter().enumerate() {
            assert_ne!(from, to);
            assert!(
                !TRANSITIONS[i + 1..]
                    .iter()
                    .any(|(f, t, _)| f == from && t == to),
                "{from} -> {to} ({via:?}) is listed twice"
            );
        }
    }

    #[test]
    fn the_catalogue_shows_the_same_table() {
        let catalogue = include_str!("../ledger/EVENTS.md");
        assert!(
            catalogue.contains(&transitions_markdown()),
            "ledger/EVENTS.md must contain the table from status::transitions_markdown()"
        );
    }
}
