//! `planledger verify`: recompute and check everything, trusting nothing;
//! with `--checkpoint`, also that the ledger still holds the history each
//! signed checkpoint vouches for, and has only grown since.

use std::io::Write;
use std::path::PathBuf;

use crate::checkpoint::{self, Checkpoint, Comparison};
use crate::integrity;
use crate::projection::State;
use crate::query::audit::upgraded_from_words;
use crate::store::Store;
use crate::store::chain_check::Report;
use crate::text::visible;
use crate::wire;

use super::checkpoint::{event_at, ledger_info, read};
use super::progress::Counter;
use super::{CliError, Context};

#[derive(Debug, Default, clap::Args)]
pub struct Args {
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,

    /// A checkpoint the ledger must still hold: its signatures, its ledger, and the history to its head (repeatable)
    #[arg(long = "checkpoint", value_name = "FILE")]
    checkpoints: Vec<PathBuf>,
}

impl Args {
    /// `verify --checkpoint FILE`, for the demo.
    pub fn with_checkpoint(file: PathBuf) -> Args {
        Args {
            json: false,
            checkpoints: vec![file],
        }
    }
}

pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    // Every checkpoint is read and its signatures checked before the
    // ledger is opened: a file that is not one is refused outright.
    let checkpoints = args
        .checkpoints
        .iter()
        .map(|path| Ok((path, read(path)?)))
        .collect::<Result<Vec<_>, CliError>>()?;
    let checked = context
        .waiting(|wait| Store::open_for_verify_waiting(&context.ledger_dir, wait))
        .and_then(|store| {
            context.note_owed_rewrite(&store);
            let events = store.head().ok().flatten().map_or(0, |h| h.seq + 1);
            let bar = Counter::new(context.progress, events, "verifying");
            integrity::verify_with_progress(&store, &|read| bar.at(read))
                .map(|report| (report, store))
        });
    let (report, store) = match checked {
        Ok((report, store)) => (report, Some(store)),
        // Damage that stops the store opening or being read is a finding
        // like any other: reported in the normal way, at seq 0.
        Err(e) => match e.into_damage(&context.ledger_dir) {
            Ok(damage) => (Report::unreadable(damage), None),
            Err(e) => return Err(e.into()),
        },
    };
    // A checkpoint is held only against a chain that checks: the hashes it
    // is compared with are then the history's.
    let compared = match (&store, report.head) {
        (Some(store), Some((last, _))) if report.ok() && !checkpoints.is_empty() => {
            Some(compare(store, last, &checkpoints)?)
        }
        _ => None,
    };
    let standing = match (&store, &compared) {
        (Some(store), Some(_)) => signers_standing(store, &checkpoints)?,
        _ => Vec::new(),
    };
    drop(store);
    if args.json {
        let held = checkpoints
            .iter()
            .enumerate()
            .map(|(i, (path, checkpoint))| {
                let statement = checkpoint.statement();
                let comparison = compared.as_deref().and_then(|c| c.get(i));
                wire::VerifyCheckpoint {
                    file: path.display().to_string(),
                    head: wire::Head {
                        seq: statement.seq(),
                        hash: hex::encode(statement.hash()),
                    },
                    holds: comparison.is_some_and(Comparison::holds),
                    result: comparison.map(ToString::to_string),
                    signatures: checkpoint
                        .signatures()
                        .iter()
                        .enumerate()
                        .map(|(j, signed)| wire::CheckpointSignature {
                            role: signed.identity.role.label(),
                            name: signed.identity.name.clone(),
                            key: signed.identity.fingerprint(),
                            standing: standing.get(i).and_then(|w| w.get(j)).cloned(),
                        })
                        .collect(),
                }
            })
            .collect();
        wire::write(&wire::Verify::new(&report).with_checkpoints(held), out)?;
    } else {
        write_text(&report, &context.ledger_dir.display().to_string(), out)?;
        write_checkpoints(&checkpoints, compared.as_deref(), &standing, out)?;
    }
    let held = compared.is_none_or(|c| c.iter().all(Comparison::holds));
    if report.ok() && held {
        Ok(())
    } else {
        Err(CliError::Integrity)
    }
}

/// Holds each checkpoint against the verified ledger in `store`, whose
/// last event is at `last`. A checkpoint of another ledger is refused.
fn compare(
    store: &Store,
    last: u64,
    checkpoints: &[(&PathBuf, Checkpoint)],
) -> Result<Vec<Comparison>, CliError> {
    let info = ledger_info(store)?;
    for (path, checkpoint) in checkpoints {
        checkpoint
            .check_ledger(info.id, info.format_version)
            .map_err(|fault| CliError::Checkpoint {
                path: path.to_path_buf(),
                fault,
            })?;
    }
    checkpoints
        .iter()
        .map(|(_, checkpoint)| checkpoint.compare(last, |seq| event_at(store, seq)))
        .collect()
}

/// For each checkpoint, for each of its signatures: what the signer's key
/// was in the ledger at the checkpoint's head, in words ("an actor: Sam
/// Okafor, admin, assurance"), by the state folded to that point. A
/// checkpoint beyond the ledger's head gets none (it is reported false).
fn signers_standing(
    store: &Store,
    checkpoints: &[(&PathBuf, Checkpoint)],
) -> Result<Vec<Vec<String>>, CliError> {
    // One fold of the history, stopping at each checkpoint's head in turn.
    let mut order: Vec<usize> = (0..checkpoints.len()).collect();
    order.sort_by_key(|&i| checkpoints[i].1.statement().seq());
    let mut pending = order.into_iter().peekable();
    let mut standing = vec![Vec::new(); checkpoints.len()];
    let mut state = State::default();
    for event in store.events() {
        let event = event?;
        state.apply(event.seq, event.hash, &event.record);
        while let Some(&i) = pending.peek() {
            let checkpoint = &checkpoints[i].1;
            if checkpoint.statement().seq() > event.seq {
                break;
            }
            pending.next();
            if checkpoint.statement().seq() == event.seq {
                standing[i] = standing_of(&state, checkpoint);
            }
        }
        if pending.peek().is_none() {
            break;
        }
    }
    Ok(standing)
}

/// What each of `checkpoint`'s signers' keys was in `state`, in words.
fn standing_of(state: &State, checkpoint: &Checkpoint) -> Vec<String> {
    checkpoint
        .signer_keys()
        .iter()
        .map(|signer| match state.actor_by_key(&signer.key) {
            _ if !state.is_signed() => {
                "the ledger had no actors then, so no key was an actor's".to_string()
            }
            Some((actor, true)) if actor.revoked.is_none() => {
                let roles = crate::rules::roles_text(&actor.roles);
                if actor.name == signer.name {
                    format!("an actor of this ledger then ({roles})")
                } else {
                    format!(
                        "an actor of this ledger then, named there {} ({roles})",
                        visible(&actor.name)
                    )
                }
            }
            Some((actor, true)) => format!(
                "{}'s key, but {} had been revoked by then",
                visible(&actor.name),
                visible(&actor.name)
            ),
            Some((actor, false)) => {
                format!("a former key of {}, replaced by then", visible(&actor.name))
            }
            None => "no actor's key in this ledger (a witness from outside it)".to_string(),
        })
        .collect()
}

/// A line or two for each checkpoint: what it vouches for, who signed it,
/// and whether the ledger holds it.
fn write_checkpoints(
    checkpoints: &[(&PathBuf, Checkpoint)],
    compared: Option<&[Comparison]>,
    standing: &[Vec<String>],
    out: &mut dyn Write,
) -> Result<(), CliError> {
    for (i, (path, checkpoint)) in checkpoints.iter().enumerate() {
        let statement = checkpoint.statement();
        writeln!(
            out,
            "checkpoint  {}: seq {}  {}",
            path.display(),
            statement.seq(),
            hex::encode(statement.hash())
        )?;
        for (j, signed) in checkpoint.signatures().iter().enumerate() {
            let actor = standing
                .get(i)
                .and_then(|words| words.get(j))
                .map_or(String::new(), |words| format!("; {words}"));
            writeln!(
                out,
                "  {} {} (key {}): signature checked{actor}",
                signed.identity.role,
                visible(&signed.identity.name),
                signed.identity.fingerprint()
            )?;
        }
        match compared.and_then(|c| c.get(i)) {
            Some(comparison) if comparison.holds() => writeln!(out, "  OK: {comparison}")?,
            Some(comparison) => writeln!(out, "  FAILED: {comparison}")?,
            None => writeln!(out, "  not compared: the ledger fails verification (above)")?,
        }
    }
    if let Some(compared) = compared.filter(|c| c.len() > 1 && !c.iter().all(Comparison::holds))
        && let Some(range) = checkpoint::narrowest(compared)
    {
        let which = if range.start() == range.end() {
            format!("seq {}", range.start())
        } else {
            format!("one of seq {} to {}", range.start(), range.end())
        };
        writeln!(
            out,
            "checkpoints together: the first event that differs is {which}"
        )?;
    }
    // The chain's "result OK" above is not the last word.
    if let Some(compared) = compared {
        let failed = compared.iter().filter(|c| !c.holds()).count();
        if failed > 0 {
            writeln!(
                out,
                "result      FAILED: the chain is intact, but the ledger no longer holds the history that {failed} of {} checkpoint(s) vouch for",
                compared.len()
            )?;
        }
    }
    Ok(())
}

fn write_text(report: &Report, ledger: &str, out: &mut dyn Write) -> Result<(), CliError> {
    writeln!(out, "ledger      {ledger}")?;
    if let Some(id) = report.ledger_id {
        writeln!(out, "id          {}", hex::encode(id))?;
    }
    writeln!(
        out,
        "events      {} in {} transaction(s)",
        report.events, report.transactions
    )?;
    if let Some((seq, hash)) = report.head {
        writeln!(out, "head        seq {seq}  {}", hex::encode(hash))?;
    }
    if let Some(from) = &report.upgraded_from {
        writeln!(out, "upgraded    from {}", upgraded_from_words(from))?;
    }
    match report.first_signed_tx {
        Some(first) => writeln!(
            out,
            "signed      {} of {} transaction(s) are signed requests{}: each signature checked with the key its signer held then, each change against the signer's role and against what the request asked for",
            report.signed_transactions,
            report.transactions,
            if first == 0 {
                " (signed from the genesis)".to_string()
            } else {
                format!(" (from tx {first}; before it, unsigned: names as typed)")
            }
        )?,
        None => writeln!(
            out,
            "signed      no: the ledger has no actors, so each change's actor is a name as typed ('planledger actor add' adopts keys)"
        )?,
    }
    writeln!(
        out,
        "checked     every hash recomputed from stored bytes, every link and sequence number, \
         recorded time order, every record decoded, transaction records, the stored head, \
         and every event replayed against the ledger's rules"
    )?;
    if report.snapshots > 0 {
        writeln!(
            out,
            "snapshots   {} checked against a fold of the events",
            report.snapshots
        )?;
    }
    if report.action_index_entries > 0 {
        writeln!(
            out,
            "index       {} entries of the action index checked against the events they name (derived data: what 'history' reads)",
            report.action_index_entries
        )?;
    }
    if report.redacted_texts > 0 {
        writeln!(
            out,
            "redacted    {} text(s) erased by redactions, each checked against the redaction that erased it",
            report.redacted_texts
        )?;
    }
    if !report.clock_overridden.is_empty() {
        writeln!(
            out,
            "clock       {} transaction(s) recorded with an overridden clock: tx {}",
            report.clock_overridden.len(),
            list(&report.clock_overridden)
        )?;
    }
    if !report.clock_held.is_empty() {
        writeln!(
            out,
            "clock       {} transaction(s) recorded while the system clock was behind the ledger: tx {}",
            report.clock_held.len(),
            list(&report.clock_held)
        )?;
    }
    match report.first_bad_seq() {
        None => {
            let head = report.head.map_or_else(
                || "it holds no event".to_string(),
                |(seq, hash)| format!("from the genesis to seq {seq}, head {}", hex::encode(hash)),
            );
            writeln!(out, "result      OK: the ledger is intact {head}")?;
            // No chain can show its own truncation: only a head kept
            // elsewhere can (see README, "What verify proves").
            writeln!(
                out,
                "note        entries cut from the end would not show here: keep this head (seq and hash) elsewhere, and a later verify must reach it"
            )?;
        }
        Some(first) => {
            writeln!(
                out,
                "result      FAILED: first bad sequence number is {first}"
            )?;
            for problem in &report.problems {
                writeln!(out, "  seq {}: {}", problem.seq, problem.kind)?;
            }
        }
    }
    Ok(())
}

fn list(numbers: &[u64]) -> String {
    const SHOWN: usize = 12;
    let mut shown: Vec<String> = numbers.iter().take(SHOWN).map(u64::to_string).collect();
    if numbers.len() > SHOWN {
        shown.push(format!("and {} more", numbers.len() - SHOWN));
    }
    shown.join(", ")
}
