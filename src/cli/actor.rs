//! `planledger actor add|rotate|revoke|list`: the people who sign changes,
//! their keys and their roles, kept in the ledger as events.

use std::io::Write;
use std::path::PathBuf;

use crate::command::Command;
use crate::event::Role;
use crate::ledger::{Ledger, Stamped};
use crate::rules::{find_actor_named, roles_text};
use crate::text;
use crate::time::format_micros;

use super::{CliError, Context, report};

#[derive(Debug, clap::Subcommand)]
pub enum ActorCommand {
    /// Add a person who signs changes with their key (admins only; the
    /// first actor of a ledger adds themselves as admin)
    Add(AddArgs),
    /// Replace an actor's key (their own, or anyone's for an admin)
    Rotate(RotateArgs),
    /// Stop an actor signing; what they signed stays valid (admins only)
    Revoke(RevokeArgs),
    /// List the actors, their roles and keys
    List,
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Their name, as every view shows it
    name: String,
    /// What they may do (repeatable): admin, assurance, agency:NAME, auditor
    #[arg(long = "role", value_name = "ROLE", required = true)]
    roles: Vec<String>,
    /// Their public key (SPKI PEM from 'planledger key new', or an
    /// 'ssh-ed25519' line)
    #[arg(long, value_name = "PUB")]
    public_key: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct RotateArgs {
    /// The actor whose key changes
    name: String,
    /// Their new public key
    #[arg(long, value_name = "PUB")]
    public_key: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct RevokeArgs {
    /// The actor to revoke
    name: String,
    /// Why (they left, their key was lost)
    #[arg(long)]
    reason: String,
}

pub fn run(
    ledger: &mut Ledger,
    context: &Context,
    command: &ActorCommand,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let (summary, command) = match command {
        ActorCommand::List => return list(ledger, out),
        ActorCommand::Add(args) => {
            text::all_typed(&[("NAME", &args.name)]).map_err(|e| CliError::Input(e.to_string()))?;
            let roles = args
                .roles
                .iter()
                .map(|r| r.parse::<Role>().map_err(CliError::Input))
                .collect::<Result<Vec<_>, _>>()?;
            let command = Command::AddActor {
                name: args.name.trim().to_string(),
                roles,
                key: crate::keys::read_public(&args.public_key)?.to_bytes(),
            };
            ("actor add", command)
        }
        ActorCommand::Rotate(args) => {
            let command = Command::RotateKey {
                name: known_name(ledger, &args.name),
                key: crate::keys::read_public(&args.public_key)?.to_bytes(),
            };
            ("actor rotate", command)
        }
        ActorCommand::Revoke(args) => {
            text::all_typed(&[("--reason", &args.reason)])
                .map_err(|e| CliError::Input(e.to_string()))?;
            let command = Command::RevokeActor {
                name: known_name(ledger, &args.name),
                reason: args.reason.clone(),
            };
            ("actor revoke", command)
        }
    };
    let receipt = context.transact(ledger, summary, vec![Stamped::from(command)])?;
    for event in &receipt.events {
        writeln!(
            out,
            "{}",
            crate::query::audit::change_in_words(&event.record, None)
        )?;
    }
    report(&receipt, out)
}

/// The actor's name as the ledger spells it, when a person typed it with
/// other case or spacing; else as typed, for the rule book to refuse.
fn known_name(ledger: &Ledger, typed: &str) -> String {
    find_actor_named(ledger.state(), typed)
        .map_or_else(|| typed.trim().to_string(), |a| a.name.clone())
}

fn list(ledger: &Ledger, out: &mut dyn Write) -> Result<(), CliError> {
    let state = ledger.state();
    if state.actors.is_empty() {
        writeln!(
            out,
            "no actors: changes are signed by a typed name (--actor) and shown as unsigned; 'planledger actor add NAME --role admin --public-key YOU.pub --key YOU.pem' adopts keys"
        )?;
        return Ok(());
    }
    for actor in state.actors.values() {
        let status = match &actor.revoked {
            Some(at) => format!("revoked {} (seq {})", format_micros(at.recorded_at), at.seq),
            None => "active".to_string(),
        };
        writeln!(
            out,
            "{}  {}  key {}  added {} (seq {})  {status}",
            actor.name,
            roles_text(&actor.roles),
            crate::keys::fingerprint_of(&actor.key),
            format_micros(actor.added.recorded_at),
            actor.added.seq
        )?;
        for (key, at) in &actor.former_keys {
            writeln!(
                out,
                "    former key {} (replaced {}, seq {})",
                crate::keys::fingerprint_of(key),
                format_micros(at.recorded_at),
                at.seq
            )?;
        }
    }
    Ok(())
}
