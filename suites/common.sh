# shellcheck shell=sh
# Helpers shared by every suite's lib.sh. Not executable, and outside the suite directories, so
# runtests.sh never runs it. Exit codes: 0 pass, 77 skip (the last line printed is the reason),
# 75 infrastructure failure (retried by the runner), anything else an image failure.

say() { printf '%s\n' "$*"; }
fail() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}
infra() {
    printf 'INFRA: %s\n' "$*" >&2
    exit 75
}
skip() {
    printf '%s\n' "$*"
    exit 77
}
have() { command -v "$1" >/dev/null 2>&1; }
