"""Messages stay one clear, honest screenful whatever names and values a hostile file holds.

A part or folder name can hold a newline or a terminal escape code that would forge a line of
casekit's output or clear the screen; a value can be megabytes long; a folder name can hold
characters DuckDB reads as a file pattern. Each is shown escaped, cut, or named precisely.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from casekit.bundle.dataset import check_dataset
from casekit.cli import main
from casekit.errors import CasekitError, Problem, clipped, load_json, printable, shown
from casekit.synth.national import Settings, write_dataset


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hostile") / "national"
    write_dataset(Settings(seed=5, n_cases=20, part_cases=10), out)
    return out


def _copy(written: Path, to: Path) -> Path:
    shutil.copytree(written, to)
    (to / "dataset.json").unlink()  # the damage below changes what the folder holds
    (to / ".casekit-manifest.json").unlink(missing_ok=True)
    return to


def test_a_long_value_is_cut_with_its_length_said():
    value = "A" * 10_000_000
    line = str(Problem("events/part-00000.parquet", 3, "kind", value, "expected a kind"))
    assert len(line) < 400 and "(10,000,000 characters)" in line
    assert line.startswith("events/part-00000.parquet, row 3, column 'kind': 'AAAA")
    assert clipped("visit") == "'visit'"  # short values are quoted whole, as before
    assert shown("A" * 500).endswith("(500 characters)")
    assert shown("postgresql://u:secret@h/db") == "<not shown: it may hold a password>"


def test_control_characters_in_a_name_are_escaped():
    forged = "part-1\ncases.parquet, column 'x': fine\x1b[2J.parquet"
    line = str(Problem(forged, None, None, None, "is not a Parquet part"))
    assert "\n" not in line and "\x1b" not in line
    assert "\\n" in line and "\\x1b" in line
    assert printable("bundles/national") == "bundles/national"  # plain names stay as they are


def test_deep_nesting_is_invalid_json_not_a_crash():
    with pytest.raises(ValueError, match="nested too deeply"):
        load_json("[" * 100_000 + "]" * 100_000)
    assert load_json('{"a": [1, 2]}') == {"a": [1, 2]}


def test_a_part_named_to_forge_output_is_shown_escaped(written, tmp_path, capsys):
    data = _copy(written, tmp_path / "national")
    part = data / "events" / "part-00000.parquet"
    table = pq.read_table(part)
    kinds = table["kind"].to_pylist()
    kinds[0] = "not a kind"  # a problem, so the summary names the part too
    table = table.set_column(table.schema.get_field_index("kind"), "kind", pa.array(kinds))
    pq.write_table(table, part)
    part.rename(data / "events" / "part-9\nevents.parquet: no problems\x1bc.parquet")
    code = main(["validate", str(data)])
    out, err = capsys.readouterr()
    text = err + out
    assert "\x1b" not in text and "\nevents.parquet: no problems" not in text
    assert text.count("part-9\\nevents.parquet") >= 2, text  # the problem and the summary
    assert code == 2


def test_a_damaged_part_named_to_forge_output_is_shown_escaped(written, tmp_path, capsys):
    data = _copy(written, tmp_path / "national")
    (data / "events" / "part-00000.parquet").unlink()
    (data / "events" / "part-0\nnational: valid.parquet").write_text("not Parquet")
    assert main(["validate", str(data)]) == 2
    err = capsys.readouterr().err
    assert "\nnational: valid" not in err and "part-0\\nnational: valid.parquet" in err, err


def test_a_folder_with_pattern_characters_is_named(written, tmp_path, capsys):
    data = _copy(written, tmp_path / "extract [2024-25]" / "national")
    with pytest.raises(CasekitError) as raised:
        check_dataset(data)
    message = str(raised.value)
    assert message.startswith(str(tmp_path / "extract [2024-25]") + ":"), message
    assert "this folder's name" in message and "Rename the folder" in message
    assert main(["flags", "--data", str(data)]) == 2
    assert "extract [2024-25]: this folder's name" in capsys.readouterr().err


def test_a_part_with_pattern_characters_is_named(written, tmp_path):
    data = _copy(written, tmp_path / "national")
    part = data / "events" / "part-00000.parquet"
    part.rename(data / "events" / "part-[0].parquet")
    with pytest.raises(CasekitError, match=r"part-\[0\]\.parquet: this part's name") as raised:
        check_dataset(data)
    assert "Rename the part" in str(raised.value) and "extract" not in str(raised.value)


def test_a_huge_value_in_a_part_gives_a_short_report(written, tmp_path, capsys):
    data = _copy(written, tmp_path / "national")
    part = data / "events" / "part-00000.parquet"
    table = pq.read_table(part)
    kinds = table["kind"].to_pylist()
    kinds[0] = "Z" * 5_000_000
    table = table.set_column(table.schema.get_field_index("kind"), "kind", pa.array(kinds))
    pq.write_table(table, part)
    assert main(["validate", str(data)]) == 2
    err, out = capsys.readouterr()
    assert "(5,000,000 characters)" in err + out
    assert len(err + out) < 20_000


def test_an_escape_code_in_a_folder_name_never_reaches_the_terminal(tmp_path, capsys):
    folder = tmp_path / "evil\nname $(id)\x1b[2J"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a bundle")
    assert main(["flags", "--data", str(folder)]) == 2
    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[2J" in err, err
