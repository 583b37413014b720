# shellcheck shell=bash
# Shared by the build scripts (sourced).

# report_artefact QCOW2 [ROOTFS]: names the artefact after its sha256, so a rebuild is a new file
# (Glance re-uploads it, and its tests run again), then prints the result line ImageBuild parses:
# {"artefact": ..., "sha256": ..., "rootfs": ...}.
report_artefact() {
    local qcow2="$1" rootfs="${2:-}" sha256 final
    sha256=$(sha256sum "$qcow2" | cut -d' ' -f1)
    final="${qcow2%.qcow2}-${sha256:0:12}.qcow2"
    # Earlier builds of the same release: already uploaded, only taking space.
    find "$(dirname "$qcow2")" -maxdepth 1 -name "$(basename "${qcow2%.qcow2}")-????????????.qcow2" ! -name "$(basename "$final")" -delete
    [[ "$qcow2" == "$final" ]] || mv -f "$qcow2" "$final"
    echo "[build $(date +%T)] artefact $final sha256 $sha256" >&2
    printf '{"artefact":"%s","sha256":"%s","rootfs":"%s"}\n' "$final" "$sha256" "$rootfs"
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
