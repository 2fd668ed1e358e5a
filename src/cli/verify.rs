//! `planledger verify`: recompute and check everything, trusting nothing.

use std::io::Write;

use crate::integrity;
use crate::query::audit::upgraded_from_words;
use crate::store::Store;
use crate::store::chain_check::Report;
use crate::wire;

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
        .and_then(|store| {
            context.note_owed_rewrite(&store);
            integrity::verify(&store)
        });
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
        wire::write(&wire::Verify::new(&report), out)?;
    } else {
        write_text(&report, &context.ledger_dir.display().to_string(), out)?;
    }
    if report.ok() {
        Ok(())
    } else {
        Err(CliError::Integrity)
    }
}

fn write_text(report: &Report, ledger: &str, out: &mut dyn Write) -> Result<(), CliError> {
    writeln!(out, "ledger      {ledger}")?;
    if let Some(id) = report.ledger_id {
        writeln!(out, "id          {}", hex::encode(id))?;
    }
    writeln!(
        out,
        "events      {} in {} transaction(s)",
        report.events, report.transactions
    )?;
    if let Some((seq, hash)) = report.head {
        writeln!(out, "head        seq {seq}  {}", hex::encode(hash))?;
    }
    if let Some(from) = &report.upgraded_from {
        writeln!(out, "upgraded    from {}", upgraded_from_words(from))?;
    }
    match report.first_signed_tx {
        Some(first) => writeln!(
            out,
            "signed      {} of {} transaction(s) are signed requests{}: each signature checked with the key its signer held then, each change against the signer's role and against what the request asked for",
            report.signed_transactions,
            report.transactions,
            if first == 0 {
                " (signed from the genesis)".to_string()
            } else {
                format!(" (from tx {first}; before it, unsigned: names as typed)")
            }
        )?,
        None => writeln!(
            out,
            "signed      no: the ledger has no actors, so each change's actor is a name as typed ('planledger actor add' adopts keys)"
        )?,
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
    if report.redacted_texts > 0 {
        writeln!(
            out,
            "redacted    {} text(s) erased by redactions, each checked against the redaction that erased it",
            report.redacted_texts
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
        None => {
            let head = report.head.map_or_else(
                || "it holds no event".to_string(),
                |(seq, hash)| format!("from the genesis to seq {seq}, head {}", hex::encode(hash)),
            );
            writeln!(out, "result      OK: the ledger is intact {head}")?;
            // No chain can show its own truncation: only a head kept
            // elsewhere can (see README, "What verify proves").
            writeln!(
                out,
                "note        entries cut from the end would not show here: keep this head (seq and hash) elsewhere, and a later verify must reach it"
            )?;
        }
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
