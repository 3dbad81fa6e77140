//! NDJSON input and output: one JSON value per `\n`-terminated line.
//!
//! Reading keeps each line's position (`movies.ndjson:17`) so that every tool reports bad input the
//! same way, and applies the rules docs/data-contract.md ("NDJSON lines") sets for files a killed
//! writer may have left behind: a last line without its `\n` is *truncated*, reported and never
//! parsed as a record. A UTF-8 byte-order mark at the start, `\r\n` line ends and blank lines are
//! tolerated. Nothing here parses JSON: callers decide what a line must hold.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Where a line came from: a source name (a path, or `stdin`) and a 1-based line number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position<'a> {
    /// The file name as the user gave it, or `stdin`.
    pub source: &'a str,
    /// 1-based line number.
    pub line: u64,
}

impl fmt::Display for Position<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.source, self.line)
    }
}

/// What [`LineReader::read_into`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineInfo {
    /// 1-based line number in the source.
    pub number: u64,
    /// False for a last line that has no `\n`: a writer was interrupted mid-line, so the line
    /// must be reported and never taken as a record.
    pub is_complete: bool,
    /// For a line longer than the reader's limit: its whole length in bytes. The buffer then
    /// holds only its first [`OVERSIZED_START`] bytes; the rest was read and dropped.
    pub oversized: Option<u64>,
}

/// How much of a line over the limit is kept, to show what it was.
pub const OVERSIZED_START: usize = 1024;

/// How far a reader got through its source in whole lines: the byte just after the last
/// complete line, and that line's number. A truncated last line is not counted, so a later
/// read that starts here reads it again once its writer has finished it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reached {
    /// Bytes from the start of the source.
    pub bytes: u64,
    /// Lines (blank ones included) from the start of the source.
    pub lines: u64,
}

/// Reads the non-blank lines of one NDJSON source, with their line numbers.
pub struct LineReader<R> {
    inner: R,
    source: String,
    number: u64,
    max_line: usize,
    reached: Reached,
}

impl<R: BufRead> LineReader<R> {
    /// Wraps `inner`; `source` names it in positions (a path, or `stdin`).
    pub fn new(inner: R, source: impl Into<String>) -> Self {
        LineReader {
            inner,
            source: source.into(),
            number: 0,
            max_line: usize::MAX,
            reached: Reached::default(),
        }
    }

    /// For a source whose first `start.bytes` bytes were skipped: numbers lines and counts
    /// bytes from there.
    pub fn starting_at(mut self, start: Reached) -> Self {
        self.number = start.lines;
        self.reached = start;
        self
    }

    /// How far the lines read so far reach; see [`Reached`].
    pub fn reached(&self) -> Reached {
        self.reached
    }

    /// Lines longer than `max_line` bytes are not held whole: see [`LineInfo::oversized`].
    pub fn with_max_line(mut self, max_line: usize) -> Self {
        self.max_line = max_line;
        self
    }

    /// Reads up to and including the next `\n` into `buf`, keeping at most `max_line` bytes
    /// (then only the first [`OVERSIZED_START`]); returns the bytes read.
    fn read_line(&mut self, buf: &mut Vec<u8>) -> io::Result<u64> {
        let mut total = 0u64;
        let mut cut = false;
        loop {
            let available = self.inner.fill_buf()?;
            if available.is_empty() {
                return Ok(total);
            }
            // memchr: a byte-at-a-time search was most of the reader thread's time.
            let (used, done) = match memchr::memchr(b'\n', available) {
                Some(at) => (at + 1, true),
                None => (available.len(), false),
            };
            if !cut && buf.len() + used > self.max_line.saturating_add(1) {
                cut = true;
                buf.truncate(OVERSIZED_START);
            }
            let kept = match cut {
                true => used.min(OVERSIZED_START.saturating_sub(buf.len())),
                false => used,
            };
            buf.extend_from_slice(&available[..kept]);
            total += used as u64;
            self.inner.consume(used);
            if done {
                if cut && buf.last() != Some(&b'\n') {
                    buf.push(b'\n'); // the line end, as an uncut line keeps it here
                }
                return Ok(total);
            }
        }
    }

    /// The source name given at construction.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The position of the line most recently read.
    pub fn position(&self) -> Position<'_> {
        Position {
            source: &self.source,
            line: self.number,
        }
    }

    /// Reads the next non-blank line into `buf` (replacing its contents), without its line end,
    /// a leading byte-order mark, or a trailing `\r`. Returns `None` at the end of the input.
    pub fn read_into(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<LineInfo>> {
        loop {
            buf.clear();
            let length = self.read_line(buf)?;
            if length == 0 {
                return Ok(None);
            }
            self.number += 1;
            let is_complete = buf.last() == Some(&b'\n');
            if is_complete {
                self.reached = Reached {
                    bytes: self.reached.bytes + length,
                    lines: self.number,
                };
            }
            let line_length = length - u64::from(is_complete);
            let oversized = (line_length > self.max_line as u64).then_some(line_length);
            if is_complete {
                buf.pop();
            }
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            if self.number == 1 && buf.starts_with(BOM) {
                buf.drain(..BOM.len());
            }
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Ok(Some(LineInfo {
                number: self.number,
                is_complete,
                oversized,
            }));
        }
    }
}

/// One input of a tool: a file, or standard input for `-`.
pub struct Input {
    /// The name used in positions: the path as given, or `stdin`.
    pub name: String,
    /// The file's size in bytes when known (for progress bars); `None` for stdin and pipes.
    pub size: Option<u64>,
    /// The buffered bytes.
    pub reader: Box<dyn BufRead + Send>,
    /// Where in the source the reader starts.
    start: Reached,
}

impl Input {
    /// Opens `path`, or standard input when `path` is `-`.
    pub fn open(path: &Path) -> io::Result<Input> {
        if path == Path::new("-") {
            return Ok(Input {
                name: "stdin".to_owned(),
                size: None,
                reader: Box::new(BufReader::with_capacity(1 << 16, io::stdin())),
                start: Reached::default(),
            });
        }
        Input::open_at(path, Reached::default())
    }

    /// Opens the file `path` at `start`, a point an earlier read [`Reached`] in it: lines are
    /// numbered from there, and `size` is what is left to read.
    pub fn open_at(path: &Path, start: Reached) -> io::Result<Input> {
        let mut file = File::open(path).map_err(|err| {
            io::Error::new(err.kind(), format!("cannot open {}: {err}", path.display()))
        })?;
        let meta = file.metadata()?;
        if start.bytes > 0 {
            file.seek(SeekFrom::Start(start.bytes))?;
        }
        Ok(Input {
            name: path.display().to_string(),
            size: meta
                .is_file()
                .then_some(meta.len().saturating_sub(start.bytes)),
            reader: Box::new(BufReader::with_capacity(1 << 16, file)),
            start,
        })
    }

    /// The `id`s of the first `lines` records this input will read, read through a second
    /// handle on its file (empty for standard input, which cannot be read twice). A line without
    /// an integer `id` is skipped; reading stops early at 16 MiB.
    pub fn first_ids(&self, lines: usize) -> Vec<i64> {
        #[derive(serde::Deserialize)]
        struct Id {
            id: i64,
        }
        if self.size.is_none() {
            return Vec::new();
        }
        let Ok(mut file) = File::open(&self.name) else {
            return Vec::new();
        };
        if file.seek(SeekFrom::Start(self.start.bytes)).is_err() {
            return Vec::new();
        }
        BufReader::new(file.take(16 << 20))
            .split(b'\n')
            .take(lines)
            .map_while(Result::ok)
            .filter_map(|line| serde_json::from_slice::<Id>(&line).ok())
            .map(|record| record.id)
            .collect()
    }

    /// Turns this input into a line reader.
    pub fn lines(self) -> LineReader<Box<dyn BufRead + Send>> {
        LineReader::new(self.reader, self.name).starting_at(self.start)
    }
}

/// The inputs a tool was given: the paths, or standard input when there are none
/// (docs/architecture.md, "Conventions every binary keeps": input is a list of files, or
/// `-`/nothing for stdin).
pub fn input_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        paths.to_vec()
    }
}

/// Writes one JSON value per line through a buffer. stdout is data only: this is the one way
/// tools write records.
pub struct NdjsonWriter<W: Write> {
    out: io::BufWriter<W>,
}

impl<W: Write> NdjsonWriter<W> {
    /// Buffers writes to `out`.
    pub fn new(out: W) -> Self {
        NdjsonWriter {
            out: io::BufWriter::with_capacity(1 << 16, out),
        }
    }

    /// Serializes `value` as one line.
    pub fn write<T: Serialize + ?Sized>(&mut self, value: &T) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, value).map_err(io::Error::from)?;
        self.out.write_all(b"\n")
    }

    /// Writes `json` (one complete JSON text without a line end) as one line.
    pub fn write_raw(&mut self, json: &[u8]) -> io::Result<()> {
        self.out.write_all(json)?;
        self.out.write_all(b"\n")
    }

    /// Pushes buffered lines to the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Cuts `path` back to just after its last `\n`, dropping the fragment a killed writer may have
/// left, so that appending to a checkpoint never glues a new record onto half an old one.
/// Returns how many bytes were dropped; a missing file is not an error (0).
pub fn truncate_partial_tail(path: &Path) -> io::Result<u64> {
    let mut file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(err) => return Err(err),
    };
    let len = file.metadata()?.len();
    let mut end = len;
    let mut chunk = vec![0u8; 1 << 16];
    while end > 0 {
        let start = end.saturating_sub(chunk.len() as u64);
        let piece = &mut chunk[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(piece)?;
        if let Some(at) = piece.iter().rposition(|&b| b == b'\n') {
            let keep = start + at as u64 + 1;
            if keep < len {
                file.set_len(keep)?;
            }
            return Ok(len - keep);
        }
        end = start;
    }
    file.set_len(0)?;
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<(u64, bool, String)> {
        let mut reader = LineReader::new(input, "t");
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(info) = reader.read_into(&mut buf).unwrap() {
            out.push((
                info.number,
                info.is_complete,
                String::from_utf8(buf.clone()).unwrap(),
            ));
        }
        out
    }

    #[test]
    fn a_line_over_the_limit_keeps_its_start_and_length_only() {
        let long = "x".repeat(5000);
        let text = format!("{{\"id\":1}}\n{long}\n{{\"id\":2}}\n{long}");
        let mut reader = LineReader::new(io::BufReader::with_capacity(64, text.as_bytes()), "t")
            .with_max_line(100);
        let mut buf = Vec::new();
        let first = reader.read_into(&mut buf).unwrap().unwrap();
        assert_eq!(
            (first.oversized, buf.as_slice()),
            (None, &b"{\"id\":1}"[..])
        );
        let second = reader.read_into(&mut buf).unwrap().unwrap();
        assert_eq!(second.oversized, Some(5000));
        assert!(second.is_complete);
        assert_eq!(buf, "x".repeat(OVERSIZED_START).as_bytes());
        let third = reader.read_into(&mut buf).unwrap().unwrap();
        assert_eq!((third.number, buf.as_slice()), (3, &b"{\"id\":2}"[..]));
        let last = reader.read_into(&mut buf).unwrap().unwrap();
        assert_eq!((last.oversized, last.is_complete), (Some(5000), false));
        assert!(reader.read_into(&mut buf).unwrap().is_none());
    }

    #[test]
    fn numbers_lines_and_skips_blank_ones() {
        let got = lines(b"1\n\n  \n{\"id\":2}\n");
        assert_eq!(
            got,
            vec![(1, true, "1".into()), (4, true, "{\"id\":2}".into())]
        );
    }

    #[test]
    fn a_last_line_without_newline_is_truncated() {
        let got = lines(b"{\"id\":1}\n{\"id\":2,\"ti");
        assert_eq!(got[0], (1, true, "{\"id\":1}".into()));
        assert_eq!(got[1], (2, false, "{\"id\":2,\"ti".into()));
    }

    #[test]
    fn reached_stops_before_a_truncated_line_and_a_reader_resumes_there() {
        let text = b"{\"id\":1}\n\n{\"id\":2}\n{\"id\":3,\"ti";
        let mut reader = LineReader::new(&text[..], "t");
        let mut buf = Vec::new();
        while reader.read_into(&mut buf).unwrap().is_some() {}
        let reached = reader.reached();
        assert_eq!(
            reached,
            Reached {
                bytes: 19,
                lines: 3
            }
        );
        // The writer finishes its line; a reader starting where the last one stopped reads it
        // (and only it) under its own line number.
        let finished = b"{\"id\":1}\n\n{\"id\":2}\n{\"id\":3,\"title\":\"\"}\n";
        let mut resumed =
            LineReader::new(&finished[reached.bytes as usize..], "t").starting_at(reached);
        let info = resumed.read_into(&mut buf).unwrap().unwrap();
        assert_eq!((info.number, info.is_complete), (4, true));
        assert_eq!(buf, b"{\"id\":3,\"title\":\"\"}");
        assert!(resumed.read_into(&mut buf).unwrap().is_none());
        assert_eq!(
            resumed.reached(),
            Reached {
                bytes: finished.len() as u64,
                lines: 4
            }
        );
    }

    #[test]
    fn strips_bom_and_carriage_returns() {
        let got = lines(b"\xEF\xBB\xBF7\r\n8\r\n");
        assert_eq!(got, vec![(1, true, "7".into()), (2, true, "8".into())]);
    }

    #[test]
    fn position_prints_as_file_colon_line() {
        let pos = Position {
            source: "data/movies.ndjson",
            line: 17,
        };
        assert_eq!(pos.to_string(), "data/movies.ndjson:17");
    }

    #[test]
    fn writer_writes_one_value_per_line() {
        let mut buf = Vec::new();
        {
            let mut w = NdjsonWriter::new(&mut buf);
            w.write(&serde_json::json!({"id": 1})).unwrap();
            w.write_raw(br#"{"id":2}"#).unwrap();
            w.flush().unwrap();
        }
        assert_eq!(buf, b"{\"id\":1}\n{\"id\":2}\n");
    }

    #[test]
    fn truncate_partial_tail_cuts_to_the_last_newline() {
        let dir = std::env::temp_dir().join(format!("tmdb-core-tail-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("part.ndjson");
        let cases: &[(&[u8], &[u8], u64)] = &[
            (b"{\"id\":1}\n{\"id\":2", b"{\"id\":1}\n", 7),
            (b"{\"id\":1}\n", b"{\"id\":1}\n", 0),
            (b"{\"id\":1", b"", 7),
            (b"", b"", 0),
        ];
        for (before, after, dropped) in cases {
            std::fs::write(&path, before).unwrap();
            assert_eq!(truncate_partial_tail(&path).unwrap(), *dropped);
            assert_eq!(std::fs::read(&path).unwrap(), *after);
        }
        // A fragment longer than the read chunk, after a complete line.
        let mut long = b"{\"id\":1}\n".to_vec();
        long.extend(std::iter::repeat_n(b'x', 200_000));
        std::fs::write(&path, &long).unwrap();
        assert_eq!(truncate_partial_tail(&path).unwrap(), 200_000);
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"id\":1}\n");
        assert_eq!(truncate_partial_tail(&dir.join("missing")).unwrap(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
