//! Query strings: percent-decoding, and typed, validated parameters whose errors name the
//! parameter (a 400 the client can act on).
//!
//! Parameters are strict on purpose: an unknown or repeated one is a 400 rather than silently
//! ignored, so a typo such as `genres=18` does not quietly return the unfiltered list.

use std::fmt::Write as _;

use crate::http::ApiError;
pub use crate::http::quoted;

/// The largest `page` accepted: TMDB's own cap, which also bounds the OFFSET a list query
/// walks (100 x 500 rows at most) so deep pages stay fast on a large mirror.
pub const MAX_PAGE: i64 = 500;
/// The largest `limit` accepted (the README's "tmdb-serve" section).
pub const MAX_LIMIT: i64 = 100;
/// `limit` when none is given.
pub const DEFAULT_LIMIT: i64 = 20;
/// More parameters than this is not a real client.
const MAX_PARAMS: usize = 32;

/// A decoded query string, checked against the parameters a route accepts.
#[derive(Debug, Default)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Decodes `a=1&b=x+y` (`+` is a space, `%XX` a byte; bytes that are not UTF-8 become
    /// U+FFFD, and so fail validation later rather than here).
    pub fn parse(raw: &str) -> Result<Query, ApiError> {
        let mut pairs = Vec::new();
        for part in raw.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            pairs.push((decode(key), decode(value)));
            if pairs.len() > MAX_PARAMS {
                return Err(ApiError::bad_request(
                    None,
                    format!("too many query parameters (at most {MAX_PARAMS})"),
                ));
            }
        }
        Ok(Query { pairs })
    }

    /// Refuses parameters outside `allowed` and parameters given twice.
    pub fn check_allowed(&self, allowed: &[&str]) -> Result<(), ApiError> {
        for (index, (key, _)) in self.pairs.iter().enumerate() {
            if !allowed.contains(&key.as_str()) {
                let expected = if allowed.is_empty() {
                    "this route takes no parameters".to_owned()
                } else {
                    format!("expected one of: {}", allowed.join(", "))
                };
                return Err(ApiError::bad_request(
                    Some(key),
                    format!("unknown parameter {}; {expected}", quoted(key)),
                ));
            }
            if self.pairs[..index].iter().any(|(k, _)| k == key) {
                return Err(ApiError::bad_request(
                    Some(key),
                    format!("parameter {key} is given more than once"),
                ));
            }
        }
        Ok(())
    }

    /// The value of `key`, if given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// An integer in `min..=max`, or `default` when absent.
    pub fn int(&self, key: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        match value.trim().parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(ApiError::bad_request(
                Some(key),
                format!(
                    "{key} must be an integer from {min} to {max}, not {}",
                    quoted(value)
                ),
            )),
        }
    }

    /// `true`/`false` (also `1`/`0`), `false` when absent.
    pub fn flag(&self, key: &str) -> Result<bool, ApiError> {
        match self.get(key).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(false),
            Some(v) if v == "true" || v == "1" => Ok(true),
            Some(v) if v == "false" || v == "0" => Ok(false),
            Some(_) => Err(ApiError::bad_request(
                Some(key),
                format!(
                    "{key} must be true or false, not {}",
                    quoted(self.get(key).unwrap_or(""))
                ),
            )),
        }
    }

    /// `page` and `limit`, validated.
    pub fn page(&self) -> Result<Page, ApiError> {
        Ok(Page {
            page: self.int("page", 1, MAX_PAGE)?.unwrap_or(1),
            limit: self.int("limit", 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT),
        })
    }

    /// The pairs except `key`, re-encoded (to build `Link` URLs for other pages).
    pub fn encode_without(&self, key: &str) -> String {
        let mut out = String::new();
        for (k, v) in self.pairs.iter().filter(|(k, _)| k != key) {
            if !out.is_empty() {
                out.push('&');
            }
            encode_into(&mut out, k);
            out.push('=');
            encode_into(&mut out, v);
        }
        out
    }
}

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: i64,
    pub limit: i64,
}

impl Page {
    /// Rows to skip.
    pub fn offset(self) -> i64 {
        (self.page - 1) * self.limit
    }

    /// How many pages `total` results fill, at most [`MAX_PAGE`]: as TMDB does, the envelope
    /// never promises a page that would be refused (`total_results` stays the true count).
    pub fn total_pages(self, total: i64) -> i64 {
        ((total + self.limit - 1) / self.limit).min(MAX_PAGE)
    }
}

/// A field a list can be sorted by.
pub trait SortField: Copy + 'static {
    /// Every field: its name in `sort=`, the field, and whether it sorts descending when no
    /// direction is given.
    const FIELDS: &'static [(&'static str, Self, bool)];
}

/// A validated sort: a field and a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort<F> {
    pub field: F,
    pub descending: bool,
}

/// The sorts of `/movies` and `/genres/{id}/movies`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MovieSort {
    Popularity,
    ReleaseDate,
    VoteAverage,
    VoteCount,
    Title,
}

impl SortField for MovieSort {
    const FIELDS: &'static [(&'static str, Self, bool)] = &[
        ("popularity", MovieSort::Popularity, true),
        ("release_date", MovieSort::ReleaseDate, true),
        ("vote_average", MovieSort::VoteAverage, true),
        ("vote_count", MovieSort::VoteCount, true),
        ("title", MovieSort::Title, false),
    ];
}

/// The sorts of `/movies/search`: relevance (best first by default), or a list sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchSort {
    Relevance,
    By(MovieSort),
}

impl SortField for SearchSort {
    const FIELDS: &'static [(&'static str, Self, bool)] = &[
        ("popularity", SearchSort::By(MovieSort::Popularity), true),
        ("release_date", SearchSort::By(MovieSort::ReleaseDate), true),
        ("vote_average", SearchSort::By(MovieSort::VoteAverage), true),
        ("vote_count", SearchSort::By(MovieSort::VoteCount), true),
        ("title", SearchSort::By(MovieSort::Title), false),
        ("relevance", SearchSort::Relevance, true),
    ];
}

/// The sorts of `/people`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeopleSort {
    Popularity,
    Name,
}

impl SortField for PeopleSort {
    const FIELDS: &'static [(&'static str, Self, bool)] = &[
        ("popularity", PeopleSort::Popularity, true),
        ("name", PeopleSort::Name, false),
    ];
}

/// `sort`: `field`, `field.asc` or `field.desc`, one of `F`'s fields; `default` when absent.
pub fn sort<F: SortField>(query: &Query, default: Sort<F>) -> Result<Sort<F>, ApiError> {
    let Some(value) = query.get("sort") else {
        return Ok(default);
    };
    let lower = value.trim().to_ascii_lowercase();
    let (name, direction) = match lower.rsplit_once('.') {
        Some((name, dir)) => (name, Some(dir)),
        None => (lower.as_str(), None),
    };
    let field = F::FIELDS.iter().find(|(n, _, _)| *n == name);
    let descending = match (field, direction) {
        (Some(&(_, _, natural)), None) => Some(natural),
        (Some(_), Some("desc")) => Some(true),
        (Some(_), Some("asc")) => Some(false),
        _ => None,
    };
    match (field, descending) {
        (Some(&(_, field, _)), Some(descending)) => Ok(Sort { field, descending }),
        _ => {
            let names: Vec<&str> = F::FIELDS.iter().map(|(n, _, _)| *n).collect();
            Err(ApiError::bad_request(
                Some("sort"),
                format!(
                    "sort must be one of {} with an optional .asc or .desc, not {}",
                    names.join(", "),
                    quoted(value)
                ),
            ))
        }
    }
}

/// Percent-decodes one query component, `+` as a space.
pub fn decode(s: &str) -> String {
    String::from_utf8_lossy(&decode_bytes(s, true)).into_owned()
}

/// Percent-decodes a path (`+` stays itself); `None` when the result is not UTF-8.
pub fn decode_path(s: &str) -> Option<String> {
    String::from_utf8(decode_bytes(s, false)).ok()
}

fn decode_bytes(s: &str, plus_is_space: bool) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' => match bytes.get(i + 1..i + 3).and_then(|h| hex_pair(h[0], h[1])) {
                Some(byte) => {
                    out.push(byte);
                    i += 2;
                }
                // A `%` not followed by two hex digits is kept as it is, as browsers do.
                None => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

fn hex_pair(high: u8, low: u8) -> Option<u8> {
    let digit = |b: u8| (b as char).to_digit(16);
    Some((digit(high)? * 16 + digit(low)?) as u8)
}

fn encode_into(out: &mut String, s: &str) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_plus_and_bad_escapes() {
        assert_eq!(decode("a+b%20c"), "a b c");
        assert_eq!(decode("Am%C3%A9lie"), "Amélie");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert_eq!(decode("%FF"), "\u{FFFD}");
    }

    #[test]
    fn refuses_unknown_and_repeated_parameters() {
        let q = Query::parse("page=1&genres=18").unwrap();
        let err = q.check_allowed(&["page"]).unwrap_err();
        assert_eq!(err.parameter.as_deref(), Some("genres"));
        let q = Query::parse("page=1&page=2").unwrap();
        let err = q.check_allowed(&["page"]).unwrap_err();
        assert!(err.message.contains("more than once"), "{}", err.message);
    }

    #[test]
    fn pages_and_limits_are_bounded() {
        for (raw, parameter) in [
            ("page=abc", "page"),
            ("page=0", "page"),
            ("page=501", "page"),
            ("limit=1000", "limit"),
            ("limit=-1", "limit"),
            ("page=99999999999999999999", "page"),
        ] {
            let err = Query::parse(raw).unwrap().page().unwrap_err();
            assert_eq!(err.parameter.as_deref(), Some(parameter), "{raw}");
        }
        let page = Query::parse("page=3&limit=7").unwrap().page().unwrap();
        assert_eq!(page, Page { page: 3, limit: 7 });
        assert_eq!(page.offset(), 14);
        assert_eq!(page.total_pages(0), 0);
        assert_eq!(page.total_pages(14), 2);
        assert_eq!(page.total_pages(15), 3);
        let one = Page { page: 1, limit: 1 };
        assert_eq!(
            one.total_pages(1921),
            MAX_PAGE,
            "never a page that answers 400"
        );
    }

    #[test]
    fn sorts_take_a_field_and_an_optional_direction() {
        let default = Sort {
            field: PeopleSort::Popularity,
            descending: true,
        };
        let pick = |raw: &str| sort(&Query::parse(raw).unwrap(), default);
        let by = |field, descending| Sort { field, descending };
        assert_eq!(pick("").unwrap(), default);
        assert_eq!(pick("sort=name").unwrap(), by(PeopleSort::Name, false));
        assert_eq!(pick("sort=Name.DESC").unwrap(), by(PeopleSort::Name, true));
        assert_eq!(
            pick("sort=popularity.asc").unwrap(),
            by(PeopleSort::Popularity, false)
        );
        for bad in [
            "sort=budget",
            "sort=name.up",
            "sort=.asc",
            "sort=",
            "sort=title",
        ] {
            assert_eq!(pick(bad).unwrap_err().parameter.as_deref(), Some("sort"));
        }
        let search = sort(
            &Query::parse("sort=relevance.asc").unwrap(),
            Sort {
                field: SearchSort::By(MovieSort::Popularity),
                descending: true,
            },
        );
        assert_eq!(
            search.unwrap(),
            Sort {
                field: SearchSort::Relevance,
                descending: false
            }
        );
    }

    #[test]
    fn encodes_what_it_decodes() {
        let q = Query::parse("query=am%C3%A9lie+p&page=2&x=a%26b").unwrap();
        let again = Query::parse(&q.encode_without("page")).unwrap();
        assert_eq!(again.get("query"), Some("amélie p"));
        assert_eq!(again.get("x"), Some("a&b"));
        assert_eq!(again.get("page"), None);
    }

    #[test]
    fn quoted_values_are_escaped_and_short() {
        assert_eq!(quoted("a\nb\"c"), "\"a\\nb\\\"c\"");
        assert!(quoted(&"x".repeat(500)).len() < 80);
    }
}
