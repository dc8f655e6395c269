"""Alembic's environment for the casebook store: run the revisions on casekit's connection.

casekit runs it itself (:func:`casekit.store.migrations.upgrade`), passing the connection it
opened (its transaction already begun) in ``config.attributes["connection"]``; the revisions
then run inside that one transaction. The alembic command on its own is not the way in:
``casekit store upgrade URL`` is.
"""

from __future__ import annotations

from alembic import context

from casekit.errors import CasekitError


def run() -> None:
    """Run the revisions Alembic chose, on the connection casekit gave."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise CasekitError(
            "casekit runs the store's migrations itself: use 'casekit store upgrade URL' "
            "rather than the alembic command."
        )
    context.configure(connection=connection, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if __name__ != "casekit.store.migrations.env":  # loaded by Alembic to run, not imported
    run()
