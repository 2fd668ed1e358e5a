//! Recorded time: the clock the ledger reads, and how instants are written.
//!
//! The library never reads the system clock directly; it is handed a
//! [`Clock`]. Tests and demos use a [`FixedClock`], and every transaction it
//! times is recorded as [`ClockNote::Overridden`], so a fixed clock can
//! never pass for the real one.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, TimeZone, Utc};

use crate::event::{ClockNote, Micros};

/// Where recorded time comes from.
pub trait Clock: Send + Sync {
    /// Microseconds since the Unix epoch, UTC.
    fn now(&self) -> Micros;
    /// How a time from this clock is described in the record.
    fn note(&self) -> ClockNote;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Micros {
        Utc::now().timestamp_micros()
    }

    fn note(&self) -> ClockNote {
        ClockNote::System
    }
}

/// A clock that says what it is told, recorded as overridden.
#[derive(Debug)]
pub struct FixedClock(AtomicI64);

impl FixedClock {
    pub fn new(now: Micros) -> FixedClock {
        FixedClock(AtomicI64::new(now))
    }

    pub fn set(&self, now: Micros) {
        self.0.store(now, Ordering::SeqCst);
    }

    pub fn advance_secs(&self, secs: i64) {
        self.0.fetch_add(secs * 1_000_000, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Micros {
        self.0.load(Ordering::SeqCst)
    }

    fn note(&self) -> ClockNote {
        ClockNote::Overridden
    }
}

/// `2021-11-16T09:30:00Z`; sub-second digits only when present.
pub fn format_micros(micros: Micros) -> String {
    match DateTime::<Utc>::from_timestamp_micros(micros) {
        Some(t) => t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        None => format!("(time {micros}µs out of range)"),
    }
}

/// `2021-11-16 09:30` for tables read by people.
pub fn format_short(micros: Micros) -> String {
    match DateTime::<Utc>::from_timestamp_micros(micros) {
        Some(t) => t.format("%Y-%m-%d %H:%M").to_string(),
        None => format!("(time {micros}µs out of range)"),
    }
}

/// The UTC calendar day of an instant.
pub fn day_of(micros: Micros) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .map(|t| t.date_naive())
        .unwrap_or(NaiveDate::MIN)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not an instant: use an RFC 3339 time such as 2021-11-16T09:30:00Z, or a date such as 2021-11-16"
)]
pub struct InstantError(pub String);

/// Which end of a day a bare date stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayEnd {
    /// 00:00:00 UTC: for "since".
    Start,
    /// The last microsecond of the day: for "until" and "as of".
    End,
}

/// Reads an RFC 3339 instant, or a date (`2021-11-16`) standing for the
/// start or end of that UTC day.
pub fn parse_instant(text: &str, day_end: DayEnd) -> Result<Micros, InstantError> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc).timestamp_micros());
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(match day_end {
            DayEnd::Start => start_of_day(day),
            DayEnd::End => start_of_day(day) + 86_400_000_000 - 1,
        });
    }
    Err(InstantError(text.to_string()))
}

/// The first microsecond of a UTC day.
pub fn start_of_day(day: NaiveDate) -> Micros {
    Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN))
        .timestamp_micros()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_read_and_write_back() {
        let t = parse_instant("2021-11-16T09:30:00Z", DayEnd::Start).unwrap();
        assert_eq!(format_micros(t), "2021-11-16T09:30:00Z");
        let offset = parse_instant("2021-11-16T10:30:00+01:00", DayEnd::Start).unwrap();
        assert_eq!(offset, t);
        let start = parse_instant("2021-11-16", DayEnd::Start).unwrap();
        let end = parse_instant("2021-11-16", DayEnd::End).unwrap();
        assert_eq!(format_micros(start), "2021-11-16T00:00:00Z");
        assert_eq!(end - start, 86_400_000_000 - 1);
        assert_eq!(day_of(end), NaiveDate::from_ymd_opt(2021, 11, 16).unwrap());
        assert!(parse_instant("16/11/2021", DayEnd::Start).is_err());
    }
}
