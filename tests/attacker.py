"""An attacker written independently of casekit: what exactly can a reader work out?

The reader sees every shown count, knows which sums hold between counts (a table's totals,
and totals two tables share), and knows that a hidden count (``c``) is a whole number of at
least 1, because zeros are shown. For each hidden cell an integer programme finds the least
and the most it can be; a cell with one possible value is recovered. Nothing here imports
casekit's own attack, so the tests check it against a second implementation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

CEILING = 10**6
"""Larger than any count: a cell that can reach it is unbounded."""


def recovered(
    cells: dict[Hashable, float | None], sums: Iterable[tuple[list, list]]
) -> list[Hashable]:
    """Return the hidden cells (value None) whose value the shown cells and the sums fix.

    Each sum is (cells, cells) whose totals are equal; a sum naming a cell not in ``cells`` is
    ignored.
    """
    hidden = [k for k, v in cells.items() if v is None]
    column = {k: j for j, k in enumerate(hidden)}
    rows, rhs = [], []
    for left, right in sums:
        if not left or not right or any(k not in cells for k in [*left, *right]):
            continue
        row, constant = np.zeros(len(hidden)), 0.0
        for side, sign in ((left, 1.0), (right, -1.0)):
            for k in side:
                if k in column:
                    row[column[k]] += sign
                else:
                    constant -= sign * float(cells[k])
        if row.any():
            rows.append(row)
            rhs.append(constant)
    if not hidden or not rows:
        return []
    constraint = LinearConstraint(np.array(rows), rhs, rhs)
    bounds = Bounds(np.ones(len(hidden)), np.full(len(hidden), CEILING))
    whole = np.ones(len(hidden))
    out = []
    for k, j in column.items():
        objective = np.zeros(len(hidden))
        objective[j] = 1.0
        low = milp(objective, constraints=constraint, bounds=bounds, integrality=whole)
        high = milp(-objective, constraints=constraint, bounds=bounds, integrality=whole)
        assert low.status == 0 and high.status == 0, (k, low.message, high.message)
        if round(-high.fun) < CEILING and round(-high.fun) == round(low.fun):
            out.append(k)
    return out


def read_table(
    name: str, frame: pd.DataFrame, counts: Iterable[str] | None = None
) -> tuple[dict[Hashable, float | None], list[tuple[list, list]]]:
    """Read a published table: its count cells as (name, row label, column), and its totals.

    The first column labels the rows; a row labelled Total or all sums the others, and so
    does a column headed Total. ``counts`` defaults to every column that holds only whole
    numbers and c.
    """
    frame = frame.astype(str)
    labels = list(frame.iloc[:, 0])
    assert len(set(labels)) == len(labels), f"{name}: rows need different labels"
    if counts is None:
        counts = [
            c
            for c in frame.columns[1:]
            if all(v == "c" or v.lstrip("-").isdigit() for v in frame[c])
        ]
    counts = list(counts)
    cells: dict[Hashable, float | None] = {}
    for i, label in enumerate(labels):
        for c in counts:
            v = frame[c].iloc[i]
            cells[(name, label, c)] = None if v == "c" else float(v)
    sums = []
    total_rows = [r for r in labels if r.lower() in ("total", "all")]
    body_rows = [r for r in labels if r not in total_rows]
    total_cols = [c for c in counts if c.lower() == "total"]
    body_cols = [c for c in counts if c not in total_cols]
    for t in total_rows[:1]:
        for c in counts:
            sums.append(([(name, r, c) for r in body_rows], [(name, t, c)]))
    for t in total_cols[:1]:
        for r in labels:
            sums.append(([(name, r, c) for c in body_cols], [(name, r, t)]))
    return cells, sums


RAD, BAU = "radicalisation", "other safeguarding"


def attacker_margins() -> list[tuple[list, list]]:
    """The sums a reader of a review knows between its tables, stated here independently."""
    sums = []
    for column, row in ((RAD, RAD), (BAU, BAU), ("Total", "all")):
        wait = [("first_assessment_wait", band, column)
                for band in ("0-5", "6-10", "11-20", "21-45", "over 45")]  # fmt: skip
        referrals = [("referrals_by_source", "Total", column)]
        sums += [
            (referrals, [("outcomes", "Total", column)]),
            (referrals, [("first_assessment_wait", "Total", column)]),
            (referrals, [("first_assessment_summary", row, "referrals")]),
            (referrals, [("channel_support", "Total", column)]),  # each referral, Channel or not
            ([("first_assessment_summary", row, "assessed")], wait),
            ([("first_assessment_summary", row, "assessed")],
             [("assessment_duration", "Total", column)]),
            ([("first_assessment_summary", row, "within 10 working days")], wait[:2]),
        ]  # fmt: skip
    radicalisation = [("referrals_by_source", "Total", RAD)]  # cases with that concern
    sums += [(radicalisation, [("referrals_by_concern", RAD, c)]) for c in (RAD, "Total")]
    strata = ("harm", "extremist behaviour", "influence or grooming",  # the research strata
              "vulnerability or context", "belief or views only", "none")  # fmt: skip
    escalations = [("escalation_by_evidence", f"{t} / {p}", "escalations")
                   for t in (RAD, BAU) for p in strata]  # fmt: skip
    escalated = "escalations to child in need or above with the family met and heard first"
    sums.append((escalations, [("practice_measures", escalated, "of")]))
    for t in (RAD, BAU):  # flags that arose in the period count what other tables show
        sums.append(([("flags_arising", "police_led_statutory_step", t)],
                      [("police_led", t, "police-led")]))  # fmt: skip
    for flag, key, label in (
        ("family_not_engaged", "practice_measures", escalated),
        ("escalation_without_evidence", "practice_measures",
         "decisions raising the response that cite evidence"),
        ("plan_not_linked", "practice_measures",
         "plan actions that name a worry or strength they answer"),
        ("sharing_without_basis", "governance",
         "all three, and consent given wherever it is the lawful basis"),
        ("shared_despite_refusal", "governance",
         "consent refused, with why sharing was still necessary recorded"),
    ):  # fmt: skip
        sums.append(([("flags_arising", flag, "Total"), (key, label, "yes")], [(key, label, "of")]))
    head = ("headline", "headline")
    sums += [
        ([(*head, "referrals")], [("referrals_by_source", "Total", "Total")]),
        ([(*head, "unallocated")], [("unallocated_count", "unallocated", "Total")]),
        ([(*head, "open cases")], [("caseload_by_worker", "Total", "Total"),
                                   ("unallocated_count", "unallocated", "Total")]),
        ([(*head, "flags arising in the period")], [("flags_arising", "Total", "Total")]),
        ([(*head, "flags open now")], [("flags_open", "Total", "Total")]),
        ([(*head, "step-downs due now")], [("flags_open", "step_down_due", "Total")]),
        ([(*head, "overdue plan actions")], [("overdue_by_worker", "Total", "Total")]),
    ]  # fmt: skip
    due = ["completed within 45 working days", "completed after 45 working days",
           "not completed, 45 working days passed"]  # fmt: skip
    for column, row in ((RAD, RAD), (BAU, BAU), ("Total", "all")):
        referrals = [("referrals_by_source", "Total", column)]
        sums += [
            (referrals, [("re_referrals", "Total", column)]),  # every referral, again or not
            (referrals, [("assessment_completion", "Total", column)]),
            ([("assessment_completion", d, column) for d in due],
             [("assessment_completion_summary", row, "due by now")]),
            ([("assessment_completion", due[0], column)],
             [("assessment_completion_summary", row, "within 45 working days")]),
            ([("caseload_by_worker", "Total", column),
              ("unallocated_count", "unallocated", column)],
             [("seen_alone", "Total", column)]),  # every open case
        ]  # fmt: skip
    beside = "channel_beside_social_care"  # radicalisation referrals by rung and Channel
    sums.append(([("referrals_by_source", "Total", RAD)], [(beside, "Total", "Total")]))
    rungs = ("no_further_action", "signposted", "early_help", "child_in_need", "section_47",
             "child_protection_plan", "proceedings", "no social-care decision yet")  # fmt: skip
    for rung in rungs:
        sums.append(([("outcomes", rung, RAD)], [(beside, rung, "Total")]))
    for channel in ("adopted for Channel support", "no Channel support recorded"):
        sums.append(([("channel_support", channel, RAD)], [(beside, "Total", channel)]))
    return sums


def read_review(folder: Path) -> tuple[dict, list]:
    """Read every table a review folder publishes, and the headline, as an attacker would."""
    cells, sums = {}, []
    for f in sorted(folder.glob("*.csv")):
        frame = pd.read_csv(f, dtype=str, keep_default_na=False)
        if "evidence it rests on" in frame.columns:  # rows named by type and evidence
            frame["case type"] = frame["case type"] + " / " + frame.pop("evidence it rests on")
        counts = [
            c
            for c in frame.columns[1:]
            if not re.search(r"%|CI|median|fte|FTE", c)
            and all(v == "c" or v.isdigit() for v in frame[c])
        ]
        c, s = read_table(f.stem, frame, counts)
        cells.update(c)
        sums += s
    headline = json.loads((folder / "headline.json").read_text())
    for k, v in headline.items():
        if not k.endswith(("%", ": change")) and v != "":  # a change is words: "up 2"
            cells[("headline", "headline", k)] = None if v == "c" else float(v)
    return cells, sums + attacker_margins()
