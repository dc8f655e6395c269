"""Reflective supervision (Morrison's 4x4x4 model): a session's content, checks and saving.

A :class:`Session` holds what a supervisor and worker write in one session: the four stages of
the reflective cycle (experience, reflection, analysis, action plan), notes on the four
functions (management, support, development, mediation), the child's voice, a Social GRACES
check, competing hypotheses tied to chronology entries (each with how it will be tested with
the family), the actions agreed and proposed decisions with whose interests each serves (the
four stakeholders), and scaled judgements.
It is plain data: it turns into a JSON-able dict (the autosaved draft) and back. These
functions check it, preview the proportionality flags a proposed decision (or closing the case:
:func:`closure_flags`) would raise, and save it into a casebook store in one transaction: the
decisions into ``decisions``, the judgements into ``judgements`` and the session into
``supervisions``.
:class:`casekit.widgets.SupervisionSession` is a thin layer over this module.

>>> s = Session(case_id="C1", supervisor="Sam", worker="Alex", date="2025-03-01")
>>> [stage.title for stage in STAGES]
['Experience', 'Reflection', 'Analysis', 'Action plan']
>>> [f.title for f in FUNCTIONS]
['Management', 'Support', 'Development', 'Mediation']
>>> Session.from_dict(s.to_dict()) == s
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import pandas as pd

from casekit.analysis.casework import last_seen_alone
from casekit.analysis.proportionality import flags
from casekit.bundle.casebook import Casebook
from casekit.bundle.io import RawTable, canonical, cell_to_str, clean_frame
from casekit.bundle.validation import check_table
from casekit.contract import LEVELS
from casekit.errors import CasekitError, Problem
from casekit.store.db import Store

__all__ = [
    "STAGES",
    "FUNCTIONS",
    "STAKEHOLDERS",
    "GRACES",
    "Stage",
    "Function",
    "Hypothesis",
    "AgreedAction",
    "ProposedDecision",
    "ScaledJudgement",
    "Session",
    "draft_key",
    "check",
    "decision_flags",
    "closure_flags",
    "hypotheses_text",
    "graces_text",
    "actions_text",
    "decision_stakeholders_text",
    "serves_text",
    "judgement_id",
    "SeenAlone",
    "seen_alone",
    "save",
]


@dataclass(frozen=True)
class Stage:
    """One stage of the reflective cycle, with what it asks and its prompts."""

    key: str
    title: str
    asks: str
    prompts: tuple[str, ...]


STAGES: tuple[Stage, ...] = (
    Stage(
        "experience",
        "Experience",
        "What happened, and what was it like? The worker's account of the case and the work.",
        (
            "What is it like to be this young person in this family?",
            "What do the family hope for?",
        ),
    ),
    Stage(
        "reflection",
        "Reflection",
        "What feelings, assumptions and differences shaped how it was seen?",
        (
            "Is this belief or behaviour?",
            "Is difference being read as risk? Use the Social GRACES check.",
        ),
    ),
    Stage(
        "analysis",
        "Analysis",
        "What does it mean? Weigh the evidence, what is missing, and the explanations.",
        (
            "What do partners hold that we cannot see, and how does it weigh?",
            "Is compliance genuine or disguised, and on what evidence?",
        ),
    ),
    Stage(
        "actions",
        "Action plan",
        "What will be done, by whom and by when, and how will we know it helped?",
        (
            "What would a business-as-usual safeguarding response be?",
            "How does the plan build on what the family hope for, and what possibilities can "
            "we help bring about?",
            "Has a family group conference been offered?",
            "Is anything being closed too early?",
        ),
    ),
)
"""The reflective cycle (Kolb, as Morrison's 4x4x4 model uses it), in order."""


@dataclass(frozen=True)
class Function:
    """One of supervision's four functions, with the one-line meaning shown beside its notes."""

    key: str
    title: str
    meaning: str


FUNCTIONS: tuple[Function, ...] = (
    Function("management", "Management", "Is the work being done, and done well?"),
    Function(
        "support",
        "Support",
        "The worker's emotional load: this work carries fear, public and media pressure, and "
        "moral distress.",
    ),
    Function("development", "Development", "What is the worker learning?"),
    Function(
        "mediation",
        "Mediation",
        "Between the worker, the organisation and partners, such as police pressure to escalate.",
    ),
)
"""Morrison's four functions of supervision, in the order practice.md gives them."""

PRIVATE_FUNCTIONS: tuple[str, ...] = ("support",)
"""Functions whose notes stay with the supervision record and out of the case-file export
unless the supervisor chooses to include them (the worker's wellbeing)."""

STAKEHOLDERS: dict[str, str] = {
    "child_family": "child and family",
    "worker": "worker",
    "organisation": "organisation",
    "partners": "partner agencies",
}
"""The four stakeholders whose interests an action or decision can serve: key, then label."""

GRACES: tuple[str, ...] = (
    "gender",
    "geography",
    "race",
    "religion",
    "age",
    "ability",
    "appearance",
    "class",
    "culture",
    "education",
    "employment",
    "ethnicity",
    "sexuality",
    "sexual orientation",
    "spirituality",
)
"""The Social GRACES: aspects of difference to check are not being read as risk."""

MIN_HYPOTHESES = 2
"""Systemic supervision weighs at least two competing explanations."""


@dataclass
class Hypothesis:
    """An explanation of what is happening, and the entries that support or weaken it."""

    text: str = ""
    supports: list[str] = field(default_factory=list)
    weakens: list[str] = field(default_factory=list)
    test: str = ""
    """How will we test this with the family?"""


@dataclass
class AgreedAction:
    """An action agreed in the session, and whose interests it serves (:data:`STAKEHOLDERS`)."""

    text: str = ""
    serves: list[str] = field(default_factory=list)


@dataclass
class ProposedDecision:
    """A decision the session proposes; it reaches the store when the session is saved.

    ``flags_considered`` records why the decision stands when it raises proportionality flags.
    """

    response: str | None = None
    lead_agency: str | None = None
    family_engaged: bool = False
    rationale: str = ""
    evidence_ids: list[str] = field(default_factory=list)
    flags_considered: str = ""
    serves: list[str] = field(default_factory=list)
    """Whose interests the decision serves (:data:`STAKEHOLDERS` keys)."""

    @classmethod
    def from_form(cls, form: dict[str, Any] | None) -> ProposedDecision:
        """Rebuild a decision from its dict (a draft's, older or newer); empty when None."""
        d = cls(**_known(cls, form or {}))
        d.serves = _stakeholders(d.serves)
        return d


@dataclass
class ScaledJudgement:
    """A scaled judgement of safety (0-10) for one level: child, family or community."""

    scale: int | None = None
    rationale: str = ""


def _blank_hypotheses() -> list[Hypothesis]:
    return [Hypothesis() for _ in range(MIN_HYPOTHESES)]


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """Keep the keys of ``data`` that ``cls`` has fields for (a draft may be older or newer)."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def _stakeholders(keys: Collection[str] | None) -> list[str]:
    return [k for k in STAKEHOLDERS if k in (keys or [])]


@dataclass
class Session:
    """Everything written in one reflective supervision session, saved or not."""

    case_id: str
    supervisor: str
    worker: str
    date: str = field(default_factory=lambda: dt.date.today().isoformat())
    stages: dict[str, str] = field(default_factory=lambda: {s.key: "" for s in STAGES})
    graces: list[str] = field(default_factory=list)
    graces_notes: str = ""
    hypotheses: list[Hypothesis] = field(default_factory=_blank_hypotheses)
    decisions: list[ProposedDecision] = field(default_factory=list)
    functions: dict[str, str] = field(default_factory=lambda: {f.key: "" for f in FUNCTIONS})
    child_voice: str = ""
    actions: list[AgreedAction] = field(default_factory=lambda: [AgreedAction()])
    judgements: dict[str, ScaledJudgement] = field(
        default_factory=lambda: {level: ScaledJudgement() for level in LEVELS}
    )

    def to_dict(self) -> dict[str, Any]:
        """Return the session as a JSON-able dict (the autosaved draft)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        """Rebuild a session from :meth:`to_dict`'s dict; missing parts start empty.

        A draft written before the functions, the child's voice, the tests with the family
        and the stakeholders existed loads with those parts empty.
        """
        s = cls(str(data["case_id"]), str(data["supervisor"]), str(data["worker"]))
        s.date = str(data.get("date") or s.date)
        s.stages.update({k: str(v) for k, v in (data.get("stages") or {}).items()})
        s.graces = [g for g in data.get("graces") or [] if g in GRACES]
        s.graces_notes = str(data.get("graces_notes") or "")
        s.hypotheses = [Hypothesis(**_known(Hypothesis, h)) for h in data.get("hypotheses") or []]
        s.hypotheses += [Hypothesis() for _ in range(MIN_HYPOTHESES - len(s.hypotheses))]
        s.decisions = [ProposedDecision.from_form(d) for d in data.get("decisions") or []]
        s.functions.update(
            {k: str(v) for k, v in (data.get("functions") or {}).items() if k in s.functions}
        )
        s.child_voice = str(data.get("child_voice") or "")
        s.actions = [
            AgreedAction(str(a.get("text") or ""), _stakeholders(a.get("serves")))
            for a in data.get("actions") or []
        ] or [AgreedAction()]
        for level, j in (data.get("judgements") or {}).items():
            if level in s.judgements:
                s.judgements[level] = ScaledJudgement(**j)
        return s


def draft_key(case_id: str, supervisor: str) -> str:
    """Name the draft of a supervisor's session on a case (one draft each)."""
    return f"supervision/{case_id}/{supervisor}"


def check(session: Session) -> list[str]:
    """List what must be written before the session can be saved (empty when it can).

    >>> check(Session("C1", "Sam", "Alex"))[-1]
    'Hypotheses: 0 written; give at least 2 competing explanations of what is happening.'
    """
    problems = []
    for stage in STAGES:
        if not session.stages.get(stage.key, "").strip():
            problems.append(f"{stage.title}: nothing is written yet ({stage.asks})")
    written = [h for h in session.hypotheses if h.text.strip()]
    if len(written) < MIN_HYPOTHESES:
        problems.append(
            f"Hypotheses: {len(written)} written; give at least {MIN_HYPOTHESES} competing "
            "explanations of what is happening."
        )
    for i, h in enumerate(session.hypotheses, 1):
        if (h.supports or h.weakens) and not h.text.strip():
            problems.append(f"Hypothesis {i}: entries are linked but the explanation is empty.")
        elif h.test.strip() and not h.text.strip():
            problems.append(
                f"Hypothesis {i}: how to test it with the family is written but the "
                "explanation is empty."
            )
    for i, a in enumerate(session.actions, 1):
        if a.serves and not a.text.strip():
            problems.append(
                f"Action {i}: whose interests it serves is ticked but the action is empty; "
                "write the action or untick them."
            )
    return problems


def _decision_fields(d: ProposedDecision, case_id: str, date: str, by: str) -> dict[str, object]:
    rationale = d.rationale.strip()
    if d.flags_considered.strip():
        rationale += f"\nFlags considered: {d.flags_considered.strip()}"
    return {
        "case_id": case_id,
        "date": date,
        "response": d.response,
        "lead_agency": d.lead_agency,
        "family_engaged": d.family_engaged,
        "rationale": rationale.strip(),
        "evidence_ids": ";".join(d.evidence_ids),
        "decided_by": by,
    }


def _typed_decisions(
    case: Casebook, rows: list[dict[str, object]]
) -> tuple[pd.DataFrame, list[Problem]]:
    """Type the case's decisions with ``rows`` appended, as a loaded casebook would hold them."""
    frame = canonical(case.decisions, "decisions")
    added = pd.DataFrame([{k: cell_to_str(v) for k, v in r.items()} for r in rows], dtype=object)
    raw = pd.concat([frame, added], ignore_index=True).astype(object)
    typed, problems = check_table(
        RawTable("decisions", clean_frame(raw, 1), "decisions", row_word="decision")
    )
    return typed.reset_index(drop=True), problems


def decision_flags(case: Casebook, session: Session, decision: ProposedDecision) -> pd.DataFrame:
    """Return the proportionality flags ``decision`` would raise, with their reasons.

    ``case`` is the case's casebook (``Store.case_casebook``); the session's decisions proposed
    before this one count as taken. Raises :class:`CasekitError` when the decision is not
    complete enough to judge (no response, say).
    """
    proposed = [*session.decisions, decision]
    rows = [
        {"decision_id": f"proposed-{i}", **_decision_fields(d, session.case_id, session.date, "")}
        for i, d in enumerate(proposed, 1)
    ]
    typed, problems = _typed_decisions(case, rows)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise CasekitError(
            "the decision is not complete: "
            + "; ".join(f"{(p.column or '').replace('_', ' ')}: {p.expected}" for p in errors[:3])
        )
    tables = dict(case.tables, decisions=typed)
    raised = flags(Casebook(tables, case.source), as_of=session.date)
    me = f"proposed-{len(proposed)}"
    mine = raised.loc[raised["subject_id"] == me, ["flag", "reason"]].reset_index(drop=True)
    mine["reason"] = mine["reason"].str.replace(
        f"Decision {me} ({session.date})", "This decision", regex=False
    )
    return mine


def closure_flags(case: Casebook, case_id: str, date: str) -> pd.DataFrame:
    """Return the flags closing the case on ``date`` would raise: a preview, nothing is written.

    ``case`` is the case's casebook (``Store.case_casebook``). A closure within 30 days after a
    medium or high concern event, or while a latest judgement is 4 or lower, raises
    ``step_down_despite_concern`` on the case. Raises :class:`CasekitError` for a date that is
    not YYYY-MM-DD, a case that is not there or already closed, or a date before it opened.
    """
    try:
        when = pd.Timestamp(dt.date.fromisoformat(str(date).strip()))
    except ValueError:
        raise CasekitError(f"date: {date!r} is not a date; write it as YYYY-MM-DD.") from None
    rows = case.cases[case.cases["case_id"] == case_id]
    if rows.empty:
        raise CasekitError(f"there is no case {case_id!r} in {case.source}.")
    if pd.notna(rows["closed"].iloc[0]):
        raise CasekitError(
            f"case {case_id} was already closed on {rows['closed'].iloc[0]:%Y-%m-%d}."
        )
    if when < rows["opened"].iloc[0]:
        raise CasekitError(
            f"date: {when:%Y-%m-%d} is before case {case_id} opened "
            f"({rows['opened'].iloc[0]:%Y-%m-%d}); a case cannot close before it opens."
        )
    cases = case.cases.copy()
    cases.loc[cases["case_id"] == case_id, "closed"] = when
    raised = flags(Casebook(dict(case.tables, cases=cases), case.source), as_of=when)
    mine = raised[
        (raised["flag"].astype(str) == "step_down_despite_concern")
        & (raised["subject_id"] == case_id)
        & (raised["date"] == when)
    ]
    out = mine[["flag", "reason"]].reset_index(drop=True)
    out["flag"] = out["flag"].astype(str)
    out["reason"] = out["reason"].str.replace(
        f"The case was closed on {when:%Y-%m-%d}",
        f"Closing the case on {when:%Y-%m-%d} would come",
        regex=False,
    )
    return out


def hypotheses_text(session: Session) -> str:
    """Write the session's hypotheses as the text the ``supervisions`` table keeps.

    >>> s = Session("C1", "Sam", "Alex")
    >>> s.hypotheses = [Hypothesis("Exploring faith", ["E1"]), Hypothesis("Groomed", [], ["E1"])]
    >>> print(hypotheses_text(s))
    1. Exploring faith
       Supported by: E1
    2. Groomed
       Weakened by: E1
    """
    lines = []
    for i, h in enumerate([h for h in session.hypotheses if h.text.strip()], 1):
        lines.append(f"{i}. {h.text.strip()}")
        if h.supports:
            lines.append(f"   Supported by: {', '.join(h.supports)}")
        if h.weakens:
            lines.append(f"   Weakened by: {', '.join(h.weakens)}")
        if h.test.strip():
            lines.append(f"   Test with the family: {_indent(h.test.strip())}")
    return "\n".join(lines)


def _indent(text: str) -> str:
    """Indent a text's later lines under a numbered item, so it stays one item."""
    return "\n      ".join(text.splitlines())


def serves_text(keys: list[str]) -> str:
    """Name whose interests are served, in the order of :data:`STAKEHOLDERS`.

    >>> serves_text(["partners", "child_family"])
    'child and family, partner agencies'
    >>> serves_text([])
    'not recorded'
    """
    return ", ".join(STAKEHOLDERS[k] for k in STAKEHOLDERS if k in keys) or "not recorded"


def actions_text(session: Session) -> str:
    """Write the actions agreed, with whose interests each serves, as ``supervisions`` keeps them.

    >>> s = Session("C1", "Sam", "Alex")
    >>> s.actions = [AgreedAction("Offer a family group conference", ["child_family"])]
    >>> print(actions_text(s))
    1. Offer a family group conference
       Serves: child and family
    """
    lines = []
    for i, a in enumerate([a for a in session.actions if a.text.strip()], 1):
        lines.append(f"{i}. {_indent(a.text.strip())}")
        lines.append(f"   Serves: {serves_text(a.serves)}")
    return "\n".join(lines)


def decision_stakeholders_text(decision_ids: list[str], decisions: list[ProposedDecision]) -> str:
    """Write whose interests each decision serves, a line per decision id.

    >>> d = ProposedDecision("early_help", serves=["worker", "child_family"])
    >>> decision_stakeholders_text(["D7"], [d])
    'D7: child and family, worker'
    """
    return "\n".join(
        f"{did}: {serves_text(d.serves)}" for did, d in zip(decision_ids, decisions, strict=True)
    )


def graces_text(session: Session) -> str:
    """Write the Social GRACES check as the text the ``supervisions`` table keeps.

    >>> s = Session("C1", "Sam", "Alex", graces=["religion", "culture"], graces_notes="Faith")
    >>> print(graces_text(s))
    Considered: religion, culture
    Faith
    """
    chosen = [g for g in GRACES if g in session.graces]
    lines = [f"Considered: {', '.join(chosen)}"] if chosen else []
    if session.graces_notes.strip():
        lines.append(session.graces_notes.strip())
    return "\n".join(lines)


def judgement_id(supervision_id: str, level: str) -> str:
    """Name a judgement made in a session: the session's id and the level.

    The id ties the judgement to the session's record, and survives pseudonymisation.

    >>> judgement_id("V-1a2b", "family")
    'V-1a2b-family'
    """
    return f"{supervision_id}-{level}"


def seen_alone(case: Casebook, case_id: str, as_of: str) -> SeenAlone:
    """Say when the case's child was last seen alone on a visit, as the record stood at ``as_of``.

    Reads :func:`casekit.analysis.casework.last_seen_alone`. A case not open at ``as_of`` has no
    count.
    """
    rows = last_seen_alone(case, as_of)
    rows = rows[rows["case_id"] == case_id]
    if rows.empty:
        return SeenAlone(None, None, False, is_open=False)
    r = rows.iloc[0]
    day = None if pd.isna(r["last_seen_alone"]) else f"{r['last_seen_alone']:%Y-%m-%d}"
    return SeenAlone(day, int(r["working_days_since"]), bool(r["seen_alone_recorded"]))


@dataclass(frozen=True)
class SeenAlone:
    """When the child was last seen alone (YYYY-MM-DD or None), and working days since."""

    day: str | None
    working_days: int | None
    """Working days from ``day`` (or, never seen alone, from the case's opening) to the as-of."""
    recorded: bool
    """Whether any visit on the case records ``seen_alone`` either way."""
    is_open: bool = True

    def text(self) -> str:
        """Say it in a line that claims no more than the record.

        >>> SeenAlone("2024-03-04", 5, True).text()
        'Last seen alone on 04 Mar 2024 (a visit), 5 working days before the session.'
        """
        if not self.is_open:
            return (
                "The case was not open on the session's date, so no count of days since the "
                "child was last seen alone is kept."
            )
        if self.day:
            day = dt.date.fromisoformat(self.day)
            return (
                f"Last seen alone on {day:%d %b %Y} (a visit), {self.working_days} working "
                f"day{'' if self.working_days == 1 else 's'} before the session."
            )
        if self.recorded:
            return (
                "No visit on the record says the child was seen alone "
                f"({self.working_days} working days since the case opened)."
            )
        return (
            "No visit on the record says whether the child was seen alone "
            f"({self.working_days} working days since the case opened)."
        )


def save(store: Store, session: Session) -> str:
    """Save a session: its decisions, judgements and record in one transaction; return its id.

    The record keeps the day the child was last seen alone as the case stood on the session's
    date (:func:`seen_alone`), beside the child's voice.

    Raises :class:`CasekitError` listing what is missing (see :func:`check`), or
    :class:`~casekit.errors.WriteRefused` when the store refuses a record; either way nothing
    is written and the draft is kept.
    """
    problems = check(session)
    if problems:
        raise CasekitError("the session cannot be saved yet:\n- " + "\n- ".join(problems))
    seen = seen_alone(store.case_casebook(session.case_id), session.case_id, session.date)
    sid = store.new_id("supervisions")
    records: list[tuple[str, dict[str, object]]] = []
    decision_ids = []
    for d in session.decisions:
        did = store.new_id("decisions")
        decision_ids.append(did)
        fields = _decision_fields(d, session.case_id, session.date, session.supervisor)
        records.append(("decisions", {"decision_id": did, **fields}))
    for level, j in session.judgements.items():
        if j.scale is not None:
            records.append(
                (
                    "judgements",
                    {
                        "judgement_id": judgement_id(sid, level),
                        "case_id": session.case_id,
                        "date": session.date,
                        "level": level,
                        "safety_scale": j.scale,
                        "rationale": j.rationale.strip(),
                        "judged_by": session.supervisor,
                    },
                )
            )
    records.append(
        (
            "supervisions",
            {
                "supervision_id": sid,
                "case_id": session.case_id,
                "date": session.date,
                "supervisor": session.supervisor,
                "worker": session.worker,
                **{s.key: session.stages.get(s.key, "").strip() for s in STAGES},
                "hypotheses": hypotheses_text(session),
                "graces": graces_text(session),
                "decision_ids": ";".join(decision_ids),
                **{f.key: session.functions.get(f.key, "").strip() for f in FUNCTIONS},
                "child_voice": session.child_voice.strip(),
                "last_seen_alone": seen.day or "",
                "agreed_actions": actions_text(session),
                "decision_stakeholders": decision_stakeholders_text(
                    decision_ids, session.decisions
                ),
            },
        )
    )
    store.add_many(records, by=session.supervisor)
    store.discard_draft(draft_key(session.case_id, session.supervisor))
    return sid
