"""6. The messages a Swift client sends for a workflow are the ones Celery 5.7's client sends.

For each `workflows wire NAME` scenario (Examples/workflows/Scenarios.swift) the Swift client
publishes the workflow to `wire-swift` and Celery's own client (the pytasks app, every task
named by signature, as a client that does not define them would) publishes the same workflow
to `wire-py`. No worker consumes either queue. Both lists are then read back and compared
message by message, in the order they were sent:

- the envelope keys, content type and encoding;
- all 19 headers (ids renamed by order of first appearance on each side; `origin` is each
  process's own; `kwargsrepr` of Celery's `celery.*` tasks is Python's repr with tuples);
- the properties (`delivery_tag` is random; `correlation_id` must be the task id; `reply_to` is
  each client's own id, renamed `<oid>` wherever it appears, so it must be the same value in the
  properties and in every signature's options);
- the decoded body, `args`, `kwargs` and each of `callbacks`, `errbacks`, `chain`, `chord`,
  signature dicts compared as dicts (key order is not compared) with all their options;
- for chords, what the client writes to the result backend (the header size in
  `celery-taskset-meta-<group>.s`, with its expiry).

Queue names are mapped wire-swift -> wire-py before comparing. The Swift scenario passes the
queue through `applyAsync(options)`, which applies it to every step of a chain, to every member
of a group and to the body of a chord (chord3 and chord_then also set it on each header task), so
the Python side puts it in the same places with `.set(queue=...)` or `apply_async(queue=...)`.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from celery import chain, chord, group
from celery.canvas import chunks, xmap, xstarmap

import interop
import pytasks

PY_QUEUE = "wire-py"
SWIFT_QUEUE = "wire-swift"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Celery 5.7's protocol-2 headers, in the order its client writes them.
HEADER_KEYS = ["lang", "task", "id", "shadow", "eta", "expires", "group", "group_index", "retries", "timelimit",
               "root_id", "parent_id", "argsrepr", "kwargsrepr", "origin", "ignore_result", "replaced_task_nesting",
               "stamped_headers", "stamps"]
PROPERTY_KEYS = {"correlation_id", "reply_to", "delivery_mode", "delivery_info", "priority", "body_encoding",
                 "delivery_tag"}
EMBED_KEYS = ["callbacks", "errbacks", "chain", "chord"]


# ------------------------------------------------------------ the Python side

def python_workflow(app, name: str, q: str):
    """Sends workflow `name` with Celery's client, the queue where the Swift scenario puts it."""
    def s(task, *args):
        return app.signature(task, args=args)

    def sq(task, *args):
        return s(task, *args).set(queue=q)

    if name == "chain3":
        return (sq("tasks.add", 2, 2) | sq("tasks.mul", 4) | sq("tasks.add", 1)).apply_async()
    if name == "chain_immutable":
        immutable = app.signature("tasks.add", args=(5, 5), immutable=True).set(queue=q)
        return chain(sq("tasks.add", 2, 2), immutable, sq("tasks.mul", 3)).apply_async()
    if name == "group3":
        return group(s("tasks.add", i, i) for i in range(3)).apply_async(queue=q)
    if name == "chord3":
        return chord([sq("tasks.add", i, i) for i in range(3)], sq("tasks.xsum")).apply_async()
    if name == "chunks":
        return chunks(app.signature("tasks.add"), zip(range(10), range(10)), 3, app=app).apply_async(queue=q)
    if name == "map":
        return xmap(app.signature("tasks.xsum"), [[1, 2], [3]], app=app).apply_async(queue=q)
    if name == "starmap":
        return xstarmap(app.signature("tasks.add"), [(1, 2), (3, 4)], app=app).apply_async(queue=q)
    if name == "links":
        return s("tasks.add", 1, 1).apply_async(link=s("tasks.mul", 10), link_error=s("tasks.record_error"),
                                                queue=q)
    if name == "chain_group":
        return (sq("tasks.add", 1, 1) | group(s("tasks.mul", 2), s("tasks.mul", 3)).set(queue=q)).apply_async()
    if name == "chain_chord":
        return chain(sq("tasks.add", 1, 1), group(s("tasks.mul", 2), s("tasks.mul", 3)).set(queue=q),
                     sq("tasks.xsum")).apply_async()
    if name == "chord_then":
        return (chord([sq("tasks.add", 1, 1), sq("tasks.add", 2, 2)], sq("tasks.xsum"))
                | sq("tasks.mul", 10)).apply_async()
    if name == "group_of_chain":
        return group(sq("tasks.add", 1, 1) | sq("tasks.mul", 2), sq("tasks.add", 3, 3)).apply_async()
    raise ValueError(name)


WIRE_NAMES = ["chain3", "chain_immutable", "group3", "chord3", "chunks", "map", "starmap", "links",
              "chain_group", "chain_chord", "chord_then", "group_of_chain"]
CHORDS = {"chord3": 3, "chain_chord": None, "chord_then": 2}   # header sizes the client stores (None: none)

# Differences from Celery's client that are intentional and documented; each is pinned with a
# strict xfail so that it is noticed when it goes away.
KNOWN_DIFFERENCES: dict[str, str] = {}


# ---------------------------------------------------------------- normalising

class Side:
    """One client's messages in send order, its queue renamed wire-py and its reply_to `<oid>`
    (ids are left as they are: see `name_ids`)."""

    def __init__(self, queue: str, envelopes: list[dict]):
        self.queue = queue
        self.envelopes = envelopes
        self.oid = envelopes[0]["properties"].get("reply_to") if envelopes else None
        self.messages = [self._prepare(e) for e in envelopes]

    def _map(self, value):
        if isinstance(value, dict):
            return {k: self._map(value[k]) for k in sorted(value)}
        if isinstance(value, (list, tuple)):
            return [self._map(v) for v in value]
        if isinstance(value, str):
            if value == self.queue:
                return PY_QUEUE
            if self.oid and value == self.oid:
                return "<oid>"
        return value

    def _prepare(self, envelope: dict) -> dict:
        headers = envelope["headers"]
        ordered = {k: headers[k] for k in HEADER_KEYS if k in headers}   # Celery's order, for numbering
        ordered.update({k: v for k, v in headers.items() if k not in ordered})
        args, kwargs, embed = envelope["decoded_body"]
        return {
            "envelope_keys": sorted(k for k in envelope if k != "decoded_body"),
            "envelope": {k: envelope[k] for k in ("content-type", "content-encoding") if k in envelope},
            "headers": {k: self._map(v) for k, v in ordered.items()},
            "properties": self._map({k: v for k, v in envelope["properties"].items() if k != "delivery_tag"}),
            "args": self._map(args),
            "kwargs": self._map(kwargs),
            "embed": self._map(embed),
        }


def _walk_ids(value, found: list):
    if isinstance(value, dict):
        for v in value.values():
            _walk_ids(v, found)
    elif isinstance(value, list):
        for v in value:
            _walk_ids(v, found)
    elif isinstance(value, str):
        found += UUID.findall(value)


def _pair(a, b, pairs: dict, path: str, conflicts: list):
    """Pairs the Swift ids in `a` with the Celery ids at the same places in `b`."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in a.keys() & b.keys():
            _pair(a[key], b[key], pairs, f"{path}.{key}", conflicts)
    elif isinstance(a, list) and isinstance(b, list):
        for index, (x, y) in enumerate(zip(a, b)):
            _pair(x, y, pairs, f"{path}[{index}]", conflicts)
    elif isinstance(a, str) and isinstance(b, str):
        ours, theirs = UUID.findall(a), UUID.findall(b)
        if len(ours) == len(theirs):
            for x, y in zip(ours, theirs):
                pairs.setdefault(x, []).append((y, path))


def name_ids(swift: Side, celery: Side) -> tuple[dict, dict, list[str]]:
    """Names for every id: Celery's `<idN>` by order of first appearance (message by message:
    headers in Celery's order, then properties and body, dict keys sorted); a Swift id takes the
    name of the Celery id found at the same places, and must stand for that one id everywhere.
    Returns (swift names, celery names, problems)."""
    order: list[str] = []
    for message in celery.messages:
        for part in ("headers", "properties", "args", "kwargs", "embed"):
            _walk_ids(message[part], order)
    celery_names: dict[str, str] = {}
    for value in order:
        celery_names.setdefault(value, f"<id{len(celery_names) + 1}>")
    pairs: dict[str, list] = {}
    for index, (s, c) in enumerate(zip(swift.messages, celery.messages)):
        for part in ("headers", "properties", "args", "kwargs", "embed"):
            _pair(s[part], c[part], pairs, f"message {index} {part}", [])
    problems, swift_names, taken = [], {}, {}
    for ours, places in pairs.items():
        names = sorted({celery_names[theirs] for theirs, _ in places})
        if len(names) > 1:
            problems.append(f"one Swift id stands for Celery's {names} (at {[p for _, p in places]})")
        swift_names[ours] = names[0]
        taken.setdefault(names[0], set()).add(ours)
    for name, ours in taken.items():
        if len(ours) > 1:
            problems.append(f"{len(ours)} Swift ids stand for Celery's {name}")
    unpaired: list[str] = []
    for message in swift.messages:
        for part in ("headers", "properties", "args", "kwargs", "embed"):
            _walk_ids(message[part], unpaired)
    for value in unpaired:
        if value not in swift_names:
            swift_names[value] = f"<swift-only-id{sum(n.startswith('<swift-only') for n in swift_names.values()) + 1}>"
    return swift_names, celery_names, problems


def rename(value, names: dict):
    if isinstance(value, dict):
        return {k: rename(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [rename(v, names) for v in value]
    if isinstance(value, str):
        return UUID.sub(lambda m: names.get(m.group(0), m.group(0)), value)
    return value


def read_queue(rdb, queue: str) -> list[dict]:
    """The messages in `queue` (and its priority lists), in the order they were sent."""
    lists = sorted(k.decode() for k in rdb.keys(f"{queue}*") if rdb.type(k) == b"list")
    assert lists in ([queue], []), f"messages outside the priority-0 list: {lists}"
    return [interop.decode_envelope(raw) for raw in reversed(rdb.lrange(queue, 0, -1))]


def backend_writes(rdb) -> dict[str, tuple[bytes, int]]:
    """Every celery-* key in the database: its value (strings only) and TTL."""
    found = {}
    for key in rdb.keys("celery-*"):
        name = key.decode()
        value = rdb.get(key) if rdb.type(key) == b"string" else rdb.type(key)
        found[name] = (value, rdb.ttl(key))
    return found


def differences(a, b, path="") -> list[str]:
    """Every place two JSON values differ, as `path: swift=... celery=...`."""
    if isinstance(a, dict) and isinstance(b, dict):
        found = []
        for key in sorted(set(a) | set(b)):
            if key not in a:
                found.append(f"{path}.{key}: missing in Swift, Celery has {json.dumps(b[key])}")
            elif key not in b:
                found.append(f"{path}.{key}: Swift has {json.dumps(a[key])}, missing in Celery")
            else:
                found += differences(a[key], b[key], f"{path}.{key}")
        return found
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items in Swift, {len(b)} in Celery: swift={json.dumps(a)} celery={json.dumps(b)}"]
        return [d for index, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{index}]")]
    if a != b or type(a) is not type(b):
        return [f"{path}: swift={json.dumps(a)} celery={json.dumps(b)}"]
    return []


# ------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def wire_app(url):
    """Celery's client on this module's database, with Celery's default result expiry (1 day)
    like the Swift App's, so the chord size keys can be compared with their TTL."""
    app = pytasks.make_app(url, name="wire-client")
    app.conf.result_expires = timedelta(days=1)
    yield app
    app.close()


def capture(name: str, db: int, rdb, wire_app):
    """Sends `name` from both clients; returns (swift Side, celery Side, swift writes, celery writes)."""
    for key in rdb.keys("celery-*") + rdb.keys("wire-*"):
        rdb.delete(key)
    python_workflow(wire_app, name, PY_QUEUE)
    celery_writes = backend_writes(rdb)
    out = interop.workflows("wire", name, "--queue", SWIFT_QUEUE, db=db)
    swift_writes = {k: v for k, v in backend_writes(rdb).items() if k not in celery_writes}
    swift = Side(SWIFT_QUEUE, read_queue(rdb, SWIFT_QUEUE))
    celery = Side(PY_QUEUE, read_queue(rdb, PY_QUEUE))
    return out, swift, celery, swift_writes, celery_writes


def compare(name: str, swift: Side, celery: Side) -> list[str]:
    """Every difference between the two sides, one line each (empty: the same messages)."""
    swift_names, celery_names, problems = name_ids(swift, celery)
    got, expected = rename(swift.messages, swift_names), rename(celery.messages, celery_names)
    if [m["headers"]["task"] for m in got] != [m["headers"]["task"] for m in expected]:
        problems.append(f"tasks sent: swift={[m['headers']['task'] for m in got]} "
                        f"celery={[m['headers']['task'] for m in expected]}")
        return problems
    for index, (s, c) in enumerate(zip(got, expected)):
        where = f"{name} message {index} ({c['headers']['task']})"
        # Envelope.
        if s["envelope_keys"] != c["envelope_keys"]:
            problems.append(f"{where} envelope keys: swift={s['envelope_keys']} celery={c['envelope_keys']}")
        if s["envelope"] != c["envelope"]:
            problems.append(f"{where} envelope: swift={s['envelope']} celery={c['envelope']}")
        # Headers: all 19, origin only checked for presence.
        sh, ch = dict(s["headers"]), dict(c["headers"])
        if sorted(sh) != sorted(HEADER_KEYS):
            problems.append(f"{where} header keys: missing {sorted(set(HEADER_KEYS) - set(sh))}, "
                            f"extra {sorted(set(sh) - set(HEADER_KEYS))}")
        for side in (sh, ch):
            assert isinstance(side.pop("origin", None), str)
        if ch["task"].startswith("celery."):
            # Python's repr shows the items as tuples where the JSON (and Swift's repr) has lists.
            assert isinstance(sh.pop("kwargsrepr", None), str)
            ch.pop("kwargsrepr", None)
        for key in ch:
            if sh.get(key, "<absent>") != ch[key]:
                problems.append(f"{where} header {key}: swift={json.dumps(sh.get(key, '<absent>'))} "
                                f"celery={json.dumps(ch[key])}")
        # Properties.
        sp, cp = s["properties"], c["properties"]
        if sorted(sp) != sorted(PROPERTY_KEYS - {"delivery_tag"}):
            problems.append(f"{where} property keys: swift={sorted(sp)} celery={sorted(cp)}")
        for side_name, props, headers in (("swift", sp, s["headers"]), ("celery", cp, c["headers"])):
            if props.get("correlation_id") != headers["id"]:
                problems.append(f"{where} {side_name} correlation_id {props.get('correlation_id')} "
                                f"!= id {headers['id']}")
        for key in sorted(set(sp) | set(cp)):
            if sp.get(key, "<absent>") != cp.get(key, "<absent>"):
                problems.append(f"{where} property {key}: swift={json.dumps(sp.get(key, '<absent>'))} "
                                f"celery={json.dumps(cp.get(key, '<absent>'))}")
        # Body, field by field.
        for part in ("args", "kwargs"):
            problems += [f"{where} body {d}" for d in differences(s[part], c[part], part)]
        if sorted(s["embed"]) != sorted(EMBED_KEYS):
            problems.append(f"{where} embed keys: swift={sorted(s['embed'])} celery={sorted(c['embed'])}")
        for key in EMBED_KEYS:
            problems += [f"{where} body {d}" for d in differences(s["embed"].get(key), c["embed"].get(key),
                                                                  f"embed.{key}")]
    return problems


# ---------------------------------------------------------------------- tests

def _params():
    for name in WIRE_NAMES:
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_DIFFERENCES[name])] if name in KNOWN_DIFFERENCES else []
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", list(_params()))
def test_swift_client_sends_what_celery_sends(name, db, rdb, wire_app):
    out, swift, celery, swift_writes, celery_writes = capture(name, db, rdb, wire_app)
    assert UUID.fullmatch(out["id"]), out
    assert celery.envelopes, f"Celery's client sent nothing for {name}"
    assert len(swift.envelopes) == len(celery.envelopes), \
        (f"{name}: Swift sent {len(swift.envelopes)} messages, Celery {len(celery.envelopes)}: "
         f"swift={[e['headers']['task'] for e in swift.envelopes]} "
         f"celery={[e['headers']['task'] for e in celery.envelopes]}")
    # One reply_to per client, in every message's properties.
    for side in (swift, celery):
        assert {e["properties"]["reply_to"] for e in side.envelopes} == {side.oid}
    problems = compare(name, swift, celery)
    assert not problems, f"{len(problems)} difference(s) from Celery's client:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", list(CHORDS))
def test_chord_backend_writes_match_celery(name, db, rdb, wire_app):
    """What each client writes to the result backend when it sends the workflow: for a chord,
    only the header size (`celery-taskset-meta-<group>.s`), with the result expiry."""
    _, swift, celery, swift_writes, celery_writes = capture(name, db, rdb, wire_app)
    swift_names, celery_names, _ = name_ids(swift, celery)
    renamed_swift = {rename(k, swift_names): v for k, (v, _) in swift_writes.items()}
    renamed_celery = {rename(k, celery_names): v for k, (v, _) in celery_writes.items()}
    assert renamed_swift == renamed_celery
    expected_size = CHORDS[name]
    assert list(renamed_celery.values()) == ([] if expected_size is None else [str(expected_size).encode()])
    for (key, (_, ttl)), (_, (_, celery_ttl)) in zip(sorted(swift_writes.items()), sorted(celery_writes.items())):
        assert abs(ttl - celery_ttl) <= 60, f"{key}: TTL {ttl}, Celery's {celery_ttl}"
