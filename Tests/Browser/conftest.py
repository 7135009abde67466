"""Fixtures for the dashboard browser test.

One session: a Redis database of its own (flushed first), a real `taskq worker -A tasks`,
a real `taskq monitor` on a free port, and headless Chromium driven by selenium. Every
process runs in its own process group; all groups are killed at the end, however the
session ends (failures, pytest-timeout, Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = Path(os.environ.get("TASKQ_BIN_DIR", ROOT / ".build" / "debug")).resolve()
TASKQ = BIN_DIR / "taskq"
TASKS_APP = BIN_DIR / "tasks"
ARTIFACTS = ROOT / "artifacts" / "browser"
DATABASE = int(os.environ.get("TASKQ_BROWSER_REDIS_DB", "14"))

_groups: list[subprocess.Popen] = []


def _kill_everything() -> None:
    for process in _groups:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 10
    for process in _groups:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        # SIGKILL the whole group: a worker's pool children live there too.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


def _on_termination(signum, frame):
    _kill_everything()
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config):
    atexit.register(_kill_everything)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _on_termination)


def pytest_sessionstart(session):
    for binary in (TASKQ, TASKS_APP):
        if not binary.exists():
            raise pytest.UsageError(f"{binary} is missing: set TASKQ_BIN_DIR to the folder with the built "
                                    "`taskq` and `tasks` executables (swift build)")
    for tool in ("/usr/bin/chromium", "/usr/bin/chromedriver"):
        if not Path(tool).exists():
            raise pytest.UsageError(f"{tool} is missing: apt-get install -y chromium chromium-driver")
    if "TASKQ_TEST_REDIS_URL" not in os.environ:
        raise pytest.UsageError("TASKQ_TEST_REDIS_URL is not set; start a private redis-server "
                                "(source scripts/start-redis && taskq_start_redis) and pass its URL")


def pytest_sessionfinish(session, exitstatus):
    _kill_everything()


def start(arguments: list[str], log: Path) -> subprocess.Popen:
    """Starts a process in a new process group with its output in `log`."""
    env = dict(os.environ, SWIFT_BACKTRACE="enable=no")
    handle = open(log, "wb")
    process = subprocess.Popen(arguments, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               start_new_session=True, env=env)
    handle.close()
    _groups.append(process)
    return process


def wait_for(condition, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stack:
    """The running worker and monitor, and helpers to send tasks through the CLI."""

    def __init__(self, redis_url: str, monitor_port: int, logs: Path):
        self.redis_url = redis_url
        self.base = f"http://127.0.0.1:{monitor_port}"
        self.logs = logs

    def cli(self, *arguments: str, check: bool = True, timeout: float = 40) -> subprocess.CompletedProcess:
        completed = subprocess.run([str(TASKQ), *arguments, "--broker", self.redis_url], capture_output=True, text=True,
                                   timeout=timeout, env=dict(os.environ, SWIFT_BACKTRACE="enable=no"))
        if check and completed.returncode != 0:
            raise AssertionError(f"taskq {' '.join(arguments)} failed ({completed.returncode}):\n"
                                 f"{completed.stdout}\n{completed.stderr}")
        return completed

    def send(self, name: str, args: list | None = None, kwargs: dict | None = None) -> str:
        """`taskq call NAME` → the task id (without waiting)."""
        out = self.cli("call", name, "--args", json.dumps(args or []), "--kwargs", json.dumps(kwargs or {}))
        return out.stdout.strip().splitlines()[-1]

    def run(self, name: str, args: list | None = None, kwargs: dict | None = None) -> tuple[str, subprocess.CompletedProcess]:
        """Sends a task, then `taskq result ID --wait`; returns the id and the finished command."""
        task_id = self.send(name, args, kwargs)
        return task_id, self.cli("result", task_id, "--wait", "--timeout", "30", check=False)

    def api(self, path: str):
        with urllib.request.urlopen(self.base + path, timeout=10) as response:
            return json.loads(response.read())

    def wait_recorded(self, task_id: str, state: str, timeout: float = 20) -> dict:
        """Waits until the monitor's history shows the task in `state`."""
        def recorded():
            try:
                info = self.api(f"/api/task/info/{task_id}")
            except urllib.error.HTTPError:
                return None
            return info if info.get("state") == state else None
        return wait_for(recorded, timeout, f"task {task_id} to be recorded as {state}")


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Stack:
    base = os.environ["TASKQ_TEST_REDIS_URL"].rstrip("/")
    if base.rsplit("/", 1)[-1].isdigit() and base.count("/") > 2:
        base = base.rsplit("/", 1)[0]
    redis_url = f"{base}/{DATABASE}"
    flushed = subprocess.run(["redis-cli", "-u", redis_url, "FLUSHDB"], capture_output=True, text=True, timeout=10)
    assert flushed.stdout.strip() == "OK", f"FLUSHDB on {redis_url} failed: {flushed.stdout}{flushed.stderr}"
    logs = tmp_path_factory.mktemp("browser-logs")
    worker = start([str(TASKQ), "worker", "-A", str(TASKS_APP), "-c", "2", "-n", "browser@%h", "--loglevel=info",
                    "--broker", redis_url], logs / "worker.log")
    wait_for(lambda: " ready." in (logs / "worker.log").read_text(errors="replace") or worker.poll() is not None,
             60, "the worker to be ready")
    assert worker.poll() is None, f"worker exited:\n{(logs / 'worker.log').read_text(errors='replace')}"
    port = free_port()
    monitor = start([str(TASKQ), "monitor", "--port", str(port), "--broker", redis_url], logs / "monitor.log")
    wait_for(lambda: "Monitor listening" in (logs / "monitor.log").read_text(errors="replace") or monitor.poll() is not None,
             30, "the monitor to listen")
    assert monitor.poll() is None, f"monitor exited:\n{(logs / 'monitor.log').read_text(errors='replace')}"
    stack = Stack(redis_url, port, logs)
    # The Workers page needs the worker's first heartbeat.
    wait_for(lambda: stack.api("/api/workers"), 20, "the worker's status")
    yield stack
    _kill_everything()


@pytest.fixture(scope="session")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()
