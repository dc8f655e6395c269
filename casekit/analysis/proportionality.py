"""The proportionality flags: exactly the twelve flags, names and semantics of practice.md.

Each flag is raised on a subject (a decision, a plan action, a sharing record, or the case
itself) with a plain-English reason that names the evidence and quotes the record, never more.
Every flag row carries a ``date`` (the day the condition arose) and a ``status``: ``open`` when
it still calls for action at the as-of date, else ``past``. Thresholds are keyword parameters
with the documented defaults; flags that depend on "now" take an ``as_of`` date (default today),
and only what had happened and been recorded by then counts. :func:`flags` raises them with
their relational definition (``casekit.analysis.relational``) on DuckDB by default, or on the
engine named. The pandas and Arrow code here is the reference oracle that definition is tested
against (``flags(..., engine="pandas")``).

"The social-care rung": the response ladder's rung from a decision on. ``channel_support`` is
not a rung: a Channel decision keeps the rung before it, and neither raises nor lowers it.
"Raises the response": the decision's rung is higher than the rung before it (before the
first decision, ``no_further_action``); "lowers" likewise. "Rests on": the decision's
``evidence_ids`` or, when it has none, every event of the case recorded on or before the
decision's date. "Concern events": influence or grooming, extremist behaviour, harm.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from casekit.analysis.thresholds import THRESHOLDS
from casekit.analysis.thresholds import check_thresholds as _thresholds
from casekit.analysis.thresholds import read_as_of as _as_of
from casekit.bundle.arrowops import arrow_strings, find_rows, is_in
from casekit.bundle.casebook import Casebook
from casekit.contract import (
    BELIEF_CATEGORIES,
    CHANNEL,
    CONCERN_CATEGORIES,
    RESPONSE_LADDER,
    RUNG,
    SAFETY_SCALE,
    STATUTORY_RESPONSES,
)
from casekit.errors import CasekitError
from casekit.policy import (
    ASSESSMENT_WORKING_DAYS,
    CLOSED_RECENTLY_DAYS,
    CONCERN_WINDOW_DAYS,
    ESCALATION_RUNG,
    FLAG_COLUMNS,
    FLAGS,
    LOW_SCALE,
    STATUSES,
    STATUTORY_RUNG,
    STEP_DOWN_COLUMNS,
    STEP_DOWN_DAYS,
    STEP_DOWN_MIN_SCALE,
    STEP_DOWN_TYPES,
    bank_holidays,  # noqa: F401  (was public here: kept importable)
    nth_working_day_after,
    working_days_after,
)

if TYPE_CHECKING:
    from casekit.engine import Engine

__all__ = [
    "FLAGS",
    "FLAG_COLUMNS",
    "STATUSES",
    "THRESHOLDS",
    "PandasFlags",
    "STEP_DOWN_COLUMNS",
    "flags",
    "step_downs_due",
    "escalations",
    "rests_on",
]

MEDIUM_OR_HIGH = ("medium", "high")
_QUOTE = 60  # characters of free text quoted in a reason
_LIST = 6  # events named in a reason before "and N more"


def _known(cb: Casebook, as_of: pd.Timestamp) -> dict[str, Any]:
    """Keep what had happened, and been recorded, by the as-of date.

    Beside the tables, it holds the known cases' ids as one Arrow array and their team, whether
    they are open at the as-of date and their closure as arrays with one more slot at the end
    (for ids that are not a known case), so any table's cases are looked up by position.
    """
    cases = cb.cases[cb.cases["opened"] <= as_of].copy()
    cases.loc[cases["closed"] > as_of, "closed"] = pd.NaT
    events = cb.events[(cb.events["date"] <= as_of) & (cb.events["recorded_on"] <= as_of)]
    return {
        "case_ids": arrow_strings(cases["case_id"]),
        "team": np.append(cases["team_id"].to_numpy(dtype=object), [None]),
        "open": np.append(cases["closed"].isna().to_numpy(), False),
        "closed": np.append(cases["closed"].to_numpy(), np.datetime64("NaT", "ns")),
        "cases": cases,
        "events": events,
        "all_events": cb.events,
        "decisions": cb.decisions[cb.decisions["date"] <= as_of],
        "judgements": cb.judgements[cb.judgements["date"] <= as_of],
        "plan_actions": cb.plan_actions[cb.plan_actions["created"] <= as_of],
        "info_sharing": cb.info_sharing[cb.info_sharing["date"] <= as_of],
    }


def _lit(text: str) -> pa.Scalar:
    return pa.scalar(text, type=pa.large_string())


def _arrow_text(part: str | pd.Series | np.ndarray) -> pa.Array | pa.Scalar:
    """Give a literal or a column as Arrow text, a missing value as empty text."""
    if isinstance(part, str):
        return _lit(part)
    column = part if isinstance(part, pd.Series) else pd.Series(part)
    return pc.fill_null(arrow_strings(column), _lit(""))


def _cat(index: pd.Index, *parts: str | pd.Series | np.ndarray) -> pd.Series:
    """Join literals and columns row by row into one text column, in one Arrow call.

    Columns are taken by position (their index is ignored) and missing values join as empty
    text; ``index`` is the result's.

    >>> _cat(pd.RangeIndex(2), "D", pd.Series(["1", None]), np.array([" a", " b"])).tolist()
    ['D1 a', 'D b']
    """
    joined = pc.binary_join_element_wise(*[_arrow_text(p) for p in parts], _lit(""))
    if isinstance(joined, pa.Scalar):
        joined = pa.array([joined.as_py()] * len(index), type=pa.large_string())
    return pd.Series(pd.array(joined, dtype="str"), index=index)


def _day(s: pd.Series) -> pd.Series:
    """Write dates as YYYY-MM-DD (a missing date as empty text).

    >>> _day(pd.Series(pd.to_datetime(["2024-03-01", None]))).tolist()
    ['2024-03-01', '']
    """
    codes, days = pd.factorize(s.to_numpy().astype("datetime64[D]"))  # few distinct days
    words = np.append(np.datetime_as_string(days.astype("datetime64[D]"), unit="D"), "")
    text = pa.array(words, type=pa.large_string()).take(pa.array(codes % len(words)))
    return pd.Series(pd.array(text, dtype="str"), index=s.index)


def _str(s: pd.Series) -> pd.Series:
    """Write values as text, missing ones as empty text (so any two columns can be joined).

    >>> _str(pd.Series([3, None], dtype="Int64")).tolist()
    ['3', '']
    """
    return s.astype("str").fillna("")


def _words(s: pd.Series) -> pd.Series:
    """Write vocabulary values as words: ``child_in_need`` -> ``child in need``."""
    return _str(s).str.replace("_", " ")


def _quote(s: pd.Series, limit: int = _QUOTE) -> pd.Series:
    r"""Quote free text as the record has it, in one line, cut at ``limit`` characters.

    >>> _quote(pd.Series(["Screening\ncompleted", None, "x" * 70]), 20).tolist()
    ['"Screening completed"', '""', '"xxxxxxxxxxxxxxxxxxx…"']
    """
    lit = _lit
    text = pc.fill_null(arrow_strings(s), lit(""))
    # whitespace is ASCII (as in casekit.engine.text): other spaces, such as U+00A0, are kept
    text = pc.utf8_trim(pc.replace_substring_regex(text, r"[ \t\n\r]+", " "), " ")
    cut = pc.utf8_rtrim(pc.utf8_slice_codeunits(text, 0, max(limit - 1, 0)), " ")
    cut = pc.binary_join_element_wise(cut, lit("…"), lit(""))
    text = pc.if_else(pc.greater(pc.utf8_length(text), limit), cut, text)
    text = pc.binary_join_element_wise(lit('"'), text, lit('"'), lit(""))
    return pd.Series(pd.array(text, dtype="str"), index=s.index)


def _blank(s: pd.Series) -> pd.Series:
    """Say which cells are empty: missing, or only spaces."""
    return s.isna() | (s.astype(object).where(s.notna(), "").astype(str).str.strip() == "")


def _frame(rows: pd.DataFrame, flag: str) -> pd.DataFrame:
    out = rows.assign(flag=flag)
    return out[FLAG_COLUMNS] if len(out) else pd.DataFrame(columns=FLAG_COLUMNS)


def _case_rows(known: dict[str, Any], case_id: pd.Series) -> np.ndarray:
    """Find each case id among the known cases (the last slot when it is not one)."""
    rows = find_rows(arrow_strings(case_id), known["case_ids"])
    return np.where(rows < 0, len(known["team"]) - 1, rows)


def _team(known: dict[str, Any], case_id: pd.Series) -> np.ndarray:
    """Give each case's team."""
    return known["team"][_case_rows(known, case_id)]


def _open(known: dict[str, Any], case_id: pd.Series) -> np.ndarray:
    """Say whether each case is open at the as-of date (a case not known is not)."""
    return known["open"][_case_rows(known, case_id)]


def _closed(known: dict[str, Any], case_id: pd.Series) -> np.ndarray:
    """Give each case's closure, if it was closed by the as-of date."""
    return known["closed"][_case_rows(known, case_id)]


def _escalated(known: dict[str, Any]) -> pd.DataFrame:
    """Give :func:`escalations` of the known decisions, worked out once per call."""
    if "escalated" not in known:
        known["escalated"] = escalations(known["decisions"])
    return known["escalated"]


def _status(is_open: pd.Series | np.ndarray) -> np.ndarray:
    return np.where(np.asarray(is_open, dtype=bool), "open", "past")


def escalations(decisions: pd.DataFrame) -> pd.DataFrame:
    """Order decisions within each case and add the social-care ``rung`` they leave in place.

    Adds ``channel`` (a Channel decision: support beside social care, not a rung), ``rung`` (the
    case's social-care rung from this decision on: a Channel decision keeps the rung before it),
    ``previous`` (the rung before the decision; ``no_further_action`` before the first),
    ``raises`` and ``lowers`` (never true of a Channel decision).

    >>> d = pd.DataFrame({"case_id": ["C"] * 3, "decision_id": ["D1", "D2", "D3"],
    ...     "date": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]),
    ...     "response": ["child_in_need", "channel_support", "early_help"]})
    >>> escalations(d)[["rung", "previous", "raises", "lowers"]].values.tolist()
    [[3, 0, True, False], [3, 3, False, False], [2, 3, False, True]]
    """
    d = decisions.sort_values(["case_id", "date", "decision_id"], kind="stable").copy()
    d["channel"] = (d["response"].astype(str) == CHANNEL).to_numpy()
    own = d["response"].astype(str).map(RUNG)  # NaN for Channel
    d["rung"] = own.groupby(d["case_id"], sort=False).ffill().fillna(0).astype(int)
    d["previous"] = d.groupby("case_id", sort=False)["rung"].shift(fill_value=0).astype(int)
    d["raises"] = ~d["channel"] & (d["rung"] > d["previous"])
    d["lowers"] = ~d["channel"] & (d["rung"] < d["previous"])
    return d


def rests_on(
    raising: pd.DataFrame, events: pd.DataFrame, event_ids: pa.Array | None = None
) -> pd.DataFrame:
    """Pair each raising decision with the events it rests on (one row per pair).

    Cited events come in the order cited; an uncited decision's by date, recording and id.
    Cited events are found with Arrow hash lookups, and only the events of cases with an
    uncited decision are joined, so millions of events cost little more than reading them.
    ``event_ids`` is ``arrow_strings(events["event_id"])`` when the caller already has it.
    """
    cols = ["event_id", "category", "restricted", "evidence", "recorded_on"]
    has_ids = raising["evidence_ids"].map(len) > 0
    cited = raising.loc[has_ids, ["decision_id", "evidence_ids"]].explode("evidence_ids")
    if event_ids is None:
        event_ids = arrow_strings(events["event_id"])
    rows = find_rows(arrow_strings(cited["evidence_ids"]), event_ids)
    found = rows >= 0
    cited = (
        events[cols].iloc[rows[found]].assign(decision_id=cited["decision_id"].to_numpy()[found])
    )
    bare = raising.loc[~has_ids, ["decision_id", "case_id", "date"]]
    of_bare = pc.is_in(
        arrow_strings(events["case_id"]), value_set=arrow_strings(bare["case_id"]).unique()
    )
    ev = events.loc[of_bare.to_numpy(zero_copy_only=False), ["case_id", "date", *cols]]
    # each decision's events by date, recording and id (merge keeps this order within a key)
    ev = ev.sort_values(["date", "recorded_on", "event_id"], kind="stable").drop(columns="date")
    everything = bare.merge(ev, on="case_id")
    everything = everything[everything["recorded_on"] <= everything["date"]]
    pairs = pd.concat([cited, everything.drop(columns=["case_id", "date"])], ignore_index=True)[
        ["decision_id", *cols]
    ]
    return pairs.assign(category=pairs["category"].astype(str))


def _current(d: pd.DataFrame) -> pd.Series:
    """Say, for each decision of :func:`escalations`, whether its social-care rung is current.

    It is current while no later decision has raised or lowered the rung: a later decision at
    the same rung, or a Channel decision, keeps it current.
    """
    change = (d["raises"] | d["lowers"]).astype(int)
    by_case = change.groupby(d["case_id"], sort=False)
    return (by_case.transform("sum") - by_case.cumsum()) == 0


def _event_ids(known: dict[str, Any], table: str) -> pa.Array:
    """Give a table's event ids as one Arrow array, made once per call."""
    if f"{table}_ids" not in known:
        known[f"{table}_ids"] = arrow_strings(known[table]["event_id"])
    return known[f"{table}_ids"]


def _event_labels(
    pairs: pd.DataFrame,
    known: dict[str, Any],
    table: str = "events",
    rows: np.ndarray | None = None,
) -> pd.Series:
    """Label events as the record has them: ``E1 (views expressed) on 2024-01-10: "..."``.

    ``rows`` are the events' positions in ``known[table]`` when the caller has found them.
    """
    events = known[table]
    if rows is None:
        rows = find_rows(arrow_strings(pairs["event_id"]), _event_ids(known, table))
    found = rows >= 0
    taken = events[["date", "summary"]].iloc[np.where(found, rows, 0)] if len(events) else None
    date = pd.Series(pd.NaT, index=pairs.index, dtype="datetime64[ns]")
    summary = pd.Series("", index=pairs.index, dtype="str")
    if taken is not None:
        date[found] = taken["date"].to_numpy()[found]
        summary = summary.where(~found, pd.Series(taken["summary"].to_numpy(), index=pairs.index))
    when = np.where(found, _day(date).to_numpy(), "an unknown date")
    return _cat(
        pairs.index,
        pairs["event_id"],
        " (",
        _words(pairs["category"]),
        ") on ",
        when,
        ": ",
        _quote(summary),
    )


def _join_by(labels: pd.Series, key: pd.Series, limit: int = _LIST) -> pd.Series:
    """Join labels per key: ``a, b, c and 2 more``."""
    if labels.empty:
        return pd.Series(dtype=object)
    frame = pd.DataFrame({"key": key.to_numpy(), "label": _str(labels).to_numpy()})
    rank = frame.groupby("key", sort=False).cumcount().to_numpy()
    out = frame[rank == 0].set_index("key")["label"].astype(object)
    for r in range(1, limit):  # one vectorised pass per position, not one call per key
        more = frame[rank == r].set_index("key")["label"]
        if more.empty:
            break
        out.loc[more.index] = out.loc[more.index] + ", " + more.astype(object)
    extra = frame.groupby("key", sort=False).size().reindex(out.index) - limit
    over = (extra > 0).to_numpy()
    out[over] = out[over] + " and " + extra[over].astype(str).astype(object) + " more"
    return out


def _decision_flags(known: dict[str, Any], t: dict[str, Any]) -> list[pd.DataFrame]:
    d = _escalated(known).copy()
    if d.empty:
        return []
    min_rung, statutory = RUNG[t["escalation_rung"]], RUNG[t["statutory_rung"]]
    rows = _case_rows(known, d["case_id"])
    d["team_id"] = known["team"][rows]
    d["status"] = _status(known["open"][rows] & _current(d).to_numpy())
    d["subject_id"] = d["decision_id"]
    raising = d[d["raises"]].copy()
    pairs = rests_on(raising, known["events"], _event_ids(known, "events"))
    pairs["concern"] = pairs["category"].isin(CONCERN_CATEGORIES)
    pairs["belief"] = pairs["category"].isin(BELIEF_CATEGORIES)
    pairs["hidden"] = pairs["restricted"].fillna(False).astype(bool) | (
        pairs["evidence"] == "intelligence"
    )
    # count per decision by position (Arrow hashes the ids once; no string groupby)
    at = find_rows(arrow_strings(pairs["decision_id"]), arrow_strings(raising["decision_id"]))
    n = len(raising)
    for name, rows in (
        ("n_concern", pairs["concern"].to_numpy()),
        ("n_belief", pairs["belief"].to_numpy()),
        ("n_hidden", (pairs["concern"] & pairs["hidden"]).to_numpy()),
    ):
        raising[name] = np.bincount(at[rows & (at >= 0)], minlength=n)[:n]
    raising["cited"] = (raising["evidence_ids"].map(len) > 0).to_numpy()
    no_concern = raising["n_concern"] == 0
    on_belief = raising[(raising["rung"] >= min_rung) & no_concern & (raising["n_belief"] > 0)]
    on_context = raising[(raising["rung"] >= statutory) & no_concern & (raising["n_belief"] == 0)]
    hidden = raising[(raising["n_concern"] > 0) & (raising["n_hidden"] == raising["n_concern"])]
    # name the evidence only for the decisions a reason needs it for (a few, not all)
    wanted = pd.concat([on_belief["decision_id"], on_context["decision_id"]])
    of_hidden = is_in(pairs["decision_id"], hidden["decision_id"]) & pairs["concern"].to_numpy()
    shown = pairs[is_in(pairs["decision_id"], wanted) | of_hidden]  # one lookup for both
    labels = _event_labels(shown, known)
    mine = is_in(shown["decision_id"], hidden["decision_id"])
    named = _join_by(labels[~mine], shown["decision_id"][~mine])
    named_concern = _join_by(labels[mine], shown["decision_id"][mine])

    def what(rows: pd.DataFrame, *rest: str | pd.Series | np.ndarray) -> pd.Series:
        """Open a reason: ``Decision D1 (2024-02-01) raised the response from A to B``."""
        before = np.asarray(RESPONSE_LADDER, dtype=object)[rows["previous"].to_numpy()]
        return _cat(
            rows.index,
            "Decision ",
            rows["decision_id"],
            " (",
            _day(rows["date"]),
            ") raised the response from ",
            _words(pd.Series(before)),
            " to ",
            _words(rows["response"]),
            *rest,
        )

    def basis(rows: pd.DataFrame) -> np.ndarray:
        return np.where(
            rows["cited"],
            ", resting on ",
            ", citing no evidence, so resting on everything recorded by then: ",
        )

    def names(rows: pd.DataFrame, named: pd.Series) -> pd.Series:
        return rows["decision_id"].map(named)

    out = []
    reason = what(
        on_belief,
        basis(on_belief),
        names(on_belief, named),
        "; none of these is influence or grooming, extremist behaviour or harm.",
    )
    out.append(_frame(on_belief.assign(reason=reason), "escalation_on_belief_or_views"))
    rested = names(on_context, named)
    ending = np.where(
        rested.notna(),
        "; none of these is a concern event (influence or grooming, extremist behaviour or "
        "harm) or a belief or views event.",
        np.where(
            on_context["cited"],
            "citing evidence_ids that name no event recorded by then.",
            "citing no evidence, and no event of the case was recorded by then.",
        ),
    )
    lead = np.where(rested.notna(), basis(on_context), ", ")
    reason = what(on_context, lead, rested, ending)
    out.append(_frame(on_context.assign(reason=reason), "statutory_step_without_concern"))
    bare = raising[~raising["cited"]]
    reason = what(bare, " with no evidence_ids: say which events it rests on.")
    out.append(_frame(bare.assign(reason=reason), "escalation_without_evidence"))
    reason = what(
        hidden,
        "; every concern event it rests on is restricted or intelligence: ",
        names(hidden, named_concern),
        " (restricted = true, or evidence = intelligence).",
    )
    out.append(_frame(hidden.assign(reason=reason), "rests_on_restricted_intelligence"))
    not_engaged = raising["family_engaged"].eq(False).fillna(False).astype(bool)
    apart = raising[(raising["rung"] >= min_rung) & not_engaged]
    reason = what(apart, "; it is recorded with family_engaged = false.")
    out.append(_frame(apart.assign(reason=reason), "family_not_engaged"))
    police = d[d["response"].isin(STATUTORY_RESPONSES) & (d["lead_agency"] == "police")]
    reason = _cat(
        police.index,
        "Decision ",
        police["decision_id"],
        " (",
        _day(police["date"]),
        ") to ",
        _words(police["response"]),
        " was led by the police.",
    )
    out.append(_frame(police.assign(reason=reason), "police_led_statutory_step"))
    return out


_SPAN = 1 << 22  # more days than any date casekit reads: one block of day numbers per case
_EPOCH = 1 << 20  # shifts day numbers of dates before 1970 above zero


def _days(values: pd.Series | np.ndarray) -> np.ndarray:
    """Day numbers of dates (no date may be missing)."""
    return np.asarray(values).astype("datetime64[D]").astype(np.int64) + _EPOCH


def _concerns(known: dict[str, Any]) -> pd.DataFrame:
    """Keep the concern events of ``medium`` or ``high`` significance known at the as-of date."""
    if "concerns" not in known:
        ev = known["events"]
        keep = ev["category"].isin(CONCERN_CATEGORIES) & ev["significance"].isin(MEDIUM_OR_HIGH)
        cols = ["event_id", "case_id", "date", "recorded_on", "category", "significance", "summary"]
        known["concerns"] = ev.loc[keep.to_numpy(), cols]
    return known["concerns"]


def _recorded_between(
    known: dict[str, Any], case_id: pd.Series, after: pd.Series, upto: pd.Series
) -> np.ndarray:
    """Count each case's medium or high concern events recorded in (``after``, ``upto``].

    One sorted array of (case, day) keys and two binary searches: no join.
    """
    concerns = _concerns(known)
    if concerns.empty or case_id.empty:
        return np.zeros(len(case_id), dtype=np.int64)
    if "concern_keys" not in known:
        code = find_rows(arrow_strings(concerns["case_id"]), known["case_ids"])
        day = _days(concerns["recorded_on"])
        known["concern_keys"] = np.sort((code * _SPAN + day)[code >= 0])
    keys = known["concern_keys"]
    code = find_rows(arrow_strings(case_id), known["case_ids"])
    lo = np.searchsorted(keys, code * _SPAN + _days(after), side="right")
    hi = np.searchsorted(keys, code * _SPAN + _days(upto), side="right")
    return np.where(code >= 0, hi - lo, 0)


def _stretches(known: dict[str, Any], min_rung: int) -> pd.DataFrame:
    """Find each stretch of a case's social-care rung at ``min_rung`` or above.

    Channel decisions keep the rung, so they never break a stretch; a decision below
    ``min_rung`` (the step-down) or the case's closure ends it. One row per stretch, indexed by
    a stretch number: ``case_id``, ``start``, ``stepped_down`` (date), ``down_to`` (the
    response stepped down to), ``closed``, ``ended`` (the earlier of the two, NaT while it
    runs) and ``how`` (``stepped down to ...`` or ``closed``).
    """
    d = _escalated(known)
    if d.empty:
        return pd.DataFrame(
            columns=["case_id", "start", "stepped_down", "down_to", "closed", "ended", "how"]
        )
    high = d["rung"] >= min_rung
    case = d["case_id"].astype(object)
    new = (case != case.shift()) | (high != high.shift())
    firsts = d.loc[new.to_numpy(), ["case_id", "date", "response"]].assign(
        high=high[new].to_numpy()
    )
    firsts = firsts.reset_index(drop=True)
    same = firsts["case_id"].astype(object).shift(-1) == firsts["case_id"].astype(object)
    firsts["stepped_down"] = firsts["date"].shift(-1).where(same)
    firsts["down_to"] = firsts["response"].astype(object).shift(-1).where(same)
    s = firsts[firsts["high"]].rename(columns={"date": "start"})
    s["closed"] = _closed(known, s["case_id"])
    by_step = s["stepped_down"].notna() & (s["closed"].isna() | (s["stepped_down"] <= s["closed"]))
    s["ended"] = s["stepped_down"].where(by_step, s["closed"])
    s["how"] = np.where(
        by_step,
        "It was stepped down to " + _words(s["down_to"].fillna("")),
        np.where(s["closed"].notna(), "The case was closed", ""),
    )
    s.index.name = "stretch"
    return s[["case_id", "start", "stepped_down", "down_to", "closed", "ended", "how"]]


def _judgement_label(rows: pd.DataFrame, prefix: str = "") -> pd.Series:
    """Label judgements: ``J1 (family, 8 on 2024-03-01)``."""
    return (
        _str(rows[prefix + "judgement_id"])
        + " ("
        + _str(rows[prefix + "level"])
        + ", "
        + _str(rows[prefix + "safety_scale"])
        + " on "
        + _day(rows[prefix + "date"])
        + ")"
    )


def _due_stretches(known: dict[str, Any], as_of: pd.Timestamp, t: dict[str, Any]) -> pd.DataFrame:
    """Find the stretches at child in need or above in which a step-down became due.

    At a day ``t`` of a stretch the condition holds when ``t`` is more than ``step_down_days``
    after its start, at least one judgement of the stretch is dated on or before ``t``, every
    one of them (all levels) is ``step_down_min_scale`` or above, and no concern event of
    medium or high significance was recorded after the latest of them and on or before ``t``.
    Within a run of days that share the same latest judgement the condition can only stop
    holding (concerns accumulate), so only the first day of each run, or the first day past
    ``step_down_days``, can be the first due day. Returns :data:`STEP_DOWN_COLUMNS` plus
    ``reason`` for each stretch that became due by ``as_of``.
    """
    columns = [*STEP_DOWN_COLUMNS, "reason"]
    rung_words = t["escalation_rung"].replace("_", " ")
    min_scale, days = t["step_down_min_scale"], t["step_down_days"]
    s = _stretches(known, RUNG[t["escalation_rung"]])
    j = known["judgements"][["judgement_id", "case_id", "date", "level", "safety_scale"]]
    j = j[j["safety_scale"].notna()]
    if s.empty or j.empty:
        return pd.DataFrame(columns=columns)
    pairs = s[["case_id", "start", "ended"]].reset_index().merge(j, on="case_id")
    inside = (pairs["date"] >= pairs["start"]) & (
        pairs["ended"].isna() | (pairs["date"] < pairs["ended"])
    )
    pairs = pairs[inside.to_numpy()].sort_values(["stretch", "date", "judgement_id"], kind="stable")
    lows = pairs[(pairs["safety_scale"] < min_scale).to_numpy()].drop_duplicates("stretch")
    lows = lows.set_index("stretch")
    s["first_low"] = lows["date"].reindex(s.index)
    pairs["first_low"] = pairs["stretch"].map(s["first_low"]).astype("datetime64[ns]")
    valid = pairs[(pairs["first_low"].isna() | (pairs["date"] < pairs["first_low"])).to_numpy()]
    if valid.empty:
        return pd.DataFrame(columns=columns)
    runs = valid.drop_duplicates(["stretch", "date"], keep="last").copy()
    stop = s["ended"].fillna(as_of + pd.Timedelta(days=1))
    stop = stop.where(s["first_low"].isna() | (stop <= s["first_low"]), s["first_low"])
    runs["next"] = runs.groupby("stretch")["date"].shift(-1)
    runs["next"] = runs["next"].fillna(runs["stretch"].map(stop)).astype("datetime64[ns]")
    earliest = runs["start"] + pd.Timedelta(days=days + 1)
    runs["day"] = runs["date"].where(runs["date"] >= earliest, earliest)
    runs = runs[(runs["day"] < runs["next"]).to_numpy()]
    fresh = _recorded_between(known, runs["case_id"], runs["date"], runs["day"]) == 0
    due = runs[fresh].drop_duplicates("stretch").set_index("stretch")
    if due.empty:
        return pd.DataFrame(columns=columns)
    out = s.loc[due.index].copy()
    out["due"] = due["day"]
    out["latest_then"] = _judgement_label(due)
    by_then = valid[(valid["date"] <= valid["stretch"].map(out["due"])).to_numpy()]
    out["n_then"] = by_then.groupby("stretch").size().reindex(out.index).fillna(0).astype(int)
    latest_now = valid.drop_duplicates("stretch", keep="last").set_index("stretch")
    latest_now = latest_now.reindex(out.index)
    out["latest_now"] = _judgement_label(latest_now)
    out["n_now"] = valid.groupby("stretch").size().reindex(out.index).fillna(0).astype(int)
    concerns = _concerns(known)
    stale = (
        _recorded_between(
            known, out["case_id"], latest_now["date"], pd.Series(as_of, index=out.index)
        )
        > 0
    )
    out["open"] = (out["ended"].isna() & out["first_low"].isna()).to_numpy() & ~stale
    out["wait_days"] = (out["ended"] - out["due"]).dt.days.astype("Int64")
    out["reason"] = _step_down_reasons(out, lows, latest_now, concerns, as_of, t, rung_words)
    return out.reset_index(drop=True)[columns]


def _step_down_reasons(
    out: pd.DataFrame,
    lows: pd.DataFrame,
    latest_now: pd.DataFrame,
    concerns: pd.DataFrame,
    as_of: pd.Timestamp,
    t: dict[str, Any],
    rung_words: str,
) -> pd.Series:
    """Say why each stretch's step-down became due, and, when past, how it ended."""
    min_scale = t["step_down_min_scale"]
    running = _str((as_of - out["start"]).dt.days)

    def judged(n: pd.Series, latest: pd.Series, when: str, verb: str) -> pd.Series:
        """Name the judgements: one by itself, several by their count and the latest."""
        plural = {"is": "are", "was": "were"}[verb]
        one = "its one judgement " + when + ", " + latest + f", {verb} {min_scale} or above"
        many = (
            "all "
            + _str(n)
            + f" judgements {when} {plural} {min_scale} or above (the latest: "
            + latest
            + ")"
        )
        return pd.Series(np.where(n == 1, one, many), index=n.index)

    opened = (
        f"The response has been at {rung_words} or above since "
        + _day(out["start"])
        + " ("
        + running
        + f" days by {as_of:%Y-%m-%d}); "
        + judged(out["n_now"], out["latest_now"], "since then", "is")
        + ", and no medium or high concern event has been recorded since the latest: a "
        "step-down is due (since " + _day(out["due"]) + ")."
    )
    history = (
        "A step-down became due on "
        + _day(out["due"])
        + f": the response had been at {rung_words} or above since "
        + _day(out["start"])
        + ", "
        + judged(out["n_then"], out["latest_then"], "by then", "was")
        + ", and no medium or high concern event had been recorded since the latest. "
    )
    ended = (
        out["how"]
        + " on "
        + _day(out["ended"]).fillna("")
        + ", "
        + _str(out["wait_days"])
        + " days after it became due."
    )
    low = lows.reindex(out.index)
    dropped = (
        "Then judgement "
        + _judgement_label(low).fillna("")
        + f" was below {min_scale}, so it is no longer due."
    )
    # the first concern event recorded after the latest judgement, for stretches it stopped
    stopped = out[out["ended"].isna() & out["first_low"].isna() & ~out["open"]]
    after = stopped[["case_id"]].assign(since=latest_now["date"]).reset_index()
    after = after.merge(concerns, on="case_id")
    after = after[(after["recorded_on"] > after["since"]) & (after["recorded_on"] <= as_of)]
    first = after.sort_values(["recorded_on", "date", "event_id"]).drop_duplicates("stretch")
    first = first.set_index("stretch").reindex(out.index)
    concern = (
        "Then concern event "
        + _str(first["event_id"])
        + " ("
        + _words(first["category"])
        + ", "
        + _str(first["significance"])
        + ", "
        + _day(first["date"]).fillna("")
        + ": "
        + _quote(first["summary"])
        + ") was recorded on "
        + _day(first["recorded_on"]).fillna("")
        + ", after the latest judgement "
        + out["latest_now"]
        + ", so it is no longer due."
    )
    past = np.where(
        out["ended"].notna(), ended, np.where(out["first_low"].notna(), dropped, concern)
    )
    during = _concerns_during(out[out["open"]], concerns, min_scale).reindex(out.index)
    opened = opened + during.fillna("")
    return pd.Series(np.where(out["open"], opened, history + past), index=out.index)


def _concerns_during(
    stretches: pd.DataFrame, concerns: pd.DataFrame, min_scale: int, limit: int = 3
) -> pd.Series:
    """Name the medium or high concern events recorded during each open stretch.

    A later judgement of ``min_scale`` or above restores a step-down that a concern had held
    back, so the reason would otherwise hide what happened in the stretch, and a supervisor
    needs to see it. Returns " Medium or high concern events were recorded during the stretch,
    each before a later judgement of 7 or above: E7 (harm, high, recorded 2024-06-01)." per
    stretch that had any (nothing for the others).
    """
    if stretches.empty or concerns.empty:
        return pd.Series(dtype=object)
    pairs = stretches[["case_id", "start"]].reset_index().merge(concerns, on="case_id")
    pairs = pairs[(pairs["recorded_on"] >= pairs["start"]).to_numpy()]
    if pairs.empty:
        return pd.Series(dtype=object)
    pairs = pairs.sort_values(["stretch", "recorded_on", "event_id"], kind="stable")
    label = (
        _str(pairs["event_id"])
        + " ("
        + _words(pairs["category"])
        + ", "
        + _str(pairs["significance"])
        + ", recorded "
        + _day(pairs["recorded_on"])
        + ")"
    ).astype(object)

    def join(column: pd.Series) -> str:
        items = list(column)
        more = f" and {len(items) - limit} more" if len(items) > limit else ""
        return (
            " Medium or high concern events were recorded during the stretch, each before a "
            f"later judgement of {min_scale} or above: " + ", ".join(items[:limit]) + more + "."
        )

    return label.groupby(pairs["stretch"].to_numpy()).agg(join)


def step_downs_due(
    casebook: Casebook, as_of: str | dt.date | pd.Timestamp | None = None, **thresholds: Any
) -> pd.DataFrame:
    """Return one row per stretch at child in need or above in which a step-down became due.

    A stretch is the social-care rung staying at ``escalation_rung`` or above (Channel
    decisions do not break it; a step-down decision or closure ends it). It becomes due on the
    first day it has run more than ``step_down_days`` days, with at least one judgement in it,
    every judgement so far ``step_down_min_scale`` or above, and no medium or high concern event
    recorded after the latest of them. Columns: ``case_id``, ``start``, ``due``, ``ended`` (the
    step-down or closure, NaT while the stretch runs), ``wait_days`` (``ended - due`` in days,
    NA while it runs) and ``open`` (the stretch runs at ``as_of`` and a step-down is still due).
    ``thresholds`` are those of :func:`flags` (the others are accepted and ignored).
    """
    when = _as_of(as_of)
    t = _thresholds(thresholds)
    due = _due_stretches(_known(casebook, when), when, t)[STEP_DOWN_COLUMNS]
    due = due.sort_values(["case_id", "start"], kind="stable").reset_index(drop=True)
    return due.astype(STEP_DOWN_TYPES)


def _step_down_due(known: dict[str, Any], as_of: pd.Timestamp, t: dict[str, Any]) -> pd.DataFrame:
    due = _due_stretches(known, as_of, t)
    rows = due.assign(
        subject_id=due["case_id"],
        date=due["due"],
        status=_status(due["open"]),
        team_id=_team(known, due["case_id"]),
    )
    return _frame(rows, "step_down_due")


def _step_down_despite_concern(
    known: dict[str, Any], as_of: pd.Timestamp, t: dict[str, Any]
) -> pd.DataFrame:
    d = _escalated(known)
    down = d[d["lowers"]]
    cases = known["cases"][known["cases"]["closed"].notna()]
    subjects = pd.DataFrame(
        {
            "case_id": np.concatenate([down["case_id"].to_numpy(), cases["case_id"].to_numpy()]),
            "subject_id": np.concatenate(
                [down["decision_id"].to_numpy(), cases["case_id"].to_numpy()]
            ),
            "date": np.concatenate([down["date"].to_numpy(), cases["closed"].to_numpy()]),
            "decision": np.arange(len(down) + len(cases)) < len(down),
            "previous": np.concatenate([down["previous"].to_numpy(), np.zeros(len(cases), int)]),
            "response": np.concatenate(
                [down["response"].astype(object).to_numpy(), np.full(len(cases), None)]
            ),
        }
    )
    subjects.index.name = "key"
    if subjects.empty:
        return pd.DataFrame(columns=FLAG_COLUMNS)
    subjects["code"] = _case_rows(known, subjects["case_id"])  # join on numbers, not strings
    window = t["concern_window_days"]
    # a medium or high concern event dated within the window before, recorded by then
    concerns = _concerns(known)
    concerns = concerns.assign(code=_case_rows(known, concerns["case_id"]))
    ev = subjects[["code", "case_id", "date"]].reset_index()
    ev = ev.merge(concerns, on="code", suffixes=("", "_e"))
    gap = (ev["date"] - ev["date_e"]).dt.days
    own = ev["case_id"].to_numpy() == ev["case_id_e"].to_numpy()  # cases not known share a code
    ev = ev[((gap >= 0) & (gap <= window) & (ev["recorded_on"] <= ev["date"])).to_numpy() & own]
    ev = ev.assign(gap=gap[ev.index].astype("Int64"))
    ev = ev.sort_values(["key", "date_e", "recorded_on", "event_id"], kind="stable")
    n_events = ev.groupby("key").size()
    last = ev.drop_duplicates("key", keep="last").set_index("key")
    # at any level, the latest judgement on or before it is low_scale or lower
    j = known["judgements"][["judgement_id", "case_id", "date", "level", "safety_scale"]]
    j = j.assign(code=_case_rows(known, j["case_id"]))
    jp = subjects[["code", "case_id", "date"]].reset_index()
    jp = jp.merge(j, on="code", suffixes=("", "_j"))
    own = jp["case_id"].to_numpy() == jp["case_id_j"].to_numpy()
    jp = jp[(jp["date_j"] <= jp["date"]).to_numpy() & own]
    jp = jp.sort_values(["key", "level", "date_j", "judgement_id"], kind="stable")
    jp = jp.drop_duplicates(["key", "level"], keep="last")
    jp = jp[(jp["safety_scale"] <= t["low_scale"]).fillna(False).to_numpy()]
    low = _join_by(
        _cat(
            jp.index,
            "the latest ",
            jp["level"],
            " judgement, ",
            jp["judgement_id"],
            " (",
            _day(jp["date_j"]),
            "), was ",
            jp["safety_scale"],
        ),
        jp["key"],
    )
    flagged = subjects.loc[subjects.index.isin(last.index) | subjects.index.isin(low.index)]
    # a closure on the day of a flagged step-down decision of the case is the same prompt
    said = flagged.loc[flagged["decision"], ["code", "date"]].drop_duplicates()
    again = flagged[["code", "date"]].reset_index().merge(said, on=["code", "date"])["key"]
    flagged = flagged[flagged["decision"] | ~flagged.index.isin(again)]
    if flagged.empty:
        return pd.DataFrame(columns=FLAG_COLUMNS)
    e = last.reindex(flagged.index)
    has_event = e["event_id"].notna().to_numpy()
    more = n_events.reindex(flagged.index).fillna(0).astype(int) - 1
    concern = _cat(
        flagged.index,
        e["gap"],
        " days after concern event ",
        e["event_id"],
        " (",
        _words(e["category"]),
        ", ",
        e["significance"],
        ", ",
        _day(e["date_e"]),
        ": ",
        _quote(e["summary"]),
        ", recorded on ",
        _day(e["recorded_on"]),
        ")",
        np.where(more > 0, " and " + _str(more) + f" more in the {window} days before", ""),
    )
    lows = low.reindex(flagged.index)
    before = np.asarray(RESPONSE_LADDER, dtype=object)[flagged["previous"].to_numpy()]
    decision = flagged["decision"].to_numpy()
    reason = _cat(
        flagged.index,
        np.where(decision, "Decision ", "The case was closed on "),
        np.where(decision, flagged["subject_id"], _day(flagged["date"])),
        np.where(decision, " (", ""),
        np.where(decision, _day(flagged["date"]), ""),
        np.where(decision, ") lowered the response from ", ""),
        np.where(decision, _words(pd.Series(before)), ""),
        np.where(decision, " to ", ""),
        np.where(decision, _words(flagged["response"]), ""),
        " ",
        np.where(has_event, concern, ""),
        np.where(has_event & lows.notna(), ", and while ", np.where(lows.notna(), "while ", "")),
        lows,
        np.where(lows.notna(), " on the {}-{} safety scale".format(*SAFETY_SCALE), ""),
        ". Is anything being closed or stepped down too early?",
    )
    closed = pd.Series(known["closed"][flagged["code"].to_numpy()], index=flagged.index)
    recent = closed.isna() | ((as_of - closed).dt.days <= t["closed_recently_days"])
    rows = flagged.assign(
        reason=reason, status=_status(recent), team_id=known["team"][flagged["code"].to_numpy()]
    )
    return _frame(rows, "step_down_despite_concern")


def _late_assessment(known: dict[str, Any], as_of: pd.Timestamp, limit: int) -> pd.DataFrame:
    cases = known["cases"]
    ev = known["events"]
    first = (
        ev[(ev["kind"] == "assessment").to_numpy()]
        .sort_values(["date", "recorded_on", "event_id"], kind="stable")  # ties: recorded, id
        .drop_duplicates("case_id")
        .set_index("case_id")
    )
    c = cases[["case_id", "opened", "closed"]].copy()
    c["assessed"] = first["date"].reindex(c["case_id"]).to_numpy()
    c["assessment"] = first["event_id"].reindex(c["case_id"]).to_numpy()
    c["past_limit"] = nth_working_day_after(c["opened"], limit + 1)
    c["waited"] = working_days_after(c["opened"], c["assessed"])
    last_open = c["closed"].fillna(as_of)
    late = c[(c["assessed"] >= c["past_limit"]).to_numpy()]
    never = c[(c["assessed"].isna() & (c["past_limit"] <= last_open)).to_numpy()]
    late = late.assign(
        reason="The first assessment, "
        + _str(late["assessment"])
        + " ("
        + _day(late["assessed"])
        + "), came "
        + _str(late["waited"])
        + " working days after the referral ("
        + _day(late["opened"])
        + f"); the limit is {limit} working days.",
        status="past",
    )
    until = np.where(
        never["closed"].isna(),
        f"No assessment has been recorded by {as_of:%Y-%m-%d}, ",
        "No assessment was recorded before the case was closed on " + _day(never["closed"]) + ", ",
    )
    never = never.assign(
        reason=until
        + _str(working_days_after(never["opened"], never["closed"].fillna(as_of)))
        + " working days after the referral ("
        + _day(never["opened"])
        + f"); the limit is {limit} working days.",
        status=_status(never["closed"].isna()),
    )
    rows = pd.concat([late, never], ignore_index=True)
    rows = rows.assign(
        subject_id=rows["case_id"], date=rows["past_limit"], team_id=_team(known, rows["case_id"])
    )
    return _frame(rows, "late_assessment")


def _plan_not_linked(known: dict[str, Any], as_of: pd.Timestamp) -> pd.DataFrame:
    plans = known["plan_actions"]
    n_cited = plans["evidence_ids"].map(len)
    cited = plans.loc[(n_cited > 0).to_numpy(), ["action_id", "evidence_ids"]].explode(
        "evidence_ids"
    )
    # the plan names its events (its own record says they exist), so all events are searched;
    # only the agency actions among them need finding (an id found nowhere is not one)
    events = known["all_events"]
    is_agency = (events["category"] == "agency_action").to_numpy()
    known["agency_events"] = events.loc[is_agency, ["event_id", "date", "summary"]]
    rows = find_rows(arrow_strings(cited["evidence_ids"]), _event_ids(known, "agency_events"))
    agency = pd.Series(rows >= 0, index=cited.index)
    only_agency = agency.groupby(level=0).all()
    only_agency = only_agency[only_agency]
    bare = plans[(n_cited == 0).to_numpy()]
    agency_only = plans.loc[only_agency.index]
    mask = cited.index.isin(only_agency.index)
    shown = cited[mask].reset_index(drop=True)
    shown = shown.rename(columns={"evidence_ids": "event_id"}).assign(category="agency_action")
    named = _join_by(_event_labels(shown, known, "agency_events", rows[mask]), shown["action_id"])

    def what(rows: pd.DataFrame, *rest: str | pd.Series) -> pd.Series:
        return _cat(
            rows.index,
            "Plan action ",
            rows["action_id"],
            " (",
            _quote(rows["description"]),
            ", created ",
            _day(rows["created"]),
            ")",
            *rest,
        )

    found = pd.concat(
        [
            bare.assign(reason=what(bare, " names no evidence it answers.")),
            agency_only.assign(
                reason=what(
                    agency_only,
                    " cites only what agencies did: ",
                    agency_only["action_id"].map(named),
                    ". A plan answers worries and builds on strengths.",
                )
            ),
        ]
    )
    running = found["completed"].isna() | (found["completed"] > as_of)
    still = running.to_numpy() & _open(known, found["case_id"])
    rows = found.assign(
        subject_id=found["action_id"],
        date=found["created"],
        status=_status(still),
        team_id=_team(known, found["case_id"]),
    )
    return _frame(rows, "plan_not_linked")


def _sharing(
    known: dict[str, Any],
) -> list[pd.DataFrame]:
    share = known["info_sharing"]
    consent = share["consent"].astype(object)
    no_basis = (share["lawful_basis"].astype(object) == "not_recorded").to_numpy()
    no_purpose = _blank(share["purpose"]).to_numpy()
    no_reason = ((consent == "not_sought") & _blank(share["not_sought_reason"])).to_numpy()
    on_consent = (share["lawful_basis"].astype(object) == "consent") & (consent != "given")
    on_consent = on_consent.to_numpy()
    consent_words = consent.map({"refused": "was refused", "not_sought": "was not sought"}).fillna(
        "is not recorded"
    )
    override = (
        share["override_reason"]
        if "override_reason" in share
        else pd.Series(pd.NA, index=share.index, dtype=object)
    )
    refused = ((consent == "refused") & _blank(override)).to_numpy()
    without = no_basis | no_purpose | no_reason | on_consent
    shown = share[without | refused]
    what = _cat(
        shown.index,
        "Sharing ",
        shown["share_id"],
        " (",
        _words(shown["from_agency"]),
        " to ",
        _words(shown["to_agency"]),
        ", ",
        _day(shown["date"]),
        ", ",
        _quote(shown["information"], 2 * _QUOTE),
        ")",
    )
    gaps = _cat(
        shown.index,
        np.where(no_basis, "no lawful basis recorded; ", "")[without | refused],
        np.where(no_purpose, "no purpose recorded; ", "")[without | refused],
        np.where(no_reason, "consent not sought with no reason given; ", "")[without | refused],
        np.where(on_consent, "the lawful basis is consent but consent ", "")[without | refused],
        np.where(on_consent, consent_words, "")[without | refused],
    ).str.rstrip("; ")
    base = shown.assign(
        subject_id=shown["share_id"],
        status=_status(_open(known, shown["case_id"])),
        team_id=_team(known, shown["case_id"]),
    )
    pick = without[without | refused]
    out = [
        _frame(
            base[pick].assign(reason=_cat(shown.index, what, ": ", gaps, ".")[pick]),
            "sharing_without_basis",
        )
    ]
    pick = refused[without | refused]
    reason = _cat(
        shown.index,
        what,
        " went ahead with consent refused, and no override_reason is recorded (why sharing "
        "without consent was necessary and proportionate).",
    )
    out.append(_frame(base[pick].assign(reason=reason[pick]), "shared_despite_refusal"))
    return out


def flags(
    casebook: Casebook | str | Path,
    as_of: str | dt.date | pd.Timestamp | None = None,
    *,
    engine: str | Engine | None = None,
    status: str = "all",
    escalation_rung: str = ESCALATION_RUNG,
    statutory_rung: str = STATUTORY_RUNG,
    step_down_days: int = STEP_DOWN_DAYS,
    step_down_min_scale: int = STEP_DOWN_MIN_SCALE,
    assessment_working_days: int = ASSESSMENT_WORKING_DAYS,
    concern_window_days: int = CONCERN_WINDOW_DAYS,
    low_scale: int = LOW_SCALE,
    closed_recently_days: int = CLOSED_RECENTLY_DAYS,
) -> pd.DataFrame:
    """Raise every proportionality flag on a casebook, as known at ``as_of`` (default today).

    Returns one row per flag with the columns :data:`FLAG_COLUMNS`: ``case_id``, ``flag``,
    ``subject_id`` (a decision, plan action, sharing record, or the case), ``reason`` (a
    sentence that names the evidence and quotes the record), ``date`` (the day the condition
    arose), ``status`` (``open`` while it still calls for action at ``as_of``, else ``past``)
    and ``team_id``, sorted by case, date and flag. ``status`` keeps ``"open"``, ``"past"`` or
    ``"all"`` flags. The other keyword arguments are the thresholds of the practice principles
    (see :data:`THRESHOLDS`).

    The flags are raised by their relational definition on an engine. Without ``engine`` (the
    default), a Casebook's flags run on the process's one in-process DuckDB
    (:func:`~casekit.analysis.relational.shared.default_flags`: no set-up, the SQL compiled
    once per thresholds, any as-of date), and any other ``casebook`` as with
    ``engine="duckdb"``. ``engine`` (``duckdb``, ``postgres``, ``spark``, a Spark Connect URL
    ``sc://...``, or an open :class:`~casekit.engine.Engine`) chooses the engine;
    ``casebook`` may then also be a PostgreSQL store's URL (``postgres``: the flags run in the
    database) or a Parquet dataset folder (read lazily). Flags not ported to the engines
    (:func:`~casekit.analysis.relational.run.not_ported`; none today) would be raised by
    pandas on the casebook, with a :class:`PandasFlags` warning naming them, and
    ``result.attrs["pandas"]`` naming them too.

    ``engine="pandas"`` raises every flag with this module's pandas code: the reference
    oracle the relational definition is tested against (same rows, columns, types and
    order), kept for the tests, not a second way to run the flags.
    """
    if status not in ("all", *STATUSES):
        raise CasekitError(f"status={status!r}: choose open, past or all.")
    t = _thresholds(
        {
            "escalation_rung": escalation_rung,
            "statutory_rung": statutory_rung,
            "step_down_days": step_down_days,
            "step_down_min_scale": step_down_min_scale,
            "assessment_working_days": assessment_working_days,
            "concern_window_days": concern_window_days,
            "low_scale": low_scale,
            "closed_recently_days": closed_recently_days,
        }
    )
    when = _as_of(as_of)
    if isinstance(engine, str) and engine.strip().lower() == "pandas":
        if not isinstance(casebook, Casebook):
            raise CasekitError(
                f"flags(engine='pandas') reads a Casebook (casekit.load({str(casebook)!r}) "
                "gives one); the engines also read a store's URL or a Parquet folder."
            )
        return _ordered(_raise(casebook, when, t), status)  # the reference, asked for by name
    from casekit.analysis.relational.run import not_ported
    from casekit.analysis.relational.shared import default_flags

    if engine is None and isinstance(casebook, Casebook) and not not_ported():
        return _ordered(default_flags(casebook, when.date(), t), status)
    return _on_engine("duckdb" if engine is None else engine, casebook, when, t, status)


def _raise(casebook: Casebook, when: pd.Timestamp, t: dict[str, Any]) -> pd.DataFrame:
    """Raise every flag with pandas, unordered."""
    known = _known(casebook, when)
    parts = _decision_flags(known, t)
    parts.append(_step_down_due(known, when, t))
    parts.append(_step_down_despite_concern(known, when, t))
    parts.append(_late_assessment(known, when, t["assessment_working_days"]))
    parts.append(_plan_not_linked(known, when))
    parts.extend(_sharing(known))
    parts = [p for p in parts if len(p)]
    out = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame({c: pd.Series(dtype=object) for c in FLAG_COLUMNS})
    )
    out["flag"] = pd.Categorical(out["flag"], categories=FLAGS)
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")  # even with no rows
    for name in ("case_id", "subject_id", "reason", "status", "team_id"):
        out[name] = out[name].astype(object).where(out[name].notna(), None)  # missing: None
    return out


class PandasFlags(UserWarning):
    """Some flags asked of an engine were raised by pandas: they are not ported yet."""


def _on_engine(
    engine: str | Engine,
    source: Casebook | str | Path,
    when: pd.Timestamp,
    t: dict[str, Any],
    status: str,
) -> pd.DataFrame:
    """Raise the ported flags on ``engine`` and the others with pandas, saying which."""
    from casekit.analysis.relational.run import engine_name, flags_on, in_place, not_ported
    from casekit.store.load import load

    rest = not_ported()
    here = not isinstance(source, Casebook) and in_place(engine, source)
    if not isinstance(source, Casebook) and not here:
        source = load(source)  # read and validated once, for both
    if rest and here and not str(source).startswith(("postgresql://", "postgres://")):
        raise CasekitError(
            f"{source}: a Parquet dataset is read only by an engine, and {len(rest)} flags are "
            f"not ported to engines yet: {', '.join(rest)}. Run the ported ones with "
            "casekit.analysis.relational.run.flags_on, or write the data as a bundle."
        )
    ported = flags_on(engine, source, when.date(), t)
    if not rest:
        return _ordered(ported, status)
    casebook = source if isinstance(source, Casebook) else load(source)
    by_pandas = _raise(casebook, when, t)
    by_pandas = by_pandas[by_pandas["flag"].isin(rest)]
    out = pd.concat([ported, by_pandas], ignore_index=True)
    out["flag"] = pd.Categorical(out["flag"].astype(str), categories=FLAGS)
    out = _ordered(out, status)
    out.attrs["pandas"] = list(rest)
    warnings.warn(
        f"{len(rest)} of the {len(FLAGS)} flags are not ported to engine="
        f"{engine_name(engine)} yet and were raised by pandas on the casebook read into "
        f"casekit: {', '.join(rest)}.",
        PandasFlags,
        stacklevel=3,
    )
    return out


def _ordered(out: pd.DataFrame, status: str) -> pd.DataFrame:
    """Keep the flags of ``status`` and sort them by case, date, flag and subject."""
    if status != "all":
        out = out[out["status"] == status]
    out = out.sort_values(["case_id", "date", "flag", "subject_id"], kind="stable")
    return out.reset_index(drop=True)
