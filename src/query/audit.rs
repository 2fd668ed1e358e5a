//! The audit trail: every event as a line a person can read — who, when
//! recorded, when effective, what changed — with backdated entries flagged.
//!
//! An effective date is *backdated* when the end of its period lies more
//! than a threshold before the recorded day: a completion claimed today "as
//! of" two years ago is exactly what assurance must notice.

use std::borrow::Borrow;

use chrono::NaiveDate;

use crate::event::{Amendment, ClockNote, Event, EventKind, LinkBasis, Micros, Record};
use crate::id::{ActionId, PlanId, RecId};
use crate::ledger::View;
use crate::projection::valid_from;
use crate::projection::{Action, State, UpgradedFrom};
use crate::query::select::agency_matches;
use crate::store::{Store, StoredEvent};
use crate::time::{day_of, format_micros};

/// The default backdating threshold, in days.
pub const DEFAULT_BACKDATED_DAYS: i64 = 30;

/// One line of the audit trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub seq: u64,
    pub tx: u64,
    pub recorded_at: Micros,
    pub clock: ClockNote,
    pub actor: String,
    /// The effective date as stated, `None` when the actor did not state one.
    pub effective: Option<crate::date::FuzzyDate>,
    pub kind: EventKind,
    pub plan: Option<PlanId>,
    pub action: Option<ActionId>,
    pub agency: Option<String>,
    /// The change in words.
    pub change: String,
    /// Days between the end of the effective period and the recorded day,
    /// when more than the threshold.
    pub backdated_days: Option<i64>,
    /// The source document's name, for imported events.
    pub source: Option<String>,
    /// Whether the change was signed, by which key, and whether it came as
    /// a return made without the ledger.
    pub signed: Signed,
}

/// How a change was made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signed {
    /// By a name as typed (a ledger without actors, or history before its
    /// first actor).
    Unsigned,
    /// In a request signed with the key of this fingerprint; `by_return`:
    /// made without a copy of the ledger and applied from a file.
    Key {
        fingerprint: String,
        by_return: bool,
    },
}

/// How a trail's changes were signed, in a sentence for a report: "136 of
/// 136 changes signed with their makers' keys (2 sent as returns)", or "no
/// change signed: the ledger has no actors, so each change's maker is a
/// name as typed".
pub fn signatures_words(trail: &[Entry]) -> String {
    let mut signatures = Signatures::default();
    trail.iter().for_each(|e| signatures.see(e));
    signatures.words()
}

/// How a trail's changes were signed, counted entry by entry as the trail
/// streams by; [`Signatures::words`] is [`signatures_words`] of the entries
/// seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Signatures {
    changes: usize,
    signed: usize,
    returns: usize,
}

impl Signatures {
    /// Counts one entry of the trail.
    pub fn see(&mut self, entry: &Entry) {
        // A request's own entry is how its changes were signed, not a change.
        if entry.kind == EventKind::RequestSigned {
            return;
        }
        self.changes += 1;
        if let Signed::Key { by_return, .. } = &entry.signed {
            self.signed += 1;
            self.returns += usize::from(*by_return);
        }
    }

    /// The sentence, as [`signatures_words`] says it.
    pub fn words(&self) -> String {
        let Signatures {
            changes,
            signed,
            returns,
        } = *self;
        if signed == 0 {
            return "no change signed: the ledger has no actors, so each change's maker is a name as typed"
                .to_string();
        }
        let returns = match returns {
            0 => String::new(),
            1 => " (1 sent as a return)".to_string(),
            n => format!(" ({n} sent as returns)"),
        };
        let rest = if signed == changes {
            ""
        } else {
            "; the rest unsigned, names as typed"
        };
        format!("{signed} of {changes} changes signed with their makers' keys{returns}{rest}")
    }
}

impl Signed {
    /// "unsigned", "signed 1a2b3c4d5e6f7a8b", "return signed 1a2b…".
    pub fn words(&self) -> String {
        match self {
            Signed::Unsigned => "unsigned".to_string(),
            Signed::Key {
                fingerprint,
                by_return: false,
            } => format!("signed {fingerprint}"),
            Signed::Key {
                fingerprint,
                by_return: true,
            } => format!("return signed {fingerprint}"),
        }
    }
}

/// Which entries to keep.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub actor: Option<String>,
    pub since: Option<Micros>,
    pub until: Option<Micros>,
    pub plan: Option<PlanId>,
    /// Matched case-insensitively as a substring of the agency's name.
    pub agency: Option<String>,
    pub action: Option<ActionId>,
    /// Events recorded after `view.as_of`, and facts not yet true on
    /// `view.valid_at`, are left out.
    pub view: View,
    pub backdated_days: Option<i64>,
}

impl Filter {
    /// Whether the entry describing `record` is kept: a fact true by the
    /// view's valid day (when it has one), matching every other filter.
    fn keeps_event(&self, record: &Record, entry: &Entry) -> bool {
        let valid = match (self.view.valid_at, valid_from(record)) {
            (Some(valid_at), Some(from)) => from <= valid_at,
            _ => true,
        };
        valid && self.keeps(entry)
    }

    fn keeps(&self, entry: &Entry) -> bool {
        let matches_text = |wanted: &Option<String>, have: Option<&str>| match wanted {
            None => true,
            Some(wanted) => have.is_some_and(|h| h.to_lowercase().contains(&wanted.to_lowercase())),
        };
        matches_text(&self.actor, Some(&entry.actor))
            && self.agency.as_deref().is_none_or(|wanted| {
                entry
                    .agency
                    .as_deref()
                    .is_some_and(|agency| agency_matches(agency, wanted))
            })
            && self.since.is_none_or(|t| entry.recorded_at >= t)
            && self.until.is_none_or(|t| entry.recorded_at <= t)
            && self.plan.is_none_or(|p| entry.plan == Some(p))
            && self.action.is_none_or(|a| entry.action == Some(a))
    }
}

/// Builds the audit trail from stored events. Each event is described with
/// the state just before it, so names resolve as they stood then.
pub fn trail(events: &[StoredEvent], filter: &Filter) -> Vec<Entry> {
    let names_of = |target: u64| slot_names_among(events, target);
    let streamed: Result<Vec<Entry>, std::convert::Infallible> =
        trail_of(events.iter().map(Ok), &names_of, filter);
    match streamed {
        Ok(entries) => entries,
        Err(never) => match never {},
    }
}

/// [`trail`] of events read as they stream by (`Store::events`), holding
/// only the state folded so far and the entries kept, never the history:
/// what `history` and `audit` print. `names_of` gives the text slot names
/// of an earlier event, by its seq (what a redaction erased). The first
/// error the events give ends it.
pub fn trail_of<E: Borrow<StoredEvent>, X>(
    events: impl Iterator<Item = Result<E, X>>,
    names_of: &dyn Fn(u64) -> Option<Vec<String>>,
    filter: &Filter,
) -> Result<Vec<Entry>, X> {
    let mut entries = Vec::new();
    trail_each(events, names_of, filter, &mut |entry| {
        entries.push(entry);
        Ok(())
    })?;
    Ok(entries)
}

/// [`trail_of`] without the list: each entry `filter` keeps is handed to
/// `sink` as soon as it is described, so a caller that prints, counts or
/// keeps the last few holds no more than that. The first error, of the
/// events or of `sink`, ends it.
pub fn trail_each<E: Borrow<StoredEvent>, X>(
    events: impl Iterator<Item = Result<E, X>>,
    names_of: &dyn Fn(u64) -> Option<Vec<String>>,
    filter: &Filter,
    sink: &mut dyn FnMut(Entry) -> Result<(), X>,
) -> Result<(), X> {
    let threshold = filter.backdated_days.unwrap_or(DEFAULT_BACKDATED_DAYS);
    let mut state = State::default();
    // The signing of the transaction being read.
    let mut signing: Option<(u64, Signed)> = None;
    let mut events = events.peekable();
    while let Some(event) = events.next() {
        let event = event?;
        let event = event.borrow();
        if !filter.view.admits(event) {
            break;
        }
        // A ledger signed from its genesis: the request that follows the
        // genesis event names its ledger id, and so signs it too.
        let found = match (&event.record.event, events.peek()) {
            (Event::LedgerCreated { .. }, Some(Ok(next)))
                if event.seq == 0 && next.borrow().record.tx == 0 =>
            {
                signing_of(next.borrow())
            }
            _ => signing_of(event),
        };
        if found.is_some() {
            signing = found;
        }
        let mut entry = describe(&state, event, names_of, threshold);
        entry.signed = match &signing {
            Some((tx, signed)) if *tx == event.record.tx => signed.clone(),
            _ => Signed::Unsigned,
        };
        state.apply(event.seq, event.hash, &event.record);
        if filter.keeps_event(&event.record, &entry) {
            sink(entry)?;
        }
    }
    Ok(())
}

/// The text slot names of the event stored at `seq`, read back from
/// `store` (`None` where there is none): the `names_of` of [`trail_of`] and
/// [`trail_each`] when the events stream from a store.
pub fn slot_names_in(store: &Store, seq: u64) -> Option<Vec<String>> {
    store
        .event_at(seq)
        .ok()
        .flatten()
        .map(|(_, record)| record.event.slot_names())
}

/// The text slot names of the event at `seq` among `events`, every stored
/// event held in memory (a test's, or a small ledger's): [`slot_names_in`]
/// for events not read from a store.
pub fn slot_names_among(events: &[StoredEvent], seq: u64) -> Option<Vec<String>> {
    events
        .get(usize::try_from(seq).ok()?)
        .filter(|e| e.seq == seq)
        .map(|e| e.record.event.slot_names())
}

/// [`trail_of`] for one action, from that action's events alone (as the
/// action index gives them, `Store::action_events`) rather than the whole
/// history: what `history` prints, at a cost that grows with the action's
/// events, not the ledger's. Every entry is the one [`trail_of`] gives:
/// the action as it stood before each event is folded from its own events
/// (no other event changes it), and what the full fold would know besides
/// is read where an entry needs it: the earlier event a redaction erased
/// or an import named (`earlier`, by seq), and the request that signed a
/// transaction, which begins it (`first_of_tx`, by transaction number).
pub fn action_trail_of<E: Borrow<StoredEvent>, X>(
    events: impl Iterator<Item = Result<E, X>>,
    earlier: &dyn Fn(u64) -> Option<Record>,
    first_of_tx: &dyn Fn(u64) -> Option<u64>,
    filter: &Filter,
) -> Result<Vec<Entry>, X> {
    let threshold = filter.backdated_days.unwrap_or(DEFAULT_BACKDATED_DAYS);
    let names_of = |seq: u64| earlier(seq).map(|record| record.event.slot_names());
    let mut state = State::default();
    let mut entries = Vec::new();
    // The signing of the transaction being read.
    let mut signing: Option<(u64, Signed)> = None;
    for event in events {
        let event = event?;
        let event = event.borrow();
        if !filter.view.admits(event) {
            break;
        }
        let tx = event.record.tx;
        if signing.as_ref().is_none_or(|(read, _)| *read != tx) {
            signing = Some((tx, signed_by_request(tx, earlier, first_of_tx)));
        }
        if let Some(source) = &event.record.source
            && !state.sources.contains_key(&source.import_seq)
            && let Some(record) = earlier(source.import_seq)
        {
            // The import's own event, folded so that the entry can name its
            // file as the full fold does (only `sources` is read of it).
            state.apply(source.import_seq, [0; 32], &record);
        }
        let mut entry = describe(&state, event, &names_of, threshold);
        entry.signed = signing
            .as_ref()
            .map_or(Signed::Unsigned, |(_, s)| s.clone());
        state.apply(event.seq, event.hash, &event.record);
        if filter.keeps_event(&event.record, &entry) {
            entries.push(entry);
        }
    }
    Ok(entries)
}

/// How transaction `tx` was signed: by the request that begins it (or, in
/// a ledger signed from its genesis, follows the genesis event).
fn signed_by_request(
    tx: u64,
    earlier: &dyn Fn(u64) -> Option<Record>,
    first_of_tx: &dyn Fn(u64) -> Option<u64>,
) -> Signed {
    let Some(first) = first_of_tx(tx) else {
        return Signed::Unsigned;
    };
    let request = match earlier(first) {
        Some(Record {
            event: Event::LedgerCreated { .. },
            ..
        }) if tx == 0 => earlier(first + 1),
        found => found,
    };
    request
        .filter(|record| record.tx == tx)
        .and_then(|record| signing_of_record(&record))
        .map_or(Signed::Unsigned, |(_, signed)| signed)
}

/// The transaction a `RequestSigned` event signs, and how: by which key,
/// and whether as a return made away from the ledger.
fn signing_of(event: &StoredEvent) -> Option<(u64, Signed)> {
    signing_of_record(&event.record)
}

/// [`signing_of`], from the record alone.
fn signing_of_record(record: &Record) -> Option<(u64, Signed)> {
    let Record {
        tx,
        event: Event::RequestSigned { key, request, .. },
        ..
    } = record
    else {
        return None;
    };
    // The genesis request sees no head either, but is no return.
    let by_return = *tx > 0 && crate::request::decode(request).is_ok_and(|r| r.head_seen.is_none());
    Some((
        *tx,
        Signed::Key {
            fingerprint: crate::keys::fingerprint_of(key),
            by_return,
        },
    ))
}

/// Days by which an effective date lies before the recorded day, if more
/// than `threshold`. Measured from the *start* of the stated period, so a
/// coarse date cannot hide a backdate: "2025" stated in January 2026 is a
/// year back, not a month.
pub fn backdated_by(record: &Record, threshold: i64) -> Option<i64> {
    let effective = record.effective?;
    let recorded_day: NaiveDate = day_of(record.recorded_at);
    let gap = (recorded_day - effective.first_day()).num_days();
    (gap > threshold).then_some(gap)
}

fn describe(
    state: &State,
    event: &StoredEvent,
    names_of: &dyn Fn(u64) -> Option<Vec<String>>,
    threshold: i64,
) -> Entry {
    let (seq, record) = (event.seq, &event.record);
    // A redaction is about what the event it redacts is about: the chain
    // files it under that event's subject.
    let action = if let Event::Redacted { .. } = &record.event {
        event.subject.action
    } else {
        record.event.action()
    };
    let known = action.and_then(|a| state.actions.get(&a));
    let (plan, agency) = match &record.event {
        Event::PlanAdded { plan, .. } | Event::RecommendationAdded { plan, .. } => {
            (Some(*plan), None)
        }
        Event::ActionAdded { plan, agency, .. } => (Some(*plan), Some(agency.clone())),
        Event::StatusChanged { .. }
        | Event::MilestoneNoted { .. }
        | Event::CompletionClaimed { .. }
        | Event::ClaimAccepted { .. }
        | Event::ClaimChallenged { .. }
        | Event::ActionWithdrawn { .. }
        | Event::TargetChanged { .. }
        | Event::ActionLinked { .. }
        | Event::ActionAmended { .. }
        | Event::ImportWarning { .. }
        | Event::LedgerCreated { .. }
        | Event::LedgerUpgraded { .. }
        | Event::SourceImported { .. }
        | Event::ActorAdded { .. }
        | Event::KeyRotated { .. }
        | Event::ActorRevoked { .. }
        | Event::RequestSigned { .. } => (known.map(|a| a.plan), known.map(|a| a.agency.clone())),
        Event::Redacted { .. } => (
            known.map(|a| a.plan).or(event.subject.plan),
            known.map(|a| a.agency.clone()),
        ),
    };
    Entry {
        seq,
        tx: record.tx,
        recorded_at: record.recorded_at,
        clock: record.clock,
        actor: record.actor.clone(),
        effective: record.effective,
        kind: record.event.kind(),
        plan,
        action,
        agency,
        change: change_in_words_with(record, known, names_of),
        backdated_days: backdated_by(record, threshold),
        signed: Signed::Unsigned,
        source: record
            .source
            .as_ref()
            .and_then(|s| state.sources.get(&s.import_seq))
            .map(|s| s.name.clone()),
    }
}

/// The ledger an upgraded ledger carries, in words, as `audit`, `show`
/// and `verify` give it: "format-1 ledger 1111… at its head seq 26 665a…
/// (27 events)".
pub fn upgraded_from_words(from: &UpgradedFrom) -> String {
    format!(
        "format-{} ledger {} at its head seq {} {} ({} events)",
        from.format_version,
        hex::encode(from.ledger_id),
        from.events.saturating_sub(1),
        hex::encode(from.head_hash),
        from.events
    )
}

/// An event in words, without the when (and without the who, but for a
/// link a person stated, which says who stated it). `before` is the action
/// the event is about as it stood just before, where known: an amendment
/// then says what each field was as well as what it became.
pub fn change_in_words(record: &Record, before: Option<&Action>) -> String {
    change_in_words_with(record, before, |_| None)
}

/// The names of texts as a person reads them: "note", "lead and text",
/// "name of evidence file 2".
pub fn texts_in_words(names: &[String]) -> String {
    let words: Vec<String> = names
        .iter()
        .map(|name| match name.strip_prefix("evidence.") {
            Some(n) => format!("name of evidence file {n}"),
            None => name.clone(),
        })
        .collect();
    match words.as_slice() {
        [] => "texts".into(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// "signed a request of 2 changes with key 1a2b…, made 2026-11-30 10:00
/// having seen event 41" (or "…without a copy of the ledger").
fn request_in_words(key: &crate::event::PublicKey, bytes: &[u8]) -> String {
    let fingerprint = crate::keys::fingerprint_of(key);
    match crate::request::decode(bytes) {
        Ok(request) => {
            let changes = match request.commands.len() {
                1 => "1 change".to_string(),
                n => format!("{n} changes"),
            };
            let seen = match request.head_seen {
                Some((seq, _)) => format!("having seen event {seq}"),
                None => "without a copy of the ledger (a return)".to_string(),
            };
            format!(
                "signed a request of {changes} with key {fingerprint}, made {} {seen}",
                crate::time::format_micros(request.made_at)
            )
        }
        Err(_) => format!("signed a request with key {fingerprint} that cannot be read"),
    }
}

/// [`change_in_words`], with `slot_names` giving the names of the texts of
/// an earlier event by its sequence number, so that a redaction says what
/// it erased ("redacted the note of event 12").
pub fn change_in_words_with(
    record: &Record,
    before: Option<&Action>,
    slot_names: impl Fn(u64) -> Option<Vec<String>>,
) -> String {
    match &record.event {
        Event::LedgerCreated {
            ledger_id,
            format_version,
        } => format!(
            "created the ledger {} (format {format_version})",
            hex::encode(ledger_id)
        ),
        Event::LedgerUpgraded {
            ledger_id,
            format_version,
            from_ledger_id,
            from_format_version,
            from_head_hash,
            from_events,
        } => format!(
            "created the ledger {} (format {format_version}) by upgrading {}",
            hex::encode(ledger_id),
            upgraded_from_words(&UpgradedFrom {
                ledger_id: *from_ledger_id,
                format_version: *from_format_version,
                head_hash: *from_head_hash,
                events: *from_events,
            })
        ),
        Event::Redacted {
            event,
            slots,
            reason,
        } => {
            let named = slot_names(*event).and_then(|names| {
                slots
                    .iter()
                    .map(|&slot| names.get(slot as usize).cloned())
                    .collect::<Option<Vec<String>>>()
            });
            let texts = match (named, slots.len()) {
                (Some(names), _) => format!("the {}", texts_in_words(&names)),
                (None, 1) => "1 text".to_string(),
                (None, n) => format!("{n} texts"),
            };
            format!("redacted {texts} of event {event}: {reason}")
        }
        Event::PlanAdded {
            plan,
            partnership,
            review,
            ..
        } => format!("added plan {}: {partnership}: {review}", plan),
        Event::RecommendationAdded {
            plan, number, text, ..
        } => {
            format!("added {} to {}: {}", number, plan, clip(text, 100))
        }
        Event::ActionAdded {
            action,
            agency,
            text,
            ..
        } => format!("added {} for {agency}: {}", action, clip(text, 100)),
        Event::StatusChanged {
            from, to, reason, ..
        } => format!("status {from} → {to}: {reason}"),
        Event::MilestoneNoted { note, .. } => format!("milestone: {}", clip(note, 160)),
        Event::CompletionClaimed {
            claim,
            outcome,
            evidence,
            ..
        } => {
            let files = match evidence.len() {
                0 => String::from("no evidence"),
                1 => format!("evidence {}", evidence[0].name),
                n => format!("{n} evidence files"),
            };
            format!(
                "claimed complete (claim {claim}, {files}): {}",
                clip(outcome, 160)
            )
        }
        Event::ClaimAccepted { claim, finding, .. } => format!("accepted claim {claim}: {finding}"),
        Event::ClaimChallenged { claim, finding, .. } => {
            format!("challenged claim {claim}: {finding}")
        }
        Event::ActionWithdrawn { from, reason, .. } => format!("withdrawn (was {from}): {reason}"),
        Event::TargetChanged {
            from, to, reason, ..
        } => {
            let show = |t: &Option<crate::date::Target>| {
                t.as_ref().map_or("none".to_string(), |t| t.to_string())
            };
            format!("target {} → {}: {reason}", show(from), show(to))
        }
        Event::SourceImported {
            name,
            size,
            blake3,
            format,
        } => format!(
            "imported {name} ({format}, {size} bytes, BLAKE3 {})",
            &hex::encode(blake3)[..16]
        ),
        Event::ImportWarning { message, .. } => format!("import warning: {message}"),
        Event::ActorAdded { name, roles, key } => format!(
            "added actor {name} ({}), key {}",
            crate::rules::roles_text(roles),
            crate::keys::fingerprint_of(key)
        ),
        Event::KeyRotated { name, key } => format!(
            "replaced {name}'s key with {}",
            crate::keys::fingerprint_of(key)
        ),
        Event::ActorRevoked { name, reason } => format!("revoked actor {name}: {reason}"),
        Event::RequestSigned { key, request, .. } => request_in_words(key, request),
        Event::ActionLinked {
            recommendations,
            basis,
            note,
            ..
        } => link_in_words(recommendations, *basis, note.as_deref(), &record.actor),
        Event::ActionAmended {
            changes, reason, ..
        } => {
            let quoted = |text: Option<&str>| {
                text.map_or("none".to_string(), |t| format!("'{}'", clip(t, 100)))
            };
            let was = |text: Option<&str>| match before {
                Some(_) => format!("{} → ", quoted(text)),
                None => "→ ".to_string(),
            };
            let parts: Vec<String> = changes
                .iter()
                .map(|change| match change {
                    Amendment::Text(text) => format!(
                        "text {}{}",
                        was(before.map(|a| a.text.as_str())),
                        quoted(Some(text))
                    ),
                    Amendment::Lead(lead) => format!(
                        "lead {}{}",
                        was(before.and_then(|a| a.lead.as_deref())),
                        quoted(lead.as_deref())
                    ),
                    Amendment::Agency(agency) => match before {
                        Some(a) => format!("agency {} → {agency}", a.agency),
                        None => format!("agency → {agency}"),
                    },
                    Amendment::Scope(scope) => format!(
                        "scope {}{}",
                        was(before.and_then(|a| a.scope.as_deref())),
                        quoted(scope.as_deref())
                    ),
                })
                .collect();
            format!("amended {}: {reason}", parts.join("; "))
        }
    }
}

/// How an action's link reads: "linked to R1 by wording (56% shared), not
/// yet confirmed", "linked to R2 by Sam Okafor: REASON", "answers its
/// agency's own recommendation: '…'".
pub fn link_in_words(
    recommendations: &[RecId],
    basis: LinkBasis,
    note: Option<&str>,
    actor: &str,
) -> String {
    let to = match recommendations {
        [] => "none of the review's recommendations".to_string(),
        some => crate::query::coverage::list(some),
    };
    match basis {
        LinkBasis::Wording { shared_percent } => {
            format!("linked to {to} by wording ({shared_percent}% shared), not yet confirmed")
        }
        LinkBasis::Stated => format!("linked to {to} by {actor}: {}", note.unwrap_or_default()),
        LinkBasis::Own => format!(
            "answers its agency's own recommendation: '{}'",
            clip(note.unwrap_or_default(), 160)
        ),
    }
}

/// Shortens text to `max` characters for one-line views.
pub fn clip(text: &str, max: usize) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}

/// How a clock note reads in output.
pub fn clock_words(clock: ClockNote) -> String {
    match clock {
        ClockNote::System => "system".into(),
        ClockNote::Overridden => "overridden".into(),
        ClockNote::HeldAtHead { clock_read } => {
            format!("held at head (clock read {})", format_micros(clock_read))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::FuzzyDate;
    use crate::event::{ClockNote, Event};
    #[allow(unused_imports)]
    use crate::id::{ActionId, ClaimNo, PlanId, RecId};
    use crate::time::{DayEnd, parse_instant};

    fn claim_on(recorded: &str, effective: Option<FuzzyDate>) -> Record {
        Record {
            tx: 1,
            recorded_at: parse_instant(recorded, DayEnd::Start).unwrap(),
            clock: ClockNote::System,
            actor: "Lead".into(),
            effective,
            source: None,
            event: Event::MilestoneNoted {
                action: ActionId::of(1),
                note: "x".into(),
            },
        }
    }

    /// Regression (found in review): a year-precision date hid a backdate
    /// that the same date given to the day revealed.
    #[test]
    fn a_coarse_date_does_not_hide_a_backdate() {
        let by_year = claim_on("2026-01-25", FuzzyDate::year(2025));
        let by_day = claim_on("2026-01-25", FuzzyDate::day(2025, 1, 10));
        assert_eq!(backdated_by(&by_year, 30), Some(389));
        assert_eq!(backdated_by(&by_day, 30), Some(380));
        assert_eq!(
            backdated_by(&claim_on("2026-01-25", FuzzyDate::month(2026, 1)), 30),
            None
        );
        assert_eq!(backdated_by(&claim_on("2026-01-25", None), 30), None);
    }
}
