"""Safety trends: whether each case's scaled judgement is rising, falling or stable.

One vectorised least-squares fit per case and level, so a case's timeline and a team review
(which asks it of every open case at once) fit the same line, and both state a trend only from
:data:`MIN_JUDGEMENTS` judgements.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from casekit.errors import CasekitError
from casekit.policy import MIN_JUDGEMENTS, TREND_CHANGE, TREND_DAYS

__all__ = ["TREND_COLUMNS", "CHANGE_COLUMN", "MIN_JUDGEMENTS", "TOO_FEW", "safety_trends"]

CHANGE_COLUMN = f"change_per_{TREND_DAYS}_days"
"""The column of the fitted change: points per :data:`casekit.policy.TREND_DAYS` days."""
TREND_COLUMNS = ["case_id", "level", "judgements", "first", "last", CHANGE_COLUMN, "trend"]
TOO_FEW = "too few judgements"
"""The trend of a case and level with fewer than ``min_judgements`` judgements."""


def safety_trends(
    judgements: pd.DataFrame,
    threshold: float = TREND_CHANGE,
    min_judgements: int = MIN_JUDGEMENTS,
) -> pd.DataFrame:
    """Fit each case's safety scale per level against time; say whether it rises or falls.

    The change is the least-squares slope in points per 90 days. It is ``rising`` or
    ``falling`` beyond ``threshold``, else ``stable``. With fewer than ``min_judgements``
    judgements it is :data:`TOO_FEW` (change 0); with enough but all on one day, ``not yet
    known`` (change 0). ``first`` and ``last`` are the earliest and latest judgements.

    >>> j = pd.DataFrame({"case_id": ["C1"] * 3, "level": ["child"] * 3,
    ...     "date": pd.to_datetime(["2024-01-01", "2024-03-31", "2024-06-29"]),
    ...     "safety_scale": [3, 5, 7]})
    >>> safety_trends(j)[["first", "last", "change_per_90_days", "trend"]].values.tolist()
    [[3.0, 7.0, 2.0, 'rising']]
    """
    if judgements.empty:
        return pd.DataFrame(columns=TREND_COLUMNS)
    j = judgements[["case_id", "level", "date", "safety_scale"]].copy()
    j["level"] = j["level"].astype(str)
    j = j.sort_values(["case_id", "level", "date"], kind="stable")
    keys = [j["case_id"], j["level"]]
    start = j.groupby(keys, sort=False)["date"].transform("min")
    j["x"] = (j["date"] - start).dt.days.astype(float)
    j["y"] = j["safety_scale"].astype(float)
    j["xy"], j["xx"] = j["x"] * j["y"], j["x"] * j["x"]
    g = j.groupby(["case_id", "level"], sort=False)
    s = g.agg(
        judgements=("y", "size"),
        first=("y", "first"),
        last=("y", "last"),
        days=("date", "nunique"),
        sx=("x", "sum"),
        sy=("y", "sum"),
        sxy=("xy", "sum"),
        sxx=("xx", "sum"),
    )
    n = s["judgements"].astype(float)
    spread = n * s["sxx"] - s["sx"] ** 2
    if isinstance(min_judgements, bool) or not isinstance(min_judgements, int | np.integer):
        raise CasekitError(f"min_judgements={min_judgements!r}: give a whole number, e.g. 3.")
    few = s["judgements"] < max(2, int(min_judgements))
    known = ~few & (s["days"] >= 2) & (spread > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = (n * s["sxy"] - s["sx"] * s["sy"]) / spread * TREND_DAYS
    s[CHANGE_COLUMN] = slope.where(known, 0.0).round(2)
    s["trend"] = np.select(
        [few, ~known, slope > threshold, slope < -threshold],
        [TOO_FEW, "not yet known", "rising", "falling"],
        "stable",
    )
    return s.reset_index()[TREND_COLUMNS]
