"""``casekit synth --form dataset``: a partitioned, typed Parquet dataset written part by part.

Small sizes only: a few hundred cases in parts of 100 show every property the 2M-case run
relies on (benchmarks/bench_synth_scale.py measures the large sizes).
"""

from __future__ import annotations

import filecmp
import json
import os
import stat
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import casekit
from casekit.bundle.casebook import from_tables
from casekit.bundle.io import bundle_form
from casekit.bundle.partitioned import MARKER, DatasetWriter, arrow_schema, part_files
from casekit.cli import main
from casekit.contract import TABLE_ORDER, TABLES
from casekit.errors import CasekitError
from casekit.outputs import MANIFEST
from casekit.synth import national
from casekit.synth.generator import generate, generated_columns
from casekit.synth.national import Settings, part_rows, plan_parts, write_dataset

SMALL = Settings(seed=2, n_cases=250, part_cases=100)
"""Three parts (84, 83 and 83 cases)."""


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ds") / "national"
    write_dataset(SMALL, out)
    return out


def _read(folder: Path, table: str) -> pa.Table:
    return pa.concat_tables([pq.read_table(p) for p in part_files(folder, table)])


def _part_of(folder: Path, table: str, column: str) -> dict[str, int]:
    """Map each value of ``column`` to the number of the part it is in."""
    found: dict[str, int] = {}
    for path in part_files(folder, table):
        part = int(path.stem.split("-")[1])
        for value in pq.read_table(path, columns=[column]).column(column).to_pylist():
            found[value] = part
    return found


def test_layout_is_a_folder_per_table_of_numbered_parts(dataset):
    names = sorted(p.name for p in dataset.iterdir())
    assert names == sorted([*TABLE_ORDER, MARKER, MANIFEST])
    for table in TABLE_ORDER:
        assert [p.name for p in sorted((dataset / table).iterdir())] == [
            "part-00000.parquet",
            "part-00001.parquet",
            "part-00002.parquet",
        ]
    about = json.loads((dataset / MARKER).read_text())
    assert about["layout"] == "casekit-dataset/1" and about["seed"] == 2
    assert about["tables"]["cases"] == {"parts": 3, "rows": 250}
    assert about["tables"]["events"]["rows"] == _read(dataset, "events").num_rows


def test_every_file_is_typed_by_the_contract(dataset):
    for table in TABLE_ORDER:
        for path in part_files(dataset, table):
            schema = pq.read_schema(path)
            assert schema.names == list(TABLES[table].column_names)
            assert schema.equals(arrow_schema(table), check_metadata=False), (table, schema)
    events = pq.read_schema(part_files(dataset, "events")[0])
    assert events.field("date").type == pa.date32()
    assert events.field("restricted").type == pa.bool_()
    assert events.field("summary").type == pa.string()
    judgements = pq.read_schema(part_files(dataset, "judgements")[0])
    assert judgements.field("safety_scale").type == pa.int64()
    assert judgements.field("evidence_ids").type == pa.list_(pa.string())
    cases = _read(dataset, "cases")
    assert cases.schema.field("concern_flags").type == pa.list_(pa.string())
    assert cases.schema.field("child_birth_month").type == pa.string()  # YYYY-MM, as text
    assert pq.read_schema(part_files(dataset, "workers")[0]).field("fte").type == pa.float64()
    # an empty cell is null, never "": open cases have no closing date
    closed = cases.column("closed")
    assert 0 < closed.null_count < len(closed)
    assert "" not in cases.column("ideology").to_pylist()


def test_a_part_is_a_self_contained_casebook(dataset):
    case_part = _part_of(dataset, "cases", "case_id")
    assert len(case_part) == 250
    for table in ("events", "judgements", "decisions", "plan_actions", "info_sharing"):
        for path in part_files(dataset, table):
            part = int(path.stem.split("-")[1])
            cases = set(pq.read_table(path, columns=["case_id"]).column("case_id").to_pylist())
            assert cases and {case_part[c] for c in cases} == {part}, table
    event_part = _part_of(dataset, "events", "event_id")
    worker_part = _part_of(dataset, "workers", "worker_id")
    team_part = _part_of(dataset, "teams", "team_id")
    for path in part_files(dataset, "decisions"):
        part = int(path.stem.split("-")[1])
        for ids in pq.read_table(path).column("evidence_ids").to_pylist():
            assert all(event_part[e] == part for e in ids or [])
    for path in part_files(dataset, "cases"):
        part = int(path.stem.split("-")[1])
        rows = pq.read_table(path).to_pylist()
        assert {team_part[r["team_id"]] for r in rows} == {part}
        assert {worker_part[r["worker_id"]] for r in rows if r["worker_id"]} == {part}


def test_ids_are_unique_across_parts(dataset):
    for table in TABLE_ORDER:
        ids = _read(dataset, table).column(TABLES[table].id_column).to_pylist()
        assert len(ids) == len(set(ids)), table
    cases = _read(dataset, "cases").column("case_id").to_pylist()
    assert cases == [f"C{i:05d}" for i in range(1, 251)]  # the whole dataset, numbered in turn
    events = _read(dataset, "events").column("event_id").to_pylist()
    assert events[0] == "E00000-000001" and any(e.startswith("E00002-") for e in events)


def test_same_seed_gives_the_same_files_with_one_process_or_two(tmp_path):
    settings = Settings(seed=5, n_cases=60, part_cases=20)
    write_dataset(settings, tmp_path / "a")
    write_dataset(settings, tmp_path / "b", jobs=2)
    files = sorted(str(p.relative_to(tmp_path / "a")) for p in (tmp_path / "a").rglob("*.*"))
    assert len(files) == 9 * 3 + 2
    assert filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", files, shallow=False)[0] == files
    write_dataset(Settings(seed=6, n_cases=60, part_cases=20), tmp_path / "c")
    one = "events/part-00001.parquet"
    assert (tmp_path / "c" / one).read_bytes() != (tmp_path / "a" / one).read_bytes()


def test_parts_differ_from_one_another(dataset):
    # each part is drawn from its own seed: not the same casebook renumbered
    texts = [
        pq.read_table(p, columns=["summary"]).column("summary").to_pylist()[:50]
        for p in part_files(dataset, "events")
    ]
    assert texts[0] != texts[1] != texts[2]


def test_loads_into_the_casebook_of_its_parts(dataset):
    assert bundle_form(dataset) == "dataset"
    loaded = casekit.load(dataset)
    parts = [part_rows(SMALL, k) for k in range(3)]
    tables = {
        t: pd.DataFrame(
            [r for p in parts for r in p[t]], columns=generated_columns(t), dtype=object
        )
        for t in TABLE_ORDER
    }
    expected = from_tables(tables, "in memory")
    for table in TABLE_ORDER:
        pd.testing.assert_frame_equal(loaded.tables[table], expected.tables[table])
    assert len(loaded.cases) == 250 and not any(p.severity == "error" for p in loaded.notes)


def test_a_dataset_of_one_part_is_generates_casebook(tmp_path):
    write_dataset(Settings(seed=9, n_cases=80, part_cases=100), tmp_path / "one")
    loaded = casekit.load(tmp_path / "one")
    expected = from_tables(generate(seed=9, n_cases=80), "in memory")
    for table in TABLE_ORDER:
        pd.testing.assert_frame_equal(loaded.tables[table], expected.tables[table])


def test_a_large_dataset_is_refused_with_where_to_read_it(dataset, monkeypatch):
    monkeypatch.setenv("CASEKIT_DATASET_LOAD_ROWS", "1000")
    with pytest.raises(CasekitError, match="partitioned dataset of .* rows.*from_parquet"):
        casekit.load(dataset)


def test_files_and_folders_are_private(dataset):
    for path in [dataset, *dataset.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path


def test_cli_writes_a_dataset_and_says_what_it_wrote(tmp_path, capsys):
    out = tmp_path / "d"
    args = ["synth", "--form", "dataset", "--out", str(out), "--cases", "40"]
    assert main([*args, "--part-cases", "20", "--jobs", "2"]) == 0
    said = capsys.readouterr()
    assert f"wrote {out} (dataset, seed 0:" in said.out and "40 cases" in said.out
    assert "part 2 of 2 written" in said.err
    assert len(part_files(out, "events")) == 2


def test_existing_forms_are_unchanged_by_the_new_options(tmp_path, capsys):
    assert main(["synth", "--out", str(tmp_path / "b"), "--cases", "30", "--jobs", "2"]) == 2
    assert "apply to --form dataset only" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


def test_refuses_to_overwrite_without_overwrite_and_replaces_with_it(tmp_path, capsys):
    out = tmp_path / "d"
    write_dataset(Settings(seed=1, n_cases=30, part_cases=10), out)
    before = (out / "events" / "part-00000.parquet").read_bytes()
    args = ["synth", "--form", "dataset", "--out", str(out), "--cases", "20", "--seed", "3"]
    assert main(args) == 2
    assert "already exists" in capsys.readouterr().err
    assert (out / "events" / "part-00000.parquet").read_bytes() == before
    assert main([*args, "--overwrite", "--part-cases", "10"]) == 0
    assert len(part_files(out, "cases")) == 2  # the old third part is gone with the old dataset
    assert json.loads((out / MARKER).read_text())["seed"] == 3
    assert [p.name for p in tmp_path.iterdir()] == ["d"]  # no staging or old copy left


@pytest.mark.parametrize("what", ["file", "folder"])
def test_refuses_a_folder_casekit_did_not_write(tmp_path, capsys, what):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    if what == "folder":  # a bundle is not a dataset: neither replaces the other
        (out / "notes.txt").unlink()
        assert main(["synth", "--out", str(out), "--cases", "20"]) == 0
    before = sorted(p.name for p in out.iterdir())
    code = main(["synth", "--form", "dataset", "--out", str(out), "--cases", "20", "--overwrite"])
    assert code == 2
    assert "casekit did not write" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


@pytest.mark.parametrize("target", ["empty", "dataset", "nowhere"])
def test_an_out_that_is_a_link_is_refused_before_any_part_is_written(tmp_path, capsys, target):
    # a link to an empty folder was written part by part, then failed "Not a directory"; a
    # link to a dataset casekit wrote was replaced by a folder, the link's target kept
    where = tmp_path / "there"
    if target == "empty":
        where.mkdir()
    elif target == "dataset":
        write_dataset(Settings(seed=1, n_cases=20, part_cases=10), where)
    link = tmp_path / "link"
    link.symlink_to(where, target_is_directory=True)
    before = sorted(p.name for p in where.iterdir()) if where.exists() else None
    args = ["synth", "--form", "dataset", "--cases", "20", "--overwrite", "--out", str(link)]
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and "is a link" in err and "part 1" not in out + err
    assert (
        link.is_symlink()
        and (sorted(p.name for p in where.iterdir()) if where.exists() else None) == before
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["link", *(["there"] if where.exists() else [])]
    )


def test_a_foreign_files_name_is_shown_escaped(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes\nFORGED: wrote it\x1bc").write_text("my notes")
    code = main(["synth", "--form", "dataset", "--out", str(out), "--cases", "20"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "\x1b" not in err
    assert "'notes\\nFORGED: wrote it\\x1bc'" in err


def test_a_failed_run_leaves_nothing_behind(tmp_path, monkeypatch):
    calls = []
    real = national._write_part

    def fail_on_third(settings, part, staging):
        calls.append(part)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(settings, part, staging)

    monkeypatch.setattr(national, "_write_part", fail_on_third)
    with pytest.raises(CasekitError, match="disk .* is full.*nothing was kept"):
        write_dataset(Settings(n_cases=50, part_cases=10), tmp_path / "d")
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_run_leaves_the_earlier_dataset(tmp_path, monkeypatch):
    out = tmp_path / "d"
    write_dataset(Settings(seed=1, n_cases=30, part_cases=10), out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    real = national._write_part

    def interrupt(settings, part, staging):
        if part == 1:
            raise KeyboardInterrupt
        return real(settings, part, staging)

    monkeypatch.setattr(national, "_write_part", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_dataset(Settings(seed=2, n_cases=30, part_cases=10), out, overwrite=True)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["d"]


def test_a_part_process_that_fails_stops_the_run(tmp_path):
    # a part process cannot write its events (a file stands where their folder should be)
    settings = Settings(n_cases=40, part_cases=10)
    written: list[dict[str, int]] = []
    with DatasetWriter(tmp_path / "d") as writer:
        staging = writer.staging
        (staging / "events").rmdir()
        (staging / "events").write_text("not a folder")
        with pytest.raises(OSError):
            national._in_processes(settings, 4, str(staging), 2, written.append)
        assert written == []  # no part counted as written
        assert len(part_files(staging, "cases")) <= 2  # parts 2 and 3 were never started
    assert list(tmp_path.iterdir()) == []  # leaving the block unfinished removed the staging


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cases", "0"], "--cases"),
        (["--cases", "1"], "--cases must be at least 2"),
        (["--part-cases", "0"], "--part-cases must be a whole number of at least 10"),
        (["--part-cases", "5"], "--part-cases must be a whole number of at least 10"),
        (["--part-cases", "many"], "'many' is not a whole number"),
        (["--jobs", "0"], "--jobs must be a whole number of 1 or more"),
        (["--teams", "100"], "--teams must be from 1 to 99"),
        (["--end", "2099-01-01"], "is in the future"),
        (["--cases", "2000000", "--part-cases", "10"], "more than 100,000 parts"),
    ],
)
def test_bad_arguments_are_explained_and_write_nothing(tmp_path, capsys, args, message):
    out = tmp_path / "d"
    try:
        code = main(["synth", "--form", "dataset", "--out", str(out), *args])
    except SystemExit as exc:  # argparse's usage error, for what is not a whole number
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_bad_settings_raise_casekit_errors_in_python(tmp_path):
    with pytest.raises(CasekitError, match="--part-cases"):
        write_dataset(Settings(n_cases=100, part_cases=3), tmp_path / "d")
    with pytest.raises(CasekitError, match="--cases must be at least 2"):
        write_dataset(Settings(n_cases=0), tmp_path / "d")
    with pytest.raises(CasekitError, match="--jobs"):
        write_dataset(Settings(n_cases=20, part_cases=10), tmp_path / "d", jobs=0)
    with pytest.raises(CasekitError, match="parts 0 to 2"):
        part_rows(SMALL, 3)
    assert list(tmp_path.iterdir()) == []


def test_parts_are_cut_evenly():
    assert plan_parts(250, 100) == [(0, 84), (84, 83), (167, 83)]
    assert plan_parts(100, 100) == [(0, 100)]
    sizes = [n for _, n in plan_parts(2_000_000, 50_000)]
    assert len(sizes) == 40 and set(sizes) == {50_000}


def test_a_damaged_part_is_reported_without_a_traceback(tmp_path, capsys):
    out = tmp_path / "d"
    write_dataset(Settings(n_cases=20, part_cases=10), out)
    os.chmod(out / "events" / "part-00001.parquet", 0o600)
    (out / "events" / "part-00001.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(CasekitError, match="cannot be read as Parquet"):
        casekit.load(out)
    assert main(["validate", str(out)]) == 2
    err = capsys.readouterr().err
    assert "cannot be read as Parquet" in err and "Traceback" not in err


def test_typed_parts_fill_absent_columns_and_refuse_unknown_ones():
    from casekit.bundle.partitioned import part_name, typed_part

    part = typed_part(
        "events", [("E1", "C1", "2024-02-05", "")], ["event_id", "case_id", "date", "seen_alone"]
    )
    assert part.schema.equals(arrow_schema("events"), check_metadata=False)
    row = part.to_pylist()[0]
    assert str(row["date"]) == "2024-02-05" and row["seen_alone"] is None
    assert row["summary"] is None and row["restricted"] is None  # absent: null, not a default
    with pytest.raises(CasekitError, match="colour is not a contract column"):
        typed_part("events", [("E1", "red")], ["event_id", "colour"])
    with pytest.raises(CasekitError, match="parts numbered 0 to 99,999"):
        part_name(100_000)


class _Run:
    """``casekit synth --form dataset`` in a process group of its own, as from a terminal.

    Its standard error is read line by line as it comes (the progress lines say when a part
    process has just handed back its part and the next is starting: the moment a Ctrl-C once
    left a run waiting forever). Every wait has a deadline generous enough for a loaded
    machine; a run that outlives it is killed, with all its processes, and the test fails
    saying so, so no test waits forever or leaves processes behind.
    """

    DEADLINE = 300.0

    def __init__(self, out: Path, *args: str):
        import subprocess
        import sys
        import threading

        command = ["synth", "--form", "dataset", "--out", str(out), *args]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "casekit.cli", *command],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group, as a terminal's Ctrl-C reaches
            preexec_fn=_like_a_terminal,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    def until(self, ready, what: str) -> None:
        """Wait until ``ready()`` holds while the run goes on."""
        import time

        deadline = time.monotonic() + self.DEADLINE
        while not ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"the run ended or stalled before {what}: {''.join(self.lines)}")
            time.sleep(0.02)

    def part_processes(self) -> list[int]:
        """List the run's part processes (its children that run spawn_main)."""
        pid = self.process.pid
        children: list[int] = []
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                children += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
        found = []
        for child in children:
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in command:
                found.append(child)
        return found

    def signal(self, sig) -> None:
        os.killpg(self.process.pid, sig)

    def finish(self) -> tuple[int, str]:
        """Wait for the run to end; give its exit code and standard error."""
        import subprocess

        try:
            code = self.process.wait(timeout=self.DEADLINE)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"the run did not end within {self.DEADLINE:.0f}s: {''.join(self.lines)}")
        self.reader.join(timeout=self.DEADLINE)
        return code, "".join(self.lines)

    def kill(self) -> None:
        import signal

        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


def _like_a_terminal() -> None:
    """Give the run Ctrl-C as a terminal's program has it, whatever started the tests.

    A shell without job control starts background jobs with SIGINT ignored, and Python then
    leaves it ignored (as a user's `casekit synth ... &` would): the tests' run must not.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _part_written(tmp_path: Path) -> bool:
    return bool(list(tmp_path.glob(".d.*.partial/dataset/events/part-*.parquet")))


@pytest.mark.parametrize("when", ["a part is on disk", "a part process has just finished"])
def test_ctrl_c_during_a_run_in_processes_leaves_nothing(tmp_path, when):
    import signal

    run = _Run(tmp_path / "d", "--cases", "2000", "--part-cases", "100", "--jobs", "2")
    if when == "a part is on disk":
        run.until(lambda: _part_written(tmp_path), "a part was written")
    else:  # its result just handed back, the next part process starting
        run.until(lambda: any("part 1 of 20 written" in line for line in run.lines), "part 1")
    run.signal(signal.SIGINT)
    code, err = run.finish()
    assert code == 130, err
    assert "interrupted; nothing half-written was kept" in err
    assert "Traceback" not in err  # the part processes were stopped, not interrupted
    assert list(tmp_path.iterdir()) == []


def test_sigterm_to_the_run_alone_stops_it_as_ctrl_c_does(tmp_path):
    # a batch scheduler or kill sends SIGTERM to the run's process only
    import signal
    import time

    run = _Run(tmp_path / "d", "--cases", "2000", "--part-cases", "100", "--jobs", "2")
    run.until(lambda: _part_written(tmp_path) and run.part_processes(), "a part was written")
    workers = run.part_processes()
    os.kill(run.process.pid, signal.SIGTERM)
    code, err = run.finish()
    assert code == 143, err
    assert "stopped (SIGTERM); nothing half-written was kept" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # its scratch folder went with it

    def ended(pid: int) -> bool:
        try:
            return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
        except FileNotFoundError:
            return True

    deadline = time.monotonic() + 30
    while not all(ended(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert all(ended(pid) for pid in workers)  # no part process goes on writing


def test_ctrl_c_reaching_only_the_part_processes_leaves_them_to_the_run(tmp_path):
    # Ctrl-C is the run's to act on: a part process interrupted on its own (as one was
    # half-way through handing back its part) must not break or stall the run
    import signal
    import time

    run = _Run(tmp_path / "d", "--cases", "600", "--part-cases", "100", "--jobs", "2")
    run.until(run.part_processes, "a part process started")
    hit: set[int] = set()
    stop = time.monotonic() + 3
    while time.monotonic() < stop and run.process.poll() is None:
        for pid in run.part_processes():
            try:
                os.kill(pid, signal.SIGINT)
                hit.add(pid)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    code, err = run.finish()
    assert hit and code == 0, err
    assert [p.name for p in tmp_path.iterdir()] == ["d"]
    assert json.loads((tmp_path / "d" / MARKER).read_text())["tables"]["cases"] == {
        "parts": 6,
        "rows": 600,
    }


@pytest.mark.parametrize("killed", ["the whole run", "the run but not its part processes"])
def test_a_run_killed_outright_is_cleaned_up_by_the_next_run(tmp_path, capsys, killed):
    import signal
    import time

    from casekit.outputs import SCRATCH_NOTE

    run = _Run(tmp_path / "d", "--cases", "2000", "--part-cases", "100", "--jobs", "2")
    run.until(lambda: _part_written(tmp_path) and run.part_processes(), "a part was written")
    workers = run.part_processes()
    if killed == "the whole run":
        run.signal(signal.SIGKILL)  # as the out-of-memory killer or kill -9 does
    else:
        os.kill(run.process.pid, signal.SIGKILL)
    run.finish()
    (left,) = tmp_path.glob(".d.*.partial")  # a killed run cannot remove its folder
    note = json.loads((left / SCRATCH_NOTE).read_text())
    noted = [p["pid"] for p in note["processes"]]
    assert noted[0] == run.process.pid and set(workers) <= set(noted)
    deadline = time.monotonic() + _Run.DEADLINE  # orphaned part processes end with the run
    while any(Path(f"/proc/{pid}").exists() for pid in workers):
        status = [
            Path(f"/proc/{p}/stat").read_text().split()[2]
            for p in workers
            if Path(f"/proc/{p}").exists()
        ]
        if set(status) <= {"Z"}:
            break
        assert time.monotonic() < deadline, "part processes outlived their run"
        time.sleep(0.05)
    # the next run to the same target removes it, and writes its dataset
    code = main(["synth", "--form", "dataset", "--out", str(tmp_path / "d"), "--cases", "20"])
    assert code == 0, capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["d"]
    # so does any casekit synth to that target: a bundle this time
    run = _Run(tmp_path / "e", "--cases", "2000", "--part-cases", "100", "--jobs", "2")
    run.until(lambda: list(tmp_path.glob(".e.*.partial/dataset/events/part-*")), "a part")
    run.signal(signal.SIGKILL)
    run.finish()
    assert main(["synth", "--out", str(tmp_path / "e"), "--cases", "20"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d", "e"]


def test_a_ctrl_c_while_a_part_process_starts_is_acted_on_just_after():
    # another thread has SIGINT unblocked (the stop watcher does), so the process's Ctrl-C
    # reaches that thread while this one holds it back: it must not be lost
    import signal
    import threading
    import time

    from casekit.synth.national import _ctrl_c_held

    done = threading.Event()
    other = threading.Thread(target=done.wait)
    other.start()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    reached = False
    try:
        with pytest.raises(KeyboardInterrupt):
            with _ctrl_c_held():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.3)  # taken by the other thread, or pending here
                reached = True  # not raised half-way through the block
        assert reached
    finally:
        done.set()
        other.join()
        signal.signal(signal.SIGINT, previous)
