#!/usr/bin/env bash
# TaskQ vs Celery on one private redis-server, in one run.
#
#   Benchmarks/run.sh                 # full run (N=20000, 3 repeats), ≈ 6–10 minutes
#   Benchmarks/run.sh --quick         # smoke run, ≈ 1 minute
#   Benchmarks/run.sh -n 50000 --out /tmp/bench.md
#   Benchmarks/run.sh --only drain    # some phases only: drain,enqueue,roundtrip,cpu,io,scale
#
# Installs what is missing (apt packages through scripts/install-deps, Celery in
# .venv), builds TaskQ in release mode with the Swift runtime linked statically, as
# the Dockerfile does, in .build-release (set TASKQ_BENCH_SKIP_BUILD=1
# to reuse it), starts a private redis-server, runs Benchmarks/bench.py with the
# given arguments (see `bench.py --help`) and stops the server.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

scripts/install-deps

# Celery in the project venv; only adds packages, never removes any.
if [[ ! -x .venv/bin/python ]]; then
    echo "run.sh: creating .venv"
    python3 -m venv .venv
fi
if ! .venv/bin/python -c 'import celery, kombu, redis, packaging, gevent, sys; sys.exit(celery.__version__ != "5.7.0")' 2>/dev/null; then
    echo "run.sh: installing celery[redis]==5.7.0 and gevent into .venv"
    # kombu 5.7.0 imports `packaging` without declaring it; gevent is the I/O phase's Celery pool.
    .venv/bin/pip install -q "celery[redis]==5.7.0" "kombu==5.7.0" "packaging>=23" gevent
fi

scratch=${TASKQ_BENCH_SCRATCH:-$root/.build-release}
if [[ "${TASKQ_BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    echo "run.sh: building release in $scratch"
    for product in taskq taskq-worker tasks; do
        nice -n 10 swift build -c release --static-swift-stdlib --scratch-path "$scratch" --product "$product"
    done
fi
bin=$(swift build -c release --static-swift-stdlib --scratch-path "$scratch" --show-bin-path)
export TASKQ_BIN="$bin/taskq" TASKS_BIN="$bin/tasks"

# shellcheck source=../scripts/start-redis
source scripts/start-redis
taskq_start_redis
trap taskq_stop_redis EXIT
echo "run.sh: redis-server $TASKQ_REDIS_PID at $TASKQ_REDIS_URL"

.venv/bin/python Benchmarks/bench.py "$@"
