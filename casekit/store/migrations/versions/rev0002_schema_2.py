"""Add ``seen_alone`` to events and ``override_reason`` to information sharing (schema 2).

Revision 0002 of the casebook store. The new columns are empty (missing) in every record. A
store from before Alembic with ``_meta`` schema 2 is stamped here.
"""

from __future__ import annotations

from casekit.store.migrations import add_missing_columns, mark_schema, no_downgrade

__all__ = ["downgrade", "upgrade"]

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None
SCHEMA = "2"


def upgrade() -> None:
    """Add the two columns and write ``_meta`` schema 2."""
    add_missing_columns("events", ["seen_alone"])
    add_missing_columns("info_sharing", ["override_reason"])
    mark_schema(SCHEMA)


def downgrade() -> None:
    """Refuse: casekit never downgrades a store."""
    no_downgrade()
