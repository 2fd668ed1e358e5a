//! Recognises a table's header row and maps each column to its role, under
//! the many wordings real plans use ("Action to take", "Actions", "When
//! should this action be completed by", "Completion Date and Outcome"…).
//!
//! Promises: a header row is recognised only if it names an action column
//! and at least two other known columns, and every cell is short, so a data
//! row is never taken for a header; the first column of a role wins, and
//! columns that are not recognised are reported, never silently used.

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
    if non_empty == 0 || headers.iter().any(|h| h.chars().count() > 80) {
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
}
