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
