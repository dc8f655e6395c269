"""casekit pseudonymise: keyed, stable pseudonyms; nothing identifying survives; retention."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import write_csv_bundle

import casekit
from casekit.cli import main
from casekit.errors import CasekitError
from casekit.pseudonymise import pseudonym, pseudonymise_tables, read_key

ORIGINAL_IDS = ("007", "008", "K1", "K2", "W1")
NAMES = ("Amira", "Khan", "Bob", "Smith", "Dustin", "Hazlett")


@pytest.fixture
def identifying(tmp_path, tiny) -> Path:
    """The tiny bundle with what real extracts carry: names, full birth dates, postcodes."""
    tiny["cases"][0].update(child_name="Amira Khan", date_of_birth="04/03/2010",
                            postcode="SW1A 1AA")  # fmt: skip
    tiny["cases"][1].update(child_name="Dustin\xa0Hazlett", date_of_birth="2012-11-20",
                            postcode="m1 2ab")  # fmt: skip
    tiny["events"][0]["summary"] = (
        "Amira said she met KHAN's cousin near SW1A 1AA; see also case 007 and child K1."
    )
    tiny["decisions"][0]["rationale"] = "Bob Smith (police) advised; W1 agreed."
    tiny["events"][2]["recorded_by"] = "Dustin Hazlett"
    return write_csv_bundle(tmp_path / "identifying", tiny)


def run(bundle: Path, out: Path, key: Path, *more: str) -> int:
    return main(["pseudonymise", str(bundle), "--out", str(out), "--key-file", str(key), *more])


def test_nothing_identifying_survives_anywhere(identifying, tmp_path, capsys):
    names = tmp_path / "names.txt"
    names.write_text("Bob Smith\n\n")
    out, key = tmp_path / "safe", tmp_path / "secret" / "key"
    key.parent.mkdir()
    assert run(identifying, out, key, "--new-key", "--names", str(names),
               "--names-column", "cases.child_name") == 0  # fmt: skip
    assert "keep it safe" in capsys.readouterr().out
    files = [*out.iterdir(), tmp_path / "safe-pseudonymisation.md"]
    text = "\n".join(f.read_text(encoding="utf-8") for f in files)
    for original in ORIGINAL_IDS:
        assert not re.search(rf"(?<![\w-]){original}(?![\w-])", text), original
    for name in NAMES:
        assert name.lower() not in text.lower(), name
    assert key.read_text().strip() not in text  # the key is never written out
    for raw in ("SW1A 1AA", "M1 2AB", "04/03/2010", "2010-03-04", "2012-11-20"):
        assert raw.lower() not in text.lower(), raw
    cb = casekit.load(out)  # a valid bundle, the same size
    assert len(cb.cases) == 2 and len(cb.events) == 3
    assert "child_name" not in cb.cases.columns
    assert sorted(cb.cases["date_of_birth"]) == ["2010-03", "2012-11"]
    assert sorted(cb.cases["postcode"]) == ["M1 2", "SW1A 1"]
    summary = cb.events.loc[cb.events["event_id"] == "E1", "summary"].item()
    case = cb.cases["case_id"].iloc[0]
    assert summary == (
        f"[name] said she met [name]'s cousin near SW1A 1; see also case {case} and child "
        f"{cb.cases['child_id'].iloc[0]}."
    )
    report = (tmp_path / "safe-pseudonymisation.md").read_text()
    assert "| case_id replaced by a pseudonym | 10 |" in report  # 2 cases + 8 references
    assert "| names redacted from free text | 3 |" in report  # Amira, KHAN, Bob Smith


def test_pseudonyms_are_stable_for_a_key_and_differ_between_keys(tiny_path):
    tables = casekit.load(tiny_path).canonical()
    one, _ = pseudonymise_tables(tables, b"k" * 32, retention_years=0)
    again, _ = pseudonymise_tables(tables, b"k" * 32, retention_years=0)
    other, _ = pseudonymise_tables(tables, b"x" * 32, retention_years=0)
    assert one["cases"].equals(again["cases"]) and one["events"].equals(again["events"])
    assert not set(one["cases"]["case_id"]) & set(other["cases"]["case_id"])
    assert one["cases"]["case_id"].tolist() == [pseudonym(b"k" * 32, "case", c)
                                                 for c in ("007", "008")]  # fmt: skip
    # references stay joined: every event still belongs to its (pseudonymised) case
    assert set(one["events"]["case_id"]) <= set(one["cases"]["case_id"])


def test_retention_drops_old_closed_cases_with_all_their_records(tiny_path):
    import datetime as dt

    tables = casekit.load(tiny_path).canonical()
    kept, report = pseudonymise_tables(tables, b"k" * 32, as_of=dt.date(2030, 7, 1))
    assert dict(report.dropped) == {  # case 007 closed 2024-06-01, over 6 years before
        "cases": 1, "events": 2, "judgements": 1, "decisions": 1, "plan_actions": 1,
        "info_sharing": 1, "supervisions": 1,
    }  # fmt: skip
    assert len(kept["cases"]) == 1 and len(kept["events"]) == 1  # case 008 is open
    _, report = pseudonymise_tables(tables, b"k" * 32, as_of=dt.date(2030, 5, 1))
    assert not report.dropped  # closed 5 years 11 months before: kept
    assert "Nothing." in report.to_markdown()


def test_keys_are_handled_with_care(identifying, tmp_path, capsys):
    out, key = tmp_path / "safe", tmp_path / "key"
    assert run(identifying, out, key) == 2
    assert "no such key file. Make one with --new-key" in capsys.readouterr().err
    assert run(identifying, out, key, "--new-key") == 0
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert run(identifying, tmp_path / "again", key, "--new-key") == 2  # never overwritten
    assert "already exists" in capsys.readouterr().err
    bad = tmp_path / "bad-key"
    bad.write_text("password123")
    with pytest.raises(CasekitError, match="not a casekit key"):
        read_key(bad)
    assert run(identifying, tmp_path / "x", tmp_path / "x" / "key", "--new-key") == 2
    assert "keep the key apart from the data" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_bad_requests_write_nothing(identifying, tmp_path, capsys):
    key = tmp_path / "key"
    assert run(identifying, tmp_path / "a", key, "--new-key", "--names-column", "cases.nope") == 2
    assert "no such column; write it as TABLE.COLUMN" in capsys.readouterr().err
    assert run(identifying, tmp_path / "b", key, "--names", str(tmp_path / "none.txt")) == 2
    assert "no such file" in capsys.readouterr().err
    assert run(identifying, identifying, key) == 2
    assert run(tmp_path / "missing", tmp_path / "c", key) == 2
    assert not any((tmp_path / d).exists() for d in ("a", "b", "c"))
