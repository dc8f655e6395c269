"""Research on proportionality: referrals compared like with like, every table suppressible.

The question: is the Prevent duty pulling responses away from "business as usual"? The unit
is the referral (a case). Its outcome is whether its social-care rung reached child in need or
above within N days of the referral (:func:`referral_outcomes`); its evidence profile is the
strongest kind of evidence recorded by then (:data:`EVIDENCE_STRATA`). Radicalisation cases
are compared with other safeguarding cases within each profile, never pooled, because the mix
of profiles alone can create a difference (Simpson's paradox): :func:`compare_strata`, with
Wilson intervals, Fisher's exact test per stratum and a Holm correction (:func:`holm`).
:func:`relative_rates` gives the relative rate index of escalation per group of children
against a reference group, within strata (Katz log-method intervals), and
:func:`step_down_waits` the median wait for a step-down that fell due, with a bootstrap
interval. With ``suppress=True`` counts from 1 to 5 are shown as ``c`` and every rate, ratio,
p-value or median that would reveal them is withheld.

These are observational data: the groups differ in ways the record does not show, so a
difference is a prompt for inquiry, not a finding (:data:`CAVEATS`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy import stats

from casekit.analysis.proportionality import escalations, rests_on
from casekit.analysis.reference import prevent_statistics
from casekit.bundle.arrowops import arrow_strings, find_rows, is_in
from casekit.bundle.casebook import Casebook
from casekit.contract import CONCERN_CATEGORIES, RUNG, TABLES
from casekit.errors import CasekitError
from casekit.policy import (
    EVIDENCE_STRATA,
    GROUP_BAU,
    GROUP_RADICALISATION,
    GROUPS,
    OUTCOME_DAYS,
    STRATA,
    STRONG,
    WEAK,
    case_types,
)
from casekit.privacy.disclosure import SUPPRESSED, Publication

__all__ = [
    "GROUP_RADICALISATION",
    "GROUP_BAU",
    "GROUPS",
    "STRONG",
    "WEAK",
    "EVIDENCE_STRATA",
    "STRATA",
    "EQUITY_COLUMNS",
    "REFERENCES",
    "PUBLISHED_EQUITY",
    "CAVEATS",
    "wilson",
    "rates",
    "holm",
    "decision_profiles",
    "referral_outcomes",
    "compare_strata",
    "relative_rates",
    "step_down_waits",
    "describe_outcomes",
    "describe_strata",
    "describe_relative_rates",
    "describe_waits",
    "published_table",
    "check_parameters",
]

EQUITY_COLUMNS = ("child_ethnicity", "child_religion", "child_gender")
REFERENCES: dict[str, str] = {
    "child_ethnicity": "white",
    "child_religion": "none",
    "child_gender": "male",
}
"""The default reference group of each equity column (the largest group in most areas)."""

PUBLISHED_EQUITY = ("child_ethnicity", "child_religion")
"""The equity tables published with the strata comparison (their sums are checked together)."""

_MISSING: dict[str, str] = {
    "child_ethnicity": "unknown",
    "child_religion": "not_recorded",
    "child_gender": "unknown",
}

CAVEATS = (
    "These are observational data: the groups compared differ in ways the record does not "
    "show (confounding), and recorded evidence is only what reached the record. Small numbers "
    "give wide intervals. A difference is a prompt for inquiry, not a finding about practice."
)

_CIN = RUNG["child_in_need"]
_NONE = len(STRATA) - 1


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


def rates(table: pd.DataFrame, k: str, n: str, suppress: bool) -> pd.DataFrame:
    """Add ``rate`` (``k`` out of ``n``) and its Wilson interval ``low``-``high`` as fractions.

    With ``suppress``, counts from 1 to 5 show as ``c`` and so does any rate made from them.
    """
    hide_n = table[n].isin(range(1, 6)).to_numpy() if suppress else None
    hide_k = table[k].isin(range(1, 6)).to_numpy() if suppress else None
    return _shown(table, k, n, hide_k, hide_n)


def _shown(
    table: pd.DataFrame, k: str, n: str, hide_k: np.ndarray | None, hide_n: np.ndarray | None
) -> pd.DataFrame:
    """Add the rate and its Wilson interval; show hidden counts as ``c``, withhold their rates."""
    table = table.copy()
    table["rate"] = table[k] / table[n]
    table["low"], table["high"] = wilson(table[k], table[n])
    if hide_k is not None and hide_n is not None:
        table.loc[hide_k | hide_n, ["rate", "low", "high"]] = np.nan
        table[n] = table[n].astype(object).mask(hide_n, SUPPRESSED)
        table[k] = table[k].astype(object).mask(hide_k, SUPPRESSED)
    return table


def holm(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Adjust p-values for multiple comparisons by Holm's step-down method.

    Missing p-values (comparisons not made) stay missing and do not count as comparisons.

    >>> holm([0.01, 0.04, 0.03, np.nan]).round(2).tolist()
    [0.03, 0.06, 0.06, nan]
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    made = np.flatnonzero(~np.isnan(p))
    if made.size:
        order = made[np.argsort(p[made], kind="stable")]
        m = order.size
        stepped = (m - np.arange(m)) * p[order]
        out[order] = np.minimum(np.maximum.accumulate(stepped), 1.0)
    return out


def decision_profiles(cb: Casebook) -> pd.DataFrame:
    """One row per decision: its group, evidence profile, and whether it escalated.

    Used by the team reviews. ``escalates``: the decision raised the response to child in need
    or above. ``profile``: whether what it rests on includes behaviour or harm, as the flags
    define "rests on"; ``stratum``: the strongest of the six :data:`EVIDENCE_STRATA` among
    what it rests on (``none`` when it rests on nothing in them), as research compares.
    """
    d = escalations(cb.decisions)
    pairs = rests_on(d, cb.events)
    strong = pairs.loc[pairs["category"].isin(CONCERN_CATEGORIES), "decision_id"].unique()
    d["profile"] = np.where(is_in(d["decision_id"], strong), STRONG, WEAK)
    rank = {c: i for i, (_, cats) in enumerate(EVIDENCE_STRATA) for c in cats}
    pairs = pairs.assign(rank=pairs["category"].astype(object).map(rank))
    best = pairs.dropna(subset=["rank"]).groupby("decision_id")["rank"].min()
    codes = d["decision_id"].map(best).fillna(_NONE).astype(int).to_numpy()
    d["stratum"] = pd.Categorical.from_codes(codes, categories=pd.Index(STRATA), ordered=True)
    d["escalates"] = d["raises"] & (d["rung"] >= RUNG["child_in_need"])
    d["group"] = d["case_id"].map(case_types(cb.cases, "case_id"))
    cases = cb.cases.set_index("case_id")
    for column in ("team_id", *EQUITY_COLUMNS):
        d[column] = d["case_id"].map(cases[column]).astype(object)
    return d.reset_index(drop=True)


def _day(value: object, name: str) -> pd.Timestamp:
    try:
        if isinstance(value, str):
            return pd.Timestamp(dt.date.fromisoformat(value))
        if isinstance(value, dt.date | np.datetime64 | np.integer | int | float):
            return pd.Timestamp(value).normalize()
        raise TypeError(value)
    except (TypeError, ValueError):
        raise CasekitError(f"{name}={value!r} is not a date; write YYYY-MM-DD.") from None


def _check_days(days: object) -> int:
    if isinstance(days, bool) or not isinstance(days, int | np.integer) or days < 1:
        raise CasekitError(
            f"days={days!r}: give a whole number of days of at least 1, e.g. {OUTCOME_DAYS}."
        )
    return int(days)


def referral_outcomes(
    cb: Casebook,
    days: int = OUTCOME_DAYS,
    as_of: object = None,
    start: object = None,
    end: object = None,
) -> pd.DataFrame:
    """One row per referral (case): its group, evidence profile and whether it escalated.

    ``escalated``: the case's social-care rung (Channel is not a rung) reached child in need or
    above at a decision dated from ``opened`` to ``opened + days`` inclusive; ``reached`` is
    the first such date. ``point`` is ``reached``, else ``opened + days``. ``profile`` is the
    strongest :data:`STRATA` among the case's events dated and recorded on or before
    ``point``. ``complete`` is false when ``opened + days`` is after ``as_of`` (default today):
    the comparisons leave such cases out, as their outcome is not known yet. ``start`` and
    ``end`` keep referrals opened in that period.
    """
    days = _check_days(days)
    when = _day(as_of if as_of is not None else dt.date.today(), "as_of")
    cases = cb.cases
    if start is not None:
        cases = cases[cases["opened"] >= _day(start, "start")]
    if end is not None:
        cases = cases[cases["opened"] <= _day(end, "end")]
    cases = cases[cases["opened"] <= when].reset_index(drop=True)
    opened = cases["opened"].to_numpy("datetime64[ns]")
    limit = opened + np.timedelta64(days, "D")
    ids = arrow_strings(cases["case_id"])

    d = escalations(cb.decisions)
    at = find_rows(arrow_strings(d["case_id"]), ids)
    found = at >= 0
    at, dates, rung = at[found], d["date"].to_numpy("datetime64[ns]")[found], d["rung"].to_numpy()
    rung = rung[found]
    up = (rung >= _CIN) & (dates >= opened[at]) & (dates <= limit[at])
    reached = np.full(len(cases), np.datetime64("NaT"), dtype="datetime64[ns]")
    if up.any():
        first = pd.Series(dates[up]).groupby(at[up]).min()
        reached[first.index.to_numpy()] = first.to_numpy()
    escalated = ~np.isnat(reached)
    point = np.where(escalated, reached, limit)

    e = cb.events
    where = find_rows(arrow_strings(e["case_id"]), ids)
    category = e["category"]
    if not isinstance(category.dtype, pd.CategoricalDtype):
        category = category.astype("category")
    rank = {c: i for i, (_, cats) in enumerate(EVIDENCE_STRATA) for c in cats}
    lookup = np.array([rank.get(str(c), _NONE) for c in category.cat.categories] + [_NONE])
    strength = lookup[category.cat.codes.to_numpy()]  # code -1 (missing) is the last: none
    edate = e["date"].to_numpy("datetime64[ns]")
    recorded = e["recorded_on"].fillna(e["date"]).to_numpy("datetime64[ns]")
    by = np.append(point, np.datetime64("NaT", "ns"))[where]  # -1: an event of no case kept
    counted = (where >= 0) & (edate <= by) & (recorded <= by) & (strength < _NONE)
    best = np.full(len(cases), _NONE, dtype=np.int64)
    np.minimum.at(best, where[counted], strength[counted])

    out = pd.DataFrame(
        {
            "case_id": cases["case_id"].astype(object),
            "team_id": cases["team_id"].astype(object),
            "group": case_types(cases).to_numpy(),
            "opened": cases["opened"],
            "reached": reached,
            "escalated": escalated,
            "point": point,
            "profile": pd.Categorical.from_codes(best, categories=pd.Index(STRATA), ordered=True),
            "complete": limit <= np.datetime64(when),
        }
    )
    for column in EQUITY_COLUMNS:
        values = cases[column].astype(object)
        out[column] = values.where(values.notna(), _MISSING[column]).astype(str).to_numpy()
    return out


def _complete(outcomes: pd.DataFrame) -> pd.DataFrame:
    missing = {"group", "profile", "escalated", "complete"} - set(outcomes.columns)
    if missing:
        raise CasekitError(
            f"outcomes: no column {', '.join(sorted(missing))}; pass the table "
            "referral_outcomes(cb) returns."
        )
    return outcomes[outcomes["complete"].astype(bool)]


def _grid(o: pd.DataFrame, key: str, values: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Count referrals and escalations per stratum (rows) and value of ``key`` (columns)."""
    stratum = pd.Categorical(o["profile"], categories=list(STRATA)).codes
    value = pd.Categorical(o[key], categories=list(values)).codes
    ok = (stratum >= 0) & (value >= 0)
    n = np.zeros((len(STRATA), len(values)), dtype=np.int64)
    k = np.zeros_like(n)
    np.add.at(n, (stratum[ok], value[ok]), 1)
    np.add.at(k, (stratum[ok], value[ok]), o["escalated"].to_numpy(bool)[ok].astype(np.int64))
    return n, k


def _vocabulary(column: str) -> tuple[str, ...]:
    return GROUPS if column == "group" else TABLES["cases"].column(column).vocabulary


def _hidden(o: pd.DataFrame, by: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Decide which counts to hide in the publication of the strata and equity tables.

    The publication is :func:`compare_strata` with :func:`relative_rates` by ethnicity and
    religion (and ``by``). Counts from 1 to 5 are hidden, and so is a count whose complement
    (referrals not escalated) is from 1 to 5; then more, by
    :meth:`casekit.privacy.disclosure.Publication.protect`, until none can be worked out from the
    sums a reader knows: each row's referrals = escalated + not escalated, and each stratum's
    referrals (and escalations) summed over the groups = summed over ethnicity = over religion.
    Returns, per table, which ``n`` and which ``escalated`` cells are hidden.
    """
    columns = ("group", *dict.fromkeys([*PUBLISHED_EQUITY, by]))
    grids = tuple(_grid(o, column, _vocabulary(column)) for column in columns)
    counts = tuple((tuple(n.ravel().tolist()), tuple(k.ravel().tolist())) for n, k in grids)
    hidden = _protect(columns, counts)
    return {
        column: (hide[0].reshape(len(STRATA), -1), hide[1].reshape(len(STRATA), -1))
        for column, hide in zip(columns, hidden, strict=True)
    }


@functools.lru_cache(maxsize=8)
def _protect(
    columns: tuple[str, ...], counts: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]
) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Run the suppression for :func:`_hidden` once per set of counts (the tables share it)."""
    publication = Publication()
    for column, (n, k) in zip(columns, counts, strict=True):
        values = _vocabulary(column)
        for index, (total, up) in enumerate(zip(n, k, strict=True)):
            cell = (column, STRATA[index // len(values)], values[index % len(values)])
            rest = total - up
            publication.add((*cell, "n"), total, 1 <= total <= 5)
            publication.add((*cell, "k"), up, 1 <= up <= 5)
            publication.add((*cell, "rest"), rest, 1 <= rest <= 5, unpublished=not 1 <= rest <= 5)
            publication.equate([(*cell, "k"), (*cell, "rest")], [(*cell, "n")])
    for stratum in STRATA:
        for measure in ("n", "k"):
            groups = [("group", stratum, g, measure) for g in GROUPS]
            for column in columns[1:]:
                cells = [(column, stratum, v, measure) for v in _vocabulary(column)]
                publication.equate(cells, groups)
    publication.protect()
    hidden = dict(zip(publication.cells, publication.hidden, strict=True))
    out = []
    for column in columns:
        pair = []
        for measure in ("n", "k"):
            cells = [(column, s, v, measure) for s in STRATA for v in _vocabulary(column)]
            mask = np.array([hidden[c] for c in cells], dtype=bool)
            mask.setflags(write=False)  # cached: shared by every caller
            pair.append(mask)
        out.append((pair[0], pair[1]))
    return tuple(out)


def compare_strata(outcomes: pd.DataFrame, suppress: bool = True) -> pd.DataFrame:
    """Compare how often radicalisation and other safeguarding referrals escalated, per stratum.

    One row per evidence profile (all of :data:`STRATA`, in order). Columns, for each group:
    ``n``, ``escalated``, ``rate`` and its Wilson 95% interval ``low``-``high``; then ``test``:
    ``tested`` (both groups have referrals), ``p`` (Fisher's exact test, two-sided),
    ``p_holm`` (Holm-adjusted across the strata tested), ``comparisons`` (how many were
    tested) and ``note``. Only referrals whose follow-up is complete count. With ``suppress``,
    counts are hidden as :func:`_hidden` decides, with the rates and p-values made from them.
    """
    o = _complete(outcomes)
    n, k = _grid(o, "group", GROUPS)
    hide = _hidden(o, PUBLISHED_EQUITY[0])["group"] if suppress else None
    parts = {}
    for j, group in enumerate(GROUPS):
        part = pd.DataFrame(
            {"n": n[:, j], "escalated": k[:, j]}, index=pd.Index(STRATA, name="evidence profile")
        )
        hide_n, hide_k = (hide[0][:, j], hide[1][:, j]) if hide is not None else (None, None)
        parts[group] = _shown(part, "escalated", "n", hide_k, hide_n)
    tested = (n > 0).all(axis=1)
    p = np.full(len(STRATA), np.nan)
    for i in np.flatnonzero(tested):
        p[i] = stats.fisher_exact(np.column_stack([k[i], n[i] - k[i]])).pvalue
    p_holm = holm(p)
    note = np.where(
        n[:, 0] == 0,
        "not tested: no radicalisation referrals",
        np.where(n[:, 1] == 0, "not tested: no other safeguarding referrals", ""),
    ).astype(object)
    if hide is not None:
        withheld = (hide[0] | hide[1]).any(axis=1) & tested
        p[withheld] = p_holm[withheld] = np.nan
        note[withheld] = "p withheld: small numbers"
    test = pd.DataFrame(
        {
            "tested": tested,
            "p": p,
            "p_holm": p_holm,
            "comparisons": int(tested.sum()),
            "note": note,
        },
        index=parts[GROUP_RADICALISATION].index,
    )
    return pd.concat({**parts, "test": test}, axis=1)


def _equity_column(by: str, reference: str | None) -> str:
    if by not in EQUITY_COLUMNS:
        raise CasekitError(f"by={by!r}: choose one of {', '.join(EQUITY_COLUMNS)}.")
    reference = REFERENCES[by] if reference is None else reference
    vocabulary = TABLES["cases"].column(by).vocabulary
    if reference not in vocabulary:
        raise CasekitError(
            f"reference={reference!r} is not a value of {by}; choose one of "
            f"{', '.join(vocabulary)}."
        )
    return reference


def relative_rates(
    outcomes: pd.DataFrame,
    by: str = "child_ethnicity",
    reference: str | None = None,
    suppress: bool = True,
) -> pd.DataFrame:
    """Give the relative rate index (RRI) of escalation per group of children, within strata.

    One row per evidence profile and value of ``by`` with referrals: ``n``, ``escalated``,
    ``rate`` (Wilson interval ``low``-``high``), ``rri`` = the rate over the ``reference``
    group's rate in the same stratum (default :data:`REFERENCES`), its Katz log-method 95%
    interval ``rri_low``-``rri_high`` (ln RRI +/- 1.96 sqrt(1/a - 1/n1 + 1/c - 1/n2); where
    every referral of a group escalated, 0.5 is first added to each cell of the 2x2 table), and
    a ``note``. With no escalations in the group or the reference, the RRI is not computed (the
    note says so). All referrals whose follow-up is complete count, radicalisation or not.
    With ``suppress``, counts are hidden as :func:`_hidden` decides, and the rates and RRIs
    made from them are withheld, as are all RRIs of a stratum whose reference is hidden.
    """
    reference = _equity_column(by, reference)
    o = _complete(outcomes)
    values = _vocabulary(by)
    n, k = _grid(o, by, values)
    r = values.index(reference)
    rows = pd.MultiIndex.from_product([STRATA, values], names=["evidence profile", by])
    a, n1 = k.ravel().astype(float), n.ravel().astype(float)
    c, n2 = np.repeat(k[:, r], len(values)).astype(float), np.repeat(n[:, r], len(values))
    is_ref = np.tile(np.arange(len(values)) == r, len(STRATA))
    computable = (a > 0) & (c > 0)
    # A group where every referral escalated has an empty "not escalated" cell, and the plain
    # Katz interval then claims no uncertainty at all. The Haldane-Anscombe correction (0.5
    # added to every cell of that 2x2 table) gives it an honest width.
    whole = computable & ((a == n1) | (c == n2))
    shift = np.where(whole, 0.5, 0.0)
    a_, c_, n1_, n2_ = a + shift, c + shift, n1 + 2 * shift, n2 + 2 * shift
    with np.errstate(divide="ignore", invalid="ignore"):
        rri = np.where(computable, (a / n1) / (c / n2), np.nan)
        centre = np.log((a_ / n1_) / (c_ / n2_))
        half = 1.96 * np.sqrt(1 / a_ - 1 / n1_ + 1 / c_ - 1 / n2_)
        rri_low = np.where(computable & ~is_ref, np.exp(centre - half), np.nan)
        rri_high = np.where(computable & ~is_ref, np.exp(centre + half), np.nan)
    note = np.select(
        [is_ref, n2 == 0, c == 0, a == 0, whole],
        [
            "reference",
            "no reference children in this stratum: RRI not computed",
            "no escalations in the reference group: RRI not computed",
            "no escalations in this group: RRI not computed",
            "every referral escalated in one group: interval with 0.5 added to each cell",
        ],
        "",
    ).astype(object)
    table = pd.DataFrame({"n": n.ravel(), "escalated": k.ravel()}, index=rows)
    hide_n = hide_k = None
    if suppress:
        hidden_n, hidden_k = _hidden(o, by)[by]
        hide_n, hide_k = hidden_n.ravel(), hidden_k.ravel()
    table = _shown(table, "escalated", "n", hide_k, hide_n)
    table["rri"], table["rri_low"], table["rri_high"], table["note"] = rri, rri_low, rri_high, note
    if hide_n is not None and hide_k is not None:
        own = hide_n | hide_k
        ref_hidden = np.repeat(own.reshape(len(STRATA), -1)[:, r], len(values))
        table.loc[own | ref_hidden, ["rri", "rri_low", "rri_high"]] = np.nan
        table.loc[ref_hidden & ~own & (n2 > 0), "note"] = "reference hidden (small numbers)"
        table.loc[own, "note"] = np.where(
            is_ref[own], "reference; small numbers: withheld", "small numbers: withheld"
        )
    return table[n.ravel() > 0]


def step_down_waits(
    cb: Casebook,
    as_of: str | dt.date | pd.Timestamp | None = None,
    suppress: bool = True,
    due: pd.DataFrame | None = None,
    n_resamples: int = 9999,
    seed: int = 14,
    **thresholds: object,
) -> pd.DataFrame:
    """Median wait from a step-down falling due to the step-down or closure, per group.

    ``due`` is the table ``casekit.analysis.proportionality.step_downs_due(cb, as_of,
    **thresholds)``
    returns (made here when not given): one row per stretch that became due, with
    ``wait_days`` (missing while it still runs). One row per group: ``became_due``, ``ended``,
    ``still_running``, ``median_wait_days`` over the ended stretches and its bootstrap 95%
    interval ``low``-``high`` (``scipy.stats.bootstrap``, percentile method, ``n_resamples``
    resamples seeded with ``seed``, so the interval is reproducible; none for fewer than 2
    waits). The median leaves out stretches still running, so it understates the wait. With
    ``suppress``, counts from 1 to 5 show as ``c``, and one more count of the row where one
    alone would be worked out from the other two; a median of hidden waits is withheld.
    """
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 100:
        raise CasekitError(f"n_resamples={n_resamples!r}: give a whole number of at least 100.")
    if due is None:
        from casekit.analysis.proportionality import step_downs_due  # made by the flags part

        due = step_downs_due(cb, as_of=as_of, **thresholds)
    missing = {"case_id", "wait_days"} - set(due.columns)
    if missing:
        raise CasekitError(
            f"due: no column {', '.join(sorted(missing))}; pass the table "
            "casekit.analysis.proportionality.step_downs_due returns."
        )
    group = due["case_id"].astype(object).map(case_types(cb.cases, "case_id"))
    wait = pd.to_numeric(due["wait_days"], errors="coerce")
    rows = []
    for name in GROUPS:
        waits = wait[(group == name).to_numpy()]
        ended = waits.dropna().to_numpy(float)
        low = high = np.nan
        if len(ended) >= 2:
            ci = stats.bootstrap(
                (ended,),
                np.median,
                n_resamples=n_resamples,
                method="percentile",
                batch=max(1, 20_000_000 // (8 * len(ended))),
                rng=np.random.default_rng(seed),
            ).confidence_interval
            low, high = float(ci.low), float(ci.high)
        rows.append(
            {
                "group": name,
                "became_due": len(waits),
                "ended": len(ended),
                "still_running": int(waits.isna().sum()),
                "median_wait_days": float(np.median(ended)) if len(ended) else np.nan,
                "low": low,
                "high": high,
            }
        )
    table = pd.DataFrame(rows).set_index("group")
    if suppress:
        counts = ["became_due", "ended", "still_running"]
        hide = table[counts].apply(lambda column: column.isin(range(1, 6)))
        for group in table.index[hide.sum(axis=1) == 1]:  # became_due = ended + still_running
            others = table.loc[group, counts][~hide.loc[group] & (table.loc[group, counts] > 0)]
            if len(others):
                hide.loc[group, others.astype(int).idxmin()] = True
        table[["median_wait_days", "low", "high"]] = table[
            ["median_wait_days", "low", "high"]
        ].mask(hide["ended"], np.nan)
        table[counts] = table[counts].astype(object).mask(hide, SUPPRESSED)
    return table


def _pct(value: Any) -> str:
    return "withheld" if pd.isna(value) else f"{100 * float(value):.0f}%"


def _p(value: Any) -> str:
    if pd.isna(value):
        return "withheld"
    return "< 0.001" if float(value) < 0.001 else f"{float(value):.3f}"


def describe_outcomes(
    outcomes: pd.DataFrame, days: int = OUTCOME_DAYS, suppress: bool = True
) -> str:
    """Say which referrals the comparisons count, and (unless ``suppress``) how many.

    With ``suppress`` no total is given: with the strata tables it could reveal a hidden count.
    """
    complete = outcomes["complete"].astype(bool)
    if len(outcomes) == 0:
        return "No referrals were opened in this period."
    first, last = outcomes["opened"].min(), outcomes["opened"].max()
    text = (
        f"The unit is the referral (a case) opened from {first:%Y-%m-%d} to {last:%Y-%m-%d}; "
        f"its outcome is whether it reached child in need or above within {days} days."
    )
    if suppress:
        return text + " Referrals whose days had not all passed by the as-of date are left out."
    return text + (
        f" {int(complete.sum()):,} referrals counted; {int((~complete).sum()):,} left out "
        f"because their {days} days had not all passed by the as-of date."
    )


def describe_strata(table: pd.DataFrame, days: int = OUTCOME_DAYS) -> str:
    """Say in words what :func:`compare_strata` found: a text summary and caption of the table."""
    test = table["test"]
    m = int(test["comparisons"].iloc[0]) if len(test) else 0
    lines = [
        f"Referrals that reached child in need or above within {days} days, radicalisation "
        "against other safeguarding referrals, within each evidence profile (never pooled). "
        f"Fisher's exact test per profile; {m} comparison{'s' if m != 1 else ''} made, "
        "p-values Holm-adjusted across them. Rates with Wilson 95% intervals."
    ]
    for stratum in table.index:
        parts = []
        for group in GROUPS:
            row = table[group].loc[stratum]
            if row["n"] == 0:
                parts.append(f"no {group} referrals")
                continue
            interval = (
                f" (95% CI {_pct(row['low'])} to {_pct(row['high'])})"
                if pd.notna(row["rate"])
                else ""
            )
            parts.append(
                f"{group} {row['escalated']} of {row['n']} escalated, {_pct(row['rate'])}{interval}"
            )
        t = test.loc[stratum]
        if not t["tested"]:
            verdict = "not tested (a group has no referrals)"
        elif t["note"]:
            verdict = t["note"]
        else:
            verdict = f"p = {_p(t['p'])}, Holm-adjusted {_p(t['p_holm'])}"
        lines.append(f"- {stratum}: " + "; ".join(parts) + f"; {verdict}.")
    lines.append(CAVEATS)
    return "\n".join(lines)


def describe_relative_rates(table: pd.DataFrame, by: str, reference: str | None = None) -> str:
    """Say in words what :func:`relative_rates` found, naming the reference group."""
    reference = _equity_column(by, reference)
    label = by.removeprefix("child_")
    lines = [
        f"Relative rate index of escalation by {label}, within each evidence profile: a "
        f"group's escalation rate over that of the reference group, {label} {reference!r}, "
        "in the same profile (1 = the same rate), with Katz log-method 95% intervals. "
        "Where a group or the reference had no escalations the index is not computed; "
        "small groups are withheld."
    ]
    for key, row in table.iterrows():
        stratum, value = cast(tuple[str, str], key)  # the index: (stratum, group value)
        if value == reference:
            continue
        if pd.notna(row["rri_low"]):
            text = f"RRI {row['rri']:.2f} (95% CI {row['rri_low']:.2f} to {row['rri_high']:.2f})"
        elif pd.notna(row["rri"]):
            text = f"RRI {row['rri']:.2f} ({row['note']})"
        else:
            text = row["note"] or "RRI not computed"
        lines.append(f"- {stratum}, {value}: {row['escalated']} of {row['n']} escalated; {text}.")
    lines.append(CAVEATS)
    return "\n".join(lines)


def describe_waits(table: pd.DataFrame) -> str:
    """Say in words what :func:`step_down_waits` found."""
    lines = [
        "Days from a step-down falling due (as the step_down_due flag defines it) to the "
        "step-down or closure: medians with bootstrap 95% intervals (percentile method). "
        "Stretches still running are left out of the median, so it understates the wait."
    ]
    for group, row in table.iterrows():
        median = row["median_wait_days"]
        if pd.isna(median):
            text = "no median (none ended, or withheld)"
        elif pd.isna(row["low"]):
            text = f"median {median:.0f} days (no interval)"
        else:
            text = f"median {median:.0f} days (95% CI {row['low']:.0f} to {row['high']:.0f})"
        lines.append(
            f"- {group}: {row['became_due']} became due, {row['ended']} ended, "
            f"{row['still_running']} still running; {text}."
        )
    lines.append(CAVEATS)
    return "\n".join(lines)


def check_parameters(
    data: str,
    start: str = "",
    end: str = "",
    days: int = OUTCOME_DAYS,
    ethnicity_reference: str = "white",
    religion_reference: str = "none",
    as_of: str = "",
) -> tuple[pd.Timestamp | None, pd.Timestamp | None, pd.Timestamp | None]:
    """Check a research notebook's parameters; return (start, end, as_of), or raise clearly."""
    if not data:
        raise CasekitError("parameter data: give the bundle to study.")
    _check_days(days)
    for column, value in (
        ("child_ethnicity", ethnicity_reference),
        ("child_religion", religion_reference),
    ):
        name = column.removeprefix("child_") + "_reference"
        try:
            _equity_column(column, value)
        except CasekitError as error:
            raise CasekitError(f"parameter {name}: {error}") from None
    period = []
    for name, value in (("start", start), ("end", end), ("as_of", as_of)):
        try:
            period.append(pd.Timestamp(dt.date.fromisoformat(value)) if value else None)
        except ValueError:
            raise CasekitError(
                f"parameter {name}: {value!r} is not a date; write YYYY-MM-DD."
            ) from None
    if period[0] is not None and period[1] is not None and period[0] > period[1]:
        raise CasekitError(f"parameters start and end: {start} is after {end}.")
    return period[0], period[1], period[2]


def published_table(cb: Casebook, year_ending: str = "2024-03") -> pd.DataFrame:
    """Reproduce the published Prevent table from the data, beside the published figures.

    Referral-source and ideology shares of radicalisation referrals, per cent, whole numbers.
    """
    cases = cb.cases[(case_types(cb.cases) == GROUP_RADICALISATION).to_numpy()]
    stats_ = prevent_statistics()
    stats_ = stats_[
        (stats_["year_ending"] == year_ending)
        & stats_["measure"].isin(["referral_source", "ideology"])
    ]
    rows = []
    for _, row in stats_.iterrows():
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
