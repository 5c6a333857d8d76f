#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the store tests and print its URL.
#
# Usage: eval "$(bash tools/start_postgres.sh [DIR] [PORT])"
# exports TRENDCAST_TEST_POSTGRES_URL and TRENDCAST_TEST_POSTGRES_DIR; stop it with
#   pg_ctl -D "$TRENDCAST_TEST_POSTGRES_DIR/data" stop   (as the user that owns it).
# PostgreSQL refuses to run as root: as root the server runs as the user "postgres"
# (created by the Debian package). It listens on 127.0.0.1:PORT and on a socket in DIR;
# the cluster trusts local connections (a test server, never a real one).
set -euo pipefail
DIR="${1:-$(mktemp -d /tmp/trendcast-pg.XXXXXX)}"
PORT="${2:-55432}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
    echo "no PostgreSQL binaries under /usr/lib/postgresql; apt-get install -y postgresql" >&2
    exit 1
fi
mkdir -p "$DIR"
AS=()
if [ "$(id -u)" = "0" ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    AS=(runuser -u postgres --)
    chown postgres "$DIR"
fi
if [ ! -f "$DIR/data/PG_VERSION" ]; then
    "${AS[@]}" "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 >"$DIR/initdb.log" 2>&1
fi
"${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c max_connections=60" \
    start >&2
"${AS[@]}" "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qtAc \
    "SELECT 1 FROM pg_database WHERE datname='trendcast_test'" | grep -q 1 \
    || "${AS[@]}" "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qc \
    "CREATE DATABASE trendcast_test" >&2
echo "export TRENDCAST_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$PORT/trendcast_test"
echo "export TRENDCAST_TEST_POSTGRES_DIR=$DIR"
