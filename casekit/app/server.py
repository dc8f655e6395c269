"""Serving casekit's notebooks as a Voila app that only its user can reach.

``casekit app`` runs Voila in this process with protections that Voila 0.5 does not give
by default:

- **a login**: every start makes a random token (:mod:`secrets`) that the printed URL carries;
  or, with ``--password`` (or ``$CASEKIT_APP_PASSWORD_HASH``), a password checked by
  jupyter_server's own hashing (:func:`jupyter_server.auth.passwd`); or, with ``--users FILE``,
  a name and that name's password, and the name then reaches the kernel (and the store's
  ``user``) through a header the server sets after login; a request without a login gets 403
  or the login page, and the login page cannot set a password;
- **local host names only**: a request whose ``Host:`` header is not ``localhost`` or a
  loopback address is refused (403), so a DNS-rebinding page cannot reach the app;
- **the v1 kernel websocket protocol only**: Voila 0.5.13 reads every binary message it sends as
  a v1 message, so a client on the legacy JSON protocol makes it decode a legacy binary message
  (a widget's image buffer) as v1 offsets, loop over billions of them and grow without bound
  while ignoring SIGTERM; such connections are refused before the upgrade (400);
- **exports only, each to its own person**: of the notebooks folder, only the exported files
  are served for download (``supervision_records/PERSON/*.html|docx`` and
  ``chronology_exports/PERSON/*.html|xlsx|csv``; no notebooks, images or stores), and only to
  the login whose folder ``PERSON`` is (:func:`casekit.outputs.person_folder`), after the same
  login and host checks;
- **a home page, and review pages**: ``/`` is casekit's home page (:func:`home_page`, every value
  escaped), not Voila's file tree, and the HTML pages directly in the reports folder
  (``casekit review --out``) are served under ``/casekit/reports/``, after the same checks.

The token lives only in memory and the password hash in this process's environment (private to
its owner); neither is ever on a command line, and both are kept from kernels. No ``voila.json``
from the working folder is read, so none can undo these settings.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import secrets
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from casekit.errors import CasekitError, load_json
from casekit.outputs import SERVED_EXPORTS, person_folder, write_private

__all__ = [
    "KERNEL_PROTOCOL",
    "RECORD_FILES",
    "AppSettings",
    "adapt_page",
    "add_user",
    "check_case",
    "check_port",
    "page_transform",
    "hash_password",
    "home_page",
    "login_page",
    "prepare",
    "read_users",
    "report_pages",
    "serve",
]

KERNEL_PROTOCOL = "v1.kernel.websocket.jupyter.org"
RECORD_FILES = "|".join(
    rf"(?:{folder}/[^/\\]+/[^/\\]+\.(?:{'|'.join(kinds)}))"
    for folder, kinds in SERVED_EXPORTS.items()
)
"""The exported files served for download, each in its person's folder below an export folder:
see :data:`casekit.outputs.SERVED_EXPORTS`; only the person logged in gets their own."""
REPORT_FILES = r"[^/\\]+\.html"
REPORTS_URL = "casekit/reports/"
TEMPLATES = Path(__file__).resolve().parent / "templates"
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
    users: dict[str, str] = field(default_factory=dict)
    reports: Path | None = None
    notes: tuple[str, ...] = ()
    """What preparing the notebooks folder has to say (copies of yours it kept as they were)."""

    @property
    def url(self) -> str:
        """The address to open: with the token, or the login page in password mode."""
        base = f"http://127.0.0.1:{self.port}/"
        return f"{base}?token={self.token}" if self.token else base


HASH = re.compile(r"(argon2|sha1|sha256|sha512):\S+")
USER_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,80}")
USER_HEADER = "X-Casekit-User"  # set by the server from the login, never by the browser
USER_ENV = "HTTP_X_CASEKIT_USER"  # what Voila names it in the kernel's environment


def read_users(path: str | Path) -> dict[str, str]:
    """Read a users file (JSON: name to jupyter_server password hash), private to its owner."""
    path = Path(path)
    where = f"--users {path}"
    try:
        mode = path.stat().st_mode
        users = load_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CasekitError(
            f"{where}: there is no such file; make it with casekit app --users {path} "
            "--add-user NAME."
        ) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CasekitError(
            f"{where}: not a users file ({exc}); make it with --add-user NAME."
        ) from None
    if mode & 0o077:
        raise CasekitError(f"{where}: others can read it; run chmod 600 {path}.")
    if not isinstance(users, dict) or not users:
        raise CasekitError(f"{where}: no users in it; add one with --add-user NAME.")
    for name, hashed in users.items():
        if (
            not USER_NAME.fullmatch(name)
            or not isinstance(hashed, str)
            or not HASH.fullmatch(hashed)
        ):
            raise CasekitError(
                f"{where}: the entry {name!r} is not a name with a password hash; "
                f"set it again with --add-user NAME."
            )
    return users


def add_user(path: str | Path, name: str, ask: Callable[[str], str] = getpass.getpass) -> Path:
    """Set ``name``'s password in a users file, made or rewritten atomically and private (0600)."""
    path = Path(path)
    if not USER_NAME.fullmatch(name.strip()) or name != name.strip():
        raise CasekitError(f"--add-user {name!r}: give a name of 1-80 printable characters.")
    users = read_users(path) if path.exists() else {}
    users[name] = hash_password(ask)
    body = json.dumps(users, indent=1, ensure_ascii=False).encode("utf-8")
    return write_private(path, body)


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
    users_file: str = "",
    reports: str = "",
    notebooks: str = "",
) -> AppSettings:
    """Check everything a start needs (notebooks, store, case, password) before serving.

    ``reports`` is the folder ``casekit review --out`` wrote, whose pages the home page links
    to; empty means ``reports/`` in the casekit folder (where ``make review`` writes), if any.
    ``notebooks`` is the folder to serve the notebooks from; empty means a checkout's own,
    else casekit's copies in a folder of the user's (see :mod:`casekit.app.workspace`).
    """
    from casekit.app import workspace
    from casekit.shipped import checkout
    from casekit.widgets.app import store_from_settings

    if password and users_file:
        raise CasekitError("give --password or --users, not both.")
    users = read_users(users_file) if users_file else {}
    if reports and not Path(reports).is_dir():
        raise CasekitError(
            f"--reports {reports}: there is no such folder; give the folder casekit review "
            "--out wrote, or leave out --reports."
        )
    root = checkout()
    reviews = Path(reports).resolve() if reports else root / "reports" if root else None
    check_port(port)
    opened = store_from_settings(store or "", user=user or None)
    try:
        check_case(opened, case)
        env = {
            # a server URL as given, since its shown form hides a password the kernels need
            "CASEKIT_STORE": (store or os.environ.get("CASEKIT_STORE", ""))
            if opened.postgres
            else opened.url.removeprefix("sqlite:///"),
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
    elif os.environ.get(PASSWORD_HASH_ENV) and not users:
        hashed = os.environ[PASSWORD_HASH_ENV]
        if not HASH.fullmatch(hashed):
            raise CasekitError(
                f"${PASSWORD_HASH_ENV} is not a password hash: make one with "
                "python -c 'from jupyter_server.auth import passwd; print(passwd())'."
            )
    token = "" if hashed or users else secrets.token_urlsafe(32)
    served = workspace.prepare(notebooks)
    return AppSettings(
        served.folder, port, token, hashed, env, open_browser, users, reviews, tuple(served.notes())
    )


@dataclass(frozen=True)
class Task:
    """One thing a user can do in the app: a page, in plain words, and what it is for."""

    title: str
    purpose: str
    notebook: str


TASKS = (
    Task(
        "Build a chronology",
        "Add, correct and import the entries in a case's chronology. Every change is saved "
        "at once, and earlier versions stay in the store's history.",
        "chronology_builder.ipynb",
    ),
    Task(
        "See risk over time",
        "A case's worries and strengths in the child, family and community lanes, with "
        "judgements of safety and the response, as known on any date you choose.",
        "risk_timeline.ipynb",
    ),
    Task(
        "Hold a reflective supervision",
        "A guided 4x4x4 session on one case: experience, reflection, analysis and an action "
        "plan. It saves a draft as you type; export the record for the case file.",
        "reflective_supervision.ipynb",
    ),
    Task(
        "Check a bundle",
        "Check a case bundle against the data contract and list every problem with its "
        "file, row and column. In the app it checks the synthetic example bundle; check your "
        "own with casekit validate.",
        "bundle_check.ipynb",
    ),
    Task(
        "Proportionality trends",
        "Compare radicalisation referrals with other safeguarding referrals that had the same "
        "evidence recorded, by ethnicity and religion too. In the app it reads the synthetic "
        "example data.",
        "proportionality_trends.ipynb",
    ),
)


def report_pages(reports: Path | None) -> list[tuple[str, str]]:
    """List the review pages served from ``reports`` as (title, file name), the index first."""
    if reports is None or not reports.is_dir():
        return []
    names = sorted(
        p.name
        for p in reports.iterdir()
        if re.fullmatch(REPORT_FILES, p.name, re.IGNORECASE) and p.is_file()
    )
    index = [("All teams: the index of reviews", n) for n in names if n == "index.html"]
    return index + [(f"Team {n[: -len('.html')]}", n) for n in names if n != "index.html"]


def _templates() -> Any:
    """Return the Jinja2 environment of the app's own pages: the one page shell, autoescaped."""
    from casekit.render.page import environment

    return environment(TEMPLATES)


def login_page(action: str, xsrf: str, error: str = "") -> str:
    """Render the named login form: a name and a password, and the error if any (escaped).

    ``xsrf`` is the form's hidden XSRF field as tornado writes it (markup, not escaped).
    """
    from markupsafe import Markup

    from casekit.render.page import FORM_CSP

    return (
        _templates()
        .get_template("app_login.html")
        .render(
            action=action,
            xsrf=Markup(xsrf),  # tornado's own field
            error=error,
            kind="app",
            csp=Markup(FORM_CSP),  # the form posts back to the app
        )
    )


def home_page(user: str, case: str = "", reports: Path | None = None, base_url: str = "/") -> str:
    """Render casekit's home page: each task in plain words, the reviews and the notebooks."""
    import urllib.parse

    from casekit.shipped import checkout

    tasks = [
        {
            "title": t.title,
            "purpose": t.purpose,
            "href": f"{base_url}voila/render/{t.notebook}",
        }
        for t in TASKS
    ]
    pages = [
        {"title": title, "href": base_url + REPORTS_URL + urllib.parse.quote(name)}
        for title, name in report_pages(reports)
    ]
    return (
        _templates()
        .get_template("app_home.html")
        .render(
            user=user,
            case=case,
            tasks=tasks,
            reports=pages,
            tree_href=f"{base_url}voila/tree",
            checkout=checkout() is not None,  # make review is a checkout's
            kind="app",
        )
    )


OUTSIDE_STYLESHEET = re.compile(r"""<link rel="stylesheet" href="(https?:)?//[^"]*"[^>]*>\s*""")
SCROLLING_CELLS = '<div id="rendered_cells" style="display: none">'
APP_HEAD = "app_head.html"  # casekit's style and script for Voila's pages, in TEMPLATES


NO_LANG = re.compile(r"<html(?![^>]*\blang=)", re.IGNORECASE)
SERVED_FILES = ("/voila/files/", "/" + REPORTS_URL)  # records and reviews are served as written


def adapt_page(chunk: str) -> str:
    """Adapt a piece of a page Voila or jupyter_server writes (a notebook, the tree, the login).

    - stylesheets from outside the machine are dropped: Voila's templates link Font Awesome
      from a CDN, although its own bundle already holds the icons, so every page told the CDN
      who opened the app and when;
    - a page without a language says it is in English (WCAG 3.1.1);
    - the scrolling area holding a notebook's cells can take the keyboard focus, so a page
      with nothing else to focus (a report of figures and tables) can still be scrolled
      without a mouse;
    - ``app_head.html`` goes at the end of the head: links in the notebooks' text underlined,
      tab names in enough contrast, a name for each slider handle (ipywidgets leaves them
      nameless) and a figure's caption as its image's alt text.
    """
    chunk = OUTSIDE_STYLESHEET.sub("", chunk)
    chunk = NO_LANG.sub('<html lang="en"', chunk)
    chunk = chunk.replace(
        SCROLLING_CELLS,
        '<div id="rendered_cells" style="display: none" tabindex="0">',
    )
    if "</head>" in chunk:
        head = (TEMPLATES / APP_HEAD).read_text(encoding="utf-8")
        chunk = chunk.replace("</head>", head + "</head>", 1)
    return chunk


def page_transform() -> type[Any]:
    """Return the output transform that adapts every HTML page a server writes.

    :func:`adapt_page` is applied to each page (a notebook, the tree, the login), but not to
    the records and review pages served as files. ``casekit app`` uses it, and so does each
    person's server under JupyterHub (:mod:`casekit.app.hub`).
    """
    from tornado.web import OutputTransform

    class CasekitPages(OutputTransform):
        """Adapt every HTML page the app writes (see :func:`adapt_page`), but not served files."""

        def __init__(self, request: Any):
            """Adapt this response unless it is a record or review page, served as written.

            Under JupyterHub the path starts with the person's prefix (``/user/NAME/``).
            """
            self.adapt = not any(served in request.path for served in SERVED_FILES)

        def transform_first_chunk(
            self, status_code: int, headers: Any, chunk: bytes, finishing: bool
        ) -> tuple[int, Any, bytes]:
            """Adapt the first piece of an HTML page, keeping its length header true."""
            self.adapt = self.adapt and headers.get("Content-Type", "").startswith("text/html")
            chunk = self.transform_chunk(chunk, finishing)
            if self.adapt and "Content-Length" in headers:
                headers["Content-Length"] = str(len(chunk))
            return status_code, headers, chunk

        def transform_chunk(self, chunk: bytes, finishing: bool) -> bytes:
            """Adapt a later piece of the page (whole text: Voila writes it string by string)."""
            if not self.adapt or not chunk:
                return chunk
            try:
                return adapt_page(chunk.decode("utf-8")).encode("utf-8")
            except UnicodeDecodeError:
                return chunk

    return CasekitPages


def _voila_class() -> type[Any]:
    """Build the Voila application class with casekit's protections (imports Voila lazily)."""
    import tornado.web
    from jupyter_server.auth import passwd_check
    from jupyter_server.auth.identity import PasswordIdentityProvider, User
    from jupyter_server.base.handlers import AuthenticatedFileHandler, JupyterHandler
    from jupyter_server.utils import url_path_join
    from tornado.escape import url_escape
    from traitlets import Dict
    from voila.app import Voila
    from voila.tornado.handler import TornadoVoilaHandler
    from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler
    from voila.tornado.treehandler import TornadoVoilaTreeHandler
    from voila.voila_identity_provider import VoilaLoginHandler

    class NamedLoginHandler(VoilaLoginHandler):
        """A login page that asks for a name as well as a password."""

        def _render(self, message: dict[str, str] | None = None) -> None:
            """Write the login form (see :func:`login_page`)."""
            error = (message or {}).get("error", "")
            target = url_escape(self.get_argument("next", default=self.base_url))
            action = f"{self.base_url}login?next={target}"
            self.write(login_page(action, str(self.xsrf_form_html()), error))

    class NamedLogins(PasswordIdentityProvider):
        """Log in with a name and that name's password from a users file."""

        users = Dict(config=True, help="name: jupyter_server password hash")

        def __init__(self, **kwargs: Any):
            """Use the named login page."""
            super().__init__(**kwargs)
            self.login_handler_class = NamedLoginHandler
            self.need_token = False

        @property
        def auth_enabled(self) -> bool:
            """Logging in is always required."""
            return True

        @property
        def login_available(self) -> bool:
            """The login page is always shown."""
            return True

        def process_login_form(self, handler: tornado.web.RequestHandler) -> User | None:
            """Return the named user if the password is theirs, else None."""
            name = handler.get_argument("username", default="")
            typed = handler.get_argument("password", default="")
            hashed = self.users.get(name)
            if hashed and passwd_check(hashed, typed):
                return User(username=name, name=name, display_name=name)
            return None

        def cookie_secret_hook(self, h: Any) -> Any:
            """Log everyone out when anyone's password changes."""
            h.update(json.dumps(self.users, sort_keys=True).encode())
            return h

    class NotebookPage(TornadoVoilaHandler):
        """Voila's notebook page; its kernel learns the logged-in name (never a sent header)."""

        async def prepare(self) -> None:
            """Replace any name header the browser sent by the name this login proved."""
            await super().prepare()
            if USER_HEADER in self.request.headers:
                del self.request.headers[USER_HEADER]
            user = self.current_user
            if isinstance(self.identity_provider, NamedLogins) and user:
                self.request.headers[USER_HEADER] = user.username

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

    def logged_in_name(handler: Any) -> str:
        """Who a request comes from: the name logged in with, else the one person of the app."""
        user = handler.current_user
        if isinstance(handler.identity_provider, NamedLogins) and user:
            return str(user.username)
        return os.environ.get("CASEKIT_USER", "")

    class RecordFiles(AuthenticatedFileHandler):
        """Serve the exported files below the notebooks folder, after login, nothing else."""

        pattern, folders = RECORD_FILES, tuple(SERVED_EXPORTS)
        refusal = "not an exported record of yours"

        def allowed(self, root: str) -> set[str]:
            """Return the folders whose files this login may have: its own in each export folder."""
            mine = person_folder(logged_in_name(self))
            return {os.path.realpath(os.path.join(root, f, mine)) for f in self.folders}

        @classmethod
        def get_absolute_path(cls, root: str, path: str) -> str:
            """Refuse (403) any path that is not a file of this kind directly in the folder."""
            if not re.fullmatch(cls.pattern, path, re.IGNORECASE):
                raise tornado.web.HTTPError(403, cls.refusal)
            return super().get_absolute_path(root, path)

        def validate_absolute_path(self, root: str, absolute_path: str) -> str:
            """Refuse another person's file, and a file that is a link to outside its folder."""
            real = os.path.realpath(absolute_path)
            if os.path.dirname(real) not in self.allowed(root):
                raise tornado.web.HTTPError(403, self.refusal)
            return super().validate_absolute_path(root, absolute_path)

    class ReportFiles(RecordFiles):
        """Serve the review pages directly in the reports folder, after login, nothing else."""

        pattern, folders = REPORT_FILES, ("",)
        refusal = "not a review page"

        def allowed(self, root: str) -> set[str]:
            """Return the reports folder itself: the reviews are for every login of the app."""
            return {os.path.realpath(root)}

    class HomePage(JupyterHandler):
        """casekit's home page, in place of Voila's file tree, after the same login."""

        def initialize(self, reports: Path | None = None) -> None:
            """Remember the reports folder whose pages the home page links to."""
            self.reports = reports

        @tornado.web.authenticated
        def get(self) -> None:
            """Write the home page, naming who entries are recorded as."""
            self.set_header("Content-Type", "text/html; charset=UTF-8")
            self.write(
                home_page(
                    logged_in_name(self),
                    os.environ.get("CASEKIT_CASE", ""),
                    self.reports,
                    self.base_url,
                )
            )

    class CasekitVoila(Voila):
        """Voila with a login, a host check, v1 websockets only and records-only file serving."""

        tornado_settings: dict[str, Any]  # Voila's trait, typed for the checker only

        casekit_reports: Path | None = None  # the review pages' folder, set by serve()

        def init_settings(self) -> dict[str, Any]:
            """Voila's settings, with remote access off (only local host names answered)."""
            settings: dict[str, Any] = super().init_settings()
            settings.update(allow_remote_access=False, local_hostnames=LOCAL_HOSTNAMES)
            settings["transforms"] = [page_transform()]  # tornado.web.Application's
            return settings

        def init_handlers(self) -> list[Any]:
            """Voila's handlers, with the websocket and file handlers replaced by casekit's."""
            handlers = []
            for spec in super().init_handlers():
                if spec[1] is VoilaKernelWebsocketHandler:
                    spec = (spec[0], KernelWebsocket, *spec[2:])
                elif spec[1] is TornadoVoilaHandler:
                    spec = (spec[0], NotebookPage, *spec[2:])
                elif spec[0].endswith("/voila/files/(.*)"):
                    spec = (spec[0], RecordFiles, {"path": self.root_dir})
                elif spec[1] is TornadoVoilaTreeHandler and spec[0] == self.server_url:
                    spec = (spec[0], HomePage, {"reports": self.casekit_reports})
                handlers.append(spec)
            if self.casekit_reports is not None:
                url = url_path_join(self.server_url, REPORTS_URL + "(.*)")
                handlers.append((url, ReportFiles, {"path": str(self.casekit_reports)}))
            return handlers

        def start(self) -> None:
            """Start, then make sure no configuration reopened remote access."""
            self.tornado_settings = {
                **self.tornado_settings,
                "allow_remote_access": False,
                "local_hostnames": LOCAL_HOSTNAMES,
            }
            super().start()

    CasekitVoila.named_logins = NamedLogins
    return CasekitVoila


def serve(settings: AppSettings) -> int:
    """Serve the notebooks with Voila in this process until stopped (Ctrl+C or SIGTERM)."""
    from traitlets.config import Config

    os.environ.update(settings.env)
    os.environ.pop(PASSWORD_HASH_ENV, None)
    os.environ.pop(USER_ENV, None)  # only a login may name the person (see NotebookPage)
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
    config.PasswordIdentityProvider.allow_password_change = False  # it writes a config file
    config.VoilaConfiguration.http_header_envs = [USER_HEADER]
    app_class = _voila_class()
    if settings.users:
        config.Voila.identity_provider_class = app_class.named_logins
        config.NamedLogins.users = settings.users
    config.ZMQChannelsWebsocketConnection.kernel_ws_protocol = KERNEL_PROTOCOL
    # Kernels talk over Unix sockets beside their connection files, in Voila's private folder
    # (0700), not TCP on 127.0.0.1, whose ports any local user may reach: messages are signed,
    # not encrypted, and the output channel publishes every cell's output to any subscriber.
    config.KernelManager.transport = "ipc"
    app = app_class(config=config)
    app.casekit_reports = settings.reports
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
    users_file: str = "",
    reports: str = "",
    notebooks: str = "",
) -> int:
    """Check the start, print the address (with its token) and who is recorded, then serve."""
    settings = prepare(
        store,
        case,
        port,
        password,
        user,
        open_browser,
        users_file=users_file,
        reports=reports,
        notebooks=notebooks,
    )
    for note in settings.notes:
        print(f"casekit app: {note}", file=sys.stdout, flush=True)
    who = (
        "under the name each person logs in with"
        if settings.users
        else f"as {settings.env['CASEKIT_USER']!r} (change with --user)"
    )
    from casekit.store.db import safe_url

    shown = safe_url(settings.env["CASEKIT_STORE"])  # a password in a URL is never printed
    print(
        f"casekit app: {settings.url} (store {shown}; notebooks in "
        f"{settings.notebooks}); entries are recorded {who}; press Ctrl+C to stop.",
        file=sys.stdout,
        flush=True,
    )
    return serve(settings)
