# shellcheck shell=bash
# Shared by the test machine backends, lab-instance.sh and nova-instance.sh (sourced): when a
# machine counts as usable, and what happens to one that never becomes usable. The caller defines
#   log MESSAGE / fail MESSAGE   its log line on stderr / that line, then exit 1
#   boot ATTEMPT                 a fresh machine: 0 once usable, 1 with `reason` set otherwise
#   machine_down SECONDS         0 with `reason` set when the machine can no longer become usable
#   console_excerpt LINES        the machine's last console lines
#   discard                      gets rid of a machine that failed

# usable KEY PORT USER HOST: SSH answers and cloud-init finished. cloud-init regenerates the host
# keys and restarts sshd on the way, so an early "SSH works" can be followed by refused connections.
usable() {
    timeout 120 ssh -q -i "$1" -p "$2" -o BatchMode=yes -o ConnectTimeout=5 \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "$3@$4" \
        'cloud-init status --wait >/dev/null 2>&1; test -f /var/lib/cloud/instance/boot-finished' 2>/dev/null
}

# wait_usable ATTEMPT SECONDS KEY PORT USER HOST: 0 once the machine is usable; 1 with `reason`
# set when it is down or SECONDS passed. Says every 30 s how long it has waited and what the
# console shows.
wait_usable() {
    local attempt=$1 wait=$2 t0=$SECONDS deadline=$((SECONDS + $2)) next=$((SECONDS + 30))
    shift 2
    until usable "$@"; do
        machine_down $((SECONDS - t0)) && return 1
        if ((SECONDS >= deadline)); then
            reason="no SSH and finished cloud-init after ${wait}s"
            return 1
        fi
        if ((SECONDS >= next)); then
            log "waiting for SSH and cloud-init ($((SECONDS - t0))s; console: $(console_excerpt 1 | cut -c1-80))"
            next=$((SECONDS + 30))
        fi
        sleep 5
    done
    log "SSH is up and cloud-init finished after $((SECONDS - t0))s (attempt $attempt)"
}

# boot_usable ATTEMPTS: boots fresh machines until one is usable; sets `attempt` to the one that
# is. A machine that never becomes usable is the infrastructure's failure, not the image's
# verdict: reported with its console, discarded, and retried on a fresh machine a bounded number
# of times.
boot_usable() {
    local attempts=$1
    for ((attempt = 1; ; attempt++)); do
        boot "$attempt" && break
        log "infrastructure failure (attempt $attempt of $attempts): $reason; console:"
        console_excerpt 15 | sed 's/^/    /' >&2
        discard
        ((attempt < attempts)) || fail "no usable machine after $attempts attempts (infrastructure): $reason"
    done
}

# Console text made printable for a log line: no terminal escapes, no control characters.
printable() { sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' | tr -cd '[:print:]\n'; }
