"""msgpack, YAML and compressed messages between Python Celery 5.7 and TaskQ, both ways."""

from __future__ import annotations

import json

import pytest

import interop
import pytasks

FORMATS = [("msgpack", None), ("yaml", None), ("json", "gzip"), ("json", "bzip2"), ("json", "zstd"),
           ("msgpack", "zstd")]


@pytest.fixture(scope="module")
def swift(module_procs):
    return module_procs.swift_worker("swift-formats", queues="swiftq",
                                     extra=["--accept-content", "json,msgpack,yaml"])


@pytest.fixture(scope="module")
def python_worker(module_procs):
    return module_procs.python_worker("py-formats", queues="pyq",
                                      env={"PYTASKS_ACCEPT": "json,msgpack,yaml"})


@pytest.mark.parametrize("serializer,compression", FORMATS)
def test_python_client_to_swift_worker(swift, url, serializer, compression):
    app = pytasks.make_app(url, name="formats-client")
    try:
        result = app.send_task("tasks.echo", kwargs={"a": [1, 2.5, "héllo ✓"], "b": None, "c": "yes"},
                               queue="swiftq", serializer=serializer, compression=compression)
        assert result.get(timeout=20) == {"a": [1, 2.5, "héllo ✓"], "b": None, "c": "yes"}
    finally:
        app.close()


@pytest.mark.parametrize("serializer,compression", FORMATS)
def test_swift_client_to_python_worker(python_worker, db, serializer, compression):
    argv = ["call", "pytasks.echo", "--args", '[1, "two", [3.5], {"k": null}, "ünï"]', "--queue", "pyq",
            "--serializer", serializer, "--wait", "--timeout", "30"]
    if compression:
        argv += ["--compression", compression]
    out = interop.taskq(*argv, db=db)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"args": [1, "two", [3.5], {"k": None}, "ünï"], "kwargs": {}}


def test_swift_envelope_fields_match_kombu(db, rdb):
    """What `taskq call --serializer msgpack --compression gzip` puts on Redis is what kombu writes."""
    rdb.delete("fmtq")
    out = interop.taskq("call", "tasks.add", "--args", "[2, 3]", "--queue", "fmtq", "--serializer", "msgpack",
                        "--compression", "gzip", db=db)
    assert out.returncode == 0, out.stderr
    envelope = json.loads(rdb.lpop("fmtq"))
    assert envelope["content-type"] == "application/x-msgpack"
    assert envelope["content-encoding"] == "binary"
    assert envelope["headers"]["compression"] == "application/x-gzip"
    assert envelope["properties"]["body_encoding"] == "base64"


def test_unaccepted_content_is_dead_lettered(module_procs, url, rdb):
    """A worker left at accept_content=json refuses a msgpack message: dead-lettered with the reason, never run."""
    module_procs.swift_worker("swift-json-only", queues="jsonq")
    rdb.delete("taskq:dead")
    app = pytasks.make_app(url, name="formats-refused")
    try:
        result = app.send_task("tasks.add", (2, 3), queue="jsonq", serializer="msgpack")
        interop.wait_until(lambda: rdb.llen("taskq:dead") > 0, timeout=20, message="dead letter")
        entry = json.loads(rdb.lindex("taskq:dead", 0))
        assert "application/x-msgpack" in entry["reason"] and "not accepted" in entry["reason"]
        assert result.id in entry["raw"]
        assert rdb.get(f"celery-task-meta-{result.id}") is None
    finally:
        app.close()
