//! HTML report (in progress).

use std::io::{self, Write};

pub fn write(_view: &super::View<'_>, _out: &mut dyn Write) -> io::Result<()> {
    Ok(())
}
