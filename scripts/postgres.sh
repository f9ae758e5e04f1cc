#!/usr/bin/env bash
# A throwaway PostgreSQL for tests and local multi-host runs (issue 13).
#   scripts/postgres.sh start   # initdb into a temp dir, start on a free loopback port, print DATABASE_URL
#   scripts/postgres.sh url     # print the running server's DATABASE_URL
#   scripts/postgres.sh stop    # stop it and delete its directory
# Trust auth for a `calendly` role owning a `calendly` database (and allowed to create more: the multi-host
# test gives each run a database of its own), on 127.0.0.1 only. initdb refuses to run
# as root, so as root the server runs as the `postgres` user (present once postgresql is installed).
set -euo pipefail
BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
STATE="${PG_STATE_DIR:-/tmp/calendly-action-postgres}"

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running() {
    [ -f "$STATE/url" ] && [ -d "$STATE/data" ] && as_owner "$BIN/pg_ctl" -D "$STATE/data" status >/dev/null 2>&1
}

case "${1:-}" in
start)
    if running; then cat "$STATE/url"; exit 0; fi
    if [ ! -x "$BIN/initdb" ]; then
        echo "installing postgresql (binaries absent under $BIN)" >&2
        (apt-get update -qq && apt-get install -y -qq postgresql >&2) || sudo sh -c 'apt-get update -qq && apt-get install -y -qq postgresql' >&2
    fi
    rm -rf "$STATE"
    mkdir -p "$STATE"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$STATE"; fi
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    as_owner "$BIN/initdb" -D "$STATE/data" -U postgres --auth=trust -E UTF8 --no-locale >"$STATE/initdb.log" 2>&1 \
        || { cat "$STATE/initdb.log" >&2; exit 1; }
    # fsync off: a test server's data is thrown away; max_connections covers several hosts' pools and parallel tests.
    as_owner "$BIN/pg_ctl" -D "$STATE/data" -l "$STATE/server.log" -w -t 60 \
        -o "-p $port -k $STATE -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >/dev/null \
        || { cat "$STATE/server.log" >&2; exit 1; }
    as_owner "$BIN/psql" -h "$STATE" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
        -c "CREATE ROLE calendly LOGIN CREATEDB" -c "CREATE DATABASE calendly OWNER calendly" >&2
    echo "postgres://calendly@127.0.0.1:$port/calendly?sslmode=disable" >"$STATE/url"
    cat "$STATE/url"
    ;;
url)
    running || { echo "no test PostgreSQL running (scripts/postgres.sh start)" >&2; exit 1; }
    cat "$STATE/url"
    ;;
stop)
    if [ -d "$STATE/data" ]; then as_owner "$BIN/pg_ctl" -D "$STATE/data" -m fast -w stop >/dev/null 2>&1 || true; fi
    rm -rf "$STATE"
    ;;
*)
    echo "usage: $0 start|url|stop" >&2
    exit 2
    ;;
esac
