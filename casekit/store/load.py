"""Open any casebook source as a Casebook: a bundle (CSV, .xlsx, Parquet) or a casebook store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from casekit.bundle.casebook import Casebook, load_bundle
from casekit.bundle.io import bundle_form
from casekit.errors import BundleInvalid, CasekitError, Problem, conninfo_refusal, is_conninfo

__all__ = ["is_store", "load", "source", "validate_path"]


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


def source(data: str | Path, label: str = "--data") -> str | Path:
    """Return where a review reads its casebook: a server store's URL as given, else the path.

    A path must exist (it is returned resolved). A URL may not carry a password: a review
    writes its source into every team's notebook, so the password goes in ``$PGPASSWORD`` or
    ``~/.pgpass`` instead.
    """
    text = str(data).strip()
    if not text:
        raise CasekitError(f"{label}: give the bundle to review (a folder, workbook or store).")
    if "://" in text:
        import sqlalchemy as sa

        from casekit.store.urls import holds_password

        try:
            parsed = sa.make_url(text)
        except sa.exc.ArgumentError:
            raise CasekitError(
                f"{label}: not a database URL; give one like "
                "postgresql://user@host/database, or a path."
            ) from None
        if parsed.get_backend_name() != "postgresql":
            raise CasekitError(
                f"{label}: {parsed.drivername}:// is not a casebook server casekit reads; give "
                "postgresql://user@host/database, or a path (a bundle or a .sqlite store)."
            )
        if holds_password(parsed):
            raise CasekitError(
                f"{label}: the URL holds a password, and a review writes its source into "
                "every team's notebook. Leave it out of the URL and set PGPASSWORD (or use "
                "~/.pgpass) instead."
            )
        return text
    path = Path(text)
    if not path.exists():
        if is_conninfo(text):
            raise CasekitError(conninfo_refusal(label, text))
        raise CasekitError(f"{label} {data}: no such file or folder. Check the path.")
    return path.resolve()


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
    """Check a bundle at ``path`` and return every problem; a valid one has only warnings.

    A partitioned Parquet dataset (``<table>/part-NNNNN.parquet``) is checked out of core by
    DuckDB (:func:`casekit.bundle.dataset.check_dataset`), listing the first problems of each rule.
    """
    from casekit.bundle.dataset import is_dataset, validate_dataset

    if "://" not in str(path) and is_dataset(path):
        return validate_dataset(path, today)
    try:
        casebook = load(path, today=today)
    except BundleInvalid as exc:
        return exc.problems
    return casebook.notes
