"""The scale phase of the benchmark (`run.sh --only scale`): costs that must not grow with the work.

1. Queue depth: the default worker (`-c 2`) drains a queue of 10,000 `tasks.add`, then the
   first 100,000 of a queue of 1,000,000 (so at least 900,000 stay queued while it is
   measured); the rates should be within 10 %. Redis memory per queued message is the
   growth of `used_memory` over the fill, divided by the messages.
2. History size: 1,000,000 finished tasks written into the monitor's history as workers
   record them (monitor/bench.py `fill`), then `taskq monitor` answers the listing and its
   state, name and worker filters; p50 and p95 of 100 requests each, and its RSS. Redis
   memory per history record is measured the same way.
"""

from __future__ import annotations

import importlib.util
import statistics
import subprocess
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Benchmarks/monitor/bench.py, loaded under its own name (Benchmarks/bench.py is another module).
_spec = importlib.util.spec_from_file_location("monitor_bench", HERE / "monitor" / "bench.py")
monitor_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(monitor_bench)

SMALL, LARGE, MEASURED = 10_000, 1_000_000, 100_000
HISTORY = 1_000_000
REQUESTS = 100
ROUTES = [
    ("listing", "/api/tasks?limit=100"),
    ("state filter", "/api/tasks?state=FAILURE&limit=100"),
    ("name filter", "/api/tasks?taskname=tasks.fail&limit=100"),
    ("worker filter", f"/api/tasks?workername={monitor_bench.WORKER.replace('@', '%40')}&limit=100"),
]


def phases():
    return 3 + len(ROUTES)


def used_memory(bench):
    return bench.redis.info("memory")["used_memory"]


def drain_rate(bench, queued, measured, label):
    bench.redis.flushdb()
    prefix = f"scale{queued}"
    before = used_memory(bench)
    bench.fill(prefix, queued)
    per_message = (used_memory(bench) - before) / queued
    worker = bench.start_taskq(["-c", "2"])
    try:
        t_first, t_done, _ = bench.wait_drained(worker, prefix, measured, queued, bench.options.timeout)
    finally:
        worker.stop()
    rate = measured / (t_done - t_first)
    bench.record(f"scale.drain.{label}", rate)
    bench.record(f"scale.bytes_per_message.{label}", per_message)
    left = bench.redis.llen("celery")
    bench.progress(f"scale: drain {measured:,} of a queue of {queued:,} at defaults: {rate:,.0f} tasks/s "
                   f"({left:,} still queued after; {per_message:,.0f} bytes of Redis per queued message)")
    bench.redis.flushdb()


def start_monitor(bench):
    port = free_port()
    log = open("/tmp/taskq-scale-monitor.log", "w")
    process = subprocess.Popen([bench.taskq, "monitor", "--port", str(port), "--broker", bench.url], env=bench.env,
                               stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if monitor_bench.timed_get(f"http://127.0.0.1:{port}", "/healthcheck")[1] == 200:
                return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("bench: the monitor did not start (see /tmp/taskq-scale-monitor.log)")


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def history(bench):
    bench.redis.flushdb()
    before = used_memory(bench)
    seconds = monitor_bench.fill(bench.redis, HISTORY)
    per_record = (used_memory(bench) - before) / HISTORY
    bench.record("scale.bytes_per_record", per_record)
    bench.progress(f"scale: history filled with {HISTORY:,} tasks in {seconds:.0f} s, {per_record:,.0f} bytes of Redis per record")
    process, port = start_monitor(bench)
    base = f"http://127.0.0.1:{port}"
    try:
        for label, path in ROUTES:
            for _ in range(5):
                monitor_bench.timed_get(base, path)
            samples = sorted(monitor_bench.timed_get(base, path)[0] for _ in range(REQUESTS))
            p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
            bench.record(f"scale.p50.{label}", statistics.median(samples))
            bench.record(f"scale.p95.{label}", p95)
            bench.progress(f"scale: monitor {label} `{path}` at {HISTORY:,} tasks: p50 {statistics.median(samples):.1f} ms, "
                           f"p95 {p95:.1f} ms")
        rss = monitor_bench.memory(process.pid)
        bench.record("scale.monitor_rss", rss.get("VmRSS", 0) / 1024)
        bench.record("scale.monitor_hwm", rss.get("VmHWM", 0) / 1024)
    finally:
        process.terminate()
        process.wait(timeout=10)
    bench.redis.flushdb()


def run(bench):
    drain_rate(bench, SMALL, SMALL, "small")
    drain_rate(bench, LARGE, MEASURED, "large")
    history(bench)


def report(bench):
    fmt = bench.fmt
    small, large = bench.med("scale.drain.small"), bench.med("scale.drain.large")
    within = abs(large - small) / small if small and large else None
    lines = ["", "## Scale: queue depth and history size (defaults)", "",
             "| Figure | Measured | Target |", "|---|---|---|",
             f"| Drain rate, queue of {SMALL:,}, tasks/s | {fmt('scale.drain.small')} | |",
             f"| Drain rate, first {MEASURED:,} of a queue of {LARGE:,}, tasks/s | {fmt('scale.drain.large')} | "
             f"within 10 % of the {SMALL:,} rate: {'–' if within is None else f'{within:.0%} apart, ' + ('met' if within <= 0.10 else 'missed')} |",
             f"| Redis memory per queued message (tasks.add), bytes | {fmt('scale.bytes_per_message.large')} | |",
             f"| Redis memory per history record (with its four index entries), bytes | {fmt('scale.bytes_per_record')} | |"]
    for label, path in ROUTES:
        p95 = bench.med(f"scale.p95.{label}")
        lines.append(f"| Monitor `GET {path}` at {HISTORY:,} tasks, p50 / p95 ms | {fmt(f'scale.p50.{label}', 1)} / "
                     f"{fmt(f'scale.p95.{label}', 1)} | p95 ≤ 20 ms: {'–' if p95 is None else ('met' if p95 <= 20 else 'missed')} |")
    rss = bench.med("scale.monitor_rss")
    lines.append(f"| Monitor RSS after those requests, MiB (peak) | {fmt('scale.monitor_rss', 1)} ({fmt('scale.monitor_hwm', 1)}) | "
                 f"< 60 MB: {'–' if rss is None else ('met' if rss * 2**20 < 60e6 else 'missed')} |")
    lines += ["", f"One new connection per request, {REQUESTS} requests per route after 5 warm-up; history records "
              "written as the worker writes them (Benchmarks/monitor/bench.py `fill`).", ""]
    return "\n".join(lines)
