"""The Python side of the interop suite: a plain Celery app.

A Python worker runs it with (cwd Tests/Interop):

    PYTASKS_BROKER_URL=redis://127.0.0.1:PORT/N celery -A pytasks worker -c 1 -n py@%h --pool=solo

Tests build client apps for their own Redis database with `make_app(url)`.

Besides the Python-only tasks (`pytasks.*`), it registers `tasks.add` and
`tasks.mul` as real Python tasks with the same semantics as the Swift example
app (and `tasks.sleep`), so a Python worker can share the `celery` queue with a
Swift worker, and
client-side stubs (signatures) for the Swift-only tasks, so Python code can
build canvas (chains) for them.

Environment:
  PYTASKS_BROKER_URL         broker (default redis://127.0.0.1:6379/0)
  PYTASKS_BACKEND_URL        result backend (default: the broker URL)
  PYTASKS_VISIBILITY_TIMEOUT kombu visibility_timeout in seconds (default: kombu's 3600)
  PYTASKS_RESTORE_INTERVAL   kombu unacked_restore_interval (seconds) with throttle 1
  PYTASKS_ACKS_LATE          1: task_acks_late=True
  PYTASKS_BEAT_EVERY         seconds: `celery -A pytasks beat` sends tasks.add(4, 5) that often
  PYTASKS_SERIALIZER         task_serializer (json, msgpack, yaml, auth)
  PYTASKS_ACCEPT             accept_content, comma-separated (default json)
  PYTASKS_COMPRESSION        task_compression (gzip, bzip2, zstd)
  PYTASKS_SECURITY           KEY:CERT:STORE paths; with PYTASKS_SERIALIZER=auth, app.setup_security()
                             (beat_schedule entry "py-beat-add"; test_beat_interop.py)
"""

from __future__ import annotations

import os
import time
from types import SimpleNamespace

from celery import Celery


class FlakyError(Exception):
    """Raised by pytasks.flaky until it has been retried enough times."""


def _transport_options() -> dict:
    options: dict = {}
    if os.environ.get("PYTASKS_VISIBILITY_TIMEOUT"):
        options["visibility_timeout"] = float(os.environ["PYTASKS_VISIBILITY_TIMEOUT"])
    if os.environ.get("PYTASKS_RESTORE_INTERVAL"):
        options["unacked_restore_interval"] = float(os.environ["PYTASKS_RESTORE_INTERVAL"])
        options["unacked_restore_throttle"] = 1
    return options


def _configure_formats(app: Celery) -> None:
    """Serializer, accepted content, compression and signing from the PYTASKS_* variables."""
    serializer = os.environ.get("PYTASKS_SERIALIZER")
    if serializer:
        app.conf.task_serializer = serializer
    accept = os.environ.get("PYTASKS_ACCEPT")
    if accept:
        app.conf.accept_content = accept.split(",")
        # Results stay JSON (result_serializer's default) whatever tasks are written in.
        app.conf.result_accept_content = ["json"]
    if os.environ.get("PYTASKS_COMPRESSION"):
        app.conf.task_compression = os.environ["PYTASKS_COMPRESSION"]
    security = os.environ.get("PYTASKS_SECURITY")
    if security:
        key, cert, store = security.split(":")
        app.conf.update(security_key=key, security_certificate=cert, security_cert_store=store)
        app.setup_security()


def make_app(broker: str | None = None, backend: str | None = None, name: str = "pytasks") -> Celery:
    """A Celery app with every task of this module registered; `app.swift` holds stubs."""
    broker = broker or os.environ.get("PYTASKS_BROKER_URL", "redis://127.0.0.1:6379/0")
    backend = backend or os.environ.get("PYTASKS_BACKEND_URL") or broker
    app = Celery(name, broker=broker, backend=backend, set_as_current=False)
    app.conf.update(
        broker_connection_retry_on_startup=True,
        broker_transport_options=_transport_options(),
        result_expires=3600,
        worker_hijack_root_logger=True,
        task_send_sent_event=True,
        task_acks_late=os.environ.get("PYTASKS_ACKS_LATE", "") not in ("", "0", "false"),
    )
    _configure_formats(app)
    if os.environ.get("PYTASKS_BEAT_EVERY"):
        app.conf.beat_schedule = {
            "py-beat-add": {"task": "tasks.add", "schedule": float(os.environ["PYTASKS_BEAT_EVERY"]),
                            "args": (4, 5)},
        }

    # ---- Python-only tasks -------------------------------------------------
    @app.task(name="pytasks.mul", shared=False)
    def mul(x, y):
        return x * y

    @app.task(name="pytasks.xsum", shared=False)
    def xsum(numbers):
        return sum(numbers)

    @app.task(name="pytasks.boom", shared=False)
    def boom(msg):
        raise ValueError(msg)

    @app.task(name="pytasks.echo", shared=False)
    def echo(*args, **kwargs):
        return {"args": list(args), "kwargs": kwargs}

    # Python twins of the Swift retry tasks, to compare the two workers.
    @app.task(name="pytasks.flaky", shared=False, bind=True, autoretry_for=(FlakyError,), max_retries=5,
              retry_kwargs={"countdown": 0.2})
    def flaky(self, failures):
        if self.request.retries < failures:
            raise FlakyError(f"flaky failure on attempt {self.request.retries + 1}")
        return self.request.retries

    @app.task(name="pytasks.always_fails", shared=False, bind=True, autoretry_for=(Exception,), max_retries=3,
              retry_kwargs={"countdown": 0.2})
    def always_fails(self):
        raise FlakyError(f"flaky failure on attempt {self.request.retries + 1}")

    # ---- Same names and semantics as the Swift example app -----------------
    @app.task(name="tasks.add", shared=False)
    def add(x, y):
        return x + y

    @app.task(name="tasks.mul", shared=False)
    def swift_mul(x, y):
        return x * y

    @app.task(name="tasks.sleep", shared=False)
    def swift_sleep(seconds):
        time.sleep(seconds)
        return seconds

    # ---- Client-side stubs for Swift-only tasks (never run in Python) ------
    app.swift = SimpleNamespace(
        add=add,
        mul=swift_mul,
        xsum=app.signature("tasks.xsum"),
        sleep=swift_sleep,
        fail=app.signature("tasks.fail"),
        flaky=app.signature("tasks.flaky"),
        always_fails=app.signature("tasks.always_fails"),
        echo=app.signature("tasks.echo"),
        limited=app.signature("tasks.limited"),
    )
    return app


app = make_app()

# Module-level names for the worker and for readers.
mul = app.tasks["pytasks.mul"]
boom = app.tasks["pytasks.boom"]
add = app.tasks["tasks.add"]
