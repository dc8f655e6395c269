"""The flat module names of casekit 0.1, kept working for one release as aliases.

casekit 0.2 groups its modules into subpackages by job (see ARCHITECTURE.md). A notebook or
script that still imports an old name, such as ``from casekit.chronology import case_events``,
gets the very same module object under its new name (``casekit.analysis.chronology``) and a
:class:`DeprecationWarning` that says which name to use instead. The aliases go in 0.3.

>>> import importlib, sys, warnings
>>> _ = sys.modules.pop("casekit.chronology", None)  # as in a session that has not used it
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     old = importlib.import_module("casekit.chronology")
>>> old is importlib.import_module("casekit.analysis.chronology")
True
>>> print(caught[0].message)  # doctest: +NORMALIZE_WHITESPACE
casekit.chronology is now casekit.analysis.chronology; import it from there (the old name
goes in casekit 0.3)
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType

__all__ = ["MOVED", "install"]

MOVED: dict[str, str] = {
    "agency_samples": "synth.agency_samples",
    "annex_a": "ingest.annex_a",
    "annex_import": "ingest.annex_import",
    "annex_synth": "synth.annex",
    "app_server": "app.server",
    "arrowops": "bundle.arrowops",
    "casebook": "bundle.casebook",
    "casework": "analysis.casework",
    "chronology": "analysis.chronology",
    "disclosure": "privacy.disclosure",
    "disclosure_check": "privacy.check",
    "export": "analysis.export",
    "extract_import": "ingest.extract",
    "figures": "render.figures",
    "flag_guide": "analysis.flag_guide",
    "identifiers": "privacy.identifiers",
    "io": "bundle.io",
    "merge": "ingest.merge",
    "narratives": "synth.narratives",
    "overview": "analysis.overview",
    "proportionality": "analysis.proportionality",
    "pseudonymise": "privacy.pseudonymise",
    "reference": "analysis.reference",
    "research": "analysis.research",
    "research_figures": "analysis.research_figures",
    "review_figures": "review.figures",
    "review_kernel": "review.kernel",
    "review_links": "privacy.margins",
    "review_report": "review.report",
    "review_run": "review.run",
    "spreadsheets": "render.xlsx",
    "supervision": "analysis.supervision",
    "supervision_record": "analysis.supervision_record",
    "timeline": "analysis.timeline",
    "trends": "analysis.trends",
    "validation": "bundle.validation",
    "workbooks": "bundle.workbooks",
}
"""Old module name (under ``casekit.``) to its new dotted name (under ``casekit.``)."""


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Find an old casekit module name and load it as the module it became."""

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        """Claim ``casekit.<old name>``; leave every other import to the usual finders."""
        package, _, name = fullname.partition(".")
        if package != "casekit" or name not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        """Import the new module and hand it back under the old name."""
        new = "casekit." + MOVED[spec.name.partition(".")[2]]
        warnings.warn(
            f"{spec.name} is now {new}; import it from there (the old name goes in casekit 0.3)",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(new)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the new module has run already."""


def install() -> None:
    """Put the alias finder on ``sys.meta_path`` once."""
    if not any(isinstance(finder, _Alias) for finder in sys.meta_path):
        sys.meta_path.append(_Alias())
