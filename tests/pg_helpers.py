"""A throwaway PostgreSQL cluster for the test run, and a fresh database for each test.

Unless ``CASEKIT_TEST_PG_URL`` names a server to use (a URL of a user who may create
databases), :class:`Cluster` runs ``initdb`` into a private temporary folder, starts the server
on a free port of 127.0.0.1 only (password login over TCP, and its unix socket in that folder),
and removes it all at the end. PostgreSQL refuses to run as root, so as root the cluster is
Debian's ``postgres`` user's, run through ``runuser``. Under pytest-xdist each worker starts its
own. Missing PostgreSQL is a failure that says how to install it, never a skip.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

__all__ = ["Cluster", "NO_POSTGRES", "find_bindir"]

PG_URL_ENV = "CASEKIT_TEST_PG_URL"
NO_POSTGRES = (
    "The PostgreSQL tests need PostgreSQL's server programs (initdb, pg_ctl): run 'make test' "
    "as root to install Debian's postgresql, or 'sudo apt-get install postgresql', or set "
    f"{PG_URL_ENV}=postgresql://USER:PASSWORD@127.0.0.1:PORT/postgres to a server where USER "
    "is a superuser (the roles tests create roles and read pg_authid)."
)
USER = "casekit_test"


def find_bindir() -> Path | None:
    """Find the folder of PostgreSQL's server programs: Debian's newest, else on the PATH."""
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if debian:
        return debian[-1].parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """A PostgreSQL server for the tests: a throwaway one, or the one named in the environment."""

    def __init__(self, durable: bool = False) -> None:
        """Start a throwaway cluster, or connect to the given server.

        A throwaway cluster skips fsync (a killed client, not a lost machine, is what the
        tests need), unless ``durable`` (for benchmarks that compare with SQLite's).
        """
        self.durable = durable
        self.folder: Path | None = None
        self.bindir: Path | None = None
        given = os.environ.get(PG_URL_ENV, "").strip()
        self.admin_url = sa.engine.make_url(given) if given else self._start()
        self.admin_url = self.admin_url.set(drivername="postgresql+psycopg")
        self.admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")

    def _as_owner(self) -> list[str]:
        """The prefix that runs a command as the cluster's owner (``postgres`` as root)."""
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        assert self.bindir is not None
        command = [*self._as_owner(), str(self.bindir / args[0]), *args[1:]]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:1])} failed: {done.stdout}{done.stderr}")

    def _start(self) -> sa.URL:
        self.bindir = find_bindir()
        if self.bindir is None:
            raise RuntimeError(NO_POSTGRES)
        # 0700; as root in /tmp, which postgres may enter whatever $TMPDIR is
        root = os.geteuid() == 0
        self.folder = Path(tempfile.mkdtemp(prefix="casekit-pg-", dir="/tmp" if root else None))
        password = secrets.token_urlsafe(24)
        pwfile = self.folder / "pw"
        pwfile.write_text(password + "\n")
        pwfile.chmod(0o600)
        if root:
            shutil.chown(self.folder, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        data = self.folder / "data"
        self._run(
            "initdb",
            "-D",
            str(data),
            "-U",
            USER,
            f"--pwfile={pwfile}",
            "--auth-host=scram-sha-256",
            "--auth-local=peer",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        pwfile.unlink()
        for attempt in range(3):
            port = _free_port()
            options = f"-h 127.0.0.1 -p {port} -k {self.folder} -c max_connections=200"
            options += "" if self.durable else " -c fsync=off"
            try:
                self._run(
                    "pg_ctl", "-D", str(data), "-l", str(self.folder / "log"), "-o", options,
                    "-w", "-t", "60", "start",
                )  # fmt: skip
                break
            except RuntimeError:
                if attempt == 2:
                    raise
                time.sleep(0.5)
        return sa.URL.create("postgresql+psycopg", USER, password, "127.0.0.1", port, "postgres")

    def new_database(self) -> str:
        """Create an empty database and return its URL (with the password, for the tests)."""
        name = f"casekit_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        return self.admin_url.set(drivername="postgresql", database=name).render_as_string(
            hide_password=False
        )

    def drop_database(self, url: str) -> None:
        """Drop a database made by :meth:`new_database`, even if a killed writer held it."""
        name = sa.engine.make_url(url).database
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Stop the throwaway cluster and remove its folder (a given server is left alone)."""
        self.admin.dispose()
        if self.folder is None:
            return
        try:
            self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
