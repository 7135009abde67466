"""Workflows built in Swift (Examples/workflows) run on a Python Celery worker; groups saved
by one side are restored by the other."""

from __future__ import annotations

import pytest
from celery.result import GroupResult

import interop


@pytest.fixture(scope="module")
def python_worker(module_procs):
    return module_procs.python_worker("py", queues="celery")


def test_swift_chain_runs_on_python_worker(python_worker, db, celery_app):
    out = interop.workflows("chain", db=db)
    assert out["result"] == 17
    # Celery reads each step's result under the ids the Swift client gave them, last first.
    assert [celery_app.AsyncResult(i).get(timeout=30) for i in out["parents"]] == [16, 4]
    assert celery_app.AsyncResult(out["id"]).get(timeout=30) == 17
    assert f"tasks.mul[{out['parents'][0]}]" in python_worker.text()


def test_swift_chord_runs_on_python_worker(python_worker, db, celery_app):
    out = interop.workflows("chord", "--callback", "pytasks.xsum", db=db)
    assert out["result"] == sum(2 * i for i in range(1, 11))
    assert celery_app.AsyncResult(out["id"]).get(timeout=30) == 110
    assert f"pytasks.xsum[{out['id']}]" in python_worker.text()


def test_python_restores_group_saved_by_swift(python_worker, db, celery_app):
    out = interop.workflows("save-group", db=db)
    assert out["result"] == [1, 2, 3, 4, 5]
    restored = GroupResult.restore(out["id"], app=celery_app)
    assert restored is not None
    assert [r.id for r in restored.results] == out["ids"]
    assert restored.get(timeout=30) == [1, 2, 3, 4, 5]


def test_swift_restores_group_saved_by_python(python_worker, db, celery_app):
    add = celery_app.signature("tasks.add")
    from celery import group
    res = group(add.clone((i, 10)) for i in range(4)).apply_async()
    assert res.get(timeout=30) == [10, 11, 12, 13]
    res.save()
    out = interop.workflows("restore", res.id, db=db)
    assert out["ids"] == [r.id for r in res.results]
    assert out["result"] == [10, 11, 12, 13]
