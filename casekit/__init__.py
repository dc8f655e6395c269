"""casekit: proportionate safeguarding casework under the Prevent duty.

>>> import casekit
>>> sorted(casekit.TABLES)[:3]
['cases', 'decisions', 'events']
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from casekit import _moved
from casekit.bundle.casebook import Casebook
from casekit.contract import RESPONSE_LADDER, RUNG, TABLES
from casekit.errors import BundleInvalid, CasekitError, Problem, WriteRefused
from casekit.privacy.disclosure import suppress
from casekit.store.load import load, validate_path

if TYPE_CHECKING:
    from casekit.store.db import Store

_moved.install()

validate = validate_path


def open(  # noqa: A001 - `casekit.open(path)` is the documented way in
    path_or_url: str | Path,
    user: str | None = None,
    create: bool = True,
    readonly: bool | None = None,
) -> Store:
    """Open (or create) a casebook store; see :func:`casekit.store.db.open_store`."""
    from casekit.store.db import open_store

    return open_store(path_or_url, user=user, create=create, readonly=readonly)


def __getattr__(name: str) -> Any:
    """Import the store (and SQLAlchemy) only when it is used: most jobs never need it."""
    if name in ("Store", "open_store"):
        from casekit.store import db

        return getattr(db, name)
    raise AttributeError(f"module 'casekit' has no attribute {name!r}")


__all__ = [
    "Casebook",
    "Store",
    "load",
    "open",
    "open_store",
    "validate",
    "validate_path",
    "suppress",
    "TABLES",
    "RESPONSE_LADDER",
    "RUNG",
    "CasekitError",
    "BundleInvalid",
    "WriteRefused",
    "Problem",
]
__version__ = "0.2.0"
