//! Views of the ledger for other programs and people: the raw chain as JSON
//! Lines, the plan as a CSV in the Home Office template's columns, and
//! reports in Markdown and HTML. (The `--json` shapes, `export --format
//! json` among them, are `wire`'s.)
//!
//! Every writer here is handed what it shows and writes to a `&mut dyn
//! Write`; none opens a ledger, reads a clock or touches the file system, so
//! the same inputs always give the same bytes. The rows the reports show are
//! built once, in `query::report`; the writers here only render them.

pub mod csv;
pub mod events;
pub mod html;
pub mod markdown;

use std::borrow::Cow;
use std::io;

use chrono::NaiveDate;

use crate::event::Micros;
use crate::projection::State;
use crate::query::audit::{self, DEFAULT_BACKDATED_DAYS, Entry};
use crate::query::report::{Backdated, TrailShown};
use crate::query::summary::{self, Summary};
use crate::recall::Recall;
use crate::store::StoredEvent;
use crate::store::chain_check::Report;

/// The stored events a report reads, from the genesis in order, read afresh
/// for each pass: a report makes a few passes (the audit trail, the
/// charts), each holding only what it shows, never the history whole.
pub trait ReportEvents {
    /// Every event, in order; an error reading one ends the pass.
    fn each(&self) -> Box<dyn Iterator<Item = io::Result<Cow<'_, StoredEvent>>> + '_>;

    /// The text slot names of the event at `seq` (what a redaction
    /// erased), `None` where there is none.
    fn slot_names(&self, seq: u64) -> Option<Vec<String>>;
}

/// Events held in memory (a test's, or a small ledger's).
impl ReportEvents for Vec<StoredEvent> {
    fn each(&self) -> Box<dyn Iterator<Item = io::Result<Cow<'_, StoredEvent>>> + '_> {
        Box::new(self.iter().map(|e| Ok(Cow::Borrowed(e))))
    }

    fn slot_names(&self, seq: u64) -> Option<Vec<String>> {
        audit::slot_names_among(self, seq)
    }
}

/// Everything a report shows, gathered once by the caller. (Not to be
/// confused with `ledger::View`, a point on the two time axes.)
pub struct ReportInput<'a> {
    /// The state folded from `events`.
    pub state: &'a State,
    /// Every stored event, in order.
    pub events: &'a dyn ReportEvents,
    /// Where the words of milestones and claims are read back from.
    pub recall: &'a dyn Recall,
    /// What `integrity::verify` found when the report was made.
    pub verify: &'a Report,
    /// The day "overdue" and "days waiting" are judged on.
    pub today: NaiveDate,
    /// When the report was made, so a printed copy says so.
    pub generated_at: Micros,
}

impl ReportInput<'_> {
    /// The backdating threshold the reports judge by, in days.
    pub const BACKDATED_DAYS: i64 = DEFAULT_BACKDATED_DAYS;

    /// What the report shows of the full audit trail, with
    /// [`Self::BACKDATED_DAYS`] as the threshold, keeping its last `recent`
    /// entries: one pass over the events.
    pub fn trail_shown(&self, recent: usize) -> io::Result<TrailShown> {
        let mut shown = TrailShown::new(recent);
        self.trail(&mut |entry| {
            shown.see(entry);
            Ok(())
        })?;
        Ok(shown)
    }

    /// One pass over the full audit trail, [`Self::BACKDATED_DAYS`] the
    /// threshold, each entry handed to `sink` in order.
    fn trail(&self, sink: &mut dyn FnMut(Entry) -> io::Result<()>) -> io::Result<()> {
        let filter = audit::Filter {
            backdated_days: Some(Self::BACKDATED_DAYS),
            ..audit::Filter::default()
        };
        let names_of = |seq: u64| self.events.slot_names(seq);
        audit::trail_each(self.events.each(), &names_of, &filter, sink)
    }

    /// The summary, its backdated counts from `shown` (from
    /// [`Self::trail_shown`]).
    pub fn summary(&self, shown: &TrailShown) -> io::Result<Summary> {
        let backdated = shown.backdated_actions.iter().copied();
        Ok(summary::summarize(
            self.state,
            self.recall,
            backdated,
            self.today,
        )?)
    }

    /// How many entries of `shown` (from [`Self::trail_shown`]) are
    /// backdated, with the threshold.
    pub fn backdated(&self, shown: &TrailShown) -> Backdated {
        shown.backdated(Self::BACKDATED_DAYS)
    }

    /// Hands `sink` each backdated entry of the full audit trail, in order:
    /// a second pass over the events, so that the entries are written as
    /// they are read, never held.
    pub fn backdated_each(&self, sink: &mut dyn FnMut(Entry) -> io::Result<()>) -> io::Result<()> {
        self.trail(&mut |entry| match entry.backdated_days {
            Some(_) => sink(entry),
            None => Ok(()),
        })
    }

    /// "seq 41, 3f2a…" style head description: the full hash.
    pub fn head(&self) -> Option<(u64, String)> {
        self.state.head.map(|(seq, hash)| (seq, hex::encode(hash)))
    }

    /// The verification result in one line.
    pub fn verify_words(&self) -> String {
        verify_words(self.verify)
    }
}

/// "intact: 41 events in 12 transactions re-checked" or the first failure.
pub fn verify_words(report: &Report) -> String {
    match report.first_bad_seq() {
        None => format!(
            "intact: {} events in {} transactions re-checked from the stored bytes",
            report.events, report.transactions
        ),
        Some(seq) => format!(
            "FAILED: {} problem(s), the first at sequence number {seq}",
            report.problems.len()
        ),
    }
}
