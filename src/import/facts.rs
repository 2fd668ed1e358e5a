//! Reads what an outcome cell says happened, conservatively.
//!
//! The rules, applied to the cell's paragraphs (lines), first match wins:
//!
//! 1. Words of withdrawal anywhere ("no longer a workstream", "withdrawn",
//!    "will not be taken forward") make one `Withdrawn` with the whole text.
//! 2. A first paragraph that says complete ("Completed…", "5/6/19 –
//!    completed.") makes one fact with the whole text: `Embedded` if that
//!    paragraph also says the work goes on ("…but ongoing for new
//!    recruits", "Completed and Ongoing"), otherwise `Claimed`. Its date is
//!    one that opens the paragraph or directly follows the word ("Completed
//!    26/10/2018", "Completed in January 2019"); a date elsewhere in the
//!    prose may be a plan ("Report due 17.11.21") and is not used.
//! 3. A first paragraph that opens with a date and holds no word of
//!    unfinished work ("ongoing", "in progress", "due"…) is a `Claimed`
//!    dated then: in a completion column, "June 2019 The IDVA team has…"
//!    states when it was done.
//! 4. Anything else is progress: `Milestone`s. A paragraph that opens with
//!    a date starts a dated update, and the paragraphs after it belong to
//!    that update until the next dated one; paragraphs before the first
//!    dated one make one undated milestone.
//!
//! An empty cell says nothing. A completion is only ever a claim.

use super::OutcomeFact;
use super::dates::date_prefix;
use crate::date::FuzzyDate;

const WITHDRAWAL: &[&str] = &[
    "no longer a workstream",
    "no longer required",
    "no longer needed",
    "no longer being pursued",
    "withdrawn",
    "will not be taken forward",
    "not be progressed",
];
const COMPLETION: &[&str] = &[
    "completed",
    "complete",
    "achieved",
    "implemented",
    "enacted",
    "done",
];
const CONTINUING: &[&str] = &[
    "ongoing",
    "on-going",
    "continu",
    "embedded",
    "imbedded",
    "business as usual",
];
const UNFINISHED: &[&str] = &[
    "ongoing",
    "on-going",
    "in progress",
    "not yet",
    "awaiting",
    "due",
    "planned",
    "will be",
    "being",
];

/// The facts an outcome cell states, in order.
pub(crate) fn outcome_facts(outcome: &str) -> Vec<OutcomeFact> {
    let paragraphs: Vec<&str> = outcome
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let Some(first) = paragraphs.first() else {
        return Vec::new();
    };
    let whole = paragraphs.join("\n");
    let lower = whole.to_lowercase();
    let (opening_date, after_date) = opening_date(first);
    if WITHDRAWAL.iter().any(|w| lower.contains(w)) {
        return vec![OutcomeFact::Withdrawn {
            reason: whole,
            effective: opening_date,
        }];
    }
    if let Some(rest) = completion_word(after_date) {
        let first_lower = first.to_lowercase();
        let effective = opening_date.or_else(|| date_after_word(rest));
        return vec![if CONTINUING.iter().any(|w| first_lower.contains(w)) {
            OutcomeFact::Embedded {
                note: whole,
                effective,
            }
        } else {
            OutcomeFact::Claimed {
                outcome: whole,
                effective,
            }
        }];
    }
    let first_lower = first.to_lowercase();
    if opening_date.is_some() && !UNFINISHED.iter().any(|w| contains_word(&first_lower, w)) {
        return vec![OutcomeFact::Claimed {
            outcome: whole,
            effective: opening_date,
        }];
    }
    milestones(&paragraphs)
}

/// A cell (or line) that is only a status word meaning complete:
/// "Completed", "Complete.", "Recommendation already enacted".
pub(crate) fn is_completion_word(line: &str) -> bool {
    let lower = line.trim().trim_end_matches('.').to_lowercase();
    let lower = lower
        .strip_prefix("recommendation already ")
        .or_else(|| lower.strip_prefix("already "))
        .unwrap_or(&lower);
    COMPLETION.contains(&lower)
}

/// Groups paragraphs into milestones, a new one at each opening date.
fn milestones(paragraphs: &[&str]) -> Vec<OutcomeFact> {
    let mut facts = Vec::new();
    let mut note: Vec<&str> = Vec::new();
    let mut effective: Option<FuzzyDate> = None;
    for paragraph in paragraphs {
        let (date, _) = opening_date(paragraph);
        if date.is_some() && !note.is_empty() {
            facts.push(OutcomeFact::Milestone {
                note: note.join("\n"),
                effective,
            });
            note.clear();
        }
        if date.is_some() || note.is_empty() {
            effective = date;
        }
        note.push(paragraph);
    }
    if !note.is_empty() {
        facts.push(OutcomeFact::Milestone {
            note: note.join("\n"),
            effective,
        });
    }
    facts
}

/// The date that opens `paragraph`, and the text after it and any
/// separator ("5/6/19 – completed" gives 5 June 2019 and "completed").
fn opening_date(paragraph: &str) -> (Option<FuzzyDate>, &str) {
    match date_prefix(paragraph, false) {
        Some((date, len)) => (
            Some(date),
            paragraph[len..].trim_start_matches([' ', '.', ',', ':', ';', '-', '–', '—']),
        ),
        None => (None, paragraph),
    }
}

/// If `text` opens with a completion word, the text after it.
fn completion_word(text: &str) -> Option<&str> {
    let lower = text.to_lowercase();
    COMPLETION.iter().find_map(|word| {
        let rest = lower.strip_prefix(word)?;
        let clean = rest.chars().next().is_none_or(|c| !c.is_alphanumeric());
        // `get`: `text` need not have the same byte offsets as its
        // lower-cased copy.
        clean.then(|| text.get(word.len()..)).flatten()
    })
}

/// A date directly after a completion word: "26/10/2018", "in January
/// 2019", "on 30 Sept 2019", ": June 2019".
fn date_after_word(rest: &str) -> Option<FuzzyDate> {
    let rest = rest.trim_start_matches([' ', ':', '-', '–', ',']);
    let lower = rest.to_lowercase();
    let rest = ["in ", "on "]
        .iter()
        .find_map(|w| lower.starts_with(w).then(|| rest.get(w.len()..)).flatten())
        .map(str::trim_start)
        .unwrap_or(rest);
    date_prefix(rest, true).map(|(date, _)| date)
}

/// True if `word` occurs in `text` starting at a word boundary.
fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        text[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(iso: &str) -> Option<FuzzyDate> {
        Some(FuzzyDate::parse_iso(iso).expect("test dates are valid"))
    }

    #[test]
    fn completions_are_claims_with_their_dates() {
        let cases = [
            ("5/6/19 – completed. Process updated.", date("2019-06-05")),
            ("Completed 26/10/2018", date("2018-10-26")),
            ("Completed 30 Sept 2019", date("2019-09-30")),
            ("Completed 30 September 2019", date("2019-09-30")),
            ("June 2019", date("2019-06")),
            ("June 2019\nThis will act as a check", date("2019-06")),
            ("Completed\nDA is currently included", None),
        ];
        for (text, effective) in cases {
            assert_eq!(
                outcome_facts(text),
                vec![OutcomeFact::Claimed {
                    outcome: text.to_string(),
                    effective
                }],
                "{text}"
            );
        }
    }

    #[test]
    fn completed_but_ongoing_is_embedded() {
        for (text, effective) in [
            (
                "Completed for existing staff but ongoing for all new recruits",
                None,
            ),
            ("Completed and Ongoing", None),
            (
                "Completed for existing cases and ongoing for new cases",
                None,
            ),
            (
                "Completed in January 2019 for existing staff but ongoing for new staff",
                date("2019-01"),
            ),
        ] {
            assert_eq!(
                outcome_facts(text),
                vec![OutcomeFact::Embedded {
                    note: text.to_string(),
                    effective
                }],
                "{text}"
            );
        }
    }

    #[test]
    fn withdrawal_and_progress() {
        let text = "Display of resources has not been possible and is no longer a workstream of OHFT working group.";
        assert!(matches!(
            &outcome_facts(text)[..],
            [OutcomeFact::Withdrawn {
                effective: None,
                ..
            }]
        ));
        let text = "Numbers who are trained not known\n16.11.2021. Links to Guidance\nWork ongoing with IT\nReport due 17.11.21.";
        assert_eq!(
            outcome_facts(text),
            vec![
                OutcomeFact::Milestone {
                    note: "Numbers who are trained not known".into(),
                    effective: None
                },
                OutcomeFact::Milestone {
                    note:
                        "16.11.2021. Links to Guidance\nWork ongoing with IT\nReport due 17.11.21."
                            .into(),
                    effective: date("2021-11-16")
                },
            ]
        );
        assert_eq!(outcome_facts("  \n "), Vec::new());
        assert!(matches!(
            &outcome_facts("16.11.2021 Work ongoing with IT")[..],
            [OutcomeFact::Milestone { .. }]
        ));
    }

    #[test]
    fn status_words() {
        for word in ["Completed", "complete.", "Recommendation already enacted"] {
            assert!(is_completion_word(word), "{word}");
        }
        for word in ["Ongoing", "Completed for existing staff", "April 2020"] {
            assert!(!is_completion_word(word), "{word}");
        }
    }
}
