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
import statistics
import subprocess
import sys
import time
from pathlib import Path

import redis

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV_BIN = Path(sys.executable).parent
POLL = 0.002  # seconds between completion polls


from procs import Worker, cpu_seconds, log  # noqa: E402


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

    def fill(self, prefix, count, ignore_result=False, task="tasks.add", args=None, format_flags=()):
        extra = (["--ignore-result"] if ignore_result else []) + list(format_flags)
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
            "pss_mib": worker.peak_pss_kib / 1024,
        }
        profile["n"] = n
        return n / seconds, n / (t_done - worker.started), startup, profile

    def run_drains(self):
        configs = [("taskq", "taskq -c 2", ["-c", "2"]),
                   ("taskq", "taskq without events", ["-c", "2", "--without-events"]),
                   ("taskq", "taskq best", self.options.taskq_best.split()),
                   ("celery", "celery prefork -c 2", ["--pool=prefork", "-c", "2"]),
                   ("celery", "celery prefork -c 2 -E", ["--pool=prefork", "-c", "2", "-E"]),
                   ("celery", "celery solo", ["--pool=solo"])]
        if self.options.celery_n <= 0:
            configs = [config for config in configs if config[0] != "celery"]
        for mode in ("results", "ignore"):
            for system, label, flags in configs:
                for run in range(self.options.repeat):
                    rate, total_rate, startup, profile = self.drain(system, flags, mode, run)
                    self.record(f"drain.{mode}.{label}", rate)
                    self.record(f"drain_total.{mode}.{label}", total_rate)
                    self.record(f"startup.{label}", startup)
                    self.record(f"calls.{mode}.{label}", sum(profile["ops_per_task"].values()))
                    if mode == "results":
                        self.record(f"rss.{label}", profile["rss_mib"])
                        self.record(f"pss.{label}", profile["pss_mib"])
                        self.record(f"hwm.{label}", profile["hwm_mib"])
                        self.profiles[label] = profile
                    self.progress(f"drain {mode:7s} {label:20s} run {run + 1}: {rate:9.0f} tasks/s "
                                  f"({profile['n']} in {profile['n'] / rate:.2f} s, startup {startup:.2f} s, "
                                  f"peak RSS {profile['rss_mib']:.1f} MiB)")

    # -- report

    def machine(self):
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), platform.processor())
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
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

    def ratio_value(self, a, b):
        x, y = self.med(a), self.med(b)
        return None if x is None or not y else x / y

    def check(self, key, limit, higher):
        value = self.med(key)
        if value is None:
            return "–"
        ok = value >= limit if higher else value <= limit
        return "met" if ok else "missed"


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
    parser.add_argument("--only", default="drain,enqueue,roundtrip,cpu,io,scale,formats",
                        help="comma-separated phases to run: drain, enqueue, roundtrip, cpu, io, scale")
    parser.add_argument("--out", default="/tmp/taskq-bench.md", help="markdown report path")
    options = parser.parse_args()
    if options.quick:
        options.n = min(options.n, 2000)
        options.celery_n = min(options.celery_n, 1000)
        options.repeat = 1
        options.roundtrips = 200
        options.cpu_tasks = 40
    sys.path.insert(0, str(HERE))
    import phases
    import report
    bench = Bench(options)
    only = set(options.only.split(","))
    r = options.repeat
    bench.phases = ((12 if options.celery_n > 0 else 6) * r if "drain" in only else 0) + (4 * r if "enqueue" in only else 0) + \
        (2 * r if "roundtrip" in only else 0) + (2 * r if "cpu" in only else 0)
    if "io" in only:
        import io_bench
        bench.phases += io_bench.phases()
    if "scale" in only:
        import scale_bench
        bench.phases += scale_bench.phases()
    if "formats" in only:
        import formats_bench
        bench.phases += formats_bench.phases(r)
    machine = bench.machine()
    settings = {
        "N": options.n, "Celery N (drain, enqueue)": options.celery_n, "repeats": options.repeat, "round trips": options.roundtrips,
        "TaskQ -c 2": "taskq worker -A tasks -c 2 -l warning",
        "TaskQ without events": "taskq worker -A tasks -c 2 --without-events -l warning",
        "TaskQ best": f"taskq worker -A tasks {options.taskq_best} -l warning",
        "Celery solo": "celery -A celery_app worker --pool=solo --without-gossip --without-mingle --without-heartbeat -l warning",
        "Celery prefork -c 2": "celery -A celery_app worker --pool=prefork -c 2 --without-gossip --without-mingle --without-heartbeat -l warning",
        "Celery prefork -c 2 -E": "celery -A celery_app worker --pool=prefork -c 2 -E --without-gossip --without-mingle --without-heartbeat -l warning",
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
        phases.run_enqueue(bench)
    if "roundtrip" in only:
        phases.run_roundtrip(bench)
    if "cpu" in only:
        phases.run_cpu(bench)
    if "io" in only:
        io_bench.run(bench)
    if "scale" in only:
        scale_bench.run(bench)
    if "formats" in only:
        formats_bench.run(bench)
    text = report.render(bench, machine, settings)
    if "io" in only:
        text += io_bench.report(bench)
    if "scale" in only:
        text += scale_bench.report(bench)
    if "formats" in only:
        text += formats_bench.report(bench)
    text += f"\nTotal benchmark time: {time.monotonic() - started:.0f} s.\n"
    Path(options.out).write_text(text)
    log("")
    log(text)
    log(f"markdown written to {options.out}")


if __name__ == "__main__":
    main()
