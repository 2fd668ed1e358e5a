//! `planledger-bench`: builds synthetic ledgers and measures what a user
//! waits for and how much memory it takes. Its figures go in
//! `BENCHMARKS.md`; nothing in the test suite times anything.
//!
//! The synthetic-ledger generator makes `--plans` plans of `--actions`
//! actions each (with recommendations), then a realistic mix of later
//! changes: status moves, milestone notes, completion claims with evidence
//! hashes, accept and challenge decisions, retargets and withdrawals, about
//! a fifth of them with a backdated effective date. Every change is legal:
//! the generator chooses each one from the state it will meet and checks it
//! with the ledger's own rules before handing it over (see [`Generator`]).
//! It goes through the public library API, [`Ledger::transact`], in
//! transactions of `--batch` events, timed by a `FixedClock` that advances
//! a few minutes per event. The generator is seeded, so a run is
//! reproducible.
//!
//! It measures, and prints as Markdown table rows:
//!
//! - appends, one event per transaction (`--small` events, as a person at
//!   the command line makes them) and in batches (`--batch`, building the
//!   big ledger of `--events` events); only `Ledger::transact` is timed;
//! - `Ledger::open` with the stored snapshots and after removing them;
//! - `state_at` by sequence and by recorded time, `state_view` at a valid
//!   date, the full `integrity::verify` (what `planledger verify` runs), the
//!   audit trail;
//! - the ledger's size on disk;
//! - `planledger show`, `verify` and `export --format html` run as a user
//!   runs them, with their peak memory (through `/usr/bin/time`).
//!
//! Usage: `planledger-bench [--events N] [--batch K] [--small N] [--plans P]
//! [--actions M] [--dir DIR] [--cli PATH]`; the defaults are the run in
//! `BENCHMARKS.md`: 100,000 events in transactions of 500, 2,000 appends of
//! one event, 40 plans of 25 actions. The `planledger` binary is looked for
//! beside this one; build both with `cargo build --release --bins`.
//! The sizes are the arguments: CI runs it in the debug build at a tiny size
//! (`--events 300 --batch 50 --small 60 --plans 2 --actions 5`) so that it
//! cannot silently stop working. Any failure (a refused command, a
//! problem `verify` finds, a `planledger` call that fails) ends it with a
//! message and exit code 1.

use std::error::Error;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Datelike, Days, NaiveDate};

use planledger::command::{self, Command};
use planledger::date::{FuzzyDate, Target};
use planledger::event::{ClockNote, Evidence, Micros, Record};
use planledger::id::{PlanId, RecId};
use planledger::integrity;
use planledger::ledger::{Bound, Ledger, Stamped, View};
use planledger::projection::State;
use planledger::query::audit;
use planledger::rules::{self, Refusal};
use planledger::status::Status;
use planledger::store::Store;
use planledger::time::{Clock, DayEnd, FixedClock, day_of, parse_instant};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// How many times a read is repeated; the best time is reported.
const REPEATS: usize = 3;

const AGENCIES: &[&str] = &[
    "Thames Valley Police",
    "A2Dominion",
    "Oxford Health NHS Foundation Trust",
    "Oxfordshire County Council Children's Services",
    "West Oxfordshire District Council",
    "National Probation Service",
    "Oxfordshire Clinical Commissioning Group",
    "Reducing the Risk of Domestic Abuse",
];

const ASSURANCE: &str = "Sam Okafor (assurance lead, West Oxfordshire CSP)";

const NOTES: &[&str] = &[
    "Raised at the co-ordinators' meeting; agreed to add to the induction pack",
    "Training session delivered to 14 frontline staff; attendance sheet filed",
    "Policy revised and sent to the safeguarding board for sign-off",
    "Dip sample of referrals started; first results due next quarter",
    "Awaiting funding decision from the Home Office programme",
    "Included in the quarterly audit of MARAC referrals",
];

struct Options {
    events: u64,
    batch: usize,
    small: u64,
    plans: u32,
    actions: u32,
    dir: Option<PathBuf>,
    cli: Option<PathBuf>,
}

impl Options {
    fn parse() -> Result<Options> {
        let mut options = Options {
            events: 100_000,
            batch: 500,
            small: 2_000,
            plans: 40,
            actions: 25,
            dir: None,
            cli: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--events" => options.events = number(&flag, value()?)?,
                "--batch" => options.batch = number(&flag, value()?)?,
                "--small" => options.small = number(&flag, value()?)?,
                "--plans" => options.plans = number(&flag, value()?)?,
                "--actions" => options.actions = number(&flag, value()?)?,
                "--dir" => options.dir = Some(value()?.into()),
                "--cli" => options.cli = Some(value()?.into()),
                "-h" | "--help" => {
                    println!(
                        "usage: planledger-bench [--events N] [--batch K] [--small N] [--plans P] [--actions M] [--dir DIR] [--cli PATH]\n\
                         defaults: --events 100000 --batch 500 --small 2000 --plans 40 --actions 25"
                    );
                    std::process::exit(0);
                }
                other => return Err(format!("unknown argument '{other}' (try --help)").into()),
            }
        }
        if options.batch == 0 || options.plans == 0 || options.actions == 0 {
            return Err("--batch, --plans and --actions must be at least 1".into());
        }
        Ok(options)
    }
}

/// A count given on the command line, with `_` allowed as in `100_000`.
fn number<T: std::str::FromStr>(flag: &str, value: String) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    value
        .replace('_', "")
        .parse()
        .map_err(|e| format!("{flag} {value}: {e}").into())
}

/// A small, seeded pseudo-random source (SplitMix64): reproducible runs
/// without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Makes the synthetic commands: first the plans, recommendations and
/// actions, then a mix of later changes.
///
/// Every command is chosen from the state it will meet: the generator folds
/// each command it makes into its own copy of the ledger's state (the fold
/// `Ledger` makes, hashes aside), reads an action's status, target and
/// pending claim from there, and checks each command with the same rules
/// `Ledger::transact` applies (the effective date is not in the future,
/// [`command::validate`], an assurance decision is not dated before its
/// claim). A command those rules refuse is a bug in the generator and stops
/// the run, naming the command, rather than failing later inside a
/// transaction of hundreds.
struct Generator {
    rng: Rng,
    setup: Vec<Command>,
    /// The ledger as it will be once every command made so far is stored.
    state: State,
    counter: u64,
}

impl Generator {
    /// A generator for a ledger whose state is now `state` (a new ledger's
    /// genesis).
    fn new(state: State, plans: u32, actions_per_plan: u32, seed: u64) -> Generator {
        let mut rng = Rng(seed);
        let mut setup = Vec::new();
        let recommendations = 6;
        for plan in 1..=plans {
            setup.push(Command::AddPlan {
                partnership: format!("Community Safety Partnership {plan}"),
                review: format!("DHR {plan:03}"),
                chair: Some("Independent Chair".into()),
                published: FuzzyDate::month(2018, 1 + (plan % 12)),
            });
            for r in 1..=recommendations {
                setup.push(Command::AddRecommendation {
                    plan: PlanId::of(plan),
                    number: None,
                    text: format!(
                        "Recommendation {r}: the partnership to seek assurance that agencies share risk information at MARAC"
                    ),
                    scope: Some("Local".into()),
                });
            }
            for a in 0..actions_per_plan {
                let agency = rng.pick(AGENCIES);
                setup.push(Command::AddAction {
                    plan: PlanId::of(plan),
                    agency: agency.into(),
                    lead: Some(format!("{agency} lead")),
                    text: format!(
                        "Action {a}: update procedures so that every referral records a risk level and a named officer"
                    ),
                    scope: Some("Local".into()),
                    recommendations: vec![RecId::of(1 + a % recommendations)],
                    target: target(a),
                });
            }
        }
        setup.reverse();
        Generator {
            rng,
            setup,
            state,
            counter: 0,
        }
    }

    /// The commands of one transaction of `size` commands, recorded at
    /// `now`, and the actor who makes it (the actor of its last command).
    fn transaction(&mut self, now: Micros, size: usize) -> Result<(String, Vec<Stamped>)> {
        let today = day_of(now);
        let tx = self.state.last_tx.map_or(0, |tx| tx + 1);
        let mut commands = Vec::with_capacity(size);
        let mut actor = String::new();
        for _ in 0..size {
            let (who, stamped) = self.next(today)?;
            let refused = |e: Refusal| {
                format!(
                    "the generator made a command the ledger refuses (change {}: {:?}, effective {}): {e}",
                    self.counter,
                    stamped.command,
                    stamped
                        .effective
                        .map_or_else(|| "unstated".to_string(), |d| d.to_string())
                )
            };
            // Drafted and admitted exactly as `Ledger::transact` does.
            let event = command::draft(&self.state, &stamped.command).map_err(refused)?;
            let seq = self.state.head.map_or(0, |(seq, _)| seq + 1);
            let record = Record {
                tx,
                recorded_at: now,
                clock: ClockNote::Overridden,
                actor: who.clone(),
                effective: stamped.effective,
                source: None,
                event,
            };
            rules::admissible(&self.state, seq, &record).map_err(refused)?;
            self.state.apply(seq, [0; 32], &record);
            actor = who;
            commands.push(stamped);
        }
        Ok((actor, commands))
    }

    /// The next command, with an actor, an effective date (sometimes
    /// backdated) for changes, and none for the setup.
    fn next(&mut self, today: NaiveDate) -> Result<(String, Stamped)> {
        self.counter += 1;
        if let Some(command) = self.setup.pop() {
            return Ok((ASSURANCE.to_string(), Stamped::from(command)));
        }
        let n = self.counter;
        let count = self.state.actions.len() as u64;
        let roll = self.rng.below(100);
        let note = self.rng.pick(NOTES);
        let action = self
            .state
            .actions
            .values()
            .nth(self.rng.below(count.max(1)) as usize)
            .ok_or("the setup adds at least one action")?;
        let id = action.id;
        let lead = action
            .lead
            .clone()
            .unwrap_or_else(|| format!("{} lead", action.agency));
        let status = |to: Status, reason: &str| Command::SetStatus {
            action: id,
            to,
            reason: reason.into(),
        };
        let milestone = Command::NoteMilestone {
            action: id,
            note: format!("{note} (entry {n})"),
        };
        let rng = &mut self.rng;
        let mut claim = || {
            let evidence = (0..1 + rng.below(3))
                .map(|i| Evidence {
                    name: format!("evidence-{n}-{i}.pdf"),
                    size: 10_000 + rng.below(2_000_000),
                    blake3: *blake3::hash(format!("{n}/{i}").as_bytes()).as_bytes(),
                })
                .collect();
            Command::Claim {
                action: id,
                outcome: format!("Procedure updated and staff briefed (claim {n})"),
                evidence,
            }
        };
        // A target that is not the one the action has.
        let retarget = || {
            let mut k = 100 + (n % 120) as u32;
            while planledger::date::same_target(action.target.as_ref(), target(k).as_ref()) {
                k += 1;
            }
            Command::Retarget {
                action: id,
                target: target(k),
                reason: "Course availability moved the date".into(),
            }
        };
        let (actor, command) = match action.status {
            Status::Open => match roll {
                0..50 => (lead, status(Status::InProgress, "Work started")),
                50..85 => (lead, milestone),
                _ => (lead, retarget()),
            },
            Status::InProgress => match roll {
                0..45 => (lead, milestone),
                45..70 => (lead, claim()),
                70..85 => (lead, retarget()),
                85..93 => (lead, status(Status::Embedded, "Now business as usual")),
                93..97 => (
                    ASSURANCE.to_string(),
                    Command::Withdraw {
                        action: id,
                        reason: "Superseded by a county-wide workstream".into(),
                    },
                ),
                _ => (lead, status(Status::Open, "Paused while staff change")),
            },
            Status::Claimed => {
                let finding = format!("Dip sample of ten referrals checked (decision {n})");
                let command = if roll < 60 {
                    Command::Accept {
                        action: id,
                        finding,
                    }
                } else {
                    Command::Challenge {
                        action: id,
                        finding,
                    }
                };
                (ASSURANCE.to_string(), command)
            }
            Status::Challenged => match roll {
                0..40 => (lead, milestone),
                40..75 => (lead, claim()),
                _ => (lead, status(Status::InProgress, "Back to work")),
            },
            Status::Assured => match roll {
                0..80 => (lead, milestone),
                _ => (lead, status(Status::InProgress, "Reopened after audit")),
            },
            Status::Embedded => match roll {
                0..60 => (lead, milestone),
                60..90 => (lead, claim()),
                _ => (lead, status(Status::InProgress, "Needs more work")),
            },
            Status::Withdrawn => (lead, status(Status::Open, "Taken up again")),
        };
        // About a fifth backdated, up to 400 days, by day or by month: a
        // period that has begun by today, so never in the future.
        let mut effective = if self.rng.below(100) < 20 {
            let back = today
                .checked_sub_days(Days::new(self.rng.below(400)))
                .unwrap_or(today);
            if self.rng.below(10) < 7 {
                FuzzyDate::day(back.year(), back.month(), back.day())
            } else {
                FuzzyDate::month(back.year(), back.month())
            }
        } else {
            None
        };
        // A decision is never dated before the claim it decides: where the
        // date drawn (or today) ends before the claim's period does, the
        // decision takes the claim's own date, which had begun when the
        // claim was recorded.
        if let (Command::Accept { .. } | Command::Challenge { .. }, Some(claimed)) =
            (&command, action.pending_claim())
        {
            let claimed = claimed.at.effective;
            if effective.map_or(today, |d| d.last_day()) < claimed.last_day() {
                effective = Some(claimed);
            }
        }
        Ok((
            actor,
            Stamped {
                command,
                effective,
                source: None,
            },
        ))
    }
}

/// A dated target, a different month for each `k`.
fn target(k: u32) -> Option<Target> {
    let year = 2019 + (k / 12) as i32;
    let month = 1 + k % 12;
    Some(Target {
        text: format!("{year}-{month:02}"),
        date: FuzzyDate::month(year, month),
    })
}

/// What an append run took.
struct Appends {
    events: u64,
    transactions: u64,
    /// Transactions that were stored but whose append returned an error.
    failed_after_write: u64,
    took: Duration,
}

/// Creates a ledger at `dir` and appends `events` generated events (beyond
/// the genesis) in transactions of `batch`.
fn build(dir: &Path, events: u64, batch: usize, plans: u32, actions: u32) -> Result<Appends> {
    let clock = Arc::new(FixedClock::new(parse_instant(
        "2019-01-07T09:00:00Z",
        DayEnd::Start,
    )?));
    let mut ledger = Ledger::init(dir, ASSURANCE, clock.clone())?;
    let mut generator = Generator::new(ledger.state().clone(), plans, actions, 0x5EED);
    let mut written = 0u64;
    let mut transactions = 0u64;
    let mut failed_after_write = 0u64;
    let mut rng = Rng(7);
    // Only `Ledger::transact` is timed, not the generator.
    let mut took = Duration::ZERO;
    while written < events {
        let size = batch.min((events - written) as usize);
        // A few minutes of simulated time per event.
        clock.advance_secs(60 * (1 + rng.below(10) as i64) * size as i64);
        let (actor, commands) = generator.transaction(clock.now(), size)?;
        let summary = if size == 1 {
            "bench change".to_string()
        } else {
            format!("bench batch of {size}")
        };
        let expected_next = ledger.next_seq() + size as u64;
        let start = Instant::now();
        let result = ledger.transact(&actor, &summary, commands);
        took += start.elapsed();
        if let Err(e) = result {
            // `Store::append` can fail *after* committing, when a blob file
            // it lists for fsync is deleted by sled before it is opened.
            // Reopen: if the transaction is there, count it and go on.
            drop(ledger);
            ledger = Ledger::open(dir, clock.clone())?;
            if ledger.next_seq() != expected_next {
                return Err(format!("transaction {transactions} ({summary}) failed: {e}").into());
            }
            eprintln!("\n  transaction {transactions} was written but reported: {e}");
            failed_after_write += 1;
        }
        written += size as u64;
        transactions += 1;
        if (batch > 1 && transactions.is_multiple_of(50)) || transactions.is_multiple_of(500) {
            eprint!("\r  {written} / {events} events");
        }
    }
    eprintln!("\r  {written} / {events} events, {took:.1?} in `Ledger::transact`");
    Ok(Appends {
        events: written,
        transactions,
        failed_after_write,
        took,
    })
}

/// Runs `f` `REPEATS` times and returns the best time and the last result.
/// The previous result is dropped before each run.
fn best_of<T>(mut f: impl FnMut() -> Result<T>) -> Result<(Duration, T)> {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..REPEATS {
        // Dropped first: an open ledger holds its lock.
        drop(last.take());
        let start = Instant::now();
        let value = f()?;
        best = best.min(start.elapsed());
        last = Some(value);
    }
    Ok((best, last.ok_or("REPEATS is at least 1")?))
}

/// Bytes in the files under `dir`.
fn size_on_disk(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            size_on_disk(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

/// A line of `/proc/self/status`, such as `VmHWM`, in kB.
fn own_status_kb(key: &str) -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// One `planledger` call as a user makes it: best wall time of `REPEATS`,
/// and the highest peak resident memory (kB) if `/usr/bin/time` is there.
fn run_cli(cli: &Path, dir: &Path, args: &[&str]) -> Result<(Duration, Option<u64>)> {
    let time = Path::new("/usr/bin/time");
    let measured =
        std::env::temp_dir().join(format!("planledger-bench-{}.time", std::process::id()));
    let mut best = Duration::MAX;
    let mut peak = None;
    for _ in 0..REPEATS {
        let mut process = if time.exists() {
            let mut p = Process::new(time);
            p.arg("-f").arg("%M").arg("-o").arg(&measured).arg(cli);
            p
        } else {
            Process::new(cli)
        };
        process
            .arg("--ledger")
            .arg(dir)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let start = Instant::now();
        let status = process.status()?;
        best = best.min(start.elapsed());
        if !status.success() {
            return Err(format!("planledger {} failed: {status}", args.join(" ")).into());
        }
        if time.exists() {
            let kb: u64 = fs::read_to_string(&measured)?.trim().parse()?;
            peak = Some(peak.map_or(kb, |p: u64| p.max(kb)));
        }
    }
    let _ = fs::remove_file(&measured);
    Ok((best, peak))
}

/// A note on appends that were stored but reported as failed, if any.
fn reported(failed_after_write: u64) -> String {
    if failed_after_write == 0 {
        String::new()
    } else {
        format!(
            " ({failed_after_write} written but reported as failed: a blob vanished during fsync)"
        )
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn per_sec(n: u64, d: Duration) -> String {
    format!("{:.0}", n as f64 / d.as_secs_f64())
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("planledger-bench: {e}");
            let mut cause = e.source();
            while let Some(c) = cause {
                eprintln!("  caused by: {c}");
                cause = c.source();
            }
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let options = Options::parse()?;
    let cli = match &options.cli {
        Some(path) => path.clone(),
        None => std::env::current_exe()?
            .parent()
            .ok_or("the bench binary has a folder")?
            .join("planledger"),
    };
    if !cli.exists() {
        return Err(format!(
            "no planledger binary at {} (build it with 'cargo build --release', or pass --cli)",
            cli.display()
        )
        .into());
    }
    let temp;
    let root = match &options.dir {
        Some(dir) => {
            fs::create_dir_all(dir)?;
            dir.clone()
        }
        None => {
            temp = tempfile::Builder::new()
                .prefix("planledger-bench-")
                .tempdir()?;
            temp.path().to_path_buf()
        }
    };
    let small_dir = root.join("small");
    let big_dir = root.join("big");
    for dir in [&small_dir, &big_dir] {
        if dir.exists() {
            return Err(format!("{} exists: give a fresh --dir", dir.display()).into());
        }
    }
    let mut rows = String::new();
    let mut row = |what: &str, figure: String| {
        let _ = writeln!(rows, "| {what} | {figure} |");
        eprintln!("{what}: {figure}");
    };

    if options.small > 0 {
        eprintln!("building the small ledger, one event per transaction");
        let plans = options.plans.min(2);
        let small = build(&small_dir, options.small, 1, plans, options.actions)?;
        row(
            &format!("append, 1 event per transaction ({} events)", small.events),
            format!(
                "{} events/s, {} transactions/s{}",
                per_sec(small.events, small.took),
                per_sec(small.transactions, small.took),
                reported(small.failed_after_write)
            ),
        );
    }

    eprintln!(
        "building the big ledger, {} events per transaction",
        options.batch
    );
    let big = build(
        &big_dir,
        options.events,
        options.batch,
        options.plans,
        options.actions,
    )?;
    row(
        &format!(
            "append, {} events per transaction ({} events)",
            options.batch, big.events
        ),
        format!(
            "{} events/s, {} transactions/s{}",
            per_sec(big.events, big.took),
            per_sec(big.transactions, big.took),
            reported(big.failed_after_write)
        ),
    );

    let clock = Arc::new(FixedClock::new(0));
    let (open_time, ledger) = best_of(|| Ok(Ledger::open(&big_dir, clock.clone())?))?;
    let head = ledger.next_seq() - 1;
    let snapshots: Vec<(u64, u64)> = ledger
        .store()
        .snapshots_upto(u64::MAX)
        .map(|s| s.map(|(seq, value)| (seq, value.len() as u64)))
        .collect::<std::result::Result<_, _>>()?;
    row(
        "ledger",
        format!(
            "{} events, {} plans, {} actions, {} snapshots (latest {})",
            head + 1,
            ledger.state().plans.len(),
            ledger.state().actions.len(),
            snapshots.len(),
            mib(snapshots.first().map_or(0, |s| s.1)),
        ),
    );
    row("`Ledger::open`, with snapshots", ms(open_time));

    let mid = head / 2;
    let first_at: Micros = ledger
        .store()
        .event_at(0)?
        .ok_or("the genesis event is stored")?
        .1
        .recorded_at;
    let last_at = ledger
        .store()
        .event_at(head)?
        .ok_or("the head event is stored")?
        .1
        .recorded_at;
    let t_mid = first_at + (last_at - first_at) / 2;
    let (took, _) = best_of(|| Ok(ledger.state_at(Bound::Seq(mid))?))?;
    row(&format!("`state_at(Bound::Seq({mid}))`"), ms(took));
    let (took, _) = best_of(|| Ok(ledger.state_at(Bound::RecordedBy(t_mid))?))?;
    row("`state_at(Bound::RecordedBy(middle time))`", ms(took));
    let view = View {
        as_of: None,
        valid_at: Some(day_of(t_mid)),
    };
    let (took, _) = best_of(|| Ok(ledger.state_view(view)?))?;
    row(
        &format!("`state_view(valid_at: {})`", day_of(t_mid)),
        ms(took),
    );
    let (took, report) = best_of(|| Ok(integrity::verify(ledger.store())?))?;
    if !report.ok() {
        let problems: Vec<String> = report
            .problems
            .iter()
            .map(|p| format!("event {}: {}", p.seq, p.kind))
            .collect();
        return Err(format!(
            "verify found {} problems in the generated ledger: {}",
            problems.len(),
            problems.join("; ")
        )
        .into());
    }
    row(
        "`integrity::verify` (full verify: bytes and chain, rules replay, snapshots)",
        format!(
            "{} ({} events, {} snapshots checked)",
            ms(took),
            report.events,
            report.snapshots
        ),
    );
    let (took, events) = best_of(|| Ok(ledger.events()?))?;
    row("`Ledger::events` (read and decode all)", ms(took));
    let (took, trail) = best_of(|| Ok(audit::trail(&events, &audit::Filter::default())))?;
    row(
        "`query::audit::trail` (all events, no filter)",
        format!("{} ({} entries)", ms(took), trail.len()),
    );
    drop((trail, events));
    drop(ledger);
    row("ledger directory on disk", mib(size_on_disk(&big_dir)?));
    row(
        "sum of stored snapshots",
        mib(snapshots.iter().map(|s| s.1).sum()),
    );

    for (label, args) in [
        ("`planledger show --json`", &["show", "--json"][..]),
        ("`planledger show`", &["show"][..]),
        ("`planledger verify`", &["verify"][..]),
        (
            "`planledger export --format html`",
            &["export", "--format", "html"][..],
        ),
    ] {
        let (took, peak) = run_cli(&cli, &big_dir, args)?;
        let memory = peak.map_or("peak memory not measured (no /usr/bin/time)".into(), |kb| {
            format!("peak RSS {}", mib(kb * 1024))
        });
        row(label, format!("{}, {memory}", ms(took)));
    }

    // Without snapshots: the first open folds every event, then stores a
    // snapshot at the head (it is more than SNAPSHOT_EVERY behind).
    {
        let store = Store::open(&big_dir)?;
        let all: Vec<u64> = store
            .snapshots_upto(u64::MAX)
            .map(|s| s.map(|(seq, _)| seq))
            .collect::<std::result::Result<_, _>>()?;
        for seq in all {
            store.remove_snapshot(seq)?;
        }
    }
    let start = Instant::now();
    let ledger = Ledger::open(&big_dir, clock.clone())?;
    row(
        "`Ledger::open`, snapshots removed (full fold + new snapshot)",
        ms(start.elapsed()),
    );
    let (took, _) = best_of(|| Ok(ledger.state_at(Bound::Seq(mid))?))?;
    row(
        &format!("`state_at(Bound::Seq({mid}))`, no snapshot at or below it"),
        ms(took),
    );
    drop(ledger);
    let (took, _) = best_of(|| Ok(Ledger::open(&big_dir, clock.clone())?))?;
    row("`Ledger::open`, from the new head snapshot", ms(took));
    let (took, peak) = run_cli(&cli, &big_dir, &["show", "--json"])?;
    row(
        "`planledger show --json`, one snapshot stored",
        format!(
            "{}, {}",
            ms(took),
            peak.map_or("peak memory not measured".into(), |kb| format!(
                "peak RSS {}",
                mib(kb * 1024)
            ))
        ),
    );
    row(
        "ledger directory on disk, one snapshot stored",
        mib(size_on_disk(&big_dir)?),
    );

    row(
        "peak memory of this bench process (VmHWM)",
        own_status_kb("VmHWM:").map_or("unknown".into(), |kb| mib(kb * 1024)),
    );

    println!("| measure | figure |\n|---|---|");
    print!("{rows}");
    Ok(())
}
