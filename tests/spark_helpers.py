"""A Spark Connect server for the tests: local mode, on 127.0.0.1 only, asking for a token.

:func:`connect_server` starts ``pyspark``'s own Spark Connect plugin in a child process (no
download: the server jar ships in the pyspark wheel), bound to 127.0.0.1 on a free port, with a
random token given through the environment (never on the command line, where ``ps`` shows it);
it yields the ``sc://localhost:PORT`` URL and the token, and stops the server after.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["SERVER", "connect_server", "free_port"]

SERVER = r"""
import sys
from pyspark.sql import SparkSession
conf = {
    "spark.plugins": "org.apache.spark.sql.connect.SparkConnectPlugin",
    "spark.connect.grpc.binding.address": "127.0.0.1",
    "spark.connect.grpc.binding.port": sys.argv[1],
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "4",
}
builder = SparkSession.builder.master("local[2]").appName("casekit-connect-test")
for key, value in conf.items():
    builder = builder.config(key, value)
session = builder.getOrCreate()
session.sparkContext.setLogLevel("ERROR")
print("ready", flush=True)
sys.stdin.read()  # until the test closes our stdin
session.stop()
"""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def connect_server(timeout: float = 240) -> Iterator[tuple[str, str]]:
    """Run a Spark Connect server for the test; yield its URL and its token."""
    port, token = free_port(), secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "SPARK_CONNECT_AUTHENTICATE_TOKEN": token,
        "SPARK_LOCAL_IP": "127.0.0.1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # "ready" once the session (and its server) is up
        assert line.strip() == "ready", f"the Spark Connect server did not start: {line!r}"
        deadline = time.monotonic() + timeout
        while True:  # the plugin's gRPC server may come up just after the session
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield f"sc://localhost:{port}", token
    finally:
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
