#!/usr/bin/env bash
# `npm run lab`: the lab stack on this machine, end to end (needs root: debootstrap, PostgreSQL).
#
#   npm run lab             toolchain and npm packages (cached), the lab's Debian packages, the
#                           lab's services on 127.0.0.1 (scripts/dev/lab-services.sh), the plan,
#                           then `pulumi up` of the lab stack (file:// backend in .state/) and a
#                           summary of what was built, uploaded, tested and published
#   npm run lab -- down     stop the lab's services (state, images and registries are kept)
#   npm run lab -- status   which services run
#
# Exit status: 0 when the update succeeded, 1 when it failed (the summary says where to look).
# A killed run is picked up by the next one: its stack lock and pending operations are cleared first.
set -euo pipefail
cd "$(dirname "$0")/../.."
log() { echo "[lab $(date +%T)] $*" >&2; }

case "${1:-up}" in
    up) ;;
    down | status) exec bash scripts/dev/lab-services.sh "$1" ;;
    *) sed -n '2,13s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac
[[ $(id -u) -eq 0 ]] || { log "the lab needs root (debootstrap, the lab's PostgreSQL)"; exit 1; }
start=$(date +%s)
stack=${OSIP_LAB_STACK:-lab}
lab=${OSIP_LAB_DIR:-.lab}

log "toolchain"
bash scripts/ci/toolchain/build.sh
# shellcheck source=/dev/null
source scripts/ci/toolchain/env.sh
# @pulumi/openstack comes from .toolchain/, which the toolchain step has just filled.
npm ls --depth=0 >/dev/null 2>&1 || { log "npm packages"; npm ci --no-audit --no-fund; }
bash scripts/ci/packages.sh lab

log "services"
bash scripts/dev/lab-services.sh up
# shellcheck source=/dev/null
source "$lab/env"

log "stack config and plan (stacks/Pulumi.$stack.yaml)"
npx ts-node scripts/dev/plan.ts "$stack" || { log "the plan refuses this stack file: nothing was changed"; exit 1; }

mkdir -p .state "$lab/logs"
export PULUMI_BACKEND_URL="file://$PWD/.state"
# The lab stack file carries the salt of this passphrase (no secret: the lab stack keeps none).
export PULUMI_CONFIG_PASSPHRASE="${OSIP_LAB_PASSPHRASE:-lab}"
pulumi stack select "$stack" --create --non-interactive >/dev/null
npx ts-node scripts/dev/lab-recover.ts "$stack"

uplog="$lab/logs/up-$(date +%Y%m%d-%H%M%S).log"
log "pulumi up ($stack), log $uplog"
# --refresh: after a failed update, state may hold values Glance never got (the next update would
# then send an empty change); reading them back first makes the update apply them.
# --continue-on-error: an image that failed its tests must not cancel the evidence step of its
# twin (left `pending` otherwise, seen in CI); the update still fails, naming the tests.
rc=0
pulumi up --yes --refresh --continue-on-error --stack "$stack" --non-interactive --suppress-progress 2>&1 | tee "$uplog" || rc=$?
pulumi stack output --json --stack "$stack" 2>/dev/null |
    npx ts-node scripts/dev/lab-summary.ts "$rc" "$(($(date +%s) - start))" "$uplog"
# The report is for people: a failure to write it is said, and does not change the update's verdict.
npx ts-node scripts/dev/report.ts "$stack" || log "the report could not be written (npm run report -- $stack)"
exit "$((rc == 0 ? 0 : 1))"
