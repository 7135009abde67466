#!/usr/bin/env python3
"""TaskQ vs Celery on one private Redis: drain, enqueue, round trip, CPU-bound, memory.

Run through Benchmarks/run.sh, which installs what is missing, builds TaskQ in
release mode, starts a private redis-server and calls this script with
TASKQ_REDIS_URL, TASKQ_REDIS_PID, TASKQ_BIN and TASKS_BIN set.

Every figure is measured `--repeat` times (default 3) and shown as
median [min–max]. A markdown report goes to `--out`.
"""

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import redis

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV_BIN = Path(sys.executable).parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
POLL = 0.002  # seconds between completion polls


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

    def pids(self):
        return sorted(set(tree_pids(self.process.pid)) | set(group_pids(self.pgid)))

    def children(self):
        return [pid for pid in self.pids() if pid != self.process.pid]

    def sample_rss(self):
        total = sum(status_kib(pid, "VmRSS") for pid in self.pids())
        self.peak_rss_kib = max(self.peak_rss_kib, total)
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


# ---------------------------------------------------------------- harness


class Bench:
    def __init__(self, options):
        self.options = options
        self.url = os.environ["TASKQ_REDIS_URL"]
        self.redis = redis.Redis.from_url(self.url)
        self.redis_pid = int(os.environ.get("TASKQ_REDIS_PID") or self.redis.info("server")["process_id"])
        self.taskq = str(Path(os.environ.get("TASKQ_BIN", ROOT / ".build-release/release/taskq")).resolve())
        self.tasks = str(Path(os.environ.get("TASKS_BIN", ROOT / ".build-release/release/tasks")).resolve())
        self.env = dict(os.environ, TASKQ_BROKER_URL=self.url, TASKQ_RESULT_BACKEND=self.url,
                        SWIFT_BACKTRACE="enable=no", PYTHONDONTWRITEBYTECODE="1")
        self.results = {}  # figure key -> list of values
        self.profiles = {}  # worker label -> profile dict of its last results drain
        self.phase = 0
        self.phases = 0

    # -- plumbing

    def progress(self, text):
        self.phase += 1
        log(f"[{self.phase:2d}/{self.phases}] {text}")

    def record(self, key, value):
        self.results.setdefault(key, []).append(value)

    def taskq_bench(self, *args):
        out = subprocess.run([self.taskq, "bench", *args, "-b", self.url], env=self.env,
                             capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise SystemExit(f"bench: taskq bench {' '.join(args)} failed:\n{out.stderr}")
        return json.loads(out.stdout.strip().splitlines()[-1])

    def fill(self, prefix, count, ignore_result=False, task="tasks.add", args=None):
        extra = ["--ignore-result"] if ignore_result else []
        if args is not None:
            extra += ["--task", task, "--args", json.dumps(args)]
        return self.taskq_bench("batch", "-n", str(count), "--batch-size", "5000", "--id-prefix", prefix, *extra)

    def start_taskq(self, flags):
        argv = [self.taskq, "worker", "-A", self.tasks, "-b", self.url, "-l", "warning", *flags]
        return Worker("taskq", argv, self.env, "taskq worker " + " ".join(flags))

    def start_celery(self, flags):
        env = self.env
        argv = [str(VENV_BIN / "celery"), "-A", "celery_app", "worker", "-l", "warning",
                "--without-gossip", "--without-mingle", "--without-heartbeat", *flags]
        return Worker("celery", argv, env, "celery worker " + " ".join(flags))

    def commandstats(self):
        stats = self.redis.info("commandstats")
        return {name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()}

    # Finds the first missing record from a start index, server-side: one call per poll,
    # about one EXISTS per task in all, so polling takes little CPU from the worker.
    FIRST_MISSING = """
    local i, n, calls = tonumber(ARGV[2]), tonumber(ARGV[3]), 0
    while i < n do
      calls = calls + 1
      if redis.call('EXISTS', ARGV[1] .. i) == 0 then break end
      i = i + 1
    end
    return {i, calls}
    """

    def wait_drained(self, worker, prefix, count, total_queued, timeout):
        """Wait until `celery-task-meta-<prefix>-<i>` exists for every i < count.

        Returns (t_first_claim, t_done, the harness's own command counts)."""
        own = {"llen": 0, "exists": 0, "eval": 0, "evalsha": 0}
        script = self.redis.register_script(self.FIRST_MISSING)
        script(args=["x", 0, 0])  # load it before timing
        own["evalsha"] += 1
        t_first = None
        deadline = time.monotonic() + timeout
        last_rss = 0.0
        done = 0
        while True:
            now = time.monotonic()
            if now > deadline:
                raise SystemExit(f"bench: {worker.label}: {count - done} of {count} results missing after {timeout} s")
            if now - last_rss > 0.05:
                worker.sample_rss()
                last_rss = now
            if t_first is None:
                own["llen"] += 1
                if self.redis.llen("celery") < total_queued:
                    t_first = time.monotonic()
                else:
                    worker.check_alive()
                    time.sleep(POLL)
                    continue
            done, calls = script(args=[f"celery-task-meta-{prefix}-", done, count])
            finished = time.monotonic()
            own["evalsha"] += 1
            own["exists"] += calls
            if done >= count:
                worker.sample_rss()
                return t_first, finished, own
            worker.check_alive()
            time.sleep(POLL)

    def verify(self, prefix, count):
        """Every record SUCCESS with result == 2*i; returns the number checked."""
        bad = []
        for start in range(0, count, 2000):
            ids = range(start, min(start + 2000, count))
            raws = self.redis.mget([f"celery-task-meta-{prefix}-{i}" for i in ids])
            for i, raw in zip(ids, raws):
                record = json.loads(raw) if raw else None
                if not record or record.get("status") != "SUCCESS" or record.get("result") != 2 * i:
                    bad.append((i, record))
        if bad:
            raise SystemExit(f"bench: {len(bad)} of {count} result records are wrong, e.g. {bad[:3]}")
        return count

    # -- phases

    def drain(self, system, flags, mode, run):
        """One drain: fill N, start the worker, time until done, verify, profile."""
        n = self.options.celery_n if system == "celery" else self.options.n
        ignore = mode == "ignore"
        self.redis.flushdb()
        prefix = f"d{run}"
        self.fill(prefix, n, ignore_result=ignore)
        total = n
        if ignore:
            # A sentinel with a stored result queued behind the N tells when they are done.
            self.fill(f"s{run}", 1)
            total += 1
            wait_prefix, wait_count = f"s{run}", 1
        else:
            wait_prefix, wait_count = prefix, n
        self.redis.config_resetstat()
        start = self.start_celery if system == "celery" else self.start_taskq
        worker = start(flags)
        # CPU is read at the first claim and at the end, so startup is excluded.
        t_first, t_done, own = None, None, None
        cpu_before = None
        try:
            # Wait for the first claim while sampling, then snapshot CPU.
            startup_polls = 0
            while self.redis.llen("celery") >= total:
                startup_polls += 1
                worker.check_alive()
                worker.sample_rss()
                time.sleep(POLL)
            pids = worker.pids()
            cpu_before = {pid: cpu_seconds([pid]) for pid in pids}
            redis_before = cpu_seconds([self.redis_pid])
            t_first = time.monotonic()
            _, t_done, own = self.wait_drained(worker, wait_prefix, wait_count, total, self.options.timeout)
            own["llen"] += startup_polls + 1
            pids = worker.pids()
            cpu_after = {pid: cpu_seconds([pid]) for pid in pids}
            redis_after = cpu_seconds([self.redis_pid])
            hwm = worker.hwm_kib()
            stats = self.commandstats()
        finally:
            worker.stop()
        seconds = t_done - t_first
        startup = t_first - worker.started
        if ignore:
            stored = sum(self.redis.exists(*[f"celery-task-meta-{prefix}-{i}" for i in range(j, min(j + 1000, n))])
                         for j in range(0, n, 1000))
            if stored:
                raise SystemExit(f"bench: {worker.label}: {stored} results stored although ignore_result was set")
        else:
            self.verify(prefix, n)
        supervisor = worker.process.pid
        delta = lambda pid: cpu_after.get(pid, 0) - cpu_before.get(pid, 0)
        ops = {name: calls - own.get(name, 0) for name, calls in stats.items()
               if name not in ("config|resetstat", "config", "info", "script|load", "script")}
        ops = {name: calls for name, calls in ops.items() if calls > 0}
        profile = {
            "seconds": seconds,
            "supervisor_cpu": delta(supervisor),
            "children_cpu": sum(delta(pid) for pid in cpu_after if pid != supervisor),
            "redis_cpu": redis_after - redis_before,
            "ops_per_task": {name: calls / total for name, calls in sorted(ops.items(), key=lambda kv: -kv[1])},
            "hwm_mib": hwm / 1024,
            "rss_mib": worker.peak_rss_kib / 1024,
        }
        profile["n"] = n
        return n / seconds, n / (t_done - worker.started), startup, profile

    def run_drains(self):
        configs = [("taskq", "taskq -c 2", ["-c", "2"]),
                   ("taskq", "taskq best", self.options.taskq_best.split()),
                   ("celery", "celery solo", ["--pool=solo"]),
                   ("celery", "celery prefork -c 2", ["--pool=prefork", "-c", "2"])]
        if self.options.celery_n <= 0:
            configs = [config for config in configs if config[0] != "celery"]
        for mode in ("results", "ignore"):
            for system, label, flags in configs:
                for run in range(self.options.repeat):
                    rate, total_rate, startup, profile = self.drain(system, flags, mode, run)
                    self.record(f"drain.{mode}.{label}", rate)
                    self.record(f"drain_total.{mode}.{label}", total_rate)
                    self.record(f"startup.{label}", startup)
                    if mode == "results":
                        self.record(f"rss.{label}", profile["rss_mib"])
                        self.record(f"hwm.{label}", profile["hwm_mib"])
                        self.profiles[label] = profile
                    self.progress(f"drain {mode:7s} {label:20s} run {run + 1}: {rate:9.0f} tasks/s "
                                  f"({profile['n']} in {profile['n'] / rate:.2f} s, startup {startup:.2f} s, "
                                  f"peak RSS {profile['rss_mib']:.1f} MiB)")

    def run_enqueue(self):
        n = self.options.n
        import celery_app  # noqa: E402  (needs TASKQ_REDIS_URL, set above)
        for run in range(self.options.repeat):
            self.redis.flushdb()
            rate = self.taskq_bench("single", "-n", str(n))["per_second"]
            self.record("enqueue.taskq single", rate)
            self.progress(f"enqueue taskq one at a time     run {run + 1}: {rate:9.0f}/s")
            self.redis.flushdb()
            celery_app.add.delay(0, 0)  # connect before timing
            cn = max(self.options.celery_n, 1000)
            start = time.perf_counter()
            for i in range(cn):
                celery_app.add.delay(i, i)
            rate = cn / (time.perf_counter() - start)
            self.record("enqueue.celery delay", rate)
            self.progress(f"enqueue celery delay()          run {run + 1}: {rate:9.0f}/s")
            for size in (1000, n):
                self.redis.flushdb()
                rate = self.taskq_bench("batch", "-n", str(n), "--batch-size", str(size))["per_second"]
                self.record(f"enqueue.taskq batch {size}", rate)
                self.progress(f"enqueue taskq sendBatch ×{size:<6d} run {run + 1}: {rate:9.0f}/s")
        self.redis.flushdb()

    def run_roundtrip(self):
        count = self.options.roundtrips
        import celery_app  # noqa: E402
        self.redis.flushdb()
        worker = self.start_taskq(self.options.taskq_best.split())
        try:
            for run in range(self.options.repeat):
                report = self.taskq_bench("roundtrip", "-n", str(count), "--warmup", "50")
                for q in ("p50", "p90", "p99"):
                    self.record(f"rtt.taskq.{q}", report[f"{q}_ms"])
                self.progress(f"round trip taskq ({count}) run {run + 1}: p50 {report['p50_ms']:.3f} ms, "
                              f"p90 {report['p90_ms']:.3f} ms, p99 {report['p99_ms']:.3f} ms")
        finally:
            worker.stop()
        self.redis.flushdb()
        worker = self.start_celery(["--pool=solo"])
        try:
            for i in range(50):
                celery_app.add.delay(i, i).get(timeout=30)
            for run in range(self.options.repeat):
                latencies = []
                for i in range(count):
                    start = time.perf_counter()
                    result = celery_app.add.delay(i, i)
                    value = result.get(timeout=30)
                    latencies.append((time.perf_counter() - start) * 1000)
                    assert value == 2 * i
                latencies.sort()
                pick = lambda q: latencies[min(len(latencies) - 1, max(0, int(-(-q * len(latencies) // 1)) - 1))]
                for name, q in (("p50", 0.50), ("p90", 0.90), ("p99", 0.99)):
                    self.record(f"rtt.celery.{name}", pick(q))
                self.progress(f"round trip celery solo ({count}) run {run + 1}: p50 {pick(0.5):.3f} ms, "
                              f"p90 {pick(0.9):.3f} ms, p99 {pick(0.99):.3f} ms")
        finally:
            worker.stop()

    def run_cpu(self):
        count, seconds = self.options.cpu_tasks, 0.05
        for run in range(self.options.repeat):
            for c in ("1", "2"):
                self.redis.flushdb()
                prefix = f"spin{run}c{c}"
                self.fill(prefix, count, task="tasks.spin", args=[seconds])
                worker = self.start_taskq(["-c", c, "--without-events"])
                try:
                    t_first, t_done, _ = self.wait_drained(worker, prefix, count, count, self.options.timeout)
                finally:
                    worker.stop()
                elapsed = t_done - t_first
                self.record(f"cpu.taskq -c {c}", elapsed)
                self.progress(f"cpu-bound {count}×{seconds * 1000:.0f} ms taskq -c {c} run {run + 1}: {elapsed:.2f} s "
                              f"(ideal {count * seconds / int(c):.2f} s)")
            self.record("cpu.speedup", self.results[f"cpu.taskq -c 1"][-1] / self.results[f"cpu.taskq -c 2"][-1])

    # -- report

    def machine(self):
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), platform.processor())
        mem = status = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        swift = subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout.splitlines()
        swift = next((line for line in swift if "Swift version" in line), "?").strip()
        server = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()
        server = next((word.split("=", 1)[1] for word in server if word.startswith("v=")), "?")
        import celery
        import kombu
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        return {
            "CPU": f"{cpu}, {os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))})",
            "Memory": f"{int(mem) / 1024 / 1024:.1f} GiB",
            "Kernel": platform.release(),
            "Swift": swift,
            "redis-server": server,
            "Celery / kombu / redis-py": f"{celery.__version__} / {kombu.__version__} / {redis.__version__}",
            "Python": platform.python_version(),
            "TaskQ commit": commit or "?",
            "Load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        }

    def fmt(self, key, digits=0, unit=""):
        values = self.results.get(key)
        if not values:
            return "–"
        med = statistics.median(values)
        spec = f"{{:,.{digits}f}}"
        return f"{spec.format(med)}{unit} [{spec.format(min(values))}–{spec.format(max(values))}]"

    def med(self, key):
        values = self.results.get(key)
        return statistics.median(values) if values else None

    def ratio(self, a, b, target=None, higher=True):
        x, y = self.med(a), self.med(b)
        if x is None or y is None or y == 0:
            return "–"
        r = x / y
        text = f"{r:.1f}×"
        if target is not None:
            ok = r >= target if higher else r <= target
            text += f" ({'meets' if ok else 'misses'} ≥ {target:g}×)"
        return text

    def check(self, key, limit, higher):
        value = self.med(key)
        if value is None:
            return "–"
        ok = value >= limit if higher else value <= limit
        return "met" if ok else "missed"

    def report(self, machine, settings):
        n = self.options.n
        lines = ["## Results", "", f"N = {n:,} tasks for TaskQ, {self.options.celery_n:,} for Celery's drains and delay() loop "
                 f"(rates are per second, so they compare); each figure is median [min–max] of {self.options.repeat} runs.", ""]
        lines += ["| Figure | TaskQ | Celery | Ratio / target |", "|---|---|---|---|"]
        best_celery = {}
        for mode in ("results", "ignore"):
            pair = [(f"drain.{mode}.celery solo"), (f"drain.{mode}.celery prefork -c 2")]
            best_celery[mode] = max(pair, key=lambda k: self.med(k) or 0)
        for mode, title in (("results", "with results"), ("ignore", "ignoreResult")):
            bc = best_celery[mode]
            lines.append(f"| Drain {title}, tasks/s: TaskQ -c 2 vs Celery solo | {self.fmt(f'drain.{mode}.taskq -c 2')} | "
                         f"{self.fmt(f'drain.{mode}.celery solo')} | {self.ratio(f'drain.{mode}.taskq -c 2', f'drain.{mode}.celery solo')} |")
            lines.append(f"| Drain {title}, tasks/s: TaskQ -c 2 vs Celery prefork -c 2 | {self.fmt(f'drain.{mode}.taskq -c 2')} | "
                         f"{self.fmt(f'drain.{mode}.celery prefork -c 2')} | {self.ratio(f'drain.{mode}.taskq -c 2', f'drain.{mode}.celery prefork -c 2')} |")
            target = 30 if mode == "results" else None
            lines.append(f"| Drain {title}, tasks/s: TaskQ best vs Celery best ({bc.split('.')[-1]}) | "
                         f"{self.fmt(f'drain.{mode}.taskq best')} | {self.fmt(bc)} | "
                         f"{self.ratio(f'drain.{mode}.taskq best', bc, target)} |")
        lines.append(f"| Drain with results incl. worker startup, tasks/s (best vs best) | {self.fmt('drain_total.results.taskq best')} | "
                     f"{self.fmt(best_celery['results'].replace('drain.', 'drain_total.'))} | "
                     f"{self.ratio('drain_total.results.taskq best', best_celery['results'].replace('drain.', 'drain_total.'))} |")
        lines.append(f"| Worker startup to first claim, s (best config) | {self.fmt('startup.taskq best', 2)} | "
                     f"{self.fmt('startup.' + best_celery['results'].split('.')[-1], 2)} | |")
        lines.append(f"| Enqueue one at a time, /s (TaskQ sendTask vs Celery delay) | {self.fmt('enqueue.taskq single')} | "
                     f"{self.fmt('enqueue.celery delay')} | {self.ratio('enqueue.taskq single', 'enqueue.celery delay', 10)} |")
        lines.append(f"| Enqueue pipelined sendBatch ×1000, /s | {self.fmt('enqueue.taskq batch 1000')} | | "
                     f"target ≥ 100,000/s: {self.check('enqueue.taskq batch 1000', 100_000, True)} |")
        lines.append(f"| Enqueue pipelined sendBatch ×{n}, /s | {self.fmt(f'enqueue.taskq batch {n}')} | | "
                     f"target ≥ 100,000/s: {self.check(f'enqueue.taskq batch {n}', 100_000, True)} |")
        rt = self.options.roundtrips
        for q, target in (("p50", 0.5), ("p90", None), ("p99", 2.0)):
            extra = f"; target ≤ {target} ms: {self.check(f'rtt.taskq.{q}', target, False)}" if target else ""
            lines.append(f"| Round trip delay().get() ×{rt:,} {q}, ms (TaskQ best vs Celery solo) | "
                         f"{self.fmt(f'rtt.taskq.{q}', 3)} | {self.fmt(f'rtt.celery.{q}', 3)} | "
                         f"{self.ratio(f'rtt.celery.{q}', f'rtt.taskq.{q}')} faster{extra} |")
        ct = self.options.cpu_tasks
        lines.append(f"| CPU-bound {ct}×50 ms, s: TaskQ -c 1 | {self.fmt('cpu.taskq -c 1', 2)} | | ideal {ct * 0.05:.1f} s |")
        lines.append(f"| CPU-bound {ct}×50 ms, s: TaskQ -c 2 | {self.fmt('cpu.taskq -c 2', 2)} | | ideal {ct * 0.025:.1f} s |")
        lines.append(f"| CPU-bound speedup -c 2 / -c 1 | {self.fmt('cpu.speedup', 2, '×')} | | "
                     f"target ≥ 1.8×: {self.check('cpu.speedup', 1.8, True)} |")
        lines.append(f"| Worker tree peak RSS during drain, MiB: TaskQ -c 2 vs Celery prefork -c 2 | {self.fmt('rss.taskq -c 2', 1)} | "
                     f"{self.fmt('rss.celery prefork -c 2', 1)} | target ≤ 40 MB: {self.check('rss.taskq -c 2', 40 * 1e6 / 2**20, False)} |")
        lines.append(f"| Worker tree sum of VmHWM, MiB: TaskQ -c 2 vs Celery prefork -c 2 | {self.fmt('hwm.taskq -c 2', 1)} | "
                     f"{self.fmt('hwm.celery prefork -c 2', 1)} | |")
        lines.append(f"| Worker tree peak RSS, MiB: TaskQ best vs Celery solo | {self.fmt('rss.taskq best', 1)} | "
                     f"{self.fmt('rss.celery solo', 1)} | |")
        lines += ["", "Every drain with results checks all N records (status SUCCESS, result = 2·i); every "
                  "ignoreResult drain checks that none of the N was stored.", ""]
        lines += ["## Where the drain time goes (last drain with results)", "",
                  "| Worker | Drain s | Supervisor / main CPU s | Children CPU s | redis-server CPU s | Redis calls per task |",
                  "|---|---|---|---|---|---|"]
        for label, profile in self.profiles.items():
            ops = ", ".join(f"{name} {value:.2f}" for name, value in list(profile["ops_per_task"].items())[:10])
            total_ops = sum(profile["ops_per_task"].values())
            lines.append(f"| {label} | {profile['seconds']:.2f} | {profile['supervisor_cpu']:.2f} | "
                         f"{profile['children_cpu']:.2f} | {profile['redis_cpu']:.2f} | {total_ops:.2f}: {ops} |")
        lines += ["", "(CPU from /proc/<pid>/stat utime+stime between the first claim and the last result; "
                  "Redis calls from INFO commandstats minus the harness's own polling, "
                  "so commands run inside Lua scripts count as well as the EVALSHA that ran them.)", ""]
        lines += ["## Machine and versions", "", "| | |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in machine.items()]
        lines += ["", "## Settings", "", "| | |", "|---|---|"]
        lines += [f"| {k} | `{v}` |" for k, v in settings.items()]
        return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=20_000, help="tasks per drain and per enqueue run (default 20000)")
    parser.add_argument("--celery-n", type=int, default=5000,
                        help="tasks per Celery drain and Celery enqueue run (default 5000, so the run stays "
                             "under 10 minutes; rates are per second); 0 skips Celery's drains")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (default 3)")
    parser.add_argument("--roundtrips", type=int, default=2000, help="sequential delay().get() calls (default 2000)")
    parser.add_argument("--cpu-tasks", type=int, default=200, help="tasks.spin(0.05) tasks (default 200)")
    parser.add_argument("--taskq-best", default="-c 2 --without-events --prefetch-multiplier 128",
                        help="worker flags of TaskQ's best drain setting")
    parser.add_argument("--timeout", type=float, default=300, help="seconds a drain may take")
    parser.add_argument("--quick", action="store_true", help="smoke run: N=2000, 1 run, 200 round trips, 40 CPU tasks")
    parser.add_argument("--only", default="drain,enqueue,roundtrip,cpu,io",
                        help="comma-separated phases to run: drain, enqueue, roundtrip, cpu, io")
    parser.add_argument("--out", default="/tmp/taskq-bench.md", help="markdown report path")
    options = parser.parse_args()
    if options.quick:
        options.n = min(options.n, 2000)
        options.celery_n = min(options.celery_n, 1000)
        options.repeat = 1
        options.roundtrips = 200
        options.cpu_tasks = 40
    sys.path.insert(0, str(HERE))
    bench = Bench(options)
    only = set(options.only.split(","))
    r = options.repeat
    bench.phases = ((8 if options.celery_n > 0 else 4) * r if "drain" in only else 0) + (4 * r if "enqueue" in only else 0) + \
        (2 * r if "roundtrip" in only else 0) + (2 * r if "cpu" in only else 0)
    if "io" in only:
        import io_bench
        bench.phases += io_bench.phases()
    machine = bench.machine()
    settings = {
        "N": options.n, "Celery N (drain, enqueue)": options.celery_n, "repeats": options.repeat, "round trips": options.roundtrips,
        "TaskQ -c 2": f"taskq worker -A tasks -c 2 -l warning",
        "TaskQ best": f"taskq worker -A tasks {options.taskq_best} -l warning",
        "Celery solo": "celery -A celery_app worker --pool=solo --without-gossip --without-mingle --without-heartbeat -l warning",
        "Celery prefork -c 2": "celery -A celery_app worker --pool=prefork -c 2 --without-gossip --without-mingle --without-heartbeat -l warning",
        "Queue fill": "taskq bench batch --id-prefix P (tasks.add(i, i), same messages for both workers)",
        "Redis": f"private redis-server, {os.environ['TASKQ_REDIS_URL']}, --save '' --appendonly no",
    }
    log("TaskQ vs Celery benchmark")
    for k, v in machine.items():
        log(f"  {k:28s} {v}")
    for k, v in settings.items():
        log(f"  {k:28s} {v}")
    started = time.monotonic()
    if "drain" in only:
        bench.run_drains()
    if "enqueue" in only:
        bench.run_enqueue()
    if "roundtrip" in only:
        bench.run_roundtrip()
    if "cpu" in only:
        bench.run_cpu()
    if "io" in only:
        io_bench.run(bench)
    text = bench.report(machine, settings)
    if "io" in only:
        text += io_bench.report(bench)
    text += f"\nTotal benchmark time: {time.monotonic() - started:.0f} s.\n"
    Path(options.out).write_text(text)
    log("")
    log(text)
    log(f"markdown written to {options.out}")


if __name__ == "__main__":
    main()
