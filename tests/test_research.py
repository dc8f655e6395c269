"""Research functions on hand-made data with known answers, and the research notebook."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SYNTHETIC
from test_proportionality import ASSESSED, build, dec, ev, jud

import casekit
from casekit import research
from casekit.proportionality import flags


@pytest.fixture
def cb(tmp_path):
    events = [ASSESSED, ev("E1", "2024-01-10", "views_expressed"), ev("E2", "2024-01-11", "harm")]
    decisions = [
        dec("D1", "2024-02-01", "child_in_need", "E1", engaged="no"),
        dec("D2", "2024-02-20", "early_help", "E1"),
        dec("D3", "2024-05-01", "section_47", "E2", lead="police"),
    ]
    return build(tmp_path, events, decisions, [jud("J1", "2024-06-01", 8)])


def test_wilson_known_values():
    low, high = research.wilson(np.array([0, 10]), np.array([10, 10]))
    assert low[0] == 0 and round(high[0], 3) == 0.278
    assert round(low[1], 3) == 0.722 and high[1] == pytest.approx(1.0)


def test_decision_profiles(cb):
    d = research.decision_profiles(cb).set_index("decision_id")
    assert d.loc["D1", "profile"] == research.WEAK and d.loc["D1", "escalates"]
    assert d.loc["D2", "profile"] == research.WEAK and not d.loc["D2", "escalates"]
    assert d.loc["D3", "profile"] == research.STRONG and d.loc["D3", "escalates"]
    assert set(d["group"]) == {research.GROUP_RADICALISATION}


def test_escalation_trends_and_suppression(cb):
    t = research.escalation_trends(cb, period="Q", suppress=False).set_index(["period", "profile"])
    row = t.loc[("2024Q1", research.WEAK)]
    assert (row["decisions"], row["escalations"], row["rate"]) == (2, 1, 0.5)
    s = research.escalation_trends(cb, period="Q", suppress=True)
    assert set(s["decisions"]) == {"c"} and s["rate"].isna().all()


def test_flags_over_time(cb):
    f = flags(cb, as_of="2024-12-31")
    per = research.flags_over_time(cb, f, by="quarter", suppress=False)
    assert per.loc["2024Q1", "decisions"] == 2
    assert per.loc["2024Q1", "escalation_on_belief_or_views"] == 50.0  # 1 of 2 decisions
    assert per.loc["2024Q2", "police_led_statutory_step"] == 100.0
    with pytest.raises(casekit.CasekitError, match="choose 'quarter' or 'team'"):
        research.flags_over_time(cb, f, by="month")


def test_response_patterns(cb):
    p = research.response_patterns(cb, suppress=False, as_of="2024-12-31")
    police = p["police_led"].set_index("group").loc[research.GROUP_RADICALISATION]
    assert (police["statutory_steps"], police["police_led"]) == (1, 1)
    engaged = p["family_engaged"].set_index("group").loc[research.GROUP_RADICALISATION]
    assert (engaged["escalations"], engaged["family_engaged"]) == (2, 1)
    wait = p["step_down_wait"].set_index("group").loc[research.GROUP_RADICALISATION]
    assert (wait["stretches"], wait["stepped_down"]) == (1, 0)  # D3 runs on, judged 8


def test_a_casebook_without_decisions(tmp_path):
    empty = build(tmp_path / "empty", [ASSESSED])
    patterns = research.response_patterns(empty, suppress=False, as_of="2024-12-31")
    assert all(table.empty for table in patterns.values())
    assert flags(empty, as_of="2024-12-31").empty


def test_equity_and_its_suppression():
    cb = casekit.load(SYNTHETIC)
    table = research.equity(cb, by="child_religion", suppress=False).set_index("child_religion")
    assert table.loc["muslim", "rate"] > table.loc["none", "rate"]  # built into the data
    hidden = research.equity(cb, by="child_religion", suppress=True)
    small = table["escalations"].between(1, 5)
    assert (hidden.set_index("child_religion").loc[small[small].index, "escalations"] == "c").all()
    with pytest.raises(casekit.CasekitError, match="choose one of"):
        research.equity(cb, by="postcode")


def test_published_table_matches_calibration():
    table = research.published_table(casekit.load(SYNTHETIC))
    assert set(table["measure"]) == {"referral_source", "ideology"}
    assert table["difference"].abs().max() <= 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"data": ""}, "parameter data"),
        ({"data": "x", "start": "01/01/2024"}, "parameter start"),
        ({"data": "x", "start": "2024-06-01", "end": "2024-01-01"}, "is after"),
        ({"data": "x", "grouping": "postcode"}, "parameter grouping"),
    ],
)
def test_notebook_parameters_are_checked(args, message):
    with pytest.raises(casekit.CasekitError, match=message):
        research.check_parameters(**args)
