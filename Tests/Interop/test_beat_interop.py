"""Periodic tasks across the two implementations: `taskq beat` and Python's `celery beat`.

1. Messages sent by `taskq beat` (an entry added at run time with `taskq beat add`) are
   valid Celery protocol-2 messages: checked on the wire (held in a queue nobody consumes yet,
   compared with Celery's own send_task envelope, plus the `taskq_schedule`/`taskq_slot` headers),
   then run by a real Python Celery 5.7 worker, which stores SUCCESS results.
2. Python's `celery -A pytasks beat` (PYTASKS_BEAT_EVERY) and `taskq beat` run side by side on
   one broker, both feeding one Swift worker: each beat's tasks run there, neither beat's
   messages get in the other's way.
3. A `taskq beat` entry for a task the Python worker does not know: Celery rejects it as
   unregistered (stores NotRegistered as the result) and the beat keeps sending.

Every process goes through the `procs` fixture; each test uses its own queue and entry names
so leftovers of one test never reach another's worker.
"""

from __future__ import annotations

import re

import interop

SUCCEEDED = r"Task {task}\[([0-9a-f-]{{36}})\] succeeded in [0-9.e-]+s: {result}\s*$"


def beat(*args: str, db: int, check: bool = True):
    """`taskq beat <args> --broker URL`."""
    return interop.taskq("beat", *args, db=db, check=check)


def start_beat(procs: interop.Processes, db: int) -> interop.Proc:
    """A `taskq beat` (no -A: only the entries in Redis), once it holds the leader lease."""
    proc = procs.start("taskq-beat", [str(interop.TASKQ), "beat", "--broker", interop.url_for_db(db),
                                      "--loglevel=info"])
    proc.wait_for_log(r"beat: Leading", timeout=60)
    return proc


def runs(rdb, name: str) -> dict[str, str]:
    """The entry's run record, `taskq:beat:runs:<name>`."""
    return {k.decode(): v.decode() for k, v in rdb.hgetall(f"taskq:beat:runs:{name}").items()}


def total_runs(rdb, name: str) -> int:
    return int(runs(rdb, name).get("total_runs", 0))


def succeeded_ids(proc: interop.Proc, task: str, result: str) -> list[str]:
    """Task ids the worker logged as `Task <task>[<id>] succeeded in ...: <result>`."""
    regex = re.compile(SUCCEEDED.format(task=re.escape(task), result=re.escape(result)), re.MULTILINE)
    return regex.findall(proc.text())


def held_envelopes(rdb, queue: str) -> list[dict]:
    """The messages waiting in `queue`, oldest first."""
    return [interop.decode_envelope(raw) for raw in reversed(rdb.lrange(queue, 0, -1))]


def test_taskq_beat_messages_run_on_python_worker(procs, db, rdb, celery_app):
    queue = "beat-py"
    beat_proc = start_beat(procs, db)
    added = beat("add", "py-add", "--task", "tasks.add", "--every", "1", "--args", "[2, 3]", "--queue", queue,
                 db=db)
    assert "py-add" in added.stdout, added.stdout

    # No worker on the queue yet: the beat's messages wait there, as sent.
    interop.wait_until(lambda: rdb.llen(queue) >= 2, timeout=60, message=f"two beat messages in {queue!r}")
    record = runs(rdb, "py-add")
    assert int(record["total_runs"]) >= 2, record
    interop.wait_until(lambda: record["last_task_id"] in {e["headers"]["id"] for e in held_envelopes(rdb, queue)},
                       timeout=30, message="the run record's last_task_id among the queued messages")
    held = held_envelopes(rdb, queue)
    slots = []
    for envelope in held:
        headers, props = envelope["headers"], envelope["properties"]
        assert headers["task"] == "tasks.add"
        assert headers["taskq_schedule"] == "py-add"
        assert isinstance(headers["taskq_slot"], int) and headers["taskq_slot"] > 1_600_000_000_000, headers
        slots.append(headers["taskq_slot"])
        assert headers["root_id"] == headers["id"] == props["correlation_id"]
        assert headers["retries"] == 0 and headers["eta"] is None
        assert headers["argsrepr"] == "(2, 3)"
        assert envelope["content-type"] == "application/json"
        assert props["body_encoding"] == "base64"
        assert props["delivery_info"] == {"exchange": "", "routing_key": queue}
        assert envelope["decoded_body"] == [[2, 3], {}, {"callbacks": None, "errbacks": None, "chain": None,
                                                         "chord": None}]
    assert len(set(slots)) == len(slots), f"two messages for one slot: {slots}"
    assert slots == sorted(slots), f"slots out of order: {slots}"
    held_ids = [e["headers"]["id"] for e in held]
    assert len(set(held_ids)) == len(held_ids), held_ids

    # Same header/property keys as Celery's own send_task (apart from what only Celery 5.7's beat adds).
    compare_queue = f"{queue}-celery"
    celery_app.send_task("tasks.add", (2, 3), queue=compare_queue)
    celery_env = held_envelopes(rdb, compare_queue)[0]
    rdb.delete(compare_queue)
    missing = set(celery_env["headers"]) - set(held[0]["headers"])
    assert not missing, f"headers Celery sends that taskq beat does not: {missing}"
    assert set(celery_env["properties"]) <= set(held[0]["properties"])

    # A real Celery 5.7 worker runs the backlog and the messages that keep coming.
    worker = procs.python_worker("py-beat", queues=queue)
    want = len(held_ids) + 2
    interop.wait_until(lambda: len(succeeded_ids(worker, "tasks.add", "5")) >= want, timeout=90,
                       message=f"{want} tasks.add successes in the Python worker's log")
    assert beat("pause", "py-add", db=db).returncode == 0
    ran = set(succeeded_ids(worker, "tasks.add", "5"))
    assert set(held_ids) <= ran, f"queued beat messages the Python worker did not run: {set(held_ids) - ran}"
    assert total_runs(rdb, "py-add") >= 3

    # Their results, as the Python worker stored them, through Celery's own result backend.
    results = interop.read_results(rdb, sorted(ran))
    assert set(results) == ran
    for task_id, meta in results.items():
        assert meta["status"] == "SUCCESS" and meta["result"] == 5, (task_id, meta)
    last = runs(rdb, "py-add")["last_task_id"]
    assert celery_app.AsyncResult(last).get(timeout=30) == 5
    assert f"Task tasks.add[{last}] received" in worker.text()
    assert "Received unregistered task" not in worker.text()
    assert len(re.findall(r"Scheduler: Sending due task py-add \(tasks\.add\)", beat_proc.text())) >= 3

    # The entry can be removed while the beat runs; its run record goes with it.
    assert beat("remove", "py-add", db=db).returncode == 0
    assert rdb.hget("taskq:beat:entries", "py-add") is None
    assert not rdb.exists("taskq:beat:runs:py-add")
    assert beat_proc.alive() and worker.alive()


def test_celery_beat_and_taskq_beat_feed_swift_worker(procs, db, rdb, tmp_path):
    worker = procs.swift_worker("swift-beat")
    # Python's own celery beat: tasks.add(4, 5) every second (pytasks' PYTASKS_BEAT_EVERY).
    celery_beat = procs.start(
        "celery-beat",
        [interop.PYTHON, "-m", "celery", "-A", "pytasks", "beat", "--loglevel=info",
         "-s", str(tmp_path / "celerybeat-schedule")],
        env={"PYTASKS_BROKER_URL": interop.url_for_db(db), "PYTASKS_BEAT_EVERY": "1", "PYTHONUNBUFFERED": "1"},
        cwd=interop.HERE)
    # taskq beat on the same broker: tasks.mul(6, 7) every second, to the same queue.
    taskq_beat = start_beat(procs, db)
    beat("add", "swift-mul", "--task", "tasks.mul", "--every", "1", "--args", "[6, 7]", db=db)

    interop.wait_until(lambda: len(succeeded_ids(worker, "tasks.add", "9")) >= 2
                       and len(succeeded_ids(worker, "tasks.mul", "42")) >= 2, timeout=90,
                       message="two tasks.add(4, 5) (celery beat) and two tasks.mul(6, 7) (taskq beat) "
                               "successes in the Swift worker's log")
    assert celery_beat.alive(), celery_beat.tail()
    assert re.search(r"Scheduler: Sending due task py-beat-add \(tasks\.add\)", celery_beat.text())
    assert re.search(r"Scheduler: Sending due task swift-mul \(tasks\.mul\)", taskq_beat.text())
    # taskq beat only sends its own entries: celery beat's schedule lives in its own file.
    assert "py-beat-add" not in taskq_beat.text()
    listed = beat("list", "--json", db=db).stdout
    assert "swift-mul" in listed and "py-beat-add" not in listed

    adds = succeeded_ids(worker, "tasks.add", "9")
    muls = succeeded_ids(worker, "tasks.mul", "42")
    results = interop.read_results(rdb, adds + muls)
    assert set(results) == set(adds + muls)
    for task_id, meta in results.items():
        expected = 9 if task_id in adds else 42
        assert meta["status"] == "SUCCESS" and meta["result"] == expected, (task_id, meta)
    assert runs(rdb, "swift-mul")["last_task_id"]
    assert beat("remove", "swift-mul", db=db).returncode == 0


def test_taskq_beat_unregistered_task_on_python_worker(procs, db, rdb, celery_app):
    queue = "beat-nope"
    worker = procs.python_worker("py-nope", queues=queue)
    start_beat(procs, db)
    beat("add", "nope", "--task", "pytasks.nope", "--every", "1", "--queue", queue, db=db)

    worker.wait_for_log(r"Received unregistered task of type 'pytasks\.nope'", timeout=60)
    # Celery logs the message's headers: the beat's own headers made it through.
    worker.wait_for_log(r"'taskq_schedule': 'nope'", timeout=30)
    first = interop.wait_until(lambda: runs(rdb, "nope").get("last_task_id"), timeout=30,
                               message="a run record for 'nope'")
    meta = interop.wait_until(lambda: interop.read_results(rdb, [first]).get(first), timeout=30,
                              message=f"a result for {first}")
    assert meta["status"] == "FAILURE", meta
    assert meta["result"]["exc_type"] == "NotRegistered", meta
    # The beat keeps sending; the worker keeps rejecting (and is still up).
    sent = total_runs(rdb, "nope")
    interop.wait_until(lambda: total_runs(rdb, "nope") >= sent + 2, timeout=60, message="two more runs")
    assert worker.alive(), worker.tail()
    assert beat("remove", "nope", db=db).returncode == 0
