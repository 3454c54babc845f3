#!/usr/bin/env bash
# Prometheus Alertmanager on the same workload as our HTTP dispatch benchmark, measured in
# the same sitting, so that the two sets of figures come from one machine state.
#
# What it measures (Alertmanager side):
#   N alerts (default 10 000, env BENCH_ALERTS) with distinct alertnames, routed with
#   group_by ['alertname'] and group_wait 0s, so each alert is its own aggregation group
#   and becomes one webhook notification at once. The alerts are POSTed to
#   /api/v2/alerts in batches (BENCH_BATCH, default 500) and delivered to a loopback
#   webhook receiver (python3 ThreadingHTTPServer, answers 200 at once) that counts the
#   notifications and the alerts in them.
#   - time: from the first POST to the N-th notification received by the receiver;
#   - notifications/s: N / that time;
#   - peak RSS: VmHWM of the alertmanager process at the end (startup included);
#   - idle RSS: its VmRSS once ready, before any alert is posted;
#   - CPU: utime + stime of the alertmanager process spent during the load.
#   The receiver also checks that every notification held exactly one alert and that no
#   alertname came twice. After the N-th notification it waits BENCH_SETTLE seconds
#   (default 2) for stray extra notifications before reading the figures.
#
# Then (unless BENCH_SKIP_DONDOC=1) our side:
#   DONDOC_BENCH_ONLY=http cargo bench -p dondoc-app --bench dispatch
#   (10 000 notices, one message per job, POSTed to a loopback sink; each scenario's peak
#   RSS is its own child process's VmHWM), and its figure lines are printed below.
#
# How to read the output: the "== Alertmanager" block gives one line of figures; the
# "== dondoc" block repeats the lines of our bench that hold figures ("run ..." lines and
# the "summary" ranges). Compare Alertmanager's time and peak RSS with the `dispatch`
# and `dispatch+service` rows. Note the receivers differ: Alertmanager's is a Python
# server in another process (which also spends CPU on this 2-core machine), ours is an
# in-process Rust sink; the receiver's own CPU time is printed so its share can be judged.
#
# Environment: BENCH_ALERTS (default 10000), BENCH_BATCH (default 500), BENCH_SETTLE
# (default 2), BENCH_TIMEOUT (seconds without a new notification before giving up,
# default 60), BENCH_SKIP_DONDOC=1 (Alertmanager only), ALERTMANAGER_BIN (binary to use).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${BENCH_ALERTS:-10000}
BATCH=${BENCH_BATCH:-500}
SETTLE=${BENCH_SETTLE:-2}
STALL_TIMEOUT=${BENCH_TIMEOUT:-60}

# --- Alertmanager binary: Debian's package installs /usr/bin/prometheus-alertmanager ------
find_alertmanager() {
    if [[ -n "${ALERTMANAGER_BIN:-}" ]]; then
        echo "$ALERTMANAGER_BIN"
    elif command -v alertmanager >/dev/null 2>&1; then
        command -v alertmanager
    elif command -v prometheus-alertmanager >/dev/null 2>&1; then
        command -v prometheus-alertmanager
    elif [[ -x /usr/bin/prometheus-alertmanager ]]; then
        echo /usr/bin/prometheus-alertmanager
    fi
}
AM_BIN=$(find_alertmanager)
if [[ -z "$AM_BIN" ]]; then
    echo "installing Debian's prometheus-alertmanager ..." >&2
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    # The package's own systemd service is irrelevant: we run our own process below, on
    # free loopback ports, with its own storage and config.
    $SUDO apt-get update -qq >&2 || true
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq prometheus-alertmanager >&2
    AM_BIN=$(find_alertmanager)
fi
[[ -n "$AM_BIN" && -x "$AM_BIN" ]] || { echo "no alertmanager binary found" >&2; exit 1; }
AM_VERSION=$("$AM_BIN" --version 2>&1 | awk '/version/ { print $3; exit }')

# --- Temporary directory and cleanup ---------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-alertmanager.XXXXXX")
AM_PID=""
RX_PID=""
stop_pid() { # pid
    if [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; then
        kill -TERM "$1" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$1" 2>/dev/null || true
        wait "$1" 2>/dev/null || true
    fi
}
cleanup() {
    stop_pid "$AM_PID"
    stop_pid "$RX_PID"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=scripts/proc-lib.sh
source scripts/proc-lib.sh # (the script runs from the repository root)
TICKS=$(getconf CLK_TCK)

# --- Webhook receiver -------------------------------------------------------------------
# Counts notifications (POSTs) and the alerts in them; records the monotonic time of the
# first and of the N-th notification. GET /stats returns the counts as JSON.
cat >"$tmp/receiver.py" <<'EOF'
import json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, target = int(sys.argv[1]), int(sys.argv[2])
lock = threading.Lock()
stats = {"notifications": 0, "alerts": 0, "not_single": 0, "duplicate_names": 0,
         "bad": 0, "first_t": None, "nth_t": None, "last_t": None}
names = set()

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Alertmanager's client expects

    def log_message(self, *args):
        pass

    def reply(self, body=b"", ctype="text/plain"):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        now = time.monotonic()
        try:
            alerts = json.loads(body).get("alerts", [])
        except ValueError:
            alerts = None
        with lock:
            if alerts is None:
                stats["bad"] += 1
            else:
                stats["notifications"] += 1
                stats["alerts"] += len(alerts)
                if len(alerts) != 1:
                    stats["not_single"] += 1
                for a in alerts:
                    name = a.get("labels", {}).get("alertname")
                    if name in names:
                        stats["duplicate_names"] += 1
                    names.add(name)
                if stats["first_t"] is None:
                    stats["first_t"] = now
                if stats["notifications"] == target:
                    stats["nth_t"] = now
                stats["last_t"] = now
        self.reply()

    def do_GET(self):
        with lock:
            body = json.dumps(stats).encode()
        self.reply(body, "application/json")

class Server(ThreadingHTTPServer):
    request_queue_size = 1024
    daemon_threads = True

Server(("127.0.0.1", port), Handler).serve_forever()
EOF

# --- Load driver ------------------------------------------------------------------------
# POSTs N alerts in batches, then polls the receiver until N notifications arrived or none
# came for STALL_TIMEOUT seconds. Prints one JSON line with the timings.
cat >"$tmp/drive.py" <<'EOF'
import datetime, json, sys, time, urllib.request

am, rx, n, batch, stall = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])

def stats():
    with urllib.request.urlopen(rx + "/stats", timeout=10) as r:
        return json.load(r)

starts = datetime.datetime.now(datetime.timezone.utc).isoformat()
alerts = [{"labels": {"alertname": f"bench-{i:05d}", "severity": "warning", "job": "bench"},
           "annotations": {"summary": f"bench alert {i}"},
           "startsAt": starts} for i in range(n)]
t0 = time.monotonic()
for i in range(0, n, batch):
    req = urllib.request.Request(am + "/api/v2/alerts", data=json.dumps(alerts[i:i + batch]).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=60) as r:
        if r.status != 200:
            sys.exit(f"POST /api/v2/alerts answered {r.status}")
posted = time.monotonic()

seen, last_change = -1, time.monotonic()
while True:
    s = stats()
    if s["notifications"] >= n:
        break
    if s["notifications"] != seen:
        seen, last_change = s["notifications"], time.monotonic()
    elif time.monotonic() - last_change > stall:
        print(json.dumps({"timeout": True, "t0": t0, "posted": posted, **s}))
        sys.exit(3)
    time.sleep(0.05)
print(json.dumps({"timeout": False, "t0": t0, "posted": posted, **s}))
EOF

# --- Start the receiver and Alertmanager ------------------------------------------------
RX_PORT=$(free_port)
python3 "$tmp/receiver.py" "$RX_PORT" "$N" >"$tmp/receiver.log" 2>&1 &
RX_PID=$!
AM_PORT=$(free_port)
while [[ "$AM_PORT" == "$RX_PORT" ]]; do AM_PORT=$(free_port); done

mkdir -p "$tmp/am-data"
cat >"$tmp/alertmanager.yml" <<EOF
# Each alert its own group (distinct alertname), notified at once, never repeated in the run.
route:
  receiver: bench
  group_by: ['alertname']
  group_wait: 0s
  group_interval: 1m
  repeat_interval: 24h
receivers:
  - name: bench
    webhook_configs:
      - url: 'http://127.0.0.1:$RX_PORT/'
        send_resolved: false
EOF

# --cluster.listen-address= (empty) disables clustering (no gossip port, no peer wait).
"$AM_BIN" \
    --config.file="$tmp/alertmanager.yml" \
    --storage.path="$tmp/am-data" \
    --web.listen-address="127.0.0.1:$AM_PORT" \
    --cluster.listen-address= \
    --log.level=warn \
    >"$tmp/alertmanager.log" 2>&1 &
AM_PID=$!

# Wait (at most 60 s) for both to answer.
ready=""
for _ in $(seq 1 600); do
    kill -0 "$AM_PID" 2>/dev/null || { echo "alertmanager exited:" >&2; cat "$tmp/alertmanager.log" >&2; exit 1; }
    kill -0 "$RX_PID" 2>/dev/null || { echo "receiver exited:" >&2; cat "$tmp/receiver.log" >&2; exit 1; }
    if curl -fsS "http://127.0.0.1:$AM_PORT/-/ready" >/dev/null 2>&1 \
        && curl -fsS "http://127.0.0.1:$RX_PORT/stats" >/dev/null 2>&1; then
        ready=1
        break
    fi
    sleep 0.1
done
[[ -n "$ready" ]] || { echo "alertmanager or receiver not ready after 60 s" >&2; cat "$tmp/alertmanager.log" >&2; exit 1; }
sleep 1 # let startup settle before the idle reading

idle_kb=$(status_kb VmRSS "$AM_PID")
cpu0=$(cpu_ticks "$AM_PID")
rx_cpu0=$(cpu_ticks "$RX_PID")

# --- Load -------------------------------------------------------------------------------
echo "alertmanager $AM_VERSION ($AM_BIN): posting $N alerts in batches of $BATCH ..." >&2
set +e
python3 "$tmp/drive.py" "http://127.0.0.1:$AM_PORT" "http://127.0.0.1:$RX_PORT" "$N" "$BATCH" "$STALL_TIMEOUT" >"$tmp/drive.json"
drive_rc=$?
set -e
if [[ $drive_rc -eq 0 ]]; then
    sleep "$SETTLE" # give stray (duplicate) notifications a chance to show up
fi
cpu1=$(cpu_ticks "$AM_PID")
rx_cpu1=$(cpu_ticks "$RX_PID")
hwm_kb=$(status_kb VmHWM "$AM_PID")
rss_kb=$(status_kb VmRSS "$AM_PID")
threads=$(status_kb Threads "$AM_PID")
final=$(curl -fsS "http://127.0.0.1:$RX_PORT/stats")

echo
echo "== Alertmanager"
set +e
python3 - "$tmp/drive.json" "$final" "$N" "$AM_VERSION" "$idle_kb" "$hwm_kb" "$rss_kb" "$cpu0" "$cpu1" \
    "$rx_cpu0" "$rx_cpu1" "$TICKS" "$threads" "$drive_rc" "$SETTLE" "$STALL_TIMEOUT" >"$tmp/am-result.txt" <<'EOF'
import json, sys
(path, final, n, version, idle_kb, hwm_kb, rss_kb, cpu0, cpu1, rx0, rx1, ticks, threads, rc,
 settle, stall) = sys.argv[1:]
n, ticks = int(n), float(ticks)
try:
    d = json.load(open(path))
except ValueError:
    print(f"  load driver failed (exit {rc}), no timings")
    sys.exit(1)
f = json.loads(final)
cpu = (float(cpu1) - float(cpu0)) / ticks
rx_cpu = (float(rx1) - float(rx0)) / ticks
mb = lambda kb: int(kb) / 1024
if d["timeout"]:
    print(f"  TIMEOUT: no new notification for {stall} s; {f['notifications']} of {n} notifications "
          f"arrived ({f['alerts']} alerts)")
    if f["last_t"] is not None:
        print(f"  last one {f['last_t'] - d['t0']:.2f} s after the first POST")
    print(f"  peak RSS {mb(hwm_kb):.1f} MB (idle {mb(idle_kb):.1f} MB), CPU {cpu:.2f} s")
    sys.exit(1)
secs = f["nth_t"] - d["t0"]
print(f"alertmanager {version}: {n} single-alert groups -> loopback webhook in {secs:.2f} s "
      f"({n / secs:.0f} notifications/s), peak RSS {mb(hwm_kb):.1f} MB (idle {mb(idle_kb):.1f} MB)")
print(f"  POSTs to /api/v2/alerts took {d['posted'] - d['t0']:.2f} s; first notification at "
      f"{f['first_t'] - d['t0']:.2f} s; RSS at the end {mb(rss_kb):.1f} MB, {threads} threads")
print(f"  CPU: alertmanager {cpu:.2f} s (utime+stime, posting to {settle} s after the last notification), "
      f"python receiver {rx_cpu:.2f} s")
ok = (f["notifications"] == n and f["alerts"] == n and f["not_single"] == 0
      and f["duplicate_names"] == 0 and f["bad"] == 0)
print(f"  receiver: {f['notifications']} notifications, {f['alerts']} alerts, "
      f"{f['not_single']} not single-alert, {f['duplicate_names']} repeated alertnames, "
      f"{f['bad']} unreadable -> {'OK' if ok else 'MISMATCH'}")
sys.exit(0 if ok else 2)
EOF
report_rc=$?
set -e
cat "$tmp/am-result.txt"
if [[ $drive_rc -ne 0 || $report_rc -ne 0 ]]; then
    echo "alertmanager log (last 10 lines):" >&2
    tail -n 10 "$tmp/alertmanager.log" >&2
    exit 1
fi

# Alertmanager is done: stop it so it does not share the machine with our benchmark.
stop_pid "$AM_PID"; AM_PID=""
stop_pid "$RX_PID"; RX_PID=""

# --- Our side, same sitting -------------------------------------------------------------
if [[ "${BENCH_SKIP_DONDOC:-0}" == 1 ]]; then
    echo
    echo "(BENCH_SKIP_DONDOC=1: dondoc's dispatch bench not run)"
    exit 0
fi
echo
echo "running: DONDOC_BENCH_ONLY=http cargo bench -p dondoc-app --bench dispatch" >&2
DONDOC_BENCH_ONLY=http cargo bench -p dondoc-app --bench dispatch 2>&1 | tee "$tmp/dondoc.txt"
echo
echo "== dondoc (DONDOC_BENCH_ONLY=http, same sitting)"
# The bench prints its figures as a "== (b) ..." header and indented "run N <mode>",
# "summary", "<mode> ... s, peak RSS" and "targets" lines (cargo's own status lines are
# indented too, hence the explicit patterns).
figures='^== \(|^   (reqwest|run [0-9]|summary|targets|(raw|dispatch[a-z+]*) )'
if grep -qE "$figures" "$tmp/dondoc.txt"; then
    grep -E "$figures" "$tmp/dondoc.txt"
else
    tail -n 30 "$tmp/dondoc.txt"
fi
echo
echo "== Alertmanager (repeated from above)"
cat "$tmp/am-result.txt"
