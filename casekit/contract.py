"""The case bundle contract: the one place that names tables, columns and vocabularies.

Everything else in casekit (validation, the store schema, the synthetic generator, widget
dropdowns and ``docs/data-contract.md``) reads from this module. A new vocabulary value is one
edit here.

>>> TABLES["events"].column("category").vocabulary[:2]
('belief_practice', 'views_expressed')
>>> RUNG["child_in_need"]
3
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Kind",
    "Column",
    "Table",
    "TABLES",
    "TABLE_ORDER",
    "REQUIRED_TABLES",
    "RESPONSE_LADDER",
    "RUNG",
    "CHANNEL",
    "RESPONSES",
    "CONCERN_CATEGORIES",
    "BELIEF_CATEGORIES",
    "STRENGTH_CATEGORIES",
    "STATUTORY_RESPONSES",
    "ORDERED_VOCABULARIES",
    "SAFETY_SCALE",
    "WORKER_ROLES",
    "CASE_HOLDING_ROLES",
    "SIGNIFICANCE",
    "LEVELS",
    "AGENCIES",
    "LIST_SEPARATOR",
    "CONTROL_CHARACTERS",
    "typed_text",
    "normalise_header",
    "to_markdown",
]

Kind = Literal[
    "id", "ref", "ids", "text", "date", "month", "bool", "int", "number", "vocab", "vocabs"
]
"""How a column's cells are read: an opaque id, a reference, a list of ids, free text, an ISO
date, a ``YYYY-MM`` month, a boolean, an integer, a number, one vocabulary value, or a list of
vocabulary values."""

LIST_SEPARATOR = ";"

CONTROL_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f" + "\ufffe\uffff]"
"""Characters no cell may hold (a regex for Python and Arrow alike): the C0 control characters
but tab, line feed and carriage return, and the non-characters U+FFFE and U+FFFF. No one types
them, and no workbook (XML) can store them."""


def typed_text(text: str) -> str:
    r"""Turn the line breaks a word processor pastes (U+000B, U+000C) into newlines.

    Word's soft line break is U+000B, a control character no record may hold; typed into a
    form, it means a new line, so the widgets keep it as one rather than refuse the text.

    >>> typed_text("Seen at home.\x0bMum present.\x0cNext visit Friday.")
    'Seen at home.\nMum present.\nNext visit Friday.'
    """
    return text.replace("\x0b", "\n").replace("\x0c", "\n")


# --- vocabularies -------------------------------------------------------------------------------

LEVELS = ("child", "family", "community")
AGENCIES = (
    "social_care",
    "education",
    "police",
    "health",
    "family",
    "community",
    "youth_justice",
    "housing",
    "voluntary_sector",
    "other",
)
SIGNIFICANCE = ("low", "medium", "high")

RESPONSE_LADDER = (
    "no_further_action",
    "signposted",
    "early_help",
    "child_in_need",
    "section_47",
    "child_protection_plan",
    "proceedings",
)
"""The social-care response ladder, least to most intrusive: its order defines escalation and
step-down."""

RUNG: dict[str, int] = {response: rung for rung, response in enumerate(RESPONSE_LADDER)}
"""Each social-care response's rung on the ladder (``no_further_action`` is 0)."""

CHANNEL = "channel_support"
"""Channel support: a valid ``response`` but not a rung. Channel is voluntary, needs consent and
runs beside social care, so a Channel decision leaves the social-care rung as it was."""

RESPONSES = (*RESPONSE_LADDER, CHANNEL)
"""Every valid ``decisions.response``: the ladder's rungs, then Channel support."""

STATUTORY_RESPONSES = ("section_47", "child_protection_plan", "proceedings")

SAFETY_SCALE = (0, 10)
"""The least and greatest ``judgements.safety_scale`` (Signs of Safety: 10 = safe enough to
close, 0 = the child cannot stay at home)."""

ORDERED_VOCABULARIES = frozenset({"response", "significance"})
"""The vocabulary columns whose values are ranked, least first (the ladder, then Channel;
``low`` to ``high``): a loaded bundle holds them as ordered categoricals, so they compare."""

CATEGORIES = (
    "belief_practice",
    "views_expressed",
    "influence_grooming",
    "extremist_behaviour",
    "harm",
    "vulnerability",
    "family_context",
    "community_context",
    "engagement",
    "protective",
    "aspiration",
    "agency_action",
    "uncategorised",
)
CATEGORY_MEANING: dict[str, tuple[str, str]] = {
    "belief_practice": ("faith, belief or religious practice", "no"),
    "views_expressed": ("opinions, including radical or offensive views", "no"),
    "influence_grooming": (
        "being influenced or groomed towards hatred of others or violence",
        "potential concern",
    ),
    "extremist_behaviour": (
        "acts: violence, threats, planning, sharing material to incite, recruiting",
        "yes",
    ),
    "harm": ("harm to the child from any source", "yes"),
    "vulnerability": (
        "isolation, bullying, mental health, exclusion, online exposure",
        "context for risk",
    ),
    "family_context": ("family circumstances and associations", "no, not alone"),
    "community_context": ("community tensions, resources, events", "context"),
    "engagement": (
        "how the family and child engage: genuine, partial, disguised compliance, none",
        "context",
    ),
    "protective": ("protective factors", "strength"),
    "aspiration": ("hopes, dreams, possibilities the family names", "strength"),
    "agency_action": ("what an agency did", "—"),
    "uncategorised": (
        "not yet read through the lens: a practitioner must categorise it (merged agency "
        "entries start here)",
        "— (to review)",
    ),
}
CONCERN_CATEGORIES = ("influence_grooming", "extremist_behaviour", "harm")
"""Categories that are evidence of concern in themselves (the flags' "concern events")."""
BELIEF_CATEGORIES = ("belief_practice", "views_expressed")
"""Categories that are never a concern in themselves (drawn muted on timelines)."""
STRENGTH_CATEGORIES = ("protective", "aspiration")
WORKER_ROLES = (
    "social_worker",
    "senior_practitioner",
    "team_manager",
    "family_support_worker",
    "student",
)
"""The ``workers.role`` vocabulary."""
CASE_HOLDING_ROLES = ("social_worker", "senior_practitioner")
"""Roles that hold cases: a team's caseload per FTE divides by these workers' FTE only (team
managers, family support workers and students do not carry a caseload of their own)."""


# --- table and column definitions ---------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a contract table: its name, how it is read, and its rules."""

    name: str
    kind: Kind
    notes: str = ""
    required: bool = False
    vocabulary: tuple[str, ...] = ()
    references: str | None = None
    default: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    minimum_exclusive: bool = False

    @property
    def type_label(self) -> str:
        """Describe the column's type in the words the contract document uses."""
        if self.kind in ("vocab", "vocabs"):
            values = ", ".join(self.vocabulary)
            return values if self.kind == "vocab" else f"list of: {values}"
        labels = {
            "id": "id, unique",
            "ref": f"→ {self.references}",
            "ids": f"list of {self.references} ids",
            "text": "text",
            "date": "date (YYYY-MM-DD)",
            "month": "month (YYYY-MM)",
            "bool": "boolean",
            "int": "integer",
            "number": "number",
        }
        label = labels[self.kind]
        if self.minimum is not None and self.maximum is not None:
            opener = "(" if self.minimum_exclusive else "["
            label += f" in {opener}{self.minimum:g}, {self.maximum:g}]"
        return label


@dataclass(frozen=True)
class Table:
    """One contract table: its columns, its id column and its place in the bundle."""

    name: str
    singular: str
    description: str
    columns: tuple[Column, ...]
    required: bool = False
    id_prefix: str = ""
    _by_name: dict[str, Column] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Index the columns by name for fast lookup."""
        self._by_name.update({c.name: c for c in self.columns})

    @property
    def id_column(self) -> str:
        """Name the column that holds this table's unique id."""
        return self.columns[0].name

    @property
    def column_names(self) -> tuple[str, ...]:
        """List the contract's column names in order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """Return the named column, or raise ``KeyError`` naming the table."""
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"table {self.name!r} has no column {name!r}") from None

    def of_kind(self, *kinds: Kind) -> tuple[Column, ...]:
        """List the columns of the given kinds."""
        return tuple(c for c in self.columns if c.kind in kinds)


def _id(name: str, notes: str = "") -> Column:
    return Column(name, "id", notes, required=True)


def _ref(name: str, table: str, required: bool = True, notes: str = "") -> Column:
    return Column(name, "ref", notes, required=required, references=table)


def _vocab(
    name: str, values: tuple[str, ...], required: bool = True, notes: str = "", **kw: Any
) -> Column:
    return Column(name, "vocab", notes, required=required, vocabulary=values, **kw)


def _date(name: str, required: bool = True, notes: str = "") -> Column:
    return Column(name, "date", notes, required=required)


def _text(name: str, required: bool = False, notes: str = "") -> Column:
    return Column(name, "text", notes, required=required)


def _ids(name: str, table: str, notes: str = "") -> Column:
    return Column(name, "ids", notes, references=table)


_TABLE_LIST: tuple[Table, ...] = (
    Table(
        "teams",
        "team",
        "The teams whose caseloads are reviewed.",
        (_id("team_id"), _text("team_name", required=True)),
        id_prefix="T",
    ),
    Table(
        "workers",
        "worker",
        "Practitioners, pseudonymous.",
        (
            _id("worker_id", "pseudonymous"),
            _ref("team_id", "teams"),
            _vocab("role", WORKER_ROLES),
            Column(
                "fte",
                "number",
                "default 1",
                default="1",
                minimum=0,
                maximum=1,
                minimum_exclusive=True,
            ),
        ),
        id_prefix="W",
    ),
    Table(
        "cases",
        "case",
        "One row per episode of involvement with a child.",
        (
            _id("case_id"),
            Column("child_id", "id", "pseudonymous; a child may have several cases", required=True),
            _ref("team_id", "teams"),
            _ref("worker_id", "workers", required=False, notes="empty = unallocated"),
            _date("opened", notes="date the referral was received"),
            _date("closed", required=False, notes="empty = open"),
            _vocab(
                "referral_source",
                (
                    "education",
                    "police",
                    "health",
                    "local_authority",
                    "family",
                    "community",
                    "self",
                    "other",
                ),
            ),
            Column(
                "concern_flags",
                "vocabs",
                "`radicalisation` marks a Prevent-related case",
                required=True,
                vocabulary=(
                    "radicalisation",
                    "neglect",
                    "domestic_abuse",
                    "exploitation",
                    "mental_health",
                    "other",
                ),
            ),
            _vocab(
                "ideology",
                (
                    "islamist",
                    "extreme_right_wing",
                    "conflicted",
                    "no_ideology",
                    "extreme_violence_fascination",
                    "left_anarchist_single_issue",
                    "other",
                ),
                required=False,
                notes="only for radicalisation cases; categories follow the Home Office "
                "Prevent statistics",
            ),
            Column("child_birth_month", "month", "never a full date of birth"),
            _vocab("child_gender", ("male", "female", "other", "unknown"), required=False),
            _vocab(
                "child_ethnicity",
                ("white", "mixed", "asian", "black", "other", "unknown"),
                required=False,
                notes="ONS top-level groups",
            ),
            _vocab(
                "child_religion",
                (
                    "none",
                    "christian",
                    "muslim",
                    "hindu",
                    "sikh",
                    "jewish",
                    "buddhist",
                    "other",
                    "not_recorded",
                ),
                required=False,
                notes="optional; for equity research only",
            ),
        ),
        required=True,
        id_prefix="C",
    ),
    Table(
        "events",
        "event",
        "The chronology.",
        (
            _id("event_id"),
            _ref("case_id", "cases"),
            _date("date", notes="when it happened"),
            _vocab(
                "date_precision",
                ("day", "month", "year"),
                required=False,
                default="day",
                notes="default day; month/year = approximate date",
            ),
            _date(
                "recorded_on",
                required=False,
                notes='when it reached the record; default = date; drives the "as known at" view',
            ),
            _vocab("source_agency", AGENCIES, notes="provenance"),
            _vocab(
                "kind",
                (
                    "referral",
                    "contact",
                    "visit",
                    "meeting",
                    "disclosure",
                    "incident",
                    "observation",
                    "assessment",
                    "assessment_completed",
                    "information_shared",
                    "panel",
                    "plan_review",
                    "intervention",
                    "family_group_conference",
                    "supervision",
                    "closure",
                    "other",
                ),
                notes="`assessment` = assessment activity starts; `assessment_completed` = the "
                "assessment is signed off",
            ),
            _text("summary", required=True, notes="plain, non-judgemental; families may read it"),
            _vocab("category", CATEGORIES, notes="the lens below"),
            _vocab("level", LEVELS, notes="whose risk or strength this is about"),
            _vocab("significance", SIGNIFICANCE, required=False),
            _vocab(
                "impact",
                ("positive", "negative", "neutral", "unknown"),
                required=False,
                notes="on the child",
            ),
            _vocab(
                "evidence",
                ("observed", "disclosed", "reported", "agency_record", "intelligence"),
                required=False,
                notes="how first-hand it is",
            ),
            Column(
                "restricted",
                "bool",
                "held by an agency (usually police) and not shareable with the family or all "
                "partners",
                default="false",
            ),
            _text("action_taken"),
            _text("recorded_by", notes="worker_id or agency"),
            Column("seen_alone", "bool", "for visits: the child was seen alone"),
        ),
        required=True,
        id_prefix="E",
    ),
    Table(
        "judgements",
        "judgement",
        "Scaled professional judgement over time (Signs of Safety convention).",
        (
            _id("judgement_id"),
            _ref("case_id", "cases"),
            _date("date"),
            _vocab("level", LEVELS),
            Column(
                "safety_scale",
                "int",
                "10 = everyone agrees it is safe enough to close; "
                "0 = the child cannot stay at home",
                required=True,
                minimum=SAFETY_SCALE[0],
                maximum=SAFETY_SCALE[1],
            ),
            _text("rationale"),
            _ids("evidence_ids", "events"),
            _text("judged_by"),
        ),
        id_prefix="J",
    ),
    Table(
        "decisions",
        "decision",
        "Changes in the response.",
        (
            _id("decision_id"),
            _ref("case_id", "cases"),
            _date("date"),
            _vocab(
                "response",
                RESPONSES,
                notes="the response from this date on; see the ladder (Channel is not a rung)",
            ),
            _vocab(
                "lead_agency",
                ("social_care", "police", "education", "health", "multi_agency"),
                notes="who drove the decision",
            ),
            Column(
                "family_engaged", "bool", "family met and heard before the decision", required=True
            ),
            _text("rationale"),
            _ids("evidence_ids", "events", notes="what the decision rests on"),
            _text("decided_by"),
        ),
        id_prefix="D",
    ),
    Table(
        "plan_actions",
        "plan_action",
        "The plan, action by action.",
        (
            _id("action_id"),
            _ref("case_id", "cases"),
            _date("created"),
            _text("description", required=True),
            _vocab("level", LEVELS),
            _vocab("owner_agency", AGENCIES),
            _date("due", required=False),
            _date("completed", required=False),
            _ids("evidence_ids", "events", notes="the evidence this action answers"),
        ),
        id_prefix="A",
    ),
    Table(
        "info_sharing",
        "info_sharing",
        "The information-governance ledger.",
        (
            _id("share_id"),
            _ref("case_id", "cases"),
            _date("date"),
            _vocab("from_agency", AGENCIES),
            _vocab("to_agency", AGENCIES),
            _text("information", notes="what was shared"),
            _text("purpose", notes="why"),
            _vocab(
                "lawful_basis",
                (
                    "consent",
                    "legal_obligation",
                    "public_task",
                    "vital_interests",
                    "legitimate_interests",
                    "not_recorded",
                ),
                notes="UK GDPR Article 6",
            ),
            _vocab("consent", ("given", "refused", "not_sought")),
            _text("not_sought_reason", notes="expected when consent = not_sought (else flagged)"),
            _text(
                "override_reason",
                notes="why sharing went ahead although consent was refused (necessary and "
                "proportionate, and on what basis)",
            ),
            Column("restricted", "bool", default="false"),
        ),
        id_prefix="S",
    ),
    Table(
        "supervisions",
        "supervision",
        "Written by the reflective supervision notebook.",
        (
            _id("supervision_id"),
            _ref("case_id", "cases"),
            _date("date"),
            _text("supervisor"),
            _text("worker"),
            _text("experience", notes="stage 1 of the reflective cycle"),
            _text("reflection", notes="stage 2 of the reflective cycle"),
            _text("analysis", notes="stage 3 of the reflective cycle"),
            _text("actions", notes="stage 4 of the reflective cycle"),
            _text("hypotheses", notes="at least two competing explanations"),
            _text("graces", notes="reflection on difference and bias (Social GRACES)"),
            _ids("decision_ids", "decisions", notes="decisions taken in the session"),
            _text(
                "management",
                notes="function: is the work being done, and done well? (optional, as each "
                "column below)",
            ),
            _text(
                "support",
                notes="function: the worker's emotional load; private: left out of the case-file "
                "export unless the supervisor includes it",
            ),
            _text("development", notes="function: what the worker is learning"),
            _text(
                "mediation",
                notes="function: between the worker, the organisation and partners",
            ),
            _text(
                "child_voice",
                notes="the child's wishes, feelings and hopes, in their own words where possible",
            ),
            _date(
                "last_seen_alone",
                required=False,
                notes="the child was last seen alone on this day, as the record stood at the "
                "session",
            ),
            _text(
                "agreed_actions",
                notes="each action agreed, with whose interests it serves (child and family, "
                "worker, organisation, partner agencies)",
            ),
            _text(
                "decision_stakeholders",
                notes="whose interests each decision taken serves, a line per decision",
            ),
        ),
        id_prefix="V",
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in _TABLE_LIST}
"""Every contract table by name, in bundle order (referenced tables first)."""
TABLE_ORDER: tuple[str, ...] = tuple(TABLES)
REQUIRED_TABLES: tuple[str, ...] = tuple(t.name for t in _TABLE_LIST if t.required)


def normalise_header(name: str) -> str:
    """Reduce a header to its matching key: lower case, spaces and underscores removed.

    >>> normalise_header(" Case ID")
    'caseid'
    >>> normalise_header("case_id") == normalise_header("Case Id")
    True
    """
    return re.sub(r"[\s_]+", "", str(name)).lower()


# --- the generated document ---------------------------------------------------------------------

_INTEGRITY_RULES = (
    "unique IDs; every reference resolves (`case_id`, `team_id`, `worker_id`, each id in `*_ids`);",
    "every value of a vocabulary column is in its vocabulary (case-insensitive; a near miss gets a "
    '"did you mean" hint);',
    "dates parse; `closed` ≥ `opened`; `recorded_on` ≥ `date`; no date in the future;",
    "`ideology` only where `concern_flags` holds `radicalisation`;",
    "`safety_scale` is an integer 0–10;",
    "required columns are present and their cells are not empty; numbers are in range;",
    "no cell holds a control character other than tab, line feed and carriage return "
    "(U+0000–U+0008, U+000B, U+000C, U+000E–U+001F, U+FFFE, U+FFFF).",
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def to_markdown() -> str:
    """Render the contract as the Markdown page ``docs/data-contract.md``.

    >>> to_markdown().startswith("# The case bundle")
    True
    """
    lines = [
        "# The case bundle: casekit's data contract",
        "",
        "<!-- Generated from casekit/contract.py by `make docs` (`casekit contract`). Do not edit:",
        "     tests/test_contract.py fails when this page is stale. -->",
        "",
        "A bundle is a folder of CSV files (`<table>.csv`, UTF-8 with or without BOM; cp1252 and",
        "UTF-16 are read too), one `.xlsx` workbook with a sheet per table, a folder of Parquet",
        "files (`<table>.parquet`), or a casebook store (a SQLite file or a SQLAlchemy URL).",
        "",
        f"Required tables: {', '.join(f'`{t}`' for t in REQUIRED_TABLES)}; every other table is "
        "optional. Unknown extra columns are kept and ignored. Column names are matched "
        "case-insensitively, ignoring spaces and underscores.",
        "",
        "Conventions: dates are ISO `YYYY-MM-DD`; booleans accept true/false/yes/no/1/0/Y/N; list "
        f"columns are `{LIST_SEPARATOR}`-separated; IDs are opaque strings (`007` stays `007`). "
        "An empty cell is missing. A *required* column must be present and every cell filled.",
        "",
    ]
    for table in TABLES.values():
        tag = " (required)" if table.required else ""
        lines += [
            f"## {table.name}{tag}",
            "",
            table.description,
            "",
            "| column | type | required | notes |",
            "|---|---|---|---|",
        ]
        for col in table.columns:
            notes = col.notes
            if col.default is not None and "default" not in notes:
                notes = f"default {col.default}" + (f"; {notes}" if notes else "")
            lines.append(
                f"| {col.name} | {_cell(col.type_label)} | {'yes' if col.required else ''} "
                f"| {_cell(notes)} |"
            )
        lines.append("")
    lines += [
        "## The lens (`events.category`)",
        "",
        "| category | meaning | a concern in itself? |",
        "|---|---|---|",
    ]
    lines += [f"| {c} | {m} | {concern} |" for c, (m, concern) in CATEGORY_MEANING.items()]
    lines += [
        "",
        "## The response ladder",
        "",
        "Least to most intrusive; its order is what escalation and step-down mean.",
        "",
        "| rung | response |",
        "|---|---|",
    ]
    lines += [f"| {rung} | {response} |" for response, rung in RUNG.items()]
    lines += [
        "",
        f"`{CHANNEL}` is also a valid `response`, but not a rung: Channel is voluntary, needs "
        "consent, and runs beside social care. A Channel decision records that Channel support "
        "was adopted; the case's social-care rung stays as it was, so it is neither an "
        "escalation nor a step-down.",
    ]
    lines += ["", "## Integrity rules", "", "`casekit validate` checks each of these:", ""]
    lines += [f"- {rule}" for rule in _INTEGRITY_RULES]
    lines += [
        "",
        "A problem report names the file (and sheet), the row as a spreadsheet shows it (header = "
        "row 1), the column, the bad value and what was expected, and lists every problem.",
        "",
    ]
    return "\n".join(lines)
