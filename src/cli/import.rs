//! `planledger import FILE`: read a plan from a text, Word or CSV file and
//! record it, with its provenance, as one transaction.

use std::io::Write;
use std::path::PathBuf;

use crate::import::Format;
use crate::import::apply::{self, Naming, Outcome};
use crate::ledger::Ledger;
use crate::text::visible;

use super::{CliError, Context, report};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    /// The text layout of a plan turned from PDF or Word into text
    Text,
    /// A Word document with the Home Office template tables
    Docx,
    /// A spreadsheet saved as CSV, with a header row
    Csv,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The plan to import
    file: PathBuf,
    /// Read the file as this format instead of detecting it from its content
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// Show what would be recorded and every warning, and write nothing
    #[arg(long)]
    dry_run: bool,
    /// The partnership, where the file does not name it (a CSV has no title page)
    #[arg(long)]
    partnership: Option<String>,
    /// The review's name, where the file does not name it
    #[arg(long)]
    review: Option<String>,
}

pub fn run(
    ledger: &mut Ledger,
    context: &Context,
    args: &Args,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let actor = context.actor()?;
    let bytes = std::fs::read(&args.file)
        .map_err(|e| CliError::Input(format!("cannot read {}: {e}", args.file.display())))?;
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| args.file.display().to_string());
    let format = args.format.map(|f| match f {
        FormatArg::Text => Format::Text,
        FormatArg::Docx => Format::Docx,
        FormatArg::Csv => Format::Csv,
    });
    crate::text::all_typed(&[
        ("--partnership", args.partnership.as_deref().unwrap_or("")),
        ("--review", args.review.as_deref().unwrap_or("")),
    ])?;
    let naming = Naming {
        partnership: args.partnership.clone(),
        review: args.review.clone(),
    };
    let outcome = apply::record(ledger, actor, &name, &bytes, format, &naming, args.dry_run)?;
    write_outcome(&outcome, out)?;
    if let Some(receipt) = &outcome.receipt {
        report(receipt, out)?;
    } else {
        writeln!(out, "dry run: nothing was written")?;
    }
    Ok(())
}

pub fn write_outcome(outcome: &Outcome, out: &mut dyn Write) -> Result<(), CliError> {
    writeln!(
        out,
        "{} {}: {} action row(s) read, {} change(s), {} warning(s)",
        if outcome.receipt.is_some() {
            "Imported"
        } else {
            "Would import"
        },
        visible(&outcome.name),
        outcome.actions,
        outcome.plan.changes.len(),
        outcome.plan.warnings.len()
    )?;
    // Rows not read as actions are said before anything else.
    let shortfall = outcome.plan.shortfall.as_ref();
    if let Some(warning) = shortfall {
        writeln!(out, "  ! {}", visible(warning))?;
    }
    for change in &outcome.plan.changes {
        writeln!(out, "  + {}", visible(change))?;
    }
    for warning in &outcome.plan.warnings {
        if Some(warning) != shortfall {
            writeln!(out, "  ! {}", visible(warning))?;
        }
    }
    Ok(())
}
