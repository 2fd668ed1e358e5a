//! `planledger export`: the ledger for other programs and people: the chain
//! as JSON Lines, the plan as JSON or CSV, reports in Markdown or as one
//! self-contained HTML page, and evidence packs. Reports are verified first
//! and say so; a pack is made only from a ledger that verifies.

use std::borrow::Cow;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::command::{resolve_action, resolve_plan};
use crate::export::{self, ReportEvents};
use crate::integrity;
use crate::ledger::{Ledger, LedgerError, View};
use crate::pack::{self, Scope};
use crate::query::audit::slot_names_in;
use crate::store::chain_check::Report;
use crate::store::{Store, StoredEvent};
use crate::wire;

use ed25519_dalek::SigningKey;

use super::progress::Steps;
use super::when::{Resolved, TimeArgs};
use super::{CliError, Context, named_signing_key};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// The chain as JSON Lines: seq, prev, hash, record bytes and decoded fields
    Events,
    /// The plan as it stands (the shape of 'show --json')
    Json,
    /// One row per action in the Home Office template's columns (UTF-8 with a BOM)
    Csv,
    /// A report for board papers: summary, actions per agency, claims, audit trail
    #[value(alias = "markdown")]
    Md,
    /// The report as one self-contained HTML page with charts, for a browser or printing
    Html,
    /// An evidence pack: one plan's (--plan) or action's (--action) history, or the whole
    /// ledger's, that anyone can check without the ledger with 'verify-pack'
    Pack,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to write
    #[arg(long, value_enum)]
    format: Format,
    /// Write to this file instead of standard output ('-' for standard
    /// output); a file is replaced whole, keeping its permissions
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// CSV only: leave out the byte order mark Excel needs to read UTF-8
    #[arg(long)]
    no_bom: bool,
    /// Pack only: disclose this plan's history, e.g. P1 (the default is the whole ledger)
    #[arg(long, value_name = "PLAN", conflicts_with = "action")]
    plan: Option<String>,
    /// Pack only: disclose this action's history, e.g. A3, with its plan's own events
    #[arg(long, value_name = "ACTION")]
    action: Option<String>,
    #[command(flatten)]
    when: TimeArgs,
}

pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    // A report says what `verify` found. It verifies the store before the
    // ledger's state is folded, so that verify's replay and the state are
    // never held at once (at national size, each is tens of MB).
    let (ledger, verified) = match args.format {
        Format::Md | Format::Html => {
            let (ledger, report) = context.open_to_read_after(integrity::verify_on_this_thread)?;
            (ledger, Some(report))
        }
        Format::Events | Format::Json | Format::Csv | Format::Pack => {
            (context.open_to_read_on_this_thread()?, None)
        }
    };
    let verified = verified.as_ref();
    let resolved = args.when.resolve(&ledger)?;
    // With --key, a pack ends with a checkpoint of its head signed by the
    // key's holder: by the name the ledger knows the key by, or as given.
    let signer = match (&context.key, &args.format) {
        (Some(path), Format::Pack) => {
            let known = context.signing_key()?.and_then(|key| {
                let public = key.verifying_key().to_bytes();
                let actor = ledger
                    .state()
                    .actor_by_key(&public)
                    .map(|(a, _)| a.name.clone());
                Some(key).zip(actor.or_else(|| context.actor.clone()))
            });
            match known {
                Some(signer) => Some(signer),
                None => {
                    let (file, name) = named_signing_key(path, None)?;
                    Some((file.key, name))
                }
            }
        }
        _ => None,
    };
    if matches!(args.format, Format::Events) && resolved.view.valid_at.is_some() {
        return Err(CliError::Input(
            "--valid-at does not apply to the raw chain, which is in recorded order: use --as-of"
                .into(),
        ));
    }
    if matches!(args.format, Format::Pack) && resolved.view.valid_at.is_some() {
        return Err(CliError::Input(
            "--valid-at does not apply to an evidence pack, which holds the chain in recorded order: use --as-of"
                .into(),
        ));
    }
    if !matches!(args.format, Format::Pack) && (args.plan.is_some() || args.action.is_some()) {
        return Err(CliError::Input(
            "--plan and --action choose what an evidence pack discloses: they apply to --format pack only".into(),
        ));
    }
    let output = args.output.as_deref().filter(|p| *p != Path::new("-"));
    let target = output
        .map(|path| Target::of(path, ledger.store().dir()))
        .transpose()?;
    // A spinner while a big ledger is written out (only to a file: written
    // to the terminal, the output would run through it), or a line while
    // standard output is redirected.
    let _steps = match output {
        Some(path) => {
            let steps = Steps::new(context.progress, 1);
            steps.step(format!("writing {}", path.display()));
            steps
        }
        None => context.line_while_redirected("the export"),
    };
    match args.format {
        Format::Pack => {
            let mut pack = write_pack(ledger, args, &resolved, signer)?;
            emit(target, &mut |w| Ok(io::copy(&mut pack, w).map(drop)?), out)?;
        }
        Format::Events | Format::Json | Format::Csv | Format::Md | Format::Html => {
            emit(
                target,
                &mut |w| write(&ledger, verified, args, &resolved, w),
                out,
            )?;
        }
    }
    if let Some(path) = output {
        resolved.write_notes(out)?;
        writeln!(out, "Wrote {}", path.display())?;
    }
    Ok(())
}

/// Writes what `body` writes to `target`, or to `out` when there is none
/// (standard output).
fn emit(
    target: Option<Target>,
    body: &mut dyn FnMut(&mut dyn Write) -> Result<(), CliError>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    match target {
        None => body(out),
        Some(Target::Stream(stream)) => {
            let mut writer = BufWriter::new(stream);
            body(&mut writer)?;
            writer.flush()?;
            Ok(())
        }
        Some(Target::File { path: real, mode }) => write_file(&real, mode, body),
    }
}

/// Where `-o PATH` writes.
enum Target {
    /// A device or a pipe that exists: written to as it is, never replaced.
    Stream(File),
    /// A regular file, new or to be replaced, at its real path (a link is
    /// followed to the file it names, and the link kept); `mode` is the
    /// permission bits of the file it replaces.
    File { path: PathBuf, mode: Option<u32> },
}

impl Target {
    /// Checks `path` as a place to write a report: never inside the ledger
    /// directory `ledger_dir`, never over a directory or anything else that
    /// is not a regular file, a device or a pipe.
    fn of(path: &Path, ledger_dir: &Path) -> Result<Target, CliError> {
        let refuse = |why: &str| CliError::Input(format!("cannot write {}: {why}", path.display()));
        let cannot = |e: io::Error| refuse(&e.to_string());
        let real = match fs::canonicalize(path) {
            Ok(real) => real,
            // A new file: its folder must exist; the name is kept as given.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let name = path.file_name().ok_or_else(|| refuse("it names no file"))?;
                let folder = match path.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p,
                    _ => Path::new("."),
                };
                fs::canonicalize(folder).map_err(cannot)?.join(name)
            }
            Err(e) => return Err(cannot(e)),
        };
        if let Ok(ledger) = fs::canonicalize(ledger_dir)
            && real.starts_with(&ledger)
        {
            return Err(refuse(
                "it is inside the ledger directory, whose files only planledger writes; nothing was written",
            ));
        }
        let kind = match fs::metadata(&real) {
            Ok(metadata) => metadata,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Target::File {
                    path: real,
                    mode: None,
                });
            }
            Err(e) => return Err(cannot(e)),
        };
        let file_type = kind.file_type();
        if file_type.is_file() {
            return Ok(Target::File {
                path: real,
                mode: Some(kind.permissions().mode() & 0o7777),
            });
        }
        if file_type.is_char_device() || file_type.is_fifo() {
            let stream = OpenOptions::new().write(true).open(&real).map_err(cannot)?;
            return Ok(Target::Stream(stream));
        }
        Err(refuse(
            "it is not a regular file (give a file name, or '-' for standard output); nothing was written",
        ))
    }
}

/// Writes a file through a temporary file beside it, renamed into place,
/// so that a failure part-way never leaves a partial report under the name
/// asked for. A replaced file keeps its permission bits; a new one gets the
/// usual bits for a new file (0666 less the umask), like any program's.
fn write_file(
    path: &Path,
    mode: Option<u32>,
    body: impl FnOnce(&mut dyn Write) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let cannot = |e: io::Error| CliError::Input(format!("cannot write {}: {e}", path.display()));
    let folder = path.parent().unwrap_or(Path::new("."));
    let file = tempfile::Builder::new()
        .prefix(".planledger-export")
        // Created with these bits less the umask, as open(2) does.
        .permissions(fs::Permissions::from_mode(0o666))
        .tempfile_in(folder)
        .map_err(cannot)?;
    let mut writer = BufWriter::new(file);
    body(&mut writer)?;
    writer.flush()?;
    let file = writer.into_inner().map_err(|e| cannot(e.into_error()))?;
    if let Some(mode) = mode {
        fs::set_permissions(file.path(), fs::Permissions::from_mode(mode)).map_err(cannot)?;
    }
    file.as_file().sync_all().map_err(cannot)?;
    file.persist(path).map_err(|e| cannot(e.error))?;
    Ok(())
}

/// Writes the export asked for. `verified` is what `verify` found, if it
/// ran before the ledger was folded; a report verifies here otherwise.
fn write(
    ledger: &Ledger,
    verified: Option<&Report>,
    args: &Args,
    resolved: &Resolved,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let state = ledger.state_view(resolved.view)?;
    let today = resolved.day;
    match args.format {
        Format::Events => {
            // Line by line as the events stream from the store: the
            // history is never held whole.
            for event in ledger.store().events() {
                let event = event.map_err(LedgerError::from)?;
                if !resolved.view.admits(&event) {
                    break;
                }
                export::events::write_jsonl(std::slice::from_ref(&event), out)?;
            }
        }
        Format::Json => wire::Show::new(&state, ledger, today).write(out)?,
        Format::Csv => {
            let options = export::csv::Options { bom: !args.no_bom };
            export::csv::write(&state, ledger, today, options, out)?;
        }
        // Made by `write_pack`, from the store alone.
        Format::Pack => {}
        Format::Md | Format::Html => {
            let verified_here;
            let report = match verified {
                Some(report) => report,
                None => {
                    verified_here = integrity::verify_on_this_thread(ledger.store())?;
                    &verified_here
                }
            };
            let events = Admitted {
                store: ledger.store(),
                view: resolved.view,
            };
            let input = export::ReportInput {
                state: &state,
                events: &events,
                recall: ledger,
                verify: report,
                today,
                generated_at: ledger.now(),
            };
            match args.format {
                Format::Md => export::markdown::write(&input, out)?,
                _ => export::html::write(&input, out)?,
            }
        }
    }
    Ok(())
}

/// The stored events a view admits, read from the store afresh for each
/// pass a report makes, never held whole.
struct Admitted<'a> {
    store: &'a Store,
    view: View,
}

impl ReportEvents for Admitted<'_> {
    fn each(&self) -> Box<dyn Iterator<Item = io::Result<Cow<'_, StoredEvent>>> + '_> {
        // Events are in recorded-time order: those a view admits are a prefix.
        let admitted = self
            .store
            .events()
            .take_while(|e| e.as_ref().is_ok_and(|e| self.view.admits(e)) || e.is_err());
        Box::new(admitted.map(|e| e.map(Cow::Owned).map_err(io::Error::other)))
    }

    fn slot_names(&self, seq: u64) -> Option<Vec<String>> {
        slot_names_in(self.store, seq)
    }
}

/// An evidence pack (`pack::make_file`) of the scope asked for, as of
/// `--as-of`, from a ledger that passes `verify`: a pack vouches for a
/// history, and its reader cannot replay a plan pack against the rules.
/// Returns the checked pack, read from its start. The ledger's state is
/// let go of once the scope is resolved, and its store once the pack is
/// written, before the pack is checked: at national size each is tens of
/// MB, and the check needs neither.
fn write_pack(
    ledger: Ledger,
    args: &Args,
    resolved: &Resolved,
    signer: Option<(SigningKey, String)>,
) -> Result<File, CliError> {
    let as_of = resolved.view.as_of;
    let state = ledger.state_view(View {
        as_of,
        valid_at: None,
    })?;
    if state.ledger.is_none() {
        let at = args.when.as_of.as_deref().unwrap_or("that time");
        return Err(CliError::Input(format!(
            "the ledger did not exist yet at {at}: there is nothing to pack"
        )));
    }
    let scope = match (&args.plan, &args.action) {
        (Some(plan), _) => Scope::Plan(resolve_plan(&state, plan).map_err(LedgerError::from)?),
        (None, Some(action)) => {
            let action = resolve_action(&state, action).map_err(LedgerError::from)?;
            let plan = state.actions[&action].plan;
            Scope::Action { plan, action }
        }
        (None, None) => Scope::Ledger,
    };
    drop(state);
    let store = ledger.into_store();
    let report = integrity::verify_on_this_thread(&store)?;
    if let Some(problem) = report.problems.iter().min_by_key(|p| p.seq) {
        return Err(CliError::Unverified {
            seq: problem.seq,
            what: problem.kind.to_string(),
        });
    }
    drop(report);
    let checkpoint = signer
        .as_ref()
        .map(|(key, name)| pack::Signer { name, key });
    // Written a line at a time to a temporary file, checked there, then
    // copied out: the events are read twice and never held whole.
    let unchecked = pack::make_file(
        || store.events(),
        &store,
        pack::Request {
            scope,
            as_of,
            checkpoint,
        },
    )
    .map_err(|e| CliError::Input(e.to_string()))?;
    drop(store);
    unchecked
        .check()
        .map_err(|e| CliError::Input(e.to_string()))
}
