//! `/3/discover/movie`, and the movie list item every TMDB list shares (discover, search,
//! keyword movies, collection parts, find, a person's movie credits): the details' list fields
//! and `genre_ids`, no credits.

use std::sync::LazyLock;

use serde_json::{Map, Value};
use tmdb_core::read::{self, Param as SqlValue, Read, Row};
use tmdb_core::tmdb::PAGE_SIZE;
use tmdb_core::tmdb::query::{Discover, Params, SortField};

use super::Answer;
use super::discover_index::{Index, Linked};
use crate::json::{self, As, Field, Text, Writer};
use crate::queries::{in_order, walk_budget, walk_ids};

/// The columns of a list item of movie `m` but its `genre_ids` (a macro, so that [`ITEM`] can
/// be spelled from it at compile time).
macro_rules! item_fields {
    () => {
        "m.id, m.adult, m.backdrop_path, m.original_language, m.original_title, \
         m.overview, m.popularity, m.poster_path, m.release_date, m.softcore, m.title, m.video, \
         m.vote_average, m.vote_count"
    };
}

/// The columns of a list item of movie `m`; [`item`] reads them. Its genres in TMDB's order,
/// the ties of a mirror loaded before `ord` existed (NULL) by id, as
/// `discover_index::PageRows::genre_ids` gives them (`ASC` spelled out: PostgreSQL's translation
/// then puts NULLs first, as SQLite and MySQL do).
pub const ITEM: &str = concat!(
    item_fields!(),
    ", (SELECT json_group_array(genre_id ORDER BY ord ASC, genre_id ASC) \
     FROM movie_genre WHERE movie_id = m.id)"
);

/// A column's value as TMDB writes it (`bool` for the flags).
pub fn value(row: &Row<'_>, i: usize, flag: bool) -> read::Result<Value> {
    json::column(row, i, if flag { As::ExactFlag } else { As::Exact })
}

/// The list item whose [`ITEM`] columns start at `at`.
pub fn item(row: &Row<'_>, at: usize) -> read::Result<Map<String, Value>> {
    json::read_from(row, at, &[&ITEM_FIELDS, &GENRE_IDS])
}

/// The fields of [`item_fields`]'s columns, in order.
const ITEM_FIELDS: [Field; 14] = [
    exact("id"),
    flag("adult"),
    exact("backdrop_path"),
    exact("original_language"),
    exact("original_title"),
    exact("overview"),
    exact("popularity"),
    exact("poster_path"),
    exact("release_date"),
    flag("softcore"),
    exact("title"),
    flag("video"),
    exact("vote_average"),
    exact("vote_count"),
];

/// Writers of [`ITEM`]'s rows, and of [`item_fields`]'s with the genre ids given, made once
/// (each sorts its fields) rather than at every page.
static ITEM_WRITER: LazyLock<Writer> =
    LazyLock::new(|| Writer::new(&[&ITEM_FIELDS, &GENRE_IDS], &[]));
static ITEM_WRITER_GIVEN_GENRE_IDS: LazyLock<Writer> =
    LazyLock::new(|| Writer::new(&[&ITEM_FIELDS], &["genre_ids"]));

/// [`ITEM`]'s genre ids, after [`ITEM_FIELDS`].
const GENRE_IDS: [Field; 1] = [Field {
    name: "genre_ids",
    kind: As::Json,
}];

/// A field read as [`As::Exact`].
const fn exact(name: &'static str) -> Field {
    Field {
        name,
        kind: As::Exact,
    }
}

/// A field read as [`As::ExactFlag`].
const fn flag(name: &'static str) -> Field {
    Field {
        name,
        kind: As::ExactFlag,
    }
}

/// One page of movies: `from_where` is the FROM and WHERE over `movie m`, `order` the ORDER
/// BY (ending with `m.id`, so that ties have one order and pages never overlap). TMDB's
/// envelope, 20 a page, true totals.
///
/// The sorted query carries only the ids: the page's items are then read by id. Selecting
/// [`ITEM`] in the sorted query made SQLite compute every match's columns, its genre subquery
/// included, before the LIMIT: 1.3 s for a page of the 990,000 movies an unfiltered discover
/// matches on a 1,000,000-movie mirror.
pub fn page(
    conn: &dyn Read,
    from_where: &str,
    params: &[SqlValue],
    order: &str,
    walk: Option<&Walk>,
    page: u64,
) -> read::Result<ListPage> {
    let total = read::first(
        conn,
        &format!("SELECT count(*) {from_where}"),
        params,
        |r| r.int(0),
    )?
    .flatten()
    .unwrap_or(0);
    let offset = (page - 1) * PAGE_SIZE;
    let walked = match walk {
        Some(walk) => walk.ids(conn, params, total, offset)?,
        None => None,
    };
    let ids = match walked {
        Some(ids) => ids,
        None => {
            let sql = format!(
                "SELECT m.id {from_where} ORDER BY {order} LIMIT {PAGE_SIZE} OFFSET {offset}"
            );
            read::rows(conn, &sql, params, |row| {
                row.int(0).map(Option::unwrap_or_default)
            })?
        }
    };
    envelope(conn, &ids, total as u64, page, None)
}

/// TMDB's envelope of a page of these movies, `total` in all; their genres from `index` when
/// it holds them.
fn envelope(
    conn: &dyn Read,
    ids: &[i64],
    total: u64,
    page: u64,
    index: Option<&Index>,
) -> read::Result<ListPage> {
    Ok(ListPage {
        id: None,
        page,
        results: items_by_id(conn, ids, index)?,
        total,
    })
}

/// A page of a TMDB list of movies, its items written out ([`json::Text`]).
#[derive(Debug, PartialEq)]
pub struct ListPage {
    /// The list's own id, where it has one (a keyword's movies).
    pub id: Option<i64>,
    page: u64,
    results: Vec<Text>,
    total: u64,
}

impl ListPage {
    /// Page `page` of a list with nothing in it.
    pub fn empty(page: u64) -> ListPage {
        ListPage {
            id: None,
            page,
            results: Vec::new(),
            total: 0,
        }
    }

    /// TMDB's envelope, written as a `Value` object would be (keys sorted).
    pub fn write(&self) -> Vec<u8> {
        let id = self
            .id
            .map(|id| format!("\"id\":{id},"))
            .unwrap_or_default();
        let mut out = format!("{{{id}\"page\":{},\"results\":", self.page).into_bytes();
        json::join(&mut out, &self.results);
        let total_pages = self.total.div_ceil(PAGE_SIZE).max(1);
        out.extend_from_slice(
            format!(
                ",\"total_pages\":{total_pages},\"total_results\":{}}}",
                self.total
            )
            .as_bytes(),
        );
        out
    }
}

/// The list items of these movies, in this order, read by one statement. Their genres come
/// from `index` when it holds every one of them: looking each movie up in `movie_genre` was
/// half of reading a page's items (~2.5 us a movie on a 1,000,000-movie mirror).
fn items_by_id(conn: &dyn Read, ids: &[i64], index: Option<&Index>) -> read::Result<Vec<Text>> {
    let Some(mut rows) = index.and_then(|index| index.page_rows(ids)) else {
        return in_order(conn, ITEM, "movie m", "m", ids, |row| {
            ITEM_WRITER.write(row, &[])
        });
    };
    let writer = &*ITEM_WRITER_GIVEN_GENRE_IDS;
    let mut genre_ids = Vec::new();
    in_order(conn, item_fields!(), "movie m", "m", ids, |row| {
        let genres = row.int(0)?.and_then(|id| rows.genre_ids(id));
        genre_ids.clear();
        json::put(&mut genre_ids, &genres.unwrap_or_default());
        writer.write(row, &[&genre_ids])
    })
}

/// A page's other plan: the movies read in the order of the sort column's index, each tested
/// against the filters, until the page is full (`queries::walk_budget` says when).
///
/// SQLite sorts every match for a LIMIT unless told otherwise, and it cannot tell a few
/// matches from most of the mirror without statistics on the filters' values: an unfiltered
/// discover sorted 990,000 movies by title for 20 (2 s on 1,000,000 movies). The count, which
/// the envelope needs anyway, tells.
pub struct Walk {
    /// `(<the filters as one expression>) FROM movie m INDEXED BY <the sort's index>`.
    pub from: String,
    /// The ORDER BY, which that index gives.
    pub order: String,
}

impl Walk {
    /// The page's ids by walking, or `None` when sorting is cheaper or the walk ran out.
    fn ids(
        &self,
        conn: &dyn Read,
        params: &[SqlValue],
        total: i64,
        offset: u64,
    ) -> read::Result<Option<Vec<i64>>> {
        let rest = u64::try_from(total).unwrap_or(0).saturating_sub(offset);
        let (Ok(skip), Ok(wanted)) = (usize::try_from(offset), usize::try_from(offset + PAGE_SIZE))
        else {
            return Ok(None);
        };
        if rest == 0 {
            return Ok(None);
        }
        let Some(budget) = walk_budget(conn, wanted, total)? else {
            return Ok(None);
        };
        let sql = format!("SELECT m.id, {} ORDER BY {}", self.from, self.order);
        let page = usize::try_from(PAGE_SIZE.min(rest)).unwrap_or(0);
        walk_ids(conn, &sql, params, skip, page, budget)
    }
}

/// `?, ?, ?` for `n` values.
pub fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Builds a WHERE clause from conditions and their values.
#[derive(Default)]
pub struct Clauses {
    pub sql: Vec<String>,
    pub params: Vec<SqlValue>,
}

impl Clauses {
    pub fn push(&mut self, sql: String, params: impl IntoIterator<Item = SqlValue>) {
        self.sql.push(sql);
        self.params.extend(params);
    }

    /// `movie m` filtered by the conditions.
    pub fn sql_from(&self) -> String {
        if self.sql.is_empty() {
            "FROM movie m".to_owned()
        } else {
            format!("FROM movie m WHERE {}", self.sql.join(" AND "))
        }
    }
}

/// For each group (AND), the movies `link` lists for one of its ids (OR); `link` is a SELECT
/// of movie_id with a trailing `IN` left open for the ids. A group without ids matches none.
fn groups(links: &mut Vec<Linked>, groups: &[Vec<i64>], link: &str) {
    for group in groups {
        links.push(Linked {
            select: (!group.is_empty()).then(|| format!("{link} ({})", marks(group.len()))),
            params: group.iter().map(|&id| SqlValue::Int(id)).collect(),
            without: false,
        });
    }
}

/// The movies `link` lists for none of `ids`.
fn none_of(links: &mut Vec<Linked>, ids: &[i64], link: &str) {
    if !ids.is_empty() {
        links.push(Linked {
            select: Some(format!("{link} ({})", marks(ids.len()))),
            params: ids.iter().map(|&id| SqlValue::Int(id)).collect(),
            without: true,
        });
    }
}

/// The SQL path's conditions for `links`.
fn push_links(c: &mut Clauses, links: Vec<Linked>) {
    for link in links {
        match link.select {
            None => c.push("0".to_owned(), []),
            Some(select) => {
                let not = if link.without { "NOT " } else { "" };
                c.push(format!("m.id {not}IN ({select})"), link.params);
            }
        }
    }
}

/// The filters of `q` that are sets of movie ids in a table of their own, as the SELECT of
/// those movie ids: keywords, companies, people (each group an AND, its ids an OR), a
/// certification and watch providers (those two unless `indexed`: the discover index keeps
/// them itself). The SQL path tests `m.id IN (...)` of each; the index asks each of the
/// database and intersects (`discover_index.rs`), so both mean the same.
fn links(q: &Discover, indexed: bool) -> Vec<Linked> {
    let mut links = Vec::new();
    let keyword = "SELECT movie_id FROM movie_keyword WHERE keyword_id IN";
    let company = "SELECT movie_id FROM movie_company WHERE company_id IN";
    groups(&mut links, &q.with_keywords, keyword);
    none_of(&mut links, &q.without_keywords, keyword);
    groups(&mut links, &q.with_companies, company);
    none_of(&mut links, &q.without_companies, company);
    groups(
        &mut links,
        &q.with_cast,
        "SELECT movie_id FROM credit WHERE kind = 'cast' AND person_id IN",
    );
    groups(
        &mut links,
        &q.with_crew,
        "SELECT movie_id FROM credit WHERE kind = 'crew' AND person_id IN",
    );
    groups(
        &mut links,
        &q.with_people,
        "SELECT movie_id FROM credit WHERE person_id IN",
    );
    if indexed {
        return links;
    }
    if let Some(cert) = &q.certification {
        let mut params = vec![SqlValue::Text(cert.country.clone())];
        params.extend(cert.allowed.iter().cloned().map(SqlValue::Text));
        links.push(Linked {
            select: (!cert.allowed.is_empty()).then(|| {
                format!(
                    "SELECT movie_id FROM release_date WHERE iso_3166_1 = ? \
                     AND certification IN ({})",
                    marks(cert.allowed.len())
                )
            }),
            params,
            without: false,
        });
    }
    if let Some(p) = &q.providers {
        for group in &p.ids {
            let mut params: Vec<SqlValue> = group.iter().map(|&id| SqlValue::Int(id)).collect();
            let region = match &p.region {
                Some(r) => {
                    params.push(SqlValue::Text(r.clone()));
                    " AND iso_3166_1 = ?"
                }
                None => "",
            };
            params.extend(p.kinds.iter().cloned().map(SqlValue::Text));
            links.push(Linked {
                select: (!group.is_empty() && !p.kinds.is_empty()).then(|| {
                    format!(
                        "SELECT movie_id FROM movie_watch_provider WHERE provider_id IN ({}){region} \
                         AND kind IN ({})",
                        marks(group.len()),
                        marks(p.kinds.len())
                    )
                }),
                params,
                without: false,
            });
        }
    }
    links
}

/// A genre's movies, as [`groups`] takes a link.
const GENRE: &str = "SELECT movie_id FROM movie_genre WHERE genre_id IN";

/// `/3/discover/movie`. Each filter is one indexed condition: a link table's index by the
/// linked id (genre, keyword, company, person, certification, provider) or `movie`'s own.
///
/// With the discover index of the data this request reads (`discover_index.rs`), the total and
/// the page's ids come from memory instead, the same ones; the filters that are movie-id sets
/// but certifications and providers (which the index keeps) are still asked of the database,
/// each by its index.
pub fn discover(conn: &dyn Read, get: Params<'_>, index: Option<&Index>) -> read::Result<Answer> {
    let q = match Discover::parse(get) {
        Ok(q) => q,
        Err(refused) => return Ok(Err(refused)),
    };
    if let Some(index) = index.filter(|index| index.answers(&q)) {
        let mut linked = Vec::new();
        for link in links(&q, true) {
            let ids = match &link.select {
                Some(select) => Some(read::rows(conn, select, &link.params, |row| {
                    row.int(0).map(Option::unwrap_or_default)
                })?),
                None => None,
            };
            linked.push((ids, link.without));
        }
        let (total, ids) = index.page(&q, &linked);
        return envelope(conn, &ids, total, q.page, Some(index)).map(|page| Ok(page.into()));
    }
    let mut c = Clauses::default();
    if !q.include_adult {
        c.push("m.adult = 0".to_owned(), []);
    }
    if !q.include_video {
        c.push("m.video = 0".to_owned(), []);
    }
    if q.needs_date() {
        c.push("m.release_date <> ''".to_owned(), []);
    }
    if let Some(d) = &q.date_gte {
        c.push(
            "m.release_date >= ?".to_owned(),
            [SqlValue::Text(d.clone())],
        );
    }
    if let Some(d) = &q.date_lte {
        c.push(
            "m.release_date <= ?".to_owned(),
            [SqlValue::Text(d.clone())],
        );
    }
    if let Some(y) = q.year {
        c.push(
            "m.release_date >= ? AND m.release_date <= ?".to_owned(),
            [
                SqlValue::Text(format!("{y:04}-01-01")),
                SqlValue::Text(format!("{y:04}-12-31")),
            ],
        );
    }
    // With a release date bound, a genre's movies are one range of genre_movie_by_date's key
    // per genre (sql/0006): a year of a genre is ~800 of its ~100,000 movies on a
    // 1,000,000-movie mirror, which movie_genre would have listed whole. The bounds are the
    // movie's own, which the WHERE also tests, so the rows are the same; undated movies, which
    // that table leaves out, match no bound.
    let mut dated = Clauses::default();
    for (op, bound) in [
        (">=", q.date_gte.clone()),
        ("<=", q.date_lte.clone()),
        (">=", q.year.map(|y| format!("{y:04}-01-01"))),
        ("<=", q.year.map(|y| format!("{y:04}-12-31"))),
    ] {
        if let Some(bound) = bound {
            dated.push(format!(" AND release_date {op} ?"), [SqlValue::Text(bound)]);
        }
    }
    if dated.sql.is_empty() {
        let mut genres = Vec::new();
        groups(&mut genres, &q.with_genres, GENRE);
        push_links(&mut c, genres);
    } else {
        for group in &q.with_genres {
            if group.is_empty() {
                c.push("0".to_owned(), []);
                continue;
            }
            let mut params: Vec<SqlValue> = group.iter().map(|&id| SqlValue::Int(id)).collect();
            params.extend(dated.params.iter().cloned());
            c.push(
                format!(
                    "m.id IN (SELECT id FROM genre_movie_by_date WHERE genre_id IN ({}){})",
                    marks(group.len()),
                    dated.sql.concat()
                ),
                params,
            );
        }
    }
    let mut without = Vec::new();
    none_of(&mut without, &q.without_genres, GENRE);
    push_links(&mut c, without);
    push_links(&mut c, links(&q, false));
    if let Some(lang) = &q.language {
        c.push(
            "m.original_language = ?".to_owned(),
            [SqlValue::Text(lang.clone())],
        );
    }
    let bounds: [(&str, &str, Option<SqlValue>); 6] = [
        ("m.runtime", ">=", q.runtime_gte.map(SqlValue::Int)),
        ("m.runtime", "<=", q.runtime_lte.map(SqlValue::Int)),
        (
            "m.vote_average",
            ">=",
            q.vote_average_gte.map(SqlValue::Real),
        ),
        (
            "m.vote_average",
            "<=",
            q.vote_average_lte.map(SqlValue::Real),
        ),
        ("m.vote_count", ">=", q.vote_count_gte.map(SqlValue::Int)),
        ("m.vote_count", "<=", q.vote_count_lte.map(SqlValue::Int)),
    ];
    for (column, op, bound) in bounds {
        if let Some(bound) = bound {
            c.push(format!("{column} {op} ?"), [bound]);
        }
    }
    // The sort column and its index (none for revenue and original title).
    let (column, index) = match q.sort.0 {
        SortField::Popularity => ("m.popularity", Some("movie_popularity")),
        SortField::Revenue => ("m.revenue", None),
        SortField::ReleaseDate => ("m.release_date", Some("movie_date_cover")),
        SortField::Title => ("m.title", Some("movie_title")),
        SortField::OriginalTitle => ("m.original_title", None),
        SortField::VoteAverage => ("m.vote_average", Some("movie_vote_average")),
        SortField::VoteCount => ("m.vote_count", Some("movie_vote_count")),
    };
    // Ties go by id in the sort's direction: the sort column's index (which ends with the
    // rowid) then gives the order itself, so that walking it can stop after the page.
    let direction = if q.sort.1 { "DESC" } else { "ASC" };
    let order = format!("{column} {direction}, m.id {direction}");
    let filter = if c.sql.is_empty() {
        "1".to_owned()
    } else {
        c.sql.join(" AND ")
    };
    let walk = index.map(|index| Walk {
        from: format!("({filter}) FROM movie m INDEXED BY {index}"),
        order: order.clone(),
    });
    // `+` keeps the column's index out of the sorting plan.
    let sort = format!("+{order}");
    page(conn, &c.sql_from(), &c.params, &sort, walk.as_ref(), q.page).map(|page| Ok(page.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`ITEM_FIELDS`] names [`item_fields`]'s columns, one for one, in order.
    #[test]
    fn item_fields_name_item_fields_columns() {
        let columns: Vec<&str> = item_fields!()
            .split(',')
            .map(|c| c.trim().trim_start_matches("m."))
            .collect();
        assert_eq!(columns, ITEM_FIELDS.map(|field| field.name));
    }
}
