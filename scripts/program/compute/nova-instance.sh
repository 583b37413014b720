#!/usr/bin/env bash
# The Nova backend of TestInstance: a server of the test project booted from the image under test
# (the bare-metal flavor for physical use cases), usable once SSH answers and cloud-init finished.
#   nova-instance.sh create   user-data on stdin; prints {"id","address","attempts"} last
#   nova-instance.sh delete   deletes the server (none is fine); its console is kept first
# Environment: SERVER (the server's name: one per stack and test machine), INSTANCE (the test
# machine, in the log and in WORK_DIR/consoles/INSTANCE.log), IMAGE_ID, FLAVOR, NETWORK, KEY_PAIR,
# USE_CASE, SSH_USER and SSH_PRIVATE_KEY (the key of KEY_PAIR), BOOT_ATTEMPTS (fresh servers
# tried), BOOT_WAIT (seconds per server, from create to usable), DELETE_WAIT (seconds a delete may
# take), WORK_DIR (optional: where consoles are kept, as the lab keeps its VMs'), and the openstack
# CLI's OS_* variables (the password never reaches the log).
set -euo pipefail
: "${SERVER:?}" "${INSTANCE:?}" "${DELETE_WAIT:?}"
log() { echo "[nova-instance $(date +%T)] $INSTANCE: $*" >&2; }
fail() { log "$*"; exit 1; }
# shellcheck source=scripts/program/compute/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Ids of the servers named SERVER (the CLI's name filter is a pattern: exact matches only).
server_ids() {
    openstack server list --name "$SERVER" -f value -c ID -c Name |
        awk -v name="$SERVER" '$2 == name { print $1 }'
}

first_server() {
    local ids
    ids=$(server_ids)
    printf '%s' "${ids%%$'\n'*}"
}

# server_field PATH: one field of the server (e.g. status, fault.message); empty when absent.
server_field() {
    openstack server show -f json "$server_id" | node -e '
        const v = process.argv[1].split(".").reduce((o, k) => o?.[k], JSON.parse(require("fs").readFileSync(0, "utf8")));
        console.log(v ?? "");' "$1"
}

# The server's address on NETWORK, IPv4 first; nothing while it has none. The CLI shows addresses
# as {"net": ["10.0.0.5", "2001:db8::5"]}, versions before 5.5 as "net=10.0.0.5, 2001:db8::5".
server_address() {
    openstack server show -f json -c addresses "$server_id" | node -e '
        const all = JSON.parse(require("fs").readFileSync(0, "utf8")).addresses ?? {};
        const net = process.argv[1];
        const list = typeof all === "string"
            ? (all.split("; ").map((n) => n.split("=")).find(([name]) => name === net)?.[1] ?? "").split(", ")
            : all[net] ?? [];
        const address = list.find((ip) => ip && !ip.includes(":")) ?? list.find(Boolean);
        if (address) console.log(address);' "$NETWORK"
}

# lib.sh's hooks. A server in ERROR or SHUTOFF (its guest stopped) never becomes usable; asked at
# most every 30 s, the API being slower than the SSH check.
machine_down() {
    ((SECONDS >= status_due)) || return 1
    status_due=$((SECONDS + 30))
    local status
    status=$(server_field status) || return 1
    [[ $status == ERROR || $status == SHUTOFF ]] || return 1
    reason="the server went $status after ${1}s"
}

# Bare-metal nodes often have no console log: say so rather than fail.
console_excerpt() {
    if [[ -z $server_id ]] || ! openstack console log show --lines "${1:-5}" "$server_id" 2>/dev/null; then
        echo "(no console log from Nova)"
    fi | printable
}

discard() {
    keep_console
    delete_servers
}

# The server's whole console, for the report's cell.
keep_console() {
    [[ -n ${WORK_DIR:-} && -n $server_id ]] || return 0
    mkdir -p "$WORK_DIR/consoles"
    openstack console log show "$server_id" >"$WORK_DIR/consoles/$INSTANCE.log" 2>/dev/null || true
}

# Deletes every server named SERVER and waits until they are gone. Judged by what is left: a
# server gone in the meantime makes the CLI fail ("No server with a name or ID"), which is fine.
delete_servers() {
    local ids left list=()
    ids=$(server_ids)
    [[ -n $ids ]] || return 0
    mapfile -t list <<<"$ids"
    log "deleting server ${list[*]}"
    timeout "$DELETE_WAIT" openstack server delete --wait "${list[@]}" >&2 || true
    left=$(server_ids)
    [[ -z $left ]] || fail "server $SERVER (${left//$'\n'/ }) still there after ${DELETE_WAIT}s"
}

# boot ATTEMPT: a fresh server; sets `server_id` and `address`. Returns 0 once usable (lib.sh),
# 1 on an infrastructure failure (not ACTIVE, no address, down, or no SSH in time), with `reason`
# set. BOOT_WAIT bounds the whole attempt: a bare-metal deploy is part of the boot.
boot() {
    local attempt=$1 t0=$SECONDS status fault left
    server_id="" address="" status_due=0
    log "creating server $SERVER (attempt $attempt): flavor $FLAVOR, network $NETWORK, image $IMAGE_ID"
    # --wait returns once the server is ACTIVE, and fails once it is in ERROR.
    if ! timeout "$BOOT_WAIT" openstack server create --image "$IMAGE_ID" --flavor "$FLAVOR" \
        --network "$NETWORK" --key-name "$KEY_PAIR" --user-data "$tmp/user-data" \
        --property "osimages_use_case=$USE_CASE" --wait "$SERVER" >&2; then
        server_id=$(first_server)
        if [[ -z $server_id ]]; then
            reason="no server after $((SECONDS - t0))s (the create failed: see above)"
            return 1
        fi
        status=$(server_field status)
        fault=$(server_field fault.message)
        reason="the server is not ACTIVE after $((SECONDS - t0))s (status ${status:-unknown}${fault:+: $fault})"
        return 1
    fi
    server_id=$(first_server)
    log "server $server_id is ACTIVE after $((SECONDS - t0))s; waiting for its address on $NETWORK"
    until address=$(server_address) && [[ -n $address ]]; do
        machine_down $((SECONDS - t0)) && return 1
        if ((SECONDS - t0 >= BOOT_WAIT)); then
            reason="no address on $NETWORK after $((SECONDS - t0))s"
            return 1
        fi
        sleep 5
    done
    left=$((BOOT_WAIT - (SECONDS - t0)))
    log "address $address; waiting for SSH and cloud-init (${left}s left)"
    wait_usable "$attempt" $((left > 0 ? left : 0)) "$tmp/key" 22 "$SSH_USER" "$address"
}

create() {
    : "${IMAGE_ID:?}" "${FLAVOR:?}" "${NETWORK:?}" "${KEY_PAIR:?}" "${USE_CASE:?}" "${SSH_USER:?}"
    : "${SSH_PRIVATE_KEY:?}" "${BOOT_WAIT:?}"
    local server_id="" address="" status_due=0 reason attempt
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    cat >"$tmp/user-data"
    (umask 077 && printf '%s\n' "$SSH_PRIVATE_KEY" >"$tmp/key")
    # A server of this name is left by a create that was killed half-way (Pulumi deletes the one
    # it knows before it creates a replacement). What happened on it is unknown, so it is deleted,
    # never adopted: the evidence must come from a fresh boot of this image with this user-data.
    delete_servers
    boot_usable "${BOOT_ATTEMPTS:-2}"
    printf '{"id":"%s","address":"%s","attempts":%d}\n' "$server_id" "$address" "$attempt"
}

delete() {
    server_id=$(first_server)
    keep_console
    delete_servers
}

case "${1:-}" in
    create) create ;;
    delete) delete ;;
    *) echo "usage: nova-instance.sh create|delete" >&2; exit 2 ;;
esac
