"""The as-of date as a parameter of the compiled SQL: the same query for every date.

:func:`~casekit.engine.params.compile_with_date` must give the SQL that compiling with the date
itself gives, with each occurrence of the date a typed placeholder; DuckDB must run it to the
same rows as the literal SQL; and an expression it would misread is refused.
"""

from __future__ import annotations

import datetime as dt

import ibis
import pytest
from engine_helpers import synthetic

from casekit.analysis.proportionality import THRESHOLDS
from casekit.analysis.relational.flags import flag_frame, flag_table, flags_of
from casekit.analysis.relational.known import known
from casekit.engine import connect
from casekit.engine.calendar import FIRST_DAY, calendar_rows
from casekit.engine.params import STAND_IN, compile_with_date
from casekit.engine.tables import CALENDAR, arrow_tables, earliest_day, named_tables

PLACEHOLDER = "CAST($as_of AS DATE)"


@pytest.fixture(scope="module")
def duckdb():
    with connect("duckdb") as engine:
        yield engine


def test_the_parameter_sql_is_the_literal_sql_with_the_date_a_placeholder(duckdb):
    tables = named_tables("casekit_p_", calendar=True)
    day = ibis.param("date")
    with_param = compile_with_date(duckdb, flags_of(known(tables, day), THRESHOLDS), day, "as_of")
    as_of = dt.date(2025, 3, 31)
    literal = str(duckdb.backend.compile(flag_table(tables, as_of, THRESHOLDS)))
    assert with_param.count(PLACEHOLDER) >= 10  # known, step-down, timeliness, plans, reasons
    assert "1111" not in with_param and "MAKE_DATE(2025, 3, 31)" in literal
    assert with_param.replace(PLACEHOLDER, "MAKE_DATE(2025, 3, 31)") == literal


def test_duckdb_runs_the_parameter_sql_to_the_literal_rows_at_each_date(duckdb):
    cb, _ = synthetic(5, 30)
    con = duckdb.backend.con
    loaded = arrow_tables(cb)
    loaded[CALENDAR] = calendar_rows(earliest_day(cb) or FIRST_DAY, dt.date(2026, 5, 1))
    for name, rows in loaded.items():
        con.register(f"casekit_p_{name}", rows)
    tables = named_tables("casekit_p_", calendar=True)
    day = ibis.param("date")
    sql = compile_with_date(duckdb, flags_of(known(tables, day), THRESHOLDS), day, "as_of")
    counts = set()
    for as_of in (dt.date(2024, 1, 31), dt.date(2025, 3, 31), dt.date(2026, 5, 1)):
        got = flag_frame(con.execute(sql, {"as_of": as_of}).df())
        want = flag_frame(duckdb.run(flag_table(tables, as_of, THRESHOLDS)))
        assert got.equals(want), as_of
        counts.add(len(got))
    assert len(counts) > 1  # the dates differ in their flags: the parameter is read


def test_an_expression_holding_the_stand_in_date_is_refused(duckdb):
    t = ibis.table({"day": "date"}, name="t")
    day = ibis.param("date")
    clash = t.filter((t.day <= day) & (t.day != ibis.literal(STAND_IN, type="date")))
    with pytest.raises(ValueError, match="stand-in date 1111-11-11"):
        compile_with_date(duckdb, clash, day, "as_of")


def test_an_expression_without_the_parameter_is_refused(duckdb):
    t = ibis.table({"day": "date"}, name="t")
    with pytest.raises(ValueError, match=r"\$as_of does not occur"):
        compile_with_date(duckdb, t.filter(t.day.notnull()), ibis.param("date"), "as_of")


def test_a_calendar_made_in_the_engine_needs_the_date_itself():
    _, tables = synthetic(5, 30)
    with pytest.raises(ValueError, match="needs its last day as a date"):
        flags_of(known(tables, ibis.param("date")), THRESHOLDS)
