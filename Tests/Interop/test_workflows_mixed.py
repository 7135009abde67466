"""One chain whose links alternate between a Python worker's queue and a Swift worker's."""

from __future__ import annotations

import pytest
from celery import chain

import interop


@pytest.fixture(scope="module")
def workers(module_procs):
    return (module_procs.python_worker("py", queues="pyq"),
            module_procs.swift_worker("swift", queues="swiftq", concurrency=2))


def test_swift_built_mixed_chain(workers, db, celery_app):
    python, swift = workers
    out = interop.workflows("mixed", "--py-queue", "pyq", "--swift-queue", "swiftq", db=db)
    assert out["result"] == 20          # ((1 + 1) * 3 + 4) * 2
    mul_ids = [out["id"], out["parents"][1]]
    add_ids = [out["parents"][0], out["parents"][2]]
    assert all(f"[{i}]" in swift.text() for i in mul_ids)
    assert all(f"[{i}]" in python.text() for i in add_ids)


def test_python_built_mixed_chain(workers, celery_app):
    python, swift = workers
    add, mul = celery_app.signature("tasks.add"), celery_app.signature("tasks.mul")
    res = chain(add.clone((1, 1)).set(queue="pyq"), mul.clone((3,)).set(queue="swiftq"),
                add.clone((4,)).set(queue="pyq"), mul.clone((2,)).set(queue="swiftq")).apply_async()
    assert res.get(timeout=60) == 20
    assert f"[{res.id}]" in swift.text()
    assert f"[{res.parent.id}]" in python.text()
