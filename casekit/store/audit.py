"""The access log: who opened, exported or reviewed what, when and why, kept append-only.

Each entry is one row of the store's ``_access_log`` table: ``id``, ``at`` (UTC, ISO 8601),
``user`` (who was acting, :func:`casekit.store.acting.acting_user`), ``action`` (one of
:data:`ACTIONS`), ``case_id`` (empty for a team's review), ``detail`` (what exactly: the
widget, the file written, the team) and ``reason`` (why, where it was asked).

The database itself refuses to change or delete an entry: on SQLite, triggers that
``RAISE(ABORT, ...)`` on UPDATE, DELETE and an INSERT that would replace an entry; on
PostgreSQL, a trigger function that raises on UPDATE, DELETE and TRUNCATE.
:func:`append_only_sql` holds both. The table arrived with store schema 4
(:data:`TABLES_ADDED_IN`), made with these statements by the store's revision 0004
(:mod:`casekit.store.migrations`): changing them reaches existing stores only through a new
revision.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from casekit.errors import CasekitError

__all__ = [
    "ACCESS_LOG",
    "ACTIONS",
    "COLUMNS",
    "TABLES_ADDED_IN",
    "access_log_table",
    "append_only_sql",
    "check_action",
    "format_log",
    "read_access_log",
]

ACCESS_LOG = "_access_log"
ACTIONS = {
    "open_case": "opened a case in a widget (the chronology builder, the risk timeline, a "
    "supervision session)",
    "export_chronology": "exported a case's chronology to a file",
    "export_supervision": "exported a supervision record to a file",
    "review": "ran a caseload review of a team",
}
"""Every action the log records, with what it means."""
COLUMNS = ("id", "at", "user", "action", "case_id", "detail", "reason")
TABLES_ADDED_IN: dict[str, tuple[str, ...]] = {"4": (ACCESS_LOG,)}
"""The internal tables each schema version added: a store of an older schema lacks them."""
MAX_TEXT = 2000
REFUSAL = "the access log is append-only: its entries cannot be changed or deleted"

_SQLITE = [
    f"CREATE TRIGGER IF NOT EXISTS {ACCESS_LOG}_no_update BEFORE UPDATE ON {ACCESS_LOG} "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
    f"CREATE TRIGGER IF NOT EXISTS {ACCESS_LOG}_no_delete BEFORE DELETE ON {ACCESS_LOG} "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
    # INSERT OR REPLACE deletes the old row without firing the DELETE trigger (SQLite fires
    # it only with recursive_triggers on): refuse any insert that names an id already there.
    f"CREATE TRIGGER IF NOT EXISTS {ACCESS_LOG}_no_replace BEFORE INSERT ON {ACCESS_LOG} "
    f"WHEN EXISTS (SELECT 1 FROM {ACCESS_LOG} WHERE id = NEW.id) "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
]
# No '%' anywhere: a DB-API driver may read one as a parameter marker.
_POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION casekit_access_log_append_only() RETURNS trigger "
    "LANGUAGE plpgsql AS $body$ BEGIN RAISE EXCEPTION USING "
    f"MESSAGE = '{REFUSAL} (' || TG_OP || ' refused)', ERRCODE = 'insufficient_privilege'; "
    "END $body$",
    f"DROP TRIGGER IF EXISTS {ACCESS_LOG}_no_change ON {ACCESS_LOG}",
    f"CREATE TRIGGER {ACCESS_LOG}_no_change BEFORE UPDATE OR DELETE ON {ACCESS_LOG} "
    "FOR EACH ROW EXECUTE FUNCTION casekit_access_log_append_only()",
    f"DROP TRIGGER IF EXISTS {ACCESS_LOG}_no_truncate ON {ACCESS_LOG}",
    f"CREATE TRIGGER {ACCESS_LOG}_no_truncate BEFORE TRUNCATE ON {ACCESS_LOG} "
    "FOR EACH STATEMENT EXECUTE FUNCTION casekit_access_log_append_only()",
]


def access_log_table(meta: sa.MetaData) -> sa.Table:
    """Add the access log's table to the store's schema ``meta`` and return it."""
    return sa.Table(
        ACCESS_LOG,
        meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("user", sa.Text, nullable=False, index=True),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("case_id", sa.Text, index=True),
        sa.Column("detail", sa.Text),
        sa.Column("reason", sa.Text),
    )


def append_only_sql(dialect: str) -> list[str]:
    """Return the statements that make the database refuse changing or deleting an entry.

    Each can run again harmlessly. SQLite and PostgreSQL only: casekit keeps no access log it
    cannot protect.
    """
    if dialect == "sqlite":
        return list(_SQLITE)
    if dialect == "postgresql":
        return list(_POSTGRESQL)
    raise CasekitError(
        f"casekit keeps its append-only access log on SQLite and PostgreSQL only, not on "
        f"{dialect}: use one of those for a casebook store."
    )


def _text(name: str, value: str | None) -> str | None:
    """Return a stripped text for the log (None when empty); refuse control characters."""
    if value is None:
        return None
    value = str(value).replace("\r\n", "\n").strip()
    bad = [c for c in value if (ord(c) < 32 and c not in "\t\n") or ord(c) == 127]
    if bad:
        raise CasekitError(
            f"the access log's {name}: holds a control character ({bad[0]!r}); write it as "
            "plain text."
        )
    if len(value) > MAX_TEXT:
        raise CasekitError(
            f"the access log's {name}: is {len(value)} characters long; keep it to {MAX_TEXT}."
        )
    return value or None


def check_action(
    action: str, case_id: str | None, detail: str | None, reason: str | None
) -> dict[str, str | None]:
    """Check one entry's fields and return them as the log's columns (user and time aside)."""
    if action not in ACTIONS:
        raise CasekitError(
            f"{action!r} is not an action the access log records; it records "
            + ", ".join(ACTIONS)
            + "."
        )
    return {
        "action": action,
        "case_id": _text("case_id", case_id),
        "detail": _text("detail", detail),
        "reason": _text("reason", reason),
    }


def read_access_log(
    conn: sa.Connection | None,
    table: sa.Table,
    case_id: str | None = None,
    user: str | None = None,
    since: dt.date | None = None,
) -> pd.DataFrame:
    """Return the entries for one case and/or user, on or after ``since``, oldest first.

    ``conn`` None (a store with no log yet) gives no entries.
    """
    if conn is None:
        return pd.DataFrame(columns=list(COLUMNS), dtype=object)
    query = sa.select(*(table.c[c] for c in COLUMNS)).order_by(table.c.id)
    if case_id is not None:
        query = query.where(table.c.case_id == case_id)
    if user is not None:
        query = query.where(table.c.user == user)
    if since is not None:
        query = query.where(table.c.at >= since.isoformat())
    rows = conn.execute(query).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=list(COLUMNS), dtype=object)


def format_log(log: pd.DataFrame) -> str:
    """Render access-log entries as a plain-text table for a screen, one line each.

    Times are shown to the second (UTC); line breaks in a detail or reason become spaces.
    """
    if log.empty:
        return "(no entries)"
    shown = pd.DataFrame(
        {
            "when (UTC)": [str(a)[:19].replace("T", " ") for a in log["at"]],
            "who": log["user"],
            "what": log["action"],
            "case": log["case_id"].fillna(""),
            "detail": log["detail"].fillna(""),
            "reason": log["reason"].fillna(""),
        }
    ).astype(str)
    shown = shown.apply(lambda col: col.str.replace(r"\s+", " ", regex=True))
    return shown.to_string(index=False, justify="left")
