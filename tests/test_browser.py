"""The chronology builder in a real browser: Debian's Chromium, driven by Playwright, against
the Voila app (`casekit app`) that the test starts on localhost."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest
from app_helpers import CHROMIUM, add_visit, launch_chromium, start_app, stop
from conftest import ROOT, SYNTHETIC

import casekit
from casekit.outputs import person_folder

CASE = "C00149"
SUMMARY = "Browser test: the young person <b>joined</b> the youth club"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """Start `casekit app` on a fresh store; yield (its URL with the token, store); stop it."""
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: apt-get install chromium"
    tmp = tmp_path_factory.mktemp("app")
    store = tmp / "casebook.sqlite"
    with casekit.open(store) as s:
        s.import_casebook(casekit.load(SYNTHETIC))
    proc, port, printed = start_app(store, tmp, {}, case=CASE, user="browser-test")
    token = printed.split("token=", 1)[1]
    yield f"http://127.0.0.1:{port}/voila/render/chronology_builder.ipynb?token={token}", store
    stop(proc)


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        context = browser.new_context(locale="en-GB", viewport={"width": 1300, "height": 1600})
        yield context.new_page()
        browser.close()


def test_add_an_entry_in_the_browser_and_it_survives_a_reload(app, page):
    url, store = app
    page.goto(url, timeout=90_000)
    page.wait_for_selector(".ck-add", timeout=90_000)
    add_visit(page, SUMMARY)
    assert "Saved entry" in page.inner_text(".ck-chronology-builder")
    saved = casekit.load(store).events
    row = saved[saved["summary"] == SUMMARY]
    assert len(row) == 1 and row["case_id"].item() == CASE
    assert row["recorded_by"].item() == "browser-test"
    page.reload()
    page.wait_for_selector(f".ck-list >> text={SUMMARY}", timeout=90_000)


def test_invalid_entry_shows_a_message_in_the_browser(app, page):
    url, store = app
    before = len(casekit.load(store).events)
    page.goto(url, timeout=90_000)
    page.wait_for_selector(".ck-add", timeout=90_000)
    page.fill(".ck-field-summary textarea", "No date or category given")
    page.click(".ck-add")
    page.wait_for_selector(
        "text=Not saved: please correct the fields marked in red", timeout=30_000
    )
    assert page.locator(".ck-error").count() >= 4  # date, source, kind, category, level
    assert len(casekit.load(store).events) == before


def test_an_exported_chronology_downloads_from_its_link(app, page):
    url, store = app
    top = ROOT / "notebooks" / "chronology_exports"
    made = not top.exists()
    folder = top / person_folder("browser-test")  # the app's person's own folder
    try:
        page.goto(url, timeout=90_000)
        page.wait_for_selector(".ck-add", timeout=90_000)
        page.get_by_role("tab", name="Export").click()
        page.fill(".ck-export-reason input", "For the strategy meeting")
        page.click(".ck-export")
        link = page.locator(".ck-chronology-builder a.ck-download")
        link.wait_for(timeout=30_000)
        assert link.inner_text() == f"Download chronology-{CASE}.html"
        with page.expect_download(timeout=30_000) as download:
            link.click()
        got = Path(download.value.path()).read_text(encoding="utf-8")
        assert got == (folder / f"chronology-{CASE}.html").read_text(encoding="utf-8")
        assert CASE in got
        with casekit.open(store) as s:
            logged = s.access_log(case_id=CASE)
        assert logged["reason"].tolist()[-1] == "For the strategy meeting"
    finally:
        (folder / f"chronology-{CASE}.html").unlink(missing_ok=True)
        if folder.exists():
            folder.rmdir()
        if made and top.exists():
            top.rmdir()


def test_moving_the_as_known_at_slider_redraws_the_timeline(app, page):
    url, _ = app
    page.goto(url.replace("chronology_builder", "risk_timeline"), timeout=90_000)
    figure = page.locator(".ck-timeline-figure").first
    figure.wait_for(timeout=90_000)
    page.wait_for_function("el => el.src && el.src.length > 0", arg=figure.element_handle())
    before = figure.get_attribute("src")
    entries_before = page.locator(".ck-risk-timeline select option").count()
    handle = page.locator(".ck-known-at .noUi-handle").first
    handle.focus()
    for _ in range(60):  # back by 60 weeks, a key press at a time, as a user would
        handle.press("ArrowLeft")
    page.wait_for_function(
        "([el, old]) => el.src !== old", arg=[figure.element_handle(), before], timeout=30_000
    )
    assert page.locator(".ck-known-at").inner_text() != "now"
    page.wait_for_function(
        f"() => document.querySelectorAll('.ck-risk-timeline select option').length "
        f"< {entries_before}",
        timeout=30_000,
    )


REFLECTION = "Browser test: we read his <i>faith</i> as risk; his behaviour says otherwise."
VOICE = 'Browser test: "I want to go back to <b>football</b>," he said.'
SUPPORT = "Browser test: the worker is tired after the press coverage."


def test_a_reflection_typed_in_supervision_survives_a_reload(app, page):
    from casekit.analysis.supervision import draft_key

    url, store = app
    page.goto(url.replace("chronology_builder", "reflective_supervision"), timeout=90_000)
    page.wait_for_selector(".ck-supervision-session", timeout=90_000)
    assert "A new session" in page.inner_text(".ck-status")
    page.click(".lm-TabBar-tab >> text=2 Reflection")
    page.locator(".ck-stage-reflection textarea").fill(REFLECTION)
    page.wait_for_selector(".ck-status >> text=Draft saved", timeout=30_000)
    assert "seen alone" in page.inner_text(".ck-seen-alone").lower()  # beside the child's voice
    page.locator(".ck-child-voice textarea").fill(VOICE)
    page.click(".lm-TabBar-tab >> text=Support")
    page.locator(".ck-function-support textarea").fill(SUPPORT)
    for _ in range(60):  # the kernel autosaves each change: wait for the last to land
        with casekit.open(store) as s:
            draft = s.draft(draft_key(CASE, "browser-test"))
        if draft["session"]["functions"]["support"] == SUPPORT:
            break
        page.wait_for_timeout(500)
    page.reload()  # the page closes and opens again: a new kernel
    page.wait_for_selector(".ck-status >> text=Reopened your draft", timeout=90_000)
    page.click(".lm-TabBar-tab >> text=2 Reflection")
    assert page.locator(".ck-stage-reflection textarea").input_value() == REFLECTION
    assert page.locator(".ck-child-voice textarea").input_value() == VOICE
    page.click(".lm-TabBar-tab >> text=Support")
    assert page.locator(".ck-function-support textarea").input_value() == SUPPORT
    with casekit.open(store) as s:
        draft = s.draft(draft_key(CASE, "browser-test"))
    assert draft["session"]["stages"]["reflection"] == REFLECTION
    assert draft["session"]["child_voice"] == VOICE
    assert draft["session"]["functions"]["support"] == SUPPORT


def test_a_session_saved_straight_after_typing_keeps_every_word(app, page):
    """Type the last words and press Save at once: the record holds every word typed.

    The first click only asks; the record is written by the second, and by then every key
    typed before the first has reached the kernel (see ``SupervisionSession.confirm_box``).
    Whether keys queue depends on how busy the kernel is: on a quiet machine a one-click save
    kept every word too (two runs), so this test checks the two-step save end to end, and
    ``test_widget_supervision`` checks that words arriving between the clicks are saved.
    """
    url, store = app
    page.goto(url.replace("chronology_builder", "reflective_supervision"), timeout=90_000)
    page.wait_for_selector(".ck-supervision-session", timeout=90_000)
    texts = {
        "experience": "Browser save: he came to the visit with his father.",
        "reflection": "Browser save: we asked whether his faith is being read as risk.",
        "analysis": "Browser save: the record shows views, not behaviour.",
    }
    for i, (key, text) in enumerate(texts.items(), 1):
        page.click(f".lm-TabBar-tab >> text={i} ")
        page.locator(f".ck-stage-{key} textarea").fill(text)
    page.locator(".ck-hypothesis-1 textarea").fill("Browser save: he is exploring his faith.")
    page.locator(".ck-hypothesis-2 textarea").fill("Browser save: someone is steering him.")
    page.click(".lm-TabBar-tab >> text=4 Action plan")
    last = "Browser save: offer a family group conference and see him alone next week."
    page.locator(".ck-stage-actions textarea").press_sequentially(last)  # key by key
    page.click(".ck-save-session button, button.ck-save-session")  # at once, while keys queue
    page.click("button.ck-confirm-save", timeout=60_000)
    page.wait_for_selector(".ck-message >> text=Saved as", timeout=60_000)
    with casekit.open(store) as s:
        saved = s.case_rows("supervisions", CASE)
    row = saved[saved["experience"] == texts["experience"]].iloc[-1]
    assert row["actions"] == last  # not one key short
    assert row["reflection"] == texts["reflection"]


def test_the_app_serves_exported_records_and_nothing_else(app):
    url, _ = app
    base, token = url.split("/voila/")[0] + "/voila/files/", url.split("?", 1)[1]
    top = ROOT / "notebooks" / "supervision_records"
    made = not top.exists()
    folder = top / person_folder("browser-test")
    folder.mkdir(parents=True, exist_ok=True)
    record = folder / "browser-test-record.html"
    record.write_text("<p>record</p>")
    try:
        served = f"{base}supervision_records/{folder.name}/{record.name}?{token}"
        with urllib.request.urlopen(served, timeout=30) as r:
            assert r.status == 200 and b"record" in r.read()
        for private in ("reflective_supervision.ipynb", "../pyproject.toml"):
            with pytest.raises(urllib.error.HTTPError):
                urllib.request.urlopen(f"{base}{private}?{token}", timeout=30)
    finally:
        record.unlink()
        folder.rmdir()
        if made:
            top.rmdir()
