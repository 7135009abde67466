"""The benchmark's markdown report: defaults first, against Celery's prefork pool with and
without task events, then the tuned rows and the other phases."""

DRAIN_ROWS = [
    ("taskq -c 2", "`taskq worker -A tasks -c 2` (defaults: task events and history on)"),
    ("celery prefork -c 2", "Celery prefork -c 2 (its defaults: no task events)"),
    ("celery prefork -c 2 -E", "Celery prefork -c 2 -E (task events on, as Flower needs)"),
    ("taskq without events", "TaskQ -c 2 --without-events (history still recorded)"),
    ("taskq best", "TaskQ best (`{best}`)"),
    ("celery solo", "Celery solo"),
]


def render(bench, machine, settings):
    options = bench.options
    n = options.n
    fmt, check = bench.fmt, bench.check
    lines = ["## Results", "", f"N = {n:,} tasks for TaskQ, {options.celery_n:,} for Celery's drains and delay() loop "
             f"(rates are per second, so they compare); each figure is median [min–max] of {options.repeat} runs.", ""]
    lines += ["### Drains: defaults against Celery", "",
              "| Worker | Drain with results, tasks/s | × Celery prefork -c 2 | Drain ignoreResult, tasks/s | "
              "Redis calls per task | Tree peak RSS, MiB | Tree peak PSS, MiB |",
              "|---|---|---|---|---|---|---|"]
    for label, title in DRAIN_ROWS:
        lines.append(f"| {title.format(best=options.taskq_best)} | {fmt(f'drain.results.{label}')} | "
                     f"{bench.ratio(f'drain.results.{label}', 'drain.results.celery prefork -c 2')} | "
                     f"{fmt(f'drain.ignore.{label}')} | {fmt(f'calls.results.{label}', 2)} | "
                     f"{fmt(f'rss.{label}', 1)} | {fmt(f'pss.{label}', 1)} |")
    lines += ["", "| Target (defaults) | Measured | |", "|---|---|---|",
              f"| drain ≥ 0.9 × TaskQ best of the same run | {two(bench.ratio_value('drain.results.taskq -c 2', 'drain.results.taskq best'))} | "
              f"{verdict(bench.ratio_value('drain.results.taskq -c 2', 'drain.results.taskq best'), 0.9, True)} |",
              f"| drain ≥ 30 × Celery prefork -c 2 | {bench.ratio('drain.results.taskq -c 2', 'drain.results.celery prefork -c 2')} | "
              f"{verdict(bench.ratio_value('drain.results.taskq -c 2', 'drain.results.celery prefork -c 2'), 30, True)} |",
              f"| Redis calls per task ≤ 6 | {fmt('calls.results.taskq -c 2', 2)} | {check('calls.results.taskq -c 2', 6, False)} |",
              f"| worker tree RSS ≤ 40 MB | {fmt('rss.taskq -c 2', 1)} MiB | {check('rss.taskq -c 2', 40 * 1e6 / 2**20, False)} |",
              f"| round trip p50 ≤ 0.5 ms | {fmt('rtt.taskq.p50', 3)} | {check('rtt.taskq.p50', 0.5, False)} |",
              f"| round trip p99 ≤ 1.5 ms | {fmt('rtt.taskq.p99', 3)} | {check('rtt.taskq.p99', 1.5, False)} |",
              "", "Every drain with results checks all N records (status SUCCESS, result = 2·i); every "
              "ignoreResult drain checks that none of the N was stored. RSS sums every process of the worker "
              "tree, so the pages of the binary that each child maps count once per child; PSS counts them once.", ""]
    lines += ["### Other figures", "", "| Figure | TaskQ | Celery | Ratio / target |", "|---|---|---|---|"]
    lines.append(f"| Drain with results incl. worker startup, tasks/s (defaults vs Celery prefork -c 2) | "
                 f"{fmt('drain_total.results.taskq -c 2')} | {fmt('drain_total.results.celery prefork -c 2')} | "
                 f"{bench.ratio('drain_total.results.taskq -c 2', 'drain_total.results.celery prefork -c 2')} |")
    lines.append(f"| Worker startup to first claim, s (defaults) | {fmt('startup.taskq -c 2', 2)} | "
                 f"{fmt('startup.celery prefork -c 2', 2)} | |")
    lines.append(f"| Enqueue one at a time, /s (TaskQ sendTask vs Celery delay) | {fmt('enqueue.taskq single')} | "
                 f"{fmt('enqueue.celery delay')} | {bench.ratio('enqueue.taskq single', 'enqueue.celery delay', 10)} |")
    for size in (1000, n):
        lines.append(f"| Enqueue pipelined sendBatch ×{size}, /s | {fmt(f'enqueue.taskq batch {size}')} | | "
                     f"target ≥ 100,000/s: {check(f'enqueue.taskq batch {size}', 100_000, True)} |")
    rt = options.roundtrips
    for q in ("p50", "p90", "p99"):
        lines.append(f"| Round trip delay().get() ×{rt:,} {q}, ms (TaskQ defaults vs Celery solo) | "
                     f"{fmt(f'rtt.taskq.{q}', 3)} | {fmt(f'rtt.celery.{q}', 3)} | {bench.ratio(f'rtt.celery.{q}', f'rtt.taskq.{q}')} faster |")
    ct = options.cpu_tasks
    lines.append(f"| CPU-bound {ct}×50 ms, s: TaskQ -c 1 | {fmt('cpu.taskq -c 1', 2)} | | ideal {ct * 0.05:.1f} s |")
    lines.append(f"| CPU-bound {ct}×50 ms, s: TaskQ -c 2 | {fmt('cpu.taskq -c 2', 2)} | | ideal {ct * 0.025:.1f} s |")
    lines.append(f"| CPU-bound speedup -c 2 / -c 1 | {fmt('cpu.speedup', 2, '×')} | | target ≥ 1.8×: {check('cpu.speedup', 1.8, True)} |")
    lines.append(f"| Worker tree sum of VmHWM, MiB: TaskQ -c 2 vs Celery prefork -c 2 | {fmt('hwm.taskq -c 2', 1)} | "
                 f"{fmt('hwm.celery prefork -c 2', 1)} | |")
    lines += ["", "## Where the drain time goes (last drain with results)", "",
              "| Worker | Drain s | Supervisor / main CPU s | Children CPU s | redis-server CPU s | Redis calls per task |",
              "|---|---|---|---|---|---|"]
    for label, profile in bench.profiles.items():
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


def two(value):
    return "–" if value is None else f"{value:.2f}×"


def verdict(value, target, higher):
    if value is None:
        return "–"
    return "met" if (value >= target if higher else value <= target) else "missed"
