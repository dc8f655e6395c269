"""Form controls built from the contract, shared by casekit's widgets.

Each contract column gets the control its kind calls for: a dropdown of its vocabulary, a date
picker, a checkbox or a text box. Labels are plain English; CSS classes (``ck-field-NAME``) let
browser tests and stylesheets find each control.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from pathlib import Path

import ipywidgets as w

from casekit.contract import TABLES, typed_text
from casekit.errors import CasekitError
from casekit.outputs import SERVED_EXPORTS, person_folder
from casekit.store.db import Store, open_store

__all__ = [
    "LABELS",
    "field_control",
    "field_value",
    "set_field_value",
    "writable_store",
    "case_record",
    "download_link",
    "export_folder",
    "in_app",
    "say_exported",
    "log_opened",
    "say",
]

LABELS = {
    "date": "Date",
    "date_precision": "Date is",
    "recorded_on": "Recorded on",
    "source_agency": "Source",
    "kind": "Kind",
    "category": "Category (lens)",
    "level": "About",
    "significance": "Significance",
    "impact": "Impact on child",
    "evidence": "Evidence",
    "restricted": "Restricted",
    "seen_alone": "Seen alone",
    "summary": "What happened",
    "action_taken": "Action taken",
}
_STYLE = {"description_width": "9em"}
_WIDE = w.Layout(width="36em")
_PRECISION = {"day": "exact (day)", "month": "approximate (month)", "year": "approximate (year)"}
_UNSURE = [("not recorded", None), ("yes", True), ("no", False)]
"""The choices for an optional yes/no with no default: unticked is not the same as "no"."""


def field_control(table: str, name: str, continuous_update: bool = True) -> w.Widget:
    """Build the labelled control for one contract column; dropdowns list its vocabulary.

    ``continuous_update=False`` sends a text to the kernel when the field is left, not at every
    key. A form saved by a button needs it: ipywidgets holds back a field's later keys while the
    kernel is busy with an earlier one, but sends a click at once, so a quick Tab and Enter (or
    a busy kernel) could save the text only as far as the kernel had heard it and clear the rest.
    Leaving the field sends the whole text before the click.
    """
    col = TABLES[table].column(name)
    label = LABELS.get(name, name.replace("_", " ").capitalize())
    if col.required:
        label += " *"
    if col.kind == "vocab":
        blank = [] if col.default is not None else [("— choose —" if col.required else "—", None)]
        names = _PRECISION if name == "date_precision" else {}
        options = blank + [(names.get(v, v.replace("_", " ")), v) for v in col.vocabulary]
        control: w.Widget = w.Dropdown(options=options, description=label, style=_STYLE)
    elif col.kind == "date":
        control = w.DatePicker(description=label, style=_STYLE)
    elif col.kind == "bool" and col.default is None and not col.required:
        control = w.Dropdown(options=_UNSURE, value=None, description=label, style=_STYLE)
    elif col.kind == "bool":
        control = w.Checkbox(description=label, style=_STYLE, indent=True)
    elif name in ("summary", "action_taken", "rationale", "description"):
        control = w.Textarea(
            description=label,
            style=_STYLE,
            layout=_WIDE,
            rows=3 if name == "summary" else 2,
            continuous_update=continuous_update,
        )
    else:
        control = w.Text(
            description=label, style=_STYLE, layout=_WIDE, continuous_update=continuous_update
        )
    control.add_class(f"ck-field-{name}")
    return control


def field_value(control: w.Widget) -> object:
    """Read a control's value as a record field (stripped text, a date, a bool, or None)."""
    value = control.value
    if isinstance(value, str):
        return typed_text(value).strip()
    return value


def set_field_value(control: w.Widget, value: object) -> None:
    """Set a control to a field's value; None empties it."""
    if isinstance(control, w.Checkbox):
        control.value = bool(value)
    elif isinstance(control, w.DatePicker):
        control.value = value if isinstance(value, dt.date) else None
    elif isinstance(control, w.Dropdown):
        values = [v for _, v in control.options]
        control.value = value if value in values else (None if None in values else values[0])
    else:
        control.value = "" if value is None else str(value)


def writable_store(store: Store | str | Path, user: str | None, widget: str) -> Store:
    """Return the store a widget writes to; a path is opened, a loaded Casebook refused."""
    if isinstance(store, Store):
        return store
    if hasattr(store, "tables"):
        raise CasekitError(
            f"{widget} writes to a casebook store: open one with casekit.open(path) and pass "
            "that, not a loaded Casebook."
        )
    return open_store(store, user=user)


def case_record(store: Store, case_id: str) -> dict[str, str]:
    """Return a case's record from the store, or say clearly that there is no such case."""
    from casekit.store.permissions import AccessRefused

    try:
        return store.get("cases", case_id)
    except AccessRefused:
        raise  # says who may not open it, and why
    except CasekitError:
        raise CasekitError(f"there is no case {case_id!r} in {store.url}.") from None


def say(message: w.HTML, text: str, error: bool = False) -> None:
    """Show an escaped message in green, or in red when it is an error."""
    colour = "#b2182b" if error else "#1b7837"
    css = "ck-error" if error else "ck-ok"
    message.value = (
        f"<span class='{css}' style='color:{colour}; white-space: pre-wrap'>"
        f"{html.escape(text)}</span>"
    )


def log_opened(store: Store, case_id: str, widget: str, by: str | None = None) -> None:
    """Write that ``widget`` opened ``case_id`` to the store's access log (``open_case``).

    Widgets call it once the case is known to exist and before showing it, so a case is
    never shown without its entry; a store that cannot take the entry (read-only) refuses.
    """
    store.log_access("open_case", case_id, detail=widget, by=by)


def in_app() -> bool:
    """Say whether this kernel serves a page of ``casekit app`` (Voila), not JupyterLab."""
    return os.environ.get("CASEKIT_APP") == "voila"


def export_folder(base: str | Path, person: str) -> Path:
    """Return the folder a person's exports go to: in ``casekit app``, their own below ``base``.

    The app serves each person only the exports in their own folder
    (:func:`casekit.outputs.person_folder`), so one login never downloads another's.
    """
    return Path(base) / person_folder(person) if in_app() else Path(base)


def download_link(path: Path, person: str) -> str:
    """Link to ``person``'s exported file where ``casekit app`` serves it, else return "".

    Voila (``casekit app``) serves the export folders of :data:`casekit.outputs.SERVED_EXPORTS`
    below the notebooks folder, its kernels' working folder, as ``../files/...`` from the page,
    each person's own folder to them alone; elsewhere (JupyterLab, a script) the path shown is
    the way to the file.
    """
    if not in_app():
        return ""
    try:
        inside = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return ""
    parts = inside.parts
    mine = len(parts) == 3 and parts[1] == person_folder(person)
    kinds = SERVED_EXPORTS.get(parts[0], ()) if mine else ()
    if path.suffix.lower().lstrip(".") not in kinds:
        return ""
    href = html.escape("../files/" + inside.as_posix(), quote=True)
    return f'<a href="{href}" download class="ck-download">Download {html.escape(path.name)}</a>'


def say_exported(message: w.HTML, text: str, written: Path, person: str) -> None:
    """Say that a file was exported, with a link to download it where the app serves it."""
    say(message, text)
    link = download_link(written, person)
    if link:
        message.value += f" {link}"
