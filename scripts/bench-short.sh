#!/usr/bin/env bash
# scripts/bench-short.sh - the side-by-side benchmark (bench/run.sh) in its short mode, as one
# test of the suite: it passes when every step worked and every answer was right (span counts
# of the looked-up traces, a search that finds something, on Olly and on ClickHouse through
# chDB); the figures are printed, never asserted. Fails, not skips, when chDB cannot be
# installed. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d "${TMPDIR:-/tmp}/olly-bench-short.XXXXXX") || { echo "0 passed, 1 failed"; exit 1; }
trap 'rm -rf "$tmp"' EXIT
timeout "${BENCH_SHORT_TIMEOUT:-900}" bench/run.sh --short --out "$tmp/results.json" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
if [ "$rc" -ne 0 ]; then
  echo "bench short: FAILED (status $rc); its log:"
  tail -40 "$tmp/stderr"
fi
grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$tmp/stdout"
# run.sh ends with the count itself, unless it was killed (timeout) first.
if [ "$rc" -eq 0 ] && tail -1 "$tmp/stdout" | grep -qx '1 passed, 0 failed'; then
  echo "1 passed, 0 failed"
  exit 0
fi
echo "0 passed, 1 failed"
exit 1
