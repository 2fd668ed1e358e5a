//! Turns a parsed plan into the commands of one import transaction.
//!
//! The transaction opens with the source's provenance (`SourceImported`:
//! name, size, BLAKE3), and every event after it points back there with the
//! place in the document it came from. A completion read from the document
//! is recorded as a *claim*, never as assured. Importing the same bytes twice
//! is refused; importing a changed version of a plan already in the ledger
//! records only the differences (a new milestone, a moved target, a new
//! claim, and an action reworded, moved to another agency or given another
//! lead or scope as one amendment: see `match_rows`), not a second plan. A
//! new action that cites none of the plan's recommendations is linked right
//! after it is added: by its wording where that clearly matches one, else
//! to its agency's own recommendation (`wording::link_by_wording`). [`plan_import`] only plans commands;
//! [`record`] is the whole import a user asks for: parse the bytes, plan,
//! and have the ledger validate and write the transaction (or, in a dry
//! run, validate it and write nothing). Both run the same checks, the size
//! of every record included, so a dry run that passes is an import that
//! passes, and a record too large names the row it came from.

use std::collections::{BTreeMap, BTreeSet};

use crate::command::Command;
use crate::date::Target;
use crate::event::{Hash, LinkBasis, SourceRef};
use crate::id::{ActionId, Id, PlanId, RecId};
use crate::ledger::{Author, Ledger, LedgerError, Receipt, Stamped};
use crate::projection::{Action, State};
use crate::recall::{self, Recall, RecallError};
use crate::rules::EARLIEST_DATE;
use crate::status::{self, Status, Via};

use super::wording::{self, FoundLink, link_by_wording};
use super::{Format, ImportError, OutcomeFact, ParsedAction, ParsedPlan};

/// The file being imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    pub name: String,
    pub size: u64,
    pub blake3: Hash,
    pub format: String,
}

/// What an import will record, for the person running it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub commands: Vec<Stamped>,
    /// The plan the import adds to: an existing plan's number when this is
    /// a new version of it, `None` when it adds a new plan.
    pub existing_plan: Option<PlanId>,
    /// One line per change, in words.
    pub changes: Vec<String>,
    /// Warnings, each recorded as an `ImportWarning` too.
    pub warnings: Vec<String>,
    /// When fewer actions were read than the file has data rows, the
    /// warning that says so, as recorded: a summary shows it first.
    pub shortfall: Option<String>,
    /// How many new actions each agency gets, for a summary that does not
    /// list them one by one.
    pub added_by_agency: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("{name} was already imported (event {seq}, same BLAKE3 {hash}); nothing was written")]
    AlreadyImported {
        name: String,
        seq: u64,
        hash: String,
    },
    #[error("{name} names no partnership or review: give them with --partnership and --review")]
    Unnamed { name: String },
    #[error(
        "{name} names no review that could be read (its title page has no name in quotes or between dashes): give it with --review NAME"
    )]
    NoReview { name: String },
    #[error("{name} names no partnership that could be read: give it with --partnership NAME")]
    NoPartnership { name: String },
    #[error(
        "the ledger's record of an action could not be read back to compare with {name}: {why}"
    )]
    Recall { name: String, why: String },
}

/// Names for a plan whose file does not give them (a CSV has no title page).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Naming {
    pub partnership: Option<String>,
    pub review: Option<String>,
}

/// What an import did or, in a dry run, would do.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The file's name, as recorded.
    pub name: String,
    /// What the import planned, without its commands (handed to the
    /// ledger): the changes and warnings in words.
    pub plan: Plan,
    /// Action rows read from the file.
    pub actions: usize,
    /// What was written; `None` for a dry run.
    pub receipt: Option<Receipt>,
}

/// Why an import recorded nothing.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("{name}: {source}")]
    Unreadable {
        name: String,
        #[source]
        source: ImportError,
    },
    #[error(
        "{name}: {}: its cells make a record of {len} bytes ({kind}), more than the {} a ledger record may hold; shorten them (nothing was written)",
        crate::text::visible(at),
        crate::codec::MAX_RECORD_LEN
    )]
    TooLarge {
        name: String,
        /// The locator of the row the record comes from.
        at: String,
        kind: String,
        len: usize,
    },
    #[error(transparent)]
    Refused(#[from] ApplyError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// Refuses records the ledger could not hold, naming the place in the file
/// each came from, before anything is written.
fn check_sizes(name: &str, records: &[crate::event::Record]) -> Result<(), RecordError> {
    for record in records {
        if let Err(crate::codec::CodecError::TooLarge { len }) = crate::codec::encode(record) {
            return Err(RecordError::TooLarge {
                name: name.to_string(),
                at: record
                    .source
                    .as_ref()
                    .map_or_else(|| "the plan".to_string(), |s| s.locator.clone()),
                kind: record.event.kind().to_string(),
                len,
            });
        }
    }
    Ok(())
}

/// Where an import has got to, for a caller that shows progress: each
/// stage begins once the one before it is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Reading the file's rows.
    Reading { bytes: usize },
    /// Matching the rows read against the ledger's plans and actions.
    Planning { rows: usize },
    /// Drafting and checking each change, as recording will.
    Checking { changes: usize },
    /// Writing the changes as one transaction, durably.
    Writing { changes: usize },
}

/// How many [`Stage`]s an import goes through (a dry run writes nothing).
pub fn stages(dry_run: bool) -> u64 {
    if dry_run { 3 } else { 4 }
}

/// Imports the file `name` with content `bytes` as one transaction by
/// `author`: parses it (as `format`, or as detected), plans the commands
/// against the ledger as it stands, and records them, or with `dry_run`
/// validates them exactly as recording would and writes nothing. `stage`
/// hears where it has got to.
#[allow(clippy::too_many_arguments)]
pub fn record(
    ledger: &mut Ledger,
    author: Author<'_>,
    name: &str,
    bytes: &[u8],
    format: Option<Format>,
    naming: &Naming,
    dry_run: bool,
    stage: &mut dyn FnMut(Stage),
) -> Result<Outcome, RecordError> {
    let unreadable = |source| RecordError::Unreadable {
        name: name.to_string(),
        source,
    };
    stage(Stage::Reading { bytes: bytes.len() });
    let mut parsed = super::parse(name, bytes, format).map_err(unreadable)?;
    stage(Stage::Planning {
        rows: parsed.actions.len(),
    });
    if parsed.partnership.is_none() {
        parsed.partnership = naming.partnership.clone();
    }
    if parsed.review.is_none() {
        parsed.review = naming.review.clone();
    }
    let source = SourceFile {
        name: name.to_string(),
        size: bytes.len() as u64,
        blake3: *blake3::hash(bytes).as_bytes(),
        format: format
            .or_else(|| super::detect_format(name, bytes))
            .map_or("unknown", Format::as_str)
            .to_string(),
    };
    let mut plan = plan_import(
        ledger.state(),
        &*ledger,
        &source,
        &parsed,
        // A signed import begins with its request: the source comes next.
        ledger.next_seq() + u64::from(matches!(author, Author::Key(_))),
        ledger.today(),
    )?;
    let actions = parsed.actions.len();
    // What was read is not needed once planned; a big file's rows are
    // most of an import's memory.
    drop(parsed);
    // Validated, and each record's size checked, in a dry run and before a
    // real import alike, so the dry run says what the import will say.
    let commands = std::mem::take(&mut plan.commands);
    stage(Stage::Checking {
        changes: commands.len(),
    });
    let records = ledger.dry_run_as(author, commands.clone())?;
    check_sizes(name, &records)?;
    drop(records);
    let receipt = if dry_run {
        None
    } else {
        // The summary names no free text (the file's name is one, and may
        // be redacted): it is "import" and the format.
        let summary = format!("import {}", source.format);
        stage(Stage::Writing {
            changes: commands.len(),
        });
        Some(ledger.transact_as(author, &summary, commands)?)
    };
    Ok(Outcome {
        name: name.to_string(),
        actions,
        plan,
        receipt,
    })
}

/// Plans the commands that record `parsed` into a ledger whose state is
/// `state`. `import_seq` is the sequence number the `SourceImported` event
/// will get (the ledger's next sequence number); `today` is the day the
/// import is recorded, after which no fact can have happened.
pub fn plan_import(
    state: &State,
    recall: &dyn Recall,
    source: &SourceFile,
    parsed: &ParsedPlan,
    import_seq: u64,
    today: chrono::NaiveDate,
) -> Result<Plan, ApplyError> {
    if let Some(previous) = state.sources.values().find(|s| s.blake3 == source.blake3) {
        return Err(ApplyError::AlreadyImported {
            name: source.name.clone(),
            seq: previous.seq,
            hash: hex::encode(&source.blake3[..8]),
        });
    }
    let partnership = parsed.partnership.clone().unwrap_or_default();
    let review = parsed.review.clone().unwrap_or_default();
    let name = source.name.clone();
    match (partnership.trim().is_empty(), review.trim().is_empty()) {
        (true, true) => return Err(ApplyError::Unnamed { name }),
        (false, true) => return Err(ApplyError::NoReview { name }),
        (true, false) => return Err(ApplyError::NoPartnership { name }),
        (false, false) => {}
    }
    let mut builder = Builder {
        import_seq,
        plan: Plan::default(),
        today,
        recorded_warnings: state.warnings.iter().map(|w| w.message.clone()).collect(),
    };
    builder.push(
        Command::RecordSource {
            name: source.name.clone(),
            size: source.size,
            blake3: source.blake3,
            format: source.format.clone(),
        },
        None,
        None,
    );
    if let Some(message) = &parsed.shortfall {
        let message = format!("plan: {message}");
        builder.plan.shortfall = Some(message.clone());
        builder.warn(None, message, Some("plan".into()));
    }

    let existing = state
        .plans
        .values()
        .find(|p| same_text(&p.partnership, &partnership) && same_text(&p.review, &review));
    let plan_id = match existing {
        Some(plan) => {
            builder.plan.existing_plan = Some(plan.id);
            builder.plan.changes.push(format!(
                "{} is already in the ledger as {}: recording what changed",
                review, plan.id
            ));
            plan.id
        }
        None => {
            let id = state.next_plan_id();
            // A publication date before any plan existed is a slip: the
            // plan is recorded without one, and a warning says so.
            let early = parsed.published.filter(|d| d.first_day() < EARLIEST_DATE);
            builder.push(
                Command::AddPlan {
                    partnership: partnership.clone(),
                    review: review.clone(),
                    chair: parsed.chair.clone(),
                    published: parsed.published.filter(|_| early.is_none()),
                },
                None,
                Some("title page".into()),
            );
            if let Some(date) = early {
                builder.warn(
                    None,
                    format!("title page: the publication date {date} is before {EARLIEST_DATE}, when no plan existed; recorded without one"),
                    Some("title page".into()),
                );
            }
            builder
                .plan
                .changes
                .push(format!("new plan {}: {partnership}: {review}", id));
            id
        }
    };

    let listed = existing.map(|p| &p.recommendations);
    for rec in &parsed.recommendations {
        if listed.is_some_and(|l| l.contains_key(&rec.number)) {
            continue;
        }
        builder.push(
            Command::AddRecommendation {
                plan: plan_id,
                number: Some(rec.number),
                text: rec.text.clone(),
                scope: None,
            },
            None,
            Some(format!("recommendation {}", rec.number)),
        );
        builder.plan.changes.push(format!("new {}", rec.number));
    }

    // The plan's recommendations as they will stand: those a new action's
    // words may link it to.
    let mut listed: BTreeMap<RecId, &str> = existing
        .map(|p| {
            p.recommendations
                .values()
                .map(|r| (r.number, r.text.as_str()))
                .collect()
        })
        .unwrap_or_default();
    for rec in &parsed.recommendations {
        listed.entry(rec.number).or_insert(&rec.text);
    }
    let listed: Vec<(RecId, &str)> = listed.into_iter().collect();

    let mut next_action = state.next_action_id();
    let known: Vec<&Action> = state
        .actions
        .values()
        .filter(|a| a.plan == plan_id)
        .collect();
    let Matched {
        rows: matched,
        uncompared,
    } = match_rows(&known, &parsed.actions);
    if uncompared > 0 {
        builder.warn(
            None,
            format!(
                "{uncompared} row(s) matching no action of the plan word for word were not compared with its actions for rewordings (too many to compare): each is recorded as a new action"
            ),
            None,
        );
    }
    // Locators of warnings, resolved to action ids once actions are placed.
    let mut action_at: BTreeMap<&str, ActionId> = BTreeMap::new();
    for (parsed_action, found) in parsed.actions.iter().zip(&matched) {
        match found {
            Some(action) => {
                action_at.insert(&parsed_action.locator, action.id);
                let written =
                    Written::of(recall, action, parsed_action).map_err(|e| ApplyError::Recall {
                        name: source.name.clone(),
                        why: e.to_string(),
                    })?;
                builder.update_action(action, &written, parsed_action, &source.name);
            }
            None => {
                let id = next_action;
                next_action = next_action.next();
                action_at.insert(&parsed_action.locator, id);
                builder.add_action(id, plan_id, parsed_action, &listed);
            }
        }
    }
    let taken: BTreeSet<ActionId> = matched.iter().flatten().map(|a| a.id).collect();
    for action in known.iter().filter(|a| !taken.contains(&a.id)) {
        builder.warn(
            Some(action.id),
            format!(
                "{} ({}) is not in this version of the plan; it was left as it is",
                action.id, action.agency
            ),
            None,
        );
    }
    for warning in &parsed.warnings {
        let action = action_at.get(warning.locator.as_str()).copied();
        builder.warn(
            action,
            format!("{}: {}", warning.locator, warning.message),
            Some(warning.locator.clone()),
        );
    }
    Ok(builder.plan)
}

/// The words an action's milestones and claims have in the ledger, which
/// a new version of the document is compared with.
#[derive(Default)]
struct Written {
    notes: Vec<String>,
    outcomes: Vec<String>,
}

impl Written {
    /// The words of `action`'s milestones and claims, read back from the
    /// ledger only if the row `parsed` reports one to compare them with
    /// (most rows of a new version report none: each read is a lookup).
    fn of(
        recall: &dyn Recall,
        action: &Action,
        parsed: &ParsedAction,
    ) -> Result<Written, RecallError> {
        let compares = parsed.facts.iter().any(|fact| {
            matches!(
                fact,
                OutcomeFact::Milestone { .. } | OutcomeFact::Claimed { .. }
            )
        });
        if !compares {
            return Ok(Written::default());
        }
        Ok(Written {
            notes: recall::milestones(recall, action)?
                .into_iter()
                .map(|m| m.note)
                .collect(),
            outcomes: recall::claims(recall, action)?
                .into_iter()
                .map(|c| c.outcome)
                .collect(),
        })
    }
}

struct Builder {
    import_seq: u64,
    plan: Plan,
    today: chrono::NaiveDate,
    /// Warnings an earlier import already recorded: a new version of the
    /// same plan does not record them again.
    recorded_warnings: std::collections::BTreeSet<String>,
}

impl Builder {
    fn push(
        &mut self,
        command: Command,
        effective: Option<crate::date::FuzzyDate>,
        locator: Option<String>,
    ) {
        let source = Some(SourceRef {
            import_seq: self.import_seq,
            locator: locator.unwrap_or_default(),
        });
        // The `SourceImported` event itself carries no source reference.
        let source = if matches!(command, Command::RecordSource { .. }) {
            None
        } else {
            source
        };
        self.plan.commands.push(Stamped {
            command,
            effective,
            source,
        });
    }

    fn warn(&mut self, action: Option<ActionId>, message: String, locator: Option<String>) {
        if !self.recorded_warnings.insert(message.clone()) {
            return;
        }
        self.plan.warnings.push(message.clone());
        self.push(Command::Warn { action, message }, None, locator);
    }

    fn add_action(
        &mut self,
        id: ActionId,
        plan: PlanId,
        parsed: &ParsedAction,
        listed: &[(RecId, &str)],
    ) {
        let (target, early) = recordable_target(parsed);
        *self
            .plan
            .added_by_agency
            .entry(parsed.agency.clone())
            .or_default() += 1;
        self.push(
            Command::AddAction {
                plan,
                agency: parsed.agency.clone(),
                lead: parsed.lead.clone(),
                text: parsed.text.clone(),
                scope: parsed.scope.clone(),
                recommendations: parsed.recommendations.clone(),
                target,
            },
            None,
            Some(parsed.locator.clone()),
        );
        // A row citing none of the listed recommendations is linked by its
        // words, or said to answer its agency's own recommendation. Where
        // the plan lists none, a row citing a number is that
        // recommendation's (the action holds the number).
        let cites = if listed.is_empty() {
            !parsed.recommendations.is_empty()
        } else {
            parsed
                .recommendations
                .iter()
                .any(|n| listed.iter().any(|(listed, _)| listed == n))
        };
        let found = if cites {
            None
        } else {
            link_by_wording(parsed.recommendation_text.as_deref(), &parsed.text, listed)
        };
        let linked = match &found {
            Some(FoundLink::Wording {
                number,
                shared_percent,
            }) => format!(
                " — linked to {number} by wording ({shared_percent}% shared), not yet confirmed"
            ),
            Some(FoundLink::Own { .. }) => " — answers its agency's own recommendation".to_string(),
            None => String::new(),
        };
        self.plan.changes.push(format!(
            "new {} for {}: {}{linked}",
            id,
            parsed.agency,
            crate::query::audit::clip(&parsed.text, 70)
        ));
        if let Some(found) = found {
            let (recommendations, basis, note) = match found {
                FoundLink::Wording {
                    number,
                    shared_percent,
                } => (vec![number], LinkBasis::Wording { shared_percent }, None),
                FoundLink::Own { text } => (Vec::new(), LinkBasis::Own, Some(text)),
            };
            self.push(
                Command::Link {
                    action: id,
                    recommendations,
                    basis,
                    note,
                },
                None,
                Some(parsed.locator.clone()),
            );
        }
        if let Some(warning) = early {
            self.warn(Some(id), warning, Some(parsed.locator.clone()));
        }
        let mut status = Status::Open;
        for fact in &parsed.facts {
            self.record_fact(id, &mut status, fact, &parsed.locator);
        }
    }

    /// Records what a new version of the document (named `name`) says
    /// beyond what the ledger already holds for this action: a changed
    /// wording, lead, agency or scope as one amendment, a moved target, new
    /// milestones and claims.
    fn update_action(
        &mut self,
        action: &Action,
        written: &Written,
        parsed: &ParsedAction,
        name: &str,
    ) {
        let (target, early) = recordable_target(parsed);
        if let Some(warning) = early {
            self.warn(Some(action.id), warning, Some(parsed.locator.clone()));
        }
        let changed = |now: &Option<String>, then: &Option<String>| {
            (!same_optional(now.as_deref(), then.as_deref())).then(|| now.clone())
        };
        let text = (!same_text(&action.text, &parsed.text)).then(|| parsed.text.clone());
        let lead = changed(&parsed.lead, &action.lead);
        let agency = (!same_text(&action.agency, &parsed.agency)).then(|| parsed.agency.clone());
        let scope = changed(&parsed.scope, &action.scope);
        let mut what = Vec::new();
        if let Some(text) = &text {
            what.push(format!(
                "wording now '{}'",
                crate::query::audit::clip(text, 60)
            ));
        }
        if let Some(lead) = &lead {
            what.push(format!("lead now {}", quoted(lead.as_deref())));
        }
        if let Some(agency) = &agency {
            what.push(format!("agency {} → {agency}", action.agency));
        }
        if let Some(scope) = &scope {
            what.push(format!("scope now {}", quoted(scope.as_deref())));
        }
        if !what.is_empty() {
            self.plan
                .changes
                .push(format!("{}: amended, {}", action.id, what.join("; ")));
            self.push(
                Command::Amend {
                    action: action.id,
                    text,
                    lead,
                    agency,
                    scope,
                    reason: format!("changed in the imported document {name}"),
                },
                None,
                Some(parsed.locator.clone()),
            );
        }
        if !crate::date::same_target(action.target.as_ref(), target.as_ref()) {
            let show =
                |t: &Option<Target>| t.as_ref().map_or("none".to_string(), |t| t.to_string());
            self.push(
                Command::Retarget {
                    action: action.id,
                    target: target.clone(),
                    reason: "changed in the imported document".into(),
                },
                None,
                Some(parsed.locator.clone()),
            );
            self.plan.changes.push(format!(
                "{}: target {} → {}",
                action.id,
                show(&action.target),
                show(&target)
            ));
        }
        let mut status = action.status;
        for fact in &parsed.facts {
            let already = match fact {
                OutcomeFact::Milestone { note, .. } => {
                    written.notes.iter().any(|n| same_text(n, note))
                }
                OutcomeFact::Claimed { outcome, .. } => {
                    written.outcomes.iter().any(|o| same_text(o, outcome))
                }
                OutcomeFact::Embedded { note, .. } => {
                    status == Status::Embedded
                        || action
                            .status_reason
                            .as_deref()
                            .is_some_and(|r| same_text(r, note))
                }
                OutcomeFact::Withdrawn { .. } => status == Status::Withdrawn,
            };
            if !already {
                self.record_fact(action.id, &mut status, fact, &parsed.locator);
            }
        }
    }

    /// Records one fact read from the document. A fact whose status move the
    /// transition table does not allow from where the action stands is kept
    /// as a milestone note with a warning, never dropped and never forced.
    fn record_fact(
        &mut self,
        action: ActionId,
        status: &mut Status,
        fact: &OutcomeFact,
        locator: &str,
    ) {
        let (command, to, via, effective, words) = match fact {
            OutcomeFact::Claimed { outcome, effective } => (
                Command::Claim {
                    action,
                    outcome: outcome.clone(),
                    evidence: Vec::new(),
                },
                Some(Status::Claimed),
                Via::Claim,
                *effective,
                "completion claimed",
            ),
            OutcomeFact::Embedded { note, effective } => (
                Command::SetStatus {
                    action,
                    to: Status::Embedded,
                    reason: note.clone(),
                },
                Some(Status::Embedded),
                Via::Status,
                *effective,
                "embedded in practice",
            ),
            OutcomeFact::Withdrawn { reason, effective } => (
                Command::Withdraw {
                    action,
                    reason: reason.clone(),
                },
                Some(Status::Withdrawn),
                Via::Withdraw,
                *effective,
                "withdrawn",
            ),
            OutcomeFact::Milestone { note, effective } => (
                Command::NoteMilestone {
                    action,
                    note: note.clone(),
                },
                None,
                Via::Status,
                *effective,
                "milestone",
            ),
        };
        let effective = match effective {
            Some(date) if date.first_day() > self.today => {
                self.warn(
                    Some(action),
                    format!("{locator}: the date {date} is in the future; recorded without an effective date"),
                    Some(locator.to_string()),
                );
                None
            }
            Some(date) if date.first_day() < EARLIEST_DATE => {
                self.warn(
                    Some(action),
                    format!("{locator}: the date {date} is before {EARLIEST_DATE}, when no plan existed; recorded without an effective date"),
                    Some(locator.to_string()),
                );
                None
            }
            _ => effective,
        };
        let when = effective.map(|d| format!(" ({d})")).unwrap_or_default();
        match to {
            Some(to) if to == *status || !status::is_legal(*status, to, via) => {
                let text = fact_text(fact);
                self.push(
                    Command::NoteMilestone {
                        action,
                        note: text.to_string(),
                    },
                    effective,
                    Some(locator.to_string()),
                );
                self.warn(
                    Some(action),
                    format!(
                        "{locator}: the document says {words} but {} is {status}; kept as a milestone note",
                        action
                    ),
                    Some(locator.to_string()),
                );
            }
            Some(to) => {
                *status = to;
                self.push(command, effective, Some(locator.to_string()));
                self.plan.changes.push(format!("{}: {words}{when}", action));
            }
            None => {
                self.push(command, effective, Some(locator.to_string()));
                self.plan.changes.push(format!("{}: {words}{when}", action));
            }
        }
    }
}

fn fact_text(fact: &OutcomeFact) -> &str {
    match fact {
        OutcomeFact::Claimed { outcome: text, .. }
        | OutcomeFact::Embedded { note: text, .. }
        | OutcomeFact::Withdrawn { reason: text, .. }
        | OutcomeFact::Milestone { note: text, .. } => text,
    }
}

/// The row's target as the ledger may record it, and a warning if it had
/// to change: a date before [`EARLIEST_DATE`] (a slip, as no plan is that
/// old) is kept as the words it was written in, without a date.
fn recordable_target(parsed: &ParsedAction) -> (Option<Target>, Option<String>) {
    match &parsed.target {
        Some(Target {
            text,
            date: Some(date),
        }) if date.first_day() < EARLIEST_DATE => (
            Some(Target {
                text: text.clone(),
                date: None,
            }),
            Some(format!(
                "{}: the target date {date} is before {EARLIEST_DATE}, when no plan existed; kept as words without a date",
                parsed.locator
            )),
        ),
        other => (other.clone(), None),
    }
}

/// Compares text ignoring case and runs of white space.
fn same_text(a: &str, b: &str) -> bool {
    normal(a) == normal(b)
}

/// A text's words, lower case, one space apart: two texts are the same
/// ([`same_text`]) when these are equal.
fn normal(text: &str) -> String {
    let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    words.join(" ")
}

/// Two optional texts agree: both absent, or [`same_text`].
fn same_optional(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => same_text(a, b),
        (None, Some(_)) | (Some(_), None) => false,
    }
}

/// "'words'", or "none".
fn quoted(text: Option<&str>) -> String {
    text.map_or("none".to_string(), |t| {
        format!("'{}'", crate::query::audit::clip(t, 60))
    })
}

/// Which action of the ledger (`known`, the plan's actions) each row of a
/// new version of the plan is, if any; each action is matched at most once.
///
/// First the same action exactly: the same agency and wording (preferring,
/// among actions worded alike, the one imported from the same place in the
/// document). Then the same wording under another agency: the action moved
/// (a plan handed to a successor, a service moved between agencies). Then,
/// within the row's agency, the action whose wording is clearly the most
/// alike ([`wording::clearly_best`], at least [`wording::SIMILAR_PERCENT`]
/// of words shared): the action reworded. Last, among the actions no row
/// has matched so far, under any other agency, the one whose wording is
/// clearly the most alike: the action moved and reworded at once (a plan
/// handed over in new words). Rewordings are matched highest share first,
/// so two rows never contend for one action by document order. A row
/// matched by none of these is a new action.
///
/// Comparing wordings costs the product of the rows left and the actions
/// left; past [`MAX_WORDING_PAIRS`] a pass is not made, and the rows it
/// would have compared are returned as new actions (the caller warns).
fn match_rows<'a>(known: &[&'a Action], rows: &[ParsedAction]) -> Matched<'a> {
    let mut matched: Vec<Option<&'a Action>> = vec![None; rows.len()];
    let mut taken: BTreeSet<ActionId> = BTreeSet::new();
    // The same wording, by its words (case and spacing aside): an index,
    // so that matching costs the rows plus the actions, not their product.
    let mut by_wording: BTreeMap<String, Vec<&'a Action>> = BTreeMap::new();
    for action in known {
        by_wording
            .entry(normal(&action.text))
            .or_default()
            .push(action);
    }
    for moved in [false, true] {
        for (row, slot) in rows.iter().zip(matched.iter_mut()) {
            if slot.is_some() {
                continue;
            }
            let Some(alike) = by_wording.get(&normal(&row.text)) else {
                continue;
            };
            let agency = normal(&row.agency);
            let candidates = || {
                alike
                    .iter()
                    .copied()
                    .filter(|a| !taken.contains(&a.id) && (normal(&a.agency) == agency) != moved)
            };
            let from_here =
                |a: &&Action| a.source.as_ref().is_some_and(|s| s.locator == row.locator);
            let found = candidates().find(from_here).or_else(|| candidates().next());
            if let Some(action) = found {
                taken.insert(action.id);
                *slot = Some(action);
            }
        }
    }
    let mut uncompared = 0;
    for moved in [false, true] {
        let left = matched.iter().filter(|m| m.is_none()).count();
        let candidates_left = known.iter().filter(|a| !taken.contains(&a.id)).count();
        if left.saturating_mul(candidates_left) > MAX_WORDING_PAIRS {
            uncompared = left;
            break;
        }
        let mut reworded: Vec<(usize, usize, &'a Action)> = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            if matched[i].is_some() {
                continue;
            }
            let candidates = known
                .iter()
                .copied()
                .filter(|a| !taken.contains(&a.id) && same_text(&a.agency, &row.agency) != moved)
                .map(|a| (a, a.text.as_str()));
            if let Some((action, percent)) = wording::clearly_best(&row.text, candidates) {
                reworded.push((percent, i, action));
            }
        }
        reworded.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, i, action) in reworded {
            if matched[i].is_none() && taken.insert(action.id) {
                matched[i] = Some(action);
            }
        }
    }
    Matched {
        rows: matched,
        uncompared,
    }
}

/// The most pairs of (row, action) whose wordings one pass of
/// [`match_rows`] compares: a few seconds' work. A plan of 60 actions
/// re-imported whole in new words is 3,600 pairs.
const MAX_WORDING_PAIRS: usize = 4_000_000;

/// Which action each row of a new version is ([`match_rows`]), and how
/// many rows were left uncompared for rewording because there were too
/// many pairs to compare.
struct Matched<'a> {
    rows: Vec<Option<&'a Action>>,
    uncompared: usize,
}
