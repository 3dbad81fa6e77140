// Drives moviedb-promise (a TMDB client library from npm) through the calls listed on stdin,
// one JSON object per line ({"call": "movie.credits", "id": 550, "params": {...}}), against
// the TMDB API at argv[2] with the key argv[3]; writes one line per call: {"result": ...} or
// {"status": HTTP status} when the client rejected an error answer. tests/tmdb_routes.rs runs
// it against tmdb-serve and against tmdb-sim and compares the two outputs.
const readline = require('readline');
const { MovieDb } = require('moviedb-promise');

const db = new MovieDb(process.argv[3], process.argv[2] + '/');
const methods = {
  'movie.info': 'movieInfo',
  'movie.credits': 'movieCredits',
  'movie.keywords': 'movieKeywords',
  'movie.release_dates': 'movieReleaseDates',
  'movie.external_ids': 'movieExternalIds',
  'movie.alternative_titles': 'movieAlternativeTitles',
  'movie.translations': 'movieTranslations',
  'movie.videos': 'movieVideos',
  'movie.images': 'movieImages',
  'movie.watch_providers': 'movieWatchProviders',
  'person.info': 'personInfo',
  'person.external_ids': 'personExternalIds',
  'person.images': 'personImages',
  'person.translations': 'personTranslations',
  'person.movie_credits': 'personMovieCredits',
  'genre.movie_list': 'genreMovieList',
  'collection.info': 'collectionInfo',
  'company.info': 'companyInfo',
  'keyword.info': 'keywordInfo',
  'keyword.movies': 'keywordMovies',
  'discover.movie': 'discoverMovie',
  'search.movie': 'searchMovie',
  'search.person': 'searchPerson',
  'search.keyword': 'searchKeyword',
  'search.company': 'searchCompany',
  'search.collection': 'searchCollection',
  'find.info': 'find',
  'configuration.info': 'configuration',
};

async function main() {
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const c = JSON.parse(line);
    const params = Object.assign({}, c.params || {});
    if (c.id !== undefined && c.id !== null) params.id = c.id;
    let out;
    try {
      out = { result: await db[methods[c.call]](params) };
    } catch (e) {
      if (!e.response) throw e;
      out = { status: e.response.status };
    }
    process.stdout.write(JSON.stringify(out) + '\n');
  }
}

main().catch((e) => {
  process.stderr.write(`moviedb_promise_calls: ${e.stack || e}\n`);
  process.exit(1);
});
