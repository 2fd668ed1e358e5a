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
//! malformed XML is refused with the reason. `word/document.xml` is read to
//! at most 64 MiB, so a zip bomb cannot exhaust memory.

use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;

use super::ImportError;
use super::layout::{Block, is_caps_heading};

const MAX_XML_BYTES: u64 = 64 * 1024 * 1024;

/// The blocks of a Word document.
pub(crate) fn blocks(bytes: &[u8]) -> Result<Vec<Block>, ImportError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ImportError::BadDocx(format!("it is not a complete zip archive ({e})")))?;
    let file = archive
        .by_name("word/document.xml")
        .map_err(|e| ImportError::BadDocx(format!("word/document.xml cannot be opened ({e})")))?;
    let mut xml = String::new();
    file.take(MAX_XML_BYTES)
        .read_to_string(&mut xml)
        .map_err(|e| ImportError::BadDocx(format!("word/document.xml cannot be read ({e})")))?;
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
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                b"tbl" => s.depth += 1,
                b"tr" if s.depth == 1 => s.row.clear(),
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
                    s.row.push(text);
                    for _ in 1..s.span {
                        s.row.push(String::new());
                    }
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
