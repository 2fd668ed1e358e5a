//! `export --format html`: the report as one self-contained HTML page.
//!
//! What it promises:
//!
//! - One file and nothing else: inline CSS, inline SVG charts, no scripts,
//!   no fonts, images, stylesheets or links fetched from anywhere, so it
//!   opens offline and can be archived or attached as it is.
//! - Every string from the ledger is HTML-escaped ([`esc`]): plans come from
//!   untrusted documents, and a `<script>` in an action's text is shown as
//!   text, never run.
//! - Status is shown by words as well as colour (a badge with the status's
//!   name, a legend), so it reads in greyscale and to colour-blind readers.
//! - It says which ledger state it shows: the head's sequence number and
//!   full hash, the result of `verify`, and when it was made, in the header
//!   and the footer, so a printed copy can be checked against the ledger.
//! - Deterministic: the same [`ReportInput`] gives the same bytes.
//!
//! The page holds, overview first: the summary (the Commissioner's
//! categories and counts by status), the count of actions by status over
//! recorded time (folded incrementally over the events, one pass), a
//! timeline of each action's events by effective date, the plan as a table
//! coloured by status, the claims awaiting assurance, the backdated entries
//! and the audit trail. The rows are `query::report`'s; this module renders
//! them.

use std::fmt::Write as _;
use std::io::{self, Write};

use chrono::{Datelike, NaiveDate};

use crate::date::FuzzyDate;
use crate::event::{EventKind, Micros};
use crate::export::ReportInput;
use crate::id::ActionId;
use crate::projection::{Action, State};
use crate::query::audit::{Entry, backdated_by, clip};
use crate::query::coverage;
use crate::query::report::{
    AWAITING_COLUMNS, ActionRow, Label, TrailShown, UNCONFIRMED_LEGEND, category_rows,
    count_columns, counts_rows, latest,
};
use crate::query::summary::{Category, Summary};
use crate::status::Status;
use crate::text::visible;
use crate::time::{day_of, format_micros, format_short, start_of_day};

/// How many of the latest audit-trail entries the page lists.
pub const TRAIL_SHOWN: usize = 200;

/// At most this many instants are sampled for the status-over-time chart.
const MAX_SAMPLES: usize = 160;

/// The page is written a section at a time (the timeline every
/// [`FLUSH_AT`] bytes), so it is never held whole.
pub fn write(view: &ReportInput<'_>, out: &mut dyn Write) -> io::Result<()> {
    let trail = view.trail_shown(TRAIL_SHOWN)?;
    let summary = view.summary(&trail)?;
    let mut page = String::with_capacity(2 * FLUSH_AT);
    page_head(view, &mut page);
    summary_section(&summary, &mut page);
    status_chart_section(view, &mut page)?;
    flush(&mut page, out)?;
    timeline_section(view, &mut page, out)?;
    flush(&mut page, out)?;
    plan_sections(view, &mut page, out)?;
    awaiting_section(&summary, &mut page);
    backdated_section(view, &trail, &mut page, out)?;
    flush(&mut page, out)?;
    trail_section(&trail, &mut page);
    footer(view, &trail.signatures.words(), &mut page);
    flush(&mut page, out)
}

/// How much of the page is gathered before it is written out.
const FLUSH_AT: usize = 64 * 1024;

/// Writes out the page gathered so far and empties it.
fn flush(page: &mut String, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(page.as_bytes())?;
    page.clear();
    Ok(())
}

/// Escapes text for HTML content and attribute values. A control or
/// text-direction character is written as a visible escape
/// (`text::visible`) first, so a NUL or a right-to-left override in a cell
/// cannot hide or reorder what the page shows.
pub fn esc(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in visible(text).chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// Escaped text with line breaks kept as `<br>`.
fn esc_lines(text: &str) -> String {
    text.lines().map(esc).collect::<Vec<_>>().join("<br>")
}

/// The fill of a status in charts, and its class name in tables.
fn status_colour(status: Status) -> &'static str {
    match status {
        Status::Open => "#9ca3af",
        Status::InProgress => "#3b82f6",
        Status::Claimed => "#f59e0b",
        Status::Assured => "#059669",
        Status::Challenged => "#dc2626",
        Status::Embedded => "#22d3ee",
        Status::Withdrawn => "#d6d3d1",
    }
}

fn category_colour(category: Category) -> &'static str {
    match category {
        Category::FullyImplemented => "#059669",
        Category::PartlyMet => "#f59e0b",
        Category::NotMet => "#dc2626",
        Category::HappeningAlready => "#22d3ee",
        Category::Missing => "#7c3aed",
        Category::InProgressNotYetDue => "#3b82f6",
        Category::Withdrawn => "#d6d3d1",
    }
}

const CSS: &str = r#"
:root { --ink: #1f2937; --muted: #6b7280; --rule: #e5e7eb; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif;
  color: var(--ink); margin: 0 auto; padding: 24px 32px; max-width: 1400px; font-size: 14px; line-height: 1.4; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 2px solid var(--ink); padding-bottom: 2px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
p.meta, .note { color: var(--muted); margin: 2px 0; }
code, .hash { font-family: "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { border: 1px solid var(--rule); padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 9px; font-size: 12px; font-weight: 600;
  white-space: nowrap; border: 1px solid rgba(0,0,0,.15); }
.s-open { background: #f3f4f6; color: #374151; }
.s-in-progress { background: #dbeafe; color: #1e3a8a; }
.s-claimed { background: #fef3c7; color: #78350f; }
.s-assured { background: #d1fae5; color: #064e3b; }
.s-challenged { background: #fee2e2; color: #7f1d1d; }
.s-embedded { background: #ccfbf1; color: #134e4a; }
.s-withdrawn { background: #fafaf9; color: #57534e; text-decoration: line-through; }
.overdue { background: #fff; color: #b91c1c; border: 1.5px solid #b91c1c; }
tr.row-open td:first-child { border-left: 6px solid #9ca3af; }
tr.row-in-progress td:first-child { border-left: 6px solid #3b82f6; }
tr.row-claimed td:first-child { border-left: 6px solid #f59e0b; }
tr.row-assured td:first-child { border-left: 6px solid #059669; }
tr.row-challenged td:first-child { border-left: 6px solid #dc2626; }
tr.row-embedded td:first-child { border-left: 6px solid #22d3ee; }
tr.row-withdrawn td:first-child { border-left: 6px solid #d6d3d1; }
tr.row-withdrawn td { color: var(--muted); }
tr.backdated td { background: #fff7ed; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 14px; margin: 4px 0 8px; font-size: 12px; }
.swatch { display: inline-block; width: 12px; height: 12px; vertical-align: -2px; margin-right: 4px; border: 1px solid rgba(0,0,0,.25); }
.bar { display: inline-block; height: 10px; vertical-align: middle; }
.verified { color: #065f46; font-weight: 600; }
.failed { color: #b91c1c; font-weight: 700; }
svg { display: block; max-width: 100%; height: auto; font-family: inherit; }
svg text { fill: #374151; font-size: 11px; }
footer { margin-top: 32px; border-top: 2px solid var(--ink); padding-top: 8px; font-size: 12px; }
footer dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
footer dt { font-weight: 600; }
footer dd { margin: 0; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { padding: 0; max-width: none; font-size: 10px; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; }
  tr, svg, .legend { break-inside: avoid; }
  thead { display: table-header-group; }
  section.trail { break-before: page; }
}
"#;

fn page_head(view: &ReportInput<'_>, page: &mut String) {
    let titles: Vec<String> = view.state.plans.values().map(|p| p.title()).collect();
    let title = if titles.is_empty() {
        "Action plan report".to_string()
    } else {
        format!("Action plan report: {}", titles.join("; "))
    };
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"planledger {}\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<header>\n",
        env!("CARGO_PKG_VERSION"),
        esc(&title)
    );
    let _ = writeln!(page, "<h1>{}</h1>", esc(&title));
    for plan in view.state.plans.values() {
        let mut facts = vec![plan.id.to_string()];
        if let Some(chair) = &plan.chair {
            facts.push(format!("independent chair {}", esc(chair)));
        }
        if let Some(published) = plan.published {
            facts.push(format!("published {published}"));
        }
        facts.push(format!("{} recommendations", plan.recommendations.len()));
        let _ = writeln!(page, "<p class=\"meta\">{}</p>", facts.join(" · "));
    }
    let head = match view.head() {
        Some((seq, hash)) => format!(
            "ledger head sequence {seq}, hash <code>{}</code>",
            &hash[..16]
        ),
        None => "empty ledger".into(),
    };
    let _ = writeln!(
        page,
        "<p class=\"meta\">As the ledger stood at {}; overdue judged on {}; {}; verification: {}</p>\n</header>",
        esc(&format_micros(
            view.state.last_recorded.unwrap_or(view.generated_at)
        )),
        view.today,
        head,
        verify_html(view)
    );
}

fn verify_html(view: &ReportInput<'_>) -> String {
    let class = if view.verify.ok() {
        "verified"
    } else {
        "failed"
    };
    format!(
        "<span class=\"{class}\">{}</span>",
        esc(&view.verify_words())
    )
}

fn summary_section(summary: &Summary, page: &mut String) {
    page.push_str("<section class=\"summary\" id=\"summary\">\n<h2>Summary</h2>\n");
    let _ = writeln!(
        page,
        "<p class=\"note\">The Domestic Abuse Commissioner's categories, judged on {}. \
         Each action is in exactly one row.</p>",
        summary.today
    );
    let total = summary.total.actions.max(1);
    page.push_str("<table class=\"categories\">\n<thead><tr><th>category</th>");
    for plan in &summary.plans {
        let _ = write!(page, "<th class=\"num\">{}</th>", plan.plan);
    }
    page.push_str("<th>share</th><th>meaning</th></tr></thead>\n<tbody>\n");
    for row in category_rows(summary) {
        let c = row.category;
        let _ = write!(
            page,
            "<tr><td><span class=\"swatch\" style=\"background:{}\"></span>{}</td>",
            category_colour(c),
            c.label()
        );
        for n in &row.per_plan {
            let _ = write!(page, "<td class=\"num\">{n}</td>");
        }
        let _ = writeln!(
            page,
            "<td><span class=\"bar\" style=\"width:{}px;background:{}\"></span></td><td>{}</td></tr>",
            row.total * 240 / total,
            category_colour(c),
            esc(c.meaning())
        );
    }
    page.push_str("</tbody>\n</table>\n");

    page.push_str(
        "<h3>By status, per agency</h3>\n<table class=\"statuses\">\n<thead><tr><th></th>",
    );
    for column in count_columns() {
        match Status::ALL.iter().find(|s| s.as_str() == column) {
            Some(s) => {
                let _ = write!(
                    page,
                    "<th class=\"num\"><span class=\"badge s-{s}\">{s}</span></th>"
                );
            }
            None => {
                let _ = write!(page, "<th class=\"num\">{column}</th>");
            }
        }
    }
    page.push_str("</tr></thead>\n<tbody>\n");
    for row in counts_rows(summary) {
        let name = match row.label {
            Label::Plan { id, title } => format!("<strong>{id} {}</strong>", esc(title)),
            Label::Agency(agency) => format!("&emsp;{}", esc(agency)),
            Label::AllPlans => "<strong>all plans</strong>".into(),
        };
        let _ = write!(page, "<tr><td>{name}</td>");
        for n in row.numbers() {
            let _ = write!(page, "<td class=\"num\">{n}</td>");
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</tbody>\n</table>\n");
    page.push_str("<h3>Coverage of each review's recommendations</h3>\n<ul class=\"coverage\">\n");
    for plan in &summary.plans {
        let _ = writeln!(
            page,
            "<li><strong>{}</strong> {}</li>",
            plan.plan,
            esc(&coverage::sentences(&plan.coverage).join(" "))
        );
    }
    page.push_str("</ul>\n</section>\n");
}

fn status_legend(page: &mut String) {
    page.push_str("<div class=\"legend\" aria-label=\"status legend\">");
    for s in Status::ALL {
        let _ = write!(page, "<span><span class=\"badge s-{s}\">{s}</span></span>");
    }
    page.push_str("<span><span class=\"badge overdue\">⚠ overdue</span> target passed, work still owed</span></div>\n");
}

/// Each plan's table of actions, written out plan by plan.
fn plan_sections(view: &ReportInput<'_>, page: &mut String, out: &mut dyn Write) -> io::Result<()> {
    let state = view.state;
    let by_plan = state.actions_by_plan();
    for plan in state.plans.values() {
        let _ = writeln!(
            page,
            "<section class=\"plan\" id=\"plan-{}\">\n<h2>{} {}: the actions</h2>",
            plan.id,
            plan.id,
            esc(&plan.title())
        );
        status_legend(page);
        page.push_str(
            "<table class=\"actions\">\n<thead><tr><th>id</th><th>agency</th><th>action</th><th>recs</th>\
             <th>lead</th><th>target</th><th>status</th><th>category</th><th>latest</th><th>last change</th></tr></thead>\n<tbody>\n",
        );
        let mut unconfirmed = false;
        for &action in by_plan.get(&plan.id).into_iter().flatten() {
            let row = ActionRow::of(action, view.today);
            unconfirmed |= row.unconfirmed;
            action_row(&row, &latest(view.recall, action)?, page);
        }
        page.push_str("</tbody>\n</table>\n");
        if unconfirmed {
            let _ = writeln!(page, "<p class=\"note\">{}</p>", esc(UNCONFIRMED_LEGEND));
        }
        page.push_str("</section>\n");
        flush(page, out)?;
    }
    Ok(())
}

fn action_row(row: &ActionRow<'_>, latest: &str, page: &mut String) {
    let mut status = format!("<span class=\"badge s-{0}\">{0}</span>", row.status);
    if row.overdue {
        status.push_str(" <span class=\"badge overdue\">⚠ overdue</span>");
    }
    let _ = writeln!(
        page,
        "<tr class=\"row-{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
         <td>{}</td><td>{}</td><td>{}</td><td>{}<br><span class=\"note\">{}</span></td></tr>",
        row.status,
        row.id,
        esc(row.agency),
        esc_lines(row.text),
        row.recommendations,
        esc(row.lead),
        esc(&row.target),
        status,
        row.category.label(),
        esc_lines(latest),
        esc(&format_short(row.last_changed.recorded_at)),
        esc(&row.last_changed.actor)
    );
}

/// Horizontal scale from dates to x.
struct DateScale {
    start: NaiveDate,
    days: f64,
    x0: f64,
    width: f64,
}

impl DateScale {
    /// Whole years covering every date given (at least one year).
    fn covering(dates: impl Iterator<Item = NaiveDate>, x0: f64, width: f64) -> DateScale {
        let (mut lo, mut hi) = (i32::MAX, i32::MIN);
        for d in dates {
            lo = lo.min(d.year());
            hi = hi.max(d.year());
        }
        if lo > hi {
            (lo, hi) = (2000, 2000);
        }
        let start = NaiveDate::from_ymd_opt(lo, 1, 1).unwrap_or(NaiveDate::MIN);
        let end = NaiveDate::from_ymd_opt(hi + 1, 1, 1).unwrap_or(NaiveDate::MAX);
        DateScale {
            start,
            days: ((end - start).num_days()).max(1) as f64,
            x0,
            width,
        }
    }

    fn x(&self, day: NaiveDate) -> f64 {
        self.x0 + (day - self.start).num_days() as f64 / self.days * self.width
    }

    /// The years to mark, every year or, over a long span, every `step`
    /// years, so that there are never more than [`MAX_TICKS`] of them
    /// whatever the dates.
    fn years(&self) -> impl Iterator<Item = (i32, f64)> + '_ {
        let first = self.start.year();
        let last = self
            .start
            .checked_add_days(chrono::Days::new(self.days as u64))
            .unwrap_or(NaiveDate::MAX)
            .year();
        year_ticks(first, last).filter_map(move |y| {
            let day = NaiveDate::from_ymd_opt(y, 1, 1)?;
            ((day - self.start).num_days() as f64 <= self.days).then(|| (y, self.x(day)))
        })
    }
}

/// The most marks a time axis carries, however long its span: a recorded
/// time near the end of the calendar's range must not make a report of
/// millions of marks (found by a hostile test: it never finished).
const MAX_TICKS: i32 = 40;

/// Years from `first` to `last` (inclusive), every year or every 2, 5, 10,
/// 20, 50, … years so that there are at most [`MAX_TICKS`], on multiples of
/// the step.
fn year_ticks(first: i32, last: i32) -> impl Iterator<Item = i32> {
    let span = (i64::from(last) - i64::from(first) + 1).max(1);
    let mut step: i64 = 1;
    let mut k: u32 = 0;
    while (span + step - 1) / step > i64::from(MAX_TICKS) {
        step = [2, 5, 10][(k % 3) as usize] * 10i64.pow(k / 3);
        k += 1;
    }
    let start = i64::from(first).div_euclid(step) * step;
    let start = if start < i64::from(first) {
        start + step
    } else {
        start
    };
    (0..)
        .map(move |k| start + k * step)
        .take_while(move |y| *y <= i64::from(last))
        .filter_map(|y| i32::try_from(y).ok())
}

/// The kinds of event the timeline draws, in legend order.
const MARKS: [(EventKind, &str); 9] = [
    (EventKind::ActionAdded, "action added"),
    (EventKind::ActionAmended, "action amended"),
    (EventKind::StatusChanged, "status changed"),
    (EventKind::MilestoneNoted, "milestone"),
    (EventKind::TargetChanged, "target changed"),
    (EventKind::CompletionClaimed, "completion claimed"),
    (EventKind::ClaimAccepted, "claim accepted"),
    (EventKind::ClaimChallenged, "claim challenged"),
    (EventKind::ActionWithdrawn, "withdrawn"),
];

/// SVG for one event mark centred at (x, y), or `None` for a kind the
/// timeline does not draw.
fn mark(kind: EventKind, x: f64, y: f64) -> Option<String> {
    Some(match kind {
        EventKind::ActionAdded => format!(
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\" fill=\"#fff\" stroke=\"#6b7280\" stroke-width=\"1.5\"/>"
        ),
        EventKind::StatusChanged => format!(
            "<path d=\"M{x:.1} {:.1}L{:.1} {y:.1}L{x:.1} {:.1}L{:.1} {y:.1}Z\" fill=\"#3b82f6\"/>",
            y - 5.0,
            x + 5.0,
            y + 5.0,
            x - 5.0
        ),
        EventKind::MilestoneNoted => {
            format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"#7c3aed\"/>")
        }
        EventKind::TargetChanged => format!(
            "<path d=\"M{:.1} {:.1}L{:.1} {y:.1}L{:.1} {:.1}Z\" fill=\"#ea580c\"/>",
            x - 4.0,
            y - 5.0,
            x + 5.0,
            x - 4.0,
            y + 5.0
        ),
        EventKind::CompletionClaimed => format!(
            "<path d=\"M{x:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z\" fill=\"#f59e0b\" stroke=\"#92400e\" stroke-width=\"0.8\"/>",
            y - 6.0,
            x + 5.5,
            y + 4.5,
            x - 5.5,
            y + 4.5
        ),
        EventKind::ClaimAccepted => format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"9\" height=\"9\" fill=\"#059669\"/>",
            x - 4.5,
            y - 4.5
        ),
        EventKind::ClaimChallenged => format!(
            "<path d=\"M{:.1} {:.1}l9 9m0 -9l-9 9\" stroke=\"#dc2626\" stroke-width=\"2.5\"/>",
            x - 4.5,
            y - 4.5
        ),
        EventKind::ActionWithdrawn => format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"9\" height=\"9\" fill=\"#fff\" stroke=\"#57534e\" stroke-width=\"1.5\"/>",
            x - 4.5,
            y - 4.5
        ),
        EventKind::ActionAmended => format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"10\" height=\"4\" fill=\"#0d9488\"/>",
            x - 5.0,
            y - 2.0
        ),
        // Warnings and links (which recommendations an action answers, not
        // something that happened to it) are listed, not drawn; the rest
        // are about no action.
        EventKind::ImportWarning
        | EventKind::ActionLinked
        | EventKind::Redacted
        | EventKind::ActorAdded
        | EventKind::KeyRotated
        | EventKind::ActorRevoked
        | EventKind::RequestSigned
        | EventKind::LedgerUpgraded
        | EventKind::LedgerCreated
        | EventKind::PlanAdded
        | EventKind::RecommendationAdded
        | EventKind::SourceImported => return None,
    })
}

fn effective_of(record: &crate::event::Record) -> FuzzyDate {
    record
        .effective
        .unwrap_or_else(|| FuzzyDate::from_naive(day_of(record.recorded_at)))
}

fn timeline_section(
    view: &ReportInput<'_>,
    page: &mut String,
    out: &mut dyn Write,
) -> io::Result<()> {
    let state = view.state;
    page.push_str("<section class=\"timeline\" id=\"timeline\">\n<h2>Timeline of each action, by effective date</h2>\n");
    if state.actions.is_empty() {
        page.push_str("<p class=\"note\">No actions yet.</p>\n</section>\n");
        return Ok(());
    }
    page.push_str(
        "<p class=\"note\">One row per action; each mark is an event at the date it took effect in the world. \
         A red bar is the target; a month or year stated without a day is drawn as a line across its period; \
         a dashed grey line joins a backdated event to the day the ledger recorded it (○).</p>\n",
    );
    // One row per action, in id order (the map's), so an event's row is
    // found by binary search: a scan of the rows for each event took most
    // of the page's time at national size.
    let rows: Vec<&Action> = state.actions.values().collect();
    let row_of = |id: ActionId| rows.binary_search_by_key(&id, |a| a.id).ok();
    // The earliest and the latest day drawn, which the scale must cover.
    let mut span = (view.today, view.today);
    let mut see = |day: NaiveDate| span = (span.0.min(day), span.1.max(day));
    for action in &rows {
        if let Some(d) = action.target.as_ref().and_then(|t| t.date) {
            see(d.first_day());
            see(d.last_day());
        }
    }
    for event in view.events.each() {
        let event = event?;
        if event
            .record
            .event
            .action()
            .is_some_and(|id| state.actions.contains_key(&id))
        {
            see(effective_of(&event.record).first_day());
            see(day_of(event.record.recorded_at));
        }
    }
    let (label_w, width, top, row_h) = (250.0, 1320.0, 46.0, 20.0);
    let scale = DateScale::covering(
        [span.0, span.1].into_iter(),
        label_w,
        width - label_w - 14.0,
    );
    let height = top + row_h * rows.len() as f64 + 28.0;

    let _ = writeln!(
        page,
        "<svg class=\"timeline-chart\" role=\"img\" aria-label=\"Timeline of events per action\" \
         xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height:.0}\" viewBox=\"0 0 {width} {height:.0}\">"
    );
    // Legend.
    let mut lx = label_w;
    for (kind, label) in MARKS {
        let _ = write!(
            page,
            "<g class=\"legend-item\">{}<text x=\"{:.1}\" y=\"16\">{}</text></g>",
            mark(kind, lx + 6.0, 12.0).unwrap_or_default(),
            lx + 15.0,
            label
        );
        lx += 16.0 + label.len() as f64 * 6.2 + 14.0;
    }
    let _ = write!(
        page,
        "<rect x=\"{:.1}\" y=\"7\" width=\"3\" height=\"11\" fill=\"#dc2626\"/><text x=\"{:.1}\" y=\"16\">target</text>",
        lx + 4.0,
        lx + 12.0
    );
    // Years.
    let bottom = top + row_h * rows.len() as f64;
    let right = scale.x0 + scale.width;
    for (year, x) in scale.years() {
        if x + 30.0 > right {
            continue;
        }
        let _ = write!(
            page,
            "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{bottom:.1}\" stroke=\"#d1d5db\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{year}</text><text x=\"{:.1}\" y=\"{:.1}\">{year}</text>",
            top - 6.0,
            x + 3.0,
            top - 8.0,
            x + 3.0,
            bottom + 14.0
        );
    }
    let tx = scale.x(view.today);
    let _ = write!(
        page,
        "<line x1=\"{tx:.1}\" y1=\"{:.1}\" x2=\"{tx:.1}\" y2=\"{bottom:.1}\" stroke=\"#111827\" stroke-dasharray=\"4 3\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">today {}</text>",
        top - 18.0,
        tx - 3.0,
        bottom + 26.0,
        view.today
    );
    // Rows.
    for (i, action) in rows.iter().enumerate() {
        let y = top + row_h * i as f64 + row_h / 2.0;
        if i % 2 == 0 {
            let _ = write!(
                page,
                "<rect x=\"0\" y=\"{:.1}\" width=\"{width}\" height=\"{row_h}\" fill=\"#f9fafb\"/>",
                y - row_h / 2.0
            );
        }
        let label = format!("{} {}", action.id, clip(&action.agency, 30));
        let _ = write!(
            page,
            "<text x=\"4\" y=\"{:.1}\"><title>{}</title>{}</text>\
             <rect x=\"{:.1}\" y=\"{:.1}\" width=\"6\" height=\"6\" fill=\"{}\"><title>{}</title></rect>",
            y + 4.0,
            esc(&clip(&action.text, 200)),
            esc(&label),
            label_w - 14.0,
            y - 3.0,
            status_colour(action.status),
            action.status
        );
        if let Some(date) = action.target.as_ref().and_then(|t| t.date) {
            let (x1, x2) = (scale.x(date.first_day()), scale.x(date.last_day()));
            let words = esc(&action
                .target
                .as_ref()
                .map_or(String::new(), |t| t.to_string()));
            if x2 - x1 > 1.0 {
                let _ = write!(
                    page,
                    "<rect x=\"{x1:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"14\" fill=\"#dc2626\" opacity=\"0.15\"/>",
                    y - 7.0,
                    x2 - x1
                );
            }
            let _ = write!(
                page,
                "<rect class=\"target\" x=\"{:.1}\" y=\"{:.1}\" width=\"3\" height=\"14\" fill=\"#dc2626\"><title>{}: target {words}</title></rect>",
                x2 - 1.5,
                y - 7.0,
                action.id
            );
        }
    }
    for event in view.events.each() {
        let event = event?;
        let Some(action) = event.record.event.action() else {
            continue;
        };
        let Some(i) = row_of(action) else {
            continue;
        };
        let kind = event.record.event.kind();
        let y = top + row_h * i as f64 + row_h / 2.0;
        let effective = effective_of(&event.record);
        let x = scale.x(effective.first_day());
        let Some(mark) = mark(kind, x, y) else {
            continue;
        };
        let mut extra = String::new();
        if effective.first_day() != effective.last_day() {
            let _ = write!(
                extra,
                "<line x1=\"{x:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#6b7280\" stroke-width=\"2\"/>",
                scale.x(effective.last_day())
            );
        }
        let recorded = day_of(event.record.recorded_at);
        let backdated = backdated_by(&event.record, ReportInput::BACKDATED_DAYS);
        if backdated.is_some() {
            let rx = scale.x(recorded);
            let _ = write!(
                extra,
                "<line x1=\"{x:.1}\" y1=\"{y:.1}\" x2=\"{rx:.1}\" y2=\"{y:.1}\" stroke=\"#6b7280\" stroke-dasharray=\"3 2\"/>\
                 <circle cx=\"{rx:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"#fff\" stroke=\"#6b7280\"/>"
            );
        }
        let title = format!(
            "{} · {} effective {} · recorded {} by {}{}: {}",
            action,
            kind,
            effective,
            format_short(event.record.recorded_at),
            event.record.actor,
            backdated.map_or(String::new(), |d| format!(" · backdated {d} days")),
            crate::query::audit::change_in_words(&event.record, None)
        );
        let _ = write!(
            page,
            "<g class=\"event\" data-kind=\"{kind}\"><title>{}</title>{extra}{mark}</g>",
            esc(&clip(&title, 400)),
        );
        if page.len() >= FLUSH_AT {
            flush(page, out)?;
        }
    }
    page.push_str("</svg>\n</section>\n");
    Ok(())
}

/// Counts by status at a series of recorded instants: one pass over the
/// events for the instants, then one incremental fold.
fn status_series(view: &ReportInput<'_>) -> io::Result<Vec<(Micros, [usize; 7], usize)>> {
    // The end of every transaction, thinned to evenly spaced instants when
    // there are more than MAX_SAMPLES.
    let mut instants: Vec<Micros> = Vec::new();
    let mut first_last: Option<(Micros, (u64, Micros))> = None;
    for event in view.events.each() {
        let event = event?;
        let (tx, at) = (event.record.tx, event.record.recorded_at);
        match &mut first_last {
            None => first_last = Some((at, (tx, at))),
            Some((_, last)) => {
                if last.0 != tx {
                    instants.push(last.1);
                }
                *last = (tx, at);
            }
        }
    }
    let Some((t0, (_, last))) = first_last else {
        return Ok(Vec::new());
    };
    let t1 = last.max(view.generated_at);
    instants.push(last);
    if instants.len() > MAX_SAMPLES {
        let step = (t1 - t0) as f64 / MAX_SAMPLES as f64;
        instants = (0..=MAX_SAMPLES)
            .map(|i| t0 + (step * i as f64) as Micros)
            .collect();
    }
    instants.dedup();
    let mut state = State::default();
    let mut series = Vec::with_capacity(instants.len() + 1);
    let mut instants = instants.into_iter().peekable();
    for event in view.events.each() {
        let event = event?;
        // Each instant counts the events up to the first recorded after it.
        while let Some(at) = instants.next_if(|at| event.record.recorded_at > *at) {
            series.push(counts_at(&state, at));
        }
        state.apply(event.seq, event.hash, &event.record);
    }
    series.extend(instants.map(|at| counts_at(&state, at)));
    series.push(counts_at(&state, t1));
    Ok(series)
}

fn counts_at(state: &State, at: Micros) -> (Micros, [usize; 7], usize) {
    let mut counts = [0usize; 7];
    let day = day_of(at);
    let mut overdue = 0;
    for action in state.actions.values() {
        if let Some(i) = Status::ALL.iter().position(|s| *s == action.status) {
            counts[i] += 1;
        }
        if action.is_overdue(day) {
            overdue += 1;
        }
    }
    (at, counts, overdue)
}

fn status_chart_section(view: &ReportInput<'_>, page: &mut String) -> io::Result<()> {
    page.push_str("<section class=\"status-chart\" id=\"status-over-time\">\n<h2>Actions by status over time</h2>\n");
    let series = status_series(view)?;
    let max = series
        .iter()
        .map(|(_, c, _)| c.iter().sum::<usize>())
        .max()
        .unwrap_or(0);
    if series.len() < 2 || max == 0 {
        page.push_str("<p class=\"note\">Not enough history to chart yet.</p>\n</section>\n");
        return Ok(());
    }
    page.push_str(
        "<p class=\"note\">How many actions stood in each status, as the ledger recorded it at each moment \
         (recorded time, not effective date). The dashed line counts overdue actions.</p>\n",
    );
    page.push_str("<div class=\"legend\">");
    for s in Status::ALL {
        let _ = write!(
            page,
            "<span><span class=\"swatch\" style=\"background:{}\"></span>{s}</span>",
            status_colour(s)
        );
    }
    page.push_str("<span><svg width=\"22\" height=\"10\" style=\"display:inline\"><line x1=\"0\" y1=\"5\" x2=\"22\" y2=\"5\" stroke=\"#111827\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/></svg> overdue</span></div>\n");
    let (x0, width, top, plot_h) = (50.0, 1320.0, 10.0, 220.0);
    let plot_w = width - x0 - 14.0;
    let (t0, t1) = (series[0].0, series[series.len() - 1].0);
    let span = ((t1 - t0) as f64).max(1.0);
    let x = |t: Micros| x0 + (t - t0) as f64 / span * plot_w;
    let y = |n: f64| top + plot_h - n / max as f64 * plot_h;
    let height = top + plot_h + 30.0;
    let _ = writeln!(
        page,
        "<svg class=\"status-over-time\" role=\"img\" aria-label=\"Actions by status over time\" \
         xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height:.0}\" viewBox=\"0 0 {width} {height:.0}\">"
    );
    // Horizontal grid and y labels.
    let step = ((max as f64 / 5.0).ceil() as usize).max(1);
    for n in (0..=max).step_by(step) {
        let yy = y(n as f64);
        let _ = write!(
            page,
            "<line x1=\"{x0}\" y1=\"{yy:.1}\" x2=\"{:.1}\" y2=\"{yy:.1}\" stroke=\"#e5e7eb\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{n}</text>",
            x0 + plot_w,
            x0 - 6.0,
            yy + 4.0
        );
    }
    // Stacked step areas, one polygon per status, bottom layer first.
    let mut below = vec![0usize; series.len()];
    for (si, status) in Status::ALL.iter().enumerate() {
        let above: Vec<usize> = series
            .iter()
            .zip(&below)
            .map(|((_, c, _), b)| b + c[si])
            .collect();
        if above == below {
            continue;
        }
        let mut points = Vec::new();
        for i in 0..series.len() {
            let xa = x(series[i].0);
            let xb = x(series.get(i + 1).map_or(series[i].0, |s| s.0));
            let ya = y(above[i] as f64);
            points.push(format!("{xa:.1},{ya:.1} {xb:.1},{ya:.1}"));
        }
        for i in (0..series.len()).rev() {
            let xa = x(series[i].0);
            let xb = x(series.get(i + 1).map_or(series[i].0, |s| s.0));
            let yb = y(below[i] as f64);
            points.push(format!("{xb:.1},{yb:.1} {xa:.1},{yb:.1}"));
        }
        let _ = writeln!(
            page,
            "<polygon class=\"layer\" data-status=\"{status}\" points=\"{}\" fill=\"{}\" stroke=\"#fff\" stroke-width=\"0.5\"><title>{status}</title></polygon>",
            points.join(" "),
            status_colour(*status)
        );
        below = above;
    }
    // Overdue as a dashed step line.
    let mut path = format!("M{:.1} {:.1}", x(series[0].0), y(series[0].2 as f64));
    for pair in series.windows(2) {
        let _ = write!(path, "H{:.1}V{:.1}", x(pair[1].0), y(pair[1].2 as f64));
    }
    let _ = writeln!(
        page,
        "<path d=\"{path}\" fill=\"none\" stroke=\"#111827\" stroke-width=\"2\" stroke-dasharray=\"4 3\"><title>overdue</title></path>"
    );
    // Time axis: years, with months between when the span is short.
    let (d0, d1) = (day_of(t0), day_of(t1));
    let base = top + plot_h;
    let _ = write!(
        page,
        "<line x1=\"{x0}\" y1=\"{base:.1}\" x2=\"{:.1}\" y2=\"{base:.1}\" stroke=\"#6b7280\"/>",
        x0 + plot_w
    );
    let months = (i64::from(d1.year()) - i64::from(d0.year())) * 12 + i64::from(d1.month())
        - i64::from(d0.month());
    // Every month over ten years or less; over a longer span, years only,
    // thinned so that the axis never carries more than MAX_TICKS marks.
    let ticks: Vec<NaiveDate> = if months <= 120 {
        let first = NaiveDate::from_ymd_opt(d0.year(), d0.month(), 1).unwrap_or(d0);
        std::iter::successors(Some(first), |m| {
            m.checked_add_months(chrono::Months::new(1))
        })
        .take_while(|m| *m <= d1)
        .collect()
    } else {
        year_ticks(d0.year(), d1.year())
            .filter_map(|y| NaiveDate::from_ymd_opt(y, 1, 1))
            .collect()
    };
    for month in ticks {
        let tx = start_of_day(month);
        if tx >= t0 {
            let xx = x(tx);
            let is_year = month.month() == 1;
            let label = if is_year {
                month.year().to_string()
            } else if months <= 36 && month.month() % 3 == 1 {
                month.format("%b").to_string()
            } else {
                String::new()
            };
            let _ = write!(
                page,
                "<line x1=\"{xx:.1}\" y1=\"{base:.1}\" x2=\"{xx:.1}\" y2=\"{:.1}\" stroke=\"#6b7280\"/>",
                base + if is_year { 8.0 } else { 4.0 }
            );
            if !label.is_empty() {
                let weight = if is_year { " font-weight=\"600\"" } else { "" };
                let _ = write!(
                    page,
                    "<text x=\"{:.1}\" y=\"{:.1}\"{weight}>{label}</text>",
                    xx + 2.0,
                    base + 18.0
                );
            }
        }
    }
    if d0.year() == d1.year() || months < 12 {
        let _ = write!(
            page,
            "<text x=\"{x0}\" y=\"{:.1}\">{}</text>",
            base + 28.0,
            d0.format("%Y-%m-%d")
        );
    }
    page.push_str("</svg>\n</section>\n");
    Ok(())
}

fn awaiting_section(summary: &Summary, page: &mut String) {
    page.push_str(
        "<section class=\"awaiting\" id=\"awaiting\">\n<h2>Claims awaiting assurance</h2>\n",
    );
    if summary.awaiting.is_empty() {
        page.push_str("<p>None.</p>\n</section>\n");
        return;
    }
    page.push_str("<table>\n<thead><tr>");
    for column in AWAITING_COLUMNS {
        let class = if column == "days waiting" {
            " class=\"num\""
        } else {
            ""
        };
        let _ = write!(page, "<th{class}>{column}</th>");
    }
    page.push_str("</tr></thead>\n<tbody>\n");
    for a in &summary.awaiting {
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            a.reference(),
            esc(&a.agency),
            esc(&a.at.actor),
            esc(&format_short(a.at.recorded_at)),
            a.completed(),
            a.days_waiting,
            esc_lines(&a.outcome)
        );
    }
    page.push_str("</tbody>\n</table>\n</section>\n");
}

/// The backdated entries, read again from the trail and written out as
/// they come (at national size they are a fifth of the history).
fn backdated_section(
    view: &ReportInput<'_>,
    trail: &TrailShown,
    page: &mut String,
    out: &mut dyn Write,
) -> io::Result<()> {
    page.push_str("<section class=\"backdated\" id=\"backdated\">\n<h2>Backdated entries</h2>\n");
    let backdated = view.backdated(trail);
    if backdated.count == 0 {
        let _ = writeln!(page, "<p>{}</p>\n</section>", esc(&backdated.words()));
        return Ok(());
    }
    let _ = writeln!(page, "<p class=\"note\">{}</p>", esc(&backdated.words()));
    trail_table_head(page);
    view.backdated_each(&mut |entry| {
        trail_row(&entry, page);
        match page.len() >= FLUSH_AT {
            true => flush(page, out),
            false => Ok(()),
        }
    })?;
    trail_table_foot(page);
    page.push_str("</section>\n");
    Ok(())
}

fn trail_section(trail: &TrailShown, page: &mut String) {
    page.push_str("<section class=\"trail\" id=\"audit-trail\">\n<h2>Audit trail</h2>\n");
    if trail.len > TRAIL_SHOWN {
        let _ = writeln!(
            page,
            "<p class=\"note\">The last {TRAIL_SHOWN} of {} entries; <code>planledger audit</code> lists them all.</p>",
            trail.len
        );
    }
    trail_table_head(page);
    for entry in trail.recent() {
        trail_row(entry, page);
    }
    trail_table_foot(page);
    page.push_str("</section>\n");
}

fn trail_table_head(page: &mut String) {
    page.push_str("<table class=\"trail-table\">\n<thead><tr><th class=\"num\">seq</th><th>recorded (UTC)</th><th>by</th>\
                   <th>effective</th><th>action</th><th>change</th><th>signed</th></tr></thead>\n<tbody>\n");
}

fn trail_row(e: &Entry, page: &mut String) {
    let backdated = e.backdated_days.map_or(String::new(), |d| {
        format!(" <span class=\"badge overdue\">backdated {d} days</span>")
    });
    let _ = writeln!(
        page,
        "<tr{}><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        if e.backdated_days.is_some() {
            " class=\"backdated\""
        } else {
            ""
        },
        e.seq,
        esc(&format_short(e.recorded_at)),
        esc(&e.actor),
        e.effective.map_or(String::new(), |d| d.to_string()),
        backdated,
        e.action.map_or(String::new(), |a| a.to_string()),
        esc(&e.change),
        esc(&e.signed.words())
    );
}

fn trail_table_foot(page: &mut String) {
    page.push_str("</tbody>\n</table>\n");
}

fn footer(view: &ReportInput<'_>, signatures: &str, page: &mut String) {
    page.push_str("<footer>\n<dl>\n");
    match view.head() {
        Some((seq, hash)) => {
            let _ = writeln!(
                page,
                "<dt>Ledger head</dt><dd>sequence {seq}, hash <code class=\"hash\">{hash}</code></dd>"
            );
        }
        None => page.push_str("<dt>Ledger head</dt><dd>none (empty ledger)</dd>\n"),
    }
    let _ = writeln!(page, "<dt>Verification</dt><dd>{}</dd>", verify_html(view));
    let _ = writeln!(page, "<dt>Signatures</dt><dd>{}</dd>", esc(signatures));
    if !view.verify.clock_overridden.is_empty() {
        let _ = writeln!(
            page,
            "<dt>Clock</dt><dd>{} transaction(s) were recorded with an overridden clock</dd>",
            view.verify.clock_overridden.len()
        );
    }
    let _ = writeln!(
        page,
        "<dt>Generated</dt><dd>{} by planledger {}; overdue judged on {}</dd>",
        esc(&format_micros(view.generated_at)),
        env!("CARGO_PKG_VERSION"),
        view.today
    );
    page.push_str("<dt>Check</dt><dd>Run <code>planledger verify</code> on the ledger: its head must show the same sequence number and hash.</dd>\n");
    page.push_str("</dl>\n</footer>\n</body>\n</html>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn esc_neutralises_markup_and_attribute_breakouts() {
        assert_eq!(
            esc("<script>alert(\"x\")</script> & 'q'"),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;"
        );
        assert_eq!(esc_lines("a\n<b>"), "a<br>&lt;b&gt;");
    }

    #[test]
    fn esc_shows_control_and_direction_characters_as_escapes() {
        assert_eq!(esc("a\u{1b}[2J\0<b>"), "a\\u{1b}[2J\\u{0}&lt;b&gt;");
        assert_eq!(esc_lines("x\u{202E}y\nz"), "x\\u{202e}y<br>z");
    }

    #[test]
    fn date_scale_labels_whole_years() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let scale = DateScale::covering([d(2019, 6, 5), d(2021, 12, 1)].into_iter(), 100.0, 300.0);
        let years: Vec<i32> = scale.years().map(|(y, _)| y).collect();
        assert_eq!(years, vec![2019, 2020, 2021, 2022]);
        assert!((scale.x(d(2019, 1, 1)) - 100.0).abs() < 1e-9);
        assert!((scale.x(d(2022, 1, 1)) - 400.0).abs() < 1e-9);
    }

    /// Regression (issue: the store under faults): a recorded time near the
    /// end of chrono's range made the axis loop over every month of 260,000
    /// years and never finish.
    #[test]
    fn a_time_axis_over_any_span_has_a_bounded_number_of_marks() {
        for (first, last) in [
            (2019, 2021),
            (2019, 2100),
            (2019, 262_142),
            (-262_000, 262_142),
        ] {
            let ticks: Vec<i32> = year_ticks(first, last).collect();
            assert!(!ticks.is_empty(), "{first}..{last}");
            assert!(
                ticks.len() <= MAX_TICKS as usize,
                "{first}..{last}: {}",
                ticks.len()
            );
            assert!(ticks.iter().all(|y| (first..=last).contains(y)));
        }
        assert_eq!(
            year_ticks(2019, 2022).collect::<Vec<_>>(),
            [2019, 2020, 2021, 2022]
        );
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let scale = DateScale::covering([d(2019, 6, 5), NaiveDate::MAX].into_iter(), 0.0, 600.0);
        assert!(scale.years().count() <= MAX_TICKS as usize);
    }
}
