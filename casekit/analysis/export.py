"""Export a case's chronology as a printable HTML record, a formatted workbook, or CSV.

Free text is always escaped in HTML: ``templates/chronology.html`` (Jinja2, autoescaping)
fills casekit's page shell (:mod:`casekit.render.page`). The workbook has a frozen,
bold header and sensible column widths. The CSV holds the contract's events columns, so it can
be read back as part of a bundle.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from casekit.analysis.chronology import Analysis, analyse, as_known_at, case_events, filter_events
from casekit.bundle.casebook import Casebook
from casekit.bundle.io import canonical, write_file_atomically
from casekit.contract import BELIEF_CATEGORIES, CONCERN_CATEGORIES, STRENGTH_CATEGORIES, TABLES
from casekit.errors import CasekitError
from casekit.render.page import environment
from casekit.render.xlsx import write_people_csv
from casekit.store.db import Store

__all__ = [
    "ChronologyView",
    "chronology_view",
    "export_chronology",
    "export_logged",
    "to_html",
    "to_xlsx",
]

TEMPLATES = Path(__file__).resolve().parent / "templates"
"""The folder holding ``chronology.html``."""


class ChronologyView:
    """A case's chronology as chosen for export: the case, its events and their analysis."""

    def __init__(
        self,
        case: pd.Series,
        events: pd.DataFrame,
        analysis: Analysis,
        known_at: str = "",
        filters: str = "",
    ):
        """Hold what an export shows."""
        self.case, self.events, self.analysis = case, events, analysis
        self.known_at, self.filters = known_at, filters


def chronology_view(
    casebook: Casebook,
    case_id: str,
    as_known_at_date: str | None = None,
    min_significance: str | None = None,
) -> ChronologyView:
    """Select a case's chronology as known at a date and at a minimum significance."""
    case = casebook.cases[casebook.cases["case_id"] == case_id]
    events = case_events(casebook, case_id)  # raises a clear error for an unknown case
    events = as_known_at(events, as_known_at_date)
    events = filter_events(events, min_significance=min_significance)
    row = case.iloc[0]
    until = as_known_at_date or (row["closed"] if pd.notna(row["closed"]) else None)
    filters = f"significance {min_significance} and above" if min_significance else ""
    return ChronologyView(
        row, events, analyse(events, until=until), as_known_at_date or "", filters
    )


def _when(e: pd.Series) -> str:
    precision = str(e["date_precision"])
    if precision == "month":
        return e["date"].strftime("%b %Y") + " (month)"
    if precision == "year":
        return e["date"].strftime("%Y") + " (year)"
    return e["date"].strftime("%d %b %Y")


def _css(category: str) -> str:
    if category in CONCERN_CATEGORIES:
        return "concern"
    if category in STRENGTH_CATEGORIES:
        return "strength"
    return "belief" if category in BELIEF_CATEGORIES else ""


def _text(value: object) -> str:
    return (
        ""
        if value is None or (isinstance(value, float) and pd.isna(value)) or (value is pd.NA)
        else str(value)
    )


def to_html(view: ChronologyView) -> str:
    """Render a chronology as a self-contained, printable HTML page (all text escaped)."""
    case = view.case
    rows = [
        {
            "when": _when(e),
            "source_agency": _text(e["source_agency"]),
            "kind": _text(e["kind"]),
            "category": _text(e["category"]),
            "level": _text(e["level"]),
            "significance": _text(e["significance"]),
            "summary": _text(e["summary"]),
            "action_taken": _text(e["action_taken"]),
            "restricted": bool(e["restricted"]),
            "css": _css(str(e["category"])),
        }
        for _, e in view.events.iterrows()
    ]
    info = {
        "case_id": case["case_id"],
        "child_id": case["child_id"],
        "team_id": case["team_id"],
        "opened": case["opened"].date().isoformat(),
        "closed": case["closed"].date().isoformat() if pd.notna(case["closed"]) else "",
    }
    return (
        environment(TEMPLATES)
        .get_template("chronology.html")
        .render(
            case=info,
            events=rows,
            known_at=view.known_at,
            filters=view.filters,
            headline=view.analysis.headline(),
            produced=dt.date.today().isoformat(),
        )
    )


def to_xlsx(view: ChronologyView, out: Path, source: str = "") -> None:
    """Write a chronology as a workbook: frozen bold header, wrapped text, sensible widths.

    Every text stays exactly as recorded; text a workbook cannot hold is refused (naming
    ``source``, the file the user asked for), never cut.
    """
    from casekit.render.xlsx import Sheet, write_workbook

    frame = canonical(view.events, "events")[list(TABLES["events"].column_names)]
    chronology = Sheet(
        "chronology", frame, bold_header=True, min_width=10, wrap=("summary", "action_taken")
    )
    lines = pd.DataFrame({"analysis": list(view.analysis.headline())})
    analysis = Sheet("analysis", lines, header=False, freeze=False, min_width=100, max_width=100)
    write_workbook(
        out,
        [chronology, analysis],
        exact=True,
        source=source or Path(out).name,
        instead="export to .csv or .html instead",
    )


def export_chronology(view: ChronologyView, out: Path) -> Path:
    """Write the chronology to ``out``, choosing the form by its suffix (.html, .xlsx, .csv)."""
    out = _checked(out)
    suffix = out.suffix.lower()
    if suffix in (".html", ".htm"):
        return write_file_atomically(
            out, lambda tmp: tmp.write_text(to_html(view), encoding="utf-8")
        )
    if suffix == ".xlsx":
        return write_file_atomically(out, lambda tmp: to_xlsx(view, tmp, out.name))
    frame = canonical(view.events, "events")[list(TABLES["events"].column_names)]
    return write_file_atomically(out, lambda tmp: write_people_csv(frame, tmp))


def _checked(out: Path) -> Path:
    """Return ``out`` if a chronology can be exported to it (by its suffix), else refuse it."""
    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm", ".xlsx", ".csv"):
        raise CasekitError(f"{out.name}: export to a .html, .xlsx or .csv file.")
    return out


def export_logged(
    store: Store,
    case_id: str,
    out: Path,
    as_known_at_date: str | None = None,
    min_significance: str | None = None,
    *,
    reason: str | None = None,
    by: str | None = None,
) -> tuple[ChronologyView, Path]:
    """Export a case's chronology from a store, writing the export to its access log first.

    The entry (``export_chronology``: the file, its filters, ``reason``) is written once the
    case has been read and before the file is: an export whose entry cannot be written (a
    read-only store) is refused with nothing written, and one that then fails to write its
    file is still logged, since the case was read for it.
    """
    out = _checked(out)
    view = chronology_view(
        store.case_casebook(case_id), case_id, as_known_at_date, min_significance
    )
    detail = f"{len(view.events)} entries to {out.resolve()}"
    if as_known_at_date:
        detail += f", as known at {as_known_at_date}"
    if min_significance:
        detail += f", {min_significance} significance and above"
    store.log_access("export_chronology", case_id, detail=detail, reason=reason, by=by)
    return view, export_chronology(view, out)
