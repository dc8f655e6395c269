"""The folder ``casekit app`` serves the notebooks from, and the copies casekit keeps there.

Voila runs each notebook in the folder it is served from, and the notebooks write there too
(exported supervision records go to ``supervision_records/`` beside them, chronologies to
``chronology_exports/``), so the
app needs a folder of its own:

- **from a checkout**, by default, the repository's ``notebooks/`` folder itself, as always;
- **installed from a wheel**, or with ``--notebooks DIR``, a working folder (default
  ``$XDG_DATA_HOME/casekit/notebooks``, else ``~/.local/share/casekit/notebooks``), made private
  (0700), into which casekit copies the notebooks it ships (0600), with the synthetic example
  bundle (:func:`casekit.synth.example.example_bundle`) set as the ``data`` of the notebooks
  that read a bundle, since ``../data/synthetic`` is a checkout's path.

A copy is only ever written over if casekit wrote it and nobody changed it since: the folder's
manifest (``.casekit-manifest.json``, kind ``notebooks``) records each copy's SHA-256. A copy
you edited, a file of yours with the same name and a symbolic link are kept as they are (the
app serves them) and named in a note; files casekit did not write are never touched or removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from casekit.errors import CasekitError, load_json
from casekit.outputs import MANIFEST, private_folder, write_private
from casekit.shipped import NOTEBOOK_NAMES, checkout, notebooks

__all__ = ["KIND", "Workspace", "data_folder", "default_folder", "notebook_copy", "prepare"]

DATA_PARAMETER = re.compile(r"^data\s*(:[^=]*)?=", re.MULTILINE)
"""A parameters cell's line that sets ``data`` (the bundle a notebook reads)."""
KIND = "notebooks"
"""The manifest kind of a folder of notebook copies casekit keeps for the app."""


@dataclass
class Workspace:
    """The folder the app serves, and what preparing it did."""

    folder: Path
    copies: bool = False
    """True if the folder holds casekit's copies (not the shipped notebooks themselves)."""
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """Notebooks left as they were because you changed them or casekit did not write them."""

    def notes(self) -> list[str]:
        """Say, one line each, which notebooks were kept as they were, and how to refresh one."""
        return [
            f"kept your {self.folder / name} as it is (changed since casekit wrote it, or not "
            "written by casekit); to get casekit's version, move it away and start again."
            for name in self.kept
        ]


def data_folder() -> Path:
    """Return where casekit keeps a user's files: ``$XDG_DATA_HOME/casekit``, else the default.

    The default is ``~/.local/share/casekit``.
    """
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "casekit"


def default_folder() -> Path:
    """Return the folder the app serves by default: a checkout's notebooks, else a copy's."""
    return notebooks() if checkout() is not None else data_folder() / "notebooks"


def notebook_copy(name: str, example: Path) -> bytes:
    """Return the bytes casekit writes as its copy of the shipped notebook ``name``.

    A notebook with a ``data`` parameter gets a cell after its parameters that sets it to
    ``example`` (the folder of the synthetic example bundle), tagged ``injected-parameters``
    as papermill tags the cell it injects; the others are copied as they are.
    """
    import nbformat

    source = notebooks() / name
    book = nbformat.read(source, as_version=4)
    at = next(
        (i for i, c in enumerate(book.cells) if "parameters" in c.metadata.get("tags", [])), None
    )
    if at is None or not DATA_PARAMETER.search("".join(book.cells[at].source)):
        return source.read_bytes()
    cell = nbformat.v4.new_code_cell(f"# Parameters\ndata = {str(example)!r}\n")
    cell.id = "injected-parameters"  # the same bytes every time for the same bundle
    cell.metadata["tags"] = ["injected-parameters"]
    book.cells.insert(at + 1, cell)
    return nbformat.writes(book).encode("utf-8")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _manifest(folder: Path) -> dict[str, str]:
    """Return the copies the folder's manifest lists (name: SHA-256); refuse another kind."""
    path = folder / MANIFEST
    if path.is_symlink() or not path.is_file():
        return {}
    try:
        body = load_json(path.read_text(encoding="utf-8"))
        kind, copies = body.get("kind"), body.get("sha256", {})
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        return {}
    if isinstance(kind, str) and kind != KIND:  # a bundle or reviews folder of casekit's
        raise CasekitError(
            f"--notebooks {folder}: casekit wrote its {kind} there, not notebooks; give "
            "another folder for the app's notebooks."
        )
    if kind != KIND or not isinstance(copies, dict):
        return {}
    return {str(k): str(v) for k, v in copies.items() if k in NOTEBOOK_NAMES}


def _write_manifest(folder: Path, copies: dict[str, str]) -> None:
    body = {"written_by": "casekit", "kind": KIND, "entries": sorted(copies), "sha256": copies}
    write_private(folder / MANIFEST, json.dumps(body, indent=1, sort_keys=True).encode("utf-8"))


def prepare(folder: str | Path | None = None, example: Path | None = None) -> Workspace:
    """Return the folder the app serves, copying casekit's notebooks into it if it needs them.

    ``folder`` empty means :func:`default_folder`. The shipped notebooks' own folder is served
    as it is; any other folder is made (0700) if missing and given casekit's copies of the
    notebooks (see :func:`notebook_copy`; ``example`` defaults to the example bundle), new or
    updating copies casekit wrote and nobody changed, keeping every other file as it is.
    Raises :class:`CasekitError` for a file where the folder should be, the home folder or one
    above it, and a folder casekit wrote something else into.
    """
    target = Path(folder).absolute() if folder else default_folder()
    if target.exists() and target.resolve() == notebooks().resolve():
        return Workspace(target)
    label = f"--notebooks {target}"
    resolved, home = target.resolve(), Path.home().resolve()
    if resolved == home or resolved in home.parents:
        raise CasekitError(
            f"{label}: is your home folder or a folder above it; casekit keeps the app's "
            "notebooks in a folder of their own. Give a new folder, e.g. --notebooks "
            "casekit-notebooks."
        )
    if target.exists() and not target.is_dir():
        raise CasekitError(f"{label}: is a file, where a folder is expected. Choose another.")
    private_folder(target)
    recorded = _manifest(target)
    if example is None:
        from casekit.synth.example import example_bundle

        example = example_bundle()
    work = Workspace(target, copies=True)
    bodies: dict[str, bytes] = {}
    for name in NOTEBOOK_NAMES:
        path = target / name
        body = notebook_copy(name, example)
        if path.is_symlink() or (path.exists() and not path.is_file()):
            work.kept.append(name)
        elif not path.exists():
            bodies[name] = body
        elif recorded.get(name) != _sha256(path):
            work.kept.append(name)  # changed since casekit wrote it, or never written by it
        elif recorded[name] != hashlib.sha256(body).hexdigest():
            bodies[name] = body  # casekit's unchanged copy of an earlier version
    copies = {**recorded, **{n: hashlib.sha256(b).hexdigest() for n, b in bodies.items()}}
    if copies != recorded or not (target / MANIFEST).is_file():
        _write_manifest(target, copies)  # first, so that a crash leaves the copies casekit's
    for name, body in bodies.items():
        write_private(target / name, body)
        work.written.append(name)
    return work
