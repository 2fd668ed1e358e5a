//! Reads the title page and the summary list of recommendations: the
//! paragraphs before the first action table.
//!
//! Promises, each a rule a person can check against the page:
//! - the partnership is the first paragraph naming a "Partnership" (or a
//!   "Community Safety" body) in under fifteen words;
//! - the review's name is the first paragraph wholly in quotes ('Alice');
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
