"""Export a case's chronology as a printable HTML record, a formatted workbook, or CSV.

Free text is always escaped in HTML (Jinja2 with autoescaping). The workbook has a frozen,
bold header and sensible column widths. The CSV holds the contract's events columns, so it can
be read back as part of a bundle.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jinja2
import pandas as pd

from casekit.analysis.chronology import Analysis, analyse, as_known_at, case_events, filter_events
from casekit.bundle.casebook import Casebook
from casekit.bundle.io import canonical, write_file_atomically
from casekit.contract import BELIEF_CATEGORIES, CONCERN_CATEGORIES, STRENGTH_CATEGORIES, TABLES
from casekit.errors import CasekitError
from casekit.render.xlsx import write_people_csv

__all__ = ["ChronologyView", "chronology_view", "export_chronology", "to_html", "to_xlsx"]

_TEMPLATE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Chronology: case {{ case.case_id }}</title>
<style>
 body { font-family: system-ui, "Segoe UI", Arial, sans-serif; margin: 2em; color: #1a1a1a; }
 h1 { font-size: 1.4em; margin-bottom: .2em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
 .meta { color: #444; margin: 0 0 1em; } table { border-collapse: collapse; width: 100%; }
 th, td { border: 1px solid #bbb; padding: .3em .45em; vertical-align: top; font-size: .9em;
          text-align: left; }
 th { background: #eee; } tr { page-break-inside: avoid; }
 .concern { border-left: 4px solid #b2182b; } .strength { border-left: 4px solid #1b7837; }
 .belief { color: #555; font-style: italic; } .restricted { font-weight: bold; color: #762a83; }
 .note { font-size: .85em; color: #444; }
 @media print { body { margin: 1cm; } .noprint { display: none; } }
</style></head><body>
<h1>Chronology: case {{ case.case_id }}</h1>
<p class="meta">Child {{ case.child_id }} · team {{ case.team_id }} · opened {{ case.opened }}
{%- if case.closed %} · closed {{ case.closed }}{% endif %} · {{ events|length }} entries
{%- if known_at %} · as known at {{ known_at }}{% endif %}
{%- if filters %} · {{ filters }}{% endif %} · produced {{ produced }}</p>
<p class="note">A chronology is a working tool and part of an assessment, not the assessment
itself. Belief and views (in italics) are not a concern in themselves.</p>
<h2>Analysis</h2>
<ul>{% for line in headline %}<li>{{ line }}</li>{% endfor %}</ul>
<h2>Entries</h2>
<table><thead><tr><th>Date</th><th>Source</th><th>Kind</th><th>Category</th><th>About</th>
<th>Significance</th><th>What happened</th><th>Action taken</th></tr></thead><tbody>
{% for e in events %}<tr class="{{ e.css }}">
<td>{{ e.when }}</td><td>{{ e.source_agency }}</td><td>{{ e.kind }}</td>
<td>{{ e.category }}</td><td>{{ e.level }}</td><td>{{ e.significance }}</td>
<td>{{ e.summary }}{% if e.restricted %} <span class="restricted">[restricted]</span>{% endif %}
</td><td>{{ e.action_taken }}</td></tr>
{% endfor %}</tbody></table>
</body></html>
"""
)


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
    return _TEMPLATE.render(
        case=info,
        events=rows,
        known_at=view.known_at,
        filters=view.filters,
        headline=view.analysis.headline(),
        produced=dt.date.today().isoformat(),
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
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".html", ".htm", ".xlsx", ".csv"):
        raise CasekitError(f"{out.name}: export to a .html, .xlsx or .csv file.")
    if suffix in (".html", ".htm"):
        return write_file_atomically(
            out, lambda tmp: tmp.write_text(to_html(view), encoding="utf-8")
        )
    if suffix == ".xlsx":
        return write_file_atomically(out, lambda tmp: to_xlsx(view, tmp, out.name))
    frame = canonical(view.events, "events")[list(TABLES["events"].column_names)]
    return write_file_atomically(out, lambda tmp: write_people_csv(frame, tmp))
