"""Result rows of the fault suite and how they are printed: a text table, JSON, Markdown.

A `Row` is one scenario run on one worker kind in one ack mode. Its verdict is
computed from the guarantee the scenario states (`max_lost`, `max_twice`) and
from extra checks (`problems`); every figure in it was measured in the run.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cluster import ROOT


@dataclass
class Row:
    scenario: str
    worker: str                      # taskq or celery
    mode: str                        # acks-late or early
    sent: int = 0
    succeeded: int = 0
    failed: int = 0
    dead: int = 0
    lost: int = 0
    run_twice: int = 0
    in_flight: int | None = None     # measured just before the fault (inspect active / monitor)
    recovery_s: float | None = None
    peak_rss_mib: float | None = None
    peak_fds: int | None = None
    max_lost: int | None = 0         # the guarantee: None means "not bounded by this scenario"
    max_twice: int | None = None
    expect: str = ""
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def verdict(self) -> str:
        if self.problems:
            return "FAIL"
        if self.max_lost is not None and self.lost > self.max_lost:
            return "FAIL"
        if self.max_twice is not None and self.run_twice > self.max_twice:
            return "FAIL"
        return "PASS"

    def take(self, ledger) -> "Row":
        self.sent, self.succeeded, self.failed = ledger.sent, ledger.succeeded, ledger.failed
        self.dead, self.lost, self.run_twice = ledger.dead, ledger.lost, ledger.run_twice
        if ledger.failures:
            self.notes.append("failed: " + ", ".join(f"{k} {v}" for k, v in sorted(ledger.failures.items())))
        if ledger.lost_ids:
            self.extra["lost_ids_sample"] = ledger.lost_ids[:5]
        if ledger.twice_ids:
            self.extra["twice_ids_sample"] = ledger.twice_ids[:5]
        return self


COLUMNS = [("scenario", 30), ("worker", 6), ("mode", 9), ("sent", 6), ("ok", 6), ("failed", 6), ("dead", 5),
           ("lost", 5), ("twice", 5), ("inflight", 8), ("recov_s", 7), ("rss_MiB", 7), ("fds", 4), ("verdict", 7)]


def _cells(row: Row) -> list[str]:
    def show(value):
        return "-" if value is None else str(value)
    return [row.scenario, row.worker, row.mode, show(row.sent), show(row.succeeded), show(row.failed), show(row.dead),
            show(row.lost), show(row.run_twice), show(row.in_flight), show(row.recovery_s),
            show(row.peak_rss_mib), show(row.peak_fds), row.verdict]


def text_table(rows: list[Row]) -> str:
    lines = ["  ".join(name.ljust(width) for name, width in COLUMNS)]
    lines.append("  ".join("-" * width for _, width in COLUMNS))
    for row in rows:
        lines.append("  ".join(cell.ljust(width) for cell, (_, width) in zip(_cells(row), COLUMNS)))
        for text in row.problems:
            lines.append(f"    ! {text}")
        for text in row.notes:
            lines.append(f"    - {text}")
    return "\n".join(lines)


def markdown_table(rows: list[Row], header: dict) -> str:
    out = [f"Run at commit `{header['commit']}` on {header['date']} ({header['flags']}), "
           f"{header['wall_s']} s wall time.", ""]
    out.append("| " + " | ".join(name for name, _ in COLUMNS) + " |")
    out.append("|" + "---|" * len(COLUMNS))
    for row in rows:
        out.append("| " + " | ".join(_cells(row)) + " |")
    out.append("")
    for row in rows:
        details = [f"expected: {row.expect}"] if row.expect else []
        details += [f"**{text}**" for text in row.problems] + row.notes
        if details:
            out.append(f"- {row.scenario} / {row.worker} / {row.mode}: " + "; ".join(details))
    return "\n".join(out) + "\n"


def commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "")
    except OSError:
        return "?"


def header(flags: list[str], wall: float, seed: int) -> dict:
    return {"commit": commit(), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "flags": " ".join(flags) or "(full)",
            "seed": seed, "wall_s": round(wall, 1)}


def write_json(path: Path, rows: list[Row], head: dict) -> None:
    payload = dict(head)
    payload["rows"] = [dict(asdict(row), verdict=row.verdict) for row in rows]
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")


def write_markdown(path: Path, rows: list[Row], head: dict) -> None:
    path.write_text(markdown_table(rows, head))
