//! The pack reader: `pack::verify` on any bytes returns a report or the
//! first fault, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = planledger::pack::verify(data);
});
