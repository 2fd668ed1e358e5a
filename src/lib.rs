//! planledger: a tamper-evident, event-sourced audit ledger for the action
//! plans that follow Domestic Homicide Reviews.
//!
//! Layers, each depending only on those to its right:
//! `cli → import / export / query → ledger → projection → store → chain → codec → event`.
//! `ARCHITECTURE.md` maps the modules and states the invariants.

pub mod chain;
pub mod codec;
pub mod date;
pub mod event;
pub mod import;
pub mod status;
