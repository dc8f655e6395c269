"""Upgrading a casebook store's schema by hand: what ``casekit store upgrade`` does.

:func:`upgrade_store` brings a SQLite store or a PostgreSQL database to the head of the Alembic
chain (:mod:`casekit.store.migrations`) in one transaction, and says what it did; an empty
database becomes a new store. :func:`store_position` only reads where a store is. Both refuse a
database that is not a casebook store and a store newer than this casekit, and never show a
password. A PostgreSQL store is upgraded holding the store's write lock, so no write is half
way through meanwhile; run it as the store's owner (the role that may change its tables).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from casekit.errors import CasekitError, conninfo_refusal, is_conninfo
from casekit.store import migrations
from casekit.store.db import (
    _WRITE_LOCK,
    _postgres_engine,
    _primary,
    _sqlite_engine,
    is_postgres,
    refuse_other_databases,
    safe_url,
    store_error,
)

__all__ = ["Upgrade", "store_position", "upgrade_store"]


@dataclass(frozen=True)
class Upgrade:
    """What an upgrade did: where the store was, and the revision it is at now."""

    store: str
    """The store, as it may be shown (a path, or the URL without its password)."""
    before: migrations.Position
    after: str

    def message(self) -> str:
        """Say what was done, in one line: 'upgraded from X to Y', 'already up to date'."""
        if self.before.up_to_date:
            return f"{self.store}: already up to date (revision {self.after})."
        if self.before.empty:
            return f"{self.store}: made a new casebook store at revision {self.after}."
        return f"{self.store}: upgraded from {self.before.describe()} to revision {self.after}."


def _target(path_or_url: str | Path) -> tuple[str, str, bool]:
    """Return the store's SQLAlchemy URL, its label (no password) and whether it is PostgreSQL.

    A SQLite store must already exist: an upgrade never makes a file.
    """
    text = str(path_or_url).strip()
    if not text:
        raise CasekitError("name the store: a .sqlite path or a postgresql:// URL.")
    if "://" in text:
        if is_postgres(text):  # an unreadable URL is refused when its engine is made
            return text, safe_url(text), True
        if not text.startswith("sqlite:///"):
            raise CasekitError(
                f"{safe_url(text)}: a casebook store is a SQLite file or a PostgreSQL database "
                "(postgresql://USER@HOST/DATABASE)."
            )
        text = text.removeprefix("sqlite:///")
    path = Path(text).expanduser()
    if not path.exists() and is_conninfo(text):
        raise CasekitError(conninfo_refusal("the store", text))
    if not path.is_file():
        what = "is a folder, not a casebook store file" if path.is_dir() else "no such file"
        raise CasekitError(f"{text}: {what}. Check the path of the store.")
    return f"sqlite:///{path.resolve()}", text, False


@contextmanager
def _engine(url: str, label: str, postgres: bool, readonly: bool) -> Iterator[sa.Engine]:
    """Open the store's engine (errors mapped for users), refusing other databases first."""
    if postgres:
        engine = _postgres_engine(url, label, readonly)
    else:  # look read-only before writing anything, as opening a store does
        probe = _sqlite_engine(url, readonly=True)
        try:
            refuse_other_databases(probe, label)
        finally:
            probe.dispose()
        engine = _sqlite_engine(url, readonly)
    try:
        refuse_other_databases(engine, label)
        yield engine
    except sa.exc.DBAPIError as exc:
        raise store_error(label, _primary(exc.orig or exc)) from None
    finally:
        engine.dispose()


def store_position(path_or_url: str | Path) -> tuple[str, migrations.Position]:
    """Return a store's label and where it is on the chain, only reading it."""
    url, label, postgres = _target(path_or_url)
    with _engine(url, label, postgres, readonly=True) as engine, engine.connect() as conn:
        return label, migrations.position(conn, label)


def upgrade_store(path_or_url: str | Path, extra: Sequence[Path] = ()) -> Upgrade:
    """Bring a store to the head of the chain in one transaction, and say what was done.

    A store from before Alembic is stamped with its schema's revision first; an empty database
    becomes a new store. When any step fails, the transaction rolls back and the store is left
    exactly as it was; the message says so. ``extra`` (tests only) adds revision folders.
    """
    url, label, postgres = _target(path_or_url)
    with _engine(url, label, postgres, readonly=False) as engine, engine.begin() as conn:
        if postgres:  # writers wait, as for any write to the store
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_WRITE_LOCK)))
        before = migrations.position(conn, label, extra)
        top = migrations.head(extra)
        try:
            migrations.upgrade(conn, label, extra)
        except (sa.exc.DBAPIError, CasekitError) as exc:
            if isinstance(exc, sa.exc.DBAPIError):
                why = f"{_primary(exc.orig or exc)}."
            else:  # already a message for people: said once, without the store again
                why = str(exc).removeprefix(f"{label}: ")
            owner = (
                " Run it as the store's owner (the role that owns its tables)."
                if postgres and ("permission denied" in why or "must be owner" in why)
                else ""
            )
            raise CasekitError(
                f"{label}: upgrading the store from {before.describe()} to revision {top} "
                f"failed, so nothing was changed: it is still at {before.describe()}. "
                f"Why: {why}{owner}"
            ) from None
        return Upgrade(label, before, top)
