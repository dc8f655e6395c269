"""A stop signal ends a command as the stop it is, even inside an engine's running query.

DuckDB catches the exception a signal handler raises during a query and raises its own
"Query interrupted" error instead. The CLI still says it was stopped (exit 143 for SIGTERM,
130 for Ctrl-C), with no traceback and no "internal error", after the command's clean-up.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

SCRIPT = r"""
import sys
import casekit.cli.bundle as bundle
from casekit.bundle.spill import private_duckdb
from casekit.cli import main

def long_query(args):
    duck = private_duckdb()  # the one way casekit opens DuckDB
    try:
        print("started", flush=True)
        # a query DuckDB's own signal checks never reach: only an interrupt stops it
        duck.con.execute("SELECT count(*) FROM range(1000000000000) a, range(10) b").fetchall()
    finally:
        duck.close()
        print("cleaned up", flush=True)
    return 0

bundle._cmd_validate = long_query  # the parser takes it when main builds it
sys.exit(main(["validate", "anything"]))
"""


@pytest.mark.parametrize(
    ("signum", "code", "said"),
    [
        (signal.SIGTERM, 143, "casekit: stopped (SIGTERM); nothing half-written was kept."),
        (signal.SIGINT, 130, "casekit: interrupted; nothing half-written was kept."),
    ],
)
def test_a_stop_during_a_duckdb_query_is_said_as_a_stop(signum, code, said):
    # as a terminal's program has it: SIGINT is not ignored, whatever the test run inherited
    run = subprocess.Popen(
        [sys.executable, "-c", SCRIPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.default_int_handler),
    )
    assert run.stdout is not None
    assert run.stdout.readline().strip() == "started"
    time.sleep(0.5)  # inside the query
    run.send_signal(signum)
    started = time.monotonic()
    out, err = run.communicate(timeout=120)
    assert time.monotonic() - started < 30  # at once, not when DuckDB gets round to it
    assert run.returncode == code, err
    assert said in err, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert "cleaned up" in out  # the command's clean-up ran on the way out


SPARK = r"""
import sys
from pathlib import Path
import casekit.cli.bundle as bundle
from casekit.cli import main
from casekit.engine import connect

def long_job(args):
    engine = connect("spark")  # casekit's local session, as casekit flags --engine spark opens
    session = engine.backend._session
    scratch = Path(session.conf.get("spark.local.dir"))
    try:
        print("started", flush=True)
        # a job far longer than the test: only a cancelled job ends this soon
        session.range(10**13, numPartitions=4).selectExpr("sum(id % 7)").collect()
    finally:
        engine.close()
        print("cleaned up", scratch.exists(), flush=True)
    return 0

bundle._cmd_validate = long_job
sys.exit(main(["validate", "anything"]))
"""


@pytest.mark.parametrize(
    ("signum", "code", "said"),
    [
        (signal.SIGTERM, 143, "casekit: stopped (SIGTERM); nothing half-written was kept."),
        (signal.SIGINT, 130, "casekit: interrupted; nothing half-written was kept."),
    ],
)
def test_a_stop_during_a_spark_job_is_one_line(signum, code, said):
    """pyspark's own Ctrl-C handler called into the JVM from inside a call to it: py4j's
    tracebacks ("reentrant call"), then the cancelled tasks' Java stack traces. Now the job is
    cancelled from the stop watcher's thread, and the stop is said once."""
    run = subprocess.Popen(
        [sys.executable, "-c", SPARK],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.default_int_handler),
    )
    assert run.stdout is not None
    assert run.stdout.readline().strip() == "started"
    time.sleep(3)  # inside the job
    run.send_signal(signum)
    out, err = run.communicate(timeout=300)
    assert run.returncode == code, err
    assert err.strip() == said  # nothing else: no traceback, no Java stack trace, no warning
    assert "cleaned up False" in out  # the session stopped and its scratch folder went


def _interrupted_query() -> BaseException:
    """Run a query DuckDB's own checks never stop, interrupt it from a thread; give its error."""
    import threading

    import duckdb

    con = duckdb.connect()
    timer = threading.Timer(0.3, con.interrupt)
    timer.start()
    try:
        con.execute("SELECT count(*) FROM range(1000000000000) a, range(10) b").fetchall()
    except duckdb.Error as exc:
        return exc
    finally:
        timer.cancel()
        con.close()
    raise AssertionError("the query was not interrupted")


def test_the_handler_stays_quiet_while_an_interrupted_querys_error_is_on_its_way_out():
    import duckdb

    from casekit import stopping
    from casekit.errors import CasekitError

    stopping.interruptible(lambda: None, duckdb.InterruptException)()  # the kind is known
    error = _interrupted_query()
    assert isinstance(error, duckdb.InterruptException)
    assert stopping.must_raise()  # nothing on its way out: the handler raises
    try:
        raise error
    except duckdb.Error:
        assert not stopping.must_raise()  # the query's error carries the stop
    try:
        try:
            raise error
        except duckdb.Error:
            raise CasekitError("the part cannot be read") from None  # what a caller made of it
    except CasekitError:
        assert not stopping.must_raise()
    try:
        raise ValueError("a mistake of another kind")
    except ValueError:
        assert stopping.must_raise()  # an unrelated error would swallow the stop: raise


def test_a_validation_query_that_is_interrupted_is_not_reported_as_a_damaged_part(tmp_path):
    import threading

    import duckdb

    from casekit.bundle.dataset import _Runner
    from casekit.bundle.spill import private_duckdb

    with private_duckdb() as duck:
        runner = _Runner(duck.con, tmp_path, {}, "1GB")
        timer = threading.Timer(0.3, duck.con.interrupt)
        timer.start()
        with pytest.raises(duckdb.InterruptException):
            runner.fetch("SELECT count(*) FROM range(1000000000000) a, range(10) b")
        timer.cancel()


def test_the_watcher_interrupts_again_until_the_handler_has_run_and_no_more():
    from casekit import stopping

    def interrupts_after(handler, settled: float) -> int:
        calls: list[float] = []
        forget = stopping.interruptible(lambda: calls.append(time.monotonic()))
        previous = signal.signal(signal.SIGTERM, handler)
        try:
            with stopping.watching():
                signal.raise_signal(signal.SIGTERM)
                deadline = time.monotonic() + settled
                while time.monotonic() < deadline and len(calls) < stopping.TRIES:
                    time.sleep(0.05)
                time.sleep(stopping.AGAIN * 3)  # time for any interrupt too many
        finally:
            signal.signal(signal.SIGTERM, previous)
            forget()
        return len(calls)

    # a handler that never runs to the end (the main thread stuck in C): a bounded number
    assert interrupts_after(lambda signum, frame: None, settled=30) == stopping.TRIES
    # the handler has run: no more than the one the watcher may send before it saw that
    assert interrupts_after(lambda signum, frame: stopping.must_raise(), settled=1) <= 1
