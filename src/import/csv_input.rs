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
//! (`text::unguard`), and no other. A row with more than
//! [`layout::MAX_CELLS`] cells or a cell over [`layout::MAX_CELL_BYTES`] is
//! refused by its row, and so is a quoted cell that swallowed the rows
//! after it (a stray or missing quote), by the line its quote opens on:
//! merging fifty actions into one is not a warning's worth.

use crate::text::unguard;

use super::ImportError;
use super::columns::{self, HeaderVerdict, Role};
use super::html;
use super::layout::{self, Block};

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
    let header_row = header.position().map_or(1, |p| p.record() + 1);
    layout::check_row(
        &|| format!("CSV row {header_row}"),
        &header.iter().collect::<Vec<_>>(),
    )?;
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
        let row = i as u64 + 2;
        layout::check_row(
            &|| format!("CSV row {row}"),
            &record.iter().collect::<Vec<_>>(),
        )?;
        let line = record.position().map_or(row, |p| p.line());
        runaway_quote(&record, header.len(), line)?;
        let cells = record
            .iter()
            .map(|c| html::to_text(&unguard(c).replace("\r\n", "\n")))
            .collect();
        blocks.push(Block::Row {
            cells,
            source_row: Some(row),
        });
    }
    Ok(blocks)
}

/// The fewest lines inside one cell that look like rows of their own before
/// the cell is taken for rows swallowed by a stray quote.
const RUNAWAY_LINES: usize = 3;

/// Refuses a record whose quoted cell swallowed the rows after it: a cell
/// holding [`RUNAWAY_LINES`] or more lines that each have as many commas as
/// a row of the file has (at least two). A real cell may hold a line break
/// or a list with commas; a run of lines shaped like the file's rows is a
/// quote left open. `line` is the record's first line in the file; the
/// error names the line where the runaway cell, and so its quote, opens.
fn runaway_quote(record: &csv::StringRecord, columns: usize, line: u64) -> Result<(), ImportError> {
    let commas = columns.saturating_sub(1).max(2);
    let mut line = line;
    for cell in record {
        let row_like = cell
            .lines()
            .skip(1)
            .filter(|l| l.matches(',').count() >= commas)
            .count();
        if row_like >= RUNAWAY_LINES {
            return Err(ImportError::RunawayQuote {
                at: format!("CSV line {line}"),
                lines: cell.lines().count().saturating_sub(1),
            });
        }
        line += cell.matches('\n').count() as u64;
    }
    Ok(())
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
    // A row past the cell limit is refused when read; recognising its first
    // cells is enough to say it is a CSV header, and keeps this linear.
    let cells: Vec<String> = first
        .iter()
        .take(layout::MAX_CELLS + 1)
        .map(String::from)
        .collect();
    cells.len() >= 3 && !matches!(columns::recognise(&cells), HeaderVerdict::NotHeader)
}
