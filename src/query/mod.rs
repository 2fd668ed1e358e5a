//! Read-only questions over the ledger: who changed what and when, what
//! changed between two points, which plans and actions a view selects, the
//! plan at a glance, and the rows people read in every report.

pub mod audit;
pub mod coverage;
pub mod diff;
pub mod evidence;
pub mod one_action;
pub mod report;
pub mod select;
pub mod summary;
