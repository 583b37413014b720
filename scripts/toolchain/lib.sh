# shellcheck shell=bash disable=SC2034 # constants are used by the scripts that source this
# Shared constants and helpers for scripts/toolchain/*.sh.
#
# Sourced by build.sh, missing-plugins.sh and env.sh. Because env.sh is sourced
# into interactive shells, this file must not change shell options (no set -e,
# no set -u assumptions), must not exit, and only defines variables/functions.

# Versions ------------------------------------------------------------------
# Pulumi CLI, built from github.com/pulumi/pulumi/pkg/v3 + sdk/v3 at this tag.
PULUMI_VERSION=3.274.1
# Node.js language host. Its own module (sdk/nodejs/cmd/pulumi-language-nodejs/v3)
# is refused by the Go module proxy, but sdk/v3 up to v3.52.0 still carries the
# package nodejs/cmd/pulumi-language-nodejs inside the sdk module.
LANGHOST_SDK_VERSION=3.52.0

PULUMI_PKG_MODULE=github.com/pulumi/pulumi/pkg/v3
PULUMI_SDK_MODULE=github.com/pulumi/pulumi/sdk/v3
LANGHOST_MODULE=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
LANGHOST_PACKAGE=github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
PULUMI_VERSION_SYMBOL=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version
# Build tags and flags used for both binaries (same as Pulumi's release builds).
TOOLCHAIN_GO_TAGS=osusergo,grpcnotrace

# Provider plugins this project needs: npm package @pulumi/<name>; the plugin
# version is the exact npm SDK version pinned in package.json.
PROVIDER_PLUGINS="command openstack docker"

# Cache layout ----------------------------------------------------------------
#   $TOOLCHAIN_DIR/bin/pulumi, bin/pulumi-language-nodejs   built binaries
#   $TOOLCHAIN_DIR/plugins/                                  plugins (PULUMI_HOME=$TOOLCHAIN_DIR)
#   $TOOLCHAIN_DIR/build-logs/build-*.log, build.log -> latest   go output of builds
#   ($TOOLCHAIN_DIR/logs/ is Pulumi's own automatic CLI logs, as PULUMI_HOME/logs)
OSIP_CACHE_ROOT="${OSIP_CACHE:-${HOME:-/tmp}/.cache/os-image-pipeline}"
TOOLCHAIN_DIR="$OSIP_CACHE_ROOT/toolchain/pulumi-v${PULUMI_VERSION}-langhost-v${LANGHOST_SDK_VERSION}"
TOOLCHAIN_BIN="$TOOLCHAIN_DIR/bin"
TOOLCHAIN_PLUGINS="$TOOLCHAIN_DIR/plugins"
TOOLCHAIN_LOGS="$TOOLCHAIN_DIR/build-logs"

# Helpers ---------------------------------------------------------------------

# progress MESSAGE... : timestamped line on stderr (and in $TOOLCHAIN_LOG if set).
progress() {
    local line
    line="[toolchain $(date +%H:%M:%S)] $*"
    printf '%s\n' "$line" >&2
    if [ -n "${TOOLCHAIN_LOG:-}" ] && [ -w "${TOOLCHAIN_LOG}" ]; then
        printf '%s\n' "$line" >>"$TOOLCHAIN_LOG"
    fi
}

# toolchain_pulumi_ok : bin/pulumi exists and reports v$PULUMI_VERSION.
toolchain_pulumi_ok() {
    local out
    [ -x "$TOOLCHAIN_BIN/pulumi" ] || return 1
    out="$(PULUMI_SKIP_UPDATE_CHECK=true PULUMI_HOME="$TOOLCHAIN_DIR" "$TOOLCHAIN_BIN/pulumi" version 2>/dev/null)" || return 1
    [ "$out" = "v$PULUMI_VERSION" ]
}

# toolchain_langhost_ok : bin/pulumi-language-nodejs exists and runs. It has no
# version flag; its usage text lists -typescript (exit status of -h is 2).
toolchain_langhost_ok() {
    local out
    [ -x "$TOOLCHAIN_BIN/pulumi-language-nodejs" ] || return 1
    out="$("$TOOLCHAIN_BIN/pulumi-language-nodejs" -h 2>&1 || true)"
    case "$out" in
        *-typescript*) return 0 ;;
        *) return 1 ;;
    esac
}

# toolchain_built : both binaries present and sane.
toolchain_built() {
    toolchain_pulumi_ok && toolchain_langhost_ok
}
