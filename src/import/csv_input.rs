//! Reads a plan kept as CSV: a header row using the same wordings as the
//! tables of a plan (plus an `Agency` column), then one action per record.
//! The first row is the header whatever it says, so it needs only an action
//! column to be accepted.
//!
//! Promises: quoted cells may hold commas and line breaks (read by the `csv`
//! crate, not by hand); a header without an action column is refused with
//! the headers named; each record remembers its spreadsheet row (the header
//! is row 1) so a person can find it; HTML fragments in cells are made
//! plain as in a text export; the apostrophe planledger's CSV export puts
//! before a cell that starts like a formula is taken off again
//! (`text::unguard`), and no other.

use crate::text::unguard;

use super::ImportError;
use super::columns::{self, HeaderVerdict, Role};
use super::html;
use super::layout::Block;

/// The blocks of a CSV file: the header row, then one row per record.
pub(crate) fn blocks(content: &str) -> Result<Vec<Block>, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(content.as_bytes());
    let mut records = reader.records();
    let header = loop {
        match records.next() {
            None => return Err(ImportError::NoTable),
            Some(record) => {
                let record = record.map_err(|e| ImportError::Csv(e.to_string()))?;
                if record.iter().any(|c| !c.trim().is_empty()) {
                    break record;
                }
            }
        }
    };
    let header: Vec<String> = header.iter().map(|c| c.trim().to_string()).collect();
    let columns = columns::map(&header);
    if !columns.has(Role::Action) {
        return Err(ImportError::NoActionColumn {
            headers: columns.headers,
        });
    }
    let mut blocks = vec![Block::Header(columns)];
    for (i, record) in records.enumerate() {
        let record = record.map_err(|e| ImportError::Csv(e.to_string()))?;
        let cells = record
            .iter()
            .map(|c| html::to_text(&unguard(c).replace("\r\n", "\n")))
            .collect();
        blocks.push(Block::Row {
            cells,
            source_row: Some(i as u64 + 2),
        });
    }
    Ok(blocks)
}

/// True if the first non-empty line is a comma-separated header the
/// importer recognises.
pub(crate) fn has_header(content: &str) -> bool {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(content.as_bytes());
    let Some(Ok(first)) = reader.records().next() else {
        return false;
    };
    let cells: Vec<String> = first.iter().map(String::from).collect();
    cells.len() >= 3 && !matches!(columns::recognise(&cells), HeaderVerdict::NotHeader)
}
