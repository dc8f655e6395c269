"""Where the files casekit ships beside its code are: the notebooks, and a checkout's folders.

casekit runs in two ways, and finds its notebooks in each:

- **installed from a wheel**: the notebooks are package data, ``casekit/notebooks/*.ipynb``
  inside the installed package (``pyproject.toml`` maps the top-level ``notebooks/`` folder to
  the package ``casekit.notebooks``);
- **from a checkout** (``make``'s editable install, or ``PYTHONPATH``): the notebooks are the
  repository's own ``notebooks/`` folder, beside the ``casekit/`` package, where nbval and
  papermill test them. There is one copy of each notebook, never two.

A checkout also holds the committed synthetic bundle (``data/synthetic``) and the folder
``make review`` writes (``reports/``); :func:`checkout` says where it is, if casekit runs from
one.

>>> (notebooks() / "caseload_review.ipynb").is_file()
True
"""

from __future__ import annotations

from pathlib import Path

from casekit.errors import CasekitError

__all__ = ["NOTEBOOK_NAMES", "checkout", "notebook", "notebooks"]

_PACKAGE = Path(__file__).resolve().parent

NOTEBOOK_NAMES = (
    "bundle_check.ipynb",
    "caseload_review.ipynb",
    "chronology_builder.ipynb",
    "proportionality_trends.ipynb",
    "reflective_supervision.ipynb",
    "risk_timeline.ipynb",
)
"""The notebooks casekit ships, by file name."""


def checkout() -> Path | None:
    """Return the repository folder casekit runs from, or None when it is installed.

    A checkout is the folder above the ``casekit`` package when it holds ``pyproject.toml``
    and ``notebooks/``; an installed package's folder above is ``site-packages``, which holds
    neither.
    """
    root = _PACKAGE.parent
    if (root / "pyproject.toml").is_file() and (root / "notebooks").is_dir():
        return root
    return None


def notebooks() -> Path:
    """Return the folder holding the notebooks casekit ships (installed, else the checkout's).

    Raises :class:`CasekitError` if neither is there (a damaged installation).
    """
    installed = _PACKAGE / "notebooks"
    if installed.is_dir():
        return installed
    root = checkout()
    if root is not None:
        return root / "notebooks"
    raise CasekitError(
        f"{installed}: casekit's notebooks are missing from this installation; reinstall "
        "casekit (pip install --force-reinstall casekit)."
    )


def notebook(name: str) -> Path:
    """Return the path of one shipped notebook, such as ``caseload_review.ipynb``.

    Raises :class:`CasekitError` naming the notebooks there are if ``name`` is not one.
    """
    if name not in NOTEBOOK_NAMES:
        raise CasekitError(
            f"{name!r}: casekit ships no such notebook; it ships {', '.join(NOTEBOOK_NAMES)}."
        )
    path = notebooks() / name
    if not path.is_file():
        raise CasekitError(
            f"{path}: this notebook is missing from casekit's notebooks; reinstall casekit."
        )
    return path
