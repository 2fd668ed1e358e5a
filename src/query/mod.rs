//! Read-only questions over the ledger: who changed what and when, and the
//! plan at a glance.

pub mod audit;
pub mod diff;
pub mod summary;
