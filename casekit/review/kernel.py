"""Warm kernels for review batches: started early, casekit imported and the bundle loaded once.

A cold kernel spends longer importing pandas and matplotlib and loading the bundle than it
spends on one team's review. A :class:`WarmKernel` is started before the reviews are planned,
does that work once while the parent checks the parameters, and then runs each team's
notebook in turn through papermill. Before each team it moves into that team's working
directory; after a team fails it is restarted, so a broken review never leaves state behind
for the next one. The kernel talks over local IPC sockets in a private folder, not TCP, and
runs with umask 077, so whatever it writes is its owner's alone from the start.
"""

from __future__ import annotations

import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from casekit.errors import CasekitError

__all__ = ["PRIVATE_UMASK", "WarmKernel", "warm_up_code"]

PRIVATE_UMASK = 0o077
"""The kernels' umask: every file they create is 0600 and every folder 0700 (on POSIX)."""
KERNEL_START_TIMEOUT = 120
"""Seconds a kernel may take to start (parallel starts on a busy machine are slow)."""


def warm_up_code(data: str | Path) -> str:
    """Return the code a kernel runs before any review: imports, and the bundle loaded."""
    return f"from casekit import review_report\nreview_report.preload({str(data)!r})"


@cache
def _manager_class() -> type:
    from jupyter_client import KernelManager

    class Manager(KernelManager):
        """A kernel manager that keeps the clients it hands out, so they can be closed."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.handed_out: list[Any] = []

        def client(self, **kwargs: Any) -> Any:
            made = super().client(**kwargs)
            self.handed_out.append(made)
            return made

    return Manager


class WarmKernel:
    """A Python kernel that reviews team after team of one bundle."""

    def __init__(self, data: str | Path, kernel_name: str = "python3") -> None:
        """Start the kernel and send it the warm-up; return without waiting for either."""
        self.data = data
        self.kernel_name = kernel_name
        self._sockets = Path(tempfile.mkdtemp(prefix="casekit-kernel-"))
        self.km: Any = None
        self._warming: Any = None
        self._start()

    def _start(self) -> None:
        self.km = _manager_class()(
            kernel_name=self.kernel_name,
            transport="ipc",
            ip=str(self._sockets / "ipc"),
            client_class="jupyter_client.asynchronous.AsyncKernelClient",
        )
        try:
            # umask 077: what the kernel writes (tables, a notebook's own files) is private
            # from the moment it exists, not only once the team's folder is made private
            self.km.start_kernel(umask=PRIVATE_UMASK)
        except Exception as exc:  # no such kernel, a broken environment, ...
            raise CasekitError(
                f"could not start a {self.kernel_name} kernel for the reviews: {exc}. "
                "Set up the environment with `make install`."
            ) from exc
        self._warming = self._client()
        self._warming.execute(warm_up_code(self.data), silent=True, store_history=False)

    def _client(self) -> Any:
        from jupyter_client import BlockingKernelClient

        client = BlockingKernelClient()
        client.load_connection_info(self.km.get_connection_info())
        client.start_channels()
        return client

    def _run(self, code: str) -> None:
        """Run ``code`` silently once the warm-up has finished."""
        if self._warming is not None:  # its outcome does not matter: a notebook that
            try:  # needs what failed will fail itself, with a clear message
                # a kernel answers in order, so it is ready once the warm-up has run
                self._warming.wait_for_ready(timeout=KERNEL_START_TIMEOUT)
            finally:
                self._warming.stop_channels()
                self._warming = None
        client = self._client()
        try:
            client.execute_interactive(code, silent=True, timeout=KERNEL_START_TIMEOUT)
        finally:
            client.stop_channels()

    def run(self, notebook: Path, executed: Path, parameters: dict[str, object], cwd: Path) -> None:
        """Run ``notebook`` with ``parameters`` in ``cwd`` and write it to ``executed``.

        Raises what papermill raises; the kernel is restarted afterwards if the run failed.
        """
        import papermill

        km = self.km  # a restart below replaces it; its clients are closed all the same
        try:
            self._run(f"import os as _os\n_os.chdir({str(cwd)!r})")
            papermill.execute_notebook(
                str(notebook),
                str(executed),
                parameters=parameters,
                kernel_name=self.kernel_name,
                progress_bar=False,
                request_save_on_cell_execute=False,
                start_timeout=KERNEL_START_TIMEOUT,
                km=km,
            )
        except BaseException:
            self.restart()
            raise
        finally:
            for client in km.handed_out:  # papermill leaves its client open
                client.stop_channels()
            km.handed_out.clear()

    def restart(self) -> None:
        """Replace the kernel with a fresh, warmed one."""
        self.shutdown(keep_folder=True)
        self._start()

    def shutdown(self, keep_folder: bool = False) -> None:
        """Stop the kernel (and remove its socket folder unless ``keep_folder``)."""
        if self.km is not None and self.km.has_kernel:
            self.km.shutdown_kernel(now=True)
        if not keep_folder:
            shutil.rmtree(self._sockets, ignore_errors=True)

    def __enter__(self) -> WarmKernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
