"""The docs site: built strictly (a broken link or a missing reference fails it), with a page
per user, the generated contract and flags pages, and an API page for every subpackage and
module, made without anything fetched from outside the machine."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from casekit.analysis.proportionality import FLAGS
from casekit.contract import TABLES

USER_PAGES = {
    # page: words only that user's page holds (from the README section it includes, or its own)
    "practitioners": ["ChronologyBuilder", "chronology merge", "as_known_at"],
    "supervisors": ["SupervisionSession", "--status open", "Social GRACES"],
    "analysts": ["casekit validate", "casekit review", "disclosure-check", "pseudonymise"],
    "researchers": ["compare_strata", "Simpson", "--radicalisation-share"],
    "deploying": ["127.0.0.1", "--add-user", "0600", "0700", "Disk encryption", "DNS rebinding"],
    "developers": ["add_event", "make bench"],
}
REFERENCE_PAGES = ["data-contract", "flags", "security", "security-suppression"]
SUBPACKAGES = sorted(
    p.parent.name
    for p in (ROOT / "casekit").glob("*/__init__.py")
    if any(p.parent.glob("*.py")) and p.parent.name != "data"
)


def build_site(config_dir: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """Run ``mkdocs build --strict`` on ``config_dir``'s mkdocs.yml into ``out``."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=config_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docs") / "site"
    built = build_site(ROOT, out)
    assert built.returncode == 0, f"mkdocs build --strict failed:\n{built.stdout}{built.stderr}"
    assert "WARNING" not in built.stderr, built.stderr
    return out


def html(site: Path, page: str) -> str:
    return (site / f"{page}.html").read_text(encoding="utf-8")


def words(site: Path, page: str) -> str:
    """The page's text as a reader sees it: no tags (code is highlighted token by token)."""
    return unescape(re.sub(r"<[^>]+>", "", html(site, page)))


def test_config_is_strict_english_and_fetches_nothing():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["strict"] is True
    assert config["theme"]["language"] == "en"
    assert config["theme"]["font"] is False  # the theme would fetch Google Fonts
    plugins = [next(iter(p)) if isinstance(p, dict) else p for p in config["plugins"]]
    assert not {"social", "privacy", "optimize"} & set(plugins)
    assert all(v == "warn" for v in config["validation"].values())


@pytest.mark.parametrize("page", sorted(USER_PAGES))
def test_each_user_has_a_page(site, page):
    text = words(site, page)
    for said in USER_PAGES[page]:
        assert said in text, (page, said)
    assert "--8<--" not in text  # every include was made
    # a README reference link ([text][name]) the page forgot to define shows as written
    assert not re.search(r"\]\[[\w-]+\]", text), re.search(r".{40}\]\[[\w-]+\]", text)


def test_the_home_page_links_every_user_page_and_shows_the_commands(site):
    text = html(site, "index")
    assert '<html lang="en"' in text
    for page in USER_PAGES:
        assert f'href="{page}.html"' in text, page
    assert "make review" in words(site, "index") and "make test" in words(site, "index")


def test_the_generated_pages_are_in_the_site(site):
    for page in REFERENCE_PAGES:
        assert (site / f"{page}.html").exists(), page
    contract = html(site, "data-contract")
    assert all(re.search(rf'<h2 id="{table}(-required)?">', contract) for table in TABLES)
    flags = html(site, "flags")
    assert all(f'<h2 id="{flag}">' in flags for flag in FLAGS)
    assert "What a deployer must provide" in words(site, "security")


def test_readme_links_resolve_to_site_pages(site):
    """The README's links, kept in the sections the pages include, point at the site's pages."""
    assert '<a href="data-contract.html">docs/data-contract.md</a>' in html(site, "analysts")
    assert '<a href="security.html">SECURITY.md</a>' in html(site, "deploying")
    assert '<a href="flags.html">the flags guide</a>' in html(site, "researchers")
    assert '<a href="architecture.html">ARCHITECTURE.md</a>' in html(site, "developers")


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_every_subpackage_has_an_api_page(site, package):
    assert (site / "api" / f"{package}.html").exists(), (
        f"docs/api/{package}.md is missing: add it (and to mkdocs.yml's nav)"
    )


def test_every_public_module_is_in_the_api_reference(site):
    api = "".join(p.read_text(encoding="utf-8") for p in (site / "api").glob("*.html"))
    modules = [
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for p in (ROOT / "casekit").rglob("*.py")
        if not any(part.startswith("_") for part in p.relative_to(ROOT / "casekit").parts)
        and p.parent.name != "data"
    ]
    assert len(modules) > 40
    missing = [m for m in modules if f'id="{m}"' not in api]
    assert missing == [], f"modules without an API reference: {missing}"


def test_the_top_level_api_is_documented(site):
    text = html(site, "api/casekit")
    for name in ("load", "open", "validate_path", "Casebook", "suppress", "BundleInvalid"):
        assert f'id="casekit.{name}"' in text, name
    # Store and open_store are imported when first used: the page links their reference
    assert 'href="store.html#casekit.store.db.Store"' in text


def test_docstrings_render_roles_as_links_and_doctests_as_code(site):
    api = "".join(p.read_text(encoding="utf-8") for p in (site / "api").glob("*.html"))
    assert not re.search(r":(func|class|meth|mod|data):", api), "a role was left as text"
    # casekit.bundle.casebook's ':class:`~casekit.errors.BundleInvalid`' became a cross-reference
    assert re.search(r'<a [^>]*href="[^"]*#casekit\.errors\.BundleInvalid"', api)
    # casekit's own doctest is a code block, its output never a link or a quote
    top = html(site, "api/casekit")
    assert '<code><span class="gp">&gt;&gt;&gt; </span>' in top  # the pycon lexer's prompt
    assert "<blockquote>" not in api


def test_nothing_in_the_site_is_fetched_from_outside(site):
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r'<(script|img|iframe)[^>]+src="(https?:)?//', text), page
        assert not re.search(r'<link[^>]+href="(https?:)?//', text), page


def test_a_broken_link_or_reference_fails_the_strict_build(tmp_path):
    """Strictness itself: a copy of the docs with one broken link, anchor and reference fails."""
    for path in (ROOT / "mkdocs.yml", *ROOT.glob("*.md")):  # the pages include README.md and co
        shutil.copy(path, tmp_path / path.name)
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    (tmp_path / "casekit").symlink_to(ROOT / "casekit")
    page = tmp_path / "docs" / "supervisors.md"
    page.write_text(
        page.read_text(encoding="utf-8")
        + "\nSee [a page that is not there](no-such-page.md),"
        + " [a section that is not there](practitioners.md#no-such-section)"
        + " and [`no_such_function`][casekit.no_such_function].\n",
        encoding="utf-8",
    )
    built = build_site(tmp_path, tmp_path / "site")
    assert built.returncode != 0
    log = built.stdout + built.stderr
    assert "Aborted with 3 warnings in strict mode" in log, log
    assert "no-such-page.md" in log
    assert "#no-such-section" in log
    assert "casekit.no_such_function" in log


def test_a_missing_readme_section_fails_the_build(tmp_path):
    """A page including a README section that is not there stops the build, never shows less.

    A one-page site with the real Markdown settings, so that it is quick."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text('# T\n\n--8<-- "README.md:no-such-section"\n')
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    small = {"site_name": "t", "strict": True, "markdown_extensions": config["markdown_extensions"]}
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(small), encoding="utf-8")
    built = build_site(tmp_path, tmp_path / "site")
    assert built.returncode != 0
    log = built.stdout + built.stderr
    assert "Snippet section 'no-such-section' could not be located" in log, log


def test_every_include_names_a_section_its_file_marks():
    """Each ``--8<-- "FILE:section"`` in the docs has start and end markers in FILE."""
    includes = re.findall(r'^--8<-- "([^":]+)(?::([\w-]+))?"$', _docs_text(), flags=re.M)
    assert len(includes) > 20
    for name, section in includes:
        text = (ROOT / name).read_text(encoding="utf-8")
        if section:
            assert f"--8<-- [start:{section}]" in text and f"--8<-- [end:{section}]" in text


def _docs_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))


def _hook(name: str):
    path = ROOT / "docs" / "hooks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"docs_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_doctests_are_fenced_as_code_and_other_text_is_kept():
    fence = _hook("griffe_casekit").fence_doctests
    text = "Intro.\n\n>>> 1 + 1\n2\n\nAfter, with >>> inside.\n\n  >>> x\n  'y'"
    assert fence(text) == (
        "Intro.\n\n```pycon\n>>> 1 + 1\n2\n```\n\nAfter, with >>> inside.\n\n"
        "  ```pycon\n  >>> x\n  'y'\n  ```"
    )
    assert fence("No doctest here.") == "No doctest here."


def test_a_literal_block_is_introduced_by_one_colon():
    colons = _hook("griffe_casekit").literal_colons
    assert colons("The file looks like::\n\n    columns:\n") == (
        "The file looks like:\n\n    columns:\n"
    )
    assert colons("A C++ name::\nnot a block") == "A C++ name::\nnot a block"


def test_the_api_pages_list_every_module_of_their_package(tmp_path):
    hook = _hook("api_modules")
    assert hook.module_names(ROOT, "casekit.render") == [
        f"casekit.render.{p.stem}"
        for p in sorted((ROOT / "casekit" / "render").glob("*.py"))
        if not p.stem.startswith("_")
    ]
    pkg = tmp_path / "casekit" / "demo"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "_private").mkdir()
    for name in ("__init__", "b", "a", "_hidden", "__main__", "sub/__init__", "sub/c"):
        (pkg / f"{name}.py").write_text("")
    (pkg / "_private" / "d.py").write_text("")
    assert hook.module_names(tmp_path, "casekit.demo") == [
        "casekit.demo.a",
        "casekit.demo.b",
        "casekit.demo.sub",
        "casekit.demo.sub.c",
    ]
    assert hook.module_names(tmp_path, "casekit.demo", subpackages=False) == [
        "casekit.demo.a",
        "casekit.demo.b",
    ]
