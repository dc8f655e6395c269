"""The casekit command: help for every subcommand, and the exit-code promise."""

from __future__ import annotations

import subprocess
import sys

import pytest

from casekit import cli

SUBCOMMANDS = ["validate", "synth", "import", "export", "contract", "app", "chronology", "flags"]


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: casekit {command}" in out and len(out) > 150


@pytest.mark.parametrize("action", ["merge", "export"])
def test_chronology_actions_have_help(action, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["chronology", action, "--help"])
    assert info.value.code == 0
    assert f"usage: casekit chronology {action}" in capsys.readouterr().out


def test_top_level_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for command in SUBCOMMANDS:
        assert command in out
    assert "Exit codes: 0 done, 2 user error" in out


def test_unknown_subcommand_is_a_usage_error():
    done = subprocess.run(
        [sys.executable, "-m", "casekit.cli", "valdate", "x"], capture_output=True, text=True
    )
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_a_bug_exits_1_and_says_it_is_a_bug(monkeypatch, capsys):
    def broken(args):
        raise RuntimeError("boom")

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    parser._subparsers._group_actions[0].choices["contract"].set_defaults(run=broken)
    assert cli.main(["contract"]) == 1
    err = capsys.readouterr().err
    assert "internal error (a bug in casekit, not your data)" in err and "boom" in err


def test_contract_prints_the_docs_page(capsys):
    from casekit.contract import to_markdown

    assert cli.main(["contract"]) == 0
    assert capsys.readouterr().out == to_markdown()
