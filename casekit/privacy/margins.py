"""Which numbers of a team review count the same children twice: the sums tables share.

A reader who sees several tables of one review can combine them: the referrals by source,
the outcomes and the waits for a first assessment all count the same referrals, so their
totals are equal; the first-assessment summary's "within 10 working days" is two rows of the
wait table. :data:`MARGINS` declares these sums once; ``casekit review --suppress`` protects
every hidden cell against all of them at once, and ``casekit disclosure-check`` attacks a
review folder, workbook or HTML page with them. Each sum names cells as (table, row label,
column); a sum whose cells a publication does not hold is left out.
"""

from __future__ import annotations

import pandas as pd

from casekit.contract import RESPONSE_LADDER
from casekit.policy import GROUP_BAU, GROUP_RADICALISATION, STRATA

__all__ = [
    "MARGINS",
    "HEADLINE",
    "OPEN_CASE_MEASURES",
    "PLANS_LINKED",
    "SHARING_CONSISTENT",
    "REFUSAL_EXPLAINED",
    "row_labels",
]

Ref = tuple[str, str, str]

HEADLINE = "headline"
"""The pseudo-table of a review's headline numbers (one row, labelled ``headline``)."""
OPEN_CASE_MEASURES = (
    "open cases that have had a family group conference",
    "open cases discussed in supervision in the last 90 days",
    "open cases with a chronology entry in the last 30 days",
)
"""Practice measures counted out of every open case."""
LABEL_COLUMNS = {"escalation_by_evidence": ("case type", "evidence it rests on")}
"""Tables whose rows are named by more than their first column."""
_ESCALATED = "escalations to child in need or above with the family met and heard first"
_RAISING = "decisions raising the response that cite evidence"
PLANS_LINKED = "plan actions that name a worry or strength they answer"
"""Practice measure: plan actions not flagged ``plan_not_linked`` (agency actions alone do not
count)."""
SHARING_CONSISTENT = "all three, and consent given wherever it is the lawful basis"
"""Governance measure: sharing records not flagged ``sharing_without_basis``."""
REFUSAL_EXPLAINED = "consent refused, with why sharing was still necessary recorded"
"""Governance measure: refusals with an ``override_reason`` (not ``shared_despite_refusal``)."""
_WAIT_BANDS = ("0-5", "6-10", "11-20", "21-45", "over 45")
_WITHIN = ("0-5", "6-10")
COMPLETED_WITHIN = "completed within 45 working days"
COMPLETED_LATE = "completed after 45 working days"
NOT_COMPLETED_LATE = "not completed, 45 working days passed"
_DUE = (COMPLETED_WITHIN, COMPLETED_LATE, NOT_COMPLETED_LATE)
"""The assessment_completion rows the summary counts as due (see casekit.review.sections)."""
NO_DECISION = "no social-care decision yet"
CHANNEL_ADOPTED = "adopted for Channel support"
CHANNEL_NOT_RECORDED = "no Channel support recorded"


def _margins() -> list[tuple[list[Ref], list[Ref]]]:
    sums: list[tuple[list[Ref], list[Ref]]] = []
    for column, row in ((GROUP_RADICALISATION, GROUP_RADICALISATION), (GROUP_BAU, GROUP_BAU),
                        ("Total", "all")):  # fmt: skip
        referrals = ("referrals_by_source", "Total", column)
        for other in (("outcomes", "Total", column), ("first_assessment_wait", "Total", column),
                      ("first_assessment_summary", row, "referrals"),
                      ("channel_support", "Total", column)):  # fmt: skip
            sums.append(([referrals], [other]))
        assessed = ("first_assessment_summary", row, "assessed")
        sums.append(([assessed], [("assessment_duration", "Total", column)]))
        sums.append(([assessed], [("first_assessment_wait", band, column) for band in _WAIT_BANDS]))
        sums.append(
            (
                [("first_assessment_summary", row, "within 10 working days")],
                [("first_assessment_wait", band, column) for band in _WITHIN],
            )
        )
    # a radicalisation case is one whose concerns include radicalisation
    rad_referrals = [("referrals_by_source", "Total", GROUP_RADICALISATION)]
    for column in (GROUP_RADICALISATION, "Total"):
        sums.append((rad_referrals, [("referrals_by_concern", GROUP_RADICALISATION, column)]))
    # each flag that arose in the period counts what a table shows from the other side
    for t in (GROUP_RADICALISATION, GROUP_BAU):
        sums.append(
            (
                [("flags_arising", "police_led_statutory_step", t)],
                [("police_led", t, "police-led")],
            )
        )
    every_escalation = [
        ("escalation_by_evidence", f"{t} / {profile}", "escalations")
        for t in (GROUP_RADICALISATION, GROUP_BAU)
        for profile in STRATA
    ]
    sums.append((every_escalation, [("practice_measures", _ESCALATED, "of")]))
    for flag, table, row in (
        ("family_not_engaged", "practice_measures", _ESCALATED),
        ("escalation_without_evidence", "practice_measures", _RAISING),
        ("plan_not_linked", "practice_measures", PLANS_LINKED),
        ("sharing_without_basis", "governance", SHARING_CONSISTENT),
        ("shared_despite_refusal", "governance", REFUSAL_EXPLAINED),
    ):
        sums.append(([("flags_arising", flag, "Total"), (table, row, "yes")], [(table, row, "of")]))
    head = HEADLINE
    open_cases = (head, head, "open cases")
    sums += [
        ([(head, head, "referrals")], [("referrals_by_source", "Total", "Total")]),
        ([(head, head, "unallocated")], [("unallocated_count", "unallocated", "Total")]),
        (
            [open_cases],
            [
                ("caseload_by_worker", "Total", "Total"),
                ("unallocated_count", "unallocated", "Total"),
            ],
        ),
        ([(head, head, "flags arising in the period")], [("flags_arising", "Total", "Total")]),
        ([(head, head, "flags open now")], [("flags_open", "Total", "Total")]),
        ([(head, head, "step-downs due now")], [("flags_open", "step_down_due", "Total")]),
        ([(head, head, "overdue plan actions")], [("overdue_by_worker", "Total", "Total")]),
    ]
    # the tables that count every open case, or every referral of the period, again
    for column, row in ((GROUP_RADICALISATION, GROUP_RADICALISATION), (GROUP_BAU, GROUP_BAU),
                        ("Total", "all")):  # fmt: skip
        referrals = ("referrals_by_source", "Total", column)
        for name in ("re_referrals", "assessment_completion"):
            sums.append(([referrals], [(name, "Total", column)]))
        sums.append(
            (
                [
                    ("caseload_by_worker", "Total", column),
                    ("unallocated_count", "unallocated", column),
                ],
                [("seen_alone", "Total", column)],
            )
        )
        sums.append(
            (
                [("assessment_completion", band, column) for band in _DUE],
                [("assessment_completion_summary", row, "due by now")],
            )
        )
        sums.append(
            (
                [("assessment_completion", _DUE[0], column)],
                [("assessment_completion_summary", row, "within 45 working days")],
            )
        )
    # Channel beside social care: radicalisation referrals split two ways
    rad = GROUP_RADICALISATION
    sums.append(
        (
            [("referrals_by_source", "Total", rad)],
            [("channel_beside_social_care", "Total", "Total")],
        )
    )
    for row in (*RESPONSE_LADDER, NO_DECISION):
        sums.append(([("outcomes", row, rad)], [("channel_beside_social_care", row, "Total")]))
    for channel in (CHANNEL_ADOPTED, CHANNEL_NOT_RECORDED):
        sums.append(
            (
                [("channel_support", channel, rad)],
                [("channel_beside_social_care", "Total", channel)],
            )
        )
    sums += [([open_cases], [("practice_measures", m, "of")]) for m in OPEN_CASE_MEASURES]
    return sums


MARGINS = _margins()
"""Every sum two tables of a review share: (cells, cells) with equal totals."""


def row_labels(key: str, frame: pd.DataFrame) -> list[str] | None:
    """Name a table's rows as :data:`MARGINS` does; None: by its first column."""
    columns = LABEL_COLUMNS.get(key)
    if not columns or not all(c in frame.columns for c in columns):
        return None
    parts = [frame[c].astype(str).str.strip() for c in columns]
    return [" / ".join(p) for p in zip(*parts, strict=True)]
