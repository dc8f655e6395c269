"""Compile an expression once with a date left a parameter: one SQL text for every date.

Ibis binds a scalar parameter (``ibis.param("date")``) to its value while it compiles, so its
SQL changes with each value and must be compiled again. :func:`compile_with_date` compiles once
with the parameter bound to a stand-in date that appears nowhere else in the expression, then
replaces each stand-in in the SQL's syntax tree (sqlglot, not the text) with a typed
placeholder, ``CAST($name AS DATE)``, which DuckDB fills in when the SQL runs
(``con.execute(sql, {name: day})``, or ``EXECUTE statement(name := day)``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from casekit.engine.backends import Engine

__all__ = ["STAND_IN", "compile_with_date"]

STAND_IN = dt.date(1111, 11, 11)
"""The date the parameter is bound to while compiling: refused as a literal of the expression."""


def compile_with_date(engine: Engine, expr: ir.Table, param: ir.Scalar, name: str) -> str:
    """Compile ``expr`` for ``engine`` with the date parameter ``param`` as the placeholder.

    The placeholder is ``$name``, typed ``CAST($name AS DATE)``.

    Raises :class:`ValueError` when the expression holds the stand-in date as a literal of its
    own (it would be taken for the parameter), or when the parameter does not occur in it.
    """
    import ibis
    import ibis.expr.operations as ops
    import sqlglot.expressions as sge

    if any(lit.value == STAND_IN for lit in expr.op().find(ops.Literal)):
        raise ValueError(f"the expression holds the stand-in date {STAND_IN} as a literal")
    compiler = engine.backend.compiler
    tree = compiler.to_sqlglot(expr, params={param: STAND_IN})
    stand_in = compiler.translate(
        ibis.literal(STAND_IN, type="date").as_table().op(), params={}
    ).selects[0]
    stand_in = stand_in.this if isinstance(stand_in, sge.Alias) else stand_in
    found = 0

    def placeholder(node: sge.Expression) -> sge.Expression:
        nonlocal found
        if node == stand_in:
            found += 1
            return sge.Cast(this=sge.Placeholder(this=name), to=sge.DataType.build("date"))
        return node

    tree = tree.transform(placeholder)
    if not found:
        raise ValueError(f"the parameter ${name} does not occur in the expression")
    return tree.sql(dialect=compiler.dialect)
