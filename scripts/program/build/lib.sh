# shellcheck shell=bash
# Shared by the build scripts (sourced).

# report_artefact QCOW2 ROOTFS MANIFEST: names the artefact after its sha256, so a rebuild is a new
# file (Glance re-uploads it, and its tests run again), and its package manifest after it
# (<artefact>.packages), then prints the result line ImageBuild parses: {"artefact": ...,
# "sha256": ..., "rootfs": ..., "manifest": ..., "manifestSha256": ...}.
report_artefact() {
    local qcow2="$1" rootfs="${2:-}" manifest="$3" sha256 final packages stem
    sha256=$(sha256sum "$qcow2" | cut -d' ' -f1)
    final="${qcow2%.qcow2}-${sha256:0:12}.qcow2"
    packages="${final%.qcow2}.packages"
    stem=$(basename "${qcow2%.qcow2}")
    # Earlier builds of the same release: already uploaded, only taking space.
    find "$(dirname "$qcow2")" -maxdepth 1 \( -name "$stem-????????????.qcow2" -o -name "$stem-????????????.packages" \) \
        ! -name "$(basename "$final")" ! -name "$(basename "$packages")" -delete
    [[ "$qcow2" == "$final" ]] || mv -f "$qcow2" "$final"
    [[ "$manifest" == "$packages" ]] || mv -f "$manifest" "$packages"
    echo "[build $(date +%T)] artefact $final sha256 $sha256, $(($(wc -l <"$packages") - 1)) packages" >&2
    printf '{"artefact":"%s","sha256":"%s","rootfs":"%s","manifest":"%s","manifestSha256":"%s"}\n' \
        "$final" "$sha256" "$rootfs" "$packages" "$(sha256sum "$packages" | cut -d' ' -f1)"
}

# write_manifest FORMAT FILE: the package manifest that model/packages.ts reads, from the query's
# lines on stdin: a header naming the format, then the lines sorted bytewise without duplicates, so
# that the file's sha256 is the digest of the package set (manifestDigest computes the same).
write_manifest() {
    { echo "# osimages package manifest: $1"; LC_ALL=C sort -u; } >"$2"
}

# dpkg_manifest ADMINDIR FILE: the installed packages of a dpkg database, read by this machine's
# dpkg-query (no code of the image runs: any arch). dpkg prints the epoch only when it is not 0.
dpkg_manifest() {
    # shellcheck disable=SC2016 # ${Package} is dpkg-query's, not the shell's
    dpkg-query --admindir="$1" -W -f '${db:Status-Status} ${Package} ${Version} ${Architecture}\n' |
        awk '$1 == "installed" { print $2, $3, $4 }' | write_manifest dpkg "$2"
}

# rpm_manifest DBPATH FILE: the same for an rpm database; the epoch always written (0 when none).
rpm_manifest() {
    command -v rpm >/dev/null || { echo "reading an rpm database needs rpm on this machine" >&2; return 1; }
    rpm --dbpath "$1" -qa --qf '%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH}\n' | write_manifest rpm "$2"
}

# image_manifest IMAGE FILE: the manifest of a qcow2 disk image, dpkg- or rpm-based. libguestfs
# copies the package database out (read-only), this machine's dpkg-query or rpm reads it. rpm's
# database is under /usr/lib/sysimage/rpm (RHEL 10) or /var/lib/rpm: guestfish skips ("-") the
# copies the image has nothing for.
image_manifest() {
    local image=$1 file=$2 db rpmdb
    db=$(mktemp -d)
    mkdir -p "$db/dpkg" "$db/sysimage" "$db/var"
    if ! LIBGUESTFS_BACKEND="${LIBGUESTFS_BACKEND:-direct}" guestfish --ro --format=qcow2 -a "$image" -i \
        >"$db/guestfish.log" 2>&1 <<EOF; then
-download /var/lib/dpkg/status $db/dpkg/status
-copy-out /usr/lib/sysimage/rpm $db/sysimage
-copy-out /var/lib/rpm $db/var
EOF
        cat "$db/guestfish.log" >&2
        rm -rf "$db"
        return 1
    fi
    rpmdb=$(find "$db/sysimage" "$db/var" -mindepth 2 -maxdepth 2 \
        \( -name rpmdb.sqlite -o -name Packages -o -name Packages.db \) -printf '%h\n' | head -n 1)
    local rc=0
    if [[ -s "$db/dpkg/status" ]]; then
        dpkg_manifest "$db/dpkg" "$file" || rc=$?
    elif [[ -n "$rpmdb" ]]; then
        rpm_manifest "$rpmdb" "$file" || rc=$?
    else
        echo "no dpkg or rpm package database found in $image:" >&2
        cat "$db/guestfish.log" >&2
        rc=1
    fi
    rm -rf "$db"
    return "$rc"
}

# with_progress WHAT CMD...: runs CMD with a line on stderr every 30 s while it runs (the update's
# log shows that a long step is alive); CMD's exit status is returned. A CMD whose output goes to a
# file runs through `logged`, so the progress lines still reach the caller's stderr.
with_progress() {
    local what=$1 t0=$SECONDS ticker rc=0
    shift
    # The sleep is killed with the ticker: an orphaned one would hold the caller's stderr open.
    (
        trap 'kill "$nap" 2>/dev/null; exit 0' TERM
        while :; do
            sleep 30 &
            nap=$!
            wait "$nap"
            echo "[progress $(date +%T)] still $what ($((SECONDS - t0))s)" >&2
        done
    ) &
    ticker=$!
    "$@" || rc=$?
    kill "$ticker" 2>/dev/null
    wait "$ticker" 2>/dev/null || true
    return "$rc"
}

# logged FILE CMD...: runs CMD with its stdout and stderr in FILE.
logged() {
    local file=$1
    shift
    "$@" >"$file" 2>&1
}
