//! `planledger verify-pack FILE`: checks an evidence pack (`ledger/FORMAT.md`
//! §7) with no ledger at all, trusting nothing in it. Exit 0 when it holds,
//! 3 when it does not, naming the first thing that fails.

use std::io::Write;
use std::path::PathBuf;

use crate::pack::{self, PackReport};
use crate::time::format_micros;
use crate::wire;

use super::CliError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The pack to check, as 'export --format pack' wrote it
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Checks `file`, printing text.
    pub fn for_file(file: PathBuf) -> Args {
        Args { file, json: false }
    }
}

pub fn run(args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let cannot =
        |e: std::io::Error| CliError::Input(format!("cannot read {}: {e}", args.file.display()));
    let file = std::fs::File::open(&args.file).map_err(cannot)?;
    let regular = file.metadata().map_err(cannot)?.is_file();
    // A regular file is read a line at a time, again for each step of the
    // check; a pipe or device, which cannot be read twice, is read whole.
    let checked = match regular {
        true => pack::verify_file(file).map_err(cannot)?,
        false => {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut &file, &mut bytes).map_err(cannot)?;
            pack::verify(&bytes)
        }
    };
    if args.json {
        wire::write(&wire::VerifyPack::new(&checked), out)?;
    } else {
        writeln!(out, "pack        {}", args.file.display())?;
        match &checked {
            Ok(report) => write_report(report, out)?,
            Err(fault) => writeln!(out, "result      FAILED: {fault}")?,
        }
    }
    match checked {
        Ok(_) => Ok(()),
        Err(_) => Err(CliError::Integrity),
    }
}

fn write_report(report: &PackReport, out: &mut dyn Write) -> Result<(), CliError> {
    let (as_of, as_of_hash, recorded_at) = report.as_of;
    let (head, head_hash) = report.head;
    writeln!(out, "ledger      {}", hex::encode(report.ledger_id))?;
    writeln!(out, "scope       {}", report.scope)?;
    writeln!(
        out,
        "as of       seq {as_of}  {}  recorded {}",
        hex::encode(as_of_hash),
        format_micros(recorded_at)
    )?;
    writeln!(out, "head        seq {head}  {}", hex::encode(head_hash))?;
    writeln!(
        out,
        "events      {}: {} disclosed, {} withheld; {} redacted",
        report.events,
        report.disclosed,
        report.withheld(),
        count(report.texts_redacted, "text")
    )?;
    if let Some(checkpoint) = &report.checkpoint {
        for signed in checkpoint.signatures() {
            writeln!(
                out,
                "checkpoint  {} {} (key {}): signature checked, vouching for the head",
                signed.identity.role,
                crate::text::visible(&signed.identity.name),
                signed.identity.fingerprint()
            )?;
        }
    }
    writeln!(
        out,
        "checked     the canonical form of every line, every hash from the genesis to the head, \
         every disclosed record and text against its commitment, that exactly the events the \
         scope requires are disclosed and filed under the right subject, and the projection \
         against a fold of the disclosed events"
    )?;
    let later = match report.in_scope_after_as_of {
        0 if as_of == head => String::from("the as-of event is the head"),
        0 => String::from("nothing in scope was recorded after the as-of event, up to the head"),
        n => format!(
            "{} in scope recorded after the as-of event, withheld (the pack is as of seq {as_of})",
            count(n, "event")
        ),
    };
    writeln!(out, "after       {later}")?;
    writeln!(
        out,
        "result      OK: the history of {} is complete and unaltered up to seq {as_of}, in a chain that reaches head seq {head}",
        report.scope
    )?;
    // No pack can show its own truncation: only a head kept elsewhere can.
    writeln!(
        out,
        "note        a pack cannot show that its head is the ledger's latest: compare the head (seq and hash) with one recorded elsewhere"
    )?;
    Ok(())
}

/// "1 text", "2 texts".
fn count(n: u64, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}
