"""Scenarios 7 and 9: 1 MB payloads streamed through `tasks.echo`, and the long soak.

7. Memory: 10,000 (1,000 in --quick) `tasks.echo` calls with 1 MB kwargs, whose
   result is the same 1 MB, with `--max-memory-per-child` set so children are
   replaced. At most 16 are outstanding; each result key is read and deleted as
   it completes, so what Redis holds stays bounded. Checked: every task
   SUCCESS with its 1 MB back; the worker tree's peak RSS stays within
   concurrency x the child limit + 256 MiB; Redis `used_memory` stays within
   64 MiB + 8 MiB per outstanding task (a worker or monitor that keeps the
   payloads in Redis breaks it).
9. Soak: a steady rate of `tasks.record` for `--soak-minutes`; worker tree RSS,
   fd count and Redis `used_memory` sampled every 5 s; start (after the first
   minute), end and max are reported, and growth beyond 25 % + 16 MiB (RSS) or
   any steady fd growth fails the row.
"""

from __future__ import annotations

import json
import threading
import time

from harness import Config, Stage
from load import account, settle
from report import Row

CONCURRENCY = 2
OUTSTANDING = 16
CHILD_LIMIT_KIB = 25_000
MIB = 1024 * 1024


class Collector(threading.Thread):
    """Reads and deletes each result key as it appears; checks every result is SUCCESS with 1 MB back."""

    def __init__(self, client, sender):
        super().__init__(daemon=True)
        self.client, self.sender = client, sender
        self.pending: set[str] = set()
        self.seen = 0
        self.succeeded = 0
        self.bad: list[str] = []
        self.lock = threading.Lock()
        self.halt = threading.Event()

    def room(self) -> bool:
        with self.lock:
            self.pending.update(self.sender.sent[self.seen:])
            self.seen = len(self.sender.sent)
            return len(self.pending) < OUTSTANDING

    def run(self) -> None:
        while not self.halt.is_set():
            self.room()
            with self.lock:
                ids = list(self.pending)
            if ids:
                raws = self.client.mget([f"celery-task-meta-{i}" for i in ids])
                done = [(i, raw) for i, raw in zip(ids, raws) if raw is not None]
                for task_id, raw in done:
                    record = json.loads(raw)
                    blob = (record.get("result") or {}).get("blob") if isinstance(record.get("result"), dict) else None
                    if record.get("status") == "SUCCESS" and isinstance(blob, str) and len(blob) == MIB:
                        self.succeeded += 1
                    else:
                        self.bad.append(f"{task_id}: {record.get('status')} {str(record.get('result'))[:120]}")
                if done:
                    self.client.delete(*[f"celery-task-meta-{i}" for i, _ in done])
                    with self.lock:
                        self.pending.difference_update(i for i, _ in done)
            time.sleep(0.02)

    def stop(self) -> None:
        self.halt.set()


def run_memory(config: Config) -> list[Row]:
    return [memory(config)]


def memory(config: Config) -> Row:
    total = config.size(10_000, 120)
    row = Row("7 1 MB echo, child recycling", "taskq", "early", max_lost=0, max_twice=None)
    row.expect = "every task SUCCESS with 1 MB back; tree RSS and Redis memory bounded"
    begin = time.monotonic()
    blob = "x" * MIB
    with Stage(config, "memory") as stage:
        server = stage.redis()
        monitor = stage.monitor(server.url)
        worker = stage.worker(server.url, "taskq", "w1", CONCURRENCY,
                              extra=["--max-memory-per-child", str(CHILD_LIMIT_KIB)])
        client = server.client(timeout=30)
        children_seen: set[int] = set()
        sampler = stage.sampler(lambda: [worker], server)
        monitor_sampler = stage.sampler(lambda: [monitor])
        collector = Collector(client, None)
        sender = stage.sender(server.url, total, 1_000, lambda i: ("tasks.echo", (), {"blob": blob, "i": i}),
                              outstanding=collector.room)
        collector.sender = sender
        collector.start()
        stage._threads.append(collector)
        sender.start()
        while not sender.done.is_set():
            children_seen.update(worker.children())
            time.sleep(0.2)
        deadline = time.monotonic() + 120
        while collector.pending and time.monotonic() < deadline:
            children_seen.update(worker.children())
            time.sleep(0.2)
        sampler.stop()
        monitor_sampler.stop()
        collector.stop()
        row.sent = len(sender.sent)
        row.succeeded = collector.succeeded
        row.failed = len(collector.bad)
        row.lost = len(collector.pending)
        row.peak_rss_mib = round(sampler.peak("rss_kib") / 1024, 1)
        row.peak_fds = int(sampler.peak("fds"))
        redis_peak = sampler.peak("redis_used") / MIB
        monitor_peak = monitor_sampler.peak("rss_kib") / 1024
        tree_bound = CONCURRENCY * CHILD_LIMIT_KIB / 1024 + 256
        redis_bound = 64 + 8 * OUTSTANDING
        row.notes.append(f"{len(children_seen)} child processes seen (limit {CHILD_LIMIT_KIB} KiB each); "
                         f"Redis used_memory peak {redis_peak:.0f} MiB, at the end {server.used_memory() / MIB:.0f} MiB")
        row.notes.append(f"monitor RSS peak {monitor_peak:.0f} MiB; {time.monotonic() - begin:.0f} s for "
                         f"{row.sent} tasks")
        history = len(list(client.scan_iter("taskq:task:*", count=1000)))
        row.notes.append(f"{history} taskq:task:* history records in Redis at the end")
        if row.failed:
            row.problems.append(f"{row.failed} results were not SUCCESS with 1 MB back, e.g. {collector.bad[:2]}")
        if row.peak_rss_mib > tree_bound:
            row.problems.append(f"worker tree peak RSS {row.peak_rss_mib} MiB > {tree_bound:.0f} MiB")
        if redis_peak > redis_bound:
            row.problems.append(f"Redis used_memory peak {redis_peak:.0f} MiB > {redis_bound} MiB "
                                f"with at most {OUTSTANDING} tasks outstanding")
        if not worker.proc.running():
            row.problems.append("the worker exited")
        if len(children_seen) <= CONCURRENCY:
            row.notes.append("no child was replaced: --max-memory-per-child never triggered")
    row.seconds = round(time.monotonic() - begin, 1)
    return row


def run_soak(config: Config) -> list[Row]:
    return [soak(config)]


def soak(config: Config) -> Row:
    minutes = config.soak_minutes
    rate = 50.0
    total = int(minutes * 60 * rate)
    row = Row(f"9 soak {minutes:g} min", "taskq", "acks-late", max_lost=0, max_twice=0)
    row.expect = "lost 0; worker RSS, fds and Redis memory flat"
    begin = time.monotonic()
    with Stage(config, "soak") as stage:
        server = stage.redis()
        stage.monitor(server.url)
        worker = stage.worker(server.url, "taskq", "w1", CONCURRENCY, True, extra=["--result-expires", "120"])
        progress = stage.progress()
        sampler = stage.sampler(lambda: [worker], server, interval=5)
        sender = stage.sender(server.url, total, rate, stage.record_task(0.0, 0.01))
        sender.start()
        settle(server.client(), progress, sender, quiet=10, stall=60, cap=minutes * 60 + 300)
        sampler.stop()
        row.take(account(server.client(), stage.record, sender))
        warm = [values for t, values in sampler.samples if t - begin >= 60] or [v for _, v in sampler.samples]
        for key, unit, scale in (("rss_kib", "MiB", 1024), ("fds", "", 1), ("redis_used", "MiB", MIB)):
            series = [values.get(key, 0) / scale for values in warm]
            if not series:
                continue
            start, end, peak = series[0], series[-1], max(series)
            row.notes.append(f"{key}: start {start:.1f}{unit}, end {end:.1f}{unit}, max {peak:.1f}{unit}")
            row.extra[key] = {"start": start, "end": end, "max": peak}
            slack = 16 if unit == "MiB" else 4
            if end > start * 1.25 + slack:
                row.problems.append(f"{key} grew from {start:.1f} to {end:.1f}{unit} over the soak")
        row.peak_rss_mib = round(sampler.peak("rss_kib") / 1024, 1)
        row.peak_fds = int(sampler.peak("fds"))
    row.seconds = round(time.monotonic() - begin, 1)
    return row
