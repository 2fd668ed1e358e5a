//! `export --format md`: a report a person can paste into board papers.
//!
//! It says which ledger state it shows (the head's sequence number and hash,
//! the verify result, when it was made), then gives the summary, a table of
//! actions per agency, the claims awaiting assurance, the backdated entries
//! and the last [`RECENT`] entries of the audit trail. Every cell taken from
//! the ledger is escaped: `|` and Markdown punctuation are backslashed and a
//! line break becomes `<br>`, so untrusted plan text can neither break a
//! table nor inject markup. Output is deterministic for the same
//! [`ReportInput`]. The rows are `query::report`'s; this module only renders
//! them.

use std::io::{self, Write};

use crate::export::ReportInput;
use crate::projection::Action;
use crate::query::audit::Entry;
use crate::query::coverage;
use crate::query::report::{
    AWAITING_COLUMNS, ActionRow, Label, UNCONFIRMED_LEGEND, category_rows, count_columns,
    counts_rows, latest,
};
use crate::text::visible;
use crate::time::{format_micros, format_short};

/// How many of the latest audit-trail entries the report lists.
pub const RECENT: usize = 50;

pub fn write(view: &ReportInput<'_>, out: &mut dyn Write) -> io::Result<()> {
    let trail = view.trail_shown(RECENT)?;
    let summary = view.summary(&trail)?;
    let state = view.state;

    let titles: Vec<String> = state.plans.values().map(|p| p.title()).collect();
    if titles.is_empty() {
        writeln!(out, "# Action plan report")?;
    } else {
        writeln!(out, "# Action plan report: {}", inline(&titles.join("; ")))?;
    }
    writeln!(out)?;
    match view.head() {
        Some((seq, hash)) => writeln!(out, "- Ledger head: sequence {seq}, hash `{hash}`")?,
        None => writeln!(out, "- Ledger head: none (empty ledger)")?,
    }
    writeln!(out, "- Verification: {}", view.verify_words())?;
    writeln!(out, "- Signatures: {}", trail.signatures.words())?;
    writeln!(out, "- Overdue judged on: {}", view.today)?;
    writeln!(out, "- Generated: {}", format_micros(view.generated_at))?;
    writeln!(out)?;

    writeln!(out, "## Summary")?;
    writeln!(out)?;
    let mut header = vec![String::new()];
    header.extend(count_columns().into_iter().map(String::from));
    table_header(out, &header)?;
    for row in counts_rows(&summary) {
        let mut cells = vec![match row.label {
            Label::Plan { id, title } => format!("**{id} {}**", cell(title)),
            Label::Agency(agency) => format!("  {}", cell(agency)),
            Label::AllPlans => "**all plans**".into(),
        }];
        cells.extend(row.numbers().iter().map(usize::to_string));
        table_row(out, &cells)?;
    }
    writeln!(out)?;

    writeln!(out, "### The Domestic Abuse Commissioner's categories")?;
    writeln!(out)?;
    let mut header = vec!["category".to_string(), "meaning".into()];
    header.extend(summary.plans.iter().map(|p| p.plan.to_string()));
    table_header(out, &header)?;
    for row in category_rows(&summary) {
        let mut cells = vec![
            row.category.label().to_string(),
            row.category.meaning().to_string(),
        ];
        cells.extend(row.per_plan.iter().map(usize::to_string));
        table_row(out, &cells)?;
    }
    writeln!(out)?;

    writeln!(out, "### Coverage of each review's recommendations")?;
    writeln!(out)?;
    for plan in &summary.plans {
        writeln!(
            out,
            "- **{}** {}",
            plan.plan,
            inline(&coverage::sentences(&plan.coverage).join(" "))
        )?;
    }
    writeln!(out)?;

    let by_plan = state.actions_by_plan();
    for plan in state.plans.values() {
        let actions: &[&Action] = by_plan.get(&plan.id).map_or(&[], Vec::as_slice);
        writeln!(out, "## {} {}", plan.id, inline(&plan.title()))?;
        writeln!(out)?;
        let mut facts = Vec::new();
        if let Some(chair) = &plan.chair {
            facts.push(format!("Chair: {}", inline(chair)));
        }
        if let Some(published) = plan.published {
            facts.push(format!("published {published}"));
        }
        facts.push(format!("{} recommendations", plan.recommendations.len()));
        writeln!(out, "{}", facts.join(" · "))?;
        writeln!(out)?;
        let mut agencies: Vec<&str> = actions.iter().map(|a| a.agency.as_str()).collect();
        agencies.sort_unstable();
        agencies.dedup();
        for agency in agencies {
            writeln!(out, "### {}", inline(agency))?;
            writeln!(out)?;
            table_header(
                out,
                &[
                    "id",
                    "recs",
                    "action",
                    "lead",
                    "target",
                    "status",
                    "category",
                    "latest",
                    "last change",
                ]
                .map(String::from),
            )?;
            let mut unconfirmed = false;
            for &action in actions.iter().filter(|a| a.agency == agency) {
                let row = ActionRow::of(action, view.today);
                unconfirmed |= row.unconfirmed;
                table_row(out, &action_row(&row, &latest(view.recall, action)?))?;
            }
            writeln!(out)?;
            if unconfirmed {
                writeln!(out, "{}", inline(UNCONFIRMED_LEGEND))?;
                writeln!(out)?;
            }
        }
    }

    writeln!(out, "## Claims awaiting assurance")?;
    writeln!(out)?;
    if summary.awaiting.is_empty() {
        writeln!(out, "None.")?;
    } else {
        table_header(out, &AWAITING_COLUMNS.map(String::from))?;
        for a in &summary.awaiting {
            table_row(
                out,
                &[
                    a.reference(),
                    cell(&a.agency),
                    cell(&a.at.actor),
                    format_short(a.at.recorded_at),
                    a.completed(),
                    a.days_waiting.to_string(),
                    cell(&a.outcome),
                ],
            )?;
        }
    }
    writeln!(out)?;

    writeln!(out, "## Backdated entries")?;
    writeln!(out)?;
    let backdated = view.backdated(&trail);
    writeln!(out, "{}", backdated.words())?;
    if backdated.count > 0 {
        writeln!(out)?;
        trail_header(out)?;
        view.backdated_each(&mut |entry| trail_row(out, &entry))?;
    }
    writeln!(out)?;

    writeln!(out, "## Recent audit trail")?;
    writeln!(out)?;
    if trail.len > RECENT {
        writeln!(
            out,
            "The last {RECENT} of {} entries; `planledger audit` lists them all.",
            trail.len
        )?;
        writeln!(out)?;
    }
    trail_header(out)?;
    for entry in trail.recent() {
        trail_row(out, entry)?;
    }
    Ok(())
}

fn action_row(row: &ActionRow<'_>, latest: &str) -> Vec<String> {
    let mut status = row.status.to_string();
    if row.overdue {
        status.push_str(", **overdue**");
    }
    vec![
        row.id.to_string(),
        row.recommendations.clone(),
        cell(row.text),
        cell(row.lead),
        cell(&row.target),
        status,
        row.category.label().to_string(),
        cell(latest),
        format!(
            "{} by {}",
            format_short(row.last_changed.recorded_at),
            cell(&row.last_changed.actor)
        ),
    ]
}

fn trail_header(out: &mut dyn Write) -> io::Result<()> {
    table_header(
        out,
        &[
            "seq",
            "recorded (UTC)",
            "by",
            "effective",
            "backdated",
            "action",
            "change",
            "signed",
        ]
        .map(String::from),
    )
}

fn trail_row(out: &mut dyn Write, e: &Entry) -> io::Result<()> {
    table_row(
        out,
        &[
            e.seq.to_string(),
            format_short(e.recorded_at),
            cell(&e.actor),
            e.effective.map_or(String::new(), |d| d.to_string()),
            e.backdated_days
                .map_or(String::new(), |d| format!("**{d} days**")),
            e.action.map_or(String::new(), |a| a.to_string()),
            cell(&e.change),
            e.signed.words(),
        ],
    )
}

fn table_header(out: &mut dyn Write, header: &[String]) -> io::Result<()> {
    table_row(out, header)?;
    let rule: Vec<String> = header.iter().map(|_| "---".to_string()).collect();
    table_row(out, &rule)
}

fn table_row(out: &mut dyn Write, cells: &[String]) -> io::Result<()> {
    writeln!(out, "| {} |", cells.join(" | "))
}

/// Escapes ledger text for a table cell: Markdown punctuation is
/// backslashed (so `|` cannot end the cell) and line breaks become `<br>`.
pub fn cell(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        escaped.push_str(&inline(line));
        if lines.peek().is_some() {
            escaped.push_str("<br>");
        }
    }
    escaped
}

/// Escapes ledger text for one line of Markdown (a heading or a list item):
/// Markdown punctuation is backslashed, line breaks become spaces, and any
/// other control or text-direction character is written as an escape
/// (`text::visible`), whose backslash is then escaped like any other.
pub fn inline(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let mut escaped = String::with_capacity(one_line.len());
    for c in visible(&one_line).chars() {
        match c {
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '~' | '#' => {
                escaped.push('\\');
                escaped.push(c);
            }
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_escape_pipes_markup_and_line_breaks() {
        assert_eq!(cell("a | b"), "a \\| b");
        assert_eq!(cell("line one\nline two"), "line one<br>line two");
        assert_eq!(cell("<script>"), "\\<script\\>");
        assert_eq!(cell("C:\\path_x"), "C:\\\\path\\_x");
        assert_eq!(inline("two\nlines"), "two lines");
    }

    #[test]
    fn cells_show_control_and_direction_characters_as_escapes() {
        // The escape's backslash is itself escaped, so it renders as `\u{1b}`.
        assert_eq!(cell("a\u{1b}[2Jb"), "a\\\\u{1b}\\[2Jb");
        assert_eq!(cell("x\u{202E}y\0"), "x\\\\u{202e}y\\\\u{0}");
        assert_eq!(inline("cr\r\nlf"), "cr  lf");
    }
}
