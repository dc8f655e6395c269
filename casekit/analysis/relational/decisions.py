"""The flags raised on decisions: escalations and statutory steps (practice.md).

``escalation_without_evidence``, ``family_not_engaged`` and ``police_led_statutory_step``, which
need nothing beyond the decision itself (those that weigh what it rests on are in
:mod:`~casekit.analysis.relational.evidence`). Each is ``open`` while its case is open and the
decision's rung is still current.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from casekit.analysis.relational.known import Known, rung_name, team_status
from casekit.contract import RUNG, STATUTORY_RESPONSES
from casekit.engine.text import cat, day, words

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["RAISES", "decision_flags", "decision_rows", "flag_rows", "raised_by"]

RAISES = ("escalation_without_evidence", "family_not_engaged", "police_led_statutory_step")
"""The flags this module raises."""


def raised_by(d: ir.Table, *rest: ir.Value | str) -> ir.StringValue:
    """Open a reason: ``Decision D1 (2024-02-01) raised the response from A to B``."""
    return cat(
        "Decision ",
        d.decision_id,
        " (",
        day(d.date),
        ") raised the response from ",
        words(rung_name(d.previous)),
        " to ",
        words(d.response),
        *rest,
    )


def flag_rows(
    rows: ir.Table,
    flag: str,
    subject: str,
    reason: ir.StringValue,
    date: ir.DateValue,
    **keep: ir.Value,
) -> ir.Table:
    """Give flag rows in the flags' columns (before team and status), and ``keep``."""
    import ibis

    return rows.select(
        case_id=rows.case_id,
        flag=ibis.literal(flag),
        subject_id=rows[subject].cast("string"),
        reason=reason,
        date=date,
        **keep,
    )


def decision_rows(k: Known, d: ir.Table, flag: str, reason: ir.StringValue) -> ir.Table:
    """Give a decision flag's rows, with team and ``open`` while the rung is current."""
    out = flag_rows(d, flag, "decision_id", reason, d.date, current=d.current)
    return team_status(k, out, out.current).drop("current")


def decision_flags(k: Known, t: dict[str, Any]) -> list[ir.Table]:
    """Raise the decision flags that need no evidence beyond the decision itself."""
    d = k.decisions
    raising = d.filter(d.raises)
    links = k.tables.decision_evidence
    bare = raising.anti_join(links, "decision_id")
    out = [
        decision_rows(
            k,
            bare,
            "escalation_without_evidence",
            raised_by(bare, " with no evidence_ids: say which events it rests on."),
        )
    ]
    min_rung = RUNG[t["escalation_rung"]]
    apart = raising.filter((raising.rung >= min_rung) & (raising.family_engaged == False))  # noqa: E712
    out.append(
        decision_rows(
            k,
            apart,
            "family_not_engaged",
            raised_by(apart, "; it is recorded with family_engaged = false."),
        )
    )
    police = d.filter(d.response.isin(STATUTORY_RESPONSES) & (d.lead_agency == "police"))
    reason = cat(
        "Decision ",
        police.decision_id,
        " (",
        day(police.date),
        ") to ",
        words(police.response),
        " was led by the police.",
    )
    out.append(decision_rows(k, police, "police_led_statutory_step", reason))
    return out
