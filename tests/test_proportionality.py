"""Each proportionality flag on hand-made cases: flagged, near misses, and edge cases."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import SYNTHETIC, write_csv_bundle

import casekit
from casekit.cli import main
from casekit.proportionality import FLAGS, flags, working_days_after

AS_OF = "2024-12-31"


def ev(
    eid,
    date,
    category,
    restricted="no",
    evidence="observed",
    recorded=None,
    kind="visit",
    case="C1",
):
    return {
        "event_id": eid,
        "case_id": case,
        "date": date,
        "recorded_on": recorded or date,
        "source_agency": "education",
        "kind": kind,
        "summary": "s",
        "category": category,
        "level": "child",
        "restricted": restricted,
        "evidence": evidence,
    }


def dec(did, date, response, evidence="", engaged="yes", lead="social_care", case="C1"):
    return {
        "decision_id": did,
        "case_id": case,
        "date": date,
        "response": response,
        "lead_agency": lead,
        "family_engaged": engaged,
        "evidence_ids": evidence,
    }


def jud(jid, date, scale, level="child", case="C1"):
    return {
        "judgement_id": jid,
        "case_id": case,
        "date": date,
        "level": level,
        "safety_scale": str(scale),
    }


def build(
    tmp_path,
    events,
    decisions=(),
    judgements=(),
    plans=(),
    shares=(),
    opened="2024-01-08",
    closed="",
):
    tables = {
        "cases": [
            {
                "case_id": "C1",
                "child_id": "K1",
                "team_id": "T1",
                "opened": opened,
                "closed": closed,
                "referral_source": "education",
                "concern_flags": "radicalisation",
                "ideology": "islamist",
            }
        ],
        "events": list(events),
    }
    for name, rows in (
        ("decisions", decisions),
        ("judgements", judgements),
        ("plan_actions", plans),
        ("info_sharing", shares),
    ):
        if rows:
            tables[name] = list(rows)
    return casekit.load(write_csv_bundle(tmp_path / "b", tables))


def raised(cb, flag, as_of=AS_OF, **thresholds):
    f = flags(cb, as_of=as_of, **thresholds)
    return f[f["flag"] == flag]


ASSESSED = ev("EA", "2024-01-09", "agency_action", kind="assessment")


def test_escalation_on_belief_or_views(tmp_path):
    cb = build(
        tmp_path,
        [
            ASSESSED,
            ev("E1", "2024-01-10", "views_expressed"),
            ev("E2", "2024-01-11", "belief_practice"),
            ev("E3", "2024-01-12", "harm"),
        ],
        [
            dec("D1", "2024-02-01", "child_in_need", "E1;E2"),
            dec("D2", "2024-03-01", "section_47", "E3"),
        ],
    )
    rows = raised(cb, "escalation_on_belief_or_views")
    assert rows["subject_id"].tolist() == ["D1"]
    reason = rows["reason"].item()
    assert 'E1 (views expressed, 2024-01-10: "s"), E2 (belief practice, 2024-01-11: "s")' in reason
    assert "from no further action to child in need" in reason


def test_escalation_on_belief_near_misses(tmp_path):
    cb = build(
        tmp_path,
        [ASSESSED, ev("E1", "2024-01-10", "views_expressed")],
        [
            dec("D1", "2024-02-01", "early_help", "E1"),  # below child in need
            dec("D2", "2024-03-01", "child_in_need", "E1"),
            dec("D3", "2024-04-01", "child_in_need", "E1"),
        ],
    )  # not a raise
    assert raised(cb, "escalation_on_belief_or_views")["subject_id"].tolist() == ["D2"]
    assert raised(cb, "escalation_on_belief_or_views", escalation_rung="section_47").empty


def test_without_evidence_ids_a_decision_rests_on_everything_recorded_by_then(tmp_path):
    events = [
        ASSESSED,
        ev("E1", "2024-01-10", "views_expressed"),
        ev("E2", "2024-01-11", "harm", recorded="2024-02-15"),
    ]  # recorded later
    cb = build(
        tmp_path,
        events,
        [
            dec("D1", "2024-02-01", "child_in_need"),
            dec("D2", "2024-02-10", "early_help"),
            dec("D3", "2024-03-01", "child_in_need"),
        ],
    )
    belief = raised(cb, "escalation_on_belief_or_views")
    assert belief["subject_id"].tolist() == ["D1"]  # D3 rests on E2, harm, known by then
    assert "resting on everything recorded by then" in belief["reason"].item()
    bare = raised(cb, "escalation_without_evidence")
    assert bare["subject_id"].tolist() == ["D1", "D3"]


def test_rests_on_restricted_intelligence(tmp_path):
    events = [
        ASSESSED,
        ev("E1", "2024-01-10", "influence_grooming", restricted="yes"),
        ev("E2", "2024-01-11", "extremist_behaviour", evidence="intelligence"),
        ev("E3", "2024-01-12", "harm"),
        ev("E4", "2024-01-12", "views_expressed"),
    ]
    cb = build(
        tmp_path,
        events,
        [
            dec("D1", "2024-02-01", "child_in_need", "E1;E2;E4"),
            dec("D2", "2024-02-10", "early_help"),
            dec("D3", "2024-03-01", "child_in_need", "E1;E3"),
            dec("D4", "2024-03-10", "early_help"),
            dec("D5", "2024-04-01", "early_help", "E4"),
        ],
    )
    rows = raised(cb, "rests_on_restricted_intelligence")
    assert rows["subject_id"].tolist() == ["D1"]  # D3 also rests on open evidence of harm
    assert (
        'E1 (influence grooming, 2024-01-10: "s"), E2 (extremist behaviour, 2024-01-11: "s")'
        in rows["reason"].item()
    )
    assert "E4" not in rows["reason"].item()


def test_family_not_engaged(tmp_path):
    cb = build(
        tmp_path,
        [ASSESSED, ev("E1", "2024-01-10", "harm")],
        [
            dec("D1", "2024-02-01", "early_help", "E1", engaged="no"),  # below the rung
            dec("D2", "2024-03-01", "child_in_need", "E1", engaged="no"),
            dec("D3", "2024-04-01", "section_47", "E1", engaged="yes"),
        ],
    )
    assert raised(cb, "family_not_engaged")["subject_id"].tolist() == ["D2"]


def test_police_led_statutory_step(tmp_path):
    cb = build(
        tmp_path,
        [ASSESSED, ev("E1", "2024-01-10", "harm")],
        [
            dec("D1", "2024-02-01", "child_in_need", "E1", lead="police"),
            dec("D2", "2024-03-01", "section_47", "E1", lead="police"),
            dec("D3", "2024-04-01", "child_protection_plan", "E1", lead="multi_agency"),
        ],
    )
    rows = raised(cb, "police_led_statutory_step")
    assert rows["subject_id"].tolist() == ["D2"]
    assert rows["reason"].item() == "Decision D2 (2024-03-01) to section 47 was led by the police."


def test_step_down_due(tmp_path):
    events = [ASSESSED, ev("E1", "2024-01-10", "harm")]
    decisions = [dec("D1", "2024-02-01", "child_in_need", "E1")]
    high = [jud("J1", "2024-03-01", 8), jud("J2", "2024-04-01", 7, level="family")]
    cb = build(tmp_path, events, decisions, high)
    rows = raised(cb, "step_down_due", as_of="2024-06-30")
    assert rows["subject_id"].tolist() == ["C1"]
    assert "since 2024-02-01 (150 days by 2024-06-30)" in rows["reason"].item()
    assert raised(cb, "step_down_due", as_of="2024-04-30").empty  # 89 days: not yet
    low = build(
        tmp_path / "low", events, decisions, [*high, jud("J3", "2024-05-01", 6, level="community")]
    )
    assert raised(low, "step_down_due", as_of="2024-06-30").empty
    none = build(tmp_path / "none", events, decisions)
    assert raised(none, "step_down_due", as_of="2024-06-30").empty  # no judgement at all
    stepped = build(
        tmp_path / "stepped",
        events,
        [*decisions, dec("D2", "2024-03-15", "early_help", "E1")],
        high,
    )
    assert raised(stepped, "step_down_due", as_of="2024-06-30").empty  # only 43 days high
    closed = build(tmp_path / "closed", events, decisions, high, closed="2024-04-15")
    assert raised(closed, "step_down_due", as_of="2024-12-31").empty  # closed after 74 days


def test_late_assessment_counts_working_days_and_bank_holidays(tmp_path):
    # opened Friday 20 Dec 2024: 25, 26 Dec and 1 Jan are bank holidays
    on_time = build(
        tmp_path, [ev("EA", "2025-01-08", "agency_action", kind="assessment")], opened="2024-12-20"
    )
    assert raised(on_time, "late_assessment", as_of="2025-02-01").empty  # 10 working days
    late = build(
        tmp_path / "late",
        [ev("EA", "2025-01-09", "agency_action", kind="assessment")],
        opened="2024-12-20",
    )
    rows = raised(late, "late_assessment", as_of="2025-02-01")
    assert "came 11 working days after the referral" in rows["reason"].item()
    never = build(tmp_path / "never", [ev("E1", "2024-12-20", "harm")], opened="2024-12-20")
    assert raised(never, "late_assessment", as_of="2025-01-03").empty  # open 7 working days
    rows = raised(never, "late_assessment", as_of="2025-02-01")
    assert "No assessment has been recorded" in rows["reason"].item()


def test_working_days():
    start = pd.Series(pd.to_datetime(["2024-12-20", "2024-03-28", "2024-01-01"]))
    end = pd.Series(pd.to_datetime(["2025-01-03", "2024-04-02", None]))
    assert working_days_after(start, end).tolist() == [7, 1, pd.NA]  # Easter 2024


def test_plan_not_linked_and_sharing_without_basis(tmp_path):
    plans = [
        {
            "action_id": "A1",
            "case_id": "C1",
            "created": "2024-02-01",
            "description": "Mentoring",
            "level": "child",
            "owner_agency": "education",
            "evidence_ids": "",
        },
        {
            "action_id": "A2",
            "case_id": "C1",
            "created": "2024-02-01",
            "description": "Parenting support",
            "level": "family",
            "owner_agency": "social_care",
            "evidence_ids": "E1",
        },
    ]
    share = {
        "share_id": "S1",
        "case_id": "C1",
        "date": "2024-02-01",
        "from_agency": "police",
        "to_agency": "social_care",
        "information": "x",
        "purpose": "Assess risk",
        "lawful_basis": "public_task",
        "consent": "given",
        "not_sought_reason": "",
    }
    shares = [
        share,
        dict(share, share_id="S2", lawful_basis="not_recorded"),
        dict(share, share_id="S3", purpose=""),
        dict(share, share_id="S4", consent="not_sought"),
        dict(share, share_id="S5", consent="not_sought", not_sought_reason="Risk"),
    ]
    cb = build(tmp_path, [ASSESSED, ev("E1", "2024-01-10", "harm")], plans=plans, shares=shares)
    assert raised(cb, "plan_not_linked")["subject_id"].tolist() == ["A1"]
    rows = raised(cb, "sharing_without_basis").set_index("subject_id")
    assert list(rows.index) == ["S2", "S3", "S4"]
    assert rows.loc["S2", "reason"].endswith("no lawful basis recorded.")
    assert rows.loc["S3", "reason"].endswith("no purpose recorded.")
    assert rows.loc["S4", "reason"].endswith("consent not sought with no reason given.")


def test_as_of_hides_later_records(tmp_path):
    cb = build(
        tmp_path,
        [ASSESSED, ev("E1", "2024-01-10", "views_expressed")],
        [dec("D1", "2024-06-01", "child_in_need", "E1")],
    )
    assert raised(cb, "escalation_on_belief_or_views", as_of="2024-05-31").empty
    assert len(raised(cb, "escalation_on_belief_or_views", as_of="2024-06-01")) == 1


def test_every_flag_arises_on_the_synthetic_data_with_reasons():
    cb = casekit.load(SYNTHETIC)
    f = flags(cb, as_of="2025-03-31")
    # the synthetic generator never makes a statutory step resting on context alone
    assert set(f["flag"]) == set(FLAGS) - {"statutory_step_without_concern"}
    assert list(f.columns[:4]) == ["case_id", "flag", "subject_id", "reason"]
    assert f["reason"].str.len().min() > 30
    assert f["team_id"].notna().all()


def test_cli_flags(tmp_path, capsys):
    assert main(["flags", "--data", str(SYNTHETIC), "--as-of", "2025-03-31"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("case_id,flag,subject_id,reason")
    target = tmp_path / "flags.csv"
    assert (
        main(["flags", "--data", str(SYNTHETIC), "--as-of", "2025-03-31", "--out", str(target)])
        == 0
    )
    written = pd.read_csv(target)
    assert len(written) == len(flags(casekit.load(SYNTHETIC), "2025-03-31"))


def test_cli_flags_bad_date(capsys):
    with pytest.raises(SystemExit) as info:
        main(["flags", "--data", str(SYNTHETIC), "--as-of", "31/03/2025"])
    assert info.value.code == 2
    assert "write it as YYYY-MM-DD" in capsys.readouterr().err
