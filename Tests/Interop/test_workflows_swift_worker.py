"""Workflows built by Python Celery run on a Swift-only queue: chunks, map, starmap (Celery's
built-in canvas tasks on the Swift worker), groups and chords in chains, replace and
add_to_chord in Swift tasks."""

from __future__ import annotations

import pytest
from celery import chain, chord, group
from celery.canvas import chunks, xmap, xstarmap

import interop


@pytest.fixture(scope="module")
def swift(module_procs):
    return module_procs.swift_worker("swift", concurrency=4)


def sig(app, name, *args, **options):
    return app.signature(name, args=args, **options)


def test_python_chunks_on_swift_worker(swift, celery_app):
    add = celery_app.signature("tasks.add")
    res = chunks(add, list(zip(range(100), range(100))), 10, app=celery_app).apply_async()
    parts = res.get(timeout=60)
    assert len(parts) == 10
    assert [x for part in parts for x in part] == [2 * i for i in range(100)]
    assert "celery.starmap[" in swift.text()


def test_python_map_and_starmap_on_swift_worker(swift, celery_app):
    assert xmap(celery_app.signature("tasks.xsum"), [[1, 2], [3]], app=celery_app).apply_async().get(timeout=30) == [3, 3]
    assert xstarmap(celery_app.signature("tasks.add"), [(1, 2), (3, 4)], app=celery_app).apply_async().get(timeout=30) == [3, 7]


def test_celery_chunks_task_sent_by_name_stores_group_tuple(swift, celery_app):
    res = celery_app.send_task("celery.chunks", kwargs={"task": dict(celery_app.signature("tasks.add")),
                                                         "it": [[1, 1], [2, 2], [3, 3]], "n": 2})
    stored = res.get(timeout=30)
    group_id, members = stored[0][0], [m[0][0] for m in stored[1]]
    assert len(members) == 2
    assert [celery_app.AsyncResult(m).get(timeout=30) for m in members] == [[2, 4], [6]]
    assert group_id


def test_celery_accumulate_on_swift_worker(swift, celery_app):
    assert celery_app.send_task("celery.accumulate", (1, 2, 3)).get(timeout=30) == [1, 2, 3]
    assert celery_app.send_task("celery.accumulate", (1, 2, 3), {"index": 1}).get(timeout=30) == 2


def test_python_chain_with_group_step_and_upgrade(swift, celery_app):
    add, mul, xsum = (celery_app.signature(n) for n in ("tasks.add", "tasks.mul", "tasks.xsum"))
    res = chain(add.clone((1, 1)), group(mul.clone((2,)), mul.clone((3,)))).apply_async()
    assert res.get(timeout=30) == [4, 6]
    res = chain(add.clone((1, 1)), group(mul.clone((2,)), mul.clone((3,))), xsum.clone()).apply_async()
    assert res.get(timeout=30) == 10
    res = (chord([add.clone((1, 1)), add.clone((2, 2))], xsum.clone()) | mul.clone((10,))).apply_async()
    assert res.get(timeout=30) == 60


def test_python_group_of_chains_on_swift_worker(swift, celery_app):
    add, mul = celery_app.signature("tasks.add"), celery_app.signature("tasks.mul")
    res = group(chain(add.clone((1, 1)), mul.clone((2,))), add.clone((3, 3))).apply_async()
    assert res.get(timeout=30) == [4, 6]


def test_python_chain_through_swift_replace(swift, celery_app):
    add = celery_app.signature("tasks.add")
    res = chain(add.clone((1, 1)), celery_app.signature("tasks.replace_with_mul"), add.clone((5,))).apply_async()
    assert res.get(timeout=30) == 25
    assert "replaced by a new task" in swift.text()


def test_python_chord_with_swift_add_to_chord(swift, celery_app):
    adder = celery_app.signature("tasks.add_to_chord")
    res = chord([adder.clone((1,)), adder.clone((2,))], celery_app.signature("tasks.xsum")).apply_async()
    assert res.get(timeout=30) == 1 + 101 + 2 + 102
