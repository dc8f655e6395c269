"""Figures for the proportionality research notebook: analysis tables in, Figures out.

Each returns a matplotlib ``Figure`` and never calls ``plt.show()``. Withheld (suppressed)
rates are simply not drawn. Colours are Okabe-Ito, safe for colour-blind readers.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from .research import GROUP_BAU, GROUP_RADICALISATION, STRONG, WEAK

__all__ = ["escalation_figure", "rate_bars"]

_COLOURS = {GROUP_RADICALISATION: "#D55E00", GROUP_BAU: "#0072B2"}


def escalation_figure(trends: pd.DataFrame) -> Figure:
    """Draw escalation rates per period: one panel per evidence profile, a line per group."""
    fig = Figure(figsize=(10, 4), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    for ax, profile in zip(axes, (STRONG, WEAK), strict=True):
        part = trends[trends["profile"] == profile]
        for group, rows in part.groupby("group"):
            rows = rows.dropna(subset=["rate"])
            if rows.empty:
                continue
            when = [pd.Period(p).start_time for p in rows["period"]]  # a real time axis
            colour = _COLOURS.get(str(group), "#555555")
            ax.plot(when, rows["rate"] * 100, marker="o", color=colour, label=str(group))
            ax.fill_between(when, rows["low"] * 100, rows["high"] * 100, color=colour, alpha=0.15)
        ax.set_title(f"Decisions resting on {profile}", fontsize=10)
        ax.set_ylim(0, 100)
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("escalated to child in need or above (%)")
    axes[1].legend(frameon=False, fontsize=8)
    return fig


def rate_bars(table: pd.DataFrame, label: str, title: str) -> Figure:
    """Draw one bar per row of a rate table (``rate``, ``low``, ``high``), with its interval."""
    shown = table.dropna(subset=["rate"])
    fig = Figure(figsize=(7, 0.5 + 0.45 * max(1, len(shown))), layout="constrained")
    ax = fig.subplots()
    y = range(len(shown))
    ax.barh(list(y), shown["rate"] * 100, color="#56B4E9")
    ax.errorbar(
        shown["rate"] * 100,
        list(y),
        xerr=[(shown["rate"] - shown["low"]) * 100, (shown["high"] - shown["rate"]) * 100],
        fmt="none",
        ecolor="#333333",
        capsize=3,
    )
    ax.set_yticks(list(y), [str(v) for v in shown[label]])
    ax.set_xlim(0, 100)
    ax.set_xlabel("%")
    ax.set_title(title, fontsize=10, loc="left")
    return fig
