"""6. Messages in the shapes older Celery (5.4.0 / kombu 5.4.2) writes, and beat's 5.7 header.

celery-wire.md flags where 5.4 differs from 5.7 on the wire ([5.4]). The differences a
Swift worker meets as a *consumer* of other programs' writes are:

* Queue declare/bind by a 5.4 client: only `SADD _kombu.binding.<exchange>`; no
  `_kombu.binding_permanent.<exchange>` mirror (kombu 5.7 only, §1.7).
* Reply queues of a 5.4 `celery inspect` / `control` client: bound with the same plain
  SADD in `_kombu.binding.reply.celery.pidbox`, with no `_kombu.binding_deadlines` entry
  (5.7 binds them through a Lua script that also ZADDs a deadline, §1.7).
* Task headers: 5.4 writes the same protocol-v2 header set as 5.7 (§1.4); beat 5.7
  adds `celery_beat_task: true`, which 5.4 beat does not (§10).

The other [5.4] differences (Reject stores nothing, revoke stores REVOKED only when the
message is met, chord join without Lua, ZREVRANGEBYSCORE in the unacked sweep) are
worker- or sweep-side behaviour, not shapes a Swift worker has to read.

The messages are built by hand, byte for byte as celery-wire.md §1.2 / §6 shows them,
with plain redis-py (no kombu on the publishing path); a Celery 5.7 client reads the results.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import time
import uuid

import pytest

import interop

SEP = interop.SEP


@pytest.fixture(scope="module")
def swift(module_procs):
    return module_procs.swift_worker("compat", concurrency=1)


def celery54_task_message(task: str, args: list, kwargs: dict, task_id: str, beat57: bool = False) -> str:
    """The envelope a Celery 5.4.0 client (kombu 5.4.2 Redis transport) LPUSHes for send_task."""
    body = [args, kwargs, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}]
    headers = {
        "lang": "py", "task": task, "id": task_id, "shadow": None, "eta": None, "expires": None,
        "group": None, "group_index": None, "retries": 0, "timelimit": [None, None],
        "root_id": task_id, "parent_id": None,
        "argsrepr": repr(tuple(args)), "kwargsrepr": repr(kwargs),
        "origin": f"gen{os.getpid()}@{socket.gethostname()}",
        "ignore_result": False, "replaced_task_nesting": 0, "stamped_headers": None, "stamps": {},
    }
    if beat57:
        headers["celery_beat_task"] = True
    envelope = {
        "body": base64.b64encode(json.dumps(body).encode()).decode(),
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": headers,
        "properties": {
            "correlation_id": task_id,
            "reply_to": str(uuid.uuid4()),
            "delivery_mode": 2,
            "delivery_info": {"exchange": "", "routing_key": "celery"},
            "priority": 0,
            "body_encoding": "base64",
            "delivery_tag": str(uuid.uuid4()),
        },
    }
    return json.dumps(envelope)


def publish_like_kombu54(rdb, queue: str, envelope: str):
    """kombu 5.4.2's queue_declare (LLEN per priority list), queue_bind (plain SADD) and publish."""
    pipe = rdb.pipeline(transaction=True)
    for step in (0, 3, 6, 9):
        pipe.llen(interop.priority_list(queue, step))
    pipe.execute()
    pipe = rdb.pipeline(transaction=True)
    pipe.sadd(f"_kombu.binding.{queue}", f"{queue}{SEP}{SEP}{queue}")
    pipe.execute()
    rdb.lpush(queue, envelope)


@pytest.mark.parametrize("shape", ["client-5.4", "beat-5.4", "beat-5.7"])
def test_swift_worker_runs_celery54_shaped_message(swift, celery_app, rdb, shape):
    task_id = str(uuid.uuid4())
    # beat-5.4 is a plain send_task message (5.4 beat adds no header); beat-5.7 adds celery_beat_task.
    envelope = celery54_task_message("tasks.add", [2, 3], {}, task_id, beat57=(shape == "beat-5.7"))
    rdb.delete("_kombu.binding_permanent.celery")  # what a 5.4-only deployment has: no permanent mirror
    publish_like_kombu54(rdb, "celery", envelope)
    result = celery_app.AsyncResult(task_id)
    assert result.get(timeout=30) == 5
    record = json.loads(rdb.get(f"celery-task-meta-{task_id}"))
    assert record["status"] == "SUCCESS" and record["result"] == 5 and record["task_id"] == task_id, record
    interop.wait_until(lambda: task_id not in str(rdb.hvals("unacked")), 15, interval=0.25,
                       message=f"{task_id} to be acked (gone from `unacked`)")


def test_swift_worker_runs_celery54_kwargs_and_failure(swift, celery_app, rdb):
    ok_id, bad_id = str(uuid.uuid4()), str(uuid.uuid4())
    publish_like_kombu54(rdb, "celery", celery54_task_message("tasks.add", [], {"x": 40, "y": 2}, ok_id))
    publish_like_kombu54(rdb, "celery", celery54_task_message("tasks.fail", ["old client"], {}, bad_id))
    assert celery_app.AsyncResult(ok_id).get(timeout=30) == 42
    bad = celery_app.AsyncResult(bad_id)
    with pytest.raises(Exception) as excinfo:
        bad.get(timeout=30)
    assert "old client" in str(excinfo.value)
    assert bad.state == "FAILURE"


def test_swift_worker_replies_to_celery54_control_client(swift, rdb, db):
    """A 5.4 `celery inspect ping -d node`: reply queue bound by plain SADD, no binding deadline."""
    oid = str(uuid.uuid4())
    ticket = str(uuid.uuid4())
    reply_queue = f"{oid}.reply.celery.pidbox"
    rdb.delete("_kombu.binding_deadlines")
    rdb.sadd("_kombu.binding.reply.celery.pidbox", f"{oid}{SEP}{SEP}{reply_queue}")
    body = {"method": "ping", "arguments": {}, "destination": [swift.nodename], "pattern": None, "matcher": None,
            "ticket": ticket, "reply_to": {"exchange": "reply.celery.pidbox", "routing_key": oid}}
    envelope = {
        "body": base64.b64encode(json.dumps(body).encode()).decode(),
        "content-encoding": "utf-8", "content-type": "application/json",
        "headers": {"clock": 1, "expires": time.time() + 10},
        "properties": {"delivery_mode": 2, "delivery_info": {"exchange": "celery.pidbox", "routing_key": ""},
                       "priority": 0, "body_encoding": "base64", "delivery_tag": str(uuid.uuid4())},
    }
    try:
        receivers = rdb.publish(f"/{db}.celery.pidbox", json.dumps(envelope))
        assert receivers >= 1, "nobody subscribed to the pidbox channel"
        popped = rdb.brpop([reply_queue], timeout=10)
        assert popped is not None, f"no reply in {reply_queue} within 10 s"
        reply = interop.decode_envelope(popped[1])
        assert reply["headers"]["ticket"] == ticket, reply["headers"]
        assert reply["decoded_body"] == {swift.nodename: {"ok": "pong"}}, reply["decoded_body"]
    finally:
        rdb.srem("_kombu.binding.reply.celery.pidbox", f"{oid}{SEP}{SEP}{reply_queue}")
        rdb.delete(reply_queue)


def test_revoke_stores_revoked_at_once_like_celery57(swift, celery_app, rdb, db):
    """celery-wire.md §7: "Celery 5.7 workers additionally store REVOKED immediately [...] [5.4] only
    stores it when the message is met." A client polling `state` after `revoke` sees the difference."""
    waiting = celery_app.send_task("tasks.add", (5, 5), countdown=15)
    interop.wait_until(lambda: rdb.llen("celery") == 0, 10, interval=0.25,
                       message="the worker to take the countdown task off the queue")
    celery_app.control.revoke(waiting.id, destination=[swift.nodename], reply=True, timeout=10)
    try:
        interop.wait_until(lambda: waiting.state == "REVOKED", 5, interval=0.25,
                           message=f"REVOKED stored at once (state {waiting.state}, countdown 15 s)")
    finally:
        # Either way the task must never run.
        assert waiting.state != "SUCCESS"
