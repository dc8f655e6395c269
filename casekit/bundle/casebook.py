"""The Casebook: a validated bundle as one typed DataFrame per contract table.

>>> import casekit
>>> cb = casekit.load("data/synthetic")
>>> cb.events.dtypes["date"]
dtype('<M8[ns]')
>>> cb.cases.loc[0, "case_id"]
'C00001'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from casekit.bundle.io import RawTable, canonical, clean_frame, read_bundle
from casekit.bundle.validation import check_table, check_tables
from casekit.contract import TABLE_ORDER, TABLES
from casekit.errors import BundleInvalid, CasekitError, Problem

__all__ = [
    "Casebook",
    "load_bundle",
    "load_table_file",
    "from_raw",
    "from_tables",
    "check_rows",
    "empty_table",
]


def empty_table(table: str) -> pd.DataFrame:
    """Return an empty frame with the table's contract columns, typed as a loaded one would be."""
    raw = RawTable(table, pd.DataFrame(columns=list(TABLES[table].column_names)), table)
    typed, _ = check_table(raw)
    return typed.reset_index(drop=True)


@dataclass
class Casebook:
    """A validated case bundle: one typed DataFrame per contract table.

    Dates are ``datetime64``, booleans nullable ``boolean``, vocabularies ``Categorical`` (the
    response ladder and significance are ordered), list columns hold Python lists, and IDs stay
    strings. Absent optional tables are empty frames with the contract's columns.
    """

    tables: dict[str, pd.DataFrame]
    source: str = ""
    notes: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Give every contract table a frame: an absent one is empty, with typed columns."""
        for table in TABLE_ORDER:
            if table not in self.tables:
                self.tables[table] = empty_table(table)

    def __getattr__(self, name: str) -> pd.DataFrame:
        """Give each table as an attribute: ``cb.cases``, ``cb.events`` and so on."""
        tables = self.__dict__.get("tables", {})
        if name in TABLES:
            return tables[name]
        raise AttributeError(f"Casebook has no table or attribute {name!r}")

    def __dir__(self) -> list[str]:
        """List the tables beside the ordinary attributes, for tab completion."""
        return sorted(set(super().__dir__()) | set(TABLES))

    def __repr__(self) -> str:
        """Summarise the casebook as table sizes."""
        sizes = ", ".join(f"{t}={len(self.tables[t])}" for t in TABLE_ORDER)
        return f"Casebook({self.source!r}: {sizes})"

    def canonical(self) -> dict[str, pd.DataFrame]:
        """Return every present table as canonical strings, ready to write."""
        return {
            t: canonical(f, t) for t, f in self.tables.items() if len(f) or t in ("cases", "events")
        }


def from_raw(
    raws: dict[str, RawTable],
    source: str,
    notes: list[Problem] | None = None,
    today: dt.date | None = None,
) -> Casebook:
    """Validate raw tables and build a Casebook, or raise :class:`BundleInvalid`."""
    typed, problems = check_tables(raws, source, today)
    problems = (notes or []) + problems
    if any(p.severity == "error" for p in problems):
        raise BundleInvalid(source, problems)
    tables = {t: typed[t].reset_index(drop=True) for t in TABLE_ORDER if t in typed}
    return Casebook(tables, source, problems)  # absent tables become empty typed frames


def check_rows(
    table: str,
    frame: pd.DataFrame,
    source: str,
    *,
    first_row: int = 2,
    row_word: str = "row",
    today: dt.date | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check one table's rows, given as canonical strings, and return them typed with problems.

    For rows made in memory rather than read from a file, such as a merged agency chronology
    or a store's records. Problems name ``source`` and number the rows from ``first_row`` (a
    CSV file's first data row is row 2), calling each a ``row_word``.

    >>> rows = pd.DataFrame({"case_id": ["C1"], "event_id": ["E1"], "date": ["2024-13-01"]})
    >>> typed, problems = check_rows("events", rows, "upload")
    >>> any("date" in str(p) and "row 2" in str(p) for p in problems)
    True
    """
    raw = RawTable(table, clean_frame(frame, first_row), source, row_word=row_word)
    typed, problems = check_table(raw, today)
    return typed.reset_index(drop=True), problems


def from_tables(
    tables: dict[str, pd.DataFrame], source: str, today: dt.date | None = None
) -> Casebook:
    """Validate tables of canonical strings, as a bundle holds them, and build a Casebook.

    The same as writing ``tables`` as a CSV bundle and loading it, without the files: for
    tables made in memory, such as :func:`casekit.synth.generator.generate`'s.
    """
    raws = {t: RawTable(t, clean_frame(f, 2), f"{t}.csv") for t, f in tables.items()}
    return from_raw(raws, source, today=today)


def load_table_file(path: str | Path, table: str, today: dt.date | None = None) -> Casebook:
    """Read one CSV file as one contract table, checked on its own (references are not).

    For adding rows to a casebook store whose other tables already hold what they refer to,
    such as a merged agency chronology (``casekit import merged.csv --table events``).
    """
    from casekit.bundle.io import read_csv_table

    path = Path(path)
    if table not in TABLES:
        raise CasekitError(f"{table!r} is not a table; tables are {', '.join(TABLES)}.")
    if not path.is_file():
        raise CasekitError(f"{path}: no such file.")
    raw = read_csv_table(path, table)
    typed, problems = check_table(raw, today)
    problems = raw.notes + problems
    if any(p.severity == "error" for p in problems):
        raise BundleInvalid(path.name, problems)
    return Casebook({table: typed.reset_index(drop=True)}, path.name, problems)


def load_bundle(path: str | Path, today: dt.date | None = None) -> Casebook:
    """Read and validate a bundle file or folder (CSV, .xlsx or Parquet) as a Casebook.

    An invalid bundle raises :class:`~casekit.errors.BundleInvalid`, which lists every
    problem. :func:`casekit.load` also opens casebook stores.
    """
    path = Path(path)
    raws, notes = read_bundle(path)
    return from_raw(raws, path.name or str(path), notes, today)
