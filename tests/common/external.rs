//! Tests that need a program from outside the crate (headless Chromium,
//! LibreOffice): they run where the program is there; where it is missing
//! they are reported as *ignored*, with the reason, rather than passing
//! without having run; and in CI (`CI` set) a missing program is a failure,
//! since CI installs it and must run the check. Shared by the test targets
//! that use it, each without libtest's harness (`libtest-mimic` can decide
//! at run time that a test did not run; libtest cannot).

use std::path::{Path, PathBuf};

use libtest_mimic::{Completion, Failed};

/// Runs `test` with `program` if it is there; otherwise the trial is
/// ignored saying `missing`, or, in CI, fails.
pub fn when_there(
    program: Option<PathBuf>,
    missing: String,
    test: fn(&Path),
) -> impl FnOnce() -> Result<Completion, Failed> + Send + 'static {
    move || match program {
        Some(program) => {
            test(&program);
            Ok(Completion::Completed)
        }
        None if in_ci() => {
            Err(format!("{missing} (CI installs it and requires this check)").into())
        }
        None => Ok(Completion::ignored_with(missing)),
    }
}

/// True when the `CI` variable says this is a CI run (set, not empty, and
/// not `false` or `0`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}
