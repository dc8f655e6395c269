"""Chronology views, analysis and exports."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import SYNTHETIC
from openpyxl import load_workbook

import casekit
from casekit.analysis.chronology import analyse, as_known_at, case_events, filter_events
from casekit.analysis.export import chronology_view, export_chronology, to_html
from casekit.cli import main


@pytest.fixture(scope="module")
def cb():
    return casekit.load(SYNTHETIC)


@pytest.fixture
def events():
    def row(
        eid,
        date,
        category,
        recorded=None,
        significance="medium",
        impact="neutral",
        level="child",
        agency="education",
    ):
        return {
            "event_id": eid,
            "case_id": "C1",
            "date": pd.Timestamp(date),
            "recorded_on": pd.Timestamp(recorded or date),
            "date_precision": "day",
            "category": category,
            "level": level,
            "significance": significance,
            "impact": impact,
            "source_agency": agency,
            "kind": "visit",
            "summary": f"entry {eid}",
            "restricted": False,
            "action_taken": None,
        }

    return pd.DataFrame(
        [
            row("E1", "2024-01-05", "belief_practice"),
            row("E2", "2024-01-20", "views_expressed", recorded="2024-04-01"),
            row("E3", "2024-02-10", "protective", significance=None, level="family"),
            row(
                "E4",
                "2024-09-01",
                "extremist_behaviour",
                significance="high",
                impact=None,
                agency="police",
            ),
            row("E5", "2024-09-03", "uncategorised", significance="low"),
        ]
    )


def test_as_known_at_hides_what_was_recorded_later(events):
    assert as_known_at(events, "2024-03-01")["event_id"].tolist() == ["E1", "E3"]
    assert as_known_at(events, "2024-04-01")["event_id"].tolist() == ["E1", "E2", "E3"]
    assert len(as_known_at(events, None)) == 5
    with pytest.raises(casekit.CasekitError, match="is not a date"):
        as_known_at(events, "soon")


def test_filters(events):
    assert filter_events(events, min_significance="medium")["event_id"].tolist() == [
        "E1",
        "E2",
        "E4",
    ]
    assert filter_events(events, min_significance="high")["event_id"].tolist() == ["E4"]
    assert filter_events(events, categories=["belief_practice", "protective"])[
        "event_id"
    ].tolist() == ["E1", "E3"]
    assert filter_events(events, levels="family")["event_id"].tolist() == ["E3"]
    assert filter_events(events, agencies=["police"])["event_id"].tolist() == ["E4"]
    assert filter_events(events, start="2024-01-20", end="2024-09-01")["event_id"].tolist() == [
        "E2",
        "E3",
        "E4",
    ]
    with pytest.raises(casekit.CasekitError, match="did you mean 'protective'"):
        filter_events(events, categories=["protectiv"])
    with pytest.raises(casekit.CasekitError, match="expected one of low, medium, high"):
        filter_events(events, min_significance="urgent")


def test_analysis(events):
    a = analyse(events, gap_days=90, until="2025-01-31")
    assert a.per_quarter.loc[pd.Period("2024Q1", "Q"), "belief_practice"] == 1
    assert a.balance["belief_views"].sum() == 2 and a.balance["behaviour_harm"].sum() == 1
    assert a.strengths_worries["strengths"].sum() == 1
    assert a.strengths_worries["worries"].sum() == 1
    assert a.gaps[["start", "end", "days"]].values.tolist() == [
        [pd.Timestamp("2024-02-10"), pd.Timestamp("2024-09-01"), 204],
        [pd.Timestamp("2024-09-03"), pd.Timestamp("2025-01-31"), 150],
    ]
    assert a.missing[["event_id", "missing"]].values.tolist() == [
        ["E3", "significance"],
        ["E4", "impact"],
    ]
    assert a.uncategorised["event_id"].tolist() == ["E5"]
    headline = " ".join(a.headline())
    assert "2 entries about belief or views; 1 about behaviour or harm." in headline
    assert "Belief and views are not a concern in themselves." in headline
    assert "2 gap(s) with no entries; the longest is 204 days." in headline


def test_case_events_unknown_case(cb):
    with pytest.raises(casekit.CasekitError, match="there is no case 'C1'"):
        case_events(cb, "C1")
    ev = case_events(cb, "C00001")
    assert ev["case_id"].eq("C00001").all() and ev["date"].is_monotonic_increasing


def test_html_escapes_free_text_and_is_self_contained(cb):
    case = cb.cases.iloc[0]
    events = cb.events[cb.events["case_id"] == case["case_id"]].copy()
    events.loc[events.index[0], "summary"] = "<script>alert('x')</script> & <b>bold</b>"
    events.loc[events.index[0], "action_taken"] = '"quoted" <img src=x onerror=alert(1)>'
    view = chronology_view(cb, case["case_id"])
    view.events = events
    html = to_html(view)
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;x&#39;)" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "http://" not in html and "https://" not in html and "<script" not in html


def export(case: str, out, *extra: str) -> int:
    return main(
        [
            "chronology",
            "export",
            "--data",
            str(SYNTHETIC),
            "--case",
            case,
            "--out",
            str(out),
            *extra,
        ]
    )


def test_cli_exports(cb, tmp_path, capsys):
    case = cb.events.groupby("case_id").size().idxmax()
    events = case_events(cb, case)
    cut = events["recorded_on"].sort_values().iloc[len(events) // 2]
    html, xlsx, csv = tmp_path / "c.html", tmp_path / "c.xlsx", tmp_path / "c.csv"
    assert export(case, html, "--as-known-at", cut.date().isoformat()) == 0
    page = html.read_text()
    known = as_known_at(events, cut)
    assert page.count("<tr class=") == len(known)
    assert f"as known at {cut.date().isoformat()}" in page
    assert export(case, xlsx, "--min-significance", "high") == 0
    book = load_workbook(xlsx)
    sheet = book["chronology"]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    assert [c.value for c in sheet[1]][:3] == ["event_id", "case_id", "date"]
    high = filter_events(events, min_significance="high")
    assert sheet.max_row - 1 == len(high)
    assert {sheet.cell(row=r, column=11).value for r in range(2, sheet.max_row + 1)} == {"high"}
    assert sheet.column_dimensions["H"].width >= 30  # the summary column is wide
    assert "about behaviour or harm" in book["analysis"]["A1"].value
    assert export(case, csv) == 0
    back = pd.read_csv(csv, dtype=str, keep_default_na=False)
    assert list(back.columns) == list(casekit.TABLES["events"].column_names)
    assert back["event_id"].tolist() == events["event_id"].tolist()
    capsys.readouterr()
    assert export(case, tmp_path / "c.pdf") == 2
    assert "export to a .html, .xlsx or .csv file" in capsys.readouterr().err


def test_export_never_leaves_a_partial_file(cb, tmp_path):
    view = chronology_view(cb, "C00001")
    view.events = view.events.assign(date="not a date")  # breaks rendering part-way
    with pytest.raises(AttributeError):
        export_chronology(view, tmp_path / "c.html")
    assert list(tmp_path.iterdir()) == []
