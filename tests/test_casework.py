"""The work on each open case: overdue plan actions and when the child was last seen alone.

Every expected value is worked out by hand below (working days leave out weekends and the
bank holidays of England and Wales: 6 May and 27 May 2024 fall in these examples).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import write_csv_bundle

import casekit
from casekit.analysis.casework import (
    OVERDUE_COLUMNS,
    SEEN_ALONE_COLUMNS,
    SINCE_OPENED,
    SINCE_SEEN_ALONE,
    last_seen_alone,
    overdue_actions,
)
from casekit.bundle.casebook import Casebook
from casekit.errors import CasekitError

TODAY = dt.date(2026, 1, 1)
AS_OF = "2024-06-14"  # a Friday
HOSTILE = '=HYPERLINK("http://x") <script>alert(1)</script> Mentoring, "quoted"'


def case(cid, worker, opened, closed=""):
    return {
        "case_id": cid,
        "child_id": "K" + cid,
        "team_id": "T1",
        "worker_id": worker,
        "opened": opened,
        "closed": closed,
        "referral_source": "education",
        "concern_flags": "radicalisation",
    }


def ev(eid, cid, date, alone="", kind="visit", recorded=""):
    return {
        "event_id": eid,
        "case_id": cid,
        "date": date,
        "recorded_on": recorded or date,
        "source_agency": "social_care",
        "kind": kind,
        "summary": "Visit.",
        "category": "protective",
        "level": "child",
        "seen_alone": alone,
    }


def action(aid, cid, created, due="", completed="", description="Mentoring"):
    return {
        "action_id": aid,
        "case_id": cid,
        "created": created,
        "description": description,
        "level": "child",
        "owner_agency": "education",
        "due": due,
        "completed": completed,
    }


def bundle() -> dict[str, list[dict[str, str]]]:
    return {
        "teams": [{"team_id": "T1", "team_name": "North"}],
        "workers": [{"worker_id": "W1", "team_id": "T1", "role": "social_worker", "fte": "1"}],
        "cases": [
            case("C1", "W1", "2024-05-01"),
            case("C2", "W1", "2024-04-01", closed="2024-05-31"),
            case("C3", "W1", "2024-07-01"),  # opened after the as-of date
            case("C4", "", "2024-06-03"),  # unallocated
            case("C5", "W1", "2024-05-01"),
        ],
        "events": [
            ev("V1", "C1", "2024-05-10", "yes"),
            ev("V2", "C1", "2024-06-03", "no"),
            ev("V3", "C1", "2024-06-07", "yes", recorded="2024-06-20"),  # known later
            ev("V4", "C1", "2024-06-20", "yes"),  # after the as-of date
            ev("M1", "C1", "2024-06-05", "yes", kind="meeting"),  # not a visit
            ev("V5", "C4", "2024-06-04", ""),  # not recorded
            ev("V6", "C5", "2024-05-20", "no"),
            ev("V7", "C2", "2024-05-02", "yes"),  # a closed case
            ev("V8", "C3", "2024-07-02", "yes"),
        ],
        "plan_actions": [
            action("A1", "C1", "2024-05-02", due="2024-06-01"),
            action("A2", "C1", "2024-05-02", due="2024-06-10", completed="2024-06-12"),
            action("A3", "C1", "2024-05-02", due="2024-05-20", completed="2024-06-20"),
            action("A4", "C1", "2024-06-20", due="2024-06-25"),  # created after as_of
            action("A5", "C2", "2024-04-02", due="2024-05-01"),  # case closed
            action("A6", "C1", "2024-05-02", due=AS_OF),  # due today: not yet overdue
            action("A7", "C1", "2024-05-02"),  # no due date
            action("A8", "C4", "2024-06-04", due="2024-06-13", description=HOSTILE),
            action("A9", "C1", "2024-05-02", due="2024-05-03", completed="2024-05-03"),
        ],
    }


@pytest.fixture
def cb(tmp_path) -> Casebook:
    return casekit.load(write_csv_bundle(tmp_path / "b", bundle()), today=TODAY)


# --- overdue_actions -------------------------------------------------------------------------


def test_overdue_actions_lists_open_cases_actions_due_and_not_done_oldest_first(cb):
    out = overdue_actions(cb, AS_OF)
    assert list(out.columns) == OVERDUE_COLUMNS
    # A3 is completed only after the as-of date, so it was still overdue then.
    assert out["action_id"].tolist() == ["A3", "A1", "A8"]
    assert out["days_overdue"].tolist() == [25, 13, 1]  # 20 May, 1 Jun, 13 Jun to 14 Jun
    assert out["case_id"].tolist() == ["C1", "C1", "C4"]
    assert out["worker_id"].tolist()[:2] == ["W1", "W1"] and pd.isna(out["worker_id"].iloc[2])
    assert set(out["team_id"]) == {"T1"}
    assert out["due"].dt.strftime("%Y-%m-%d").tolist() == ["2024-05-20", "2024-06-01", "2024-06-13"]


def test_overdue_actions_keeps_free_text_exactly(cb):
    out = overdue_actions(cb, AS_OF)
    assert out.loc[out["action_id"] == "A8", "description"].item() == HOSTILE


def test_overdue_actions_as_known_at_an_earlier_date(cb):
    out = overdue_actions(cb, "2024-05-31")
    # On 31 May: A3 (due 20 May) is overdue 11 days; C2 closed that day, so A5 is not listed;
    # A1 is not due until 1 Jun and A8 was not yet created.
    assert out["action_id"].tolist() == ["A3"]
    assert out["days_overdue"].tolist() == [11]


def test_overdue_actions_counts_an_action_of_a_case_open_then(cb):
    out = overdue_actions(cb, "2024-05-30")  # C2 still open: A5 due 1 May, 29 days
    assert out["action_id"].tolist() == ["A5", "A3"]
    assert out["days_overdue"].tolist() == [29, 10]


def test_overdue_actions_without_a_plan_actions_table(tmp_path):
    tables = bundle()
    del tables["plan_actions"]
    cb = casekit.load(write_csv_bundle(tmp_path / "b", tables), today=TODAY)
    out = overdue_actions(cb, AS_OF)
    assert out.empty and list(out.columns) == OVERDUE_COLUMNS


@pytest.mark.parametrize("bad", ["31/03/2025", "soon", "2024-02-30", 42.5])
def test_a_bad_as_of_date_says_how_to_write_it(cb, bad):
    for function in (overdue_actions, last_seen_alone):
        with pytest.raises(CasekitError, match="YYYY-MM-DD"):
            function(cb, bad)


# --- last_seen_alone -------------------------------------------------------------------------


def test_last_seen_alone_one_row_per_open_case_longest_first(cb):
    out = last_seen_alone(cb, AS_OF)
    assert list(out.columns) == SEEN_ALONE_COLUMNS
    # C5: never seen alone (one visit, "no"): from opening on 1 May, 30 working days
    #   (2-3 May 2, 7-10 May 4, 13-24 May 10, 28-31 May 4, 3-14 Jun 10).
    # C1: last seen alone 10 May (V3 was recorded after the as-of date, V4 is later, M1 is
    #   not a visit): 13-24 May 10, 28-31 May 4, 3-14 Jun 10 = 24.
    # C4: opened 3 Jun, its visit does not record seen alone: 4-14 Jun, 9 working days.
    assert out["case_id"].tolist() == ["C5", "C1", "C4"]
    assert out["working_days_since"].tolist() == [30, 24, 9]
    assert out["since"].tolist() == [SINCE_OPENED, SINCE_SEEN_ALONE, SINCE_OPENED]
    assert pd.isna(out.loc[0, "last_seen_alone"]) and pd.isna(out.loc[2, "last_seen_alone"])
    assert out.loc[1, "last_seen_alone"] == pd.Timestamp("2024-05-10")
    assert out["seen_alone_recorded"].tolist() == [True, True, False]
    assert out["worker_id"].tolist()[:2] == ["W1", "W1"] and pd.isna(out["worker_id"].iloc[2])


def test_last_seen_alone_counts_a_visit_once_it_is_recorded(cb):
    out = last_seen_alone(cb, "2024-06-20").set_index("case_id")
    # By 20 Jun, V3 (7 Jun) and V4 (20 Jun) are both known: V4 is the latest, 0 days since.
    assert out.loc["C1", "last_seen_alone"] == pd.Timestamp("2024-06-20")
    assert out.loc["C1", "working_days_since"] == 0


def test_last_seen_alone_with_no_open_cases(cb):
    out = last_seen_alone(cb, "2024-03-01")
    assert out.empty and list(out.columns) == SEEN_ALONE_COLUMNS


def test_a_bundle_without_seen_alone_or_plan_actions_is_unknown_not_no(tmp_path):
    tables = bundle()
    del tables["plan_actions"]
    for row in tables["events"]:
        del row["seen_alone"]
    cb = casekit.load(write_csv_bundle(tmp_path / "old", tables), today=TODAY)
    out = last_seen_alone(cb, AS_OF)
    assert out["since"].tolist() == [SINCE_OPENED] * 3
    assert not out["seen_alone_recorded"].any()
    assert out["last_seen_alone"].isna().all()
    assert overdue_actions(cb, AS_OF).empty


def test_a_casebook_built_without_the_seen_alone_column(cb):
    events = cb.events.drop(columns="seen_alone")
    bare = Casebook({**cb.tables, "events": events}, source="bare")
    out = last_seen_alone(bare, AS_OF)
    assert out["case_id"].tolist() == ["C1", "C5", "C4"]  # C1 from 1 May too: 30, 30, 9
    assert out["working_days_since"].tolist() == [30, 30, 9]
    assert not out["seen_alone_recorded"].any()
