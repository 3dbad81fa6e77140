//! `tmdb-fetch ids --source export`: every movie ID from TMDB's daily export file.
//!
//! The file (`movie_ids_MM_DD_YYYY.json.gz`, gzipped NDJSON, ~26 MiB) is decompressed as it
//! arrives and its lines are written as they are, so it is never whole in memory. TMDB
//! publishes it around 08:00 UTC and keeps three months (REFERENCE.md §5): when the day's file
//! is missing (403/404 from the CDN) the days before are tried, a few at most. A download that
//! breaks is started again, skipping the lines already written. `--include-adult` also reads
//! `adult_movie_ids_` of the same day (adult items are only there since 2023-07-05).

use std::io::{self, Write};
use std::sync::atomic::Ordering;

use anyhow::{Context, Result, bail};
use flate2::write::MultiGzDecoder;
use tmdb_core::exit::Status;
use tmdb_core::ids::parse_id_line;

use super::Ctx;
use crate::cli::IdsArgs;
use crate::date::Date;
use crate::output::Sink;
use crate::progress::Progress;
use crate::retry::Backoff;

/// How many days before the asked date are tried when its file is not there.
const FALLBACK_DAYS: i64 = 3;

/// How one download ended.
enum Download {
    Done,
    /// No file for that date.
    Missing(u16),
    /// Broke off; worth trying again.
    Broken(String),
    /// A signal stopped it.
    Interrupted,
}

pub async fn run(ctx: &Ctx, args: &IdsArgs) -> Result<Status> {
    let asked = args.date.unwrap_or_else(Date::today);
    let progress = Progress::start("ids", None, ctx.client.clone());
    let mut out = Sink::stdout(false);
    let mut bad_lines = 0;
    let mut found = None;
    for back in 0..=FALLBACK_DAYS {
        let date = asked.plus(-back);
        let name = format!("movie_ids_{}.json.gz", date.export_stamp());
        match fetch_file(ctx, &name, &mut out, &progress, &mut bad_lines).await? {
            Download::Missing(status) => {
                eprintln!(
                    "tmdb-fetch: {name}: HTTP {status}, not published; trying the day before"
                );
            }
            Download::Interrupted => break,
            Download::Broken(_) => unreachable!("fetch_file retries broken downloads"),
            Download::Done => {
                found = Some(date);
                break;
            }
        }
    }
    let interrupted = ctx.shutdown.signal().is_some();
    if let (Some(date), true, false) = (found, args.include_adult, interrupted) {
        let name = format!("adult_movie_ids_{}.json.gz", date.export_stamp());
        if let Download::Missing(status) =
            fetch_file(ctx, &name, &mut out, &progress, &mut bad_lines).await?
        {
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
    let mut lines = Lines {
        name: name.to_owned(),
        out,
        progress,
        pending: Vec::new(),
        number: 0,
        written_through: 0,
        bad_lines: 0,
        out_error: None,
    };
    for retry in 0..=ctx.config.retries {
        // Lines already handled by a broken attempt are not written twice.
        lines.written_through = lines.written_through.max(lines.number);
        lines.number = 0;
        lines.pending.clear();
        match download(ctx, &url, &mut lines).await {
            Download::Broken(why) if retry < ctx.config.retries => {
                if let Some(err) = lines.out_error.take() {
                    return Err(err).context("cannot write to stdout");
                }
                let wait = Backoff::DEFAULT.delay(retry);
                if ctx.config.verbose {
                    eprintln!(
                        "tmdb-fetch: {name}: {why}; retrying in {:.1}s",
                        wait.as_secs_f64()
                    );
                }
                ctx.client.stats.retries.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(wait).await;
            }
            Download::Broken(why) => {
                if let Some(err) = lines.out_error.take() {
                    return Err(err).context("cannot write to stdout");
                }
                bail!("{name}: {why} (after {} attempts)", retry + 1);
            }
            other => {
                *bad_lines += lines.bad_lines;
                return Ok(other);
            }
        }
    }
    unreachable!("the last retry returns")
}

async fn download(ctx: &Ctx, url: &str, lines: &mut Lines<'_>) -> Download {
    ctx.client.stats.requests.fetch_add(1, Ordering::Relaxed);
    let response = match ctx.client.http().get(url).send().await {
        Ok(response) => response,
        Err(err) if err.is_timeout() => return Download::Broken("timeout".into()),
        Err(_) => return Download::Broken("connection failed".into()),
    };
    let status = response.status().as_u16();
    match status {
        200 => {}
        403 | 404 | 410 => return Download::Missing(status),
        _ => return Download::Broken(format!("HTTP {status}")),
    }
    stream(ctx, response, lines).await
}

async fn stream(ctx: &Ctx, mut response: reqwest::Response, lines: &mut Lines<'_>) -> Download {
    let mut decoder = MultiGzDecoder::new(lines);
    loop {
        let chunk = tokio::select! {
            chunk = response.chunk() => chunk,
            () = ctx.shutdown.requested() => return Download::Interrupted,
        };
        let chunk = match chunk {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(err) if err.is_timeout() => return Download::Broken("timeout".into()),
            Err(_) => return Download::Broken("download cut short".into()),
        };
        if let Err(err) = decoder.write_all(&chunk) {
            return Download::Broken(format!("bad gzip data: {err}"));
        }
    }
    match decoder.try_finish().and_then(|()| decoder.finish()) {
        Ok(lines) => match lines.finish() {
            Ok(()) => Download::Done,
            Err(err) => Download::Broken(err.to_string()),
        },
        Err(err) => Download::Broken(format!("bad gzip data: {err}")),
    }
}

/// Splits decompressed bytes into lines and writes each ID line through.
struct Lines<'a> {
    name: String,
    out: &'a mut Sink,
    progress: &'a Progress,
    pending: Vec<u8>,
    /// Lines seen in this attempt.
    number: u64,
    /// Lines handled by earlier attempts.
    written_through: u64,
    bad_lines: u64,
    /// Why writing the output failed (a broken pipe ends the run, it is not retried).
    out_error: Option<io::Error>,
}

impl Lines<'_> {
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
                    self.progress.done(&self.progress.counts.fetched);
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

impl Write for &mut Lines<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(at) = rest.iter().position(|&b| b == b'\n') {
            self.pending.extend_from_slice(&rest[..at]);
            self.line()?;
            rest = &rest[at + 1..];
        }
        self.pending.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
