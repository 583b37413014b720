#!/usr/bin/env bash
# The lab backend of TestInstance: a qemu VM (TCG) on this machine, booted from the image under
# test, reachable by SSH on a port of 127.0.0.1 only.
#   lab-instance.sh start   user-data on stdin; prints {"host","port","privateKey","attempts"} last
#   lab-instance.sh stop    stops the VM and removes its directory (its console log is kept in
#                           WORK_DIR/consoles/INSTANCE.log)
# Environment: INSTANCE, WORK_DIR, ARCH (x86_64|aarch64), FIRMWARE (bios|uefi, the image's
# hw_firmware_type), BOOT_ATTEMPTS (fresh machines tried before giving up, default 2),
# LAB_BOOT_WAIT (seconds per attempt), and IMAGE_FILE or IMAGE_ID (+ OS_CLOUD: the image is then downloaded from
# Glance, so the VM boots exactly the bytes Glance holds). LAB_GUEST_FORWARDS (from the lab's env
# file): "GUEST_IP:PORT=127.0.0.1:PORT ...", services of the runner the VM reaches at GUEST_IP
# (the lab's Puppet server), each connection carried by socat.
# Lab images carry no boot loader: the kernel and initrd are read out of the image (debugfs) and
# handed to the firmware (SeaBIOS, or UEFI which starts the kernel's EFI stub).
set -euo pipefail
: "${INSTANCE:?}" "${WORK_DIR:?}"
# Absolute: qemu-img resolves a relative backing file against the overlay's own directory.
WORK_DIR=$(realpath -m "$WORK_DIR")
dir="$WORK_DIR/instances/$INSTANCE"
log() { echo "[lab-instance $(date +%T)] $INSTANCE: $*" >&2; }
fail() { log "$*"; exit 1; }
# shellcheck source=scripts/program/compute/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stop() {
    if [[ -f "$dir/qemu.pid" ]]; then
        kill "$(cat "$dir/qemu.pid")" 2>/dev/null || true
        log "stopped"
    fi
    # The console outlives the machine: the report links it.
    if [[ -f "$dir/console.log" ]]; then
        mkdir -p "$WORK_DIR/consoles"
        mv "$dir/console.log" "$WORK_DIR/consoles/$INSTANCE.log"
    fi
    rm -rf "$dir"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The image's kernel and initrd, read out of it: lab images carry no boot loader.
extract_kernel() {
    log "kernel and initrd from the image"
    qemu-img convert -O raw "$dir/image.qcow2" "$dir/root.raw"
    local kernel initrd
    kernel=$(debugfs -R 'ls -p /boot' "$dir/root.raw" 2>/dev/null | awk -F/ '$6 ~ /^vmlinuz-/ { print $6 }' | sort -V | tail -n 1)
    initrd=$(debugfs -R 'ls -p /boot' "$dir/root.raw" 2>/dev/null | awk -F/ '$6 ~ /^initrd.img-/ { print $6 }' | sort -V | tail -n 1)
    [[ -n "$kernel" && -n "$initrd" ]] || fail "no /boot/vmlinuz-* and initrd.img-* in the image"
    debugfs -R "dump /boot/$kernel $dir/vmlinuz" "$dir/root.raw" 2>/dev/null
    debugfs -R "dump /boot/$initrd $dir/initrd" "$dir/root.raw" 2>/dev/null
    rm -f "$dir/root.raw"
}

# The last console lines, printable, for a failure message.
console_excerpt() { tail -n "${1:-5}" "$dir/console.log" 2>/dev/null | printable; }

# lib.sh's hooks: the VM is down once qemu has exited; a failed one is stopped.
machine_down() {
    kill -0 "$(cat "$dir/qemu.pid" 2>/dev/null)" 2>/dev/null && return 1
    reason="the VM stopped after ${1}s"
}

discard() {
    kill "$(cat "$dir/qemu.pid" 2>/dev/null)" 2>/dev/null || true
    rm -f "$dir/qemu.pid"
}

# The VM's host name: the instance's name as a DNS label (lowercase, letters, digits, dashes).
host_name() {
    local name=${INSTANCE,,}
    name=${name//[^a-z0-9-]/-}
    name=${name:0:63}
    printf '%s' "${name%-}"
}

# boot ATTEMPT: a fresh machine (new disk overlay, new instance id) from the image; sets `port`.
# Returns 0 once usable (lib.sh), 1 on an infrastructure failure (the VM stopped, or no SSH in
# time), with `reason` set.
boot() {
    local attempt=$1 arch="${ARCH:-x86_64}"
    rm -f "$dir/disk.qcow2" "$dir/seed.img" "$dir/console.log"
    qemu-img create -q -f qcow2 -b "$dir/image.qcow2" -F qcow2 "$dir/disk.qcow2"
    # NoCloud seed: the use case's user-data, and the lab's key through meta-data.
    # Its host name says which image and use case it tests (the Puppet server's reports too).
    printf 'instance-id: %s-%s-%s\nlocal-hostname: %s\npublic-keys:\n  - %s\n' \
        "$INSTANCE" "$(date +%s)" "$attempt" "$(host_name)" "$(cat "$dir/id_ed25519.pub")" >"$dir/meta-data"
    mkfs.vfat -n CIDATA -C "$dir/seed.img" 2048 >/dev/null
    mcopy -i "$dir/seed.img" "$dir/user-data" "$dir/meta-data" ::

    port=$(free_port)
    local qemu console machine=() firmware=() forward forwards=""
    for forward in ${LAB_GUEST_FORWARDS:-}; do
        [[ $forward =~ ^([0-9.]+):([0-9]+)=127\.0\.0\.1:([0-9]+)$ ]] ||
            fail "LAB_GUEST_FORWARDS: '$forward' is not GUEST_IP:PORT=127.0.0.1:PORT"
        # A command per connection: a chardev target would carry only the first connection.
        forwards+=",guestfwd=tcp:${BASH_REMATCH[1]}:${BASH_REMATCH[2]}-cmd:socat STDIO TCP:127.0.0.1:${BASH_REMATCH[3]}"
    done
    case "$arch/${FIRMWARE:-bios}" in
        x86_64/bios) qemu=qemu-system-x86_64 console=ttyS0 machine=(-machine q35) ;;
        x86_64/uefi) qemu=qemu-system-x86_64 console=ttyS0 machine=(-machine q35) firmware=(-bios /usr/share/ovmf/OVMF.fd) ;;
        aarch64/uefi) qemu=qemu-system-aarch64 console=ttyAMA0 machine=(-machine virt -cpu cortex-a57) firmware=(-bios /usr/share/qemu-efi-aarch64/QEMU_EFI.fd) ;;
        *) fail "no lab VM for $arch with ${FIRMWARE:-bios} firmware" ;;
    esac
    ((${#firmware[@]} == 0)) || [[ -f "${firmware[1]}" ]] || fail "UEFI firmware ${firmware[1]} is missing (scripts/ci/packages.sh lab installs it)"
    log "booting ($qemu, TCG, ${FIRMWARE:-bios}), SSH on 127.0.0.1:$port, console in $dir/console.log"
    # TCG only: /dev/kvm here cannot run stock kernels. restrict=on: the VM reaches nothing but
    # the forwarded ports.
    "$qemu" "${machine[@]}" "${firmware[@]}" -accel tcg -m "${LAB_VM_MEMORY:-1024}" -smp 2 -display none \
        -kernel "$dir/vmlinuz" -initrd "$dir/initrd" \
        -append "root=LABEL=root rw console=$console panic=-1 net.ifnames=0" \
        -drive "file=$dir/disk.qcow2,if=virtio" -drive "file=$dir/seed.img,if=virtio,format=raw" \
        -nic "user,model=virtio-net-pci,restrict=on,ipv6-prefix=2001:db8:0:1::,hostfwd=tcp:127.0.0.1:$port-:22$forwards" \
        -serial "file:$dir/console.log" -daemonize -pidfile "$dir/qemu.pid"

    wait_usable "$attempt" "${LAB_BOOT_WAIT:-900}" "$dir/id_ed25519" "$port" "${LAB_USER:-debian}" 127.0.0.1
}

start() {
    local image="$dir/image.qcow2" port reason attempt attempts=${BOOT_ATTEMPTS:-2}
    stop 2>/dev/null
    mkdir -p "$dir"
    cat >"$dir/user-data"
    if [[ -n "${IMAGE_FILE:-}" ]]; then
        cp "$IMAGE_FILE" "$image"
    else
        : "${IMAGE_ID:?IMAGE_ID or IMAGE_FILE is required}" "${OS_CLOUD:?OS_CLOUD is required with IMAGE_ID}"
        log "downloading image $IMAGE_ID from Glance ($OS_CLOUD)"
        # shellcheck source=scripts/program/build/lib.sh
        source "$(dirname "${BASH_SOURCE[0]}")/../build/lib.sh"
        with_progress "downloading from Glance" openstack image save --file "$image" "$IMAGE_ID"
    fi
    extract_kernel
    ssh-keygen -q -t ed25519 -N "" -C "osimages-lab" -f "$dir/id_ed25519"

    boot_usable "$attempts"
    node -e 'const fs=require("fs"); console.log(JSON.stringify({host:"127.0.0.1",port:Number(process.argv[1]),privateKey:fs.readFileSync(process.argv[2],"utf8"),attempts:Number(process.argv[3])}))' \
        "$port" "$dir/id_ed25519" "$attempt"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: lab-instance.sh start|stop" >&2; exit 2 ;;
esac
