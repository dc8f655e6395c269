"""Each proportionality flag on hand-made cases: flagged, near misses, and edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SYNTHETIC, write_csv_bundle

import casekit
from casekit.analysis.proportionality import (
    FLAG_COLUMNS,
    FLAGS,
    STEP_DOWN_COLUMNS,
    flags,
    step_downs_due,
    working_days_after,
)
from casekit.cli import main
from casekit.errors import CasekitError

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
    significance="",
    summary="s",
):
    return {
        "event_id": eid,
        "case_id": case,
        "date": date,
        "recorded_on": recorded or date,
        "source_agency": "education",
        "kind": kind,
        "summary": summary,
        "category": category,
        "level": "child",
        "significance": significance,
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
    more_cases=(),
):
    case = {
        "case_id": "C1",
        "child_id": "K1",
        "team_id": "T1",
        "opened": opened,
        "closed": closed,
        "referral_source": "education",
        "concern_flags": "radicalisation",
        "ideology": "islamist",
    }
    more = [dict(case, case_id=c, child_id=f"K{c}", opened=day) for c, day in more_cases]
    tables = {"cases": [case, *more], "events": list(events)}
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
    assert (
        'E1 (views expressed) on 2024-01-10: "s", E2 (belief practice) on 2024-01-11: "s"' in reason
    )
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
        'E1 (influence grooming) on 2024-01-10: "s", E2 (extremist behaviour) on 2024-01-11: "s"'
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
    assert set(f["flag"]) == set(FLAGS)  # the synthetic data raises every one
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


# --- the twelve flags of practice.md: names, columns, status -----------------------------------


def test_the_twelve_flags_in_the_order_of_practice_md():
    assert FLAGS == (
        "escalation_on_belief_or_views",
        "statutory_step_without_concern",
        "escalation_without_evidence",
        "rests_on_restricted_intelligence",
        "family_not_engaged",
        "police_led_statutory_step",
        "step_down_due",
        "step_down_despite_concern",
        "late_assessment",
        "plan_not_linked",
        "sharing_without_basis",
        "shared_despite_refusal",
    )
    assert FLAG_COLUMNS == ["case_id", "flag", "subject_id", "reason", "date", "status", "team_id"]


BELIEF = [ASSESSED, ev("E1", "2024-01-10", "views_expressed")]


def test_a_decision_flag_is_open_while_its_rung_is_current(tmp_path):
    first = dec("D1", "2024-02-01", "child_in_need", "E1")
    events = [*BELIEF, ev("E2", "2024-01-20", "harm")]

    def status(later=(), closed="", as_of=AS_OF):
        cb = build(tmp_path / str(len(list(tmp_path.iterdir()))), events, [first, *later],
                   closed=closed)  # fmt: skip
        rows = raised(cb, "escalation_on_belief_or_views", as_of=as_of)
        assert rows["subject_id"].tolist() == ["D1"] and rows["date"].tolist() == [
            pd.Timestamp("2024-02-01")
        ]
        return rows["status"].item()

    assert status() == "open"
    assert status([dec("D2", "2024-03-01", "channel_support", "E2")]) == "open"  # beside it
    assert status([dec("D2", "2024-03-01", "child_in_need", "E2")]) == "open"  # same rung
    assert status([dec("D2", "2024-03-01", "section_47", "E2")]) == "past"  # raised again
    assert status([dec("D2", "2024-03-01", "early_help", "E2")]) == "past"  # stepped down
    assert status([dec("D2", "2024-03-01", "early_help", "E2")], as_of="2024-02-29") == "open"
    assert status(closed="2024-06-01") == "past"
    assert status(closed="2024-06-01", as_of="2024-05-31") == "open"  # closed later


def test_escalation_on_belief_needs_a_belief_event_and_no_concern(tmp_path):
    events = [
        ASSESSED,
        ev("E1", "2024-01-10", "views_expressed"),
        ev("E2", "2024-01-11", "vulnerability", summary="Waiting for a mental health assessment"),
        ev("E3", "2024-01-12", "influence_grooming"),
    ]
    cb = build(
        tmp_path,
        events,
        [
            dec("D1", "2024-02-01", "child_in_need", "E2"),  # need, not belief: proper s17
            dec("D2", "2024-02-10", "early_help", "E2"),
            dec("D3", "2024-03-01", "child_in_need", "E1;E3"),  # belief and a concern
            dec("D4", "2024-03-10", "early_help", "E2"),
            dec("D5", "2024-04-01", "child_in_need", "E1;E2"),  # belief and context
        ],
    )
    rows = raised(cb, "escalation_on_belief_or_views")
    assert rows["subject_id"].tolist() == ["D5"]
    assert rows["reason"].item() == (
        "Decision D5 (2024-04-01) raised the response from early help to child in need, resting"
        ' on E1 (views expressed) on 2024-01-10: "s", E2 (vulnerability) on 2024-01-11: '
        '"Waiting for a mental health assessment"; none of these is influence or grooming, '
        "extremist behaviour or harm."
    )
    assert raised(cb, "statutory_step_without_concern").empty  # child in need is not statutory


def test_statutory_step_without_concern(tmp_path):
    long = "Family have been isolated from their community since the move " + "x" * 80
    events = [
        ASSESSED,
        ev("E1", "2024-01-10", "vulnerability", summary=long),
        ev("E2", "2024-01-11", "engagement", summary="Parents did not attend"),
        ev("E3", "2024-01-12", "harm"),
        ev("E4", "2024-01-12", "belief_practice"),
    ]
    cb = build(
        tmp_path,
        events,
        [
            dec("D1", "2024-02-01", "section_47", "E1;E2"),  # context only: flagged
            dec("D2", "2024-02-10", "early_help", "E3"),
            dec("D3", "2024-03-01", "section_47", "E3"),  # a concern: not flagged
            dec("D4", "2024-03-10", "early_help", "E3"),
            dec("D5", "2024-04-01", "section_47", "E4"),  # belief: the other flag
            dec("D6", "2024-04-10", "early_help", "E3"),
            dec("D7", "2024-05-01", "child_in_need", "E1"),  # below section 47
        ],
    )
    rows = raised(cb, "statutory_step_without_concern")
    assert rows["subject_id"].tolist() == ["D1"]
    quoted = long[:59] + "…"
    assert rows["reason"].item() == (
        "Decision D1 (2024-02-01) raised the response from no further action to section 47, "
        f'resting on E1 (vulnerability) on 2024-01-10: "{quoted}", E2 (engagement) on 2024-01-11: '
        '"Parents did not attend"; none of these is a concern event (influence or grooming, '
        "extremist behaviour or harm) or a belief or views event."
    )
    assert raised(cb, "escalation_on_belief_or_views")["subject_id"].tolist() == ["D5"]
    wider = raised(cb, "statutory_step_without_concern", statutory_rung="child_in_need")
    assert wider["subject_id"].tolist() == ["D1", "D7"]


def test_statutory_step_resting_on_nothing_recorded_says_so(tmp_path):
    cb = build(
        tmp_path,
        [ev("EA", "2024-03-01", "agency_action", kind="assessment")],  # after the decision
        [dec("D1", "2024-02-01", "section_47")],
    )
    rows = raised(cb, "statutory_step_without_concern")
    assert rows["reason"].item() == (
        "Decision D1 (2024-02-01) raised the response from no further action to section 47, "
        "citing no evidence, and no event of the case was recorded by then."
    )


def test_family_not_engaged_says_only_what_is_recorded(tmp_path):
    cb = build(
        tmp_path,
        [ASSESSED, ev("E1", "2024-01-10", "harm")],
        [
            dec("D1", "2024-02-01", "child_in_need", "E1"),
            dec("D2", "2024-02-10", "early_help", "E1", engaged="no"),  # a step-down
            dec("D3", "2024-03-01", "section_47", "E1", engaged="no"),
        ],
    )
    rows = raised(cb, "family_not_engaged")
    assert rows["subject_id"].tolist() == ["D3"]
    assert rows["reason"].item() == (
        "Decision D3 (2024-03-01) raised the response from early help to section 47; it is "
        "recorded with family_engaged = false."
    )
    assert "met and heard" not in rows["reason"].item()


def test_police_led_statutory_step_needs_no_raise(tmp_path):
    cb = build(
        tmp_path,
        [ASSESSED, ev("E1", "2024-01-10", "harm")],
        [
            dec("D1", "2024-02-01", "child_protection_plan", "E1"),
            dec("D2", "2024-03-01", "section_47", "E1", lead="police"),  # a step-down
            dec("D3", "2024-04-01", "channel_support", "E1", lead="police"),  # not statutory
        ],
    )
    rows = raised(cb, "police_led_statutory_step")
    assert rows["subject_id"].tolist() == ["D2"]
    assert rows["status"].item() == "open"  # the Channel decision keeps section 47 current


def test_channel_between_social_care_decisions_is_neither_a_raise_nor_a_step_down(tmp_path):
    events = [*BELIEF, ev("E2", "2024-02-20", "extremist_behaviour", significance="high")]
    cb = build(
        tmp_path,
        events,
        [
            dec("D1", "2024-02-01", "early_help", "E1", engaged="no"),
            dec("D2", "2024-03-01", "channel_support", "E1", engaged="no"),
            dec("D3", "2024-04-01", "child_in_need", "E1", engaged="no"),
            dec("D4", "2024-05-01", "channel_support", "E1", engaged="no"),
            dec("D5", "2024-06-01", "child_in_need", "E1", engaged="no"),
        ],
    )
    f = flags(cb, as_of=AS_OF)
    assert set(f["subject_id"]) == {"D3"}  # D1: below child in need; D2, D4: Channel; D5: same
    belief = f[f["flag"] == "escalation_on_belief_or_views"]
    assert "raised the response from early help to child in need" in belief["reason"].item()
    assert f[f["flag"] == "step_down_despite_concern"].empty  # Channel after E2 is no step-down


# --- step_down_due ------------------------------------------------------------------------------

HARM = [ASSESSED, ev("E1", "2024-01-10", "harm")]
CIN = [dec("D1", "2024-02-01", "child_in_need", "E1")]
HIGH = [jud("J1", "2024-03-01", 8), jud("J2", "2024-04-01", 7, level="family")]


def test_step_down_due_from_the_91st_day(tmp_path):
    cb = build(tmp_path, HARM, CIN, HIGH)
    assert raised(cb, "step_down_due", as_of="2024-05-01").empty  # day 90
    rows = raised(cb, "step_down_due", as_of="2024-05-02")  # day 91
    assert rows[["subject_id", "date", "status"]].values.tolist() == [
        ["C1", pd.Timestamp("2024-05-02"), "open"]
    ]
    assert rows["reason"].item() == (
        "The response has been at child in need or above since 2024-02-01 (91 days by "
        "2024-05-02); all 2 judgements since then are 7 or above (the latest: J2 (family, 7 on "
        "2024-04-01)), and no medium or high concern event has been recorded since the latest: a "
        "step-down is due (since 2024-05-02)."
    )
    due = step_downs_due(cb, as_of="2024-05-02")
    assert list(due.columns) == STEP_DOWN_COLUMNS and due["case_id"].dtype == object
    assert due.iloc[0][["case_id", "start", "due", "open"]].tolist() == [
        "C1",
        pd.Timestamp("2024-02-01"),
        pd.Timestamp("2024-05-02"),
        True,
    ]
    assert pd.isna(due["ended"].item()) and pd.isna(due["wait_days"].item())
    assert step_downs_due(cb, as_of="2024-05-01").empty
    assert raised(cb, "step_down_due", as_of="2024-05-02", step_down_days=91).empty


def test_step_down_due_waits_for_a_judgement_and_ends_with_a_low_one(tmp_path):
    late = build(tmp_path, HARM, CIN, [jud("J1", "2024-06-10", 8)])
    assert raised(late, "step_down_due", as_of="2024-06-09").empty
    assert raised(late, "step_down_due", as_of="2024-06-10")["date"].tolist() == [
        pd.Timestamp("2024-06-10")
    ]
    early_low = build(
        tmp_path / "early", HARM, CIN, [jud("J0", "2024-03-15", 6, level="community"), *HIGH]
    )
    assert raised(early_low, "step_down_due", as_of=AS_OF).empty  # every judgement counts
    low = build(tmp_path / "low", HARM, CIN, [*HIGH, jud("J3", "2024-05-20", 6, "community")])
    rows = raised(low, "step_down_due", as_of="2024-06-30")
    assert rows[["date", "status"]].values.tolist() == [[pd.Timestamp("2024-05-02"), "past"]]
    assert (
        rows["reason"]
        .item()
        .endswith(
            "Then judgement J3 (community, 6 on 2024-05-20) was below 7, so it is no longer due."
        )
    )
    assert "a step-down is due" not in rows["reason"].item()
    with_low = raised(low, "step_down_due", as_of="2024-06-30", step_down_min_scale=6)
    assert with_low["status"].tolist() == ["open"]


def test_a_concern_recorded_after_the_latest_judgement_holds_a_step_down_back(tmp_path):
    def due_dates(concern, judgements=HIGH[:1], as_of="2024-06-30"):
        cb = build(tmp_path / str(len(list(tmp_path.iterdir()))), [*HARM, concern], CIN,
                   judgements)  # fmt: skip
        rows = raised(cb, "step_down_due", as_of=as_of)
        return [d.strftime("%Y-%m-%d") for d in rows["date"]]

    late = ev(
        "E2", "2024-01-20", "extremist_behaviour", recorded="2024-04-15", significance="medium"
    )
    assert due_dates(late) == []  # dated before J1 (2024-03-01) but recorded after it
    assert due_dates(late, [*HIGH[:1], jud("J2", "2024-06-01", 9)]) == ["2024-06-01"]
    same_day = ev("E2", "2024-03-01", "harm", significance="high")
    assert due_dates(same_day) == ["2024-05-02"]  # recorded with the judgement, not after
    minor = ev("E2", "2024-04-15", "harm", significance="low")
    assert due_dates(minor) == ["2024-05-02"]
    context = ev("E2", "2024-04-15", "vulnerability", significance="high")
    assert due_dates(context) == ["2024-05-02"]
    unknown = ev("E2", "2024-04-15", "harm", recorded="2024-07-15", significance="high")
    assert due_dates(unknown, as_of="2024-06-30") == ["2024-05-02"]  # not recorded yet


def test_a_concern_after_a_step_down_fell_due_makes_it_past(tmp_path):
    concern = ev("E2", "2024-05-20", "harm", significance="high", summary="Pushed a classmate")
    cb = build(tmp_path, [*HARM, concern], CIN, HIGH[:1])
    rows = raised(cb, "step_down_due", as_of="2024-06-30")
    assert rows[["date", "status"]].values.tolist() == [[pd.Timestamp("2024-05-02"), "past"]]
    assert rows["reason"].item() == (
        "A step-down became due on 2024-05-02: the response had been at child in need or above "
        "since 2024-02-01, its one judgement by then, J1 (child, 8 on 2024-03-01), was 7 or "
        "above, and no medium or high concern event had been recorded since the latest. "
        'Then concern event E2 (harm, high, 2024-05-20: "Pushed a classmate") was recorded on '
        "2024-05-20, after the latest judgement J1 (child, 8 on 2024-03-01), so it is no longer "
        "due."
    )
    assert raised(cb, "step_down_due", as_of="2024-05-19")["status"].tolist() == ["open"]
    assert step_downs_due(cb, as_of="2024-06-30")["open"].tolist() == [False]


def test_an_open_step_down_names_the_concerns_recorded_during_its_stretch(tmp_path):
    """A concern held the step-down back until a later judgement of 8: the reason shows both."""
    concern = ev("E2", "2024-05-20", "harm", significance="high", summary="Pushed a classmate")
    later = [*HIGH[:1], jud("J2", "2024-06-10", 8)]
    cb = build(tmp_path, [*HARM, concern], CIN, later)
    rows = raised(cb, "step_down_due", as_of="2024-06-30")
    assert rows[["date", "status"]].values.tolist() == [[pd.Timestamp("2024-05-02"), "open"]]
    assert (
        rows["reason"]
        .item()
        .endswith(
            "a step-down is due (since 2024-05-02). Medium or high concern events were recorded "
            "during the stretch, each before a later judgement of 7 or above: E2 (harm, high, "
            "recorded 2024-05-20)."
        )
    )
    quiet = raised(build(tmp_path / "quiet", HARM, CIN, later), "step_down_due", "2024-06-30")
    assert "concern events were recorded" not in quiet["reason"].item()


def test_step_down_due_ended_by_a_step_down_or_closure(tmp_path):
    stepped = build(tmp_path, HARM, [*CIN, dec("D2", "2024-06-15", "early_help", "E1")], HIGH)
    rows = raised(stepped, "step_down_due")
    assert rows["status"].tolist() == ["past"]
    assert (
        rows["reason"]
        .item()
        .endswith("It was stepped down to early help on 2024-06-15, 44 days after it became due.")
    )
    due = step_downs_due(stepped, as_of=AS_OF)
    assert due[["due", "ended", "wait_days", "open"]].values.tolist() == [
        [pd.Timestamp("2024-05-02"), pd.Timestamp("2024-06-15"), 44, False]
    ]
    early = build(tmp_path / "e", HARM, [*CIN, dec("D2", "2024-03-15", "early_help", "E1")], HIGH)
    assert raised(early, "step_down_due").empty  # 43 days high
    closed = build(tmp_path / "c", HARM, CIN, HIGH, closed="2024-07-01")
    rows = raised(closed, "step_down_due")
    assert (
        rows["reason"]
        .item()
        .endswith("The case was closed on 2024-07-01, 60 days after it became due.")
    )
    assert "a step-down is due" not in rows["reason"].item()
    assert raised(closed, "step_down_due", as_of="2024-06-30")["status"].tolist() == ["open"]
    assert raised(
        build(tmp_path / "d", HARM, CIN, HIGH, closed="2024-04-15"), "step_down_due"
    ).empty


def test_channel_decisions_do_not_break_a_stretch_and_a_step_down_does(tmp_path):
    channel = build(tmp_path, HARM, [*CIN, dec("D2", "2024-03-10", "channel_support", "E1")], HIGH)
    assert raised(channel, "step_down_due", as_of="2024-05-02")["date"].tolist() == [
        pd.Timestamp("2024-05-02")
    ]
    broken = build(
        tmp_path / "b",
        HARM,
        [
            *CIN,
            dec("D2", "2024-03-10", "early_help", "E1"),
            dec("D3", "2024-04-01", "child_in_need", "E1"),
        ],
        HIGH,
    )
    due = step_downs_due(broken, as_of=AS_OF)
    assert due[["start", "due", "open"]].values.tolist() == [
        [pd.Timestamp("2024-04-01"), pd.Timestamp("2024-07-01"), True]
    ]  # J1 fell in the first stretch; J2 (2024-04-01) is the second's


# --- step_down_despite_concern -------------------------------------------------------------------

THREAT = ev(
    "E2", "2024-03-01", "extremist_behaviour", significance="high", summary="Threatened a classmate"
)


def despite(tmp_path, events, decisions, judgements=(), closed="", as_of=AS_OF):
    cb = build(tmp_path / str(len(list(tmp_path.iterdir()))), events, decisions, judgements,
               closed=closed)  # fmt: skip
    return raised(cb, "step_down_despite_concern", as_of=as_of)


def test_step_down_within_30_days_after_a_concern(tmp_path):
    rows = despite(tmp_path, [*HARM, THREAT], [*CIN, dec("D2", "2024-03-31", "early_help", "E1")])
    assert rows[["subject_id", "date", "status"]].values.tolist() == [
        ["D2", pd.Timestamp("2024-03-31"), "open"]
    ]
    assert rows["reason"].item() == (
        "Decision D2 (2024-03-31) lowered the response from child in need to early help 30 days "
        'after concern event E2 (extremist behaviour, high, 2024-03-01: "Threatened a classmate",'
        " recorded on 2024-03-01). Is anything being closed or stepped down too early?"
    )
    later = [*CIN, dec("D2", "2024-04-01", "early_help", "E1")]
    assert despite(tmp_path, [*HARM, THREAT], later).empty  # 31 days
    same_day = despite(tmp_path, [*HARM, THREAT], [*CIN, dec("D2", "2024-03-01", "signposted")])
    assert "0 days after concern event E2" in same_day["reason"].item()
    recorded_later = ev("E2", "2024-03-01", "harm", recorded="2024-04-05", significance="high")
    step = [*CIN, dec("D2", "2024-03-31", "early_help", "E1")]
    assert despite(tmp_path, [*HARM, recorded_later], step).empty
    low = ev("E2", "2024-03-01", "harm", significance="low")
    assert despite(tmp_path, [*HARM, low], step).empty
    assert len(despite(tmp_path, [*HARM, THREAT], step, as_of="2024-04-30")) == 1
    cb = build(tmp_path / "w", [*HARM, THREAT], later)
    assert len(raised(cb, "step_down_despite_concern", concern_window_days=31)) == 1


def test_step_down_while_the_latest_judgement_is_low(tmp_path):
    step = [*CIN, dec("D2", "2024-03-20", "early_help", "E1")]
    rows = despite(tmp_path, HARM, step, [jud("J1", "2024-03-01", 4, level="family")])
    assert rows["reason"].item() == (
        "Decision D2 (2024-03-20) lowered the response from child in need to early help while "
        "the latest family judgement, J1 (2024-03-01), was 4 on the 0-10 safety scale. Is "
        "anything being closed or stepped down too early?"
    )
    assert despite(tmp_path, HARM, step, [jud("J1", "2024-03-01", 5, level="family")]).empty
    superseded = [jud("J1", "2024-02-10", 3), jud("J2", "2024-03-01", 8)]
    assert despite(tmp_path, HARM, step, superseded).empty  # the latest child judgement is 8
    other_level = [*superseded, jud("J3", "2024-02-15", 2, level="community")]
    assert (
        "the latest community judgement, J3"
        in despite(tmp_path, HARM, step, other_level)["reason"].item()
    )
    after = [jud("J1", "2024-03-21", 1)]  # judged after the step-down
    assert despite(tmp_path, HARM, step, after).empty
    both = despite(tmp_path, [*HARM, THREAT], step, [jud("J1", "2024-03-01", 4)])
    assert "19 days after concern event E2" in both["reason"].item()
    assert ", and while the latest child judgement, J1 (2024-03-01), was 4" in both["reason"].item()


def test_a_closure_is_a_step_down_but_one_prompt_per_day(tmp_path):
    close = [*CIN, dec("D2", "2024-03-20", "no_further_action", "E1")]
    same = despite(tmp_path, [*HARM, THREAT], close, closed="2024-03-20")
    assert same["subject_id"].tolist() == ["D2"]
    apart = despite(tmp_path, [*HARM, THREAT], close, closed="2024-03-25")
    assert apart["subject_id"].tolist() == ["D2", "C1"]
    closure = apart[apart["subject_id"] == "C1"]
    assert closure["date"].tolist() == [pd.Timestamp("2024-03-25")]
    assert (
        closure["reason"]
        .item()
        .startswith("The case was closed on 2024-03-25 24 days after concern event E2")
    )
    alone = despite(tmp_path, [*HARM, THREAT], CIN, closed="2024-03-25")
    assert alone["subject_id"].tolist() == ["C1"]


def test_step_down_despite_concern_stays_open_28_days_after_closure(tmp_path):
    close = [*CIN, dec("D2", "2024-03-20", "no_further_action", "E1")]
    args = (tmp_path, [*HARM, THREAT], close)
    assert despite(*args, closed="2024-03-20", as_of="2024-04-17")["status"].tolist() == ["open"]
    assert despite(*args, closed="2024-03-20", as_of="2024-04-18")["status"].tolist() == ["past"]
    assert despite(*args, as_of="2025-12-31")["status"].tolist() == ["open"]  # case still open


# --- late_assessment ------------------------------------------------------------------------------


def test_late_assessment_around_easter(tmp_path):
    # opened Thursday 28 March 2024: Good Friday and Easter Monday are bank holidays, so the
    # tenth working day after it is Monday 15 April
    def late(day):
        events = [ev("EA", day, "agency_action", kind="assessment")]
        cb = build(tmp_path / day, events, opened="2024-03-28")
        return raised(cb, "late_assessment", as_of="2024-06-01")

    assert late("2024-04-15").empty
    rows = late("2024-04-16")
    assert rows[["subject_id", "date", "status"]].values.tolist() == [
        ["C1", pd.Timestamp("2024-04-16"), "past"]
    ]
    assert rows["reason"].item() == (
        "The first assessment, EA (2024-04-16), came 11 working days after the referral "
        "(2024-03-28); the limit is 10 working days."
    )


def test_never_assessed_is_dated_when_the_limit_passed(tmp_path):
    # opened Friday 20 December 2024: the 11th working day after it is 9 January 2025
    none = [ev("E1", "2024-12-20", "harm")]
    cb = build(tmp_path, none, opened="2024-12-20")
    assert raised(cb, "late_assessment", as_of="2025-01-08").empty
    rows = raised(cb, "late_assessment", as_of="2025-01-09")
    assert rows[["date", "status"]].values.tolist() == [[pd.Timestamp("2025-01-09"), "open"]]
    assert rows["reason"].item() == (
        "No assessment has been recorded by 2025-01-09, 11 working days after the referral "
        "(2024-12-20); the limit is 10 working days."
    )
    later = raised(cb, "late_assessment", as_of="2026-06-30")
    assert later["date"].tolist() == [pd.Timestamp("2025-01-09")]  # not the as-of date
    closed = build(tmp_path / "c", none, opened="2024-12-20", closed="2025-01-20")
    rows = raised(closed, "late_assessment", as_of="2026-06-30")
    assert rows[["date", "status"]].values.tolist() == [[pd.Timestamp("2025-01-09"), "past"]]
    assert (
        rows["reason"]
        .item()
        .startswith(
            "No assessment was recorded before the case was closed on 2025-01-20, 18 working "
            "days after the referral"
        )
    )
    quick = build(tmp_path / "q", none, opened="2024-12-20", closed="2025-01-08")
    assert raised(quick, "late_assessment", as_of="2026-06-30").empty  # closed within the limit


def test_an_assessment_recorded_after_the_as_of_date_is_not_known(tmp_path):
    events = [ev("EA", "2025-01-06", "agency_action", kind="assessment", recorded="2025-01-15")]
    cb = build(tmp_path, events, opened="2024-12-20")
    assert raised(cb, "late_assessment", as_of="2025-01-10")["status"].tolist() == ["open"]
    assert raised(cb, "late_assessment", as_of="2025-02-01").empty  # on time, once known


# --- plan_not_linked ------------------------------------------------------------------------------


def plan(aid, evidence="", completed="", created="2024-02-01", description="Mentoring"):
    return {
        "action_id": aid,
        "case_id": "C1",
        "created": created,
        "description": description,
        "level": "child",
        "owner_agency": "education",
        "completed": completed,
        "evidence_ids": evidence,
    }


def test_plan_not_linked_when_it_cites_only_agency_actions(tmp_path):
    events = [
        *HARM,
        ev("EX", "2024-01-12", "agency_action", summary="Screening completed"),
        ev("EY", "2024-01-13", "agency_action", summary="Referred to Channel panel"),
    ]
    plans = [
        plan("A1"),
        plan("A2", "E1"),
        plan("A3", "EX;EY", description="Parenting support"),
        plan("A4", "EX;E1"),
        plan("A5", completed="2024-03-01"),
        plan("A6", completed="2025-02-01"),
    ]
    cb = build(tmp_path, events, plans=plans)
    rows = raised(cb, "plan_not_linked").set_index("subject_id")
    assert list(rows.index) == ["A1", "A3", "A5", "A6"]
    assert rows.loc["A3", "reason"] == (
        'Plan action A3 ("Parenting support", created 2024-02-01) cites only what agencies did: '
        'EX (agency action) on 2024-01-12: "Screening completed", EY (agency action) on '
        '2024-01-13: "Referred to Channel panel". A plan answers worries and builds on strengths.'
    )
    assert rows.loc["A1", "reason"] == (
        'Plan action A1 ("Mentoring", created 2024-02-01) names no evidence it answers.'
    )
    assert rows["status"].to_dict() == {"A1": "open", "A3": "open", "A5": "past", "A6": "open"}
    closed = build(tmp_path / "c", events, plans=plans, closed="2024-12-01")
    assert set(raised(closed, "plan_not_linked")["status"]) == {"past"}


# --- sharing ------------------------------------------------------------------------------------

SHARE = {
    "share_id": "S1",
    "case_id": "C1",
    "date": "2024-02-01",
    "from_agency": "police",
    "to_agency": "social_care",
    "information": "Police intelligence summary",
    "purpose": "Assess risk",
    "lawful_basis": "public_task",
    "consent": "given",
    "not_sought_reason": "",
    "override_reason": "",
}


def test_consent_as_the_basis_needs_consent_given(tmp_path):
    shares = [
        dict(
            SHARE,
            share_id="S1",
            lawful_basis="consent",
            consent="refused",
            override_reason="Risk of serious harm",
        ),  # fmt: skip
        dict(SHARE, share_id="S2", lawful_basis="consent"),
        dict(SHARE, share_id="S3", lawful_basis="consent", consent="not_sought"),
    ]
    cb = build(tmp_path, HARM, shares=shares)
    rows = raised(cb, "sharing_without_basis").set_index("subject_id")
    assert list(rows.index) == ["S1", "S3"]
    assert rows.loc["S1", "reason"] == (
        'Sharing S1 (police to social care, 2024-02-01, "Police intelligence summary"): the '
        "lawful basis is consent but consent was refused."
    )
    assert rows.loc["S3", "reason"].endswith(
        ": consent not sought with no reason given; the lawful basis is consent but consent was "
        "not sought."
    )
    assert raised(cb, "shared_despite_refusal").empty  # S1 records why it overrode


def test_shared_despite_refusal(tmp_path):
    shares = [
        dict(SHARE, share_id="S1", consent="refused"),
        dict(SHARE, share_id="S2", consent="refused", override_reason="Imminent risk of harm"),
        dict(SHARE, share_id="S3", consent="given"),
    ]
    cb = build(tmp_path, HARM, shares=shares)
    rows = raised(cb, "shared_despite_refusal")
    assert rows[["subject_id", "date", "status"]].values.tolist() == [
        ["S1", pd.Timestamp("2024-02-01"), "open"]
    ]
    assert rows["reason"].item() == (
        'Sharing S1 (police to social care, 2024-02-01, "Police intelligence summary") went '
        "ahead with consent refused, and no override_reason is recorded (why sharing without "
        "consent was necessary and proportionate)."
    )
    closed = build(tmp_path / "c", HARM, shares=shares, closed="2024-06-01")
    assert raised(closed, "shared_despite_refusal")["status"].tolist() == ["past"]
    assert raised(closed, "sharing_without_basis").empty


def test_a_bundle_without_override_reason_still_works(tmp_path):
    old = {k: v for k, v in SHARE.items() if k != "override_reason"}
    cb = build(tmp_path, HARM, shares=[dict(old, consent="refused")])
    assert raised(cb, "shared_despite_refusal")["subject_id"].tolist() == ["S1"]


# --- the whole table, the status filter, bad input, the CLI ---------------------------------------


def test_status_filter_and_order(tmp_path):
    shares = [dict(SHARE, share_id="S1", consent="refused")]
    cb = build(tmp_path, [*HARM, THREAT], [*CIN, dec("D2", "2024-03-31", "early_help")], HIGH,
               shares=shares, closed="2024-04-10")  # fmt: skip
    every = flags(cb, as_of="2024-04-20")
    assert list(every.columns) == FLAG_COLUMNS
    assert every[["flag", "subject_id", "status"]].astype(str).values.tolist() == [
        ["shared_despite_refusal", "S1", "past"],
        ["step_down_despite_concern", "D2", "open"],  # closed 10 days before
    ]
    assert every["date"].tolist() == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-03-31")]
    opened = flags(cb, as_of="2024-04-20", status="open")
    assert opened["subject_id"].tolist() == ["D2"]
    assert flags(cb, as_of="2024-04-20", status="past")["subject_id"].tolist() == ["S1"]
    assert flags(cb, as_of="2023-01-01").empty  # nothing known yet
    assert list(flags(cb, as_of="2023-01-01").columns) == FLAG_COLUMNS


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": "current"}, "status='current': choose open, past or all."),
        ({"escalation_rung": "channel_support"}, "Channel support runs beside social care"),
        ({"statutory_rung": "s47"}, "statutory_rung='s47' is not a rung of the response ladder"),
        ({"step_down_days": -1}, "step_down_days=-1: give a whole number, 0 or more."),
        ({"low_scale": 11}, "low_scale=11: safety scales run from 0 to 10."),
        ({"as_of": "31/03/2025"}, "as_of='31/03/2025' is not a date: write it as YYYY-MM-DD"),
        ({"as_of": "2025-02-30"}, "as_of='2025-02-30' is not a date: write it as YYYY-MM-DD"),
    ],
)
def test_bad_arguments_get_a_clear_message(tmp_path, kwargs, message):
    cb = build(tmp_path, HARM)
    with pytest.raises(CasekitError) as info:
        flags(cb, **kwargs)
    assert message in str(info.value)


def test_step_downs_due_refuses_unknown_thresholds(tmp_path):
    cb = build(tmp_path, HARM, CIN, HIGH)
    with pytest.raises(CasekitError, match="unknown threshold step_down_weeks"):
        step_downs_due(cb, step_down_weeks=13)
    assert len(step_downs_due(cb, as_of="2024-06-30", low_scale=3)) == 1  # others accepted


def test_decision_reasons_start_with_the_decision_and_its_date():
    f = flags(casekit.load(SYNTHETIC), as_of="2025-03-31")
    decision = f["subject_id"].str.startswith("D")
    assert decision.sum() > 100
    starts = "Decision " + f["subject_id"] + " (" + f["date"].dt.strftime("%Y-%m-%d") + ")"
    assert all(
        r.startswith(s) for r, s in zip(f.loc[decision, "reason"], starts[decision], strict=True)
    )
    assert not f.loc[f["status"] == "past", "reason"].str.contains("a step-down is due").any()


def test_cli_flags_status(tmp_path, capsys):
    assert main(["flags", "--data", str(SYNTHETIC), "--as-of", "2025-03-31",
                 "--status", "open"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert out.startswith("case_id,flag,subject_id,reason,date,status,team_id")
    target = tmp_path / "open.csv"
    main(["flags", "--data", str(SYNTHETIC), "--as-of", "2025-03-31", "--status", "open",
          "--out", str(target)])  # fmt: skip
    written = pd.read_csv(target)
    expected = flags(casekit.load(SYNTHETIC), "2025-03-31", status="open")
    said = capsys.readouterr().out
    assert said.startswith(f"wrote {len(expected)} flags ({len(expected)} open) to ")
    assert set(written["status"]) == {"open"} and len(written) == len(expected) > 0
    assert written["subject_id"].tolist() == expected["subject_id"].tolist()
    assert said.strip().split(": ", 1)[1]  # then what each flag counts: "12 late_assessment, ..."


def test_cli_flags_none_raised_says_so_plainly(tmp_path, capsys):
    target = tmp_path / "none.csv"
    assert main(["flags", "--data", str(SYNTHETIC), "--as-of", "1900-01-01",
                 "--out", str(target)]) == 0  # fmt: skip
    assert capsys.readouterr().out.strip() == f"wrote 0 flags (0 open) to {target}"
    assert pd.read_csv(target).empty


def test_cli_flags_bad_status(capsys):
    with pytest.raises(SystemExit) as info:
        main(["flags", "--data", str(SYNTHETIC), "--status", "current"])
    assert info.value.code == 2
    assert "argument --status: invalid choice: 'current'" in capsys.readouterr().err


# --- independent day-by-day implementations, checked against the vectorised flags ---------------


def _by_case(frame):
    return {case: rows for case, rows in frame.groupby(frame["case_id"].astype(str))}


def _walk_rungs(decisions):
    """Yield (decision, rung before, rung after) in order; Channel keeps the rung."""
    rung = 0
    ladder = list(casekit.contract.RESPONSE_LADDER)
    for _, d in decisions.sort_values(["date", "decision_id"]).iterrows():
        before = rung
        if d["response"] != "channel_support":
            rung = ladder.index(d["response"])
        yield d, before, rung


def _known_concerns(events, as_of):
    e = events[
        events["category"].isin(["influence_grooming", "extremist_behaviour", "harm"])
        & events["significance"].isin(["medium", "high"])
        & (events["date"] <= as_of)
        & (events["recorded_on"] <= as_of)
    ]
    return _by_case(e)


def slow_step_downs_due(cb, as_of):
    """Walk every day of every stretch, as practice.md words the rule."""
    as_of = pd.Timestamp(as_of)
    empty = cb.events.iloc[:0]
    decisions = _by_case(cb.decisions[cb.decisions["date"] <= as_of])
    judgements = _by_case(cb.judgements[cb.judgements["date"] <= as_of])
    concerns = _known_concerns(cb.events, as_of)
    out = []
    for _, case in cb.cases[cb.cases["opened"] <= as_of].iterrows():
        cid = case["case_id"]
        closed = case["closed"] if case["closed"] <= as_of else pd.NaT
        stretches, start = [], None
        for d, _, rung in _walk_rungs(decisions.get(cid, cb.decisions.iloc[:0])):
            if rung >= 3 and start is None:
                start = d["date"]
            elif rung < 3 and start is not None:
                stretches.append([start, d["date"]])
                start = None
        if start is not None:
            stretches.append([start, pd.NaT])
        js = judgements.get(cid, cb.judgements.iloc[:0])
        cs = concerns.get(cid, empty)
        for start, end in stretches:
            if pd.notna(closed) and (pd.isna(end) or closed < end):
                end = closed

            j_day = js["date"].to_numpy()
            j_scale = js["safety_scale"].to_numpy(dtype=float)
            c_day = cs["recorded_on"].to_numpy()

            def holds(t, start=start, j_day=j_day, j_scale=j_scale, c_day=c_day):
                seen = (j_day >= start.to_datetime64()) & (j_day <= t.to_datetime64())
                if (t - start).days <= 90 or not seen.any() or (j_scale[seen] < 7).any():
                    return False
                latest = j_day[seen].max()
                return not ((c_day > latest) & (c_day <= t.to_datetime64())).any()

            last = (end - pd.Timedelta(days=1)) if pd.notna(end) else as_of
            for t in pd.date_range(start, last):
                if holds(t):
                    out.append(
                        {
                            "case_id": cid,
                            "start": start,
                            "due": t,
                            "ended": end,
                            "open": pd.isna(end) and holds(as_of),
                        }
                    )
                    break
    return pd.DataFrame(out, columns=["case_id", "start", "due", "ended", "open"])


def shaken(cb, seed=1):
    """Copy a casebook with every concern event of medium significance and recorded up to
    120 days after it happened, and every third judgement raised to 9: more concerns land
    after a judgement, in stretches that are otherwise due."""
    rng = np.random.default_rng(seed)
    events = cb.events.copy()
    concern = events["category"].isin(["influence_grooming", "extremist_behaviour", "harm"])
    events.loc[concern, "significance"] = "medium"
    delay = pd.to_timedelta(rng.integers(0, 121, concern.sum()), unit="D")
    late = (events.loc[concern, "date"] + delay).clip(upper=pd.Timestamp("2025-03-31"))
    events.loc[concern, "recorded_on"] = late.to_numpy()
    judgements = cb.judgements.copy()
    judgements.loc[judgements.index[::3], "safety_scale"] = 9
    return casekit.Casebook(dict(cb.tables, events=events, judgements=judgements), cb.source)


@pytest.mark.parametrize(
    ("as_of", "shake"), [("2022-12-31", False), ("2025-03-31", False), ("2025-03-31", True)]
)
def test_step_downs_due_agrees_with_a_day_by_day_walk(as_of, shake):
    cb = casekit.load(SYNTHETIC)
    cb = shaken(cb) if shake else cb
    fast = step_downs_due(cb, as_of=as_of)
    slow = slow_step_downs_due(cb, as_of)
    assert len(slow) > 5
    key = ["case_id", "start"]
    fast = fast.sort_values(key).reset_index(drop=True)
    slow = slow.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        fast[["case_id", "start", "due", "ended", "open"]].astype(object),
        slow.astype(object),
    )
    ended = slow["ended"].notna()
    assert (fast.loc[ended, "wait_days"] == (slow["ended"] - slow["due"]).dt.days[ended]).all()
    flagged = flags(cb, as_of=as_of)
    flagged = flagged[flagged["flag"] == "step_down_due"]
    assert sorted(
        zip(flagged["case_id"], flagged["date"], flagged["status"], strict=True)
    ) == sorted(
        zip(slow["case_id"], slow["due"], np.where(slow["open"], "open", "past"), strict=True)
    )


@pytest.mark.parametrize("shake", [False, True])
def test_step_down_despite_concern_agrees_with_a_plain_reading(shake):
    as_of = pd.Timestamp("2025-03-31")
    cb = casekit.load(SYNTHETIC)
    cb = shaken(cb) if shake else cb
    concerns = _known_concerns(cb.events, as_of)
    judgements = _by_case(cb.judgements[cb.judgements["date"] <= as_of])
    empty_e, empty_j = cb.events.iloc[:0], cb.judgements.iloc[:0]
    expected = {}
    for _, case in cb.cases.iterrows():
        cid = case["case_id"]
        closed = case["closed"] if case["closed"] <= as_of else pd.NaT
        subjects = [
            (d["decision_id"], d["date"])
            for d, before, after in _walk_rungs(cb.decisions[cb.decisions["case_id"] == cid])
            if after < before and d["date"] <= as_of
        ]
        if pd.notna(closed):
            subjects.append((cid, closed))
        flagged_days = set()
        for subject, day in subjects:  # decisions first, then the closure
            cs = concerns.get(cid, empty_e)
            gap = (day - cs["date"]).dt.days
            near = ((gap >= 0) & (gap <= 30) & (cs["recorded_on"] <= day)).any()
            js = judgements.get(cid, empty_j)
            js = js[js["date"] <= day].sort_values(["date", "judgement_id"])
            low = (js.groupby("level", observed=True).tail(1)["safety_scale"] <= 4).any()
            if (near or low) and not (subject == cid and day in flagged_days):
                flagged_days.add(day)
                recent = pd.isna(closed) or (as_of - closed).days <= 28
                expected[subject] = (day, "open" if recent else "past")
    f = flags(cb, as_of=as_of)
    f = f[f["flag"] == "step_down_despite_concern"]
    assert len(expected) > 30
    assert dict(zip(f["subject_id"], zip(f["date"], f["status"], strict=True), strict=True)) == (
        expected
    )


def test_late_assessment_agrees_with_counting_days_one_by_one():
    import holidays

    as_of = pd.Timestamp("2025-03-31")
    cb = casekit.load(SYNTHETIC)
    hols = holidays.country_holidays("GB", subdiv="ENG", years=range(2018, 2027))
    assessments = cb.events[
        (cb.events["kind"] == "assessment") & (cb.events["recorded_on"] <= as_of)
    ]
    first = assessments.groupby("case_id")["date"].min()
    expected = {}
    for _, case in cb.cases[cb.cases["opened"] <= as_of].iterrows():
        day, counted = case["opened"], 0
        while counted < 11:  # the first working day past the limit of 10
            day += pd.Timedelta(days=1)
            counted += day.weekday() < 5 and day.date() not in hols
        closed = case["closed"] if case["closed"] <= as_of else pd.NaT
        assessed = first.get(case["case_id"], pd.NaT)
        if pd.notna(assessed) and assessed >= day:
            expected[case["case_id"]] = (day, "past")
        elif pd.isna(assessed) and day <= (closed if pd.notna(closed) else as_of):
            expected[case["case_id"]] = (day, "open" if pd.isna(closed) else "past")
    f = flags(cb, as_of=as_of)
    f = f[f["flag"] == "late_assessment"]
    assert len(expected) > 20
    assert dict(zip(f["subject_id"], zip(f["date"], f["status"], strict=True), strict=True)) == (
        expected
    )


@pytest.mark.parametrize("as_of", ["2022-06-30", "2025-03-31"])
def test_decision_flags_agree_with_a_plain_reading(as_of):
    as_of = pd.Timestamp(as_of)
    cb = casekit.load(SYNTHETIC)
    events = cb.events[(cb.events["date"] <= as_of) & (cb.events["recorded_on"] <= as_of)]
    by_id = events.set_index("event_id")
    of_case = _by_case(events)
    concern = {"influence_grooming", "extremist_behaviour", "harm"}
    belief = {"belief_practice", "views_expressed"}
    expected = set()
    for _, case in cb.cases[cb.cases["opened"] <= as_of].iterrows():
        cid = case["case_id"]
        is_open = pd.isna(case["closed"]) or case["closed"] > as_of
        known = cb.decisions[(cb.decisions["case_id"] == cid) & (cb.decisions["date"] <= as_of)]
        walked = list(_walk_rungs(known))
        for i, (d, before, after) in enumerate(walked):
            current = all(b == a for _, b, a in walked[i + 1 :])
            status = "open" if is_open and current else "past"
            ids = list(d["evidence_ids"])
            if ids:
                rests = by_id.loc[[e for e in ids if e in by_id.index]]
            else:
                rests = of_case.get(cid, events.iloc[:0])
                rests = rests[rests["recorded_on"] <= d["date"]]
            cats = set(rests["category"].astype(str))
            worries = rests[rests["category"].isin(concern)]
            hidden = worries["restricted"].fillna(False).astype(bool) | (
                worries["evidence"] == "intelligence"
            )
            raises = d["response"] != "channel_support" and after > before
            found = {
                "escalation_on_belief_or_views": raises
                and after >= 3
                and bool(cats & belief)
                and not cats & concern,
                "statutory_step_without_concern": raises
                and after >= 4
                and not cats & (concern | belief),
                "escalation_without_evidence": raises and not ids,
                "rests_on_restricted_intelligence": raises and len(worries) > 0 and hidden.all(),
                "family_not_engaged": raises and after >= 3 and d["family_engaged"] is False,
                "police_led_statutory_step": d["response"]
                in ("section_47", "child_protection_plan", "proceedings")
                and d["lead_agency"] == "police",
            }
            expected |= {(f, d["decision_id"], d["date"], status) for f, on in found.items() if on}
    f = flags(cb, as_of=as_of)
    f = f[f["flag"].isin(FLAGS[:6])]
    got = set(zip(f["flag"].astype(str), f["subject_id"], f["date"], f["status"], strict=True))
    assert len(expected) > 20 and {s for *_, s in expected} == {"open", "past"}
    assert got == expected


def test_despite_concern_reasons_count_whole_days_when_some_rest_on_judgements_only(tmp_path):
    # D2 is flagged for a concern, D4 only for a low judgement: the days stay whole numbers
    cb = build(
        tmp_path,
        [*HARM, THREAT],
        [
            *CIN,
            dec("D2", "2024-03-11", "early_help", "E1"),
            dec("D3", "2024-06-01", "child_in_need", "E1"),
            dec("D4", "2024-08-01", "early_help", "E1"),
        ],
        [jud("J1", "2024-07-01", 3, level="family")],
    )
    rows = raised(cb, "step_down_despite_concern").set_index("subject_id")
    assert list(rows.index) == ["D2", "D4"]
    assert (
        "lowered the response from child in need to early help 10 days after concern"
        in (rows.loc["D2", "reason"])
    )
    assert rows.loc["D4", "reason"] == (
        "Decision D4 (2024-08-01) lowered the response from child in need to early help while "
        "the latest family judgement, J1 (2024-07-01), was 3 on the 0-10 safety scale. Is "
        "anything being closed or stepped down too early?"
    )


def test_two_stretches_of_one_case_each_fall_due(tmp_path):
    decisions = [
        *CIN,
        dec("D2", "2024-06-01", "early_help", "E1"),
        dec("D3", "2024-07-01", "section_47", "E1"),
    ]
    judgements = [jud("J1", "2024-03-01", 8), jud("J2", "2024-07-15", 9)]
    cb = build(tmp_path, HARM, decisions, judgements)
    due = step_downs_due(cb, as_of="2024-12-31")
    assert due[["start", "due", "ended", "open"]].values.tolist() == [
        [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-05-02"), pd.Timestamp("2024-06-01"), False],
        [pd.Timestamp("2024-07-01"), pd.Timestamp("2024-09-30"), pd.NaT, True],
    ]
    assert due["wait_days"].tolist()[0] == 30 and pd.isna(due["wait_days"].tolist()[1])
    rows = raised(cb, "step_down_due")
    assert rows[["subject_id", "status"]].values.tolist() == [["C1", "past"], ["C1", "open"]]


def test_a_bundle_of_cases_and_events_only(tmp_path):
    cb = build(tmp_path, [ev("E1", "2024-01-10", "harm")])
    f = flags(cb, as_of=AS_OF)
    assert f[["flag", "status"]].astype(str).values.tolist() == [["late_assessment", "open"]]
    due = step_downs_due(cb, as_of=AS_OF)
    assert list(due.columns) == STEP_DOWN_COLUMNS and due.empty
    assert due.dtypes.astype(str).tolist() == [
        "object",
        "datetime64[ns]",
        "datetime64[ns]",
        "datetime64[ns]",
        "Int64",
        "bool",
    ]
