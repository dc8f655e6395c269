"""The flags' thresholds and as-of date: their defaults, and how a caller's are checked.

Shared by the pandas flags (:mod:`casekit.analysis.proportionality`) and their relational
definition (:mod:`casekit.analysis.relational`), so neither imports the other for them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from casekit.contract import CHANNEL, RESPONSE_LADDER, RUNG, SAFETY_SCALE
from casekit.errors import CasekitError
from casekit.policy import (
    ASSESSMENT_WORKING_DAYS,
    CLOSED_RECENTLY_DAYS,
    CONCERN_WINDOW_DAYS,
    ESCALATION_RUNG,
    LOW_SCALE,
    STATUTORY_RUNG,
    STEP_DOWN_COLUMNS,
    STEP_DOWN_DAYS,
    STEP_DOWN_MIN_SCALE,
    check_day,
)

__all__ = ["STEP_DOWN_COLUMNS", "THRESHOLDS", "check_thresholds", "read_as_of"]

THRESHOLDS: dict[str, Any] = {
    "escalation_rung": ESCALATION_RUNG,
    "statutory_rung": STATUTORY_RUNG,
    "step_down_days": STEP_DOWN_DAYS,
    "step_down_min_scale": STEP_DOWN_MIN_SCALE,
    "assessment_working_days": ASSESSMENT_WORKING_DAYS,
    "concern_window_days": CONCERN_WINDOW_DAYS,
    "low_scale": LOW_SCALE,
    "closed_recently_days": CLOSED_RECENTLY_DAYS,
}
"""The flags' thresholds and their defaults: the practice principles, in :mod:`casekit.policy`."""


def read_as_of(as_of: str | dt.date | pd.Timestamp | None) -> pd.Timestamp:
    """Read the as-of date (default today), or say how to write it."""
    if as_of is None or (isinstance(as_of, str) and not as_of.strip()):
        return pd.Timestamp(dt.date.today())
    try:
        when = pd.Timestamp(
            dt.datetime.fromisoformat(as_of.strip()) if isinstance(as_of, str) else as_of
        )
    except (ValueError, TypeError):
        raise CasekitError(
            f"as_of={as_of!r} is not a date: write it as YYYY-MM-DD, e.g. 2025-03-31."
        ) from None
    if pd.isna(when):
        raise CasekitError(f"as_of={as_of!r} is not a date: write it as YYYY-MM-DD.")
    check_day("as_of", when.date())  # pandas' dates end in 2262: none may reach past them
    return when.normalize()


def check_thresholds(given: dict[str, Any]) -> dict[str, Any]:
    """Check the thresholds a caller gave and fill in the defaults for the rest."""
    unknown = sorted(set(given) - set(THRESHOLDS))
    if unknown:
        raise CasekitError(
            f"unknown threshold {', '.join(unknown)}: the thresholds are "
            + ", ".join(THRESHOLDS)
            + "."
        )
    t = {**THRESHOLDS, **given}
    for name in ("escalation_rung", "statutory_rung"):
        if t[name] not in RUNG:
            hint = " (Channel support runs beside social care: it is not a rung)"
            raise CasekitError(
                f"{name}={t[name]!r} is not a rung of the response ladder: choose one of "
                + ", ".join(RESPONSE_LADDER)
                + (hint if t[name] == CHANNEL else "")
                + "."
            )
    for name, value in t.items():
        if name.endswith("_rung"):
            continue
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise CasekitError(f"{name}={value!r}: give a whole number, 0 or more.")
        if name.endswith("scale") and value > SAFETY_SCALE[1]:
            low, high = SAFETY_SCALE
            raise CasekitError(f"{name}={value!r}: safety scales run from {low} to {high}.")
    return t
