"""What was known at the as-of date, and the social-care rung each decision leaves in place.

The relational form of the flags' terms (practice.md): only what had happened, and been
recorded, by the as-of date counts; the rung ladder, with Channel support beside it; "raises"
and "lowers"; whether a decision's rung is still current; and what a decision "rests on".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from casekit.contract import BELIEF_CATEGORIES, CHANNEL, CONCERN_CATEGORIES, RESPONSE_LADDER, RUNG

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from casekit.engine.tables import Tables

__all__ = ["Known", "escalations", "known", "rests_on", "rung_name", "team_status"]


@dataclass(frozen=True)
class Known:
    """The tables as known at the as-of date, with the decisions' rungs worked out.

    ``day`` is the as-of date as an engine value, which every part compares with: a literal of
    ``as_of``, or a date parameter that the compiled SQL takes when it runs (``as_of`` is then
    ``None``, and the working-day calendar must be a table: :func:`named_tables` with
    ``calendar``), so one compiled text serves every as-of date.
    ``cases`` are those opened by then, with ``closed`` missing when it came later and
    ``is_open``; ``events`` those dated and recorded by then (``all_events``: every event);
    the others those dated (plan actions: created) by then. ``decisions`` carry the columns of
    :func:`escalations` and ``current``.
    """

    as_of: dt.date | None
    day: ir.DateValue
    cases: ir.Table
    events: ir.Table
    all_events: ir.Table
    decisions: ir.Table
    judgements: ir.Table
    plan_actions: ir.Table
    info_sharing: ir.Table
    tables: Tables

    def calendar(self) -> ir.Table:
        """Give the working-day calendar up to the as-of date (:meth:`Tables.calendar`)."""
        return self.tables.calendar(self.day if self.as_of is None else self.as_of)


def escalations(decisions: ir.Table) -> ir.Table:
    """Add each decision's social-care ``rung`` and whether it ``raises`` or ``lowers`` it.

    ``channel``: a Channel decision (support beside social care, not a rung); ``rung``: the
    case's rung from this decision on (a Channel decision keeps the rung before it);
    ``previous``: the rung before it (``no_further_action``, 0, before the first); ``raises``
    and ``lowers`` (never a Channel decision); ``current``: no later decision of the case has
    raised or lowered the rung. Decisions are ordered by date, then id, within each case.
    """
    import ibis

    order = [decisions.date, decisions.decision_id]
    by_case = ibis.window(group_by=decisions.case_id, order_by=order)
    upto = ibis.window(group_by=decisions.case_id, order_by=order, rows=(None, 0))
    own = decisions.response.substitute(dict(RUNG), else_=ibis.null("int64")).cast("int64")
    d = decisions.mutate(channel=decisions.response == CHANNEL, _own=own)
    d = d.mutate(_stretch=d._own.count().over(upto))
    d = d.mutate(rung=d._own.max().over(ibis.window(group_by=[d.case_id, d._stretch])).fill_null(0))
    d = d.mutate(previous=d.rung.lag().over(by_case).fill_null(0))
    d = d.mutate(
        raises=~d.channel & (d.rung > d.previous), lowers=~d.channel & (d.rung < d.previous)
    )
    change = ibis.ifelse(d.raises | d.lowers, 1, 0)  # PostgreSQL casts no boolean to bigint
    later = change.sum().over(ibis.window(group_by=d.case_id)) - change.sum().over(
        ibis.window(group_by=d.case_id, order_by=[d.date, d.decision_id], rows=(None, 0))
    )
    return d.mutate(current=later == 0).drop("_own", "_stretch")


def rung_name(rung: ir.IntegerValue) -> ir.StringValue:
    """Give a rung's response name (``0`` -> ``no_further_action``)."""
    import ibis

    return rung.substitute(dict(enumerate(RESPONSE_LADDER)), else_=ibis.null("string"))


def known(tables: Tables, as_of: dt.date | ir.DateValue) -> Known:
    """Keep what had happened, and been recorded, by ``as_of``.

    ``as_of`` is a date, or a date value of the engine (``ibis.param("date")``: the as-of date
    left a parameter of the compiled SQL, see :class:`Known`).
    """
    import ibis

    if isinstance(as_of, dt.date):
        when: dt.date | None = as_of
        day = ibis.literal(as_of, type="date")
    else:
        when, day = None, as_of
    c = tables.cases.filter(tables.cases.opened <= day)
    c = c.mutate(closed=ibis.ifelse(c.closed > day, ibis.null("date"), c.closed))
    c = c.mutate(is_open=c.closed.isnull())
    e = tables.events
    return Known(
        as_of=when,
        day=day,
        cases=c,
        events=e.filter((e.date <= day) & (e.recorded_on <= day)),
        all_events=e,
        decisions=escalations(tables.decisions.filter(tables.decisions.date <= day)),
        judgements=tables.judgements.filter(tables.judgements.date <= day),
        plan_actions=tables.plan_actions.filter(tables.plan_actions.created <= day),
        info_sharing=tables.info_sharing.filter(tables.info_sharing.date <= day),
        tables=tables,
    )


def team_status(k: Known, rows: ir.Table, still: ir.BooleanValue | None = None) -> ir.Table:
    """Add each row's case ``team_id`` and ``status``: open while its case is open and ``still``.

    ``still`` is a boolean column of ``rows`` (the flag's own condition for ``open``); a row
    whose case is not a known case is ``past``.
    """
    import ibis

    cases = k.cases.select(_case=k.cases.case_id, _team=k.cases.team_id, _open=k.cases.is_open)
    joined = rows.left_join(cases, rows.case_id == cases._case)
    is_open = joined._open.fill_null(False)
    if still is not None:
        is_open = is_open & joined[still.get_name()].fill_null(False)
    return joined.mutate(team_id=joined._team, status=ibis.ifelse(is_open, "open", "past")).drop(
        "_case", "_team", "_open"
    )


def rests_on(k: Known, raising: ir.Table) -> ir.Table:
    """Pair each decision with the events it rests on: one row per pair.

    A decision rests on its ``evidence_ids`` (the events named that are known at the as-of
    date, in the order cited: ``pos``) or, when it cites none, every known event of its case
    recorded on or before its date (ordered by date, recording, id: ``pos`` missing). Rows:
    ``decision_id``, ``event_id``, ``pos``, ``category``, ``restricted``, ``evidence``,
    ``recorded_on``, ``date``, ``summary``, ``concern``, ``belief``.
    """
    import ibis

    ev = k.events.select(
        "event_id",
        "case_id",
        "category",
        "restricted",
        "evidence",
        "recorded_on",
        e_date=k.events.date,
        summary=k.events.summary,
    )
    links = k.tables.decision_evidence
    ids = raising.select("decision_id", "case_id", "date")
    cited_ids = links.semi_join(ids, "decision_id").select("decision_id", "event_id", "pos")
    cited = cited_ids.join(ev, "event_id").drop("case_id")
    bare = ids.anti_join(links, "decision_id")
    every = bare.join(ev, "case_id")
    every = every.filter(every.recorded_on <= every.date)
    every = every.select(
        "decision_id",
        "event_id",
        pos=ibis.null("int64"),
        category=every.category,
        restricted=every.restricted,
        evidence=every.evidence,
        recorded_on=every.recorded_on,
        e_date=every.e_date,
        summary=every.summary,
    )
    pairs = cited.select(*every.columns).union(every)
    return pairs.mutate(
        concern=pairs.category.isin(CONCERN_CATEGORIES),
        belief=pairs.category.isin(BELIEF_CATEGORIES),
    )
