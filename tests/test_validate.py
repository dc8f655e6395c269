"""Validation: every integrity rule with a good and a bad case, row numbers, encodings, forms."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import write_csv_bundle

import casekit
from casekit.cli import main

TODAY = dt.date(2026, 1, 1)


def errors_after(tmp_path: Path, tiny, table: str, row: int, column: str, value: str):
    """Set one cell of the tiny bundle, write it, and return the validation errors."""
    tiny[table][row][column] = value
    path = write_csv_bundle(tmp_path / "b", tiny)
    return [p for p in casekit.validate(path, today=TODAY) if p.severity == "error"]


def test_tiny_bundle_is_valid_and_typed(tiny_path):
    cb = casekit.load(tiny_path, today=TODAY)
    assert list(cb.cases["case_id"]) == ["007", "008"]  # 007 stays 007
    assert str(cb.events["date"].dtype).startswith("datetime64")
    assert cb.events["restricted"].tolist() == [False, True, False]  # no / Y / default
    assert cb.events["date_precision"].tolist() == ["day", "month", "day"]  # default day
    # recorded_on defaults to the event's date
    assert cb.events.loc[0, "recorded_on"] == pd.Timestamp("2024-01-10")
    assert cb.judgements.loc[0, "evidence_ids"] == ["E1", "E2"]
    assert cb.cases.loc[0, "concern_flags"] == ["radicalisation", "mental_health"]
    assert cb.judgements["safety_scale"].dtype == "Int64"
    assert cb.decisions["response"].cat.ordered
    assert cb.workers.loc[0, "fte"] == pytest.approx(0.8)
    assert pd.isna(cb.cases.loc[1, "worker_id"])


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "expected"),
    [
        ("events", 2, "event_id", "E1", "duplicate id"),
        ("supervisions", 0, "supervision_id", "V1 ", "nothing"),
        ("events", 2, "case_id", "999", "refers to a case that does not exist"),
        ("cases", 0, "team_id", "T9", "refers to a team that does not exist"),
        ("cases", 0, "worker_id", "W9", "refers to a worker that does not exist"),
        ("decisions", 0, "evidence_ids", "E1;E77", "refers to an event that does not exist"),
        ("supervisions", 0, "decision_ids", "D9", "refers to a decision that does not exist"),
        ("decisions", 0, "evidence_ids", "E3", "cites an event from another case"),
        ("events", 0, "category", "radical", "expected one of"),
        ("decisions", 0, "response", "section47", "expected one of"),
        ("cases", 0, "concern_flags", "radicalisation;neglct", "expected one of"),
        ("events", 0, "date", "10/01/2024", "expected a date as YYYY-MM-DD"),
        ("events", 0, "date", "2024-02-30", "expected a date as YYYY-MM-DD"),
        ("cases", 0, "closed", "2024-01-01", "is before the case was opened"),
        ("events", 0, "recorded_on", "2024-01-09", "is before the event's date"),
        ("events", 0, "date", "2026-06-01", "is in the future"),
        ("cases", 0, "child_birth_month", "2027-01", "is in the future"),
        ("cases", 1, "ideology", "extreme_right_wing", "only for radicalisation cases"),
        ("judgements", 0, "safety_scale", "11", "whole number from 0 to 10"),
        ("judgements", 0, "safety_scale", "-1", "whole number from 0 to 10"),
        ("judgements", 0, "safety_scale", "6.5", "whole number from 0 to 10"),
        ("judgements", 0, "safety_scale", "six", "whole number from 0 to 10"),
        ("workers", 0, "fte", "0", "a number above 0 up to 1"),
        ("workers", 0, "fte", "1.5", "a number above 0 up to 1"),
        ("decisions", 0, "family_engaged", "perhaps", "expected yes or no"),
        ("events", 0, "seen_alone", "perhaps", "expected yes or no"),
        ("events", 0, "kind", "assessment_complete", "expected one of"),
        ("decisions", 0, "family_engaged", "", "is empty; this column is required"),
        ("cases", 0, "child_birth_month", "2010-03-14", "expected a month as YYYY-MM"),
        ("events", 0, "summary", "", "is empty; this column is required"),
    ],
)
def test_each_rule_catches_its_bad_case(tmp_path, tiny, table, row, column, value, expected):
    errors = errors_after(tmp_path, tiny, table, row, column, value)
    if expected == "nothing":  # surrounding spaces are stripped: still valid
        assert errors == []
        return
    assert len(errors) == 1, errors
    (p,) = errors
    assert expected in p.expected
    assert p.source == f"{table}.csv"
    assert p.column == column
    assert p.row == row + 2  # header is row 1
    assert p.value in (value or None, value.split(";")[-1])


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("events", "category", "Belief_Practice"),  # vocabularies are case-insensitive
        ("decisions", "family_engaged", "N"),
        ("decisions", "family_engaged", "0"),
        ("events", "kind", "assessment_completed"),
        ("events", "seen_alone", "Y"),
        ("events", "seen_alone", ""),  # optional, no default: missing stays missing
        ("info_sharing", "override_reason", "Necessary and proportionate (public task)"),
        ("cases", "closed", "2024-01-10"),  # closed on the day it opened
        ("events", "recorded_on", "2024-01-10"),
        ("judgements", "safety_scale", "10"),
        ("judgements", "safety_scale", "0"),
        ("workers", "fte", "1"),
        ("cases", "ideology", ""),
        ("decisions", "evidence_ids", " E1 ; E2 "),
    ],
)
def test_good_values_pass(tmp_path, tiny, table, column, value):
    assert errors_after(tmp_path, tiny, table, 0, column, value) == []


def test_duplicate_case_id_names_the_first_row(tmp_path, tiny):
    tiny["cases"][1]["case_id"] = "007"
    for row in tiny["events"]:
        row["case_id"] = "007"
    errors = errors_after(tmp_path, tiny, "cases", 1, "case_id", "007")
    (p,) = errors
    assert (p.row, p.column, p.expected) == (3, "case_id", "is a duplicate id")
    assert p.hint == "case_id must be unique; it is first used at row 2"


def test_did_you_mean_hints(tmp_path, tiny):
    tiny["events"][0]["kind"] = "Family Group Conference"
    tiny["events"][1]["category"] = "belief"
    tiny["decisions"][0]["response"] = "child in need"
    path = write_csv_bundle(tmp_path / "b", tiny)
    hints = {p.column: p.hint for p in casekit.validate(path, today=TODAY)}
    assert hints == {
        "kind": "did you mean 'family_group_conference'?",
        "category": "did you mean 'belief_practice'?",
        "response": "did you mean 'child_in_need'?",
    }


def test_many_problems_are_all_reported_with_right_rows(tmp_path, tiny):
    tiny["events"][2]["level"] = "school"
    tiny["events"][0]["date"] = "yesterday"
    tiny["cases"][1]["referral_source"] = "teacher"
    tiny["judgements"][0]["safety_scale"] = "12"
    path = write_csv_bundle(tmp_path / "b", tiny)
    found = {(p.source, p.row, p.column) for p in casekit.validate(path, today=TODAY)}
    assert found == {
        ("events.csv", 4, "level"),
        ("events.csv", 2, "date"),
        ("cases.csv", 3, "referral_source"),
        ("judgements.csv", 2, "safety_scale"),
    }


def test_blank_lines_do_not_shift_row_numbers(tmp_path, tiny):
    path = write_csv_bundle(tmp_path / "b", tiny)
    text = (path / "events.csv").read_text().splitlines()
    text.insert(2, "")  # a blank spreadsheet row 3
    text[3] = text[3].replace("information_shared", "gossip")
    (path / "events.csv").write_text("\n".join(text) + "\n")
    (p,) = casekit.validate(path, today=TODAY)
    assert (p.row, p.column, p.value) == (4, "kind", "gossip")


def test_headers_match_case_and_spacing_and_extras_are_kept(tmp_path, tiny):
    for row in tiny["cases"]:
        row["Case ID"] = row.pop("case_id")
        row["Local note"] = "kept"
    path = write_csv_bundle(tmp_path / "b", tiny)
    cb = casekit.load(path, today=TODAY)
    assert list(cb.cases["case_id"]) == ["007", "008"]
    assert list(cb.cases["Local note"]) == ["kept", "kept"]


def test_repeated_headers_are_reported(tmp_path, tiny):
    path = write_csv_bundle(tmp_path / "b", tiny)
    lines = (path / "events.csv").read_text().splitlines()
    lines = [line + ",x" for line in lines]
    lines[0] = lines[0][:-1] + "Date"  # a second date column, spelt differently
    (path / "events.csv").write_text("\n".join(lines) + "\n")
    lines = (path / "teams.csv").read_text().splitlines()
    (path / "teams.csv").write_text("\n".join([lines[0] + ",team_name", lines[1] + ",Other"]))
    found = {(p.source, p.row, p.column, p.expected) for p in casekit.validate(path, today=TODAY)}
    assert found == {
        ("events.csv", 1, "Date", "repeats column 'date' (already given as 'date')"),
        ("teams.csv", 1, "team_name", "repeats column 'team_name' (already given as 'team_name')"),
    }


def test_misnamed_table_file_gets_a_hint(tmp_path, tiny):
    path = write_csv_bundle(tmp_path / "b", tiny)
    (path / "judgements.csv").rename(path / "judgments.csv")
    (p,) = casekit.validate(path, today=TODAY)
    assert (p.severity, p.source, p.hint) == (
        "warning",
        "judgments.csv",
        "did you mean 'judgements'?",
    )


def test_missing_required_column_and_table(tmp_path, tiny):
    for row in tiny["events"]:
        del row["category"]
    path = write_csv_bundle(tmp_path / "b", tiny)
    (p,) = casekit.validate(path, today=TODAY)
    assert (p.source, p.row, p.column) == ("events.csv", 1, "category")
    assert "missing from the header row" in p.expected and "headers found" in p.hint
    (path / "cases.csv").unlink()
    expected = [p.expected for p in casekit.validate(path, today=TODAY)]
    assert any("has no cases table" in e for e in expected)


def test_absent_optional_table_warns_but_is_valid(tmp_path, tiny):
    del tiny["workers"]
    path = write_csv_bundle(tmp_path / "b", tiny)
    problems = casekit.validate(path, today=TODAY)
    assert [p.severity for p in problems] == ["warning"]
    assert "no workers table" in problems[0].expected
    assert len(casekit.load(path, today=TODAY).workers) == 0


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252", "utf-16"])
def test_encodings_are_read_correctly(tmp_path, tiny, encoding):
    tiny["events"][0]["summary"] = "Café visit – the young person said ‘hello’"
    path = write_csv_bundle(tmp_path / "b", tiny, encoding=encoding)
    cb = casekit.load(path, today=TODAY)
    assert cb.events.loc[0, "summary"] == "Café visit – the young person said ‘hello’"
    assert cb.cases.columns[0] == "case_id"  # no BOM left on the first header


def test_utf16_without_bom_gets_resave_advice(tmp_path, tiny):
    path = write_csv_bundle(tmp_path / "b", tiny)
    data = (path / "events.csv").read_text().encode("utf-16-le")
    (path / "events.csv").write_bytes(data)
    with pytest.raises(casekit.CasekitError, match="UTF-16 without a byte-order mark.*re-save"):
        casekit.load(path)


def test_xlsx_bundle_reports_sheet_and_row(tmp_path, tiny):
    tiny["events"][1]["significance"] = "huge"
    xlsx = tmp_path / "bundle.xlsx"
    with pd.ExcelWriter(xlsx, engine="openpyxl") as xl:
        for name, rows in tiny.items():
            frame = pd.DataFrame(rows)
            if name == "cases":  # real spreadsheets hold dates as dates
                frame["opened"] = pd.to_datetime(frame["opened"])
            frame.to_excel(xl, sheet_name=name, index=False)
    (p,) = casekit.validate(xlsx, today=TODAY)
    assert (p.source, p.sheet, p.row, p.column, p.value) == (
        "bundle.xlsx",
        "events",
        3,
        "significance",
        "huge",
    )
    assert "[sheet events]" in str(p)
    tiny["events"][1]["significance"] = "high"
    with pd.ExcelWriter(xlsx, engine="openpyxl") as xl:
        for name, rows in tiny.items():
            pd.DataFrame(rows).to_excel(xl, sheet_name=name, index=False)
    cb = casekit.load(xlsx, today=TODAY)
    assert list(cb.cases["case_id"]) == ["007", "008"]


def test_parquet_bundle(tmp_path, tiny):
    folder = tmp_path / "pq"
    folder.mkdir()
    for name, rows in tiny.items():
        pd.DataFrame(rows).to_parquet(folder / f"{name}.parquet")
    cb = casekit.load(folder, today=TODAY)
    assert len(cb.events) == 3 and cb.cases.loc[0, "case_id"] == "007"


def test_every_form_loads_the_same_synthetic_data(tmp_path):
    from conftest import SYNTHETIC

    from casekit.bundle.io import write_bundle

    reference = casekit.load(SYNTHETIC)
    strings = reference.canonical()
    for form, target in (("xlsx", tmp_path / "s.xlsx"), ("parquet", tmp_path / "pq")):
        write_bundle(strings, target, form)
        other = casekit.load(target)
        for table, frame in reference.tables.items():
            pd.testing.assert_frame_equal(other.tables[table], frame, check_dtype=True)


def test_cli_validate_exit_codes_and_json(tmp_path, tiny, capsys):
    good = write_csv_bundle(tmp_path / "good", tiny)
    assert main(["validate", str(good), "--today", "2026-01-01"]) == 0
    assert "valid case bundle" in capsys.readouterr().out
    tiny["events"][0]["kind"] = "vist"
    tiny["cases"][0]["opened"] = "2024/01/10"
    bad = write_csv_bundle(tmp_path / "bad", tiny)
    assert main(["validate", str(bad), "--format", "json", "--today", "2026-01-01"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False and report["errors"] == 2
    assert {(p["source"], p["row"], p["column"]) for p in report["problems"]} == {
        ("events.csv", 2, "kind"),
        ("cases.csv", 2, "opened"),
    }


def test_cli_text_report_caps_then_counts(tmp_path, tiny, capsys):
    base = tiny["events"][2]
    tiny["events"] = [dict(base, event_id=f"E{i}", kind="nonsense") for i in range(40)]
    bad = write_csv_bundle(tmp_path / "bad", tiny)
    assert main(["validate", str(bad), "--today", "2026-01-01"]) == 2
    out = capsys.readouterr().out
    assert out.count("'nonsense'") == 25
    assert "and 15 more like this" in out and "rows 27-41" in out
    assert main(["validate", str(bad), "--all", "--today", "2026-01-01"]) == 2
    assert capsys.readouterr().out.count("'nonsense'") == 40


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "/no/such/bundle"], "no such file or folder"),
        (["validate", "{empty}"], "holds no <table>.csv"),
        (["validate", "{notabundle}"], "not a bundle"),
        (["validate", "{badcsv}"], "not a well-formed CSV"),
        (["validate", "{badxlsx}"], "cannot be opened as an .xlsx"),
    ],
)
def test_user_mistakes_get_a_message_not_a_traceback(tmp_path, args, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notabundle.txt").write_text("hello")
    (tmp_path / "badcsv").mkdir()
    (tmp_path / "badcsv" / "cases.csv").write_text('case_id,opened\n"unclosed,2024-01-01\n')
    (tmp_path / "badxlsx.xlsx").write_text("not really a workbook")
    names = {
        "empty": "empty",
        "notabundle": "notabundle.txt",
        "badcsv": "badcsv",
        "badxlsx": "badxlsx.xlsx",
    }
    args = [a.format(**{k: tmp_path / v for k, v in names.items()}) for a in args]
    done = subprocess.run(
        [sys.executable, "-m", "casekit.cli", *args], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_an_invalid_bundle_says_how_many_records_and_rules_per_file(tmp_path, capsys):
    """Not "N problem(s)": how many records break a rule, how many rules, in which file."""
    out = tmp_path / "b"
    assert main(["synth", "--out", str(out), "--cases", "60"]) == 0
    events = pd.read_csv(out / "events.csv", dtype=str, keep_default_na=False)
    events.loc[events.index % 3 == 0, "kind"] = "vist"
    events.loc[events.index % 4 == 0, "significance"] = "huge"  # some records break both
    events.to_csv(out / "events.csv", index=False)
    cases = pd.read_csv(out / "cases.csv", dtype=str, keep_default_na=False)
    cases.loc[0, "opened"] = "someday"
    cases.to_csv(out / "cases.csv", index=False)
    want = int(((events.index % 3 == 0) | (events.index % 4 == 0)).sum())
    listed = int((events.index % 3 == 0).sum() + (events.index % 4 == 0).sum())
    capsys.readouterr()
    assert main(["validate", str(out)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{out}: the bundle is not valid: {want + 1:,} records break 3 rules in 2 tables:",
        "  cases.csv: 1 record breaks 1 rule (column 'opened')",
        f"  events.csv: {want:,} records break 2 rules (columns 'kind', 'significance')",
    ]
    assert main(["validate", str(out), "--format", "json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["errors"] == listed + 1 and report["records"] == want + 1
    assert [(t["where"], t["records"], t["kinds"]) for t in report["tables"]] == [
        ("cases.csv", 1, 1),
        ("events.csv", want, 2),
    ]
    (out / "events.csv").write_text("event_id,case_id\nE1,C1\n")  # whole columns missing
    assert main(["validate", str(out)]) == 2
    err = capsys.readouterr().err
    # six required columns missing (the header, row 1: no record) and C1 is no case
    assert "events.csv: 1 record breaks 7 rules" in err
    assert "; 6 problem(s) with a file itself" in err
