#!/usr/bin/env bash
# bench/big.sh - Olly's embedded store with a large number of spans stored (default 50,000,000),
# by hand: sustained live ingest and the server's RSS meanwhile, merges settling, shutdown and
# start-up times, trace by id and trace search on the big store (see bench/README.md, "big.sh").
#
#   bench/big.sh [--spans N] [--work DIR] [--out FILE] [--keep] [--olly PATH] [options]
#
# 1. builds olly (make -j2; skipped with --olly PATH) and bench/build/olly_read (make -C bench),
#    and copies both into WORK/bin, so a rebuild of build/olly meanwhile does not matter;
# 2. a fresh `olly serve --data WORK/data` on free 127.0.0.1 ports; `olly loadgen` sends ⌈N/S⌉
#    requests live (fresh trace ids and times per send: every span is unique); the server's
#    VmRSS/VmHWM and CPU time are sampled every second (rss-NAME.tsv), GET /api/v1/storage every
#    2 s (storage-NAME.tsv: parts, flushes, merges over time);
# 3. waits until merges settle (part and merge counts unchanged and the server nearly idle for
#    --quiet seconds, at most --settle-timeout), records parts, rows and bytes; rows must equal
#    the spans the load generator saw accepted;
# 4. picks --lookups trace ids spread over the whole time range (searches over many time windows,
#    several services) and runs olly_read read (trace by id, the attribute search over the whole
#    range, and the same search over the oldest 1% of the range) on the live server;
# 5. SIGTERM (shutdown time), then --restarts times: start, time to /readyz 200, storage, the same
#    reads, SIGTERM;
# 6. a summary table next to the targets, every figure as JSON (--out), and the commands run.
#
# Exit status 0 when every step worked and every answer was right; never depends on timing.
# The data directory is deleted at the end unless --keep; logs and results stay in WORK.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD

SPANS=50000000 WORK="" OUT="" KEEP=0 OLLY_SRC="" BUILD=1 LOOKUPS=1000 SEARCHES=20 CONNS=2 SPR=2000 SEED=1
RESTARTS=2 SETTLE_TIMEOUT=900 QUIET=15
usage() {
  cat >&2 <<'EOF'
usage: bench/big.sh [--spans N] [--work DIR] [--out FILE] [--keep] [--olly PATH] [--no-build]
                    [--lookups K] [--searches R] [--connections C] [--spans-per-request S]
                    [--seed N] [--restarts N] [--settle-timeout S] [--quiet S]
  --spans N            spans to send live (default 50,000,000)
  --work DIR           work directory: data, logs, results (default: a new /tmp/olly-big.XXXXXX);
                       DIR/data must not exist yet
  --out FILE           write every figure as JSON (default: WORK/results.json)
  --keep               keep the data directory (deleted by default; logs and results always stay)
  --olly PATH          the olly binary to run (copied into WORK/bin first); skips make -j2
  --no-build           build nothing: use build/olly (or --olly) and bench/build/olly_read as they are
  --lookups K          trace ids to sample and look up (default 1000)
  --searches R         runs of each search (default 20)
  --connections C      load generator connections (default 2)
  --spans-per-request S  spans per OTLP request (default 2000)
  --seed N             load generator seed (default 1)
  --restarts N         restarts to time after the first shutdown (default 2)
  --settle-timeout S   longest wait for merges to settle (default 900)
  --quiet S            settled = no part/merge change and < 10% of a core for S seconds (default 15)
EOF
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    --spans) SPANS="${2:-}"; shift ;;
    --work) WORK="${2:-}"; shift ;;
    --out) OUT="${2:-}"; shift ;;
    --keep) KEEP=1 ;;
    --olly) OLLY_SRC="${2:-}"; shift ;;
    --no-build) BUILD=0 ;;
    --lookups) LOOKUPS="${2:-}"; shift ;;
    --searches) SEARCHES="${2:-}"; shift ;;
    --connections) CONNS="${2:-}"; shift ;;
    --spans-per-request) SPR="${2:-}"; shift ;;
    --seed) SEED="${2:-}"; shift ;;
    --restarts) RESTARTS="${2:-}"; shift ;;
    --settle-timeout) SETTLE_TIMEOUT="${2:-}"; shift ;;
    --quiet) QUIET="${2:-}"; shift ;;
    -h|--help) usage ;;
    *) echo "big: unknown argument $1" >&2; usage ;;
  esac
  shift
done
for v in "$SPANS" "$LOOKUPS" "$SEARCHES" "$CONNS" "$SPR" "$SEED" "$SETTLE_TIMEOUT" "$QUIET"; do
  [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -gt 0 ] || { echo "big: numbers must be positive integers" >&2; usage; }
done
[[ "$RESTARTS" =~ ^[0-9]+$ ]] || { echo "big: --restarts wants a number" >&2; usage; }
REQUESTS=$(( (SPANS + SPR - 1) / SPR ))
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

FAILS=()
fail() { FAILS+=("$*"); echo "big: FAIL: $*" >&2; }
log() { echo "big: $(date -u +%H:%M:%S) $*" >&2; }

if [ -n "$WORK" ]; then
  mkdir -p "$WORK" || { echo "big: cannot create $WORK" >&2; exit 1; }
  WORK=$(cd "$WORK" && pwd)
  [ ! -e "$WORK/data" ] || { echo "big: $WORK/data exists; want a fresh data directory" >&2; exit 1; }
else
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/olly-big.XXXXXX") || { echo "big: no temp dir" >&2; exit 1; }
fi
OUT=${OUT:-$WORK/results.json}
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac
DATA=$WORK/data
BIN=$WORK/bin
OLLY=$BIN/olly
READ=$BIN/olly_read
HELPER=$WORK/big_helper.py
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

SERVER_PID="" SAMPLER_PID="" SERVER_NAME=""
cleanup() {
  declare -F stop_sampler >/dev/null && stop_sampler
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 600); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  SERVER_PID=""
  if [ "$KEEP" = 1 ]; then log "data directory kept: $DATA"; else rm -rf "$DATA"; fi
  log "logs and results in $WORK"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

: >"$WORK/commands.txt"
: >"$WORK/meta.tsv"
meta() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$WORK/meta.tsv"; } # meta SECTION KEY VALUE
show() { local s="$*"; s=${s//$WORK/\$WORK}; s=${s//$ROOT\//}; echo "$s"; }
# run LOGNAME CMD...: records the command, runs it with stdout to $WORK/LOGNAME.out and stderr
# to $WORK/LOGNAME.err; returns its status.
run() {
  local name=$1; shift
  show "$*" >>"$WORK/commands.txt"
  "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
}
now_ms() { local t=$EPOCHREALTIME; echo $(( ${t%.*} * 1000 + 10#${t#*.} / 1000 )); }
file_bytes() { # apparent size of the regular files under $1 (0 when absent)
  [ -e "$1" ] || { echo 0; return; }
  find "$1" -type f -printf '%s\n' | awk '{s += $1} END {printf "%.0f\n", s}'
}
cpu_ticks() { # utime + stime of process $1, in clock ticks (empty when gone)
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  s=${s##*) }
  set -- $s
  echo $(( ${12} + ${13} ))
}
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null; } # status_kb PID VmRSS
phase() { echo "$1" >"$WORK/phase"; }
storage() { "$READ" get --url "http://127.0.0.1:$API_PORT" --path /api/v1/storage; }

# ---- the Python helper (JSON: storage summaries, trace id sampling, report) ----
cat >"$HELPER" <<'PYEOF'
import http.client, json, math, os, sys, time

def traces_signal(doc):
    for s in doc.get("signals", []):
        if s.get("signal") == "traces":
            return s
    return {}

def summary(doc):
    t = traces_signal(doc)
    parts = t.get("partitions") or []
    mins = [int(p["minTimeUnixNano"]) for p in parts if int(p.get("rows", 0)) > 0]
    maxs = [int(p["maxTimeUnixNano"]) for p in parts if int(p.get("rows", 0)) > 0]
    return {"parts": t.get("parts", 0), "rows": t.get("rows", 0), "bytes": t.get("bytes", 0),
            "input_bytes": t.get("inputBytes", 0), "bytes_per_span": t.get("bytesPerItem", 0),
            "partitions": len(parts), "head_spans": doc.get("head", {}).get("spans", 0),
            "head_bytes": doc.get("head", {}).get("bytes", 0), "wal_bytes": doc.get("wal", {}).get("bytes", 0),
            "flushes": doc.get("flushes", 0), "flush_errors": doc.get("flushErrors", 0),
            "merges": doc.get("merges", 0), "merge_errors": doc.get("mergeErrors", 0),
            "min_time_ns": str(min(mins)) if mins else None, "max_time_ns": str(max(maxs)) if maxs else None}

def load(path):
    with open(path) as f:
        return json.load(f)

def last_json(path):
    """The last line of a file that parses as a JSON object (tool outputs)."""
    if not os.path.exists(path):
        return None
    with open(path) as f:
        lines = [l for l in f.read().splitlines() if l.strip().startswith("{")]
    for l in reversed(lines):
        try:
            return json.loads(l)
        except ValueError:
            pass
    return None

def cmd_state(path):
    """One line for the shell: parts merges flushes head_spans rows merge_errors flush_errors."""
    s = summary(load(path))
    print(s["parts"], s["merges"], s["flushes"], s["head_spans"], s["rows"], s["merge_errors"], s["flush_errors"])

SERVICES = ["frontend", "checkout", "cart", "product-catalog", "currency", "payment", "shipping", "email",
            "recommendation", "ad", "accounting", "fraud-detection"]

def cmd_sample(url, storage_path, want, ids_out, params_out, params_old_out, log_out):
    """Trace ids spread over the whole time range: `want` / 10 windows evenly over [min, max],
    one search per window (service rotating), about 10 new ids each (more once windows came back
    empty: a window without any span is an ingest stall)."""
    want = int(want)
    s = summary(load(storage_path))
    lo, hi = int(s["min_time_ns"]), int(s["max_time_ns"])
    host, port = url.replace("http://", "").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    windows = max(1, math.ceil(want / 10))
    width = max(1, (hi - lo + 1) // windows)
    ids, seen, lat, empty = [], set(), [], []
    for w in range(windows):
        start = lo + w * width
        end = hi + 1 if w == windows - 1 else start + width
        svc = SERVICES[w % len(SERVICES)]
        per = min(1000, max(10, math.ceil((want - len(ids)) / (windows - w))))  # windows left make up for empty ones
        path = f"/api/v1/traces?service={svc}&start={start}&end={end}&limit={per}"
        t0 = time.perf_counter()
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        lat.append((time.perf_counter() - t0) * 1000)
        if r.status != 200:
            print(f"big: GET {path}: status {r.status}: {body[:200]!r}", file=sys.stderr)
            sys.exit(1)
        traces = json.loads(body).get("traces", [])
        if not traces:
            empty.append(w)
        for t in traces:
            if t["traceId"] not in seen and int(t["spanCount"]) > 0 and len(ids) < want:
                seen.add(t["traceId"])
                ids.append((t["traceId"], int(t["spanCount"]), int(t["startTimeUnixNano"])))
    with open(ids_out, "w") as f:
        for tid, n, _ in ids:
            f.write(f"{tid} {n}\n")
    search = {"service": "shipping", "attribute_key": "http.route", "attribute_value": "/get-quote",
              "from_ns": lo, "to_ns": hi, "limit": 20}
    with open(params_out, "w") as f:
        json.dump({"search": search}, f)
    old = dict(search, to_ns=lo + (hi - lo) // 100)
    with open(params_old_out, "w") as f:
        json.dump({"search": old}, f)
    lat.sort()
    pct = lambda p: lat[min(len(lat) - 1, max(0, math.ceil(p / 100 * len(lat)) - 1))]
    starts = sorted(x[2] for x in ids)
    info = {"windows": windows, "window_s": width / 1e9, "empty_windows": len(empty), "empty_window_list": empty,
            "ids": len(ids), "min_time_ns": str(lo), "max_time_ns": str(hi),
            "range_s": (hi - lo) / 1e9,
            "ids_first_start_s": (starts[0] - lo) / 1e9 if starts else None,
            "ids_last_start_s": (starts[-1] - lo) / 1e9 if starts else None,
            "window_search_ms": {"p50": pct(50), "p99": pct(99), "max": lat[-1], "count": len(lat),
                                 "note": "Python http.client, keep-alive; one window (1/windows of the range) each"}}
    with open(log_out, "w") as f:
        json.dump(info, f)
    print(f"big: sampled {len(ids)} trace ids from {windows} windows over {(hi - lo) / 1e9:.1f} s "
          f"({len(empty)} windows without spans of their service); window search p50 {pct(50):.2f} ms p99 {pct(99):.2f} ms", file=sys.stderr)
    sys.exit(0 if len(ids) >= max(1, want // 2) else 1)

def storage_series(path):
    out = []
    if os.path.exists(path):
        for line in open(path):
            f = line.rstrip("\n").split("\t", 2)
            try:
                s = summary(json.loads(f[2]))
            except (ValueError, IndexError):
                continue
            out.append({"t_ms": int(f[0]), "phase": f[1], "parts": s["parts"], "rows": s["rows"],
                        "head_spans": s["head_spans"], "flushes": s["flushes"], "merges": s["merges"], "bytes": s["bytes"]})
    return out

def series(path):
    rows = []
    if os.path.exists(path):
        for line in open(path):
            f = line.rstrip("\n").split("\t")
            if len(f) >= 5 and f[1]:
                rows.append({"t_ms": int(f[0]), "rss_kb": int(f[1] or 0), "hwm_kb": int(f[2] or 0),
                             "ticks": int(f[3] or 0), "phase": f[4]})
    return rows

def cmd_report(work, out):
    meta = {}
    for line in open(os.path.join(work, "meta.tsv")):
        sec, key, val = (line.rstrip("\n").split("\t", 2) + ["", ""])[:3]
        meta.setdefault(sec, {})[key] = val
    def num(v):
        try:
            return int(v)
        except (TypeError, ValueError):
            try:
                return float(v)
            except (TypeError, ValueError):
                return v
    for sec in meta.values():
        for k in sec:
            sec[k] = num(sec[k])
    problems = []
    J = lambda name: last_json(os.path.join(work, name))
    run = meta.get("run", {})
    lg = J("loadgen.out")
    samples = series(os.path.join(work, "rss-ingest.tsv"))
    ingest_samples = [r for r in samples if r["phase"] == "ingest"]
    settle_samples = [r for r in samples if r["phase"] == "settle"]
    clk = run.get("clk_tck", 100)
    res = {"date": run.get("date"), "machine": meta.get("machine", {}), "run": run}
    ing = {}
    if lg:
        ing = {k: lg.get(k) for k in ("seconds", "requests_ok", "requests_failed", "failures", "spans_sent",
                                        "spans_accepted", "accepted_spans_per_sec", "latency_ms", "first_error",
                                        "bytes_per_span")}
    else:
        problems.append("no load generator report")
    if ingest_samples:
        peak = max(r["rss_kb"] for r in ingest_samples)
        ing["peak_rss_bytes_sampled"] = peak * 1024
        ing["rss_samples"] = len(ingest_samples)
        ing["cpu_seconds"] = (ingest_samples[-1]["ticks"] - ingest_samples[0]["ticks"]) / clk
    ing["vmhwm_bytes_after_ingest"] = meta.get("ingest", {}).get("vmhwm_kb", 0) * 1024 or None
    ing["rss_bytes_after_ingest"] = meta.get("ingest", {}).get("vmrss_kb", 0) * 1024 or None
    if settle_samples:
        ing["peak_rss_bytes_sampled_settle"] = max(r["rss_kb"] for r in settle_samples) * 1024
    if samples:
        top = max(samples, key=lambda r: r["rss_kb"])
        ing["peak_rss_bytes_sampled_first_server"] = top["rss_kb"] * 1024
        ing["peak_rss_phase"] = top["phase"]
    ing["vmhwm_bytes_first_server"] = meta.get("shutdown", {}).get("vmhwm_kb", 0) * 1024 or None
    res["ingest"] = ing
    # the part count over time (GET /api/v1/storage every 2 s)
    ts = storage_series(os.path.join(work, "storage-ingest.tsv"))
    ti = [x for x in ts if x["phase"] == "ingest"]
    # ingest rate per minute and seconds without any new stored span (stalls: backpressure)
    per_min, stalled_s = [], 0.0
    for a, b in zip(ti, ti[1:]):
        if b["rows"] + b["head_spans"] == a["rows"] + a["head_spans"]:
            stalled_s += (b["t_ms"] - a["t_ms"]) / 1000
    j = 0
    for i, x in enumerate(ti):
        if x["t_ms"] - ti[j]["t_ms"] >= 60000 or (i == len(ti) - 1 and i > j):
            a = ti[j]
            per_min.append({"from_s": round(a["t_ms"] / 1000), "to_s": round(x["t_ms"] / 1000),
                            "spans_per_sec": round((x["rows"] + x["head_spans"] - a["rows"] - a["head_spans"]) /
                                                   max(0.001, (x["t_ms"] - a["t_ms"]) / 1000)),
                            "parts": x["parts"], "merges": x["merges"] - a["merges"], "flushes": x["flushes"] - a["flushes"]})
            j = i
    res["parts_series"] = {"samples": len(ts), "max_parts": max((x["parts"] for x in ti), default=None),
                           "max_parts_after_ingest": max((x["parts"] for x in ts if x["phase"] != "ingest"), default=None),
                           "every_30s": [x for i, x in enumerate(ts) if i % 15 == 0] + ts[-1:]}
    ing["per_minute"] = per_min
    ing["stalled_seconds"] = stalled_s
    sett = meta.get("settle", {})
    st = J("storage-settled.json")
    res["settled"] = dict(summary(st) if st else {}, settle_seconds=sett.get("settle_seconds"), timed_out=sett.get("timed_out"),
                          vmrss_bytes=sett.get("vmrss_kb", 0) * 1024 or None)
    if not st:
        problems.append("no storage answer after settling")
    res["shutdown"] = {k: meta.get("shutdown", {}).get(k) for k in
                       ("shutdown_ms", "vmhwm_kb", "parts_traces_bytes", "parts_traces_files", "parts_bytes",
                        "wal_bytes", "data_dir_bytes", "largest_part_bytes")}
    rows = None
    restarts = []
    for i in range(1, run.get("restarts", 0) + 1):
        m = meta.get(f"restart{i}", {})
        rd = J(f"ready-restart{i}.json")
        sd = J(f"storage-restart{i}.json")
        ss = J(f"storage-restart{i}-settled.json")
        r = {"ready_ms": rd.get("ready_ms") if rd else None, "store_log": m.get("store_log"),
             "vmrss_bytes_ready": m.get("vmrss_kb_ready", 0) * 1024 or None,
             "vmrss_bytes_after_reads": m.get("vmrss_kb_reads", 0) * 1024 or None,
             "vmhwm_bytes": m.get("vmhwm_kb", 0) * 1024 or None,
             "peak_rss_bytes_sampled": max((x["rss_kb"] for x in series(os.path.join(work, f"rss-restart{i}.tsv"))),
                                           default=0) * 1024 or None,
             "shutdown_ms": m.get("shutdown_ms"), "storage_at_ready": summary(sd) if sd else None,
             "storage_settled": summary(ss) if ss else None, "settle_seconds": m.get("settle_seconds"),
             "reads": J(f"read-restart{i}.out"), "reads_old_window": J(f"read-old-restart{i}.out")}
        if not rd:
            problems.append(f"restart {i}: no time to /readyz")
        if sd:
            s = summary(sd)
            rows = s["rows"] + s["head_spans"]
        restarts.append(r)
    res["restarts"] = restarts
    res["ids"] = J("sample.json")
    res["reads_live"] = {"reads": J("read-live.out"), "reads_old_window": J("read-old-live.out")}
    res["search_params"] = J("params.json")
    res["search_params_old_window"] = J("params-old.json")
    rows_stored = rows if rows is not None else (res["settled"].get("rows", 0) + res["settled"].get("head_spans", 0)
                                                if st else None)
    res["rows_stored"] = rows_stored
    if rows_stored is not None and res["shutdown"].get("parts_traces_bytes"):
        res["shutdown"]["bytes_per_span"] = res["shutdown"]["parts_traces_bytes"] / max(1, rows_stored)
    # checks (answers, never timing)
    if lg and rows_stored is not None:
        acc, failed = lg.get("spans_accepted", 0), lg.get("requests_failed", 0)
        if failed == 0 and rows_stored != acc:
            problems.append(f"stored spans {rows_stored} != accepted spans {acc}")
        if failed and not (acc <= rows_stored <= acc + failed * run.get("spans_per_request", 0)):
            problems.append(f"stored spans {rows_stored} outside accepted {acc} .. + {failed} failed requests")
    for name, r in [("live", res["reads_live"])] + [(f"restart {i + 1}", x) for i, x in enumerate(restarts)]:
        for k in ("reads", "reads_old_window"):
            if r.get(k) is None:
                problems.append(f"reads {name} ({k}): no report")
            elif not r[k].get("ok"):
                problems.append(f"reads {name} ({k}): a wrong or failed answer")
    failures = [l for l in open(os.path.join(work, "failures.txt")).read().splitlines() if l]
    res["failures"] = failures + problems
    res["commands"] = open(os.path.join(work, "commands.txt")).read().splitlines()
    res["targets"] = {"trace_by_id_p99_ms": 10, "startup_ms": 2000, "peak_rss_bytes": 1 << 30}
    res["ok"] = not res["failures"]
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")

    # the table
    def g(d, *ks):
        for k in ks:
            if d is None:
                return None
            d = d.get(k) if isinstance(d, dict) else None
        return d
    def f(v, fmt="{:,.0f}"):
        return "-" if v is None else fmt.format(v)
    MB = 1 / (1 << 20)
    lines = [("spans sent / accepted", f"{f(ing.get('spans_sent'))} / {f(ing.get('spans_accepted'))}"
              f" ({f(ing.get('requests_failed'))} requests failed)", ""),
             ("ingest, accepted spans/s", f(ing.get("accepted_spans_per_sec")) +
              f"  ({f(ing.get('seconds'), '{:.0f}')} s; export p50/p99 {f(g(ing, 'latency_ms', 'p50'), '{:.1f}')}"
              f" / {f(g(ing, 'latency_ms', 'p99'), '{:.1f}')} ms)", ""),
             ("peak RSS during ingest (sampled 1/s)", f((ing.get("peak_rss_bytes_sampled") or 0) * MB, "{:,.0f} MiB"),
              "< 1024 MiB"),
             ("VmHWM after ingest", f((ing.get("vmhwm_bytes_after_ingest") or 0) * MB, "{:,.0f} MiB"), "< 1024 MiB"),
             ("VmHWM of the first server (ingest, merges, reads)",
              f((ing.get("vmhwm_bytes_first_server") or 0) * MB, "{:,.0f} MiB") +
              f"  (sampled peak {f((ing.get('peak_rss_bytes_sampled_first_server') or 0) * MB, '{:,.0f}')} MiB"
              f" in phase {ing.get('peak_rss_phase')})", ""),
             ("server CPU during ingest", f(ing.get("cpu_seconds"), "{:.0f} s"), ""),
             ("ingest rate, first / last minute", " / ".join(f(x["spans_per_sec"]) for x in
                                                              (per_min[:1] + per_min[-1:])) + " spans/s" if per_min else "-", ""),
             ("ingest stalled (no span stored for 2 s+)", f(ing.get("stalled_seconds"), "{:.0f} s"), ""),
             ("max parts seen during ingest", f(res["parts_series"]["max_parts"]), ""),
             ("settled: parts / merges / flushes",
              f"{f(res['settled'].get('parts'))} / {f(res['settled'].get('merges'))} / {f(res['settled'].get('flushes'))}"
              f"  (after {f(res['settled'].get('settle_seconds'))} s{', TIMED OUT' if res['settled'].get('timed_out') else ''})",
              ""),
             ("stored spans (parts + head)", f(rows_stored), ""),
             ("trace ids sampled", f"{f(g(res, 'ids', 'ids'))} from {f(g(res, 'ids', 'windows'))} windows of "
              f"{f(g(res, 'ids', 'window_s'), '{:.1f}')} s ({f(g(res, 'ids', 'empty_windows'))} empty); window search p50 "
              f"{f(g(res, 'ids', 'window_search_ms', 'p50'), '{:.0f}')} ms", ""),
             ("parts on disk after shutdown", f"{f((res['shutdown'].get('parts_traces_bytes') or 0) * MB, '{:,.1f} MiB')}"
              f" in {f(res['shutdown'].get('parts_traces_files'))} files, "
              f"{f(res['shutdown'].get('bytes_per_span'), '{:.2f}')} B/span", ""),
             ("shutdown (SIGTERM to exit)", f(res["shutdown"].get("shutdown_ms"), "{:,.0f} ms"), "")]
    for name, r in [("live", res["reads_live"])] + [(f"restart {i + 1}", x) for i, x in enumerate(restarts)]:
        if name != "live":
            lines.append((f"{name}: start-up to /readyz", f(r.get("ready_ms"), "{:,.1f} ms") +
                          f"  (RSS {f((r.get('vmrss_bytes_ready') or 0) * MB, '{:,.0f}')} MiB at ready,"
                          f" VmHWM {f((r.get('vmhwm_bytes') or 0) * MB, '{:,.0f}')} MiB)", "< 2000 ms"))
        lk = g(r, "reads", "trace_by_id", "latency")
        lines.append((f"{name}: trace by id p50 / p99 / max",
                      f"{f(g(lk, 'p50_ms'), '{:.2f}')} / {f(g(lk, 'p99_ms'), '{:.2f}')} / {f(g(lk, 'max_ms'), '{:.2f}')} ms"
                      f"  ({f(g(r, 'reads', 'trace_by_id', 'lookups'))} lookups)", "p99 <= 10 ms"))
        for k, label in (("reads", "search, whole range"), ("reads_old_window", "search, oldest 1%")):
            sl = g(r, k, "search", "latency")
            lines.append((f"{name}: {label} p50 / p99", f"{f(g(sl, 'p50_ms'), '{:.1f}')} / {f(g(sl, 'p99_ms'), '{:.1f}')} ms"
                          f"  ({f(g(r, k, 'search', 'runs'))} runs)", ""))
    w = max(len(a) for a, _, _ in lines)
    w2 = max(len(b) for _, b, _ in lines)
    print(f"{'figure'.ljust(w)}  {'measured'.ljust(w2)}  target")
    for a, b, c in lines:
        print(f"{a.ljust(w)}  {b.ljust(w2)}  {c}")
    if problems:
        for p in problems:
            print(f"big: FAIL: {p}", file=sys.stderr)
        sys.exit(1)

if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"state": cmd_state, "sample": cmd_sample, "report": cmd_report}[cmd](*args)
PYEOF

# finish: verdict on stdout, then exit (the trap deletes the data directory).
finish() {
  if [ ${#FAILS[@]} -eq 0 ]; then
    echo "big: all steps worked and every answer was right; JSON in $OUT"
    exit 0
  fi
  echo "big: ${#FAILS[@]} problem(s):"
  printf '  %s\n' "${FAILS[@]}"
  exit 1
}

# ---- 1. build, private copies of the binaries ----
mkdir -p "$BIN"
if [ "$BUILD" = 1 ]; then
  if [ -z "$OLLY_SRC" ]; then
    log "building (make -j2)"
    make -j2 >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log" >&2; fail "make -j2 failed"; finish; }
  fi
  log "building bench/build/olly_read (make -C bench)"
  make -C bench build/olly_read >>"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log" >&2; fail "make -C bench failed"; finish; }
fi
cp "${OLLY_SRC:-$ROOT/build/olly}" "$OLLY" && cp "$ROOT/bench/build/olly_read" "$READ" ||
  { fail "cannot copy the binaries into $BIN"; finish; }
echo "# binaries copied from ${OLLY_SRC:-build/olly} and bench/build/olly_read into \$WORK/bin" >>"$WORK/commands.txt"

# ---- the server ----
# sampler OUT: every second VmRSS, VmHWM (kB), CPU ticks and the phase of the server; every 2 s
# GET /api/v1/storage into storage-NAME.tsv. Runs until the server exits or it is stopped.
sampler() {
  local out=$1 pid=$SERVER_PID i=0 t
  while kill -0 "$pid" 2>/dev/null; do
    t=$(( $(now_ms) - T0_MS ))
    printf '%s\t%s\t%s\t%s\t%s\n' "$t" "$(status_kb "$pid" VmRSS)" "$(status_kb "$pid" VmHWM)" "$(cpu_ticks "$pid")" \
      "$(cat "$WORK/phase" 2>/dev/null)" >>"$out"
    if [ $(( i % 2 )) = 0 ]; then
      local body
      body=$(storage 2>/dev/null) &&
        printf '%s\t%s\t%s\n' "$t" "$(cat "$WORK/phase" 2>/dev/null)" "$body" >>"$WORK/storage-${out##*/rss-}"
    fi
    i=$(( i + 1 ))
    sleep 1
  done
}
start_sampler() { sampler "$WORK/rss-$1.tsv" & SAMPLER_PID=$!; }
stop_sampler() {
  [ -n "$SAMPLER_PID" ] || return 0
  kill "$SAMPLER_PID" 2>/dev/null; wait "$SAMPLER_PID" 2>/dev/null; SAMPLER_PID=""
}

# start_server NAME: `olly serve` on $DATA on fresh free ports; sets SERVER_PID, OTLP_PORT, API_PORT
# and writes ready-NAME.json. Retries with new ports when the server exits early (a port taken).
start_server() {
  local name=$1 attempt ports t0
  SERVER_NAME=$name
  for attempt in 1 2 3; do
    ports=$("$READ" ports 3) || return 1
    set -- $ports
    OTLP_PORT=$1 API_PORT=$3
    show "$OLLY serve --data $DATA --otlp-http 127.0.0.1:$1 --otlp-grpc 127.0.0.1:$2 --http 127.0.0.1:$3" >>"$WORK/commands.txt"
    t0=$EPOCHREALTIME
    "$OLLY" serve --data "$DATA" --otlp-http "127.0.0.1:$1" --otlp-grpc "127.0.0.1:$2" --http "127.0.0.1:$3" \
      >>"$WORK/serve-$name.log" 2>&1 &
    SERVER_PID=$!
    if "$READ" ready --url "http://127.0.0.1:$API_PORT" --since "$t0" --timeout 600 --pid "$SERVER_PID" \
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
# stop_server SECTION: SIGTERM, wait (the store flushes its head into parts); meta SECTION shutdown_ms.
stop_server() {
  local sec=$1 t0 rc
  [ -n "$SERVER_PID" ] || return 1
  meta "$sec" vmhwm_kb "$(status_kb "$SERVER_PID" VmHWM)"
  t0=$(now_ms)
  kill -TERM "$SERVER_PID"
  for _ in $(seq 6000); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -KILL "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
    fail "server $SERVER_NAME did not stop within 300 s of SIGTERM"
    return 1
  fi
  wait "$SERVER_PID"; rc=$?
  SERVER_PID=""
  meta "$sec" shutdown_ms $(( $(now_ms) - t0 ))
  stop_sampler
  [ "$rc" -eq 0 ] || { tail -10 "$WORK/serve-$SERVER_NAME.log" >&2; fail "server $SERVER_NAME exited with status $rc after SIGTERM"; return 1; }
}
alive() { [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; }

# settle SECTION FILE: polls GET /api/v1/storage every second until the trace part count, merges
# and flushes have not changed and the server used < 10% of a core for $QUIET s, at most
# $SETTLE_TIMEOUT s; the last answer goes to FILE. meta SECTION settle_seconds / timed_out.
settle() {
  local sec=$1 file=$2 t_start t_win ticks_win state last="" now ticks
  t_start=$(now_ms) t_win=$t_start ticks_win=$(cpu_ticks "$SERVER_PID")
  while :; do
    alive || { fail "server $SERVER_NAME died while merges settled"; return 1; }
    storage >"$file.tmp" 2>>"$WORK/settle.err" || { sleep 1; continue; }
    state=$("$PY" "$HELPER" state "$file.tmp" | cut -d' ' -f1-3)
    now=$(now_ms) ticks=$(cpu_ticks "$SERVER_PID")
    if [ "$state" != "$last" ]; then
      last=$state t_win=$now ticks_win=$ticks
    elif [ $(( now - t_win )) -ge $(( QUIET * 1000 )) ]; then
      # busy: more than 10% of one core over the window -> a merge is probably running
      if [ $(( (ticks - ticks_win) * 10000 )) -lt $(( (now - t_win) * CLK_TCK )) ]; then
        mv "$file.tmp" "$file"
        meta "$sec" settle_seconds $(( (t_win - t_start) / 1000 ))
        meta "$sec" timed_out 0
        return 0
      fi
      t_win=$now ticks_win=$ticks
    fi
    if [ $(( now - t_start )) -ge $(( SETTLE_TIMEOUT * 1000 )) ]; then
      mv "$file.tmp" "$file"
      meta "$sec" settle_seconds $(( (now - t_start) / 1000 ))
      meta "$sec" timed_out 1
      log "merges did not settle within $SETTLE_TIMEOUT s (state: parts merges flushes = $state)"
      return 0
    fi
    sleep 1
  done
}

# reads NAME: trace by id for every sampled id plus the whole-range search, then the oldest-1%
# search (with the first 20 ids only); olly_read checks every answer.
reads() {
  local name=$1
  log "reads ($name): $(wc -l <"$WORK/ids.txt") trace ids, $SEARCHES searches x 2"
  run "read-$name" "$READ" read --url "http://127.0.0.1:$API_PORT" --ids "$WORK/ids.txt" --params "$WORK/params.json" \
    --searches "$SEARCHES" --json || { tail -8 "$WORK/read-$name.err" >&2; fail "reads ($name): a wrong or failed answer"; }
  run "read-old-$name" "$READ" read --url "http://127.0.0.1:$API_PORT" --ids "$WORK/ids-20.txt" \
    --params "$WORK/params-old.json" --searches "$SEARCHES" --json ||
    { tail -8 "$WORK/read-old-$name.err" >&2; fail "reads ($name, oldest 1% search): a wrong or failed answer"; }
  sed -n '2,3p' "$WORK/read-$name.err" >&2
  sed -n '3p' "$WORK/read-old-$name.err" >&2
}

# ---- 2. ingest ----
T0_MS=$(now_ms)
phase start
log "olly serve on a fresh data directory ($DATA)"
start_server ingest || { fail "olly serve did not become ready"; finish; }
start_sampler ingest
phase ingest
log "ingest: $REQUESTS requests x $SPR spans live ($(( REQUESTS * SPR )) spans, $CONNS connections)"
run loadgen "$OLLY" loadgen --target "http://127.0.0.1:$OTLP_PORT/v1/traces" --requests "$REQUESTS" \
  --spans-per-request "$SPR" --connections "$CONNS" --seed "$SEED" --json ||
  { tail -5 "$WORK/loadgen.err" >&2; fail "olly loadgen failed"; }
tail -9 "$WORK/loadgen.err" | sed 's/^/  /' >&2
alive || { tail -20 "$WORK/serve-ingest.log" >&2; fail "the server died during ingest"; finish; }
meta ingest vmhwm_kb "$(status_kb "$SERVER_PID" VmHWM)"
meta ingest vmrss_kb "$(status_kb "$SERVER_PID" VmRSS)"

# ---- 3. merges settle ----
phase settle
log "waiting for merges to settle (quiet $QUIET s, at most $SETTLE_TIMEOUT s)"
settle settle "$WORK/storage-settled.json" || finish
meta settle vmrss_kb "$(status_kb "$SERVER_PID" VmRSS)"
log "settled: parts merges flushes head_spans rows = $("$PY" "$HELPER" state "$WORK/storage-settled.json" | cut -d' ' -f1-5)"

# ---- 4. trace ids over the whole range, reads on the live server ----
phase reads
log "sampling $LOOKUPS trace ids over the stored time range"
show "$PY \$WORK/big_helper.py sample http://127.0.0.1:$API_PORT \$WORK/storage-settled.json $LOOKUPS ..." >>"$WORK/commands.txt"
"$PY" "$HELPER" sample "http://127.0.0.1:$API_PORT" "$WORK/storage-settled.json" "$LOOKUPS" "$WORK/ids.txt" \
  "$WORK/params.json" "$WORK/params-old.json" "$WORK/sample.json" || { fail "sampling trace ids failed"; finish; }
head -20 "$WORK/ids.txt" >"$WORK/ids-20.txt"
reads live

# ---- 5. shutdown, restarts ----
phase shutdown
log "SIGTERM (the store flushes its head)"
stop_server shutdown || finish
meta shutdown parts_traces_bytes "$(file_bytes "$DATA/parts/traces")"
meta shutdown parts_traces_files "$( [ -d "$DATA/parts/traces" ] && find "$DATA/parts/traces" -type f | wc -l || echo 0)"
meta shutdown largest_part_bytes "$(find "$DATA/parts/traces" -type f -printf '%s\n' 2>/dev/null | sort -n | tail -1)"
meta shutdown parts_bytes "$(file_bytes "$DATA/parts")"
meta shutdown wal_bytes "$(file_bytes "$DATA/wal")"
meta shutdown data_dir_bytes "$(file_bytes "$DATA")"
ls -lR "$DATA" >"$WORK/files-after-shutdown.txt" 2>&1

for i in $(seq 1 "$RESTARTS"); do
  phase "restart$i"
  log "restart $i"
  start_server "restart$i" || { fail "olly serve did not become ready after restart $i"; break; }
  start_sampler "restart$i"
  meta "restart$i" vmrss_kb_ready "$(status_kb "$SERVER_PID" VmRSS)"
  meta "restart$i" store_log "$(grep -o 'store: loaded.*points' "$WORK/serve-restart$i.log" | tail -1)"
  log "  $(cat "$WORK/ready-restart$i.json"); $(grep -o 'store: loaded.*in [0-9]* ms and' "$WORK/serve-restart$i.log" | tail -1)"
  storage >"$WORK/storage-restart$i.json" || fail "GET /api/v1/storage after restart $i failed"
  settle "restart$i" "$WORK/storage-restart$i-settled.json" || break
  reads "restart$i"
  meta "restart$i" vmrss_kb_reads "$(status_kb "$SERVER_PID" VmRSS)"
  stop_server "restart$i" || break
done

# ---- 6. report ----
meta machine nproc "$(nproc)"
meta machine cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
meta machine ram_bytes "$(awk '/^MemTotal/ {printf "%.0f\n", $2 * 1024}' /proc/meminfo)"
meta machine loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
meta machine kernel "$(uname -sr)"
meta machine olly_version "$("$OLLY" --version 2>/dev/null | head -1 || true)"
meta machine git_commit "$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD 2>/dev/null || echo '+local changes')"
meta machine olly_binary "${OLLY_SRC:-build/olly}"
meta run spans "$SPANS"
meta run requests "$REQUESTS"
meta run spans_per_request "$SPR"
meta run connections "$CONNS"
meta run seed "$SEED"
meta run lookups "$LOOKUPS"
meta run searches "$SEARCHES"
meta run restarts "$RESTARTS"
meta run quiet_s "$QUIET"
meta run settle_timeout_s "$SETTLE_TIMEOUT"
meta run clk_tck "$CLK_TCK"
meta run work "$WORK"
meta run date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
mkdir -p "$(dirname "$OUT")"
printf '%s\n' "${FAILS[@]}" >"$WORK/failures.txt"
echo
"$PY" "$HELPER" report "$WORK" "$OUT" || fail "report: a wrong answer or a missing figure (see above)"
[ "$OUT" = "$WORK/results.json" ] || cp "$OUT" "$WORK/results.json"
echo
echo "commands:"
sed 's/^/  /' "$WORK/commands.txt"
finish
