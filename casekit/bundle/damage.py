"""How much of each table a check found broken: records affected, kinds of problem, where.

A check lists problems one by one (a large dataset's only the first of each rule), so their
number says little: 21 listed problems can stand for 20,173 bad records. :class:`Damage` says,
for one table (a CSV file, a workbook's sheet, a dataset's table folder), how many of its
records break at least one rule, how many different rules are broken, in which columns, and
where to look; :func:`damage_by_table` works it out from a bundle's problems (each of them
listed, with its row), :func:`summary` says it in a few lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from casekit.errors import Problem, clipped, printable

__all__ = ["Damage", "damage_by_table", "summary"]


@dataclass(frozen=True)
class Damage:
    """How much of one table breaks the rules, and where to look."""

    where: str
    """The table as messages name it: ``events.csv``, ``bundle.xlsx [sheet events]``,
    ``events/`` (a dataset's table folder)."""
    records: int
    """Records that break at least one rule (each counted once, however many it breaks)."""
    kinds: int
    """Different rules broken (a column and what it must hold)."""
    columns: tuple[str, ...] = ()
    """The columns with broken rules."""
    whole: int = 0
    """Problems with the file or part itself (a missing column, a wrong type), not a record."""
    total: int | None = None
    """The table's records, where known."""
    places: tuple[tuple[str, int], ...] = ()
    """The files or parts holding the broken records, with how many each, most first."""

    def __str__(self) -> str:
        """Say it in one line: ``events.csv: 2 records break 2 rules (columns 'kind', ...)``."""
        of = f" of {self.total:,}" if self.total is not None else ""
        noun = "record" if self.records == 1 and self.total is None else "records"
        verb = "breaks" if self.records == 1 else "break"
        rules = f"{self.kinds} rule" + ("" if self.kinds == 1 else "s")
        text = f"{printable(self.where)}: {self.records:,}{of} {noun} {verb} {rules}"
        if self.columns:
            cols = ", ".join(clipped(c) for c in self.columns[:6])
            more = f" and {len(self.columns) - 6} more" if len(self.columns) > 6 else ""
            text += f" (column{'s' if len(self.columns) > 1 else ''} {cols}{more})"
        if self.whole:
            text += f"; {self.whole} problem(s) with a file itself"
        if self.places:
            shown = ", ".join(f"{printable(name)} ({n:,})" for name, n in self.places[:3])
            more = f" and {len(self.places) - 3} more parts" if len(self.places) > 3 else ""
            text += f"; in {shown}{more}"
        return text

    def to_dict(self) -> dict[str, object]:
        """Return it as a plain dict, for JSON reports."""
        return asdict(self)


def _where(p: Problem) -> str:
    return p.source + (f" [sheet {p.sheet}]" if p.sheet else "")


def damage_by_table(problems: Iterable[Problem]) -> list[Damage]:
    """Work out each table's :class:`Damage` from problems listed one by one, with their rows.

    Only errors count (warnings do not make a bundle invalid). A problem with no row, or on
    row 1 of a file (its header: a missing or repeated column), is about the file itself, not a
    record. Tables come in the order their first problem does.
    """
    rows: dict[str, set[int]] = {}
    kinds: dict[str, set[tuple[str | None, str]]] = {}
    columns: dict[str, dict[str, None]] = {}
    whole: dict[str, int] = {}
    for p in problems:
        if p.severity != "error":
            continue
        where = _where(p)
        rows.setdefault(where, set())
        kinds.setdefault(where, set()).add((p.column, p.expected))
        if p.column:
            columns.setdefault(where, {})[p.column] = None
        if p.row is None or (p.row_word == "row" and p.row <= 1):  # a file's header is row 1
            whole[where] = whole.get(where, 0) + 1
        else:
            rows[where].add(p.row)
    return [
        Damage(
            where,
            len(found),
            len(kinds[where]),
            tuple(columns.get(where, {})),
            whole.get(where, 0),
        )
        for where, found in rows.items()
    ]


def summary(path: object, what: str, damage: Sequence[Damage]) -> str:
    """Say in a few lines that ``path`` is not a valid ``what``, table by table.

    >>> print(summary("b", "bundle", [Damage("events.csv", 3, 2, ("kind", "date"))]))
    b: the bundle is not valid: 3 records break 2 rules in 1 table:
      events.csv: 3 records break 2 rules (columns 'kind', 'date')
    """
    records = sum(d.records for d in damage)
    kinds = sum(d.kinds for d in damage)
    tables = f"{len(damage)} table" + ("" if len(damage) == 1 else "s")
    head = (
        f"{path}: the {what} is not valid: {records:,} "
        + ("record breaks" if records == 1 else "records break")
        + f" {kinds} rule{'' if kinds == 1 else 's'} in {tables}:"
    )
    return "\n".join([head, *(f"  {d}" for d in damage)])
