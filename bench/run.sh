#!/usr/bin/env bash
# bench/run.sh - Olly and current ClickHouse side by side on the same spans, in one run:
# ingest rate, bytes per span on disk, trace-by-id latency and an attribute-filtered
# search (see bench/README.md for what each figure means and how to read it).
#
#   bench/run.sh [--short] [--spans N] [--out results.json] [--keep] [options]
#
# 1. builds olly (make -j2), bench/build/olly_send + olly_read, bench/chdb/build/chdb_bench,
#    and installs chDB (npm, pinned by bench/package-lock.json) when it is missing;
# 2. writes the spans once: build/olly loadgen --out FILE (fixed seed);
# 3. Olly, for --fsync interval (the default) and --fsync always: a fresh `olly serve` on
#    free 127.0.0.1 ports replays FILE over OTLP/HTTP protobuf (olly_send), SIGTERM, bytes
#    on disk, restart and time to /readyz, trace by id for the same trace ids chdb_bench
#    looks up, and the same search (also once before the restart, while recent data is
#    still in memory); plus a live `olly loadgen` run and a 1-connection replay
#    on fresh servers (ingest only);
# 4. ClickHouse: chdb_bench on FILE (in-process chDB, the OpenTelemetry Collector
#    exporter's otel_traces schema);
# 5. the RED query (count, error rate, p50/p95/p99 per service over an hour of spans) on Olly's
#    store (head and parts, through ol_sql_run) and on ClickHouse, in one process:
#    bench/chdb/build/red_bench, every answer checked against the bench's own;
# 6. one side-by-side table on stdout, everything as JSON in --out.
#
# Exit status 0 when every step worked and every answer was right (span counts of each
# trace, a search that finds something); never depends on timing. --short runs tiny
# sizes for the test suite (scripts/bench-short.sh).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD

SHORT=0 SPANS="" OUT="" KEEP=0 LOOKUPS="" SEARCHES="" CONNS=2 SPR=2000 SEED=1 CHDB=1 RED=1 RED_SPANS="" RED_RUNS=""
usage() {
  cat >&2 <<'EOF'
usage: bench/run.sh [--short] [--spans N] [--out FILE] [--keep] [--lookups K] [--searches R]
                    [--connections C] [--spans-per-request S] [--seed N] [--no-clickhouse]
                    [--red-spans N] [--red-runs R] [--no-red]
  --short              tiny sizes (20,000 spans, 50 lookups, 5 searches): the test-suite mode
  --spans N            spans to load into both stores (default 200,000)
  --out FILE           write every figure as JSON (default: bench/build/results.json)
  --keep               keep the work directory (spans file, data dirs, logs)
  --lookups K          trace-by-id lookups (default 200; --short 50)
  --searches R         search runs (default 20; --short 5)
  --connections C      OTLP/HTTP connections of the Olly replay and live load generator (default 2)
  --spans-per-request S  spans per request = per ClickHouse INSERT (default 2000)
  --seed N             load generator seed (default 1)
  --no-clickhouse      Olly only (not allowed with --short)
  --red-spans N        spans of the RED query run, over one hour (default 1,000,000; --short 20,000)
  --red-runs R         measured runs of the RED query per path (default 20; --short 3)
  --no-red             skip the RED query run
EOF
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    --short) SHORT=1 ;;
    --spans) SPANS="${2:-}"; shift ;;
    --out) OUT="${2:-}"; shift ;;
    --keep) KEEP=1 ;;
    --lookups) LOOKUPS="${2:-}"; shift ;;
    --searches) SEARCHES="${2:-}"; shift ;;
    --connections) CONNS="${2:-}"; shift ;;
    --spans-per-request) SPR="${2:-}"; shift ;;
    --seed) SEED="${2:-}"; shift ;;
    --no-clickhouse) CHDB=0 ;;
    --red-spans) RED_SPANS="${2:-}"; shift ;;
    --red-runs) RED_RUNS="${2:-}"; shift ;;
    --no-red) RED=0 ;;
    -h|--help) usage ;;
    *) echo "bench: unknown argument $1" >&2; usage ;;
  esac
  shift
done
if [ "$SHORT" = 1 ]; then
  SPANS=${SPANS:-20000} LOOKUPS=${LOOKUPS:-50} SEARCHES=${SEARCHES:-5} RED_SPANS=${RED_SPANS:-20000} RED_RUNS=${RED_RUNS:-3}
  [ "$CHDB" = 1 ] || { echo "bench: --short always runs the ClickHouse side" >&2; exit 2; }
  [ "$RED" = 1 ] || { echo "bench: --short always runs the RED query" >&2; exit 2; }
else
  SPANS=${SPANS:-200000} LOOKUPS=${LOOKUPS:-200} SEARCHES=${SEARCHES:-20} RED_SPANS=${RED_SPANS:-1000000} RED_RUNS=${RED_RUNS:-20}
fi
for v in "$SPANS" "$LOOKUPS" "$SEARCHES" "$CONNS" "$SPR" "$SEED" "$RED_SPANS" "$RED_RUNS"; do
  [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -gt 0 ] || { echo "bench: numbers must be positive integers" >&2; usage; }
done
REQUESTS=$(( (SPANS + SPR - 1) / SPR ))
OUT=${OUT:-$ROOT/bench/build/results.json}
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac

OLLY=$ROOT/build/olly
SEND=$ROOT/bench/build/olly_send
READ=$ROOT/bench/build/olly_read
CHB=$ROOT/bench/chdb/build/chdb_bench
REDB=$ROOT/bench/chdb/build/red_bench
CHDB_LIB=$ROOT/bench/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so

FAILS=()
fail() { FAILS+=("$*"); echo "bench: FAIL: $*" >&2; }
log() { echo "bench: $*" >&2; }
# finish: the verdict on stdout (with --short also "N passed, N failed"), then exit.
finish() {
  if [ ${#FAILS[@]} -eq 0 ]; then
    echo "bench: all steps worked and every answer was right; JSON in $OUT"
    [ "$SHORT" = 1 ] && echo "1 passed, 0 failed"
    exit 0
  fi
  echo "bench: ${#FAILS[@]} problem(s):"
  printf '  %s\n' "${FAILS[@]}"
  [ "$SHORT" = 1 ] && echo "0 passed, 1 failed"
  exit 1
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/olly-bench.XXXXXX") || { fail "no temp dir"; finish; }
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  SERVER_PID=""
  if [ "$KEEP" = 1 ]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

: >"$WORK/commands.txt"
: >"$WORK/meta.tsv"
meta() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$WORK/meta.tsv"; } # meta SECTION KEY VALUE
# run LOGNAME CMD...: records the command (paths relative to the repository), runs it with
# stdout to $WORK/LOGNAME.out and stderr to $WORK/LOGNAME.err; returns its status.
run() {
  local name=$1; shift
  local shown="$*"; shown=${shown//$ROOT\//}; shown=${shown//$WORK/\$WORK}
  echo "$shown" >>"$WORK/commands.txt"
  "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
}
now_ms() { local t=$EPOCHREALTIME; echo $(( ${t%.*} * 1000 + 10#${t#*.} / 1000 )); }
file_bytes() { # apparent size of the regular files under $1 (0 when absent)
  [ -e "$1" ] || { echo 0; return; }
  find "$1" -type f -printf '%s\n' | awk '{s += $1} END {printf "%.0f\n", s}'
}

# ---- 1. build ----
log "building (make -j2, bench, bench/chdb)"
make -j2 >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log" >&2; fail "make -j2 failed"; }
make -C bench all >>"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log" >&2; fail "make -C bench failed"; }
if [ "$CHDB" = 1 ]; then
  make -C bench/chdb all >>"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log" >&2; fail "make -C bench/chdb all failed"; }
  want=$(sed -n 's/.*"@chdb\/lib-linux-x64-gnu": *"\([^"]*\)".*/\1/p' bench/package.json | head -1)
  have=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' bench/node_modules/@chdb/lib-linux-x64-gnu/package.json 2>/dev/null | head -1)
  if [ ! -f "$CHDB_LIB" ] || [ "$want" != "$have" ]; then
    log "installing chDB $want (make -C bench/chdb deps: npm ci in bench/)"
    if ! make -C bench/chdb deps >"$WORK/npm.log" 2>&1 || [ ! -f "$CHDB_LIB" ]; then
      tail -15 "$WORK/npm.log" >&2
      CHDB=0
      fail "chDB could not be installed (make -C bench/chdb deps, i.e. npm ci in bench/, failed; is the npm registry reachable?): no ClickHouse side"
      [ "$SHORT" = 1 ] && finish # the short mode must compare both; a full run goes on with Olly alone
    fi
  fi
fi
[ -x "$OLLY" ] && [ -x "$SEND" ] && [ -x "$READ" ] && [ -x "$CHB" ] && [ -x "$REDB" ] || finish

# ---- 2. the spans ----
SPANS_FILE=$WORK/spans.bin
log "writing $REQUESTS requests x $SPR spans (seed $SEED)"
run loadgen-out "$OLLY" loadgen --out "$SPANS_FILE" --requests "$REQUESTS" --spans-per-request "$SPR" --seed "$SEED" ||
  { cat "$WORK/loadgen-out.err" >&2; fail "olly loadgen --out failed"; }
run params "$CHB" --input "$SPANS_FILE" --dry-run --json --lookups "$LOOKUPS" --searches "$SEARCHES" --seed 1 \
  --ids-out "$WORK/ids.txt" || { cat "$WORK/params.err" >&2; fail "chdb_bench --dry-run (trace ids, search parameters) failed"; }
cp "$WORK/params.out" "$WORK/params.json" 2>/dev/null
[ -s "$WORK/params.json" ] && [ -s "$WORK/ids.txt" ] || finish

# ---- 3. Olly ----
# start_server NAME DATA POLICY: a server on fresh free ports; sets SERVER_PID, OTLP_PORT, API_PORT.
# Retries with new ports when the server exits early (a port taken in between).
start_server() {
  local name=$1 data=$2 policy=$3 attempt ports t0
  for attempt in 1 2 3; do
    ports=$("$READ" ports 3) || return 1
    set -- $ports
    OTLP_PORT=$1 API_PORT=$3
    t0=$EPOCHREALTIME
    local shown="build/olly serve --data \$WORK/${data##*/} --fsync $policy --otlp-http 127.0.0.1:$1 --otlp-grpc 127.0.0.1:$2 --http 127.0.0.1:$3"
    echo "$shown" >>"$WORK/commands.txt"
    "$OLLY" serve --data "$data" --fsync "$policy" --otlp-http "127.0.0.1:$1" --otlp-grpc "127.0.0.1:$2" \
      --http "127.0.0.1:$3" >>"$WORK/serve-$name.log" 2>&1 &
    SERVER_PID=$!
    if "$READ" ready --url "http://127.0.0.1:$API_PORT" --since "$t0" --timeout 300 --pid "$SERVER_PID" \
      >"$WORK/ready-$name.json" 2>>"$WORK/serve-$name.log"; then
      return 0
    fi
    kill -KILL "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
    grep -qi "address already in use\|cannot listen\|bind" "$WORK/serve-$name.log" || break
    log "server $name: port taken, retrying ($attempt)"
  done
  tail -20 "$WORK/serve-$name.log" >&2
  return 1
}
# stop_server NAME: SIGTERM, wait (the store flushes its head into parts); records shutdown_ms.
stop_server() {
  local name=$1 t0 rc
  [ -n "$SERVER_PID" ] || return 1
  t0=$(now_ms)
  kill -TERM "$SERVER_PID"
  for _ in $(seq 6000); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -KILL "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
    fail "server $name did not stop within 600 s of SIGTERM"
    return 1
  fi
  wait "$SERVER_PID"; rc=$?
  SERVER_PID=""
  meta "$name" shutdown_ms $(( $(now_ms) - t0 ))
  [ "$rc" -eq 0 ] || { tail -10 "$WORK/serve-$name.log" >&2; fail "server $name exited with status $rc after SIGTERM"; return 1; }
}

olly_policy() {
  local policy=$1 data=$WORK/olly-$1
  log "Olly, --fsync $policy: ingest"
  start_server "$policy" "$data" "$policy" || { fail "olly serve ($policy) did not become ready"; return; }
  run "ingest-$policy" "$SEND" --input "$SPANS_FILE" --target "http://127.0.0.1:$OTLP_PORT/v1/traces" \
    --connections "$CONNS" --json || { cat "$WORK/ingest-$policy.err" >&2; fail "replay into olly ($policy) failed"; }
  run "read-live-$policy" "$READ" read --url "http://127.0.0.1:$API_PORT" --ids "$WORK/ids.txt" --params "$WORK/params.json" \
    --searches "$SEARCHES" --json || { cat "$WORK/read-live-$policy.err" >&2; fail "reads from olly ($policy, before restart): a wrong or failed answer"; }
  stop_server "$policy" || return
  meta "$policy" parts_traces_bytes "$(file_bytes "$data/parts/traces")"
  meta "$policy" parts_traces_files "$( [ -d "$data/parts/traces" ] && find "$data/parts/traces" -type f | wc -l || echo 0)"
  meta "$policy" parts_bytes "$(file_bytes "$data/parts")"
  meta "$policy" wal_bytes "$(file_bytes "$data/wal")"
  meta "$policy" data_dir_bytes "$(file_bytes "$data")"
  ls -lR "$data" >"$WORK/files-$policy.txt" 2>&1

  log "Olly, --fsync $policy: restart and reads"
  start_server "$policy-restart" "$data" "$policy" || { fail "olly serve ($policy) did not become ready after restart"; return; }
  meta "$policy" restart_log "$(grep -o 'store: loaded.*points' "$WORK/serve-$policy-restart.log" | head -1)"
  if run "storage-$policy" "$READ" get --url "http://127.0.0.1:$API_PORT" --path /api/v1/storage; then
    meta "$policy" api_storage available
  else
    meta "$policy" api_storage "unavailable (status $?)"
  fi
  run "read-$policy" "$READ" read --url "http://127.0.0.1:$API_PORT" --ids "$WORK/ids.txt" --params "$WORK/params.json" \
    --searches "$SEARCHES" --json || { cat "$WORK/read-$policy.err" >&2; fail "reads from olly ($policy): a wrong or failed answer"; }
  stop_server "$policy-restart"
}

# ingest_only NAME POLICY TOOL...: a fresh server, one ingest run, stopped.
ingest_only() {
  local name=$1 policy=$2 data=$WORK/olly-$1; shift 2
  log "Olly, $name: ingest only"
  start_server "$name" "$data" "$policy" || { fail "olly serve ($name) did not become ready"; return; }
  local args=("$@") i
  for i in "${!args[@]}"; do args[$i]=${args[$i]//@OTLP@/$OTLP_PORT}; done
  run "ingest-$name" "${args[@]}" || { cat "$WORK/ingest-$name.err" >&2; fail "ingest run $name failed"; }
  stop_server "$name"
  meta "$name" data_dir_bytes "$(file_bytes "$data")"
  rm -rf "$data"
}

olly_policy interval
olly_policy always
ingest_only live-loadgen interval "$OLLY" loadgen --target "http://127.0.0.1:@OTLP@" --requests "$REQUESTS" \
  --spans-per-request "$SPR" --seed "$SEED" --connections "$CONNS" --json
if [ "$CONNS" != 1 ]; then
  ingest_only replay-1conn interval "$SEND" --input "$SPANS_FILE" --target "http://127.0.0.1:@OTLP@/v1/traces" \
    --connections 1 --json
fi

# ---- 4. ClickHouse ----
if [ "$CHDB" = 1 ]; then
  log "ClickHouse (chDB): ingest, OPTIMIZE FINAL, sizes, trace by id, search"
  bulk=(); [ "$SHORT" = 1 ] && bulk=(--no-bulk)
  run clickhouse "$CHB" --input "$SPANS_FILE" --lib "$CHDB_LIB" --json --lookups "$LOOKUPS" --searches "$SEARCHES" \
    --seed 1 --ids-out "$WORK/ids-clickhouse.txt" "${bulk[@]}" ||
    { tail -20 "$WORK/clickhouse.err" >&2; fail "chdb_bench failed"; }
  cmp -s "$WORK/ids.txt" "$WORK/ids-clickhouse.txt" || fail "ClickHouse looked up other trace ids than Olly"
elif [ "$SHORT" = 1 ]; then
  fail "the ClickHouse side did not run"
fi

# ---- 5. the RED query ----
if [ "$RED" = 1 ]; then
  log "RED query: $RED_SPANS spans over an hour, Olly (head, parts) and ClickHouse, $RED_RUNS runs each"
  nochb=(); [ "$CHDB" = 1 ] || nochb=(--no-clickhouse)
  run red "$REDB" --spans "$RED_SPANS" --runs "$RED_RUNS" --seed "$SEED" --spans-per-request "$SPR" --lib "$CHDB_LIB" \
    --json "${nochb[@]}" || { tail -20 "$WORK/red.err" >&2; fail "red_bench: a wrong answer or a failed step"; }
fi

# ---- 6. report ----
meta machine nproc "$(nproc)"
meta machine cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
meta machine ram_bytes "$(awk '/^MemTotal/ {printf "%.0f\n", $2 * 1024}' /proc/meminfo)"
meta machine loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
meta machine kernel "$(uname -sr)"
meta machine compiler "$(${CC:-cc} --version 2>/dev/null | head -1)"
meta machine olly_version "$("$OLLY" --version 2>/dev/null | head -1 || true)"
meta machine git_commit "$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD 2>/dev/null || echo '+local changes')"
meta run short "$SHORT"
meta run spans "$SPANS"
meta run requests "$REQUESTS"
meta run spans_per_request "$SPR"
meta run seed "$SEED"
meta run lookups "$LOOKUPS"
meta run searches "$SEARCHES"
meta run connections "$CONNS"
meta run clickhouse "$CHDB"
meta run red "$RED"
meta run red_spans "$RED_SPANS"
meta run red_runs "$RED_RUNS"
meta run date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
mkdir -p "$(dirname "$OUT")"
printf '%s\n' "${FAILS[@]}" >"$WORK/failures.txt"
node "$ROOT/bench/report.mjs" "$WORK" "$OUT" || fail "report: a wrong answer or a missing figure (see above)"
finish
