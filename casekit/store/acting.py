"""Who is acting: the one rule that names the person every write and access is recorded under.

In order: an explicit name (``--user``, a ``user=`` argument, the name logged in with in
``casekit app``), then ``$JUPYTERHUB_USER`` (set by JupyterHub in each person's server), then
``$CASEKIT_USER``, then the operating-system login.

>>> acting_user("  A. Worker ")
'A. Worker'
"""

from __future__ import annotations

import contextlib
import getpass
import os
from collections.abc import Iterator

from casekit.errors import CasekitError

__all__ = ["ACTING_ENV", "acting_as", "acting_user", "acting_source"]

ACTING_ENV = ("JUPYTERHUB_USER", "CASEKIT_USER")
"""The environment variables that name who is acting, in the order they are tried."""


def _clean(name: str, where: str) -> str:
    """Return ``name`` stripped; refuse one with control characters or over 200 characters."""
    name = name.strip()
    if len(name) > 200 or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise CasekitError(
            f"{where}: {name[:40]!r} is not a name casekit can record (at most 200 "
            "characters, no control characters). Give the person's name or login."
        )
    return name


def acting_source(explicit: str | None = None) -> tuple[str, str]:
    """Return who is acting and where the name came from (``explicit``, a variable, ``os``).

    An empty or blank name counts as not given, so the next source is tried.
    """
    if explicit is not None and explicit.strip():
        return _clean(explicit, "the user given"), "explicit"
    for variable in ACTING_ENV:
        value = os.environ.get(variable, "")
        if value.strip():
            return _clean(value, f"${variable}"), variable
    try:
        return _clean(getpass.getuser(), "the login name"), "os"
    except (KeyError, OSError):  # no login name: a container without a passwd entry
        raise CasekitError(
            "cannot tell who is acting: there is no login name here. Give --user NAME (or "
            "set $CASEKIT_USER)."
        ) from None


def acting_user(explicit: str | None = None) -> str:
    """Return who is acting: ``explicit``, ``$JUPYTERHUB_USER``, ``$CASEKIT_USER``, the login."""
    return acting_source(explicit)[0]


@contextlib.contextmanager
def acting_as(user: str | None) -> Iterator[None]:
    """Act as ``user`` (if given) for a while, in this process and the kernels it starts.

    Sets ``$CASEKIT_USER`` and puts back what was there after, so a command's ``--user``
    reaches every store it opens, its own and its kernels' (which inherit the environment).
    """
    if user is None or not user.strip():
        yield
        return
    before = os.environ.get("CASEKIT_USER")
    os.environ["CASEKIT_USER"] = _clean(user, "--user")
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("CASEKIT_USER", None)
        else:
            os.environ["CASEKIT_USER"] = before
