"""Starting and always stopping a JupyterHub for the end-to-end test, with all it started.

The hub runs ``deploy/jupyterhub/jupyterhub_config.py`` itself, under a small test config that
adds what a test needs: DummyAuthenticator (with a password), SimpleLocalProcessSpawner (homes in
a temporary folder) and free localhost ports. JupyterHub starts the proxy and each person's
server in sessions of their own, so stopping the hub's process group alone could leave them
running: :func:`stop_hub` stops the hub and then every process it had started, whatever state
the test left them in.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from conftest import ROOT

__all__ = ["DEPLOY_CONFIG", "TEST_CONFIG", "find_proxy", "start_hub", "stop_hub"]

DEPLOY_CONFIG = ROOT / "deploy" / "jupyterhub" / "jupyterhub_config.py"
PROXY = ROOT / ".venv" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
NO_PROXY = (
    "The JupyterHub test needs configurable-http-proxy from the npm registry: run 'make test' "
    "(it installs it into .venv/node), or 'npm install --prefix .venv/node "
    "configurable-http-proxy@5.3.0', or set CASEKIT_TEST_CHP to one."
)
TEST_CONFIG = """\
import os
c = get_config()  # noqa: F821
load_subconfig({deploy!r})  # noqa: F821 - the deployment's own configuration, then the test's
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = os.environ["CASEKIT_TEST_HUB_PASSWORD"]
c.Authenticator.allowed_users = {users!r}
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + "/{{username}}"
c.Spawner.args = {args!r}
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
# a token with the idle culler's scopes, for the test to run the culler itself, briefly
from casekit.app.hub import CULLER_SCOPES
c.JupyterHub.services = [*c.JupyterHub.services, {{"name": "test-culler",
    "api_token": os.environ["CASEKIT_TEST_CULLER_TOKEN"]}}]
c.JupyterHub.load_roles = [*c.JupyterHub.load_roles, {{"name": "test-culler",
    "scopes": CULLER_SCOPES, "services": ["test-culler"]}}]
"""


def find_proxy() -> str:
    """Return the configurable-http-proxy to run; fail saying how to install it."""
    given = os.environ.get("CASEKIT_TEST_CHP", "").strip()
    if given:
        return given
    if PROXY.exists():
        return str(PROXY)
    raise AssertionError(NO_PROXY)


def _free_ports(count: int) -> list[int]:
    """Return ``count`` different localhost ports that are free now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _stat(pid: int) -> tuple[int, str] | None:
    """Return a process's parent and start time (which tell it from a later one), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), fields[19]


def descendants(pid: int) -> dict[int, str]:
    """Return every process ``pid`` started, directly or not, still running: pid to start time."""
    children: dict[int, list[tuple[int, str]]] = {}
    for entry in Path("/proc").iterdir():
        stat = _stat(int(entry.name)) if entry.name.isdigit() else None
        if stat is not None:
            children.setdefault(stat[0], []).append((int(entry.name), stat[1]))
    found: dict[int, str] = {}
    todo = [pid]
    while todo:
        for child, started in children.get(todo.pop(), []):
            found[child] = started
            todo.append(child)
    return found


def start_hub(
    folder: Path, env: dict[str, str], users: set[str], password: str, culler_token: str
) -> tuple[subprocess.Popen, str, str]:
    """Start JupyterHub in ``folder`` with ``env``; return it, its URL and its API's, once up.

    ``culler_token`` is a service token with the idle culler's scopes, for the test's culler.
    """
    public, hub_port, api_port = _free_ports(3)
    homes = folder / "homes"
    homes.mkdir(mode=0o700)
    config = folder / "test_hub_config.py"
    args = ["--allow-root"] if os.geteuid() == 0 else []
    config.write_text(
        TEST_CONFIG.format(
            deploy=str(DEPLOY_CONFIG),
            users=users,
            homes=str(homes),
            args=args,
            hub_port=hub_port,
            api_port=api_port,
        )
    )
    url = f"http://127.0.0.1:{public}"
    hub_env = {
        **env,
        "CASEKIT_HUB_BIND_URL": url,
        "CASEKIT_HUB_STATE": str(folder / "state"),
        "CASEKIT_HUB_PROXY": find_proxy(),
        "CASEKIT_TEST_HUB_PASSWORD": password,
        "CASEKIT_TEST_CULLER_TOKEN": culler_token,
    }
    log = folder / "hub.log"  # a file, not a pipe: a full pipe would stall the hub
    with log.open("w") as out:
        hub = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(config)],
            cwd=folder,
            env=hub_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, to stop whole
        )
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(f"{url}/hub/api/", timeout=5) as answer:
                if answer.status == 200:
                    return hub, url, f"http://127.0.0.1:{hub_port}/hub/api"
        except (OSError, urllib.error.URLError):
            pass
        if hub.poll() is not None or time.monotonic() > deadline:
            stop_hub(hub)
            raise AssertionError(f"JupyterHub did not start:\n{log.read_text()[-6000:]}")
        time.sleep(0.5)


def _signal_group(pid: int, sig: int) -> None:
    """Send ``sig`` to the process group ``pid`` leads, else to ``pid`` alone."""
    try:
        group = os.getpgid(pid)
        if group != os.getpgrp():
            os.killpg(group, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def stop_hub(hub: subprocess.Popen) -> None:
    """Stop the hub and everything it started (proxy, servers, kernels), even if it hangs.

    SIGTERM first, so the hub stops the servers and the proxy itself; then whatever is left of
    the processes it had started (the same processes: their start times are checked, so a
    reused process id is left alone), by process group, with SIGKILL.
    """
    started = descendants(hub.pid)
    _signal_group(hub.pid, signal.SIGTERM)
    try:
        hub.wait(timeout=60)
    except subprocess.TimeoutExpired:
        _signal_group(hub.pid, signal.SIGKILL)
        hub.wait(timeout=30)
    deadline = time.monotonic() + 20
    for pid, when in started.items():
        while time.monotonic() < deadline and _still(pid, when):
            time.sleep(0.2)
        if _still(pid, when):
            _signal_group(pid, signal.SIGKILL)


def _still(pid: int, when: str) -> bool:
    """Tell whether the process ``pid`` that started at ``when`` is still there."""
    stat = _stat(pid)
    return stat is not None and stat[1] == when
