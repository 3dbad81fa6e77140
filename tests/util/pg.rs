//! A throwaway PostgreSQL cluster for the tests: one per test process, one database per test.
//!
//! `initdb` into a temporary folder (owned by the `postgres` system user when the tests run as
//! root: PostgreSQL refuses to run as root), the server on a Unix socket in that folder (for
//! the harness, trusted) and on a free loopback port (for the tools, with a password, so a
//! wrong one is refused). A small reaper process holds the read end of a pipe the test process
//! keeps open: when the test process ends, however it ends (a panic, a kill), the pipe closes
//! and the reaper stops the server and removes the folder. No server outlives `cargo test`.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use postgres::{Client, NoTls};
use rusqlite::Connection;
use serde_json::Value;

/// The login the tools use, and its password: never to appear in any output.
pub const USER: &str = "mirror";
pub const PASSWORD: &str = "pw-Secret-7f3a";

pub struct Cluster {
    pub dir: PathBuf,
    pub socket_dir: PathBuf,
    pub port: u16,
    /// The server, and the reaper's stdin: kept open for the life of the test process.
    _server: Mutex<Child>,
    _reaper: Mutex<Child>,
}

/// The installed server's `bin` folder (Debian's layout: /usr/lib/postgresql/VERSION/bin).
fn bin_dir() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres): \
             run scripts/test-deps.sh, which installs Debian's postgresql package (make test does)"
        ),
    }
}

/// The uid and gid to run the server as: `postgres` when running as root, else ourselves.
fn server_user() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
    let line = passwd.lines().find(|l| l.starts_with("postgres:")).expect(
        "running as root needs the postgres system user (Debian's postgresql package creates it)",
    );
    let fields: Vec<&str> = line.split(':').collect();
    Some((fields[2].parse().unwrap(), fields[3].parse().unwrap()))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn as_server_user(cmd: &mut Command, user: Option<(u32, u32)>) {
    if let Some((uid, gid)) = user {
        cmd.uid(uid).gid(gid).env("HOME", "/tmp");
    }
}

impl Cluster {
    /// The test process's cluster, started on first use.
    pub fn get() -> &'static Cluster {
        static CLUSTER: OnceLock<Cluster> = OnceLock::new();
        CLUSTER.get_or_init(Cluster::start)
    }

    fn start() -> Cluster {
        let bin = bin_dir();
        let user = server_user();
        let dir = std::env::temp_dir().join(format!("tmdb-mirror-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let data = dir.join("data");
        let socket_dir = dir.join("sock");
        std::fs::create_dir_all(&socket_dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        if let Some((uid, gid)) = user {
            for path in [&dir, &socket_dir] {
                std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
            }
        }
        let pwfile = dir.join("pw");
        std::fs::write(&pwfile, "admin-unused\n").unwrap();
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(&pwfile, Some(uid), Some(gid)).unwrap();
        }
        let mut initdb = Command::new(bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"])
            .args(["--auth-local=trust", "--auth-host=scram-sha-256"])
            .arg(format!("--pwfile={}", pwfile.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        as_server_user(&mut initdb, user);
        let out = initdb.output().expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let mut server = Command::new(bin.join("postgres"));
        server
            .arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(&socket_dir)
            .args(["-c", "listen_addresses=127.0.0.1", "-p", &port.to_string()])
            // A throwaway cluster: durability is not what is tested.
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "max_connections=200"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("server.log")).unwrap())
            .process_group(0);
        as_server_user(&mut server, user);
        let server = server.spawn().expect("start postgres");
        // The reaper: waits for its stdin to close (this process ended), then stops the server
        // (fast shutdown, then a kill after 10 s) and removes the folder.
        let script = format!(
            "cat >/dev/null; kill -INT {pid} 2>/dev/null; i=0; \
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
        let cluster = Cluster {
            dir,
            socket_dir,
            port,
            _server: Mutex::new(server),
            _reaper: Mutex::new(reaper),
        };
        let started = Instant::now();
        let mut admin = loop {
            match cluster.try_admin() {
                Ok(client) => break client,
                Err(err) if started.elapsed() < Duration::from_secs(60) => {
                    let _ = err;
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(err) => panic!(
                    "PostgreSQL did not start in 60 s: {err}\n{}",
                    std::fs::read_to_string(cluster.dir.join("server.log")).unwrap_or_default()
                ),
            }
        };
        admin
            .batch_execute(&format!(
                "CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}' CREATEDB"
            ))
            .unwrap();
        cluster
    }

    fn try_admin(&self) -> Result<Client, postgres::Error> {
        postgres::Config::new()
            .host_path(&self.socket_dir)
            .port(self.port)
            .user("postgres")
            .dbname("postgres")
            .connect(NoTls)
    }

    /// A client of the superuser, on the socket.
    pub fn admin(&self, dbname: &str) -> Client {
        postgres::Config::new()
            .host_path(&self.socket_dir)
            .port(self.port)
            .user("postgres")
            .dbname(dbname)
            .connect(NoTls)
            .unwrap_or_else(|e| panic!("connect to {dbname}: {e}"))
    }

    /// A new, empty database owned by the tools' login; its URL (with the password).
    pub fn database(&self, name: &str) -> String {
        let mut admin = self.admin("postgres");
        // One statement each: a multi-statement string is one transaction, which these refuse.
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {name} OWNER {USER}"))
            .unwrap();
        self.url(name)
    }

    /// The URL of database `name`, over TCP with the password.
    pub fn url(&self, name: &str) -> String {
        format!(
            "postgres://{USER}:{PASSWORD}@127.0.0.1:{}/{name}",
            self.port
        )
    }
}

/// One value as the comparison sees it: JSON, with PostgreSQL's booleans as SQLite's 0/1 and
/// JSON columns parsed (jsonb spaces and orders keys its own way).
fn sqlite_rows(conn: &Connection, sql: &str, json: &[bool]) -> Vec<Vec<Value>> {
    let mut stmt = conn.prepare(sql).unwrap();
    let width = stmt.column_count();
    stmt.query_map([], |row| {
        Ok((0..width)
            .map(|i| match row.get_ref(i).unwrap() {
                rusqlite::types::ValueRef::Null => Value::Null,
                rusqlite::types::ValueRef::Integer(n) => Value::from(n),
                rusqlite::types::ValueRef::Real(x) => Value::from(x),
                rusqlite::types::ValueRef::Text(t) => {
                    let text = String::from_utf8_lossy(t).into_owned();
                    if json[i] {
                        serde_json::from_str(&text).unwrap_or(Value::String(text))
                    } else {
                        Value::String(text)
                    }
                }
                rusqlite::types::ValueRef::Blob(_) => panic!("a blob in {sql}"),
            })
            .collect())
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn pg_rows(client: &mut Client, sql: &str, types: &[String]) -> Vec<Vec<Value>> {
    client
        .query(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|row| {
            types
                .iter()
                .enumerate()
                .map(|(i, ty)| match ty.as_str() {
                    "bigint" => row
                        .get::<_, Option<i64>>(i)
                        .map_or(Value::Null, Value::from),
                    "integer" => row
                        .get::<_, Option<i32>>(i)
                        .map_or(Value::Null, Value::from),
                    "double precision" => row
                        .get::<_, Option<f64>>(i)
                        .map_or(Value::Null, Value::from),
                    "boolean" => row
                        .get::<_, Option<bool>>(i)
                        .map_or(Value::Null, |b| Value::from(i64::from(b))),
                    "jsonb" => row
                        .get::<_, Option<String>>(i)
                        .map_or(Value::Null, |t| serde_json::from_str(&t).unwrap()),
                    _ => row
                        .get::<_, Option<String>>(i)
                        .map_or(Value::Null, Value::String),
                })
                .collect()
        })
        .collect()
}

/// The tables both mirrors hold as data (the loaders' own bookkeeping, the search indexes and
/// the time columns aside), with the columns to compare.
pub fn compared_tables(client: &mut Client) -> BTreeMap<String, Vec<(String, String)>> {
    let rows = client
        .query(
            "SELECT table_name::text, column_name::text,
                    CASE WHEN data_type = 'jsonb' THEN 'jsonb' ELSE data_type::text END
             FROM information_schema.columns
             WHERE table_schema = 'public'
               AND table_name NOT IN ('schema_migrations', 'load_log', 'load_checkpoint',
                                      'tmdb_change_counter')
               AND column_name <> 'gone_at'
             ORDER BY table_name, ordinal_position",
            &[],
        )
        .unwrap();
    let mut tables: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for row in rows {
        tables
            .entry(row.get(0))
            .or_default()
            .push((row.get(1), row.get(2)));
    }
    tables
}

/// Asserts that the SQLite mirror at `sqlite` and the PostgreSQL mirror `client` reads hold the
/// same tables with the same rows, value by value; returns the number of rows compared.
pub fn assert_same_tables(sqlite: &Path, client: &mut Client) -> usize {
    let conn = Connection::open(sqlite).unwrap();
    let tables = compared_tables(client);
    assert!(tables.len() >= 20, "{tables:?}");
    let mut compared = 0;
    for (table, columns) in &tables {
        let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
        let list = columns
            .iter()
            .map(|(n, t)| match t.as_str() {
                "jsonb" => format!("\"{n}\"::text"),
                _ => format!("\"{n}\""),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("SELECT {list} FROM {table}");
        let plain = format!("SELECT {} FROM {table}", names.join(", "));
        let json: Vec<bool> = columns.iter().map(|(_, t)| t == "jsonb").collect();
        let types: Vec<String> = columns.iter().map(|(_, t)| t.clone()).collect();
        let mut want = sqlite_rows(&conn, &plain, &json);
        let mut got = pg_rows(client, &sql, &types);
        // Text sorts by collation differently in the two databases: the rows are sorted here.
        let key = |row: &Vec<Value>| serde_json::to_string(row).unwrap();
        want.sort_by_key(key);
        got.sort_by_key(key);
        assert_eq!(got.len(), want.len(), "{table}: row count");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g, w, "{table}: columns {names:?}");
        }
        compared += got.len();
    }
    compared
}

impl crate::util::server::Admin for Client {
    fn try_count(&mut self, sql: &str) -> Option<i64> {
        self.query_one(sql, &[]).ok().map(|row| row.get(0))
    }

    fn pairs(&mut self, sql: &str) -> Vec<(i64, i64)> {
        let rows = self.query(sql, &[]).unwrap();
        rows.iter().map(|row| (row.get(0), row.get(1))).collect()
    }

    fn assert_same_tables(&mut self, sqlite: &Path) -> usize {
        assert_same_tables(sqlite, self)
    }
}
