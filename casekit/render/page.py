r"""The one page shell: every HTML page casekit writes, around one style sheet.

``templates/page.html`` is the shell (a Jinja template file, shipped as package data) and
``templates/casekit.css`` its style sheet, inlined so that a page is self-contained: a review
is emailed and opened where there is no network. The shell says the page is in English, puts
the content in a ``<main>`` landmark and a footer line in a ``<footer>``, and carries a
Content Security Policy that lets the page load and run nothing (no script, no request; styles
and ``data:`` images only), so that even text that slipped past escaping could not act.

A page either extends the shell (``{% extends "page.html" %}``) from its own template folder,
with :func:`environment`, and fills the blocks ``title``, ``main`` and ``footer`` and sets
``kind``; or hands ready-made HTML to :func:`page`. Autoescaping is on either way: free text
is escaped unless it is marked as HTML with :class:`markupsafe.Markup`.

>>> html = page("Notes <draft>", "<p>Seen at home.</p>", kind="review", footer="By <casekit>")
>>> "<title>Notes &lt;draft&gt;</title>" in html and "<main>\n<p>Seen at home.</p>" in html
True
>>> '<footer><p class="note">By &lt;casekit&gt;</p></footer>' in html
True
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from casekit.errors import CasekitError

__all__ = ["CSP", "FORM_CSP", "KINDS", "TEMPLATES", "css", "environment", "is_page", "page"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
"""The folder holding ``page.html`` and ``casekit.css``."""

KINDS = ("review", "chronology", "record", "app")
"""The kinds of page ``casekit.css`` styles: a review (and the index of reviews), an exported
chronology, a supervision record, and the app's own pages (its login and home page). A page's
kind is its body's class."""

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'"
)
"""The page's Content Security Policy: its own styles and embedded images, nothing else."""

FORM_CSP = CSP.replace("form-action 'none'", "form-action 'self'")
"""The policy of a page with a form that posts back to its own server (the app's login)."""


@cache
def css() -> str:
    """Return the style sheet every page inlines (``templates/casekit.css``)."""
    return (TEMPLATES / "casekit.css").read_text(encoding="utf-8")


@cache
def environment(*folders: Path) -> jinja2.Environment:
    """Return an autoescaping Jinja environment that finds the shell and ``folders``' templates.

    ``page.html`` is always the shell (a folder cannot hide it); an undefined name is an
    error, not an empty string.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([TEMPLATES, *folders]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.globals.update(css=Markup(css()), csp=Markup(CSP))
    return env


def page(title: str, body: str, *, kind: str, footer: str = "") -> str:
    """Return a whole page: ``title`` and ``footer`` (text, escaped) around ``body`` (HTML).

    ``body`` is trusted HTML (built with escaping already, as nbconvert or a template does);
    ``kind`` picks the page's rules in the style sheet (one of :data:`KINDS`).
    """
    if kind not in KINDS:
        raise CasekitError(f"a page's kind is one of {', '.join(KINDS)}, not {kind!r}.")
    return (
        environment()
        .get_template("page.html")
        .render(title=title, body=Markup(body), kind=kind, footer=footer)
    )


_MARK = b"/* casekit's pages:"
"""How the inlined style sheet of every page casekit writes begins (``templates/casekit.css``)."""


def is_page(path: str | Path) -> bool:
    """Say whether an existing file is a page casekit wrote (its shell and style sheet).

    So that ``--overwrite`` replaces an earlier export and never a page of your own.
    """
    with Path(path).open("rb") as fh:
        head = fh.read(4096)
    return head.lower().startswith(_shell_start()) and _MARK in head


@cache
def _shell_start() -> bytes:
    """How every page casekit renders begins (its shell's first line), in lower case.

    Taken from the shell itself, so that this module holds no page markup of its own.
    """
    return page("", "", kind=KINDS[0]).split("\n", 1)[0].lower().encode()
