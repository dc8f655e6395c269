"""The store's schema as one chain of Alembic revisions, shared by SQLite and PostgreSQL.

Every casebook store, on either backend, is made and upgraded by the same revisions in
``versions/``, run by :func:`upgrade` on casekit's own connection (no ``alembic.ini``: the
Alembic environment is ``env.py`` here, configured in code by :func:`config`). Alembic keeps the
store's revision in its ``alembic_version`` table. A new store is made by running the chain from
the start to its head, inside one transaction, so a failure leaves nothing behind.

Stores made before Alembic (casekit 0.2 and earlier) have no ``alembic_version``: their
``_meta`` table's ``schema`` (1, 2, 3 or 4) names where they are. :func:`upgrade` recognises
one, stamps it with the revision that made that schema (each revision names it in ``SCHEMA``)
and runs the rest of the chain, in the same transaction. Every revision also writes its
``SCHEMA`` into ``_meta``, so a casekit from before Alembic refuses a store newer than it knows
("schema 5, but this casekit reads 4") rather than writing into it.

When migrations run (see :class:`casekit.store.db.Store`): a SQLite store opened for writing
is brought to the head silently (its owner is the one opening it); a PostgreSQL store behind
the head is refused on opening, with "run 'casekit store upgrade URL' as the store's owner",
since people connect as roles that may not change tables; an empty PostgreSQL database is made
a store by ``casekit store upgrade`` or its first opening. A store newer than this casekit (a
revision it does not know) is refused everywhere: upgrade casekit.

How to add a revision
---------------------
1. Add ``versions/revNNNN_what_it_does.py`` (the next number), copying the newest one's
   header: ``revision = "NNNN"``, ``down_revision`` = the newest revision so far, and
   ``SCHEMA = "N"`` (the next number again). Or generate the file with
   ``python -c "from alembic import command; from casekit.store.migrations import config;
   command.revision(config(), 'what it does', rev_id='NNNN')"``.
2. Write ``upgrade()`` with Alembic's ``op``, for SQLite and PostgreSQL alike: create tables
   with ``op.create_table``; change a table's columns inside ``with
   op.batch_alter_table(name) as batch:`` (batch mode is how SQLite alters a table: Alembic
   copies it when ALTER cannot do the change); branch on ``op.get_bind().dialect.name`` for
   what only one backend has (row-level security, say). Never drop a column or table that
   holds records, and write literal names rather than importing today's schema, so that the
   revision means the same in a year. End with ``mark_schema(SCHEMA)``.
3. ``downgrade()`` calls :func:`no_downgrade`: casekit never downgrades a store (restore a
   backup instead).
4. Change the live schema to match: ``_schema()`` and ``SCHEMA_VERSION`` in
   ``casekit/store/db.py`` (and ``TABLES_ADDED_IN`` or ``_ADDED_IN`` there when a table or a
   contract column arrives, so a read-only store behind the head still reads).
   ``tests/test_migrations.py`` checks, on SQLite and PostgreSQL, that the head of the chain
   matches ``_schema()`` exactly (Alembic's ``compare_metadata``), so the two cannot drift.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from casekit.errors import CasekitError

__all__ = [
    "HERE",
    "VERSION_TABLE",
    "Position",
    "add_missing_columns",
    "config",
    "head",
    "mark_schema",
    "no_downgrade",
    "position",
    "upgrade",
]

HERE = Path(__file__).resolve().parent
VERSION_TABLE = "alembic_version"


def config(extra: Sequence[Path] = ()) -> Config:
    """Return the Alembic configuration of the store's chain (``extra`` revision folders too).

    ``extra`` is for tests: a folder of revisions that continue the chain.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    locations = [HERE / "versions", *(Path(p) for p in extra)]
    cfg.set_main_option("version_locations", " ".join(str(p) for p in locations))
    cfg.set_main_option("path_separator", "space")
    cfg.set_main_option("file_template", "rev%%(rev)s_%%(slug)s")
    return cfg


@functools.lru_cache(maxsize=8)
def _script(extra: tuple[Path, ...] = ()) -> ScriptDirectory:
    return ScriptDirectory.from_config(config(extra))


def head(extra: Sequence[Path] = ()) -> str:
    """Return the revision at the head of the chain (the schema this casekit writes)."""
    found = _script(tuple(extra)).get_current_head()
    assert found is not None, "the chain of store revisions is empty"
    return found


def _schemas(extra: tuple[Path, ...]) -> dict[str, str]:
    """Map each revision to the ``_meta`` schema it writes, oldest first."""
    script = _script(extra)
    revisions = list(reversed(list(script.walk_revisions())))
    return {s.revision: str(getattr(s.module, "SCHEMA", "")) for s in revisions}


@dataclass(frozen=True)
class Position:
    """Where a database is on the chain: a revision, a schema from before Alembic, or empty."""

    revision: str | None
    """The store's Alembic revision; None when it is not on the chain (yet)."""
    legacy: str | None
    """The ``_meta`` schema of a store from before Alembic (not on the chain yet), else None."""
    head: str
    """The head of this casekit's chain."""
    empty: bool
    """True when the database holds no table at all: it becomes a store at the head."""

    @property
    def up_to_date(self) -> bool:
        """Tell whether the store is at the head of the chain."""
        return self.revision == self.head

    def describe(self) -> str:
        """Say where the store is, for a person: 'revision 0003', 'store schema 2 (...)'."""
        if self.revision is not None:
            return f"revision {self.revision}"
        if self.legacy is not None:
            return f"store schema {self.legacy} (from before Alembic)"
        return "an empty database"


def position(conn: sa.Connection, label: str, extra: Sequence[Path] = ()) -> Position:
    """Find where the database on ``conn`` is on the chain; refuse one newer than this casekit.

    Reading only: nothing is written. A database of other tables is the caller's to refuse
    (:func:`casekit.store.db.refuse_other_databases`).
    """
    extra = tuple(extra)
    schemas = _schemas(extra)
    top = head(extra)
    names = set(sa.inspect(conn).get_table_names())
    newest = schemas[top]
    if VERSION_TABLE in names:
        heads = list(conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())
        unknown = [h for h in heads if h not in schemas]
        if unknown or len(heads) > 1:
            raise CasekitError(
                f"{label}: the casebook store is at revision {', '.join(heads)}, which this "
                f"casekit does not know (it reads up to revision {top}): it was made by a newer "
                "casekit. Upgrade casekit (pip install --upgrade casekit) to open it; nothing "
                "was changed."
            )
        if heads:
            return Position(heads[0], None, top, empty=False)
    if "_meta" not in names:
        return Position(None, None, top, empty=not (names - {VERSION_TABLE}))
    value = conn.execute(sa.text("SELECT value FROM _meta WHERE key = 'schema'")).scalar()
    legacy = None if value is None else str(value)
    if legacy not in set(schemas.values()) - {""}:
        newer = legacy is not None and legacy.isdigit() and int(legacy) > int(newest)
        raise CasekitError(
            f"{label}: casebook store schema {legacy}, but this casekit reads {newest}"
            + (
                ": it was made by a newer casekit. Upgrade casekit (pip install --upgrade "
                "casekit) to open it; nothing was changed."
                if newer
                else ". It is damaged or not a casebook store; restore it from a backup."
            )
        )
    return Position(None, legacy, top, empty=False)


def upgrade(conn: sa.Connection, label: str, extra: Sequence[Path] = ()) -> Position:
    """Bring the store on ``conn`` to the head of the chain, in the caller's transaction.

    An empty database is made a store; one from before Alembic is stamped with the revision of
    its schema first. Return where the store was before. Any failure raises, and the caller's
    transaction rolls everything back (SQLite and PostgreSQL both change tables
    transactionally), so the store is left exactly as it was.
    """
    extra = tuple(extra)
    before = position(conn, label, extra)
    if before.up_to_date:
        return before
    if before.legacy is not None:
        stamp = [r for r, schema in _schemas(extra).items() if schema == before.legacy][-1]
        MigrationContext.configure(conn).stamp(_script(extra), stamp)
    cfg = config(extra)
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")
    return before


# --- what revisions use -------------------------------------------------------------------------


def mark_schema(schema: str) -> None:
    """Write ``schema`` as the store's ``_meta`` schema: what casekit before Alembic reads."""
    from alembic import op

    meta = sa.table("_meta", sa.column("key", sa.Text), sa.column("value", sa.Text))
    bind = op.get_bind()
    found = bind.execute(sa.select(meta.c.value).where(meta.c.key == "schema")).first()
    if found is None:
        op.execute(meta.insert().values(key="schema", value=schema))
    else:
        op.execute(meta.update().where(meta.c.key == "schema").values(value=schema))


def add_missing_columns(table: str, columns: Sequence[str]) -> None:
    """Add text ``columns`` a table lacks (empty in every record), in batch mode for SQLite.

    A column already there is left as it is: a store from before Alembic may have gained one
    before its schema number was written.
    """
    from alembic import op

    have = {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}
    wanted = [c for c in columns if c not in have]
    if wanted:
        with op.batch_alter_table(table) as batch:
            for column in wanted:
                batch.add_column(sa.Column(column, sa.Text))


def no_downgrade() -> None:
    """Refuse to downgrade a store: it could lose records; restore a backup instead."""
    raise CasekitError(
        "casekit never downgrades a casebook store (it could lose records): restore the store "
        "from a backup made before the upgrade instead."
    )
