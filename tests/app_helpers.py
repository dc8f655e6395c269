"""Starting and stopping `casekit app` for the tests that drive it, and driving Chromium there."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

CASE = "C00149"


def free_port() -> int:
    """Return a localhost port that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(
    store: Path,
    cwd: Path,
    env: dict[str, str],
    case: str = CASE,
    user: str = "security-test",
    extra: tuple[str, ...] = (),
) -> tuple[subprocess.Popen, int, str]:
    """Start `casekit app` on ``store`` and ``case``; return the process, its port and URL."""
    port = free_port()
    log = cwd / f"app-{port}.log"  # a file, not a pipe: a full pipe would stall the server
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "casekit.cli",
                "app",
                "--store",
                str(store),
                "--case",
                case,
                "--port",
                str(port),
                *extra,
            ],
            env=dict(os.environ, CASEKIT_USER=user, **env),
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    deadline = time.monotonic() + 90
    while not (match := re.search(r"(http://127\.0\.0\.1:\d+/\S*)", log.read_text())):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"casekit app did not start:\n{log.read_text()}")
        time.sleep(0.2)
    deadline = time.monotonic() + 90
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"casekit app did not listen:\n{log.read_text()}") from None
            time.sleep(0.3)
    return proc, port, match.group(1)


def stop(proc: subprocess.Popen) -> None:
    """Stop the app with SIGTERM, as a user's Ctrl+C or a service manager would."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError("casekit app ignored SIGTERM") from None


def status(url: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> int:
    """Return the HTTP status of a request, without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with opener.open(request, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


CHROMIUM = "/usr/bin/chromium"
"""Debian's Chromium: the browser tests never download one."""


def launch_chromium(playwright: Playwright) -> Browser:
    """Launch Debian's Chromium headless, with its background traffic to the internet off."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    )


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, launched for a test module and closed after it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            yield browser
        finally:
            browser.close()


LOCAL = ("http://127.0.0.1:", "ws://127.0.0.1:", "file:", "data:", "blob:")


def refuse_outside(context: BrowserContext) -> list[str]:
    """Make ``context`` refuse every request leaving the machine; return the list it records."""
    outside: list[str] = []

    def local_only(route) -> None:
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            outside.append(f"{route.request.url} (from {route.request.frame.url})")
            route.abort()

    context.route("**/*", local_only)
    return outside


def add_visit(page: Page, summary: str) -> None:
    """Add a visit with ``summary`` in the chronology builder on ``page``; wait until listed."""
    page.fill(".ck-field-date input", "2024-06-01")
    page.select_option(".ck-field-source_agency select", "education")
    page.select_option(".ck-field-kind select", "visit")
    page.select_option(".ck-field-category select", "protective")
    page.select_option(".ck-field-level select", "child")
    page.fill(".ck-field-summary textarea", summary)
    page.click(".ck-add")
    page.wait_for_selector(f".ck-list >> text={summary}", timeout=60_000)


WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING_IMPACTS = ("serious", "critical")


def axe_violations(page) -> list[dict]:
    """Run axe-core's WCAG 2.2 A and AA rules on the page; return the serious and critical."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": WCAG_22_AA},
            "resultTypes": ["violations"],
        },
    )
    return [v for v in results.response["violations"] if v["impact"] in FAILING_IMPACTS]


def describe(violations: list[dict]) -> str:
    """Each violation as rule id, impact, help and every target, so a failure says what to fix."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} [{v['helpUrl']}]")
        for node in v["nodes"]:
            lines.append(f"    target {node['target']}: {node['html'][:200]}")
            why = " ".join(node.get("failureSummary", "").split())
            lines.append(f"      {why[:300]}")
    return "\n".join(lines)


def assert_accessible(page, what: str) -> None:
    """Fail, listing every violation, if axe finds a serious or critical one on the page."""
    assert page.evaluate("document.documentElement.lang") == "en", f"{what}: no lang='en'"
    found = axe_violations(page)
    assert found == [], f"{what}: WCAG 2.2 AA violations\n{describe(found)}"
