//! `planledger import FILE`: read a plan from a text, Word, CSV or spreadsheet file and
//! record it, with its provenance, as one transaction.

use std::io::Write;
use std::path::PathBuf;

use crate::import::Format;
use crate::import::apply::{self, Naming, Outcome, Stage};
use crate::ledger::Ledger;
use crate::text::visible;

use super::progress::{Steps, count};
use super::{CliError, Context, report};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    /// The text layout of a plan turned from PDF or Word into text
    Text,
    /// A Word document with the Home Office template tables
    Docx,
    /// A spreadsheet saved as CSV, with a header row
    Csv,
    /// An Excel workbook: each sheet a table with a header row
    Xlsx,
    /// An OpenDocument spreadsheet: each sheet a table with a header row
    Ods,
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
    /// List every change and every warning (by default a long list is
    /// shortened and warnings of one kind are shown once, with a count;
    /// every warning is recorded either way)
    #[arg(long)]
    verbose: bool,
}

pub fn run(
    ledger: &mut Ledger,
    context: &Context,
    args: &Args,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let key = context.signing_key()?;
    let author = context.author(ledger, key.as_ref())?;
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
        FormatArg::Xlsx => Format::Xlsx,
        FormatArg::Ods => Format::Ods,
    });
    crate::text::all_typed(&[
        ("--partnership", args.partnership.as_deref().unwrap_or("")),
        ("--review", args.review.as_deref().unwrap_or("")),
    ])?;
    let naming = Naming {
        partnership: args.partnership.clone(),
        review: args.review.clone(),
    };
    let steps = Steps::new(context.progress, apply::stages(args.dry_run));
    let outcome = apply::record(
        ledger,
        author,
        &name,
        &bytes,
        format,
        &naming,
        args.dry_run,
        &mut |stage| {
            steps.step(match stage {
                Stage::Reading { bytes } => {
                    format!("reading {} ({} bytes)", visible(&name), count(bytes))
                }
                Stage::Planning { rows } => format!("matching {} row(s)", count(rows)),
                Stage::Checking { changes } => format!("checking {} change(s)", count(changes)),
                Stage::Writing { changes } => format!("writing {} change(s)", count(changes)),
            })
        },
    )?;
    drop(steps);
    write_outcome(&outcome, args.verbose, out)?;
    if let Some(receipt) = &outcome.receipt {
        report(receipt, out)?;
    } else {
        writeln!(out, "dry run: nothing was written")?;
    }
    Ok(())
}

/// Changes listed one by one before the rest are counted.
const CHANGES_SHOWN: usize = 40;

/// Says what an import did or would do: every change and warning with
/// `verbose`; otherwise at most [`CHANGES_SHOWN`] changes, the new actions
/// beyond them counted by agency, and the first warning of each kind with
/// how many more there are like it.
pub fn write_outcome(
    outcome: &Outcome,
    verbose: bool,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let plan = &outcome.plan;
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
        plan.changes.len(),
        plan.warnings.len()
    )?;
    // Rows not read as actions are said before anything else.
    let shortfall = plan.shortfall.as_ref();
    if let Some(warning) = shortfall {
        writeln!(out, "  ! {}", visible(warning))?;
    }
    let shown = if verbose {
        plan.changes.len()
    } else {
        CHANGES_SHOWN
    };
    for change in plan.changes.iter().take(shown) {
        writeln!(out, "  + {}", visible(change))?;
    }
    if plan.changes.len() > shown {
        let by_agency: Vec<String> = plan
            .added_by_agency
            .iter()
            .map(|(agency, n)| format!("{} {n}", visible(agency)))
            .collect();
        writeln!(
            out,
            "  + … and {} more change(s) (--verbose lists them); new actions by agency: {}",
            plan.changes.len() - shown,
            by_agency.join(", ")
        )?;
    }
    let others = plan.warnings.iter().filter(|w| Some(*w) != shortfall);
    write_warnings(others, verbose, "all recorded; --verbose lists them", out)
}

/// Writes `warnings`: every one with `verbose`; otherwise the first of each
/// kind, with how many more there are like it (and `more`, where to find
/// them).
pub fn write_warnings<'w>(
    warnings: impl Iterator<Item = &'w String>,
    verbose: bool,
    more: &str,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    if verbose {
        for warning in warnings {
            writeln!(out, "  ! {}", visible(warning))?;
        }
        return Ok(());
    }
    // Warnings of one kind: the same words once dates, numbers and the
    // place in the document are set aside.
    let mut kinds: Vec<(String, &String, usize)> = Vec::new();
    for warning in warnings {
        let kind = warning_kind(warning);
        match kinds.iter_mut().find(|(k, _, _)| *k == kind) {
            Some((_, _, count)) => *count += 1,
            None => kinds.push((kind, warning, 1)),
        }
    }
    for (_, first, count) in kinds {
        writeln!(out, "  ! {}", visible(first))?;
        if count > 1 {
            writeln!(out, "    … and {} more like this ({more})", count - 1)?;
        }
    }
    Ok(())
}

/// What a warning says, without where (the locator before ": ") or which
/// dates and numbers: warnings with the same kind differ only in those.
fn warning_kind(warning: &str) -> String {
    let words = warning.split_once(": ").map_or(warning, |(_, rest)| rest);
    let mut kind = String::with_capacity(words.len());
    let mut in_number = false;
    for c in words.chars() {
        let numeric = c.is_ascii_digit() || (in_number && matches!(c, '-' | '.' | '/' | ','));
        if numeric {
            if !in_number {
                kind.push('#');
            }
        } else {
            kind.push(c);
        }
        in_number = numeric;
    }
    // A list of dates is one date, however long.
    for list in ["#, #", "# #"] {
        while kind.contains(list) {
            kind = kind.replace(list, "#");
        }
    }
    kind
}
