"""Drives tmdbsimple (a TMDB client library from PyPI) through the calls listed on stdin, one
JSON object per line ({"call": "movie.credits", "id": 550, "params": {...}}), against the TMDB
API at argv[1] with the key argv[2]; writes one line per call: {"result": ...} or
{"status": HTTP status} when the client raised on an error answer. tests/tmdb_routes.rs runs
it against tmdb-serve and against tmdb-sim and compares the two outputs."""

import json
import sys

import requests
import tmdbsimple as tmdb

base, tmdb.API_KEY = sys.argv[1], sys.argv[2]
# tmdbsimple has no base URL setting: its requests all build their URL here.
tmdb.base.TMDB._get_complete_url = lambda self, path: base + "/" + path


def run(call, id, params):
    kind, method = call.split(".")
    if kind == "movie":
        obj = tmdb.Movies(id)
    elif kind == "person":
        obj = tmdb.People(id)
    elif kind == "genre":
        obj = tmdb.Genres()
    elif kind == "collection":
        obj = tmdb.Collections(id)
    elif kind == "company":
        obj = tmdb.Companies(id)
    elif kind == "keyword":
        obj = tmdb.Keywords(id)
    elif kind == "discover":
        obj = tmdb.Discover()
    elif kind == "search":
        obj = tmdb.Search()
    elif kind == "find":
        obj = tmdb.Find(id)
    elif kind == "configuration":
        obj = tmdb.Configuration()
    else:
        raise ValueError(call)
    return getattr(obj, method)(**params)


for line in sys.stdin:
    c = json.loads(line)
    try:
        out = {"result": run(c["call"], c.get("id"), c.get("params", {}))}
    except requests.HTTPError as e:
        out = {"status": e.response.status_code}
    print(json.dumps(out), flush=True)
