"""Export a saved supervision session for the case file: HTML, or Word (.docx) via python-docx.

A record gathers the session (``supervisions``), the decisions it took, the judgements made in
it, and the chronology entries its hypotheses and decisions cite (date and summary beside each
id). Free text is escaped in HTML (Jinja2 autoescaping); in Word it is plain text, with any
character XML cannot hold removed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from .casebook import Casebook
from .contract import LEVELS
from .errors import CasekitError
from .io import canonical, write_file_atomically
from .store import Store
from .supervision import STAGES, judgement_id

__all__ = ["SupervisionRecord", "supervision_record", "to_html", "to_docx", "export_record"]

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass
class SupervisionRecord:
    """A saved session with what it decided and judged, as canonical strings."""

    session: dict[str, str]
    case: dict[str, str]
    decisions: pd.DataFrame
    judgements: pd.DataFrame
    cited: dict[str, str]
    """Each cited chronology entry's id, with its date and summary."""


def supervision_record(source: Store | Casebook, supervision_id: str) -> SupervisionRecord:
    """Gather one saved session's record from a store or a casebook."""
    if isinstance(source, Store):
        try:
            case_id = source.get("supervisions", supervision_id)["case_id"]
        except CasekitError:
            raise CasekitError(
                f"there is no supervision {supervision_id!r} in {source.url}."
            ) from None
        cb = source.case_casebook(case_id)
    else:
        cb = source
    tables = {name: canonical(cb.tables[name], name) for name in cb.tables}
    sessions = tables["supervisions"]
    chosen = sessions[sessions["supervision_id"] == supervision_id]
    if chosen.empty:
        raise CasekitError(f"there is no supervision {supervision_id!r} in {cb.source}.")
    session = chosen.iloc[0].to_dict()
    cases = tables["cases"]
    case = cases[cases["case_id"] == session["case_id"]].iloc[0].to_dict()
    ids = [i for i in session["decision_ids"].split(";") if i]
    decisions = tables["decisions"].set_index("decision_id").reindex(ids).reset_index()
    decisions["family_engaged"] = decisions["family_engaged"].map({"true": "yes", "false": "no"})
    judgements = tables["judgements"]
    mine = [judgement_id(supervision_id, level) for level in LEVELS]
    judgements = judgements[judgements["judgement_id"].isin(mine)].reset_index(drop=True)
    events = tables["events"].set_index("event_id")
    mentioned = set(re.findall(r"[\w-]+", session["hypotheses"]))
    mentioned |= {e for ids in decisions["evidence_ids"].fillna("") for e in ids.split(";") if e}
    cited = {
        e: f"{events.at[e, 'date']}: {events.at[e, 'summary']}"
        for e in sorted(mentioned & set(events.index))
    }
    return SupervisionRecord(session, case, decisions.fillna(""), judgements, cited)


_TEMPLATE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Supervision record: case {{ s.case_id }}, {{ s.date }}</title>
<style>
 body { font-family: system-ui, "Segoe UI", Arial, sans-serif; margin: 2em auto; max-width: 60em;
        padding: 0 1em; color: #1a1a1a; line-height: 1.45; }
 h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em;
 border-bottom: 2px solid #0072B2; } .meta, .note { color: #444; } .note { font-size: .85em; }
 .text { white-space: pre-wrap; } table { border-collapse: collapse; width: 100%; }
 th, td { border: 1px solid #bbb; padding: .3em .45em; text-align: left; vertical-align: top; }
 th { background: #eef2f6; } @media print { body { margin: 1cm; } }
</style></head><body>
<h1>Reflective supervision: case {{ s.case_id }}</h1>
<p class="meta">{{ s.date }} · supervisor {{ s.supervisor }} · worker {{ s.worker }} ·
child {{ case.child_id }} · team {{ case.team_id }} · record {{ s.supervision_id }}</p>
{% for title, text in stages %}<h2>{{ title }}</h2><div class="text">{{ text }}</div>
{% endfor %}
<h2>Hypotheses</h2><div class="text">{{ s.hypotheses }}</div>
<h2>Social GRACES: difference and bias</h2>
<div class="text">{{ s.graces or "None recorded." }}</div>
<h2>Decisions</h2>
{% if decisions %}<table><thead><tr><th>Response</th><th>Lead agency</th><th>Family engaged</th>
<th>Rationale</th><th>Evidence</th></tr></thead><tbody>
{% for d in decisions %}<tr><td>{{ d.response|replace("_", " ") }}</td>
<td>{{ d.lead_agency|replace("_", " ") }}</td><td>{{ d.family_engaged }}</td>
<td class="text">{{ d.rationale }}</td><td>{{ d.evidence_ids|replace(";", ", ") }}</td></tr>
{% endfor %}</tbody></table>{% else %}<p>No decision was taken in this session.</p>{% endif %}
<h2>Scaled judgements (0 to 10, 10 = safe enough to close)</h2>
{% if judgements %}<table><thead><tr><th>About</th><th>Safety</th><th>Rationale</th></tr></thead>
<tbody>{% for j in judgements %}<tr><td>{{ j.level }}</td><td>{{ j.safety_scale }}</td>
<td class="text">{{ j.rationale }}</td></tr>{% endfor %}</tbody></table>
{% else %}<p>No judgement was recorded in this session.</p>{% endif %}
<h2>Chronology entries cited</h2>
{% if cited %}<ul>{% for id, text in cited.items() %}<li>{{ id }}: {{ text }}</li>{% endfor %}</ul>
{% else %}<p>None.</p>{% endif %}
<p class="note">Exported by casekit on {{ produced }}. Synthetic or pseudonymised data only.</p>
</body></html>
"""
)


def _stages(r: SupervisionRecord) -> list[tuple[str, str]]:
    return [(stage.title, r.session[stage.key]) for stage in STAGES]


def to_html(record: SupervisionRecord) -> str:
    """Render a supervision record as one printable HTML page (all free text escaped)."""
    return _TEMPLATE.render(
        s=record.session,
        case=record.case,
        stages=_stages(record),
        decisions=record.decisions.to_dict("records"),
        judgements=record.judgements.to_dict("records"),
        cited=record.cited,
        produced=dt.date.today().isoformat(),
    )


def _plain(text: object) -> str:
    return _NOT_XML.sub("", str(text))


def to_docx(record: SupervisionRecord) -> bytes:
    """Render a supervision record as a Word document (.docx bytes)."""
    from docx import Document

    s = record.session
    doc = Document()
    doc.add_heading(_plain(f"Reflective supervision: case {s['case_id']}"), level=1)
    doc.add_paragraph(
        _plain(
            f"{s['date']} · supervisor {s['supervisor']} · worker {s['worker']} · child "
            f"{record.case['child_id']} · team {record.case['team_id']} · record "
            f"{s['supervision_id']}"
        )
    )
    sections = [*_stages(record), ("Hypotheses", s["hypotheses"])]
    sections.append(("Social GRACES: difference and bias", s["graces"] or "None recorded."))
    for title, text in sections:
        doc.add_heading(title, level=2)
        for line in _plain(text).splitlines() or [""]:
            doc.add_paragraph(line)
    _docx_table(
        doc,
        "Decisions",
        ["Response", "Lead agency", "Family engaged", "Rationale", "Evidence"],
        [
            [
                d["response"].replace("_", " "),
                d["lead_agency"].replace("_", " "),
                d["family_engaged"],
                d["rationale"],
                d["evidence_ids"].replace(";", ", "),
            ]
            for d in record.decisions.to_dict("records")
        ],
        "No decision was taken in this session.",
    )
    _docx_table(
        doc,
        "Scaled judgements (0 to 10, 10 = safe enough to close)",
        ["About", "Safety", "Rationale"],
        [
            [j["level"], j["safety_scale"], j["rationale"]]
            for j in record.judgements.to_dict("records")
        ],
        "No judgement was recorded in this session.",
    )
    doc.add_heading("Chronology entries cited", level=2)
    for event_id, text in record.cited.items() or [("", "None.")]:
        doc.add_paragraph(_plain(f"{event_id}: {text}" if event_id else text))
    buffer = BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _docx_table(
    doc: Any, title: str, header: list[str], rows: list[list[object]], none: str
) -> None:
    doc.add_heading(title, level=2)
    if not rows:
        doc.add_paragraph(none)
        return
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = _plain(value)


def export_record(record: SupervisionRecord, path: str | Path) -> Path:
    """Write a supervision record to ``path``: .html or .docx, chosen by the suffix."""
    out = Path(path)
    if out.suffix.lower() not in (".html", ".docx"):
        raise CasekitError(f"{path}: a supervision record is written as .html or .docx.")
    if not out.parent.exists():
        raise CasekitError(f"{path}: the folder {out.parent} does not exist. Create it first.")
    data = to_html(record).encode("utf-8") if out.suffix.lower() == ".html" else to_docx(record)
    return write_file_atomically(out, data)
