"""casekit import-csv: generic extracts onto bundle tables, with the matching report."""

from __future__ import annotations

import pandas as pd
import pytest

import casekit
from casekit.cli import main
from casekit.errors import CasekitError
from casekit.ingest.extract import ExtractRefused, import_extract, load_extract_mapping

CASES = """Case Ref,Child,Team,Opened on,Closed,Referral Source,Concerns
C1,K1,T1,04/03/2024,,Police,Radicalisation
C2,K2,T1,2024-04-05,,Schools,neglect
C3,K3,T1,31/02/2024,,Police,neglect
"""
EVENTS = """event_id,case_id,date,source_agency,kind,summary,category,level
E1,C1,05/03/2024,police,contact,Police contact,views_expressed,child
E2,C3,05/03/2024,police,contact,On a case that is refused,harm,child
E3,C1,06/04/2024,Education,Visit,Visit,protective,Family
"""
MAPPING = """headers:
  cases:
    Case Ref: case_id
    Child: child_id
    Team: team_id
    Opened on: opened
    Concerns: concern_flags
values:
  referral_source:
    Schools: education
"""


@pytest.fixture
def extract(tmp_path):
    (tmp_path / "CaseList.csv").write_text(CASES)
    (tmp_path / "events.csv").write_text(EVENTS)
    (tmp_path / "teams.csv").write_text("team_id,team_name\nT1,North\n")
    return tmp_path


def run(folder, *more: str) -> int:
    return main(["import-csv", str(folder / "CaseList.csv") + "=cases",
                 str(folder / "events.csv"), str(folder / "teams.csv"),
                 "--out", str(folder / "bundle"), *more])  # fmt: skip


def test_unmapped_headers_stop_the_import_and_the_report_says_how_to_map_them(extract, capsys):
    assert run(extract) == 2
    err = capsys.readouterr().err
    assert "required column is missing from the header row" in err
    assert "The matching report is" in err and not (extract / "bundle").exists()
    headers = pd.read_excel(extract / "bundle-matching.xlsx", sheet_name="headers")
    suggested = dict(zip(headers["header"], headers["suggestion"].fillna(""), strict=True))
    assert suggested["Case Ref"] == "case_id" and suggested["Opened on"] == "opened"


def test_a_mapping_file_imports_it_and_refused_rows_are_listed(extract, capsys):
    (extract / "map.yml").write_text(MAPPING)
    assert run(extract, "--map", str(extract / "map.yml")) == 0
    cb = casekit.load(extract / "bundle")
    assert sorted(cb.cases["case_id"]) == ["C1", "C2"]
    assert cb.cases.set_index("case_id").loc["C2", "referral_source"] == "education"
    assert sorted(cb.events["event_id"]) == ["E1", "E3"]
    e3 = cb.events.set_index("event_id").loc["E3"]
    assert (e3["source_agency"], e3["kind"], e3["level"]) == ("education", "visit", "family")
    assert str(cb.events.set_index("event_id").loc["E1", "date"].date()) == "2024-03-05"
    report = pd.read_excel(extract / "bundle-matching.xlsx", sheet_name=None)
    refused = report["rows not imported"]
    assert list(zip(refused["table"], refused["row"], strict=True)) == [
        ("cases", 4),
        ("events", 3),
    ]
    assert "that day does not exist" in refused["reason"].iloc[0]
    assert "refers to a case that does not exist" in refused["reason"].iloc[1]
    assert report["values"].empty and report["headers"].empty
    assert "from 7 rows; 2 not imported" in capsys.readouterr().out


def test_a_workbook_s_sheets_are_read_by_their_table_names(tmp_path):
    book = tmp_path / "extract.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as xl:
        pd.DataFrame(
            {
                "case_id": ["C1"],
                "child_id": ["K1"],
                "team_id": ["T1"],
                "opened": ["2024-01-02"],
                "referral_source": ["police"],
                "concern_flags": ["neglect"],
            }
        ).to_excel(xl, sheet_name="Cases", index=False)
        pd.DataFrame({"team_id": ["T1"], "team_name": ["North"]}).to_excel(
            xl, sheet_name="team", index=False
        )
        pd.DataFrame({"x": [1]}).to_excel(xl, sheet_name="Notes", index=False)
    # fmt: skip
    tables, matching = import_extract([(book, None)])
    assert list(tables["cases"]["case_id"]) == ["C1"] and len(tables["teams"]) == 1
    assert any(n.startswith("Notes: which table it holds is not known") for n in matching.notes)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tables:\n  x.csv: case\n", "not a table"),
        ("headers:\n  cases:\n    Ref: caseid\n", "did you mean 'case_id'"),
        ("values:\n  kind:\n    Home visit: vist\n", "expected one of"),
        ("values:\n  summary:\n    a: b\n", "not a vocabulary column"),
        ("columns: {}\n", "three sections, 'tables:', 'headers:' and 'values:'"),
    ],
)
def test_bad_mapping_files_are_explained(tmp_path, text, message):
    path = tmp_path / "map.yml"
    path.write_text(text)
    with pytest.raises(CasekitError, match=message):
        load_extract_mapping(path)


def test_bad_requests_are_explained(extract, tmp_path):
    with pytest.raises(CasekitError, match="no such file"):
        import_extract([(tmp_path / "none.csv", "cases")])
    with pytest.raises(CasekitError, match="did you mean 'events'"):
        import_extract([(extract / "events.csv", "event")])
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(CasekitError, match=r"a \.csv or \.xlsx file"):
        import_extract([(tmp_path / "notes.txt", "cases")])
    with pytest.raises(CasekitError, match="no extract holds cases"):
        import_extract([(extract / "events.csv", None)])
    with pytest.raises(ExtractRefused) as refused:
        import_extract([(extract / "CaseList.csv", "cases")])
    assert refused.value.matching.headers  # the report can still be written
