"""End to end, as real data would travel: synth -> pseudonymise -> review --suppress -> check.

A synthetic bundle is given what real extracts carry (names, full dates of birth, postcodes,
and identifiers written into free text in the ways people write them), then taken through the
whole chain that makes outputs leave a team. Two independent checks close it: an attacker (an
integer programme that imports nothing of casekit's) recovers no hidden cell from everything
a team's review publishes, and no byte of any output (workbooks and Word files unzipped) holds
any original identifier, in any spelling.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import zipfile
from pathlib import Path

import pytest
from attacker import read_review, recovered

from casekit.cli import main
from casekit.privacy.check import check_path

KEY = "5f0c8e7a1b9d2e4f6a3c8b7d9e1f0a2b4c6d8e0f1a3b5c7d9e2f4a6b8c0d1e3f"  # a fixed strong key

# What a practitioner might type into a chronology, with where each kind must not survive.
PHONE, EMAIL, NHS, UPN = "07700 900123", "amira.k@example.com", "943 476 5919", "a123456789012"
POSTCODE, DOB = "sw1a 1aa", "03/04/2010"


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _spellings(identifier: str) -> re.Pattern[str]:
    """Match an ID however it is written: any case, spaces, hyphens or underscores inside."""
    letters, digits = re.match(r"([A-Za-z]*)(\d+)", identifier).groups()
    return re.compile(
        rf"(?<![a-z0-9]){re.escape(letters)}[\s_-]{{0,3}}{digits}(?![0-9a-z])", re.IGNORECASE
    )


def _identifying_bundle(folder: Path) -> tuple[dict[str, list[str]], str]:
    """Give a synthetic bundle real-looking identifiers; return the originals to hunt for.

    Also return an as-of date from which a 4-year retention drops the 10 earliest closures.
    """
    header, cases = _rows(folder / "cases.csv")
    for i, case in enumerate(cases):
        month = case["child_birth_month"]
        case["child_name"] = f"Amira{i} Khan{i}"
        case["date_of_birth"] = f"{month}-15" if i % 2 else f"15/{month[5:]}/{month[:4]}"
        case["postcode"] = "SW1A 1AA" if i % 3 else "m1 2ab"
    _write(folder / "cases.csv", [*header, "child_name", "date_of_birth", "postcode"], cases)

    closed = sorted((c["closed"], c["case_id"]) for c in cases if c["closed"])
    cutoff = dt.date.fromisoformat(closed[9][0]) + dt.timedelta(days=1)  # the first 10 go
    closed_early = closed[0][1]
    ev_header, events = _rows(folder / "events.csv")
    others = cases[:6]
    for n, event in enumerate(events[::30]):
        other = others[n % len(others)]
        event["summary"] += (
            f" Spoke to {other['child_name']} (see {other['case_id'].lower()}, "
            f"{other['case_id'][0]} {other['case_id'][1:]}, child {other['child_id']}); "
            f"worker {event['recorded_by'].lower()} informed. Mum on {PHONE} or {EMAIL}; "
            f"NHS {NHS} ({NHS.replace(' ', '')}), UPN {UPN}, lives near {POSTCODE}, DOB {DOB}. "
            f"Sibling's old case {closed_early} was closed."
        )
    _write(folder / "events.csv", ev_header, events)

    _, workers = _rows(folder / "workers.csv")
    ids = [c["case_id"] for c in cases] + [c["child_id"] for c in cases]
    ids += [w["worker_id"] for w in workers]
    # a birth date that is also some event's date in the data proves nothing: leave it out
    dated = " ".join(p.read_text() for p in folder.glob("*.csv") if p.name != "cases.csv")
    births = [c["date_of_birth"] for c in cases if c["date_of_birth"] not in dated]
    return {
        "ids": ids,
        "names": [c["child_name"] for c in cases],
        "raw": [
            PHONE,
            EMAIL,
            NHS,
            NHS.replace(" ", ""),
            UPN,
            POSTCODE,
            DOB,
            "SW1A 1AA",
            "M1 2AB",
            *births,
        ],  # fmt: skip
    }, cutoff.replace(year=cutoff.year + 4).isoformat()


def _every_text(root: Path) -> dict[Path, str]:
    """Read every file under ``root`` as text, unzipping workbooks and Word files."""
    texts = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                data = b"\n".join(z.read(name) for name in z.namelist())
        texts[path] = data.decode("utf-8", errors="replace")
    return texts


@pytest.mark.slow
def test_synth_pseudonymise_suppressed_review_leaves_nothing_to_recover(tmp_path, capsys):
    raw, safe, reports = tmp_path / "raw", tmp_path / "safe", tmp_path / "reports"
    assert main(["synth", "--out", str(raw), "--seed", "5", "--cases", "160", "--teams", "2"]) == 0
    originals, as_of = _identifying_bundle(raw)
    key = tmp_path / "keys" / "casekit.key"
    key.parent.mkdir(mode=0o700)
    key.write_text(KEY + "\n")
    key.chmod(0o600)

    assert main(["pseudonymise", str(raw), "--out", str(safe), "--key-file", str(key),
                 "--names-column", "cases.child_name", "--retention-years", "4",
                 "--as-of", as_of]) == 0  # fmt: skip
    assert main(["review", "--data", str(safe), "--out", str(reports), "--team", "all",
                 "--suppress"]) == 0  # fmt: skip
    capsys.readouterr()

    # disclosure-check passes what is about to leave (pages, CSVs, workbooks)
    leaving = [reports / "index.html", *reports.glob("T*.html"), *reports.glob("T*/tables")]
    for path in leaving:
        findings, files = check_path(path)
        assert files >= 1 and findings == [], (path, findings[:3])

    # an independent attacker recovers nothing from all of a team's tables together
    teams = sorted(p for p in reports.iterdir() if p.is_dir())
    assert [t.name for t in teams] == ["T01", "T02"]
    for team in teams:
        cells, sums = read_review(team / "tables")
        assert sum(v is None for v in cells.values()) > 20, team.name  # something was hidden
        assert recovered(cells, sums) == [], team.name

    # no byte of any output holds an original identifier, in any spelling
    texts = _every_text(safe) | _every_text(reports)
    texts |= {p: p.read_text() for p in tmp_path.glob("*pseudonymisation.md")}
    assert len(texts) > 30
    patterns = [_spellings(i) for i in originals["ids"]]
    patterns += [re.compile(re.escape(s), re.IGNORECASE) for s in originals["names"]]
    patterns += [re.compile(re.escape(s), re.IGNORECASE) for s in originals["raw"]]
    raw_text = "\n".join(_every_text(raw).values())
    assert [p.pattern for p in patterns if not p.search(raw_text)] == []  # the hunt is not blind
    leaks = [
        (path.relative_to(tmp_path), p.pattern)
        for path, text in texts.items()
        for p in patterns
        if p.search(text)
    ]
    assert leaks == []
    # and the free text still says what happened, with the identifiers masked
    summaries = " ".join(r["summary"] for r in _rows(safe / "events.csv")[1])
    for mask in ("[phone]", "[email]", "[NHS number]", "[UPN]", "[date of birth]", "[removed]"):
        assert mask in summaries, mask
