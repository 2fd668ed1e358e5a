//! `planledger summary`: the plan at a glance, per plan and per agency:
//! counts by status, overdue, claims awaiting assurance and how long they
//! have waited, backdated entries, and the Domestic Abuse Commissioner's
//! categories (`query::summary` holds the mapping). The rows are
//! `query::report`'s and the JSON `wire::Summary`; this file prints them.

use std::io::Write;

use crate::ledger::{LedgerError, View, fold_view};
use crate::projection::State;
use crate::query::audit::{Filter, clip, slot_names_in, trail_each};
use crate::query::coverage;
use crate::query::report::{AWAITING_COLUMNS, Label, category_rows, count_columns, counts_rows};
use crate::query::summary::{Summary, summarize};
use crate::store::Store;
use crate::text::visible;
use crate::time::format_short;
use crate::wire;
use comfy_table::{CellAlignment, ContentArrangement, Table, presets};

use super::when::{Resolved, TimeArgs, before_ledger};
use super::{CliError, Context};

#[derive(Debug, Default, clap::Args)]
pub struct Args {
    /// Print JSON instead of tables
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    when: TimeArgs,
}

/// `planledger summary`. The ledger as it stands is read as the ledger
/// opens; any other view is folded from the store alone ([`fold_view`]),
/// never from the head's state first, so only one state is ever held.
pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let resolved = args.when.resolve_at(context.clock.now())?;
    if resolved.view == View::default() {
        let ledger = context.open_to_read()?;
        let _line = context.line_while_redirected("the summary");
        return write(ledger.state(), ledger.store(), &resolved, args, out);
    }
    let store = context.open_store_to_read()?;
    let _line = context.line_while_redirected("the summary");
    let state = fold_view(&store, resolved.view)?;
    write(&state, &store, &resolved, args, out)
}

/// Writes the summary of `state`, the state of the view `resolved` names,
/// as `args` ask; backdated entries are found in `store`'s trail.
fn write(
    state: &State,
    store: &Store,
    resolved: &Resolved,
    args: &Args,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    if before_ledger(state, &args.when, out)? {
        return Ok(());
    }
    let filter = Filter {
        view: resolved.view,
        ..Filter::default()
    };
    // Only the backdated entries' actions are read, so only they are kept
    // as the trail streams by: the history is never held whole.
    let mut backdated = Vec::new();
    let names_of = |seq: u64| slot_names_in(store, seq);
    trail_each(store.events(), &names_of, &filter, &mut |entry| {
        if entry.backdated_days.is_some() {
            backdated.push(entry.action);
        }
        Ok(())
    })
    .map_err(LedgerError::from)?;
    let summary = summarize(state, store, backdated, resolved.day)?;
    if !args.json {
        resolved.write_notes(out)?;
    }
    if args.json {
        wire::write(&wire::Summary::new(&summary), out)?;
        return Ok(());
    }
    write_tables(&summary, out)
}

fn write_tables(summary: &Summary, out: &mut dyn Write) -> Result<(), CliError> {
    if summary.plans.is_empty() {
        writeln!(out, "The ledger holds no plan yet.")?;
        return Ok(());
    }
    writeln!(
        out,
        "Summary on {} (overdue and waiting times are judged on this day)",
        summary.today
    )?;
    writeln!(out)?;
    let mut header = vec![String::new()];
    header.extend(count_columns().into_iter().map(String::from));
    let mut table = new_table(header);
    for row in counts_rows(summary) {
        let mut cells = vec![match row.label {
            Label::Plan { id, title } => format!("{id} {}", clip(&visible(title), 40)),
            Label::Agency(agency) => format!("  {}", clip(&visible(agency), 38)),
            Label::AllPlans => "all plans".into(),
        }];
        let numbers = row.numbers();
        cells.push(numbers[0].to_string());
        cells.extend(numbers[1..].iter().map(|n| zero_blank(*n)));
        table.add_row(cells);
    }
    right_align_numbers(&mut table);
    writeln!(out, "{table}")?;
    writeln!(out)?;

    writeln!(out, "The Domestic Abuse Commissioner's categories")?;
    let mut header = vec!["category".to_string()];
    header.extend(summary.plans.iter().map(|p| p.plan.to_string()));
    header.push("meaning".into());
    let mut table = new_table(header);
    for row in category_rows(summary) {
        let mut cells = vec![row.category.label().to_string()];
        cells.extend(row.per_plan.iter().map(usize::to_string));
        cells.push(row.category.meaning().to_string());
        table.add_row(cells);
    }
    writeln!(out, "{table}")?;
    writeln!(out)?;

    writeln!(out, "Coverage of each review's recommendations")?;
    for plan in &summary.plans {
        writeln!(out, "{}:", plan.plan)?;
        for sentence in coverage::sentences(&plan.coverage) {
            writeln!(out, "  {sentence}")?;
        }
    }
    writeln!(out)?;

    if summary.awaiting.is_empty() {
        writeln!(out, "No claim is awaiting assurance.")?;
    } else {
        writeln!(out, "Claims awaiting assurance, longest-waiting first")?;
        let mut table = new_table(AWAITING_COLUMNS.map(String::from).to_vec());
        for a in &summary.awaiting {
            table.add_row([
                a.reference(),
                clip(&visible(&a.agency), 28),
                clip(&visible(&a.at.actor), 28),
                format_short(a.at.recorded_at),
                a.completed(),
                a.days_waiting.to_string(),
                clip(&visible(&a.outcome), 50),
            ]);
        }
        writeln!(out, "{table}")?;
    }
    if summary.backdated_entries > 0 {
        writeln!(
            out,
            "{} backdated entr{} in the audit trail: see 'planledger audit'",
            summary.backdated_entries,
            if summary.backdated_entries == 1 {
                "y"
            } else {
                "ies"
            }
        )?;
    }
    Ok(())
}

fn new_table(header: Vec<String>) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    table
}

fn right_align_numbers(table: &mut Table) {
    let columns = table.column_count();
    for index in 1..columns {
        if let Some(column) = table.column_mut(index) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
}

fn zero_blank(n: usize) -> String {
    if n == 0 { "·".into() } else { n.to_string() }
}
