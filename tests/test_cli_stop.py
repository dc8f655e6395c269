"""A stop signal ends a command as the stop it is, even inside an engine's running query.

DuckDB catches the exception a signal handler raises during a query and raises its own
"Query interrupted" error instead. The CLI still says it was stopped (exit 143 for SIGTERM,
130 for Ctrl-C), with no traceback and no "internal error", after the command's clean-up.
"""

from __future__ import annotations

import os
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


STOPS = pytest.mark.parametrize(
    ("signum", "code", "said"),
    [
        (signal.SIGTERM, 143, "casekit: stopped (SIGTERM); nothing half-written was kept."),
        (signal.SIGINT, 130, "casekit: interrupted; nothing half-written was kept."),
    ],
)
"""Each stop, its exit code (as the shell counts it) and what the command says."""


def _started(script: str, *args: str, word: str = "started") -> subprocess.Popen:
    """Run ``script`` as a command does, with Ctrl-C as a terminal's program has it; wait for
    it to print ``word`` (whatever the test run inherited, SIGINT is not ignored)."""
    run = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.default_int_handler),
    )
    assert run.stdout is not None
    assert run.stdout.readline().strip() == word
    return run


@STOPS
def test_a_stop_during_a_duckdb_query_is_said_as_a_stop(signum, code, said):
    run = _started(SCRIPT)
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


@STOPS
def test_a_stop_during_a_spark_job_is_one_line(signum, code, said):
    """pyspark's own Ctrl-C handler called into the JVM from inside a call to it: py4j's
    tracebacks ("reentrant call"), then the cancelled tasks' Java stack traces. Now the job is
    cancelled from the stop watcher's thread, and the stop is said once."""
    run = _started(SPARK)
    jvms = subprocess.run(["pgrep", "-P", str(run.pid)], capture_output=True, text=True)
    time.sleep(3)  # inside the job
    run.send_signal(signum)
    out, err = run.communicate(timeout=300)
    assert run.returncode == code, err
    assert err.strip() == said  # nothing else: no traceback, no Java stack trace, no warning
    assert "cleaned up False" in out  # the session stopped and its scratch folder went
    for pid in jvms.stdout.split():  # and Spark's JVM ended with the command
        for _ in range(100):
            if not os.path.exists(f"/proc/{pid}"):
                break
            time.sleep(0.1)
        assert not os.path.exists(f"/proc/{pid}")


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


def test_a_ctrl_c_while_the_command_starts_is_one_line():
    # as the installed `casekit` script starts (pyproject: casekit.__main__:main); the
    # command's modules (pandas, pyarrow) take most of a second to import: a Ctrl-C then
    # 'ready' is said as main() starts importing the command line, inside its guard: said
    # before main() is called, a Ctrl-C sent at once could land in this starter's own code
    starter = (
        "import sys\n"
        "from casekit.__main__ import main\n"
        "class Ready:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'casekit.cli':\n"
        "            print('ready', flush=True)\n"
        "sys.meta_path.insert(0, Ready())\n"
        "sys.argv = ['casekit', 'synth', '--help']\n"
        "sys.exit(main())\n"
    )
    for _ in range(5):  # a starved test process may signal only after the help was printed
        run = _started(starter, word="ready")
        run.send_signal(signal.SIGINT)
        out, err = run.communicate(timeout=120)
        if "usage" not in out:  # stopped while starting, before the command's help
            break
    else:
        pytest.fail("the Ctrl-C never came while the command started (machine too busy)")
    assert "Traceback" not in err, err
    assert err.strip() == "casekit: interrupted; nothing was done.", err
    assert run.returncode == 130


def test_python_m_casekit_runs_the_command():
    done = subprocess.run(
        [sys.executable, "-m", "casekit", "--version"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stdout.startswith("casekit "), done.stderr


PG_SCRIPT = r"""
import sys
import casekit.cli.bundle as bundle
from casekit.cli import main
from casekit.engine import connect

def long_query(args):
    with connect("postgres", url=sys.argv[1]) as engine:
        print("started", flush=True)
        engine.backend.raw_sql("SELECT pg_sleep(600)")
    return 0

bundle._cmd_validate = long_query
sys.exit(main(["validate", "anything"]))
"""


def test_a_stop_during_a_postgres_query_cancels_it_in_the_server(pg_url, monkeypatch):
    import sqlalchemy as sa
    from engine_helpers import no_password

    url = no_password(monkeypatch, pg_url)
    run = _started(PG_SCRIPT, url)
    admin = sa.create_engine(sa.make_url(pg_url).set(drivername="postgresql+psycopg"))
    asleep = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(600)%' "
        "AND state = 'active'"
    )
    try:
        for _ in range(100):  # the query reaches the server
            with admin.connect() as con:
                if con.execute(asleep).scalar():
                    break
            time.sleep(0.1)
        run.send_signal(signal.SIGTERM)
        out, err = run.communicate(timeout=120)
        assert run.returncode == 143, err
        assert "casekit: stopped (SIGTERM); nothing half-written was kept." in err, err
        assert "Traceback" not in err, err
        for _ in range(100):  # cancelled in the server, not left asleep there for 10 minutes
            with admin.connect() as con:
                left = con.execute(asleep).scalar()
            if not left:
                break
            time.sleep(0.1)
        assert left == 0
    finally:
        admin.dispose()


def test_a_library_logging_a_stop_prints_no_traceback_but_warnings_still_show(capsys, monkeypatch):
    import logging

    from casekit.stopping import _no_stop_tracebacks

    monkeypatch.setattr(logging.getLogger(), "handlers", [])  # as the command: nothing set up

    with _no_stop_tracebacks():
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            logging.exception("KeyboardInterrupt while sending command.")  # as py4j does
            try:  # then closing its connection meets the JVM's end closed already
                raise BrokenPipeError(32, "Broken pipe")
            except BrokenPipeError:
                logging.getLogger("py4j.clientserver").exception(
                    "Exception occurred while shutting down connection"
                )
        try:
            raise BrokenPipeError(32, "Broken pipe")
        except BrokenPipeError:  # the same error with no stop behind it is shown
            logging.getLogger("some.library").exception("the pipe to the printer broke")
        logging.getLogger("some.library").warning("the disk is nearly full")
    err = capsys.readouterr().err
    assert "KeyboardInterrupt" not in err and "shutting down connection" not in err, err
    assert "the pipe to the printer broke" in err and "BrokenPipeError" in err
    assert "the disk is nearly full" in err
    assert logging.getLogger().handlers == []  # as it was: nothing set up for the program


LATE_WATCHER = r"""
import select
import sys
import time
import types

import casekit.stopping as stopping

def late(read, write, error, timeout=None):
    # the watcher thread starved (DuckDB's threads have every core): it reads the signal
    # only after DuckDB's own signal check has run the command's handler in the main thread
    ready = select.select(read, write, error, timeout)
    if ready[0]:
        seen = stopping._handled()
        deadline = time.monotonic() + 5
        while stopping._handled() == seen and time.monotonic() < deadline:
            time.sleep(0.01)
    return ready

stopping.select = types.SimpleNamespace(select=late)
"""


def test_a_stop_whose_handler_ran_inside_the_query_still_interrupts_it():
    # DuckDB's signal check runs the handler during a query but does not stop a query that
    # never reaches its next check: the interrupt is still needed, however late it is read
    run = subprocess.Popen(
        [sys.executable, "-c", LATE_WATCHER + SCRIPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert run.stdout is not None
        assert run.stdout.readline().strip() == "started"
        time.sleep(0.5)  # inside the query
        run.send_signal(signal.SIGTERM)
        try:
            out, err = run.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail("the stopped command's query ran on: it was never interrupted")
        assert run.returncode == 143, err
        assert "casekit: stopped (SIGTERM); nothing half-written was kept." in err, err
        assert "Traceback" not in err, err
        assert "cleaned up" in out
    finally:
        run.kill()
        run.communicate()


def test_a_stop_as_the_watcher_starts_leaves_nothing_watching(monkeypatch):
    # the command's handler raises at any point, so also just as the watcher thread starts:
    # the wakeup pipe and the thread must not outlive the command (main() may run again in
    # the same process, and a left watcher would interrupt the next command's queries)
    import threading

    from casekit import stopping

    real_start = threading.Thread.start

    def start_then_stop(self):
        real_start(self)
        raise KeyboardInterrupt  # the Ctrl-C's handler ran here

    monkeypatch.setattr(threading.Thread, "start", start_then_stop)
    before = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(before)
    with pytest.raises(KeyboardInterrupt):
        with stopping.watching():
            pytest.fail("the command ran")
    monkeypatch.undo()
    assert signal.set_wakeup_fd(before) == before  # as it was: no pipe of the watcher's left
    for thread in threading.enumerate():
        if thread.name == "casekit-stop-watcher":
            thread.join(timeout=10)
            assert not thread.is_alive(), "the watcher outlived the command"


def test_a_stop_as_the_handlers_are_set_leaves_the_programs_own_handlers(monkeypatch):
    # main() may run inside a longer program (a test run, a script): a SIGTERM that comes
    # just as the command sets its handlers is the command's stop, and the program's own
    # handlers are back after it, as after any other stop
    from casekit.cli import Stopped, _stopped_as_interrupted

    real_signal = signal.signal
    raised: list[int] = []

    def then_stopped(signum, handler):
        found = real_signal(signum, handler)
        if signum == signal.SIGTERM and not raised:  # the command's handler, just set
            raised.append(signum)
            signal.raise_signal(signal.SIGTERM)
        return found

    before_term = signal.getsignal(signal.SIGTERM)
    before_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        monkeypatch.setattr(signal, "signal", then_stopped)
        with pytest.raises(Stopped):
            with _stopped_as_interrupted():
                pytest.fail("the command ran")
        monkeypatch.undo()
        assert raised == [signal.SIGTERM]
        assert signal.getsignal(signal.SIGTERM) is before_term
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGTERM, before_term)
        signal.signal(signal.SIGINT, before_int)
