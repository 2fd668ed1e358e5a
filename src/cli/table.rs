//! A table too long to hold, printed as it streams by: the same bytes
//! `comfy_table` prints for the whole table, without ever holding it.
//!
//! A table's columns are as wide as their widest cell, so it takes two
//! passes over the rows: the first measures them ([`Widths`]), the second
//! prints them ([`Printer`]), a chunk of rows at a time, each chunk a
//! `comfy_table` of its own with every column fixed at the width the whole
//! table has, its borders trimmed so that the chunks join into one table.
//! Only a table laid out from its content alone can be streamed: one
//! fitted to a terminal's width (`Table::width` is known) wraps its cells
//! by all of them at once, and is printed whole (see [`streamable`]).

use std::io::{self, Write};

use comfy_table::{ColumnConstraint, Row, Table, Width, presets};

/// How many rows a chunk holds, measured or printed at once.
pub const CHUNK_ROWS: usize = 1024;

/// A table as this module prints it: the preset every table of the CLI
/// uses, with `header`.
fn table_of(header: Option<&[&str]>) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::UTF8_FULL_CONDENSED);
    if let Some(header) = header {
        table.set_header(header.to_vec());
    }
    table
}

/// Whether a table printed here would be laid out as a streamed one is:
/// from its content alone, because `comfy_table` knows no width to fit it
/// to (standard output is not a terminal).
pub fn streamable() -> bool {
    table_of(None).width().is_none()
}

/// The widths of a table's columns, measured a chunk of rows at a time as
/// `comfy_table` measures them.
#[derive(Clone, Debug)]
pub struct Widths {
    header: Vec<&'static str>,
    widths: Vec<u16>,
    chunk: Vec<Vec<String>>,
}

impl Widths {
    /// No row measured yet: the header's widths.
    pub fn new(header: Vec<&'static str>) -> Widths {
        let widths = table_of(Some(&header)).column_max_content_widths();
        Widths {
            header,
            widths,
            chunk: Vec::new(),
        }
    }

    /// Measures one more row.
    pub fn row(&mut self, row: Vec<String>) {
        self.chunk.push(row);
        if self.chunk.len() >= CHUNK_ROWS {
            self.measure();
        }
    }

    fn measure(&mut self) {
        let mut table = table_of(None);
        for row in self.chunk.drain(..) {
            table.add_row(row);
        }
        let found = table.column_max_content_widths();
        if self.widths.len() < found.len() {
            self.widths.resize(found.len(), 0);
        }
        for (width, found) in self.widths.iter_mut().zip(found) {
            *width = (*width).max(found);
        }
    }

    /// Every row measured: a printer of the rows, in the same order.
    pub fn printer(mut self) -> Printer {
        self.measure();
        Printer {
            header: self.header,
            widths: self.widths,
            chunk: Vec::new(),
            started: false,
            bottom: None,
        }
    }
}

/// Prints the rows of a table whose widths are known, a chunk at a time.
#[derive(Clone, Debug)]
pub struct Printer {
    header: Vec<&'static str>,
    widths: Vec<u16>,
    chunk: Vec<Vec<String>>,
    /// Whether the top border and header are printed.
    started: bool,
    /// The bottom border, printed last.
    bottom: Option<String>,
}

impl Printer {
    /// Prints one more row (when its chunk is full).
    pub fn row(&mut self, row: Vec<String>, out: &mut dyn Write) -> io::Result<()> {
        self.chunk.push(row);
        if self.chunk.len() >= CHUNK_ROWS {
            self.print_chunk(out)?;
        }
        Ok(())
    }

    fn print_chunk(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if self.started && self.chunk.is_empty() {
            return Ok(());
        }
        // The first chunk opens the table with its header; a later one is
        // a table without one, whose top border is left out.
        let mut table = table_of((!self.started).then_some(self.header.as_slice()));
        for row in self.chunk.drain(..) {
            table.add_row(Row::from(row));
        }
        let constraints = self
            .widths
            .iter()
            .map(|w| ColumnConstraint::Absolute(Width::Fixed(w.saturating_add(2))));
        table.set_constraints(constraints);
        let mut lines = table.lines().skip(usize::from(self.started)).peekable();
        while let Some(line) = lines.next() {
            if lines.peek().is_none() {
                self.bottom = Some(line);
                break;
            }
            writeln!(out, "{line}")?;
        }
        self.started = true;
        Ok(())
    }

    /// Prints the rows still held and the bottom border: the table ends.
    pub fn finish(mut self, out: &mut dyn Write) -> io::Result<()> {
        self.print_chunk(out)?;
        if let Some(bottom) = self.bottom {
            writeln!(out, "{bottom}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole table as `comfy_table` prints it, laid out from its
    /// content (as when standard output is not a terminal).
    fn whole(header: &[&'static str], rows: &[Vec<String>]) -> String {
        let mut table = table_of(Some(header));
        table.force_no_tty();
        for row in rows {
            table.add_row(row.clone());
        }
        format!("{table}\n")
    }

    fn streamed(header: &[&'static str], rows: &[Vec<String>]) -> String {
        let mut widths = Widths::new(header.to_vec());
        rows.iter().for_each(|row| widths.row(row.clone()));
        let mut printer = widths.printer();
        let mut out = Vec::new();
        for row in rows {
            printer
                .row(row.clone(), &mut out)
                .expect("a Vec takes every write");
        }
        printer.finish(&mut out).expect("a Vec takes every write");
        String::from_utf8(out).expect("the table is UTF-8")
    }

    #[test]
    fn a_streamed_table_is_the_whole_table_byte_for_byte() {
        let header = ["seq", "who", "change"];
        for count in [
            0,
            1,
            2,
            CHUNK_ROWS - 1,
            CHUNK_ROWS,
            CHUNK_ROWS + 1,
            3 * CHUNK_ROWS + 7,
        ] {
            let rows: Vec<Vec<String>> = (0..count)
                .map(|i| {
                    vec![
                        i.to_string(),
                        // Wide and combining characters, and an empty cell.
                        ["Ada", "名前の人", "e\u{301}x", ""][i % 4].to_string(),
                        "word ".repeat(i % 37).trim_end().to_string(),
                    ]
                })
                .collect();
            assert_eq!(
                streamed(&header, &rows),
                whole(&header, &rows),
                "{count} rows"
            );
        }
    }

    #[test]
    fn the_widest_row_may_come_last() {
        let header = ["a", "b"];
        let mut rows: Vec<Vec<String>> = (0..CHUNK_ROWS + 3)
            .map(|i| vec![i.to_string(), "x".into()])
            .collect();
        rows.push(vec!["a much wider cell than any".into(), "y".repeat(80)]);
        assert_eq!(streamed(&header, &rows), whole(&header, &rows));
    }
}
