//! `planledger import FILE`: read a plan from a text, Word or CSV file and
//! record it, with its provenance, as one transaction.

use std::io::Write;
use std::path::PathBuf;

use crate::import::apply::{self, SourceFile};
use crate::import::{self, Format};
use crate::ledger::Ledger;

use super::record::report;
use super::{CliError, Context};

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
    let naming = Naming {
        partnership: args.partnership.clone(),
        review: args.review.clone(),
    };
    let outcome = import_bytes(ledger, actor, &name, &bytes, format, &naming, args.dry_run)?;
    write_outcome(&outcome, out)?;
    if let Some(receipt) = &outcome.receipt {
        report(receipt, out)?;
    } else {
        writeln!(out, "dry run: nothing was written")?;
    }
    Ok(())
}

/// What an import did or, in a dry run, would do.
pub struct Outcome {
    pub name: String,
    pub plan: apply::Plan,
    pub actions: usize,
    pub receipt: Option<crate::ledger::Receipt>,
}

/// Names for a plan whose file does not give them.
#[derive(Debug, Default)]
pub struct Naming {
    pub partnership: Option<String>,
    pub review: Option<String>,
}

/// Parses, plans and (unless `dry_run`) records an import.
pub fn import_bytes(
    ledger: &mut Ledger,
    actor: &str,
    name: &str,
    bytes: &[u8],
    format: Option<Format>,
    naming: &Naming,
    dry_run: bool,
) -> Result<Outcome, CliError> {
    let mut parsed =
        import::parse(name, bytes, format).map_err(|e| CliError::Input(format!("{name}: {e}")))?;
    if parsed.partnership.is_none() {
        parsed.partnership = naming.partnership.clone();
    }
    if parsed.review.is_none() {
        parsed.review = naming.review.clone();
    }
    let format = format
        .or_else(|| import::detect_format(name, bytes))
        .map_or("unknown", |f| match f {
            Format::Text => "text",
            Format::Docx => "docx",
            Format::Csv => "csv",
        });
    let source = SourceFile {
        name: name.to_string(),
        size: bytes.len() as u64,
        blake3: *blake3::hash(bytes).as_bytes(),
        format: format.to_string(),
    };
    let plan = apply::plan_import(
        ledger.state(),
        &source,
        &parsed,
        ledger.next_seq(),
        ledger.today(),
    )
    .map_err(|e| CliError::Input(e.to_string()))?;
    let summary = format!("import {name}");
    let receipt = if dry_run {
        ledger.dry_run(actor, plan.commands.clone())?;
        None
    } else {
        Some(ledger.transact(actor, &summary, plan.commands.clone())?)
    };
    Ok(Outcome {
        name: name.to_string(),
        actions: parsed.actions.len(),
        plan,
        receipt,
    })
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
        outcome.name,
        outcome.actions,
        outcome.plan.changes.len(),
        outcome.plan.warnings.len()
    )?;
    for change in &outcome.plan.changes {
        writeln!(out, "  + {change}")?;
    }
    for warning in &outcome.plan.warnings {
        writeln!(out, "  ! {warning}")?;
    }
    Ok(())
}
