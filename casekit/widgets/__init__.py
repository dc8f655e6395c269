"""casekit's notebook widgets: thin layers over the library's pure functions and store.

>>> from casekit.widgets import ChronologyBuilder
>>> ChronologyBuilder.__name__
'ChronologyBuilder'
"""

from __future__ import annotations

from casekit.widgets.app import CasePicker, case_from_settings, demo_store, store_from_settings
from casekit.widgets.chronology import ChronologyBuilder
from casekit.widgets.supervision import SupervisionSession
from casekit.widgets.timeline import CaseWorkspace, RiskTimeline

__all__ = [
    "ChronologyBuilder",
    "RiskTimeline",
    "CaseWorkspace",
    "SupervisionSession",
    "CasePicker",
    "demo_store",
    "store_from_settings",
    "case_from_settings",
]
