"""Research counted where the data is: a bundle, a team's store or a Parquet dataset, by name.

The research notebook's ``engine`` parameter comes here: :func:`outcome_counts` opens the
engine, gives it the data (a store's tables in PostgreSQL, a dataset scanned in place, else
the validated bundle sent to the engine) and counts the referrals there
(:func:`casekit.analysis.research.engine_outcome_counts`), so no case row leaves the engine.
:func:`study` makes everything the notebook shows in one opening of the engine: the
referral counts, the step-down waits and the published table (or, with ``pandas``, the same
from the bundle loaded in memory).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from casekit.analysis import research
from casekit.analysis.relational.run import engine_name, in_place, open_engine, reading
from casekit.analysis.research import OutcomeCounts, engine_outcome_counts
from casekit.policy import OUTCOME_DAYS

__all__ = ["Study", "check_engine", "outcome_counts", "study"]


def check_engine(engine: str) -> str:
    """Give ``engine`` checked (empty or ``pandas``: none), or refuse an unknown one clearly."""
    text = str(engine).strip()
    if not text or text.lower() == "pandas":
        return ""
    engine_name(text)
    return text


def outcome_counts(
    data: str | Path,
    engine: str,
    days: int = OUTCOME_DAYS,
    as_of: object = None,
    start: object = None,
    end: object = None,
) -> OutcomeCounts:
    """Count the referrals of ``data`` (a path or a store's URL) on ``engine``, by name.

    ``postgres`` counts inside the store ``data`` names (through your own login); a Parquet
    dataset (``<table>/part-*.parquet``) is scanned in place; any other bundle is read and
    validated first, then sent to the engine.
    """
    source: str | Path = data if "://" in str(data) else Path(data)
    in_place(engine, source)  # refuses postgres on a path before anything is read
    with open_engine(engine, source) as opened, reading(opened, source) as tables:
        return engine_outcome_counts(tables, opened, days, as_of, start, end)


@dataclass(frozen=True)
class Study:
    """What the research notebook shows, made on one engine (or in memory with pandas)."""

    outcomes: OutcomeCounts | pd.DataFrame
    """The referrals' counts (an engine) or rows (pandas): either gives the same tables."""
    waits: pd.DataFrame
    """:func:`casekit.analysis.research.step_down_waits`' table."""
    published: pd.DataFrame
    """:func:`casekit.analysis.research.published_table`: shares beside the published ones."""


def study(
    data: str | Path,
    engine: str,
    days: int = OUTCOME_DAYS,
    as_of: str | dt.date | pd.Timestamp | None = None,
    start: object = None,
    end: object = None,
    suppress: bool = True,
) -> Study:
    """Make the research notebook's counts, waits and published table from ``data``.

    ``engine`` as :func:`check_engine` gives it: a name counts on that engine, opened once,
    so no case row leaves it; empty (``pandas``) loads the bundle into memory instead.
    """
    engine = check_engine(engine)
    if not engine:
        import casekit

        cb = casekit.load(data)
        return Study(
            outcomes=research.referral_outcomes(cb, days=days, as_of=as_of, start=start, end=end),
            waits=research.step_down_waits(
                cb, as_of=as_of, suppress=suppress, start=start, end=end
            ),
            published=research.published_table(
                cb, suppress=suppress, start=start, end=end, as_of=as_of
            ),
        )
    source: str | Path = data if "://" in str(data) else Path(data)
    in_place(engine, source)
    with open_engine(engine, source) as opened, reading(opened, source) as tables:
        return Study(
            outcomes=engine_outcome_counts(tables, opened, days, as_of, start, end),
            waits=research.engine_step_down_waits(
                tables, opened, as_of, suppress, start=start, end=end
            ),
            published=research.engine_published_table(
                tables, opened, suppress=suppress, start=start, end=end, as_of=as_of
            ),
        )
