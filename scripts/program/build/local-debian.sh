#!/usr/bin/env bash
# The lab's local builder: a small, real, bootable Debian image built on this machine with
# debootstrap (needs root). Outputs, in $WORK_DIR/<distro>/<arch>/<release>/:
#   <distro>-<arch>-<release>.qcow2   one ext4 filesystem, no partition table, no boot loader:
#                                     the lab boots it with the kernel inside it (direct boot)
#   rootfs.tar                        the same tree with its kernel packages purged, for the container
#   <distro>-<arch>-<release>.packages the image's package manifest (dpkg; lib.sh, dpkg_manifest)
# The qcow2 and the manifest are then named after the qcow2's sha256 (lib.sh, report_artefact).
# Last line of stdout: {"artefact", "sha256", "rootfs", "manifest", "manifestSha256"}.
# The packages and the bootstrapped tree are cached per suite, arch and package list: rebuilds
# take seconds.
set -euo pipefail
# shellcheck source=scripts/program/build/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${DISTRO:?}" "${ARCH:?}" "${RELEASE:?}" "${SUITE:?}" "${WORK_DIR:?}"
log() { echo "[local-build $(date +%T)] $*" >&2; }
fail() { log "$*"; exit 1; }
WORK_DIR=$(realpath -m "$WORK_DIR")

[[ $(id -u) -eq 0 ]] || fail "debootstrap needs root"
case "$ARCH" in
    x86_64) debarch=amd64 kernel=linux-image-cloud-amd64 ;;
    aarch64) debarch=arm64 kernel=linux-image-arm64 ;;
    *) fail "no local build for $ARCH" ;;
esac
if [[ "$ARCH" != "$(uname -m)" ]] && [[ ! -e /proc/sys/fs/binfmt_misc/qemu-$ARCH ]]; then
    fail "building $ARCH on $(uname -m) needs qemu-user-static with binfmt_misc registered for qemu-$ARCH"
fi

# debootstrap does not resolve virtual packages: python3-cffi-backend provides what cloud-init needs.
# The lab's machines reach no package mirror: the managed use case's agent ships in the image.
agent=puppet-agent
packages="$kernel,initramfs-tools,systemd-sysv,udev,dbus,openssh-server,sudo,cloud-init,ifupdown,isc-dhcp-client,iproute2,systemd-resolved,systemd-timesyncd,procps,ca-certificates,python3-cffi-backend,$agent"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
cache="${OSIP_CACHE:-$HOME/.cache/os-image-pipeline}/debootstrap"
key=$(printf '%s %s %s' "$SUITE" "$debarch" "$packages" | sha256sum | cut -c1-12)
tarball="$cache/$SUITE-$debarch-$key.tgz"
rootcache="$cache/$SUITE-$debarch-$key-root.tar"
out="$WORK_DIR/$DISTRO/$ARCH/$RELEASE"
root="$out/root"
mkdir -p "$cache" "$out"
rm -rf "$root"

if [[ ! -f "$tarball" ]]; then
    log "downloading $SUITE/$debarch packages (cached in $tarball)"
    with_progress "downloading packages" logged "$out/debootstrap.log" debootstrap --variant=minbase \
        --arch="$debarch" --include="$packages" --make-tarball="$tarball.part" "$SUITE" "$out/.tarball-work" "$mirror" ||
        { tail -n 20 "$out/debootstrap.log" >&2; fail "debootstrap --make-tarball failed (log: $out/debootstrap.log)"; }
    mv "$tarball.part" "$tarball"
    rm -rf "$out/.tarball-work"
fi
# The bootstrapped tree is cached too: a foreign arch configures its packages under emulation
# (about 10 min for arm64, mostly mkinitramfs), and every release starts from the same tree.
if [[ -f "$rootcache" ]]; then
    log "bootstrapped $SUITE/$debarch tree from the cache ($rootcache)"
    mkdir -p "$root"
    with_progress "unpacking the cached tree" tar -C "$root" --numeric-owner -xpf "$rootcache"
else
    log "bootstrapping $SUITE/$debarch into $root"
    with_progress "bootstrapping" logged "$out/debootstrap.log" debootstrap --variant=minbase \
        --arch="$debarch" --include="$packages" --unpack-tarball="$tarball" "$SUITE" "$root" "$mirror" ||
        { tail -n 20 "$out/debootstrap.log" >&2; fail "debootstrap failed (log: $out/debootstrap.log)"; }
    chroot "$root" apt-get clean
    tar -C "$root" --numeric-owner -cf "$rootcache.part" .
    mv "$rootcache.part" "$rootcache"
fi

log "configuring the image"
echo "$DISTRO" >"$root/etc/hostname"
# debootstrap writes no /etc/hosts (the installer does): localhost must resolve without DNS.
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
echo "LABEL=root / ext4 defaults 0 1" >"$root/etc/fstab"
# cloud-init writes the instance's network config; DHCP on the first NIC until then.
printf 'auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet dhcp\n' >"$root/etc/network/interfaces"
# minbase has no locale data: C.UTF-8 is the one locale every image has.
printf 'datasource_list: [NoCloud, None]\nlocale: C.UTF-8\n' >"$root/etc/cloud/cloud.cfg.d/90-osimages.cfg"
# Every instance must get its own identity.
: >"$root/etc/machine-id"
rm -f "$root"/etc/ssh/ssh_host_*
cat >"$root/etc/osimages-release" <<EOR
OSIMAGES_DISTRO=$DISTRO
OSIMAGES_RELEASE=$RELEASE
EOR
chroot "$root" systemctl enable ssh systemd-resolved systemd-timesyncd >/dev/null 2>&1 || true
# The agent runs when the managed bootstrap says so, never on its own against a default server.
chroot "$root" systemctl disable puppet >/dev/null 2>&1 || true
chroot "$root" apt-get clean
artefact="$out/$DISTRO-$ARCH-$RELEASE.qcow2"
# The image's packages, kernel included (the container's rootfs purges it below).
dpkg_manifest "$root/var/lib/dpkg" "${artefact%.qcow2}.packages"

log "filesystem image"
rm -f "$out/disk.raw"
with_progress "writing the filesystem" mkfs.ext4 -q -L root -d "$root" "$out/disk.raw" "${DISK_SIZE:-2G}" >&2

# A container carries no kernel (not its files, and not its packages in the package database) and
# no configuration-management agent.
log "container rootfs (kernel and agent packages purged)"
# shellcheck disable=SC2016 # ${Package} is dpkg-query's, not the shell's
mapfile -t kernels < <(chroot "$root" dpkg-query -W -f '${Package}\n' 'linux-image-*')
chroot "$root" dpkg --purge "${kernels[@]}" "$agent" >"$out/purge-kernel.log" 2>&1 ||
    { tail -n 20 "$out/purge-kernel.log" >&2; fail "purging ${kernels[*]} $agent from the container rootfs failed"; }
tar -C "$root" --numeric-owner --exclude=./boot/* --exclude=./usr/lib/modules/* -cf "$out/rootfs.tar" .
with_progress "converting to qcow2" qemu-img convert -O qcow2 "$out/disk.raw" "$artefact.part"
mv "$artefact.part" "$artefact"
rm -rf "$out/disk.raw" "$root"

report_artefact "$artefact" "$out/rootfs.tar" "${artefact%.qcow2}.packages"
