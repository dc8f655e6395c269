"""Which numbers of a team review count the same children twice: the sums tables share.

A reader who sees several tables of one review can combine them: the referrals by source,
the outcomes and the waits for a first assessment all count the same referrals, so their
totals are equal; the first-assessment summary's "within 10 working days" is two rows of the
wait table. :data:`MARGINS` declares these sums once; ``casekit review --suppress`` protects
every hidden cell against all of them at once, and ``casekit disclosure-check`` attacks a
review folder, workbook or HTML page with them. Each sum names cells as (table, row label,
column); a sum whose cells a publication does not hold is left out. The labels that state a
threshold are built from :mod:`casekit.policy`.
"""

from __future__ import annotations

import pandas as pd

from casekit.contract import RESPONSE_LADDER
from casekit.policy import (
    ASSESSMENT_COMPLETION_WORKING_DAYS,
    ASSESSMENT_WORKING_DAYS,
    GROUP_BAU,
    GROUP_RADICALISATION,
    STALE_DAYS,
    STRATA,
    SUPERVISED_WITHIN_DAYS,
)

__all__ = [
    "MARGINS",
    "HEADLINE",
    "OPEN_CASE_MEASURES",
    "PLANS_LINKED",
    "SHARING_CONSISTENT",
    "REFUSAL_EXPLAINED",
    "WAIT_BANDS",
    "OVER_STANDARD",
    "WITHIN_LIMIT",
    "WITHIN_STANDARD",
    "row_labels",
]

Ref = tuple[str, str, str]

HEADLINE = "headline"
"""The pseudo-table of a review's headline numbers (one row, labelled ``headline``)."""
_LIMIT, _STANDARD = ASSESSMENT_WORKING_DAYS, ASSESSMENT_COMPLETION_WORKING_DAYS
OPEN_CASE_MEASURES = (
    "open cases that have had a family group conference",
    f"open cases discussed in supervision in the last {SUPERVISED_WITHIN_DAYS} days",
    f"open cases with a chronology entry in the last {STALE_DAYS} days",
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
WAIT_BANDS = (
    (0, 5, "0-5"),
    (6, _LIMIT, f"6-{_LIMIT}"),
    (_LIMIT + 1, 20, f"{_LIMIT + 1}-20"),
    (21, _STANDARD, f"21-{_STANDARD}"),
)
"""The bands of working days from referral to first assessment: (least, most, label)."""
OVER_STANDARD = f"over {_STANDARD}"
"""The last band: more working days than an assessment may take."""
_WAIT_BANDS = (*(label for *_, label in WAIT_BANDS), OVER_STANDARD)
_WITHIN = tuple(label for _, most, label in WAIT_BANDS if most <= _LIMIT)
WITHIN_LIMIT = f"within {_LIMIT} working days"
"""Referrals whose first assessment came within the limit (the late_assessment flag's)."""
WITHIN_STANDARD = f"within {_STANDARD} working days"
"""Assessments completed within the time an assessment may take."""
COMPLETED_WITHIN = f"completed {WITHIN_STANDARD}"
COMPLETED_LATE = f"completed after {_STANDARD} working days"
NOT_COMPLETED_LATE = f"not completed, {_STANDARD} working days passed"
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
                [("first_assessment_summary", row, WITHIN_LIMIT)],
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
                [("assessment_completion_summary", row, WITHIN_STANDARD)],
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
