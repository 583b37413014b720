#!/usr/bin/env bash
# Shared by the service scripts: logging, readiness waits, bounded retries of idempotent calls.
# shellcheck disable=SC2034 # SERVICE is set by the sourcing script

# usage: the calling script's header comment (from line 2 to its first non-comment line), exit 2.
usage() {
    sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0" >&2
    exit 2
}

# service_args MIN "$@": at least MIN arguments, else usage; sets `action` ($1) and `dir` ($2,
# created, absolute).
service_args() {
    (($# - 1 >= $1)) || usage
    action=$2
    dir=$(mkdir -p "$3" && cd "$3" && pwd)
}

log() { echo "[${SERVICE:-service} $(date +%T)] $*" >&2; }
fail() {
    log "$*"
    exit 1
}

# wait_until SECONDS WHAT LOG CMD...: polls CMD every half second; on timeout names WHAT and shows
# the tail of LOG. A progress line every 30 s keeps a slow start visible.
wait_until() {
    local timeout=$1 what=$2 logfile=$3 t0 next
    shift 3
    t0=$(date +%s)
    next=$((t0 + 30))
    until "$@" >/dev/null 2>&1; do
        if (($(date +%s) - t0 >= timeout)); then
            log "$what not ready within ${timeout}s; last lines of $logfile:"
            tail -n 20 "$logfile" >&2 2>/dev/null || true
            exit 1
        fi
        if (($(date +%s) >= next)); then
            log "waiting for $what ($(($(date +%s) - t0))s)"
            next=$((next + 30))
        fi
        sleep 0.5
    done
    log "$what ready in $(($(date +%s) - t0))s"
}

# retry N CMD...: runs an idempotent CMD up to N times, 2 s apart (a reset connection, a service
# still warming up); the last failure's exit status is returned.
retry() {
    local n=$1 i=1 rc=0
    shift
    while true; do
        "$@" && return 0
        rc=$?
        ((i >= n)) && return "$rc"
        log "attempt $i of $n failed (exit $rc): retrying: $1 ${2:-}"
        i=$((i + 1))
        sleep 2
    done
}

# require_free_port PORT WHAT: fails naming the port when something else already listens on it
# (another checkout's lab, say): using it would mix two labs' state and credentials.
require_free_port() {
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
        fail "127.0.0.1:$1 is already in use by another process, not this $2 (stop it, or choose other ports: see scripts/dev/lab-services.sh)"
    fi
}

# http_ok URL: the URL answers with a 2xx or 3xx status.
http_ok() { curl -fsS -m 3 -o /dev/null "$1"; }

# stop_pidfile FILE: stops the process in FILE and waits (30 s, then SIGKILL).
stop_pidfile() {
    local pid
    [[ -f "$1" ]] || return 0
    pid=$(cat "$1")
    if kill "$pid" 2>/dev/null; then
        for _ in $(seq 1 60); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -0 "$pid" 2>/dev/null && { log "$pid still running after 30 s: killing it"; kill -9 "$pid" 2>/dev/null || true; }
    fi
    rm -f "$1"
}

# alive_pidfile FILE: the process in FILE runs.
alive_pidfile() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
