//! `planledger diff --from T1 --to T2`: what changed between two points.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};

use crate::date::FuzzyDate;
use crate::event::Micros;
use crate::ledger::{LedgerError, fold_view};
use crate::query::audit::{Entry, clip, slot_names_in};
use crate::query::diff::{self, Span};
use crate::text::visible;
use crate::time::{DayEnd, day_of, format_short, parse_instant};
use crate::wire;
use comfy_table::{ContentArrangement, Table, presets};

use super::{CliError, Context};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The earlier point: an instant or date (UTC); with --valid, a date
    #[arg(long, value_name = "WHEN")]
    from: String,
    /// The later point (default: now)
    #[arg(long, value_name = "WHEN")]
    to: Option<String>,
    /// Compare what was true in the world on two dates instead of what the
    /// ledger had recorded at two instants
    #[arg(long)]
    valid: bool,
    /// With --valid: by what the ledger had recorded at this instant or date
    /// (default: now)
    #[arg(long, value_name = "WHEN", requires = "valid")]
    as_of: Option<String>,
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
}

/// `planledger diff`. Each end is folded from the store alone and kept
/// only as each action's status; the events stream from the store, and
/// the text's groups of them go to temporary files once they are many (its
/// heading counts them first): a diff of a national ledger's whole history
/// holds none of it.
pub fn run(context: &Context, args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let span = span(context.clock.now(), args)?;
    let store = context.open_store_to_read()?;
    let _line = context.line_while_redirected("the changes");
    let (from_view, to_view) = span.views();
    let before = diff::statuses(&fold_view(&store, from_view)?);
    let moves = diff::moves(&before, &fold_view(&store, to_view)?);
    drop(before);
    let names_of = |seq: u64| slot_names_in(&store, seq);
    let entries = |sink: &mut dyn FnMut(&Entry) -> Result<(), CliError>| {
        let events = store
            .events()
            .map(|e| e.map_err(|e| CliError::from(LedgerError::from(e))));
        diff::entries_each(events, &names_of, span, &mut |entry| sink(&entry))
    };
    if args.json {
        let shape = wire::Diff::new(&args.from, args.to.as_deref(), span, &moves);
        return shape.write(out, entries);
    }
    let mut groups = Groups::new(SPILL_AFTER);
    entries(&mut |entry| groups.push(entry))?;
    let to = args.to.as_deref().unwrap_or("now");
    if groups.count == 0 {
        writeln!(out, "Nothing changed between {} and {to}.", args.from)?;
        return Ok(());
    }
    writeln!(
        out,
        "Between {} and {to}: {} change(s)\n",
        args.from, groups.count
    )?;
    if !moves.is_empty() {
        let mut table = Table::new();
        table
            .load_preset(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(["action", "agency", "status then", "status now"]);
        for m in &moves {
            table.add_row([
                m.action.to_string(),
                clip(&visible(&m.agency), 30),
                m.from
                    .map_or("(not yet added)".to_string(), |s| s.to_string()),
                m.to.to_string(),
            ]);
        }
        writeln!(out, "Status moves\n{table}\n")?;
    }
    groups.write(out)
}

/// The text's lines of the change, by group (`diff::group`), until all
/// are read: in memory while they are few, each group in a temporary file
/// of its own once they pass [`SPILL_AFTER`] bytes.
struct Groups {
    groups: BTreeMap<&'static str, Lines>,
    count: u64,
    held: usize,
    spill_after: usize,
}

/// The bytes of lines a diff holds in memory before it writes them to
/// temporary files: a diff of a partnership's year never needs one.
const SPILL_AFTER: usize = 8 << 20;

enum Lines {
    Held(Vec<u8>),
    Spilled(BufWriter<File>),
}

impl Groups {
    fn new(spill_after: usize) -> Groups {
        Groups {
            groups: BTreeMap::new(),
            count: 0,
            held: 0,
            spill_after,
        }
    }

    /// Adds an entry's line to its group.
    fn push(&mut self, entry: &Entry) -> Result<(), CliError> {
        let line = format!(
            "  seq {:<5} {}  {:<10}  {}  {}{}\n",
            entry.seq,
            format_short(entry.recorded_at),
            entry.effective.map_or("—".to_string(), |d| d.to_string()),
            clip(&visible(&entry.actor), 28),
            entry.action.map(|a| format!("{}: ", a)).unwrap_or_default(),
            clip(&visible(&entry.change), 100)
        );
        self.push_line(diff::group(entry.kind), &line)
    }

    fn push_line(&mut self, group: &'static str, line: &str) -> Result<(), CliError> {
        self.count += 1;
        match self.groups.entry(group).or_insert(Lines::Held(Vec::new())) {
            Lines::Held(held) => {
                held.extend_from_slice(line.as_bytes());
                self.held += line.len();
            }
            Lines::Spilled(file) => file.write_all(line.as_bytes()).map_err(spill_failed)?,
        }
        if self.held > self.spill_after {
            self.spill()?;
        }
        Ok(())
    }

    /// Moves every group's lines held in memory to a temporary file.
    fn spill(&mut self) -> Result<(), CliError> {
        for lines in self.groups.values_mut() {
            if let Lines::Held(held) = lines {
                let mut file = BufWriter::new(tempfile::tempfile().map_err(spill_failed)?);
                file.write_all(held).map_err(spill_failed)?;
                *lines = Lines::Spilled(file);
            }
        }
        self.held = 0;
        Ok(())
    }

    /// Each group under its heading, in the groups' order.
    fn write(self, out: &mut dyn Write) -> Result<(), CliError> {
        for (group, lines) in self.groups {
            writeln!(out, "{group}:")?;
            match lines {
                Lines::Held(held) => out.write_all(&held)?,
                Lines::Spilled(file) => {
                    let mut file = file
                        .into_inner()
                        .map_err(|e| spill_failed(e.into_error()))?;
                    file.seek(SeekFrom::Start(0)).map_err(spill_failed)?;
                    io::copy(&mut file, out)?;
                }
            }
        }
        Ok(())
    }
}

/// A temporary file for the changes could not be written or read back.
fn spill_failed(e: io::Error) -> CliError {
    CliError::Input(format!(
        "cannot hold the changes in a temporary file in {}: {e}",
        std::env::temp_dir().display()
    ))
}

/// The span the arguments name. `--from` counts from the start of the day
/// or period it names, `--to` to the end of its own (or now), so both ends
/// are included: "from 2019-06" includes all of June.
fn span(now: Micros, args: &Args) -> Result<Span, CliError> {
    let refused = |to: &str| CliError::Input(format!("--to {to} is before --from {}", args.from));
    if args.valid {
        let date =
            |text: &str| FuzzyDate::parse_iso(text).map_err(|e| CliError::Input(e.to_string()));
        let from = date(&args.from)?.first_day();
        let to = match &args.to {
            Some(text) => date(text)?.last_day(),
            None => day_of(now),
        };
        if to < from {
            return Err(refused(args.to.as_deref().unwrap_or("today")));
        }
        let as_of = match &args.as_of {
            Some(text) => {
                Some(parse_instant(text, DayEnd::End).map_err(|e| CliError::Input(e.to_string()))?)
            }
            None => None,
        };
        return Ok(Span::Valid { from, to, as_of });
    }
    let from =
        parse_instant(&args.from, DayEnd::Start).map_err(|e| CliError::Input(e.to_string()))?;
    let to = match &args.to {
        Some(text) => {
            parse_instant(text, DayEnd::End).map_err(|e| CliError::Input(e.to_string()))?
        }
        None => now,
    };
    if to < from {
        return Err(refused(args.to.as_deref().unwrap_or("now")));
    }
    Ok(Span::Recorded { from, to })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines spilled to temporary files, after every line or part way, are
    /// written as those held in memory are: each group under its heading,
    /// in the groups' order, its lines in the order they came.
    #[test]
    fn spilled_groups_are_written_as_held_ones() {
        let lines = [
            ("status moves", "  seq 3 a\n"),
            ("added", "  seq 4 b\n"),
            ("status moves", "  seq 5 c\n"),
            ("milestones", "  seq 6 d\n"),
            ("added", "  seq 7 e\n"),
        ];
        let written = |spill_after: usize| {
            let mut groups = Groups::new(spill_after);
            for (group, line) in lines {
                groups.push_line(group, line).expect("held or spilled");
            }
            assert_eq!(groups.count, 5);
            let mut out = Vec::new();
            groups.write(&mut out).expect("written");
            String::from_utf8(out).expect("UTF-8")
        };
        let held = written(usize::MAX);
        assert_eq!(
            held,
            "added:\n  seq 4 b\n  seq 7 e\nmilestones:\n  seq 6 d\nstatus moves:\n  seq 3 a\n  seq 5 c\n"
        );
        assert_eq!(written(0), held, "every line spilled at once");
        assert_eq!(written(20), held, "spilled part way");
    }
}
