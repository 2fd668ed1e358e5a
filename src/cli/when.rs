//! `--as-of` and `--valid-at`, shared by every read command.

use std::io::Write;

use chrono::NaiveDate;

use crate::date::FuzzyDate;
use crate::event::Micros;
use crate::ledger::{Ledger, View};
use crate::projection::State;
use crate::time::{DayEnd, day_of, format_micros, parse_instant};

use super::CliError;

#[derive(Debug, Default, Clone, clap::Args)]
pub struct TimeArgs {
    /// What the ledger said at this instant or date (UTC): later entries are invisible
    #[arg(long, value_name = "WHEN")]
    pub as_of: Option<String>,
    /// What was true in the world on this date (YYYY-MM-DD, YYYY-MM or YYYY; a
    /// month or year means its last day), by what the ledger knew
    #[arg(long, value_name = "DATE")]
    pub valid_at: Option<String>,
}

/// A resolved view, the day on which "overdue" is judged, and notes for a
/// person (an instant in the future, say) that machine-readable output
/// leaves out.
pub struct Resolved {
    pub view: View,
    pub day: NaiveDate,
    pub notes: Vec<String>,
}

impl Resolved {
    /// Writes the notes, one a line.
    pub fn write_notes(&self, out: &mut dyn Write) -> Result<(), CliError> {
        for note in &self.notes {
            writeln!(out, "note: {note}")?;
        }
        Ok(())
    }
}

impl TimeArgs {
    pub fn as_of(when: &str) -> TimeArgs {
        TimeArgs {
            as_of: Some(when.to_string()),
            valid_at: None,
        }
    }

    /// Reads the two options. An instant in the future is not refused: it
    /// reads as now, with a note saying so.
    pub fn resolve(&self, ledger: &Ledger) -> Result<Resolved, CliError> {
        self.resolve_at(ledger.now())
    }

    /// [`TimeArgs::resolve`] with `now` the ledger's clock reads.
    pub fn resolve_at(&self, now: Micros) -> Result<Resolved, CliError> {
        let mut notes = Vec::new();
        let as_of = match &self.as_of {
            None => None,
            Some(text) => {
                let instant =
                    parse_instant(text, DayEnd::End).map_err(|e| CliError::Input(e.to_string()))?;
                if instant > now {
                    notes.push(format!(
                        "--as-of {text} is in the future; showing what the ledger says now ({})",
                        format_micros(now)
                    ));
                }
                Some(instant.min(now))
            }
        };
        let valid_at = match &self.valid_at {
            None => None,
            Some(text) => {
                let date = FuzzyDate::parse_iso(text)
                    .map_err(|e| CliError::Input(format!("--valid-at: {e}")))?;
                let day = date.last_day();
                if day > day_of(now) {
                    notes.push(format!(
                        "--valid-at {text} is in the future; facts are shown as the ledger knows them today"
                    ));
                }
                Some(day)
            }
        };
        let day = valid_at
            .or(as_of.map(day_of))
            .unwrap_or_else(|| day_of(now));
        Ok(Resolved {
            view: View { as_of, valid_at },
            day,
            notes,
        })
    }
}

/// Says when a view shows nothing because the ledger did not exist yet.
pub fn before_ledger(
    state: &State,
    args: &TimeArgs,
    out: &mut dyn Write,
) -> Result<bool, CliError> {
    if state.ledger.is_some() {
        return Ok(false);
    }
    writeln!(
        out,
        "The ledger did not exist yet at {}: it holds nothing as of then.",
        args.as_of.as_deref().unwrap_or("that time")
    )?;
    Ok(true)
}
