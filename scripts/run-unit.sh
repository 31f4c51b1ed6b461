#!/usr/bin/env bash
# Runs unit-test binaries, sums their "N passed, N failed" lines.
set -u
tp=0; tf=0; rc=0
for t in "$@"; do
  out=$("$t" 2>"$t.stderr"); r=$?
  line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
  if [ -z "$line" ]; then echo "unit $(basename "$t"): crashed or printed no summary (exit $r)"; cat "$t.stderr" | tail -20; tf=$((tf+1)); rc=1; continue; fi
  p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
  tp=$((tp+p)); tf=$((tf+f))
  echo "unit $(basename "$t"): $line"
  if [ "$r" -ne 0 ]; then rc=1; grep -E 'FAIL|CHECK|ERROR|runtime error' "$t.stderr" | head -20; fi
done
echo "unit total: $tp passed, $tf failed"
exit $rc
