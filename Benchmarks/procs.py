"""Processes for the benchmark: /proc readings and workers started in their own process group."""

import os
import signal
import subprocess
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(text):
    print(text, flush=True)


# ---------------------------------------------------------------- /proc


def proc_stat(pid):
    """(utime+stime in seconds, pgid) of a process, or None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    # fields[0] is state (field 3); utime is field 14, stime 15, pgrp 5.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK, int(fields[2])


def group_pids(pgid):
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = proc_stat(int(entry))
            if stat and stat[1] == pgid:
                pids.append(int(entry))
    return pids


def tree_pids(root):
    """`root` and all its descendants (children may start their own session or group)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                raw = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = raw[raw.rindex(")") + 2:].split()
            if fields[0] != "Z":
                parents.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def status_kib(pid, field):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kib(pid):
    """Proportional set size: shared pages (the same binary mapped by every child) count once in all."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pids):
    total = 0.0
    for pid in pids:
        stat = proc_stat(pid)
        if stat:
            total += stat[0]
    return total


# ---------------------------------------------------------------- workers


class Worker:
    """A worker started in its own process group, stopped as a group."""

    def __init__(self, kind, argv, env, label):
        self.kind = kind
        self.label = label
        self.started = time.monotonic()
        self.process = subprocess.Popen(argv, env=env, cwd=HERE, start_new_session=True,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.pgid = self.process.pid
        self.peak_rss_kib = 0
        self.peak_pss_kib = 0
        self.samples = 0

    def pids(self):
        return sorted(set(tree_pids(self.process.pid)) | set(group_pids(self.pgid)))

    def children(self):
        return [pid for pid in self.pids() if pid != self.process.pid]

    def sample_rss(self):
        pids = self.pids()
        total = sum(status_kib(pid, "VmRSS") for pid in pids)
        self.peak_rss_kib = max(self.peak_rss_kib, total)
        self.samples += 1
        if self.samples % 4 == 1:  # smaps_rollup walks every mapping: read it less often
            self.peak_pss_kib = max(self.peak_pss_kib, sum(pss_kib(pid) for pid in pids))
        return total

    def hwm_kib(self):
        return sum(status_kib(pid, "VmHWM") for pid in self.pids())

    def stop(self):
        tree = self.pids()
        if self.process.poll() is None:
            try:
                os.killpg(self.pgid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.pgid, signal.SIGKILL)
                self.process.wait()
        # Children left behind by a supervisor that exited first.
        for pid in set(group_pids(self.pgid)) | (set(tree) - {self.process.pid}):
            if not Path(f"/proc/{pid}").exists():
                continue
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        err = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
        self.process.stderr.close()
        return err

    def check_alive(self):
        if self.process.poll() is not None:
            err = self.process.stderr.read().decode(errors="replace")
            raise SystemExit(f"bench: {self.label} exited early with {self.process.returncode}:\n{err[-3000:]}")
