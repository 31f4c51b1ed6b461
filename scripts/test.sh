#!/usr/bin/env bash
# The whole test suite: build, unit tests, the same under ASan+UBSan,
# short libFuzzer runs of every target, and (when present) the integration
# tests that drive the real binary with the official OpenTelemetry JS SDK.
# Ends with one line "N passed, N failed" summing every stage.
set -uo pipefail
cd "$(dirname "$0")/.."
export OLLY_SHARED="${OLLY_SHARED:-$(cd .. && pwd)/shared}"
FUZZ_SECONDS="${FUZZ_SECONDS:-20}"
scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

P=0; F=0
add() { # add "<N passed, N failed line>"
  local line="$1" p f
  p=$(echo "$line" | sed -nE 's/.*\b([0-9]+) passed.*/\1/p'); f=$(echo "$line" | sed -nE 's/.*\b([0-9]+) failed.*/\1/p')
  P=$((P + ${p:-0})); F=$((F + ${f:-0}))
}
stage_fail() { echo "stage failed: $1"; F=$((F + 1)); }

echo "== build"
make -j2 >/tmp/olly-build.log 2>&1 || { tail -30 /tmp/olly-build.log; stage_fail build; }

echo "== unit tests"
out=$(make -s unit 2>&1); echo "$out" | grep -E '^unit' ; add "$(echo "$out" | grep 'unit total' | tail -1)"
echo "$out" | grep -q 'unit total' || stage_fail unit

echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
out=$(make -s SAN=1 unit 2>&1); echo "$out" | grep -E '^unit' ; add "$(echo "$out" | grep 'unit total' | tail -1)"
echo "$out" | grep -q 'unit total' || stage_fail unit-san

echo "== fuzz (${FUZZ_SECONDS}s per target)"
for src in tests/fuzz/fuzz_*.c; do
  [ -e "$src" ] || continue
  name=$(basename "$src" .c); t=${name#fuzz_}
  if ! make -s -j2 "build-fuzz/$name" >/tmp/olly-fuzz-build.log 2>&1; then tail -20 /tmp/olly-fuzz-build.log; stage_fail "$name build"; continue; fi
  corpus=$(mktemp -d); cp tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  if "build-fuzz/$name" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 "$corpus" >/tmp/olly-$name.log 2>&1; then
    echo "fuzz $name: ok ($(grep -oE 'stat::number_of_executed_units: [0-9]+|#[0-9]+\s+DONE' /tmp/olly-$name.log | tail -1))"; P=$((P + 1))
  else
    echo "fuzz $name: FAILED"; tail -40 /tmp/olly-$name.log; F=$((F + 1))
  fi
  rm -rf "$corpus"
done

echo "== NAB scorer: reproduces Numenta's published scores (bench/nab/check.sh)"
out=$(bench/nab/check.sh 2>&1); echo "$out" | grep -E '^(FAIL|ok  )' | head -40
if echo "$out" | tail -1 | grep -qE '^[0-9]+ passed, [0-9]+ failed$'; then add "$(echo "$out" | tail -1)"; else echo "$out" | tail -20; stage_fail nab-check; fi

echo "== SQL differential test against ClickHouse (chDB)"
out=$(scripts/sql-diff.sh 2>&1); echo "$out" | tail -15
if echo "$out" | tail -1 | grep -qE '^[0-9]+ passed, [0-9]+ failed$'; then add "$(echo "$out" | tail -1)"; else stage_fail sql-diff; fi

if [ -f tests/integration/package.json ]; then
  for variant in build build-san; do
    echo "== integration tests ($variant)"
    [ "$variant" = build-san ] && { make -s -j2 SAN=1 build-san/olly >/tmp/olly-build-san.log 2>&1 || { stage_fail build-san; continue; }; }
    (cd tests/integration && { [ -d node_modules ] || npm ci --no-audit --no-fund >/tmp/olly-npm.log 2>&1; }) || { tail -20 /tmp/olly-npm.log; stage_fail npm; continue; }
    out=$(cd tests/integration && OLLY_BIN="$PWD/../../$variant/olly" node --test --test-concurrency=1 2>&1)
    echo "$out" | grep -E '^(not ok|# (pass|fail))' ; echo "$out" | grep -B2 -A25 '^not ok' | head -80
    p=$(echo "$out" | sed -nE 's/^# pass ([0-9]+)/\1/p' | tail -1); f=$(echo "$out" | sed -nE 's/^# fail ([0-9]+)/\1/p' | tail -1)
    [ -z "$p" ] && stage_fail "integration $variant" || { P=$((P + p)); F=$((F + ${f:-0})); }
  done
fi

echo "== benchmark, short mode (checks answers, never timing)"
out=$(scripts/bench-short.sh 2>&1); echo "$out" | tail -30; add "$(echo "$out" | tail -1)"

echo "$P passed, $F failed"
[ "$F" -eq 0 ]
