"""Small-number suppression for figures that leave the team (the DfE convention).

Counts from 1 to 5 are shown as ``c``; zero is shown (it discloses no one), so a reader knows
every hidden cell is at least 1. Secondary suppression then hides more cells until no hidden
cell can be worked out exactly from everything published with it: its table's totals, and
the sums it shares with other tables of the same publication (see :class:`Publication`).
Percentages are whole numbers, and a percentage is hidden wherever its count is.

The attack model (one implementation, used by :func:`suppress`, by ``casekit review`` and by
``casekit disclosure-check``): a reader knows every shown number, every published sum
between numbers (row and column totals, and margins two tables share), that a hidden count
is a whole number of at least 1, and that an unpublished one is at least 0. For each hidden
cell a linear programme finds the least and the most it can be; a cell whose range holds a
single whole number is *pinned* (recoverable).

>>> t = pd.DataFrame({"a": [3, 10, 7], "b": [12, 9, 8]}, index=["x", "y", "z"])
>>> suppress(t)
        a   b Total
x       c   c    15
y      10   9    19
z       c   c    15
Total  20  29    49
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

__all__ = [
    "SUPPRESSED",
    "TOTAL_LABELS",
    "Publication",
    "suppress",
    "suppression_mask",
    "pinned_cells",
    "percentages",
]

SUPPRESSED = "c"
TOTAL_LABELS = frozenset({"total", "all"})
"""Row labels and column headers (any case) that mark a published total."""

Cell = tuple[Any, ...]
"""A cell's name in a publication: a tuple of labels, e.g. ``(table, row, column)``."""


def _whole(text: object) -> float | None:
    try:
        number = float(str(text).replace(",", ""))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _is_total(label: object) -> bool:
    return str(label).strip().lower() in TOTAL_LABELS


def _row_names(labels: Sequence[str]) -> list[str]:
    """Name each row by its label, so that every name is different.

    The last row labelled Total (or all) is the table's total and keeps its label; any other
    row whose label repeats one before it is numbered (``label#2``).
    """
    ends = [i for i, label in enumerate(labels) if _is_total(label)]
    total = ends[-1] if ends else None
    used = {labels[total]} if total is not None else set()
    names = []
    for i, label in enumerate(labels):
        name, n = label, 1
        while i != total and name in used:
            n += 1
            name = f"{label}#{n}"
        used.add(name)
        names.append(name)
    return names


@dataclass
class Publication:
    """Every count a publication shows or hides, and the sums a reader knows between them.

    Add cells with :meth:`add`, tables with :meth:`add_frame`, and sums that hold between
    cells (of one table or several) with :meth:`equate`. :meth:`pinned` is the attack; and
    :meth:`protect` hides more cells until it finds nothing.
    """

    cells: list[Cell] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    """The true value; NaN where it is not known (a hidden cell in a checked file)."""
    hidden: list[bool] = field(default_factory=list)
    unpublished: list[bool] = field(default_factory=list)
    """Not shown at all (e.g. totals a table leaves out): at least 0, and not protected."""
    equations: list[dict[int, float]] = field(default_factory=list)
    """Each a sum of cells times coefficients that is zero."""
    index: dict[Cell, int] = field(default_factory=dict)
    rows: dict[str, list[str]] = field(default_factory=dict)
    """Each table's row names (see :meth:`add_frame`), in its order."""
    columns: dict[str, list[str]] = field(default_factory=dict)
    """Each table's count columns."""

    def add(self, cell: Cell, value: float, hidden: bool, unpublished: bool = False) -> int:
        """Add one cell (or return the one of that name already added)."""
        if cell in self.index:
            return self.index[cell]
        self.index[cell] = len(self.cells)
        self.cells.append(cell)
        self.values.append(float(value))
        self.hidden.append(bool(hidden or unpublished))
        self.unpublished.append(bool(unpublished))
        return self.index[cell]

    def equate(self, left: Iterable[Cell], right: Iterable[Cell], check: bool = True) -> bool:
        """Add ``sum(left) == sum(right)``; return whether it was added.

        A cell of a table added by :meth:`add_frame` whose row the table does not list (a
        category nobody fell in) counts as 0. The sum is left out when a cell is missing, and
        (with ``check``) when the values known (true values, or shown ones where hidden ones
        are unknown) do not satisfy it: a sum that does not hold tells a reader nothing.
        """
        left, right = list(left), list(right)
        if not left or not right:
            return False
        # a side made only of absent rows (nobody fell in them) sums to 0, and still says so
        left = [c for c in left if not self._absent_row(c)]
        right = [c for c in right if not self._absent_row(c)]
        if any(c not in self.index for c in [*left, *right]):
            return False
        terms: dict[int, float] = {}
        for cells, sign in ((left, 1.0), (right, -1.0)):
            for c in cells:
                terms[self.index[c]] = terms.get(self.index[c], 0.0) + sign
        terms = {k: v for k, v in terms.items() if v}
        if not terms:
            return False
        known = [k for k in terms if not math.isnan(self.values[k])]
        if check and len(known) == len(terms):
            if abs(sum(v * self.values[k] for k, v in terms.items())) > 1e-6:
                return False
        self.equations.append(terms)
        return True

    def _absent_row(self, cell: Cell) -> bool:
        """Say whether ``cell`` is (table, row, column) of a table that lists no such row."""
        if cell in self.index or not isinstance(cell, tuple) or len(cell) != 3:
            return False
        table, row, column = cell
        return (
            table in self.rows
            and row not in self.rows[table]
            and column in self.columns.get(table, ())
        )

    def add_frame(
        self,
        name: str,
        frame: pd.DataFrame,
        counts: Sequence[str],
        hidden: np.ndarray | None = None,
        labels: Sequence[str] | None = None,
    ) -> list[str]:
        """Add a table's count columns (values or ``c``) and the totals it publishes.

        The first column labels the rows (``labels`` when given); a row labelled ``Total``
        or ``all`` is the sum of the others, and so is a count column headed ``Total`` of
        the other count columns (the last such row, when several are so labelled). Cells are
        named ``(name, row label, column)``; a label that repeats is numbered (``label#2``).
        ``hidden`` (same shape as the frame) says which cells are hidden where the frame holds
        true values; without it, ``c`` is hidden.
        Returns the row names, in the frame's order.
        """
        labels = list(frame.iloc[:, 0].astype(str) if labels is None else labels)
        rows = self.rows[name] = _row_names(labels)
        self.columns[name] = list(counts)
        ends = [i for i, label in enumerate(labels) if _is_total(label)]
        total_rows = [rows[ends[-1]]] if ends else []
        body_rows = [r for r in rows if r not in total_rows]
        total_cols = [c for c in counts if _is_total(c)][-1:]
        body_cols = [c for c in counts if c not in total_cols]
        position = {c: cast(int, frame.columns.get_loc(c)) for c in counts}  # unique labels
        for i, r in enumerate(rows):
            for c in counts:
                raw = frame.iat[i, position[c]]
                shown = str(raw).strip()
                is_hidden = (
                    bool(hidden[i, position[c]]) if hidden is not None else (shown == SUPPRESSED)
                )
                value = _whole(raw)
                if value is None and not is_hidden:
                    continue  # blank, or not a number: not a count
                self.add((name, r, c), value if value is not None else math.nan, is_hidden)
        for total in total_cols:
            for r in rows:
                self.equate([(name, r, c) for c in body_cols], [(name, r, total)])
        for total in total_rows:
            for c in counts:
                self.equate([(name, r, c) for r in body_rows], [(name, total, c)])
        return rows

    def _system(self) -> tuple[list[int], np.ndarray, np.ndarray, list[tuple[float, None]]]:
        unknown = [k for k, h in enumerate(self.hidden) if h]
        column = {k: j for j, k in enumerate(unknown)}
        a_eq = np.zeros((len(self.equations), len(unknown)))
        b_eq = np.zeros(len(self.equations))
        for i, terms in enumerate(self.equations):
            for k, coefficient in terms.items():
                if k in column:
                    a_eq[i, column[k]] += coefficient
                else:
                    b_eq[i] -= coefficient * self.values[k]
        bounds = [(0.0 if self.unpublished[k] else 1.0, None) for k in unknown]
        return unknown, a_eq, b_eq, bounds

    def consistent(self) -> bool:
        """Say whether some values for the hidden cells satisfy every sum."""
        from scipy.optimize import linprog

        unknown, a_eq, b_eq, bounds = self._system()
        if not unknown:
            return bool(np.allclose(b_eq, 0.0))
        result = linprog(np.zeros(len(unknown)), A_eq=a_eq, b_eq=b_eq, bounds=bounds)
        return bool(result.status != 2)

    def ranges(self, which: Iterable[Cell] | None = None) -> dict[Cell, tuple[float, float]]:
        """Give the least and most each hidden cell can be, by what is published.

        The most is ``inf`` when nothing bounds it. Cells in no equation are left out (they
        are unbounded). Raises ``ValueError`` when the published numbers contradict each other.
        """
        from scipy.optimize import linprog

        unknown, a_eq, b_eq, bounds = self._system()
        wanted = set(self.index[c] for c in which) if which is not None else None
        used = {k for terms in self.equations for k in terms}
        out: dict[Cell, tuple[float, float]] = {}
        rows = np.flatnonzero(np.abs(a_eq).sum(axis=1) > 0)
        a_used, b_used = a_eq[rows], b_eq[rows]
        for j, k in enumerate(unknown):
            if k not in used or self.unpublished[k] or (wanted is not None and k not in wanted):
                continue
            objective = np.zeros(len(unknown))
            objective[j] = 1.0
            ends = []
            for sign in (1.0, -1.0):
                result = linprog(
                    sign * objective, A_eq=a_used, b_eq=b_used, bounds=bounds, method="highs"
                )
                if result.status == 2:
                    raise ValueError("the published numbers contradict each other")
                optimum = cast(float, result.fun)  # set unless the problem is unbounded (3)
                ends.append(math.inf if result.status == 3 else sign * optimum)
            out[self.cells[k]] = (ends[0], ends[1])
        return out

    def _seen_to_vary(self, tries: int = 6) -> set[Cell]:
        """Return hidden cells that two solutions consistent with what is published set apart.

        Two values a whole number or more apart mean at least two whole values are possible,
        so the cell is not pinned; a cell not returned may still be safe.
        """
        from scipy.optimize import linprog

        unknown, a_eq, b_eq, bounds = self._system()
        if not unknown:
            return set()
        rng = np.random.default_rng(0)
        pulls = [np.ones(len(unknown)), -np.ones(len(unknown))]
        pulls += [rng.choice([-1.0, 1.0], len(unknown)) for _ in range(tries - 2)]
        capped = [(low, 1e6) for low, _ in bounds]  # any solution within a cap is one too
        solutions = []
        for pull in pulls:
            result = linprog(pull, A_eq=a_eq, b_eq=b_eq, bounds=capped, method="highs")
            if result.status == 0:
                solutions.append(result.x)
            elif result.status == 2:
                raise ValueError("the published numbers contradict each other")
        if len(solutions) < 2:
            return set()
        seen = np.array(solutions)
        low, high = seen.min(axis=0), seen.max(axis=0)
        apart = np.floor(high + 1e-6) - np.ceil(low - 1e-6) >= 1
        return {self.cells[k] for k, far in zip(unknown, apart, strict=True) if far}

    def pinned(self, which: Iterable[Cell] | None = None) -> list[Cell]:
        """Return the hidden cells (of ``which``, or all) a reader can work out exactly.

        A cell is pinned when a single whole number lies between its least and its most.
        A few solutions found first (with objectives that pull every cell at once) already
        show two whole values for most cells that are not pinned; only the rest get a linear
        programme each.
        """
        which = [c for c in (self.cells if which is None else which) if self.hidden[self.index[c]]]
        free = self._seen_to_vary() if len(which) > 3 else set()  # else it saves nothing
        out = []
        for cell, (low, high) in self.ranges([c for c in which if c not in free]).items():
            if high < math.inf and math.floor(high + 1e-6) - math.ceil(low - 1e-6) < 1:
                out.append(cell)
        return out

    def _next_to_hide(self, pinned: Sequence[Cell]) -> int | None:
        """Pick a shown cell to hide so that fewer of the ``pinned`` cells stay pinned.

        Of the sums a pinned cell is in, those with the fewest hidden cells (the ones that
        give it away) give the candidates: the shown count above zero (a zero protects
        nothing) that is in most of them, the smallest first. Where those sums show none,
        look one sum further.
        """
        frontier, visited = {self.index[c] for c in pinned}, set()
        while frontier:
            visited |= frontier
            sums = [t for t in self.equations if frontier & t.keys()]
            scored = []
            for terms in sums:
                shown = [k for k in terms if not self.hidden[k] and self.values[k] > 0]
                if shown:
                    scored.append((sum(self.hidden[k] for k in terms), shown))
            if scored:
                fewest = min(n for n, _ in scored)
                cover: dict[int, int] = {}
                for n, shown in scored:
                    for k in shown:
                        cover[k] = cover.get(k, 0) + (n == fewest)
                best = [k for k in cover if cover[k] == max(cover.values())]
                return min(best, key=lambda k: (self.values[k], k))
            frontier = {k for t in sums for k in t if self.hidden[k]} - visited
        return None

    def _linked(self, k: int) -> set[Cell]:
        """Return the hidden cells the value of ``k`` bears on: its part of the system."""
        seen: set[int] = set()
        frontier = {k}
        while frontier:
            seen |= frontier
            frontier = {
                j for t in self.equations if frontier & t.keys() for j in t if self.hidden[j]
            } - seen
        return {self.cells[j] for j in seen if self.hidden[j] and j != k}

    def protect(self, high: float = 5) -> list[Cell]:
        """Hide more cells until none hidden is pinned; return those newly hidden.

        Hiding a cell only widens what the others can be, so only cells pinned before (and
        the newly hidden one) are checked again. Then every hidden count above ``high`` (not
        hidden for being small) is tried shown again, the largest first, and stays shown
        when nothing hidden becomes pinned: so the review hides as little as it can.
        """
        added: list[Cell] = []
        check: set[Cell] = {c for c, h in zip(self.cells, self.hidden, strict=True) if h}
        while True:
            pinned = self.pinned(check)
            if not pinned:
                break
            pick = self._next_to_hide(pinned)
            if pick is None:
                break  # nothing left to hide near it (every other count is zero)
            self.hidden[pick] = True
            added.append(self.cells[pick])
            check = set(pinned) | {self.cells[pick]}
        tries = [
            k
            for k, h in enumerate(self.hidden)
            if h and not self.unpublished[k] and self.values[k] > high
        ]
        for k in sorted(tries, key=lambda k: (-self.values[k], k)):
            self.hidden[k] = False
            near = {self.cells[j] for t in self.equations if k in t for j in t if self.hidden[j]}
            if self.pinned(near) or self.pinned(self._linked(k) - near):
                self.hidden[k] = True
        return [c for c in added if self.hidden[self.index[c]]]


def _grid(counts: pd.DataFrame, totals: bool) -> Publication:
    values = counts.to_numpy(dtype=np.int64)
    rows, cols = values.shape
    publication = Publication()
    full = np.zeros((rows + 1, cols + 1), dtype=np.int64)
    full[:rows, :cols] = values
    full[:rows, cols] = values.sum(axis=1)
    full[rows, :cols] = values.sum(axis=0)
    full[rows, cols] = values.sum()
    for r in range(rows + 1):
        for c in range(cols + 1):
            margin = r == rows or c == cols
            publication.add((r, c), full[r, c], False, unpublished=margin and not totals)
    for r in range(rows + 1):
        publication.equate([(r, c) for c in range(cols)], [(r, cols)])
    for c in range(cols + 1):
        publication.equate([(r, c) for r in range(rows)], [(rows, c)])
    return publication


def pinned_cells(
    full: np.ndarray, hidden: np.ndarray, unpublished: np.ndarray | None = None
) -> list[tuple[int, int]]:
    """Find hidden cells of one table that its shown cells and totals pin down.

    ``full`` is the table with its totals as the last row and column (hidden cells may hold
    anything); ``unpublished`` marks cells not shown at all, which may be 0. See
    :meth:`Publication.pinned` for the model.
    """
    rows, cols = full.shape[0] - 1, full.shape[1] - 1
    publication = Publication()
    for r in range(rows + 1):
        for c in range(cols + 1):
            off = bool(unpublished[r, c]) if unpublished is not None else False
            publication.add((r, c), full[r, c], bool(hidden[r, c]), unpublished=off)
    for r in range(rows + 1):
        publication.equate([(r, c) for c in range(cols)], [(r, cols)], check=False)
    for c in range(cols + 1):
        publication.equate([(r, c) for r in range(rows)], [(rows, c)], check=False)
    return sorted((int(r), int(c)) for r, c in publication.pinned())


def suppression_mask(
    counts: pd.DataFrame, low: int = 1, high: int = 5, totals: bool = True
) -> pd.DataFrame:
    """Return which cells of a count table (with its totals, when ``totals``) must be hidden.

    With ``totals``, the result has an extra ``Total`` row and column. The cells from ``low``
    to ``high`` are hidden, then more until no hidden cell can be worked out from the rest
    (see :class:`Publication`).
    """
    counts = counts.fillna(0).astype(np.int64)
    publication = _grid(counts, totals)
    for k in range(len(publication.cells)):
        if not publication.unpublished[k] and low <= publication.values[k] <= high:
            publication.hidden[k] = True
    publication.protect()
    rows, cols = counts.shape
    hidden = np.array(publication.hidden).reshape(rows + 1, cols + 1)
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
    counts: pd.DataFrame, axis: Literal[0, 1] = 1, low: int = 1, high: int = 5, enabled: bool = True
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
