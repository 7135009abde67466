"""Helpers for the Celery interoperability suite: real processes, Redis, events.

Everything here talks to the private redis-server named by TASKQ_TEST_REDIS_URL
and to processes this suite starts itself (Swift workers, Python workers,
Flower, the `celery` and `taskq` CLIs).
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BIN_DIR = Path(os.environ.get("TASKQ_BIN_DIR") or ROOT / ".build" / "debug")
if not BIN_DIR.is_absolute():
    BIN_DIR = ROOT / BIN_DIR
TASKQ = BIN_DIR / "taskq"
TASKS_APP = BIN_DIR / "tasks"
WORKFLOWS = BIN_DIR / "workflows"
PYTHON = sys.executable
LOG_ROOT = ROOT / "artifacts" / "interop"

SEP = "\x06\x16"
MIN_POLL = 0.05  # no polling loop spins faster than this (2-core machines running debug builds)
READY_STATES = {"SUCCESS", "FAILURE", "REVOKED"}


# --------------------------------------------------------------------- Redis

def base_redis_url() -> str:
    url = os.environ.get("TASKQ_TEST_REDIS_URL")
    if not url:
        raise RuntimeError("TASKQ_TEST_REDIS_URL is not set: run scripts/test, or start a redis-server and "
                           "export TASKQ_TEST_REDIS_URL=redis://127.0.0.1:PORT/0 (see docs/celery-interop.md)")
    return url


def url_for_db(db: int) -> str:
    """The test Redis URL with its database number replaced by `db`."""
    parts = urlsplit(base_redis_url())
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def redis_client(db: int) -> redis.Redis:
    return redis.Redis.from_url(url_for_db(db), protocol=2)


def priority_list(queue: str, priority: int) -> str:
    """kombu's Redis list for `queue` at `priority` (steps 0/3/6/9)."""
    step = max(s for s in (0, 3, 6, 9) if s <= max(0, min(9, priority)))
    return queue if step == 0 else f"{queue}{SEP}{step}"


def decode_envelope(raw: bytes | str) -> dict:
    """Decodes a kombu envelope (list item, pub/sub message); adds `decoded_body`."""
    envelope = json.loads(raw)
    body = envelope.get("body")
    if envelope.get("properties", {}).get("body_encoding") == "base64":
        body = base64.b64decode(body)
    envelope["decoded_body"] = json.loads(body)
    return envelope


def read_results(client: redis.Redis, ids: list[str]) -> dict[str, dict]:
    """Result records (`celery-task-meta-<id>`) that exist, by task id."""
    found: dict[str, dict] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        values = client.mget([f"celery-task-meta-{i}" for i in chunk])
        for task_id, value in zip(chunk, values):
            if value is not None:
                found[task_id] = json.loads(value)
    return found


def wait_until(predicate, timeout: float, interval: float = 0.1, message: str = "condition"):
    """Polls `predicate` until it returns a truthy value; returns that value."""
    interval = max(interval, MIN_POLL)
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {message}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------- processes

class Proc:
    """A process started by the suite, its output captured in a log file."""

    def __init__(self, name: str, argv: list[str], log_path: Path, env: dict | None = None,
                 cwd: Path | None = None):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "ab")
        self._log.write(("$ " + " ".join(argv) + "\n").encode())
        self._log.flush()
        self.popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log,
                                      stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                      start_new_session=True)
        self.pid = self.popen.pid
        self.nodename: str | None = None
        self.started_at = time.monotonic()

    def text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.text().splitlines()[-lines:])

    @property
    def returncode(self):
        return self.popen.poll()

    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait_for_log(self, pattern: str, timeout: float = 30, since: int = 0) -> re.Match:
        """Waits for a line matching `pattern` (regex) after char offset `since`."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self.text(), since)
            if match:
                return match
            if not self.alive():
                raise AssertionError(f"{self.name} exited ({self.returncode}) before logging {pattern!r}:\n{self.tail()}")
            if time.monotonic() >= deadline:
                raise AssertionError(f"{self.name} did not log {pattern!r} within {timeout}s:\n{self.tail()}")
            time.sleep(0.1)

    def log_size(self) -> int:
        return len(self.text())

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout=timeout)

    def terminate(self, timeout: float = 30) -> int | None:
        """SIGTERM (warm shutdown); SIGKILL of the whole group if it does not exit in time."""
        if self.alive():
            try:
                self.popen.send_signal(signal.SIGTERM)
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill_group()
        self.reap_group()
        return self.popen.returncode

    def kill(self):
        """SIGKILL of the main process only (children are left to notice)."""
        if self.alive():
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(timeout=10)

    def group_members(self) -> list[int]:
        """Live processes still in this process's group (e.g. orphaned pool children)."""
        members = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            state, pgid = fields[0], int(fields[2])
            if pgid == self.pid and state != "Z":
                members.append(int(entry.name))
        return members

    def kill_group(self):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def reap_group(self):
        """Kills leftovers of this process's group (only ours: the group id is our pid)."""
        if self.group_members():
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def close(self):
        try:
            self.terminate(timeout=15)
        finally:
            self._log.close()

    def force_kill(self):
        """SIGKILL of the whole process group, no questions asked (session cleanup)."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.popen.wait(timeout=5)
        except Exception:
            pass
        try:
            self._log.close()
        except Exception:
            pass


class Processes:
    """Starts and tracks processes; `stop_all` is called from fixture finalizers."""

    live: list["Proc"] = []  # every running Proc (for failure reports)
    started: list["Proc"] = []  # every Proc this session started (killed by kill_everything)

    def __init__(self, log_dir: Path, db: int):
        self.log_dir = log_dir
        self.db = db
        self.procs: list[Proc] = []
        self._counter = 0

    def _log_path(self, name: str) -> Path:
        self._counter += 1
        return self.log_dir / f"{self._counter:02d}-{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.log"

    def start(self, name: str, argv: list[str], env: dict | None = None, cwd: Path | None = None) -> Proc:
        full_env = dict(os.environ)
        full_env.update(env or {})
        proc = Proc(name, argv, self._log_path(name), env=full_env, cwd=cwd)
        self.procs.append(proc)
        Processes.live.append(proc)
        Processes.started.append(proc)
        return proc

    def swift_worker(self, name: str = "swift", queues: str | None = None, concurrency: int = 2,
                     extra: list[str] | None = None, db: int | None = None, wait: bool = True,
                     loglevel: str = "info") -> Proc:
        url = url_for_db(self.db if db is None else db)
        argv = [str(TASKQ), "worker", "-A", str(TASKS_APP), f"--loglevel={loglevel}", "-c", str(concurrency),
                "-n", f"{name}@%h", "--broker", url]
        if queues:
            argv += ["-Q", queues]
        argv += extra or []
        proc = self.start(f"swift-{name}", argv)
        if wait:
            self.wait_ready(proc)
        return proc

    def python_worker(self, name: str = "py", queues: str | None = None, concurrency: int = 1,
                      pool: str = "solo", extra: list[str] | None = None, env: dict | None = None,
                      db: int | None = None, wait: bool = True) -> Proc:
        url = url_for_db(self.db if db is None else db)
        argv = [PYTHON, "-m", "celery", "-A", "pytasks", "worker", "--loglevel=info", "-c", str(concurrency),
                "-n", f"{name}@%h", f"--pool={pool}"]
        if queues:
            argv += ["-Q", queues]
        argv += extra or []
        penv = {"PYTASKS_BROKER_URL": url, "PYTHONUNBUFFERED": "1"}
        penv.update(env or {})
        proc = self.start(f"py-{name}", argv, env=penv, cwd=HERE)
        if wait:
            self.wait_ready(proc)
        return proc

    @staticmethod
    def wait_ready(proc: Proc, timeout: float = 60, since: int = 0) -> Proc:
        match = proc.wait_for_log(r"(\S+@\S+) ready\.", timeout=timeout, since=since)
        proc.nodename = match.group(1)
        return proc

    def flower(self, port: int, extra: list[str] | None = None, db: int | None = None) -> Proc:
        url = url_for_db(self.db if db is None else db)
        argv = [PYTHON, "-m", "celery", f"--broker={url}", f"--result-backend={url}", "flower",
                f"--port={port}", "--address=127.0.0.1"] + (extra or [])
        return self.start("flower", argv, env={"FLOWER_UNAUTHENTICATED_API": "true"}, cwd=HERE)

    def stop_all(self):
        """Stops every process (SIGTERM, then SIGKILL of the group); one failure does not stop the rest."""
        errors = []
        for proc in reversed(self.procs):
            try:
                proc.close()
            except BaseException as exc:  # noqa: BLE001 - keep stopping the others, then report
                errors.append(f"{proc.name} (pid {proc.pid}): {exc!r}")
                proc.force_kill()
            finally:
                if proc in Processes.live:
                    Processes.live.remove(proc)
        self.procs.clear()
        if errors:
            raise RuntimeError("could not stop cleanly: " + "; ".join(errors))

    @classmethod
    def kill_everything(cls):
        """SIGKILLs the process group of every process this session started (idempotent).

        Each Proc is started with start_new_session=True, so its group id is its own pid and
        holds only it and its children: os.killpg never reaches anything the suite did not start.
        """
        for proc in list(cls.started):
            if proc.popen.returncode is None or proc.group_members():
                proc.force_kill()
        cls.live.clear()


# ------------------------------------------------------------------ HTTP

def http_get(port: int, path: str, timeout: float = 30) -> tuple[int, str]:
    """GET http://127.0.0.1:<port><path>; returns (status, body text) for any status."""
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def http_json(port: int, path: str, timeout: float = 30):
    status, body = http_get(port, path, timeout=timeout)
    if status != 200:
        raise AssertionError(f"GET {path} -> {status}: {body[:500]}")
    return json.loads(body)


def wait_http_ok(port: int, path: str, proc: "Proc", timeout: float = 60) -> str:
    """Waits until GET path answers 200 (the server is up); fails early if `proc` exits."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if not proc.alive():
            raise AssertionError(f"{proc.name} exited ({proc.returncode}):\n{proc.tail()}")
        try:
            status, body = http_get(port, path, timeout=5)
            if status == 200:
                return body
            last = f"{status}: {body[:200]}"
        except OSError as exc:
            last = repr(exc)
        time.sleep(0.25)
    raise AssertionError(f"GET {path} on port {port} not 200 within {timeout}s (last: {last})\n{proc.tail()}")


# ------------------------------------------------------------------ CLIs

def run(argv: list[str], timeout: float = 60, env: dict | None = None, cwd: Path | None = None,
        check: bool = False) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.update(env or {})
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=full_env, cwd=cwd,
                            stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {result.returncode}\nstdout:\n{result.stdout}\n"
                             f"stderr:\n{result.stderr}")
    return result


def taskq(*args: str, db: int, timeout: float = 60, check: bool = False) -> subprocess.CompletedProcess:
    return run([str(TASKQ), *args, "--broker", url_for_db(db)], timeout=timeout, check=check)


def workflows(*args: str, db: int, timeout: float = 120) -> dict:
    """Runs the Swift `workflows` client (Examples/workflows) on database `db`; its printed JSON."""
    result = run([str(WORKFLOWS), *args], timeout=timeout, env={"TASKQ_BROKER_URL": url_for_db(db)})
    if result.returncode != 0:
        raise AssertionError(f"workflows {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def celery_cli(*args: str, db: int, timeout: float = 60, check: bool = False) -> subprocess.CompletedProcess:
    url = url_for_db(db)
    return run([PYTHON, "-m", "celery", "-b", url, "--result-backend", url, *args], timeout=timeout,
               check=check, cwd=HERE)


def celery_json(*args: str, db: int, timeout: float = 60) -> dict:
    """Runs `celery -b URL <args> --json` and parses the replies ({node: reply})."""
    result = celery_cli(*args, "--json", db=db, timeout=timeout)
    out = result.stdout.strip()
    if result.returncode != 0 or not out:
        raise AssertionError(f"celery {' '.join(args)} exited {result.returncode}\nstdout:\n{result.stdout}\n"
                             f"stderr:\n{result.stderr}")
    try:
        return json.loads(out)
    except json.JSONDecodeError:
        # Some versions print one JSON object per reply line.
        merged = {}
        for line in out.splitlines():
            line = line.strip()
            if line.startswith("{"):
                merged.update(json.loads(line))
        return merged


# -------------------------------------------------------------- pub/sub taps

class EventSniffer:
    """Records every Celery event published on /{db}.celeryev/* (Flower's view)."""

    def __init__(self, db: int):
        self.db = db
        self.client = redis_client(db)
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.psubscribe(f"/{db}.celeryev/*")
        self.events: list[dict] = []
        self.channels: set[str] = set()
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"events-db{db}", daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                message = self.pubsub.get_message(timeout=0.2)
            except Exception as exc:  # connection closed at shutdown
                if not self._stop.is_set():
                    self.errors.append(repr(exc))
                return
            if not message:
                continue
            channel = message["channel"].decode()
            try:
                envelope = decode_envelope(message["data"])
            except Exception as exc:
                self.errors.append(f"{channel}: undecodable event ({exc!r}): {message['data'][:200]!r}")
                continue
            body = envelope["decoded_body"]
            batch = body if isinstance(body, list) else [body]
            now = time.time()
            with self._lock:
                self.channels.add(channel)
                for event in batch:
                    event = dict(event)
                    event["_channel"] = channel
                    event["_received"] = now
                    event["_envelope_headers"] = envelope.get("headers")
                    self.events.append(event)

    def snapshot(self) -> list[dict]:
        with self._lock:
            return list(self.events)

    def of_type(self, type_: str, hostname: str | None = None) -> list[dict]:
        return [e for e in self.snapshot() if e.get("type") == type_
                and (hostname is None or e.get("hostname") == hostname)]

    def for_task(self, task_id: str) -> list[dict]:
        return [e for e in self.snapshot() if e.get("uuid") == task_id]

    def wait_for(self, predicate, timeout: float = 20, message: str = "event"):
        return wait_until(lambda: [e for e in self.snapshot() if predicate(e)], timeout, message=message)

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            self.pubsub.close()
        finally:
            self.client.close()


class ResultWatcher:
    """Subscribes to `celery-task-meta-<id>` (no db prefix) and records every state published."""

    def __init__(self, db: int, task_id: str):
        self.task_id = task_id
        self.client = redis_client(db)
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(f"celery-task-meta-{task_id}")
        self.records: list[dict] = []

    def collect(self, timeout: float = 30) -> list[dict]:
        """Collects records until a ready state arrives (or the timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self.pubsub.get_message(timeout=0.2)
            if message and message["type"] == "message":
                record = json.loads(message["data"])
                record["_received"] = time.time()
                self.records.append(record)
                if record.get("status") in READY_STATES:
                    break
        return self.records

    @property
    def states(self) -> list[str]:
        return [r.get("status") for r in self.records]

    def close(self):
        self.pubsub.close()
        self.client.close()


# ------------------------------------------------------------------ timings

_TIMINGS: dict[str, object] = {}


def record(name: str, value) -> None:
    """Records a measurement; printed in the terminal summary and saved to artifacts/interop/timings.json."""
    _TIMINGS[name] = value
    LOG_ROOT.mkdir(parents=True, exist_ok=True)
    (LOG_ROOT / "timings.json").write_text(json.dumps(_TIMINGS, indent=2, default=str))


def recorded() -> dict:
    return dict(_TIMINGS)


_HELP: dict[str, str] = {}


def taskq_help(subcommand: str) -> str:
    """`taskq <subcommand> --help` (cached), to detect optional flags."""
    if subcommand not in _HELP:
        _HELP[subcommand] = run([str(TASKQ), subcommand, "--help"], timeout=30).stdout
    return _HELP[subcommand]
