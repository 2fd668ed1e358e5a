//! Builds a [`ParsedPlan`] from the blocks of any reader: finds the agency
//! sections and their tables, joins rows broken across pages, splits
//! lettered sub-actions, reads targets and outcomes, and adds the warnings a
//! reviewer needs.
//!
//! The rules for a data row of a table, in order:
//!
//! 1. A row with text in its first cell only (unless that is the action
//!    column) is a *note*, kept in `notes` with a warning, unless it
//!    follows a page break and opens in lower case, in which case it
//!    continues the row above. The housing row "All identified actions are
//!    imbedded…" is such a note: it speaks of every action of the section,
//!    so it is not made a milestone of the action above it.
//! 2. A row that follows a page break (an empty line in a text export), has
//!    an empty lead cell, an empty or lower-case first cell, and does not
//!    start a lettered sub-action continues the row above: each of its
//!    cells is appended to the cell above (with a space where a sentence
//!    was cut, otherwise on a new line).
//! 3. A row with empty recommendation and lead cells that did *not* follow
//!    a page break is also read as a continuation, with a warning.
//! 4. Otherwise the row is a new action. Its action text opening with the
//!    next letter of a sequence ("A.", then "B", "C."…) makes it a
//!    sub-action of the same row, which shares the recommendation and scope
//!    written on the first; an outcome cell stays with the sub-action it
//!    sits beside. A row with an empty recommendation cell that is not a
//!    lettered sub-action is a new row of its own, with a warning.
//!
//! A table's agency is the nearest heading above it (a line in capitals or
//! a heading paragraph); a table with no heading of its own (Reducing the
//! Risk repeats its header row for each recommendation) belongs to the
//! agency of the table before it. In a CSV file, the Agency column names the
//! section instead. A table without a completion column may put a status
//! word in its target column ("Completed" over "April 2020"): the word is
//! read as a claim and the rest as the target.

use std::collections::BTreeMap;

use super::columns::{self, Columns, HeaderVerdict, Role};
use super::dates::{find_dates, names_season, parse_target};
use super::facts::{is_completion_word, outcome_facts};
use super::layout::Block;
use super::{
    ImportError, OutcomeFact, ParseWarning, ParsedAction, ParsedNote, ParsedPlan, agency, preamble,
};
use crate::command::unlisted_warning;
use crate::date::FuzzyDate;
use crate::id::RecId;

use super::wording::{SIMILAR_PERCENT, overlap_percent};

const ROLES: [Role; 7] = [
    Role::Recommendation,
    Role::Scope,
    Role::Action,
    Role::Lead,
    Role::Milestones,
    Role::Target,
    Role::Outcome,
];

/// An agency section as the document heads it.
struct Section {
    /// The heading as written, used in locators.
    heading: String,
    /// All cell text of the section, whose spellings name the agency.
    text: String,
    /// Rows counted so far in this section.
    rows: u32,
}

/// An action row before interpretation: its cells by role.
struct RawAction {
    section: usize,
    locator: String,
    cells: [String; 7],
    letter: Option<char>,
    has_outcome_column: bool,
    warnings: Vec<String>,
}

impl RawAction {
    fn cell(&self, role: Role) -> &str {
        let i = ROLES
            .iter()
            .position(|r| *r == role)
            .expect("every role of ROLES has a cell");
        &self.cells[i]
    }
}

#[derive(Default)]
struct Assembler {
    preamble: Vec<String>,
    seen_table: bool,
    /// The latest heading not yet given to a table.
    heading: Option<String>,
    sections: Vec<Section>,
    current: Option<usize>,
    table: Option<Columns>,
    /// The first action of the current table, if any, by index.
    table_first_action: Option<usize>,
    after_break: bool,
    /// A paragraph came between the last table and now.
    text_since_table: bool,
    actions: Vec<RawAction>,
    notes: Vec<ParsedNote>,
    /// Warnings with the position they sort at: `2 * i` before action `i`,
    /// `2 * i + 1` with it.
    warnings: Vec<(usize, ParseWarning)>,
    headers_without_action: Option<Vec<String>>,
    /// A CSV file's header row, normalised: the only row that is a header
    /// again.
    csv_header: Option<Vec<String>>,
    /// Sections by heading, for a plan with thousands of rows.
    section_index: BTreeMap<String, usize>,
    /// The table has no agency column or heading, and its lead column names
    /// an agency ("Lead Agency"): each row's lead is its agency.
    lead_is_agency: bool,
    rows: RowCount,
}

/// What became of the data rows of the action tables: rows that are not
/// headers, not empty and not the second half of a row broken across a
/// page.
#[derive(Default)]
struct RowCount {
    data: usize,
    /// Rows kept as notes (text in the first cell only).
    notes: usize,
    /// Rows read as a continuation of the action above without a page
    /// break before them.
    joined: usize,
}

/// Assembles the plan, or says why there is none.
pub(crate) fn assemble(blocks: Vec<Block>) -> Result<ParsedPlan, ImportError> {
    let mut a = Assembler::default();
    for block in blocks {
        match block {
            Block::Para { text, heading } => a.paragraph(text, heading),
            Block::Break => a.after_break = a.table.is_some(),
            Block::TableEnd => a.end_table(),
            Block::Header(columns) => {
                a.csv_header = Some(
                    columns
                        .headers
                        .iter()
                        .map(|h| columns::normalise(h))
                        .collect(),
                );
                a.start_table(columns);
            }
            Block::Row { cells, source_row } => a.row(cells, source_row),
        }
    }
    if let Some(heading) = a.heading.take()
        && a.seen_table
    {
        a.note(heading);
    }
    if !a.seen_table {
        return Err(match a.headers_without_action {
            Some(headers) => ImportError::NoActionColumn { headers },
            None => ImportError::NoTable,
        });
    }
    Ok(a.finish())
}

impl Assembler {
    fn paragraph(&mut self, text: String, mut heading: bool) {
        if text.trim().is_empty() {
            return;
        }
        self.end_table();
        if !self.seen_table {
            // A one-paragraph title ("Domestic Homicide Review – 'Alice' –
            // Action Plan") names the review, not an agency.
            heading = heading && preamble::title(&text).is_none();
            self.preamble.push(text.clone());
        }
        if heading {
            if let Some(unused) = self.heading.replace(text)
                && self.seen_table
            {
                self.note(unused);
            }
        } else if self.seen_table {
            self.note(text);
        }
    }

    fn end_table(&mut self) {
        if self.table.take().is_some() {
            self.text_since_table = false;
        }
        self.after_break = false;
    }

    fn section_heading(&self) -> Option<&str> {
        self.current.map(|i| self.sections[i].heading.as_str())
    }

    fn note(&mut self, text: String) {
        self.text_since_table = true;
        let locator = match self.current {
            Some(i) => format!(
                "{}, after row {}",
                self.sections[i].heading, self.sections[i].rows
            ),
            None => "before the first table".to_string(),
        };
        self.notes.push(ParsedNote {
            locator,
            agency: self.section_heading().map(String::from),
            text,
        });
    }

    fn warn(&mut self, locator: String, message: String) {
        let at = 2 * self.actions.len();
        self.warnings.push((at, ParseWarning { locator, message }));
    }

    fn enter_section(&mut self, heading: &str) {
        let found = self.section_index.get(heading).copied();
        self.current = Some(found.unwrap_or_else(|| {
            self.sections.push(Section {
                heading: heading.to_string(),
                text: String::new(),
                rows: 0,
            });
            self.section_index
                .insert(heading.to_string(), self.sections.len() - 1);
            self.sections.len() - 1
        }));
    }

    fn row(&mut self, cells: Vec<String>, source_row: Option<u64>) {
        // A row of a CSV file is a header again only if it repeats the
        // header row; header words alone are not enough there.
        let verdict = match (&self.csv_header, source_row) {
            (Some(header), Some(_)) if !columns::repeats(header, &cells) => {
                HeaderVerdict::NotHeader
            }
            _ => columns::recognise(&cells),
        };
        match verdict {
            HeaderVerdict::Header(columns) => self.start_table(columns),
            HeaderVerdict::NoAction(headers) if self.table.is_none() => {
                self.headers_without_action.get_or_insert(headers);
            }
            _ if is_separator(&cells) => self.end_table(),
            _ if cells.iter().all(|c| c.trim().is_empty()) => {}
            _ => {
                match self.table.take() {
                    Some(columns) => {
                        self.rows.data += 1;
                        self.data_row(&columns, cells, source_row);
                        self.table = Some(columns);
                    }
                    None => {
                        let text = cells
                            .into_iter()
                            .filter(|c| !c.is_empty())
                            .collect::<Vec<_>>()
                            .join(" | ");
                        let locator = self
                            .section_heading()
                            .unwrap_or("before the first table")
                            .to_string();
                        self.warn(
                        locator,
                        format!("A table row outside any recognised table was kept as a note: {text}"),
                    );
                        self.note(text);
                    }
                }
            }
        }
        self.after_break = false;
    }

    fn start_table(&mut self, columns: Columns) {
        let leads_name_agencies = !columns.has(Role::Agency) && lead_names_agency(&columns);
        if let Some(heading) = self.heading.take() {
            self.lead_is_agency = false;
            self.enter_section(&heading);
        } else if self.lead_is_agency && leads_name_agencies {
            // Another table of a plan whose leads are its agencies.
        } else if let Some(current) = self.current {
            self.lead_is_agency = false;
            if self.text_since_table {
                let heading = self.sections[current].heading.clone();
                self.warn(
                    heading.clone(),
                    format!("A table has no heading of its own and was read as part of {heading}."),
                );
            }
        } else if leads_name_agencies {
            self.lead_is_agency = true;
            let header = columns
                .index(Role::Lead)
                .map_or("", |i| &columns.headers[i]);
            self.warn(
                "plan".into(),
                format!("The plan has no agency column or headings: each action's '{header}' is taken as its agency."),
            );
        } else if !columns.has(Role::Agency) {
            self.enter_section("UNKNOWN AGENCY");
            self.warn(
                "UNKNOWN AGENCY".into(),
                "The first table has no agency heading above it; its actions are filed under 'Unknown Agency'.".into(),
            );
        }
        let unrecognised: Vec<String> = columns
            .unrecognised()
            .into_iter()
            .map(String::from)
            .collect();
        if !unrecognised.is_empty() {
            let locator = self.section_heading().unwrap_or("table").to_string();
            self.warn(
                locator,
                format!(
                    "The column(s) {} were not recognised and their cells were not imported.",
                    super::layout::clip_list(
                        &unrecognised
                            .iter()
                            .map(|h| format!("'{h}'"))
                            .collect::<Vec<_>>(),
                        ", ",
                        20
                    )
                ),
            );
        }
        self.seen_table = true;
        self.text_since_table = false;
        self.table = Some(columns);
        self.table_first_action = None;
    }

    fn data_row(&mut self, columns: &Columns, mut cells: Vec<String>, source_row: Option<u64>) {
        let agency_role = if self.lead_is_agency && !columns.has(Role::Agency) {
            Role::Lead
        } else {
            Role::Agency
        };
        let agency_cell = columns.get(&cells, agency_role).trim().to_string();
        if !agency_cell.is_empty() && self.section_heading() != Some(agency_cell.as_str()) {
            self.enter_section(&agency_cell);
            self.table_first_action = None;
        }
        let Some(section) = self.current else {
            self.enter_section("UNKNOWN AGENCY");
            self.warn(
                "UNKNOWN AGENCY".into(),
                "A row names no agency; its action is filed under 'Unknown Agency'.".into(),
            );
            return self.data_row(columns, cells, source_row);
        };
        let width = columns.roles.len();
        if cells.len() > width {
            let extra: Vec<String> = cells
                .split_off(width)
                .into_iter()
                .filter(|c| !c.is_empty())
                .collect();
            if !extra.is_empty() {
                let heading = self.sections[section].heading.clone();
                let rows = self.sections[section].rows;
                self.warn(
                    format!("{heading}, row {rows}"),
                    format!(
                        "A row has more cells than its header; the extra text was not imported: {}",
                        extra.join(" | ")
                    ),
                );
            }
        }
        let by_role: [String; 7] = ROLES.map(|role| columns.get(&cells, role).trim().to_string());
        let text = cells.join("\n");
        let s = &mut self.sections[section];
        s.text.push_str(&text);
        s.text.push('\n');
        let [recommendation, _, action, lead, ..] = &by_role;
        let first = cells.first().map_or("", |c| c.trim());
        // Text in the first cell only, when that cell is not the action itself.
        let only_first = !first.is_empty()
            && columns.index(Role::Action) != Some(0)
            && cells.iter().skip(1).all(|c| c.trim().is_empty());
        let previous = self
            .table_first_action
            .and_then(|_| self.actions.len().checked_sub(1));
        let previous_letter = previous.and_then(|i| self.actions[i].letter);
        let letter = sub_action_letter(action, previous_letter);
        let opens_lower = first.starts_with(char::is_lowercase) || first.is_empty();

        if only_first && !(self.after_break && opens_lower && previous.is_some()) {
            let heading = self.sections[section].heading.clone();
            let rows = self.sections[section].rows;
            self.warn(
                format!("{heading}, after row {rows}"),
                format!(
                    "A row with text only in its first column was kept as a note, not an action: \"{first}\""
                ),
            );
            self.note(first.to_string());
            self.rows.notes += 1;
            return;
        }
        if let Some(previous) = previous
            && letter.is_none()
            && lead.is_empty()
        {
            let after_break = self.after_break && opens_lower;
            if after_break || recommendation.is_empty() {
                if after_break {
                    // The second half of a row broken across a page.
                    self.rows.data -= 1;
                } else {
                    self.rows.joined += 1;
                    self.actions[previous].warnings.push(
                        "A row with no recommendation or lead (and no page break before it) was read as a continuation of this action.".into(),
                    );
                }
                let above = &mut self.actions[previous];
                for (cell, more) in above.cells.iter_mut().zip(by_role.iter()) {
                    append(cell, more);
                }
                return;
            }
        }
        let sub_action = letter.is_some_and(|l| l != 'A')
            && previous_letter.is_some()
            && previous.is_some_and(|p| {
                recommendation.is_empty() || *recommendation == self.actions[p].cells[0]
            });
        self.new_action(
            section,
            columns,
            by_role,
            letter,
            sub_action.then_some(previous).flatten(),
            source_row,
        );
    }

    fn new_action(
        &mut self,
        section: usize,
        columns: &Columns,
        mut cells: [String; 7],
        letter: Option<char>,
        sub_action_of: Option<usize>,
        source_row: Option<u64>,
    ) {
        let mut warnings = Vec::new();
        let s = &mut self.sections[section];
        if let Some(p) = sub_action_of {
            let above = &self.actions[p];
            for role in [Role::Recommendation, Role::Scope] {
                let i = ROLES
                    .iter()
                    .position(|r| *r == role)
                    .expect("a role of ROLES");
                if cells[i].is_empty() {
                    cells[i] = above.cells[i].clone();
                }
            }
        } else {
            s.rows += 1;
            if cells[0].is_empty() && columns.has(Role::Recommendation) {
                warnings.push(
                    "The row has no recommendation text of its own and is not a lettered sub-action; it was read as a separate action that cites no recommendation.".to_string(),
                );
            }
        }
        let mut locator = format!("{}, row {}", s.heading, s.rows);
        if let Some(row) = source_row {
            locator.push_str(&format!(" (CSV row {row})"));
        }
        if let Some(letter) = letter {
            locator.push_str(&format!(", sub-action {letter}"));
        }
        self.table_first_action.get_or_insert(self.actions.len());
        self.actions.push(RawAction {
            section,
            locator,
            cells,
            letter,
            has_outcome_column: columns.has(Role::Outcome),
            warnings,
        });
    }

    fn finish(self) -> ParsedPlan {
        let preamble = preamble::read(&self.preamble);
        let mut warnings: Vec<(usize, ParseWarning)> =
            preamble.warnings.iter().cloned().map(|w| (0, w)).collect();
        warnings.extend(self.warnings);
        let names: Vec<String> = self
            .sections
            .iter()
            .map(|s| agency::readable(&s.heading, &s.text))
            .collect();
        let mut actions = Vec::with_capacity(self.actions.len());
        for (i, raw) in self.actions.iter().enumerate() {
            let (action, messages) = interpret(raw, &names[raw.section], &preamble);
            for message in messages {
                warnings.push((
                    2 * i + 1,
                    ParseWarning {
                        locator: action.locator.clone(),
                        message,
                    },
                ));
            }
            actions.push(action);
        }
        warnings.sort_by_key(|(at, _)| *at);
        let shortfall = self.rows.shortfall(actions.len());
        if let Some(message) = &shortfall {
            warnings.insert(
                0,
                (
                    0,
                    ParseWarning {
                        locator: "plan".into(),
                        message: message.clone(),
                    },
                ),
            );
        }
        let mut notes = self.notes;
        for note in &mut notes {
            if let Some(agency) = &note.agency
                && let Some(i) = self.sections.iter().position(|s| &s.heading == agency)
            {
                note.agency = Some(names[i].clone());
            }
        }
        ParsedPlan {
            partnership: preamble.partnership,
            review: preamble.review,
            chair: preamble.chair,
            published: preamble.published,
            recommendations: preamble.recommendations,
            actions,
            notes,
            warnings: warnings.into_iter().map(|(_, w)| w).collect(),
            data_rows: self.rows.data,
            shortfall,
        }
    }
}

impl RowCount {
    /// The warning when fewer actions were read than the tables have data
    /// rows (less the rows kept as notes), saying where the rest went.
    fn shortfall(&self, actions: usize) -> Option<String> {
        if actions + self.notes >= self.data {
            return None;
        }
        let mut why = Vec::new();
        if self.joined > 0 {
            why.push(format!(
                "{} joined to the action above as continuations (no recommendation and no lead)",
                thousands(self.joined)
            ));
        }
        if self.notes > 0 {
            why.push(format!("{} kept as notes", thousands(self.notes)));
        }
        let other = self.data.saturating_sub(actions + self.notes + self.joined);
        if other > 0 || why.is_empty() {
            why.push(format!("{} not read as actions", thousands(other)));
        }
        Some(format!(
            "Read {} action(s) from {} data rows: {}; check that every row's columns line up with the header.",
            thousands(actions),
            thousands(self.data),
            why.join(", ")
        ))
    }
}

/// A count as people read it (usize is at most 64 bits here).
fn thousands(n: usize) -> String {
    crate::text::thousands(n as u64)
}

/// Reads one raw action: target, facts and the warnings about it.
fn interpret(
    raw: &RawAction,
    agency: &str,
    plan: &preamble::Preamble,
) -> (ParsedAction, Vec<String>) {
    let mut messages = raw.warnings.clone();
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let recommendation_text = some(raw.cell(Role::Recommendation));
    let milestones = some(raw.cell(Role::Milestones));
    let outcome = some(raw.cell(Role::Outcome));
    let mut facts = Vec::new();

    // A status word in the target column of a table with no completion
    // column is a claim; the rest of the cell is the target.
    let mut target_cell = raw.cell(Role::Target).to_string();
    if !raw.has_outcome_column {
        let (status, rest): (Vec<&str>, Vec<&str>) =
            target_cell.lines().partition(|l| is_completion_word(l));
        if !status.is_empty() {
            let rest = rest.join("\n");
            messages.push(format!(
                "The target column says '{}' and the table has no completion column: read as a completion claim, with '{}' as the target.",
                status.join(" "),
                rest
            ));
            for word in status {
                facts.push(OutcomeFact::Claimed {
                    outcome: word.to_string(),
                    effective: None,
                });
            }
            target_cell = rest;
        }
    }
    let target = parse_target(&target_cell);
    facts.extend(outcome_facts(raw.cell(Role::Outcome)));
    if facts.is_empty()
        && let Some(word) = milestones.as_deref().filter(|m| is_completion_word(m))
    {
        messages.push(format!(
            "The outcome cell is empty but the key-milestones column says '{word}': read as a completion claim."
        ));
        facts.push(OutcomeFact::Claimed {
            outcome: word.to_string(),
            effective: None,
        });
    }
    let recommendations: Vec<RecId> = cited_numbers(raw.cell(Role::Recommendation))
        .into_iter()
        .map(RecId::of)
        .collect();
    let action = ParsedAction {
        locator: raw.locator.clone(),
        agency: agency.to_string(),
        lead: some(raw.cell(Role::Lead)),
        text: raw.cell(Role::Action).to_string(),
        recommendation_text,
        scope: some(raw.cell(Role::Scope)),
        recommendations,
        milestones,
        target,
        outcome,
        facts,
    };
    messages.extend(checks(&action, plan));
    (action, messages)
}

/// The warnings a reviewer needs about one action.
fn checks(action: &ParsedAction, plan: &preamble::Preamble) -> Vec<String> {
    let mut out = Vec::new();
    let listed = &plan.recommendations;
    for &number in &action.recommendations {
        if listed.is_empty() || listed.iter().any(|r| r.number == number) {
            continue;
        }
        let text = action.recommendation_text.as_deref().unwrap_or("");
        let best = listed
            .iter()
            .map(|r| (overlap_percent(text, &r.text), r.number))
            .max_by_key(|&(percent, number)| (percent, std::cmp::Reverse(number)));
        let reads_like = best
            .filter(|&(percent, _)| percent >= SIMILAR_PERCENT)
            .map(|(percent, like)| (like, percent));
        out.push(unlisted_warning(number, Some(reads_like)));
    }
    if let Some(text) = &action.recommendation_text
        && text.to_lowercase().contains("complet")
        && let Some(date) = find_dates(text).into_iter().max()
    {
        out.push(format!(
            "The recommendation column mentions a completion dated {date}; it was not read as a completion of this action."
        ));
    }
    if action.lead.is_none() {
        out.push("The action has no lead.".into());
    }
    match &action.target {
        None => out.push("The action has no target.".into()),
        Some(target) => {
            let dates = find_dates(&target.text);
            if dates.len() > 1
                && let Some(latest) = target.date
            {
                let all: Vec<String> = dates.iter().map(ToString::to_string).collect();
                out.push(format!(
                    "The target names several dates ({}); the latest, {latest}, is used.",
                    super::layout::clip_list(&all, ", ", 20)
                ));
            }
            if let Some(date) = target.date
                && is_first_of_month_cell(&target.text)
            {
                out.push(format!(
                    "The target {date} is the first of a month, as a spreadsheet stores a month typed as '{}': if the whole month was meant, retarget it to {}.",
                    date.first_day().format("%B %Y"),
                    date.first_day().format("%Y-%m")
                ));
            }
            if target.date.is_none() && names_season(&target.text) {
                out.push(format!(
                    "The target '{}' names a season, which is not read as a date.",
                    target.text
                ));
            }
            if let (Some(date), Some(published)) = (target.date, plan.published)
                && before(date, published)
            {
                out.push(format!(
                    "The target, {date}, is earlier than the review's publication ({published})."
                ));
            }
        }
    }
    for fact in &action.facts {
        if let (
            OutcomeFact::Claimed {
                effective: Some(date),
                ..
            }
            | OutcomeFact::Embedded {
                effective: Some(date),
                ..
            },
            Some(published),
        ) = (fact, plan.published)
            && before(*date, published)
        {
            out.push(format!(
                "The completion is dated {date}, before the review was published ({published})."
            ));
        }
    }
    out
}

/// True for a target that reads exactly like a spreadsheet's date cell on
/// the first of a month ("2020-03-01"): Excel and Calc turn a typed
/// "March 2020" into that date, and only the cell's number format, which
/// the reader does not see, tells the two apart.
fn is_first_of_month_cell(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && text.ends_with("-01")
        && bytes[4] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| matches!(i, 4 | 7) || b.is_ascii_digit())
}

/// True if the whole period of `date` ends before `published` begins.
fn before(date: FuzzyDate, published: FuzzyDate) -> bool {
    date.last_day() < published.first_day()
}

/// Recommendation numbers a cell cites: "Recommendation 3",
/// "Recommendations 3 and 4", "Recommendation 3, 5", or a cell of short
/// ids only, "R3 R6" (as planledger's own CSV export writes them). Each
/// once, in order.
fn cited_numbers(text: &str) -> Vec<u32> {
    let ids: Option<Vec<u32>> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .map(|t| t.strip_prefix(['R', 'r']).and_then(|n| n.parse().ok()))
        .collect();
    if let Some(ids) = ids.filter(|ids| !ids.is_empty()) {
        let mut out: Vec<u32> = Vec::new();
        for id in ids {
            if !out.contains(&id) {
                out.push(id);
            }
        }
        return out;
    }
    let lower = text.to_lowercase();
    let mut out: Vec<u32> = Vec::new();
    for (at, _) in lower.match_indices("recommendation") {
        let rest = lower[at + "recommendation".len()..].trim_start_matches('s');
        let mut rest = rest.trim_start_matches([' ', '\u{a0}', ':', '#']);
        loop {
            let len = rest.bytes().take_while(u8::is_ascii_digit).count();
            let Ok(number) = rest[..len].parse::<u32>() else {
                break;
            };
            if !out.contains(&number) {
                out.push(number);
            }
            rest = rest[len..].trim_start();
            rest = match rest
                .strip_prefix(',')
                .or_else(|| rest.strip_prefix("and "))
                .or_else(|| rest.strip_prefix('&'))
            {
                Some(r) => r.trim_start(),
                None => break,
            };
        }
    }
    out
}

/// The letter of a sub-action: "A. Incorporate…" is A. A letter without a
/// full stop or bracket ("B Set up…") counts only when it follows the
/// previous row's letter and an upper-case word follows it.
fn sub_action_letter(action: &str, previous: Option<char>) -> Option<char> {
    let mut chars = action.chars();
    let letter = chars.next().filter(char::is_ascii_uppercase)?;
    let rest = chars.as_str();
    if let Some(after) = rest.strip_prefix(['.', ')'])
        && after.starts_with(char::is_whitespace)
    {
        let expected = previous.map_or('A', |p| char::from(p as u8 + 1));
        return (letter == 'A' || letter == expected).then_some(letter);
    }
    let next_is_expected = previous.is_some_and(|p| p as u8 + 1 == letter as u8);
    let then_word = rest
        .strip_prefix(' ')
        .is_some_and(|r| r.starts_with(char::is_uppercase));
    (next_is_expected && then_word).then_some(letter)
}

/// True if the table's lead column names an agency ("Lead Agency", "Lead
/// organisation"): in a plan with no agency column or headings, that is
/// what the Home Office template means by it.
fn lead_names_agency(columns: &Columns) -> bool {
    columns.index(Role::Lead).is_some_and(|i| {
        let header = columns.headers[i].to_lowercase();
        header.contains("agency")
            || header.contains("organisation")
            || header.contains("organization")
    })
}

/// True for a row of dashes ("--", "------").
fn is_separator(cells: &[String]) -> bool {
    cells.iter().any(|c| c.contains('-'))
        && cells
            .iter()
            .all(|c| c.trim().chars().all(|ch| ch == '-' || ch == '–'))
}

/// Appends a continuation to the cell above: with a space where a sentence
/// was cut mid-way, otherwise on a new line.
fn append(cell: &mut String, more: &str) {
    if more.is_empty() {
        return;
    }
    if cell.is_empty() {
        more.clone_into(cell);
        return;
    }
    let cut = !cell.trim_end().ends_with(['.', '!', '?', ':', ';'])
        && more.starts_with(char::is_lowercase);
    cell.push(if cut { ' ' } else { '\n' });
    cell.push_str(more);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citations() {
        assert_eq!(cited_numbers("Recommendation 3\nAll agencies"), [3]);
        assert_eq!(cited_numbers("Recommendations 3, 4 and 5"), [3, 4, 5]);
        assert_eq!(
            cited_numbers("(Child SCR action plan completed 25/05/17)"),
            Vec::<u32>::new()
        );
    }

    #[test]
    fn letters() {
        assert_eq!(
            sub_action_letter("A. Incorporate recent guidance", None),
            Some('A')
        );
        assert_eq!(
            sub_action_letter("B Set up domestic abuse working group.", Some('A')),
            Some('B')
        );
        assert_eq!(
            sub_action_letter("C. To review roles", Some('B')),
            Some('C')
        );
        assert_eq!(sub_action_letter("A2D will take", None), None);
        assert_eq!(sub_action_letter("B Set up", None), None);
        assert_eq!(
            sub_action_letter("Statement about DASH training", Some('E')),
            None
        );
    }

    #[test]
    fn the_shortfall_names_both_counts() {
        let rows = RowCount {
            data: 30_000,
            notes: 0,
            joined: 22_539,
        };
        assert_eq!(
            rows.shortfall(7_461).as_deref(),
            Some(
                "Read 7,461 action(s) from 30,000 data rows: 22,539 joined to the action above as continuations (no recommendation and no lead); check that every row's columns line up with the header."
            )
        );
        assert_eq!(rows.shortfall(30_000), None);
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn a_first_of_month_date_cell_is_told_from_other_dates() {
        for cell in ["2020-03-01", "2019-12-01"] {
            assert!(is_first_of_month_cell(cell), "{cell}");
        }
        for text in [
            "2020-03-02",
            "March 2020",
            "01/03/2020",
            "2020-03",
            "x2020-03-01",
        ] {
            assert!(!is_first_of_month_cell(text), "{text}");
        }
    }
}
