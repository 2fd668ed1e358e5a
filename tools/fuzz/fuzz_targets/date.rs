//! Every date parser: the command line's (`FuzzyDate::parse_iso`,
//! `Target::parse_cli`) and the importer's (`parse_date`, `find_dates`,
//! `parse_target`), on any text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use planledger::date::{FuzzyDate, Target};
use planledger::import::{find_dates, parse_date, parse_target};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(date) = FuzzyDate::parse_iso(&text) {
        // A parsed date has a first and last day, the first not after the last.
        assert!(date.first_day() <= date.last_day());
    }
    let _ = Target::parse_cli(&text);
    if let Some(date) = parse_date(&text) {
        assert!(date.first_day() <= date.last_day());
    }
    let _ = find_dates(&text);
    let _ = parse_target(&text);
});
