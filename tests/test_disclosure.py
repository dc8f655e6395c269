"""Small-number suppression: the DfE convention, and a property test that nothing hidden can
be worked out from what is shown (by linear programming over the published totals)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from casekit.disclosure import percentages, pinned_cells, suppress, suppression_mask


def recoverable_cells(counts: pd.DataFrame, shown: pd.DataFrame) -> list[tuple[int, int]]:
    """An attacker's view, written independently of casekit: cells marked c whose value the
    shown cells and totals pin down (least and most by linear programming, counts >= 0)."""
    values = counts.to_numpy(dtype=float)
    rows, cols = values.shape
    truth = np.zeros((rows + 1, cols + 1))
    truth[:rows, :cols] = values
    truth[:rows, cols] = values.sum(axis=1)
    truth[rows, :cols] = values.sum(axis=0)
    truth[rows, cols] = values.sum()
    hidden = shown.to_numpy() == "c"
    unknown = {cell: k for k, cell in enumerate(zip(*np.nonzero(hidden), strict=True))}
    equations, rhs = [], []
    for r in range(rows + 1):
        cells = [(r, c) for c in range(cols + 1)]
        signs = [1.0] * cols + [-1.0]
        equations.append((cells, signs))
    for c in range(cols + 1):
        cells = [(r, c) for r in range(rows + 1)]
        signs = [1.0] * rows + [-1.0]
        equations.append((cells, signs))
    a_eq = np.zeros((len(equations), len(unknown)))
    for i, (cells, signs) in enumerate(equations):
        total = 0.0
        for cell, sign in zip(cells, signs, strict=True):
            if cell in unknown:
                a_eq[i, unknown[cell]] += sign
            else:
                total -= sign * truth[cell]
        rhs.append(total)
    pinned = []
    for cell, k in unknown.items():
        objective = np.zeros(len(unknown))
        objective[k] = 1
        low = linprog(objective, A_eq=a_eq, b_eq=rhs, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=rhs, bounds=(0, None), method="highs")
        assert low.status == 0 and high.status in (0, 3)  # 3: unbounded, so not pinned
        if high.status == 0 and -high.fun - low.fun < 0.5:
            pinned.append(cell)
    return pinned


tables = st.integers(2, 5).flatmap(
    lambda r: st.integers(2, 5).flatmap(
        lambda c: st.lists(
            st.lists(st.integers(0, 25), min_size=c, max_size=c), min_size=r, max_size=r
        )
    )
)


@settings(max_examples=150, deadline=None)
@given(tables)
def test_no_hidden_cell_can_be_recovered(rows):
    counts = pd.DataFrame(rows, columns=[f"col{i}" for i in range(len(rows[0]))])
    shown = suppress(counts)
    truth = counts.to_numpy()
    body = shown.iloc[:-1, :-1].to_numpy()
    small = (truth >= 1) & (truth <= 5)
    assert (body[small] == "c").all()  # every count from 1 to 5 is hidden
    assert (body[truth == 0] != "c").sum() >= 0
    visible = body != "c"
    assert (body[visible].astype(int) == truth[visible]).all()  # what is shown is true
    assert recoverable_cells(counts, shown) == []


def test_the_audit_finds_a_cell_that_subtraction_recovers():
    full = np.array([[3, 7, 10], [4, 6, 10], [7, 13, 20]])
    hidden = np.zeros_like(full, dtype=bool)
    hidden[0, 0] = True  # alone in its row: 10 - 7
    assert pinned_cells(full, hidden) == [(0, 0)]
    hidden[0, 1] = hidden[1, 0] = hidden[1, 1] = True
    assert pinned_cells(full, hidden) == []


def test_zero_is_shown_and_large_counts_are_kept():
    counts = pd.DataFrame({"a": [0, 40], "b": [30, 25]}, index=["x", "y"])
    assert suppress(counts).values.tolist() == [
        ["0", "30", "30"],
        ["40", "25", "65"],
        ["40", "55", "95"],
    ]


def test_secondary_suppression_hides_the_smallest_other_cell():
    counts = pd.DataFrame({"a": [2, 30, 40], "b": [20, 31, 41], "c": [50, 32, 42]})
    mask = suppression_mask(counts)
    assert mask.loc[0, "a"] and mask.loc[0, "b"]  # 2 is primary; 20 the smallest other
    assert not mask.loc[0, "c"]


def test_percentages_are_whole_numbers_and_hidden_with_their_counts():
    counts = pd.DataFrame({"a": [3, 50, 20], "b": [97, 50, 30]}, index=["x", "y", "z"])
    shares = percentages(counts)
    assert shares.loc["y"].tolist() == ["50", "50"]
    assert shares.loc["x"].tolist() == ["c", "c"] and shares.loc["z"].tolist() == ["c", "c"]
    assert percentages(counts, enabled=False).loc["z"].tolist() == ["40", "60"]


def test_suppression_can_be_turned_off_for_use_inside_a_team():
    counts = pd.DataFrame({"a": [3]}, index=["x"])
    assert suppress(counts, enabled=False).loc["x", "a"] == "3"
