"""casekit disclosure-check: planted small counts, recoverable cells and identifiers are caught;
suppressed tables pass."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from casekit import suppress
from casekit.cli import main
from casekit.errors import CasekitError
from casekit.privacy.check import check_path, check_table, looks_like_identifier
from casekit.privacy.disclosure import Publication


def kinds(findings) -> list[tuple[str, int | None, str | None]]:
    return [(f.kind, f.row, f.column) for f in findings]


def test_small_counts_are_found_with_their_row_and_column(tmp_path):
    frame = pd.DataFrame(
        {
            "referral source": ["police", "school", "Total"],
            "referrals": ["12", "3", "15"],
            "escalated %": ["4.0", "2.0", "3.0"],  # not counts
            "95% CI low": ["1", "1", "1"],
            "median working days": ["2", "4", "3"],
        }
    )
    frame.to_csv(tmp_path / "table.csv", index=False)
    findings, files = check_path(tmp_path)
    assert files == 1
    assert kinds(findings) == [("small count", 3, "referrals")]
    assert findings[0].file == "table.csv"
    assert "show it as c" in str(findings[0])


def test_every_sheet_of_a_workbook_is_checked(tmp_path):
    book = tmp_path / "book.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as xl:
        pd.DataFrame({"team": ["T1"], "cases": [40]}).to_excel(xl, sheet_name="fine", index=False)
        pd.DataFrame({"team": ["T1", "T2"], "cases": [40, 5]}).to_excel(
            xl, sheet_name="leaky", index=False
        )
    (finding,) = check_path(book)[0]
    assert (finding.sheet, finding.row, finding.column) == ("sheet leaky", 3, "cases")


def test_a_hidden_cell_that_the_totals_give_away_is_found():
    planted = pd.DataFrame(
        {
            "source": ["police", "school", "Total"],
            "radicalisation": ["c", "12", "19"],  # 19 - 12 = 7: recoverable
            "other": ["8", "9", "17"],
            "Total": ["c", "21", "36"],  # and so is this one: 36 - 21
        }
    )
    assert kinds(check_table(planted, "t.csv")) == [
        ("recoverable cell", 2, "radicalisation"),
        ("recoverable cell", 2, "Total"),
    ]
    row_total_only = pd.DataFrame({"x": ["a", "b"], "p": ["c", "9"], "q": ["10", "c"],
                                   "Total": ["17", "c"]})  # fmt: skip
    assert kinds(check_table(row_total_only, "t.csv")) == [("recoverable cell", 2, "p")]
    all_hidden = pd.DataFrame({"x": ["a", "Total"], "p": ["c", "c"], "q": ["8", "8"],
                               "Total": ["c", "12"]})  # fmt: skip
    assert kinds(check_table(all_hidden, "t.csv")) == [
        ("recoverable cell", 2, "p"),  # 12 - 8, though its column shows no number at all
        ("recoverable cell", 2, "Total"),
        ("recoverable cell", 3, "p"),
    ]
    safe = pd.DataFrame({"x": ["a", "b", "Total"], "p": ["c", "c", "20"],
                         "q": ["c", "c", "15"], "Total": ["14", "21", "35"]})  # fmt: skip
    assert check_table(safe, "t.csv") == []


@pytest.mark.parametrize("seed", range(12))
def test_tables_suppressed_by_casekit_pass(seed):
    rng = np.random.default_rng(seed)
    counts = pd.DataFrame(
        rng.integers(0, 14, size=(5, 4)), columns=list("abcd"), index=list("vwxyz")
    )
    published = suppress(counts).reset_index(names="group")
    assert check_table(published.astype(str), "t.csv") == []
    raw = counts.reset_index(names="group").astype(str)
    small = ((counts >= 1) & (counts <= 5)).to_numpy().sum()
    assert len(check_table(raw, "t.csv")) == small  # and the raw table is caught


def test_raw_identifiers_are_found_and_reported_masked():
    frame = pd.DataFrame(
        {
            "case": ["C00001", "C00002", "C00003"],
            "note": [
                "pupil A12345678901Z moved school",
                "NHS 943 476 5919 on file; 943 476 5918 is not a valid NHS number",
                "write to someone@example.org",
            ],
            "postcode": ["SW1A 1AA", "SW1A 1", ""],  # a sector is fine, a full postcode is not
            "child date of birth": ["2010-03-04", "2010-03", ""],  # a month is fine
        }
    )
    findings = check_table(frame, "ids.csv")
    assert [(f.row, f.column, f.detail.split(" looks like ")[-1]) for f in findings] == [
        (2, "note", "a UPN (unique pupil number)"),
        (2, "postcode", "a full postcode"),
        (2, "child date of birth", "a full date of birth"),
        (3, "note", "an NHS number"),
        (4, "note", "an e-mail address"),
    ]
    text = "\n".join(map(str, findings))
    for raw in ("A12345678901Z", "9434765919", "943 476 5919", "SW1A 1AA", "someone@example"):
        assert raw not in text  # the report discloses nothing itself
    assert looks_like_identifier("W003 saw C00149 on 2024-03-01 about 12 referrals") == []


def test_research_statistics_are_not_counts_but_their_counts_are():
    """The trends report's strata table has the number of tests made (``comparisons``), and
    its equity tables a relative rate index that is 1 for the reference group: neither counts
    children. The counts beside them are still checked."""
    frame = pd.DataFrame(
        {
            "evidence profile": ["harm", "none"],
            "radicalisation n": ["12", "3"],
            "test comparisons Unnamed: 14_level_2": ["2", "2"],
            "rri Unnamed: 8_level_1": ["1.000", "1.000"],
            "rri_low": ["1", "2"],
        }
    )
    assert kinds(check_table(frame, "t.html")) == [("small count", 3, "radicalisation n")]


def test_a_column_can_be_passed_over():
    frame = pd.DataFrame({"team": ["T1"], "safety rung": ["3"]})
    assert len(check_table(frame, "t.csv")) == 1
    assert check_table(frame, "t.csv", ignore=["Safety rung"]) == []


def test_bad_paths_and_unreadable_files_are_explained(tmp_path):
    with pytest.raises(CasekitError, match="no such file or folder"):
        check_path(tmp_path / "missing")
    with pytest.raises(CasekitError, match=r"no \.csv, \.xlsx or \.html file"):
        check_path(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(CasekitError, match="reads .csv, .xlsx and .html"):
        check_path(tmp_path / "notes.txt")
    (tmp_path / "broken.xlsx").write_bytes(b"not a workbook")
    (finding,) = check_path(tmp_path)[0]
    assert finding.kind == "unreadable" and finding.file == "broken.xlsx"


def test_cli_exit_codes_and_json(tmp_path, capsys):
    pd.DataFrame({"team": ["T1"], "cases": ["c"]}).to_csv(tmp_path / "ok.csv", index=False)
    assert main(["disclosure-check", str(tmp_path)]) == 0
    assert "no disclosure risk found" in capsys.readouterr().out
    pd.DataFrame({"team": ["T1"], "cases": ["2"]}).to_csv(tmp_path / "bad.csv", index=False)
    assert main(["disclosure-check", str(tmp_path), "--format", "json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] is False and report["files"] == 2
    assert report["findings"][0]["file"] == "bad.csv" and report["findings"][0]["row"] == 2
    assert main(["disclosure-check", str(tmp_path / "none")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


# --- reviews suppressed the old way (per table, hidden cells taken as at least 0) -------------

# As `casekit review --suppress` wrote them before the fix (T05 and T01 of the synthetic data).
OLD_T05_OUTCOMES = """furthest response,radicalisation,other safeguarding,Total
no_further_action,c,0,c
early_help,c,c,c
child_in_need,6,0,6
section_47,c,c,c
child_protection_plan,0,c,c
Total,c,c,12
"""
OLD_T01_SUMMARY = """case type,referrals,assessed,within 10 working days,median working days,\
within 10 days %,95% CI low,95% CI high
radicalisation,8,8,7,3.5,88.0,53.0,98.0
other safeguarding,12,12,9,6.5,75.0,47.0,91.0
all,20,20,16,6.0,80.0,58.0,92.0
"""
OLD_T01_WAIT = """working days,radicalisation,other safeguarding,Total
0-5,c,c,9
6-10,c,c,7
11-20,0,c,c
21-45,c,c,c
over 45,0,0,0
not yet assessed,0,0,0
Total,8,12,20
"""


def _csv(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def test_the_old_t05_outcomes_fail_because_every_hidden_cell_is_at_least_one():
    findings = check_table(_csv(OLD_T05_OUTCOMES), "outcomes.csv")
    hidden = [
        (i + 2, c)
        for i, row in _csv(OLD_T05_OUTCOMES).iterrows()
        for c in ("radicalisation", "other safeguarding", "Total")
        if row[c] == "c"
    ]
    # 12 referrals in 5 rows with 6 of them in one: the other four rows hold 1 each, and so on
    assert {(f.row, f.column) for f in findings} == set(hidden)
    assert all(f.kind == "recoverable cell" for f in findings)


def _old_t01(folder: Path) -> Path:
    folder.mkdir()
    (folder / "first_assessment_summary.csv").write_text(OLD_T01_SUMMARY)
    (folder / "first_assessment_wait.csv").write_text(OLD_T01_WAIT)
    return folder


def test_a_cell_two_tables_give_away_together_is_found(tmp_path):
    folder = _old_t01(tmp_path / "T01")
    for f in folder.iterdir():  # each table alone gives nothing away
        assert check_path(f)[0] == []
    (finding,) = check_path(folder)[0]  # 8 referrals, 7 within 10 days: 21-45 days holds 1
    assert (finding.file, finding.row, finding.column) == (
        "first_assessment_wait.csv",
        5,
        "radicalisation",
    )
    assert finding.kind == "recoverable cell" and "together" in finding.detail


def test_linked_tables_are_found_in_a_workbook_and_an_html_page(tmp_path):
    book = tmp_path / "T01.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as xl:
        _csv(OLD_T01_SUMMARY).to_excel(xl, sheet_name="first_assessment_summary", index=False)
        _csv(OLD_T01_WAIT).to_excel(xl, sheet_name="first_assessment_wait", index=False)
    (finding,) = check_path(book)[0]
    assert (finding.sheet, finding.row, finding.column) == (
        "sheet first_assessment_wait",
        5,
        "radicalisation",
    )
    page = tmp_path / "T01.html"
    page.write_text(
        "<html><body>"
        + _csv(OLD_T01_SUMMARY).to_html(index=False, table_id="first_assessment_summary")
        + _csv(OLD_T01_WAIT).to_html(index=False, table_id="first_assessment_wait")
        + "</body></html>"
    )
    (finding,) = check_path(page)[0]
    assert (finding.sheet, finding.row, finding.column) == ("table 2", 5, "radicalisation")
    unnamed = tmp_path / "unnamed.html"  # without ids, nothing says the tables are linked
    unnamed.write_text(page.read_text().replace(' id="first_assessment', ' class="x'))
    assert check_path(unnamed)[0] == []


def test_tables_that_contradict_the_margins_are_not_taken_as_one_review(tmp_path):
    folder = _old_t01(tmp_path / "T01")
    wait = _csv(OLD_T01_WAIT)
    wait.loc[wait["working days"] == "Total", "radicalisation"] = "9"  # 9 referrals, not 8
    wait.to_csv(folder / "first_assessment_wait.csv", index=False)
    assert [f for f in check_path(folder)[0] if "together" in f.detail] == []
    summary = _csv(OLD_T01_SUMMARY)  # 9 of 8 within 10 days: bands 0-5 and 6-10 cannot hold it
    summary.loc[0, "within 10 working days"] = "9"
    summary.to_csv(folder / "first_assessment_summary.csv", index=False)
    _csv(OLD_T01_WAIT).to_csv(folder / "first_assessment_wait.csv", index=False)
    (finding,) = check_path(folder)[0]  # that sum is dropped; the others still give 21-45 away
    assert (finding.row, finding.column) == (5, "radicalisation")  # 16 - 9 within, 8 - 7


def test_a_publication_knows_when_its_numbers_contradict_each_other():
    p = Publication()
    p.add("x", 1, hidden=True)
    p.add("y", 1, hidden=True)
    p.add("total", 1, hidden=False)
    assert p.consistent()
    p.equate(["x", "y"], ["total"], check=False)  # two counts of at least 1 cannot make 1
    assert not p.consistent()
    with pytest.raises(ValueError, match="contradict"):
        p.pinned()


@pytest.mark.slow
def test_a_review_suppressed_now_passes_where_the_old_one_failed(tmp_path):
    from conftest import SYNTHETIC

    import casekit
    from casekit.review import report as review_report
    from casekit.review import sections as review

    cb = casekit.load(SYNTHETIC)
    for team in ("T01", "T05"):
        r = review.build(cb, review.scope_for(cb, team, suppress=True))
        folder = tmp_path / team
        review_report.save(r, str(folder))
        page = review_report.header_html(r) + "".join(map(review_report.section_html, r.sections))
        (tmp_path / f"{team}.html").write_text(f"<html><body>{page}</body></html>")
    findings, files = check_path(tmp_path)
    assert findings == [] and files > 20
    old = _old_t01(tmp_path / "old")
    (old / "outcomes.csv").write_text(OLD_T05_OUTCOMES)
    assert {f.file for f in check_path(tmp_path)[0]} == {
        "old/first_assessment_wait.csv",
        "old/outcomes.csv",
    }


@pytest.mark.parametrize(
    ("note", "raw", "what"),
    [
        ("lives at sw1a 1aa now", "sw1a 1aa", "a full postcode"),  # lower case
        ("lives at SW1A1AA now", "SW1A1AA", "a full postcode"),  # no space
        ("pupil a12345678901z", "a12345678901z", "a UPN (unique pupil number)"),  # lower case
        ("DOB 03/04/2010", "03/04/2010", "a date of birth"),
        ("d.o.b. 3.4.10", "3.4.10", "a date of birth"),
        ("born 2010-04-03 in Leeds", "2010-04-03", "a date of birth"),
        ("date of birth: 3 April 2010", "3 April 2010", "a date of birth"),
        ("call 07700 900123", "07700 900123", "a UK phone number"),
        ("call +44 (0)20 7946 0958", "7946 0958", "a UK phone number"),
        ("NHS 943-476-5919", "943-476-5919", "an NHS number"),
    ],
)
def test_identifiers_in_any_case_and_dates_of_birth_in_text_are_found(note, raw, what):
    findings = check_table(pd.DataFrame({"team": ["T1"], "note": [note]}), "t.csv")
    assert [(f.row, f.column, f.detail.split(" looks like ")[-1]) for f in findings] == [
        (2, "note", what)
    ]
    assert raw not in str(findings[0])  # reported masked


@pytest.mark.parametrize(
    "note",
    [
        "seen on 03/04/2024 and 2024-04-05 at 10:30",
        "meeting on 3 April 2024; 12 referrals in year 10",
        "943 476 5918 fails the NHS check digit",
        "case C00149, worker W003, team T01, event E000001",
    ],
)
def test_ordinary_dates_and_ids_are_not_identifiers(note):
    assert looks_like_identifier(note) == []


def test_a_date_of_birth_is_reported_without_any_of_its_digits():
    (finding,) = check_table(pd.DataFrame({"note": ["DOB 03/04/2010"]}), "t.csv")
    assert "**/**/****" in finding.detail and not re.search(r"\d", finding.detail)
