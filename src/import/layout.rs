//! The shape every reader reduces a document to: paragraphs and table rows,
//! in document order, with the text of each cell already plain.
//!
//! Readers promise that a cell's paragraphs are separated by `\n` and that
//! a `Break` only appears where the source had an empty line (in a text
//! export, where a page broke); the assembler relies on nothing else.

use super::ImportError;
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

/// The most cells a table row may hold. A plan's tables have a handful of
/// columns; a row with thousands is a damaged or hostile file, and reading
/// it would cost far more than its size.
pub(crate) const MAX_CELLS: usize = 1_000;

/// The most bytes one cell may hold: no more than a record of the ledger
/// may hold ([`crate::codec::MAX_RECORD_LEN`]), so a cell that could never
/// be recorded is refused where it is read, with its row and column.
pub(crate) const MAX_CELL_BYTES: usize = crate::codec::MAX_RECORD_LEN;

/// Refuses a row with more than [`MAX_CELLS`] cells (`cells` counted so
/// far) or a cell over [`MAX_CELL_BYTES`]; `at` says where the row is
/// ("CSV row 7", "line 12", "table 2, row 3").
pub(crate) fn check_row<S: AsRef<str>>(
    at: &dyn Fn() -> String,
    cells: &[S],
) -> Result<(), ImportError> {
    if cells.len() > MAX_CELLS {
        return Err(ImportError::TooManyCells {
            at: at(),
            max: MAX_CELLS,
        });
    }
    for (i, cell) in cells.iter().enumerate() {
        check_cell(at, i + 1, cell.as_ref().len())?;
    }
    Ok(())
}

/// Refuses a cell of `len` bytes over [`MAX_CELL_BYTES`]; `column` counts
/// from 1.
pub(crate) fn check_cell(
    at: &dyn Fn() -> String,
    column: usize,
    len: usize,
) -> Result<(), ImportError> {
    if len > MAX_CELL_BYTES {
        return Err(ImportError::CellTooLong {
            at: at(),
            column,
            len,
            max: MAX_CELL_BYTES,
        });
    }
    Ok(())
}

/// A list for a one-line message: the first `shown` items joined by `sep`,
/// then how many more there are, so that a file with a million columns
/// gives a line a person can read.
pub(crate) fn clip_list<S: AsRef<str>>(items: &[S], sep: &str, shown: usize) -> String {
    let mut out = items
        .iter()
        .take(shown)
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(sep);
    if items.len() > shown {
        out.push_str(&format!(" … and {} more", items.len() - shown));
    }
    out
}
