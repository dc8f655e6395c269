"""Check a bundle and summarise it: the logic behind ``notebooks/bundle_check.ipynb``.

>>> result = check("no/such/folder")
>>> result.valid, result.problems.loc[0, "problem"].startswith("no/such/folder: no such file")
(False, True)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from casekit.bundle.casebook import Casebook
from casekit.bundle.damage import Damage, damage_by_table
from casekit.contract import TABLES
from casekit.errors import BundleInvalid, CasekitError, Problem
from casekit.store.load import load

__all__ = ["CheckResult", "check", "problems_frame", "table_sizes", "parse_date"]

PROBLEM_COLUMNS = ["severity", "file", "sheet", "row", "column", "value", "problem", "hint"]


def parse_date(name: str, value: str | dt.date | None) -> dt.date | None:
    """Read a date parameter ("" or None for none), or raise a message naming the parameter.

    >>> parse_date("today", "2025-03-31")
    datetime.date(2025, 3, 31)
    >>> parse_date("today", "31/03/2025")
    Traceback (most recent call last):
    ...
    casekit.errors.CasekitError: parameter today: '31/03/2025' is not a date; write YYYY-MM-DD
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise CasekitError(f"parameter {name}: {value!r} is not a date; write YYYY-MM-DD") from None


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """Lay problems out as a table, one row each, errors first."""
    rows = [
        {
            "severity": p.severity,
            "file": p.source,
            "sheet": p.sheet or "",
            "row": p.row,
            "column": p.column or "",
            "value": p.value,
            "problem": p.expected,
            "hint": p.hint,
        }
        for p in problems
    ]
    frame = pd.DataFrame(rows, columns=PROBLEM_COLUMNS)
    frame["row"] = frame["row"].astype("Int64")
    return frame


def table_sizes(casebook: Casebook) -> pd.DataFrame:
    """Count each table's rows and give the span of its main date column."""
    rows = []
    for name, frame in casebook.tables.items():
        dates = [c.name for c in TABLES[name].of_kind("date")]
        first = last = None
        if dates and len(frame):
            first, last = frame[dates[0]].min(), frame[dates[0]].max()
        rows.append({"table": name, "rows": len(frame), "from": first, "to": last})
    return pd.DataFrame(rows).set_index("table")


@dataclass
class CheckResult:
    """What checking a bundle found: the casebook (when valid) and every problem."""

    path: str
    casebook: Casebook | None
    problems: pd.DataFrame
    damage: list[Damage] = field(default_factory=list)
    """Each file with errors: how many of its records break a rule, and which rules."""

    @property
    def valid(self) -> bool:
        """Say whether the bundle passed every rule."""
        return self.casebook is not None

    def summary(self) -> str:
        """Say in one line whether the bundle is valid, and how big it is."""
        if self.casebook is None:
            errors = int((self.problems["severity"] == "error").sum())
            records = sum(d.records for d in self.damage)
            where = "; ".join(str(d) for d in self.damage)
            return f"{self.path}: not valid — {errors} problem(s) to fix, listed below" + (
                f", in {records:,} record(s): {where}." if where else "."
            )
        sizes = ", ".join(f"{len(f)} {t}" for t, f in self.casebook.tables.items() if len(f))
        return f"{self.path}: valid case bundle ({sizes})."


def check(path: str | Path, today: str | dt.date | None = None) -> CheckResult:
    """Load and validate a bundle; never raise for a user's mistake, report it instead."""
    try:
        casebook = load(path, today=parse_date("today", today))
    except BundleInvalid as exc:
        return CheckResult(
            str(path), None, problems_frame(exc.problems), damage_by_table(exc.problems)
        )
    except CasekitError as exc:
        problem = Problem(str(path), None, None, None, str(exc))
        return CheckResult(str(path), None, problems_frame([problem]))
    return CheckResult(str(path), casebook, problems_frame(casebook.notes))
