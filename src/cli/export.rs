//! `planledger export`: the ledger for other programs and people: the chain
//! as JSON Lines, the plan as JSON or CSV, and reports in Markdown or as one
//! self-contained HTML page. Reports are verified first and say so.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use crate::export;
use crate::integrity;
use crate::ledger::Ledger;
use crate::wire;

use super::CliError;
use super::when::{Resolved, TimeArgs};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// The chain as JSON Lines: seq, prev, hash, record bytes and decoded fields
    Events,
    /// The plan as it stands (the shape of 'show --json')
    Json,
    /// One row per action in the Home Office template's columns (UTF-8 with a BOM)
    Csv,
    /// A report for board papers: summary, actions per agency, claims, audit trail
    #[value(alias = "markdown")]
    Md,
    /// The report as one self-contained HTML page with charts, for a browser or printing
    Html,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to write
    #[arg(long, value_enum)]
    format: Format,
    /// Write to this file instead of standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// CSV only: leave out the byte order mark Excel needs to read UTF-8
    #[arg(long)]
    no_bom: bool,
    #[command(flatten)]
    when: TimeArgs,
}

pub fn run(ledger: &Ledger, args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let resolved = args.when.resolve(ledger)?;
    if matches!(args.format, Format::Events) && resolved.view.valid_at.is_some() {
        return Err(CliError::Input(
            "--valid-at does not apply to the raw chain, which is in recorded order: use --as-of"
                .into(),
        ));
    }
    match &args.output {
        None => write(ledger, args, &resolved, out),
        Some(path) => {
            // Written beside the target and renamed into place, so a failure
            // part-way never leaves a partial report under the name asked for.
            let cannot = |e: std::io::Error| {
                CliError::Input(format!("cannot write {}: {e}", path.display()))
            };
            let folder = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => std::path::Path::new("."),
            };
            let file = tempfile::NamedTempFile::new_in(folder).map_err(cannot)?;
            let mut writer = BufWriter::new(file);
            write(ledger, args, &resolved, &mut writer)?;
            writer.flush()?;
            let file = writer.into_inner().map_err(|e| cannot(e.into_error()))?;
            file.persist(path).map_err(|e| cannot(e.error))?;
            resolved.write_notes(out)?;
            writeln!(out, "Wrote {}", path.display())?;
            Ok(())
        }
    }
}

fn write(
    ledger: &Ledger,
    args: &Args,
    resolved: &Resolved,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let events: Vec<_> = ledger
        .events()?
        .into_iter()
        .filter(|e| resolved.view.admits(e))
        .collect();
    let state = ledger.state_view(resolved.view)?;
    let today = resolved.day;
    match args.format {
        Format::Events => export::events::write_jsonl(&events, out)?,
        Format::Json => wire::write(&wire::Show::new(&state, today), out)?,
        Format::Csv => {
            let options = export::csv::Options { bom: !args.no_bom };
            export::csv::write(&state, today, options, out)?;
        }
        Format::Md | Format::Html => {
            let report = integrity::verify(ledger.store())?;
            let input = export::ReportInput {
                state: &state,
                events: &events,
                verify: &report,
                today,
                generated_at: ledger.now(),
            };
            match args.format {
                Format::Md => export::markdown::write(&input, out)?,
                _ => export::html::write(&input, out)?,
            }
        }
    }
    Ok(())
}
