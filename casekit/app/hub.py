"""A team's casebook under JupyterHub: the settings ``deploy/jupyterhub`` reads, and each server.

``deploy/jupyterhub/jupyterhub_config.py`` calls :func:`configure`, which reads the hub's
settings from the environment (:func:`hub_settings`: never from the repository) and sets:

- the hub's public address: ``127.0.0.1`` behind the council's TLS reverse proxy by default; an
  address other machines can reach is refused unless the hub itself holds a TLS certificate;
- the hub's own state (its database and cookie secret) in a private folder, and its pages
  (login, errors) in colours of enough contrast (``templates/hub/page.html``);
- each person's server: ``casekit hub-server`` (:mod:`casekit.cli.hub`), which copies casekit's
  notebooks into the person's own folder and runs ``jupyterhub-singleuser`` there, with Voila,
  opening on the notebooks as apps;
- the store every server opens: :func:`server_environment`, called by the spawner's
  ``pre_spawn_hook`` (:func:`pre_spawn_hook`), puts ``CASEKIT_STORE`` (a URL without a password)
  and ``PGPASSWORD`` into that server's environment only;
- idle culling: ``jupyterhub-idle-culler`` as a hub service, with only the permissions it needs.

The single sign-on (OAuthenticator) and the spawner for real accounts are the council's to set,
after :func:`configure`, in the same file (see ``docs/hub.md``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from casekit.errors import CasekitError
from casekit.store.urls import holds_password

__all__ = [
    "CULLER_SCOPES",
    "EXTENSION",
    "ENV",
    "HubSettings",
    "configure",
    "give_store",
    "hub_settings",
    "pre_spawn_hook",
    "read_secret",
    "serve_user",
    "server_environment",
]

ENV = {
    "store": "CASEKIT_HUB_STORE",
    "password_file": "CASEKIT_HUB_PASSWORD_FILE",
    "admin_url_file": "CASEKIT_HUB_ADMIN_URL_FILE",
    "bind_url": "CASEKIT_HUB_BIND_URL",
    "state": "CASEKIT_HUB_STATE",
    "ssl_cert": "CASEKIT_HUB_SSL_CERT",
    "ssl_key": "CASEKIT_HUB_SSL_KEY",
    "idle_timeout": "CASEKIT_HUB_IDLE_TIMEOUT",
    "proxy": "CASEKIT_HUB_PROXY",
}
"""The environment variables the hub's settings come from, by setting."""
CULLER_SCOPES = ["list:users", "read:users:activity", "read:servers", "delete:servers"]
"""What the idle culler may do through the hub's API: see who is idle and stop their server."""
EXTENSION = "casekit.app.hub"
"""This module, as the jupyter_server extension each person's server loads."""
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
RUNTIME_PREFIX = "casekit-hub-"
"""The start of the name of a person's server's runtime folder (connection files, sockets)."""
HUB_GIVES = ("JUPYTERHUB_API_TOKEN", "JUPYTERHUB_USER", "CASEKIT_STORE")
"""What a person's server needs from the hub: its token and their name, and the store."""
DEFAULT_BIND = "http://127.0.0.1:8000"
HUB_TEMPLATES = Path(__file__).resolve().parent / "templates" / "hub"
"""JupyterHub's own pages, restyled: ``page.html`` darkens its orange to WCAG AA contrast."""
DEFAULT_IDLE = 3600
LOGIN_HOURS = 12


@dataclass(frozen=True)
class HubSettings:
    """Where the team's store is, how each server logs in to it, and how the hub is reached."""

    store: str
    """The store's URL without a password (``postgresql://casekit_app@db.council.internal/cb``),
    which everyone shares; empty when each person gets their own login (``admin_url_file``)."""
    password_file: Path | None = None
    """A file (0600) holding the password of the store URL's role, when everyone shares it."""
    admin_url_file: Path | None = None
    """A file (0600) holding an administrator's URL: each person then gets a login of their own."""
    bind_url: str = DEFAULT_BIND
    state: Path = Path("casekit-hub")
    ssl_cert: Path | None = None
    ssl_key: Path | None = None
    idle_timeout: int = DEFAULT_IDLE
    proxy: str = "configurable-http-proxy"


def _where(key: str) -> str:
    return f"${ENV[key]}"


def read_secret(path: Path, what: str) -> str:
    """Read a secret (a password, a URL holding one) from a file only its owner can read.

    Raises :class:`CasekitError` for a missing, empty or unreadable file and for one that
    others can read (the message names the file, never what it holds).
    """
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise CasekitError(
            f"{what} {path}: there is no such file; create it (mode 0600)."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CasekitError(f"{what} {path}: cannot be read ({type(exc).__name__}).") from None
    if mode & 0o077:
        raise CasekitError(f"{what} {path}: others can read it; run chmod 600 {path}.")
    if not text:
        raise CasekitError(f"{what} {path}: the file is empty; put the secret in it.")
    return text


def _check_store(url: str) -> str:
    """Return the store URL, refusing anything but a PostgreSQL URL without a password."""
    where = _where("store")
    if not url:
        raise CasekitError(
            f"{where} is not set: set it to the team store's URL without a password, e.g. "
            "postgresql://casekit_app@db.council.internal/casebook."
        )
    if not url.startswith(("postgresql://", "postgresql+psycopg://")):
        raise CasekitError(
            f"{where}: a team's hub needs a PostgreSQL store (postgresql://USER@HOST/DATABASE); "
            "a SQLite file serves one person, with casekit app."
        )
    try:
        parsed = urlsplit(url)
        parsed.port  # noqa: B018 - reading it checks it
    except ValueError:
        raise CasekitError(f"{where}: not a URL casekit can read; check its port.") from None
    if holds_password(sa.make_url(url)):  # after the user name, or ?password= in the query
        raise CasekitError(
            f"{where}: holds a password, which would reach every server's environment and "
            f"its logs; remove it from the URL and put it in the file ${ENV['password_file']} "
            "names (mode 0600)."
        )
    if not parsed.hostname or not parsed.path.strip("/"):
        raise CasekitError(f"{where}: give the server and the database: postgresql://USER@HOST/DB.")
    return url


def _check_bind(url: str, tls: bool) -> str:
    """Return the hub's public address, refusing one others can reach over plain HTTP."""
    where = _where("bind_url")
    try:
        parsed = urlsplit(url)
        parsed.port  # noqa: B018
    except ValueError:
        raise CasekitError(f"{where}: {url!r} is not an address; e.g. {DEFAULT_BIND}.") from None
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise CasekitError(f"{where}: {url!r} is not an address; e.g. {DEFAULT_BIND}.")
    if parsed.hostname not in LOOPBACK and not (tls and parsed.scheme == "https"):
        raise CasekitError(
            f"{where}: {url} can be reached from other machines without TLS. Keep the hub on "
            f"127.0.0.1 behind the council's TLS reverse proxy, or give it a certificate "
            f"(${ENV['ssl_cert']} and ${ENV['ssl_key']}) and an https:// address."
        )
    return url


def _optional_file(environ: Mapping[str, str], key: str) -> Path | None:
    value = environ.get(ENV[key], "").strip()
    return Path(value) if value else None


def hub_settings(environ: Mapping[str, str] | None = None) -> HubSettings:
    """Read and check the hub's settings from the environment (see :data:`ENV`).

    Raises :class:`CasekitError` naming the variable and how to put it right: a missing or
    non-PostgreSQL store URL, a password in it, an address reachable without TLS, half a TLS
    pair, a password file and an administrator's URL both given, a bad idle timeout.
    """
    env = os.environ if environ is None else environ
    password_file = _optional_file(env, "password_file")
    admin_url_file = _optional_file(env, "admin_url_file")
    store = env.get(ENV["store"], "").strip()
    if admin_url_file and (password_file or store):
        raise CasekitError(
            f"{_where('admin_url_file')} gives each person a login of their own on the store "
            f"that URL names: unset {_where('password_file') if password_file else _where('store')}"
            " (the shared login's setting)."
        )
    if not admin_url_file:
        store = _check_store(store)
    ssl_cert, ssl_key = _optional_file(env, "ssl_cert"), _optional_file(env, "ssl_key")
    if bool(ssl_cert) != bool(ssl_key):
        raise CasekitError(
            f"{_where('ssl_cert')} and {_where('ssl_key')} go together: set both, or neither "
            "(and keep the hub on 127.0.0.1 behind a TLS reverse proxy)."
        )
    bind_url = _check_bind(env.get(ENV["bind_url"], "").strip() or DEFAULT_BIND, bool(ssl_cert))
    idle = env.get(ENV["idle_timeout"], "").strip() or str(DEFAULT_IDLE)
    if not idle.isdigit() or int(idle) < 60:
        raise CasekitError(
            f"{_where('idle_timeout')}: {idle!r} is not a number of seconds of at least 60; "
            f"e.g. {DEFAULT_IDLE} stops a server after an hour unused."
        )
    state = env.get(ENV["state"], "").strip()
    if not state:
        from casekit.app.workspace import data_folder

        state = str(data_folder() / "hub")
    return HubSettings(
        store=store,
        password_file=password_file,
        admin_url_file=admin_url_file,
        bind_url=bind_url,
        state=Path(state).absolute(),
        ssl_cert=ssl_cert,
        ssl_key=ssl_key,
        idle_timeout=int(idle),
        proxy=env.get(ENV["proxy"], "").strip() or "configurable-http-proxy",
    )


def server_environment(settings: HubSettings, user: str) -> dict[str, str]:
    """Return what one person's server needs to open the store: its URL, and the password.

    With an administrator's URL (``$CASEKIT_HUB_ADMIN_URL_FILE``), the person gets a fresh
    password for their own database login, valid :data:`LOGIN_HOURS` hours
    (:func:`casekit.store.pgsecurity.issue_login`): the database then shows them only their
    team's rows. Someone the store has no user for is refused (:class:`CasekitError`), and the
    hub does not start their server. Otherwise everyone shares the store URL's role, with the
    password file's password (or none: then the server's own ``~/.pgpass``, or a certificate,
    logs in). The URL never holds the password.
    """
    if not user.strip():
        raise CasekitError("the hub gave no user name for the server it is starting.")
    if settings.admin_url_file is not None:
        from casekit.store.pgsecurity import issue_login

        admin_url = read_secret(settings.admin_url_file, _where("admin_url_file"))
        url, password = issue_login(admin_url, user, hours=LOGIN_HOURS)
        return {"CASEKIT_STORE": url, "PGPASSWORD": password}
    env = {"CASEKIT_STORE": settings.store}
    if settings.password_file is not None:
        env["PGPASSWORD"] = read_secret(settings.password_file, _where("password_file"))
    return env


def give_store(spawner: Any, settings: HubSettings) -> None:
    """Put the store's URL and password into the environment of the server about to start.

    A refusal (someone the store has no user for, an unreadable secret) becomes the page the
    person sees, in a line, instead of the hub's "unhandled error" and a traceback in its log.
    """
    from tornado.web import HTTPError

    try:
        spawner.environment.update(server_environment(settings, spawner.user.name))
    except CasekitError as exc:
        text = f"Your casekit server was not started: {exc}"
        refusal = HTTPError(403, "%s", text)
        refusal.jupyterhub_message = text  # type: ignore[attr-defined]  # the page shows it
        raise refusal from None


def pre_spawn_hook(spawner: Any) -> None:
    """Give the server JupyterHub is about to start the store's URL and password (see above).

    Reads the settings afresh, so a changed password file is used at the next start.
    """
    give_store(spawner, hub_settings())


def configure(c: Any, environ: Mapping[str, str] | None = None) -> HubSettings:
    """Set a JupyterHub configuration ``c`` for a team's casebook; return the settings used.

    Everything is checked before ``c`` is touched, so a mistake stops the hub with one
    message naming the variable to put right.
    """
    settings = hub_settings(environ)
    if environ is None or environ is os.environ:
        hook = pre_spawn_hook
    else:
        frozen = dict(environ)

        def hook(spawner: Any) -> None:
            give_store(spawner, hub_settings(frozen))

    for secret, key in (
        (settings.admin_url_file, "admin_url_file"),
        (settings.password_file, "password_file"),
    ):
        if secret is not None:  # checked now, so that a hub that starts can start servers
            read_secret(secret, _where(key))
    from casekit.outputs import private_folder

    state = private_folder(settings.state)
    c.JupyterHub.bind_url = settings.bind_url
    if settings.ssl_cert is not None:
        c.JupyterHub.ssl_cert = str(settings.ssl_cert)
        c.JupyterHub.ssl_key = str(settings.ssl_key)
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.template_paths = [str(HUB_TEMPLATES)]  # its pages in enough contrast
    c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    c.ConfigurableHTTPProxy.command = [settings.proxy]
    c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")
    c.Spawner.cmd = [sys.executable, "-m", "casekit.cli", "hub-server", "--"]
    c.Spawner.default_url = "/voila/tree"
    c.Spawner.pre_spawn_hook = hook
    c.Spawner.start_timeout = 180  # a busy server starts Python, Jupyter and Voila slowly
    c.Spawner.http_timeout = 180
    c.JupyterHub.services = [
        {
            "name": "idle-culler",
            "command": [
                sys.executable,
                "-m",
                "jupyterhub_idle_culler",
                f"--timeout={settings.idle_timeout}",
            ],
        }
    ]
    c.JupyterHub.load_roles = [
        {"name": "idle-culler", "scopes": CULLER_SCOPES, "services": ["idle-culler"]}
    ]
    return settings


def serve_user(extra: list[str]) -> None:
    """Run one person's server under the hub: their copies of casekit's notebooks, with Voila.

    Copies the notebooks into the person's own folder (:func:`casekit.app.workspace.prepare`:
    a copy they changed is kept), then replaces this process with ``jupyterhub-singleuser``
    serving that folder (the hub's login; Voila's pages at ``/voila/``), with ``extra``
    arguments after casekit's own. Only the v1 kernel websocket protocol is accepted (see
    :data:`casekit.app.server.KERNEL_PROTOCOL`).
    """
    from casekit.app.server import KERNEL_PROTOCOL
    from casekit.app.workspace import data_folder, prepare
    from casekit.outputs import private_temp

    missing = [name for name in HUB_GIVES if not os.environ.get(name)]
    if missing:
        raise CasekitError(
            f"casekit hub-server is what JupyterHub starts for each person, and ${missing[0]} "
            "is not set: start the hub (deploy/jupyterhub/README.md), or use casekit app to "
            "work on your own."
        )
    work = prepare(data_folder() / "notebooks")
    for note in work.notes():
        print(f"casekit hub-server: {note}", file=sys.stderr, flush=True)
    command = [
        sys.executable,
        "-m",
        "jupyterhub.singleuser",
        f"--ServerApp.root_dir={work.folder}",
        f"--ServerApp.jpserver_extensions={EXTENSION}=True",
        f"--ZMQChannelsWebsocketConnection.kernel_ws_protocol={KERNEL_PROTOCOL}",
        "--VoilaConfiguration.show_tracebacks=False",
        # kernels on Unix sockets, as casekit app's: a server of the hub shares its machine
        # with the other people's (their folder: see below)
        "--KernelManager.transport=ipc",
        *extra,
    ]
    # The kernels' sockets go beside their connection files, in Jupyter's runtime folder:
    # made private (0700) and short, since a socket's path may not pass 107 bytes and a home's
    # ~/.local/share/jupyter/runtime/kernel-<id>-ipc-N can. The next start removes it once
    # this server has ended (the server keeps this process's id: execv).
    os.environ["JUPYTER_RUNTIME_DIR"] = str(private_temp(RUNTIME_PREFIX))
    sys.stdout.flush()
    os.execv(sys.executable, command)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """Name this module as a jupyter_server extension (loaded by :func:`serve_user`)."""
    return [{"module": EXTENSION}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Adapt every page of a person's server as ``casekit app`` adapts its own.

    Voila's pages link Font Awesome from a CDN and, as a server extension, load MathJax from
    another: each page opened would tell them who opened casekit and when.
    :func:`casekit.app.server.page_transform` drops the links (Voila's bundle holds the icons),
    and no MathJax is named, as in ``casekit app`` (casekit's notebooks show no mathematics).
    """
    from casekit.app.server import page_transform

    serverapp.web_app.transforms.insert(0, page_transform())
    serverapp.web_app.settings.update(mathjax_url=None, mathjax_config=None)
