"""The ``casekit hub-server`` command: one person's server under the team's JupyterHub."""

from __future__ import annotations

import argparse

__all__ = ["add_hub_server"]


def _cmd_hub_server(args: argparse.Namespace) -> int:
    from casekit.app.hub import serve_user

    extra = list(args.server_args)
    serve_user(extra[1:] if extra[:1] == ["--"] else extra)
    return 0  # not reached: serve_user replaces this process with the server


def add_hub_server(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``casekit hub-server``: what JupyterHub starts for each person (deploy/jupyterhub)."""
    p = sub.add_parser(
        "hub-server",
        help="one person's server under the team's JupyterHub (the hub starts it)",
        description="Copy casekit's notebooks into your own folder (~/.local/share/casekit/"
        "notebooks; a copy you changed is kept) and serve them with jupyterhub-singleuser and "
        "Voila. JupyterHub runs this for each person (deploy/jupyterhub/jupyterhub_config.py); "
        "it needs the environment the hub gives (JUPYTERHUB_*, CASEKIT_STORE).",
    )
    p.add_argument(
        "server_args",
        nargs=argparse.REMAINDER,
        help="more arguments for jupyterhub-singleuser, after -- (the hub's Spawner.args)",
    )
    p.set_defaults(run=_cmd_hub_server)
