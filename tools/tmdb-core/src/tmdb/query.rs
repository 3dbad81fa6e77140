//! The parameters of `/3/discover/movie` and `/3/search/...`, read the same way by tmdb-serve
//! and tmdb-sim (docs/tmdb-routes.md says what each one does and where the mirror differs from
//! TMDB).

use super::{MAX_PAGE, Refusal, certification};

/// A request's parameters by name (the first one given wins, as on TMDB).
pub type Params<'a> = &'a dyn Fn(&str) -> Option<&'a str>;

/// `page`: 1 when absent, 400 / 22 unless an integer from 1 to 500.
pub fn page(get: Params<'_>) -> Result<u64, Refusal> {
    match get("page") {
        None => Ok(1),
        Some(p) => p
            .parse::<u64>()
            .ok()
            .filter(|p| (1..=MAX_PAGE).contains(p))
            .ok_or(Refusal::InvalidPage),
    }
}

/// A flag TMDB turns on with `true` only.
fn flag(get: Params<'_>, name: &str) -> bool {
    get(name) == Some("true")
}

/// A non-empty value.
fn value<'a>(get: Params<'a>, name: &str) -> Option<&'a str> {
    get(name).filter(|v| !v.is_empty())
}

/// A number parameter (422 when it does not parse).
fn number<T: std::str::FromStr>(get: Params<'_>, name: &str) -> Result<Option<T>, Refusal> {
    value(get, name)
        .map(|v| {
            v.parse::<T>()
                .map_err(|_| Refusal::InvalidParam(name.to_owned()))
        })
        .transpose()
}

/// A date parameter as `YYYY-MM-DD` (400 / 23 when it is not a real date).
fn date(get: Params<'_>, name: &str) -> Result<Option<String>, Refusal> {
    let Some(v) = value(get, name) else {
        return Ok(None);
    };
    let bad = || Refusal::InvalidDate(name.to_owned());
    let parts: Vec<&str> = v.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
        return Err(bad());
    }
    let (y, m, d) = (
        y.parse::<i64>().map_err(|_| bad())?,
        m.parse::<u32>().map_err(|_| bad())?,
        d.parse::<u32>().map_err(|_| bad())?,
    );
    crate::date::days_from_civil(y, m, d).ok_or_else(bad)?;
    Ok(Some(v.to_owned()))
}

/// `a,b|c`: every group (comma = AND) must match one of its IDs (pipe = OR). A group with no
/// integer in it matches nothing. Empty when the parameter is absent or empty.
fn groups(get: Params<'_>, name: &str) -> Vec<Vec<i64>> {
    value(get, name)
        .map(|v| {
            v.split(',')
                .map(|g| g.split('|').filter_map(|x| x.trim().parse().ok()).collect())
                .collect()
        })
        .unwrap_or_default()
}

/// `a,b|c` of a `without_` parameter: a movie with any of them is left out.
fn any_of(get: Params<'_>, name: &str) -> Vec<i64> {
    value(get, name)
        .map(|v| {
            v.split([',', '|'])
                .filter_map(|x| x.trim().parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// What discover sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortField {
    /// `popularity` (the default, descending).
    Popularity,
    /// `revenue`.
    Revenue,
    /// `primary_release_date` and `release_date`: the movie's `release_date` ("" first).
    ReleaseDate,
    /// `title`, byte order.
    Title,
    /// `original_title`, byte order.
    OriginalTitle,
    /// `vote_average`.
    VoteAverage,
    /// `vote_count`.
    VoteCount,
}

/// The monetization kinds of `with_watch_monetization_types`.
pub const MONETIZATION: &[&str] = &["flatrate", "free", "ads", "rent", "buy"];

/// `with_watch_providers` with its region and kinds.
#[derive(Debug, Clone, PartialEq)]
pub struct Providers {
    /// AND of ORs of provider IDs.
    pub ids: Vec<Vec<i64>>,
    /// `watch_region`: any region when absent.
    pub region: Option<String>,
    /// The kinds an offer may be (all of [`MONETIZATION`] when not given).
    pub kinds: Vec<String>,
}

/// A certification filter: a release in `country` with one of `allowed`.
#[derive(Debug, Clone, PartialEq)]
pub struct Certification {
    /// `certification_country`.
    pub country: String,
    /// The certifications that pass (`certification` exact values, within `.gte`/`.lte`).
    pub allowed: Vec<String>,
}

/// A parsed `/3/discover/movie` request.
#[derive(Debug, Clone, PartialEq)]
pub struct Discover {
    /// 1..=500.
    pub page: u64,
    /// `include_adult=true`.
    pub include_adult: bool,
    /// `include_video=true`.
    pub include_video: bool,
    /// The later of `primary_release_date.gte` and `release_date.gte`.
    pub date_gte: Option<String>,
    /// The earlier of `primary_release_date.lte` and `release_date.lte`.
    pub date_lte: Option<String>,
    /// `primary_release_year`, else `year`.
    pub year: Option<i64>,
    /// `with_genres`.
    pub with_genres: Vec<Vec<i64>>,
    /// `without_genres`.
    pub without_genres: Vec<i64>,
    /// `with_keywords`.
    pub with_keywords: Vec<Vec<i64>>,
    /// `without_keywords`.
    pub without_keywords: Vec<i64>,
    /// `with_companies`.
    pub with_companies: Vec<Vec<i64>>,
    /// `without_companies`.
    pub without_companies: Vec<i64>,
    /// `with_cast`: people credited in the cast.
    pub with_cast: Vec<Vec<i64>>,
    /// `with_crew`: people credited in the crew.
    pub with_crew: Vec<Vec<i64>>,
    /// `with_people`: people credited either way.
    pub with_people: Vec<Vec<i64>>,
    /// `with_original_language`.
    pub language: Option<String>,
    /// `with_runtime.gte`.
    pub runtime_gte: Option<i64>,
    /// `with_runtime.lte`.
    pub runtime_lte: Option<i64>,
    /// `vote_average.gte`.
    pub vote_average_gte: Option<f64>,
    /// `vote_average.lte`.
    pub vote_average_lte: Option<f64>,
    /// `vote_count.gte`.
    pub vote_count_gte: Option<i64>,
    /// `vote_count.lte`.
    pub vote_count_lte: Option<i64>,
    /// `certification_country` with `certification`, `.gte`, `.lte`.
    pub certification: Option<Certification>,
    /// `with_watch_providers` with `watch_region` and `with_watch_monetization_types`.
    pub providers: Option<Providers>,
    /// `sort_by`: the field and whether descending.
    pub sort: (SortField, bool),
}

impl Discover {
    /// Reads a discover request (unknown parameters are ignored, as TMDB ignores them).
    pub fn parse(get: Params<'_>) -> Result<Discover, Refusal> {
        let page = page(get)?;
        let later = |a: Option<String>, b: Option<String>| a.max(b);
        let earlier = |a: Option<String>, b: Option<String>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let date_gte = later(
            date(get, "primary_release_date.gte")?,
            date(get, "release_date.gte")?,
        );
        let date_lte = earlier(
            date(get, "primary_release_date.lte")?,
            date(get, "release_date.lte")?,
        );
        let year = match number(get, "primary_release_year")? {
            Some(y) => Some(y),
            None => number(get, "year")?,
        };
        let certification = match value(get, "certification_country") {
            None => None,
            Some(country) => {
                let exact = value(get, "certification")
                    .map(|v| v.split('|').map(str::to_owned).collect::<Vec<_>>());
                let bound = |name: &str| {
                    value(get, name).map(|c| certification::order(country, c).unwrap_or(-1))
                };
                let (gte, lte) = (bound("certification.gte"), bound("certification.lte"));
                match (exact, gte.is_some() || lte.is_some()) {
                    (None, false) => None,
                    (exact, ranged) => {
                        let mut allowed: Vec<String> = match exact {
                            Some(list) => list,
                            None => certification::within(country, gte, lte)
                                .into_iter()
                                .map(str::to_owned)
                                .collect(),
                        };
                        if ranged {
                            let inside = certification::within(country, gte, lte);
                            allowed.retain(|c| inside.contains(&c.as_str()));
                        }
                        Some(Certification {
                            country: country.to_owned(),
                            allowed,
                        })
                    }
                }
            }
        };
        let provider_ids = groups(get, "with_watch_providers");
        let providers = (!provider_ids.is_empty()).then(|| Providers {
            ids: provider_ids,
            region: value(get, "watch_region").map(str::to_owned),
            kinds: match value(get, "with_watch_monetization_types") {
                Some(v) => v
                    .split(['|', ','])
                    .filter(|k| MONETIZATION.contains(k))
                    .map(str::to_owned)
                    .collect(),
                None => MONETIZATION.iter().map(|k| (*k).to_owned()).collect(),
            },
        });
        let sort = get("sort_by").unwrap_or("popularity.desc");
        let (field, order) = sort.rsplit_once('.').unwrap_or((sort, "desc"));
        let field = match field {
            "popularity" => Some(SortField::Popularity),
            "revenue" => Some(SortField::Revenue),
            "primary_release_date" | "release_date" => Some(SortField::ReleaseDate),
            "title" => Some(SortField::Title),
            "original_title" => Some(SortField::OriginalTitle),
            "vote_average" => Some(SortField::VoteAverage),
            "vote_count" => Some(SortField::VoteCount),
            _ => None,
        };
        let sort = match (field, order) {
            (Some(f), "asc") => (f, false),
            (Some(f), "desc") => (f, true),
            _ => (SortField::Popularity, true),
        };
        Ok(Discover {
            page,
            include_adult: flag(get, "include_adult"),
            include_video: flag(get, "include_video"),
            date_gte,
            date_lte,
            year,
            with_genres: groups(get, "with_genres"),
            without_genres: any_of(get, "without_genres"),
            with_keywords: groups(get, "with_keywords"),
            without_keywords: any_of(get, "without_keywords"),
            with_companies: groups(get, "with_companies"),
            without_companies: any_of(get, "without_companies"),
            with_cast: groups(get, "with_cast"),
            with_crew: groups(get, "with_crew"),
            with_people: groups(get, "with_people"),
            language: value(get, "with_original_language").map(str::to_owned),
            runtime_gte: number(get, "with_runtime.gte")?,
            runtime_lte: number(get, "with_runtime.lte")?,
            vote_average_gte: number(get, "vote_average.gte")?,
            vote_average_lte: number(get, "vote_average.lte")?,
            vote_count_gte: number(get, "vote_count.gte")?,
            vote_count_lte: number(get, "vote_count.lte")?,
            certification,
            providers,
            sort,
        })
    }

    /// Whether any filter needs a movie's release date (a movie without one is left out).
    pub fn needs_date(&self) -> bool {
        self.date_gte.is_some() || self.date_lte.is_some() || self.year.is_some()
    }
}

/// Whether a movie linked to `ids` passes every group of `groups`.
pub fn passes(groups: &[Vec<i64>], ids: &[i64]) -> bool {
    groups.iter().all(|g| g.iter().any(|x| ids.contains(x)))
}

/// A parsed `/3/search/...` request.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    /// The words (never empty).
    pub text: String,
    /// 1..=500.
    pub page: u64,
    /// `include_adult=true`.
    pub include_adult: bool,
    /// `primary_release_year`, else `year` (movies only).
    pub year: Option<i64>,
}

impl Search {
    /// Reads a search request: 422 without `query`.
    pub fn parse(get: Params<'_>) -> Result<Search, Refusal> {
        let text = value(get, "query")
            .filter(|q| !q.trim().is_empty())
            .ok_or(Refusal::QueryRequired)?;
        let page = page(get)?;
        let year = match number(get, "primary_release_year")? {
            Some(y) => Some(y),
            None => number(get, "year")?,
        };
        Ok(Search {
            text: text.to_owned(),
            page,
            include_adult: flag(get, "include_adult"),
            year,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<Discover, Refusal> {
        let get = |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
        Discover::parse(&get)
    }

    #[test]
    fn discover_reads_tmdbs_parameters() {
        let q = parse(&[
            ("with_genres", "18,28|12"),
            ("without_genres", "27|53"),
            ("primary_release_date.gte", "2000-01-01"),
            ("release_date.gte", "2001-02-03"),
            ("sort_by", "vote_average.asc"),
            ("certification_country", "US"),
            ("certification.lte", "PG-13"),
        ])
        .unwrap();
        assert_eq!(q.with_genres, vec![vec![18], vec![28, 12]]);
        assert_eq!(q.without_genres, vec![27, 53]);
        assert_eq!(q.date_gte.as_deref(), Some("2001-02-03"));
        assert_eq!(q.sort, (SortField::VoteAverage, false));
        let cert = q.certification.unwrap();
        assert_eq!(cert.allowed, ["NR", "G", "PG", "PG-13"]);
        assert!(passes(&[vec![1, 2], vec![3]], &[2, 3]));
        assert!(!passes(&[vec![1, 2], vec![3]], &[2]));
        assert!(!passes(&[vec![]], &[2]));
    }

    #[test]
    fn bad_values_get_tmdbs_refusals() {
        assert_eq!(parse(&[("page", "501")]), Err(Refusal::InvalidPage));
        assert_eq!(parse(&[("page", "0")]), Err(Refusal::InvalidPage));
        assert_eq!(
            parse(&[("release_date.lte", "2001-02-30")]),
            Err(Refusal::InvalidDate("release_date.lte".into()))
        );
        assert_eq!(
            parse(&[("vote_count.gte", "many")]),
            Err(Refusal::InvalidParam("vote_count.gte".into()))
        );
        let get = |_: &str| None;
        assert_eq!(Search::parse(&get), Err(Refusal::QueryRequired));
        assert_eq!(Refusal::InvalidPage.answer().0, 400);
    }
}
