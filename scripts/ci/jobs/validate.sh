#!/usr/bin/env bash
# CI job `validate`: the checks that need no cloud. Runs the steps named (default: all of them):
#   typecheck  tsc --noEmit            lint    eslint            format  prettier --check
#   unit       the unit tests          kickstarts  ksvalidator and the site rules (every Koji entry)
#   stacks     every stack file (or those in STACKS) through the planner: schema, catalogue, plan
# Exit status: 0 when every step passed, 1 when one failed (all run), 2 for an unknown step.
set -euo pipefail
# shellcheck source=scripts/ci/jobs/lib.sh
source "$(dirname "$0")/lib.sh"

declare -A commands=(
    [typecheck]="npm run --silent typecheck"
    [lint]="npm run --silent lint"
    [format]="npm run --silent format"
    [unit]="npm run --silent test:unit"
    [kickstarts]="bash scripts/program/validate-kickstarts.sh --all"
    [stacks]="stacks"
)
order=(typecheck lint format unit kickstarts stacks)

stacks() {
    local stack rc=0
    for stack in ${STACKS:-$(find stacks -name 'Pulumi.*.yaml' | sed 's/.*Pulumi\.\(.*\)\.yaml/\1/' | sort)}; do
        log "stack $stack"
        npx ts-node scripts/dev/plan.ts "$stack" || rc=1
    done
    return "$rc"
}

steps=("$@")
((${#steps[@]} > 0)) || steps=("${order[@]}")
for step in "${steps[@]}"; do
    [[ -n ${commands[$step]:-} ]] || { log "unknown step $step (steps: ${order[*]})"; exit 2; }
done
pulumi_toolchain # npm ci takes @pulumi/openstack from .toolchain/
node_packages
failed=()
for step in "${steps[@]}"; do
    log "$step"
    ${commands[$step]} || failed+=("$step")
done
((${#failed[@]} == 0)) || { log "failed: ${failed[*]}"; exit 1; }
log "all passed: ${steps[*]}"
