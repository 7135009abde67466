"""Scenario 5: network faults between the worker and Redis, through the loopback proxy (proxy.py).

The worker's broker URL points at the proxy; the sender, the monitor and the
accounting talk to Redis directly, so only the worker's links are hurt. Faults:

- `cut`: every connection is closed and new ones are refused for 5 s.
- `latency`: 200 ms added each way for 15 s (30 s in the full run); the row
  notes the completion rate before and during it.
- `half-open`: sockets stay open but nothing is forwarded for 20 s (40 s full),
  longer than the worker's socket timeouts and its visibility timeout; then the
  bytes flow again.

Guarantee checked: acks-late loses nothing; early ack loses at most the tasks
in flight; the worker stays up and completes tasks again after the fault.
"""

from __future__ import annotations

import time

from harness import Config, Stage
from report import Row

CONCURRENCY = 2
RATE = 80.0


def run(config: Config) -> list[Row]:
    if config.quick:
        plan = [("cut", True), ("half-open", True)]
    else:
        plan = [("cut", True), ("cut", False), ("latency", True), ("half-open", True), ("half-open", False)]
    return [network(config, fault, acks) for fault, acks in plan]


def network(config: Config, fault: str, acks_late: bool) -> Row:
    mode = "acks-late" if acks_late else "early"
    total = config.size(5_000, 1_000)
    row = Row(f"5 network {fault}", "taskq", mode, max_lost=0 if acks_late else CONCURRENCY,
              max_twice=None if acks_late else 0)
    row.expect = "lost 0, run-twice allowed" if acks_late else f"lost <= {CONCURRENCY}, run-twice 0"
    begin = time.monotonic()
    with Stage(config, f"network-{fault}-{mode}") as stage:
        server = stage.redis()
        proxy = stage.proxy(server.port)
        stage.monitor(server.url)
        worker = stage.worker(proxy.url, "taskq", "w1", CONCURRENCY, acks_late)
        progress = stage.progress()
        sampler = stage.sampler(lambda: [worker])
        sender = stage.sender(server.url, total, RATE, stage.record_task(0.01, 0.03))
        sender.start()
        sender.wait_sent(int(total * 0.3))
        row.in_flight = stage.in_flight(server.url, worker)
        start = time.monotonic()
        if fault == "cut":
            proxy.cut()
            time.sleep(5)
            proxy.restore()
        elif fault == "latency":
            length = config.size(30, 15)
            proxy.set_latency(0.2)
            time.sleep(length)
            proxy.set_latency(0)
        else:
            length = config.size(40, 15)
            proxy.hold()
            time.sleep(length)
            proxy.release()
        end = time.monotonic()
        row.notes.append(f"fault lasted {end - start:.1f} s; the proxy accepted {proxy.connections} connections")
        stage.conclude(row, server, progress, sender, sampler, [worker], fault_end=end)
        if fault == "latency":
            before = (progress.count_at(start) - progress.count_at(start - 3)) / 3
            during = (progress.count_at(end) - progress.count_at(start)) / max(end - start, 0.1)
            row.notes.append(f"completions/s: {before:.0f} before, {during:.0f} with 200 ms each way")
    row.seconds = round(time.monotonic() - begin, 1)
    return row
