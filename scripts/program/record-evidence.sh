#!/usr/bin/env bash
# Writes a tested image's evidence on the image itself (Glance properties), where the promoting
# `up` reads it back before it changes anything.
#   record-evidence.sh pending   before the tests of an image (re)start: whatever passed before
#                                no longer counts until these tests pass
#   record-evidence.sh passed    after every use case of the image passed (KNOWN_FLAKY: the failures
#                                that known-flaky entries tolerated, "use case: suite/test (reason), ...";
#                                SUITES_VERSION, JUNIT_SHA256, INFRA_RETRIES: what the run was made of)
#   record-evidence.sh failed    after a run failed: SUMMARY, and FAILED_TESTS ("use case: suite/test, ...");
#                                exits 1 once recorded, naming the tests: the update fails
# With RESULTS_DIR and RESULTS (JSON: use case -> runner output), passed and failed also keep each
# use case's output (<use case>.log) and JUnit report (<use case>.junit.xml) in RESULTS_DIR.
set -euo pipefail
mode="${1:-}"
: "${IMAGE_ID:?IMAGE_ID is required}" "${SHA256:?SHA256 is required}" "${OS_CLOUD:?OS_CLOUD is required}"
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)

keep_results() {
    [[ -n "${RESULTS_DIR:-}" && -n "${RESULTS:-}" ]] || return 0
    mkdir -p "$RESULTS_DIR"
    # shellcheck disable=SC2016 # JavaScript in single quotes
    node -e '
        const fs = require("fs"), path = require("path");
        for (const [useCase, output] of Object.entries(JSON.parse(process.env.RESULTS))) {
            const [log, junit] = output.split("\n--- junit\n");
            fs.writeFileSync(path.join(process.env.RESULTS_DIR, `${useCase}.log`), log);
            if (junit) fs.writeFileSync(path.join(process.env.RESULTS_DIR, `${useCase}.junit.xml`), junit);
        }'
    echo "[evidence $(date +%T)] results in $RESULTS_DIR" >&2
}

# Tolerated failures, shown with the evidence (Glance values are limited to 255 characters).
flaky() {
    local known=${KNOWN_FLAKY:-none}
    echo "${known:0:255}"
}

# What the run was made of, when the caller knows it: the suites' version, the digest of the JUnit
# reports, the machines retried per use case.
run_facts=()
[[ -z "${SUITES_VERSION:-}" ]] || run_facts+=(--property "osimages_suites_version=$SUITES_VERSION")
[[ -z "${JUNIT_SHA256:-}" ]] || run_facts+=(--property "osimages_junit_sha256=$JUNIT_SHA256")
[[ -z "${INFRA_RETRIES:-}" ]] || run_facts+=(--property "osimages_infra_retries=${INFRA_RETRIES:0:255}")

case "$mode" in
    pending)
        echo "[evidence $(date +%T)] image $IMAGE_ID: tests starting, evidence pending" >&2
        openstack image set \
            --property osimages_test_result=pending \
            --property "osimages_tested_sha256=$SHA256" \
            --property "osimages_tested_at=$now" \
            "$IMAGE_ID"
        ;;
    passed)
        : "${SUMMARY:?SUMMARY is required}" "${USE_CASES:?USE_CASES is required}"
        # A run that ran nothing proves nothing (e.g. suites copied without their modes).
        if [[ "$SUMMARY" =~ (^|; )[a-z-]+:\ (0\ passed|no\ summary) ]]; then
            echo "[evidence $(date +%T)] image $IMAGE_ID: refusing to record a run without passed tests: $SUMMARY" >&2
            exit 1
        fi
        keep_results
        echo "[evidence $(date +%T)] image $IMAGE_ID passed: $SUMMARY${KNOWN_FLAKY:+ (known flaky, not blocking: $KNOWN_FLAKY)}" >&2
        # Glance property values are limited to 255 characters.
        openstack image set \
            --property osimages_test_result=passed \
            --property "osimages_tested_sha256=$SHA256" \
            --property "osimages_test_summary=${SUMMARY:0:255}" \
            --property "osimages_tested_use_cases=$USE_CASES" \
            --property "osimages_known_flaky=$(flaky)" \
            "${run_facts[@]}" \
            --property "osimages_tested_at=$now" \
            "$IMAGE_ID"
        ;;
    failed)
        : "${SUMMARY:?SUMMARY is required}" "${FAILED_TESTS:?FAILED_TESTS is required}"
        keep_results
        openstack image set \
            --property osimages_test_result=failed \
            --property "osimages_tested_sha256=$SHA256" \
            --property "osimages_test_summary=${SUMMARY:0:255}" \
            --property "osimages_failed_tests=${FAILED_TESTS:0:255}" \
            --property "osimages_known_flaky=$(flaky)" \
            "${run_facts[@]}" \
            --property "osimages_tested_at=$now" \
            "$IMAGE_ID"
        echo "image $IMAGE_ID failed its tests: $FAILED_TESTS ($SUMMARY); recorded on the image: its promotion is refused" >&2
        exit 1
        ;;
    *)
        echo "usage: record-evidence.sh pending|passed|failed" >&2
        exit 2
        ;;
esac
echo "$mode"
