"""Where casekit finds its notebooks and the example bundle, from a checkout and installed."""

from __future__ import annotations

import pytest
from conftest import ROOT, SYNTHETIC

from casekit import shipped
from casekit.errors import CasekitError
from casekit.synth import example


def test_the_shipped_notebooks_are_the_checkouts_notebooks():
    assert set(shipped.NOTEBOOK_NAMES) == {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert shipped.checkout() == ROOT
    assert shipped.notebooks() == ROOT / "notebooks"
    assert shipped.notebook("caseload_review.ipynb") == ROOT / "notebooks" / "caseload_review.ipynb"


def test_the_review_runs_the_shipped_review_notebook():
    from casekit.review.run import NOTEBOOK

    assert NOTEBOOK == ROOT / "notebooks" / "caseload_review.ipynb"


def test_an_unknown_notebook_is_refused_with_the_names_there_are():
    with pytest.raises(CasekitError, match="ships no such notebook; it ships bundle_check"):
        shipped.notebook("../pyproject.toml")


def test_installed_the_notebooks_are_package_data(tmp_path, monkeypatch):
    package = tmp_path / "site-packages" / "casekit"
    (package / "notebooks").mkdir(parents=True)
    (package / "notebooks" / "risk_timeline.ipynb").write_text("{}")
    monkeypatch.setattr(shipped, "_PACKAGE", package)
    assert shipped.checkout() is None  # site-packages holds no pyproject.toml
    assert shipped.notebooks() == package / "notebooks"
    assert shipped.notebook("risk_timeline.ipynb") == package / "notebooks" / "risk_timeline.ipynb"
    with pytest.raises(CasekitError, match="missing from casekit's notebooks; reinstall"):
        shipped.notebook("bundle_check.ipynb")


def test_a_damaged_installation_says_to_reinstall(tmp_path, monkeypatch):
    monkeypatch.setattr(shipped, "_PACKAGE", tmp_path / "site-packages" / "casekit")
    with pytest.raises(CasekitError, match="notebooks are missing from this installation"):
        shipped.notebooks()


def test_the_example_bundle_is_the_checkouts_synthetic_data(tmp_path):
    assert example.example_bundle(tmp_path / "cache") == SYNTHETIC
    assert not (tmp_path / "cache").exists()  # nothing made


def test_installed_the_example_bundle_is_made_once_as_casekit_synth_makes_it(tmp_path, monkeypatch):
    monkeypatch.setattr(example, "checkout", lambda: None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    made = example.example_bundle()
    assert made == tmp_path / "xdg" / "casekit" / "synthetic"
    assert (made.parent.stat().st_mode & 0o777) == 0o700
    for table in SYNTHETIC.glob("*.csv"):
        assert (made / table.name).read_bytes() == table.read_bytes(), table.name
        assert ((made / table.name).stat().st_mode & 0o777) == 0o600
    assert [p.name for p in made.parent.iterdir()] == ["synthetic"]  # no scratch left
    stamp = (made / "cases.csv").stat().st_mtime_ns

    def again():
        raise AssertionError("generated a second time")

    monkeypatch.setattr("casekit.synth.generator.generate", again)
    assert example.example_bundle() == made
    assert (made / "cases.csv").stat().st_mtime_ns == stamp
