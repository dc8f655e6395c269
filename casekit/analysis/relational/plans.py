"""The plan flag: ``plan_not_linked`` (practice.md).

A plan action that names no evidence (no ``evidence_ids``), or whose cited events are all
``agency_action`` events (a plan answers worries and builds on strengths, not on what agencies
did). The cited ids are looked up among ALL events, not only those known at the as-of date: the
plan's own record says the events exist, and only an agency action is held against it (an id
found nowhere is not one). It is ``open`` while the action is not completed and the case open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from casekit.analysis.relational.decisions import flag_rows
from casekit.analysis.relational.known import Known, team_status
from casekit.engine.text import cat, day, join_first, quote

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["RAISES", "plan_flags"]

RAISES = ("plan_not_linked",)
"""The flags this module raises."""
AGENCY = "agency_action"


def _agency_only(k: Known) -> tuple[ir.Table, ir.Table]:
    """Give the known actions citing only agency actions, and those events' labels in order.

    Inner joins on unique ids stand for semi joins here: Ibis 12 writes a semi join followed
    by another join as ``LEFT SEMI JOIN``, which PostgreSQL does not know.

    Returns the actions (``action_id``) and the table of ``action_id``, ``named`` (the cited
    events labelled ``E1 (agency action) on 2024-01-12: "..."``, joined in the order cited).
    """
    ev = k.all_events.filter(k.all_events.category == AGENCY)
    agency = ev.select(_event=ev.event_id, _e_date=ev.date, _summary=ev.summary)
    ids = k.plan_actions.select("action_id")
    cited = k.tables.plan_evidence.join(ids, "action_id")  # ids are unique: a semi join
    pairs = cited.left_join(agency, cited.event_id == agency._event)
    per_action = pairs.group_by("action_id").aggregate(
        _cited=pairs.count(), _agency=pairs._event.count()
    )
    only = per_action.filter(per_action._cited == per_action._agency).select("action_id")
    shown = pairs.join(only, "action_id")
    shown = shown.mutate(
        _label=cat(
            shown.event_id,
            " (agency action) on ",
            day(shown._e_date),
            ": ",
            quote(shown._summary),
        )
    )
    return only, join_first(shown, "action_id", "_label", [shown.pos])


def plan_flags(k: Known, t: dict[str, Any]) -> list[ir.Table]:
    """Raise ``plan_not_linked`` on the known plan actions with no evidence but agencies' acts."""
    p = k.plan_actions

    def what(rows: ir.Table, *rest: ir.Value | str) -> ir.StringValue:
        return cat(
            "Plan action ",
            rows.action_id,
            " (",
            quote(rows.description),
            ", created ",
            day(rows.created),
            ")",
            *rest,
        )

    bare = p.anti_join(k.tables.plan_evidence, "action_id")
    bare = bare.mutate(_reason=what(bare, " names no evidence it answers."))
    only, named = _agency_only(k)
    agency_only = p.join(only, "action_id")
    named = named.rename(_action="action_id")
    agency_only = agency_only.left_join(named, agency_only.action_id == named._action)
    agency_only = agency_only.drop("_action").mutate(
        _reason=what(
            agency_only,
            " cites only what agencies did: ",
            agency_only.named,
            ". A plan answers worries and builds on strengths.",
        )
    )
    columns = ["case_id", "action_id", "created", "completed", "_reason"]
    found = bare.select(*columns).union(agency_only.select(*columns))
    as_of = k.day
    running = found.completed.isnull() | (found.completed > as_of)
    out = flag_rows(
        found, "plan_not_linked", "action_id", found._reason, found.created, still=running
    )
    return [team_status(k, out, out.still).drop("still")]
