//! The shared configuration: `TMDB_TOKEN` (or `BEARER_TOKEN`), `TMDB_API_URL`, `TMDB_EXPORT_URL`
//! and `DB`, read from the process environment and then from a `.env` file in the working folder
//! (docs/architecture.md, "Conventions every binary keeps"). Flags win over both; that precedence
//! is applied by each tool, which asks [`Env::var`] only when its flag was not given.
//!
//! The token is a [`Token`]: it prints as `***` whatever formatting is used, so it cannot leak
//! into logs or error messages by accident.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::mysql::MyUrl;
use crate::pg::PgUrl;

/// TMDB's API root (docs/tmdb.md, "Authentication").
pub const DEFAULT_API_URL: &str = "https://api.themoviedb.org/3";
/// TMDB's daily export folder (docs/tmdb.md, "Export files").
pub const DEFAULT_EXPORT_URL: &str = "https://files.tmdb.org/p/exports";
/// Where the mirror lives unless `DB` or `--db` says otherwise.
pub const DEFAULT_DB: &str = "data/tmdb.db";

/// A TMDB read-access token. Never printed: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token; surrounding whitespace (a pasted newline) is dropped.
    pub fn new(token: &str) -> Token {
        Token(token.trim().to_owned())
    }

    /// The secret itself, for the `Authorization` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Replaces every occurrence of the token in `text` by `***`: a last line of defence for
    /// messages that quote what a server or library said.
    pub fn redact(&self, text: &str) -> String {
        if self.0.is_empty() {
            text.to_owned()
        } else {
            text.replace(&self.0, "***")
        }
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The environment as the tools see it: process variables first, then `.env`.
#[derive(Debug, Default, Clone)]
pub struct Env {
    dotenv: BTreeMap<String, String>,
}

impl Env {
    /// Reads `.env` from the working folder if there is one.
    pub fn load() -> Result<Env> {
        Env::from_dotenv_file(Path::new(".env"))
    }

    /// Reads the given dotenv file if it exists (a missing file is an empty one).
    pub fn from_dotenv_file(path: &Path) -> Result<Env> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Env {
                dotenv: parse_dotenv(&text, path)?,
            }),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(Env::default()),
            Err(err) => Err(err).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// The value of `key`: the process environment first, then `.env`; empty values count as
    /// unset, so `TMDB_TOKEN= make demo` does not send an empty token.
    pub fn var(&self, key: &str) -> Option<String> {
        std::env::var(key)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .or_else(|| {
                self.dotenv
                    .get(key)
                    .filter(|v| !v.trim().is_empty())
                    .cloned()
            })
    }

    /// `TMDB_TOKEN`, else `BEARER_TOKEN`.
    pub fn token(&self) -> Option<Token> {
        self.var("TMDB_TOKEN")
            .or_else(|| self.var("BEARER_TOKEN"))
            .map(|t| Token::new(&t))
    }

    /// `TMDB_API_URL` or TMDB's own, without a trailing slash.
    pub fn api_url(&self) -> String {
        let url = self
            .var("TMDB_API_URL")
            .unwrap_or_else(|| DEFAULT_API_URL.to_owned());
        url.trim_end_matches('/').to_owned()
    }

    /// `TMDB_EXPORT_URL` or TMDB's own, without a trailing slash.
    pub fn export_url(&self) -> String {
        let url = self
            .var("TMDB_EXPORT_URL")
            .unwrap_or_else(|| DEFAULT_EXPORT_URL.to_owned());
        url.trim_end_matches('/').to_owned()
    }

    /// The database: `flag` if given, else `DB`, else `DB_URL` (the name the old project used),
    /// else `data/tmdb.db`. Each may be a path or a URL ([`parse_location`]).
    pub fn db_location(&self, flag: Option<&str>) -> Result<Location> {
        match flag
            .map(str::to_owned)
            .or_else(|| self.var("DB"))
            .or_else(|| self.var("DB_URL"))
        {
            Some(value) => parse_location(&value),
            None => Ok(Location::Sqlite(PathBuf::from(DEFAULT_DB))),
        }
    }
}

/// Where the mirror is: a SQLite file, a PostgreSQL or a MySQL/MariaDB database. Prints with any
/// password masked.
#[derive(Debug, Clone)]
pub enum Location {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database (boxed: its parsed settings are large, a path is not).
    Postgres(Box<PgUrl>),
    /// A MySQL or MariaDB database.
    Mysql(Box<MyUrl>),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => write!(f, "{url}"),
            Location::Mysql(url) => write!(f, "{url}"),
        }
    }
}

/// A database location: a `postgres://` or `postgresql://` URL ([`PgUrl::parse`]), a
/// `mysql://` or `mariadb://` URL ([`MyUrl::parse`]), else what [`parse_db_location`] takes for
/// a SQLite file.
pub fn parse_location(value: &str) -> Result<Location> {
    let value = value.trim();
    match url_scheme(value).map(str::to_ascii_lowercase).as_deref() {
        Some("postgres" | "postgresql") => Ok(Location::Postgres(Box::new(PgUrl::parse(value)?))),
        Some("mysql" | "mariadb") => Ok(Location::Mysql(Box::new(MyUrl::parse(value)?))),
        _ => parse_db_location(value).map(Location::Sqlite),
    }
}

/// A database location, as `--db`, `DB` or `DB_URL` give it:
///
/// - a plain path: `data/tmdb.db`, `/var/lib/tmdb.db`;
/// - an SQLAlchemy-style URL, the convention the old project's users know: the path follows
///   `sqlite:///`, so `sqlite:///relative.db` is relative and `sqlite:////absolute.db`
///   absolute (`sqlite:/absolute.db` works too);
/// - an SQLite `file:` URI: `file:relative.db`, `file:/absolute.db`, `file:///absolute.db`,
///   `file://localhost/absolute.db`, with `%XX` escapes decoded.
///
/// A query string (`?mode=ro`) is dropped: the tools choose how they open the mirror. Any other
/// `scheme://` URL is refused with a message naming the scheme (PostgreSQL's and MySQL's are
/// [`parse_location`]'s); the messages never show a password.
pub fn parse_db_location(value: &str) -> Result<PathBuf> {
    let value = value.trim();
    let shown = mask_password(value);
    let path = if let Some(rest) = value.strip_prefix("sqlite:") {
        let rest = strip_query(rest);
        match rest.strip_prefix("///") {
            Some(path) => path.to_owned(),
            None if rest.starts_with("//") => bail!(
                "DB URL {shown:?} names a host; use sqlite:///relative/path or sqlite:////absolute/path"
            ),
            None => rest.to_owned(),
        }
    } else if let Some(rest) = value.strip_prefix("file:") {
        let rest = strip_query(rest);
        let path = match rest.strip_prefix("//") {
            // file://HOST/path: SQLite accepts only an empty host or localhost.
            Some(after) => {
                let (host, path) = after.split_at(after.find('/').unwrap_or(after.len()));
                if !(host.is_empty() || host.eq_ignore_ascii_case("localhost")) {
                    bail!(
                        "DB URI {shown:?} names host {host:?}; a file: URI names a local file (file:///absolute/path or file:relative/path)"
                    );
                }
                path
            }
            None => rest,
        };
        percent_decode(path).with_context(|| format!("DB URI {shown:?}"))?
    } else if let Some(scheme) = url_scheme(value) {
        let name = match scheme.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => "PostgreSQL",
            "mysql" | "mariadb" => "MySQL/MariaDB",
            _ => bail!(
                "DB URL {shown:?} has scheme {scheme:?}, which tmdb-mirror does not know; use a path, sqlite:///relative.db, sqlite:////absolute.db or file:path"
            ),
        };
        bail!(
            "DB URL {shown:?} is a {name} database (scheme {scheme:?}); this tool reads SQLite mirrors only for now"
        );
    } else {
        value.to_owned()
    };
    if path.is_empty() || path == ":memory:" || path.ends_with('/') {
        bail!("DB {shown:?} names no file; the mirror needs a database file");
    }
    Ok(PathBuf::from(path))
}

/// `value` with any password replaced by `***`: the one in `scheme://user:password@host`, and
/// the value of a `password=` (or `pass=`, `pwd=`) query parameter. Anything else is shown as
/// it is, so a user can still see which database was meant.
pub fn mask_password(value: &str) -> String {
    let mut out = value.to_owned();
    if let Some(scheme_end) = out.find("://") {
        let authority_start = scheme_end + 3;
        let authority_end = out[authority_start..]
            .find(['/', '?', '#'])
            .map_or(out.len(), |i| authority_start + i);
        // The last '@' ends the user info: a password may itself contain '@'.
        if let Some(at) = out[authority_start..authority_end].rfind('@') {
            let userinfo = &out[authority_start..authority_start + at];
            if let Some(colon) = userinfo.find(':') {
                let from = authority_start + colon + 1;
                out.replace_range(from..authority_start + at, "***");
            }
        }
    }
    if let Some(query_start) = out.find('?') {
        let (head, query) = out.split_at(query_start + 1);
        let masked: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _))
                    if ["password", "pass", "pwd"].contains(&key.to_ascii_lowercase().as_str()) =>
                {
                    format!("{key}=***")
                }
                _ => pair.to_owned(),
            })
            .collect();
        out = format!("{head}{}", masked.join("&"));
    }
    out
}

/// The scheme of a `scheme://...` URL (RFC 3986: a letter, then letters, digits, `+-.`), or
/// `None` for anything else, including a Windows path such as `C:\x` (one letter).
fn url_scheme(value: &str) -> Option<&str> {
    let (scheme, _) = value.split_once("://")?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && scheme.len() > 1
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)))
    .then_some(scheme)
}

fn strip_query(rest: &str) -> &str {
    rest.split(['?', '#']).next().unwrap_or_default()
}

/// Decodes `%XX` escapes (a `file:` URI's spaces and other reserved characters).
pub(crate) fn percent_decode(text: &str) -> Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            let Some(byte) = hex else {
                bail!("bad %-escape at byte {}", i + 1);
            };
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).context("the %-escapes do not decode to UTF-8")
}

/// Parses `KEY=value` lines: `#` comments, blank lines, an optional `export ` prefix, and
/// values in single or double quotes.
fn parse_dotenv(text: &str, path: &Path) -> Result<BTreeMap<String, String>> {
    let mut vars = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            bail!("{}:{}: expected KEY=value", path.display(), index + 1);
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            bail!(
                "{}:{}: {key:?} is not a variable name",
                path.display(),
                index + 1
            );
        }
        vars.insert(key.to_owned(), unquote(value.trim()).to_owned());
    }
    Ok(vars)
}

fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner;
        }
    }
    // An unquoted value ends at a " #" comment.
    value.split(" #").next().unwrap_or(value).trim_end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_never_prints_itself() {
        let token = Token::new(" eyJsecret.value \n");
        assert_eq!(token.expose(), "eyJsecret.value");
        assert_eq!(format!("{token}"), "***");
        assert_eq!(format!("{token:?}"), "Token(***)");
        assert_eq!(format!("{token:#?}"), "Token(***)");
        let err = anyhow::anyhow!("request with {} failed", token);
        assert!(!format!("{err:#}").contains("secret"));
        assert_eq!(
            token.redact("url?api_key=eyJsecret.value&x"),
            "url?api_key=***&x"
        );
    }

    #[test]
    fn dotenv_lines() {
        let text = "# comment\n\nTMDB_TOKEN=\"abc def\"\nexport DB='sqlite:///x.db'\nRATE=40 # per second\n";
        let vars = parse_dotenv(text, Path::new(".env")).unwrap();
        assert_eq!(vars["TMDB_TOKEN"], "abc def");
        assert_eq!(vars["DB"], "sqlite:///x.db");
        assert_eq!(vars["RATE"], "40");
        let err = parse_dotenv("A=1\nnot a line\n", Path::new("dir/.env")).unwrap_err();
        assert_eq!(err.to_string(), "dir/.env:2: expected KEY=value");
    }

    #[test]
    fn db_locations() {
        let ok = [
            ("data/tmdb.db", "data/tmdb.db"),
            (" /var/lib/tmdb.db\n", "/var/lib/tmdb.db"),
            // SQLAlchemy: three slashes then the path, so four for an absolute one.
            ("sqlite:///data/tmdb.db", "data/tmdb.db"),
            ("sqlite:///relative.db", "relative.db"),
            ("sqlite:////var/lib/tmdb.db", "/var/lib/tmdb.db"),
            ("sqlite:////absolute.db", "/absolute.db"),
            ("sqlite:/abs/tmdb.db", "/abs/tmdb.db"),
            ("sqlite:///./tmdb.db?mode=rwc", "./tmdb.db"),
            // SQLite's file: URIs.
            ("file:data/tmdb.db", "data/tmdb.db"),
            ("file:/abs/tmdb.db", "/abs/tmdb.db"),
            ("file:///abs/tmdb.db", "/abs/tmdb.db"),
            ("file://localhost/abs/tmdb.db", "/abs/tmdb.db"),
            (
                "file:///abs/my%20mirror.db?mode=ro&cache=shared",
                "/abs/my mirror.db",
            ),
            ("file:r%C3%A9sum%C3%A9.db", "résumé.db"),
        ];
        for (value, want) in ok {
            assert_eq!(
                parse_db_location(value).unwrap(),
                PathBuf::from(want),
                "{value}"
            );
        }
        for bad in [
            "sqlite://",
            "sqlite:///",
            "sqlite://host/x.db",
            "",
            ":memory:",
            "sqlite:///:memory:",
            "file::memory:",
            "file://otherhost/x.db",
            "file:/abs/bad%2",
            "file:/abs/bad%zz.db",
            "data/",
        ] {
            assert!(parse_db_location(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn other_url_schemes_are_named_and_their_passwords_never_shown() {
        let cases = [
            (
                "mysql://root:s3cret@127.0.0.1/tmdb",
                "MySQL/MariaDB database",
                "mysql",
            ),
            (
                "mariadb://u:s3cret@h/tmdb?ssl=true",
                "MySQL/MariaDB database",
                "mariadb",
            ),
            ("mongodb://u:s3cret@h/tmdb", "does not know", "mongodb"),
            ("sqlite://u:s3cret@h/tmdb", "names a host", "sqlite"),
            ("redis://h/0?password=s3cret", "does not know", "redis"),
            (
                "postgres://mirror:s3cr%40t@db.local:5432/tmdb",
                "SQLite mirrors only",
                "postgres",
            ),
        ];
        for (url, says, scheme) in cases {
            let err = parse_db_location(url).unwrap_err().to_string();
            assert!(err.contains(says), "{url}: {err}");
            assert!(err.contains(scheme), "{url}: {err}");
            assert!(!err.contains("s3cr"), "{url}: the password leaked: {err}");
            assert!(err.contains("***"), "{url}: {err}");
        }
        for url in [
            "postgres://mirror:s3cr%40t@db.local:5432/tmdb",
            "postgresql://mirror:s3cret@db.local/tmdb",
        ] {
            match parse_location(url).unwrap() {
                Location::Postgres(pg) => {
                    assert_eq!(pg.dbname(), "tmdb");
                    assert!(!pg.to_string().contains("s3cr"), "{pg}");
                }
                other => panic!("{url}: {other:?}"),
            }
        }
        for url in [
            "mysql://mirror:s3cret@db.local:3306/tmdb",
            "MariaDB://mirror:s3cret@db.local/tmdb",
        ] {
            match parse_location(url).unwrap() {
                Location::Mysql(my) => {
                    assert_eq!(my.dbname(), "tmdb");
                    assert!(!my.to_string().contains("s3cr"), "{my}");
                }
                other => panic!("{url}: {other:?}"),
            }
        }
    }

    #[test]
    fn passwords_are_masked_in_every_url_form() {
        let cases = [
            ("postgres://u:pw@h:5432/db", "postgres://u:***@h:5432/db"),
            ("postgres://u:p@ss:w@rd@h/db", "postgres://u:***@h/db"),
            ("postgres://u@h/db", "postgres://u@h/db"),
            (
                "postgres://h/db?user=u&password=pw",
                "postgres://h/db?user=u&password=***",
            ),
            (
                "mysql://u:pw@h/db?PWD=x&ssl=1",
                "mysql://u:***@h/db?PWD=***&ssl=1",
            ),
            ("data/tmdb.db", "data/tmdb.db"),
            ("sqlite:////abs.db", "sqlite:////abs.db"),
        ];
        for (url, want) in cases {
            assert_eq!(mask_password(url), want, "{url}");
        }
    }

    #[test]
    fn db_flag_then_db_then_db_url() {
        let env = |pairs: &[(&str, &str)]| Env {
            dotenv: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        // Only the .env map is set here: the process environment of a test is shared, and
        // Env::var reads it first, so these keys must not be set there.
        if std::env::var_os("DB").is_some() || std::env::var_os("DB_URL").is_some() {
            return;
        }
        let path = |env: &Env, flag: Option<&str>| match env.db_location(flag).unwrap() {
            Location::Sqlite(path) => path,
            other => panic!("not a SQLite file: {other}"),
        };
        assert_eq!(path(&env(&[]), None), PathBuf::from(DEFAULT_DB));
        let url_only = env(&[("DB_URL", "sqlite:////srv/old.db")]);
        assert_eq!(path(&url_only, None), PathBuf::from("/srv/old.db"));
        assert_eq!(path(&url_only, Some("x.db")), PathBuf::from("x.db"));
        let both = env(&[("DB", "a.db"), ("DB_URL", "postgres://u:pw@h/db")]);
        assert_eq!(path(&both, None), PathBuf::from("a.db"));
        assert_eq!(path(&both, Some("flag.db")), PathBuf::from("flag.db"));
        let pg = env(&[("DB_URL", "postgresql://u:hunter2@h/db")]);
        let location = pg.db_location(None).unwrap();
        assert!(matches!(location, Location::Postgres(_)));
        let shown = location.to_string();
        assert!(
            shown.contains("postgresql") && !shown.contains("hunter2"),
            "{shown}"
        );
    }

    #[test]
    fn dotenv_file_fills_in_what_the_process_lacks() {
        let dir = std::env::temp_dir().join(format!("tmdb-core-env-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(".env");
        std::fs::write(&path, "TMDB_CORE_TEST_ONLY_IN_DOTENV=from-file\n").unwrap();
        let env = Env::from_dotenv_file(&path).unwrap();
        assert_eq!(
            env.var("TMDB_CORE_TEST_ONLY_IN_DOTENV").as_deref(),
            Some("from-file")
        );
        assert_eq!(env.var("TMDB_CORE_TEST_UNSET_EVERYWHERE"), None);
        assert!(
            Env::from_dotenv_file(&dir.join("missing"))
                .unwrap()
                .dotenv
                .is_empty()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
