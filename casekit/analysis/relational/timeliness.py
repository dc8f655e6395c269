"""The timeliness flag: ``late_assessment`` (practice.md), in working days.

The first ``assessment`` event of a case comes more than ``assessment_working_days`` working
days after ``opened``, or there is none and the limit has passed while the case was open. The
flag is dated on the first day past the limit, and is ``open`` while the case is open and still
has no assessment. Working days come from the tables' calendar (:meth:`Tables.calendar`):
``n`` numbers them, so the count and the limit are equality joins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from casekit.analysis.relational.decisions import flag_rows
from casekit.analysis.relational.known import Known, team_status
from casekit.engine.text import cat, day

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["RAISES", "first_assessments", "late_assessment"]

RAISES = ("late_assessment",)
"""The flags this module raises."""


def first_assessments(k: Known) -> ir.Table:
    """Give each case's first known ``assessment`` event: ``case_id``, ``assessed``, ``assessment``.

    The first is the earliest by date; on a tie, the one recorded first, then the lower id.
    """
    import ibis

    ev = k.events.filter(k.events.kind == "assessment")
    order = [ev.date, ev.recorded_on, ev.event_id]
    ev = ev.mutate(_n=ibis.row_number().over(group_by=ev.case_id, order_by=order))
    first = ev.filter(ev._n == 0)
    return first.select("case_id", assessed=first.date, assessment=first.event_id)


def late_assessment(k: Known, t: dict[str, Any]) -> list[ir.Table]:
    """Raise ``late_assessment`` on every known case assessed late, or not yet and overdue."""
    import ibis

    limit = int(t["assessment_working_days"])
    as_of = k.day
    calendar = k.calendar()
    first = first_assessments(k).rename(_case="case_id")
    c = k.cases.select("case_id", "opened", "closed")
    c = c.left_join(first, c.case_id == first._case).drop("_case")
    c = c.mutate(_end=ibis.coalesce(c.assessed, c.closed, as_of))
    start = calendar.select(_s_day=calendar.day, _start=calendar.n)
    c = c.left_join(start, c.opened == start._s_day).drop("_s_day")
    end = calendar.select(_e_day=calendar.day, _upto=calendar.n)
    c = c.left_join(end, c._end == end._e_day).drop("_e_day")
    c = c.mutate(_limit_n=c._start + (limit + 1))
    work = calendar.filter(calendar.working)
    past = work.select(past_limit=work.day, _p_n=work.n)
    c = c.left_join(past, c._limit_n == past._p_n).drop("_p_n")
    late = (c.assessed >= c.past_limit).fill_null(False)
    never = (c.assessed.isnull() & (c.past_limit <= ibis.coalesce(c.closed, as_of))).fill_null(
        False
    )
    rows = c.filter(late | never).mutate(_late=late, _waited=c._upto - c._start)
    tail = cat(
        " working days after the referral (",
        day(rows.opened),
        f"); the limit is {limit} working days.",
    )
    late_reason = cat(
        "The first assessment, ",
        rows.assessment,
        " (",
        day(rows.assessed),
        "), came ",
        rows._waited,
        tail,
    )
    until = ibis.ifelse(
        rows.closed.isnull(),
        cat("No assessment has been recorded by ", day(as_of), ", "),
        cat("No assessment was recorded before the case was closed on ", day(rows.closed), ", "),
    )
    never_reason = cat(until, rows._waited, tail)
    reason = ibis.ifelse(rows._late, late_reason, never_reason)
    out = flag_rows(rows, "late_assessment", "case_id", reason, rows.past_limit, still=~rows._late)
    return [team_status(k, out, out.still).drop("still")]
