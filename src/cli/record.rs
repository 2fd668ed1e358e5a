//! The commands that record what happened to an action: `status`, `note`,
//! `claim`, `accept`, `challenge`, `withdraw` and `retarget`.

use std::io::Write;
use std::path::PathBuf;

use crate::command::{Command, resolve_action};
use crate::date::{FuzzyDate, Target};
use crate::evidence;
use crate::id::ActionId;
use crate::ledger::{Ledger, LedgerError, Stamped};
use crate::rules::decision_order_unknown;
use crate::status::Status;
use crate::text;

use super::{CliError, Context, parse_effective, parse_target, report};

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
    typed(&[("ACTION", &args.action), ("--reason", &args.reason)])?;
    let action = resolve(ledger, &args.action)?;
    let command = Command::SetStatus {
        action,
        to: args.status,
        reason: args.reason.clone(),
    };
    record(
        ledger,
        context,
        "status",
        action,
        command,
        &args.effective,
        out,
    )
}

pub fn note(
    ledger: &mut Ledger,
    context: &Context,
    args: &NoteArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    typed(&[("ACTION", &args.action), ("NOTE", &args.note)])?;
    let action = resolve(ledger, &args.action)?;
    let command = Command::NoteMilestone {
        action,
        note: args.note.clone(),
    };
    record(
        ledger,
        context,
        "note",
        action,
        command,
        &args.effective,
        out,
    )
}

pub fn claim(
    ledger: &mut Ledger,
    context: &Context,
    args: &ClaimArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    typed(&[("ACTION", &args.action), ("--outcome", &args.outcome)])?;
    for path in &args.evidence {
        typed(&[("--evidence", &path.to_string_lossy())])?;
    }
    let action = resolve(ledger, &args.action)?;
    let evidence = args
        .evidence
        .iter()
        .map(|path| evidence::hash_file(path))
        .collect::<Result<Vec<_>, _>>()?;
    let command = Command::Claim {
        action,
        outcome: args.outcome.clone(),
        evidence,
    };
    record(
        ledger,
        context,
        "claim",
        action,
        command,
        &args.effective,
        out,
    )
}

pub fn decide(
    ledger: &mut Ledger,
    context: &Context,
    args: &DecisionArgs,
    accept: bool,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    typed(&[("ACTION", &args.action), ("--finding", &args.finding)])?;
    let action = resolve(ledger, &args.action)?;
    let finding = args.finding.clone();
    let (name, command) = if accept {
        ("accept", Command::Accept { action, finding })
    } else {
        ("challenge", Command::Challenge { action, finding })
    };
    // The claim decided: the pending one now, the last one once recorded.
    let claimed = ledger
        .state()
        .actions
        .get(&action)
        .and_then(|a| a.pending_claim())
        .map(|c| c.at.effective);
    record(ledger, context, name, action, command, &args.effective, out)?;
    if let (Some(claimed), Some(decided)) = (claimed, args.effective.effective)
        && decision_order_unknown(claimed, decided)
    {
        writeln!(
            out,
            "note: the claim is dated {claimed} and this decision {decided}, inside that period: recorded, though the dates cannot show which came first"
        )?;
    }
    Ok(())
}

pub fn withdraw(
    ledger: &mut Ledger,
    context: &Context,
    args: &WithdrawArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    typed(&[("ACTION", &args.action), ("--reason", &args.reason)])?;
    let action = resolve(ledger, &args.action)?;
    let command = Command::Withdraw {
        action,
        reason: args.reason.clone(),
    };
    record(
        ledger,
        context,
        "withdraw",
        action,
        command,
        &args.effective,
        out,
    )
}

pub fn retarget(
    ledger: &mut Ledger,
    context: &Context,
    args: &RetargetArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    typed(&[
        ("ACTION", &args.action),
        ("TARGET", &args.target.text),
        ("--reason", &args.reason),
    ])?;
    let action = resolve(ledger, &args.action)?;
    let command = Command::Retarget {
        action,
        target: Some(args.target.clone()),
        reason: args.reason.clone(),
    };
    record(
        ledger,
        context,
        "retarget",
        action,
        command,
        &args.effective,
        out,
    )
}

/// The statuses by name, so that a wrong one is a usage error listing them.
fn status_parser() -> impl clap::builder::TypedValueParser<Value = Status> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Status::ALL.map(Status::as_str))
        .try_map(|name| name.parse::<Status>())
}

/// Refuses typed text that holds a control or text-direction character,
/// naming the argument (`text::typed`), before anything is read or written.
fn typed(arguments: &[(&'static str, &str)]) -> Result<(), CliError> {
    text::all_typed(arguments).map_err(|e| CliError::Input(e.to_string()))
}

fn resolve(ledger: &Ledger, typed: &str) -> Result<ActionId, CliError> {
    resolve_action(ledger.state(), typed).map_err(|e| CliError::Ledger(LedgerError::Refused(e)))
}

/// Records one command about `action` as its own transaction and says
/// where the action now stands.
fn record(
    ledger: &mut Ledger,
    context: &Context,
    name: &str,
    action: ActionId,
    command: Command,
    effective: &Effective,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let receipt = ledger.transact(
        context.actor()?,
        &format!("{name} {action}"),
        vec![Stamped {
            command,
            effective: effective.effective,
            source: None,
        }],
    )?;
    if let Some(current) = ledger.state().actions.get(&action) {
        writeln!(out, "{action} is now {}", current.status)?;
    }
    report(&receipt, out)
}
