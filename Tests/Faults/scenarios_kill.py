"""Scenario 1: SIGKILL of the worker supervisor, of one child, of all children, under steady load.

The load is `tasks.record` with 10-30 ms sleeps at a steady rate on a `-c 2`
prefork worker (TaskQ, or Celery for the comparison rows). The fault comes when
40 % of the tasks are sent. After a supervisor kill a new worker is started (with
the same node name, or another one) and must recover what the dead one held.

Guarantee checked:
- acks-late: nothing lost; a task may run twice only if it was running when the
  fault hit (at most the tasks in flight: one per killed child for prefork).
- early ack: lost <= tasks in flight (one per killed child), and nothing runs twice.
- a SIGKILLed supervisor's children must not go on running tasks: children still
  alive 3 s after the kill are a failure (they run tasks the restored messages
  run again).
"""

from __future__ import annotations

import os
import signal
import time

from cluster import alive
from harness import Config, Stage

from report import Row

CONCURRENCY = 2
RATE = 150.0
FULL_RATE = 400.0


def run(config: Config) -> list[Row]:
    kinds = ["taskq"] + (["celery"] if config.with_celery or not config.quick else [])
    if config.quick:
        plan = [("supervisor", True), ("supervisor", False), ("child", True)]
    else:
        plan = [("supervisor", True), ("supervisor", False), ("supervisor-new-name", True),
                ("child", True), ("child", False), ("all-children", True), ("all-children", False)]
    rows = []
    for kind in kinds:
        for target, acks_late in plan:
            if kind == "celery" and target in ("all-children", "supervisor-new-name") and config.quick:
                continue
            rows.append(kill(config, kind, target, acks_late))
    return rows


def kill(config: Config, kind: str, target: str, acks_late: bool) -> Row:
    mode = "acks-late" if acks_late else "early"
    total = config.size(10_000, 1_000)
    killed_children = {"child": 1}.get(target, CONCURRENCY)
    # TaskQ writes an early ack with the task's result, or at the next tick (<= 100 ms): a task
    # that started that recently when its supervisor died is restored instead of lost, so it may
    # run again. Celery acks before the task starts: it loses that task instead.
    deferred_ack_window = kind == "taskq" and not acks_late and target.startswith("supervisor")
    row = Row(f"1 kill {target}", kind, mode,
              max_lost=0 if acks_late else killed_children,
              max_twice=killed_children if acks_late or deferred_ack_window else 0)
    if acks_late:
        row.expect = f"lost 0, run-twice <= {killed_children} (tasks in flight)"
    elif deferred_ack_window:
        row.expect = (f"lost <= {killed_children} (tasks in flight); run-twice <= {killed_children}: only a task that "
                      "started within 100 ms of the kill, its ack not yet written")
    else:
        row.expect = f"lost <= {killed_children} (tasks in flight), run-twice 0"
    begin = time.monotonic()
    with Stage(config, f"kill-{target}-{kind}-{mode}") as stage:
        server = stage.redis()
        stage.monitor(server.url)
        workers = [stage.worker(server.url, kind, "w1", CONCURRENCY, acks_late)]
        progress = stage.progress()
        sampler = stage.sampler(lambda: workers)
        # Full size: 10,000 short tasks at a rate two children keep up with, so a run takes
        # about 30 s instead of the 150 s that 10-50 ms tasks would.
        sender = stage.sender(server.url, total, RATE if config.quick else FULL_RATE,
                              stage.record_task(0.01, 0.02) if config.quick else stage.record_task(0.001, 0.004))
        sender.start()
        sender.wait_sent(int(total * 0.4))
        row.in_flight = stage.in_flight(server.url, workers[0])
        victim = workers[0]
        children = victim.children()
        if target.startswith("supervisor"):
            victim.proc.signal(signal.SIGKILL)
            fault = time.monotonic()
            time.sleep(3)
            orphans = [pid for pid in children if alive(pid)]
            if orphans:
                row.problems.append(f"{len(orphans)} of {len(children)} children still running 3 s after "
                                    f"their supervisor was SIGKILLed (pids {orphans})")
            name = "w2" if target == "supervisor-new-name" else "w1"
            workers.append(stage.worker(server.url, kind, name, CONCURRENCY, acks_late))
            fault_end = time.monotonic()
            row.notes.append(f"new worker -n {name}@%h ready {fault_end - fault:.1f} s after the kill")
        else:
            chosen = children[:1] if target == "child" else children
            for pid in chosen:
                    os.kill(pid, signal.SIGKILL)
            fault_end = time.monotonic()
        # The live worker only: the killed supervisor has exited on purpose.
        stage.conclude(row, server, progress, sender, sampler, workers[-1:], fault_end)
        client = server.client()
        leftover = client.hlen("unacked")
        if leftover:
            row.notes.append(f"{leftover} entries left in unacked")
        if sender.errors:
            row.notes.append(f"{sender.errors} sends raised")
        if row.in_flight is not None and row.in_flight > CONCURRENCY:
            row.notes.append(f"inspect active reported {row.in_flight} tasks active on a -c {CONCURRENCY} worker")
    row.seconds = round(time.monotonic() - begin, 1)
    return row
