# shellcheck shell=bash
# Source this (bash) to use the toolchain built by scripts/toolchain/build.sh:
#
#   source scripts/toolchain/env.sh
#
# - puts the cached bin/ (pulumi, pulumi-language-nodejs) first on PATH
# - exports the variables that keep the CLI offline (no update check, no
#   automatic plugin downloads, no registry look-ups)
# - sets PULUMI_HOME to the cache dir unless already set, so that
#   `pulumi plugin install ... --file` puts plugins under <cache>/plugins
#
# It does not pick a backend or a passphrase; see docs/toolchain.md
# (`pulumi login file://...` or PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE).
# It changes no shell options (no set -e/-u) and never exits the caller's shell.
# shellcheck source-path=SCRIPTDIR

if [ -z "${BASH_VERSION:-}" ]; then
    echo "scripts/toolchain/env.sh: needs bash" >&2
    # shellcheck disable=SC2317 # exit is reached when executed instead of sourced
    return 1 2>/dev/null || exit 1
fi
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    echo "scripts/toolchain/env.sh is meant to be sourced: source ${BASH_SOURCE[0]}" >&2
    exit 2
fi

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh" || return 1

# PATH: remove any existing occurrence of the bin dir, then prepend it.
_osip_path=":${PATH:-}:"
while [[ $_osip_path == *":$TOOLCHAIN_BIN:"* ]]; do
    _osip_path="${_osip_path/:"$TOOLCHAIN_BIN":/:}"
done
_osip_path="${_osip_path#:}"
_osip_path="${_osip_path%:}"
export PATH="$TOOLCHAIN_BIN${_osip_path:+:$_osip_path}"
unset _osip_path

export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_DISABLE_REGISTRY_RESOLVE=true
export PULUMI_HOME="${PULUMI_HOME:-$TOOLCHAIN_DIR}"

if [ ! -x "$TOOLCHAIN_BIN/pulumi" ] || [ ! -x "$TOOLCHAIN_BIN/pulumi-language-nodejs" ]; then
    echo "scripts/toolchain/env.sh: $TOOLCHAIN_BIN is not built yet; run scripts/toolchain/build.sh" >&2
fi
true
