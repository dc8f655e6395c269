"""A team's PostgreSQL store as the engines' tables, typed in the database.

The store keeps every cell as the bundle's canonical text (:mod:`casekit.store.db`); here
PostgreSQL itself casts each column to the :class:`~casekit.engine.tables.Tables` shape and
splits the lists of evidence ids into link tables (``string_to_array`` and ``unnest ... with
ordinality``), so the flags run in the database and only their rows come back. Whoever
connects reads as themselves: through a person's own login, row-level security keeps them to
their teams' cases, and free text their role does not grant reads as ``[withheld]``, as
casekit's own reading of the store gives it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from casekit.engine.casts import from_text
from casekit.engine.tables import ANALYSED, Tables
from casekit.errors import CasekitError
from casekit.store.permissions import WITHHELD

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from casekit.engine.backends import Engine

__all__ = ["from_store", "withheld_columns"]


def _names(tables: tuple[str, ...]) -> str:
    """Write contract table names as a SQL list of literals (they are casekit's, not data)."""
    return ", ".join(f"'{t}'" for t in tables)


def withheld_columns(engine: Engine) -> dict[str, set[str]]:
    """Give, per contract table, the columns this login may not read (an analyst's free text)."""
    query = (  # pg_catalog: information_schema lists only the columns one may use
        "SELECT c.relname, a.attname FROM pg_catalog.pg_attribute AS a "
        "JOIN pg_catalog.pg_class AS c ON a.attrelid = c.oid "
        "JOIN pg_catalog.pg_namespace AS n ON c.relnamespace = n.oid "
        f"WHERE n.nspname = current_schema() AND c.relname IN ({_names(ANALYSED)}) "
        "AND a.attnum > 0 AND NOT a.attisdropped "
        "AND NOT has_column_privilege(c.oid, a.attnum, 'SELECT')"
    )
    with engine.backend.raw_sql(query) as cursor:  # a person may make no temporary view
        rows = cursor.fetchall()
    out: dict[str, set[str]] = {}
    for table, column in rows:
        out.setdefault(str(table), set()).add(str(column))
    return out


def from_store(engine: Engine) -> Tables:
    """Give the store the engine is connected to as the engines' tables, typed in the database.

    ``engine`` is a PostgreSQL engine (``connect("postgres", url=...)``) connected to a
    casebook store, ideally through the person's own login so that the database keeps them to
    their teams. Nothing is read here but the tables' shapes and the login's column rights.
    """
    import ibis

    if engine.name != "postgres":
        raise CasekitError(
            f"a casebook store is read in the database by engine=postgres (this is {engine.name})."
        )
    present = set(engine.backend.list_tables())
    missing = [t for t in (*ANALYSED, "_meta") if t not in present]
    if missing:
        raise CasekitError(
            "the database is not a casebook store casekit knows: it has no "
            + ", ".join(missing)
            + " table. Check the URL, or make a store with 'casekit store upgrade'."
        )
    hidden = withheld_columns(engine)
    raw: dict[str, ir.Table] = {}
    for name in ANALYSED:
        table = engine.backend.table(name)
        shut = hidden.get(name, set()) & set(table.columns)
        table = _in_byte_order(engine, name, table, shut)
        if shut:  # the login may not select them: never name them, read them as withheld
            table = table.select(
                *[c for c in table.columns if c not in shut],
                **{c: ibis.literal(WITHHELD) for c in shut},
            )
        raw[name] = table
    return from_text(raw)


def _in_byte_order(engine: Engine, name: str, table: ir.Table, shut: set[str]) -> ir.Table:
    """Read a store table with its text in the "C" collation: ordered as DuckDB and Spark order.

    A database made with another collation (``en_US.UTF-8``, an ICU locale) sorts ``D-2``
    after ``D1`` and ``d0`` before ``D1``; DuckDB and Spark compare bytes. Every tie the flags
    break by an id would then be broken another way in PostgreSQL. A column given
    ``COLLATE "C"`` in the query the tables are read through keeps that collation through
    every expression built on it (casts, trims, joins, windows), so PostgreSQL orders as the
    other engines do. Columns the login may not read (``shut``) are left out, unnamed.
    """
    schema = table.schema()
    columns = []
    for column in table.columns:
        if column in shut:
            continue
        quoted = '"' + column.replace('"', '""') + '"'
        collated = f'{quoted} COLLATE "C"' if schema[column].is_string() else quoted
        columns.append(f"{collated} AS {quoted}")
    if not columns:
        return table
    query = f'SELECT {", ".join(columns)} FROM "{name}"'  # names from the catalogue, quoted
    kept = {c: schema[c] for c in table.columns if c not in shut}  # given: nothing is created
    return engine.backend.sql(query, schema=kept, dialect="postgres")
