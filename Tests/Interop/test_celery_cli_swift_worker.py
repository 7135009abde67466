"""5. The `celery` command line (pidbox remote control) against a Swift worker.

`celery -A pytasks -b URL inspect|control ...` broadcasts on `/{db}.celery.pidbox`
and waits for replies in its `<oid>.reply.celery.pidbox` list; the Swift worker has
to answer in Celery's shapes, and `control` commands have to take effect.
Every call names the Swift node with `-d`, so the CLI returns as soon as it replied
(and a generous `-t` covers a slow debug build).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import datetime

import pytest

import interop

REPLY_TIMEOUT = "10"  # seconds the CLI waits for the (single, -d) reply


def celery_cmd(*args: str, db: int, timeout: float = 60):
    """`celery -A pytasks -b URL --result-backend URL <args>` (cwd Tests/Interop)."""
    return interop.celery_cli("-A", "pytasks", *args, db=db, timeout=timeout)


def remote_json(kind: str, command: str, *args: str, node: str, db: int) -> dict:
    """`celery inspect|control <command> <args> -d node --json` -> {node: reply}."""
    result = celery_cmd(kind, command, *args, "-d", node, "-t", REPLY_TIMEOUT, "--json", db=db)
    out = result.stdout.strip()
    assert result.returncode == 0 and out, (f"celery {kind} {command} exited {result.returncode}\n"
                                            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    parsed = json.loads(out.splitlines()[-1])
    if isinstance(parsed, list):  # `control --json` prints the list of replies
        merged = {}
        for reply in parsed:
            merged.update(reply)
        parsed = merged
    return parsed


@pytest.fixture(scope="module")
def swift(module_procs):
    return module_procs.swift_worker("cliw", concurrency=2)


def test_inspect_ping_text_and_json(swift, db):
    text = celery_cmd("inspect", "ping", "-d", swift.nodename, "-t", REPLY_TIMEOUT, db=db)
    assert text.returncode == 0, text.stderr
    assert re.search(rf"->\s+{re.escape(swift.nodename)}: OK", text.stdout), text.stdout
    assert "pong" in text.stdout
    assert "1 node online." in text.stdout, text.stdout
    # Without -d: a broadcast to every node; the Swift node is among the repliers.
    replies = celery_cmd("inspect", "ping", "-t", "3", "--json", db=db)
    assert replies.returncode == 0, replies.stderr
    assert json.loads(replies.stdout.strip().splitlines()[-1]) == {swift.nodename: {"ok": "pong"}}


def test_inspect_registered(swift, db):
    replies = remote_json("inspect", "registered", node=swift.nodename, db=db)
    names = [entry.split(" ")[0] for entry in replies[swift.nodename]]
    assert "tasks.add" in names and "tasks.sleep" in names, names
    # Celery appends task attributes in brackets: "tasks.limited [rate_limit=10/s]".
    assert any(e.startswith("tasks.limited [") and "rate_limit=" in e for e in replies[swift.nodename]), replies


def test_inspect_active_shows_running_task(swift, celery_app, db):
    running = celery_app.send_task("tasks.sleep", (4,))

    def active_ids():
        reply = remote_json("inspect", "active", node=swift.nodename, db=db)[swift.nodename]
        return reply if any(item.get("id") == running.id for item in reply) else None

    active = interop.wait_until(active_ids, 20, interval=0.5, message=f"{running.id} in inspect active")
    item = next(i for i in active if i["id"] == running.id)
    assert item["name"] == "tasks.sleep", item
    assert item["hostname"] == swift.nodename, item
    assert item["args"] in ([4], "(4,)", "[4]"), item
    assert item["delivery_info"]["routing_key"] == "celery", item
    assert isinstance(item["time_start"], (int, float)) and item["time_start"] > 0, item
    assert running.get(timeout=30) == 4


def test_inspect_stats(swift, celery_app, db):
    assert celery_app.send_task("tasks.add", (1, 2)).get(timeout=30) == 3
    stats = remote_json("inspect", "stats", node=swift.nodename, db=db)[swift.nodename]
    assert stats["total"].get("tasks.add", 0) >= 1, stats["total"]
    assert stats["pid"] == swift.pid, stats
    assert stats["pool"]["max-concurrency"] == 2, stats["pool"]
    assert stats["broker"]["transport"] == "redis", stats["broker"]
    assert stats["broker"]["hostname"] == "127.0.0.1", stats["broker"]
    assert isinstance(stats["uptime"], (int, float)), stats
    assert stats["prefetch_count"] >= 2, stats
    assert "rusage" in stats, stats


def _done_times(rdb, ids: list[str], timeout: float) -> list[float]:
    found = interop.wait_until(lambda: (lambda r: r if len(r) == len(ids) else None)(interop.read_results(rdb, ids)),
                               timeout, interval=0.25, message=f"{len(ids)} results")
    assert all(r["status"] == "SUCCESS" for r in found.values()), found
    return sorted(datetime.fromisoformat(r["date_done"]).timestamp() for r in found.values())


def test_control_rate_limit_is_applied(swift, celery_app, rdb, db):
    n = 20
    free = [celery_app.send_task("tasks.add", (i, i)).id for i in range(n)]
    free_times = _done_times(rdb, free, 120)
    reply = remote_json("control", "rate_limit", "tasks.add", "5/s", node=swift.nodename, db=db)
    assert reply == {swift.nodename: {"ok": "new rate limit set successfully"}}, reply
    try:
        limited = [celery_app.send_task("tasks.add", (i, 1)).id for i in range(n)]
        times = _done_times(rdb, limited, 120)
        spread, free_spread = times[-1] - times[0], free_times[-1] - free_times[0]
        interop.record("cli: 20 tasks.add completion spread, no limit / 5/s (s)",
                       [round(free_spread, 2), round(spread, 2)])
        # 5/s with a bucket of one token: 19 gaps of 0.2 s = 3.8 s between the first and last completion.
        assert spread >= 3.0, f"20 tasks.add finished within {spread:.2f}s under rate_limit 5/s"
    finally:
        off = remote_json("control", "rate_limit", "tasks.add", "0", node=swift.nodename, db=db)
    assert off == {swift.nodename: {"ok": "rate limit disabled successfully"}}, off


def test_control_revoke_countdown_task_never_runs(swift, celery_app, rdb, db, events):
    result = celery_app.send_task("tasks.add", (40, 2), countdown=4)
    reply = remote_json("control", "revoke", result.id, node=swift.nodename, db=db)
    assert "ok" in reply[swift.nodename] and result.id in reply[swift.nodename]["ok"], reply
    interop.wait_until(lambda: result.state == "REVOKED", 30, interval=0.25,
                       message=f"REVOKED state for {result.id} (now {result.state})")
    time.sleep(6)  # well past the countdown: it must still not have run
    record = json.loads(rdb.get(f"celery-task-meta-{result.id}"))
    assert record["status"] == "REVOKED", record
    assert record["result"]["exc_type"] == "TaskRevokedError", record
    ran = [e["type"] for e in events.for_task(result.id) if e["type"] in ("task-started", "task-succeeded")]
    assert not ran, f"revoked task ran anyway: {ran}"
    with pytest.raises(Exception) as excinfo:
        result.get(timeout=5)
    assert type(excinfo.value).__name__ == "TaskRevokedError"


def test_control_shutdown_stops_swift_worker(procs, db):
    worker = procs.swift_worker(f"doomed{uuid.uuid4().hex[:4]}", concurrency=1)
    result = celery_cmd("control", "shutdown", "-d", worker.nodename, "-t", "2", db=db)
    # Celery workers send no reply to shutdown, so the CLI may say "No nodes replied".
    try:
        code = worker.wait(timeout=30)
    except Exception:
        raise AssertionError(f"Swift worker still running 30 s after `celery control shutdown`\n"
                             f"cli: {result.returncode} {result.stdout} {result.stderr}\n{worker.tail()}")
    assert code == 0, f"exit code {code}\n{worker.tail()}"


def test_inspect_scheduled_lists_countdown_task(swift, celery_app, db):
    waiting = celery_app.send_task("tasks.add", (7, 7), countdown=20)
    try:
        def scheduled():
            reply = remote_json("inspect", "scheduled", node=swift.nodename, db=db)[swift.nodename]
            return reply if any((e.get("request") or {}).get("id") == waiting.id for e in reply) else None

        entries = interop.wait_until(scheduled, 8, interval=0.5, message=f"{waiting.id} in inspect scheduled")
        entry = next(e for e in entries if e["request"]["id"] == waiting.id)
        assert entry["request"]["name"] == "tasks.add"
        assert datetime.fromisoformat(entry["eta"]).timestamp() > time.time()
    finally:
        celery_cmd("control", "revoke", waiting.id, "-d", swift.nodename, "-t", REPLY_TIMEOUT, db=db)


def test_inspect_query_task_reports_scheduled_task(swift, celery_app, db):
    waiting = celery_app.send_task("tasks.add", (8, 8), countdown=20)
    try:
        def known():
            reply = remote_json("inspect", "query_task", waiting.id, node=swift.nodename, db=db)[swift.nodename]
            return reply.get(waiting.id)

        state, info = interop.wait_until(known, 8, interval=0.5, message=f"query_task {waiting.id}")
        assert state == "scheduled", state
        assert info["id"] == waiting.id and info["name"] == "tasks.add", info
    finally:
        celery_cmd("control", "revoke", waiting.id, "-d", swift.nodename, "-t", REPLY_TIMEOUT, db=db)


def test_inspect_query_task_reports_active_task(swift, celery_app, db):
    running = celery_app.send_task("tasks.sleep", (3,))

    def known():
        reply = remote_json("inspect", "query_task", running.id, node=swift.nodename, db=db)[swift.nodename]
        return reply.get(running.id)

    state, info = interop.wait_until(known, 15, interval=0.5, message=f"query_task {running.id}")
    assert state == "active", state
    assert info["id"] == running.id and info["name"] == "tasks.sleep", info
    assert running.get(timeout=30) == 3


def test_control_terminate_running_task(swift, celery_app, db):
    running = celery_app.send_task("tasks.sleep", (30,))
    interop.wait_until(lambda: running.state == "STARTED" or
                       running.id in json.dumps(remote_json("inspect", "active", node=swift.nodename, db=db)),
                       20, interval=0.5, message=f"{running.id} running")
    reply = remote_json("control", "terminate", "SIGTERM", running.id, node=swift.nodename, db=db)
    assert reply == {swift.nodename: {"ok": f"terminate: {running.id}"}}, reply
    with pytest.raises(Exception) as excinfo:
        running.get(timeout=20)
    assert type(excinfo.value).__name__ == "TaskRevokedError"
    assert running.state == "REVOKED"
    assert "terminated" in str(running.result), repr(running.result)


def test_control_add_and_cancel_consumer(swift, celery_app, db):
    queue = f"extra-{uuid.uuid4().hex[:6]}"
    reply = remote_json("control", "add_consumer", queue, node=swift.nodename, db=db)
    assert reply == {swift.nodename: {"ok": f"add consumer {queue}"}}, reply
    names = [q["name"] for q in remote_json("inspect", "active_queues", node=swift.nodename, db=db)[swift.nodename]]
    assert queue in names and "celery" in names, names
    assert celery_app.send_task("tasks.add", (20, 1), queue=queue).get(timeout=30) == 21
    reply = remote_json("control", "cancel_consumer", queue, node=swift.nodename, db=db)
    assert reply == {swift.nodename: {"ok": f"no longer consuming from {queue}"}}, reply
    names = [q["name"] for q in remote_json("inspect", "active_queues", node=swift.nodename, db=db)[swift.nodename]]
    assert queue not in names, names
