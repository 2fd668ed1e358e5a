//! Text that must not fight the terminal or the reader.
//!
//! A plan imported from a partnership's document can hold anything a cell
//! can: an escape sequence that moves the cursor or clears lines on an
//! auditor's screen, a NUL, or a right-to-left override that makes a
//! report read differently from what is stored. The ledger keeps imported
//! text exactly as it was (it is evidence), so these characters are
//! neutralised where text leaves the ledger for a person: [`visible`]
//! writes each one as an escape (`\u{1b}`), and every terminal printer and
//! the Markdown, HTML and CSV exports pass stored text through it. JSON
//! escapes control characters by itself.
//!
//! Text a person types at the command line has no reason to hold them, so
//! the command line refuses them ([`typed`]) before anything is written.
//! The rule book does not: it would then refuse stored imported text, and
//! `verify` would fail ledgers whose only fault is faithfully kept input.
//!
//! A spreadsheet is a reader too: a CSV cell that starts like a formula is
//! guarded with an apostrophe ([`is_guarded`]), and the CSV importer takes
//! off exactly that apostrophe ([`unguard`]), so an export reads back as
//! the text it came from.

use std::borrow::Cow;
use std::fmt::Write as _;

/// True for a character that must never reach a terminal or a report raw:
/// a control character other than newline and tab (C0, DEL and C1, which
/// hold the escape and carriage-return tricks), or a bidirectional
/// formatting character (the embeddings and overrides U+202A–U+202E, the
/// isolates U+2066–U+2069, and the marks U+200E, U+200F and U+061C), which
/// can make text display in an order other than the one stored.
pub fn is_hidden(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every [hidden](is_hidden) character written as a Rust-style
/// escape (`\u{1b}`, `\u{202e}`); borrowed, unchanged, when there is none.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_hidden(c) {
            // Writing to a String cannot fail.
            let _ = write!(shown, "\\u{{{:x}}}", u32::from(c));
        } else {
            shown.push(c);
        }
    }
    Cow::Owned(shown)
}

/// Text typed at the command line that holds a [hidden](is_hidden)
/// character. The message names the argument and the character's code
/// point, never the text itself, so the refusal cannot carry the escape
/// to the terminal either.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{argument} holds U+{code:04X}, {}: type it without control characters or text-direction overrides",
    kind_words(*code)
)]
pub struct HiddenCharacter {
    /// The argument as a person would name it: "--reason", "NOTE", "--actor".
    pub argument: &'static str,
    /// The first hidden character's code point.
    pub code: u32,
}

fn kind_words(code: u32) -> &'static str {
    match char::from_u32(code) {
        Some(c) if c.is_control() => "a control character",
        _ => "a text-direction character",
    }
}

/// `value`, if it holds no [hidden](is_hidden) character; otherwise a
/// refusal naming `argument`. Every text argument the command line stores
/// (and `--actor` / `PLANLEDGER_ACTOR`) goes through this one check.
pub fn typed<'a>(argument: &'static str, value: &'a str) -> Result<&'a str, HiddenCharacter> {
    match value.chars().find(|c| is_hidden(*c)) {
        None => Ok(value),
        Some(c) => Err(HiddenCharacter {
            argument,
            code: u32::from(c),
        }),
    }
}

/// Every `(argument, value)` pair through [`typed`]: the first refusal, if
/// any.
pub fn all_typed(arguments: &[(&'static str, &str)]) -> Result<(), HiddenCharacter> {
    for (argument, value) in arguments {
        typed(argument, value)?;
    }
    Ok(())
}

/// The characters a spreadsheet reads as the start of a formula (a tab or
/// a carriage return can hide one behind them).
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A count with thousands separated by commas, as people read it:
/// "100,003".
pub fn thousands(n: impl Into<u64>) -> String {
    let digits = n.into().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// True if the CSV export puts its guard apostrophe before `cell`: the
/// cell starts like a formula, or is apostrophes followed by one. Guarding
/// the second kind too keeps the guard removable: [`unguard`] takes off one
/// apostrophe exactly when what follows is guarded, so every cell reads
/// back as it was.
pub fn is_guarded(cell: &str) -> bool {
    cell.trim_start_matches('\'').starts_with(FORMULA_STARTS)
}

/// A CSV cell with the export's guard apostrophe removed, and only that:
/// `'=SUM(A1)` reads as `=SUM(A1)`, `'Alice'` stays as it is.
pub fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if is_guarded(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_line_breaks_and_tabs_are_borrowed_unchanged() {
        for text in ["Update Niche", "two\nlines\tand a tab", "", "é – ’ عربى"] {
            assert!(matches!(visible(text), Cow::Borrowed(t) if t == text));
        }
    }

    #[test]
    fn controls_and_direction_overrides_are_escaped() {
        assert_eq!(visible("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(visible("nul\0"), "nul\\u{0}");
        assert_eq!(visible("cr\r"), "cr\\u{d}");
        assert_eq!(visible("\u{7f}\u{9b}"), "\\u{7f}\\u{9b}");
        assert_eq!(visible("x\u{202E}y\u{2066}z"), "x\\u{202e}y\\u{2066}z");
        assert_eq!(visible("\u{200F}\u{061C}"), "\\u{200f}\\u{61c}");
    }

    #[test]
    fn typed_text_with_a_hidden_character_is_refused_by_argument_name() {
        assert_eq!(typed("--reason", "plain words"), Ok("plain words"));
        let refused = typed("--actor", "Sam\u{1b}[8m").unwrap_err();
        assert_eq!(refused.argument, "--actor");
        assert_eq!(refused.code, 0x1b);
        let message = refused.to_string();
        assert!(!message.contains('\u{1b}'));
        assert!(!message.contains('\n'));
        let refused = typed("NOTE", "abc\u{202E}cba").unwrap_err();
        assert_eq!(refused.code, 0x202E);
    }
}
