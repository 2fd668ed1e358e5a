//! `planledger upgrade OLD NEW`: carry a format-1 ledger into a new
//! format-2 ledger (`crate::upgrade`), and say what was done, with both
//! heads for the user to write down.

use std::io::Write;
use std::path::PathBuf;

use crate::upgrade::{self, FROM_FORMAT, Upgraded};

use super::{CliError, Context};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The format-1 ledger to upgrade (read only: it is left as it is)
    #[arg(value_name = "OLD")]
    old: PathBuf,
    /// Where to write the format-2 ledger: a new or empty directory
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
    let Upgraded {
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
    writeln!(
        out,
        "old ledger  {}, head seq {}  {} (left as it was)",
        hex::encode(old_id),
        old_head.0,
        hex::encode(old_head.1)
    )?;
    writeln!(
        out,
        "carried     {events} events in {transactions} transaction(s): the old genesis replaced by one naming the old ledger and its head, every other event as it was recorded, at the same sequence number"
    )?;
    writeln!(
        out,
        "new ledger  {}, head seq {}  {}",
        hex::encode(new_id),
        new_head.0,
        hex::encode(new_head.1)
    )?;
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
