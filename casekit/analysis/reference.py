"""Published Prevent figures that casekit calibrates against and compares with.

The Home Office releases "Individuals referred to and supported through the Prevent
programme" (official statistics in development), as shipped in
``casekit/data/prevent_statistics.csv``. Shares are percentages of all referrals unless the
``source`` column says otherwise; figures are revised between releases (treat as ±1 point).

>>> stats = prevent_statistics()
>>> int(stats.query("year_ending == '2024-03' and measure == 'referrals'")["count"].iloc[0])
6922
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["prevent_statistics", "published_share"]


def prevent_statistics() -> pd.DataFrame:
    """Return the published figures: year_ending, measure, group, count, share_percent, source."""
    with resources.files("casekit.data").joinpath("prevent_statistics.csv").open("rb") as fh:
        return pd.read_csv(fh, dtype={"year_ending": str, "measure": str, "group": str})


def published_share(measure: str, group: str, year_ending: str = "2024-03") -> float:
    """Return one published share in per cent, e.g. ``published_share("ideology", "islamist")``.

    >>> published_share("referral_source", "education")
    40.0
    """
    stats = prevent_statistics()
    row = stats[
        (stats["year_ending"] == year_ending)
        & (stats["measure"] == measure)
        & (stats["group"] == group)
    ]
    if row.empty:
        raise KeyError(f"no published share for {measure}={group} in the year to {year_ending}")
    return float(row["share_percent"].iloc[0])
