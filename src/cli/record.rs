//! The commands that record what happened to an action: `status`, `note`,
//! `claim`, `accept`, `challenge`, `withdraw` and `retarget`.

use std::io::Write;
use std::path::PathBuf;

use crate::command::{Command, resolve_action};
use crate::date::{FuzzyDate, Target};
use crate::evidence;
use crate::id::{ActionId, Id};
use crate::ledger::{Ledger, LedgerError, Stamped};
use crate::request::{RequestHead, SignedRequest};
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

/// The commands that record what happened to an action, as typed.
#[derive(Debug, clap::Subcommand)]
pub enum Asked {
    /// Change an action's status, with a reason
    Status(StatusArgs),
    /// Note a milestone reached on an action
    Note(NoteArgs),
    /// Claim an action complete, with its outcome and evidence
    Claim(ClaimArgs),
    /// Accept the claim awaiting assurance (assurance leads)
    Accept(DecisionArgs),
    /// Challenge the claim awaiting assurance (assurance leads)
    Challenge(DecisionArgs),
    /// Withdraw an action that is no longer pursued, with a reason
    Withdraw(WithdrawArgs),
    /// Change an action's target, with a reason
    Retarget(RetargetArgs),
}

/// One asked-for change: its name for the summary, its action, the
/// command and when it happened.
struct Drafted {
    name: &'static str,
    action: ActionId,
    command: Command,
    effective: Option<FuzzyDate>,
}

impl Asked {
    /// The command asked for, its action resolved by `resolve`; text typed
    /// with hidden characters and unreadable evidence files are refused
    /// before anything is read or written.
    fn draft(
        &self,
        resolve: &dyn Fn(&str) -> Result<ActionId, CliError>,
    ) -> Result<Drafted, CliError> {
        let (name, action, command, effective) = match self {
            Asked::Status(args) => {
                typed(&[("ACTION", &args.action), ("--reason", &args.reason)])?;
                let action = resolve(&args.action)?;
                let command = Command::SetStatus {
                    action,
                    to: args.status,
                    reason: args.reason.clone(),
                };
                ("status", action, command, &args.effective)
            }
            Asked::Note(args) => {
                typed(&[("ACTION", &args.action), ("NOTE", &args.note)])?;
                let action = resolve(&args.action)?;
                let command = Command::NoteMilestone {
                    action,
                    note: args.note.clone(),
                };
                ("note", action, command, &args.effective)
            }
            Asked::Claim(args) => {
                typed(&[("ACTION", &args.action), ("--outcome", &args.outcome)])?;
                for path in &args.evidence {
                    typed(&[("--evidence", &path.to_string_lossy())])?;
                }
                let action = resolve(&args.action)?;
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
                ("claim", action, command, &args.effective)
            }
            Asked::Accept(args) | Asked::Challenge(args) => {
                typed(&[("ACTION", &args.action), ("--finding", &args.finding)])?;
                let action = resolve(&args.action)?;
                let finding = args.finding.clone();
                let (name, command) = match self {
                    Asked::Accept(_) => ("accept", Command::Accept { action, finding }),
                    _ => ("challenge", Command::Challenge { action, finding }),
                };
                (name, action, command, &args.effective)
            }
            Asked::Withdraw(args) => {
                typed(&[("ACTION", &args.action), ("--reason", &args.reason)])?;
                let action = resolve(&args.action)?;
                let command = Command::Withdraw {
                    action,
                    reason: args.reason.clone(),
                };
                ("withdraw", action, command, &args.effective)
            }
            Asked::Retarget(args) => {
                typed(&[
                    ("ACTION", &args.action),
                    ("TARGET", &args.target.text),
                    ("--reason", &args.reason),
                ])?;
                let action = resolve(&args.action)?;
                let command = Command::Retarget {
                    action,
                    target: Some(args.target.clone()),
                    reason: args.reason.clone(),
                };
                ("retarget", action, command, &args.effective)
            }
        };
        Ok(Drafted {
            name,
            action,
            command,
            effective: effective.effective,
        })
    }
}

/// Records one asked-for change as its own transaction and says where the
/// action now stands.
pub fn run(
    ledger: &mut Ledger,
    context: &Context,
    asked: &Asked,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let drafted = asked.draft(&|typed| resolve(ledger, typed))?;
    // The claim a decision decides: the pending one now.
    let claimed = ledger
        .state()
        .actions
        .get(&drafted.action)
        .and_then(|a| a.pending_claim())
        .map(|c| c.effective);
    let action = drafted.action;
    let receipt = context.transact(
        ledger,
        &format!("{} {action}", drafted.name),
        vec![Stamped {
            command: drafted.command,
            effective: drafted.effective,
            source: None,
        }],
    )?;
    if let Some(current) = ledger.state().actions.get(&action) {
        writeln!(out, "{action} is now {}", current.status)?;
    }
    report(&receipt, out)?;
    if let (Asked::Accept(_) | Asked::Challenge(_), Some(claimed), Some(decided)) =
        (asked, claimed, drafted.effective)
        && decision_order_unknown(claimed, decided)
    {
        writeln!(
            out,
            "note: the claim is dated {claimed} and this decision {decided}, inside that period: recorded, though the dates cannot show which came first"
        )?;
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct RequestArgs {
    /// The ledger the request is for: its id, as 'planledger verify' or the
    /// assurance lead gives it (32 hex digits)
    #[arg(long, value_name = "ID")]
    ledger_id: String,
    /// Where to write the request (a return file, e.g. return.plreq;
    /// required, before or after the change asked for)
    #[arg(short, long, value_name = "FILE", global = true)]
    output: Option<PathBuf>,
    #[command(subcommand)]
    asked: Asked,
}

/// `planledger request`: makes and signs a request without a copy of the
/// ledger, and writes it to a return file for the ledger's keeper to
/// apply. Action ids are taken as typed; the ledger checks them when the
/// request is applied.
pub fn request(context: &Context, args: &RequestArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let output = args.output.as_deref().ok_or_else(|| {
        CliError::Input("say where to write the request with -o FILE (e.g. -o return.plreq)".into())
    })?;
    let ledger_id: [u8; 16] = hex::decode(args.ledger_id.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            CliError::Input(format!(
                "--ledger-id '{}' is not a ledger id: 32 hex digits, as 'planledger verify' prints it",
                args.ledger_id.trim()
            ))
        })?;
    let key = context.signing_key()?.ok_or_else(|| {
        CliError::Input(
            "a request is signed: give your private key with --key FILE (or PLANLEDGER_KEY)".into(),
        )
    })?;
    let signer = context.actor().map_err(|_| {
        CliError::Input(
            "say the name the ledger knows you by with --actor NAME (or PLANLEDGER_ACTOR)".into(),
        )
    })?;
    let drafted = args.asked.draft(&|typed| {
        ActionId::parse(typed)
            .map_err(|e| CliError::Input(format!("'{}' is not an action id: {e}", typed.trim())))
    })?;
    let signed = SignedRequest::sign(
        &key,
        RequestHead {
            ledger_id,
            head_seen: None,
            signer: signer.to_string(),
            made_at: context.clock.now(),
        },
        vec![Stamped {
            command: drafted.command,
            effective: drafted.effective,
            source: None,
        }],
    )
    .map_err(|e| CliError::Input(e.to_string()))?;
    write_new_file(output, signed.to_return().as_bytes())?;
    writeln!(
        out,
        "wrote {}: {} {} for ledger {}, signed by {signer} with key {}",
        output.display(),
        drafted.name,
        drafted.action,
        hex::encode(ledger_id),
        crate::keys::fingerprint(&key.verifying_key())
    )?;
    writeln!(
        out,
        "send it to the ledger's keeper, who runs: planledger apply {}",
        output.display()
    )?;
    Ok(())
}

/// Writes `bytes` to a new file at `path`, never replacing one.
fn write_new_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), CliError> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| CliError::Input(format!("cannot create {}: {e}", path.display())))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
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
