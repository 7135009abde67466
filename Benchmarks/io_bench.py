"""The I/O phase of the benchmark (`run.sh --only io`): many sleeping tasks at once.

TaskQ's async pool (`-P async -c C`, its default two processes; with task events and
without) against Celery's gevent
pool at the same concurrency (`-P gevent -c C`), and Celery prefork -c 2 for scale, on
N × tasks.sleep(s) queued before the worker starts: wall time from the first claim to the
last result, tasks/s, and the worker tree's peak RSS.
"""

from __future__ import annotations

import json
import time

WORKLOADS = [(1000, 0.1), (10_000, 0.05)]
CONCURRENCIES = [500, 1000]


def drain(bench, system, flags, count, seconds, label):
    bench.redis.flushdb()
    prefix = f"io-{int(time.monotonic() * 1000)}"
    bench.fill(prefix, count, task="tasks.sleep", args=[seconds])
    worker = bench.start_taskq(flags) if system == "taskq" else bench.start_celery(flags)
    try:
        t_first, t_done, _ = bench.wait_drained(worker, prefix, count, count, bench.options.timeout)
    finally:
        worker.stop()
    records = [json.loads(raw) for raw in bench.redis.mget([f"celery-task-meta-{prefix}-{i}" for i in range(count)]) if raw]
    ok = sum(1 for record in records if record.get("status") == "SUCCESS" and record.get("result") == seconds)
    if ok != count:
        raise SystemExit(f"bench: {label}: {count - ok} of {count} sleeps did not succeed")
    wall = t_done - t_first
    bench.record(f"io.wall.{label}", wall)
    bench.record(f"io.rate.{label}", count / wall)
    bench.record(f"io.rss.{label}", worker.peak_rss_kib / 1024)
    bench.progress(f"io {label:44s} {wall:7.2f} s  {count / wall:8.0f} tasks/s  peak RSS {worker.peak_rss_kib / 1024:6.1f} MiB")


def configs(count, seconds):
    for concurrency in CONCURRENCIES:
        yield "taskq", ["-P", "async", "-c", str(concurrency)], f"{count}×sleep({seconds}) taskq async -c {concurrency}", concurrency
        yield ("taskq", ["-P", "async", "-c", str(concurrency), "--without-events"],
               f"{count}×sleep({seconds}) taskq async -c {concurrency} --without-events", concurrency)
        yield "celery", ["--pool=gevent", "-c", str(concurrency)], f"{count}×sleep({seconds}) celery gevent -c {concurrency}", concurrency
    if count * seconds / 2 <= 60:
        yield "celery", ["--pool=prefork", "-c", "2"], f"{count}×sleep({seconds}) celery prefork -c 2", 2


def phases():
    return sum(len(list(configs(count, seconds))) for count, seconds in WORKLOADS)


def run(bench):
    for count, seconds in WORKLOADS:
        for system, flags, label, _ in configs(count, seconds):
            drain(bench, system, flags, count, seconds, label)


def report(bench):
    lines = ["", "## I/O-bound tasks: many at once", "",
             "N × tasks.sleep(s) queued before the worker starts; wall time from the first claim to the last result. "
             "Ideal = N × s / concurrency.", "",
             "| Workload | Worker | Wall s | Ideal s | × ideal | Tasks/s | Worker tree peak RSS, MiB |",
             "|---|---|---|---|---|---|---|"]
    for count, seconds in WORKLOADS:
        for _, _, label, concurrency in configs(count, seconds):
            wall = bench.results.get(f"io.wall.{label}")
            if not wall:
                continue
            ideal = count * seconds / concurrency
            worker = label.split(") ", 1)[1]
            lines.append(f"| {count:,} × sleep({seconds}) | {worker} | {wall[-1]:.2f} | {ideal:.2f} | {wall[-1] / ideal:.2f} | "
                         f"{bench.results[f'io.rate.{label}'][-1]:,.0f} | {bench.results[f'io.rss.{label}'][-1]:.1f} |")
    return "\n".join(lines) + "\n"
