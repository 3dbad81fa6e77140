//! The route table of tmdb-serve and the JSON shapes it answers (DESIGN.md "tmdb-serve").
//!
//! This comment is the contract the browse page (page/app.js) and API clients build on; the
//! same facts are in `GET /openapi.json`. Field names follow TMDB's. Absent values are `null`,
//! never `""`. Every route answers GET and HEAD, with or without a trailing slash.
//!
//! ## Lists
//! Every paginated route answers the envelope
//! `{"page":1,"limit":20,"total_results":1234,"total_pages":62,"results":[...]}`
//! and a `Link` header with `rel="next"` / `rel="prev"` when there is such a page.
//! `page`: 1..=500 (default 1; TMDB's own cap), `limit`: 1..=100 (default 20).
//! A page past the end is an empty `results`, not an error.
//!
//! ## Movie (list item, also inside search results and genre lists)
//! `{"id":550,"title":"Fight Club","original_title":"Fight Club","original_language":"en",
//!   "overview":"...","release_date":"1999-10-15"|null,"poster_path":"/x.jpg"|null,
//!   "backdrop_path":"/y.jpg"|null,"popularity":61.4,"vote_average":8.4,"vote_count":26280,
//!   "adult":false,"genres":[{"id":18,"name":"Drama"}]}`
//!
//! ## Routes
//! - `GET /movies` -> list of Movie. Filters: `year` (1800..=2200, by release_date),
//!   `genre_id` (integer), `genre` (name, case-insensitive, must exist), `language`
//!   (original_language, 2-3 letters), `status` (Rumored, Planned, In Production,
//!   Post Production, Released, Canceled; case-insensitive), `adult` (true|false, default
//!   false: adult movies are left out unless `adult=true`, which includes them), `min_votes`
//!   (vote_count >= N). `sort`: `popularity|release_date|vote_average|vote_count|title`, with
//!   `.asc` or `.desc` (default `popularity.desc`; a bare field sorts descending, except title
//!   ascending). Ties break on id; absent values sort last.
//! - `GET /movies/search?query=...` -> list of Movie ranked by relevance (bm25 over title and
//!   original_title, diacritics folded, the last word matched as a prefix). `adult` as above.
//!   `query` is required (400 when missing or empty); a query with no words has no results.
//! - `GET /movies/{id}` -> Movie plus `runtime, status, video, budget, revenue, imdb_id,
//!   homepage, tagline, collection_id, origin_country:[..], cast_count, crew_count`.
//! - `GET /movies/{id}/credits` ->
//!   `{"id":550,"cast":[Cast...],"crew":[Crew...]}`, cast in billing order, crew by
//!   department, job, name. Cast: `{"credit_id","person_id","name","original_name",
//!   "character","order","gender","known_for_department","profile_path","popularity","adult"}`;
//!   Crew: the same with `"department","job"` instead of `"character","order"`.
//! - `GET /people` -> list of PersonItem `{"id","name","known_for_department","profile_path",
//!   "popularity","gender","adult"}`; `sort`: `popularity|name` with `.asc|.desc` (default
//!   `popularity.desc`); `adult` as above.
//! - `GET /people/search?query=...` -> list of PersonItem, ranked (name and also_known_as).
//! - `GET /people/{id}` -> PersonItem plus `also_known_as:[..], biography, birthday, deathday,
//!   place_of_birth, imdb_id, homepage, cast_count, crew_count`.
//! - `GET /people/{id}/movies` -> `{"id":62,"cast":[Movie + "character","order","credit_id"],
//!   "crew":[Movie + "department","job","credit_id"]}`, newest release first, undated last.
//!   Adult movies are included here (it is that person's record). 404 when the person has
//!   neither a record nor any credit.
//! - `GET /genres` -> `{"genres":[{"id":28,"name":"Action","movie_count":123}]}` by name;
//!   movie_count counts non-adult movies.
//! - `GET /genres/{id}/movies` -> list of Movie in that genre; the same filters (except
//!   `genre`/`genre_id`) and sorts as `/movies`. 404 for an unknown genre.
//! - `GET /health` -> `{"status":"ok","schema_version":2}`.
//! - `GET /stats` -> `{"movies":N,"people":N,"credits":N,"genres":N,"movie_ids":N,"gone":N,
//!   "last_load":{"kind":"movies","finished_at":"2026-11-30T12:00:00Z",...}|null}`.
//! - `GET /openapi.json` -> the OpenAPI 3.1 document. `GET /`, `/app.js`, `/style.css` -> the
//!   browse page.
//!
//! ## Errors
//! `{"error":{"status":400,"message":"page must be an integer from 1 to 500","parameter":"page"}}`
//! (`parameter` only on 400s about one parameter). 400 also for an unknown or repeated
//! parameter; 404 for a missing record or route; 405 (with `Allow: GET, HEAD, OPTIONS`) for
//! another method; 414 for a URL over 2048 bytes. `OPTIONS` answers a CORS preflight (204).
