#!/usr/bin/env bash
# Idle daemon figures (issue target: `dondoc serve` with nothing due under 30 MB RSS and
# near-zero CPU).
#
# Builds the release binary, makes a fresh data directory (`dondoc init`, then
# config/sample-plan.csv imported), sets [server] listen to a free loopback port, starts
# `dondoc serve` (no channel configured: nothing can be sent), waits for /healthz and a
# settling delay (the first sweep runs at start), then samples VmRSS every second for
# SAMPLE_SECS and the process's CPU time (utime + stime from /proc/<pid>/stat) over the same
# span. Prints VmRSS min/max, VmHWM (peak since start, startup included), CPU seconds
# and CPU % of one core, threads; then SIGTERMs the daemon and reports its exit status.
#
# Environment: SAMPLE_SECS (default 30), SETTLE_SECS (default 5), RUNS (default 1),
# DONDOC_BIN (skip the build and use this binary).
set -euo pipefail

SAMPLE_SECS=${SAMPLE_SECS:-30}
SETTLE_SECS=${SETTLE_SECS:-5}
RUNS=${RUNS:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

if [[ -z "${DONDOC_BIN:-}" ]]; then
    cargo build --release -p dondoc --bin dondoc >&2
    TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
    DONDOC_BIN="$TARGET_DIR/release/dondoc"
fi
[[ -x "$DONDOC_BIN" ]] || { echo "no binary at $DONDOC_BIN" >&2; exit 1; }

TICKS=$(getconf CLK_TCK)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dondoc-idle.XXXXXX")
PID=""
cleanup() {
    if [[ -n "$PID" ]] && kill -0 "$PID" 2>/dev/null; then
        kill -TERM "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# shellcheck source=scripts/proc-lib.sh
source scripts/proc-lib.sh # (the script runs from the repository root)

for run in $(seq 1 "$RUNS"); do
    DATA="$WORK/data-$run"
    export DONDOC_DATA_DIR="$DATA"
    "$DONDOC_BIN" init >/dev/null
    "$DONDOC_BIN" import config/sample-plan.csv --plan MAU-2026 >/dev/null
    PORT=$(free_port)
    sed -i -E "s|^listen = \".*\"|listen = \"127.0.0.1:$PORT\"|" "$DATA/dondoc.toml"
    grep -q "^listen = \"127.0.0.1:$PORT\"" "$DATA/dondoc.toml" || { echo "could not set [server] listen" >&2; exit 1; }

    RUST_LOG=${RUST_LOG:-warn} "$DONDOC_BIN" serve >"$WORK/serve-$run.log" 2>&1 &
    PID=$!
    for _ in $(seq 1 100); do
        if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then break; fi
        kill -0 "$PID" 2>/dev/null || { echo "dondoc serve exited:" >&2; cat "$WORK/serve-$run.log" >&2; exit 1; }
        sleep 0.1
    done
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "no /healthz on port $PORT" >&2; exit 1; }
    sleep "$SETTLE_SECS"

    rss_min=""; rss_max=0
    t0=$(cpu_ticks "$PID"); s0=$(date +%s.%N)
    for _ in $(seq 1 "$SAMPLE_SECS"); do
        sleep 1
        rss=$(status_kb VmRSS "$PID")
        [[ -z "$rss_min" || "$rss" -lt "$rss_min" ]] && rss_min=$rss
        [[ "$rss" -gt "$rss_max" ]] && rss_max=$rss
    done
    t1=$(cpu_ticks "$PID"); s1=$(date +%s.%N)
    hwm=$(status_kb VmHWM "$PID")
    threads=$(status_kb Threads "$PID")
    python3 - "$run" "$rss_min" "$rss_max" "$hwm" "$t0" "$t1" "$s0" "$s1" "$TICKS" "$threads" "$SETTLE_SECS" <<'EOF'
import sys
run, rmin, rmax, hwm, t0, t1, s0, s1, ticks, threads, settle = sys.argv[1:]
cpu = (float(t1) - float(t0)) / float(ticks)
wall = float(s1) - float(s0)
print(f"run {run}: idle `dondoc serve` (sample plan imported, no channel), sampled {wall:.1f} s after {settle} s settling")
print(f"  VmRSS {int(rmin)/1024:.1f}-{int(rmax)/1024:.1f} MB, VmHWM {int(hwm)/1024:.1f} MB (target < 30 MB), {threads} threads")
print(f"  CPU {cpu:.2f} s over {wall:.1f} s = {100*cpu/wall:.2f} % of one core (resolution 1/{ticks} s)")
EOF
    kill -TERM "$PID"
    set +e
    wait "$PID"
    code=$?
    set -e
    PID=""
    echo "  SIGTERM: exit status $code"
done
