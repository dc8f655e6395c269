"""Add the append-only access log, guarded by the database itself (schema 4, issue 18).

Revision 0004 of the casebook store: the ``_access_log`` table (who opened, exported or
reviewed what, when and why) and the triggers that refuse changing or deleting an entry
(SQLite: ``RAISE(ABORT)`` on UPDATE, DELETE and a replacing INSERT; PostgreSQL: a trigger
function on UPDATE, DELETE and TRUNCATE), from :func:`casekit.store.audit.append_only_sql`.
A store from before Alembic with ``_meta`` schema 4 is stamped here; one that gained an empty
log table without its schema number is given the triggers only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from casekit.store.audit import append_only_sql
from casekit.store.migrations import mark_schema, no_downgrade

__all__ = ["downgrade", "upgrade"]

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None
SCHEMA = "4"


def upgrade() -> None:
    """Create the access log and its guard, and write ``_meta`` schema 4."""
    bind = op.get_bind()
    if "_access_log" not in sa.inspect(bind).get_table_names():
        op.create_table(
            "_access_log",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("at", sa.Text, nullable=False),
            sa.Column("user", sa.Text, nullable=False, index=True),
            sa.Column("action", sa.Text, nullable=False),
            sa.Column("case_id", sa.Text, index=True),
            sa.Column("detail", sa.Text),
            sa.Column("reason", sa.Text),
        )
    for statement in append_only_sql(bind.dialect.name):  # as written: no bind parameters
        bind.exec_driver_sql(statement)
    mark_schema(SCHEMA)


def downgrade() -> None:
    """Refuse: casekit never downgrades a store."""
    no_downgrade()
