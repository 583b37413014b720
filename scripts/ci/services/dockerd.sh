#!/usr/bin/env bash
# A Docker engine of our own, for the lab and the tests: Debian's dockerd with vfs storage, no
# iptables, no bridge (containers run with --network none), its own socket and data root under DIR.
#
#   scripts/ci/services/dockerd.sh start DIR   start (or find running) and wait until it answers;
#                                           prints DOCKER_HOST=unix://DIR/docker.sock
#   scripts/ci/services/dockerd.sh stop DIR    stop it and wait until it is gone
#
# Environment: DOCKERD_READY_TIMEOUT seconds to wait for readiness (default 90).
set -euo pipefail

usage() { sed -n '2,9s/^# \{0,1\}//p' "$0" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
sock="$dir/docker.sock"
pidfile="$dir/dockerd.pid"
export DOCKER_HOST="unix://$sock"
# Debian's CLI: a newer one elsewhere on PATH may lack what Debian's engine expects.
docker_cli=/usr/bin/docker

answers() { "$docker_cli" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

start() {
    command -v dockerd >/dev/null || { echo "dockerd not found: apt-get install docker.io" >&2; exit 1; }
    if answers; then
        echo "DOCKER_HOST=$DOCKER_HOST"
        return 0
    fi
    mkdir -p "$dir/data" "$dir/exec"
    rm -f "$sock"
    echo "[dockerd $(date +%T)] starting, log $dir/dockerd.log" >&2
    setsid dockerd --storage-driver=vfs --iptables=false --ip-masq=false --bridge=none \
        --host "$DOCKER_HOST" --data-root "$dir/data" --exec-root "$dir/exec" \
        --pidfile "$pidfile" >>"$dir/dockerd.log" 2>&1 </dev/null &
    local t0 timeout=${DOCKERD_READY_TIMEOUT:-90}
    t0=$(date +%s)
    until answers; do
        if [ $(($(date +%s) - t0)) -ge "$timeout" ]; then
            echo "dockerd did not answer on $sock within ${timeout}s; last lines of $dir/dockerd.log:" >&2
            tail -n 20 "$dir/dockerd.log" >&2
            exit 1
        fi
        sleep 0.5
    done
    echo "[dockerd $(date +%T)] ready in $(($(date +%s) - t0))s" >&2
    echo "DOCKER_HOST=$DOCKER_HOST"
}

stop() {
    local pid
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.5
    done
    echo "dockerd $pid still running after 30 s; killing it" >&2
    kill -9 "$pid" 2>/dev/null || true
}

case "$action" in
    start) start ;;
    stop) stop ;;
    *) usage ;;
esac
