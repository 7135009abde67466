"""The Celery app the fault suite runs Python Celery prefork workers on, for comparison rows.

It registers `tasks.record`, `tasks.echo` and `tasks.add` with the semantics of
the Swift example app (Examples/tasks/main.swift): `record(path, seconds)`
sleeps, then appends the task id as one line to `path` in one write;
`echo(**kwargs)` returns its kwargs; `add(x, y)` returns the sum.

    FAULTS_BROKER_URL=redis://127.0.0.1:PORT/0 celery -A celery_faults worker -P prefork -c 2

Environment:
  FAULTS_BROKER_URL          broker and result backend
  FAULTS_ACKS_LATE           non-empty: task_acks_late=True
  FAULTS_VISIBILITY_TIMEOUT  kombu visibility_timeout (seconds); restores are swept every second
"""

from __future__ import annotations

import os
import time

from celery import Celery

broker = os.environ.get("FAULTS_BROKER_URL", "redis://127.0.0.1:6379/0")
visibility = float(os.environ.get("FAULTS_VISIBILITY_TIMEOUT", "3600"))

app = Celery("celery_faults", broker=broker, backend=broker)
app.conf.update(
    broker_connection_retry_on_startup=True,
    broker_transport_options={"visibility_timeout": visibility, "unacked_restore_interval": 1,
                              "unacked_restore_throttle": 1},
    task_acks_late=bool(os.environ.get("FAULTS_ACKS_LATE")),
    worker_prefetch_multiplier=4,
    result_expires=86400,
)


@app.task(name="tasks.record", bind=True)
def record(self, path, seconds):
    if seconds > 0:
        time.sleep(seconds)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, (self.request.id + "\n").encode())
    finally:
        os.close(descriptor)
    return self.request.id


@app.task(name="tasks.echo")
def echo(**kwargs):
    return kwargs


@app.task(name="tasks.add")
def add(x, y):
    return x + y
