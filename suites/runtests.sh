#!/bin/bash
# runtests.sh - run OS image functional test suites inside a freshly booted image, in the style
# of CentOS t_functional.
#
#   runtests.sh [--junit FILE] [--tap FILE] SUITE_DIR...
#
# Every executable regular file in each SUITE_DIR (not hidden, not ending in "~") is a test and
# runs in C-locale name order, from inside its suite directory, with stdin from /dev/null.
# Non-executable files (lib.sh, README, data) are never run. A test reports through its exit code:
#
#   0        pass
#   77       skip; the last non-empty line the test printed is the reason
#   75       infrastructure failure (EX_TEMPFAIL): retried, then "FAIL (infra)"
#   other    image failure: "FAIL (image)", never retried (a test killed by the per-test
#            timeout counts as an image failure as well)
#
# One line per test goes to stdout:
#
#   [+] <suite>/<test> ... PASS (<secs>s)
#   [+] <suite>/<test> ... SKIP (<secs>s): <reason>
#   [+] <suite>/<test> ... FAIL (image) (<secs>s): exit <rc> | timed out after <n>s
#   [+] <suite>/<test> ... FAIL (infra) (<secs>s): exit 75 after <n> attempts
#
# and the last stdout line is the summary:
#
#   [=] N passed, N failed (N image, N infra), N skipped
#
# Retry notices and the output tail of failed tests go to stderr. Exit status: 0 when nothing
# failed, 1 when any test failed the image, 2 when only infrastructure failures occurred, 64 on a
# usage error (bad option, missing suite directory, bad environment value, unwritable report).
#
# Environment:
#   OSIP_TEST_TIMEOUT        per-test timeout in seconds, per attempt (default 300; 0 = none)
#   OSIP_INFRA_RETRIES       extra attempts for a test that exits 75 (default 2)
#   OSIP_INFRA_RETRY_DELAY   seconds between those attempts (default 5)
#   OSIP_OUTPUT_TAIL         lines of output kept for failure reports (default 50)
#   OSIP_VERBOSE             1 = copy every test's output to stderr (default 0)
#
# Tests see OSIP_SUITE, OSIP_TEST, OSIP_SUITE_DIR and OSIP_ATTEMPT (1-based) in their environment.

set -u

# Name order must not depend on the image's locale; the tests get the same predictable locale.
export LC_ALL=C
# A non-login shell over ssh/sudo may lack the sbin directories the tests call into.
for _p in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
    case ":${PATH:-}:" in
        *":$_p:"*) ;;
        *) PATH=${PATH:+$PATH:}$_p ;;
    esac
done
export PATH

readonly EX_SKIP=77 EX_INFRA=75 EX_USAGE=64
PROG=${0##*/}

usage() {
    cat <<EOF
usage: $PROG [--junit FILE] [--tap FILE] SUITE_DIR...

Runs every executable file in each SUITE_DIR in name order. Exit codes of a test:
0 pass, 77 skip, 75 infrastructure failure (retried), anything else image failure.
Runner exit: 0 all passed or skipped, 1 image failure, 2 only infrastructure failures, 64 usage.
EOF
}

die_usage() {
    printf '%s: %s\n' "$PROG" "$1" >&2
    usage >&2
    exit "$EX_USAGE"
}

is_uint() {
    case $1 in
        '' | *[!0-9]*) return 1 ;;
    esac
    return 0
}

# env_uint NAME DEFAULT: prints the variable's value, or DEFAULT when unset or empty.
env_uint() {
    local value
    value=${!1:-$2}
    is_uint "$value" || die_usage "$1 must be a non-negative integer, got '$value'"
    printf '%s' "$((10#$value))"
}

junit_file=
tap_file=
suite_args=()
while [ $# -gt 0 ]; do
    case $1 in
        --junit | --tap)
            if [ $# -lt 2 ] || [ -z "$2" ]; then die_usage "$1 needs a file name"; fi
            if [ "$1" = --junit ]; then junit_file=$2; else tap_file=$2; fi
            shift 2
            ;;
        --junit=?*) junit_file=${1#--junit=} && shift ;;
        --tap=?*) tap_file=${1#--tap=} && shift ;;
        -h | --help)
            usage
            exit 0
            ;;
        --)
            shift
            suite_args+=("$@")
            break
            ;;
        -*) die_usage "unknown option: $1" ;;
        *) suite_args+=("$1") && shift ;;
    esac
done
[ ${#suite_args[@]} -gt 0 ] || die_usage "no suite directory given"

test_timeout=$(env_uint OSIP_TEST_TIMEOUT 300) || exit "$EX_USAGE"
infra_retries=$(env_uint OSIP_INFRA_RETRIES 2) || exit "$EX_USAGE"
retry_delay=$(env_uint OSIP_INFRA_RETRY_DELAY 5) || exit "$EX_USAGE"
output_tail=$(env_uint OSIP_OUTPUT_TAIL 50) || exit "$EX_USAGE"
verbose=${OSIP_VERBOSE:-0}
kill_grace=10

# GNU timeout kills the whole process group of a test; without it a watchdog kills the test.
use_timeout=0
if timeout --version >/dev/null 2>&1; then
    use_timeout=1
fi

for report in "$junit_file" "$tap_file"; do
    [ -n "$report" ] || continue
    : >"$report" 2>/dev/null || die_usage "cannot write report file: $report"
done

suite_dirs=()
suite_names=()
for arg in "${suite_args[@]}"; do
    [ -d "$arg" ] || die_usage "not a directory: $arg"
    dir=$(cd -- "$arg" && pwd -P) || die_usage "cannot enter: $arg"
    suite_dirs+=("$dir")
    suite_names+=("${dir##*/}")
done

work=$(mktemp -d "${TMPDIR:-/tmp}/osip-runtests.XXXXXX") || {
    echo "$PROG: cannot create a temporary directory" >&2
    exit 1
}
# Only the runner itself cleans up: a subshell forked just as a signal arrives may still run the
# parent's traps.
runner_pid=$BASHPID
trap '[ "$BASHPID" != "$runner_pid" ] || rm -rf -- "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# Collect the tests first so that TAP can announce its plan.
test_suite=() # index into suite_dirs
test_name=()
for i in "${!suite_dirs[@]}"; do
    found=0
    for path in "${suite_dirs[$i]}"/*; do
        if [ ! -f "$path" ] || [ ! -x "$path" ]; then continue; fi
        case ${path##*/} in *~) continue ;; esac
        test_suite+=("$i")
        test_name+=("${path##*/}")
        found=$((found + 1))
    done
    [ "$found" -gt 0 ] || echo "$PROG: warning: no executable tests in ${suite_dirs[$i]}" >&2
done

# now_ms: sets the global variable now to a clock in milliseconds. /proc/uptime is monotonic, so
# the clock being stepped by NTP right after boot does not distort the elapsed times.
now=0
now_ms() {
    local t frac
    if read -r t _ 2>/dev/null </proc/uptime && [ "$t" != "${t#*.}" ]; then
        frac=${t#*.}000
        now=$((${t%.*} * 1000 + 10#${frac:0:3}))
    elif [ -n "${EPOCHREALTIME:-}" ]; then
        t=$EPOCHREALTIME
        frac=${t#*[.,]}000
        now=$((${t%[.,]*} * 1000 + 10#${frac:0:3}))
    else
        t=$(date +%s%N 2>/dev/null)
        case $t in
            '' | *[!0-9]*) now=$(($(date +%s) * 1000)) ;;
            *) now=$((t / 1000000)) ;;
        esac
    fi
}

# secs MS: prints milliseconds as seconds with two decimals.
secs() {
    [ "$1" -ge 0 ] || set -- 0
    printf '%d.%02d' "$(($1 / 1000))" "$((($1 % 1000) / 10))"
}

# clean_text: drops what XML 1.0 and YAML cannot carry (control characters, invalid UTF-8).
clean_text() {
    if command -v iconv >/dev/null 2>&1; then
        iconv -c -f UTF-8 -t UTF-8 2>/dev/null
    else
        cat
    fi | tr -d '\000-\010\013\014\016-\037\177'
}

xml_escape() {
    clean_text | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' \
        -e 's/"/\&quot;/g' -e "s/'/\&apos;/g"
}

# xml_attr TEXT: TEXT escaped for an attribute value, on one line.
xml_attr() {
    printf '%s' "$1" | tr '\n\t' '  ' | xml_escape
}

# prefix_lines LABEL: copies stdin with "    LABEL: " in front of every line.
prefix_lines() {
    local line
    while IFS= read -r line || [ -n "$line" ]; do
        printf '    %s: %s\n' "$1" "$line"
    done
}

# last_line FILE: the last non-empty line of FILE, trimmed, on one line.
last_line() {
    grep -v '^[[:space:]]*$' "$1" 2>/dev/null | tail -n 1 | tr -d '\r' | clean_text |
        sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//'
}

# start_test DIR NAME ATTEMPT [WRAPPER...]: becomes the test; call it in a subshell.
start_test() {
    local dir=$1 name=$2 attempt=$3
    shift 3
    cd -- "$dir" || exit 126
    export OSIP_SUITE="${dir##*/}" OSIP_TEST="$name" OSIP_SUITE_DIR="$dir" OSIP_ATTEMPT="$attempt"
    exec "$@" "./$name"
}

# run_once DIR NAME OUTFILE ATTEMPT: runs one attempt; sets rc and timed_out.
rc=0
timed_out=0
run_once() {
    local dir=$1 name=$2 out=$3 attempt=$4 start pid watchdog marker fifo
    timed_out=0
    now_ms
    start=$now
    if [ "$test_timeout" -gt 0 ] && [ "$use_timeout" -eq 1 ]; then
        (start_test "$dir" "$name" "$attempt" timeout -k "$kill_grace" "$test_timeout") \
            </dev/null >"$out" 2>&1
        rc=$?
        now_ms
        if { [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; } &&
            [ $((now - start)) -ge $((test_timeout * 1000 - 500)) ]; then
            timed_out=1
        fi
    elif [ "$test_timeout" -gt 0 ]; then
        marker=$work/timed-out
        rm -f -- "$marker"
        fifo=$work/watchdog.fifo
        [ -p "$fifo" ] || mkfifo "$fifo" || exit 1
        (start_test "$dir" "$name" "$attempt") </dev/null >"$out" 2>&1 &
        pid=$!
        (
            # read -t on a FIFO nobody writes to is a sleep without a child process, so killing
            # the watchdog leaves nothing behind.
            read -r -t "$test_timeout" _ <>"$fifo"
            : >"$marker"
            kill -TERM "$pid"
            read -r -t "$kill_grace" _ <>"$fifo"
            kill -KILL "$pid"
        ) </dev/null >/dev/null 2>&1 &
        watchdog=$!
        wait "$pid"
        rc=$?
        # SIGKILL: no trap can run in the watchdog, and it has no child to leave behind.
        kill -KILL "$watchdog" 2>/dev/null
        wait "$watchdog" 2>/dev/null
        [ -e "$marker" ] && timed_out=1
    else
        (start_test "$dir" "$name" "$attempt") </dev/null >"$out" 2>&1
        rc=$?
    fi
}

passed=0 failed=0 failed_image=0 failed_infra=0 skipped=0
total=${#test_name[@]}

if [ -n "$tap_file" ]; then
    printf 'TAP version 13\n1..%d\n' "$total" >"$work/tap"
fi
# Per-suite JUnit counters and testcase fragments.
declare -a s_tests s_failures s_skipped s_ms
for i in "${!suite_dirs[@]}"; do
    s_tests[i]=0 s_failures[i]=0 s_skipped[i]=0 s_ms[i]=0
    : >"$work/junit.$i"
done

for ((t = 0; t < total; t++)); do
    si=${test_suite[$t]}
    dir=${suite_dirs[$si]}
    suite=${suite_names[$si]}
    name=${test_name[$t]}
    label=$suite/$name
    out=$work/output

    max_attempts=$((infra_retries + 1))
    attempt=0
    now_ms
    t_start=$now
    while :; do
        attempt=$((attempt + 1))
        run_once "$dir" "$name" "$out" "$attempt"
        if [ "$verbose" = 1 ]; then
            prefix_lines "$label" <"$out" >&2
        fi
        if [ "$rc" -eq "$EX_INFRA" ] && [ "$timed_out" -eq 0 ] && [ "$attempt" -lt "$max_attempts" ]; then
            printf '[~] %s ... infra failure (exit 75: %s), retry %d/%d in %ds\n' "$label" \
                "$(last_line "$out")" "$attempt" "$infra_retries" "$retry_delay" >&2
            sleep "$retry_delay"
            continue
        fi
        break
    done
    now_ms
    ms=$((now - t_start))
    elapsed=$(secs "$ms")

    kind='' reason='' detail=
    if [ "$timed_out" -eq 1 ]; then
        kind=image
        detail="timed out after ${test_timeout}s"
    elif [ "$rc" -eq 0 ]; then
        kind=pass
    elif [ "$rc" -eq "$EX_SKIP" ]; then
        kind=skip
        reason=$(last_line "$out")
        [ -n "$reason" ] || reason="skipped"
    elif [ "$rc" -eq "$EX_INFRA" ]; then
        kind=infra
        detail="exit 75 after $attempt attempts"
        [ "$attempt" -gt 1 ] || detail="exit 75"
    else
        kind=image
        detail="exit $rc"
    fi

    case $kind in
        pass)
            passed=$((passed + 1))
            printf '[+] %s ... PASS (%ss)\n' "$label" "$elapsed"
            ;;
        skip)
            skipped=$((skipped + 1))
            printf '[+] %s ... SKIP (%ss): %s\n' "$label" "$elapsed" "$reason"
            ;;
        *)
            failed=$((failed + 1))
            if [ "$kind" = infra ]; then
                failed_infra=$((failed_infra + 1))
            else
                failed_image=$((failed_image + 1))
            fi
            printf '[+] %s ... FAIL (%s) (%ss): %s\n' "$label" "$kind" "$elapsed" "$detail"
            if [ "$verbose" != 1 ]; then
                tail -n "$output_tail" "$out" | prefix_lines "$label" >&2
            fi
            ;;
    esac

    # JUnit
    s_tests[si]=$((s_tests[si] + 1))
    s_ms[si]=$((s_ms[si] + ms))
    {
        printf '    <testcase classname="%s" name="%s" time="%s"' \
            "$(xml_attr "$suite")" "$(xml_attr "$name")" "$elapsed"
        case $kind in
            pass) printf '/>\n' ;;
            skip)
                s_skipped[si]=$((s_skipped[si] + 1))
                printf '>\n      <skipped message="%s"/>\n    </testcase>\n' "$(xml_attr "$reason")"
                ;;
            *)
                s_failures[si]=$((s_failures[si] + 1))
                printf '>\n      <failure type="%s" message="%s">' "$kind" "$(xml_attr "$detail")"
                tail -n "$output_tail" "$out" | xml_escape
                printf '</failure>\n    </testcase>\n'
                ;;
        esac
    } >>"$work/junit.$si"

    # TAP
    if [ -n "$tap_file" ]; then
        n=$((t + 1))
        desc=$(printf '%s' "$label" | sed 's/#/\\#/g')
        {
            case $kind in
                pass) printf 'ok %d - %s\n' "$n" "$desc" ;;
                skip) printf 'ok %d - %s # SKIP %s\n' "$n" "$desc" "$reason" ;;
                *)
                    printf 'not ok %d - %s\n  ---\n' "$n" "$desc"
                    printf "  message: '%s'\n" "$detail"
                    printf '  severity: fail\n  failure_type: %s\n  exit_code: %d\n' "$kind" "$rc"
                    printf '  attempts: %d\n  duration_ms: %d\n  output:\n' "$attempt" "$ms"
                    tail -n "$output_tail" "$out" | tr -d '\r' | clean_text |
                        awk -v q="'" '{ gsub(q, q q); print "    - " q $0 q }'
                    printf '  ...\n'
                    ;;
            esac
        } >>"$work/tap"
    fi
done

if [ -n "$junit_file" ]; then
    stamp=$(date -u +%Y-%m-%dT%H:%M:%S)
    host=$(uname -n 2>/dev/null || echo unknown)
    all_ms=0
    for i in "${!suite_dirs[@]}"; do all_ms=$((all_ms + s_ms[i])); done
    {
        printf '<?xml version="1.0" encoding="UTF-8"?>\n'
        printf '<testsuites name="osimages" tests="%d" failures="%d" errors="0" skipped="%d" time="%s">\n' \
            "$total" "$failed" "$skipped" "$(secs "$all_ms")"
        for i in "${!suite_dirs[@]}"; do
            printf '  <testsuite name="%s" tests="%d" failures="%d" errors="0" skipped="%d" time="%s" timestamp="%s" hostname="%s">\n' \
                "$(xml_attr "${suite_names[$i]}")" "${s_tests[$i]}" "${s_failures[$i]}" \
                "${s_skipped[$i]}" "$(secs "${s_ms[$i]}")" "$stamp" "$(xml_attr "$host")"
            cat "$work/junit.$i"
            printf '  </testsuite>\n'
        done
        printf '</testsuites>\n'
    } >"$junit_file" || echo "$PROG: warning: could not write $junit_file" >&2
fi
if [ -n "$tap_file" ]; then
    cat "$work/tap" >"$tap_file" || echo "$PROG: warning: could not write $tap_file" >&2
fi

printf '[=] %d passed, %d failed (%d image, %d infra), %d skipped\n' \
    "$passed" "$failed" "$failed_image" "$failed_infra" "$skipped"

if [ "$failed_image" -gt 0 ]; then
    exit 1
elif [ "$failed_infra" -gt 0 ]; then
    exit 2
fi
exit 0
