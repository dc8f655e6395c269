"""Team caseload reviews: every table a review shows, as pure functions over a Casebook.

A review covers one team over a period, as known at an as-of date. Each section function
returns :class:`Table` objects: a frame, its heading, a note on how to read it, which of its
columns are counts, and whether it lists individual cases. With ``suppress`` every count goes
through :func:`casekit.suppress` (1-5 shown as ``c``, plus secondary suppression), then the
whole review is protected at once (:func:`publication`: no hidden cell can be worked out from
all its tables and headline numbers together), and lists of cases are withheld, so the review
can leave the team.

>>> import casekit
>>> cb = casekit.load("data/synthetic")
>>> scope = scope_for(cb, team="T01")
>>> str(scope.as_of.date()), str(scope.start.date())
('2025-03-31', '2024-04-01')
>>> review = build(cb, scope)
>>> [s.key for s in review.sections][:3]
['attention', 'caseload', 'casework']
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple, cast

import numpy as np
import pandas as pd

from casekit.analysis.casework import (
    SINCE_OPENED,
    SINCE_SEEN_ALONE,
    last_seen_alone,
    open_at,
    overdue_actions,
)
from casekit.analysis.casework import read_date as _date
from casekit.analysis.chronology import as_known_at
from casekit.analysis.proportionality import FLAGS, escalations, flags
from casekit.analysis.research import decision_profiles, rates
from casekit.analysis.trends import CHANGE_COLUMN, TOO_FEW, safety_trends
from casekit.bundle.arrowops import is_in
from casekit.bundle.casebook import Casebook
from casekit.contract import (
    CASE_HOLDING_ROLES,
    RESPONSE_LADDER,
    RUNG,
    STATUTORY_RESPONSES,
    TABLE_ORDER,
    TABLES,
)
from casekit.errors import CasekitError
from casekit.policy import (
    ASSESSMENT_COMPLETION_WORKING_DAYS,
    ASSESSMENT_WORKING_DAYS,
    GROUP_RADICALISATION,
    GROUPS,
    MIN_JUDGEMENTS,
    RE_REFERRAL_MONTHS,
    SEEN_ALONE_DAYS,
    STALE_DAYS,
    STEP_DOWN_DAYS,
    STEP_DOWN_MIN_SCALE,
    SUPERVISED_WITHIN_DAYS,
    TREND_CHANGE,
    TREND_DAYS,
    case_types,
    working_days_after,
)
from casekit.privacy.disclosure import SUPPRESSED, Publication, suppress, suppression_mask
from casekit.privacy.margins import (
    CHANNEL_ADOPTED,
    CHANNEL_NOT_RECORDED,
    COMPLETED_LATE,
    COMPLETED_WITHIN,
    HEADLINE,
    MARGINS,
    NO_DECISION,
    NOT_COMPLETED_LATE,
    OVER_STANDARD,
    PLANS_LINKED,
    REFUSAL_EXPLAINED,
    SHARING_CONSISTENT,
    WAIT_BANDS,
    WITHIN_LIMIT,
    WITHIN_STANDARD,
    row_labels,
)

__all__ = [
    "Scope",
    "Table",
    "Section",
    "Review",
    "scope_for",
    "team_casebook",
    "caseload",
    "flow",
    "timeliness",
    "proportionality",
    "practice",
    "governance",
    "dynamics",
    "flags_in",
    "arising",
    "open_now",
    "headline",
    "publication",
    "build",
]

CASE_TYPES = GROUPS
ASSESSMENT_LIMIT = ASSESSMENT_WORKING_DAYS
"""Working days from referral to the first assessment activity (the late_assessment flag)."""
ASSESSMENT_STANDARD = ASSESSMENT_COMPLETION_WORKING_DAYS
"""Working days an assessment may take (Working Together 2023)."""
WITHIN_LIMIT_SHORT = f"within {ASSESSMENT_LIMIT} days"
WITHIN_STANDARD_SHORT = f"within {ASSESSMENT_STANDARD}"
ASSESSED_WITHIN_LIMIT = f"assessed {WITHIN_LIMIT} %"
"""The headline share of referrals assessed within the limit."""
NO_SOCIAL_CARE_DECISION = NO_DECISION
WITHHELD = "Withheld: this table lists individual cases, which stay inside the team."
ATTENTION_ROWS = 5
"""Rows each list under "What needs attention" shows (the sections below list them all)."""


@dataclass(frozen=True)
class Scope:
    """What a review covers: one team, a period (inclusive), an as-of date, suppression."""

    team_id: str
    team_name: str
    start: pd.Timestamp
    end: pd.Timestamp
    as_of: pd.Timestamp
    suppress: bool = False
    seen_alone_days: int = SEEN_ALONE_DAYS
    """Working days after which a child not seen alone is listed under what needs attention."""
    min_judgements: int = MIN_JUDGEMENTS
    """Judgements a case needs at a level before its safety trend is stated."""

    @property
    def period(self) -> str:
        """Say the period in words, e.g. ``1 Apr 2024 to 31 Mar 2025``."""
        return f"{_day(self.start)} to {_day(self.end)}"

    def previous(self) -> Scope:
        """Return the period of the same length just before this one (same as-of date).

        A period of whole months (1 Apr to 31 Mar) gives the same months before it; any
        other, the same number of days.

        >>> s = Scope("T1", "North", pd.Timestamp("2024-04-01"), pd.Timestamp("2025-03-31"),
        ...           pd.Timestamp("2025-03-31"))
        >>> s.previous().period
        '1 Apr 2023 to 31 Mar 2024'
        """
        end = self.start - pd.Timedelta(days=1)
        after = self.end + pd.Timedelta(days=1)
        months = (after.year - self.start.year) * 12 + after.month - self.start.month
        if months > 0 and after - pd.DateOffset(months=months) == self.start:
            return replace(self, start=self.start - pd.DateOffset(months=months), end=end)
        return replace(self, start=end - (self.end - self.start), end=end)


@dataclass
class Table:
    """One table of a review, with what a reader needs to read it."""

    key: str
    """File name for the CSV and sheet name in the workbook."""
    title: str
    frame: pd.DataFrame
    note: str = ""
    counts: tuple[str, ...] = ()
    """Columns holding counts of children, cases, decisions or records."""
    case_level: bool = False
    """The table lists individual cases: withheld when the review is suppressed."""
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Columns worked out from count columns (a share, a rate): hidden wherever those are."""


@dataclass
class Section:
    """A part of the review: a heading, a sentence on why it matters, and its tables."""

    key: str
    title: str
    why: str
    tables: list[Table] = field(default_factory=list)


@dataclass
class Review:
    """A whole team review: its scope, headline numbers and sections."""

    scope: Scope
    headline: dict[str, object]
    sections: list[Section]

    def section(self, key: str) -> Section:
        """Return one section by its key (``caseload``, ``flow`` and so on)."""
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(f"no section {key!r}; sections are {[s.key for s in self.sections]}")

    def tables(self) -> list[Table]:
        """Return every table of every section, in order."""
        return [t for s in self.sections for t in s.tables]

    def save_tables(self, folder: str | Path) -> list[Path]:
        """Write every table as CSV, all of them as one workbook, and the headline numbers.

        Returns the files written (the headline as ``headline.json``). Withheld tables are not
        written. The folder keeps a manifest, so a table an earlier
        review wrote and this one does not (withheld now, or renamed since) is removed: an old,
        unsuppressed table must never sit beside a suppressed review. A folder holding files
        casekit did not write is refused. The workbook is named after the team.
        """
        from casekit.bundle.io import write_file_atomically
        from casekit.outputs import claim_folder

        shown = [t for t in self.tables() if not (t.case_level and self.scope.suppress)]
        # every file's content is made before anything is written, so a failure leaves none
        contents = {f"{t.key}.csv": _people_csv(t.frame) for t in shown}
        contents[HEADLINE_FILE] = json.dumps(self.headline, indent=1, default=str).encode()
        book_content = _workbook(shown)
        book = f"{self.scope.team_id}.xlsx"
        tables = claim_folder(folder, label="tables folder", kind="review tables", legacy=_ours)
        out = tables.path
        tables.record([*contents, book])  # listed first: a crash leaves only files casekit owns
        tables.remove(tables.previous - {*contents, book})
        written = []
        for name, content in contents.items():
            write_file_atomically(out / name, content)
            written.append(out / name)
        write_file_atomically(out / book, book_content)
        written.append(out / book)
        return written


HEADLINE_FILE = "headline.json"
"""The file beside a review's tables that holds its headline numbers."""


def _ours(path: Path) -> bool:
    """Say whether a file in a tables folder without a manifest was written by a review."""
    if path.is_symlink() or not path.is_file():
        return False
    return path.suffix in (".csv", ".xlsx") or path.name == HEADLINE_FILE


def _day(when: pd.Timestamp) -> str:
    return f"{when.day} {when.strftime('%b %Y')}"


def _people_csv(frame: pd.DataFrame) -> bytes:
    """Render one review table as a CSV meant for people (formulas neutralised)."""
    from io import StringIO

    from casekit.render.xlsx import write_people_csv

    text = StringIO()
    write_people_csv(frame, text)
    return text.getvalue().encode("utf-8")


def _workbook(tables: list[Table]) -> bytes:
    """Render the review's tables as one workbook, a sheet each; it never holds a formula."""
    from io import BytesIO

    from casekit.render.xlsx import Sheet, write_workbook

    buffer = BytesIO()
    write_workbook(buffer, [Sheet(t.key[:31], t.frame) for t in tables], exact=False)
    return buffer.getvalue()


# --- scope ----------------------------------------------------------------------------------


def latest_date(cb: Casebook) -> pd.Timestamp:
    """Return the latest date recorded anywhere in the casebook (the extract's date)."""
    dates = [cb.events["recorded_on"].max(), cb.events["date"].max(), cb.cases["opened"].max()]
    for table in ("decisions", "judgements", "info_sharing", "supervisions"):
        dates.append(cb.tables[table]["date"].max())
    known = [d for d in dates if pd.notna(d)]
    return max(known) if known else pd.Timestamp(dt.date.today())


def scope_for(
    cb: Casebook,
    team: str,
    start: object = None,
    end: object = None,
    as_of: object = None,
    suppress: bool = False,
    seen_alone_days: object = SEEN_ALONE_DAYS,
    min_judgements: object = MIN_JUDGEMENTS,
) -> Scope:
    """Check a review's parameters against the casebook and return its scope.

    ``as_of`` defaults to the latest date in the data, ``end`` to ``as_of`` and ``start`` to a
    year before ``end``. ``seen_alone_days`` (working days, at least 1) and ``min_judgements``
    (at least 2) are whole numbers. A bad date or number, or an unknown team, raises
    :class:`CasekitError` with a message that says how to fix it.
    """
    alone = _whole_number("seen_alone_days", seen_alone_days, 1, str(SEEN_ALONE_DAYS))
    fewest = _whole_number("min_judgements", min_judgements, 2, str(MIN_JUDGEMENTS))
    teams = cb.teams.set_index("team_id")["team_name"] if len(cb.teams) else pd.Series()
    known = sorted(set(teams.index) | set(cb.cases["team_id"].dropna()))
    if team not in known:
        from casekit.errors import did_you_mean

        same = [k for k in known if k.lower() == str(team).strip().lower()]
        hint = (
            f"did you mean {same[0]!r}?"
            if same
            else did_you_mean(team, known) or f"teams are: {', '.join(known) or 'none'}"
        )
        raise CasekitError(f"team: {team!r} is not a team in the data; {hint}.")
    when = _date("as_of", as_of) or latest_date(cb)
    last = _date("end", end) or when
    first = _date("start", start) or (last - pd.DateOffset(years=1) + pd.Timedelta(days=1))
    if first > last:
        raise CasekitError(f"start and end: {first.date()} is after {last.date()}.")
    if last > when:
        raise CasekitError(
            f"end: {last.date()} is after the as-of date {when.date()}; the review cannot "
            "count what was not yet known. Move end back or as_of forward."
        )
    name = str(teams.get(team, team))
    return Scope(str(team), name, first, last, when, bool(suppress), alone, fewest)


def _points(change: float) -> str:
    """Say a change of the safety scale in words: ``half a point``, ``1 point``, ``2 points``.

    >>> _points(0.5), _points(1), _points(1.5)
    ('half a point', '1 point', '1.5 points')
    """
    if change == 0.5:
        return "half a point"
    return f"{change:g} point{'' if change == 1 else 's'}"


def _whole_number(name: str, value: object, least: int, example: str) -> int:
    """Read a whole-number parameter (a string of digits too), or say how to write it."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
        raise CasekitError(
            f"{name}: {value!r} is not a whole number of at least {least}; write one, "
            f"e.g. {example}."
        )
    return int(value)


def team_casebook(cb: Casebook, team: str) -> Casebook:
    """Keep only one team's cases, the records of those cases, and the team's workers."""
    cases = cb.cases[cb.cases["team_id"] == team]
    tables = {}
    for table in TABLE_ORDER:
        frame = cb.tables[table]
        if table == "cases":
            frame = cases
        elif table in ("teams", "workers"):
            frame = frame[frame["team_id"] == team]
        elif "case_id" in TABLES[table].column_names:
            frame = frame[is_in(frame["case_id"], cases["case_id"])]
        tables[table] = frame.reset_index(drop=True)
    return Casebook(tables, source=cb.source)


# --- helpers --------------------------------------------------------------------------------


def _lookup(keys: pd.Series, dates: pd.Series) -> pd.Series:
    """Look each key's date up (NaT where there is none), keeping the keys' index."""
    found = dates.reindex(keys.to_numpy()).to_numpy(dtype="datetime64[ns]")
    return pd.Series(found, index=keys.index)


def _counts(frame: pd.DataFrame, index: str, columns: str) -> pd.DataFrame:
    """Count rows by two keys, with every case type as a column even when it has none."""
    table = pd.crosstab(frame[index].astype(object), frame[columns].astype(object))
    table = table.reindex(columns=list(CASE_TYPES), fill_value=0)
    table.index.name = index
    table.columns.name = None
    return table


def _published(counts: pd.DataFrame, scope: Scope, label: str) -> pd.DataFrame:
    """Render a count table with totals, suppressed when the scope says so."""
    out = suppress(counts, enabled=scope.suppress)
    out.index = out.index.astype(str)
    out.index.name = label
    return out.reset_index()


def _count_table(
    key: str, title: str, counts: pd.DataFrame, scope: Scope, label: str, note: str = ""
) -> Table:
    """Make a table of counts by case type, with totals, published as the scope says."""
    return Table(key, title, _published(counts, scope, label), note, counts=(*CASE_TYPES, "Total"))


def _share(k: int, n: int) -> int | str:
    return round(100 * k / n) if n else ""


def _rate_rows(
    rows: pd.DataFrame,
    k: str,
    n: str,
    scope: Scope,
    label: str,
    more: tuple[str, ...] = (),
    total_row: bool = False,
) -> pd.DataFrame:
    """Give k out of n as a whole-number percentage with its Wilson interval.

    With suppression, every count column (``k``, ``n`` and ``more``) hides 1-5 as ``c``, and
    so does a percentage made from a hidden count. With ``total_row`` the last row is the sum
    of the others, so each column is also secured against subtraction.
    """
    table = rates(rows, k, n, suppress=False)
    for column in ("rate", "low", "high"):  # whole-number percentages
        table[column] = (table[column].astype(float) * 100).round().astype("Int64")
    table = table.rename(columns={"rate": f"{label} %", "low": "95% CI low", "high": "95% CI high"})
    if not scope.suppress:
        return table
    hidden = pd.DataFrame(False, index=table.index, columns=[k, n, *more])
    for column in hidden.columns:
        values = table[column].astype(int)
        if total_row:
            mask = suppression_mask(values.iloc[:-1].to_frame(), totals=True).iloc[:, 0]
        else:
            mask = values.between(1, 5)
        hidden[column] = mask.to_numpy()
    for column in hidden.columns:
        table[column] = table[column].astype(object).mask(hidden[column], SUPPRESSED)
    derived = hidden[k] | hidden[n]
    for column in (f"{label} %", "95% CI low", "95% CI high"):
        table[column] = table[column].astype(object).mask(derived, SUPPRESSED)
    return table


def _from_rate(k: str, n: str, label: str) -> dict[str, tuple[str, ...]]:
    """Name the columns :func:`_rate_rows` works out from its counts ``k`` and ``n``."""
    return {column: (k, n) for column in (f"{label} %", "95% CI low", "95% CI high")}


def _keep_case_lists(table: Table, scope: Scope) -> Table:
    if table.case_level and scope.suppress:
        table.frame = table.frame.iloc[0:0]
        table.note = WITHHELD
    return table


# --- sections -------------------------------------------------------------------------------


def caseload(cb: Casebook, scope: Scope) -> list[Table]:
    """Open cases per worker (weighted by FTE, split by case type) and unallocated cases."""
    cases = open_at(cb.cases, scope.as_of).assign(case_type=case_types)
    workers = cb.workers.set_index("worker_id")
    allocated = cases[cases["worker_id"].notna()]
    counts = _counts(allocated, "worker_id", "case_type")
    counts = counts.reindex(counts.index.union(workers.index), fill_value=0)
    fte = workers["fte"].astype(float).reindex(counts.index)
    role = workers["role"].astype(object).reindex(counts.index).fillna("")
    holding = float(fte[role.isin(CASE_HOLDING_ROLES)].sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        total_per_fte = counts.to_numpy().sum() / holding if holding else np.nan
        per_fte = pd.concat([counts.sum(axis=1) / fte, pd.Series({"Total": total_per_fte})]).round(
            1
        )
    per_worker = _published(counts, scope, "worker_id")
    keys = per_worker["worker_id"]
    per_worker.insert(1, "role", keys.map(role).fillna("case-holding FTE"))
    per_worker.insert(2, "fte", keys.map(fte).fillna(round(holding, 2)))
    hidden = per_worker["Total"].eq(SUPPRESSED).to_numpy()  # a ratio would give it away
    per_worker["cases per FTE"] = keys.map(per_fte).astype(object).mask(hidden, SUPPRESSED)
    unallocated = cases[cases["worker_id"].isna()]
    waiting = working_days_after(unallocated["opened"], pd.Series(scope.as_of, unallocated.index))
    listing = pd.DataFrame(
        {
            "case_id": unallocated["case_id"].astype(object),
            "case type": unallocated["case_type"],
            "opened": unallocated["opened"].dt.strftime("%Y-%m-%d"),
            "working days unallocated": waiting.astype("Int64"),
        }
    ).sort_values("working days unallocated", ascending=False)
    summary = _published(
        pd.DataFrame(
            {
                t: [int(((cases["case_type"] == t) & cases["worker_id"].isna()).sum())]
                for t in CASE_TYPES
            },
            index=["unallocated"],
        ),
        scope,
        "cases",
    )
    return [
        Table(
            "caseload_by_worker",
            f"Open cases per worker on {_day(scope.as_of)}",
            per_worker,
            "Cases per FTE divides a worker's open cases by their full-time equivalence. The "
            "Total row divides every allocated open case by the FTE of the case-holding "
            f"roles only ({' and '.join(r.replace('_', ' ') + 's' for r in CASE_HOLDING_ROLES)}"
            "): team managers, family support workers and students are not counted.",
            counts=(*CASE_TYPES, "Total"),
            derived={"cases per FTE": ("Total",)},
        ),
        Table(
            "unallocated_count",
            "Unallocated open cases",
            summary,
            counts=(*CASE_TYPES, "Total"),
        ),
        _keep_case_lists(
            Table(
                "unallocated_cases",
                "Unallocated cases, longest wait first",
                listing.reset_index(drop=True),
                "Working days since the referral, excluding weekends and bank holidays.",
                case_level=True,
            ),
            scope,
        ),
    ]


def _referred(cb: Casebook, scope: Scope) -> pd.DataFrame:
    c = cb.cases
    referred = c[(c["opened"] >= scope.start) & (c["opened"] <= scope.end)]
    return referred.assign(case_type=case_types(referred))


def _known_decisions(cb: Casebook, scope: Scope) -> pd.DataFrame:
    return cb.decisions[cb.decisions["date"] <= scope.as_of]


def flow(cb: Casebook, scope: Scope) -> list[Table]:
    """Referrals in the period by source and concern, where they led, and Channel support.

    "How far up the ladder" is the social-care rung only: Channel support is not a rung (see
    :func:`casekit.analysis.proportionality.escalations`), so it is counted in a table of its own.
    """
    referred = _referred(cb, scope)
    by_source = _counts(referred, "referral_source", "case_type")
    concerns = referred[["case_id", "concern_flags", "case_type"]].explode("concern_flags")
    by_concern = _counts(concerns.dropna(subset=["concern_flags"]), "concern_flags", "case_type")
    d = _known_decisions(cb, scope)
    d = escalations(d[d["case_id"].isin(referred["case_id"])])
    social_care = d[~d["channel"]]
    highest = social_care.groupby("case_id")["rung"].max()
    reached = referred.assign(
        furthest=referred["case_id"]
        .map(highest)
        .map(lambda r: RESPONSE_LADDER[int(r)] if pd.notna(r) else NO_SOCIAL_CARE_DECISION)
    )
    order = [*RESPONSE_LADDER, NO_SOCIAL_CARE_DECISION]
    outcomes = _counts(reached, "furthest", "case_type")
    outcomes = outcomes.reindex([o for o in order if o in outcomes.index])
    adopted = referred["case_id"].isin(d.loc[d["channel"], "case_id"])
    channel = _counts(
        referred.assign(channel=np.where(adopted, CHANNEL_ADOPTED, CHANNEL_NOT_RECORDED)),
        "channel",
        "case_type",
    ).reindex([CHANNEL_ADOPTED, CHANNEL_NOT_RECORDED], fill_value=0)
    return [
        _count_table(
            "referrals_by_source",
            f"Referrals received, {scope.period}, by source",
            by_source,
            scope,
            "referral source",
        ),
        _count_table(
            "referrals_by_concern",
            "Referrals by concern",
            by_concern,
            scope,
            "concern",
            "A referral can raise several concerns, so the concerns add up to more than the "
            "referrals.",
        ),
        _count_table(
            "outcomes",
            "How far up the social-care response ladder each referral went",
            outcomes,
            scope,
            "furthest social-care response",
            f"The most intrusive social-care response decided by {_day(scope.as_of)}, least "
            "intrusive first. Channel support is not a step on this ladder: it is counted in "
            "the next table.",
        ),
        _count_table(
            "channel_support",
            "Referrals adopted for Channel support, beside social care",
            channel,
            scope,
            "Channel",
            f"Referrals in the period with a decision recording Channel support by "
            f"{_day(scope.as_of)}. Channel is voluntary and needs consent (a parent's, for a "
            "child); it runs beside the social-care response, not as a step on its ladder, so "
            "these referrals are also counted in the table above.",
        ),
        *flow_more(cb, scope),
    ]


def flow_more(cb: Casebook, scope: Scope) -> list[Table]:
    """Channel beside social care for radicalisation referrals, re-referrals, section 47s."""
    beside = channel_beside_social_care(cb, scope)
    again = re_referrals(cb, scope)
    again["re-referral"] = np.where(again["re_referral"], RE_REFERRED, NOT_RE_REFERRED)
    again_counts = _counts(again, "re-referral", "case_type").reindex(
        [RE_REFERRED, NOT_RE_REFERRED], fill_value=0
    )
    s47 = section_47_outcomes(cb, scope)
    s47["outcome recorded"] = np.where(s47["outcome"].notna(), S47_OUTCOME, S47_NO_OUTCOME)
    s47_counts = _counts(s47, "outcome recorded", "case_type").reindex(
        [S47_OUTCOME, S47_NO_OUTCOME], fill_value=0
    )
    pending = s47[s47["outcome"].isna()]
    pending_list = pd.DataFrame(
        {
            "section 47 decided": pending["date"].dt.strftime("%Y-%m-%d"),
            "case_id": pending["case_id"].astype(object),
            "worker_id": _worker(cb, pending["case_id"]),
            "working days since": working_days_after(
                pending["date"], pd.Series(scope.as_of, index=pending.index)
            ),
        }
    )
    channel_columns = (CHANNEL_ADOPTED, CHANNEL_NOT_RECORDED, "Total")
    return [
        Table(
            "channel_beside_social_care",
            "Radicalisation referrals: Channel support beside the social-care response",
            _published(beside, scope, "furthest social-care response"),
            "Radicalisation referrals in the period, by the furthest social-care response "
            f"decided by {_day(scope.as_of)} (rows) and whether Channel support was adopted "
            "(columns). Channel runs beside social care: a referral can have both, either or "
            "neither.",
            counts=channel_columns,
        ),
        _count_table(
            "re_referrals",
            f"Re-referrals within {RE_REFERRAL_MONTHS} months",
            again_counts,
            scope,
            "referral",
            f"Referrals in the period for a child whose previous case closed on or up to "
            f"{RE_REFERRAL_MONTHS} months before the new one opened.",
        ),
        _count_table(
            "section_47_outcomes",
            "Section 47 enquiries in the period: is an outcome recorded?",
            s47_counts,
            scope,
            "section 47 enquiry",
            "An enquiry's outcome is the next decision recorded on its case (by "
            f"{_day(scope.as_of)}). One with none may still be under way, or its outcome was "
            "not recorded.",
        ),
        _keep_case_lists(
            Table(
                "section_47_no_outcome",
                "Section 47 enquiries with no outcome recorded, oldest first",
                pending_list.reset_index(drop=True),
                "Working days since the section 47 decision.",
                case_level=True,
            ),
            scope,
        ),
    ]


def first_assessments(cb: Casebook, scope: Scope) -> pd.DataFrame:
    """For each case referred in the period: first assessment, working days waited, outcome.

    ``waited``: working days from referral to the first ``assessment`` event known by the
    as-of date. ``took``: working days from that assessment to the next decision (its
    outcome), missing while no decision has followed.
    """
    referred = _referred(cb, scope)
    ev = cb.events[(cb.events["recorded_on"] <= scope.as_of) & (cb.events["kind"] == "assessment")]
    first = ev.groupby("case_id")["date"].min()
    out = referred[["case_id", "opened", "case_type"]].copy()
    out["assessed"] = _lookup(out["case_id"], first)
    out["waited"] = working_days_after(out["opened"], out["assessed"])
    d = _known_decisions(cb, scope)[["case_id", "date"]]
    pairs = d.merge(out[["case_id", "assessed"]], on="case_id")
    after = pairs[pairs["date"] >= pairs["assessed"]].groupby("case_id")["date"].min()
    out["outcome"] = _lookup(out["case_id"], after)
    out["took"] = working_days_after(out["assessed"], out["outcome"])
    return out


def _band(days: pd.Series, limit_bands: tuple, beyond: str, missing: str) -> pd.Series:
    labels = pd.Series(beyond, index=days.index, dtype=object)
    for low, high, label in limit_bands:
        labels[(days >= low) & (days <= high)] = label
    labels[days.isna()] = missing
    return labels


def timeliness(cb: Casebook, scope: Scope) -> list[Table]:
    """Referral to first assessment (distribution, share within the limit) and duration."""
    a = first_assessments(cb, scope)
    a["wait band"] = _band(a["waited"], WAIT_BANDS, OVER_STANDARD, "not yet assessed")
    order = [label for *_, label in WAIT_BANDS] + [OVER_STANDARD, "not yet assessed"]
    waits = _counts(a, "wait band", "case_type").reindex(order, fill_value=0)
    rows = []
    for t in (*CASE_TYPES, "all"):
        mine = a if t == "all" else a[a["case_type"] == t]
        rows.append(
            {
                "case type": t,
                "referrals": len(mine),
                "assessed": int(mine["assessed"].notna().sum()),
                WITHIN_LIMIT: int((mine["waited"] <= ASSESSMENT_LIMIT).sum()),
                "median working days": mine["waited"].astype(float).median(),
            }
        )
    summary = _rate_rows(
        pd.DataFrame(rows),
        WITHIN_LIMIT,
        "referrals",
        scope,
        WITHIN_LIMIT_SHORT,
        more=("assessed",),
        total_row=True,
    )
    bands = ((0, 20, "0-20"), WAIT_BANDS[-1])
    a["duration"] = _band(a["took"], bands, OVER_STANDARD, "no outcome yet")
    assessed = a[a["assessed"].notna()]
    durations = _counts(assessed, "duration", "case_type").reindex(
        [label for *_, label in bands] + [OVER_STANDARD, "no outcome yet"], fill_value=0
    )
    return [
        Table(
            "first_assessment_summary",
            "Referral to first assessment",
            summary,
            f"Working days from the referral to the first assessment activity; the limit is "
            f"{ASSESSMENT_LIMIT} (a later one raises the late_assessment flag). A share counts "
            "every referral in the period, including those not yet assessed.",
            counts=("referrals", "assessed", WITHIN_LIMIT),
            derived={
                **_from_rate(WITHIN_LIMIT, "referrals", WITHIN_LIMIT_SHORT),
                # a median of a handful of waits is one child's wait: hidden with its count
                "median working days": ("assessed",),
            },
        ),
        _count_table(
            "first_assessment_wait",
            "Working days from referral to first assessment",
            waits,
            scope,
            "working days",
        ),
        _count_table(
            "assessment_duration",
            "Assessment duration",
            durations,
            scope,
            "working days",
            "Working days from the first assessment to the decision that followed it; the "
            f"standard for a social work assessment is {ASSESSMENT_STANDARD}.",
        ),
        *completion_tables(cb, scope),
    ]


def completion_tables(cb: Casebook, scope: Scope) -> list[Table]:
    """Assessments completed within the time they may take (45 working days): counts, share."""
    done = assessments_completed(cb, scope)
    statuses = _counts(done, "status", "case_type").reindex(list(COMPLETION_STATUSES), fill_value=0)
    rows = []
    for t in (*CASE_TYPES, "all"):
        mine = done if t == "all" else done[done["case_type"] == t]
        due = mine["status"].isin([COMPLETED_WITHIN, COMPLETED_LATE, NOT_COMPLETED_LATE])
        rows.append(
            {
                "case type": t,
                "due by now": int(due.sum()),
                WITHIN_STANDARD: int((mine["status"] == COMPLETED_WITHIN).sum()),
            }
        )
    summary = _rate_rows(
        pd.DataFrame(rows),
        WITHIN_STANDARD,
        "due by now",
        scope,
        WITHIN_STANDARD_SHORT,
        total_row=True,
    )
    return [
        _count_table(
            "assessment_completion",
            f"Assessments completed within {ASSESSMENT_STANDARD} working days of the referral",
            statuses,
            scope,
            "assessment",
            "Each referral in the period, from the day it was received to the first "
            "'assessment completed' entry in its chronology (recorded by "
            f"{_day(scope.as_of)}). An open case past {ASSESSMENT_STANDARD} working days with "
            "none counts as late; a case closed without one is counted apart.",
        ),
        Table(
            "assessment_completion_summary",
            f"Share of assessments due by now completed within {ASSESSMENT_STANDARD} working days",
            summary,
            f"'Due by now' counts the referrals completed, and those still open past "
            f"{ASSESSMENT_STANDARD} working days with no completed assessment (late). Cases "
            "still within the time, and cases closed without an assessment, are left out.",
            counts=("due by now", WITHIN_STANDARD),
            derived=_from_rate(WITHIN_STANDARD, "due by now", WITHIN_STANDARD_SHORT),
        ),
    ]


def _for_supervision(cb: Casebook, open_flags: pd.DataFrame) -> pd.DataFrame:
    """List open flags for supervision: the day each arose, oldest first, with the worker."""
    workers = cb.cases.set_index("case_id")["worker_id"]
    listing = pd.DataFrame(
        {
            "arose on": pd.to_datetime(open_flags["date"]),
            "case_id": open_flags["case_id"].astype(object),
            "worker_id": open_flags["case_id"].map(workers).astype(object).fillna("unallocated"),
            "flag": open_flags["flag"].astype(str),
            "subject": open_flags["subject_id"].astype(object),
            "reason": open_flags["reason"].astype(object),
        }
    ).sort_values(["arose on", "case_id", "flag", "subject"], kind="stable")
    listing["arose on"] = listing["arose on"].dt.strftime("%Y-%m-%d")
    return listing.reset_index(drop=True)


def _flag_counts(cb: Casebook, chosen: pd.DataFrame) -> pd.DataFrame:
    """Count flags by name (every flag, in the practice principles' order) and case type."""
    types = case_types(cb.cases, "case_id")
    f = chosen.assign(
        case_type=chosen["case_id"].map(types).astype(object), flag=chosen["flag"].astype(str)
    )
    return _counts(f, "flag", "case_type").reindex(list(FLAGS), fill_value=0)


def proportionality(cb: Casebook, scope: Scope, flag_table: pd.DataFrame) -> list[Table]:
    """Count flags (arising in the period; open now), list open ones, compare escalation.

    ``flag_table`` is :func:`flags_in`'s: every flag known at the as-of date, open or past.
    """
    arose = arising(flag_table, scope)
    still = open_now(flag_table)
    d = decision_profiles(cb)
    d = d[(d["date"] >= scope.start) & (d["date"] <= scope.end) & ~d["channel"]]
    esc = (
        d.groupby(["group", "stratum"], observed=True)
        .agg(decisions=("decision_id", "size"), escalations=("escalates", "sum"))
        .reset_index()
        .rename(columns={"group": "case type", "stratum": "evidence it rests on"})
    )
    esc["evidence it rests on"] = esc["evidence it rests on"].astype(str)
    esc = _rate_rows(esc, "escalations", "decisions", scope, "escalated")
    statutory = d[d["response"].isin(STATUTORY_RESPONSES)]
    police = pd.DataFrame(
        [
            {
                "case type": t,
                "statutory steps": int((statutory["group"] == t).sum()),
                "police-led": int(
                    ((statutory["group"] == t) & (statutory["lead_agency"] == "police")).sum()
                ),
            }
            for t in CASE_TYPES
        ]
    )
    police = _rate_rows(police, "police-led", "statutory steps", scope, "police-led")
    return [
        _count_table(
            "flags_arising",
            f"Proportionality flags that arose in the period, {scope.period}",
            _flag_counts(cb, arose),
            scope,
            "flag (arose in the period)",
            "Flags whose condition arose in the period (a decision's date, the day an "
            "assessment or a step-down became overdue), open or past by "
            f"{_day(scope.as_of)}. The flags are defined in the practice principles; each is "
            "a prompt for supervision, not a finding.",
        ),
        _count_table(
            "flags_open",
            f"Proportionality flags open on {_day(scope.as_of)}",
            _flag_counts(cb, still),
            scope,
            "flag (open now)",
            "Flags that still call for action on the as-of date (the case is open and the "
            "condition still holds), whenever they arose. A flag can be in both tables.",
        ),
        _keep_case_lists(
            Table(
                "flagged_cases",
                f"For supervision: flags open on {_day(scope.as_of)}, oldest first",
                _for_supervision(cb, still),
                "The day each flag arose, the case's worker, and the reason. Past flags are "
                "history (counted above), not listed here.",
                case_level=True,
            ),
            scope,
        ),
        Table(
            "escalation_by_evidence",
            "Escalation to child in need or above, by the evidence decisions rest on",
            esc,
            "Social-care decisions in the period (Channel support, which is not a step on "
            "the ladder, is counted under Flow). Radicalisation cases beside the team's other "
            "safeguarding cases with the same kind of evidence: a proportionate response "
            "treats them alike (business as usual). A decision's evidence is the strongest of "
            "the research strata (harm; extremist behaviour; influence or grooming; "
            "vulnerability or context; belief or views only; none) among the events it rests "
            "on.",
            counts=("decisions", "escalations"),
            derived=_from_rate("escalations", "decisions", "escalated"),
        ),
        Table(
            "police_led",
            "Statutory steps led by the police",
            police,
            "Section 47 enquiries, child protection plans and proceedings decided in the period.",
            counts=("statutory steps", "police-led"),
            derived=_from_rate("police-led", "statutory steps", "police-led"),
        ),
    ]


def _flagged_subjects(flag_table: pd.DataFrame, flag: str, subjects: pd.Series) -> int:
    """Count the subjects (decisions, plan actions, sharing records) that raised ``flag``."""
    raised = flag_table.loc[flag_table["flag"].astype(str) == flag, "subject_id"]
    return int(subjects.isin(set(raised)).sum())


def practice(cb: Casebook, scope: Scope, flag_table: pd.DataFrame) -> list[Table]:
    """Chronology currency, evidence links, family engagement, FGCs and supervision recency.

    A plan action is linked when it names a worry or strength it answers: the complement of
    the ``plan_not_linked`` flag in ``flag_table`` (:func:`flags_in`'s).
    """
    cases = open_at(cb.cases, scope.as_of)
    ev = cb.events[cb.events["recorded_on"] <= scope.as_of]
    last = ev.sort_values(["recorded_on", "date"], kind="stable").groupby("case_id").tail(1)
    last = last.set_index("case_id")
    sup_events = ev[ev["kind"] == "supervision"].groupby("case_id")["date"].max()
    sup_records = cb.supervisions[cb.supervisions["date"] <= scope.as_of]
    supervised = pd.concat([sup_events, sup_records.groupby("case_id")["date"].max()])
    supervised = supervised.groupby(level=0).max()
    last_entry = _lookup(cases["case_id"], last["recorded_on"])
    last_supervised = _lookup(cases["case_id"], supervised)
    currency = pd.DataFrame(
        {
            "case_id": cases["case_id"].astype(object),
            "worker_id": cases["worker_id"].astype(object).fillna("unallocated"),
            "last entry": last_entry.dt.strftime("%Y-%m-%d"),
            "days since last entry": (scope.as_of - last_entry).dt.days,
            "last entry summary": cases["case_id"].map(last["summary"]).astype(object),
            "last supervision": last_supervised.dt.strftime("%Y-%m-%d"),
            "days since supervision": (scope.as_of - last_supervised).dt.days,
        }
    ).sort_values("days since last entry", ascending=False, na_position="first")
    currency["last entry summary"] = currency["last entry summary"].map(
        lambda s: s if not isinstance(s, str) or len(s) <= 120 else s[:117] + "..."
    )
    plans = cb.plan_actions
    plans = plans[(plans["created"] >= scope.start) & (plans["created"] <= scope.end)]
    d = escalations(_known_decisions(cb, scope))
    raising = d[d["raises"] & (d["date"] >= scope.start) & (d["date"] <= scope.end)]
    up = raising[raising["rung"] >= RUNG["child_in_need"]]
    fgc_cases = set(ev.loc[ev["kind"] == "family_group_conference", "case_id"])
    escalated_cases = set(up["case_id"])
    measures = pd.DataFrame(
        [
            (
                PLANS_LINKED,
                len(plans) - _flagged_subjects(flag_table, "plan_not_linked", plans["action_id"]),
                len(plans),
            ),
            ("decisions raising the response that cite evidence", _n_lists(raising), len(raising)),
            (
                "escalations to child in need or above with the family met and heard first",
                int(up["family_engaged"].fillna(False).astype(bool).sum()),
                len(up),
            ),
            (
                "open cases that have had a family group conference",
                int(cases["case_id"].isin(fgc_cases).sum()),
                len(cases),
            ),
            (
                "escalated cases that had a family group conference",
                len(escalated_cases & fgc_cases),
                len(escalated_cases),
            ),
            (
                f"open cases discussed in supervision in the last {SUPERVISED_WITHIN_DAYS} days",
                int(((scope.as_of - last_supervised).dt.days <= SUPERVISED_WITHIN_DAYS).sum()),
                len(cases),
            ),
            (
                f"open cases with a chronology entry in the last {STALE_DAYS} days",
                int(((scope.as_of - last_entry).dt.days <= STALE_DAYS).sum()),
                len(cases),
            ),
        ],
        columns=["measure", "yes", "of"],
    )
    measures = _rate_rows(measures, "yes", "of", scope, "share")
    return [
        Table(
            "practice_measures",
            "Practice quality",
            measures,
            "Escalations and decisions are those in the period; open cases are those open on "
            f"{_day(scope.as_of)}.",
            counts=("yes", "of"),
            derived=_from_rate("yes", "of", "share"),
        ),
        _keep_case_lists(
            Table(
                "chronology_currency",
                "Open cases: how current is the chronology, and when was it last supervised?",
                currency.reset_index(drop=True),
                "Least recently updated first. Supervision counts a supervision record or a "
                "supervision entry in the chronology.",
                case_level=True,
            ),
            scope,
        ),
    ]


def _n_lists(frame: pd.DataFrame) -> int:
    return int((frame["evidence_ids"].map(len) > 0).sum()) if len(frame) else 0


def governance(cb: Casebook, scope: Scope, flag_table: pd.DataFrame) -> list[Table]:
    """Count sharing records with a purpose, a lawful basis and a consent position; list gaps.

    The last two rows are the complements of the ``sharing_without_basis`` and
    ``shared_despite_refusal`` flags on the period's records; the list for supervision shows
    those flags that are open now, oldest first.
    """
    s = cb.info_sharing
    s = s[(s["date"] >= scope.start) & (s["date"] <= scope.end)]
    purpose = s["purpose"].notna()
    basis = s["lawful_basis"] != "not_recorded"
    consent = (s["consent"] != "not_sought") | s["not_sought_reason"].notna()
    refused = s["consent"].astype(object) == "refused"
    n = len(s)
    rows = pd.DataFrame(
        [
            ("a purpose", int(purpose.sum()), n),
            ("a lawful basis", int(basis.sum()), n),
            ("a consent position (given, refused, or why not sought)", int(consent.sum()), n),
            (
                SHARING_CONSISTENT,
                n - _flagged_subjects(flag_table, "sharing_without_basis", s["share_id"]),
                n,
            ),
            (
                REFUSAL_EXPLAINED,
                int(refused.sum())
                - _flagged_subjects(flag_table, "shared_despite_refusal", s["share_id"]),
                int(refused.sum()),
            ),
        ],
        columns=["sharing records with", "yes", "of"],
    )
    sharing_flags = ("sharing_without_basis", "shared_despite_refusal")
    gaps = open_now(flag_table)
    gaps = _for_supervision(cb, gaps[gaps["flag"].astype(str).isin(sharing_flags)])
    listing = gaps.rename(columns={"subject": "share_id", "reason": "what is missing"})
    return [
        Table(
            "governance",
            f"Information sharing, {scope.period}",
            _rate_rows(rows, "yes", "of", scope, "share"),
            "Sharing records dated in the period.",
            counts=("yes", "of"),
            derived=_from_rate("yes", "of", "share"),
        ),
        _keep_case_lists(
            Table(
                "governance_gaps",
                f"For supervision: sharing gaps open on {_day(scope.as_of)}, oldest first",
                listing[
                    ["arose on", "case_id", "worker_id", "flag", "share_id", "what is missing"]
                ],
                "Sharing without a recorded basis, and sharing after a refusal with no reason "
                "recorded, on cases still open.",
                case_level=True,
            ),
            scope,
        ),
    ]


def dynamics(cb: Casebook, scope: Scope, flag_table: pd.DataFrame) -> list[Table]:
    """Open cases whose safety judgements are rising or falling, and step-downs that are due."""
    cases = open_at(cb.cases, scope.as_of)
    j = cb.judgements[
        (cb.judgements["date"] <= scope.as_of) & cb.judgements["case_id"].isin(cases["case_id"])
    ]
    trends = safety_trends(j, min_judgements=scope.min_judgements)
    moving = trends[trends["trend"].isin(["rising", "falling"])]
    counted = trends[trends["trend"].isin(["rising", "falling", TOO_FEW])]
    counts = pd.crosstab(counted["level"].astype(object), counted["trend"].astype(object))
    counts = counts.reindex(
        index=["child", "family", "community"],
        columns=["rising", "falling", TOO_FEW],
        fill_value=0,
    )
    counts.columns.name = None
    due = open_now(flag_table)
    due = due[due["flag"].astype(str) == "step_down_due"]
    due = due.sort_values(["date", "case_id"], kind="stable")
    workers = cb.cases.set_index("case_id")["worker_id"]
    waiting = pd.DataFrame(
        {
            "due since": pd.to_datetime(due["date"]).dt.strftime("%Y-%m-%d"),
            "case_id": due["case_id"].astype(object),
            "worker_id": due["case_id"].map(workers).astype(object).fillna("unallocated"),
            "days due": (scope.as_of - pd.to_datetime(due["date"])).dt.days,
            "reason": due["reason"].astype(object),
        }
    ).reset_index(drop=True)
    listing = moving.sort_values(["trend", CHANGE_COLUMN]).reset_index(drop=True)
    return [
        Table(
            "safety_trends",
            "Open cases whose safety judgements are moving",
            _published(counts, scope, "level"),
            "A case's trend at a level is the fitted change in its safety scale (0-10), rising "
            f"or falling by more than {_points(TREND_CHANGE)} per {TREND_DAYS} days. No trend "
            "is stated from fewer "
            f"than {scope.min_judgements} judgements: those cases are counted as "
            f"'{TOO_FEW}'. Stable cases are not counted.",
            counts=("rising", "falling", TOO_FEW, "Total"),
        ),
        _keep_case_lists(
            Table(
                "safety_trend_cases",
                "Which cases, and how fast",
                listing,
                case_level=True,
            ),
            scope,
        ),
        _keep_case_lists(
            Table(
                "step_downs_due",
                f"For supervision: step-downs due on {_day(scope.as_of)}, longest due first",
                waiting,
                "The social-care response has stayed at child in need or above for over "
                f"{STEP_DOWN_DAYS} days, every judgement in that time was {STEP_DOWN_MIN_SCALE} "
                "or above, and no medium or high concern was "
                "recorded after the latest. Only stretches still running are listed; the count "
                "is the step_down_due row of the open flags.",
                case_level=True,
            ),
            scope,
        ),
    ]


# --- the work on open cases, re-referrals, completed assessments ------------------------------

IN_PROGRESS = f"not completed yet, within {ASSESSMENT_STANDARD} working days"
CLOSED_UNASSESSED = "case closed with no completed assessment recorded"
COMPLETION_STATUSES = (
    COMPLETED_WITHIN,
    COMPLETED_LATE,
    NOT_COMPLETED_LATE,
    IN_PROGRESS,
    CLOSED_UNASSESSED,
)
"""How each referral's assessment stands at the as-of date (:func:`assessments_completed`)."""
RE_REFERRED = f"re-referral within {RE_REFERRAL_MONTHS} months of a previous case's closure"
NOT_RE_REFERRED = f"no case of the child closed in the {RE_REFERRAL_MONTHS} months before"
S47_OUTCOME = "a later decision recorded (the enquiry's outcome)"
S47_NO_OUTCOME = "no later decision recorded"


def _worker(cb: Casebook, case_ids: pd.Series) -> pd.Series:
    """Look each case's worker up; unallocated where it has none."""
    workers = cb.cases.set_index("case_id")["worker_id"].astype(object)
    return case_ids.map(workers).astype(object).fillna("unallocated")


def overdue_by_worker(cb: Casebook, late: pd.DataFrame) -> pd.DataFrame:
    """Count overdue plan actions per worker.

    The actions are rows of :func:`casekit.analysis.casework.overdue_actions`.

    One row per worker of the team (and ``unallocated`` when an unallocated case has one),
    a column per case type; actions, not cases, are counted.
    """
    types = case_types(cb.cases, "case_id")
    late = late.assign(
        worker=late["worker_id"].astype(object).fillna("unallocated"),
        case_type=late["case_id"].map(types).astype(object),
    )
    counts = _counts(late, "worker", "case_type")
    everyone = pd.Index(cb.workers["worker_id"].astype(object)).union(counts.index)
    return counts.reindex(everyone, fill_value=0)


def seen_alone_bands(seen: pd.DataFrame, days: int) -> pd.Series:
    """Say which band each open case is in.

    The cases are rows of :func:`casekit.analysis.casework.last_seen_alone`.

    Seen alone within ``days`` working days or longer ago; or no visit recording the child
    seen alone, the case opened within ``days`` working days or longer ago.
    """
    late = seen["working_days_since"].fillna(0).astype(int) > days
    alone = seen["since"] == SINCE_SEEN_ALONE
    labels = np.select(
        [alone & ~late, alone & late, ~alone & ~late],
        [
            f"seen alone in the last {days} working days",
            f"last seen alone more than {days} working days ago",
            f"no visit records the child seen alone; opened in the last {days} working days",
        ],
        f"no visit records the child seen alone; opened more than {days} working days ago",
    )
    return pd.Series(labels, index=seen.index, dtype=object)


def re_referrals(cb: Casebook, scope: Scope) -> pd.DataFrame:
    """Say for each case referred in the period whether it is a re-referral.

    A referral is a re-referral when another case of the same child was closed on or before
    the day it opened and no more than :data:`RE_REFERRAL_MONTHS` months before. Columns:
    ``case_id, child_id, opened, case_type, previous_case, previous_closed, re_referral``
    (the previous case is the latest such closure).
    """
    referred = _referred(cb, scope)[["case_id", "child_id", "opened", "case_type"]]
    closed = cb.cases.loc[
        cb.cases["closed"].notna() & (cb.cases["closed"] <= scope.as_of),
        ["case_id", "child_id", "closed"],
    ].rename(columns={"case_id": "previous_case", "closed": "previous_closed"})
    pairs = referred.merge(closed, on="child_id")
    window = pairs["opened"] - pd.DateOffset(months=RE_REFERRAL_MONTHS)
    pairs = pairs[
        (pairs["previous_case"] != pairs["case_id"])
        & (pairs["previous_closed"] <= pairs["opened"])
        & (pairs["previous_closed"] >= window)
    ]
    latest = pairs.sort_values(["previous_closed", "previous_case"]).groupby("case_id").tail(1)
    out = referred.merge(
        latest[["case_id", "previous_case", "previous_closed"]], on="case_id", how="left"
    )
    out["re_referral"] = out["previous_case"].notna()
    return out.reset_index(drop=True)


def assessments_completed(cb: Casebook, scope: Scope) -> pd.DataFrame:
    """Say for each case referred in the period when its assessment was completed.

    ``completed``: the first ``assessment_completed`` event on or after the referral, dated
    and recorded by the as-of date. ``working_days``: from the referral (``opened``) to it, or
    to the as-of date (or the case's closure, if earlier) while there is none. ``status`` is
    one of :data:`COMPLETION_STATUSES`: an open case past 45 working days with no completed
    assessment is late, as is one completed after 45.
    """
    referred = _referred(cb, scope)
    ev = as_known_at(cb.events, scope.as_of)
    ev = ev[(ev["kind"].astype(object) == "assessment_completed") & (ev["date"] <= scope.as_of)]
    ev = ev.merge(referred[["case_id", "opened"]], on="case_id")
    first = ev[ev["date"] >= ev["opened"]].groupby("case_id")["date"].min()
    out = referred[["case_id", "opened", "closed", "case_type"]].copy()
    out["completed"] = _lookup(out["case_id"], first)
    closed = out["closed"].notna() & (out["closed"] <= scope.as_of)
    stop = out["completed"].fillna(out["closed"].where(closed)).fillna(scope.as_of)
    out["working_days"] = working_days_after(out["opened"], stop)
    done = out["completed"].notna()
    late = out["working_days"].fillna(0).astype(int) > ASSESSMENT_STANDARD
    out["status"] = np.select(
        [done & ~late, done & late, ~done & closed, ~done & late],
        [COMPLETED_WITHIN, COMPLETED_LATE, CLOSED_UNASSESSED, NOT_COMPLETED_LATE],
        IN_PROGRESS,
    )
    return out.drop(columns="closed").reset_index(drop=True)


def section_47_outcomes(cb: Casebook, scope: Scope) -> pd.DataFrame:
    """List the period's section 47 decisions, each with the next decision on its case, if any.

    A section 47 enquiry's outcome is the next decision recorded on the case after it
    (known by the as-of date); ``outcome`` is missing where none is recorded.
    """
    d = _known_decisions(cb, scope)
    s47 = d[
        (d["response"].astype(object) == "section_47")
        & (d["date"] >= scope.start)
        & (d["date"] <= scope.end)
    ]
    later = s47[["decision_id", "case_id", "date"]].merge(
        d[["case_id", "date", "response"]].rename(
            columns={"date": "next_date", "response": "next_response"}
        ),
        on="case_id",
    )
    later = later[later["next_date"] > later["date"]].sort_values("next_date")
    first = later.groupby("decision_id").head(1).set_index("decision_id")
    out = s47[["decision_id", "case_id", "date"]].copy()
    out["case_type"] = out["case_id"].map(case_types(cb.cases, "case_id"))
    out["outcome"] = out["decision_id"].map(first["next_response"].astype(object))
    out["outcome_date"] = _lookup(out["decision_id"], first["next_date"])
    return out.sort_values(["date", "case_id"], kind="stable").reset_index(drop=True)


def channel_beside_social_care(cb: Casebook, scope: Scope) -> pd.DataFrame:
    """Count the period's radicalisation referrals by social-care rung and Channel support.

    Rows are the furthest social-care response, the same rows as the outcomes table (which
    counts every referral), columns whether a decision recording Channel support was made by
    the as-of date.
    """
    referred = _referred(cb, scope)
    d = _known_decisions(cb, scope)
    d = escalations(d[d["case_id"].isin(referred["case_id"])])
    highest = d[~d["channel"]].groupby("case_id")["rung"].max()
    furthest = (
        referred["case_id"]
        .map(highest)
        .map(lambda r: RESPONSE_LADDER[int(r)] if pd.notna(r) else NO_SOCIAL_CARE_DECISION)
        .astype(object)
    )
    rad = referred["case_type"] == GROUP_RADICALISATION
    adopted = referred["case_id"].isin(d.loc[d["channel"], "case_id"])
    frame = pd.DataFrame(
        {
            "furthest": furthest[rad],
            "channel": np.where(adopted[rad], CHANNEL_ADOPTED, CHANNEL_NOT_RECORDED),
        }
    )
    table = pd.crosstab(frame["furthest"], frame["channel"])
    order = [*RESPONSE_LADDER, NO_SOCIAL_CARE_DECISION]
    table = table.reindex(  # the outcomes table's rows, so that each row's sum is shared
        index=[o for o in order if o in set(furthest)],
        columns=[CHANNEL_ADOPTED, CHANNEL_NOT_RECORDED],
        fill_value=0,
    )
    table.columns.name = None
    table.index.name = "furthest"
    return table


def casework(cb: Casebook, scope: Scope, work: OpenWork) -> list[Table]:
    """Overdue plan actions by worker, and how long since each open case's child was seen alone."""
    late, seen = work
    types = case_types(cb.cases, "case_id")
    seen = seen.assign(
        band=seen_alone_bands(seen, scope.seen_alone_days),
        case_type=seen["case_id"].map(types).astype(object),
    )
    n = scope.seen_alone_days
    bands = [
        f"seen alone in the last {n} working days",
        f"last seen alone more than {n} working days ago",
        f"no visit records the child seen alone; opened in the last {n} working days",
        f"no visit records the child seen alone; opened more than {n} working days ago",
    ]
    band_counts = _counts(seen, "band", "case_type").reindex(bands, fill_value=0)
    seen_list = pd.DataFrame(
        {
            "case_id": seen["case_id"].astype(object),
            "worker_id": seen["worker_id"].astype(object).fillna("unallocated"),
            "last seen alone": seen["last_seen_alone"].dt.strftime("%Y-%m-%d").fillna("never"),
            "working days since": seen["working_days_since"],
            "counted from": seen["since"].map(
                {SINCE_SEEN_ALONE: "last seen alone", SINCE_OPENED: "the case opening"}
            ),
            "seen alone recorded on any visit": np.where(
                seen["seen_alone_recorded"], "yes", "no: not recorded either way"
            ),
        }
    )
    late_list = pd.DataFrame(
        {
            "due": late["due"].dt.strftime("%Y-%m-%d"),
            "days overdue": late["days_overdue"],
            "case_id": late["case_id"].astype(object),
            "worker_id": late["worker_id"].astype(object).fillna("unallocated"),
            "action": late["description"].astype(object),
            "owner agency": late["owner_agency"].astype(object),
        }
    )
    return [
        _count_table(
            "overdue_by_worker",
            f"Overdue plan actions on {_day(scope.as_of)}, by worker",
            overdue_by_worker(cb, late),
            scope,
            "worker",
            "Plan actions of open cases due before the as-of date with no completion recorded "
            "by then; actions are counted, not cases.",
        ),
        _keep_case_lists(
            Table(
                "overdue_actions",
                "Overdue plan actions, oldest first",
                late_list,
                "Days overdue are calendar days from the due date.",
                case_level=True,
            ),
            scope,
        ),
        _count_table(
            "seen_alone",
            f"Open cases on {_day(scope.as_of)}: when was the child last seen alone?",
            band_counts,
            scope,
            "seen alone",
            "From visits recording that the child was seen alone, dated and recorded by the "
            "as-of date; working days leave out weekends and bank holidays. A visit that does "
            "not say whether the child was seen alone is not counted as seen alone.",
        ),
        _keep_case_lists(
            Table(
                "seen_alone_cases",
                "Days since each open case's child was last seen alone, longest first",
                seen_list,
                "'Never' means no visit records the child seen alone; the count then runs "
                "from the case opening. The last column says whether any visit on the case "
                "records seen alone at all (yes or no): where none does, the record is silent.",
                case_level=True,
            ),
            scope,
        ),
    ]


def attention(cb: Casebook, scope: Scope, flag_table: pd.DataFrame, work: OpenWork) -> list[Table]:
    """List what most needs attention, the first few of each kind.

    The oldest open flags, overdue plan actions, children not seen alone for longer than the
    scope's ``seen_alone_days`` working days, and unallocated cases waiting longest.
    """
    top = ATTENTION_ROWS
    flagged = _for_supervision(cb, open_now(flag_table))
    late, seen = work
    long = seen[seen["working_days_since"].fillna(0).astype(int) > scope.seen_alone_days]
    cases = open_at(cb.cases, scope.as_of)
    waiting = cases[cases["worker_id"].isna()]
    waited = working_days_after(waiting["opened"], pd.Series(scope.as_of, waiting.index))
    unallocated = pd.DataFrame(
        {
            "case_id": waiting["case_id"].astype(object),
            "opened": waiting["opened"].dt.strftime("%Y-%m-%d"),
            "working days unallocated": waited.astype("Int64"),
        }
    ).sort_values(["working days unallocated", "case_id"], ascending=[False, True])

    def more(frame: pd.DataFrame, what: str) -> str:
        extra = len(frame) - top
        return f"The first {top} of {len(frame)} {what}." if extra > 0 else ""

    lists = [
        (
            "attention_flags",
            "The oldest open flags",
            flagged[["arose on", "case_id", "worker_id", "flag", "reason"]],
            more(flagged, "open flags; all are listed under Proportionality")
            + " Flags are prompts for supervision, not findings.",
        ),
        (
            "attention_overdue",
            "Overdue plan actions",
            pd.DataFrame(
                {
                    "due": late["due"].dt.strftime("%Y-%m-%d"),
                    "days overdue": late["days_overdue"],
                    "case_id": late["case_id"].astype(object),
                    "worker_id": late["worker_id"].astype(object).fillna("unallocated"),
                    "action": late["description"].astype(object),
                }
            ),
            more(late, "overdue actions; all are listed under Work on open cases"),
        ),
        (
            "attention_not_seen_alone",
            f"Children not seen alone for more than {scope.seen_alone_days} working days",
            pd.DataFrame(
                {
                    "case_id": long["case_id"].astype(object),
                    "worker_id": long["worker_id"].astype(object).fillna("unallocated"),
                    "last seen alone": long["last_seen_alone"]
                    .dt.strftime("%Y-%m-%d")
                    .fillna("no visit records it"),
                    "working days since": long["working_days_since"],
                }
            ),
            more(long, "such open cases")
            + " Where no visit records the child seen alone, the count runs from the case "
            "opening.",
        ),
        (
            "attention_unallocated",
            "Unallocated cases waiting longest",
            unallocated,
            more(unallocated, "unallocated cases"),
        ),
    ]
    return [
        _keep_case_lists(
            Table(
                key, title, frame.head(top).reset_index(drop=True), note.strip(), case_level=True
            ),
            scope,
        )
        for key, title, frame, note in lists
    ]


class OpenWork(NamedTuple):
    """The work on a team's open cases at the as-of date, worked out once for a whole review."""

    late: pd.DataFrame
    """Overdue plan actions (:func:`casekit.analysis.casework.overdue_actions`)."""
    seen: pd.DataFrame
    """When each open case's child was last seen alone (see
    :func:`casekit.analysis.casework.last_seen_alone`)."""


def flags_in(cb: Casebook, scope: Scope) -> pd.DataFrame:
    """Return every flag a review draws on: all flags as known at as-of, open or past.

    Each has the ``date`` its condition arose and its ``status`` at the as-of date; select
    with :func:`arising` (counts per period) and :func:`open_now` (lists for supervision).
    """
    return flags(cb, as_of=scope.as_of)


def arising(flag_table: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """Keep the flags whose condition arose in the review's period, open or past."""
    when = pd.to_datetime(flag_table["date"])
    return flag_table[(when >= scope.start) & (when <= scope.end)]


def open_now(flag_table: pd.DataFrame) -> pd.DataFrame:
    """Keep the flags still open at the as-of date, whenever they arose."""
    return flag_table[flag_table["status"].astype(str) == "open"]


def headline(
    cb: Casebook, scope: Scope, flag_table: pd.DataFrame, work: OpenWork
) -> dict[str, object]:
    """Give the numbers the index page shows for a team (suppressed like the review)."""
    cases = open_at(cb.cases, scope.as_of)
    a = first_assessments(cb, scope)
    still = open_now(flag_table)
    before = scope.previous()
    closed = cb.cases["closed"]
    numbers = {
        "open cases": len(cases),
        "unallocated": int(cases["worker_id"].isna().sum()),
        "referrals": len(a),
        "closures": int(((closed >= scope.start) & (closed <= scope.end)).sum()),
        "flags arising in the period": len(arising(flag_table, scope)),
        "flags open now": len(still),
        "step-downs due now": int((still["flag"].astype(str) == "step_down_due").sum()),
        "overdue plan actions": len(work.late),
    }
    earlier = {
        "referrals": len(_referred(cb, before)),
        "closures": int(((closed >= before.start) & (closed <= before.end)).sum()),
        "flags arising in the period": len(arising(flag_table, before)),
    }
    for k, v in earlier.items():
        numbers[f"{k}{PREVIOUS}"] = v
    within = int((a["waited"] <= ASSESSMENT_LIMIT).sum())
    out: dict[str, object] = {
        k: (SUPPRESSED if scope.suppress and 1 <= v <= 5 else v) for k, v in numbers.items()
    }
    hidden = scope.suppress and (1 <= within <= 5 or 1 <= len(a) <= 5)
    out[ASSESSED_WITHIN_LIMIT] = SUPPRESSED if hidden else _share(within, len(a))
    _changes(out)
    return out


PREVIOUS = ": previous period"
"""Suffix of a headline number counted over the period of the same length just before."""
CHANGE = ": change"
"""Suffix of a headline change from the previous period (this minus previous)."""


def _changes(out: dict[str, Any]) -> None:
    """Add each change from the previous period, hidden wherever either number is."""
    for key in [k[: -len(PREVIOUS)] for k in out if k.endswith(PREVIOUS)]:
        now, then = out[key], out[f"{key}{PREVIOUS}"]
        if SUPPRESSED in (now, then):
            out[f"{key}{CHANGE}"] = SUPPRESSED
        else:
            out[f"{key}{CHANGE}"] = change_words(int(now) - int(then))


def change_words(change: int) -> str:
    """Say a change in words: ``up 3``, ``down 2`` or ``no change``.

    >>> change_words(3), change_words(-2), change_words(0)
    ('up 3', 'down 2', 'no change')
    """
    return f"up {change}" if change > 0 else f"down {-change}" if change < 0 else "no change"


SECTIONS = (
    (
        "attention",
        "What needs attention",
        "The oldest open flags, overdue plan actions, children not seen alone for long, and "
        "the children waiting longest for a worker: the first few of each.",
    ),
    ("caseload", "Caseload", "Who holds which cases, and which children are waiting for a worker."),
    (
        "casework",
        "Work on open cases",
        "Plans carried out on time, and children seen alone: the child's voice, heard first-hand.",
    ),
    ("flow", "Flow", "Where referrals come from, what they are about, and where they lead."),
    ("timeliness", "Timeliness", "Assess early and meaningfully with the family."),
    (
        "proportionality",
        "Proportionality",
        "Belief is not risk; behaviour is. Respond as to any other safeguarding concern.",
    ),
    (
        "practice",
        "Practice quality",
        "Plans tied to evidence, families engaged, chronologies current.",
    ),
    ("governance", "Information governance", "Share with partners under explicit governance."),
    (
        "dynamics",
        "Dynamics",
        "Risk is dynamic: who is getting safer, and whose response should step down.",
    ),
)


def _sections(
    team: Casebook, scope: Scope, flag_table: pd.DataFrame, work: OpenWork
) -> list[Section]:
    makers = {
        "attention": lambda: attention(team, scope, flag_table, work),
        "caseload": lambda: caseload(team, scope),
        "casework": lambda: casework(team, scope, work),
        "flow": lambda: flow(team, scope),
        "timeliness": lambda: timeliness(team, scope),
        "proportionality": lambda: proportionality(team, scope, flag_table),
        "practice": lambda: practice(team, scope, flag_table),
        "governance": lambda: governance(team, scope, flag_table),
        "dynamics": lambda: dynamics(team, scope, flag_table),
    }
    return [Section(key, title, why, makers[key]()) for key, title, why in SECTIONS]


def _headline_frame(headline: dict[str, object]) -> tuple[pd.DataFrame, list[str]]:
    counts = [k for k in headline if not k.endswith(("%", CHANGE))]
    return pd.DataFrame([{"": HEADLINE, **headline}]), counts


def publication(review: Review, raw: Review) -> Publication:
    """Put every count a suppressed review shows or hides, and every sum it shares, together.

    ``raw`` is the same review unsuppressed (the true values). The sums are each table's
    totals and the margins tables share (:data:`casekit.privacy.margins.MARGINS`).
    """
    p = Publication()
    for shown, true in zip(review.tables(), raw.tables(), strict=True):
        if shown.counts and not shown.case_level:
            hidden = (shown.frame.astype(str) == SUPPRESSED).to_numpy()
            labels = row_labels(shown.key, true.frame)
            rows = p.add_frame(shown.key, true.frame, shown.counts, hidden=hidden, labels=labels)
            _add_complements(p, shown, true.frame, rows)
    frame, counts = _headline_frame(raw.headline)
    hidden = (_headline_frame(review.headline)[0].astype(str) == SUPPRESSED).to_numpy()
    p.add_frame(HEADLINE, frame, counts, hidden=hidden)
    for left, right in MARGINS:
        p.equate(left, right)
    return p


def _add_complements(p: Publication, table: Table, true: pd.DataFrame, rows: list[str]) -> None:
    """Protect "k of n" rows' complements (n - k) as counts, by the same 1-5 rule.

    "32 of 34 sharing records had a purpose" tells a reader that 2 had none: a small count of
    its own. Each complement from 1 to 5 joins the publication as a hidden count with its
    sum (k + complement = n), so protection hides k or n until it cannot be worked out.
    """
    pairs = {s for s in table.derived.values() if len(s) == 2 and set(s) <= set(table.counts)}
    for k, n in sorted(pairs):
        ks = pd.to_numeric(true[k], errors="coerce").to_numpy()
        ns = pd.to_numeric(true[n], errors="coerce").to_numpy()
        for row, yes, of in zip(rows, ks, ns, strict=True):
            left = of - yes
            if np.isfinite(left) and 1 <= left <= 5:
                cell = (table.key, row, f"{n} but not {k}")
                p.add(cell, float(left), hidden=True)
                p.equate([(table.key, row, k), cell], [(table.key, row, n)])


def _protect_jointly(review: Review, raw: Review) -> None:
    """Hide more cells until none hidden can be worked out from the whole review.

    Then hide every derived column (a share, a rate, cases per FTE) wherever a count it is
    made from is hidden.
    """
    p = publication(review, raw)
    p.protect()
    if p.pinned():  # protect() leaves none; publishing one would undo the suppression
        raise CasekitError(
            f"team {review.scope.team_id}: suppression could not hide every count that can be "
            "worked out; the review is not written. Please report this as a bug."
        )
    tables = {t.key: t for t in review.tables()}
    hidden = {cell for cell, h in zip(p.cells, p.hidden, strict=True) if h}
    for key, row, column in hidden:
        if key == HEADLINE:
            review.headline[column] = SUPPRESSED
            continue
        frame = tables[key].frame
        if column not in frame.columns:
            continue  # a complement (n - k): protected, never shown
        i = p.rows[key].index(row)
        frame[column] = frame[column].astype(object)
        frame.iat[i, cast(int, frame.columns.get_loc(column))] = SUPPRESSED  # unique labels
    for t in tables.values():
        for column, sources in t.derived.items():
            if column in t.frame.columns and len(t.frame):
                gone = (t.frame[list(sources)].astype(str) == SUPPRESSED).any(axis=1)
                t.frame[column] = t.frame[column].astype(object).mask(gone, SUPPRESSED)
    summary = tables.get("first_assessment_summary")
    share = ASSESSED_WITHIN_LIMIT
    if summary is not None and share in review.headline:
        everyone = summary.frame[summary.frame.iloc[:, 0].astype(str) == "all"]
        cells = everyone[[WITHIN_LIMIT, "referrals"]].astype(str)
        if (cells == SUPPRESSED).any(axis=None) or review.headline["referrals"] == SUPPRESSED:
            review.headline[share] = SUPPRESSED
    _changes(review.headline)


def build(cb: Casebook, scope: Scope) -> Review:
    """Build a team's whole review from a casebook (all teams, or already one team's).

    Suppressed, the review is protected as a whole: no hidden cell can be worked out from
    all its tables and headline numbers together (see :mod:`casekit.privacy.margins`).
    """
    team = team_casebook(cb, scope.team_id)
    flag_table = flags_in(team, scope)
    work = OpenWork(overdue_actions(team, scope.as_of), last_seen_alone(team, scope.as_of))
    review = Review(
        scope, headline(team, scope, flag_table, work), _sections(team, scope, flag_table, work)
    )
    if scope.suppress:
        open_scope = replace(scope, suppress=False)
        raw = Review(
            open_scope,
            headline(team, open_scope, flag_table, work),
            _sections(team, open_scope, flag_table, work),
        )
        _protect_jointly(review, raw)
    return review
