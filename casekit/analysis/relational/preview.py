"""A quick flag preview for one case: a warm DuckDB and the flags' SQL compiled once.

Compiling the flags' Ibis expression costs far more than running it on one case's rows (see
``benchmarks/bench_engines.py``), so :class:`Preview` compiles it once per thresholds, over
tables named ``casekit_preview_<table>``, with the as-of date a parameter of the SQL
(:func:`~casekit.engine.params.compile_with_date`): a new as-of date costs no compiling. It
prepares it in an open in-process DuckDB. Those names are registered Arrow sources that DuckDB
reads at every scan: during a preview they give the case's Arrow tables (no copy into a table,
no statement planned again), otherwise nothing. On one case, DuckDB's planning of the query
costs far more than running it, so:

- the working-day calendar is a table of the case's days (from its earliest date to the as-of
  date), not made in the engine from 1900 on;
- the known decisions with their rungs are worked out once, into a temporary table the flags
  read, not again in each part; a preview's transaction is rolled back, which empties it;
- for a small casebook (up to :data:`SMALL` events) DuckDB's optimizer is off, which makes
  planning cheap and lets DuckDB keep the prepared statements' plans from case to case (with
  it on, every run is planned again, and a plan kept across new data could rest on the old
  data's statistics); a larger casebook runs the SQL text with the optimizer on;
- each part of the flags (:data:`~casekit.analysis.relational.flags.PARTS`) is a prepared
  statement of its own, so a part whose flags all arise from rows of one table (decisions,
  plan actions, information sharing) is not run for a case without any;
- only the tables the SQL reads are made from the Casebook, and the flags come back as Arrow.

After a preview no case's rows stay in the engine or in the preview.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pandas as pd
import pyarrow as pa

from casekit.analysis.relational import decisions, evidence, plans, sharing
from casekit.analysis.relational.flags import COLUMNS, PARTS, flag_frame, part_of
from casekit.analysis.relational.known import known
from casekit.bundle.casebook import Casebook
from casekit.engine.backends import Engine, connect
from casekit.engine.calendar import CALENDAR_SCHEMA, FIRST_DAY, calendar_rows
from casekit.engine.params import compile_with_date
from casekit.engine.tables import (
    ANALYSED,
    CALENDAR,
    LINKS,
    arrow_schema,
    arrow_tables,
    earliest_day,
    link_schema,
    named_tables,
)

__all__ = ["AS_OF", "PREFIX", "SMALL", "Preview"]

PREFIX = "casekit_preview_"
"""The prefix of the names the preview's SQL reads: its registered sources and kept table."""
KEPT = f"{PREFIX}known_decisions"
AS_OF = "as_of"
"""The name of the as-of date's parameter in the preview's SQL (``$as_of``)."""
SMALL = 5_000
"""Events up to which a casebook runs with DuckDB's optimizer off and plans kept."""
_LOADED: dict[str, pa.Schema] = {
    **{name: arrow_schema(name) for name in ANALYSED},
    **{link: link_schema(table) for table, link in LINKS.items()},
    CALENDAR: CALENDAR_SCHEMA,
}
"""The tables the flags read (the cases' concerns are research's), and their columns."""


class _Rows:
    """One table the flags read, as DuckDB sees it: a case's Arrow rows during a preview, else none.

    Registered once under its name; DuckDB asks for its rows (the Arrow PyCapsule interface) at
    every scan, so a prepared statement reads each case's rows without being planned again and
    without the rows being copied into a table first.
    """

    def __init__(self, schema: pa.Schema) -> None:
        """Hold no rows, of this schema."""
        self.empty = schema.empty_table()
        self.table = self.empty

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """Give the rows held now as an Arrow C stream."""
        return self.table.__arrow_c_stream__(requested_schema)


_SOURCES: dict[Callable[..., Any], str] = {
    decisions.decision_flags: "decisions",
    evidence.evidence_flags: "decisions",
    plans.plan_flags: "plan_actions",
    sharing.sharing_flags: "info_sharing",
}
"""The parts whose every flag is raised on rows of one table: not run for a case without any."""
_FLAG_ROWS = pa.schema(
    [(name, pa.timestamp("us") if name == "date" else pa.string()) for name in COLUMNS]
)
"""The parts' rows, typed alike (DuckDB's union of them would make every date a timestamp)."""


@dataclasses.dataclass(frozen=True)
class _Statements:
    """One thresholds' SQL: the known decisions and each part's flags (as-of date ``$as_of``)."""

    decisions: str
    parts: tuple[tuple[str, str | None], ...]
    """Each part's SQL and the table whose rows it needs (:data:`_SOURCES`; None: any case)."""
    reads: tuple[str, ...]
    """The loaded tables the statements read (of :data:`_LOADED`)."""


def _on(sql: str, as_of: dt.date) -> str:
    """Write the as-of date into a statement's SQL, as a date literal in place of ``$as_of``."""
    return sql.replace(f"${AS_OF}", f"DATE '{as_of:%Y-%m-%d}'")  # a date's own text, no data's


class Preview:
    """Raise the flags of small casebooks quickly, on one warm DuckDB.

    Keeps the compiled SQL of the last ``keep`` thresholds (any as-of date), and the statements
    prepared from it for the last ``keep`` (thresholds, as-of date) pairs. Safe to share between
    threads (one preview runs at a time); :meth:`close` it, or use it as a context manager.
    """

    def __init__(self, keep: int = 8) -> None:
        """Open the in-process DuckDB the previews run on, its sources registered, empty."""
        self.engine: Engine = connect("duckdb", threads=1)
        self.keep = keep
        self._sql: OrderedDict[tuple[Any, ...], _Statements] = OrderedDict()
        self._made = 0
        self._prepared: OrderedDict[tuple[Any, ...], str] = OrderedDict()
        """The prepared statements' names, by (thresholds, as-of date)."""
        self._named = 0
        self._lock = threading.Lock()
        self._rows = {name: _Rows(schema) for name, schema in _LOADED.items()}
        try:  # opened, so closed again if the rest fails (its spill folder removed with it)
            con = self.engine.backend.con
            con.execute("PRAGMA disable_optimizer")
            for name, rows in self._rows.items():
                con.register(f"{PREFIX}{name}", rows)
        except BaseException:
            self.engine.close()
            raise

    def sql(self, thresholds: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
        """Give the flags' SQL for these thresholds, compiled once, the as-of date ``$as_of``.

        The known decisions with their rungs (kept in a temporary table), and each part's flags
        (:data:`~casekit.analysis.relational.flags.PARTS`), which read that table.
        """
        with self._lock:
            found = self._statements(thresholds)
        return found.decisions, tuple(sql for sql, _ in found.parts)

    def _statements(self, thresholds: dict[str, Any]) -> _Statements:
        """Give these thresholds' statements, compiled once (the last ``keep`` kept)."""
        import ibis

        key = tuple(sorted((k, str(v)) for k, v in thresholds.items()))
        found = self._sql.get(key)
        if found is None:
            day = ibis.param("date")
            k = known(named_tables(PREFIX, calendar=True), day)
            kept = dataclasses.replace(k, decisions=ibis.table(k.decisions.schema(), name=KEPT))
            self._made += 1
            decided = compile_with_date(self.engine, k.decisions, day, AS_OF)
            parts = tuple(
                (
                    compile_with_date(self.engine, part_of(part, kept, thresholds), day, AS_OF),
                    _SOURCES.get(part),
                )
                for part in PARTS
            )
            every = decided + "".join(sql for sql, _ in parts)
            found = _Statements(
                decided, parts, tuple(n for n in _LOADED if f'"{PREFIX}{n}"' in every)
            )
            self.engine.backend.con.execute(
                f"CREATE TABLE IF NOT EXISTS {KEPT} AS {found.decisions} LIMIT 0",
                {AS_OF: FIRST_DAY},
            )
            self._sql[key] = found
            while len(self._sql) > self.keep:
                dropped, _ = self._sql.popitem(last=False)
                for pair in [pair for pair in self._prepared if pair[0] == dropped]:
                    self._deallocate(pair)
        self._sql.move_to_end(key)
        return found

    def _prepare(self, thresholds: dict[str, Any], as_of: dt.date) -> tuple[_Statements, str]:
        """Give these thresholds' statements and the name they are prepared under for ``as_of``.

        The SQL is compiled once per thresholds; it is prepared with each as-of date written in
        (a prepared statement with a parameter is planned again at every run, one with the date
        written in is planned once): the known decisions as ``<name>_d``, part ``i`` as
        ``<name>_<i>``. The last ``keep`` (thresholds, as-of date) pairs stay prepared.
        """
        found = self._statements(thresholds)
        pair = (tuple(sorted((k, str(v)) for k, v in thresholds.items())), as_of)
        name = self._prepared.get(pair)
        if name is None:
            self._named += 1
            name = f"casekit_flags_{self._named}"
            con = self.engine.backend.con
            con.execute(f"PREPARE {name}_d AS INSERT INTO {KEPT} {_on(found.decisions, as_of)}")
            for i, (sql, _) in enumerate(found.parts):
                con.execute(f"PREPARE {name}_{i} AS {_on(sql, as_of)}")
            self._prepared[pair] = name
            while len(self._prepared) > self.keep:
                self._deallocate(next(iter(self._prepared)))
        self._prepared.move_to_end(pair)
        return found, name

    def _deallocate(self, pair: tuple[Any, ...]) -> None:
        """Drop the statements prepared for a (thresholds, as-of date) pair."""
        name = self._prepared.pop(pair)
        for suffix in ("d", *map(str, range(len(PARTS)))):
            self.engine.backend.con.execute(f"DEALLOCATE {name}_{suffix}")

    def flags(self, casebook: Casebook, as_of: dt.date, thresholds: dict[str, Any]) -> pd.DataFrame:
        """Raise the flags of ``casebook`` as known at ``as_of``, as ``run_flags`` does."""
        small = len(casebook.events) <= SMALL
        with self._lock:
            found, prepared = self._prepare(thresholds, as_of)
            tables = arrow_tables(casebook, found.reads)
            if CALENDAR in found.reads:
                first = max(earliest_day(casebook) or as_of, FIRST_DAY)
                tables[CALENDAR] = calendar_rows(first, as_of)
            loaded = {name for name in found.reads if tables[name].num_rows}
            run = [i for i, (_, need) in enumerate(found.parts) if need is None or need in loaded]
            con = self.engine.backend.con
            try:
                for name in found.reads:
                    self._rows[name].table = tables[name]
                con.execute("BEGIN TRANSACTION")
                try:
                    if not small:
                        out = self._optimised(found, run, as_of)
                    else:
                        if "decisions" in loaded:
                            con.execute(f"EXECUTE {prepared}_d")
                        runs = [f"EXECUTE {prepared}_{i}" for i in run]
                        out = [con.sql(sql).to_arrow_table() for sql in runs]
                finally:
                    con.execute("ROLLBACK")  # the known decisions leave the engine with it
            finally:
                for source in self._rows.values():
                    source.table = source.empty  # and the case's rows with these
        typed = [part.select(COLUMNS).cast(_FLAG_ROWS) for part in out]
        return flag_frame(pa.concat_tables(typed) if typed else _FLAG_ROWS.empty_table())

    def _optimised(self, found: _Statements, run: list[int], as_of: dt.date) -> list[pa.Table]:
        """Run the known decisions' and the parts' SQL text with DuckDB's optimizer on."""
        con = self.engine.backend.con
        con.execute("PRAGMA enable_optimizer")
        try:
            con.execute(f"INSERT INTO {KEPT} {found.decisions}", {AS_OF: as_of})
            given = {AS_OF: as_of}
            return [con.sql(found.parts[i][0], params=given).to_arrow_table() for i in run]
        finally:
            con.execute("PRAGMA disable_optimizer")

    def close(self) -> None:
        """Close the DuckDB the previews run on (after the preview running, if any)."""
        with self._lock:
            self.engine.close()

    def __enter__(self) -> Preview:
        """Use the preview as a context manager: closed on the way out."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the preview's engine."""
        self.close()
