"""The decision flags that weigh what a decision rests on (practice.md).

``escalation_on_belief_or_views`` (a raise to the escalation rung or above resting on a belief
or views event and no concern event), ``statutory_step_without_concern`` (a raise to the
statutory rung or above resting on neither) and ``rests_on_restricted_intelligence`` (every
concern event a raise rests on is restricted or intelligence). Reasons name the events:
cited ones in the order cited, the rest of an uncited decision's case by date, recording and
id. Each is ``open`` while its case is open and the decision's rung is still current.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from casekit.analysis.relational.decisions import decision_rows, raised_by
from casekit.analysis.relational.known import Known, rests_on
from casekit.contract import RUNG
from casekit.engine.text import cat, day, join_first, quote, words

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["RAISES", "evidence_flags", "event_label", "weighed"]

RAISES = (
    "escalation_on_belief_or_views",
    "statutory_step_without_concern",
    "rests_on_restricted_intelligence",
)
"""The flags this module raises."""

_NOT_CONCERN = "; none of these is influence or grooming, extremist behaviour or harm."
_NEITHER = (
    "; none of these is a concern event (influence or grooming, extremist behaviour or harm) "
    "or a belief or views event."
)
_CITED_NOTHING_KNOWN = "citing evidence_ids that name no event recorded by then."
_NOTHING_RECORDED = "citing no evidence, and no event of the case was recorded by then."
_HIDDEN = "; every concern event it rests on is restricted or intelligence: "
_HIDDEN_END = " (restricted = true, or evidence = intelligence)."


def event_label(rows: ir.Table) -> ir.StringValue:
    """Label an event as the record has it: ``E1 (views expressed) on 2024-01-10: "..."``.

    ``rows`` has ``event_id``, ``category``, ``e_date`` (the event's date) and ``summary``, as
    :func:`~casekit.analysis.relational.known.rests_on` gives them.
    """
    return cat(
        rows.event_id,
        " (",
        words(rows.category),
        ") on ",
        day(rows.e_date),
        ": ",
        quote(rows.summary),
    )


def _named(pairs: ir.Table) -> ir.Table:
    """Join each decision's events' labels (``decision_id``, ``named``) in the order they rest.

    Cited events come in the order cited (``pos``); an uncited decision's (``pos`` missing)
    by date, recording and id.
    """
    labelled = pairs.mutate(_label=event_label(pairs))
    order = [labelled.pos, labelled.e_date, labelled.recorded_on, labelled.event_id]
    return join_first(labelled, "decision_id", "_label", order, name="named")


def weighed(k: Known, raising: ir.Table, pairs: ir.Table) -> ir.Table:
    """Give each raising decision with what it rests on counted.

    ``pairs`` are the decisions' :func:`~casekit.analysis.relational.known.rests_on` pairs.
    Adds ``cited`` (it lists evidence ids), ``n_concern``, ``n_belief`` and ``n_hidden`` (the
    concern events that are restricted or intelligence), counted over the pairs (an id cited
    twice counts twice).
    """
    import ibis

    hidden = pairs.restricted.fill_null(False) | (pairs.evidence == "intelligence").fill_null(False)

    def count(rows: ir.BooleanValue) -> ir.IntegerScalar:
        return ibis.ifelse(rows, 1, 0).sum()  # PostgreSQL casts no boolean to bigint

    counts = pairs.group_by(_d=pairs.decision_id).aggregate(
        n_concern=count(pairs.concern),
        n_belief=count(pairs.belief),
        n_hidden=count(pairs.concern & hidden),
    )
    links = k.tables.decision_evidence
    listed = links.select(_l=links.decision_id).distinct()
    joined = raising.left_join(counts, raising.decision_id == counts._d)
    joined = joined.left_join(listed, joined.decision_id == listed._l)
    return joined.mutate(
        cited=joined._l.notnull(),
        n_concern=joined.n_concern.fill_null(0),
        n_belief=joined.n_belief.fill_null(0),
        n_hidden=joined.n_hidden.fill_null(0),
    ).drop("_d", "_l")


def _with_named(rows: ir.Table, named: ir.Table) -> ir.Table:
    """Add each row's ``named`` events (missing when it rests on none)."""
    other = named.rename(_n="decision_id")
    return rows.left_join(other, rows.decision_id == other._n).drop("_n")


def evidence_flags(k: Known, t: dict[str, Any]) -> list[ir.Table]:
    """Raise the decision flags that weigh what each raising decision rests on."""
    import ibis

    d = k.decisions
    raising = d.filter(d.raises)
    pairs = rests_on(k, raising)
    r = weighed(k, raising, pairs)
    min_rung, statutory = RUNG[t["escalation_rung"]], RUNG[t["statutory_rung"]]
    no_concern = r.n_concern == 0
    on_belief = r.filter((r.rung >= min_rung) & no_concern & (r.n_belief > 0))
    on_context = r.filter((r.rung >= statutory) & no_concern & (r.n_belief == 0))
    hidden = r.filter((r.n_concern > 0) & (r.n_hidden == r.n_concern))

    # name the events only for the decisions a reason needs them for (a few, not all)
    wanted = ibis.union(on_belief.select("decision_id"), on_context.select("decision_id"))
    named = _named(pairs.semi_join(wanted, "decision_id"))
    named_concern = _named(pairs.filter(pairs.concern).semi_join(hidden, "decision_id"))

    def basis(rows: ir.Table) -> ir.StringValue:
        return ibis.ifelse(
            rows.cited,
            ", resting on ",
            ", citing no evidence, so resting on everything recorded by then: ",
        )

    belief = _with_named(on_belief, named)
    out = [
        decision_rows(
            k,
            belief,
            "escalation_on_belief_or_views",
            raised_by(belief, basis(belief), belief.named, _NOT_CONCERN),
        )
    ]
    context = _with_named(on_context, named)
    rested = context.named.notnull()
    lead = ibis.ifelse(rested, basis(context), ", ")
    ending = ibis.ifelse(
        rested,
        _NEITHER,
        ibis.ifelse(context.cited, _CITED_NOTHING_KNOWN, _NOTHING_RECORDED),
    )
    out.append(
        decision_rows(
            k,
            context,
            "statutory_step_without_concern",
            raised_by(context, lead, context.named, ending),
        )
    )
    restricted = _with_named(hidden, named_concern)
    out.append(
        decision_rows(
            k,
            restricted,
            "rests_on_restricted_intelligence",
            raised_by(restricted, _HIDDEN, restricted.named, _HIDDEN_END),
        )
    )
    return out
