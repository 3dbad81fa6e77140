//! `tmdb-fetch ids --source export`: every movie ID from TMDB's daily export file.
//!
//! The file (`movie_ids_MM_DD_YYYY.json.gz`, gzipped NDJSON, ~26 MiB) is decompressed as it arrives
//! and its lines are written as they are, so it is never whole in memory. TMDB publishes it around
//! 08:00 UTC and keeps three months (docs/tmdb.md, "Export files"): when the day's file is missing
//! (403/404 from the CDN) the days before are tried, a few at most. A download that breaks is
//! started again, skipping the lines already written. `--include-adult` also reads
//! `adult_movie_ids_` of the same day (adult items are only there since 2023-07-05).
//!
//! An ID line is about 100 bytes: a line longer than [`MAX_LINE`] means the file is not an ID
//! export (or is hostile, e.g. a small gzip inflating to one endless line), and the download
//! fails at once, holding no more than that much of it.

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result, bail};
use flate2::write::MultiGzDecoder;
use tmdb_core::exit::Status;
use tmdb_core::ids::parse_id_line;

use super::Ctx;
use crate::cli::IdsArgs;
use crate::client::{after_attempts, bytes_text, describe};
use crate::date::Date;
use crate::output::Sink;
use crate::progress::Progress;
use crate::retry::Backoff;

/// How many days before the asked date are tried when its file is not there.
const FALLBACK_DAYS: i64 = 3;
/// The longest line of an export file that is read.
const MAX_LINE: usize = 1_000_000;

/// How a download ended (one that broke off is retried, and only fails the run).
enum Download {
    Done,
    /// No file for that date.
    Missing(u16),
    /// A signal stopped it.
    Interrupted,
}

/// One attempt: how it ended, or why it broke off (worth trying again).
type Attempt = std::result::Result<Download, String>;

pub async fn run(ctx: &Ctx, args: &IdsArgs) -> Result<Status> {
    let asked = args.date.unwrap_or_else(Date::today);
    let progress = Progress::start("ids", None, ctx.client.clone());
    let mut out = Sink::stdout(false);
    let mut bad_lines = 0;
    let mut found = None;
    for back in 0..=FALLBACK_DAYS {
        let date = asked.plus(-back);
        let name = format!("movie_ids_{}.json.gz", date.export_stamp());
        let download = fetch_file(ctx, &name, &mut out, &progress, &mut bad_lines).await;
        match progress.or_finish(download)? {
            Download::Missing(status) => {
                eprintln!("tmdb-fetch: {name}: HTTP {status}, not published (yet, or any more)");
            }
            Download::Interrupted => break,
            Download::Done => {
                found = Some(date);
                break;
            }
        }
    }
    let interrupted = ctx.shutdown.signal().is_some();
    if let (Some(date), true, false) = (found, args.include_adult, interrupted) {
        let name = format!("adult_movie_ids_{}.json.gz", date.export_stamp());
        let download = fetch_file(ctx, &name, &mut out, &progress, &mut bad_lines).await;
        if let Download::Missing(status) = progress.or_finish(download)? {
            progress.finish();
            bail!("{name}: HTTP {status}: the adult export of {date} is missing");
        }
    }
    out.flush()?;
    progress.finish();
    if found.is_none() && !interrupted {
        bail!(
            "no movie ID export found from {} back to {} at {}",
            asked,
            asked.plus(-FALLBACK_DAYS),
            ctx.config.export_url
        );
    }
    Ok(Status::from_failures(bad_lines))
}

/// Downloads one export file into `out`, retrying broken downloads.
async fn fetch_file(
    ctx: &Ctx,
    name: &str,
    out: &mut Sink,
    progress: &Progress,
    bad_lines: &mut u64,
) -> Result<Download> {
    let url = format!("{}/{name}", ctx.config.export_url);
    let mut lines = Lines::new(name, out, &progress.counts.fetched);
    let mut retry = 0;
    loop {
        lines.restart();
        let why = match download(ctx, &url, &mut lines).await {
            Ok(download) => {
                *bad_lines += lines.bad_lines;
                return Ok(download);
            }
            Err(why) => why,
        };
        // A broken output (a reader gone) ends the run; only the download is retried.
        if let Some(err) = lines.out_error.take() {
            return Err(err).context("cannot write to stdout");
        }
        if let Some(why) = lines.too_long.take() {
            bail!("{name}: {why}");
        }
        if retry >= ctx.config.retries {
            bail!("{name}: {why} ({})", after_attempts(retry + 1));
        }
        let wait = Backoff::DEFAULT.delay(retry);
        if ctx.config.verbose {
            eprintln!(
                "tmdb-fetch: {name}: {why}; retrying in {:.1}s",
                wait.as_secs_f64()
            );
        }
        retry += 1;
        ctx.client.stats.retries.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(wait).await;
    }
}

async fn download(ctx: &Ctx, url: &str, lines: &mut Lines<'_>) -> Attempt {
    ctx.client.stats.requests.fetch_add(1, Ordering::Relaxed);
    let response = match ctx.client.http().get(url).send().await {
        Ok(response) => response,
        Err(err) => return Err(ctx.client.scrub(&describe(&err).error)),
    };
    let status = response.status().as_u16();
    match status {
        200 => {}
        403 | 404 | 410 => return Ok(Download::Missing(status)),
        _ => return Err(format!("HTTP {status}")),
    }
    stream(ctx, response, lines).await
}

async fn stream(ctx: &Ctx, mut response: reqwest::Response, lines: &mut Lines<'_>) -> Attempt {
    let mut decoder = MultiGzDecoder::new(lines);
    loop {
        let chunk = tokio::select! {
            chunk = response.chunk() => chunk,
            () = ctx.shutdown.requested() => return Ok(Download::Interrupted),
        };
        let chunk = match chunk {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(err) => return Err(format!("download cut short: {}", describe(&err).error)),
        };
        if let Err(err) = decoder.write_all(&chunk) {
            return Err(format!("bad gzip data: {err}"));
        }
    }
    match decoder.try_finish().and_then(|()| decoder.finish()) {
        Ok(lines) => match lines.finish() {
            Ok(()) => Ok(Download::Done),
            Err(err) => Err(err.to_string()),
        },
        Err(err) => Err(format!("bad gzip data: {err}")),
    }
}

/// Splits decompressed bytes into lines and writes each ID line through.
struct Lines<'a> {
    name: String,
    out: &'a mut Sink,
    /// Counts the lines written.
    written: &'a AtomicU64,
    pending: Vec<u8>,
    /// Lines seen in this attempt.
    number: u64,
    /// Lines handled by earlier attempts.
    written_through: u64,
    bad_lines: u64,
    /// Why writing the output failed (a broken pipe ends the run, it is not retried).
    out_error: Option<io::Error>,
    /// A line over [`MAX_LINE`]: the file is no ID export, and trying again cannot help.
    too_long: Option<String>,
}

impl<'a> Lines<'a> {
    fn new(name: &str, out: &'a mut Sink, written: &'a AtomicU64) -> Lines<'a> {
        Lines {
            name: name.to_owned(),
            out,
            written,
            pending: Vec::new(),
            number: 0,
            written_through: 0,
            bad_lines: 0,
            out_error: None,
            too_long: None,
        }
    }

    /// Before each attempt: lines handled by a broken one are not written twice.
    fn restart(&mut self) {
        self.written_through = self.written_through.max(self.number);
        self.number = 0;
        self.pending.clear();
    }

    fn line(&mut self) -> io::Result<()> {
        let text = self.pending.trim_ascii();
        if text.is_empty() {
            self.pending.clear();
            return Ok(());
        }
        self.number += 1;
        if self.number > self.written_through {
            match parse_id_line(text) {
                Ok(_) => {
                    if let Err(err) = self.out.write_line_io(text.to_vec()) {
                        let kind = err.kind();
                        self.out_error = Some(err);
                        return Err(io::Error::new(kind, "output failed"));
                    }
                    self.written.fetch_add(1, Ordering::Relaxed);
                }
                Err(err) => {
                    self.bad_lines += 1;
                    eprintln!("tmdb-fetch: {}:{}: {err}", self.name, self.number);
                }
            }
        }
        self.pending.clear();
        Ok(())
    }

    /// The file's last line may lack its `\n`; the gzip trailer vouches that it is whole.
    fn finish(&mut self) -> io::Result<()> {
        self.line()
    }
}

impl Lines<'_> {
    /// Adds `piece` (no line end in it) to the line being read, unless the line gets too long.
    fn extend(&mut self, piece: &[u8]) -> io::Result<()> {
        if self.pending.len() + piece.len() > MAX_LINE {
            let why = format!(
                "line {} is longer than {}: not an ID export",
                self.number + 1,
                bytes_text(MAX_LINE as u64)
            );
            self.too_long = Some(why.clone());
            self.pending = Vec::new();
            return Err(io::Error::new(io::ErrorKind::InvalidData, why));
        }
        self.pending.extend_from_slice(piece);
        Ok(())
    }
}

impl Write for &mut Lines<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(at) = rest.iter().position(|&b| b == b'\n') {
            self.extend(&rest[..at])?;
            self.line()?;
            rest = &rest[at + 1..];
        }
        self.extend(rest)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;

    #[test]
    fn lines_cross_chunks_and_a_restart_writes_nothing_twice() {
        let dir = std::env::temp_dir().join(format!("tmdb-fetch-export-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ids.ndjson");
        let _ = std::fs::remove_file(&path);
        let mut text = String::new();
        for id in 1..=3000 {
            text.push_str(&format!(
                "{{\"adult\":false,\"id\":{id},\"popularity\":0.5}}\n"
            ));
            if id == 1500 {
                text.push_str("not an id\n\n");
            }
        }
        text.pop(); // the last line without its newline
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(text.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();

        let written = AtomicU64::new(0);
        let mut sink = Sink::append(&path).unwrap();
        let mut lines = Lines::new("movie_ids.json.gz", &mut sink, &written);
        // A first attempt breaks off halfway.
        lines.restart();
        {
            let mut decoder = MultiGzDecoder::new(&mut lines);
            decoder.write_all(&gz[..gz.len() / 2]).unwrap();
        }
        let first = written.load(Ordering::Relaxed);
        assert!(first > 0 && first < 3000, "{first}");
        // The second one starts over, in small chunks, and reads to the end.
        lines.restart();
        let mut decoder = MultiGzDecoder::new(&mut lines);
        for chunk in gz.chunks(7) {
            decoder.write_all(chunk).unwrap();
        }
        decoder.try_finish().unwrap();
        decoder.finish().unwrap().finish().unwrap();
        assert_eq!(lines.bad_lines, 1);
        sink.flush().unwrap();
        let out = std::fs::read_to_string(&path).unwrap();
        let ids: Vec<u64> = out
            .lines()
            .map(|l| tmdb_core::ids::parse_id_line(l.as_bytes()).unwrap())
            .collect();
        assert_eq!(ids, (1..=3000).collect::<Vec<u64>>());
        assert_eq!(written.load(Ordering::Relaxed), 3000);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
