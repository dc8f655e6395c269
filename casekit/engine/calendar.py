"""The working-day calendar: every day in a span, numbered by the working days up to it.

Working days are Monday to Friday less the bank holidays of England and Wales
(:func:`casekit.policy.bank_holidays`). The calendar is a small table (one row a day: 3,653 rows
for ten years, 46,000 for every day since 1900) that every engine joins alike, so working-day
arithmetic is relational: with ``n`` the working days from the calendar's first day up to and
including a day,

- the working days after ``a`` up to and including ``b`` are ``n(b) - n(a)``;
- the ``k``-th working day after ``a`` is the working day whose ``n`` is ``n(a) + k``.

Both are equality joins on ``day`` and ``n``, with no Python function. The calendar is made in
the engine (:func:`working_calendar`: a range of day numbers, the bank holidays as date
literals, a running count), never uploaded: a person's login to a guarded PostgreSQL store may
not create the temporary table an uploaded table needs. :func:`calendar_rows` gives the same
rows in Python (the reference the tests compare with).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from casekit.policy import bank_holidays

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["CALENDAR_SCHEMA", "FIRST_DAY", "calendar_rows", "working_calendar"]

FIRST_DAY = dt.date(1900, 1, 1)
"""The earliest day a calendar need start: validation refuses every date before 1900."""
CALENDAR_SCHEMA = pa.schema([("day", pa.date32()), ("working", pa.bool_()), ("n", pa.int64())])
"""The calendar's columns: the day, whether it is a working day, working days up to it."""


@lru_cache(maxsize=32)
def calendar_rows(first: dt.date, last: dt.date) -> pa.Table:
    """Give the calendar from ``first`` to ``last`` (both included) as an Arrow table.

    ``n`` counts the working days from ``first`` up to and including each day. A span that
    ends before it starts gives no rows.

    >>> rows = calendar_rows(dt.date(2024, 12, 24), dt.date(2024, 12, 27)).to_pydict()
    >>> rows["working"], rows["n"]
    ([True, False, False, True], [1, 1, 1, 2])
    """
    if last < first:
        return CALENDAR_SCHEMA.empty_table()
    days = np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1)
    working = np.is_busday(days, holidays=bank_holidays(first.year, last.year))
    return pa.Table.from_arrays(
        [pa.array(days, pa.date32()), pa.array(working), pa.array(np.cumsum(working), pa.int64())],
        schema=CALENDAR_SCHEMA,
    )


def working_calendar(anchor: ir.Table, first: dt.date, last: dt.date) -> ir.Table:
    """Give the calendar from ``first`` to ``last`` as an Ibis table made in the engine.

    Columns: ``day`` (date), ``working`` (bool), ``n`` (int64; see :func:`calendar_rows`).
    ``anchor`` is any table of the engine (its rows are only counted, to give one row the
    range of days hangs on).
    """
    import ibis

    first = max(first, FIRST_DAY)
    one = anchor.aggregate(_rows=anchor.count())  # exactly one row, even from no rows
    days = one.select(_k=ibis.range(0, max((last - first).days + 1, 0))).unnest("_k")
    days = days.select(
        day=(ibis.literal(first, type="date") + days._k.as_interval("D")).cast("date")
    )
    holidays = [ibis.literal(d, type="date") for d in _holidays(first, last)]
    weekday = days.day.day_of_week.index() < 5
    days = days.mutate(working=(weekday & ~days.day.isin(holidays)) if holidays else weekday)
    upto = ibis.window(order_by=days.day, rows=(None, 0))
    return days.mutate(n=ibis.ifelse(days.working, 1, 0).sum().over(upto).cast("int64"))


def _holidays(first: dt.date, last: dt.date) -> list[dt.date]:
    """List the bank holidays from ``first`` to ``last`` (none if the span is empty)."""
    if last < first:
        return []
    days = bank_holidays(first.year, last.year).astype(dt.date)
    return [d for d in days if first <= d <= last]
