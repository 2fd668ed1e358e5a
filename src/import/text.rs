//! Reads a text export of a plan: paragraphs on their own lines, table rows
//! as tab-separated cells that may hold HTML fragments, and empty lines where
//! the original's pages broke.
//!
//! Promises: every non-empty line becomes exactly one block, in order, so
//! nothing is lost before assembly; a line is a table row if and only if it
//! holds a tab.

use super::columns::{self, HeaderVerdict};
use super::html;
use super::layout::{self, Block};

/// The blocks of a text export.
pub(crate) fn blocks(content: &str) -> Vec<Block> {
    content
        .lines()
        .map(|line| {
            if line.trim().is_empty() {
                Block::Break
            } else if line.contains('\t') {
                Block::Row {
                    cells: line.split('\t').map(html::to_text).collect(),
                    source_row: None,
                }
            } else {
                let text = html::to_text(line);
                let heading = layout::is_caps_heading(&text);
                Block::Para { text, heading }
            }
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
