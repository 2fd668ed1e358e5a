//! Reads a text export of a plan: paragraphs on their own lines, table rows
//! as tab-separated cells that may hold HTML fragments, and empty lines where
//! the original's pages broke.
//!
//! Promises: every non-empty line becomes exactly one block, in order, so
//! nothing is lost before assembly; a line is a table row if and only if it
//! holds a tab; a line too large to record is refused by its number.

use super::ImportError;
use super::columns::{self, HeaderVerdict};
use super::html;
use super::layout::{self, Block};

/// The blocks of a text export. A row with more than
/// [`layout::MAX_CELLS`] cells or a cell over [`layout::MAX_CELL_BYTES`] is
/// refused with its line number.
pub(crate) fn blocks(content: &str) -> Result<Vec<Block>, ImportError> {
    content
        .lines()
        .enumerate()
        .map(|(i, line)| {
            Ok(if line.trim().is_empty() {
                Block::Break
            } else if line.contains('\t') {
                let cells: Vec<&str> = line.split('\t').take(layout::MAX_CELLS + 1).collect();
                layout::check_row(&|| format!("Line {}", i + 1), &cells)?;
                Block::Row {
                    cells: cells.into_iter().map(html::to_text).collect(),
                    source_row: None,
                }
            } else {
                layout::check_cell(&|| format!("Line {}", i + 1), 1, line.len())?;
                let text = html::to_text(line);
                let heading = layout::is_caps_heading(&text);
                Block::Para { text, heading }
            })
        })
        .collect()
}

/// True if some line is a tab-separated header row the importer recognises.
pub(crate) fn has_table_header(content: &str) -> bool {
    content.lines().filter(|l| l.contains('\t')).any(|line| {
        let cells: Vec<String> = line.split('\t').map(String::from).collect();
        !matches!(columns::recognise(&cells), HeaderVerdict::NotHeader)
    })
}
