"""A dataset's ``dataset.json`` is checked against the folder before anything trusts it.

casekit writes ``dataset.json`` last, with the layout's name and each table's parts and rows
(casekit/bundle/partitioned.py). A missing, damaged, oversized, foreign, newer or lying one
stops ``casekit validate``, ``casekit.load`` and the engines with one located message (the
file, what is wrong, how to fix it): never a traceback, and nothing in it is used as a path.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import casekit
from casekit.bundle.dataset import check_dataset
from casekit.bundle.partitioned import LAYOUT, MARKER, check_marker
from casekit.cli import main
from casekit.errors import CasekitError
from casekit.outputs import MANIFEST
from casekit.synth.national import Settings, write_dataset


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("marker") / "national"
    write_dataset(Settings(seed=4, n_cases=30, part_cases=10), out)
    return out


@pytest.fixture
def dataset(tmp_path, written) -> Path:
    """A fresh copy of a dataset casekit wrote (three parts), to damage."""
    import shutil

    copy = tmp_path / "national"
    shutil.copytree(written, copy)
    os.chmod(copy / MARKER, 0o600)
    return copy


def _body(folder: Path) -> dict:
    return json.loads((folder / MARKER).read_text())


def _refused(folder: Path, *words: str) -> str:
    """Check every way in refuses the dataset with one located message; give the message."""
    with pytest.raises(CasekitError) as raised:
        check_dataset(folder)
    message = str(raised.value)
    assert str(folder / MARKER) in message, message
    for word in words:
        assert word in message, message
    with pytest.raises(CasekitError, match=MARKER):
        casekit.load(folder)
    return message


def test_a_dataset_casekit_wrote_is_described_truly(written):
    body = _body(written)
    assert body["layout"] == LAYOUT and body["written_by"] == "casekit"
    assert check_dataset(written).valid
    assert check_marker(written, _found(written))["seed"] == 4


def _found(folder: Path) -> dict[str, tuple[int, int]]:
    import pyarrow.parquet as pq

    found = {}
    for table in _body(folder)["tables"]:
        parts = sorted((folder / table).glob("part-*.parquet"))
        found[table] = (len(parts), sum(pq.read_metadata(p).num_rows for p in parts))
    return found


def test_extra_settings_in_it_are_kept_and_never_used(dataset):
    body = _body(dataset)
    body["path"] = "../../../etc"  # not a key casekit reads: no value in it is a path
    body["note"] = "made for the study"
    (dataset / MARKER).write_text(json.dumps(body))
    assert check_dataset(dataset).valid


def test_a_dataset_from_another_tool_needs_none(dataset):
    (dataset / MARKER).unlink()
    (dataset / MANIFEST).unlink()
    assert check_dataset(dataset).valid


def test_missing_when_casekit_wrote_the_dataset(dataset, capsys):
    (dataset / MARKER).unlink()
    message = _refused(dataset, "is missing", "Write the dataset again")
    assert "Traceback" not in message
    assert main(["validate", str(dataset)]) == 2
    err = capsys.readouterr().err
    assert "is missing" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        ("{not json", ["is not valid JSON", "Write the dataset again"]),
        (b"\xff\xfe{}", ["is not valid JSON"]),
        ("[]", ["is not a JSON object"]),
        ("", ["is not valid JSON"]),
        ('{"tables": {}}', ["does not name its layout", LAYOUT]),
        ('{"layout": "casekit-dataset/2"}', ["casekit-dataset/2", "newer casekit", LAYOUT]),
        ('{"layout": "spark"}', ["is not the description of a casekit dataset"]),
        ('{"layout": 7}', ["does not name its layout"]),
        ("[" * 100_000 + "]" * 100_000, ["is not valid JSON", "nested too deeply"]),  # 200 KB
    ],
)
def test_damaged_or_foreign(dataset, damage, words):
    path = dataset / MARKER
    path.write_bytes(damage if isinstance(damage, bytes) else damage.encode())
    _refused(dataset, *words)


def test_oversized_is_not_read(dataset):
    body = _body(dataset)
    body["padding"] = "x" * 2_000_000
    (dataset / MARKER).write_text(json.dumps(body))
    _refused(dataset, "more than", "is not one casekit wrote")


@pytest.mark.parametrize("kind", ["symlink", "folder"])
def test_not_a_file_of_the_folder(dataset, tmp_path, kind):
    path = dataset / MARKER
    if kind == "symlink":  # a valid description elsewhere: not followed
        elsewhere = tmp_path / "elsewhere.json"
        elsewhere.write_text(path.read_text())
        path.unlink()
        path.symlink_to(elsewhere)
        _refused(dataset, "symbolic link")
    else:
        path.unlink()
        path.mkdir()
        _refused(dataset, "not a file")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda b: b.pop("tables"), ["does not list the tables"]),
        (lambda b: b.update(tables=[1, 2]), ["does not list the tables"]),
        (lambda b: b["tables"].pop("events"), ["does not list events"]),
        (
            lambda b: b["tables"].update({"../../etc/passwd": {"parts": 1, "rows": 1}}),
            ["not a contract table"],
        ),
        (lambda b: b["tables"].update(events={"parts": -1, "rows": 5}), ["events", "whole number"]),
        (
            lambda b: b["tables"].update(events={"parts": True, "rows": 5}),
            ["events", "whole number"],
        ),
        (lambda b: b["tables"].update(events={"parts": 3}), ["events", "whole number"]),
        (lambda b: b["tables"].update(events="all of them"), ["events", "whole number"]),
        (lambda b: b["tables"]["events"].update(parts=4), ["events", "4 parts", "3 parts"]),
        (lambda b: b["tables"]["cases"].update(rows=31), ["cases", "31 rows", "30 rows"]),
    ],
)
def test_lying_or_incomplete_listings(dataset, change, words):
    body = _body(dataset)
    change(body)
    (dataset / MARKER).write_text(json.dumps(body))
    message = _refused(dataset, *words)
    assert "/etc/passwd" not in message.replace("'../../etc/passwd'", "")


def test_a_part_lost_after_writing_is_found(dataset):
    (dataset / "events" / "part-00002.parquet").unlink()
    _refused(dataset, "events", "3 parts", "2 parts", "incomplete or was changed")


def test_a_table_folder_lost_after_writing_is_found(dataset):
    import shutil

    shutil.rmtree(dataset / "supervisions")
    _refused(dataset, "supervisions", "no parts")
