//! The integration tests, as one test binary: tampering with stored bytes,
//! killing a writer mid-append, a model of random command sequences,
//! snapshots, the command line run as a real process, the JSON shapes
//! pinned by golden files, and key files. `support` holds the shared
//! helpers: a temporary ledger with a fixed clock and a small plan. Two
//! checks live outside this binary, each a target of its own so that it
//! can be reported as ignored at run time where a tool is missing: the HTML
//! report rendered in headless Chromium (`tests/browser.rs`), and keys
//! checked against the real `openssl` and `ssh-keygen`
//! (`tests/key_interop.rs`).

mod campaign;
mod cli;
mod crash;
mod faults;
mod hostile;
mod import;
mod keys;
mod model;
mod replay;
mod report;
mod rulebook;
mod snapshots;
mod support;
mod tamper;
mod wire;
