//! tmdb-serve's native API on the whole record: a mirror built by `make mirror` (tmdb-fetch and
//! ndjson-load, every default append) against tmdb-sim, and each field, filter and route that
//! shows the record compared with the simulator's ground truth (`tmdb-sim --dump`), not with
//! values written here.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::serve::Serve;
use crate::util::Workdir;
use crate::util::mirror::{DAY0, Truth, make, sim_args, start_sim};

/// The catalog's movies that the mirror holds (the export lists the non-adult ones), by id.
struct Mirror {
    movies: BTreeMap<u64, Value>,
    serve: Serve,
    _work: Workdir,
}

fn build(name: &str) -> Mirror {
    let work = Workdir::new(name);
    let sim = start_sim(&sim_args("400", "0"));
    let data = work.join("data");
    make(&sim, &data, "mirror", &[&format!("TODAY={DAY0}")]).expect_success();
    let truth = Truth::load(&sim, 0, &work);
    let exported = truth.exported_movies();
    let movies = truth
        .movies
        .into_iter()
        .filter(|(id, _)| exported.contains(id))
        .collect();
    let serve = Serve::start(&data.join("tmdb.db"), &[]);
    Mirror {
        movies,
        serve,
        _work: work,
    }
}

/// TMDB's JSON as the native API shows it: `""` is `null` at any depth.
fn nulled(value: &Value) -> Value {
    match value {
        Value::String(s) if s.is_empty() => Value::Null,
        Value::Array(items) => Value::Array(items.iter().map(nulled).collect()),
        Value::Object(fields) => {
            Value::Object(fields.iter().map(|(k, v)| (k.clone(), nulled(v))).collect())
        }
        other => other.clone(),
    }
}

/// The fields `keys` of `object` (null when absent), `""` as null.
fn pick(object: &Value, keys: &[&str]) -> Value {
    let fields: Map<String, Value> = keys
        .iter()
        .map(|k| (k.to_string(), nulled(&object[k])))
        .collect();
    Value::Object(fields)
}

fn list(value: &Value, keys: &[&str]) -> Value {
    Value::Array(
        value
            .as_array()
            .into_iter()
            .flatten()
            .map(|item| pick(item, keys))
            .collect(),
    )
}

/// A release date of TMDB's `release_dates.results[].release_dates[]`, with its country.
fn release_dates(movie: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for country in movie["release_dates"]["results"]
        .as_array()
        .into_iter()
        .flatten()
    {
        for date in country["release_dates"].as_array().into_iter().flatten() {
            let mut row = pick(
                date,
                &[
                    "release_date",
                    "type",
                    "certification",
                    "note",
                    "iso_639_1",
                    "descriptors",
                ],
            );
            row["iso_3166_1"] = nulled(&country["iso_3166_1"]);
            out.push(row);
        }
    }
    out
}

/// The certification of `region` as docs/architecture.md defines it: that of a theatrical
/// release (type 3) when one is rated, else the first rated release.
fn certification(movie: &Value, region: &str) -> Value {
    let rated: Vec<Value> = release_dates(movie)
        .into_iter()
        .filter(|d| d["iso_3166_1"] == region && !d["certification"].is_null())
        .collect();
    rated
        .iter()
        .find(|d| d["type"] == 3)
        .or(rated.first())
        .map_or(Value::Null, |d| d["certification"].clone())
}

fn watch_providers(movie: &Value, region: &str) -> Value {
    let Some(country) = movie["watch/providers"]["results"].get(region) else {
        return Value::Null;
    };
    let mut providers = Map::new();
    for (kind, entries) in country.as_object().unwrap() {
        if kind != "link" {
            let keys = [
                "provider_id",
                "provider_name",
                "logo_path",
                "display_priority",
            ];
            providers.insert(kind.clone(), list(entries, &keys));
        }
    }
    json!({"region": region, "link": nulled(&country["link"]), "providers": providers})
}

/// What `/movies/{id}?region=R` shows of the record, computed from the catalog's JSON.
fn expected_detail(movie: &Value, region: &str) -> Value {
    let collection = &movie["belongs_to_collection"];
    json!({
        "keywords": list(&movie["keywords"]["keywords"], &["id", "name"]),
        "production_companies":
            list(&movie["production_companies"], &["id", "name", "logo_path", "origin_country"]),
        "production_countries": list(&movie["production_countries"], &["iso_3166_1", "name"]),
        "spoken_languages":
            list(&movie["spoken_languages"], &["iso_639_1", "english_name", "name"]),
        "collection": if collection.is_object() {
            pick(collection, &["id", "name", "poster_path", "backdrop_path"])
        } else {
            Value::Null
        },
        "external_ids": pick(
            &movie["external_ids"],
            &["imdb_id", "wikidata_id", "facebook_id", "instagram_id", "twitter_id"],
        ),
        "region": region,
        "certification": certification(movie, region),
        "release_dates": release_dates(movie),
        "videos": list(
            &movie["videos"]["results"],
            &["id", "key", "site", "type", "name", "official", "published_at", "size",
              "iso_639_1", "iso_3166_1"],
        ),
        "watch_providers": watch_providers(movie, region),
        "watch_regions": movie["watch/providers"]["results"]
            .as_object()
            .map_or_else(Vec::new, |r| r.keys().cloned().collect::<BTreeSet<_>>().into_iter().collect()),
    })
}

/// The ids of every page of a list, and its total.
fn all_ids(serve: &Serve, target: &str) -> (Vec<u64>, u64) {
    let sep = if target.contains('?') { '&' } else { '?' };
    let mut ids = Vec::new();
    let mut total = None;
    for page in 1.. {
        let body = serve.json(&format!("{target}{sep}limit=100&page={page}"));
        total.get_or_insert(body["total_results"].as_u64().unwrap());
        let results = body["results"].as_array().unwrap();
        ids.extend(results.iter().map(|m| m["id"].as_u64().unwrap()));
        if page >= body["total_pages"].as_u64().unwrap() {
            break;
        }
    }
    (ids, total.unwrap())
}

/// The non-adult movies for which `keep` holds, by popularity (the lists' default order).
fn by_popularity(movies: &BTreeMap<u64, Value>, keep: impl Fn(&Value) -> bool) -> Vec<u64> {
    let mut chosen: Vec<&Value> = movies
        .values()
        .filter(|m| m["adult"] != true && keep(m))
        .collect();
    chosen.sort_by(|a, b| {
        let pop = |m: &Value| m["popularity"].as_f64().unwrap_or(f64::NEG_INFINITY);
        pop(b)
            .total_cmp(&pop(a))
            .then(b["id"].as_u64().cmp(&a["id"].as_u64()))
    });
    chosen.iter().map(|m| m["id"].as_u64().unwrap()).collect()
}

fn has_keyword(movie: &Value, id: u64) -> bool {
    movie["keywords"]["keywords"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|k| k["id"] == id)
}

fn has_company(movie: &Value, id: u64) -> bool {
    movie["production_companies"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["id"] == id)
}

fn has_certification(movie: &Value, region: &str, rating: &str) -> bool {
    release_dates(movie)
        .iter()
        .any(|d| d["iso_3166_1"] == region && d["certification"] == rating)
}

fn has_provider(movie: &Value, region: &str, id: u64) -> bool {
    movie["watch/providers"]["results"][region]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(kind, _)| *kind != "link")
        .flat_map(|(_, entries)| entries.as_array().cloned().unwrap_or_default())
        .any(|p| p["provider_id"] == id)
}

fn runtime_between(movie: &Value, min: Option<i64>, max: Option<i64>) -> bool {
    movie["runtime"]
        .as_i64()
        .is_some_and(|r| min.is_none_or(|min| r >= min) && max.is_none_or(|max| r <= max))
}

fn in_genre(movie: &Value, id: u64) -> bool {
    movie["genres"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|g| g["id"] == id)
}

fn of_year(movie: &Value, year: i64) -> bool {
    movie["release_date"]
        .as_str()
        .is_some_and(|d| d.starts_with(&format!("{year}-")))
}

/// The value most movies share, of those `values` gives for each movie: a filter with many
/// results. Ties go to the smallest value, so the choice does not depend on iteration order.
fn most_common<T: Ord + Clone>(
    movies: &BTreeMap<u64, Value>,
    values: impl Fn(&Value) -> Vec<T>,
) -> T {
    let mut counts: BTreeMap<T, usize> = BTreeMap::new();
    for movie in movies.values() {
        let distinct: BTreeSet<T> = values(movie).into_iter().collect();
        for value in distinct {
            *counts.entry(value).or_default() += 1;
        }
    }
    let best = counts
        .values()
        .copied()
        .max()
        .expect("the catalog has such values");
    counts.into_iter().find(|(_, n)| *n == best).unwrap().0
}

#[test]
fn native_api_shows_the_whole_record_and_filters_it_as_the_catalog_says() {
    let mirror = build("serve-record");
    let serve = &mirror.serve;
    let movies = &mirror.movies;
    assert!(
        movies.len() > 300,
        "a 400-movie catalog exports {}",
        movies.len()
    );

    // Every movie, in the default region (US), in France, and in a country with no data.
    let mut with_providers = 0;
    let mut certified = 0;
    for (id, movie) in movies {
        for (query, region) in [("", "US"), ("?region=fr", "FR"), ("?region=AQ", "AQ")] {
            let got = serve.json(&format!("/movies/{id}{query}"));
            let want = expected_detail(movie, region);
            for (key, value) in want.as_object().unwrap() {
                assert_eq!(&got[key], value, "/movies/{id}{query}: {key}");
            }
            with_providers += usize::from(!got["watch_providers"].is_null());
            certified += usize::from(!got["certification"].is_null());
        }
    }
    // The checks above saw the data they check, not only nulls and empty lists.
    assert!(
        with_providers > 50 && certified > 50,
        "{with_providers} {certified}"
    );
    for key in [
        "keywords",
        "videos",
        "release_dates",
        "production_companies",
    ] {
        let some = movies.values().filter(|m| {
            let got = &expected_detail(m, "US")[key];
            got.as_array().is_some_and(|a| !a.is_empty())
        });
        assert!(some.count() > 100, "few movies with {key}");
    }

    // Filters, alone and with the older ones, compared over every page.
    let keyword = most_common(movies, |m| {
        let ks = m["keywords"]["keywords"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        ks.iter().map(|k| k["id"].as_u64().unwrap()).collect()
    });
    let company = most_common(movies, |m| {
        let cs = m["production_companies"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        cs.iter().map(|c| c["id"].as_u64().unwrap()).collect()
    });
    let (rating_region, rating) = most_common(movies, |m| {
        release_dates(m)
            .into_iter()
            .filter_map(|d| {
                Some((
                    d["iso_3166_1"].as_str()?.to_owned(),
                    d["certification"].as_str()?.to_owned(),
                ))
            })
            .collect()
    });
    let provider = most_common(movies, |m| {
        let us = &m["watch/providers"]["results"]["US"];
        us.as_object()
            .into_iter()
            .flatten()
            .filter(|(kind, _)| *kind != "link")
            .flat_map(|(_, e)| e.as_array().cloned().unwrap_or_default())
            .map(|p| p["provider_id"].as_u64().unwrap())
            .collect()
    });
    let genre = most_common(movies, |m| {
        let gs = m["genres"].as_array().cloned().unwrap_or_default();
        gs.iter().map(|g| g["id"].as_u64().unwrap()).collect()
    });
    let year = most_common(movies, |m| {
        m["release_date"]
            .as_str()
            .and_then(|d| d.get(..4)?.parse::<i64>().ok())
            .into_iter()
            .collect()
    });
    let rating_query = rating.replace('+', "%2B").replace(' ', "%20");
    type Keep<'a> = Box<dyn Fn(&Value) -> bool + 'a>;
    let cases: Vec<(String, Keep)> = vec![
        (
            format!("/movies?keyword={keyword}"),
            Box::new(|m| has_keyword(m, keyword)),
        ),
        (
            format!("/keywords/{keyword}/movies"),
            Box::new(|m| has_keyword(m, keyword)),
        ),
        (
            format!("/movies?company={company}"),
            Box::new(|m| has_company(m, company)),
        ),
        (
            format!(
                "/movies?certification={rating_query}&region={}",
                rating_region.to_lowercase()
            ),
            Box::new(|m| has_certification(m, &rating_region, &rating)),
        ),
        (
            format!("/movies?provider={provider}"),
            Box::new(|m| has_provider(m, "US", provider)),
        ),
        (
            format!("/movies?provider={provider}&region=US&runtime_min=100"),
            Box::new(|m| has_provider(m, "US", provider) && runtime_between(m, Some(100), None)),
        ),
        (
            "/movies?runtime_min=90&runtime_max=120".to_owned(),
            Box::new(|m| runtime_between(m, Some(90), Some(120))),
        ),
        (
            "/movies?runtime_max=95".to_owned(),
            Box::new(|m| runtime_between(m, None, Some(95))),
        ),
        (
            format!("/genres/{genre}/movies?keyword={keyword}"),
            Box::new(|m| in_genre(m, genre) && has_keyword(m, keyword)),
        ),
        (
            format!("/movies?genre_id={genre}&year={year}&runtime_min=100"),
            Box::new(|m| {
                in_genre(m, genre) && of_year(m, year) && runtime_between(m, Some(100), None)
            }),
        ),
        (
            format!("/movies?year={year}&company={company}&provider={provider}"),
            Box::new(|m| {
                of_year(m, year) && has_company(m, company) && has_provider(m, "US", provider)
            }),
        ),
        (
            format!("/keywords/{keyword}/movies?genre_id={genre}&year={year}"),
            Box::new(|m| in_genre(m, genre) && of_year(m, year) && has_keyword(m, keyword)),
        ),
    ];
    for (target, keep) in &cases {
        let want = by_popularity(movies, keep);
        let (got, total) = all_ids(serve, target);
        assert_eq!(got, want, "{target}");
        assert_eq!(total, want.len() as u64, "{target}: total_results");
    }
    // The filters pick something, and not everything.
    for (target, _) in &cases[..8] {
        let (got, _) = all_ids(serve, target);
        assert!(
            !got.is_empty() && got.len() < movies.len(),
            "{target}: {}",
            got.len()
        );
    }
    // A search takes the same filters.
    let (found, _) = all_ids(
        serve,
        &format!("/movies/search?query=a&keyword={keyword}&sort=popularity"),
    );
    let (listed, _) = all_ids(serve, &format!("/movies?keyword={keyword}"));
    assert!(
        found.iter().all(|id| listed.contains(id)),
        "{found:?} {listed:?}"
    );

    // Collections: their parts are the mirrored movies that belong to them, oldest first.
    let collections: BTreeSet<u64> = movies
        .values()
        .filter_map(|m| m["belongs_to_collection"]["id"].as_u64())
        .collect();
    assert!(!collections.is_empty(), "the catalog has collections");
    for id in &collections {
        let got = serve.json(&format!("/collections/{id}"));
        let mut parts: Vec<&Value> = movies
            .values()
            .filter(|m| m["belongs_to_collection"]["id"] == *id)
            .collect();
        parts.sort_by_key(|m| {
            (
                m["release_date"].as_str().is_none_or(str::is_empty),
                m["release_date"].as_str().map(str::to_owned),
                m["id"].as_u64(),
            )
        });
        let want_ids: Vec<u64> = parts.iter().map(|m| m["id"].as_u64().unwrap()).collect();
        let got_ids: Vec<u64> = got["parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_u64().unwrap())
            .collect();
        assert_eq!(got_ids, want_ids, "/collections/{id}");
        let named = pick(
            &parts[0]["belongs_to_collection"],
            &["id", "name", "poster_path", "backdrop_path"],
        );
        for (key, value) in named.as_object().unwrap() {
            assert_eq!(&got[key], value, "/collections/{id}: {key}");
        }
    }

    // Companies and keywords: as every movie naming them says.
    let mut companies: BTreeMap<u64, Value> = BTreeMap::new();
    let mut keywords: BTreeMap<u64, Value> = BTreeMap::new();
    for movie in movies.values() {
        for c in movie["production_companies"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let c = pick(c, &["id", "name", "logo_path", "origin_country"]);
            companies.insert(c["id"].as_u64().unwrap(), c);
        }
        for k in movie["keywords"]["keywords"]
            .as_array()
            .into_iter()
            .flatten()
        {
            keywords.insert(k["id"].as_u64().unwrap(), pick(k, &["id", "name"]));
        }
    }
    for (id, want) in &companies {
        assert_eq!(
            &serve.json(&format!("/companies/{id}")),
            want,
            "/companies/{id}"
        );
    }
    for (id, want) in &keywords {
        assert_eq!(
            &serve.json(&format!("/keywords/{id}")),
            want,
            "/keywords/{id}"
        );
    }

    // Missing records are 404s; bad values are 400s naming the parameter.
    let unknown = 999_999_999;
    for target in [
        format!("/collections/{unknown}"),
        format!("/companies/{unknown}"),
        format!("/keywords/{unknown}"),
        format!("/keywords/{unknown}/movies"),
        format!("/movies/{unknown}?region=FR"),
    ] {
        assert_eq!(serve.get(&target).status, 404, "{target}");
    }
    for (target, parameter) in [
        ("/movies?keyword=abc", "keyword"),
        ("/movies?keyword=0", "keyword"),
        ("/movies?company=-1", "company"),
        ("/movies?provider=8&region=USA", "region"),
        ("/movies?certification=R&region=1A", "region"),
        ("/movies?certification=", "certification"),
        ("/movies?runtime_min=x", "runtime_min"),
        ("/movies?runtime_max=100001", "runtime_max"),
        ("/movies?runtime_min=120&runtime_max=90", "runtime_max"),
        ("/movies/search?query=a&provider=1.5", "provider"),
        ("/movies/1?region=", "region"),
        ("/movies/1?certification=R", "certification"),
        ("/keywords/1/movies?keyword=2", "keyword"),
        ("/collections/1?region=US", "region"),
        ("/companies/1?page=2", "page"),
    ] {
        let answer = serve.get(target);
        assert_eq!(answer.status, 400, "{target}: {}", answer.text());
        let body: Value = serde_json::from_slice(&answer.body).unwrap();
        assert_eq!(body["error"]["parameter"], parameter, "{target}");
    }

    // total_pages never promises a page that answers 400: its last page answers, and with a
    // list longer than 500 pages, page 500 is the last one offered.
    // (The cap itself, 500 pages, is params.rs's unit test: this mirror has fewer movies.)
    let target = "/movies?runtime_min=0&limit=1";
    let first = serve.json(target);
    let pages = first["total_pages"].as_u64().unwrap();
    assert_eq!(pages, first["total_results"].as_u64().unwrap().min(500));
    let last = serve.json(&format!("{target}&page={pages}"));
    assert_eq!(last["results"].as_array().unwrap().len(), 1);
    let past = serve.json(&format!("{target}&page={}", pages + 1));
    assert_eq!(
        past["results"],
        json!([]),
        "a page past the end is empty, not an error"
    );
}
