"""Fixtures for the Celery interop suite.

Each test module gets its own Redis database (flushed at the start), its own
process manager (every process is stopped in the finalizer) and logs under
artifacts/interop/<module>/. At the end of the session, however it ends (failures,
pytest-timeout, Ctrl-C, SIGTERM), the process group of every process the suite
started is SIGKILLed.
"""

from __future__ import annotations

import atexit
import itertools
import shutil
import signal

import pytest

import interop
import pytasks

_next_db = itertools.count(1)


def _kill_everything():
    interop.Processes.kill_everything()


def _on_termination(signum, frame):
    # SIGTERM/SIGHUP (e.g. the CI runner stopping us): kill our processes, then let pytest unwind
    # as for Ctrl-C so it still prints its summary.
    _kill_everything()
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config):
    atexit.register(_kill_everything)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _on_termination)


def pytest_sessionfinish(session, exitstatus):
    """Whatever happened (failures, timeouts, Ctrl-C): no process started by the suite outlives it."""
    _kill_everything()


def pytest_unconfigure(config):
    _kill_everything()


def pytest_sessionstart(session):
    for binary in (interop.TASKQ, interop.TASKS_APP):
        if not binary.exists():
            raise pytest.UsageError(f"{binary} is missing: set TASKQ_BIN_DIR to the folder with the built "
                                    f"`taskq` and `tasks` executables")
    interop.base_redis_url()
    if interop.LOG_ROOT.exists():
        shutil.rmtree(interop.LOG_ROOT, ignore_errors=True)
    interop.LOG_ROOT.mkdir(parents=True, exist_ok=True)


def pytest_report_header(config):
    import celery
    import kombu
    import redis
    try:
        import flower
        flower_version = flower.__version__
    except Exception:  # pragma: no cover
        flower_version = "?"
    return (f"interop: celery {celery.__version__}, kombu {kombu.__version__}, redis-py {redis.__version__}, "
            f"flower {flower_version}; taskq bin dir {interop.BIN_DIR}; redis {interop.base_redis_url()}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach the tail of every running process's log to the report."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for proc in list(interop.Processes.live):
            try:
                report.sections.append((f"log of {proc.name} (pid {proc.pid}, {proc.log_path})", proc.tail(40)))
            except OSError:
                pass


@pytest.fixture(scope="module")
def db(request):
    """A Redis database number of this module's own, flushed."""
    number = next(_next_db)
    # scripts/start-redis starts its server with --databases 64.
    if number > 63:
        raise RuntimeError("more test modules than Redis databases (scripts/start-redis makes 64)")
    client = interop.redis_client(number)
    client.flushdb()
    client.close()
    return number


@pytest.fixture(scope="module")
def url(db):
    return interop.url_for_db(db)


@pytest.fixture(scope="module")
def rdb(db):
    client = interop.redis_client(db)
    yield client
    client.close()


@pytest.fixture(scope="module")
def module_procs(request, db):
    procs = interop.Processes(interop.LOG_ROOT / request.module.__name__, db)
    yield procs
    procs.stop_all()


@pytest.fixture
def procs(request, db):
    procs = interop.Processes(interop.LOG_ROOT / request.module.__name__ / request.node.name, db)
    yield procs
    procs.stop_all()


@pytest.fixture(scope="module")
def celery_app(url):
    """A Python Celery client app on this module's database (pytasks' tasks and stubs)."""
    app = pytasks.make_app(url, name="interop-client")
    yield app
    app.close()


@pytest.fixture(scope="module")
def flower(module_procs):
    """A real `celery flower` on this module's database, its port as `.port`."""
    port = interop.free_port()
    proc = module_procs.flower(port)
    interop.wait_http_ok(port, "/healthcheck", proc, timeout=90)
    proc.port = port
    return proc


@pytest.fixture(scope="module")
def events(db):
    sniffer = interop.EventSniffer(db)
    yield sniffer
    sniffer.close()


def pytest_terminal_summary(terminalreporter):
    measurements = interop.recorded()
    if measurements:
        terminalreporter.section("interop measurements")
        for name, value in measurements.items():
            terminalreporter.write_line(f"{name}: {value}")
