//! `planledger show`: the plan as it stands, as a table or as JSON. The
//! filters are `query::select`'s, the rows `query::report`'s and the JSON
//! `wire::Show`; this file parses the arguments and prints.

use std::borrow::Cow;
use std::io::Write;

use crate::command::resolve_plan;
use crate::ledger::{Ledger, LedgerError, View, fold_view};
use crate::projection::{Action, State};
use crate::query::audit::{clip, upgraded_from_words};
use crate::query::coverage;
use crate::query::report::{ActionRow, UNCONFIRMED_LEGEND};
use crate::query::select::Select;
use crate::recall::Recall;
use crate::text::visible;
use crate::time::format_short;
use crate::wire;

use super::table;
use super::when::{Resolved, TimeArgs, before_ledger};
use super::{CliError, Context};

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

/// `planledger show`. The ledger as it stands is read as the ledger opens
/// (which brings its snapshot up to date where it can); any other view is
/// folded from the store alone ([`fold_view`]), from the snapshot below
/// it, never from the head's state first.
pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let resolved = args.when.resolve_at(context.clock.now())?;
    if resolved.view == View::default() {
        let ledger = context.open_to_read()?;
        let _line = context.line_while_redirected("the plans");
        return write(
            Cow::Borrowed(ledger.state()),
            ledger.store(),
            &resolved,
            args,
            out,
        );
    }
    let store = context.open_store_to_read()?;
    let _line = context.line_while_redirected("the plans");
    let state = fold_view(&store, resolved.view)?;
    write(Cow::Owned(state), &store, &resolved, args, out)
}

/// `show` of a ledger already open (the demo's).
pub fn write_of_ledger(ledger: &Ledger, args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let resolved = args.when.resolve(ledger)?;
    let state = ledger.state_view(resolved.view)?;
    write(state, ledger.store(), &resolved, args, out)
}

/// Writes `state`, the state of the view `resolved` names, as `args` ask;
/// the words of milestones and claims are read back from `recall`.
fn write(
    state: Cow<'_, State>,
    recall: &dyn Recall,
    resolved: &Resolved,
    args: &Args,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    if !args.json {
        resolved.write_notes(out)?;
    }
    let today = resolved.day;
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
        wire::Show::new(&state, recall, today).write(out)?;
        return Ok(());
    }
    if let Some(from) = state.ledger.as_ref().and_then(|l| l.upgraded_from.as_ref()) {
        writeln!(out, "Upgraded from {}", upgraded_from_words(from))?;
        writeln!(out)?;
    }
    write_table(&state, today, whole_plans, out)
}

/// The columns of `show`'s table of a plan's actions.
const HEADER: [&str; 8] = [
    "id",
    "agency",
    "action",
    "recs",
    "status",
    "target",
    "overdue",
    "last change",
];

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
        let mut unconfirmed = false;
        let mut rows = Vec::with_capacity(actions.len());
        for action in actions {
            let row = ActionRow::of(action, today);
            unconfirmed |= row.unconfirmed;
            rows.push(vec![
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
        table::write_whole(HEADER.to_vec(), &rows, out)?;
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
