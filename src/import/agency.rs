//! Names an agency readably from a heading written in capitals:
//! "A2 DOMINION HOUSING GROUP LTD." becomes "A2Dominion Housing Group Ltd.".
//!
//! Promises: a name that is not all capitals is returned as written; words
//! are never added or dropped, only re-cased, except that two heading words
//! are joined where the section itself spells them as one word ("A2
//! DOMINION" and the section's "A2Dominion"); a word the section writes in
//! capitals, or a known acronym, stays in capitals; small words ("the",
//! "of") are lower case unless first.

use super::layout::is_caps_heading;

/// Acronyms common in plans, kept in capitals even if the section never
/// writes them.
const ACRONYMS: &[&str] = &[
    "NHS", "CCG", "OCCG", "GP", "TVP", "CSP", "DA", "IDVA", "MARAC", "OHFT", "UK", "CIC", "ODAS",
    "OSAB", "DHR", "ICB",
];
const SMALL_WORDS: &[&str] = &[
    "and", "of", "the", "for", "in", "on", "at", "to", "by", "with", "a", "an",
];

/// The agency name in a readable case. `section_text` is the text of the
/// section's rows, whose spellings are preferred.
pub(crate) fn readable(heading: &str, section_text: &str) -> String {
    let heading = heading.split_whitespace().collect::<Vec<_>>().join(" ");
    if !is_caps_heading(&heading) {
        return heading;
    }
    let spellings: Vec<&str> = section_text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let words: Vec<&str> = heading.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let (core, tail) = split_punctuation(words[i]);
        if let Some(next) = words.get(i + 1) {
            let (next_core, next_tail) = split_punctuation(next);
            let joined = format!("{core}{next_core}");
            if tail.is_empty()
                && let Some(spelling) = spellings
                    .iter()
                    .find(|s| s.eq_ignore_ascii_case(&joined) && s.chars().any(char::is_lowercase))
            {
                out.push(format!("{spelling}{next_tail}"));
                i += 2;
                continue;
            }
        }
        let cased = if core.chars().any(|c| c.is_ascii_digit())
            || ACRONYMS.contains(&core)
            || (core.len() >= 2 && core.len() <= 5 && spellings.contains(&core))
        {
            core.to_string()
        } else if i > 0 && SMALL_WORDS.contains(&core.to_lowercase().as_str()) {
            core.to_lowercase()
        } else {
            capitalise(core)
        };
        out.push(format!("{cased}{tail}"));
        i += 1;
    }
    out.join(" ")
}

/// A word and the punctuation after it: ("LTD", "."), ("COUNCIL", ",").
fn split_punctuation(word: &str) -> (&str, &str) {
    let end = word
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_alphanumeric())
        .map_or(0, |(i, c)| i + c.len_utf8());
    word.split_at(end)
}

/// "HOUSING" → "Housing"; each hyphenated part is capitalised.
fn capitalise(word: &str) -> String {
    word.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first
                    .to_uppercase()
                    .chain(chars.flat_map(char::to_lowercase))
                    .collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<String>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_become_readable() {
        let cases = [
            ("THAMES VALLEY POLICE", "", "Thames Valley Police"),
            ("REDUCING THE RISK", "", "Reducing the Risk"),
            (
                "WEST OXFORDSHIRE DISTRICT COUNCIL, HOUSING",
                "",
                "West Oxfordshire District Council, Housing",
            ),
            (
                "A2 DOMINION HOUSING GROUP LTD.",
                "Lead: A2Dominion Group",
                "A2Dominion Housing Group Ltd.",
            ),
            (
                "OXFORD HEALTH NHS FOUNDATION TRUST",
                "",
                "Oxford Health NHS Foundation Trust",
            ),
            ("Turning Point", "", "Turning Point"),
            ("SAFER-OXFORDSHIRE", "", "Safer-Oxfordshire"),
        ];
        for (heading, section, want) in cases {
            assert_eq!(readable(heading, section), want, "{heading}");
        }
    }
}
