"""Harden a guarded store's guard (schema 6, issue 18's red-team review).

Revision 0006 of the casebook store. On a PostgreSQL store already guarded (one with users),
the guard is brought up to date (:func:`casekit.store.pgsecurity.refresh`): the database now
writes the history itself, by a trigger on every contract table, and people may no longer
insert history rows. SQLite stores, and PostgreSQL stores without users, gain nothing but the
schema number: a store is guarded when its first user is added. On both, a user's login role
(``_users.login``, empty on SQLite) is unique, so no user can be given another's; and drafts
are keyed by (writer, key), so nobody can take another's key or learn that it exists.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from casekit.store.migrations import mark_schema, no_downgrade

__all__ = ["downgrade", "upgrade"]

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None
SCHEMA = "6"


def upgrade() -> None:
    """Make each login role one user's, refresh a guarded store's guard, write schema 6."""
    bind = op.get_bind()
    indexes = {i["name"] for i in sa.inspect(bind).get_indexes("_users")}
    if "ix__users_login" not in indexes:  # a login role is one user's (none on SQLite: '')
        op.create_index(
            "ix__users_login",
            "_users",
            ["login"],
            unique=True,
            sqlite_where=sa.text("login <> ''"),
            postgresql_where=sa.text("login <> ''"),
        )
    _drafts_by_writer(bind)
    if bind.dialect.name == "postgresql":
        from casekit.store.pgsecurity import refresh

        refresh(bind)
    mark_schema(SCHEMA)


def _drafts_by_writer(bind: sa.Connection) -> None:
    """Key the drafts by (writer, key): nobody can squat, or learn of, another's key."""
    pk = sa.inspect(bind).get_pk_constraint("_drafts")["constrained_columns"]
    if sorted(pk) == ["by", "key"]:
        return
    op.execute('UPDATE _drafts SET "by" = \'\' WHERE "by" IS NULL')
    op.create_table(
        "_drafts_6",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("by", sa.Text, primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.execute(
        'INSERT INTO _drafts_6 ("key", at, "by", data) SELECT "key", at, "by", data FROM _drafts'
    )
    op.drop_table("_drafts")
    op.rename_table("_drafts_6", "_drafts")


def downgrade() -> None:
    """Refuse: casekit never downgrades a store."""
    no_downgrade()
