# shellcheck shell=sh
# Helpers for the site tests. Sourced by every test; it is not executable, so runtests.sh does
# not run it. Exit codes: 0 pass, 77 skip (last line printed is the reason), 75 infrastructure
# failure (a site service or the network is not there yet; retried by the runner), anything
# else an image failure.

# say, fail, infra, skip, have: shared by every suite.
# shellcheck source-path=SCRIPTDIR source=../common.sh
. "$(dirname -- "$0")/../common.sh"

# with_timeout SECONDS COMMAND...: runs COMMAND, killed after SECONDS when timeout(1) exists;
# returns 124 on timeout.
with_timeout() {
    _secs=$1
    shift
    if have timeout; then
        timeout -k 5 "$_secs" "$@"
    else
        "$@"
    fi
}

# booted_by_loader: the kernel was started by a boot loader (GRUB sets BOOT_IMAGE=).
booted_by_loader() {
    grep -q 'BOOT_IMAGE=' /proc/cmdline 2>/dev/null
}

# is_mounted DIR: DIR is a mount point.
is_mounted() {
    awk -v d="$1" '$2 == d { found = 1 } END { exit !found }' /proc/self/mounts
}

# systemd_up: systemd is the running init system.
systemd_up() {
    have systemctl && [ -d /run/systemd/system ]
}
