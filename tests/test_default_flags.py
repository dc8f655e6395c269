"""``flags()`` without ``engine=``: DuckDB, shared by the process, exactly the pandas rows.

The default must give what the pandas reference gives (columns, types, order, attrs), for any
as-of date, thresholds and ``status``, with no set-up; compile once per thresholds (a review
kernel's warm-up does it ahead); serve threads one at a time; open its own DuckDB in a forked
child; and close at exit. ``engine="pandas"`` is still the reference, and reads only a Casebook.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from engine_helpers import AS_OF_DATES, THRESHOLD_CHOICES, synthetic
from hypothesis import given, settings
from hypothesis import strategies as st

import casekit
from casekit.analysis.proportionality import flags
from casekit.analysis.relational import shared
from casekit.bundle.casebook import Casebook
from casekit.errors import CasekitError

ROOT = Path(__file__).resolve().parents[1]
SYNTHETIC = ROOT / "data" / "synthetic"


def one(cb: Casebook, case: str) -> Casebook:
    """Give one case of a casebook as a casebook of its own."""
    return Casebook(
        {n: (t[t["case_id"] == case] if "case_id" in t else t) for n, t in cb.tables.items()},
        case,
    )


def test_the_default_is_the_shared_duckdb_and_gives_the_pandas_frame():
    cb, _ = synthetic(2, 30)
    shared.close_shared()
    got = flags(cb, "2025-03-31")
    preview = shared.shared_preview()
    assert preview.engine.name == "duckdb" and preview._made == 1
    want = flags(cb, "2025-03-31", engine="pandas")
    assert len(want) > 10
    pd.testing.assert_frame_equal(got, want)  # columns, dtypes, order, values
    assert got.attrs == want.attrs == {}
    again = flags(cb, dt.date(2024, 7, 1), status="open")
    pd.testing.assert_frame_equal(again, flags(cb, "2024-07-01", status="open", engine="pandas"))
    assert shared.shared_preview() is preview and preview._made == 1  # a new date: no compiling


def test_no_flags_give_the_same_empty_frame_as_pandas():
    cb, _ = synthetic(2, 30)
    before = dt.date(2000, 1, 1)  # before every case opened
    got, want = flags(cb, before), flags(cb, before, engine="pandas")
    assert got.empty
    pd.testing.assert_frame_equal(got, want)
    nothing = Casebook({n: t.iloc[0:0] for n, t in cb.tables.items()}, "nothing")
    pd.testing.assert_frame_equal(flags(nothing), flags(nothing, engine="pandas"))


@settings(max_examples=6, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    as_of=AS_OF_DATES,
    status=st.sampled_from(["all", "open", "past"]),
    **THRESHOLD_CHOICES,
)
def test_the_default_gives_the_pandas_flags_of_any_bundle(seed, as_of, status, **thresholds):
    cb, _ = synthetic(seed, 12)
    got = flags(cb, as_of, status=status, **thresholds)
    pd.testing.assert_frame_equal(
        got, flags(cb, as_of, status=status, engine="pandas", **thresholds)
    )


def test_bad_input_is_refused_as_before_the_engine_runs():
    cb, _ = synthetic(2, 30)
    with pytest.raises(CasekitError, match="status='later'"):
        flags(cb, "2025-03-31", status="later")
    with pytest.raises(CasekitError, match="low_scale"):
        flags(cb, "2025-03-31", low_scale=-1)
    with pytest.raises(CasekitError, match="as_of"):
        flags(cb, "31/03/2025")
    with pytest.raises(CasekitError, match="reads a Casebook"):
        flags(str(SYNTHETIC), "2025-03-31", engine="pandas")


def test_a_path_without_engine_is_read_and_raised_on_duckdb():
    cb = casekit.load(SYNTHETIC)
    got = flags(str(SYNTHETIC), "2025-03-31", status="open")
    got.attrs = {}
    pd.testing.assert_frame_equal(got, flags(cb, "2025-03-31", status="open", engine="pandas"))


def test_warming_compiles_ahead_and_threads_share_the_one_preview():
    cb, _ = synthetic(4, 20)
    shared.close_shared()
    shared.warm()
    preview = shared.shared_preview()
    assert preview._made == 1
    cases = list(cb.cases["case_id"])[:6]
    books = {
        c: Casebook(
            {n: (t[t["case_id"] == c] if "case_id" in t else t) for n, t in cb.tables.items()}, c
        )
        for c in cases
    }
    want = {c: flags(books[c], "2025-06-30", engine="pandas") for c in cases}
    with ThreadPoolExecutor(4) as pool:
        calls = cases * 3
        got = list(pool.map(lambda c: flags(books[c], "2025-06-30"), calls))
    for case, rows in zip(calls, got, strict=True):
        pd.testing.assert_frame_equal(rows, want[case])
    assert preview._made == 1 and shared.shared_preview() is preview


def test_a_forked_child_opens_its_own_duckdb_and_leaves_the_parents():
    cb, _ = synthetic(2, 30)
    parent = shared.shared_preview()
    want = flags(cb, "2025-03-31", engine="pandas")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its own preview, the same rows
        ok = 1
        try:
            ok = int(shared.shared_preview() is not parent and flags(cb, "2025-03-31").equals(want))
        finally:
            os.write(write, bytes([ok]))
            os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.waitpid(pid, 0)
    assert answer == b"\x01"
    assert shared.shared_preview() is parent
    pd.testing.assert_frame_equal(flags(cb, "2025-03-31"), want)  # the parent's still works


FORK_WHILE_WARMING = """
import os, signal, sys, time
import casekit
from casekit.analysis.proportionality import flags
from casekit.analysis.relational import shared

cb = casekit.load("data/synthetic")
want = flags(cb, "2025-03-31", engine="pandas")
warming = shared.warm_in_background()  # a fresh kernel: it imports Ibis, opens the preview
time.sleep(0.05)
if not warming.is_alive():
    sys.exit("the warm-up ended before the fork")
pid = os.fork()
if pid == 0:  # the child: its own preview, the same rows, or ended by the alarm
    signal.alarm(60)
    os._exit(0 if flags(cb, "2025-03-31").equals(want) else 3)
print("child", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
print("parent", flags(cb, "2025-03-31").equals(want))
"""


def _python(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run a fresh Python on this checkout (``env`` added to the environment); give its end."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT), **env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_child_forked_while_the_preview_is_warmed_in_the_background_opens_its_own():
    # a kernel forks (a process pool) while the picker's warm-up imports Ibis and opens the
    # shared preview: the child must not wait for locks held by a thread it does not have
    done = _python("-c", FORK_WHILE_WARMING)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["child", "0", "parent", "True"], done.stdout + done.stderr


def test_the_shared_duckdb_is_closed_at_exit():
    code = (
        "import atexit, sys, casekit\n"
        "from casekit.analysis.proportionality import flags\n"
        "def check():\n"  # registered first, so it runs after the shared preview's close
        "    con = sys.modules['casekit.analysis.relational.shared'].CLOSED_CHECK\n"
        "    try:\n"
        "        con.execute('SELECT 1')\n"
        "    except Exception as e:\n"
        "        print('closed:', type(e).__name__)\n"
        "atexit.register(check)\n"
        "flags(casekit.load('data/synthetic'), '2025-03-31')\n"
        "shared = sys.modules['casekit.analysis.relational.shared']\n"
        "shared.CLOSED_CHECK = shared.shared_preview().engine.backend.con\n"
        "print('open:', shared.CLOSED_CHECK.execute('SELECT 1').fetchone())\n"
    )
    done = _python("-W", "ignore", "-c", code)
    assert done.returncode == 0, done.stderr
    assert "open: (1,)" in done.stdout and "closed: ConnectionException" in done.stdout


def test_a_process_ending_while_the_preview_is_warmed_leaves_no_spill_folder(tmp_path):
    # a kernel shut down just after the picker started its warm-up: the preview the warm-up
    # opens is closed at exit, its private spill folder with it
    code = (
        "import time\n"
        "from casekit.analysis.relational import shared\n"
        "shared.warm_in_background()\n"
        "time.sleep(0.3)\n"  # the warm-up is importing Ibis, about to open the preview
    )
    done = _python("-c", code, TMPDIR=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert [p.name for p in tmp_path.iterdir()] == []
