"""The flags and research as relational expressions (Ibis), run by any casekit engine.

One definition of each flag and research table, written once and executed by DuckDB,
PostgreSQL or Spark (:mod:`casekit.engine`). :mod:`known` holds the terms the flags share (what
was known at the as-of date, rungs, "rests on"); each other module raises one group of flags.
"""
