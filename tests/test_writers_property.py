"""Property: whatever text, IDs or file names the data holds, every writer stays safe.

Random free text (formula starts, markup, control characters, path pieces) goes into an event
summary and a decision rationale, and a random team ID into the teams, workers and cases,
of the tiny bundle. Every command that writes from it runs as a user would: import into a
store, export the store as a workbook, export the chronology as HTML, xlsx and CSV, the flags
CSV, and the caseload review. Whatever the input, each command either works (exit 0) or
refuses with a message (exit 2): never an internal error. Nothing is written outside the
output folder, no workbook holds a formula, no CSV meant for people starts a cell with a
formula character, and no page carries the text as live markup.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
import zipfile
from pathlib import Path

from conftest import TINY, write_csv_bundle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casekit.cli import main

HOSTILE_TEXT = st.one_of(
    st.sampled_from(
        [
            '=HYPERLINK("http://example.com","click")',
            "=1+1",
            "+1",
            "-1+1",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "../../etc/passwd",
            "{}",
            "a\x0bb",
            "nul\x00here",
        ]
    ),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=40),
)
HOSTILE_ID = st.one_of(
    st.sampled_from(
        ["../../victim", "/abs/path", "a{}b", "javascript:alert(1)", "T1", "..", "CON", ".x"]
    ),
    st.text(alphabet="abcT1/.\\{}:-_ ", min_size=1, max_size=12),
)
FORMULA_START = re.compile(r"^[=+\-@\t\r]")
NOT_A_NAME = re.compile(r"[/\\{}:]|^[.\s]|^$")


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def _bundle(root: Path, summary: str, rationale: str, team: str) -> Path:
    tables = {t: [dict(r) for r in rows] for t, rows in TINY.items()}
    tables["events"][0]["summary"] = summary
    tables["decisions"][0]["rationale"] = rationale
    for name in ("teams", "workers", "cases"):
        for row in tables[name]:
            row["team_id"] = team
    return write_csv_bundle(root / "in", tables)


def _run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse's own refusals
        return int(exc.code)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(summary=HOSTILE_TEXT, rationale=HOSTILE_TEXT, team=HOSTILE_ID)
def test_every_writer_refuses_or_writes_safely_inside_its_folder(summary, rationale, team):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bundle = _bundle(root, summary, rationale, team)
        victim = root / "victim"
        victim.mkdir()
        (victim / "keep.txt").write_text("mine")
        out = root / "work" / "out"
        out.mkdir(parents=True)
        before = _files(root)
        cwd = os.getcwd()
        os.chdir(root / "work")  # a relative path from the data must not reach root or victim
        try:
            codes = {
                "import": _run(["import", str(bundle), "--into", str(out / "store.sqlite")]),
                "flags": _run(["flags", "--data", str(bundle), "--out", str(out / "flags.csv")]),
            }
            for suffix in ("html", "xlsx", "csv"):
                chron = str(out / f"chron.{suffix}")
                codes[suffix] = _run(["chronology", "export", "--data", str(bundle),
                                      "--case", "007", "--out", chron])  # fmt: skip
            if codes["import"] == 0:
                codes["export"] = _run(["export", str(out / "store.sqlite"), "--form", "xlsx",
                                        "--out", str(out / "exported.xlsx")])  # fmt: skip
            # a refused bundle or a team ID that is no file name stops it before any kernel
            # (cells are read trimmed, so " 1" is team "1")
            if codes["import"] != 0 or NOT_A_NAME.search(team.strip()):
                codes["review"] = _run(["review", "--data", str(bundle), "--out",
                                        str(out / "reviews"), "--team", "all"])  # fmt: skip
                assert codes["review"] == 2, team
        finally:
            os.chdir(cwd)

        assert set(codes.values()) <= {0, 2}, codes  # never an internal error
        assert (victim / "keep.txt").read_text() == "mine"
        created = _files(root) - before
        assert all(out in p.parents for p in created), sorted(map(str, created))
        for book in out.rglob("*.xlsx"):
            with zipfile.ZipFile(book) as z:
                sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
                assert not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in sheets), book
        for people in [out / "flags.csv", out / "chron.csv"]:
            if people.exists():
                with people.open(newline="", encoding="utf-8") as fh:
                    cells = [c for row in csv.reader(fh) for c in row]
                risky = [c for c in cells if FORMULA_START.match(c) and not _number(c)]
                assert risky == [], (people.name, risky)
        page = out / "chron.html"
        if page.exists():
            html = page.read_text(encoding="utf-8")
            assert "<script>alert" not in html and "<img src=x" not in html
