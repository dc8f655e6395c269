"""Research on proportionality: pure functions over a Casebook, every table suppressible.

The question behind each: is the Prevent duty pulling responses away from "business as
usual"? Radicalisation cases are set beside other safeguarding cases whose decisions rest on a
comparable evidence profile: behaviour or harm (any of influence or grooming, extremist
behaviour, harm) against belief, views or context only. Rates carry Wilson 95% intervals.
With ``suppress=True`` counts from 1 to 5 are shown as ``c`` and their rates are withheld.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .arrowops import is_in
from .casebook import Casebook
from .contract import CONCERN_CATEGORIES, RUNG, STATUTORY_RESPONSES
from .disclosure import SUPPRESSED
from .errors import CasekitError
from .proportionality import escalations, high_stretches, rests_on
from .reference import prevent_statistics

__all__ = [
    "GROUP_RADICALISATION",
    "GROUP_BAU",
    "STRONG",
    "WEAK",
    "wilson",
    "rates",
    "decision_profiles",
    "escalation_trends",
    "flags_over_time",
    "response_patterns",
    "equity",
    "published_table",
    "check_parameters",
]

GROUP_RADICALISATION = "radicalisation"
GROUP_BAU = "other safeguarding"
STRONG = "behaviour or harm"
WEAK = "belief, views or context only"
EQUITY_COLUMNS = ("child_ethnicity", "child_religion", "child_gender")


def wilson(
    successes: pd.Series | np.ndarray, trials: pd.Series | np.ndarray, z: float = 1.96
) -> tuple[np.ndarray, np.ndarray]:
    """Return the Wilson score interval (low, high) for each proportion, as fractions.

    >>> low, high = wilson(np.array([5]), np.array([10]))
    >>> round(float(low[0]), 3), round(float(high[0]), 3)
    (0.237, 0.763)
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = np.clip(centre - half, 0.0, 1.0)
    high = np.clip(centre + half, 0.0, 1.0)
    return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)


def check_parameters(
    data: str, start: str = "", end: str = "", grouping: str = "child_ethnicity"
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """Check a research notebook's parameters; return the period, or raise a clear message."""
    if not data:
        raise CasekitError("parameter data: give the bundle to study.")
    if grouping not in EQUITY_COLUMNS:
        raise CasekitError(
            f"parameter grouping: {grouping!r}; choose one of {', '.join(EQUITY_COLUMNS)}."
        )
    period = []
    for name, value in (("start", start), ("end", end)):
        try:
            period.append(pd.Timestamp(dt.date.fromisoformat(value)) if value else None)
        except ValueError:
            raise CasekitError(
                f"parameter {name}: {value!r} is not a date; write YYYY-MM-DD."
            ) from None
    if period[0] is not None and period[1] is not None and period[0] > period[1]:
        raise CasekitError(f"parameters start and end: {start} is after {end}.")
    return period[0], period[1]


def _groups(cb: Casebook) -> pd.Series:
    radical = cb.cases["concern_flags"].map(lambda flags: GROUP_RADICALISATION in flags)
    return pd.Series(
        np.where(radical, GROUP_RADICALISATION, GROUP_BAU), index=cb.cases["case_id"].to_numpy()
    )


def decision_profiles(cb: Casebook) -> pd.DataFrame:
    """One row per decision: its group, evidence profile, and whether it escalated.

    ``escalates``: the decision raised the response to child in need or above. ``profile``:
    whether what it rests on includes behaviour or harm, as the flags define "rests on".
    """
    d = escalations(cb.decisions)
    pairs = rests_on(d, cb.events)
    strong = pairs.loc[pairs["category"].isin(CONCERN_CATEGORIES), "decision_id"].unique()
    d["profile"] = np.where(is_in(d["decision_id"], strong), STRONG, WEAK)
    d["escalates"] = d["raises"] & (d["rung"] >= RUNG["child_in_need"])
    d["group"] = d["case_id"].map(_groups(cb))
    cases = cb.cases.set_index("case_id")
    for column in ("team_id", *EQUITY_COLUMNS):
        d[column] = d["case_id"].map(cases[column]).astype(object)
    return d.reset_index(drop=True)


def rates(table: pd.DataFrame, k: str, n: str, suppress: bool) -> pd.DataFrame:
    """Add ``rate`` (``k`` out of ``n``) and its Wilson interval ``low``-``high`` as fractions.

    With ``suppress``, counts from 1 to 5 show as ``c`` and so does any rate made from them.
    """
    table = table.copy()
    table["rate"] = table[k] / table[n]
    table["low"], table["high"] = wilson(table[k], table[n])
    if suppress:
        small = table[[k, n]].isin(range(1, 6)).any(axis=1)
        table[["rate", "low", "high"]] = table[["rate", "low", "high"]].mask(small)
        for column in (k, n):
            table[column] = (
                table[column].astype(object).mask(table[column].between(1, 5), SUPPRESSED)
            )
    return table


def _profiles(
    cb: Casebook, profiles: pd.DataFrame | None, start: object = None, end: object = None
) -> pd.DataFrame:
    """Use decision profiles already made (to study a large extract once), or make them."""
    d = decision_profiles(cb) if profiles is None else profiles
    if start is not None:
        d = d[d["date"] >= pd.Timestamp(start)]
    if end is not None:
        d = d[d["date"] <= pd.Timestamp(end)]
    return d


def escalation_trends(
    cb: Casebook,
    period: str = "Q",
    start: object = None,
    end: object = None,
    suppress: bool = True,
    profiles: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Escalation rates per period, for each group and evidence profile, with intervals.

    The rate is escalations to child in need or above per decision made. Comparing the groups
    within one profile compares like with like: the "business as usual" baseline.
    """
    d = _profiles(cb, profiles, start, end).copy()
    d["period"] = d["date"].dt.to_period(period).astype(str)
    table = (
        d.groupby(["period", "group", "profile"])
        .agg(decisions=("decision_id", "size"), escalations=("escalates", "sum"))
        .reset_index()
    )
    return rates(table, "escalations", "decisions", suppress)


def flags_over_time(
    cb: Casebook, flag_table: pd.DataFrame, by: str = "quarter", suppress: bool = True
) -> pd.DataFrame:
    """Count flags per 100 decisions, per quarter (``by="quarter"``) or per team."""
    if by not in ("quarter", "team"):
        raise CasekitError(f"by={by!r}: choose 'quarter' or 'team'.")
    decisions = cb.decisions.assign(
        team_id=cb.decisions["case_id"].map(cb.cases.set_index("case_id")["team_id"]).astype(object)
    )
    if by == "quarter":
        key_d = decisions["date"].dt.to_period("Q").astype(str)
        key_f = pd.to_datetime(flag_table["date"]).dt.to_period("Q").astype(str)
    else:
        key_d, key_f = decisions["team_id"], flag_table["team_id"].astype(object)
    counts = pd.crosstab(key_f, flag_table["flag"].astype(str))
    made = key_d.value_counts()
    counts = counts.reindex(made.index.union(counts.index), fill_value=0).sort_index()
    per_100 = counts.div(made.reindex(counts.index), axis=0) * 100
    per_100.insert(0, "decisions", made.reindex(counts.index).fillna(0).astype(int))
    per_100.index.name = by
    if suppress:
        hidden = counts.isin(range(1, 6))
        body = per_100.drop(columns="decisions").round(1).astype(object).mask(hidden, SUPPRESSED)
        body.insert(
            0,
            "decisions",
            per_100["decisions"]
            .astype(object)
            .mask(per_100["decisions"].between(1, 5), SUPPRESSED),
        )
        return body
    return per_100.round(1)


def response_patterns(
    cb: Casebook,
    suppress: bool = True,
    as_of: object = None,
    step_down_days: int = 90,
    profiles: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """Summarise how responses are made, by group.

    Police-led statutory steps, the wait from "step-down due" to a step-down, and family
    engagement before escalation.
    """
    d = _profiles(cb, profiles)
    statutory = d[d["response"].isin(STATUTORY_RESPONSES)]
    police = (
        statutory.assign(police=statutory["lead_agency"] == "police")
        .groupby("group")
        .agg(statutory_steps=("decision_id", "size"), police_led=("police", "sum"))
    )
    police = rates(police.reset_index(), "police_led", "statutory_steps", suppress)
    up = d[d["escalates"]]
    engaged = (
        up.assign(engaged=up["family_engaged"].fillna(False).astype(bool))
        .groupby("group")
        .agg(escalations=("decision_id", "size"), family_engaged=("engaged", "sum"))
    )
    engaged = rates(engaged.reset_index(), "family_engaged", "escalations", suppress)
    waits = _step_down_waits(d, cb, step_down_days, as_of)
    return {"police_led": police, "family_engaged": engaged, "step_down_wait": waits}


def _step_down_waits(d: pd.DataFrame, cb: Casebook, days: int, as_of: object) -> pd.DataFrame:
    """Measure the wait from a step-down falling due to the step-down that followed.

    A stretch at child in need or above whose judgements were all 7 or above becomes due
    ``days`` after it began.
    """
    closed = cb.cases.set_index("case_id")["closed"]
    when = pd.Timestamp(as_of or dt.date.today())
    s = high_stretches(d, cb.judgements, closed, when, RUNG["child_in_need"])
    s = s[s["low"].astype(float) >= 7].copy()
    if s.empty:
        return pd.DataFrame(columns=["group", "stretches", "stepped_down", "median_wait_days"])
    s["group"] = s["case_id"].map(d.groupby("case_id")["group"].first())
    s["due"] = s["start"] + pd.Timedelta(days=days)
    s = s[s["stepped_down"].isna() | (s["stepped_down"] > s["due"])]
    s["wait_days"] = (s["stepped_down"] - s["due"]).dt.days
    out = s.groupby("group").agg(
        stretches=("case_id", "size"),
        stepped_down=("stepped_down", "count"),
        median_wait_days=("wait_days", "median"),
    )
    return out.reset_index()


def equity(
    cb: Casebook,
    by: str = "child_ethnicity",
    suppress: bool = True,
    profiles: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Ask whether some children are escalated on weaker evidence.

    Among escalations of radicalisation cases, the share resting on belief, views or context
    only, per group of children (``by``: ethnicity, religion or gender).
    """
    if by not in EQUITY_COLUMNS:
        raise CasekitError(f"by={by!r}: choose one of {', '.join(EQUITY_COLUMNS)}.")
    d = _profiles(cb, profiles)
    up = d[d["escalates"] & (d["group"] == GROUP_RADICALISATION)]
    table = (
        up.assign(weak=up["profile"] == WEAK, value=up[by].fillna("not recorded"))
        .groupby("value")
        .agg(escalations=("decision_id", "size"), on_weak_evidence=("weak", "sum"))
    )
    table.index.name = by
    return rates(table.reset_index(), "on_weak_evidence", "escalations", suppress)


def published_table(cb: Casebook, year_ending: str = "2024-03") -> pd.DataFrame:
    """Reproduce the published Prevent table from the data, beside the published figures.

    Referral-source and ideology shares of radicalisation referrals, per cent, whole numbers.
    """
    cases = cb.cases[cb.cases["concern_flags"].map(lambda f: GROUP_RADICALISATION in f)]
    stats = prevent_statistics()
    stats = stats[
        (stats["year_ending"] == year_ending)
        & stats["measure"].isin(["referral_source", "ideology"])
    ]
    rows = []
    for _, row in stats.iterrows():
        column = "referral_source" if row["measure"] == "referral_source" else "ideology"
        share = 100 * (cases[column].astype(str) == row["group"]).mean() if len(cases) else np.nan
        rows.append(
            {
                "measure": row["measure"],
                "group": row["group"],
                "this data %": round(share),
                "published %": int(row["share_percent"]),
                "difference": round(share) - int(row["share_percent"]),
            }
        )
    return pd.DataFrame(rows)
