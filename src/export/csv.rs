//! `export --format csv`: the plan as a spreadsheet, one row per action, in
//! the columns of the Home Office action plan template, followed by what
//! the ledger knows and the template does not (status, overdue, last
//! change).
//!
//! What it promises, so the file opens cleanly in a spreadsheet and reads
//! back into `import`:
//!
//! - UTF-8 with a byte order mark. Excel reads a CSV without a BOM in the
//!   system's legacy code page, which mangles "–", "é" and "’" (common in
//!   plans pasted from Word); with the BOM it reads UTF-8. LibreOffice,
//!   Python's `utf-8-sig` and the `csv` crate's reader cope with it.
//!   [`Options::bom`] turns it off for programs that do not.
//! - RFC 4180: every record ends in CRLF, a cell holding a comma, quote or
//!   line break is quoted and its quotes doubled. Line breaks inside a cell
//!   (the milestones) are kept as LF, which spreadsheets show as a line
//!   break within the cell.
//! - The header uses the template's own column names ("Action to be taken",
//!   "Lead Agency", "Target Date", "Date of completion and Outcome", …) so
//!   the CSV importer, which maps those names, reads the file back.
//! - A free-text cell that begins with `=`, `+`, `-`, `@`, a tab or a
//!   carriage return is prefixed with `'`, so a spreadsheet shows it as text
//!   instead of running it as a formula (plans come from untrusted
//!   documents; see OWASP "CSV injection"). So is a cell that is
//!   apostrophes followed by one of those, so that the importer can remove
//!   exactly the apostrophe the export added (`text::unguard`) and the text
//!   reads back as it was.
//! - A control character (but a line break or tab) or a text-direction
//!   override in a free-text cell is written as an escape such as `\u{1b}`
//!   (`text::visible`): a spreadsheet never shows it raw.
//! - One row per action in id order; the same state and day give the same
//!   bytes.

use std::io::{self, Write};

use chrono::NaiveDate;

use crate::event::LinkBasis;
use crate::projection::{Action, Link, State};
use crate::recall::{self, Recall, RecallError};
use crate::status::Status;
use crate::text::{is_guarded, visible};
use crate::time::format_short;

/// The header row. Names up to "Date of completion and Outcome" are the
/// Home Office template's; the rest are the ledger's own.
pub const HEADERS: [&str; 15] = [
    "Plan",
    "Agency",
    "Action id",
    "Recommendation",
    "Scope of recommendation",
    "Action to be taken",
    "Lead Agency",
    "Key milestones to enact recommendation",
    "Target Date",
    "Date of completion and Outcome",
    "Assurance",
    "Status",
    "Overdue",
    "Last change (UTC)",
    "Changed by",
];

/// How the file is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Begin with a UTF-8 byte order mark (the default, for Excel).
    pub bom: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options { bom: true }
    }
}

/// Writes every action of `state` as one CSV row, judging overdue on
/// `today`.
pub fn write(
    state: &State,
    recall: &dyn Recall,
    today: NaiveDate,
    options: Options,
    out: &mut dyn Write,
) -> io::Result<()> {
    if options.bom {
        out.write_all("\u{feff}".as_bytes())?;
    }
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .quote_style(::csv::QuoteStyle::Necessary)
        .from_writer(out);
    writer.write_record(HEADERS).map_err(into_io)?;
    for action in state.actions.values() {
        writer
            .write_record(row(state, recall, action, today)?)
            .map_err(into_io)?;
    }
    writer.flush()
}

/// The cells of one action's row, in [`HEADERS`] order.
pub fn row(
    state: &State,
    recall: &dyn Recall,
    action: &Action,
    today: NaiveDate,
) -> Result<Vec<String>, RecallError> {
    let plan = state.plans.get(&action.plan).map_or_else(
        || action.plan.to_string(),
        |p| format!("{} {}", p.id, p.title()),
    );
    // The review's recommendations it answers, by number; or, for an action
    // that answers its agency's own recommendation, that recommendation's
    // words, as the plan's table had them (so an import reads it back so).
    let recommendation = match (&action.recommendations[..], &action.link) {
        (
            [],
            Some(Link {
                basis: LinkBasis::Own,
                note: Some(words),
                ..
            }),
        ) => text(words),
        (numbers, _) => numbers
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(" "),
    };
    let milestones: Vec<String> = recall::milestones(recall, action)?
        .iter()
        .map(|m| format!("{}: {}", m.at.effective, m.note))
        .collect();
    let latest = recall::latest_claim(recall, action)?;
    // Worded so that planledger's importer reads the same status back.
    let reason = action.status_reason.as_deref().unwrap_or("");
    let completion = match action.status {
        Status::Withdrawn => format!("Withdrawn: {reason}"),
        Status::Embedded => format!("Completed and ongoing as usual practice: {reason}"),
        Status::Open
        | Status::InProgress
        | Status::Claimed
        | Status::Assured
        | Status::Challenged => latest.as_ref().map_or(String::new(), |c| {
            format!("{} – {}", c.at.effective, c.outcome)
        }),
    };
    let assurance = match &latest {
        None => String::new(),
        Some(claim) => match &claim.assurance {
            None => "awaiting assurance".to_string(),
            Some(a) => format!(
                "{} {} by {}: {}",
                if a.accepted { "accepted" } else { "challenged" },
                a.at.effective,
                a.at.actor,
                a.finding
            ),
        },
    };
    Ok(vec![
        text(&plan),
        text(&action.agency),
        action.id.to_string(),
        recommendation,
        text(action.scope.as_deref().unwrap_or("")),
        text(&action.text),
        text(action.lead.as_deref().unwrap_or("")),
        text(&milestones.join("\n")),
        text(action.target.as_ref().map_or("", |t| t.text.as_str())),
        text(&completion),
        text(&assurance),
        action.status.as_str().to_string(),
        if action.is_overdue(today) {
            "yes"
        } else {
            "no"
        }
        .to_string(),
        format_short(action.last_changed.recorded_at),
        text(&action.last_changed.actor),
    ])
}

/// A free-text cell as a spreadsheet may safely show it: control and
/// text-direction characters written as escapes (`text::visible`), and an
/// apostrophe put before it if a spreadsheet would read it as a formula.
fn text(cell: &str) -> String {
    let shown = visible(cell);
    if is_guarded(&shown) {
        format!("'{shown}")
    } else {
        shown.into_owned()
    }
}

/// The CSV writer's error as an I/O error: its own I/O error as it was (so
/// a closed pipe is still seen as one), anything else with its message.
fn into_io(e: ::csv::Error) -> io::Error {
    if !e.is_io_error() {
        return io::Error::other(e);
    }
    match e.into_kind() {
        ::csv::ErrorKind::Io(e) => e,
        // `is_io_error` said it is one: never reached.
        _ => io::Error::other("the CSV writer failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_cells_are_neutralised_and_others_kept() {
        assert_eq!(text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(text("- bullet"), "'- bullet");
        assert_eq!(text("Update Niche"), "Update Niche");
        assert_eq!(text(""), "");
        assert_eq!(text("'=quoted"), "''=quoted");
        assert_eq!(text("'Alice'"), "'Alice'");
    }

    /// Regression (issue: import what partnerships really hold): the
    /// importer kept the guard apostrophe, so "=SUM(" came back as "'=SUM(".
    #[test]
    fn the_guard_comes_off_and_only_the_guard() {
        use crate::text::unguard;
        for cell in [
            "=SUM(A1)", "- bullet", "'=quoted", "''+x", "'Alice'", "plain", "", "'",
        ] {
            assert_eq!(unguard(&text(cell)), cell, "{cell:?}");
        }
        assert_eq!(unguard("'Alice'"), "'Alice'");
        assert_eq!(unguard("'@x"), "@x");
    }

    #[test]
    fn control_and_direction_characters_are_shown_as_escapes() {
        assert_eq!(text("a\u{1b}[2Jb\0"), "a\\u{1b}[2Jb\\u{0}");
        assert_eq!(text("\u{202E}=x"), "\\u{202e}=x");
        assert_eq!(text("\r=1"), "\\u{d}=1");
    }

    #[test]
    fn empty_state_writes_bom_and_header_only() {
        let mut out = Vec::new();
        write(
            &State::default(),
            &std::collections::BTreeMap::new(),
            NaiveDate::MIN,
            Options::default(),
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("\u{feff}Plan,Agency,Action id,"));
        assert!(text.ends_with("Changed by\r\n"));
        assert_eq!(text.matches("\r\n").count(), 1);
    }
}
