"""Checking a partitioned Parquet dataset with DuckDB: every rule, every part, and pandas' word."""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dataset_helpers import typed_part, write_dataset

import casekit
from casekit.bundle.dataset import LIMIT, check_dataset, is_dataset, validate_dataset
from casekit.bundle.rules import DUPLICATE_ID
from casekit.cli import main
from casekit.contract import TABLES
from casekit.errors import CasekitError

TODAY = dt.date(2026, 1, 1)


def errors(folder: Path, **kw) -> list:
    """Check a dataset and keep only its errors."""
    return [p for p in check_dataset(folder, TODAY, **kw).problems if p.severity == "error"]


def test_good_dataset_passes_in_one_part_or_several(tmp_path, tiny):
    for parts in (1, 2):
        found = check_dataset(write_dataset(tmp_path / f"d{parts}", tiny, parts), TODAY)
        assert found.valid and found.problems == []
        assert found.rows == {t: len(rows) for t, rows in tiny.items()}


def test_is_dataset_tells_a_dataset_from_a_bundle(tmp_path, tiny, tiny_path):
    assert is_dataset(write_dataset(tmp_path / "d", tiny))
    assert not is_dataset(tiny_path)  # <table>.csv files: a bundle
    assert not is_dataset(tmp_path / "nowhere")
    (tmp_path / "other" / "notes").mkdir(parents=True)
    assert not is_dataset(tmp_path / "other")


# (table, row of the table, column, value to write, part, record in that part, value shown,
#  what the problem says, its hint or None). Events and cases are cut into two parts:
#  events rows 0-1 -> part 0, row 2 -> part 1; cases row 0 -> part 0, row 1 -> part 1.
RULES = [
    ("events", 2, "event_id", "E1", 1, 1, "E1", DUPLICATE_ID,
     "event_id must be unique; it is first used at record 1 of events/part-00000.parquet"),
    ("events", 1, "event_id", "E1", 0, 2, "E1", DUPLICATE_ID,
     "event_id must be unique; it is first used at record 1"),
    ("events", 2, "case_id", "999", 1, 1, "999", "refers to a case that does not exist",
     "check the id against cases"),
    ("cases", 0, "team_id", "T9", 0, 1, "T9", "refers to a team that does not exist", None),
    ("cases", 1, "worker_id", "W9", 1, 1, "W9", "refers to a worker that does not exist", None),
    ("decisions", 0, "evidence_ids", "E1;E77;E78", 0, 1, "E77",
     "refers to an event that does not exist", None),
    ("supervisions", 0, "decision_ids", "D9", 0, 1, "D9",
     "refers to a decision that does not exist", None),
    ("decisions", 0, "evidence_ids", "E1;E3", 0, 1, "E3", "cites an event from another case",
     "evidence must come from the same case's records"),
    ("events", 1, "category", "harmm", 0, 2, "harmm", "expected one of: belief_practice",
     "did you mean 'harm'?"),
    ("decisions", 0, "response", "section47", 0, 1, "section47", "expected one of:",
     "did you mean 'section_47'?"),
    ("cases", 1, "concern_flags", "neglect;radicalisaton", 1, 1, "radicalisaton",
     "(separated by ';')", "did you mean 'radicalisation'?"),
    ("events", 0, "date", "2999-01-01", 0, 1, "2999-01-01", "is in the future (today is 2026",
     None),
    ("events", 2, "date", "1899-12-31", 1, 1, "1899-12-31", "is before 1900", "check the year"),
    ("cases", 0, "closed", "2024-01-01", 0, 1, "2024-01-01", "is before the case was opened",
     "closed must be on or after opened"),
    ("cases", 1, "ideology", "Islamist", 1, 1, "islamist", "is only for radicalisation cases",
     None),
    ("events", 1, "recorded_on", "2023-04-30", 0, 2, "2023-04-30", "is before the event's date",
     "recorded_on must be on or after date"),
    ("cases", 1, "child_birth_month", "2012-11-05", 1, 1, "2012-11-05",
     "expected a month as YYYY-MM", "a full date of birth must never be recorded"),
    ("cases", 0, "child_birth_month", "2030-01", 0, 1, "2030-01", "is in the future", None),
    ("judgements", 0, "safety_scale", "11", 0, 1, "11", "expected a whole number from 0 to 10",
     None),
    ("judgements", 0, "safety_scale", "-1", 0, 1, "-1", "from 0 to 10", None),
    ("workers", 0, "fte", "0", 0, 1, "0", "expected a number above 0 up to 1", None),
    ("workers", 0, "fte", "1.5", 0, 1, "1.5", "expected a number above 0 up to 1", None),
    ("events", 2, "summary", "  ", 1, 1, None, "is empty; this column is required", None),
    ("cases", 1, "concern_flags", " ; ", 1, 1, None, "is empty; this column is required", None),
    ("decisions", 0, "family_engaged", "", 0, 1, None, "this column is required", None),
    ("events", 0, "summary", "Seen.\x0bMum in.", 0, 1, "Seen.\x0bMum in.",
     "contains a control character", "remove the control character U+000B"),
    ("events", 1, "kind", "vi\x0bsit", 0, 2, "vi\x0bsit", "contains a control character",
     "remove the control character U+000B"),
    ("judgements", 0, "evidence_ids", "E1;E\x002", 0, 1, "E1;E\x002",
     "contains a control character", "remove the control character U+0000"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "part", "record", "shown", "expected", "hint"), RULES
)
def test_each_rule_names_part_record_and_column(
    tmp_path, tiny, table, row, column, value, part, record, shown, expected, hint
):
    tiny[table][row][column] = value
    found = errors(write_dataset(tmp_path / "d", tiny, parts=2))
    source = f"{table}/part-{part:05d}.parquet"
    hits = [p for p in found if p.column == column and expected in p.expected]
    assert len(hits) == 1, found
    (problem,) = hits
    assert (problem.source, problem.row, problem.row_word, problem.value) == (
        source,
        record,
        "record",
        shown,
    )
    if hint is not None:
        assert hint in problem.hint
    assert f"{source}, record {record}, column {column!r}" in str(problem)


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("events", "kind", " Visit "),  # vocabularies are matched case-insensitively, trimmed
        ("events", "kind", "visit\x0b"),  # a soft line break at the end is trimmed, as in a CSV
        ("events", "summary", "\u3000Seen at home.\t"),
        ("cases", "concern_flags", "Neglect ; radicalisation"),
        ("events", "recorded_on", ""),  # defaults to the event's date
        ("events", "date_precision", ""),  # defaults to day
        ("workers", "fte", "1"),
        ("judgements", "safety_scale", "0"),
        ("cases", "closed", "2024-01-10"),  # closed the day it opened
        ("events", "summary", "tab\tand new\nline are text"),
    ],
)
def test_good_values_pass(tmp_path, tiny, table, column, value):
    tiny[table][0][column] = value
    assert errors(write_dataset(tmp_path / "d", tiny, parts=2)) == []


def test_dataset_part_schema_problems_name_part_and_column(tmp_path, tiny):
    folder = write_dataset(tmp_path / "d", tiny, parts=2)
    events = [dict(r) for r in tiny["events"]]
    part = typed_part("events", events[2:])
    # part 1: no summary column (required), date written as text, an extra column kept
    part = part.drop_columns(["summary"]).set_column(
        part.schema.get_field_index("date"), "date", pa.array(["2024-02-01"])
    )
    part = part.append_column("Notes", pa.array(["extra"]))
    pq.write_table(part, folder / "events" / "part-00001.parquet")
    problems = errors(folder)
    said = {(p.source, p.row, p.column, p.expected) for p in problems}
    assert said == {
        ("events/part-00001.parquet", None, "summary", "required column is missing from this part"),
        ("events/part-00001.parquet", None, "date", "is the wrong type: expected date32"),
    }  # and no "is empty" for each of the part's rows: the part is reported once
    wrong = next(p for p in problems if p.column == "date")
    assert wrong.value == "string" and "its values were not checked" in wrong.hint


def test_repeated_column_and_header_spelling(tmp_path, tiny):
    folder = write_dataset(tmp_path / "d", tiny)
    part = typed_part("teams", tiny["teams"]).rename_columns(["Team ID", "team name"])
    pq.write_table(part, folder / "teams" / "part-00000.parquet")
    # recognised as headers are (case and spaces ignored), but the engines read exact names
    spelt = {(p.column, p.expected.split(":")[0], p.hint) for p in errors(folder)}
    assert spelt == {
        ("Team ID", "is the column 'team_id' under another name", "write the column as 'team_id'"),
        (
            "team name",
            "is the column 'team_name' under another name",
            "write the column as 'team_name'",
        ),
    }
    part = part.append_column("team_id", pa.array(["T2"]))
    pq.write_table(part, folder / "teams" / "part-00000.parquet")
    (problem,) = [p for p in errors(folder) if "repeats" in p.expected]
    assert problem.source == "teams/part-00000.parquet" and problem.column == "team_id"
    assert "repeats column 'team_id'" in problem.expected


def test_a_linked_part_or_table_folder_is_an_error_and_not_read(tmp_path, tiny):
    folder = write_dataset(tmp_path / "d", tiny)
    elsewhere = write_dataset(tmp_path / "other", tiny)
    part = folder / "events" / "part-00000.parquet"
    part.unlink()
    part.symlink_to(elsewhere / "events" / "part-00000.parquet")
    (problem,) = [p for p in errors(folder) if p.source == "events/part-00000.parquet"]
    assert "is a link" in problem.expected
    assert problem.hint == "copy the data into the dataset folder in place of the link"
    folder = write_dataset(tmp_path / "d2", tiny)
    shutil.rmtree(folder / "teams")
    (folder / "teams").symlink_to(elsewhere / "teams", target_is_directory=True)
    linked = [p for p in errors(folder) if p.source == "teams/"]
    assert linked and "is a link" in linked[0].expected


def test_a_table_folder_under_another_spelling_is_an_error(tmp_path, tiny):
    folder = write_dataset(tmp_path / "d", tiny)
    (folder / "events").rename(folder / "Events")  # an engine would find no events/ at all
    (problem,) = errors(folder)
    assert problem.source == "Events/" and problem.hint == "rename the folder to events/"


def test_missing_table_absent_reference_and_strays(tmp_path, tiny):
    del tiny["cases"]
    del tiny["decisions"]  # supervisions cite decisions, which are now absent
    folder = write_dataset(tmp_path / "d", tiny)
    (folder / "evnts").mkdir()
    (folder / "events" / "notes.txt").write_text("not a part")
    (folder / "events" / "_SUCCESS").write_text("")  # another tool's marker: ignored silently
    problems = check_dataset(folder, TODAY).problems
    said = {(p.source, p.column, p.expected, p.severity) for p in problems}
    assert ("d/", None, "has no cases table, which every bundle needs", "error") in said
    assert (
        "supervisions/",
        "decision_ids",
        "refers to decisions, but the bundle has no decisions table, so these references "
        "were not checked",
        "warning",
    ) in said
    assert ("events/", "case_id", "warning") in {(s, c, v) for s, c, _, v in said}
    strays = {p.source: p for p in problems if "ignored" in p.expected}
    assert set(strays) == {"evnts/", "events/notes.txt"}
    assert strays["evnts/"].hint == "did you mean 'events'?"


def test_broken_id_column_leaves_references_to_it_unchecked(tmp_path, tiny):
    folder = write_dataset(tmp_path / "d", tiny)
    part = typed_part("events", tiny["events"]).drop_columns(["event_id"])
    pq.write_table(part, folder / "events" / "part-00000.parquet")
    problems = check_dataset(folder, TODAY).problems
    unchecked = [p for p in problems if "were not checked" in p.expected]
    assert {(p.source, p.column) for p in unchecked} == {
        ("judgements/", "evidence_ids"),
        ("decisions/", "evidence_ids"),
        ("plan_actions/", "evidence_ids"),
    }
    assert not any("does not exist" in p.expected for p in problems)


@pytest.mark.parametrize("damage", ["text", "empty", "truncated"])
def test_a_part_that_is_not_parquet_is_a_clear_error(tmp_path, tiny, damage, capsys):
    folder = write_dataset(tmp_path / "d", tiny, parts=2)
    target = folder / "events" / "part-00001.parquet"
    if damage == "text":
        target.write_text("event_id,case_id\nE1,007\n")
    elif damage == "empty":
        target.write_bytes(b"")
    else:
        target.write_bytes(target.read_bytes()[:-30])
    with pytest.raises(
        CasekitError, match=r"events/part-00001\.parquet: cannot be read as Parquet"
    ):
        check_dataset(folder, TODAY)
    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "events/part-00001.parquet: cannot be read as Parquet" in err
    assert "Traceback" not in err


def _damaged_pages(tmp_path, tiny):
    """Give a dataset of ``tiny``, its first events part, and that part's bytes with the data
    pages damaged (a column chunk's page header and text; the footer left whole)."""
    folder = write_dataset(tmp_path / "d", tiny)
    target = folder / "events" / "part-00000.parquet"
    pq.write_table(typed_part("events", tiny["events"]), target, compression="none")
    data = bytearray(target.read_bytes())
    at = data.index(b"School raised views")
    data[at - 12 : at + 12] = b"\xff" * 24
    return folder, target, bytes(data)


def test_damaged_data_pages_are_a_clear_error(tmp_path, tiny):
    folder, target, data = _damaged_pages(tmp_path, tiny)
    target.write_bytes(data)
    done = subprocess.run(
        [sys.executable, "-m", "casekit.cli", "validate", str(folder)],
        capture_output=True,
        text=True,
    )
    assert "Traceback" not in done.stderr + done.stdout
    assert done.returncode == 2
    assert "events/part-00000.parquet" in done.stderr + done.stdout


@pytest.mark.parametrize("name", ["part-[0].parquet", "part-*.parquet", "part-0\\1.parquet"])
def test_a_part_or_folder_named_as_a_file_pattern_is_refused(tmp_path, tiny, name):
    # DuckDB and Spark (Hadoop) read each path given them as a pattern: [ ] * ? { } and, for
    # Hadoop, the backslash escaping the next character, so such a name could match files
    # the check never read (part-0\1.parquet would match part-01.parquet)
    folder = write_dataset(tmp_path / "d", tiny)
    (folder / "events" / "part-00000.parquet").rename(folder / "events" / name)
    with pytest.raises(CasekitError, match="holds a character DuckDB or Spark reads as a file"):
        check_dataset(folder, TODAY)
    outer = tmp_path / "extract [2024]"
    (folder / "events" / name).rename(folder / "events" / "part-00000.parquet")
    folder.rename(outer)
    with pytest.raises(CasekitError, match="this folder's name") as raised:
        check_dataset(outer, TODAY)
    assert "'extract 2024-25' for 'extract [2024-25]'" in str(raised.value)


def test_a_part_s_column_names_are_listed_escaped(tmp_path, tiny):
    # a part missing a column lists the columns it has: a name holding a line break or an
    # escape code (the file's writer chose it) must not forge a line or reach the terminal
    folder = write_dataset(tmp_path / "d", tiny)
    part = folder / "events" / "part-00000.parquet"
    table = pq.read_table(part)
    odd = {"kind": "Kind\n\x1bc FORGED: the dataset is valid", "recorded_by": "x\x1b[2J"}
    pq.write_table(table.rename_columns([odd.get(n, n) for n in table.schema.names]), part)
    (missing,) = [p for p in errors(folder) if p.expected.startswith("required column")]
    assert "\n" not in missing.hint and "\x1b" not in missing.hint
    assert "'Kind\\n\\x1bc FORGED: the dataset is valid'" in missing.hint
    done = subprocess.run(
        [sys.executable, "-m", "casekit.cli", "validate", str(folder)],
        capture_output=True,
        text=True,
    )
    said = done.stdout + done.stderr
    assert done.returncode == 2 and "\x1b" not in said
    assert not any(line.startswith("FORGED") for line in said.splitlines())


def test_a_duplicate_id_names_the_first_part_escaped(tmp_path, tiny):
    # the hint names the part where the id was first used: its name, escaped
    tiny["events"].append(dict(tiny["events"][-1]))  # the last event again, in the next part
    folder = write_dataset(tmp_path / "d", tiny, parts=2)
    (folder / "events" / "part-00000.parquet").rename(folder / "events" / "a\nFORGED\x1bc.parquet")
    (folder / "events" / "part-00001.parquet").rename(folder / "events" / "b.parquet")
    tiny["events"][-1]["event_id"] = tiny["events"][0]["event_id"]
    pq.write_table(typed_part("events", tiny["events"][-1:]), folder / "events" / "b.parquet")
    (dup,) = [p for p in errors(folder) if p.expected == DUPLICATE_ID]
    assert dup.source == "events/b.parquet"
    assert "of 'events/a\\nFORGED\\x1bc.parquet'" in dup.hint
    assert "\n" not in dup.hint and "\x1b" not in dup.hint


@pytest.mark.parametrize("column", ["filename", "File_Row_Number"])
def test_a_column_duckdb_s_reader_keeps_for_itself_is_a_clear_refusal(tmp_path, tiny, column):
    # another tool's extra column named as DuckDB's own: not "cannot be read as Parquet"
    folder = write_dataset(tmp_path / "d", tiny)
    part = folder / "events" / "part-00000.parquet"
    table = pq.read_table(part)
    pq.write_table(table.append_column(column, pa.array(["x"] * table.num_rows)), part)
    with pytest.raises(CasekitError) as raised:
        check_dataset(folder, TODAY)
    said = str(raised.value)
    assert said.startswith(f"events/part-00000.parquet: has a column named {column!r}")
    assert "rename or drop it" in said and "cannot be read as Parquet" not in said


def test_a_damaged_part_whose_name_holds_a_line_break_is_named_escaped(tmp_path, tiny):
    # a part's name is the dataset writer's: a line break or an escape code in it must not
    # forge a line of casekit's output ("FORGED: valid") or reach the terminal as it is
    folder, target, data = _damaged_pages(tmp_path, tiny)  # its footer is not damaged
    target.unlink()
    evil = folder / "events" / "part-0\nFORGED: the dataset is valid\x1bc.parquet"
    evil.write_bytes(data)
    with pytest.raises(CasekitError) as raised:
        check_dataset(folder, TODAY)
    said = str(raised.value)
    assert "\n" not in said and "\x1b" not in said
    assert "'events/part-0\\nFORGED: the dataset is valid\\x1bc.parquet'" in said
    assert "cannot be read as Parquet" in said
    done = subprocess.run(
        [sys.executable, "-m", "casekit.cli", "validate", str(folder)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    lines = (done.stdout + done.stderr).splitlines()
    assert len(lines) == 1 and not any(line.startswith("FORGED") for line in lines)


def _bomb(tiny: dict, rows: int, text: str, **written) -> pa.Table:
    """Events of one row repeated ``rows`` times, each with its own id, ``text`` the summary."""
    one = typed_part("events", tiny["events"][:1])
    table = one.take(pa.array([0] * rows))
    ids = pa.array([f"B{i}" for i in range(rows)])
    table = table.set_column(table.schema.get_field_index("event_id"), "event_id", ids)
    summary = table.schema.get_field_index("summary")
    return table.set_column(summary, "summary", pa.array([text] * rows))


def test_a_dictionary_bomb_is_refused_before_any_rule_reads_it(tmp_path, tiny, monkeypatch):
    # 2,000 rows citing one 40 kB text from the dictionary: a file of kilobytes that reads as
    # 80 MB; at 1,000,000 rows of 100 kB (100 GB read, still a file of about a megabyte) the
    # rules would run for hours. The text's size is counted first (lengths only: fast).
    folder = write_dataset(tmp_path / "d", tiny)
    bomb = folder / "events" / "part-00001.parquet"
    pq.write_table(_bomb(tiny, 2_000, "A" * 40_000), bomb, compression="zstd")
    assert bomb.stat().st_size < 40_000
    ran = []
    monkeypatch.setattr(
        "casekit.bundle.dataset._check_table", lambda *a, **k: ran.append(a) or ([], 0)
    )
    with pytest.raises(CasekitError) as raised:
        check_dataset(folder, TODAY)
    said = str(raised.value)
    assert said.startswith("events/part-00001.parquet: holds 80,")
    assert "more than 1,000 times its size" in said and "CASEKIT_MAX_PARQUET_EXPANSION" in said
    assert ran == []
    monkeypatch.setenv("CASEKIT_MAX_PARQUET_EXPANSION", "100000")  # real data, so allowed
    assert check_dataset(folder, TODAY).rows["events"] == 2_000 + len(tiny["events"])
    for bad in ("0", "many", "-5"):
        monkeypatch.setenv("CASEKIT_MAX_PARQUET_EXPANSION", bad)
        with pytest.raises(CasekitError, match="CASEKIT_MAX_PARQUET_EXPANSION="):
            check_dataset(folder, TODAY)


def test_a_list_of_millions_of_empty_items_is_refused_as_a_bomb(tmp_path, tiny):
    # 500 decisions each citing 10,000 empty ids: a file of kilobytes, no text at all, but
    # 5,000,000 items to unnest (20,000,000 took 45 s and 1.3 GB, then passed as valid)
    folder = write_dataset(tmp_path / "d", tiny)
    one = typed_part("decisions", tiny["decisions"][:1]).take(pa.array([0] * 500))
    ids = pa.array([f"B{i}" for i in range(500)])
    one = one.set_column(one.schema.get_field_index("decision_id"), "decision_id", ids)
    offsets = pa.array([i * 10_000 for i in range(501)], pa.int32())
    items = pa.ListArray.from_arrays(offsets, pa.array([""] * 5_000_000))
    one = one.set_column(one.schema.get_field_index("evidence_ids"), "evidence_ids", items)
    bomb = folder / "decisions" / "part-00001.parquet"
    pq.write_table(one, bomb, compression="zstd")
    assert bomb.stat().st_size < 20_000
    with pytest.raises(CasekitError, match=r"^decisions/part-00001\.parquet: holds 80,0"):
        check_dataset(folder, TODAY)


def test_loading_a_small_dataset_refuses_a_bomb_before_reading_it(tmp_path, tiny):
    # casekit.load reads every column of a small dataset into memory: a bomb in a column the
    # contract does not have (80 MB here, 20 GB as easily) is refused first, naming the part
    folder = write_dataset(tmp_path / "d", tiny)
    part = folder / "events" / "part-00000.parquet"
    table = typed_part("events", tiny["events"]).take(pa.array([0] * 2_000))
    ids = pa.array([f"B{i}" for i in range(2_000)])
    table = table.set_column(table.schema.get_field_index("event_id"), "event_id", ids)
    table = table.append_column("extra", pa.array(["A" * 40_000] * 2_000))
    pq.write_table(table, part, compression="zstd")
    with pytest.raises(CasekitError, match=r"^events/part-00000\.parquet: holds 8"):
        casekit.load(folder)
    # the check and the engines read only the contract's columns: the extra one costs nothing
    assert check_dataset(folder, TODAY).rows["events"] == 2_000


def test_a_compression_bomb_is_refused_from_its_footer(tmp_path, tiny, monkeypatch):
    # one 70 MB text, compressed to kilobytes: its size is in the footer, so nothing is read
    folder = write_dataset(tmp_path / "d", tiny)
    bomb = folder / "events" / "part-00001.parquet"
    pq.write_table(_bomb(tiny, 1, "A" * 70_000_000), bomb, compression="zstd", use_dictionary=False)
    assert bomb.stat().st_size < 70_000
    monkeypatch.setattr(
        "casekit.bundle.spill.private_duckdb", lambda *a, **k: pytest.fail("DuckDB was opened")
    )
    with pytest.raises(CasekitError, match=r"^events/part-00001\.parquet: holds 70,0") as raised:
        check_dataset(folder, TODAY)
    assert "more than 1,000 times its size" in str(raised.value)


def test_a_table_of_more_parts_than_a_dataset_has_is_refused_before_any_is_read(
    tmp_path, tiny, monkeypatch
):
    # each part's footer is held while the check runs: 20,000 empty parts took 30 s and
    # 537 MB, 100,000 took 192 s and 1.5 GB, so a folder of millions would exhaust memory.
    # casekit writes part-00000 to part-99999; the limit is lowered here to keep the test small
    from casekit.bundle import dataset

    monkeypatch.setattr(dataset, "MAX_PARTS", 3)
    folder = write_dataset(tmp_path / "d", tiny, parts=3)
    assert check_dataset(folder, TODAY).rows["events"] == len(tiny["events"])
    empty = typed_part("events", tiny["events"][:0])
    pq.write_table(empty, folder / "events" / "part-00003.parquet")
    (folder / "events" / "_ignored.parquet").write_bytes(b"")  # hidden files do not count
    read, footer = [], dataset._read_schema

    def reading(path, name, expansion):
        read.append(name)
        return footer(path, name, expansion)

    monkeypatch.setattr(dataset, "_read_schema", reading)
    with pytest.raises(CasekitError) as raised:
        check_dataset(folder, TODAY)
    assert str(raised.value).startswith("events/: holds more than 3 parts")
    assert "fewer, larger parts" in str(raised.value)
    assert not [name for name in read if name.startswith("events/")]


def test_a_well_compressed_real_part_is_not_a_bomb(tmp_path, tiny):
    # sequential ids and repeated words, compressed hard: about 100 times their size on disk
    rows = [
        dict(tiny["events"][0], event_id=f"E{i:09d}", summary="Home visit: no concerns.")
        for i in range(300_000)
    ]
    folder = write_dataset(tmp_path / "d", {**tiny, "events": rows})
    part = folder / "events" / "part-00000.parquet"
    pq.write_table(typed_part("events", rows), part, compression="zstd", compression_level=19)
    assert check_dataset(folder, TODAY).rows["events"] == 300_000


def test_looking_for_a_damaged_part_reads_only_the_columns_the_rules_read(tmp_path, tiny):
    # when DuckDB's error names no part, each part is read again to find it: only its contract
    # columns, in DuckDB (a column no rule reads may be a bomb of any size, and was fetched
    # into Python 65,536 rows at a time), so a part damaged only there is not blamed
    from casekit.bundle import dataset, spill

    folder = write_dataset(tmp_path / "d", tiny)
    target = folder / "events" / "part-00000.parquet"
    table = typed_part("events", tiny["events"])
    notes = pa.array(["ZZZZ private note " * 50 + str(i) for i in range(table.num_rows)])
    pq.write_table(table.append_column("notes", notes), target, compression="none")
    data = bytearray(target.read_bytes())
    at = data.index(b"ZZZZ private note")
    data[at - 12 : at + 12] = b"\xff" * 24  # the page of the column no rule reads
    target.write_bytes(bytes(data))
    tables, _ = dataset._scan(folder)
    with spill.private_duckdb("1GB") as duck:
        runner = dataset._Runner(duck.con, folder, tables, "1GB")
        assert runner._damaged() is None
    assert check_dataset(folder, TODAY).valid  # the rules never read it either


def test_each_rule_lists_at_most_the_limit_then_counts(tmp_path, tiny):
    base = tiny["events"][2]
    tiny["events"] = [dict(base, event_id=f"E{i}", kind="nonsense") for i in range(45)]
    tiny["judgements"][0]["evidence_ids"] = "E1"
    tiny["decisions"][0]["evidence_ids"] = ""
    tiny["plan_actions"][0]["evidence_ids"] = ""
    tiny["decisions"][0]["case_id"] = "008"
    folder = write_dataset(tmp_path / "d", tiny, parts=3)
    kinds = [p for p in errors(folder) if p.column == "kind"]
    assert len(kinds) == 21
    listed, summary = kinds[:20], kinds[20]
    assert [(p.source[-9:], p.row) for p in listed[:3]] == [
        ("0.parquet", 1),
        ("0.parquet", 2),
        ("0.parquet", 3),
    ]
    assert listed[-1].source == "events/part-00001.parquet" and listed[-1].row == 5
    assert summary.source == "events/" and summary.row is None
    assert "45 records in all break this rule; the first 20 are listed" in summary.expected
    assert len([p for p in errors(folder, limit=None) if p.column == "kind"]) == 45
    assert len([p for p in errors(folder, limit=5) if p.column == "kind"]) == 6


def test_cli_validates_a_dataset(tmp_path, tiny, capsys):
    good = write_dataset(tmp_path / "good", tiny, parts=2)
    assert main(["validate", str(good), "--today", "2026-01-01"]) == 0
    out = capsys.readouterr().out
    assert "valid case dataset (1 teams, 1 workers, 2 cases, 3 events" in out
    tiny["events"][2]["kind"] = "vist"
    bad = write_dataset(tmp_path / "bad", tiny, parts=2)
    assert main(["validate", str(bad), "--format", "json", "--today", "2026-01-01"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False and report["errors"] == 1
    assert [(p["source"], p["row"], p["column"], p["row_word"]) for p in report["problems"]] == [
        ("events/part-00001.parquet", 1, "kind", "record")
    ]
    assert main(["validate", str(bad), "--today", "2026-01-01"]) == 2
    captured = capsys.readouterr()
    assert "events/part-00001.parquet, record 1, column 'kind': 'vist'" in captured.out
    assert "the dataset is not valid" in captured.err
    assert casekit.validate(bad, today=TODAY) == validate_dataset(bad, TODAY)


def test_a_table_folder_given_for_the_dataset_is_named_so(tmp_path, tiny, capsys, monkeypatch):
    """A new user points at national/events: told to give national, not 'no cases table'."""
    folder = write_dataset(tmp_path / "national", tiny, parts=2)
    want = (
        f"{folder / 'events'}: is one table's folder (events) of a dataset. Give the dataset's "
        f"folder, {folder}, which holds every table."
    )
    assert main(["validate", str(folder / "events")]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == f"casekit validate: {want}" and captured.out == ""
    assert main(["flags", "--data", str(folder / "events")]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == f"casekit flags: {want}" and captured.out == ""
    with pytest.raises(CasekitError) as raised:
        casekit.load(folder / "cases")
    assert str(raised.value).startswith(f"{folder / 'cases'}: is one table's folder (cases)")
    monkeypatch.chdir(folder)
    assert main(["validate", "events"]) == 2
    assert "Give the dataset's folder, the current folder (.)," in capsys.readouterr().err
    # a folder named like a table that is not in a dataset is read as before
    (tmp_path / "events").mkdir()
    (tmp_path / "events" / "notes.txt").write_text("mine")
    assert main(["validate", str(tmp_path / "events")]) == 2
    assert "holds no <table>.csv or <table>.parquet files" in capsys.readouterr().err


def test_memory_limit_and_private_spill_folder(tmp_path, tiny, monkeypatch):
    folder = write_dataset(tmp_path / "d", tiny)
    spills = tmp_path / "tmp"
    spills.mkdir()
    monkeypatch.setenv("TMPDIR", str(spills))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read $TMPDIR
    seen = []
    real = tempfile.mkdtemp

    def spy(*a, **kw):
        made = real(*a, **kw)
        seen.append(stat.S_IMODE(Path(made).stat().st_mode))
        return made

    monkeypatch.setattr(tempfile, "mkdtemp", spy)
    assert check_dataset(folder, TODAY, memory_limit="256MB").valid
    assert seen == [0o700] and list(spills.iterdir()) == []  # private, and removed after
    monkeypatch.setenv("CASEKIT_DUCKDB_MEMORY", "lots")
    with pytest.raises(CasekitError, match="memory limit 'lots'.*such as 4GB"):
        check_dataset(folder, TODAY)
    assert list(spills.iterdir()) == []


# --- the same problems as today's pandas validation ---------------------------------------------


def _mutate(tables: dict[str, list[dict[str, str]]], rng: random.Random) -> None:
    """Break a synthetic bundle in every way a typed dataset can hold, at random rows."""
    cases, events = tables["cases"], tables["events"]

    def some(rows: list[dict[str, str]]) -> dict[str, str]:
        return rows[rng.randrange(len(rows))]

    for _ in range(3):
        some(events)["kind"] = rng.choice(["vist", "Visit", "meeting ", "nonsense"])
        some(events)["event_id"] = some(events)["event_id"]
        some(events)["case_id"] = rng.choice(["C99999", some(cases)["case_id"]])
        some(events)["date"] = rng.choice(["2999-03-01", "1850-01-01", "2001-01-01"])
        e = some(events)
        e["recorded_on"] = "2000-01-01"
        some(events)["summary"] = rng.choice(["", "line\x0bbreak", "fine"])
        some(cases)["closed"] = "2000-01-01"
        some(cases)["ideology"] = "islamist"
        some(cases)["concern_flags"] = rng.choice(["neglect;radicalisaton", "", "Neglect"])
        some(cases)["child_birth_month"] = rng.choice(["2012-13", "2012-01-02", "2099-01"])
        some(cases)["team_id"] = "T99"
        some(tables["judgements"])["safety_scale"] = rng.choice(["11", "-2", "5"])
        some(tables["workers"])["fte"] = rng.choice(["0", "1.5", "0.5"])
        some(tables["decisions"])["response"] = rng.choice(["section47", "escalate"])
        some(tables["decisions"])["evidence_ids"] = ";".join(
            [some(events)["event_id"], "E-none"][: rng.randrange(1, 3)]
        )
        some(tables["plan_actions"])["evidence_ids"] = some(events)["event_id"]


def _said(problem, offsets: dict[str, int]) -> tuple:
    """Reduce a problem to what both checks must agree on: table, record, column, words."""
    part = problem.source.split("/")
    table = part[0].removesuffix(".parquet")
    row = problem.row
    if row is not None and len(part) == 2:  # a dataset part: count records from the table's start
        row += offsets[problem.source]
    hint = "" if problem.expected == DUPLICATE_ID else problem.hint
    return (table, row, problem.column, problem.value, problem.expected, hint, problem.severity)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_dataset_check_finds_what_pandas_finds(tmp_path, seed):
    from casekit.synth.generator import generate

    frames = generate(seed=seed, n_cases=24, n_teams=2)
    tables = {t: f.astype(str).to_dict("records") for t, f in frames.items()}
    _mutate(tables, random.Random(seed))
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    for table, rows in tables.items():  # today's Parquet bundle: every cell as text
        pq.write_table(pa.Table.from_pylist(rows), bundle / f"{table}.parquet")
    dataset = write_dataset(tmp_path / "dataset", tables, parts=3)
    offsets = {}
    for table in tables:
        start = 0
        for path in sorted((dataset / table).iterdir()):
            offsets[f"{table}/{path.name}"] = start
            start += pq.ParquetFile(path).metadata.num_rows
    today = dt.date.today()
    pandas_said = {_said(p, offsets) for p in casekit.validate(bundle, today=today)}
    duckdb_said = {_said(p, offsets) for p in check_dataset(dataset, today, limit=None).problems}
    assert duckdb_said == pandas_said
    assert len(pandas_said) > 30  # the mutations did break many rules
    # records with a problem and kinds of problem, per table: the same both ways
    from casekit.bundle.damage import damage_by_table

    bundle_damage = {
        d.where.split(".")[0]: (d.records, d.kinds)
        for d in damage_by_table(casekit.validate(bundle, today=today))
    }
    found = check_dataset(dataset, today)  # listing 20 a rule, counting them all
    dataset_damage = {d.where.rstrip("/"): (d.records, d.kinds) for d in found.damage}
    assert dataset_damage == bundle_damage and len(dataset_damage) >= 3
    for d in found.damage:  # the parts named are the table's, and hold every such record
        assert all(name.startswith(d.where) for name, _ in d.places)
        assert sum(n for _, n in d.places) == d.records
    assert {TABLES[t].name for t, *_ in pandas_said} >= {"cases", "events", "decisions"}


def test_flags_as_text_and_a_number_as_text_are_read_too(tmp_path, tiny):
    folder = write_dataset(tmp_path / "d", tiny)
    cases = typed_part("cases", tiny["cases"])
    at = cases.schema.get_field_index("concern_flags")
    flags = pa.array([r["concern_flags"] for r in tiny["cases"]])  # ';'-separated text
    pq.write_table(
        cases.set_column(at, "concern_flags", flags), folder / "cases" / "part-00000.parquet"
    )
    workers = pa.table({k: [r[k] for r in tiny["workers"]] for k in tiny["workers"][0]})
    pq.write_table(workers, folder / "workers" / "part-00000.parquet")  # fte as text "0.8"
    assert errors(folder) == []
    tiny["workers"][0]["fte"] = "most"
    tiny["cases"][1]["concern_flags"] = "neglect;negelct"
    workers = pa.table({k: [r[k] for r in tiny["workers"]] for k in tiny["workers"][0]})
    pq.write_table(workers, folder / "workers" / "part-00000.parquet")
    flags = pa.array([r["concern_flags"] for r in tiny["cases"]])
    pq.write_table(
        cases.set_column(at, "concern_flags", flags), folder / "cases" / "part-00000.parquet"
    )
    said = {(p.source, p.row, p.column, p.value) for p in errors(folder)}
    assert said == {
        ("workers/part-00000.parquet", 1, "fte", "most"),
        ("cases/part-00000.parquet", 2, "concern_flags", "negelct"),
    }


def test_a_list_written_as_text_is_the_wrong_type(tmp_path, tiny):
    folder = write_dataset(tmp_path / "d", tiny)
    part = typed_part("decisions", tiny["decisions"])
    at = part.schema.get_field_index("evidence_ids")
    part = part.set_column(at, "evidence_ids", pa.array(["E1"]))
    pq.write_table(part, folder / "decisions" / "part-00000.parquet")
    (problem,) = errors(folder)
    assert (problem.source, problem.column, problem.value) == (
        "decisions/part-00000.parquet",
        "evidence_ids",
        "string",
    )
    assert problem.expected == "is the wrong type: expected list<string>"


def test_a_dataset_casekit_synth_writes_is_valid(tmp_path, capsys):
    out = tmp_path / "national"
    assert main(["synth", "--out", str(out), "--cases", "120", "--form", "dataset",
                 "--part-cases", "50"]) == 0  # fmt: skip
    capsys.readouterr()
    found = check_dataset(out)
    assert found.valid and found.problems == []  # its dataset.json beside the tables is fine
    assert found.rows["cases"] == 120 and found.rows["events"] > 1000
    assert main(["validate", str(out)]) == 0
    assert "valid case dataset (" in capsys.readouterr().out


def test_the_summary_counts_records_and_kinds_of_problem_not_listed_lines(tmp_path, capsys):
    """A reviewer saw "21 problems" for 20,173 bad records: the summary counts records."""
    out = tmp_path / "national"
    assert main(["synth", "--out", str(out), "--cases", "300", "--form", "dataset",
                 "--part-cases", "100"]) == 0  # fmt: skip
    part = out / "events" / "part-00001.parquet"
    events = pq.read_table(part)
    kinds = events.column("kind").to_pylist()
    bad = [k if i % 3 else "vist" for i, k in enumerate(kinds)]  # a third of one part
    events = events.set_column(events.schema.get_field_index("kind"), "kind", pa.array(bad))
    levels = events.column("significance").to_pylist()  # and some of them twice
    worse = [s if i % 6 else "huge" for i, s in enumerate(levels)]
    events = events.set_column(events.schema.get_field_index("significance"), "significance",
                               pa.array(worse))  # fmt: skip
    pq.write_table(events, part)
    want = sum(1 for i in range(len(kinds)) if i % 3 == 0)  # every sixth is also every third
    total = sum(pq.ParquetFile(p).metadata.num_rows for p in (out / "events").iterdir())
    assert want > 2 * LIMIT  # more records than the check lists
    capsys.readouterr()
    assert main(["validate", str(out)]) == 2
    captured = capsys.readouterr()
    listed = [line for line in captured.out.splitlines() if ", record " in line]
    assert len(listed) == 2 * LIMIT  # the first 20 of each rule are listed ...
    assert captured.err.splitlines() == [  # ... and the summary counts every record once
        f"{out}: the dataset is not valid: {want:,} records break 2 rules in 1 table:",
        f"  events/: {want:,} of {total:,} records break 2 rules (columns 'kind', "
        f"'significance'); in events/part-00001.parquet ({want:,})",
    ]
    assert main(["validate", str(out), "--format", "json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["records"] == want and report["errors"] == 2 * (LIMIT + 1)
    [table] = report["tables"]
    assert table["where"] == "events/" and table["kinds"] == 2 and table["total"] == total
    assert table["places"] == [["events/part-00001.parquet", want]]
