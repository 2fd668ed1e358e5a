//! Identifiers: one type per kind of thing the ledger numbers.
//!
//! Plans, recommendations, actions and claims are numbered from 1 and shown
//! as `P1`, `R3`, `A12` and "claim 2". Each id is a newtype over the `u32`
//! it has always been stored as (`#[serde(transparent)]`), so the encoded
//! bytes, and with them format 1 and its golden vectors, do not change; in
//! code an action id can never be passed where a plan id is meant, and no
//! code formats an id and parses it back.
//!
//! An id is written with its prefix in either case or as the bare number
//! (`A12`, `a12`, `12`). [`closest`] finds the known id nearest to one
//! typed, for "did you mean" in refusals.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What every kind of id has in common.
pub trait Id: Copy + Ord + fmt::Display {
    /// The letter an id of this kind is shown with, if any.
    const PREFIX: Option<char>;
    /// The kind of thing it names, for messages ("action").
    const NOUN: &'static str;

    fn new(n: u32) -> Self;
    fn get(self) -> u32;

    /// The id after this one: the next to be given out.
    fn next(self) -> Self {
        Self::new(self.get().saturating_add(1))
    }

    /// The first id of its kind.
    fn first() -> Self {
        Self::new(1)
    }

    /// Reads an id as a person types it: the prefix in either case, or the
    /// bare number, with surrounding space ignored.
    fn parse(typed: &str) -> Result<Self, ParseIdError> {
        let trimmed = typed.trim();
        let digits = match Self::PREFIX {
            Some(prefix) => trimmed
                .strip_prefix(prefix)
                .or_else(|| trimmed.strip_prefix(prefix.to_ascii_lowercase()))
                .unwrap_or(trimmed),
            None => trimmed,
        };
        match digits.parse::<u32>() {
            Ok(n) if n > 0 && digits.bytes().all(|b| b.is_ascii_digit()) => Ok(Self::new(n)),
            _ => Err(ParseIdError {
                typed: typed.to_string(),
                noun: Self::NOUN,
                example: Self::new(3).to_string(),
            }),
        }
    }
}

/// The next id after the last of `ids`, which come in ascending order (the
/// keys of a `BTreeMap`, claims in the order made), or the first. Only the
/// last is read: the next id costs nothing however many there are.
pub fn next_after<I: Id>(mut ids: impl DoubleEndedIterator<Item = I>) -> I {
    ids.next_back().map_or_else(I::first, I::next)
}

/// Text that is not an id of the kind wanted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("'{typed}' is not {} {noun} id: write it as {example}", article(noun))]
pub struct ParseIdError {
    pub typed: String,
    pub noun: &'static str,
    pub example: String,
}

fn article(noun: &str) -> &'static str {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// The known id nearest to what was typed, if one is close enough to be a
/// plausible typo (at most two edits, as shown).
pub fn closest<I: Id>(typed: &str, known: impl Iterator<Item = I>) -> Option<I> {
    let typed = typed.trim().to_ascii_uppercase();
    known
        .map(|id| {
            let shown = id.to_string();
            (
                strsim::levenshtein(&typed, &shown),
                shown.len().abs_diff(typed.len()),
                id,
            )
        })
        .filter(|(distance, _, _)| *distance <= 2)
        .min_by_key(|(distance, length_gap, _)| (*distance, *length_gap))
        .map(|(_, _, id)| id)
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:expr, $noun:literal) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(u32);

        impl Id for $name {
            const PREFIX: Option<char> = $prefix;
            const NOUN: &'static str = $noun;

            fn new(n: u32) -> Self {
                $name(n)
            }

            fn get(self) -> u32 {
                self.0
            }
        }

        impl $name {
            /// The id with this number (`of(3)` is the third).
            pub const fn of(n: u32) -> Self {
                $name(n)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match Self::PREFIX {
                    Some(prefix) => write!(f, "{prefix}{}", self.0),
                    None => write!(f, "{}", self.0),
                }
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;

            fn from_str(s: &str) -> Result<Self, ParseIdError> {
                <Self as Id>::parse(s)
            }
        }
    };
}

id_type!(
    /// A plan: one review's action plan, shown as `P1`.
    PlanId,
    Some('P'),
    "plan"
);
id_type!(
    /// A recommendation's number within its plan, shown as `R3`.
    RecId,
    Some('R'),
    "recommendation"
);
id_type!(
    /// An action, numbered across the whole ledger, shown as `A12`.
    ActionId,
    Some('A'),
    "action"
);
id_type!(
    /// A completion claim's number within its action, shown as `2` (as in
    /// "claim 2 of A12").
    ClaimNo,
    None,
    "claim"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_show_with_their_prefix_and_parse_back_as_typed() {
        assert_eq!(ActionId::of(12).to_string(), "A12");
        assert_eq!(PlanId::of(1).to_string(), "P1");
        assert_eq!(RecId::of(3).to_string(), "R3");
        assert_eq!(ClaimNo::of(2).to_string(), "2");
        for typed in ["A12", "a12", "12", " A12 "] {
            assert_eq!(typed.parse::<ActionId>(), Ok(ActionId::of(12)));
        }
        assert_eq!("r3".parse::<RecId>(), Ok(RecId::of(3)));
    }

    #[test]
    fn text_that_is_not_an_id_is_refused_with_an_example() {
        for typed in ["P12", "A", "A-1", "A+1", "A0", "", "A99999999999"] {
            let refused = typed.parse::<ActionId>().expect_err(typed);
            assert_eq!(refused.noun, "action");
        }
        assert_eq!(
            "x".parse::<ActionId>().unwrap_err().to_string(),
            "'x' is not an action id: write it as A3"
        );
    }

    #[test]
    fn ids_encode_exactly_like_the_number_underneath() {
        assert_eq!(
            crate::codec::encode(&ActionId::of(7)).unwrap(),
            crate::codec::encode(&7u32).unwrap()
        );
        assert_eq!(serde_json::to_string(&PlanId::of(2)).unwrap(), "2");
    }

    #[test]
    fn closest_suggests_a_near_id_only() {
        let known = || [1, 2, 12].into_iter().map(ActionId::of);
        assert_eq!(closest("A13", known()), Some(ActionId::of(12)));
        assert_eq!(closest("B2", known()), Some(ActionId::of(2)));
        assert_eq!(closest("A999", known()), None);
    }

    #[test]
    fn the_next_id_follows_the_largest() {
        assert_eq!(next_after(std::iter::empty::<ActionId>()), ActionId::of(1));
        assert_eq!(
            next_after([1, 3, 7].into_iter().map(ActionId::of)),
            ActionId::of(8)
        );
    }
}
