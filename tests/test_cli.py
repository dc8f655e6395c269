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


SECRET = "postgresql://alice:hunter2@db.example/casebook"


def _commands(parser=None, path=()):
    """Every (sub)command's words and parser, nested ones (``chronology merge``) included."""
    import argparse

    parser = parser or cli.build_parser()
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, (*path, name))


def _refused(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2, argv
    return capsys.readouterr().err


def _with_choices():
    import argparse

    found = []
    for path, parser in _commands():
        for action in parser._actions:
            if action.choices and not isinstance(action, argparse._SubParsersAction):
                found.append((path, action))
    return found


CHOICES = _with_choices()


def test_every_option_with_choices_is_tested_here():
    """The parametrised test below covers them all; a new one joins it by itself."""
    names = {(" ".join(p), a.option_strings[0] if a.option_strings else a.dest) for p, a in CHOICES}
    assert ("flags", "--status") in names and ("synth", "--form") in names
    assert len(names) >= 8, names


@pytest.mark.parametrize(
    ("path", "action"),
    CHOICES,
    ids=[" ".join(p) + " " + (a.option_strings or [a.dest])[0] for p, a in CHOICES],
)
def test_a_bad_choice_is_refused_without_echoing_it(path, action, capsys):
    """argparse would print "invalid choice: '<the value>'": a URL's password with it."""
    option = action.option_strings[-1] if action.option_strings else None
    forms = [[option, SECRET], [f"{option}={SECRET}"]] if option else [[SECRET]]
    for given in forms:
        err = _refused([*path, *given], capsys)
        assert "hunter2" not in err and "alice" not in err, err
        assert "invalid choice" in err and "not shown" in err, err
        assert "choose from" in err and repr(sorted(action.choices)[0]) in err, err  # still helps
        assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["flags", "--data", "x", "--as-of", SECRET],  # a type that refuses it
        ["synth", "--out", "x", "--cases", SECRET],
        ["flags", "--data", "x", "--engine", SECRET],
        ["flags", "--data", "x", SECRET],  # unrecognized arguments
        ["validate", "x", "--no-such-option", SECRET],
        [SECRET],  # not a command
        ["flags", "--data", "x", f"--as-of={SECRET}"],
        ["flags", "--data", "x", "--status", "host=db password=hunter2"],  # libpq's form
    ],
)
def test_no_parser_error_echoes_a_value_that_may_hold_a_password(argv, capsys):
    err = _refused(argv, capsys)
    assert "hunter2" not in err and "alice" not in err, err
    assert "error:" in err and "usage: casekit" in err


def test_parser_errors_still_show_plain_values(capsys):
    """Only values that may hold a secret are hidden: a typo is still shown, with the choices."""
    err = _refused(["flags", "--data", "x", "--status", "opne"], capsys)
    assert "invalid choice: 'opne' (choose from 'open', 'past', 'all')" in err
    err = _refused(["flags", "--data", "x", "--as-of", "31/03/2025"], capsys)
    assert "is not a date" in err  # a date with slashes may not be shown, but says what to do
    assert "the following arguments are required: --data" in _refused(["flags"], capsys)
