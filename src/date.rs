//! Dates as action plans state them: a day, a month or a year, and targets
//! that may be no date at all ("Ongoing").
//!
//! A [`FuzzyDate`] keeps its precision. When a question is "was this done by
//! date X", a month- or year-precision date counts from the *end* of its
//! period ([`FuzzyDate::last_day`]): a completion in "December 2019" is not
//! yet done on 15 December 2019. This module only knows ISO forms
//! (`2019-06-05`, `2019-07`, `2019`); the British forms found in real plans
//! are read by the importer.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// How much of a [`FuzzyDate`] is known.
///
/// Encoded as a bincode enum tag: the order of the variants is part of the
/// on-disk format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Precision {
    Day,
    Month,
    Year,
}

impl Precision {
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Day => "day",
            Precision::Month => "month",
            Precision::Year => "year",
        }
    }
}

/// A calendar date known to a day, a month or a year.
///
/// Fields that the precision does not cover are stored as 1 so that equal
/// dates have equal bytes. Decoding checks both rules, so a `FuzzyDate`
/// always names a real date, whatever bytes it was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "StoredDate")]
pub struct FuzzyDate {
    year: i32,
    month: u8,
    day: u8,
    precision: Precision,
}

/// A `FuzzyDate` as decoded, before it is checked.
#[derive(Deserialize)]
struct StoredDate {
    year: i32,
    month: u8,
    day: u8,
    precision: Precision,
}

impl TryFrom<StoredDate> for FuzzyDate {
    type Error = String;

    fn try_from(stored: StoredDate) -> Result<FuzzyDate, String> {
        let StoredDate {
            year,
            month,
            day,
            precision,
        } = stored;
        let date = match precision {
            Precision::Day => FuzzyDate::day(year, month.into(), day.into()),
            Precision::Month if day == 1 => FuzzyDate::month(year, month.into()),
            Precision::Year if month == 1 && day == 1 => FuzzyDate::year(year),
            _ => None,
        };
        date.ok_or_else(|| {
            format!(
                "{year}-{month}-{day} is not a real date at {} precision",
                precision.as_str()
            )
        })
    }
}

/// Why a date could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("'{0}' is not a date: use YYYY-MM-DD, YYYY-MM or YYYY")]
    Unreadable(String),
    #[error("'{0}' is not a real calendar date")]
    NoSuchDay(String),
}

impl FuzzyDate {
    /// A day-precision date. `None` if the day does not exist.
    pub fn day(year: i32, month: u32, day: u32) -> Option<FuzzyDate> {
        NaiveDate::from_ymd_opt(year, month, day)?;
        Some(FuzzyDate {
            year,
            month: month as u8,
            day: day as u8,
            precision: Precision::Day,
        })
    }

    /// A month-precision date. `None` if the month is not 1 to 12 or the year
    /// is outside chrono's range (the whole month must be inside it).
    pub fn month(year: i32, month: u32) -> Option<FuzzyDate> {
        NaiveDate::from_ymd_opt(year, month, 1)?;
        if month == 12 {
            NaiveDate::from_ymd_opt(year.checked_add(1)?, 1, 1)?;
        }
        Some(FuzzyDate {
            year,
            month: month as u8,
            day: 1,
            precision: Precision::Month,
        })
    }

    /// A year-precision date.
    pub fn year(year: i32) -> Option<FuzzyDate> {
        NaiveDate::from_ymd_opt(year, 12, 31)?;
        Some(FuzzyDate {
            year,
            month: 1,
            day: 1,
            precision: Precision::Year,
        })
    }

    pub fn from_naive(date: NaiveDate) -> FuzzyDate {
        FuzzyDate {
            year: date.year(),
            month: date.month() as u8,
            day: date.day() as u8,
            precision: Precision::Day,
        }
    }

    /// Reads `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
    pub fn parse_iso(text: &str) -> Result<FuzzyDate, DateError> {
        let text = text.trim();
        let unreadable = || DateError::Unreadable(text.to_string());
        let parts: Vec<&str> = text.split('-').collect();
        let number = |s: &str, len: usize| -> Result<u32, DateError> {
            if s.len() == len && s.bytes().all(|b| b.is_ascii_digit()) {
                s.parse().map_err(|_| unreadable())
            } else {
                Err(unreadable())
            }
        };
        let no_such_day = || DateError::NoSuchDay(text.to_string());
        match parts.as_slice() {
            [y] => FuzzyDate::year(number(y, 4)? as i32).ok_or_else(no_such_day),
            [y, m] => FuzzyDate::month(number(y, 4)? as i32, number(m, 2)?).ok_or_else(no_such_day),
            [y, m, d] => FuzzyDate::day(number(y, 4)? as i32, number(m, 2)?, number(d, 2)?)
                .ok_or_else(no_such_day),
            _ => Err(unreadable()),
        }
    }

    pub fn precision(self) -> Precision {
        self.precision
    }

    pub fn year_number(self) -> i32 {
        self.year
    }

    /// The first day of the period this date names.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month.into(), self.day.into())
            .expect("a FuzzyDate is only built from a real calendar date")
    }

    /// The last day of the period this date names: the day itself, the last
    /// day of the month, or 31 December.
    pub fn last_day(self) -> NaiveDate {
        match self.precision {
            Precision::Day => self.first_day(),
            Precision::Month => {
                let (y, m) = if self.month == 12 {
                    (self.year + 1, 1)
                } else {
                    (self.year, u32::from(self.month) + 1)
                };
                NaiveDate::from_ymd_opt(y, m, 1)
                    .and_then(|d| d.pred_opt())
                    .expect("the month after a real month exists")
            }
            Precision::Year => NaiveDate::from_ymd_opt(self.year, 12, 31)
                .expect("31 December exists in every year chrono can hold"),
        }
    }

    /// True if the whole period has ended by the end of `day`.
    pub fn is_done_by(self, day: NaiveDate) -> bool {
        self.last_day() <= day
    }
}

impl fmt::Display for FuzzyDate {
    /// The ISO form at the date's own precision: `2019-06-05`, `2019-07`, `2019`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.precision {
            Precision::Day => write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day),
            Precision::Month => write!(f, "{:04}-{:02}", self.year, self.month),
            Precision::Year => write!(f, "{:04}", self.year),
        }
    }
}

impl Ord for FuzzyDate {
    /// Orders by the end of the period, then by precision (finer first).
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.last_day()
            .cmp(&other.last_day())
            .then(self.precision.cmp(&other.precision))
            .then(self.first_day().cmp(&other.first_day()))
    }
}

impl PartialOrd for FuzzyDate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// When an action is due: the words the plan used, and the date they name if
/// they name one. "Ongoing" or "Subject to multi agency agreement" have no
/// date and are never overdue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub text: String,
    pub date: Option<FuzzyDate>,
}

/// Two targets are the same when they name the same date, however worded
/// ("December 2019" and "2019-12"), or, naming none, the same words.
pub fn same_target(a: Option<&Target>, b: Option<&Target>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => match (a.date, b.date) {
            (Some(x), Some(y)) => x == y,
            (None, None) => a.text.trim().eq_ignore_ascii_case(b.text.trim()),
            _ => false,
        },
        (None, None) => true,
        _ => false,
    }
}

impl Target {
    /// Reads a target given on the command line: an ISO date at any
    /// precision becomes a dated target; words that are not a date
    /// ("Ongoing") are kept as they are, with no date. Something that starts
    /// like a date but is not one is an error, so a typo is never silently
    /// kept as words.
    pub fn parse_cli(text: &str) -> Result<Target, DateError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(DateError::Unreadable(String::new()));
        }
        if trimmed.starts_with(|c: char| c.is_ascii_digit()) {
            let date = FuzzyDate::parse_iso(trimmed)?;
            return Ok(Target {
                text: trimmed.to_string(),
                date: Some(date),
            });
        }
        Ok(Target {
            text: trimmed.to_string(),
            date: None,
        })
    }

    /// True if the target names a date whose whole period ended by `day`.
    pub fn has_passed(&self, day: NaiveDate) -> bool {
        self.date.is_some_and(|d| d.last_day() < day)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.date {
            Some(date) if date.to_string() != self.text => write!(f, "{} ({date})", self.text),
            _ => f.write_str(&self.text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn iso_forms_keep_their_precision() {
        let cases = [
            ("2019-06-05", Precision::Day, d(2019, 6, 5), d(2019, 6, 5)),
            ("2019-07", Precision::Month, d(2019, 7, 1), d(2019, 7, 31)),
            ("2020-02", Precision::Month, d(2020, 2, 1), d(2020, 2, 29)),
            ("2019-12", Precision::Month, d(2019, 12, 1), d(2019, 12, 31)),
            ("2019", Precision::Year, d(2019, 1, 1), d(2019, 12, 31)),
            (
                " 2021-11-16 ",
                Precision::Day,
                d(2021, 11, 16),
                d(2021, 11, 16),
            ),
        ];
        for (text, precision, first, last) in cases {
            let date = FuzzyDate::parse_iso(text).unwrap();
            assert_eq!(date.precision(), precision, "{text}");
            assert_eq!(date.first_day(), first, "{text}");
            assert_eq!(date.last_day(), last, "{text}");
            assert_eq!(date.to_string(), text.trim());
        }
    }

    #[test]
    fn bad_iso_dates_are_refused() {
        for text in [
            "",
            "2019-13",
            "2019-02-30",
            "19-06-05",
            "2019/06/05",
            "June",
            "2019-6-5",
            "2019-06-05-01",
        ] {
            assert!(
                FuzzyDate::parse_iso(text).is_err(),
                "{text:?} should be refused"
            );
        }
    }

    #[test]
    fn month_precision_is_not_done_until_its_month_ends() {
        let december = FuzzyDate::month(2019, 12).unwrap();
        assert!(!december.is_done_by(d(2019, 12, 15)));
        assert!(december.is_done_by(d(2019, 12, 31)));
    }

    #[test]
    fn target_words_are_kept_and_typos_refused() {
        let ongoing = Target::parse_cli("Ongoing").unwrap();
        assert_eq!(ongoing.date, None);
        assert_eq!(ongoing.text, "Ongoing");
        assert!(!ongoing.has_passed(d(2030, 1, 1)));
        let july = Target::parse_cli("2019-07").unwrap();
        assert!(july.has_passed(d(2019, 8, 1)));
        assert!(!july.has_passed(d(2019, 7, 31)));
        assert!(Target::parse_cli("2019-7").is_err());
        assert!(Target::parse_cli("  ").is_err());
    }

    /// Regression: December of chrono's last year could be made, and its
    /// last day panicked.
    #[test]
    fn every_date_that_can_be_made_has_a_last_day() {
        let last_year = NaiveDate::MAX.year();
        assert!(FuzzyDate::month(last_year, 12).is_none());
        for date in [
            FuzzyDate::month(last_year, 11),
            FuzzyDate::year(last_year - 1),
            FuzzyDate::month(NaiveDate::MIN.year(), 1),
        ]
        .into_iter()
        .flatten()
        {
            assert!(date.last_day() >= date.first_day());
        }
    }

    #[test]
    fn ordering_uses_the_end_of_the_period() {
        let day = FuzzyDate::day(2019, 12, 15).unwrap();
        let month = FuzzyDate::month(2019, 12).unwrap();
        let year = FuzzyDate::year(2019).unwrap();
        assert!(day < month);
        assert!(month < year);
    }

    /// Regression (found in review): retargeting "December 2019" to
    /// "2019-12" was recorded as a change.
    #[test]
    fn a_target_worded_differently_is_the_same_target() {
        let december = |text: &str| Target {
            text: text.into(),
            date: FuzzyDate::month(2019, 12),
        };
        assert!(same_target(
            Some(&december("December 2019")),
            Some(&december("2019-12"))
        ));
        let ongoing = Target {
            text: "Ongoing".into(),
            date: None,
        };
        assert!(same_target(
            Some(&ongoing),
            Some(&Target {
                text: " ongoing".into(),
                date: None
            })
        ));
        assert!(!same_target(Some(&ongoing), Some(&december("2019-12"))));
        assert!(!same_target(None, Some(&ongoing)));
    }
}
