"""One opener of the private-spill DuckDB serves the dataset check and the DuckDB engine.

Both run DuckDB in this process under a memory limit, spilling to a private (0700) temporary
folder that is removed when they close. They were opened by two copies of the same code
(casekit/bundle/dataset.py and casekit/engine/backends.py); now both go through
casekit.bundle.spill.private_duckdb, which the engine may import (it is a layer below).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from casekit.bundle import dataset, spill
from casekit.engine import backends
from casekit.errors import CasekitError
from casekit.synth.national import Settings, write_dataset


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("spill") / "d"
    write_dataset(Settings(n_cases=20, part_cases=10), out)
    return out


def test_both_open_duckdb_through_the_one_opener(folder, monkeypatch):
    opened: list[tuple[str | None, int | None]] = []
    real = spill.private_duckdb

    def recording(memory_limit=None, threads=None, **kw):
        opened.append((memory_limit, threads))
        return real(memory_limit, threads, **kw)

    monkeypatch.setattr(spill, "private_duckdb", recording)
    assert dataset.check_dataset(folder, memory_limit="300MB").valid
    with backends.connect("duckdb", memory_limit="200MB", threads=1):
        pass
    assert opened == [("300MB", None), ("200MB", 1)]


@pytest.mark.parametrize("ordered", [True, False])
def test_it_spills_to_a_private_folder_removed_on_close(ordered):
    duck = spill.private_duckdb("100MB", 1, ordered=ordered)
    try:
        con = duck.con
        where = Path(con.execute("SELECT current_setting('temp_directory')").fetchone()[0])
        assert where.parent.is_dir() and stat.S_IMODE(where.parent.stat().st_mode) == 0o700
        limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        assert limit == "95.3 MiB"  # 100MB, as DuckDB shows it
        assert con.execute("SELECT current_setting('threads')").fetchone()[0] == 1
        order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
        assert order is ordered
        assert con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0] is False
    finally:
        duck.close()
    assert not where.parent.exists()
    duck.close()  # closing twice is harmless


@pytest.mark.parametrize("limit", ["lots", "1 parsec"])
def test_a_memory_limit_duckdb_refuses_is_one_clear_message_for_both(folder, limit):
    before = set(os.listdir(os.environ.get("TMPDIR", "/tmp")))
    with pytest.raises(CasekitError, match="memory limit .*DuckDB refused it.*4GB"):
        dataset.check_dataset(folder, memory_limit=limit)
    with pytest.raises(CasekitError, match="memory limit .*DuckDB refused it.*4GB"):
        backends.connect("duckdb", memory_limit=limit)
    after = set(os.listdir(os.environ.get("TMPDIR", "/tmp")))
    assert not {n for n in after - before if n.startswith("casekit-duckdb-")}  # none left


KILLED = r"""
import time
from casekit.bundle import spill
duck = spill.private_duckdb("100MB", 1)
print(duck.folder, flush=True)
time.sleep(600)
"""


def test_a_spill_folder_a_killed_run_left_is_removed_by_the_next_open(tmp_path, monkeypatch):
    import os
    import signal
    import subprocess
    import sys
    import tempfile

    from casekit.outputs import SCRATCH_NOTE

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root), "TMPDIR": str(tmp_path)}
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert child.stdout is not None
        left = Path(child.stdout.readline().strip())
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert left.parent == tmp_path and left.name.startswith(spill.SPILL_PREFIX)
    assert (left / SCRATCH_NOTE).is_file()  # SIGKILL: the folder stays, with its note
    yours = tmp_path / f"{spill.SPILL_PREFIX}k3j9zq1a"  # same kind of name, no note: kept
    yours.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with spill.private_duckdb("100MB", 1) as duck:
        assert not left.exists() and yours.exists() and duck.folder.parent == tmp_path
    assert sorted(tmp_path.iterdir()) == [yours]
