"""The relational flags give the same rows as today's pandas flags, on every engine.

A property test on random synthetic casebooks (seed, size, as-of date, thresholds) checks DuckDB
against the pandas flags (the held-out oracle); PostgreSQL runs a few random casebooks too, the
flags and every research table; Spark local mode runs some of the same casebooks, since each of
its queries costs seconds.
"""

from __future__ import annotations

import datetime as dt

import pytest
from engine_helpers import (
    AS_OF_DATES,
    THRESHOLD_CHOICES,
    assert_same_flags,
    no_password,
    oracle,
    relational,
    synthetic,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_engine_research import assert_same_research

from casekit.analysis.relational.flags import RAISED
from casekit.engine import connect
from casekit.errors import CasekitError


@pytest.fixture(scope="module")
def duckdb():
    with connect("duckdb") as engine:
        yield engine


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    n_cases=st.sampled_from([12, 40, 150]),
    as_of=AS_OF_DATES,
    **THRESHOLD_CHOICES,
)
def test_duckdb_gives_the_pandas_flags(duckdb, seed, n_cases, as_of, **thresholds):
    cb, tables = synthetic(seed, n_cases)
    want = oracle(cb, as_of, **thresholds)
    got = relational(duckdb, tables, as_of, **thresholds)
    assert_same_flags(want, got)


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    n_cases=st.sampled_from([12, 60]),
    as_of=AS_OF_DATES,
    **THRESHOLD_CHOICES,
)
def test_postgres_gives_the_pandas_flags_and_research(
    pg_url, monkeypatch, seed, n_cases, as_of, **thresholds
):
    cb, tables = synthetic(seed, n_cases)
    with connect("postgres", url=no_password(monkeypatch, pg_url)) as postgres:
        assert_same_flags(
            oracle(cb, as_of, **thresholds), relational(postgres, tables, as_of, **thresholds)
        )
        assert_same_research(postgres, cb, tables, as_of=as_of, days=60)


def test_the_comparison_has_flags_to_compare(duckdb):
    cb, tables = synthetic(0, 360)
    got = relational(duckdb, tables, dt.date(2025, 6, 30))
    assert set(got["flag"]) == set(RAISED)  # every ported flag is raised on a 360-case book
    assert (got["status"] == "open").any() and (got["status"] == "past").any()


def test_spark_local_gives_the_pandas_flags():
    cb, tables = synthetic(5, 150)
    as_of = dt.date(2025, 3, 31)
    with connect("spark") as spark:
        got = relational(spark, tables, as_of)
    assert_same_flags(oracle(cb, as_of), got)


def test_an_unknown_engine_is_refused_with_the_choices():
    with pytest.raises(CasekitError, match="choose one of duckdb, postgres, spark"):
        connect("pandas")
    with pytest.raises(CasekitError, match="postgresql:// URL"):
        connect("postgres", url="mysql://x@localhost/db")
    with pytest.raises(CasekitError, match="give its URL"):
        connect("postgres")
    with pytest.raises(CasekitError, match="Spark Connect URL"):
        connect("spark", url="http://localhost:15002")
