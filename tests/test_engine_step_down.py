"""The relational step-down flags on hand-made casebooks: every branch, equal to the pandas flags.

Each casebook is small and made for one branch of ``step_down_due`` (open with one judgement or
several and the concerns of its stretch; past because stepped down, closed, dropped by a low
judgement or stopped by a concern) or of ``step_down_despite_concern`` (a concern in the
window, a low judgement, both, a closure on the day of a flagged step-down, the statuses). Each
test checks what the flag says, and that DuckDB gives exactly the pandas rows and the pandas
``step_downs_due`` table; one Spark local session runs the same casebooks.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from engine_helpers import assert_same_flags, no_password, oracle, relational, synthetic

from casekit.analysis.proportionality import THRESHOLDS, flags
from casekit.analysis.proportionality import step_downs_due as pandas_due
from casekit.analysis.relational.flags import run_flags
from casekit.analysis.relational.step_down import RAISES, step_downs_due
from casekit.bundle.casebook import Casebook, from_tables
from casekit.engine import Engine, connect
from casekit.engine.tables import from_casebook

AS_OF = dt.date(2024, 12, 31)


def case(cid: str = "C1", opened: str = "2024-01-08", closed: str = "") -> dict[str, str]:
    return {
        "case_id": cid,
        "child_id": "K" + cid,
        "team_id": "T" + cid,
        "opened": opened,
        "closed": closed,
        "referral_source": "education",
        "concern_flags": "radicalisation",
        "ideology": "islamist",
    }


def event(
    eid: str,
    date: str,
    category: str = "harm",
    significance: str = "high",
    recorded: str = "",
    cid: str = "C1",
    summary: str = "s",
) -> dict[str, str]:
    return {
        "event_id": eid,
        "case_id": cid,
        "date": date,
        "recorded_on": recorded or date,
        "source_agency": "education",
        "kind": "visit",
        "summary": summary,
        "category": category,
        "level": "child",
        "significance": significance,
    }


def decision(did: str, date: str, response: str, cid: str = "C1", ids: str = "") -> dict:
    return {
        "decision_id": did,
        "case_id": cid,
        "date": date,
        "response": response,
        "lead_agency": "social_care",
        "family_engaged": "yes",
        "evidence_ids": ids,
    }


def judgement(jid: str, date: str, scale: int, level: str = "child", cid: str = "C1") -> dict:
    return {
        "judgement_id": jid,
        "case_id": cid,
        "date": date,
        "level": level,
        "safety_scale": str(scale),
    }


START = event("E0", "2024-01-10", "vulnerability", "low")  # what every decision cites


def book(events=(), decisions=(), judgements=(), cases=None) -> Casebook:
    """Build a validated casebook in memory (case C1 unless ``cases`` are given)."""
    tables = {
        "cases": pd.DataFrame(cases or [case()]),
        "events": pd.DataFrame([START, *events]),
    }
    if decisions:
        tables["decisions"] = pd.DataFrame(list(decisions))
    if judgements:
        tables["judgements"] = pd.DataFrame(list(judgements))
    return from_tables({k: v.fillna("").astype(str) for k, v in tables.items()}, "hand-made")


@pytest.fixture(scope="module")
def duckdb():
    with connect("duckdb") as engine:
        yield engine


def both(engine: Engine, cb: Casebook, as_of: dt.date, **t: object) -> pd.DataFrame:
    """Give the step-down flags on ``engine``, after checking they equal the pandas ones."""
    want = flags(cb, as_of=as_of, engine="pandas", **t)  # type: ignore[arg-type]
    want = want[want["flag"].isin(RAISES)].reset_index(drop=True)
    want["flag"] = want["flag"].astype(str)
    tables = from_casebook(cb)
    got = run_flags(engine, tables, as_of, {**THRESHOLDS, **t})
    got = got[got["flag"].isin(RAISES)].reset_index(drop=True)
    got["flag"] = got["flag"].astype(str)
    pd.testing.assert_frame_equal(want, got)
    pd.testing.assert_frame_equal(
        pandas_due(cb, as_of=as_of, **t), step_downs_due(engine, tables, as_of, {**THRESHOLDS, **t})
    )
    return got


def of(rows: pd.DataFrame, flag: str) -> pd.DataFrame:
    return rows[rows["flag"] == flag].reset_index(drop=True)


CIN = decision("D1", "2024-02-01", "child_in_need")


# --- step_down_due --------------------------------------------------------------------------


def test_open_with_one_judgement_then_with_several(duckdb):
    one = of(
        both(duckdb, book([], [CIN], [judgement("J1", "2024-03-01", 8)]), AS_OF), "step_down_due"
    )
    assert one[["subject_id", "date", "status", "team_id"]].values.tolist() == [
        ["C1", pd.Timestamp("2024-05-02"), "open", "TC1"]
    ]
    assert (
        "its one judgement since then, J1 (child, 8 on 2024-03-01), is 7 or above"
        in one["reason"].item()
    )
    several = [judgement("J1", "2024-03-01", 8), judgement("J2", "2024-08-01", 9, "family")]
    rows = of(both(duckdb, book([], [CIN], several), AS_OF), "step_down_due")
    assert (
        "all 2 judgements since then are 7 or above (the latest: J2 (family, 9 on 2024-08-01))"
        in (rows["reason"].item())
    )
    assert "(334 days by 2024-12-31)" in rows["reason"].item()


def test_not_due_without_a_judgement_too_soon_or_ended_first(duckdb):
    assert both(duckdb, book([], [CIN]), AS_OF).empty  # no judgement at all
    high = [judgement("J1", "2024-03-01", 8)]
    assert both(duckdb, book([], [CIN], high), dt.date(2024, 5, 1)).empty  # day 90
    assert not both(duckdb, book([], [CIN], high), dt.date(2024, 5, 2)).empty  # day 91
    down = [CIN, decision("D2", "2024-04-01", "early_help")]
    assert both(duckdb, book([], down, high), AS_OF).empty  # stepped down after 60 days
    closed = book([], [CIN], high, [case(closed="2024-04-15")])
    assert both(duckdb, closed, AS_OF).empty
    on_end = [judgement("J1", "2024-04-01", 8)]  # judged on the step-down's day: not in it
    assert both(duckdb, book([], down, on_end), AS_OF).empty
    assert not both(duckdb, book([], [CIN], high), AS_OF, step_down_days=0).empty


def test_past_when_stepped_down_or_closed_with_the_wait(duckdb):
    high = [judgement("J1", "2024-03-01", 8)]
    down = [CIN, decision("D2", "2024-06-15", "signposted")]
    rows = of(both(duckdb, book([], down, high), AS_OF), "step_down_due")
    assert rows["status"].tolist() == ["past"]
    assert rows["reason"].item().startswith("A step-down became due on 2024-05-02: ")
    assert (
        rows["reason"]
        .item()
        .endswith("It was stepped down to signposted on 2024-06-15, 44 days after it became due.")
    )
    closed = book([], [CIN], high, [case(closed="2024-07-01")])
    rows = of(both(duckdb, closed, AS_OF), "step_down_due")
    assert (
        rows["reason"]
        .item()
        .endswith("The case was closed on 2024-07-01, 60 days after it became due.")
    )
    # closed after the as-of date: still open then
    assert of(both(duckdb, closed, dt.date(2024, 6, 30)), "step_down_due")["status"].tolist() == [
        "open"
    ]
    # the step-down and the closure on one day: the step-down ended it
    same = book([], down, high, [case(closed="2024-06-15")])
    assert "stepped down to signposted on 2024-06-15" in both(duckdb, same, AS_OF)["reason"][0]


def test_dropped_by_a_low_judgement(duckdb):
    judged = [judgement("J1", "2024-03-01", 8), judgement("J2", "2024-06-01", 6, "community")]
    rows = of(both(duckdb, book([], [CIN], judged), AS_OF), "step_down_due")
    assert rows[["date", "status"]].values.tolist() == [[pd.Timestamp("2024-05-02"), "past"]]
    assert (
        rows["reason"]
        .item()
        .endswith(
            "Then judgement J2 (community, 6 on 2024-06-01) was below 7, so it is no longer due."
        )
    )
    low_first = [judgement("J0", "2024-02-15", 3), *judged]
    assert both(duckdb, book([], [CIN], low_first), AS_OF).empty  # every judgement counts
    assert of(both(duckdb, book([], [CIN], judged), AS_OF, step_down_min_scale=6), "step_down_due")[
        "status"
    ].tolist() == ["open"]


def test_stopped_by_a_concern_quotes_it_in_one_line(duckdb):
    said = "  Pushed\ta classmate\n\n down the stairs, and " + "then ran away " * 6
    concern = event("E2", "2024-05-20", "extremist_behaviour", "medium", summary=said)
    rows = of(
        both(duckdb, book([concern], [CIN], [judgement("J1", "2024-03-01", 8)]), AS_OF),
        "step_down_due",
    )
    assert rows["status"].tolist() == ["past"]
    assert (
        'Then concern event E2 (extremist behaviour, medium, 2024-05-20: "Pushed a classmate '
        'down the stairs, and then ran away then…") was recorded on 2024-05-20, '
        "after the latest judgement J1 (child, 8 on 2024-03-01), so it is no longer due."
    ) in rows["reason"].item()
    # recorded later than it happened: it stops the step-down from the day it was recorded
    late = event("E2", "2024-02-20", recorded="2024-06-01")
    rows = of(
        both(duckdb, book([late], [CIN], [judgement("J1", "2024-03-01", 8)]), AS_OF),
        "step_down_due",
    )
    assert 'Then concern event E2 (harm, high, 2024-02-20: "s") was recorded on 2024-06-01' in (
        rows["reason"].item()
    )
    # recorded after the as-of date: not known, so still open
    unknown = event("E2", "2024-05-20", recorded="2025-01-05")
    rows = both(duckdb, book([unknown], [CIN], [judgement("J1", "2024-03-01", 8)]), AS_OF)
    assert rows["status"].tolist() == ["open"]
    # a low-significance concern, or a context event, holds nothing back
    for quiet in (
        event("E2", "2024-05-20", significance="low"),
        event("E2", "2024-05-20", "vulnerability"),
    ):
        assert both(duckdb, book([quiet], [CIN], [judgement("J1", "2024-03-01", 8)]), AS_OF)[
            "status"
        ].tolist() == ["open"]


def test_a_concern_holds_it_back_until_a_later_judgement_and_the_open_reason_names_them(duckdb):
    concerns = [event(f"E{n}", f"2024-04-{n + 10:02d}", "harm") for n in range(1, 6)]
    judged = [judgement("J1", "2024-03-01", 8), judgement("J2", "2024-06-10", 9)]
    rows = of(both(duckdb, book(concerns, [CIN], judged), AS_OF), "step_down_due")
    assert rows[["date", "status"]].values.tolist() == [[pd.Timestamp("2024-06-10"), "open"]]
    assert (
        rows["reason"]
        .item()
        .endswith(
            "each before a later judgement of 7 or above: E1 (harm, high, recorded 2024-04-11), "
            "E2 (harm, high, recorded 2024-04-12), E3 (harm, high, recorded 2024-04-13) and 2 more."
        )
    )
    # recorded on the judgement's own day is not after it
    same_day = event("E1", "2024-03-01")
    rows = both(duckdb, book([same_day], [CIN], judged[:1]), AS_OF)
    assert rows["date"].tolist() == [pd.Timestamp("2024-05-02")]


def test_ties_on_a_date_are_ordered_by_id(duckdb):
    """Judgements and concern events that share a day are taken in the order of their ids."""
    judged = [
        judgement("J2", "2024-03-01", 9, "family"),
        judgement("J1", "2024-03-01", 8),
        judgement("J3", "2024-03-01", 10, "community"),
    ]
    rows = of(both(duckdb, book([], [CIN], judged), AS_OF), "step_down_due")
    assert "all 3 judgements since then" in rows["reason"].item()
    assert "(the latest: J3 (community, 10 on 2024-03-01))" in rows["reason"].item()
    lows = [
        judgement("J1", "2024-03-01", 8),
        judgement("J5", "2024-06-01", 2, "family"),
        judgement("J4", "2024-06-01", 3),
    ]
    rows = of(both(duckdb, book([], [CIN], lows), AS_OF), "step_down_due")
    assert "Then judgement J4 (child, 3 on 2024-06-01) was below 7" in rows["reason"].item()
    twins = [
        event("E3", "2024-05-20", summary="second"),
        event("E2", "2024-05-20", summary="first"),
    ]
    rows = of(both(duckdb, book(twins, [CIN], lows[:1]), AS_OF), "step_down_due")
    assert 'Then concern event E2 (harm, high, 2024-05-20: "first")' in rows["reason"].item()


def test_channel_never_breaks_a_stretch_and_stretches_are_apart(duckdb):
    channel = [CIN, decision("D2", "2024-03-10", "channel_support")]
    rows = both(duckdb, book([], channel, [judgement("J1", "2024-03-01", 8)]), AS_OF)
    assert rows["date"].tolist() == [pd.Timestamp("2024-05-02")]
    first = [decision("D0", "2024-01-20", "channel_support"), CIN]  # Channel before any rung
    assert both(duckdb, book([], first, [judgement("J1", "2024-03-01", 8)]), AS_OF)[
        "date"
    ].tolist() == [pd.Timestamp("2024-05-02")]
    twice = [
        CIN,
        decision("D2", "2024-06-01", "early_help"),
        decision("D3", "2024-06-10", "channel_support"),
        decision("D4", "2024-07-01", "section_47"),
    ]
    judged = [judgement("J1", "2024-03-01", 8), judgement("J2", "2024-07-15", 8)]
    cb = book([], twice, judged)
    rows = of(both(duckdb, cb, AS_OF), "step_down_due")
    assert rows[["date", "status"]].values.tolist() == [
        [pd.Timestamp("2024-05-02"), "past"],
        [pd.Timestamp("2024-09-30"), "open"],
    ]
    due = step_downs_due(duckdb, from_casebook(cb), AS_OF, THRESHOLDS)
    assert due[["start", "ended", "wait_days", "open"]].values.tolist() == [
        [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-06-01"), 30, False],
        [pd.Timestamp("2024-07-01"), pd.NaT, pd.NA, True],
    ]
    # a stretch ended and begun on one day: two stretches, taken in decision order
    flicker = [
        CIN,
        decision("D2", "2024-06-01", "early_help"),
        decision("D3", "2024-06-01", "section_47"),
    ]
    rows = of(both(duckdb, book([], flicker, judged), AS_OF), "step_down_due")
    assert rows["status"].tolist() == ["past", "open"]
    # a higher escalation rung: child in need is not in a stretch at all
    assert of(both(duckdb, cb, AS_OF, escalation_rung="section_47"), "step_down_due")[
        "date"
    ].tolist() == [pd.Timestamp("2024-09-30")]


def test_cases_are_kept_apart(duckdb):
    """A concern or judgement of another case changes nothing; each case gets its own team."""
    cases = [case("C1"), case("C2")]
    judged = [judgement("J1", "2024-03-01", 8), judgement("J2", "2024-03-01", 2, cid="C2")]
    other = [event("E2", "2024-05-20", cid="C2")]
    two = [CIN, decision("D2", "2024-02-01", "section_47", cid="C2")]
    rows = of(both(duckdb, book(other, two, judged, cases), AS_OF), "step_down_due")
    assert rows[["case_id", "status", "team_id"]].values.tolist() == [["C1", "open", "TC1"]]


def test_cases_opened_after_the_as_of_date_are_kept_apart_too(duckdb):
    """Decisions dated before their case was opened (the contract allows it) are still read.

    Two such cases: the concern of one must not flag the other's step-down (the pandas flags
    once matched the cases not yet known as if they were one).
    """
    cases = [case("C1"), case("C2", opened="2025-06-01"), case("C3", opened="2025-06-01")]
    judged = [
        judgement("J1", "2024-03-01", 8, cid="C2"),
        judgement("J2", "2024-05-01", 2, cid="C3"),
    ]
    early = [
        decision("D1", "2024-02-01", "child_in_need", cid="C2"),
        decision("D2", "2024-06-15", "early_help", cid="C2"),
    ]
    elsewhere = [event("E3", "2024-06-01", cid="C3")]
    rows = both(duckdb, book(elsewhere, early, judged, cases), AS_OF)
    assert rows[["flag", "case_id", "status"]].values.tolist() == [["step_down_due", "C2", "past"]]
    assert rows["team_id"].tolist() == [None]
    own = [event("E2", "2024-06-01", cid="C2")]
    rows = of(both(duckdb, book(own, early, judged, cases), AS_OF), "step_down_despite_concern")
    assert rows[["subject_id", "status", "team_id"]].values.tolist() == [["D2", "open", None]]
    assert "14 days after concern event E2" in rows["reason"].item()


# --- step_down_despite_concern --------------------------------------------------------------

THREAT = event("E2", "2024-03-01", "extremist_behaviour", summary="Threatened\na classmate")


def test_a_step_down_within_the_window_after_a_concern(duckdb):
    down = [CIN, decision("D2", "2024-03-31", "early_help")]
    rows = of(both(duckdb, book([THREAT], down), AS_OF), "step_down_despite_concern")
    assert rows[["subject_id", "date", "status"]].values.tolist() == [
        ["D2", pd.Timestamp("2024-03-31"), "open"]
    ]
    assert rows["reason"].item() == (
        "Decision D2 (2024-03-31) lowered the response from child in need to early help 30 days "
        'after concern event E2 (extremist behaviour, high, 2024-03-01: "Threatened a classmate",'
        " recorded on 2024-03-01). Is anything being closed or stepped down too early?"
    )
    late = [CIN, decision("D2", "2024-04-01", "early_help")]
    assert of(both(duckdb, book([THREAT], late), AS_OF), "step_down_despite_concern").empty
    assert (
        len(
            of(
                both(duckdb, book([THREAT], late), AS_OF, concern_window_days=31),
                "step_down_despite_concern",
            )
        )
        == 1
    )
    same_day = [CIN, decision("D2", "2024-03-01", "no_further_action")]
    rows = of(
        both(duckdb, book([THREAT], same_day), AS_OF, concern_window_days=0),
        "step_down_despite_concern",
    )
    assert "0 days after concern event E2" in rows["reason"].item()
    later = event("E2", "2024-03-01", recorded="2024-04-05")  # recorded after the step-down
    assert of(both(duckdb, book([later], down), AS_OF), "step_down_despite_concern").empty


def test_the_latest_of_several_concerns_is_named_and_the_rest_counted(duckdb):
    concerns = [
        event("E3", "2024-03-10", summary="third"),
        event("E2", "2024-03-10", summary="second"),
        event("E4", "2024-03-05", "influence_grooming", "medium"),
    ]
    down = [CIN, decision("D2", "2024-03-20", "early_help")]
    rows = of(both(duckdb, book(concerns, down), AS_OF), "step_down_despite_concern")
    assert '10 days after concern event E3 (harm, high, 2024-03-10: "third", recorded on ' in (
        rows["reason"].item()
    )
    assert "2024-03-10) and 2 more in the 30 days before." in rows["reason"].item()


def test_a_step_down_while_judgements_are_low_at_any_level(duckdb):
    down = [CIN, decision("D2", "2024-03-20", "early_help")]
    judged = [
        judgement("J1", "2024-02-10", 3),
        judgement("J2", "2024-03-01", 8),  # the latest child judgement is 8
        judgement("J4", "2024-02-15", 2, "community"),
        judgement("J3", "2024-02-15", 4, "community"),  # same day: J4 is the latest
        judgement("J5", "2024-03-10", 1, "family"),
        judgement("J6", "2024-03-21", 0, "child"),  # after the step-down
    ]
    rows = of(both(duckdb, book([], down, judged), AS_OF), "step_down_despite_concern")
    assert rows["reason"].item() == (
        "Decision D2 (2024-03-20) lowered the response from child in need to early help while "
        "the latest family judgement, J5 (2024-03-10), was 1, the latest community judgement, "
        "J4 (2024-02-15), was 2 on the 0-10 safety scale. Is anything being closed or stepped "
        "down too early?"
    )
    assert of(both(duckdb, book([], down, judged[:2]), AS_OF), "step_down_despite_concern").empty
    assert (
        len(
            of(
                both(duckdb, book([], down, judged[:2]), AS_OF, low_scale=8),
                "step_down_despite_concern",
            )
        )
        == 1
    )
    rows = of(both(duckdb, book([THREAT], down, judged[4:5]), AS_OF), "step_down_despite_concern")
    assert "(2024-03-01). Is" not in rows["reason"].item()
    assert (
        ", recorded on 2024-03-01), and while the latest family judgement, J5"
        in rows["reason"].item()
    )


def test_a_closure_and_a_step_down_on_one_day_are_one_prompt(duckdb):
    close = [CIN, decision("D2", "2024-03-20", "no_further_action")]
    same = both(duckdb, book([THREAT], close, cases=[case(closed="2024-03-20")]), AS_OF)
    assert of(same, "step_down_despite_concern")["subject_id"].tolist() == ["D2"]
    apart = both(duckdb, book([THREAT], close, cases=[case(closed="2024-03-25")]), AS_OF)
    rows = of(apart, "step_down_despite_concern")
    assert rows["subject_id"].tolist() == ["D2", "C1"]
    assert rows["reason"][1].startswith("The case was closed on 2024-03-25 24 days after")
    alone = both(duckdb, book([THREAT], [CIN], cases=[case(closed="2024-03-25")]), AS_OF)
    assert of(alone, "step_down_despite_concern")["subject_id"].tolist() == ["C1"]


def test_a_channel_decision_is_no_step_down_and_keeps_the_rung_before(duckdb):
    moves = [
        decision("D1", "2024-02-01", "section_47"),
        decision("D2", "2024-03-05", "channel_support"),
        decision("D3", "2024-03-20", "early_help"),
    ]
    rows = of(both(duckdb, book([THREAT], moves), AS_OF), "step_down_despite_concern")
    assert rows["subject_id"].tolist() == ["D3"]
    assert "lowered the response from section 47 to early help" in rows["reason"].item()


def test_status_open_while_the_case_is_open_or_closed_recently(duckdb):
    close = [CIN, decision("D2", "2024-03-20", "no_further_action")]
    closed = book([THREAT], close, cases=[case(closed="2024-03-20")])
    assert both(duckdb, closed, dt.date(2024, 4, 17))["status"].tolist() == ["open"]
    assert both(duckdb, closed, dt.date(2024, 4, 18))["status"].tolist() == ["past"]
    assert both(duckdb, closed, dt.date(2024, 3, 20), closed_recently_days=0)[
        "status"
    ].tolist() == ["open"]
    assert both(duckdb, book([THREAT], close), dt.date(2025, 12, 31))["status"].tolist() == ["open"]


# --- every branch at once, on DuckDB and on Spark -----------------------------------------------


def everything() -> Casebook:
    """One casebook with a case for each branch above: its ids start with the case's."""
    cases = [case(f"C{n}") for n in range(1, 8)]
    cases[2] = case("C3", closed="2024-07-01")
    cases.append(case("C8", opened="2025-06-01"))
    events, decisions, judgements = [], [], []
    for n in range(1, 9):
        c = f"C{n}"
        decisions.append(decision(f"{c}D1", "2024-02-01", "child_in_need", c))
        judgements.append(judgement(f"{c}J1", "2024-03-01", 8, cid=c))
    events += [event(f"C1E{n}", f"2024-04-{n + 10:02d}", cid="C1") for n in range(1, 6)]
    judgements.append(judgement("C1J2", "2024-06-10", 9, cid="C1"))
    events.append(event("C2E1", "2024-06-01", "influence_grooming", "medium", cid="C2"))
    decisions.append(decision("C2D2", "2024-06-15", "signposted", "C2"))
    events.append(event("C3E1", "2024-06-20", cid="C3", summary="x" * 80))
    judgements += [
        judgement("C4J3", "2024-06-01", 3, cid="C4"),
        judgement("C4J2", "2024-06-01", 2, "family", cid="C4"),
    ]
    events.append(event("C5E1", "2024-05-20", cid="C5", summary=" a\tb\r\nc  "))
    decisions += [
        decision("C6D2", "2024-03-10", "channel_support", "C6"),
        decision("C6D3", "2024-06-01", "early_help", "C6"),
        decision("C6D4", "2024-07-01", "section_47", "C6"),
    ]
    judgements.append(judgement("C6J2", "2024-07-15", 10, "community", cid="C6"))
    judgements += [
        judgement("C7J2", "2024-03-05", 1, "family", cid="C7"),
        judgement("C7J3", "2024-03-05", 4, "community", cid="C7"),
    ]
    decisions.append(decision("C7D2", "2024-03-20", "early_help", "C7"))
    events.append(event("C8E1", "2024-06-01", cid="C8"))
    decisions.append(decision("C8D2", "2024-06-15", "early_help", "C8"))
    return book(events, decisions, judgements, cases)


def test_every_branch_in_one_casebook(duckdb):
    rows = both(duckdb, everything(), AS_OF)
    due = of(rows, "step_down_due")
    assert due.groupby("case_id")["status"].agg(list).to_dict() == {
        "C1": ["open"],
        "C2": ["past"],
        "C3": ["past"],
        "C4": ["past"],
        "C5": ["past"],
        "C6": ["past", "open"],
        "C8": ["past"],
    }  # C7's low judgement came before any step-down fell due
    despite = of(rows, "step_down_despite_concern")
    assert despite["subject_id"].tolist() == ["C2D2", "C3", "C7D2", "C8D2"]
    assert of(both(duckdb, everything(), dt.date(2024, 5, 1)), "step_down_due").empty


def test_spark_local_gives_the_pandas_step_down_flags():
    """One Spark session (slow to start, and each query is many stages): every branch."""
    with connect("spark") as spark:
        rows = both(spark, everything(), AS_OF)
    assert len(rows) == 12 and set(rows["flag"]) == set(RAISES)


def test_postgres_gives_the_pandas_step_down_flags(pg_url, monkeypatch):
    """In a PostgreSQL database: every branch, and a synthetic casebook with every ported flag."""
    with connect("postgres", url=no_password(monkeypatch, pg_url)) as postgres:
        rows = both(postgres, everything(), AS_OF)
        assert len(rows) == 12
        cb, tables = synthetic(1, 150)
        assert_same_flags(oracle(cb, AS_OF), relational(postgres, tables, AS_OF))
