#!/usr/bin/env bash
# Writes a tested image's evidence on the image itself (Glance properties), where the promoting
# `up` reads it back before it changes anything. Runs only after every suite of the image passed.
set -euo pipefail
: "${IMAGE_ID:?IMAGE_ID is required}" "${SHA256:?SHA256 is required}" "${SUMMARY:?SUMMARY is required}"
: "${USE_CASES:?USE_CASES is required}" "${OS_CLOUD:?OS_CLOUD is required}"

echo "[evidence $(date +%T)] image $IMAGE_ID passed: $SUMMARY" >&2
# Glance property values are limited to 255 characters.
openstack image set \
    --property osimages_test_result=passed \
    --property "osimages_tested_sha256=$SHA256" \
    --property "osimages_test_summary=${SUMMARY:0:255}" \
    --property "osimages_tested_use_cases=$USE_CASES" \
    --property "osimages_tested_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    "$IMAGE_ID"
echo "passed"
