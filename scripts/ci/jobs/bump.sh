#!/usr/bin/env bash
# CI job `bump-releases` (the monthly schedule): the month's release id into every stack file,
# proposed as one merge request (scripts/ci/bump-releases.ts; its arguments pass through, e.g.
# --dry-run). Variables: GITLAB_TOKEN (api scope), and GitLab's CI_API_V4_URL, CI_PROJECT_ID,
# CI_DEFAULT_BRANCH; BUMP_MONTH (YYYY-MM) to bump another month than the current one.
set -euo pipefail
# shellcheck source=scripts/ci/jobs/lib.sh
source "$(dirname "$0")/lib.sh"

pulumi_toolchain # npm ci takes @pulumi/openstack from .toolchain/
node_packages
exec npx ts-node scripts/ci/bump-releases.ts ${BUMP_MONTH:+--month "$BUMP_MONTH"} "$@"
