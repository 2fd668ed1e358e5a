//! The integration tests, as one test binary: tampering with stored bytes,
//! killing a writer mid-append, a model of random command sequences,
//! snapshots, the command line run as a real process, upgrading a format-1
//! ledger, evidence packs, checkpoints and their witnesses, the JSON shapes
//! pinned by golden files, key files, and every reader on a ledger its user
//! cannot write. `support` holds the shared helpers: a temporary ledger
//! with a fixed clock and a small plan. Checks that need a program from outside
//! the crate live in targets of their own, so that they can be reported as
//! ignored at run time where the program is missing: the HTML report
//! rendered in headless Chromium (`tests/browser.rs`), spreadsheets opened
//! by LibreOffice (`tests/office.rs`), and keys checked against the real
//! `openssl` and `ssh-keygen` (`tests/key_interop.rs`).

mod action_index;
mod bad_input;
mod blocks;
mod campaign;
mod checkpoint;
mod cli;
mod concurrency;
mod crash;
mod faults;
mod hostile;
mod import;
mod keys;
mod links;
mod model;
mod pack;
mod readonly;
mod redact;
mod replay;
mod report;
mod rulebook;
mod signed;
mod snapshots;
mod support;
mod tamper;
mod upgrade;
mod wire;
