"""Shared by the engine tests: random synthetic casebooks and the comparison with the oracle.

The oracle is today's pandas flags (``casekit.analysis.proportionality.flags``): the relational
definition must give the same rows, reasons, dates and statuses for every flag it raises.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from hypothesis import strategies as st

from casekit.analysis.proportionality import THRESHOLDS, flags
from casekit.analysis.relational.flags import RAISED, run_flags
from casekit.bundle.casebook import Casebook, from_tables
from casekit.engine import Engine
from casekit.engine.tables import LINKS, Tables, arrow_schema, from_casebook
from casekit.synth.generator import generate

AS_OF_DATES = st.dates(dt.date(2023, 6, 1), dt.date(2026, 6, 1))
"""As-of dates for the property tests: before, inside and after the synthetic data's years."""
THRESHOLD_CHOICES = {
    "escalation_rung": st.sampled_from(["early_help", "child_in_need", "section_47"]),
    "step_down_days": st.sampled_from([0, 30, 90, 200]),
    "step_down_min_scale": st.integers(0, 10),
    "concern_window_days": st.sampled_from([0, 7, 30, 120]),
    "low_scale": st.integers(0, 10),
    "assessment_working_days": st.sampled_from([0, 3, 10, 45]),
}
"""Each threshold's values for the property tests (hypothesis strategies), edges included."""


@lru_cache(maxsize=16)
def synthetic(seed: int, n_cases: int) -> tuple[Casebook, Tables]:
    """Give a synthetic casebook (validated as any bundle) and its engine tables."""
    cb = from_tables(generate(seed=seed, n_cases=n_cases), f"synthetic seed {seed}")
    return cb, from_casebook(cb)


def oracle(cb: Casebook, as_of: dt.date, **thresholds: object) -> pd.DataFrame:
    """Give today's pandas flags for the flags the relational definition raises."""
    want = flags(cb, as_of=as_of, engine="pandas", **thresholds)  # type: ignore[arg-type]
    want = want[want["flag"].isin(RAISED)].reset_index(drop=True)
    want["flag"] = want["flag"].astype(str)
    return want


def relational(
    engine: Engine, tables: Tables, as_of: dt.date, **thresholds: object
) -> pd.DataFrame:
    """Give the relational flags on ``engine``, with the thresholds' defaults filled in."""
    got = run_flags(engine, tables, as_of, {**THRESHOLDS, **thresholds})
    got["flag"] = got["flag"].astype(str)
    return got


def assert_same_flags(want: pd.DataFrame, got: pd.DataFrame) -> None:
    """Assert two flag tables hold the same rows, reasons, dates and statuses, in order."""
    if want.empty and got.empty:  # pandas types an empty table's dates by the second
        assert list(want.columns) == list(got.columns)
        return
    pd.testing.assert_frame_equal(want.reset_index(drop=True), got.reset_index(drop=True))


def no_password(monkeypatch, url: str) -> str:
    """Give ``url`` without its password, which goes to $PGPASSWORD (engines refuse it in URLs)."""
    parsed = sa.make_url(url)
    if parsed.password is not None:
        monkeypatch.setenv("PGPASSWORD", parsed.password)
    bare = sa.URL.create(  # URL.set(password=None) would keep it
        parsed.drivername, parsed.username, None, parsed.host, parsed.port, parsed.database
    )
    return bare.render_as_string(hide_password=False)


def write_dataset(cb: Casebook, folder: Path, parts: int = 2) -> None:
    """Write a casebook as the partitioned typed layout: <table>/part-NNNNN.parquet."""
    tables = from_casebook(cb)
    for name in ("cases", "events", "decisions", "judgements", "plan_actions", "info_sharing"):
        typed = getattr(tables, name).to_pyarrow()
        if name in LINKS:
            lists = pa.array(
                [list(v) if isinstance(v, list) else [] for v in cb.tables[name]["evidence_ids"]],
                pa.list_(pa.string()),
            )
            typed = typed.append_column("evidence_ids", lists)
        if name == "cases":  # the concern flags, as the dataset writer types them
            flags = [list(v) if isinstance(v, list) else [] for v in cb.cases["concern_flags"]]
            typed = typed.append_column("concern_flags", pa.array(flags, pa.list_(pa.string())))
        kept = [f for f in typed.schema if f.name not in ("evidence_ids", "concern_flags")]
        assert pa.schema(kept).equals(arrow_schema(name))  # dates date32, bools, int64
        (folder / name).mkdir(parents=True)
        step = max(1, -(-typed.num_rows // parts))
        for i in range(parts):
            pq.write_table(typed.slice(i * step, step), folder / name / f"part-{i:05d}.parquet")
