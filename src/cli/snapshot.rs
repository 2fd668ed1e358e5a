//! `planledger snapshot --rebuild`: replace the stored snapshots and the
//! action index (derived data) with ones made afresh from the events.

use std::io::Write;

use crate::snapshot;

use super::CliError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Drop every stored snapshot and write one folded from the events, and the action index afresh
    #[arg(long, required = true)]
    rebuild: bool,
}

pub fn run(context: &super::Context, _args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let store = context.open_store()?;
    // Fold from the events alone, never from a snapshot being replaced.
    let mut state = crate::projection::State::default();
    for event in store.events() {
        let event = event?;
        state.apply(event.seq, event.hash, &event.record);
    }
    let dropped = snapshot::rebuild(&store, &state)?;
    store.rebuild_action_index()?;
    writeln!(
        out,
        "Dropped {dropped} snapshot(s); wrote one at event {}, and the action index afresh",
        state.head.map_or(0, |(seq, _)| seq)
    )?;
    Ok(())
}
