//! Walking paged lists (discover, changes) under TMDB's cap of 500 pages per query.
//!
//! Each root query's first page tells its totals. A query with more than 500 pages is split into
//! narrower queries (the caller says how: date halves, then genres), whose first pages are probed
//! in turn; a query that cannot be split any further yields its 500 pages and the rest is counted
//! as unreachable. Every other page is fetched concurrently through the client's shared limiter,
//! and never past `min(total_pages, 500)` (docs/tmdb.md, "Page cap (500)").

use std::collections::VecDeque;

use anyhow::Result;
use serde_json::Value;
use tokio::task::JoinSet;

use super::Ctx;
use crate::json::Page;

/// TMDB serves pages 1..=500 of any list.
pub const PAGE_CAP: u32 = 500;

/// One filterable list query.
pub trait Query: Clone + Send + Sync + 'static {
    /// The path and query string of `page`.
    fn path(&self, page: u32) -> String;
    /// Narrower queries covering the same items together; empty when there are none.
    fn split(&self) -> Vec<Self>;
    /// How the query reads in a report.
    fn describe(&self) -> String;
}

/// What a walk saw besides the items.
#[derive(Debug, Default)]
pub struct Walk {
    /// The sum of the root queries' `total_results`.
    pub claimed: u64,
    /// Items listed past the page cap of queries that could not be split.
    pub unreachable: u64,
    /// Those queries.
    pub capped: Vec<String>,
    /// Whether a signal cut the walk short.
    pub interrupted: bool,
}

struct Job<Q> {
    query: Q,
    page: u32,
    is_root: bool,
}

/// Fetches every reachable page of `roots`, handing each result item to `on_item`.
pub async fn walk<Q: Query>(
    ctx: &Ctx,
    roots: Vec<Q>,
    per_page: u64,
    mut on_item: impl FnMut(&Q, &Value),
) -> Result<Walk> {
    let mut walk = Walk::default();
    let mut pending: VecDeque<Job<Q>> = roots
        .into_iter()
        .map(|query| Job {
            query,
            page: 1,
            is_root: true,
        })
        .collect();
    let mut running = JoinSet::new();
    loop {
        while running.len() < ctx.config.concurrency {
            let Some(job) = pending.pop_front() else {
                break;
            };
            let client = ctx.client.clone();
            running.spawn(async move {
                let page = client
                    .get_required::<Page<Value>>(&job.query.path(job.page))
                    .await;
                (job, page)
            });
        }
        let joined = tokio::select! {
            joined = running.join_next() => joined,
            () = ctx.shutdown.requested() => {
                walk.interrupted = true;
                return Ok(walk);
            }
        };
        let Some(joined) = joined else {
            return Ok(walk);
        };
        let (job, page) = joined?;
        let page = page?;
        if job.page == 1 {
            if job.is_root {
                walk.claimed += page.total_results;
            }
            if page.total_pages > PAGE_CAP {
                let parts = job.query.split();
                if !parts.is_empty() {
                    pending.extend(parts.into_iter().map(|query| Job {
                        query,
                        page: 1,
                        is_root: false,
                    }));
                    continue;
                }
                walk.unreachable += page
                    .total_results
                    .saturating_sub(u64::from(PAGE_CAP) * per_page);
                walk.capped.push(job.query.describe());
            }
            pending.extend((2..=page.total_pages.min(PAGE_CAP)).map(|page| Job {
                query: job.query.clone(),
                page,
                is_root: false,
            }));
        }
        for item in &page.results {
            on_item(&job.query, item);
        }
    }
}
