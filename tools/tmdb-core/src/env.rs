//! The shared configuration: `TMDB_TOKEN` (or `BEARER_TOKEN`), `TMDB_API_URL`,
//! `TMDB_EXPORT_URL` and `DB`, read from the process environment and then from a `.env` file in
//! the working folder (DESIGN.md "Common conventions"). Flags win over both; that precedence is
//! applied by each tool, which asks [`Env::var`] only when its flag was not given.
//!
//! The token is a [`Token`]: it prints as `***` whatever formatting is used, so it cannot leak
//! into logs or error messages by accident.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// TMDB's API root (REFERENCE.md §1).
pub const DEFAULT_API_URL: &str = "https://api.themoviedb.org/3";
/// TMDB's daily export folder (REFERENCE.md §5).
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

    /// The database path: `flag` if given, else `DB`, else `data/tmdb.db`; either may be a
    /// `sqlite:///path` URL.
    pub fn db_path(&self, flag: Option<&str>) -> Result<PathBuf> {
        match flag.map(str::to_owned).or_else(|| self.var("DB")) {
            Some(value) => parse_db_location(&value),
            None => Ok(PathBuf::from(DEFAULT_DB)),
        }
    }
}

/// A database location: a plain path, or an SQLAlchemy-style URL where `sqlite:///rel/path` is
/// relative and `sqlite:////abs/path` absolute (a bare `sqlite:/abs/path` also works).
pub fn parse_db_location(value: &str) -> Result<PathBuf> {
    let value = value.trim();
    let path = match value.strip_prefix("sqlite:") {
        None => value,
        Some(rest) => match rest.strip_prefix("///") {
            Some(path) => path,
            None if rest.starts_with("//") => {
                bail!(
                    "DB URL {value:?} names a host; use sqlite:///relative/path or sqlite:////absolute/path"
                )
            }
            None => rest,
        },
    };
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        bail!("DB {value:?} names no file; the mirror needs a database file");
    }
    Ok(PathBuf::from(path))
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
            ("sqlite:///data/tmdb.db", "data/tmdb.db"),
            ("sqlite:////var/lib/tmdb.db", "/var/lib/tmdb.db"),
            ("sqlite:/abs/tmdb.db", "/abs/tmdb.db"),
            ("sqlite:///./tmdb.db?mode=rwc", "./tmdb.db"),
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
        ] {
            assert!(parse_db_location(bad).is_err(), "{bad:?} should be refused");
        }
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
