# shellcheck shell=sh
# Helpers for the upstream tests. Sourced by every test; it is not executable, so runtests.sh
# does not run it. Exit codes: 0 pass, 77 skip (last line printed is the reason),
# 75 infrastructure failure (retried by the runner), anything else an image failure.

# say, fail, infra, skip, have: shared by every suite.
# shellcheck source-path=SCRIPTDIR source=../common.sh
. "$(dirname -- "$0")/../common.sh"

# os_field NAME: a field of os-release, unquoted ("" when absent).
os_field() {
    for _f in /etc/os-release /usr/lib/os-release; do
        [ -r "$_f" ] || continue
        sed -n "s/^$1=//p" "$_f" | head -n 1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'\$/\1/"
        return 0
    done
}

# is_rhel_like: true on Fedora, RHEL and its rebuilds (the distributions that ship SELinux on).
is_rhel_like() {
    case " $(os_field ID) $(os_field ID_LIKE) " in
        *" rhel "* | *" fedora "* | *" centos "*) return 0 ;;
    esac
    return 1
}

# booted_by_loader: the kernel was started by a boot loader from the image (GRUB sets
# BOOT_IMAGE=); false for a direct kernel boot.
booted_by_loader() {
    grep -q 'BOOT_IMAGE=' /proc/cmdline 2>/dev/null
}

# package_db: the native package database, dpkg or rpm ("" when neither). dpkg wins when its
# status file has content, since rpm can be installed on Debian as a mere tool.
package_db() {
    if have dpkg-query && [ -s /var/lib/dpkg/status ]; then
        echo dpkg
    elif have rpm; then
        echo rpm
    fi
}
