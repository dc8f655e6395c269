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

    ``table`` is :func:`casekit.analysis.research.relative_rates`'s: one panel per referral
    group (radicalisation, other safeguarding), as the ratios are never pooled across them. A
    dashed line marks 1 (the reference group's rate). A ratio without an interval is a bare
    marker; rows without a ratio are counted under the title (the table and the summary say
    why). The title is wrapped to the figure's width, so nothing in it is cut off.
    """
    label = by.removeprefix("child_")
    drawn = table["rri"].notna() & (table["note"] != "reference")
    left_out = int((~drawn).sum() - (table["note"] == "reference").sum())
    referral = table.index.get_level_values(0)
    sizes = [max(1, int((drawn & (referral == group)).sum())) for group in GROUPS]
    fig = Figure(figsize=(8, 1.9 + 0.35 * sum(sizes) + 0.5 * len(GROUPS)), layout="constrained")
    axes = fig.subplots(len(GROUPS), 1, sharex=True, height_ratios=[s + 1 for s in sizes])
    title = f"Relative rate of escalation by {label}, within referral group and evidence profile"
    if left_out:
        title += f"\n({left_out} rows without a ratio: see the table)"
    fig.suptitle(title, fontsize=10, wrap=True)
    span = [1.0]
    for ax, group in zip(axes, GROUPS, strict=True):
        rows = table[drawn & (referral == group)]
        ax.set_title(f"{group} referrals", fontsize=9, loc="left")
        if rows.empty:
            ax.text(
                0.5,
                0.5,
                f"No relative rate by {label} can be shown: groups too small or with no "
                "escalations.",
                ha="center",
                va="center",
                fontsize=8,
                transform=ax.transAxes,
            )
            ax.set_yticks([])
            continue
        y = np.arange(len(rows))[::-1].astype(float)
        rri = rows["rri"].to_numpy(float)
        low = np.nan_to_num(rri - rows["rri_low"].to_numpy(float))  # no interval: a bare marker
        high = np.nan_to_num(rows["rri_high"].to_numpy(float) - rri)
        ax.errorbar(rri, y, xerr=[low, high], fmt="D", color="#009E73", capsize=3)
        ax.axvline(1, color="#333", linestyle="--", linewidth=1)
        ax.set_yticks(y, [f"{s} / {v}" for _, s, v in rows.index])
        ax.set_ylim(-0.6, len(rows) - 0.4)
        ax.grid(axis="x", alpha=0.3)
        span += [*(rri - low), *(rri + high)]
    ax = axes[-1]
    ax.set_xscale("log")
    ticks = [t for t in _TICKS if min(span) / 2 <= t <= max(span) * 2]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_xlim(ticks[0] / 1.2, ticks[-1] * 1.2)
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(f"relative rate index of escalation (reference: {label} {reference!r} = 1)")
    return fig
