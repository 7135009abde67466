"""Scenarios 3 and 4: redis-server restarts, and Redis unreachable at worker start or for a while mid-run.

3. With AOF (`appendonly yes`, `appendfsync everysec`): `SHUTDOWN` then start
   again on the same port and directory, or SIGKILL then start again, while the
   worker drains a steady load. Besides the worker, a Swift client waiting in
   `get()` (`taskq result <id> --wait`, started before the fault, for a task
   sent once Redis is back) and the monitor (`/healthcheck`, `/api/workers`)
   must recover; each one's recovery time is reported. Guarantee: SHUTDOWN loses
   nothing; SIGKILL of the process loses nothing Redis acknowledged unless the
   AOF write was postponed behind a slow fsync (up to ~2 s of writes), so the
   bound for lost is the number of sends in the 2 s before the kill (plus, in
   early-ack mode, the tasks in flight).
4. The worker starts while nothing listens on its Redis port; redis-server comes
   up 5 s later. And: the redis-server is SIGSTOPped for 30 s (10 s in --quick)
   mid-run, then SIGCONTed.
"""

from __future__ import annotations

import signal
import threading
import time

from cluster import Process, free_port
from harness import Config, Stage, wait_for
from load import account, client_app, settle
from report import Row

CONCURRENCY = 2
RATE = 80.0


def run_restart(config: Config) -> list[Row]:
    plan = [("sigkill", True), ("shutdown", False)] if config.quick else \
        [("shutdown", True), ("shutdown", False), ("sigkill", True), ("sigkill", False)]
    rows = [restart(config, "taskq", how, acks) for how, acks in plan]
    if config.with_celery or not config.quick:
        rows += [restart(config, "celery", how, acks) for how, acks in plan if how == "sigkill"]
    return rows


class MonitorWatch(threading.Thread):
    """Polls the monitor's /healthcheck and /api/workers; keeps (time, healthy, lists the worker).

    The TaskQ monitor lists only workers that record their status in Redis (TaskQ workers), so
    for a Python worker (`worker_name` None) an answer from /api/workers is all that is asked.
    """

    def __init__(self, monitor, worker_name: str | None):
        super().__init__(daemon=True)
        self.monitor, self.worker_name = monitor, worker_name
        self.samples: list[tuple[float, bool, bool]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            health = self.monitor.get("/healthcheck", 1)[0] == 200
            status, body = self.monitor.get("/api/workers", 2)
            listed = self.worker_name is None or self.worker_name.encode() in body
            self.samples.append((time.monotonic(), health, status == 200 and listed))
            self.halt.wait(0.2)

    def stop(self) -> None:
        self.halt.set()

    def recovery(self, moment: float, index: int) -> float | None:
        for sample in self.samples:
            if sample[0] >= moment and sample[index]:
                return round(sample[0] - moment, 2)
        return None

    def failed_during(self, begin: float, end: float, index: int) -> int:
        return sum(1 for sample in self.samples if begin <= sample[0] <= end and not sample[index])


def restart(config: Config, kind: str, how: str, acks_late: bool) -> Row:
    mode = "acks-late" if acks_late else "early"
    total = config.size(10_000, 1_000)
    row = Row(f"3 redis {how}+restart", kind, mode, max_twice=None if acks_late else 0)
    begin = time.monotonic()
    with Stage(config, f"redis-{how}-{kind}-{mode}") as stage:
        server = stage.redis(aof=True)
        monitor = stage.monitor(server.url)
        worker = stage.worker(server.url, kind, "w1", CONCURRENCY, acks_late)
        watch = MonitorWatch(monitor, "w1@" if kind == "taskq" else None)
        watch.start()
        stage._threads.append(watch)
        progress = stage.progress()
        sampler = stage.sampler(lambda: [worker])
        sender = stage.sender(server.url, total, RATE, stage.record_task(0.01, 0.03))
        sender.start()
        sender.wait_sent(int(total * 0.4))
        waited_id = "f" * 8 + "-0000-4000-a000-" + f"{stage.rng.getrandbits(48):012x}"
        getter = Process("swift-get", [str(config.bins / "taskq"), "result", waited_id, "--wait", "--timeout", "120",
                                       "-b", server.url], stage.dir / "swift-get.log")
        stage._procs.append(getter)
        time.sleep(1)
        row.in_flight = stage.in_flight(server.url, worker)
        fault = time.monotonic()
        if how == "shutdown":
            server.shutdown()
        else:
            server.kill()
        window = sender.sent_between(fault - 2.0, fault)
        time.sleep(2)
        up = stage.restart_redis(server)
        row.notes.append(f"Redis down {up - fault:.1f} s")
        bound = 0 if how == "shutdown" else window
        if not acks_late:
            bound += CONCURRENCY
        row.max_lost = bound
        row.expect = (f"lost <= {bound} ({'in flight ' + str(CONCURRENCY) if not acks_late else 'none in flight'}"
                      f"{', AOF window ' + str(window) if how == 'sigkill' else ''})"
                      + (", run-twice 0" if not acks_late else ", run-twice allowed"))
        try:
            # The waited-for task goes out once Redis is back.
            app = client_app(server.url)
            app.send_task("tasks.add", (2, 3), task_id=waited_id)
            stored = wait_for(lambda: server.client().exists(f"celery-task-meta-{waited_id}"), 60)
            stored_at = time.monotonic()
            code = getter.wait(30)
            got_at = time.monotonic()
            output = getter.log_text().strip()
            if code == 0 and output.endswith("5") and stored:
                row.notes.append(f"Swift get(): result 5 {got_at - stored_at:.2f} s after it was stored, "
                                 f"{got_at - up:.2f} s after Redis was back")
                row.extra["client_recovery_s"] = round(got_at - up, 2)
            else:
                row.problems.append(f"the Swift client waiting in get() did not get 5 (exit {code}, "
                                    f"output {output[-200:]!r}, result stored: {stored})")
        except Exception as error:
            row.problems.append(f"sending the waited-for task failed: {error!r}")
        stage.conclude(row, server, progress, sender, sampler, [worker], fault_end=up)
        watch.stop()
        for label, index in (("/healthcheck", 1), ("/api/workers", 2)):
            recovered = watch.recovery(up, index)
            row.extra[f"monitor{label.replace('/', '_')}_recovery_s"] = recovered
            row.notes.append(f"monitor {label}: OK again {recovered} s after Redis was back"
                             f" ({watch.failed_during(fault, up, index)} failed polls while it was down)")
            if recovered is None:
                row.problems.append(f"monitor {label} did not recover")
        row.notes.append(f"{sender.errors} sends raised while Redis was down; "
                         f"{window} sends in the 2 s before the fault")
    row.seconds = round(time.monotonic() - begin, 1)
    return row


def run_unreachable(config: Config) -> list[Row]:
    rows = [late_start(config)]
    modes = [True] if config.quick else [True, False]
    rows += [frozen_redis(config, acks) for acks in modes]
    return rows


def late_start(config: Config) -> Row:
    total = config.size(3_000, 500)
    row = Row("4 redis up 5 s after worker", "taskq", "acks-late", max_lost=0, max_twice=0)
    row.expect = "the worker waits for Redis; lost 0, run-twice 0"
    begin = time.monotonic()
    with Stage(config, "redis-late-start") as stage:
        port = free_port()
        url = f"redis://127.0.0.1:{port}/0"
        worker = stage.worker(url, "taskq", "w1", CONCURRENCY, True, wait=False)
        time.sleep(5)
        if not worker.proc.running():
            row.problems.append(f"the worker exited while Redis was unreachable (code {worker.proc.popen.returncode})")
        server = stage.redis(port=port)
        up = time.monotonic()
        progress = stage.progress()
        sender = stage.sender(url, total, RATE, stage.record_task(0.01, 0.03))
        sender.start()
        settle(server.client(), progress, sender, quiet=8, stall=30, cap=config.size(300, 120))
        progress.poll()
        row.recovery_s = progress.recovery_after(up)
        row.take(account(server.client(), stage.record, sender))
        row.notes.append("recovery = Redis up until 5 tasks completed")
    row.seconds = round(time.monotonic() - begin, 1)
    return row


def frozen_redis(config: Config, acks_late: bool) -> Row:
    mode = "acks-late" if acks_late else "early"
    total = config.size(5_000, 1_000)
    frozen = config.size(30, 10)
    row = Row(f"4 redis SIGSTOP {frozen} s", "taskq", mode, max_lost=0 if acks_late else CONCURRENCY,
              max_twice=None if acks_late else 0)
    row.expect = "lost 0, run-twice allowed" if acks_late else f"lost <= {CONCURRENCY}, run-twice 0"
    begin = time.monotonic()
    with Stage(config, f"redis-sigstop-{mode}") as stage:
        server = stage.redis()
        stage.monitor(server.url)
        worker = stage.worker(server.url, "taskq", "w1", CONCURRENCY, acks_late)
        progress = stage.progress()
        sampler = stage.sampler(lambda: [worker])
        sender = stage.sender(server.url, total, RATE, stage.record_task(0.01, 0.03))
        sender.start()
        sender.wait_sent(int(total * 0.4))
        row.in_flight = stage.in_flight(server.url, worker)
        server.proc.signal(signal.SIGSTOP)
        time.sleep(frozen)
        server.proc.signal(signal.SIGCONT)
        stage.conclude(row, server, progress, sender, sampler, [worker], fault_end=time.monotonic())
    row.seconds = round(time.monotonic() - begin, 1)
    return row
