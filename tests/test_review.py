"""Team caseload reviews: each section on a hand-made bundle with known answers, then the
whole `casekit review` run (HTML, tables, index, failures, suppression, bad parameters)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from attacker import RAD, read_review, read_table, recovered
from conftest import ROOT, SYNTHETIC, write_csv_bundle
from test_casework import action as act

import casekit
from casekit.cli import main
from casekit.errors import CasekitError
from casekit.privacy.check import check_path
from casekit.review import sections as review

SCRIPT = '<script>alert("x")</script> The visit went well'


def ev(eid, case, date, category, kind="visit", summary="s", recorded=""):
    return {
        "event_id": eid,
        "case_id": case,
        "date": date,
        "recorded_on": recorded or date,
        "source_agency": "social_care",
        "kind": kind,
        "summary": summary,
        "category": category,
        "level": "child",
    }


def case(cid, team, worker, opened, flags, source, closed=""):
    return {
        "case_id": cid,
        "child_id": "K" + cid,
        "team_id": team,
        "worker_id": worker,
        "opened": opened,
        "closed": closed,
        "referral_source": source,
        "concern_flags": flags,
    }


TABLES = {
    "teams": [{"team_id": "T1", "team_name": "North"}, {"team_id": "T2", "team_name": "South"}],
    "workers": [
        {"worker_id": "W1", "team_id": "T1", "role": "social_worker", "fte": "0.5"},
        {"worker_id": "W2", "team_id": "T1", "role": "team_manager", "fte": "1"},
        {"worker_id": "W9", "team_id": "T2", "role": "social_worker", "fte": "1"},
    ],
    "cases": [
        case("C1", "T1", "W1", "2024-01-08", "radicalisation", "education"),
        case("C2", "T1", "W1", "2024-03-04", "neglect", "police"),
        case("C3", "T1", "", "2024-06-03", "radicalisation", "community"),
        case("C4", "T1", "W2", "2023-01-02", "neglect", "health", closed="2023-06-30"),
        case("C9", "T2", "W9", "2024-05-01", "neglect", "health"),
    ],
    "events": [
        ev("E1", "C1", "2024-01-09", "views_expressed", kind="referral"),
        ev("E2", "C1", "2024-01-09", "agency_action", kind="assessment"),
        ev("E5", "C1", "2024-11-01", "protective", summary=SCRIPT),
        ev("E3", "C2", "2024-03-04", "harm", kind="referral"),
        ev("E4", "C2", "2024-03-25", "agency_action", kind="assessment"),
        ev("E6", "C3", "2024-06-03", "views_expressed", kind="referral"),
        ev("E7", "C4", "2023-01-03", "agency_action", kind="assessment"),
        ev("E9", "C9", "2024-05-02", "agency_action", kind="assessment"),
    ],
    "decisions": [
        {
            "decision_id": "D1",
            "case_id": "C1",
            "date": "2024-02-01",
            "response": "child_in_need",
            "lead_agency": "social_care",
            "family_engaged": "no",
            "evidence_ids": "E1",
        },
        {
            "decision_id": "D2",
            "case_id": "C2",
            "date": "2024-04-01",
            "response": "child_in_need",
            "lead_agency": "social_care",
            "family_engaged": "yes",
            "evidence_ids": "E3",
        },
    ],
    "plan_actions": [
        {
            "action_id": "A1",
            "case_id": "C1",
            "created": "2024-02-02",
            "description": "Mentoring",
            "level": "child",
            "owner_agency": "education",
            "evidence_ids": "E1",
        },
        {
            "action_id": "A2",
            "case_id": "C2",
            "created": "2024-04-02",
            "description": "Parenting support",
            "level": "family",
            "owner_agency": "social_care",
            "evidence_ids": "",
        },
    ],
    "info_sharing": [
        {
            "share_id": "S1",
            "case_id": "C1",
            "date": "2024-01-12",
            "from_agency": "police",
            "to_agency": "social_care",
            "purpose": "assessment",
            "lawful_basis": "not_recorded",
            "consent": "given",
            "not_sought_reason": "",
        },
        {
            "share_id": "S2",
            "case_id": "C2",
            "date": "2024-03-10",
            "from_agency": "health",
            "to_agency": "social_care",
            "purpose": "assessment",
            "lawful_basis": "public_task",
            "consent": "not_sought",
            "not_sought_reason": "",
        },
        {
            "share_id": "S3",
            "case_id": "C2",
            "date": "2024-05-01",
            "from_agency": "social_care",
            "to_agency": "education",
            "purpose": "plan",
            "lawful_basis": "public_task",
            "consent": "given",
            "not_sought_reason": "",
        },
    ],
    "supervisions": [{"supervision_id": "SV1", "case_id": "C1", "date": "2024-12-01"}],
}
AS_OF = "2024-12-31"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return write_csv_bundle(tmp_path_factory.mktemp("review") / "bundle", TABLES)


@pytest.fixture(scope="module")
def built(bundle) -> review.Review:
    cb = casekit.load(bundle)
    return review.build(cb, review.scope_for(cb, "T1", start="2024-01-01", as_of=AS_OF))


def table(r: review.Review, key: str) -> pd.DataFrame:
    found = [t for t in r.tables() if t.key == key]
    assert found, key
    return found[0].frame


def row(frame: pd.DataFrame, first: str) -> dict:
    return frame[frame.iloc[:, 0].astype(str) == first].iloc[0].to_dict()


# --- the sections, with known answers ----------------------------------------------------------


def test_scope_defaults_and_bad_parameters(bundle):
    cb = casekit.load(bundle)
    s = review.scope_for(cb, "T1")
    assert (s.as_of, s.end, s.start) == (
        pd.Timestamp("2024-12-01"),  # the latest date in the data (the supervision)
        pd.Timestamp("2024-12-01"),
        pd.Timestamp("2023-12-02"),
    )
    assert s.team_name == "North"
    with pytest.raises(CasekitError, match=r"team: 'T3' is not a team.*teams are: T1, T2"):
        review.scope_for(cb, "T3")
    with pytest.raises(CasekitError, match=r"did you mean 'T1'"):
        review.scope_for(cb, "t1")
    with pytest.raises(CasekitError, match=r"start: '2024-13-01' is not a date; write it as"):
        review.scope_for(cb, "T1", start="2024-13-01")
    with pytest.raises(CasekitError, match=r"2024-06-01 is after 2024-05-01"):
        review.scope_for(cb, "T1", start="2024-06-01", end="2024-05-01", as_of="2024-06-30")
    with pytest.raises(CasekitError, match=r"end: 2024-12-31 is after the as-of date"):
        review.scope_for(cb, "T1", end="2024-12-31", as_of="2024-06-30")


def test_caseload(built):
    per_worker = table(built, "caseload_by_worker")
    w1 = row(per_worker, "W1")
    assert (w1["radicalisation"], w1["other safeguarding"], w1["Total"]) == ("1", "1", "2")
    assert w1["fte"] == 0.5 and w1["cases per FTE"] == 4.0
    assert row(per_worker, "W2")["Total"] == "0"  # C4 closed before the as-of date
    assert "W9" not in set(per_worker["worker_id"])  # another team's worker
    # W2 is a team manager: the Total divides by the case-holding FTE only (W1's 0.5)
    total = row(per_worker, "Total")
    assert (total["role"], total["fte"], total["cases per FTE"]) == ("case-holding FTE", 0.5, 4.0)
    assert row(per_worker, "W2")["role"] == "team_manager"
    unallocated = table(built, "unallocated_cases")
    assert unallocated["case_id"].tolist() == ["C3"]
    assert unallocated["case type"].tolist() == ["radicalisation"]
    assert row(table(built, "unallocated_count"), "unallocated")["radicalisation"] == "1"


def test_flow(built):
    source = table(built, "referrals_by_source")
    assert row(source, "education")["radicalisation"] == "1"
    assert row(source, "police")["other safeguarding"] == "1"
    assert row(source, "Total")["Total"] == "3"  # C4 was referred before the period
    outcomes = table(built, "outcomes")
    assert outcomes.iloc[:, 0].tolist() == ["child_in_need", "no social-care decision yet", "Total"]
    assert row(outcomes, "child_in_need")["Total"] == "2"
    channel = table(built, "channel_support")
    assert row(channel, "adopted for Channel support")["Total"] == "0"
    assert row(channel, "no Channel support recorded")["Total"] == "3"


def channel_decision(did, cid, date, lead="multi_agency"):
    return {"decision_id": did, "case_id": cid, "date": date, "response": "channel_support",
            "lead_agency": lead, "family_engaged": "yes", "evidence_ids": ""}  # fmt: skip


def test_channel_is_its_own_track_beside_the_social_care_outcomes(tmp_path):
    tables = {k: [dict(r) for r in v] for k, v in TABLES.items()}
    tables["decisions"] += [
        channel_decision("D3", "C1", "2024-03-01"),  # after child in need: still child in need
        channel_decision("D4", "C3", "2024-07-01"),  # Channel only: no social-care decision
        channel_decision("D5", "C2", "2025-01-15"),  # after the as-of date: not known yet
    ]
    cb = casekit.load(write_csv_bundle(tmp_path / "b", tables))
    r = review.build(cb, review.scope_for(cb, "T1", start="2024-01-01", as_of=AS_OF))
    outcomes = table(r, "outcomes")
    assert outcomes.iloc[:, 0].tolist() == ["child_in_need", "no social-care decision yet", "Total"]
    assert (row(outcomes, "child_in_need")["radicalisation"], row(outcomes, "child_in_need")[
        "other safeguarding"]) == ("1", "1")  # fmt: skip
    assert row(outcomes, "no social-care decision yet")["radicalisation"] == "1"  # C3
    assert "channel_support" not in set(outcomes.iloc[:, 0])
    channel = [t for t in r.section("flow").tables if t.key == "channel_support"][0]
    adopted = row(channel.frame, "adopted for Channel support")
    assert (adopted["radicalisation"], adopted["other safeguarding"], adopted["Total"]) == (
        "2", "0", "2")  # fmt: skip
    assert row(channel.frame, "no Channel support recorded")["other safeguarding"] == "1"  # C2
    assert row(channel.frame, "Total")["Total"] == row(table(r, "referrals_by_source"), "Total")[
        "Total"]  # fmt: skip
    assert "voluntary" in channel.note and "consent" in channel.note
    assert "beside" in channel.note and "not as a step" in channel.note
    # a Channel decision neither raises nor lowers: no new flag, no new escalation counted
    measures = table(r, "practice_measures").set_index("measure")
    assert measures.loc["decisions raising the response that cite evidence", "of"] == 2
    esc = table(r, "escalation_by_evidence")  # social-care decisions only, as before
    assert esc["decisions"].sum() == 2 and esc["escalations"].sum() == 2
    assert "C3" not in set(table(r, "flagged_cases").query("flag != 'late_assessment'")["case_id"])


def test_timeliness(built):
    summary = table(built, "first_assessment_summary")
    everyone = row(summary, "all")
    assert (everyone["referrals"], everyone["assessed"], everyone["within 10 working days"]) == (
        3,
        2,
        1,
    )
    assert everyone["within 10 days %"] == 33.0
    assert everyone["median working days"] == 8.0  # 1 (C1) and 15 (C2)
    waits = table(built, "first_assessment_wait")
    assert row(waits, "0-5")["radicalisation"] == "1"
    assert row(waits, "11-20")["other safeguarding"] == "1"
    assert row(waits, "not yet assessed")["radicalisation"] == "1"
    duration = table(built, "assessment_duration")
    # C1: assessed 9 Jan, decided 1 Feb (17 working days); C2: 25 Mar to 1 Apr (3: Easter)
    assert row(duration, "0-20")["Total"] == "2"
    assert row(duration, "Total")["Total"] == "2"  # C3 has no assessment to time
    took = review.first_assessments(casekit.load(SYNTHETIC), built.scope)["took"].dropna()
    assert len(took) and took.ge(0).all()


def test_proportionality(built):
    arose = table(built, "flags_arising")
    assert arose.columns[0] == "flag (arose in the period)"
    assert arose.iloc[:-1, 0].tolist() == list(casekit.analysis.proportionality.FLAGS)  # all twelve
    assert row(arose, "escalation_on_belief_or_views")["radicalisation"] == "1"
    assert row(arose, "family_not_engaged")["radicalisation"] == "1"
    late = row(arose, "late_assessment")
    assert (late["radicalisation"], late["other safeguarding"]) == ("1", "1")  # C3 never; C2
    assert row(arose, "plan_not_linked")["other safeguarding"] == "1"
    assert row(arose, "sharing_without_basis")["Total"] == "2"
    assert row(arose, "Total")["Total"] == "7"
    now = table(built, "flags_open")
    assert now.columns[0] == "flag (open now)"
    # C2 was assessed (late) on 25 Mar: that flag is history, counted as arising, not open
    late = row(now, "late_assessment")
    assert (late["radicalisation"], late["other safeguarding"]) == ("1", "0")
    assert row(now, "Total")["Total"] == "6"
    flagged = table(built, "flagged_cases")
    assert {"C1", "C2", "C3"} == set(flagged["case_id"])
    assert flagged.columns.tolist()[:3] == ["arose on", "case_id", "worker_id"]
    assert ("C2", "late_assessment") not in set(
        zip(flagged["case_id"], flagged["flag"], strict=True)
    )
    assert flagged["arose on"].tolist() == [
        "2024-01-12",  # S1 shared without a lawful basis
        "2024-02-01",  # D1: family not engaged, and belief or views
        "2024-02-01",
        "2024-03-10",  # S2
        "2024-04-02",  # A2 plan action
        "2024-06-18",  # C3 opened Mon 3 Jun: the 11th working day after, past the limit of 10
    ]
    belief = flagged[flagged["flag"] == "escalation_on_belief_or_views"].iloc[0]
    assert "E1 (views expressed" in belief["reason"] and belief["worker_id"] == "W1"
    assert flagged.loc[flagged["case_id"] == "C3", "worker_id"].iloc[0] == "unallocated"
    assert (built.headline["flags arising in the period"], built.headline["flags open now"]) == (
        7,
        6,
    )
    esc = table(built, "escalation_by_evidence")
    weak = esc[(esc["case type"] == "radicalisation")].iloc[0]
    assert weak["evidence it rests on"] == "belief or views only"  # D1 rests on E1, views
    assert (weak["decisions"], weak["escalations"], weak["escalated %"]) == (1, 1, 100)
    assert isinstance(weak["escalated %"], int | np.integer)  # a whole number, not 100.0
    other = esc[(esc["case type"] == "other safeguarding")].iloc[0]
    assert other["evidence it rests on"] == "harm"  # D2 rests on E3, harm
    police = table(built, "police_led")
    assert police["statutory steps"].tolist() == [0, 0]


def test_practice_and_governance(built):
    measures = table(built, "practice_measures").set_index("measure")
    assert measures.loc[
        "plan actions that name a worry or strength they answer", ["yes", "of"]
    ].tolist() == [1, 2]
    assert measures.loc["decisions raising the response that cite evidence", "yes"] == 2
    engaged = measures.loc[
        "escalations to child in need or above with the family met and heard first"
    ]
    assert (engaged["yes"], engaged["of"], engaged["share %"]) == (1, 2, 50.0)
    supervised = measures.loc["open cases discussed in supervision in the last 90 days"]
    assert (supervised["yes"], supervised["of"]) == (1, 3)
    currency = table(built, "chronology_currency").set_index("case_id")
    assert currency.loc["C1", "days since last entry"] == 60
    assert currency.loc["C1", "last entry summary"] == SCRIPT
    assert currency.loc["C1", "days since supervision"] == 30
    gov = table(built, "governance").set_index("sharing records with")
    assert gov.loc["a purpose", "yes"] == 3
    assert gov.loc["a lawful basis", "yes"] == 2
    consistent = "all three, and consent given wherever it is the lawful basis"
    assert gov.loc[consistent, ["yes", "of", "share %"]].tolist() == [1, 3, 33.0]
    refused = "consent refused, with why sharing was still necessary recorded"
    assert gov.loc[refused, ["yes", "of"]].tolist() == [0, 0]
    gaps = table(built, "governance_gaps")
    assert gaps["share_id"].tolist() == ["S1", "S2"]  # oldest first
    assert gaps["arose on"].tolist() == ["2024-01-12", "2024-03-10"]
    assert gaps["worker_id"].tolist() == ["W1", "W1"]


def test_dynamics_counts_rising_and_falling_open_cases(tmp_path):
    tables = {k: [dict(r) for r in v] for k, v in TABLES.items()}
    tables["judgements"] = [
        {"judgement_id": f"J{i}", "case_id": c, "date": d, "level": "child", "safety_scale": s}
        for i, (c, d, s) in enumerate(
            [
                ("C1", "2024-03-01", "3"),
                ("C1", "2024-06-01", "5"),
                ("C1", "2024-09-01", "8"),  # rising
                ("C2", "2024-03-01", "8"),
                ("C2", "2024-06-01", "6"),
                ("C2", "2024-09-01", "2"),  # falling
                ("C3", "2024-06-10", "2"),
                ("C3", "2024-09-10", "9"),  # two judgements: too few to state a trend
                ("C4", "2023-02-01", "1"),
                ("C4", "2023-03-01", "5"),
                ("C4", "2023-05-01", "9"),  # closed: not counted
            ]
        )
    ]
    cb = casekit.load(write_csv_bundle(tmp_path / "b", tables))
    r = review.build(cb, review.scope_for(cb, "T1", as_of=AS_OF))
    counts = table(r, "safety_trends")
    child = row(counts, "child")
    assert (child["rising"], child["falling"], child["too few judgements"]) == ("1", "1", "1")
    assert child["Total"] == "3"
    assert set(table(r, "safety_trend_cases")["case_id"]) == {"C1", "C2"}
    assert "fewer than 3 judgements" in next(t for t in r.tables() if t.key == "safety_trends").note
    # the parameter: with 2 judgements allowed, C3 rises
    r2 = review.build(cb, review.scope_for(cb, "T1", as_of=AS_OF, min_judgements=2))
    two = row(table(r2, "safety_trends"), "child")
    assert (two["rising"], two["falling"], two["too few judgements"]) == ("2", "1", "0")


def test_a_flag_from_before_the_period_is_open_now_but_did_not_arise_in_it(bundle):
    cb = casekit.load(bundle)
    r = review.build(cb, review.scope_for(cb, "T1", start="2024-03-01", as_of=AS_OF))
    arose, now = table(r, "flags_arising"), table(r, "flags_open")
    # D1 (1 Feb 2024) and S1 (12 Jan) are before the period; C2's late assessment (arose 19
    # Mar, ten working days after 4 Mar) is in it but past: C2 was assessed on 25 Mar
    assert row(arose, "escalation_on_belief_or_views")["Total"] == "0"
    assert row(now, "escalation_on_belief_or_views")["Total"] == "1"
    assert (row(arose, "sharing_without_basis")["Total"], row(now, "sharing_without_basis")[
        "Total"]) == ("1", "2")  # fmt: skip
    assert (row(arose, "late_assessment")["Total"], row(now, "late_assessment")["Total"]) == (
        "2",
        "1",
    )
    assert "1 Mar 2024 to 31 Dec 2024" in [t for t in r.tables() if t.key == "flags_arising"][
        0].title  # fmt: skip
    assert r.headline["flags arising in the period"] == 4
    assert r.headline["flags open now"] == 6  # the same as for a period from January
    assert table(r, "flagged_cases")["arose on"].iloc[0] == "2024-01-12"  # listed: still open


def judged(jid, cid, date, scale):
    return [
        {"judgement_id": f"{jid}-{level}", "case_id": cid, "date": date, "level": level,
         "safety_scale": str(scale)}
        for level in ("child", "family", "community")
    ]  # fmt: skip


def test_step_downs_due_count_and_list_open_ones_only(tmp_path):
    tables = {k: [dict(r) for r in v] for k, v in TABLES.items()}
    # C1: child in need since 1 Feb 2024, judged safe on 1 Mar: due on the 91st day, 2 May,
    # and still due at the as-of date. C2: child in need since 1 Apr, judged safe on 15 Apr:
    # due on 1 Jul, stepped down to early help on 1 Sep, so that one is history.
    tables["judgements"] = judged("J1", "C1", "2024-03-01", 8) + judged("J2", "C2", "2024-04-15", 9)
    tables["decisions"].append(
        {"decision_id": "D6", "case_id": "C2", "date": "2024-09-01", "response": "early_help",
         "lead_agency": "social_care", "family_engaged": "yes", "evidence_ids": "E4"}
    )  # fmt: skip
    cb = casekit.load(write_csv_bundle(tmp_path / "b", tables))
    r = review.build(cb, review.scope_for(cb, "T1", start="2024-01-01", as_of=AS_OF))
    assert row(table(r, "flags_arising"), "step_down_due")["Total"] == "2"
    assert row(table(r, "flags_open"), "step_down_due")["Total"] == "1"
    assert r.headline["step-downs due now"] == 1
    due = table(r, "step_downs_due")
    listed = due[["due since", "case_id", "worker_id"]]
    assert listed.values.tolist() == [["2024-05-02", "C1", "W1"]]
    # the list agrees with proportionality.step_downs_due: C1's stretch is the one still open
    stretches = casekit.analysis.proportionality.step_downs_due(cb, as_of=AS_OF)
    assert stretches[["case_id", "due", "open"]].values.tolist() == [
        ["C1", pd.Timestamp("2024-05-02"), True],
        ["C2", pd.Timestamp("2024-07-01"), False],
    ]
    assert due["days due"].tolist() == [243]  # 2 May to 31 Dec 2024
    since = "The response has been at child in need or above since 2024-02-01 (334 days by "
    assert due["reason"].iloc[0].startswith(since + "2024-12-31)")
    assert due["reason"].iloc[0].endswith("a step-down is due (since 2024-05-02).")
    flagged = table(r, "flagged_cases")
    assert ("C1", "step_down_due") in set(zip(flagged["case_id"], flagged["flag"], strict=True))
    assert ("C2", "step_down_due") not in set(zip(flagged["case_id"], flagged["flag"], strict=True))
    title = [t for t in r.tables() if t.key == "step_downs_due"][0].title
    assert title == "For supervision: step-downs due on 31 Dec 2024, longest due first"


def test_suppressed_sections_hide_small_counts_and_case_lists(bundle):
    cb = casekit.load(bundle)
    r = review.build(cb, review.scope_for(cb, "T1", as_of=AS_OF, suppress=True))
    assert all(t.frame.empty for t in r.tables() if t.case_level)
    checked = 0
    for t in r.tables():
        for column in t.counts:
            values = pd.to_numeric(t.frame[column], errors="coerce")
            assert not values.between(1, 5).any(), (t.key, column)
            checked += len(values)
    assert checked > 100
    assert r.headline["open cases"] == "c"


# --- the whole run ------------------------------------------------------------------------------


def review_cli(bundle: Path, out: Path, *options: str) -> int:
    """Run `casekit review` on a bundle into a folder, with more options."""
    return main(["review", "--data", str(bundle), "--out", str(out), *options])


@pytest.fixture(scope="module")
def reports(bundle, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reports")
    code = review_cli(
        bundle, out, "--team", "T1,T2", "--as-of", AS_OF, "--from", "2024-01-01", "--jobs", "2"
    )
    assert code == 0
    return out


def test_review_writes_pages_tables_and_index(reports):
    from casekit.render.page import CSP, css

    page = (reports / "T1.html").read_text()
    assert "Caseload review: North (T1)" in page
    for case_id in ("C1", "C2", "C3"):
        assert f">{case_id}<" in page  # the supervisor's list and the unallocated list
    assert "33" in page  # assessed within 10 working days, %
    assert "review_report" not in page and "open_review" not in page  # no code
    assert "<script" not in page.lower()
    assert '&lt;script&gt;alert("x")&lt;/script&gt; The visit went well' in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    # every count is 0-3 and every table has few rows: each is shown as a table, not drawn
    assert page.count('src="data:image/png;base64,') == 0
    assert "<h2>What needs attention</h2>" in page.split("<h2>Caseload</h2>")[0]
    tables = reports / "T1" / "tables"
    assert (tables / "T1.xlsx").stat().st_size > 0
    flags = pd.read_csv(tables / "flagged_cases.csv")
    assert set(flags["case_id"]) == {"C1", "C2", "C3"}
    assert flags.columns.tolist()[:3] == ["arose on", "case_id", "worker_id"]
    for heading in (
        "Proportionality flags that arose in the period, 1 Jan 2024 to 31 Dec 2024",
        "Proportionality flags open on 31 Dec 2024",
        "For supervision: flags open on 31 Dec 2024, oldest first",
        "How far up the social-care response ladder each referral went",
        "Referrals adopted for Channel support, beside social care",
    ):
        assert f"<h3>{heading}</h3>" in page, heading
    assert "Channel is voluntary and needs consent" in page
    headline = json.loads((tables / "headline.json").read_text())
    assert (headline["flags arising in the period"], headline["flags open now"]) == (7, 6)
    assert headline["step-downs due now"] == 0
    assert (reports / "T1" / "review.ipynb").exists()
    index = (reports / "index.html").read_text()
    assert 'href="T1.html"' in index and 'href="T2.html"' in index
    for written in (page, index):  # casekit's one page shell, with its policy and style sheet
        assert '<body class="review">\n<main>' in written and "</main>\n<footer>" in written
        assert f'content="{CSP}"' in written and f"<style>\n{css()}</style>" in written
    assert json.loads((tables / "headline.json").read_text())["referrals"] == 3


def test_review_page_loads_nothing_from_the_network(reports):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page()
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto((reports / "T1.html").as_uri())
        assert page.locator("h1").first.inner_text().startswith("Caseload review: North")
        shown = page.locator("img.figure").evaluate_all("els => els.map(e => e.naturalWidth)")
        browser.close()
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    assert shown == []  # small tables are not drawn (see the synthetic team's figures below)


def test_figures_are_drawn_only_for_big_enough_tables_with_real_alt_text(tmp_path):
    from playwright.sync_api import sync_playwright

    from casekit.review import report as review_report
    from casekit.review.run import _page

    cb = casekit.load(SYNTHETIC)
    r = review.build(cb, review.scope_for(cb, "T01"))
    drawn = review_report.figures(r.section("caseload"))
    assert len(drawn) == 1  # 3 workers, 2 case types: 6 bars, the largest 12
    _, alt, caption = drawn[0]
    per_worker = table(r, "caseload_by_worker")
    w2 = row(per_worker, "W002")
    assert f"W002: {w2['radicalisation']} radicalisation, {w2['other safeguarding']} other" in alt
    assert alt.startswith("Bar chart of open cases: Open cases per worker")
    assert caption.startswith("Figure: Open cases per worker")
    # escalation by evidence: 5 rows in T01 are drawn; T05's 4 (fewer than 5 bars) are a
    # table only
    assert len(table(r, "escalation_by_evidence")) == 5
    assert len(review_report.figures(r.section("proportionality"))) == 1
    t05 = review.build(cb, review.scope_for(cb, "T05"))
    assert len(table(t05, "escalation_by_evidence")) == 4
    assert review_report.figures(t05.section("proportionality")) == []
    html_page = tmp_path / "t01.html"
    html_page.write_text(_page("t", review_report.section_html(r.section("caseload"))))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page()
        page.goto(html_page.as_uri())
        images = page.locator("figure img.figure")
        widths = images.evaluate_all("els => els.map(e => e.naturalWidth)")
        alts = images.evaluate_all("els => els.map(e => e.alt)")
        captions = page.locator("figure figcaption").all_inner_texts()
        browser.close()
    assert len(widths) == 1 and widths[0] > 100  # the figure decodes
    assert alts == [alt] and captions == [caption]


def test_small_tables_are_not_worth_drawing():
    from casekit.review.figures import worth_drawing

    def counts(*rows):
        frame = pd.DataFrame(
            [(f"r{i}", a, b) for i, (a, b) in enumerate(rows)] + [("Total", "9", "9")],
            columns=["k", "radicalisation", "other safeguarding"],
        )
        return review.Table("k", "t", frame)

    both = ["radicalisation", "other safeguarding"]
    assert not worth_drawing(counts(("0", "2"), ("1", "2"), ("2", "0")), both)  # all <= 2
    assert worth_drawing(counts(("0", "3"), ("1", "2"), ("2", "0")), both)  # 6 bars, a 3
    assert not worth_drawing(counts(("7", "9"), ("8", "c")), ["radicalisation"])  # 2 bars
    assert not worth_drawing(counts(("7", "9")), both)  # one row


def test_a_failing_team_is_named_and_the_others_are_written(bundle, tmp_path, capsys):
    out = tmp_path / "out"
    code = review_cli(
        bundle, out, "--team", "T1,T2", "--as-of", AS_OF, "--jobs", "2",
        "--notebook", str(broken_notebook(tmp_path)),
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert "team T2: failed: the review stopped in cell" in err
    assert "RuntimeError: the T2 extract is locked" in err
    assert (out / "T1.html").exists() and not (out / "T2.html").exists()
    index = (out / "index.html").read_text()
    assert "failed:" in index and 'href="T1.html"' in index


def broken_notebook(folder: Path) -> Path:
    """The review notebook with a cell that fails for team T2 only."""
    import nbformat

    book = nbformat.read(review_notebook(), as_version=4)
    book.cells.insert(
        3,
        nbformat.v4.new_code_cell(
            'if team == "T2":\n    raise RuntimeError("the T2 extract is locked")'
        ),
    )
    broken = folder / "broken.ipynb"
    nbformat.write(book, broken)
    return broken


def kernels_running() -> list[str]:
    """The ipykernel processes this test process started and has not stopped."""
    me, found = str(os.getpid()), []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().decode(errors="replace")
        except OSError:  # the process ended while we looked
            continue
        if fields[1] == me and "ipykernel" in cmdline:
            found.append(cmdline)
    return found


def test_one_kernel_reviews_team_after_team_as_fresh_kernels_would(bundle, tmp_path, reports):
    out = tmp_path / "out"
    assert (
        review_cli(
            bundle, out, "--team", "T2,T1", "--as-of", AS_OF, "--from", "2024-01-01", "--jobs", "1"
        )
        == 0
    )
    # T1 ran second on a kernel that had reviewed T2; `reports` ran it on a kernel of its own
    for alone in sorted((reports / "T1" / "tables").glob("*.csv")):
        after = out / "T1" / "tables" / alone.name
        assert after.read_text() == alone.read_text(), alone.name
    assert (out / "T1" / "tables" / "headline.json").read_text() == (
        reports / "T1" / "tables" / "headline.json"
    ).read_text()
    assert kernels_running() == []


def test_a_team_after_a_failed_one_gets_a_fresh_kernel(bundle, tmp_path, capfd):
    out = tmp_path / "out"
    code = review_cli(
        bundle, out, "--team", "T2,T1", "--as-of", AS_OF, "--jobs", "1",
        "--notebook", str(broken_notebook(tmp_path)),
    )  # fmt: skip
    err = capfd.readouterr().err
    assert code == 1 and "team T2: failed: the review stopped in cell 5 of T2/review.ipynb" in err
    assert ">C1<" in (out / "T1.html").read_text()
    assert "without encryption" not in err  # kernels talk over local sockets, not TCP
    assert kernels_running() == []


def test_a_team_that_fails_before_its_notebook_runs_does_not_hold_up_the_others(
    bundle, tmp_path, capsys
):
    out = tmp_path / "out"
    out.mkdir()  # an earlier run's folder, whose T1 has since become a file
    manifest = {"written_by": "casekit", "kind": "reviews", "entries": ["T1"]}
    (out / ".casekit-manifest.json").write_text(json.dumps(manifest))
    (out / "T1").write_text("a file where T1's folder should go")
    assert review_cli(bundle, out, "--team", "T1,T2", "--as-of", AS_OF, "--jobs", "1") == 1
    assert "team T1: failed: CasekitError" in capsys.readouterr().err
    assert (out / "T1").read_text() == "a file where T1's folder should go"
    assert (out / "T2.html").exists()  # on the same, single, kernel
    assert kernels_running() == []


def test_a_bundle_is_loaded_again_only_when_a_file_changes(bundle, tmp_path):
    from casekit.review import report as review_report

    copy = tmp_path / "bundle"
    shutil.copytree(bundle, copy)
    first = review_report._load(str(copy))
    assert review_report._load(str(copy)) is first
    teams = copy / "teams.csv"
    teams.write_text(teams.read_text().replace("North", "Northern"))
    again = review_report._load(str(copy))
    assert again is not first and "Northern" in set(again.teams["team_name"])


def review_notebook() -> Path:
    from casekit.review.run import NOTEBOOK

    return NOTEBOOK


def test_suppressed_run_shows_no_count_from_1_to_5(bundle, tmp_path, reports):
    out = tmp_path / "out"
    shutil.copytree(reports, out)  # an earlier, unsuppressed run into the same folder
    assert (out / "T1" / "tables" / "flagged_cases.csv").exists()
    assert review_cli(bundle, out, "--team", "T1", "--as-of", AS_OF, "--suppress") == 0
    r = review.build(
        casekit.load(bundle),
        review.scope_for(casekit.load(bundle), "T1", as_of=AS_OF, suppress=True),
    )
    counts = {t.key: t.counts for t in r.tables()}
    files = sorted((out / "T1" / "tables").glob("*.csv"))
    assert {f.stem for f in files} == {t.key for t in r.tables() if not t.case_level}
    seen = 0
    for f in files:
        frame = pd.read_csv(f, dtype=str)
        for column in counts[f.stem]:
            values = pd.to_numeric(frame[column], errors="coerce")
            assert not values.between(1, 5).any(), (f.name, column)
            seen += int((frame[column] == "c").sum())
    assert seen > 10  # suppression really happened
    page = re.sub(r'src="data:[^"]*"', "", (out / "T1.html").read_text())  # drop figures
    assert not re.search(r">C[1-4]<", page)  # no case lists leave the team
    assert "Withheld" in page
    for published in (out / "T1", out / "T1.html"):  # and the independent check agrees
        findings, files = check_path(published)
        assert findings == [] and files >= 1
    assert check_path(reports / "T1")[0]  # while the unsuppressed review does not pass it


# --- suppression as a whole: nothing hidden can be worked out from the whole review --------


@pytest.mark.slow
def test_suppressed_reviews_of_the_synthetic_data_give_nothing_away(tmp_path):
    out = tmp_path / "out"
    assert review_cli(SYNTHETIC, out, "--team", "T04,T05", "--suppress") == 0
    for team in ("T04", "T05"):
        cells, sums = read_review(out / team / "tables")
        hidden = [k for k, v in cells.items() if v is None]
        assert len(hidden) > 50
        assert recovered(cells, sums) == [], team  # not within a table, nor across them
        findings, _ = check_path(out / team)
        assert findings == []
        assert check_path(out / f"{team}.html")[0] == []
    summary = pd.read_csv(out / "T04" / "tables" / "first_assessment_summary.csv", dtype=str)
    wait = pd.read_csv(out / "T04" / "tables" / "first_assessment_wait.csv", dtype=str)
    band = wait.set_index("working days").loc["0-5", RAD]
    row = summary.set_index("case type").loc[RAD]
    # two radicalisation referrals, one assessed within 5 days: that count, the referrals,
    # and their median (which would be worked out from two children's waits) are hidden
    assert band == "c" and row["referrals"] == "c" and row["median working days"] == "c"


def _unlisted(publication, margin) -> bool:
    """Say whether a side of a sum names only rows its tables do not list (nobody fell in)."""
    return any(
        all(t in publication.rows and r not in publication.rows[t] for t, r, _ in side)
        for side in margin
    )


def test_every_shared_margin_holds_in_every_team_of_the_synthetic_data():
    from dataclasses import replace

    from casekit.privacy.margins import MARGINS

    cb = casekit.load(SYNTHETIC)
    for team in sorted(cb.teams["team_id"]):
        scope = review.scope_for(cb, team, suppress=True)
        shown = review.build(cb, scope)
        raw = review.build(cb, replace(scope, suppress=False))
        publication = review.publication(shown, raw)
        missing = [
            m for m in MARGINS if not publication.equate(*m) and not _unlisted(publication, m)
        ]
        assert missing == [], team  # a declared sum that does not hold would be left out
        assert publication.pinned() == [], team


def test_a_review_that_would_give_a_cell_away_is_not_built(monkeypatch):
    from casekit.privacy.disclosure import Publication

    monkeypatch.setattr(Publication, "protect", lambda self, high=5: [])  # a broken protect
    cb = casekit.load(SYNTHETIC)
    with pytest.raises(CasekitError, match="T05: suppression could not hide"):
        review.build(cb, review.scope_for(cb, "T05", suppress=True))


def test_suppressed_t06_outcomes_cannot_be_worked_out():
    cb = casekit.load(SYNTHETIC)
    r = review.build(cb, review.scope_for(cb, "T06", suppress=True))
    outcomes = table(r, "outcomes")
    assert (outcomes == "c").to_numpy().sum() >= 10
    cells, sums = read_table("outcomes", outcomes)
    assert recovered(cells, sums) == []


def _run(argv: list[str]) -> int:
    """Run the command as a shell would: argparse's own errors exit with 2 as well."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--team", "T7"], "team: 'T7' is not a team in the data"),
        (["--as-of", "2024-02-30"], "is not a date; write it as YYYY-MM-DD"),
        (["--from", "2024-12-01", "--to", "2024-11-01", "--as-of", AS_OF], "is after"),
        (["--data", "no/such/bundle"], "no such file or folder"),
        (["--seen-alone-days", "0"], "'0' must be 1 or more"),
        (["--seen-alone-days", "twenty"], "'twenty' is not a whole number"),
        (["--min-judgements", "1"], "min_judgements: 1 is not a whole number of at least 2"),
    ],
)
def test_bad_parameters_stop_before_any_kernel(bundle, tmp_path, capsys, args, message):
    out = tmp_path / "out"
    argv = ["review", "--out", str(out)] + ([] if "--data" in args else ["--data", str(bundle)])
    assert _run(argv + args) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()  # nothing written, no kernel started


# --- files and paths: team IDs, output folders, symlinks, modes ----------------------------------


def with_team_id(team_id: str) -> dict[str, list[dict[str, str]]]:
    """The review bundle's rows with team T1 renamed ``team_id`` everywhere."""
    rows = {name: [dict(r) for r in table] for name, table in TABLES.items()}
    for table in rows.values():
        for r in table:
            for k, v in r.items():
                if k == "team_id" and v == "T1":
                    r[k] = team_id
    return rows


@pytest.mark.parametrize("team_id", ["../../victim", "/abs/path", "a{}b", "javascript:alert(1)"])
def test_a_team_id_that_is_not_a_safe_file_name_is_refused_before_anything(
    tmp_path, capsys, team_id
):
    data = write_csv_bundle(tmp_path / "data", with_team_id(team_id))
    out = tmp_path / "deep" / "out"
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert review_cli(data, out, "--as-of", AS_OF) == 2
    err = capsys.readouterr().err
    assert repr(team_id) in err and "column 'team_id'" in err and "nothing was written" in err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert not Path("/abs").exists()
    assert kernels_running() == []


def test_index_links_are_quoted_file_names_never_urls_from_the_data():
    from casekit.review.run import page_href

    assert page_href("T-1.a") == "T-1.a.html"
    assert page_href("Équipe") == "%C3%89quipe.html"
    with pytest.raises(CasekitError):
        page_href("javascript:alert(1)")


def test_review_refuses_a_folder_with_a_users_files_or_a_file(bundle, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("my own page")
    assert review_cli(bundle, out, "--team", "T1", "--as-of", AS_OF) == 2
    err = capsys.readouterr().err
    assert "index.html" in err and "nothing was touched" in err
    assert [p.name for p in out.iterdir()] == ["index.html"]
    assert (out / "index.html").read_text() == "my own page"
    existing = tmp_path / "reviews.txt"
    existing.write_text("mine")
    assert review_cli(bundle, existing, "--team", "T1", "--as-of", AS_OF) == 2
    assert "is a file, where a folder is expected" in capsys.readouterr().err
    assert existing.read_text() == "mine"
    assert kernels_running() == []


def test_a_rerun_lists_its_files_and_writes_through_no_planted_symlink(
    bundle, reports, tmp_path, capsys
):
    out = tmp_path / "out"
    shutil.copytree(reports, out, symlinks=True)  # an earlier run, with its manifest
    manifest = json.loads((out / ".casekit-manifest.json").read_text())
    assert manifest["kind"] == "reviews"
    assert manifest["entries"] == ["T1", "T1.html", "T2", "T2.html", "index.html"]
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (out / ".T1.html.partial").symlink_to(victim)  # a name casekit did not write: refused
    assert review_cli(bundle, out, "--team", "T1", "--as-of", AS_OF) == 2
    assert ".T1.html.partial" in capsys.readouterr().err
    (out / ".T1.html.partial").unlink()
    for planted in ("T1.html", "index.html", "T1/review.ipynb", "T1/tables/headline.json"):
        (out / planted).unlink(missing_ok=True)
        (out / planted).symlink_to(victim)
    assert review_cli(bundle, out, "--team", "T1", "--as-of", AS_OF) == 0
    assert victim.read_text() == "precious"
    for written in ("T1.html", "index.html", "T1/review.ipynb", "T1/tables/headline.json"):
        assert not (out / written).is_symlink() and (out / written).stat().st_size > 0
    # a symlink planted where a team's folder goes is refused, not followed
    shutil.rmtree(out / "T1")
    (out / "T1").symlink_to(tmp_path)
    assert review_cli(bundle, out, "--team", "T1", "--as-of", AS_OF) == 1
    assert "symbolic link" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "victim.txt"]


def _review_under_umask_0(bundle: Path, out: Path, *extra: str) -> None:
    """Run ``casekit review`` of team T1 in a process whose umask is 0; it must succeed."""
    script = (
        "import os, sys\nos.umask(0)\nfrom casekit.cli import main\n"
        f"sys.exit(main(['review', '--data', {str(bundle)!r}, '--out', {str(out)!r}, "
        f"'--team', 'T1', '--as-of', {AS_OF!r}, *{list(extra)!r}]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr


def test_every_review_file_is_private_under_umask_0(bundle, tmp_path):
    out = tmp_path / "new" / "out"
    _review_under_umask_0(bundle, out)
    found = [out.parent, out, *out.rglob("*")]
    assert len(found) > 8  # pages, index, manifest, notebook, tables, workbook, headline
    for path in found:
        want = 0o700 if path.is_dir() else 0o600
        assert path.stat().st_mode & 0o777 == want, path


SNOOP = """import os as _os
open("own.txt", "w").write("a file the notebook writes itself")
_modes = {}
for _root, _dirs, _files in _os.walk("."):
    for _name in _dirs + _files:
        _path = _os.path.join(_root, _name)
        _modes[_path] = oct(_os.lstat(_path).st_mode & 0o777)
open("modes.txt", "w").write(repr(sorted(_modes.items())))
"""


def test_what_a_review_kernel_writes_is_private_from_the_start(bundle, tmp_path):
    """Not only once the team is done: the kernel runs with umask 077, so a file the notebook
    writes itself, and the executed notebook papermill is writing, are never readable by
    others, even for a moment or after a kill."""
    import nbformat

    book = nbformat.read(review_notebook(), as_version=4)
    book.cells.append(nbformat.v4.new_code_cell(SNOOP))  # last: after every table is written
    own = tmp_path / "own.ipynb"
    nbformat.write(book, own)
    out = tmp_path / "out"
    _review_under_umask_0(bundle, out, "--notebook", str(own))
    import ast

    seen = dict(ast.literal_eval((out / "T1" / "modes.txt").read_text()))
    assert "./own.txt" in seen and "./review.ipynb" in seen and len(seen) > 4, seen
    for path, mode in seen.items():
        want = "0o700" if (out / "T1" / path).is_dir() else "0o600"
        assert mode == want, (path, mode)


def test_a_review_folder_from_before_manifests_can_be_rerun(bundle, reports, tmp_path, capsys):
    out = tmp_path / "old"
    shutil.copytree(reports, out)
    (out / ".casekit-manifest.json").unlink()  # as an older casekit left it
    assert review_cli(bundle, out, "--team", "T1", "--as-of", AS_OF) == 0
    assert "T1.html" in json.loads((out / ".casekit-manifest.json").read_text())["entries"]
    braces = tmp_path / "reviews{team}"
    assert review_cli(bundle, braces, "--team", "T1", "--as-of", AS_OF) == 2
    assert "may not contain '{' or '}'" in capsys.readouterr().err
    assert not braces.exists()


def test_tables_an_earlier_review_wrote_and_this_one_does_not_are_removed(tmp_path):
    """A table renamed since (flags_by_type) or withheld now must not sit beside the new ones."""
    cb = casekit.load(SYNTHETIC)
    folder = tmp_path / "T01" / "tables"
    plain = review.build(cb, review.scope_for(cb, "T01"))
    plain.save_tables(folder)
    assert (folder / "flagged_cases.csv").exists()  # a case list: the team's own review
    (folder / ".casekit-manifest.json").unlink()  # as a casekit before manifests left it
    (folder / "flags_by_type.csv").write_text("flag,radicalisation\nplan_not_linked,3\n")
    suppressed = review.build(cb, review.scope_for(cb, "T01", suppress=True))
    written = suppressed.save_tables(folder)
    assert sorted(p.name for p in folder.iterdir() if p.name != ".casekit-manifest.json") == (
        sorted(p.name for p in written)
    )
    assert not (folder / "flags_by_type.csv").exists()
    assert not (folder / "flagged_cases.csv").exists()
    listed = json.loads((folder / ".casekit-manifest.json").read_text())["entries"]
    assert sorted(listed) == sorted(p.name for p in written)


def test_a_tables_folder_holding_other_files_is_refused_and_untouched(tmp_path):
    cb = casekit.load(SYNTHETIC)
    folder = tmp_path / "tables"
    folder.mkdir()
    (folder / "my notes.txt").write_text("mine")
    (folder / "caseload_by_worker.csv").write_text("old")
    with pytest.raises(CasekitError, match="files casekit did not write there"):
        review.build(cb, review.scope_for(cb, "T01")).save_tables(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["caseload_by_worker.csv", "my notes.txt"]
    assert (folder / "caseload_by_worker.csv").read_text() == "old"


# --- what needs attention and the new sections, on a bundle made for them -----------------------
# Period 1 Jan to 30 Jun 2024 (whole months: the previous period is 1 Jul to 31 Dec 2023), as
# known on 30 Jun 2024 (a Sunday). Bank holidays inside: 29 Mar, 1 Apr, 6 May, 27 May 2024.
WORK_AS_OF = "2024-06-30"


def alone(eid, cid, date, seen, recorded=""):
    return {**ev(eid, cid, date, "protective", recorded=recorded), "seen_alone": seen}


def decision(did, cid, date, response):
    return {
        "decision_id": did,
        "case_id": cid,
        "date": date,
        "response": response,
        "lead_agency": "social_care",
        "family_engaged": "yes",
        "evidence_ids": "",
    }


def kid(cid, child, worker, opened, flags, closed=""):
    return {**case(cid, "T1", worker, opened, flags, "education", closed), "child_id": child}


WORK = {
    "teams": [{"team_id": "T1", "team_name": "North"}],
    "workers": [
        {"worker_id": "W1", "team_id": "T1", "role": "social_worker", "fte": "1"},
        {"worker_id": "W2", "team_id": "T1", "role": "senior_practitioner", "fte": "0.5"},
        {"worker_id": "W3", "team_id": "T1", "role": "team_manager", "fte": "1"},
    ],
    "cases": [
        kid("R0", "K1", "W1", "2022-06-01", "neglect", closed="2023-03-01"),
        kid("R9", "K2", "W1", "2022-01-04", "neglect", closed="2022-12-01"),
        kid("R6", "K6", "W2", "2023-05-01", "neglect", closed="2023-10-10"),
        kid("R5", "K5", "W1", "2023-09-01", "neglect"),
        kid("R1", "K1", "W1", "2024-01-08", "radicalisation"),  # K1's R0 closed 10 months before
        kid("R2", "K2", "W2", "2024-02-05", "neglect"),  # K2's R9 closed 14 months before
        kid("R3", "K3", "", "2024-06-03", "neglect"),
        kid("R4", "K4", "W1", "2024-03-04", "radicalisation", closed="2024-04-15"),
        kid("R7", "K7", "W2", "2024-01-15", "radicalisation"),
    ],
    "events": [
        alone("V1", "R1", "2024-06-21", "yes"),
        alone("V2", "R2", "2024-04-02", "yes"),
        alone("V3", "R2", "2024-06-25", "no"),
        alone("V4", "R5", "2024-05-01", ""),  # not recorded either way
        ev("A1", "R1", "2024-02-09", "agency_action", kind="assessment_completed"),
        ev("A2", "R2", "2024-05-10", "agency_action", kind="assessment_completed"),
        # R3's is dated in June but recorded in July: not known on 30 June
        ev(
            "A3",
            "R3",
            "2024-06-20",
            "agency_action",
            kind="assessment_completed",
            recorded="2024-07-05",
        ),
    ],
    "decisions": [
        decision("D1", "R1", "2024-01-20", "section_47"),
        decision("D2", "R1", "2024-02-20", "child_in_need"),  # D1's outcome
        decision("D3", "R1", "2024-03-01", "channel_support"),
        decision("D4", "R7", "2024-02-01", "section_47"),  # no outcome recorded
        decision("D5", "R2", "2024-02-15", "early_help"),
    ],
    "plan_actions": [
        act("P1", "R1", "2024-01-10", "2024-06-01"),
        act("P2", "R2", "2024-02-10", "2024-03-01", completed="2024-03-05"),
        act("P3", "R3", "2024-06-05", "2024-06-20", description=SCRIPT),
        act("P4", "R4", "2024-03-05", "2024-04-01"),  # closed case
        act("P5", "R7", "2024-01-20", "2024-02-01"),
    ],
}


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> casekit.Casebook:
    return casekit.load(write_csv_bundle(tmp_path_factory.mktemp("work") / "b", WORK))


@pytest.fixture(scope="module")
def worked(work) -> review.Review:
    return review.build(work, review.scope_for(work, "T1", start="2024-01-01", as_of=WORK_AS_OF))


def test_what_needs_attention_comes_first(worked):
    assert worked.sections[0].key == "attention"
    assert [t.key for t in worked.sections[0].tables] == [
        "attention_flags",
        "attention_overdue",
        "attention_not_seen_alone",
        "attention_unallocated",
    ]
    late = table(worked, "attention_overdue")
    assert late["case_id"].tolist() == ["R7", "R1", "R3"]  # due 1 Feb, 1 Jun, 20 Jun
    assert late["days overdue"].tolist() == [150, 29, 10]
    assert late["worker_id"].tolist() == ["W2", "W1", "unallocated"]
    assert late["action"].iloc[2] == SCRIPT  # kept as typed; the page escapes it
    alone = table(worked, "attention_not_seen_alone")
    # R5 from its opening (1 Sep 2023), R7 from its opening (15 Jan: 115 working days), R2 from
    # its last visit seen alone (2 Apr: 61); R1 (5) and R3 (opened 19 working days ago) are not
    assert alone["case_id"].tolist() == ["R5", "R7", "R2"]
    assert alone["working days since"].tolist()[1:] == [115, 61]
    assert alone["last seen alone"].tolist() == ["no visit records it"] * 2 + ["2024-04-02"]
    waiting = table(worked, "attention_unallocated")
    assert waiting["case_id"].tolist() == ["R3"]
    assert waiting["working days unallocated"].tolist() == [19]
    flags = table(worked, "attention_flags")
    everything = table(worked, "flagged_cases")
    assert len(flags) == min(5, len(everything))  # the oldest few of the full list
    assert flags["case_id"].tolist() == everything["case_id"].head(5).tolist()
    assert flags["arose on"].is_monotonic_increasing


def test_attention_lists_stop_at_the_first_few(tmp_path):
    tables = {k: [dict(r) for r in v] for k, v in WORK.items()}
    tables["plan_actions"] += [
        act(f"Q{i}", "R1", "2024-01-10", f"2024-05-0{i}") for i in range(1, 8)
    ]
    cb = casekit.load(write_csv_bundle(tmp_path / "q", tables))
    r = review.build(cb, review.scope_for(cb, "T1", start="2024-01-01", as_of=WORK_AS_OF))
    late = next(t for t in r.tables() if t.key == "attention_overdue")
    assert len(late.frame) == review.ATTENTION_ROWS
    assert late.note.startswith("The first 5 of 10 overdue actions")
    assert len(table(r, "overdue_actions")) == 10  # the section lists them all


def test_the_seen_alone_limit_is_a_parameter(work):
    r = review.build(
        work,
        review.scope_for(work, "T1", start="2024-01-01", as_of=WORK_AS_OF, seen_alone_days=100),
    )
    assert table(r, "attention_not_seen_alone")["case_id"].tolist() == ["R5", "R7"]
    bands = table(r, "seen_alone")
    assert row(bands, "seen alone in the last 100 working days")["Total"] == "2"  # R1, R2
    with pytest.raises(
        CasekitError, match=r"seen_alone_days: 0 is not a whole number of at least 1"
    ):
        review.scope_for(work, "T1", seen_alone_days=0)
    with pytest.raises(CasekitError, match=r"seen_alone_days: 'ten' is not a whole number"):
        review.scope_for(work, "T1", seen_alone_days="ten")
    with pytest.raises(
        CasekitError, match=r"min_judgements: 1 is not a whole number of at least 2"
    ):
        review.scope_for(work, "T1", min_judgements=1)
    assert review.scope_for(work, "T1", seen_alone_days="15").seen_alone_days == 15


def test_overdue_plan_actions_by_worker(worked):
    by = table(worked, "overdue_by_worker")
    assert by["worker"].tolist() == ["W1", "W2", "W3", "unallocated", "Total"]
    assert row(by, "W1")["radicalisation"] == "1" and row(by, "W1")["Total"] == "1"
    assert row(by, "W2")["radicalisation"] == "1"
    assert row(by, "W3")["Total"] == "0"
    assert row(by, "unallocated")["other safeguarding"] == "1"
    assert row(by, "Total")["Total"] == "3" and worked.headline["overdue plan actions"] == 3
    assert table(worked, "overdue_actions")["case_id"].tolist() == ["R7", "R1", "R3"]


def test_days_since_each_open_case_child_was_seen_alone(worked):
    seen = table(worked, "seen_alone_cases").set_index("case_id")
    assert list(seen.index[:1]) == ["R5"]
    assert seen.loc["R1", "working days since"] == 5  # 24-28 June
    assert seen.loc["R2", "working days since"] == 61
    assert seen.loc["R3", "working days since"] == 19
    assert seen.loc["R7", "working days since"] == 115
    assert seen.loc["R2", "counted from"] == "last seen alone"
    assert seen.loc["R7", "counted from"] == "the case opening"
    assert seen.loc["R5", "seen alone recorded on any visit"] == "no: not recorded either way"
    assert seen.loc["R2", "seen alone recorded on any visit"] == "yes"
    bands = table(worked, "seen_alone")
    assert row(bands, "seen alone in the last 20 working days")["radicalisation"] == "1"  # R1
    assert row(bands, "last seen alone more than 20 working days ago")["other safeguarding"] == "1"
    opened_late = "no visit records the child seen alone; opened more than 20 working days ago"
    assert (
        row(bands, opened_late)["radicalisation"],
        row(bands, opened_late)["other safeguarding"],
    ) == ("1", "1")
    assert row(bands, "Total")["Total"] == "5" == str(worked.headline["open cases"])


def test_re_referrals_within_12_months(work, worked):
    again = review.re_referrals(work, worked.scope).set_index("case_id")
    assert again.loc["R1", "re_referral"] and again.loc["R1", "previous_case"] == "R0"
    assert not again.loc["R2", "re_referral"]  # R9 closed 14 months before
    assert not again[["re_referral"]].drop(index="R1")["re_referral"].any()
    counts = table(worked, "re_referrals")
    assert row(counts, review.RE_REFERRED)["radicalisation"] == "1"
    assert row(counts, "Total")["Total"] == "5"


def test_assessments_completed_within_45_working_days(work, worked):
    done = review.assessments_completed(work, worked.scope).set_index("case_id")
    assert (
        done.loc["R1", "working_days"] == 24 and done.loc["R1", "status"] == review.COMPLETED_WITHIN
    )
    assert (
        done.loc["R2", "working_days"] == 66 and done.loc["R2", "status"] == review.COMPLETED_LATE
    )
    assert done.loc["R3", "status"] == review.IN_PROGRESS  # its completion was recorded in July
    assert done.loc["R4", "status"] == review.CLOSED_UNASSESSED
    assert done.loc["R7", "status"] == review.NOT_COMPLETED_LATE
    summary = table(worked, "assessment_completion_summary").set_index("case type")
    assert (
        summary.loc["radicalisation", "due by now"],
        summary.loc["radicalisation", "within 45 %"],
    ) == (2, 50)
    assert (
        summary.loc["other safeguarding", "due by now"],
        summary.loc["other safeguarding", "within 45 %"],
    ) == (1, 0)
    assert (summary.loc["all", "due by now"], summary.loc["all", "within 45 %"]) == (3, 33)


def test_section_47_with_no_recorded_outcome_is_counted_and_listed(work, worked):
    s47 = review.section_47_outcomes(work, worked.scope).set_index("decision_id")
    assert s47.loc["D1", "outcome"] == "child_in_need" and pd.isna(s47.loc["D4", "outcome"])
    counts = table(worked, "section_47_outcomes")
    assert row(counts, review.S47_NO_OUTCOME)["radicalisation"] == "1"
    assert row(counts, review.S47_OUTCOME)["radicalisation"] == "1"
    pending = table(worked, "section_47_no_outcome")
    assert pending["case_id"].tolist() == ["R7"] and pending["working days since"].tolist() == [102]


def test_channel_beside_social_care_for_radicalisation_referrals(worked):
    beside = table(worked, "channel_beside_social_care")
    assert beside.iloc[:, 0].tolist() == [
        "early_help",
        "section_47",
        "no social-care decision yet",
        "Total",
    ]  # the outcomes table's rows
    assert table(worked, "outcomes").iloc[:, 0].tolist() == beside.iloc[:, 0].tolist()
    s47 = row(beside, "section_47")
    assert (s47["adopted for Channel support"], s47["no Channel support recorded"]) == ("1", "1")
    assert row(beside, "no social-care decision yet")["Total"] == "1"  # R4
    assert row(beside, "early_help")["Total"] == "0"  # R2 is not a radicalisation case
    assert row(beside, "Total")["Total"] == "3"


def test_case_holding_fte_and_the_change_from_the_previous_period(worked):
    total = row(table(worked, "caseload_by_worker"), "Total")
    assert total["fte"] == 1.5 and total["cases per FTE"] == 2.7  # 4 allocated / (1 + 0.5)
    h = worked.headline
    assert worked.scope.previous().period == "1 Jul 2023 to 31 Dec 2023"
    assert (h["referrals"], h["referrals: previous period"], h["referrals: change"]) == (
        5,
        1,
        "up 4",
    )
    assert (h["closures"], h["closures: previous period"], h["closures: change"]) == (
        1,
        1,
        "no change",
    )


def test_a_suppressed_review_hides_the_changes_and_withholds_the_attention_lists(work):
    r = review.build(
        work, review.scope_for(work, "T1", start="2024-01-01", as_of=WORK_AS_OF, suppress=True)
    )
    assert all(t.frame.empty and t.note == review.WITHHELD for t in r.sections[0].tables)
    h = r.headline
    assert h["referrals"] == "c" and h["referrals: change"] == "c"
    assert h["closures: previous period"] == "c" and h["closures: change"] == "c"


def test_a_governance_complement_of_one_to_five_is_suppressed():
    scope = review.Scope("T1", "North", pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31"),
                         pd.Timestamp("2024-12-31"), suppress=True)  # fmt: skip
    frame = pd.DataFrame({"measure": ["a purpose"], "yes": [32], "of": [34]})
    published = review._rate_rows(frame, "yes", "of", scope, "share")
    shown = review.Table("governance", "t", published, counts=("yes", "of"),
                         derived=review._from_rate("yes", "of", "share"))  # fmt: skip
    true = review.Table("governance", "t", frame.copy(), counts=("yes", "of"),
                        derived=review._from_rate("yes", "of", "share"))  # fmt: skip
    r = review.Review(scope, {}, [review.Section("governance", "G", "", [shown])])
    raw = review.Review(scope, {}, [review.Section("governance", "G", "", [true])])
    review._protect_jointly(r, raw)
    out = r.tables()[0].frame.iloc[0]
    assert out["yes"] == "c" or out["of"] == "c"  # 2 without a purpose can't be worked out
    assert out["share %"] == "c"


def test_the_seen_alone_limit_reaches_the_page_and_the_index_shows_the_change(tmp_path):
    bundle = write_csv_bundle(tmp_path / "work", WORK)
    out = tmp_path / "out"
    options = ("--from", "2024-01-01", "--as-of", WORK_AS_OF, "--seen-alone-days", "100")
    assert review_cli(bundle, out, *options) == 0
    page = (out / "T1.html").read_text()
    assert "<h3>Children not seen alone for more than 100 working days</h3>" in page
    assert page.index("What needs attention") < page.index("<h2>Caseload</h2>")
    # the overdue action's hostile description, in the attention list and the section's list
    assert page.count('&lt;script&gt;alert("x")&lt;/script&gt; The visit went well') >= 2
    assert "<script" not in page.lower()
    index = (out / "index.html").read_text()
    assert "<h2>Change from the previous period</h2>" in index
    assert "1 Jul 2023 to 31 Dec 2023" in index
    # referrals: 5 this period, 1 in the one before
    assert re.search(r"<td>referrals</td><td>5</td>\s*<td>1</td>\s*<td>up 4</td>", index)
    assert re.search(r"<td>closures</td><td>1</td>\s*<td>1</td>\s*<td>no change</td>", index)


def test_safety_trends_say_too_few_judgements_below_the_minimum():
    from casekit.analysis.trends import TOO_FEW, safety_trends

    j = pd.DataFrame(
        {
            "case_id": ["C1"] * 3 + ["C2"] * 2,
            "level": ["child"] * 5,
            "date": pd.to_datetime(
                ["2024-01-01", "2024-03-31", "2024-06-29", "2024-01-01", "2024-03-31"]
            ),
            "safety_scale": [3, 5, 7, 2, 8],
        }
    )
    out = safety_trends(j, min_judgements=3).set_index("case_id")
    assert out.loc["C1", "trend"] == "rising" and out.loc["C1", "change_per_90_days"] == 2.0
    assert out.loc["C2", "trend"] == TOO_FEW and out.loc["C2", "change_per_90_days"] == 0.0
    assert safety_trends(j).set_index("case_id").loc["C2", "trend"] == TOO_FEW  # default 3
    two = safety_trends(j, min_judgements=2).set_index("case_id")
    assert two.loc["C2", "trend"] == "rising" and two.loc["C2", "change_per_90_days"] > 5
    with pytest.raises(CasekitError, match=r"min_judgements='3': give a whole number"):
        safety_trends(j, min_judgements="3")
