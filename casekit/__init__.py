"""casekit: proportionate safeguarding casework under the Prevent duty.

>>> import casekit
>>> sorted(casekit.TABLES)[:3]
['cases', 'decisions', 'events']
"""

from __future__ import annotations

from .casebook import Casebook, load, validate_path
from .contract import RESPONSE_LADDER, RUNG, TABLES
from .disclosure import suppress
from .errors import BundleInvalid, CasekitError, Problem, WriteRefused
from .store import Store, open_store

open = open_store  # noqa: A001 - `casekit.open(path)` is the documented way in
validate = validate_path

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
__version__ = "0.1.0"
