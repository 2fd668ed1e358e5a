//! Read-only questions over the ledger: who changed what and when.

pub mod audit;
pub mod diff;
