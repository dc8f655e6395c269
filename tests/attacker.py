"""An attacker written independently of casekit: what exactly can a reader work out?

The reader sees every shown count, knows which sums hold between counts (a table's totals,
and totals two tables share), and knows that a hidden count (``c``) is a whole number of at
least 1, because zeros are shown. For each hidden cell an integer programme finds the least
and the most it can be; a cell with one possible value is recovered. Nothing here imports
casekit's own attack, so the tests check it against a second implementation.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

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
