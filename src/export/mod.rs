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

use chrono::NaiveDate;

use crate::event::Micros;
use crate::projection::State;
use crate::query::audit::{self, DEFAULT_BACKDATED_DAYS, Entry};
use crate::query::report::Backdated;
use crate::query::summary::{self, Summary};
use crate::store::StoredEvent;
use crate::store::chain_check::Report;

/// Everything a report shows, gathered once by the caller. (Not to be
/// confused with `ledger::View`, a point on the two time axes.)
pub struct ReportInput<'a> {
    /// The state folded from `events`.
    pub state: &'a State,
    /// Every stored event, in order.
    pub events: &'a [StoredEvent],
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

    /// The full audit trail, with [`Self::BACKDATED_DAYS`] as the threshold.
    pub fn trail(&self) -> Vec<Entry> {
        let filter = audit::Filter {
            backdated_days: Some(Self::BACKDATED_DAYS),
            ..audit::Filter::default()
        };
        audit::trail(self.events, &filter)
    }

    pub fn summary(&self, trail: &[Entry]) -> Summary {
        summary::summarize(self.state, trail, self.today)
    }

    /// The backdated entries of `trail` (from [`Self::trail`]).
    pub fn backdated<'t>(&self, trail: &'t [Entry]) -> Backdated<'t> {
        Backdated::of(trail, Self::BACKDATED_DAYS)
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
