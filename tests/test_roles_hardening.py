"""What a red-team review of named users and roles found, each tested as it was attacked.

On PostgreSQL with plain SQL as a person's own login where the attack used it, and on SQLite
where the same attack applies there.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from roles_helpers import two_team_store

from casekit.cli import main
from casekit.store.db import safe_url
from casekit.store.pgsecurity import issue_login


@pytest.fixture
def team_db(pg_url):
    """The two-team store on PostgreSQL (see roles_helpers); yields its maintenance URL."""
    two_team_store(pg_url).close()
    return pg_url


def query_password(url: str) -> tuple[str, str]:
    """Move a URL's password from after its user name into its query: (new URL, password)."""
    parsed = sa.engine.make_url(url)
    assert parsed.password
    moved = parsed.set(password=None).update_query_dict({"password": parsed.password})
    return moved.render_as_string(hide_password=False), str(parsed.password)


# --- 1. a password in a URL's query string --------------------------------------------------


def test_safe_url_hides_a_password_after_the_user_and_in_the_query():
    assert safe_url("postgresql://u:s3cret@h/db") == "postgresql://u:***@h/db"
    shown = safe_url("postgresql://u@h/db?password=s3cret&sslmode=require")
    assert "s3cret" not in shown and "password=***" in shown and "sslmode=require" in shown
    shown = safe_url("postgresql://u:one@h/db?sslpassword=two&passfile=/p/f&PASSWORD=three")
    assert not any(s in shown for s in ("one", "two", "/p/f", "three")), shown
    assert safe_url("postgresql://u@h/db?sslmode=require") == "postgresql://u@h/db?sslmode=require"
    assert safe_url("/tmp/store.sqlite") == "/tmp/store.sqlite"


def test_issue_login_copies_only_connection_settings_never_a_password(team_db):
    url, secret = query_password(team_db)
    admin = (
        sa.engine.make_url(url)
        .update_query_dict(
            {
                "sslmode": "prefer",
                "application_name": "hub",
                "sslpassword": "keypw",
                "passfile": "/etc/secret/pgpass",
            }  # fmt: skip
        )
        .render_as_string(hide_password=False)
    )
    person, password = issue_login(admin, "bob")
    parsed = sa.engine.make_url(person)
    assert secret not in person and "keypw" not in person and "pgpass" not in person
    assert set(parsed.query) == {"sslmode", "application_name"}
    assert parsed.password is None and parsed.username != sa.engine.make_url(url).username
    engine = sa.create_engine(parsed.set(drivername="postgresql+psycopg", password=password))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT current_user")).scalar() == parsed.username
    engine.dispose()


@pytest.mark.parametrize("form", ["user:pw@", "?password="])
def test_no_command_prints_a_password_given_in_either_place(team_db, form, capsys, monkeypatch):
    monkeypatch.setenv("CASEKIT_USER", "boss")
    url, secret = query_password(team_db) if form == "?password=" else (team_db, "")
    secret = secret or str(sa.engine.make_url(team_db).password)
    assert main(["store", "current", url]) == 0
    assert main(["audit", "--store", url]) == 0
    assert main(["users", "list", "--store", url]) == 0
    out = capsys.readouterr()
    assert "up to date" in out.out and secret not in out.out + out.err
    wrong = url.replace(secret, "wrong-one")
    assert main(["users", "list", "--store", wrong]) == 2
    out = capsys.readouterr()
    assert "refused the user name or password" in out.err
    assert "wrong-one" not in out.out + out.err and "Traceback" not in out.err
    with pytest.raises(Exception) as caught:
        issue_login(wrong, "bob")
    assert "wrong-one" not in str(caught.value) and "***" in str(caught.value)
