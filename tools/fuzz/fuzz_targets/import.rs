//! Every importer through `import::parse`: the first byte picks the format
//! (text, .docx, CSV, .xlsx, .ods, or detection from the bytes), the rest
//! is the document.
#![no_main]

use libfuzzer_sys::fuzz_target;
use planledger::import::{Format, parse};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let (name, format) = match selector % 6 {
        0 => ("plan.txt", Some(Format::Text)),
        1 => ("plan.docx", Some(Format::Docx)),
        2 => ("plan.csv", Some(Format::Csv)),
        3 => ("plan.xlsx", Some(Format::Xlsx)),
        4 => ("plan.ods", Some(Format::Ods)),
        _ => ("plan", None),
    };
    let _ = parse(name, bytes, format);
});
