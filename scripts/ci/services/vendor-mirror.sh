#!/usr/bin/env bash
# A vendor's image mirror on 127.0.0.1, for the vendor build path (download, SHA256SUMS check,
# virt-customize). It stands in for Debian's cloud image site, which this machine cannot reach:
# it serves DIR/www/debian/ with one image made here by the local builder and its SHA256SUMS.
#
#   scripts/ci/services/vendor-mirror.sh start DIR PORT VERSION   make the image of VERSION
#                                        (debian-VERSION-genericcloud-x86_64.qcow2, kept) and serve
#   scripts/ci/services/vendor-mirror.sh stop DIR                 stop serving
set -euo pipefail
SERVICE=vendor-mirror
# shellcheck source=scripts/ci/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

service_args 2 "$@"
pidfile="$dir/http.pid"
builder="$(dirname "${BASH_SOURCE[0]}")/../../program/build/local-debian.sh"
www="$dir/www/debian"

answers() { http_ok "http://127.0.0.1:$1/debian/SHA256SUMS"; }

# The stand-in for the vendor's image: built once with the local builder (its cache makes this a
# minute), published under the vendor's file name with its checksum.
publish() {
    local version=$1 name result artefact
    name="debian-$version-genericcloud-x86_64.qcow2"
    [[ -f "$www/$name" ]] && grep -q " $name\$" "$www/SHA256SUMS" 2>/dev/null && return 0
    log "making the vendor image $name with the local builder"
    result=$(DISTRO=vendor-debian ARCH=x86_64 RELEASE="$version" SUITE=bookworm WORK_DIR="$dir/build" \
        bash "$builder" | tail -n 1)
    artefact=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["artefact"])' "$result")
    mkdir -p "$www"
    mv "$artefact" "$www/$name"
    rm -rf "$dir/build"
    (cd "$www" && sha256sum -- *.qcow2 >SHA256SUMS.part && mv SHA256SUMS.part SHA256SUMS)
    log "published $name"
}

start() {
    local port=$1 version=$2
    publish "$version"
    if alive_pidfile "$pidfile" && answers "$port"; then return 0; fi
    require_free_port "$port" "vendor mirror ($dir)"
    setsid python3 -m http.server --bind 127.0.0.1 --directory "$dir/www" "$port" >>"$dir/http.log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    wait_until 30 "vendor mirror on 127.0.0.1:$port" "$dir/http.log" answers "$port"
}

case "$action" in
    start) [ $# -eq 4 ] || usage; start "$3" "$4" ;;
    stop) stop_pidfile "$pidfile" ;;
    *) usage ;;
esac
