"""Export a saved supervision session for the case file: HTML, or Word (.docx) via python-docx.

A record gathers the session (``supervisions``), the decisions it took (with whose interests
each serves), the judgements made in it, and the chronology entries its hypotheses and decisions
cite (date and summary beside each id). Free text is escaped in HTML
(``templates/supervision_record.html`` in casekit's page shell, Jinja2 autoescaping); in Word
it is plain text, with any character XML cannot hold removed, so no text becomes a field, a
link or markup.

The support function's notes (the worker's wellbeing) are kept with the record but left out of
an export unless the supervisor chooses to include them (``include_support=True``); the export
then says they were left out.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any, cast

import pandas as pd

from casekit.analysis.supervision import FUNCTIONS, PRIVATE_FUNCTIONS, STAGES, judgement_id
from casekit.bundle.casebook import Casebook
from casekit.bundle.io import canonical, write_file_atomically
from casekit.contract import LEVELS, TABLES
from casekit.errors import CasekitError
from casekit.render.page import environment
from casekit.store.db import Store

__all__ = [
    "SupervisionRecord",
    "supervision_record",
    "to_html",
    "to_docx",
    "export_record",
    "export_logged",
]

TEMPLATES = Path(__file__).resolve().parent / "templates"
"""The folder holding ``supervision_record.html``."""

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
    session = cast(dict[str, str], chosen.iloc[0].to_dict())  # canonical: named string cells
    cases = tables["cases"]
    case = cast(dict[str, str], cases[cases["case_id"] == session["case_id"]].iloc[0].to_dict())
    ids = [i for i in session["decision_ids"].split(";") if i]
    decisions = tables["decisions"].set_index("decision_id").reindex(ids).reset_index()
    decisions["family_engaged"] = decisions["family_engaged"].map({"true": "yes", "false": "no"})
    serves = _by_decision(session.get("decision_stakeholders") or "")
    decisions["serves"] = [serves.get(d, "not recorded") for d in decisions["decision_id"]]
    judgements = tables["judgements"]
    mine = [judgement_id(supervision_id, level) for level in LEVELS]
    judgements = judgements[judgements["judgement_id"].isin(mine)].reset_index(drop=True)
    events = tables["events"].set_index("event_id")
    mentioned = set(re.findall(r"[\w-]+", session["hypotheses"]))
    mentioned |= {e for ids in decisions["evidence_ids"].fillna("") for e in ids.split(";") if e}
    cited = {
        e: f"{str(events.at[e, 'date'])}: {str(events.at[e, 'summary'])}"
        for e in sorted(mentioned & set(events.index))
    }
    for column in TABLES["supervisions"].column_names:  # a bundle written before a column was
        session[column] = session.get(column) or ""  # added reads it as empty
    return SupervisionRecord(session, case, decisions.fillna(""), judgements, cited)


def _by_decision(text: str) -> dict[str, str]:
    """Read ``decision_stakeholders`` ("D1: child and family, worker" a line) into a dict."""
    pairs = (line.split(": ", 1) for line in text.splitlines() if ": " in line)
    return {did.strip(): who.strip() for did, who in pairs}


SUPPORT_LEFT_OUT = (
    "The support notes (the worker's wellbeing) are kept with the supervision record and are "
    "left out of this export."
)


def _stages(r: SupervisionRecord) -> list[tuple[str, str]]:
    return [(stage.title, r.session[stage.key]) for stage in STAGES]


def _functions(r: SupervisionRecord, include_support: bool) -> list[tuple[str, str, str]]:
    """List the functions to export with their meaning and notes (private ones only if chosen)."""
    return [
        (f.title, f.meaning, r.session[f.key])
        for f in FUNCTIONS
        if include_support or f.key not in PRIVATE_FUNCTIONS
    ]


def _seen(r: SupervisionRecord) -> str:
    day = r.session["last_seen_alone"]
    if not day:
        return "no date is kept with this session."
    return f"{dt.date.fromisoformat(day):%d %b %Y}, as the record stood at the session."


def to_html(record: SupervisionRecord, include_support: bool = False) -> str:
    """Render a supervision record as one printable HTML page (all free text escaped).

    The support notes are left out unless ``include_support`` is true.
    """
    return (
        environment(TEMPLATES)
        .get_template("supervision_record.html")
        .render(
            s=record.session,
            case=record.case,
            seen=_seen(record),
            functions=_functions(record, include_support),
            include_support=include_support,
            support_left_out=SUPPORT_LEFT_OUT,
            stages=_stages(record),
            decisions=record.decisions.to_dict("records"),
            judgements=record.judgements.to_dict("records"),
            cited=record.cited,
            footer=(
                f"Exported by casekit on {dt.date.today().isoformat()}. "
                "Synthetic or pseudonymised data only."
            ),
        )
    )


def _plain(text: object) -> str:
    return _NOT_XML.sub("", str(text))


def to_docx(record: SupervisionRecord, include_support: bool = False) -> bytes:
    """Render a supervision record as a Word document (.docx bytes), all of it plain text.

    The support notes are left out unless ``include_support`` is true.
    """
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
    _docx_text(doc, "The child's voice", s["child_voice"] or "Nothing was recorded.")
    doc.add_paragraph(_plain(f"Last seen alone: {_seen(record)}"))
    for title, text in _stages(record):
        _docx_text(doc, title, text)
    doc.add_heading("The four functions", level=2)
    for title, meaning, text in _functions(record, include_support):
        doc.add_heading(title, level=3)
        doc.add_paragraph().add_run(meaning).italic = True
        for line in _plain(text or "Nothing was recorded.").splitlines() or [""]:
            doc.add_paragraph(line)
    if not include_support:
        doc.add_paragraph(SUPPORT_LEFT_OUT)
    _docx_text(doc, "Hypotheses", s["hypotheses"])
    _docx_text(
        doc,
        "Actions agreed, and whose interests they serve",
        s["agreed_actions"] or "None recorded.",
    )
    _docx_text(doc, "Social GRACES: difference and bias", s["graces"] or "None recorded.")
    _docx_table(
        doc,
        "Decisions",
        ["Response", "Lead agency", "Family engaged", "Rationale", "Evidence", "Serves"],
        [
            [
                d["response"].replace("_", " "),
                d["lead_agency"].replace("_", " "),
                d["family_engaged"],
                d["rationale"],
                d["evidence_ids"].replace(";", ", "),
                d["serves"],
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


def _docx_text(doc: Any, title: str, text: str) -> None:
    doc.add_heading(title, level=2)
    for line in _plain(text).splitlines() or [""]:
        doc.add_paragraph(line)


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


def export_record(
    record: SupervisionRecord, path: str | Path, include_support: bool = False
) -> Path:
    """Write a supervision record to ``path``: .html or .docx, chosen by the suffix.

    The support notes (the worker's wellbeing) are left out unless ``include_support`` is true:
    the supervisor's explicit choice.
    """
    out = _checked(path)
    data = (
        to_html(record, include_support).encode("utf-8")
        if out.suffix.lower() == ".html"
        else to_docx(record, include_support)
    )
    return write_file_atomically(out, data)


def _checked(path: str | Path) -> Path:
    """Return ``path`` if a record can be written there (.html or .docx in a folder that is)."""
    out = Path(path)
    if out.suffix.lower() not in (".html", ".docx"):
        raise CasekitError(f"{path}: a supervision record is written as .html or .docx.")
    if not out.parent.exists():
        raise CasekitError(f"{path}: the folder {out.parent} does not exist. Create it first.")
    return out


def export_logged(
    store: Store,
    supervision_id: str,
    path: str | Path,
    include_support: bool = False,
    *,
    reason: str | None = None,
    by: str | None = None,
) -> Path:
    """Export a supervision record from a store, writing the export to its access log first.

    The entry (``export_supervision``: the record, the file, whether the support notes went
    with it, ``reason``) is written once the record has been read and before the file is;
    an export whose entry cannot be written (a read-only store) is refused, nothing written.
    """
    out = _checked(path)
    record = supervision_record(store, supervision_id)
    support = "with the support notes" if include_support else "support notes left out"
    store.log_access(
        "export_supervision",
        record.session.get("case_id") or None,
        detail=f"record {supervision_id} to {out.resolve()} ({support})",
        reason=reason,
        by=by,
    )
    return export_record(record, out, include_support)
