"""Structure-aware mutations of Celery task messages, for the fuzz scenario.

`valid(rng, kind, path)` builds the envelope Celery 5.7 writes for `tasks.add`,
`tasks.echo` or `tasks.record` (celery-wire.md section 1: JSON envelope, base64
body `[args, kwargs, embed]`, kombu's properties). `mutate(rng, envelope)`
breaks it in one of the ways a broken or hostile producer could: headers of the
wrong type, huge and negative numbers, 1e308, NaN/Infinity literals, deep
nesting, invalid UTF-8, huge bodies, broken base64, missing, empty or shared
delivery tags, a delivery tag in the headers, bad eta/expires strings, time
limits of inf/1e20/-1, missing task or id, and envelopes that are not JSON.

Every message carries its own UUID in `properties.correlation_id` (and in
`headers.id` unless the mutation changed it), so a message can be found again
in the dead-letter list even when it no longer parses. `Message.result_id` is
the id a worker can store a result under, if the mutated message still has one.
"""

from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass

from load import new_id

WRONG_TYPES = [123, -1, 0, 1e308, -1e308, True, False, None, [], {}, "", "text", [1, "a", None], {"a": [1]},
               10**30, -(10**30), 2**63, "\u0000"]
BAD_DATES = ["not a date", "2026-13-45T99:99:99", "", "T", "2026-01-01T00:00:00+99:99", "0000-00-00",
             "1e308", "NaN", "2026-02-30T25:61:61Z", "\u00e9t\u00e9", "2026-01-01 00:00:00 +0000 UTC extra"]
PAST_DATES = ["2000-01-01T00:00:00+00:00", "1970-01-01T00:00:00", "0001-01-01T00:00:00+00:00"]
HEADERS = ["lang", "task", "id", "shadow", "eta", "expires", "group", "group_index", "retries", "timelimit",
           "root_id", "parent_id", "argsrepr", "kwargsrepr", "origin", "ignore_result", "replaced_task_nesting",
           "stamped_headers", "stamps"]
PROPERTIES = ["correlation_id", "reply_to", "delivery_mode", "delivery_info", "priority", "body_encoding",
              "delivery_tag"]


@dataclass
class Message:
    marker: str          # the UUID the message was built with
    raw: bytes           # what is LPUSHed
    result_id: str | None
    valid: bool
    mutation: str


def embed() -> dict:
    return {"callbacks": None, "errbacks": None, "chain": None, "chord": None}


def body_text(args, kwargs) -> str:
    return json.dumps([args, kwargs, embed()])


def b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def valid(rng: random.Random, kind: str, path: str) -> dict:
    task_id = new_id(rng)
    if kind == "add":
        args, kwargs = [rng.randint(-1000, 1000), rng.randint(-1000, 1000)], {}
    elif kind == "echo":
        args, kwargs = [], {"n": rng.randint(0, 10**6), "s": "caf\u00e9"}
    else:
        args, kwargs = [path, 0], {}
    return {
        "body": b64(body_text(args, kwargs)),
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": {
            "lang": "py", "task": f"tasks.{kind}", "id": task_id, "shadow": None, "eta": None, "expires": None,
            "group": None, "group_index": None, "retries": 0, "timelimit": [None, None], "root_id": task_id,
            "parent_id": None, "argsrepr": repr(tuple(args)), "kwargsrepr": repr(kwargs), "origin": "gen1@faults",
            "ignore_result": False, "replaced_task_nesting": 0, "stamped_headers": None, "stamps": {},
        },
        "properties": {
            "correlation_id": task_id, "reply_to": new_id(rng), "delivery_mode": 2,
            "delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 0,
            "body_encoding": "base64", "delivery_tag": new_id(rng),
        },
    }


def encode(envelope: dict) -> bytes:
    return json.dumps(envelope).encode()


def as_message(envelope: dict, raw: bytes | None = None, mutation: str = "valid", is_valid: bool = False) -> Message:
    marker = envelope["properties"]["correlation_id"]
    marker = marker if isinstance(marker, str) else ""
    task_id = envelope.get("headers", {}).get("id") if isinstance(envelope.get("headers"), dict) else None
    result_id = task_id if isinstance(task_id, str) and task_id and len(task_id) < 200 and task_id.isascii() else None
    return Message(marker, raw if raw is not None else encode(envelope), result_id, is_valid, mutation)


def nested(depth: int, leaf=1):
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


class Mutator:
    """Picks one mutation per call; `shared_tag` is the delivery tag reused by the 'duplicate tag' case."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.shared_tag = new_id(rng)
        self.cases = [
            self.header_wrong_type, self.header_wrong_type, self.property_wrong_type, self.huge_numbers,
            self.nan_literals, self.deep_nesting, self.invalid_utf8, self.huge_body, self.broken_base64,
            self.delivery_tag_missing, self.delivery_tag_empty, self.delivery_tag_shared, self.delivery_tag_twice,
            self.delivery_tag_in_headers, self.bad_eta, self.bad_expires, self.timelimit, self.missing_required,
            self.not_json, self.bad_body_shape, self.wrong_arguments, self.content_type,
        ]

    def __call__(self, envelope: dict) -> Message:
        marker = envelope["properties"]["correlation_id"]  # before a case may change it
        message = self.rng.choice(self.cases)(envelope)
        message.marker = marker
        return message

    # Each case returns a Message; `name` is what the report counts by.

    def header_wrong_type(self, env):
        key = self.rng.choice(HEADERS)
        # A boolean is ignore_result's own type, and True rightly leaves no result to find.
        choices = [value for value in WRONG_TYPES if key != "ignore_result" or not isinstance(value, bool)]
        env["headers"][key] = self.rng.choice(choices)
        return as_message(env, mutation=f"header {key} wrong type")

    def property_wrong_type(self, env):
        key = self.rng.choice(PROPERTIES[:-1])
        env["properties"][key] = self.rng.choice(WRONG_TYPES)
        return as_message(env, mutation=f"property {key} wrong type")

    def huge_numbers(self, env):
        value = self.rng.choice([10**40, -(10**40), 1e308, -1e308, 2**64, -1, -(2**63)])
        key = self.rng.choice(["retries", "group_index", "replaced_task_nesting"])
        env["headers"][key] = value
        if self.rng.random() < 0.5:
            env["properties"]["priority"] = value
        return as_message(env, mutation="huge/negative numbers")

    def nan_literals(self, env):
        literal = self.rng.choice(["NaN", "Infinity", "-Infinity"])
        key = self.rng.choice(["retries", "group_index", "priority", "timelimit"])
        text = encode(env).decode()
        if key == "priority":
            text = text.replace('"priority": 0', f'"priority": {literal}')
        elif key == "timelimit":
            text = text.replace('"timelimit": [null, null]', f'"timelimit": [{literal}, {literal}]')
        else:
            text = text.replace(f'"{key}": ', f'"{key}": {literal}, "_{key}": ', 1)
        return as_message(env, raw=text.encode(), mutation=f"{literal} literal")

    def deep_nesting(self, env):
        depth = self.rng.choice([200, 5_000, 100_000])
        where = self.rng.choice(["args", "stamps", "kwargs"])
        if where == "stamps":
            text = encode(env).decode().replace('"stamps": {}', '"stamps": ' + "[" * depth + "]" * depth)
            return as_message(env, raw=text.encode(), mutation=f"nesting {depth} in headers")
        inner = "[" * depth + "]" * depth
        body = f'[[{inner}], {{}}, {json.dumps(embed())}]' if where == "args" else \
            f'[[], {{"x": {inner}}}, {json.dumps(embed())}]'
        env["body"] = b64(body)
        return as_message(env, mutation=f"nesting {depth} in {where}")

    def invalid_utf8(self, env):
        bad = self.rng.choice([b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80"])
        if self.rng.random() < 0.5:
            raw = encode(env).replace(b'"lang": "py"', b'"lang": "p' + bad + b'y"')
            return as_message(env, raw=raw, mutation="invalid UTF-8 in envelope")
        args_kwargs = body_text([], {}).encode()
        env["body"] = b64(args_kwargs.replace(b"[[], {}", b'[["' + bad + b'"], {}'))
        return as_message(env, mutation="invalid UTF-8 in body")

    def huge_body(self, env):
        size = self.rng.choice([64 * 1024, 256 * 1024, 1024 * 1024])
        env["body"] = b64(body_text(["y" * size], {}))
        return as_message(env, mutation="huge body")

    def broken_base64(self, env):
        choice = self.rng.randrange(5)
        if choice == 0:
            env["body"] = "!!!not base64$$$"
        elif choice == 1:
            env["body"] = env["body"][:-3]
        elif choice == 2:
            env["body"] = b64("this is not json")
        elif choice == 3:
            env["properties"]["body_encoding"] = "rot13"
        else:
            env["body"] = env["body"] + "===="
        return as_message(env, mutation="broken base64/body")

    def delivery_tag_missing(self, env):
        del env["properties"]["delivery_tag"]
        return as_message(env, mutation="delivery_tag missing")

    def delivery_tag_empty(self, env):
        env["properties"]["delivery_tag"] = ""
        return as_message(env, mutation="delivery_tag empty")

    def delivery_tag_shared(self, env):
        env["properties"]["delivery_tag"] = self.shared_tag
        return as_message(env, mutation="delivery_tag shared by messages")

    def delivery_tag_twice(self, env):
        text = encode(env).decode().replace('"delivery_tag": ', f'"delivery_tag": "{new_id(self.rng)}", "delivery_tag": ')
        return as_message(env, raw=text.encode(), mutation="delivery_tag key twice")

    def delivery_tag_in_headers(self, env):
        env["headers"]["delivery_tag"] = env["properties"].pop("delivery_tag")
        return as_message(env, mutation="delivery_tag in headers")

    def bad_eta(self, env):
        env["headers"]["eta"] = self.rng.choice(BAD_DATES + PAST_DATES + [12345, 1e308, -1])
        return as_message(env, mutation="bad eta")

    def bad_expires(self, env):
        env["headers"]["expires"] = self.rng.choice(BAD_DATES + PAST_DATES + [12345, 1e308, -1])
        return as_message(env, mutation="bad expires")

    def timelimit(self, env):
        text = encode(env).decode()
        value = self.rng.choice(["[Infinity, null]", "[null, Infinity]", "[1e20, 1e20]", "[null, 1e20]",
                                 "[-1, -1]", "[1e308, null]", "[\"x\", {}]", "[1]", "5", "[null, null, null]"])
        text = text.replace('"timelimit": [null, null]', f'"timelimit": {value}')
        return as_message(env, raw=text.encode(), mutation=f"timelimit {value}")

    def missing_required(self, env):
        key = self.rng.choice(["task", "id", "headers", "body", "properties-id"])
        if key == "headers":
            del env["headers"]
        elif key == "body":
            del env["body"]
        elif key == "properties-id":
            env["headers"]["task"] = ""
        else:
            del env["headers"][key]
        return as_message(env, mutation=f"missing {key}")

    def not_json(self, env):
        raw = encode(env)
        choice = self.rng.randrange(5)
        raw = [raw[: len(raw) // 2], b"", b"null", b"[" + raw + b"]", raw + b"}garbage"][choice]
        return as_message(env, raw=raw, mutation="not a JSON object")

    def bad_body_shape(self, env):
        body = self.rng.choice(['{"a": 1}', "[1]", '[{"x": 1}, [], {}]', "[[], [], []]", '"text"', "[]", "null"])
        env["body"] = b64(body)
        return as_message(env, mutation="body of the wrong shape")

    def wrong_arguments(self, env):
        env["body"] = b64(body_text(["a", None], {"zzz": 1}))
        return as_message(env, mutation="wrong arguments for the task")

    def content_type(self, env):
        env["content-type"] = self.rng.choice(["application/x-python-serialize", "application/x-yaml", "", 5])
        return as_message(env, mutation="content-type not JSON")


def batch(rng: random.Random, valid_count: int, fuzzed_count: int, path: str) -> list[Message]:
    """`valid_count` valid messages and `fuzzed_count` mutated ones, shuffled together."""
    mutator = Mutator(rng)
    kinds = ["add", "echo", "record"]
    messages = [as_message(valid(rng, rng.choice(kinds), path), is_valid=True) for _ in range(valid_count)]
    messages += [mutator(valid(rng, rng.choice(kinds), path)) for _ in range(fuzzed_count)]
    rng.shuffle(messages)
    return messages
