//! Reads a plan kept as a spreadsheet, Excel `.xlsx` or OpenDocument
//! `.ods`, with `calamine` (no office suite needed): each sheet is a table.
//!
//! Promises: the rows of a sheet above its header row are paragraphs (a
//! title, a partnership), as in a Word document; a sheet whose name names
//! an agency ("Thames Valley Police", not "Sheet1" or "Action plan") heads
//! its table like an agency heading in the text layout, and an Agency
//! column still wins row by row; each sheet ends its table. A date stored
//! as a serial number becomes ISO text ("2019-07-31") that the date parser
//! reads, and a date written as text stays text. A merged cell's text
//! stays in its first cell and the cells it covers are empty, as with the
//! Word reader's merged cells, so the assembler's continuation rules apply
//! unchanged. A cell's lines are separated by `\n`. A file that is not a
//! readable workbook is refused with the reason, as is one whose entries
//! declare more than 256 MiB unpacked (a zip bomb). An `.xlsx` sheet is read
//! cell by cell, so a cell placed far away cannot make a huge grid; a cell
//! beyond column [`MAX_COLUMN`] is refused rather than dropped. `calamine`
//! is a reader of untrusted bytes that can panic on some damaged files (an
//! arithmetic overflow on a cell reference of many letters, seen by the
//! fuzz test): every call into it runs [`contained`], so such a file is
//! refused with one line like any other unreadable workbook.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::Cursor;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use calamine::{Data, DataRef, ExcelDateTime, Ods, Reader, Xlsx};

use super::ImportError;
use super::columns::{self, HeaderVerdict};
use super::layout::{Block, is_caps_heading};

/// The last column (counted from 0) a plan's cell may sit in: far more
/// than any action table has, few enough that a row stays small.
pub(crate) const MAX_COLUMN: u32 = 255;

/// The most a workbook's entries may declare they hold, uncompressed: a
/// plan is a few megabytes, a zip bomb gigabytes.
const MAX_UNPACKED_BYTES: u128 = 256 * 1024 * 1024;

/// Refuses a workbook whose entries declare more than
/// [`MAX_UNPACKED_BYTES`], before `calamine` unpacks any of them.
fn check_size(bytes: &[u8]) -> Result<(), ImportError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(bad)?;
    let mut total = 0u128;
    for i in 0..archive.len() {
        // The central directory's sizes, known even where an entry's own
        // header defers them to a data descriptor.
        total += u128::from(archive.by_index_raw(i).map_err(bad)?.size());
        if total > MAX_UNPACKED_BYTES {
            return Err(ImportError::BadSheet(format!(
                "its contents unpack to more than {} MiB",
                MAX_UNPACKED_BYTES / (1024 * 1024)
            )));
        }
    }
    Ok(())
}

/// The blocks of an Excel workbook.
pub(crate) fn xlsx_blocks(bytes: &[u8]) -> Result<Vec<Block>, ImportError> {
    check_size(bytes)?;
    contained(|| read_xlsx(bytes))
}

/// The blocks of an OpenDocument spreadsheet.
pub(crate) fn ods_blocks(bytes: &[u8]) -> Result<Vec<Block>, ImportError> {
    check_size(bytes)?;
    contained(|| read_ods(bytes))
}

thread_local! {
    /// True while this thread runs a reader inside [`contained`].
    static CONTAINING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `read`, turning a panic inside it into a refusal of the file.
///
/// The process's panic hook is wrapped once so that a panic contained here
/// prints nothing (the refusal says what happened); every other panic, on
/// this thread or another, reaches the hook that was there before.
fn contained<T>(read: impl FnOnce() -> Result<T, ImportError>) -> Result<T, ImportError> {
    static QUIET_HOOK: Once = Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !CONTAINING.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = CONTAINING.with(|c| c.replace(true));
    let outcome = panic::catch_unwind(AssertUnwindSafe(read));
    CONTAINING.with(|c| c.set(was));
    outcome.unwrap_or_else(|_| {
        Err(ImportError::BadSheet(
            "its contents are damaged (the spreadsheet reader stopped on them)".into(),
        ))
    })
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Block>, ImportError> {
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(bad)?;
    let mut blocks = Vec::new();
    for name in book.sheet_names() {
        let mut grid: BTreeMap<u32, BTreeMap<u32, String>> = BTreeMap::new();
        let mut cells = book.worksheet_cells_reader(&name).map_err(bad)?;
        while let Some(cell) = cells.next_cell().map_err(bad)? {
            let (row, column) = cell.get_position();
            let text = ref_text(cell.get_value());
            if text.is_empty() {
                continue;
            }
            if column > MAX_COLUMN {
                return Err(too_wide(&name, row.into(), column.into()));
            }
            grid.entry(row).or_default().insert(column, text);
        }
        let rows = grid.into_values().map(|row| {
            let width = row.keys().next_back().map_or(0, |c| *c as usize + 1);
            let mut cells = vec![String::new(); width];
            for (column, text) in row {
                cells[column as usize] = text;
            }
            cells
        });
        sheet(&name, rows, &mut blocks);
    }
    Ok(blocks)
}

fn read_ods(bytes: &[u8]) -> Result<Vec<Block>, ImportError> {
    let mut book = Ods::new(Cursor::new(bytes)).map_err(bad)?;
    let mut blocks = Vec::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).map_err(bad)?;
        let (first_row, first_column) = range.start().unwrap_or((0, 0));
        let mut rows = Vec::new();
        for (i, row) in range.rows().enumerate() {
            let mut cells: Vec<String> = row.iter().map(data_text).collect();
            while cells.last().is_some_and(String::is_empty) {
                cells.pop();
            }
            if let Some(last) = cells.len().checked_sub(1) {
                let column = u64::from(first_column) + last as u64;
                if column > u64::from(MAX_COLUMN) {
                    let row = u64::from(first_row) + i as u64;
                    return Err(too_wide(&name, row, column));
                }
            }
            rows.push(cells);
        }
        sheet(&name, rows.into_iter(), &mut blocks);
    }
    Ok(blocks)
}

/// The blocks of one sheet: rows above the header as paragraphs, the
/// sheet's name as the heading if it names an agency, then its table.
fn sheet(name: &str, rows: impl Iterator<Item = Vec<String>>, blocks: &mut Vec<Block>) {
    let mut in_table = false;
    for cells in rows {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if !in_table {
            match columns::recognise(&cells) {
                HeaderVerdict::NotHeader => {
                    let text = cells
                        .iter()
                        .map(|c| c.trim())
                        .filter(|c| !c.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ");
                    let heading = is_caps_heading(&text);
                    blocks.push(Block::Para { text, heading });
                    continue;
                }
                _ => {
                    in_table = true;
                    if names_agency(name) {
                        blocks.push(Block::Para {
                            text: name.trim().to_string(),
                            heading: true,
                        });
                    }
                }
            }
        }
        blocks.push(Block::Row {
            cells,
            source_row: None,
        });
    }
    blocks.push(Block::TableEnd);
}

/// Words that make a sheet's name say what the sheet is rather than whose
/// actions it holds.
const NOT_AGENCY: &[&str] = &[
    "sheet",
    "tabelle",
    "feuil",
    "hoja",
    "plan",
    "plans",
    "action",
    "actions",
    "tracker",
    "tracking",
    "summary",
    "overview",
    "recommendation",
    "recommendations",
    "notes",
    "instructions",
    "guidance",
    "contents",
    "cover",
    "dashboard",
    "template",
    "key",
    "data",
    "lookup",
    "lists",
    "progress",
    "review",
    "dhr",
];

/// True if a sheet's name can name an agency: it has letters and none of
/// its words is one a spreadsheet names its own sheets with ("Sheet1",
/// "Action plan", "Tracker").
pub(crate) fn names_agency(name: &str) -> bool {
    let lower = name.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .collect();
    !words.is_empty() && !words.iter().any(|w| NOT_AGENCY.contains(w))
}

fn bad(error: impl std::fmt::Display) -> ImportError {
    ImportError::BadSheet(error.to_string())
}

fn too_wide(sheet: &str, row: u64, column: u64) -> ImportError {
    ImportError::BadSheet(format!(
        "sheet '{sheet}' has a cell in column {} (row {}), beyond the {} columns a plan's table may have",
        column + 1,
        row + 1,
        u64::from(MAX_COLUMN) + 1
    ))
}

fn ref_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::SharedString(s) => lines(s),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number(*f),
        DataRef::String(s) => lines(s),
        DataRef::Bool(b) => boolean(*b),
        DataRef::DateTime(d) => date_time(d),
        DataRef::DateTimeIso(s) => iso(s),
        DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => e.to_string(),
        DataRef::Empty => String::new(),
    }
}

fn data_text(value: &Data) -> String {
    match value {
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number(*f),
        Data::String(s) => lines(s),
        Data::Bool(b) => boolean(*b),
        Data::DateTime(d) => date_time(d),
        Data::DateTimeIso(s) => iso(s),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => e.to_string(),
        Data::Empty => String::new(),
    }
}

/// A cell's text with its line breaks as `\n`.
fn lines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// A whole number without a decimal point ("3", not "3.0").
fn number(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

fn boolean(b: bool) -> String {
    if b { "TRUE" } else { "FALSE" }.to_string()
}

/// A serial date as ISO text ("2019-07-31"), with the time of day only if
/// it is not midnight; a duration as its number of days.
fn date_time(d: &ExcelDateTime) -> String {
    if !d.is_datetime() {
        return number(d.as_f64());
    }
    let (year, month, day, hour, minute, ..) = d.to_ymd_hms_milli();
    if (hour, minute) == (0, 0) {
        format!("{year:04}-{month:02}-{day:02}")
    } else {
        format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}")
    }
}

/// An OpenDocument date ("2019-07-31T00:00:00") without a midnight time.
fn iso(text: &str) -> String {
    match text.split_once('T') {
        Some((date, time)) if time.trim_start_matches(['0', ':', '.']).is_empty() => {
            date.to_string()
        }
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_that_name_agencies() {
        for name in ["Thames Valley Police", "A2Dominion", "OXFORD HEALTH", "GP"] {
            assert!(names_agency(name), "{name}");
        }
        for name in [
            "Sheet1",
            "Sheet 2",
            "Action plan",
            "Tracker",
            "DHR Alice",
            "2021",
            "",
        ] {
            assert!(!names_agency(name), "{name}");
        }
    }

    #[test]
    fn cell_values_read_as_text() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(2.5), "2.5");
        let date = ExcelDateTime::new(43677.0, calamine::ExcelDateTimeType::DateTime, false);
        assert_eq!(date_time(&date), "2019-07-31");
        assert_eq!(iso("2019-07-31T00:00:00"), "2019-07-31");
        assert_eq!(iso("2019-07-31"), "2019-07-31");
        assert_eq!(iso("2019-07-31T10:30:00"), "2019-07-31T10:30:00");
        assert_eq!(lines("a\r\nb"), "a\nb");
    }
}
