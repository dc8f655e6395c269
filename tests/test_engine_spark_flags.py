"""Spark local mode gives the pandas flags on random casebooks, computing shared parts once.

One local session serves the module (Spark takes seconds to start) and is closed at its end,
so a Spark Connect test run after it in the same worker finds no local session. A few
hypothesis examples (small random casebooks, as-of dates and thresholds) compare Spark's flags
with the pandas oracle; the other tests check how Spark runs an expression
(:func:`casekit.engine.spark.run_materialised`): each part several others read is computed
once and dropped after, and what comes back equals Spark's plain run of the same expression.
"""

from __future__ import annotations

import datetime as dt

import ibis
import pytest
from engine_helpers import (
    AS_OF_DATES,
    THRESHOLD_CHOICES,
    assert_same_flags,
    oracle,
    relational,
    synthetic,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casekit.analysis.proportionality import THRESHOLDS
from casekit.analysis.relational.flags import flag_table
from casekit.engine import connect
from casekit.engine.spark import run_materialised, shared_parts

AS_OF = dt.date(2025, 3, 31)


@pytest.fixture(scope="module")
def spark():
    with connect("spark") as engine:
        yield engine


def _parts_left(engine) -> list[str]:
    """Name the temporary views of kept parts still in the session."""
    return [
        t.name for t in engine.backend._session.catalog.listTables() if "casekit_part" in t.name
    ]


@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    n_cases=st.sampled_from([12, 40]),
    as_of=AS_OF_DATES,
    **THRESHOLD_CHOICES,
)
def test_spark_local_gives_the_pandas_flags(spark, seed, n_cases, as_of, **thresholds):
    cb, tables = synthetic(seed, n_cases)
    want = oracle(cb, as_of, **thresholds)
    got = relational(spark, tables, as_of, **thresholds)
    assert_same_flags(want, got)
    assert _parts_left(spark) == []


def test_the_flags_shared_parts_are_found_once_each_after_what_they_read():
    _, tables = synthetic(1, 12)
    parts = shared_parts(flag_table(tables, AS_OF, dict(THRESHOLDS)))
    assert len(parts) >= 5  # the known decisions, the calendar, the step-down stretches, ...
    assert len(set(parts)) == len(parts)
    for i, part in enumerate(parts):  # a part comes before every part that reads it
        assert not any(later in _reads(part) for later in parts[i + 1 :])


def _reads(node) -> set:
    """Every node below ``node`` in its expression."""
    from ibis.common.graph import Graph

    return set(Graph.from_bfs(node)) - {node}


def test_a_part_read_twice_is_computed_once_and_the_rows_are_spark_plain_run(spark):
    base = ibis.memtable({"k": [1, 1, 2, 3, 3, 3], "v": [5, 6, 7, 8, 9, 4]})
    grouped = base.group_by("k").agg(n=base.v.count(), top=base.v.max())
    big = grouped.filter(grouped.n >= 2).select("k", x=grouped.top)
    small = grouped.filter(grouped.n < 2).select("k", x=grouped.n)
    expr = ibis.union(big, small).order_by("k")
    assert shared_parts(expr) == [grouped.op()]
    got = run_materialised(spark.backend, expr)
    plain = spark.backend.to_pyarrow(expr).to_pandas()
    assert got.to_dict("list") == plain.to_dict("list") == {"k": [1, 2, 3], "x": [6, 1, 9]}
    assert _parts_left(spark) == []


def test_an_expression_with_nothing_shared_runs_as_it_is(spark):
    base = ibis.memtable({"k": [2, 1], "v": ["b", "a"]})
    expr = base.filter(base.k > 0).order_by("k")
    assert shared_parts(expr) == []
    assert spark.run(expr).to_dict("list") == {"k": [1, 2], "v": ["a", "b"]}


def test_kept_parts_are_dropped_when_the_run_fails(spark, monkeypatch):
    base = ibis.memtable({"k": [1, 2, 2]})
    grouped = base.group_by("k").agg(n=base.count())
    expr = ibis.union(grouped.filter(grouped.n > 1), grouped.filter(grouped.n == 1))
    backend = spark.backend

    def fails(*args, **kwargs):
        raise RuntimeError("the final query failed")

    monkeypatch.setattr(backend, "to_pyarrow", fails)
    with pytest.raises(RuntimeError, match="final query failed"):
        run_materialised(backend, expr)
    assert _parts_left(spark) == []


def test_local_mode_gives_the_driver_room_for_its_executors(spark):
    conf = spark.backend._session.sparkContext.getConf()
    assert conf.get("spark.driver.memory") == "4g"  # 1 GB by default: the 200k flags thrashed
