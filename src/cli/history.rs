//! `planledger history ACTION` and `planledger audit`: who changed what and
//! when, with backdated entries flagged.

use std::io::Write;

use crate::command::{resolve_action, resolve_plan};
use crate::event::ClockNote;
use crate::event::Micros;
use crate::id::{ActionId, Id};
use crate::ledger::{Ledger, LedgerError};
use crate::query::audit::{self, DEFAULT_BACKDATED_DAYS, Entry, Filter, clip};
use crate::query::one_action::OneAction;
use crate::store::{DamageKind, IndexFault, Store, StoreError, StoredEvent};
use crate::text::visible;
use crate::time::{DayEnd, format_short, parse_instant};
use crate::wire;

use super::when::{TimeArgs, before_ledger};
use super::{CliError, Context, table};

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// The action, e.g. A3
    action: String,
    /// Print JSON instead of a table
    #[arg(long)]
    json: bool,
    /// Flag effective dates more than this many days before they were recorded
    #[arg(long, default_value_t = DEFAULT_BACKDATED_DAYS, value_name = "DAYS")]
    backdated_days: i64,
    #[command(flatten)]
    when: TimeArgs,
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Only changes by actors whose name contains this (not --actor, which
    /// says who is writing and is often set in the environment)
    #[arg(long = "by", value_name = "NAME")]
    by: Option<String>,
    /// Only changes recorded at or after this instant or date (UTC)
    #[arg(long, value_name = "WHEN")]
    since: Option<String>,
    /// Only changes recorded at or before this instant or date (UTC)
    #[arg(long, value_name = "WHEN")]
    until: Option<String>,
    /// Only changes to this plan, e.g. P1
    #[arg(long)]
    plan: Option<String>,
    /// Only changes to actions of agencies whose name contains this
    #[arg(long)]
    agency: Option<String>,
    /// Only backdated entries
    #[arg(long)]
    backdated: bool,
    /// Flag effective dates more than this many days before they were recorded
    #[arg(long, default_value_t = DEFAULT_BACKDATED_DAYS, value_name = "DAYS")]
    backdated_days: i64,
    /// Print JSON instead of a table
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    when: TimeArgs,
}

impl HistoryArgs {
    pub fn for_action(action: String) -> HistoryArgs {
        HistoryArgs {
            action,
            json: false,
            backdated_days: DEFAULT_BACKDATED_DAYS,
            when: TimeArgs::default(),
        }
    }
}

/// `planledger history ACTION`: read from the action's own events (the
/// action index, [`OneAction`]), never a fold of the whole ledger, so that
/// it costs what that action's history holds. An id the ledger does not
/// know is refused by the full fold, which names the nearest known one.
pub fn run(context: &Context, args: &HistoryArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let store = context.open_store_to_read()?;
    if !store.reads_a_copy() {
        // As every command that opens the ledger brings the index up to the
        // head: if writing it fails, the events after its mark are scanned.
        let _ = store.index_actions();
    }
    let _line = context.line_while_redirected("the history");
    match write_history(&store, context.clock.now(), args, out)? {
        Told::Written => Ok(()),
        Told::Unknown => {
            drop(store);
            Err(unknown(&context.open_to_read()?, args))
        }
    }
}

/// Whether [`write_history`] found the action.
#[must_use]
pub enum Told {
    Written,
    /// No event the index lists added it: nothing was written.
    Unknown,
}

/// Why the action typed was not found through the index: the ledger never
/// added it (refused, naming the nearest one it did), or the index does
/// not list the event that added it (damage to the index, which `verify`
/// also finds).
pub fn unknown(ledger: &Ledger, args: &HistoryArgs) -> CliError {
    let state = ledger.state();
    match resolve_action(state, &args.action) {
        Err(refusal) => LedgerError::from(refusal).into(),
        Ok(action) => {
            let seq = state.actions.get(&action).map_or(0, |a| a.added.seq);
            LedgerError::from(StoreError::Damaged {
                seq,
                kind: DamageKind::ActionIndex(IndexFault::AddedUnlisted { seq, action }),
            })
            .into()
        }
    }
}

/// Writes the history `args` asks for, from the store's events about the
/// action alone, with `now` as the clock reads.
pub fn write_history(
    store: &Store,
    now: Micros,
    args: &HistoryArgs,
    out: &mut dyn Write,
) -> Result<Told, CliError> {
    let found = match ActionId::parse(&args.action) {
        Ok(action) => OneAction::read(store, action).map_err(LedgerError::from)?,
        Err(_) => None,
    };
    let Some(one) = found else {
        return Ok(Told::Unknown);
    };
    let resolved = args.when.resolve_at(now)?;
    if !args.json {
        resolved.write_notes(out)?;
    }
    let filter = Filter {
        action: Some(one.action()),
        backdated_days: Some(args.backdated_days),
        view: resolved.view,
        ..Filter::default()
    };
    let entries = action_trail(store, &one, &filter)?;
    if args.json {
        write_json(&entries, out)?;
        return Ok(Told::Written);
    }
    let state = one.state_view(resolved.view);
    if before_ledger(&state, &args.when, out)? {
        return Ok(Told::Written);
    }
    let Some(current) = state.actions.get(&one.action()) else {
        writeln!(out, "{} did not exist yet at that point.", one.action())?;
        return Ok(Told::Written);
    };
    writeln!(
        out,
        "{} · {} · {}",
        one.action(),
        visible(&current.agency),
        current.status
    )?;
    writeln!(out, "{}", clip(&visible(&current.text), 300))?;
    if let Some(target) = &current.target {
        writeln!(out, "target: {}", clip(&visible(&target.to_string()), 200))?;
    }
    writeln!(out)?;
    write_table(&entries, false, out)?;
    Ok(Told::Written)
}

/// The audit trail `filter` keeps, read from the store event by event:
/// the history is never held whole.
fn streamed_trail(ledger: &Ledger, filter: &Filter) -> Result<Vec<Entry>, CliError> {
    let store = ledger.store();
    let names_of = |seq: u64| audit::slot_names_in(store, seq);
    Ok(audit::trail_of(store.events(), &names_of, filter).map_err(LedgerError::from)?)
}

/// The audit trail of one action that `filter` keeps, from that action's
/// events alone, never the whole history.
fn action_trail(store: &Store, one: &OneAction, filter: &Filter) -> Result<Vec<Entry>, CliError> {
    let earlier = |seq: u64| store.event_at(seq).ok().flatten().map(|(_, record)| record);
    let first_of_tx = |tx: u64| store.tx_record(tx).ok().flatten().map(|r| r.first_seq);
    let events = one.events().iter().map(Ok::<_, LedgerError>);
    Ok(audit::action_trail_of(
        events,
        &earlier,
        &first_of_tx,
        filter,
    )?)
}

pub fn run_audit(ledger: &Ledger, args: &AuditArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let instant = |text: &Option<String>, end| -> Result<Option<i64>, CliError> {
        text.as_deref()
            .map(|t| parse_instant(t, end).map_err(|e| CliError::Input(e.to_string())))
            .transpose()
    };
    let plan = args
        .plan
        .as_deref()
        .map(|p| resolve_plan(ledger.state(), p).map_err(LedgerError::from))
        .transpose()?;
    let resolved = args.when.resolve(ledger)?;
    if !args.json {
        resolved.write_notes(out)?;
    }
    let filter = Filter {
        view: resolved.view,
        actor: args.by.clone(),
        since: instant(&args.since, DayEnd::Start)?,
        until: instant(&args.until, DayEnd::End)?,
        plan,
        agency: args.agency.clone(),
        backdated_days: Some(args.backdated_days),
        ..Filter::default()
    };
    if args.json {
        return write_audit_json(ledger, args, &filter, out);
    }
    if table::streamable() {
        return write_audit_streamed(ledger, args, &filter, out);
    }
    let mut entries = streamed_trail(ledger, &filter)?;
    if args.backdated {
        entries.retain(|e| e.backdated_days.is_some());
    }
    if entries.is_empty() {
        writeln!(out, "No recorded changes match.")?;
        return Ok(());
    }
    write_table(&entries, true, out)?;
    let backdated = entries
        .iter()
        .filter(|e| e.backdated_days.is_some())
        .count();
    write_audit_count(args, entries.len(), backdated, out)
}

/// `audit --json`, each entry written as the trail reaches it: a national
/// ledger's trail is never held.
fn write_audit_json(
    ledger: &Ledger,
    args: &AuditArgs,
    filter: &Filter,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let store = ledger.store();
    let names_of = |seq: u64| audit::slot_names_in(store, seq);
    wire::write_entries(out, |sink| {
        audit::trail_each(trail_events(store), &names_of, filter, &mut |entry| {
            if kept(args, &entry) {
                sink(&entry)?;
            }
            Ok(())
        })
    })
}

/// `audit`'s table where it is laid out from its content alone (standard
/// output is not a terminal): the trail read from the store twice, once to
/// measure the columns and once to print the rows, holding a chunk of rows
/// at a time and never the trail. The same bytes as [`write_table`].
fn write_audit_streamed(
    ledger: &Ledger,
    args: &AuditArgs,
    filter: &Filter,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let store = ledger.store();
    let names_of = |seq: u64| audit::slot_names_in(store, seq);
    let (mut count, mut backdated) = (0, 0);
    let mut widths = table::Widths::new(header(true));
    audit::trail_each(trail_events(store), &names_of, filter, &mut |entry| {
        if kept(args, &entry) {
            count += 1;
            backdated += usize::from(entry.backdated_days.is_some());
            widths.row(&row(&entry, true));
        }
        Ok(())
    })?;
    if count == 0 {
        writeln!(out, "No recorded changes match.")?;
        return Ok(());
    }
    let mut printer = widths.printer();
    audit::trail_each(trail_events(store), &names_of, filter, &mut |entry| {
        if kept(args, &entry) {
            printer.row(&row(&entry, true), out)?;
        }
        Ok(())
    })?;
    printer.finish(out)?;
    write_audit_count(args, count, backdated, out)
}

/// The stored events, as the audit trail reads them streaming by.
fn trail_events(store: &Store) -> impl Iterator<Item = Result<StoredEvent, CliError>> + '_ {
    store
        .events()
        .map(|e| e.map_err(|e| CliError::from(LedgerError::from(e))))
}

/// Whether `audit` lists an entry its filter keeps: with `--backdated`,
/// only backdated ones.
fn kept(args: &AuditArgs, entry: &Entry) -> bool {
    !args.backdated || entry.backdated_days.is_some()
}

/// The line under `audit`'s table: how many changes, how many backdated.
fn write_audit_count(
    args: &AuditArgs,
    count: usize,
    backdated: usize,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    writeln!(
        out,
        "{} change(s){}",
        count,
        if backdated > 0 {
            format!(
                ", {backdated} backdated by more than {} days",
                args.backdated_days
            )
        } else {
            String::new()
        }
    )?;
    Ok(())
}

fn write_json(entries: &[Entry], out: &mut dyn Write) -> Result<(), CliError> {
    wire::write(&wire::Entry::list(entries), out)?;
    Ok(())
}

fn write_table(entries: &[Entry], with_action: bool, out: &mut dyn Write) -> Result<(), CliError> {
    let rows: Vec<Vec<String>> = entries.iter().map(|e| row(e, with_action)).collect();
    Ok(table::write_whole(header(with_action), &rows, out)?)
}

/// The columns of the history and audit tables.
fn header(with_action: bool) -> Vec<&'static str> {
    let mut header = vec!["seq", "recorded", "effective", "actor"];
    if with_action {
        header.push("action");
    }
    header.extend(["change", "flags"]);
    header
}

/// One entry as a row of the history and audit tables.
fn row(entry: &Entry, with_action: bool) -> Vec<String> {
    let mut row = vec![
        entry.seq.to_string(),
        format_short(entry.recorded_at),
        entry.effective.map_or(String::from("—"), |d| d.to_string()),
        clip(&visible(&entry.actor), 24),
    ];
    if with_action {
        row.push(entry.action.map(|a| a.to_string()).unwrap_or_default());
    }
    row.push(clip(&visible(&entry.change), 90));
    row.push(flags(entry));
    row
}

fn flags(entry: &Entry) -> String {
    let mut flags = Vec::new();
    if let Some(days) = entry.backdated_days {
        flags.push(format!("backdated {days}d"));
    }
    match entry.clock {
        ClockNote::System => {}
        ClockNote::Overridden => flags.push("clock overridden".into()),
        ClockNote::HeldAtHead { .. } => flags.push("clock held".into()),
    }
    if let Some(source) = &entry.source {
        flags.push(format!("from {}", clip(&visible(source), 30)));
    }
    flags.push(entry.signed.words());
    flags.join(", ")
}
