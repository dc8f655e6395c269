"""Figures for a team review, drawn from the review's published tables.

Each takes a :class:`casekit.review.sections.Table` and returns a matplotlib ``Figure`` (never
``plt.show()``). A suppressed cell (``c``) is not drawn as a bar; it is marked ``c`` instead,
so a figure never shows more than its table. Colours are Okabe-Ito.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from casekit.analysis.research import GROUP_BAU, GROUP_RADICALISATION
from casekit.privacy.disclosure import SUPPRESSED
from casekit.review.sections import CASE_TYPES, Table

__all__ = ["count_bars", "rate_bars", "worth_drawing", "count_alt", "rate_alt"]

MIN_BARS = 5
"""A table with fewer bars than this is shown as a table only, not drawn."""
MIN_LARGEST = 3
"""A table whose counts are all below this (0, 1 or 2) is shown as a table only."""

_COLOURS = {GROUP_RADICALISATION: "#D55E00", GROUP_BAU: "#0072B2"}
_HATCHES = {GROUP_RADICALISATION: "//", GROUP_BAU: ""}  # so colour is never the only sign


def _numbers(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    hidden = column.astype(str).eq(SUPPRESSED).to_numpy()
    values = pd.to_numeric(column.mask(hidden), errors="coerce").fillna(0).to_numpy(dtype=float)
    return values, hidden


def _body(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop a table's Total row."""
    return frame[frame.iloc[:, 0].astype(str) != "Total"]


def worth_drawing(table: Table, columns: list[str]) -> bool:
    """Say whether a table is big enough to draw: enough bars, and some count above 2.

    Each row gives one bar per column of ``columns``; a small table (fewer than
    :data:`MIN_BARS` bars, or every count at most 2) reads better as the table alone.
    """
    frame = _body(table.frame)
    bars = len(frame) * len(columns)
    values = np.concatenate([_numbers(frame[c])[0] for c in columns]) if len(frame) else [0.0]
    return bars >= MIN_BARS and len(frame) > 1 and float(np.max(values)) >= MIN_LARGEST


def _value(text: object) -> str:
    return "hidden (a small number)" if str(text) == SUPPRESSED else str(text)


def count_alt(table: Table, unit: str) -> str:
    """Describe a count table's figure in words, with its numbers: its alt text.

    >>> import pandas as pd
    >>> t = Table("k", "Referrals", pd.DataFrame({"source": ["police", "Total"],
    ...     "radicalisation": ["3", "3"], "other safeguarding": ["c", "c"]}))
    >>> count_alt(t, "referrals")[:60]
    'Bar chart of referrals: Referrals. police: 3 radicalisation,'
    """
    rows = [
        f"{str(r.iloc[0]).replace('_', ' ')}: "
        + ", ".join(f"{_value(r[t])} {t}" for t in CASE_TYPES if t in r.index)
        for _, r in _body(table.frame).iterrows()
    ]
    return f"Bar chart of {unit}: {table.title}. " + "; ".join(rows) + "."


def rate_alt(table: Table, by: list[str], rate: str) -> str:
    """Describe a rate table's figure in words: each row's percentage and its 95% interval."""
    rows = []
    for _, r in table.frame.iterrows():
        name = ": ".join(str(r[b]) for b in by)
        if str(r[rate]) == SUPPRESSED:
            rows.append(f"{name} hidden (small numbers)")
        else:
            low, high = r["95% CI low"], r["95% CI high"]
            rows.append(f"{name} {r[rate]}% (95% interval {low} to {high}%)")
    return f"Bar chart: {table.title}. " + "; ".join(rows) + "."


def count_bars(table: Table, xlabel: str) -> Figure:
    """Draw a count table (rows by case type, without its Total row) as grouped bars."""
    frame = table.frame[table.frame.iloc[:, 0].astype(str) != "Total"]
    labels = frame.iloc[:, 0].astype(str).str.replace("_", " ").tolist()
    fig = Figure(figsize=(8, 0.4 * len(labels) + 1.4), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(labels))
    height = 0.8 / len(CASE_TYPES)
    for i, case_type in enumerate(CASE_TYPES):
        values, hidden = _numbers(frame[case_type])
        pos = y + (i - (len(CASE_TYPES) - 1) / 2) * height
        ax.barh(
            pos,
            values,
            height=height,
            color=_COLOURS[case_type],
            hatch=_HATCHES[case_type],
            edgecolor="#000000",
            linewidth=0.5,
            label=case_type,
        )
        for p in pos[hidden]:
            ax.text(0.1, p, SUPPRESSED, va="center", fontsize=8)
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(table.title, fontsize=10, loc="left")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return fig


def rate_bars(table: Table, label: str, by: list[str], rate: str) -> Figure:
    """Draw a rate table's percentages with their 95% intervals, one bar per row."""
    frame = table.frame
    names = frame[by].astype(str).agg(": ".join, axis=1).tolist()
    values, hidden = _numbers(frame[rate])
    low, _ = _numbers(frame["95% CI low"])
    high, _ = _numbers(frame["95% CI high"])
    colours = [_COLOURS.get(str(g), "#555555") for g in frame[by[0]]]
    fig = Figure(figsize=(8, 0.45 * len(names) + 1.4), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(names))
    shown = ~hidden
    ax.barh(y[shown], values[shown], color=np.array(colours)[shown], height=0.6)
    ax.errorbar(
        values[shown],
        y[shown],
        xerr=[values[shown] - low[shown], high[shown] - values[shown]],
        fmt="none",
        ecolor="#333333",
        capsize=3,
    )
    for p in y[hidden]:
        ax.text(1, p, f"{SUPPRESSED} (small numbers)", va="center", fontsize=8)
    ax.set_yticks(y, names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel(label)
    ax.set_title(table.title, fontsize=10, loc="left")
    ax.grid(axis="x", alpha=0.3)
    return fig
