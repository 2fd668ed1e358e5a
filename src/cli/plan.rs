//! `planledger plan add`, `rec add` and `action add`: build a plan by hand.

use std::io::Write;

use clap::Subcommand;

use crate::command::{Command, choose_plan, unlisted_recommendations, unlisted_warning};
use crate::date::{FuzzyDate, Target};
use crate::event::Event;
use crate::id::{ParseIdError, RecId};
use crate::ledger::{Ledger, Stamped};
use crate::text;

use super::{CliError, Context, parse_effective, parse_target, report};

#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Add a plan: one review's action plan
    Add(PlanAddArgs),
}

#[derive(Debug, clap::Args)]
pub struct PlanAddArgs {
    /// The Community Safety Partnership that owns the plan
    #[arg(long)]
    partnership: String,
    /// The review's name, e.g. 'Alice'
    #[arg(long)]
    review: String,
    /// The independent chair
    #[arg(long)]
    chair: Option<String>,
    /// Publication date: YYYY-MM-DD, YYYY-MM or YYYY
    #[arg(long, value_parser = parse_effective)]
    published: Option<FuzzyDate>,
}

#[derive(Debug, Subcommand)]
pub enum RecCommand {
    /// Add a numbered recommendation
    Add(RecAddArgs),
}

#[derive(Debug, clap::Args)]
pub struct RecAddArgs {
    /// The recommendation's text
    text: String,
    /// Its number in the review (default: the next free number)
    #[arg(long, value_parser = parse_rec)]
    number: Option<RecId>,
    /// The plan (default: the only plan)
    #[arg(long)]
    plan: Option<String>,
    /// Its scope, e.g. 'Local' or 'National'
    #[arg(long)]
    scope: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ActionCommand {
    /// Add an agency's action
    Add(ActionAddArgs),
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

/// Refuses typed text that holds a control or text-direction character,
/// naming the argument (`text::typed`), before anything is read or written.
fn typed(arguments: &[(&'static str, &str)]) -> Result<(), CliError> {
    text::all_typed(arguments).map_err(|e| CliError::Input(e.to_string()))
}

fn parse_rec(text: &str) -> Result<RecId, String> {
    text.parse().map_err(|e: ParseIdError| e.to_string())
}

pub fn run_plan(
    ledger: &mut Ledger,
    context: &Context,
    command: &PlanCommand,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let PlanCommand::Add(args) = command;
    typed(&[
        ("--partnership", &args.partnership),
        ("--review", &args.review),
        ("--chair", args.chair.as_deref().unwrap_or_default()),
    ])?;
    let receipt = ledger.transact(
        context.actor()?,
        "plan add",
        vec![Stamped::from(Command::AddPlan {
            partnership: args.partnership.clone(),
            review: args.review.clone(),
            chair: args.chair.clone(),
            published: args.published,
        })],
    )?;
    if let Some(Event::PlanAdded { plan, .. }) = receipt.events.first().map(|e| &e.record.event) {
        writeln!(out, "Added plan {}", plan)?;
    }
    report(&receipt, out)
}

pub fn run_rec(
    ledger: &mut Ledger,
    context: &Context,
    command: &RecCommand,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let RecCommand::Add(args) = command;
    typed(&[
        ("TEXT", &args.text),
        ("--plan", args.plan.as_deref().unwrap_or_default()),
        ("--scope", args.scope.as_deref().unwrap_or_default()),
    ])?;
    let plan = choose_plan(ledger.state(), args.plan.as_deref())
        .map_err(crate::ledger::LedgerError::from)?;
    let receipt = ledger.transact(
        context.actor()?,
        "rec add",
        vec![Stamped::from(Command::AddRecommendation {
            plan,
            number: args.number,
            text: args.text.clone(),
            scope: args.scope.clone(),
        })],
    )?;
    if let Some(Event::RecommendationAdded { number, .. }) =
        receipt.events.first().map(|e| &e.record.event)
    {
        writeln!(out, "Added {} to {}", number, plan)?;
    }
    report(&receipt, out)
}

pub fn run_action(
    ledger: &mut Ledger,
    context: &Context,
    command: &ActionCommand,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let ActionCommand::Add(args) = command;
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
    let receipt = ledger.transact(context.actor()?, "action add", commands)?;
    writeln!(out, "Added {action} to {plan}")?;
    for warning in &warnings {
        writeln!(out, "warning: {warning}")?;
    }
    report(&receipt, out)
}
