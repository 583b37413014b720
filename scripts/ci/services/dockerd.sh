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
SERVICE=dockerd
# shellcheck source=scripts/ci/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

service_args 2 "$@"
[[ $# -eq 2 ]] || usage
sock="$dir/docker.sock"
pidfile="$dir/dockerd.pid"
export DOCKER_HOST="unix://$sock"
# Debian's CLI: a newer one elsewhere on PATH may lack what Debian's engine expects.
docker_cli=/usr/bin/docker

answers() { "$docker_cli" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

start() {
    command -v dockerd >/dev/null || fail "dockerd not found: apt-get install docker.io"
    if answers; then
        echo "DOCKER_HOST=$DOCKER_HOST"
        return 0
    fi
    mkdir -p "$dir/data" "$dir/exec"
    rm -f "$sock"
    log "starting, log $dir/dockerd.log"
    setsid dockerd --storage-driver=vfs --iptables=false --ip-masq=false --bridge=none \
        --host "$DOCKER_HOST" --data-root "$dir/data" --exec-root "$dir/exec" \
        --pidfile "$pidfile" >>"$dir/dockerd.log" 2>&1 </dev/null &
    wait_until "${DOCKERD_READY_TIMEOUT:-90}" "dockerd on $sock" "$dir/dockerd.log" answers
    echo "DOCKER_HOST=$DOCKER_HOST"
}

case "$action" in
    start) start ;;
    stop) stop_pidfile "$pidfile" ;;
    *) usage ;;
esac
