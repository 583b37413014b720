# shellcheck shell=bash
# The build steps of build.sh, one function per binary or package (sourced; needs lib.sh).
# Each step writes into a scratch path and renames it into the cache at the end, so a killed build
# leaves nothing half-made in the cache; Go's own module and build caches keep the compiled
# packages, so the re-run picks up where the killed one stopped.

CHILD_PID=""
HEARTBEAT_PID=""

# run DESCRIPTION CMD... : CMD's output goes to the log; a progress line every 30 s; its time at
# the end. On failure: the last lines of the log, and any module the Go module proxy refused.
run() {
    local desc=$1 t0 rc=0 me=$$
    shift
    t0=$(date +%s)
    progress "$desc ..."
    # The sleep is killed with the heartbeat: an orphaned one would hold the caller's pipe open.
    (
        trap 'kill "$nap" 2>/dev/null; exit 0' TERM
        while :; do
            sleep 30 &
            nap=$!
            wait "$nap"
            kill -0 "$me" 2>/dev/null || exit 0
            progress "  ... still $desc ($(($(date +%s) - t0))s)"
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
        tail -n 30 "$TOOLCHAIN_LOG" >&2
        refused_modules
        return "$rc"
    fi
    progress "$desc done in $(($(date +%s) - t0))s"
}

# refused_modules : names each module the proxy refused in this build's log.
refused_modules() {
    local lines
    lines="$(sed -nE 's#^.*[[:space:]]([^[:space:]]+@v[^[:space:]:]+): reading https?://[^[:space:]]+: ((403|404|410).*)$#  \1: \2#p' "$TOOLCHAIN_LOG" | sort -u)"
    [ -n "$lines" ] || return 0
    progress "the Go module proxy refused these modules (their sources are not in $OSIP_THIRD_PARTY either):"
    printf '%s\n' "$lines" >&2
}

# verify_archive NAME : the archive exists in $OSIP_THIRD_PARTY and matches its SHA256SUMS line.
verify_archive() {
    local name=$1 sums="$OSIP_THIRD_PARTY/SHA256SUMS" want have
    if [ ! -f "$OSIP_THIRD_PARTY/$name" ]; then
        progress "missing archive: $OSIP_THIRD_PARTY/$name (set OSIP_THIRD_PARTY to the folder of upstream archives, or install the plugin with internet access: docs/toolchain.md)"
        return 1
    fi
    if [ ! -f "$sums" ]; then
        progress "missing checksum list: $sums"
        return 1
    fi
    want="$(awk -v n="$name" '$2 == n || $2 == "*" n { print $1 }' "$sums")"
    if [ -z "$want" ]; then
        progress "$sums has no line for $name"
        return 1
    fi
    have="$(sha256sum "$OSIP_THIRD_PARTY/$name" | cut -d' ' -f1)"
    if [ "$have" != "$want" ]; then
        progress "checksum mismatch: $OSIP_THIRD_PARTY/$name has sha256 $have, SHA256SUMS says $want"
        return 1
    fi
}

# extract_archive VAR NAME : verified archive extracted once into the cache; VAR gets its folder.
# The folder is keyed by the archive's name: a different archive of the same name is refused above.
extract_archive() {
    local __var=$1 __name=$2 __dir
    verify_archive "$__name" || return 1
    __dir="$TOOLCHAIN_CACHE/src/${__name%.tar.gz}"
    if [ ! -e "$__dir/.extracted" ]; then
        rm -rf "$__dir" "$__dir.tmp"
        mkdir -p "$__dir.tmp"
        progress "extracting $__name"
        tar -C "$__dir.tmp" --strip-components=1 -xzf "$OSIP_THIRD_PARTY/$__name"
        touch "$__dir.tmp/.extracted"
        mv "$__dir.tmp" "$__dir"
    fi
    printf -v "$__var" '%s' "$__dir"
}

# require_go : go is on PATH, or a line saying it is missing.
require_go() {
    command -v go >/dev/null 2>&1 && return 0
    progress "go not found on PATH: building needs Go >= 1.26"
    return 1
}

# go_build DIR OUT PACKAGE VERSION_SYMBOL VERSION : a static, trimmed binary, installed atomically.
go_build() {
    local dir=$1 out=$2 pkg=$3 symbol=$4 version=$5
    require_go
    mkdir -p "$(dirname "$out")"
    (cd "$dir" && run "building $(basename "$out") $version" \
        env CGO_ENABLED=0 go build -trimpath -tags "$TOOLCHAIN_GO_TAGS" \
        -ldflags "-s -w -X $symbol=$version" -o "$out.tmp" "$pkg")
    mv -f "$out.tmp" "$out"
}

# module_dir VAR MODULE@VERSION : downloads a module from the proxy; VAR gets its cache folder.
module_dir() {
    local __var=$1 __json __dir
    require_go
    __json="$(go mod download -json "$2" 2>>"$TOOLCHAIN_LOG")" || true
    __dir="$(printf '%s\n' "$__json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
    if [ -z "$__dir" ] || [ ! -d "$__dir" ]; then
        progress "the Go module proxy did not serve $2: $(printf '%s\n' "$__json" | sed -n 's/^[[:space:]]*"Error": //p')"
        return 1
    fi
    printf -v "$__var" '%s' "$__dir"
}

build_cli() {
    local out=$1 src="$TOOLCHAIN_CACHE/src/pulumi-cli-v$PULUMI_VERSION" pkg sdk
    if [ ! -e "$src/.extracted" ]; then
        module_dir pkg "$PULUMI_PKG_MODULE@v$PULUMI_VERSION"
        module_dir sdk "$PULUMI_SDK_MODULE@v$PULUMI_VERSION"
        # pkg's go.mod replaces sdk with ../sdk: lay the two out side by side (testdata/ is most of
        # the files and nothing the CLI embeds).
        progress "laying out pkg and sdk v$PULUMI_VERSION side by side"
        rm -rf "$src" && mkdir -p "$src/pkg" "$src/sdk"
        tar -C "$pkg" --exclude=testdata -cf - . | tar -C "$src/pkg" -xf -
        tar -C "$sdk" --exclude=testdata -cf - . | tar -C "$src/sdk" -xf -
        chmod -R u+w "$src"
        touch "$src/.extracted"
    fi
    go_build "$src/pkg" "$out" ./cmd/pulumi "$PULUMI_VERSION_SYMBOL" "v$PULUMI_VERSION"
}

build_langhost() {
    local out=$1 src
    extract_archive src "pulumi-language-nodejs-v$PULUMI_VERSION.tar.gz"
    require_go
    # The tag's go.mod points at pkg and sdk in the same repository: use the served modules.
    (cd "$src" && go mod edit -dropreplace="$PULUMI_PKG_MODULE" -dropreplace="$PULUMI_SDK_MODULE" \
        -require="$PULUMI_PKG_MODULE@v$PULUMI_VERSION" -require="$PULUMI_SDK_MODULE@v$PULUMI_VERSION")
    go_build "$src" "$out" . "$PULUMI_VERSION_SYMBOL" "v$PULUMI_VERSION"
}

# generate SRC MAIN VERSION : the provider's `go generate` (its embedded schema), once per source.
generate() {
    local src=$1 main=$2 version=$3
    [ -e "$src/provider/.generated" ] && return 0
    require_go
    (cd "$src/provider" && run "generating the schema of $(basename "$src")" \
        env VERSION="$version" go generate "$main")
    touch "$src/provider/.generated"
}

build_plugin_command() {
    local out=$1 version=$2 src
    extract_archive src "pulumi-command-v$version.tar.gz"
    # main.go strips the leading v, as with upstream's release build.
    go_build "$src/provider" "$out" ./cmd/pulumi-resource-command \
        github.com/pulumi/pulumi-command/provider/pkg/version.Version "v$version"
}

build_plugin_openstack() {
    local out=$1 version=$2 src
    extract_archive src "pulumi-openstack-v$version.tar.gz"
    generate "$src" cmd/pulumi-resource-openstack/main.go "$version"
    go_build "$src/provider" "$out" ./cmd/pulumi-resource-openstack \
        "github.com/pulumi/pulumi-openstack/provider/v${version%%.*}/pkg/version.Version" "$version"
}

build_plugin_docker() {
    local out=$1 version=$2 src upstream patch
    extract_archive src "pulumi-docker-v$version.tar.gz"
    # provider/go.mod replaces the Terraform provider with ../upstream, patched as upstream does.
    if [ ! -e "$src/upstream/.patched" ]; then
        extract_archive upstream "terraform-provider-docker-v$DOCKER_UPSTREAM_VERSION.tar.gz"
        rm -rf "$src/upstream"
        cp -a "$upstream" "$src/upstream"
        for patch in "$src"/patches/*.patch; do
            progress "applying $(basename "$patch")"
            (cd "$src/upstream" && git apply "$patch")
        done
        touch "$src/upstream/.patched"
    fi
    generate "$src" cmd/pulumi-resource-docker/main.go "$version"
    go_build "$src/provider" "$out" ./cmd/pulumi-resource-docker \
        "github.com/pulumi/pulumi-docker/provider/v${version%%.*}/pkg/version.Version" "$version"
}

# build_openstack_sdk OUT VERSION : the Node SDK @pulumi/openstack from the same archive as its
# plugin, compiled with this project's TypeScript against its @pulumi/pulumi.
build_openstack_sdk() {
    local out=$1 version=$2 src work
    extract_archive src "pulumi-openstack-v$version.tar.gz"
    work="$out.build"
    mkdir -p "$(dirname "$out")"
    rm -rf "$work" && cp -a "$src/sdk/nodejs" "$work"
    # The tag holds a placeholder version; the SDK asks the engine for a plugin of its own version.
    node -e '
        const fs = require("fs"), f = process.argv[1], p = JSON.parse(fs.readFileSync(f, "utf8"));
        p.version = process.argv[2];
        p.pulumi.version = process.argv[2];
        delete p.devDependencies;
        fs.writeFileSync(f, JSON.stringify(p, null, 4) + "\n");
    ' "$work/package.json" "$version"
    (cd "$work" && run "installing the openstack SDK's build dependencies" \
        npm install --no-save --no-package-lock --ignore-scripts --no-audit --no-fund \
        "typescript@$(pinned typescript)" "@types/node@$(pinned @types/node)" \
        "@pulumi/pulumi@$(pinned @pulumi/pulumi)")
    (cd "$work" && run "compiling @pulumi/openstack $version" node_modules/.bin/tsc)
    # As upstream's Makefile does: the package is bin/ with its metadata.
    cp "$work/package.json" "$work/README.md" "$src/LICENSE" "$work/bin/"
    rm -rf "$out" && mv "$work/bin" "$out" && rm -rf "$work"
}

# pinned NAME : the exact version of an npm package in this project's package.json.
pinned() {
    node -e '
        const p = require(process.argv[1]);
        const v = (p.dependencies || {})[process.argv[2]] || (p.devDependencies || {})[process.argv[2]];
        if (!v) process.exit(1);
        console.log(v);
    ' "$TOOLCHAIN_REPO/package.json" "$1"
}
