"""The synthetic example bundle: the checkout's ``data/synthetic``, or one made once per user.

The demo store and the notebooks that read a bundle (checking one, proportionality trends) need
the synthetic example data. A checkout has it committed (``make data`` writes it with
``casekit synth --seed 0``); an installed casekit has no such folder, so the same bundle is
generated once, from the same seed and settings, into casekit's cache folder
(``$XDG_CACHE_HOME/casekit/synthetic``, else ``~/.cache/casekit/synthetic``), private to its
owner and moved into place whole.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from casekit.shipped import checkout

__all__ = ["cache_folder", "example_bundle"]


def cache_folder() -> Path:
    """Return casekit's cache folder: ``$XDG_CACHE_HOME/casekit``, else ``~/.cache/casekit``."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "casekit"


def example_bundle(cache: Path | None = None) -> Path:
    """Return the synthetic example bundle's folder, generating it the first time if needed.

    From a checkout it is the committed ``data/synthetic``; otherwise ``synthetic`` in
    ``cache`` (default :func:`cache_folder`), made by :func:`casekit.synth.generate` with its
    defaults (what ``casekit synth --seed 0`` writes) the first time it is asked for.
    """
    root = checkout()
    if root is not None and (root / "data" / "synthetic").is_dir():
        return root / "data" / "synthetic"
    from casekit.bundle.io import write_bundle
    from casekit.outputs import private_folder, remove_stale_scratch, scratch_beside
    from casekit.synth.generator import generate

    cache = private_folder(cache or cache_folder())
    target = cache / "synthetic"
    if target.is_dir() and not target.is_symlink():
        return target
    remove_stale_scratch(target)  # what a start killed half-way left
    scratch = scratch_beside(target)
    try:
        made = write_bundle(generate(), scratch / "synthetic")
        try:
            os.replace(made, target)  # whole, or not at all
        except OSError:
            if not target.is_dir() or target.is_symlink():  # not made meanwhile by another start
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target
