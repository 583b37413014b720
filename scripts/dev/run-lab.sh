#!/usr/bin/env bash
# `npm run lab`: the lab stack on this machine. Sets up (or reuses) the Pulumi toolchain and the npm
# packages, installs the lab's Debian packages, checks the stack and prints its plan, then runs
# `pulumi up` on a file:// backend under .state/. While the lab's own cloud (Keystone, Glance,
# registries on 127.0.0.1, .lab/clouds.yaml) is not set up by this tree, it says so, runs the lab
# stack's own steps without the engine (scripts/dev/lab-steps.ts: build, boot, suites), and exits 3
# (1 if a lab step failed).
set -euo pipefail
cd "$(dirname "$0")/../.."
log() { echo "[lab $(date +%T)] $*" >&2; }

log "toolchain"
bash scripts/ci/toolchain/build.sh
# shellcheck source=/dev/null
source scripts/ci/toolchain/env.sh
# @pulumi/openstack comes from .toolchain/, which the toolchain step has just filled.
npm ls --depth=0 >/dev/null 2>&1 || { log "npm packages"; npm ci --no-audit --no-fund; }

packages=(debootstrap qemu-utils qemu-system-x86 mtools dosfstools e2fsprogs openssh-client python3)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]} > 0)); then
    [[ $(id -u) -eq 0 ]] || { log "as root, install: ${missing[*]}"; exit 1; }
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

log "stack config and plan (stacks/Pulumi.lab.yaml)"
npx ts-node scripts/dev/plan.ts lab

if [[ ! -f .lab/clouds.yaml ]]; then
    log "the lab's Keystone, Glance and registries are not set up by this tree yet: no .lab/clouds.yaml"
    log "running the lab stack's own steps without the engine instead (build, boot, suites)"
    npx ts-node scripts/dev/lab-steps.ts lab
    exit 3
fi

mkdir -p .state
export PULUMI_BACKEND_URL="file://$PWD/.state"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-lab}"
pulumi stack select lab --create --non-interactive
log "pulumi up (lab)"
pulumi up --yes --stack lab --non-interactive
