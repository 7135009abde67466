"""Celery's auth serializer between Python Celery 5.7 and TaskQ, and TaskQ's header signature."""

from __future__ import annotations

import base64
import json
import time

import pytest

import interop
import pki
import pytasks


@pytest.fixture(scope="module")
def signers(tmp_path_factory):
    root = tmp_path_factory.mktemp("pki")
    alice = pki.Signer(root / "alice", "alice")
    mallory = pki.Signer(root / "mallory", "mallory")
    stale = pki.Signer(root / "stale", "stale", days=1, offset_days=-30)
    return {"alice": alice, "mallory": mallory, "stale": stale,
            # Python's store: Celery refuses to load an expired certificate at all.
            "py_store": alice.store(root / "py-store"),
            "swift_store": alice.store(root / "swift-store", stale)}


def security_flags(signers, *, header=False):
    alice = signers["alice"]
    flags = ["--accept-content", "auth", "--security-cert-store", str(signers["swift_store"]),
             "--security-key", str(alice.key), "--security-certificate", str(alice.cert), "--task-serializer", "auth"]
    return flags + (["--require-header-signature"] if header else [])


@pytest.fixture(scope="module")
def swift(module_procs, signers):
    return module_procs.swift_worker("swift-signed", queues="signedq", extra=security_flags(signers))


@pytest.fixture(scope="module")
def swift_strict(module_procs, signers):
    return module_procs.swift_worker("swift-strict", queues="strictq", extra=security_flags(signers, header=True))


def signed_app(url, signers, name="signed-client"):
    alice = signers["alice"]
    app = pytasks.make_app(url, name=name)
    app.conf.update(task_serializer="auth", accept_content=["auth"], result_accept_content=["json"],
                    security_key=str(alice.key), security_certificate=str(alice.cert),
                    security_cert_store=str(signers["py_store"]))
    app.setup_security()
    return app


def call(db, *argv, signer=None, header=True):
    flags = []
    if signer:
        flags = ["--serializer", "auth", "--security-key", str(signer.key), "--security-certificate", str(signer.cert)]
        if not header:
            flags.append("--no-header-signature")
    return interop.taskq("call", *argv, *flags, db=db)


def dead_entry_for(rdb, task_id, timeout=20):
    def find():
        for raw in rdb.lrange("taskq:dead", 0, -1):
            entry = json.loads(raw)
            if task_id in (entry.get("raw") or ""):
                return entry
        return None
    interop.wait_until(lambda: find() is not None, timeout=timeout, message=f"dead letter for {task_id}")
    return find()


def test_python_signed_client_to_swift_worker(swift, url, signers):
    app = signed_app(url, signers)
    try:
        assert app.send_task("tasks.add", (2, 3), queue="signedq").get(timeout=20) == 5
    finally:
        app.close()


def test_swift_signed_client_to_python_worker(module_procs, db, signers):
    alice = signers["alice"]
    module_procs.python_worker("py-signed", queues="pysignedq", env={
        "PYTASKS_SERIALIZER": "auth", "PYTASKS_ACCEPT": "auth",
        "PYTASKS_SECURITY": f"{alice.key}:{alice.cert}:{signers['py_store']}"})
    out = call(db, "pytasks.mul", "--args", "[6, 7]", "--queue", "pysignedq", "--wait", "--timeout", "30",
               signer=alice)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "42"


def test_swift_signed_client_to_swift_worker_with_header_signature(swift_strict, db, signers):
    out = call(db, "tasks.add", "--args", "[20, 22]", "--queue", "strictq", "--wait", "--timeout", "30",
               signer=signers["alice"])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "42"


@pytest.mark.parametrize("who,reason", [("mallory", "unknown signer"), ("stale", "has expired"),
                                        (None, "unsigned message")])
def test_untrusted_messages_are_dead_lettered(swift, db, rdb, signers, who, reason):
    out = call(db, "tasks.add", "--args", "[1, 1]", "--queue", "signedq", signer=signers.get(who) if who else None)
    assert out.returncode == 0, out.stderr
    task_id = out.stdout.strip()
    assert reason in dead_entry_for(rdb, task_id)["reason"]
    assert f"[{task_id}]" in swift.text()
    assert rdb.get(f"celery-task-meta-{task_id}") is None


def test_tampered_body_is_dead_lettered(swift, db, rdb, signers):
    rdb.delete("holdq")
    out = call(db, "tasks.add", "--args", "[2, 3]", "--queue", "holdq", signer=signers["alice"])
    envelope = json.loads(rdb.lpop("holdq"))
    packed = base64.b64decode(base64.b64decode(envelope["body"]))
    tampered = packed.replace(b"[[2,3]", b"[[2,4]")
    assert tampered != packed
    envelope["body"] = base64.b64encode(base64.b64encode(tampered)).decode()
    rdb.lpush("signedq", json.dumps(envelope))
    task_id = out.stdout.strip()
    assert "bad signature" in dead_entry_for(rdb, task_id)["reason"]
    assert rdb.get(f"celery-task-meta-{task_id}") is None


def test_changed_task_header_passes_celery_signing_but_not_header_signature(module_procs, swift, swift_strict, url,
                                                                            rdb, signers):
    """Celery signs only the body: a message re-pointed at another task still verifies. TaskQ's header signature does not."""
    app = signed_app(url, signers, name="signed-retarget")
    try:
        for queue in ("holdq",):
            rdb.delete(queue)
        original = app.send_task("tasks.add", (2, 3), queue="holdq")
        envelope = json.loads(rdb.lpop("holdq"))
        envelope["headers"]["task"] = "tasks.mul"
        # Plain Celery signing (the Swift worker that checks only what Celery checks) runs the other task.
        rdb.lpush("signedq", json.dumps(envelope))
        assert original.get(timeout=20) == 6
    finally:
        app.close()
    # A Swift-signed message re-pointed the same way is refused where header signatures are required.
    out = interop.taskq("call", "tasks.add", "--args", "[2, 3]", "--queue", "holdq", "--serializer", "auth",
                        "--security-key", str(signers["alice"].key),
                        "--security-certificate", str(signers["alice"].cert), db=module_procs.db)
    task_id = out.stdout.strip()
    envelope = json.loads(rdb.lpop("holdq"))
    envelope["headers"]["task"] = "tasks.mul"
    rdb.lpush("strictq", json.dumps(envelope))
    assert "do not match taskq_signature" in dead_entry_for(rdb, task_id)["reason"]
    assert rdb.get(f"celery-task-meta-{task_id}") is None


def test_replayed_header_signed_message_is_rejected(swift_strict, db, rdb, signers):
    rdb.delete("holdq")
    out = call(db, "tasks.add", "--args", "[4, 5]", "--queue", "holdq", signer=signers["alice"])
    task_id = out.stdout.strip()
    raw = rdb.lpop("holdq")
    rdb.lpush("strictq", raw)
    interop.wait_until(lambda: rdb.get(f"celery-task-meta-{task_id}") is not None, timeout=20, message="first run")
    rdb.delete(f"celery-task-meta-{task_id}")
    rdb.lpush("strictq", raw)
    assert "replay rejected" in dead_entry_for(rdb, task_id)["reason"]
    time.sleep(0.5)
    assert rdb.get(f"celery-task-meta-{task_id}") is None


def test_unsigned_header_on_strict_worker(swift_strict, db, rdb, signers):
    """Body-signed only (as Celery signs) is not enough where header signatures are required."""
    out = call(db, "tasks.add", "--args", "[1, 2]", "--queue", "strictq", signer=signers["alice"], header=False)
    task_id = out.stdout.strip()
    assert "no taskq_signature header" in dead_entry_for(rdb, task_id)["reason"]
