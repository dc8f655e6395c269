"""Harden a guarded store's guard (schema 6, issue 18's red-team review).

Revision 0006 of the casebook store. On a PostgreSQL store already guarded (one with users),
the guard is brought up to date (:func:`casekit.store.pgsecurity.refresh`): the database now
writes the history itself, by a trigger on every contract table, and people may no longer
insert history rows. SQLite stores, and PostgreSQL stores without users, gain nothing but the
schema number: a store is guarded when its first user is added. On both, a user's login role
(``_users.login``, empty on SQLite) is unique, so no user can be given another's.
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
    if bind.dialect.name == "postgresql":
        from casekit.store.pgsecurity import refresh

        refresh(bind)
    mark_schema(SCHEMA)


def downgrade() -> None:
    """Refuse: casekit never downgrades a store."""
    no_downgrade()
