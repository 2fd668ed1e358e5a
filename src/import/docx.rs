//! Reads a Word `.docx` plan without an office suite: opens the zip with
//! `zip`, streams `word/document.xml` with `quick-xml`, and yields body
//! paragraphs and table rows.
//!
//! Promises: a paragraph inside a cell becomes a line of that cell, as does
//! a line break (`w:br`); a tab is a space; a cell spanning several grid
//! columns (`w:gridSpan`) is followed by empty cells so later cells keep
//! their column; a table nested in a cell adds its text to the cell; a body
//! paragraph with a heading or title style, or written in capitals, is a
//! heading (the agency of the table below it). A vertically merged cell's
//! continuation is empty, so its text stays with the first row it spans.
//! A file that is not a complete zip, has no `word/document.xml`, or holds
//! malformed XML is refused with the reason, and so is a document that ends
//! with elements still open (a file cut short). `word/document.xml` over
//! 64 MiB is refused, never cut off, so a zip bomb cannot exhaust memory and
//! no part of a plan goes missing without a word. A row is refused, by its
//! table and row number, once it holds more than [`MAX_CELLS`] cells (a
//! `gridSpan` counts as the cells it spans) or a cell over
//! 64 KiB, so the work done is bounded by the file's size.

use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;

use super::ImportError;
use super::layout::{Block, MAX_CELLS, check_cell, is_caps_heading};

const MAX_XML_BYTES: u64 = 64 * 1024 * 1024;

/// The blocks of a Word document.
pub(crate) fn blocks(bytes: &[u8]) -> Result<Vec<Block>, ImportError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ImportError::BadDocx(format!("it is not a complete zip archive ({e})")))?;
    let file = archive
        .by_name("word/document.xml")
        .map_err(|e| ImportError::BadDocx(format!("word/document.xml cannot be opened ({e})")))?;
    let mut xml = String::new();
    // One byte past the cap tells a document over it from one exactly at it.
    file.take(MAX_XML_BYTES + 1)
        .read_to_string(&mut xml)
        .map_err(|e| ImportError::BadDocx(format!("word/document.xml cannot be read ({e})")))?;
    if xml.len() as u64 > MAX_XML_BYTES {
        return Err(ImportError::BadDocx(format!(
            "word/document.xml is larger than {} MiB, more than any action plan holds",
            MAX_XML_BYTES / (1024 * 1024)
        )));
    }
    read_xml(&xml)
}

#[derive(Default)]
struct State {
    blocks: Vec<Block>,
    /// How many tables we are inside.
    depth: usize,
    row: Vec<String>,
    cell: Vec<String>,
    span: usize,
    paragraph: String,
    style: String,
    in_text: bool,
    /// Elements opened and not yet closed.
    open: usize,
    /// Top-level tables seen so far, and rows seen in the current one, to
    /// say where a refused row is.
    tables: usize,
    rows: usize,
}

impl State {
    fn row_at(&self) -> String {
        format!("Table {}, row {}", self.tables, self.rows)
    }

    /// Adds a finished cell and the empty cells its span covers, refusing a
    /// row that grows past [`MAX_CELLS`].
    fn push_cell(&mut self, text: String) -> Result<(), ImportError> {
        check_cell(&|| self.row_at(), self.row.len() + 1, text.len())?;
        if self.row.len() + self.span > MAX_CELLS {
            return Err(ImportError::TooManyCells {
                at: self.row_at(),
                max: MAX_CELLS,
            });
        }
        self.row.push(text);
        for _ in 1..self.span {
            self.row.push(String::new());
        }
        Ok(())
    }
}

fn read_xml(xml: &str) -> Result<Vec<Block>, ImportError> {
    let mut reader = Reader::from_str(xml);
    let mut s = State::default();
    loop {
        let event = reader.read_event().map_err(|e| {
            ImportError::BadDocx(format!(
                "word/document.xml is not well-formed at byte {} ({e})",
                reader.error_position()
            ))
        })?;
        match &event {
            Event::Start(_) => s.open += 1,
            Event::End(_) => s.open = s.open.saturating_sub(1),
            _ => {}
        }
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                b"tbl" => {
                    s.depth += 1;
                    if s.depth == 1 {
                        s.tables += 1;
                        s.rows = 0;
                    }
                }
                b"tr" if s.depth == 1 => {
                    s.row.clear();
                    s.rows += 1;
                }
                b"tc" if s.depth == 1 => {
                    s.cell.clear();
                    s.span = 1;
                }
                b"p" => {
                    s.paragraph.clear();
                    s.style.clear();
                }
                b"t" => s.in_text = true,
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                b"tab" => s.paragraph.push(' '),
                b"br" | b"cr" => s.paragraph.push('\n'),
                b"pStyle" => s.style = value(&e)?,
                b"gridSpan" if s.depth == 1 => {
                    s.span = value(&e)?.parse().unwrap_or(1).clamp(1, 64)
                }
                _ => {}
            },
            Event::Text(e) if s.in_text => {
                let text = e
                    .decode()
                    .map_err(|e| ImportError::BadDocx(e.to_string()))?;
                s.paragraph.push_str(&text);
            }
            Event::GeneralRef(e) if s.in_text => {
                let name = e
                    .decode()
                    .map_err(|e| ImportError::BadDocx(e.to_string()))?;
                let resolved = match e.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => resolve_predefined_entity(&name)
                        .ok_or_else(|| ImportError::BadDocx(format!("unknown entity &{name};")))?
                        .to_string(),
                };
                s.paragraph.push_str(&resolved);
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"t" => s.in_text = false,
                b"p" => end_paragraph(&mut s),
                b"tc" if s.depth == 1 => {
                    let text = s.cell.join("\n");
                    s.push_cell(text)?;
                }
                b"tr" if s.depth == 1 => {
                    let cells = std::mem::take(&mut s.row);
                    s.blocks.push(Block::Row {
                        cells,
                        source_row: None,
                    });
                }
                b"tbl" => {
                    s.depth = s.depth.saturating_sub(1);
                    if s.depth == 0 {
                        s.blocks.push(Block::TableEnd);
                    }
                }
                _ => {}
            },
            Event::Eof if s.open > 0 => {
                return Err(ImportError::BadDocx(format!(
                    "word/document.xml ends with {} element(s) still open, so the document is cut short",
                    s.open
                )));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(s.blocks)
}

fn end_paragraph(s: &mut State) {
    let text = s
        .paragraph
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    s.paragraph.clear();
    if text.is_empty() {
        return;
    }
    if s.depth == 0 {
        let style = s.style.to_ascii_lowercase();
        let heading = style.starts_with("heading") || style == "title" || is_caps_heading(&text);
        s.blocks.push(Block::Para { text, heading });
    } else {
        s.cell.push(text);
    }
}

/// The `w:val` attribute of an element, or "".
fn value(e: &quick_xml::events::BytesStart<'_>) -> Result<String, ImportError> {
    for attribute in e.attributes() {
        let attribute = attribute.map_err(|e| ImportError::BadDocx(e.to_string()))?;
        if attribute.key.local_name().as_ref() == b"val" {
            let value = attribute
                .unescape_value()
                .map_err(|e| ImportError::BadDocx(e.to_string()))?;
            return Ok(value.into_owned());
        }
    }
    Ok(String::new())
}
