"""Open any casebook source as a Casebook: a bundle (CSV, .xlsx, Parquet) or a casebook store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from casekit.bundle.casebook import Casebook, load_bundle
from casekit.bundle.io import bundle_form
from casekit.errors import BundleInvalid, CasekitError, Problem

__all__ = ["is_store", "load", "validate_path"]


def is_store(path: str | Path) -> bool:
    """Say whether ``path`` names a casebook store (a database URL, or a SQLite store file).

    A path that is no bundle at all is not a store either: reading it says what is wrong.
    """
    if "://" in str(path):
        return True
    try:
        return bundle_form(Path(path)) == "store"
    except CasekitError:
        return False


def load(path: str | Path, today: dt.date | None = None) -> Casebook:
    """Read and validate a bundle in any form the contract lists, and return its Casebook.

    ``path`` is a folder of CSV files, an .xlsx workbook, a folder of Parquet files, or a
    casebook store (a SQLite file or a SQLAlchemy URL). An invalid bundle raises
    :class:`~casekit.errors.BundleInvalid`, which lists every problem.
    """
    text = str(path)
    if "://" in text:
        from casekit.store.db import open_store

        with open_store(text, create=False, readonly=True) as store:
            return store.casebook(today=today)
    path = Path(path)
    if bundle_form(path) == "store":
        from casekit.store.db import open_store

        with open_store(path, create=False, readonly=True) as store:  # reading never writes
            return store.casebook(today=today)
    return load_bundle(path, today)


def validate_path(path: str | Path, today: dt.date | None = None) -> list[Problem]:
    """Check a bundle at ``path`` and return every problem; a valid one has only warnings."""
    try:
        casebook = load(path, today=today)
    except BundleInvalid as exc:
        return exc.problems
    return casebook.notes
