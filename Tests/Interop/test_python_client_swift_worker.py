"""1. A Python Celery 5 client calls tasks that a Swift (TaskQ) worker runs."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from celery import chain
from celery.exceptions import TaskRevokedError

import interop
import pytasks


@pytest.fixture(scope="module")
def swift(module_procs):
    """The Swift worker on the default queue `celery`."""
    return module_procs.swift_worker("swift", concurrency=2)


def test_send_task_add_returns_5(swift, celery_app, events):
    result = celery_app.send_task("tasks.add", (2, 3))
    assert result.get(timeout=10) == 5
    assert result.state == "SUCCESS"
    assert result.successful()
    # It was the Swift worker that ran it (Celery's task-succeeded event from its node name).
    succeeded = events.wait_for(lambda e: e.get("type") == "task-succeeded" and e.get("uuid") == result.id,
                                message="task-succeeded event")
    assert succeeded[0]["hostname"] == swift.nodename


def test_delay_of_registered_stub(swift, celery_app):
    assert celery_app.swift.add.delay(20, 22).get(timeout=10) == 42
    assert celery_app.swift.mul.apply_async((6, 7)).get(timeout=10) == 42


def test_kwargs_only_call(swift, celery_app):
    assert celery_app.send_task("tasks.add", kwargs={"x": 40, "y": 2}).get(timeout=10) == 42
    # Mixed positional + keyword.
    assert celery_app.send_task("tasks.add", (40,), {"y": 3}).get(timeout=10) == 43
    # A task that takes **kwargs gets them back.
    assert celery_app.send_task("tasks.echo", kwargs={"a": 1, "b": [1, 2], "c": {"d": None}}).get(timeout=10) == \
        {"a": 1, "b": [1, 2], "c": {"d": None}}


def test_list_argument_and_json_types(swift, celery_app):
    assert celery_app.send_task("tasks.xsum", ([1, 2, 3, 4],)).get(timeout=10) == 10
    assert celery_app.send_task("tasks.sleep", (0.01,)).get(timeout=10) == pytest.approx(0.01)


def test_failure_raises_swift_error_type_and_message(swift, celery_app):
    result = celery_app.send_task("tasks.fail", ("something broke",))
    with pytest.raises(Exception) as excinfo:
        result.get(timeout=10)
    exc = excinfo.value
    assert type(exc).__name__ == "DemoError"
    assert str(exc) == "something broke"
    assert exc.args == ("something broke",)
    assert result.state == "FAILURE"
    assert result.failed()
    assert isinstance(result.traceback, str) and result.traceback
    assert "DemoError" in result.traceback
    # The stored record follows Celery's exception layout.
    meta = celery_app.backend.get_task_meta(result.id)
    assert meta["status"] == "FAILURE"
    assert isinstance(result.result, Exception)


def test_failure_stored_record_shape(swift, celery_app, rdb):
    result = celery_app.send_task("tasks.fail", ("shape check",))
    with pytest.raises(Exception):
        result.get(timeout=10)
    record = interop.read_results(rdb, [result.id])[result.id]
    assert record["status"] == "FAILURE"
    assert record["task_id"] == result.id
    assert record["result"] == {"exc_type": "DemoError", "exc_message": ["shape check"], "exc_module": "tasks"}
    assert isinstance(record["traceback"], str)
    assert record["children"] == []
    datetime.fromisoformat(record["date_done"])  # ISO-8601
    assert rdb.ttl(f"celery-task-meta-{result.id}") > 3600


def test_unknown_task_is_not_registered(swift, celery_app):
    result = celery_app.send_task("tasks.no_such_task", (1,))
    with pytest.raises(Exception) as excinfo:
        result.get(timeout=10)
    assert type(excinfo.value).__name__ == "NotRegistered"
    assert result.state == "FAILURE"


def test_countdown_is_honoured(swift, celery_app):
    sent = datetime.now(timezone.utc)
    result = celery_app.send_task("tasks.add", (1, 1), countdown=3)
    time.sleep(1.5)
    assert result.state == "PENDING", "countdown=3 task ran before its eta"
    assert result.get(timeout=20) == 2
    assert result.date_done is not None
    done = result.date_done if result.date_done.tzinfo else result.date_done.replace(tzinfo=timezone.utc)
    assert done >= sent + timedelta(seconds=2.9), f"ran at {done}, eta was {sent + timedelta(seconds=3)}"


def test_eta_is_honoured(swift, celery_app):
    eta = datetime.now(timezone.utc) + timedelta(seconds=3)
    result = celery_app.send_task("tasks.mul", (3, 4), eta=eta)
    time.sleep(1.5)
    assert result.state == "PENDING", "eta task ran early"
    assert result.get(timeout=20) == 12
    done = result.date_done if result.date_done.tzinfo else result.date_done.replace(tzinfo=timezone.utc)
    assert done >= eta - timedelta(seconds=0.1), f"ran at {done}, eta was {eta}"


def test_expires_in_the_past_is_revoked(swift, celery_app, rdb):
    result = celery_app.send_task("tasks.add", (1, 2), expires=datetime.now(timezone.utc) - timedelta(seconds=30))
    with pytest.raises(TaskRevokedError):
        result.get(timeout=10)
    assert result.state == "REVOKED"
    record = interop.read_results(rdb, [result.id])[result.id]
    assert record["result"] == {"exc_type": "TaskRevokedError", "exc_message": ["expired"],
                                "exc_module": "celery.exceptions"}


def test_expires_before_countdown_is_revoked(swift, celery_app):
    result = celery_app.send_task("tasks.add", (1, 2), countdown=3, expires=1)
    with pytest.raises(TaskRevokedError):
        result.get(timeout=20)
    assert result.state == "REVOKED"


def test_priority_9_routes_to_priority_list(swift, celery_app):
    assert celery_app.send_task("tasks.add", (4, 5), priority=9).get(timeout=10) == 9
    assert celery_app.send_task("tasks.add", (4, 6), priority=5).get(timeout=10) == 10


def test_priority_order_on_redis(procs, celery_app, rdb, db):
    """Lower number first (kombu's Redis semantics): a priority-0 message overtakes priority-9 ones."""
    queue = f"prio-{uuid.uuid4().hex[:8]}"
    low = [celery_app.send_task("tasks.sleep", (0.2,), queue=queue, priority=9) for _ in range(4)]
    high = celery_app.send_task("tasks.sleep", (0.2,), queue=queue, priority=0)
    assert rdb.llen(interop.priority_list(queue, 9)) == 4
    assert rdb.llen(queue) == 1
    procs.swift_worker("prio", queues=queue, concurrency=1, extra=["--prefetch-multiplier", "1"])
    assert high.get(timeout=20) == pytest.approx(0.2)
    for r in low:
        r.get(timeout=20)
    assert all(high.date_done <= r.date_done for r in low), \
        f"priority 0 done at {high.date_done}, priority 9 at {[r.date_done for r in low]}"


def test_custom_queue_routes_to_queue_worker(swift, module_procs, celery_app, events, rdb):
    other = module_procs.swift_worker("other", queues="other", concurrency=1)
    result = celery_app.send_task("tasks.add", (7, 8), queue="other")
    assert result.get(timeout=10) == 15
    received = events.wait_for(lambda e: e.get("type") == "task-received" and e.get("uuid") == result.id,
                               message="task-received")
    assert received[0]["hostname"] == other.nodename, "the -Q other worker did not run the task"
    # Also via a routing rule (task_routes) in a client app configured with it.
    routed_app = pytasks.make_app(celery_app.conf.broker_url, name="routed-client")
    routed_app.conf.task_routes = {"tasks.mul": {"queue": "other"}}
    try:
        routed = routed_app.send_task("tasks.mul", (2, 8))
        assert routed.get(timeout=10) == 16
        received = events.wait_for(lambda e: e.get("type") == "task-received" and e.get("uuid") == routed.id,
                                   message="task-received")
        assert received[0]["hostname"] == other.nodename
    finally:
        routed_app.close()
    assert other.terminate() == 0


def test_chain_runs_on_swift_worker(swift, celery_app):
    add, mul = celery_app.swift.add, celery_app.swift.mul
    result = chain(add.s(1, 2), mul.s(3)).apply_async()
    assert result.get(timeout=20) == 9
    assert result.parent is not None
    assert result.parent.get(timeout=10) == 3


def test_longer_chain_with_stub_signature(swift, celery_app):
    add, mul = celery_app.swift.add, celery_app.swift.mul
    xsum = celery_app.swift.xsum
    # xsum receives the previous result as its `numbers`: build it last with an immutable list step.
    result = chain(add.s(1, 2), mul.s(3), add.s(4)).apply_async()
    assert result.get(timeout=20) == 13
    assert xsum.clone(([5, 6],)).apply_async().get(timeout=10) == 11


def test_link_callback(swift, celery_app):
    add, mul = celery_app.swift.add, celery_app.swift.mul
    callback_id = str(uuid.uuid4())
    first = add.apply_async((2, 2), link=mul.s(10).set(task_id=callback_id))
    assert first.get(timeout=10) == 4
    assert celery_app.AsyncResult(callback_id).get(timeout=10) == 40


def test_flaky_retry_states_like_celery(swift, celery_app, db, events):
    """tasks.flaky(2): RETRY, RETRY, SUCCESS on the result channel, like a Celery autoretry task."""
    task_id = str(uuid.uuid4())
    watcher = interop.ResultWatcher(db, task_id)
    try:
        result = celery_app.send_task("tasks.flaky", (2,), task_id=task_id)
        records = watcher.collect(timeout=30)
    finally:
        watcher.close()
    states = [r["status"] for r in records]
    assert states == ["RETRY", "RETRY", "SUCCESS"], states
    for record in records[:2]:
        assert record["task_id"] == task_id
        assert record["result"]["exc_type"] == "FlakyError"
        assert isinstance(record["result"]["exc_message"], list)
        assert isinstance(record["traceback"], str)
    assert records[2]["result"] == 2
    assert result.get(timeout=10) == 2
    assert result.state == "SUCCESS"
    retried = [e for e in events.for_task(task_id) if e["type"] == "task-retried"]
    assert len(retried) == 2
    received = [e for e in events.for_task(task_id) if e["type"] == "task-received"]
    assert [e.get("retries") for e in received] == [0, 1, 2]


def test_flaky_state_transitions_via_asyncresult(swift, celery_app):
    result = celery_app.send_task("tasks.flaky", (3,))
    seen = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = result.state
        if not seen or seen[-1] != state:
            seen.append(state)
        if state in interop.READY_STATES:
            break
        time.sleep(0.02)
    assert seen[-1] == "SUCCESS", seen
    assert "RETRY" in seen, seen
    assert result.get(timeout=5) == 3


def test_always_fails_ends_in_failure_after_retries(swift, celery_app, db):
    task_id = str(uuid.uuid4())
    watcher = interop.ResultWatcher(db, task_id)
    try:
        result = celery_app.send_task("tasks.always_fails", task_id=task_id)
        records = watcher.collect(timeout=30)
    finally:
        watcher.close()
    assert [r["status"] for r in records] == ["RETRY", "RETRY", "RETRY", "FAILURE"]
    with pytest.raises(Exception):
        result.get(timeout=5)
    assert result.state == "FAILURE"
    assert isinstance(result.traceback, str)
    print("always_fails final record:", records[-1]["result"])


@pytest.mark.xfail(strict=True, reason="TaskQ stores MaxRetriesExceededError(\"Can't retry ...\", {exc dict}) when "
                   "autoretry gives up; Celery re-raises the original exception (FlakyError)")
def test_autoretry_exhausted_reraises_original_exception(swift, celery_app):
    """Celery: when autoretry_for gives up (retries > max_retries) the task fails with the
    *original* exception (checked: a Celery 5.7 worker stores exc_type FlakyError, and
    parent_id = its own id), not MaxRetriesExceededError."""
    result = celery_app.send_task("tasks.always_fails")
    with pytest.raises(Exception) as excinfo:
        result.get(timeout=30)
    assert type(excinfo.value).__name__ == "FlakyError"


def test_traceback_is_string_for_failures(swift, celery_app):
    result = celery_app.send_task("tasks.fail", ("tb",))
    result.get(timeout=10, propagate=False)
    assert result.state == "FAILURE"
    assert isinstance(result.traceback, str)
    assert result.traceback.startswith("Traceback")
    ok = celery_app.send_task("tasks.add", (1, 1))
    ok.get(timeout=10)
    assert ok.traceback is None


def test_crash_is_worker_lost(swift, celery_app):
    result = celery_app.send_task("tasks.crash")
    with pytest.raises(Exception) as excinfo:
        result.get(timeout=20)
    assert type(excinfo.value).__name__ == "WorkerLostError"
    # The worker replaced its child and carries on.
    assert celery_app.send_task("tasks.add", (2, 2)).get(timeout=10) == 4


def test_group_results(swift, celery_app):
    from celery import group
    add = celery_app.swift.add
    result = group(add.s(i, i) for i in range(5)).apply_async()
    assert result.get(timeout=20) == [0, 2, 4, 6, 8]


def test_chord_with_xsum_callback(swift, celery_app, rdb):
    from celery import chord
    add = celery_app.swift.add
    result = chord([add.s(1, 1), add.s(2, 2), add.s(3, 3)], celery_app.swift.xsum)()
    assert result.get(timeout=15) == 12
    group_id = result.parent.id
    # The join cleans up after itself, as Celery's does.
    assert not rdb.exists(f"celery-taskset-meta-{group_id}.j")
    assert rdb.get(f"celery-taskset-meta-{group_id}.c") == b"done"


def test_chord_with_failing_header_fails_callback(swift, celery_app, rdb):
    """Celery's client raises the header's own error (it follows the parents first); the
    callback itself is stored FAILURE with ChordError, as a Celery worker stores it."""
    from celery import chord
    swift_tasks = celery_app.swift
    result = chord([swift_tasks.add.s(1, 1), swift_tasks.fail.clone(("header broke",))], swift_tasks.xsum)()
    with pytest.raises(Exception, match="header broke"):
        result.get(timeout=15)
    deadline = time.monotonic() + 15
    while rdb.get(f"celery-task-meta-{result.id}") is None and time.monotonic() < deadline:
        time.sleep(0.05)
    record = json.loads(rdb.get(f"celery-task-meta-{result.id}"))
    assert record["status"] == "FAILURE"
    assert record["result"]["exc_type"] == "ChordError"
    assert "header broke" in record["result"]["exc_message"][0]


def test_link_error_errback(swift, celery_app):
    """link_error: on failure the errback signature is published and runs.

    Reference (checked against a Celery 5.7 Python worker): an errback whose task is not
    registered in the failing worker is sent as a task with args (failed_id, *args), or its
    own args when immutable, and its options' task_id.
    """
    errback_id = str(uuid.uuid4())
    failing = celery_app.swift.fail.clone(("errback please",))
    errback = celery_app.swift.xsum.clone(([100, 1],)).set(task_id=errback_id, immutable=True)
    result = failing.apply_async(link_error=errback)
    with pytest.raises(Exception):
        result.get(timeout=10)
    assert celery_app.AsyncResult(errback_id).get(timeout=10) == 101


def test_ignore_result(swift, celery_app, rdb, events):
    result = celery_app.send_task("tasks.add", (1, 1), ignore_result=True)
    events.wait_for(lambda e: e.get("type") == "task-succeeded" and e.get("uuid") == result.id,
                    message="task-succeeded")
    assert rdb.get(f"celery-task-meta-{result.id}") is None


def test_eta_task_received_event_once(swift, celery_app, events):
    result = celery_app.send_task("tasks.add", (7, 8), countdown=1)
    assert result.get(timeout=20) == 15
    time.sleep(0.5)
    received = [e for e in events.for_task(result.id) if e["type"] == "task-received"]
    assert len(received) == 1, f"task-received {len(received)} times"


def _kill_and_restart(procs, celery_app, restart_name: str) -> tuple[list, float]:
    """A Swift worker (acks late) is SIGKILLed holding 3 messages and restarted as `restart_name`."""
    queue = f"phoenix-{uuid.uuid4().hex[:6]}"
    extra = ["--visibility-timeout", "3", "--acks-late"]
    worker = procs.swift_worker("phoenix", queues=queue, concurrency=1, extra=extra)
    results = [celery_app.send_task("tasks.sleep", (1.0,), queue=queue) for _ in range(3)]
    time.sleep(0.5)
    worker.kill()
    worker.reap_group()
    killed = time.monotonic()
    procs.swift_worker(restart_name, queues=queue, concurrency=1, extra=extra)
    for r in results:
        try:
            r.get(timeout=max(1, 25 - (time.monotonic() - killed)))
        except Exception:
            pass
    return [r.state for r in results], time.monotonic() - killed


def test_killed_swift_worker_restored_by_other_node(procs, celery_app):
    """SIGKILL with messages held (acks late): another TaskQ node restores them after --visibility-timeout."""
    states, took = _kill_and_restart(procs, celery_app, "phoenix2")
    interop.record("swift: kill -> 3 held tasks done, restarted as another node (s)", round(took, 1))
    assert states == ["SUCCESS"] * 3


def test_killed_swift_worker_restored_after_same_name_restart(procs, celery_app):
    """The usual deployment: the crashed worker comes back with the same node name."""
    states, took = _kill_and_restart(procs, celery_app, "phoenix")
    interop.record("swift: kill -> 3 held tasks done, restarted under the same name (s)", round(took, 1))
    assert states == ["SUCCESS"] * 3
