"""ChronologyBuilder: build a case's chronology in a notebook, saved to the store at once.

A thin layer over :mod:`casekit.store.db`, :mod:`casekit.ingest.merge` and
:mod:`casekit.analysis.chronology`:
the form's controls and dropdowns come from the contract, every change is committed to the
casebook store before the widget says it is saved, and the store's own validation messages are
shown beside the fields they are about. Handlers are plain methods (``add_entry``,
``save_changes``, ``delete_entry``, ``start_edit``, ``import_files``, ``export``) that tests
call directly. Opening the builder and exporting from it are written to the store's access log.
"""

from __future__ import annotations

import datetime as dt
import html
import tempfile
from collections.abc import Callable
from pathlib import Path

import ipywidgets as w
import numpy as np
import pandas as pd

from casekit.analysis.chronology import filter_events
from casekit.analysis.export import export_logged
from casekit.contract import CATEGORY_MEANING, SIGNIFICANCE, TABLES, typed_text
from casekit.errors import CasekitError, WriteRefused
from casekit.ingest.merge import merge_files
from casekit.outputs import private_folder, safe_name
from casekit.store.db import Store
from casekit.widgets.common import (
    case_record,
    export_folder,
    field_control,
    field_value,
    log_opened,
    say,
    say_exported,
    set_field_value,
    writable_store,
)

__all__ = ["ChronologyBuilder"]

FORM_FIELDS = (
    "date",
    "date_precision",
    "recorded_on",
    "source_agency",
    "kind",
    "category",
    "level",
    "significance",
    "impact",
    "evidence",
    "restricted",
    "seen_alone",
    "summary",
    "action_taken",
)


_ORDER = ["date", "recorded_on", "event_id"]


def _order_key(rows: pd.DataFrame) -> np.ndarray:
    """One sortable string per entry: its date, then when it was recorded, then its id."""
    return (rows["date"] + "|" + rows["recorded_on"] + "|" + rows["event_id"]).to_numpy(
        dtype=object
    )


def _in_order(rows: pd.DataFrame) -> pd.DataFrame:
    """Sort entries by date, then by when they were recorded, then by id."""
    return rows.sort_values(_ORDER, kind="stable").reset_index(drop=True)


class ChronologyBuilder(w.VBox):
    """A new-entry form, the case's entries with filters, editing, deleting and importing.

    ``store`` is a casebook store (or a path or URL to one): a chronology is built where it is
    kept, so nothing typed and added is ever only in the browser. Exports go to ``exports`` (a
    folder, made private when first needed).
    """

    def __init__(
        self,
        store: Store | str | Path,
        case_id: str,
        *,
        user: str | None = None,
        page_size: int = 50,
        exports: str | Path = "chronology_exports",
    ):
        """Build the widget for one case of a casebook store."""
        store = writable_store(store, user, "ChronologyBuilder")
        self.store, self.case_id, self.user, self.page_size = store, case_id, user, page_size
        self.exports = Path(exports)
        case = self._case_row()
        log_opened(store, case_id, "chronology builder", by=user)
        self.editing: str | None = None
        self._listeners: list[Callable[[], None]] = []
        self.rows = _in_order(store.case_rows("events", case_id))
        self.fields = {  # texts reach the kernel whole before Add entry (see field_control)
            name: field_control("events", name, continuous_update=False) for name in FORM_FIELDS
        }
        self.errors = {name: w.HTML() for name in FORM_FIELDS}
        self.message = w.HTML()
        self.add_button = w.Button(description="Add entry", button_style="primary", icon="plus")
        self.save_button = w.Button(
            description="Save changes", button_style="success", layout=w.Layout(display="none")
        )
        self.cancel_button = w.Button(description="Cancel edit", layout=w.Layout(display="none"))
        self.add_button.add_class("ck-add")
        self.save_button.add_class("ck-save")
        self.add_button.on_click(lambda _: self.add_entry())
        self.save_button.on_click(lambda _: self.save_changes())
        self.cancel_button.on_click(lambda _: self.clear_form())
        self.filter_significance = w.Dropdown(
            options=[("all", None)] + [(f"{s} and above", s) for s in SIGNIFICANCE],
            description="Significance",
        )
        self.filter_category = w.Dropdown(
            options=[("all", None)] + [(c, c) for c in CATEGORY_MEANING], description="Category"
        )
        self.filter_level = w.Dropdown(
            options=[("all", None)] + [(v, v) for v in TABLES["events"].column("level").vocabulary],
            description="About",
        )
        for f in (self.filter_significance, self.filter_category, self.filter_level):
            f.observe(lambda _: self.refresh(), names="value")
        self.show_all = w.Checkbox(description="show every entry", value=False)
        self.show_all.observe(lambda _: self.refresh(), names="value")
        self.listing = w.HTML()
        self.listing.add_class("ck-list")
        self.pick = w.Dropdown(description="Entry", options=[])
        self.edit_button = w.Button(description="Edit")
        self.edit_button.on_click(lambda _: self.start_edit(self.pick.value))
        self.reason = w.Text(placeholder="why it is deleted (required)", description="Reason")
        self.delete_button = w.Button(description="Delete", button_style="danger")
        self.delete_button.on_click(lambda _: self.delete_entry(self.pick.value, self.reason.value))
        self.upload = w.FileUpload(accept=".csv,.xlsx", multiple=True, description="Agency files")
        self.upload_agency = w.Dropdown(
            options=[("from the file", None)]
            + [(a, a) for a in TABLES["events"].column("source_agency").vocabulary],
            description="Agency",
        )
        self.import_button = w.Button(description="Import files")
        self.import_button.on_click(lambda _: self.import_files())
        self.export_format = w.Dropdown(
            options=[
                ("a printable page (.html)", ".html"),
                ("a workbook (.xlsx)", ".xlsx"),
                ("CSV (.csv)", ".csv"),
            ],
            description="Export as",
        )
        self.export_reason = w.Text(
            description="Why",
            placeholder="why the chronology leaves the store (kept in its access log; optional)",
            layout=w.Layout(width="36em"),
        )
        self.export_reason.add_class("ck-export-reason")
        self.export_button = w.Button(description="Export", icon="download")
        self.export_button.add_class("ck-export")
        self.export_button.on_click(lambda _: self.export(self.export_format.value))
        self.export_message = w.HTML()
        closed = f" · closed {html.escape(case['closed'])}" if case["closed"] else ""
        title = w.HTML(
            f"<h3>Chronology for case {html.escape(case_id)}</h3><p>Child "
            f"{html.escape(case['child_id'])} · team {html.escape(case['team_id'])} · opened "
            f"{html.escape(case['opened'])}{closed}</p>"
        )
        form = w.VBox(
            [w.VBox([self.fields[n], self.errors[n]]) for n in FORM_FIELDS]
            + [w.HBox([self.add_button, self.save_button, self.cancel_button]), self.message]
        )
        listing = w.VBox(
            [
                w.HBox(
                    [
                        self.filter_significance,
                        self.filter_category,
                        self.filter_level,
                        self.show_all,
                    ]
                ),
                self.listing,
                w.HBox([self.pick, self.edit_button]),
                w.HBox([self.reason, self.delete_button]),
            ]
        )
        upload = w.VBox(
            [
                w.HTML(
                    "<b>Import agency chronologies</b> (CSV or xlsx; each entry "
                    "keeps its agency, file and row)"
                ),
                w.HBox([self.upload, self.upload_agency, self.import_button]),
            ]
        )
        export = w.VBox(
            [
                w.HTML(
                    "<b>Export the chronology</b> (every entry, as recorded now) for the case "
                    "file; the export is written to the store's access log, with why if you say"
                ),
                w.HBox([self.export_format, self.export_button]),
                self.export_reason,
                self.export_message,
            ]
        )
        tabs = w.Tab(children=[form, upload, export])
        tabs.set_title(0, "New entry")
        tabs.set_title(1, "Import")
        tabs.set_title(2, "Export")
        super().__init__([title, tabs, w.HTML("<h4>Entries</h4>"), listing])
        self.add_class("ck-chronology-builder")
        self.clear_form()
        self.refresh()

    # --- helpers --------------------------------------------------------------------------------

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after every saved change (for widgets shown beside this one)."""
        self._listeners.append(callback)

    def _changed(self) -> None:
        self.refresh()
        for callback in self._listeners:
            callback()

    def _case_row(self) -> dict[str, str]:
        return case_record(self.store, self.case_id)

    def form_values(self) -> dict[str, object]:
        """Read the form as the fields of an event record."""
        values = {name: field_value(self.fields[name]) for name in FORM_FIELDS}
        return {k: v for k, v in values.items() if v not in (None, "")}

    def _show_problems(self, exc: WriteRefused) -> None:
        for label in self.errors.values():
            label.value = ""
        general = []
        for p in exc.problems:
            text = html.escape(p.expected + (f" ({p.hint})" if p.hint else ""))
            if p.column in self.errors:
                self.errors[
                    p.column
                ].value = f"<span class='ck-error' style='color:#b2182b'>{text}</span>"
            else:
                general.append(text)
        summary = "Not saved: please correct the fields marked in red."
        if general:
            summary += " " + " ".join(general)
        self._say(summary, error=True)

    def _not_saved(self, exc: CasekitError) -> None:
        """Say beside the form why nothing was saved; what was typed stays in the form."""
        self._say(
            f"Not saved: {' '.join(str(exc).split())} What you typed is still in the form.",
            error=True,
        )

    def _say(self, text: str, error: bool = False) -> None:
        say(self.message, text, error)

    def clear_form(self) -> None:
        """Empty the form for a new entry (the date defaults to today)."""
        for name, control in self.fields.items():
            set_field_value(control, None)
            self.errors[name].value = ""
        set_field_value(self.fields["date_precision"], "day")
        set_field_value(self.fields["recorded_on"], dt.date.today())
        self.editing = None
        self.add_button.layout.display = None
        self.save_button.layout.display = "none"
        self.cancel_button.layout.display = "none"

    # --- handlers -------------------------------------------------------------------------------

    def add_entry(self) -> str | None:
        """Validate and save the form as a new entry; return its id, or None if refused."""
        fields = self.form_values()
        fields["recorded_by"] = self.user or self.store.user
        try:
            eid = self.store.add_event(case_id=self.case_id, by=self.user, **fields)
        except WriteRefused as exc:
            self._show_problems(exc)
            return None
        except CasekitError as exc:  # a full disk, a read-only store: the form keeps its text
            self._not_saved(exc)
            return None
        record = self.store.get("events", eid)
        at = int(np.searchsorted(_order_key(self.rows), _order_key(pd.DataFrame([record]))[0]))
        self.rows = pd.concat(
            [self.rows.iloc[:at], pd.DataFrame([record]), self.rows.iloc[at:]], ignore_index=True
        )  # kept in order without sorting everything
        self.clear_form()
        self._say(f"Saved entry {eid}.")
        self._changed()
        return eid

    def start_edit(self, event_id: str | None) -> None:
        """Load an entry into the form for editing."""
        if not event_id:
            self._say("Choose an entry to edit.", error=True)
            return
        record = self.store.get("events", event_id)
        for name, control in self.fields.items():
            stored = record.get(name, "")
            kind = TABLES["events"].column(name).kind
            value: object = stored
            if kind == "date" and stored:
                value = dt.date.fromisoformat(stored)
            elif kind == "bool":  # "" (not recorded) stays None, never False
                value = {"true": True, "false": False}.get(stored)
            set_field_value(control, value if kind == "bool" else value or None)
        self.editing = event_id
        self.add_button.layout.display = "none"
        self.save_button.layout.display = None
        self.cancel_button.layout.display = None
        self._say(f"Editing entry {event_id}; its earlier versions stay in the history.")

    def save_changes(self) -> bool:
        """Save the form over the entry being edited; return whether it was saved."""
        if self.editing is None:
            self._say("No entry is being edited.", error=True)
            return False
        values = self.form_values()
        changes = {name: values.get(name) for name in FORM_FIELDS}
        eid = self.editing
        try:
            self.store.update_event(eid, by=self.user, **changes)
        except WriteRefused as exc:
            self._show_problems(exc)
            return False
        except CasekitError as exc:
            self._not_saved(exc)
            return False
        record = self.store.get("events", eid)
        self.rows.loc[self.rows["event_id"] == eid, list(record)] = list(record.values())
        self.rows = _in_order(self.rows)  # the date may have changed
        self.clear_form()
        self._say(f"Saved changes to entry {eid}.")
        self._changed()
        return True

    def delete_entry(self, event_id: str | None, reason: str) -> bool:
        """Delete an entry, giving a reason; return whether it was deleted."""
        if not event_id:
            self._say("Choose an entry to delete.", error=True)
            return False
        try:
            self.store.delete_event(event_id, reason=reason, by=self.user)
        except (WriteRefused, CasekitError) as exc:
            self._say(str(exc).replace("\n", " "), error=True)
            return False
        self.rows = self.rows[self.rows["event_id"] != event_id].reset_index(drop=True)
        self.reason.value = ""
        self._say(f"Deleted entry {event_id}; it stays in the history with your reason.")
        self._changed()
        return True

    def import_files(
        self, files: list[tuple[str, bytes]] | None = None, agency: str | None = None
    ) -> int:
        """Merge uploaded agency chronologies into this case; return how many entries were added.

        ``files`` (name, content) pairs default to the upload control's; nothing is added
        unless every file is read without a problem.
        """
        if files is None:
            files = [(f["name"], bytes(f["content"])) for f in self.upload.value]
            agency = self.upload_agency.value
        if not files:
            self._say("Choose one or more agency files first.", error=True)
            return 0
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for name, content in files:
                path = Path(tmp) / Path(name).name
                path.write_bytes(content)
                paths.append((path, agency))
            try:
                merged = merge_files(paths, self.case_id)
            except CasekitError as exc:
                self._say(str(exc).replace("\n", " "), error=True)
                return 0
        from casekit.bundle.casebook import Casebook, check_rows

        prefix = f"{self.case_id}-{dt.datetime.now():%Y%m%d%H%M%S}-"
        merged["event_id"] = prefix + merged["event_id"].str.rsplit("-", n=1).str[-1]
        merged["duplicate_of"] = merged["duplicate_of"].map(
            lambda d: prefix + d.rsplit("-", 1)[-1] if d else ""
        )
        typed, problems = check_rows("events", merged, "upload")
        if problems:
            self._say("; ".join(map(str, problems[:5])), error=True)
            return 0
        try:
            counts = self.store.import_casebook(Casebook({"events": typed}, "upload"), by=self.user)
        except WriteRefused as exc:
            self._say(str(exc).replace("\n", " "), error=True)
            return 0
        self.rows = _in_order(self.store.case_rows("events", self.case_id))
        review = int((merged["needs_review"] != "").sum())
        self._say(
            f"Imported {counts['events']} entries; {review} need your review "
            "(category and level were not in the files)."
        )
        self._changed()
        return counts["events"]

    # --- the list -------------------------------------------------------------------------------

    def export(self, suffix: str = ".html") -> Path | None:
        """Export the case's chronology into the exports folder, logged with the reason typed.

        The file is ``chronology-CASE.html`` (or .xlsx, .csv), replacing an earlier export.
        """
        reason = typed_text(self.export_reason.value).strip() or None
        try:
            folder = private_folder(export_folder(self.exports, self.store.user))
            name = safe_name(f"chronology-{self.case_id}", "case ID")
            _, written = export_logged(
                self.store,
                self.case_id,
                folder / f"{name}{suffix}",
                reason=reason,
                by=self.user,
            )
        except (CasekitError, OSError) as exc:
            say(self.export_message, f"Not exported: {exc}", error=True)
            return None
        say_exported(
            self.export_message, f"Exported to {written.resolve()}.", written, self.store.user
        )
        return written

    def visible(self) -> pd.DataFrame:
        """Return the entries the filters keep, sorted by date (latest page unless show all)."""
        shown = filter_events(
            self.rows,
            min_significance=self.filter_significance.value or None,
            categories=self.filter_category.value or None,
            levels=self.filter_level.value or None,
        )
        return shown if self.show_all.value else shown.tail(self.page_size)

    def refresh(self) -> None:
        """Redraw the list of entries (only the visible page is rendered)."""
        shown = self.visible()
        cells = []
        for e in shown.itertuples():
            muted = (
                " style='color:#666;font-style:italic'"
                if e.category in ("belief_practice", "views_expressed")
                else ""
            )
            flag = " <b>[restricted]</b>" if e.restricted == "true" else ""
            cells.append(
                f"<tr{muted}><td>{html.escape(str(e.date))}</td><td>{html.escape(str(e.source_agency))}"
                f"</td><td>{html.escape(str(e.category))}</td><td>{html.escape(str(e.level))}</td>"
                f"<td>{html.escape(str(e.significance))}</td><td>{html.escape(str(e.summary))}{flag}</td>"
                f"<td>{html.escape(str(e.event_id))}</td></tr>"
            )
        total = len(self.rows)
        note = (
            ""
            if self.show_all.value or len(shown) == total
            else (f"<p>Showing the latest {len(shown)} of {total} entries.</p>")
        )
        self.listing.value = (
            f"{note}<table class='ck-entries'><thead><tr><th>Date</th><th>Source</th>"
            "<th>Category</th><th>About</th><th>Significance</th><th>What happened</th>"
            f"<th>Id</th></tr></thead><tbody>{''.join(cells)}</tbody></table>"
        )
        self.pick.options = [
            (f"{e.date} {str(e.summary)[:50]}", e.event_id) for e in shown.iloc[::-1].itertuples()
        ]
