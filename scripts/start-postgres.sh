#!/usr/bin/env bash
# start-postgres.sh — start a throwaway PostgreSQL for the server store's integration tests, idempotently.
# Installs the Debian `postgresql` package when no server binaries are found, initialises a cluster in
# $BULWARK_PG_DIR (default /tmp/bulwark-pg) as the postgres user, starts it on 127.0.0.1 on a free port,
# creates the database bulwark_test, writes the URL to $BULWARK_PG_URL_FILE (default
# /tmp/bulwark-test-postgres.url) and prints `export BULWARK_TEST_POSTGRES=…`.
#
#   eval "$(scripts/start-postgres.sh)"      # then: go test -tags integration ./internal/store/postgres/...
set -euo pipefail
log() { printf '[start-postgres] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

dir=${BULWARK_PG_DIR:-/tmp/bulwark-pg}
urlfile=${BULWARK_PG_URL_FILE:-/tmp/bulwark-test-postgres.url}

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(bindir)" ]; then
  [ "$(id -u)" = 0 ] || die "PostgreSQL is not installed; run as root to install the postgresql package"
  log "installing postgresql"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  # The package starts a cluster of its own; the tests use theirs.
  if command -v pg_ctlcluster >/dev/null 2>&1; then pg_ctlcluster --force "$(ls /etc/postgresql | sort -V | tail -1)" main stop >/dev/null 2>&1 || true; fi
fi
bin=$(bindir)
[ -n "$bin" ] || die "no PostgreSQL binaries under /usr/lib/postgresql"

# as runs a command as the cluster owner: postgres when we are root.
as() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ -s "$urlfile" ] && [ -f "$dir/postmaster.pid" ]; then
  port=$(sed -n 4p "$dir/postmaster.pid")
  if as "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
    echo "export BULWARK_TEST_POSTGRES='$(cat "$urlfile")'"
    exit 0
  fi
fi

if [ ! -s "$dir/PG_VERSION" ]; then
  log "initialising a cluster in $dir"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  chmod 700 "$dir"
  as "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 >/dev/null
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log "starting PostgreSQL on 127.0.0.1:$port"
as "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null \
  || die "PostgreSQL did not start; see $dir/server.log"
if ! as "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='bulwark_test'" | grep -q 1; then
  as "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres bulwark_test
fi
url="postgres://postgres@127.0.0.1:$port/bulwark_test?sslmode=disable"
printf '%s\n' "$url" >"$urlfile"
chmod 644 "$urlfile"
echo "export BULWARK_TEST_POSTGRES='$url'"
