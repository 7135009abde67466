"""Helper for Benchmarks/monitor/run.sh.

populate: writes task history exactly as a worker does (Worker/Events/TaskHistory.swift,
          Sources/TaskQ/Protocol/HistoryKeys.swift, TaskHistoryJSON.swift): a `taskq:task:<id>`
          JSON string per task (MSET), the `taskq:tasks` / state / name / worker sorted-set
          indexes all scored by received time, `taskq:task-names`, `taskq:task-workers`, and one
          worker status in `taskq:workers`. Pipelined with redis-py; timestamps end now.
measure:  times page and API requests against a running monitor and reads its memory from /proc.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import time
import uuid
from urllib.parse import urlsplit

WORKER = "bench@localhost"
TRACEBACK = ('Traceback (most recent call last):\n  File "tasks.swift", line 23, in tasks.fail\n'
             'tasks.DemoError: boom {n}\n')


def record(index: int, ts: float) -> tuple[str, str, dict[str, str]]:
    """One finished task: 90% tasks.add SUCCESS, 8% tasks.fail FAILURE, 2% tasks.echo REVOKED."""
    task_id = str(uuid.UUID(int=index + 1, version=4))
    kind = index % 50
    fields = {
        "uuid": task_id, "worker": WORKER, "timestamp": repr(ts + 0.003), "received": repr(ts),
        "retries": "0", "root_id": task_id, "parent_id": "", "eta": "", "expires": "",
        "routing_key": "celery", "queue": "celery", "started": repr(ts + 0.001),
    }
    if kind < 45:
        name, state = "tasks.add", "SUCCESS"
        fields.update(args=f"({index}, 1)", kwargs="{}", args_json=f"[{index},1]", kwargs_json="{}",
                      succeeded=repr(ts + 0.003), result=str(index + 1), runtime="0.0021")
    elif kind < 49:
        name, state = "tasks.fail", "FAILURE"
        fields.update(args=f"('boom {index}',)", kwargs="{}", args_json=f'["boom {index}"]', kwargs_json="{}",
                      failed=repr(ts + 0.003), exception=f"DemoError('boom {index}')",
                      traceback=TRACEBACK.format(n=index), runtime="0.0019")
    else:
        name, state = "tasks.echo", "REVOKED"
        fields.update(args="()", kwargs=f"{{'n': {index}}}", args_json="[]", kwargs_json=f'{{"n":{index}}}',
                      revoked=repr(ts + 0.003), exception="revoked")
    fields.update(name=name, state=state)
    return task_id, state, fields


def populate(arguments) -> None:
    import redis

    client = redis.Redis.from_url(arguments.redis)
    client.flushdb()
    fill(client, arguments.tasks)


def fill(client, count: int, batch: int = 5_000) -> float:
    """Writes `count` finished tasks as workers record them; returns the seconds it took."""
    now = time.time()
    started = time.monotonic()
    for first in range(0, count, batch):
        records, everything, by_state, by_name = {}, {}, {}, {}
        for index in range(first, min(first + batch, count)):
            ts = now - (count - index) * 0.01  # one task every 10 ms, the newest just now
            task_id, state, fields = record(index, ts)
            records[f"taskq:task:{task_id}"] = json.dumps(fields, separators=(",", ":"))
            everything[task_id] = ts
            by_state.setdefault(state, {})[task_id] = ts
            by_name.setdefault(fields["name"], {})[task_id] = ts
        pipe = client.pipeline(transaction=False)
        pipe.mset(records)
        pipe.zadd("taskq:tasks", everything)
        pipe.zadd(f"taskq:tasks:worker:{WORKER}", everything)
        for state, members in by_state.items():
            pipe.zadd(f"taskq:tasks:state:{state}", members)
        for name, members in by_name.items():
            pipe.zadd(f"taskq:tasks:name:{name}", members)
        pipe.execute()
    client.sadd("taskq:task-names", "tasks.add", "tasks.fail", "tasks.echo")
    client.sadd("taskq:task-workers", WORKER)
    status = {
        "hostname": WORKER, "timestamp": time.time() + 3600, "online": True, "pid": 4242, "concurrency": 2,
        "freq": 2.0, "active": 0, "processed": count, "loadavg": [0.5, 0.4, 0.3], "sw_ident": "taskq",
        "sw_ver": "bench", "sw_sys": "Linux", "queues": ["celery"], "started": now - count * 0.01,
        "registered": [{"name": n, "listing": n} for n in ("tasks.add", "tasks.echo", "tasks.fail")],
        "active_tasks": [], "children": [4243, 4244], "stats": {"total": {"tasks.add": count * 9 // 10}},
        "succeeded": count * 9 // 10, "failed": count * 8 // 100, "retried": 0,
    }
    client.hset("taskq:workers", WORKER, json.dumps(status))
    seconds = time.monotonic() - started
    print(f"wrote {count} tasks in {seconds:.1f} s; redis used_memory {client.info('memory')['used_memory_human']}", file=sys.stderr)
    return seconds


def timed_get(base: str, path: str) -> tuple[float, int, int]:
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    started = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed * 1000, response.status, len(body)


def memory(pid: int) -> dict[str, int]:
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])  # kB
    return values


def measure(arguments) -> None:
    endpoints = [
        "/tasks",
        "/api/tasks?limit=100",
        "/tasks?state=FAILURE",
        "/api/tasks?state=FAILURE&limit=100",
        "/api/tasks?state=FAILURE&taskname=tasks.fail&limit=100",
        "/workers",
        # Not a target: a search reads the newest 20,000 task hashes (X-TaskQ-Scan-Limit).
        "/api/tasks?search=boom+99995&limit=100",
    ]
    rows = []
    mem = {}
    for path in endpoints:
        if "search=" in path:
            mem = memory(arguments.pid)  # after the targeted requests, before the scan
        for _ in range(3):  # warm up
            timed_get(arguments.base, path)
        samples, statuses, size = [], set(), 0
        for _ in range(arguments.requests):
            elapsed, status, size = timed_get(arguments.base, path)
            samples.append(elapsed)
            statuses.add(status)
        samples.sort()
        p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
        rows.append((path, statistics.median(samples), p95, ",".join(map(str, sorted(statuses))), size))
    after_scan = memory(arguments.pid)
    print(f"\nMonitor with {arguments.tasks:,} recorded tasks, {arguments.requests} requests per endpoint "
          f"(after 3 warm-up), one new connection per request.\n")
    print("| request | median ms | p95 ms | status | bytes | target |")
    print("|---|---:|---:|---|---:|---|")
    for path, median, p95, statuses, size in rows:
        verdict = "ok" if p95 < 200 else "OVER 200 ms"
        if "search=" in path:
            verdict = f"bounded scan ({verdict})"
        print(f"| `GET {path}` | {median:.1f} | {p95:.1f} | {statuses} | {size:,} | {verdict} |")
    rss, hwm = mem.get("VmRSS", 0) / 1024, mem.get("VmHWM", 0) / 1024
    print(f"| monitor VmRSS after the requests above | {rss:.1f} MB | | | | {'ok' if rss < 100 else 'OVER 100 MB'} |")
    print(f"| monitor VmHWM (peak RSS) before the search | {hwm:.1f} MB | | | | {'ok' if hwm < 100 else 'OVER 100 MB'} |")
    rss, hwm = after_scan.get("VmRSS", 0) / 1024, after_scan.get("VmHWM", 0) / 1024
    print(f"| monitor VmRSS / VmHWM after the searches too | {rss:.1f} / {hwm:.1f} MB | | | | {'ok' if hwm < 100 else 'OVER 100 MB'} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    fill = commands.add_parser("populate")
    fill.add_argument("--redis", required=True)
    fill.add_argument("--tasks", type=int, default=100_000)
    run = commands.add_parser("measure")
    run.add_argument("--base", required=True)
    run.add_argument("--pid", type=int, required=True)
    run.add_argument("--requests", type=int, default=50)
    run.add_argument("--tasks", type=int, default=100_000)
    arguments = parser.parse_args()
    populate(arguments) if arguments.command == "populate" else measure(arguments)


if __name__ == "__main__":
    main()
