"""The contract's tables typed in the engine, from text cells or from typed columns.

A team's store holds every cell as the bundle's canonical text (``2024-02-01``, ``true``,
``E1;E2``, empty for missing), and so does a Parquet bundle in today's form; the partitioned
dataset layout holds typed columns (dates, booleans, whole numbers, lists of ids). Either way
the engine itself casts the columns to the :class:`~casekit.engine.tables.Tables` shape and
splits the lists of evidence ids into link tables, so no row is read into Python to do it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from casekit.contract import LIST_SEPARATOR, TABLES, Column
from casekit.engine.tables import ANALYSED, CONCERNS, LINKS, Tables, arrow_schema

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["TRUE", "FALSE", "from_text", "from_typed"]

TRUE = ("true", "yes", "1", "y", "t")
"""The texts a boolean cell may hold for yes (as validation accepts them, any case)."""
FALSE = ("false", "no", "0", "n", "f")
"""The texts a boolean cell may hold for no."""
_IBIS = {"date": "date", "bool": "boolean", "int": "int64", "number": "float64"}


def _kind(column: Column) -> str:
    """Give the Ibis type of a contract column as the engines see it."""
    return _IBIS.get(column.kind, "string")


def _from_text(value: ir.Value, column: Column) -> ir.Value:
    """Cast one text column to its contract kind; empty text is missing, defaults filled."""
    import ibis

    text = value.cast("string").nullif("")
    if column.default is not None:
        text = text.fill_null(str(column.default))
    if column.kind == "date":
        return text.cast("date")
    if column.kind == "bool":
        low = text.lower()
        return ibis.cases((low.isin(TRUE), True), (low.isin(FALSE), False), else_=ibis.null())
    if column.kind in ("int", "number"):
        return text.cast(_kind(column))
    if column.kind == "vocab":
        return text.lower()
    return text


def _typed(table: ir.Table, name: str, cast: bool) -> ir.Table:
    """Select a contract table's columns in the engines' shape (absent columns missing)."""
    import ibis

    spec = TABLES[name]
    columns: dict[str, ir.Value] = {}
    for field in arrow_schema(name):
        column = spec.column(field.name)
        if field.name not in table.columns:
            columns[field.name] = ibis.null(_kind(column))
        elif cast:
            columns[field.name] = _from_text(table[field.name], column)
        else:
            columns[field.name] = table[field.name].cast(_kind(column))
    return table.select(**columns)


def _links(table: ir.Table, name: str, lists: ir.ArrayValue, column: str = "event_id") -> ir.Table:
    """Give one row per listed id: the record's id, ``column`` (``event_id``) and ``pos``.

    Empty items (``E1;;E2``, a list of nothing) are dropped and the rest renumbered, so
    ``pos`` is each id's place among the ids a reason would name.
    """
    import ibis

    id_column = TABLES[name].id_column
    pairs = table.select(_id=table[id_column], _e=lists)
    flat = pairs.unnest("_e", offset="_o", keep_empty=False)
    flat = flat.filter(flat._e.notnull() & (flat._e != ""))
    pos = ibis.row_number().over(ibis.window(group_by=flat._id, order_by=flat._o))
    return flat.select(
        **{id_column: flat._id.cast("string"), column: flat._e.cast("string"), "pos": pos}
    )


def from_text(raw: Mapping[str, ir.Table]) -> Tables:
    """Type the contract's tables from text cells (a store, a Parquet bundle of text).

    ``raw`` maps each table of :data:`~casekit.engine.tables.ANALYSED` to an engine table of
    text columns; ``evidence_ids`` are ``;``-separated. Dates must be ``YYYY-MM-DD`` and
    booleans one of :data:`TRUE` or :data:`FALSE`, as a validated bundle holds them.
    """
    tables: dict[str, ir.Table] = {name: _typed(raw[name], name, cast=True) for name in ANALYSED}
    for name, link in LINKS.items():
        t = raw[name]
        ids = t.evidence_ids.cast("string").split(LIST_SEPARATOR)
        tables[link] = _links(t, name, ids)
    cases = raw["cases"]
    if "concern_flags" in cases.columns:
        concerns = cases.concern_flags.cast("string").lower().split(LIST_SEPARATOR)
        tables[CONCERNS] = _links(cases, "cases", concerns, "concern")
    return Tables.of(tables)


def from_typed(raw: Mapping[str, ir.Table]) -> Tables:
    """Give the contract's tables from typed columns (the partitioned Parquet dataset).

    Dates are dates, booleans booleans, whole numbers int64 and ``evidence_ids`` lists of
    text; a column the data lacks is missing throughout.
    """
    import ibis

    tables: dict[str, ir.Table] = {name: _typed(raw[name], name, cast=False) for name in ANALYSED}
    for name, link in LINKS.items():
        t = raw[name]
        if "evidence_ids" in t.columns:
            ids = t.evidence_ids.cast("array<string>")
        else:
            ids = ibis.null("array<string>")
        tables[link] = _links(t, name, ids)
    cases = raw["cases"]
    if "concern_flags" in cases.columns:
        concerns = cases.concern_flags.cast("array<string>")
        tables[CONCERNS] = _links(cases, "cases", concerns, "concern")
    return Tables.of(tables)
