"""Run the relational flags on a chosen engine, over a casebook, a store or a Parquet bundle.

``engine`` is a name (``duckdb``, ``postgres``, ``spark``), a Spark Connect URL (``sc://...``:
Spark on a cluster), or an open :class:`~casekit.engine.Engine` (kept open: a warm engine for
many small runs). The source is a :class:`~casekit.bundle.casebook.Casebook` (sent to the
engine), a PostgreSQL store's URL (engine ``postgres``: the flags run in the database and only
their rows come back), or a folder of Parquet files (scanned lazily by DuckDB or Spark).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from casekit.analysis.relational.flags import RAISED, run_flags
from casekit.bundle.casebook import Casebook
from casekit.engine.backends import ENGINES, Engine, connect
from casekit.errors import BundleInvalid, CasekitError, shown
from casekit.policy import FLAGS

if TYPE_CHECKING:
    from casekit.bundle.dataset import DatasetCheck
    from casekit.engine.tables import Tables

__all__ = [
    "Source",
    "engine_name",
    "flags_on",
    "in_place",
    "not_ported",
    "open_engine",
    "reading",
    "tables_of",
]

POSTGRES_NEEDS_URL = (
    "engine=postgres runs the flags in a team's PostgreSQL store: give the store's URL as the "
    "data (casekit flags --data postgresql://you@host/casebook --engine postgres), or choose "
    "engine=duckdb for a bundle."
)
Source = Casebook | str | Path
"""What the flags read: a Casebook, a PostgreSQL store's URL, or a Parquet bundle folder."""


def not_ported() -> tuple[str, ...]:
    """Name the flags the relational definition does not raise yet (pandas raises them)."""
    return tuple(f for f in FLAGS if f not in RAISED)


def engine_name(engine: str | Engine) -> str:
    """Give the engine's name (``duckdb``, ``postgres`` or ``spark``), or refuse an unknown one."""
    if isinstance(engine, Engine):
        return engine.name
    text = str(engine).strip()
    if text.startswith("sc://"):
        return "spark"
    name = text.lower()
    if name == "postgresql":
        return "postgres"
    if name not in ENGINES:
        raise CasekitError(
            f"engine={shown(engine)}: choose one of {', '.join(ENGINES)} (or a Spark Connect "
            "URL, sc://host:15002)."
        )
    return name


def _is_url(source: Source) -> bool:
    """Tell whether a source is a database URL rather than a casebook or a path."""
    return isinstance(source, str) and "://" in source


def in_place(engine: str | Engine, source: Source) -> bool:
    """Tell whether the engine reads ``source`` where it is (a store in PostgreSQL, a dataset).

    Any other source is read into casekit and validated first, as a Casebook.
    """
    if engine_name(engine) == "postgres" and not _is_url(source):
        raise CasekitError(POSTGRES_NEEDS_URL)
    if isinstance(source, Casebook):
        return False
    if _is_url(source):
        return engine_name(engine) == "postgres"
    from casekit.bundle.partitioned import part_files

    return bool(part_files(Path(source), "cases"))  # a partitioned dataset


@contextmanager
def open_engine(engine: str | Engine, source: Source) -> Iterator[Engine]:
    """Open the named engine for ``source`` and close it after; an open Engine is lent as is."""
    if isinstance(engine, Engine):
        yield engine
        return
    name = engine_name(engine)
    text = str(engine).strip()
    url: str | None = text if text.startswith("sc://") else None
    if name == "postgres":
        if not _is_url(source):
            raise CasekitError(POSTGRES_NEEDS_URL)
        url = str(source)
    with connect(name, url=url) as opened:
        yield opened


def checked_dataset(folder: Path) -> DatasetCheck:
    """Check a partitioned dataset against the contract (out of core) before an engine reads it.

    Like any bundle read into casekit, a dataset is validated first: a broken one raises
    :class:`~casekit.errors.BundleInvalid` listing its problems, each naming part, record and
    column, and a damaged part file a one-line :class:`~casekit.errors.CasekitError`. Returns
    the check: each table's parts as checked, which the engine is then given (never the folder
    again), and what each part was (:meth:`~casekit.bundle.dataset.DatasetCheck.unchanged`).
    """
    from casekit.bundle import dataset

    check = dataset.check_dataset(folder)
    if not check.valid:
        raise BundleInvalid(str(folder), check.problems)
    return check


def tables_of(engine: Engine, source: Source) -> Tables:
    """Give ``source`` as the engine's tables: sent (a Casebook), in place (a store, Parquet).

    A dataset read in place is read from the parts its check read; use :func:`reading` to
    have them also checked unchanged once the engine has read them.
    """
    with reading(engine, source) as tables:
        return tables


@contextmanager
def reading(engine: Engine, source: Source) -> Iterator[Tables]:
    """Lend ``source`` as the engine's tables for a block that runs every query on them.

    For a dataset read in place, when the block ends without error, every part is checked to
    be still the file the check read (:meth:`~casekit.bundle.dataset.DatasetCheck.unchanged`):
    a part replaced meanwhile raises :class:`~casekit.errors.CasekitError`, so no result
    counted from it is used.
    """
    from casekit.engine.tables import from_casebook

    if isinstance(source, Casebook):
        if engine.name == "postgres":
            raise CasekitError(
                "engine=postgres runs in the store the data is in: give the store's URL, not "
                "a casebook read from it."
            )
        yield from_casebook(source)
        return
    if _is_url(source):
        if engine.name != "postgres":  # another engine reads the records through casekit
            from casekit.store.load import load

            yield from_casebook(load(str(source)))
            return
        from casekit.engine.store import from_store

        yield from_store(engine)
        return
    if in_place(engine, source):
        from casekit.engine.parquet import from_parquet

        check = checked_dataset(Path(source))
        yield from_parquet(engine, Path(source), parts=check.parts)
        check.unchanged()
        return
    from casekit.store.load import load

    yield from_casebook(load(Path(source)))  # CSV, a workbook, Parquet files: validated first


def flags_on(
    engine: str | Engine, source: Source, as_of: dt.date, thresholds: dict[str, Any]
) -> pd.DataFrame:
    """Raise the ported flags (:data:`RAISED`) of ``source`` on ``engine``, as known at ``as_of``.

    Returns the rows in the columns and order of the pandas flags.
    """
    with open_engine(engine, source) as opened, reading(opened, source) as tables:
        return run_flags(opened, tables, as_of, thresholds)
