"""casekit.ingest.grid: the one opener, header-row finder and header matcher of the importers.

Agency merges, Annex A and extracts read files, find header rows and match headers with it
(and only it); these tests pin what it does on its own, and that the three importers share it.
"""

from __future__ import annotations

import ast
import csv

import pytest
from conftest import ROOT
from openpyxl import Workbook

from casekit.errors import CasekitError
from casekit.ingest.extract import import_extract
from casekit.ingest.grid import (
    closest,
    data_rows,
    find_header_row,
    header_index,
    header_key,
    match_headers,
    read_grid,
)
from casekit.ingest.merge import read_agency_file

GRID = [
    ["Police chronology for C1", "", ""],
    ["", "", ""],
    ["Date of incident", "Details", "Officer"],
    ["05/02/2024", "Seen in town", "PC 12"],
    ["06/02/2024", "Phoned school", ""],
]


def _csv(path, rows):
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _xlsx(path, sheets):
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append([c if c != "" else None for c in row])
    book.save(path)
    return path


def test_a_csv_file_and_a_workbook_open_as_the_same_rows(tmp_path):
    (from_csv,) = read_grid(_csv(tmp_path / "police.csv", GRID), "an agency chronology")
    from_xlsx = list(read_grid(_xlsx(tmp_path / "police.xlsx", {"Log": GRID}), "a file"))
    assert from_csv.title == "police.csv" and [s.title for s in from_xlsx] == ["Log"]
    blank = [None, ""]
    for row_csv, row_xlsx in zip(from_csv.rows, from_xlsx[0].rows, strict=True):
        filled = [c for c in row_csv if c not in blank]
        assert filled == [c for c in row_xlsx if c not in blank]


def test_read_grid_says_what_to_do_with_a_missing_file_or_another_kind(tmp_path):
    with pytest.raises(CasekitError, match=r"no such file\. Check the path\."):
        list(read_grid(tmp_path / "gone.csv", "an extract"))
    with pytest.raises(CasekitError, match=r"no such workbook\. Check the path\."):
        list(read_grid(tmp_path / "gone.xlsx", "an Annex A workbook", csv=False))
    notes = tmp_path / "notes.docx"
    notes.write_bytes(b"PK\x03\x04")
    with pytest.raises(CasekitError, match=r"notes\.docx: an extract must be a \.csv or \.xlsx"):
        list(read_grid(notes, "an extract"))
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(CasekitError, match="no such file"):
        list(read_grid(tmp_path / "folder.csv", "an extract"))
    with pytest.raises(CasekitError, match=r"police\.csv: cannot be opened as an \.xlsx"):
        list(read_grid(_csv(tmp_path / "police.csv", GRID), "Annex A", csv=False))


def test_header_keys_ignore_case_spaces_and_punctuation():
    assert header_key("Date of incident") == header_key(" DATE_OF-INCIDENT: ") == "dateofincident"
    assert header_key("Child\xa0ID") == header_key("child id") == "childid"
    index = header_index({"date": ("Date of incident",)}, {"When": "date"}, {"when": "summary"})
    assert index == {"dateofincident": "date", "when": "summary"}  # a later mapping wins


def test_the_header_row_is_the_one_that_names_the_most_targets():
    index = header_index({"date": ("Date of incident",), "summary": ("Details",)})
    assert find_header_row(GRID, index) == 2  # below a title and an empty row
    assert find_header_row(GRID, index, required=("date", "summary")) == 2
    assert find_header_row(GRID, index, required=("time",)) is None
    assert find_header_row(GRID, index, within=2) is None  # only the first rows are searched
    rows = [["Details"], ["Date of incident", "Details"], ["Date of incident", "Details"]]
    assert find_header_row(rows, index) == 1  # more targets than row 0; the first of a tie
    assert find_header_row([["a title"], []], index) is None
    assert find_header_row([], index) is None


def test_headers_are_matched_to_targets_and_the_rest_are_listed():
    index = header_index({"date": ("Date of incident",), "summary": ("Details",)})
    row = ["DATE OF INCIDENT", None, "Officer", "  ", "details"]
    assert match_headers(row, index) == ({0: "date", 4: "summary"}, [(2, "Officer")])
    assert closest("Detials", ["Details", "Date"]) == "Details"
    assert closest("Officer", ["Details", "Date"]) == ""


def test_data_rows_are_numbered_as_the_spreadsheet_shows_them():
    assert [n for n, _ in data_rows(GRID, 2)] == [4, 5]
    assert [n for n, _ in data_rows(GRID, -1)] == [1, 3, 4, 5]  # row 2 is empty
    missing = {"#n/a", "n/a"}
    rows = [["id"], ["#N/A", None], ["7", "#N/A"]]
    lax = list(data_rows(rows, 0, lambda c: c is None or str(c).strip().lower() in missing))
    assert lax == [(3, ["7", "#N/A"])]


def test_an_agency_chronology_and_an_extract_match_headers_alike(tmp_path):
    rows = [["Police log"], ["DATE OF INCIDENT:", "Details -", "Officer"], ["05/02/2024", "Seen"]]
    frame, problems = read_agency_file(_csv(tmp_path / "police.csv", rows), None)
    assert not problems
    got = frame[["date", "summary", "source_agency", "source_row"]].astype(str)
    assert got.values.tolist() == [["2024-02-05", "Seen", "police", "3"]]
    headers = ["CASE-ID", "Child ID:", "Team_ID", "opened", "Referral source", "Concern flags"]
    cases = [["Case list"], headers, ["C1", "K1", "T1", "05/02/2024", "Police", "Neglect"]]
    teams = _csv(tmp_path / "teams.csv", [["team_id", "team_name"], ["T1", "North"]])
    tables, matching = import_extract(
        [(_csv(tmp_path / "cases.csv", cases), "cases"), (teams, None)]
    )
    assert not matching.headers and matching.imported["cases"] == 1
    case = tables["cases"].iloc[0]
    assert (case["case_id"], case["child_id"], case["opened"]) == ("C1", "K1", "2024-02-05")


def test_the_importers_read_and_match_through_the_grid_module_only():
    ingest = ROOT / "casekit" / "ingest"
    for name in ("merge.py", "annex_import.py", "extract.py"):
        tree = ast.parse((ingest / name).read_text(encoding="utf-8"))
        imported = {
            (node.module, alias.name)
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
        }
        modules = {module for module, _ in imported}
        assert ("casekit.ingest.grid", "read_grid") in imported, name
        assert ("casekit.ingest.grid", "find_header_row") in imported, name
        assert ("casekit.ingest.grid", "match_headers") in imported, name
        assert "casekit.bundle.workbooks" not in modules, name  # no second opener
        source = (ingest / name).read_text(encoding="utf-8")
        assert "read_csv_rows" not in source and "get_close_matches(str(h)" not in source, name
    extract = ast.parse((ingest / "extract.py").read_text(encoding="utf-8"))
    sideways = {
        node.module
        for node in ast.walk(extract)
        if isinstance(node, ast.ImportFrom) and node.module
    } & {"casekit.ingest.annex_a", "casekit.ingest.annex_import", "casekit.ingest.merge"}
    assert not sideways
