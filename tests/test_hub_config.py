"""The JupyterHub deployment's settings: read from the environment, checked, never leaked.

These load ``deploy/jupyterhub/jupyterhub_config.py`` as JupyterHub does (traitlets' loader), so
what is checked is the file a council runs; ``tests/test_hub_e2e.py`` runs it for real.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import ROOT
from traitlets.config import Config, PyFileConfigLoader

from casekit.app.hub import (
    CULLER_SCOPES,
    configure,
    hub_settings,
    read_secret,
    server_environment,
)
from casekit.errors import CasekitError

DEPLOY = ROOT / "deploy" / "jupyterhub" / "jupyterhub_config.py"
STORE = "postgresql://casekit_app@db.council.internal:5432/casebook"


def env(tmp_path: Path, **more: str) -> dict[str, str]:
    return {"CASEKIT_HUB_STORE": STORE, "CASEKIT_HUB_STATE": str(tmp_path / "state"), **more}


def secret_file(tmp_path: Path, text: str = "s3cret-Pa55", mode: int = 0o600) -> Path:
    path = tmp_path / "secret"
    path.write_text(text + "\n")
    path.chmod(mode)
    return path


def load_deploy_config(environ: dict[str, str], monkeypatch) -> Config:
    """Load the deployment's config file as JupyterHub would, in the environment ``environ``."""
    for key in [k for k in os.environ if k.startswith(("CASEKIT_HUB_", "OAUTH_", "OIDC_"))]:
        monkeypatch.delenv(key)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    loader = PyFileConfigLoader(DEPLOY.name, str(DEPLOY.parent))
    return loader.load_config()


def test_the_deployment_config_sets_a_local_hub_with_casekit_servers_and_the_culler(
    tmp_path, monkeypatch
):
    c = load_deploy_config(env(tmp_path), monkeypatch)
    assert c.JupyterHub.bind_url == "http://127.0.0.1:8000"
    assert c.JupyterHub.hub_ip == "127.0.0.1"
    state = tmp_path / "state"
    assert state.is_dir() and state.stat().st_mode & 0o777 == 0o700
    assert c.JupyterHub.db_url == f"sqlite:///{state / 'jupyterhub.sqlite'}"
    assert c.JupyterHub.cookie_secret_file == str(state / "jupyterhub_cookie_secret")
    assert c.Spawner.cmd[-2:] == ["hub-server", "--"]
    assert c.Spawner.default_url == "/voila/tree"
    assert callable(c.Spawner.pre_spawn_hook)
    (templates,) = c.JupyterHub.template_paths  # JupyterHub's pages, in enough contrast
    assert 'extends "templates/page.html"' in (Path(templates) / "page.html").read_text()
    (culler,) = c.JupyterHub.services
    assert culler["name"] == "idle-culler" and "--timeout=3600" in culler["command"]
    (role,) = c.JupyterHub.load_roles
    assert role["services"] == ["idle-culler"] and role["scopes"] == CULLER_SCOPES
    assert "admin:users" not in role["scopes"]  # it may stop servers, not manage people
    assert "authenticator_class" not in c.JupyterHub  # PAM unless the council sets SSO


def authenticator(kind: type, c: Config, caplog) -> object:
    """Make OAuthenticator's ``kind`` from the config, failing on any setting it does not know."""
    with caplog.at_level(logging.WARNING):
        made = kind(config=c)
    unknown = [r.getMessage() for r in caplog.records if "not recognized" in r.getMessage()]
    assert unknown == []
    return made


def test_a_council_s_single_sign_on_is_set_from_the_environment(tmp_path, monkeypatch, caplog):
    from oauthenticator.azuread import AzureAdOAuthenticator
    from oauthenticator.generic import GenericOAuthenticator

    secret = secret_file(tmp_path, "client-secret-value")
    sso = {
        "OAUTH_CLIENT_ID": "casekit-hub",
        "OAUTH_CLIENT_SECRET_FILE": str(secret),
        "OAUTH_CALLBACK_URL": "https://casekit.council.gov.uk/hub/oauth_callback",
        "OAUTH_ALLOWED_GROUPS": "casekit-north, casekit-south,",
    }
    c = load_deploy_config(
        env(tmp_path, CASEKIT_HUB_SSO="azuread", AZURE_TENANT_ID="tenant-1", **sso), monkeypatch
    )
    assert c.JupyterHub.authenticator_class == "azuread"
    azure = authenticator(AzureAdOAuthenticator, c, caplog)
    assert azure.tenant_id == "tenant-1" and azure.client_secret == "client-secret-value"
    assert azure.allowed_groups == {"casekit-north", "casekit-south"} and azure.manage_groups
    assert azure.admin_groups == {"casekit-hub-admins"}
    assert azure.user_info_to_username({"preferred_username": "A.Worker@Council.gov.uk"}) == (
        "a.worker"
    )
    c = load_deploy_config(
        env(tmp_path, CASEKIT_HUB_SSO="generic", OIDC_ISSUER="https://id.council/realms/x/", **sso),
        monkeypatch,
    )
    assert c.JupyterHub.authenticator_class == "generic-oauth"
    generic = authenticator(GenericOAuthenticator, c, caplog)
    assert generic.token_url == "https://id.council/realms/x/protocol/openid-connect/token"
    assert generic.user_info_to_username({"preferred_username": "b.worker"}) == "b.worker"
    with pytest.raises(SystemExit, match="give azuread or generic"):
        load_deploy_config(env(tmp_path, CASEKIT_HUB_SSO="ldap", **sso), monkeypatch)
    with pytest.raises(KeyError, match="OAUTH_CLIENT_ID"):  # a missing setting names itself
        load_deploy_config(env(tmp_path, CASEKIT_HUB_SSO="generic"), monkeypatch)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"CASEKIT_HUB_STORE": ""}, "CASEKIT_HUB_STORE is not set"),
        ({"CASEKIT_HUB_STORE": "/srv/casebook.sqlite"}, "needs a PostgreSQL store"),
        ({"CASEKIT_HUB_STORE": "postgresql://app:hunter2@db/cb"}, "holds a password"),
        ({"CASEKIT_HUB_STORE": "postgresql://app@db/cb?password=hunter2"}, "holds a password"),
        ({"CASEKIT_HUB_STORE": "postgresql://app@db/cb?sslpassword=hunter2"}, "holds a password"),
        ({"CASEKIT_HUB_STORE": "postgresql://app@db:notaport/cb"}, "check its port"),
        ({"CASEKIT_HUB_STORE": "postgresql://app@db"}, "give the server and the database"),
        ({"CASEKIT_HUB_BIND_URL": "http://0.0.0.0:8000"}, "without TLS"),
        ({"CASEKIT_HUB_BIND_URL": "http://hub.council.gov.uk"}, "without TLS"),
        ({"CASEKIT_HUB_BIND_URL": "ftp://127.0.0.1"}, "is not an address"),
        ({"CASEKIT_HUB_SSL_CERT": "/etc/ssl/hub.pem"}, "go together"),
        ({"CASEKIT_HUB_IDLE_TIMEOUT": "10"}, "at least 60"),
        ({"CASEKIT_HUB_IDLE_TIMEOUT": "an hour"}, "at least 60"),
        (
            {"CASEKIT_HUB_PASSWORD_FILE": "/a", "CASEKIT_HUB_ADMIN_URL_FILE": "/b"},
            "a login of their own .* unset \\$CASEKIT_HUB_PASSWORD_FILE",
        ),
        ({"CASEKIT_HUB_ADMIN_URL_FILE": "/b"}, "unset \\$CASEKIT_HUB_STORE"),
    ],
)
def test_a_setting_to_put_right_is_named_with_how_and_nothing_is_set(tmp_path, change, message):
    c = Config()
    with pytest.raises(CasekitError, match=message) as caught:
        configure(c, env(tmp_path, **change))
    assert "hunter2" not in str(caught.value)  # a password in the URL is not repeated
    assert c == Config() and not (tmp_path / "state").exists()


def test_tls_on_the_hub_itself_may_face_the_network(tmp_path):
    tls = {"CASEKIT_HUB_SSL_CERT": "/etc/ssl/hub.pem", "CASEKIT_HUB_SSL_KEY": "/etc/ssl/hub.key"}
    c = Config()
    configure(c, env(tmp_path, CASEKIT_HUB_BIND_URL="https://hub.council.gov.uk", **tls))
    assert c.JupyterHub.bind_url == "https://hub.council.gov.uk"
    assert (
        c.JupyterHub.ssl_cert == "/etc/ssl/hub.pem" and c.JupyterHub.ssl_key == "/etc/ssl/hub.key"
    )
    with pytest.raises(CasekitError, match="without TLS"):  # a certificate, but plain http
        configure(Config(), env(tmp_path, CASEKIT_HUB_BIND_URL="http://hub.council.gov.uk", **tls))


def test_the_deployment_config_stops_with_one_line_not_a_traceback(tmp_path):
    run = subprocess.run(
        [sys.executable, "-c", f"from traitlets.config import PyFileConfigLoader as L; "
         f"L({DEPLOY.name!r}, {str(DEPLOY.parent)!r}).load_config()"],
        env={**os.environ, "CASEKIT_HUB_STORE": "postgresql://app:hunter2@db/cb",
             "CASEKIT_HUB_STATE": str(tmp_path / "state")},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode != 0
    assert run.stderr.strip().startswith("casekit hub: $CASEKIT_HUB_STORE: holds a password")
    assert "Traceback" not in run.stderr and "hunter2" not in run.stderr


def test_each_server_gets_the_store_url_and_the_password_apart(tmp_path):
    secret = secret_file(tmp_path)
    settings = hub_settings(env(tmp_path, CASEKIT_HUB_PASSWORD_FILE=str(secret)))
    given = server_environment(settings, "alice")
    assert given == {"CASEKIT_STORE": STORE, "PGPASSWORD": "s3cret-Pa55"}
    assert server_environment(hub_settings(env(tmp_path)), "alice") == {"CASEKIT_STORE": STORE}
    with pytest.raises(CasekitError, match="no user name"):
        server_environment(settings, " ")


def test_the_pre_spawn_hook_fills_the_spawner_s_environment(tmp_path):
    secret = secret_file(tmp_path)
    c = Config()
    configure(c, env(tmp_path, CASEKIT_HUB_PASSWORD_FILE=str(secret)))
    spawner = SimpleNamespace(environment={"KEEP": "1"}, user=SimpleNamespace(name="bob"))
    c.Spawner.pre_spawn_hook(spawner)
    assert spawner.environment == {"KEEP": "1", "CASEKIT_STORE": STORE, "PGPASSWORD": "s3cret-Pa55"}


@pytest.mark.parametrize(
    ("mode", "text", "message"),
    [
        (0o644, "pw", "others can read it; run chmod 600"),
        (0o640, "pw", "others can read it"),
        (0o600, "   ", "the file is empty"),
    ],
)
def test_a_secret_file_must_be_private_and_hold_something(tmp_path, mode, text, message):
    path = secret_file(tmp_path, text, mode)
    with pytest.raises(CasekitError, match=message) as caught:
        read_secret(path, "$CASEKIT_HUB_PASSWORD_FILE")
    assert str(path) in str(caught.value)
    with pytest.raises(CasekitError, match="no such file"):
        read_secret(tmp_path / "missing", "$CASEKIT_HUB_PASSWORD_FILE")


def test_a_login_per_person_needs_a_private_administrator_s_url_and_no_shared_store(tmp_path):
    admin = {"CASEKIT_HUB_STATE": str(tmp_path / "state")}
    url = secret_file(tmp_path, "postgresql://maint:pw@db/cb", 0o644)
    with pytest.raises(CasekitError, match="others can read it") as caught:
        configure(Config(), {**admin, "CASEKIT_HUB_ADMIN_URL_FILE": str(url)})
    assert "maint:pw" not in str(caught.value)  # the file is named, never what it holds
    url.chmod(0o600)
    c = Config()
    settings = configure(c, {**admin, "CASEKIT_HUB_ADMIN_URL_FILE": str(url)})
    assert settings.store == "" and settings.admin_url_file == url
    assert callable(c.Spawner.pre_spawn_hook)


def test_a_server_that_cannot_be_given_the_store_is_refused_with_a_page_saying_why(tmp_path):
    from tornado.web import HTTPError

    secret = secret_file(tmp_path)
    c = Config()
    configure(c, env(tmp_path, CASEKIT_HUB_PASSWORD_FILE=str(secret)))
    secret.chmod(0o644)  # changed after the hub started
    spawner = SimpleNamespace(environment={}, user=SimpleNamespace(name="bob"))
    with pytest.raises(HTTPError) as caught:
        c.Spawner.pre_spawn_hook(spawner)
    assert caught.value.status_code == 403
    shown = caught.value.jupyterhub_message  # what JupyterHub's error page shows
    assert shown == caught.value.log_message % caught.value.args
    assert shown.startswith("Your casekit server was not started: ") and "chmod 600" in shown
    assert "s3cret" not in shown and spawner.environment == {}


def test_hub_server_outside_a_hub_says_what_it_is_for_and_writes_nothing(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    run = subprocess.run(
        [sys.executable, "-m", "casekit.cli", "hub-server", "--", "--allow-root"],
        env={"PATH": os.environ["PATH"], "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
             "HOME": str(home), "JUPYTERHUB_USER": "alice"},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert "is what JupyterHub starts for each person" in run.stderr
    assert "$JUPYTERHUB_API_TOKEN is not set" in run.stderr and "Traceback" not in run.stderr
    assert list(home.iterdir()) == []  # no notebooks copied


def test_the_case_a_notebook_opens_its_parameter_then_the_app_s_then_the_address(monkeypatch):
    from casekit.widgets import case_from_settings

    monkeypatch.delenv("CASEKIT_CASE", raising=False)
    monkeypatch.delenv("QUERY_STRING", raising=False)
    assert case_from_settings() == ""
    monkeypatch.setenv("QUERY_STRING", "token=abc&case=C00149&case=C2")  # Voila's request
    assert case_from_settings() == "C00149"
    monkeypatch.setenv("QUERY_STRING", "case=%3Cb%3EC1%3C%2Fb%3E")
    assert case_from_settings() == "<b>C1</b>"  # as typed: the picker escapes what it shows
    monkeypatch.setenv("CASEKIT_CASE", "C00007")  # casekit app --case
    assert case_from_settings() == "C00007"
    assert case_from_settings("C00001") == "C00001"  # the notebook's own parameter


def test_a_persons_server_runs_its_kernels_on_private_unix_sockets(tmp_path, monkeypatch):
    """Other people's servers run on the same machine: no kernel port on 127.0.0.1 for them."""
    from casekit.app import hub

    for name in hub.HUB_GIVES:
        monkeypatch.setenv(name, "given")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    started = []
    monkeypatch.setattr(hub.os, "execv", lambda program, command: started.append(command))
    import tempfile

    from casekit.outputs import SCRATCH_NOTE

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", "")  # restored after the test
    hub.serve_user(["--port=1234"])
    [command] = started
    assert "--KernelManager.transport=ipc" in command
    runtime = Path(os.environ["JUPYTER_RUNTIME_DIR"])  # what the server is started with
    assert runtime.parent == tmp_path and runtime.name.startswith(hub.RUNTIME_PREFIX)
    assert runtime.stat().st_mode & 0o777 == 0o700 and (runtime / SCRATCH_NOTE).is_file()
    assert command[-1] == "--port=1234"  # the hub's own arguments come last, as given
