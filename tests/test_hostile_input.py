"""Hostile input: tiny files that would exhaust memory, damaged files, stores that must not change.

Every hostile file is built here, by hand, and given to every command that reads it. Each must
end with exit 2 and a located message (file, sheet or line), no traceback, within seconds, with
nothing written.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import ROOT

import casekit
from casekit.bundle.io import read_bundle, read_mapping_file
from casekit.bundle.workbooks import Limits, read_workbook
from casekit.cli import main
from casekit.errors import CasekitError

# --- building workbooks by hand -----------------------------------------------------------------

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def build_xlsx(path: Path, sheets: dict[str, str], level: int = 6) -> Path:
    """Write a minimal .xlsx whose sheets hold the given worksheet XML, as a zip made by hand."""
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    members = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org'
            '/package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{overrides}</Types>"
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}">'
            f'<Relationship Id="rId1" Type="{_R}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {_NS} xmlns:r="{_R}"><sheets>'
            + "".join(
                f'<sheet name="{t}" sheetId="{i}" r:id="rId{i}"/>' for i, t in enumerate(sheets, 1)
            )
            + "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="{_R}/worksheet" '
                f'Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, len(sheets) + 1)
            )
            + "</Relationships>"
        ),
    }
    for i, xml in enumerate(sheets.values(), 1):
        members[f"xl/worksheets/sheet{i}.xml"] = xml
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for name, text in members.items():
            z.writestr(name, text)
    return path


def sheet_xml(rows: str, dimension: str | None = None, prolog: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet {_NS}>{dim}'
        f"<sheetData>{rows}</sheetData></worksheet>"
    )


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


XFD = sheet_xml(
    f'<row r="1">{cell("A1", "event_id")}{cell("XFD1", "x")}</row>'
    f'<row r="1048576">{cell("A1048576", "E1")}</row>',
    dimension="A1:XFD1048576",
)
"""The 1.6 KB workbook of finding 8: a cell at XFD1, a row at 1,048,576."""

# The same rows without a <dimension>: only counting while streaming can stop it.
XFD_UNDECLARED = sheet_xml(
    f'<row r="1">{cell("A1", "event_id")}</row><row r="1048576">{cell("A1048576", "E1")}</row>'
)
WIDE_UNDECLARED = sheet_xml(f'<row r="1">{cell("A1", "event_id")}{cell("XFD1", "x")}</row>')
# A row of more cell elements than Excel has columns: refused as they open, before they are built.
CROWDED_ROW = sheet_xml(f'<row r="1">{cell("A1", "event_id")}{"<c/>" * 20_000}</row>')


def hostile_workbook(path: Path, xml: str) -> Path:
    """A workbook whose events and list 3 sheets both hold ``xml``: every command reads it."""
    return build_xlsx(path, {"events": xml, "List 3 referrals": xml})


def zip_bomb(path: Path) -> Path:
    """A workbook whose sheet unzips to 20 MB of blanks from a few kilobytes."""
    padding = " " * 20_000_000
    xml = sheet_xml(f'<row r="1">{cell("A1", "event_id")}</row>').replace(
        "</worksheet>", padding + "</worksheet>"
    )
    return hostile_workbook(path, xml)


def entity_bomb(path: Path) -> Path:
    """A workbook whose sheet XML declares nested entities (a billion laughs in XML)."""
    entities = '<!ENTITY a "lollollollollollol">' + "".join(
        f'<!ENTITY {n} "{("&" + p + ";") * 10}">' for p, n in zip("abcdefg", "bcdefgh", strict=True)
    )
    xml = sheet_xml(
        f'<row r="1">{cell("A1", "&h;")}</row>', prolog=f"<!DOCTYPE worksheet [{entities}]>"
    )
    return hostile_workbook(path, xml)


def truncated(path: Path) -> Path:
    good = io.BytesIO()
    pd.DataFrame({"event_id": ["E1"] * 50, "summary": ["text"] * 50}).to_excel(
        good, sheet_name="events", index=False
    )
    data = good.getvalue()
    path.write_bytes(data[: len(data) // 2])
    return path


def bad_xml(path: Path) -> Path:
    """A well-formed zip whose sheet XML breaks off in the middle of a row."""
    xml = sheet_xml(f'<row r="1">{cell("A1", "event_id")}</row>').replace("</sheetData>", "<row")
    return hostile_workbook(path, xml)


HOSTILE_XLSX = {
    "xfd": (lambda p: hostile_workbook(p, XFD), "declares 1,048,576 rows"),
    "xfd-undeclared": (lambda p: hostile_workbook(p, XFD_UNDECLARED), "row 1,048,576"),
    "wide-undeclared": (lambda p: hostile_workbook(p, WIDE_UNDECLARED), "column 16,384"),
    "crowded-row": (lambda p: hostile_workbook(p, CROWDED_ROW), "more than 16,384 cells"),
    "zip-bomb": (zip_bomb, "compressed"),
    "entity-bomb": (entity_bomb, "EntitiesForbidden"),
    "truncated": (truncated, "cannot be opened as an .xlsx workbook"),
    "bad-xml": (bad_xml, "not well-formed"),
}


def commands(path: Path, out: Path) -> dict[str, list[str]]:
    """Every command that reads an .xlsx, given ``path``, writing (if it ever did) under ``out``."""
    return {
        "validate": ["validate", str(path)],
        "chronology merge": [
            "chronology", "merge", f"{path}=police", "--case", "C1", "--out", str(out / "m.csv"),
        ],
        "import-csv": ["import-csv", f"{path}=events", "--out", str(out / "bundle")],
        "import-annex-a": ["import-annex-a", str(path), "--out", str(out / "annex")],
        "disclosure-check": ["disclosure-check", str(path)],
    }  # fmt: skip


def run(args: list[str], capsys) -> tuple[int, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize("kind", list(HOSTILE_XLSX))
@pytest.mark.parametrize("command", list(commands(Path("x"), Path("y"))))
def test_every_command_refuses_a_hostile_workbook(tmp_path, capsys, kind, command):
    make, expected = HOSTILE_XLSX[kind]
    path = make(tmp_path / f"{kind}.xlsx")
    out = tmp_path / "out"
    out.mkdir()
    code, output = run(commands(path, out)[command], capsys)
    assert code == 2, output
    assert "Traceback" not in output
    assert f"{kind}.xlsx" in output and expected in output, output
    assert list(out.iterdir()) == []  # nothing written, not even a matching report


# Run casekit, then write the process's own peak memory (VmHWM: its address space's high-water
# mark, unlike ru_maxrss, which also counts the pytest worker it was forked from).
_PEAK = """import sys
from casekit.cli import main
peak = sys.argv.pop(1)
try:
    code = main()
finally:
    with open("/proc/self/status") as status, open(peak, "w") as out:
        out.write(next(line for line in status if line.startswith("VmHWM")))
sys.exit(code)
"""


def _measured(args: list[str], tmp_path: Path) -> tuple[int, str, float]:
    """Run casekit in a fresh process; return its exit code, stderr and peak memory in MB.

    A hang is a failure: the run is stopped after two minutes (the old code took 76 s here).
    """
    peak = tmp_path / "peak.txt"
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, str(peak), *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=120,
    )
    return done.returncode, done.stderr, int(peak.read_text().split()[1]) / 1024


def test_the_xfd_workbook_is_refused_in_little_memory(tmp_path):
    path = hostile_workbook(tmp_path / "book.xlsx", XFD)
    assert path.stat().st_size < 2500
    code, err, peak_mb = _measured(["validate", str(path)], tmp_path)
    assert code == 2
    assert err.strip().count("\n") == 0 and "Traceback" not in err
    assert "book.xlsx, sheet 'events': declares 1,048,576 rows" in err
    assert "CASEKIT_MAX_ROWS" in err  # says how to go on
    assert peak_mb < 400, peak_mb  # before: 7.7 GB, then MemoryError


def test_the_undeclared_xfd_workbook_is_stopped_while_streaming_in_little_memory(tmp_path):
    path = hostile_workbook(tmp_path / "book.xlsx", XFD_UNDECLARED)
    code, err, peak_mb = _measured(["validate", str(path)], tmp_path)
    assert code == 2 and "has data in row 1,048,576" in err, err
    assert peak_mb < 400, peak_mb


def test_a_billion_laughs_mapping_file_is_refused_in_little_memory(tmp_path):
    mapping, police = tmp_path / "laughs.yml", tmp_path / "police.csv"
    mapping.write_text(LAUGHS)
    police.write_text("date,summary\n2024-01-01,seen\n")
    args = ["chronology", "merge", f"{police}=police", "--case", "C1", "--out",
            str(tmp_path / "m.csv"), "--map", str(mapping)]  # fmt: skip
    code, err, peak_mb = _measured(args, tmp_path)
    assert code == 2 and "uses a YAML anchor or alias" in err, err
    assert peak_mb < 400, peak_mb  # before: 3.5 GB


def test_openpyxl_parses_with_defusedxml():
    assert openpyxl.DEFUSEDXML  # the dependency is installed and openpyxl uses it


def test_entity_bomb_is_refused_by_defusedxml(tmp_path):
    path = entity_bomb(tmp_path / "laughs.xlsx")
    with pytest.raises(CasekitError, match=r"laughs.xlsx: cannot be .*EntitiesForbidden"):
        list(read_workbook(path))


# --- limits: defaults, keyword, environment -----------------------------------------------------


def plain_rows(n: int, width: int = 2) -> str:
    letters = "ABCDEFGHIJ"
    return "".join(
        f'<row r="{r}">' + "".join(cell(f"{letters[c]}{r}", f"v{r}{c}") for c in range(width))
        + "</row>"
        for r in range(1, n + 1)
    )  # fmt: skip


def test_limits_are_set_by_keyword_or_environment(tmp_path, monkeypatch):
    path = build_xlsx(tmp_path / "ten.xlsx", {"events": sheet_xml(plain_rows(10, 3))})
    assert len(next(read_workbook(path)).rows) == 10  # well within the defaults
    with pytest.raises(CasekitError, match=r"ten.xlsx, sheet 'events': has data in row 6, more"):
        list(read_workbook(path, limits=Limits(rows=5)))
    with pytest.raises(CasekitError, match=r"column 3, more than the limit of 2 columns"):
        list(read_workbook(path, limits=Limits(columns=2)))
    with pytest.raises(CasekitError, match=r"more than the limit of 20 cells \(reached at row 7"):
        list(read_workbook(path, limits=Limits(cells=20)))
    monkeypatch.setenv("CASEKIT_MAX_ROWS", "9")
    with pytest.raises(CasekitError, match="CASEKIT_MAX_ROWS"):
        list(read_workbook(path))
    monkeypatch.setenv("CASEKIT_MAX_ROWS", "1,000")
    assert len(next(read_workbook(path)).rows) == 10
    monkeypatch.setenv("CASEKIT_MAX_ROWS", "lots")
    with pytest.raises(CasekitError, match="CASEKIT_MAX_ROWS='lots': a limit is a whole number"):
        list(read_workbook(path))
    monkeypatch.delenv("CASEKIT_MAX_ROWS")
    monkeypatch.setenv("CASEKIT_MAX_UNZIPPED_MB", "1")
    zip_bomb(tmp_path / "big.xlsx")
    with pytest.raises(CasekitError, match=r"big.xlsx: unzips to 38 MB, more than the limit of 1"):
        list(read_workbook(tmp_path / "big.xlsx"))


def test_trailing_empty_cells_and_rows_cost_nothing(tmp_path):
    rows = (
        f'<row r="1">{cell("A1", "event_id")}{cell("B1", "summary")}<c r="ZZ1" s="0"/></row>'
        f'<row r="2">{cell("A2", "E1")}<c r="XFD2"/></row>'
        f'<row r="3">{cell("B3", "  ")}</row>'
        f'<row r="900000"><c r="A900000"/></row>'
    )
    path = build_xlsx(tmp_path / "styled.xlsx", {"events": sheet_xml(rows)})
    (sheet,) = read_workbook(path, limits=Limits(columns=3, rows=10, cells=4))
    assert sheet.rows == [("event_id", "summary"), ("E1",)]


def test_rows_narrower_than_the_header_without_dimension_are_read(tmp_path, capsys):
    rows = (
        f'<row r="1">{cell("A1", "event_id")}{cell("B1", "case_id")}{cell("C1", "summary")}</row>'
        f'<row r="2">{cell("A2", "E1")}</row><row r="4">{cell("A4", "E2")}{cell("B4", "C9")}</row>'
    )
    path = build_xlsx(tmp_path / "narrow.xlsx", {"events": sheet_xml(rows)})
    raws, _ = read_bundle(path)
    frame = raws["events"].frame
    assert list(frame.columns) == ["event_id", "case_id", "summary"]
    assert list(frame.index) == [2, 4]  # spreadsheet rows, the empty row 3 left out
    assert frame.loc[2, "event_id"] == "E1" and pd.isna(frame.loc[2, "case_id"])
    assert frame.loc[4, "case_id"] == "C9"
    code, output = run(["validate", str(path)], capsys)
    assert code == 2 and "Traceback" not in output
    assert "narrow.xlsx [sheet events], row 2, column 'case_id'" in output


def test_a_good_workbook_reads_the_same_through_the_new_reader(tmp_path, tiny):
    path = tmp_path / "tiny.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        for table, rows in tiny.items():
            pd.DataFrame(rows).to_excel(xl, sheet_name=table, index=False)
    cb = casekit.load(path)
    assert list(cb.cases["case_id"]) == ["007", "008"]
    assert len(cb.events) == len(tiny["events"])


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_over_the_size_limit_and_overlong_fields_are_refused(tmp_path, monkeypatch, capsys):
    long = tmp_path / "police.csv"
    long.write_text('date,summary\n2024-01-01,"' + "x" * 200_000 + '"\n')
    out = tmp_path / "m.csv"
    code, output = run(
        ["chronology", "merge", f"{long}=police", "--case", "C1", "--out", str(out)], capsys
    )
    assert code == 2 and "Traceback" not in output
    assert "police.csv, line 2: is not well-formed CSV (field larger than field limit" in output
    assert not out.exists()
    monkeypatch.setenv("CASEKIT_MAX_CSV_MB", "1")
    big = tmp_path / "bundle"
    big.mkdir()
    (big / "events.csv").write_text("event_id\n" + "E1\n" * 600_000)
    (big / "cases.csv").write_text("case_id\n")
    code, output = run(["validate", str(big)], capsys)
    assert code == 2 and "events.csv: is 2 MB, more than the limit of 1 MB" in output


# --- YAML mapping files -------------------------------------------------------------------------

LAUGHS = "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + "".join(
    f"{n}: &{n} [{','.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefg", "bcdefgh", strict=True)
) + "columns: *h\n"  # fmt: skip

HOSTILE_YAML = {
    "laughs": (LAUGHS.encode(), "line 1: uses a YAML anchor or alias"),
    "alias": (b"columns:\n  When: &d date\n  Date: *d\n", "line 2: uses a YAML anchor"),
    "deep": (b"columns: " + b"[" * 5000 + b"]" * 5000 + b"\n", "line 1: nests more than 20"),
    "list-section": (b"values:\n  - Red\n  - Amber\n", "line 2: 'values:' holds a list"),
    "scalar-section": (b"values: significance\n", "line 1: 'values:' holds a single value"),
    "list-values": (b"values:\n  significance:\n    - Red\n", "line 3: 'values: significance:'"),
    "top-level-list": (b"- columns\n- values\n", "line 1: is a list; a mapping file has"),
    "cp1252": ("columns:\n  Heure d'arrivée: date\n".encode("cp1252"), "line 2: is not UTF-8"),
    "oversized": (b"columns:\n" + b"  # padding\n" * 100_000, "larger than 1,000,000 bytes"),
    "unknown-section": (b"colums:\n  When: date\n", "line 1: a mapping file has"),
}


@pytest.mark.parametrize("kind", list(HOSTILE_YAML))
@pytest.mark.parametrize("command", ["chronology merge", "import-csv", "import-annex-a"])
def test_every_command_refuses_a_hostile_mapping_file(tmp_path, capsys, kind, command):
    data, expected = HOSTILE_YAML[kind]
    mapping = tmp_path / f"{kind}.yml"
    mapping.write_bytes(data)
    good = tmp_path / "police.csv"
    good.write_text("date,summary\n2024-01-01,seen\n")
    out = tmp_path / "out"
    out.mkdir()
    args = {
        "chronology merge": ["chronology", "merge", f"{good}=police", "--case", "C1",
                             "--out", str(out / "m.csv")],
        "import-csv": ["import-csv", f"{good}=events", "--out", str(out / "b")],
        "import-annex-a": ["import-annex-a", str(good), "--out", str(out / "b")],
    }[command] + ["--map", str(mapping)]  # fmt: skip
    code, output = run(args, capsys)
    assert code == 2 and "Traceback" not in output, output
    assert f"{kind}.yml" in output and expected in output, output
    assert list(out.iterdir()) == []


def test_a_good_mapping_file_still_reads(tmp_path):
    path = tmp_path / "map.yml"
    path.write_text(
        "\ufeffcolumns:\n  When: date\n  2024: summary\nvalues:\n  significance:\n    Red: high\n"
        "    empty:\n"
    )
    data = read_mapping_file(path, ("columns", "values"), "map.yml", nested=("values",))
    assert data == {
        "columns": {"When": "date", 2024: "summary"},
        "values": {"significance": {"Red": "high", "empty": None}},
    }
    empty = tmp_path / "empty.yml"
    empty.write_text("# nothing mapped yet\ncolumns:\n")
    assert read_mapping_file(empty, ("columns",), "empty.yml") == {"columns": None}


# --- casebook stores ----------------------------------------------------------------------------


def settle(path: Path) -> None:
    """Checkpoint a store and close it, so that its -wal and -shm files are gone."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    assert not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def store_file(tmp_path, tiny_path) -> Path:
    path = tmp_path / "team.sqlite"
    with casekit.open(path) as s:
        s.import_casebook(casekit.load(tiny_path))
    return path


def _page_of(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        query = "SELECT rootpage FROM sqlite_master WHERE name = ?"
        return conn.execute(query, (table,)).fetchone()[0]


def test_a_zero_byte_store_is_not_a_store_and_validate_leaves_it_empty(tmp_path, capsys):
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    code, output = run(["validate", str(empty)], capsys)
    assert code == 2 and "Traceback" not in output
    assert "empty.sqlite: is not a casebook store (it is empty)" in output
    assert empty.stat().st_size == 0
    with pytest.raises(CasekitError, match="not a casebook store"):
        casekit.load(empty)
    assert empty.stat().st_size == 0


def test_another_programs_database_is_never_written_into(tmp_path, capsys):
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE accounts (id INTEGER)")
    before = digest(other)
    for opener in (lambda: casekit.open(other), lambda: casekit.load(other)):
        with pytest.raises(CasekitError, match="is not a casebook store \\(it holds other"):
            opener()
    code, _ = run(["import", str(ROOT / "data" / "synthetic"), "--into", str(other)], capsys)
    assert code == 2 and digest(other) == before


@pytest.mark.parametrize("damage", ["middle", "truncated", "junk"])
def test_a_damaged_store_gets_a_restore_from_backup_message(store_file, tmp_path, capsys, damage):
    data = bytearray(store_file.read_bytes())
    if damage == "middle":  # a page of the events table, in the middle of the file
        page = _page_of(store_file, "events")
        data[(page - 1) * 4096 : page * 4096] = b"\xff" * 4096
    elif damage == "truncated":
        data = data[: len(data) // 2]
    else:
        data = bytearray(os.urandom(len(data)))
    store_file.write_bytes(bytes(data))
    before = digest(store_file)
    export = ["export", str(store_file), "--out", str(tmp_path / "o")]
    for args in (["validate", str(store_file)], export):
        code, output = run(args, capsys)
        assert code == 2, output
        assert "Traceback" not in output
        assert "team.sqlite: cannot be opened as a casebook store" in output
        assert "restore it from your latest backup" in output
    assert digest(store_file) == before and not (tmp_path / "o").exists()


def test_validate_and_load_never_write_to_a_store(store_file, capsys):
    settle(store_file)
    before = digest(store_file)
    code, output = run(["validate", str(store_file)], capsys)
    assert code == 0, output
    casekit.load(store_file)
    assert digest(store_file) == before


def test_a_store_opened_read_only_reads_and_refuses_every_write(store_file):
    before = digest(store_file)
    with casekit.open(store_file, readonly=True) as store:
        assert store.readonly and len(store.casebook().cases) == 2
        for write in (
            lambda: store.add_team(team_id="T9", team_name="South"),
            lambda: store.update("teams", "T1", team_name="Renamed"),
            lambda: store.save_draft("k", {"a": 1}),
        ):
            with pytest.raises(CasekitError, match="the store is read-only here"):
                write()
    assert digest(store_file) == before


def test_a_missing_store_is_not_created_read_only(tmp_path):
    with pytest.raises(CasekitError, match="no such casebook store"):
        casekit.open(tmp_path / "new.sqlite", readonly=True)
    assert not (tmp_path / "new.sqlite").exists()


def test_a_store_that_cannot_be_written_opens_read_only(store_file, monkeypatch):
    real = os.access

    def no_writes(path, mode, *args, **kwargs):
        return False if mode & os.W_OK else real(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", no_writes)  # as on a read-only mount, even for root
    settle(store_file)
    before = digest(store_file)
    with casekit.open(store_file) as store:
        assert store.readonly
        assert len(store.casebook().events) == 3  # immutable=1: no -wal or -shm is needed
        with pytest.raises(CasekitError, match="read-only"):
            store.add_team(team_id="T9", team_name="South")
    assert digest(store_file) == before
    assert sorted(p.name for p in store_file.parent.glob("team.sqlite*")) == ["team.sqlite"]


def test_a_store_in_a_read_only_folder_can_be_read(store_file, tmp_path):
    settle(store_file)
    folder = tmp_path / "mount"
    folder.mkdir()
    path = Path(shutil.move(store_file, folder / "team.sqlite"))
    path.chmod(0o400)
    folder.chmod(0o500)
    try:
        store = casekit.open(path)
        assert len(store.casebook().cases) == 2
        if os.geteuid() != 0:  # root may write anyway; the test above covers detection for root
            assert store.readonly and sorted(os.listdir(folder)) == ["team.sqlite"]
        store.close()
    finally:
        folder.chmod(0o700)
        path.chmod(0o600)


def _fill_the_disk(store) -> None:
    """Make every new connection's database full at its current size (SQLITE_FULL)."""

    @sa.event.listens_for(store.engine, "connect")
    def _full(dbapi_conn, _record):
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    store.engine.dispose()


def test_a_full_disk_is_a_clear_error_that_writes_nothing(tiny_store):
    from test_store import snapshot

    before = snapshot(tiny_store)
    _fill_the_disk(tiny_store)
    secret = "Secret words " * 2000
    with pytest.raises(CasekitError) as raised:
        tiny_store.add_event(
            case_id="007", date="2024-03-01", source_agency="education", kind="visit",
            category="protective", level="family", significance="medium", summary=secret,
        )  # fmt: skip
    message = str(raised.value)
    assert "the disk is full" in message and "nothing was written" in message
    assert "Secret" not in message  # the record's fields never reach the message or stderr
    assert snapshot(tiny_store) == before


def test_add_entry_on_a_full_disk_says_so_beside_the_form_and_keeps_the_text(tiny_store):
    from test_widget_chronology import GOOD, fill

    from casekit.widgets import ChronologyBuilder

    builder = ChronologyBuilder(tiny_store, "007", user="sw-1")
    rows = len(builder.rows)
    # a summary longer than a page, so that the entry cannot fit in a page's free space
    summary = GOOD["summary"] + " The visit went on for some time." * 150
    fill(builder, **dict(GOOD, summary=summary))
    _fill_the_disk(tiny_store)
    builder.add_button.click()
    assert "Not saved" in builder.message.value and "disk is full" in builder.message.value
    assert "ck-error" in builder.message.value
    assert builder.fields["summary"].value == summary  # nothing typed is lost
    assert builder.fields["category"].value == GOOD["category"]
    assert len(builder.rows) == rows
