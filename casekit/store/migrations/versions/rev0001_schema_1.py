"""Make the casebook store as schema 1 had it: a table per contract table, history, drafts, meta.

Revision 0001 of the casebook store, the start of the chain. A store from before Alembic with
``_meta`` schema 1 is stamped here. Every contract column is text (canonical strings); each
table also has ``_extra`` (JSON of the columns a bundle added). The names are written out, not
read from today's contract, so this revision always makes what schema 1 was.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from casekit.store.migrations import mark_schema, no_downgrade

__all__ = ["downgrade", "upgrade"]

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None
SCHEMA = "1"

TABLES: dict[str, tuple[str, ...]] = {
    "teams": ("team_id", "team_name"),
    "workers": ("worker_id", "team_id", "role", "fte"),
    "cases": (
        "case_id", "child_id", "team_id", "worker_id", "opened", "closed", "referral_source",
        "concern_flags", "ideology", "child_birth_month", "child_gender", "child_ethnicity",
        "child_religion",
    ),
    "events": (
        "event_id", "case_id", "date", "date_precision", "recorded_on", "source_agency", "kind",
        "summary", "category", "level", "significance", "impact", "evidence", "restricted",
        "action_taken", "recorded_by",
    ),
    "judgements": (
        "judgement_id", "case_id", "date", "level", "safety_scale", "rationale", "evidence_ids",
        "judged_by",
    ),
    "decisions": (
        "decision_id", "case_id", "date", "response", "lead_agency", "family_engaged",
        "rationale", "evidence_ids", "decided_by",
    ),
    "plan_actions": (
        "action_id", "case_id", "created", "description", "level", "owner_agency", "due",
        "completed", "evidence_ids",
    ),
    "info_sharing": (
        "share_id", "case_id", "date", "from_agency", "to_agency", "information", "purpose",
        "lawful_basis", "consent", "not_sought_reason", "restricted",
    ),
    "supervisions": (
        "supervision_id", "case_id", "date", "supervisor", "worker", "experience", "reflection",
        "analysis", "actions", "hypotheses", "graces", "decision_ids",
    ),
}  # fmt: skip
"""Each contract table's columns in schema 1, its id (the primary key) first."""


def upgrade() -> None:
    """Create schema 1's tables (empty) and write ``_meta`` schema 1."""
    for name, columns in TABLES.items():
        op.create_table(
            name,
            sa.Column(columns[0], sa.Text, primary_key=True),
            *(sa.Column(c, sa.Text) for c in columns[1:]),
            sa.Column("_extra", sa.Text),
        )
    op.create_table(
        "_history",
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
    op.create_table(
        "_meta", sa.Column("key", sa.Text, primary_key=True), sa.Column("value", sa.Text)
    )
    op.create_table(
        "_drafts",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("by", sa.Text),
        sa.Column("data", sa.Text, nullable=False),
    )
    mark_schema(SCHEMA)


def downgrade() -> None:
    """Refuse: casekit never downgrades a store."""
    no_downgrade()
