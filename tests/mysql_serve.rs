//! tmdb-serve on a MariaDB mirror (`--db mysql://...`), against a real server the tests start
//! (`util::mysql::Server`): the bodies are `util::served`'s, shared with PostgreSQL's.

use mysql::prelude::Queryable;

use crate::postgres_serve::closed_port;
use crate::util::mysql::{PASSWORD, Server, USER};
use crate::util::served::{self, Served};

impl Served for Server {
    fn name(&self) -> &'static str {
        "MariaDB"
    }

    fn database(&self, name: &str) -> String {
        Server::database(self, name)
    }

    fn password(&self) -> &'static str {
        PASSWORD
    }

    fn pads_spaces(&self) -> bool {
        true
    }

    fn connections(&self, name: &str) -> i64 {
        self.admin("mysql")
            .exec_first(
                "SELECT count(*) FROM information_schema.processlist WHERE db = ? AND user = ?",
                (name, USER),
            )
            .unwrap()
            .unwrap_or(0)
    }

    fn refused(&self, present: &str) -> Vec<(String, &'static str)> {
        let port = self.port;
        let closed = closed_port();
        vec![
            (
                format!("mysql://{USER}:{PASSWORD}@127.0.0.1:notaport/{present}"),
                "not a valid MySQL URL",
            ),
            (
                format!("mysql://{USER}:wrong-{PASSWORD}@127.0.0.1:{port}/{present}"),
                "refused the login",
            ),
            (
                format!("mysql://{USER}:{PASSWORD}@127.0.0.1:{closed}/{present}"),
                "cannot reach MySQL",
            ),
            (
                format!("mariadb://{USER}:{PASSWORD}@127.0.0.1:{port}/serve_absent"),
                "does not exist",
            ),
            (
                format!("mysql://{USER}:{PASSWORD}@127.0.0.1:{port}/{present}"),
                "holds no tmdb-mirror tables",
            ),
        ]
    }
}

#[test]
fn every_route_answers_alike_from_sqlite_and_mariadb() {
    served::every_route_answers_alike(Server::get());
}

#[test]
fn two_servers_on_one_mariadb_database_both_see_a_load_made_after_they_started() {
    served::two_servers_see_a_load(Server::get());
}

#[test]
fn many_clients_at_once_share_the_servers_few_mariadb_connections() {
    served::many_clients_share_few_connections(Server::get());
}

#[test]
fn bad_urls_wrong_passwords_and_missing_mariadb_servers_stop_tmdb_serve_with_one_line() {
    served::bad_databases_stop_tmdb_serve_with_one_line(Server::get());
}
