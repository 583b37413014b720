#!/usr/bin/env bash
# Build a Pulumi CLI and the Node.js language host from the Go module proxy,
# into a per-version cache (see lib.sh and docs/toolchain.md).
#
#   scripts/toolchain/build.sh           build if needed ("cached" if already built)
#   scripts/toolchain/build.sh --check   probe the module proxy, print a table, exit 0
#
# Environment:
#   OSIP_CACHE       cache root (default ~/.cache/os-image-pipeline)
#   OSIP_GOSUMDB     GOSUMDB for the build (default "off": the checksum database is not
#                    reachable here; the builds run with -mod=readonly, so the go.sum
#                    files shipped in the pulumi modules still pin every dependency)
#   LANGHOST_GO_GET  optional "mod@ver ..." to `go get` in the language host's
#                    scratch copy before building (for newer Go releases that
#                    reject an old dependency)
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$SCRIPT_DIR/lib.sh"

usage() {
    awk 'NR == 1 || /^# shellcheck/ { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "${BASH_SOURCE[0]}"
}

# --check ----------------------------------------------------------------------

proxy_base() {
    local list entry
    if command -v go >/dev/null 2>&1; then
        list="$(go env GOPROXY)"
    else
        list="${GOPROXY:-}"
    fi
    local IFS=',|'
    for entry in $list; do
        case "$entry" in
            http://* | https://*)
                printf '%s\n' "${entry%/}"
                return 0
                ;;
        esac
    done
    echo "no http(s) module proxy in GOPROXY='$list'" >&2
    return 1
}

# Module path escaping of the GOPROXY protocol: upper case -> "!" + lower case.
escape_path() {
    printf '%s' "$1" | sed 's/[A-Z]/!\L&/g'
}

# probe LABEL URL : one table row.
probe() {
    local label=$1 url=$2 body code status first
    body="$(mktemp)"
    code="$(curl -sS -m 60 -o "$body" -w '%{http_code}' "$url" 2>"$body.err" || true)"
    first="$(head -n 1 "$body" | tr -d '\r')"
    if [ "$code" = "000" ] || [ -z "$code" ]; then
        status=ERROR
        first="no answer: $(head -n 1 "$body.err")"
    else
        if [ "$code" = "200" ]; then status=OK; else status=REFUSED; fi
        [ -n "$first" ] || first="(empty body)"
        first="HTTP $code: $first"
    fi
    rm -f "$body" "$body.err"
    printf '%-8s %-88s %s\n' "$status" "$label" "$first"
}

check() {
    local base mod ver esc
    if ! command -v curl >/dev/null 2>&1; then
        echo "--check needs curl (apt-get install curl)" >&2
        exit 2
    fi
    base="$(proxy_base)" || exit 2
    echo "# Go module proxy: $base   ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
    printf '%-8s %-88s %s\n' STATUS QUERY "PROXY ANSWER (first line)"
    local -a queries=(
        "$PULUMI_PKG_MODULE@v$PULUMI_VERSION"
        "$PULUMI_SDK_MODULE@v$PULUMI_VERSION"
        "$PULUMI_SDK_MODULE@v$LANGHOST_SDK_VERSION"
        "$LANGHOST_MODULE@v$PULUMI_VERSION"
        "$LANGHOST_MODULE@list"
        "github.com/pulumi/pulumi-command/provider@7f3eb6f3b77cd0fa3895ba437a695dd393f7dd25"
        "github.com/pulumi/pulumi-command/provider@list"
        "github.com/pulumi/pulumi-openstack/provider/v3@a9de4228c2fb662fe6b3ba6270e13ecb263c2ec9"
        "github.com/pulumi/pulumi-openstack/provider/v3@list"
        "github.com/pulumi/pulumi-docker/provider/v4@d8e789826ba197d24d71eb53d124c358ffcc3782"
        "github.com/pulumi/pulumi-docker/provider/v4@list"
        "github.com/pulumi/pulumi-go-provider@latest"
        "github.com/pulumi/pulumi-go-provider@list"
    )
    local q
    for q in "${queries[@]}"; do
        mod="${q%@*}"
        ver="${q##*@}"
        esc="$(escape_path "$mod")"
        case "$ver" in
            list) probe "$mod/@v/list" "$base/$esc/@v/list" ;;
            latest) probe "$mod@latest" "$base/$esc/@latest" ;;
            *) probe "$mod@$ver" "$base/$esc/@v/$(escape_path "$ver").info" ;;
        esac
    done
    exit 0
}

# build ------------------------------------------------------------------------

WORK=""
CHILD_PID=""
HEARTBEAT_PID=""

cleanup() {
    local rc=$?
    if [ -n "$HEARTBEAT_PID" ]; then kill "$HEARTBEAT_PID" 2>/dev/null || true; fi
    if [ -n "$CHILD_PID" ]; then kill "$CHILD_PID" 2>/dev/null || true; fi
    if [ -n "$WORK" ] && [ -d "$WORK" ]; then
        chmod -R u+w "$WORK" 2>/dev/null || true
        rm -rf "$WORK"
    fi
    if [ "$rc" -ne 0 ] && [ -n "${TOOLCHAIN_LOG:-}" ]; then
        progress "FAILED (exit $rc); full log: $TOOLCHAIN_LOG"
    fi
    exit "$rc"
}

# run STEP_DESCRIPTION CMD... : run CMD with output appended to the log, a
# heartbeat line every 60 s, and the elapsed time at the end.
run() {
    local desc=$1 t0 rc=0 me=$$
    shift
    t0=$(date +%s)
    progress "$desc ..."
    # Background jobs get fd 9 (the build lock) closed, so that nothing that
    # outlives this script (a sleep, an orphaned compiler) keeps the lock.
    (
        n=0
        while sleep 5; do
            kill -0 "$me" 2>/dev/null || exit 0
            n=$((n + 1))
            if [ $((n % 12)) -eq 0 ]; then
                progress "  ... still $desc ($(($(date +%s) - t0))s)"
            fi
        done
    ) 9>&- &
    HEARTBEAT_PID=$!
    printf '\n### %s\n### %s\n' "$desc" "$*" >>"$TOOLCHAIN_LOG"
    "$@" >>"$TOOLCHAIN_LOG" 2>&1 9>&- &
    CHILD_PID=$!
    wait "$CHILD_PID" || rc=$?
    CHILD_PID=""
    kill "$HEARTBEAT_PID" 2>/dev/null || true
    wait "$HEARTBEAT_PID" 2>/dev/null || true
    HEARTBEAT_PID=""
    if [ "$rc" -ne 0 ]; then
        progress "$desc failed after $(($(date +%s) - t0))s (exit $rc); last lines of $TOOLCHAIN_LOG:"
        tail -n 40 "$TOOLCHAIN_LOG" >&2
        return "$rc"
    fi
    progress "$desc done in $(($(date +%s) - t0))s"
}

# module_dir MODULE@VERSION : download into the module cache, print its Dir.
module_dir() {
    local json dir
    json="$(go mod download -json "$1" 2>>"$TOOLCHAIN_LOG")" || {
        printf '%s\n' "$json" >>"$TOOLCHAIN_LOG"
        progress "go mod download $1 failed:"
        printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Error": //p' >&2
        return 1
    }
    dir="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
    if [ -z "$dir" ] || [ ! -d "$dir" ]; then
        progress "no Dir for $1 in: $json"
        return 1
    fi
    printf '%s\n' "$dir"
}

# copy_module SRC DST : writable copy of a module cache dir, without testdata/
# directories (no package that the two binaries build embeds from one; they
# are ~18,000 of pkg's ~20,000 files, so this makes the copy ~10x faster).
copy_module() {
    mkdir -p "$2"
    tar -C "$1" --exclude=testdata -cf - . | tar -C "$2" -xf -
    chmod -R u+w "$2"
}

ldflags_for() {
    printf '%s' "-s -w -X $PULUMI_VERSION_SYMBOL=v$1"
}

build_cli() {
    local pkg sdk need have
    module_dir_into pkg "$PULUMI_PKG_MODULE@v$PULUMI_VERSION"
    module_dir_into sdk "$PULUMI_SDK_MODULE@v$PULUMI_VERSION"
    progress "copying pkg + sdk v$PULUMI_VERSION into $WORK/cli/{pkg,sdk}"
    mkdir -p "$WORK/cli"
    copy_module "$pkg" "$WORK/cli/pkg"
    copy_module "$sdk" "$WORK/cli/sdk"
    if ! grep -Eq "^replace $PULUMI_SDK_MODULE => \.\./sdk" "$WORK/cli/pkg/go.mod"; then
        (cd "$WORK/cli/pkg" && go mod edit -replace "$PULUMI_SDK_MODULE=../sdk")
    fi
    need="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$WORK/cli/pkg/go.mod")"
    have="$(go env GOVERSION)"
    have="${have#go}"
    if [ -n "$need" ] && [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n 1)" != "$need" ] &&
        [ "$(go env GOTOOLCHAIN)" = "local" ]; then
        progress "pkg v$PULUMI_VERSION needs go >= $need, have $have with GOTOOLCHAIN=local;"
        progress "rerun with GOTOOLCHAIN=auto (the proxy serves golang.org/toolchain) or install a newer Go"
        return 1
    fi
    # No ( ) subshell here: the INT/TERM traps must be able to stop go.
    cd "$WORK/cli/pkg"
    run "downloading pulumi CLI dependencies (go list -deps)" \
        go list -deps -tags "$TOOLCHAIN_GO_TAGS" ./cmd/pulumi
    run "building pulumi CLI v$PULUMI_VERSION" \
        env CGO_ENABLED=0 go build -trimpath -tags "$TOOLCHAIN_GO_TAGS" \
        -ldflags "$(ldflags_for "$PULUMI_VERSION")" -o "$WORK/bin/pulumi" ./cmd/pulumi
    cd "$WORK"
    local out
    out="$(PULUMI_SKIP_UPDATE_CHECK=true PULUMI_HOME="$WORK/home" "$WORK/bin/pulumi" version)"
    if [ "$out" != "v$PULUMI_VERSION" ]; then
        progress "built pulumi reports '$out', expected v$PULUMI_VERSION"
        return 1
    fi
    mv -f "$WORK/bin/pulumi" "$TOOLCHAIN_BIN/pulumi"
    progress "installed $TOOLCHAIN_BIN/pulumi ($out)"
}

build_langhost() {
    local sdk spec
    module_dir_into sdk "$PULUMI_SDK_MODULE@v$LANGHOST_SDK_VERSION"
    progress "copying sdk v$LANGHOST_SDK_VERSION into $WORK/langhost"
    copy_module "$sdk" "$WORK/langhost"
    cd "$WORK/langhost"
    # shellcheck disable=SC2086 # word splitting of the list is intended
    for spec in ${LANGHOST_GO_GET:-}; do
        run "go get $spec (language host scratch module)" go get "$spec"
    done
    run "downloading language host dependencies (go list -deps)" \
        go list -deps -tags "$TOOLCHAIN_GO_TAGS" ./nodejs/cmd/pulumi-language-nodejs
    run "building pulumi-language-nodejs from sdk v$LANGHOST_SDK_VERSION" \
        env CGO_ENABLED=0 go build -trimpath -tags "$TOOLCHAIN_GO_TAGS" \
        -ldflags "$(ldflags_for "$LANGHOST_SDK_VERSION")" \
        -o "$WORK/bin/pulumi-language-nodejs" ./nodejs/cmd/pulumi-language-nodejs
    cd "$WORK"
    local out
    out="$("$WORK/bin/pulumi-language-nodejs" -h 2>&1 || true)"
    case "$out" in
        *-typescript*) ;;
        *)
            progress "built pulumi-language-nodejs does not run as expected: $out"
            return 1
            ;;
    esac
    mv -f "$WORK/bin/pulumi-language-nodejs" "$TOOLCHAIN_BIN/pulumi-language-nodejs"
    progress "installed $TOOLCHAIN_BIN/pulumi-language-nodejs ($LANGHOST_PACKAGE@v$LANGHOST_SDK_VERSION)"
}

# module_dir_into VAR MODULE@VERSION : like module_dir, with progress + timing
# (a function and not $(...) so that a failure stops the build under set -e).
module_dir_into() {
    local __var=$1 __mod=$2 __t0 __dir
    __t0=$(date +%s)
    progress "downloading module $__mod ..."
    module_dir "$__mod" >"$WORK/.dir"
    __dir="$(cat "$WORK/.dir")"
    progress "downloading module $__mod done in $(($(date +%s) - __t0))s ($__dir)"
    printf -v "$__var" '%s' "$__dir"
}

build() {
    local t_start
    t_start=$(date +%s)

    # Fast path: nothing to do (no lock, no go needed).
    if toolchain_built; then
        echo "cached: $TOOLCHAIN_BIN (pulumi v$PULUMI_VERSION, pulumi-language-nodejs from sdk v$LANGHOST_SDK_VERSION)"
        exit 0
    fi

    mkdir -p "$TOOLCHAIN_BIN" "$TOOLCHAIN_PLUGINS" "$TOOLCHAIN_LOGS"

    # One build at a time per cache dir; a second caller waits, then re-checks.
    exec 9>"$TOOLCHAIN_DIR/.build.lock"
    if ! flock -n 9; then
        progress "another build holds $TOOLCHAIN_DIR/.build.lock; waiting ..."
        flock 9
        if toolchain_built; then
            echo "cached: $TOOLCHAIN_BIN (built by a concurrent run)"
            exit 0
        fi
    fi

    if ! command -v go >/dev/null 2>&1; then
        progress "go not found on PATH; install Go >= 1.26 first"
        exit 1
    fi

    TOOLCHAIN_LOG="$TOOLCHAIN_LOGS/build-$(date +%Y%m%d-%H%M%S).log"
    : >"$TOOLCHAIN_LOG"
    ln -sfn "$(basename "$TOOLCHAIN_LOG")" "$TOOLCHAIN_LOGS/build.log"

    # Leftovers of killed builds (SIGKILL skips the trap); we hold the lock.
    local stale
    for stale in "$TOOLCHAIN_DIR"/.build.*; do
        [ -d "$stale" ] || continue
        chmod -R u+w "$stale" 2>/dev/null || true
        rm -rf "$stale"
    done
    # Scratch dir on the same filesystem as bin/, so the final mv is a rename.
    WORK="$(mktemp -d "$TOOLCHAIN_DIR/.build.XXXXXX")"
    mkdir -p "$WORK/bin"
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    # -mod=readonly: every module is checked against the go.sum shipped in
    # pkg v3.274.1 / sdk v3.52.0 (they are complete), nothing is added silently.
    export GOFLAGS="-mod=readonly -buildvcs=false"
    export GOSUMDB="${OSIP_GOSUMDB:-off}"
    progress "go: $(go env GOVERSION), GOPROXY=$(go env GOPROXY), GOSUMDB=$GOSUMDB, GOMODCACHE=$(go env GOMODCACHE), GOCACHE=$(go env GOCACHE)"
    progress "go output goes to $TOOLCHAIN_LOG (latest: $TOOLCHAIN_LOGS/build.log)"

    if toolchain_pulumi_ok; then
        progress "pulumi CLI v$PULUMI_VERSION already in cache, skipping"
    else
        build_cli
    fi
    if toolchain_langhost_ok; then
        progress "pulumi-language-nodejs already in cache, skipping"
    else
        build_langhost
    fi

    toolchain_built || {
        progress "binaries installed but the final check failed"
        exit 1
    }
    progress "done in $(($(date +%s) - t_start))s: $TOOLCHAIN_BIN"
    progress "use it with: source scripts/toolchain/env.sh"
}

case "${1:-}" in
    "") build ;;
    --check) check ;;
    -h | --help) usage ;;
    *)
        usage >&2
        exit 2
        ;;
esac
