#!/usr/bin/env bash
# Validate the image kickstarts: pykickstart's ksvalidator, against the kickstart syntax version
# (handler) each release's anaconda speaks, and the site rules for image kickstarts (serial
# console, DHCP, locked root, cloud-init, power off). The program runs this at load.
#
#   scripts/program/validate-kickstarts.sh --all                 every Koji entry of distros/catalogue
#   scripts/program/validate-kickstarts.sh VERSION FILE [...]    e.g. RHEL9 distros/kickstarts/cs9.ks
#   scripts/program/validate-kickstarts.sh --ksvalidator         print the cached ksvalidator's path
#
# Prints "ok   FILE (VERSION)" per passing file, "FAIL FILE (VERSION)" and the
# validator's messages prefixed with "FILE: " per failing one, then
# "N passed, N failed"; exits 1 if any file fails, 2 on a usage error. A file
# passes only when ksvalidator exits 0 and prints nothing but its "Checking
# kickstart file" header, so a deprecation warning counts as a failure.
#
# Debian does not package pykickstart, so it lives in a venv built on first
# use (from PyPI) and cached across runs and checkouts.
#
# Environment:
#   OSIP_CACHE    cache root (default ~/.cache/os-image-pipeline); the venv is
#                 <cache root>/pykickstart-<version>
#   OSIP_PYTHON   python used to create the venv (default python3, >= 3.8)
set -euo pipefail

# 3.78 was the newest pykickstart on PyPI when pinned, and has the RHEL10 handler.
# Pinned exactly: a new pykickstart may deprecate syntax, which must show up
# as a deliberate bump here rather than as a red CI run.
readonly PYKICKSTART_VERSION=3.78

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly REPO_ROOT
readonly KS_DIR="distros/kickstarts"
readonly CACHE_ROOT="${OSIP_CACHE:-${HOME:-/tmp}/.cache/os-image-pipeline}"
readonly VENV="$CACHE_ROOT/pykickstart-$PYKICKSTART_VERSION"
readonly KSVALIDATOR="$VENV/bin/ksvalidator"

usage() {
    sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

progress() {
    printf '[validate-kickstarts %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

die() {
    printf 'validate-kickstarts: %s\n' "$*" >&2
    exit 2
}

# venv_ok DIR : DIR is a finished venv whose pykickstart is the pinned one.
venv_ok() {
    [ -f "$1/.osip-complete" ] && [ -x "$1/bin/ksvalidator" ] &&
        [ "$("$1/bin/python" -c 'import importlib.metadata as m; print(m.version("pykickstart"))' 2>/dev/null)" = "$PYKICKSTART_VERSION" ]
}

BUILD_DIR=""
cleanup() {
    if [ -n "$BUILD_DIR" ]; then
        rm -rf "$BUILD_DIR"
    fi
}

# ensure_venv : create $VENV unless a finished one is there.
#
# The venv is built under a temporary name next to $VENV and renamed into
# place only when complete, so an interrupted run never leaves a venv that
# looks usable; a concurrent run that renames first wins and ours is dropped.
# Scripts in a venv carry its absolute path in their "#!" line, so those are
# rewritten to the final path before the rename.
ensure_venv() {
    local python="${OSIP_PYTHON:-python3}" started stale

    if venv_ok "$VENV"; then
        return 0
    fi
    command -v "$python" >/dev/null 2>&1 || die "$python not found (set OSIP_PYTHON)"
    # 3.8 for importlib.metadata, used to check the installed version.
    "$python" -c 'import sys; sys.exit(sys.version_info < (3, 8))' ||
        die "$python is older than 3.8"

    started=$SECONDS
    mkdir -p "$CACHE_ROOT"
    # Leftovers of runs killed before they could clean up. The age limit keeps
    # this away from a build that a concurrent run has in progress.
    find "$CACHE_ROOT" -maxdepth 1 -name ".pykickstart-*.tmp.*" -mmin +60 \
        -exec rm -rf {} + 2>/dev/null || true

    BUILD_DIR="$(mktemp -d "$CACHE_ROOT/.pykickstart-$PYKICKSTART_VERSION.tmp.XXXXXX")"
    chmod 755 "$BUILD_DIR" # mktemp's 700 would hide the venv from other users of the cache
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    progress "creating venv for pykickstart $PYKICKSTART_VERSION (first use; cached at $VENV)"
    "$python" -m venv "$BUILD_DIR" ||
        die "'$python -m venv' failed (on Debian: apt-get install python3-venv)"

    progress "installing pykickstart==$PYKICKSTART_VERSION from PyPI"
    if ! "$BUILD_DIR/bin/python" -m pip install --quiet --disable-pip-version-check \
        --no-input "pykickstart==$PYKICKSTART_VERSION" >"$BUILD_DIR/pip.log" 2>&1; then
        cat "$BUILD_DIR/pip.log" >&2
        die "pip install pykickstart==$PYKICKSTART_VERSION failed"
    fi

    "$BUILD_DIR/bin/python" - "$BUILD_DIR" "$VENV" <<'PY'
import os, sys
old, new = (a.encode() for a in sys.argv[1:3])
bindir = os.path.join(sys.argv[1], "bin")
for name in os.listdir(bindir):
    path = os.path.join(bindir, name)
    if os.path.islink(path) or not os.path.isfile(path):
        continue
    with open(path, "rb") as f:
        data = f.read()
    if old in data:
        with open(path, "wb") as f:
            f.write(data.replace(old, new))
PY

    progress "checking the new venv"
    "$BUILD_DIR/bin/python" - "$PYKICKSTART_VERSION" <<'PY' || die "the new venv does not work"
import sys
from importlib.metadata import version
from pykickstart.version import makeVersion
assert version("pykickstart") == sys.argv[1], version("pykickstart")
for v in ("RHEL7", "RHEL8", "RHEL9", "RHEL10"):
    makeVersion(v)
PY
    rm -f "$BUILD_DIR/pip.log"
    touch "$BUILD_DIR/.osip-complete"

    if [ -e "$VENV" ] && ! venv_ok "$VENV"; then
        # Unusable (e.g. its base python was removed): move it aside, then drop it.
        stale="$(mktemp -d "$CACHE_ROOT/.pykickstart-$PYKICKSTART_VERSION.tmp.XXXXXX")"
        mv -T "$VENV" "$stale/venv" 2>/dev/null || true
        rm -rf "$stale"
    fi
    if mv -T "$BUILD_DIR" "$VENV" 2>/dev/null; then
        BUILD_DIR=""
        progress "venv ready in $((SECONDS - started))s: $VENV"
    elif venv_ok "$VENV"; then
        progress "a concurrent run created $VENV first; using it"
    else
        die "could not move the new venv to $VENV"
    fi
}

# validate VERSION FILE : one ksvalidator run; prints the result, returns 1 on failure.
# site_rules FILE : one "missing ..." line per directive an image kickstart must have beyond what
# ksvalidator checks (the program, the plan and this script all run this one check).
site_rules() {
    "$VENV/bin/python" - "$1" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
RULES = [
    (r"^bootloader\b.*console=ttyS0", "bootloader with console=ttyS0 (the cloud reads the serial console)"),
    (r"^network\b.*--bootproto=dhcp", "network --bootproto=dhcp"),
    (r"^rootpw\s+--lock", "rootpw --lock (no root password in a shared image)"),
    (r"^%packages\b[\s\S]*?^cloud-init\s*$[\s\S]*?^%end", "cloud-init in %packages"),
    (r"^(shutdown|poweroff)\s*$", "shutdown or poweroff (Koji waits for the VM to stop)"),
]
for pattern, what in RULES:
    if not re.search(pattern, text, re.M):
        print("missing " + what)
PY
}

validate() {
    local version=$1 file=$2 out rc=0 messages line arg="" c i site
    if [ ! -f "$file" ]; then
        printf 'FAIL %s (%s)\n%s: no such file\n' "$file" "$version" "$file"
        return 1
    fi
    # ksvalidator passes its arguments through glob.glob: escape the glob
    # characters the way glob.escape does, and prefix "./" so that a name
    # starting with "-" is not read as an option.
    case "$file" in
        /*) ;;
        *) arg="./" ;;
    esac
    for ((i = 0; i < ${#file}; i++)); do
        c="${file:i:1}"
        case "$c" in
            '*' | '?' | '[') arg+="[$c]" ;;
            *) arg+="$c" ;;
        esac
    done
    out="$(PYTHONWARNINGS=ignore::SyntaxWarning "$KSVALIDATOR" -v "$version" "$arg" 2>&1)" || rc=$?
    # Drop the header and blank lines; whatever is left is an error or warning.
    messages="$(printf '%s\n' "$out" | grep -v -e '^Checking kickstart file ' -e '^[[:space:]]*$' || true)"
    site="$(site_rules "$file")"
    if [ -n "$site" ]; then
        rc=1
        messages="${messages:+$messages$'\n'}$site"
    fi
    if [ "$rc" -eq 0 ] && [ -z "$messages" ]; then
        printf 'ok   %s (%s)\n' "$file" "$version"
        return 0
    fi
    if [ -z "$messages" ]; then
        messages="ksvalidator exited with status $rc"
    fi
    printf 'FAIL %s (%s)\n' "$file" "$version"
    while IFS= read -r line; do
        printf '%s: %s\n' "$file" "$line"
    done <<<"$messages"
    return 1
}

# run_pairs VERSION FILE [VERSION FILE ...]
run_pairs() {
    local passed=0 failed=0
    ensure_venv
    while [ $# -ge 2 ]; do
        if validate "$1" "$2"; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
        fi
        shift 2
    done
    printf '%d passed, %d failed\n' "$passed" "$failed"
    [ "$failed" -eq 0 ]
}

main() {
    local -a pairs=()
    local entry kickstart version

    case "${1:-}" in
        "" | -h | --help)
            usage
            [ $# -gt 0 ] || exit 2
            exit 0
            ;;
        --ksvalidator)
            [ $# -eq 1 ] || die "--ksvalidator takes no arguments"
            ensure_venv
            printf '%s\n' "$KSVALIDATOR"
            exit 0
            ;;
        --all)
            [ $# -eq 1 ] || die "--all takes no arguments"
            cd "$REPO_ROOT"
            # Every Koji entry of the catalogue: its kickstart and the version it names.
            for entry in distros/catalogue/*.yaml; do
                kickstart=$(sed -n 's/^ *kickstart: *\([^ #]*\).*/\1/p' "$entry")
                version=$(sed -n 's/^ *ksVersion: *\([^ #]*\).*/\1/p' "$entry")
                [ -n "$kickstart" ] || continue
                [ -n "$version" ] || die "$entry: kickstart without ksVersion"
                pairs+=("$version" "$KS_DIR/$kickstart")
            done
            [ ${#pairs[@]} -gt 0 ] || die "no Koji entries in distros/catalogue"
            run_pairs "${pairs[@]}"
            ;;
        -*)
            die "unknown option $1 (see --help)"
            ;;
        *)
            [ $(($# % 2)) -eq 0 ] || die "expected VERSION FILE pairs, got an odd number of arguments (see --help)"
            run_pairs "$@"
            ;;
    esac
}

main "$@"
