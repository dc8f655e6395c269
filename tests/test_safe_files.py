"""Files and paths: private modes whatever the umask, no write through a symlink, no ID from the
data used as a path unchecked, and output folders that casekit claims only when it may."""

from __future__ import annotations

import copy
import errno
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, SYNTHETIC, TINY, write_csv_bundle
from hypothesis import given, settings
from hypothesis import strategies as st

import casekit
from casekit import outputs
from casekit.bundle.io import write_bundle, write_file_atomically
from casekit.cli import main
from casekit.errors import CasekitError
from casekit.outputs import MANIFEST, check_names, claim_folder, safe_name, write_private

BAD_IDS = [
    "../../victim",
    "/abs/path",
    "a{}b",
    "javascript:alert(1)",
    "..",
    ".hidden",
    "a\\b",
    "a\x00b",
    "a\nb",
    "tab\there",
    "CON",
    "nul.txt",
    "com1",
    "",
    "ends.",
    "x" * 101,
    "<b>",
    "a b",
]


def mode(path: Path) -> int:
    """The permission bits of a path (not following a symlink)."""
    return stat.S_IMODE(os.lstat(path).st_mode)


# --- safe names ---------------------------------------------------------------------------------


@pytest.mark.parametrize("good", ["T01", "team-north", "T_1.2024", "Équipe7", "x" * 100])
def test_safe_names_pass_unchanged(good):
    assert safe_name(good, "team ID") == good


@pytest.mark.parametrize("bad", BAD_IDS)
def test_unsafe_names_are_refused_with_the_id_and_the_rule(bad):
    with pytest.raises(CasekitError) as info:
        safe_name(bad, "team ID")
    message = str(info.value)
    assert repr(bad) in message
    assert "letters, digits" in message


def test_check_names_lists_every_bad_id_at_once_and_case_clashes():
    with pytest.raises(CasekitError) as info:
        check_names(["T1", "../x", "a{}b", "T2"], "team ID", "teams.csv")
    message = str(info.value)
    assert "teams.csv: 2 team ID(s)" in message and "'../x'" in message and "'a{}b'" in message
    assert "'T1'" not in message
    with pytest.raises(CasekitError, match="differ only in upper and lower case"):
        check_names(["North", "north"], "team ID", "teams.csv")
    check_names(["T1", "T2"], "team ID", "teams.csv")  # no error


# --- one file: private, atomic, never through a symlink ------------------------------------------


@pytest.fixture
def umask0():
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_a_file_is_private_under_umask_0_for_bytes_and_for_writers(tmp_path, umask0):
    seen = {}

    def writer(tmp: Path) -> None:
        seen["folder_mode"] = mode(tmp.parent)
        seen["name"] = tmp.name
        pd.DataFrame({"a": [1]}).to_csv(tmp, index=False)  # opens the path by name

    write_private(tmp_path / "a.bin", b"data")
    write_file_atomically(tmp_path / "b.csv", writer)  # the old name still works
    assert mode(tmp_path / "a.bin") == 0o600 and (tmp_path / "a.bin").read_bytes() == b"data"
    assert mode(tmp_path / "b.csv") == 0o600 and (tmp_path / "b.csv").read_text() == "a\n1\n"
    assert seen == {"folder_mode": 0o700, "name": "b.csv"}  # a private scratch folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin", "b.csv"]  # nothing left


def test_a_symlink_at_the_final_name_is_replaced_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / "T01.html").symlink_to(victim)
    write_private(out / "T01.html", b"<p>review</p>")
    assert victim.read_text() == "precious"
    assert not (out / "T01.html").is_symlink()
    assert (out / "T01.html").read_bytes() == b"<p>review</p>"


@pytest.mark.parametrize("kind", ["bytes", "writer"])
def test_symlinks_planted_at_old_and_guessed_temporary_names_are_not_followed(tmp_path, kind):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    planted = [
        out / ".T01.html.partial",  # the old predictable temporary name
        out / ".T01.html.tmp",
        out / "T01.html.partial",
    ]
    for link in planted:
        link.symlink_to(victim)
    content = b"<p>review</p>"
    write = content if kind == "bytes" else (lambda tmp: tmp.write_bytes(content))
    write_private(out / "T01.html", write)
    assert victim.read_text() == "precious"
    assert (out / "T01.html").read_bytes() == content
    assert all(link.is_symlink() for link in planted)  # not casekit's: left alone


def test_a_folder_is_never_replaced_by_a_file(tmp_path):
    (tmp_path / "x.csv").mkdir()
    (tmp_path / "x.csv" / "mine.txt").write_text("mine")
    with pytest.raises(CasekitError, match="is a folder"):
        write_private(tmp_path / "x.csv", b"a")
    assert (tmp_path / "x.csv" / "mine.txt").read_text() == "mine"


def test_a_full_disk_leaves_nothing_and_says_so_without_data(tmp_path):
    (tmp_path / "old.csv").write_text("old")

    def fills_the_disk(tmp: Path) -> None:
        tmp.write_text("half a secret record")
        raise OSError(errno.ENOSPC, "No space left on device")

    for target in ("old.csv", "new.csv"):
        with pytest.raises(CasekitError) as info:
            write_private(tmp_path / target, fills_the_disk)
        assert "disk (or your quota) is full" in str(info.value)
        assert "secret" not in str(info.value)
    assert (tmp_path / "old.csv").read_text() == "old"  # the earlier file is kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.csv"]  # no partial file


# --- disk full through the command line ----------------------------------------------------------


def fill_disk_in_to_csv(monkeypatch):
    """Make every DataFrame.to_csv write part of its file, then fail as a full disk does."""
    original = pd.DataFrame.to_csv

    def to_csv(self, path_or_buf=None, *args, **kwargs):
        if path_or_buf is None or not isinstance(path_or_buf, str | Path):
            return original(self, path_or_buf, *args, **kwargs)
        Path(path_or_buf).write_text(original(self, None, *args, **kwargs)[:200])
        raise OSError(errno.ENOSPC, "No space left on device", str(path_or_buf))

    monkeypatch.setattr(pd.DataFrame, "to_csv", to_csv)


def test_disk_full_in_every_kind_of_write_is_one_line_exit_2_and_nothing_kept(
    tmp_path, monkeypatch, capsys
):
    events = pd.read_csv(SYNTHETIC / "events.csv", dtype=str)
    secret = events["summary"].iloc[0][:30]
    fill_disk_in_to_csv(monkeypatch)
    runs = {
        "synth": ["synth", "--out", str(tmp_path / "bundle"), "--cases", "20"],
        "flags": ["flags", "--data", str(SYNTHETIC), "--out", str(tmp_path / "flags.csv")],
        "chronology": [
            "chronology", "export", "--data", str(SYNTHETIC), "--case",
            events["case_id"].iloc[0], "--out", str(tmp_path / "c.csv"),
        ],
    }  # fmt: skip
    for name, args in runs.items():
        assert main(args) == 2, name
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1, err
        assert "full" in err and "Traceback" not in err and secret not in err, err
    assert list(tmp_path.iterdir()) == []  # no bundle folder, no file, no scratch folder


def test_any_oserror_in_a_command_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    def quota(*args, **kwargs):
        raise OSError(errno.EDQUOT, "Disk quota exceeded", str(tmp_path / "x" / "cases.csv"))

    monkeypatch.setattr("casekit.bundle.io.write_bundle", quota)
    assert main(["synth", "--out", str(tmp_path / "x"), "--cases", "20"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "quota) is full" in err and "cases.csv" in err


# --- output folders ------------------------------------------------------------------------------


def test_a_bundle_folder_gets_a_manifest_and_a_rerun_removes_only_what_it_listed(tmp_path):
    tables = {t: casekit.load(SYNTHETIC).canonical()[t] for t in ("cases", "events", "teams")}
    out = write_bundle(tables, tmp_path / "b")
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["kind"] == "bundle"
    assert manifest["entries"] == ["cases.csv", "events.csv", "teams.csv"]
    write_bundle({t: tables[t] for t in ("cases", "events")}, out, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "cases.csv", "events.csv"]
    assert json.loads((out / MANIFEST).read_text())["entries"] == ["cases.csv", "events.csv"]


def test_a_folder_with_a_users_file_is_refused_and_nothing_is_touched(tmp_path, capsys):
    out = tmp_path / "b"
    assert main(["synth", "--out", str(out), "--cases", "20"]) == 0
    (out / "notes.txt").write_text("my notes")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(["synth", "--out", str(out), "--cases", "30", "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert "notes.txt" in err and "nothing was touched" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_bundle_written_before_manifests_can_still_be_overwritten(tmp_path):
    out = tmp_path / "old"
    write_csv_bundle(out, copy.deepcopy(TINY))  # table files only, no manifest
    assert main(["synth", "--out", str(out), "--cases", "20", "--overwrite"]) == 0
    assert len(casekit.load(out).cases) == 20
    assert (out / MANIFEST).exists()


@pytest.mark.parametrize("form", ["csv", "xlsx"])
@pytest.mark.parametrize("where", ["cwd", "parent", "home"])
def test_the_current_folder_its_parents_and_home_are_refused(
    tmp_path, monkeypatch, capsys, form, where
):
    work = tmp_path / "home" / "work"
    work.mkdir(parents=True)
    (work / "mine.txt").write_text("mine")
    (work / "cases.csv").write_text("my own cases table")
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    out = {"cwd": ".", "parent": "..", "home": str(tmp_path / "home")}[where]
    args = ["synth", "--out", out, "--cases", "20", "--overwrite", "--form", form]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "current folder" in err or "is a folder, where a file is expected" in err
    assert sorted(p.name for p in work.iterdir()) == ["cases.csv", "mine.txt"]
    assert (work / "cases.csv").read_text() == "my own cases table"
    assert sorted(p.name for p in (tmp_path / "home").iterdir()) == ["work"]


def test_an_existing_file_where_a_folder_is_expected_is_refused(tmp_path, capsys):
    target = tmp_path / "report.txt"
    target.write_text("mine")
    assert main(["synth", "--out", str(target), "--cases", "20", "--overwrite"]) == 2
    assert "is a file, where a folder is expected" in capsys.readouterr().err
    assert target.read_text() == "mine"


def test_an_xlsx_bundle_replaces_only_a_workbook(tmp_path, capsys):
    notes = tmp_path / "notes.xlsx"
    notes.write_text("not a workbook")
    assert main(["synth", "--out", str(notes), "--cases", "20", "--form", "xlsx"]) == 2
    assert "already exists" in capsys.readouterr().err
    synth = ["synth", "--cases", "20", "--form", "xlsx", "--out"]
    assert main([*synth, str(notes), "--overwrite"]) == 2
    assert "not one casekit wrote" in capsys.readouterr().err
    assert notes.read_text() == "not a workbook"
    book = tmp_path / "b.xlsx"
    assert main(["synth", "--out", str(book), "--cases", "20", "--form", "xlsx"]) == 0
    assert main([*synth, str(book), "--overwrite"]) == 0
    assert len(casekit.load(book).cases) == 20


@pytest.fixture
def keyed(tmp_path):
    key = tmp_path / "key.txt"
    assert main(["pseudonymise", str(SYNTHETIC), "--key-file", str(key), "--new-key",
                 "--out", str(tmp_path / "first"), "--as-of", "2025-01-01"]) == 0  # fmt: skip
    return key


def test_pseudonymise_never_writes_over_the_key_or_an_input(tmp_path, keyed, capsys):
    key_text = keyed.read_text()
    base = ["pseudonymise", str(SYNTHETIC), "--key-file", str(keyed), "--as-of", "2025-01-01"]
    runs = [
        ["--out", str(tmp_path / "p"), "--report", str(keyed)],
        ["--out", str(tmp_path / "p"), "--report", str(SYNTHETIC / "cases.csv")],
        ["--out", str(keyed), "--form", "xlsx", "--overwrite"],
        ["--out", str(tmp_path), "--overwrite"],  # the folder holding the key
    ]
    for extra in runs:
        assert main(base + extra) == 2, extra
        err = capsys.readouterr().err
        assert "key" in err or "input" in err, err
    assert keyed.read_text() == key_text
    assert not (tmp_path / "p").exists()
    assert casekit.load(SYNTHETIC).cases.shape[0] == 360


def test_pseudonymise_to_xlsx_without_a_suffix_says_how(tmp_path, keyed, capsys):
    args = ["pseudonymise", str(SYNTHETIC), "--key-file", str(keyed), "--form", "xlsx",
            "--out", str(tmp_path / "safe"), "--as-of", "2025-01-01"]  # fmt: skip
    assert main(args) == 2
    assert "ending in .xlsx (e.g. safe.xlsx)" in capsys.readouterr().err
    assert not (tmp_path / "safe").exists()


def test_outputs_never_replace_their_inputs(tmp_path, capsys):
    bundle = write_csv_bundle(tmp_path / "b", copy.deepcopy(TINY))
    cases = (bundle / "cases.csv").read_bytes()
    runs = [
        ["flags", "--data", str(bundle), "--out", str(bundle / "cases.csv")],
        ["chronology", "export", "--data", str(bundle), "--case", "007",
         "--out", str(bundle / "cases.csv")],
        ["chronology", "merge", str(bundle / "events.csv"), "--case", "007",
         "--out", str(bundle / "events.csv")],
    ]  # fmt: skip
    for args in runs:
        assert main(args) == 2, args
        assert "input" in capsys.readouterr().err
    assert (bundle / "cases.csv").read_bytes() == cases


def test_claim_folder_accepts_only_its_own_kind_of_output(tmp_path):
    out = tmp_path / "b"
    write_bundle({"cases": casekit.load(SYNTHETIC).canonical()["cases"]}, out)
    with pytest.raises(CasekitError, match="did not write there"):
        claim_folder(out, kind="reviews")  # a bundle's manifest does not make it a review folder
    assert claim_folder(out, kind="bundle").previous == {"cases.csv"}


def test_a_tampered_manifest_cannot_remove_anything_outside_the_folder(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    out = tmp_path / "b"
    out.mkdir()
    (out / MANIFEST).write_text(json.dumps({"kind": "bundle", "entries": ["../outside.txt"]}))
    write_bundle({"cases": casekit.load(SYNTHETIC).canonical()["cases"]}, out, overwrite=True)
    assert outside.read_text() == "keep"  # the manifest's bad entry was ignored, not obeyed
    assert json.loads((out / MANIFEST).read_text())["entries"] == ["cases.csv"]


# --- modes under umask 0, through the real command in a subprocess -------------------------------


def run_umask0(tmp_path: Path, *commands: list[str], env: dict | None = None) -> None:
    """Run casekit commands in a child process whose umask is 0."""
    script = (
        "import os, sys\nos.umask(0)\nfrom casekit.cli import main\n"
        f"for args in {[list(c) for c in commands]!r}:\n"
        "    code = main(args)\n"
        "    if code:\n        sys.exit(f'{args}: exit {code}')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr


def assert_private(root: Path) -> list[str]:
    """Check a file is 0600, or a folder 0700 with everything in it private; list them."""
    checked = [str(root)]
    if root.is_dir():
        assert mode(root) == 0o700, root
        for path in root.rglob("*"):
            assert mode(path) == (0o700 if path.is_dir() else 0o600), path
            checked.append(str(path))
    else:
        assert mode(root) == 0o600, root
    return checked


def test_everything_casekit_writes_is_private_under_umask_0(tmp_path):
    t = str(tmp_path)
    supervision = pd.read_csv(SYNTHETIC / "supervisions.csv", dtype=str)["supervision_id"][0]
    case = pd.read_csv(SYNTHETIC / "cases.csv", dtype=str)["case_id"][0]
    run_umask0(
        tmp_path,
        ["synth", "--out", f"{t}/new/deep/bundle", "--cases", "30"],
        ["synth", "--out", f"{t}/bundle.xlsx", "--cases", "30", "--form", "xlsx"],
        ["synth", "--out", f"{t}/pq", "--cases", "30", "--form", "parquet"],
        ["import", str(SYNTHETIC), "--into", f"{t}/store.sqlite"],
        ["export", f"{t}/store.sqlite", "--out", f"{t}/exported.xlsx", "--form", "xlsx"],
        ["export", f"{t}/store.sqlite", "--out", f"{t}/exported"],
        ["pseudonymise", str(SYNTHETIC), "--key-file", f"{t}/key.txt", "--new-key",
         "--out", f"{t}/safe", "--as-of", "2025-01-01", "--report", f"{t}/report.md"],
        ["flags", "--data", str(SYNTHETIC), "--out", f"{t}/flags.csv"],
        ["chronology", "export", "--data", str(SYNTHETIC), "--case", case,
         "--out", f"{t}/chron.html"],
        ["chronology", "export", "--data", str(SYNTHETIC), "--case", case,
         "--out", f"{t}/chron.xlsx"],
        ["supervision", "export", "--store", f"{t}/store.sqlite", "--id", supervision,
         "--out", f"{t}/record.docx"],
        env={"CASEKIT_DEMO_STORE": f"{t}/cache/casekit/demo.sqlite"},
    )  # fmt: skip
    # the store was written through its write-ahead log: check the log files too
    store = casekit.open(tmp_path / "store.sqlite")
    store.add_team(team_id="TX", team_name="Extra")
    names = ["store.sqlite", "store.sqlite-wal", "store.sqlite-shm"]
    assert all((tmp_path / n).exists() for n in names)
    for name in names:
        assert mode(tmp_path / name) == 0o600, name
    store.close()
    for folder in ("new", "new/deep"):
        assert mode(tmp_path / folder) == 0o700, folder
    written = ["new/deep/bundle", "bundle.xlsx", "pq", "exported.xlsx", "exported", "safe"]
    written += ["key.txt", "report.md", "flags.csv", "chron.html", "chron.xlsx", "record.docx"]
    for name in written:
        assert_private(tmp_path / name)


def test_the_demo_store_is_private_under_umask_0(tmp_path):
    demo = tmp_path / "cache" / "casekit" / "demo.sqlite"
    code = "import os\nos.umask(0)\nfrom casekit.widgets.app import demo_store\n"
    code += "demo_store().close()"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(ROOT), "CASEKIT_DEMO_STORE": str(demo)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert mode(demo) == 0o600
    assert mode(demo.parent) == 0o700 and mode(demo.parent.parent) == 0o700
    assert not [p for p in demo.parent.iterdir() if p.name != demo.name and "sqlite" not in p.name]


def test_make_private_never_follows_a_symlink(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("x")
    victim.chmod(0o644)
    link = tmp_path / "link"
    link.symlink_to(victim)
    outputs.make_private(link)
    outputs.make_tree_private(tmp_path)
    assert mode(victim) == 0o600  # changed only as a file of the tree itself
    other = tmp_path.parent / f"{tmp_path.name}-other.txt"
    other.write_text("y")
    other.chmod(0o644)
    (tmp_path / "link2").symlink_to(other)
    outputs.make_tree_private(tmp_path)
    assert mode(other) == 0o644  # outside the tree, reached only through a link: untouched
    other.unlink()


def test_an_annex_a_workbook_replaces_only_a_workbook(tmp_path, capsys):
    mine = tmp_path / "annex.xlsx"
    mine.write_text("my notes, not a workbook")
    assert main(["synth", "--annex-a", str(mine), "--cases", "12", "--overwrite"]) == 2
    assert "not one casekit wrote" in capsys.readouterr().err
    assert mine.read_text() == "my notes, not a workbook"
    folder = tmp_path / "folder.xlsx"
    folder.mkdir()
    assert main(["synth", "--annex-a", str(folder), "--cases", "12", "--overwrite"]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_a_full_disk_under_the_store_is_one_line_without_the_records(tmp_path, monkeypatch, capsys):
    import sqlite3

    import sqlalchemy as sa

    from casekit.store.db import Store

    secret = "Mother said the boy watched extremist videos"

    def full(self, casebook):
        raise sa.exc.OperationalError(
            "INSERT INTO events (summary) VALUES (?)",
            [(secret,)],
            sqlite3.OperationalError("database or disk is full"),
        )

    monkeypatch.setattr(Store, "import_casebook", full)
    assert main(["import", str(SYNTHETIC), "--into", str(tmp_path / "s.sqlite")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "casebook store" in err and "is full" in err
    assert secret not in err and "INSERT" not in err and "Traceback" not in err
    assert mode(tmp_path / "s.sqlite") == 0o600


def test_a_bug_is_still_reported_as_a_bug(monkeypatch, capsys):
    def bug(args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("casekit.cli.bundle._cmd_contract", bug)
    assert main(["contract"]) == 1
    assert "internal error" in capsys.readouterr().err


def test_a_supervision_record_export_is_private_and_never_named_from_unchecked_ids(
    tiny_store, tmp_path
):
    from casekit.widgets import SupervisionSession

    ws = SupervisionSession(tiny_store, "007", exports=tmp_path / "records" / "team")
    for bad in ("../../evil", "a/b", "x{}"):
        assert ws.export(bad, ".html") is None
        assert "Not exported" in ws.export_message.value and "file name" in ws.export_message.value
    assert not (tmp_path / "evil.html").exists() and not list(tmp_path.rglob("*.html"))
    written = ws.export("V1", ".html")
    assert written is not None and written.parent == tmp_path / "records" / "team"
    assert mode(written) == 0o600
    assert mode(tmp_path / "records") == 0o700 and mode(tmp_path / "records" / "team") == 0o700


@given(st.text(max_size=120))
@settings(max_examples=300, deadline=None)
def test_any_text_is_either_refused_or_a_name_that_stays_in_its_folder(text):
    folder = Path("/srv/out")
    try:
        name = safe_name(text, "ID")
    except CasekitError as exc:
        assert "cannot be used in a file name" in str(exc)
        return
    path = folder / f"{name}.html"
    assert path.parent == folder and ".." not in path.parts and not name.startswith(".")
    assert os.path.normpath(path) == str(path)
    assert not any(c in name for c in "/\\:{}<>\"'&\x00") and name.isprintable()
    from casekit.review.run import page_href

    assert ":" not in page_href(name) and "/" not in page_href(name)


def test_a_store_named_by_a_sqlite_url_is_created_private(tmp_path, umask0):
    path = tmp_path / "url.sqlite"
    store = casekit.open(f"sqlite:///{path}")
    store.add_team(team_id="T1", team_name="North")
    for name in ("url.sqlite", "url.sqlite-wal", "url.sqlite-shm"):
        assert mode(tmp_path / name) == 0o600, name
    store.close()


def test_a_full_disk_while_flushing_bytes_keeps_the_earlier_file(tmp_path, monkeypatch):
    (tmp_path / "index.html").write_text("earlier review")

    def full(fd):
        raise OSError(errno.EDQUOT, "Disk quota exceeded")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(CasekitError, match=r"quota\) is full"):
        write_private(tmp_path / "index.html", b"<p>Child A, born 2010</p>")
    monkeypatch.undo()
    assert (tmp_path / "index.html").read_text() == "earlier review"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]


def test_a_scratch_folder_left_by_a_killed_run_does_not_block_the_next(tmp_path):
    out = write_bundle({"cases": casekit.load(SYNTHETIC).canonical()["cases"]}, tmp_path / "b")
    crashed = out / ".cases.csv.k3j_9zq1.partial"  # as mkdtemp names them
    crashed.mkdir()
    (crashed / "cases.csv").write_text("half")
    look_alike = out / ".notes.partial"  # not one of casekit's names: the user's
    look_alike.mkdir()
    with pytest.raises(CasekitError, match=r"\.notes\.partial"):
        write_bundle({"cases": casekit.load(SYNTHETIC).canonical()["cases"]}, out, overwrite=True)
    assert (crashed / "cases.csv").read_text() == "half"  # a refusal touches nothing
    look_alike.rmdir()
    write_bundle({"cases": casekit.load(SYNTHETIC).canonical()["cases"]}, out, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "cases.csv"]
