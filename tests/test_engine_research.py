"""The relational research gives the pandas research's referrals and tables, on every engine.

A property test on random synthetic casebooks (seed, size, days, as-of date, period) checks
DuckDB against the pandas path (the oracle): ``referral_outcomes`` row for row, the counts,
and the tables the research notebook shows (``compare_strata``, ``relative_rates`` by each
equity column, ``describe_outcomes``), suppressed and not. A hand-made casebook covers the
edges (day N and N+1, Channel in the middle, ties on a date, late recording, missing values,
a case opened after the as-of date); Spark local mode and PostgreSQL run a few of the same.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from engine_helpers import no_password, synthetic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_proportionality import dec, ev
from test_research import bundle, case

from casekit.analysis import research
from casekit.engine import connect
from casekit.engine.tables import concern_links, from_casebook
from casekit.errors import CasekitError
from casekit.policy import EQUITY_COLUMNS

AS_OF = dt.date(2024, 6, 30)


@pytest.fixture(scope="module")
def duckdb():
    with connect("duckdb") as engine:
        yield engine


def pandas_outcomes(cb, **period):
    """Give the pandas referral outcomes in the relational order (by case_id)."""
    out = research.referral_outcomes(cb, **period)
    return out.sort_values("case_id", kind="stable").reset_index(drop=True)


def assert_same_counts(want: research.OutcomeCounts, got: research.OutcomeCounts) -> None:
    assert (want.referrals, want.complete, want.first, want.last) == (
        got.referrals,
        got.complete,
        got.first,
        got.last,
    )
    assert set(want.grids) == set(got.grids)
    for column, (n, k) in want.grids.items():
        np.testing.assert_array_equal(n, got.grids[column][0], err_msg=column)
        np.testing.assert_array_equal(k, got.grids[column][1], err_msg=column)


def assert_same_research(engine, cb, tables, **period) -> research.OutcomeCounts:
    """Assert the engine's outcomes, counts and tables equal the pandas path's; give the counts."""
    want = pandas_outcomes(cb, **period)
    got = research.referral_outcomes(tables, engine=engine, **period)
    pd.testing.assert_frame_equal(want, got)
    counts = research.engine_outcome_counts(tables, engine, **period)
    assert_same_counts(research.outcome_counts(want), counts)
    days = period.get("days", research.OUTCOME_DAYS)
    for suppress in (True, False):
        pd.testing.assert_frame_equal(
            research.compare_strata(want, suppress=suppress),
            research.compare_strata(counts, suppress=suppress),
        )
        for by in EQUITY_COLUMNS:
            pd.testing.assert_frame_equal(
                research.relative_rates(want, by, suppress=suppress),
                research.relative_rates(counts, by, suppress=suppress),
            )
        said = {"as_of": period.get("as_of"), "start": period.get("start")}
        assert research.describe_outcomes(
            want, days, suppress, **said
        ) == research.describe_outcomes(counts, days, suppress, **said)
    assert_same_waits_and_published(
        engine, cb, tables, period.get("as_of"), period.get("start"), period.get("end")
    )
    return counts


def assert_same_waits_and_published(
    engine, cb, tables, as_of, start=None, end=None, **thresholds
) -> None:
    """Assert the engine's step-down waits and published table equal the pandas path's."""
    period = {"start": start, "end": end}
    for suppress in (True, False):
        want = research.step_down_waits(
            cb, as_of=as_of, suppress=suppress, n_resamples=200, **period, **thresholds
        )
        got = research.engine_step_down_waits(
            tables, engine, as_of=as_of, suppress=suppress, n_resamples=200, **period, **thresholds
        )
        pd.testing.assert_frame_equal(want, got)
        pd.testing.assert_frame_equal(
            research.published_table(cb, suppress=suppress, as_of=as_of, **period),
            research.engine_published_table(
                tables, engine, suppress=suppress, as_of=as_of, **period
            ),
        )


# --- random casebooks: DuckDB against pandas ----------------------------------------------


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    n_cases=st.sampled_from([12, 40, 150]),
    days=st.sampled_from([1, 30, 90, 400]),
    as_of=st.dates(dt.date(2021, 6, 1), dt.date(2026, 6, 1)),
    period=st.sampled_from([(None, None), ("2022-01-01", None), ("2022-06-01", "2024-12-31")]),
)
def test_duckdb_gives_the_pandas_research(duckdb, seed, n_cases, days, as_of, period):
    cb, tables = synthetic(seed, n_cases)
    start, end = period
    assert_same_research(duckdb, cb, tables, days=days, as_of=as_of, start=start, end=end)


def test_the_comparison_has_referrals_of_every_kind(duckdb):
    cb, tables = synthetic(0, 360)
    counts = assert_same_research(duckdb, cb, tables, as_of=dt.date(2025, 5, 31))
    n, k = counts.grids["group"]
    assert (n.sum(axis=0) > 0).all() and 0 < k.sum() < n.sum()  # both groups, some escalated
    assert (n.sum(axis=1) > 0).sum() >= 3  # several evidence profiles
    assert 0 < counts.complete < counts.referrals  # some follow-ups not complete yet


def test_research_tables_runs_the_notebooks_tables_on_an_engine_by_name():
    cb, tables = synthetic(7, 150)
    as_of = dt.date(2025, 3, 31)
    made = research.research_tables(cb, "duckdb", as_of=as_of, religion_reference="muslim")
    want = pandas_outcomes(cb, as_of=as_of)
    pd.testing.assert_frame_equal(made.strata, research.compare_strata(want))
    pd.testing.assert_frame_equal(
        made.by_ethnicity, research.relative_rates(want, "child_ethnicity")
    )
    pd.testing.assert_frame_equal(
        made.by_religion, research.relative_rates(want, "child_religion", "muslim")
    )
    muslim = made.by_religion.loc[(slice(None), slice(None), "muslim"), "note"]
    assert len(muslim) and muslim.str.startswith("reference").all()


def test_the_waits_and_the_published_table_have_something_to_compare(duckdb):
    cb, tables = synthetic(0, 360)
    as_of = dt.date(2025, 5, 31)
    waits = research.engine_step_down_waits(tables, duckdb, as_of=as_of, suppress=False)
    assert waits["became_due"].sum() > 0 and waits["ended"].sum() > 0
    assert (waits["became_due"] == waits["ended"] + waits["still_running"]).all()
    published = research.engine_published_table(tables, duckdb)
    assert published["this data %"].notna().all() and published["this data %"].sum() > 0
    for step_down_days in (30, 400):  # the thresholds reach the engine's stretches too
        assert_same_waits_and_published(duckdb, cb, tables, as_of, step_down_days=step_down_days)


def test_a_small_share_is_withheld_when_suppressed(duckdb):
    """A share and the number of radicalisation referrals would give a count of 1 to 5."""
    cb, tables = synthetic(1, 120)
    cases = cb.cases[cb.cases["concern_flags"].map(lambda f: "radicalisation" in f)]
    shown = research.published_table(cb, suppress=True)
    plain = research.published_table(cb, suppress=False)
    assert plain["note"].eq("").all() and plain["this data %"].notna().all()
    for i, row in shown.iterrows():
        column = "referral_source" if row["measure"] == "referral_source" else "ideology"
        n = int((cases[column].astype(object) == row["group"]).sum())
        small = 1 <= n <= 5 or 1 <= len(cases) - n <= 5
        assert (row["note"] == "small numbers: withheld") == small, (row["group"], n)
        assert pd.isna(row["this data %"]) == small and pd.isna(row["difference"]) == small
        if not small:
            assert row["this data %"] == plain.loc[i, "this data %"]
    assert 0 < shown["note"].ne("").sum() < len(shown)  # some withheld, some shown


def test_a_period_keeps_the_waits_and_shares_of_its_referrals(duckdb):
    cb, tables = synthetic(0, 360)
    as_of, start, end = dt.date(2025, 5, 31), "2023-01-01", "2024-06-30"
    whole = research.engine_step_down_waits(tables, duckdb, as_of=as_of, suppress=False)
    part = research.engine_step_down_waits(
        tables, duckdb, as_of=as_of, suppress=False, start=start, end=end
    )
    assert 0 < part["became_due"].sum() < whole["became_due"].sum()
    assert_same_waits_and_published(duckdb, cb, tables, as_of, start, end)
    with pytest.raises(CasekitError, match="start='1/1/2023' is not a date"):
        research.published_table(cb, start="1/1/2023")


def test_the_published_table_counts_only_referrals_opened_by_the_as_of_date(duckdb):
    cb, tables = synthetic(0, 360)
    before = research.engine_published_table(tables, duckdb, as_of="1900-01-01")
    assert before["this data %"].isna().all()  # nothing was known by then: no share
    pd.testing.assert_frame_equal(before, research.published_table(cb, as_of="1900-01-01"))
    opened = pd.to_datetime(cb.cases["opened"])
    middle = opened.sort_values().iloc[len(opened) // 2]
    for end in (None, "2030-01-01"):  # the as-of date cuts the period as end would
        pd.testing.assert_frame_equal(
            research.published_table(cb, suppress=False, end=end, as_of=middle),
            research.published_table(cb, suppress=False, end=middle),
        )
    assert_same_waits_and_published(duckdb, cb, tables, middle.date())
    with pytest.raises(CasekitError, match="as_of='soon' is not a date"):
        research.engine_published_table(tables, duckdb, as_of="soon")


def test_only_each_stretchs_group_and_wait_leave_the_engine(duckdb):
    from casekit.analysis.relational.research import waits
    from casekit.analysis.thresholds import THRESHOLDS

    _, tables = synthetic(3, 40)
    assert tuple(waits(tables, AS_OF, dict(THRESHOLDS)).columns) == ("group", "wait_days")


def test_no_radicalisation_referral_gives_no_share_on_both_paths(duckdb):
    cb, _ = synthetic(4, 30)
    other = [
        tuple(f for f in flags if f != "radicalisation") for flags in cb.cases["concern_flags"]
    ]
    cb = dataclasses.replace(
        cb, tables={**cb.tables, "cases": cb.cases.assign(concern_flags=other)}
    )
    want = research.published_table(cb)
    pd.testing.assert_frame_equal(want, research.engine_published_table(cb, duckdb))
    assert want["this data %"].isna().all() and want["difference"].isna().all()
    assert want["published %"].gt(0).all()


def test_a_bad_resample_count_or_threshold_is_refused_before_the_engine_runs(edges):
    _, tables = edges
    with pytest.raises(CasekitError, match="n_resamples=10: give a whole number"):
        research.engine_step_down_waits(tables, "no-such-engine", n_resamples=10)
    with pytest.raises(CasekitError, match="unknown threshold"):
        research.engine_step_down_waits(tables, "no-such-engine", step_down_dayz=3)
    with pytest.raises(CasekitError, match="as_of='31/03/2025' is not a date"):
        research.engine_step_down_waits(tables, "no-such-engine", as_of="31/03/2025")


def test_the_notebooks_study_is_the_same_on_duckdb_and_in_memory(tmp_path):
    from engine_helpers import write_dataset

    from casekit.analysis.on_engine import study

    cb, _ = synthetic(9, 150)
    folder = tmp_path / "dataset"
    write_dataset(cb, folder)
    as_of = dt.date(2025, 3, 31)
    pandas = study(folder, "pandas", days=60, as_of=as_of, suppress=False)
    duck = study(folder, "duckdb", days=60, as_of=as_of, suppress=False)
    assert isinstance(duck.outcomes, research.OutcomeCounts)
    assert isinstance(pandas.outcomes, pd.DataFrame) and len(pandas.outcomes) > 0
    pd.testing.assert_frame_equal(
        research.compare_strata(pandas.outcomes, suppress=False),
        research.compare_strata(duck.outcomes, suppress=False),
    )
    pd.testing.assert_frame_equal(pandas.waits, duck.waits)
    pd.testing.assert_frame_equal(pandas.published, duck.published)
    with pytest.raises(CasekitError, match="engine"):
        study(folder, "oracle")


# --- a hand-made casebook: the edges ------------------------------------------------------


@pytest.fixture(scope="module")
def edges(tmp_path_factory):
    """A casebook whose referrals each sit on an edge of the definition."""
    cases = [
        case("A"),  # child in need on day 90 exactly
        case("B", ethnicity="", religion=""),  # day 91: not reached; equity values missing
        case("C", flags="neglect;radicalisation"),  # child in need before the referral, then
        case("D", flags="radicalisation", ethnicity="asian", religion="muslim"),  # a tie
        case("E"),  # harm dated before the escalation but recorded after it
        case("F", opened="2024-05-01"),  # follow-up not complete by the as-of date
        case("G", opened="2024-07-15"),  # opened after the as-of date: not a referral yet
        case("H", opened="2023-12-31", flags="exploitation;mental_health"),  # nothing recorded
        case("I", religion="not_recorded"),  # only strengths and agency actions
    ]
    events = [
        ev("A1", "2024-01-05", "vulnerability", case="A"),
        ev("A2", "2024-04-01", "harm", case="A"),  # day 91: after the point
        ev("B1", "2024-01-05", "views_expressed", case="B"),
        ev("C1", "2024-01-03", "influence_grooming", case="C"),
        ev("D1", "2024-01-10", "extremist_behaviour", case="D"),
        ev("D2", "2024-02-01", "harm", case="D"),  # on the day it was reached
        ev("E1", "2024-01-05", "engagement", case="E"),
        ev("E2", "2024-01-10", "harm", recorded="2024-02-02", case="E"),
        ev("F1", "2024-05-02", "belief_practice", case="F"),
        ev("G1", "2024-07-16", "harm", case="G"),
        ev("I1", "2024-01-05", "protective", case="I"),
        ev("I2", "2024-01-06", "agency_action", case="I"),
    ]
    decisions = [
        dec("DA", "2024-03-31", "child_in_need", case="A"),
        dec("DB", "2024-04-01", "child_in_need", case="B"),
        dec("DC1", "2023-12-20", "child_in_need", case="C"),  # before the referral
        dec("DC2", "2024-01-15", "channel_support", case="C"),  # Channel keeps the rung
        dec("DD2", "2024-02-01", "early_help", case="D"),  # same date, id after DD1
        dec("DD1", "2024-02-01", "child_in_need", case="D"),
        dec("DE", "2024-02-01", "section_47", case="E"),
        dec("DF", "2024-07-10", "child_in_need", case="F"),  # after the as-of date
        dec("DG", "2024-07-20", "child_in_need", case="G"),
        dec("DI", "2024-01-20", "channel_support", case="I"),
    ]
    cb = bundle(tmp_path_factory.mktemp("edges"), cases, events, decisions)
    return cb, from_casebook(cb)


def test_the_edges_give_the_pandas_research(duckdb, edges):
    cb, tables = edges
    assert_same_research(duckdb, cb, tables, as_of=AS_OF)
    o = research.referral_outcomes(tables, as_of=AS_OF, engine=duckdb).set_index("case_id")
    assert list(o.index) == list("ABCDEFHI")  # G was opened after the as-of date
    assert o["escalated"].to_dict() == dict(zip("ABCDEFHI", [1, 0, 1, 1, 1, 1, 0, 0], strict=True))
    assert o.loc["A", "reached"] == pd.Timestamp("2024-03-31")
    assert o.loc["C", "reached"] == pd.Timestamp("2024-01-15")  # the rung Channel kept
    assert o.loc["D", "reached"] == pd.Timestamp("2024-02-01")
    assert pd.isna(o.loc["B", "reached"]) and o.loc["B", "point"] == pd.Timestamp("2024-03-31")
    assert o["profile"].astype(str).to_dict() == {
        "A": "vulnerability or context",  # harm on day 91 is after the point
        "B": "belief or views only",
        "C": "influence or grooming",
        "D": "harm",  # harm dated on the point counts
        "E": "vulnerability or context",  # harm recorded after the point does not
        "F": "belief or views only",
        "H": "none",
        "I": "none",
    }
    assert o["group"].to_dict() == {
        c: research.GROUP_RADICALISATION if c in "CD" else research.GROUP_BAU for c in o.index
    }
    assert o.loc["B", ["child_ethnicity", "child_religion", "child_gender"]].tolist() == [
        "unknown",
        "not_recorded",
        "unknown",
    ]
    assert o["complete"].to_dict() == {c: c != "F" for c in o.index}


def test_a_period_and_the_days_move_the_edges_alike(duckdb, edges):
    cb, tables = edges
    for period in (
        {"days": 89},
        {"days": 91},
        {"days": 1},
        {"start": "2024-01-01", "end": "2024-01-01"},
        {"start": "2024-05-01"},
        {"end": "2023-12-31"},
        {"as_of": "2024-03-30"},
    ):
        assert_same_research(duckdb, cb, tables, **{"as_of": AS_OF, **period})
    shorter = research.referral_outcomes(tables, days=89, as_of=AS_OF, engine=duckdb)
    assert not shorter.set_index("case_id").loc["A", "escalated"]
    longer = research.referral_outcomes(tables, days=91, as_of=AS_OF, engine=duckdb)
    assert longer.set_index("case_id").loc["B", "escalated"]


def test_no_referral_in_the_period_gives_empty_counts(duckdb, edges):
    cb, tables = edges
    counts = assert_same_research(duckdb, cb, tables, as_of=AS_OF, start="2025-01-01")
    assert (counts.referrals, counts.complete, counts.first, counts.last) == (0, 0, None, None)
    text = research.describe_outcomes(counts, as_of=AS_OF, start="2025-01-01")
    assert "none in the data was opened from 2025-01-01 on or before 2024-06-30" in text
    assert research.compare_strata(counts)[(research.GROUP_RADICALISATION, "n")].eq(0).all()


def test_concern_links_unnest_a_typed_list_column_in_the_engine(duckdb, edges):
    cb, tables = edges
    lists = pa.table(
        {
            "case_id": cb.cases["case_id"].astype(object),
            "concern_flags": pa.array(list(cb.cases["concern_flags"]), pa.list_(pa.string())),
        }
    )
    links = duckdb.run(concern_links(ibis.memtable(lists)))
    want = duckdb.run(tables.case_concerns)
    order = ["case_id", "pos"]
    pd.testing.assert_frame_equal(
        links.sort_values(order).reset_index(drop=True),
        want.sort_values(order).reset_index(drop=True),
    )
    assert links[links["case_id"] == "C"].sort_values("pos")["concern"].tolist() == [
        "neglect",
        "radicalisation",
    ]


# --- bad input ----------------------------------------------------------------------------


def test_bad_parameters_are_refused_before_the_engine_runs(edges):
    cb, tables = edges
    for bad, message in (
        ({"days": 0}, "days=0: give a whole number of days of at least 1"),
        ({"days": True}, "days=True"),
        ({"as_of": "31/03/2025"}, "as_of='31/03/2025' is not a date; write YYYY-MM-DD"),
        ({"start": "soon"}, "start='soon' is not a date"),
    ):
        with pytest.raises(CasekitError, match=message):
            research.engine_outcome_counts(tables, "duckdb", **{"as_of": AS_OF, **bad})
        with pytest.raises(CasekitError, match=message):
            research.referral_outcomes(tables, engine="duckdb", **{"as_of": AS_OF, **bad})
    with pytest.raises(CasekitError, match="choose one of duckdb, postgres, spark"):
        research.engine_outcome_counts(tables, "pandas", as_of=AS_OF)
    with pytest.raises(CasekitError, match="reference='martian' is not a value of child_religion"):
        research.research_tables(cb, as_of=AS_OF, religion_reference="martian")


def test_engine_tables_without_engine_or_concern_flags_are_refused_clearly(edges):
    _, tables = edges
    with pytest.raises(CasekitError, match="engine tables run on an engine; pass engine="):
        research.referral_outcomes(tables, as_of=AS_OF)
    bare = dataclasses.replace(tables, case_concerns=None)
    with pytest.raises(CasekitError, match="concern_flags as the link table case_concerns"):
        research.engine_outcome_counts(bare, "duckdb", as_of=AS_OF)


def test_counts_from_rows_without_a_needed_column_are_refused_clearly(edges):
    cb, _ = edges
    rows = research.referral_outcomes(cb, as_of=AS_OF)
    with pytest.raises(CasekitError, match="outcomes: no column child_religion"):
        research.compare_strata(rows.drop(columns="child_religion"))
    with pytest.raises(CasekitError, match="outcomes: no column opened"):
        research.describe_outcomes(rows.drop(columns="opened"))
    with pytest.raises(CasekitError, match="outcomes: no column complete"):
        research.relative_rates(rows.drop(columns="complete"))


# --- other engines: Spark local mode and PostgreSQL ---------------------------------------


def test_spark_local_gives_the_pandas_research(edges):
    cb, tables = synthetic(5, 150)
    edge_cb, edge_tables = edges
    with connect("spark") as spark:
        assert_same_research(spark, cb, tables, as_of=dt.date(2025, 3, 31), days=60)
        assert_same_research(spark, edge_cb, edge_tables, as_of=AS_OF)


def test_postgres_gives_the_pandas_research(pg_url, edges, monkeypatch):
    cb, tables = synthetic(11, 60)
    edge_cb, edge_tables = edges
    with connect("postgres", url=no_password(monkeypatch, pg_url)) as postgres:
        assert_same_research(postgres, cb, tables, as_of=dt.date(2024, 12, 31))
        assert_same_research(postgres, edge_cb, edge_tables, as_of=AS_OF)
