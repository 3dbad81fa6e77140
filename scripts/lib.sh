# Sourced by the scripts that start a server (demo.sh, bench-*.sh); POSIX sh.

# start_server LOG CMD...: starts CMD in the background with its stdout in LOG, waits for its
# "listening on URL" line (tmdb-sim and tmdb-serve print it once ready), and sets $server_pid
# and $server_url. Exits 2 if the server dies or is not ready within a minute.
start_server() {
    _log=$1
    shift
    : > "$_log"
    "$@" > "$_log" &
    server_pid=$!
    server_url=
    _tries=0
    while [ -z "$server_url" ]; do
        kill -0 "$server_pid" 2>/dev/null || { echo "$1 exited before listening" >&2; exit 2; }
        server_url=$(sed -n 's/^listening on //p' "$_log")
        if [ -z "$server_url" ]; then
            _tries=$((_tries + 1))
            [ $_tries -lt 600 ] || { echo "$1 did not start within a minute" >&2; exit 2; }
            sleep 0.1
        fi
    done
}
