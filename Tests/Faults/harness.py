"""The scaffolding one scenario runs in: its directory, processes, load, samplers, and cleanup.

A `Stage` is used as a context manager: everything it started (redis-server,
workers with their children, the monitor, the proxy, threads) is stopped when
the block ends, however it ends. `Config` holds the run's sizes and switches.
"""

from __future__ import annotations

import json
import random
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cluster import CeleryWorker, Monitor, Redis, TaskQWorker, free_port, tree_usage, wait_until
from load import Progress, Sender, account, settle
from proxy import Proxy


@dataclass
class Config:
    bins: Path
    artifacts: Path
    quick: bool
    seed: int
    with_celery: bool
    soak_minutes: float
    visibility_timeout: float = 5

    def size(self, full: int, quick: int) -> int:
        return quick if self.quick else full


class Sampler(threading.Thread):
    """Samples `measure()` -> dict of numbers every `interval` seconds; keeps every sample."""

    def __init__(self, measure, interval: float = 0.5):
        super().__init__(daemon=True)
        self.measure = measure
        self.interval = interval
        self.samples: list[tuple[float, dict]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                self.samples.append((time.monotonic(), self.measure()))
            except Exception:
                pass
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)

    def peak(self, key: str) -> float:
        return max((values.get(key, 0) for _, values in self.samples), default=0)

    def series(self, key: str) -> list[float]:
        return [values.get(key, 0) for _, values in self.samples if key in values]


class Stage:
    """One scenario's world; `with Stage(config, "name") as stage:`."""

    def __init__(self, config: Config, name: str):
        self.config = config
        self.name = name
        self.dir = config.artifacts / name
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.record = self.dir / "record.txt"
        self.rng = random.Random(f"{config.seed}:{name}")
        self._procs: list = []
        self._threads: list = []
        self._proxies: list[Proxy] = []
        self._redises: list[Redis] = []
        self.started = time.monotonic()

    def __enter__(self) -> "Stage":
        return self

    def __exit__(self, *exc) -> None:
        for thread in self._threads:
            try:
                thread.stop()
            except Exception:
                pass
        for proc in reversed(self._procs):
            proc.kill_tree()
        for proxy in self._proxies:
            proxy.stop()
        for server in self._redises:
            server.stop()

    # ---- parts ----------------------------------------------------------------

    def redis(self, aof: bool = False, port: int | None = None, wait: bool = True, tag: str = "redis") -> Redis:
        server = Redis(self.dir / tag, aof=aof, port=port or free_port())
        self._redises.append(server)
        server.start(wait=wait)
        self._procs.append(server.proc)
        return server

    def restart_redis(self, server: Redis) -> float:
        """Starts `server` again on its port and directory; returns the moment it answered PING."""
        server.start(wait=True)
        self._procs.append(server.proc)
        return time.monotonic()

    def worker(self, broker: str, kind: str = "taskq", name: str = "w1", concurrency: int = 2,
               acks_late: bool = False, extra: list[str] | None = None, wait: bool = True):
        log = self.dir / f"{kind}-{name}-{len(self._procs)}.log"
        if kind == "taskq":
            worker = TaskQWorker(self.config.bins, broker, log, name=name, concurrency=concurrency,
                                 acks_late=acks_late, visibility_timeout=self.config.visibility_timeout, extra=extra)
        else:
            worker = CeleryWorker(broker, log, name=name, concurrency=concurrency, acks_late=acks_late,
                                  visibility_timeout=self.config.visibility_timeout, extra=extra)
        self._procs.append(worker.proc)
        if wait and not worker.wait_children():
            raise RuntimeError(f"{kind} worker {name} did not start its {concurrency} children; see {log}")
        return worker

    def monitor(self, broker: str) -> Monitor:
        monitor = Monitor(self.config.bins, broker, self.dir / "monitor.log")
        self._procs.append(monitor.proc)
        if not monitor.wait_ready():
            raise RuntimeError(f"monitor did not answer /healthcheck; see {monitor.proc.log_path}")
        return monitor

    def proxy(self, upstream_port: int) -> Proxy:
        proxy = Proxy(upstream_port, free_port()).start()
        self._proxies.append(proxy)
        return proxy

    def sender(self, broker: str, total: int, rate: float, make=None, outstanding=None) -> Sender:
        make = make or self.record_task()
        sender = Sender(broker, total, rate, make, seed=self.rng.getrandbits(32), outstanding=outstanding)
        self._threads.append(sender)
        return sender

    def record_task(self, low: float = 0.01, high: float = 0.05):
        rng = random.Random(self.rng.getrandbits(32))
        path = str(self.record)
        return lambda i: ("tasks.record", (path, round(rng.uniform(low, high), 3)), {})

    def progress(self) -> Progress:
        progress = Progress(self.record)
        self._threads.append(progress)
        progress.start()
        return progress

    def sampler(self, workers, server: Redis | None = None, interval: float = 0.5) -> Sampler:
        """Worker tree RSS (KiB) and fds, summed over the given workers' live trees, and Redis memory."""
        def measure():
            rss = fds = 0
            for worker in workers():
                if worker.proc.running():
                    r, f = tree_usage(worker.pid)
                    rss, fds = rss + r, fds + f
            values = {"rss_kib": rss, "fds": fds}
            if server is not None:
                values["redis_used"] = server.used_memory()
            return values
        sampler = Sampler(measure, interval)
        self._threads.append(sampler)
        sampler.start()
        return sampler

    def conclude(self, row, server: Redis, progress: Progress, sender: Sender, sampler: Sampler | None,
                 workers: list, fault_end: float):
        """The end of a fault scenario: waits until nothing moves for two visibility timeouts (or
        stalls for four), then fills in the row's recovery time, worker exits, peaks and counts;
        returns the counts' ledger."""
        visibility = self.config.visibility_timeout
        settle(server.client(), progress, sender, quiet=visibility * 2 + 4, stall=visibility * 4 + 20,
               cap=self.config.size(600, 150))
        progress.poll()
        row.recovery_s = progress.recovery_after(fault_end)
        for worker in workers:
            if not worker.proc.running():
                row.problems.append(f"worker {worker.name} exited (code {worker.proc.popen.returncode})")
        if sampler is not None:
            sampler.stop()
            row.peak_rss_mib = round(sampler.peak("rss_kib") / 1024, 1)
            row.peak_fds = int(sampler.peak("fds"))
        ledger = account(server.client(), self.record, sender)
        row.take(ledger)
        return ledger

    def in_flight(self, broker: str, worker) -> int | None:
        """Tasks the worker reports active (`taskq inspect active`), just before a fault."""
        try:
            out = subprocess.run([str(self.config.bins / "taskq"), "inspect", "active", "-b", broker,
                                  "--timeout", "0.5", "-d", f"{worker.name}@{_host()}"],
                                 capture_output=True, text=True, timeout=10)
        except subprocess.TimeoutExpired:
            return None
        return count_active(out.stdout)


def _host() -> str:
    return socket.gethostname()


def count_active(text: str) -> int | None:
    """Active tasks in `taskq inspect active` output ("-> node: OK" then a JSON list per node)."""
    total, block, found = 0, None, False
    for line in text.splitlines() + ["-> end"]:
        if line.startswith("->") or line == "" or line[0].isdigit():
            if block is not None:
                try:
                    total += len(json.loads("\n".join(block)))
                    found = True
                except ValueError:
                    pass
            block = [] if line.startswith("->") and line.rstrip().endswith("OK") else None
        elif block is not None:
            block.append(line)
    return total if found else None


def wait_for(predicate, timeout: float, interval: float = 0.05) -> bool:
    return wait_until(predicate, timeout, interval)
