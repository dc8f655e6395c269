"""The folder `casekit app` serves: a checkout's notebooks, or casekit's copies kept safely."""

from __future__ import annotations

import json

import nbformat
import pytest
from app_helpers import free_port
from conftest import ROOT, SYNTHETIC

from casekit import cli
from casekit.app import workspace
from casekit.app.server import prepare as prepare_app
from casekit.errors import CasekitError
from casekit.outputs import MANIFEST
from casekit.shipped import NOTEBOOK_NAMES

READ_A_BUNDLE = {"bundle_check.ipynb", "caseload_review.ipynb", "proportionality_trends.ipynb"}


def mode(path):
    return path.stat().st_mode & 0o777


def test_from_a_checkout_the_app_serves_its_notebooks_folder_as_it_is():
    before = sorted(p.name for p in (ROOT / "notebooks").iterdir())
    served = workspace.prepare()
    assert served.folder == ROOT / "notebooks" and not served.copies and not served.written
    assert workspace.prepare(ROOT / "notebooks").folder == ROOT / "notebooks"
    assert sorted(p.name for p in (ROOT / "notebooks").iterdir()) == before  # no manifest


def test_installed_the_default_folder_is_the_users_data_folder(monkeypatch, tmp_path):
    monkeypatch.setattr(workspace, "checkout", lambda: None)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert workspace.default_folder() == tmp_path / "casekit" / "notebooks"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert workspace.default_folder() == tmp_path / "home" / ".local/share/casekit/notebooks"


def test_copies_are_private_and_read_the_example_bundle(tmp_path):
    folder = tmp_path / "new" / "notebooks"
    served = workspace.prepare(folder, SYNTHETIC)
    assert served.copies and served.written == list(NOTEBOOK_NAMES) and not served.kept
    assert mode(folder) == 0o700
    for name in NOTEBOOK_NAMES:
        copy, shipped = folder / name, ROOT / "notebooks" / name
        assert mode(copy) == 0o600
        if name not in READ_A_BUNDLE:
            assert copy.read_bytes() == shipped.read_bytes()
            continue
        book, original = nbformat.read(copy, 4), nbformat.read(shipped, 4)
        at = next(i for i, c in enumerate(book.cells) if "parameters" in c.metadata.get("tags", []))
        injected = book.cells[at + 1]
        assert injected.metadata.tags == ["injected-parameters"]
        assert injected.source == f"# Parameters\ndata = {str(SYNTHETIC)!r}\n"
        assert book.cells[: at + 1] + book.cells[at + 2 :] == original.cells  # nothing else
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["kind"] == "notebooks" and sorted(manifest["entries"]) == list(NOTEBOOK_NAMES)
    assert mode(folder / MANIFEST) == 0o600


def test_a_rerun_keeps_what_you_changed_and_refreshes_only_casekits_own_copies(tmp_path):
    folder = tmp_path / "notebooks"
    workspace.prepare(folder, SYNTHETIC)
    again = workspace.prepare(folder, SYNTHETIC)
    assert again.written == [] and again.kept == []  # same bytes: nothing rewritten
    edited = folder / "risk_timeline.ipynb"
    edited.write_text("my own edits")
    (folder / "bundle_check.ipynb").unlink()  # gone: casekit's copy comes back
    (folder / "notes.txt").write_text("mine")
    (folder / "supervision_records").mkdir()
    (folder / "supervision_records" / "C1.html").write_text("record")
    moved = tmp_path / "moved"  # the example bundle moved: casekit's copies follow it
    third = workspace.prepare(folder, moved)
    assert sorted(third.written) == sorted(READ_A_BUNDLE)
    assert third.kept == ["risk_timeline.ipynb"]
    assert edited.read_text() == "my own edits"
    assert str(moved) in (folder / "caseload_review.ipynb").read_text()
    assert (folder / "notes.txt").read_text() == "mine"
    assert (folder / "supervision_records" / "C1.html").read_text() == "record"
    (note,) = third.notes()
    assert "kept your" in note and "risk_timeline.ipynb" in note and "move it away" in note
    assert workspace.prepare(folder, moved).kept == ["risk_timeline.ipynb"]  # still yours


def test_a_file_of_yours_or_a_link_with_a_notebooks_name_is_never_written(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "bundle_check.ipynb").write_text("my notebook")  # no manifest: not casekit's
    target = tmp_path / "elsewhere.ipynb"
    target.write_text("elsewhere")
    (folder / "risk_timeline.ipynb").symlink_to(target)
    served = workspace.prepare(folder, SYNTHETIC)
    assert sorted(served.kept) == ["bundle_check.ipynb", "risk_timeline.ipynb"]
    assert (folder / "bundle_check.ipynb").read_text() == "my notebook"
    assert target.read_text() == "elsewhere" and (folder / "risk_timeline.ipynb").is_symlink()
    assert (folder / "chronology_builder.ipynb").is_file()


@pytest.mark.parametrize("where", ["file", "home", "reviews"])
def test_a_folder_that_is_not_for_notebooks_is_refused(tmp_path, monkeypatch, where):
    folder = tmp_path / "target"
    if where == "file":
        folder.write_text("a file")
        message = "is a file, where a folder is expected"
    elif where == "home":
        monkeypatch.setenv("HOME", str(folder))
        folder.mkdir()
        message = "is your home folder"
    else:
        folder.mkdir()
        (folder / MANIFEST).write_text(json.dumps({"kind": "reviews", "entries": []}))
        message = "casekit wrote its reviews there"
    with pytest.raises(CasekitError, match=message):
        workspace.prepare(folder, SYNTHETIC)
    assert not (folder.is_dir() and any(p.suffix == ".ipynb" for p in folder.iterdir()))


def test_the_app_serves_the_folder_given_and_says_what_it_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("CASEKIT_APP_PASSWORD_HASH", raising=False)
    folder = tmp_path / "nb"
    folder.mkdir()
    (folder / "bundle_check.ipynb").write_text("mine")
    settings = prepare_app(port=free_port(), notebooks=str(folder))
    assert settings.notebooks == folder
    assert (folder / "risk_timeline.ipynb").is_file()
    assert len(settings.notes) == 1 and "bundle_check.ipynb" in settings.notes[0]


def test_a_bad_notebooks_folder_exits_2_in_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    args = ["app", "--notebooks", str(tmp_path / "file"), "--port", str(free_port())]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert "--notebooks" in err and "is a file" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
