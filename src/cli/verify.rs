//! `planledger verify`: recompute and check everything, trusting nothing.

use std::io::Write;

use serde_json::json;

use crate::integrity;
use crate::store::Store;
use crate::store::chain_check::Report;

use super::{CliError, Context};

#[derive(Debug, Default, clap::Args)]
pub struct Args {
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
}

pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let checked = context
        .waiting(|wait| Store::open_for_verify_waiting(&context.ledger_dir, wait))
        .and_then(|store| integrity::verify(&store));
    let report = match checked {
        Ok(report) => report,
        // Damage that stops the store opening or being read is a finding
        // like any other: reported in the normal way, at seq 0.
        Err(e) => match e.into_damage(&context.ledger_dir) {
            Ok(damage) => Report::unreadable(damage),
            Err(e) => return Err(e.into()),
        },
    };
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &report_json(&report))
            .map_err(std::io::Error::from)?;
        writeln!(out)?;
    } else {
        write_text(&report, &context.ledger_dir.display().to_string(), out)?;
    }
    if report.ok() {
        Ok(())
    } else {
        Err(CliError::Integrity)
    }
}

pub fn report_json(report: &Report) -> serde_json::Value {
    json!({
        "ok": report.ok(),
        "events": report.events,
        "transactions": report.transactions,
        "head": report.head.map(|(seq, hash)| json!({"seq": seq, "hash": hex::encode(hash)})),
        "first_bad_seq": report.first_bad_seq(),
        "problems": report.problems.iter().map(|p| json!({"seq": p.seq, "problem": p.kind.to_string(), "kind": p.kind.name()})).collect::<Vec<_>>(),
        "clock_overridden_txs": report.clock_overridden,
        "clock_held_txs": report.clock_held,
        "snapshots_checked": report.snapshots,
    })
}

fn write_text(report: &Report, ledger: &str, out: &mut dyn Write) -> Result<(), CliError> {
    writeln!(out, "ledger      {ledger}")?;
    writeln!(
        out,
        "events      {} in {} transaction(s)",
        report.events, report.transactions
    )?;
    if let Some((seq, hash)) = report.head {
        writeln!(out, "head        seq {seq}  {}", hex::encode(hash))?;
    }
    writeln!(
        out,
        "checked     every hash recomputed from stored bytes, every link and sequence number, \
         recorded time order, every record decoded, transaction records, the stored head, \
         and every event replayed against the ledger's rules"
    )?;
    if report.snapshots > 0 {
        writeln!(
            out,
            "snapshots   {} checked against a fold of the events",
            report.snapshots
        )?;
    }
    if !report.clock_overridden.is_empty() {
        writeln!(
            out,
            "clock       {} transaction(s) recorded with an overridden clock: tx {}",
            report.clock_overridden.len(),
            list(&report.clock_overridden)
        )?;
    }
    if !report.clock_held.is_empty() {
        writeln!(
            out,
            "clock       {} transaction(s) recorded while the system clock was behind the ledger: tx {}",
            report.clock_held.len(),
            list(&report.clock_held)
        )?;
    }
    match report.first_bad_seq() {
        None => writeln!(out, "result      OK: the ledger is intact")?,
        Some(first) => {
            writeln!(
                out,
                "result      FAILED: first bad sequence number is {first}"
            )?;
            for problem in &report.problems {
                writeln!(out, "  seq {}: {}", problem.seq, problem.kind)?;
            }
        }
    }
    Ok(())
}

fn list(numbers: &[u64]) -> String {
    const SHOWN: usize = 12;
    let mut shown: Vec<String> = numbers.iter().take(SHOWN).map(u64::to_string).collect();
    if numbers.len() > SHOWN {
        shown.push(format!("and {} more", numbers.len() - SHOWN));
    }
    shown.join(", ")
}
