//! The shape every reader reduces a document to: paragraphs and table rows,
//! in document order, with the text of each cell already plain.
//!
//! Readers promise that a cell's paragraphs are separated by `\n` and that
//! a `Break` only appears where the source had an empty line (in a text
//! export, where a page broke); the assembler relies on nothing else.

use super::columns::Columns;

/// One piece of a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Block {
    /// A paragraph outside any table. `heading` is true for a heading style
    /// or a line in capitals.
    Para { text: String, heading: bool },
    /// An empty line: in a text export, where a page (and a table row) broke.
    Break,
    /// A table row. `source_row` is the spreadsheet row of a CSV record.
    Row {
        cells: Vec<String>,
        source_row: Option<u64>,
    },
    /// A header row already known to be one (a CSV file's first row).
    Header(Columns),
    /// The end of a table (a Word table closed, or a separator row).
    TableEnd,
}

/// True for a line in capitals that could name an agency: it has at least
/// two letters, none of them lower case, and is not a list item.
pub(crate) fn is_caps_heading(text: &str) -> bool {
    let text = text.trim();
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    letters >= 2
        && text.chars().count() <= 120
        && !text.starts_with(['-', '*', '•'])
        && !text.chars().any(char::is_lowercase)
}
