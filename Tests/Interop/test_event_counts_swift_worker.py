"""Every task event of a Swift worker at default flags reaches Celery's own event consumer
(`app.events.Receiver`, what `celery events` runs) and Flower, counted per event type.

A Swift worker with no flags but `-c 2` runs 200 `tasks.add`, 20 `tasks.fail` and 10
`tasks.flaky(failures=1)` (each retried once, so received and started twice). The worker
sends task events in `task.multi` batches; Celery's receiver must unpack every one.
"""

from __future__ import annotations

import collections
import threading

import pytest

import interop

ADDS, FAILS, FLAKY = 200, 20, 10


class CeleryEventCounter:
    """Celery's event receiver on a thread, counting events by type and task."""

    def __init__(self, app):
        self.app = app
        self.by_type: collections.Counter = collections.Counter()
        self.by_task: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.lock = threading.Lock()
        self.ready = threading.Event()
        self.receiver = None
        self.thread = threading.Thread(target=self.run, name="celery-events", daemon=True)
        self.thread.start()
        assert self.ready.wait(20), "Celery's event receiver did not start"

    def on_event(self, event):
        kind = event.get("type", "")
        if not kind.startswith("task-"):
            return
        with self.lock:
            self.by_type[kind] += 1
            self.by_task[event.get("uuid", "")][kind] += 1

    def run(self):
        with self.app.connection() as connection:
            self.receiver = self.app.events.Receiver(connection, handlers={"*": self.on_event})
            self.ready.set()
            self.receiver.capture(limit=None, timeout=None, wakeup=False)

    def worker_events(self, task_id):
        with self.lock:
            return {kind: n for kind, n in self.by_task[task_id].items() if kind != "task-sent"}

    def counts(self):
        with self.lock:
            return collections.Counter(self.by_type)

    def stop(self):
        if self.receiver is not None:
            self.receiver.should_stop = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def counter(celery_app):
    counting = CeleryEventCounter(celery_app)
    yield counting
    counting.stop()


@pytest.fixture(scope="module")
def ran(module_procs, flower, counter, celery_app):
    swift = module_procs.swift_worker("counted", concurrency=2)
    adds = [celery_app.send_task("tasks.add", (i, 1)) for i in range(ADDS)]
    fails = [celery_app.send_task("tasks.fail", (f"counted {i}",)) for i in range(FAILS)]
    flaky = [celery_app.send_task("tasks.flaky", kwargs={"failures": 1}) for _ in range(FLAKY)]
    for index, result in enumerate(adds):
        assert result.get(timeout=60) == index + 1
    for result in fails:
        with pytest.raises(Exception):
            result.get(timeout=60, propagate=True)
    for result in flaky:
        assert result.get(timeout=60) == 1
    return {"swift": swift, "adds": [r.id for r in adds], "fails": [r.id for r in fails], "flaky": [r.id for r in flaky]}


EXPECTED = {
    "task-received": ADDS + FAILS + 2 * FLAKY,
    "task-started": ADDS + FAILS + 2 * FLAKY,
    "task-succeeded": ADDS + FLAKY,
    "task-failed": FAILS,
    "task-retried": FLAKY,
}


def test_celery_receiver_counts_every_task_event_by_type(ran, counter):
    interop.wait_until(lambda: all(counter.counts()[kind] >= n for kind, n in EXPECTED.items()), 30,
                       message=f"every task event (now {dict(counter.counts())}, want {EXPECTED})")
    counts = counter.counts()
    assert {kind: counts[kind] for kind in EXPECTED} == EXPECTED
    # task-sent comes from the Python client (task_send_sent_event), not from the worker.
    assert set(counts) - {"task-sent"} <= set(EXPECTED), f"unexpected task event types: {dict(counts)}"
    for task_id in ran["adds"]:
        assert counter.worker_events(task_id) == {"task-received": 1, "task-started": 1, "task-succeeded": 1}, task_id
    for task_id in ran["flaky"]:
        assert counter.worker_events(task_id) == {"task-received": 2, "task-started": 2, "task-retried": 1, "task-succeeded": 1}


def test_flower_counts_every_task_by_state(ran, flower):
    def by_state():
        tasks = interop.http_json(flower.port, "/api/tasks?limit=1000")
        return collections.Counter(task.get("state") for task in tasks.values())

    want = {"SUCCESS": ADDS + FLAKY, "FAILURE": FAILS}
    interop.wait_until(lambda: by_state() == want, 30, message=f"Flower to list every task (now {dict(by_state())}, want {want})")
