//! `export --format md`: a report a person can paste into board papers.
//!
//! It says which ledger state it shows (the head's sequence number and hash,
//! the verify result, when it was made), then gives the summary, a table of
//! actions per agency, the claims awaiting assurance, the backdated entries
//! and the last [`RECENT`] entries of the audit trail. Every cell taken from
//! the ledger is escaped: `|` and Markdown punctuation are backslashed and a
//! line break becomes `<br>`, so untrusted plan text can neither break a
//! table nor inject markup. Output is deterministic for the same [`View`].

use std::io::{self, Write};

use crate::export::View;
use crate::projection::Action;
use crate::query::audit::Entry;
use crate::query::summary::{Category, Counts, category};
use crate::status::Status;
use crate::time::{format_micros, format_short};

/// How many of the latest audit-trail entries the report lists.
pub const RECENT: usize = 50;

pub fn write(view: &View<'_>, out: &mut dyn Write) -> io::Result<()> {
    let trail = view.trail();
    let summary = view.summary(&trail);
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
    writeln!(out, "- Overdue judged on: {}", view.today)?;
    writeln!(out, "- Generated: {}", format_micros(view.generated_at))?;
    writeln!(out)?;

    writeln!(out, "## Summary")?;
    writeln!(out)?;
    let mut header = vec!["".to_string(), "actions".into()];
    header.extend(Status::ALL.iter().map(|s| s.as_str().to_string()));
    header.extend(["overdue", "awaiting assurance", "backdated entries"].map(String::from));
    table_header(out, &header)?;
    let counts_row = |name: String, c: &Counts| {
        let mut row = vec![name, c.actions.to_string()];
        row.extend(Status::ALL.iter().map(|s| c.status(*s).to_string()));
        row.extend([c.overdue, c.awaiting_assurance, c.backdated].map(|n| n.to_string()));
        row
    };
    for plan in &summary.plans {
        table_row(
            out,
            &counts_row(
                format!("**{} {}**", plan.plan, cell(&plan.title)),
                &plan.counts,
            ),
        )?;
        for agency in &plan.agencies {
            table_row(
                out,
                &counts_row(format!("  {}", cell(&agency.agency)), &agency.counts),
            )?;
        }
    }
    if summary.plans.len() > 1 {
        table_row(out, &counts_row("**all plans**".into(), &summary.total))?;
    }
    writeln!(out)?;

    writeln!(out, "### The Domestic Abuse Commissioner's categories")?;
    writeln!(out)?;
    let mut header = vec!["category".to_string(), "meaning".into()];
    header.extend(summary.plans.iter().map(|p| p.plan.to_string()));
    table_header(out, &header)?;
    for c in Category::ALL {
        let mut row = vec![c.label().to_string(), c.meaning().to_string()];
        row.extend(
            summary
                .plans
                .iter()
                .map(|p| p.counts.category(c).to_string()),
        );
        table_row(out, &row)?;
    }
    writeln!(out)?;

    for plan in state.plans.values() {
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
        let mut agencies: Vec<&str> = state
            .actions
            .values()
            .filter(|a| a.plan == plan.id)
            .map(|a| a.agency.as_str())
            .collect();
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
            for action in state
                .actions
                .values()
                .filter(|a| a.plan == plan.id && a.agency == agency)
            {
                table_row(out, &action_row(action, view.today))?;
            }
            writeln!(out)?;
        }
    }

    writeln!(out, "## Claims awaiting assurance")?;
    writeln!(out)?;
    if summary.awaiting.is_empty() {
        writeln!(out, "None.")?;
    } else {
        table_header(
            out,
            &[
                "action",
                "agency",
                "claim",
                "claimed by",
                "recorded",
                "completion date",
                "days waiting",
                "outcome",
            ]
            .map(String::from),
        )?;
        for a in &summary.awaiting {
            table_row(
                out,
                &[
                    a.action.to_string(),
                    cell(&a.agency),
                    a.claim.to_string(),
                    cell(&a.claimed_by),
                    format_short(a.recorded_at),
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
    let backdated: Vec<&Entry> = trail
        .iter()
        .filter(|e| e.backdated_days.is_some())
        .collect();
    if backdated.is_empty() {
        writeln!(
            out,
            "None: no effective date lies more than 30 days before its recorded day."
        )?;
    } else {
        writeln!(
            out,
            "Entries whose effective date lies more than 30 days before the day the ledger recorded them."
        )?;
        writeln!(out)?;
        trail_table(out, &backdated)?;
    }
    writeln!(out)?;

    let skip = trail.len().saturating_sub(RECENT);
    writeln!(out, "## Recent audit trail")?;
    writeln!(out)?;
    if skip > 0 {
        writeln!(
            out,
            "The last {RECENT} of {} entries; `planledger audit` lists them all.",
            trail.len()
        )?;
        writeln!(out)?;
    }
    let recent: Vec<&Entry> = trail[skip..].iter().collect();
    trail_table(out, &recent)?;
    Ok(())
}

fn action_row(action: &Action, today: chrono::NaiveDate) -> Vec<String> {
    let recs: Vec<String> = action
        .recommendations
        .iter()
        .map(|n| n.to_string())
        .collect();
    let mut status = action.status.to_string();
    if action.is_overdue(today) {
        status.push_str(", **overdue**");
    }
    let latest = match (action.claims.last(), action.milestones.last()) {
        (Some(claim), _) => format!(
            "claim {}: {} – {}",
            claim.number, claim.at.effective, claim.outcome
        ),
        (None, Some(m)) => format!("{}: {}", m.at.effective, m.note),
        (None, None) => String::new(),
    };
    vec![
        action.id.to_string(),
        recs.join(" "),
        cell(&action.text),
        cell(action.lead.as_deref().unwrap_or("")),
        cell(
            &action
                .target
                .as_ref()
                .map_or(String::new(), |t| t.to_string()),
        ),
        status,
        category(action, today).label().to_string(),
        cell(&latest),
        format!(
            "{} by {}",
            format_short(action.last_changed.recorded_at),
            cell(&action.last_changed.actor)
        ),
    ]
}

fn trail_table(out: &mut dyn Write, entries: &[&Entry]) -> io::Result<()> {
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
        ]
        .map(String::from),
    )?;
    for e in entries {
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
            ],
        )?;
    }
    Ok(())
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
/// Markdown punctuation is backslashed and line breaks become spaces.
pub fn inline(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '~' | '#' => {
                escaped.push('\\');
                escaped.push(c);
            }
            '\n' | '\r' => escaped.push(' '),
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
}
