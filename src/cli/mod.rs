//! The command line: the only code that parses arguments, reads the
//! environment or prints.
//!
//! Each subcommand is an argument struct and a `run` function that writes to
//! a `&mut dyn Write`, so tests can call it without a process. Exit codes
//! are decided here and nowhere else: 0 ok, 1 a refused command or bad
//! input, 2 usage, 3 an integrity failure; a closed pipe ends quietly.

mod action;
mod actor;
mod apply;
mod checkpoint;
mod demo;
mod diff;
mod evidence;
mod export;
mod history;
mod import;
mod init;
mod key;
mod plan;
mod progress;
mod record;
mod redact;
mod show;
mod snapshot;
mod summary;
mod table;
mod upgrade;
mod verify;
mod verify_pack;
mod when;

use std::cell::RefCell;
use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};

use crate::date::{FuzzyDate, Target};
use crate::evidence::EvidenceError;
use crate::import::apply::RecordError;
use crate::keys::SigningKeyFile;
use crate::ledger::{Author, Ledger, LedgerError, Receipt, Stamped};
use crate::rules::Refusal;
use crate::store::{LockWait, Store, StoreError};
use crate::text::HiddenCharacter;
use crate::time::{Clock, DayEnd, FixedClock, SystemClock, format_micros, parse_instant};
use ed25519_dalek::SigningKey;

/// The ledger directory used when neither --ledger nor PLANLEDGER_LEDGER
/// names one.
pub const DEFAULT_LEDGER: &str = ".planledger";

/// How long a command waits, by default, for another process to let go of
/// the ledger (`--wait`).
pub const DEFAULT_WAIT_SECS: u64 = 60;

/// The longest wait `--wait` can ask for: a year.
const MAX_WAIT_SECS: u64 = 365 * 24 * 3600;

#[derive(Debug, Parser)]
#[command(
    name = "planledger",
    version,
    about = "A tamper-evident audit ledger for Domestic Homicide Review action plans",
    long_about = "A tamper-evident audit ledger for Domestic Homicide Review action plans.\n\n\
        Every status change, milestone, completion claim and assurance decision is a \
        hash-chained event. 'show' gives the plan as it stands, 'history' and 'audit' \
        who changed what and when, 'verify' proves nobody rewrote it.",
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// The ledger directory
    #[arg(long, global = true, env = "PLANLEDGER_LEDGER", default_value = DEFAULT_LEDGER, value_name = "DIR")]
    pub ledger: PathBuf,

    /// Who is making the change: required for a write to a ledger without
    /// actors; with --key, at most the name the ledger knows that key by
    #[arg(long, global = true, env = "PLANLEDGER_ACTOR", value_name = "NAME")]
    pub actor: Option<String>,

    /// Your private key (PKCS#8 PEM or OpenSSH): every change is signed
    /// with it as a request, which a ledger with actors requires
    #[arg(long, global = true, env = "PLANLEDGER_KEY", value_name = "FILE")]
    pub key: Option<PathBuf>,

    /// How long to wait for the ledger while another process has it open
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        default_value_t = DEFAULT_WAIT_SECS,
        conflicts_with = "no_wait"
    )]
    pub wait: u64,

    /// Fail at once if another process has the ledger open
    #[arg(long, global = true)]
    pub no_wait: bool,

    /// Draw no progress on the terminal (none is drawn where stderr is not
    /// a terminal)
    #[arg(long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the demo: import the shipped plan into a temporary ledger and tour it
    Demo(demo::Args),
    /// Create a new, empty ledger
    Init(init::Args),
    /// Import a plan from a text, Word (.docx), CSV, Excel (.xlsx) or OpenDocument (.ods) file
    Import(import::Args),
    /// Add a plan (one review's action plan)
    #[command(subcommand)]
    Plan(plan::PlanCommand),
    /// Add a numbered recommendation to a plan
    #[command(subcommand, name = "rec")]
    Recommendation(plan::RecCommand),
    /// Add an agency's action to a plan, link it to recommendations, amend it
    #[command(subcommand)]
    Action(action::ActionCommand),
    #[command(flatten)]
    Record(record::Asked),
    /// Make a signed request without a copy of the ledger and write it to a file (an agency's return)
    Request(record::RequestArgs),
    /// Carry out a signed request from a file (an agency's return)
    Apply(apply::Args),
    /// The people who sign changes: add, rotate a key, revoke, list
    #[command(subcommand)]
    Actor(actor::ActorCommand),
    /// Erase the words of an event's texts (personal data written in error); the event and its proof stay
    Redact(redact::Args),
    /// Show the plan as it stands
    Show(show::Args),
    /// Count actions by status, overdue, awaiting assurance and the Commissioner's categories
    Summary(summary::Args),
    /// Show everything recorded about one action
    History(history::HistoryArgs),
    /// Show who changed what and when, across the ledger
    Audit(history::AuditArgs),
    /// What changed between two instants (or, with --valid, two dates)
    Diff(diff::Args),
    /// Re-check every stored event, hash, link and the head (and, with --checkpoint, a signed head)
    Verify(verify::Args),
    /// Sign a statement of the head (its seq, hash and time) that others keep and 'verify --checkpoint' checks
    Checkpoint(checkpoint::Args),
    /// Countersign a checkpoint as a witness (no ledger needed)
    Witness(checkpoint::WitnessArgs),
    /// Rebuild the stored snapshots and the action index (derived data) from the events
    Snapshot(snapshot::Args),
    /// Check evidence files against the claims that cite them
    #[command(subcommand)]
    Evidence(evidence::EvidenceCommand),
    /// Write the ledger out for other programs, or an evidence pack of one plan's history
    Export(export::Args),
    /// Upgrade a ledger of format 1 or 2 into a new directory, in format 3 (the old one is left as it is)
    Upgrade(upgrade::Args),
    /// Check an evidence pack written by 'export --format pack', without the ledger
    VerifyPack(verify_pack::Args),
    /// Make and inspect the ed25519 keys that sign changes
    #[command(subcommand)]
    Key(key::KeyCommand),
}

/// A failure, carrying what decides the exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("{0}")]
    Input(String),
    /// `verify` found problems; its report has already been written.
    #[error("the ledger failed verification")]
    Integrity,
    /// A ledger that fails `verify` is not made into an evidence pack.
    #[error(
        "the ledger fails verification at seq {seq}: {what}; no pack was written (run 'planledger verify')"
    )]
    Unverified { seq: u64, what: String },
    /// A ledger that fails `verify` is not vouched for by a checkpoint.
    #[error(
        "the ledger fails verification at seq {seq}: {what}; no checkpoint was made (run 'planledger verify')"
    )]
    NotVouched { seq: u64, what: String },
    #[error("checkpoint {}: {fault}", .path.display())]
    Checkpoint {
        path: PathBuf,
        #[source]
        fault: crate::checkpoint::CheckpointError,
    },
    #[error(transparent)]
    Import(#[from] RecordError),
    #[error(transparent)]
    Evidence(#[from] EvidenceError),
    #[error(transparent)]
    Hidden(#[from] HiddenCharacter),
    #[error(transparent)]
    Upgrade(#[from] crate::upgrade::UpgradeError),
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error(transparent)]
    Key(#[from] crate::keys::KeyError),
    /// A view could not read back an event the folded state names.
    #[error(transparent)]
    Recall(crate::recall::RecallError),
}

impl From<crate::recall::RecallError> for CliError {
    fn from(e: crate::recall::RecallError) -> Self {
        match e {
            crate::recall::RecallError::Store(e) => CliError::Ledger(LedgerError::Store(*e)),
            e => CliError::Recall(e),
        }
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        CliError::Ledger(LedgerError::Store(e))
    }
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Integrity | CliError::Unverified { .. } | CliError::NotVouched { .. } => 3,
            CliError::Ledger(e) | CliError::Import(RecordError::Ledger(e)) if e.is_damage() => 3,
            CliError::Upgrade(e) if e.is_damage() => 3,
            CliError::Recall(_) => 3,
            // A view that writes as it reads fails as its output does, and
            // carries a failed read back inside the I/O error.
            CliError::Io(e)
                if e.get_ref()
                    .is_some_and(|inner| inner.is::<crate::recall::RecallError>()) =>
            {
                3
            }
            CliError::Ledger(_)
            | CliError::Import(_)
            | CliError::Input(_)
            | CliError::Evidence(_)
            | CliError::Hidden(_)
            | CliError::Upgrade(_)
            | CliError::Io(_)
            | CliError::Key(_)
            | CliError::Checkpoint { .. } => 1,
        }
    }
}

/// What every subcommand may need besides its own arguments.
pub struct Context<'a> {
    pub ledger_dir: PathBuf,
    pub actor: Option<String>,
    /// The private key to sign with (`--key`, `PLANLEDGER_KEY`).
    pub key: Option<PathBuf>,
    pub clock: Arc<dyn Clock>,
    /// How long to wait for another process to let go of the ledger;
    /// `None` fails at once.
    pub wait: Option<Duration>,
    /// Where to say that this process is waiting for the ledger.
    pub notices: RefCell<&'a mut dyn Write>,
    /// Whether to draw progress on the terminal: stderr is one, and no
    /// `--quiet`.
    pub progress: bool,
    /// Whether standard output is a terminal (output written there runs
    /// through a progress line, so none is drawn then).
    pub output_is_terminal: bool,
}

impl Context<'_> {
    /// A spinner on the terminal while a command writes `what` to standard
    /// output that goes to a file or pipe (a national ledger's report or
    /// trail takes seconds to minutes). None when the output is the
    /// terminal, which it would run through, or with `--quiet`.
    pub fn line_while_redirected(&self, what: &str) -> progress::Steps {
        let steps = progress::Steps::new(self.progress && !self.output_is_terminal, 1);
        steps.step(format!("writing {what} to standard output"));
        steps
    }

    /// Opens the ledger for a command that may write; one this process
    /// cannot write is refused in one line, writing nothing.
    pub fn open(&self) -> Result<Ledger, CliError> {
        Ok(self.waiting(|wait| Ledger::open_waiting(&self.ledger_dir, self.clock.clone(), wait))?)
    }

    /// Opens the ledger for a command that only reads it: the one way every
    /// reader opens it, so that each works on a ledger this process cannot
    /// write (read from a copy of its files, left as it is).
    pub fn open_to_read(&self) -> Result<Ledger, CliError> {
        let ledger = self.waiting(|wait| {
            Ledger::open_to_read_waiting(&self.ledger_dir, self.clock.clone(), wait)
        })?;
        self.note_owed_rewrite(ledger.store());
        Ok(ledger)
    }

    /// [`Context::open_to_read`], running `first` on the store before the
    /// ledger's state is folded ([`Ledger::open_to_read_after`]).
    pub fn open_to_read_after<R>(
        &self,
        first: impl FnOnce(&Store) -> Result<R, StoreError>,
    ) -> Result<(Ledger, R), CliError> {
        let (ledger, found) = self.waiting(|wait| {
            Ledger::open_to_read_after(&self.ledger_dir, self.clock.clone(), wait, first)
        })?;
        self.note_owed_rewrite(ledger.store());
        Ok((ledger, found))
    }

    /// [`Context::open_to_read`], with the state folded on this thread
    /// alone, for a command that builds large state of its own next (an
    /// export): see [`Ledger::open_to_read_after`].
    pub fn open_to_read_on_this_thread(&self) -> Result<Ledger, CliError> {
        Ok(self.open_to_read_after(|_| Ok(()))?.0)
    }

    /// Says, on the notices stream, when a ledger read from a copy of its
    /// files still owes a redaction's rewrite: the reader sees the words
    /// erased, but they may remain in the ledger's files, and only a
    /// command that can write to it finishes the rewrite.
    pub fn note_owed_rewrite(&self, store: &Store) {
        if store.reads_a_copy() && store.rewrite_owed().unwrap_or(false) {
            let _ = writeln!(
                self.notices.borrow_mut(),
                "note: ledger {} owes a redaction's rewrite, so the erased words may remain in its files until a command that can write to it opens it",
                self.ledger_dir.display()
            );
        }
    }

    /// Opens the store alone for a command that only reads it and folds
    /// no state (`history`), as [`Context::open_to_read`] opens it.
    pub fn open_store_to_read(&self) -> Result<Store, CliError> {
        let store = self.waiting(|wait| Store::open_to_read_waiting(&self.ledger_dir, wait))?;
        self.note_owed_rewrite(&store);
        Ok(store)
    }

    /// Opens the store alone (for `verify` and `snapshot`), waiting as
    /// [`Context::open`] does.
    pub fn open_store(&self) -> Result<Store, StoreError> {
        self.waiting(|wait| Store::open_waiting(&self.ledger_dir, wait))
    }

    /// Runs `open` with this command's wait for the ledger's lock: until
    /// the deadline, saying once on the notices stream what it waits for.
    pub fn waiting<T>(&self, open: impl FnOnce(LockWait<'_>) -> T) -> T {
        self.waiting_for(&self.ledger_dir, open)
    }

    /// [`Context::waiting`] for the ledger at `dir`.
    pub fn waiting_for<T>(&self, dir: &Path, open: impl FnOnce(LockWait<'_>) -> T) -> T {
        let mut tell = || {
            let mut notices = self.notices.borrow_mut();
            let _ = match self.wait {
                Some(wait) => writeln!(
                    notices,
                    "waiting for ledger {}: another process has it open (waiting up to {} s; --no-wait fails at once)",
                    dir.display(),
                    wait.as_secs()
                ),
                None => Ok(()),
            };
        };
        open(LockWait {
            until: self.wait.map(|wait| Instant::now() + wait),
            on_wait: Some(&mut tell),
        })
    }

    /// The private key `--key` names, read (asking for its passphrase if
    /// it is encrypted), or `None` when no key is given.
    pub fn signing_key(&self) -> Result<Option<SigningKey>, CliError> {
        let Some(path) = self.key.as_deref().filter(|p| !p.as_os_str().is_empty()) else {
            return Ok(None);
        };
        let file = SigningKeyFile::read(path, &mut key::passphrase_for)?;
        Ok(Some(file.key))
    }

    /// Records `commands` as one transaction: signed with `--key` when one
    /// is given, else by the `--actor` name on a ledger without actors.
    /// With a key, `--actor` may only repeat the name the ledger knows the
    /// key by.
    pub fn transact(
        &self,
        ledger: &mut Ledger,
        summary: &str,
        commands: Vec<Stamped>,
    ) -> Result<Receipt, CliError> {
        let key = self.signing_key()?;
        let author = self.author(ledger, key.as_ref())?;
        Ok(ledger.transact_as(author, summary, commands)?)
    }

    /// Who writes: the key, checked against `--actor`, or the typed name.
    pub fn author<'k>(
        &'k self,
        ledger: &Ledger,
        key: Option<&'k SigningKey>,
    ) -> Result<Author<'k>, CliError> {
        let Some(key) = key else {
            if ledger.state().is_signed() {
                return Err(CliError::Ledger(LedgerError::Refused(Refusal::Unsigned)));
            }
            return Ok(Author::Named(self.actor()?));
        };
        let public = key.verifying_key().to_bytes();
        if let (Some(typed), Some((actor, _))) =
            (self.actor.as_deref(), ledger.state().actor_by_key(&public))
            && !typed.trim().is_empty()
            && typed.trim() != actor.name
        {
            return Err(CliError::Input(format!(
                "--actor says '{}', but key {} is {}'s: a signed change is shown under its key's name (leave out --actor)",
                typed.trim(),
                crate::keys::fingerprint_of(&public),
                actor.name
            )));
        }
        Ok(Author::Key(key))
    }

    pub fn actor(&self) -> Result<&str, CliError> {
        let actor = self
            .actor
            .as_deref()
            .filter(|a| !a.trim().is_empty())
            .ok_or(CliError::Ledger(LedgerError::NoActor))?;
        Ok(crate::text::typed("--actor (PLANLEDGER_ACTOR)", actor)?)
    }
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let code = run(std::env::args_os(), &mut out, &mut io::stderr());
    match out.flush() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            eprintln!("error: {e}");
            1
        }
        _ => code,
    }
}

/// Parses `args`, runs the command, writes results to `out` and problems to
/// `err`, and returns the exit code.
pub fn run(
    args: impl IntoIterator<Item = OsString>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // A value our own parser refused (a date, a target) is bad input;
            // anything else clap refuses is a usage error.
            let code = match e.kind() {
                _ if !e.use_stderr() => 0,
                clap::error::ErrorKind::ValueValidation => 1,
                _ => 2,
            };
            let text = e.render().to_string();
            let sink: &mut dyn Write = if e.use_stderr() { err } else { out };
            let _ = sink.write_all(text.as_bytes());
            return code;
        }
    };
    let clock: Arc<dyn Clock> = match std::env::var("PLANLEDGER_CLOCK") {
        Ok(text) if !text.trim().is_empty() => match overridden_clock(&text) {
            Ok(clock) => Arc::new(clock),
            Err(why) => {
                let _ = writeln!(err, "error: PLANLEDGER_CLOCK: {why}");
                return 2;
            }
        },
        _ => Arc::new(SystemClock),
    };
    let wait = (!cli.no_wait).then(|| Duration::from_secs(cli.wait.min(MAX_WAIT_SECS)));
    let context = Context {
        ledger_dir: cli.ledger,
        actor: cli.actor,
        key: cli.key,
        clock,
        wait,
        notices: RefCell::new(err),
        progress: !cli.quiet && io::stderr().is_terminal(),
        output_is_terminal: io::stdout().is_terminal(),
    };
    let result = dispatch(&context, &cli.command, out);
    let err = context.notices.into_inner();
    match result {
        Ok(()) => 0,
        Err(CliError::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(CliError::Integrity) => 3,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            e.exit_code()
        }
    }
}

/// The clock `PLANLEDGER_CLOCK` asks for. It may set the clock back (a
/// demo, a test, re-entering a day's work) but never ahead of the real one:
/// a time in the future would be held at the head by every later entry,
/// making real entries look backdated, and would let an effective date in
/// the future pass as "today".
fn overridden_clock(text: &str) -> Result<FixedClock, String> {
    let now = parse_instant(text, DayEnd::Start).map_err(|e| e.to_string())?;
    let real = SystemClock.now();
    if now > real {
        return Err(format!(
            "{} is later than this machine's clock ({}); an override may only set the clock back",
            format_micros(now),
            format_micros(real)
        ));
    }
    Ok(FixedClock::new(now))
}

fn dispatch(context: &Context, command: &Command, out: &mut dyn Write) -> Result<(), CliError> {
    // These work on a ledger that does not exist yet, or that may be damaged
    // and so must not be folded first.
    let mut ledger = match command {
        Command::Init(args) => return init::run(context, args, out),
        Command::Demo(args) => return demo::run(context, args, out),
        Command::Verify(args) => return verify::run(context, args, out),
        Command::Checkpoint(args) => return checkpoint::run(context, args, out),
        Command::Witness(args) => return checkpoint::witness(context, args, out),
        Command::Snapshot(args) => return snapshot::run(context, args, out),
        Command::Upgrade(args) => return upgrade::run(context, args, out),
        Command::Key(command) => return key::run(command, out),
        Command::VerifyPack(args) => return verify_pack::run(args, out),
        Command::Request(args) => return record::request(context, args, out),
        // Read from the action's own events, never folding the ledger.
        Command::History(args) => return history::run(context, args, out),
        // A view other than the latest is folded from the store alone.
        Command::Show(args) => return show::run(context, args, out),
        // A report verifies the store before the state is folded.
        Command::Export(args) => return export::run(context, args, out),
        // A view other than the latest is folded from the store alone.
        Command::Summary(args) => return summary::run(context, args, out),
        // Both ends folded from the store alone, the changes streamed.
        Command::Diff(args) => return diff::run(context, args, out),
        _ if only_reads(command) => context.open_to_read()?,
        _ => context.open()?,
    };
    let _line = match command {
        Command::Audit(_) => Some(context.line_while_redirected("the audit trail")),
        _ => None,
    };
    match command {
        Command::Import(a) => import::run(&mut ledger, context, a, out),
        Command::Plan(c) => plan::run_plan(&mut ledger, context, c, out),
        Command::Recommendation(c) => plan::run_rec(&mut ledger, context, c, out),
        Command::Action(c) => action::run(&mut ledger, context, c, out),
        Command::Record(asked) => record::run(&mut ledger, context, asked, out),
        Command::Apply(a) => apply::run(&mut ledger, a, out),
        Command::Actor(c) => actor::run(&mut ledger, context, c, out),
        Command::Redact(a) => redact::run(&mut ledger, context, a, out),
        Command::Audit(a) => history::run_audit(&ledger, a, out),
        Command::Evidence(c) => evidence::run(&ledger, c, out),
        // Returned above.
        Command::Init(_)
        | Command::Demo(_)
        | Command::Verify(_)
        | Command::Checkpoint(_)
        | Command::Witness(_)
        | Command::Snapshot(_)
        | Command::Upgrade(_)
        | Command::Key(_)
        | Command::Request(_)
        | Command::History(_)
        | Command::Show(_)
        | Command::Export(_)
        | Command::Diff(_)
        | Command::Summary(_)
        | Command::VerifyPack(_) => Ok(()),
    }
}

/// True for a subcommand that never writes to the ledger it opens, and so
/// works on one this process cannot write (`Context::open_to_read`).
/// `verify` opens its store as a reader too (`Store::open_for_verify`);
/// `upgrade` reads the old ledger from a copy. Every subcommand is named,
/// so that a new one must say which it is.
fn only_reads(command: &Command) -> bool {
    match command {
        Command::Show(_)
        | Command::Summary(_)
        | Command::History(_)
        | Command::Audit(_)
        | Command::Diff(_)
        | Command::Export(_)
        | Command::Evidence(_)
        | Command::Verify(_)
        | Command::Actor(actor::ActorCommand::List)
        // It verifies the ledger and signs its head, writing nothing there.
        | Command::Checkpoint(_)
        // These four never open a ledger.
        | Command::Witness(_)
        | Command::Request(_)
        | Command::VerifyPack(_)
        | Command::Key(_) => true,
        // `import --dry-run` and `apply --dry-run` write nothing, but are a
        // writer's rehearsal: they are refused where the writer would be.
        Command::Demo(_)
        | Command::Init(_)
        | Command::Import(_)
        | Command::Plan(_)
        | Command::Recommendation(_)
        | Command::Action(_)
        | Command::Record(_)
        | Command::Apply(_)
        | Command::Actor(
            actor::ActorCommand::Add(_)
            | actor::ActorCommand::Rotate(_)
            | actor::ActorCommand::Revoke(_),
        )
        | Command::Redact(_)
        | Command::Snapshot(_)
        | Command::Upgrade(_) => false,
    }
}

/// The private key at `path`, and the name to sign with: `name` if given,
/// else the key file's own (an OpenSSH comment), else the `Name:` line of
/// the public key file beside it (`KEY.pub`, as 'planledger key new'
/// writes it), which must hold the same key.
pub(crate) fn named_signing_key(
    path: &Path,
    name: Option<&str>,
) -> Result<(SigningKeyFile, String), CliError> {
    let key = SigningKeyFile::read(path, &mut key::passphrase_for)?;
    if let Some(name) = name {
        return Ok((key, crate::keys::check_name(name)?.to_string()));
    }
    if let Some(name) = key
        .name
        .as_deref()
        .and_then(|n| crate::keys::check_name(n).ok())
    {
        let name = name.to_string();
        return Ok((key, name));
    }
    let mut public = path.as_os_str().to_owned();
    public.push(".pub");
    let public = PathBuf::from(public);
    if public.exists() {
        let file = crate::keys::PublicKeyFile::read(&public)?;
        if file.key != key.key.verifying_key() {
            return Err(CliError::Input(format!(
                "{} holds another key than {}: give the signer's name with --name",
                public.display(),
                path.display()
            )));
        }
        if let Some(name) = file.name.as_deref() {
            let name = crate::keys::check_name(name)?.to_string();
            return Ok((key, name));
        }
    }
    Err(CliError::Input(format!(
        "{} carries no name, and {} none either: give the signer's name with --name",
        path.display(),
        public.display()
    )))
}

/// Parses an `--effective` date for clap.
pub(crate) fn parse_effective(text: &str) -> Result<FuzzyDate, String> {
    FuzzyDate::parse_iso(text).map_err(|e| e.to_string())
}

/// Parses a target for clap: a date, or words such as 'Ongoing'.
pub(crate) fn parse_target(text: &str) -> Result<Target, String> {
    Target::parse_cli(text).map_err(|e| e.to_string())
}

/// Says what was written: the sequence numbers and the new head.
pub(crate) fn report(receipt: &Receipt, out: &mut dyn Write) -> Result<(), CliError> {
    let (Some(first), Some(last)) = (receipt.events.first(), receipt.events.last()) else {
        return Ok(());
    };
    let seqs = if first.seq == last.seq {
        format!("seq {}", first.seq)
    } else {
        format!("seq {}–{}", first.seq, last.seq)
    };
    writeln!(
        out,
        "recorded {seqs} at {}, head {}",
        format_micros(last.record.recorded_at),
        &hex::encode(last.hash)[..16]
    )?;
    if let Some(read) = receipt.clock_held {
        writeln!(
            out,
            "note: the clock read {}, earlier than the ledger's last entry; the entry's time was used instead",
            format_micros(read)
        )?;
    }
    Ok(())
}
