"""casekit 0.1's names keep working for one release after the move into subpackages.

Users have their own copies of the review notebook and their own scripts that import the flat
modules of 0.1 (``casekit.chronology``, ``casekit.review_report`` ...). Each old name must
import the very module it became, warn once with the new name, and a 0.1 copy of
``caseload_review.ipynb`` (kept in tests/compat/ as it was shipped) must still run.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat
import pytest

import casekit
from casekit._moved import MOVED

ROOT = Path(__file__).resolve().parents[1]
SYNTHETIC = ROOT / "data" / "synthetic"

# Every module casekit 0.1 had (git ls-tree 90a658a casekit/), less the package itself.
MODULES_0_1 = (
    "agency_samples annex_a annex_import annex_synth app_server arrowops casebook casework "
    "chronology cli contract disclosure disclosure_check errors export extract_import figures "
    "flag_guide identifiers io merge narratives outputs overview proportionality pseudonymise "
    "reference research research_figures review review_figures review_kernel review_links "
    "review_report review_run spreadsheets store supervision supervision_record synth timeline "
    "trends validation workbooks"
).split()


def test_every_module_of_0_1_still_imports():
    for name in MODULES_0_1:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            module = importlib.import_module(f"casekit.{name}")
        assert module.__name__.startswith("casekit."), name


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_name_is_the_new_module_and_warns_with_its_new_name(old):
    new = f"casekit.{MOVED[old]}"
    code = (
        "import importlib, warnings\n"
        "warnings.simplefilter('error', DeprecationWarning)\n"
        f"new = importlib.import_module({new!r})\n"
        "try:\n"
        f"    importlib.import_module('casekit.{old}')\n"
        "except DeprecationWarning as w:\n"
        "    print(w)\n"
        "warnings.simplefilter('ignore', DeprecationWarning)\n"
        f"print(importlib.import_module('casekit.{old}') is new)\n"
    )
    # a fresh interpreter: an alias is made once, so only the first import warns
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    message, same = done.stdout.strip().splitlines()
    assert message.startswith(f"casekit.{old} is now {new};"), message
    assert "casekit 0.3" in message
    assert same == "True"


def test_names_that_are_packages_now_still_offer_their_old_contents():
    from casekit import review, store, synth

    assert review.build is importlib.import_module("casekit.review.sections").build
    assert synth.generate is importlib.import_module("casekit.synth.generator").generate
    assert store.open_store is importlib.import_module("casekit.store.db").open_store
    assert store.SCHEMA_VERSION == importlib.import_module("casekit.store.db").SCHEMA_VERSION
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        store.nope  # noqa: B018


def test_an_unknown_old_style_name_is_still_an_import_error():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("casekit.no_such_module")


def test_the_public_api_is_where_it_was():
    for name in ("load", "open", "validate", "validate_path", "Casebook", "Store", "suppress"):
        assert callable(getattr(casekit, name)), name
    from casekit.widgets import (  # noqa: F401
        CasePicker,
        CaseWorkspace,
        ChronologyBuilder,
        RiskTimeline,
        SupervisionSession,
    )

    assert casekit.validate(SYNTHETIC) == casekit.load(SYNTHETIC).notes


@pytest.mark.slow
def test_a_0_1_copy_of_the_review_notebook_still_runs(tmp_path):
    import papermill

    # kept as .json so that nbval does not collect it as one of today's notebooks
    old = tmp_path / "caseload_review_0.1.ipynb"
    old.write_bytes((ROOT / "tests" / "compat" / "caseload_review_0.1.ipynb.json").read_bytes())
    assert "from casekit import review_report" in old.read_text()  # it uses an old name
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(old),
        str(out),
        parameters={"data": str(SYNTHETIC), "team": "T01"},
        cwd=str(tmp_path),
        kernel_name="python3",
        progress_bar=False,
    )
    book = nbformat.read(out, as_version=4)
    texts = [
        o.get("text", "") + str(o.get("data", {}).get("text/html", ""))
        for cell in book.cells
        for o in cell.get("outputs", [])
    ]
    assert not [o for c in book.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert any("casekit.review_report is now casekit.review.report" in t for t in texts)
    assert any("Caseload" in t for t in texts)
