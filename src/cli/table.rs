//! A table printed as its rows come: the same bytes `comfy_table` prints
//! for the whole table, without holding it, and without `comfy_table`
//! laying out each row.
//!
//! A table's columns are as wide as their widest cell, so it takes two
//! passes over the rows: the first measures them ([`Widths`]), the second
//! prints them ([`Printer`]). A cell is measured as `comfy_table` measures
//! it (the display width of its widest line, at least 1) and printed as it
//! prints a cell of a column of fixed width: each line padded on the right
//! to the column's width, with a space either side, a row as tall as its
//! tallest cell. The borders, which are the same for every table of those
//! widths, are `comfy_table`'s own, drawn once. Only a table laid out from
//! its content alone can be printed so: one fitted to a terminal's width
//! (`Table::width` is known) wraps its cells by all of them at once, and
//! is printed whole by `comfy_table` (see [`streamable`]).

use std::io::{self, Write};

use comfy_table::{ColumnConstraint, ContentArrangement, Table, TableComponent, Width, presets};
use unicode_width::UnicodeWidthStr;

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

/// A table whose rows are held, printed whole: by this module when it is
/// laid out from its content alone (and so in the same bytes), fitted to
/// the terminal by `comfy_table` when there is one.
pub fn write_whole(
    header: Vec<&'static str>,
    rows: &[Vec<String>],
    out: &mut dyn Write,
) -> io::Result<()> {
    if streamable() {
        let mut widths = Widths::new(header);
        rows.iter().for_each(|row| widths.row(row));
        let mut printer = widths.printer();
        for row in rows {
            printer.row(row, out)?;
        }
        return printer.finish(out);
    }
    let mut table = table_of(Some(&header));
    table.set_content_arrangement(ContentArrangement::Dynamic);
    for row in rows {
        table.add_row(row);
    }
    writeln!(out, "{table}")
}

/// The display width of a cell as `comfy_table` measures it: its widest
/// line, and at least 1.
fn cell_width(cell: &str) -> u16 {
    let widest = cell.split('\n').map(UnicodeWidthStr::width).max();
    u16::try_from(widest.unwrap_or(0))
        .unwrap_or(u16::MAX)
        .max(1)
}

/// The widths of a table's columns, measured a row at a time.
#[derive(Clone, Debug)]
pub struct Widths {
    header: Vec<&'static str>,
    widths: Vec<u16>,
}

impl Widths {
    /// No row measured yet: the header's widths.
    pub fn new(header: Vec<&'static str>) -> Widths {
        let widths = header.iter().map(|h| cell_width(h)).collect();
        Widths { header, widths }
    }

    /// Measures one more row.
    pub fn row<S: AsRef<str>>(&mut self, row: &[S]) {
        if self.widths.len() < row.len() {
            self.widths.resize(row.len(), 1);
        }
        for (width, cell) in self.widths.iter_mut().zip(row) {
            *width = (*width).max(cell_width(cell.as_ref()));
        }
    }

    /// Every row measured: a printer of the rows, in the same order.
    pub fn printer(self) -> Printer {
        // The borders as `comfy_table` draws them for these widths: a table
        // of the header and one row, whose lines are the top border, the
        // header, the line under it, the row and the bottom border.
        let mut table = table_of(Some(&self.header));
        table.force_no_tty();
        table.add_row(vec![""; self.widths.len()]);
        table.set_constraints(
            self.widths
                .iter()
                .map(|w| ColumnConstraint::Absolute(Width::Fixed(w.saturating_add(2)))),
        );
        let mut border = |component| table.style(component).unwrap_or(' ');
        let (left, between, right) = (
            border(TableComponent::LeftBorder),
            border(TableComponent::VerticalLines),
            border(TableComponent::RightBorder),
        );
        let mut lines = table.lines();
        let mut next = || lines.next().unwrap_or_default();
        let top = next();
        let header = next();
        let under_header = next();
        let _row = next();
        let bottom = next();
        Printer {
            top,
            header,
            under_header,
            bottom,
            left,
            between,
            right,
            widths: self.widths,
            started: false,
            line: String::new(),
        }
    }
}

/// Prints the rows of a table whose widths are known, a row at a time.
#[derive(Clone, Debug)]
pub struct Printer {
    top: String,
    header: String,
    under_header: String,
    bottom: String,
    /// The borders of a row: left, between two cells, right.
    left: char,
    between: char,
    right: char,
    widths: Vec<u16>,
    /// Whether the top border, the header and the line under it are
    /// printed.
    started: bool,
    /// The line being laid out, kept to reuse its allocation.
    line: String,
}

impl Printer {
    fn start(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if !self.started {
            writeln!(out, "{}", self.top)?;
            writeln!(out, "{}", self.header)?;
            writeln!(out, "{}", self.under_header)?;
            self.started = true;
        }
        Ok(())
    }

    /// Prints one more row.
    pub fn row<S: AsRef<str>>(&mut self, row: &[S], out: &mut dyn Write) -> io::Result<()> {
        self.start(out)?;
        let height = row
            .iter()
            .map(|cell| cell.as_ref().split('\n').count())
            .max()
            .unwrap_or(1);
        for index in 0..height {
            self.line.clear();
            self.line.push(self.left);
            for (column, width) in self.widths.iter().enumerate() {
                if column > 0 {
                    self.line.push(self.between);
                }
                let text = row
                    .get(column)
                    .and_then(|cell| cell.as_ref().split('\n').nth(index))
                    .unwrap_or("");
                let pad = usize::from(*width).saturating_sub(text.width());
                self.line.push(' ');
                self.line.push_str(text);
                self.line.extend(std::iter::repeat_n(' ', pad + 1));
            }
            self.line.push(self.right);
            writeln!(out, "{}", self.line)?;
        }
        Ok(())
    }

    /// Prints the bottom border (after the header, for a table of no
    /// row): the table ends.
    pub fn finish(mut self, out: &mut dyn Write) -> io::Result<()> {
        self.start(out)?;
        writeln!(out, "{}", self.bottom)
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
        rows.iter().for_each(|row| widths.row(row));
        let mut printer = widths.printer();
        let mut out = Vec::new();
        for row in rows {
            printer.row(row, &mut out).expect("a Vec takes every write");
        }
        printer.finish(&mut out).expect("a Vec takes every write");
        String::from_utf8(out).expect("the table is UTF-8")
    }

    #[test]
    fn a_streamed_table_is_the_whole_table_byte_for_byte() {
        let header = ["seq", "who", "change"];
        for count in [0, 1, 2, 3, 4, 5, 37, 1031] {
            let rows: Vec<Vec<String>> = (0..count)
                .map(|i| {
                    vec![
                        i.to_string(),
                        // Wide and combining characters, an empty cell, and
                        // cells of more than one line.
                        ["Ada", "名前の人", "e\u{301}x", "", "two\nlines", "\n"][i % 6].to_string(),
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
        let mut rows: Vec<Vec<String>> =
            (0..1027).map(|i| vec![i.to_string(), "x".into()]).collect();
        rows.push(vec!["a much wider cell than any".into(), "y".repeat(80)]);
        assert_eq!(streamed(&header, &rows), whole(&header, &rows));
    }
}
