#!/usr/bin/env bash
# A container registry on 127.0.0.1 (Debian's docker-registry), storage under DIR, deletes allowed.
#
#   scripts/ci/services/registry.sh start DIR PORT   start (or find running) and wait for /v2/
#   scripts/ci/services/registry.sh stop DIR         stop it
set -euo pipefail

usage() { sed -n '2,6s/^# \{0,1\}//p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
action=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
pidfile="$dir/registry.pid"

answers() { curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$1/v2/" 2>/dev/null; }

start() {
    local port=$1 t0
    command -v docker-registry >/dev/null || { echo "docker-registry not found: apt-get install docker-registry" >&2; exit 1; }
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && answers "$port"; then return 0; fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "127.0.0.1:$port is already in use by another process, not the registry of $dir" >&2
        exit 1
    fi
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
    t0=$(date +%s)
    until answers "$port"; do
        if [ $(($(date +%s) - t0)) -ge 30 ]; then
            echo "registry on 127.0.0.1:$port did not answer within 30s; $dir/registry.log:" >&2
            tail -n 20 "$dir/registry.log" >&2
            exit 1
        fi
        sleep 0.2
    done
}

stop() {
    [ -f "$pidfile" ] || return 0
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
}

case "$action" in
    start) [ $# -eq 3 ] || usage; start "$3" ;;
    stop) stop ;;
    *) usage ;;
esac
