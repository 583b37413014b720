#!/usr/bin/env bash
# CI job `test-image`: another team's pipeline (trigger token or API) has an image tested with the
# pipeline's suites on the lab's machines (npm run test-image), without touching any stack.
# Variables (README "GitLab CI"): IMAGE_ID (a Glance image id the test project sees) or IMAGE_URL
# (a qcow2 to download); USE_CASES (space separated, default unmanaged-virtual), ARCH, FIRMWARE,
# IMAGE_USER, STACK (whose testing settings apply, default lab), AGENT_ENVIRONMENT.
# The JUnit reports and logs go to test-image-results/. Exit status: test-image's (0 passed,
# 1 the image failed a test, 2 bad variables or no usable machine).
set -euo pipefail
# shellcheck source=scripts/ci/jobs/lib.sh
source "$(dirname "$0")/lib.sh"

if [[ -z ${IMAGE_ID:-}${IMAGE_URL:-} || (-n ${IMAGE_ID:-} && -n ${IMAGE_URL:-}) ]]; then
    log "set exactly one of IMAGE_ID (a Glance image id) and IMAGE_URL (a qcow2 to download)"
    exit 2
fi
results=$OUT/test-image-results
# Where test-image keeps its results: the workDir of the lab stacks (builders.local.workDir).
work_dir=${TEST_IMAGE_WORK_DIR:-.lab/work}
rm -rf "$results" && mkdir -p "$results"
args=(--stack "${STACK:-lab}" --arch "${ARCH:-x86_64}" --firmware "${FIRMWARE:-bios}" --user "${IMAGE_USER:-debian}")
for use_case in ${USE_CASES:-unmanaged-virtual}; do args+=(--use-case "$use_case"); done
[[ -z ${AGENT_ENVIRONMENT:-} ]] || args+=(--agent-environment "$AGENT_ENVIRONMENT")
if [[ -n ${IMAGE_URL:-} ]]; then
    log "downloading $IMAGE_URL"
    curl -fsSL --retry 3 -o "$results/image.qcow2" "$IMAGE_URL"
    args+=(--file "$results/image.qcow2")
else
    args+=(--image "$IMAGE_ID")
fi

# The lab's services on this runner (idempotent), unless a test or the runner has them up already.
if [[ ${OSIP_LAB_READY:-} != 1 ]]; then
    pulumi_toolchain
    node_packages
    bash scripts/ci/packages.sh lab
    bash scripts/dev/lab-services.sh up
fi
# shellcheck source=/dev/null
[[ ! -f .lab/env ]] || source .lab/env

started=$(mktemp)
rc=0
npm run --silent test-image -- "${args[@]}" || rc=$?
# The results this run wrote (results/adhoc-<id>/<use case>.{log,junit.xml}).
if [[ -d $work_dir/results ]]; then
    find "$work_dir/results" -path '*/adhoc-*' -newer "$started" -type f \
        \( -name '*.junit.xml' -o -name '*.log' \) -print0 | xargs -0r cp -t "$results"
fi
rm -f "$started" "$results/image.qcow2"
exit "$rc"
