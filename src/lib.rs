//! planledger: a tamper-evident, event-sourced audit ledger for the action
//! plans that follow Domestic Homicide Reviews.
//!
//! Layers, each depending only on those to its right:
//! `cli → import / export / query → ledger → projection → store → chain → codec → event`.
//! `ARCHITECTURE.md` maps the modules and states the invariants.

pub mod ask;
pub mod chain;
pub mod checkpoint;
pub mod cli;
pub mod codec;
pub mod command;
pub mod date;
pub mod event;
pub mod evidence;
pub mod export;
pub mod id;
pub mod import;
pub mod integrity;
pub mod keys;
pub mod ledger;
pub mod pack;
pub mod projection;
pub mod query;
pub mod recall;
pub mod request;
pub mod rules;
pub mod sealed;
pub mod snapshot;
pub mod status;
pub mod store;
pub mod text;
pub mod time;
pub mod upgrade;
pub mod wire;
