//! The synthetic-ledger generator: a ledger of realistic shape, at any
//! size, the same for the same seed.
//!
//! Shape (issue 12): partnerships of 10–20 plans, each partnership with
//! 3–12 agencies of its own; plans of 4–15 recommendations and 10–60
//! actions (or exactly `--plans` and `--actions` when given), arriving one
//! after another over about eleven years of recorded time; each action
//! lives through 10–70 changes (about 40) and then goes quiet, so most of
//! the activity is on the plans of recent years: status moves, milestone
//! notes, completion claims with one to three evidence hashes, accept and
//! challenge decisions, retargets, withdrawals, amendments of an action's
//! wording, lead, agency or scope, links to the review's recommendations,
//! about a fifth of the changes backdated up to 400 days, and now and then
//! a redaction of a milestone note that named someone.
//!
//! Every command is chosen from the state it will meet: the generator
//! folds each command it makes into its own copy of the ledger's state,
//! reads an action's status, target, links and pending claim from there,
//! and drafts and admits each command with the rule book exactly as
//! `Ledger::transact` does (`command::draft`, `rules::admissible`, and
//! `rules::redaction_reason` for a redaction). A command the rules refuse
//! is a bug in the generator and stops the run, naming the command, rather
//! than failing later inside a transaction of hundreds.
//!
//! It goes through the library's bulk path, [`Ledger::transact`], in
//! transactions of `batch` events (a redaction always alone: it rewrites
//! the database), timed by a `FixedClock`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Datelike, Days, NaiveDate};

use planledger::command::{self, Command};
use planledger::date::{FuzzyDate, Target};
use planledger::event::{ClockNote, Event, Evidence, LinkBasis, Micros, Record};
use planledger::id::{ActionId, Id, RecId};
use planledger::ledger::{Ledger, Stamped};
use planledger::projection::State;
use planledger::rules::{self, Refusal};
use planledger::status::Status;
use planledger::time::{Clock, DayEnd, FixedClock, day_of, parse_instant};

pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The first recorded instant of a generated ledger.
pub const START: &str = "2015-01-05T09:00:00Z";
/// The recorded time a generated ledger spans, whatever its size: about
/// eleven years, so that it ends before today.
const SPAN_SECS: i64 = 11 * 365 * 24 * 3600;
/// About how many changes an action lives through (10–70).
const CHANGES_PER_ACTION: u64 = 40;
/// About how many actions a plan has when they are drawn (10–60).
const ACTIONS_PER_PLAN: u64 = 35;

pub const ASSURANCE: &str = "Sam Okafor (assurance lead)";
const DPO: &str = "Data Protection Officer";
const REDACTION_REASON: &str = "personal data written in error";

const AREAS: &[&str] = &[
    "West Oxfordshire",
    "Cherwell",
    "Reading",
    "Slough",
    "Milton Keynes",
    "Swindon",
    "Bristol",
    "Plymouth",
    "Cornwall",
    "Norfolk",
    "Suffolk",
    "Leeds",
    "Bradford",
    "Sheffield",
    "Hull",
    "Durham",
    "Cumbria",
    "Lancashire",
    "Wirral",
    "Cardiff",
    "Swansea",
    "Newport",
    "Wrexham",
    "Kent",
    "Medway",
    "Brighton and Hove",
    "Southampton",
    "Portsmouth",
    "Dorset",
    "Wiltshire",
];

/// The kinds of agency a partnership draws from; `{}` is the area.
const AGENCY_KINDS: &[&str] = &[
    "{} Police",
    "{} NHS Foundation Trust",
    "{} County Council Children's Services",
    "{} Adult Social Care",
    "{} District Council Housing",
    "Probation Service ({})",
    "{} Integrated Care Board",
    "{} Domestic Abuse Service",
    "{} Ambulance Service",
    "{} Mental Health Trust",
    "{} GP Federation",
    "{} Substance Misuse Service",
];

const NOTES: &[&str] = &[
    "Raised at the co-ordinators' meeting; agreed to add to the induction pack",
    "Training session delivered to 14 frontline staff; attendance sheet filed",
    "Policy revised and sent to the safeguarding board for sign-off",
    "Dip sample of referrals started; first results due next quarter",
    "Awaiting funding decision from the Home Office programme",
    "Included in the quarterly audit of MARAC referrals",
    "Briefing note circulated to all team managers",
    "Task and finish group met; terms of reference agreed",
];

/// A note that names someone, as happens: the kind a redaction erases.
const NAMING_NOTES: &[&str] = &[
    "Discussed with Mary Jones, the victim's sister, at the family meeting",
    "Case of Peter Smith (NHS 943 476 5919) used as the training example",
];

const OUTCOMES: &[&str] = &[
    "Procedure updated and staff briefed",
    "Training delivered and attendance recorded",
    "Audit completed and findings reported to the board",
    "Referral pathway published on the intranet",
];

const ACTION_TEXTS: &[&str] = &[
    "Update procedures so that every referral records a risk level and a named officer",
    "Deliver domestic abuse awareness training to all frontline staff",
    "Audit the use of routine enquiry in maternity and emergency departments",
    "Ensure MARAC actions are recorded on the case management system",
    "Review the escalation policy for professional disagreement",
    "Share learning from this review with the safeguarding boards",
];

/// A small, seeded pseudo-random source (SplitMix64): reproducible runs
/// without a dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// A number from `low` to `high`, both included.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high - low + 1)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// How big a ledger to make, and its seed.
#[derive(Clone, Debug)]
pub struct Shape {
    /// Events beyond the genesis.
    pub events: u64,
    /// Plans; `None`: as many as `events` needs at about 40 changes an
    /// action.
    pub plans: Option<u32>,
    /// Actions per plan; `None`: drawn from 10–60 for each plan.
    pub actions: Option<u32>,
    /// Redactions, spread over the history; `None`: one per 200,000
    /// events, at least one once the ledger has a note to redact.
    pub redactions: Option<u64>,
    pub seed: u64,
}

/// One plan to come: its partnership, agencies and size.
struct PlanSpec {
    partnership: String,
    agencies: Vec<String>,
    recommendations: u32,
    actions: u32,
}

/// What the generator is about to make.
enum Next {
    /// A change or a plan's setup: part of a transaction.
    Change(String, Stamped),
    /// A redaction: its own transaction (it rewrites the database).
    Redaction(String, Stamped),
}

/// Makes the synthetic commands (see the module's note).
pub struct Generator {
    rng: Rng,
    plans: Vec<PlanSpec>,
    /// The next plan to introduce.
    next_plan: usize,
    /// Events after which each plan is introduced.
    every: u64,
    /// The setup commands of the plan being introduced, last first.
    setup: Vec<Command>,
    /// Each introduced plan's agencies, by plan number less one.
    plan_agencies: Vec<Vec<String>>,
    /// Actions still changing, with the changes each has left.
    active: Vec<(ActionId, u32)>,
    /// Milestone notes that name someone, not yet redacted: their seqs and
    /// words.
    naming: Vec<(u64, String)>,
    /// The words of the note each redaction being made erases.
    erasing: BTreeMap<u64, String>,
    redact_every: u64,
    redactions_made: u64,
    redactions_wanted: u64,
    /// The ledger as it will be once every command made so far is stored.
    state: State,
    /// Commands made so far.
    counter: u64,
    events: u64,
}

impl Generator {
    /// A generator for a ledger whose state is now `state` (a new ledger's
    /// genesis).
    pub fn new(state: State, shape: &Shape) -> Generator {
        let mut rng = Rng(shape.seed);
        let plans = shape.plans.unwrap_or_else(|| {
            (shape.events / (ACTIONS_PER_PLAN * CHANGES_PER_ACTION)).clamp(1, u32::MAX as u64)
                as u32
        });
        let mut specs = Vec::with_capacity(plans as usize);
        let mut partnership = 0usize;
        while specs.len() < plans as usize {
            let area = AREAS[partnership % AREAS.len()];
            let name = if partnership < AREAS.len() {
                format!("{area} Community Safety Partnership")
            } else {
                format!(
                    "{area} Community Safety Partnership {}",
                    1 + partnership / AREAS.len()
                )
            };
            let mut kinds: Vec<&str> = AGENCY_KINDS.to_vec();
            let count = rng.between(3, 12) as usize;
            let mut agencies = Vec::with_capacity(count);
            for _ in 0..count {
                let kind = kinds.swap_remove(rng.below(kinds.len() as u64) as usize);
                agencies.push(kind.replace("{}", area));
            }
            for _ in 0..rng.between(10, 20) {
                if specs.len() == plans as usize {
                    break;
                }
                specs.push(PlanSpec {
                    partnership: name.clone(),
                    agencies: agencies.clone(),
                    recommendations: rng.between(4, 15) as u32,
                    actions: shape.actions.unwrap_or_else(|| rng.between(10, 60) as u32),
                });
            }
            partnership += 1;
        }
        // Partnerships' reviews arrive interleaved, not one partnership
        // after another.
        for i in (1..specs.len()).rev() {
            specs.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let redactions_wanted = shape
            .redactions
            .unwrap_or_else(|| (shape.events / 200_000).max(1));
        Generator {
            rng,
            every: (shape.events / plans as u64).max(1),
            plans: specs,
            next_plan: 0,
            setup: Vec::new(),
            plan_agencies: Vec::new(),
            active: Vec::new(),
            naming: Vec::new(),
            erasing: BTreeMap::new(),
            redact_every: (shape.events / (redactions_wanted + 1)).max(1),
            redactions_made: 0,
            redactions_wanted,
            state,
            counter: 0,
            events: shape.events,
        }
    }

    /// The state the generator's commands so far leave.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The commands of one transaction of at most `size` commands,
    /// recorded at `now`, and the actor who makes it (the actor of its
    /// first command). A redaction comes alone, in a transaction of one.
    pub fn transaction(&mut self, now: Micros, size: usize) -> Result<(String, Vec<Stamped>)> {
        let today = day_of(now);
        let tx = self.state.last_tx.map_or(0, |tx| tx + 1);
        let mut commands = Vec::with_capacity(size);
        let mut actor = String::new();
        while commands.len() < size {
            let redaction_due = self.redaction_due(self.counter + 1);
            if redaction_due && !commands.is_empty() {
                break;
            }
            let (who, stamped, alone) = match self.next(today)? {
                Next::Change(who, stamped) => (who, stamped, false),
                Next::Redaction(who, stamped) => (who, stamped, true),
            };
            // A transaction has one actor, the first command's: the
            // return of one agency lead, or one session of the assurance
            // lead's, carrying the changes of the weeks it covers.
            if commands.is_empty() {
                actor = who;
            }
            self.admit(tx, now, &actor, &stamped)?;
            commands.push(stamped);
            if alone {
                break;
            }
        }
        Ok((actor, commands))
    }

    /// Drafts and admits `stamped` exactly as `Ledger::transact` does, and
    /// folds it in.
    fn admit(&mut self, tx: u64, now: Micros, who: &str, stamped: &Stamped) -> Result<()> {
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
        let event = command::draft(&self.state, &stamped.command).map_err(refused)?;
        let seq = self.state.head.map_or(0, |(seq, _)| seq + 1);
        if let Event::Redacted { event: target, .. } = &event {
            // The words it erases are the note the generator wrote there.
            let erased = self.erasing.remove(target).unwrap_or_default();
            rules::redaction_reason(REDACTION_REASON, &[erased.as_str()]).map_err(refused)?;
        }
        let naming = match &event {
            Event::MilestoneNoted { note, .. } if NAMING_NOTES.contains(&note.as_str()) => {
                Some(note.clone())
            }
            _ => None,
        };
        let record = Record {
            tx,
            recorded_at: now,
            clock: ClockNote::Overridden,
            actor: who.to_string(),
            effective: stamped.effective,
            source: None,
            event,
        };
        rules::admissible(&self.state, seq, &record).map_err(refused)?;
        self.state.apply(seq, [0; 32], &record);
        if let Some(note) = naming {
            self.naming.push((seq, note));
        }
        Ok(())
    }

    /// Whether the command numbered `counter` is a redaction.
    fn redaction_due(&self, counter: u64) -> bool {
        self.redactions_made < self.redactions_wanted
            && counter >= self.redact_every * (self.redactions_made + 1)
            && !self.naming.is_empty()
    }

    /// The next command: a redaction when one is due, the next setup
    /// command of a plan being introduced, a new plan when one is due, or a
    /// change to an active action.
    fn next(&mut self, today: NaiveDate) -> Result<Next> {
        self.counter += 1;
        if self.redaction_due(self.counter) {
            let at = self.rng.below(self.naming.len() as u64) as usize;
            let (event, note) = self.naming.swap_remove(at);
            self.erasing.insert(event, note);
            self.redactions_made += 1;
            return Ok(Next::Redaction(
                DPO.to_string(),
                Stamped::from(Command::Redact {
                    event,
                    slots: vec![0],
                    reason: REDACTION_REASON.into(),
                }),
            ));
        }
        let plan_due = self.next_plan < self.plans.len()
            && (self.counter >= self.every * self.next_plan as u64 || self.active.is_empty());
        if self.setup.is_empty() && plan_due {
            self.introduce(today);
        }
        if let Some(command) = self.setup.pop() {
            if let Command::AddAction { .. } = command {
                let id = self.state.next_action_id();
                let budget = self.rng.between(10, 2 * CHANGES_PER_ACTION - 10) as u32;
                self.active.push((id, budget));
            }
            return Ok(Next::Change(ASSURANCE.to_string(), Stamped::from(command)));
        }
        if self.active.is_empty() {
            // Every plan is in and every action has gone quiet: a
            // follow-up round on all of them.
            for id in self.state.actions.keys() {
                let budget = self.rng.between(10, 2 * CHANGES_PER_ACTION - 10) as u32;
                self.active.push((*id, budget));
            }
        }
        let at = self.rng.below(self.active.len() as u64) as usize;
        let id = self.active[at].0;
        self.active[at].1 = self.active[at].1.saturating_sub(1);
        if self.active[at].1 == 0 {
            self.active.swap_remove(at);
        }
        let (actor, stamped) = self.change(id, today)?;
        Ok(Next::Change(actor, stamped))
    }

    /// Queues the setup of the next plan: the plan, its recommendations and
    /// its actions.
    fn introduce(&mut self, today: NaiveDate) {
        let spec = &self.plans[self.next_plan];
        self.next_plan += 1;
        self.plan_agencies.push(spec.agencies.clone());
        let plan = self.state.next_plan_id();
        let number = plan.get();
        let published = today
            .checked_sub_days(Days::new(30 * self.rng.below(4)))
            .unwrap_or(today);
        let mut setup = vec![Command::AddPlan {
            partnership: spec.partnership.clone(),
            review: format!("DHR {number:04}"),
            chair: Some("Independent Chair".into()),
            published: FuzzyDate::month(published.year(), published.month()),
        }];
        for r in 1..=spec.recommendations {
            setup.push(Command::AddRecommendation {
                plan,
                number: None,
                text: format!(
                    "Recommendation {r}: the partnership to seek assurance that agencies share risk information at MARAC"
                ),
                scope: Some(if r % 3 == 0 { "National" } else { "Local" }.into()),
            });
        }
        for a in 0..spec.actions {
            let agency = &spec.agencies[self.rng.below(spec.agencies.len() as u64) as usize];
            let text = self.rng.pick(ACTION_TEXTS);
            setup.push(Command::AddAction {
                plan,
                agency: agency.clone(),
                lead: Some(format!("{agency} safeguarding lead")),
                text: format!("{text} (action {a})"),
                scope: Some("Local".into()),
                recommendations: vec![RecId::of(1 + a % spec.recommendations)],
                target: target(today, 3 + self.rng.below(18) as u32),
            });
        }
        setup.reverse();
        self.setup = setup;
    }

    /// A change to action `id`, legal in the state it will meet, with its
    /// actor and an effective date (sometimes backdated).
    fn change(&mut self, id: ActionId, today: NaiveDate) -> Result<(String, Stamped)> {
        let n = self.counter;
        let roll = self.rng.below(1000);
        let action = self
            .state
            .actions
            .get(&id)
            .ok_or("an active action is in the state")?;
        let plan = self
            .state
            .plans
            .get(&action.plan)
            .ok_or("an action's plan is in the state")?;
        let lead = action
            .lead
            .clone()
            .unwrap_or_else(|| format!("{} lead", action.agency));
        let rng = &mut self.rng;
        let note = if rng.below(200) == 0 {
            rng.pick(NAMING_NOTES).to_string()
        } else {
            format!("{} (entry {n})", rng.pick(NOTES))
        };
        let status = |to: Status, reason: &str| Command::SetStatus {
            action: id,
            to,
            reason: reason.into(),
        };
        let milestone = Command::NoteMilestone { action: id, note };
        let outcome = rng.pick(OUTCOMES);
        let evidence: Vec<Evidence> = (0..rng.between(1, 3))
            .map(|i| Evidence {
                name: format!("evidence-{n}-{i}.pdf"),
                size: 10_000 + rng.below(2_000_000),
                blake3: *blake3::hash(format!("{n}/{i}").as_bytes()).as_bytes(),
            })
            .collect();
        let claim = Command::Claim {
            action: id,
            outcome: format!("{outcome} (claim {n})"),
            evidence,
        };
        // A target that is not the one the action has.
        let mut months = 1 + rng.below(12) as u32;
        while planledger::date::same_target(action.target.as_ref(), target(today, months).as_ref())
        {
            months += 1;
        }
        let retarget = Command::Retarget {
            action: id,
            target: target(today, months),
            reason: "Course availability moved the date".into(),
        };
        // Amendments and links: about 2% and 1% of changes to a live action.
        let amend_or_link = match roll {
            0..12 => {
                let (text, lead, agency, scope) = match rng.below(4) {
                    0 => (
                        Some(format!("{} (reworded {n})", rng.pick(ACTION_TEXTS))),
                        None,
                        None,
                        None,
                    ),
                    1 => (None, Some(Some(format!("Named lead {n}"))), None, None),
                    2 => {
                        let agencies = &self.plan_agencies[action.plan.get() as usize - 1];
                        let start = rng.below(agencies.len() as u64) as usize;
                        let other = (0..agencies.len())
                            .map(|i| &agencies[(start + i) % agencies.len()])
                            .find(|a| **a != action.agency)
                            .cloned()
                            .unwrap_or_else(|| format!("{} (restructured)", action.agency));
                        (None, None, Some(other), None)
                    }
                    _ => {
                        let scope = if action.scope.as_deref() == Some("Regional") {
                            "Local"
                        } else {
                            "Regional"
                        };
                        (None, None, None, Some(Some(scope.to_string())))
                    }
                };
                Some(Command::Amend {
                    action: id,
                    text,
                    lead,
                    agency,
                    scope,
                    reason: "Agreed at the partnership's quarterly review".into(),
                })
            }
            12..20 => {
                let count = plan.recommendations.len() as u64;
                let mut number = RecId::of(1 + rng.below(count) as u32);
                let same = |number: RecId| {
                    action.recommendations == [number]
                        && action
                            .link
                            .as_ref()
                            .is_some_and(|l| l.basis == LinkBasis::Stated)
                };
                if same(number) {
                    number = RecId::of(1 + number.get() % count as u32);
                }
                if same(number) {
                    None
                } else {
                    Some(Command::Link {
                        action: id,
                        recommendations: vec![number],
                        basis: LinkBasis::Stated,
                        note: Some("Confirmed by the review panel".into()),
                    })
                }
            }
            _ => None,
        };
        let live = !matches!(action.status, Status::Withdrawn);
        let roll = roll / 10;
        let (actor, command) = match (amend_or_link, live) {
            (Some(command), true) => (ASSURANCE.to_string(), command),
            _ => match action.status {
                Status::Open => match roll {
                    0..50 => (lead, status(Status::InProgress, "Work started")),
                    50..85 => (lead, milestone),
                    _ => (lead, retarget),
                },
                Status::InProgress => match roll {
                    0..45 => (lead, milestone),
                    45..70 => (lead, claim),
                    70..85 => (lead, retarget),
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
                    40..75 => (lead, claim),
                    _ => (lead, status(Status::InProgress, "Back to work")),
                },
                Status::Assured => match roll {
                    0..80 => (lead, milestone),
                    _ => (lead, status(Status::InProgress, "Reopened after audit")),
                },
                Status::Embedded => match roll {
                    0..60 => (lead, milestone),
                    60..90 => (lead, claim),
                    _ => (lead, status(Status::InProgress, "Needs more work")),
                },
                Status::Withdrawn => (lead, status(Status::Open, "Taken up again")),
            },
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
            let claimed = claimed.effective;
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

    /// The simulated seconds that pass before the next `size` events: the
    /// ledger's span spread evenly over its events, with jitter.
    pub fn advance(&mut self, size: usize) -> i64 {
        let mean = (SPAN_SECS / self.events.max(1) as i64).max(1);
        (0..size)
            .map(|_| self.rng.below(2 * mean as u64 + 1) as i64)
            .sum::<i64>()
            .max(1)
    }
}

/// A dated target `months` after `from`'s month.
fn target(from: NaiveDate, months: u32) -> Option<Target> {
    let total = from.year() * 12 + from.month0() as i32 + months as i32;
    let (year, month) = (total / 12, 1 + (total % 12) as u32);
    Some(Target {
        text: format!("{year}-{month:02}"),
        date: FuzzyDate::month(year, month),
    })
}

/// What building a ledger took.
pub struct Built {
    /// Events beyond the genesis.
    pub events: u64,
    pub transactions: u64,
    /// Time in `Ledger::transact` for the transactions without a
    /// redaction.
    pub took: Duration,
    /// Redactions (each its own transaction) and the time they took.
    pub redactions: u64,
    pub redaction_took: Duration,
    /// Time the generator took to make and check its commands.
    pub generating: Duration,
}

/// Creates a ledger at `dir` and appends `shape.events` generated events
/// (beyond the genesis) in transactions of at most `batch`; `progress`
/// is told the events written so far now and then.
pub fn build(
    dir: &Path,
    shape: &Shape,
    batch: usize,
    mut progress: impl FnMut(u64),
) -> Result<Built> {
    let clock = Arc::new(FixedClock::new(parse_instant(START, DayEnd::Start)?));
    let mut ledger = Ledger::init(dir, ASSURANCE, clock.clone())?;
    let mut generator = Generator::new(ledger.state().clone(), shape);
    let mut built = Built {
        events: 0,
        transactions: 0,
        took: Duration::ZERO,
        redactions: 0,
        redaction_took: Duration::ZERO,
        generating: Duration::ZERO,
    };
    let mut reported = 0;
    while built.events < shape.events {
        let size = batch.min((shape.events - built.events) as usize);
        let secs = generator.advance(size);
        clock.advance_secs(secs);
        let start = Instant::now();
        let (actor, commands) = generator.transaction(clock.now(), size)?;
        built.generating += start.elapsed();
        let written = commands.len();
        let redaction = commands
            .iter()
            .any(|c| matches!(c.command, Command::Redact { .. }));
        let summary = if written == 1 {
            "bench change".to_string()
        } else {
            format!("bench batch of {written}")
        };
        let start = Instant::now();
        let result = ledger.transact(&actor, &summary, commands);
        let took = start.elapsed();
        if let Err(e) = result {
            return Err(
                format!("transaction {} ({summary}) failed: {e}", built.transactions).into(),
            );
        }
        if redaction {
            built.redactions += 1;
            built.redaction_took += took;
        } else {
            built.took += took;
        }
        built.events += written as u64;
        built.transactions += 1;
        if built.events - reported >= 10_000 || built.events == shape.events {
            reported = built.events;
            progress(built.events);
        }
    }
    // The two folds agree (hashes aside, and a redacted note, which the
    // ledger reads as erased and the generator's fold keeps).
    let outline = |state: &State| -> Vec<String> {
        state
            .actions
            .values()
            .map(|a| {
                format!(
                    "{} {:?} {:?} {:?} {} {} {:?} {:?} {} {}",
                    a.id,
                    a.status,
                    a.target,
                    a.recommendations,
                    a.agency,
                    a.text,
                    a.lead,
                    a.scope,
                    a.milestones.len(),
                    a.claims.len()
                )
            })
            .collect()
    };
    let (theirs, ours) = (outline(ledger.state()), outline(generator.state()));
    if let Some((a, b)) = theirs.iter().zip(&ours).find(|(a, b)| a != b) {
        return Err(format!(
            "the ledger's state differs from the generator's own fold: {a} against {b}"
        )
        .into());
    }
    if theirs.len() != ours.len() || ledger.state().plans.len() != generator.state().plans.len() {
        return Err(
            "the ledger's state differs from the generator's own fold in its counts".into(),
        );
    }
    Ok(built)
}
