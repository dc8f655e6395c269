"""The decision flags that weigh evidence, and the decision profiles, relationally.

``escalation_on_belief_or_views``, ``statutory_step_without_concern`` (each of its three
endings) and ``rests_on_restricted_intelligence``, on DuckDB: every casebook is also run by the
pandas flags (the oracle), which must give the same rows, and each test says what the reason
must be. Spark local mode and PostgreSQL each run every casebook here at once, side by side.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import os
import re

import pandas as pd
import pytest
import sqlalchemy as sa
from engine_helpers import assert_same_flags, oracle, relational, synthetic

from casekit.analysis.relational.evidence import RAISES
from casekit.analysis.relational.flags import RAISED
from casekit.analysis.relational.profiles import PROFILE_COLUMNS, run_decision_profiles
from casekit.analysis.relational.profiles import decision_profiles as decision_profiles_expr
from casekit.analysis.research import decision_profiles
from casekit.bundle.casebook import Casebook, from_tables
from casekit.contract import TABLES
from casekit.engine import Engine, connect
from casekit.engine.tables import from_casebook
from casekit.errors import CasekitError
from casekit.policy import GROUP_BAU, GROUP_RADICALISATION, STRATA, STRONG, WEAK

AS_OF = dt.date(2024, 12, 31)
BELIEF = "escalation_on_belief_or_views"
CONTEXT = "statutory_step_without_concern"
HIDDEN = "rests_on_restricted_intelligence"
NOT_CONCERN = "; none of these is influence or grooming, extremist behaviour or harm."
NEITHER = (
    "; none of these is a concern event (influence or grooming, extremist behaviour or harm) or a"
    " belief or views event."
)
EVERYTHING = ", citing no evidence, so resting on everything recorded by then: "
HIDDEN_END = " (restricted = true, or evidence = intelligence)."


def ev(eid, date, category, *, recorded=None, summary="s", restricted="no", evidence="observed"):
    return {
        "event_id": eid,
        "case_id": "C1",
        "date": date,
        "recorded_on": recorded or date,
        "source_agency": "education",
        "kind": "visit",
        "summary": summary,
        "category": category,
        "level": "child",
        "restricted": restricted,
        "evidence": evidence,
    }


def dec(did, date, response, cites=""):
    return {
        "decision_id": did,
        "case_id": "C1",
        "date": date,
        "response": response,
        "lead_agency": "social_care",
        "family_engaged": "yes",
        "evidence_ids": cites,
    }


def case(cid="C1", closed="", **more):
    return {
        "case_id": cid,
        "child_id": "K" + cid,
        "team_id": "T1",
        "opened": "2024-01-02",
        "closed": closed,
        "referral_source": "education",
        "concern_flags": "radicalisation",
        "ideology": "islamist",
        **more,
    }


def book(events, decisions=(), closed="", **more) -> Casebook:
    """Build a one-case casebook (case C1, with ``more`` columns), validated as any bundle."""
    cases = pd.DataFrame([case(closed=closed, **more)])
    tables = {"cases": cases, "events": pd.DataFrame(events)}
    if decisions:
        tables["decisions"] = pd.DataFrame(list(decisions))
    return from_tables(tables, "hand-made")


# The casebooks each DuckDB test runs (a copy), with their as-of dates and thresholds
BOOKS: dict[str, list[tuple[Casebook, dt.date, dict[str, object]]]] = {}
GATHERING: list[str] = []  # the test every_book() is running itself, if any


@pytest.fixture(scope="module")
def duckdb():
    with connect("duckdb") as engine:
        yield engine


def keep(cb: Casebook, as_of: dt.date, t: dict[str, object]) -> None:
    """Keep a copy of a test's casebook for the Spark and PostgreSQL checks."""
    test = GATHERING[-1] if GATHERING else os.environ["PYTEST_CURRENT_TEST"]
    test = test.split("::")[-1].split(" ")[0]
    copy = Casebook({name: frame.copy() for name, frame in cb.tables.items()}, cb.source)
    BOOKS.setdefault(test, []).append((copy, as_of, t))


def profiled(engine: Engine, cb: Casebook) -> pd.DataFrame:
    """Run the decision profiles on ``engine`` and on pandas: the same rows; give them by id."""
    keep(cb, AS_OF, {})
    got = run_decision_profiles(engine, from_casebook(cb))
    assert_same_profiles(decision_profiles(cb), got)
    return got.set_index("decision_id")


def assert_same_profiles(want: pd.DataFrame, got: pd.DataFrame) -> None:
    """Assert the same rows and values (text as text, a missing value as None), in order."""
    assert got["stratum"].cat.categories.tolist() == list(STRATA) and got["stratum"].cat.ordered

    def plain(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame[list(PROFILE_COLUMNS)].reset_index(drop=True).astype(object)
        return frame.where(frame.notna(), None)

    pd.testing.assert_frame_equal(plain(want), plain(got))


def flagged(engine: Engine, cb: Casebook, flag: str, as_of=AS_OF, **t) -> pd.DataFrame:
    """Run the flags on ``engine`` and on pandas: the same rows; give ``flag``'s rows."""
    keep(cb, as_of, t)
    got = relational(engine, from_casebook(cb), as_of, **t)
    assert_same_flags(oracle(cb, as_of, **t), got)
    return got[got["flag"] == flag].reset_index(drop=True)


def combined(books: list[Casebook]) -> Casebook:
    """Put casebooks side by side as one: each one's ids take a prefix (``b0-``, ``b1-``)."""
    tables: dict[str, pd.DataFrame] = {}
    for name in books[0].tables:
        frames = []
        for i, cb in enumerate(books):
            frame = cb.tables[name].copy()
            for column in TABLES[name].columns:
                if column.name not in frame:
                    continue
                if column.kind in ("id", "ref"):
                    frame[column.name] = f"b{i}-" + frame[column.name].astype(str)
                elif column.kind == "ids":
                    frame[column.name] = [[f"b{i}-{x}" for x in v] for v in frame[column.name]]
            frames.append(frame)
        both = pd.concat(frames, ignore_index=True)
        tables[name] = both.astype(frames[0].dtypes.to_dict()) if len(both) else frames[0]
    return Casebook(tables, "side by side")


def reason(rows: pd.DataFrame) -> str:
    assert len(rows) == 1, rows
    return rows["reason"].item()


def test_the_three_flags_are_ported():
    assert set(RAISES) == {BELIEF, CONTEXT, HIDDEN}
    assert set(RAISES) <= set(RAISED)


def test_belief_names_the_cited_events_in_the_order_cited(duckdb):
    cb = book(
        [
            ev("E1", "2024-01-10", "views_expressed", summary="Said he backs the group"),
            ev("E2", "2024-01-11", "belief_practice"),
            ev("E3", "2024-01-05", "vulnerability", summary="Lonely  since\tthe move"),
        ],
        [dec("D1", "2024-02-01", "child_in_need", "E2; E3 ;E1")],
    )
    rows = flagged(duckdb, cb, BELIEF)
    assert reason(rows) == (
        "Decision D1 (2024-02-01) raised the response from no further action to child in need, "
        'resting on E2 (belief practice) on 2024-01-11: "s", E3 (vulnerability) on 2024-01-05: '
        '"Lonely since the move", E1 (views expressed) on 2024-01-10: "Said he backs the group"'
        + NOT_CONCERN
    )
    assert rows["status"].item() == "open" and rows["team_id"].item() == "T1"
    assert rows["date"].item() == pd.Timestamp("2024-02-01")


def test_an_uncited_decision_names_every_event_recorded_by_then_by_date_recording_and_id(duckdb):
    events = [  # the table's order is no order: the reason's is date, recorded_on, event_id
        ev("E9", "2024-01-20", "views_expressed"),
        ev("E5", "2024-01-10", "vulnerability", recorded="2024-01-15"),
        ev("E4", "2024-01-10", "engagement", recorded="2024-01-12"),
        ev("E8", "2024-01-12", "belief_practice"),
        ev("E7", "2024-01-12", "agency_action"),
        ev("E6", "2024-01-25", "harm", recorded="2024-02-02"),  # recorded after the decision
    ]
    rows = flagged(duckdb, book(events, [dec("D1", "2024-02-01", "child_in_need")]), BELIEF)
    named = re.findall(r"(E\d) \(", reason(rows))
    assert named == ["E4", "E5", "E7", "E8", "E9"]
    assert reason(rows).startswith(
        "Decision D1 (2024-02-01) raised the response from no further action to child in need"
        + EVERYTHING
        + 'E4 (engagement) on 2024-01-10: "s", E5 (vulnerability) on 2024-01-10: "s", E7'
    )
    # once the harm is recorded before a later raise, that raise rests on a concern
    later = book(
        events, [dec("D1", "2024-02-01", "early_help"), dec("D2", "2024-03-01", "child_in_need")]
    )
    assert flagged(duckdb, later, BELIEF).empty


def test_belief_needs_no_concern_and_the_escalation_rung(duckdb):
    events = [
        ev("E1", "2024-01-10", "views_expressed"),
        ev("E2", "2024-01-11", "influence_grooming"),
        ev("E3", "2024-01-12", "engagement"),
    ]
    decisions = [
        dec("D1", "2024-02-01", "early_help", "E1"),  # below child in need
        dec("D2", "2024-02-10", "child_in_need", "E1;E2"),  # a concern too
        dec("D3", "2024-02-20", "early_help", "E1"),
        dec("D4", "2024-03-01", "child_in_need", "E3"),  # no belief: context only
        dec("D5", "2024-03-10", "early_help", "E1"),
        dec("D6", "2024-04-01", "child_in_need", "E3;E1"),
        dec("D7", "2024-05-01", "child_in_need", "E1"),  # not a raise
    ]
    cb = book(events, decisions)
    assert flagged(duckdb, cb, BELIEF)["subject_id"].tolist() == ["D6"]
    wider = flagged(duckdb, cb, BELIEF, escalation_rung="early_help")["subject_id"].tolist()
    assert wider == ["D1", "D6"]  # D3 and D5 lower the rung; D2 rests on a concern
    assert flagged(duckdb, cb, BELIEF, escalation_rung="section_47").empty


def test_more_than_six_events_are_counted_not_named(duckdb):
    events = [ev(f"E{i}", f"2024-01-{10 + i}", "views_expressed") for i in range(9)]
    cites = ";".join(f"E{i}" for i in reversed(range(9)))
    rows = flagged(duckdb, book(events, [dec("D1", "2024-02-01", "section_47", cites)]), BELIEF)
    assert re.findall(r"(E\d) \(", reason(rows)) == ["E8", "E7", "E6", "E5", "E4", "E3"]
    assert reason(rows).endswith('on 2024-01-13: "s" and 3 more' + NOT_CONCERN)


def test_an_event_cited_twice_is_named_twice(duckdb):
    cb = book(
        [ev("E1", "2024-01-10", "belief_practice")],
        [dec("D1", "2024-02-01", "child_in_need", "E1;E1")],
    )
    label = 'E1 (belief practice) on 2024-01-10: "s"'
    assert f"resting on {label}, {label};" in reason(flagged(duckdb, cb, BELIEF))


def test_statutory_step_names_the_context_it_rests_on(duckdb):
    long = "  Family\r\nisolated   from their community since the move;\u00a0" + "x" * 80
    events = [
        ev("E1", "2024-01-10", "vulnerability", summary=long),
        ev("E2", "2024-01-11", "engagement", summary="Parents did not attend"),
        ev("E3", "2024-01-12", "harm"),
    ]
    decisions = [
        dec("D1", "2024-02-01", "section_47", "E1;E2"),
        dec("D2", "2024-02-10", "early_help", "E3"),
        dec("D3", "2024-03-01", "section_47", "E3"),  # a concern: not flagged
        dec("D4", "2024-03-10", "early_help", "E3"),
        dec("D5", "2024-04-01", "child_in_need", "E1"),  # below section 47
    ]
    cb = book(events, decisions)
    rows = flagged(duckdb, cb, CONTEXT)
    quoted = "Family isolated from their community since the move;\u00a0xxxxxx…"
    assert len(quoted) == 60
    assert reason(rows) == (
        "Decision D1 (2024-02-01) raised the response from no further action to section 47, "
        f'resting on E1 (vulnerability) on 2024-01-10: "{quoted}", E2 (engagement) on '
        '2024-01-11: "Parents did not attend"' + NEITHER
    )
    assert rows["status"].item() == "past"  # D2 lowered the rung since
    wider = flagged(duckdb, cb, CONTEXT, statutory_rung="child_in_need")
    assert wider["subject_id"].tolist() == ["D1", "D5"]
    assert wider["status"].tolist() == ["past", "open"]


def test_a_quote_cut_at_a_space_other_than_ascii_keeps_it(duckdb):
    summary = "x" * 57 + " \u00a0" + "y" * 10  # U+00A0 at the cut is text, not whitespace
    cb = book(
        [ev("E1", "2024-01-10", "engagement", summary=summary)],
        [dec("D1", "2024-02-01", "section_47", "E1")],
    )
    assert f'"{"x" * 57} \u00a0…"' in reason(flagged(duckdb, cb, CONTEXT))


def test_an_uncited_statutory_step_names_everything_recorded_by_then(duckdb):
    events = [
        ev("E2", "2024-01-11", "community_context"),
        ev("E1", "2024-01-10", "engagement", summary="Did not attend\n"),
    ]
    rows = flagged(duckdb, book(events, [dec("D1", "2024-02-01", "section_47")]), CONTEXT)
    assert reason(rows) == (
        "Decision D1 (2024-02-01) raised the response from no further action to section 47"
        + EVERYTHING
        + 'E1 (engagement) on 2024-01-10: "Did not attend", E2 (community context) on '
        '2024-01-11: "s"' + NEITHER
    )


def test_a_statutory_step_citing_events_not_recorded_by_then_says_so(duckdb):
    events = [
        ev("E1", "2024-01-10", "engagement"),
        ev("E2", "2024-01-20", "harm", recorded="2025-01-15"),  # known only after the as-of
    ]
    cb = book(events, [dec("D1", "2024-02-01", "section_47", "E2")])
    rows = flagged(duckdb, cb, CONTEXT)
    assert reason(rows) == (
        "Decision D1 (2024-02-01) raised the response from no further action to section 47, "
        "citing evidence_ids that name no event recorded by then."
    )
    assert flagged(duckdb, cb, "escalation_without_evidence").empty  # it does cite
    assert flagged(duckdb, cb, CONTEXT, as_of=dt.date(2025, 1, 15)).empty  # now the harm is known


def test_ids_that_name_no_event_at_all_are_not_named(duckdb):
    cb = book(
        [ev("E1", "2024-01-10", "engagement"), ev("E2", "2024-01-12", "harm")],
        [dec("D1", "2024-02-01", "section_47", "E1"), dec("D2", "2024-03-01", "section_47", "E1")],
    )
    # a store's decision may cite an event that was never imported (validation refuses it)
    cb.decisions.at[0, "evidence_ids"] = ["E404"]
    cb.decisions.at[1, "evidence_ids"] = ["E404", "E1", "E405"]
    rows = flagged(duckdb, cb, CONTEXT)
    assert rows["subject_id"].tolist() == ["D1"]  # D2 does not raise the rung further
    assert reason(rows).endswith("citing evidence_ids that name no event recorded by then.")
    assert "E404" not in reason(rows) and "an unknown date" not in reason(rows)
    cb.decisions.at[0, "evidence_ids"] = ["E404", "E1", "E405"]
    rows = flagged(duckdb, cb, CONTEXT)
    assert reason(rows) == (
        "Decision D1 (2024-02-01) raised the response from no further action to section 47, "
        'resting on E1 (engagement) on 2024-01-10: "s"' + NEITHER
    )


def test_an_uncited_statutory_step_with_nothing_recorded_by_then_says_so(duckdb):
    events = [
        ev("E1", "2024-01-10", "views_expressed", recorded="2024-02-05"),  # recorded after it
        ev("E2", "2024-02-03", "engagement"),
    ]
    rows = flagged(duckdb, book(events, [dec("D1", "2024-02-01", "proceedings")]), CONTEXT)
    assert reason(rows) == (
        "Decision D1 (2024-02-01) raised the response from no further action to proceedings, "
        "citing no evidence, and no event of the case was recorded by then."
    )


def test_a_channel_decision_between_raises_is_no_rung(duckdb):
    events = [
        ev("E1", "2024-01-10", "harm"),
        ev("E2", "2024-01-11", "views_expressed"),
        ev("E3", "2024-01-12", "vulnerability"),
    ]
    decisions = [
        dec("D1", "2024-02-01", "early_help", "E1"),
        dec("D2", "2024-03-01", "channel_support", "E2"),  # beside social care: not a raise
        dec("D3", "2024-03-01", "section_47", "E3"),  # the same day, after D2 by id
        dec("D4", "2024-04-01", "channel_support", "E2"),
    ]
    cb = book(events, decisions)
    assert flagged(duckdb, cb, BELIEF).empty
    rows = flagged(duckdb, cb, CONTEXT)
    assert reason(rows).startswith(
        "Decision D3 (2024-03-01) raised the response from early help to section 47, resting on E3"
    )
    assert rows["status"].item() == "open"  # the later Channel decision keeps it current


def test_two_raises_on_one_day_are_ordered_by_id(duckdb):
    events = [ev("E1", "2024-01-10", "views_expressed"), ev("E2", "2024-01-11", "engagement")]
    decisions = [
        dec("D2", "2024-02-01", "section_47", "E2"),
        dec("D1", "2024-02-01", "child_in_need", "E1"),
    ]
    cb = book(events, decisions)
    belief = flagged(duckdb, cb, BELIEF)
    assert belief["status"].item() == "past"  # D2 raised the rung again, the same day
    context = flagged(duckdb, cb, CONTEXT)
    assert "from child in need to section 47" in reason(context)


def test_restricted_or_intelligence_names_only_the_concern_events(duckdb):
    events = [
        ev("E1", "2024-01-10", "influence_grooming", restricted="yes", summary="Police note"),
        ev("E2", "2024-01-11", "extremist_behaviour", evidence="intelligence", restricted=""),
        ev("E3", "2024-01-12", "harm", evidence=""),  # open: not restricted, no evidence kind
        ev("E4", "2024-01-12", "views_expressed", restricted="yes"),
        ev("E5", "2024-01-13", "harm", evidence="", restricted="yes"),
    ]
    decisions = [
        dec("D1", "2024-02-01", "early_help", "E4;E2;E1"),  # any raise, any rung
        dec("D2", "2024-02-10", "child_in_need", "E1;E3"),  # an open concern
        dec("D3", "2024-02-20", "section_47", "E5"),
        dec("D4", "2024-03-01", "signposted", "E2"),  # a step-down
    ]
    cb = book(events, decisions)
    rows = flagged(duckdb, cb, HIDDEN)
    assert rows["subject_id"].tolist() == ["D1", "D3"]
    assert rows["reason"].tolist() == [
        "Decision D1 (2024-02-01) raised the response from no further action to early help; "
        "every concern event it rests on is restricted or intelligence: E2 (extremist behaviour)"
        ' on 2024-01-11: "s", E1 (influence grooming) on 2024-01-10: "Police note"' + HIDDEN_END,
        "Decision D3 (2024-02-20) raised the response from child in need to section 47; every "
        'concern event it rests on is restricted or intelligence: E5 (harm) on 2024-01-13: "s"'
        + HIDDEN_END,
    ]
    assert rows["status"].tolist() == ["past", "past"]  # D4 stepped down
    assert flagged(duckdb, cb, BELIEF).empty and flagged(duckdb, cb, CONTEXT).empty


def test_an_uncited_decision_resting_on_hidden_concerns_names_them_by_date(duckdb):
    events = [
        ev("E3", "2024-01-12", "harm", evidence="intelligence"),
        ev("E1", "2024-01-10", "influence_grooming", restricted="yes"),
        ev("E2", "2024-01-11", "engagement"),
        ev("E4", "2024-01-12", "harm", recorded="2024-02-10"),  # open, but recorded after it
    ]
    rows = flagged(
        duckdb,
        book(events, [dec("D1", "2024-02-01", "child_in_need")], closed="2024-06-01"),
        HIDDEN,
    )
    assert re.findall(r"(E\d) \(", reason(rows)) == ["E1", "E3"]
    assert rows["status"].item() == "past"  # the case is closed
    assert flagged(duckdb, book(events, [dec("D1", "2024-02-11", "child_in_need")]), HIDDEN).empty


def test_a_cited_event_of_another_case_counts_as_the_pandas_flags_count_it(duckdb):
    cb = book(
        [ev("E1", "2024-01-10", "engagement"), ev("E2", "2024-01-11", "belief_practice")],
        [dec("D1", "2024-02-01", "section_47", "E1")],
    )
    cb.events.at[1, "case_id"] = "C2"  # validation refuses this; a store may still hold it
    rows = flagged(duckdb, cb, CONTEXT)
    assert "E2" not in reason(rows)
    cb.decisions.at[0, "evidence_ids"] = ["E1", "E2"]
    assert flagged(duckdb, cb, CONTEXT).empty
    assert 'E2 (belief practice) on 2024-01-11: "s"' in reason(flagged(duckdb, cb, BELIEF))


def test_no_decisions_or_no_citations_raise_nothing_and_fail_nothing(duckdb):
    events = [ev("E1", "2024-01-10", "harm")]
    got = relational(duckdb, from_casebook(book(events)), AS_OF)
    got = got[got["flag"] != "late_assessment"]  # it has no assessment: only that is raised
    assert got.empty and list(got.columns) == [
        "case_id",
        "flag",
        "subject_id",
        "reason",
        "date",
        "status",
        "team_id",
    ]
    cb = book(
        events, [dec("D1", "2024-02-01", "channel_support"), dec("D2", "2024-02-02", "signposted")]
    )
    assert flagged(duckdb, cb, HIDDEN).empty  # an uncited raise on an open concern
    before = flagged(duckdb, cb, "escalation_without_evidence", as_of=dt.date(2024, 1, 31))
    assert before.empty  # nothing decided by then


def every_book() -> Casebook:
    """Put the casebooks of every DuckDB test here (default as-of and thresholds) side by side.

    A test not run before this one (run alone, or in another order) is run now.
    """
    tests = {
        name: test
        for name, test in globals().items()
        if name.startswith("test_") and "duckdb" in inspect.signature(test).parameters
    }
    with connect("duckdb") as duckdb:
        for name in sorted(tests.keys() - BOOKS.keys()):
            GATHERING.append(name)
            try:
                tests[name](duckdb)
            finally:
                GATHERING.pop()
            BOOKS.setdefault(name, [])  # a test may keep no casebook
    books = [
        cb
        for name in sorted(tests)
        for cb, as_of, t in BOOKS.get(name, [])
        if (as_of, t) == (AS_OF, {})
    ]
    assert len(books) >= 20
    return combined(books)


def test_decision_profiles_weigh_what_each_decision_rests_on(duckdb):
    events = [
        ev("E1", "2024-01-10", "harm"),
        ev("E2", "2024-01-11", "views_expressed"),
        ev("E3", "2024-01-12", "protective"),
        ev("E4", "2024-01-13", "vulnerability", recorded="2024-03-20"),
    ]
    decisions = [
        dec("D1", "2024-02-01", "child_in_need", "E2"),
        dec("D2", "2024-02-10", "channel_support", "E1"),  # beside social care
        dec("D3", "2024-03-01", "early_help"),  # uncited: rests on E1 to E3, not E4 (later)
        dec("D4", "2024-04-01", "section_47", "E3"),  # only a strength
        dec("D5", "2024-05-01", "proceedings", "E4"),
        dec("D6", "2024-06-01", "early_help", "E4"),
    ]
    cb = book(events, decisions, concern_flags="neglect", ideology="", child_gender="female")
    cb.decisions.at[5, "evidence_ids"] = ["E404"]  # cites nothing that exists
    got = profiled(duckdb, cb)
    assert got["stratum"].astype(str).tolist() == [
        "belief or views only",
        "harm",
        "harm",
        "none",
        "vulnerability or context",
        "none",
    ]
    assert got["profile"].tolist() == [WEAK, STRONG, STRONG, WEAK, WEAK, WEAK]
    assert got["escalates"].tolist() == [True, False, False, True, True, False]
    assert set(got["group"]) == {GROUP_BAU} and set(got["child_gender"]) == {"female"}
    assert got["child_religion"].isna().all()  # missing stays missing
    cb.decisions.at[0, "case_id"] = "C9"  # a decision of a case the casebook does not hold
    got = profiled(duckdb, cb)
    assert got.loc["D1", ["group", "team_id", "child_gender"]].isna().all()
    assert got.loc["D1", "escalates"] and got.loc["D4", "previous"] == 2


def test_decision_profiles_equal_the_pandas_ones_on_synthetic_casebooks(duckdb):
    for seed, n_cases in ((0, 40), (3, 150)):
        cb, tables = synthetic(seed, n_cases)
        got = run_decision_profiles(duckdb, tables)
        assert_same_profiles(decision_profiles(cb), got)
        assert set(got["group"]) == {GROUP_BAU, GROUP_RADICALISATION}
        assert got["stratum"].nunique() >= 4


def test_decision_profiles_need_the_case_concerns(duckdb):
    tables = dataclasses.replace(
        from_casebook(book([ev("E1", "2024-01-10", "harm")])), case_concerns=None
    )
    with pytest.raises(CasekitError, match="case_concerns"):
        decision_profiles_expr(tables)


def test_spark_local_gives_the_pandas_flags_on_every_casebook_here():
    cb = every_book()  # one run: Spark is slow to start and to plan
    with connect("spark") as spark:
        got = relational(spark, from_casebook(cb), AS_OF)
        profiles = run_decision_profiles(spark, from_casebook(cb))
    assert_same_flags(oracle(cb, AS_OF), got)
    assert_same_profiles(decision_profiles(cb), profiles)
    assert set(RAISES) <= set(got["flag"]) and set(got["status"]) == {"open", "past"}


def test_postgres_gives_the_pandas_flags_on_every_casebook_here(pg_url, monkeypatch):
    cb = every_book()
    url = sa.make_url(pg_url)
    if url.password is not None:  # casekit takes a password from $PGPASSWORD, not the URL
        monkeypatch.setenv("PGPASSWORD", url.password)
    bare = sa.URL.create(url.drivername, url.username, None, url.host, url.port, url.database)
    with connect("postgres", url=bare.render_as_string(hide_password=False)) as pg:
        got = relational(pg, from_casebook(cb), AS_OF)
        profiles = run_decision_profiles(pg, from_casebook(cb))
    assert_same_flags(oracle(cb, AS_OF), got)
    assert_same_profiles(decision_profiles(cb), profiles)
    assert set(RAISES) <= set(got["flag"])
