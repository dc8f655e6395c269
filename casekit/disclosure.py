"""Small-number suppression for figures that leave the team (the DfE convention).

Counts from 1 to 5 are shown as ``c`` (zero is shown: it discloses no one). Secondary
suppression then hides more cells wherever a hidden one could be worked out from the row or
column totals: no row or column, with its total, keeps exactly one hidden cell. Percentages
are whole numbers, and a percentage is hidden wherever its count is.

>>> t = pd.DataFrame({"a": [3, 10, 7], "b": [12, 9, 8]}, index=["x", "y", "z"])
>>> suppress(t)
        a   b Total
x       c   c    15
y      10   9    19
z       c   c    15
Total  20  29    49
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["SUPPRESSED", "suppress", "suppression_mask", "percentages"]

SUPPRESSED = "c"


def _hide_another(values: np.ndarray, hidden: np.ndarray) -> int | None:
    """Pick the cell to hide next in a line: the smallest shown count above zero.

    A hidden zero protects nothing (no count can be below zero), so zeros are never picked.
    """
    shown = np.flatnonzero(~hidden & (values > 0))
    if shown.size == 0:
        return None
    return int(min(shown, key=lambda i: (values[i], i)))


def pinned_cells(full: np.ndarray, hidden: np.ndarray) -> list[tuple[int, int]]:
    """Find hidden cells whose value the shown cells and totals pin down.

    ``full`` is the table with its totals as the last row and column. For each hidden cell,
    a linear programme finds the least and the most it could be, given every row and column
    sum and that no count is negative; a cell whose range is under one is recoverable.
    """
    from scipy.optimize import linprog

    rows, cols = full.shape[0] - 1, full.shape[1] - 1
    unknown = {cell: k for k, cell in enumerate(zip(*np.nonzero(hidden), strict=True))}
    if not unknown:
        return []
    equations, constants = [], []
    lines = [([(r, c) for c in range(cols)], (r, cols)) for r in range(rows + 1)]
    lines += [([(r, c) for r in range(rows)], (rows, c)) for c in range(cols + 1)]
    for body, total in lines:
        row = np.zeros(len(unknown))
        constant = 0.0
        for cell in [*body, total]:
            sign = -1.0 if cell == total else 1.0
            if cell in unknown:
                row[unknown[cell]] += sign
            else:
                constant -= sign * full[cell]
        equations.append(row)
        constants.append(constant)
    a_eq, b_eq = np.array(equations), np.array(constants)
    pinned = []
    for cell, k in unknown.items():
        objective = np.zeros(len(unknown))
        objective[k] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        if low.status == 0 and high.status == 0 and (-high.fun - low.fun) < 0.5:
            pinned.append((int(cell[0]), int(cell[1])))
    return pinned


def _hide_until_nothing_is_pinned(full: np.ndarray, hidden: np.ndarray) -> None:
    """Hide more cells while any hidden one can be worked out from several lines at once."""
    rows, cols = full.shape[0] - 1, full.shape[1] - 1
    while True:
        pinned = pinned_cells(full, hidden)
        if not pinned:
            return
        r, c = pinned[0]
        candidates = [(r, j) for j in range(cols + 1)] + [(i, c) for i in range(rows + 1)]
        shown = [cell for cell in candidates if not hidden[cell] and full[cell] > 0]
        if not shown:
            shown = [cell for cell in zip(*np.nonzero(~hidden & (full > 0)), strict=True)]
        if not shown:
            return
        hidden[min(shown, key=lambda cell: (full[cell], cell))] = True


def suppression_mask(
    counts: pd.DataFrame, low: int = 1, high: int = 5, totals: bool = True
) -> pd.DataFrame:
    """Return which cells of a count table (with its totals, when ``totals``) must be hidden.

    With ``totals``, the result has an extra ``Total`` row and column. The body's cells from
    ``low`` to ``high`` are hidden, then more until no line (a row or column with its
    total) holds exactly one hidden cell, which could be worked out by subtraction.
    """
    values = counts.to_numpy(dtype=np.int64)
    rows, cols = values.shape
    full = np.zeros((rows + 1, cols + 1), dtype=np.int64)
    full[:rows, :cols] = values
    full[:rows, cols] = values.sum(axis=1)
    full[rows, :cols] = values.sum(axis=0)
    full[rows, cols] = values.sum()
    hidden = (full >= low) & (full <= high)
    if not totals:
        hidden[rows, :] = True  # totals are not published: lines cannot be subtracted
        hidden[:, cols] = True
    changed = True
    while changed:
        changed = False
        # each line: the cells of a row or column, and its total (the last cell)
        lines = [(np.s_[r, :cols], (r, cols)) for r in range(rows + 1)]
        lines += [(np.s_[:rows, c], (rows, c)) for c in range(cols + 1)]
        for body, total in lines:
            cells = hidden[body]
            if cells.sum() + hidden[total] != 1:
                continue  # a line with no hidden cell, or two or more, gives nothing away
            pick = _hide_another(full[body], cells)
            if pick is not None:
                line = cells.copy()
                line[pick] = True
                hidden[body] = line
            elif not hidden[total]:
                hidden[total] = True
            else:
                continue  # every other cell is zero: nothing more can be hidden here
            changed = True
    if totals:
        _hide_until_nothing_is_pinned(full, hidden)
    mask = pd.DataFrame(hidden, index=[*counts.index, "Total"], columns=[*counts.columns, "Total"])
    return mask if totals else mask.iloc[:rows, :cols]


def suppress(
    counts: pd.DataFrame, low: int = 1, high: int = 5, totals: bool = True, enabled: bool = True
) -> pd.DataFrame:
    """Render a count table for publication: counts as text, ``c`` where hidden, with totals.

    ``enabled=False`` renders the same table without hiding anything (for use inside a team).
    """
    counts = counts.fillna(0).astype(np.int64)
    full = counts.copy()
    if totals:
        full["Total"] = counts.sum(axis=1)
        full.loc["Total"] = full.sum(axis=0)
    text = full.astype(str).astype(object)
    if not enabled:
        return text
    mask = suppression_mask(counts, low, high, totals)
    return text.mask(mask.to_numpy(), SUPPRESSED)


def percentages(
    counts: pd.DataFrame, axis: int = 1, low: int = 1, high: int = 5, enabled: bool = True
) -> pd.DataFrame:
    """Render each count as a whole-number share of its row (``axis=1``) or column total.

    A share is hidden wherever its count would be.
    """
    counts = counts.fillna(0).astype(np.int64)
    total = counts.sum(axis=axis)
    share = counts.div(total.replace(0, np.nan), axis=0 if axis == 1 else 1) * 100
    text = share.round().astype("Int64").astype(str).replace("<NA>", "").astype(object)
    if not enabled:
        return text
    mask = suppression_mask(counts, low, high, totals=True).iloc[:-1, :-1]
    return text.mask(mask.to_numpy(), SUPPRESSED)
