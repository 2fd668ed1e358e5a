//! Dates as British action plans write them, read without losing precision.
//!
//! Every form is read day first, the British way: `5/6/19` is 5 June 2019.
//! A date keeps the precision it was written with: `July 2019` is a month,
//! `30 Sept 2019` a day, `2020` a year. Nothing here guesses: a string that
//! could mean two things is not a date and stays text for a person to read.
//! The rules, each pinned by the table test below:
//!
//! - Day dates: `5/6/19`, `26/10/2018`, `16.11.2021`, `17.11.21`,
//!   `05-06-2019`, `30 Sept 2019`, `6th September 2023`, `6 of May 2020`,
//!   `September 6, 2023`, ISO `2019-06-05`. Two-digit years are 20YY.
//! - Month dates: `July 2019`, `Aug 2019`, `Sept. 2019`, ISO `2019-07`, and
//!   `12/19` or `12/2019` (month/year) but only when the second number cannot
//!   be a month: `12/11` could be 12 November or December 2011, and
//!   `22/11` (a day and month with no year) is no date at all.
//! - Year dates: a bare year from 1990 to 2099, when it is the whole text or
//!   (in prose) follows `in`, `by`, `during` or `end of`, so that "the
//!   Homelessness Reduction Act 2017" names no date.
//! - Seasons (`Autumn 2021`) and quarters are not dates: where a season
//!   begins and ends is not agreed, so the text is kept and no date is made.
//! - A month name with a two-digit year (`Dec 19`) is not a date: it could
//!   be the 19th of December.

use crate::date::{FuzzyDate, Target};

/// Reads `text` as one date, possibly followed by a remark in brackets or
/// after punctuation: `Dec 2019 (course availability)` is December 2019.
/// `None` if the text does not begin with a date, or if what follows the
/// date is prose rather than a remark ("June 2019 The team has…"), or if the
/// remark holds another date.
pub fn parse_date(text: &str) -> Option<FuzzyDate> {
    let text = text.trim();
    let (date, len) = date_prefix(text, true)?;
    let rest = text[len..].trim();
    let remark_ok = rest.is_empty()
        || rest.starts_with(['(', '[', ',', ';', ':', '.', '-', '–', '—'])
            && find_dates(rest).is_empty();
    remark_ok.then_some(date)
}

/// Every date written inside `text`, in order of appearance.
pub fn find_dates(text: &str) -> Vec<FuzzyDate> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let Some(c) = rest.chars().next() else { break };
        if c.is_alphanumeric() && starts_a_word(text, i) {
            let year_allowed = follows_year_word(&text[..i]) || alone_on_its_line(text, i);
            if let Some((date, len)) = date_prefix(rest, year_allowed) {
                found.push(date);
                i += len;
                continue;
            }
        }
        i += c.len_utf8();
    }
    found
}

/// Reads a target cell: `None` for an empty cell; otherwise the text as
/// written (lines trimmed, nothing dropped) with the latest date it names,
/// or no date for words such as "Ongoing".
pub fn parse_target(text: &str) -> Option<Target> {
    let text = tidy_lines(text);
    if text.is_empty() {
        return None;
    }
    let date = find_dates(&text).into_iter().max();
    Some(Target { text, date })
}

/// True if `text` names a season or quarter with a year ("Autumn 2021"),
/// which this module deliberately reads as no date.
pub fn names_season(text: &str) -> bool {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.windows(2).any(|pair| {
        matches!(
            pair[0],
            "spring" | "summer" | "autumn" | "fall" | "winter" | "q1" | "q2" | "q3" | "q4"
        ) && pair[1].len() == 4
            && pair[1].bytes().all(|b| b.is_ascii_digit())
    })
}

/// The date at the very start of `text`, if any, and how many bytes it
/// takes. `bare_year` allows a lone four-digit year.
pub(crate) fn date_prefix(text: &str, bare_year: bool) -> Option<(FuzzyDate, usize)> {
    iso(text)
        .or_else(|| numeric(text))
        .or_else(|| day_month_year(text))
        .or_else(|| month_day_year(text))
        .or_else(|| month_year(text))
        .or_else(|| if bare_year { year_only(text) } else { None })
}

/// Trims every line, collapses runs of spaces and drops empty lines.
pub(crate) fn tidy_lines(text: &str) -> String {
    text.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn starts_a_word(text: &str, i: usize) -> bool {
    let before = &text[..i];
    let mut back = before.chars().rev();
    match back.next() {
        None => true,
        Some(c) if c.is_alphanumeric() || c == '/' => false,
        // "1.5.2019" must not be read from its middle.
        Some('.' | '-') => !back.next().is_some_and(|c| c.is_ascii_digit()),
        Some(_) => true,
    }
}

/// True if the word at byte `i` is the only thing on its line (apart from
/// a closing full stop), as a bare year in a target cell often is.
///
/// Only the spaces before the word and the line after it are looked at, and
/// the line only for a line's first word, so that `find_dates` stays linear
/// in a long line.
fn alone_on_its_line(text: &str, i: usize) -> bool {
    let before = text[..i].trim_end_matches(|c: char| c != '\n' && c.is_whitespace());
    if !(before.is_empty() || before.ends_with('\n')) {
        return false;
    }
    let line = text[i..].lines().next().unwrap_or("");
    line.trim_end().trim_end_matches('.').len() == 4
}

/// True if the text before a word ends with a word that makes a bare year a
/// date ("by 2020"). Only the last few characters are read: the longest such
/// word and the character before it.
fn follows_year_word(before: &str) -> bool {
    let before = before.trim_end();
    let tail = before
        .char_indices()
        .rev()
        .nth(7)
        .map_or(before, |(at, _)| &before[at..]);
    let lower = tail.to_lowercase();
    ["in", "by", "during", "end of", "since", "from", "until"]
        .iter()
        .any(|w| {
            lower.strip_suffix(w).is_some_and(|head| {
                head.is_empty() || head.ends_with(|c: char| !c.is_alphanumeric())
            })
        })
}

/// The digits at the start of `text` and their count.
fn digits(text: &str) -> (u32, usize) {
    let len = text.bytes().take_while(u8::is_ascii_digit).count();
    if len == 0 || len > 9 {
        return (0, len);
    }
    (text[..len].parse().unwrap_or(0), len)
}

/// True if nothing that would extend the date follows at byte `end`.
fn ends_cleanly(text: &str, end: usize) -> bool {
    let rest = &text[end..];
    let mut chars = rest.chars();
    match chars.next() {
        None => true,
        Some(c) if c.is_alphanumeric() => false,
        Some('/' | '.' | '-') => !chars.next().is_some_and(|c| c.is_ascii_digit()),
        Some(_) => true,
    }
}

fn full_year(value: u32, len: usize) -> Option<i32> {
    match len {
        2 => Some(2000 + value as i32),
        4 if (1990..=2099).contains(&value) => Some(value as i32),
        _ => None,
    }
}

fn iso(text: &str) -> Option<(FuzzyDate, usize)> {
    let (year, ylen) = digits(text);
    if ylen != 4 || !text[4..].starts_with('-') {
        return None;
    }
    let (month, mlen) = digits(&text[5..]);
    if mlen != 2 {
        return None;
    }
    let after_month = 5 + mlen;
    if text[after_month..].starts_with('-') {
        let (day, dlen) = digits(&text[after_month + 1..]);
        let end = after_month + 1 + dlen;
        if dlen == 2 && ends_cleanly(text, end) {
            return Some((FuzzyDate::day(year as i32, month, day)?, end));
        }
        return None;
    }
    if ends_cleanly(text, after_month) && (1990..=2099).contains(&year) {
        return Some((FuzzyDate::month(year as i32, month)?, after_month));
    }
    None
}

fn numeric(text: &str) -> Option<(FuzzyDate, usize)> {
    let (first, flen) = digits(text);
    if !(1..=2).contains(&flen) {
        return None;
    }
    let sep = text[flen..].chars().next()?;
    if !matches!(sep, '/' | '.' | '-') {
        return None;
    }
    let (second, slen) = digits(&text[flen + 1..]);
    if slen == 0 {
        return None;
    }
    let after_second = flen + 1 + slen;
    let third = text[after_second..]
        .strip_prefix(sep)
        .map(digits)
        .filter(|&(_, len)| len == 2 || len == 4);
    if let Some((year, ylen)) = third {
        let end = after_second + 1 + ylen;
        if slen > 2 || !ends_cleanly(text, end) {
            return None;
        }
        let date = FuzzyDate::day(full_year(year, ylen)?, second, first)?;
        return Some((date, end));
    }
    // Month and year only: `12/19`, `12/2019`. Refused where the second
    // number could be a month, because then it may be a day and a month.
    if sep != '/' || !ends_cleanly(text, after_second) {
        return None;
    }
    if !(1..=12).contains(&first) || (slen == 2 && second <= 12) {
        return None;
    }
    let date = FuzzyDate::month(full_year(second, slen)?, first)?;
    Some((date, after_second))
}

/// A month name (full or short, `Sept` too, an optional full stop) at the
/// start of `text`: the month number and the bytes taken.
fn month_name(text: &str) -> Option<(u32, usize)> {
    let len = text
        .char_indices()
        .find(|(_, c)| !c.is_ascii_alphabetic())
        .map_or(text.len(), |(i, _)| i);
    let word = text[..len].to_ascii_lowercase();
    let month = match word.as_str() {
        "jan" | "january" => 1,
        "feb" | "february" => 2,
        "mar" | "march" => 3,
        "apr" | "april" => 4,
        "may" => 5,
        "jun" | "june" => 6,
        "jul" | "july" => 7,
        "aug" | "august" => 8,
        "sep" | "sept" | "september" => 9,
        "oct" | "october" => 10,
        "nov" | "november" => 11,
        "dec" | "december" => 12,
        _ => return None,
    };
    let len = if text[len..].starts_with('.') {
        len + 1
    } else {
        len
    };
    Some((month, len))
}

/// Skips spaces (and one comma before them) and returns the new offset.
fn skip_gap(text: &str, mut at: usize, comma: bool) -> usize {
    if comma && text[at..].starts_with(',') {
        at += 1;
    }
    let rest = &text[at..];
    at + rest.len() - rest.trim_start_matches([' ', '\t', '\u{a0}']).len()
}

/// A four-digit year at `at`: the year and the offset after it.
fn year_at(text: &str, at: usize) -> Option<(i32, usize)> {
    let (year, len) = digits(&text[at..]);
    if len != 4 || !ends_cleanly(text, at + len) {
        return None;
    }
    Some((full_year(year, 4)?, at + len))
}

/// A day number with an optional ordinal suffix at `at`.
fn day_at(text: &str, at: usize) -> Option<(u32, usize)> {
    let (day, len) = digits(&text[at..]);
    if !(1..=2).contains(&len) {
        return None;
    }
    let mut end = at + len;
    let suffix = text[end..].get(..2).map(str::to_ascii_lowercase);
    if matches!(suffix.as_deref(), Some("st" | "nd" | "rd" | "th")) {
        end += 2;
    }
    if text[end..].starts_with(|c: char| c.is_alphanumeric()) {
        return None;
    }
    Some((day, end))
}

fn day_month_year(text: &str) -> Option<(FuzzyDate, usize)> {
    let (day, at) = day_at(text, 0)?;
    let mut at = skip_gap(text, at, false);
    if at == 0 || text[..at].trim_end().len() == text[..at].len() {
        return None;
    }
    if text
        .get(at..at + 3)
        .is_some_and(|of| of.eq_ignore_ascii_case("of "))
    {
        at = skip_gap(text, at + 2, false);
    }
    let (month, mlen) = month_name(&text[at..])?;
    let at = skip_gap(text, at + mlen, true);
    let (year, end) = year_at(text, at)?;
    Some((FuzzyDate::day(year, month, day)?, end))
}

fn month_day_year(text: &str) -> Option<(FuzzyDate, usize)> {
    let (month, mlen) = month_name(text)?;
    let at = skip_gap(text, mlen, false);
    if at == mlen {
        return None;
    }
    let (day, at) = day_at(text, at)?;
    let at = skip_gap(text, at, true);
    let (year, end) = year_at(text, at)?;
    Some((FuzzyDate::day(year, month, day)?, end))
}

fn month_year(text: &str) -> Option<(FuzzyDate, usize)> {
    let (month, mlen) = month_name(text)?;
    let at = skip_gap(text, mlen, true);
    if at == mlen {
        return None;
    }
    let (year, end) = year_at(text, at)?;
    Some((FuzzyDate::month(year, month)?, end))
}

fn year_only(text: &str) -> Option<(FuzzyDate, usize)> {
    let (year, end) = year_at(text, 0)?;
    Some((FuzzyDate::year(year)?, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every date and status string of the shipped plan, and the forms the
    /// module doc promises. Columns: the text, what `parse_date` reads (ISO
    /// at the date's own precision), and the target date `parse_target`
    /// takes (the latest date named).
    const TABLE: &[(&str, Option<&str>, Option<&str>)] = &[
        // Forms in the shipped plan.
        ("5/6/19", Some("2019-06-05"), Some("2019-06-05")),
        (
            "5/6/19 – completed. Process updated.",
            Some("2019-06-05"),
            Some("2019-06-05"),
        ),
        ("July 2019", Some("2019-07"), Some("2019-07")),
        ("April 2020", Some("2020-04"), Some("2020-04")),
        ("Completed\nApril 2020", None, Some("2020-04")),
        ("30 September 2019", Some("2019-09-30"), Some("2019-09-30")),
        ("30 Sept 2019", Some("2019-09-30"), Some("2019-09-30")),
        ("Completed 30 Sept 2019", None, Some("2019-09-30")),
        ("Completed 30 September 2019", None, Some("2019-09-30")),
        ("January 2019", Some("2019-01"), Some("2019-01")),
        (
            "Champion training to be completed by 12/19",
            None,
            Some("2019-12"),
        ),
        ("12/19", Some("2019-12"), Some("2019-12")),
        ("Completed 26/10/2018", None, Some("2018-10-26")),
        ("26/10/2018", Some("2018-10-26"), Some("2018-10-26")),
        ("Aug 2019\nSep 2019\nMar 2020", None, Some("2020-03")),
        (
            "Sep 2019\nDec 2019 (course availability)\nOngoing through probation of new staff.",
            None,
            Some("2019-12"),
        ),
        (
            "Dec 2019 (course availability)",
            Some("2019-12"),
            Some("2019-12"),
        ),
        (
            "Dec 2019\nSep 2019\nCurrently part of our contract with Oxfordshire County Council.",
            None,
            Some("2019-12"),
        ),
        (
            "Currently part of our contract with Oxfordshire County Council.\nDec 2019",
            None,
            Some("2019-12"),
        ),
        (
            "Currently part of our contract with Oxfordshire County Council.",
            None,
            None,
        ),
        ("June 2019", Some("2019-06"), Some("2019-06")),
        ("Implement June 2019", None, Some("2019-06")),
        (
            "June 2019 The IDVA team has appropriate specialist support",
            None,
            Some("2019-06"),
        ),
        ("ongoing", None, None),
        ("Ongoing", None, None),
        (
            "Ongoing – there have been changes within the team and new starters",
            None,
            None,
        ),
        ("Subject to multi agency agreement", None, None),
        ("December 2019", Some("2019-12"), Some("2019-12")),
        (
            "September 2019\n(once review of policy has been agreed)",
            Some("2019-09"),
            Some("2019-09"),
        ),
        ("16.11.2021", Some("2021-11-16"), Some("2021-11-16")),
        (
            "16.11.2021. Links to Guidance to completing DASH",
            Some("2021-11-16"),
            Some("2021-11-16"),
        ),
        (
            "Report due 17.11.21. Linked to DHR action",
            None,
            Some("2021-11-17"),
        ),
        ("17.11.21", Some("2021-11-17"), Some("2021-11-17")),
        (
            "(Child SCR action plan completed 25/05/17)",
            None,
            Some("2017-05-25"),
        ),
        ("25/05/17", Some("2017-05-25"), Some("2017-05-25")),
        ("the result is not due until week of 22/11", None, None),
        ("22/11", None, None),
        (
            "We will take this to the Safeguarding Committee on 16 July 2019 for agreement.",
            None,
            Some("2019-07-16"),
        ),
        ("Autumn 2021", None, None),
        (
            "reintroduce course Autumn 2021 and book in December 2021",
            None,
            Some("2021-12"),
        ),
        // Other forms the module promises.
        ("6th September 2023", Some("2023-09-06"), Some("2023-09-06")),
        ("1st of May 2020", Some("2020-05-01"), Some("2020-05-01")),
        (
            "September 6th, 2023",
            Some("2023-09-06"),
            Some("2023-09-06"),
        ),
        ("Sept. 2019", Some("2019-09"), Some("2019-09")),
        ("march, 2020", Some("2020-03"), Some("2020-03")),
        ("12/2019", Some("2019-12"), Some("2019-12")),
        ("05-06-2019", Some("2019-06-05"), Some("2019-06-05")),
        ("2019-06-05", Some("2019-06-05"), Some("2019-06-05")),
        ("2019-07", Some("2019-07"), Some("2019-07")),
        ("2020", Some("2020"), Some("2020")),
        ("by 2020", None, Some("2020")),
        ("Homelessness Reduction Act 2017", None, None),
        ("12/11", None, None),
        ("31/2/2020", None, None),
        ("Dec 19", None, None),
        ("1.5", None, None),
        ("May", None, None),
        ("the programme may provide a helpful platform", None, None),
        ("Completed", None, None),
        ("", None, None),
    ];

    #[test]
    fn date_table() {
        assert!(TABLE.len() >= 40);
        for &(text, date, target) in TABLE {
            let read = parse_date(text).map(|d| d.to_string());
            assert_eq!(read.as_deref(), date, "parse_date({text:?})");
            let got = parse_target(text)
                .and_then(|t| t.date)
                .map(|d| d.to_string());
            assert_eq!(got.as_deref(), target, "parse_target({text:?})");
        }
    }

    #[test]
    fn precision_is_kept() {
        use crate::date::Precision;
        let july = parse_date("July 2019").expect("a month");
        assert_eq!(july.precision(), Precision::Month);
        let day = parse_date("30 Sept 2019").expect("a day");
        assert_eq!(day.precision(), Precision::Day);
    }

    #[test]
    fn target_keeps_every_word() {
        let target =
            parse_target("  Sep 2019 \n\n Dec 2019   (course availability) ").expect("a target");
        assert_eq!(target.text, "Sep 2019\nDec 2019 (course availability)");
        assert_eq!(
            target.date.map(|d| d.to_string()).as_deref(),
            Some("2019-12")
        );
        assert_eq!(parse_target(" \n "), None);
        let ongoing = parse_target("Ongoing").expect("words are a target");
        assert_eq!((ongoing.text.as_str(), ongoing.date), ("Ongoing", None));
    }

    #[test]
    fn several_dates_are_all_found_in_order() {
        let found: Vec<String> = find_dates("Aug 2019, then 5/6/19 and 16.11.2021.")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(found, ["2019-08", "2019-06-05", "2021-11-16"]);
    }

    #[test]
    fn seasons_are_noticed_but_not_dated() {
        assert!(names_season("course Autumn 2021."));
        assert!(!names_season("autumn term"));
        assert_eq!(find_dates("Autumn 2021"), Vec::new());
    }
}
