"""Scenario 8: 10,000 mutated Celery messages LPUSHed raw, mixed with 10,000 valid ones (fuzz.py).

Afterwards, for TaskQ: every valid message is SUCCESS; every mutated one has a
result record (any state) or is in `taskq:dead` (found by its id, or by the
UUID it carries anywhere in its raw bytes); the supervisor is still running;
no child died (WorkerLostError results, "exited with signal" lines in the worker
log); `unacked` is empty. For Celery (no dead-letter list) the row counts the
mutated messages that left no trace as dropped (the `dead` column stays 0 and
`lost` counts them), and reports whether its worker survived.
"""

from __future__ import annotations

import base64
import random
import re
import time
from collections import Counter

from fuzz import batch
from harness import Config, Stage
from load import dead_letters, results_of
from report import Row

UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def raw_of(entry: dict) -> bytes:
    """A dead letter's original bytes: `raw` (text), or `raw_base64` when they were not UTF-8."""
    if entry.get("raw_base64"):
        return base64.b64decode(entry["raw_base64"])
    raw = entry.get("raw")
    return raw.encode() if isinstance(raw, str) else b""


def run(config: Config) -> list[Row]:
    kinds = ["taskq"] + (["celery"] if config.with_celery or not config.quick else [])
    return [fuzz(config, kind) for kind in kinds]


def fuzz(config: Config, kind: str) -> Row:
    count = config.size(10_000, 1_000)
    row = Row("8 fuzz", kind, "early", max_lost=0 if kind == "taskq" else None, max_twice=None)
    row.expect = "valid: SUCCESS; mutated: a result or a dead letter; no worker or child death; unacked empty"
    begin = time.monotonic()
    with Stage(config, f"fuzz-{kind}") as stage:
        server = stage.redis()
        stage.monitor(server.url)
        worker = stage.worker(server.url, kind, "w1", 2)
        sampler = stage.sampler(lambda: [worker])
        children = set(worker.children())
        client = server.client(timeout=60)
        seed = random.Random(f"{config.seed}:fuzz").getrandbits(32)  # the same messages for every worker kind

        messages = batch(random.Random(seed), count, count, str(stage.record))
        row.notes.append(f"fuzz seed {config.seed} (batch seed {seed}); {count} valid + {count} mutated")
        for start in range(0, len(messages), 200):
            pipe = client.pipeline(transaction=False)
            for message in messages[start:start + 200]:
                pipe.lpush("celery", message.raw)
            pipe.execute()
            children.update(worker.children())
        last, last_change = -1, time.monotonic()
        deadline = time.monotonic() + config.size(900, 240)
        while time.monotonic() < deadline:
            children.update(worker.children())
            size = client.dbsize() + client.llen("taskq:dead")
            pending = client.llen("celery") + client.hlen("unacked")
            if size != last:
                last, last_change = size, time.monotonic()
            if pending == 0 and time.monotonic() - last_change > 5:
                break
            if time.monotonic() - last_change > 60:
                row.notes.append("stopped waiting: nothing changed for 60 s")
                break
            time.sleep(0.5)
        sampler.stop()
        row.peak_rss_mib = round(sampler.peak("rss_kib") / 1024, 1)
        row.peak_fds = int(sampler.peak("fds"))
        ids = [m.result_id for m in messages if m.result_id]
        results = results_of(client, ids)
        dead_markers: set[str] = set()
        dead_raw = Counter()
        reasons = Counter()
        for entry in dead_letters(client):
            raw_bytes = raw_of(entry)
            dead_markers.update(match.decode() for match in UUID.findall(raw_bytes))
            dead_raw[raw_bytes] += 1
            reasons[str(entry.get("reason", "(no reason)"))[:60]] += 1
            if not entry.get("reason"):
                row.problems.append("a dead letter without a reason")
        for message in messages:  # messages without their UUID (b"", b"null") are matched by their bytes
            if not message.valid and not UUID.search(message.raw) and dead_raw[message.raw] > 0:
                dead_raw[message.raw] -= 1
                dead_markers.add(message.marker)
        valid_bad, dropped, lost_kinds, states = 0, 0, Counter(), Counter()
        for message in messages:
            record = results.get(message.result_id) if message.result_id else None
            status = record.get("status") if record else None
            if message.valid:
                if status != "SUCCESS":
                    valid_bad += 1
                    lost_kinds["valid: " + str(status)] += 1
                continue
            states[status or ("dead" if message.marker in dead_markers else "none")] += 1
            if record is None and message.marker not in dead_markers:
                dropped += 1
                lost_kinds[message.mutation] += 1
        worker_lost = sum(1 for r in results.values() if isinstance(r.get("result"), dict)
                          and r["result"].get("exc_type") == "WorkerLostError")
        log = worker.proc.log_text()
        child_deaths = len(re.findall(r"exited with signal|exited prematurely|Process \d+ .* exited", log))
        row.sent = len(messages)
        row.succeeded = sum(1 for r in results.values() if r.get("status") == "SUCCESS")
        row.failed = sum(1 for r in results.values() if r.get("status") != "SUCCESS")
        row.dead = states.get("dead", 0)
        row.lost = dropped + valid_bad
        row.extra.update(mutated_outcomes=dict(states), dead_reasons=dict(reasons.most_common(12)),
                         lost_by_mutation=dict(lost_kinds), child_pids_seen=len(children))
        row.notes.append("mutated outcomes: " + ", ".join(f"{k} {v}" for k, v in states.most_common()))
        if lost_kinds:
            row.notes.append("no trace, by mutation: " + ", ".join(f"{k} {v}" for k, v in lost_kinds.most_common(8)))
        if valid_bad:
            row.problems.append(f"{valid_bad} valid messages did not end SUCCESS")
        if not worker.proc.running():
            row.problems.append(f"the worker supervisor died (exit {worker.proc.popen.returncode})")
        if worker_lost or child_deaths or len(children) > worker.concurrency:
            row.problems.append(f"children died: {worker_lost} WorkerLostError results, {child_deaths} child exits "
                                f"in the log, {len(children)} child pids seen for -c {worker.concurrency}")
        leftover = client.hlen("unacked")
        if leftover and kind == "taskq":
            row.problems.append(f"{leftover} entries left in unacked")
        if kind == "taskq" and dropped:
            row.problems.append(f"{dropped} mutated messages left neither a result nor a dead letter")
    row.seconds = round(time.monotonic() - begin, 1)
    return row
