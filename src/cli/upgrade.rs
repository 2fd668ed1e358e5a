//! `planledger upgrade OLD NEW`: carry a format-1 ledger into a new
//! ledger, or write a format-2 ledger again in format 3's blocks
//! (`crate::upgrade`), and say what was done, with the heads for the user
//! to write down.

use std::io::Write;
use std::path::PathBuf;

use crate::store::FORMAT_VERSION;
use crate::upgrade::{self, FROM_FORMAT, Upgraded};

use super::{CliError, Context};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The format-1 or format-2 ledger to upgrade (read only: it is left as
    /// it is)
    #[arg(value_name = "OLD")]
    old: PathBuf,
    /// Where to write the upgraded ledger: a new or empty directory
    #[arg(value_name = "NEW_DIR")]
    new: PathBuf,
}

pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let actor = context.actor()?;
    let upgraded = context.waiting_for(&args.old, |wait| {
        upgrade::upgrade(&args.old, &args.new, actor, context.clock.clone(), wait)
    })?;
    write_text(&upgraded, args, out)
}

fn write_text(done: &Upgraded, args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    if done.from_format != FROM_FORMAT {
        return write_relayout(done, args, out);
    }
    let Upgraded {
        from_format: _,
        old_id,
        old_head,
        events,
        transactions,
        new_id,
        new_head,
        verified,
    } = done;
    writeln!(
        out,
        "Upgraded the format-{FROM_FORMAT} ledger at {} into a new ledger at {}",
        args.old.display(),
        args.new.display()
    )?;
    write_head(out, "old ledger ", old_id, old_head, " (left as it was)")?;
    writeln!(
        out,
        "carried     {events} events in {transactions} transaction(s): the old genesis replaced by one naming the old ledger and its head, every other event as it was recorded, at the same sequence number"
    )?;
    write_head(out, "new ledger ", new_id, new_head, "")?;
    writeln!(
        out,
        "checked     the old ledger in full before anything was carried (every hash, link, record, transaction record, the head, and every event against the rules); the new ledger verified intact from its genesis to seq {} ({} events)",
        new_head.0, verified.events
    )?;
    writeln!(
        out,
        "note        write both heads down: the old head is what was carried, the new head what a later 'planledger verify' of the new ledger must reach"
    )?;
    Ok(())
}

/// What an upgrade from format 2 did: the same ledger, its same head, in
/// format 3's blocks.
fn write_relayout(done: &Upgraded, args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let Upgraded {
        from_format,
        old_id,
        old_head,
        events,
        transactions,
        verified,
        ..
    } = done;
    writeln!(
        out,
        "Upgraded the format-{from_format} ledger at {} into format {FORMAT_VERSION} at {}",
        args.old.display(),
        args.new.display()
    )?;
    write_head(
        out,
        "ledger     ",
        old_id,
        old_head,
        " (the old ledger left as it was)",
    )?;
    writeln!(
        out,
        "written     {events} events in {transactions} transaction(s), byte for byte, sixteen to a stored block: the same ledger id, the same hashes, so its checkpoints and evidence packs stay valid"
    )?;
    writeln!(
        out,
        "checked     the old ledger in full before anything was written (every hash, link, text, transaction record, the head, every event against the rules, the snapshots and the action index); the new one verified intact to the same head ({} events)",
        verified.events
    )?;
    Ok(())
}

/// One ledger's line: its id and head (seq and hash), for the user to
/// write down.
fn write_head(
    out: &mut dyn Write,
    label: &str,
    id: &[u8; 16],
    head: &(u64, crate::event::Hash),
    after: &str,
) -> Result<(), CliError> {
    writeln!(
        out,
        "{label} {}, head seq {}  {}{after}",
        hex::encode(id),
        head.0,
        hex::encode(head.1)
    )?;
    Ok(())
}
