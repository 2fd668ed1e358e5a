//! The checkpoint parser: `Checkpoint::parse` on any bytes; one that parses
//! renders back to text that parses to the same statement.
#![no_main]

use libfuzzer_sys::fuzz_target;
use planledger::checkpoint::Checkpoint;

fuzz_target!(|data: &[u8]| {
    if let Ok(checkpoint) = Checkpoint::parse(data) {
        let text = checkpoint.render();
        let again = Checkpoint::parse(text.as_bytes()).expect("a rendered checkpoint parses");
        assert_eq!(again.render(), text);
    }
});
