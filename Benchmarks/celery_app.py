"""The Celery side of the TaskQ benchmark: the same task names as Examples/tasks.

TaskQ's client fills the queue once and either worker drains it, because both
speak Celery message protocol v2 on the same Redis. Start a worker with

    TASKQ_REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/celery -A celery_app worker --pool=solo

from this directory. The ignore-result phase needs no setting here: Celery 5.7
honours the `ignore_result` header of each message.
"""

import os
import time

from celery import Celery

URL = os.environ.get("TASKQ_REDIS_URL", "redis://127.0.0.1:6379/0")

app = Celery("tasks", broker=URL, backend=URL)
app.conf.update(
    broker_connection_retry_on_startup=True,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    worker_hijack_root_logger=False,
)


@app.task(name="tasks.add")
def add(x, y):
    return x + y


@app.task(name="tasks.spin")
def spin(seconds):
    """Busy-loop for `seconds` of wall time, like the Swift example's tasks.spin."""
    deadline = time.monotonic() + seconds
    counter = 0.0
    while time.monotonic() < deadline:
        counter += 1
    return seconds


@app.task(name="tasks.sleep")
def sleep(seconds):
    """Waits `seconds` (under -P gevent a cooperative wait), like the Swift example's tasks.sleep."""
    time.sleep(seconds)
    return seconds
