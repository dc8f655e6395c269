"""Time what row-level security costs a PostgreSQL store: reads and writes, before and after.

Issue 18's roles: a synthetic bundle (``--cases``, 8 teams) is imported into a throwaway
PostgreSQL cluster (tests/pg_helpers.py, fsync on), or the server ``CASEKIT_TEST_PG_URL``
names. Timed: reading the whole store as a Casebook (``store.casebook()``, what a review reads)
and adding chronology entries one by one (each a validated, durable transaction), first on the
maintenance login of a store without users (no policies), then, once users are added and the
database guards the store, each through their own login: a supervisor of every team (the same
rows, every one checked by the policies), a practitioner of one team (policies filter every
table) and an analyst of every team (free-text columns withheld).

    python benchmarks/bench_roles.py [--cases 2000] [--adds 50] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from _results import parquet_bundle, write_section

import casekit
from casekit.store.pgsecurity import issue_login
from casekit.store.users import add_user

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from pg_helpers import Cluster  # noqa: E402  (the tests' throwaway cluster)


def _read(store: casekit.Store, repeats: int) -> tuple[float, int]:
    """Median seconds to read the store as a Casebook, and how many cases it showed."""
    times, cases = [], 0
    for _ in range(repeats):
        began = time.perf_counter()
        cb = store.casebook()
        times.append(time.perf_counter() - began)
        cases = len(cb.cases)
    return statistics.median(times), cases


def _adds(store: casekit.Store, case_id: str, adds: int) -> float:
    """Median milliseconds of one add_event to ``case_id``."""
    times = []
    for i in range(adds):
        began = time.perf_counter()
        store.add_event(
            case_id=case_id,
            date="2024-03-01",
            source_agency="education",
            kind="contact",
            summary=f"Benchmark entry {i}.",
            category="protective",
            level="child",
        )
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def _as(url: str, name: str) -> casekit.Store:
    person, password = issue_login(url, name)
    os.environ["PGPASSWORD"] = password  # for this process only; never printed
    return casekit.open(person)


def main() -> None:
    """Run the benchmark and write its section of RESULTS.md."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--adds", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    bundle = casekit.load(parquet_bundle(args.cases))
    teams = sorted(bundle.cases["team_id"].astype(str).unique())
    team = teams[0]
    case = str(bundle.cases.loc[bundle.cases["team_id"].astype(str) == team, "case_id"].iloc[0])
    cluster = Cluster(durable=True)
    rows = []
    try:
        url = cluster.new_database()
        with casekit.open(url, user="boss") as store:
            store.import_casebook(bundle)
            seconds, seen = _read(store, args.repeats)
            rows.append(("maintenance login, no users (no policies)", seen, seconds,
                         _adds(store, case, args.adds)))  # fmt: skip
            add_user(store, "boss", "admin")
            add_user(store, "sue", "supervisor", teams)
            add_user(store, "pat", "practitioner", [team])
            add_user(store, "ann", "analyst", teams)
        with _as(url, "sue") as sue:
            seconds, seen = _read(sue, args.repeats)
            rows.append(("supervisor of every team (policies on every row)", seen, seconds,
                         _adds(sue, case, args.adds)))  # fmt: skip
        with _as(url, "pat") as pat:
            seconds, seen = _read(pat, args.repeats)
            rows.append((f"practitioner of {team} (policies filter)", seen, seconds,
                         _adds(pat, case, args.adds)))  # fmt: skip
        with _as(url, "ann") as ann:
            seconds, seen = _read(ann, args.repeats)
            rows.append(("analyst of every team (free text withheld)", seen, seconds, None))
        os.environ.pop("PGPASSWORD", None)
        cluster.drop_database(url)
    finally:
        cluster.stop()
    lines = [
        f"A {args.cases}-case synthetic bundle ({len(teams)} teams) in PostgreSQL; reading the "
        f"whole store as a Casebook (median of {args.repeats}) and adding {args.adds} "
        "chronology entries one by one (median of one add).",
        "",
        "| connected as | cases seen | read the store (s) | one add (ms) |",
        "|---|---|---|---|",
    ]
    for who, seen, seconds, add in rows:
        shown = "—" if add is None else f"{add:.1f}"
        lines.append(f"| {who} | {seen} | {seconds:.2f} | {shown} |")
    lines += [
        "",
        "Two things this benchmark found, both fixed in `casekit.store.pgsecurity`: guarding a "
        "store just imported, before autovacuum had gathered statistics, left the policies' "
        "subqueries badly planned (the supervisor's read took 47 s instead of about 1.5 s), so "
        "`secure()` now runs `ANALYZE`; and a policy calling its helper function once per row "
        "made one add take about 70 ms, so each call is a scalar subquery, run once per "
        "statement (measured 2026-11-29 on the machine above). Since revision 0006 a guarded "
        "store's history is written by the database (a trigger on every contract table), so "
        "the guarded adds include it, with the policies: some 3 ms over the store without "
        "users in the run of 2026-11-29 16:57 UTC (2 cores shared with two other test runs, "
        "so every figure is some 20-30 % above the run before).",
    ]
    body = "\n".join(lines)
    print(body)
    write_section("roles", "Row-level security: what the database's guard costs", body)


if __name__ == "__main__":
    main()
