//! Which claims cite a file: by its bytes (the BLAKE3 a claim recorded), and
//! which cite a file of the same name whose bytes differ, so an assurance
//! lead or an auditor holding a copy of the evidence can tell whether it is
//! the very file the claim was made with.

use crate::event::Evidence;
use crate::id::{ActionId, ClaimNo};
use crate::projection::{Change, State};
use crate::recall::{self, Recall, RecallError};

/// One claim's citation of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Citation {
    pub action: ActionId,
    pub claim: ClaimNo,
    /// The evidence as the claim recorded it.
    pub cited: Evidence,
    /// When and by whom the claim was made.
    pub at: Change,
}

/// What the ledger says of one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Citations {
    /// Claims that cite a file with exactly these bytes (whatever its name).
    pub exact: Vec<Citation>,
    /// Claims that cite a file of this name with other bytes.
    pub same_name_differs: Vec<Citation>,
}

/// The claims in `state` that cite `file`, in action and claim order; the
/// claims' evidence is read back from `recall`.
pub fn citations(
    state: &State,
    recall: &dyn Recall,
    file: &Evidence,
) -> Result<Citations, RecallError> {
    let mut found = Citations::default();
    for action in state.actions.values() {
        for claim in &action.claims {
            let claim = recall::claim(recall, claim)?;
            for cited in &claim.evidence {
                let citation = || Citation {
                    action: action.id,
                    claim: claim.number,
                    cited: cited.clone(),
                    at: claim.at.clone(),
                };
                if cited.blake3 == file.blake3 && cited.size == file.size {
                    found.exact.push(citation());
                } else if cited.name == file.name {
                    found.same_name_differs.push(citation());
                }
            }
        }
    }
    Ok(found)
}
