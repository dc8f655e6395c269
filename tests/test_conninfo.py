"""A keyword-style libpq string given as --data is refused without repeating it.

``--data 'host=x dbname=y password=secret'`` was echoed whole in the "no such file" message,
password and all (in the terminal, its scrollback, logs and CI output). Like a URL that holds
a password (casekit.engine.backends.refuse_password), it is refused with a message that says
what to give instead and shows nothing of the value.
"""

from __future__ import annotations

import pytest

from casekit.cli import main
from casekit.errors import CasekitError, conninfo_refusal, hide_secrets, is_conninfo

SECRET = "s3cr3t-Hunter2"

STRINGS = [
    f"host=db.example dbname=casebook password={SECRET}",
    f"dbname=casebook user=alice password = {SECRET}",
    f"host=localhost sslpassword={SECRET}",
    f"  PASSWORD={SECRET} host=x",
    f"service=casebook passfile=/home/a/{SECRET}",
    f"host='db example' password='{SECRET} with spaces'",
]


@pytest.mark.parametrize("text", STRINGS)
@pytest.mark.parametrize(
    "command",
    [
        ["flags", "--engine", "pandas", "--data"],
        ["flags", "--engine", "duckdb", "--data"],
        ["flags", "--engine", "postgres", "--data"],
        ["validate"],
        ["review", "--out", "{out}", "--data"],
        ["disclosure-check"],
        ["audit", "--store"],
        ["users", "list", "--store"],
        ["store", "current"],
        ["export", "--out", "{out}"],
        ["pseudonymise", "--out", "{out}", "--key-file", "{out}.key"],
    ],
)
def test_refused_without_showing_any_of_it(tmp_path, capsys, text, command):
    args = [a.replace("{out}", str(tmp_path / "out")) for a in command]
    try:
        code = main([*args, text])
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert SECRET not in err and "s3cr3t" not in err
    assert "db.example" not in err and "alice" not in err  # nothing of it at all
    assert "key=value" in err and "postgresql://user@host/database" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_it_says_where_the_password_goes():
    message = conninfo_refusal("--data", STRINGS[0])
    assert "PGPASSWORD" in message and "~/.pgpass" in message and SECRET not in message
    plain = conninfo_refusal("--data", "host=x dbname=y")
    assert "holds a password" not in plain and "postgresql://user@host/database" in plain


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("host=x dbname=y", True),
        ("dbname = casebook", True),
        ("password=x", True),
        ("HOST=x", True),
        ("bundles/host=x", False),  # a path whose folder name has an '='
        ("data/2025 cases", False),
        ("my=notes", False),  # not a libpq keyword
        ("postgresql://alice@h/db", False),  # a URL: refused elsewhere if it holds a password
        ("", False),
    ],
)
def test_what_counts_as_a_keyword_string(text, expected):
    assert is_conninfo(text) is expected


def test_a_real_folder_with_such_a_name_is_still_read(tmp_path, capsys, monkeypatch):
    # casekit refuses the string only where no such file or folder exists
    monkeypatch.chdir(tmp_path)
    assert main(["synth", "--out", "host=x", "--cases", "20"]) == 0
    capsys.readouterr()
    assert main(["validate", "host=x"]) == 0
    assert "valid case bundle" in capsys.readouterr().out


def test_python_load_refuses_it_too():
    import casekit

    with pytest.raises(CasekitError) as raised:
        casekit.load(STRINGS[0])
    assert SECRET not in str(raised.value) and "key=value" in str(raised.value)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("host=x password=abc dbname=y", "host=x password=*** dbname=y"),
        ("PASSWORD = 'a b c' host=x", "PASSWORD = *** host=x"),
        (
            "postgresql://u@h/db?sslpassword=abc&sslmode=require",
            "postgresql://u@h/db?sslpassword=***&sslmode=require",
        ),
        ("passfile=/home/a/.pg host=x", "passfile=*** host=x"),
        ("a path/with no secret", "a path/with no secret"),
        ("mypassword=x", "mypassword=x"),  # not the keyword
    ],
)
def test_no_message_the_cli_prints_shows_a_password_value(text, shown):
    assert hide_secrets(text) == shown
