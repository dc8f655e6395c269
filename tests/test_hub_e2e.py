"""A team's casebook under JupyterHub, end to end, driven in Debian's Chromium.

PostgreSQL (the run's throwaway cluster) holds the store, with its users: Alice, a practitioner
in team T01, and Bob, one in T02 (``casekit.store.users``, which makes the database guard the
store with row-level security). JupyterHub runs the deployment's own
``deploy/jupyterhub/jupyterhub_config.py`` with DummyAuthenticator (a password),
SimpleLocalProcessSpawner and configurable-http-proxy from npm, on free localhost ports; its
``pre_spawn_hook`` gives each server a fresh login of that person's own
(``casekit.store.pgsecurity.issue_login``). Alice and Bob log in through the hub's login page
and open the chronology builder in their own servers (Voila): each sees only their team's
cases, Bob cannot open Alice's case by typing its ID into the address, Alice's entry is recorded
under her hub name (``JUPYTERHUB_USER``) and her opening of the case is in the access log
(``casekit audit``). Carol, whom the hub lets in but the store does not know, gets no server.
Last, the idle culler (with the deployment's scopes) stops the servers left unused.
The hub, the proxy, the servers and their kernels are stopped at the end, whatever happened.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from app_helpers import CHROMIUM, add_visit, assert_accessible, chromium, refuse_outside
from conftest import SYNTHETIC
from hub_helpers import start_hub, stop_hub

import casekit

ALICE, BOB, CAROL, ADMIN = "alice", "bob", "carol", "hubadmin"
ALICE_TEAM, BOB_TEAM = "T01", "T02"
SUMMARY = "Hub test: Alice saw the young person at the <b>youth club</b>"
BUILDER = "voila/render/chronology_builder.ipynb"


@pytest.fixture(scope="module")
def team_store(pg_cluster, tmp_path_factory):
    """A PostgreSQL store of the synthetic bundle and its users; yield its maintenance URL."""
    from casekit.store.users import add_user

    url = pg_cluster.new_database()
    with casekit.open(url, user=ADMIN) as s:
        s.import_casebook(casekit.load(SYNTHETIC))
        add_user(s, ADMIN, "admin", [])  # the first user, who adds the others
        add_user(s, ALICE, "practitioner", [ALICE_TEAM])
        add_user(s, BOB, "practitioner", [BOB_TEAM])
    yield url
    pg_cluster.drop_database(url)


@pytest.fixture(scope="module")
def hub(team_store, tmp_path_factory):
    """JupyterHub for Alice and Bob on the team store; yield (its URL, the password); stop it."""
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: apt-get install chromium"
    folder = tmp_path_factory.mktemp("hub")
    folder.chmod(0o700)
    secret = folder / "store-admin-url"
    secret.write_text(team_store)
    secret.chmod(0o600)
    env = {
        "PATH": os.environ["PATH"],
        "LANG": "C.UTF-8",
        "CASEKIT_HUB_ADMIN_URL_FILE": str(secret),
    }
    if os.environ.get("PYTHONPATH"):  # a checkout run without make's install
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    password, culler = secrets.token_urlsafe(16), secrets.token_hex(32)
    started = time.monotonic()
    process, url, api = start_hub(folder, env, {ALICE, BOB, CAROL}, password, culler)
    folder.joinpath("culler").write_text(f"{api}\n{culler}\n")
    try:
        yield url, password, folder
    finally:
        stop_hub(process)
        print(f"hub test: the hub ran {time.monotonic() - started:.0f} s", file=sys.stderr)


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def log_in(browser, hub_url: str, name: str, password: str, started: bool = True):
    """Log ``name`` in through the hub's login page; return the page, on their server.

    Also return the list of the requests the page made that would have left the machine
    (refused). With ``started=False`` the page is returned once the hub has taken the login.
    """
    context = browser.new_context(locale="en-GB", viewport={"width": 1300, "height": 1600})
    outside = refuse_outside(context)
    page = context.new_page()
    page.goto(f"{hub_url}/hub/login", timeout=120_000)
    assert_accessible(page, "the hub's login page")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("input[type=submit], button[type=submit]")
    if started:
        page.wait_for_url(f"**/user/{name}/**", timeout=240_000)  # the hub starts their server
    return page, outside


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


def query(admin_url: str, sql: str, **params: str) -> list[tuple]:
    """Run ``sql`` as the cluster's superuser (no casekit, no row-level security)."""
    engine = sa.create_engine(sa.engine.make_url(admin_url).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def team_cases(admin_url: str, team: str) -> set[str]:
    """Return the IDs of a team's cases (an admin of the store sees no case: read as superuser)."""
    return {r[0] for r in query(admin_url, "SELECT case_id FROM cases WHERE team_id = :t", t=team)}


def audit_lines(admin_url: str, *args: str) -> list[str]:
    """Return the lines ``casekit audit`` prints for the store, with ``args``."""
    audit = subprocess.run(
        [sys.executable, "-m", "casekit.cli", "audit", "--store", admin_url, *args],
        env={**os.environ, "CASEKIT_USER": ADMIN},  # who reads the log: the store's admin
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert audit.returncode == 0, audit.stderr
    assert sa.engine.make_url(admin_url).password not in audit.stdout + audit.stderr
    return audit.stdout.splitlines()


def logins_connected(admin_url: str) -> set[str]:
    """Return the database roles connected to the store now."""
    database = str(sa.engine.make_url(admin_url).database)
    sql = "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = :d"
    return {str(r[0]) for r in query(admin_url, sql, d=database)}


def login_of(admin_url: str, name: str) -> str:
    """Return the database login role of one of the store's users."""
    from casekit.store.users import list_users

    with casekit.open(admin_url, user=ADMIN) as s:
        users = list_users(s)
    return str(users.loc[users["name"] == name, "login"].item())


def test_alice_sees_her_team_adds_an_entry_recorded_under_her_name_and_logged(
    hub, team_store, browser
):
    hub_url, password, _ = hub
    admin_url = team_store
    ours = team_cases(admin_url, ALICE_TEAM)
    case = sorted(ours)[0]
    page, outside = log_in(browser, hub_url, ALICE, password)
    assert_accessible(page, "her notebooks (voila/tree)")  # where the hub opens her server
    open_builder(page, hub_url, ALICE)
    assert_accessible(page, "the chronology builder under the hub")
    offered = case_options(page)
    assert set(offered) == ours  # her team's cases, and no other team's
    assert f"recorded as {ALICE}" in page.inner_text(".ck-recorded-as")
    assert login_of(admin_url, ALICE) in logins_connected(admin_url)  # her own database login
    page.select_option(".ck-case-choice select", label=offered[case])
    page.click(".ck-open-case")
    page.wait_for_selector(".ck-add", timeout=120_000)
    add_visit(page, SUMMARY)
    saved = query(
        admin_url, "SELECT case_id, recorded_by FROM events WHERE summary = :s", s=SUMMARY
    )
    assert saved == [(case, ALICE)]  # recorded under JUPYTERHUB_USER, not the OS account
    opened = [line for line in audit_lines(admin_url, "--case", case) if "open_case" in line]
    assert any(ALICE in line and "chronology builder" in line for line in opened), opened
    assert outside == [], outside  # nothing the page asked for left the machine
    page.context.close()


def test_bob_sees_only_his_team_and_cannot_open_alice_s_case_by_its_id(hub, team_store, browser):
    hub_url, password, _ = hub
    admin_url = team_store
    alices = sorted(team_cases(admin_url, ALICE_TEAM))[0]
    page, outside = log_in(browser, hub_url, BOB, password)
    open_builder(page, hub_url, BOB, f"?case={alices}")  # her case's ID, typed in the address
    assert set(case_options(page)) == team_cases(admin_url, BOB_TEAM)
    refusal = page.locator(f"text=There is no case {alices} in this store")
    refusal.wait_for(timeout=60_000)
    assert page.locator(".ck-add").count() == 0  # no builder: the case was not opened
    about_hers = audit_lines(admin_url, "--case", alices)
    assert not [line for line in about_hers if f" {BOB} " in line], about_hers
    theirs = sorted(team_cases(admin_url, BOB_TEAM))[0]  # his own case, by ID, does open
    open_builder(page, hub_url, BOB, f"?case={theirs}")
    page.wait_for_selector(".ck-add", timeout=120_000)
    assert any(theirs in line for line in audit_lines(admin_url, "--user", BOB))
    assert outside == [], outside
    page.context.close()


def test_the_idle_culler_runs_as_a_hub_service_with_its_own_token(hub):
    _, _, folder = hub
    log = (folder / "hub.log").read_text()
    assert "Starting managed service idle-culler" in log
    assert re.search(r"200 GET /hub/api/users\S* \(idle-culler@127\.0\.0\.1\)", log)  # it reads


def test_someone_the_store_does_not_know_gets_no_server(hub, team_store, browser):
    hub_url, password, folder = hub
    page, outside = log_in(browser, hub_url, CAROL, password, started=False)
    refusal = page.get_by_text(f"{CAROL!r} is not a user of this store", exact=False)
    refusal.first.wait_for(timeout=240_000)
    assert "Your casekit server was not started" in page.content()
    assert_accessible(page, "the hub's page refusing a server")
    assert outside == [], outside
    assert not (folder / "homes" / CAROL / ".local").exists()  # no server ever ran for her
    page.context.close()


def servers_environments() -> dict[str, dict[str, str]]:
    """Return the environment of each person's running server, by their hub name."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            if b"jupyterhub.singleuser" not in command:
                continue
            pairs = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        environ = dict(p.decode().split("=", 1) for p in pairs if b"=" in p)
        found[environ.get("JUPYTERHUB_USER", "")] = environ
    return found


def test_no_database_password_reaches_the_hub_s_log_or_the_homes(hub, team_store):
    _, _, folder = hub
    servers = servers_environments()
    assert set(servers) >= {ALICE, BOB}
    secrets_ = [sa.engine.make_url(team_store).password or ""]
    for name in (ALICE, BOB):
        store = sa.engine.make_url(servers[name]["CASEKIT_STORE"])
        assert store.password is None and store.username == login_of(team_store, name)
        secrets_.append(servers[name]["PGPASSWORD"])  # their own, fresh
    assert all(len(secret) >= 20 for secret in secrets_) and len(set(secrets_)) == 3
    log = (folder / "hub.log").read_text()
    for path in [folder / "hub.log", *(folder / "homes").rglob("*")]:
        if path.is_file() and path.stat().st_size < 5_000_000:
            body = path.read_bytes()
            assert not [s for s in secrets_ if s.encode() in body], path
    assert "PGPASSWORD" not in log


def test_idle_servers_are_stopped_by_the_culler_with_its_scopes(hub):
    """The idle culler, with the scopes the deployment gives it, stops servers left unused.

    The hub's own culler waits an hour; this runs the same program with the same scopes and a
    one-second limit (a server's activity reaches the hub every five minutes, so both servers
    count as idle), then checks both servers are gone. It runs last: it stops them.
    """
    _, _, folder = hub
    api, token = folder.joinpath("culler").read_text().split()
    assert set(servers_environments()) >= {ALICE, BOB}
    log = folder / "culler.log"
    with log.open("w") as out:
        culler = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub_idle_culler", "--timeout=1", "--cull-every=5"],
            env={**os.environ, "JUPYTERHUB_API_URL": api, "JUPYTERHUB_API_TOKEN": token},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while {ALICE, BOB} & set(servers_environments()) and time.monotonic() < deadline:
            time.sleep(1)
    finally:
        os.killpg(culler.pid, signal.SIGTERM)
        culler.wait(timeout=30)
    assert not {ALICE, BOB} & set(servers_environments()), log.read_text()
    culled = log.read_text()
    assert f"Culling server {ALICE}" in culled and f"Culling server {BOB}" in culled, culled
