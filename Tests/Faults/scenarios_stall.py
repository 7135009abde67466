"""Scenario 2: SIGSTOP of worker A for longer than its visibility timeout while worker B runs, then SIGCONT.

Both workers run with `--acks-late` and `--visibility-timeout 5`. A stops
heartbeating while it is frozen, so after the visibility timeout B restores the
messages A held (running and prefetched) and runs them. When A wakes it may
finish the tasks it was running: those run twice, which at-least-once allows.
The suite reports how many ran twice against what A was running when it was
frozen, and compares each result record taken just before SIGCONT with the
record at the end: a record that A's late finish replaced with a different
state or value is a failure (a rewrite with the same state and value is
reported only).
"""

from __future__ import annotations

import json
import os
import signal
import time

from harness import Config, Stage
from load import results_of
from report import Row


def run(config: Config) -> list[Row]:
    return [stall(config)]


def stall(config: Config) -> Row:
    total = config.size(3_000, 600)
    frozen_for = config.visibility_timeout * 3
    row = Row("2 SIGSTOP A > visibility", "taskq", "acks-late", max_lost=0, max_twice=None)
    row.expect = "lost 0; run-twice reported (at most what A was running when frozen, if A drops what it held)"
    begin = time.monotonic()
    with Stage(config, "stall") as stage:
        server = stage.redis()
        stage.monitor(server.url)
        a = stage.worker(server.url, "taskq", "a", 2, acks_late=True)
        b = stage.worker(server.url, "taskq", "b", 2, acks_late=True)
        progress = stage.progress()
        sampler = stage.sampler(lambda: [a, b])
        sender = stage.sender(server.url, total, 50, stage.record_task(0.03, 0.1))
        sender.start()
        sender.wait_sent(int(total * 0.3))
        row.in_flight = stage.in_flight(server.url, a)
        a.proc.signal(signal.SIGSTOP)
        for pid in a.children():
            os.kill(pid, signal.SIGSTOP)
        stopped = time.monotonic()
        time.sleep(frozen_for)
        client = server.client()
        before = {i: client.get(f"celery-task-meta-{i}") for i in sender.sent}
        for pid in a.children():
            os.kill(pid, signal.SIGCONT)
        a.proc.signal(signal.SIGCONT)
        resumed = time.monotonic()
        row.notes.append(f"A (and its children) stopped {resumed - stopped:.1f} s")
        ledger = stage.conclude(row, server, progress, sender, sampler, [], fault_end=resumed)
        after = results_of(client, ledger.twice_ids)
        rewritten = changed = 0
        for task_id in ledger.twice_ids:
            old = before.get(task_id)
            new = after.get(task_id)
            if old is None or new is None:
                continue
            old_record = json.loads(old)
            if old_record != new:
                rewritten += 1
            if (old_record.get("status"), old_record.get("result")) != (new.get("status"), new.get("result")):
                changed += 1
        row.extra.update(rewritten=rewritten, changed=changed)
        row.notes.append(f"of {ledger.run_twice} run twice: {rewritten} result records rewritten after SIGCONT, "
                         f"{changed} with a different state or value")
        if changed:
            row.problems.append(f"{changed} result records were replaced with a different state or value "
                                "by A's late finish")
        if row.in_flight is not None and ledger.run_twice > row.in_flight:
            row.notes.append(f"run twice ({ledger.run_twice}) > tasks A was running when frozen ({row.in_flight}): "
                             "A also ran messages it had prefetched and B had restored")
        leftover = client.hlen("unacked")
        if leftover:
            row.notes.append(f"{leftover} entries left in unacked")
        for name, worker in (("A", a), ("B", b)):
            if not worker.proc.running():
                row.problems.append(f"worker {name} exited (code {worker.proc.popen.returncode})")
    row.seconds = round(time.monotonic() - begin, 1)
    return row
