"""The casebook store: a validated, versioned, concurrent-safe home for a team's case bundle.

The store keeps one SQL table per contract table (every cell in its canonical string form) and
an append-only ``_history`` table holding every version of every record, deletions included,
and a ``_drafts`` table of work in progress (a supervision session being typed) that is saved
on every change, so that nothing typed is lost when a kernel dies or a page closes.
Every write is validated against the contract, and against the store's other records, inside
one transaction: an invalid write is refused with a clear message and writes nothing. SQLite is
the default (WAL journal, ``synchronous=FULL``, writers serialised with ``BEGIN IMMEDIATE``).
PostgreSQL (``postgresql://user@host/db``, through psycopg 3) keeps the same guarantees: writers
are serialised by a transaction-scoped advisory lock, a read-only store opens read-only
transactions, a bulk import is written with ``COPY``, and a password in the URL is never shown.

>>> store = open_store(":memory:")
>>> _ = store.add_team(team_id="T1", team_name="North")
>>> store.history("T1")["op"].tolist()
['add']
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from casekit.bundle.casebook import Casebook, check_rows, from_raw
from casekit.bundle.io import RawTable, canonical, cell_to_str, clean_frame
from casekit.bundle.validation import FrameIndex, check_references, check_table
from casekit.contract import TABLE_ORDER, TABLES, Table
from casekit.errors import (
    CasekitError,
    Problem,
    WriteRefused,
    conninfo_refusal,
    did_you_mean,
    is_conninfo,
)
from casekit.store import migrations
from casekit.store.acting import acting_user
from casekit.store.audit import (
    ACCESS_LOG,
    TABLES_ADDED_IN,
    access_log_table,
    check_action,
    read_access_log,
)
from casekit.store.permissions import (
    CASE_TABLES,
    USERS,
    WITHHELD,
    Access,
    resolve_access,
    users_table,
)
from casekit.store.urls import safe_url

__all__ = ["Store", "open_store", "safe_url", "store_error"]

SCHEMA_VERSION = "6"
_ADDED_IN: dict[str, dict[str, tuple[str, ...]]] = {
    "2": {"events": ("seen_alone",), "info_sharing": ("override_reason",)},
    "3": {
        "supervisions": (
            "management",
            "support",
            "development",
            "mediation",
            "child_voice",
            "last_seen_alone",
            "agreed_actions",
            "decision_stakeholders",
        )
    },
    "4": {},  # the access log: a table, not a column (audit.TABLES_ADDED_IN)
    "5": {},  # the users: a table (_TABLES_ADDED_IN)
    "6": {},  # a guarded PostgreSQL store's guard hardened: no table, no column
}
"""The contract columns each schema version added (issue 16's 4x4x4 supervision fields: 3)."""


def _added_since(version: str) -> dict[str, tuple[str, ...]]:
    """Gather the columns every schema after ``version`` added, table by table."""
    added: dict[str, tuple[str, ...]] = {}
    for v, tables in _ADDED_IN.items():
        if int(v) > int(version):
            for table, columns in tables.items():
                added[table] = added.get(table, ()) + columns
    return added


_ADDED_SINCE: dict[str, dict[str, tuple[str, ...]]] = {
    str(v): _added_since(str(v)) for v in range(1, int(SCHEMA_VERSION))
}
"""The contract columns a store of each older schema lacks. Opening such a store for writing
adds them (one transaction); opening it read-only reads them as missing and writes nothing."""
_TABLES_ADDED_IN = {**TABLES_ADDED_IN, "5": (USERS,)}
"""The internal tables each schema version added (the access log: 4; the users: 5)."""
_HISTORY = "_history"
_DRAFTS = "_drafts"


def _schema() -> tuple[sa.MetaData, dict[str, sa.Table], sa.Table]:
    meta = sa.MetaData()
    tables = {}
    for spec in TABLES.values():
        cols = [
            sa.Column(c.name, sa.Text, primary_key=(c.name == spec.id_column)) for c in spec.columns
        ]
        cols.append(sa.Column("_extra", sa.Text))
        tables[spec.name] = sa.Table(spec.name, meta, *cols)
    history = sa.Table(
        _HISTORY,
        meta,
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("table_name", sa.Text, nullable=False),
        sa.Column("record_id", sa.Text, nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("op", sa.Text, nullable=False),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("by", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("data", sa.Text, nullable=False),
    )
    sa.Table(
        "_meta", meta, sa.Column("key", sa.Text, primary_key=True), sa.Column("value", sa.Text)
    )
    sa.Table(
        _DRAFTS,
        meta,
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("by", sa.Text, primary_key=True),  # each writer's keys are their own (6)
        sa.Column("data", sa.Text, nullable=False),
    )
    access_log_table(meta)
    users_table(meta)
    return meta, tables, history


def _sqlite_engine(url: str, readonly: bool = False) -> sa.Engine:
    if readonly:  # never write, not even a journal mode; a read-only folder gets immutable=1
        path = Path(url.removeprefix("sqlite:///")).resolve()
        flags = "mode=ro"
        if not os.access(path.parent, os.W_OK) and not _wal_of(path).exists():
            flags += "&immutable=1"  # no -wal/-shm can be made there, and nobody writes
        uri = f"{path.as_uri()}?{flags}"
        engine = sa.create_engine(
            "sqlite://",
            creator=lambda: sqlite3.connect(uri, uri=True, timeout=60, check_same_thread=False),
            poolclass=sa.pool.QueuePool,  # as for a file, not the one-connection pool of memory
        )
    else:
        engine = sa.create_engine(url, connect_args={"timeout": 60})
    label = url.removeprefix("sqlite:///") or url

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let BEGIN IMMEDIATE below open each transaction
        cur = dbapi_conn.cursor()
        try:
            if ":memory:" not in url and not readonly:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA busy_timeout=60000")
        except sqlite3.DatabaseError as exc:
            raise store_error(label, exc) from None
        finally:
            cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    @sa.event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        orig = context.original_exception
        if isinstance(orig, sqlite3.DatabaseError) and not isinstance(
            orig, sqlite3.IntegrityError | sqlite3.ProgrammingError | sqlite3.InterfaceError
        ):
            raise store_error(label, orig) from None

    return engine


_WRITE_LOCK = 0x63617365_6B6974
"""The PostgreSQL advisory lock every write transaction holds: writers take turns, as with
SQLite's ``BEGIN IMMEDIATE``, so validation sees every earlier write and ids are never reused."""


def is_postgres(url: str) -> bool:
    """Tell whether ``url`` names a PostgreSQL database (``postgresql://``, ``postgres://``)."""
    return url.split("://", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")


def _other_engine(url: str) -> sa.Engine:
    """Make an engine for a URL neither SQLite's nor PostgreSQL's; refuse one of no database."""
    try:
        return sa.create_engine(url)
    except (sa.exc.NoSuchModuleError, sa.exc.ArgumentError, ValueError):
        raise CasekitError(
            f"{safe_url(url)}: is not a database casekit can open. A casebook store is a "
            "SQLite file (a path, or sqlite:///PATH) or a PostgreSQL database "
            "(postgresql://USER@HOST/DATABASE)."
        ) from None


def _postgres_engine(url: str, label: str, readonly: bool) -> sa.Engine:
    """Make an engine for a PostgreSQL URL through psycopg 3, mapping its errors for users.

    A plain ``postgresql://`` URL uses psycopg. A ``readonly`` engine's transactions are
    read-only on the server, so nothing can be written through it.
    """
    import psycopg

    try:
        parsed = sa.engine.make_url(url).set(drivername="postgresql+psycopg")
    except (sa.exc.ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise CasekitError(
            f"{label}: is not a database URL casekit can read; write it as "
            "postgresql://USER@HOST:PORT/DATABASE."
        ) from None
    options: dict[str, Any] = {"connect_timeout": 10, "application_name": "casekit"}
    if readonly:
        options["options"] = "-c default_transaction_read_only=on"
    engine = sa.create_engine(parsed, connect_args=options)

    @sa.event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        orig = context.original_exception
        if isinstance(
            orig,
            psycopg.OperationalError
            | psycopg.errors.ReadOnlySqlTransaction
            | psycopg.errors.InsufficientPrivilege,
        ):
            raise store_error(label, _primary(orig)) from None

    return engine


def _primary(exc: BaseException) -> BaseException | str:
    """Keep a PostgreSQL error's primary message only: its detail may quote record values."""
    primary = getattr(getattr(exc, "diag", None), "message_primary", None)
    return primary or exc


def _wal_of(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def store_error(label: str, exc: BaseException | str) -> CasekitError:
    """Turn a database error into a message a user can act on; record values never appear in it.

    SQLite's and PostgreSQL's alike: a full disk, a read-only store, a damaged file, a file that
    is not a store, a refused login and an unreachable server each get their own advice.
    Nothing was written when this is raised: the transaction rolled back.
    """
    text = str(exc).strip()
    low = text.lower()
    if "full" in low or "no space left" in low:
        return CasekitError(
            f"{label}: the disk is full ({text}), so nothing was written. Free some space on "
            "the disk and try again."
        )
    if "readonly" in low or "read-only" in low:
        return CasekitError(
            f"{label}: the store is read-only here (its file or folder cannot be written, or it "
            "was opened with readonly=True), so nothing was written. Ask for write access, or "
            "work on a copy in a folder you may write to."
        )
    if "malformed" in low or "not a database" in low or "corrupt" in low:
        return CasekitError(
            f"{label}: cannot be opened as a casebook store: it is damaged, or not a store "
            f"at all ({text}). casekit changed nothing; if it is your store, restore it from "
            "your latest backup."
        )
    if "permission denied" in low:
        return CasekitError(
            f"{label}: the database refused this ({text}), so nothing was written. Ask its "
            "administrator for the access you need."
        )
    if "password authentication failed" in low or "no password supplied" in low:
        return CasekitError(
            f"{label}: the database server refused the user name or password (the password "
            "is never shown). Check them, or keep the password in ~/.pgpass rather than in the "
            "URL."
        )
    if "database" in low and "does not exist" in low:
        return CasekitError(
            f"{label}: there is no such database on the server ({text}). Check its name, or "
            "ask the server's administrator to create it (createdb NAME)."
        )
    if "connection to server" in low or "could not translate host name" in low:
        return CasekitError(
            f"{label}: cannot reach the database server ({text}). Check the host and port in "
            "the URL and that the server is running."
        )
    if "unable to open" in low:
        return CasekitError(
            f"{label}: cannot be opened ({text}). Check the path, and that you may read the "
            "file and its folder."
        )
    return CasekitError(f"{label}: the casebook store cannot be used ({text}).")


def refuse_other_databases(engine: sa.Engine, label: str, empty_too: bool = False) -> set[str]:
    """Refuse a database that holds tables but no casebook store; return its tables' names.

    An empty one may become a store (refused too when ``empty_too``); nothing is written.
    """
    names = set(sa.inspect(engine).get_table_names())
    if "_meta" not in names and (names or empty_too):
        empty = "it is empty" if not names else "it holds other tables"
        raise CasekitError(
            f"{label}: is not a casebook store ({empty}). Check the path; a store is made "
            "by 'casekit import BUNDLE --into STORE' or casekit.open()."
        )
    return names


class _StoreIndex:
    """Look references up in the store, inside the current transaction."""

    def __init__(self, conn: sa.Connection, tables: dict[str, sa.Table]):
        self.conn = conn
        self.tables = tables

    def has_table(self, table: str) -> bool:
        return True

    def lookup(self, table: str, values: pd.Series) -> pa.Array:
        t = self.tables[table]
        key = t.c[TABLES[table].id_column]
        case = t.c["case_id"] if "case_id" in t.c else sa.literal("")
        wanted = sorted(set(values.dropna()))
        found: dict[str, str] = {}
        for i in range(0, len(wanted), 500):
            query = sa.select(key, case).where(key.in_(wanted[i : i + 500]))
            found.update({r[0]: r[1] for r in self.conn.execute(query)})
        return pa.array([found.get(v) for v in values], type=pa.large_string())


class _UnionIndex:
    """Look references up in an incoming bundle first, then in the store."""

    def __init__(self, first: FrameIndex, then: _StoreIndex):
        self.first, self.then = first, then

    def has_table(self, table: str) -> bool:
        return True

    def lookup(self, table: str, values: pd.Series) -> pa.Array:
        found = self.first.lookup(table, values) if self.first.has_table(table) else None
        if found is None:
            return self.then.lookup(table, values)
        if found.null_count == 0:
            return found
        return pc.coalesce(found, self.then.lookup(table, values))


def _refused(
    label: str, column: str | None, value: str | None, expected: str, hint: str
) -> WriteRefused:
    """Build the refusal for a write that breaks one rule."""
    return WriteRefused(label, [Problem(label, None, column, value, expected, hint)])


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


class Store:
    """A casebook store: validated writes, full history, and a Casebook view of its contents.

    Open one with :func:`open_store` (``casekit.open``). Each table has its own write methods:
    ``add_event(**fields) -> event_id``, ``update_event(event_id, **changes)`` and
    ``delete_event(event_id, reason=...)``; likewise ``add_case``, ``add_decision``,
    ``add_judgement``, ``add_plan_action``, ``add_info_sharing``, ``add_supervision``,
    ``add_team`` and ``add_worker``. The generic ``add(table, **fields)``, ``update`` and
    ``delete`` do the same for any table.
    """

    def __init__(self, url: str, user: str | None = None, readonly: bool = False):
        """Connect to the store at ``url``, making or upgrading its schema where that is safe.

        The schema is the Alembic chain of :mod:`casekit.store.migrations`. An empty SQLite
        file or PostgreSQL database becomes a store at the chain's head. A SQLite store behind
        the head (an older casekit's, even from before Alembic) is upgraded on opening, in one
        transaction. A PostgreSQL store behind the head is refused with "run 'casekit store
        upgrade URL' as the store's owner". A store newer than this casekit is refused.
        A ``readonly`` store is only read: its schema is checked, never created or changed
        (an older one reads its missing columns as missing), and every write is refused with
        a clear message.
        """
        self.url = url if url.startswith("sqlite") else safe_url(url)  # no password shown
        self.readonly = readonly
        self.user = acting_user(user)
        self._explicit_user = bool(user and user.strip())
        self._access: Access | None = None
        self._db_history = False  # the database writes the history (a guarded PostgreSQL store)
        is_sqlite = url.startswith("sqlite")
        self.postgres = is_postgres(url)
        if is_sqlite:
            self.engine = _sqlite_engine(url, readonly)
        elif self.postgres:
            self.engine = _postgres_engine(url, self.url, readonly)
        else:
            self.engine = _other_engine(url)
        self._meta, self._tables, self._history = _schema()
        self._absent: dict[str, set[str]] = {}  # columns an old store read-only lacks
        try:
            if readonly:
                self._check_is_store(self.engine, strict=True)
                self.forget_access()
                return
            if is_sqlite and Path(url.removeprefix("sqlite:///")).is_file():
                probe = _sqlite_engine(url, readonly=True)  # look before writing anything
                try:
                    self._check_is_store(probe, strict=False)
                finally:
                    probe.dispose()
            if self.postgres:  # never write into a database that holds other tables
                self._check_is_store(self.engine, strict=False)
            with self._begin() as conn:  # PostgreSQL: holding the write lock, so one at a time
                self._bring_to_head(conn)
            self.forget_access()
        except sa.exc.DBAPIError as exc:
            self.engine.dispose()
            raise store_error(self.url.removeprefix("sqlite:///"), exc.orig or exc) from None
        except CasekitError:
            self.engine.dispose()
            raise

    def _bring_to_head(self, conn: sa.Connection) -> None:
        """Make or upgrade the store through the Alembic chain, or refuse, as its backend says.

        A new store (an empty file or database) is made by running the whole chain. A SQLite
        store behind the head is upgraded silently: whoever may write its file owns it. A
        PostgreSQL store behind the head is refused: its schema is changed only by
        ``casekit store upgrade URL``, run by the store's owner, since the roles people
        connect as may not change tables. Nothing is written when this refuses.
        """
        label = self.url.removeprefix("sqlite:///")
        where = migrations.position(conn, label)
        if where.up_to_date:
            return
        if self.postgres and not where.empty:
            raise CasekitError(
                f"{label}: the casebook store is at {where.describe()}, behind this casekit's "
                f"revision {where.head}: run 'casekit store upgrade {label}' as the store's "
                "owner to upgrade it. Nothing was changed."
            )
        migrations.upgrade(conn, label)

    def _check_is_store(self, engine: sa.Engine, strict: bool) -> None:
        """Refuse a database that is not a casebook store (a ``strict`` one must be complete).

        A new, empty file becomes a store when opened for writing; any other database is
        never written into.
        """
        label = self.url.removeprefix("sqlite:///")
        names = refuse_other_databases(engine, label, empty_too=strict)
        missing = [t for t in self._meta.tables if t not in names]
        if strict and missing:
            missing = self._missing_in_new(engine, missing)
        if strict and missing:
            raise CasekitError(
                f"{label}: is an incomplete casebook store (no {', '.join(missing)} table); "
                "open it once with write access to bring it up to date, or restore it from "
                "a backup."
            )
        if strict:
            meta = self._meta.tables["_meta"]
            with engine.connect() as conn:
                migrations.position(conn, label)  # refuses a store newer than this casekit
                version = conn.execute(
                    sa.select(meta.c.value).where(meta.c.key == "schema")
                ).scalar()
            if version in _ADDED_SINCE:  # read as it is: its missing columns read as missing
                inspector = sa.inspect(engine)
                for table, columns in _ADDED_SINCE[version].items():
                    have = {c["name"] for c in inspector.get_columns(table)}
                    self._absent[table] = set(columns) - have

    def _missing_in_new(self, engine: sa.Engine, missing: list[str]) -> list[str]:
        """Leave out of ``missing`` the tables a later schema than the store's added."""
        if "_meta" not in missing:
            meta = self._meta.tables["_meta"]
            with engine.connect() as conn:
                version = conn.execute(
                    sa.select(meta.c.value).where(meta.c.key == "schema")
                ).scalar()
            have = int(str(version)) if str(version).isdigit() else 0  # else refused below
            later = {t for v, ts in _TABLES_ADDED_IN.items() if int(v) > have for t in ts}
            missing = [t for t in missing if t not in later]
        return missing

    @property
    def access(self) -> Access:
        """What the person acting may do here (:mod:`casekit.store.permissions`)."""
        if self._access is None:
            self.forget_access()
        assert self._access is not None
        return self._access

    def forget_access(self) -> None:
        """Look again at who is acting and what they may do (after the users change)."""
        with self.engine.connect() as conn:
            self._access = resolve_access(conn, self.user, self._explicit_user, self.postgres)
        self.user = self._access.name  # a person's own login names them, on PostgreSQL

    def _team_of(self, conn: sa.Connection, case_id: str) -> str | None:
        """Return a case's team, if this person can see it (None: no such case, or hidden)."""
        t = self._tables["cases"]
        found = conn.execute(sa.select(t.c.team_id).where(t.c.case_id == case_id)).scalar()
        return None if found is None else str(found)

    def _permit(self, conn: sa.Connection, table: str, row: dict[str, Any], verb: str) -> None:
        """Refuse a write this person's role or teams do not allow, before anything is written."""
        access = self.access
        if access.everything:
            return
        access.check_write(table, verb)
        case_id = str(row.get("case_id") or "").strip()
        if table in CASE_TABLES and case_id:  # without one, validation says what is missing
            team = row.get("team_id") if table == "cases" else self._team_of(conn, case_id)
            team = None if team is None or str(team).strip() == "" else str(team).strip()
            if table == "cases" and team is None:
                return  # no team given: validation refuses it
            access.check_case(case_id, team, f"{verb} records of")

    def _permit_case(self, case_id: str, action: str = "open_case") -> None:
        """Refuse opening a case outside this person's teams, or by a role that opens none."""
        access = self.access
        if access.everything:
            return
        access.check_action(action)
        with self.engine.connect() as conn:
            team = self._team_of(conn, case_id)
        access.check_case(case_id, team, "open" if action == "open_case" else "export")

    def _visible(self, raws: dict[str, RawTable]) -> dict[str, RawTable]:
        """Keep only the rows of the case tables this person may see (all, without users)."""
        access = self.access
        if access.everything:
            return raws
        access.check_action("review")
        cases = raws["cases"].frame
        seen = cases[cases["team_id"].map(access.sees_team).astype(bool)]
        case_ids = set(seen["case_id"])
        for name in CASE_TABLES:
            frame = raws[name].frame
            keep = frame["case_id"].isin(case_ids) if "case_id" in frame else frame.index < 0
            if not keep.all():
                frame = frame[keep].reset_index(drop=True)
                raws[name] = RawTable(name, frame, raws[name].source, row_word="record")
        return raws

    def __repr__(self) -> str:
        """Show where the store is."""
        return f"Store({self.url!r})"

    def close(self) -> None:
        """Release the store's connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        """Use the store as a context manager that closes it."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the store."""
        self.close()

    # --- writing --------------------------------------------------------------------------------

    def _begin(self) -> Any:
        """Open a write transaction; refuse at once, writing nothing, on a read-only store."""
        if self.readonly:
            label = self.url.removeprefix("sqlite:///")
            refusal = sqlite3.OperationalError("attempt to write a readonly database")
            raise store_error(label, refusal)
        if self.postgres:
            return self._begin_postgres()
        return self.engine.begin()

    @contextlib.contextmanager
    def _begin_postgres(self) -> Iterator[sa.Connection]:
        """Open a PostgreSQL write transaction that first waits for the store's write lock.

        The lock is held until the transaction ends, so writers take turns as SQLite's
        ``BEGIN IMMEDIATE`` makes them: each validates against every write committed before it.
        """
        with self.engine.begin() as conn:
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_WRITE_LOCK)))
            yield conn

    def _history_context(
        self, conn: sa.Connection, by: str | None, reason: str | None = None, op: str = ""
    ) -> None:
        """Tell a guarded PostgreSQL store's history trigger who acts and why, for this write.

        Such a store's history is written by the database (``pgsecurity._history_triggers``),
        so casekit must not write it too: :meth:`_record_history` then writes nothing. The
        settings last until the transaction ends. SQLite and unguarded stores are untouched.
        """
        if not self.postgres:
            return
        if not self._db_history:
            from casekit.store.pgsecurity import history_by_database

            self._db_history = history_by_database(conn)
        if not self._db_history:
            return
        settings = {"casekit.by": by or self.user, "casekit.reason": reason or "", "casekit.op": op}
        for key, value in settings.items():
            conn.execute(sa.select(sa.func.set_config(key, value, True)))

    def _columns(self, table: str, names: list[str] | None = None) -> list[Any]:
        """Select a table's columns (all, or ``names``); a column an old store lacks is NULL."""
        t = self._tables[table]
        absent = self._absent.get(table, set())
        withheld = set(self.access.withheld(table)) if self._access is not None else set()
        names = [c.name for c in t.columns] if names is None else names
        return [
            sa.null().label(n)
            if n in absent or (n in withheld and n == "_extra")
            else sa.literal(WITHHELD).label(n)
            if n in withheld
            else t.c[n]
            for n in names
        ]

    def _spec(self, table: str) -> Table:
        for spec in TABLES.values():
            if table in (spec.name, spec.singular):
                return spec
        hint = did_you_mean(table, list(TABLES))
        raise CasekitError(
            f"there is no table {table!r}; tables are {', '.join(TABLES)}"
            + (f" ({hint})" if hint else "")
        )

    def _validate(
        self, conn: sa.Connection, spec: Table, record: dict[str, object], label: str
    ) -> dict[str, str]:
        unknown = [k for k in record if k not in spec.column_names]
        if unknown:
            problems = [
                Problem(
                    label,
                    None,
                    k,
                    None,
                    f"is not a column of {spec.name}",
                    did_you_mean(k, spec.column_names),
                )
                for k in unknown
            ]
            raise WriteRefused(label, problems)
        cells: dict[str, object] = {c: None for c in spec.column_names}  # absent: empty cell
        cells.update({k: cell_to_str(v) for k, v in record.items()})
        frame = clean_frame(pd.DataFrame([cells], dtype=object), 1)
        raw = RawTable(spec.name, frame, label, row_word="")
        typed, problems = check_table(raw)
        problems += check_references(raw, typed, _StoreIndex(conn, self._tables))
        if problems:
            raise WriteRefused(label, problems)
        row = canonical(typed, spec.name).iloc[0]
        return {c: row[c] for c in spec.column_names}

    def _record_history(
        self,
        conn: sa.Connection,
        spec: Table,
        rid: str,
        op: str,
        data: dict[str, str],
        by: str | None,
        reason: str | None = None,
    ) -> None:
        if self._db_history:  # a guarded PostgreSQL store: its trigger wrote it
            return
        h = self._history
        version = conn.execute(
            sa.select(sa.func.max(h.c.version)).where(
                h.c.table_name == spec.name, h.c.record_id == rid
            )
        ).scalar()
        conn.execute(
            h.insert().values(
                table_name=spec.name,
                record_id=rid,
                version=(version or 0) + 1,
                op=op,
                at=_now(),
                by=by or self.user,
                reason=reason,
                data=json.dumps(data, ensure_ascii=False),
            )
        )

    def _current(self, conn: sa.Connection, spec: Table, rid: str) -> dict[str, Any] | None:
        t = self._tables[spec.name]
        query = sa.select(*self._columns(spec.name)).where(t.c[spec.id_column] == rid)
        row = conn.execute(query).mappings().first()
        return dict(row) if row else None

    def new_id(self, table: str) -> str:
        """Make a fresh id for a record of ``table`` (as :meth:`add` does when none is given)."""
        return f"{self._spec(table).id_prefix}-{uuid.uuid4().hex[:10]}"

    def add(self, table: str, /, *, by: str | None = None, **fields: object) -> str:
        """Validate and add one record; return its id (generated when not given).

        Raises :class:`~casekit.errors.WriteRefused`, writing nothing, when the record breaks
        the contract or refers to a record the store does not hold.
        """
        return self.add_many([(table, fields)], by=by)[0]

    def add_many(
        self, records: list[tuple[str, dict[str, object]]], /, *, by: str | None = None
    ) -> list[str]:
        """Validate and add several records in one transaction: all of them, or none.

        ``records`` are ``(table, fields)`` pairs, added in order, so a later record may refer
        to an earlier one. Returns their ids.
        """
        ids = []
        with self._begin() as conn:
            self._history_context(conn, by)
            for table, given in records:
                spec = self._spec(table)
                fields = dict(given)
                rid = fields.get(spec.id_column)
                rid = self.new_id(table) if rid is None or str(rid).strip() == "" else rid
                rid = str(rid).strip()
                fields[spec.id_column] = rid
                label = f"adding {spec.singular} {rid}"
                h = self._history
                used = conn.execute(
                    sa.select(h.c.seq)
                    .where(h.c.table_name == spec.name, h.c.record_id == rid)
                    .limit(1)
                ).first()
                if not used and self.postgres and not self.access.everything:
                    used = conn.execute(  # ids another team used, which this person cannot see
                        sa.select(sa.func.casekit_id_used(spec.name, rid))
                    ).scalar()
                if used:
                    raise _refused(
                        label,
                        spec.id_column,
                        rid,
                        "is already used in this store (ids are never reused)",
                        "leave the id empty and one is made for you",
                    )
                self._permit(conn, spec.name, fields, "add")
                data = self._validate(conn, spec, fields, label)
                self._permit(conn, spec.name, data, "add")
                conn.execute(self._tables[spec.name].insert().values(**data))
                self._record_history(conn, spec, rid, "add", data, by)
                ids.append(rid)
        return ids

    # --- drafts ---------------------------------------------------------------------------------

    def save_draft(self, key: str, data: dict[str, Any], by: str | None = None) -> None:
        """Keep a draft (any JSON-able dict) under ``key``, replacing the one before.

        In a store with users, each person's drafts are their own: drafts are keyed by
        (writer, key), so two people's drafts under one key are two drafts, and nobody can
        take, or learn of, another's key.
        """
        t = self._meta.tables[_DRAFTS]
        who = (by or self.user) if self.access.everything else self.access.name
        row = {"at": _now(), "by": who, "data": json.dumps(data, ensure_ascii=False)}
        with self._begin() as conn:
            where = self._own_drafts(t.c.key == key, t)
            if conn.execute(t.update().where(where).values(**row)).rowcount == 0:
                conn.execute(t.insert().values(key=key, **row))

    def _own_drafts(self, where: Any, t: sa.Table) -> Any:
        """Limit a drafts query to the acting person's own (in a store with users)."""
        return where if self.access.everything else sa.and_(where, t.c.by == self.access.name)

    def draft(self, key: str) -> dict[str, Any] | None:
        """Return the draft kept under ``key`` (one's own, in a store with users), or None."""
        t = self._meta.tables[_DRAFTS]
        with self.engine.connect() as conn:
            query = sa.select(t.c.data).where(self._own_drafts(t.c.key == key, t))
            text = conn.execute(query).scalar()
        return json.loads(text) if text else None

    def discard_draft(self, key: str) -> None:
        """Remove the draft kept under ``key`` (once its work is saved for good)."""
        t = self._meta.tables[_DRAFTS]
        with self._begin() as conn:
            conn.execute(t.delete().where(self._own_drafts(t.c.key == key, t)))

    def update(
        self, table: str, record_id: str, /, *, by: str | None = None, **changes: object
    ) -> None:
        """Validate and apply changes to one record; the old version stays in its history."""
        spec = self._spec(table)
        label = f"updating {spec.singular} {record_id}"
        if spec.id_column in changes and changes[spec.id_column] != record_id:
            raise _refused(
                label,
                spec.id_column,
                None,
                "cannot be changed",
                "add a new record and delete this one",
            )
        with self._begin() as conn:
            self._history_context(conn, by)
            current = self._current(conn, spec, record_id)
            if current is None:
                raise CasekitError(f"{label}: there is no {spec.singular} {record_id!r}.")
            self._permit(conn, spec.name, current, "change")
            current.pop("_extra", None)
            merged = {k: v for k, v in current.items() if v not in (None, "")}
            merged.update(changes)
            data = self._validate(conn, spec, merged, label)
            self._permit(conn, spec.name, data, "change")
            t = self._tables[spec.name]
            conn.execute(t.update().where(t.c[spec.id_column] == record_id).values(**data))
            self._record_history(conn, spec, record_id, "update", data, by)

    def delete(self, table: str, record_id: str, /, *, reason: str, by: str | None = None) -> None:
        """Delete one record, giving a reason; it stays in the history and can be restored."""
        spec = self._spec(table)
        label = f"deleting {spec.singular} {record_id}"
        if not reason or not str(reason).strip():
            raise _refused(label, "reason", None, "is required", "say why the record is deleted")
        with self._begin() as conn:
            self._history_context(conn, by, str(reason))
            current = self._current(conn, spec, record_id)
            if current is None:
                raise CasekitError(f"{label}: there is no {spec.singular} {record_id!r}.")
            self._permit(conn, spec.name, current, "delete")
            users = self._referenced_by(conn, spec, record_id)
            if users:
                more = f" and {len(users) - 10} more" if len(users) > 10 else ""
                raise _refused(
                    label,
                    None,
                    None,
                    f"is still used by {', '.join(users[:10])}{more}",
                    "change or delete those records first",
                )
            t = self._tables[spec.name]
            conn.execute(t.delete().where(t.c[spec.id_column] == record_id))
            current.pop("_extra", None)
            self._record_history(conn, spec, record_id, "delete", current, by, str(reason))

    # --- one add / update / delete per table, each a thin call to the generic method ---------

    def add_team(self, /, *, by: str | None = None, **fields: object) -> str:
        """Validate and add one team; return its ``team_id``.

        Same as ``add("teams", **fields)``: see :meth:`add`.
        """
        return self.add("teams", by=by, **fields)

    def update_team(self, record_id: str, /, *, by: str | None = None, **changes: object) -> None:
        """Validate and change one team; the old version stays in its history.

        Same as ``update("teams", record_id, **changes)``: see :meth:`update`.
        """
        self.update("teams", record_id, by=by, **changes)

    def delete_team(self, record_id: str, /, *, reason: str, by: str | None = None) -> None:
        """Delete one team, giving a reason; the record stays in its history.

        Same as ``delete("teams", record_id, reason=...)``: see :meth:`delete`.
        """
        self.delete("teams", record_id, reason=reason, by=by)

    def add_worker(self, /, *, by: str | None = None, **fields: object) -> str:
        """Validate and add one worker; return its ``worker_id``.

        Same as ``add("workers", **fields)``: see :meth:`add`.
        """
        return self.add("workers", by=by, **fields)

    def update_worker(self, record_id: str, /, *, by: str | None = None, **changes: object) -> None:
        """Validate and change one worker; the old version stays in its history.

        Same as ``update("workers", record_id, **changes)``: see :meth:`update`.
        """
        self.update("workers", record_id, by=by, **changes)

    def delete_worker(self, record_id: str, /, *, reason: str, by: str | None = None) -> None:
        """Delete one worker, giving a reason; the record stays in its history.

        Same as ``delete("workers", record_id, reason=...)``: see :meth:`delete`.
        """
        self.delete("workers", record_id, reason=reason, by=by)

    def add_case(self, /, *, by: str | None = None, **fields: object) -> str:
        """Validate and add one case; return its ``case_id``.

        Same as ``add("cases", **fields)``: see :meth:`add`.
        """
        return self.add("cases", by=by, **fields)

    def update_case(self, record_id: str, /, *, by: str | None = None, **changes: object) -> None:
        """Validate and change one case; the old version stays in its history.

        Same as ``update("cases", record_id, **changes)``: see :meth:`update`.
        """
        self.update("cases", record_id, by=by, **changes)

    def delete_case(self, record_id: str, /, *, reason: str, by: str | None = None) -> None:
        """Delete one case, giving a reason; the record stays in its history.

        Same as ``delete("cases", record_id, reason=...)``: see :meth:`delete`.
        """
        self.delete("cases", record_id, reason=reason, by=by)

    def add_event(self, /, *, by: str | None = None, **fields: object) -> str:
        """Validate and add one event; return its ``event_id``.

        Same as ``add("events", **fields)``: see :meth:`add`.
        """
        return self.add("events", by=by, **fields)

    def update_event(self, record_id: str, /, *, by: str | None = None, **changes: object) -> None:
        """Validate and change one event; the old version stays in its history.

        Same as ``update("events", record_id, **changes)``: see :meth:`update`.
        """
        self.update("events", record_id, by=by, **changes)

    def delete_event(self, record_id: str, /, *, reason: str, by: str | None = None) -> None:
        """Delete one event, giving a reason; the record stays in its history.

        Same as ``delete("events", record_id, reason=...)``: see :meth:`delete`.
        """
        self.delete("events", record_id, reason=reason, by=by)

    def add_judgement(self, /, *, by: str | None = None, **fields: object) -> str:
        """Validate and add one judgement; return its ``judgement_id``.

        Same as ``add("judgements", **fields)``: see :meth:`add`.
        """
        return self.add("judgements", by=by, **fields)

    def update_judgement(
        self, record_id: str, /, *, by: str | None = None, **changes: object
    ) -> None:
        """Validate and change one judgement; the old version stays in its history.

        Same as ``update("judgements", record_id, **changes)``: see :meth:`update`.
        """
        self.update("judgements", record_id, by=by, **changes)

    def delete_judgement(self, record_id: str, /, *, reason: str, by: str | None = None) -> None:
        """Delete one judgement, giving a reason; the record stays in its history.

        Same as ``delete("judgements", record_id, reason=...)``: see :meth:`delete`.
        """
        self.delete("judgements", record_id, reason=reason, by=by)

    def add_decision(self, /, *, by: str | None = None, **fields: object) -> str:
        """Validate and add one decision; return its ``decision_id``.

        Same as ``add("decisions", **fields)``: see :meth:`add`.
        """
        return self.add("decisions", by=by, **fields)

    def update_decision(
        self, record_id: str, /, *, by: str | None = None, **changes: object
    ) -> None:
        """Validate and change one decision; the old version stays in its history.

        Same as ``update("decisions", record_id, **changes)``: see :meth:`update`.
        """
        self.update("decisions", record_id, by=by, **changes)

    def delete_decision(self, record_id: str, /, *, reason: str, by: str | None = None) -> None:
        """Delete one decision, giving a reason; the record stays in its history.

        Same as ``delete("decisions", record_id, reason=...)``: see :meth:`delete`.
        """
        self.delete("decisions", record_id, reason=reason, by=by)

    def add_plan_action(self, /, *, by: str | None = None, **fields: object) -> str:
        """Validate and add one plan action; return its ``action_id``.

        Same as ``add("plan_actions", **fields)``: see :meth:`add`.
        """
        return self.add("plan_actions", by=by, **fields)

    def update_plan_action(
        self, record_id: str, /, *, by: str | None = None, **changes: object
    ) -> None:
        """Validate and change one plan action; the old version stays in its history.

        Same as ``update("plan_actions", record_id, **changes)``: see :meth:`update`.
        """
        self.update("plan_actions", record_id, by=by, **changes)

    def delete_plan_action(self, record_id: str, /, *, reason: str, by: str | None = None) -> None:
        """Delete one plan action, giving a reason; the record stays in its history.

        Same as ``delete("plan_actions", record_id, reason=...)``: see :meth:`delete`.
        """
        self.delete("plan_actions", record_id, reason=reason, by=by)

    def add_info_sharing(self, /, *, by: str | None = None, **fields: object) -> str:
        """Validate and add one information-sharing record; return its ``share_id``.

        Same as ``add("info_sharing", **fields)``: see :meth:`add`.
        """
        return self.add("info_sharing", by=by, **fields)

    def update_info_sharing(
        self, record_id: str, /, *, by: str | None = None, **changes: object
    ) -> None:
        """Validate and change one information-sharing record; the old version stays in its history.

        Same as ``update("info_sharing", record_id, **changes)``: see :meth:`update`.
        """
        self.update("info_sharing", record_id, by=by, **changes)

    def delete_info_sharing(self, record_id: str, /, *, reason: str, by: str | None = None) -> None:
        """Delete one information-sharing record, giving a reason; the record stays in its history.

        Same as ``delete("info_sharing", record_id, reason=...)``: see :meth:`delete`.
        """
        self.delete("info_sharing", record_id, reason=reason, by=by)

    def add_supervision(self, /, *, by: str | None = None, **fields: object) -> str:
        """Validate and add one supervision; return its ``supervision_id``.

        Same as ``add("supervisions", **fields)``: see :meth:`add`.
        """
        return self.add("supervisions", by=by, **fields)

    def update_supervision(
        self, record_id: str, /, *, by: str | None = None, **changes: object
    ) -> None:
        """Validate and change one supervision; the old version stays in its history.

        Same as ``update("supervisions", record_id, **changes)``: see :meth:`update`.
        """
        self.update("supervisions", record_id, by=by, **changes)

    def delete_supervision(self, record_id: str, /, *, reason: str, by: str | None = None) -> None:
        """Delete one supervision, giving a reason; the record stays in its history.

        Same as ``delete("supervisions", record_id, reason=...)``: see :meth:`delete`.
        """
        self.delete("supervisions", record_id, reason=reason, by=by)

    def _referenced_by(self, conn: sa.Connection, spec: Table, rid: str) -> list[str]:
        users: list[str] = []
        for other in TABLES.values():
            t = self._tables[other.name]
            for col in other.of_kind("ref", "ids"):
                if col.references != spec.name:
                    continue
                c = t.c[col.name]
                cond = (
                    (c == rid)
                    if col.kind == "ref"
                    else ((sa.literal(";") + c + sa.literal(";")).like(f"%;{rid};%"))
                )
                for (uid,) in conn.execute(sa.select(t.c[other.id_column]).where(cond)):
                    users.append(f"{other.singular} {uid}")
        return users

    # --- reading --------------------------------------------------------------------------------

    def history(self, record_id: str, table: str | None = None) -> pd.DataFrame:
        """Return every version of a record, oldest first: who, when, what and why.

        Columns: ``table``, ``record_id``, ``version``, ``op`` (add, update, delete, import),
        ``at`` (UTC), ``by``, ``reason``, then the record's fields as they were.
        """
        h = self._history
        self.access.check_history()
        query = sa.select(h).where(h.c.record_id == str(record_id)).order_by(h.c.seq)
        if table is not None:
            query = query.where(h.c.table_name == self._spec(table).name)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
            if not self.access.everything:
                rows = [r for r in rows if self._history_seen(conn, r["table_name"], r["data"])]
        records = [
            {
                "table": r["table_name"],
                "record_id": r["record_id"],
                "version": r["version"],
                "op": r["op"],
                "at": r["at"],
                "by": r["by"],
                "reason": r["reason"],
                **json.loads(r["data"]),
            }
            for r in rows
        ]
        return pd.DataFrame(
            records,
            columns=None
            if records
            else ["table", "record_id", "version", "op", "at", "by", "reason"],
        )

    def _history_seen(self, conn: sa.Connection, table: str, data: str) -> bool:
        """Tell whether this person may read a version of a record (its case in their teams)."""
        access = self.access
        if table in CASE_TABLES:
            record = json.loads(data)
            team = record.get("team_id") if table == "cases" else None
            if table != "cases":
                team = self._team_of(conn, str(record.get("case_id")))
            return access.sees_team(team)
        if table in TABLES:
            return access.role != ""
        return access.role == "admin"

    def _permit_import(self, conn: sa.Connection, strings: dict[str, pd.DataFrame]) -> None:
        """Refuse an import holding any record this person may not write (their teams only)."""
        access = self.access
        if access.everything:
            return
        incoming = strings.get("cases")
        teams = (
            {}
            if incoming is None
            else dict(zip(incoming["case_id"], incoming["team_id"], strict=True))
        )
        for table, frame in strings.items():
            if frame.empty:
                continue
            access.check_write(table, "import")
            if table not in CASE_TABLES:
                continue
            for case_id in sorted(set(frame["case_id"])):
                team = teams[case_id] if case_id in teams else self._team_of(conn, case_id)
                access.check_case(case_id, team, "import records of")

    def get(self, table: str, record_id: str) -> dict[str, str]:
        """Return one current record as canonical strings ("" for missing)."""
        spec = self._spec(table)
        with self.engine.connect() as conn:
            row = self._current(conn, spec, record_id)
        if row is None and spec.name == "cases" and not self.access.everything:
            self.access.check_case(record_id, None)  # hidden, or not there: not theirs either way
        if row is None:
            raise CasekitError(f"there is no {spec.singular} {record_id!r}.")
        if spec.name in CASE_TABLES:
            self._permit_case(str(row["case_id"]))
        return {c: row[c] or "" for c in spec.column_names}

    def case_rows(self, table: str, case_id: str) -> pd.DataFrame:
        """Return one case's current records of a table as canonical strings, in entry order."""
        spec = self._spec(table)
        self._permit_case(case_id)
        t = self._tables[spec.name]
        columns = self._columns(spec.name, list(spec.column_names))
        query = sa.select(*columns).where(t.c["case_id"] == case_id)
        if self.postgres:  # SQLite gives its rows in entry order; PostgreSQL must be told
            query = self._in_entry_order(query, spec.name)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return pd.DataFrame(rows, columns=list(spec.column_names), dtype=object).fillna("")

    def case_casebook(self, case_id: str) -> Casebook:
        """Return one case's records, typed as in a Casebook, without loading the whole store."""
        tables = {}
        for name, spec in TABLES.items():
            if "case_id" not in spec.column_names:
                continue
            rows = self.case_rows(name, case_id)
            tables[name], _ = check_rows(name, rows, name, first_row=1, row_word="record")
        if tables["cases"].empty:
            raise CasekitError(f"there is no case {case_id!r} in {self.url}.")
        return Casebook(tables, f"{self.url} (case {case_id})")

    def raw_tables(self) -> dict[str, RawTable]:
        """Read every table's canonical strings, in insertion order, as raw tables."""
        raws = {}
        with self.engine.connect() as conn:
            for name in TABLE_ORDER:
                query = sa.select(*self._columns(name))
                if self.url.startswith("sqlite"):
                    query = query.order_by(sa.text("rowid"))
                elif self.postgres:
                    query = self._in_entry_order(query, name)
                frame = pd.read_sql(query, conn, dtype=object)
                extra = frame.pop("_extra")
                if extra.notna().any():
                    extras = pd.DataFrame(
                        [json.loads(e) if isinstance(e, str) and e else {} for e in extra],
                        index=frame.index,
                        dtype=object,
                    )
                    frame = pd.concat([frame, extras], axis=1)
                frame = clean_frame(frame, 1)
                raws[name] = RawTable(name, frame, f"{name} (store)", row_word="record")
        return self._visible(raws)

    def _in_entry_order(self, query: sa.Select[Any], table: str) -> sa.Select[Any]:
        """Order a query of one table's records by when each was first written (its history).

        A record's first version is its only version 1, since ids are never reused.
        """
        h, t = self._history, self._tables[table]
        first = (
            sa.select(h.c.record_id, h.c.seq.label("first"))
            .where(h.c.table_name == table, h.c.version == 1)
            .subquery()
        )
        key = t.c[TABLES[table].id_column]
        return query.select_from(t.outerjoin(first, first.c.record_id == key)).order_by(
            first.c.first, key
        )

    def casebook(self, today: dt.date | None = None) -> Casebook:
        """Return the store's current contents as a validated Casebook."""
        return from_raw(self.raw_tables(), self.url, today=today)

    def counts(self) -> dict[str, int]:
        """Count the current records in each table (those this person may see)."""
        if not self.access.everything:
            return {name: len(raw.frame) for name, raw in self.raw_tables().items()}
        with self.engine.connect() as conn:
            return {
                n: conn.execute(
                    sa.select(sa.func.count()).select_from(self._tables[n])
                ).scalar_one()
                for n in TABLE_ORDER
            }

    def last_change(self) -> int:
        """Return the number of the latest change in the store's history (0 if none yet).

        Every write (adds, updates and deletes alike) records a change, so a higher number means
        the store changed; a reader uses it to tell whether what it loaded is still current.
        """
        with self.engine.connect() as conn:
            latest = conn.execute(sa.select(sa.func.max(self._history.c.seq))).scalar()
        return int(latest or 0)

    # --- the access log -----------------------------------------------------------------------

    def log_access(
        self,
        action: str,
        case_id: str | None = None,
        *,
        detail: str | None = None,
        reason: str | None = None,
        by: str | None = None,
    ) -> int:
        """Append one entry to the access log (who, when, what, why); return its id.

        ``action`` is one of :data:`casekit.store.audit.ACTIONS`. An entry can never be
        changed or deleted: the database refuses it. Refused, writing nothing, on a read-only
        store: an access that cannot be logged should not happen.
        """
        row = check_action(action, case_id, detail, reason)
        who = acting_user(by) if by and by.strip() else self.user  # a name given is checked too
        if not self.access.everything:
            if case_id is not None:
                self._permit_case(case_id, action)
            else:
                self.access.check_action(action)
            who = self.access.name  # a person is logged as who they are, never another
        if self.readonly:
            raise CasekitError(
                f"{self.url.removeprefix('sqlite:///')}: the store is read-only here, so this "
                f"access ({action}) cannot be written to its access log, and casekit does not "
                "do what it cannot log. Nothing was written. Ask for write access to the store."
            )
        with self._begin() as conn:
            if self._absent_log(conn):
                raise CasekitError(
                    f"{self.url.removeprefix('sqlite:///')}: this store has no access log "
                    "yet (an older schema); open it once with write access to upgrade it."
                )
            log = self._meta.tables[ACCESS_LOG]
            result = conn.execute(log.insert().values(at=_now(), user=who, **row))
            return int(result.inserted_primary_key[0])

    def _absent_log(self, conn: sa.Connection) -> bool:
        return ACCESS_LOG not in sa.inspect(conn).get_table_names()

    def access_log(
        self,
        case_id: str | None = None,
        user: str | None = None,
        since: dt.date | None = None,
    ) -> pd.DataFrame:
        """Return the access log's entries, oldest first, for one case, one user, or all.

        Columns: ``id``, ``at`` (UTC), ``user``, ``action``, ``case_id``, ``detail``,
        ``reason``; ``since`` keeps the entries on or after that day (UTC). A store of an
        older schema, read-only, has no log: its log is empty.
        """
        with self.engine.connect() as conn:
            if self._absent_log(conn):
                return read_access_log(None, self._meta.tables[ACCESS_LOG], case_id, user, since)
            log = read_access_log(conn, self._meta.tables[ACCESS_LOG], case_id, user, since)
            access = self.access
            if access.everything or access.role == "admin":
                return log
            if access.role == "":
                access.check_action("review")  # says this name is not a user of the store
            teams = {c: self._team_of(conn, c) for c in set(log["case_id"].dropna())}
            seen = log["case_id"].map(lambda c: access.sees_team(teams.get(c)))
            keep = (log["user"] == access.name) | seen.astype(bool)
            return log[keep].reset_index(drop=True)

    # --- bulk import ----------------------------------------------------------------------------

    def import_casebook(self, casebook: Casebook, by: str | None = None) -> dict[str, int]:
        """Add every record of a validated Casebook in one transaction; return counts per table.

        Refused, writing nothing, when any id is already in the store or a reference resolves
        neither in the bundle nor in the store.
        """
        strings = casebook.canonical()
        present = {t: casebook.tables[t] for t in strings}
        at, who = _now(), by or self.user
        with self._begin() as conn:
            self._history_context(conn, who, op="import")
            self._permit_import(conn, strings)  # before the checks that would hide whose it is
            problems: list[Problem] = []
            index = _UnionIndex(FrameIndex(present), _StoreIndex(conn, self._tables))
            for table, frame in strings.items():
                spec = TABLES[table]
                ids = set(frame[spec.id_column])
                h = self._history
                taken: set[str] = set()
                chunk = sorted(ids)
                for i in range(0, len(chunk), 500):
                    taken |= set(
                        conn.execute(
                            sa.select(h.c.record_id).where(
                                h.c.table_name == table, h.c.record_id.in_(chunk[i : i + 500])
                            )
                        ).scalars()
                    )
                problems += [
                    Problem(
                        f"{table} (import)",
                        None,
                        spec.id_column,
                        i,
                        "is already in the store",
                        "import into a new store, or give the records new ids",
                    )
                    for i in sorted(taken)
                ]
                raw = RawTable(table, present[table], f"{table} (import)", row_word="record")
                problems += check_references(raw, present[table], index)
            if problems:
                raise WriteRefused(f"importing {casebook.source}", problems)
            counts = {}
            for table, frame in strings.items():
                if frame.empty:
                    continue
                spec = TABLES[table]
                contract = list(spec.column_names)
                extras = [c for c in frame.columns if c not in contract]
                rows = frame[contract].to_dict("records")
                if extras:
                    for row, extra in zip(rows, frame[extras].to_dict("records"), strict=True):
                        row["_extra"] = json.dumps(extra, ensure_ascii=False)
                self._insert_rows(conn, self._tables[table], rows)
                if self._db_history:  # a guarded store: its trigger wrote them
                    counts[table] = len(rows)
                    continue
                self._insert_rows(
                    conn,
                    self._history,
                    [
                        {
                            "table_name": table,
                            "record_id": r[spec.id_column],
                            "version": 1,
                            "op": "import",
                            "at": at,
                            "by": who,
                            "reason": None,
                            "data": json.dumps({c: r[c] for c in contract}, ensure_ascii=False),
                        }
                        for r in rows
                    ],
                )
                counts[table] = len(rows)
        return counts

    def _row_security(self, conn: sa.Connection, table: str) -> bool:
        """Tell whether PostgreSQL's row-level security applies to this login on ``table``."""
        active = conn.execute(sa.select(sa.func.row_security_active(table))).scalar()
        return bool(active)

    def _insert_rows(self, conn: sa.Connection, table: sa.Table, rows: list[Any]) -> None:
        """Insert many rows in the caller's transaction: with COPY on PostgreSQL, else in bulk.

        A column a row leaves out is written empty (NULL); on PostgreSQL an autoincrementing
        key (the history's ``seq``) is left to its sequence, which numbers rows in order.
        """
        if not self.postgres or self._row_security(conn, table.name):
            conn.execute(table.insert(), rows)  # PostgreSQL refuses COPY under row security
            return
        columns = [c.name for c in table.columns if not (c.primary_key and c.autoincrement is True)]
        quote = conn.dialect.identifier_preparer.quote
        statement = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        import psycopg

        driver = conn.connection.driver_connection
        assert driver is not None
        try:
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row([row.get(c) for c in columns])
        except psycopg.Error as exc:  # past SQLAlchemy, so mapped here; the caller rolls back
            raise store_error(self.url, _primary(exc)) from None


def open_store(
    path_or_url: str | Path,
    user: str | None = None,
    create: bool = True,
    readonly: bool | None = None,
) -> Store:
    """Open (or create) a casebook store at a file path or SQLAlchemy URL.

    A plain path is a SQLite file; ``postgresql://user@host/db`` is a PostgreSQL database (its
    password best kept in ``~/.pgpass``; one in the URL is never shown). With ``create=False``
    a missing file, or a database that holds no store, is an error rather than a new, empty
    store. ``readonly=True`` opens an existing store only to read it (nothing is ever written,
    not even its schema); by default a store whose file or folder cannot be written (a
    read-only mount, say) is opened read-only.
    """
    text = str(path_or_url)
    if "://" in text and is_postgres(text):
        if not create and not readonly:  # a database that is not a store yet stays untouched
            Store(text, user, readonly=True).close()
        return Store(text, user, readonly=bool(readonly))
    if "://" in text:
        database = sa.engine.make_url(text).database if text.startswith("sqlite") else None
        if (
            create
            and not readonly
            and database
            and database != ":memory:"
            and Path(database).parent.is_dir()
        ):
            _create_private(Path(database))  # a SQLite URL's file is private too
        return Store(text, user, readonly=bool(readonly))
    if text == ":memory:":
        return Store("sqlite://", user)
    path = Path(text).expanduser().resolve()
    if path.exists() and not path.is_file():
        raise CasekitError(f"{path_or_url}: is a folder, not a casebook store file.")
    if path.exists() and readonly is None:
        readonly = not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))
    if not path.exists():
        if is_conninfo(text):
            raise CasekitError(conninfo_refusal("the store", text))
        if not create or readonly:
            raise CasekitError(f"{path_or_url}: no such casebook store.")
        if not path.parent.exists():
            raise CasekitError(
                f"{path_or_url}: the folder {path.parent} does not exist. Create it first."
            )
        _create_private(path)
    return Store(f"sqlite:///{path}", user, readonly=bool(readonly))


def _create_private(path: Path) -> None:
    """Create an empty store file 0600 before SQLite opens it, never through a symlink.

    SQLite gives the ``-wal`` and ``-shm`` files the database file's mode, so they are private
    too, whatever the umask.
    """
    from casekit.outputs import NOFOLLOW, make_private

    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, 0o600)
    except FileExistsError:  # made meanwhile, or a dangling symlink: SQLite opens what is there
        return
    os.close(fd)
    make_private(path)
