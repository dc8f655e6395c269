"""Typing promises: make lint runs mypy on casekit/, set strictly, with few explained ignores."""

from __future__ import annotations

import re
import tomllib

from conftest import ROOT


def test_make_lint_runs_mypy_after_ruff():
    makefile = (ROOT / "Makefile").read_text()
    lint = re.search(r"^lint:.*\n((?:\t.*\n)+)", makefile, flags=re.M).group(1).splitlines()
    commands = [line.strip() for line in lint]
    assert "$(BIN)/mypy" in commands
    assert commands.index("$(BIN)/mypy") > commands.index("$(BIN)/ruff check .")


def test_mypy_checks_casekit_with_the_agreed_settings():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    mypy = config["tool"]["mypy"]
    assert mypy["python_version"] == "3.11"
    assert mypy["files"] == ["casekit"]
    assert mypy["check_untyped_defs"] is True
    assert mypy["disallow_untyped_defs"] is True  # every function's parameters and result typed
    assert mypy["warn_unused_ignores"] is True
    assert "ignore_missing_imports" not in mypy, "only per module, for libraries without types"
    for override in mypy.get("overrides", []):
        modules = override["module"]
        assert all(m.split(".")[0].isidentifier() for m in modules), modules
    dev = config["project"]["optional-dependencies"]["dev"]
    for tool in ("mypy", "pandas-stubs"):
        assert any(d.startswith(f"{tool}>=") for d in dev), tool


def test_every_type_ignore_names_its_error_and_says_why():
    found = []
    for path in sorted((ROOT / "casekit").rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if "type: ignore" not in line:
                continue
            where = f"{path.relative_to(ROOT)}:{i + 1}"
            found.append(where)
            assert re.search(r"type: ignore\[[a-z-]+(, ?[a-z-]+)*\]", line), f"{where}: no code"
            said_after = re.search(r"type: ignore\[[^\]]+\]\s*#\s*\w", line)
            said_before = i > 0 and lines[i - 1].strip().startswith("#")
            assert said_after or said_before, f"{where}: say why the ignore is needed"
    assert len(found) <= 3, found  # keep them rare: fix the types instead


def test_a_users_mypy_sees_the_lazily_imported_names_types_and_their_misspellings(tmp_path):
    # casekit imports Casebook, load, ... when first used (casekit.__getattr__): a user's
    # type checker still knows what they are, and still says a name casekit does not have
    import os
    import subprocess
    import sys

    user = tmp_path / "analysis.py"
    user.write_text(
        "import casekit\nbook = casekit.load('bundle')\ncount: int = book\ncasekit.lod('bundle')\n"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--follow-imports=silent",
            "--no-error-summary",
            str(user),
        ],
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    said = [line.split(": error: ")[1] for line in done.stdout.splitlines() if ": error: " in line]
    assert said == [
        'Incompatible types in assignment (expression has type "Casebook", variable has type '
        '"int")  [assignment]',
        'Module has no attribute "lod"; maybe "load"?  [attr-defined]',
    ], done.stdout + done.stderr
