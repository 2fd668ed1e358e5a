//! `planledger diff --from T1 --to T2`: what changed between two points.

use std::io::Write;

use crate::date::FuzzyDate;
use crate::ledger::{Ledger, LedgerError};
use crate::query::audit::{clip, slot_names_in};
use crate::query::diff::{self, Span};
use crate::text::visible;
use crate::time::{DayEnd, format_short, parse_instant};
use crate::wire;
use comfy_table::{ContentArrangement, Table, presets};

use super::CliError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The earlier point: an instant or date (UTC); with --valid, a date
    #[arg(long, value_name = "WHEN")]
    from: String,
    /// The later point (default: now)
    #[arg(long, value_name = "WHEN")]
    to: Option<String>,
    /// Compare what was true in the world on two dates instead of what the
    /// ledger had recorded at two instants
    #[arg(long)]
    valid: bool,
    /// With --valid: by what the ledger had recorded at this instant or date
    /// (default: now)
    #[arg(long, value_name = "WHEN", requires = "valid")]
    as_of: Option<String>,
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
}

pub fn run(ledger: &Ledger, args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let span = span(ledger, args)?;
    let (from_view, to_view) = span.views();
    let before = ledger.state_view(from_view)?;
    let after = ledger.state_view(to_view)?;
    // The events stream from the store: the history is never held whole.
    let store = ledger.store();
    let names_of = |seq: u64| slot_names_in(store, seq);
    let diff = diff::diff_of(store.events(), &names_of, span, &before, &after)
        .map_err(LedgerError::from)?;
    if args.json {
        let shape = wire::Diff::new(&args.from, args.to.as_deref(), span, &diff);
        wire::write(&shape, out)?;
        return Ok(());
    }
    let to = args.to.as_deref().unwrap_or("now");
    if diff.entries.is_empty() {
        writeln!(out, "Nothing changed between {} and {to}.", args.from)?;
        return Ok(());
    }
    writeln!(
        out,
        "Between {} and {to}: {} change(s)\n",
        args.from,
        diff.entries.len()
    )?;
    if !diff.moves.is_empty() {
        let mut table = Table::new();
        table
            .load_preset(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(["action", "agency", "status then", "status now"]);
        for m in &diff.moves {
            table.add_row([
                m.action.to_string(),
                clip(&visible(&m.agency), 30),
                m.from
                    .map_or("(not yet added)".to_string(), |s| s.to_string()),
                m.to.to_string(),
            ]);
        }
        writeln!(out, "Status moves\n{table}\n")?;
    }
    let mut groups: std::collections::BTreeMap<&str, Vec<&crate::query::audit::Entry>> =
        Default::default();
    for entry in &diff.entries {
        groups
            .entry(diff::group(entry.kind))
            .or_default()
            .push(entry);
    }
    for (group, entries) in groups {
        writeln!(out, "{group}:")?;
        for entry in entries {
            writeln!(
                out,
                "  seq {:<5} {}  {:<10}  {}  {}{}",
                entry.seq,
                format_short(entry.recorded_at),
                entry.effective.map_or("—".to_string(), |d| d.to_string()),
                clip(&visible(&entry.actor), 28),
                entry.action.map(|a| format!("{}: ", a)).unwrap_or_default(),
                clip(&visible(&entry.change), 100)
            )?;
        }
    }
    Ok(())
}

/// The span the arguments name. `--from` counts from the start of the day
/// or period it names, `--to` to the end of its own (or now), so both ends
/// are included: "from 2019-06" includes all of June.
fn span(ledger: &Ledger, args: &Args) -> Result<Span, CliError> {
    let refused = |to: &str| CliError::Input(format!("--to {to} is before --from {}", args.from));
    if args.valid {
        let date =
            |text: &str| FuzzyDate::parse_iso(text).map_err(|e| CliError::Input(e.to_string()));
        let from = date(&args.from)?.first_day();
        let to = match &args.to {
            Some(text) => date(text)?.last_day(),
            None => ledger.today(),
        };
        if to < from {
            return Err(refused(args.to.as_deref().unwrap_or("today")));
        }
        let as_of = match &args.as_of {
            Some(text) => {
                Some(parse_instant(text, DayEnd::End).map_err(|e| CliError::Input(e.to_string()))?)
            }
            None => None,
        };
        return Ok(Span::Valid { from, to, as_of });
    }
    let from =
        parse_instant(&args.from, DayEnd::Start).map_err(|e| CliError::Input(e.to_string()))?;
    let to = match &args.to {
        Some(text) => {
            parse_instant(text, DayEnd::End).map_err(|e| CliError::Input(e.to_string()))?
        }
        None => ledger.now(),
    };
    if to < from {
        return Err(refused(args.to.as_deref().unwrap_or("now")));
    }
    Ok(Span::Recorded { from, to })
}
