"""Add the 4x4x4 supervision columns to supervisions (schema 3, issue 16).

Revision 0003 of the casebook store: the four functions of supervision (management, support,
development, mediation), the child's voice, when the child was last seen alone, the actions
agreed and who the decision involved. Empty (missing) in every earlier supervision. A store
from before Alembic with ``_meta`` schema 3 is stamped here.
"""

from __future__ import annotations

from casekit.store.migrations import add_missing_columns, mark_schema, no_downgrade

__all__ = ["downgrade", "upgrade"]

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None
SCHEMA = "3"

COLUMNS = (
    "management",
    "support",
    "development",
    "mediation",
    "child_voice",
    "last_seen_alone",
    "agreed_actions",
    "decision_stakeholders",
)


def upgrade() -> None:
    """Add the supervision columns and write ``_meta`` schema 3."""
    add_missing_columns("supervisions", COLUMNS)
    mark_schema(SCHEMA)


def downgrade() -> None:
    """Refuse: casekit never downgrades a store."""
    no_downgrade()
