"""Chronology views and analysis: pure functions over a case's events.

A chronology is a working tool, not the assessment: it must be succinct, current and regularly
analysed. These functions give the views a practitioner needs (as known at a date, filtered) and
the analysis the practice guides ask for: entries per quarter by category, belief and views set
against behaviour and harm, strengths beside worries, long gaps, and entries missing their
significance or impact.

>>> import casekit
>>> cb = casekit.load("data/synthetic")
>>> events = case_events(cb, "C00001")
>>> len(as_known_at(events, "2021-04-01")) < len(events)
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from casekit.bundle.casebook import Casebook
from casekit.contract import (
    BELIEF_CATEGORIES,
    CONCERN_CATEGORIES,
    SIGNIFICANCE,
    STRENGTH_CATEGORIES,
    TABLES,
)
from casekit.errors import CasekitError, did_you_mean
from casekit.policy import CHRONOLOGY_GAP_DAYS

__all__ = [
    "WORRY_CATEGORIES",
    "Analysis",
    "case_events",
    "as_known_at",
    "filter_events",
    "per_quarter",
    "analyse",
]

WORRY_CATEGORIES = (*CONCERN_CATEGORIES, "vulnerability")
"""Worries set beside strengths: concerns in themselves, and vulnerability."""
BEHAVIOUR_HARM = ("extremist_behaviour", "harm")


def _date(value: str | dt.date | pd.Timestamp | None, name: str) -> pd.Timestamp | None:
    if value is None or value == "":
        return None
    try:
        return pd.Timestamp(value)
    except (ValueError, TypeError):
        raise CasekitError(f"{name}: {value!r} is not a date; write YYYY-MM-DD.") from None


def case_events(casebook: Casebook, case_id: str) -> pd.DataFrame:
    """Return one case's chronology, sorted by date (then by when it was recorded)."""
    cases = casebook.cases["case_id"].astype(str)
    if case_id not in set(cases):
        hint = did_you_mean(case_id, cases.tolist()[:5000])
        raise CasekitError(
            f"there is no case {case_id!r} in {casebook.source}"
            + (f" ({hint})" if hint else "")
            + "."
        )
    events = casebook.events[casebook.events["case_id"] == case_id]
    return events.sort_values(["date", "recorded_on", "event_id"], kind="stable").reset_index(
        drop=True
    )


def as_known_at(events: pd.DataFrame, when: str | dt.date | pd.Timestamp | None) -> pd.DataFrame:
    """Keep only what had reached the record (``recorded_on``) by the end of ``when``.

    >>> ev = pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2024-01-02"]),
    ...                    "recorded_on": pd.to_datetime(["2024-01-01", "2024-03-01"])})
    >>> len(as_known_at(ev, "2024-02-01"))
    1
    """
    cut = _date(when, "as known at")
    if cut is None:
        return events
    recorded = events["recorded_on"].fillna(events["date"])
    return events[recorded <= cut]


def _listed(values: Iterable[str] | str | None, column: str) -> list[str] | None:
    if values is None:
        return None
    values = [values] if isinstance(values, str) else list(values)
    vocabulary = TABLES["events"].column(column).vocabulary
    for v in values:
        if v not in vocabulary:
            hint = did_you_mean(v, vocabulary)
            raise CasekitError(
                f"{column} filter: {v!r} is not one of {', '.join(vocabulary)}"
                + (f" ({hint})" if hint else "")
                + "."
            )
    return values


def filter_events(
    events: pd.DataFrame,
    *,
    min_significance: str | None = None,
    categories: Iterable[str] | str | None = None,
    levels: Iterable[str] | str | None = None,
    agencies: Iterable[str] | str | None = None,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
) -> pd.DataFrame:
    """Filter a chronology; every argument left as None keeps everything.

    ``min_significance`` keeps entries at or above that significance (entries with none
    recorded are dropped by it). ``start`` and ``end`` are inclusive.
    """
    keep = pd.Series(True, index=events.index)
    if min_significance is not None:
        if min_significance not in SIGNIFICANCE:
            raise CasekitError(
                f"minimum significance {min_significance!r}: expected one of "
                f"{', '.join(SIGNIFICANCE)}."
            )
        rank = {s: i for i, s in enumerate(SIGNIFICANCE)}
        keep &= events["significance"].astype(str).map(rank).fillna(-1) >= rank[min_significance]
    for column, chosen in (
        ("category", categories),
        ("level", levels),
        ("source_agency", agencies),
    ):
        values = _listed(chosen, column)
        if values is not None:
            keep &= events[column].astype(str).isin(values)
    first, last = _date(start, "start"), _date(end, "end")
    if first is not None:
        keep &= events["date"] >= first
    if last is not None:
        keep &= events["date"] <= last
    return events[keep]


@dataclass
class Analysis:
    """The analysis of a chronology, as tables a practitioner or supervisor reads."""

    per_quarter: pd.DataFrame
    """Entries per quarter (rows) by category (columns)."""
    balance: pd.DataFrame
    """Per quarter: belief and views entries beside behaviour and harm entries."""
    strengths_worries: pd.DataFrame
    """Per quarter: strengths (protective, aspiration) beside worries."""
    gaps: pd.DataFrame
    """Periods longer than the gap threshold with no entries: start, end, days."""
    missing: pd.DataFrame
    """Entries missing significance or impact, with what is missing."""
    uncategorised: pd.DataFrame
    """Entries not yet read through the lens."""

    def headline(self) -> list[str]:
        """Say in a few plain sentences what the analysis found."""
        lines = []
        belief = int(self.balance["belief_views"].sum())
        behaviour = int(self.balance["behaviour_harm"].sum())
        lines.append(
            f"{belief} entries about belief or views; {behaviour} about behaviour or "
            "harm."
            + (" Belief and views are not a concern in themselves." if belief > behaviour else "")
        )
        strengths = int(self.strengths_worries["strengths"].sum())
        worries = int(self.strengths_worries["worries"].sum())
        lines.append(
            f"{strengths} strengths recorded beside {worries} worries."
            + (
                " Only worries are recorded: look for strengths too."
                if worries and not strengths
                else ""
            )
        )
        if len(self.gaps):
            longest = self.gaps["days"].max()
            lines.append(f"{len(self.gaps)} gap(s) with no entries; the longest is {longest} days.")
        if len(self.missing):
            lines.append(f"{len(self.missing)} entries miss their significance or impact.")
        if len(self.uncategorised):
            lines.append(f"{len(self.uncategorised)} entries still need a category.")
        return lines


def per_quarter(events: pd.DataFrame, groups: dict[str, tuple[str, ...]]) -> pd.DataFrame:
    """Count entries per quarter in each named group of categories (one column per group)."""
    quarter = events["date"].dt.to_period("Q")
    category = events["category"].astype(str)
    out = pd.DataFrame(
        {
            name: category.isin(cats).groupby(quarter).sum().astype(int)
            for name, cats in groups.items()
        }
    )
    out.index.name = "quarter"
    return out


def analyse(
    events: pd.DataFrame,
    gap_days: int = CHRONOLOGY_GAP_DAYS,
    until: str | dt.date | pd.Timestamp | None = None,
) -> Analysis:
    """Analyse a chronology: counts per quarter, balances, gaps and missing fields.

    A gap is a run of more than ``gap_days`` with no entry, between entries or from the last
    entry to ``until`` (for an open case, pass the as-of date).
    """
    events = events.sort_values("date")
    quarter = events["date"].dt.to_period("Q").rename("quarter")
    by_category = pd.crosstab(quarter, events["category"].astype(str))
    balance = per_quarter(
        events, {"belief_views": BELIEF_CATEGORIES, "behaviour_harm": BEHAVIOUR_HARM}
    )
    strengths = per_quarter(events, {"strengths": STRENGTH_CATEGORIES, "worries": WORRY_CATEGORIES})
    dates = list(events["date"].drop_duplicates())
    stop = _date(until, "until")
    if stop is not None and (not dates or stop > dates[-1]):
        dates.append(stop)
    rows = [
        {"start": a, "end": b, "days": (b - a).days}
        for a, b in zip(dates, dates[1:], strict=False)
        if (b - a).days > gap_days
    ]
    gaps = pd.DataFrame(rows, columns=["start", "end", "days"])
    lacking = events["significance"].isna() | events["impact"].isna()
    missing = events.loc[lacking, ["event_id", "date", "source_agency", "summary"]].copy()
    missing["missing"] = [
        ", ".join(name for name, gone in (("significance", s), ("impact", i)) if gone)
        for s, i in zip(
            events.loc[lacking, "significance"].isna(),
            events.loc[lacking, "impact"].isna(),
            strict=True,
        )
    ]
    uncategorised = events.loc[
        events["category"].astype(str) == "uncategorised",
        ["event_id", "date", "source_agency", "summary"],
    ]
    return Analysis(
        by_category,
        balance,
        strengths,
        gaps,
        missing.reset_index(drop=True),
        uncategorised.reset_index(drop=True),
    )
