#!/usr/bin/env bash
# Monitor benchmark: 100,000 recorded tasks, then page and API latency and the monitor's memory.
#
#   nice -n 10 swift build -c release --product taskq     # or with --scratch-path
#   Benchmarks/monitor/run.sh                              # TASKQ_BIN_DIR=.build/release by default
#
# Env: TASKQ_BIN_DIR (folder with the release `taskq`), BENCH_TASKS (default 100000),
# BENCH_REQUESTS (per endpoint, default 50), PYTHON (default .venv/bin/python, needs redis-py:
# pip install -r Benchmarks/monitor/requirements.txt). Prints a markdown table; not a test.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN_DIR=${TASKQ_BIN_DIR:-$ROOT/.build/release}
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
TASKS=${BENCH_TASKS:-100000}
REQUESTS=${BENCH_REQUESTS:-50}
[[ -x "$BIN_DIR/taskq" ]] || { echo "bench: $BIN_DIR/taskq is missing; build it with: swift build -c release --product taskq" >&2; exit 1; }
"$PYTHON" -c 'import redis' 2>/dev/null || { echo "bench: $PYTHON cannot import redis; pip install -r Benchmarks/monitor/requirements.txt" >&2; exit 1; }

source scripts/start-redis
MONITOR_PID=
LOG=$(mktemp "${TMPDIR:-/tmp}/taskq-bench-monitor.XXXXXX")
cleanup() {
    if [[ -n "$MONITOR_PID" ]] && kill -0 "$MONITOR_PID" 2>/dev/null; then
        kill -TERM "$MONITOR_PID" 2>/dev/null || true
        wait "$MONITOR_PID" 2>/dev/null || true
    fi
    taskq_stop_redis
    rm -f "$LOG"
}
trap cleanup EXIT
taskq_start_redis
URL="${TASKQ_REDIS_URL%/0}/0"

echo "Writing $TASKS task records to $URL ..." >&2
"$PYTHON" Benchmarks/monitor/bench.py populate --redis "$URL" --tasks "$TASKS" >&2

PORT=$(_taskq_free_port)
"$BIN_DIR/taskq" monitor --port "$PORT" --broker "$URL" >"$LOG" 2>&1 &
MONITOR_PID=$!
for _ in $(seq 1 100); do
    grep -q "Monitor listening" "$LOG" && break
    kill -0 "$MONITOR_PID" 2>/dev/null || { echo "bench: the monitor exited:" >&2; cat "$LOG" >&2; exit 1; }
    sleep 0.1
done
grep -q "Monitor listening" "$LOG" || { echo "bench: the monitor did not start:" >&2; cat "$LOG" >&2; exit 1; }

"$PYTHON" Benchmarks/monitor/bench.py measure --base "http://127.0.0.1:$PORT" --pid "$MONITOR_PID" \
    --requests "$REQUESTS" --tasks "$TASKS"
