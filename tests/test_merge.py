"""Merging agency chronologies: headers, dates, provenance, duplicates, mapping, errors."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import SYNTHETIC

import casekit
from casekit.bundle.dates import parse_agency_date
from casekit.cli import main
from casekit.ingest.merge import Mapping, load_mapping, merge_files
from casekit.synth.agency_samples import write_agency_samples


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("05/02/2024", (dt.date(2024, 2, 5), "day", False)),
        ("5/2/24", (dt.date(2024, 2, 5), "day", False)),
        ("05.02.2024", (dt.date(2024, 2, 5), "day", False)),
        ("2024-02-05", (dt.date(2024, 2, 5), "day", False)),
        ("5 Feb 2024", (dt.date(2024, 2, 5), "day", False)),
        ("5th February 2024", (dt.date(2024, 2, 5), "day", False)),
        ("05/02/2024 14:30", (dt.date(2024, 2, 5), "day", False)),
        ("03/2024", (dt.date(2024, 3, 1), "month", False)),
        ("March 2024", (dt.date(2024, 3, 1), "month", False)),
        ("2024-03", (dt.date(2024, 3, 1), "month", False)),
        ("2023", (dt.date(2023, 1, 1), "year", False)),
        ("?2023", (dt.date(2023, 1, 1), "year", True)),
        ("? 12/11/2022", (dt.date(2022, 11, 12), "day", True)),
        ("31/02/2024", None),
        ("last week", None),
        ("13/2024", None),
    ],
)
def test_agency_dates(text, expected):
    assert parse_agency_date(text) == expected


def write(path, header, rows, encoding="utf-8"):
    lines = [",".join(header)] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


@pytest.fixture
def files(tmp_path):
    police = write(
        tmp_path / "police.csv",
        ["Date of event", "Event", "Restricted", "Impact on child"],
        [
            ["05/02/2024", "Arrested after a fight at the bus station", "N", "Negative"],
            ["03/2024", "Intelligence about an online contact", "Y", ""],
            ["?2023", "Earlier contact with the family", "N", "Unclear"],
        ],
    )
    school = tmp_path / "school.xlsx"
    frame = pd.DataFrame(
        {
            "Date": [dt.datetime(2024, 2, 6), dt.datetime(2024, 1, 10)],
            "Details": [
                "The school heard of a fight at the bus station; arrested",
                "Good term report",
            ],
            "Significance": ["Red", "Green"],
            "Action taken": ["DSL informed", ""],
        }
    )
    with pd.ExcelWriter(school, engine="openpyxl") as xl:
        frame.to_excel(xl, sheet_name="Sheet1", index=False, startrow=2)
        xl.sheets["Sheet1"]["A1"] = "Chronology for pupil K1"
    health = write(
        tmp_path / "gp notes.csv",
        ["Event date", "Description", "Agency"],
        [
            ["07/02/2024", "Seen at the café clinic; no concerns", "GP"],
        ],
        encoding="cp1252",
    )
    return [(police, None), (school, "education"), (health, None)]


def test_merge_reads_every_file_with_provenance(files):
    merged = merge_files(files, "C1")
    assert len(merged) == 6
    assert list(merged["date"]) == sorted(merged["date"])  # sorted by date
    row = merged[merged["summary"].str.startswith("Arrested")].iloc[0]
    assert (row["source_file"], row["source_row"], row["source_agency"]) == (
        "police.csv",
        2,
        "police",
    )
    assert (row["date"], row["date_precision"], row["impact"]) == ("2024-02-05", "day", "negative")
    school = merged[merged["source_file"] == "school.xlsx"]
    assert set(school["source_row"]) == {4, 5}  # the header is on row 3, below a title
    assert set(school["significance"]) == {"high", "low"}
    assert school["source_agency"].eq("education").all()
    assert merged.loc[merged["source_file"] == "gp notes.csv", "source_agency"].item() == "health"
    assert "café" in merged["summary"].str.cat()
    month = merged[merged["summary"].str.startswith("Intelligence")].iloc[0]
    assert (month["date"], month["date_precision"], month["restricted"]) == (
        "2024-03-01",
        "month",
        "true",
    )
    year = merged[merged["summary"].str.startswith("Earlier")].iloc[0]
    assert (year["date_precision"], year["date_uncertain"]) == ("year", "true")
    assert merged["case_id"].eq("C1").all() and merged["event_id"].is_unique
    # what the files could not say is defaulted, and named for review
    assert merged["category"].eq("uncategorised").all()
    assert merged["needs_review"].str.contains("category").all()


def test_likely_duplicates_are_marked_not_deleted(files):
    merged = merge_files(files, "C1")
    arrested = merged[merged["summary"].str.contains("bus station")]
    assert len(arrested) == 2
    original, copy = arrested.iloc[0], arrested.iloc[1]
    assert original["duplicate_of"] == "" and copy["duplicate_of"] == original["event_id"]
    assert (merged["duplicate_of"] != "").sum() == 1  # the GP visit a day later is not one


def test_no_duplicates_outside_the_window_or_within_one_agency(tmp_path):
    a = write(
        tmp_path / "police.csv",
        ["Date", "Event"],
        [
            ["01/02/2024", "Fight at the bus station reported"],
            ["02/02/2024", "Fight at the bus station reported"],  # same agency: not a duplicate
        ],
    )
    b = write(
        tmp_path / "school.csv",
        ["Date", "Event"],
        [
            ["20/02/2024", "Fight at the bus station reported"],  # 18 days later: not one
        ],
    )
    merged = merge_files([(a, None), (b, None)], "C1")
    assert (merged["duplicate_of"] != "").sum() == 0
    merged = merge_files([(a, None), (b, None)], "C1", window_days=30)
    assert (merged["duplicate_of"] != "").sum() == 1


def test_mapping_file_covers_unknown_headers_and_values(tmp_path):
    f = write(
        tmp_path / "youth club.csv",
        ["When it happened", "What", "Worry"],
        [
            ["01/03/2024", "Attended the club every week", "Low-ish"],
        ],
    )
    with pytest.raises(casekit.CasekitError) as info:
        merge_files([(f, "voluntary_sector")], "C1")
    message = str(info.value)
    assert "no column found for date, summary" in message
    assert "'When it happened', 'What', 'Worry'" in message and "--map mapping.yml" in message
    mapping = tmp_path / "mapping.yml"
    mapping.write_text(
        "columns:\n  When it happened: date\n  What: summary\n"
        "  Worry: significance\nvalues:\n  significance:\n    Low-ish: low\n"
    )
    merged = merge_files([(f, "voluntary_sector")], "C1", load_mapping(mapping))
    assert merged[["date", "summary", "significance"]].values.tolist() == [
        ["2024-03-01", "Attended the club every week", "low"]
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("columns:\n  When: day\n", "'When' maps to 'day', which is not an events column"),
        ("values:\n  significance:\n    Red: urgent\n", "expected one of: low, medium, high"),
        ("colums:\n  When: date\n", "two sections, 'columns:' and 'values:'"),
        ("columns: [unclosed\n", "is not valid YAML"),
    ],
)
def test_bad_mapping_files_are_explained(tmp_path, content, message):
    path = tmp_path / "m.yml"
    path.write_text(content)
    with pytest.raises(
        casekit.CasekitError,
        match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\["),
    ):
        load_mapping(path)


def test_every_bad_cell_is_reported_and_nothing_is_written(tmp_path, capsys):
    f = write(
        tmp_path / "police.csv",
        ["Date", "Event", "Significance"],
        [
            ["31/02/2024", "A day that does not exist", "high"],
            ["01/03/2024", "", "medium"],
            ["02/03/2024", "Fine entry", "urgentish"],
        ],
    )
    out = tmp_path / "merged.csv"
    assert main(["chronology", "merge", str(f), "--case", "C1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "3 problem(s) in the agency files; nothing was merged" in err
    assert "police.csv, row 2, column 'date': '31/02/2024'" in err
    assert "police.csv, row 3, column 'summary'" in err
    assert "police.csv, row 4, column 'significance': 'urgentish'" in err
    assert not out.exists() and not list(tmp_path.glob(".merged*"))


def test_unknown_agency_is_explained(tmp_path, capsys):
    f = write(tmp_path / "notes.csv", ["Date", "Event"], [["01/03/2024", "Something"]])
    out = str(tmp_path / "m.csv")
    assert main(["chronology", "merge", str(f), "--case", "C1", "--out", out]) == 2
    assert "which agency's chronology is this?" in capsys.readouterr().err
    assert main(["chronology", "merge", f"{f}=polise", "--case", "C1", "--out", out]) == 2
    assert "did you mean 'police'?" in capsys.readouterr().err
    assert main(["chronology", "merge", f"{f}=police", "--case", "C1", "--out", out]) == 0


def test_merged_output_imports_into_a_store(tmp_path, capsys):
    cb = casekit.load(SYNTHETIC)
    case = cb.events.groupby("case_id").size().idxmax()
    paths = write_agency_samples(cb.events[cb.events["case_id"] == case], tmp_path / "agency")
    out = tmp_path / "merged.csv"
    assert main(["chronology", "merge", *map(str, paths), "--case", case, "--out", str(out)]) == 0
    assert "merged" in capsys.readouterr().out
    store = tmp_path / "s.sqlite"
    assert main(["import", str(SYNTHETIC), "--into", str(store)]) == 0
    assert main(["import", str(out), "--into", str(store)]) == 0
    loaded = casekit.load(store)
    merged_rows = loaded.events[loaded.events["event_id"].str.startswith(f"{case}-")]
    assert len(merged_rows) == len(pd.read_csv(out))
    assert set(merged_rows["source_file"]) == {"school.xlsx", "police.csv", "health.csv"}


def test_mapping_dataclass_defaults():
    assert Mapping().columns == {} and Mapping().values == {}


def test_an_empty_date_cell_in_a_workbook_is_reported_without_a_made_up_value(tmp_path):
    from openpyxl import Workbook

    from casekit.ingest.merge import read_agency_file

    book = Workbook()
    sheet = book.active
    sheet.append(["Date of event", "Details"])
    sheet.append([None, "Seen at school"])
    sheet.append([dt.datetime(2024, 2, 5), "Visit"])
    path = tmp_path / "school.xlsx"
    book.save(path)
    frame, problems = read_agency_file(path, "education")
    assert len(frame) == 2
    assert [str(p) for p in problems] == [
        "school.xlsx, row 2, column 'date': expected a date such as 05/02/2024, 03/2024 or "
        "2024 (day first, as in the UK)"
    ]
