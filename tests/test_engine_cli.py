"""``casekit flags --engine``: the same table as pandas, a note naming unported flags, refusals.

Good values (duckdb on a bundle, the Python ``engine=`` on a Casebook and on a Parquet
dataset) give exactly today's flags; bad values (an unknown engine, postgres on a folder, a
URL with a password or a Spark Connect token) are one clear message, exit 2, and write nothing.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import pandas as pd
import pytest
from conftest import SYNTHETIC
from engine_helpers import write_dataset

import casekit
from casekit.analysis.proportionality import FLAGS, THRESHOLDS, PandasFlags, flags
from casekit.analysis.relational.flags import RAISED
from casekit.analysis.relational.run import flags_on, not_ported
from casekit.cli import main
from casekit.engine import connect
from casekit.engine.parquet import from_parquet
from casekit.errors import CasekitError

AS_OF = "2025-03-31"


def test_duckdb_prints_the_same_table_as_pandas_and_names_what_pandas_raised(capsys):
    assert main(["flags", "--data", str(SYNTHETIC), "--as-of", AS_OF]) == 0
    want = capsys.readouterr().out
    assert main(["flags", "--data", str(SYNTHETIC), "--as-of", AS_OF, "--engine", "pandas"]) == 0
    assert capsys.readouterr() == (want, "")  # the reference, by name
    assert main(["flags", "--data", str(SYNTHETIC), "--as-of", AS_OF, "--engine", "DuckDB"]) == 0
    got = capsys.readouterr()
    assert got.out == want and want.count("\n") > 100
    if not_ported():
        assert got.err.startswith("note: ") and all(f in got.err for f in not_ported())
    else:
        assert got.err == ""


def test_duckdb_writes_the_same_file_and_its_summary(tmp_path, capsys):
    target = tmp_path / "flags.csv"
    args = ["flags", "--data", str(SYNTHETIC), "--as-of", AS_OF, "--status", "open"]
    assert main([*args, "--out", str(target), "--engine", "duckdb"]) == 0
    assert "flags" in capsys.readouterr().out
    want = flags(casekit.load(SYNTHETIC), AS_OF, status="open", engine="pandas")
    written = pd.read_csv(target, dtype=str, keep_default_na=False)
    assert list(written["subject_id"]) == list(want["subject_id"])
    assert list(written["reason"]) == list(want["reason"])


@pytest.mark.parametrize(
    ("engine", "message"),
    [
        ("polars", "choose pandas, duckdb, postgres or spark"),
        ("", "choose pandas, duckdb, postgres or spark"),
        ("http://localhost:15002", "choose pandas, duckdb, postgres or spark"),
        ("postgresql://a:hunter2@h/db", "<not shown: it may hold a password>: choose pandas"),
    ],
)
def test_an_unknown_engine_is_a_usage_error(engine, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(["flags", "--data", str(SYNTHETIC), "--engine", engine])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert "hunter2" not in err  # a value that may hold a secret is not echoed


@pytest.mark.parametrize(
    "engine",
    ["postgresql://u:hunter2@h/db", "host=h password=hunter2", "postgres://u:hunter2@h/db?x=1"],
)
def test_an_engine_value_that_may_hold_a_password_is_never_echoed_in_python(engine):
    from casekit.analysis import on_engine, research

    cb = casekit.load(SYNTHETIC)
    calls = [
        lambda: flags(cb, AS_OF, engine=engine),
        lambda: on_engine.study(str(SYNTHETIC), engine),
        lambda: research.research_tables(cb, engine),
        lambda: research.engine_step_down_waits(cb, engine),
        lambda: connect(engine),
    ]
    for call in calls:
        with pytest.raises(CasekitError, match="choose one of duckdb, postgres, spark") as caught:
            call()
        assert "hunter2" not in str(caught.value) and "not shown" in str(caught.value)


def test_research_on_an_engine_takes_a_connect_url_and_refuses_a_path_clearly(tmp_path):
    from casekit.analysis import research

    with pytest.raises(CasekitError, match="on_engine.study"):
        research.research_tables(str(tmp_path))
    with pytest.raises(CasekitError, match="nothing answers at localhost:1"):  # a URL, read
        research.research_tables(casekit.load(SYNTHETIC), "sc://localhost:1")


def test_a_broken_dataset_is_refused_before_an_engine_reads_it(tmp_path, capsys):
    """Like any bundle, a dataset is checked first: a duplicated part or a damaged one stops it."""
    good = tmp_path / "ds"
    assert (
        main(
            [
                "synth",
                "--out",
                str(good),
                "--form",
                "dataset",
                "--cases",
                "60",
                "--part-cases",
                "20",
            ]
        )
        == 0
    )
    capsys.readouterr()
    target = tmp_path / "flags.csv"
    assert main(["flags", "--data", str(good), "--out", str(target)]) == 0
    assert target.exists()
    events = good / "events"
    (events / "part-00003.parquet").write_bytes((events / "part-00000.parquet").read_bytes())
    again = tmp_path / "again.csv"
    assert main(["flags", "--data", str(good), "--out", str(again)]) == 2
    err = capsys.readouterr().err  # casekit's dataset.json says what the dataset holds
    assert "dataset.json: says events has 3 parts" in err and "Traceback" not in err
    assert not again.exists()
    (good / "dataset.json").unlink()  # as a dataset put together by hand, part by part
    (good / ".casekit-manifest.json").unlink()
    assert main(["flags", "--data", str(good), "--out", str(again)]) == 2
    err = capsys.readouterr().err
    assert "not a valid case bundle" in err and "part-00003" in err and "Traceback" not in err
    assert not again.exists()
    (events / "part-00003.parquet").unlink()
    part = events / "part-00001.parquet"
    part.write_bytes(part.read_bytes()[:500])  # a damaged part that is not the first
    assert main(["flags", "--data", str(good), "--out", str(again)]) == 2
    err = capsys.readouterr().err
    assert "part-00001" in err and "Traceback" not in err and "internal error" not in err
    assert not again.exists()


@pytest.mark.parametrize(
    ("data", "engine", "message", "secret"),
    [
        (str(SYNTHETIC), "postgres", "give the store's URL as the data", None),
        ("postgresql://alice:hunter2@localhost/casebook", "postgres", "PGPASSWORD", "hunter2"),
        ("mysql://alice@localhost/casebook", "postgres", "not a casebook server", None),
        (str(SYNTHETIC), "sc://localhost:15002/;token=hunter2", "SPARK_CONNECT", "hunter2"),
        (str(SYNTHETIC), "sc://localhost:1", "nothing answers at localhost:1", None),
    ],
)
def test_bad_engine_and_data_pairs_are_one_clear_message(
    data, engine, message, secret, tmp_path, capsys
):
    target = tmp_path / "flags.csv"
    code = main(["flags", "--data", data, "--engine", engine, "--out", str(target)])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert secret is None or secret not in err
    assert not target.exists()


def test_engine_in_python_takes_a_casebook_and_says_which_flags_pandas_raised():
    cb = casekit.load(SYNTHETIC)
    want = flags(cb, AS_OF, status="past", step_down_days=60, engine="pandas")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = flags(cb, AS_OF, status="past", step_down_days=60, engine="duckdb")
    assert got.attrs.get("pandas", []) == list(not_ported())
    got.attrs = {}
    pd.testing.assert_frame_equal(want, got)
    named = [w for w in caught if issubclass(w.category, PandasFlags)]
    assert len(named) == (1 if not_ported() else 0)
    with connect("duckdb") as warm, warnings.catch_warnings():  # an open engine is lent
        warnings.simplefilter("ignore", PandasFlags)
        first = flags(cb, AS_OF, engine=warm)
        again = flags(cb, AS_OF, engine=warm)
    pd.testing.assert_frame_equal(first, again)
    with pytest.raises(CasekitError, match="choose one of duckdb"):
        flags(cb, AS_OF, engine="polars")
    default = flags(cb, AS_OF, status="past", step_down_days=60)  # no engine: DuckDB
    pd.testing.assert_frame_equal(want, default)
    by_path = flags(str(SYNTHETIC), AS_OF, status="past", step_down_days=60)  # read, on DuckDB
    by_path.attrs = {}
    pd.testing.assert_frame_equal(want, by_path)
    with pytest.raises(CasekitError, match=r"flags\(engine='pandas'\) reads a Casebook"):
        flags(str(SYNTHETIC), AS_OF, engine="pandas")


def test_a_partitioned_dataset_is_read_in_place_and_gives_the_same_flags(tmp_path):
    cb = casekit.load(SYNTHETIC)
    write_dataset(cb, tmp_path)
    with connect("duckdb") as duck:
        tables = from_parquet(duck, tmp_path)
        assert "parquet" in str(duck.backend.compile(tables.events)).lower()  # scanned, not read
        links = duck.run(tables.decision_evidence)
    want_links = sorted(
        (d, e, i)
        for d, ids in zip(cb.decisions["decision_id"], cb.decisions["evidence_ids"], strict=True)
        for i, e in enumerate(ids)
    )
    assert sorted(links.itertuples(index=False, name=None)) == want_links
    want = flags(cb, AS_OF, engine="pandas")
    got = flags_on("duckdb", tmp_path, dt.date(2025, 3, 31), dict(THRESHOLDS))
    ported = want[want["flag"].isin(RAISED)].reset_index(drop=True)
    got["flag"] = pd.Categorical(got["flag"].astype(str), categories=FLAGS)
    pd.testing.assert_frame_equal(ported, got)
    if not_ported():  # pandas cannot raise the rest from a dataset: refused, naming them
        with pytest.raises(CasekitError, match="not ported") as caught:
            flags(tmp_path, AS_OF, engine="duckdb")
        assert all(f in str(caught.value) for f in not_ported())
    else:
        pd.testing.assert_frame_equal(want, flags(tmp_path, AS_OF, engine="duckdb"))


def test_the_engine_reads_exactly_the_parts_the_check_checked(tmp_path, capsys):
    """Hidden files are no parts for the check nor for DuckDB; misspelt names are refused."""
    import shutil

    cb = casekit.load(SYNTHETIC)
    clean, odd = tmp_path / "clean", tmp_path / "odd"
    write_dataset(cb, clean)
    shutil.copytree(clean, odd)
    for table in ("events", "decisions"):  # other tools' copies, which a glob would read too
        part = next((odd / table).glob("part-*.parquet"))
        shutil.copy(part, odd / table / "_extra.parquet")
        shutil.copy(part, odd / table / ".hidden.parquet")
    args = ["flags", "--as-of", AS_OF, "--engine", "duckdb", "--data"]
    assert main(["validate", str(odd)]) == 0
    assert "valid case dataset (360 cases, 7404 events" in capsys.readouterr().out
    assert main([*args, str(clean)]) == 0
    want = capsys.readouterr().out
    assert main([*args, str(odd)]) == 0
    assert capsys.readouterr().out == want
    (odd / "events").rename(odd / "Events")
    out = tmp_path / "flags.csv"
    assert main([*args, str(odd), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Events/" in err and "rename the folder to events/" in err and not out.exists()


def _dataset_and_other_cases(tmp_path):
    """Give a dataset of the synthetic bundle, its first cases part, and that part's rows with
    other case ids (X0, X1, ...): a part an attacker could slip in or swap in."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "d"
    write_dataset(casekit.load(SYNTHETIC), folder)
    part = sorted((folder / "cases").glob("part-*.parquet"))[0]
    table = pq.read_table(part)
    ids = pa.array([f"X{i}" for i in range(table.num_rows)])
    return folder, part, table.set_column(table.schema.get_field_index("case_id"), "case_id", ids)


def test_a_part_written_after_the_check_is_not_read(tmp_path, monkeypatch):
    """Whoever may write the dataset's folder cannot slip a part in between check and read."""
    import pyarrow.parquet as pq

    from casekit.analysis.relational.run import tables_of
    from casekit.bundle import dataset

    folder, _, extra = _dataset_and_other_cases(tmp_path)
    real = dataset.check_dataset

    def then_a_part_appears(*args, **kwargs):
        checked = real(*args, **kwargs)
        pq.write_table(extra, folder / "cases" / "part-99999.parquet")
        return checked

    monkeypatch.setattr(dataset, "check_dataset", then_a_part_appears)
    with connect("duckdb") as engine:
        cases = engine.run(tables_of(engine, str(folder)).cases.select("case_id"))
    assert (folder / "cases" / "part-99999.parquet").exists()
    assert len(cases) == 360 and not cases.case_id.str.startswith("X").any()


@pytest.mark.parametrize("how", ["in place", "renamed over"])
def test_a_part_replaced_after_the_check_is_refused_not_counted(tmp_path, monkeypatch, how):
    """A checked part swapped for another before the engine has read it stops the run."""
    import os

    import pyarrow.parquet as pq

    from casekit.bundle import dataset

    folder, part, swapped = _dataset_and_other_cases(tmp_path)
    real = dataset.check_dataset

    def then_a_part_is_replaced(*args, **kwargs):
        checked = real(*args, **kwargs)
        if how == "in place":
            stat = part.stat()
            pq.write_table(swapped, part)
            os.utime(part, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # its time put back too
        else:
            pq.write_table(swapped, tmp_path / "new.parquet")
            os.replace(tmp_path / "new.parquet", part)
        return checked

    monkeypatch.setattr(dataset, "check_dataset", then_a_part_is_replaced)
    with pytest.raises(CasekitError) as raised:
        flags_on("duckdb", str(folder), dt.date(2025, 3, 31), dict(THRESHOLDS))
    said = str(raised.value)
    assert said.startswith("cases/part-00000.parquet: changed after the dataset was checked")
    assert main(["flags", "--data", str(folder), "--engine", "duckdb", "--as-of", AS_OF]) == 2


def test_a_damaged_or_mistyped_part_is_said_alike_by_every_engine(tmp_path, capsys):
    import pyarrow as pa
    import pyarrow.parquet as pq

    cb = casekit.load(SYNTHETIC)
    truncated, mistyped = tmp_path / "truncated", tmp_path / "mistyped"
    write_dataset(cb, truncated)
    write_dataset(cb, mistyped)
    part = sorted((truncated / "events").glob("part-*.parquet"))[-1]
    part.write_bytes(part.read_bytes()[:2000])
    part = sorted((mistyped / "events").glob("part-*.parquet"))[-1]
    table = pq.read_table(part)
    at = table.schema.get_field_index("date")
    table = table.set_column(at, "date", table["date"].cast(pa.string()))
    pq.write_table(table, part)
    for folder, message in (
        (truncated, f"events/{part.name}: cannot be read as Parquet"),
        (mistyped, f"events/{part.name}, column 'date': 'string' — is the wrong type"),
    ):
        said = []
        for engine in ("pandas", "duckdb"):
            assert main(["flags", "--data", str(folder), "--engine", engine]) == 2
            err = capsys.readouterr().err
            assert message in err and "Traceback" not in err, (engine, err)
            said.append([line for line in err.splitlines() if f"events/{part.name}" in line])
        assert said[0] == said[1]  # the same words, whichever engine reads it


def test_a_wrong_out_for_the_flags_is_refused_before_they_run(tmp_path, capsys):
    folder = tmp_path / "dataset"
    write_dataset(casekit.load(SYNTHETIC), folder)
    bad = {
        str(tmp_path / "flags.xlsx"): "the flags are written as CSV; name a .csv file",
        str(tmp_path / "no" / "flags.csv"): "does not exist",
        str(folder / "flags.csv"): "is inside an input (--data",
        str(folder / "events" / "flags.csv"): "is inside an input (--data",
        "postgresql://u:secret@h/db": "looks like a URL; the flags are written to a .csv file",
    }
    for out, message in bad.items():
        assert main(["flags", "--data", str(folder), "--out", out]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and "secret" not in err, (out, err)
        assert not Path(out).exists()
    assert main(["validate", str(folder)]) == 0  # the dataset is as it was


def test_a_parquet_folder_that_is_neither_layout_is_refused(tmp_path):
    (tmp_path / "cases").mkdir()
    with connect("duckdb") as duck:
        with pytest.raises(CasekitError, match="holds neither"):
            from_parquet(duck, tmp_path)
        with pytest.raises(CasekitError, match="no such folder"):
            from_parquet(duck, tmp_path / "absent")
        (tmp_path / "cases" / "part-00000.parquet").write_bytes(b"PAR1 not really")
        with pytest.raises(CasekitError, match="cannot be read as Parquet"):
            from_parquet(duck, tmp_path)


def test_duckdb_spills_to_a_private_folder_removed_on_close():
    with connect("duckdb", memory_limit="200MB", threads=1) as duck:
        spill = Path(
            duck.backend.con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
        )
        assert spill.parent.is_dir() and spill.parent.stat().st_mode & 0o777 == 0o700
    assert not spill.parent.exists()


def test_flags_out_replaces_a_file_only_with_overwrite_and_only_its_own(tmp_path, capsys):
    """Like every other single-file command: an existing --out needs --overwrite."""
    args = ["flags", "--data", str(SYNTHETIC), "--as-of", AS_OF, "--engine", "pandas"]
    target = tmp_path / "flags.csv"
    assert main([*args, "--out", str(target)]) == 0
    first = target.read_bytes()
    capsys.readouterr()
    target.write_bytes(first + b"C99,my note\n")  # a user's change to the flags casekit wrote
    assert main([*args, "--out", str(target), "--status", "open"]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "--overwrite" in err and "Traceback" not in err
    assert target.read_bytes().endswith(b"C99,my note\n")  # untouched
    assert main([*args, "--out", str(target), "--status", "open", "--overwrite"]) == 0
    assert target.read_bytes() != first and b"C99" not in target.read_bytes()
    capsys.readouterr()
    # --overwrite replaces flags casekit wrote, never another file, a link or a folder
    mine = tmp_path / "mine.csv"
    mine.write_text("name,phone\nA,0123\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    for other, says in ((mine, "not one casekit wrote"), (link, "not one casekit wrote"),
                        (folder, "is a folder")):  # fmt: skip
        before = other.read_bytes() if other.is_file() and not other.is_symlink() else None
        assert main([*args, "--out", str(other), "--overwrite"]) == 2, other
        err = capsys.readouterr().err
        assert says in err and "Traceback" not in err, err
        assert before is None or other.read_bytes() == before
    assert link.is_symlink() and folder.is_dir() and mine.read_text() == "name,phone\nA,0123\n"
    # the refusal comes before the flags are raised: nothing is worked out for nothing
    assert main(["flags", "--data", str(tmp_path / "nowhere"), "--out", str(mine)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["flags.csv", "mine.csv", "link.csv", "folder.csv"]
    )  # no scratch folder left by any refusal


FORMS = {
    "chronology export": (".html", ".xlsx", ".csv"),
    "chronology merge": (".xlsx", ".csv"),
    "supervision": (".html", ".docx"),
}


@pytest.mark.parametrize(
    ("command", "suffix"), [(c, s) for c, forms in FORMS.items() for s in forms]
)
def test_every_single_file_export_needs_overwrite_and_replaces_only_its_own(
    command, suffix, tmp_path, capsys
):
    """As flags --out: chronology export and merge, and supervision export, alike."""
    from casekit.synth.agency_samples import write_agency_samples

    cb = casekit.load(SYNTHETIC)
    case = cb.events.groupby("case_id").size().idxmax()
    if command == "chronology export":
        args = ["chronology", "export", "--data", str(SYNTHETIC), "--case", case]
    elif command == "chronology merge":
        events = cb.events[cb.events["case_id"] == case]
        paths = write_agency_samples(events, tmp_path / "agency")
        args = ["chronology", "merge", *map(str, paths), "--case", case]
    else:
        store = tmp_path / "s.sqlite"
        assert main(["import", str(SYNTHETIC), "--into", str(store)]) == 0
        record = cb.supervisions["supervision_id"].iloc[0]
        args = ["supervision", "export", "--store", str(store), "--id", record]
    target = tmp_path / f"out{suffix}"
    assert main([*args, "--out", str(target)]) == 0
    first = target.read_bytes()
    target.write_bytes(first + b" ")  # changed since: still casekit's file
    capsys.readouterr()
    assert main([*args, "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "--overwrite" in err and "Traceback" not in err
    assert target.read_bytes() == first + b" "
    assert main([*args, "--out", str(target), "--overwrite"]) == 0
    assert target.read_bytes() != first + b" "
    mine = tmp_path / f"mine{suffix}"
    mine.write_bytes(b"my own notes, not casekit's")
    capsys.readouterr()
    assert main([*args, "--out", str(mine), "--overwrite"]) == 2
    assert "not one casekit wrote" in capsys.readouterr().err
    assert mine.read_bytes() == b"my own notes, not casekit's"
