"""Read dates as agencies write them: UK day-first, ISO, month or year, and Excel serials.

This is the one date reader: agency merges, Annex A, extracts and the identifier scans use it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

__all__ = ["EXCEL_EPOCH", "excel_day", "parse_agency_date"]

_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}


EXCEL_EPOCH = dt.date(1899, 12, 30)
"""Day 0 of Excel's serial dates (it counts 1900 as a leap year, so day 60 is skipped)."""


def excel_day(serial: float) -> dt.date:
    """Turn an Excel serial date number into the day it stands for.

    >>> excel_day(40148), excel_day(45292.75)
    (datetime.date(2009, 12, 1), datetime.date(2024, 1, 1))
    """
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


@functools.lru_cache(maxsize=65536)  # agency files repeat the same dates many times
def parse_agency_date(text: str) -> tuple[dt.date, str, bool] | None:
    """Read a date as agencies write it: return (date, precision, uncertain), or None.

    UK day-first (``05/02/2024`` is 5 February), ISO, ``5 Feb 2024``, a month (``03/2024``,
    ``March 2024``) or a year (``2024``). A leading ``?`` marks an uncertain date.

    >>> parse_agency_date("05/02/2024")
    (datetime.date(2024, 2, 5), 'day', False)
    >>> parse_agency_date("?03/2024")
    (datetime.date(2024, 3, 1), 'month', True)
    >>> parse_agency_date("2023")
    (datetime.date(2023, 1, 1), 'year', False)
    """
    value = str(text).strip()
    uncertain = value.startswith("?") or value.lower().startswith(("c.", "circa", "approx"))
    value = re.sub(r"^(\?|c\.|circa|approx\.?)\s*", "", value, flags=re.I).strip()
    value = re.sub(r"[T ]\d{1,2}:\d{2}(:\d{2})?.*$", "", value)  # a time of day is not needed
    try:
        m = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})", value)
        if m:
            day, month, year = int(m[1]), int(m[2]), int(m[3])
            year += (
                2000
                if year < 100 and year <= dt.date.today().year % 100
                else (1900 if year < 100 else 0)
            )
            return dt.date(year, month, day), "day", uncertain
        m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
        if m:
            return dt.date(int(m[1]), int(m[2]), int(m[3])), "day", uncertain
        m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})", value)
        if m and m[2][:3].lower() in _MONTHS:
            return dt.date(int(m[3]), _MONTHS[m[2][:3].lower()], int(m[1])), "day", uncertain
        m = re.fullmatch(r"(\d{1,2})[/.\-](\d{4})|(\d{4})-(\d{1,2})", value)
        if m:
            month, year = (int(m[1]), int(m[2])) if m[1] else (int(m[4]), int(m[3]))
            return dt.date(year, month, 1), "month", uncertain
        m = re.fullmatch(r"([A-Za-z]+)\.?,?\s+(\d{4})", value)
        if m and m[1][:3].lower() in _MONTHS:
            return dt.date(int(m[2]), _MONTHS[m[1][:3].lower()], 1), "month", uncertain
        if re.fullmatch(r"\d{4}", value):
            return dt.date(int(value), 1, 1), "year", uncertain
    except ValueError:
        return None
    return None
