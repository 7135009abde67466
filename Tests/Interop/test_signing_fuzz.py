"""10,000 mutations of one valid signed message: none runs, the worker survives, all are dead-lettered."""

from __future__ import annotations

import base64
import json
import random

import pytest

import interop
import pki

COVERED = ["task", "id", "eta", "expires", "retries", "timelimit", "root_id", "parent_id", "group"]
COUNT = 10_000


@pytest.fixture(scope="module")
def signer(tmp_path_factory):
    return pki.Signer(tmp_path_factory.mktemp("fuzz-pki"), "fuzzer")


def mutate(envelope: dict, rng: random.Random) -> dict:
    copy = json.loads(json.dumps(envelope))
    body = bytearray(base64.b64decode(copy["body"]))
    kind = rng.randrange(6)
    if kind == 0:                       # flip bits in the transported body
        for _ in range(rng.randint(1, 4)):
            body[rng.randrange(len(body))] ^= 1 << rng.randrange(8)
    elif kind == 1:                     # cut it short
        del body[rng.randrange(1, len(body)):]
    elif kind == 2:                     # insert or delete bytes
        at = rng.randrange(len(body))
        if rng.random() < 0.5:
            body[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        else:
            del body[at:at + rng.randint(1, 8)]
    elif kind == 3:                     # change a signed header
        name = rng.choice(COVERED)
        old = copy["headers"].get(name)
        new = rng.choice([None, 0, 1, 7, -1, 2.5, "", "tasks.mul", "x" * rng.randint(1, 40), [None, None], [1, 2], {}])
        while new == old and type(new) is type(old):
            new = "changed"
        copy["headers"][name] = new
    elif kind == 4:                     # damage the header signature itself
        sig = copy["headers"]["taskq_signature"]
        field = rng.choice(["signature", "timestamp", "signer", "digest"])
        sig[field] = rng.choice([None, 0, "", "AAAA", sig[field] if field != "signature" else "Zm9v",
                                 (sig["timestamp"] + rng.choice([-1000, 0.001, 1000])) if field == "timestamp" else "x"])
        if sig == envelope["headers"]["taskq_signature"]:
            del sig["signature"]
    else:                               # swap in random bytes of the same length
        body = bytearray(rng.randbytes(len(body)))
    copy["body"] = base64.b64encode(bytes(body)).decode()
    # A delivery tag of its own (properties are not signed): each mutant reaches the signature check
    # instead of the claim's duplicate-delivery guard.
    copy["properties"]["delivery_tag"] = f"fuzz-{rng.getrandbits(64):016x}"
    return copy


def test_mutated_signed_messages_never_run(module_procs, db, rdb, signer):
    worker = module_procs.swift_worker("swift-fuzz", queues="fuzzq", extra=[
        "--accept-content", "auth", "--security-cert-store", str(signer.cert), "--require-header-signature"])
    rdb.delete("fuzzhold", "taskq:dead")
    out = interop.taskq("call", "tasks.add", "--args", "[2, 3]", "--queue", "fuzzhold", "--serializer", "auth",
                        "--security-key", str(signer.key), "--security-certificate", str(signer.cert), db=db)
    assert out.returncode == 0, out.stderr
    task_id = out.stdout.strip()
    original = json.loads(rdb.lpop("fuzzhold"))
    rng = random.Random(20261207)
    mutants = [json.dumps(mutate(original, rng)) for _ in range(COUNT)]
    assert all(m != json.dumps(original) for m in mutants)
    pipe = rdb.pipeline(transaction=False)
    for at in range(0, COUNT, 500):
        pipe.lpush("fuzzq", *mutants[at:at + 500])
    pipe.execute()
    interop.wait_until(lambda: rdb.llen("taskq:dead") >= COUNT, timeout=240, interval=0.5,
                       message=f"{COUNT} dead letters")
    assert rdb.llen("taskq:dead") == COUNT
    assert rdb.get(f"celery-task-meta-{task_id}") is None
    assert worker.alive()
    reasons = {}
    for raw in rdb.lrange("taskq:dead", 0, -1):
        reason = json.loads(raw)["reason"].split(" (")[0][:60]
        reasons[reason] = reasons.get(reason, 0) + 1
    print("dead-letter reasons:", json.dumps(reasons, indent=1, ensure_ascii=False))
    # The worker still serves: the unmutated message runs.
    rdb.lpush("fuzzq", json.dumps(original))
    interop.wait_until(lambda: rdb.get(f"celery-task-meta-{task_id}") is not None, timeout=30, message="original runs")
