"""The messages a Swift client sends for each workflow are the ones Celery 5.7's client sends
for the same workflow: both publish to queues nobody consumes, and the decoded headers,
properties, arguments and embed (chain, chord, callbacks, errbacks) are compared field by field,
ids matched by order of appearance."""

from __future__ import annotations

import re

import pytest
from celery import chain, chord, group
from celery.canvas import chunks, xmap, xstarmap

import interop

Q = "wire"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def python_workflow(app, name: str, queue: str):
    def s(task, *args, **kw):
        return app.signature(task, args=args, kwargs=kw).set(queue=queue)

    def si(task, *args):
        return app.signature(task, args=args, immutable=True).set(queue=queue)

    if name == "chain3":
        return chain(s("tasks.add", 2, 2), s("tasks.mul", 4), s("tasks.add", 1))
    if name == "chain_immutable":
        return chain(s("tasks.add", 2, 2), si("tasks.add", 5, 5), s("tasks.mul", 3))
    if name == "group3":
        return group(s("tasks.add", i, i) for i in range(3))
    if name == "chord3":
        return chord([s("tasks.add", i, i) for i in range(3)], s("tasks.xsum"))
    if name == "chunks":
        g = chunks(app.signature("tasks.add"), list(zip(range(10), range(10))), 3, app=app).group()
        for member in g.tasks:
            member.set(queue=queue)
        return g
    if name == "map":
        return xmap(app.signature("tasks.xsum"), [[1, 2], [3]], app=app).set(queue=queue)
    if name == "starmap":
        return xstarmap(app.signature("tasks.add"), [(1, 2), (3, 4)], app=app).set(queue=queue)
    if name == "links":
        sig = s("tasks.add", 1, 1)
        sig.link(app.signature("tasks.mul", args=(10,)))
        sig.link_error(app.signature("tasks.record_error"))
        return sig
    raise ValueError(name)


WORKFLOWS = ["chain3", "chain_immutable", "group3", "chord3", "chunks", "map", "starmap", "links"]


class Normalizer:
    """Replaces ids by their order of first appearance, and the queue by a placeholder."""

    def __init__(self, queue: str):
        self.ids: dict[str, str] = {}
        self.queue = queue

    def __call__(self, value):
        if isinstance(value, dict):
            return {k: self(value[k]) for k in sorted(value)}
        if isinstance(value, (list, tuple)):
            return [self(v) for v in value]
        if isinstance(value, str):
            if value == self.queue:
                return "<queue>"
            return UUID.sub(lambda m: self.ids.setdefault(m.group(0), f"<id{len(self.ids) + 1}>"), value)
        return value


def decoded_messages(rdb, queue: str) -> list[dict]:
    raw = [rdb.lrange(key, 0, -1) for key in rdb.keys(f"{queue}*")]
    messages = [interop.decode_envelope(m) for lst in raw for m in reversed(lst)]
    return messages


def comparable(message: dict, normalize: Normalizer) -> dict:
    headers = dict(message["headers"])
    headers.pop("origin", None)
    if headers["task"].startswith("celery."):
        headers.pop("kwargsrepr", None)   # Python's repr shows tuples where JSON has lists
    properties = dict(message["properties"])
    properties.pop("delivery_tag", None)
    properties.pop("reply_to", None)
    body = message["decoded_body"]
    return normalize({"headers": headers, "properties": properties, "body": drop_reply_to(body)})


def drop_reply_to(value):
    if isinstance(value, dict):
        return {k: drop_reply_to(v) for k, v in value.items() if k != "reply_to"}
    if isinstance(value, list):
        return [drop_reply_to(v) for v in value]
    return value


@pytest.mark.parametrize("name", WORKFLOWS)
def test_swift_client_writes_what_celery_writes(name, db, rdb, celery_app):
    rdb.flushdb()
    python_workflow(celery_app, name, "wire-py").apply_async()
    interop.workflows("wire", name, "--queue", "wire-swift", db=db)
    python = decoded_messages(rdb, "wire-py")
    swift = decoded_messages(rdb, "wire-swift")
    assert len(swift) == len(python), (name, len(swift), len(python))
    py_norm, swift_norm = Normalizer("wire-py"), Normalizer("wire-swift")
    for index, (p, s) in enumerate(zip(python, swift)):
        expected, got = comparable(p, py_norm), comparable(s, swift_norm)
        for part in ("headers", "properties", "body"):
            assert got[part] == expected[part], f"{name} message {index} {part}:\nswift  {got[part]}\ncelery {expected[part]}"
    if name == "chord3":
        # Each client stored its chord's header size before sending the header tasks.
        assert sorted(rdb.get(k) for k in rdb.keys("celery-taskset-meta-*.s")) == [b"3", b"3"]
