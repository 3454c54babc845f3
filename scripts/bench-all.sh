#!/usr/bin/env bash
# Every benchmark of docs/benchmarks.md in one sitting, so that all figures share one
# machine state. Output goes to the terminal and to target/bench-report.txt (with the
# date, the commit and the machine's core count at the top).
#
# Builds first (one cargo build at a time), then runs, in order: append on SQLite (on the
# disk, then in memory), PostgreSQL and the EventStoreDB peer; rebuild from SQLite and
# PostgreSQL; the planner
# and classification; the API under load; the idle daemon; the notification path beside
# Prometheus Alertmanager (scripts/bench-alertmanager.sh, which runs our dispatch bench in
# the same sitting); the shipped binary's size (scripts/release.sh).
#
# Needs what scripts/test.sh installs (PostgreSQL binaries); bench-alertmanager.sh
# installs Debian's prometheus-alertmanager if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
report=target/bench-report.txt
{
  echo "dondoc benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores"
} > "$report"
run() { # title, command...
  local title=$1
  shift
  echo "== $title: $*" | tee -a "$report"
  local started=$SECONDS
  "$@" 2>&1 | grep -v -E '^\s*(Compiling|Downloaded|Downloading|Finished|Running|Benchmarking .*(Warming|Collecting|Analyzing))' | tee -a "$report"
  echo "   ($((SECONDS - started)) s)" | tee -a "$report"
}
cargo bench --workspace --no-run 2>&1 | tail -1
cargo build --release -p dondoc --bin dondoc 2>&1 | tail -1

run "append, embedded SQLite" cargo bench -p dondoc-store --bench append
if [ -d /dev/shm ]; then
  # The same on a file system in memory: no fsync wait, so the pipeline's own processor
  # time shows (docs/benchmarks.md, "What limits the append").
  run "append, embedded SQLite in memory" env DONDOC_BENCH_DIR=/dev/shm cargo bench -p dondoc-store --bench append
fi
run "append, PostgreSQL" env DONDOC_BENCH_EVENTS=2000 cargo bench -p dondoc-store --bench append_postgres
run "append, EventStoreDB peer" cargo bench -p dondoc-store --bench append_esdb
run "rebuild, embedded SQLite" cargo bench -p dondoc-projections --bench rebuild
run "rebuild, PostgreSQL" cargo bench -p dondoc-projections --bench rebuild_postgres
run "planner and classification" cargo bench -p dondoc-core --bench classify
run "API load" cargo bench -p dondoc-web --bench api_load
run "idle daemon" env SAMPLE_SECS=30 bash scripts/bench-idle.sh
run "notification path beside Alertmanager" bash scripts/bench-alertmanager.sh
run "shipped binary" bash scripts/release.sh
echo "report: $report"
