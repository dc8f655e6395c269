"""Each decision's evidence profile, as a relational expression (research and the reviews).

:func:`decision_profiles` is :func:`casekit.analysis.research.decision_profiles` written once in
Ibis: one row per decision with its rung (:func:`~casekit.analysis.relational.known.escalations`),
whether it ``escalates`` (raises the response to child in need or above), its ``profile``
(whether what it rests on includes behaviour or harm) and ``stratum`` (the strongest of
:data:`~casekit.policy.EVIDENCE_STRATA` among what it rests on), its case's group, team and
equity columns. "Rests on" is the flags' (:func:`~casekit.analysis.relational.known.rests_on`),
over every record: no as-of date.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd

from casekit.analysis.relational.known import Known, escalations, rests_on
from casekit.contract import CONCERN_CATEGORIES, RUNG
from casekit.errors import CasekitError
from casekit.policy import (
    EQUITY_COLUMNS,
    EVIDENCE_STRATA,
    GROUP_BAU,
    GROUP_RADICALISATION,
    STRATA,
    STRONG,
    WEAK,
)

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from casekit.engine.backends import Engine
    from casekit.engine.tables import Tables

__all__ = ["PROFILE_COLUMNS", "decision_profiles", "run_decision_profiles"]

PROFILE_COLUMNS = (
    "decision_id",
    "case_id",
    "date",
    "response",
    "lead_agency",
    "family_engaged",
    "rationale",
    "decided_by",
    "channel",
    "rung",
    "previous",
    "raises",
    "lowers",
    "profile",
    "stratum",
    "escalates",
    "group",
    "team_id",
    *EQUITY_COLUMNS,
)
"""The columns of :func:`decision_profiles`: the pandas ones but ``evidence_ids`` (a list)."""

_NONE = len(STRATA) - 1
_RANK = {
    category: i for i, (_, categories) in enumerate(EVIDENCE_STRATA) for category in categories
}


def _everything(tables: Tables) -> Known:
    """Give every record as known: no as-of date, so nothing is left out."""
    import ibis

    return Known(
        as_of=dt.date.max,
        day=ibis.literal(dt.date.max, type="date"),
        cases=tables.cases,
        events=tables.events,
        all_events=tables.events,
        decisions=escalations(tables.decisions),
        judgements=tables.judgements,
        plan_actions=tables.plan_actions,
        info_sharing=tables.info_sharing,
        tables=tables,
    )


def decision_profiles(tables: Tables) -> ir.Table:
    """Build one row per decision: its rung, evidence profile and stratum, and its case's group.

    Columns :data:`PROFILE_COLUMNS`. ``group`` needs the tables' ``case_concerns``; a decision
    whose case is not among the cases has no group, team or equity values (as in pandas).
    """
    import ibis

    if tables.case_concerns is None:
        raise CasekitError(
            "decision profiles need the cases' concern_flags as the link table case_concerns "
            "(case_id, concern, pos): build the tables with casekit.engine.tables."
        )
    k = _everything(tables)
    d = k.decisions
    pairs = rests_on(k, d)
    rank = pairs.category.substitute(_RANK, else_=ibis.null("int64")).cast("int64")
    best = pairs.group_by(_d=pairs.decision_id).aggregate(
        _strong=ibis.ifelse(pairs.category.isin(CONCERN_CATEGORIES), 1, 0).max(),
        _rank=rank.min(),
    )
    concerns = tables.case_concerns
    radical = concerns.filter(concerns.concern == GROUP_RADICALISATION)
    radical = radical.select(_radical=radical.case_id).distinct()
    cases = tables.cases.select(
        _case=tables.cases.case_id,
        _team=tables.cases.team_id,
        **{f"_{c}": tables.cases[c] for c in EQUITY_COLUMNS},
    )
    cases = cases.left_join(radical, cases._case == radical._radical)
    cases = cases.mutate(
        _group=ibis.ifelse(cases._radical.notnull(), GROUP_RADICALISATION, GROUP_BAU)
    )
    out = d.left_join(best, d.decision_id == best._d)
    out = out.left_join(cases, out.case_id == cases._case)
    stratum = out._rank.fill_null(_NONE).substitute(dict(enumerate(STRATA)), else_=STRATA[-1])
    return out.select(
        *PROFILE_COLUMNS[:13],
        profile=ibis.ifelse(out._strong.fill_null(0) == 1, STRONG, WEAK),
        stratum=stratum,
        escalates=out.raises & (out.rung >= RUNG["child_in_need"]),
        group=out._group,
        team_id=out._team,
        **{c: out[f"_{c}"] for c in EQUITY_COLUMNS},
    )


def run_decision_profiles(engine: Engine, tables: Tables) -> pd.DataFrame:
    """Run :func:`decision_profiles` on ``engine``; give the rows as the pandas function does.

    Sorted by case, date and decision; ``stratum`` an ordered Categorical of
    :data:`~casekit.policy.STRATA`; ``date`` a ``datetime64``.
    """
    out = engine.run(decision_profiles(tables))[list(PROFILE_COLUMNS)]
    out = out.sort_values(["case_id", "date", "decision_id"], kind="stable")
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
    out["stratum"] = pd.Categorical(out["stratum"], categories=pd.Index(STRATA), ordered=True)
    return out.reset_index(drop=True)
