//! Reads the title page and the summary list of recommendations: the
//! paragraphs before the first action table.
//!
//! Promises, each a rule a person can check against the page:
//! - the partnership is the first paragraph naming a "Partnership" (or a
//!   "Community Safety" body) in under fifteen words;
//! - the review's name is the first paragraph wholly in quotes ('Alice'),
//!   or is read from a one-paragraph title ("Domestic Homicide Review –
//!   'Alice' – Action Plan – June 2021", with dashes, bars or colons): its
//!   quoted name, or else the part between the separators that is not the
//!   review, the plan, a partnership or a date; the title's month and year
//!   are the publication date;
//! - the chair is what follows "Chair:" (or "Chair –");
//! - the publication date is the first paragraph that is nothing but a date
//!   ("October 2019"), so "Died August 2017" is not it;
//! - a recommendation is a paragraph opening "Recommendation N" (after an
//!   optional list marker), its text after the separator; a following
//!   paragraph continues it when the text so far has no closing full stop
//!   and the paragraph opens in lower case (a line broken mid-sentence).

use super::dates::date_prefix;
use super::{ParseWarning, ParsedRecommendation};
use crate::date::FuzzyDate;
use crate::id::{Id, RecId};

/// The particulars read from the paragraphs before the first table.
#[derive(Debug, Default)]
pub(crate) struct Preamble {
    pub(crate) partnership: Option<String>,
    pub(crate) review: Option<String>,
    pub(crate) chair: Option<String>,
    pub(crate) published: Option<FuzzyDate>,
    pub(crate) recommendations: Vec<ParsedRecommendation>,
    pub(crate) warnings: Vec<ParseWarning>,
}

/// Reads `paragraphs` (in order; empty lines already removed).
pub(crate) fn read(paragraphs: &[String]) -> Preamble {
    let mut out = Preamble::default();
    let mut open_recommendation = false;
    for paragraph in paragraphs {
        let text = paragraph.trim();
        if let Some((number, body)) = recommendation(text) {
            if out
                .recommendations
                .iter()
                .any(|r| r.number == RecId::of(number))
            {
                out.warnings.push(ParseWarning {
                    locator: "recommendations".into(),
                    message: format!(
                        "Recommendation {number} is listed twice; the first is kept and the second reads: {body}"
                    ),
                });
                open_recommendation = false;
            } else {
                out.recommendations.push(ParsedRecommendation {
                    number: RecId::of(number),
                    text: body.to_string(),
                });
                open_recommendation = true;
            }
            continue;
        }
        if open_recommendation
            && let Some(last) = out.recommendations.last_mut()
            && !last.text.trim_end().ends_with(['.', '!', '?'])
            && text.starts_with(char::is_lowercase)
        {
            last.text = format!("{} {text}", last.text.trim_end());
            continue;
        }
        open_recommendation = false;
        if out.review.is_none()
            && let Some(title) = title(text)
        {
            out.review = title.name;
            if out.published.is_none() {
                out.published = title.published;
            }
            if out.partnership.is_none() {
                out.partnership = title.partnership;
            }
            continue;
        }
        if out.partnership.is_none() {
            let lower = text.to_lowercase();
            if (lower.contains("partnership") || lower.contains("community safety"))
                && text.split_whitespace().count() < 15
            {
                out.partnership = Some(text.to_string());
                continue;
            }
        }
        if out.review.is_none()
            && let Some(name) = quoted(text)
        {
            out.review = Some(name.to_string());
            continue;
        }
        if out.chair.is_none()
            && let Some(name) = chair(text)
        {
            out.chair = Some(name.to_string());
            continue;
        }
        if out.published.is_none()
            && let Some((date, len)) = date_prefix(text, true)
            && text[len..].trim_matches(['.', ' ']).is_empty()
        {
            out.published = Some(date);
        }
    }
    let numbers: Vec<u32> = out.recommendations.iter().map(|r| r.number.get()).collect();
    let mut sorted = numbers.clone();
    sorted.sort_unstable();
    let expected: Vec<u32> = (1..=u32::try_from(numbers.len()).unwrap_or(u32::MAX)).collect();
    if !numbers.is_empty() && sorted != expected {
        out.warnings.push(ParseWarning {
            locator: "recommendations".into(),
            message: format!(
                "The summary's recommendations are not numbered 1 to {} in order: {}.",
                numbers.len(),
                numbers
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    out
}

/// "- Recommendation 3** – All agencies…" → (3, "All agencies…").
fn recommendation(text: &str) -> Option<(u32, &str)> {
    let text = text.trim_start_matches(['-', '*', '•', ' ']);
    let head = text.get(..14)?;
    if !head.eq_ignore_ascii_case("recommendation") {
        return None;
    }
    let rest = text[14..].trim_start();
    let len = rest.bytes().take_while(u8::is_ascii_digit).count();
    let number = rest[..len].parse().ok()?;
    let body = rest[len..].trim_start_matches(['*', ' ', ':', '.', ')', '-', '–', '—']);
    (!body.is_empty()).then_some((number, body.trim_end()))
}

/// What a one-paragraph title gives.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Title {
    pub(crate) name: Option<String>,
    pub(crate) published: Option<FuzzyDate>,
    pub(crate) partnership: Option<String>,
}

/// Reads a title written as one paragraph: "Domestic Homicide Review –
/// 'Alice' – Action Plan – October 2019", its parts separated by dashes
/// (–, —, or - between spaces), bars or colons. It is a title only if one
/// part names the review ("Domestic Homicide Review", "DHR") and another
/// part is a quoted name or the words "Action Plan"; a chair's line is not
/// one. The name is a quoted name anywhere in it, or else the first part
/// that is not the review, the plan, a partnership or a date.
pub(crate) fn title(text: &str) -> Option<Title> {
    if chair(text).is_some() || text.split_whitespace().count() > 30 {
        return None;
    }
    let parts: Vec<&str> = split_title(text);
    if parts.len() < 2 {
        return None;
    }
    let names_review = |part: &str| {
        let lower = part.to_lowercase();
        lower.contains("homicide review")
            || lower.contains("review")
                && lower.split_whitespace().any(|w| w == "dhr" || w == "dhrs")
            || lower.split_whitespace().any(|w| w == "dhr")
    };
    let is_plan = |part: &str| part.to_lowercase().contains("action plan");
    let review_at = parts.iter().position(|p| names_review(p))?;
    let quoted_name = parts
        .iter()
        .find_map(|p| quoted(p).or_else(|| quoted_within(p)));
    if quoted_name.is_none() && !parts.iter().any(|p| is_plan(p)) {
        return None;
    }
    let date_of = |part: &str| {
        date_prefix(part, true)
            .filter(|(_, len)| part[*len..].trim_matches(['.', ' ']).is_empty())
            .map(|(date, _)| date)
    };
    let is_partnership = |part: &str| {
        let lower = part.to_lowercase();
        lower.contains("partnership") || lower.contains("community safety")
    };
    let name = quoted_name.map(String::from).or_else(|| {
        parts
            .iter()
            .enumerate()
            .filter(|(i, p)| {
                *i != review_at
                    && !is_plan(p)
                    && !is_partnership(p)
                    && date_of(p).is_none()
                    && !p.to_lowercase().contains("recommendation")
            })
            .map(|(_, p)| p.trim_matches(['\'', '"', '‘', '’', '“', '”', ' ']))
            .find(|p| !p.is_empty() && p.split_whitespace().count() <= 6)
            .map(String::from)
    });
    Some(Title {
        name,
        published: parts.iter().find_map(|p| date_of(p)),
        partnership: parts
            .iter()
            .find(|p| is_partnership(p) && !names_review(p))
            .map(|p| p.to_string()),
    })
}

/// The parts of a title, trimmed, split at –, —, |, : and at a hyphen with
/// a space on each side ("Smith-Jones" keeps its hyphen).
fn split_title(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        let spaced = |d: isize| {
            k.checked_add_signed(d)
                .and_then(|j| chars.get(j))
                .is_some_and(|(_, c)| c.is_whitespace())
        };
        let separator = matches!(c, '–' | '—' | '|' | ':') || (c == '-' && spaced(-1) && spaced(1));
        if separator {
            parts.push(text[start..i].trim());
            start = i + c.len_utf8();
        }
    }
    parts.push(text[start..].trim());
    parts.retain(|p| !p.is_empty());
    parts
}

/// A quoted name inside a part: "DHR 'Alice'", "the death of “Dee”". The
/// opening quote starts a word and the closing one ends it, so an
/// apostrophe ("Women's Aid") is not a quote.
fn quoted_within(part: &str) -> Option<&str> {
    const OPEN: [char; 4] = ['\'', '"', '‘', '“'];
    const CLOSE: [char; 4] = ['\'', '"', '’', '”'];
    let mut previous: Option<char> = None;
    for (i, c) in part.char_indices() {
        let starts_word = previous.is_none_or(|p| p.is_whitespace() || p == '(');
        previous = Some(c);
        if !(OPEN.contains(&c) && starts_word) {
            continue;
        }
        let inner_start = i + c.len_utf8();
        let rest = &part[inner_start..];
        let end = rest.char_indices().find(|&(j, q)| {
            CLOSE.contains(&q)
                && rest[j + q.len_utf8()..]
                    .chars()
                    .next()
                    .is_none_or(|n| !n.is_alphanumeric())
        })?;
        let inner = rest[..end.0].trim();
        if !inner.is_empty() && inner.split_whitespace().count() <= 6 {
            return Some(inner);
        }
    }
    None
}

/// The inside of a paragraph wholly in quotes.
fn quoted(text: &str) -> Option<&str> {
    let first = text.chars().next()?;
    let last = text.chars().next_back()?;
    let pair = matches!(
        (first, last),
        ('\'', '\'') | ('"', '"') | ('‘', '’') | ('“', '”') | ('\'', '’') | ('‘', '\'')
    );
    let inner = text
        .get(first.len_utf8()..text.len() - last.len_utf8())?
        .trim();
    (pair && !inner.is_empty() && inner.split_whitespace().count() <= 6).then_some(inner)
}

/// The name after "Chair:" or "Chair –".
fn chair(text: &str) -> Option<&str> {
    // Found in the text itself: lower-casing can change byte lengths, so an
    // offset into a lower-cased copy is not an offset into `text`.
    let at = text.char_indices().map(|(i, _)| i).find(|&i| {
        text.get(i..i + 5)
            .is_some_and(|w| w.eq_ignore_ascii_case("chair"))
    })?;
    let rest = text[at + 5..].trim_start_matches(|c: char| c.is_alphabetic());
    let rest = rest.trim_start();
    let name = rest.strip_prefix([':', '–', '-', '—'])?.trim();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: "Ⱥ" lower-cases to a longer character, and slicing the
    /// text at an offset found in its lower-cased copy panicked.
    #[test]
    fn a_chair_line_with_case_changing_letters_does_not_panic() {
        assert_eq!(chair("Ⱥ chairé: x"), Some("x"), "like 'Chairperson:'");
        assert_eq!(
            chair("Ⱥ Independent Chair: Deborah Jeremiah"),
            Some("Deborah Jeremiah")
        );
    }

    #[test]
    fn recommendation_lines() {
        assert_eq!(
            recommendation("- Recommendation 3** – All agencies including"),
            Some((3, "All agencies including"))
        );
        assert_eq!(
            recommendation("Recommendation 10 – Mental Health Services"),
            Some((10, "Mental Health Services"))
        );
        assert_eq!(recommendation("Recommendations and Action Plans"), None);
    }

    /// Regression: a Word plan whose title is one paragraph failed with
    /// "the review name must not be empty".
    #[test]
    fn one_paragraph_titles() {
        let cases = [
            (
                "Domestic Homicide Review – 'Alice' – Action Plan – October 2019",
                Some("Alice"),
                Some("2019-10"),
            ),
            (
                "Domestic Homicide Review — “Bob” — Action Plan — March 2021",
                Some("Bob"),
                Some("2021-03"),
            ),
            (
                "Domestic Homicide Review - Carol - Action Plan - June 2020",
                Some("Carol"),
                Some("2020-06"),
            ),
            ("DHR | 'Dee' | Action Plan", Some("Dee"), None),
            (
                "Domestic Homicide Review: Mary-Jane Smith: Action Plan: May 2022",
                Some("Mary-Jane Smith"),
                Some("2022-05"),
            ),
            (
                "Domestic Homicide Review into the death of 'Eve' – Action Plan",
                Some("Eve"),
                None,
            ),
            (
                "Domestic Homicide Review – Action Plan – July 2023",
                None,
                Some("2023-07"),
            ),
        ];
        for (text, name, published) in cases {
            let title = title(text).unwrap_or_else(|| panic!("a title: {text}"));
            assert_eq!(title.name.as_deref(), name, "{text}");
            assert_eq!(
                title.published.map(|d| d.to_string()).as_deref(),
                published,
                "{text}"
            );
        }
        for not_a_title in [
            "Independent DHR Chair: Deborah Jeremiah",
            "DOMESTIC HOMICIDE REVIEW",
            "Recommendations and Action Plans",
            "Women's Aid – refuge places – review due",
        ] {
            assert_eq!(title(not_a_title), None, "{not_a_title}");
        }
    }

    #[test]
    fn title_page_particulars() {
        assert_eq!(quoted("'Alice'"), Some("Alice"));
        assert_eq!(
            chair("Independent DHR Chair: Deborah Jeremiah"),
            Some("Deborah Jeremiah")
        );
        assert_eq!(chair("Chairperson – A. Person"), Some("A. Person"));
        assert_eq!(chair("MARAC chairs and coordinators"), None);
    }
}
