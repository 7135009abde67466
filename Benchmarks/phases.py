"""The enqueue, round-trip and CPU-bound phases of the benchmark (see bench.py)."""

import time


def run_enqueue(bench):
    n = bench.options.n
    import celery_app  # noqa: E402  (needs TASKQ_REDIS_URL, set above)
    for run in range(bench.options.repeat):
        bench.redis.flushdb()
        rate = bench.taskq_bench("single", "-n", str(n))["per_second"]
        bench.record("enqueue.taskq single", rate)
        bench.progress(f"enqueue taskq one at a time     run {run + 1}: {rate:9.0f}/s")
        bench.redis.flushdb()
        celery_app.add.delay(0, 0)  # connect before timing
        cn = max(bench.options.celery_n, 1000)
        start = time.perf_counter()
        for i in range(cn):
            celery_app.add.delay(i, i)
        rate = cn / (time.perf_counter() - start)
        bench.record("enqueue.celery delay", rate)
        bench.progress(f"enqueue celery delay()          run {run + 1}: {rate:9.0f}/s")
        for size in (1000, n):
            bench.redis.flushdb()
            rate = bench.taskq_bench("batch", "-n", str(n), "--batch-size", str(size))["per_second"]
            bench.record(f"enqueue.taskq batch {size}", rate)
            bench.progress(f"enqueue taskq sendBatch ×{size:<6d} run {run + 1}: {rate:9.0f}/s")
    bench.redis.flushdb()

def run_roundtrip(bench):
    count = bench.options.roundtrips
    import celery_app  # noqa: E402
    bench.redis.flushdb()
    worker = bench.start_taskq(["-c", "2"])
    try:
        for run in range(bench.options.repeat):
            report = bench.taskq_bench("roundtrip", "-n", str(count), "--warmup", "50")
            for q in ("p50", "p90", "p99"):
                bench.record(f"rtt.taskq.{q}", report[f"{q}_ms"])
            bench.progress(f"round trip taskq -c 2 ({count}) run {run + 1}: p50 {report['p50_ms']:.3f} ms, "
                          f"p90 {report['p90_ms']:.3f} ms, p99 {report['p99_ms']:.3f} ms")
    finally:
        worker.stop()
    bench.redis.flushdb()
    worker = bench.start_celery(["--pool=solo"])
    try:
        for i in range(50):
            celery_app.add.delay(i, i).get(timeout=30)
        for run in range(bench.options.repeat):
            latencies = []
            for i in range(count):
                start = time.perf_counter()
                result = celery_app.add.delay(i, i)
                value = result.get(timeout=30)
                latencies.append((time.perf_counter() - start) * 1000)
                assert value == 2 * i
            latencies.sort()
            pick = lambda q: latencies[min(len(latencies) - 1, max(0, int(-(-q * len(latencies) // 1)) - 1))]
            for name, q in (("p50", 0.50), ("p90", 0.90), ("p99", 0.99)):
                bench.record(f"rtt.celery.{name}", pick(q))
            bench.progress(f"round trip celery solo ({count}) run {run + 1}: p50 {pick(0.5):.3f} ms, "
                          f"p90 {pick(0.9):.3f} ms, p99 {pick(0.99):.3f} ms")
    finally:
        worker.stop()

def run_cpu(bench):
    count, seconds = bench.options.cpu_tasks, 0.05
    for run in range(bench.options.repeat):
        for c in ("1", "2"):
            bench.redis.flushdb()
            prefix = f"spin{run}c{c}"
            bench.fill(prefix, count, task="tasks.spin", args=[seconds])
            worker = bench.start_taskq(["-c", c, "--without-events"])
            try:
                t_first, t_done, _ = bench.wait_drained(worker, prefix, count, count, bench.options.timeout)
            finally:
                worker.stop()
            elapsed = t_done - t_first
            bench.record(f"cpu.taskq -c {c}", elapsed)
            bench.progress(f"cpu-bound {count}×{seconds * 1000:.0f} ms taskq -c {c} run {run + 1}: {elapsed:.2f} s "
                          f"(ideal {count * seconds / int(c):.2f} s)")
        bench.record("cpu.speedup", bench.results["cpu.taskq -c 1"][-1] / bench.results["cpu.taskq -c 2"][-1])
