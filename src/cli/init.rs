//! `planledger init`: create a ledger with its genesis event.

use std::io::Write;

use crate::ledger::Ledger;

use super::{CliError, Context};

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(context: &Context, _args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let actor = context.actor()?;
    let ledger = context.waiting(|wait| {
        Ledger::init_waiting(&context.ledger_dir, actor, context.clock.clone(), wait)
    })?;
    writeln!(out, "Created a ledger at {}", context.ledger_dir.display())?;
    if let Some(info) = &ledger.state().ledger {
        writeln!(
            out,
            "ledger id {}, format version {}, created by {actor}",
            hex::encode(info.id),
            info.format_version
        )?;
    }
    Ok(())
}
