//! `planledger apply FILE`: carries out a request signed elsewhere (an
//! agency's return), or with `--dry-run` says what it would record.

use std::io::Write;
use std::path::PathBuf;

use crate::ledger::Ledger;
use crate::query::audit::change_in_words;
use crate::request::SignedRequest;

use super::{CliError, report};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The return file (made by 'planledger request')
    file: PathBuf,
    /// Check it and say what it would record; write nothing
    #[arg(long)]
    dry_run: bool,
}

/// The largest return file read: a request of a few changes is a few
/// kilobytes.
const MAX_RETURN_BYTES: u64 = 16 * 1024 * 1024;

pub fn run(ledger: &mut Ledger, args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let cannot =
        |why: String| CliError::Input(format!("cannot apply {}: {why}", args.file.display()));
    let size = std::fs::metadata(&args.file)
        .map_err(|e| cannot(e.to_string()))?
        .len();
    if size > MAX_RETURN_BYTES {
        return Err(cannot(format!(
            "it is {size} bytes, more than a return file holds ({MAX_RETURN_BYTES})"
        )));
    }
    let bytes = std::fs::read(&args.file).map_err(|e| cannot(e.to_string()))?;
    let signed = SignedRequest::from_return(&bytes).map_err(|e| cannot(e.to_string()))?;
    let request = &signed.request;
    writeln!(
        out,
        "request by {} (key {}), made {}{}",
        request.signer,
        crate::keys::fingerprint_of(&request.key),
        crate::time::format_micros(request.made_at),
        match request.head_seen {
            Some((seq, _)) => format!(", having seen event {seq}"),
            None => ", without a copy of the ledger".to_string(),
        }
    )?;
    if args.dry_run {
        let records = ledger.dry_run_request(&signed)?;
        for record in &records {
            writeln!(out, "would record: {}", change_in_words(record, None))?;
        }
        writeln!(out, "dry run: nothing was written")?;
        return Ok(());
    }
    let receipt = ledger.apply_request(&signed, &format!("apply request by {}", request.signer))?;
    for event in &receipt.events {
        writeln!(out, "recorded: {}", change_in_words(&event.record, None))?;
    }
    report(&receipt, out)
}
