//! `planledger action add`, `action link` and `action amend`: add an
//! agency's action by hand, say which of the review's recommendations it
//! answers, and change its wording, lead, agency or scope.

use std::io::Write;

use clap::Subcommand;

use crate::command::{
    Command, choose_plan, resolve_action, unlisted_recommendations, unlisted_warning,
};
use crate::date::{FuzzyDate, Target};
use crate::event::LinkBasis;
use crate::id::{ParseIdError, RecId};
use crate::ledger::{Ledger, LedgerError, Stamped};
use crate::query::audit::{change_in_words, link_in_words};
use crate::text;

use super::{CliError, Context, parse_effective, parse_target, report};

#[derive(Debug, Subcommand)]
pub enum ActionCommand {
    /// Add an agency's action
    Add(ActionAddArgs),
    /// Say which of the review's recommendations an action answers, or
    /// confirm a link the importer found by wording
    Link(LinkArgs),
    /// Change an action's wording, lead, agency or scope, with a reason
    Amend(AmendArgs),
}

#[derive(Debug, clap::Args)]
pub struct ActionAddArgs {
    /// The action to be taken
    text: String,
    /// The agency that owns the action
    #[arg(long)]
    agency: String,
    /// The lead officer or team
    #[arg(long)]
    lead: Option<String>,
    /// The action's scope, e.g. 'Local'
    #[arg(long)]
    scope: Option<String>,
    /// A recommendation the action answers (repeatable): 3 or R3
    #[arg(long = "rec", value_name = "N", value_parser = parse_rec)]
    recommendations: Vec<RecId>,
    /// Target: YYYY-MM-DD, YYYY-MM, YYYY, or words such as 'Ongoing'
    #[arg(long, value_parser = parse_target)]
    target: Option<Target>,
    /// The plan (default: the only plan)
    #[arg(long)]
    plan: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct LinkArgs {
    /// The action, e.g. A5
    action: String,
    /// The recommendations of the review it answers: R2 or 2 (one or more)
    #[arg(
        value_name = "REC",
        value_parser = parse_rec,
        required_unless_present = "none",
        conflicts_with = "none"
    )]
    recommendations: Vec<RecId>,
    /// It answers none of the review's recommendations
    #[arg(long)]
    none: bool,
    /// Why: what makes this the recommendation it answers (or none)
    #[arg(long)]
    reason: String,
}

#[derive(Debug, clap::Args)]
pub struct AmendArgs {
    /// The action, e.g. A3
    action: String,
    /// Its new wording
    #[arg(long)]
    text: Option<String>,
    /// Its new lead (when the lead officer leaves or the team changes)
    #[arg(long, conflicts_with = "no_lead")]
    lead: Option<String>,
    /// It has no lead any more
    #[arg(long)]
    no_lead: bool,
    /// The agency that owns it now (a service moved, a plan handed to a
    /// successor partnership)
    #[arg(long)]
    agency: Option<String>,
    /// Its new scope, e.g. 'Local'
    #[arg(long, conflicts_with = "no_scope")]
    scope: Option<String>,
    /// It has no scope any more
    #[arg(long)]
    no_scope: bool,
    /// Why it changed
    #[arg(long)]
    reason: String,
    /// When it changed in the world: YYYY-MM-DD, YYYY-MM or YYYY (default: today)
    #[arg(long, value_parser = parse_effective, value_name = "DATE")]
    effective: Option<FuzzyDate>,
}

/// Refuses typed text that holds a control or text-direction character,
/// naming the argument (`text::typed`), before anything is read or written.
fn typed(arguments: &[(&'static str, &str)]) -> Result<(), CliError> {
    text::all_typed(arguments).map_err(|e| CliError::Input(e.to_string()))
}

fn parse_rec(text: &str) -> Result<RecId, String> {
    text.parse().map_err(|e: ParseIdError| e.to_string())
}

pub fn run(
    ledger: &mut Ledger,
    context: &Context,
    command: &ActionCommand,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    match command {
        ActionCommand::Add(args) => add(ledger, context, args, out),
        ActionCommand::Link(args) => link(ledger, context, args, out),
        ActionCommand::Amend(args) => amend(ledger, context, args, out),
    }
}

fn add(
    ledger: &mut Ledger,
    context: &Context,
    args: &ActionAddArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    typed(&[
        ("TEXT", &args.text),
        ("--agency", &args.agency),
        ("--lead", args.lead.as_deref().unwrap_or_default()),
        ("--scope", args.scope.as_deref().unwrap_or_default()),
        (
            "--target",
            args.target.as_ref().map_or("", |t| t.text.as_str()),
        ),
        ("--plan", args.plan.as_deref().unwrap_or_default()),
    ])?;
    let state = ledger.state();
    let plan =
        choose_plan(state, args.plan.as_deref()).map_err(crate::ledger::LedgerError::from)?;
    // A cited recommendation the plan does not list is kept, and a warning
    // is recorded with the action, as an import records it.
    let action = state.next_action_id();
    let warnings: Vec<String> = match state.plans.get(&plan) {
        Some(listed) => unlisted_recommendations(listed, &args.recommendations)
            .into_iter()
            .map(|number| unlisted_warning(number, None))
            .collect(),
        None => Vec::new(),
    };
    let mut commands = vec![Stamped::from(Command::AddAction {
        plan,
        agency: args.agency.clone(),
        lead: args.lead.clone(),
        text: args.text.clone(),
        scope: args.scope.clone(),
        recommendations: args.recommendations.clone(),
        target: args.target.clone(),
    })];
    commands.extend(warnings.iter().map(|message| {
        Stamped::from(Command::Warn {
            action: Some(action),
            message: message.clone(),
        })
    }));
    let receipt = context.transact(ledger, "action add", commands)?;
    writeln!(out, "Added {action} to {plan}")?;
    for warning in &warnings {
        writeln!(out, "warning: {warning}")?;
    }
    report(&receipt, out)
}

/// Records a link a person states: to the recommendations named (each one
/// the plan lists; the rule book says which it does list, and suggests the
/// nearest), or with `--none` to none of them.
fn link(
    ledger: &mut Ledger,
    context: &Context,
    args: &LinkArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    typed(&[("ACTION", &args.action), ("--reason", &args.reason)])?;
    let action = resolve_action(ledger.state(), &args.action).map_err(LedgerError::from)?;
    let receipt = context.transact(
        ledger,
        &format!("action link {action}"),
        vec![Stamped::from(Command::Link {
            action,
            recommendations: args.recommendations.clone(),
            basis: LinkBasis::Stated,
            note: Some(args.reason.clone()),
        })],
    )?;
    if let Some(current) = ledger.state().actions.get(&action) {
        let link = current.link.as_ref();
        writeln!(
            out,
            "{action}: {}",
            link_in_words(
                &current.recommendations,
                link.map_or(LinkBasis::Stated, |l| l.basis),
                link.and_then(|l| l.note.as_deref()),
                &receipt
                    .events
                    .first()
                    .map_or(String::new(), |e| e.record.actor.clone()),
            )
        )?;
    }
    report(&receipt, out)
}

/// Records an amendment: each field given changes, the rest stay.
fn amend(
    ledger: &mut Ledger,
    context: &Context,
    args: &AmendArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    typed(&[
        ("ACTION", &args.action),
        ("--text", args.text.as_deref().unwrap_or_default()),
        ("--lead", args.lead.as_deref().unwrap_or_default()),
        ("--agency", args.agency.as_deref().unwrap_or_default()),
        ("--scope", args.scope.as_deref().unwrap_or_default()),
        ("--reason", &args.reason),
    ])?;
    let action = resolve_action(ledger.state(), &args.action).map_err(LedgerError::from)?;
    let before = ledger.state().actions.get(&action).cloned();
    let removed_or = |no: bool, value: &Option<String>| {
        if no {
            Some(None)
        } else {
            value.clone().map(Some)
        }
    };
    let receipt = context.transact(
        ledger,
        &format!("action amend {action}"),
        vec![Stamped {
            command: Command::Amend {
                action,
                text: args.text.clone(),
                lead: removed_or(args.no_lead, &args.lead),
                agency: args.agency.clone(),
                scope: removed_or(args.no_scope, &args.scope),
                reason: args.reason.clone(),
            },
            effective: args.effective,
            source: None,
        }],
    )?;
    if let Some(event) = receipt.events.first() {
        writeln!(
            out,
            "{action}: {}",
            change_in_words(&event.record, before.as_ref())
        )?;
    }
    report(&receipt, out)
}
