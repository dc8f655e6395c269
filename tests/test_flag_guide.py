"""The flag guide's worked examples, checked against the practice principles.

The examples in casekit/analysis/flag_guide.py were written from practice.md (the flags table), not
from the implementation: each must raise its flag, open, dated as practice.md says, on the subject
it says, and nothing else; each near miss must raise nothing. docs/flags.md and the README's flag
table must say what the module says.
"""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest
from conftest import ROOT

from casekit.analysis.flag_guide import _SHOWN, GUIDE, Example, _cell, guide_for, to_markdown
from casekit.analysis.proportionality import FLAGS
from casekit.cli import main
from casekit.contract import TABLES

PRACTICE = ROOT.parent / "shared" / "design" / "practice.md"
NEAR_MISSES = [(g.flag, n, m) for g in GUIDE for n, m in enumerate(g.near_misses, 1)]


@pytest.fixture(scope="module")
def page() -> str:
    """The generated page, made once: every example runs the flags."""
    return to_markdown()


def closed_on(example: Example, closed: str) -> Example:
    """The same example with its case closed on ``closed``."""
    (case,) = example.tables["cases"]
    tables = {**example.tables, "cases": ({**case, "closed": closed},)}
    return dataclasses.replace(example, tables=tables)


def days_before(as_of: str, days: int) -> str:
    return f"{pd.Timestamp(as_of) - pd.Timedelta(days=days):%Y-%m-%d}"


def test_the_guide_has_the_twelve_flags_in_the_practice_principles_order():
    names = [g.flag for g in GUIDE]
    assert names == list(FLAGS)
    assert len(names) == 12
    assert len(set(names)) == 12
    if PRACTICE.exists():  # the design folder beside the checkout: its flags table, in order
        table = re.findall(r"^\| `(\w+)` \|", PRACTICE.read_text(encoding="utf-8"), flags=re.M)
        assert names == table


@pytest.mark.parametrize("entry", GUIDE, ids=[g.flag for g in GUIDE])
def test_each_example_raises_its_flag_open_on_the_documented_day(entry):
    raised = entry.example.raised()
    mine = raised[raised["flag"] == entry.flag]
    assert len(mine) == 1, raised[["flag", "subject_id", "reason"]].to_string()
    row = mine.iloc[0]
    assert row["case_id"] == "C1"
    assert row["subject_id"] == entry.subject
    assert row["date"] == pd.Timestamp(entry.date)
    assert row["status"] == "open"
    assert row["team_id"] == "T1"
    for word in entry.names:
        assert word in row["reason"], (word, row["reason"])
    # the example shows this flag alone, so the page's lesson is not muddied by another
    assert raised["flag"].astype(str).tolist() == [entry.flag], raised["reason"].tolist()


@pytest.mark.parametrize(
    ("flag", "n", "miss"), NEAR_MISSES, ids=[f"{f}-{n}" for f, n, _ in NEAR_MISSES]
)
def test_each_near_miss_raises_nothing(flag, n, miss):
    raised = miss.example.raised()
    assert flag not in set(raised["flag"].astype(str)), raised["reason"].tolist()
    assert raised.empty, raised[["flag", "reason"]].to_string()


@pytest.mark.parametrize("entry", GUIDE, ids=[g.flag for g in GUIDE])
def test_closing_the_case_29_days_before_the_as_of_date_makes_the_flag_past(entry):
    closed = days_before(entry.example.as_of, 29)
    assert closed > entry.date  # closed after the flag arose: it still arises, as history
    raised = closed_on(entry.example, closed).raised()
    mine = raised[raised["flag"] == entry.flag]
    assert len(mine) == 1, raised[["flag", "subject_id", "reason"]].to_string()
    assert mine.iloc[0]["status"] == "past"
    assert mine.iloc[0]["date"] == pd.Timestamp(entry.date)


def test_a_step_down_due_that_ended_says_how_many_days_after_it_was_due():
    entry = guide_for("step_down_due")
    closed = days_before(entry.example.as_of, 29)  # 2024-05-30, 28 days after 2024-05-02
    assert (pd.Timestamp(closed) - pd.Timestamp(entry.date)).days == 28
    raised = closed_on(entry.example, closed).raised()
    (reason,) = raised.loc[raised["flag"] == "step_down_due", "reason"]
    assert re.search(r"\b28 days\b", reason), reason
    assert "is due" not in reason  # a stretch that ended is history, not "due"


def test_step_down_despite_concern_stays_open_for_28_days_after_a_closure():
    entry = guide_for("step_down_despite_concern")
    as_of = entry.example.as_of
    for days, status in ((0, "open"), (27, "open"), (28, "open"), (29, "past"), (40, "past")):
        raised = closed_on(entry.example, days_before(as_of, days)).raised()
        rows = raised[(raised["flag"] == entry.flag) & (raised["subject_id"] == "D2")]
        assert rows["status"].tolist() == [status], days


def test_the_documented_dates_follow_the_rules_by_hand():
    """The dates in the guide, worked out by hand from practice.md, as a check on the guide."""
    # step_down_due: child in need from 2024-02-01; "more than 90 days" first holds on day 91
    assert pd.Timestamp("2024-02-01") + pd.Timedelta(days=91) == pd.Timestamp(
        guide_for("step_down_due").date
    )
    # late_assessment: referral Mon 2024-12-16; working days 17-20, 23, 24, 27, 30, 31 Dec
    # (25, 26 Dec and 1 Jan are bank holidays), then 2 Jan is the 10th: 3 Jan is past the limit
    working = pd.bdate_range(
        "2024-12-17", "2025-01-03", freq="C", holidays=["2024-12-25", "2024-12-26", "2025-01-01"]
    )
    assert len(working) == 11
    assert f"{working[9]:%Y-%m-%d}" == "2025-01-02"
    assert f"{working[10]:%Y-%m-%d}" == guide_for("late_assessment").date


def test_docs_flags_md_is_generated_from_the_module(page):
    written = (ROOT / "docs" / "flags.md").read_text(encoding="utf-8")
    assert written == page, "docs/flags.md is stale: run `make docs`"


def test_the_page_shows_each_flag_its_example_and_the_rows_casekit_raises(page):
    for entry in GUIDE:
        section = page.split(f"\n## {entry.flag}\n")[1].split("\n## ")[0]
        assert entry.meaning in section
        assert all(f"- {q}" in section for q in entry.ask)
        assert f"| `{entry.flag}` | {entry.subject} | {entry.date} | open |" in section
        assert section.count("casekit raises no flag.") == len(entry.near_misses)


def test_cli_prints_the_guide(capsys, page):
    assert main(["flag-guide"]) == 0
    assert capsys.readouterr().out == page


def test_cli_refuses_an_argument_it_does_not_take(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["flag-guide", "--data", "x"])
    assert exc.value.code == 2
    assert "unrecognized arguments: --data x" in capsys.readouterr().err


def test_makefile_docs_target_writes_the_page():
    makefile = (ROOT / "Makefile").read_text()
    docs = re.search(r"^docs:.*\n((?:\t.*\n)+)", makefile, flags=re.M).group(1)
    assert "casekit flag-guide > docs/flags.md" in docs


def test_readme_lists_every_flag_in_one_line_and_links_the_guide():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The proportionality flags\n")[1].split("\n#")[0]
    rows = re.findall(r"^\| `(\w+)` \| (.*) \|$", section, flags=re.M)
    assert [flag for flag, _ in rows] == list(FLAGS)
    assert [line for _, line in rows] == [g.summary for g in GUIDE]
    assert "(docs/flags.md)" in section
    assert "--status open" in section


def test_the_page_shows_only_contract_columns():
    for table, columns in _SHOWN.items():
        assert set(columns) <= set(TABLES[table].column_names), table


def test_examples_hold_no_birth_date_and_no_names():
    for entry in GUIDE:
        for example in (entry.example, *(m.example for m in entry.near_misses)):
            (case,) = example.tables["cases"]
            assert "child_birth_month" not in case
            assert set(example.tables) <= set(TABLES)
            for rows in example.tables.values():
                for row in rows:
                    assert not {"supervisor", "worker", "decided_by", "judged_by"} & set(row)


def test_a_bar_in_a_cell_is_escaped_and_a_line_break_kept_on_one_line():
    assert _cell("a|b\nc") == "a\\|b c"
    assert _cell(None) == ""


def test_guide_for_an_unknown_flag_names_the_flags():
    assert guide_for("late_assessment").subject == "C1"
    with pytest.raises(KeyError, match="'late' is not a flag; the flags are escalation_on_belief"):
        guide_for("late")
