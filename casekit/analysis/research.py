"""Research on proportionality: referrals compared like with like, every table suppressible.

The question: is the Prevent duty pulling responses away from "business as usual"? The unit
is the referral (a case). Its outcome is whether its social-care rung reached child in need or
above within N days of the referral (:func:`referral_outcomes`); its evidence profile is the
strongest kind of evidence recorded by then (:data:`EVIDENCE_STRATA`). Radicalisation cases
are compared with other safeguarding cases within each profile, never pooled, because the mix
of profiles alone can create a difference (Simpson's paradox): :func:`compare_strata`, with
Wilson intervals, Fisher's exact test per stratum and a Holm correction (:func:`holm`).
:func:`relative_rates` gives the relative rate index of escalation per group of children
against a reference group, within each kind of referral and stratum, never pooled across
the kinds (Katz log-method intervals), and
:func:`step_down_waits` the median wait for a step-down that fell due, with a bootstrap
interval. With ``suppress=True`` counts from 1 to 5 are shown as ``c`` and every rate, ratio,
p-value or median that would reveal them is withheld.

These are observational data: the groups differ in ways the record does not show, so a
difference is a prompt for inquiry, not a finding (:data:`CAVEATS`); and an escalation rate
is the service's response, not the children's risk (:data:`RESPONSE_NOT_RISK`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy import stats

from casekit.analysis.proportionality import escalations, rests_on
from casekit.analysis.reference import prevent_statistics
from casekit.analysis.relational import research as relational
from casekit.bundle.arrowops import arrow_strings, find_rows, is_in
from casekit.bundle.casebook import Casebook
from casekit.contract import CONCERN_CATEGORIES, RUNG, TABLES
from casekit.engine import DEFAULT_ENGINE, Engine, connect
from casekit.engine.tables import Tables, from_casebook
from casekit.errors import CasekitError
from casekit.policy import (
    EQUITY_COLUMNS,
    EQUITY_MISSING,
    EVIDENCE_STRATA,
    GROUP_BAU,
    GROUP_RADICALISATION,
    GROUPS,
    OUTCOME_DAYS,
    STRATA,
    STRONG,
    WEAK,
    case_types,
    check_day,
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
    "RESPONSE_NOT_RISK",
    "NOTEBOOK_AS_OF",
    "wilson",
    "rates",
    "holm",
    "decision_profiles",
    "referral_outcomes",
    "OutcomeCounts",
    "outcome_counts",
    "engine_step_down_waits",
    "engine_published_table",
    "engine_outcome_counts",
    "ResearchTables",
    "research_tables",
    "compare_strata",
    "relative_rates",
    "step_down_waits",
    "describe_outcomes",
    "describe_strata",
    "describe_relative_rates",
    "describe_waits",
    "describe_all_or_none",
    "published_table",
    "check_parameters",
]

REFERENCES: dict[str, str] = {
    "child_ethnicity": "white",
    "child_religion": "none",
    "child_gender": "male",
}
"""The default reference group of each equity column (the largest group in most areas)."""

PUBLISHED_EQUITY = ("child_ethnicity", "child_religion")
"""The equity tables published with the strata comparison (their sums are checked together)."""

CAVEATS = (
    "These are observational data: the groups compared differ in ways the record does not "
    "show (confounding), and recorded evidence is only what reached the record. Small numbers "
    "give wide intervals. A difference is a prompt for inquiry, not a finding about practice."
)

RESPONSE_NOT_RISK = (
    "An escalation rate describes the service's response, not the children: a higher rate "
    "says the service escalated this group more often on the same recorded evidence; it says "
    "nothing about the children."
)
"""Said wherever escalation rates are shown, so a rate is not read as a group's risk."""

NOTEBOOK_AS_OF = "2025-03-31"
"""The research notebook's default ``as_of``: the last day of casekit's synthetic data."""

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
            day = pd.Timestamp(dt.date.fromisoformat(value))
        elif isinstance(value, dt.date | np.datetime64 | np.integer | int | float):
            day = pd.Timestamp(value).normalize()
        else:
            raise TypeError(value)
    except (TypeError, ValueError):
        raise CasekitError(f"{name}={value!r} is not a date; write YYYY-MM-DD.") from None
    if pd.isna(day):
        raise CasekitError(f"{name}={value!r} is not a date; write YYYY-MM-DD.")
    check_day(name, day.date())  # pandas' dates end in 2262: none may reach past them
    return day


def _check_days(days: object) -> int:
    if isinstance(days, bool) or not isinstance(days, int | np.integer) or days < 1:
        raise CasekitError(
            f"days={days!r}: give a whole number of days of at least 1, e.g. {OUTCOME_DAYS}."
        )
    return int(days)


def _period(
    days: object, as_of: object, start: object, end: object
) -> tuple[int, pd.Timestamp, pd.Timestamp | None, pd.Timestamp | None]:
    """Check the research period: the days, the as-of date (default today), start and end."""
    when = _day(as_of if as_of is not None else dt.date.today(), "as_of")
    return (_check_days(days), when, *_period_only(start, end))


def _date(value: pd.Timestamp | None) -> dt.date | None:
    return value.date() if value is not None else None


@contextmanager
def _opened(engine: Engine | str) -> Iterator[Engine]:
    """Use an open engine as it is, or open one by name (or Spark Connect URL) for a call."""
    if isinstance(engine, Engine):
        yield engine
        return
    from casekit.analysis.relational.run import engine_name

    name, text = engine_name(engine), str(engine).strip()
    with connect(name, url=text if text.startswith("sc://") else None) as opened:
        yield opened


def _tables(source: Casebook | Tables) -> Tables:
    """Give the engine's tables of a Casebook (sent to it), or the tables as given."""
    if isinstance(source, Tables):
        return source
    if not isinstance(source, Casebook):
        raise CasekitError(
            "research on an engine takes a Casebook or the engine's tables: for data named by "
            "a path or a store's URL use casekit.analysis.on_engine.study(data, engine), or "
            "casekit.load(path) first."
        )
    return from_casebook(source)


def _relational_outcomes(
    source: Casebook | Tables,
    engine: Engine | str,
    days: int,
    when: pd.Timestamp,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
) -> pd.DataFrame:
    """Run :func:`casekit.analysis.relational.research.referral_outcomes`; type it as pandas."""
    expr = relational.referral_outcomes(
        _tables(source), days, when.date(), _date(start), _date(end)
    )
    with _opened(engine) as open_engine:
        out = open_engine.run(expr)
    for column in ("opened", "reached", "point"):
        out[column] = pd.to_datetime(out[column]).astype("datetime64[ns]")
    for column in ("escalated", "complete"):
        out[column] = out[column].astype(bool)
    out["profile"] = pd.Categorical(out["profile"], categories=pd.Index(STRATA), ordered=True)
    for column in ("case_id", "team_id"):
        out[column] = out[column].astype(object)
    for column in ("group", *EQUITY_COLUMNS):
        out[column] = out[column].astype(str)
    out = out.sort_values("case_id", kind="stable").reset_index(drop=True)
    return out


def referral_outcomes(
    cb: Casebook | Tables,
    days: int = OUTCOME_DAYS,
    as_of: object = None,
    start: object = None,
    end: object = None,
    engine: Engine | str | None = None,
) -> pd.DataFrame:
    """One row per referral (case): its group, evidence profile and whether it escalated.

    ``escalated``: the case's social-care rung (Channel is not a rung) reached child in need or
    above at a decision dated from ``opened`` to ``opened + days`` inclusive; ``reached`` is
    the first such date. ``point`` is ``reached``, else ``opened + days``. ``profile`` is the
    strongest :data:`STRATA` among the case's events dated and recorded on or before
    ``point``. ``complete`` is false when ``opened + days`` is after ``as_of`` (default today):
    the comparisons leave such cases out, as their outcome is not known yet. ``start`` and
    ``end`` keep referrals opened in that period.

    With ``engine`` (an open :class:`casekit.engine.Engine`, or ``duckdb``, ``postgres``,
    ``spark``), the relational definition runs there, on a Casebook or the engine's
    :class:`~casekit.engine.tables.Tables`, and its rows are sorted by ``case_id``; without,
    pandas runs it on the Casebook, in the order of its cases. Every row comes back: for
    national data, count in the engine with :func:`engine_outcome_counts` instead.
    """
    days, when, since, until = _period(days, as_of, start, end)
    if engine is not None:
        return _relational_outcomes(cb, engine, days, when, since, until)
    if isinstance(cb, Tables):
        raise CasekitError(
            "referral_outcomes: engine tables run on an engine; pass engine='duckdb' (or "
            "another engine), or pass a Casebook."
        )
    cases = _opened_in(cb.cases, since, until)
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
        out[column] = values.where(values.notna(), EQUITY_MISSING[column]).astype(str).to_numpy()
    for column in ("group", *EQUITY_COLUMNS):
        out[column] = out[column].astype(str)  # text even with no referrals
    return out


def _complete(outcomes: pd.DataFrame) -> pd.DataFrame:
    missing = {"group", "profile", "escalated", "complete"} - set(outcomes.columns)
    if missing:
        raise CasekitError(
            f"outcomes: no column {', '.join(sorted(missing))}; pass the table "
            "referral_outcomes(cb) returns."
        )
    return outcomes[outcomes["complete"].astype(bool)]


def _keys(column: str) -> tuple[str, ...]:
    """Give the columns a grid of ``column`` counts by: the group, and the column if another."""
    return ("group",) if column == "group" else ("group", column)


def _grid(
    o: pd.DataFrame, column: str, weights: pd.Series | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Count referrals and escalations per stratum, referral group and value of ``column``.

    The arrays have a row per stratum, then an axis per column of :func:`_keys` (the group,
    and the equity column's values). ``weights`` (rows that are counts) says how many
    referrals each row stands for, with ``escalated`` then a count too.
    """
    stratum = pd.Categorical(o["profile"], categories=list(STRATA)).codes
    keys = _keys(column)
    codes = [pd.Categorical(o[key], categories=list(_vocabulary(key))).codes for key in keys]
    ok = stratum >= 0
    for code in codes:
        ok &= code >= 0
    shape = (len(STRATA), *(len(_vocabulary(key)) for key in keys))
    n = np.zeros(shape, dtype=np.int64)
    k = np.zeros_like(n)
    at = (stratum[ok], *(code[ok] for code in codes))
    if weights is None:
        np.add.at(n, at, 1)
        np.add.at(k, at, o["escalated"].to_numpy(bool)[ok].astype(np.int64))
    else:
        np.add.at(n, at, weights.to_numpy(np.int64)[ok])
        np.add.at(k, at, o["escalated"].to_numpy(np.int64)[ok])
    return n, k


def _vocabulary(column: str) -> tuple[str, ...]:
    return GROUPS if column == "group" else TABLES["cases"].column(column).vocabulary


@dataclass(frozen=True)
class OutcomeCounts:
    """What the strata and equity tables need of the referrals: their counts, and no rows.

    ``grids``: for ``group`` and each of :data:`EQUITY_COLUMNS`, the referrals whose follow-up
    is complete (``n``) and those that escalated (``k``), as arrays with a row per stratum of
    :data:`STRATA` and a column per referral group (:data:`GROUPS`); an equity column's
    arrays have a third axis, a place per value of its vocabulary (the equity tables compare
    within each referral group, never pooled across them).
    ``referrals`` and ``complete`` count every referral and the complete ones; ``first`` and
    ``last`` are the first and last ``opened`` (none without referrals). Made from the rows by
    :func:`outcome_counts`, or in an engine by :func:`engine_outcome_counts`; the tables take
    either it or the rows.
    """

    grids: Mapping[str, tuple[np.ndarray, np.ndarray]]
    referrals: int
    complete: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None


def outcome_counts(outcomes: pd.DataFrame | OutcomeCounts) -> OutcomeCounts:
    """Count the referrals of :func:`referral_outcomes` (rows) for the strata and equity tables.

    Counts (an :class:`OutcomeCounts`) are returned as they are.
    """
    if isinstance(outcomes, OutcomeCounts):
        return outcomes
    o = _complete(outcomes)
    columns = [c for c in ("group", *EQUITY_COLUMNS) if c in outcomes.columns]
    dated = "opened" in outcomes.columns and len(outcomes) > 0
    return OutcomeCounts(
        grids={c: _grid(o, c) for c in columns},
        referrals=len(outcomes),
        complete=len(o),
        first=pd.Timestamp(outcomes["opened"].min()) if dated else None,
        last=pd.Timestamp(outcomes["opened"].max()) if dated else None,
    )


def _counts_of(counts: OutcomeCounts, column: str) -> tuple[np.ndarray, np.ndarray]:
    """Give the grid of one column, or say clearly that the outcomes lack the column."""
    if column not in counts.grids:
        raise CasekitError(
            f"outcomes: no column {column}; pass the table referral_outcomes(cb) returns."
        )
    return counts.grids[column]


def _hidden(counts: OutcomeCounts, by: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Decide which counts to hide in the publication of the strata and equity tables.

    The publication is :func:`compare_strata` with :func:`relative_rates` by ethnicity and
    religion (and ``by``). Counts from 1 to 5 are hidden, and so is a count whose complement
    (referrals not escalated) is from 1 to 5; then more, by
    :meth:`casekit.privacy.disclosure.Publication.protect`, until none can be worked out from the
    sums a reader knows: each row's referrals = escalated + not escalated, and each stratum's
    referrals (and escalations) of each referral group = that group's summed over ethnicity =
    summed over religion. Returns, per table, which ``n`` and which ``escalated`` cells are
    hidden, shaped as the grids.
    """
    columns = ("group", *dict.fromkeys([*PUBLISHED_EQUITY, by]))
    grids = tuple(_counts_of(counts, column) for column in columns)
    flat = tuple((tuple(n.ravel().tolist()), tuple(k.ravel().tolist())) for n, k in grids)
    hidden = _protect(columns, flat)
    return {
        column: (hide[0].reshape(grid[0].shape), hide[1].reshape(grid[0].shape))
        for column, hide, grid in zip(columns, hidden, grids, strict=True)
    }


def _counted(rows: pd.DataFrame) -> OutcomeCounts:
    """Give the counts an engine returned (:func:`relational.outcome_counts`) as grids."""
    done = rows[rows["complete"].astype(bool)]
    grids = {column: _grid(done, column, done["n"]) for column in relational.COUNTED}
    referrals = int(rows["n"].sum())
    first, last = pd.to_datetime(rows["first"]).min(), pd.to_datetime(rows["last"]).max()
    return OutcomeCounts(
        grids=grids,
        referrals=referrals,
        complete=int(done["n"].sum()),
        first=pd.Timestamp(first) if referrals else None,
        last=pd.Timestamp(last) if referrals else None,
    )


def engine_outcome_counts(
    source: Casebook | Tables,
    engine: Engine | str = DEFAULT_ENGINE,
    days: int = OUTCOME_DAYS,
    as_of: object = None,
    start: object = None,
    end: object = None,
) -> OutcomeCounts:
    """Count the referrals of :func:`referral_outcomes` in an engine: no case row leaves it.

    ``source``: a Casebook, or the contract's tables on the engine
    (:class:`casekit.engine.tables.Tables`, with ``case_concerns``); ``engine``: an open
    :class:`casekit.engine.Engine` or a name (``duckdb``, the default, needs no set-up). The
    engine counts the referrals in one pass, by profile, group, equity values and
    completeness (a few thousand rows at most leave it); the counts give the same tables as
    the rows (:func:`compare_strata`, :func:`relative_rates`, :func:`describe_outcomes`).
    """
    days, when, first, last = _period(days, as_of, start, end)
    outcomes = relational.referral_outcomes(
        _tables(source), days, when.date(), _date(first), _date(last)
    )
    with _opened(engine) as open_engine:
        rows = open_engine.run(relational.outcome_counts(outcomes))
    return _counted(rows)


@dataclass(frozen=True)
class ResearchTables:
    """The research notebook's tables, from counts an engine made."""

    counts: OutcomeCounts
    strata: pd.DataFrame
    by_ethnicity: pd.DataFrame
    by_religion: pd.DataFrame


def research_tables(
    source: Casebook | Tables,
    engine: Engine | str = DEFAULT_ENGINE,
    days: int = OUTCOME_DAYS,
    as_of: object = None,
    start: object = None,
    end: object = None,
    suppress: bool = True,
    ethnicity_reference: str | None = None,
    religion_reference: str | None = None,
) -> ResearchTables:
    """Make the strata and equity tables with the counting done in an engine.

    The counts are :func:`engine_outcome_counts`'; the tables are :func:`compare_strata`
    and :func:`relative_rates` by ethnicity and by religion (references default to
    :data:`REFERENCES`), suppressed unless ``suppress`` is false.
    """
    ethnicity_reference = _equity_column("child_ethnicity", ethnicity_reference)
    religion_reference = _equity_column("child_religion", religion_reference)
    counts = engine_outcome_counts(source, engine, days, as_of, start, end)
    return ResearchTables(
        counts=counts,
        strata=compare_strata(counts, suppress=suppress),
        by_ethnicity=relative_rates(counts, "child_ethnicity", ethnicity_reference, suppress),
        by_religion=relative_rates(counts, "child_religion", religion_reference, suppress),
    )


@functools.lru_cache(maxsize=8)
def _protect(
    columns: tuple[str, ...], counts: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]
) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Run the suppression for :func:`_hidden` once per set of counts (the tables share it)."""
    publication = Publication()
    cells: dict[str, list[tuple[Any, ...]]] = {}
    for column, (n, k) in zip(columns, counts, strict=True):
        names = [STRATA, *(_vocabulary(key) for key in _keys(column))]
        cells[column] = [
            (column, *(axis[i] for axis, i in zip(names, at, strict=True)))
            for at in np.ndindex(*(len(axis) for axis in names))
        ]
        for cell, total, up in zip(cells[column], n, k, strict=True):
            rest = total - up
            publication.add((*cell, "n"), total, 1 <= total <= 5)
            publication.add((*cell, "k"), up, 1 <= up <= 5)
            publication.add((*cell, "rest"), rest, 1 <= rest <= 5, unpublished=not 1 <= rest <= 5)
            publication.equate([(*cell, "k"), (*cell, "rest")], [(*cell, "n")])
    for stratum in STRATA:
        for group in GROUPS:
            for measure in ("n", "k"):
                whole = [("group", stratum, group, measure)]
                for column in columns[1:]:
                    parts = [(column, stratum, group, v, measure) for v in _vocabulary(column)]
                    publication.equate(parts, whole)
    publication.protect()
    hidden = dict(zip(publication.cells, publication.hidden, strict=True))
    out = []
    for column in columns:
        pair = []
        for measure in ("n", "k"):
            mask = np.array([hidden[(*c, measure)] for c in cells[column]], dtype=bool)
            mask.setflags(write=False)  # cached: shared by every caller
            pair.append(mask)
        out.append((pair[0], pair[1]))
    return tuple(out)


def compare_strata(outcomes: pd.DataFrame | OutcomeCounts, suppress: bool = True) -> pd.DataFrame:
    """Compare how often radicalisation and other safeguarding referrals escalated, per stratum.

    One row per evidence profile (all of :data:`STRATA`, in order). Columns, for each group:
    ``n``, ``escalated``, ``rate`` and its Wilson 95% interval ``low``-``high``; then ``test``:
    ``tested`` (both groups have referrals), ``p`` (Fisher's exact test, two-sided),
    ``p_holm`` (Holm-adjusted across the strata tested), ``comparisons`` (how many were
    tested) and ``note``. Only referrals whose follow-up is complete count. With ``suppress``,
    counts are hidden as :func:`_hidden` decides, with the rates and p-values made from them.
    ``outcomes``: the rows of :func:`referral_outcomes`, or their :class:`OutcomeCounts`.
    """
    counts = outcome_counts(outcomes)
    n, k = _counts_of(counts, "group")
    hide = _hidden(counts, PUBLISHED_EQUITY[0])["group"] if suppress else None
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
    outcomes: pd.DataFrame | OutcomeCounts,
    by: str = "child_ethnicity",
    reference: str | None = None,
    suppress: bool = True,
) -> pd.DataFrame:
    """Give the relative rate index (RRI) of escalation per group of children, like with like.

    One row per referral group (radicalisation, other safeguarding), evidence profile and
    value of ``by`` with referrals: ``n``, ``escalated``, ``rate`` (Wilson interval
    ``low``-``high``), ``rri`` = the rate over the ``reference`` group's rate among referrals
    of the same referral group and profile (default :data:`REFERENCES`), its Katz log-method
    95% interval ``rri_low``-``rri_high`` (ln RRI +/- 1.96 sqrt(1/a - 1/n1 + 1/c - 1/n2); where
    every referral of a group escalated, 0.5 is first added to each cell of the 2x2 table), and
    a ``note``. With no escalations in the group or the reference, the RRI is not computed (the
    note says so).

    Referrals are never pooled across referral groups: radicalisation referrals are
    escalated at a different rate from other safeguarding referrals on the same evidence, and
    some groups of children are referred for radicalisation far more often, so a pooled index
    would partly measure which kind of referral a child's group receives (practice principle
    5 compares on comparable evidence). Only referrals whose follow-up is complete count. With
    ``suppress``, counts are hidden as :func:`_hidden` decides, and the rates and RRIs made from
    them are withheld, as are all RRIs of a referral group and profile whose reference is
    hidden. ``outcomes``: the rows of :func:`referral_outcomes`, or their :class:`OutcomeCounts`.
    """
    reference = _equity_column(by, reference)
    counts = outcome_counts(outcomes)
    values = _vocabulary(by)
    n3, k3 = _counts_of(counts, by)  # stratum x referral group x value
    n, k = n3.transpose(1, 0, 2), k3.transpose(1, 0, 2)  # referral group x stratum x value
    r, width = values.index(reference), len(values)
    rows = pd.MultiIndex.from_product(
        [GROUPS, STRATA, values], names=["referral group", "evidence profile", by]
    )
    a, n1 = k.ravel().astype(float), n.ravel().astype(float)
    c, n2 = np.repeat(k[..., r], width).astype(float), np.repeat(n[..., r], width)
    is_ref = np.tile(np.arange(width) == r, len(GROUPS) * len(STRATA))
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
            "no reference children in this group and stratum: RRI not computed",
            "no escalations in the reference group: RRI not computed",
            "no escalations in this group: RRI not computed",
            "every referral escalated in one group: interval with 0.5 added to each cell",
        ],
        "",
    ).astype(object)
    table = pd.DataFrame({"n": n.ravel(), "escalated": k.ravel()}, index=rows)
    hide_n = hide_k = None
    if suppress:
        hidden_n, hidden_k = _hidden(counts, by)[by]
        hide_n = hidden_n.transpose(1, 0, 2).ravel()
        hide_k = hidden_k.transpose(1, 0, 2).ravel()
    table = _shown(table, "escalated", "n", hide_k, hide_n)
    table["rri"], table["rri_low"], table["rri_high"], table["note"] = rri, rri_low, rri_high, note
    if hide_n is not None and hide_k is not None:
        own = hide_n | hide_k
        ref_hidden = np.repeat(own.reshape(-1, width)[:, r], width)
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
    start: object = None,
    end: object = None,
    **thresholds: object,
) -> pd.DataFrame:
    """Median wait from a step-down falling due to the step-down or closure, per group.

    ``due`` is the table ``casekit.analysis.proportionality.step_downs_due(cb, as_of,
    **thresholds)`` returns (made here when not given): one row per stretch that became due,
    with ``wait_days`` (missing while it still runs). One row per group: ``became_due``,
    ``ended``, ``still_running``, ``median_wait_days`` over the ended stretches and its
    bootstrap 95% interval ``low``-``high`` (``scipy.stats.bootstrap``, percentile method,
    ``n_resamples`` resamples seeded with ``seed`` over the waits in order of length, so the
    interval is reproducible whatever the order of the rows; none for fewer than 2 waits). The
    median leaves out stretches still running, so it understates the wait. With ``suppress``,
    counts from 1 to 5 show as ``c``, and one more count of the row where one alone would be
    worked out from the other two; a median of hidden waits is withheld. ``start`` and ``end``
    keep the stretches of referrals opened in that period.
    """
    _check_resamples(n_resamples)
    first, last = _period_only(start, end)
    if due is None:
        from casekit.analysis.proportionality import step_downs_due  # made by the flags part

        due = step_downs_due(cb, as_of=as_of, **thresholds)
    missing = {"case_id", "wait_days"} - set(due.columns)
    if missing:
        raise CasekitError(
            f"due: no column {', '.join(sorted(missing))}; pass the table "
            "casekit.analysis.proportionality.step_downs_due returns."
        )
    cases = _opened_in(cb.cases, first, last)
    group = due["case_id"].astype(object).map(case_types(cases, "case_id"))
    waits = pd.DataFrame({"group": group.to_numpy(), "wait_days": due["wait_days"].to_numpy()})
    return _waits_table(waits[group.notna().to_numpy()], suppress, n_resamples, seed)


def _period_only(start: object, end: object) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """Check a period's ``start`` and ``end`` (either may be missing)."""
    first = _day(start, "start") if start is not None else None
    last = _day(end, "end") if end is not None else None
    return first, last


def _opened_in(
    cases: pd.DataFrame, first: pd.Timestamp | None, last: pd.Timestamp | None
) -> pd.DataFrame:
    """Keep the cases (referrals) opened from ``first`` to ``last``."""
    keep = np.ones(len(cases), dtype=bool)
    opened = pd.to_datetime(cases["opened"])
    if first is not None:
        keep &= (opened >= first).fillna(False).to_numpy(bool)
    if last is not None:
        keep &= (opened <= last).fillna(False).to_numpy(bool)
    return cases[keep]


def engine_step_down_waits(
    source: Casebook | Tables,
    engine: Engine | str = DEFAULT_ENGINE,
    as_of: str | dt.date | pd.Timestamp | None = None,
    suppress: bool = True,
    n_resamples: int = 9999,
    seed: int = 14,
    start: object = None,
    end: object = None,
    **thresholds: object,
) -> pd.DataFrame:
    """Make :func:`step_down_waits`' table with the stretches found in an engine.

    Only each stretch's group and wait leave the engine (never a case id); the medians,
    intervals and suppression are then :func:`step_down_waits`' own.
    """
    from casekit.analysis.thresholds import check_thresholds, read_as_of

    _check_resamples(n_resamples)
    when, t = read_as_of(as_of), check_thresholds(thresholds)
    first, last = _period_only(start, end)
    stretches = relational.waits(_tables(source), when.date(), t, _date(first), _date(last))
    with _opened(engine) as open_engine:
        waits = open_engine.run(stretches)
    return _waits_table(waits, suppress, n_resamples, seed)


def _check_resamples(n_resamples: object) -> None:
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 100:
        raise CasekitError(f"n_resamples={n_resamples!r}: give a whole number of at least 100.")


def _waits_table(waits: pd.DataFrame, suppress: bool, n_resamples: int, seed: int) -> pd.DataFrame:
    """Summarise stretches' waits (``group``, ``wait_days``) per group, suppressed if asked."""
    group = waits["group"].astype(object).to_numpy()
    wait = pd.to_numeric(waits["wait_days"], errors="coerce")
    rows = []
    for name in GROUPS:
        chosen = wait[group == name]
        ended = np.sort(chosen.dropna().to_numpy(float))  # the interval whatever the rows' order
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
                "became_due": len(chosen),
                "ended": len(ended),
                "still_running": int(chosen.isna().sum()),
                "median_wait_days": float(np.median(ended)) if len(ended) else np.nan,
                "low": low,
                "high": high,
            }
        )
    table = pd.DataFrame(rows).set_index("group")
    if suppress:
        counts = ["became_due", "ended", "still_running"]
        hide = table[counts].apply(lambda column: column.isin(range(1, 6)))
        for name in table.index[hide.sum(axis=1) == 1]:  # became_due = ended + still_running
            others = table.loc[name, counts][~hide.loc[name] & (table.loc[name, counts] > 0)]
            if len(others):
                hide.loc[name, others.astype(int).idxmin()] = True
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


def _p_said(value: Any) -> str:
    """Give a p-value after "p" in a sentence: "= 0.042", "< 0.001" or "withheld".

    >>> _p_said(0.0421), _p_said(0.00001), _p_said(float("nan"))
    ('= 0.042', '< 0.001', 'withheld')
    """
    said = _p(value)
    return said if said.startswith("<") or said == "withheld" else f"= {said}"


def _day_text(value: object) -> str | None:
    """Give a date as YYYY-MM-DD (none for none)."""
    return None if value is None or value == "" else f"{pd.Timestamp(cast(Any, value)):%Y-%m-%d}"


def describe_outcomes(
    outcomes: pd.DataFrame | OutcomeCounts,
    days: int = OUTCOME_DAYS,
    suppress: bool = True,
    *,
    as_of: object = None,
    start: object = None,
    end: object = None,
    default_as_of: bool = False,
) -> str:
    """Say which referrals the comparisons count, as of when, and (unless ``suppress``) how many.

    ``as_of``, ``start`` and ``end`` are the period asked for (named when given). With
    ``suppress`` no total is given (with the strata tables it could reveal a hidden count) and
    the period is the one asked for, not the first and last referral dates in the data (each
    one child's). ``default_as_of`` says that ``as_of`` was not chosen (the notebook's
    default), so the reader is told to give the date of their data. ``outcomes``: the rows of
    :func:`referral_outcomes`, or their :class:`OutcomeCounts`.
    """
    counts = outcome_counts(outcomes)
    when, since, until = _day_text(as_of), _day_text(start), _day_text(end)
    known = when or "the as-of date"
    if default_as_of and when:
        known += (
            " (the notebook's default, the last day of casekit's synthetic data: for other data "
            "give as_of, the day the data was extracted)"
        )
    if counts.referrals == 0:
        asked = (f" from {since}" if since else "") + (f" to {until}" if until else "")
        return (
            f"No referrals to count: none in the data was opened{asked} on or before {known}. "
            "Only referrals opened by the as-of date are counted (later ones were not known "
            "then): check as_of, start and end against the dates in the data."
        )
    first, last = counts.first, counts.last
    if first is None or last is None:
        raise CasekitError(
            "outcomes: no column opened; pass the table referral_outcomes(cb) returns."
        )
    if suppress:
        period = (f"from {since}" if since else "from the start of the data") + (
            f" to {until}" if until else " to the as-of date"
        )
    else:
        period = f"from {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    text = (
        f"The unit is the referral (a case) opened {period}; its outcome is whether it "
        f"reached child in need or above within {days} days. The data is read as of {known}: "
        "only what had been recorded by then counts."
    )
    if suppress:
        return text + f" Referrals whose {days} days had not all passed by then are left out."
    return text + (
        f" {counts.complete:,} referrals counted; {counts.referrals - counts.complete:,} left out "
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
            verdict = f"p {_p_said(t['p'])}, Holm-adjusted {_p_said(t['p_holm'])}"
        lines.append(f"- {stratum}: " + "; ".join(parts) + f"; {verdict}.")
    lines.append(RESPONSE_NOT_RISK)
    lines.append(CAVEATS)
    return "\n".join(lines)


def describe_relative_rates(table: pd.DataFrame, by: str, reference: str | None = None) -> str:
    """Say in words what :func:`relative_rates` found, naming the reference group."""
    reference = _equity_column(by, reference)
    label = by.removeprefix("child_")
    lines = [
        f"Relative rate index of escalation by {label}, within each referral group "
        "(radicalisation, other safeguarding) and evidence profile, never pooled across them: "
        f"a group's escalation rate over that of the reference group, {label} {reference!r}, "
        "among referrals of the same kind with the same evidence (1 = the same rate), with "
        "Katz log-method 95% intervals. Pooled, the index would partly measure how often each "
        f"{label} is referred for radicalisation rather than for other safeguarding. Where a "
        "group or the reference had no escalations the index is not computed; small groups "
        "are withheld."
    ]
    for key, row in table.iterrows():
        group, stratum, value = cast(tuple[str, str, str], key)
        if value == reference:
            continue
        if pd.notna(row["rri_low"]):
            text = f"RRI {row['rri']:.2f} (95% CI {row['rri_low']:.2f} to {row['rri_high']:.2f})"
        elif pd.notna(row["rri"]):
            text = f"RRI {row['rri']:.2f} ({row['note']})"
        else:
            text = row["note"] or "RRI not computed"
        lines.append(
            f"- {group}, {stratum}, {value}: {row['escalated']} of {row['n']} escalated; {text}."
        )
    lines.append(RESPONSE_NOT_RISK)
    lines.append(CAVEATS)
    return "\n".join(lines)


def _all_or_none(table: pd.DataFrame, label: str) -> list[str]:
    """Name the rows of ``table`` where every referral, or none, escalated."""
    rows = []
    for key, row in table.astype(object).iterrows():
        n, k = row["n"], row["escalated"]
        # a shown 0 tells every child's outcome however small the hidden group ("0 of c");
        # a hidden count of escalations is never 0 or all, so that row tells nothing
        if k == SUPPRESSED or (n == SUPPRESSED and k != 0) or not n or k not in (0, n):
            continue
        where = ", ".join(map(str, key if isinstance(key, tuple) else (key,)))
        rows.append(f"{label}{where}: {k} of {n}")
    return rows


def describe_all_or_none(strata: pd.DataFrame, *equity: pd.DataFrame, shown: int = 6) -> str:
    """Name the shown rows where every referral, or none, escalated: they tell each child's outcome.

    Suppression hides small counts, not outcomes: "12 of 12 escalated" says what happened to
    every child in that row, and so in each of its breakdowns however they are hidden (group
    attribute disclosure). ``strata`` is :func:`compare_strata`'s table, ``equity`` any of
    :func:`relative_rates`'; the first ``shown`` rows are named, then how many in all.
    """
    rows = []
    for group in GROUPS:
        rows += _all_or_none(cast(pd.DataFrame, strata[group]), f"{group}, ")
    for table in equity:
        rows += _all_or_none(table, "")
    if not rows:
        return (
            "No row shows every referral escalated, or none: no row alone tells a child's outcome."
        )
    named = "; ".join(rows[:shown]) + (
        f"; and {len(rows) - shown} more" if len(rows) > shown else ""
    )
    return (
        "Where every referral escalated, or none did, a shown row tells the outcome of every "
        "child in it, and of any hidden breakdown of it, to anyone who knows a child is there "
        f"({len(rows)} such row{'s' if len(rows) != 1 else ''}: {named}). Before publishing, "
        "consider merging such rows or leaving them out."
    )


def describe_waits(table: pd.DataFrame) -> str:
    """Say in words what :func:`step_down_waits` found."""
    lines = [
        "Days from a step-down falling due (as the step_down_due flag defines it) to the "
        "step-down or closure: medians with bootstrap 95% intervals (percentile method). "
        "Stretches still running are left out of the median, so it understates the wait."
    ]
    for group, row in table.astype(object).iterrows():  # counts stay whole numbers
        median = row["median_wait_days"]
        if pd.isna(median) and row["ended"] == SUPPRESSED:
            text = "median withheld (small numbers)"
        elif pd.isna(median):
            text = "no median (none ended)"
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
    if period[0] is not None and period[2] is not None and period[0] > period[2]:
        raise CasekitError(
            f"parameters start and as_of: {start} is after {as_of}, so no referral of the "
            "period was known by the as-of date; give an as_of on or after start."
        )
    return period[0], period[1], period[2]


def published_table(
    cb: Casebook,
    year_ending: str = "2024-03",
    suppress: bool = True,
    start: object = None,
    end: object = None,
    as_of: object = None,
) -> pd.DataFrame:
    """Reproduce the published Prevent table from the data, beside the published figures.

    Referral-source and ideology shares of the radicalisation referrals (opened from
    ``start`` to ``end``, and by ``as_of`` when given, as the other tables count them), per
    cent, whole numbers; missing when the data holds none. With ``suppress``, a share whose
    count, or the count of the other referrals, is 1 to 5 is withheld (the share and the total
    would give the count), and ``note`` says so.
    """
    first, last = _period_only(start, end)
    if as_of is not None:
        known = _day(as_of, "as_of")
        last = known if last is None else min(last, known)
    cases = _opened_in(cb.cases, first, last)
    cases = cases[(case_types(cases) == GROUP_RADICALISATION).to_numpy()]
    counts = pd.concat(
        [
            cases[column]
            .astype(object)
            .value_counts(dropna=False)
            .rename_axis("value")
            .reset_index(name="n")
            .assign(measure=column)
            for column in relational.PUBLISHED
        ]
    )
    return _published(counts, year_ending, suppress)


def engine_published_table(
    source: Casebook | Tables,
    engine: Engine | str = DEFAULT_ENGINE,
    year_ending: str = "2024-03",
    suppress: bool = True,
    start: object = None,
    end: object = None,
    as_of: object = None,
) -> pd.DataFrame:
    """Make :func:`published_table` with the radicalisation referrals counted in an engine."""
    first, last = _period_only(start, end)
    if as_of is not None:
        known = _day(as_of, "as_of")
        last = known if last is None else min(last, known)
    counted = relational.radical_counts(_tables(source), _date(first), _date(last))
    with _opened(engine) as open_engine:
        counts = open_engine.run(counted)
    return _published(counts, year_ending, suppress)


def _published(counts: pd.DataFrame, year_ending: str, suppress: bool) -> pd.DataFrame:
    """Set the shares of ``counts`` (``measure``, ``value``, ``n``) beside the published ones."""
    stats_ = prevent_statistics()
    stats_ = stats_[
        (stats_["year_ending"] == year_ending)
        & stats_["measure"].isin(["referral_source", "ideology"])
    ]
    small = range(1, 6)
    rows = []
    for _, row in stats_.iterrows():
        column = "referral_source" if row["measure"] == "referral_source" else "ideology"
        mine = counts[counts["measure"] == column]
        total = int(mine["n"].sum())
        n = int(mine.loc[(mine["value"].astype(object) == row["group"]).to_numpy(), "n"].sum())
        share = round(100 * n / total) if total else pd.NA
        published = int(row["share_percent"])
        note = ""
        if suppress and (n in small or total - n in small):
            share, note = pd.NA, "small numbers: withheld"
        rows.append(
            {
                "measure": row["measure"],
                "group": row["group"],
                "this data %": share,
                "published %": published,
                "difference": pd.NA if share is pd.NA else share - published,
                "note": note,
            }
        )
    return pd.DataFrame(rows)
