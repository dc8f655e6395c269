"""Spark sessions for casekit: local mode on this machine, or a Spark Connect URL.

Local mode runs one Spark driver in this process (Spark allows one per process), bound to
127.0.0.1 with no web UI, its logs errors only and no progress bars. Engines opened in the
same process share it: each :func:`spark_session` takes a hold on it and the function it
returns lets go, and the session stops when the last hold goes, so closing one engine never
stops another's. A session casekit did not start (one of your own, already running) is used
and never stopped. A Spark Connect URL (``sc://host:15002``) gets a session of its own on that
server, stopped when its engine closes; its token comes from ``$SPARK_CONNECT_AUTHENTICATE_TOKEN``
and never from the URL, which ends up in notebooks, shell history and logs. pyspark cannot run
local mode and Spark Connect side by side in one process, so each kind is refused with a clear
message while the other is open, and casekit takes pyspark out of Connect mode when its last
Connect session closes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from casekit.errors import CasekitError, one_line
from casekit.outputs import SCRATCH_NOTE, note_scratch_process, private_temp
from casekit.stopping import from_a_stop, interruptible, signalled

if TYPE_CHECKING:
    import ibis.expr.operations as ops
    import ibis.expr.types as ir
    import pandas as pd
    from ibis.backends.pyspark import Backend

__all__ = [
    "LOCAL_CONFIG",
    "TOKEN_ENV",
    "check_connect_url",
    "java",
    "run_materialised",
    "shared_parts",
    "spark_session",
]

LOCAL_CONFIG = {
    "spark.ui.enabled": "false",  # no web UI: nothing listens beyond the driver
    "spark.ui.showConsoleProgress": "false",  # no progress bars on stderr
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
    "spark.sql.session.timeZone": "UTC",  # dates stay dates, whatever the machine's zone
    "spark.sql.shuffle.partitions": "8",
    # Local mode runs the executors inside the driver's JVM, whose heap is 1 GB by default: the
    # flags at 200k cases spent most of their time in full garbage collections there. The JVM
    # takes memory as it needs it, up to this.
    "spark.driver.memory": "4g",
    "spark.sql.ansi.enabled": "false",
    # In-memory tables reach Spark through pandas: without Arrow a missing text arrives as the
    # text "NaN" and a whole-number column with a missing value loses its other values too.
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
"""Local mode's settings: bound to this machine, no UI, quiet, dates in UTC."""
TOKEN_ENV = "SPARK_CONNECT_AUTHENTICATE_TOKEN"
"""Where a Spark Connect server's token is given (as pyspark itself reads it)."""
LOG_CONFIG = Path(__file__).with_name("log4j2.properties")
"""Spark's logging for casekit: errors only."""
NO_JAVA = (
    "engine=spark needs Java 17 or later, and none was found (JAVA_HOME is {home}; no java on "
    "the PATH). Install it (Debian: apt-get install openjdk-17-jre-headless; 'make test' does "
    "so as root) or set JAVA_HOME, or run the flags on DuckDB (engine=duckdb, the default)."
)

JAVA_MODULE_NOTE = b"WARNING: Using incubator modules"
"""The start of the line Java prints at each Spark start, which casekit leaves out."""

SCRATCH_PREFIX = "casekit-spark-"
"""The start of the name of local mode's private scratch folder, in the temporary folder."""

_LOCK = threading.Lock()
_OURS: dict[str, Any] = {"session": None, "holds": 0}
"""casekit's local session in this process, and how many engines hold it."""
_REMOTE: dict[str, Any] = {"open": 0, "ours": False}
"""How many Spark Connect sessions casekit holds open, and whether casekit put pyspark in
Connect mode (``$SPARK_CONNECT_MODE_ENABLED``), to take it out again after the last."""
MODE_ENV = "SPARK_CONNECT_MODE_ENABLED"
"""Set by pyspark once a process uses Spark Connect: from then on pyspark's functions build
Connect expressions, which a local (classic) session cannot run."""
MIXED = (
    "engine=spark: this Python process {has}, and pyspark cannot run local mode and Spark "
    "Connect side by side in one process. Close the engines of the other kind first, or run "
    "this in a new process or kernel."
)


def java() -> str:
    """Return the java Spark would start, or refuse with how to install it."""
    home = os.environ.get("JAVA_HOME", "").strip()
    if home:
        found = Path(home) / "bin" / "java"
        if found.is_file() and os.access(found, os.X_OK):
            return str(found)
        raise CasekitError(NO_JAVA.format(home=repr(home) + ", which holds no bin/java"))
    on_path = shutil.which("java")
    if on_path is None:
        raise CasekitError(NO_JAVA.format(home="not set"))
    return on_path


def check_connect_url(url: str) -> str:
    """Refuse a Spark Connect URL that is not ``sc://`` or that carries a token."""
    if not url.startswith("sc://"):
        raise CasekitError(
            f"engine=spark: a cluster is reached through a Spark Connect URL, "
            f"sc://host:15002 (got one starting {url.split(':')[0]!r})."
        )
    if "@" in url.split(";", 1)[0]:
        raise CasekitError(
            "engine=spark: a Spark Connect URL holds no user or password (sc://host:15002); "
            f"the server's token goes in ${TOKEN_ENV}."
        )
    params = [p.split("=", 1)[0].strip().lower() for p in url.split(";")[1:]]
    if "token" in params:
        shown = url.split(";", 1)[0] + ";token=***"
        raise CasekitError(
            f"engine=spark: the URL {shown} holds the server's token, which would then be in "
            f"your shell history, notebooks and logs. Leave it out and set ${TOKEN_ENV} instead."
        )
    return url


def _alive(session: Any) -> bool:
    """Tell whether a local (classic) session's Spark context is still running."""
    if session is None:
        return False
    try:
        return getattr(session.sparkContext, "_jsc", None) is not None
    except Exception:  # a Spark Connect session has no Spark context: never a local one
        return False


def _stopper(session: Any) -> Callable[[], None]:
    """Give the function that lets go of the local session, stopping it after the last hold."""
    done = {"once": False}

    def release() -> None:
        with _LOCK:
            if done["once"] or _OURS["session"] is not session:
                return
            done["once"] = True
            _OURS["holds"] -= 1
            if _OURS["holds"] <= 0:
                scratch = _OURS.pop("scratch", None)
                _OURS.pop("forget", lambda: None)()  # no stop may cancel jobs of a session gone
                _OURS["session"], _OURS["holds"] = None, 0
                try:
                    session.stop()
                finally:
                    if scratch:  # casekit's own folder: Spark's shuffle and spill files
                        _let_go_of_scratch(Path(scratch))

    return release


def _forget_scratch(scratch: Path) -> bool:
    """Make this process's JVM forget casekit's scratch folder; say whether it did.

    Spark keeps the local folders it chose for as long as its JVM runs (``Utils.localRootDirs``,
    cleared only by ``Utils.clearLocalRootDirs``, which Spark keeps for its own tests), and
    pyspark keeps the JVM after a session stops: a session started later in this process (one
    of your own) would write its shuffle files into casekit's folder again, re-made with the
    umask's mode. When pyspark started the JVM for casekit's session, casekit's settings are
    also the JVM's system properties, which a later session's settings start from. Both are
    undone here, so a later session chooses its own folders.
    """
    from pyspark.core.context import SparkContext

    jvm = SparkContext._jvm
    if jvm is None:
        return True
    try:
        utils = jvm.java.lang.Class.forName("org.apache.spark.util.Utils$")
        utils.getField("MODULE$").get(None).clearLocalRootDirs()
        system = jvm.java.lang.System
        if system.getProperty("spark.local.dir") == str(scratch):  # put there for casekit
            system.clearProperty("spark.local.dir")
    except Exception:  # py4j's errors: a Spark without these internals
        return False
    return True


def _let_go_of_scratch(scratch: Path) -> None:
    """Remove casekit's scratch folder once Spark has stopped and forgotten it.

    If the JVM could not be made to forget it, the folder itself stays (empty, 0700, with its
    note), so nothing a later session writes there is readable by others, and the next casekit
    Spark start after this process has ended removes it.
    """
    if _forget_scratch(scratch):
        shutil.rmtree(scratch, ignore_errors=True)
        return
    entries = list(scratch.iterdir()) if scratch.is_dir() and not scratch.is_symlink() else []
    for entry in entries:
        if entry.name == SCRATCH_NOTE:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _start() -> tuple[Any, str]:
    """Start casekit's local Spark: loopback only, no UI, errors-only logs, private scratch.

    Spark's shuffle and spill files (case data) go to a folder only this user can read
    (``spark.local.dir``), noted with this process and Spark's JVM, which :func:`_stopper`
    removes with the session; folders that killed runs left are removed first (see
    :func:`casekit.outputs.private_temp`). The folder is returned beside the session.
    """
    from pyspark.core.context import SparkContext
    from pyspark.sql import SparkSession

    java()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no address but loopback
    scratch = str(private_temp(SCRATCH_PREFIX))  # 0700, with a note of who writes it
    builder = SparkSession.builder.master("local[*]").appName("casekit")
    for key, value in LOCAL_CONFIG.items():
        builder = builder.config(key, value)
    builder = builder.config("spark.local.dir", scratch).config(
        "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={LOG_CONFIG}"
    )
    # pyspark sets a Ctrl-C handler of its own that asks the JVM to cancel its jobs from the
    # main thread, which is itself waiting inside a call to the JVM: py4j refuses that call
    # ("reentrant call") and logs tracebacks. The handler that was there is put back, and the
    # jobs are cancelled from casekit's stop watcher's thread instead (casekit.stopping).
    main = threading.current_thread() is threading.main_thread()
    handler = signal.getsignal(signal.SIGINT) if main else None
    for logger in (logging.getLogger(), logging.getLogger("py4j.clientserver")):
        if not any(isinstance(f, _Py4jInterrupted) for f in logger.filters):
            logger.addFilter(_Py4jInterrupted())
    try:
        _launch_jvm(cast(dict[str, str], builder._options))
        session = builder.getOrCreate()
    except BaseException as exc:  # pyspark raises its own kinds when the JVM fails
        shutil.rmtree(scratch, ignore_errors=True)
        if not isinstance(exc, Exception):
            raise  # a stop (Ctrl-C, SIGTERM) while Spark started
        raise CasekitError(
            f"engine=spark: Spark did not start ({one_line(exc)}). Check that Java 17 or later "
            "works (java -version), or run the flags on DuckDB (engine=duckdb)."
        ) from None
    finally:
        if handler is not None:
            signal.signal(signal.SIGINT, handler)
    session.sparkContext.setLogLevel("ERROR")
    jvm = getattr(SparkContext._gateway, "proc", None)  # the JVM pyspark started, if it did
    if jvm is not None:  # it writes the shuffle files: a killed run's folder waits for it too
        note_scratch_process(scratch, jvm.pid)
    return session, scratch


class _Py4jInterrupted(logging.Filter):
    """Leave out py4j's tracebacks for a Ctrl-C (or SIGTERM) that stops a call to the JVM.

    py4j logs one at ERROR on the root logger ("KeyboardInterrupt while sending command."),
    then closes the connection (which may find the JVM's end closed already, logged too) and
    raises the interrupt again, which the command says in one line.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record but py4j's notes of a stop it handles itself."""
        message = record.getMessage()
        if message.startswith("KeyboardInterrupt while sending command"):
            return False
        closing = message.startswith("Exception occurred while shutting down connection")
        stopped = bool(signalled()) or bool(record.exc_info and from_a_stop(record.exc_info[1]))
        return not (closing and stopped)


def _launch_jvm(options: dict[str, str]) -> None:
    """Start Spark's JVM, unless one runs, with its stderr passed on but for Java's module note.

    Spark starts every JVM with ``--add-modules=jdk.incubator.vector``, for which Java prints
    ``WARNING: Using incubator modules: jdk.incubator.vector`` before any logging is set up, and
    no setting turns it off: it reached a command's stderr and, in a notebook, the report's
    output. So the JVM is started here as pyspark would (the same settings on its command
    line), its stderr a pipe that a daemon thread reads to its end, passing every other line on
    to this process's stderr as it comes: Spark's own errors still show.
    """
    from pyspark import java_gateway
    from pyspark.conf import SparkConf
    from pyspark.core.context import SparkContext

    if SparkContext._gateway is not None or "PYSPARK_GATEWAY_PORT" in os.environ:
        return  # a JVM runs already (pyspark keeps it after a session stops), or was given
    conf = SparkConf()
    for key, value in options.items():
        conf.set(key, value)
    read, write = os.pipe()
    threading.Thread(
        target=_pass_on, args=(read,), daemon=True, name="casekit-spark-stderr"
    ).start()
    started: list[subprocess.Popen[bytes]] = []
    module = cast(Any, java_gateway)
    popen = module.Popen

    def recorded(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        started.append(popen(*args, **kwargs))
        return started[-1]

    module.Popen = recorded  # (under _LOCK) to know the JVM pyspark starts
    try:
        gateway = java_gateway.launch_gateway(conf, popen_kwargs={"stderr": write})
    except BaseException:
        # Stopped while the JVM starts (Ctrl-C): pyspark leaves it running, its gateway having
        # lost the file it was to report its port in. It is casekit's child: end it.
        for jvm in started:
            with contextlib.suppress(OSError):
                jvm.kill()
                jvm.wait(timeout=30)
        raise
    finally:
        module.Popen = popen
        os.close(write)  # the JVM holds its own copy: the thread's read ends when the JVM does
    SparkContext._ensure_initialized(gateway=gateway, conf=conf)


def _pass_on(fd: int) -> None:
    """Copy the JVM's stderr to this process's, line by line, leaving out Java's module note."""
    with os.fdopen(fd, "rb") as lines:
        for line in lines:
            if line.startswith(JAVA_MODULE_NOTE) or signalled():
                continue  # once the command is stopped, what its cancelled tasks say is noise
            with contextlib.suppress(Exception):  # a closed or replaced stderr: nothing to do
                sys.stderr.write(line.decode("utf-8", "replace"))
                sys.stderr.flush()


def _local() -> tuple[Any, Callable[[], None]]:
    """Take a hold on casekit's local session (starting it), or use one already running."""
    from pyspark.sql import SparkSession

    with _LOCK:
        if os.environ.get(MODE_ENV) or os.environ.get("SPARK_REMOTE"):
            raise CasekitError(MIXED.format(has="uses Spark Connect"))
        ours = _OURS["session"]
        if not _alive(ours):
            theirs = SparkSession.getActiveSession() or SparkSession._instantiatedSession
            if _alive(theirs):
                return theirs, lambda: None  # someone else's session: theirs to stop
            session, scratch = _start()
            forget = interruptible(session.sparkContext.cancelAllJobs)  # on Ctrl-C, SIGTERM
            _OURS.update(session=session, holds=0, scratch=scratch, forget=forget)
        _OURS["holds"] += 1
        return _OURS["session"], _stopper(_OURS["session"])


def spark_session(url: str | None = None) -> tuple[Any, Callable[[], None]]:
    """Start (or reach) a Spark session; return it and the function that lets go of it.

    With no ``url``, Spark runs in local mode on this machine's cores (shared by this
    process's engines). A ``sc://`` URL reaches a cluster through Spark Connect, with the
    token in ``$SPARK_CONNECT_AUTHENTICATE_TOKEN`` when the server asks for one.
    """
    try:
        import pyspark.sql  # noqa: F401  (only to say so plainly when it is missing)
    except ImportError:  # pragma: no cover - pyspark is a dependency
        raise CasekitError("engine=spark needs pyspark: pip install pyspark.") from None
    if not url:
        return _local()
    check_connect_url(url)
    _reachable(url)
    return _remote(url)


def _remote(url: str) -> tuple[Any, Callable[[], None]]:
    """Open a session of its own on a Spark Connect server; the function returned stops it."""
    from pyspark.core.context import SparkContext
    from pyspark.sql import SparkSession

    with _LOCK:
        if SparkContext._active_spark_context is not None:
            raise CasekitError(MIXED.format(has="already runs Spark in local mode"))
        if not _REMOTE["open"]:
            _REMOTE["ours"] = MODE_ENV not in os.environ
        try:
            session = SparkSession.builder.remote(url).create()
            session.range(1).collect()  # reach it now: a wrong token says so here
        except Exception as exc:  # grpc and pyspark raise their own kinds
            _leave_connect_mode()
            raise CasekitError(
                f"engine=spark: the Spark Connect server at {url} refused casekit "
                f"({_grpc_reason(exc)}). Check that ${TOKEN_ENV} holds its token."
            ) from None
        _REMOTE["open"] += 1
    done = {"once": False}

    def release() -> None:
        with _LOCK:
            if done["once"]:
                return
            done["once"] = True
            _REMOTE["open"] -= 1
            try:
                session.stop()
            finally:
                _leave_connect_mode()

    return session, release


def _leave_connect_mode() -> None:
    """Take pyspark out of Connect mode once casekit's last Connect session is gone.

    Only when casekit put it there, so a process that uses Spark Connect on its own stays so.
    """
    if _REMOTE["open"] <= 0 and _REMOTE["ours"]:
        os.environ.pop(MODE_ENV, None)
        _REMOTE["open"], _REMOTE["ours"] = 0, False


def _host_port(url: str) -> tuple[str, int]:
    """Read a Spark Connect URL's host and port (15002 unless given)."""
    where = url.removeprefix("sc://").split("/", 1)[0].split(";", 1)[0]
    host, _, port = where.rpartition(":") if ":" in where else (where, ":", "15002")
    try:
        return host.strip("[]") or "localhost", int(port)
    except ValueError:
        raise CasekitError(
            f"engine=spark: {url}: the port {port!r} is not a number; write sc://host:15002."
        ) from None


def _reachable(url: str, timeout: float = 10.0) -> None:
    """Refuse at once a Spark Connect URL nothing answers at (the client would retry minutes)."""
    host, port = _host_port(url)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        raise CasekitError(
            f"engine=spark: nothing answers at {host}:{port} ({exc.strerror or exc}); check "
            "the Spark Connect URL and that the server runs."
        ) from None


def _grpc_reason(exc: BaseException) -> str:
    """Give the status and details of a refused Spark Connect call, in one line."""
    text = str(exc)
    status = re.search(r"status = StatusCode\.(\w+)", text)
    details = re.search(r'details = "([^"]*)"', text)
    if status or details:
        return ": ".join(m.group(1) for m in (status, details) if m)
    return one_line(exc)


_WORK = (
    "Aggregate",
    "JoinChain",
    "Union",
    "Intersection",
    "Difference",
    "TableUnnest",
    "WindowFunction",
    "Distinct",
)
"""The operations that make a part worth computing once: joins, groupings, windows, unions."""
_LEAVES = ("DatabaseTable", "InMemoryTable", "SQLQueryResult", "UnboundTable", "JoinReference")
"""Relations never materialised: tables already (or a join's reference to its table)."""


def shared_parts(expr: ir.Table) -> list[ops.Relation]:
    """Find the parts of an expression that several others read, in the order to compute them.

    A part is a relation (not a table already) that at least two other relations read, directly
    or through their columns' expressions, and that does work worth doing once (a join, a
    grouping, a window, a union). Each comes after the parts it reads.
    """
    import ibis.expr.operations as ops
    from ibis.common.graph import Graph

    graph, _ = cast(Any, Graph.from_bfs(expr.op()).toposort())  # (sorted graph, dependents)
    readers: dict[ops.Relation, set[ops.Node]] = {}
    works: dict[ops.Node, bool] = {}
    for node, children in graph.items():  # children first: works[] of each child is known
        works[node] = type(node).__name__ in _WORK or any(works[c] for c in children)
        if not isinstance(node, ops.Relation) or type(node).__name__ == "JoinReference":
            continue
        for read in _relations_read(graph, node):
            readers.setdefault(read, set()).add(node)
    return [
        node
        for node in graph
        if node in readers
        and len(readers[node]) >= 2
        and works[node]
        and type(node).__name__ not in _LEAVES
    ]


def _relations_read(graph: Any, node: ops.Node) -> set[ops.Relation]:
    """Give the relations ``node`` reads directly (through values and joins, not further)."""
    import ibis.expr.operations as ops

    found: set[ops.Relation] = set()
    seen: set[ops.Node] = set()
    stack = list(graph[node])
    while stack:
        child = stack.pop()
        if child in seen:
            continue
        seen.add(child)
        if isinstance(child, ops.Relation) and type(child).__name__ != "JoinReference":
            found.add(child)
        else:
            stack.extend(graph[child])
    return found


def run_materialised(backend: Backend, expr: ir.Table) -> pd.DataFrame:
    """Run an expression on Spark computing each shared part once; return its rows.

    Spark inlines every common table expression where it is used, so a part that many others
    read is planned and run once for each (the twelve flags' one query made a plan of thousands
    of operators that Spark took minutes to optimise before running anything). Here each of
    :func:`shared_parts` is run once, in order, and kept by Spark (``localCheckpoint``: in the
    executors' memory, spilling to their disk, with its plan cut) under a temporary name the
    rest of the expression reads instead. The result is the same rows; the names and the kept
    parts are dropped afterwards, whatever happens.
    """
    import ibis.expr.operations as ops

    session = backend._session
    done: dict[ops.Node, ops.Node] = {}
    kept: list[tuple[str, Any]] = []
    try:
        for part in shared_parts(expr):
            rewritten = part.replace(done) if done else part
            table = rewritten.to_expr()
            backend._run_pre_execute_hooks(table)
            frame = session.sql(backend.compile(table)).localCheckpoint(eager=True)
            name = f"casekit_part_{uuid.uuid4().hex}"
            frame.createOrReplaceTempView(name)
            kept.append((name, frame))
            done[part] = ops.DatabaseTable(name=name, schema=part.schema, source=backend)
        final = expr.op().replace(done).to_expr() if done else expr
        return backend.to_pyarrow(final).to_pandas()
    finally:
        for name, frame in reversed(kept):
            _drop(session, name, frame)


def _drop(session: Any, name: str, frame: Any) -> None:
    """Drop a kept part's temporary name and free the memory it holds (best effort)."""
    with contextlib.suppress(Exception):
        session.catalog.dropTempView(name)
    with contextlib.suppress(Exception):  # a local session: the checkpoint's blocks go now
        frame._jdf.queryExecution().analyzed().rdd().unpersist(False)
