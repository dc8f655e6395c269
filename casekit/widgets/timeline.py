"""RiskTimeline: scrub through a case's history and see what was known, and when.

A thin layer over :func:`casekit.analysis.timeline.plot` and
:func:`casekit.analysis.timeline.dynamics`: an
"as known at" slider, a date range, lane and category toggles, and a list of the entries in
view whose details show when one is chosen. The figure is drawn as a static image, so nothing
stacks up between redraws and nothing needs a network.
"""

from __future__ import annotations

import datetime as dt
import html
from io import BytesIO
from typing import Any, TypedDict

import ipywidgets as w
import pandas as pd
from matplotlib.figure import Figure

from casekit.analysis.timeline import STYLES, dynamics, figure_text, plot, style_of
from casekit.bundle.casebook import Casebook
from casekit.contract import CATEGORY_MEANING, LEVELS
from casekit.store.db import Store
from casekit.widgets.common import log_opened

__all__ = ["RiskTimeline", "CaseWorkspace"]

_NOW = "now"


class PlotSettings(TypedDict):
    """The arguments of :func:`casekit.analysis.timeline.plot` that a timeline's controls set."""

    as_known_at: pd.Timestamp | None
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    levels: list[str]
    categories: list[str] | None


def _weeks(first: pd.Timestamp, last: pd.Timestamp) -> list[pd.Timestamp]:
    days = pd.date_range(first.normalize(), last.normalize(), freq="7D").tolist()
    if not days or days[-1] < last.normalize():
        days.append(last.normalize())
    return days


class RiskTimeline(w.VBox):
    """The risk timeline of one case, with controls; ``source`` is a Casebook or a Store."""

    def __init__(self, source: Casebook | Store, case_id: str, dpi: int = 80, *, log: bool = True):
        """Build the controls and draw the case as known now.

        Opened on a store, the timeline writes ``open_case`` to its access log, unless ``log``
        is false: inside a widget that logged the opening already.
        """
        self.source, self.case_id, self.dpi = source, case_id, dpi
        self.figure: Figure | None = None
        self.known_at = w.SelectionSlider(
            options=[_NOW],
            description="As known at",
            continuous_update=False,
            layout=w.Layout(width="42em"),
            style={"description_width": "8em"},
        )
        self.known_at.add_class("ck-known-at")
        self.span = w.SelectionRangeSlider(
            options=[_NOW],
            description="Dates",
            continuous_update=False,
            layout=w.Layout(width="42em"),
            style={"description_width": "8em"},
        )
        self.lanes = {
            lv: w.Checkbox(
                value=True, description=lv.capitalize(), indent=False, layout=w.Layout(width="8em")
            )
            for lv in LEVELS
        }
        for level, box in self.lanes.items():
            box.add_class(f"ck-lane-{level}")
        self.kinds = {
            name: w.Checkbox(
                value=True,
                description=str(st["label"]).split(":")[0],
                indent=False,
                layout=w.Layout(width="auto"),
            )
            for name, st in STYLES.items()
        }
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self.image.add_class("ck-timeline-figure")
        self.caption = w.HTML()  # what the figure shows, in words; in the app, its alt text too
        self.caption.add_class("ck-figure-caption")
        self.entries = w.Select(
            options=[], rows=8, description="Entries", layout=w.Layout(width="60em")
        )
        self.detail = w.HTML()
        self.detail.add_class("ck-entry-detail")
        self.summary = w.HTML()
        self.load()
        if log and isinstance(source, Store):
            log_opened(source, case_id, "risk timeline")
        for control in (self.known_at, self.span, *self.lanes.values(), *self.kinds.values()):
            control.observe(lambda _: self.refresh(), names="value")
        self.entries.observe(lambda change: self.show_entry(change["new"]), names="value")
        super().__init__(
            [
                w.HTML(f"<h3>Risk over time: case {html.escape(case_id)}</h3>"),
                self.known_at,
                self.span,
                w.HBox([w.HTML("Lanes:"), *self.lanes.values()]),
                w.HBox(
                    [w.HTML("Show:"), *self.kinds.values()], layout=w.Layout(flex_flow="row wrap")
                ),
                self.image,
                self.caption,
                self.summary,
                self.entries,
                self.detail,
            ]
        )
        self.add_class("ck-risk-timeline")
        self.refresh()

    # --- data -----------------------------------------------------------------------------------

    def load(self) -> None:
        """(Re)read the case and reset the sliders to its span, keeping the chosen position."""
        if isinstance(self.source, Store):
            self.casebook = self.source.case_casebook(self.case_id)
        else:
            self.casebook = self.source
        events = self.casebook.events[self.casebook.events["case_id"] == self.case_id]
        case = self.casebook.cases[self.casebook.cases["case_id"] == self.case_id]
        if case.empty:
            from casekit.errors import CasekitError

            raise CasekitError(f"there is no case {self.case_id!r} in {self.casebook.source}.")
        first = min([case["opened"].iloc[0], *events["date"].dropna()])
        closed = case["closed"].iloc[0]
        last = max(
            [
                closed if pd.notna(closed) else pd.Timestamp(dt.date.today()),
                *events["recorded_on"].dropna(),
            ]
        )
        weeks = _weeks(first, last)
        labels = [(d.strftime("%d %b %Y"), d) for d in weeks]
        previous = self.known_at.value
        self.known_at.options = [*labels, (_NOW, _NOW)]
        self.known_at.value = previous if previous in [v for _, v in labels] else _NOW
        months = pd.date_range(first.to_period("M").start_time, last, freq="MS").tolist()
        months.append(last.normalize() + pd.Timedelta(days=1))
        span = [(d.strftime("%b %Y"), d) for d in months]
        self.span.options = span
        self.span.index = (0, len(span) - 1)

    def reload(self) -> None:
        """Re-read the case from its source and redraw (after the chronology changed)."""
        self.load()
        self.refresh()

    # --- drawing --------------------------------------------------------------------------------

    def settings(self) -> PlotSettings:
        """Return the plot arguments the controls stand for."""
        known = None if self.known_at.value == _NOW else self.known_at.value
        start, end = self.span.value
        first_option, last_option = self.span.options[0][1], self.span.options[-1][1]
        categories = [c for c in CATEGORY_MEANING if self.kinds[style_of(c)].value]
        return {
            "as_known_at": known,
            "start": None if start == first_option else start,
            "end": None if end == last_option else end,
            "levels": [lv for lv, box in self.lanes.items() if box.value],
            "categories": None if len(categories) == len(CATEGORY_MEANING) else categories,
        }

    def refresh(self) -> None:
        """Redraw the figure, the summary and the list of entries in view."""
        settings = self.settings()
        self.figure = plot(self.casebook, self.case_id, **settings)
        buffer = BytesIO()
        self.figure.savefig(buffer, format="png", dpi=self.dpi)
        self.image.value = buffer.getvalue()
        lines = dynamics(self.casebook, self.case_id, as_of=settings["as_known_at"]).summary()
        self.summary.value = "<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in lines) + "</ul>"
        from casekit.analysis.chronology import as_known_at, case_events, filter_events

        events = as_known_at(case_events(self.casebook, self.case_id), settings["as_known_at"])
        events = filter_events(
            events,
            levels=settings["levels"],
            categories=settings["categories"],
            start=settings["start"],
            end=settings["end"],
        )
        self.visible = events
        words = figure_text(self.case_id, len(events), settings["as_known_at"])
        self.caption.value = (
            f"<p>{html.escape(words)} Below: how risk moved, then the entries one by one.</p>"
        )
        self.entries.options = [
            (f"{e.date:%d %b %Y} · {e.level} · {e.category} · {str(e.summary)[:60]}", e.event_id)
            for e in events.itertuples()
        ]
        self.detail.value = ""

    def show_entry(self, event_id: str | None) -> None:
        """Show one entry's detail: summary, source, evidence, restriction and action taken."""
        if not event_id:
            self.detail.value = ""
            return
        e = self.visible[self.visible["event_id"] == event_id].iloc[0]

        def text(value: Any) -> str:
            return "—" if value is None or pd.isna(value) else html.escape(str(value))

        precision = "" if str(e["date_precision"]) == "day" else f" ({e['date_precision']})"
        self.detail.value = (
            f"<div><b>{e['date']:%d %b %Y}{precision}</b> · recorded {e['recorded_on']:%d %b %Y}"
            f"<br>{text(e['summary'])}<br>Source: {text(e['source_agency'])} · kind: "
            f"{text(e['kind'])} · category: {text(e['category'])} · about: {text(e['level'])}"
            f"<br>Evidence: {text(e['evidence'])} · "
            f"{'<b>restricted</b>' if bool(e['restricted']) else 'not restricted'}"
            f"<br>Action taken: {text(e['action_taken'])}</div>"
        )


class CaseWorkspace(w.VBox):
    """The chronology builder with the risk timeline beside it, redrawn after every change."""

    def __init__(self, store: Store, case_id: str):
        """Build both widgets on one store and link them."""
        from casekit.widgets.chronology import ChronologyBuilder

        self.builder = ChronologyBuilder(store, case_id)
        self.timeline = RiskTimeline(store, case_id, log=False)  # the builder logged it
        self.builder.on_change(self.timeline.reload)
        super().__init__([self.builder, self.timeline])
