"""The team caseload review: sections, notebook helpers, kernels and the batch runner.

``casekit.review`` was one module in casekit 0.1; its names are re-exported here so that a
copy of ``caseload_review.ipynb`` made then still runs. New code imports from
:mod:`casekit.review.sections`.
"""

from __future__ import annotations

from casekit.review import sections as _sections
from casekit.review.sections import *  # noqa: F403 - the old module's names, as listed in its __all__

__all__ = list(_sections.__all__)
