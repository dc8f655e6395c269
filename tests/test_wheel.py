"""casekit built as a wheel and installed in a fresh venv outside the repository does its job.

One module-wide fixture builds the wheel (``python -m build --wheel --no-isolation``) from a
copy of the sources, makes a venv in a temporary folder and installs the wheel there with
``--no-deps``. The venv gets the third-party dependencies without a network through a ``.pth``
file naming this venv's site-packages (a path line in a ``.pth`` file does not run the
editable-install finder that lives there, so the repository's casekit stays out of sight), and
Jupyter's data files (kernel specs, nbconvert and Voila templates) through ``JUPYTER_PATH``, as
a real installation has them in its own ``share/jupyter``. Then, from a folder outside the
repository: ``casekit synth``, ``casekit review``, ``casekit flags`` and ``casekit app``.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest
from app_helpers import free_port, status, stop
from conftest import ROOT, SYNTHETIC

from casekit.shipped import NOTEBOOK_NAMES

pytestmark = pytest.mark.slow

SOURCES = ("pyproject.toml", "setup.py", "README.md")


def _run(args: list[str], env: dict[str, str], cwd: Path, timeout: int = 600) -> str:
    done = subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Build casekit's wheel from a copy of the sources (the checkout gets no build/ folder)."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "casekit", src / "casekit", ignore=shutil.ignore_patterns("__pycache__"))
    (src / "notebooks").mkdir()
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copy2(notebook, src / "notebooks" / notebook.name)
    dist = tmp_path_factory.mktemp("dist")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    _run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), "."],
        env,
        src,
    )
    (built,) = dist.glob("casekit-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> dict[str, object]:
    """Install the wheel in a fresh venv; return its bin folder, site-packages and environment."""
    home = tmp_path_factory.mktemp("venv")
    prefix = home / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True)
    bin_dir = prefix / "bin"
    purelib = Path(
        sysconfig.get_paths(vars={"base": str(prefix), "platbase": str(prefix)})["purelib"]
    )
    dev = sysconfig.get_paths()  # this venv's site-packages: the dependencies, no casekit
    paths = dict.fromkeys([dev["purelib"], dev["platlib"]])  # one line each, in order
    (purelib / "dependencies.pth").write_text("".join(f"{p}\n" for p in paths))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "CASEKIT_"))}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(home),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_DATA_HOME=str(home / "data"),
        JUPYTER_PATH=str(Path(sys.prefix) / "share" / "jupyter"),
        JUPYTER_CONFIG_DIR=str(home / "jupyter-config"),
        JUPYTER_DATA_DIR=str(home / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"),
        IPYTHONDIR=str(home / "ipython"),
        MPLBACKEND="Agg",
    )
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(bin_dir / "python"),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--ignore-installed",  # never look at, let alone remove, the casekit on the .pth path
            str(wheel),
        ],
        env,
        home,
    )
    work = home / "work"  # outside the repository: no data/synthetic, no notebooks/ near by
    work.mkdir()
    return {"bin": bin_dir, "site": purelib, "env": env, "work": work, "home": home}


def test_the_installed_casekit_is_the_wheel_not_the_checkout(venv):
    where = _run(
        [str(venv["bin"] / "python"), "-c", "import casekit; print(casekit.__file__)"],
        venv["env"],
        venv["work"],
    ).strip()
    assert Path(where) == venv["site"] / "casekit" / "__init__.py"
    assert not Path(where).is_relative_to(ROOT)


def _package_files() -> list[Path]:
    """The files of casekit/ in the repository: git's list, else every file but bytecode."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "casekit"], cwd=ROOT, capture_output=True, check=False
    )
    if listed.returncode == 0 and listed.stdout:
        return [ROOT / name for name in listed.stdout.decode().split("\0") if name]
    return [
        p
        for p in (ROOT / "casekit").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    ]


def test_every_notebook_template_and_data_file_is_package_data(venv):
    package = venv["site"] / "casekit"
    for name in NOTEBOOK_NAMES:
        shipped = (ROOT / "notebooks" / name).read_bytes()
        assert (package / "notebooks" / name).read_bytes() == shipped, name
    files = _package_files()
    assert any(p.suffix == ".html" for p in files)  # the app's templates, at least
    for path in files:  # every module, template, style sheet and data file
        installed = package / path.relative_to(ROOT / "casekit")
        assert installed.is_file(), f"{path.relative_to(ROOT)} is not in the wheel"
        assert installed.read_bytes() == path.read_bytes(), path.relative_to(ROOT)


def test_synth_review_and_flags_work_from_the_wheel(venv):
    casekit, env, work = str(venv["bin"] / "casekit"), venv["env"], venv["work"]
    _run([casekit, "synth", "--out", "bundle", "--seed", "0"], env, work)
    for table in SYNTHETIC.glob("*.csv"):  # the same bytes as the committed bundle
        assert (work / "bundle" / table.name).read_bytes() == table.read_bytes(), table.name
    _run([casekit, "review", "--data", "bundle", "--out", "reviews", "--team", "T01"], env, work)
    page = (work / "reviews" / "T01.html").read_text(encoding="utf-8")
    assert "<h2>What needs attention</h2>" in page and "<h2>Caseload</h2>" in page
    assert "Traceback" not in page and "<script" not in page
    assert 'href="T01.html"' in (work / "reviews" / "index.html").read_text(encoding="utf-8")
    flags = _run([casekit, "flags", "--data", "bundle", "--status", "open"], env, work)
    header, *rows = flags.splitlines()
    assert header.startswith("case_id,") and "reason" in header and rows


def test_the_app_serves_copies_of_the_notebooks_and_a_generated_demo_store(venv):
    env, work, home = venv["env"], venv["work"], venv["home"]
    port = free_port()
    log = work / "app.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(venv["bin"] / "casekit"), "app", "--port", str(port)],
            env=env,
            cwd=work,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 240
        while not (found := re.search(r"http://127\.0\.0\.1:\d+/\?token=(\S+)", log.read_text())):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        token = found.group(1)
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        base = f"http://127.0.0.1:{port}/"
        with urllib.request.urlopen(f"{base}login", timeout=60) as r:
            assert r.status == 200 and 'type="password"' in r.read().decode()
        assert status(base) in (302, 403)  # nothing without the token
        with urllib.request.urlopen(f"{base}?token={token}", timeout=60) as r:
            assert "What would you like to do?" in r.read().decode()
        with urllib.request.urlopen(
            f"{base}voila/render/bundle_check.ipynb?token={token}", timeout=240
        ) as r:
            page = r.read().decode()
        assert "valid case bundle (6 teams" in page  # the example bundle, generated once
    finally:
        stop(proc)
    folder = home / "data" / "casekit" / "notebooks"
    assert f"notebooks in {folder}" in log.read_text()
    assert (folder.stat().st_mode & 0o777) == 0o700
    for name in NOTEBOOK_NAMES:
        assert ((folder / name).stat().st_mode & 0o777) == 0o600
    assert (home / "cache" / "casekit" / "demo.sqlite").is_file()
    assert (home / "cache" / "casekit" / "synthetic" / "cases.csv").read_bytes() == (
        SYNTHETIC / "cases.csv"
    ).read_bytes()


def test_the_store_s_migrations_run_from_the_wheel(venv, tmp_path):
    """The Alembic chain is inside the wheel: a new store is made and an old one upgraded."""
    from conftest import unpack_store

    from casekit.store.migrations import head

    casekit, env, work = str(venv["bin"] / "casekit"), venv["env"], venv["work"]
    old = unpack_store("schema2.sqlite.gz", tmp_path)
    said = _run([casekit, "store", "upgrade", str(old)], env, work)
    assert (
        said == f"{old}: upgraded from store schema 2 (from before Alembic) to revision {head()}.\n"
    )
    python = str(venv["bin"] / "python")
    _run([python, "-c", "import casekit; casekit.open('new.sqlite').close()"], env, work)
    said = _run([casekit, "store", "current", "new.sqlite"], env, work)
    assert said == f"new.sqlite: revision {head()}, up to date.\n"
    assert not list((venv["site"] / "casekit").rglob("alembic.ini"))
