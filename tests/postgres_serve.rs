//! tmdb-serve on a PostgreSQL mirror (`--db postgres://...`), against a real server the tests
//! start (`util::pg::Cluster`): the bodies are `util::served`'s, shared with MariaDB's. Here
//! only, connections the database closes are replaced without a failed answer, and an idle
//! server keeps no transaction open.

use crate::util::mirror::{sim_args, start_sim};
use crate::util::pg::{Cluster, PASSWORD};
use crate::util::served::{self, Serve, Served};
use crate::util::{Workdir, http_get};

impl Served for Cluster {
    fn name(&self) -> &'static str {
        "PostgreSQL"
    }

    fn database(&self, name: &str) -> String {
        Cluster::database(self, name)
    }

    fn password(&self) -> &'static str {
        PASSWORD
    }

    fn connections(&self, name: &str) -> i64 {
        self.admin("postgres")
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
                &[&name],
            )
            .unwrap()
            .get(0)
    }

    fn refused(&self, present: &str) -> Vec<(String, &'static str)> {
        let port = self.port;
        let closed = closed_port();
        vec![
            (
                format!("postgres://mirror:{PASSWORD}@127.0.0.1:notaport/{present}"),
                "not a valid PostgreSQL URL",
            ),
            (
                format!("postgres://mirror:wrong-{PASSWORD}@127.0.0.1:{port}/{present}"),
                "refused the login",
            ),
            (
                format!("postgres://mirror:{PASSWORD}@127.0.0.1:{closed}/{present}"),
                "cannot reach PostgreSQL",
            ),
            (
                format!("postgresql://mirror:{PASSWORD}@127.0.0.1:{port}/serve_absent"),
                "does not exist",
            ),
            (
                format!("postgres://mirror:{PASSWORD}@127.0.0.1:{port}/{present}"),
                "holds no tmdb-mirror tables",
            ),
        ]
    }
}

/// A port bound then freed: nothing listens there.
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn every_route_answers_alike_from_sqlite_and_postgresql() {
    served::every_route_answers_alike(Cluster::get());
}

#[test]
fn two_servers_on_one_database_both_see_a_load_made_after_they_started() {
    served::two_servers_see_a_load(Cluster::get());
}

#[test]
fn many_clients_at_once_share_the_servers_few_database_connections() {
    served::many_clients_share_few_connections(Cluster::get());
}

#[test]
fn bad_urls_wrong_passwords_and_missing_servers_stop_tmdb_serve_with_one_line() {
    served::bad_databases_stop_tmdb_serve_with_one_line(Cluster::get());
}

/// The server's connections closed under it (an administrator, a restart, a failover) cost no
/// client an answer: each is replaced and the request it was answering asked again on the new
/// one. And a server with no request to answer keeps no transaction open (it would hold back
/// vacuum and keep a migration waiting), though under load it sends each COMMIT late, with the
/// next BEGIN.
#[test]
fn closed_connections_are_replaced_without_a_failed_answer_and_idle_ones_hold_no_transaction() {
    let cluster = Cluster::get();
    let url = cluster.database("serve_closed");
    let work = Workdir::new("pg-serve-closed");
    let sim = start_sim(&sim_args("40", "0"));
    sim.dump(0, &work.join("dump"));
    served::load(
        cluster,
        &url,
        "movies",
        &work.join("dump").join("movies.ndjson"),
    );
    let serve = Serve::start(&url);
    let mut admin = cluster.admin("postgres");
    let backends = "SELECT count(*) FROM pg_stat_activity WHERE datname = 'serve_closed'";
    let in_transaction = "SELECT count(*) FROM pg_stat_activity \
        WHERE datname = 'serve_closed' AND state LIKE 'idle in transaction%'";
    let ids: Vec<i64> = {
        let (status, list) = serve.get("/movies?limit=40");
        assert_eq!(status, 200, "{list}");
        list["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_i64().unwrap())
            .collect()
    };
    assert!(ids.len() >= 20, "{} movies listed", ids.len());
    for region in ["US", "GB", "FR"] {
        // Many clients at once, so that COMMITs go late; then none, so each must have gone.
        let clients: Vec<_> = ids
            .chunks(4)
            .map(|chunk| {
                let base = serve.url.clone();
                let chunk = chunk.to_vec();
                std::thread::spawn(move || {
                    for id in chunk {
                        // A new target every round, so that no answer comes from the cache.
                        let target = format!("{base}/movies/{id}?region={region}");
                        let (status, body) = http_get(&target, &[]);
                        assert_eq!(status, 200, "{target}: {body}");
                    }
                })
            })
            .collect();
        for client in clients {
            client.join().unwrap();
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let open: i64 = admin.query_one(in_transaction, &[]).unwrap().get(0);
            if open == 0 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{open} connections still in a transaction 5 s after the last answer"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        if region == "FR" {
            break;
        }
        // Every connection of the server closed by the database.
        let closed: i64 = admin
            .query_one(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = 'serve_closed') AS t",
                &[],
            )
            .unwrap()
            .get(0);
        assert!(closed >= 1, "no connection of the server to close");
    }
    let open: i64 = admin.query_one(backends, &[]).unwrap().get(0);
    assert!(
        (1..=4).contains(&open),
        "{open} connections after the closes"
    );
}
