// The browse page of tmdb-mirror: a small hash-routed app over tmdb-serve's JSON API.
//
// Routes live in the hash (#/, #/search?q=.., #/movie/ID?region=CC, #/person/ID, #/genre/ID,
// #/keyword/ID, #/collection/ID, #/company/ID, #/people?q=.., #/genres) so that deep links survive a reload and the back button works
// without server-side routing. Every value from the API reaches the DOM through textContent or
// setAttribute (the el() helper), never as parsed HTML: titles hold quotes, <, & and emoji.
// It deliberately has no framework and no build step (issue 8).
"use strict";

const POSTER = "https://image.tmdb.org/t/p/w342";
const PROFILE = "https://image.tmdb.org/t/p/w185";
const PHOTO = "https://image.tmdb.org/t/p/h632"; // a person page's large photo
const LOGO = "https://image.tmdb.org/t/p/w92"; // watch provider and company logos
// "Best rated" lists only movies with at least this many votes: otherwise a film rated 10 by
// its one voter tops the list.
const VOTE_FLOOR = 100;
// The country of certifications and watch providers until the visitor picks one (the API's
// default too); the choice is kept in the address and in localStorage.
const DEFAULT_REGION = "US";
const RELEASE_TYPES = { 1: "Premiere", 2: "Limited theatrical", 3: "Theatrical", 4: "Digital", 5: "Physical", 6: "TV" };
const WATCH_KINDS = [["flatrate", "Stream"], ["free", "Free"], ["ads", "With ads"], ["rent", "Rent"], ["buy", "Buy"]];
const PAGE_SIZE = 20;
const DEBOUNCE_MS = 250;
const STATUSES = ["Released", "Post Production", "In Production", "Planned", "Rumored", "Canceled"];
const SORTS = [
  ["popularity.desc", "Most popular"],
  ["popularity.asc", "Least popular"],
  ["release_date.desc", "Newest"],
  ["release_date.asc", "Oldest"],
  ["vote_average.desc", "Best rated"],
  ["vote_count.desc", "Most votes"],
  ["title.asc", "Title A–Z"],
  ["title.desc", "Title Z–A"],
];

const app = document.getElementById("app");

// ---------- DOM helpers ----------

// Builds an element; strings and numbers among the children become text nodes, so nothing
// from the API is ever parsed as HTML.
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function show(...children) {
  app.replaceChildren();
  append(app, children);
}

// ---------- values ----------

const year = (date) => (typeof date === "string" && /^\d{4}/.test(date) ? date.slice(0, 4) : "");

function fmtDate(date) {
  if (!date) return "";
  const d = new Date(date + "T00:00:00Z");
  if (Number.isNaN(d.getTime())) return String(date);
  return d.toLocaleDateString(undefined, { year: "numeric", month: "long", day: "numeric", timeZone: "UTC" });
}

function fmtRuntime(minutes) {
  if (!minutes) return "";
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h ? `${h} h ${m} min` : `${m} min`;
}

// Whole years from `from` to `to` (today when absent); null when a date is missing or odd.
function age(from, to) {
  const parse = (d) => (typeof d === "string" && /^\d{4}-\d{2}-\d{2}$/.test(d) ? d.split("-").map(Number) : null);
  const a = parse(from);
  const now = new Date();
  const b = to ? parse(to) : [now.getFullYear(), now.getMonth() + 1, now.getDate()];
  if (!a || !b) return null;
  const years = b[0] - a[0] - (b[1] < a[1] || (b[1] === a[1] && b[2] < a[2]) ? 1 : 0);
  return years >= 0 && years < 150 ? years : null;
}

const money = (n) => `$${Number(n).toLocaleString()}`; // TMDB's amounts are US dollars

const plural = (n, one, many) => `${Number(n).toLocaleString()} ${n === 1 ? one : many}`;

// also_known_as is an array of names; empty strings are left out.
const nameList = (value) => (Array.isArray(value) ? value.filter((v) => typeof v === "string" && v) : []);

const movieHref = (id) => `#/movie/${encodeURIComponent(id)}`;
const personHref = (id) => `#/person/${encodeURIComponent(id)}`;
const genreHref = (id) => `#/genre/${encodeURIComponent(id)}`;
const keywordHref = (id) => `#/keyword/${encodeURIComponent(id)}`;
const collectionHref = (id) => `#/collection/${encodeURIComponent(id)}`;
const companyHref = (id) => `#/company/${encodeURIComponent(id)}`;

// A country's name in the visitor's language ("FR" -> "France"), the code where unknown.
function countryName(code) {
  try {
    return new Intl.DisplayNames(undefined, { type: "region" }).of(code) || code;
  } catch (_) {
    return code;
  }
}

function savedRegion() {
  try {
    return localStorage.getItem("region") || DEFAULT_REGION;
  } catch (_) {
    return DEFAULT_REGION;
  }
}

// ---------- images ----------

// A poster or photo that turns into a drawn placeholder when there is no path or the CDN
// cannot be reached, so the page never shows a broken image.
// `name` gives the placeholder's initials; `label` is the text alternative, empty where the
// name is written right beside the picture (screen readers would read it twice).
function picture(base, path, name, kind, label = "") {
  const box = el("div", { class: `pic pic-${kind}` });
  const placeholder = () =>
    box.replaceChildren(label
      ? el("div", { class: "placeholder", role: "img", "aria-label": label }, el("span", { "aria-hidden": "true" }, initials(name)))
      : el("div", { class: "placeholder", "aria-hidden": "true" }, initials(name)));
  if (typeof path === "string" && path.startsWith("/")) {
    const img = el("img", { src: base + path, alt: label, loading: "lazy", decoding: "async" });
    img.addEventListener("error", placeholder, { once: true });
    box.append(img);
  } else {
    placeholder();
  }
  return box;
}

function initials(text) {
  const words = String(text || "?").split(/\s+/).filter((w) => /\p{L}|\p{N}/u.test(w));
  return words.slice(0, 2).map((w) => Array.from(w.replace(/^[^\p{L}\p{N}]+/u, ""))[0] || "").join("").toUpperCase() || "?";
}

// ---------- API ----------

class ApiError extends Error {
  constructor(status, message, parameter) {
    super(message);
    this.status = status;
    this.parameter = parameter;
  }
}

// GETs an API path relative to the page ("movies/1", no leading slash, so that a proxy may
// serve the mirror under a prefix) and returns its JSON. A network failure becomes status 0.
async function api(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== "" && value !== null && value !== undefined) query.set(key, value);
  }
  const url = query.toString() ? `${path}?${query}` : path;
  let response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json" } });
  } catch (_) {
    throw new ApiError(0, "The tmdb-mirror API cannot be reached.");
  }
  let body = null;
  try {
    body = await response.json();
  } catch (_) {
    body = null;
  }
  if (!response.ok) {
    const err = (body && body.error) || {};
    const message = typeof err === "string" ? err : err.message || response.statusText || "request failed";
    throw new ApiError(response.status, message, err.parameter);
  }
  return body;
}

// The answer of `request`, or `absent` when the API says 404 (a missing record is a page to
// show, not an error).
function unless404(request, absent) {
  return request.catch((err) => (err.status === 404 ? absent : Promise.reject(err)));
}

// A list answer as one shape: the API's envelope {page, total_results, total_pages, results},
// or GET /genres's {genres} (one page of all of them).
function listOf(body) {
  const results = (body && (body.results || body.genres)) || [];
  return {
    page: body.page || 1,
    total_pages: body.total_pages || 1,
    total_results: body.total_results ?? results.length,
    results,
  };
}

// ---------- routing ----------

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = raw.split("?", 2);
  const parts = path.split("/").filter(Boolean).map((p) => { try { return decodeURIComponent(p); } catch (_) { return p; } });
  return { parts, params: new URLSearchParams(query) };
}

function hashFor(path, params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) q.set(key, value);
  const s = q.toString();
  return `#${path}${s ? "?" + s : ""}`;
}

// Every render gets a ticket; an answer that arrives after the user moved on is dropped.
let ticket = 0;
let mounted = null; // the live search view, kept across keystrokes so the input keeps focus

async function route() {
  const { parts, params } = parseHash();
  const mine = ++ticket;
  const section = parts[0] || "";
  markNav(section);
  // Dims the old page while the new one loads (style.css), so a click always shows an effect.
  app.setAttribute("aria-busy", "true");
  try {
    if (section === "" || section === "search") return await moviesView(mine, section, params);
    if (section === "people" && parts.length === 1) return await peopleView(mine, params);
    if (section === "genres" && parts.length === 1) return await genresView(mine);
    mounted = null;
    const id = parts[1];
    if (parts.length === 2 && /^\d{1,18}$/.test(id)) {
      if (section === "movie") return await movieView(mine, id, params);
      if (section === "person") return await personView(mine, id);
      if (section === "genre") return await genreView(mine, id, params);
      if (section === "keyword") return await keywordView(mine, id, params);
      if (section === "collection") return await collectionView(mine, id);
      if (section === "company") return await companyView(mine, id, params);
    }
    notFound("There is no page at this address.");
  } catch (err) {
    if (mine === ticket) failed(err);
  } finally {
    if (mine === ticket) app.removeAttribute("aria-busy");
  }
}

function markNav(section) {
  const current = ["", "movie", "keyword", "collection", "company"].includes(section) ? "movies" : section === "person" ? "people" : section === "genre" ? "genres" : section;
  for (const a of document.querySelectorAll("[data-nav]")) {
    if (a.dataset.nav === current) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

function setTitle(text) {
  document.title = text ? `${text} · tmdb-mirror` : "tmdb-mirror";
}

function notFound(message) {
  mounted = null;
  setTitle("Not found");
  show(el("section", { class: "notice", "data-state": "not-found" },
    el("h1", null, "Not found"),
    el("p", null, message),
    el("p", null, el("a", { href: "#/" }, "Back to the most popular movies"))));
}

function failed(err) {
  mounted = null;
  if (err instanceof ApiError && err.status === 404) return notFound("This mirror has no such record.");
  setTitle("Error");
  const unreachable = err instanceof ApiError && err.status === 0;
  show(el("section", { class: "notice error", role: "alert", "data-state": unreachable ? "unreachable" : "error" },
    el("h1", null, unreachable ? "The API cannot be reached" : "Something went wrong"),
    el("p", null, unreachable
      ? "The browse page could not reach tmdb-serve. Check that the server is running, then try again."
      : `The API answered${err.status ? " " + err.status : ""}: ${err.message}`),
    el("p", null, el("button", { type: "button", onclick: route }, "Try again"))));
}

// ---------- shared pieces ----------

function movieCard(movie) {
  const title = movie.title || movie.original_title || `Movie ${movie.id}`;
  const meta = [year(movie.release_date), movie.vote_count ? `★ ${Number(movie.vote_average || 0).toFixed(1)}` : ""].filter(Boolean).join(" · ");
  return el("li", { class: "card" },
    el("a", { href: movieHref(movie.id), class: "card-link" },
      picture(POSTER, movie.poster_path, title, "poster"),
      el("span", { class: "card-title" }, title),
      meta && el("span", { class: "card-meta" }, meta)));
}

function personCard(person) {
  const name = person.name || `Person ${person.id}`;
  return el("li", { class: "card" },
    el("a", { href: personHref(person.id), class: "card-link" },
      picture(PROFILE, person.profile_path, name, "profile"),
      el("span", { class: "card-title" }, name),
      person.known_for_department && el("span", { class: "card-meta" }, person.known_for_department)));
}

function pager(list, hrefFor) {
  const page = Number(list.page) || 1;
  // The API serves no page past 500 (TMDB's own cap).
  const pages = Math.min(500, Math.max(1, Number(list.total_pages) || 1));
  if (pages <= 1) return null;
  return el("nav", { class: "pager", "aria-label": "Pages" },
    page > 1 ? el("a", { href: hrefFor(page - 1), rel: "prev" }, "← Previous") : el("span", { class: "off" }, "← Previous"),
    el("span", { class: "where" }, `Page ${page.toLocaleString()} of ${pages.toLocaleString()}`),
    page < pages ? el("a", { href: hrefFor(page + 1), rel: "next" }, "Next →") : el("span", { class: "off" }, "Next →"));
}

function grid(items, card, empty) {
  if (!items.length) return el("p", { class: "status empty" }, empty);
  return el("ul", { class: "grid" }, items.map(card));
}

let genreCache = null;
async function genres() {
  if (!genreCache) {
    genreCache = api("genres").then((body) => listOf(body).results).catch((err) => {
      genreCache = null;
      throw err;
    });
  }
  return genreCache;
}

// Moves to `target` from a search form. Typing replaces the history entry (one entry per
// search, not one per key) except the first keys of a new search; a changed select adds an
// entry, so Back undoes it. A debounced call that fires after the user left the view (say,
// clicked a result) does nothing.
function navigate(view, target, push) {
  const current = location.hash || "#/";
  if (mounted !== view || target === current) return;
  if (push || !current.includes("?")) history.pushState(null, "", target);
  else history.replaceState(null, "", target);
  route();
}

function debounce(fn, ms) {
  let timer = 0;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

// ---------- movies: home and search ----------

const FILTERS = ["q", "year", "genre", "language", "status", "sort"];

function readMovieParams(params) {
  const out = {};
  for (const key of FILTERS) out[key] = (params.get(key) || "").trim();
  out.page = Math.max(1, parseInt(params.get("page"), 10) || 1);
  return out;
}

async function moviesView(mine, section, params) {
  const state = readMovieParams(params);
  if (!mounted || mounted.kind !== "movies") mounted = await mountMovies(mine);
  if (!mounted) return;
  mounted.sync(state, section);
  await mounted.load(mine, state, section);
}

async function mountMovies(mine) {
  let genreList = [];
  try {
    genreList = await genres();
  } catch (err) {
    if (err.status === 0) throw err;
  }
  if (mine !== ticket) return null;
  const field = (label, control) => el("label", { class: "field" }, el("span", null, label), control);
  const q = el("input", { type: "search", name: "q", id: "search-q", autocomplete: "off", placeholder: "Title, e.g. Amélie", "aria-describedby": "result-count" });
  const yearInput = el("input", { type: "number", name: "year", min: 1874, max: 2100, step: 1, inputmode: "numeric", placeholder: "Any" });
  const genre = el("select", { name: "genre" }, el("option", { value: "" }, "Any genre"),
    genreList.map((g) => el("option", { value: g.id }, g.name)));
  const language = el("input", { type: "text", name: "language", maxlength: 3, placeholder: "e.g. en", autocomplete: "off", spellcheck: "false" });
  const status = el("select", { name: "status" }, el("option", { value: "" }, "Any status"), STATUSES.map((s) => el("option", { value: s }, s)));
  const sort = el("select", { name: "sort" }, el("option", { value: "" }, "Default"), SORTS.map(([v, l]) => el("option", { value: v }, l)));
  const heading = el("h1", null, "Popular movies");
  const count = el("p", { class: "count", id: "result-count", role: "status" });
  const results = el("div", { class: "results" });
  const form = el("form", { class: "filters", role: "search", onsubmit: (e) => { e.preventDefault(); apply(true); } },
    field("Search titles", q),
    el("div", { class: "row" }, field("Year", yearInput), field("Genre", genre), field("Language", language), field("Status", status), field("Sort", sort)));
  const controls = { q, year: yearInput, genre, language, status, sort };

  function apply(push) {
    const next = {};
    for (const key of FILTERS) next[key] = controls[key].value.trim();
    const any = FILTERS.some((key) => next[key]);
    navigate(view, any ? hashFor("/search", next) : "#/", push);
  }
  const typed = debounce(() => apply(false), DEBOUNCE_MS);
  q.addEventListener("input", typed);
  // A year or language code half typed ("19", "e") is not a question to ask the API yet.
  yearInput.addEventListener("input", () => /^(\d{4})?$/.test(yearInput.value.trim()) && typed());
  language.addEventListener("input", () => /^([a-zA-Z]{2,3})?$/.test(language.value.trim()) && typed());
  for (const select of [genre, status, sort]) select.addEventListener("change", () => apply(true));

  show(heading, form, count, results);
  const view = {
    kind: "movies",
    sync(state, section) {
      for (const key of FILTERS) {
        // Never rewrite the box the user is typing in: the debounce would fight the cursor.
        if (document.activeElement !== controls[key] && controls[key].value !== state[key]) controls[key].value = state[key];
      }
      const filtered = FILTERS.some((key) => state[key]);
      heading.textContent = state.q ? `Search: ${state.q}` : filtered || section === "search" ? "Find movies" : "Popular movies";
      setTitle(state.q ? `Search: ${state.q}` : filtered ? "Find movies" : "");
    },
    async load(mine, state) {
      results.setAttribute("aria-busy", "true");
      let list;
      try {
        list = state.q ? await searchMovies(state) : listOf(await api("movies", {
          page: state.page, limit: PAGE_SIZE, year: state.year, genre_id: state.genre,
          language: state.language, status: state.status, sort: state.sort || "popularity.desc",
          min_votes: voteFloor(state.sort),
        }));
      } catch (err) {
        if (mine !== ticket) return;
        results.removeAttribute("aria-busy");
        // A bad filter value is the user's to fix: say which, keep the form.
        if (err.status === 400) {
          count.textContent = "";
          results.replaceChildren(el("p", { class: "status error", role: "alert" }, `Check the ${err.parameter || "filters"}: ${err.message}`));
          return;
        }
        throw err;
      }
      if (mine !== ticket) return;
      results.removeAttribute("aria-busy");
      count.textContent = plural(list.total_results, "movie", "movies") + (state.q ? " found" : "") +
        (voteFloor(state.sort) ? ` with at least ${VOTE_FLOOR} votes` : "");
      results.replaceChildren(
        grid(list.results, movieCard, state.q ? "No movie title matches this search." : "No movie matches these filters."),
        pager(list, (page) => hashFor(FILTERS.some((k) => state[k]) ? "/search" : "/", { ...state, page: page > 1 ? page : "" })) || "");
    },
  };
  return view;
}

// A title search with the same filters and sorts as the list; without a sort it ranks by
// relevance (the API's default for /movies/search).
async function searchMovies(state) {
  return listOf(await api("movies/search", {
    query: state.q, page: state.page, limit: PAGE_SIZE, year: state.year, genre_id: state.genre,
    language: state.language, status: state.status, sort: state.sort, min_votes: voteFloor(state.sort),
  }));
}

// The vote floor of a sort: best rated first needs one.
const voteFloor = (sort) => (sort === "vote_average.desc" ? VOTE_FLOOR : "");

// ---------- people ----------

async function peopleView(mine, params) {
  const q = (params.get("q") || "").trim();
  const page = Math.max(1, parseInt(params.get("page"), 10) || 1);
  if (!mounted || mounted.kind !== "people") mounted = mountPeople();
  mounted.sync(q);
  await mounted.load(mine, q, page);
}

function mountPeople() {
  const input = el("input", { type: "search", name: "q", id: "people-q", autocomplete: "off", placeholder: "Name, e.g. Bruce Willis" });
  const heading = el("h1", null, "Popular people");
  const count = el("p", { class: "count", role: "status" });
  const results = el("div", { class: "results" });
  const go = (push) => navigate(view, hashFor("/people", { q: input.value.trim() }), push);
  input.addEventListener("input", debounce(() => go(false), DEBOUNCE_MS));
  show(heading,
    el("form", { class: "filters", role: "search", onsubmit: (e) => { e.preventDefault(); go(true); } },
      el("label", { class: "field" }, el("span", null, "Search people"), input)),
    count, results);
  const view = {
    kind: "people",
    sync(q) {
      if (document.activeElement !== input && input.value !== q) input.value = q;
      heading.textContent = q ? `People: ${q}` : "Popular people";
      setTitle(q ? `People: ${q}` : "People");
    },
    async load(mine, q, page) {
      const body = q
        ? await api("people/search", { query: q, page, limit: PAGE_SIZE })
        : await api("people", { page, limit: PAGE_SIZE });
      if (mine !== ticket) return;
      const list = listOf(body);
      count.textContent = plural(list.total_results, "person", "people") + (q ? " found" : "");
      results.replaceChildren(grid(list.results, personCard, "Nobody by that name in this mirror."),
        pager(list, (p) => hashFor("/people", { q, page: p > 1 ? p : "" })) || "");
    },
  };
  return view;
}

// ---------- genres ----------

async function genresView(mine) {
  mounted = null;
  const list = await genres();
  if (mine !== ticket) return;
  setTitle("Genres");
  show(el("h1", null, "Genres"),
    list.length
      ? el("ul", { class: "chips big" }, list.map((g) =>
        el("li", null, el("a", { href: genreHref(g.id), class: "chip", "aria-label": g.movie_count !== undefined ? `${g.name}, ${plural(g.movie_count, "movie", "movies")}` : null }, g.name,
          g.movie_count !== undefined ? el("span", { class: "n" }, ` ${Number(g.movie_count).toLocaleString()}`) : ""))))
      : el("p", { class: "status empty" }, "This mirror has no genres yet."));
}

async function genreView(mine, id, params) {
  const page = Math.max(1, parseInt(params.get("page"), 10) || 1);
  const [list, body] = await Promise.all([
    genres().catch(() => []),
    unless404(api(`genres/${id}/movies`, { page, limit: PAGE_SIZE }), null),
  ]);
  if (mine !== ticket) return;
  if (!body) return notFound(`This mirror has no genre ${id}.`);
  const genre = list.find((g) => String(g.id) === id);
  const name = genre ? genre.name : `Genre ${id}`;
  const movies = listOf(body);
  setTitle(name);
  show(el("h1", null, name),
    el("p", { class: "count" }, plural(movies.total_results, "movie", "movies")),
    grid(movies.results, movieCard, "No movie in this genre yet."),
    pager(movies, (p) => hashFor(`/genre/${id}`, { page: p > 1 ? p : "" })));
}

// ---------- keywords, collections, companies ----------

async function keywordView(mine, id, params) {
  const page = Math.max(1, parseInt(params.get("page"), 10) || 1);
  const [keyword, body] = await Promise.all([
    unless404(api(`keywords/${id}`), null),
    unless404(api(`keywords/${id}/movies`, { page, limit: PAGE_SIZE }), null),
  ]);
  if (mine !== ticket) return;
  if (!keyword || !body) return notFound(`This mirror has no keyword ${id}.`);
  const name = keyword.name || `Keyword ${id}`;
  const movies = listOf(body);
  setTitle(name);
  show(el("p", { class: "kicker" }, "Keyword"), el("h1", null, name),
    el("p", { class: "count" }, plural(movies.total_results, "movie", "movies")),
    grid(movies.results, movieCard, "No movie with this keyword."),
    pager(movies, (p) => hashFor(`/keyword/${id}`, { page: p > 1 ? p : "" })));
}

async function collectionView(mine, id) {
  const collection = await unless404(api(`collections/${id}`), null);
  if (mine !== ticket) return;
  if (!collection) return notFound(`This mirror has no collection ${id}.`);
  const name = collection.name || `Collection ${id}`;
  const parts = collection.parts || [];
  setTitle(name);
  show(el("p", { class: "kicker" }, "Collection"), el("h1", null, name),
    el("p", { class: "count" }, plural(parts.length, "movie", "movies")),
    grid(parts, movieCard, "None of its movies is in this mirror."));
}

async function companyView(mine, id, params) {
  const page = Math.max(1, parseInt(params.get("page"), 10) || 1);
  const [company, body] = await Promise.all([
    unless404(api(`companies/${id}`), null),
    api("movies", { company: id, page, limit: PAGE_SIZE }),
  ]);
  if (mine !== ticket) return;
  if (!company) return notFound(`This mirror has no company ${id}.`);
  const name = company.name || `Company ${id}`;
  const movies = listOf(body);
  setTitle(name);
  show(el("p", { class: "kicker" }, "Production company"),
    el("div", { class: "company-head" },
      typeof company.logo_path === "string" && company.logo_path.startsWith("/") ? el("img", { class: "logo", src: LOGO + company.logo_path, alt: "" }) : null,
      el("h1", null, name)),
    company.origin_country && el("p", { class: "muted" }, countryName(company.origin_country)),
    el("p", { class: "count" }, plural(movies.total_results, "movie", "movies")),
    grid(movies.results, movieCard, "No movie of this company in this mirror."),
    pager(movies, (p) => hashFor(`/company/${id}`, { page: p > 1 ? p : "" })));
}

// ---------- movie ----------

async function movieView(mine, id, params) {
  const region = (params.get("region") || savedRegion()).toUpperCase();
  const [movie, credits] = await Promise.all([
    unless404(api(`movies/${id}`, { region: /^[A-Z]{2}$/.test(region) ? region : DEFAULT_REGION }), null),
    unless404(api(`movies/${id}/credits`), { cast: [], crew: [] }),
  ]);
  if (mine !== ticket) return;
  if (!movie) return notFound(`This mirror has no movie ${id}. It may not be fetched yet, or TMDB removed it.`);
  const title = movie.title || movie.original_title || `Movie ${id}`;
  setTitle(title);
  const facts = [
    movie.certification && el("span", { class: "cert", title: `Certification in ${countryName(movie.region)}` }, movie.certification),
    year(movie.release_date) && el("span", null, el("time", { datetime: movie.release_date }, fmtDate(movie.release_date))),
    movie.runtime ? el("span", null, fmtRuntime(movie.runtime)) : null,
    movie.status && el("span", null, movie.status),
    movie.original_language && el("span", null, `Language: ${movie.original_language}`),
    movie.vote_count ? el("span", null, `★ ${Number(movie.vote_average || 0).toFixed(1)} (${plural(movie.vote_count, "vote", "votes")})`) : null,
    // TMDB sends 0 for an unknown budget or revenue.
    movie.budget > 0 ? el("span", null, `Budget ${money(movie.budget)}`) : null,
    movie.revenue > 0 ? el("span", null, `Revenue ${money(movie.revenue)}`) : null,
  ].filter(Boolean);
  const links = [el("a", { href: `https://www.themoviedb.org/movie/${encodeURIComponent(id)}`, rel: "noopener" }, "TMDB")];
  if (typeof movie.imdb_id === "string" && /^tt\d+$/.test(movie.imdb_id)) {
    links.push(el("a", { href: `https://www.imdb.com/title/${movie.imdb_id}/`, rel: "noopener" }, "IMDb"));
  }
  const wikidata = movie.external_ids && movie.external_ids.wikidata_id;
  if (typeof wikidata === "string" && /^Q\d+$/.test(wikidata)) {
    links.push(el("a", { href: `https://www.wikidata.org/wiki/${wikidata}`, rel: "noopener" }, "Wikidata"));
  }
  if (typeof movie.homepage === "string" && /^https?:\/\//i.test(movie.homepage)) {
    links.push(el("a", { href: movie.homepage, rel: "noopener" }, "Homepage"));
  }
  const languages = (movie.spoken_languages || []).map((l) => l.english_name || l.name || l.iso_639_1).filter(Boolean);
  const companies = movie.production_companies || [];
  const keywords = movie.keywords || [];
  show(el("article", { class: "detail" },
    picture(POSTER, movie.poster_path, title, "poster", `Poster of ${title}`),
    el("div", { class: "body" },
      el("h1", null, title, year(movie.release_date) && el("span", { class: "year" }, ` (${year(movie.release_date)})`)),
      movie.original_title && movie.original_title !== title && el("p", { class: "original", lang: movie.original_language || null }, movie.original_title),
      movie.tagline && el("p", { class: "tagline" }, movie.tagline),
      makers(credits.crew || []),
      facts.length ? el("p", { class: "facts" }, facts) : null,
      genresOf(movie).length ? el("ul", { class: "chips", "aria-label": "Genres" }, genresOf(movie).map((g) => el("li", null, el("a", { class: "chip", href: genreHref(g.id) }, g.name)))) : null,
      movie.overview ? el("p", { class: "overview" }, movie.overview) : el("p", { class: "overview muted" }, "No overview."),
      movie.collection && el("p", { class: "collection" }, "Part of ", el("a", { href: collectionHref(movie.collection.id) }, movie.collection.name || `collection ${movie.collection.id}`)),
      languages.length ? el("p", { class: "languages" }, `Spoken languages: ${languages.join(", ")}`) : null,
      companies.length ? el("p", { class: "companies" }, "Production: ", companies.map((c, i) => [i ? ", " : "", el("a", { href: companyHref(c.id) }, c.name || `Company ${c.id}`)])) : null,
      el("p", { class: "links" }, "See on ", links.map((a, i) => [i ? " · " : "", a])))),
  trailers(movie.videos || []),
  watchSection(movie, id),
  keywords.length ? el("section", { class: "credits", "aria-labelledby": "kw-h" },
    el("h2", { id: "kw-h" }, "Keywords"),
    el("ul", { class: "chips keywords" }, keywords.map((k) => el("li", null, el("a", { class: "chip", href: keywordHref(k.id) }, k.name || `Keyword ${k.id}`))))) : null,
  castSection(credits.cast || []),
  crewSection(credits.crew || []),
  releasesSection(movie.release_dates || [], movie.region));
}

// The header's "Directed by" and "Written by": directors, then the writing credits, one name
// each (a writer credited for the screenplay and the story appears once, with both jobs).
function makers(crew) {
  const group = (entries) => {
    const byPerson = new Map();
    for (const c of entries) {
      if (!byPerson.has(c.person_id)) byPerson.set(c.person_id, { ...c, jobs: [] });
      if (c.job && !byPerson.get(c.person_id).jobs.includes(c.job)) byPerson.get(c.person_id).jobs.push(c.job);
    }
    return [...byPerson.values()];
  };
  const directors = group(crew.filter((c) => c.job === "Director"));
  const writers = group(crew.filter((c) => c.department === "Writing"));
  const line = (label, cls, people, jobs) => people.length && el("p", { class: `makers ${cls}` }, `${label} `,
    people.map((p, i) => [i ? ", " : "", el("a", { href: personHref(p.person_id) }, p.name || `Person ${p.person_id}`),
      jobs && p.jobs.length ? el("span", { class: "role" }, ` (${p.jobs.join(", ")})`) : ""]));
  return [line("Directed by", "directors", directors, false), line("Written by", "writers", writers, true)];
}

// Trailers and teasers on YouTube, official ones first, as links (no embedded player: the
// page loads nothing from elsewhere but images).
function trailers(videos) {
  const rank = (v) => (v.type === "Trailer" ? 0 : 1) + (v.official ? 0 : 2);
  const shown = videos
    .filter((v) => v.site === "YouTube" && (v.type === "Trailer" || v.type === "Teaser") && typeof v.key === "string" && /^[\w-]+$/.test(v.key))
    .sort((a, b) => rank(a) - rank(b));
  if (!shown.length) return null;
  return el("section", { class: "credits", "aria-labelledby": "video-h" },
    el("h2", { id: "video-h" }, "Trailers"),
    el("ul", { class: "trailers" }, shown.map((v) => el("li", null,
      el("a", { href: `https://www.youtube.com/watch?v=${v.key}`, rel: "noopener" }, v.name || v.type),
      el("span", { class: "role" }, ` ${[v.type, v.iso_639_1].filter(Boolean).join(", ")}`)))));
}

// Where to watch in the chosen region, by kind, with JustWatch's credit (TMDB's terms for this
// data), and the region picker that also sets the certification.
function watchSection(movie, id) {
  const region = movie.region || DEFAULT_REGION;
  const countries = new Set([region, DEFAULT_REGION, ...(movie.watch_regions || []),
    ...(movie.release_dates || []).map((d) => d.iso_3166_1).filter(Boolean)]);
  const picker = el("select", { name: "region", "aria-label": "Country" },
    [...countries].sort((a, b) => countryName(a).localeCompare(countryName(b))).map((c) => el("option", { value: c, selected: c === region }, countryName(c))));
  picker.addEventListener("change", () => {
    try {
      localStorage.setItem("region", picker.value);
    } catch (_) { /* private mode: the address still holds it */ }
    location.hash = hashFor(`/movie/${id}`, { region: picker.value });
  });
  const watch = movie.watch_providers;
  const kinds = WATCH_KINDS.filter(([kind]) => watch && Array.isArray(watch.providers[kind]) && watch.providers[kind].length);
  return el("section", { class: "credits watch", "aria-labelledby": "watch-h" },
    el("h2", { id: "watch-h" }, "Where to watch in ", picker),
    kinds.length
      ? [el("dl", { class: "providers" }, kinds.map(([kind, label]) => [el("dt", null, label),
        el("dd", null, el("ul", null, watch.providers[kind].map((p) => el("li", { class: "provider" },
          typeof p.logo_path === "string" && p.logo_path.startsWith("/") ? el("img", { src: LOGO + p.logo_path, alt: "", loading: "lazy" }) : null,
          el("span", null, p.provider_name || `Provider ${p.provider_id}`)))))])),
      watch.link && /^https:\/\//.test(watch.link) ? el("p", null, el("a", { href: watch.link, rel: "noopener" }, "All offers on TMDB")) : null]
      : el("p", { class: "muted" }, `No streaming, rental or purchase offer listed in ${countryName(region)}.`),
    el("p", { class: "attribution" }, "Streaming data by ", el("a", { href: "https://www.justwatch.com/", rel: "noopener" }, "JustWatch"), "."));
}

// Release dates by country (the chosen one first), with type and certification.
function releasesSection(dates, region) {
  if (!dates.length) return null;
  const sorted = [...dates].sort((a, b) => (b.iso_3166_1 === region) - (a.iso_3166_1 === region) ||
    countryName(a.iso_3166_1 || "").localeCompare(countryName(b.iso_3166_1 || "")) || String(a.release_date).localeCompare(String(b.release_date)));
  const row = (d) => el("tr", null,
    el("td", null, d.iso_3166_1 ? countryName(d.iso_3166_1) : "—"),
    el("td", null, d.release_date ? el("time", { datetime: d.release_date.slice(0, 10) }, fmtDate(d.release_date.slice(0, 10))) : "—"),
    el("td", null, RELEASE_TYPES[d.type] || ""),
    el("td", null, d.certification || ""),
    el("td", null, d.note || ""));
  const [rows, more] = [].concat(longList(el("tbody"), sorted, DEPT_SHOWN, "release dates", row));
  return el("section", { class: "credits", "aria-labelledby": "rel-h" },
    el("h2", { id: "rel-h" }, "Release dates ", el("span", { class: "n" }, `(${dates.length})`)),
    el("div", { class: "table-wrap" }, el("table", { class: "releases" },
      el("thead", null, el("tr", null, ["Country", "Date", "Type", "Rating", "Note"].map((h) => el("th", { scope: "col" }, h)))),
      rows)),
    more);
}

const genresOf = (movie) => (Array.isArray(movie.genres) ? movie.genres.filter((g) => g && g.id !== undefined) : []);

// Long credit lists show their head and a button for the rest: a big production has hundreds
// of crew, a prolific person hundreds of credits.
const CAST_SHOWN = 24;
const DEPT_SHOWN = 8;
const FILMS_SHOWN = 50;

function longList(list, items, shown, noun, render) {
  const head = items.length > shown + 2 ? items.slice(0, shown) : items;
  append(list, head.map(render));
  if (head.length === items.length) return list;
  const more = el("button", { type: "button", class: "more" }, `Show all ${items.length.toLocaleString()} ${noun}`);
  more.addEventListener("click", () => {
    const rest = items.slice(head.length).map(render);
    append(list, rest);
    more.remove();
    // Keyboard users continue where the new entries start.
    const first = rest[0] && rest[0].querySelector("a:not([tabindex='-1'])");
    if (first) first.focus();
  });
  return [list, more];
}

function castSection(cast) {
  const sorted = [...cast].sort((a, b) => (a.order ?? 1e9) - (b.order ?? 1e9));
  return el("section", { class: "credits", "aria-labelledby": "cast-h" },
    el("h2", { id: "cast-h" }, "Cast ", el("span", { class: "n" }, `(${sorted.length})`)),
    sorted.length
      ? longList(el("ul", { class: "people-list" }), sorted, CAST_SHOWN, "cast members", (c) => el("li", { class: "cast" },
        // The photo repeats the name's link for the mouse; keyboards and screen readers get one.
        el("a", { href: personHref(c.person_id), class: "face", tabindex: -1, "aria-hidden": "true" }, picture(PROFILE, c.profile_path, c.name || "", "face")),
        el("a", { href: personHref(c.person_id), class: "name" }, c.name || `Person ${c.person_id}`),
        c.character ? el("span", { class: "role" }, c.character) : null))
      : el("p", { class: "muted" }, "No cast listed."));
}

function crewSection(crew) {
  const byDept = new Map();
  for (const c of crew) {
    const dept = c.department || "Other";
    if (!byDept.has(dept)) byDept.set(dept, []);
    byDept.get(dept).push(c);
  }
  // Directing and Writing first, as credits usually read; the rest alphabetically.
  const rank = (d) => (d === "Directing" ? 0 : d === "Writing" ? 1 : 2);
  const depts = [...byDept.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return el("section", { class: "credits", "aria-labelledby": "crew-h" },
    el("h2", { id: "crew-h" }, "Crew ", el("span", { class: "n" }, `(${crew.length})`)),
    depts.length
      ? el("div", { class: "depts" }, depts.map((d) => el("section", { class: "dept" },
        el("h3", null, d),
        longList(el("ul"), byDept.get(d), DEPT_SHOWN, `in ${d}`, (c) => el("li", null,
          el("a", { href: personHref(c.person_id) }, c.name || `Person ${c.person_id}`),
          c.job ? el("span", { class: "role" }, ` — ${c.job}`) : null)))))
      : el("p", { class: "muted" }, "No crew listed."));
}

// ---------- person ----------

async function personView(mine, id) {
  const [person, films] = await Promise.all([
    unless404(api(`people/${id}`), null),
    unless404(api(`people/${id}/movies`), { cast: [], crew: [] }),
  ]);
  if (mine !== ticket) return;
  const cast = films.cast || [];
  const crew = films.crew || [];
  // A credited person whose own record was not fetched still has a filmography to show.
  if (!person && !cast.length && !crew.length) return notFound(`This mirror has no person ${id}.`);
  const p = person || { id, name: `Person ${id}` };
  const name = p.name || `Person ${id}`;
  setTitle(name);
  const aka = nameList(p.also_known_as);
  const facts = [
    p.known_for_department && ["Known for", p.known_for_department],
    p.birthday && ["Born", [el("time", { datetime: p.birthday }, fmtDate(p.birthday)),
      !p.deathday && age(p.birthday) !== null ? ` (age ${age(p.birthday)})` : ""]],
    p.deathday && ["Died", [el("time", { datetime: p.deathday }, fmtDate(p.deathday)),
      age(p.birthday, p.deathday) !== null ? ` (aged ${age(p.birthday, p.deathday)})` : ""]],
    p.place_of_birth && ["Place of birth", p.place_of_birth],
  ].filter(Boolean);
  const links = [el("a", { href: `https://www.themoviedb.org/person/${encodeURIComponent(id)}`, rel: "noopener" }, "TMDB")];
  if (typeof p.imdb_id === "string" && /^nm\d+$/.test(p.imdb_id)) links.push(el("a", { href: `https://www.imdb.com/name/${p.imdb_id}/`, rel: "noopener" }, "IMDb"));
  show(el("article", { class: "detail" },
    picture(PHOTO, p.profile_path, name, "poster", `Photo of ${name}`),
    el("div", { class: "body" },
      el("h1", null, name),
      !person && el("p", { class: "muted" }, "This person's own record is not in the mirror yet; their credits are."),
      facts.length ? el("dl", { class: "facts-list" }, facts.map(([k, v]) => [el("dt", null, k), el("dd", null, v)])) : null,
      aka.length ? el("div", { class: "aka" }, el("h2", null, "Also known as"), el("ul", null, aka.map((n) => el("li", null, n)))) : null,
      p.biography ? el("div", { class: "bio" }, p.biography.split(/\n\s*\n|\n/).filter((s) => s.trim()).map((s) => el("p", null, s))) : person && el("p", { class: "muted" }, "No biography."),
      el("p", { class: "links" }, "See on ", links.map((a, i) => [i ? " · " : "", a])))),
  filmography("As cast", "film-cast", byMovie(cast, (m) => m.character)),
  crewFilmography(crew));
}

// One entry per movie, its roles (`role` of each credit: characters, jobs) joined.
function byMovie(credits, role) {
  const movies = new Map();
  for (const c of credits) {
    if (!movies.has(c.id)) movies.set(c.id, { ...c, roles: [] });
    const r = role(c);
    if (r && !movies.get(c.id).roles.includes(r)) movies.get(c.id).roles.push(r);
  }
  return [...movies.values()];
}

// The crew credits by department (Directing and Writing first, as in a movie's crew), one row
// per movie with its jobs.
function crewFilmography(crew) {
  const byDept = new Map();
  for (const c of crew) {
    const dept = c.department || "Other";
    if (!byDept.has(dept)) byDept.set(dept, []);
    byDept.get(dept).push(c);
  }
  const rank = (d) => (d === "Directing" ? 0 : d === "Writing" ? 1 : 2);
  const depts = [...byDept.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return el("section", { class: "credits", id: "film-crew", "aria-labelledby": "film-crew-h" },
    el("h2", { id: "film-crew-h" }, "As crew ", el("span", { class: "n" }, `(${byMovie(crew, () => "").length})`)),
    depts.length
      ? depts.map((d) => filmography(d, `film-${d.toLowerCase().replace(/[^a-z]+/g, "-")}`, byMovie(byDept.get(d), (m) => m.job), "h3"))
      : el("p", { class: "muted" }, "None in this mirror."));
}

// Newest first, undated last (the API's order; sorted again here so the page holds to it).
function byDateDesc(a, b) {
  const da = a.release_date || "";
  const db = b.release_date || "";
  return da < db ? 1 : da > db ? -1 : String(a.title || "").localeCompare(String(b.title || ""));
}

// A list of movies (from byMovie), newest first, each with its roles.
function filmography(label, id, entries, heading = "h2") {
  const sorted = [...entries].sort(byDateDesc);
  return el("section", { class: heading === "h2" ? "credits" : "film-dept", id, "aria-labelledby": `${id}-h` },
    el(heading, { id: `${id}-h` }, `${label} `, el("span", { class: "n" }, `(${sorted.length})`)),
    sorted.length
      ? longList(el("ol", { class: "filmography" }), sorted, FILMS_SHOWN, "movies", (m) => el("li", null,
        el("span", { class: "when" }, year(m.release_date) || "—"),
        el("a", { href: movieHref(m.id) }, m.title || m.original_title || `Movie ${m.id}`),
        m.roles.length ? el("span", { class: "role" }, m.roles.join(" / ")) : null))
      : el("p", { class: "muted" }, "None in this mirror."));
}

// ---------- start ----------

// hashchange alone: it fires for links and for back/forward (popstate would render twice).
// Typing uses replaceState, which fires neither, and renders itself.
window.addEventListener("hashchange", async () => {
  app.focus({ preventScroll: true });
  window.scrollTo(0, 0);
  await route();
  // An empty search page (the nav's Search or People) is there to be typed into.
  const { parts, params } = parseHash();
  if ((parts[0] === "search" || parts[0] === "people") && ![...params.keys()].length) {
    const box = app.querySelector("input[type=search]");
    if (box) box.focus();
  }
});
route();
