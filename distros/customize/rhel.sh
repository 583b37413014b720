#!/bin/sh
# Site fixes applied to the vendor's RHEL KVM image with `virt-customize --run`.
# The vendor image is registered to nobody: keep it that way, and make it behave like the
# Koji-built images (serial console, no zeroconf route, unique machine-id on first boot).
set -eu

# Serial console first: the cloud's console log reads ttyS0.
if command -v grubby >/dev/null 2>&1; then
    grubby --update-kernel=ALL --args="console=ttyS0,115200n8 console=tty0 no_timer_check net.ifnames=0"
fi

# A link-local route breaks the metadata service on some networks.
grep -q '^NOZEROCONF=' /etc/sysconfig/network 2>/dev/null ||
    echo 'NOZEROCONF=yes' >>/etc/sysconfig/network

# Each instance must generate its own identity.
: >/etc/machine-id
rm -f /etc/ssh/ssh_host_*

echo "customized-by=os-image-pipeline" >/etc/osimages-release
