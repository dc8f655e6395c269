"""Scratch folders beside a target: a killed run's folder is removed, and nothing else is.

A run killed outright (SIGKILL, the machine's out-of-memory killer) cannot remove the private
``.NAME.xxxxxxxx.partial`` folder it was filling. The next write to the same target removes it
when, and only when, the note casekit wrote in it first proves casekit wrote it, for this user
on this machine, and every process it names has ended (tests/test_synth_dataset.py kills a
real run).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from casekit.errors import CasekitError
from casekit.outputs import (
    SCRATCH_NOTE,
    claim_folder,
    note_scratch_process,
    remove_stale_scratch,
    scratch_beside,
)


def _ended_pid() -> int:
    """Give the id of a process that has ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _start(pid: int) -> int:
    text = Path(f"/proc/{pid}/stat").read_text()
    return int(text[text.rindex(")") + 2 :].split()[19])


def _left(tmp_path: Path, name: str = ".d.k3j9zq1a.partial", **note: object) -> Path:
    """Make a scratch folder as a killed run leaves it: a note, and a part half-written."""
    folder = tmp_path / name
    folder.mkdir(mode=0o700)
    (folder / "dataset" / "events").mkdir(parents=True)
    (folder / "dataset" / "events" / "part-00000.parquet").write_bytes(b"PAR1 half")
    body = {
        "written_by": "casekit",
        "kind": "scratch",
        "uid": os.getuid(),
        "host": socket.gethostname(),
        "processes": [{"pid": _ended_pid(), "start": None}],
        **note,
    }
    (folder / SCRATCH_NOTE).write_text(json.dumps(body))
    return folder


def test_a_folder_a_killed_run_left_is_removed(tmp_path):
    left = _left(tmp_path)
    assert remove_stale_scratch(tmp_path / "d") == [left]
    assert list(tmp_path.iterdir()) == []


def test_claiming_the_target_removes_it(tmp_path):
    _left(tmp_path)
    claim_folder(tmp_path / "d", kind="dataset")
    assert [p.name for p in tmp_path.iterdir()] == ["d"]


def test_a_new_scratch_folder_notes_its_writers_and_is_kept_while_they_run(tmp_path):
    folder = scratch_beside(tmp_path / "d")
    assert folder.parent == tmp_path and folder.name.startswith(".d.")
    assert folder.name.endswith(".partial") and oct(folder.stat().st_mode)[-3:] == "700"
    note = json.loads((folder / SCRATCH_NOTE).read_text())
    assert note["uid"] == os.getuid() and note["host"] == socket.gethostname()
    assert note["processes"] == [{"pid": os.getpid(), "start": _start(os.getpid())}]
    assert oct((folder / SCRATCH_NOTE).stat().st_mode)[-3:] == "600"
    assert remove_stale_scratch(tmp_path / "d") == []  # this process is still writing it
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        note_scratch_process(folder, worker.pid)
        pids = [p["pid"] for p in json.loads((folder / SCRATCH_NOTE).read_text())["processes"]]
        assert pids == [os.getpid(), worker.pid]
        ours = folder / SCRATCH_NOTE
        body = json.loads(ours.read_text())
        body["processes"] = body["processes"][1:]  # as if this process had ended
        ours.write_text(json.dumps(body))
        assert remove_stale_scratch(tmp_path / "d") == []  # its worker is still writing
    finally:
        worker.kill()
        worker.wait()
    assert remove_stale_scratch(tmp_path / "d") == [folder]


def test_a_writer_that_ended_unreaped_has_ended(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    child.kill()
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # dead, not reaped: a zombie
    try:
        left = _left(tmp_path, processes=[{"pid": child.pid, "start": None}])
        assert remove_stale_scratch(tmp_path / "d") == [left]
    finally:
        child.wait()


def test_a_reused_process_id_is_not_the_writer(tmp_path):
    me = {"pid": os.getpid(), "start": _start(os.getpid())}
    alive = _left(tmp_path, processes=[me])
    assert remove_stale_scratch(tmp_path / "d") == []
    reused = _left(tmp_path, ".d.aaaaaaaa.partial", processes=[{**me, "start": me["start"] - 1}])
    assert remove_stale_scratch(tmp_path / "d") == [reused]
    assert alive.exists()


def test_a_swap_cut_short_puts_the_earlier_output_back(tmp_path):
    left = _left(tmp_path)
    (left / "old").mkdir()
    (left / "old" / "dataset.json").write_text("{}")
    remove_stale_scratch(tmp_path / "d")
    assert [p.name for p in tmp_path.iterdir()] == ["d"]
    assert (tmp_path / "d" / "dataset.json").read_text() == "{}"
    # with the target in place, the copy set aside is the earlier one: removed
    left = _left(tmp_path)
    (left / "old").mkdir()
    (left / "old" / "dataset.json").write_text("older")
    remove_stale_scratch(tmp_path / "d")
    assert [p.name for p in tmp_path.iterdir()] == ["d"]
    assert (tmp_path / "d" / "dataset.json").read_text() == "{}"


def _note_of(folder: Path) -> dict[str, object]:
    return json.loads((folder / SCRATCH_NOTE).read_text())


@pytest.mark.parametrize(
    "change",
    [
        "no note",
        "note is a symlink",
        "note is a folder",
        "note is not JSON",
        "note is a list",
        "note is huge",
        "not casekit's",
        "another kind",
        "another uid",
        "another machine",
        "no processes",
        "a process id that is text",
        "a process id of 0",
        "a writer still running",
        "a stranger's process",
        "folder is a symlink",
        "folder is a file",
        "folder of another user",
        "a name of another target",
        "a name not mkdtemp's",
        "an .old name",
    ],
)
def test_nothing_is_removed_that_casekit_did_not_provably_leave(tmp_path, change):
    keep = tmp_path / "keep"
    keep.mkdir()
    folder = _left(keep)
    note = folder / SCRATCH_NOTE
    body = _note_of(folder)
    if change == "no note":
        note.unlink()
    elif change == "note is a symlink":
        real = keep / "real-note.json"
        note.rename(real)
        note.symlink_to(real)
    elif change == "note is a folder":
        note.unlink()
        note.mkdir()
    elif change == "note is not JSON":
        note.write_text("{not json")
    elif change == "note is a list":
        note.write_text(json.dumps([body]))
    elif change == "note is huge":
        note.write_text(json.dumps({**body, "padding": "x" * 70_000}))
    elif change == "not casekit's":
        note.write_text(json.dumps({**body, "written_by": "someone"}))
    elif change == "another kind":
        note.write_text(json.dumps({**body, "kind": "output"}))
    elif change == "another uid":
        note.write_text(json.dumps({**body, "uid": os.getuid() + 1}))
    elif change == "another machine":  # the folder may be on a share another machine writes
        note.write_text(json.dumps({**body, "host": "elsewhere.example"}))
    elif change == "no processes":
        note.write_text(json.dumps({**body, "processes": []}))
    elif change == "a process id that is text":
        note.write_text(json.dumps({**body, "processes": [{"pid": "1", "start": None}]}))
    elif change == "a process id of 0":
        note.write_text(json.dumps({**body, "processes": [{"pid": 0, "start": None}]}))
    elif change == "a writer still running":
        running = [{"pid": _ended_pid(), "start": None}, {"pid": os.getpid(), "start": None}]
        note.write_text(json.dumps({**body, "processes": running}))
    elif change == "a stranger's process":  # process 1 exists: sending it nothing says so
        note.write_text(json.dumps({**body, "processes": [{"pid": 1, "start": None}]}))
    elif change == "folder is a symlink":
        folder.rename(keep / "elsewhere")
        folder.symlink_to(keep / "elsewhere")
    elif change == "folder is a file":
        for path in sorted(folder.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        folder.rmdir()
        folder.write_text("mine")
    elif change == "folder of another user":
        if os.getuid() != 0:
            pytest.skip("only root can give a folder to another user")  # CI runs as root
        os.chown(folder, 12345, 12345)
    elif change == "a name of another target":
        folder.rename(keep / ".e.k3j9zq1a.partial")
    elif change == "a name not mkdtemp's":
        folder.rename(keep / ".d.notes.partial")
    elif change == "an .old name":
        folder.rename(keep / ".d.k3j9zq1a.old")
    before = sorted(str(p) for p in keep.rglob("*"))
    assert remove_stale_scratch(keep / "d") == []
    claim_folder(keep / "d", kind="dataset")  # a real write to the target removes nothing either
    assert sorted(str(p) for p in keep.rglob("*")) == sorted([*before, str(keep / "d")])


def test_a_folder_that_cannot_be_listed_is_left_alone(tmp_path):
    left = _left(tmp_path)
    os.chmod(tmp_path, 0o300)  # writable and enterable, not listable
    try:
        if os.getuid() == 0:  # root lists anything: show the listing failing instead
            import unittest.mock

            with unittest.mock.patch.object(os, "listdir", side_effect=PermissionError):
                assert remove_stale_scratch(tmp_path / "d") == []
        else:
            assert remove_stale_scratch(tmp_path / "d") == []
    finally:
        os.chmod(tmp_path, 0o700)
    assert left.exists()


# --- single files and bundles: the write is killed, the next write cleans up ---------------------

KILLED_WRITE = r"""
import sys, time
from pathlib import Path
from casekit.bundle.io import write_bundle
from casekit.outputs import write_private

out, kind = Path(sys.argv[1]), sys.argv[2]

def stuck(path):
    path.write_text("case_id,reason\nC1,half a flag")
    print("writing", flush=True)
    time.sleep(60)

if kind == "file":
    write_private(out, stuck)
else:
    import pandas as pd

    class Stuck(pd.DataFrame):
        def to_csv(self, path, **kwargs):
            stuck(Path(path))

    write_bundle({"cases": Stuck({"case_id": ["C1"]})}, out)
"""


def _killed_while_writing(out: Path, kind: str) -> None:
    """Start a write of ``out`` in a child Python and SIGKILL it half-way."""
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITE, str(out), kind],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "writing"
    finally:
        child.kill()
        child.wait()


@pytest.mark.parametrize("kind", ["file", "bundle"])
def test_a_killed_write_leaves_a_noted_folder_that_the_next_write_removes(tmp_path, kind):
    from casekit.bundle.io import write_bundle
    from casekit.outputs import write_private

    out = tmp_path / ("flags.csv" if kind == "file" else "bundle")
    mine = tmp_path / ".flags.csv.notes.partial"  # the user's own, a look-alike: kept
    mine.mkdir()
    _killed_while_writing(out, kind)
    left = [p for p in tmp_path.iterdir() if p not in (mine, out)]
    assert len(left) == 1 and left[0].name.startswith(f".{out.name}.")
    assert left[0].name.endswith(".partial") and (left[0] / SCRATCH_NOTE).is_file()
    assert oct(left[0].stat().st_mode)[-3:] == "700"
    # the target never appeared half-written (a new bundle's folder is made empty first)
    assert not out.is_file() and (not out.exists() or not any(out.iterdir()))
    if kind == "file":
        write_private(out, b"case_id\nC2\n")
        assert out.read_text() == "case_id\nC2\n"
    else:
        write_bundle({"cases": pd.DataFrame({"case_id": ["C2"]})}, out)
        assert (out / "cases.csv").read_text() == "case_id\nC2\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, mine.name])


def test_a_write_in_progress_elsewhere_is_never_removed(tmp_path):
    from casekit.outputs import write_private

    running = scratch_beside(tmp_path / "flags.csv")  # this process: still writing it
    write_private(tmp_path / "flags.csv", b"x")
    assert running.is_dir() and (running / SCRATCH_NOTE).is_file()


# --- private folders in the system's temporary folder (Spark's and DuckDB's scratch) -------------


def test_a_private_temporary_folder_has_a_note_and_stale_ones_go(tmp_path, monkeypatch):
    from casekit.outputs import private_temp, remove_stale_temp

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stale = _left(tmp_path, "casekit-spark-k3j9zq1a")
    me = [{"pid": os.getpid(), "start": None}]
    live = _left(tmp_path, "casekit-spark-aaaaaaaa", processes=me)
    unnoted = tmp_path / "casekit-spark-bbbbbbbb"  # no note: not provably casekit's
    unnoted.mkdir()
    other = _left(tmp_path, "casekit-duckdb-k3j9zq1a")  # another prefix: not this one's to judge
    made = private_temp("casekit-spark-")
    assert made.parent == tmp_path and made.name.startswith("casekit-spark-")
    assert oct(made.stat().st_mode)[-3:] == "700"
    assert _note_of(made)["processes"] == [{"pid": os.getpid(), "start": _start(os.getpid())}]
    assert not stale.exists()
    assert live.exists() and unnoted.exists() and other.exists()
    assert remove_stale_temp("casekit-duckdb-") == [other]
    assert remove_stale_temp("casekit-spark-") == []  # this process still uses its own
    with pytest.raises(CasekitError, match="prefix"):
        private_temp("../casekit-")
