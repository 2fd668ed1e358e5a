//! `planledger demo`: the main job, for a newcomer, on the shipped plan.
//!
//! It makes a fresh ledger in a temporary folder (removed afterwards unless
//! `--keep DIR` is given), imports the West Oxfordshire 'Alice' plan that is
//! built into the binary, signed from its genesis by the assurance lead,
//! gives the other people keys and roles, records a short scripted sequence
//! of later changes each signed by its maker (one an agency's return by
//! file), and prints the plan now, one action's history, the plan
//! as it stood before the assurance decisions, and `verify`. The story spans
//! months, so it runs on a simulated clock; every transaction records that
//! the clock was overridden, and `verify` says so.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use crate::command::Command;
use crate::event::Role;
use crate::id::RecId;
use crate::import::Format;
use crate::ledger::{Author, Ledger, Stamped};
use crate::request::{RequestHead, SignedRequest};
use crate::status::Status;
use crate::time::{DayEnd, FixedClock, parse_instant};

use super::{CliError, Context, history, show, verify, verify_pack};

/// The shipped plan, verbatim.
pub const SHIPPED_PLAN: &str =
    include_str!("../../ledger/plans/west-oxfordshire-dhr-alice-action-plan.txt");
pub const SHIPPED_PLAN_NAME: &str = "west-oxfordshire-dhr-alice-action-plan.txt";

const ASSURANCE: &str = "Sam Okafor (assurance lead, West Oxfordshire CSP)";
const TVP_LEAD: &str = "DS Claire Hunt (Thames Valley Police)";
const A2D_LEAD: &str = "Priya Shah (A2Dominion)";
const DPO: &str = "Ruth Adeyemi (data protection officer, West Oxfordshire CSP)";
const CHAIR: &str = "Deborah Jeremiah (independent chair)";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Keep the demo ledger in this new directory instead of a temporary
    /// one, and its people's private keys beside it in DIR.keys
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
}

pub fn run(_context: &Context, args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let temp;
    let dir = match &args.keep {
        Some(dir) => {
            let keys = keys_dir(dir);
            if keys.symlink_metadata().is_ok() {
                return Err(CliError::Input(format!(
                    "{} exists: the demo keeps its people's keys there, and never replaces a file",
                    keys.display()
                )));
            }
            dir.clone()
        }
        None => {
            temp = tempfile::Builder::new()
                .prefix("planledger-demo-")
                .tempdir()
                .map_err(|e| CliError::Input(format!("cannot make a temporary folder: {e}")))?;
            temp.path().join("ledger")
        }
    };
    let at =
        |text: &str| parse_instant(text, DayEnd::Start).map_err(|e| CliError::Input(e.to_string()));
    let clock = Arc::new(FixedClock::new(at("2021-12-01T10:00:00Z")?));
    let mut no_notices = std::io::sink();
    let context = Context {
        ledger_dir: dir.clone(),
        actor: Some(ASSURANCE.into()),
        key: None,
        clock: clock.clone(),
        wait: None,
        notices: std::cell::RefCell::new(&mut no_notices),
        progress: false,
        output_is_terminal: false,
    };

    heading(
        out,
        "1. A fresh ledger, and the shipped plan imported into it",
    )?;
    writeln!(out, "ledger: {}", dir.display())?;
    writeln!(
        out,
        "clock:  simulated (the story spans months); every entry records that the clock was overridden\n"
    )?;
    // Each person has a key of their own; the ledger is signed from its
    // genesis by the assurance lead, who is also its first admin.
    let new_key = || crate::keys::generate().map_err(CliError::Key);
    let (sam, claire, priya, ruth) = (new_key()?, new_key()?, new_key()?, new_key()?);
    let mut ledger = Ledger::init_signed(
        &dir,
        &sam,
        ASSURANCE,
        vec![Role::Assurance],
        clock.clone(),
        crate::store::LockWait::moment(),
    )?;
    writeln!(
        out,
        "signed from its genesis by {ASSURANCE}, key {}: every change from here on is a request signed with its maker's key",
        fingerprint(&sam)
    )?;
    let outcome = crate::import::apply::record(
        &mut ledger,
        Author::Key(&sam),
        SHIPPED_PLAN_NAME,
        SHIPPED_PLAN.as_bytes(),
        Some(Format::Text),
        &crate::import::apply::Naming::default(),
        false,
        &mut |_| {},
    )?;
    writeln!(
        out,
        "Imported {}: {} actions, {} warnings for a reviewer (the first of each kind here; 'planledger audit' lists them all):",
        outcome.name,
        outcome.actions,
        outcome.plan.warnings.len()
    )?;
    super::import::write_warnings(outcome.plan.warnings.iter(), false, "all recorded", out)?;

    let state = ledger.state();
    let pick = |agency: &str, rec: Option<RecId>| {
        state
            .actions
            .values()
            .find(|a| {
                a.agency.to_lowercase().contains(agency)
                    && a.status == Status::Claimed
                    && rec.is_none_or(|r| a.recommendations.contains(&r))
            })
            .map(|a| a.id)
            .ok_or_else(|| {
                CliError::Input(format!("the shipped plan has no claimed {agency} action"))
            })
    };
    let tvp = pick("thames valley", None)?;
    let a2d = pick("a2dominion", Some(RecId::of(11))).or_else(|_| pick("a2dominion", None))?;
    let agency_of = |id| {
        state
            .actions
            .get(&id)
            .map(|a: &crate::projection::Action| a.agency.clone())
            .unwrap_or_default()
    };
    let (tvp_agency, a2d_agency) = (agency_of(tvp), agency_of(a2d));

    heading(
        out,
        "2. Who may change what: actors, their keys and roles (planledger actor add)",
    )?;
    clock.set(at("2021-12-02T09:00:00Z")?);
    let actors = [
        (TVP_LEAD, Role::Agency(tvp_agency), &claire),
        (A2D_LEAD, Role::Agency(a2d_agency), &priya),
        (DPO, Role::Admin, &ruth),
    ];
    ledger.transact_signed(
        &sam,
        "actor add",
        actors
            .iter()
            .map(|(name, role, key)| {
                Stamped::from(Command::AddActor {
                    name: (*name).into(),
                    roles: vec![role.clone()],
                    key: key.verifying_key().to_bytes(),
                })
            })
            .collect(),
    )?;
    for (name, role, key) in &actors {
        writeln!(out, "{name}: {role}, key {}", fingerprint(key))?;
    }
    writeln!(
        out,
        "(an agency lead may report on their own agency's actions only; accepting a claim needs assurance; redacting needs admin)"
    )?;

    heading(
        out,
        "3. Later changes, each signed by the person who made it",
    )?;
    // Priya has no copy of the ledger: she makes a signed request on her
    // own machine and emails the file; Sam applies it.
    let ledger_id = ledger.state().ledger.as_ref().map_or([0; 16], |l| l.id);
    let returned = SignedRequest::sign(
        &priya,
        RequestHead {
            ledger_id,
            head_seen: None,
            signer: A2D_LEAD.into(),
            made_at: at("2022-01-10T17:45:00Z")?,
        },
        vec![Stamped {
            command: Command::NoteMilestone {
                action: a2d,
                note:
                    "Home Office perpetrator programme bid: outcome received, not funded this round"
                        .into(),
            },
            effective: crate::date::FuzzyDate::day(2021, 12, 20),
            source: None,
        }],
    )
    .map_err(|e| CliError::Ledger(e.into()))?;
    let returns = tempfile::tempdir().map_err(|e| {
        CliError::Input(format!("no temporary directory for the demo's return: {e}"))
    })?;
    let return_file = returns.path().join("a2dominion-return.plreq");
    std::fs::write(&return_file, returned.to_return())
        .map_err(|e| CliError::Input(format!("cannot write {}: {e}", return_file.display())))?;
    clock.set(at("2022-01-12T14:20:00Z")?);
    let read = std::fs::read(&return_file)
        .map_err(|e| CliError::Input(format!("cannot read {}: {e}", return_file.display())))?;
    let read = SignedRequest::from_return(&read).map_err(|e| CliError::Input(e.to_string()))?;
    ledger.apply_request(&read, "apply return")?;
    writeln!(
        out,
        "2022-01-12  {A2D_LEAD} emails a signed return (planledger request … -o return.plreq) noting a milestone on {a2d}; {ASSURANCE} applies it (planledger apply return.plreq): the ledger records her signature"
    )?;
    clock.set(at("2022-02-03T09:05:00Z")?);
    ledger.transact_signed(
        &sam,
        &format!("accept {}", tvp),
        vec![Stamped::from(Command::Accept {
            action: tvp,
            finding: "Dip sample of ten MARAC referrals on Niche: each has a risk level and a Risk Management Occurrence".into(),
        })],
    )?;
    writeln!(out, "2022-02-03  {ASSURANCE} accepts the claim on {}", tvp)?;
    ledger.transact_signed(
        &sam,
        &format!("challenge {}", a2d),
        vec![Stamped::from(Command::Challenge {
            action: a2d,
            finding:
                "The claim describes referral routes, not staff skills: provide the training matrix"
                    .into(),
        })],
    )?;
    writeln!(
        out,
        "2022-02-03  {ASSURANCE} challenges the claim on {}",
        a2d
    )?;
    clock.set(at("2022-02-21T11:30:00Z")?);
    ledger.transact_signed(
        &priya,
        &format!("status {}", a2d),
        vec![Stamped::from(Command::SetStatus {
            action: a2d,
            to: Status::InProgress,
            reason: "Compiling the training matrix for the perpetrator-awareness module".into(),
        })],
    )?;
    writeln!(out, "2022-02-21  {A2D_LEAD} puts {} back in progress", a2d)?;
    ledger.transact_signed(
        &claire,
        &format!("note {}", tvp),
        vec![Stamped::from(Command::NoteMilestone {
            action: tvp,
            note: "Process included in the MARAC co-ordinators' induction pack".into(),
        })],
    )?;
    writeln!(out, "2022-02-21  {TVP_LEAD} notes a milestone on {}", tvp)?;
    clock.set(at("2022-02-22T16:10:00Z")?);
    let slip = ledger.transact_signed(
        &priya,
        &format!("note {}", a2d),
        vec![Stamped::from(Command::NoteMilestone {
            action: a2d,
            note: "Spoke to the victim's sister, Jane Doe, who asked to be told when the programme starts".into(),
        })],
    )?;
    // The note follows the request that signed it.
    let slip = slip.events.get(1).map_or(0, |e| e.seq);
    writeln!(
        out,
        "2022-02-22  {A2D_LEAD} notes a milestone on {a2d} that names the victim's sister"
    )?;
    clock.set(at("2022-02-24T09:00:00Z")?);
    ledger.transact_signed(
        &ruth,
        &format!("redact {slip}"),
        vec![Stamped::from(Command::Redact {
            event: slip,
            slots: vec![0],
            reason: "named a member of the victim's family".into(),
        })],
    )?;
    writeln!(
        out,
        "2022-02-24  {DPO} redacts that note (planledger redact {slip}): the words leave the disk, the record and every hash stay"
    )?;

    heading(out, "4. The plan as it stands (planledger show)")?;
    show::write_of_ledger(&ledger, &show::Args::default(), out)?;

    heading(
        out,
        &format!("5. One action's history (planledger history {})", a2d),
    )?;
    let asked = history::HistoryArgs::for_action(a2d.to_string());
    match history::write_history(ledger.store(), ledger.now(), &asked, out)? {
        history::Told::Written => {}
        history::Told::Unknown => return Err(history::unknown(&ledger, &asked)),
    }

    heading(
        out,
        "6. The plan as the ledger stood on 2022-01-31, before the assurance decisions (show --as-of 2022-01-31)",
    )?;
    show::write_of_ledger(&ledger, &show::Args::as_of("2022-01-31"), out)?;

    heading(
        out,
        "7. A checkpoint for the board minutes, witnessed by the independent chair (planledger checkpoint; planledger witness)",
    )?;
    let chair = new_key()?;
    let checkpoint = demo_checkpoint(&ledger, &sam, &chair)?;
    write!(out, "{}", checkpoint.render())?;
    let kept = returns.path().join("board-2022-02.checkpoint");
    std::fs::write(&kept, checkpoint.render())
        .map_err(|e| CliError::Input(format!("cannot write {}: {e}", kept.display())))?;
    clock.set(at("2022-03-01T10:15:00Z")?);
    ledger.transact_signed(
        &claire,
        &format!("note {}", tvp),
        vec![Stamped::from(Command::NoteMilestone {
            action: tvp,
            note: "Quarterly dip sample repeated: all referrals compliant".into(),
        })],
    )?;
    writeln!(
        out,
        "(after the board meeting, 2022-03-01: {TVP_LEAD} notes another milestone on {tvp})"
    )?;

    heading(
        out,
        "8. Is the record intact, and does it still hold what the board was shown? (planledger verify --checkpoint FILE)",
    )?;
    let events = ledger.events()?;
    let plan = ledger
        .state()
        .sole_plan()
        .ok_or_else(|| CliError::Input("the demo ledger holds no plan, or several".into()))?;
    drop(ledger);
    verify::run(&context, &verify::Args::with_checkpoint(kept), out)?;

    heading(
        out,
        "9. One plan's history handed over, provably complete (export --format pack --plan P1; verify-pack FILE)",
    )?;
    let bytes = crate::pack::make(
        &events,
        crate::pack::Request {
            scope: crate::pack::Scope::Plan(plan),
            as_of: None,
            checkpoint: None,
        },
    )
    .map_err(|e| CliError::Input(format!("the demo's pack could not be made: {e}")))?;
    let packs = tempfile::tempdir()
        .map_err(|e| CliError::Input(format!("no temporary directory for the demo's pack: {e}")))?;
    let file = packs.path().join("P1.pack");
    std::fs::write(&file, &bytes)
        .map_err(|e| CliError::Input(format!("cannot write {}: {e}", file.display())))?;
    verify_pack::run(&verify_pack::Args::for_file(file), out)?;
    writeln!(
        out,
        "(The demo's pack was temporary: 'planledger export --format pack --plan P1 -o FILE' writes one to keep.)"
    )?;

    writeln!(out)?;
    match &args.keep {
        Some(dir) => {
            // The people's keys, so that the story can go on: each private
            // key readable by its owner only, as 'planledger key new' writes.
            let keys = keys_dir(dir);
            std::fs::create_dir(&keys)
                .map_err(|e| CliError::Input(format!("cannot create {}: {e}", keys.display())))?;
            for (file, name, key) in [
                ("sam", ASSURANCE, &sam),
                ("claire", TVP_LEAD, &claire),
                ("priya", A2D_LEAD, &priya),
                ("ruth", DPO, &ruth),
                ("chair", CHAIR, &chair),
            ] {
                let private = keys.join(format!("{file}.pem"));
                let public = keys.join(format!("{file}.pem.pub"));
                crate::keys::write_new(key, name, &private, &public, None)?;
            }
            writeln!(
                out,
                "The demo ledger is kept at {}: try 'planledger --ledger {} audit'.",
                dir.display(),
                dir.display()
            )?;
            writeln!(
                out,
                "Its people's keys are in {}: e.g. 'planledger --ledger {} --key {} note {tvp} \"…\"' signs as {TVP_LEAD}.",
                keys.display(),
                dir.display(),
                keys.join("claire.pem").display()
            )?
        }
        None => writeln!(
            out,
            "The demo ledger was temporary and has been removed; 'planledger demo --keep DIR' keeps it."
        )?,
    }
    Ok(())
}

/// The assurance lead's checkpoint of the ledger's head, countersigned by
/// the review's independent chair, as 'planledger checkpoint' and
/// 'planledger witness' make it.
fn demo_checkpoint(
    ledger: &Ledger,
    signer: &ed25519_dalek::SigningKey,
    witness: &ed25519_dalek::SigningKey,
) -> Result<crate::checkpoint::Checkpoint, CliError> {
    let fault = |e: crate::checkpoint::CheckpointError| {
        CliError::Input(format!("the demo's checkpoint could not be made: {e}"))
    };
    let store = ledger.store();
    let (Some(info), Some((seq, hash)), Some(recorded_at)) = (
        ledger.state().ledger.as_ref(),
        ledger.state().head,
        ledger.state().last_recorded,
    ) else {
        return Err(CliError::Input("the demo ledger is empty".into()));
    };
    let statement = crate::checkpoint::Statement::of_history(
        info.id,
        info.format_version,
        seq,
        hash,
        recorded_at,
        |at| {
            store
                .event_at(at)?
                .map(|(hash, _)| hash)
                .ok_or(crate::store::StoreError::Io {
                    path: store.dir().to_path_buf(),
                    source: std::io::Error::other(format!("event {at} is missing")),
                })
        },
    )?;
    crate::checkpoint::sign(statement, ASSURANCE, signer)
        .and_then(|made| made.witness(CHAIR, witness))
        .map_err(fault)
}

/// Where `demo --keep DIR` puts its people's keys: `DIR.keys`, beside it.
fn keys_dir(dir: &std::path::Path) -> PathBuf {
    let mut name = dir.as_os_str().to_owned();
    name.push(".keys");
    PathBuf::from(name)
}

fn fingerprint(key: &ed25519_dalek::SigningKey) -> String {
    crate::keys::fingerprint(&key.verifying_key())
}

fn heading(out: &mut dyn Write, text: &str) -> Result<(), CliError> {
    writeln!(
        out,
        "\n{text}\n{}",
        "─".repeat(text.chars().count().min(100))
    )?;
    Ok(())
}
