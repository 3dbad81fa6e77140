//! What the loads did, read back from `load_log` (one row per run, docs/data-contract.md
//! "Keys and tables"): `--last-run` numbers the latest run, `--report-after RUN` totals the
//! runs since, per kind. `make update` takes the number when it starts and reports from it
//! when it ends, so its summary counts what its own loads wrote.

use std::io::Write;

use anyhow::{Context, Result};
use rusqlite::Connection;
use tmdb_core::env::Location;

/// The number of the last run recorded (0 when none is).
pub fn last_run(conn: &Connection) -> Result<i64> {
    conn.query_row("SELECT coalesce(max(id), 0) FROM load_log", [], |row| {
        row.get(0)
    })
    .context("cannot read load_log")
}

/// One line per kind for the runs recorded after run `after`, in the order the kinds were
/// first loaded: `KIND: read R, inserted I, updated U, unchanged N, deleted D, rejected J
/// (K runs)`, the words of ndjson-load's own summary line.
pub fn report_after(conn: &Connection, after: i64) -> Result<Vec<String>> {
    let mut statement = conn
        .prepare(
            "SELECT kind, count(*), sum(read), sum(inserted), sum(updated), sum(unchanged),
                    sum(deleted), sum(rejected)
             FROM load_log WHERE id > ?1 GROUP BY kind ORDER BY min(id)",
        )
        .context("cannot read load_log")?;
    let rows = statement
        .query_map([after], |row| {
            let n = |i| row.get::<_, i64>(i);
            Ok(format!(
                "{}: read {}, inserted {}, updated {}, unchanged {}, deleted {}, rejected {} \
                 ({} run{})",
                row.get::<_, String>(0)?,
                n(2)?,
                n(3)?,
                n(4)?,
                n(5)?,
                n(6)?,
                n(7)?,
                n(1)?,
                if n(1)? == 1 { "" } else { "s" },
            ))
        })
        .context("cannot read load_log")?;
    rows.collect::<rusqlite::Result<_>>()
        .context("cannot read load_log")
}

/// The number of the last run recorded in a PostgreSQL mirror (0 when none is).
fn last_run_pg(client: &mut postgres::Client) -> Result<i64, postgres::Error> {
    Ok(client
        .query_one("SELECT coalesce(max(id), 0)::bigint FROM load_log", &[])?
        .get(0))
}

/// [`report_after`], from a PostgreSQL mirror.
fn report_after_pg(
    client: &mut postgres::Client,
    after: i64,
) -> Result<Vec<String>, postgres::Error> {
    let rows = client.query(
        "SELECT kind, count(*), sum(read)::bigint, sum(inserted)::bigint, sum(updated)::bigint,
                sum(unchanged)::bigint, sum(deleted)::bigint, sum(rejected)::bigint
         FROM load_log WHERE id > $1 GROUP BY kind ORDER BY min(id)",
        &[&after],
    )?;
    Ok(rows
        .iter()
        .map(|row| {
            let n = |i| row.get::<_, i64>(i);
            format!(
                "{}: read {}, inserted {}, updated {}, unchanged {}, deleted {}, rejected {} \
                 ({} run{})",
                row.get::<_, String>(0),
                n(2),
                n(3),
                n(4),
                n(5),
                n(6),
                n(7),
                n(1),
                if n(1) == 1 { "" } else { "s" },
            )
        })
        .collect())
}

/// A kind's totals as MySQL returns them: kind, runs, then the counts in the summary's order.
type KindTotals = (String, i64, i64, i64, i64, i64, i64, i64);

/// [`report_after`], from a MySQL mirror.
fn report_after_mysql(conn: &mut mysql::Conn, after: i64) -> Result<Vec<String>, mysql::Error> {
    use mysql::prelude::Queryable;
    let rows: Vec<KindTotals> = conn.exec(
        "SELECT kind, count(*), CAST(sum(`read`) AS SIGNED), CAST(sum(inserted) AS SIGNED),
                CAST(sum(updated) AS SIGNED), CAST(sum(unchanged) AS SIGNED),
                CAST(sum(deleted) AS SIGNED), CAST(sum(rejected) AS SIGNED)
         FROM load_log WHERE id > ? GROUP BY kind ORDER BY min(id)",
        (after,),
    )?;
    Ok(rows
        .into_iter()
        .map(
            |(kind, runs, read, inserted, updated, unchanged, deleted, rejected)| {
                format!(
                    "{kind}: read {read}, inserted {inserted}, updated {updated}, unchanged \
                 {unchanged}, deleted {deleted}, rejected {rejected} ({runs} run{})",
                    if runs == 1 { "" } else { "s" },
                )
            },
        )
        .collect())
}

/// `--last-run` or `--report-after RUN` on the mirror at `db`, printed on stdout.
pub fn print(db: &Location, report_after_run: Option<i64>) -> Result<()> {
    let lines = match db {
        Location::Sqlite(path) => {
            let conn = tmdb_core::db::open_read_only(path)?;
            match report_after_run {
                None => vec![last_run(&conn)?.to_string()],
                Some(after) => report_after(&conn, after)?,
            }
        }
        Location::Postgres(url) => {
            let mut client = tmdb_core::pg::open_read_only(url)?;
            match report_after_run {
                None => last_run_pg(&mut client).map(|run| vec![run.to_string()]),
                Some(after) => report_after_pg(&mut client, after),
            }
            .map_err(|err| anyhow::anyhow!("{}", url.explain(&err)))
            .context("cannot read load_log")?
        }
        Location::Mysql(url) => {
            use mysql::prelude::Queryable;
            let mut conn = tmdb_core::mysql::open_read_only(url)?;
            match report_after_run {
                None => conn
                    .query_first::<i64, _>("SELECT coalesce(max(id), 0) FROM load_log")
                    .map(|run| vec![run.unwrap_or(0).to_string()]),
                Some(after) => report_after_mysql(&mut conn, after),
            }
            .map_err(|err| anyhow::anyhow!("{}", url.explain(&err)))
            .context("cannot read load_log")?
        }
    };
    let mut out = std::io::stdout().lock();
    for line in lines {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(conn: &Connection, kind: &str, counts: [i64; 6]) {
        conn.execute(
            "INSERT INTO load_log (kind, started_at, finished_at, read, inserted, updated,
                unchanged, deleted, rejected) VALUES (?1, 'a', 'b', ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![
                kind, counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]
            ],
        )
        .unwrap();
    }

    #[test]
    fn totals_per_kind_count_only_the_runs_after_the_one_named() {
        let dir = std::env::temp_dir().join(format!("ndjson-load-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let conn = tmdb_core::db::open(&dir.join("t.db")).unwrap();
        assert_eq!(last_run(&conn).unwrap(), 0);
        log(&conn, "movies", [9, 9, 0, 0, 0, 0]);
        let start = last_run(&conn).unwrap();
        assert_eq!(start, 1);
        log(&conn, "movies", [5, 1, 2, 2, 0, 0]);
        log(&conn, "gone", [2, 0, 0, 0, 2, 0]);
        log(&conn, "movies", [3, 0, 1, 1, 0, 1]);
        assert_eq!(
            report_after(&conn, start).unwrap(),
            [
                "movies: read 8, inserted 1, updated 3, unchanged 3, deleted 0, rejected 1 (2 runs)",
                "gone: read 2, inserted 0, updated 0, unchanged 0, deleted 2, rejected 0 (1 run)",
            ]
        );
        assert!(report_after(&conn, 4).unwrap().is_empty());
        drop(conn);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
