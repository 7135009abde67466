"""Scenario 6: warm shutdown (SIGTERM) while about 1,000 tasks are prefetched, and a cold one during it.

The queue is filled first; a `-c 2` worker with `--prefetch-multiplier 500`
claims about 1,000 of them; then it gets SIGTERM (warm: stop consuming, give
back what has not started, let running tasks finish) and, in the cold variant,
a second SIGTERM one second later (kill the children, give back what they ran
when acknowledged late). A fresh worker then drains the rest.

Guarantee checked: warm shutdown loses nothing and runs nothing twice in either
ack mode; cold shutdown with acks-late loses nothing (run twice <= the tasks
running), without acks-late it loses at most the tasks running (one per child)
and runs nothing twice. The worker must exit within its shutdown timeout.
"""

from __future__ import annotations

import signal
import time

from harness import Config, Stage, wait_for
from report import Row

CONCURRENCY = 2


def run(config: Config) -> list[Row]:
    if config.quick:
        plan = [("warm", False), ("warm+cold", True)]
    else:
        plan = [("warm", False), ("warm", True), ("warm+cold", False), ("warm+cold", True)]
    return [shutdown(config, kind, acks_late) for kind, acks_late in plan]


def shutdown(config: Config, kind: str, acks_late: bool) -> Row:
    mode = "acks-late" if acks_late else "early"
    total = config.size(3_000, 1_100)
    cold = kind == "warm+cold"
    row = Row(f"6 shutdown {kind}", "taskq", mode)
    if cold:
        row.max_lost, row.max_twice = (0, CONCURRENCY) if acks_late else (CONCURRENCY, 0)
        row.expect = f"lost 0, run-twice <= {CONCURRENCY}" if acks_late else f"lost <= {CONCURRENCY}, run-twice 0"
    else:
        row.max_lost, row.max_twice = 0, 0
        row.expect = "lost 0, run-twice 0"
    begin = time.monotonic()
    with Stage(config, f"shutdown-{kind}-{mode}") as stage:
        server = stage.redis()
        stage.monitor(server.url)
        client = server.client()
        sender = stage.sender(server.url, total, 5_000, stage.record_task(*((0.05, 0.1) if not config.quick else (0.02, 0.04))))
        sender.start()
        sender.done.wait(120)
        progress = stage.progress()
        first = stage.worker(server.url, "taskq", "w1", CONCURRENCY, acks_late,
                             extra=["--prefetch-multiplier", "500", "--shutdown-timeout", "30"])
        workers = [first]
        sampler = stage.sampler(lambda: workers)
        wait_for(lambda: client.hlen("unacked") >= 900, 20)
        time.sleep(0.5)
        row.in_flight = stage.in_flight(server.url, first)
        held = client.hlen("unacked")
        first.proc.signal(signal.SIGTERM)
        signalled = time.monotonic()
        if cold:
            time.sleep(1)
            first.proc.signal(signal.SIGTERM)
        code = first.proc.wait(45)
        exited = time.monotonic()
        if code is None:
            row.problems.append("the worker did not exit within 45 s of SIGTERM")
        else:
            row.notes.append(f"held {held} unacked at SIGTERM; exited with {code} after {exited - signalled:.1f} s")
            if code != 0 and not cold:
                row.problems.append(f"warm shutdown exited with code {code}")
        row.notes.append(f"after exit: queue {client.llen('celery')}, unacked {client.hlen('unacked')}")
        workers.append(stage.worker(server.url, "taskq", "w2", CONCURRENCY, acks_late))
        fresh = time.monotonic()
        stage.conclude(row, server, progress, sender, sampler, workers[-1:], fault_end=fresh)
    row.seconds = round(time.monotonic() - begin, 1)
    return row
