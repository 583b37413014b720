#!/usr/bin/env bash
# CI job `preview` (merge requests), one stack: `pulumi preview --diff` with the engine's event log,
# then the merge request's note from that log (npm run mr-note). Exits with the preview's status,
# or the note's when the preview passed.
# Variables: STACK, PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE; the note's CI_* and GITLAB_TOKEN.
set -euo pipefail
# shellcheck source=scripts/ci/jobs/lib.sh
source "$(dirname "$0")/lib.sh"

pulumi_toolchain
node_packages
select_stack
log "pulumi preview of $STACK"
rc=0
pulumi preview --stack "$STACK" --diff --non-interactive --event-log "$OUT/preview-events.jsonl" || rc=$?
drop_debug_events "$OUT/preview-events.jsonl"
note=0
npm run --silent mr-note -- --events "$OUT/preview-events.jsonl" --stack "$STACK" || note=$?
exit "$((rc != 0 ? rc : note))"
