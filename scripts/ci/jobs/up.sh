#!/usr/bin/env bash
# CI job `up` (default branch), one stack: `pulumi up --refresh --continue-on-error` (one failing
# distro stops no other), then the distros that failed, from the engine's event log
# (scripts/ci/up-summary.ts: up-summary.json). Exit 0 when the update succeeded, else 1.
# --refresh: after a failed update, state may hold values Glance never got (see run-lab.sh).
# Variables: STACK, PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE.
set -euo pipefail
# shellcheck source=scripts/ci/jobs/lib.sh
source "$(dirname "$0")/lib.sh"

pulumi_toolchain
node_packages
select_stack
log "pulumi up of $STACK"
rc=0
pulumi up --yes --refresh --continue-on-error --stack "$STACK" --non-interactive \
    --suppress-progress --event-log "$OUT/up-events.jsonl" || rc=$?
drop_debug_events "$OUT/up-events.jsonl"
# For the report and the artefacts; an update that failed early may have no outputs.
pulumi stack output --json --stack "$STACK" >"$OUT/stack-outputs.json" 2>/dev/null ||
    echo '{}' >"$OUT/stack-outputs.json"
exec npx ts-node scripts/ci/up-summary.ts --stack "$STACK" --events "$OUT/up-events.jsonl" \
    --status "$rc" --out "$OUT/up-summary.json"
