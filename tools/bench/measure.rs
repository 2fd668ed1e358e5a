//! Timing, memory and size helpers, and the table the tool prints.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use crate::synth::Result;

/// Runs `f` `repeats` times and returns the best time and the last result.
/// The previous result is dropped before each run.
pub fn best_of<T>(repeats: usize, mut f: impl FnMut() -> Result<T>) -> Result<(Duration, T)> {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..repeats.max(1) {
        // Dropped first: an open ledger holds its lock.
        drop(last.take());
        let start = Instant::now();
        let value = f()?;
        best = best.min(start.elapsed());
        last = Some(value);
    }
    Ok((best, last.ok_or("repeats is at least 1")?))
}

/// Bytes in the files under `path` (or of `path`, a file).
pub fn size_on_disk(path: &Path) -> Result<u64> {
    let meta = fs::metadata(path)?;
    if !meta.is_dir() {
        return Ok(meta.len());
    }
    let mut total = 0;
    for entry in fs::read_dir(path)? {
        total += size_on_disk(&entry?.path())?;
    }
    Ok(total)
}

/// A process run: best wall time and highest peak resident memory (bytes)
/// of `repeats` runs.
pub struct Run {
    pub took: Duration,
    pub peak: Option<u64>,
}

/// Runs `program` with `args` `repeats` times, its output thrown away, as
/// a user runs it: best wall time, and the highest peak resident memory
/// if `/usr/bin/time` is there. `fresh` runs before each run, untimed.
pub fn run_process(
    program: &Path,
    args: &[String],
    repeats: usize,
    mut fresh: impl FnMut() -> Result<()>,
) -> Result<Run> {
    let time = Path::new("/usr/bin/time");
    let measured =
        std::env::temp_dir().join(format!("planledger-bench-{}.time", std::process::id()));
    let mut best = Duration::MAX;
    let mut peak = None;
    for _ in 0..repeats.max(1) {
        fresh()?;
        let mut process = if time.exists() {
            let mut p = Process::new(time);
            p.arg("-f").arg("%M").arg("-o").arg(&measured).arg(program);
            p
        } else {
            Process::new(program)
        };
        process
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let start = Instant::now();
        let output = process.output()?;
        best = best.min(start.elapsed());
        if !output.status.success() {
            return Err(format!(
                "{} {} failed ({}): {}",
                program.display(),
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            )
            .into());
        }
        if time.exists() {
            let text = fs::read_to_string(&measured)?;
            // The last line: a command's own output on stderr comes first.
            let kb: u64 = text
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .parse()
                .map_err(|e| format!("/usr/bin/time wrote {text:?}: {e}"))?;
            peak = Some(peak.map_or(kb * 1024, |p: u64| p.max(kb * 1024)));
        }
    }
    let _ = fs::remove_file(&measured);
    Ok(Run { took: best, peak })
}

/// This machine's one-minute load average, from `/proc/loadavg`.
pub fn load() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

/// The peak resident memory of this process (VmHWM), in bytes.
pub fn own_peak() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb * 1024)
}

pub fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 10_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

/// Events (or anything) a second, with thousands separated.
pub fn rate(n: u64, d: Duration) -> String {
    format!("{} ev/s", thousands((n as f64 / d.as_secs_f64()) as u64))
}

pub use planledger::text::thousands;

/// Megabytes (10^6 bytes), as the targets are written.
pub fn mb(bytes: u64) -> String {
    let mb = bytes as f64 / 1e6;
    if mb >= 100.0 {
        format!("{mb:.0} MB")
    } else {
        format!("{mb:.1} MB")
    }
}

/// One row of the figures table.
pub struct Row {
    pub measure: String,
    pub ours: String,
    pub floor: String,
    pub peer: String,
    pub target: String,
    pub met: String,
}

/// The figures, printed as Markdown rows and echoed to stderr as they
/// come.
#[derive(Default)]
pub struct Table {
    rows: Vec<Row>,
}

impl Table {
    pub fn push(&mut self, row: Row) {
        eprintln!(
            "  {}: {} | floor {} | SQLite {} | {} {}",
            row.measure, row.ours, row.floor, row.peer, row.target, row.met
        );
        self.rows.push(row);
    }

    pub fn markdown(&self) -> String {
        let mut out = String::from(
            "| measure | planledger | floor | SQLite peer | target | met? |\n|---|---|---|---|---|---|\n",
        );
        for r in &self.rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                r.measure, r.ours, r.floor, r.peer, r.target, r.met
            );
        }
        out
    }
}

/// "yes", or "no: " and by how much, for a figure that must be at most
/// `limit` (`what` names the limit, as "× floor").
pub fn at_most(value: f64, limit: f64, ratio_to: f64, what: &str) -> String {
    if value <= limit {
        format!("yes ({:.2}{what})", value / ratio_to)
    } else {
        format!("no: {:.2}{what}", value / ratio_to)
    }
}
