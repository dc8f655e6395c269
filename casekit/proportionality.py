"""The proportionality flags: exactly the flags, names and semantics of the practice principles.

Each flag is raised on a subject (a decision, a plan action, a sharing record, or the case
itself) with a plain-English reason that names the evidence. Thresholds are parameters with
the documented defaults; flags that depend on "now" take an ``as_of`` date (default today), and
only what had happened and been recorded by then counts. All flags are computed with
vectorised pandas operations, so a national extract takes seconds, not hours.

"Raises the response": the decision's rung on the response ladder is higher than the rung
before it (the case's previous decision; before the first decision, ``no_further_action``).
"Rests on": the decision's ``evidence_ids`` or, when it has none, every event of the case
recorded on or before the decision's date.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from .arrowops import arrow_strings, find_rows, is_in
from .casebook import Casebook
from .contract import CHANNEL, CONCERN_CATEGORIES, RESPONSE_LADDER, RUNG, STATUTORY_RESPONSES

__all__ = [
    "FLAGS",
    "FLAG_COLUMNS",
    "flags",
    "working_days_after",
    "escalations",
    "rests_on",
    "high_stretches",
]

FLAGS = (
    "escalation_on_belief_or_views",
    "escalation_without_evidence",
    "rests_on_restricted_intelligence",
    "family_not_engaged",
    "police_led_statutory_step",
    "step_down_due",
    "late_assessment",
    "plan_not_linked",
    "sharing_without_basis",
)
"""Every flag's name, as the practice principles give them."""
FLAG_COLUMNS = ["case_id", "flag", "subject_id", "reason", "date", "team_id"]


@cache
def _bank_holidays_in(year: int) -> tuple[dt.date, ...]:
    import holidays

    return tuple(sorted(holidays.country_holidays("GB", subdiv="ENG", years=year)))


def bank_holidays(first_year: int, last_year: int) -> np.ndarray:
    """Return the bank holidays of England and Wales from ``first_year`` to ``last_year``.

    Each year is worked out once per process (the ``holidays`` package is slow to import).

    >>> [str(d) for d in bank_holidays(2025, 2025)[:2]]
    ['2025-01-01', '2025-04-18']
    """
    days = [d for y in range(first_year, last_year + 1) for d in _bank_holidays_in(y)]
    return np.array(days, dtype="datetime64[D]")


def working_days_after(start: pd.Series, end: pd.Series) -> pd.Series:
    """Count the working days after ``start`` up to and including ``end``.

    Weekends and the bank holidays of England and Wales are not working days. The count is
    missing where either date is missing.

    >>> s = pd.Series(pd.to_datetime(["2024-12-20"]))
    >>> working_days_after(s, pd.Series(pd.to_datetime(["2025-01-03"]))).tolist()
    [7]
    """
    ok = start.notna() & end.notna()
    out = pd.Series(pd.NA, index=start.index, dtype="Int64")
    if not ok.any():
        return out
    a = start[ok].to_numpy().astype("datetime64[D]") + 1
    b = end[ok].to_numpy().astype("datetime64[D]") + 1
    years = pd.DatetimeIndex(np.concatenate([a, b])).year
    hol = bank_holidays(int(years.min()) - 1, int(years.max()) + 1)
    out[ok] = np.busday_count(a, b, holidays=hol)
    return out


def _known(cb: Casebook, as_of: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """Keep what had happened, and been recorded, by the as-of date."""
    cases = cb.cases[cb.cases["opened"] <= as_of].copy()
    cases.loc[cases["closed"] > as_of, "closed"] = pd.NaT
    events = cb.events[(cb.events["date"] <= as_of) & (cb.events["recorded_on"] <= as_of)]
    return {
        "cases": cases,
        "events": events,
        "decisions": cb.decisions[cb.decisions["date"] <= as_of],
        "judgements": cb.judgements[cb.judgements["date"] <= as_of],
        "plan_actions": cb.plan_actions[cb.plan_actions["created"] <= as_of],
        "info_sharing": cb.info_sharing[cb.info_sharing["date"] <= as_of],
    }


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


def rests_on(raising: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Pair each raising decision with the events it rests on (one row per pair).

    Cited events are found with Arrow hash lookups, and only the events of cases with an
    uncited decision are joined, so millions of events cost little more than reading them.
    """
    cols = ["event_id", "category", "restricted", "evidence", "recorded_on"]
    has_ids = raising["evidence_ids"].map(len) > 0
    cited = raising.loc[has_ids, ["decision_id", "evidence_ids"]].explode("evidence_ids")
    rows = find_rows(arrow_strings(cited["evidence_ids"]), arrow_strings(events["event_id"]))
    found = rows >= 0
    cited = (
        events[cols].iloc[rows[found]].assign(decision_id=cited["decision_id"].to_numpy()[found])
    )
    bare = raising.loc[~has_ids, ["decision_id", "case_id", "date"]]
    of_bare = pc.is_in(
        arrow_strings(events["case_id"]), value_set=arrow_strings(bare["case_id"]).unique()
    )
    ev = events.loc[of_bare.to_numpy(zero_copy_only=False), ["case_id", *cols]]
    everything = bare.merge(ev, on="case_id")
    everything = everything[everything["recorded_on"] <= everything["date"]]
    pairs = pd.concat([cited, everything.drop(columns=["case_id", "date"])], ignore_index=True)[
        ["decision_id", *cols]
    ]
    return pairs.assign(category=pairs["category"].astype(str))


def _describe(pairs: pd.DataFrame, limit: int = 6) -> pd.Series:
    """Name each decision's events, e.g. ``E1 (views expressed), E2 (belief practice)``."""
    if pairs.empty:
        return pd.Series(dtype=object)
    label = pairs["event_id"].astype(str) + " (" + pairs["category"].str.replace("_", " ") + ")"
    label = label.astype(object)  # joined in Python: plain strings iterate quickest

    def join(items: pd.Series) -> str:
        items = list(items)
        more = f" and {len(items) - limit} more" if len(items) > limit else ""
        return ", ".join(items[:limit]) + more

    return label.groupby(pairs["decision_id"]).agg(join)


def _frame(rows: pd.DataFrame, flag: str) -> pd.DataFrame:
    out = rows.assign(flag=flag)
    return out[FLAG_COLUMNS] if len(out) else pd.DataFrame(columns=FLAG_COLUMNS)


def _words(response: pd.Series) -> pd.Series:
    return response.astype(str).str.replace("_", " ")


def _decision_flags(
    known: dict[str, pd.DataFrame], team: pd.Series, min_rung: int
) -> list[pd.DataFrame]:
    d = escalations(known["decisions"])
    if d.empty:
        return []
    d["team_id"] = d["case_id"].map(team)
    d["before"] = pd.Series(RESPONSE_LADDER, dtype=object)[d["previous"].to_numpy()].to_numpy()
    d["what"] = (
        "Decision "
        + d["decision_id"].astype(str)
        + " ("
        + d["date"].dt.strftime("%Y-%m-%d")
        + ") raised the response from "
        + d["before"].str.replace("_", " ")
        + " to "
        + _words(d["response"])
    )
    raising = d[d["raises"]]
    pairs = rests_on(raising, known["events"])
    pairs["concern"] = pairs["category"].isin(CONCERN_CATEGORIES)
    pairs["hidden"] = pairs["restricted"].fillna(False).astype(bool) | (
        pairs["evidence"] == "intelligence"
    )
    concern = pairs[pairs["concern"]]
    n_concern = concern.groupby("decision_id").size()
    n_hidden = concern[concern["hidden"]].groupby("decision_id").size()
    raising = raising.assign(
        n_concern=raising["decision_id"].map(n_concern).fillna(0).astype(int),
        n_hidden=raising["decision_id"].map(n_hidden).fillna(0).astype(int),
        cited=raising["evidence_ids"].map(len) > 0,
    )
    # name the evidence only for the decisions a reason needs it for (a few, not all)
    belief_only = raising["decision_id"][
        (raising["rung"] >= min_rung) & (raising["n_concern"] == 0)
    ]
    all_hidden = raising["decision_id"][
        (raising["n_concern"] > 0) & (raising["n_hidden"] == raising["n_concern"])
    ]
    named = _describe(pairs[is_in(pairs["decision_id"], belief_only)])
    named_concern = _describe(concern[is_in(concern["decision_id"], all_hidden)])
    raising["named"] = raising["decision_id"].map(named).astype(object).fillna("no recorded events")
    raising["named_concern"] = raising["decision_id"].map(named_concern).astype(object).fillna("")
    raising["basis"] = np.where(
        raising["cited"],
        "resting on ",
        "citing no evidence, so resting on everything recorded by then: ",
    )
    out = []
    high = raising[(raising["rung"] >= min_rung) & (raising["n_concern"] == 0)]
    out.append(
        _frame(
            high.assign(
                subject_id=high["decision_id"],
                reason=high["what"] + ", " + high["basis"] + high["named"] + "; none of these is "
                "influence or grooming, extremist behaviour or harm.",
            ),
            "escalation_on_belief_or_views",
        )
    )
    bare = raising[~raising["cited"]]
    out.append(
        _frame(
            bare.assign(
                subject_id=bare["decision_id"],
                reason=bare["what"] + " with no evidence_ids: say which events it rests on.",
            ),
            "escalation_without_evidence",
        )
    )
    hidden = raising[(raising["n_concern"] > 0) & (raising["n_hidden"] == raising["n_concern"])]
    out.append(
        _frame(
            hidden.assign(
                subject_id=hidden["decision_id"],
                reason=hidden["what"]
                + "; every concern it rests on is restricted or intelligence: "
                + hidden["named_concern"]
                + ". The family cannot see or answer it.",
            ),
            "rests_on_restricted_intelligence",
        )
    )
    apart = raising[
        (raising["rung"] >= min_rung) & ~raising["family_engaged"].fillna(False).astype(bool)
    ]
    out.append(
        _frame(
            apart.assign(
                subject_id=apart["decision_id"],
                reason=apart["what"] + " without the family being met and heard first.",
            ),
            "family_not_engaged",
        )
    )
    police = d[d["response"].isin(STATUTORY_RESPONSES) & (d["lead_agency"] == "police")]
    out.append(
        _frame(
            police.assign(
                subject_id=police["decision_id"],
                reason="Decision "
                + police["decision_id"].astype(str)
                + " ("
                + police["date"].dt.strftime("%Y-%m-%d")
                + ") to "
                + _words(police["response"])
                + " was led by the "
                "police.",
            ),
            "police_led_statutory_step",
        )
    )
    return out


def high_stretches(
    decisions: pd.DataFrame,
    judgements: pd.DataFrame,
    closed: pd.Series,
    as_of: pd.Timestamp,
    min_rung: int,
) -> pd.DataFrame:
    """Find each stretch of a case's response at ``min_rung`` or above, with its judgements.

    One row per stretch: ``case_id``, ``start``, ``stepped_down`` (the date of the decision
    that took the response below, or NaT), ``end`` (that date, else the case's closure, else
    ``as_of``), and ``n`` and ``low``: how many judgements fell in the stretch and the lowest.
    """
    d = escalations(decisions)
    columns = ["case_id", "start", "stepped_down", "end", "n", "low"]
    if d.empty:
        return pd.DataFrame(columns=columns)
    d["high"] = d["rung"] >= min_rung
    new_stretch = (d["high"] != d.groupby("case_id")["high"].shift()) | (
        d["case_id"] != d["case_id"].shift()
    )
    d["stretch"] = new_stretch.cumsum()
    stretches = d.groupby("stretch").agg(
        case_id=("case_id", "first"), start=("date", "first"), high=("high", "first")
    )
    stretches["stepped_down"] = stretches.groupby("case_id")["start"].shift(-1)
    stretches = stretches[stretches["high"]].drop(columns="high")
    stretches["end"] = (
        stretches["stepped_down"].fillna(stretches["case_id"].map(closed)).fillna(as_of)
    )
    j = judgements[["case_id", "date", "safety_scale"]]
    pairs = stretches.reset_index().merge(j, on="case_id")
    pairs = pairs[(pairs["date"] >= pairs["start"]) & (pairs["date"] <= pairs["end"])]
    summary = pairs.groupby("stretch").agg(n=("safety_scale", "size"), low=("safety_scale", "min"))
    return stretches.join(summary)[columns]


def _step_down_due(
    known: dict[str, pd.DataFrame],
    team: pd.Series,
    as_of: pd.Timestamp,
    min_rung: int,
    days: int,
    min_scale: int,
) -> pd.DataFrame:
    closed = known["cases"].set_index("case_id")["closed"]
    stretches = high_stretches(known["decisions"], known["judgements"], closed, as_of, min_rung)
    if stretches.empty:
        return pd.DataFrame(columns=FLAG_COLUMNS)
    stretches = stretches[(stretches["end"] - stretches["start"]).dt.days > days]
    due = stretches[stretches["low"] >= min_scale]
    if due.empty:
        return pd.DataFrame(columns=FLAG_COLUMNS)
    due = due.sort_values("start").groupby("case_id").tail(1)
    length = (due["end"] - due["start"]).dt.days
    reason = (
        "The response has been at child in need or above from "
        + due["start"].dt.strftime("%Y-%m-%d")
        + " for "
        + length.astype(str)
        + " days, and all "
        + due["n"].astype(str)
        + " judgements in that time are "
        + f"{min_scale} or above (the lowest is "
        + due["low"].astype(int).astype(str)
        + "): a step-down is due."
    )
    rows = due.assign(
        subject_id=due["case_id"], reason=reason, date=due["end"], team_id=due["case_id"].map(team)
    )
    return _frame(rows.reset_index(drop=True), "step_down_due")


def _late_assessment(
    known: dict[str, pd.DataFrame], team: pd.Series, as_of: pd.Timestamp, limit: int
) -> pd.DataFrame:
    cases = known["cases"]
    ev = known["events"]
    first = ev[ev["kind"] == "assessment"].groupby("case_id")["date"].min()
    c = cases[["case_id", "opened", "closed"]].copy()
    c["assessed"] = first.reindex(c["case_id"]).to_numpy()
    c["waited"] = working_days_after(c["opened"], c["assessed"])
    open_until = c["closed"].fillna(as_of)
    c["open_days"] = working_days_after(c["opened"], open_until)
    late = c[(c["waited"] > limit).fillna(False).astype(bool)]
    never = c[c["assessed"].isna() & (c["open_days"] > limit).fillna(False).astype(bool)]
    late = late.assign(
        reason="The first assessment ("
        + late["assessed"].dt.strftime("%Y-%m-%d")
        + ") came "
        + late["waited"].astype(str)
        + " working days after the "
        "referral (" + late["opened"].dt.strftime("%Y-%m-%d") + f"); the limit is {limit}.",
        date=late["assessed"],
    )
    never = never.assign(
        reason="No assessment has been recorded, "
        + never["open_days"].astype(str)
        + " working days after the referral ("
        + never["opened"].dt.strftime("%Y-%m-%d")
        + f"); the limit is {limit}.",
        date=as_of,
    )
    rows = pd.concat([late, never], ignore_index=True)
    rows = rows.assign(subject_id=rows["case_id"], team_id=rows["case_id"].map(team))
    return _frame(rows, "late_assessment")


def flags(
    casebook: Casebook,
    as_of: str | dt.date | pd.Timestamp | None = None,
    *,
    escalation_rung: str = "child_in_need",
    step_down_days: int = 90,
    step_down_min_scale: int = 7,
    assessment_working_days: int = 10,
) -> pd.DataFrame:
    """Raise every proportionality flag on a casebook, as known at ``as_of`` (default today).

    Returns one row per flag: ``case_id``, ``flag``, ``subject_id``, ``reason`` (a sentence that
    names the evidence), then ``date`` (of the subject) and ``team_id``, sorted by case and
    date. The keyword arguments are the thresholds of the practice principles.
    """
    when = pd.Timestamp(as_of if as_of not in (None, "") else dt.date.today()).normalize()
    known = _known(casebook, when)
    team = known["cases"].set_index("case_id")["team_id"]
    min_rung = RUNG[escalation_rung]
    parts = _decision_flags(known, team, min_rung)
    parts.append(_step_down_due(known, team, when, min_rung, step_down_days, step_down_min_scale))
    parts.append(_late_assessment(known, team, when, assessment_working_days))
    plans = known["plan_actions"]
    unlinked = plans[plans["evidence_ids"].map(len) == 0]
    parts.append(
        _frame(
            unlinked.assign(
                subject_id=unlinked["action_id"],
                date=unlinked["created"],
                team_id=unlinked["case_id"].map(team),
                reason="Plan action "
                + unlinked["action_id"].astype(str)
                + " ('"
                + unlinked["description"].astype(str).str.slice(0, 60)
                + "') names no evidence it "
                "answers.",
            ),
            "plan_not_linked",
        )
    )
    share = known["info_sharing"]
    no_basis = share["lawful_basis"] == "not_recorded"
    no_purpose = share["purpose"].isna()
    no_reason = (share["consent"] == "not_sought") & share["not_sought_reason"].isna()
    gaps = share[no_basis | no_purpose | no_reason]
    what = (
        np.where(no_basis[gaps.index], "no lawful basis recorded; ", "")
        + np.where(no_purpose[gaps.index], "no purpose recorded; ", "")
        + np.where(no_reason[gaps.index], "consent not sought with no reason given; ", "")
    )
    parts.append(
        _frame(
            gaps.assign(
                subject_id=gaps["share_id"],
                date=gaps["date"],
                team_id=gaps["case_id"].map(team),
                reason="Sharing "
                + gaps["share_id"].astype(str)
                + " ("
                + gaps["from_agency"].astype(str)
                + " to "
                + gaps["to_agency"].astype(str)
                + ", "
                + gaps["date"].dt.strftime("%Y-%m-%d")
                + "): "
                + pd.Series(what, index=gaps.index).str.rstrip("; ")
                + ".",
            ),
            "sharing_without_basis",
        )
    )
    out = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else pd.DataFrame(columns=FLAG_COLUMNS)
    )
    out["flag"] = pd.Categorical(out["flag"], categories=FLAGS)
    out["date"] = pd.to_datetime(out["date"])
    return out.sort_values(["case_id", "date", "flag"], kind="stable").reset_index(drop=True)
