"""The message-format phase of the benchmark (`run.sh --only formats`).

N × tasks.add(i, i) queued before a `taskq worker -c 2` (default flags) starts, written
as plain JSON, msgpack, gzip-compressed JSON, Celery's `auth` signing, and `auth` with
TaskQ's header signature (`--require-header-signature`): drain rate from the first claim
to the last result, against the plain JSON drain of the same run.
"""

from __future__ import annotations

import datetime
import subprocess
import tempfile
import time
from pathlib import Path

PKI = Path(tempfile.mkdtemp(prefix="taskq-bench-pki-"))


def _make_signer():
    key, cert = PKI / "bench.key", PKI / "bench.pem"
    if not cert.exists():
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                        "-subj", "/O=TaskQ Bench/CN=bench-signer", "-keyout", str(key), "-out", str(cert)],
                       check=True, capture_output=True)
    return key, cert


def configs():
    key, cert = _make_signer()
    sign = ["--serializer", "auth", "--security-key", str(key), "--security-certificate", str(cert)]
    trust = ["--accept-content", "auth", "--security-cert-store", str(cert)]
    yield "json", [], []
    yield "msgpack", ["--serializer", "msgpack"], ["--accept-content", "msgpack"]
    yield "json + gzip", ["--compression", "gzip"], []
    yield "auth (Celery's signing)", sign + ["--no-header-signature"], trust
    yield "auth + header signature", sign, trust + ["--require-header-signature"]


def phases(repeat):
    return len(list(configs())) * repeat


def run(bench):
    count = bench.options.n
    for run_index in range(bench.options.repeat):
        for label, fill_flags, worker_flags in configs():
            bench.redis.flushdb()
            prefix = f"fmt-{int(time.monotonic() * 1000)}"
            bench.fill(prefix, count, format_flags=fill_flags)
            worker = bench.start_taskq(["-c", "2", *worker_flags])
            try:
                t_first, t_done, _ = bench.wait_drained(worker, prefix, count, count, bench.options.timeout)
            finally:
                worker.stop()
            bench.verify(prefix, count)
            rate = count / (t_done - t_first)
            bench.record(f"formats.{label}", rate)
            bench.progress(f"formats {label:28s} run {run_index + 1}: {rate:9.0f} tasks/s")


def report(bench):
    lines = ["", "## Message formats and signing", "",
             f"{bench.options.n:,} × tasks.add(i, i) queued by `taskq bench batch` in the format named, drained by "
             "`taskq worker -A tasks -c 2` (default flags plus the accept/trust flags the format needs); "
             f"median of {bench.options.repeat}.", "",
             "| Format | Fill flags | Drain tasks/s | × plain JSON |", "|---|---|---|---|"]
    base = bench.med("formats.json")
    for label, fill_flags, _ in configs():
        rate = bench.med(f"formats.{label}")
        if rate is None:
            continue
        flags = " ".join(f for f in fill_flags if not f.startswith(str(PKI))) or "(none)"
        lines.append(f"| {label} | `{flags}` | {rate:,.0f} | {rate / base:.2f} |")
    return "\n".join(lines) + "\n"
