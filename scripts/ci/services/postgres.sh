#!/usr/bin/env bash
# PostgreSQL for the lab's Keystone and Glance (Debian's server binaries, a cluster of our own under
# DIR, listening on 127.0.0.1:PORT only; sqlite fails their concurrent writes).
#
#   postgres.sh start DIR PORT        initialise (first time), start (or find running), wait until ready
#   postgres.sh database DIR PORT NAME   create role and database NAME (idempotent); password from
#                                     DB_PASSWORD (read from the environment: never on a command line)
#   postgres.sh stop DIR              stop it (fast shutdown)
set -euo pipefail
SERVICE=postgres
# shellcheck source=scripts/ci/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

service_args 2 "$@"
bin=$(find /usr/lib/postgresql -maxdepth 3 -name pg_ctl -path '*/bin/*' 2>/dev/null | sort -V | tail -n 1)
[[ -n "$bin" ]] || fail "PostgreSQL server not found: apt-get install postgresql"
bin=$(dirname "$bin")
as_pg() { runuser -u postgres -- "$@"; }
# The server runs as user postgres, which must reach its files: when DIR lies under a directory it
# cannot enter (a 0700 home or temporary directory), the cluster lives under postgres' own home.
if as_pg test -x "$dir"; then
    base=$dir
else
    base=/var/lib/postgresql/os-image-pipeline/$(printf '%s' "$dir" | sha256sum | cut -c1-12)
fi

start() {
    local port=$1
    mkdir -p "$base" && chown postgres: "$base"
    if [[ ! -f "$base/data/PG_VERSION" ]]; then
        log "initialising a cluster in $base/data"
        rm -rf "$base/data"
        as_pg "$bin/initdb" -D "$base/data" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
            >"$dir/initdb.log" 2>&1 || { tail -n 20 "$dir/initdb.log" >&2; fail "initdb failed"; }
    fi
    mkdir -p "$base/run" && chown postgres: "$base/run"
    if as_pg "$bin/pg_isready" -q -h "$base/run" -p "$port"; then return 0; fi
    require_free_port "$port" "PostgreSQL ($base)"
    log "starting on 127.0.0.1:$port, log $base/postgres.log"
    as_pg "$bin/pg_ctl" -D "$base/data" -l "$base/postgres.log" -s \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c max_connections=200 -c unix_socket_directories=$base/run" \
        start || fail "pg_ctl start failed; see $base/postgres.log"
    wait_until 60 "PostgreSQL" "$base/postgres.log" as_pg "$bin/pg_isready" -q -h "$base/run" -p "$port"
}

database() {
    local port=$1 name=$2
    [[ "$name" =~ ^[a-z_]+$ ]] || fail "database name $name: lower-case letters and _ only"
    : "${DB_PASSWORD:?DB_PASSWORD is required}"
    # The password comes from the environment (\getenv), quoted by psql itself: never on argv.
    as_pg "$bin/psql" -q -v ON_ERROR_STOP=1 -h "$base/run" -p "$port" \
        -d postgres -v name="$name" -f - >/dev/null <<'SQL'
\getenv pw DB_PASSWORD
SELECT format('CREATE ROLE %I LOGIN', :'name') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'name') \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'name', :'pw') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'name') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name') \gexec
SQL
}

stop() {
    [[ -f "$base/data/postmaster.pid" ]] || return 0
    as_pg "$bin/pg_ctl" -D "$base/data" -s -m fast -w stop || true
}

case "$action" in
    start) [[ $# -eq 3 ]] || usage; start "$3" ;;
    database) [[ $# -eq 4 ]] || usage; database "$3" "$4" ;;
    stop) stop ;;
    *) usage ;;
esac
