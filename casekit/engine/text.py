"""Text every engine must compute alike: dates, vocabulary words, quotes and lists.

A reason is one sentence built in the engine, so DuckDB, PostgreSQL and Spark must write the
same characters. Each function here uses only operations the three agree on: whitespace in a
quote is the ASCII space, tab, newline and carriage return (validation refuses the other
control characters; other spaces, such as U+00A0, are quoted as they are); a blank text
(:func:`blank`) is one of nothing but whitespace of any kind (:data:`SPACE`, what Python's
``str.strip`` removes, less the control characters validation refuses), in a regular
expression written with the characters themselves, which all three engines read alike;
lengths count characters, and a list is joined from numbered positions rather than by an
ordered string aggregate (which Spark lacks).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["SPACE", "blank", "cat", "day", "join_first", "quote", "text", "words"]

QUOTE = 60
"""Characters of free text a reason quotes."""
LIST = 6
"""Items a reason names before "and N more"."""
_SPACES = "[ \t\n\r]+"
SPACE = "[ \t\n\r\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
"""Every whitespace character a valid record can hold, as a regex class of the characters."""


def text(value: ir.Value | str | int) -> ir.StringValue:
    """Write a value as text, a missing one as empty text (so any two can be joined)."""
    import ibis

    if isinstance(value, str | int):
        return ibis.literal(str(value))
    return value.cast("string").fill_null("")


def cat(*parts: ir.Value | str | int) -> ir.StringValue:
    """Join literals and columns into one text, missing values as empty text."""
    out = text(parts[0])
    for part in parts[1:]:
        out = out.concat(text(part))
    return out


def day(value: ir.DateValue) -> ir.StringValue:
    """Write a date as YYYY-MM-DD (a missing date as empty text)."""
    return value.strftime("%Y-%m-%d").fill_null("")


def words(value: ir.Value) -> ir.StringValue:
    """Write a vocabulary value as words: ``child_in_need`` -> ``child in need``."""
    return text(value).replace("_", " ")


def quote(value: ir.Value, limit: int = QUOTE) -> ir.StringValue:
    """Quote free text as the record has it, in one line, cut at ``limit`` characters.

    Runs of whitespace become one space and the ends are trimmed; longer text is cut to
    ``limit - 1`` characters (trailing spaces dropped) and ends with an ellipsis.
    """
    import ibis

    line = text(value).re_replace(_SPACES, " ").re_replace("^ +| +$", "")
    cut = line.substr(0, max(limit - 1, 0)).re_replace(" +$", "").concat("…")
    return ibis.literal('"').concat(ibis.ifelse(line.length() > limit, cut, line)).concat('"')


def blank(value: ir.Value) -> ir.BooleanValue:
    """Say whether a text is blank: missing, empty, or only whitespace (:data:`SPACE`)."""
    return ~text(value).re_search(f"[^{SPACE[1:-1]}]")


def join_first(
    rows: ir.Table,
    key: str,
    label: str,
    order: Sequence[ir.Value | str],
    limit: int = LIST,
    name: str = "named",
) -> ir.Table:
    """Join each key's labels in ``order``: ``a, b, c and 2 more`` (``limit`` named).

    Returns one row per key: ``key`` and ``name``. The labels are numbered within each key
    and the first ``limit`` joined position by position, so every engine gives one text.
    """
    import ibis

    numbered = rows.mutate(
        _n=ibis.row_number().over(ibis.window(group_by=rows[key], order_by=list(order)))
    )
    slots = {f"_l{i}": numbered[label].max(where=numbered._n == i) for i in range(limit)}
    per_key = numbered.group_by(key).aggregate(_count=numbered.count(), **slots)
    joined = text(per_key._l0)
    for i in range(1, limit):
        slot = per_key[f"_l{i}"]
        joined = joined.concat(ibis.ifelse(slot.isnull(), "", ibis.literal(", ").concat(slot)))
    more = per_key._count - limit
    joined = joined.concat(ibis.ifelse(more > 0, cat(" and ", more.cast("string"), " more"), ""))
    return per_key.select(key, **{name: joined})
