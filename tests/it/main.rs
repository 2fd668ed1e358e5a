//! The integration tests, as one test binary: tampering with stored bytes,
//! killing a writer mid-append, a model of random command sequences,
//! snapshots, the command line run as a real process, upgrading a format-1
//! ledger, evidence packs, and the JSON shapes pinned by golden files.
//! `support` holds the shared helpers: a temporary
//! ledger with a fixed clock and a small plan. One check lives outside this
//! binary: the HTML report rendered in headless Chromium
//! (`tests/browser.rs`), a target of its own so that it can be reported as
//! ignored at run time where Chromium is missing.

mod campaign;
mod cli;
mod crash;
mod faults;
mod hostile;
mod import;
mod model;
mod pack;
mod redact;
mod replay;
mod report;
mod rulebook;
mod snapshots;
mod support;
mod tamper;
mod upgrade;
mod wire;
