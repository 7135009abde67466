"""Process management for the fault suite: redis-server, TaskQ workers, Celery workers, the monitor.

Every process is started in a session of its own (so a scenario can signal one
process, or clean up a whole tree), logs to a file in the scenario's directory,
and is remembered in `Processes.live` so that nothing the suite started outlives
it. Also here: the /proc readers for a process tree's resident memory and open
file descriptors, and free-port selection.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import redis

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def free_port() -> int:
    """A loopback port nobody listens on right now (the kernel's pick)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def alive(pid: int) -> bool:
    """True if the process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def children_of(pid: int) -> list[int]:
    """Direct children of a process (every thread's children)."""
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    found.extend(int(p) for p in handle.read().split())
            except OSError:
                pass
    except OSError:
        pass
    return found


def tree_of(pid: int) -> list[int]:
    """The process and all its descendants."""
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        if alive(current):
            pids.append(current)
            queue.extend(children_of(current))
    return pids


def rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def fd_count(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def tree_usage(pid: int) -> tuple[int, int]:
    """(resident KiB, open fds) summed over a process tree."""
    pids = tree_of(pid)
    return sum(rss_kib(p) for p in pids), sum(fd_count(p) for p in pids)


class Process:
    """One started program with its log file."""

    def __init__(self, name: str, argv: list[str], log_path: Path, env: dict | None = None, cwd: Path | None = None):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "ab")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                      env=full_env, cwd=str(cwd) if cwd else None, start_new_session=True)
        self.pid = self.popen.pid
        self.started = time.monotonic()
        Processes.live.append(self)

    def running(self) -> bool:
        return self.popen.poll() is None

    def signal(self, signum: int) -> None:
        if self.running():
            os.kill(self.pid, signum)

    def wait(self, timeout: float) -> int | None:
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill_tree(self) -> None:
        """SIGKILL the process's session: it, its children, and orphans it left behind."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.wait(5)
        self._log.close()
        if self in Processes.live:
            Processes.live.remove(self)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


class Processes:
    """Every process the suite started and has not cleaned up."""

    live: list[Process] = []

    @classmethod
    def kill_everything(cls) -> None:
        for proc in list(cls.live):
            proc.kill_tree()


def wait_until(predicate, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:
            pass
        time.sleep(interval)
    return False


@dataclass
class Redis:
    """A private redis-server on a loopback port, with its own directory."""

    directory: Path
    aof: bool = False
    port: int = field(default_factory=free_port)
    proc: Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, wait: bool = True) -> "Redis":
        self.directory.mkdir(parents=True, exist_ok=True)
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--dir", str(self.directory), "--daemonize", "no", "--protected-mode", "no"]
        if self.aof:
            argv += ["--appendonly", "yes", "--appendfsync", "everysec"]
        else:
            argv += ["--appendonly", "no"]
        self.proc = Process(f"redis:{self.port}", argv, self.directory / "redis.log")
        if wait and not wait_until(self.ping, 15):
            raise RuntimeError(f"redis-server on port {self.port} did not answer PING; see {self.proc.log_path}")
        return self

    def ping(self) -> bool:
        try:
            return bool(self.client(timeout=0.5).ping())
        except redis.RedisError:
            return False

    def client(self, timeout: float = 10) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, db=0, socket_timeout=timeout, socket_connect_timeout=timeout)

    def shutdown(self) -> None:
        """SHUTDOWN (with AOF, what was written is fsynced first) and wait for the exit."""
        try:
            self.client().execute_command("SHUTDOWN")
        except redis.RedisError:
            pass
        if self.proc:
            self.proc.wait(15)
            self.proc.kill_tree()

    def kill(self) -> None:
        if self.proc:
            self.proc.signal(signal.SIGKILL)
            self.proc.wait(5)
            self.proc.kill_tree()

    def stop(self) -> None:
        if self.proc:
            self.proc.kill_tree()

    def used_memory(self) -> int:
        try:
            return int(self.client(timeout=2).info("memory")["used_memory"])
        except redis.RedisError:
            return 0


def bin_dir() -> Path:
    configured = os.environ.get("TASKQ_BIN_DIR")
    if configured:
        return Path(configured)
    out = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


class TaskQWorker:
    """`taskq worker -A tasks` with the suite's flags; `proc.pid` is the supervisor."""

    def __init__(self, bins: Path, broker: str, log_path: Path, name: str = "w1", concurrency: int = 2,
                 acks_late: bool = False, visibility_timeout: float = 5, extra: list[str] | None = None):
        self.name = name
        self.concurrency = concurrency
        argv = [str(bins / "taskq"), "worker", "-A", str(bins / "tasks"), "-b", broker, "-c", str(concurrency),
                "-n", f"{name}@%h", "--loglevel", "info", "--visibility-timeout", str(visibility_timeout)]
        if acks_late:
            argv.append("--acks-late")
        argv += extra or []
        self.proc = Process(f"taskq:{name}", argv, log_path, env={"SWIFT_BACKTRACE": "enable=no"})

    @property
    def pid(self) -> int:
        return self.proc.pid

    def children(self) -> list[int]:
        return children_of(self.pid)

    def wait_children(self, timeout: float = 20) -> bool:
        return wait_until(lambda: len(self.children()) >= self.concurrency, timeout)

    def usage(self) -> tuple[int, int]:
        return tree_usage(self.pid)


class CeleryWorker:
    """A Python Celery prefork worker on Tests/Faults/celery_faults.py."""

    def __init__(self, broker: str, log_path: Path, name: str = "py1", concurrency: int = 2,
                 acks_late: bool = False, visibility_timeout: float = 5, extra: list[str] | None = None):
        self.name = name
        self.concurrency = concurrency
        argv = [sys.executable, "-m", "celery", "-A", "celery_faults", "worker", "-P", "prefork",
                "-c", str(concurrency), "-n", f"{name}@%h", "--loglevel", "INFO", "--without-gossip",
                "--without-mingle"] + (extra or [])
        env = {"FAULTS_BROKER_URL": broker, "FAULTS_ACKS_LATE": "1" if acks_late else "",
               "FAULTS_VISIBILITY_TIMEOUT": str(visibility_timeout), "PYTHONPATH": str(HERE)}
        self.proc = Process(f"celery:{name}", argv, log_path, env=env, cwd=HERE)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def children(self) -> list[int]:
        return children_of(self.pid)

    def wait_children(self, timeout: float = 30) -> bool:
        return wait_until(lambda: len(self.children()) >= self.concurrency
                          and "ready." in self.proc.log_text(), timeout, 0.2)

    def usage(self) -> tuple[int, int]:
        return tree_usage(self.pid)


class Monitor:
    """`taskq monitor` on a free port, polled over HTTP."""

    def __init__(self, bins: Path, broker: str, log_path: Path):
        self.port = free_port()
        argv = [str(bins / "taskq"), "monitor", "-b", broker, "--port", str(self.port), "--loglevel", "warning"]
        self.proc = Process("monitor", argv, log_path)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def get(self, path: str, timeout: float = 2) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, b""
        except Exception:
            return 0, b""

    def wait_ready(self, timeout: float = 20) -> bool:
        return wait_until(lambda: self.get("/healthcheck")[0] == 200, timeout, 0.2)
