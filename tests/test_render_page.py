"""The one page shell (casekit.render.page): every page casekit writes is page.html + casekit.css.

Text is escaped and HTML kept; the style sheet is inlined as written (an autoescaped ``<style>``
once dropped the review pages' font); each page says it is English and has a ``<main>``; its
Content Security Policy stops a script that slipped past escaping from running or fetching
anything (checked in Chromium). No other module writes a page shell or a workbook, and the
templates ship as package data.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from app_helpers import launch_chromium
from conftest import ROOT, SYNTHETIC

import casekit
from casekit.analysis.export import chronology_view
from casekit.analysis.export import to_html as chronology_html
from casekit.analysis.supervision_record import supervision_record
from casekit.analysis.supervision_record import to_html as record_html
from casekit.app.server import home_page, login_page
from casekit.errors import CasekitError
from casekit.render.page import CSP, FORM_CSP, KINDS, TEMPLATES, css, page
from casekit.review.run import TeamResult, _page, write_index
from casekit.review.sections import scope_for

SCRIPT = "<script>document.title = 'ran'</script>"
CASEKIT = ROOT / "casekit"


def test_page_escapes_its_text_and_keeps_the_html_it_is_given():
    html = page(f"Review {SCRIPT}", "<h1>Team <b>T1</b></h1>", kind="review", footer=SCRIPT)
    assert "<script>" not in html
    escaped = "&lt;script&gt;document.title = &#39;ran&#39;&lt;/script&gt;"
    assert f"<title>Review {escaped}</title>" in html
    assert "<main>\n<h1>Team <b>T1</b></h1>\n</main>" in html
    assert '<footer><p class="note">&lt;script&gt;' in html
    assert html.startswith('<!doctype html>\n<html lang="en">')
    assert '<body class="review">' in html


def test_a_page_without_a_footer_has_no_footer():
    assert "<footer>" not in page("t", "<p>x</p>", kind="chronology")


def test_an_unknown_kind_of_page_is_refused():
    with pytest.raises(CasekitError, match=r"a page's kind is one of review, chronology, record"):
        page("t", "", kind="letter")


def test_the_style_sheet_is_inlined_as_written():
    html = page("t", "", kind="review")
    style = html.split("<style>\n", 1)[1].split("</style>", 1)[0]
    assert style == css() == (TEMPLATES / "casekit.css").read_text(encoding="utf-8")
    assert 'font-family: system-ui, "Segoe UI", Arial, sans-serif' in style
    assert "&#34;" not in style and "&quot;" not in style
    for kind in KINDS:  # every kind of page has its own rules in the one sheet
        assert f"body.{kind} {{" in style


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, str]:
    """Every kind of page casekit writes, with a script planted in the data where it can be."""
    cb = casekit.load(SYNTHETIC)
    view = chronology_view(cb, "C00149")
    view.events = view.events.copy()
    view.events.loc[view.events.index[0], "summary"] = SCRIPT
    record = supervision_record(cb, cb.supervisions["supervision_id"].iloc[0])
    record.session["hypotheses"] = SCRIPT
    team = cb.teams["team_id"].iloc[0]
    scope = scope_for(cb, team)
    ok = TeamResult(team, f"Team {SCRIPT}", ok=True, headline={"open cases": SCRIPT})
    failed = TeamResult("T99", "Another", ok=False, error=SCRIPT)
    out = tmp_path_factory.mktemp("index")
    index = write_index(out, [scope], [ok, failed]).read_text(encoding="utf-8")
    return {
        "chronology": chronology_html(view),
        "record": record_html(record),
        "index": index,
        "review": _page(f"Caseload review: {SCRIPT}", "<h1>Caseload review</h1>"),
        "login": login_page("/login", '<input type="hidden" name="_xsrf" value="x">', SCRIPT),
        "home": home_page(SCRIPT, case=SCRIPT),
    }


@pytest.mark.parametrize(
    "name, kind",
    [
        ("chronology", "chronology"),
        ("record", "record"),
        ("index", "review"),
        ("review", "review"),
        ("login", "app"),
        ("home", "app"),
    ],
)
def test_every_page_is_the_one_shell(pages, name, kind):
    html = pages[name]
    assert html.startswith('<!doctype html>\n<html lang="en"><head><meta charset="utf-8">')
    policy = FORM_CSP if name == "login" else CSP  # only the login form posts (to the app)
    assert f'<meta http-equiv="Content-Security-Policy" content="{policy}">' in html
    assert f"<style>\n{css()}</style>" in html
    main = {"login": '<main class="login">', "home": '<main id="tasks">'}.get(name, "<main>")
    after_body = "<a class" if name == "home" else main  # the home page's skip link comes first
    assert f'<body class="{kind}">\n{after_body}' in html
    assert html.count(main) == 1 and html.count("</main>") == 1
    assert "<script" not in html  # the planted script is escaped wherever it went
    assert "&lt;script&gt;document.title" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing from outside


def test_review_pages_keep_the_line_an_old_review_is_known_by(pages):
    for name in ("index", "review"):
        assert '<p class="note">Produced by casekit ' in pages[name][-4096:]


def test_a_script_that_slipped_past_escaping_neither_runs_nor_fetches(tmp_path):
    """The policy is the second guard: markup given as HTML by mistake stays inert."""
    from playwright.sync_api import sync_playwright

    planted = (
        f"<h1>Still here</h1>{SCRIPT}"
        "<img alt='x' src='http://127.0.0.1:9/tracker.png' onerror=\"document.title='ran'\">"
        "<img alt='chart' src='data:image/gif;base64,R0lGODlhAQABAAAAACw=' id='inline'>"
    )
    path = tmp_path / "page.html"
    path.write_text(page("Kept title", planted, kind="review"), encoding="utf-8")
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            tab = browser.new_page()
            fetched: list[str] = []  # what reached the network: a blocked request never does

            def record(route):
                fetched.append(route.request.url)
                route.abort()

            tab.route("http*://**/*", record)
            tab.goto(path.as_uri())
            tab.wait_for_load_state("load")
            title = tab.title()
            heading = tab.locator("main h1").inner_text()
            family = tab.evaluate("getComputedStyle(document.body).fontFamily")
        finally:
            browser.close()
    assert title == "Kept title" and heading == "Still here"
    assert fetched == []
    assert family.startswith("system-ui")  # the inlined style sheet applies


def _sources() -> list[Path]:
    return sorted(CASEKIT.rglob("*.py"))


def test_no_module_writes_a_page_shell_of_its_own():
    shells = [
        p.relative_to(ROOT)
        for p in _sources()
        if re.search(r"<!doctype|<style|<body\b", p.read_text(encoding="utf-8"), re.IGNORECASE)
    ]
    assert shells == []
    templates = {
        str(p.relative_to(CASEKIT))
        for p in CASEKIT.rglob("templates/*.html")
        if "<!doctype" in p.read_text(encoding="utf-8").lower()
    }
    assert templates == {"render/templates/page.html"}
    for p in CASEKIT.glob("*/templates/*.html"):
        text = p.read_text(encoding="utf-8")
        if p.name == "app_head.html":  # not a page: style and script put into Voila's pages
            assert "<html" not in text.lower()
        elif p.parent.parent.name != "render":
            assert text.count('{% extends "page.html" %}') == 1, p


def test_only_the_xlsx_writer_writes_workbooks():
    writing = re.compile(r"openpyxl\.styles|WriteOnlyCell|Workbook\(|to_excel|ExcelWriter")
    writers = [
        str(p.relative_to(CASEKIT))
        for p in _sources()
        if writing.search(p.read_text(encoding="utf-8"))
    ]
    assert writers == ["render/xlsx.py"]


def test_templates_and_the_style_sheet_ship_as_package_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = config["tool"]["setuptools"]["package-data"]
    files = sorted(p for p in CASEKIT.rglob("templates/**/*") if p.is_file())
    assert {"page.html", "casekit.css"} <= {p.name for p in files}
    assert "hub/page.html" in {p.relative_to(p.parent.parent).as_posix() for p in files}
    for path in files:
        folder = next(f for f in path.parents if f.name == "templates")  # its package's
        package = ".".join(folder.parent.relative_to(ROOT).parts)
        globs = package_data.get(package, [])
        inside = path.relative_to(folder.parent)
        assert any(
            inside.full_match(g) if hasattr(inside, "full_match") else inside.match(g)
            for g in globs
        ), f"{path} is not package data of {package}"
