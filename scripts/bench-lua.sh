# Sourced by scripts/bench-serve.sh and scripts/bench-tmdb-routes.sh: the wrk scripts both ask,
# so that the mirror and its reference, tmdb-sim, get the same requests; POSIX sh. BENCH_DIR is
# where the scripts are written.

# per_thread_seed FILE: makes the wrk script's `math.randomseed(N)` line seed each wrk thread
# differently (N*100 + thread number + $SEED_OFFSET): with one seed, the two threads sent the
# same requests, so every second request of a "varied" route was one the answer cache had
# just stored. The warm-up runs with another SEED_OFFSET, so it does not replay the run.
per_thread_seed() {
    sed -i 's/^math\.randomseed(\([0-9]*\))$/local seed0, threads = \1, 0\
function setup(thread)\
  threads = threads + 1\
  thread:set("seed", seed0 * 100 + threads + (tonumber(os.getenv("SEED_OFFSET")) or 0))\
end\
function init(args) math.randomseed(seed) end/' "$1"
}

# discover_lua N [sim]: a wrk script asking TMDB's /3/discover/movie with random filter
# combinations (genres with AND and OR, release years and date ranges, language, runtime, votes,
# a cast member among N/2 people, a sort, a page), every request a new one, and each wrk thread
# its own. With `sim`, for tmdb-sim: without the runtime and cast filters, which make it build
# its whole-catalog index (every movie with every append: minutes and gigabytes at 100,000
# movies, not a request).
discover_lua() {
    file=$BENCH_DIR/discover_$1${2:+_$2}.lua
    runtime=0.2 cast=0.1
    if [ "${2:-}" = sim ]; then runtime=0 cast=0; fi
    cat >"$file" <<LUA
math.randomseed(13)
local genres = {28,12,16,35,80,99,18,10751,14,36,27,10402,9648,10749,878,10770,53,10752,37}
local langs = {"en","fr","es","ja","de","it","ko"}
local sorts = {"popularity.desc","vote_average.desc","vote_count.desc","primary_release_date.desc",
  "primary_release_date.asc","revenue.desc","title.asc"}
local people = math.max(1, math.floor($1 / 2))
local function pick(t) return t[math.random(#t)] end
request = function()
  local q = {"sort_by=" .. pick(sorts)}
  if math.random() < 0.6 then
    local sep = math.random() < 0.5 and "," or "%7C"
    q[#q + 1] = "with_genres=" .. pick(genres) .. (math.random() < 0.5 and (sep .. pick(genres)) or "")
  end
  if math.random() < 0.4 then q[#q + 1] = "primary_release_year=" .. math.random(1950, 2025) end
  if math.random() < 0.3 then
    local y = math.random(1950, 2020)
    q[#q + 1] = "primary_release_date.gte=" .. y .. "-01-01&primary_release_date.lte=" .. (y + math.random(0, 5)) .. "-12-31"
  end
  if math.random() < 0.3 then q[#q + 1] = "with_original_language=" .. pick(langs) end
  if math.random() < $runtime then q[#q + 1] = "with_runtime.gte=" .. math.random(60, 120) end
  if math.random() < 0.3 then q[#q + 1] = "vote_count.gte=" .. math.random(0, 2000) end
  if math.random() < 0.2 then q[#q + 1] = "vote_average.gte=" .. math.random(1, 8) end
  if math.random() < $cast then q[#q + 1] = "with_cast=" .. math.random(1, people) end
  if math.random() < 0.2 then q[#q + 1] = "page=" .. math.random(2, 5) end
  return wrk.format(nil, "/3/discover/movie?" .. table.concat(q, "&"))
end
LUA
    per_thread_seed "$file"
    echo "$file"
}
