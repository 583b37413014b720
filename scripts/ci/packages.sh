#!/usr/bin/env bash
# Installs the Debian packages of a group that are missing (as root, or through sudo):
#
#   scripts/ci/packages.sh lab   the lab: builders (debootstrap, libguestfs), qemu (x86_64, aarch64,
#                                UEFI firmware), PostgreSQL, Keystone, Glance, Docker, registries,
#                                a Puppet server
#   scripts/ci/packages.sh ci    the lab's, plus what the checks, the toolchain build and the report's
#                                browser test need
#
# Nothing is started at install time: no systemd here, and a policy-rc.d that refuses every start
# is in place for the duration (PostgreSQL, Keystone and Glance start under the lab's own control).
set -euo pipefail

# libguestfs boots linux-image-cloud-amd64 as its appliance; qemu-user-static runs arm64 binaries
# (the aarch64 root filesystem and container); puppetserver serves the managed use case, which the
# lab's VMs reach through socat (qemu's guest forwarding).
lab=(debootstrap qemu-utils qemu-system-x86 qemu-system-arm qemu-efi-aarch64 ovmf qemu-user-static
    libguestfs-tools linux-image-cloud-amd64 mtools dosfstools e2fsprogs openssh-client python3
    ca-certificates curl postgresql python3-psycopg2 keystone glance-api python3-openstackclient
    uwsgi uwsgi-plugin-python3 docker.io docker-registry puppetserver socat)
# chromium: the report's browser test (playwright-core drives it).
ci=("${lab[@]}" shellcheck python3-venv git stress-ng chromium)

case "${1:-}" in
    lab) packages=("${lab[@]}") ;;
    ci) packages=("${ci[@]}") ;;
    *) sed -n '2,10s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
((${#missing[@]} > 0)) || exit 0
echo "[packages $(date +%T)] installing ${missing[*]}" >&2
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# Written by os-image-pipeline for the duration of an install.\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod 755 "$policy"
    trap 'as_root rm -f "$policy"' EXIT
fi
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
