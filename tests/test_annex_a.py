"""Annex A import: real-world variation, the matching report, mapping files, round trips."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

import casekit
from casekit.cli import main
from casekit.errors import CasekitError
from casekit.ingest.annex_import import import_annex_a, load_annex_mapping, write_report
from casekit.synth.annex import AnnexStyle, annex_a_workbook


def workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """Write sheets of rows (the first row of each is whatever the test says it is)."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def accounted(matching) -> bool:
    """Every row read was imported or listed with its reason."""
    return sum(matching.read.values()) == sum(matching.imported.values()) + len(matching.rows)


STYLES = [
    AnnexStyle(),
    AnnexStyle(sheets="underscore", title_row=True),
    AnnexStyle(sheets="name", header_case="upper", coded=False),
    AnnexStyle(sheets="number", title_row=True, header_case="lower", coded=True),
]


@pytest.fixture(scope="module")
def plain_import(tmp_path_factory):
    path = tmp_path_factory.mktemp("annex") / "default.xlsx"
    annex_a_workbook(path, cases=40, seed=3)
    return import_annex_a(path)


@pytest.mark.parametrize("style", STYLES, ids=lambda s: f"{s.sheets}-{s.header_case}-{s.coded}")
def test_every_variation_imports_the_same(tmp_path, style, plain_import):
    path = tmp_path / "annex.xlsx"
    rows = annex_a_workbook(path, cases=40, seed=3, style=style)
    tables, matching = import_annex_a(path)
    assert matching.headers == [] and not matching.values  # everything matched
    assert accounted(matching)
    assert dict(matching.read) == {n: k for n, k in rows.items() if k}
    expected, _ = plain_import
    for name in ("cases", "events", "decisions"):
        pd.testing.assert_frame_equal(tables[name], expected[name])


def test_a_synthetic_workbook_round_trips_with_matching_counts(tmp_path):
    path = tmp_path / "annex.xlsx"
    annex_a_workbook(path, cases=60, seed=5)
    lists = pd.read_excel(path, sheet_name=None)  # counted independently of the import
    out = tmp_path / "bundle"
    assert main(["import-annex-a", str(path), "--out", str(out)]) == 0
    cb = casekit.load(out)
    contacts, referrals = lists["List 1"], lists["List 3"]
    assert len(cb.cases) == len(referrals)
    kinds = cb.events["kind"].astype(str).value_counts()
    matched = contacts["Child Unique ID"].isin(referrals["Child Unique ID"])
    assert kinds["contact"] == matched.sum()
    assessments = lists["List 4"]
    assert (
        kinds["assessment"]
        == len(assessments)
        + assessments["Continuous Assessment Date of Authorisation"].notna().sum()
    )
    responses = cb.decisions["response"].astype(str).value_counts()
    assert responses.get("section_47", 0) == len(lists["List 5"])
    cpp = lists["List 7"]
    assert responses.get("child_protection_plan", 0) == len(cpp)
    assert (
        responses.get("child_in_need", 0)
        == len(lists["List 6"]) + cpp["Child Protection Plan End Date"].notna().sum()
    )
    report = pd.read_excel(tmp_path / "bundle-matching.xlsx", sheet_name="rows not imported")
    assert len(report) == (~matched).sum()  # the contacts that led to no referral
    assert set(report["reason"]) == {"a contact that led to no referral in this workbook"}
    assert cb.cases["child_birth_month"].str.fullmatch(r"\d{4}-\d{2}").all()
    text = "\n".join(f.read_text() for f in out.iterdir())
    assert "Worker" not in text  # worker names never reach the bundle


def messy(path: Path) -> Path:
    """A small workbook with what real ones hold: odd headers, codes, #N/A, NBSP, bad rows."""
    return workbook(
        path,
        {
            "Summary": [["Annex A return"]],
            "List_3": [
                ["Referrals, Q3"],
                ["CHILD UNIQUE ID", "Gender", "Ethnicity", "Date of Birth", "Date of Referral",
                 "Ref Src", "Referral NFA?", "Allocated Team", "Allocated Worker"],
                [101, "a) Male", "a) WBRI", dt.datetime(2012, 5, 17), dt.datetime(2024, 3, 4),
                 "q) 6: Police", "b) No", "Locality 1", "Sam\xa0Jones"],
                [102, "Female", "k) APKN", "#N/A", "05/04/2024", "q) 99: Martians", "No",
                 "Locality 1", "Sam Jones"],
                [103, "b) Female", "s) NOBT", None, "31/02/2024", "h) 2A: Schools", "No",
                 "Locality 2", None],
                [None, "Male", "WBRI", None, dt.datetime(2024, 5, 1), "Police", "No", None,
                 None],
                [104, "Male", "WBRI", None, dt.datetime(2099, 1, 1), "Police", "No", None, None],
            ],
            "List 6": [
                ["Child Unique ID", "CIN Start Date", "Primary Need Code", "CIN Closure Date"],
                [101, dt.datetime(2024, 3, 20), "PSRMEM - Support with memory", None],
                [105, 45400, "N1 - Abuse or Neglect", "#N/A"],  # Excel serial: 18 April 2024
            ],
            "Contacts": [
                ["Child Unique ID", "Date of Contact", "Contact Source"],
                [101, dt.datetime(2024, 3, 1), "q) 6: Police"],
                [999, dt.datetime(2024, 3, 1), "q) 6: Police"],
            ],
        },
    )  # fmt: skip


def test_what_cannot_be_matched_or_placed_lands_in_the_report(tmp_path):
    tables, matching = import_annex_a(messy(tmp_path / "messy.xlsx"), today=dt.date(2025, 1, 1))
    assert accounted(matching)
    assert [(h["header"], h["suggestion"]) for h in matching.headers] == [
        ("Ref Src", "Referral Source")
    ]
    assert set(matching.values) == {("primary_need", "PSRMEM - Support with memory")}
    reasons = {(r["list"], r["row"]): r["reason"] for r in matching.rows}
    assert reasons == {
        (3, 5): "Date of Referral: '31/02/2024' is not a date",
        (3, 6): "no Child Unique ID",
        (3, 7): "Date of Referral: 2099-01-01 is in the future",
        (1, 3): "a contact that led to no referral in this workbook",
    }
    cases = tables["cases"].set_index("child_id")
    assert sorted(cases.index) == ["101", "102", "105"]  # 105 from list 6, no referral
    assert cases.loc["101", "child_birth_month"] == "2012-05"
    assert cases.loc["102", "child_birth_month"] == ""  # #N/A is empty, not an error
    assert cases.loc["105", "opened"] == "2024-04-18" and cases.loc["105", "concern_flags"] == (
        "neglect"
    )
    assert cases.loc["101", "worker_id"] == cases.loc["102", "worker_id"] != ""  # one Sam Jones
    assert any("child 105: no referral" in n for n in matching.notes)
    assert any("'Summary': not one of the lists" in n for n in matching.notes)
    report = write_report(matching, tmp_path / "report.xlsx")
    sheets = pd.read_excel(report, sheet_name=None)
    assert sheets["headers"]["header"].tolist() == ["Ref Src"]
    assert sheets["values"]["value"].tolist() == ["PSRMEM - Support with memory"]
    assert len(sheets["rows not imported"]) == 4


def test_a_mapping_file_fixes_what_the_report_listed(tmp_path):
    mapping = tmp_path / "map.yml"
    mapping.write_text(
        "headers:\n  Ref Src: referral_source\nvalues:\n  referral_source:\n"
        '    "q) 99: Martians": other\n  primary_need:\n'
        '    "PSRMEM - Support with memory": mental_health\n'
        "defaults:\n  family_engaged: true\n  lead_agency: multi_agency\n"
    )
    tables, matching = import_annex_a(
        messy(tmp_path / "messy.xlsx"), load_annex_mapping(mapping), today=dt.date(2025, 1, 1)
    )
    assert matching.headers == [] and not matching.values
    cases = tables["cases"].set_index("child_id")
    assert cases.loc["101", "referral_source"] == "police"
    assert cases.loc["102", "referral_source"] == "other"
    assert cases.loc["101", "concern_flags"] == "mental_health"
    assert set(tables["decisions"]["family_engaged"]) == {"true"}
    assert set(tables["decisions"]["lead_agency"]) == {"multi_agency"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("headers: [", "is not valid YAML"),
        ("columns:\n  a: b\n", "'sheets:', 'headers:', 'values:' and 'defaults:'"),
        ("headers:\n  Ref Src: referal_source\n", "which is not a field"),
        ("values:\n  referral_source:\n    x: polce\n", "expected one of"),
        ("values:\n  team:\n    x: y\n", "has no value list"),
        ("sheets:\n  Mine: 2\n", "casekit reads lists"),
        ("defaults:\n  family_engaged: maybe\n", "true or false"),
        ("defaults:\n  lead_agency: council\n", "lead_agency is one of"),
    ],
)
def test_bad_mapping_files_are_explained(tmp_path, text, message):
    path = tmp_path / "map.yml"
    path.write_text(text)
    with pytest.raises(CasekitError, match=message):
        load_annex_mapping(path)


def test_bad_workbooks_are_explained_and_nothing_is_written(tmp_path, capsys):
    out = tmp_path / "bundle"
    not_xlsx = tmp_path / "list.xlsx"
    not_xlsx.write_text("Child Unique ID,Date of Referral\n")
    assert main(["import-annex-a", str(not_xlsx), "--out", str(out)]) == 2
    assert "cannot be opened as an .xlsx workbook" in capsys.readouterr().err
    nothing = workbook(tmp_path / "other.xlsx", {"Sheet1": [["a", "b"], [1, 2]]})
    assert main(["import-annex-a", str(nothing), "--out", str(out)]) == 2
    assert "no sheet holds list 1, 3, 4, 5, 6 or 7" in capsys.readouterr().err
    assert main(["import-annex-a", str(tmp_path / "none.xlsx"), "--out", str(out)]) == 2
    assert "no such workbook" in capsys.readouterr().err
    headless = workbook(tmp_path / "headless.xlsx", {"List 3": [["ID", "When"], [1, 2]]})
    _, matching = import_annex_a(headless)
    assert "no header row with 'Child Unique ID' and 'Date of Referral'" in matching.notes[0]
    assert [r["reason"] for r in matching.rows] == ["the sheet's header row was not recognised"] * 2
    assert not out.exists()


def test_cli_writes_a_synthetic_workbook(tmp_path, capsys):
    path = tmp_path / "annex.xlsx"
    assert main(["synth", "--annex-a", str(path), "--cases", "12", "--seed", "2"]) == 0
    assert "list 3: 12 rows" in capsys.readouterr().out
    assert main(["synth", "--annex-a", str(path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["synth", "--annex-a", str(tmp_path / "annex.csv")]) == 2
    assert "is an .xlsx file" in capsys.readouterr().err


def test_other_spellings_of_the_headers_are_recognised(tmp_path):
    path = workbook(
        tmp_path / "spellings.xlsx",
        {
            "Referrals": [
                ["Child ID", "Sex", "Ethnic Origin", "DOB", "Referral Date", "Source of Referral",
                 "NFA", "Team Name", "Social Worker"],
                [7, "F", "Mixed", "2011-06-30", "2024-02-01", "School", "N", "North", "A B"],
            ],
            "CP": [
                ["Child ID", "CPP Start Date", "CPP End Date"],
                [7, "14/03/2024", None],
            ],
        },
    )  # fmt: skip
    tables, matching = import_annex_a(path)
    assert matching.headers == [] and not matching.values and accounted(matching)
    case = tables["cases"].iloc[0]
    assert (case["child_gender"], case["child_ethnicity"], case["referral_source"]) == (
        "female",
        "mixed",
        "education",
    )
    assert tables["decisions"][["date", "response"]].values.tolist() == [
        ["2024-03-14", "child_protection_plan"]
    ]


def test_a_report_that_cannot_be_written_is_found_before_anything_is(tmp_path, capsys):
    path = tmp_path / "annex.xlsx"
    annex_a_workbook(path, cases=5)
    out = tmp_path / "bundle"
    code = main(["import-annex-a", str(path), "--out", str(out),
                 "--report", str(tmp_path / "no" / "report.xlsx")])  # fmt: skip
    assert code == 2 and "the folder" in capsys.readouterr().err
    assert not out.exists()
