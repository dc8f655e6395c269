"""Errors a user can fix, and the problem records that explain them.

A :class:`CasekitError` is a user's mistake (a bad path, a bad bundle, a refused write). The CLI
prints its message and exits 2, with no traceback. Anything else is a bug in casekit.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "CasekitError",
    "Problem",
    "BundleInvalid",
    "WriteRefused",
    "format_problems",
    "did_you_mean",
    "one_line",
    "shown",
    "is_conninfo",
    "conninfo_refusal",
    "hide_secrets",
    "load_json",
    "printable",
    "clipped",
    "for_terminal",
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
        sheet = f" [sheet {printable(self.sheet)}]" if self.sheet else ""
        parts = [printable(self.source) + sheet]
        if self.row is not None:
            parts.append(f"{self.row_word} {self.row}")
        if self.column:
            parts.append(f"column {clipped(self.column)}")
        return ", ".join(parts)

    def __str__(self) -> str:
        """Render the problem as one line a person can act on."""
        found = f"{clipped(self.value)} — " if self.value is not None else ""
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
            f"{printable(source)} is not a valid case bundle: {len(errors)} problem(s).\n"
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


def load_json(text: str | bytes) -> Any:
    """Parse JSON from a file casekit reads; nesting too deep to parse is invalid JSON too.

    Python's parser gives a ``RecursionError`` (not a ``ValueError``) for a few hundred
    thousand nested brackets, which a hostile file fits in well under any size limit; here it
    is a :class:`json.JSONDecodeError`, so callers handle every bad file one way.

    >>> load_json("[" * 200_000 + "]" * 200_000)
    Traceback (most recent call last):
    ...
    json.decoder.JSONDecodeError: nested too deeply to read: line 1 column 1 (char 0)
    """
    import json

    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply to read", "", 0) from None


_CLIP = 120
"""Characters of a value a message quotes; a longer value is cut, with its length said."""


def printable(text: object) -> str:
    r"""Give ``text`` as it may be printed in a message: control characters escaped.

    A file or folder name, or a value, can hold a newline or a terminal escape code that
    would forge a line of casekit's output or clear the screen. Names with none stay as they
    are; others are quoted with the characters escaped.

    >>> print(printable("bundles/ok"), printable("evil" + chr(10) + "name"))
    bundles/ok 'evil\nname'
    """
    text = str(text)
    return text if text.isprintable() else repr(text)


def for_terminal(text: str) -> str:
    r"""Escape a message's control characters but its own line breaks and tabs, for a terminal.

    The last guard before the CLI prints a message: an escape code in a name that reached
    it unescaped cannot clear the screen or recolour what follows.

    >>> for_terminal("a.csv: bad\x1b[2J\nnext line")
    'a.csv: bad\\x1b[2J\nnext line'
    """
    return "".join(c if c in "\n\t" or c.isprintable() else repr(c)[1:-1] for c in text)


def clipped(value: object) -> str:
    """Quote a value for a message, cut to its first characters when it is long.

    >>> clipped("x" * 1_000_000)[-30:]
    "xxxxx'… (1,000,000 characters)"
    """
    text = str(value) if not isinstance(value, str) else value
    if len(text) <= _CLIP:
        return repr(value)
    return f"{text[:_CLIP]!r}… ({len(text):,} characters)"


def one_line(exc: BaseException, last: bool = False, limit: int = 300) -> str:
    """Give a library's error as one line for a message: its first line (or ``last``), cut.

    An error with no text gives its type's name.
    """
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    return (lines[-1] if last else lines[0])[:limit]


def shown(value: object) -> str:
    """Quote a value for a message, or leave it out when it could hold a secret.

    A URL, a ``key=value`` connection string or ``user@host`` may carry a password or token,
    and messages end up in notebooks, logs and shell history: such a value is never echoed.
    """
    text = str(value)
    secret = any(c in text for c in ":@=/")
    return "<not shown: it may hold a password>" if secret else clipped(value)


_LIBPQ_KEYS = (
    "host|hostaddr|port|dbname|user|password|passfile|service|options|sslmode|sslpassword|"
    "sslcert|sslkey|sslrootcert|application_name|connect_timeout|target_session_attrs|"
    "require_auth|channel_binding|gssencmode|krbsrvname|client_encoding"
)
_CONNINFO = re.compile(rf"(?:^|\s)(?:{_LIBPQ_KEYS})\s*=", re.IGNORECASE)
_SECRET = re.compile(r"(?:^|\s)(?:password|sslpassword|passfile)\s*=", re.IGNORECASE)


def is_conninfo(text: str) -> bool:
    """Say whether ``text`` is a PostgreSQL connection string in libpq's ``key=value`` form.

    A word such as ``host=`` or ``password=`` at the start or after a space makes it one; a
    URL or a path (``bundles/host=x``) is not.

    >>> is_conninfo("host=db dbname=casebook"), is_conninfo("bundles/host=x")
    (True, False)
    """
    text = str(text)
    return "://" not in text and bool(_CONNINFO.search(text))


def conninfo_refusal(label: str, text: str) -> str:
    """Say that a ``key=value`` connection string is not read, without showing any of it.

    Any part of it may be a secret (a password, a password file's path), so none is repeated.
    """
    secret = (
        " It holds a password, which would then be in your shell history, notebooks and logs:"
        " set PGPASSWORD (or use ~/.pgpass) instead."
        if _SECRET.search(str(text))
        else ""
    )
    return (
        f"{label}: that is a PostgreSQL connection string in key=value form, which casekit "
        "does not read (it is not repeated here, as it may hold a secret). Give the store as "
        f"a URL, postgresql://user@host/database, or give a path.{secret}"
    )


_SECRET_VALUE = re.compile(
    r"(?P<key>(?:^|(?<=[\s;?&]))(?:password|sslpassword|passfile))(?P<eq>\s*=\s*)"
    r"(?:'(?:[^'\\]|\\.)*'?|[^\s&;]+)",
    re.IGNORECASE,
)


def hide_secrets(text: str) -> str:
    """Replace every ``password=...`` (and ``sslpassword``, ``passfile``) value with ``***``.

    The last guard before a message is printed: whatever a message repeats, no such value is.

    >>> hide_secrets("host=x password='a b' dbname=y")
    'host=x password=*** dbname=y'
    """
    return _SECRET_VALUE.sub(lambda m: m["key"] + m["eq"] + "***", str(text))
