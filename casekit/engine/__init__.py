"""The engines that run casekit's relational definitions: DuckDB, PostgreSQL and Spark.

The flags and the research tables are written once, as Ibis expressions
(:mod:`casekit.analysis.relational`), and run where the data lives: DuckDB embedded in this
process (the default: no set-up, in memory for a casebook, out of core over Parquet), a team's
PostgreSQL store (in the database, so no case rows leave it), or Spark (local mode, or a
cluster through a Spark Connect URL). :func:`connect` opens one; :mod:`casekit.engine.tables`
gives it the contract's tables; :mod:`casekit.engine.text` holds the text functions every
engine must compute alike.
"""

from __future__ import annotations

from casekit.engine.backends import DEFAULT_ENGINE, ENGINES, Engine, connect

__all__ = ["DEFAULT_ENGINE", "ENGINES", "Engine", "connect"]
