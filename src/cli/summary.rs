//! `planledger summary`: the plan at a glance, per plan and per agency:
//! counts by status, overdue, claims awaiting assurance and how long they
//! have waited, backdated entries, and the Domestic Abuse Commissioner's
//! categories (`query::summary` holds the mapping).

use std::io::Write;

use comfy_table::{CellAlignment, ContentArrangement, Table, presets};
use serde_json::{Value, json};

use crate::ledger::Ledger;
use crate::query::audit::{Filter, clip, trail};
use crate::query::summary::{Category, Counts, Summary, summarize};
use crate::status::Status;
use crate::time::{format_micros, format_short};

use super::CliError;
use super::when::{TimeArgs, before_ledger};

#[derive(Debug, Default, clap::Args)]
pub struct Args {
    /// Print JSON instead of tables
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    when: TimeArgs,
}

pub fn run(ledger: &Ledger, args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let resolved = args.when.resolve(ledger)?;
    let state = ledger.state_view(resolved.view)?;
    if before_ledger(&state, &args.when, out)? {
        return Ok(());
    }
    let filter = Filter {
        view: resolved.view,
        ..Filter::default()
    };
    let entries = trail(&ledger.events()?, &filter);
    let summary = summarize(&state, &entries, resolved.day);
    if !args.json {
        resolved.write_notes(out)?;
    }
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &summary_json(&summary))
            .map_err(std::io::Error::from)?;
        writeln!(out)?;
        return Ok(());
    }
    write_tables(&summary, out)
}

/// The JSON shape of `summary --json`. Fields are only ever added.
pub fn summary_json(summary: &Summary) -> Value {
    json!({
        "today": summary.today.to_string(),
        "total": counts_json(&summary.total),
        "backdated_entries": summary.backdated_entries,
        "plans": summary.plans.iter().map(|p| json!({
            "id": p.plan.to_string(),
            "title": p.title,
            "counts": counts_json(&p.counts),
            "agencies": p.agencies.iter().map(|a| json!({
                "agency": a.agency,
                "counts": counts_json(&a.counts),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "awaiting_assurance": summary.awaiting.iter().map(|a| json!({
            "plan": a.plan.to_string(),
            "action": a.action.to_string(),
            "agency": a.agency,
            "claim": a.claim,
            "outcome": a.outcome,
            "claimed_by": a.claimed_by,
            "recorded_at": format_micros(a.recorded_at),
            "effective": a.effective.map(|d| d.to_string()),
            "days_waiting": a.days_waiting,
        })).collect::<Vec<_>>(),
    })
}

fn counts_json(c: &Counts) -> Value {
    let by_status: serde_json::Map<String, Value> = Status::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), json!(c.status(*s))))
        .collect();
    let by_category: serde_json::Map<String, Value> = Category::ALL
        .iter()
        .map(|k| (k.key().to_string(), json!(c.category(*k))))
        .collect();
    json!({
        "actions": c.actions,
        "by_status": by_status,
        "overdue": c.overdue,
        "awaiting_assurance": c.awaiting_assurance,
        "backdated_entries": c.backdated,
        "by_category": by_category,
    })
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
    let mut header = vec!["".to_string(), "actions".into()];
    header.extend(Status::ALL.iter().map(|s| s.as_str().to_string()));
    header.extend(["overdue", "awaiting", "backdated"].map(String::from));
    let mut table = new_table(header);
    let row = |name: String, c: &Counts| {
        let mut row = vec![name, c.actions.to_string()];
        row.extend(Status::ALL.iter().map(|s| zero_blank(c.status(*s))));
        row.extend([c.overdue, c.awaiting_assurance, c.backdated].map(zero_blank));
        row
    };
    for plan in &summary.plans {
        table.add_row(row(
            format!("{} {}", plan.plan, clip(&plan.title, 40)),
            &plan.counts,
        ));
        for agency in &plan.agencies {
            table.add_row(row(
                format!("  {}", clip(&agency.agency, 38)),
                &agency.counts,
            ));
        }
    }
    if summary.plans.len() > 1 {
        table.add_row(row("all plans".into(), &summary.total));
    }
    right_align_numbers(&mut table);
    writeln!(out, "{table}")?;
    writeln!(out)?;

    writeln!(out, "The Domestic Abuse Commissioner's categories")?;
    let mut header = vec!["category".to_string()];
    header.extend(summary.plans.iter().map(|p| p.plan.to_string()));
    header.push("meaning".into());
    let mut table = new_table(header);
    for category in Category::ALL {
        let mut row = vec![category.label().to_string()];
        row.extend(
            summary
                .plans
                .iter()
                .map(|p| p.counts.category(category).to_string()),
        );
        row.push(category.meaning().to_string());
        table.add_row(row);
    }
    writeln!(out, "{table}")?;
    writeln!(out)?;

    if summary.awaiting.is_empty() {
        writeln!(out, "No claim is awaiting assurance.")?;
    } else {
        writeln!(out, "Claims awaiting assurance, longest-waiting first")?;
        let mut table = new_table(
            [
                "action",
                "agency",
                "claimed by",
                "recorded",
                "completed",
                "days waiting",
                "outcome",
            ]
            .map(String::from)
            .to_vec(),
        );
        for a in &summary.awaiting {
            table.add_row([
                format!("{} claim {}", a.action, a.claim),
                clip(&a.agency, 28),
                clip(&a.claimed_by, 28),
                format_short(a.recorded_at),
                a.completed(),
                a.days_waiting.to_string(),
                clip(&a.outcome, 50),
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
