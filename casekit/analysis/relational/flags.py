"""Raise the proportionality flags on any engine: one relational definition.

:func:`flag_table` builds one Ibis expression of every flag (the union of each part's rows,
in the columns :data:`~casekit.policy.FLAG_COLUMNS`); :func:`run_flags`
runs it on an engine and returns the rows as :func:`casekit.analysis.proportionality.flags`
does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from casekit.analysis.relational import decisions, evidence, plans, sharing, step_down, timeliness
from casekit.analysis.relational.known import Known, known
from casekit.policy import FLAG_COLUMNS, FLAGS

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from casekit.engine.backends import Engine
    from casekit.engine.tables import Tables

__all__ = [
    "COLUMNS",
    "PARTS",
    "RAISED",
    "flag_frame",
    "flag_table",
    "flags_of",
    "part_of",
    "run_flags",
]

COLUMNS = FLAG_COLUMNS
"""The flags' columns, in order (``casekit.policy.FLAG_COLUMNS``)."""

PARTS: list[Callable[[Known, dict[str, Any]], list[ir.Table]]] = [
    decisions.decision_flags,
    evidence.evidence_flags,
    step_down.step_down_flags,
    timeliness.late_assessment,
    plans.plan_flags,
    sharing.sharing_flags,
]
"""Each part of the flags: given what is known and the thresholds, its flags' row tables."""
RAISED: tuple[str, ...] = (
    *decisions.RAISES,
    *evidence.RAISES,
    *step_down.RAISES,
    *timeliness.RAISES,
    *plans.RAISES,
    *sharing.RAISES,
)
"""The flags the relational definition raises (the parts' ``RAISES``): all twelve."""


def flag_table(tables: Tables, as_of: dt.date, t: dict[str, Any]) -> ir.Table:
    """Build the expression of every flag known at ``as_of`` with thresholds ``t``."""
    return flags_of(known(tables, as_of), t)


def flags_of(k: Known, t: dict[str, Any]) -> ir.Table:
    """Build the expression of every flag from what is known (:func:`known`), thresholds ``t``.

    The union of each part's rows in the columns :data:`COLUMNS`.
    """
    import ibis

    parts = [p.select(*COLUMNS) for part in PARTS for p in part(k, t)]
    return ibis.union(*parts, distinct=False)


def part_of(
    part: Callable[[Known, dict[str, Any]], list[ir.Table]], k: Known, t: dict[str, Any]
) -> ir.Table:
    """Build one part's flags (one of :data:`PARTS`): its rows in the columns :data:`COLUMNS`."""
    import ibis

    return ibis.union(*[p.select(*COLUMNS) for p in part(k, t)], distinct=False)


def run_flags(engine: Engine, tables: Tables, as_of: dt.date, t: dict[str, Any]) -> pd.DataFrame:
    """Run every flag on ``engine``; return the rows sorted by case, date, flag and subject.

    The known decisions with their rungs, which most parts read, are worked out once
    (:meth:`Engine.kept <casekit.engine.Engine.kept>`: a temporary table in DuckDB; inline in
    PostgreSQL, and on Spark, whose runner keeps every shared part itself). ``flag`` is a
    Categorical in the practice principles' order, ``date`` a ``datetime64``.
    """
    k = known(tables, as_of)
    with engine.kept(k.decisions) as decisions:
        return flag_frame(engine.run(flags_of(dataclasses.replace(k, decisions=decisions), t)))


def flag_frame(out: pd.DataFrame | pa.Table) -> pd.DataFrame:
    """Shape an engine's flag rows as the pandas flags: types, and sorted by case and date.

    Rows as Arrow (what DuckDB gives) are sorted and typed in Arrow, which costs a few
    milliseconds less on one case's rows (:class:`~casekit.analysis.relational.preview.Preview`);
    the frame is the same.
    """
    if isinstance(out, pa.Table):
        return _arrow_frame(out)
    out = out[COLUMNS].copy()
    out["flag"] = pd.Categorical(out["flag"], categories=FLAGS)
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
    for name in ("case_id", "subject_id", "reason", "status", "team_id"):
        out[name] = out[name].astype(object).where(out[name].notna(), None)  # as pandas: None
    out = out.sort_values(["case_id", "date", "flag", "subject_id"], kind="stable")
    return out.reset_index(drop=True)


def _arrow_frame(out: pa.Table) -> pd.DataFrame:
    """Shape flag rows given as Arrow as :func:`flag_frame` shapes a DataFrame."""
    import pyarrow.compute as pc

    flags = pa.array(FLAGS)
    keys = pa.table(
        {
            "case_id": out["case_id"],
            "date": out["date"],
            "flag": pc.index_in(out["flag"], value_set=flags),  # a flag's place in FLAGS
            "subject_id": out["subject_id"],
        }
    )
    order = pc.sort_indices(keys, sort_keys=[(k, "ascending", "at_end") for k in keys.column_names])
    out, rank = out.take(order), keys["flag"].take(order)
    columns: dict[str, Any] = {}
    for name in COLUMNS:
        if name == "flag":
            codes = rank.fill_null(-1).to_numpy()  # -1: missing, as pd.Categorical makes it
            columns[name] = pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(list(FLAGS)))
        elif name == "date":
            days = out[name].cast(pa.timestamp("ns")).to_numpy()
            columns[name] = pd.Series(days, dtype="datetime64[ns]")
        else:
            columns[name] = pd.Series(out[name].to_numpy(zero_copy_only=False), dtype=object)
    return pd.DataFrame(columns)
