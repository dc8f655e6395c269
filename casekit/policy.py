"""Practice policy: how casekit groups cases and evidence, and the thresholds it works to.

This is the one place for these rules: the flags, the flag guide, the review, research, the
timeline and the synthetic generator read them from here, and changing one is one edit (the
texts that state a threshold are built from it). The thresholds are those of the practice
principles (``practice.md``: the flags table and the process context); a caller can still
pass other values where a function takes them as parameters.

>>> GROUPS
('radicalisation', 'other safeguarding')
>>> STRATA[0], STRATA[-1]
('harm', 'none')
>>> STEP_DOWN_DAYS, ASSESSMENT_WORKING_DAYS, ASSESSMENT_COMPLETION_WORKING_DAYS
(90, 10, 45)
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from casekit.errors import CasekitError

__all__ = [
    "FIRST_DAY",
    "LAST_DAY",
    "check_day",
    "GROUP_RADICALISATION",
    "GROUP_BAU",
    "GROUPS",
    "STRONG",
    "WEAK",
    "EVIDENCE_STRATA",
    "STRATA",
    "EQUITY_COLUMNS",
    "EQUITY_MISSING",
    "case_types",
    "FLAGS",
    "FLAG_COLUMNS",
    "STATUSES",
    "ESCALATION_RUNG",
    "STATUTORY_RUNG",
    "STEP_DOWN_DAYS",
    "STEP_DOWN_MIN_SCALE",
    "CONCERN_WINDOW_DAYS",
    "LOW_SCALE",
    "CLOSED_RECENTLY_DAYS",
    "STEP_DOWN_COLUMNS",
    "STEP_DOWN_TYPES",
    "ASSESSMENT_WORKING_DAYS",
    "ASSESSMENT_COMPLETION_WORKING_DAYS",
    "OUTCOME_DAYS",
    "SUPERVISED_WITHIN_DAYS",
    "STALE_DAYS",
    "CHRONOLOGY_GAP_DAYS",
    "SEEN_ALONE_DAYS",
    "RE_REFERRAL_MONTHS",
    "MIN_JUDGEMENTS",
    "TREND_DAYS",
    "TREND_CHANGE",
    "bank_holidays",
    "working_days_after",
    "nth_working_day_after",
]

FIRST_DAY = dt.date(1900, 1, 1)
"""The first date casekit works with: no record may be dated before 1900 (the contract)."""
LAST_DAY = dt.date(2199, 12, 31)
"""The last date casekit works with: as-of dates, periods and the day a bundle is checked
stop here, well inside what pandas can hold (to 2262-04-11) with a period's days added."""


def check_day(name: str, day: dt.date) -> None:
    """Refuse a date outside :data:`FIRST_DAY` to :data:`LAST_DAY`, naming where it was given.

    >>> check_day("as_of", dt.date(2025, 3, 31))
    >>> check_day("as_of", dt.date(9999, 12, 31))
    Traceback (most recent call last):
    ...
    casekit.errors.CasekitError: as_of 9999-12-31: casekit works with dates from 1900-01-01 ...
    """
    if not FIRST_DAY <= day <= LAST_DAY:
        raise CasekitError(f"{name} {day.isoformat()}: {DAY_RANGE}")


DAY_RANGE = (
    f"casekit works with dates from {FIRST_DAY} (no record is older) to {LAST_DAY}; "
    "give a date in that range, e.g. 2025-03-31."
)
"""What :func:`check_day` says of a date outside the range."""


GROUP_RADICALISATION = "radicalisation"
GROUP_BAU = "other safeguarding"
GROUPS = (GROUP_RADICALISATION, GROUP_BAU)
STRONG = "behaviour or harm"
WEAK = "belief, views or context only"

EVIDENCE_STRATA: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("harm", ("harm",)),
    ("extremist behaviour", ("extremist_behaviour",)),
    ("influence or grooming", ("influence_grooming",)),
    (
        "vulnerability or context",
        ("vulnerability", "family_context", "community_context", "engagement"),
    ),
    ("belief or views only", ("belief_practice", "views_expressed")),
    ("none", ()),
)
"""The evidence profiles, strongest first, with the event categories that make each.

A referral's profile is the first one any of its events falls in; ``none`` means nothing was
recorded, or only strengths and agency actions (``protective``, ``aspiration``,
``agency_action``)."""

STRATA: tuple[str, ...] = tuple(name for name, _ in EVIDENCE_STRATA)

EQUITY_COLUMNS = ("child_ethnicity", "child_religion", "child_gender")
"""Research: the cases' columns whose groups of children are compared (relative rates)."""
EQUITY_MISSING: dict[str, str] = {
    "child_ethnicity": "unknown",
    "child_religion": "not_recorded",
    "child_gender": "unknown",
}
"""Research: the group a child with no value in an equity column is counted in."""


def case_types(cases: pd.DataFrame, index: str | None = None) -> pd.Series:
    """Say each case's type: :data:`GROUP_RADICALISATION` or :data:`GROUP_BAU`.

    A radicalisation case is one whose ``concern_flags`` include ``radicalisation``; every
    other case is other safeguarding. The result keeps the frame's index, or is indexed by the
    column ``index`` names (e.g. ``case_id``). Research, the review and the published-table
    check all read case type from here.

    >>> cases = pd.DataFrame({"case_id": ["C1", "C2"],
    ...     "concern_flags": [["radicalisation", "neglect"], ["neglect"]]})
    >>> case_types(cases, "case_id").to_dict()
    {'C1': 'radicalisation', 'C2': 'other safeguarding'}
    """
    radical = cases["concern_flags"].map(lambda flags: GROUP_RADICALISATION in flags)
    labels = np.where(radical.astype(bool), GROUP_RADICALISATION, GROUP_BAU)
    at = cases.index if index is None else cases[index].to_numpy()
    return pd.Series(labels, index=at)


# --- the flags: their names, columns and statuses (practice.md) ---------------------------

FLAGS = (
    "escalation_on_belief_or_views",
    "statutory_step_without_concern",
    "escalation_without_evidence",
    "rests_on_restricted_intelligence",
    "family_not_engaged",
    "police_led_statutory_step",
    "step_down_due",
    "step_down_despite_concern",
    "late_assessment",
    "plan_not_linked",
    "sharing_without_basis",
    "shared_despite_refusal",
)
"""Every flag's name, in the order of the practice principles' table (the flags' own
modules, pandas and relational, both read it here, so neither imports the other)."""
FLAG_COLUMNS = ["case_id", "flag", "subject_id", "reason", "date", "status", "team_id"]
"""The columns of the flags' table (:func:`casekit.analysis.proportionality.flags`), in order."""
STATUSES = ("open", "past")
"""A flag is ``open`` while it still calls for action at the as-of date, else ``past``."""

# --- the flags' thresholds (practice.md, "The proportionality flags") -----------------------

ESCALATION_RUNG = "child_in_need"
"""The rung from which raising the response is an escalation that must rest on concern
(``escalation_on_belief_or_views``, ``family_not_engaged``)."""
STATUTORY_RUNG = "section_47"
"""The first statutory rung (``statutory_step_without_concern``)."""
STEP_DOWN_DAYS = 90
"""``step_down_due``: days the rung has stayed at child in need or above (more than this)."""
STEP_DOWN_MIN_SCALE = 7
"""``step_down_due``: every judgement in the stretch, at all three levels, is this or above."""
CONCERN_WINDOW_DAYS = 30
"""``step_down_despite_concern``: a step-down or closure within this many days after a
concern event of medium or high significance."""
LOW_SCALE = 4
"""``step_down_despite_concern``: a step-down or closure while the latest judgement at any
level is this or lower."""
CLOSED_RECENTLY_DAYS = 28
"""``step_down_despite_concern`` stays open for this many days after a closure."""
STEP_DOWN_COLUMNS = ["case_id", "start", "due", "ended", "wait_days", "open"]
"""The columns of the table of step-downs that fell due (pandas and relational alike)."""
STEP_DOWN_TYPES: dict[str, Any] = {
    "case_id": object,
    "start": "datetime64[ns]",
    "due": "datetime64[ns]",
    "ended": "datetime64[ns]",
    "wait_days": "Int64",
    "open": bool,
}
"""The dtypes of those columns, whichever definition (pandas or an engine) made the table."""
ASSESSMENT_WORKING_DAYS = 10
"""``late_assessment``: working days from the referral (``opened``) to the first assessment
activity; the review's "within 10 working days" share."""

# --- process and practice measures (practice.md, "Process context"; the review) -------------

ASSESSMENT_COMPLETION_WORKING_DAYS = 45
"""Working days a social work assessment may take from the referral (Working Together 2023;
practice.md: "assessment (within 45 working days)")."""
OUTCOME_DAYS = 90
"""Research: a referral's outcome is whether it reached child in need or above within this
many days of the referral."""
SUPERVISED_WITHIN_DAYS = 90
"""The review's practice measure: open cases discussed in supervision in this many days."""
STALE_DAYS = 30
"""A chronology not touched for longer than this is out of date (shown, not flagged)."""
CHRONOLOGY_GAP_DAYS = 90
"""A run of more than this many days with no chronology entry is a gap (a chronology must be
current and start before the latest referral: the Care Inspectorate's practice guide)."""
SEEN_ALONE_DAYS = 20
"""Default working days after which a child not seen alone needs attention (the review)."""
RE_REFERRAL_MONTHS = 12
"""A referral within this many months of the closure of the child's previous case is a
re-referral."""
MIN_JUDGEMENTS = 3
"""Judgements a case needs at a level before a team review states a trend: two points always
make a line. (The case timeline still passes 2, its default before this was added.)"""
TREND_DAYS = 90
"""A safety trend is a change in points per this many days."""
TREND_CHANGE = 0.5
"""A safety trend is rising or falling when it changes by more than this many points per
:data:`TREND_DAYS`; otherwise it is stable."""

# --- working days (practice.md: "Working days exclude weekends and the bank holidays of
# England and Wales") ------------------------------------------------------------------------


@cache
def _bank_holidays_in(year: int) -> tuple[dt.date, ...]:
    import holidays

    return tuple(sorted(holidays.country_holidays("GB", subdiv="ENG", years=year)))


def bank_holidays(first_year: int, last_year: int) -> np.ndarray:
    """Return the bank holidays of England and Wales from ``first_year`` to ``last_year``.

    Each year is worked out once per process (the ``holidays`` package is slow to import).

    >>> [str(d) for d in bank_holidays(2025, 2025)[:2]]
    ['2025-01-01', '2025-04-18']
    """
    days = [d for y in range(first_year, last_year + 1) for d in _bank_holidays_in(y)]
    return np.array(days, dtype="datetime64[D]")


def working_days_after(start: pd.Series, end: pd.Series) -> pd.Series:
    """Count the working days after ``start`` up to and including ``end``.

    Weekends and the bank holidays of England and Wales are not working days. The count is
    missing where either date is missing.

    >>> s = pd.Series(pd.to_datetime(["2024-12-20"]))
    >>> working_days_after(s, pd.Series(pd.to_datetime(["2025-01-03"]))).tolist()
    [7]
    """
    ok = start.notna() & end.notna()
    out = pd.Series(pd.NA, index=start.index, dtype="Int64")
    if not ok.any():
        return out
    a = start[ok].to_numpy().astype("datetime64[D]") + 1
    b = end[ok].to_numpy().astype("datetime64[D]") + 1
    years = pd.DatetimeIndex(np.concatenate([a, b])).year
    hol = bank_holidays(int(years.min()) - 1, int(years.max()) + 1)
    out[ok] = np.busday_count(a, b, holidays=hol)
    return out


def nth_working_day_after(start: pd.Series, n: int) -> pd.Series:
    """Return the ``n``-th working day after each date (England and Wales bank holidays).

    >>> s = pd.Series(pd.to_datetime(["2024-12-20"]))
    >>> nth_working_day_after(s, 11).dt.strftime("%Y-%m-%d").tolist()
    ['2025-01-09']
    """
    out = pd.Series(pd.NaT, index=start.index, dtype="datetime64[ns]")
    ok = start.notna()
    if not ok.any():
        return out
    a = start[ok].to_numpy().astype("datetime64[D]") + 1
    years = pd.DatetimeIndex(a).year
    hol = bank_holidays(int(years.min()) - 1, int(years.max()) + 1 + n // 200)
    out[ok] = np.busday_offset(a, n - 1, roll="forward", holidays=hol).astype("datetime64[ns]")
    return out
