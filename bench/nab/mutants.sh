#!/bin/bash
# mutants.sh - shows that test_nab_score catches a broken scorer: builds the
# checking program against copies of nab_score.c, each with one deliberate
# bug (a rule of SCORING.md broken), and expects every copy to fail.
#
#   bench/nab/mutants.sh        (after make -C bench build/test_nab_score)
#
# Same OLLY_SHARED, OLLY_BUILD conventions as check.sh. Prints one line per
# mutant and ends with "N killed, N survived" (exit 1 if any survived).
set -u
here=$(cd "$(dirname "$0")" && pwd)
bench=$(dirname "$here")
root=$(dirname "$bench")
cd "$root" || exit 1
shared=${OLLY_SHARED:-../shared}
case $shared in /*) ;; *) shared=$root/$shared ;; esac
lib=${OLLY_BUILD:-$root/build}/libolly.a
[ -f "$lib" ] || { echo "mutants.sh: $lib missing (make build/libolly.a)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
killed=0
survived=0
i=0
while IFS=$'\t' read -r from to; do
    [ -z "$from" ] && continue
    i=$((i + 1))
    if ! python3 - "$here/nab_score.c" "$tmp/m.c" "$from" "$to" <<'PY'; then
import sys
s = open(sys.argv[1]).read()
a, b = (x.replace("\\n", "\n") for x in sys.argv[3:5])
if a not in s:
    sys.exit("pattern not found")
open(sys.argv[2], "w").write(s.replace(a, b, 1))
PY
        echo "mutant $i: pattern missing: $from"
        survived=$((survived + 1))
        continue
    fi
    cc -std=c11 -D_GNU_SOURCE -O1 -w -I"$root/src" -I"$bench" -I"$root/tests/unit" -o "$tmp/t" \
        "$here/test_nab_score.c" "$tmp/m.c" "$here/nab_report.c" "$lib" \
        -lnghttp2 -lcurl -lsqlite3 -lssl -lcrypto -lzstd -lz -lpthread -lm -ldl || { echo "mutant $i: build failed"; exit 1; }
    out=$("$tmp/t" "$shared/data/nab" 2>&1)
    if echo "$out" | grep -q "^[0-9]* passed, 0 failed$"; then
        echo "mutant $i SURVIVED: $from  ->  $to"
        survived=$((survived + 1))
    else
        echo "mutant $i killed by$(echo "$out" | sed -n 's/^FAIL / /p' | tr -d '\n')  [$to]"
        killed=$((killed + 1))
    fi
done <<'MUTANTS'
if (y > 3.0) return -1.0;	if (y > 2.0) return -1.0;
if (y > 3.0) return -1.0;	if (y >= 3.0) return -1.0;
double ol_nab_max_tp(void) { return ol_nab_sigmoid(-1.0); }	double ol_nab_max_tp(void) { return 1.0; }
double p = floor(0.15 * (double)n);	double p = floor(0.10 * (double)n);
double cap = 0.15 * 5000.0;	double cap = 0.15 * 50000.0;
double y = (double)(i - prev.r) / (double)(prev.r - prev.l);	double y = (double)(i - prev.r) / (double)(prev.r - prev.l + 1);
            s[i] = -p->a_fp;	            s[i] = 0;
double y = -(double)(w->r - i + 1) / width;	double y = -(double)(w->r - i) / width;
if (!(a[i] >= theta)) continue;	if (!(a[i] > theta)) continue;
        if (a[i] >= theta) {	        if (a[i] > theta) {
if (!hit || s[i] > best) best = s[i];	best = s[i];
                sum -= p->a_fn;	                sum -= p->a_tp;
        if (sum > top) {	        if (sum >= top) {
            } else if (row->s > cur[row->w]) {	            } else if (row->s < cur[row->w]) {
sum += (long double)row->s + p->a_fn;	sum += (long double)row->s;
    uint32_t i = f->probation, k = 0;	    uint32_t i = 0, k = 0;
*s_perfect = p->a_tp * (double)nwin;	*s_perfect = p->a_tp * (double)(nwin + 1);
return 100.0 * (raw - s_null) / (s_perfect - s_null);	return 100.0 * (raw - s_null) / s_perfect;
        *s_null = t.score;	        *s_null = -p->a_fn * (double)nwin - 0.5;
        if (t[i] == x) return i;	        if (t[i] == x && (i + 1 == n || t[i + 1] != x)) return i;
        if (k < f->nwin && f->win[k].l <= i) {\n            /* The scorable part	        if (k < f->nwin && f->win[k].l < i) {\n            /* The scorable part
            prev = f->win[k++];	            k++;
MUTANTS
echo "$killed killed, $survived survived"
[ "$survived" -eq 0 ]
