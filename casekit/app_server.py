"""Serving casekit's notebooks as a Voila app that only its user can reach.

``casekit app`` runs Voila in this process with four protections that Voila 0.5 does not give
by default:

- **a login**: every start makes a random token (:mod:`secrets`) that the printed URL carries,
  or, with ``--password`` (or ``$CASEKIT_APP_PASSWORD_HASH``), a password checked by
  jupyter_server's own hashing (:func:`jupyter_server.auth.passwd`); a request without either
  gets 403 or the login page;
- **local host names only**: a request whose ``Host:`` header is not ``localhost`` or a
  loopback address is refused (403), so a DNS-rebinding page cannot reach the app;
- **the v1 kernel websocket protocol only**: Voila 0.5.13 reads every binary message it sends as
  a v1 message, so a client on the legacy JSON protocol makes it decode a legacy binary message
  (a widget's image buffer) as v1 offsets, loop over billions of them and grow without bound
  while ignoring SIGTERM; such connections are refused before the upgrade (400);
- **supervision records only**: of the notebooks folder, only ``supervision_records/*.html`` and
  ``*.docx`` are served (no notebooks, images or stores), after the same login and host checks.

The token and password hash travel only in memory and in this process's environment (private
to its owner), never on a command line, and are removed before kernels start.
"""

from __future__ import annotations

import getpass
import os
import re
import secrets
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import CasekitError

__all__ = [
    "KERNEL_PROTOCOL",
    "RECORD_FILES",
    "AppSettings",
    "check_case",
    "check_port",
    "hash_password",
    "prepare",
    "serve",
]

KERNEL_PROTOCOL = "v1.kernel.websocket.jupyter.org"
RECORD_FILES = r"supervision_records/[^/\\]+\.(html|docx)"
PASSWORD_HASH_ENV = "CASEKIT_APP_PASSWORD_HASH"
LOCAL_HOSTNAMES = ["localhost"]


@dataclass(frozen=True)
class AppSettings:
    """What one start of the app serves, to whom, and where."""

    notebooks: Path
    port: int
    token: str
    hashed_password: str
    env: dict[str, str]
    open_browser: bool = False

    @property
    def url(self) -> str:
        """The address to open: with the token, or the login page in password mode."""
        base = f"http://127.0.0.1:{self.port}/"
        return f"{base}?token={self.token}" if self.token else base


def check_case(store: Any, case_id: str) -> None:
    """Raise a CasekitError that says how to find case IDs unless ``case_id`` is in ``store``."""
    if not case_id:
        return
    try:
        store.get("cases", case_id)
    except CasekitError:
        where = store.url.removeprefix("sqlite:///")
        raise CasekitError(
            f"--case {case_id!r}: there is no such case in the store {where}. Leave out "
            "--case to choose a case from the list in the app, or list the case IDs with "
            f"python -c \"import casekit; print(casekit.load('{where}').cases.case_id.to_list())\""
        ) from None


def hash_password(ask: Callable[[str], str] = getpass.getpass) -> str:
    """Ask for a new password twice and return its jupyter_server hash (argon2)."""
    from jupyter_server.auth import passwd

    try:
        first = ask("casekit app password: ")
        again = ask("the same password again: ") if len(first) >= 8 else ""
    except (EOFError, KeyboardInterrupt):
        raise CasekitError(
            f"casekit app --password: no password was typed; run it in a terminal, or set "
            f"${PASSWORD_HASH_ENV} to a hash from jupyter_server.auth.passwd()."
        ) from None
    if len(first) < 8:
        raise CasekitError("casekit app --password: use at least 8 characters.")
    if again != first:
        raise CasekitError("casekit app --password: the two passwords differ; run it again.")
    return passwd(first)


def check_port(port: int) -> None:
    """Raise a CasekitError saying what to do if ``port`` on 127.0.0.1 is already taken."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise CasekitError(
                f"--port {port}: 127.0.0.1:{port} cannot be used ({exc.strerror}); "
                "choose another port with --port."
            ) from None


def prepare(
    store: str = "",
    case: str = "",
    port: int = 8866,
    password: bool = False,
    user: str = "",
    open_browser: bool = False,
    ask: Callable[[str], str] = getpass.getpass,
) -> AppSettings:
    """Check everything a start needs (notebooks, store, case, password) before serving."""
    from .widgets.app import REPO_ROOT, store_from_settings

    notebooks = REPO_ROOT / "notebooks"
    if not notebooks.is_dir():
        raise CasekitError(
            f"{notebooks}: the notebooks folder is missing; run casekit app from "
            "a checkout of the casekit repository."
        )
    check_port(port)
    opened = store_from_settings(store or "", user=user or None)
    try:
        check_case(opened, case)
        env = {
            "CASEKIT_STORE": opened.url.removeprefix("sqlite:///"),
            "CASEKIT_APP": "voila",
            "CASEKIT_USER": user or opened.user,
        }
    finally:
        opened.close()
    if case:
        env["CASEKIT_CASE"] = case
    hashed = ""
    if password:
        hashed = hash_password(ask)
    elif os.environ.get(PASSWORD_HASH_ENV):
        hashed = os.environ[PASSWORD_HASH_ENV]
        if not re.fullmatch(r"(argon2|sha1|sha256|sha512):\S+", hashed):
            raise CasekitError(
                f"${PASSWORD_HASH_ENV} is not a password hash: make one with "
                "python -c 'from jupyter_server.auth import passwd; print(passwd())'."
            )
    token = "" if hashed else secrets.token_urlsafe(32)
    return AppSettings(notebooks, port, token, hashed, env, open_browser)


def _voila_class() -> type:
    """Build the Voila application class with casekit's protections (imports Voila lazily)."""
    import tornado.web
    from jupyter_server.base.handlers import AuthenticatedFileHandler
    from voila.app import Voila
    from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

    class KernelWebsocket(VoilaKernelWebsocketHandler):
        """Voila's kernel websocket, refusing clients that do not offer the v1 protocol."""

        async def get(self, *args: Any, **kwargs: Any) -> None:
            """Refuse (400) an upgrade that does not offer the v1 kernel protocol."""
            offered = self.request.headers.get("Sec-WebSocket-Protocol", "")
            if KERNEL_PROTOCOL not in [p.strip() for p in offered.split(",")]:
                raise tornado.web.HTTPError(400, f"only the {KERNEL_PROTOCOL} protocol is served")
            await super().get(*args, **kwargs)

        def write_message(self, message: Any, binary: bool = False) -> Any:
            """Send a message; read binary ones as v1 only on a v1 connection (never loop)."""
            if self.selected_subprotocol != KERNEL_PROTOCOL:  # get() refuses these already
                self.close(1002, f"only the {KERNEL_PROTOCOL} protocol is served")
                return None
            return super().write_message(message, binary)

        def select_subprotocol(self, subprotocols: list[str]) -> str | None:
            """Choose the v1 protocol, the only one this handler accepts."""
            return KERNEL_PROTOCOL if KERNEL_PROTOCOL in subprotocols else None

    class RecordFiles(AuthenticatedFileHandler):
        """Serve the supervision records below the notebooks folder, after login, nothing else."""

        def get_absolute_path(self, root: str, path: str) -> str:  # type: ignore[override]
            """Refuse (403) any path that is not a record file directly in the records folder."""
            if not re.fullmatch(RECORD_FILES, path, re.IGNORECASE):
                raise tornado.web.HTTPError(403, "not a supervision record")
            return super().get_absolute_path(root, path)

        def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
            """Refuse a record that is a link to somewhere outside the records folder."""
            real = os.path.realpath(absolute_path)
            folder = os.path.realpath(os.path.join(root, "supervision_records"))
            if os.path.dirname(real) != folder:
                raise tornado.web.HTTPError(403, "not a supervision record")
            return super().validate_absolute_path(root, absolute_path)

    class CasekitVoila(Voila):  # type: ignore[misc]
        """Voila with a login, a host check, v1 websockets only and records-only file serving."""

        def init_settings(self) -> dict[str, Any]:
            """Voila's settings, with remote access off (only local host names answered)."""
            settings: dict[str, Any] = super().init_settings()
            settings.update(allow_remote_access=False, local_hostnames=LOCAL_HOSTNAMES)
            return settings

        def init_handlers(self) -> list[Any]:
            """Voila's handlers, with the websocket and file handlers replaced by casekit's."""
            handlers = []
            for spec in super().init_handlers():
                if spec[1] is VoilaKernelWebsocketHandler:
                    spec = (spec[0], KernelWebsocket, *spec[2:])
                elif spec[0].endswith("/voila/files/(.*)"):
                    spec = (spec[0], RecordFiles, {"path": self.root_dir})
                handlers.append(spec)
            return handlers

        def start(self) -> None:
            """Start, then make sure no configuration reopened remote access."""
            self.tornado_settings = {
                **self.tornado_settings,
                "allow_remote_access": False,
                "local_hostnames": LOCAL_HOSTNAMES,
            }
            super().start()

    return CasekitVoila


def serve(settings: AppSettings) -> int:
    """Serve the notebooks with Voila in this process until stopped (Ctrl+C or SIGTERM)."""
    from traitlets.config import Config

    os.environ.update(settings.env)
    os.environ.pop(PASSWORD_HASH_ENV, None)
    os.environ.pop("JUPYTER_TOKEN", None)
    os.environ.pop("JUPYTER_TOKEN_FILE", None)
    config = Config()
    config.Voila.ip = "127.0.0.1"
    config.Voila.port = settings.port
    config.Voila.port_retries = 0
    config.Voila.open_browser = settings.open_browser
    config.Voila.config_file_paths = []  # no voila.json from the working folder
    config.Voila.token = settings.token
    config.Voila.tornado_settings = {}
    config.VoilaConfiguration.show_tracebacks = False
    config.VoilaConfiguration.file_allowlist = [RECORD_FILES]
    config.PasswordIdentityProvider.hashed_password = settings.hashed_password
    config.ZMQChannelsWebsocketConnection.kernel_ws_protocol = KERNEL_PROTOCOL
    app = _voila_class()(config=config)
    app.initialize([str(settings.notebooks)])
    app.start()
    return 0


def run(
    store: str = "",
    case: str = "",
    port: int = 8866,
    password: bool = False,
    user: str = "",
    open_browser: bool = False,
) -> int:
    """Check the start, print the address (with its token) and who is recorded, then serve."""
    settings = prepare(store, case, port, password, user, open_browser)
    print(
        f"casekit app: {settings.url} (store {settings.env['CASEKIT_STORE']}); entries are "
        f"recorded as {settings.env['CASEKIT_USER']!r} (change with --user); "
        "press Ctrl+C to stop.",
        file=sys.stdout,
        flush=True,
    )
    return serve(settings)
