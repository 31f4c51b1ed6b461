#!/bin/sh
# check.sh - checks the NAB scorer: builds bench/build/test_nab_score and
# bench/build/nab_score, runs the checking program (hand-worked cases and
# NAB's published figures, see test_nab_score.c), then checks the nab_score
# tool end to end. Ends with "N passed, N failed" (exit 1 on any failure).
#
#   bench/nab/check.sh
#
# Data: $OLLY_SHARED/data/nab, OLLY_SHARED defaulting to ../shared next to
# the repository (a relative OLLY_SHARED is taken from the repository root).
# Build dirs: NAB_BUILD (default bench/build) and OLLY_BUILD (the libolly.a
# directory, default build/ at the top) are passed to make when set.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bench=$(dirname "$here")
root=$(dirname "$bench")
cd "$root" || exit 1
shared=${OLLY_SHARED:-../shared}
case $shared in /*) ;; *) shared=$root/$shared ;; esac
nab=$shared/data/nab
bb=${NAB_BUILD:-$bench/build}
case $bb in /*) ;; *) bb=$root/$bb ;; esac

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
ko() { fail=$((fail + 1)); echo "FAIL $1"; }
finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
    exit $?
}

if [ ! -f "$nab/labels/combined_windows.json" ] || [ ! -d "$nab/results/numenta" ]; then
    echo "check.sh: the NAB data is missing: $nab (set OLLY_SHARED to the folder holding data/nab)" >&2
    ko "NAB data present"
    finish
fi

set -- BUILD="$bb"
[ -n "${OLLY_BUILD:-}" ] && set -- "$@" OLLY_BUILD="$OLLY_BUILD"
if ! make -s -C "$bench" "$@" "$bb/test_nab_score" "$bb/nab_score"; then
    echo "check.sh: build failed" >&2
    ko "build"
    finish
fi

# 1. The checking program.
out=$("$bb/test_nab_score" "$nab" 2>&1)
echo "$out"
line=$(echo "$out" | tail -n 1)
p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
f=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
if [ -z "$p" ]; then
    ko "test_nab_score ran to the end"
else
    pass=$((pass + p))
    fail=$((fail + f))
fi

# 2. The tool: "profile score raw threshold ..." lines.
expect() { # name, output, profile, score, raw (raw may be "-")
    got=$(echo "$2" | awk -v p="$3" '$1 == p { print $2, $3 }')
    s=${got% *}
    r=${got#* }
    if [ "$s" = "$4" ] && { [ "$5" = "-" ] || [ "$r" = "$5" ]; }; then ok "$1 $3 $4 $5"; else ko "$1 $3: got '$got', expected $4 $5"; fi
}
o=$("$bb/nab_score" --nab "$nab" --detector numenta --thresholds)
echo "$o"
expect "nab_score --thresholds" "$o" standard 70.10 46.6345
expect "nab_score --thresholds" "$o" reward_low_FP_rate 63.12 30.4311
expect "nab_score --thresholds" "$o" reward_low_FN_rate 74.32 26.6345
o=$("$bb/nab_score" --nab "$nab" --detector numenta --sweep)
echo "$o"
expect "nab_score --sweep" "$o" standard 70.10 -
expect "nab_score --sweep" "$o" reward_low_FP_rate 63.21 -
expect "nab_score --sweep" "$o" reward_low_FN_rate 74.32 -

# 3. A damaged results file is refused with its name and line.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/numenta/realKnownCause"
awk -F, 'NR == 7 { $3 = "abc" } { print }' OFS=, "$nab/results/numenta/realKnownCause/numenta_nyc_taxi.csv" \
    >"$tmp/numenta/realKnownCause/numenta_nyc_taxi.csv"
if msg=$("$bb/nab_score" --nab "$nab" --results "$tmp" --detector numenta --only nyc_taxi 2>&1); then
    ko "damaged results refused (it was accepted)"
elif echo "$msg" | grep -q "numenta_nyc_taxi.csv:7: anomaly_score 'abc'"; then
    ok "damaged results refused: $msg"
else
    ko "damaged results: unexpected message: $msg"
fi

finish
