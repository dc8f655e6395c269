"""Notebooks run end to end with papermill, with good and bad parameters."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from conftest import ROOT, SYNTHETIC

NOTEBOOKS = ROOT / "notebooks"


def images(name: str, tmp_path: Path) -> int:
    """Count the figures an executed notebook shows, each a PNG with alt text.

    A bare ``image/png`` output has no alt text (WCAG 1.1.1), so it fails the count.
    """
    nb = nbformat.read(tmp_path / f"out-{name}", as_version=4)
    outputs = [o.get("data", {}) for c in nb.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if "image/png" in o], "a figure without alt text"
    described = re.compile(r'<img class="figure" alt="[^"]{20,}" src="data:image/png;base64,')
    return sum(len(described.findall("".join(o.get("text/html", "")))) for o in outputs)


def run(name: str, tmp_path: Path, **parameters) -> str:
    """Execute a notebook in its own working folder; return all its text output."""
    out = tmp_path / f"out-{name}"
    pm.execute_notebook(
        NOTEBOOKS / name,
        out,
        parameters=parameters,
        cwd=str(tmp_path),
        kernel_name="python3",
        start_timeout=120,
        progress_bar=False,
        # the kernel flushes print() in timed batches, so one cell's stdout can arrive as
        # one output or as several: merge them, or two identical runs read differently
        coalesce_streams=True,
    )
    nb = nbformat.read(out, as_version=4)
    texts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", "") + output.get("data", {}).get("text/plain", ""))
    return "\n".join(texts)


@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_parameters_are_typed_and_documented(name):
    params = pm.inspect_notebook(NOTEBOOKS / name)
    assert params, f"{name} has no parameters cell"
    for param in params.values():
        assert param["inferred_type_name"] != "None", param
        assert param["help"], param
    # papermill skips a line it cannot read (one with a second '=', such as in its comment),
    # so that parameter would be missing from --help-notebook: every one assigned is listed
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assigned = [
        node.target.id
        for node in ast.parse(cell.source).body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    ]
    assert assigned and list(params) == assigned


def test_bundle_check_on_the_synthetic_data(tmp_path):
    text = run("bundle_check.ipynb", tmp_path, data=str(SYNTHETIC))
    assert "valid case bundle (6 teams" in text
    assert "No problems found." in text
    assert "events" in text and "2021-04" in text  # the table sizes and date spans


def test_bundle_check_lists_problems_in_a_bad_bundle(tmp_path, synthetic_copy):
    events = synthetic_copy / "events.csv"
    events.write_text(events.read_text().replace(",visit,", ",vist,", 1))
    text = run("bundle_check.ipynb", tmp_path, data=str(synthetic_copy))
    assert "not valid — 1 problem(s) to fix" in text
    assert "in 1 record(s): events.csv: 1 record breaks 1 rule (column 'kind')" in text
    assert "did you mean 'visit'?" in text


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"data": "/no/such/bundle"}, "no such file or folder"),
        ({"today": "31/03/2025"}, "parameter today: '31/03/2025' is not a date"),
    ],
)
def test_bundle_check_explains_bad_parameters(tmp_path, parameters, message):
    text = run("bundle_check.ipynb", tmp_path, **{"data": str(SYNTHETIC), **parameters})
    assert message in text
    assert "Traceback" not in text


def test_proportionality_trends_report(tmp_path):
    text = run("proportionality_trends.ipynb", tmp_path, data=str(SYNTHETIC), suppress=True)
    assert "referral_source" in text and "islamist" in text
    assert images("proportionality_trends.ipynb", tmp_path) == 3  # the three figures
    assert " c of " in text and " c " in text  # small numbers are hidden, in words and tables
    assert "comparisons made, p-values Holm-adjusted" in text  # the number of comparisons
    assert "ethnicity 'white'" in text and "religion 'none'" in text  # the references
    assert "not a finding" in text and "confounding" in text  # the caveats
    assert "referrals counted" not in text  # no total beside suppressed counts
    assert "it says nothing about the children" in text  # a rate is the service's response
    assert "as of 2025-03-31 (the notebook's default" in text  # the as-of date, named
    assert "within each referral group (radicalisation, other safeguarding)" in text


def test_suppressed_trends_report_passes_the_disclosure_check(tmp_path):
    """The suppressed report, exported as SECURITY.md and the research guide say (HTML
    without code: ``jupyter nbconvert --to html --no-input``), leaves the team clean."""
    from nbconvert import HTMLExporter

    from casekit.privacy.check import check_path

    run("proportionality_trends.ipynb", tmp_path, data=str(SYNTHETIC), suppress=True)
    nb = nbformat.read(tmp_path / "out-proportionality_trends.ipynb", as_version=4)
    html, _ = HTMLExporter(exclude_input=True).from_notebook_node(nb)
    page = tmp_path / "out.html"
    page.write_text(html, encoding="utf-8")
    findings, files = check_path(page)
    assert files == 1 and html.count("<table") >= 4  # Table 1 and the equity tables are in it
    assert [str(f) for f in findings] == []
    shown = HTMLExporter(exclude_input=True).from_notebook_node(
        nbformat.read(run_unsuppressed(tmp_path), as_version=4)
    )[0]
    (tmp_path / "shown.html").write_text(shown, encoding="utf-8")
    found, _ = check_path(tmp_path / "shown.html")
    assert any(f.kind == "small count" for f in found)  # the check does see the counts


def test_trends_report_tables_show_every_row_whatever_pandas_is_set_to(tmp_path, monkeypatch):
    """pandas cuts a table of over 60 rows to its ends and '...' (the equity tables of a
    national dataset have more), which would hide rows of a published table: the report shows
    them all, even in a kernel whose start-up lowers pandas' limits."""
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-small.py").write_text(
        "import pandas\npandas.set_option('display.max_rows', 4, 'display.max_columns', 3)\n"
    )
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    run("proportionality_trends.ipynb", tmp_path, data=str(SYNTHETIC), suppress=True)
    nb = nbformat.read(tmp_path / "out-proportionality_trends.ipynb", as_version=4)
    tables = [
        "".join(o["data"]["text/html"])
        for c in nb.cells
        for o in c.get("outputs", [])
        if "<table" in "".join(o.get("data", {}).get("text/html", ""))
    ]
    assert len(tables) >= 4  # Table 1, the two equity tables and Table 2
    assert not [t for t in tables if "rows ×" in t or "columns</p>" in t or ">...<" in t]
    religion = next(t for t in tables if "child_religion" in t)
    assert religion.count("<tr>") > 10  # more rows than the start-up's limit, all shown


def run_unsuppressed(tmp_path: Path) -> Path:
    """Run the report without suppression in a folder of its own; give the executed notebook."""
    (tmp_path / "plain").mkdir()
    run("proportionality_trends.ipynb", tmp_path / "plain", data=str(SYNTHETIC), suppress=False)
    return tmp_path / "plain" / "out-proportionality_trends.ipynb"


def test_proportionality_trends_report_unsuppressed_with_other_parameters(tmp_path):
    text = run(
        "proportionality_trends.ipynb",
        tmp_path,
        data=str(SYNTHETIC),
        suppress=False,
        days=60,
        religion_reference="christian",
    )
    assert "within 60 days" in text and "referrals counted" in text
    assert "religion 'christian'" in text and " c of " not in text
    assert images("proportionality_trends.ipynb", tmp_path) == 3


def test_proportionality_trends_counts_in_an_engine_and_says_the_same(tmp_path):
    (tmp_path / "pandas").mkdir()
    (tmp_path / "duckdb").mkdir()
    common = dict(data=str(SYNTHETIC), suppress=False, days=60)
    want = run("proportionality_trends.ipynb", tmp_path / "pandas", **common)
    got = run("proportionality_trends.ipynb", tmp_path / "duckdb", engine="duckdb", **common)
    at = re.compile(r" at 0x[0-9a-f]+>")  # the figures' reprs name their addresses
    assert at.sub(">", got) == at.sub(">", want) and "referrals counted" in got
    assert images("proportionality_trends.ipynb", tmp_path / "duckdb") == 3


def test_risk_timeline_notebook_draws_the_figure(tmp_path):
    store = tmp_path / "s.sqlite"
    import casekit

    with casekit.open(store) as s:
        s.import_casebook(casekit.load(SYNTHETIC))
    text = run("risk_timeline.ipynb", tmp_path, store=str(store), case_id="C00149")
    assert images("risk_timeline.ipynb", tmp_path) == 1
    assert "True" in text


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"start": "1/1/24"}, "parameter start"),
        ({"days": 0}, "whole number of days"),
        ({"ethnicity_reference": "british"}, "parameter ethnicity_reference"),
        ({"engine": "polars"}, "choose one of duckdb, postgres, spark"),
        ({"engine": "postgres"}, "give the store's URL as the data"),
    ],
)
def test_proportionality_trends_rejects_bad_parameters(tmp_path, parameters, message):
    with pytest.raises(pm.PapermillExecutionError, match=message):
        run("proportionality_trends.ipynb", tmp_path, data=str(SYNTHETIC), **parameters)
