//! `planledger show`: the plan as it stands, as a table or as JSON. The
//! filters are `query::select`'s, the rows `query::report`'s and the JSON
//! `wire::Show`; this file parses the arguments and prints.

use std::io::Write;

use comfy_table::{ContentArrangement, Table, presets};

use crate::command::resolve_plan;
use crate::ledger::{Ledger, LedgerError};
use crate::projection::{Action, State};
use crate::query::audit::{clip, upgraded_from_words};
use crate::query::coverage;
use crate::query::report::{ActionRow, UNCONFIRMED_LEGEND};
use crate::query::select::Select;
use crate::text::visible;
use crate::time::format_short;
use crate::wire;

use super::CliError;
use super::when::{TimeArgs, before_ledger};

#[derive(Debug, Default, clap::Args)]
pub struct Args {
    /// Print JSON instead of a table
    #[arg(long)]
    json: bool,
    /// Only this plan, e.g. P1
    #[arg(long)]
    plan: Option<String>,
    /// Only actions of agencies whose name contains this
    #[arg(long)]
    agency: Option<String>,
    /// Only overdue actions
    #[arg(long)]
    overdue: bool,
    #[command(flatten)]
    when: TimeArgs,
}

impl Args {
    pub fn as_of(when: &str) -> Args {
        Args {
            when: TimeArgs::as_of(when),
            ..Args::default()
        }
    }
}

pub fn run(ledger: &Ledger, args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let resolved = args.when.resolve(ledger)?;
    if !args.json {
        resolved.write_notes(out)?;
    }
    let today = resolved.day;
    let state = ledger.state_view(resolved.view)?;
    if before_ledger(&state, &args.when, out)? {
        return Ok(());
    }
    let select = Select {
        plan: args
            .plan
            .as_deref()
            .map(|p| resolve_plan(&state, p).map_err(LedgerError::from))
            .transpose()?,
        agency: args.agency.clone(),
        overdue_on: args.overdue.then_some(today),
    };
    // Coverage is of the whole plan: a view of some agencies' actions would
    // list every recommendation the others answer as having no action.
    let whole_plans = select.agency.is_none() && select.overdue_on.is_none();
    let state = select.apply(state);
    if args.json {
        wire::Show::new(&state, ledger, today).write(out)?;
        return Ok(());
    }
    if let Some(from) = state.ledger.as_ref().and_then(|l| l.upgraded_from.as_ref()) {
        writeln!(out, "Upgraded from {}", upgraded_from_words(from))?;
        writeln!(out)?;
    }
    write_table(&state, today, whole_plans, out)
}

fn write_table(
    state: &State,
    today: chrono::NaiveDate,
    with_coverage: bool,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    if state.plans.is_empty() {
        writeln!(
            out,
            "The ledger holds no plan yet. Add one with 'planledger plan add' or 'planledger import FILE'."
        )?;
        return Ok(());
    }
    let by_plan = state.actions_by_plan();
    for plan in state.plans.values() {
        let actions: &[&Action] = by_plan.get(&plan.id).map_or(&[], Vec::as_slice);
        writeln!(out, "{}  {}", plan.id, visible(&plan.title()))?;
        let mut facts = Vec::new();
        if let Some(chair) = &plan.chair {
            facts.push(format!("chair {}", visible(chair)));
        }
        if let Some(published) = plan.published {
            facts.push(format!("published {published}"));
        }
        facts.push(count(plan.recommendations.len(), "recommendation"));
        facts.push(count(actions.len(), "action"));
        let overdue = actions.iter().filter(|a| a.is_overdue(today)).count();
        if overdue > 0 {
            facts.push(format!("{overdue} overdue on {today}"));
        }
        writeln!(out, "    {}", facts.join(" · "))?;
        if actions.is_empty() {
            writeln!(out)?;
            continue;
        }
        let mut table = Table::new();
        table
            .load_preset(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header([
                "id",
                "agency",
                "action",
                "recs",
                "status",
                "target",
                "overdue",
                "last change",
            ]);
        let mut unconfirmed = false;
        for action in actions {
            let row = ActionRow::of(action, today);
            unconfirmed |= row.unconfirmed;
            table.add_row([
                row.id.to_string(),
                clip(&visible(row.agency), 28),
                clip(&visible(row.text), 60),
                row.recommendations,
                row.status.to_string(),
                if row.target.is_empty() {
                    String::from("—")
                } else {
                    clip(&visible(&row.target), 32)
                },
                if row.overdue {
                    "overdue".into()
                } else {
                    String::new()
                },
                format!(
                    "{} by {}",
                    format_short(row.last_changed.recorded_at),
                    clip(&visible(&row.last_changed.actor), 24)
                ),
            ]);
        }
        writeln!(out, "{table}")?;
        if unconfirmed {
            writeln!(out, "    {UNCONFIRMED_LEGEND}")?;
        }
        if with_coverage {
            for sentence in coverage::sentences(&coverage::of_actions(state, plan.id, actions)) {
                writeln!(out, "    {sentence}")?;
            }
        }
        writeln!(out)?;
    }
    Ok(())
}

/// "1 action", "26 actions".
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
