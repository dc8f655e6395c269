"""The words and limits of the contract's integrity rules, shared by every checker.

A bundle read into pandas (:mod:`casekit.bundle.validation`) and a Parquet dataset checked by
DuckDB (:mod:`casekit.bundle.dataset`) apply the same rules, so they say the same thing about
the same mistake: the texts, the patterns and the cross-column rules live here, once.

>>> number_expected(TABLES["judgements"].column("safety_scale"))
'expected a whole number from 0 to 10'
>>> [rule.column for rule in DATE_ORDERS]
['closed', 'recorded_on']
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from casekit.contract import LIST_SEPARATOR, TABLES, Column

__all__ = [
    "REQUIRED_EMPTY",
    "DUPLICATE_ID",
    "DATE_EXPECTED",
    "EARLIEST_YEAR",
    "BEFORE_EARLIEST",
    "BEFORE_EARLIEST_HINT",
    "MONTH_EXPECTED",
    "MONTH_PATTERN",
    "FULL_DATE_PATTERN",
    "FULL_DATE_HINT",
    "DateOrder",
    "DATE_ORDERS",
    "OnlyWithFlag",
    "ONLY_WITH_FLAG",
    "future_expected",
    "vocab_expected",
    "number_expected",
    "number_bounds",
    "duplicate_hint",
    "missing_reference",
    "other_case",
    "absent_table",
]

REQUIRED_EMPTY = "is empty; this column is required"
DUPLICATE_ID = "is a duplicate id"
DATE_EXPECTED = "expected a date as YYYY-MM-DD"
EARLIEST_YEAR = "1900"
"""Dates before this year are typos (``0204`` for ``2024``)."""
BEFORE_EARLIEST = f"is before {EARLIEST_YEAR}"
BEFORE_EARLIEST_HINT = "check the year"
MONTH_EXPECTED = "expected a month as YYYY-MM"
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
FULL_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}"
FULL_DATE_HINT = "a full date of birth must never be recorded: keep only YYYY-MM"


@dataclass(frozen=True)
class DateOrder:
    """A date that may not come before another date of the same row."""

    table: str
    column: str
    earlier: str
    expected: str
    hint: str
    defaults_to_earlier: bool = False
    """An empty ``column`` means ``earlier`` (``recorded_on`` defaults to the event's date)."""


DATE_ORDERS: tuple[DateOrder, ...] = (
    DateOrder(
        "cases",
        "closed",
        "opened",
        "is before the case was opened",
        "closed must be on or after opened",
    ),
    DateOrder(
        "events",
        "recorded_on",
        "date",
        "is before the event's date",
        "recorded_on must be on or after date",
        defaults_to_earlier=True,
    ),
)


@dataclass(frozen=True)
class OnlyWithFlag:
    """A column that may be filled only when a list column of the row holds one value."""

    table: str
    column: str
    flags: str
    flag: str
    expected: str
    hint: str


ONLY_WITH_FLAG = OnlyWithFlag(
    "cases",
    "ideology",
    "concern_flags",
    "radicalisation",
    "is only for radicalisation cases",
    "add radicalisation to concern_flags, or leave ideology empty",
)


def future_expected(today: dt.date) -> str:
    """Say that a date or month is after ``today``."""
    return f"is in the future (today is {today.isoformat()})"


def vocab_expected(col: Column) -> str:
    """List a vocabulary column's values (and, for a list column, its separator)."""
    listed = "expected one of: " + ", ".join(col.vocabulary)
    return listed + (f" (separated by '{LIST_SEPARATOR}')" if col.kind == "vocabs" else "")


def number_bounds(col: Column) -> tuple[float, float, bool] | None:
    """Return a number column's least and greatest value and whether the least is excluded."""
    if col.minimum is None or col.maximum is None:
        return None
    return col.minimum, col.maximum, col.minimum_exclusive


def number_expected(col: Column) -> str:
    """Say what a number column holds: a whole number or a number, and its range."""
    what = "a whole number" if col.kind == "int" else "a number"
    bounds = number_bounds(col)
    if bounds is not None:
        low, high, exclusive = bounds
        above = "above" if exclusive else "from"
        upto = "up to" if exclusive else "to"
        what += f" {above} {low:g} {upto} {high:g}"
    return f"expected {what}"


def duplicate_hint(id_column: str, first: str) -> str:
    """Say where a duplicated id is first used (``first`` is, e.g., ``row 4``)."""
    return f"{id_column} must be unique; it is first used at {first}"


def _a(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


def missing_reference(target: str) -> tuple[str, str]:
    """Say that a reference names no record of ``target``, and how to fix it."""
    return (
        f"refers to {_a(TABLES[target].singular)} that does not exist",
        f"check the id against {target}",
    )


def other_case(target: str) -> tuple[str, str]:
    """Say that cited evidence belongs to another case, and how to fix it."""
    return (
        f"cites {_a(TABLES[target].singular)} from another case",
        "evidence must come from the same case's records",
    )


def absent_table(target: str) -> tuple[str, str]:
    """Say that references to an absent table were not checked, and how to fix it."""
    return (
        f"refers to {target}, but the bundle has no {target} table, so these references "
        "were not checked",
        f"add {target} to the bundle",
    )
