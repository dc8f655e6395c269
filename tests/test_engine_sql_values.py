"""No value from the data is ever written into the SQL an engine runs, on any engine's dialect.

The engines are sent a casebook's records as Arrow tables (DuckDB reads them in place, Spark
and PostgreSQL are sent them), a dataset's as its files, a store's where they are: the SQL
the flags and the research compile to names tables and columns and holds casekit's own words,
never a record's text. Text written to break out of an SQL literal (a quote, ``'; DROP``, a
backslash for Spark, a Unicode line separator) is looked for in every dialect's SQL, and the
flags raised on it quote it as it is.
"""

from __future__ import annotations

import datetime as dt

import ibis
import pytest

from casekit.analysis.proportionality import THRESHOLDS
from casekit.analysis.relational import research
from casekit.analysis.relational.flags import flag_table, run_flags
from casekit.bundle.casebook import from_tables
from casekit.contract import TABLES
from casekit.engine import connect
from casekit.engine.tables import from_casebook
from casekit.synth.generator import generate

AS_OF = dt.date(2025, 3, 31)
HOSTILE = "Mum said: it''s fine'); DROP TABLE cases; -- \\' \u2028 \"x\" $as_of ${x} {{y}}"
MARK = "DROP TABLE cases"


@pytest.fixture(scope="module")
def hostile():
    tables = generate(seed=3, n_cases=30)  # the bundle's text, as a file holds it
    changed = 0
    for name, frame in tables.items():
        for column in TABLES[name].of_kind("text"):
            if column.name in frame.columns:
                filled = frame[column.name].fillna("").astype(str).str.strip() != ""
                frame.loc[filled, column.name] = HOSTILE
                changed += int(filled.sum())
    assert changed > 50
    cb = from_tables(tables, "hostile")  # validated as any bundle: the text is allowed
    return cb, from_casebook(cb)


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "pyspark"])
def test_no_record_text_is_in_the_compiled_sql(hostile, dialect):
    _, tables = hostile
    expressions = [
        flag_table(tables, AS_OF, dict(THRESHOLDS)),
        research.referral_outcomes(tables, 90, AS_OF, None, None),
        research.radical_counts(tables, None, None),
    ]
    for expr in expressions:
        sql = str(ibis.to_sql(expr, dialect=dialect))
        assert MARK not in sql and "Mum said" not in sql  # (U+2028 is in casekit's own regex)


def test_the_flags_quote_hostile_text_as_it_is(hostile):
    cb, tables = hostile
    with connect("duckdb") as engine:
        found = run_flags(engine, tables, AS_OF, dict(THRESHOLDS))
        assert engine.run(tables.cases.count().as_table()).iloc[0, 0] == len(cb.cases)
    quoted = found[found["reason"].str.contains("Mum said", regex=False)]
    assert len(quoted) > 0
    assert quoted["reason"].str.contains("it''s fine'); DROP TABLE cases;", regex=False).all()
