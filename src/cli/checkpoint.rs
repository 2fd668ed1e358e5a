//! `planledger checkpoint` and `planledger witness`: sign a statement of the
//! ledger's head, and countersign one (`crate::checkpoint` does the work).
//!
//! `checkpoint` verifies the ledger in full first, as an evidence pack
//! does: a head is vouched for only when everything up to it checks.
//! `witness` needs no ledger: it checks the signatures already on the file
//! and adds one. Both write to standard output, or to a new file with
//! `-o`, and never replace a file. Reading a checkpoint for `verify
//! --checkpoint` is here too ([`read`]).

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::checkpoint::{self, Checkpoint, MAX_CHECKPOINT_BYTES, Statement};
use crate::integrity;
use crate::projection::{LedgerInfo, State};
use crate::store::Store;
use crate::text::visible;
use crate::time::format_micros;

use super::{CliError, Context, named_signing_key};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The signer's name, as people know them [default: the name on KEY.pub, or in an OpenSSH key]
    #[arg(long, value_name = "NAME")]
    name: Option<String>,

    /// Write the checkpoint to this new file ('-' for standard output, the default); never replaces a file
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct WitnessArgs {
    /// The checkpoint to countersign, as 'planledger checkpoint' (or another witness) wrote it
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// The witness's name, as people know them [default: the name on KEY.pub, or in an OpenSSH key]
    #[arg(long, value_name = "NAME")]
    name: Option<String>,

    /// Write the countersigned checkpoint to this new file ('-' for standard output, the default); never replaces a file
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
}

/// `planledger checkpoint`.
pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    // The key first: a wrong key or passphrase costs no verify.
    let path = key_path(context)?;
    let (key, name) = named_signing_key(&path, args.name.as_deref())?;
    let store =
        context.waiting(|wait| Store::open_for_verify_waiting(&context.ledger_dir, wait))?;
    let report = integrity::verify(&store)?;
    if let Some(problem) = report.problems.iter().min_by_key(|p| p.seq) {
        return Err(CliError::NotVouched {
            seq: problem.seq,
            what: problem.kind.to_string(),
        });
    }
    let Some((seq, hash)) = report.head else {
        return Err(CliError::Input(
            "the ledger holds no event to vouch for".into(),
        ));
    };
    let info = ledger_info(&store)?;
    let recorded_at = event_at(&store, seq)?.1;
    let statement =
        Statement::of_history(info.id, info.format_version, seq, hash, recorded_at, |at| {
            event_at(&store, at).map(|(hash, _)| hash)
        })?;
    drop(store);
    let made =
        checkpoint::sign(statement, &name, &key.key).map_err(|fault| CliError::Checkpoint {
            path: path.clone(),
            fault,
        })?;
    write_out(&made, args.output.as_deref(), "checkpoint", out)
}

/// `planledger witness`.
pub fn witness(context: &Context, args: &WitnessArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let read = read(&args.file)?;
    let (key, name) = named_signing_key(&key_path(context)?, args.name.as_deref())?;
    let witnessed = read
        .witness(&name, &key.key)
        .map_err(|fault| CliError::Checkpoint {
            path: args.file.clone(),
            fault,
        })?;
    write_out(
        &witnessed,
        args.output.as_deref(),
        "witnessed checkpoint",
        out,
    )
}

/// The private key to sign with: `--key FILE` or `PLANLEDGER_KEY`, as for
/// every signed change.
fn key_path(context: &Context) -> Result<PathBuf, CliError> {
    context.key.clone().ok_or_else(|| {
        CliError::Input(
            "a checkpoint is signed: give your private key with --key FILE (or PLANLEDGER_KEY)"
                .into(),
        )
    })
}

/// Reads and checks the checkpoint at `path`: its form and every
/// signature (not yet which ledger it is of).
pub fn read(path: &Path) -> Result<Checkpoint, CliError> {
    let cannot =
        |e: io::Error| CliError::Input(format!("cannot read checkpoint {}: {e}", path.display()));
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|file| file.take(MAX_CHECKPOINT_BYTES + 1).read_to_end(&mut bytes))
        .map_err(cannot)?;
    Checkpoint::parse(&bytes).map_err(|fault| CliError::Checkpoint {
        path: path.to_path_buf(),
        fault,
    })
}

/// The ledger's id and format, as its genesis states them.
pub fn ledger_info(store: &Store) -> Result<LedgerInfo, CliError> {
    let (hash, genesis) = store
        .event_at(0)?
        .ok_or_else(|| CliError::Input("the ledger holds no genesis event".into()))?;
    State::fold([(0, hash, &genesis)])
        .ledger
        .ok_or_else(|| CliError::Input("the ledger's first event is not its genesis".into()))
}

/// The stored hash and recorded time of the event at `seq`, which a
/// verified chain holds.
pub fn event_at(store: &Store, seq: u64) -> Result<([u8; 32], i64), CliError> {
    store
        .event_at(seq)?
        .map(|(hash, record)| (hash, record.recorded_at))
        .ok_or_else(|| CliError::Input(format!("event {seq} could not be read back")))
}

/// Writes `made` to standard output, or to a new file at `output` and a
/// few lines saying what it holds.
fn write_out(
    made: &Checkpoint,
    output: Option<&Path>,
    what: &str,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let text = made.render();
    let path = match output {
        None => return Ok(out.write_all(text.as_bytes())?),
        Some(path) if path == Path::new("-") => return Ok(out.write_all(text.as_bytes())?),
        Some(path) => path,
    };
    write_new(path, text.as_bytes())?;
    let statement = made.statement();
    writeln!(out, "wrote {what} {}", path.display())?;
    writeln!(out, "ledger      {}", hex::encode(statement.ledger_id()))?;
    writeln!(
        out,
        "head        seq {}  {}",
        statement.seq(),
        hex::encode(statement.hash())
    )?;
    writeln!(
        out,
        "recorded    {}",
        format_micros(statement.recorded_at())
    )?;
    for signed in made.signatures() {
        writeln!(
            out,
            "{:<12}{} (key {})",
            signed.identity.role.label(),
            visible(&signed.identity.name),
            signed.identity.fingerprint()
        )?;
    }
    Ok(())
}

/// Writes `bytes` to the new file `path` through a synced temporary file
/// beside it, linked into place only if the name is still free.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let cannot = |e: io::Error| CliError::Input(format!("cannot write {}: {e}", path.display()));
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".planledger-checkpoint-")
        .permissions(fs::Permissions::from_mode(0o666))
        .tempfile_in(folder)
        .map_err(cannot)?;
    file.write_all(bytes).map_err(cannot)?;
    file.as_file().sync_all().map_err(cannot)?;
    file.persist_noclobber(path).map_err(|e| {
        if e.error.kind() == io::ErrorKind::AlreadyExists {
            CliError::Input(format!(
                "{} exists; a checkpoint is written to a new file (or '-' for standard output)",
                path.display()
            ))
        } else {
            cannot(e.error)
        }
    })?;
    Ok(())
}
