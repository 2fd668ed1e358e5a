//! The commands that record what happened to an action: `status`, `note`,
//! `claim`, `accept`, `challenge`, `withdraw` and `retarget`.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::command::{Command, resolve_action};
use crate::date::{FuzzyDate, Target};
use crate::event::Evidence;
use crate::id::ActionId;
use crate::ledger::{Ledger, LedgerError, Receipt, Stamped};
use crate::status::Status;
use crate::time::format_micros;

use super::plan::parse_target;
use super::{CliError, Context, parse_effective};

/// When it happened, for every recording command.
#[derive(Debug, clap::Args)]
pub struct Effective {
    /// When this happened in the world: YYYY-MM-DD, YYYY-MM or YYYY (default: today)
    #[arg(long, value_parser = parse_effective, value_name = "DATE")]
    effective: Option<FuzzyDate>,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The action, e.g. A3
    action: String,
    /// The new status (claims, assurance decisions and withdrawal have their
    /// own commands)
    #[arg(value_parser = status_parser())]
    status: Status,
    /// Why the status changed
    #[arg(long)]
    reason: String,
    #[command(flatten)]
    effective: Effective,
}

#[derive(Debug, clap::Args)]
pub struct NoteArgs {
    /// The action, e.g. A3
    action: String,
    /// What was reached or done
    note: String,
    #[command(flatten)]
    effective: Effective,
}

#[derive(Debug, clap::Args)]
pub struct ClaimArgs {
    /// The action, e.g. A3
    action: String,
    /// The outcome achieved
    #[arg(long)]
    outcome: String,
    /// A file that evidences the outcome (repeatable); its name, size and
    /// BLAKE3 hash are recorded, not its content
    #[arg(long, value_name = "FILE")]
    evidence: Vec<PathBuf>,
    #[command(flatten)]
    effective: Effective,
}

#[derive(Debug, clap::Args)]
pub struct DecisionArgs {
    /// The action, e.g. A3
    action: String,
    /// What the assurance lead found
    #[arg(long)]
    finding: String,
    #[command(flatten)]
    effective: Effective,
}

#[derive(Debug, clap::Args)]
pub struct WithdrawArgs {
    /// The action, e.g. A3
    action: String,
    /// Why the action is no longer pursued
    #[arg(long)]
    reason: String,
    #[command(flatten)]
    effective: Effective,
}

#[derive(Debug, clap::Args)]
pub struct RetargetArgs {
    /// The action, e.g. A3
    action: String,
    /// The new target: YYYY-MM-DD, YYYY-MM, YYYY, or words such as 'Ongoing'
    #[arg(value_parser = parse_target)]
    target: Target,
    /// Why the target changed
    #[arg(long)]
    reason: String,
    #[command(flatten)]
    effective: Effective,
}

pub fn status(
    ledger: &mut Ledger,
    context: &Context,
    args: &StatusArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let action = resolve(ledger, &args.action)?;
    let command = Command::SetStatus {
        action,
        to: args.status,
        reason: args.reason.clone(),
    };
    record(ledger, context, "status", command, &args.effective, out)
}

pub fn note(
    ledger: &mut Ledger,
    context: &Context,
    args: &NoteArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let action = resolve(ledger, &args.action)?;
    let command = Command::NoteMilestone {
        action,
        note: args.note.clone(),
    };
    record(ledger, context, "note", command, &args.effective, out)
}

pub fn claim(
    ledger: &mut Ledger,
    context: &Context,
    args: &ClaimArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let action = resolve(ledger, &args.action)?;
    let evidence = args
        .evidence
        .iter()
        .map(|path| hash_evidence(path))
        .collect::<Result<Vec<_>, _>>()?;
    let command = Command::Claim {
        action,
        outcome: args.outcome.clone(),
        evidence,
    };
    record(ledger, context, "claim", command, &args.effective, out)
}

pub fn decide(
    ledger: &mut Ledger,
    context: &Context,
    args: &DecisionArgs,
    accept: bool,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let action = resolve(ledger, &args.action)?;
    let finding = args.finding.clone();
    let (name, command) = if accept {
        ("accept", Command::Accept { action, finding })
    } else {
        ("challenge", Command::Challenge { action, finding })
    };
    record(ledger, context, name, command, &args.effective, out)
}

pub fn withdraw(
    ledger: &mut Ledger,
    context: &Context,
    args: &WithdrawArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let action = resolve(ledger, &args.action)?;
    let command = Command::Withdraw {
        action,
        reason: args.reason.clone(),
    };
    record(ledger, context, "withdraw", command, &args.effective, out)
}

pub fn retarget(
    ledger: &mut Ledger,
    context: &Context,
    args: &RetargetArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let action = resolve(ledger, &args.action)?;
    let command = Command::Retarget {
        action,
        target: Some(args.target.clone()),
        reason: args.reason.clone(),
    };
    record(ledger, context, "retarget", command, &args.effective, out)
}

/// The statuses by name, so that a wrong one is a usage error listing them.
fn status_parser() -> impl clap::builder::TypedValueParser<Value = Status> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Status::ALL.map(Status::as_str))
        .try_map(|name| name.parse::<Status>())
}

fn resolve(ledger: &Ledger, typed: &str) -> Result<ActionId, CliError> {
    resolve_action(ledger.state(), typed).map_err(|e| CliError::Ledger(LedgerError::Refused(e)))
}

fn record(
    ledger: &mut Ledger,
    context: &Context,
    name: &str,
    command: Command,
    effective: &Effective,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let action = match &command {
        Command::SetStatus { action, .. }
        | Command::NoteMilestone { action, .. }
        | Command::Claim { action, .. }
        | Command::Accept { action, .. }
        | Command::Challenge { action, .. }
        | Command::Withdraw { action, .. }
        | Command::Retarget { action, .. } => action.to_string(),
        _ => String::new(),
    };
    let receipt = ledger.transact(
        context.actor()?,
        &format!("{name} {action}"),
        vec![Stamped {
            command,
            effective: effective.effective,
            source: None,
        }],
    )?;
    if let Some(current) = ledger
        .state()
        .actions
        .values()
        .find(|a| a.id.to_string() == action)
    {
        writeln!(out, "{action} is now {}", current.status)?;
    }
    report(&receipt, out)
}

/// Says what was written: the sequence numbers and the new head.
pub(crate) fn report(receipt: &Receipt, out: &mut dyn Write) -> Result<(), CliError> {
    let (Some(first), Some(last)) = (receipt.events.first(), receipt.events.last()) else {
        return Ok(());
    };
    let seqs = if first.seq == last.seq {
        format!("seq {}", first.seq)
    } else {
        format!("seq {}–{}", first.seq, last.seq)
    };
    writeln!(
        out,
        "recorded {seqs} at {}, head {}",
        format_micros(last.record.recorded_at),
        &hex::encode(last.hash)[..16]
    )?;
    if let Some(read) = receipt.clock_held {
        writeln!(
            out,
            "note: the clock read {}, earlier than the ledger's last entry; the entry's time was used instead",
            format_micros(read)
        )?;
    }
    Ok(())
}

/// Names, sizes and hashes an evidence file without keeping its content.
fn hash_evidence(path: &Path) -> Result<Evidence, CliError> {
    let unreadable = |e: io::Error| {
        CliError::Input(format!("cannot read evidence file {}: {e}", path.display()))
    };
    let file = File::open(path).map_err(unreadable)?;
    let metadata = file.metadata().map_err(unreadable)?;
    if !metadata.is_file() {
        return Err(CliError::Input(format!(
            "evidence {} is not a file",
            path.display()
        )));
    }
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(file).map_err(unreadable)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    Ok(Evidence {
        name,
        size: metadata.len(),
        blake3: *hasher.finalize().as_bytes(),
    })
}
