"""A Griffe extension that lets the docs site read casekit's plain docstrings.

casekit's docstrings are plain text with reStructuredText roles in places (``:func:`load```)
and doctests (``>>>`` lines, run by ``pytest --doctest-modules``). Markdown reads neither: a
role shows its colons, and a doctest's output (``['cases', 'events']``) looks like a link. This
extension, loaded by ``mkdocs.yml``, rewrites each docstring once the package is loaded:

- a role becomes a cross-reference to the object's page when it names a documented object,
  else the name as code (a role naming something private or outside casekit);
- each doctest (a run of lines from a ``>>>`` line to a blank line) becomes a ``pycon`` code
  block;
- a paragraph ending ``::`` before an indented block ends ``:``, as Sphinx shows it (Markdown
  shows the indented block as code).

The source is not changed: the docstrings stay plain for ``help()`` and the doctests.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

__all__ = ["CasekitDocstrings", "fence_doctests", "literal_colons", "rewrite_roles"]

LITERAL = re.compile(r"::\n(?=\n[ \t]+\S)")
ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|attr|data|exc|obj|const):`(~?)([^`]+)`")
# modules with no page of their own in the API reference
UNDOCUMENTED = ("casekit._moved", "casekit.data", "casekit.cli.__main__")


def fence_doctests(text: str) -> str:
    """Put each doctest (``>>>`` to the next blank line) in a ``pycon`` code block."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        if stripped.startswith(">>>") and not (out and out[-1].strip()):
            indent = line[: len(line) - len(stripped)]
            out.append(f"{indent}```pycon")
            while i < len(lines) and lines[i].strip():
                out.append(lines[i])
                i += 1
            out.append(f"{indent}```")
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def literal_colons(text: str) -> str:
    """End a paragraph that introduces an indented (literal) block with one colon, not two."""
    return LITERAL.sub(":\n", text)


def _documented(obj: griffe.Object | griffe.Alias) -> bool:
    """Whether ``obj`` has an anchor in the API reference: public, with a docstring, on a page."""
    path = obj.path
    if obj.docstring is None and not obj.is_module:
        return False
    if any(path == m or path.startswith(m + ".") for m in UNDOCUMENTED):
        return False
    node: Any = obj
    while node is not None and node.parent is not None:
        if not node.is_public:
            return False
        node = node.parent
    return True


def _target(name: str, scope: griffe.Object, collection: Any) -> griffe.Object | None:
    """Find the object a role names: as written, in its module, in its class, in its scope."""
    candidates = [name, f"{scope.module.path}.{name}"]
    if scope.is_class or scope.parent is not None and scope.parent.is_class:
        cls = scope if scope.is_class else scope.parent
        candidates.append(f"{cls.path}.{name}")
    try:
        candidates.append(scope.resolve(name.split(".")[0]) + name[len(name.split(".")[0]) :])
    except (griffe.NameResolutionError, AttributeError):
        pass
    for path in candidates:
        try:
            found = collection.get_member(path)
        except (KeyError, ValueError, AttributeError):
            continue
        try:
            return found.final_target if found.is_alias else found
        except griffe.AliasResolutionError:
            return None
    return None


def rewrite_roles(text: str, scope: griffe.Object, collection: Any) -> str:
    """Turn ``:func:`name``` into a cross-reference, or into code when it has no page."""

    def replace(match: re.Match[str]) -> str:
        short, name = match.group(1) == "~", match.group(2).strip()
        shown = name.rsplit(".", 1)[-1] if short else name
        target = _target(name.rstrip("()"), scope, collection)
        if target is not None and _documented(target):
            return f"[`{shown}`][{target.path}]"
        return f"`{shown}`"

    return ROLE.sub(replace, text)


def _walk(obj: griffe.Object) -> Any:
    yield obj
    for member in obj.members.values():
        if not member.is_alias:
            yield from _walk(member)


class CasekitDocstrings(griffe.Extension):
    """Rewrite roles and doctests in every docstring of a loaded package."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        """Rewrite the docstrings of ``pkg`` and all its members."""
        for obj in _walk(pkg):
            if obj.docstring is not None:
                text = literal_colons(fence_doctests(obj.docstring.value))
                obj.docstring.value = rewrite_roles(text, obj, loader.modules_collection)
