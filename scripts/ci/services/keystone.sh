#!/usr/bin/env bash
# OpenStack Keystone for the lab (Debian's keystone), state and logs under DIR, served by uwsgi on
# 127.0.0.1:PORT with several workers.
#
#   keystone.sh start DIR PORT   configure, migrate, bootstrap (admin, region RegionOne), start (or
#                                find running) and wait until /v3 answers. Environment: DB_URL (its
#                                PostgreSQL database) and ADMIN_PASSWORD, never on a command line.
#   keystone.sh stop DIR         stop it
set -euo pipefail
SERVICE=keystone
# shellcheck source=scripts/ci/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

service_args 2 "$@"
conf="$dir/keystone.conf"
pidfile="$dir/uwsgi.pid"

configure() {
    mkdir -p "$dir/log" "$dir/fernet-keys" "$dir/credential-keys"
    (
        umask 077
        cat >"$conf" <<CONF
[DEFAULT]
log_dir = $dir/log
[database]
connection = $DB_URL
max_pool_size = 10
max_overflow = 20
[token]
provider = fernet
[fernet_tokens]
key_repository = $dir/fernet-keys
[fernet_receipts]
key_repository = $dir/fernet-keys
[credential]
key_repository = $dir/credential-keys
CONF
    )
}

manage() { keystone-manage --config-file "$conf" "$@" >>"$dir/log/keystone-manage.out" 2>&1; }

start() {
    local port=$1 url
    url="http://127.0.0.1:$port/v3/"
    if alive_pidfile "$pidfile" && http_ok "$url"; then return 0; fi
    : "${DB_URL:?DB_URL is required}" "${ADMIN_PASSWORD:?ADMIN_PASSWORD is required}"
    require_free_port "$port" "Keystone ($dir)"
    command -v keystone-manage >/dev/null || fail "keystone not found: apt-get install keystone"
    command -v uwsgi >/dev/null || fail "uwsgi not found: apt-get install uwsgi uwsgi-plugin-python3"
    configure
    log "database migration, keys, bootstrap (log $dir/log)"
    manage db_sync || fail "keystone-manage db_sync failed; see $dir/log/keystone-manage.out"
    [[ -f "$dir/fernet-keys/0" ]] || manage fernet_setup --keystone-user root --keystone-group root
    [[ -f "$dir/credential-keys/0" ]] || manage credential_setup --keystone-user root --keystone-group root
    # Idempotent: the admin user, project, role, region and identity endpoints.
    OS_BOOTSTRAP_PASSWORD=$ADMIN_PASSWORD manage bootstrap --bootstrap-admin-url "$url" \
        --bootstrap-internal-url "$url" --bootstrap-public-url "$url" --bootstrap-region-id RegionOne ||
        fail "keystone-manage bootstrap failed; see $dir/log/keystone-manage.out"
    log "starting on 127.0.0.1:$port, log $dir/log/uwsgi.log"
    # Connection: close: uwsgi's --http-socket closes the socket after each response without
    # saying so, and keep-alive clients then write into a closing socket (resets under load).
    uwsgi --plugin python3 --http-socket "127.0.0.1:$port" --wsgi-file /usr/bin/keystone-wsgi-public \
        --processes 2 --threads 4 --master --die-on-term --lazy-apps --thunder-lock --enable-threads \
        --listen 128 --buffer-size 65535 --need-app --add-header "Connection: close" \
        --env "OS_KEYSTONE_CONFIG_FILES=$conf" --pidfile "$pidfile" \
        --daemonize "$dir/log/uwsgi.log" || fail "uwsgi did not start; see $dir/log/uwsgi.log"
    wait_until 120 "Keystone on 127.0.0.1:$port" "$dir/log/uwsgi.log" http_ok "$url"
}

case "$action" in
    start) [[ $# -eq 3 ]] || usage; start "$3" ;;
    stop) stop_pidfile "$pidfile" ;;
    *) usage ;;
esac
