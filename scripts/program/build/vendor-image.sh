#!/usr/bin/env bash
# RHEL: downloads the vendor's KVM image, checks it against the vendor's SHA256SUMS, then applies
# the site fixes with virt-customize, and lists the customised image's packages (lib.sh,
# image_manifest). Last line of stdout: {"artefact", "sha256", "manifest", "manifestSha256"}.
# VENDOR_TOKEN (optional, secret) is sent as a bearer token through a curl config file, never on
# the command line, so it shows neither in `ps` nor in logs.
set -euo pipefail
# shellcheck source=scripts/program/build/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${DISTRO:?}" "${ARCH:?}" "${RELEASE:?}" "${VENDOR_URL:?}" "${VENDOR_IMAGE:?}" "${CUSTOMIZE:?}"
log() { echo "[vendor $(date +%T)] $*" >&2; }
fail() { log "$*"; exit 1; }
# Given relative to the project directory; the download runs elsewhere.
CUSTOMIZE=$(realpath "$CUSTOMIZE")

out="${OUTPUT_DIR:-${OSIP_CACHE:-$HOME/.cache/os-image-pipeline}/builds}/$DISTRO/$ARCH/$RELEASE"
mkdir -p "$out"
cd "$out"

curl_config=$(mktemp)
trap 'rm -f "$curl_config"' EXIT
chmod 600 "$curl_config"
{
    echo "fail"
    echo "silent"
    echo "show-error"
    echo "retry = 3"
    if [[ -n "${VENDOR_TOKEN:-}" ]]; then echo "header = \"Authorization: Bearer $VENDOR_TOKEN\""; fi
} >"$curl_config"
fetch() { curl --config "$curl_config" --output "$2" "$VENDOR_URL/$1"; }

log "checksums from $VENDOR_URL/SHA256SUMS"
fetch SHA256SUMS SHA256SUMS
expected=$(awk -v f="$VENDOR_IMAGE" '$2 == f || $2 == "*" f { print $1 }' SHA256SUMS)
[[ -n "$expected" ]] || fail "the vendor's SHA256SUMS lists no $VENDOR_IMAGE"

if [[ -f "vendor-$VENDOR_IMAGE" ]] && [[ "$(sha256sum "vendor-$VENDOR_IMAGE" | cut -d' ' -f1)" == "$expected" ]]; then
    log "vendor image already downloaded"
else
    log "downloading $VENDOR_IMAGE"
    with_progress "downloading $VENDOR_IMAGE" fetch "$VENDOR_IMAGE" "vendor-$VENDOR_IMAGE.part"
    actual=$(sha256sum "vendor-$VENDOR_IMAGE.part" | cut -d' ' -f1)
    [[ "$actual" == "$expected" ]] || fail "checksum mismatch for $VENDOR_IMAGE: vendor says $expected, download is $actual"
    mv "vendor-$VENDOR_IMAGE.part" "vendor-$VENDOR_IMAGE"
fi

# Customise a copy: the vendor's bytes stay as downloaded, for the next rebuild.
artefact="$DISTRO-$ARCH-$RELEASE.qcow2"
cp "vendor-$VENDOR_IMAGE" "$artefact.part"
log "site fixes with virt-customize ($CUSTOMIZE)"
# LIBGUESTFS_BACKEND_SETTINGS=force_tcg where KVM cannot be used (the lab sets it).
LIBGUESTFS_BACKEND="${LIBGUESTFS_BACKEND:-direct}" with_progress "customizing" \
    virt-customize --format qcow2 -a "$artefact.part" --no-network --run "$CUSTOMIZE" >&2
log "package manifest of the customised image"
with_progress "reading the package database" image_manifest "$artefact.part" "${artefact%.qcow2}.packages"
mv "$artefact.part" "$artefact"

report_artefact "$out/$artefact" "" "$out/${artefact%.qcow2}.packages"
