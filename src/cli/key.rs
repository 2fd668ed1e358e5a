//! `planledger key new` and `planledger key show`: make an ed25519 key pair
//! for signing, and say what a key file holds (`crate::keys` does the
//! work). No ledger is opened.
//!
//! A passphrase comes from `PLANLEDGER_KEY_PASSPHRASE` when it is set (for
//! scripts and tests), or is asked for on the terminal without echo (twice
//! for a new key); it is never an argument, which other users could read
//! from the process list.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use zeroize::Zeroizing;

use crate::keys::{self, KeyError, KeyFile};

use super::CliError;

/// The environment variable that gives a key's passphrase.
pub const PASSPHRASE_VAR: &str = "PLANLEDGER_KEY_PASSPHRASE";

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Make a new ed25519 key pair: the private key (PKCS#8 PEM, mode 0600)
    /// and the public key (SPKI PEM) beside it
    New(NewArgs),
    /// Say what a key file holds: private or public, its format, its
    /// fingerprint, and the public key as SPKI PEM
    Show(ShowArgs),
}

#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// Whose key this is, for people: written beside the public key
    #[arg(long, value_name = "NAME")]
    name: String,

    /// The private key file to create (never replaced if it exists)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,

    /// The public key file to create [default: FILE.pub]
    #[arg(long = "pub", value_name = "FILE")]
    public: Option<PathBuf>,

    /// Protect the private key with a passphrase (from PLANLEDGER_KEY_PASSPHRASE, or asked twice on the terminal)
    #[arg(long)]
    passphrase: bool,
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The key file: PKCS#8 or SPKI (PEM or DER), or OpenSSH ed25519
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

pub fn run(command: &KeyCommand, out: &mut dyn Write) -> Result<(), CliError> {
    match command {
        KeyCommand::New(args) => new(args, out),
        KeyCommand::Show(args) => show(args, out),
    }
}

fn new(args: &NewArgs, out: &mut dyn Write) -> Result<(), CliError> {
    if args.output.as_os_str() == "-" {
        return Err(CliError::Input(
            "a private key is written to a file, never to standard output: give -o FILE".into(),
        ));
    }
    let public = args.public.clone().unwrap_or_else(|| {
        let mut name = args.output.clone().into_os_string();
        name.push(".pub");
        PathBuf::from(name)
    });
    let name = keys::check_name(&args.name)?;
    let note_unused = std::env::var_os(PASSPHRASE_VAR).is_some() && !args.passphrase;
    let passphrase = if args.passphrase {
        Some(new_passphrase(&args.output)?)
    } else {
        None
    };
    let key = keys::generate()?;
    keys::write_new(
        &key,
        name,
        &args.output,
        &public,
        passphrase.as_ref().map(|p| p.as_str()),
    )?;
    let protection = if passphrase.is_some() {
        "encrypted PKCS#8 PEM under your passphrase"
    } else {
        "PKCS#8 PEM, not encrypted"
    };
    writeln!(
        out,
        "wrote private key {} ({protection}; mode 0600: keep it to yourself)",
        args.output.display()
    )?;
    writeln!(
        out,
        "wrote public key  {} (SPKI PEM: give this one to the ledger's admin)",
        public.display()
    )?;
    writeln!(out, "name:        {name}")?;
    writeln!(
        out,
        "fingerprint: {}",
        keys::fingerprint(&key.verifying_key())
    )?;
    if note_unused {
        writeln!(
            out,
            "note: {PASSPHRASE_VAR} is set, but without --passphrase the key is not encrypted"
        )?;
    }
    Ok(())
}

fn show(args: &ShowArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let file = KeyFile::read(&args.file, &mut passphrase_for)?;
    let kind = match file {
        KeyFile::Private(_) => "private key",
        KeyFile::Public(_) => "public key",
    };
    let public = file.public_key();
    writeln!(out, "file:        {}", args.file.display())?;
    writeln!(out, "kind:        {kind}, {}", file.format())?;
    if let Some(name) = file.name() {
        writeln!(
            out,
            "name:        {} (as the file says; not part of the key)",
            crate::text::visible(name)
        )?;
    }
    writeln!(out, "fingerprint: {}", keys::fingerprint(&public))?;
    write!(out, "{}", keys::public_pem(&public)?)?;
    Ok(())
}

/// The passphrase of the encrypted key file at `path`: the environment's,
/// or asked for once on the terminal. Every command that reads a private
/// key passes this to `crate::keys`.
pub fn passphrase_for(path: &Path) -> Result<Zeroizing<String>, KeyError> {
    let no_passphrase = |why: String| KeyError::NoPassphrase {
        path: path.to_path_buf(),
        why,
    };
    match from_environment() {
        Some(Ok(passphrase)) if passphrase.is_empty() => {
            return Err(no_passphrase(format!("{PASSPHRASE_VAR} is set but empty")));
        }
        Some(Ok(passphrase)) => return Ok(passphrase),
        Some(Err(why)) => return Err(no_passphrase(why)),
        None => {}
    }
    let prompt = format!("Passphrase for {}: ", path.display());
    rpassword::prompt_password(prompt)
        .map(Zeroizing::new)
        .map_err(|_| {
            no_passphrase(format!(
                "there is no terminal to ask on (set {PASSPHRASE_VAR})"
            ))
        })
}

/// A new key's passphrase: the environment's, or asked for twice on the
/// terminal. It may not be empty.
fn new_passphrase(path: &Path) -> Result<Zeroizing<String>, CliError> {
    let passphrase = match from_environment() {
        Some(Ok(passphrase)) => passphrase,
        Some(Err(why)) => return Err(CliError::Input(why)),
        None => {
            let no_terminal = |_| {
                CliError::Input(format!(
                    "--passphrase needs a terminal to ask on, or {PASSPHRASE_VAR} set; nothing was written"
                ))
            };
            let prompt = format!("Passphrase for {}: ", path.display());
            let first = Zeroizing::new(rpassword::prompt_password(prompt).map_err(no_terminal)?);
            let again = Zeroizing::new(
                rpassword::prompt_password("Same passphrase again: ").map_err(no_terminal)?,
            );
            if first != again {
                return Err(CliError::Input(
                    "the two passphrases differ; nothing was written".into(),
                ));
            }
            first
        }
    };
    if passphrase.is_empty() {
        return Err(KeyError::EmptyPassphrase.into());
    }
    Ok(passphrase)
}

/// `PLANLEDGER_KEY_PASSPHRASE`, if it is set (even to nothing), or why it
/// cannot be used.
fn from_environment() -> Option<Result<Zeroizing<String>, String>> {
    let value = std::env::var_os(PASSPHRASE_VAR)?;
    Some(
        value
            .into_string()
            .map(Zeroizing::new)
            .map_err(|_| format!("{PASSPHRASE_VAR} is not valid UTF-8")),
    )
}
