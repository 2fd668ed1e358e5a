//! Recognises a table's header row and maps each column to its role, under
//! the many wordings real plans use ("Action to take", "Actions", "When
//! should this action be completed by", "Completion Date and Outcome"…).
//!
//! Promises: a header row is recognised only if it names an action column
//! and at least two other known columns, and every cell is a header word and
//! nothing else (short, with no digit, date or outcome in it), so a data row
//! is never taken for a header ("Recommendation 3", "Milestone 2 agreed" are
//! data); in a CSV file only a row that repeats the header row cell for cell
//! is a header again ([`repeats`]); the first column of a role wins, and
//! columns that are not recognised are reported, never silently used.

use super::dates::find_dates;
use super::facts::is_completion_word;
use super::html;

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Role {
    Recommendation,
    Scope,
    Action,
    Lead,
    Milestones,
    Target,
    Outcome,
    Agency,
}

/// The role a header cell names, if any. The order of the tests matters:
/// "Scope of Recommendation" is a scope, "Key milestones to enact
/// recommendation" a milestone, "When should this action be completed by" a
/// target, "Lead Agency" a lead.
pub(crate) fn role_of(header: &str) -> Option<Role> {
    let h = html::to_text(header)
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let h = h.trim_matches(|c: char| !c.is_alphanumeric());
    let has = |w: &str| h.contains(w);
    // An identifier column ("Action id", "Ref") names rows; it is not one.
    let identifier = h == "id"
        || h.ends_with(" id")
        || h == "ref"
        || h.starts_with("ref ")
        || h.starts_with("ref.");
    if h.is_empty() || identifier {
        None
    } else if has("target")
        || h.starts_with("when")
        || has("deadline")
        || has("timescale")
        || has("due date")
        || has("by when")
    {
        Some(Role::Target)
    } else if has("milestone") || has("outcome expected") || has("expected outcome") {
        Some(Role::Milestones)
    } else if has("completion")
        || has("outcome")
        || has("status")
        || has("progress")
        || has("update")
        || h.starts_with("completed")
    {
        Some(Role::Outcome)
    } else if has("lead") || has("responsib") || has("owner") {
        Some(Role::Lead)
    } else if has("scope") {
        Some(Role::Scope)
    } else if h.starts_with("agency")
        || h.starts_with("organisation")
        || h.starts_with("organization")
    {
        Some(Role::Agency)
    } else if h.starts_with("recommendation")
        || h == "rec"
        || h.starts_with("rec ")
        || h.starts_with("rec.")
    {
        Some(Role::Recommendation)
    } else if has("action") {
        Some(Role::Action)
    } else {
        None
    }
}

/// A recognised header row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Columns {
    /// The header cells as written (plain text).
    pub(crate) headers: Vec<String>,
    /// The role of each column; `None` where not recognised or repeated.
    pub(crate) roles: Vec<Option<Role>>,
}

/// How a header row was judged.
pub(crate) enum HeaderVerdict {
    /// A header with an action column.
    Header(Columns),
    /// Looks like a header (three or more known columns) but has no action
    /// column: the headers as written.
    NoAction(Vec<String>),
    NotHeader,
}

/// Maps every cell of a row known to be a header (a CSV file's first row)
/// to its role; the first column of a role wins.
pub(crate) fn map(cells: &[String]) -> Columns {
    let headers: Vec<String> = cells
        .iter()
        .map(|c| html::to_text(c).replace('\n', " "))
        .collect();
    let mut roles: Vec<Option<Role>> = Vec::with_capacity(headers.len());
    for header in &headers {
        let role = role_of(header).filter(|r| !roles.contains(&Some(*r)));
        roles.push(role);
    }
    Columns { headers, roles }
}

/// Judges whether `cells` are a header row.
pub(crate) fn recognise(cells: &[String]) -> HeaderVerdict {
    let Columns { headers, roles } = map(cells);
    let non_empty = headers.iter().filter(|h| !h.is_empty()).count();
    if non_empty == 0 || !headers.iter().all(|h| is_header_word(h)) {
        return HeaderVerdict::NotHeader;
    }
    let known = roles.iter().flatten().count();
    if known < 3 || known * 2 < non_empty {
        return HeaderVerdict::NotHeader;
    }
    if roles.contains(&Some(Role::Action)) {
        HeaderVerdict::Header(Columns { headers, roles })
    } else {
        HeaderVerdict::NoAction(headers)
    }
}

/// True if `cell` could be a column heading and holds nothing else: empty,
/// or at most 80 characters and ten words, with no digit, no date and no
/// outcome ("Completed"). "Lead Agency" and "Scope of recommendation i.e.
/// Local or regional" are; "Recommendation 3", "Milestone 2 agreed" and
/// "Action 2: brief the chairs" are not.
fn is_header_word(cell: &str) -> bool {
    let cell = cell.trim();
    cell.is_empty()
        || (cell.chars().count() <= 80
            && cell.split_whitespace().count() <= 10
            && !cell.chars().any(|c| c.is_numeric())
            && find_dates(cell).is_empty()
            && !cell.lines().any(is_completion_word))
}

/// A header cell as [`repeats`] compares it: plain text, lower case, runs
/// of white space made one space.
pub(crate) fn normalise(cell: &str) -> String {
    html::to_text(cell)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// True if `cells` repeat the header row `header` (its cells already
/// [`normalise`]d) cell for cell, ignoring case, runs of white space and
/// empty cells at the end: the only way a row of a CSV file (or
/// spreadsheet) is a header again.
pub(crate) fn repeats(header: &[String], cells: &[String]) -> bool {
    let used = |cells: &[String]| {
        cells.len()
            - cells
                .iter()
                .rev()
                .take_while(|c| c.trim().is_empty())
                .count()
    };
    let width = used(cells);
    width > 0 && width == used(header) && header.iter().zip(cells).all(|(h, c)| *h == normalise(c))
}

impl Columns {
    pub(crate) fn has(&self, role: Role) -> bool {
        self.roles.contains(&Some(role))
    }

    /// The cell of `role` in `cells` ("" if the table has no such column or
    /// the row is short).
    pub(crate) fn get<'a>(&self, cells: &'a [String], role: Role) -> &'a str {
        self.index(role)
            .and_then(|i| cells.get(i))
            .map_or("", String::as_str)
    }

    pub(crate) fn index(&self, role: Role) -> Option<usize> {
        self.roles.iter().position(|r| *r == Some(role))
    }

    /// Header cells that were not given a role, as written.
    pub(crate) fn unrecognised(&self) -> Vec<&str> {
        self.headers
            .iter()
            .zip(&self.roles)
            .filter(|(h, r)| r.is_none() && !h.is_empty())
            .map(|(h, _)| h.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_synonyms_map_to_roles() {
        let cases = [
            ("RECOMMENDATION", Role::Recommendation),
            ("Scope of Recommendation (i.e. local national)", Role::Scope),
            ("Scope of the Action", Role::Scope),
            ("Action to take", Role::Action),
            ("Action to be taken", Role::Action),
            ("Actions", Role::Action),
            ("Action Taken", Role::Action),
            ("Lead Agency", Role::Lead),
            ("Lead", Role::Lead),
            ("Key milestones to enact recommendation", Role::Milestones),
            (
                "Key milestones achieved in enacting recommendations",
                Role::Milestones,
            ),
            ("Outcome expected", Role::Milestones),
            ("Target Date", Role::Target),
            ("Target dates", Role::Target),
            ("When should this action be completed by", Role::Target),
            ("Date of completion and Outcome", Role::Outcome),
            ("Completion Date and Outcome", Role::Outcome),
            ("Completion date and outcome", Role::Outcome),
            ("Agency", Role::Agency),
        ];
        for (header, role) in cases {
            assert_eq!(role_of(header), Some(role), "{header}");
        }
        assert_eq!(role_of("Comments"), None);
        assert_eq!(
            role_of("Action id"),
            None,
            "an identifier column is not the action"
        );
    }

    #[test]
    fn a_data_row_is_not_a_header() {
        let row: Vec<String> = [
            "Staff training",
            "Local",
            "Two staff members completed MARAC training",
        ]
        .map(String::from)
        .to_vec();
        assert!(matches!(recognise(&row), HeaderVerdict::NotHeader));
    }

    /// Regression: a template row citing "Recommendation 3", with an action
    /// "Action 2: …", a milestone "Milestone 2 agreed" and an empty last
    /// cell, was taken for a repeated header, and every row after it was
    /// read under the wrong columns.
    #[test]
    fn a_data_row_with_header_like_words_is_not_a_header() {
        let rows: [&[&str]; 3] = [
            &[
                "Recommendation 3",
                "Local",
                "Action 2: brief every MARAC chair",
                "Thames Valley Police",
                "Milestone 2 agreed",
                "July 2019",
                "",
            ],
            &[
                "Recommendation",
                "Scope",
                "Action to take",
                "Lead Agency",
                "Milestones",
                "Target",
                "Completed",
            ],
            &[
                "Recommendation",
                "Scope",
                "Action plan",
                "Lead agency",
                "Key milestones",
                "Target date",
                "March 2020",
            ],
        ];
        for row in rows {
            let row: Vec<String> = row.iter().map(|c| c.to_string()).collect();
            assert!(
                matches!(recognise(&row), HeaderVerdict::NotHeader),
                "{row:?}"
            );
        }
        let header: Vec<String> = ["Recommendation", "Action to take", "Lead Agency"]
            .map(normalise)
            .to_vec();
        let again: Vec<String> = [" RECOMMENDATION ", "action  to take", "Lead Agency", ""]
            .map(String::from)
            .to_vec();
        assert!(repeats(&header, &again));
        let row: Vec<String> = ["Recommendation 3", "Action to take", "Lead Agency"]
            .map(String::from)
            .to_vec();
        assert!(!repeats(&header, &row));
    }
}
