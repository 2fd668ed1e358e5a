//! Words shared between texts: which of a review's recommendations a row
//! of a plan answers when it cites none of them, and which action in the
//! ledger a reworded row of a new version of the plan is.
//!
//! One measure ([`overlap_percent`]) and one threshold
//! ([`SIMILAR_PERCENT`]) serve the warning about an unlisted
//! recommendation, the links an import records ([`link_by_wording`]) and
//! the rewordings a re-import records as amendments ([`clearly_best`]),
//! so the three can never disagree about what "alike" means. Pure: texts
//! in, a verdict out.

use std::collections::BTreeSet;

use crate::id::RecId;

/// Word overlap (per cent, [`overlap_percent`]) at or above which two texts
/// say the same thing in other words. Measured on the shipped plan: the
/// rows that restate one of the review's recommendations in the agency's
/// own words share 50% to 84% of their words with it (A2Dominion's four
/// rows: 84% with R3, 61% with R6, 50% with R9, 78% with R10), while every
/// other row shares at most 20% with any recommendation (by its
/// recommendation text; 19% by its action text), two different
/// recommendations of the review at most 31% (R3 and R4, both "would
/// benefit from" training on domestic abuse), and two different actions of
/// one agency at most 28% (Oxford Health's "Set up domestic abuse working
/// group" and "Develop Staff Domestic Abuse policy"). 40% sits between
/// them; `wording_links_separate_the_shipped_plan`,
/// `rewording_threshold_separates_the_shipped_plan` and
/// `similarity_threshold_separates_the_shipped_plan` keep it there.
pub(crate) const SIMILAR_PERCENT: usize = 40;

/// How many points the best match must lead the next best by to be
/// *clearly* the best: a row sharing 45% of its words with one
/// recommendation and 40% with another says both, and is linked to
/// neither. The shipped plan's matches lead by 30 points or more (R9 50%,
/// R3 20%); a quarter of the threshold leaves room for a row that mentions
/// a second recommendation in passing.
pub(crate) const CLEAR_MARGIN: usize = SIMILAR_PERCENT / 4;

/// Jaccard overlap of the words of four or more letters, in per cent
/// (case ignored; the word "recommendation" left out, as rows open with
/// it).
pub(crate) fn overlap_percent(a: &str, b: &str) -> usize {
    fn words(text: &str) -> BTreeSet<String> {
        text.split(|c: char| !c.is_alphabetic())
            .filter(|w| w.chars().count() >= 4)
            .map(str::to_lowercase)
            .filter(|w| w != "recommendation")
            .collect()
    }
    let (a, b) = (words(a), words(b));
    let union = a.union(&b).count();
    if union == 0 {
        return 0;
    }
    a.intersection(&b).count() * 100 / union
}

/// The candidate whose text `text` shares at least [`SIMILAR_PERCENT`] of
/// its words with, leading every other candidate by at least
/// [`CLEAR_MARGIN`] points, and that share; `None` when there is no such
/// candidate (none alike enough, or two alike).
pub(crate) fn clearly_best<'a, K: Copy>(
    text: &str,
    candidates: impl IntoIterator<Item = (K, &'a str)>,
) -> Option<(K, usize)> {
    let mut scored: Vec<(usize, usize, K)> = candidates
        .into_iter()
        .enumerate()
        .map(|(i, (key, other))| (overlap_percent(text, other), i, key))
        .collect();
    // Highest share first; among equal shares, the earlier candidate.
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let (best, _, key) = *scored.first()?;
    let runner_up = scored.get(1).map_or(0, |s| s.0);
    (best >= SIMILAR_PERCENT && best >= runner_up + CLEAR_MARGIN).then_some((key, best))
}

/// What an imported row answers, by its words, when it cites none of the
/// recommendations its plan lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FoundLink {
    /// Its recommendation text, or failing that its action text, clearly
    /// matches this recommendation ([`clearly_best`]).
    Wording { number: RecId, shared_percent: u8 },
    /// No recommendation clearly matches, and the row has a recommendation
    /// of its own: the agency's single-agency recommendation, these words.
    Own { text: String },
}

/// The link an import records for a row that cites none of `listed` (the
/// plan's recommendations, number and text): a clear match by wording, or
/// else the row's own recommendation; `None` when the row has no
/// recommendation text and its action text matches none. A weak match is
/// never forced. Where the plan lists none, there is nothing to match, and
/// a row's recommendation words are kept as its own: they are the only
/// record of what it answers (a CSV that planledger exported, say, whose
/// rows answer their agencies' own recommendations).
pub fn link_by_wording(
    recommendation_text: Option<&str>,
    action_text: &str,
    listed: &[(RecId, &str)],
) -> Option<FoundLink> {
    let own = recommendation_text.map(str::trim).filter(|t| !t.is_empty());
    if listed.is_empty() {
        return own.map(|text| FoundLink::Own {
            text: text.to_string(),
        });
    }
    let found = own
        .and_then(|text| clearly_best(text, listed.iter().copied()))
        .or_else(|| clearly_best(action_text, listed.iter().copied()));
    match (found, own) {
        (Some((number, percent)), _) => Some(FoundLink::Wording {
            number,
            shared_percent: u8::try_from(percent.min(100)).unwrap_or(100),
        }),
        (None, Some(text)) => Some(FoundLink::Own {
            text: text.to_string(),
        }),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap() {
        assert_eq!(
            overlap_percent("Domestic abuse training", "domestic ABUSE training"),
            100
        );
        assert_eq!(overlap_percent("a b c", "d e f"), 0);
    }

    const LISTED: [(RecId, &str); 3] = [
        (
            RecId::of(1),
            "Record offences raised at MARAC meetings on NICHE",
        ),
        (
            RecId::of(2),
            "Train housing staff in domestic abuse awareness",
        ),
        (
            RecId::of(3),
            "Train housing officers in domestic abuse referrals",
        ),
    ];

    #[test]
    fn a_clear_match_links_by_wording_and_says_how_much_is_shared() {
        let found = link_by_wording(
            Some("Offences raised at MARAC meetings to be recorded on NICHE"),
            "Remind chairs",
            &LISTED,
        );
        assert_eq!(
            found,
            Some(FoundLink::Wording {
                number: RecId::of(1),
                shared_percent: 71
            })
        );
    }

    /// R2 and R3 share most of their words: a row like both is like
    /// neither clearly, and keeps its own recommendation.
    #[test]
    fn a_row_like_two_recommendations_is_linked_to_neither() {
        let text = "Train housing staff and officers in domestic abuse";
        assert!(overlap_percent(text, LISTED[1].1) >= SIMILAR_PERCENT);
        assert!(overlap_percent(text, LISTED[2].1) >= SIMILAR_PERCENT);
        assert_eq!(
            link_by_wording(Some(text), "Book the course", &LISTED),
            Some(FoundLink::Own { text: text.into() })
        );
    }

    #[test]
    fn the_action_text_is_read_when_the_recommendation_text_matches_nothing() {
        assert_eq!(
            link_by_wording(
                Some("Agency review finding 4"),
                "Offences raised at MARAC meetings recorded on NICHE",
                &LISTED
            ),
            Some(FoundLink::Wording {
                number: RecId::of(1),
                shared_percent: 71
            })
        );
        assert_eq!(
            link_by_wording(None, "Buy a new printer", &LISTED),
            None,
            "no recommendation text and no match: no link at all"
        );
        assert_eq!(
            link_by_wording(Some("Anything"), "Anything", &[]),
            Some(FoundLink::Own {
                text: "Anything".into()
            }),
            "where the plan lists no recommendations, the row's words are its own"
        );
        assert_eq!(
            link_by_wording(None, "Anything", &[]),
            None,
            "and a row without them links to nothing"
        );
    }
}
