//! Reads an action plan document (text export, Word `.docx`, CSV, or an
//! Excel `.xlsx` or OpenDocument `.ods` spreadsheet) into a
//! [`ParsedPlan`]: the plan's particulars, its numbered recommendations and
//! every agency action, in document order, with what the outcome text says
//! happened.
//!
//! This module is pure: it takes bytes and returns values; it never touches
//! the ledger, the file system or the clock, and the same bytes always give
//! the same plan. It promises to drop nothing silently: text it cannot place
//! in an action is kept as a [`ParsedNote`], and every choice a reviewer
//! might question is reported as a [`ParseWarning`]. A completion read from
//! a document is only ever a *claim* ([`OutcomeFact::Claimed`]).
//!
//! The formats are read into one stream of paragraphs and table rows
//! (`layout`) and then assembled by one set of rules (`assemble`), so the
//! same header synonyms, sub-action letters, continuation rows and outcome
//! readings apply to all of them.

mod agency;
pub mod apply;
mod assemble;
mod columns;
mod csv_input;
pub mod dates;
mod docx;
mod facts;
mod html;
mod layout;
mod preamble;
mod sheets;
mod text;
pub mod wording;

use crate::date::{FuzzyDate, Target};
use crate::id::RecId;
use crate::text::visible;

pub use dates::{find_dates, parse_date, parse_target};

/// The kinds of document the importer reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A text export: paragraphs, and table rows with tab-separated cells
    /// that may hold HTML fragments.
    Text,
    /// A Word document (Office Open XML).
    Docx,
    /// Comma-separated values with a header row.
    Csv,
    /// An Excel workbook (Office Open XML): each sheet a table.
    Xlsx,
    /// An OpenDocument spreadsheet: each sheet a table.
    Ods,
}

impl Format {
    /// The lower-case name, as recorded with an import.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Docx => "docx",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Ods => "ods",
        }
    }
}

/// A plan as read from a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedPlan {
    /// The Community Safety Partnership that commissioned the review.
    pub partnership: Option<String>,
    /// The review's name, as the title page gives it in quotes ("Alice").
    pub review: Option<String>,
    /// The independent chair.
    pub chair: Option<String>,
    /// When the review was published: the title page's lone date line.
    pub published: Option<FuzzyDate>,
    /// The numbered recommendations of the summary list, in document order.
    pub recommendations: Vec<ParsedRecommendation>,
    /// Every action row, in document order.
    pub actions: Vec<ParsedAction>,
    /// Text of the action-plan part that is not an action (free paragraphs
    /// between tables, note rows inside a table), kept so nothing is lost.
    pub notes: Vec<ParsedNote>,
    /// What a reviewer should look at, in document order (plan-wide ones
    /// first).
    pub warnings: Vec<ParseWarning>,
    /// Data rows of the action tables: rows that are not headers, not
    /// empty and not the second half of a row broken across a page.
    pub data_rows: usize,
    /// When fewer actions were read than there are data rows (less the
    /// rows kept as notes), the warning that says so; it is also the first
    /// of `warnings`.
    pub shortfall: Option<String>,
}

/// One numbered recommendation of the review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedRecommendation {
    pub number: RecId,
    pub text: String,
}

/// One agency action, as the document states it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedAction {
    /// Where a person finds it: "THAMES VALLEY POLICE, row 1" or
    /// "OXFORD HEALTH NHS FOUNDATION TRUST, row 1, sub-action C". Rows are
    /// counted within an agency's section (across its repeated tables);
    /// lettered sub-actions share their row's number. CSV locators add the
    /// spreadsheet row ("…, row 2 (CSV row 3)").
    pub locator: String,
    /// The agency, in a readable case ("A2Dominion Housing Group Ltd.").
    pub agency: String,
    pub lead: Option<String>,
    /// The action to be taken, HTML stripped, list items on their own lines.
    pub text: String,
    /// The "Recommendation" column as written (HTML stripped).
    pub recommendation_text: Option<String>,
    pub scope: Option<String>,
    /// Recommendation numbers the row cites as written; none if it cites
    /// none. A number the plan does not list is kept and warned about.
    pub recommendations: Vec<RecId>,
    /// The key-milestones (or "outcome expected") column.
    pub milestones: Option<String>,
    /// The target as written, dated with the latest date it names.
    pub target: Option<Target>,
    /// The completion/outcome column verbatim (HTML stripped).
    pub outcome: Option<String>,
    /// What the outcome text (or a lone status word elsewhere) says
    /// happened, in order.
    pub facts: Vec<OutcomeFact>,
}

/// What a document says happened to an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutcomeFact {
    /// The action is said to be complete. Only a claim: assurance decides.
    Claimed {
        outcome: String,
        effective: Option<FuzzyDate>,
    },
    /// Completed and now part of ongoing practice ("Completed and Ongoing").
    Embedded {
        note: String,
        effective: Option<FuzzyDate>,
    },
    /// The action was dropped ("no longer a workstream").
    Withdrawn {
        reason: String,
        effective: Option<FuzzyDate>,
    },
    /// Progress that is not a completion; dated when a paragraph opens with
    /// a date ("16.11.2021. Links to Guidance…").
    Milestone {
        note: String,
        effective: Option<FuzzyDate>,
    },
}

/// Text that is not an action, with where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedNote {
    pub locator: String,
    /// The agency section it sits in, if any.
    pub agency: Option<String>,
    pub text: String,
}

/// Something a reviewer should look at: one plain sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseWarning {
    /// The action's locator, or where in the document; "plan" for the plan
    /// as a whole.
    pub locator: String,
    pub message: String,
}

/// Why a document could not be read at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("The file is not UTF-8 text (the first invalid byte is at offset {offset})")]
    NotUtf8 { offset: usize },
    #[error("The file is empty")]
    Empty,
    #[error(
        "No action table was found: a table needs a header row naming an action column, such as 'Action to be taken'"
    )]
    NoTable,
    #[error("The table has no action column; its headers are: {}", visible(&layout::clip_list(headers, ", ", 20)))]
    NoActionColumn { headers: Vec<String> },
    #[error("The file is not a readable Word document: {}", visible(.0))]
    BadDocx(String),
    #[error("The CSV file could not be read: {}", visible(.0))]
    Csv(String),
    #[error("The file is not a readable spreadsheet (.xlsx or .ods): {}", visible(.0))]
    BadSheet(String),
    #[error(
        "{} has more than {max} cells: a plan's table has a few columns, so the file is damaged or is not an action plan",
        visible(at)
    )]
    TooManyCells { at: String, max: usize },
    #[error(
        "{}, column {column}, holds {len} bytes, more than the {max} one cell may hold (a ledger record holds at most {max} bytes)",
        visible(at)
    )]
    CellTooLong {
        at: String,
        column: usize,
        len: usize,
        max: usize,
    },
    #[error(
        "{}: a quoted cell opened there runs on over {lines} lines that look like rows of their own; a quote is probably missing or stray, so nothing was imported",
        visible(at)
    )]
    RunawayQuote { at: String, lines: usize },
    #[error(
        "The file is a PDF: save the plan as Word (.docx) or export its action table as CSV, then import that"
    )]
    Pdf,
    #[error(
        "The file is an old binary Word or Excel document (.doc or .xls): open it and save it as Word (.docx), or save its action table as CSV, then import that"
    )]
    OldOffice,
    #[error(
        "The file is an OpenDocument {kind}: open it and save it as Word (.docx), or save its action table as CSV, then import that"
    )]
    OpenDocument {
        /// What the document's `mimetype` entry says it is, in words:
        /// "text document (.odt)", "document". A spreadsheet (.ods) is
        /// read, not refused.
        kind: &'static str,
    },
    #[error(
        "The file is a {format} image, which holds no text to read: import the plan's Word (.docx) document, or its action table saved as CSV"
    )]
    Image {
        /// "PNG", "JPEG" or "GIF".
        format: &'static str,
    },
}

/// Recognises a document's format from its content; the file name's
/// extension only breaks a tie or speaks when the content says nothing.
pub fn detect_format(name: &str, bytes: &[u8]) -> Option<Format> {
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    let by_extension = match extension.as_str() {
        "docx" => Some(Format::Docx),
        "csv" => Some(Format::Csv),
        "xlsx" => Some(Format::Xlsx),
        "ods" => Some(Format::Ods),
        "txt" | "text" | "tsv" => Some(Format::Text),
        _ => None,
    };
    if bytes.starts_with(b"PK\x03\x04") {
        if open_document_kind(bytes) == Some(OpenDocument::Spreadsheet) {
            return Some(Format::Ods);
        }
        let holds = |entry: &[u8]| bytes.windows(entry.len()).any(|w| w == entry);
        return if holds(b"word/document.xml") {
            Some(Format::Docx)
        } else if holds(b"xl/workbook.xml") {
            Some(Format::Xlsx)
        } else {
            by_extension.filter(|f| f.is_zip())
        };
    }
    let Ok(content) = std::str::from_utf8(strip_bom(bytes)) else {
        return by_extension.filter(|f| !f.is_zip());
    };
    let mut candidates = Vec::new();
    if text::has_table_header(content) {
        candidates.push(Format::Text);
    }
    if csv_input::has_header(content) {
        candidates.push(Format::Csv);
    }
    match candidates.as_slice() {
        [only] => Some(*only),
        [] => by_extension.filter(|f| !f.is_zip()),
        several => by_extension
            .filter(|f| several.contains(f))
            .or(Some(several[0])),
    }
}

/// Recognises, by their first bytes, the kinds of file a partnership may
/// hold a plan in that the importer cannot read (a PDF, an old binary Word
/// or Excel file, an OpenDocument file, a picture), and says what to do
/// instead. `None` for anything else.
pub fn unreadable_kind(bytes: &[u8]) -> Option<ImportError> {
    const OLE2: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
    // A PDF's header may follow up to 1,024 bytes of anything.
    let head = &bytes[..bytes.len().min(1024)];
    if head.windows(5).any(|w| w == b"%PDF-") {
        return Some(ImportError::Pdf);
    }
    if bytes.starts_with(OLE2) {
        return Some(ImportError::OldOffice);
    }
    match open_document_kind(bytes) {
        Some(OpenDocument::Spreadsheet) | None => {}
        Some(OpenDocument::Other(kind)) => return Some(ImportError::OpenDocument { kind }),
    }
    let image = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "PNG"
    } else if bytes.starts_with(b"\xFF\xD8\xFF") {
        "JPEG"
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        "GIF"
    } else {
        return None;
    };
    Some(ImportError::Image { format: image })
}

/// The kinds of OpenDocument file: a spreadsheet is read, the others are
/// named ("text document (.odt)") and refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OpenDocument {
    Spreadsheet,
    Other(&'static str),
}

/// An OpenDocument file is a zip whose first entry, stored uncompressed, is
/// `mimetype`, holding `application/vnd.oasis.opendocument.<kind>`: the
/// name starts 30 bytes into the local file header, the content follows the
/// name and the header's extra field.
fn open_document_kind(bytes: &[u8]) -> Option<OpenDocument> {
    const PREFIX: &[u8] = b"application/vnd.oasis.opendocument.";
    let header = bytes.get(..30)?;
    if !header.starts_with(b"PK\x03\x04") {
        return None;
    }
    let name_len = usize::from(u16::from_le_bytes([header[26], header[27]]));
    let extra_len = usize::from(u16::from_le_bytes([header[28], header[29]]));
    if bytes.get(30..30 + name_len)? != b"mimetype" {
        return None;
    }
    let content = bytes.get(30 + name_len + extra_len..)?;
    let kind = content.strip_prefix(PREFIX)?;
    Some(
        if kind.starts_with(b"spreadsheet") && !kind.starts_with(b"spreadsheet-template") {
            OpenDocument::Spreadsheet
        } else if kind.starts_with(b"text") {
            OpenDocument::Other("text document (.odt)")
        } else if kind.starts_with(b"spreadsheet") {
            OpenDocument::Other("spreadsheet template (.ots)")
        } else {
            OpenDocument::Other("document")
        },
    )
}

/// Reads a plan document. `format` overrides detection; `name` is only
/// used to detect the format. A kind of file the importer cannot read is
/// refused whatever `format` says ([`unreadable_kind`]).
pub fn parse(name: &str, bytes: &[u8], format: Option<Format>) -> Result<ParsedPlan, ImportError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ImportError::Empty);
    }
    if let Some(refusal) = unreadable_kind(bytes) {
        return Err(refusal);
    }
    // Content that no reader recognises is read as text, which then names
    // what is missing (UTF-8, or a table).
    let format = format
        .or_else(|| detect_format(name, bytes))
        .unwrap_or(Format::Text);
    let blocks = match format {
        Format::Text => text::blocks(utf8(bytes)?)?,
        Format::Csv => csv_input::blocks(utf8(bytes)?)?,
        Format::Docx => docx::blocks(bytes)?,
        Format::Xlsx => sheets::xlsx_blocks(bytes)?,
        Format::Ods => sheets::ods_blocks(bytes)?,
    };
    assemble::assemble(blocks)
}

impl Format {
    /// True for the formats stored as a zip archive.
    fn is_zip(self) -> bool {
        match self {
            Format::Docx | Format::Xlsx | Format::Ods => true,
            Format::Text | Format::Csv => false,
        }
    }
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

fn utf8(bytes: &[u8]) -> Result<&str, ImportError> {
    std::str::from_utf8(strip_bom(bytes)).map_err(|e| ImportError::NotUtf8 {
        offset: e.valid_up_to() + 3 * usize::from(bytes.starts_with(b"\xEF\xBB\xBF")),
    })
}

#[cfg(test)]
mod tests;
