# shellcheck shell=bash
# What the CI job scripts share: the project root as working directory, a log line, the checks of
# required variables, and the set-up of Node packages and the Pulumi toolchain.
cd "$(dirname "${BASH_SOURCE[0]}")/../../.." || exit 2

# Where a job writes the files its artefacts keep (the project directory; tests give another).
OUT=${OSIP_JOB_OUT:-.}
mkdir -p "$OUT"

# `--event-log` (the engine's events as JSON lines, what the Automation API reads too) is one of
# the CLI's debug flags: without this, preview and up refuse it as an unknown flag.
export PULUMI_DEBUG_COMMANDS=true

# An event log kept as an artefact holds no debug diagnostics: they carry what the providers
# logged (requests to the clouds and their answers), and no reader of the log uses them.
drop_debug_events() {
    [[ -f $1 ]] || return 0
    grep -v '"severity":"debug"' "$1" >"$1.part" || true
    mv "$1.part" "$1"
}

log() { echo "[${CI_JOB_NAME:-ci} $(date +%T)] $*" >&2; }

# Exits 2 naming every variable of the list that is unset or blank.
require_vars() {
    local missing=() name
    for name in "$@"; do [[ -n ${!name:-} ]] || missing+=("$name"); done
    ((${#missing[@]} == 0)) || { log "missing variables: ${missing[*]} (README: GitLab CI)"; exit 2; }
}

# The Pulumi CLI and plugins of package.json's versions: built or taken from the cache, and put on
# PATH; OSIP_USE_PATH_PULUMI=1 uses the pulumi on PATH instead (a runner image that has them).
pulumi_toolchain() {
    [[ ${OSIP_USE_PATH_PULUMI:-} == 1 ]] && return
    bash scripts/ci/toolchain/build.sh
    # shellcheck source=scripts/ci/toolchain/env.sh
    source scripts/ci/toolchain/env.sh
}

# npm packages from the lock file, once per checkout (@pulumi/openstack comes from .toolchain/).
node_packages() {
    npm ls --depth=0 >/dev/null 2>&1 || npm ci --no-audit --no-fund
}

# The stack named by STACK, created in the backend on its first pipeline (the file has its salt).
select_stack() {
    require_vars STACK PULUMI_BACKEND_URL PULUMI_CONFIG_PASSPHRASE
    [[ -f stacks/Pulumi.$STACK.yaml ]] || { log "STACK=$STACK: no stacks/Pulumi.$STACK.yaml"; exit 2; }
    pulumi stack select "$STACK" --create --non-interactive >/dev/null
}
