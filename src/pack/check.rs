//! Checking a pack (`ledger/FORMAT.md` §7.5) as passes over its lines, read
//! again for each step, holding a few dozen bytes an event (its subject,
//! hash, whether it is disclosed, its source and recorded time) and one
//! line at a time, never the pack whole. Each step finds its first fault in
//! the pack's order, and the steps run in the order the faults are named:
//! the form of every line, the fields of every line, the chain, the
//! records, the checkpoint, the texts, the redactions, the genesis, the
//! disclosure rule, the subjects, the rules, the projection.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::chain::CHAIN_FORMAT;
use crate::chain::{GENESIS_PREV, Subjects};
use crate::codec;
use crate::event::{EventKind, EventOf, Hash, Micros, Record, RecordOf};
use crate::projection::State;
use crate::recall::{self, Recall, RecallError};
use crate::rules;
use crate::sealed::{self, Commit, Erasure, StoredText};
use crate::time::{day_of, format_micros};

use super::source::{Line, LineAt, Source, canonical_at_a_glance, value_end};
use super::{
    Body, CHECKPOINTED_PACK_VERSION, EventLine, Header, PackFault, PackReport, Required, Scope,
    canonical, first_difference, parse_line, projection, read_checkpoint, read_event, read_header,
    read_projection, required, slot_name, write_projection_line,
};

/// Why a check stopped: a fault in the pack, or a read that failed.
pub(super) enum Stop<E> {
    Fault(PackFault),
    Read(E),
}

impl<E> From<PackFault> for Stop<E> {
    fn from(fault: PackFault) -> Stop<E> {
        Stop::Fault(fault)
    }
}

type Checked<T, S> = Result<T, Stop<<S as Source>::Error>>;

fn next_line<S: Source>(source: &mut S) -> Checked<Option<&[u8]>, S> {
    source.next_line().map_err(Stop::Read)
}

/// Where the lines of the pack are, from its form pass.
struct Form {
    lines: usize,
    /// Line 1, the header.
    header: Vec<u8>,
    /// The offsets of the last two lines.
    last_two: [u64; 2],
    /// The lengths of the last two lines.
    last_two_lengths: [u64; 2],
    /// Lines longer than [`LONG_LINE`], not yet checked: their numbers and
    /// offsets.
    long: Vec<(usize, u64)>,
}

/// A line longer than this is not read whole by the form pass. Only the
/// projection of a large ledger is ever so long (an event line is a record
/// of at most 64 KiB and its texts): it is checked by being compared, a
/// piece at a time, with the projection the checker writes (step 5), and
/// read whole only if it differs.
const LONG_LINE: usize = 16 << 20;

/// Step 1, first part: every line UTF-8, not blank, JSON in canonical form.
fn check_form<S: Source>(source: &mut S, long_line: usize) -> Checked<Form, S> {
    source.seek(0).map_err(Stop::Read)?;
    let mut form = Form {
        lines: 0,
        header: Vec::new(),
        last_two: [0; 2],
        last_two_lengths: [0; 2],
        long: Vec::new(),
    };
    let mut offset = 0u64;
    // The header is needed whole, whatever its length.
    let mut limit = usize::MAX;
    while let Some(read) = source.next_line_within(limit).map_err(Stop::Read)? {
        limit = long_line;
        form.lines += 1;
        let line = form.lines;
        let length = match read {
            Line::Whole(raw) => {
                check_line_form(raw, line)?;
                if line == 1 {
                    form.header = raw.to_vec();
                }
                raw.len() as u64
            }
            Line::Long(length) => {
                form.long.push((line, offset));
                length
            }
        };
        form.last_two = [form.last_two[1], offset];
        form.last_two_lengths = [form.last_two_lengths[1], length];
        offset += length + 1;
    }
    Ok(form)
}

/// The long lines of `form` other than the projection line (line
/// `projection`), read whole and checked as any other: none is expected,
/// but a pack is not trusted to be as expected.
fn check_long_lines<S: Source>(source: &mut S, form: &Form, projection: usize) -> Checked<(), S> {
    for &(line, offset) in form.long.iter().filter(|(line, _)| *line != projection) {
        source.seek(offset).map_err(Stop::Read)?;
        let raw = next_line(source)?.ok_or(PackFault::Changed)?;
        check_line_form(raw, line)?;
    }
    Ok(())
}

fn check_line_form(raw: &[u8], line: usize) -> Result<(), PackFault> {
    std::str::from_utf8(raw).map_err(|e| PackFault::NotUtf8 {
        line,
        byte: e.valid_up_to() + 1,
    })?;
    if raw.is_empty() {
        return Err(PackFault::BlankLine { line });
    }
    if canonical_at_a_glance(raw) {
        return Ok(());
    }
    let value = parse_line(raw, line)?;
    let mut again = Vec::with_capacity(raw.len());
    canonical(&value, &mut again);
    if again != raw {
        let byte = again
            .iter()
            .zip(raw)
            .position(|(a, b)| a != b)
            .unwrap_or(again.len().min(raw.len()));
        return Err(PackFault::NotCanonical {
            line,
            byte: byte + 1,
        });
    }
    Ok(())
}

/// What the checker keeps of each event line: its subject, hash and
/// whether it is disclosed, by sequence number once the chain holds.
#[derive(Default)]
struct Lines {
    subjects: Subjects,
    hashes: Vec<Hash>,
    disclosed: Vec<bool>,
}

impl Lines {
    fn disclosed(&self, seq: u64) -> bool {
        usize::try_from(seq)
            .ok()
            .and_then(|i| self.disclosed.get(i))
            .is_some_and(|d| *d)
    }

    fn len(&self) -> u64 {
        self.hashes.len() as u64
    }

    /// The hash of event `seq`, as its line states it.
    fn hash(&self, seq: u64) -> Option<Hash> {
        usize::try_from(seq)
            .ok()
            .and_then(|i| self.hashes.get(i))
            .copied()
    }
}

/// Step 2 as the event lines go by: the first fault of the chain, kept
/// until the steps before it have passed every line.
struct Chain {
    prev: Hash,
    expected: u64,
    fault: Option<ChainFault>,
}

enum ChainFault {
    Found(PackFault),
    /// Event `expected` is not where it belongs: missing, or out of order
    /// if a later line holds it.
    Misplaced {
        line: usize,
        expected: u64,
        found: u64,
        held: bool,
    },
}

impl Chain {
    fn step(&mut self, header: &Header, event: &EventLine) {
        match &mut self.fault {
            Some(ChainFault::Misplaced { expected, held, .. }) => {
                *held |= event.seq == *expected;
                return;
            }
            Some(ChainFault::Found(_)) => return,
            None => {}
        }
        let expected = self.expected;
        if expected > header.head {
            self.fault = Some(ChainFault::Found(PackFault::PastHead {
                line: event.line,
                seq: event.seq,
                head: header.head,
            }));
            return;
        }
        if event.seq != expected {
            self.fault = Some(ChainFault::Misplaced {
                line: event.line,
                expected,
                found: event.seq,
                held: false,
            });
            return;
        }
        let computed = event.chain_hash(&self.prev);
        if computed != event.hash {
            self.fault = Some(ChainFault::Found(PackFault::HashMismatch {
                seq: event.seq,
                stated: event.hash,
                computed,
            }));
            return;
        }
        self.prev = event.hash;
        self.expected += 1;
    }

    fn finish(self, header: &Header, lines: &Lines) -> Result<(), PackFault> {
        match self.fault {
            Some(ChainFault::Found(fault)) => return Err(fault),
            Some(ChainFault::Misplaced {
                line,
                expected,
                found,
                held,
            }) => {
                return Err(match held {
                    false => PackFault::EventMissing {
                        line,
                        expected,
                        found,
                    },
                    true => PackFault::OutOfOrder {
                        line,
                        expected,
                        found,
                    },
                });
            }
            None => {}
        }
        let last = lines.len().saturating_sub(1);
        if last < header.head {
            return Err(PackFault::EndsEarly {
                last,
                head: header.head,
            });
        }
        let hash_at = |seq: u64| lines.hash(seq).ok_or(PackFault::Changed);
        let head = hash_at(header.head)?;
        if head != header.head_hash {
            return Err(PackFault::HeadMismatch {
                seq: header.head,
                stated: header.head_hash,
                actual: head,
            });
        }
        let as_of = hash_at(header.as_of)?;
        if as_of != header.as_of_hash {
            return Err(PackFault::AsOfMismatch {
                seq: header.as_of,
                stated: header.as_of_hash,
                actual: as_of,
            });
        }
        Ok(())
    }
}

/// A disclosed redaction, as the texts it erased show it.
struct Redaction {
    target: u64,
    slots: Vec<u32>,
    recorded_at: Micros,
    actor: String,
    reason: String,
}

/// The genesis record, as step 3 checks it.
enum Genesis {
    Is { ledger_id: [u8; 16], format: u32 },
    Not(EventKind),
}

/// What step 3 keeps of the disclosed records.
#[derive(Default)]
struct Records {
    /// The recorded times the check reads, where disclosed: the as-of
    /// event's, and that of the event a checkpoint names as its head.
    recorded: BTreeMap<u64, Micros>,
    /// The source each disclosed event names, by sequence number (most
    /// name none).
    sources: BTreeMap<u64, u64>,
    /// The disclosed redactions of each event.
    redactions: BTreeMap<u64, Vec<u64>>,
    /// Every disclosed redaction, by its sequence number.
    redaction: BTreeMap<u64, Redaction>,
    genesis: Option<Genesis>,
    /// How many disclosed events up to the as-of event a view reads back:
    /// the length of the [`LineOffsets`] step 4 keeps.
    read_back: usize,
}

/// An event line read again on a later pass, with its sealed record and
/// the offset of its line in the pack.
struct Again {
    event: EventLine,
    sealed: Option<RecordOf<Commit>>,
    offset: u64,
}

/// Reads the event lines again from `offset`, `count` of them, each with
/// its record decoded where disclosed, and hands each to `each` until it
/// says to stop.
fn each_event<S: Source>(
    source: &mut S,
    offset: u64,
    count: u64,
    mut each: impl FnMut(Again) -> Checked<bool, S>,
) -> Checked<(), S> {
    source.seek(offset).map_err(Stop::Read)?;
    let mut at = offset;
    for seq in 0..count {
        let raw = next_line(source)?.ok_or(PackFault::Changed)?;
        let line_at = at;
        // Each line ends in one `\n`, which the form pass checked.
        at += raw.len() as u64 + 1;
        let (event, sealed) = read_again(raw, super::line_of(seq))?;
        if !each(Again {
            event,
            sealed,
            offset: line_at,
        })? {
            break;
        }
    }
    Ok(())
}

/// An event line read again, line number `line`, with its record decoded
/// where disclosed.
fn read_again(raw: &[u8], line: usize) -> Result<(EventLine, Option<RecordOf<Commit>>), PackFault> {
    let event = read_event(&parse_line(raw, line)?, line)?;
    let sealed = match &event.body {
        Body::Disclosed { record, .. } => {
            Some(
                codec::decode_sealed(record).map_err(|e| PackFault::Undecodable {
                    seq: event.seq,
                    error: e.to_string(),
                })?,
            )
        }
        Body::Withheld { .. } => None,
    };
    Ok((event, sealed))
}

/// The erasure of slot `slot` of event `seq` by event `by`, if `by` is a
/// disclosed redaction of it; `withheld_by` notes an erasure claimed by a
/// withheld event.
fn erasure(
    lines: &Lines,
    records: &Records,
    seq: u64,
    by: u64,
    slot: u32,
    withheld_by: &mut Option<(u64, u32)>,
) -> Option<Erasure> {
    if by >= lines.len() {
        return None;
    }
    if !lines.disclosed(by) {
        withheld_by.get_or_insert((by, slot));
        return None;
    }
    let redaction = records.redaction.get(&by)?;
    (redaction.target == seq && redaction.slots.contains(&slot)).then(|| Erasure {
        by_seq: by,
        recorded_at: redaction.recorded_at,
        actor: redaction.actor.clone(),
        reason: redaction.reason.clone(),
    })
}

/// A disclosed record opened with its texts, each checked against its
/// commitment (step 3).
fn open(
    lines: &Lines,
    records: &Records,
    event: &EventLine,
    sealed: RecordOf<Commit>,
) -> Result<Record, PackFault> {
    let Body::Disclosed { texts, .. } = &event.body else {
        return Err(PackFault::Changed);
    };
    let names = sealed.event.slot_names();
    let mut withheld_by = None;
    let seq = event.seq;
    let unsealed = sealed::unseal(sealed, texts.clone(), |by, slot| {
        erasure(lines, records, seq, by, slot, &mut withheld_by)
    });
    if let Some((by, slot)) = withheld_by {
        return Err(PackFault::ErasedByWithheld {
            seq,
            slot: slot_name(&names, slot),
            by,
        });
    }
    unsealed.map_err(|fault| PackFault::Texts { seq, fault })
}

/// What step 3 keeps of a redacted event's texts: which slots are erased,
/// and by whom, and the names of its slots.
struct Target {
    erased: Vec<Option<u64>>,
    names: Vec<String>,
}

/// Checks the pack `source` reads, as `ledger/FORMAT.md` §7.5 says.
pub(super) fn check<S: Source>(source: &mut S) -> Checked<PackReport, S> {
    check_within(source, LONG_LINE)
}

/// [`check`], with lines longer than `long_line` passed over by the form
/// pass (tests make every line long, to check that the verdict is the
/// same).
pub(super) fn check_within<S: Source>(source: &mut S, long_line: usize) -> Checked<PackReport, S> {
    let (length, last_byte) = source.ends().map_err(Stop::Read)?;
    if last_byte != Some(b'\n') {
        return Err(match length {
            0 => PackFault::Empty,
            _ => PackFault::NoFinalNewline,
        }
        .into());
    }

    // 1. Form: every line canonical JSON; the header, event lines and
    //    projection line with exactly their fields.
    let form = check_form(source, long_line)?;
    if form.lines < 3 {
        return Err(PackFault::TooShort { lines: form.lines }.into());
    }
    let header = read_header(&parse_line(&form.header, 1)?)?;
    // A version-3 pack ends with its checkpoint, after the projection.
    let checkpointed = header.version >= CHECKPOINTED_PACK_VERSION;
    let last = form.lines - usize::from(checkpointed);
    if last < 3 {
        return Err(PackFault::TooShort { lines: form.lines }.into());
    }
    check_long_lines(source, &form, last)?;
    let checkpoint = match checkpointed {
        true => {
            source.seek(form.last_two[1]).map_err(Stop::Read)?;
            let raw = next_line(source)?.ok_or(PackFault::Changed)?;
            Some(read_checkpoint(
                &parse_line(raw, last + 1)?,
                last + 1,
                &header,
            )?)
        }
        false => None,
    };
    let projection_at = form.last_two[usize::from(!checkpointed)];
    let projection_length = form.last_two_lengths[usize::from(!checkpointed)];
    // A long projection line is checked in step 5, as it is compared.
    let projection_is_long = form.long.iter().any(|(line, _)| *line == last);
    let events_at = form.header.len() as u64 + 1;
    drop(form);

    // The fields of every event line, and the chain as they go by.
    let mut lines = Lines::default();
    let mut chain = Chain {
        prev: GENESIS_PREV,
        expected: 0,
        fault: None,
    };
    source.seek(events_at).map_err(Stop::Read)?;
    for line in 2..last {
        let raw = next_line(source)?.ok_or(PackFault::Changed)?;
        let event = read_event(&parse_line(raw, line)?, line)?;
        chain.step(&header, &event);
        lines.subjects.push(event.subject);
        lines.hashes.push(event.hash);
        lines.disclosed.push(event.is_disclosed());
    }
    if !projection_is_long {
        source.seek(projection_at).map_err(Stop::Read)?;
        let raw = next_line(source)?.ok_or(PackFault::Changed)?;
        check_projection_line(raw, last)?;
    }

    // 2. The chain.
    chain.finish(&header, &lines)?;
    let count = lines.len();

    // 3. Records, texts and the genesis.
    let mut records = Records::default();
    let times_read = [
        Some(header.as_of),
        checkpoint.as_ref().map(|c| c.statement().seq()),
    ];
    each_event(source, events_at, count, |again| {
        let record = again.sealed.as_ref();
        if let Some(record) = record
            && times_read.contains(&Some(again.event.seq))
        {
            records.recorded.insert(again.event.seq, record.recorded_at);
        }
        if let Some(source) = record.and_then(|r| r.source.as_ref()) {
            records.sources.insert(again.event.seq, source.import_seq);
        }
        let Some(record) = record else {
            return Ok(true);
        };
        let seq = again.event.seq;
        if seq <= header.as_of && recall::is_read_back(record.event.kind()) {
            records.read_back += 1;
        }
        if seq == 0 {
            records.genesis = Some(match &record.event {
                EventOf::LedgerCreated {
                    ledger_id,
                    format_version,
                }
                | EventOf::LedgerUpgraded {
                    ledger_id,
                    format_version,
                    ..
                } => Genesis::Is {
                    ledger_id: *ledger_id,
                    format: *format_version,
                },
                other => Genesis::Not(other.kind()),
            });
        }
        if let EventOf::Redacted {
            event,
            slots,
            reason,
        } = &record.event
        {
            records.redactions.entry(*event).or_default().push(seq);
            records.redaction.insert(
                seq,
                Redaction {
                    target: *event,
                    slots: slots.clone(),
                    recorded_at: record.recorded_at,
                    actor: record.actor.clone(),
                    reason: reason.clone(),
                },
            );
        }
        Ok(true)
    })?;
    if let Some(checkpoint) = &checkpoint {
        check_checkpoint(checkpoint, &header, &lines, &records)?;
    }
    let mut targets: BTreeMap<u64, Target> = BTreeMap::new();
    let mut texts_redacted = 0u64;
    each_event(source, events_at, count, |again| {
        let Some(sealed) = again.sealed else {
            return Ok(true);
        };
        let event = &again.event;
        if let Body::Disclosed { texts, .. } = &event.body {
            let erased: Vec<Option<u64>> = texts
                .iter()
                .map(|text| match text {
                    StoredText::Erased { by } => Some(*by),
                    StoredText::Words { .. } => None,
                })
                .collect();
            texts_redacted += erased.iter().flatten().count() as u64;
            if records.redactions.contains_key(&event.seq) {
                let names = sealed.event.slot_names();
                targets.insert(event.seq, Target { erased, names });
            }
        }
        open(&lines, &records, event, sealed)?;
        Ok(true)
    })?;
    check_redactions(&lines, &records, &targets)?;
    drop(targets);
    check_genesis(&header, &records)?;

    // 4. Which events are disclosed, their subjects, and (for a whole-ledger
    //    pack) the rules.
    let scope = header.scope;
    let as_of = header.as_of;
    let as_of_subject = lines.subjects.get(as_of).ok_or(PackFault::Changed)?;
    if as_of != 0 && !scope.covers(as_of_subject) {
        return Err(PackFault::AsOfOutOfScope {
            seq: as_of,
            subject: as_of_subject,
        }
        .into());
    }
    check_disclosure(&header, &lines, &records)?;
    // The disclosure rule, checked above, requires the as-of event; an
    // error all the same, never a panic, if that ever stops being so.
    let as_of_recorded =
        records
            .recorded
            .get(&as_of)
            .copied()
            .ok_or(PackFault::WithheldRequired {
                seq: as_of,
                why: Required::InScope(as_of_subject),
            })?;
    let recorded = format_micros(as_of_recorded);
    if recorded != header.as_of_recorded_at {
        return Err(PackFault::AsOfTime {
            seq: as_of,
            stated: header.as_of_recorded_at.clone(),
            recorded,
        }
        .into());
    }
    let counted = lines.disclosed.iter().filter(|d| **d).count() as u64;
    if counted != header.disclosed {
        return Err(PackFault::DisclosedCount {
            stated: header.disclosed,
            counted,
        }
        .into());
    }
    let (state, offsets) = check_subjects(source, events_at, &lines, &records, as_of)?;
    // A whole-ledger pack is replayed against the rules too, which folds
    // the same events to the same state: the replay's is kept, and this one
    // let go of first, so that two are never held at once.
    let state = match scope {
        Scope::Ledger => {
            drop(state);
            check_rules(source, events_at, &lines, &records, as_of)?
        }
        Scope::Plan(_) | Scope::Action { .. } => state,
    };

    // 5. The projection.
    let day = day_of(as_of_recorded);
    let state = scope.restrict(state);
    let recall = PackRecall {
        at: source.lines_at().map_err(Stop::Read)?,
        offsets: &offsets,
        lines: &lines,
        records: &records,
        failed: std::cell::RefCell::new(None),
    };
    source.seek(projection_at).map_err(Stop::Read)?;
    let mut compare = Compare {
        source: &mut *source,
        remaining: projection_length,
        differs: false,
        failed: None,
        scratch: Vec::new(),
    };
    let written = write_projection_line(&state, &recall, day, header.version, &mut compare);
    let (differs, failed, remaining) = (compare.differs, compare.failed, compare.remaining);
    if let Some(error) = failed.or_else(|| recall.failed()) {
        return Err(Stop::Read(error));
    }
    match written {
        Err(_) if differs => {}
        Err(e) => {
            return Err(PackFault::ProjectionUnmade {
                what: e.to_string(),
            }
            .into());
        }
        Ok(()) => {}
    }
    if differs || remaining != 0 {
        // Where they differ, read whole: a pack that fails is not held to
        // the memory of one that holds.
        source.seek(projection_at).map_err(Stop::Read)?;
        let raw = next_line(source)?.ok_or(PackFault::Changed)?;
        if projection_is_long {
            check_line_form(raw, last)?;
            check_projection_line(raw, last)?;
        }
        let found = parse_line(raw, last)?;
        let expected = projection(state, &recall, scope, day, header.version);
        if let Some(error) = recall.failed() {
            return Err(Stop::Read(error));
        }
        let expected = expected.map_err(|e| PackFault::ProjectionUnmade {
            what: e.to_string(),
        })?;
        if let Some(path) = first_difference(&expected, &found["projection"], "") {
            return Err(PackFault::ProjectionDiffers { path }.into());
        }
    }

    let in_scope_after_as_of = (0u64..)
        .zip(lines.subjects.iter().zip(&lines.disclosed))
        .filter(|(seq, (subject, disclosed))| {
            *seq > as_of && !**disclosed && scope.covers(*subject)
        })
        .count() as u64;
    Ok(PackReport {
        ledger_id: header.ledger_id,
        scope,
        as_of: (header.as_of, header.as_of_hash, as_of_recorded),
        head: (header.head, header.head_hash),
        events: count,
        disclosed: counted,
        texts_redacted,
        in_scope_after_as_of,
        checkpoint,
    })
}

/// The projection line's fields (`{"projection": …}` and nothing else),
/// read without building its value where it is plainly so.
fn check_projection_line(raw: &[u8], line: usize) -> Result<(), PackFault> {
    const START: &[u8] = b"{\"projection\":";
    if raw.starts_with(START) && value_end(raw, START.len()) == Some(raw.len() - 1) {
        return Ok(());
    }
    read_projection(&parse_line(raw, line)?, line).map(drop)
}

/// The projection line as written compared, a piece at a time, with the
/// pack's line read from its source.
struct Compare<'s, S: Source> {
    source: &'s mut S,
    remaining: u64,
    differs: bool,
    failed: Option<S::Error>,
    scratch: Vec<u8>,
}

impl<S: Source> Write for Compare<'_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let stop = || io::Error::other("the projection differs");
        if self.differs || self.failed.is_some() || buf.len() as u64 > self.remaining {
            self.differs |= self.failed.is_none();
            return Err(stop());
        }
        self.scratch.clear();
        self.scratch.resize(buf.len(), 0);
        match self.source.read_exact(&mut self.scratch) {
            Ok(true) if self.scratch == buf => {
                self.remaining -= buf.len() as u64;
                Ok(buf.len())
            }
            Ok(_) => {
                self.differs = true;
                Err(stop())
            }
            Err(e) => {
                self.failed = Some(e);
                Err(stop())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The checkpoint's marks and head held against the pack's chain: the
/// hashes of every event, and the recorded time of its head where the pack
/// discloses the head (a withheld head's time is not in the pack, and is
/// taken as the checkpoint states it).
fn check_checkpoint(
    checkpoint: &crate::checkpoint::Checkpoint,
    header: &Header,
    lines: &Lines,
    records: &Records,
) -> Result<(), PackFault> {
    let stated = checkpoint.statement().recorded_at();
    let compared = checkpoint.compare(header.head, |seq| {
        let hash = lines
            .hash(seq)
            .ok_or_else(|| PackFault::CheckpointNotThisPack {
                why: format!("it names event {seq}, which the pack does not hold"),
            })?;
        let recorded = records.recorded.get(&seq).copied().unwrap_or(stated);
        Ok((hash, recorded))
    })?;
    if compared.holds() {
        Ok(())
    } else {
        Err(PackFault::CheckpointNotThisPack {
            why: compared.to_string(),
        })
    }
}

/// Step 3, third part: every disclosed redaction of a disclosed event shows
/// in that event's texts.
fn check_redactions(
    lines: &Lines,
    records: &Records,
    targets: &BTreeMap<u64, Target>,
) -> Result<(), PackFault> {
    for (&by, redaction) in &records.redaction {
        // A redaction of a withheld event is a disclosure the rule does
        // not require: step 4 names it.
        if !lines.disclosed(redaction.target) {
            continue;
        }
        let Some(target) = targets.get(&redaction.target) else {
            continue;
        };
        for &slot in &redaction.slots {
            let erased = usize::try_from(slot)
                .ok()
                .and_then(|i| target.erased.get(i))
                .is_some_and(|text| *text == Some(by));
            if !erased {
                return Err(PackFault::RedactionNotApplied {
                    by,
                    seq: redaction.target,
                    slot: slot_name(&target.names, slot),
                });
            }
        }
    }
    Ok(())
}

/// Step 3, last part: the genesis is disclosed and names the header's
/// ledger and this format.
fn check_genesis(header: &Header, records: &Records) -> Result<(), PackFault> {
    let (ledger_id, format_version) = match &records.genesis {
        None => {
            return Err(PackFault::WithheldRequired {
                seq: 0,
                why: Required::Genesis,
            });
        }
        Some(Genesis::Not(kind)) => return Err(PackFault::NotGenesis { kind: *kind }),
        Some(Genesis::Is { ledger_id, format }) => (*ledger_id, *format),
    };
    if ledger_id != header.ledger_id {
        return Err(PackFault::LedgerIdMismatch {
            header: header.ledger_id,
            genesis: ledger_id,
        });
    }
    if format_version != CHAIN_FORMAT {
        return Err(PackFault::GenesisFormat {
            found: format_version,
        });
    }
    Ok(())
}

/// Step 4: exactly the events the rule requires are disclosed.
fn check_disclosure(header: &Header, lines: &Lines, records: &Records) -> Result<(), PackFault> {
    let sources = |seq: u64| records.sources.get(&seq).copied();
    let required = required(
        &lines.subjects,
        header.scope,
        header.as_of,
        sources,
        &records.redactions,
    );
    for ((seq, disclosed), why) in (0u64..).zip(&lines.disclosed).zip(required) {
        match (*disclosed, why) {
            (false, Some(why)) => return Err(PackFault::WithheldRequired { seq, why }),
            (true, None) => {
                return Err(PackFault::DisclosedNotRequired {
                    seq,
                    subject: lines.subjects.get(seq).unwrap_or_default(),
                });
            }
            (true, Some(_)) | (false, None) => {}
        }
    }
    Ok(())
}

/// Step 4, subjects: folds the disclosed events in order, checking each
/// one's subject against the one the history before it gives (§4), and
/// returns the state folded up to and including the as-of event, with
/// where the lines of its milestones and claims are, to read their words
/// back from ([`PackRecall`]).
fn check_subjects<S: Source>(
    source: &mut S,
    events_at: u64,
    lines: &Lines,
    records: &Records,
    as_of: u64,
) -> Checked<(State, LineOffsets), S> {
    let mut state = State::default();
    let mut offsets = LineOffsets(Vec::with_capacity(records.read_back));
    let mut at_as_of = None;
    each_event(source, events_at, lines.len(), |again| {
        let Some(sealed) = again.sealed else {
            return Ok(true);
        };
        let event = &again.event;
        let record = open(lines, records, event, sealed)?;
        if event.seq > as_of && at_as_of.is_none() {
            at_as_of = Some(state.clone());
        }
        let expected = state.subject_of(&record.event, |earlier| lines.subjects.get(earlier));
        if expected != event.subject {
            return Err(PackFault::WrongSubject {
                seq: event.seq,
                stated: event.subject,
                expected,
            }
            .into());
        }
        state.apply(event.seq, event.hash, &record);
        if event.seq <= as_of && recall::is_read_back(record.event.kind()) {
            offsets.0.push((event.seq, again.offset));
        }
        Ok(true)
    })?;
    Ok((at_as_of.unwrap_or(state), offsets))
}

/// The offsets of the lines of the events a view reads back, by sequence
/// number, in order (sized as step 3 counted them: at a million events,
/// growing it by doubling held 7 MB for nothing).
struct LineOffsets(Vec<(u64, u64)>);

/// The words of milestones and claims, read back from their lines in the
/// pack as the projection is written, through a second reader, and opened
/// as step 3 opened them: what the checker's projection shows, without
/// holding every such record through the check (at a million events they
/// were a third of its memory). The first read that fails is kept, for the
/// caller to return as the read error it is.
struct PackRecall<'c, A: LineAt> {
    at: A,
    offsets: &'c LineOffsets,
    lines: &'c Lines,
    records: &'c Records,
    failed: std::cell::RefCell<Option<A::Error>>,
}

impl<A: LineAt> PackRecall<'_, A> {
    /// The first read that failed, if one did.
    fn failed(&self) -> Option<A::Error> {
        self.failed.borrow_mut().take()
    }
}

impl<A: LineAt> Recall for PackRecall<'_, A> {
    fn recall(&self, seq: u64) -> Result<Record, RecallError> {
        let unreadable = |why: String| RecallError::Unreadable { seq, why };
        let offsets = &self.offsets.0;
        let offset = offsets
            .binary_search_by_key(&seq, |(at, _)| *at)
            .map(|i| offsets[i].1)
            .map_err(|_| RecallError::Missing { seq })?;
        let raw = match self.at.line_at(offset) {
            Ok(Some(raw)) => raw,
            Ok(None) => return Err(RecallError::Missing { seq }),
            Err(e) => {
                self.failed.borrow_mut().get_or_insert(e);
                return Err(unreadable("the pack could not be read".into()));
            }
        };
        let (event, sealed) =
            read_again(&raw, super::line_of(seq)).map_err(|fault| unreadable(fault.to_string()))?;
        // The line must still be the one the chain check hashed.
        let prev = match seq.checked_sub(1) {
            None => Some(GENESIS_PREV),
            Some(before) => self.lines.hash(before),
        };
        let unchanged = event.seq == seq
            && prev.is_some_and(|prev| Some(event.chain_hash(&prev)) == self.lines.hash(seq));
        let Some(sealed) = sealed.filter(|_| unchanged) else {
            return Err(unreadable(
                "its line changed while the pack was checked".into(),
            ));
        };
        open(self.lines, self.records, &event, sealed)
            .map_err(|fault| unreadable(fault.to_string()))
    }
}

/// Step 4, for a whole-ledger pack, which discloses every event up to the
/// as-of event: the rule book replayed as `verify` replays it, then the two
/// rules of signing that need the chain's hashes and commitments, which
/// `verify` checks as it walks the stored chain. Returns the replay's state
/// at the as-of event.
fn check_rules<S: Source>(
    source: &mut S,
    events_at: u64,
    lines: &Lines,
    records: &Records,
    as_of: u64,
) -> Checked<State, S> {
    let mut replay = rules::Replay::default();
    let mut requests = crate::store::chain_check::RequestTexts::default();
    let through = as_of.saturating_add(1).min(lines.len());
    each_event(source, events_at, through, |again| {
        let Some(sealed) = again.sealed else {
            return Ok(true);
        };
        let event = &again.event;
        requests.see(event.seq, event.hash, &sealed);
        let record = open(lines, records, event, sealed)?;
        replay.step(event.seq, event.hash, event.subject, &record);
        Ok(true)
    })?;
    let (found, state) = replay.finish_with_state();
    if let Some((seq, refusal)) = found.into_iter().next() {
        return Err(PackFault::BrokenRule { seq, refusal }.into());
    }
    let requests = requests
        .check_seen(|seen| Ok::<_, std::convert::Infallible>(lines.hash(seen)))
        .unwrap_or_else(|never| match never {});
    if let Some((seq, kind)) = requests.faults.into_iter().next() {
        return Err(PackFault::BrokenRequest {
            seq,
            what: kind.to_string(),
        }
        .into());
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::super::source::canonical_at_a_glance;
    use super::super::{canonical, parse_line};

    /// The glance never calls a line canonical that the full check would
    /// not: each line here either passes both or is left to the parser.
    #[test]
    fn the_glance_accepts_only_what_reparsing_reproduces() {
        let lines: &[&[u8]] = &[
            br#"{"a":1,"b":[true,false,null],"c":"x\"y\\z\n\u001f\u000b"}"#,
            br#"{"b":1,"a":2}"#,
            br#"{"a":1,"a":2}"#,
            br#"{"a":01}"#,
            br#"{"a":-1}"#,
            br#"{"a":1.5}"#,
            br#"{"a":18446744073709551616}"#,
            br#"{"a":"\u000a"}"#,
            br#"{"a":"\u001F"}"#,
            br#"{"a":"\/"}"#,
            br#"{"a" :1}"#,
            br#"{"a":1} "#,
            "{\"a\":\"\u{7f}\u{2028}é\"}".as_bytes(),
            br#"[]"#,
            br#"{}"#,
            br#"{"":{"":[{}]}}"#,
        ];
        for raw in lines {
            if canonical_at_a_glance(raw) {
                let value = parse_line(raw, 1).expect("a line the glance accepts parses");
                let mut again = Vec::new();
                canonical(&value, &mut again);
                assert_eq!(&again[..], *raw, "{}", String::from_utf8_lossy(raw));
            }
        }
        assert!(canonical_at_a_glance(lines[0]));
        assert!(!canonical_at_a_glance(lines[1]));
        assert!(!canonical_at_a_glance(lines[2]));
    }
}
