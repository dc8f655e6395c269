"""Set-up promises: pip and conda agree, and the README's commands are real."""

from __future__ import annotations

import re
import tomllib

import yaml
from conftest import ROOT
from packaging.requirements import Requirement


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_environment_yml_and_pyproject_declare_the_same_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip = [
        Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]
    ]
    pip_specs = {normalise(r.name): str(r.specifier) for r in pip}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    # what conda-forge does not package comes from PyPI, in the pip section
    from_pypi = [d for e in env["dependencies"] if isinstance(e, dict) for d in e.get("pip", [])]
    conda += [d for d in from_pypi if not d.startswith("-")]
    conda_specs = {}
    for dep in conda:
        req = Requirement(dep)
        conda_specs[normalise(req.name)] = str(req.specifier)
    python = conda_specs.pop("python")
    conda_specs.pop("pip")
    assert conda_specs == pip_specs
    assert python == project["requires-python"]


def test_readme_opens_with_the_commands_and_make_has_them():
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    first_block = readme.split("```")[1]
    assert "make test" in first_block
    for target in re.findall(r"^make (\w+)", readme, flags=re.M):
        assert re.search(rf"^{target}:", makefile, flags=re.M), target


def test_ci_runs_make_test():
    script = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", script, flags=re.M)


def test_servers_bind_to_localhost_only():
    makefile = (ROOT / "Makefile").read_text()
    lab = re.search(r"^lab:.*\n\t(.*)$", makefile, flags=re.M).group(1)
    assert "--ServerApp.ip=127.0.0.1" in lab
    app = (ROOT / "casekit" / "app" / "server.py").read_text()
    assert 'config.Voila.ip = "127.0.0.1"' in app
