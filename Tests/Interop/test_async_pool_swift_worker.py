"""7. Python Celery against a Swift worker running the async pool (`-P async`)."""

from __future__ import annotations

import json
import time

import pytest
from celery import group

import interop


@pytest.fixture(scope="module")
def swift(module_procs):
    """A Swift worker running 100 tasks at once in 2 processes."""
    return module_procs.swift_worker("async", concurrency=100, extra=["-P", "async", "--processes", "2"])


def test_python_client_runs_sleeps_at_once(swift, celery_app):
    started = time.monotonic()
    results = [celery_app.send_task("tasks.sleep", (0.5,)) for _ in range(100)]
    assert [r.get(timeout=30) for r in results] == [pytest.approx(0.5)] * 100
    elapsed = time.monotonic() - started
    # Two at a time (prefork -c 2) this would take 25 s.
    assert elapsed < 10, f"100 half-second sleeps took {elapsed:.1f} s"


def test_python_group_on_async_worker(swift, celery_app):
    job = group(celery_app.signature("tasks.add", (i, i)) for i in range(20))
    assert job.apply_async().get(timeout=30) == [2 * i for i in range(20)]


def test_celery_inspect_stats_shows_the_pool(swift, db):
    result = interop.celery_cli("-A", "pytasks", "inspect", "stats", "-d", swift.nodename, "-t", "10", "--json", db=db)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout.strip().splitlines()[-1])[swift.nodename]
    pool = stats["pool"]
    assert pool["implementation"] == "taskq:async"
    assert pool["max-concurrency"] == 100
    assert len(pool["processes"]) == 2
