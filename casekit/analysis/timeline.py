"""Risk as dynamic: a case's timeline in child, family and community lanes, and its dynamics.

:func:`plot` draws one matplotlib figure (it never calls ``plt.show()``): the chronology in
three lanes with strengths beside worries, belief and views muted, restricted intelligence and
approximate dates marked; scaled judgements per level; and the response ladder as a step line.
``as_known_at`` shows only what had reached the record by then. :func:`dynamics` gives the
trajectory in words and numbers.

Each group of marks carries a ``gid`` (``events:concern``, ``approximate``, ``restricted``,
``judgement:child``, ``response``, ``as_known_at``…) so that tests and tools can find them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict, cast

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.dates import date2num
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from casekit.analysis.chronology import as_known_at as known_by
from casekit.analysis.chronology import case_events, filter_events, per_quarter
from casekit.analysis.proportionality import escalations
from casekit.analysis.trends import TOO_FEW, safety_trends
from casekit.bundle.casebook import Casebook
from casekit.contract import (
    BELIEF_CATEGORIES,
    CONCERN_CATEGORIES,
    LEVELS,
    RESPONSE_LADDER,
    STRENGTH_CATEGORIES,
)
from casekit.policy import TREND_CHANGE

__all__ = [
    "STYLES",
    "MarkStyle",
    "LEVEL_MARKS",
    "style_of",
    "plot",
    "figure_text",
    "Dynamics",
    "dynamics",
    "CROWDED",
]


class MarkStyle(TypedDict):
    """How one kind of entry is drawn: colour, marker, size, legend label and drawing order."""

    color: str
    marker: str
    size: int
    label: str
    z: int
    hollow: NotRequired[bool]


# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
STYLES: dict[str, MarkStyle] = {
    "concern": {
        "color": "#D55E00",
        "marker": "o",
        "size": 70,
        "label": "concern (influence, extremist behaviour, harm)",
        "z": 5,
    },
    "strength": {
        "color": "#009E73",
        "marker": "^",
        "size": 70,
        "label": "strength (protective, aspiration)",
        "z": 4,
    },
    "belief": {
        "color": "#BBBBBB",
        "marker": "D",
        "size": 36,
        "label": "belief or views: not a concern in itself",
        "z": 2,
        "hollow": True,
    },
    "context": {
        "color": "#56B4E9",
        "marker": "s",
        "size": 30,
        "label": "vulnerability and context",
        "z": 3,
    },
    "engagement": {"color": "#E69F00", "marker": "P", "size": 40, "label": "engagement", "z": 3},
    "action": {"color": "#999999", "marker": "|", "size": 60, "label": "agency action", "z": 1},
    "uncategorised": {
        "color": "#000000",
        "marker": "x",
        "size": 30,
        "label": "not yet categorised",
        "z": 2,
    },
}
_LEVEL_COLOURS = {"child": "#0072B2", "family": "#CC79A7", "community": "#E69F00"}
# Each level's judgements also have their own marker and line, so colour is never the only sign.
LEVEL_MARKS = {
    "child": {"marker": "o", "linestyle": "-"},
    "family": {"marker": "s", "linestyle": "--"},
    "community": {"marker": "^", "linestyle": ":"},
}
CROWDED = 400
"""Above this many events in view, marks are summarised per lane, kind and week."""


def style_of(category: str) -> str:
    """Name the mark style for a category.

    >>> style_of("views_expressed"), style_of("harm"), style_of("aspiration")
    ('belief', 'concern', 'strength')
    """
    if category in CONCERN_CATEGORIES:
        return "concern"
    if category in STRENGTH_CATEGORIES:
        return "strength"
    if category in BELIEF_CATEGORIES:
        return "belief"
    if category == "engagement":
        return "engagement"
    if category == "agency_action":
        return "action"
    if category == "uncategorised":
        return "uncategorised"
    return "context"


def _span_end(start: pd.Timestamp, precision: str) -> pd.Timestamp:
    if precision == "year":
        return start + pd.DateOffset(years=1)
    return start + pd.DateOffset(months=1)


def _selected(
    casebook: Casebook,
    case_id: str,
    as_known_at: str | dt.date | pd.Timestamp | None,
    start: str | dt.date | None,
    end: str | dt.date | None,
    levels: Iterable[str] | None,
    categories: Iterable[str] | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.Timestamp | None]:
    events = known_by(case_events(casebook, case_id), as_known_at)
    events = filter_events(events, levels=levels, categories=categories, start=start, end=end)
    cut = pd.Timestamp(as_known_at) if as_known_at is not None and as_known_at != "" else None
    decisions = casebook.decisions[casebook.decisions["case_id"] == case_id].sort_values("date")
    judgements = casebook.judgements[casebook.judgements["case_id"] == case_id].sort_values("date")
    if cut is not None:
        decisions = decisions[decisions["date"] <= cut]
        judgements = judgements[judgements["date"] <= cut]
    return events, decisions, judgements, cut


def plot(
    casebook: Casebook,
    case_id: str,
    as_known_at: str | dt.date | pd.Timestamp | None = None,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    levels: Iterable[str] | None = None,
    categories: Iterable[str] | None = None,
) -> Figure:
    """Draw a case's timeline: lanes, judgements and the response ladder, as one Figure."""
    levels = list(levels) if levels is not None else list(LEVELS)
    events, decisions, judgements, cut = _selected(
        casebook, case_id, as_known_at, start, end, levels, categories
    )
    case = casebook.cases[casebook.cases["case_id"] == case_id].iloc[0]
    fig = Figure(figsize=(11, 7), layout="constrained")
    lanes, judged, ladder = fig.subplots(
        3, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.4, 1.9]}
    )
    lane_y = {level: i for i, level in enumerate(reversed(levels))}
    _draw_events(lanes, events, lane_y)
    lanes.set_yticks(list(lane_y.values()), [lv.capitalize() for lv in lane_y])
    lanes.set_ylim(-0.6, len(lane_y) - 0.4)
    lanes.grid(axis="x", alpha=0.3)
    title = f"Case {case_id}: what was known"
    title += f" at {cut:%d %b %Y}" if cut is not None else ""
    lanes.set_title(title, loc="left", fontsize=11)
    handles = [
        Line2D(
            [],
            [],
            linestyle="",
            marker=st["marker"],
            markersize=7,
            markerfacecolor="none" if st.get("hollow") else st["color"],
            markeredgecolor=st["color"],
            label=st["label"],
        )
        for st in STYLES.values()
    ]
    handles += [
        Line2D(
            [],
            [],
            color="#666666",
            linewidth=4,
            alpha=0.5,
            label="approximate date (month or year)",
        ),
        Line2D(
            [],
            [],
            linestyle="",
            marker="s",
            markersize=10,
            markerfacecolor="none",
            markeredgecolor="#4B0082",
            markeredgewidth=1.5,
            label="restricted intelligence",
        ),
    ]
    lanes.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False
    )
    for level in LEVELS:
        rows = judgements[judgements["level"] == level]
        if len(rows):
            judged.plot(
                rows["date"],
                rows["safety_scale"].astype(float),
                marker=LEVEL_MARKS[level]["marker"],
                linestyle=LEVEL_MARKS[level]["linestyle"],
                markersize=4,
                color=_LEVEL_COLOURS[level],
                label=level,
                gid=f"judgement:{level}",
            )
    judged.set_ylim(-0.5, 10.5)
    judged.set_yticks([0, 5, 10])
    judged.set_ylabel("safety\n(0-10)")
    judged.grid(alpha=0.3)
    if len(judgements):
        judged.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    stop = (
        cut
        if cut is not None
        else (case["closed"] if pd.notna(case["closed"]) else pd.Timestamp(dt.date.today()))
    )
    _draw_ladder(ladder, decisions, stop)
    for ax in (lanes, judged, ladder):
        ax.axvline(case["opened"], color="#444444", linewidth=0.8, linestyle=":")
        if cut is not None:
            ax.axvline(cut, color="#000000", linewidth=1.2, linestyle="--", gid="as_known_at")
    if start not in (None, "") or end not in (None, ""):
        lo = pd.Timestamp(start) if start not in (None, "") else None
        hi = pd.Timestamp(end) if end not in (None, "") else None
        lanes.set_xlim(left=lo, right=hi)
    return fig


CHANNEL_TRACK = len(RESPONSE_LADDER) + 0.5
_BAND = (len(RESPONSE_LADDER) - 0.4, len(RESPONSE_LADDER) + 1.4)
"""Where the Channel track sits: a band above the social-care ladder, not one of its rungs."""
CHANNEL_LABEL = "Channel support\n(beside social care)"


def figure_text(
    case_id: str, entries: int, as_known_at: str | dt.date | pd.Timestamp | None = None
) -> str:
    """Say in words what a timeline figure shows: its alt text and caption.

    >>> figure_text("C1", 1, "2024-03-05")[:60]
    'Risk timeline of case C1 as known on 05 Mar 2024: 1 entry in'
    """
    known = "now" if as_known_at is None else f"on {pd.Timestamp(as_known_at):%d %b %Y}"
    count = "1 entry" if entries == 1 else f"{entries} entries"
    return (
        f"Risk timeline of case {case_id} as known {known}: {count} in view in the child, "
        "family and community lanes, strengths beside worries, with the judgements of safety "
        "and the response over time."
    )


def _draw_ladder(ax: Axes, decisions: pd.DataFrame, stop: pd.Timestamp) -> None:
    """Draw the social-care rung as a step line, and Channel support on a track of its own.

    Channel is not a rung (see :func:`casekit.analysis.proportionality.escalations`): a Channel
    decision leaves the step line where it was and is marked, and labelled in words, on a
    shaded band above the ladder. The record gives the day Channel support was adopted, not
    when it ended, so only that day is marked.
    """
    ax.axhspan(*_BAND, color="#F0E442", alpha=0.25, lw=0, gid="channel")
    ax.axhline(_BAND[0], color="#666666", linewidth=0.8, linestyle="--")
    if len(decisions):
        decisions = escalations(decisions)
        care = decisions[~decisions["channel"]]
        if len(care):
            dates = list(care["date"]) + [max(stop, care["date"].iloc[-1])]
            rungs = care["rung"].tolist()
            ax.step(
                dates,
                rungs + rungs[-1:],
                where="post",
                color="#0072B2",
                linewidth=2,
                gid="response",
            )
            ax.scatter(care["date"], rungs, color="#0072B2", s=20, zorder=3)
        adopted = decisions[decisions["channel"]]
        if len(adopted):
            ax.scatter(
                adopted["date"],
                [CHANNEL_TRACK] * len(adopted),
                marker="D",
                s=45,
                facecolors="#000000",
                edgecolors="#000000",
                zorder=4,
                gid="channel_support",
            )
            for when in adopted["date"]:
                ax.annotate(
                    f"Channel support adopted {when:%d %b %Y}",
                    (when, CHANNEL_TRACK),
                    xytext=(6, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=7,
                    gid="channel_label",
                )
    ticks = [*range(len(RESPONSE_LADDER)), CHANNEL_TRACK]
    names = [r.replace("_", " ") for r in RESPONSE_LADDER] + [CHANNEL_LABEL]
    ax.set_yticks(ticks, names, fontsize=7)
    ax.set_ylim(-0.5, _BAND[1])
    ax.set_ylabel("social-care response")
    ax.grid(alpha=0.3)


def _draw_events(ax: Axes, events: pd.DataFrame, lane_y: dict[str, int]) -> None:
    if events.empty:
        ax.text(
            0.5, 0.5, "No entries in view", transform=ax.transAxes, ha="center", color="#666666"
        )
        return
    styles = events["category"].astype(str).map(style_of)
    y = events["level"].astype(str).map(lane_y)
    approx = events["date_precision"].astype(str).isin(["month", "year"])
    exact = events[~approx]
    crowded = len(events) > CROWDED
    if crowded:  # summarise: one mark per lane, style and week, sized by its count
        week = exact["date"].dt.to_period("W").dt.start_time
        groups = pd.DataFrame({"date": week, "y": y[~approx], "style": styles[~approx]})
        counts = groups.groupby(["style", "y", "date"]).size().rename("n").reset_index()
        ax.text(
            0.0,
            1.01,
            f"{len(events)} entries: busy weeks are summarised (larger marks "
            "stand for more entries)",
            transform=ax.transAxes,
            fontsize=8,
            color="#444444",
        )
    for name, st in STYLES.items():
        if crowded:
            part = counts[counts["style"] == name]
            xs, ys = part["date"], part["y"]
            sizes = float(st["size"]) * np.sqrt(part["n"].to_numpy())
        else:
            mask = (~approx) & (styles == name)
            xs, ys = events.loc[mask, "date"], y[mask]
            sizes = st["size"]
        if len(xs) == 0:
            continue
        colours: dict[str, Any]  # scatter's keyword arguments
        if st["marker"] in ("|", "x"):  # line markers have no face
            colours = {"color": st["color"], "linewidths": 1.2}
        elif st.get("hollow"):
            colours = {"facecolors": "none", "edgecolors": st["color"], "linewidths": 1.2}
        else:
            colours = {"facecolors": st["color"], "edgecolors": "white", "linewidths": 0.6}
        ax.scatter(
            xs, ys, s=sizes, marker=st["marker"], zorder=st["z"], gid=f"events:{name}", **colours
        )
    if approx.any():
        part = events[approx]
        starts = part["date"]
        ends = [
            _span_end(s, p) for s, p in zip(starts, part["date_precision"].astype(str), strict=True)
        ]
        segments = [
            [(date2num(a), yy), (date2num(b), yy)]
            for a, b, yy in zip(starts, ends, y[approx], strict=True)
        ]
        line_colours = [STYLES[s]["color"] for s in styles[approx]]
        ax.add_collection(
            LineCollection(
                segments,
                colors=line_colours,
                linewidths=5,
                alpha=0.45,
                gid="approximate",
                capstyle="butt",
            )
        )
    restricted = events["restricted"].fillna(False).astype(bool) | (
        events["evidence"].astype(str) == "intelligence"
    )
    if restricted.any() and not crowded:
        ax.scatter(
            events.loc[restricted, "date"],
            y[restricted],
            s=150,
            marker="s",
            facecolors="none",
            edgecolors="#4B0082",
            linewidths=1.5,
            zorder=6,
            gid="restricted",
        )
    ax.autoscale_view()


@dataclass
class Dynamics:
    """A case's trajectory: safety per level, concerns and strengths, focus, time at each rung."""

    safety: pd.DataFrame
    """Per level: judgements, first and last scale, change per 90 days, and the trend."""
    concerns_strengths: pd.DataFrame
    """Per quarter: concern entries and strength entries."""
    focus: pd.DataFrame
    """Per quarter: the level most worries were about; ``shift`` marks a change of focus."""
    rungs: pd.DataFrame
    """Per social-care response: days the case sat at it, in order (Channel is not a rung)."""
    channel: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["date"]))
    """The days Channel support was adopted (beside social care; no end date is recorded)."""

    def summary(self) -> list[str]:
        """Say the trajectory in plain sentences."""
        lines = []
        for level, row in self.safety.iterrows():
            said = (
                "has too few judgements for a trend"
                if row["trend"] == TOO_FEW
                else f"is {row['trend']}"
            )
            lines.append(
                f"{str(level).capitalize()} safety {said} "
                f"({row['first']:.0f} → {row['last']:.0f} over {row['judgements']} "
                f"judgement{'s' if row['judgements'] != 1 else ''})."
            )
        for _, row in self.focus[self.focus["shift"]].iterrows():
            lines.append(
                f"In {row['quarter']} the focus moved from {row['from']} to {row['level']}."
            )
        if len(self.rungs):
            longest = self.rungs.loc[cast(int, self.rungs["days"].idxmax())]  # a RangeIndex
            lines.append(
                f"The longest time at one social-care response: {longest['days']} days at "
                f"{longest['response'].replace('_', ' ')}."
            )
        for when in self.channel["date"]:
            lines.append(
                f"Channel support was adopted on {when:%d %b %Y}: voluntary, with consent, beside "
                "social care (not a step on its ladder)."
            )
        return lines


def dynamics(
    casebook: Casebook,
    case_id: str,
    as_of: str | dt.date | pd.Timestamp | None = None,
    threshold: float = TREND_CHANGE,
) -> Dynamics:
    """Describe how a case's risk moved: safety trends, balance, focus and response history.

    A level's safety is rising or falling when its fitted change exceeds ``threshold`` points
    per 90 days. Time at a rung runs to the next decision, the case's closure, or ``as_of``.
    """
    events = case_events(casebook, case_id)
    case = casebook.cases[casebook.cases["case_id"] == case_id].iloc[0]
    judgements = casebook.judgements[casebook.judgements["case_id"] == case_id].sort_values("date")
    trends = safety_trends(judgements, threshold).drop(columns="case_id")
    trends["level"] = pd.Categorical(trends["level"], categories=LEVELS)
    safety = trends.sort_values("level").set_index("level")
    safety.index = safety.index.astype(str)
    category = events["category"].astype(str)
    balance = per_quarter(
        events, {"concerns": CONCERN_CATEGORIES, "strengths": STRENGTH_CATEGORIES}
    )
    worries = events[
        category.isin([*CONCERN_CATEGORIES, "vulnerability", "family_context", "community_context"])
    ]
    focus_rows = []
    previous = None
    for q, group in worries.groupby(worries["date"].dt.to_period("Q")):
        counts = group["level"].astype(str).value_counts()
        runner_up = int(counts.iloc[1]) if len(counts) > 1 else 0
        top = counts.index[0] if counts.iloc[0] > runner_up else (previous or counts.index[0])
        focus_rows.append(
            {
                "quarter": q,
                "level": top,
                "from": previous,
                "shift": previous is not None and top != previous,
            }
        )
        previous = top
    focus = pd.DataFrame(focus_rows, columns=["quarter", "level", "from", "shift"])
    decisions = casebook.decisions[casebook.decisions["case_id"] == case_id].sort_values("date")
    end = (
        pd.Timestamp(as_of)
        if as_of not in (None, "")
        else (case["closed"] if pd.notna(case["closed"]) else pd.Timestamp(dt.date.today()))
    )
    decisions = escalations(decisions)
    care = decisions[~decisions["channel"]]
    dates = list(care["date"]) + [end]
    rung_rows = [
        {"response": RESPONSE_LADDER[r], "from": a, "to": b, "days": max(0, (b - a).days)}
        for r, a, b in zip(care["rung"], dates, dates[1:], strict=False)
    ]
    rungs = pd.DataFrame(rung_rows, columns=["response", "from", "to", "days"])
    channel = decisions.loc[decisions["channel"], ["date"]].reset_index(drop=True)
    return Dynamics(safety, balance, focus, rungs, channel)
