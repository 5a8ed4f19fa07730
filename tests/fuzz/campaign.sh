#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A fuzzing campaign: every target (or those named) runs for SECONDS under ASan+UBSan from
# its committed corpus (and the SyncML test data where it takes them), what it found that is
# new is merged into tests/fuzz/corpus/<target>/, and a table says how long each ran, at how
# many executions per second, and whether it found a crash (kept in OUT/<target>/).
#
#   tests/fuzz/campaign.sh [-t SECONDS] [-o OUT] [-n] [TARGET...]
#
#   -t SECONDS  per target (default 1800: the half hour each target gets before a release)
#   -o OUT      where logs and crash reproducers go (default: a new directory under /tmp)
#   -n          do not merge into the committed corpus (a trial run)
#
# Needs clang and libclang-rt-14-dev; builds build-fuzz/ (or $BUILD) when it is missing.
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$src/build-fuzz}
seconds=1800
out=
merge=1

while getopts t:o:n opt; do
    case $opt in
    t) seconds=$OPTARG ;;
    o) out=$OPTARG ;;
    n) merge=0 ;;
    *) sed -n '10,14p' "$0" >&2; exit 64 ;;
    esac
done
shift $((OPTIND - 1))

if [ $# -gt 0 ]; then
    targets=$*
else
    targets=$(cd "$src/tests/fuzz" && ls fuzz-*.c | sed 's/^fuzz-//; s/\.c$//')
fi
[ -n "$out" ] || out=$(mktemp -d /tmp/dmscd-fuzz.XXXXXX)
mkdir -p "$out"

if [ ! -d "$build" ]; then
    CC=clang meson setup "$build" "$src" -Dfuzzing=true -Db_sanitize=address,undefined \
        -Db_lundef=false >/dev/null
fi
ninja -C "$build" >/dev/null

status=0
printf '%-18s %8s %12s %10s  %s\n' target seconds executions execs/s result
for target in $targets; do
    fuzzer=$build/tests/fuzz/fuzz-$target
    corpus=$src/tests/fuzz/corpus/$target
    work=$out/$target
    mkdir -p "$work/new" "$corpus"
    seeds=
    case $target in
    dm-syncml-xml | dm-syncml-wbxml | dm-bootstrap) seeds=$src/tests/data/syncml ;;
    esac
    # libwbxml 0.11.8 leaks 24 bytes on some malformed WBXML (see the README); these targets
    # reach it.
    leaks=-detect_leaks=1
    case $target in dm-syncml-wbxml | dm-session | dm-bootstrap) leaks=-detect_leaks=0 ;; esac

    result=ok
    # shellcheck disable=SC2086 # $seeds is one directory or nothing
    if ! "$fuzzer" "$leaks" -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="$work/" "$work/new" "$corpus" $seeds >"$work/log" 2>&1; then
        result="CRASH: $(ls "$work" | grep -E '^(crash|leak|timeout|oom)-' | head -1)"
        status=1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
    took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$work/log" | tail -1)
    [ -n "$took" ] && [ "$took" -gt 0 ] || took=$seconds
    runs=${runs:-0}
    printf '%-18s %8s %12s %10s  %s\n' "$target" "$took" "$runs" "$((runs / took))" "$result"
    if [ "$merge" = 1 ]; then
        "$fuzzer" "$leaks" -merge=1 "$corpus" "$work/new" >"$work/merge.log" 2>&1 || status=1
    fi
done
echo "logs and reproducers: $out"
exit $status
