# shellcheck shell=bash disable=SC2034 # constants are used by the scripts that source this
# Shared constants and helpers for scripts/ci/toolchain/*.sh (docs/toolchain.md).
#
# Sourced by build.sh, steps.sh and env.sh. Because env.sh is sourced into interactive shells,
# this file must not change shell options, must not exit, and only defines variables/functions.

# Versions: one Pulumi version everywhere (CLI, language host, @pulumi/pulumi in package.json).
PULUMI_VERSION=3.248.0
PULUMI_PKG_MODULE=github.com/pulumi/pulumi/pkg/v3
PULUMI_SDK_MODULE=github.com/pulumi/pulumi/sdk/v3
PULUMI_VERSION_SYMBOL=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version
# Provider plugins: npm package @pulumi/<name>; the plugin version is the exact SDK version pinned
# in package.json, so the two cannot drift apart.
PROVIDER_PLUGINS="command openstack docker"
# pulumi-docker's provider/go.mod replaces the Terraform provider with this release, patched.
DOCKER_UPSTREAM_VERSION=3.9.0
# Same flags for every Go build, so the builds share one module and one build cache.
TOOLCHAIN_GO_TAGS=osusergo,grpcnotrace

TOOLCHAIN_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
# The upstream source archives the Go module proxy refuses (a folder with SHA256SUMS).
OSIP_THIRD_PARTY="${OSIP_THIRD_PARTY:-$TOOLCHAIN_REPO/../shared/third_party}"

# Cache (shared by every checkout of the user, keyed by version):
#   $CACHE/pulumi-v<ver>/bin/{pulumi,pulumi-language-nodejs}
#   $CACHE/plugins/<name>-v<ver>/pulumi-resource-<name>
#   $CACHE/sdk/openstack-v<ver>/                      the built Node SDK package
#   $CACHE/src/<archive>/                             extracted sources (restartable builds)
#   $CACHE/logs/build-*.log, logs/build.log -> latest all compiler output
OSIP_CACHE_ROOT="${OSIP_CACHE:-${HOME:-/tmp}/.cache/os-image-pipeline}"
TOOLCHAIN_CACHE="$OSIP_CACHE_ROOT/toolchain"
TOOLCHAIN_LOGS="$TOOLCHAIN_CACHE/logs"
# Project-local (git-ignored): what this checkout uses.
#   .toolchain/bin/       links to the pulumi CLI and language host in use
#   .toolchain/home/      PULUMI_HOME: plugins installed with `pulumi plugin install --file`
#   .toolchain/openstack-sdk/  the Node SDK that package.json's @pulumi/openstack points at
PROJECT_TOOLCHAIN="$TOOLCHAIN_REPO/.toolchain"
PROJECT_BIN="$PROJECT_TOOLCHAIN/bin"
PROJECT_PULUMI_HOME="$PROJECT_TOOLCHAIN/home"
PROJECT_OPENSTACK_SDK="$PROJECT_TOOLCHAIN/openstack-sdk"

# progress MESSAGE... : timestamped line on stderr (and in $TOOLCHAIN_LOG if set).
progress() {
    local line
    line="[toolchain $(date +%H:%M:%S)] $*"
    printf '%s\n' "$line" >&2
    if [ -n "${TOOLCHAIN_LOG:-}" ] && [ -w "${TOOLCHAIN_LOG}" ]; then
        printf '%s\n' "$line" >>"$TOOLCHAIN_LOG"
    fi
}

# plugin_version NAME : exact version of @pulumi/NAME in package.json, without a leading "v".
plugin_version() {
    node -e '
        const deps = require(process.argv[1]).dependencies || {};
        const v = deps["@pulumi/" + process.argv[2]];
        if (!v) { console.error("@pulumi/" + process.argv[2] + " is not a dependency in package.json"); process.exit(1); }
        const m = /^(?:file:.*-v)?v?(\d+\.\d+\.\d+)$/.exec(v);
        if (!m) { console.error("@pulumi/" + process.argv[2] + ": \"" + v + "\" names no exact version"); process.exit(1); }
        console.log(m[1]);
    ' "$TOOLCHAIN_REPO/package.json" "$1"
}

# pulumi_reports BINARY : the binary prints v$PULUMI_VERSION for `pulumi version`.
pulumi_reports() {
    [ -x "$1" ] || return 1
    [ "$(PULUMI_SKIP_UPDATE_CHECK=true PULUMI_HOME="${PULUMI_HOME:-$PROJECT_PULUMI_HOME}" "$1" version 2>/dev/null)" = "v$PULUMI_VERSION" ]
}

# langhost_reports BINARY : the language host prints v$PULUMI_VERSION for `-version`.
langhost_reports() {
    [ -x "$1" ] || return 1
    case "$("$1" -version 2>/dev/null)" in
        "v$PULUMI_VERSION" | "$PULUMI_VERSION") return 0 ;;
        *) return 1 ;;
    esac
}
