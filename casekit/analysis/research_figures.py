"""Figures for the proportionality research notebook: analysis tables in, Figures out.

Each returns a matplotlib ``Figure`` and never calls ``plt.show()``. Withheld (suppressed)
rates and ratios are not drawn; the row says so in words instead. Colours are Okabe-Ito, safe
for colour-blind readers, and every series also has its own marker shape, so colour is never
the only signal. The notebook prints a text summary beside each figure (``describe_*`` in
:mod:`casekit.analysis.research`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from casekit.policy import GROUP_BAU, GROUP_RADICALISATION, GROUPS, OUTCOME_DAYS

__all__ = ["strata_figure", "relative_rate_figure"]

_STYLE = {
    GROUP_RADICALISATION: {"color": "#D55E00", "marker": "o"},
    GROUP_BAU: {"color": "#0072B2", "marker": "s"},
}

_TICKS = (0.0625, 0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


def strata_figure(table: pd.DataFrame, days: int = OUTCOME_DAYS) -> Figure:
    """Draw escalation rates per evidence profile: a marker per group with its Wilson interval.

    ``table`` is :func:`casekit.analysis.research.compare_strata`'s. Strongest evidence at the top.
    """
    strata = list(table.index)
    fig = Figure(figsize=(8, 0.9 + 0.55 * len(strata)), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(strata))[::-1].astype(float)
    for offset, group in zip((0.15, -0.15), GROUPS, strict=True):
        part = table[group]
        shown = part["rate"].notna().to_numpy()
        rate = part["rate"].to_numpy(float) * 100
        low, high = part["low"].to_numpy(float) * 100, part["high"].to_numpy(float) * 100
        style = _STYLE[group]
        ax.errorbar(
            rate[shown],
            y[shown] + offset,
            xerr=[rate[shown] - low[shown], high[shown] - rate[shown]],
            fmt=style["marker"],
            color=style["color"],
            ecolor=style["color"],
            capsize=3,
            label=group,
        )
        for i in np.flatnonzero(~shown):
            n = part["n"].iloc[i]
            words = "no referrals" if n == 0 else "withheld (small numbers)"
            ax.text(1, y[i] + offset, f"{group}: {words}", va="center", fontsize=7, color="#333")
    ax.set_yticks(y, strata)
    ax.set_ylim(-0.6, len(strata) - 0.4)
    ax.set_xlim(0, 101)
    ax.set_xlabel(f"reached child in need or above within {days} days (%)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.set_title("Escalation within each evidence profile, with 95% intervals", fontsize=10)
    return fig


def relative_rate_figure(table: pd.DataFrame, by: str, reference: str) -> Figure:
    """Draw each group's relative rate index with its Katz interval, on a log scale.

    ``table`` is :func:`casekit.analysis.research.relative_rates`'s. A dashed line marks 1 (the
    reference group's rate). A ratio without an interval is a bare marker; rows without a
    ratio are counted in the title (the table and the summary say why).
    """
    rows = table[table["rri"].notna() & (table["note"] != "reference")]
    fig = Figure(figsize=(8, 1.4 + 0.35 * max(1, len(rows))), layout="constrained")
    ax = fig.subplots()
    label = by.removeprefix("child_")
    if rows.empty:
        ax.text(
            0.5,
            0.5,
            f"No relative rate by {label} can be shown: groups too small or with no escalations.",
            ha="center",
            va="center",
            fontsize=9,
            wrap=True,
        )
        ax.set_axis_off()
        return fig
    y = np.arange(len(rows))[::-1].astype(float)
    rri = rows["rri"].to_numpy(float)
    low = np.nan_to_num(rri - rows["rri_low"].to_numpy(float))  # no interval: a bare marker
    high = np.nan_to_num(rows["rri_high"].to_numpy(float) - rri)
    ax.errorbar(rri, y, xerr=[low, high], fmt="D", color="#009E73", capsize=3)
    ax.axvline(1, color="#333", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    span = np.concatenate([rri - low, rri + high, [1.0]])
    ticks = [t for t in _TICKS if span.min() / 2 <= t <= span.max() * 2]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(y, [f"{s} / {v}" for s, v in rows.index])
    ax.set_xlabel(f"relative rate index of escalation (reference: {label} {reference!r} = 1)")
    ax.grid(axis="x", alpha=0.3)
    left_out = len(table) - len(rows) - int((table["note"] == "reference").sum())
    ax.set_title(
        f"Relative rate of escalation by {label}, within evidence profiles"
        + (f" ({left_out} rows without a ratio: see the table)" if left_out else ""),
        fontsize=10,
    )
    return fig
