#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Instructions per call of FUNCTION (inclusive of what it calls) in a benchmark run under
# callgrind: a figure that does not depend on how busy the machine is.
#
#   tests/bench/instructions.sh BENCH FUNCTION [ARGUMENTS...]
#   tests/bench/instructions.sh build/tests/bench/bench-cat cat_message_parse 20
#
# Needs valgrind (callgrind_annotate comes with it).
set -eu
[ $# -ge 2 ] || { sed -n '5,9p' "$0" >&2; exit 64; }
bench=$1 function=$2
shift 2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out" "$bench" "$@" >/dev/null 2>&1
callgrind_annotate --inclusive=yes --tree=caller "$out" 2>/dev/null | awk -v f="$function" '
    # The caller tree: "N (P%)  < caller (Kx)" lines, then "N (P%)  *  file:function".
    / < / { n = $0; sub(/^ */, "", n); sub(/ .*/, "", n); gsub(/,/, "", n)
            c = $0; sub(/.*\(/, "", c); sub(/x\).*/, "", c); gsub(/,/, "", c)
            calls += c; next }
    / \* / { if (!found && calls > 0 && ($0 ~ (":" f " ") || $0 ~ (":" f "$"))) { n = $1; gsub(/,/, "", n)
             printf "%s: %.0f instructions per call (%d calls)\n", f, n / calls, calls; found = 1 }
             calls = 0; next }
    END { if (!found) { print f ": not called" > "/dev/stderr"; exit 1 } }'
