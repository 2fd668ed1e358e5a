//! Progress on the terminal for work that may take more than a moment (a
//! big import): one line on stderr, redrawn in place and cleared at the
//! end. Nothing is drawn when stderr is not a terminal or with `--quiet`,
//! so a script, a pipe or a test sees only the command's own output.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A line of steps: "⠹ [2/4] checking 100,003 changes (3s)".
pub struct Steps {
    bar: ProgressBar,
}

impl Steps {
    /// A line of `len` steps, drawn on stderr if `shown`.
    pub fn new(shown: bool, len: u64) -> Steps {
        let target = if shown {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(len), target);
        if let Ok(style) = ProgressStyle::with_template("{spinner} [{pos}/{len}] {msg} ({elapsed})")
        {
            bar.set_style(style);
        }
        if shown {
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        Steps { bar }
    }

    /// Begins the next step, saying what it does.
    pub fn step(&self, what: String) {
        self.bar.inc(1);
        self.bar.set_message(what);
    }
}

impl Drop for Steps {
    /// The line is cleared whether the work succeeded or not: the command
    /// then says what happened.
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// A bar over a count of things: "⠹ verifying [=====>    ] 512,000/1,000,001
/// events (3s)". Cheap to advance from any thread (`indicatif` redraws at
/// most a few times a second).
pub struct Counter {
    bar: ProgressBar,
}

impl Counter {
    /// A bar over `len` things, drawn on stderr if `shown`, saying `what`
    /// is being done to them.
    pub fn new(shown: bool, len: u64, what: &str) -> Counter {
        let target = if shown {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(len), target);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {human_pos}/{human_len} events ({elapsed})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_string());
        if shown {
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        Counter { bar }
    }

    /// Says that `done` things in all are done.
    pub fn at(&self, done: u64) {
        self.bar.set_position(done);
    }
}

impl Drop for Counter {
    /// Cleared whether the work succeeded or not, as [`Steps`] is.
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// `n` with thousands separated by commas: "100,003" ([`crate::text::thousands`]).
pub fn count(n: usize) -> String {
    crate::text::thousands(n as u64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_are_grouped_in_thousands() {
        for (n, shown) in [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (100_003, "100,003"),
            (4_500_000, "4,500,000"),
        ] {
            assert_eq!(super::count(n), shown);
        }
    }
}
