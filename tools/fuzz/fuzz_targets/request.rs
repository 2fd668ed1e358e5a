//! The request/return reader: `SignedRequest::from_return` on any bytes,
//! and, for one that reads, its commands.
#![no_main]

use libfuzzer_sys::fuzz_target;
use planledger::request::SignedRequest;

fuzz_target!(|data: &[u8]| {
    if let Ok(signed) = SignedRequest::from_return(data) {
        let _ = signed.commands();
        let _ = signed.to_return();
    }
});
