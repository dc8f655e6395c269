"""Research's referrals and their counts as relational expressions, run by any casekit engine.

:func:`referral_outcomes` is :func:`casekit.analysis.research.referral_outcomes` written once
in Ibis: one row per referral (case) with its group, whether it escalated within the days, the
point its evidence is read at, its evidence profile and the equity columns. :func:`outcome_counts`
aggregates those rows in the engine, so only a small table of counts leaves it: referrals and
escalations per evidence profile, group, equity values and completeness, with the first and
last referral dates. The statistics (rates, intervals, tests, suppression) are then the pandas
path's, on those counts.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from casekit.analysis.relational.known import escalations, known
from casekit.analysis.relational.step_down import due_stretches
from casekit.contract import RUNG
from casekit.errors import CasekitError
from casekit.policy import (
    EQUITY_COLUMNS,
    EQUITY_MISSING,
    EVIDENCE_STRATA,
    GROUP_BAU,
    GROUP_RADICALISATION,
    STRATA,
)

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from casekit.engine.tables import Tables

__all__ = [
    "COUNTED",
    "PUBLISHED",
    "case_groups",
    "outcome_counts",
    "radical_counts",
    "referral_outcomes",
    "waits",
]

PUBLISHED = ("referral_source", "ideology")
"""The case columns the published Prevent statistics give shares of (:func:`radical_counts`)."""

COUNTED = ("group", *EQUITY_COLUMNS)
"""The columns whose values :func:`outcome_counts` counts referrals by, within each profile."""

_NONE = len(STRATA) - 1
_RANK = {
    category: i for i, (_, categories) in enumerate(EVIDENCE_STRATA) for category in categories
}


def _case_groups(tables: Tables) -> ir.Table:
    """Give each radicalisation case's id once (``concern_flags`` holds ``radicalisation``)."""
    if tables.case_concerns is None:
        raise CasekitError(
            "research needs the cases' concern_flags as the link table case_concerns "
            "(case_id, concern, pos): build the tables with casekit.engine.tables."
        )
    concerns = tables.case_concerns
    radical = concerns.filter(concerns.concern == GROUP_RADICALISATION)
    return radical.select(_radical=radical.case_id).distinct()


def _in_period(cases: ir.Table, start: dt.date | None, end: dt.date | None) -> ir.Table:
    """Keep the cases (referrals) opened from ``start`` to ``end`` (either may be open)."""
    import ibis

    if start is not None:
        cases = cases.filter(cases.opened >= ibis.literal(start, type="date"))
    if end is not None:
        cases = cases.filter(cases.opened <= ibis.literal(end, type="date"))
    return cases


def case_groups(
    tables: Tables, start: dt.date | None = None, end: dt.date | None = None
) -> ir.Table:
    """Give each case opened in the period its group: ``case_id`` and ``group``."""
    import ibis

    cases, radical = _in_period(tables.cases, start, end), _case_groups(tables)
    joined = cases.left_join(radical, cases.case_id == radical._radical)
    group = ibis.ifelse(joined._radical.notnull(), GROUP_RADICALISATION, GROUP_BAU)
    return joined.select(_group_case=joined.case_id, group=group)


def waits(
    tables: Tables,
    as_of: dt.date,
    t: dict[str, Any],
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> ir.Table:
    """Give each stretch in which a step-down became due its case's group and its wait.

    The stretches are those of ``step_downs_due`` (as known at ``as_of``, with every threshold
    in ``t``) of the referrals opened from ``start`` to ``end``; only ``group`` and
    ``wait_days`` (missing while the stretch runs) leave the engine, never a case id.
    """
    due = due_stretches(known(tables, as_of), t)
    groups = case_groups(tables, start, end)
    due = due.join(groups, due.case_id == groups._group_case)
    return due.select("group", "wait_days")


def radical_counts(
    tables: Tables, start: dt.date | None = None, end: dt.date | None = None
) -> ir.Table:
    """Count the radicalisation referrals opened in the period by each published column.

    Columns ``measure`` (one of :data:`PUBLISHED`), ``value`` (missing where the case has
    none) and ``n`` (cases with that value): each measure's ``n`` add up to the radicalisation
    cases.
    """
    import ibis

    groups = case_groups(tables, start, end)
    cases = tables.cases.join(groups, tables.cases.case_id == groups._group_case)
    cases = cases.filter(cases.group == GROUP_RADICALISATION)
    parts = [
        cases.group_by(value=cases[column].cast("string"))
        .aggregate(n=cases.count())
        .mutate(measure=ibis.literal(column))
        for column in PUBLISHED
    ]
    return ibis.union(*parts, distinct=False).select("measure", "value", "n")


def referral_outcomes(
    tables: Tables,
    days: int,
    as_of: dt.date,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> ir.Table:
    """Build one row per referral opened by ``as_of`` (and from ``start`` to ``end``).

    Columns as the pandas ``referral_outcomes``: ``case_id``, ``team_id``, ``group``,
    ``opened``, ``reached`` (the first decision dated from ``opened`` to ``opened + days``
    leaving the social-care rung at child in need or above), ``escalated``, ``point``
    (``reached``, else ``opened + days``), ``profile`` (the strongest stratum among the case's
    events dated and recorded, or dated when the recording date is missing, by ``point``),
    ``complete`` (``opened + days`` is not after ``as_of``) and the equity columns (a missing
    value as its group in :data:`~casekit.policy.EQUITY_MISSING`). Decisions count whatever
    their date, as in the pandas definition: for a complete referral all of its window is on
    or before ``as_of``.
    """
    import ibis

    cases = _in_period(tables.cases, start, end)
    when = ibis.literal(as_of, type="date")
    cases = cases.filter(cases.opened <= when)
    cases = cases.mutate(_limit=cases.opened + ibis.interval(days=days))

    d = escalations(tables.decisions)
    window = cases.select(_case=cases.case_id, _opened=cases.opened, _until=cases._limit)
    d = d.join(window, d.case_id == window._case)
    up = d.filter((d.rung >= RUNG["child_in_need"]) & (d.date >= d._opened) & (d.date <= d._until))
    first = up.group_by(_up_case=up.case_id).aggregate(reached=up.date.min())

    groups = case_groups(tables)
    cases = cases.left_join(first, cases.case_id == first._up_case).drop("_up_case")
    cases = cases.join(groups, cases.case_id == groups._group_case).drop("_group_case")
    escalated = cases.reached.notnull()
    cases = cases.mutate(
        escalated=escalated,
        point=ibis.ifelse(escalated, cases.reached, cases._limit),
    )

    e = tables.events
    strength = e.category.cast("string").substitute(_RANK, else_=_NONE).cast("int64")
    e = e.select(
        _event_case=e.case_id,
        _date=e.date,
        _recorded=e.recorded_on.fill_null(e.date),
        _strength=strength,
    )
    points = cases.select(_point_case=cases.case_id, _point=cases.point)
    e = e.join(points, e._event_case == points._point_case)
    e = e.filter((e._date <= e._point) & (e._recorded <= e._point) & (e._strength < _NONE))
    best = e.group_by(_best_case=e._event_case).aggregate(_best=e._strength.min())
    cases = cases.left_join(best, cases.case_id == best._best_case)
    profile = cases._best.fill_null(_NONE).substitute(dict(enumerate(STRATA)), else_=STRATA[-1])
    return cases.select(
        "case_id",
        "team_id",
        "group",
        "opened",
        "reached",
        "escalated",
        "point",
        profile=profile,
        complete=cases._limit <= when,
        **{column: cases[column].fill_null(EQUITY_MISSING[column]) for column in EQUITY_COLUMNS},
    )


def outcome_counts(outcomes: ir.Table) -> ir.Table:
    """Count the referrals of :func:`referral_outcomes` in the engine: a small table.

    One pass: the referrals grouped by ``profile``, ``group``, each equity column and
    ``complete``, with ``n`` (referrals), ``escalated`` (of them), ``first`` and ``last``
    (their opened dates). At most a few thousand rows whatever the number of referrals; each
    table's counts are sums of them (:data:`COUNTED`).
    """
    import ibis

    keys = ("profile", *COUNTED, "complete")
    return outcomes.group_by(*keys).aggregate(
        n=outcomes.count(),
        escalated=ibis.ifelse(outcomes.escalated, 1, 0).sum(),
        first=outcomes.opened.min(),
        last=outcomes.opened.max(),
    )
