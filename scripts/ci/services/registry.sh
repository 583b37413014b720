#!/usr/bin/env bash
# A container registry on 127.0.0.1 (Debian's docker-registry), storage under DIR, deletes allowed.
#
#   scripts/ci/services/registry.sh start DIR PORT   start (or find running) and wait for /v2/
#   scripts/ci/services/registry.sh stop DIR         stop it
set -euo pipefail
SERVICE=registry
# shellcheck source=scripts/ci/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

service_args 2 "$@"
pidfile="$dir/registry.pid"

answers() { http_ok "http://127.0.0.1:$1/v2/"; }

start() {
    local port=$1
    command -v docker-registry >/dev/null || fail "docker-registry not found: apt-get install docker-registry"
    if alive_pidfile "$pidfile" && answers "$port"; then return 0; fi
    require_free_port "$port" "registry ($dir)"
    # The packaged config turns on htpasswd auth: this one has none, and listens on loopback only.
    cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
    setsid docker-registry serve "$dir/config.yml" >>"$dir/registry.log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    wait_until 30 "registry on 127.0.0.1:$port" "$dir/registry.log" answers "$port"
}

case "$action" in
    start) [ $# -eq 3 ] || usage; start "$3" ;;
    stop) stop_pidfile "$pidfile" ;;
    *) usage ;;
esac
