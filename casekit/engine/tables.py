"""The contract's tables as Ibis tables, typed alike on every engine.

Every engine sees the same shape: each contract table with its columns typed by their kind
(dates as dates, booleans, whole numbers, text), less its lists of ids, which become link
tables with one row per listed id and its position in the list (``decision_evidence``:
``decision_id``, ``event_id``, ``pos``). Columns are read from :mod:`casekit.contract`, the one
module that defines them. :meth:`Tables.calendar` gives the working-day calendar
(:mod:`casekit.engine.calendar`) from the tables' earliest date, for working-day arithmetic.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from casekit.contract import TABLES, Column, Table
from casekit.engine.calendar import CALENDAR_SCHEMA, FIRST_DAY, working_calendar

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from casekit.bundle.casebook import Casebook

__all__ = [
    "ANALYSED",
    "CALENDAR",
    "CONCERNS",
    "LINKS",
    "Tables",
    "arrow_schema",
    "arrow_tables",
    "concern_links",
    "earliest_day",
    "from_casebook",
    "link_schema",
    "named_tables",
]

ANALYSED = ("cases", "events", "decisions", "judgements", "plan_actions", "info_sharing")
"""The tables the flags and research read."""
LINKS = {
    "decisions": "decision_evidence",
    "judgements": "judgement_evidence",
    "plan_actions": "plan_evidence",
}
"""Each table with a list of evidence ids, and the link table that holds it one id a row."""
CALENDAR = "calendar"
"""The name of the working-day calendar's table among :func:`named_tables` (``with calendar``)."""
CONCERNS = "case_concerns"
"""The link table of the cases' ``concern_flags``: ``case_id``, ``concern``, ``pos``."""

_ARROW = {
    "date": pa.date32(),
    "bool": pa.bool_(),
    "int": pa.int64(),
    "number": pa.float64(),
}


def _kept(spec: Table) -> list[Column]:
    """List a table's columns as the engines see them: all but its lists of ids."""
    return [c for c in spec.columns if c.kind not in ("ids", "vocabs")]


def arrow_schema(table: str) -> pa.Schema:
    """Give a contract table's typed Arrow schema as the engines see it (lists of ids apart)."""
    return pa.schema([(c.name, _ARROW.get(c.kind, pa.string())) for c in _kept(TABLES[table])])


def link_schema(table: str, column: str = "event_id") -> pa.Schema:
    """Give the schema of a table's link table: its id, ``column`` (``event_id``) and ``pos``."""
    return pa.schema(
        [(TABLES[table].id_column, pa.string()), (column, pa.string()), ("pos", pa.int64())]
    )


@dataclass(frozen=True)
class Tables:
    """The contract's tables on one engine, and the link tables of their evidence ids."""

    cases: ir.Table
    events: ir.Table
    decisions: ir.Table
    judgements: ir.Table
    plan_actions: ir.Table
    info_sharing: ir.Table
    decision_evidence: ir.Table
    judgement_evidence: ir.Table
    plan_evidence: ir.Table
    case_concerns: ir.Table | None = None
    first_day: dt.date = FIRST_DAY
    """The earliest date in the tables, where :meth:`calendar` starts (when it is not known,
    1900-01-01: validation refuses earlier dates, so the calendar still covers every date)."""
    days: ir.Table | None = None
    """A working-day calendar the engine already holds (the columns of
    :data:`~casekit.engine.calendar.CALENDAR_SCHEMA`, from the tables' earliest date or before
    to the as-of date or after), which :meth:`calendar` reads instead of making one."""

    @classmethod
    def of(cls, tables: Mapping[str, ir.Table], first_day: dt.date | None = None) -> Tables:
        """Build from a mapping of table names (contract tables and link tables) to tables.

        ``case_concerns`` (research reads it for the case groups) is optional; ``first_day`` is
        the tables' earliest date if the caller knows it (a smaller calendar).
        """
        names = (*ANALYSED, *LINKS.values(), *([CONCERNS] if CONCERNS in tables else []))
        chosen = {name: tables[name] for name in names}
        return cls(**chosen, first_day=first_day or FIRST_DAY)

    def calendar(self, last: dt.date | ir.DateValue) -> ir.Table:
        """Give the working-day calendar from the tables' earliest date to ``last``.

        Columns ``day``, ``working``, ``n`` (:func:`casekit.engine.calendar.working_calendar`):
        working days after ``a`` up to ``b`` are ``n(b) - n(a)``, and the ``k``-th working day
        after ``a`` is the working day with ``n(a) + k``. Flags pass their as-of date: nothing
        they count comes later. When the tables come with a calendar (:attr:`days`), its days up
        to ``last``, which may then be a date value of the engine (a parameter of the SQL); a
        calendar made in the engine needs ``last`` itself, to know how many days to make.
        """
        if self.days is not None:
            return self.days.filter(self.days.day <= last)
        if not isinstance(last, dt.date):
            raise ValueError("a calendar made in the engine needs its last day as a date")
        return working_calendar(self.cases, self.first_day, last)


def _column(frame: pd.DataFrame, column: Column, kind: pa.DataType) -> pa.Array:
    """Give one column of a Casebook frame as a typed Arrow array (missing values null)."""
    if column.name not in frame:
        return pa.nulls(len(frame), kind)
    values = frame[column.name]
    if kind == pa.date32():
        days = values.to_numpy("datetime64[ns]").astype("datetime64[D]")
        return pa.array(days, type=pa.date32(), mask=pd.isna(values).to_numpy())
    if kind == pa.string() and isinstance(values.dtype, pd.CategoricalDtype):
        words = pa.array(values.cat.categories.to_numpy(dtype=object), type=kind)
        codes = pa.array(values.cat.codes.to_numpy(), mask=(values.cat.codes < 0).to_numpy())
        return words.take(codes)  # the categories' words, missing where the code is -1
    if kind == pa.string() and isinstance(values.dtype, pd.StringDtype):
        text = pa.array(values.array, type=kind, from_pandas=True)  # no Python str made
        # pandas' Arrow-backed text gives its chunks as they are: one array, as every other
        # column is (Spark's conversion from pandas refuses a chunked column)
        return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    return pa.array(values, type=kind, from_pandas=True)


def _typed(frame: pd.DataFrame, table: str) -> pa.Table:
    """Give a Casebook frame as a typed Arrow table with the engines' columns."""
    schema = arrow_schema(table)
    arrays = [_column(frame, TABLES[table].column(f.name), f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def _links(
    frame: pd.DataFrame, table: str, source: str = "evidence_ids", column: str = "event_id"
) -> pa.Table:
    """Give a frame's lists (``evidence_ids``) as a link table: one row per listed value."""
    id_column = TABLES[table].id_column
    lists = pa.array(
        [list(v) if isinstance(v, list | tuple) else [] for v in frame[source]],
        type=pa.list_(pa.string()),
    )
    parents = pc.list_parent_indices(lists)
    starts = pa.array(lists.offsets.to_numpy()[:-1])
    pos = pc.subtract(
        pa.array(range(len(parents)), pa.int64()), pc.take(starts, parents).cast(pa.int64())
    )
    ids = pa.array(frame[id_column].astype(object), type=pa.string()).take(parents)
    return pa.Table.from_arrays(
        [ids, pc.list_flatten(lists), pos], schema=link_schema(table, column)
    )


def concern_links(cases: ir.Table) -> ir.Table:
    """Give the ``case_concerns`` link table of cases whose ``concern_flags`` is a list column.

    For a source that holds the lists typed (a Parquet dataset's ``list<string>``): one row per
    listed concern, ``case_id``, ``concern`` and its 0-based ``pos``, unnested in the engine.
    """
    flat = cases.select("case_id", concern=cases.concern_flags).unnest("concern", offset="pos")
    return flat.select("case_id", "concern", pos=flat.pos.cast("int64"))


def earliest_day(cb: Casebook) -> dt.date | None:
    """Give the earliest date in any date column of a Casebook's analysed tables."""
    firsts = [
        cb.tables[table][c.name].min()
        for table in ANALYSED
        for c in TABLES[table].columns
        if c.kind == "date" and c.name in cb.tables[table]
    ]
    known = [pd.Timestamp(d).date() for d in firsts if pd.notna(d)]
    return min(known) if known else None


def arrow_tables(cb: Casebook, names: Collection[str] | None = None) -> dict[str, pa.Table]:
    """Give a Casebook's tables as typed Arrow tables: the contract's and the link tables.

    With ``names``, only those (a contract table, a link table or ``case_concerns``).
    """
    wanted = set(names) if names is not None else {*ANALYSED, *LINKS.values(), CONCERNS}
    tables = {table: _typed(cb.tables[table], table) for table in ANALYSED if table in wanted}
    tables.update(
        {link: _links(cb.tables[table], table) for table, link in LINKS.items() if link in wanted}
    )
    if CONCERNS in wanted:
        tables[CONCERNS] = _links(cb.cases, "cases", "concern_flags", "concern")
    return tables


def named_tables(prefix: str = "casekit_", calendar: bool = False) -> Tables:
    """Give unbound tables of the engines' shape, named ``<prefix><table>``.

    An expression over them compiles once to SQL that any set of tables so named can run.
    With ``calendar``, the working-day calendar is a table too, ``<prefix>calendar`` (rows of
    :func:`~casekit.engine.calendar.calendar_rows` covering the tables' dates and the as-of
    date), rather than made in the engine from 1900 on.
    """
    import ibis

    schemas = {t: arrow_schema(t) for t in ANALYSED}
    schemas.update({link: link_schema(t) for t, link in LINKS.items()})
    schemas[CONCERNS] = link_schema("cases", "concern")
    tables = Tables.of(
        {name: ibis.table(ibis.schema(s), name=f"{prefix}{name}") for name, s in schemas.items()}
    )
    if not calendar:
        return tables
    days = ibis.table(ibis.schema(CALENDAR_SCHEMA), name=f"{prefix}{CALENDAR}")
    return dataclasses.replace(tables, days=days)


def from_casebook(cb: Casebook) -> Tables:
    """Give a Casebook's tables as in-memory Ibis tables, which any engine can run.

    The tables are Arrow tables wrapped as Ibis memtables, so DuckDB reads them without a
    copy; Spark and PostgreSQL are sent them when an expression runs.
    """
    import ibis

    tables = {name: ibis.memtable(t) for name, t in arrow_tables(cb).items()}
    return Tables.of(tables, earliest_day(cb))
