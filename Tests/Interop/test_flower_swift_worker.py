"""4. Flower 2.x watches a Swift worker.

A real `celery flower` (Processes.flower: FLOWER_UNAUTHENTICATED_API=true, broker and
result backend on this module's database) and a Swift worker. Flower builds its view
from the worker's events (`/{db}.celeryev/*`) and from pidbox inspect replies
(`stats`, `active_queues`, `registered`, `conf`, and on the worker page `active`,
`reserved`, `scheduled`, `revoked`), so these tests check both paths through
Flower's own HTTP API and pages.
"""

from __future__ import annotations

import json
import time

import pytest

import interop

OFFLINE_WITHIN = 15  # what we promise: Flower shows a stopped Swift worker offline within this many seconds


@pytest.fixture(scope="module")
def swift(module_procs, flower):
    # Started after Flower so Flower sees worker-online and every task event.
    return module_procs.swift_worker("flowerw", concurrency=2)


def worker_status(flower) -> dict:
    return interop.http_json(flower.port, "/api/workers?status=true")


def wait_online(flower, node: str, timeout: float = 30):
    interop.wait_until(lambda: worker_status(flower).get(node) is True, timeout, interval=0.5,
                       message=f"Flower to show {node} online (now {worker_status(flower)})")


@pytest.fixture(scope="module")
def ran_tasks(swift, flower, celery_app):
    """tasks.add(2, 3) and tasks.fail(...) run by the Swift worker while Flower watches."""
    wait_online(flower, swift.nodename)
    ok = celery_app.send_task("tasks.add", (2, 3))
    bad = celery_app.send_task("tasks.fail", ("flower sees this",))
    assert ok.get(timeout=30) == 5
    with pytest.raises(Exception):
        bad.get(timeout=30)
    return {"ok": ok.id, "bad": bad.id}


def test_api_workers_lists_swift_node_with_stats(swift, flower, ran_tasks):
    node = swift.nodename

    def inspected():
        workers = interop.http_json(flower.port, "/api/workers?refresh=1")
        info = workers.get(node) or {}
        stats = info.get("stats") or {}
        return workers if stats.get("total", {}).get("tasks.add") else None

    workers = interop.wait_until(inspected, 60, interval=1.0,
                                 message=f"/api/workers to show {node} with stats.total[tasks.add]")
    info = workers[node]
    stats = info["stats"]
    assert stats["total"]["tasks.add"] >= 1
    assert stats["total"].get("tasks.fail", 0) >= 1, stats["total"]
    broker = stats["broker"]
    assert broker["transport"] == "redis", broker
    assert broker["hostname"] == "127.0.0.1", broker
    assert str(broker["port"]) == interop.base_redis_url().rsplit(":", 1)[1].split("/")[0], broker
    assert stats["pool"]["max-concurrency"] == 2, stats["pool"]
    assert stats["pid"] == swift.pid, (stats["pid"], swift.pid)
    assert "tasks.add" in [name.split(" ")[0] for name in info["registered"]], info["registered"]
    assert "celery" in [q["name"] for q in info["active_queues"]], info["active_queues"]
    assert worker_status(flower) == {node: True}


def test_workers_page_json_lists_swift_node(swift, flower, ran_tasks):
    data = interop.http_json(flower.port, "/workers?json=1")["data"]
    mine = [w for w in data if w.get("hostname") == swift.nodename]
    assert mine, f"{swift.nodename} not in /workers?json=1: {[w.get('hostname') for w in data]}"
    worker = mine[0]
    assert worker["status"] is True, worker
    assert worker["pid"] == swift.pid, worker
    assert worker["freq"] == pytest.approx(2.0), worker
    assert worker["sw_sys"] and worker["sw_ident"], worker
    # Flower's counter of task events per worker.
    assert worker.get("task-succeeded", 0) >= 1 and worker.get("task-failed", 0) >= 1, worker


def test_api_tasks_shows_swift_results(swift, flower, ran_tasks):
    def both_ready():
        tasks = interop.http_json(flower.port, "/api/tasks")
        ok, bad = tasks.get(ran_tasks["ok"]), tasks.get(ran_tasks["bad"])
        if ok and bad and ok.get("state") == "SUCCESS" and bad.get("state") == "FAILURE":
            return tasks
        return None

    tasks = interop.wait_until(both_ready, 30, interval=0.5, message="/api/tasks to show SUCCESS and FAILURE")
    ok, bad = tasks[ran_tasks["ok"]], tasks[ran_tasks["bad"]]
    assert ok["name"] == "tasks.add"
    assert ok["result"] == "5", ok
    assert ok["args"] == "(2, 3)", ok
    assert ok["worker"] == swift.nodename, ok
    assert ok["received"] and ok["started"] and ok["succeeded"], ok
    assert isinstance(ok["runtime"], float), ok
    assert bad["name"] == "tasks.fail"
    assert bad["worker"] == swift.nodename, bad
    assert "flower sees this" in (bad["exception"] or ""), bad
    assert (bad["traceback"] or "").strip(), bad
    one = interop.http_json(flower.port, f"/api/task/info/{ran_tasks['ok']}")
    assert one["state"] == "SUCCESS" and one["result"] == "5", one
    types = interop.http_json(flower.port, "/api/task/types")["task-types"]
    assert {"tasks.add", "tasks.fail"} <= set(types), types


def test_worker_page_renders(swift, flower, ran_tasks):
    status, body = interop.wait_until(
        lambda: (lambda r: r if r[0] == 200 else None)(interop.http_get(flower.port, f"/worker/{swift.nodename}")),
        30, interval=1.0, message=f"/worker/{swift.nodename} to answer 200")
    assert status == 200
    assert swift.nodename in body
    assert "tasks.add" in body  # registered tasks / processed totals tab


def test_stopped_swift_worker_goes_offline(swift, flower, ran_tasks, module_procs):
    node = swift.nodename
    assert worker_status(flower).get(node) is True
    stopped = time.monotonic()
    code = swift.terminate(timeout=30)
    assert code == 0, f"Swift worker exit code {code}:\n{swift.tail()}"
    took = None
    deadline = stopped + 30
    while time.monotonic() < deadline:
        if worker_status(flower).get(node) is False:
            took = time.monotonic() - stopped
            break
        time.sleep(0.5)
    interop.record("flower: SIGTERM -> worker shown offline (s)", None if took is None else round(took, 1))
    assert took is not None, f"Flower still shows {node} online 30 s after SIGTERM: {worker_status(flower)}"
    assert took <= OFFLINE_WITHIN, f"Flower took {took:.1f}s to show {node} offline"
    data = interop.http_json(flower.port, "/workers?json=1")["data"]
    assert [w["status"] for w in data if w.get("hostname") == node] == [False], data
