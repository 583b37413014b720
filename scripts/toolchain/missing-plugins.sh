#!/usr/bin/env bash
# Print, one per line as "resource <name> <version>", the provider plugins this
# project needs and does not have. Needed = @pulumi/<name> for each name in
# PROVIDER_PLUGINS (lib.sh), at the exact version pinned in package.json.
# Found if either
#   $PULUMI_HOME/plugins/resource-<name>-v<version>/pulumi-resource-<name> is an
#   executable (and no unfinished install marker resource-<name>-v<version>.partial), or
#   pulumi-resource-<name> is on PATH (any version: Pulumi uses such ambient plugins).
# PULUMI_HOME defaults to the toolchain cache dir, as in env.sh.
#
#   scripts/toolchain/missing-plugins.sh [-v]    -v: also say where each plugin was found
# Exit: 0 none missing, 3 some missing, 2 usage or package.json problem.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$SCRIPT_DIR/lib.sh"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

verbose=false
case "${1:-}" in
    "") ;;
    -v | --verbose) verbose=true ;;
    *)
        awk 'NR == 1 || /^# shellcheck/ { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "${BASH_SOURCE[0]}" >&2
        exit 2
        ;;
esac

home="${PULUMI_HOME:-$TOOLCHAIN_DIR}"

# npm_version NAME : exact version of @pulumi/NAME in package.json, without a leading "v".
npm_version() {
    node -e '
        const deps = require(process.argv[1]).dependencies || {};
        const v = deps["@pulumi/" + process.argv[2]];
        if (!v) { console.error("@pulumi/" + process.argv[2] + " is not a dependency in " + process.argv[1]); process.exit(1); }
        if (!/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(v)) { console.error("@pulumi/" + process.argv[2] + ": \"" + v + "\" is not an exact version"); process.exit(1); }
        console.log(v.replace(/^v/, ""));
    ' "$REPO_ROOT/package.json" "$1"
}

if ! command -v node >/dev/null 2>&1; then
    echo "missing-plugins.sh: node is needed to read package.json" >&2
    exit 2
fi

missing=0
for name in $PROVIDER_PLUGINS; do
    version="$(npm_version "$name")" || exit 2
    dir="$home/plugins/resource-$name-v$version"
    if [ -x "$dir/pulumi-resource-$name" ] && [ ! -e "$dir.partial" ]; then
        if $verbose; then echo "found resource $name $version: $dir/pulumi-resource-$name" >&2; fi
    elif found="$(command -v "pulumi-resource-$name")"; then
        if $verbose; then echo "found resource $name (ambient, version not checked): $found" >&2; fi
    else
        echo "resource $name $version"
        missing=1
    fi
done

if [ "$missing" -ne 0 ]; then
    exit 3
fi
exit 0
