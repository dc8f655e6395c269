"""The casebook store's revisions, oldest first: ``revNNNN_*.py``, one Alembic revision each.

Alembic reads them (never imported as modules by casekit); see
:mod:`casekit.store.migrations` for how to add one.
"""
