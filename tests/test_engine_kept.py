"""An intermediate worked out once: ``Engine.kept`` on DuckDB; inline on PostgreSQL and Spark.

``run_flags`` keeps the known decisions with their rungs once, where the engine can, rather
than have each part of the query work them out again; the rows must not change (the property
test in test_engine_flags.py compares them with the pandas flags, Spark and PostgreSQL
included). Spark keeps every shared part itself (``casekit.engine.spark.run_materialised``).
"""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

from casekit.engine import Engine, connect


def temporary_tables(engine: Engine) -> list[str]:
    """List the DuckDB temporary tables casekit kept."""
    rows = engine.backend.con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary"
    ).fetchall()
    return [name for (name,) in rows if name.startswith("casekit_kept_")]


def test_duckdb_keeps_an_intermediate_in_a_temporary_table_then_drops_it():
    rows = ibis.memtable(pd.DataFrame({"case_id": ["C1", "C2", "C2"], "n": [1, 2, 3]}))
    expr = rows.group_by("case_id").aggregate(total=rows.n.sum())
    with connect("duckdb") as engine:
        with engine.kept(expr) as kept:
            assert temporary_tables(engine) == [kept.get_name()]
            got = engine.run(kept.order_by("case_id"))
            again = engine.run(kept.filter(kept.total > 1))  # read twice, worked out once
        assert temporary_tables(engine) == []
    assert got.to_dict("list") == {"case_id": ["C1", "C2"], "total": [1, 5]}
    assert list(again["case_id"]) == ["C2"]


def test_a_kept_table_is_dropped_when_the_work_on_it_fails():
    expr = ibis.memtable(pd.DataFrame({"x": [1, 2]}))
    with connect("duckdb") as engine:
        with pytest.raises(ZeroDivisionError):
            with engine.kept(expr):
                assert len(temporary_tables(engine)) == 1
                1 / 0  # noqa: B018
        assert temporary_tables(engine) == []


@pytest.mark.parametrize("name", ["postgres", "spark"])
def test_postgres_and_spark_lend_the_expression_itself_and_create_nothing(name):
    class NoBackend:
        """A backend that fails if anything is asked of it: nothing is created through it."""

        def __getattr__(self, name: str) -> object:
            raise AssertionError(f"kept() asked the PostgreSQL backend for {name}")

    expr = ibis.memtable(pd.DataFrame({"x": [1]}))
    engine = Engine(name, NoBackend())  # type: ignore[arg-type]
    with engine.kept(expr) as kept:
        assert kept is expr
