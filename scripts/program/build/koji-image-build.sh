#!/usr/bin/env bash
# Builds one cloud image with Koji image-build (qcow2 + docker rootfs), downloads it and lists its
# packages (rpm, read out of the image: lib.sh, image_manifest). Last line of stdout:
# {"artefact", "sha256", "rootfs", "manifest", "manifestSha256"} (parsed by ImageBuild).
set -euo pipefail
# shellcheck source=scripts/program/build/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${DISTRO:?}" "${ARCH:?}" "${RELEASE:?}" "${KOJI_PROFILE:?}" "${KOJI_TARGET:?}"
: "${INSTALL_TREE:?}" "${KICKSTART:?}" "${KS_VERSION:?}" "${KOJI_DISTRO:?}"
log() { echo "[koji $(date +%T)] $*" >&2; }
# Given relative to the project directory; the build runs elsewhere.
KICKSTART=$(realpath "$KICKSTART")

out="${OUTPUT_DIR:-${OSIP_CACHE:-$HOME/.cache/os-image-pipeline}/builds}/$DISTRO/$ARCH/$RELEASE"
mkdir -p "$out"
cd "$out"
rm -f ./*.qcow2 ./*.tar.xz ./*.packages

# Koji versions take no dashes, and each NVR is built once: 2026-11-01 -> 20261101-1, its
# respins 2026-11-01.1 -> 20261101-2, 2026-11-01.2 -> 20261101-3.
version="${RELEASE%%.*}"
version="${version//-/}"
release=1
[[ "$RELEASE" == *.* ]] && release=$((10#${RELEASE##*.} + 1))
# A rebuild with other inputs (kickstart, tree, target) needs a new NVR: Koji builds each once.
inputs=$( (cat "$KICKSTART"; printf '%s\n' "$KOJI_TARGET" "$INSTALL_TREE" "$KOJI_DISTRO") | sha256sum | cut -c1-8)
release="$release.$inputs"

# One build per arch: the arch is part of the name, or the second arch's NVR would clash.
args=(image-build "osimages-$DISTRO-$ARCH" "$version" "$KOJI_TARGET" "$INSTALL_TREE" "$ARCH"
    "--kickstart=$KICKSTART" "--ksversion=$KS_VERSION" "--distro=$KOJI_DISTRO" --format=qcow2 --format=docker
    # A bare root filesystem tarball (for ADD), not an image for `docker load`.
    --factory-parameter create_docker_metadata False
    --disk-size=10 "--release=$release" --wait --noprogress)
[[ "${SCRATCH:-0}" == 1 ]] && args+=(--scratch)

log "image-build osimages-$DISTRO-$ARCH $version-$release on $KOJI_TARGET (waits for the task)"
if ! koji -p "$KOJI_PROFILE" "${args[@]}" >koji.log 2>&1; then
    log "image-build failed; last lines of $out/koji.log:"
    tail -n 20 koji.log >&2
    exit 1
fi
task=$(sed -n 's/^Created task: \([0-9][0-9]*\).*/\1/p' koji.log | head -n 1)
[[ -n "$task" ]] || { log "no task id in $out/koji.log"; exit 1; }

log "task $task done; downloading its images"
koji -p "$KOJI_PROFILE" download-task --noprogress "--arch=$ARCH" "$task" >>koji.log 2>&1
qcow2=$(find . -maxdepth 1 -name '*.qcow2' | sort | head -n 1)
rootfs=$(find . -maxdepth 1 -name '*.tar.xz' | sort | head -n 1)
[[ -n "$qcow2" ]] || { log "task $task produced no qcow2"; exit 1; }

log "package manifest of ${qcow2#./}"
manifest="$out/$(basename "${qcow2%.qcow2}").packages"
with_progress "reading the package database" image_manifest "$qcow2" "$manifest"

report_artefact "$out/${qcow2#./}" "${rootfs:+$out/${rootfs#./}}" "$manifest"
