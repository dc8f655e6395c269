"""Time the step-down flags: the pandas definition against the relational one on DuckDB.

For each size a synthetic casebook is generated in memory, then, in the same process and the
same run: the pandas ``step_downs_due`` table and the two step-down flags
(``step_down_due``, ``step_down_despite_concern``), and the same two on DuckDB through Ibis
(building and compiling the expression, then running its SQL twice). The
relational result is checked equal to the pandas one before it is timed.

    python benchmarks/bench_step_down.py [--sizes 2000 20000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from typing import Any

from _results import write_section

AS_OF = dt.date(2025, 3, 31)


def _timed(call: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = call()
    return time.perf_counter() - start, out


def measure(cases: int) -> dict[str, Any]:
    """Time both definitions on one synthetic casebook of ``cases`` cases."""
    import ibis
    import pandas as pd

    from casekit.analysis import proportionality as p
    from casekit.analysis.relational.known import known
    from casekit.analysis.relational.step_down import step_down_flags, step_downs_due
    from casekit.bundle.casebook import from_tables
    from casekit.engine import connect
    from casekit.engine.tables import from_casebook
    from casekit.synth.generator import generate

    cb = from_tables(generate(seed=11, n_cases=cases), f"synthetic {cases}")
    t = dict(p.THRESHOLDS)
    when = pd.Timestamp(AS_OF)

    def pandas_flags() -> pd.DataFrame:
        k = p._known(cb, when)
        return pd.concat([p._step_down_due(k, when, t), p._step_down_despite_concern(k, when, t)])

    row: dict[str, Any] = {"cases": cases, "events": len(cb.events)}
    row["pandas due"], want_due = _timed(lambda: p.step_downs_due(cb, as_of=AS_OF))
    row["pandas flags"], want = _timed(pandas_flags)
    with connect("duckdb") as engine:
        tables = from_casebook(cb)

        parts = [x.select(*p.FLAG_COLUMNS) for x in step_down_flags(known(tables, AS_OF), t)]
        expr = ibis.union(*parts, distinct=False)
        row["duckdb first"], _ = _timed(lambda: engine.run(expr))  # sends the tables too
        row["duckdb compile"], sql = _timed(lambda: str(ibis.to_sql(expr, dialect="duckdb")))
        raw = engine.backend.con.sql  # DuckDB itself: the run alone, without compiling
        row["duckdb run (cold)"], got = _timed(lambda: raw(sql).to_arrow_table())
        row["duckdb run"], got = _timed(lambda: raw(sql).to_arrow_table())
        row["duckdb due"], got_due = _timed(lambda: step_downs_due(engine, tables, AS_OF, t))
    assert got.num_rows == len(want), (got.num_rows, len(want))
    pd.testing.assert_frame_equal(want_due, got_due)
    row["flags"] = len(want)
    return row


def main() -> None:
    """Measure each size and write the section of RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    sizes = parser.parse_args().sizes
    rows = [measure(n) for n in sizes]
    head = (
        "| cases | events | flags | pandas flags s | DuckDB first call s | DuckDB compile s "
        "| DuckDB run s | DuckDB run / pandas | pandas due s | DuckDB due s (with compile) |"
    )
    lines = [head, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['cases']:,} | {r['events']:,} | {r['flags']:,} | {r['pandas flags']:.2f} "
            f"| {r['duckdb first']:.2f} | {r['duckdb compile']:.2f} | {r['duckdb run']:.2f} "
            f"| {r['duckdb run'] / r['pandas flags']:.2f} | {r['pandas due']:.2f} "
            f"| {r['duckdb due']:.2f} |"
        )
    first, last = rows[0], rows[-1]
    growth = [
        (r["duckdb run"] / r["events"]) / (first["duckdb run"] / first["events"]) for r in rows
    ]
    body = (
        "\n".join(lines)
        + "\n\nThe step-down flags (`step_down_due`, `step_down_despite_concern`) and the "
        "`step_downs_due` table, by the pandas definition and on DuckDB (same process, same "
        "run; the relational rows checked equal to the pandas ones). First call: "
        "`engine.run` (sends the tables, compiles, runs); compile: writing the expression's "
        "SQL again, the same for any size; run: DuckDB executing that SQL (the second time). "
        "DuckDB run time per event, each size against the smallest: "
        + ", ".join(f"{g:.2f}" for g in growth)
        + f" ({first['cases']:,} to {last['cases']:,} cases)."
    )
    write_section("stepdown", "Step-down flags: pandas and DuckDB", body)
    print(body)


if __name__ == "__main__":
    main()
