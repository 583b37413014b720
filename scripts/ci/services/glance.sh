#!/usr/bin/env bash
# OpenStack Glance for the lab (Debian's glance-api, eventlet: Debian says it is broken under uwsgi),
# file store, staging and logs under DIR, on 127.0.0.1:PORT.
#
#   glance.sh start DIR PORT   configure, migrate, start (or find running), wait until it answers.
#                              Environment: DB_URL, KEYSTONE_URL, and SERVICE_PASSWORD of the
#                              `glance` service user (never on a command line).
#   glance.sh stop DIR         stop it
set -euo pipefail
SERVICE=glance
# shellcheck source=scripts/ci/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

service_args 2 "$@"
conf="$dir/glance-api.conf"
pidfile="$dir/glance-api.pid"

configure() {
    local port=$1
    mkdir -p "$dir/log" "$dir/images" "$dir/staging" "$dir/tasks" "$dir/lock"
    (
        umask 077
        cat >"$conf" <<CONF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $port
workers = 2
log_file = $dir/log/glance-api.log
enabled_backends = fs:file
[database]
connection = $DB_URL
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $dir/images
[os_glance_staging_store]
filesystem_store_datadir = $dir/staging
[os_glance_tasks_store]
filesystem_store_datadir = $dir/tasks
[oslo_concurrency]
lock_path = $dir/lock
[keystone_authtoken]
www_authenticate_uri = $KEYSTONE_URL
auth_url = $KEYSTONE_URL
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = glance
password = $SERVICE_PASSWORD
[paste_deploy]
flavor = keystone
config_file = /etc/glance/glance-api-paste.ini
[oslo_policy]
# The legacy rules: publicizing needs the admin role, sharing is the owner's. (Must match
# enforce_secure_rbac, or the API refuses to start.)
enforce_new_defaults = false
CONF
    )
}

start() {
    local port=$1 url
    url="http://127.0.0.1:$port/versions"
    if alive_pidfile "$pidfile" && http_ok "$url"; then return 0; fi
    : "${DB_URL:?DB_URL is required}" "${KEYSTONE_URL:?KEYSTONE_URL is required}" "${SERVICE_PASSWORD:?SERVICE_PASSWORD is required}"
    command -v glance-api >/dev/null || fail "glance-api not found: apt-get install glance-api"
    stop_pidfile "$pidfile"
    require_free_port "$port" "Glance ($dir)"
    configure "$port"
    log "database migration (log $dir/log/glance-manage.out)"
    glance-manage --config-file "$conf" db_sync >>"$dir/log/glance-manage.out" 2>&1 ||
        fail "glance-manage db_sync failed; see $dir/log/glance-manage.out"
    log "starting on 127.0.0.1:$port, log $dir/log/glance-api.log"
    setsid glance-api --config-file "$conf" >>"$dir/log/glance-api.out" 2>&1 </dev/null &
    echo $! >"$pidfile"
    wait_until 120 "Glance on 127.0.0.1:$port" "$dir/log/glance-api.log" http_ok "$url"
}

case "$action" in
    start) [[ $# -eq 3 ]] || usage; start "$3" ;;
    stop) stop_pidfile "$pidfile" ;;
    *) usage ;;
esac
