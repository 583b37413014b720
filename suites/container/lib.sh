# shellcheck shell=sh
# Helpers for the container image tests, run inside the container. Sourced by every test; it is
# not executable, so runtests.sh does not run it. Exit codes: 0 pass, 77 skip (last line printed
# is the reason), 75 infrastructure failure (retried by the runner), anything else an image
# failure.

# say, fail, infra, skip, have: shared by every suite.
# shellcheck source-path=SCRIPTDIR source=../common.sh
. "$(dirname -- "$0")/../common.sh"

# os_release: the os-release file of the image ("" when there is none).
os_release() {
    for _f in /etc/os-release /usr/lib/os-release; do
        if [ -r "$_f" ]; then
            printf '%s' "$_f"
            return 0
        fi
    done
}

# os_field NAME: a field of os-release, unquoted ("" when absent).
os_field() {
    _f=$(os_release)
    [ -n "$_f" ] || return 0
    sed -n "s/^$1=//p" "$_f" | head -n 1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'\$/\1/"
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
