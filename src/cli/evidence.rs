//! `planledger evidence check FILE...`: is this the file a claim was made
//! with? Each file is hashed (never stored) and compared with the evidence
//! every claim recorded.

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;

use crate::evidence;
use crate::ledger::Ledger;
use crate::query::evidence::{Citation, citations};

use super::CliError;

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Say which claims cite each file with exactly its bytes, and which cite a
    /// file of its name whose bytes differ (exit 1 unless every file is cited
    /// exactly)
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The files to check
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

pub fn run(
    ledger: &Ledger,
    command: &EvidenceCommand,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let EvidenceCommand::Check(args) = command;
    let mut uncited = 0;
    for path in &args.files {
        let file = evidence::hash_file(path)?;
        let found = citations(ledger.state(), ledger, &file)?;
        writeln!(
            out,
            "{} ({} bytes, BLAKE3 {}…)",
            path.display(),
            file.size,
            &hex::encode(file.blake3)[..16]
        )?;
        for citation in &found.exact {
            writeln!(out, "  cited by {}", describe(citation))?;
        }
        for citation in &found.same_name_differs {
            writeln!(
                out,
                "  DIFFERS from the file {} cited by {} ({} bytes, BLAKE3 {}…)",
                citation.cited.name,
                describe(citation),
                citation.cited.size,
                &hex::encode(citation.cited.blake3)[..16]
            )?;
        }
        if found.exact.is_empty() {
            uncited += 1;
            if found.same_name_differs.is_empty() {
                writeln!(out, "  no claim cites this file")?;
            }
        }
    }
    if uncited > 0 {
        return Err(CliError::Input(format!(
            "{uncited} of {} file(s) are cited by no claim with exactly these bytes",
            args.files.len()
        )));
    }
    Ok(())
}

fn describe(citation: &Citation) -> String {
    format!(
        "claim {} of {} (as '{}', recorded {} by {})",
        citation.claim,
        citation.action,
        citation.cited.name,
        crate::time::format_short(citation.at.recorded_at),
        citation.at.actor
    )
}
