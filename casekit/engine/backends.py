"""Open an engine: DuckDB (default), PostgreSQL or Spark, as an Ibis backend."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import pandas as pd

from casekit.errors import CasekitError, one_line, shown

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend

__all__ = ["DEFAULT_ENGINE", "ENGINES", "Engine", "connect", "refuse_password"]

ENGINES = ("duckdb", "postgres", "spark")
"""The engines casekit runs on, by the names ``--engine`` and ``engine=`` take."""
DEFAULT_ENGINE = "duckdb"
"""DuckDB, embedded: it needs no server and no set-up."""


@dataclass
class Engine:
    """One open engine: its name, its Ibis backend, and what closing it must release."""

    name: str
    backend: BaseBackend
    closers: list[Any] = field(default_factory=list)
    runner: Callable[[ir.Table], pd.DataFrame] | None = None
    """How this engine runs an expression, when not by its backend's ``to_pyarrow``."""

    def run(self, expr: ir.Table) -> pd.DataFrame:
        """Run a table expression on this engine and return its rows as a DataFrame."""
        if self.runner is not None:
            return self.runner(expr)
        return self.backend.to_pyarrow(expr).to_pandas()

    @contextmanager
    def kept(self, expr: ir.Table) -> Iterator[ir.Table]:
        """Work out ``expr`` once and lend it as a table that later expressions read.

        An intermediate several parts of a query read (the known decisions with their rungs)
        is otherwise worked out again in each. DuckDB keeps it in a temporary table, dropped
        on the way out. The others lend ``expr`` itself: PostgreSQL because a guarded store
        login may not create temporary tables, Spark because its runner
        (:func:`casekit.engine.spark.run_materialised`) already keeps every shared part once.
        """
        if self.name != "duckdb":
            yield expr
            return
        name = f"casekit_kept_{uuid.uuid4().hex}"
        self.backend.create_table(name, expr, temp=True)
        try:
            yield self.backend.table(name)
        finally:
            self.backend.drop_table(name, force=True)

    def close(self) -> None:
        """Close the engine's connection (and anything opened for it)."""
        for closer in reversed(self.closers):
            closer()
        self.closers.clear()

    def __enter__(self) -> Engine:
        """Use the engine as a context manager: it is closed on the way out."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the engine."""
        self.close()


def _duckdb(memory_limit: str | None, threads: int | None) -> Engine:
    """Open an in-process DuckDB that spills to a private temporary folder, as Ibis's backend.

    The connection is :func:`casekit.bundle.spill.private_duckdb`'s, the one the dataset
    check uses too.
    """
    import ibis

    from casekit.bundle.spill import private_duckdb

    duck = private_duckdb(memory_limit, threads)
    try:
        backend = ibis.duckdb.from_connection(duck.con)
    except BaseException:
        duck.close()
        raise
    engine = Engine("duckdb", backend)
    engine.closers.append(duck.close)  # closers run last first: the backend, then the folder
    engine.closers.append(backend.disconnect)
    return engine


def _postgres(url: str | None) -> Engine:
    """Open a PostgreSQL store through Ibis (the password from $PGPASSWORD or ~/.pgpass)."""
    import ibis

    if not url:
        raise CasekitError(
            "engine=postgres runs in a team's PostgreSQL store: give its URL, e.g. "
            "--data postgresql://alice@localhost/casebook."
        )
    if not url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        raise CasekitError(
            f"engine=postgres needs a postgresql:// URL (got one starting {url.split(':')[0]!r})."
        )
    refuse_password(url)
    try:
        backend = ibis.connect(url.replace("postgresql+psycopg://", "postgresql://", 1))
    except Exception as exc:  # psycopg's kinds: no server, refused login, no database
        from casekit.store.urls import safe_url

        raise CasekitError(
            f"engine=postgres: cannot connect to {safe_url(url)} ({one_line(exc, last=True)}). "
            "Check the URL, that the server runs, and your password in PGPASSWORD or ~/.pgpass."
        ) from None
    engine = Engine("postgres", backend)
    engine.closers.append(backend.disconnect)
    return engine


def refuse_password(url: str) -> None:
    """Refuse a database URL that carries a password: it belongs in $PGPASSWORD or ~/.pgpass."""
    import sqlalchemy as sa

    from casekit.store.urls import holds_password, safe_url

    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        raise CasekitError(
            f"engine=postgres: {safe_url(url)} is not a database URL; give one like "
            "postgresql://user@host/database."
        ) from None
    if holds_password(parsed):
        raise CasekitError(
            f"the URL {safe_url(url)} holds a password, which would then be "
            "in your shell history, notebooks and logs. Leave it out of the URL and set "
            "PGPASSWORD (or use ~/.pgpass) instead."
        )


def _spark(url: str | None) -> Engine:
    """Open Spark: local mode on this machine, or a cluster through a Spark Connect URL."""
    import ibis

    from casekit.engine.spark import run_materialised, spark_session

    session, stop = spark_session(url)
    backend = ibis.pyspark.connect(session)
    engine = Engine("spark", backend, runner=partial(run_materialised, backend))
    engine.closers.append(stop)
    return engine


def connect(
    engine: str = DEFAULT_ENGINE,
    *,
    url: str | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
) -> Engine:
    """Open an engine by name: ``duckdb`` (default), ``postgres`` or ``spark``.

    ``url`` is the PostgreSQL store's URL for ``postgres``, and for ``spark`` a Spark Connect
    URL (``sc://host:15002``; none: local mode on this machine). ``memory_limit`` (``"8GB"``)
    and ``threads`` bound DuckDB, which then spills to a private temporary folder.
    """
    name = str(engine).strip().lower()
    if name == "duckdb":
        return _duckdb(memory_limit, threads)
    if name in ("postgres", "postgresql"):
        return _postgres(url)
    if name == "spark":
        return _spark(url)
    raise CasekitError(f"engine={shown(engine)}: choose one of {', '.join(ENGINES)}.")
