//! `planledger-gen`: makes a synthetic ledger of realistic shape at any
//! size, the same for the same seed, and leaves it for others to measure or
//! explore (the storage and fuzzing work use it; `planledger-bench` builds
//! its own with the same generator, `tools/bench/synth.rs`, whose note
//! describes the shape).
//!
//! Usage: `planledger-gen DIR [--events N] [--batch K] [--plans P]
//! [--actions M] [--seed S] [--redactions N]`. `DIR` must not exist or be
//! empty. Any failure ends it with a message and exit code 1.

#[path = "bench/synth.rs"]
mod synth;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use synth::{Result, Shape};

const USAGE: &str = "usage: planledger-gen DIR [--events N] [--batch K] [--plans P] [--actions M] [--seed S] [--redactions N]
defaults: --events 100000 --batch 500 --seed 0x5EED; plans as the events need, 10-60 actions a plan, one redaction per 200000 events";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("planledger-gen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn number(flag: &str, value: Option<String>) -> Result<u64> {
    let value = value.ok_or_else(|| format!("{flag} needs a value"))?;
    let clean = value.replace('_', "");
    let parsed = match clean.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => clean.parse(),
    };
    parsed.map_err(|e| format!("{flag} {value}: {e}").into())
}

fn run() -> Result<()> {
    let mut dir: Option<PathBuf> = None;
    let mut batch = 500u64;
    let mut shape = Shape {
        events: 100_000,
        plans: None,
        actions: None,
        redactions: None,
        seed: 0x5EED,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--events" => shape.events = number(&arg, args.next())?,
            "--batch" => batch = number(&arg, args.next())?,
            "--plans" => shape.plans = Some(u32::try_from(number(&arg, args.next())?)?),
            "--actions" => shape.actions = Some(u32::try_from(number(&arg, args.next())?)?),
            "--seed" => shape.seed = number(&arg, args.next())?,
            "--redactions" => shape.redactions = Some(number(&arg, args.next())?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other if other.starts_with('-') => {
                return Err(format!("unknown argument '{other}' (try --help)").into());
            }
            other if dir.is_none() => dir = Some(other.into()),
            other => return Err(format!("one directory only: '{other}' (try --help)").into()),
        }
    }
    let dir = dir.ok_or("name the directory to make the ledger in (try --help)")?;
    if batch == 0 || shape.plans == Some(0) || shape.actions == Some(0) {
        return Err("--batch, --plans and --actions must be at least 1".into());
    }
    let start = Instant::now();
    let built = synth::build(&dir, &shape, batch as usize, |done| {
        eprint!(
            "\r  {done} / {} events, {:.0?}",
            shape.events,
            start.elapsed()
        );
    })?;
    eprintln!();
    println!(
        "{}: {} events in {} transactions ({} redactions) in {:.1?}: {:.1?} in Ledger::transact ({:.1?} of it redacting), {:.1?} generating",
        dir.display(),
        built.events,
        built.transactions,
        built.redactions,
        start.elapsed(),
        built.took + built.redaction_took,
        built.redaction_took,
        built.generating
    );
    Ok(())
}
