//! `planledger export`: the ledger for other programs.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use crate::export;
use crate::ledger::Ledger;

use super::CliError;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// The chain as JSON Lines: seq, prev, hash, record bytes and decoded fields
    Events,
    /// The plan as it stands (the shape of 'show --json')
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to write
    #[arg(long, value_enum)]
    format: Format,
    /// Write to this file instead of standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(ledger: &Ledger, args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    match &args.output {
        None => write(ledger, args.format, out),
        Some(path) => {
            let file = File::create(path)
                .map_err(|e| CliError::Input(format!("cannot write {}: {e}", path.display())))?;
            let mut writer = BufWriter::new(file);
            write(ledger, args.format, &mut writer)?;
            writer.flush()?;
            writeln!(out, "Wrote {}", path.display())?;
            Ok(())
        }
    }
}

fn write(ledger: &Ledger, format: Format, out: &mut dyn Write) -> Result<(), CliError> {
    match format {
        Format::Events => export::events::write_jsonl(&ledger.events()?, out)?,
        Format::Json => {
            let value = export::json::state(ledger.state(), ledger.today());
            serde_json::to_writer_pretty(&mut *out, &value).map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
    }
    Ok(())
}
