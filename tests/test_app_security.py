"""`casekit app` started for real on a free localhost port: login, host check, the websocket
hang, and which files are served. Also CasePicker's escaping and an unknown --case."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from app_helpers import free_port, launch_chromium, start_app, status, stop
from conftest import ROOT, SYNTHETIC

import casekit
from casekit import cli
from casekit.app.server import KERNEL_PROTOCOL, check_case, hash_password, prepare
from casekit.errors import CasekitError
from casekit.outputs import person_folder

CASE = "C00149"
NOTEBOOKS = ROOT / "notebooks"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A fresh store holding the synthetic casebook."""
    path = tmp_path_factory.mktemp("appstore") / "casebook.sqlite"
    with casekit.open(path) as s:
        s.import_casebook(casekit.load(SYNTHETIC))
    return path


@pytest.fixture(scope="module")
def app(store, tmp_path_factory):
    """Start `casekit app` in token mode; yield (process, port, token)."""
    cwd = tmp_path_factory.mktemp("appcwd")
    # a voila.json in the working folder must not reopen the app to other hosts
    (cwd / "voila.json").write_text(
        json.dumps({"Voila": {"tornado_settings": {"allow_remote_access": True}, "token": ""}})
    )
    reports = cwd / "reports"  # what casekit review --out writes, and what else may be there
    (reports / "T1").mkdir(parents=True)
    (reports / "index.html").write_text("<p>every team</p>")
    (reports / "T1.html").write_text("<p>team T1</p>")
    (reports / "T1" / "review.ipynb").write_text("{}")
    (reports / "T1" / "inner.html").write_text("<p>inner</p>")
    (reports / "notes.txt").write_text("notes")
    (reports / "link.html").symlink_to(ROOT / "README.md")
    proc, port, url = start_app(store, cwd, {}, extra=("--reports", str(reports)))
    token = url.split("token=", 1)[1]
    yield proc, port, token
    stop(proc)


def test_each_start_prints_a_new_random_token(app, store, tmp_path):
    _, _, token = app
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", token)
    proc, _, url = start_app(store, tmp_path, {})
    try:
        assert url.split("token=", 1)[1] != token
    finally:
        stop(proc)


def test_a_request_without_the_token_gets_the_login_page_or_403(app):
    _, port, token = app
    base = f"http://127.0.0.1:{port}"
    for path in ("/", "/voila/render/chronology_builder.ipynb", "/voila/tree"):
        assert status(base + path) in (302, 403)
        assert status(base + path + "?token=wrong" + token[:4]) in (302, 403)
    with urllib.request.urlopen(base + "/", timeout=30) as r:  # the redirect: a login form
        assert "/login" in r.url and b"password" in r.read().lower()
    assert status(f"{base}/api/kernels") in (403, 404)


def test_the_right_token_gets_the_app(app):
    _, port, token = app
    assert status(f"http://127.0.0.1:{port}/?token={token}") == 200
    assert status(f"http://127.0.0.1:{port}/", {"Authorization": f"token {token}"}) == 200


def test_a_foreign_host_header_is_refused_even_with_the_token(app):
    _, port, token = app
    for host in ("evil.example", f"evil.example:{port}", "192.168.1.20", "localhost.evil.example"):
        assert status(f"http://127.0.0.1:{port}/?token={token}", {"Host": host}) == 403
        record = f"http://127.0.0.1:{port}/voila/files/supervision_records/x.html?token={token}"
        assert status(record, {"Host": host}) == 403
    for host in ("localhost", f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"):
        assert status(f"http://127.0.0.1:{port}/?token={token}", {"Host": host}) == 200


def test_the_server_listens_on_127_0_0_1_only(app):
    _, port, _ = app
    listening = Path("/proc/net/tcp").read_text().splitlines()[1:]
    mine = [line.split() for line in listening if line.split()[1].endswith(f":{port:04X}")]
    assert mine and {row[1].split(":")[0] for row in mine if row[3] == "0A"} == {"0100007F"}


def test_only_supervision_records_are_served(app, store):
    _, port, token = app
    base = f"http://127.0.0.1:{port}/voila/files/"
    top = NOTEBOOKS / "supervision_records"
    made = not top.exists()
    folder = top / person_folder("security-test")  # the app's one person (token mode)
    folder.mkdir(parents=True, exist_ok=True)
    mine = f"supervision_records/{folder.name}"
    record = folder / "security-test-record.html"
    record.write_text("<p>record</p>")
    image = NOTEBOOKS / "security-test-figure.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    nested = folder / "security-test-sub"
    nested.mkdir()
    (nested / "inner.html").write_text("<p>inner</p>")
    link = folder / "security-test-link.html"
    link.symlink_to(ROOT / "README.md")
    try:
        with urllib.request.urlopen(f"{base}{mine}/{record.name}?token={token}") as r:
            assert r.status == 200 and r.read() == b"<p>record</p>"
            assert "sandbox" in r.headers["Content-Security-Policy"]
        assert status(f"{base}{mine}/{record.name}") in (302, 403)  # no token
        for private in (
            "security-test-figure.png",
            "reflective_supervision.ipynb",
            f"{mine}/../../security-test-figure.png",
            f"{mine}/security-test-sub/inner.html",
            "supervision_records%2F..%2Freflective_supervision.ipynb",
            f"{mine}/security-test-link.html",
            f"supervision_records/{person_folder('someone else')}/{record.name}",
            "../pyproject.toml",
        ):
            assert status(f"{base}{private}?token={token}") in (403, 404), private
        sqlite = store.parent / "casebook.sqlite"
        assert status(f"{base}{os.path.relpath(sqlite, NOTEBOOKS)}?token={token}") in (403, 404)
    finally:
        link.unlink()
        (nested / "inner.html").unlink()
        nested.rmdir()
        image.unlink()
        record.unlink()
        folder.rmdir()
        if made:
            top.rmdir()


def test_exported_chronologies_are_served_and_nothing_else_in_their_folder(app):
    _, port, token = app
    top = NOTEBOOKS / "chronology_exports"
    made = not top.exists()
    folder = top / person_folder("security-test")
    folder.mkdir(parents=True, exist_ok=True)
    base = f"http://127.0.0.1:{port}/voila/files/chronology_exports/{folder.name}/"
    served = {f"security-test-chronology.{kind}": kind.encode() for kind in ("html", "xlsx", "csv")}
    kept = {"security-test-store.sqlite": b"SQLite", "security-test-chronology.docx": b"docx"}
    for name, body in {**served, **kept}.items():
        (folder / name).write_bytes(body)
    (top / "security-test-loose.html").write_bytes(b"loose")  # not in a person's folder
    try:
        for name, body in served.items():
            with urllib.request.urlopen(f"{base}{name}?token={token}", timeout=30) as r:
                assert r.status == 200 and r.read() == body
                assert "sandbox" in r.headers["Content-Security-Policy"]
            assert status(f"{base}{name}") in (302, 403)  # no token, no file
        for name in (
            *kept,
            "../security-test-loose.html",
            "../../chronology_builder.ipynb",
            "%2E%2E/%2E%2E/chronology_builder.ipynb",
        ):
            assert status(f"{base}{name}?token={token}") in (403, 404), name
    finally:
        for name in (*served, *kept):
            (folder / name).unlink()
        (top / "security-test-loose.html").unlink()
        folder.rmdir()
        if made:
            top.rmdir()


def test_the_app_opens_on_casekits_home_page_not_the_file_tree(app):
    _, port, token = app
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/?token={token}", timeout=30) as r:
        page = r.read().decode()
    assert "What would you like to do?" in page and '<html lang="en">' in page
    for notebook in (
        "chronology_builder",
        "risk_timeline",
        "reflective_supervision",
        "bundle_check",
        "proportionality_trends",
    ):
        assert f'href="/voila/render/{notebook}.ipynb"' in page
    assert 'href="/voila/tree"' in page  # the notebooks, for people who want them
    assert "recorded as <strong>security-test</strong>" in page
    assert f"case <strong>{CASE}</strong>" in page
    # the reviews in --reports: the index first, then each team page; nothing else
    assert page.index('href="/casekit/reports/index.html"') < page.index(
        'href="/casekit/reports/T1.html"'
    )
    assert "notes.txt" not in page and "inner.html" not in page
    # the notebooks folder is still there for those who want it, behind the same login
    assert status(f"http://127.0.0.1:{port}/voila/tree?token={token}") == 200
    assert status(f"http://127.0.0.1:{port}/voila/tree") in (302, 403)


def test_only_review_pages_in_the_reports_folder_are_served_after_login(app):
    _, port, token = app
    base = f"http://127.0.0.1:{port}/casekit/reports/"
    for name, body in (("index.html", b"<p>every team</p>"), ("T1.html", b"<p>team T1</p>")):
        with urllib.request.urlopen(f"{base}{name}?token={token}", timeout=30) as r:
            assert r.status == 200 and r.read() == body
            assert "sandbox" in r.headers["Content-Security-Policy"]
        assert status(f"{base}{name}") in (302, 403)  # no login
        assert status(f"{base}{name}?token={token}", {"Host": "evil.example"}) == 403
    for private in (
        "notes.txt",
        "T1/review.ipynb",
        "T1/inner.html",
        "T1%2Finner.html",
        "link.html",
        "..%2F..%2Fpyproject.toml",
        "../pyproject.toml",
    ):
        assert status(f"{base}{private}?token={token}") in (403, 404), private


def test_home_page_escapes_names_and_says_how_to_make_reviews(tmp_path):
    from casekit.app.server import home_page

    page = home_page("<script>x</script>", "C<1>", tmp_path / "no such folder")
    assert "<script>x" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "C&lt;1&gt;" in page
    assert "There are no team reviews here yet" in page and "make review" in page
    assert "/casekit/reports/" not in page
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "T 1&2.html").write_text("")  # a name needing quoting and escaping
    (reports / "notes.txt").write_text("")
    page = home_page("me", "", reports, base_url="/base/")
    assert 'href="/base/casekit/reports/T%201%262.html">Team T 1&amp;2</a>' in page
    assert "There are no team reviews" not in page and "notes" not in page
    assert "The app opens on case" not in page  # no case given
    assert 'href="/base/voila/render/chronology_builder.ipynb"' in page


def test_the_named_login_page_escapes_its_error_and_address():
    from casekit.app.server import login_page

    page = login_page(
        '/login?next="><script>x',
        '<input type="hidden" name="_xsrf" value="t">',
        "<img src=x onerror=alert(1)>",
    )
    assert "<script>x" not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and 'role="alert"' in page
    assert '<input type="hidden" name="_xsrf" value="t">' in page  # tornado's field, as written
    assert '<label for="password">Password</label>' in page
    assert 'role="alert"' not in login_page("/login", "", "")


def test_a_missing_reports_folder_is_refused_before_the_server_starts(store, capsys):
    code = cli.main(["app", "--store", str(store), "--reports", "/no/such/reports", "--port", "1"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--reports /no/such/reports: there is no such folder" in err


def test_notebook_pages_are_adapted_load_nothing_from_outside_and_keep_the_rest():
    from casekit.app.server import adapt_page

    head = (
        "<head><title>t</title>\n"
        '  <link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/x@^5/css/all.min.css" '
        'type="text/css" />\n'
        '<link rel="stylesheet" href="//cdn.example/y.css">'
        '<link rel="stylesheet" href="/voila/static/own.css" type="text/css" />'
        "</head>"
    )
    page = adapt_page(head)
    assert "cdn." not in page and 'href="/voila/static/own.css"' in page  # its own stay
    assert page.count("</head>") == 1 and page.index("<style>") < page.index("</head>")
    assert "noUi-handle" in page  # the script naming slider handles
    body = adapt_page('<body><div id="rendered_cells" style="display: none">\n<div>')
    assert '<div id="rendered_cells" style="display: none" tabindex="0">' in body
    assert "<style>" not in body  # the head's additions go in the head only
    text = "<p>a cell's output: https://example.org/x.css</p>"
    assert adapt_page(text) == text
    assert adapt_page("<!DOCTYPE html><html><head>").startswith('<!DOCTYPE html><html lang="en">')
    assert adapt_page('<html lang="cy">') == '<html lang="cy">'  # a page's own language stays


def rss_kib(pid: int) -> int:
    """Return a process's resident set size in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def kernel_of(port: int, token: str, notebook: str) -> str:
    """Render a notebook (which starts its kernel) and return the kernel's id from the page."""
    url = f"http://127.0.0.1:{port}/voila/render/{notebook}?token={token}"
    with urllib.request.urlopen(url, timeout=120) as r:
        page = r.read().decode()
    match = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', page)
    assert match, "no kernel id in the rendered page"
    return match.group(1)


async def widget_states(port: int, token: str, kernel: str, protocols: list[str]) -> list:
    """Speak the kernel protocol over a websocket: ask every widget for its state.

    This is what a front end does on connecting; the image widget's state carries a binary
    buffer (the timeline figure). Returns the messages received within a few seconds.
    """
    from jupyter_server.services.kernels.connection.base import (
        deserialize_msg_from_ws_v1,
        serialize_msg_to_ws_v1,
    )
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    session = uuid.uuid4().hex
    request = HTTPRequest(
        f"ws://127.0.0.1:{port}/api/kernels/{kernel}/channels?session_id={session}",
        headers={"Authorization": f"token {token}"},
        request_timeout=30,
    )
    ws = await websocket_connect(request, subprotocols=protocols or None)
    assert protocols or ws.selected_subprotocol is None

    def message(msg_type: str, content: dict) -> dict:
        header = {
            "msg_id": uuid.uuid4().hex,
            "msg_type": msg_type,
            "session": session,
            "username": "test",
            "version": "5.3",
            "date": "2026-01-01T00:00:00Z",
        }
        return {
            "header": header,
            "parent_header": {},
            "metadata": {},
            "content": content,
            "buffers": [],
            "channel": "shell",
        }

    def send(msg: dict) -> None:
        if ws.selected_subprotocol == KERNEL_PROTOCOL:
            pack = lambda part: json.dumps(part).encode()  # noqa: E731
            ws.write_message(serialize_msg_to_ws_v1(msg, msg["channel"], pack), binary=True)
        else:
            ws.write_message(json.dumps(msg))

    received: list = []
    send(message("comm_info_request", {"target_name": "jupyter.widget"}))
    deadline = time.monotonic() + 20
    comms: dict = {}
    while time.monotonic() < deadline and not comms:
        reply = await asyncio.wait_for(ws.read_message(), timeout=20)
        if reply is None:
            break
        received.append(reply)
        if isinstance(reply, str) and '"comm_info_reply"' in reply:
            comms = json.loads(reply)["content"]["comms"]
        elif isinstance(reply, bytes) and ws.selected_subprotocol == KERNEL_PROTOCOL:
            _, parts = deserialize_msg_from_ws_v1(reply)
            if json.loads(parts[0])["msg_type"] == "comm_info_reply":
                comms = json.loads(parts[3])["comms"]
    for comm_id in comms:
        send(message("comm_msg", {"comm_id": comm_id, "data": {"method": "request_state"}}))
    end = time.monotonic() + 5
    while time.monotonic() < end:
        try:
            reply = await asyncio.wait_for(
                ws.read_message(), timeout=max(0.1, end - time.monotonic())
            )
        except TimeoutError:
            break
        if reply is None:
            break
        received.append(reply)
    ws.close()
    return received


def answers_within_a_second(port: int, token: str) -> bool:
    """Whether the app answers an HTTP request within one second."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/?token={token}", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


def test_a_legacy_protocol_websocket_client_cannot_hang_the_app(app):
    """The reproduction: Voila 0.5.13 loops forever on this client's first image buffer."""
    from tornado.httpclient import HTTPClientError
    from tornado.websocket import WebSocketClosedError

    proc, port, token = app
    kernel = kernel_of(port, token, "risk_timeline.ipynb")
    before = rss_kib(proc.pid)
    try:
        asyncio.run(widget_states(port, token, kernel, []))
    except HTTPClientError as e:  # refused before the upgrade
        assert e.code == 400
    except WebSocketClosedError:
        pass
    samples = []
    for _ in range(3):
        assert answers_within_a_second(port, token), "the app stopped answering"
        samples.append(rss_kib(proc.pid))
        time.sleep(1)
    assert max(samples) - before < 50_000, f"RSS grew from {before} to {samples} KiB"
    assert samples[-1] - samples[0] < 20_000, f"RSS keeps growing: {samples} KiB"


def test_a_v1_protocol_client_gets_the_timeline_image_buffer(app):
    """The protocol Voila's own front end speaks still works, binary buffers included."""
    proc, port, token = app
    kernel = kernel_of(port, token, "risk_timeline.ipynb")
    received = asyncio.run(widget_states(port, token, kernel, [KERNEL_PROTOCOL]))
    assert any(isinstance(m, bytes) and b"\x89PNG" in m for m in received)
    assert answers_within_a_second(port, token)


@pytest.fixture(scope="module")
def password_app(store, tmp_path_factory):
    """Start `casekit app` with a password hash in the environment; yield (port, url)."""
    from jupyter_server.auth import passwd

    cwd = tmp_path_factory.mktemp("pwcwd")
    hashed = passwd("correct horse battery")
    proc, port, url = start_app(store, cwd, {"CASEKIT_APP_PASSWORD_HASH": hashed})
    yield proc, port, url
    stop(proc)


def status_with(opener: urllib.request.OpenerDirector, url: str) -> int:
    """Return the status an opener (with its cookies) gets, after redirects."""
    try:
        with opener.open(url, timeout=30) as r:
            return 200 if "/login" not in r.url else 302
    except urllib.error.HTTPError as e:
        return e.code


def test_password_mode_logs_in_with_the_password_only(password_app):
    proc, port, url = password_app
    assert "token=" not in url
    base = f"http://127.0.0.1:{port}"
    assert status(base + "/") in (302, 403)

    def login(password: str) -> tuple[int, str, urllib.request.OpenerDirector]:
        code, landed, opener, _ = submit_login(base, {"password": password}, then="/")
        if code != 200:
            return code, landed, opener
        with opener.open(base + "/", timeout=30) as r:
            return r.status, r.url, opener

    code, _, refused = login("wrong password")
    assert code == 401 and status_with(refused, base + "/voila/tree") != 200
    code, landed, opener = login("correct horse battery")
    assert code == 200 and "/login" not in landed
    with opener.open(base + "/voila/render/risk_timeline.ipynb", timeout=120) as r:
        assert r.status == 200 and b"kernelId" in r.read()
    # the kernel runs with the store and the user, but without the password hash
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    environs = [Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") for pid in children]
    assert environs and all(b"CASEKIT_USER=security-test" in env for env in environs)
    assert not any(b"CASEKIT_APP_PASSWORD_HASH" in v for env in environs for v in env)


def test_password_prompt_hashes_with_jupyter_server_and_checks_it():
    from jupyter_server.auth import passwd_check

    answers = iter(["correct horse battery", "correct horse battery"])
    hashed = hash_password(lambda _: next(answers))
    assert hashed.startswith("argon2:") and passwd_check(hashed, "correct horse battery")
    answers = iter(["correct horse battery", "another"])
    with pytest.raises(CasekitError, match="differ"):
        hash_password(lambda _: next(answers))
    with pytest.raises(CasekitError, match="8 characters"):
        hash_password(lambda _: "short")


def test_password_prompt_without_a_terminal_says_what_to_do():
    def no_terminal(_prompt: str) -> str:
        raise EOFError

    with pytest.raises(CasekitError, match="CASEKIT_APP_PASSWORD_HASH"):
        hash_password(no_terminal)


def test_a_port_in_use_exits_2_before_the_server_starts(store, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["app", "--store", str(store), "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"--port {port}" in err and "choose another port" in err and "Traceback" not in err


def test_password_mode_turns_the_token_off(store, monkeypatch):
    from jupyter_server.auth import passwd_check

    monkeypatch.delenv("CASEKIT_APP_PASSWORD_HASH", raising=False)
    settings = prepare(str(store), password=True, ask=lambda _: "correct horse battery")
    assert settings.token == "" and settings.url.endswith(":8866/")
    assert passwd_check(settings.hashed_password, "correct horse battery")
    assert not passwd_check(settings.hashed_password, "correct horse batter")


def test_a_bad_password_hash_in_the_environment_is_refused(store, monkeypatch):
    monkeypatch.setenv("CASEKIT_APP_PASSWORD_HASH", "hunter2")
    with pytest.raises(CasekitError, match="not a password hash"):
        prepare(str(store))


def test_token_mode_makes_a_new_token_each_time_and_names_the_user(store, monkeypatch):
    monkeypatch.delenv("CASEKIT_APP_PASSWORD_HASH", raising=False)
    first, second = prepare(str(store), user="A. Worker"), prepare(str(store))
    assert first.token != second.token and len(first.token) >= 40
    assert first.url.endswith(f"?token={first.token}")
    assert first.env["CASEKIT_USER"] == "A. Worker"
    monkeypatch.setenv("CASEKIT_USER", "B. Worker")
    assert prepare("", user="A. Worker").env["CASEKIT_USER"] == "A. Worker"  # the demo store
    assert prepare("").env["CASEKIT_USER"] == "B. Worker"


def test_an_unknown_case_exits_2_before_the_server_starts(store, capsys):
    assert (
        cli.main(["app", "--store", str(store), "--case", "C99999", "--port", str(free_port())])
        == 2
    )
    err = capsys.readouterr().err
    assert "C99999" in err and "Leave out --case" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_check_case_accepts_a_known_case(store):
    with casekit.open(store) as s:
        check_case(s, CASE)
        check_case(s, "")
        with pytest.raises(CasekitError, match="no such case"):
            check_case(s, "<script>")


def test_case_picker_escapes_exception_text(store):
    from casekit.widgets import CasePicker

    hostile = "<img src=x onerror=alert(1)>"

    def make(_store, _case):
        raise CasekitError(f"broken {hostile}")

    with casekit.open(store, user="<b>who</b>") as s:
        picker = CasePicker(s, make)
        picker.show_case(CASE)
        assert hostile not in picker.message.value
        assert "&lt;img src=x onerror=alert(1)&gt;" in picker.message.value
        assert "<b>who</b>" not in picker.recorded_as.value
        assert "&lt;b&gt;who&lt;/b&gt;" in picker.recorded_as.value


def test_case_picker_with_an_unknown_case_says_so_instead_of_crashing(store):
    from casekit.widgets import CasePicker

    with casekit.open(store) as s:
        picker = CasePicker(s, lambda _s, c: casekit.widgets.RiskTimeline(_s, c), "<i>C0</i>")
        assert picker.choice.value  # the first case, ready to open
        assert "There is no case &lt;i&gt;C0&lt;/i&gt;" in picker.message.value
        assert picker.body.children == ()


@pytest.fixture(scope="module")
def named_app(store, tmp_path_factory):
    """Start `casekit app --users FILE` with two people; yield (process, port, url)."""
    from casekit.app.server import add_user

    cwd = tmp_path_factory.mktemp("namedcwd")
    users = cwd / "users.json"
    add_user(users, "Alice Adams", lambda _: "alice's long password")
    add_user(users, "Bob Brown", lambda _: "bob's long password")
    proc, port, _ = start_app(store, cwd, {}, user="os-user", extra=("--users", str(users)))
    yield proc, port, next(cwd.glob("app-*.log")).read_text()
    stop(proc)


def log_in(base: str, name: str, password: str) -> tuple[int, urllib.request.OpenerDirector]:
    """Log in through the named login form; return the POST's status and the cookie opener."""
    code, _, opener, page = submit_login(base, {"username": name, "password": password})
    assert 'name="username"' in page and 'type="password"' in page
    return code, opener


def kernel_environs(pid: int) -> list[list[bytes]]:
    """The environments of a server's child processes (its kernels)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [Path(f"/proc/{c}/environ").read_bytes().split(b"\0") for c in children]


def test_named_logins_record_the_name_logged_in_with(named_app):
    proc, port, printed = named_app
    base = f"http://127.0.0.1:{port}"
    assert "token=" not in printed and "the name each person logs in with" in printed
    assert status(base + "/") in (302, 403)
    assert log_in(base, "Alice Adams", "bob's long password")[0] == 401
    assert log_in(base, "Mallory", "alice's long password")[0] == 401
    code, alice = log_in(base, "Alice Adams", "alice's long password")
    assert code == 200
    before = {tuple(env) for env in kernel_environs(proc.pid)}
    # a header the browser sends cannot choose the name
    page = urllib.request.Request(
        base + "/voila/render/risk_timeline.ipynb", headers={"X-Casekit-User": "Bob Brown"}
    )
    with alice.open(page, timeout=120) as r:
        assert r.status == 200
    new = [env for env in kernel_environs(proc.pid) if tuple(env) not in before]
    assert len(new) == 1
    assert b"HTTP_X_CASEKIT_USER=Alice Adams" in new[0]
    assert b"HTTP_X_CASEKIT_USER=Bob Brown" not in new[0]
    # the home page names who logged in, whatever name header the browser sends
    home = urllib.request.Request(base + "/", headers={"X-Casekit-User": "Bob Brown"})
    with alice.open(home, timeout=30) as r:
        assert "recorded as <strong>Alice Adams</strong>" in r.read().decode()


def test_each_person_downloads_only_their_own_exports(named_app):
    _, port, _ = named_app
    base = f"http://127.0.0.1:{port}"
    top = NOTEBOOKS / "chronology_exports"
    made = not top.exists()
    folders = {name: top / person_folder(name) for name in ("Alice Adams", "Bob Brown")}
    for name, folder in folders.items():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "chronology-C00001.html").write_text(f"<p>{name}'s export</p>")
    _, alice = log_in(base, "Alice Adams", "alice's long password")
    _, bob = log_in(base, "Bob Brown", "bob's long password")
    try:

        def fetch(opener, owner: str) -> int | bytes:
            url = f"{base}/voila/files/chronology_exports/{folders[owner].name}/"
            page = urllib.request.Request(
                url + "chronology-C00001.html",
                headers={"Referer": base + "/"},  # a link's click
            )
            try:
                with opener.open(page, timeout=30) as r:
                    return r.read()
            except urllib.error.HTTPError as e:
                return e.code

        assert fetch(alice, "Alice Adams") == b"<p>Alice Adams's export</p>"
        assert fetch(bob, "Bob Brown") == b"<p>Bob Brown's export</p>"
        assert fetch(bob, "Alice Adams") == 403  # the file's name is easy to guess: refused
        assert fetch(alice, "Bob Brown") == 403
    finally:
        for folder in folders.values():
            (folder / "chronology-C00001.html").unlink()
            folder.rmdir()
        if made:
            top.rmdir()


def test_a_person_logs_in_through_the_form_in_chromium(named_app):
    """The login page's policy lets its form post to the app, and only there."""
    from playwright.sync_api import sync_playwright

    _, port, _ = named_app
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            tab = browser.new_page()
            blocked: list[str] = []
            tab.on("console", lambda m: blocked.append(m.text) if "policy" in m.text else None)
            tab.goto(f"http://127.0.0.1:{port}/")
            tab.get_by_label("Name").fill("Alice Adams")
            tab.get_by_label("Password").fill("alice's long password")
            tab.get_by_role("button", name="Log in").click()
            tab.wait_for_selector("text=What would you like to do?")
            assert "recorded as Alice Adams" in tab.inner_text("header")
            assert blocked == []
        finally:
            browser.close()


def test_the_store_records_the_logged_in_name_in_the_app(store, monkeypatch):
    from casekit.widgets import store_from_settings

    monkeypatch.setenv("CASEKIT_USER", "os-user")
    monkeypatch.setenv("HTTP_X_CASEKIT_USER", "Alice Adams")
    monkeypatch.delenv("CASEKIT_APP", raising=False)
    with store_from_settings(str(store)) as s:  # outside the app the header is not trusted
        assert s.user == "os-user"
    monkeypatch.setenv("CASEKIT_APP", "voila")
    with store_from_settings(str(store)) as s:
        assert s.user == "Alice Adams"  # what the history records as "by"


def test_users_files_are_private_and_checked(tmp_path):
    from casekit.app.server import add_user, read_users

    users = tmp_path / "users.json"
    add_user(users, "Alice Adams", lambda _: "alice's long password")
    assert users.stat().st_mode & 0o777 == 0o600
    assert list(read_users(users)) == ["Alice Adams"]
    assert [p.name for p in tmp_path.iterdir()] == ["users.json"]  # no partial file left
    users.chmod(0o644)
    with pytest.raises(CasekitError, match="chmod 600"):
        read_users(users)
    users.chmod(0o600)
    users.write_text('{"Alice": "hunter2"}')
    with pytest.raises(CasekitError, match="'Alice' is not a name with a password hash"):
        read_users(users)
    users.write_text("not json")
    with pytest.raises(CasekitError, match="not a users file"):
        read_users(users)
    with pytest.raises(CasekitError, match="no such file"):
        read_users(tmp_path / "missing.json")
    with pytest.raises(CasekitError, match="printable"):
        add_user(tmp_path / "u2.json", "bad\nname", lambda _: "alice's long password")


def test_add_user_and_password_flags_need_their_file(store, capsys):
    assert cli.main(["app", "--add-user", "Alice"]) == 2
    assert "--add-user NAME needs --users FILE" in capsys.readouterr().err
    assert cli.main(["app", "--store", str(store), "--password", "--users", "x.json"]) == 2
    assert "not both" in capsys.readouterr().err


def test_the_login_form_cannot_set_a_password_or_write_a_config_file(app):
    proc, port, token = app
    base = f"http://127.0.0.1:{port}"
    code, *_ = submit_login(base, {"password": token, "new_password": "attacker's password"})
    assert code == 200  # the token logs in; the new password is what must not take
    cwd = Path(f"/proc/{proc.pid}/cwd").resolve()
    assert not (cwd / "jupyter_server_config.json").exists()
    assert log_in_with_password(base, "attacker's password") != 200


def log_in_with_password(base: str, password: str) -> int:
    """Try the login form with only a password; return the POST's status."""
    return submit_login(base, {"password": password})[0]


def submit_login(
    base: str, fields: dict[str, str], then: str = ""
) -> tuple[int, str, urllib.request.OpenerDirector, str]:
    """Open the login form, post ``fields`` with its XSRF cookie; return what came back.

    That is the POST's status, the address it ended at, the opener (with the session's
    cookies) and the login form's page. ``then`` is the page to go on to after logging in.
    """
    import http.cookiejar
    import urllib.parse

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/login", timeout=30) as r:
        page = r.read().decode()
    xsrf = next(c.value for c in jar if c.name == "_xsrf")
    form = urllib.parse.urlencode({**fields, "_xsrf": xsrf}).encode()
    target = base + "/login" + (f"?next={urllib.parse.quote(then, safe='')}" if then else "")
    try:
        with opener.open(target, form, timeout=30) as r:
            r.read()
            return r.status, r.url, opener, page
    except urllib.error.HTTPError as e:
        return e.code, e.url, opener, page


def test_the_apps_kernels_talk_over_private_unix_sockets_not_tcp(app):
    """Over TCP on 127.0.0.1 any local user may connect to a kernel's ports: messages are
    signed (the key is in a 0600 file) but not encrypted, and the output channel publishes
    every cell's code and output to whoever subscribes, key or not. IPC sockets in Voila's
    private folder (0700) let only the app's own user connect."""
    proc, port, token = app
    kernel = kernel_of(port, token, "risk_timeline.ipynb")
    found = []
    for child in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split():
        words = Path(f"/proc/{child}/cmdline").read_bytes().decode().split("\0")
        if "-f" in words and kernel in words[words.index("-f") + 1]:
            found.append(Path(words[words.index("-f") + 1]))
    assert len(found) == 1, found
    info = json.loads(found[0].read_text())
    assert info["transport"] == "ipc"
    sockets = [Path(f"{info['ip']}-{info[f'{kind}_port']}") for kind in ("shell", "iopub")]
    assert all(s.is_socket() for s in sockets)
    assert all(s.parent == found[0].parent for s in sockets)
    assert found[0].parent.stat().st_mode & 0o777 == 0o700  # no one else may reach them
    log = Path(f"/proc/{proc.pid}/cwd").resolve() / f"app-{port}.log"
    assert "running over TCP without encryption" not in log.read_text()
