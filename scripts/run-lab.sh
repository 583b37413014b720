#!/usr/bin/env bash
# `npm run lab`: the lab stack on this machine. Builds (or reuses) the Pulumi toolchain, checks
# the stack and prints its plan, then runs `pulumi up` on a file:// backend under .state/.
# Stops with exit 3, naming them, when provider plugins are missing: the Go module proxy this
# machine reaches refuses every provider module (docs/toolchain.md).
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "[lab $(date +%T)] $*" >&2; }

log "toolchain"
bash scripts/toolchain/build.sh
# shellcheck source=/dev/null
source scripts/toolchain/env.sh

log "stack config and plan (stacks/Pulumi.lab.yaml)"
npx ts-node scripts/plan.ts lab

if ! missing=$(bash scripts/toolchain/missing-plugins.sh); then
    log "cannot run the lab stack: these provider plugins are not installed:"
    printf '  %s\n' "$missing" >&2
    log "build them elsewhere and install each with: pulumi plugin install resource <name> <version> --file <binary>"
    exit 3
fi

mkdir -p .state
export PULUMI_BACKEND_URL="file://$PWD/.state"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-lab}"
pulumi stack select lab --create --non-interactive
log "pulumi up (lab)"
pulumi up --yes --stack lab --non-interactive
