"""TaskQ's fault suite: real redis-server, real workers, a real monitor, steady load, one fault each.

Usage (normally through scripts/faults, which installs what is missing):

    .venv/bin/python Tests/Faults/faults.py [--quick] [--only kill,redis] [--with-celery]
        [--seed N] [--soak-minutes N] [--json FILE] [--markdown FILE]

Prints one row per scenario run (scenario, worker, ack mode, sent, succeeded,
failed, dead-lettered, lost, run twice, tasks in flight at the fault, recovery
time, peak RSS and fds of the worker tree, verdict) and exits 1 when a
guarantee was broken. Binaries come from TASKQ_BIN_DIR (default: `swift build
--show-bin-path`); logs and data of each scenario stay in artifacts/faults/
(artifacts/faults-quick/ for --quick).
"""

from __future__ import annotations

import argparse
import atexit
import os
import random
import signal
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cluster import ROOT, Processes, bin_dir  # noqa: E402
from harness import Config  # noqa: E402
from report import Row, header, text_table, write_json, write_markdown  # noqa: E402

import scenarios_fuzz  # noqa: E402
import scenarios_kill  # noqa: E402
import scenarios_memory  # noqa: E402
import scenarios_network  # noqa: E402
import scenarios_redis  # noqa: E402
import scenarios_shutdown  # noqa: E402
import scenarios_stall  # noqa: E402

# In the order they run; the names are what --only takes.
SCENARIOS = {
    "kill": scenarios_kill.run,
    "stall": scenarios_stall.run,
    "redis": scenarios_redis.run_restart,
    "unreachable": scenarios_redis.run_unreachable,
    "network": scenarios_network.run,
    "shutdown": scenarios_shutdown.run,
    "memory": scenarios_memory.run_memory,
    "fuzz": scenarios_fuzz.run,
    "soak": scenarios_memory.run_soak,
}


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="TaskQ fault suite")
    parser.add_argument("--quick", action="store_true", help="smaller counts and a subset (under 5 minutes)")
    parser.add_argument("--only", default="", help=f"comma-separated scenarios: {', '.join(SCENARIOS)}")
    parser.add_argument("--with-celery", action="store_true", help="Celery comparison rows in --quick too")
    parser.add_argument("--seed", type=int, default=None, help="RNG seed (default: random, printed)")
    parser.add_argument("--soak-minutes", type=float, default=30, help="soak length (0 skips it; never in --quick)")
    parser.add_argument("--json", type=Path, help="write every row, the commit, date and flags as JSON")
    parser.add_argument("--markdown", type=Path, help="write the table as Markdown")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    seed = args.seed if args.seed is not None else random.randrange(1, 2**31)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()] or list(SCENARIOS)
    unknown = [name for name in chosen if name not in SCENARIOS]
    if unknown:
        print(f"faults: unknown scenario(s) {unknown}; choose from {list(SCENARIOS)}", file=sys.stderr)
        return 2
    if args.quick or args.soak_minutes <= 0:
        chosen = [name for name in chosen if name != "soak"]
    bins = bin_dir()
    for binary in ("taskq", "tasks"):
        if not (bins / binary).exists():
            print(f"faults: {bins / binary} is missing; build first or set TASKQ_BIN_DIR", file=sys.stderr)
            return 2
    # Quick and full runs keep their logs apart, so a quick run (scripts/test) beside a full one clears none of its files.
    artifacts = ROOT / "artifacts" / ("faults-quick" if args.quick else "faults")
    config = Config(bins=bins, artifacts=artifacts, quick=args.quick, seed=seed,
                    with_celery=args.with_celery, soak_minutes=args.soak_minutes)
    atexit.register(Processes.kill_everything)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    flags = argv
    print(f"faults: seed {seed}; binaries {bins}; scenarios {', '.join(chosen)}; "
          f"logs in {config.artifacts}", flush=True)
    begin = time.monotonic()
    rows: list[Row] = []
    for name in chosen:
        started = time.monotonic()
        try:
            new_rows = SCENARIOS[name](config)
        except Exception as error:
            traceback.print_exc()
            broken = Row(name, "taskq", "-", max_lost=None)
            broken.problems.append(f"the scenario itself failed: {error!r}")
            new_rows = [broken]
        finally:
            Processes.kill_everything()
        rows.extend(new_rows)
        print(f"\n== {name} ({time.monotonic() - started:.0f} s)\n{text_table(new_rows)}", flush=True)
    wall = time.monotonic() - begin
    head = header(flags, wall, seed)
    print(f"\n== all scenarios: commit {head['commit']}, seed {seed}, {wall:.0f} s\n{text_table(rows)}")
    if args.json:
        write_json(args.json, rows, head)
    if args.markdown:
        write_markdown(args.markdown, rows, head)
    failed = [row for row in rows if row.verdict == "FAIL" and row.worker == "taskq"]
    celery_failed = [row for row in rows if row.verdict == "FAIL" and row.worker != "taskq"]
    if celery_failed:
        print(f"faults: {len(celery_failed)} Celery comparison row(s) broke the guarantee (reported, not fatal)")
    if failed:
        print(f"faults: {len(failed)} TaskQ row(s) broke a guarantee")
        return 1
    print("faults: every TaskQ guarantee held")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main(sys.argv[1:]))
