//! Views of the ledger for other programs and people: the plan as JSON, the
//! audit trail as JSON, and the raw chain as JSON Lines.

pub mod events;
pub mod json;
