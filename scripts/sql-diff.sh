#!/usr/bin/env bash
# scripts/sql-diff.sh - the SQL differential test (tests/sql/, README.md there): the same data
# loaded into Olly's store and into current ClickHouse (chDB, in-process, with the OpenTelemetry
# Collector ClickHouse exporter's tables), a few hundred generated and hand-written queries run on
# both, answers compared value by value. One test per query, plus one for the cross-check of the
# two AsString renderings. Ends with "N passed, N failed".
#
#   scripts/sql-diff.sh                 the comparison (needs ol_sql_run in libolly.a)
#   scripts/sql-diff.sh --chdb-only     every query on ClickHouse only: the generator's check
#   scripts/sql-diff.sh --selftest      ClickHouse's answers fed back to the comparator
#   scripts/sql-diff.sh --query "SQL"   one query on both, both answers printed
#   (any other sqldiff option passes through; tests/sql/build/sqldiff --help lists them)
#
# Builds build/libolly.a (make -j2 at the top) and tests/sql/build/sqldiff (make -C tests/sql);
# with OLLY_BUILD=DIR set, links DIR/libolly.a as it is instead (no top-level make);
# installs chDB as bench/run.sh does (make -C bench/chdb deps: npm ci in bench/, pinned by
# bench/package-lock.json) when it is missing or not the pinned version. Fails, not skips, when
# chDB cannot be installed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
export OLLY_SHARED="${OLLY_SHARED:-$(cd .. && pwd)/shared}"
CHDB_LIB=$PWD/bench/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so
work=$(mktemp -d "${TMPDIR:-/tmp}/olly-sql-diff.XXXXXX") || { echo "sql-diff: mktemp failed"; echo "0 passed, 1 failed"; exit 1; }
trap 'rm -rf "$work"' EXIT
fail() { echo "sql-diff: $1"; echo "0 passed, 1 failed"; exit 1; }

if [ -n "${OLLY_BUILD:-}" ]; then
  # a libolly.a built elsewhere (e.g. a private build while the shared tree is mid-edit), used as is
  make -C tests/sql -j2 OLLY_BUILD="$OLLY_BUILD" BUILD="$OLLY_BUILD/tests-sql" >"$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log"; fail "make -C tests/sql failed"; }
  SQLDIFF=$OLLY_BUILD/tests-sql/sqldiff
else
  make -j2 build/libolly.a >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; fail "make build/libolly.a failed"; }
  make -C tests/sql -j2 >>"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; fail "make -C tests/sql failed"; }
  SQLDIFF=tests/sql/build/sqldiff
fi

want=$(sed -n 's/.*"@chdb\/lib-linux-x64-gnu": *"\([^"]*\)".*/\1/p' bench/package.json | head -1)
have=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' bench/node_modules/@chdb/lib-linux-x64-gnu/package.json 2>/dev/null | head -1)
if [ ! -f "$CHDB_LIB" ] || [ "$want" != "$have" ]; then
  echo "sql-diff: installing chDB $want (make -C bench/chdb deps: npm ci in bench/)"
  if ! make -C bench/chdb deps >"$work/npm.log" 2>&1 || [ ! -f "$CHDB_LIB" ]; then
    tail -15 "$work/npm.log"
    fail "chDB could not be installed (npm ci in bench/ failed; is the npm registry reachable?)"
  fi
fi

# sqldiff's temporary store and ClickHouse session go under $work (removed on exit, even if killed)
TMPDIR=$work timeout "${SQL_DIFF_TIMEOUT:-1200}" "$SQLDIFF" --lib "$CHDB_LIB" "$@" >"$work/out" 2>"$work/err"
rc=$?
# progress (stderr) first, so that the per-category counts and totals end the output
grep -v 'level=' "$work/err" | sed 's/^/  /' | tail -12
grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$work/out"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$work/out" | tail -1)
if [ -z "$line" ]; then
  [ "$rc" -eq 124 ] && fail "timed out after ${SQL_DIFF_TIMEOUT:-1200} s"
  case " $* " in *" --query "*|*" --list "*) exit "$rc" ;; esac
  fail "sqldiff ended without a count (status $rc)"
fi
echo "$line"
exit "$rc"
