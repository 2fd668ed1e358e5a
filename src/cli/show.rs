//! `planledger show`: the plan as it stands, as a table or as JSON.

use std::io::Write;

use comfy_table::{ContentArrangement, Table, presets};

use crate::export;
use crate::ledger::Ledger;
use crate::projection::{Action, State};
use crate::query::audit::clip;
use crate::time::format_short;

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
    let mut state = ledger.state_view(resolved.view)?;
    if before_ledger(&state, &args.when, out)? {
        return Ok(());
    }
    if let Some(plan) = &args.plan {
        let plan =
            crate::command::resolve_plan(&state, plan).map_err(crate::ledger::LedgerError::from)?;
        state.plans.retain(|id, _| *id == plan);
        state.actions.retain(|_, a| a.plan == plan);
    }
    if let Some(agency) = &args.agency {
        let wanted = agency.to_lowercase();
        state
            .actions
            .retain(|_, a| a.agency.to_lowercase().contains(&wanted));
    }
    if args.overdue {
        state.actions.retain(|_, a| a.is_overdue(today));
    }
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &export::json::state(&state, today))
            .map_err(std::io::Error::from)?;
        writeln!(out)?;
        return Ok(());
    }
    write_table(&state, today, out)
}

fn write_table(
    state: &State,
    today: chrono::NaiveDate,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    if state.plans.is_empty() {
        writeln!(
            out,
            "The ledger holds no plan yet. Add one with 'planledger plan add' or 'planledger import FILE'."
        )?;
        return Ok(());
    }
    for plan in state.plans.values() {
        let actions: Vec<&Action> = state
            .actions
            .values()
            .filter(|a| a.plan == plan.id)
            .collect();
        writeln!(out, "{}  {}", plan.id, plan.title())?;
        let mut facts = Vec::new();
        if let Some(chair) = &plan.chair {
            facts.push(format!("chair {chair}"));
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
        for action in actions {
            let recs: Vec<String> = action
                .recommendations
                .iter()
                .map(|n| n.to_string())
                .collect();
            table.add_row([
                action.id.to_string(),
                clip(&action.agency, 28),
                clip(&action.text, 60),
                recs.join(" "),
                action.status.to_string(),
                action
                    .target
                    .as_ref()
                    .map_or(String::from("—"), |t| clip(&t.to_string(), 32)),
                if action.is_overdue(today) {
                    "overdue".into()
                } else {
                    String::new()
                },
                format!(
                    "{} by {}",
                    format_short(action.last_changed.recorded_at),
                    clip(&action.last_changed.actor, 24)
                ),
            ]);
        }
        writeln!(out, "{table}")?;
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
