//! `tmdb-fetch changes`: the IDs TMDB lists as changed between two days, each once.
//!
//! TMDB answers at most 14 days per request (a longer window is a 422, status_code 20), so the days
//! are walked in windows of 14 calendar days (end - start = 13, inside the limit however TMDB
//! counts the ends); a window whose list passes 500 pages is halved, down to single days
//! (docs/tmdb.md, "Changes windows"). Items marked `adult: true` are dropped unless asked for;
//! `adult: null` items (often deleted ones) are kept, since a mirror must learn of deletions.

use std::collections::BTreeSet;

use anyhow::{Result, bail};
use serde_json::Value;
use tmdb_core::exit::Status;

use super::Ctx;
use super::pager::{Query, walk};
use crate::cli::{ChangeKind, ChangesArgs};
use crate::date::Date;
use crate::output::Sink;
use crate::progress::Progress;

/// Days per window: the limit, counted inclusively.
const WINDOW_DAYS: i64 = 14;
const PER_PAGE: u64 = 100;

#[derive(Debug, Clone)]
struct Window {
    kind: &'static str,
    start: Date,
    end: Date,
}

impl Query for Window {
    fn path(&self, page: u32) -> String {
        format!(
            "/{}/changes?start_date={}&end_date={}&page={page}",
            self.kind, self.start, self.end
        )
    }

    fn split(&self) -> Vec<Window> {
        let days = self.start.days_until(self.end);
        if days == 0 {
            return Vec::new();
        }
        let mid = self.start.plus(days / 2);
        vec![
            Window {
                end: mid,
                ..self.clone()
            },
            Window {
                start: mid.plus(1),
                ..self.clone()
            },
        ]
    }

    fn describe(&self) -> String {
        format!("{} changes {}..{}", self.kind, self.start, self.end)
    }
}

/// The windows covering `since..=until`.
fn windows(kind: &'static str, since: Date, until: Date) -> Vec<Window> {
    let mut out = Vec::new();
    let mut start = since;
    while start <= until {
        let end = start.plus(WINDOW_DAYS - 1).min(until);
        out.push(Window { kind, start, end });
        start = end.plus(1);
    }
    out
}

pub async fn run(ctx: &Ctx, args: &ChangesArgs) -> Result<Status> {
    let until = args.until.unwrap_or_else(Date::today);
    if args.since > until {
        bail!("--since {} is after --until {until}", args.since);
    }
    let kind = match args.kind {
        ChangeKind::Movie => "movie",
        ChangeKind::Person => "person",
    };
    let progress = Progress::start("changes", None, ctx.client.clone());
    let mut ids = BTreeSet::new();
    let walked = walk(
        ctx,
        windows(kind, args.since, until),
        PER_PAGE,
        |_, item| {
            let adult = item.get("adult").and_then(Value::as_bool);
            if let Some(id) = item.get("id").and_then(Value::as_u64)
                && (args.include_adult || adult != Some(true))
                && ids.insert(id)
            {
                progress.done(&progress.counts.fetched);
            }
        },
    )
    .await;
    let walked = progress.or_finish(walked)?;
    let mut out = Sink::stdout(false);
    for id in &ids {
        out.write_json(&serde_json::json!({ "id": id }))?;
    }
    out.flush()?;
    progress.finish();
    for capped in &walked.capped {
        eprintln!("tmdb-fetch: {capped}: more than 500 pages in one day; the rest is unreachable");
    }
    Ok(Status::from_failures(walked.unreachable))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        text.parse().unwrap()
    }

    #[test]
    fn windows_cover_every_day_once_and_stay_within_fourteen_days() {
        let ws = windows("movie", d("2026-01-01"), d("2026-01-30"));
        let spans: Vec<(String, String)> = ws
            .iter()
            .map(|w| (w.start.to_string(), w.end.to_string()))
            .collect();
        assert_eq!(
            spans,
            [
                ("2026-01-01".into(), "2026-01-14".into()),
                ("2026-01-15".into(), "2026-01-28".into()),
                ("2026-01-29".into(), "2026-01-30".into()),
            ]
        );
        let one = windows("person", d("2026-01-05"), d("2026-01-05"));
        assert_eq!(one.len(), 1);
        assert_eq!(
            one[0].path(2),
            "/person/changes?start_date=2026-01-05&end_date=2026-01-05&page=2"
        );
    }

    #[test]
    fn windows_halve_down_to_single_days() {
        let w = &windows("movie", d("2026-01-01"), d("2026-01-14"))[0];
        let halves = w.split();
        assert_eq!(halves[0].end, d("2026-01-07"));
        assert_eq!(halves[1].start, d("2026-01-08"));
        assert_eq!(halves[1].end, d("2026-01-14"));
        let day = Window {
            kind: "movie",
            start: d("2026-01-03"),
            end: d("2026-01-03"),
        };
        assert!(day.split().is_empty());
    }
}
