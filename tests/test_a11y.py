"""Accessibility in a real browser: axe-core (bundled by axe-playwright-python, never fetched)
in Debian's Chromium finds no serious or critical WCAG 2.2 AA violation on any page casekit
shows: the app's home page, each app page with a case open, a review page and its index, an
exported chronology and supervision record, and pages of the docs site. Also a keyboard-only
test: an entry added and a supervision draft saved without touching the mouse.

One app serves the whole module (starting Voila and its kernels is the slow part)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from app_helpers import (
    CHROMIUM,
    assert_accessible,
    axe_violations,
    chromium,
    describe,
    refuse_outside,
    start_app,
    stop,
)
from conftest import ROOT, SYNTHETIC

import casekit
from casekit.cli import main

CASE = "C00149"
USER = "a11y-test"
LONG = 120_000  # ms: a notebook page on a slow, shared 2-core machine

# Each app page, and what shows it has finished drawing with the case open.
APP_PAGES = {
    "chronology_builder": ".ck-chronology-builder .ck-list",
    "risk_timeline": ".ck-risk-timeline .ck-timeline-figure",
    "reflective_supervision": ".ck-supervision-session",
    "bundle_check": ".jp-OutputArea-output table",
    "proportionality_trends": ".jp-OutputArea-output img",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """Start one app on a fresh store with reviews of a small synthetic bundle; stop it after.

    Yields (base URL, token, store path, folder of exported files).
    """
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: apt-get install chromium"
    tmp = tmp_path_factory.mktemp("a11y")
    store = tmp / "casebook.sqlite"
    with casekit.open(store) as s:
        s.import_casebook(casekit.load(SYNTHETIC))
    bundle, reports = tmp / "bundle", tmp / "reports"
    assert main(["synth", "--out", str(bundle), "--cases", "60", "--teams", "2"]) == 0
    assert main(["review", "--data", str(bundle), "--out", str(reports), "--team", "all"]) == 0
    exports = tmp / "exports"
    exports.mkdir()
    export_files(store, exports)
    proc, port, printed = start_app(
        store, tmp, {}, case=CASE, user=USER, extra=("--reports", str(reports))
    )
    try:
        yield f"http://127.0.0.1:{port}/", printed.split("token=", 1)[1], store, exports
    finally:
        stop(proc)


def export_files(store: Path, folder: Path) -> None:
    """Export the case's chronology and a supervision record as HTML, as a user would."""
    from casekit.analysis.export import chronology_view, export_chronology
    from casekit.analysis.supervision_record import export_record, supervision_record

    cb = casekit.load(store)
    export_chronology(chronology_view(cb, CASE), folder / "chronology.html")
    first = cb.supervisions["supervision_id"].iloc[0]
    export_record(supervision_record(cb, first), folder / "supervision.html")


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, with nothing fetched from outside the machine."""
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    """A fresh page that refuses, and records, any request leaving the machine."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1300, "height": 1000})
    outside = refuse_outside(context)
    page = context.new_page()
    page.set_default_timeout(LONG)
    yield page
    context.close()
    assert outside == [], f"requests left the machine: {outside}"


def test_axe_finds_a_violation_it_should_and_reports_it_usefully(page):
    """The check itself works: a page with an unlabelled field and no lang fails, named."""
    page.set_content("<html><body><input type='text'><img src='data:,'></body></html>")
    found = {v["id"]: v for v in axe_violations(page)}
    assert {"html-has-lang", "image-alt", "label"} <= set(found)
    message = describe(list(found.values()))
    assert "label (critical)" in message and "target ['input']" in message


def test_home_page(served, page):
    base, token, _, _ = served
    page.goto(f"{base}?token={token}")
    page.wait_for_selector("text=What would you like to do?")
    assert_accessible(page, "home page")


def test_login_page(served, page):
    base, _, _, _ = served
    page.goto(base)  # no token: the login page
    page.wait_for_selector("input[type=password]")
    assert "/login" in page.url
    assert_accessible(page, "login page")


def test_notebooks_folder(served, page):
    base, token, _, _ = served
    page.goto(f"{base}voila/tree?token={token}")
    page.wait_for_selector("text=chronology_builder.ipynb")
    assert_accessible(page, "notebooks folder (voila/tree)")


def test_a_page_that_is_not_there(served, page):
    base, token, _, _ = served
    page.goto(f"{base}voila/render/no_such_notebook.ipynb?token={token}")
    page.wait_for_load_state()
    assert_accessible(page, "a missing notebook's page")


def test_the_named_login_page(page):
    from casekit.app.server import login_page

    page.set_content(login_page("/login?next=%2F", "<input type=hidden name=_xsrf>", ""))
    assert_accessible(page, "named login page")
    page.set_content(login_page("/login", "", "Invalid credentials <b>"))
    assert page.locator("[role=alert]").inner_text() == "Invalid credentials <b>"
    assert_accessible(page, "named login page with its error")


@pytest.mark.parametrize("notebook", list(APP_PAGES))
def test_app_page_with_a_case_open(served, page, notebook):
    base, token, _, _ = served
    page.goto(f"{base}voila/render/{notebook}.ipynb?token={token}")
    page.wait_for_selector(APP_PAGES[notebook], state="attached")
    page.wait_for_selector("#loading", state="hidden")  # Voila has run every cell
    if notebook in ("chronology_builder", "risk_timeline", "reflective_supervision"):
        assert page.locator(".ck-case-choice select").first.input_value().startswith(CASE)
    # every image drawn (the timeline is sent after the page) before axe looks at them
    page.wait_for_function(
        "() => [...document.images].every(i => i.src && i.complete && i.naturalWidth > 0)"
    )
    assert_accessible(page, f"{notebook}.ipynb")
    # axe skips what is hidden: open every tab (the supervision's stages, the builder's
    # import) and check what it shows too
    tabs = page.locator(".lm-TabBar-tab")
    found = []
    for i in range(tabs.count()):
        tab = tabs.nth(i)
        tab.click()
        chosen = "t => t.classList.contains('lm-mod-current')"
        page.wait_for_function(chosen, arg=tab.element_handle())
        found += [(tab.inner_text(), v) for v in axe_violations(page)]
    assert found == [], f"{notebook}.ipynb, tab by tab:\n" + "\n".join(
        f"[{name}] {describe([v])}" for name, v in found
    )


@pytest.mark.parametrize("name", ["index.html", "T01.html"])
def test_review_pages(served, page, name):
    base, token, _, _ = served
    page.goto(f"{base}?token={token}")  # log in, then follow the home page's link
    page.click(f"a[href$='/casekit/reports/{name}']")
    page.wait_for_selector("h1")
    assert page.url.endswith(f"/casekit/reports/{name}")
    assert_accessible(page, f"review {name}")


@pytest.mark.parametrize("name", ["chronology.html", "supervision.html"])
def test_exported_records(served, page, name):
    _, _, _, exports = served
    page.goto((exports / name).as_uri())
    page.wait_for_selector("h1")
    assert_accessible(page, f"exported {name}")


@pytest.fixture(scope="module")
def docs_site(tmp_path_factory) -> Path:
    """The docs site, built strictly as `make docs` builds it."""
    from test_docs import build_site

    out = tmp_path_factory.mktemp("docs") / "site"
    built = build_site(ROOT, out)
    assert built.returncode == 0, built.stdout + built.stderr
    return out


@pytest.mark.parametrize("name", ["index.html", "deploying.html", "api/casekit.html"])
def test_docs_site_pages(docs_site, page, name):
    page.goto((docs_site / name).as_uri())
    page.wait_for_selector("h1")
    assert_accessible(page, f"docs site {name}")


def test_a_figure_in_a_notebook_carries_its_alt_text_and_needs_one():
    from matplotlib.figure import Figure

    from casekit.errors import CasekitError
    from casekit.render.figures import DescribedFigure, figure_img

    fig = Figure(figsize=(2, 1))
    html = DescribedFigure(fig, 'Rates <by> "group"')._repr_html_()
    assert html.startswith('<img class="figure" alt="Rates &lt;by&gt; &quot;group&quot;" src=')
    assert 'src="data:image/png;base64,iVBOR' in html  # a PNG, inside the page
    for empty in ("", "   "):
        with pytest.raises(CasekitError, match="a figure needs alt text"):
            DescribedFigure(fig, empty)
        with pytest.raises(CasekitError, match="a figure needs alt text"):
            figure_img(fig, empty)


def test_review_and_research_figures_never_carry_meaning_by_colour_alone():
    """Radicalisation and other referrals differ by hatching in the review's bars and by
    marker in the research figures, as well as by colour."""
    import pandas as pd

    from casekit.analysis.research import GROUP_BAU, GROUP_RADICALISATION
    from casekit.analysis.research_figures import _STYLE
    from casekit.review.figures import count_bars
    from casekit.review.sections import Table

    frame = pd.DataFrame(
        {"source": ["education", "police", "Total"], GROUP_RADICALISATION: [3, 1, 4]}
        | {GROUP_BAU: [2, 5, 7]}
    )
    fig = count_bars(Table("by_source", "Referrals by source", frame), "referrals")
    bars = [p for p in fig.axes[0].patches if p.get_height() > 0]
    by_label = {}
    for container in fig.axes[0].containers:
        by_label[container.get_label()] = {b.get_hatch() or "" for b in container}
    assert len(bars) == 4
    assert by_label[GROUP_RADICALISATION] != by_label[GROUP_BAU]
    assert _STYLE[GROUP_RADICALISATION]["marker"] != _STYLE[GROUP_BAU]["marker"]


# --- keyboard only ------------------------------------------------------------------------------

KEYED_ENTRY = "Keyboard test: college plans with the mentor"  # the list shows 60 characters
KEYED_EXPERIENCE = "Keyboard test: the worker describes the home visit, typed without a mouse."


def tab_to(page, selector: str, limit: int = 400) -> None:
    """Press Tab until the focus is in ``selector``, as a keyboard user moves through a page."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => !!document.activeElement?.closest(s)", selector):
            return
    raise AssertionError(f"{limit} presses of Tab never reached {selector}")


def follow_home_page_link(page, base: str, token: str, words: str, notebook: str) -> None:
    """Open the home page and follow the link ``words`` to ``notebook`` by Tab and Enter."""
    page.goto(f"{base}?token={token}")
    page.wait_for_selector("text=What would you like to do?")
    tab_to(page, f"a[href$='/{notebook}']")
    assert page.evaluate("document.activeElement.textContent.trim()") == words
    page.keyboard.press("Enter")


def test_keyboard_only_adds_a_chronology_entry(served, page):
    base, token, store, _ = served
    follow_home_page_link(page, base, token, "Build a chronology", "chronology_builder.ipynb")
    page.wait_for_selector(".ck-chronology-builder .ck-add")
    page.wait_for_selector("#loading", state="hidden")
    tab_to(page, ".ck-field-date input")
    page.keyboard.type("06062024")  # the same whether the browser puts day or month first
    page.wait_for_function("() => document.activeElement.value === '2024-06-06'")
    for field, choice in (
        ("source_agency", "education"),
        ("kind", "visit"),
        ("category", "protective"),
        ("level", "child"),
    ):
        tab_to(page, f".ck-field-{field} select")
        page.keyboard.type(choice)  # a closed list chooses what is typed
        page.wait_for_function(
            "([s, v]) => document.querySelector(s).value.includes(v)",
            arg=[f".ck-field-{field} select", choice],
        )
    tab_to(page, ".ck-field-summary textarea")
    page.keyboard.type(KEYED_ENTRY)
    page.wait_for_function("v => document.activeElement.value === v", arg=KEYED_ENTRY)
    tab_to(page, ".ck-add")
    page.keyboard.press("Enter")
    page.wait_for_selector(".ck-chronology-builder >> text=Saved entry")
    page.wait_for_selector(f".ck-list >> text={KEYED_ENTRY}")
    saved = casekit.load(store).events
    row = saved[saved["summary"] == KEYED_ENTRY]
    assert len(row) == 1
    assert (row["case_id"].item(), row["recorded_by"].item()) == (CASE, USER)
    assert str(row["date"].item().date()) == "2024-06-06"
    assert (row["source_agency"].item(), row["kind"].item()) == ("education", "visit")
    assert (row["category"].item(), row["level"].item()) == ("protective", "child")


def test_keyboard_only_saves_a_supervision_draft(served, page):
    from casekit.analysis.supervision import draft_key

    base, token, store, _ = served
    follow_home_page_link(
        page, base, token, "Hold a reflective supervision", "reflective_supervision.ipynb"
    )
    page.wait_for_selector(".ck-supervision-session .ck-stage-experience textarea")
    page.wait_for_selector("#loading", state="hidden")
    tab_to(page, ".ck-stage-experience textarea")
    page.keyboard.type(KEYED_EXPERIENCE)
    page.wait_for_selector(".ck-status >> text=Draft saved")
    # every key is saved as it reaches the kernel: wait for the last one, not for a time
    deadline = time.monotonic() + 60
    while (typed := experience_draft(store, draft_key(CASE, USER))) != KEYED_EXPERIENCE:
        assert time.monotonic() < deadline, f"the draft holds {typed!r}"
        page.wait_for_timeout(250)


def experience_draft(store: Path, key: str) -> str | None:
    """The experience stage of a supervision draft in the store, if there is one."""
    with casekit.open(store) as s:
        draft = s.draft(key)
    return draft["session"]["stages"]["experience"] if draft else None
