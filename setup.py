"""The one build setting pyproject.toml cannot say: casekit's packages plus casekit.notebooks.

The notebooks stay in the top-level ``notebooks/`` folder (for a checkout, nbval and
papermill); ``[tool.setuptools.package-dir]`` in pyproject.toml maps that folder to the package
``casekit.notebooks``, so a wheel carries them as package data (see ``casekit/shipped.py``).
"""

from setuptools import find_namespace_packages, setup

setup(packages=[*find_namespace_packages(include=["casekit*"]), "casekit.notebooks"])
