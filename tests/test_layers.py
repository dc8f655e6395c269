"""The layer rules in pyproject.toml: casekit keeps them, and import-linter catches each breach.

``make lint`` runs ``lint-imports``; these tests prove the contracts are not toothless by
planting one forbidden import at a time in a copy of the package and watching it fail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True))"


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter with the repository's contracts on the casekit package in ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [sys.executable, "-c", RUN], cwd=tree, env=env, capture_output=True, text=True
    )


def broken(done: subprocess.CompletedProcess[str]) -> set[str]:
    """The names of the contracts a run reports broken."""
    return set(re.findall(r"^(.+?) ?BROKEN$", done.stdout, re.MULTILINE))


CONTRACTS = {
    c["id"]: c["name"]
    for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"
    ]
}


def test_casekit_keeps_every_contract():
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in done.stdout
    assert set(CONTRACTS) == {"layers", "widgets-off-bundle-internals", "no-cycles"}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    tree = tmp_path_factory.mktemp("pristine")
    shutil.copytree(ROOT / "casekit", tree / "casekit", ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tree)
    return tree


PLANTED = {
    # an upward import, lazy inside a function: the bundle reaching up to analysis (which
    # imports the bundle, so the two subpackages now form a cycle too)
    "upward": (
        "casekit/bundle/dates.py",
        "\n\ndef _planted():\n    import casekit.analysis.chronology  # noqa\n",
        "layers no-cycles",
    ),
    # siblings of one layer: synth must not import review (nor review synth)
    "sibling": ("casekit/synth/annex.py", "\nimport casekit.review.sections  # noqa\n", "layers"),
    # a module that takes no place in a layer
    "unplaced": ("casekit/helpers.py", '"""A new module nobody placed."""\n', "layers"),
    # a widget reading files itself instead of through the Casebook or the store
    "widget": (
        "casekit/widgets/timeline.py",
        "\nfrom casekit.bundle.io import RawTable  # noqa\n",
        "widgets-off-bundle-internals",
    ),
    # the Casebook reads with io; io importing the Casebook back is a cycle inside one layer
    "cycle": (
        "casekit/bundle/io.py",
        "\n\ndef _planted():\n    import casekit.bundle.casebook  # noqa\n",
        "no-cycles",
    ),
}


@pytest.mark.parametrize("breach", sorted(PLANTED))
def test_each_contract_catches_what_it_forbids(breach, pristine, tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(pristine, tree)
    file, text, contracts = PLANTED[breach]
    with open(tree / file, "a", encoding="utf-8") as f:
        f.write(text)
    done = lint(tree)
    assert done.returncode == 1, done.stdout + done.stderr
    assert broken(done) == {CONTRACTS[c] for c in contracts.split()}, done.stdout


def test_architecture_md_draws_the_layers_the_contract_enforces():
    layers = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"
    ][0]["layers"]
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    drawn = re.search(r"```text\n(.*?)```", text, re.DOTALL)
    assert drawn, "ARCHITECTURE.md has no ```text block with the layers"
    rows = [
        " | ".join(m.removeprefix("casekit.") for m in re.findall(r"casekit\.\w+", line))
        for line in drawn.group(1).splitlines()
        if "casekit." in line
    ]
    assert rows == layers
    assert "ARCHITECTURE.md" in (ROOT / "README.md").read_text(encoding="utf-8")
