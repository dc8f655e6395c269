"""Spreadsheets and CSVs: no workbook cell is ever a formula made from data, text round-trips.

Every workbook writer gets free text that Excel would run (``=HYPERLINK(...)``, ``=1+1``,
``@SUM(A1)``...). Read back, no cell is a formula and the text is what was written. CSVs meant
for people neutralise a formula-like start; bundle CSVs keep text exactly. Control characters
are refused by validation and never crash a report.
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from conftest import SYNTHETIC, write_csv_bundle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

import casekit
from casekit.analysis.export import chronology_view, export_chronology
from casekit.bundle.io import clean_frame, read_bundle, write_bundle
from casekit.cli import main
from casekit.errors import CasekitError
from casekit.ingest.annex_import import write_report
from casekit.ingest.matching import Matching
from casekit.render.xlsx import (
    MAX_CELL_TEXT,
    Sheet,
    for_people,
    neutralise,
    write_people_csv,
    write_workbook,
)

FORMULAS = ['=HYPERLINK("http://x","y")', "=1+1", "+1", "-1+1", "@SUM(A1)", "\t=1", "'=1"]
"""Free text a spreadsheet would run, or whose first character it would eat."""


def formula_cells(path_or_bytes: Path | bytes) -> list[str]:
    """List every formula cell in a workbook, by openpyxl's reading and by its XML."""
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    found = []
    book = load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            found += [f"{sheet.title}!{c.coordinate}" for c in row if c.data_type == "f"]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and b"<f>" in z.read(name):
                found.append(name)
    return found


def sheet_values(path: Path | bytes, sheet: str) -> list[list[object]]:
    """Read one sheet's cell values as openpyxl gives them."""
    data = path if isinstance(path, bytes) else Path(path).read_bytes()
    book = load_workbook(io.BytesIO(data), read_only=True)
    return [list(r) for r in book[sheet].iter_rows(values_only=True)]


@pytest.fixture
def formula_bundle(tmp_path, tiny) -> Path:
    """The tiny bundle with one event per formula-like text in its summary and action."""
    first = tiny["events"][0]
    for i, text in enumerate(FORMULAS):
        tiny["events"].append({**first, "event_id": f"F{i}", "summary": text, "action_taken": text})
    return write_csv_bundle(tmp_path / "formulas", tiny)


def test_neutralise_prefixes_formula_starts_and_leaves_numbers():
    for text in FORMULAS[:-1]:
        assert neutralise(text) == "'" + text
    assert neutralise("'=1") == "'=1"  # already starts with a quote
    for number in ("-3", "-2.5", "12", "-1e5", ".5"):
        assert neutralise(number) == number
    for plain in ("visit", "", " =1", "a=1", "née"):
        assert neutralise(plain) == plain
    frame = pd.DataFrame({"=x": ["=1+1", "-3", None], "n": [-3, 4, 5]})
    people = for_people(frame)
    assert list(people.columns) == ["'=x", "n"]
    assert people["'=x"].tolist()[:2] == ["'=1+1", "-3"] and pd.isna(people["'=x"].iloc[2])
    assert people["n"].tolist() == [-3, 4, 5]
    assert frame["=x"].iloc[0] == "=1+1"  # the caller's frame is not changed


def test_people_csv_starts_risky_cells_with_a_quote_and_keeps_numbers():
    frame = pd.DataFrame({"text": FORMULAS + ["-3"], "count": range(-4, len(FORMULAS) - 3)})
    out = io.StringIO()
    write_people_csv(frame, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["text"] for r in rows] == ["'" + t for t in FORMULAS[:-1]] + ["'=1", "-3"]
    assert [r["count"] for r in rows] == [str(n) for n in range(-4, len(FORMULAS) - 3)]


def test_bundle_xlsx_keeps_formula_text_as_text_and_round_trips(formula_bundle, tmp_path):
    cb = casekit.load(formula_bundle)
    out = write_bundle(cb.canonical(), tmp_path / "bundle.xlsx", "xlsx")
    assert formula_cells(out) == []
    rows = sheet_values(out, "events")
    summary = rows[0].index("summary")
    assert [r[summary] for r in rows[-len(FORMULAS) :]] == [t.strip() for t in FORMULAS]
    sheet = load_workbook(out)["events"]
    cells = [row[summary] for row in sheet.iter_rows(min_row=sheet.max_row - len(FORMULAS) + 1)]
    # a formula-like text carries Excel's quote prefix, so editing the cell keeps it text
    assert [c.quotePrefix for c in cells] == [t.strip()[0] in "=+-@" for t in FORMULAS]
    back = casekit.load(out)
    assert back.events["summary"].tolist() == cb.events["summary"].tolist()
    assert back.events["action_taken"].tolist() == cb.events["action_taken"].tolist()


def test_bundle_csv_keeps_text_exactly(tmp_path):
    tables = {"events": pd.DataFrame({"event_id": ["E1", "E2"], "summary": ["=1+1", "@SUM(A1)"]})}
    out = write_bundle(tables, tmp_path / "b", "csv")
    text = (out / "events.csv").read_text()
    assert "\nE1,=1+1\n" in text and "\nE2,@SUM(A1)\n" in text
    raws, _ = read_bundle(out)
    assert raws["events"].frame["summary"].tolist() == ["=1+1", "@SUM(A1)"]


def test_cli_store_export_xlsx_has_no_formula(formula_bundle, tmp_path, capsys):
    store = tmp_path / "s.sqlite"
    assert main(["import", str(formula_bundle), "--into", str(store)]) == 0
    out = tmp_path / "export.xlsx"
    assert main(["export", str(store), "--form", "xlsx", "--out", str(out)]) == 0
    assert formula_cells(out) == []
    events = casekit.load(out).events
    assert set(t.strip() for t in FORMULAS) <= set(events["summary"])


def test_bundle_xlsx_refuses_text_a_workbook_cannot_hold(tiny, tmp_path, capsys):
    tiny["events"][0]["summary"] = "x" * 40_000
    bundle = write_csv_bundle(tmp_path / "long", tiny)
    store = tmp_path / "s.sqlite"
    assert main(["import", str(bundle), "--into", str(store)]) == 0
    capsys.readouterr()
    out = tmp_path / "export.xlsx"
    assert main(["export", str(store), "--form", "xlsx", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "export.xlsx [sheet events], row 2, column 'summary'" in err
    assert "40,000 characters" in err and "CSV or Parquet" in err
    assert "Traceback" not in err
    assert not out.exists() and list(tmp_path.glob(".export*")) == []
    # the same text goes whole into a CSV bundle
    assert main(["export", str(store), "--out", str(tmp_path / "csv")]) == 0
    assert casekit.load(tmp_path / "csv").events["summary"].str.len().max() == 40_000

    frame = pd.DataFrame({"event_id": ["E1", "E2"], "summary": ["fine", "bad\x0bcell"]})
    with pytest.raises(CasekitError, match=r"row 3, column 'summary'.*U\+000B"):
        write_bundle({"events": frame}, tmp_path / "ctl.xlsx", "xlsx")
    assert not (tmp_path / "ctl.xlsx").exists()


def test_chronology_export_xlsx_and_csv(formula_bundle, tmp_path):
    cb = casekit.load(formula_bundle)
    view = chronology_view(cb, "007")
    book = export_chronology(view, tmp_path / "c.xlsx")
    assert formula_cells(book) == []
    rows = sheet_values(book, "chronology")
    summary = rows[0].index("summary")
    assert {t.strip() for t in FORMULAS} <= {r[summary] for r in rows[1:]}
    assert load_workbook(book)["chronology"]["A1"].font.bold
    page = export_chronology(view, tmp_path / "c.csv")
    written = list(csv.DictReader(page.open(newline="")))
    risky = [r["summary"] for r in written if r["event_id"].startswith("F")]
    assert risky == ["'" + t.strip() if t.strip()[0] in "=+-@" else t.strip() for t in FORMULAS]
    assert all(r["summary"][0] != "=" for r in written)


def test_merge_output_is_interchange_exact_in_xlsx_and_csv(tmp_path, capsys):
    police = tmp_path / "police.csv"
    rows = [[f"0{i + 1}/02/2024", text, "Police"] for i, text in enumerate(FORMULAS)]
    with police.open("w", newline="") as fh:
        csv.writer(fh).writerows([["Date", "Event", "Source of information"], *rows])
    out = tmp_path / "merged.xlsx"
    assert main(["chronology", "merge", str(police), "--case", "C1", "--out", str(out)]) == 0
    assert formula_cells(out) == []
    merged = sheet_values(out, "events")
    summary = merged[0].index("summary")
    assert sorted(r[summary] for r in merged[1:]) == sorted(t.strip() for t in FORMULAS)
    flat = tmp_path / "merged.csv"
    assert main(["chronology", "merge", str(police), "--case", "C1", "--out", str(flat)]) == 0
    texts = [r["summary"] for r in csv.DictReader(flat.open(newline=""))]
    # merged.csv is what `casekit import` reads back: no quote may creep into the record
    assert sorted(texts) == sorted(t.strip() for t in FORMULAS)


def test_matching_report_never_crashes_and_holds_no_formula(tmp_path):
    matching = Matching(
        headers=[{"list": 1, "sheet": "=1+1", "header": "@SUM(A1)", "suggestion": ""}],
        values=Counter({("gender", '=HYPERLINK("http://x","y")'): 3, ("gender", "a\x00b"): 1}),
        rows=[{"list": 1, "sheet": "L1", "row": 5, "child": "-1+1", "reason": "bad\x0bdate"}],
        notes=["x" * 40_000, "+1"],
    )
    report = write_report(matching, tmp_path / "report.xlsx")
    assert formula_cells(report) == []
    assert sheet_values(report, "headers")[1][1:3] == ["=1+1", "@SUM(A1)"]
    values = sheet_values(report, "values")
    assert values[1][1] == '=HYPERLINK("http://x","y")' and values[1][2] == 3
    assert "a\ufffdb" in [r[1] for r in values]  # replaced visibly, not crashed
    assert sheet_values(report, "rows not imported")[1][3:] == ["-1+1", "bad\ufffddate"]
    notes = [r[0] for r in sheet_values(report, "notes")[1:]]
    assert len(notes[0]) == MAX_CELL_TEXT and notes[0].endswith(
        "[cut: the text has 40,000 characters]"
    )
    assert notes[1] == "+1"


def test_review_tables_and_workbook(tmp_path):
    from casekit.review import sections as review

    cb = casekit.load(SYNTHETIC)
    built = review.build(cb, review.scope_for(cb, "T01"))
    frame = pd.DataFrame({"text": FORMULAS + ["bad\x0bcell", "-3"], "n": range(-5, 4)})
    built.sections[0].tables.append(review.Table("injected", "Injected", frame))
    written = built.save_tables(tmp_path / "out")
    book = tmp_path / "out" / "T01.xlsx"
    assert book in written and formula_cells(book) == []
    sheet = sheet_values(book, "injected")
    assert [r[0] for r in sheet[1:]] == FORMULAS + ["bad\ufffdcell", "-3"]
    assert [r[1] for r in sheet[1:]] == list(range(-5, 4))
    people = list(csv.DictReader((tmp_path / "out" / "injected.csv").open(newline="")))
    assert [r["text"] for r in people][:-2] == ["'" + t for t in FORMULAS[:-1]] + ["'=1"]
    assert people[-1]["text"] == "-3" and people[0]["n"] == "-5"


def test_agency_samples_and_annex_a_workbooks_hold_no_formula(tmp_path):
    from casekit.synth.agency_samples import write_agency_samples
    from casekit.synth.annex import annex_a_workbook

    cb = casekit.load(SYNTHETIC)
    case = cb.events.groupby("case_id").size().idxmax()
    events = cb.events[cb.events["case_id"] == case].copy()
    events["summary"] = [FORMULAS[i % len(FORMULAS)] for i in range(len(events))]
    school, *_ = write_agency_samples(events, tmp_path)
    assert formula_cells(school) == []
    rows = sheet_values(school, "Chronology")
    assert rows[0][0] == "School chronology (synthetic)" and rows[2][0] == "Date of event"
    told = "Police told the school: "  # a police incident the school heard of too
    assert {r[1].removeprefix(told) for r in rows[3:]} <= set(FORMULAS)
    annex = tmp_path / "annex.xlsx"
    annex_a_workbook(annex, cases=20)
    assert formula_cells(annex) == []


def test_validation_refuses_control_characters_with_a_located_message(tiny, tmp_path, capsys):
    tiny["events"][0]["summary"] = "School raised\x0bviews"
    tiny["cases"][1]["ideology"] = ""
    tiny["events"][2]["action_taken"] = "Visit\x00arranged"
    bundle = write_csv_bundle(tmp_path / "ctl", tiny)
    assert main(["validate", str(bundle)]) == 2
    captured = capsys.readouterr()
    err = captured.out + captured.err
    assert "events.csv, row 2, column 'summary'" in err
    assert "remove the control character U+000B" in err
    assert "events.csv, row 4, column 'action_taken'" in err
    assert "remove the control character U+0000" in err
    tiny["events"][0]["summary"] = "Tabs\tand\r\nnew lines are text"
    tiny["events"][2]["action_taken"] = "Visit arranged"
    assert casekit.load(write_csv_bundle(tmp_path / "ok", tiny)).events["summary"].iloc[0] == (
        "Tabs\tand\r\nnew lines are text"
    )


_TEXT = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda prefix, body: prefix + body,
        st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", "#N/A", "=HYPERLINK("]),
        st.text(alphabet=st.characters(max_codepoint=0x3000), max_size=30),
    ),
    st.text(alphabet=st.characters(max_codepoint=0x20), max_size=10),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_TEXT, min_size=1, max_size=6))
def test_any_text_is_never_a_formula_and_round_trips_where_storable(texts):
    from casekit.render.xlsx import XML_ILLEGAL

    frame = pd.DataFrame({"summary": texts})
    report = io.BytesIO()
    write_workbook(report, [Sheet("events", frame)], exact=False)  # a report: never crashes
    assert formula_cells(report.getvalue()) == []
    back = [r[0] for r in sheet_values(report.getvalue(), "events")[1:]]
    storable = [not XML_ILLEGAL.search(t) for t in texts]
    for text, got, ok in zip(texts, back, storable, strict=True):
        if ok:
            assert got == (text or None)
        else:
            assert got == XML_ILLEGAL.sub("\ufffd", text)
    exact = io.BytesIO()
    if all(storable):
        write_workbook(exact, [Sheet("events", frame)], exact=True)
        assert [r[0] for r in sheet_values(exact.getvalue(), "events")[1:]] == [
            t or None for t in texts
        ]
        # casekit's own reader gives what it gives for the same text in any other form: the
        # workbook adds nothing and loses nothing (the reader trims cells, whatever the form)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bundle.xlsx"
            path.write_bytes(exact.getvalue())
            raws, _ = read_bundle(path)
        expected = clean_frame(pd.DataFrame({"summary": texts}, dtype=object), 2)["summary"]
        got = raws["events"].frame["summary"] if "events" in raws else pd.Series()
        assert got.dropna().tolist() == expected.dropna().tolist()
    else:
        with pytest.raises(CasekitError, match="control character U\\+"):
            write_workbook(exact, [Sheet("events", frame)], exact=True)


def test_flags_csv_is_neutralised_on_stdout_and_in_a_file(tmp_path, capsys, monkeypatch):
    import casekit.analysis.proportionality as proportionality

    table = pd.DataFrame(
        {
            "case_id": ["=1+1", "C2"],
            "flag": ["step_down", "escalation"],
            "subject_id": ["@SUM(A1)", "-3"],
            "reason": ['=HYPERLINK("http://x","y")', "plain"],
            "date": pd.to_datetime(["2024-01-02", "2024-02-03"]),
            "status": ["open", "past"],
            "team_id": ["T1", "+1"],
        }
    )
    monkeypatch.setattr(proportionality, "flags", lambda cb, as_of=None, status="all", **_: table)
    assert main(["flags", "--data", str(SYNTHETIC)]) == 0
    shown = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    out = tmp_path / "flags.csv"
    assert main(["flags", "--data", str(SYNTHETIC), "--out", str(out)]) == 0
    for rows in (shown, list(csv.DictReader(out.open(newline="")))):
        assert [r["case_id"] for r in rows] == ["'=1+1", "C2"]
        assert [r["subject_id"] for r in rows] == ["'@SUM(A1)", "-3"]
        assert rows[0]["reason"] == '\'=HYPERLINK("http://x","y")'
        assert [r["team_id"] for r in rows] == ["T1", "'+1"]
        assert [r["date"] for r in rows] == ["2024-01-02", "2024-02-03"]


def test_a_store_write_with_a_control_character_is_refused(tiny_store):
    before = tiny_store.counts()
    with pytest.raises(casekit.WriteRefused, match="remove the control character U\\+000C"):
        tiny_store.add_event(
            case_id="007", date="2024-03-01", source_agency="education", kind="contact",
            summary="Form\x0cfeed", category="harm", level="child", significance="low",
        )  # fmt: skip
    assert tiny_store.counts() == before


def test_chronology_export_refuses_long_text_in_xlsx_and_keeps_it_in_csv(tiny, tmp_path):
    tiny["events"][0]["summary"] = "y" * 40_000
    view = chronology_view(casekit.load(write_csv_bundle(tmp_path / "long", tiny)), "007")
    with pytest.raises(CasekitError) as info:
        export_chronology(view, tmp_path / "c.xlsx")
    message = str(info.value)
    assert "c.xlsx [sheet chronology], row " in message and "column 'summary'" in message
    assert "40,000 characters" in message and "export to .csv or .html instead" in message
    assert list(tmp_path.glob("*.xlsx")) == [] and list(tmp_path.glob(".c.xlsx*")) == []
    written = list(csv.DictReader(export_chronology(view, tmp_path / "c.csv").open(newline="")))
    assert max(len(r["summary"]) for r in written) == 40_000


def test_a_supervision_with_a_control_character_is_refused_and_nothing_written(tiny_store):
    from test_supervision import complete

    import casekit.analysis.supervision as sv

    session = complete()
    session.stages["actions"] += " Pasted from Word\x0bwith a soft line break."
    before = tiny_store.counts()
    with pytest.raises(casekit.WriteRefused) as info:
        sv.save(tiny_store, session)
    assert "column 'actions'" in str(info.value)
    assert "remove the control character U+000B" in str(info.value)
    assert tiny_store.counts() == before


def test_merge_refuses_control_characters_in_agency_files_naming_file_and_row(tmp_path, capsys):
    police = tmp_path / "police.csv"
    police.write_text(
        'Date,Event,Source of information\n05/02/2024,"Arrested\x0bnear school",Police\n'
        "06/02/2024,fine,Police\n"
    )
    for out in (tmp_path / "m.xlsx", tmp_path / "m.csv"):
        assert main(["chronology", "merge", str(police), "--case", "C1", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert "police.csv, row 2, column 'summary'" in err
        assert "remove the control character U+000B" in err and "Traceback" not in err
        assert not out.exists()
