"""Errors a user can fix, and the problem records that explain them.

A :class:`CasekitError` is a user's mistake (a bad path, a bad bundle, a refused write). The CLI
prints its message and exits 2, with no traceback. Anything else is a bug in casekit.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

__all__ = [
    "CasekitError",
    "Problem",
    "BundleInvalid",
    "WriteRefused",
    "format_problems",
    "did_you_mean",
]


class CasekitError(Exception):
    """A mistake the user can fix; its message says what, where and how."""


@dataclass(frozen=True)
class Problem:
    """One problem in a bundle or a write: where it is, what was found and what was expected.

    >>> print(Problem("events.csv", 4, "kind", "vist", "expected a kind", "did you mean 'visit'?"))
    events.csv, row 4, column 'kind': 'vist' — expected a kind (did you mean 'visit'?)
    """

    source: str
    row: int | None
    column: str | None
    value: str | None
    expected: str
    hint: str = ""
    sheet: str | None = None
    row_word: str = "row"
    severity: str = "error"

    def where(self) -> str:
        """Say where the problem is: file (and sheet), row and column."""
        parts = [self.source + (f" [sheet {self.sheet}]" if self.sheet else "")]
        if self.row is not None:
            parts.append(f"{self.row_word} {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        """Render the problem as one line a person can act on."""
        found = f"{self.value!r} — " if self.value is not None else ""
        hint = f" ({self.hint})" if self.hint else ""
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{prefix}{self.where()}: {found}{self.expected}{hint}"

    def to_dict(self) -> dict[str, object]:
        """Return the problem as a plain dict, for JSON reports."""
        return asdict(self)


def format_problems(problems: list[Problem], limit_per_rule: int | None = 25) -> str:
    """Render problems as text, at most ``limit_per_rule`` lines for one rule on one column.

    Rows beyond the limit are still counted and their row numbers listed, so nothing is
    hidden; ``limit_per_rule=None`` prints every problem in full.
    """
    lines: list[str] = []
    groups: dict[tuple[object, ...], list[Problem]] = {}
    for p in problems:
        groups.setdefault((p.source, p.sheet, p.column, p.expected, p.severity), []).append(p)
    for group in groups.values():
        shown = group if limit_per_rule is None else group[:limit_per_rule]
        lines += [str(p) for p in shown]
        rest = group[len(shown) :]
        if rest:
            rows = _ranges([p.row for p in rest if p.row is not None])
            lines.append(
                f"  … and {len(rest)} more like this in {rest[0].where().split(', ')[0]}"
                f" column {rest[0].column!r} ({rest[0].row_word}s {rows}); use --all to list them"
            )
    return "\n".join(lines)


def _ranges(rows: list[int]) -> str:
    """Compress sorted row numbers into ranges, e.g. ``5-7, 10``."""
    out: list[str] = []
    start: int | None = None
    prev = 0
    for r in sorted(set(rows)):
        if start is None:
            start = prev = r
        elif r == prev + 1:
            prev = r
        else:
            out.append(f"{start}-{prev}" if start != prev else f"{start}")
            start = prev = r
    if start is not None:
        out.append(f"{start}-{prev}" if start != prev else f"{start}")
    return ", ".join(out)


class BundleInvalid(CasekitError):
    """A bundle broke one or more contract rules; ``problems`` lists every one."""

    def __init__(self, source: str, problems: list[Problem]):
        """Keep the problems and build a message that lists them."""
        self.source = source
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(
            f"{source} is not a valid case bundle: {len(errors)} problem(s).\n"
            + format_problems(problems)
        )


class WriteRefused(CasekitError):
    """A write to the casebook store broke the contract; nothing was written."""

    def __init__(self, action: str, problems: list[Problem]):
        """Keep the problems and build a message that lists them."""
        self.problems = problems
        super().__init__(
            f"{action} refused; nothing was written.\n" + format_problems(problems, None)
        )


def did_you_mean(value: str, vocabulary: Iterable[str]) -> str:
    """Suggest the vocabulary value a near miss probably meant, or return "".

    >>> did_you_mean("Child in need", ["early_help", "child_in_need"])
    "did you mean 'child_in_need'?"
    >>> did_you_mean("belief", ["belief_practice", "harm"])
    "did you mean 'belief_practice'?"
    >>> did_you_mean("zzz", ["harm"])
    ''
    """
    vocabulary = list(vocabulary)
    low = str(value).strip().lower()
    snake = re.sub(r"[\s\-/]+", "_", low)
    if snake in vocabulary:
        return f"did you mean {snake!r}?"
    starts = [
        v for v in vocabulary if len(low) >= 3 and (v.startswith(snake) or snake.startswith(v))
    ]
    close = starts or difflib.get_close_matches(snake, vocabulary, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""
