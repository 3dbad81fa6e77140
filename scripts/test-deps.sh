#!/usr/bin/env bash
# Usage: scripts/test-deps.sh [--dry-run]
# Installs what the tests need (the packages in scripts/test-deps.list, or in $DEPS_LIST) and
# is missing, with apt-get: says what it installs, skips what is present, runs `apt-get update`
# once, and uses sudo only when not root. `make test` runs it first (DEPS=0 skips it) and
# .ci/install calls it. --dry-run only reports what it would install. Then the TMDB client
# libraries of the tests (scripts/test-clients.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
list=${DEPS_LIST:-scripts/test-deps.list}
dry_run=0
case "${1:-}" in
    "") ;;
    --dry-run | -n) dry_run=1 ;;
    *) echo "usage: $0 [--dry-run]" >&2; exit 2 ;;
esac

# present PACKAGE CHECK: the package's check passes, or dpkg has it installed.
present() {
    case $2 in
        -) ;;
        /*) [ -e "$2" ] && return 0 ;;
        *) command -v "$2" >/dev/null 2>&1 && return 0 ;;
    esac
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

# The TMDB client libraries of the tests, after the packages of the real list (a list given in
# $DEPS_LIST is someone else's).
clients() {
    if [ $dry_run = 0 ] && [ -z "${DEPS_LIST:-}" ]; then
        scripts/test-clients.sh
    fi
}

need=()
have=()
while read -r package check _; do
    case $package in "" | "#"*) continue ;; esac
    if present "$package" "${check:--}"; then have+=("$package"); else need+=("$package"); fi
done < "$list"

if [ ${#need[@]} -eq 0 ]; then
    echo "test-deps: all present (${have[*]})"
    clients
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo=sudo
fi
if [ $dry_run = 1 ]; then
    echo "test-deps: would install ${need[*]} (present: ${have[*]:-none}):" \
        "${sudo:+$sudo }apt-get update; ${sudo:+$sudo }apt-get install -y ${need[*]}"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "test-deps: missing ${need[*]} and no apt-get here: install them with your package" \
        "manager, then run \`make test\` again (or \`make test DEPS=0\` to try without them)" >&2
    exit 2
fi
if [ -n "$sudo" ] && ! command -v sudo >/dev/null 2>&1; then
    echo "test-deps: missing ${need[*]}; installing them needs root, and there is no sudo:" \
        "run \`apt-get install ${need[*]}\` as root" >&2
    exit 2
fi
echo "test-deps: installing ${need[*]} with apt-get (present: ${have[*]:-none})"
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
echo "test-deps: installed ${need[*]}"
clients
