//! The record decoder: any bytes decode to a record or a typed error, never
//! a panic, and a record that decodes re-encodes to the same bytes (the
//! legacy bincode configuration has one encoding per value).
#![no_main]

use libfuzzer_sys::fuzz_target;
use planledger::codec;

fuzz_target!(|data: &[u8]| {
    if let Ok(sealed) = codec::decode_sealed(data) {
        let again = codec::encode(&sealed).expect("a decoded record encodes");
        assert_eq!(again, data, "a record decoded but encodes to other bytes");
    }
    let _ = codec::decode_texts(Some(data));
    let _ = planledger::request::decode(data);
});
