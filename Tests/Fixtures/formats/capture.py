"""Capture Celery 5.7 / kombu 5.7 wire formats as fixtures (Tests/Fixtures/formats).

Run from the repository root with the interop venv:

    .venv/bin/python Tests/Fixtures/formats/capture.py [PORT]

PORT (default 6399) is the loopback port of a scratch Redis. If nothing answers
there, the script starts `redis-server` on it and shuts it down at the end; a
Redis already running there is used as it is (its database 0 is flushed).

It writes, next to itself:

  msgpack-vectors.json      value/bytes pairs from msgpack.packb(v, use_bin_type=True)
  envelope-*.json           the raw string kombu LPUSHes onto the `celery` list
  envelopes-decoded.json    headers/properties of each envelope and its decoded body
  result-*.bin              raw values of celery-task-meta-<id> written by a Python worker
  event-*.json              one raw task-succeeded event as published on Redis
  auth-unpacked.json        envelope-auth.json taken apart as celery/security/serialization.py does
  pss-salt.json             which RSA-PSS salt lengths Celery's Certificate.verify accepts
  signer-key.pem, signer-cert.pem
                            the signing key and self-signed certificate (made with openssl
                            the first time, reused afterwards)

The same file is the Celery app of the worker it starts (`celery -A capture worker`),
configured through the CAPTURE_* environment variables.
"""

from __future__ import annotations

import base64
import gc
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
KEY = HERE / "signer-key.pem"
CERT = HERE / "signer-cert.pem"
SUBJECT = "/C=US/O=TaskQ Test/CN=taskq-test-signer"

# Fixed task ids, so the fixtures are easy to grep and compare between runs.
IDS = {
    "json": "5f0c3c2e-0000-4000-8000-000000000001",
    "msgpack": "5f0c3c2e-0000-4000-8000-000000000002",
    "yaml": "5f0c3c2e-0000-4000-8000-000000000003",
    "json-gzip": "5f0c3c2e-0000-4000-8000-000000000004",
    "json-bzip2": "5f0c3c2e-0000-4000-8000-000000000005",
    "json-zstd": "5f0c3c2e-0000-4000-8000-000000000006",
    "auth": "5f0c3c2e-0000-4000-8000-000000000007",
}


# --------------------------------------------------------------------------------------------
# The worker side: `celery -A capture worker` imports this module with CAPTURE_MODE set.
# --------------------------------------------------------------------------------------------

def _make_app(broker: str, mode: str):
    from celery import Celery

    app = Celery("capture", broker=broker, backend=broker, set_as_current=False)
    app.conf.update(
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        result_accept_content=["json", "msgpack", "yaml"],
    )
    if mode.startswith("result-"):
        # result-json, result-msgpack, result-yaml, result-json-gzip
        parts = mode.split("-")
        app.conf.result_serializer = parts[1]
        if len(parts) > 2:
            app.conf.result_compression = parts[2]
    elif mode.startswith("auth"):
        store = os.environ["CAPTURE_CERT_STORE"]
        app.conf.update(
            task_serializer="auth",
            accept_content=["auth"],
            result_accept_content=None,
            security_key=str(KEY),
            security_certificate=str(CERT),
            security_cert_store=store,
        )
        if mode == "auth-all":
            app.conf.update(result_serializer="auth", event_serializer="auth")
        app.setup_security()

    @app.task(name="tasks.add")
    def add(x, y):
        return x + y

    return app


if os.environ.get("CAPTURE_MODE"):
    app = _make_app(os.environ["CAPTURE_BROKER"], os.environ["CAPTURE_MODE"])


# --------------------------------------------------------------------------------------------
# Redis
# --------------------------------------------------------------------------------------------

def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def start_redis(port: int):
    """Return the redis-server Popen we started, or None if one was already there."""
    if _port_open(port):
        return None
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if _port_open(port):
            return proc
        time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"redis-server did not start on port {port}")


# --------------------------------------------------------------------------------------------
# 1. msgpack vectors
# --------------------------------------------------------------------------------------------

def msgpack_vectors() -> dict:
    import msgpack

    def pack(v):  # exactly kombu.serialization.register_msgpack's pack
        return msgpack.packb(v, use_bin_type=True)

    def unpack(b):  # exactly kombu's unpack
        return msgpack.unpackb(b, raw=False)

    vectors = [
        ("nil", None),
        ("true", True),
        ("false", False),
        ("positive fixint 0", 0),
        ("positive fixint 127", 127),
        ("negative fixint -1", -1),
        ("negative fixint -32", -32),
        ("uint8 128", 128),
        ("uint8 255", 255),
        ("uint16 256", 256),
        ("uint16 65535", 65535),
        ("uint32 65536", 65536),
        ("uint32 2**32-1", 2**32 - 1),
        ("uint64 2**32", 2**32),
        ("uint64 2**63-1", 2**63 - 1),
        ("int8 -33", -33),
        ("int8 -128", -128),
        ("int16 -129", -129),
        ("int16 -32768", -32768),
        ("int32 -32769", -32769),
        ("int32 -2**31", -2**31),
        ("int64 -2**31-1", -2**31 - 1),
        ("int64 -2**63", -2**63),
        ("float64 1.5", 1.5),
        ("float64 -0.25", -0.25),
        ("float64 1e300", 1e300),
        ("float64 0.1", 0.1),
        ("fixstr empty", ""),
        ("fixstr 31", "a" * 31),
        ("str8 32", "b" * 32),
        ("str8 255", "c" * 255),
        ("str16 256", "d" * 256),
        ("str32 65536", "e" * 65536),
        ("str non-ascii", "h\u00e9llo \u2713 \u65e5\u672c"),
        ("fixarray empty", []),
        ("fixarray 15", list(range(15))),
        ("array16 16", list(range(16))),
        ("fixmap empty", {}),
        ("fixmap 15", {f"k{i:02d}": i for i in range(15)}),
        ("map16 16", {f"k{i:02d}": i for i in range(16)}),
        ("nested", {"a": [1, {"b": None, "c": [True, False]}], "d": {"e": "f", "g": [[], {}]}, "h": -1.5}),
        ("celery task body", [[2, 3], {"x": 1}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}]),
        ("celery task body (keys sorted)",
         [[2, 3], {"x": 1}, {"callbacks": None, "chain": None, "chord": None, "errbacks": None}]),
    ]
    out = []
    for name, value in vectors:
        data = pack(value)
        assert unpack(data) == value, name
        # the JSON text must give back the same value (and key order) in Python
        assert json.loads(json.dumps(value)) == value
        out.append({"name": name, "json": value, "msgpack_hex": data.hex()})

    def decoded(hexstr):
        return unpack(bytes.fromhex(hexstr))

    decode_only = []

    def add(name, hexstr, json_value, note, **extra):
        entry = {"name": name, "msgpack_hex": hexstr, "json": json_value, "note": note}
        entry.update(extra)
        decode_only.append(entry)

    v = decoded("ca3fc00000")
    assert v == 1.5 and isinstance(v, float)
    add("float32 1.5", "ca3fc00000", 1.5,
        "float32 as other packers write it; msgpack-python unpacks it to the float 1.5 "
        "(packb itself always writes float64, cb).")
    v = decoded("c403616263")
    assert v == b"abc"
    add("bin8 abc", "c403616263", {"__type__": "bytes", "__value__": "abc"},
        "bin8; kombu's unpack (raw=False) gives Python bytes b'abc', not str. Re-encoded with "
        "kombu's JSON serializer that becomes {\"__type__\": \"bytes\", \"__value__\": \"abc\"} "
        "(UTF-8 text) or {\"__type__\": \"base64\", ...} otherwise.", python="b'abc'")
    assert pack(b"abc").hex() == "c403616263"
    v = decoded("c4020001")
    assert v == b"\x00\x01"
    add("bin8 non-utf8", "c4020001", {"__type__": "base64", "__value__": base64.b64encode(v).decode()},
        "bin8 that is not UTF-8: Python bytes b'\\x00\\x01'; kombu JSON would write it as base64.",
        python="b'\\x00\\x01'")
    big = 2**64 - 1
    assert pack(big).hex() == "cfffffffffffffffff" and decoded("cfffffffffffffffff") == big
    add("uint64 2**64-1", "cfffffffffffffffff", big,
        "packb writes this too (cf); it does not fit an Int64, so a reader using Int64 must "
        "map it to UInt64 or reject it.")
    # non-minimal encodings other packers may produce; msgpack-python reads them
    for name, hexstr, value in [
        ("uint8 holding 5 (non-minimal)", "cc05", 5),
        ("uint64 holding 1 (non-minimal)", "cf0000000000000001", 1),
        ("int8 holding 1 (non-minimal)", "d001", 1),
        ("str8 holding 'a' (non-minimal)", "d90161", "a"),
        ("array16 holding [1] (non-minimal)", "dc000101", [1]),
        ("map16 holding {'a': 1} (non-minimal)", "de0001a16101", {"a": 1}),
    ]:
        assert decoded(hexstr) == value, name
        add(name, hexstr, value, "not what packb writes, but a valid encoding that unpackb accepts.")
    # what kombu's unpack rejects
    try:
        decoded("81010a")  # {1: 10}
        int_key = "accepted"
    except ValueError as exc:
        int_key = f"ValueError: {exc}"
    assert pack({1: 10}).hex() == "81010a"
    add("map with int key {1: 10}", "81010a", None,
        "packb writes int keys, but unpackb's default strict_map_key=True (msgpack >= 1.0) "
        "refuses them, so kombu cannot read such a message.", kombu_unpack=int_key)
    ts = decoded("d6ff00000001")
    add("timestamp ext -1 (fixext4, 1 s)", "d6ff00000001", None,
        f"ext type -1 (timestamp); unpackb gives {type(ts).__module__}.{type(ts).__name__}({ts.seconds}, "
        f"{ts.nanoseconds}), which kombu's JSON cannot encode; packb never writes it for Celery bodies.",
        kombu_unpack=repr(ts))
    return {
        "generator": f"msgpack {'.'.join(map(str, msgpack.version))}: "
                     "msgpack.packb(value, use_bin_type=True) / msgpack.unpackb(data, raw=False)",
        "vectors": out,
        "decode_only": decode_only,
    }


# --------------------------------------------------------------------------------------------
# 2. envelopes
# --------------------------------------------------------------------------------------------

def client_app(broker: str, serializer: str = "json", compression: str | None = None):
    from celery import Celery

    app = Celery("capture-client", broker=broker, backend=broker, set_as_current=False)
    app.conf.update(broker_connection_retry_on_startup=True, task_serializer=serializer,
                    result_accept_content=["json", "msgpack", "yaml"])
    if compression:
        app.conf.task_compression = compression
    return app


def capture_envelope(r, app, task_id: str) -> bytes:
    r.flushdb()
    app.send_task("tasks.add", args=(2, 3), task_id=task_id)
    items = r.lrange("celery", 0, -1)
    assert len(items) == 1, items
    return items[0]


def describe_events(messages) -> list[dict]:
    """Channel, content-type and decoded body of each celeryev message (auth bodies verified)."""
    from kombu.serialization import loads

    out = []
    for channel, data in messages:
        env = json.loads(data)
        body = base64.b64decode(env["body"]) if env["properties"].get("body_encoding") == "base64" else env["body"]
        try:
            value = loads(body, env["content-type"], env["content-encoding"], accept=[env["content-type"]])
        except Exception as exc:  # noqa: BLE001 - recorded, not fatal
            value = f"{type(exc).__name__}: {exc}"
        events = value if isinstance(value, list) else [value]
        out.append({"channel": channel, "content-type": env["content-type"],
                    "content-encoding": env["content-encoding"],
                    "types": [e.get("type") if isinstance(e, dict) else None for e in events],
                    "body": value})
    return out


def describe_envelope(raw: bytes) -> dict:
    from kombu import compression as kcompression

    env = json.loads(raw)
    body = base64.b64decode(env["body"]) if env["properties"].get("body_encoding") == "base64" else env["body"]
    info = {
        "content-type": env["content-type"],
        "content-encoding": env["content-encoding"],
        "body_encoding": env["properties"].get("body_encoding"),
        "headers.compression": env["headers"].get("compression"),
        "body_first_bytes_hex": body[:8].hex(),
    }
    if env["headers"].get("compression"):
        body = kcompression.decompress(body, env["headers"]["compression"])
    if env["content-type"] == "application/x-msgpack":
        info["decoded_body_hex"] = body.hex()
    else:
        info["decoded_body_text"] = body.decode("utf-8")
    info["task"] = env["headers"]["task"]
    info["id"] = env["headers"]["id"]
    return info


# --------------------------------------------------------------------------------------------
# worker runs
# --------------------------------------------------------------------------------------------

class EventTap:
    """PSUBSCRIBE to kombu's fanout channels and keep every raw message."""

    def __init__(self, r):
        self.pubsub = r.pubsub()
        self.pubsub.psubscribe("*celeryev*")
        self.messages: list[tuple[str, bytes]] = []
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self._stop:
            m = self.pubsub.get_message(timeout=0.2)
            if m and m["type"] == "pmessage":
                self.messages.append((m["channel"].decode(), m["data"]))

    def stop(self):
        self._stop = True
        self.thread.join()
        self.pubsub.close()

    def dump(self) -> list[dict]:
        return [{"channel": channel, "raw": data.decode()} for channel, data in self.messages]


def run_worker(r, broker: str, mode: str, client, task_id: str, cert_store: str | None,
               tap_events: bool = False):
    """Start a solo Python worker in MODE, send tasks.add(2, 3), return (raw result, events tap)."""
    r.flushdb()
    env = dict(os.environ, CAPTURE_MODE=mode, CAPTURE_BROKER=broker, PYTHONDONTWRITEBYTECODE="1")
    if cert_store:
        env["CAPTURE_CERT_STORE"] = cert_store
    celery_bin = Path(sys.executable).with_name("celery")
    tap = EventTap(r) if tap_events else None
    log = open(Path(tempfile.gettempdir()) / f"capture-worker-{mode}.log", "w")
    worker = subprocess.Popen(
        [str(celery_bin), "-A", "capture", "worker", "--pool=solo", "-c", "1", "-n", f"capture-{mode}@localhost",
         "--without-gossip", "--without-mingle", "-l", "info"] + (["-E"] if tap_events else []),
        cwd=HERE, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        client.send_task("tasks.add", args=(2, 3), task_id=task_id)
        key = f"celery-task-meta-{task_id}"
        deadline = time.time() + 60
        raw = None
        while time.time() < deadline:
            raw = r.get(key)
            if raw is not None:
                break
            time.sleep(0.1)
        if raw is None:
            raise SystemExit(f"worker {mode}: no result (see {log.name})")
        time.sleep(1.0)  # let task-succeeded reach the tap
        return raw, tap
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        log.close()
        if tap:
            tap.stop()


# --------------------------------------------------------------------------------------------
# auth
# --------------------------------------------------------------------------------------------

def ensure_signer():
    if KEY.exists() and CERT.exists():
        return
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
                    "-subj", SUBJECT, "-keyout", str(KEY), "-out", str(CERT)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def unpack_auth_payload(payload: bytes) -> dict:
    """SecureSerializer._unpack on a bare auth payload (a stored result, say), signature checked."""
    from cryptography.hazmat.primitives import hashes
    from celery.security.certificate import Certificate

    v = base64.b64decode(payload).split(b"\x00\x01", 4)
    signature = base64.b64decode(v[1])
    Certificate(CERT.read_text()).verify(v[4], signature, hashes.SHA256())
    return {"signer": base64.b64decode(v[0]).decode(), "signature_hex": signature.hex(),
            "content_type": v[2].decode(), "content_encoding": v[3].decode(), "body_text": v[4].decode(),
            "verified": True}


def unpack_auth(raw_envelope: bytes) -> dict:
    """Take an auth envelope apart the way SecureSerializer._unpack does."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from celery.security.certificate import Certificate

    env = json.loads(raw_envelope)
    assert env["properties"]["body_encoding"] == "base64"
    auth_payload = base64.b64decode(env["body"])          # kombu's transport body encoding
    fields_raw = base64.b64decode(auth_payload)           # SecureSerializer._pack's outer b64encode
    v = fields_raw.split(b"\x00\x01", 4)
    signer = base64.b64decode(v[0]).decode()
    signature = base64.b64decode(v[1])
    body = v[4]
    cert = Certificate(CERT.read_text())
    x = x509.load_pem_x509_certificate(CERT.read_bytes())
    expected_signer = " ".join(a.value for a in x.issuer) + " " + str(x.serial_number)
    assert signer == cert.get_id() == expected_signer, (signer, cert.get_id(), expected_signer)
    cert.verify(body, signature, hashes.SHA256())       # raises if it does not verify
    return {
        "envelope": {"content-type": env["content-type"], "content-encoding": env["content-encoding"],
                     "body_encoding": env["properties"]["body_encoding"]},
        "auth_payload_text": auth_payload.decode(),
        "fields_separator_hex": "0001",
        "signer": signer,
        "signer_b64": v[0].decode(),
        "signer_from_cert": {
            "issuer_values": [a.value for a in x.issuer],
            "issuer_oids": [a.oid.dotted_string for a in x.issuer],
            "serial_decimal": str(x.serial_number),
            "serial_hex": format(x.serial_number, "x"),
        },
        "signature_hex": signature.hex(),
        "signature_b64": v[1].decode(),
        "content_type": v[2].decode(),
        "content_encoding": v[3].decode(),
        "body_text": body.decode(),
        "signed_bytes": "exactly body_text's UTF-8 bytes (the inner serializer's output)",
        "signature_scheme": "RSA-PSS, MGF1(SHA-256), salt_length=PSS.MAX_LENGTH "
                            "(key bytes - 32 - 2 = 222 for RSA-2048), digest SHA-256",
        "verified_with_celery_Certificate_verify": True,
    }


PSS_TEST = r'''
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from celery.security.certificate import Certificate
from celery.exceptions import SecurityError

key = serialization.load_pem_private_key(open(KEY, "rb").read(), password=None)
cert = Certificate(open(CERT).read())
data = b'[[2, 3], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]'
sha = hashes.SHA256()

def sign(salt):
    return key.sign(data, padding.PSS(mgf=padding.MGF1(sha), salt_length=salt), sha)

def celery_verify(sig):
    try:
        cert.verify(data, sig, sha)          # Celery: PSS(MGF1(digest), salt_length=PSS.MAX_LENGTH)
        return "accepted"
    except SecurityError as exc:
        return f"rejected: {exc!r}"

def verify_salt(sig, salt):
    try:
        key.public_key().verify(sig, data, padding.PSS(mgf=padding.MGF1(sha), salt_length=salt), sha)
        return "accepted"
    except Exception as exc:
        return f"rejected: {type(exc).__name__}"

sig32, sigmax = sign(32), sign(padding.PSS.MAX_LENGTH)
results = {
    "salt 32 -> Celery Certificate.verify (MAX_LENGTH)": celery_verify(sig32),
    "salt MAX_LENGTH -> Celery Certificate.verify (MAX_LENGTH)": celery_verify(sigmax),
    "salt MAX_LENGTH -> verify with salt_length=32": verify_salt(sigmax, 32),
    "salt 32 -> verify with salt_length=32": verify_salt(sig32, 32),
    "salt 32 -> verify with PSS.AUTO": verify_salt(sig32, padding.PSS.AUTO),
    "salt MAX_LENGTH -> verify with PSS.AUTO": verify_salt(sigmax, padding.PSS.AUTO),
    "salt 222 (explicit) -> Celery Certificate.verify": celery_verify(sign(222)),
    "salt 221 -> Celery Certificate.verify": celery_verify(sign(221)),
    "salt 0 -> Celery Certificate.verify": celery_verify(sign(0)),
}
'''


def pss_salt_test() -> dict:
    import cryptography

    scope = {"KEY": str(KEY), "CERT": str(CERT)}
    exec(PSS_TEST, scope)
    return {"cryptography": cryptography.__version__, "code": PSS_TEST.strip().splitlines(),
            "results": scope["results"]}


# --------------------------------------------------------------------------------------------

def main():
    import celery
    import kombu
    import redis

    port = int(sys.argv[1]) if len(sys.argv) > 1 else 6399
    broker = f"redis://127.0.0.1:{port}/0"
    server = start_redis(port)
    r = redis.Redis(host="127.0.0.1", port=port, db=0)
    cert_store = tempfile.mkdtemp(prefix="capture-certs-")
    try:
        r.flushdb()
        ensure_signer()
        shutil.copy(CERT, Path(cert_store) / "signer-cert.pem")

        (HERE / "msgpack-vectors.json").write_text(json.dumps(msgpack_vectors(), indent=1, ensure_ascii=False) + "\n")

        decoded = {"generator": f"celery {celery.__version__}, kombu {kombu.__version__}, "
                                f"redis-py {redis.__version__}, Python {sys.version.split()[0]}"}
        for name, serializer, compression in [("json", "json", None), ("msgpack", "msgpack", None),
                                              ("yaml", "yaml", None), ("json-gzip", "json", "gzip"),
                                              ("json-bzip2", "json", "bzip2"), ("json-zstd", "json", "zstd")]:
            raw = capture_envelope(r, client_app(broker, serializer, compression), IDS[name])
            (HERE / f"envelope-{name}.json").write_bytes(raw)
            decoded[f"envelope-{name}.json"] = describe_envelope(raw)

        # results from a real Python worker
        client = client_app(broker)
        for mode in ["json", "msgpack", "yaml", "json-gzip"]:
            task_id = IDS[mode].replace("-8000-", "-8001-")
            raw, tap = run_worker(r, broker, f"result-{mode}", client, task_id, None, tap_events=(mode == "json"))
            (HERE / f"result-{mode}.bin").write_bytes(raw)
            if tap:
                (HERE / "events-json.json").write_text(json.dumps(tap.dump(), indent=1) + "\n")
                decoded["events-json.json"] = describe_events(tap.messages)

        # auth: from here on kombu's registry has the auth serializer and insecure ones disabled
        auth = client_app(broker, "auth")
        auth.conf.update(accept_content=["auth"], result_accept_content=None,
                         security_key=str(KEY), security_certificate=str(CERT), security_cert_store=cert_store)
        auth.setup_security()
        raw = capture_envelope(r, auth, IDS["auth"])
        (HERE / "envelope-auth.json").write_bytes(raw)
        env = json.loads(raw)
        decoded["envelope-auth.json"] = {"content-type": env["content-type"],
                                         "content-encoding": env["content-encoding"],
                                         "body_encoding": env["properties"].get("body_encoding"),
                                         "headers.compression": env["headers"].get("compression"),
                                         "see": "auth-unpacked.json"}
        (HERE / "auth-unpacked.json").write_text(json.dumps(unpack_auth(raw), indent=1) + "\n")

        auth_notes = {}
        for mode, result_file in [("auth-all", "result-auth.bin"), ("auth-task", "result-auth-task-only.bin")]:
            task_id = IDS["auth"].replace("-8000-", "-8001-" if mode == "auth-all" else "-8002-")
            raw, tap = run_worker(r, broker, mode, auth, task_id, cert_store, tap_events=True)
            (HERE / result_file).write_bytes(raw)
            note = {"result_file": result_file, "result_first_bytes": raw[:40].decode("latin-1")}
            if raw[:1] != b"{":
                note["result_unpacked"] = unpack_auth_payload(raw)
            # how a client has to be set up to read it back
            readers = {
                "client as sent (result_serializer json, result_accept_content = accept_content = ['auth'])": {},
                "client with result_serializer='auth'": {"result_serializer": "auth"},
                "client with result_accept_content=['json']": {"result_accept_content": ["json"]},
            }
            note["AsyncResult.get"] = {}
            for label, conf in readers.items():
                reader = client_app(broker, "auth")
                reader.conf.update(dict({"accept_content": ["auth"], "result_accept_content": None}, **conf))
                res = reader.AsyncResult(task_id)
                try:
                    note["AsyncResult.get"][label] = res.get(timeout=10)
                except Exception as exc:  # noqa: BLE001 - recorded, not fatal
                    note["AsyncResult.get"][label] = f"{type(exc).__name__}: {exc}"
                del res
                gc.collect()
                reader.close()
            events_file = f"events-{mode}.json"
            (HERE / events_file).write_text(json.dumps(tap.dump(), indent=1) + "\n")
            note["events_file"] = events_file
            note["events"] = describe_events(tap.messages)
            auth_notes[mode] = note
        decoded["auth worker runs"] = auth_notes
        decoded["pss-salt"] = "see pss-salt.json"
        (HERE / "pss-salt.json").write_text(json.dumps(pss_salt_test(), indent=1) + "\n")
        (HERE / "envelopes-decoded.json").write_text(json.dumps(decoded, indent=1, ensure_ascii=False) + "\n")
    finally:
        shutil.rmtree(cert_store, ignore_errors=True)
        if server is not None:
            try:
                r.shutdown(nosave=True)
            except Exception:  # noqa: BLE001 - the connection drops as the server exits
                pass
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
