"""3. A Python Celery worker and a Swift worker consume the same `celery` queue.

Both share kombu's Redis layout: the queue list, `unacked` / `unacked_index`
(ack emulation) and the restore of unacked messages. The Python worker runs
with a short kombu `visibility_timeout` (10 s, sweep every 1 s) so that
messages held by a killed Python worker come back quickly; the Swift worker
runs with `--visibility-timeout 6` (its liveness key lapses 6 s after it dies,
and it re-scores the messages it holds every 2 s, so the Python sweep never
sees them as stale while it lives) and, when the binary has it,
`--foreign-visibility-timeout 10` (it restores messages held by a dead Python
consumer after kombu's visibility timeout, as kombu itself would). Both ack
late, so a SIGKILL loses no running task.

Exactly-once is not promised by either side (at-least-once): the tests assert
that every task completes with the right result, count duplicates from the
task events, and record how long recovery took.
"""

from __future__ import annotations

import collections
import concurrent.futures
import time

import pytest

import interop

N = 1000
PY_VISIBILITY = 10
SWIFT_VISIBILITY = 6
SWIFT_QUEUES = "celery,swiftonly"  # swiftonly: Swift-only tasks (the Python worker lacks them)
# Both workers ack late: with Celery's default (ack before running) a task that is running when
# its worker is SIGKILLed is lost by design, on either side (observed: 2 lost on a Swift kill).
PY_ENV = {"PYTASKS_VISIBILITY_TIMEOUT": str(PY_VISIBILITY), "PYTASKS_RESTORE_INTERVAL": "1",
          "PYTASKS_ACKS_LATE": "1"}


@pytest.fixture(scope="module")
def workers(module_procs, events):
    py = module_procs.python_worker("py", extra=["-E"], env=PY_ENV)
    return {"py": py, "swift": start_swift(module_procs)}


def start_swift(module_procs):
    extra = ["--visibility-timeout", str(SWIFT_VISIBILITY), "--acks-late"]
    if "--foreign-visibility-timeout" in interop.taskq_help("worker"):
        # Restore messages held by dead Python consumers after kombu's (short) visibility timeout too.
        extra += ["--foreign-visibility-timeout", str(PY_VISIBILITY)]
    return module_procs.swift_worker("swift", concurrency=2, queues=SWIFT_QUEUES, extra=extra)


def send_batch(celery_app, tag: str, n: int = N) -> dict[str, int]:
    """Sends n tasks.add(i, tag-offset) from the Python client; returns {id: expected}."""
    expected = {}
    offset = {"a": 0, "b": 100_000, "c": 200_000}[tag]
    with celery_app.producer_or_acquire() as producer:
        for i in range(n):
            result = celery_app.send_task("tasks.add", (i, offset), producer=producer)
            expected[result.id] = i + offset
    return expected


def wait_all(rdb, expected: dict[str, int], timeout: float) -> dict[str, dict]:
    ids = list(expected)
    deadline = time.monotonic() + timeout
    found: dict[str, dict] = {}
    while time.monotonic() < deadline:
        missing = [i for i in ids if i not in found]
        found.update(interop.read_results(rdb, missing))
        if len(found) == len(ids):
            break
        time.sleep(0.25)
    return found


def executions(events, ids) -> tuple[collections.Counter, collections.Counter, collections.Counter]:
    """(task-received per id, task-succeeded per id, succeeded per worker) from the event stream."""
    wanted = set(ids)
    received, succeeded, per_worker = collections.Counter(), collections.Counter(), collections.Counter()
    for event in events.snapshot():
        if event.get("uuid") not in wanted:
            continue
        if event.get("type") == "task-received":
            received[event["uuid"]] += 1
        elif event.get("type") == "task-succeeded":
            succeeded[event["uuid"]] += 1
            per_worker[event.get("hostname")] += 1
    return received, succeeded, per_worker


def check_results(found: dict[str, dict], expected: dict[str, int]):
    missing = [i for i in expected if i not in found]
    assert not missing, f"{len(missing)} of {len(expected)} results missing, e.g. {missing[:3]}"
    wrong = {i: r for i, r in found.items() if r.get("status") != "SUCCESS" or r.get("result") != expected[i]}
    assert not wrong, f"{len(wrong)} wrong results, e.g. {list(wrong.items())[:3]}"


def queue_state(rdb) -> dict:
    return {"celery": rdb.llen("celery"), "unacked": rdb.hlen("unacked"),
            "unacked_index": rdb.zcard("unacked_index")}


def test_thousand_tasks_shared_queue(workers, celery_app, rdb, events):
    started = time.monotonic()
    expected = send_batch(celery_app, "a")
    sent = time.monotonic()
    found = wait_all(rdb, expected, timeout=180)
    done = time.monotonic()
    check_results(found, expected)
    time.sleep(1)  # let the last events arrive
    received, succeeded, per_worker = executions(events, expected)
    duplicates = {i: n for i, n in succeeded.items() if n > 1}
    interop.record("mixed: 1000 tasks send time (s)", round(sent - started, 2))
    interop.record("mixed: 1000 tasks send->all results (s)", round(done - started, 2))
    interop.record("mixed: executions per worker (no kill)", dict(per_worker))
    interop.record("mixed: duplicate executions (no kill)", len(duplicates))
    assert workers["py"].nodename in per_worker, f"the Python worker ran none of them: {per_worker}"
    assert workers["swift"].nodename in per_worker, f"the Swift worker ran none of them: {per_worker}"
    assert sum(per_worker.values()) >= N
    assert not duplicates, f"{len(duplicates)} tasks ran more than once without any failure"
    wait_until_acked(rdb)


def wait_until_acked(rdb, timeout: float = 30):
    interop.wait_until(lambda: rdb.hlen("unacked") == 0 and rdb.llen("celery") == 0, timeout,
                       message=f"queue and unacked to drain (now {queue_state(rdb)})")


def send_sleep_batch(celery_app, n: int = N) -> dict[str, float]:
    """n tasks.sleep(s) (10-19 ms each, registered in both workers) so a batch lasts a few seconds."""
    expected = {}
    with celery_app.producer_or_acquire() as producer:
        for i in range(n):
            seconds = round(0.010 + (i % 10) * 0.001, 3)
            result = celery_app.send_task("tasks.sleep", (seconds,), producer=producer)
            expected[result.id] = seconds
    return expected


def held_messages(rdb) -> dict[str, tuple[str, str]]:
    """unacked entries: delivery tag -> (task id, holder: TaskQ node name from taskq:claims, or 'python')."""
    claims = {k.decode(): v.decode() for k, v in rdb.hgetall("taskq:claims").items()}
    held = {}
    for tag, entry in rdb.hgetall("unacked").items():
        tag = tag.decode()
        envelope = interop.json.loads(entry)[0]
        task_id = (envelope if isinstance(envelope, dict) else interop.json.loads(envelope))["headers"]["id"]
        # TaskQ records the holder as "<node> <run>" (older builds: "<node>").
        held[tag] = (task_id, claims.get(tag, "python").split(" ")[0])
    return held


def _kill_mid_run(which, workers, module_procs, celery_app, rdb, events):
    wait_until_acked(rdb)
    victim = workers[which]
    name = victim.nodename
    started = time.monotonic()
    sender = concurrent.futures.ThreadPoolExecutor(1).submit(send_sleep_batch, celery_app)
    # Kill after the victim has executed a few of this batch's tasks, while it holds more.
    def victim_busy():
        held = held_messages(rdb)
        mine = [t for t, holder in held.values() if holder == (name if which == "swift" else "python")]
        return mine if len(mine) >= 2 else None
    interop.wait_until(victim_busy, 60, interval=0.01, message=f"{which} worker to hold messages")
    victim.kill()
    killed = time.monotonic()
    held = held_messages(rdb)
    victim_ids = {t for t, holder in held.values() if holder == (name if which == "swift" else "python")}
    orphans = victim.group_members()
    time.sleep(0.5)
    orphans_after = victim.group_members()
    victim.reap_group()
    expected = sender.result(timeout=120)
    sent = time.monotonic()
    ids = list(expected)
    interop.record(f"mixed: kill {which}: results present at kill", len(interop.read_results(rdb, ids)))
    interop.record(f"mixed: kill {which}: messages held by the killed worker", len(victim_ids))
    interop.record(f"mixed: kill {which}: processes left in its group (at kill, +0.5 s)",
                   [len(orphans), len(orphans_after)])
    # Restart it under the same name.
    if which == "py":
        workers["py"] = module_procs.python_worker("py", extra=["-E"], env=PY_ENV)
    else:
        workers["swift"] = start_swift(module_procs)
    restarted = time.monotonic()
    # When did the victim's messages get back to work?
    restored_at = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        still_held = {t for t, _ in held_messages(rdb).values()} & victim_ids
        if not still_held and restored_at is None:
            restored_at = time.monotonic()
        found = interop.read_results(rdb, ids)
        if len(found) == len(ids) and restored_at is not None:
            break
        time.sleep(0.2)
    all_done = time.monotonic()
    time.sleep(1)
    received, succeeded, per_worker = executions(events, expected)
    duplicates = {i: n for i, n in succeeded.items() if n > 1}
    redelivered = {i: n for i, n in received.items() if n > 1}
    victim_runs = {i: [e["hostname"] for e in events.for_task(i) if e["type"] == "task-succeeded"]
                   for i in victim_ids}
    interop.record(f"mixed: kill {which}: kill -> restarted worker ready (s)", round(restarted - killed, 2))
    interop.record(f"mixed: kill {which}: kill -> killed worker's messages restored (s)",
                   None if restored_at is None else round(restored_at - killed, 2))
    interop.record(f"mixed: kill {which}: kill -> all {N} results (s)", round(all_done - killed, 2))
    interop.record(f"mixed: kill {which}: batch total incl. send {round(sent - started, 1)}s (s)",
                   round(all_done - started, 2))
    interop.record(f"mixed: kill {which}: executions per worker", dict(per_worker))
    interop.record(f"mixed: kill {which}: tasks received more than once", len(redelivered))
    interop.record(f"mixed: kill {which}: tasks executed more than once", len(duplicates))
    restores = [line for proc in module_procs.procs for line in proc.text().splitlines() if "Restored" in line]
    interop.record(f"mixed: kill {which}: TaskQ 'Restored' log lines so far", len(restores))
    interop.record(f"mixed: kill {which}: who finished the killed worker's messages",
                   dict(collections.Counter(",".join(v) or "nobody" for v in victim_runs.values())))
    found = interop.read_results(rdb, ids)
    missing = [i for i in ids if i not in found]
    assert not missing, f"{len(missing)} of {N} results missing after recovery; held by the victim: " \
                        f"{len(victim_ids & set(missing))}; state: {queue_state(rdb)}"
    wrong = {i: r for i, r in found.items() if r.get("status") != "SUCCESS" or r.get("result") != expected[i]}
    assert not wrong, f"{len(wrong)} wrong results, e.g. {list(wrong.items())[:3]}"
    assert restored_at is not None, f"the killed worker's messages stayed in unacked: {queue_state(rdb)}"


def test_sigkill_python_worker_loses_nothing(workers, module_procs, celery_app, rdb, events):
    _kill_mid_run("py", workers, module_procs, celery_app, rdb, events)


def test_sigkill_swift_worker_loses_nothing(workers, module_procs, celery_app, rdb, events):
    _kill_mid_run("swift", workers, module_procs, celery_app, rdb, events)


def test_python_sweep_does_not_steal_from_live_swift_worker(workers, celery_app, rdb, events):
    """Swift holds an ETA task and a long task longer than the Python worker's visibility timeout.

    The Python worker's kombu sweep (every 1 s, 10 s timeout) scans the shared `unacked_index`;
    TaskQ re-scores what it holds, and keeps ETA tasks in its own scheduled set, so neither may be
    re-queued and run twice.
    """
    wait_until_acked(rdb)
    long_task = celery_app.send_task("tasks.sleep", (PY_VISIBILITY + 4,), queue="swiftonly")
    eta_task = celery_app.send_task("tasks.add", (1, 1), countdown=PY_VISIBILITY + 4, queue="swiftonly")
    assert long_task.get(timeout=60) == PY_VISIBILITY + 4
    assert eta_task.get(timeout=60) == 2
    time.sleep(1)
    for result in (long_task, eta_task):
        runs = [e["hostname"] for e in events.for_task(result.id) if e["type"] == "task-started"]
        assert len(runs) == 1, f"{result.id} started {len(runs)} times: {runs}"
