//! `planledger init`: create a ledger with its genesis event, signed from
//! the genesis when a key is given.

use std::io::Write;

use crate::event::Role;
use crate::ledger::Ledger;

use super::{CliError, Context};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// With --key: a role the creator holds besides admin (repeatable:
    /// assurance, agency:NAME, auditor)
    #[arg(long = "role", value_name = "ROLE")]
    roles: Vec<String>,
}

pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let actor = context.actor()?;
    let key = context.signing_key()?;
    if key.is_none() && !args.roles.is_empty() {
        return Err(CliError::Input(
            "--role gives the creator's roles in a ledger signed from its genesis: give the creator's key with --key".into(),
        ));
    }
    let roles = args
        .roles
        .iter()
        .map(|r| r.parse::<Role>().map_err(CliError::Input))
        .collect::<Result<Vec<_>, _>>()?;
    let ledger = context.waiting(|wait| match &key {
        Some(key) => Ledger::init_signed(
            &context.ledger_dir,
            key,
            actor,
            roles,
            context.clock.clone(),
            wait,
        ),
        None => Ledger::init_waiting(&context.ledger_dir, actor, context.clock.clone(), wait),
    })?;
    writeln!(out, "Created a ledger at {}", context.ledger_dir.display())?;
    if let Some(info) = &ledger.state().ledger {
        writeln!(
            out,
            "ledger id {}, format {} (chain format {}), created by {actor}",
            hex::encode(info.id),
            crate::store::FORMAT_VERSION,
            info.format_version
        )?;
    }
    if let Some(creator) = ledger.state().actors.values().next() {
        writeln!(
            out,
            "signed from its genesis: {} ({}) signs with key {}; every change must now be signed with an actor's key",
            creator.name,
            crate::rules::roles_text(&creator.roles),
            crate::keys::fingerprint_of(&creator.key)
        )?;
    }
    Ok(())
}
