//! A throwaway MariaDB server for the tests: one per test process, one database per test.
//!
//! `mariadb-install-db` into a temporary folder, then `mariadbd` on a Unix socket in that folder
//! (for the harness: root without a password) and on a free loopback port (for the tools, with
//! a password, so a wrong one is refused). MariaDB refuses to run as root unless told
//! `--user=root`. A small reaper process holds the read end of a pipe the test process keeps
//! open: when the test process ends, however it ends (a panic, a kill), the pipe closes and the
//! reaper stops the server and removes the folder. No server outlives `cargo test`.

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder};
use rusqlite::Connection;
use serde_json::Value;

/// The login the tools use, and its password: never to appear in any output.
pub const USER: &str = "mirror";
pub const PASSWORD: &str = "my-Secret-4b9c";

pub struct Server {
    pub dir: PathBuf,
    pub socket: PathBuf,
    pub port: u16,
    /// The server, and the reaper's stdin: kept open for the life of the test process.
    _server: Mutex<Child>,
    _reaper: Mutex<Child>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Where Debian's mariadb-server puts a program: on PATH, or in /usr/sbin (not on a plain
/// user's PATH).
fn program(name: &str) -> PathBuf {
    for dir in std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .chain(["/usr/sbin", "/usr/bin"])
    {
        let path = Path::new(dir).join(name);
        if path.exists() {
            return path;
        }
    }
    panic!(
        "MariaDB is not installed (no {name}): run scripts/test-deps.sh, which installs \
         Debian's mariadb-server package (make test does)"
    )
}

impl Server {
    /// The test process's server, started on first use.
    pub fn get() -> &'static Server {
        static SERVER: OnceLock<Server> = OnceLock::new();
        SERVER.get_or_init(Server::start)
    }

    fn start() -> Server {
        let dir = std::env::temp_dir().join(format!("tmdb-mirror-my-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let data = dir.join("data");
        std::fs::create_dir_all(&dir).unwrap();
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        let user = root.then_some("--user=root");
        let out = Command::new(program("mariadb-install-db"))
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args(["--auth-root-authentication-method=normal", "--skip-test-db"])
            .args(user)
            .stdin(Stdio::null())
            .output()
            .expect("run mariadb-install-db");
        assert!(
            out.status.success(),
            "mariadb-install-db failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let socket = dir.join("mysqld.sock");
        let server = Command::new(program("mariadbd"))
            .arg("--no-defaults")
            .args(user)
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(format!("--pid-file={}", dir.join("mariadbd.pid").display()))
            .arg(format!("--log-error={}", dir.join("server.log").display()))
            .args(["--bind-address=127.0.0.1", &format!("--port={port}")])
            // A throwaway server: durability is not what is tested.
            .args([
                "--innodb-flush-log-at-trx-commit=0",
                "--innodb-doublewrite=0",
            ])
            // Words of one letter indexed, as SQLite's FTS5 indexes them (README, "MySQL /
            // MariaDB").
            .arg("--innodb-ft-min-token-size=1")
            .args([
                "--local-infile=1",
                "--max-connections=200",
                "--skip-log-bin",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start mariadbd");
        // The reaper: waits for its stdin to close (this process ended), then stops the server
        // (TERM, then a kill after 10 s) and removes the folder.
        let script = format!(
            "cat >/dev/null; kill -TERM {pid} 2>/dev/null; i=0; \
             while kill -0 {pid} 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; \
             kill -KILL {pid} 2>/dev/null; rm -rf '{dir}'",
            pid = server.id(),
            dir = dir.display()
        );
        let reaper = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start the reaper");
        let server = Server {
            dir,
            socket,
            port,
            _server: Mutex::new(server),
            _reaper: Mutex::new(reaper),
        };
        let started = Instant::now();
        let mut admin = loop {
            match server.try_admin(None) {
                Ok(conn) => break conn,
                Err(err) if started.elapsed() < Duration::from_secs(60) => {
                    let _ = err;
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(err) => panic!(
                    "MariaDB did not start in 60 s: {err}\n{}",
                    std::fs::read_to_string(server.dir.join("server.log")).unwrap_or_default()
                ),
            }
        };
        for host in ["localhost", "127.0.0.1", "%"] {
            admin
                .query_drop(format!(
                    "CREATE USER '{USER}'@'{host}' IDENTIFIED BY '{PASSWORD}'"
                ))
                .unwrap();
            admin
                .query_drop(format!("GRANT ALL ON *.* TO '{USER}'@'{host}'"))
                .unwrap();
        }
        server
    }

    fn try_admin(&self, dbname: Option<&str>) -> Result<Conn, mysql::Error> {
        Conn::new(
            OptsBuilder::new()
                .socket(Some(self.socket.display().to_string()))
                .user(Some("root"))
                .db_name(dbname)
                .prefer_socket(true),
        )
    }

    /// A connection of the superuser, on the socket.
    pub fn admin(&self, dbname: &str) -> Conn {
        self.try_admin(Some(dbname))
            .unwrap_or_else(|e| panic!("connect to {dbname}: {e}"))
    }

    /// A new, empty database; its URL (with the password).
    pub fn database(&self, name: &str) -> String {
        let mut admin = self.try_admin(None).unwrap();
        admin
            .query_drop(format!("DROP DATABASE IF EXISTS {name}"))
            .unwrap();
        admin
            .query_drop(format!("CREATE DATABASE {name} CHARACTER SET utf8mb4"))
            .unwrap();
        self.url(name)
    }

    /// The URL of database `name`, over TCP with the password.
    pub fn url(&self, name: &str) -> String {
        format!("mysql://{USER}:{PASSWORD}@127.0.0.1:{}/{name}", self.port)
    }
}

/// Every value as the comparison sees it: JSON numbers and strings. MariaDB keeps JSON text as
/// written, so `extra` and the lists compare as the very text SQLite holds.
fn sqlite_rows(conn: &Connection, sql: &str) -> Vec<Vec<Value>> {
    let mut stmt = conn.prepare(sql).unwrap();
    let width = stmt.column_count();
    stmt.query_map([], |row| {
        Ok((0..width)
            .map(|i| match row.get_ref(i).unwrap() {
                rusqlite::types::ValueRef::Null => Value::Null,
                rusqlite::types::ValueRef::Integer(n) => Value::from(n),
                rusqlite::types::ValueRef::Real(x) => Value::from(x),
                rusqlite::types::ValueRef::Text(t) => {
                    Value::String(String::from_utf8_lossy(t).into_owned())
                }
                rusqlite::types::ValueRef::Blob(_) => panic!("a blob in {sql}"),
            })
            .collect())
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn mysql_rows(conn: &mut Conn, sql: &str) -> Vec<Vec<Value>> {
    // The binary protocol (a prepared statement) gives numbers as numbers.
    let rows: Vec<mysql::Row> = conn.exec(sql, ()).unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.into_iter()
        .map(|row| {
            row.unwrap()
                .into_iter()
                .map(|value| match value {
                    mysql::Value::NULL => Value::Null,
                    mysql::Value::Int(n) => Value::from(n),
                    mysql::Value::UInt(n) => Value::from(n),
                    mysql::Value::Double(x) => Value::from(x),
                    mysql::Value::Float(x) => Value::from(f64::from(x)),
                    mysql::Value::Bytes(b) => Value::String(String::from_utf8(b).unwrap()),
                    other => panic!("{sql}: unexpected {other:?}"),
                })
                .collect()
        })
        .collect()
}

/// The tables both mirrors hold as data (the loaders' own bookkeeping and the time columns
/// aside), with their columns.
pub fn compared_tables(conn: &mut Conn) -> BTreeMap<String, Vec<String>> {
    let rows: Vec<(String, String)> = conn
        .query(
            "SELECT table_name, column_name FROM information_schema.columns
             WHERE table_schema = DATABASE()
               AND table_name NOT IN ('schema_migrations', 'load_log', 'load_checkpoint',
                                      'tmdb_change_counter')
               AND column_name <> 'gone_at'
             ORDER BY table_name, ordinal_position",
        )
        .unwrap();
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (table, column) in rows {
        tables.entry(table).or_default().push(column);
    }
    tables
}

/// Asserts that the SQLite mirror at `sqlite` and the MySQL mirror `conn` reads hold the same
/// tables with the same rows, value by value; returns the number of rows compared.
pub fn assert_same_tables(sqlite: &Path, conn: &mut Conn) -> usize {
    let lite = Connection::open(sqlite).unwrap();
    let tables = compared_tables(conn);
    assert!(tables.len() >= 20, "{tables:?}");
    let mut compared = 0;
    for (table, columns) in &tables {
        let quoted: Vec<String> = columns.iter().map(|c| format!("`{c}`")).collect();
        let plain: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
        let mut want = sqlite_rows(&lite, &format!("SELECT {} FROM {table}", plain.join(", ")));
        let mut got = mysql_rows(conn, &format!("SELECT {} FROM {table}", quoted.join(", ")));
        // Text sorts by collation differently in the two databases: the rows are sorted here.
        let key = |row: &Vec<Value>| serde_json::to_string(row).unwrap();
        want.sort_by_key(key);
        got.sort_by_key(key);
        assert_eq!(got.len(), want.len(), "{table}: row count");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g, w, "{table}: columns {columns:?}");
        }
        compared += got.len();
    }
    compared
}

impl crate::util::server::Admin for Conn {
    fn try_count(&mut self, sql: &str) -> Option<i64> {
        self.query_first(sql).ok().flatten()
    }

    fn pairs(&mut self, sql: &str) -> Vec<(i64, i64)> {
        self.query(sql).unwrap()
    }

    fn assert_same_tables(&mut self, sqlite: &Path) -> usize {
        assert_same_tables(sqlite, self)
    }
}
