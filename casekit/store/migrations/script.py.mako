"""${message}.

Revision ${up_revision} of the casebook store (after ${down_revision | comma,n}); made ${create_date}.
See casekit/store/migrations/__init__.py, "How to add a revision".
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from casekit.store.migrations import mark_schema, no_downgrade

__all__ = ["downgrade", "upgrade"]

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None
SCHEMA = "?"  # the next _meta schema number: the one before this revision's, plus one


def upgrade() -> None:
    """Change the store's schema: SQLite and PostgreSQL alike (batch mode for SQLite's ALTER)."""
    ${upgrades if upgrades else "pass"}
    mark_schema(SCHEMA)


def downgrade() -> None:
    """Refuse: casekit never downgrades a store."""
    no_downgrade()
