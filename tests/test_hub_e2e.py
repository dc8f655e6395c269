"""A team's casebook under JupyterHub, end to end, driven in Debian's Chromium.

PostgreSQL (the run's throwaway cluster) holds the store; JupyterHub runs the deployment's own
``deploy/jupyterhub/jupyterhub_config.py`` with DummyAuthenticator (a password),
SimpleLocalProcessSpawner and configurable-http-proxy from npm, on free localhost ports. Alice and
Bob log in through the hub's login page and open the chronology builder in their own servers
(Voila). Alice's entry is recorded under her hub name (``JUPYTERHUB_USER``) and her opening of
the case is in the access log (``casekit audit``). The hub, the proxy, the servers and their
kernels are stopped at the end, whatever happened.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from app_helpers import CHROMIUM, launch_chromium
from conftest import SYNTHETIC
from hub_helpers import start_hub, stop_hub

import casekit

ALICE, BOB = "alice", "bob"
ALICE_TEAM, BOB_TEAM = "T01", "T02"
SUMMARY = "Hub test: Alice saw the young person at the <b>youth club</b>"
BUILDER = "voila/render/chronology_builder.ipynb"


@pytest.fixture(scope="module")
def team_store(pg_cluster, tmp_path_factory):
    """A PostgreSQL store of the synthetic bundle: (the admin URL, the URL without password)."""
    url = pg_cluster.new_database()
    with casekit.open(url, user="setup") as s:
        s.import_casebook(casekit.load(SYNTHETIC))
    p = sa.engine.make_url(url)
    yield url, f"postgresql://{p.username}@{p.host}:{p.port}/{p.database}"
    pg_cluster.drop_database(url)


@pytest.fixture(scope="module")
def hub(team_store, tmp_path_factory):
    """JupyterHub for Alice and Bob on the team store; yield (its URL, the password); stop it."""
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: apt-get install chromium"
    admin_url, store_url = team_store
    folder = tmp_path_factory.mktemp("hub")
    folder.chmod(0o700)
    secret = folder / "store-password"
    secret.write_text(sa.engine.make_url(admin_url).password or "")
    secret.chmod(0o600)
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        "LANG": "C.UTF-8",
        "CASEKIT_HUB_STORE": store_url,
        "CASEKIT_HUB_PASSWORD_FILE": str(secret),
    }
    password = secrets.token_urlsafe(16)
    started = time.monotonic()
    process, url = start_hub(folder, env, {ALICE, BOB}, password)
    try:
        yield url, password, folder
    finally:
        stop_hub(process)
        print(f"hub test: the hub ran {time.monotonic() - started:.0f} s", file=sys.stderr)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = launch_chromium(p)
        yield chromium
        chromium.close()


def log_in(browser, hub_url: str, name: str, password: str, outside: list[str]):
    """Log ``name`` in through the hub's login page; return the page, on their server."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1300, "height": 1600})

    def only_this_machine(route):
        if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:")):
            route.continue_()
        else:
            outside.append(f"{route.request.url} (from {route.request.frame.url})")
            route.abort()

    context.route("**/*", only_this_machine)
    page = context.new_page()
    page.goto(f"{hub_url}/hub/login", timeout=120_000)
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"**/user/{name}/**", timeout=240_000)  # the hub starts their server
    return page


def open_builder(page, hub_url: str, name: str, query: str = "") -> None:
    """Open the chronology builder in ``name``'s server and wait for its case list."""
    page.goto(f"{hub_url}/user/{name}/{BUILDER}{query}", timeout=180_000)
    page.wait_for_selector(".ck-case-choice select", timeout=180_000)


def case_options(page) -> dict[str, str]:
    """Return the cases the builder's case list offers: ID to the option's label."""
    labels = page.eval_on_selector_all(
        ".ck-case-choice select option", "options => options.map(o => o.textContent)"
    )
    return {label.split(maxsplit=1)[0]: label for label in labels}  # spaces are &nbsp;


def team_cases(admin_url: str, team: str) -> set[str]:
    """Return the IDs of a team's cases, read as the store's administrator."""
    cases = casekit.load(admin_url).cases
    return set(cases.loc[cases["team_id"] == team, "case_id"])


def test_alice_adds_an_entry_recorded_under_her_hub_name_and_logged(hub, team_store, browser):
    hub_url, password, _ = hub
    admin_url, store_url = team_store
    case = sorted(team_cases(admin_url, ALICE_TEAM))[0]
    outside: list[str] = []
    page = log_in(browser, hub_url, ALICE, password, outside)
    open_builder(page, hub_url, ALICE)
    offered = case_options(page)
    assert case in offered
    assert f"recorded as {ALICE}" in page.inner_text(".ck-recorded-as")
    page.select_option(".ck-case-choice select", label=offered[case])
    page.click(".ck-open-case")
    page.wait_for_selector(".ck-add", timeout=120_000)
    page.fill(".ck-field-date input", "2024-06-01")
    page.select_option(".ck-field-source_agency select", "education")
    page.select_option(".ck-field-kind select", "visit")
    page.select_option(".ck-field-category select", "protective")
    page.select_option(".ck-field-level select", "child")
    page.fill(".ck-field-summary textarea", SUMMARY)
    page.click(".ck-add")
    page.wait_for_selector(f".ck-list >> text={SUMMARY}", timeout=60_000)
    saved = casekit.load(admin_url).events
    row = saved[saved["summary"] == SUMMARY]
    assert len(row) == 1 and row["case_id"].item() == case
    assert row["recorded_by"].item() == ALICE  # JUPYTERHUB_USER, not the OS account
    audit = subprocess.run(
        [sys.executable, "-m", "casekit.cli", "audit", "--store", admin_url, "--case", case],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert audit.returncode == 0, audit.stderr
    opened = [line for line in audit.stdout.splitlines() if "open_case" in line]
    assert any(ALICE in line and "chronology builder" in line for line in opened), audit.stdout
    assert sa.engine.make_url(admin_url).password not in audit.stdout + audit.stderr
    assert outside == [], outside  # nothing the page asked for left the machine
    page.context.close()


def test_the_password_reaches_the_server_but_never_the_url_or_the_logs(hub, team_store):
    hub_url, password, folder = hub
    admin_url, _ = team_store
    secret = sa.engine.make_url(admin_url).password
    assert secret and secret not in (folder / "hub.log").read_text()
    for path in (folder / "homes").rglob("*"):
        if path.is_file() and path.stat().st_size < 5_000_000:
            assert secret.encode() not in path.read_bytes(), path
