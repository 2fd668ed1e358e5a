//! Where [`super::verify`] reads a pack from: its bytes in memory, or a file
//! read again for each pass, a line at a time, so that checking a pack
//! never holds the whole of it; and [`canonical_at_a_glance`], the check of
//! a line's canonical form that builds no JSON value.

use std::convert::Infallible;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;

/// A pack that can be read a line at a time, from any line's offset, as
/// often as the checker needs.
pub(super) trait Source {
    /// Why a read failed (never, for bytes in memory).
    type Error;

    /// The length of the pack in bytes and its last byte.
    fn ends(&mut self) -> Result<(u64, Option<u8>), Self::Error>;

    /// Reads on from byte `offset` (the start of a line).
    fn seek(&mut self, offset: u64) -> Result<(), Self::Error>;

    /// The next line without its `\n`, or `None` at the end.
    fn next_line(&mut self) -> Result<Option<&[u8]>, Self::Error>;

    /// The next line, as [`Source::next_line`] gives it if it is at most
    /// `limit` bytes long; a longer one is passed over and only its length
    /// given, so that it is never held whole.
    fn next_line_within(&mut self, limit: usize) -> Result<Option<Line<'_>>, Self::Error>;

    /// Fills `buf` with the next bytes; `false` if the pack ends first.
    fn read_exact(&mut self, buf: &mut [u8]) -> Result<bool, Self::Error>;

    /// A second reader of the same pack that reads a line at a given
    /// offset without moving this one: how the projection reads back the
    /// words of milestones and claims while the projection line itself is
    /// being read.
    fn lines_at(&self) -> Result<Self::At, Self::Error>;

    type At: LineAt<Error = Self::Error>;
}

/// Reads the line at an offset of a pack, leaving every other reader of
/// it where it was.
pub(super) trait LineAt {
    type Error;

    /// The line starting at byte `offset`, without its `\n`; `None` past
    /// the end.
    fn line_at(&self, offset: u64) -> Result<Option<Vec<u8>>, Self::Error>;
}

/// A line read by [`Source::next_line_within`].
pub(super) enum Line<'a> {
    Whole(&'a [u8]),
    /// Longer than the limit: its length, without its `\n`.
    Long(u64),
}

/// A pack held in memory.
pub(super) struct Bytes<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Bytes<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Bytes<'a> {
        Bytes { bytes, at: 0 }
    }
}

impl<'a> Source for Bytes<'a> {
    type Error = Infallible;
    type At = BytesAt<'a>;

    fn lines_at(&self) -> Result<BytesAt<'a>, Infallible> {
        Ok(BytesAt(self.bytes))
    }

    fn ends(&mut self) -> Result<(u64, Option<u8>), Infallible> {
        Ok((self.bytes.len() as u64, self.bytes.last().copied()))
    }

    fn seek(&mut self, offset: u64) -> Result<(), Infallible> {
        self.at = usize::try_from(offset).map_or(self.bytes.len(), |o| o.min(self.bytes.len()));
        Ok(())
    }

    fn next_line(&mut self) -> Result<Option<&[u8]>, Infallible> {
        let rest = &self.bytes[self.at..];
        if rest.is_empty() {
            return Ok(None);
        }
        let (line, used) = match rest.iter().position(|b| *b == b'\n') {
            Some(end) => (&rest[..end], end + 1),
            None => (rest, rest.len()),
        };
        self.at += used;
        Ok(Some(line))
    }

    fn next_line_within(&mut self, limit: usize) -> Result<Option<Line<'_>>, Infallible> {
        let Some(line) = self.next_line()? else {
            return Ok(None);
        };
        Ok(Some(match line.len() > limit {
            true => Line::Long(line.len() as u64),
            false => Line::Whole(line),
        }))
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<bool, Infallible> {
        let rest = &self.bytes[self.at..];
        if rest.len() < buf.len() {
            self.at = self.bytes.len();
            return Ok(false);
        }
        buf.copy_from_slice(&rest[..buf.len()]);
        self.at += buf.len();
        Ok(true)
    }
}

/// [`LineAt`] over a pack in memory.
pub(super) struct BytesAt<'a>(&'a [u8]);

impl LineAt for BytesAt<'_> {
    type Error = Infallible;

    fn line_at(&self, offset: u64) -> Result<Option<Vec<u8>>, Infallible> {
        let Some(rest) = usize::try_from(offset).ok().and_then(|at| self.0.get(at..)) else {
            return Ok(None);
        };
        if rest.is_empty() {
            return Ok(None);
        }
        let end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
        Ok(Some(rest[..end].to_vec()))
    }
}

/// A pack in a file, read through a buffer.
pub(super) struct FileSource {
    reader: BufReader<File>,
    line: Vec<u8>,
}

impl FileSource {
    pub(super) fn new(file: File) -> FileSource {
        FileSource {
            reader: BufReader::with_capacity(1 << 16, file),
            line: Vec::new(),
        }
    }
}

impl Source for FileSource {
    type Error = io::Error;
    type At = FileAt;

    fn lines_at(&self) -> io::Result<FileAt> {
        Ok(FileAt(self.reader.get_ref().try_clone()?))
    }

    fn ends(&mut self) -> io::Result<(u64, Option<u8>)> {
        let len = self.reader.seek(SeekFrom::End(0))?;
        if len == 0 {
            return Ok((0, None));
        }
        self.reader.seek(SeekFrom::End(-1))?;
        let mut last = [0u8];
        self.reader.read_exact(&mut last)?;
        Ok((len, Some(last[0])))
    }

    fn seek(&mut self, offset: u64) -> io::Result<()> {
        self.reader.seek(SeekFrom::Start(offset)).map(drop)
    }

    fn next_line(&mut self) -> io::Result<Option<&[u8]>> {
        self.line.clear();
        // A line longer than the last one read grows the buffer; one much
        // shorter lets go of what a long line (the projection) took.
        if self.line.capacity() > 1 << 20 {
            self.line.shrink_to(1 << 16);
        }
        if self.reader.read_until(b'\n', &mut self.line)? == 0 {
            return Ok(None);
        }
        if self.line.last() == Some(&b'\n') {
            self.line.pop();
        }
        Ok(Some(&self.line))
    }

    fn next_line_within(&mut self, limit: usize) -> io::Result<Option<Line<'_>>> {
        self.line.clear();
        if self.line.capacity() > 1 << 20 {
            self.line.shrink_to(1 << 16);
        }
        let mut length = 0u64;
        let mut long = false;
        loop {
            let available = self.reader.fill_buf()?;
            if available.is_empty() {
                if length == 0 {
                    return Ok(None);
                }
                break;
            }
            let (piece, ends) = match available.iter().position(|b| *b == b'\n') {
                Some(at) => (&available[..at], true),
                None => (available, false),
            };
            length += piece.len() as u64;
            long |= length > limit as u64;
            if !long {
                self.line.extend_from_slice(piece);
            }
            let used = piece.len() + usize::from(ends);
            self.reader.consume(used);
            if ends {
                // A line that is just "\n" is read as an empty line.
                break;
            }
        }
        Ok(Some(match long {
            true => Line::Long(length),
            false => Line::Whole(&self.line),
        }))
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<bool> {
        match self.reader.read_exact(buf) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// [`LineAt`] over a pack in a file: positioned reads of a second handle,
/// which share the file but never move its offset, so the [`FileSource`]
/// reading beside it is left where it was.
pub(super) struct FileAt(File);

impl LineAt for FileAt {
    type Error = io::Error;

    fn line_at(&self, offset: u64) -> io::Result<Option<Vec<u8>>> {
        let mut line = Vec::new();
        let mut chunk = [0u8; 4096];
        let mut at = offset;
        loop {
            let read = self.0.read_at(&mut chunk, at)?;
            if read == 0 {
                return Ok((!line.is_empty()).then_some(line));
            }
            let piece = &chunk[..read];
            if let Some(end) = piece.iter().position(|b| *b == b'\n') {
                line.extend_from_slice(&piece[..end]);
                return Ok(Some(line));
            }
            line.extend_from_slice(piece);
            at += read as u64;
        }
    }
}

/// Whether `raw` is one JSON value in a pack's canonical form
/// (`ledger/FORMAT.md` §7.1), decided without building it. `false` means
/// "not shown canonical here": the caller then parses the line to say
/// exactly what is wrong (or finds nothing wrong, where this check is
/// stricter than the form: a negative number, a key with an escape, a
/// nesting deeper than any pack's).
pub(super) fn canonical_at_a_glance(raw: &[u8]) -> bool {
    let mut glance = Glance { raw, at: 0 };
    glance.value(0) && glance.at == raw.len()
}

/// The end (exclusive) of the JSON value that starts at `start` in a line
/// already known to be canonical, if it is one this check reads.
pub(super) fn value_end(raw: &[u8], start: usize) -> Option<usize> {
    let mut glance = Glance { raw, at: start };
    glance.value(0).then_some(glance.at)
}

/// Deeper than any pack nests, and well inside `serde_json`'s limit.
const MAX_DEPTH: usize = 64;

struct Glance<'a> {
    raw: &'a [u8],
    at: usize,
}

impl Glance<'_> {
    fn peek(&self) -> Option<u8> {
        self.raw.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let ok = self.peek() == Some(byte);
        if ok {
            self.at += 1;
        }
        ok
    }

    fn value(&mut self, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().is_some(),
            Some(b'0'..=b'9') => self.number(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            _ => false,
        }
    }

    fn literal(&mut self, word: &[u8]) -> bool {
        let ok = self.raw[self.at..].starts_with(word);
        if ok {
            self.at += word.len();
        }
        ok
    }

    /// A whole number as `serde_json` writes a `u64`.
    fn number(&mut self) -> bool {
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        let digits = &self.raw[start..self.at];
        if digits.len() > 1 && digits[0] == b'0' {
            return false;
        }
        std::str::from_utf8(digits).is_ok_and(|d| d.parse::<u64>().is_ok())
    }

    /// A string as `serde_json` writes it; where its bytes between the
    /// quotes start and end.
    fn string(&mut self) -> Option<(usize, usize)> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.at;
        loop {
            let byte = self.peek()?;
            self.at += 1;
            match byte {
                b'"' => return Some((start, self.at - 1)),
                0x00..=0x1f => return None,
                b'\\' => {
                    let escape = self.peek()?;
                    self.at += 1;
                    match escape {
                        b'"' | b'\\' | b'b' | b't' | b'n' | b'f' | b'r' => {}
                        b'u' => {
                            let digits = self.raw.get(self.at..self.at + 4)?;
                            self.at += 4;
                            let lower = |b: &u8| b.is_ascii_digit() || (b'a'..=b'f').contains(b);
                            let short = [b"0008", b"0009", b"000a", b"000c", b"000d"];
                            let control = digits.starts_with(b"000") || digits.starts_with(b"001");
                            if !(digits.iter().all(lower)
                                && control
                                && !short.iter().any(|s| digits == *s))
                            {
                                return None;
                            }
                        }
                        _ => return None,
                    }
                }
                _ => {}
            }
        }
    }

    fn object(&mut self, depth: usize) -> bool {
        self.at += 1;
        if self.eat(b'}') {
            return true;
        }
        let raw = self.raw;
        let mut previous: Option<&[u8]> = None;
        loop {
            let Some((start, end)) = self.string() else {
                return false;
            };
            let key = &raw[start..end];
            if key.contains(&b'\\') || previous.is_some_and(|p| p >= key) {
                return false;
            }
            previous = Some(key);
            if !(self.eat(b':') && self.value(depth)) {
                return false;
            }
            if self.eat(b',') {
                continue;
            }
            return self.eat(b'}');
        }
    }

    fn array(&mut self, depth: usize) -> bool {
        self.at += 1;
        if self.eat(b']') {
            return true;
        }
        loop {
            if !self.value(depth) {
                return false;
            }
            if self.eat(b',') {
                continue;
            }
            return self.eat(b']');
        }
    }
}
