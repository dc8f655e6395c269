"""Database URLs as they may be shown: no password, wherever in the URL it was given."""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["SECRET_QUERY_KEYS", "holds_password", "safe_url"]

SECRET_QUERY_KEYS = frozenset({"password", "sslpassword", "passfile"})
"""Query keys of a database URL that hold a secret (or say where one is): never shown."""


def safe_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``, fit to print; a path is unchanged.

    A password after the user name and one in the query (``?password=``, ``sslpassword``,
    ``passfile``) are both hidden.

    >>> safe_url("postgresql://u:pw@h/db?password=X&sslmode=require")
    'postgresql://u:***@h/db?password=***&sslmode=require'
    """
    text = str(url)
    if "://" not in text:
        return text
    try:
        parsed = sa.engine.make_url(text)
    except (sa.exc.ArgumentError, ValueError):  # ValueError: a port that is not a number
        return text.split("://", 1)[0] + "://***"  # unreadable: show nothing that may be secret
    hidden = [k for k in parsed.query if k.lower() in SECRET_QUERY_KEYS]
    if not parsed.password and not hidden:
        return text
    if hidden:
        parsed = parsed.update_query_dict({k: "***" for k in hidden})
    return parsed.render_as_string(hide_password=True).replace("%2A%2A%2A", "***")


def holds_password(url: sa.URL) -> bool:
    """Say whether a parsed database URL carries a secret: after the user name or in its query.

    >>> holds_password(sa.make_url("postgresql://u@h/db?sslpassword=X"))
    True
    >>> holds_password(sa.make_url("postgresql://u@h/db?sslmode=require"))
    False
    """
    return url.password is not None or any(k.lower() in SECRET_QUERY_KEYS for k in url.query)
