//! The ledger as a whole: a store, a clock and the state folded from it.
//!
//! [`Ledger::transact`] is the one way to record anything: it validates
//! every command of a transaction against the state as it would be, then
//! appends them as one atomic, durable transaction, then folds them in.
//! Reading "now" and reading "as of" a past point share one path:
//! [`Ledger::state_at`] folds the stored events up to a bound, and the
//! current state is the fold with no bound.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;

use crate::chain::CHAIN_FORMAT;
pub use crate::command::Stamped;
use crate::command::{self, Command};
use crate::event::Role;
use crate::event::{ClockNote, Event, Micros, Record};
use crate::projection::State;
use crate::request::{RequestError, RequestFault, RequestHead, SignedRequest};
use crate::rules::{self, Refusal};
use crate::sealed::{Salt, StoredText};
use crate::snapshot;
use crate::store::{
    DamageKind, LockWait, PendingEvent, PendingTx, Readers, Store, StoreError, StoredEvent,
};
use crate::time::{Clock, day_of};
use ed25519_dalek::SigningKey;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("no actor given: say who is making this change with --actor or PLANLEDGER_ACTOR")]
    NoActor,
    #[error("the system could not provide randomness for the ledger id: {0}")]
    Random(#[source] getrandom::Error),
    #[error("event {seq} cannot be carried as it was recorded: {fault}")]
    NotCarried { seq: u64, fault: CarryFault },
    #[error("the request cannot be carried out: {0}")]
    Request(#[from] RequestFault),
    #[error("the request could not be made: {0}")]
    Sign(#[from] RequestError),
    #[error(
        "the request was made against a different history: its signer saw event {seq} with another hash than this ledger holds"
    )]
    OtherHistory { seq: u64 },
}

/// Why a transaction recorded before cannot be appended as it was.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CarryFault {
    #[error("the transaction holds no event")]
    Empty,
    #[error("it is in transaction {found}, but the next transaction is {expected}")]
    NotTheNextTx { found: u64, expected: u64 },
    #[error("it differs from the rest of its transaction in actor, time or clock")]
    DiffersFromTx,
    #[error("it has no actor")]
    NoActor,
    #[error("its recorded time is before the previous event's")]
    TimeGoesBackwards,
}

/// A transaction recorded before, in a ledger of an earlier format, to be
/// appended as it was: its records keep their transaction number, recorded
/// time, clock note and actor (the same for all of them), effective dates,
/// sources and events. See [`Ledger::init_carried`].
#[derive(Clone, Debug)]
pub struct Carried {
    /// The transaction's summary, for its `txs` record.
    pub summary: String,
    pub records: Vec<Record>,
}

impl LedgerError {
    /// True when the ledger's stored data is damaged, as opposed to a
    /// command refused or a ledger that cannot be opened.
    pub fn is_damage(&self) -> bool {
        matches!(self, LedgerError::Store(e) if e.is_damage())
    }
}

/// Who makes a transaction: a typed name, on a ledger without actors, or
/// a key that signs it as a request.
#[derive(Clone, Copy)]
pub enum Author<'a> {
    Named(&'a str),
    Key(&'a SigningKey),
}

/// What a successful transaction wrote.
#[derive(Clone, Debug)]
pub struct Receipt {
    pub events: Vec<StoredEvent>,
    /// Set when the clock read earlier than the head, so the head's time
    /// was recorded instead: the clock's reading.
    pub clock_held: Option<Micros>,
}

/// Which events a read sees.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Bound {
    /// Everything: the ledger as it stands.
    #[default]
    Latest,
    /// Events up to and including this sequence number.
    Seq(u64),
    /// Events recorded at or before this instant.
    RecordedBy(Micros),
}

impl Bound {
    pub fn admits(self, event: &StoredEvent) -> bool {
        match self {
            Bound::Latest => true,
            Bound::Seq(seq) => event.seq <= seq,
            Bound::RecordedBy(t) => event.record.recorded_at <= t,
        }
    }
}

/// A point on both time axes: what the ledger said at `as_of` (events
/// recorded later are invisible), and of that, what was true in the world on
/// `valid_at`. Both unset is the ledger as it stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct View {
    pub as_of: Option<Micros>,
    pub valid_at: Option<NaiveDate>,
}

impl View {
    pub fn admits(self, event: &StoredEvent) -> bool {
        self.as_of.is_none_or(|t| event.record.recorded_at <= t)
    }
}

pub struct Ledger {
    store: Store,
    clock: Arc<dyn Clock>,
    state: State,
    /// What has been appended since the latest snapshot: when the next is
    /// due.
    since: snapshot::Since,
}

impl Ledger {
    /// Creates a ledger at `dir` with its genesis event.
    pub fn init(dir: &Path, actor: &str, clock: Arc<dyn Clock>) -> Result<Ledger, LedgerError> {
        Ledger::init_waiting(dir, actor, clock, LockWait::moment())
    }

    /// [`Ledger::init`], waiting for another process as `wait` says.
    pub fn init_waiting(
        dir: &Path,
        actor: &str,
        clock: Arc<dyn Clock>,
        wait: LockWait<'_>,
    ) -> Result<Ledger, LedgerError> {
        let actor = check_actor(actor)?;
        let mut ledger_id = [0u8; 16];
        getrandom::fill(&mut ledger_id).map_err(LedgerError::Random)?;
        let genesis = Record {
            tx: 0,
            recorded_at: clock.now(),
            clock: clock.note(),
            actor,
            effective: None,
            source: None,
            event: Event::LedgerCreated {
                ledger_id,
                format_version: CHAIN_FORMAT,
            },
        };
        Ledger::init_carried(
            dir,
            Carried {
                summary: "init".into(),
                records: vec![genesis],
            },
            clock,
            wait,
        )
    }

    /// Creates a ledger at `dir` (new or empty) whose genesis transaction
    /// is `genesis`, appended as it was recorded (see
    /// [`Ledger::append_carried`]): how `planledger upgrade` begins the
    /// ledger it writes, and how `init` writes the genesis it made.
    pub fn init_carried(
        dir: &Path,
        genesis: Carried,
        clock: Arc<dyn Clock>,
        wait: LockWait<'_>,
    ) -> Result<Ledger, LedgerError> {
        let store = Store::create_waiting(dir, wait)?;
        let mut ledger = Ledger {
            store,
            clock,
            state: State::default(),
            since: snapshot::Since::default(),
        };
        ledger.append_carried(genesis)?;
        ledger.store.sync_directories()?;
        Ok(ledger)
    }

    /// Appends a transaction recorded before, as it was: its transaction
    /// number must be the next, its events must share actor, recorded time
    /// and clock, and that time must not be before the head's. The clock is
    /// not read. The rule book is asked of every event as for any command,
    /// and the ledger sets each event's subject.
    pub fn append_carried(&mut self, tx: Carried) -> Result<Receipt, LedgerError> {
        let next_seq = self.next_seq();
        let fault = |fault| LedgerError::NotCarried {
            seq: next_seq,
            fault,
        };
        let Some(first) = tx.records.first() else {
            return Err(fault(CarryFault::Empty));
        };
        if first.tx != self.next_tx() {
            return Err(fault(CarryFault::NotTheNextTx {
                found: first.tx,
                expected: self.next_tx(),
            }));
        }
        if first.actor.trim().is_empty() {
            return Err(fault(CarryFault::NoActor));
        }
        if self
            .state
            .last_recorded
            .is_some_and(|head| first.recorded_at < head)
        {
            return Err(fault(CarryFault::TimeGoesBackwards));
        }
        let (first_tx, actor, recorded_at, clock) = (
            first.tx,
            first.actor.clone(),
            first.recorded_at,
            first.clock,
        );
        self.record(tx.summary, |ledger, state| {
            let mut subjects = Vec::with_capacity(tx.records.len());
            for (i, (seq, record)) in (next_seq..).zip(&tx.records).enumerate() {
                if record.tx != first_tx
                    || record.actor != actor
                    || record.recorded_at != recorded_at
                    || record.clock != clock
                {
                    return Err(LedgerError::NotCarried {
                        seq,
                        fault: CarryFault::DiffersFromTx,
                    });
                }
                subjects.push(ledger.admit(state, next_seq, seq, record, &tx.records[..i])?);
            }
            Ok(Prepared {
                actor,
                recorded_at,
                clock,
                clock_held: None,
                records: tx.records,
                subjects,
                salts: None,
            })
        })
    }

    /// Creates a ledger at `dir` (new or empty) signed from its genesis:
    /// its genesis transaction holds the `LedgerCreated` event, then a
    /// request signed with `key` that adds its holder as the first actor,
    /// named `name`, an admin (and `roles` besides).
    pub fn init_signed(
        dir: &Path,
        key: &SigningKey,
        name: &str,
        roles: Vec<Role>,
        clock: Arc<dyn Clock>,
        wait: LockWait<'_>,
    ) -> Result<Ledger, LedgerError> {
        let name = check_actor(name)?;
        let mut ledger_id = [0u8; 16];
        getrandom::fill(&mut ledger_id).map_err(LedgerError::Random)?;
        let mut all = vec![Role::Admin];
        all.extend(roles.into_iter().filter(|r| *r != Role::Admin));
        let signed = SignedRequest::sign(
            key,
            RequestHead {
                ledger_id,
                head_seen: None,
                signer: name.clone(),
                made_at: clock.now(),
            },
            vec![Stamped::from(Command::AddActor {
                name: name.clone(),
                roles: all,
                key: key.verifying_key().to_bytes(),
            })],
        )?;
        let store = Store::create_waiting(dir, wait)?;
        let mut ledger = Ledger {
            store,
            clock,
            state: State::default(),
            since: snapshot::Since::default(),
        };
        let genesis = Event::LedgerCreated {
            ledger_id,
            format_version: CHAIN_FORMAT,
        };
        ledger.record("init".into(), |ledger, state| {
            ledger.prepare_request(state, &signed, vec![genesis])
        })?;
        ledger.store.sync_directories()?;
        Ok(ledger)
    }

    /// Opens an existing ledger, for a command that may write: the latest
    /// snapshot, then the events after it. A ledger this process cannot
    /// write is refused in one line ([`StoreError::ReadOnly`]).
    pub fn open(dir: &Path, clock: Arc<dyn Clock>) -> Result<Ledger, LedgerError> {
        Ledger::open_waiting(dir, clock, LockWait::moment())
    }

    /// [`Ledger::open`], waiting for another process as `wait` says.
    pub fn open_waiting(
        dir: &Path,
        clock: Arc<dyn Clock>,
        wait: LockWait<'_>,
    ) -> Result<Ledger, LedgerError> {
        Ledger::of(Store::open_waiting(dir, wait)?, clock, Readers::TwoThreads)
    }

    /// Opens an existing ledger for a command that only reads it (`show`,
    /// `history`, `audit`, `export`, …), waiting for another process as
    /// `wait` says. A ledger this process cannot write (a read-only copy,
    /// share or mount) is read from a copy of its files and left exactly as
    /// it is ([`Store::open_to_read_waiting`]); one it can write is opened
    /// as [`Ledger::open_waiting`] opens it. Every write through the
    /// ledger returned is refused where it reads a copy.
    pub fn open_to_read_waiting(
        dir: &Path,
        clock: Arc<dyn Clock>,
        wait: LockWait<'_>,
    ) -> Result<Ledger, LedgerError> {
        Ledger::of(
            Store::open_to_read_waiting(dir, wait)?,
            clock,
            Readers::TwoThreads,
        )
    }

    /// [`Ledger::open_to_read_waiting`], with `first` run on the opened
    /// store before its state is folded, on the same open store (nothing
    /// is appended between the two). A report runs `verify` there, so that
    /// verify's replay and the ledger's state are never held at once. The
    /// state is folded on this thread alone ([`Readers::ThisThread`]): a
    /// report or a pack builds large state of its own next, and memory a
    /// second thread allocated stays in that thread's glibc arena, where
    /// this thread cannot reuse it (10 MB more at the peak of a whole
    /// ledger's pack at 1M events).
    pub fn open_to_read_after<R>(
        dir: &Path,
        clock: Arc<dyn Clock>,
        wait: LockWait<'_>,
        first: impl FnOnce(&Store) -> Result<R, StoreError>,
    ) -> Result<(Ledger, R), LedgerError> {
        let store = Store::open_to_read_waiting(dir, wait)?;
        let found = first(&store)?;
        Ok((Ledger::of(store, clock, Readers::ThisThread)?, found))
    }

    /// Folds the opened store: the latest snapshot, then the events after
    /// it; and saves a snapshot if one is due, unless the store reads a
    /// copy of the ledger's files, where it would be thrown away. The
    /// events are read by `readers` ([`Store::fold_from`]).
    fn of(store: Store, clock: Arc<dyn Clock>, readers: Readers) -> Result<Ledger, LedgerError> {
        let head = store.head()?.map_or(0, |h| h.seq);
        let (state, since) = fold_upto(&store, head, readers)?;
        let mut ledger = Ledger {
            store,
            clock,
            state,
            since,
        };
        if !ledger.store.reads_a_copy() {
            ledger.snapshot_if_due();
            // Derived data: if writing it fails, readers scan the events
            // after the index's mark instead.
            let _ = ledger.store.index_actions();
            ledger.carry_whole_value_snapshots();
        }
        Ok(ledger)
    }

    /// The state as of the latest event.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The store, the folded state let go of (the store stays open and
    /// locked): for work that reads the stored events alone, and would
    /// otherwise hold the state for nothing.
    pub fn into_store(self) -> Store {
        self.store
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Today by the ledger's clock (UTC).
    pub fn today(&self) -> NaiveDate {
        day_of(self.clock.now())
    }

    pub fn now(&self) -> Micros {
        self.clock.now()
    }

    /// The sequence number the next appended event will get.
    pub fn next_seq(&self) -> u64 {
        self.state.head.map_or(0, |(seq, _)| seq + 1)
    }

    /// Every stored event, in order.
    pub fn events(&self) -> Result<Vec<StoredEvent>, LedgerError> {
        Ok(self.store.events().collect::<Result<Vec<_>, _>>()?)
    }

    /// The state folded from the events `bound` admits. Events are in
    /// recorded-time order, so the admitted events are always a prefix; the
    /// fold starts from the latest snapshot inside it.
    pub fn state_at(&self, bound: Bound) -> Result<State, LedgerError> {
        let Some((head, _)) = self.state.head else {
            return Ok(State::default());
        };
        let last = match bound {
            Bound::Latest => return Ok(self.state.clone()),
            Bound::Seq(seq) => Some(seq.min(head)),
            Bound::RecordedBy(t) => last_recorded_by(&self.store, t, head)?,
        };
        match last {
            None => Ok(State::default()),
            Some(seq) if seq == head => Ok(self.state.clone()),
            Some(seq) => Ok(fold_upto(&self.store, seq, Readers::TwoThreads)?.0),
        }
    }

    /// The state on both time axes. With neither set it is the current state
    /// (borrowed, never copied: at national size it is hundreds of
    /// megabytes); with only `as_of` it is the fold of the events recorded by
    /// then; with `valid_at`, folded from the events as they stream from
    /// the store.
    pub fn state_view(&self, view: View) -> Result<Cow<'_, State>, LedgerError> {
        let Some(valid_at) = view.valid_at else {
            let current = match (view.as_of, self.state.last_recorded) {
                (None, _) => true,
                (Some(t), Some(last)) => last <= t,
                (Some(_), None) => false,
            };
            return match view.as_of {
                Some(t) if !current => Ok(Cow::Owned(self.state_at(Bound::RecordedBy(t))?)),
                _ => Ok(Cow::Borrowed(&self.state)),
            };
        };
        Ok(Cow::Owned(fold_valid_at(
            &self.store,
            view.as_of,
            valid_at,
        )?))
    }

    /// Validates and records one transaction: all of it, durably, or none.
    pub fn transact(
        &mut self,
        actor: &str,
        summary: &str,
        commands: Vec<Stamped>,
    ) -> Result<Receipt, LedgerError> {
        self.record(summary.to_string(), |ledger, state| {
            ledger.prepare(state, actor, Vec::new(), commands, None)
        })
    }

    /// Drafts and admits a transaction with `prepare`, which folds each
    /// event into the ledger's own state as it admits it (the rule book
    /// asks of each event the state after the ones before it), then
    /// appends it. No copy of the state is made: that copy, once per
    /// transaction, cost as much as the whole state, which grows with the
    /// history. If `prepare` refuses, or the append fails, the state is put
    /// back as it was: untouched if nothing was folded yet (a refusal of a
    /// transaction's first event), else folded again from the store up to
    /// the head before (the latest snapshot and the events after it).
    fn record(
        &mut self,
        summary: String,
        prepare: impl FnOnce(&Ledger, &mut State) -> Result<Prepared, LedgerError>,
    ) -> Result<Receipt, LedgerError> {
        let before = self.state.head;
        let mut state = std::mem::take(&mut self.state);
        let prepared = prepare(self, &mut state);
        self.state = state;
        let expected = before.map(|(seq, _)| seq);
        let result = prepared.and_then(|prepared| self.write(expected, prepared, summary));
        if result.is_err() && self.state.head != before {
            self.restore(before)?;
        }
        result
    }

    /// Puts the state back to the fold of the stored events up to `head`.
    fn restore(&mut self, head: Option<(u64, crate::event::Hash)>) -> Result<(), LedgerError> {
        (self.state, self.since) = match head {
            Some((seq, _)) => fold_upto(&self.store, seq, Readers::TwoThreads)?,
            None => (State::default(), snapshot::Since::default()),
        };
        Ok(())
    }

    /// Appends a validated transaction, already folded into the state with
    /// the hashes not yet known, and gives the state its head's hash (a
    /// redaction folds again: its rewrite leaves the snapshots out).
    /// `expected` is the head the transaction follows.
    fn write(
        &mut self,
        expected: Option<u64>,
        prepared: Prepared,
        summary: String,
    ) -> Result<Receipt, LedgerError> {
        let redacts = prepared
            .records
            .iter()
            .any(|r| matches!(r.event, Event::Redacted { .. }));
        // A redaction's rewrite leaves the snapshots out (they held the
        // words): they are rebuilt where they were.
        let snapshots = if redacts {
            self.store.snapshot_seqs().unwrap_or_default()
        } else {
            Vec::new()
        };
        let written = self.store.append(
            expected,
            PendingTx {
                actor: prepared.actor,
                recorded_at: prepared.recorded_at,
                clock: prepared.clock,
                summary,
                salts: prepared.salts,
                events: prepared
                    .records
                    .into_iter()
                    .zip(prepared.subjects)
                    .map(|(record, subject)| PendingEvent {
                        subject,
                        effective: record.effective,
                        source: record.source,
                        event: record.event,
                    })
                    .collect(),
            },
        )?;
        if redacts {
            self.refold(&snapshots)?;
            self.snapshot_if_due();
        } else {
            // `State::apply` uses an event's hash only as the head's.
            for event in &written {
                self.since.add(event.bytes.len());
            }
            if let Some(last) = written.last() {
                self.state.head = Some((last.seq, last.hash));
            }
            self.snapshot_if_due();
        }
        Ok(Receipt {
            events: written,
            clock_held: prepared.clock_held,
        })
    }

    /// Asks the rule book whether `record` may follow `scratch` at `seq`
    /// (`pending`: the records of its transaction before it, the first at
    /// `first_seq`), and for a redaction whether its reason keeps clear of
    /// the words it erases; folds it into `scratch` and returns its subject.
    fn admit(
        &self,
        scratch: &mut State,
        first_seq: u64,
        seq: u64,
        record: &Record,
        pending: &[Record],
    ) -> Result<crate::chain::Subject, LedgerError> {
        rules::admissible(scratch, seq, record)?;
        if let Event::Redacted {
            event,
            slots,
            reason,
        } = &record.event
        {
            let texts = self.words_of(*event, first_seq, pending)?;
            let erased: Vec<&str> = slots
                .iter()
                .filter_map(|&slot| texts.get(slot as usize).and_then(|t| t.as_deref()))
                .collect();
            rules::redaction_reason(reason, &erased)?;
        }
        let subject = scratch.subject_of(&record.event, |seq| {
            self.store.subject_at(seq).ok().flatten()
        });
        scratch.apply(seq, [0; 32], record);
        Ok(subject)
    }

    /// [`Ledger::transact`] or [`Ledger::transact_signed`], as `author`
    /// says.
    pub fn transact_as(
        &mut self,
        author: Author<'_>,
        summary: &str,
        commands: Vec<Stamped>,
    ) -> Result<Receipt, LedgerError> {
        match author {
            Author::Named(actor) => self.transact(actor, summary, commands),
            Author::Key(key) => self.transact_signed(key, summary, commands),
        }
    }

    /// What [`Ledger::transact_as`] would append, writing nothing.
    pub fn dry_run_as(
        &self,
        author: Author<'_>,
        commands: Vec<Stamped>,
    ) -> Result<Vec<Record>, LedgerError> {
        match author {
            Author::Named(actor) => self.dry_run(actor, commands),
            Author::Key(key) => self.dry_run_request(&self.sign(key, commands)?),
        }
    }

    /// Validates a transaction exactly as [`Ledger::transact`] would and
    /// returns the records it would append, writing nothing.
    pub fn dry_run(&self, actor: &str, commands: Vec<Stamped>) -> Result<Vec<Record>, LedgerError> {
        let mut scratch = self.state.clone();
        Ok(self
            .prepare(&mut scratch, actor, Vec::new(), commands, None)?
            .records)
    }

    /// Makes a request of `commands` on this ledger as it stands, signed
    /// with `key`: its signer is the actor whose key it is, or, on a
    /// ledger without actors, the first actor the request adds.
    pub fn sign(
        &self,
        key: &SigningKey,
        commands: Vec<Stamped>,
    ) -> Result<SignedRequest, LedgerError> {
        let public = key.verifying_key().to_bytes();
        let signer = match self.state.actor_by_key(&public) {
            Some((actor, _)) => actor.name.clone(),
            None => match commands.first().map(|c| &c.command) {
                Some(Command::AddActor { name, .. }) if !self.state.is_signed() => {
                    name.trim().to_string()
                }
                _ => {
                    return Err(Refusal::UnknownKey {
                        fingerprint: crate::keys::fingerprint_of(&public),
                    }
                    .into());
                }
            },
        };
        let ledger_id = self.state.ledger.as_ref().map_or([0; 16], |l| l.id);
        Ok(SignedRequest::sign(
            key,
            RequestHead {
                ledger_id,
                head_seen: self.state.head,
                signer,
                made_at: self.clock.now(),
            },
            commands,
        )?)
    }

    /// Signs `commands` with `key` ([`Ledger::sign`]) and carries the
    /// request out ([`Ledger::apply_request`]).
    pub fn transact_signed(
        &mut self,
        key: &SigningKey,
        summary: &str,
        commands: Vec<Stamped>,
    ) -> Result<Receipt, LedgerError> {
        let signed = self.sign(key, commands)?;
        self.apply_request(&signed, summary)
    }

    /// Carries out a signed request, made here or elsewhere: all of it,
    /// durably, or none. Its signature, its signer's key and roles, and
    /// each command are checked against the ledger as it stands now; a
    /// request made against an older head applies if every command is
    /// still admissible.
    pub fn apply_request(
        &mut self,
        signed: &SignedRequest,
        summary: &str,
    ) -> Result<Receipt, LedgerError> {
        self.record(summary.to_string(), |ledger, state| {
            ledger.prepare_request(state, signed, Vec::new())
        })
    }

    /// What [`Ledger::apply_request`] would append, writing nothing.
    pub fn dry_run_request(&self, signed: &SignedRequest) -> Result<Vec<Record>, LedgerError> {
        let mut scratch = self.state.clone();
        Ok(self
            .prepare_request(&mut scratch, signed, Vec::new())?
            .records)
    }

    /// The transaction of a signed request: `lead` (the genesis event, for
    /// a ledger signed from its genesis), its `RequestSigned`, then the
    /// events its commands draft, their texts sealed with its salts; each
    /// folded into `state`, the ledger's state before it.
    fn prepare_request(
        &self,
        state: &mut State,
        signed: &SignedRequest,
        mut lead: Vec<Event>,
    ) -> Result<Prepared, LedgerError> {
        let commands = signed.commands()?;
        if let Some((seq, hash)) = signed.request.head_seen
            && seq < state.head.map_or(0, |(seq, _)| seq + 1)
            && self.store.event_at(seq)?.map(|(h, _)| h) != Some(hash)
        {
            return Err(LedgerError::OtherHistory { seq });
        }
        lead.push(Event::RequestSigned {
            key: signed.request.key,
            request: signed.bytes.clone(),
            signature: signed.signature,
        });
        self.prepare(
            state,
            &signed.request.signer,
            lead,
            commands,
            Some(signed.salts()),
        )
    }

    /// Drafts and admits a transaction: the `lead` events (written as
    /// given), then each command's event, each folded into `scratch`, the
    /// ledger's state before the transaction (its own, or a copy for a dry
    /// run).
    fn prepare(
        &self,
        scratch: &mut State,
        actor: &str,
        lead: Vec<Event>,
        commands: Vec<Stamped>,
        salts: Option<Vec<Salt>>,
    ) -> Result<Prepared, LedgerError> {
        let actor = check_actor(actor)?;
        let read = self.clock.now();
        // Time never goes backwards: a clock behind the head records the
        // head's time. An overridden clock stays recorded as overridden,
        // which is the fact an auditor must not lose.
        let (recorded_at, clock, clock_held) = match (scratch.last_recorded, self.clock.note()) {
            (Some(head), ClockNote::Overridden) if read < head => {
                (head, ClockNote::Overridden, Some(read))
            }
            (Some(head), _) if read < head => {
                (head, ClockNote::HeldAtHead { clock_read: read }, Some(read))
            }
            _ => (read, self.clock.note(), None),
        };
        let first_seq = scratch.head.map_or(0, |(seq, _)| seq + 1);
        let mut records = Vec::with_capacity(lead.len() + commands.len());
        let mut subjects = Vec::with_capacity(lead.len() + commands.len());
        let tx = scratch.last_tx.map_or(0, |tx| tx + 1);
        let drafts = lead.into_iter().map(|event| (None, None, Ok(event))).chain(
            commands
                .into_iter()
                .map(|stamped| (stamped.effective, stamped.source, Err(stamped.command))),
        );
        for (seq, (effective, source, event)) in (first_seq..).zip(drafts) {
            let event = match event {
                Ok(event) => event,
                Err(command) => command::draft(scratch, &command)?,
            };
            let record = Record {
                tx,
                recorded_at,
                clock,
                actor: actor.clone(),
                effective,
                source,
                event,
            };
            subjects.push(self.admit(scratch, first_seq, seq, &record, &records)?);
            records.push(record);
        }
        Ok(Prepared {
            actor,
            recorded_at,
            clock,
            clock_held,
            records,
            subjects,
            salts,
        })
    }

    /// The words of each text of the event at `seq` (`None` for one
    /// erased), read from the store, or from `pending`, the records of the
    /// transaction being prepared (the first at `first_seq`), for an event
    /// not yet stored.
    fn words_of(
        &self,
        seq: u64,
        first_seq: u64,
        pending: &[Record],
    ) -> Result<Vec<Option<String>>, LedgerError> {
        if let Some(record) = seq
            .checked_sub(first_seq)
            .and_then(|i| pending.get(usize::try_from(i).ok()?))
        {
            return Ok(record
                .event
                .texts()
                .into_iter()
                .cloned()
                .map(Some)
                .collect());
        }
        Ok(self
            .store
            .stored_texts(seq)?
            .into_iter()
            .map(|text| match text {
                StoredText::Words { words, .. } => Some(words),
                StoredText::Erased { .. } => None,
            })
            .collect())
    }

    /// Folds the whole ledger again from its events, as a redaction
    /// leaves it (its words gone from the texts the fold reads), saving a
    /// snapshot at each of `snapshots` on the way.
    fn refold(&mut self, snapshots: &[u64]) -> Result<(), LedgerError> {
        let mut state = State::default();
        let mut since = snapshot::Since::default();
        for event in self.store.events() {
            let event = event?;
            state.apply(event.seq, event.hash, &event.record);
            since.add(event.bytes.len());
            if snapshots.contains(&event.seq) {
                // Derived data: if writing it fails, the next open folds.
                if let Ok(saved) = snapshot::save(&self.store, &state) {
                    since = saved;
                }
            }
        }
        self.state = state;
        self.since = since;
        Ok(())
    }

    fn next_tx(&self) -> u64 {
        self.state.last_tx.map_or(0, |tx| tx + 1)
    }

    /// Saves a snapshot at the head when one is due ([`snapshot::Since`]).
    /// Replaces snapshots stored whole by an earlier planledger with one in
    /// parts at the head, once: sled reads a whole-value snapshot's leaf, and
    /// every open lists them. Derived data: on any failure the old ones
    /// stay, and are read as before.
    fn carry_whole_value_snapshots(&mut self) {
        let Ok(old) = self.store.whole_value_snapshot_seqs() else {
            return;
        };
        if old.is_empty() {
            return;
        }
        if let Ok(since) = snapshot::save(&self.store, &self.state) {
            self.since = since;
            for seq in old {
                let _ = self.store.remove_whole_value_snapshot(seq);
            }
        }
    }

    fn snapshot_if_due(&mut self) {
        if self.since.due() {
            // Derived data: if writing it fails, the next open folds instead.
            if let Ok(since) = snapshot::save(&self.store, &self.state) {
                self.since = since;
            }
        }
    }
}

/// A validated transaction, not yet written.
struct Prepared {
    actor: String,
    recorded_at: Micros,
    clock: ClockNote,
    clock_held: Option<Micros>,
    records: Vec<Record>,
    /// The subject of each record, in order.
    subjects: Vec<crate::chain::Subject>,
    /// The salts its texts were committed with by a signed request.
    salts: Option<Vec<Salt>>,
}

/// The state `view` reads, folded from `store` alone: from the latest
/// snapshot at or below the last event it admits, never from the head's
/// state first. What a command that reads one view of a ledger it does not
/// write needs ([`Ledger::state_view`] gives the same state).
pub fn fold_view(store: &Store, view: View) -> Result<State, LedgerError> {
    let Some(head) = store.head()? else {
        return Ok(State::default());
    };
    if let Some(valid_at) = view.valid_at {
        return fold_valid_at(store, view.as_of, valid_at);
    }
    let last = match view.as_of {
        None => Some(head.seq),
        Some(t) => last_recorded_by(store, t, head.seq)?,
    };
    match last {
        None => Ok(State::default()),
        Some(seq) => Ok(fold_upto(store, seq, Readers::TwoThreads)?.0),
    }
}

/// What was true in the world on `valid_at`, by the events recorded by
/// `as_of` (all of them if `None`), folded as they stream from the store.
fn fold_valid_at(
    store: &Store,
    as_of: Option<Micros>,
    valid_at: NaiveDate,
) -> Result<State, LedgerError> {
    let view = View {
        as_of,
        valid_at: Some(valid_at),
    };
    let mut failed = None;
    let events = store
        .events()
        .map_while(|event| match event {
            Ok(event) => Some(event),
            Err(e) => {
                failed = Some(e);
                None
            }
        })
        .take_while(|event| view.admits(event))
        .map(|event| (event.seq, event.hash, event.record));
    let state = State::fold_valid_at(events, valid_at);
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(state),
    }
}

/// The last sequence number recorded at or before `t`, by binary search
/// (recorded time never decreases along the chain), among the events up
/// to `head`.
fn last_recorded_by(store: &Store, t: Micros, head: u64) -> Result<Option<u64>, LedgerError> {
    let recorded = |seq: u64| -> Result<Micros, LedgerError> {
        match store.event_at(seq)? {
            Some((_, record)) => Ok(record.recorded_at),
            None => Err(StoreError::Damaged {
                seq,
                kind: DamageKind::EventMissing { next_stored: None },
            }
            .into()),
        }
    };
    if recorded(0)? > t {
        return Ok(None);
    }
    // Invariant: recorded(lo) <= t, and every event after hi is later.
    let (mut lo, mut hi) = (0u64, head);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if recorded(mid)? <= t {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(Some(lo))
}

/// The state folded up to and including `last`: from the latest usable
/// snapshot at or before it, then the events after the snapshot (read by
/// `readers`); and what those events amount to, against the snapshot's
/// size.
fn fold_upto(
    store: &Store,
    last: u64,
    readers: Readers,
) -> Result<(State, snapshot::Since), LedgerError> {
    let (mut state, mut since) = match snapshot::load_latest(store, last)? {
        Some((state, len)) => (state, snapshot::Since::snapshot(len)),
        None => (State::default(), snapshot::Since::default()),
    };
    let (first, prev) = match state.head {
        Some((seq, hash)) => (seq + 1, hash),
        None => (0, crate::chain::GENESIS_PREV),
    };
    store.fold_from(first, prev, last, readers, |event| {
        state.apply(event.seq, event.hash, &event.record);
        since.add(event.len);
    })?;
    Ok((state, since))
}

fn check_actor(actor: &str) -> Result<String, LedgerError> {
    let actor = actor.trim();
    if actor.is_empty() {
        return Err(LedgerError::NoActor);
    }
    Ok(actor.to_string())
}

impl crate::recall::Recall for Ledger {
    fn recall(&self, seq: u64) -> Result<Record, crate::recall::RecallError> {
        self.store.recall(seq)
    }
}
