"""Load and accounting for the fault suite: a steady sender, a completion counter, the ledger.

`Sender` sends tasks with the Python Celery client (a client app without a
result backend, so sending subscribes to nothing) at a steady rate on a thread
of its own, with task ids it picks itself. A send that raises (Redis down) is
remembered as *unconfirmed* and the sender goes on with a fresh id until it has
`total` confirmed sends; an unconfirmed id that turns up later (the LPUSH did
land) counts as sent.

`Progress` follows the record file that `tasks.record` appends task ids to and
keeps (time, completions) samples, from which recovery times are read.
`account()` is the ledger: for every sent id, a completion line, a result
record, a dead letter, or lost.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import redis
from celery import Celery

TERMINAL = {"SUCCESS", "FAILURE", "REVOKED", "REJECTED", "IGNORED"}


def client_app(broker: str) -> Celery:
    app = Celery("faults-client", broker=broker, set_as_current=False)
    app.conf.update(broker_connection_retry_on_startup=True, broker_connection_timeout=2,
                    result_backend=None, task_ignore_result=False)
    return app


def new_id(rng: random.Random) -> str:
    """A UUID4-shaped id from the scenario's seeded RNG (reproducible runs)."""
    value = rng.getrandbits(128)
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-4{text[13:16]}-a{text[17:20]}-{text[20:32]}"


class Sender(threading.Thread):
    """Sends `total` tasks at `rate` per second; `make(i)` gives (name, args, kwargs)."""

    def __init__(self, broker: str, total: int, rate: float, make, seed: int = 1, outstanding=None):
        super().__init__(daemon=True)
        self.app = client_app(broker)
        self.total = total
        self.rate = rate
        self.make = make
        self.rng = random.Random(seed)
        self.outstanding = outstanding  # optional callable: False while the sender must hold back
        self.sent: list[str] = []
        self.sent_at: list[float] = []
        self.unconfirmed: set[str] = set()
        self.errors = 0
        self.stop_event = threading.Event()
        self.done = threading.Event()

    def run(self) -> None:
        start = time.monotonic()
        try:
            with self.app.producer_or_acquire() as producer:
                while len(self.sent) < self.total and not self.stop_event.is_set():
                    due = start + len(self.sent) / self.rate
                    delay = due - time.monotonic()
                    if delay > 0:
                        time.sleep(min(delay, 0.05))
                        continue
                    if self.outstanding is not None and not self.outstanding():
                        time.sleep(0.005)
                        start += 0.005
                        continue
                    name, args, kwargs = self.make(len(self.sent))
                    task_id = new_id(self.rng)
                    try:
                        self.app.send_task(name, args, kwargs, task_id=task_id, producer=producer,
                                           retry_policy={"max_retries": 2, "interval_start": 0.1,
                                                         "interval_step": 0.2, "interval_max": 0.3})
                    except Exception:
                        self.unconfirmed.add(task_id)
                        self.errors += 1
                        time.sleep(0.2)
                        start += 0.2
                        continue
                    self.sent.append(task_id)
                    self.sent_at.append(time.monotonic())
        finally:
            self.done.set()

    def stop(self) -> None:
        self.stop_event.set()

    def sent_between(self, begin: float, end: float) -> int:
        return sum(1 for t in self.sent_at if begin <= t <= end)

    def wait_sent(self, count: int, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while len(self.sent) < count and not self.done.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)


class Progress(threading.Thread):
    """Counts completion lines in the record file as they appear: (monotonic time, lines) samples."""

    def __init__(self, path: Path, interval: float = 0.05):
        super().__init__(daemon=True)
        self.path = path
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self.lines = 0
        self.unique: set[str] = set()
        self._offset = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.poll()
            time.sleep(self.interval)

    def poll(self) -> int:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
        except FileNotFoundError:
            chunk = b""
        chunk = chunk[:chunk.rfind(b"\n") + 1]  # whole lines only
        self._offset += len(chunk)
        self.lines += chunk.count(b"\n")
        self.unique.update(line.decode(errors="replace") for line in chunk.split(b"\n") if line)
        self.samples.append((time.monotonic(), self.lines))
        return self.lines

    def stop(self) -> None:
        self._halt.set()

    def count_at(self, moment: float) -> int:
        before = [count for t, count in self.samples if t <= moment]
        return before[-1] if before else 0

    def recovery_after(self, moment: float, more: int = 5) -> float | None:
        """Seconds from `moment` until `more` further completions were seen; None if never."""
        base = self.count_at(moment)
        for t, count in self.samples:
            if t >= moment and count >= base + more:
                return round(t - moment, 2)
        return None

    def last_change(self) -> float:
        last = self.samples[-1][1] if self.samples else 0
        for t, count in reversed(self.samples):
            if count != last:
                return t
        return self.samples[0][0] if self.samples else time.monotonic()


def read_lines(path: Path) -> Counter:
    try:
        return Counter(line for line in path.read_text().splitlines() if line)
    except FileNotFoundError:
        return Counter()


def results_of(client: redis.Redis, ids: list[str]) -> dict[str, dict]:
    """The parsed result record of each id that has one."""
    found: dict[str, dict] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for task_id, raw in zip(chunk, client.mget([f"celery-task-meta-{i}" for i in chunk])):
            if raw is not None:
                try:
                    found[task_id] = json.loads(raw)
                except ValueError:
                    found[task_id] = {"status": "UNPARSEABLE"}
    return found


def dead_letters(client: redis.Redis) -> list[dict]:
    entries = []
    for raw in client.lrange("taskq:dead", 0, -1):
        try:
            entries.append(json.loads(raw))
        except ValueError:
            entries.append({"unparsed": raw})
    return entries


def id_of_raw(raw) -> str | None:
    """The task id inside a raw envelope (a dead letter's `raw`), if it has one."""
    try:
        envelope = json.loads(raw) if isinstance(raw, (str, bytes)) else raw
        task_id = envelope.get("headers", {}).get("id")
        return task_id if isinstance(task_id, str) else None
    except Exception:
        return None


def dead_ids(client: redis.Redis) -> set[str]:
    return {task_id for entry in dead_letters(client) if (task_id := id_of_raw(entry.get("raw"))) is not None}


@dataclass
class Ledger:
    """Where every sent task ended up."""

    sent: int = 0
    succeeded: int = 0
    failed: int = 0
    dead: int = 0
    lost: int = 0
    run_twice: int = 0
    lost_ids: list[str] = field(default_factory=list)
    twice_ids: list[str] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)


def account(client: redis.Redis, record: Path | None, sender: Sender) -> Ledger:
    lines = read_lines(record) if record else Counter()
    ids = list(sender.sent) + [i for i in sender.unconfirmed if i in lines]
    results = results_of(client, ids + [i for i in sender.unconfirmed if i not in lines])
    ids += [i for i in sender.unconfirmed if i in results and i not in lines]
    dead = dead_ids(client)
    ledger = Ledger(sent=len(ids))
    for task_id in ids:
        status = results.get(task_id, {}).get("status")
        if lines.get(task_id, 0) > 1:
            ledger.run_twice += 1
            ledger.twice_ids.append(task_id)
        if lines.get(task_id) or status == "SUCCESS":
            ledger.succeeded += 1
        elif status in TERMINAL:
            ledger.failed += 1
            result = results[task_id].get("result")
            kind = result.get("exc_type", "?") if isinstance(result, dict) else str(status)
            ledger.failures[kind] += 1
        elif task_id in dead:
            ledger.dead += 1
        else:
            ledger.lost += 1
            ledger.lost_ids.append(task_id)
    return ledger


def settle(client: redis.Redis, progress: Progress | None, sender: Sender, quiet: float, stall: float,
           cap: float, finished=None) -> float:
    """Waits until every sent task is accounted for, or nothing moved for a while; returns the wait."""
    begin = time.monotonic()
    sender.done.wait(cap)
    last_total, last_move = -1, time.monotonic()
    while time.monotonic() - begin < cap:
        pending = client.llen("celery") + client.hlen("unacked")
        done = finished() if finished else _finished(client, progress, sender)
        if done != last_total:
            last_total, last_move = done, time.monotonic()
        idle = time.monotonic() - last_move
        if done >= len(sender.sent) and pending == 0:
            break
        if idle >= stall or (pending == 0 and idle >= quiet):
            break
        time.sleep(0.5)
    return round(time.monotonic() - begin, 1)


def _finished(client: redis.Redis, progress: Progress | None, sender: Sender) -> int:
    if progress is not None:
        if not progress.is_alive():
            progress.poll()
        return len(progress.unique)
    return len(results_of(client, list(sender.sent)))
