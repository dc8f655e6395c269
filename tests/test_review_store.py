"""A team caseload review read straight from a casebook store: a SQLite file or a PostgreSQL
server (`casekit review --data postgresql://...`), with the password kept out of the notebooks."""

from __future__ import annotations

import os

import pandas as pd
import pytest
import sqlalchemy as sa
from test_review import AS_OF, TABLES

import casekit
from casekit.cli import main
from casekit.errors import CasekitError
from casekit.review import report as review_report
from casekit.review import sections as review
from casekit.store.load import source


@pytest.fixture
def review_store(store_url, tmp_path):
    """The review tests' bundle in a store (SQLite, then PostgreSQL); yields (store, address)."""
    from conftest import write_csv_bundle

    bundle = write_csv_bundle(tmp_path / "bundle", TABLES)
    store = casekit.open(store_url, user="analyst")
    store.import_casebook(casekit.load(bundle))
    yield store, bundle
    store.close()


def without_password(url: str, monkeypatch) -> str:
    """Give a server URL's password by $PGPASSWORD, as a review needs; return the URL without."""
    parsed = sa.make_url(url)
    if parsed.password is None:
        return url
    monkeypatch.setenv("PGPASSWORD", parsed.password)
    return parsed._replace(password=None).render_as_string(hide_password=False)


def test_a_server_url_with_a_password_is_refused_and_why(monkeypatch):
    with pytest.raises(CasekitError, match="holds a password.*PGPASSWORD"):
        source("postgresql://analyst:s3cret@db.example/casework")
    try:
        source("postgresql://analyst:s3cret@db.example/casework")
    except CasekitError as exc:
        assert "s3cret" not in str(exc)  # the refusal never repeats the password
    for hidden in ("password", "sslpassword", "PassWord"):  # in the query, not before the @
        with pytest.raises(CasekitError, match="holds a password"):
            source(f"postgresql://analyst@db.example/casework?{hidden}=s3cret")
    for other in ("http://evil.example/x", "mysql://a@b/c", "postgres://a@b/c", "foo://x"):
        with pytest.raises(CasekitError, match="is not a casebook server casekit reads"):
            source(other)
    with pytest.raises(CasekitError, match="not a database URL"):
        source("postgres ql://db.example/casework")
    with pytest.raises(CasekitError, match="give the bundle to review"):
        source("  ")
    with pytest.raises(CasekitError, match="--data /no/such/folder: no such file or folder"):
        source("/no/such/folder")
    assert source("postgresql://analyst@db.example/casework") == (
        "postgresql://analyst@db.example/casework"
    )


def test_a_store_is_read_again_only_once_something_in_it_changed(review_store, monkeypatch):
    store, _ = review_store
    where = without_password(store.engine.url.render_as_string(hide_password=False), monkeypatch)
    where = where.removeprefix("sqlite:///")  # a SQLite store is given as its path
    first = review_report._load(where)
    assert review_report._load(where) is first  # nothing changed: no second read
    store.update_team("T1", team_name="Northern")  # into SQLite's -wal file, or the server
    again = review_report._load(where)
    assert again is not first and "Northern" in set(again.teams["team_name"])
    assert review_report._load(where) is again


def test_casekit_review_runs_on_the_store_and_logs_each_team(review_store, tmp_path, monkeypatch):
    store, bundle = review_store
    where = without_password(store.engine.url.render_as_string(hide_password=False), monkeypatch)
    where = where.removeprefix("sqlite:///")
    out = tmp_path / "reviews"
    code = main(["review", "--data", where, "--out", str(out), "--team", "T1", "--as-of", AS_OF])
    assert code == 0
    page = (out / "T1.html").read_text(encoding="utf-8")
    reviews = []
    for cb in (casekit.load(where), casekit.load(bundle)):  # from the store, from the bundle
        reviews.append(review.build(cb, review.scope_for(cb, "T1", as_of=AS_OF)))
    from_store, from_bundle = reviews
    assert from_store.headline == from_bundle.headline
    for mine, theirs in zip(from_store.sections, from_bundle.sections, strict=True):
        for a, b in zip(mine.tables, theirs.tables, strict=True):
            pd.testing.assert_frame_equal(a.frame, b.frame, check_dtype=False, obj=a.key)
            assert (out / "T1" / "tables" / f"{a.key}.csv").is_file(), a.key
    assert from_store.scope.team_name in page
    log = store.access_log()
    assert log["action"].tolist() == ["review"] and "team T1" in log["detail"].item()
    assert (
        "PGPASSWORD" not in page and (sa.make_url(store.engine.url).password or "\x00") not in page
    )  # the server's password is in no page


def test_casekit_review_refuses_a_url_with_a_password_before_anything_runs(tmp_path, capsys):
    out = tmp_path / "reviews"
    for url in (
        "postgresql://a:hunter2@127.0.0.1:1/x",
        "postgresql://a@127.0.0.1:1/x?password=hunter2",
    ):
        code = main(["review", "--data", url, "--out", str(out)])
        err = capsys.readouterr().err
        assert code == 2 and "holds a password" in err and "hunter2" not in err
        assert "Traceback" not in err
    code = main(["review", "--data", "http://evil.example/x", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "not a casebook server" in err and "Traceback" not in err
    assert not out.exists()


def test_review_user_reaches_the_store_and_every_kernel(tmp_path, monkeypatch, capsys):
    from roles_helpers import two_team_store

    monkeypatch.delenv("CASEKIT_USER", raising=False)
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    where = str(tmp_path / "team.sqlite")
    two_team_store(where).close()
    out = tmp_path / "reviews"
    # the OS login is no user of this store: refused, nothing run
    assert main(["review", "--data", where, "--out", str(out), "--team", "T1"]) == 2
    assert "is not a user of this store" in capsys.readouterr().err and not out.exists()
    code = main(["review", "--data", where, "--out", str(out), "--team", "T1", "--user", "alice"])
    assert code == 0, capsys.readouterr().err
    assert (out / "T1.html").is_file()
    assert "CASEKIT_USER" not in os.environ  # put back as it was after the command
    with casekit.open(where, user="boss") as store:
        log = store.access_log()
    assert log["action"].tolist() == ["review"] and log["user"].tolist() == ["alice"]


def test_an_analyst_reviews_the_server_store_through_their_own_login(pg_url, tmp_path, monkeypatch):
    from roles_helpers import SECRET, two_team_store

    from casekit.store.pgsecurity import issue_login

    two_team_store(pg_url).close()
    url, password = issue_login(pg_url, "ann")  # analyst of T1 and T2, free text withheld
    monkeypatch.setenv("PGPASSWORD", password)
    out = tmp_path / "reviews"
    code = main(
        ["review", "--data", url, "--out", str(out), "--team", "all", "--as-of", "2024-12-31"]
    )
    assert code == 0
    pages = [(out / f"{team}.html").read_text(encoding="utf-8") for team in ("T1", "T2")]
    assert all(words not in page for page in pages for words in SECRET.values())
    with casekit.open(pg_url, user="boss") as store:  # the admin, on the maintenance login
        log = store.access_log()
    assert log["action"].tolist() == ["review", "review"] and set(log["user"]) == {"ann"}
