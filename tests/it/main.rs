//! The integration tests, as one test binary: tampering with stored bytes,
//! killing a writer mid-append, a model of random command sequences,
//! snapshots, and the command line run as a real process. `support` holds
//! the shared helpers: a temporary ledger with a fixed clock and a small plan.

mod campaign;
mod cli;
mod crash;
mod import;
mod model;
mod replay;
mod report;
mod rulebook;
mod snapshots;
mod support;
mod tamper;
