"""Time many processes adding chronology entries to one store: SQLite against PostgreSQL.

Issue 18's concurrency benchmark: 20 processes (and 5, to see the trend) each add ``--adds``
events to one store at once, each on its own case, as a team's practitioners would. Every add
is one validated, durable transaction (the store's real ``add_event``). Reported per store: the
total throughput (adds per second over the wall time, from the moment every writer is ready)
and the latency of one add (median, 95th percentile and the slowest, over every add of every
writer).
Both stores run in the same run on the same disk: SQLite with WAL and ``synchronous=FULL``,
PostgreSQL a throwaway local cluster with fsync on (tests/pg_helpers.py), or the server that
``CASEKIT_TEST_PG_URL`` names. Afterwards the store must hold exactly every entry written.

    python benchmarks/bench_writers.py [--adds 50]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _results import write_section

import casekit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from pg_helpers import Cluster  # noqa: E402  (the tests' throwaway cluster)

WRITERS = (5, 20)


def _prepare(url: str, writers: int) -> None:
    """Make a store with one team and a case per writer."""
    with casekit.open(url, user="bench") as store:
        store.add_team(team_id="T1", team_name="North")
        for n in range(writers):
            store.add_case(
                case_id=f"C{n}",
                child_id=f"K{n}",
                team_id="T1",
                opened="2024-01-10",
                referral_source="education",
                concern_flags="radicalisation",
            )


def _writer(url: str, n: int, adds: int, ready: mp.Barrier, out: mp.Queue) -> None:
    """Add ``adds`` events to case C<n>, timing each add; put the latencies on ``out``."""
    store = casekit.open(url, user=f"worker-{n}", create=False)
    latencies = []
    ready.wait()
    for i in range(adds):
        began = time.perf_counter()
        store.add_event(
            case_id=f"C{n}",
            date="2024-03-01",
            source_agency="education",
            kind="contact",
            summary=f"contact {i} by worker {n}",
            category="protective",
            level="child",
        )
        latencies.append(time.perf_counter() - began)
    store.close()
    out.put(latencies)


def measure(url: str, writers: int, adds: int) -> dict[str, float]:
    """Run ``writers`` processes adding ``adds`` events each to ``url``; return the figures."""
    _prepare(url, writers)
    ctx = mp.get_context("spawn")
    ready = ctx.Barrier(writers + 1)
    out: mp.Queue = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(url, n, adds, ready, out)) for n in range(writers)]
    for p in procs:
        p.start()
    ready.wait()  # every writer has opened the store: time the writing only
    began = time.perf_counter()
    latencies = [x for _ in procs for x in out.get()]
    wall = time.perf_counter() - began
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"a writer failed (exit {p.exitcode})")
    with casekit.open(url, user="bench", create=False) as store:
        held = len(store.casebook().events)
    if held != writers * adds:
        raise SystemExit(f"the store holds {held} entries, not the {writers * adds} written")
    latencies.sort()
    return {
        "rate": len(latencies) / wall,
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
        "max": latencies[-1] * 1000,
        "wall": wall,
    }


def main() -> None:
    """Measure both stores at each number of writers, print the table and write RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adds", type=int, default=50, help="events each writer adds")
    args = parser.parse_args()
    cluster = Cluster(durable=True)
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for writers in WRITERS:
                sqlite = measure(str(Path(tmp) / f"w{writers}.sqlite"), writers, args.adds)
                postgres = measure(cluster.new_database(), writers, args.adds)
                for name, m in (("SQLite", sqlite), ("PostgreSQL", postgres)):
                    rows.append(
                        f"| {writers} | {name} | {writers * args.adds:,} | {m['wall']:.1f} s "
                        f"| {m['rate']:.0f} | {m['p50']:.0f} ms | {m['p95']:.0f} ms "
                        f"| {m['max']:,.0f} ms |"
                    )
                rows.append(
                    f"| {writers} | PostgreSQL ÷ SQLite | | | "
                    f"{postgres['rate'] / sqlite['rate']:.2f}x | "
                    f"{postgres['p50'] / sqlite['p50']:.2f}x | "
                    f"{postgres['p95'] / sqlite['p95']:.2f}x | "
                    f"{postgres['max'] / sqlite['max']:.2f}x |"
                )
    finally:
        cluster.stop()
    body = "\n".join(
        [
            "| writers | store | adds | wall | adds per second | one add, median | one add, "
            "95th percentile | the slowest add |",
            "|---:|---|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            f"Each writer is a process adding {args.adds} entries to its own case, each add one "
            "validated, durable transaction; every writer had opened the store before the clock "
            "started, and afterwards the store held exactly every entry written. Writers take "
            "turns on both stores (SQLite's BEGIN IMMEDIATE; PostgreSQL's advisory lock), so "
            "throughput is bounded by one add at a time. How the waiting is shared differs: "
            "PostgreSQL queues writers fairly (each add waits for those ahead of it, so the median "
            "grows with the number of writers), while SQLite's busy handler lets a writer that "
            "has just committed take the lock again while the others sleep and retry, so most "
            "adds are quick and a few wait long (the slowest add).",
        ]
    )
    print(body)
    write_section("writers", "Concurrent writers: SQLite against PostgreSQL", body)


if __name__ == "__main__":
    main()
