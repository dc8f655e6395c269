"""The store's schema as one Alembic chain, for SQLite and PostgreSQL (issue 18).

The head of the chain must be exactly the schema ``Store`` reads (``_schema()``), on both
backends. Stores made before Alembic are recognised by their ``_meta`` schema and brought onto
the chain keeping every row: ``tests/stores/schema1..3`` (see test_store_upgrade.py and
test_audit.py) and two made by main at f41fed8 (store schema 4, the day before Alembic), with
``casekit synth --cases 16 --teams 1 --seed 3``, then ``import_casebook`` as ``main-f41fed8``,
an update of E000001, the deletion of A00001, a supervision draft and one access-log entry:
``schema4.sqlite.gz`` on SQLite and ``schema4-postgresql.sql.gz`` on PostgreSQL (``pg_dump
--no-owner --no-privileges --inserts``, restored here through psycopg). A failed migration
is tested with a revision that fails part way, written into a test-only folder of revisions.
"""

from __future__ import annotations

import gzip
import hashlib
import sqlite3
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from conftest import STORES, unpack_store

import casekit
from casekit.cli import main
from casekit.errors import CasekitError
from casekit.store import migrations
from casekit.store.db import SCHEMA_VERSION, _schema
from casekit.store.migrations import head
from casekit.store.upgrade import store_position, upgrade_store

LEGACY = ["schema1.sqlite.gz", "schema2.sqlite.gz", "schema2-supervisions.sqlite.gz",
          "schema3.sqlite.gz", "schema4.sqlite.gz"]  # fmt: skip


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def engine_of(where: str) -> sa.Engine:
    """A plain engine on a store (no casekit in the way), for looking at what is there."""
    if "://" not in where:
        return sa.create_engine(f"sqlite:///{where}")
    return sa.create_engine(sa.engine.make_url(where).set(drivername="postgresql+psycopg"))


def contents(where: str) -> dict[str, list[tuple]]:
    """Every row of every table, as stored, sorted; the Alembic table and _meta's schema aside."""
    engine = engine_of(where)
    try:
        out = {}
        with engine.connect() as conn:
            for name in sa.inspect(conn).get_table_names():
                if name == "alembic_version":
                    continue
                rows = conn.execute(sa.text(f'SELECT * FROM "{name}"')).mappings().all()
                if name == "_users" and not rows:
                    continue  # schema 5's users table, empty: a store without users, as before
                out[name] = sorted(
                    (tuple(sorted((k, v) for k, v in r.items() if v is not None)) for r in rows),
                    key=repr,
                )
        out["_meta"] = [r for r in out.get("_meta", []) if ("key", "schema") not in r]
        return out
    finally:
        engine.dispose()


def revision_of(where: str) -> str | None:
    engine = engine_of(where)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def meta_schema(where: str) -> str:
    engine = engine_of(where)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT value FROM _meta WHERE key = 'schema'")).scalar()
    finally:
        engine.dispose()


def execute(where: str, *statements: str) -> None:
    engine = engine_of(where)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def restore_dump(url: str, name: str) -> None:
    """Load a plain pg_dump into the empty database at ``url`` (psql's meta-commands left out)."""
    text = gzip.decompress((STORES / name).read_bytes()).decode("utf-8")
    script = "\n".join(line for line in text.splitlines() if not line.startswith("\\"))
    with psycopg.connect(url) as conn:
        conn.execute(script)  # no parameters: sent as one simple query, many statements


@pytest.fixture
def pg_legacy(pg_url) -> str:
    """A PostgreSQL store made by main at f41fed8: store schema 4, not on the Alembic chain."""
    restore_dump(pg_url, "schema4-postgresql.sql.gz")
    return pg_url


@pytest.fixture
def legacy_on_both(request, tmp_path) -> str:
    """The store made by main at f41fed8 (schema 4, before Alembic): SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        return str(unpack_store("schema4.sqlite.gz", tmp_path))
    return request.getfixturevalue("pg_legacy")


both_legacy = pytest.mark.parametrize("legacy_on_both", ["sqlite", "postgresql"], indirect=True)


# --- the chain ----------------------------------------------------------------------------------


def test_the_chain_is_one_line_of_revisions_each_writing_the_next_schema_number():
    script = migrations._script(())
    assert script.get_heads() == [head()]
    revisions = list(reversed(list(script.walk_revisions())))
    assert [r.revision for r in revisions][:4] == ["0001", "0002", "0003", "0004"]
    assert revisions[0].down_revision is None
    for before, after in zip(revisions, revisions[1:], strict=False):
        assert after.down_revision == before.revision
    schemas = [r.module.SCHEMA for r in revisions]
    assert schemas == [str(n) for n in range(1, len(revisions) + 1)]
    assert schemas[-1] == SCHEMA_VERSION  # what head writes is what Store says it reads


def test_no_revision_downgrades_a_store():
    for revision in migrations._script(()).walk_revisions():
        with pytest.raises(CasekitError, match="never downgrades"):
            revision.module.downgrade()


def test_the_migrations_are_files_of_the_package_found_without_an_alembic_ini(tmp_path):
    folder = migrations.HERE
    assert (folder / "env.py").is_file() and (folder / "script.py.mako").is_file()
    assert not list(folder.rglob("alembic.ini"))
    assert migrations.config().get_main_option("script_location") == str(folder)


def test_importing_the_environment_or_a_revision_runs_nothing():
    """make test's doctests import every module: only Alembic's loading runs the environment."""
    import importlib

    for name in ("env", "versions.rev0001_schema_1", "versions.rev0004_access_log"):
        module = importlib.import_module(f"casekit.store.migrations.{name}")
        assert module.__doc__


def test_the_alembic_command_alone_is_pointed_to_casekit_store_upgrade(tmp_path):
    from alembic import command

    with pytest.raises(CasekitError, match="casekit store upgrade URL"):
        command.upgrade(migrations.config(), "head")


def test_the_head_of_the_chain_is_exactly_the_schema_the_store_reads(store_url):
    casekit.open(store_url).close()  # a new store: the chain run from its start
    assert revision_of(store_url) == head() and meta_schema(store_url) == SCHEMA_VERSION
    engine = engine_of(store_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn)
            assert compare_metadata(context, _schema()[0]) == []
            drifted, *_ = _schema()  # the comparison sees a difference when there is one
            sa.Table("_extra_table", drifted, sa.Column("x", sa.Text))
            drifted.tables["events"].append_column(sa.Column("not_in_the_chain", sa.Text))
            found = compare_metadata(context, drifted)
    finally:
        engine.dispose()
    assert {d[0] for d in found} == {"add_table", "add_column"}


@both_legacy
def test_the_head_also_matches_a_store_brought_from_before_alembic(legacy_on_both):
    upgrade_store(legacy_on_both)
    engine = engine_of(legacy_on_both)
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), _schema()[0]) == []
    finally:
        engine.dispose()


# --- stores from before Alembic -----------------------------------------------------------------


@pytest.mark.parametrize("name", LEGACY)
def test_every_sqlite_store_from_before_alembic_is_upgraded_keeping_every_row(
    name, tmp_path, capsys
):
    path = unpack_store(name, tmp_path)
    old = meta_schema(str(path))
    before = contents(str(path))
    code, out, err = run(["store", "current", str(path)], capsys)
    assert code == 0 and f"store schema {old} (from before Alembic), behind" in out, err
    code, out, err = run(["store", "upgrade", str(path)], capsys)
    assert (code, err) == (0, "")
    assert out == (
        f"{path}: upgraded from store schema {old} (from before Alembic) to revision {head()}.\n"
    )
    after = contents(str(path))
    assert revision_of(str(path)) == head() and meta_schema(str(path)) == SCHEMA_VERSION
    if old != "4":
        assert after.pop("_access_log") == []  # the only table added, and empty
    assert after == before  # every row of every table, history and drafts, unchanged
    with casekit.open(path) as store:
        store.log_access("open_case", store.casebook().cases["case_id"].iloc[0])
    with sqlite3.connect(path) as conn, pytest.raises(sqlite3.IntegrityError, match="append"):
        conn.execute("DELETE FROM _access_log")  # made by revision 0004, or kept
    assert path.stat().st_mode & 0o077 == 0
    after = contents(str(path))
    code, out, _ = run(["store", "upgrade", str(path)], capsys)
    assert code == 0 and out == f"{path}: already up to date (revision {head()}).\n"
    assert contents(str(path)) == after


def test_today_s_main_sqlite_store_keeps_its_history_log_and_draft_when_opened(tmp_path):
    path = unpack_store("schema4.sqlite.gz", tmp_path)
    with casekit.open(path, user="after") as store:  # the owner opening it upgrades it
        assert revision_of(str(path)) == head()
        assert store.history("E000001")["by"].tolist() == ["main-f41fed8"] * 2
        assert store.history("A00001")["op"].tolist() == ["import", "delete"]
        assert store.draft("supervision/C00001/team manager") == {"note": "draft by main f41fed8"}
        (entry,) = store.access_log().itertuples()
        assert (entry.user, entry.action, entry.case_id) == ("main-f41fed8", "open_case", "C00001")
        store.log_access("open_case", "C00002")
        store.update_event("E000002", significance="high")
    with sqlite3.connect(path) as conn, pytest.raises(sqlite3.IntegrityError, match="append"):
        conn.execute("UPDATE _access_log SET user = 'someone else'")


def test_a_postgresql_store_from_before_alembic_is_refused_until_upgraded(pg_legacy, capsys):
    password = str(sa.engine.make_url(pg_legacy).password)
    before = contents(pg_legacy)
    with pytest.raises(CasekitError) as refused:
        casekit.open(pg_legacy)
    message = str(refused.value)
    assert "store schema 4 (from before Alembic), behind this casekit's revision" in message
    assert (
        "run 'casekit store upgrade postgresql://" in message and "as the store's owner" in message
    )
    assert password not in message and revision_of(pg_legacy) is None
    with casekit.open(pg_legacy, readonly=True) as store:  # reading it as it is still works
        assert store.counts()["events"] == 333 and len(store.access_log()) == 1
    assert contents(pg_legacy) == before

    code, out, err = run(["store", "upgrade", pg_legacy], capsys)
    assert (code, err) == (0, "") and password not in out
    assert out.endswith(
        f"upgraded from store schema 4 (from before Alembic) to revision {head()}.\n"
    )
    assert ":***@" in out
    assert contents(pg_legacy) == before and revision_of(pg_legacy) == head()
    with casekit.open(pg_legacy, user="after") as store:
        assert store.history("E000001")["by"].tolist() == ["main-f41fed8"] * 2
        assert store.history("A00001")["op"].tolist() == ["import", "delete"]
        assert store.draft("supervision/C00001/team manager") == {"note": "draft by main f41fed8"}
        store.log_access("open_case", "C00002")
        assert store.access_log()["user"].tolist() == ["main-f41fed8", "after"]
        new = store.add_event(
            case_id="C00001", date="2025-03-01", kind="visit", summary="Seen at home.",
            source_agency="social_care", category="protective", level="family",
            significance="low", impact="positive", evidence="observed",
        )  # fmt: skip
        assert store.history(new)["by"].tolist() == ["after"]
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        execute(pg_legacy, "DELETE FROM _access_log")
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        execute(pg_legacy, "TRUNCATE _access_log")


def test_an_empty_postgresql_database_is_made_a_store_by_the_upgrade(pg_url, capsys):
    code, out, _ = run(["store", "current", pg_url], capsys)
    assert code == 0 and "an empty database, not a casebook store yet" in out
    code, out, err = run(["store", "upgrade", pg_url], capsys)
    assert (code, err) == (0, "") and out.endswith(
        f"made a new casebook store at revision {head()}.\n"
    )
    code, out, _ = run(["store", "current", pg_url], capsys)
    assert code == 0 and out.endswith(f"revision {head()}, up to date.\n")
    with casekit.open(pg_url, create=False) as store:
        assert store.counts()["cases"] == 0


@both_legacy
def test_an_up_to_date_store_is_left_alone(legacy_on_both, capsys):
    upgrade_store(legacy_on_both)
    before = contents(legacy_on_both)
    path = Path(legacy_on_both)
    sqlite = "://" not in legacy_on_both
    file_before = digest(path) if sqlite else None
    done = upgrade_store(legacy_on_both)
    assert done.before.up_to_date and done.message().endswith(
        f"already up to date (revision {head()})."
    )
    assert contents(legacy_on_both) == before
    if sqlite:
        assert digest(path) == file_before
    assert store_position(legacy_on_both)[1].up_to_date


@both_legacy
def test_two_upgrades_at_once_take_turns(legacy_on_both):
    """The second waits for the first (the write lock; BEGIN IMMEDIATE) and finds it done."""
    import threading

    before = contents(legacy_on_both)
    said: list[str] = []
    failed: list[BaseException] = []
    start = threading.Barrier(2)

    def upgrade() -> None:
        start.wait()
        try:
            said.append(upgrade_store(legacy_on_both).message())
        except BaseException as exc:  # reported below
            failed.append(exc)

    threads = [threading.Thread(target=upgrade) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failed, failed
    assert sorted(m.split(": ", 1)[1] for m in said) == [
        f"already up to date (revision {head()}).",
        f"upgraded from store schema 4 (from before Alembic) to revision {head()}.",
    ]
    assert contents(legacy_on_both) == before and revision_of(legacy_on_both) == head()


def test_an_upgrade_by_a_role_that_does_not_own_the_store_changes_nothing(pg_legacy, capsys):
    """Only the store's owner may change its tables: anyone else is told, and nothing changes."""
    import secrets
    import uuid

    role, password = f"reader_{uuid.uuid4().hex[:8]}", secrets.token_urlsafe(18)
    url = sa.engine.make_url(pg_legacy)
    as_role = url.set(username=role, password=password).render_as_string(hide_password=False)
    execute(pg_legacy, f"CREATE ROLE {role} LOGIN PASSWORD '{password}'",
            f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO {role}")  # fmt: skip
    before = contents(pg_legacy)
    try:
        code, out, err = run(["store", "upgrade", as_role], capsys)
        assert code == 2 and out == "" and "Traceback" not in err
        assert "upgrading the store from store schema 4 (from before Alembic)" in err
        assert "failed, so nothing was changed: it is still at store schema 4" in err
        assert "permission denied for schema public" in err and "as the store's owner" in err
        assert err.count("postgresql://") == 1
        assert password not in err and f"{role}:***@" in err, err
    finally:
        execute(pg_legacy, f"DROP OWNED BY {role}", f"DROP ROLE {role}")
    assert contents(pg_legacy) == before and revision_of(pg_legacy) is None


# --- refusals -----------------------------------------------------------------------------------


def test_a_database_that_is_not_a_store_is_refused_and_left_alone(tmp_path, pg_url, capsys):
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE accounts (id INTEGER)")
    text = tmp_path / "notes.sqlite"
    text.write_text("not a database\n")
    execute(pg_url, "CREATE TABLE accounts (id INTEGER)")
    for where, said in (
        (str(other), "is not a casebook store (it holds other tables)"),
        (str(text), "cannot be opened as a casebook store: it is damaged, or not a store"),
        (pg_url, "is not a casebook store (it holds other tables)"),
    ):
        before = contents(where) if where != str(text) else text.read_text()
        for action in ("upgrade", "current"):
            code, out, err = run(["store", action, where], capsys)
            assert code == 2 and out == "" and said in err and "Traceback" not in err, err
        assert (contents(where) if where != str(text) else text.read_text()) == before
    assert revision_of(pg_url) is None


def test_a_path_that_is_no_store_file_or_a_url_of_another_kind_is_refused(tmp_path, capsys):
    for where, said in (
        (str(tmp_path / "missing.sqlite"), "missing.sqlite: no such file"),
        (str(tmp_path), "is a folder, not a casebook store file"),
        ("mysql://sam:hunter2-secret@db/team", "a casebook store is a SQLite file or a Postgre"),
        ("", "name the store"),
    ):
        code, out, err = run(["store", "upgrade", where], capsys)
        assert code == 2 and out == "" and said in err and "Traceback" not in err, err
        assert "hunter2-secret" not in err
    assert not (tmp_path / "missing.sqlite").exists()


def test_an_unreachable_or_unreadable_url_is_refused_without_its_password(pg_url, capsys):
    url = sa.engine.make_url(pg_url)
    port = url.port
    wrong = url.set(password="not-the-password-1234").render_as_string(hide_password=False)
    closed = url.set(port=1).render_as_string(hide_password=False)
    nodb = url.set(database="no_such_db").render_as_string(hide_password=False)
    for where, said in (
        (wrong, "refused the user name or password"),
        (closed, "cannot reach the database server"),
        (nodb, "there is no such database"),
        (f"postgresql://sam:pw-secret-99@127.0.0.1:{port}:x/db", "not a database URL"),
    ):
        for action in ("upgrade", "current"):
            code, out, err = run(["store", action, where], capsys)
            assert code == 2 and out == "" and said in err and "Traceback" not in err, err
            for secret in ("not-the-password-1234", "pw-secret-99", str(url.password)):
                assert secret not in err
    with pytest.raises(CasekitError, match="is not a database URL casekit can read") as refused:
        casekit.open(f"postgresql://sam:pw-secret-99@127.0.0.1:{port}:x/db")
    assert "pw-secret-99" not in str(refused.value)


def test_a_store_newer_than_this_casekit_is_refused_everywhere(store_url, capsys):
    casekit.open(store_url).close()
    execute(store_url, "UPDATE alembic_version SET version_num = '9999'")
    before = contents(store_url)
    newer = "made by a newer casekit. Upgrade casekit"
    for readonly in (False, True):
        with pytest.raises(CasekitError, match=newer):
            casekit.open(store_url, readonly=readonly)
    for action in ("upgrade", "current"):
        code, out, err = run(["store", action, store_url], capsys)
        assert code == 2 and out == "" and "revision 9999" in err and newer in err, err
    assert contents(store_url) == before and revision_of(store_url) == "9999"


def test_a_store_from_before_alembic_with_a_newer_schema_number_is_refused(tmp_path, capsys):
    path = unpack_store("schema3.sqlite.gz", tmp_path)
    for value, said in (
        (
            "7",
            f"schema 7, but this casekit reads {SCHEMA_VERSION}: it was made by a newer "
            "casekit. Upgrade",
        ),
        (
            "x",
            f"schema x, but this casekit reads {SCHEMA_VERSION}. It is damaged or not a "
            "casebook store",
        ),
    ):
        execute(str(path), f"UPDATE _meta SET value = '{value}' WHERE key = 'schema'")
        before = digest(path)
        code, out, err = run(["store", "upgrade", str(path)], capsys)
        assert code == 2 and out == "" and said in err, err
        with pytest.raises(CasekitError, match=said.split(":")[0]):
            casekit.open(path)
        assert digest(path) == before and revision_of(str(path)) is None


# --- a failed migration -------------------------------------------------------------------------

FAILING = '''"""A test-only revision that changes the store, then fails part way."""

import sqlalchemy as sa
from alembic import op

revision = "9999"
down_revision = {down!r}
branch_labels = None
depends_on = None
SCHEMA = "99"


def upgrade():
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("half_done", sa.Text))
    op.create_table("_half_done", sa.Column("id", sa.Integer, primary_key=True))
    op.execute("UPDATE _meta SET value = '99' WHERE key = 'schema'")
    op.execute("UPDATE events SET half_done = 'x'")
    {failure}


def downgrade():
    pass
'''


def failing_revisions(folder: Path, failure: str) -> Path:
    folder.mkdir()
    (folder / "rev9999_fails.py").write_text(FAILING.format(down=head(), failure=failure))
    return folder


@pytest.mark.parametrize(
    "failure, error",
    [("op.execute('INSERT INTO no_such_table VALUES (1)')", CasekitError),
     ("raise RuntimeError('a bug in a revision')", RuntimeError)],
)  # fmt: skip
@both_legacy
def test_a_migration_failing_part_way_leaves_the_store_as_it_was(
    legacy_on_both, failure, error, tmp_path
):
    extra = failing_revisions(tmp_path / "failing", failure)
    before = contents(legacy_on_both)
    with pytest.raises(error) as failed:
        upgrade_store(legacy_on_both, extra=[extra])
    if error is CasekitError:
        assert "upgrading the store from store schema 4 (from before Alembic) to revision " \
            "9999 failed, so nothing was changed: it is still at store schema 4" \
            in str(failed.value)  # fmt: skip
        assert "no_such_table" in str(failed.value)
        if "://" in legacy_on_both:
            assert str(sa.engine.make_url(legacy_on_both).password) not in str(failed.value)
    assert contents(legacy_on_both) == before  # no column, no table, no _meta change
    assert revision_of(legacy_on_both) is None and meta_schema(legacy_on_both) == "4"
    upgrade_store(legacy_on_both)  # the real chain still upgrades it
    assert revision_of(legacy_on_both) == head() and contents(legacy_on_both) == before
    with pytest.raises(error):  # and a store on the chain is rolled back as well
        upgrade_store(legacy_on_both, extra=[extra])
    assert revision_of(legacy_on_both) == head() and contents(legacy_on_both) == before


def test_a_sqlite_store_failing_to_upgrade_on_opening_is_left_as_it_was(tmp_path, monkeypatch):
    path = unpack_store("schema2.sqlite.gz", tmp_path)
    extra = failing_revisions(tmp_path / "failing", "raise RuntimeError('a bug')")
    before = contents(str(path))
    real = migrations.upgrade
    monkeypatch.setattr(migrations, "upgrade", lambda conn, label, _=(): real(conn, label, [extra]))
    monkeypatch.setattr(migrations, "position", _position_with(extra))
    with pytest.raises(RuntimeError, match="a bug"):
        casekit.open(path)
    assert contents(str(path)) == before and meta_schema(str(path)) == "2"
    assert revision_of(str(path)) is None


def _position_with(extra: Path):
    real = migrations.position

    def position(conn, label, _=()):
        return real(conn, label, [extra])

    return position


# --- the command --------------------------------------------------------------------------------


def test_the_store_command_is_listed_and_asks_for_an_action(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0 and "store" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        main(["store"])
    assert done.value.code == 2 and "ACTION" in capsys.readouterr().err
    with pytest.raises(SystemExit) as done:
        main(["store", "upgrade"])
    assert done.value.code == 2 and "STORE" in capsys.readouterr().err


def test_store_current_only_reads(tmp_path, capsys):
    path = unpack_store("schema1.sqlite.gz", tmp_path)
    before = digest(path)
    code, out, _ = run(["store", "current", f"sqlite:///{path}"], capsys)
    assert code == 0 and "store schema 1 (from before Alembic), behind this casekit's" in out
    assert "'casekit store upgrade" in out and digest(path) == before
