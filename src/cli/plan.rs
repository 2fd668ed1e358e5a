//! `planledger plan add` and `rec add`: build a plan by hand (`action`
//! holds `action add`).

use std::io::Write;

use clap::Subcommand;

use crate::command::{Command, choose_plan};
use crate::date::FuzzyDate;
use crate::event::Event;
use crate::id::{ParseIdError, RecId};
use crate::ledger::{Ledger, Stamped};
use crate::text;

use super::{CliError, Context, parse_effective, report};

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
    let receipt = context.transact(
        ledger,
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
    let receipt = context.transact(
        ledger,
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
