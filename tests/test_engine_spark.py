"""Spark as casekit opens it: a shared, quiet local session; Spark Connect with a token.

Local mode runs in a child Python (so this process starts no JVM of its own, and its stderr
can be read): two engines share casekit's session and closing one leaves the other working,
the last one stops it, a session casekit did not start is never stopped, and nothing but
errors reaches stderr. Spark Connect runs against a server the test starts on 127.0.0.1 with a
token (tests/spark_helpers.py): the flags over it equal pandas'; a wrong or missing token, a
token in the URL and an address nothing answers at are each one clear message. Without Java,
``engine=spark`` says how to install it.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest
from conftest import SYNTHETIC
from engine_helpers import assert_same_flags, oracle, relational, synthetic
from spark_helpers import connect_server

import casekit
from casekit.analysis.proportionality import PandasFlags, flags
from casekit.cli import main
from casekit.engine import connect
from casekit.engine.spark import TOKEN_ENV, _pass_on, java
from casekit.errors import CasekitError

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2025, 3, 31)

LOCAL = r"""
import datetime as dt
import sys
from pathlib import Path
import ibis
from pyspark.sql import SparkSession
from casekit.analysis.proportionality import THRESHOLDS
from casekit.analysis.relational.flags import run_flags
from casekit.engine import connect
from casekit.engine import spark as sp
from casekit.engine.parquet import from_parquet
from engine_helpers import synthetic, write_dataset

a, b = connect("spark"), connect("spark")
print("shared", a.backend._session is b.backend._session, sp._OURS["holds"])
scratch = Path(b.backend._session.conf.get("spark.local.dir"))
print("scratch", oct(scratch.stat().st_mode & 0o777), scratch.name.startswith("casekit-spark-"))
a.close()
a.close()  # closing twice lets go once
print("still", len(b.run(ibis.memtable({"x": [1, 2, 3]}))), sp._OURS["holds"])
cb, tables = synthetic(5, 40)
want = run_flags(b, tables, dt.date(2025, 3, 31), dict(THRESHOLDS))
print("flags", len(want) > 0)
folder = Path(sys.argv[1])
write_dataset(cb, folder)
lazy = from_parquet(b, folder)
got = run_flags(b, lazy, dt.date(2025, 3, 31), dict(THRESHOLDS))
print("dataset", got.equals(want), "parquet" in str(b.backend.compile(lazy.events)).lower())
print("spilled here", any(scratch.iterdir()))
b.close()
print("stopped", SparkSession.getActiveSession() is None, sp._OURS["session"] is None)
print("scratch gone", not scratch.exists())
mine = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
c = connect("spark")
print("theirs", c.backend._session is mine)
c.close()
print("alive", mine.range(2).count())
mine.stop()
"""


ODD = r"""
import sys
from pathlib import Path
import pyarrow as pa
import pyarrow.parquet as pq
from casekit.analysis.relational.run import tables_of
from casekit.bundle.dataset import check_dataset
from casekit.engine import connect
from casekit.engine.parquet import from_parquet
from engine_helpers import synthetic, write_dataset

cb, _ = synthetic(5, 40)
folder = Path(sys.argv[1])
write_dataset(cb, folder)
part = sorted((folder / "cases").glob("part-*.parquet"))[0]
extra = pq.read_table(part)
ids = pa.array([f"X{i}" for i in range(extra.num_rows)])
extra = extra.set_column(extra.schema.get_field_index("case_id"), "case_id", ids)
pq.write_table(extra, folder / "cases" / "extra.parq")  # Parquet, but no part: not checked
checked = check_dataset(folder)
print("checked", checked.valid, checked.rows["cases"] == len(cb.cases))
with connect("spark") as spark:
    for tables in (from_parquet(spark, folder), tables_of(spark, str(folder))):
        print("read", spark.run(tables.cases.select("case_id")).shape[0] == len(cb.cases))
"""


MIXED = r"""
import os
import sys
import ibis
from casekit.engine import connect
from casekit.errors import CasekitError

url = sys.argv[1]
remote = connect("spark", url=url)
try:
    connect("spark")
except CasekitError as exc:
    print("local refused", "side by side" in str(exc))
remote.close()
print("connect mode", "SPARK_CONNECT_MODE_ENABLED" in os.environ)
local = connect("spark")
print("local", len(local.run(ibis.memtable({"x": [1, 2]}))))
try:
    connect("spark", url=url)
except CasekitError as exc:
    print("connect refused", "side by side" in str(exc))
local.close()
again = connect("spark", url=url)
print("connect again", again.backend._session.range(3).count())
again.close()
"""


STOPPED_STARTING = r"""
import os
from pathlib import Path
import pyspark.java_gateway as gateway
from casekit.engine import connect

class Stopping:  # Ctrl-C reaches pyspark while it waits for the JVM to report its port
    @staticmethod
    def sleep(seconds):
        raise KeyboardInterrupt

def children():
    tasks = Path("/proc", str(os.getpid()), "task")
    return [pid for t in tasks.iterdir() for pid in (t / "children").read_text().split()]

gateway.time = Stopping
try:
    connect("spark")
except KeyboardInterrupt:
    print("interrupted")
print("children", children())
print("scratch", sorted(p.name for p in Path(os.environ["TMPDIR"]).iterdir()))
"""


def test_a_stop_while_the_jvm_starts_ends_the_jvm_and_its_scratch(tmp_path):
    """pyspark left the JVM it was starting running after a Ctrl-C (its gateway, having lost
    the file for its port, never ends), and casekit left its scratch folder."""
    (tmp_path / "tmp").mkdir()
    out = tmp_path / "out.txt"
    with out.open("w") as sink:  # a file, not a pipe a JVM left running would hold open
        subprocess.run(
            [sys.executable, "-c", STOPPED_STARTING],
            stdout=sink,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path / "tmp")},
            timeout=300,
            check=True,
        )
    assert out.read_text().splitlines() == ["interrupted", "children []", "scratch []"]


def test_java_missing_is_one_clear_message(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))  # a JAVA_HOME without bin/java
    with pytest.raises(CasekitError, match="needs Java 17 or later") as caught:
        java()
    assert "holds no bin/java" in str(caught.value)
    monkeypatch.delenv("JAVA_HOME")
    monkeypatch.setenv("PATH", str(tmp_path))  # and no java on the PATH
    with pytest.raises(CasekitError, match="apt-get install openjdk-17-jre-headless"):
        connect("spark")
    code = main(["flags", "--data", str(SYNTHETIC), "--engine", "spark"])
    err = capsys.readouterr().err
    assert code == 2 and "needs Java 17 or later" in err and "Traceback" not in err


def run_child(script: str, argument: str, **env: str) -> subprocess.CompletedProcess:
    """Run ``script`` in a child Python (its own process for Spark); assert it succeeded."""
    path = os.pathsep.join([str(ROOT), str(ROOT / "tests")])
    done = subprocess.run(
        [sys.executable, "-c", script, argument],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": path, **env},
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_local_sessions_are_shared_stopped_by_the_last_and_quiet(tmp_path):
    done = run_child(LOCAL, str(tmp_path / "dataset"))
    assert done.stdout.splitlines() == [
        "shared True 2",
        "scratch 0o700 True",
        "still 3 1",
        "flags True",
        "dataset True True",
        "spilled here True",
        "stopped True True",
        "scratch gone True",
        "theirs True",
        "alive 2",
    ]
    # nothing at all: not even Java's note on the incubator module Spark adds to every start
    assert done.stderr.strip() == "", done.stderr[:2000]


def test_the_jvms_stderr_is_passed_on_but_for_javas_module_note(capsys):
    read, write = os.pipe()
    os.write(
        write,
        b"WARNING: Using incubator modules: jdk.incubator.vector\n"
        b"26/11/30 03:40:48 ERROR Executor: Exception in task 1.0\n"
        b"\tat org.apache.spark.Thing(Thing.scala:1) \xff\n",
    )
    os.close(write)
    _pass_on(read)  # reads to the end of the pipe, as the JVM's ending closes it
    assert capsys.readouterr().err == (
        "26/11/30 03:40:48 ERROR Executor: Exception in task 1.0\n"
        "\tat org.apache.spark.Thing(Thing.scala:1) \ufffd\n"
    )


def test_spark_reads_exactly_the_parts_the_check_checked(tmp_path):
    # Spark given a table's folder reads every file in it but hidden ones, so a Parquet file
    # not named *.parquet, which the check ignores (a warning), reached the flags unchecked
    done = run_child(ODD, str(tmp_path / "dataset"))
    assert done.stdout.splitlines() == ["checked True True", "read True", "read True"]


@pytest.fixture(scope="module")
def server():
    with connect_server() as (url, token):
        yield url, token


def test_spark_connect_gives_the_pandas_flags(server, monkeypatch):
    url, token = server
    monkeypatch.setenv(TOKEN_ENV, token)
    cb, tables = synthetic(5, 60)
    with connect("spark", url=url) as spark:
        assert spark.name == "spark"
        got = relational(spark, tables, AS_OF, escalation_rung="early_help")
    assert len(got) > 0
    assert_same_flags(oracle(cb, AS_OF, escalation_rung="early_help"), got)
    bundle = casekit.load(SYNTHETIC)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PandasFlags)
        every = flags(bundle, AS_OF, engine=url)
    every.attrs = {}
    pd.testing.assert_frame_equal(flags(bundle, AS_OF, engine="pandas"), every)


def test_two_connect_engines_are_separate_sessions(server, monkeypatch):
    url, token = server
    monkeypatch.setenv(TOKEN_ENV, token)
    first, second = connect("spark", url=url), connect("spark", url=url)
    try:
        assert first.backend._session.session_id != second.backend._session.session_id
        first.close()
        assert second.backend._session.range(4).count() == 4
    finally:
        second.close()


@pytest.mark.parametrize("token", ["wrong", None])
def test_a_wrong_or_missing_token_is_refused_by_the_server(server, monkeypatch, token):
    url, _ = server
    if token is None:
        monkeypatch.delenv(TOKEN_ENV, raising=False)
    else:
        monkeypatch.setenv(TOKEN_ENV, token)
    with pytest.raises(CasekitError, match="refused casekit") as caught:
        connect("spark", url=url)
    assert "UNAUTHENTICATED" in str(caught.value) or "UNAVAILABLE" in str(caught.value)


def test_local_mode_and_connect_take_turns_in_one_process(server):
    """pyspark cannot mix the two in one process: each waits until the other kind is closed."""
    url, token = server
    done = run_child(MIXED, url, **{TOKEN_ENV: token})
    assert done.stdout.splitlines() == [
        "local refused True",
        "connect mode False",
        "local 2",
        "connect refused True",
        "connect again 3",
    ]


def test_a_user_or_password_in_a_connect_url_is_refused_without_showing_it():
    with pytest.raises(CasekitError, match="holds no user or password") as caught:
        connect("spark", url="sc://a:hunter2@localhost:15002")
    assert "hunter2" not in str(caught.value)


def test_a_token_in_the_url_and_nothing_listening_are_refused_before_connecting(server):
    url, token = server
    with pytest.raises(CasekitError, match=TOKEN_ENV) as caught:
        connect("spark", url=f"{url}/;token={token}")
    assert token not in str(caught.value)
    with pytest.raises(CasekitError, match="nothing answers at"):
        connect("spark", url="sc://localhost:1")
    with pytest.raises(CasekitError, match="not a number"):
        connect("spark", url="sc://localhost:port")


SCRATCH = r"""
import json
import sys
import time
from pathlib import Path
from pyspark.sql import SparkSession
from casekit.engine import connect

def shuffle(session):  # a repartition writes shuffle files into the local dirs
    return session.range(5000).repartition(3).count()

a = connect("spark")
first = Path(a.backend._session.conf.get("spark.local.dir"))
shuffle(a.backend._session)
a.close()
print("first gone", not first.exists())
mine = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
print("theirs elsewhere", mine.conf.get("spark.local.dir", None) != str(first))
shuffle(mine)
print("not back", not first.exists())
mine.stop()
again = connect("spark")
scratch = Path(again.backend._session.conf.get("spark.local.dir"))
shuffle(again.backend._session)
note = json.loads((scratch / ".casekit-scratch.json").read_text())
print("ready", scratch, " ".join(str(p["pid"]) for p in note["processes"]), flush=True)
time.sleep(600)
"""


def _ended(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2] in "ZX"


def test_spark_scratch_is_never_reused_and_a_killed_runs_is_removed_next_time(
    tmp_path, monkeypatch
):
    """A later session of the user's own writes elsewhere; SIGKILL's leftover goes next start."""
    import signal
    import tempfile
    import time

    temp = tmp_path / "tmp"
    temp.mkdir()
    path = os.pathsep.join([str(ROOT), str(ROOT / "tests")])
    child = subprocess.Popen(
        [sys.executable, "-c", SCRATCH],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": path, "TMPDIR": str(temp)},
    )
    try:
        assert child.stdout is not None
        lines = [child.stdout.readline().strip() for _ in range(4)]
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert lines[:3] == ["first gone True", "theirs elsewhere True", "not back True"], lines
    word, scratch, *writers = lines[3].split()
    left = Path(scratch)
    assert word == "ready" and left.parent == temp and left.name.startswith("casekit-spark-")
    assert [int(w) for w in writers][0] == child.pid and len(writers) == 2  # Python and its JVM
    assert left.is_dir() and any(left.iterdir())  # SIGKILL: nothing could remove it
    deadline = time.monotonic() + 120
    while not all(_ended(int(w)) for w in writers):  # the JVM goes when its Python has gone
        assert time.monotonic() < deadline, "Spark's JVM outlived its killed Python"
        time.sleep(0.5)
    stranger = temp / "casekit-spark-k3j9zq1a"  # no note: not provably casekit's, kept
    stranger.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    from pyspark.sql import SparkSession

    from casekit.engine import spark as sp

    def refuse(self: object) -> None:
        raise RuntimeError("no JVM in this test")

    monkeypatch.setattr(sp, "java", lambda: "/usr/bin/java")
    monkeypatch.setattr(SparkSession.Builder, "getOrCreate", refuse)
    with pytest.raises(CasekitError, match="did not start"):
        sp._start()  # the next start: it clears what the killed run left, then fails here
    assert not left.exists() and stranger.exists()
    assert [p.name for p in temp.iterdir()] == [stranger.name]  # its own failed start: gone
