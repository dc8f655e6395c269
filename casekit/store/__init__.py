"""The casebook store: a SQLite file or a database, with its migrations.

:func:`casekit.store.load.load` opens any casebook source. The store itself
(:class:`casekit.store.db.Store`) is imported only when it is used, so that reading a bundle
never imports SQLAlchemy.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Store", "open_store", "store_error", "SCHEMA_VERSION"]


def __getattr__(name: str) -> Any:
    """Import :mod:`casekit.store.db` on first use of one of its names."""
    if name in __all__:
        from casekit.store import db

        return getattr(db, name)
    raise AttributeError(f"module 'casekit.store' has no attribute {name!r}")
