"""An MkDocs hook that lists a package's modules on its API reference page.

An API page holds a line ``<!-- modules of casekit.bundle -->``; this hook replaces it with one
``::: casekit.bundle.NAME`` block per module in that package's folder (and its subpackages),
in name order, so that a new module gets its reference without editing the page. Private
modules (``_moved.py``) and ``__main__.py`` are left out. ``<!-- modules of casekit, not its
subpackages -->`` lists only the modules directly in the folder (``casekit.contract`` and the
other top-level modules).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

__all__ = ["module_names", "on_page_markdown"]

MARKER = re.compile(
    r"^<!-- modules of (casekit(?:\.\w+)*)(, not its subpackages)? -->$", flags=re.M
)


def module_names(root: Path, package: str, *, subpackages: bool = True) -> list[str]:
    """Every public module below ``package`` (found in ``root``), subpackages too if asked."""
    folder = root.joinpath(*package.split("."))
    names: list[str] = []
    for path in sorted(folder.rglob("*.py") if subpackages else folder.glob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if any(part.startswith("_") for part in parts[:-1]):
            continue
        if parts[-1] == "__init__" and path.parent != folder:
            names.append(".".join(parts[:-1]))
        elif not parts[-1].startswith("_"):
            names.append(".".join(parts))
    return names


def on_page_markdown(markdown: str, config: Any, **kwargs: Any) -> str:
    """Replace each ``<!-- modules of PACKAGE -->`` line with the package's module blocks."""
    root = Path(config.config_file_path).parent

    def expand(match: re.Match[str]) -> str:
        names = module_names(root, match.group(1), subpackages=not match.group(2))
        return "\n\n".join(f"::: {name}" for name in names)

    return MARKER.sub(expand, markdown)
