//! `planledger snapshot --rebuild`: replace the stored snapshots and the
//! action index (derived data) with ones made afresh from the events.

use std::io::Write;

use crate::snapshot;

use super::CliError;
use super::progress::{Counter, Steps};

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
    let events = store.head()?.map_or(0, |h| h.seq + 1);
    {
        let bar = Counter::new(context.progress, events, "folding");
        for event in store.events() {
            let event = event?;
            state.apply(event.seq, event.hash, &event.record);
            if event.seq % 1024 == 0 {
                bar.at(event.seq);
            }
        }
    }
    let dropped = snapshot::rebuild(&store, &state)?;
    let steps = Steps::new(context.progress, 1);
    steps.step("writing the action index".to_string());
    store.rebuild_action_index()?;
    drop(steps);
    writeln!(
        out,
        "Dropped {dropped} snapshot(s); wrote one at event {}, and the action index afresh",
        state.head.map_or(0, |(seq, _)| seq)
    )?;
    Ok(())
}
