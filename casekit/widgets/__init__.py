"""casekit's notebook widgets: thin layers over the library's pure functions and store.

>>> from casekit.widgets import ChronologyBuilder
>>> ChronologyBuilder.__name__
'ChronologyBuilder'
"""

from __future__ import annotations

from .app import CasePicker, demo_store, store_from_settings
from .chronology import ChronologyBuilder
from .supervision import SupervisionSession
from .timeline import CaseWorkspace, RiskTimeline

__all__ = [
    "ChronologyBuilder",
    "RiskTimeline",
    "CaseWorkspace",
    "SupervisionSession",
    "CasePicker",
    "demo_store",
    "store_from_settings",
]
