"""SupervisionSession: a guided reflective supervision session (4x4x4) on one case.

A thin layer over :mod:`casekit.analysis.supervision` and
:mod:`casekit.analysis.supervision_record`. It shows
the case in view (summary, significant chronology entries, current proportionality flags,
overdue plan actions and the risk timeline as known today) and the child's voice beside the day
the child was last seen alone, then guides the supervisor and worker through the reflective
cycle with the practice prompts, the four functions (management, support, development,
mediation), a Social GRACES check, competing hypotheses tied to chronology entries (each with
how it will be tested with the family), the actions agreed and decisions with whose interests
each serves, and scaled judgements. Support notes stay out of an export unless the supervisor
ticks the box that includes them. Every change is saved at once as a
draft in the casebook store, so nothing typed is lost when the kernel dies or the page
closes; opening the session again brings the draft back. A decision that would raise a
proportionality flag shows the flag and its reason before it is added, and is only added
with the reason it stands. Handlers are plain methods that tests call.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import asdict
from pathlib import Path

import ipywidgets as w
import pandas as pd

from casekit.analysis.casework import overdue_actions
from casekit.analysis.proportionality import escalations, flags
from casekit.analysis.relational.shared import warm_in_background
from casekit.analysis.supervision import (
    FUNCTIONS,
    GRACES,
    PRIVATE_FUNCTIONS,
    STAGES,
    STAKEHOLDERS,
    AgreedAction,
    Hypothesis,
    ProposedDecision,
    ScaledJudgement,
    Session,
    decision_flags,
    draft_key,
    save,
    seen_alone,
)
from casekit.analysis.supervision_record import export_logged
from casekit.contract import BELIEF_CATEGORIES, LEVELS, typed_text
from casekit.errors import CasekitError
from casekit.outputs import private_folder, safe_name
from casekit.store.db import Store
from casekit.widgets.common import (
    case_record,
    export_folder,
    field_control,
    log_opened,
    say,
    say_exported,
    set_field_value,
    writable_store,
)
from casekit.widgets.timeline import RiskTimeline

__all__ = ["SupervisionSession"]

_WIDE = w.Layout(width="98%")
_LABEL = {"description_width": "11em"}
_PICK = w.Layout(width="98%", height="7em")
_SCALE = [("not judged", None)] + [(str(i), i) for i in range(11)]


def _entry_label(e: pd.Series) -> str:
    summary = str(e["summary"])
    summary = summary if len(summary) <= 70 else summary[:69] + "…"
    return f"{e['date']:%Y-%m-%d} · {str(e['category']).replace('_', ' ')} · {summary}"


class SupervisionSession(w.VBox):
    """A reflective supervision session on one case of a casebook store, autosaved as typed.

    ``supervisor`` defaults to the store's user and ``worker`` to the case's allocated
    worker. Exported records go to ``exports`` (a folder, made when first needed).
    """

    @staticmethod
    def prepare() -> None:
        """Compile the flags' SQL in the background, so the first session opens sooner.

        Pass it to :class:`~casekit.widgets.app.CasePicker` (``prepare=``): it runs while a
        person chooses a case.
        """
        warm_in_background()

    def __init__(
        self,
        store: Store | str | Path,
        case_id: str,
        *,
        supervisor: str | None = None,
        worker: str | None = None,
        exports: str | Path = "supervision_records",
    ):
        """Open the session: the draft this supervisor left on this case, or a new one."""
        self.store = writable_store(store, supervisor, "SupervisionSession")
        self.case_id = case_id
        case = case_record(self.store, case_id)
        self.supervisor = (supervisor or self.store.user).strip()
        self.worker = (worker if worker is not None else case["worker_id"]).strip()
        self.exports = Path(exports)
        self.key = draft_key(case_id, self.supervisor)
        self._loading = True
        self.status = w.HTML()
        self.status.add_class("ck-status")
        self.message = w.HTML()
        self.message.add_class("ck-message")
        self.case_view = w.HTML()
        self.case_view.add_class("ck-case-view")
        log_opened(self.store, case_id, "supervision session")
        self.timeline = RiskTimeline(self.store, case_id, log=False)
        view = w.Tab(children=[self.case_view, self.timeline])
        view.set_title(0, "The case")
        view.set_title(1, "Risk timeline")

        self.cycle = self._cycle()
        self.function_tabs = self._functions()
        self.child_voice = w.Textarea(
            description="In their own words",
            placeholder="What the young person wants, feels and hopes for, in their own words "
            "where possible",
            rows=4,
            layout=_WIDE,
            style=_LABEL,
        )
        self.child_voice.add_class("ck-child-voice")
        self.seen_alone_view = w.HTML()
        self.seen_alone_view.add_class("ck-seen-alone")

        self.actions: list[tuple[w.Textarea, dict[str, w.Checkbox]]] = []
        self.action_box = w.VBox()
        self.add_action_button = w.Button(description="Add an action", icon="plus")
        self.add_action_button.add_class("ck-add-action")
        self.add_action_button.on_click(lambda _: self.add_action())

        self.hypotheses: list[tuple[w.Textarea, w.SelectMultiple, w.SelectMultiple]] = []
        self.hypothesis_tests: list[w.Textarea] = []
        self.hypothesis_box = w.VBox()
        self.add_hypothesis_button = w.Button(description="Add a hypothesis", icon="plus")
        self.add_hypothesis_button.on_click(lambda _: self.add_hypothesis())

        self._decision_controls()
        rows = self._judgement_rows()

        self.save_button = w.Button(
            description="Save session", button_style="success", icon="check"
        )
        self.save_button.add_class("ck-save-session")
        self.save_button.on_click(lambda _: self.ask_to_save())
        # Saving is two steps. Text boxes send every key to the kernel (for the draft), and
        # ipywidgets holds a box's later keys back while the kernel is busy with an earlier one
        # but sends a click at once: a session saved on the first click could miss the last
        # words typed. By the time the confirmation has reached the browser, every key typed
        # before the first click has reached the kernel, so the record holds all of it.
        self.confirm_button = w.Button(
            description="Save the record", button_style="success", icon="check"
        )
        self.confirm_button.add_class("ck-confirm-save")
        self.confirm_button.on_click(lambda _: self.confirm_save())
        self.keep_editing_button = w.Button(description="Keep editing")
        self.keep_editing_button.on_click(lambda _: self.keep_editing())
        self.confirm_box = w.VBox(
            [
                w.HTML(
                    "<p>Save this session as a record on the case file? Its decisions and "
                    "judgements are added to the case, and the draft is cleared.</p>"
                ),
                w.HBox([self.confirm_button, self.keep_editing_button]),
            ],
            layout=w.Layout(display="none"),
        )
        self.saved_pick = w.Dropdown(description="Record", options=[])
        self.export_html_button = w.Button(description="Export HTML")
        self.export_docx_button = w.Button(description="Export Word")
        self.export_html_button.on_click(lambda _: self.export(self.saved_pick.value, ".html"))
        self.export_docx_button.on_click(lambda _: self.export(self.saved_pick.value, ".docx"))
        self.include_support = w.Checkbox(
            value=False,
            description="Include the support notes (the worker's wellbeing) in the export",
            indent=False,
            layout=w.Layout(width="auto"),
        )
        self.include_support.add_class("ck-include-support")
        self.export_reason = w.Text(
            description="Why",
            placeholder="why this record leaves the store (kept in its access log; optional)",
            layout=_WIDE,
            style=_LABEL,
        )
        self.export_reason.add_class("ck-export-reason")
        self.export_message = w.HTML()

        super().__init__(
            [
                w.HTML(
                    f"<h3>Reflective supervision: case {html.escape(case_id)}</h3><p>Supervisor "
                    f"{html.escape(self.supervisor)} · worker {html.escape(self.worker or '—')}"
                    f" · team {html.escape(case['team_id'])}</p>"
                ),
                self.status,
                view,
                w.HTML(
                    "<h4>The child's voice</h4><p>What the young person wants, feels and hopes "
                    "for, in their own words where possible.</p>"
                ),
                self.seen_alone_view,
                self.child_voice,
                w.HTML("<h4>The reflective cycle</h4>"),
                self.cycle,
                w.HTML(
                    "<h4>The four functions</h4><p>Notes on each function of supervision. The "
                    "support notes stay private: they are kept with the record and left out of "
                    "the case-file export unless you choose to include them.</p>"
                ),
                self.function_tabs,
                w.HTML(
                    "<h4>Hypotheses</h4><p>At least two competing explanations of what is "
                    "happening. Link the chronology entries that support or weaken each, and "
                    "say how you will test it with the family.</p>"
                ),
                self.hypothesis_box,
                self.add_hypothesis_button,
                w.HTML(
                    "<h4>Actions agreed</h4><p>Each action agreed, and whose interests it serves: "
                    "the child and family, the worker, the organisation, partner agencies.</p>"
                ),
                self.action_box,
                self.add_action_button,
                w.HTML("<h4>Decision</h4>"),
                w.VBox(
                    list(self.decision.values())
                    + [self.decision_evidence, self.decision_serves_box]
                ),
                self.add_decision_button,
                self.flag_panel,
                self.decision_list,
                w.HBox([self.remove_pick, self.remove_button]),
                w.HTML(
                    "<h4>Scaled judgements</h4><p>0 = the child cannot stay at home; 10 = "
                    "everyone agrees it is safe enough to close.</p>"
                ),
                w.VBox(rows),
                self.save_button,
                self.confirm_box,
                self.message,
                w.HTML("<h4>Saved records</h4>"),
                w.HBox([self.saved_pick, self.export_html_button, self.export_docx_button]),
                self.include_support,
                self.export_reason,
                self.export_message,
            ]
        )
        self.add_class("ck-supervision-session")
        self.refresh_case()
        draft = self.store.draft(self.key)
        if draft and "session" in draft:
            self.fill(Session.from_dict(draft["session"]), draft.get("decision_form") or {})
            when = html.escape(str(draft.get("saved_at", "")))
            self.status.value = f"Reopened your draft{(' from ' + when) if when else ''}."
        else:
            self.fill(Session(case_id, self.supervisor, self.worker), {})
            self.status.value = "A new session: every change is saved as a draft as you type."
        self.refresh_saved()
        for control in self._inputs():
            control.observe(lambda _: self.autosave(), names="value")
        self._loading = False

    # --- building the controls --------------------------------------------------------------

    def _cycle(self) -> w.Tab:
        """Build the reflective cycle: a tab per stage with its prompts, then Social GRACES."""
        self.stages = {}
        pages = []
        for stage in STAGES:
            area = w.Textarea(
                description=stage.title, placeholder=stage.asks, rows=7, layout=_WIDE, style=_LABEL
            )
            area.add_class(f"ck-stage-{stage.key}")
            self.stages[stage.key] = area
            prompts = "".join(f"<li>{html.escape(p)}</li>" for p in stage.prompts)
            pages.append(
                w.VBox([w.HTML(f"<p><b>{html.escape(stage.asks)}</b></p><ul>{prompts}</ul>"), area])
            )
        self.graces = {g: w.Checkbox(description=g, indent=False) for g in GRACES}
        for g, box in self.graces.items():
            box.add_class(f"ck-grace-{g.replace(' ', '-')}")
        self.graces_notes = w.Textarea(
            placeholder="Where might difference be read as risk? What would change if it were "
            "not there?",
            rows=4,
            layout=_WIDE,
            description="Notes on difference",
            style=_LABEL,
        )
        self.graces_notes.add_class("ck-graces-notes")
        pages.append(
            w.VBox(
                [
                    w.HTML(
                        "<p><b>Social GRACES.</b> Tick each aspect of difference you talked "
                        "about, and note whether it is being read as risk.</p>"
                    ),
                    w.GridBox(
                        list(self.graces.values()),
                        layout=w.Layout(grid_template_columns="repeat(4, 12em)"),
                    ),
                    self.graces_notes,
                ]
            )
        )
        cycle = w.Tab(children=pages)
        for i, stage in enumerate(STAGES):
            cycle.set_title(i, f"{i + 1} {stage.title}")
        cycle.set_title(len(STAGES), "Social GRACES")
        return cycle

    def _functions(self) -> w.Tab:
        """Build a tab per function of supervision: its meaning, then its notes."""
        self.functions = {}
        pages = []
        for f in FUNCTIONS:
            area = w.Textarea(description=f"{f.title} notes", rows=5, layout=_WIDE, style=_LABEL)
            area.add_class(f"ck-function-{f.key}")
            self.functions[f.key] = area
            private = (
                "<p><i>Private: kept with the supervision record, left out of the case-file "
                "export unless you choose to include it.</i></p>"
                if f.key in PRIVATE_FUNCTIONS
                else ""
            )
            pages.append(w.VBox([w.HTML(f"<p><b>{html.escape(f.meaning)}</b></p>{private}"), area]))
        tabs = w.Tab(children=pages)
        for i, f in enumerate(FUNCTIONS):
            tabs.set_title(i, f.title)
        return tabs

    @staticmethod
    def _serves_boxes(chosen: list[str], cls: str) -> dict[str, w.Checkbox]:
        """Build a tick box per stakeholder, ticked where ``chosen`` names it."""
        boxes = {}
        for key, label in STAKEHOLDERS.items():
            box = w.Checkbox(
                value=key in chosen,
                description=f"serves the {label}",
                indent=False,
                layout=w.Layout(width="auto"),
            )
            box.add_class(f"{cls}-{key}")
            boxes[key] = box
        return boxes

    def _decision_controls(self) -> None:
        """Build the decision form, its flag panel and the list of the session's decisions."""
        self.decision = {
            "response": field_control("decisions", "response"),
            "lead_agency": field_control("decisions", "lead_agency"),
            "family_engaged": field_control("decisions", "family_engaged"),
            "rationale": field_control("decisions", "rationale"),
        }
        self.decision_evidence = w.SelectMultiple(description="Evidence", layout=_PICK)
        self.decision_evidence.add_class("ck-field-evidence_ids")
        self.decision_serves = self._serves_boxes([], "ck-decision-serves")
        self.decision_serves_box = w.HBox(
            [w.HTML("Whose interests does it serve?"), *self.decision_serves.values()]
        )
        self.add_decision_button = w.Button(
            description="Check and add decision",
            button_style="primary",
            layout=w.Layout(width="auto"),
        )
        self.add_decision_button.add_class("ck-add-decision")
        self.add_decision_button.on_click(lambda _: self.add_decision())
        self.flag_view = w.HTML()
        self.flag_view.add_class("ck-decision-flags")
        self.flag_reason = w.Textarea(
            placeholder="Why this decision stands despite the flag (kept with the decision)",
            rows=2,
            layout=_WIDE,
            description="Why it stands",
            style=_LABEL,
        )
        self.flag_reason.add_class("ck-flag-reason")
        self.add_anyway_button = w.Button(
            description="Add it with this reason", layout=w.Layout(width="auto")
        )
        self.add_anyway_button.add_class("ck-add-anyway")
        self.add_anyway_button.on_click(lambda _: self.add_despite_flags())
        self.reconsider_button = w.Button(description="Reconsider")
        self.reconsider_button.on_click(lambda _: self.reconsider())
        self.flag_panel = w.VBox(
            [
                self.flag_view,
                self.flag_reason,
                w.HBox([self.add_anyway_button, self.reconsider_button]),
            ],
            layout=w.Layout(display="none"),
        )
        self.decision_list = w.HTML()
        self.decision_list.add_class("ck-decisions")
        self.remove_pick = w.Dropdown(description="Decision", options=[])
        self.remove_button = w.Button(description="Remove")
        self.remove_button.on_click(lambda _: self.remove_decision(self.remove_pick.value))
        self._flagged: ProposedDecision | None = None
        self.flag_names: list[str] = []

    def _judgement_rows(self) -> list[w.HBox]:
        """Build a scale (0 to 10, or not judged) and a reason for each level."""
        self.scales = {}
        self.scale_reasons = {}
        rows = []
        for level in LEVELS:
            self.scales[level] = w.Dropdown(options=_SCALE, description=level.capitalize())
            self.scales[level].add_class(f"ck-scale-{level}")
            self.scale_reasons[level] = w.Text(
                placeholder="why",
                description=f"Why ({level})",
                layout=w.Layout(width="40em"),
                style={"description_width": "initial"},
            )
            rows.append(w.HBox([self.scales[level], self.scale_reasons[level]]))
        return rows

    # --- the case in view -----------------------------------------------------------------------

    def refresh_case(self) -> None:
        """Read the case again and show its summary, significant entries and current flags."""
        self.case = self.store.case_casebook(self.case_id)
        c = self.case.cases.iloc[0]
        events = self.case.events.sort_values(["date", "event_id"])
        self.entries = [(_entry_label(e), e["event_id"]) for _, e in events.iterrows()]
        decisions = escalations(self.case.decisions)
        care = decisions[~decisions["channel"]]
        now = (
            f"{str(care.iloc[-1]['response']).replace('_', ' ')} since "
            f"{care.iloc[-1]['date']:%d %b %Y}"
            if len(care)
            else "no social-care decision yet"
        )
        adopted = decisions.loc[decisions["channel"], "date"]
        if len(adopted):
            now += "; Channel support (voluntary, beside social care) adopted " + ", ".join(
                f"{d:%d %b %Y}" for d in adopted
            )
        raised = flags(self.case)
        still = raised[raised["status"] == "open"].sort_values(["date", "flag"], kind="stable")
        flag_items = "".join(
            f"<li>{f.date:%d %b %Y} · <b>{html.escape(str(f.flag).replace('_', ' '))}</b>: "
            f"{html.escape(str(f.reason))}</li>"
            for f in still.itertuples()
        )
        past = len(raised) - len(still)
        history = (
            f"<p>{past} past flag{'' if past == 1 else 's'} (history: the case closed or the "
            "condition no longer holds) not listed.</p>"
            if past
            else ""
        )
        overdue = overdue_actions(self.case, dt.date.today())
        overdue_items = "".join(
            f"<li>{html.escape(str(a.action_id))}: {html.escape(str(a.description))} "
            f"({html.escape(str(a.owner_agency).replace('_', ' '))}), due {a.due:%d %b %Y}, "
            f"{a.days_overdue} day{'' if a.days_overdue == 1 else 's'} overdue</li>"
            for a in overdue.itertuples()
        )
        high = events[events["significance"].astype(str) == "high"]
        rows = "".join(
            f"<tr><td>{e['date']:%Y-%m-%d}</td>"
            f"<td>{html.escape(str(e['source_agency']).replace('_', ' '))}</td>"
            f"<td>{html.escape(str(e['category']).replace('_', ' '))}"
            f"{' (not a concern in itself)' if e['category'] in BELIEF_CATEGORIES else ''}</td>"
            f"<td>{html.escape(str(e['summary']))}</td></tr>"
            for _, e in high.iterrows()
        )
        concerns = ", ".join(str(x).replace("_", " ") for x in c["concern_flags"]) or "—"
        closed = f" · closed {c['closed']:%d %b %Y}" if pd.notna(c["closed"]) else " · open"
        self.case_view.value = (
            f"<p>Child {html.escape(str(c['child_id']))} · opened {c['opened']:%d %b %Y}{closed}"
            f" · concerns: {html.escape(concerns)} · response now: {html.escape(now)} · "
            f"{len(events)} chronology entries</p>"
            "<p><b>Proportionality flags open now</b>, oldest first, with the day each arose "
            "(prompts for supervision, not findings)</p>"
            + (f"<ul>{flag_items}</ul>" if flag_items else "<p>None open.</p>")
            + history
            + "<p><b>Plan actions overdue now</b> (due before today, not completed)</p>"
            + (f"<ul>{overdue_items}</ul>" if overdue_items else "<p>None overdue.</p>")
            + f"<p><b>Significant entries</b> ({len(high)} of high significance)</p>"
            + (
                "<table style='border-collapse: collapse' cellpadding='4'><tr><th>Date</th>"
                "<th>Source</th><th>Category</th><th>What happened"
                f"</th></tr>{rows}</table>"
                if rows
                else "<p>None.</p>"
            )
        )
        for area in [self.decision_evidence, *[x for h in self.hypotheses for x in h[1:]]]:
            area.options = self.entries
        self.show_seen_alone()

    def show_seen_alone(self) -> None:
        """Show when the child was last seen alone, as the record stood on the session's date."""
        when = getattr(self, "_date", None) or dt.date.today().isoformat()
        seen = seen_alone(self.case, self.case_id, when)
        self.seen_alone_view.value = f"<p><b>Seen alone.</b> {html.escape(seen.text())}</p>"

    # --- reading and filling the form -----------------------------------------------------------

    def _inputs(self) -> list[w.Widget]:
        """List the controls whose every change is autosaved (hypotheses observe their own)."""
        controls: list[w.Widget] = [*self.stages.values(), *self.graces.values()]
        controls += [self.graces_notes, *self.decision.values(), self.decision_evidence]
        controls += [*self.functions.values(), self.child_voice, *self.decision_serves.values()]
        return controls + [*self.scales.values(), *self.scale_reasons.values(), self.flag_reason]

    def read(self) -> Session:
        """Return the session as the form shows it (decisions already added included)."""
        s = Session(self.case_id, self.supervisor, self.worker, date=self._date)
        s.stages = {k: typed_text(area.value) for k, area in self.stages.items()}
        s.graces = [g for g, box in self.graces.items() if box.value]
        s.graces_notes = typed_text(self.graces_notes.value)
        s.hypotheses = [
            Hypothesis(typed_text(t.value), list(sup.value), list(wk.value), typed_text(test.value))
            for (t, sup, wk), test in zip(self.hypotheses, self.hypothesis_tests, strict=True)
        ]
        s.functions = {k: typed_text(area.value) for k, area in self.functions.items()}
        s.child_voice = typed_text(self.child_voice.value)
        s.actions = [
            AgreedAction(typed_text(text.value), [k for k, box in boxes.items() if box.value])
            for text, boxes in self.actions
        ]
        s.decisions = list(self._decisions)
        s.judgements = {
            level: ScaledJudgement(
                self.scales[level].value, typed_text(self.scale_reasons[level].value)
            )
            for level in LEVELS
        }
        return s

    def decision_form(self) -> ProposedDecision:
        """Return the decision the decision form describes."""
        return ProposedDecision(
            response=self.decision["response"].value,
            lead_agency=self.decision["lead_agency"].value,
            family_engaged=bool(self.decision["family_engaged"].value),
            rationale=typed_text(self.decision["rationale"].value),
            evidence_ids=list(self.decision_evidence.value),
            serves=[k for k, box in self.decision_serves.items() if box.value],
        )

    def fill(self, session: Session, form: dict[str, object]) -> None:
        """Show ``session`` (and a half-written decision ``form``) in the controls."""
        loading, self._loading = self._loading, True
        self._date = session.date
        for key, area in self.stages.items():
            area.value = session.stages.get(key, "")
        for g, box in self.graces.items():
            box.value = g in session.graces
        self.graces_notes.value = session.graces_notes
        for key, area in self.functions.items():
            area.value = session.functions.get(key, "")
        self.child_voice.value = session.child_voice
        self.hypotheses = []
        self.hypothesis_tests = []
        for h in session.hypotheses:
            self._hypothesis_controls(h)
        self.actions = []
        for a in session.actions:
            self._action_controls(a)
        self._decisions = list(session.decisions)
        d = ProposedDecision.from_form(form)
        self._fill_decision_form(d)
        for level in LEVELS:
            j = session.judgements.get(level, ScaledJudgement())
            self.scales[level].value = j.scale
            self.scale_reasons[level].value = j.rationale
        self._show_decisions()
        self.show_seen_alone()
        self._loading = loading

    def _fill_decision_form(self, d: ProposedDecision) -> None:
        for name in ("response", "lead_agency", "rationale"):
            set_field_value(self.decision[name], getattr(d, name))
        self.decision["family_engaged"].value = d.family_engaged
        known = {v for _, v in self.entries}
        self.decision_evidence.value = tuple(e for e in d.evidence_ids if e in known)
        for key, box in self.decision_serves.items():
            box.value = key in d.serves

    def _hypothesis_controls(self, h: Hypothesis) -> None:
        i = len(self.hypotheses) + 1
        text = w.Textarea(
            value=h.text,
            placeholder=f"Hypothesis {i}: what might explain this?",
            rows=2,
            layout=_WIDE,
        )
        text.add_class(f"ck-hypothesis-{i}")
        text.description, text.style = f"Hypothesis {i}", _LABEL
        test = w.Textarea(
            value=h.test,
            description="Test with the family",
            placeholder="How will we test this with the family?",
            rows=2,
            layout=_WIDE,
            style=_LABEL,
        )
        test.add_class(f"ck-hypothesis-test-{i}")
        known = {v for _, v in self.entries}
        supports = w.SelectMultiple(
            options=self.entries, value=tuple(e for e in h.supports if e in known),
            description="Supports", layout=_PICK,
        )  # fmt: skip
        weakens = w.SelectMultiple(
            options=self.entries, value=tuple(e for e in h.weakens if e in known),
            description="Weakens", layout=_PICK,
        )  # fmt: skip
        self.hypotheses.append((text, supports, weakens))
        self.hypothesis_tests.append(test)
        for control in (text, supports, weakens, test):
            control.observe(lambda _: self.autosave(), names="value")
        self.hypothesis_box.children = [
            w.VBox([t, w.HBox([s, k]), test])
            for (t, s, k), test in zip(self.hypotheses, self.hypothesis_tests, strict=True)
        ]

    def _action_controls(self, a: AgreedAction) -> None:
        i = len(self.actions) + 1
        text = w.Textarea(
            value=a.text,
            description=f"Action {i}",
            placeholder="What will be done, by whom and by when?",
            rows=2,
            layout=_WIDE,
            style=_LABEL,
        )
        text.add_class(f"ck-action-{i}")
        boxes = self._serves_boxes(a.serves, f"ck-action-{i}-serves")
        self.actions.append((text, boxes))
        for control in (text, *boxes.values()):
            control.observe(lambda _: self.autosave(), names="value")
        self.action_box.children = [
            w.VBox([t, w.HBox([w.HTML(f"Action {n} serves:"), *b.values()])])
            for n, (t, b) in enumerate(self.actions, 1)
        ]

    # --- handlers -------------------------------------------------------------------------------

    def autosave(self) -> None:
        """Save everything on screen as this supervisor's draft of the session."""
        if self._loading:
            return
        draft = {
            "session": self.read().to_dict(),
            "decision_form": asdict(self.decision_form()),
            "saved_at": f"{dt.datetime.now():%Y-%m-%d %H:%M:%S}",
        }
        try:
            self.store.save_draft(self.key, draft, by=self.supervisor)
        except Exception as exc:  # a locked or read-only store: say so, loudly
            say(
                self.status,
                f"The draft could NOT be saved ({exc}). Copy your text somewhere safe.",
                error=True,
            )
            return
        self.status.value = f"Draft saved at {dt.datetime.now():%H:%M:%S}."

    def add_hypothesis(self) -> None:
        """Add another, empty, hypothesis."""
        self._hypothesis_controls(Hypothesis())
        self.autosave()

    def add_action(self) -> None:
        """Add another, empty, action agreed."""
        self._action_controls(AgreedAction())
        self.autosave()

    def add_decision(self) -> None:
        """Check the decision form; add the decision, or show the flags it would raise first."""
        d = self.decision_form()
        try:
            raised = decision_flags(self.case, self.read(), d)
        except CasekitError as exc:
            say(self.message, f"Decision not added: {exc}", error=True)
            return
        if raised.empty:
            self._accept(d)
            return
        self._flagged = d
        items = "".join(
            f"<li><b>{html.escape(str(f.flag).replace('_', ' '))}</b>: "
            f"{html.escape(str(f.reason))}</li>"
            for f in raised.itertuples()
        )
        self.flag_view.value = (
            "<p style='color:#b2182b'><b>This decision would raise a proportionality flag."
            f"</b></p><ul>{items}</ul><p>Reconsider it, or record why it stands.</p>"
        )
        self.flag_names = [str(f) for f in raised["flag"]]
        self.flag_panel.layout.display = "flex"
        say(self.message, "Not added yet: see the flag above.", error=True)

    def add_despite_flags(self) -> None:
        """Add the flagged decision, keeping the reason given for it to stand."""
        if self._flagged is None:
            return
        reason = typed_text(self.flag_reason.value).strip()
        if not reason:
            say(self.message, "Write why the decision stands before adding it.", error=True)
            return
        self._flagged.flags_considered = f"{', '.join(self.flag_names)}. {reason}"
        self._accept(self._flagged)

    def reconsider(self) -> None:
        """Put the flagged decision back in the form to change it."""
        self._flagged = None
        self.flag_panel.layout.display = "none"
        self.flag_reason.value = ""
        say(self.message, "The decision is back in the form: change it, then check it again.")

    def _accept(self, d: ProposedDecision) -> None:
        self._decisions.append(d)
        self._flagged = None
        self.flag_panel.layout.display = "none"
        loading, self._loading = self._loading, True
        self.flag_reason.value = ""
        self._fill_decision_form(ProposedDecision())
        self._loading = loading
        self._show_decisions()
        say(self.message, "Decision added to the session; it is saved with the session.")
        self.autosave()

    def remove_decision(self, index: int | None) -> None:
        """Remove one of the session's decisions (before the session is saved)."""
        if index is None or not 0 <= index < len(self._decisions):
            say(self.message, "Choose a decision to remove.", error=True)
            return
        del self._decisions[index]
        self._show_decisions()
        self.autosave()

    def _show_decisions(self) -> None:
        items = []
        for d in self._decisions:
            text = (
                f"{(d.response or '').replace('_', ' ')}, led by "
                f"{(d.lead_agency or '').replace('_', ' ')}"
                f"{'' if d.family_engaged else ', family not engaged'}; "
                f"evidence: {', '.join(d.evidence_ids) or 'none'}"
            )
            note = f" — flags considered: {d.flags_considered}" if d.flags_considered else ""
            items.append(f"<li>{html.escape(text + note)}</li>")
        self.decision_list.value = (
            f"<p>Decisions in this session:</p><ol>{''.join(items)}</ol>" if items else ""
        )
        self.remove_pick.options = [(f"{i + 1}", i) for i in range(len(self._decisions))]

    def ask_to_save(self) -> None:
        """Show the confirmation that saves the session (see ``confirm_button``)."""
        self.confirm_box.layout.display = None
        say(self.message, "Check the session, then press 'Save the record'.")

    def keep_editing(self) -> None:
        """Hide the confirmation; nothing is saved, the draft is kept."""
        self.confirm_box.layout.display = "none"
        say(self.message, "Not saved yet; your draft is kept.")

    def confirm_save(self) -> str | None:
        """Save the session after its confirmation; return its id (None if it was refused)."""
        self.confirm_box.layout.display = "none"
        return self.save_session()

    def save_session(self) -> str | None:
        """Save the session, its decisions and judgements to the store; return its id."""
        try:
            sid = save(self.store, self.read())
        except CasekitError as exc:
            say(self.message, f"Not saved; your draft is kept. {exc}", error=True)
            return None
        self.fill(Session(self.case_id, self.supervisor, self.worker), {})
        self.refresh_case()
        self.timeline.refresh()
        self.refresh_saved(sid)
        say(self.message, f"Saved as {sid}. Export it for the case file below.")
        self.status.value = "A new session starts here."
        return sid

    def refresh_saved(self, chosen: str | None = None) -> None:
        """List the case's saved sessions, newest first."""
        rows = self.store.case_rows("supervisions", self.case_id)
        rows = rows.sort_values("date", ascending=False)
        self.saved_pick.options = [
            (f"{r.date} · {r.supervisor} · {r.supervision_id}", r.supervision_id)
            for r in rows.itertuples()
        ]
        if chosen:
            self.saved_pick.value = chosen

    def export(self, supervision_id: str | None, suffix: str) -> Path | None:
        """Export a saved session's record into the exports folder as .html or .docx."""
        if not supervision_id:
            say(self.export_message, "Choose a saved record to export.", error=True)
            return None
        try:
            folder = private_folder(export_folder(self.exports, self.store.user))
            name = f"supervision-{self.case_id}-{supervision_id}"
            path = folder / f"{safe_name(name, 'case and record ID')}{suffix}"
            reason = typed_text(self.export_reason.value).strip() or None
            written = export_logged(
                self.store, supervision_id, path, self.include_support.value, reason=reason
            )
        except (CasekitError, OSError) as exc:
            say(self.export_message, f"Not exported: {exc}", error=True)
            return None
        support = (
            "with the support notes" if self.include_support.value else "support notes left out"
        )
        say_exported(
            self.export_message,
            f"Exported to {written.resolve()} ({support}).",
            written,
            self.store.user,
        )
        return written
