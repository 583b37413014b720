# shellcheck shell=bash
# Source this (bash) to use the toolchain that scripts/ci/toolchain/build.sh set up for this checkout:
#
#   source scripts/ci/toolchain/env.sh
#
# - puts .toolchain/bin (pulumi and pulumi-language-nodejs v3.248.0) first on PATH;
# - sets PULUMI_HOME to .toolchain/home, where the provider plugins are installed;
# - keeps the CLI offline: no update check, no plugin downloads, no registry look-ups, and no
#   plugin of another version picked up from PATH.
# It picks no backend and no passphrase (docs/toolchain.md), changes no shell option and never
# exits the caller's shell.
# shellcheck source-path=SCRIPTDIR

if [ -z "${BASH_VERSION:-}" ]; then
    echo "scripts/ci/toolchain/env.sh: needs bash" >&2
    # shellcheck disable=SC2317 # exit is reached when executed instead of sourced
    return 1 2>/dev/null || exit 1
fi
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    echo "scripts/ci/toolchain/env.sh is meant to be sourced: source ${BASH_SOURCE[0]}" >&2
    exit 2
fi

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh" || return 1

# PATH: remove any existing occurrence of the bin dir, then prepend it.
_osip_path=":${PATH:-}:"
while [[ $_osip_path == *":$PROJECT_BIN:"* ]]; do
    _osip_path="${_osip_path/:"$PROJECT_BIN":/:}"
done
_osip_path="${_osip_path#:}"
_osip_path="${_osip_path%:}"
export PATH="$PROJECT_BIN${_osip_path:+:$_osip_path}"
unset _osip_path

export PULUMI_HOME="$PROJECT_PULUMI_HOME"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_DISABLE_REGISTRY_RESOLVE=true
export PULUMI_IGNORE_AMBIENT_PLUGINS=true

if [ ! -x "$PROJECT_BIN/pulumi" ]; then
    echo "scripts/ci/toolchain/env.sh: no toolchain in $PROJECT_BIN yet; run scripts/ci/toolchain/build.sh" >&2
fi
true
