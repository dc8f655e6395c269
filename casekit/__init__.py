"""casekit: proportionate safeguarding casework under the Prevent duty.

>>> import casekit
>>> sorted(casekit.TABLES)[:3]
['cases', 'decisions', 'events']
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from casekit import _moved
from casekit.contract import RESPONSE_LADDER, RUNG, TABLES
from casekit.errors import BundleInvalid, CasekitError, Problem, WriteRefused

if TYPE_CHECKING:
    from casekit.bundle.casebook import Casebook
    from casekit.privacy.disclosure import suppress
    from casekit.store.db import Store, open_store
    from casekit.store.load import load, validate_path

    validate = validate_path

_moved.install()

_LAZY = {
    "Casebook": ("casekit.bundle.casebook", "Casebook"),
    "suppress": ("casekit.privacy.disclosure", "suppress"),
    "load": ("casekit.store.load", "load"),
    "validate_path": ("casekit.store.load", "validate_path"),
    "validate": ("casekit.store.load", "validate_path"),
    "Store": ("casekit.store.db", "Store"),
    "open_store": ("casekit.store.db", "open_store"),
}
"""The names imported when first used, so that ``import casekit`` (and the command's start,
which a Ctrl-C may cut short) does not wait for pandas and SQLAlchemy."""


def open(  # noqa: A001 - `casekit.open(path)` is the documented way in
    path_or_url: str | Path,
    user: str | None = None,
    create: bool = True,
    readonly: bool | None = None,
) -> Store:
    """Open (or create) a casebook store; see :func:`casekit.store.db.open_store`."""
    from casekit.store.db import open_store

    return open_store(path_or_url, user=user, create=create, readonly=readonly)


if not TYPE_CHECKING:  # type checkers see the names imported above, and no other

    def __getattr__(name: str) -> Any:
        """Import a name of :data:`_LAZY` when it is first used, and keep it."""
        if name not in _LAZY:
            raise AttributeError(f"module 'casekit' has no attribute {name!r}")
        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    """List the package's names, the ones imported when first used too."""
    return sorted({*globals(), *_LAZY})


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
