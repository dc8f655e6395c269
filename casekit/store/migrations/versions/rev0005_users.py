"""Add the store's named users and their roles (schema 5, issue 18).

Revision 0005 of the casebook store: the ``_users`` table (each person's acting name, their
PostgreSQL login role, role, teams, an analyst's free-text grant, and when and by whom they were
added; every change is also in ``_history``). A store with no rows in it behaves as before: its
owner may do everything.

On PostgreSQL, the database's own guard (an owner role, a login role per person, row-level
security by team, grants by role: :func:`casekit.store.pgsecurity.secure`) is made when the
first user is added (``casekit users add``), since it needs a login that may create roles and it
changes who may connect. A store already guarded has its guard brought up to date here, so the
new table is covered; a later revision that adds a table does the same (``refresh``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from casekit.store.migrations import mark_schema, no_downgrade

__all__ = ["downgrade", "upgrade"]

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None
SCHEMA = "5"


def upgrade() -> None:
    """Create the users table, refresh a PostgreSQL store's guard, and write ``_meta`` schema 5."""
    bind = op.get_bind()
    if "_users" not in sa.inspect(bind).get_table_names():
        op.create_table(
            "_users",
            sa.Column("name", sa.Text, primary_key=True),
            sa.Column("login", sa.Text),
            sa.Column("role", sa.Text, nullable=False),
            sa.Column("teams", sa.Text, nullable=False),
            sa.Column("free_text", sa.Text, nullable=False),
            sa.Column("at", sa.Text, nullable=False),
            sa.Column("by", sa.Text),
        )
    if bind.dialect.name == "postgresql":
        from casekit.store.pgsecurity import refresh

        refresh(bind)
    mark_schema(SCHEMA)


def downgrade() -> None:
    """Refuse: casekit never downgrades a store."""
    no_downgrade()
