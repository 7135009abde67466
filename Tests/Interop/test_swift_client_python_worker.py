"""2. The Swift client (`taskq call` / `taskq result`) talks to a Python Celery worker."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

import interop


@pytest.fixture(scope="module")
def python_worker(module_procs):
    """A real Celery worker (solo pool, task events on) consuming `celery` and `pyq`."""
    return module_procs.python_worker("py", queues="celery,pyq", extra=["-E"])


def call(db, *args, timeout=60):
    return interop.taskq("call", *args, db=db, timeout=timeout)


def test_taskq_call_wait_python_mul(python_worker, db):
    out = call(db, "pytasks.mul", "--args", "[6,7]", "--wait", "--timeout", "20")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "42"
    assert "pytasks.mul" in python_worker.text()


def test_taskq_call_kwargs(python_worker, db):
    out = call(db, "pytasks.mul", "--kwargs", '{"x": 6, "y": 8}', "--wait", "--timeout", "20")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "48"


def test_taskq_call_json_round_trip(python_worker, db):
    args = [1, "two", [3, 4.5], {"k": None}, True, None, "ünïcødé ✓"]
    kwargs = {"a": {"nested": [1, {"b": 2}]}, "flag": False}
    out = call(db, "pytasks.echo", "--args", json.dumps(args), "--kwargs", json.dumps(kwargs), "--wait",
               "--timeout", "20")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"args": args, "kwargs": kwargs}


def test_python_exception_comes_back(python_worker, db):
    out = call(db, "pytasks.boom", "--args", '["bad input"]', "--wait", "--timeout", "20")
    assert out.returncode == 1, (out.stdout, out.stderr)
    assert "FAILURE: ValueError: bad input" in out.stderr
    # The Python traceback text, as the Python worker stored it.
    assert "Traceback (most recent call last)" in out.stderr
    assert "raise ValueError(msg)" in out.stderr
    assert "pytasks.py" in out.stderr


def test_not_registered_in_python(python_worker, db):
    out = call(db, "pytasks.no_such_task", "--wait", "--timeout", "20")
    assert out.returncode == 1
    assert "NotRegistered" in out.stderr


def test_taskq_call_prints_id_then_result(python_worker, db):
    out = call(db, "pytasks.mul", "--args", "[3,3]")
    assert out.returncode == 0, out.stderr
    task_id = out.stdout.strip()
    uuid.UUID(task_id)
    waited = interop.taskq("result", task_id, "--wait", "--timeout", "20", db=db)
    assert waited.returncode == 0, waited.stderr
    assert waited.stdout.strip() == "9"


def test_countdown_to_python_worker(python_worker, db, rdb):
    sent = datetime.now(timezone.utc)
    out = call(db, "pytasks.mul", "--args", "[2,21]", "--countdown", "3")
    assert out.returncode == 0, out.stderr
    task_id = out.stdout.strip()
    time.sleep(1.5)
    assert rdb.get(f"celery-task-meta-{task_id}") is None, "ran before its countdown"
    waited = interop.taskq("result", task_id, "--wait", "--timeout", "20", db=db)
    assert waited.stdout.strip() == "42", waited.stderr
    record = interop.read_results(rdb, [task_id])[task_id]
    assert datetime.fromisoformat(record["date_done"]) >= sent + timedelta(seconds=2.9)


def test_queue_and_priority_to_python_worker(python_worker, db):
    out = call(db, "pytasks.mul", "--args", "[5,5]", "--queue", "pyq", "--wait", "--timeout", "20")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "25"
    out = call(db, "pytasks.mul", "--args", "[5,6]", "--priority", "9", "--wait", "--timeout", "20")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "30"


def test_swift_reads_result_written_by_python(python_worker, celery_app, db):
    result = celery_app.send_task("pytasks.mul", (7, 6))
    assert result.get(timeout=20) == 42
    out = interop.taskq("result", result.id, "--wait", "--timeout", "10", db=db)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "42"


def test_python_worker_events_show_swift_sent_task(python_worker, db, events):
    out = call(db, "pytasks.mul", "--args", "[4,5]", "--wait", "--timeout", "20")
    assert out.stdout.strip() == "20", out.stderr
    received = events.wait_for(lambda e: e.get("type") == "task-received" and e.get("name") == "pytasks.mul"
                               and e.get("args") == "(4, 5)", message="task-received for the Swift-sent task")
    assert received[0]["hostname"] == python_worker.nodename


def test_envelope_matches_celery_layout(db, rdb):
    """The raw message `taskq call` LPUSHes, compared with Celery 5.7's send_task envelope."""
    queue = f"hold-{uuid.uuid4().hex[:8]}"
    out = call(db, "pytasks.mul", "--args", "[2,3]", "--kwargs", '{"z": 1}', "--queue", queue, "--countdown", "60")
    assert out.returncode == 0, out.stderr
    task_id = out.stdout.strip()
    raw = rdb.lrange(queue, 0, -1)
    assert len(raw) == 1, f"expected one message in list {queue!r}; keys: {rdb.keys('*')}"
    envelope = interop.decode_envelope(raw[0])
    assert envelope["content-type"] == "application/json"
    assert envelope["content-encoding"] == "utf-8"
    headers = envelope["headers"]
    for key in ("lang", "task", "id", "root_id", "parent_id", "retries", "eta", "expires", "timelimit",
                "argsrepr", "kwargsrepr", "origin", "ignore_result", "group", "shadow"):
        assert key in headers, f"header {key!r} missing: {headers}"
    assert headers["task"] == "pytasks.mul"
    assert headers["id"] == task_id
    assert headers["root_id"] == task_id
    assert headers["retries"] == 0
    assert headers["argsrepr"] == "(2, 3)"
    assert headers["kwargsrepr"] == "{'z': 1}"
    eta = datetime.fromisoformat(headers["eta"])
    assert eta.tzinfo is not None
    assert 50 < (eta - datetime.now(timezone.utc)).total_seconds() <= 61
    props = envelope["properties"]
    assert props["correlation_id"] == task_id
    assert props["delivery_info"] == {"exchange": "", "routing_key": queue}
    assert props["body_encoding"] == "base64"
    assert props["priority"] == 0
    uuid.UUID(props["delivery_tag"])
    assert envelope["decoded_body"] == [[2, 3], {"z": 1},
                                        {"callbacks": None, "errbacks": None, "chain": None, "chord": None}]
    # Celery's own client, for comparison: the same header and property key sets.
    from celery import Celery
    app = Celery("cmp", broker=interop.url_for_db(db), set_as_current=False)
    try:
        app.send_task("pytasks.mul", (2, 3), {"z": 1}, queue=queue, countdown=60)
    finally:
        app.close()
    celery_env = interop.decode_envelope(rdb.lrange(queue, 0, 0)[0])
    missing_headers = set(celery_env["headers"]) - set(headers) - {"stamped_headers", "stamps",
                                                                    "replaced_task_nesting"}
    assert not missing_headers, f"headers Celery sends that taskq does not: {missing_headers}"
    assert set(celery_env["properties"]) - set(props) <= {"reply_to"}
    # Priority goes to kombu's priority list.
    out = call(db, "pytasks.mul", "--args", "[1,1]", "--queue", queue, "--priority", "5")
    assert rdb.llen(interop.priority_list(queue, 5)) == 1
    prio_env = interop.decode_envelope(rdb.lrange(interop.priority_list(queue, 5), 0, 0)[0])
    assert prio_env["properties"]["priority"] == 5
    assert base64.b64decode(json.loads(rdb.lrange(queue, 0, 0)[0])["body"])  # still valid base64
