//! Turns the HTML fragments that plan cells hold (`<p>`, `<ul>`, `<li>`,
//! `<i>`, `<br>`) into plain text lines.
//!
//! Promises: a paragraph, a line break and a list item each start a new
//! line; inside a list whose items are written inline with `•` or ` - `
//! markers (as the shipped plan's `<ul>` cells are, often unclosed), each
//! marker starts a new line and keeps its marker; tags the module does not
//! know are left as written, so a literal `<` in prose survives; the common
//! entities are decoded. Every line is trimmed, runs of spaces collapse and
//! empty lines are dropped. This is a fragment cleaner, not an HTML parser:
//! the cells are short, machine-written fragments, and a full HTML engine
//! would be a heavy dependency for them.

use super::dates::tidy_lines;

/// Tags that end or begin a line.
const BLOCK_TAGS: &[&str] = &["p", "br", "div", "li", "ul", "ol", "tr", "h1", "h2", "h3"];
/// Tags dropped without a trace.
const INLINE_TAGS: &[&str] = &[
    "i", "b", "em", "strong", "u", "span", "a", "font", "sup", "sub",
];

/// The plain text of an HTML fragment, one line per paragraph or list item.
pub(crate) fn to_text(fragment: &str) -> String {
    let mut out = String::with_capacity(fragment.len());
    let mut in_list = false;
    let mut rest = fragment;
    while let Some(c) = rest.chars().next() {
        if c == '<'
            && let Some((name, closing, len)) = tag(rest)
        {
            if BLOCK_TAGS.contains(&name.as_str()) {
                out.push('\n');
                match (name.as_str(), closing) {
                    ("ul" | "ol", false) => in_list = true,
                    ("ul" | "ol", true) | ("p", _) => in_list = false,
                    _ => {}
                }
            }
            rest = &rest[len..];
            continue;
        }
        if c == '&'
            && let Some((decoded, len)) = entity(rest)
        {
            out.push(decoded);
            rest = &rest[len..];
            continue;
        }
        if in_list && is_marker(c, &out, &rest[c.len_utf8()..]) {
            out.push('\n');
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    tidy_lines(&out.replace('\u{a0}', " "))
}

/// A list marker: `•` anywhere, or `-`/`*` standing alone between spaces.
fn is_marker(c: char, before: &str, after: &str) -> bool {
    let spaced_before = before.is_empty() || before.ends_with(char::is_whitespace);
    let spaced_after = after.is_empty() || after.starts_with(char::is_whitespace);
    match c {
        '•' | '◦' | '▪' => true,
        '-' | '*' | '–' => spaced_before && spaced_after,
        _ => false,
    }
}

/// A known tag at the start of `text`: its lower-case name, whether it
/// closes, and its length in bytes.
fn tag(text: &str) -> Option<(String, bool, usize)> {
    // A tag is looked for within its first KiB, so that a cell of many `<`
    // and no `>` is read in linear time.
    let end = text.bytes().take(1024).position(|b| b == b'>')?;
    let inner = &text[1..end];
    let (closing, inner) = match inner.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (false, inner),
    };
    let name: String = inner
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    let after_name = &inner[name.len()..];
    let well_formed = after_name.is_empty()
        || after_name.starts_with(char::is_whitespace)
        || after_name.trim() == "/";
    let known = BLOCK_TAGS.contains(&name.as_str()) || INLINE_TAGS.contains(&name.as_str());
    (known && well_formed).then_some((name, closing, end + 1))
}

/// A character entity at the start of `text`: the character and its length.
fn entity(text: &str) -> Option<(char, usize)> {
    let (end, _) = text.char_indices().take(12).find(|&(_, c)| c == ';')?;
    let name = &text[1..end];
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "ndash" => '–',
        "mdash" => '—',
        "bull" => '•',
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((c, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_become_lines() {
        assert_eq!(
            to_text("<p>Completed</p> <p>April 2020</p>"),
            "Completed\nApril 2020"
        );
        assert_eq!(to_text("<i>OHFT to   work.</i>"), "OHFT to work.");
        assert_eq!(to_text("plain text"), "plain text");
    }

    #[test]
    fn inline_list_items_get_their_own_lines() {
        let cell =
            r#"<ul style="list-style-type: none"> • Create guidance. • Disseminate it • Present "#;
        assert_eq!(
            to_text(cell),
            "• Create guidance.\n• Disseminate it\n• Present"
        );
        let cell = r#"in order to:</p> <ul style="list-style-type: none"> - inform the agency - and especially to update <p>The decision</p>"#;
        assert_eq!(
            to_text(cell),
            "in order to:\n- inform the agency\n- and especially to update\nThe decision"
        );
        assert_eq!(to_text("<ul><li>one</li><li>two</li></ul>"), "one\ntwo");
    }

    #[test]
    fn unknown_tags_and_entities() {
        assert_eq!(to_text("a < b and c<d> &amp; &#233;"), "a < b and c<d> & é");
        assert_eq!(to_text("Carenotes- training"), "Carenotes- training");
        assert_eq!(to_text("dual - diagnosis"), "dual - diagnosis");
    }
}
