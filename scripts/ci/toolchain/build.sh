#!/usr/bin/env bash
# Set up the Pulumi toolchain this checkout runs with (docs/toolchain.md), idempotently:
#   - the pulumi CLI and the Node.js language host v3.248.0 (lib.sh: PULUMI_VERSION);
#   - the provider plugins command, openstack and docker at the exact versions of their npm
#     SDKs in package.json, installed with `pulumi plugin install --file` into .toolchain/home;
#   - the Node SDK @pulumi/openstack, when package.json points at .toolchain/ for it.
# What is already installed at these exact versions is used as it is (a `pulumi` on PATH with
# its language host beside it; plugins in ${PULUMI_HOME:-~/.pulumi}); anything else is built
# from the upstream archives in OSIP_THIRD_PARTY plus the Go module proxy, and cached by version
# under ~/.cache/os-image-pipeline/toolchain. A progress line per step, one every 30 s on long
# steps; a killed build resumes where it stopped.
#
#   scripts/ci/toolchain/build.sh           set up (prints "ready: ..." when done)
#
# Environment:
#   OSIP_THIRD_PARTY  folder of the upstream archives and SHA256SUMS (default ../shared/third_party)
#   OSIP_CACHE        cache root (default ~/.cache/os-image-pipeline)
#   OSIP_GOSUMDB      GOSUMDB for the builds (default off: the checksum database is not reachable
#                     here; the go.sum files of the sources still pin every module's hash)
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$SCRIPT_DIR/lib.sh"
# shellcheck source=steps.sh
source "$SCRIPT_DIR/steps.sh"

case "${1:-}" in
    "") ;;
    *)
        awk 'NR == 1 || /^# shellcheck/ { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "${BASH_SOURCE[0]}" >&2
        exit 2
        ;;
esac

# The user's own Pulumi home, where `pulumi plugin install` puts plugins on a connected machine.
USER_PULUMI_HOME="${PULUMI_HOME:-${HOME:-/tmp}/.pulumi}"
export PULUMI_HOME="$PROJECT_PULUMI_HOME"
export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true

cleanup() {
    local rc=$?
    if [ -n "$HEARTBEAT_PID" ]; then kill "$HEARTBEAT_PID" 2>/dev/null || true; fi
    if [ -n "$CHILD_PID" ]; then kill "$CHILD_PID" 2>/dev/null || true; fi
    if [ "$rc" -ne 0 ]; then progress "FAILED (exit $rc); full log: ${TOOLCHAIN_LOG:-none}"; fi
    exit "$rc"
}

# installed_engine : a pulumi v$PULUMI_VERSION on PATH with its language host beside it or on PATH.
installed_engine() {
    local cli host
    cli="$(command -v pulumi)" || return 1
    [ "$(dirname "$cli")" != "$PROJECT_BIN" ] || return 1
    pulumi_reports "$cli" || return 1
    host="$(dirname "$cli")/pulumi-language-nodejs"
    [ -x "$host" ] || host="$(command -v pulumi-language-nodejs)" || return 1
    langhost_reports "$host" || return 1
    printf '%s\n%s\n' "$cli" "$host"
}

setup_engine() {
    local found cli host cache="$TOOLCHAIN_CACHE/pulumi-v$PULUMI_VERSION/bin"
    if found="$(installed_engine)"; then
        cli="$(sed -n 1p <<<"$found")"
        host="$(sed -n 2p <<<"$found")"
        progress "using the installed pulumi $cli and $host (v$PULUMI_VERSION)"
    else
        cli="$cache/pulumi"
        host="$cache/pulumi-language-nodejs"
        if pulumi_reports "$cli"; then progress "pulumi v$PULUMI_VERSION: cached"; else build_cli "$cli"; fi
        if langhost_reports "$host"; then
            progress "pulumi-language-nodejs v$PULUMI_VERSION: cached"
        else
            build_langhost "$host"
        fi
        pulumi_reports "$cli" || { progress "$cli does not report v$PULUMI_VERSION"; return 1; }
        langhost_reports "$host" || { progress "$host does not report v$PULUMI_VERSION"; return 1; }
    fi
    mkdir -p "$PROJECT_BIN"
    ln -sfn "$cli" "$PROJECT_BIN/pulumi"
    ln -sfn "$host" "$PROJECT_BIN/pulumi-language-nodejs"
}

setup_plugin() {
    local name=$1 version file installed
    version="$(plugin_version "$name")"
    installed="$PROJECT_PULUMI_HOME/plugins/resource-$name-v$version"
    if [ -x "$installed/pulumi-resource-$name" ] && [ ! -e "$installed.partial" ]; then
        progress "plugin $name $version: installed"
        return 0
    fi
    file="$USER_PULUMI_HOME/plugins/resource-$name-v$version/pulumi-resource-$name"
    if [ "$USER_PULUMI_HOME" != "$PROJECT_PULUMI_HOME" ] && [ -x "$file" ]; then
        progress "plugin $name $version: using $file"
    else
        file="$TOOLCHAIN_CACHE/plugins/$name-v$version/pulumi-resource-$name"
        if [ -x "$file" ]; then
            progress "plugin $name $version: cached"
        else
            "build_plugin_$name" "$file" "$version"
        fi
    fi
    run "installing plugin $name $version into $PROJECT_PULUMI_HOME" \
        "$PROJECT_BIN/pulumi" plugin install resource "$name" "$version" --file "$file"
}

# The Node SDK, when package.json takes @pulumi/openstack from .toolchain/ (not from a registry).
setup_openstack_sdk() {
    local version cache dest
    case "$(pinned @pulumi/openstack)" in file:*) ;; *) return 0 ;; esac
    version="$(plugin_version openstack)"
    cache="$TOOLCHAIN_CACHE/sdk/openstack-v$version"
    dest="$PROJECT_OPENSTACK_SDK-v$version"
    if [ -f "$dest/package.json" ] && [ -f "$dest/index.js" ]; then
        progress "@pulumi/openstack $version SDK: installed"
        return 0
    fi
    if [ -f "$cache/index.js" ]; then
        progress "@pulumi/openstack $version SDK: cached"
    else
        build_openstack_sdk "$cache" "$version"
    fi
    rm -rf "$dest.tmp" && cp -a "$cache" "$dest.tmp" && rm -rf "$dest" && mv "$dest.tmp" "$dest"
    progress "@pulumi/openstack $version SDK in $dest (npm ci installs it from there)"
}

main() {
    local t0 name
    t0=$(date +%s)
    command -v node >/dev/null 2>&1 || { progress "node not found: install Node.js 20"; exit 1; }
    mkdir -p "$TOOLCHAIN_LOGS" "$PROJECT_PULUMI_HOME"
    # One set-up at a time per cache; a second caller waits for the first.
    exec 9>"$TOOLCHAIN_CACHE/.lock"
    if ! flock -n 9; then
        progress "another set-up holds $TOOLCHAIN_CACHE/.lock; waiting ..."
        flock 9
    fi
    TOOLCHAIN_LOG="$TOOLCHAIN_LOGS/build-$(date +%Y%m%d-%H%M%S)-$$.log"
    : >"$TOOLCHAIN_LOG"
    ln -sfn "$(basename "$TOOLCHAIN_LOG")" "$TOOLCHAIN_LOGS/build.log"
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    export GOFLAGS="-mod=mod -buildvcs=false" GOSUMDB="${OSIP_GOSUMDB:-off}"
    # Without go, fine while nothing needs building; a build step then says go is missing.
    if command -v go >/dev/null 2>&1; then
        progress "go $(go env GOVERSION), GOPROXY=$(go env GOPROXY), caches $(go env GOMODCACHE) and $(go env GOCACHE); compiler output: $TOOLCHAIN_LOG"
    fi
    setup_engine
    for name in $PROVIDER_PLUGINS; do setup_plugin "$name"; done
    setup_openstack_sdk
    progress "ready in $(($(date +%s) - t0))s: $("$PROJECT_BIN/pulumi" version), plugins in $PROJECT_PULUMI_HOME (source scripts/ci/toolchain/env.sh)"
}

main
