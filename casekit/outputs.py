"""Where and how casekit writes files: private, atomic, never through a symlink, never over yours.

Every file casekit creates goes through this module:

- :func:`write_private` writes one file atomically. The file is first written in a fresh
  private temporary folder beside its target (``mkdtemp``: a random name, mode 0700), so no
  one can plant a symlink at the temporary name, then made 0600 and renamed over the target;
  the rename replaces a symlink at the target rather than writing through it. A failure,
  a full disk included, leaves the target as it was and nothing half-written behind.
- :func:`private_folder` creates folders 0700 whatever the umask; :func:`make_private` and
  :func:`make_tree_private` make what other tools wrote (papermill, nbconvert) owner-only.
- :func:`claim_folder` guards an output folder. A folder casekit writes holds a manifest
  (``.casekit-manifest.json``) listing what it wrote; a folder holding anything else, the
  current folder or one above it, the home folder, an existing file where a folder is
  expected, or a folder holding the key file or an input is refused with a message saying
  what to do, before anything is touched. Reruns replace or remove only what the manifest
  lists.
- :func:`scratch_beside` makes the private folder a write fills beside its target (one
  file's, a bundle's, a dataset's), with a note (:data:`SCRATCH_NOTE`) of who is writing it:
  the user, the machine and the processes; :func:`private_temp` makes one, noted alike, in the
  system's temporary folder (an engine's spill: ``casekit-spark-*``, ``casekit-duckdb-*``).
  A run killed outright (``SIGKILL``, a power cut) cannot remove its folder;
  :func:`remove_stale_scratch` removes, on the next write to the same target (and
  :func:`remove_stale_temp` on the next folder of the same kind), only the folders whose note
  proves casekit wrote them and whose writers have all ended.
- :func:`safe_name` checks a value from the data (a team ID, say) before it becomes part of
  a file name: it may not climb out of the folder, name a device, or carry markup.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from casekit.errors import CasekitError, load_json, printable

__all__ = [
    "NOFOLLOW",
    "PRIVATE_FILE",
    "SERVED_EXPORTS",
    "person_folder",
    "PRIVATE_FOLDER",
    "MANIFEST",
    "OutputFolder",
    "claim_folder",
    "check_names",
    "disk_error",
    "write_failure",
    "is_workbook",
    "make_private",
    "make_tree_private",
    "private_folder",
    "protect_paths",
    "read_manifest",
    "SCRATCH_NOTE",
    "note_scratch_process",
    "private_temp",
    "remove_stale_scratch",
    "remove_stale_temp",
    "safe_name",
    "scratch_beside",
    "seal",
    "write_private",
]

PRIVATE_FILE = 0o600
"""Mode of every file casekit creates: readable and writable by its owner only."""
PRIVATE_FOLDER = 0o700
"""Mode of every folder casekit creates: usable by its owner only."""
MANIFEST = ".casekit-manifest.json"
"""The file, in every output folder, that lists what casekit wrote there."""

SERVED_EXPORTS: dict[str, tuple[str, ...]] = {
    "supervision_records": ("html", "docx"),
    "chronology_exports": ("html", "xlsx", "csv"),
}
"""The export folders (below the notebooks folder) that ``casekit app`` serves for download
after login, each with the only file kinds served from it; nothing else there is served. In
the app, each person's exports go in a folder of their own below these (:func:`person_folder`),
and only that person's login is served them."""

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
"""``os.O_NOFOLLOW`` where there is one (0 on Windows, where modes are ACLs instead)."""
_NOFOLLOW = NOFOLLOW
_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}

# --- names from the data ------------------------------------------------------------------------

_SAFE = re.compile(r"[^\W_]([\w.\-]{0,98}[\w\-])?")
"""A letter or digit, then letters, digits, '_', '-' or '.', not ending with '.'; 1-100 long."""
_RESERVED = re.compile(r"(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?", re.IGNORECASE)
"""Names Windows keeps for devices, with or without an extension."""


def person_folder(name: str) -> str:
    """Return the folder name that keeps one person's exports apart from everyone else's.

    Readable (letters, digits, ``.``, ``_`` and ``-`` of the name) and unique (a digest of the
    whole name), so two names never share a folder and no name climbs out of its parent.

    >>> person_folder("alice")
    'alice-2bd806c97f'
    >>> person_folder("../Sam Jones")
    'Sam-Jones-9bcd37b985'
    """
    import hashlib

    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")[:40] or "person"
    return f"{slug}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:10]}"


def safe_name(value: object, what: str = "ID") -> str:
    r"""Return ``value`` if it can be used as a file name as it is; raise otherwise.

    A safe name is 1-100 characters: a letter or digit first, then letters, digits, ``_``,
    ``-`` and ``.``, not ending with ``.``, and not a Windows device name (``CON``, ``NUL``,
    ``COM1``...). So it cannot climb out of a folder (``..``, ``/``, ``\``), be absolute,
    hide (a leading ``.``), carry control characters or NUL, format strings (``{}``), a URL
    scheme (``javascript:``) or markup.

    >>> safe_name("T01", "team ID")
    'T01'
    >>> safe_name("../../victim", "team ID")
    Traceback (most recent call last):
    ...
    casekit.errors.CasekitError: team ID '../../victim' cannot be used in a file name. ...
    """
    text = str(value)
    if _SAFE.fullmatch(text) and not _RESERVED.fullmatch(text):
        return text
    raise CasekitError(f"{what} {text!r} cannot be used in a file name. {_RULE}")


_RULE = (
    "An ID that names a file must be 1-100 letters, digits, '_', '-' or '.', start with a "
    "letter or digit, not end with '.', and not be a Windows device name (CON, NUL, COM1...)."
)


def check_names(values: Iterable[object], what: str, where: str) -> None:
    """Check every value with :func:`safe_name`; refuse them all in one message if any is bad.

    Names that differ only in upper and lower case are refused too: on Windows and macOS they
    would be the same file. ``where`` says where the values come from (``teams.csv``, say).
    """
    names = [str(v) for v in values]
    bad = []
    for v in names:
        try:
            safe_name(v, what)
        except CasekitError:
            bad.append(v)
    if bad:
        listed = ", ".join(repr(v) for v in bad[:10]) + (" ..." if len(bad) > 10 else "")
        raise CasekitError(
            f"{where}: {len(bad)} {what}(s) cannot be used in a file name: {listed}. {_RULE} "
            "Rename them in the data, then run again; nothing was written."
        )
    seen: dict[str, str] = {}
    for v in names:
        other = seen.setdefault(v.casefold(), v)
        if other != v:
            raise CasekitError(
                f"{where}: {what}s {other!r} and {v!r} differ only in upper and lower case, so "
                "their files would be the same file on Windows. Rename one; nothing was written."
            )


def _fchmod(fd: int, mode: int) -> None:
    """Set an open file's mode (POSIX); on Windows, where modes do not apply, do nothing."""
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)


# --- modes --------------------------------------------------------------------------------------


def make_private(path: str | Path) -> None:
    """Give one file (0600) or folder (0700) casekit wrote to its owner alone; never a symlink.

    A symlink is left alone (not followed, not changed).
    """
    flags = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a symlink: not ours to change
            return
        raise
    try:
        mode = os.fstat(fd).st_mode
        _fchmod(fd, PRIVATE_FOLDER if stat.S_ISDIR(mode) else PRIVATE_FILE)
    finally:
        os.close(fd)


def make_tree_private(folder: str | Path) -> None:
    """Make a folder casekit owns, and everything in it, private; symlinks are not followed."""
    make_private(folder)
    for root, dirs, files in os.walk(folder):  # os.walk does not descend into symlinks
        for name in dirs + files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                make_private(path)


def private_folder(path: str | Path, own_symlink_ok: bool = True) -> Path:
    """Create a folder (and any missing parents) 0700, whatever the umask; return it.

    An existing folder is used as it is. With ``own_symlink_ok=False`` the last part may not
    be a symlink (a folder inside one of casekit's own output folders, where a symlink could
    only have been planted).
    """
    path = Path(path)
    missing = []
    p = path
    while not p.exists() and not p.is_symlink():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for part in reversed(missing):
        try:
            os.mkdir(part, PRIVATE_FOLDER)
        except FileExistsError:
            pass  # made meanwhile by another writer: checked below like any existing folder
        else:
            make_private(part)  # the umask may have taken bits away from 0700, never added
    if not own_symlink_ok and path.is_symlink():
        raise CasekitError(
            f"{path}: is a symbolic link where casekit keeps a folder of its own; it was not "
            "followed. Remove the link, then run again."
        )
    if not path.is_dir():
        raise CasekitError(f"{path}: is a file, where a folder is expected. Choose another path.")
    return path


# --- writing one file ---------------------------------------------------------------------------


def disk_error(exc: OSError, what: str | Path, doing: str = "written") -> CasekitError:
    """Turn an OSError met while writing ``what`` into a one-line message with no data in it."""
    if exc.errno in _DISK_FULL:
        reason = "the disk (or your quota) is full"
        advice = "Free some space, then run again."
    else:
        reason = exc.strerror or type(exc).__name__
        advice = "Check the folder exists and that you may write to it, then run again."
    return CasekitError(f"{what}: could not be {doing} ({reason}); nothing was kept. {advice}")


def write_failure(exc: BaseException) -> CasekitError | None:
    """Say what a failed read or write means, in one line without data; None for a bug.

    An :class:`OSError` (a full disk, a folder you may not write) and SQLite's "database or
    disk is full" (raised through SQLAlchemy, whose message would list the record's values)
    are a user's to fix; anything else is not.
    """
    if isinstance(exc, OSError):
        return disk_error(exc, exc.filename or "a file", "read or written")
    orig = getattr(exc, "orig", exc)  # SQLAlchemy wraps the driver's error
    if type(orig).__module__ == "sqlite3" and "full" in str(orig):
        return disk_error(OSError(errno.ENOSPC, "full"), "the casebook store")
    return None


@contextlib.contextmanager
def _scratch(beside: Path) -> Iterator[Path]:
    """Yield a fresh private folder (random name, 0700, noted) beside ``beside``; remove it after.

    Folders that killed writes of the same file left are removed first (see
    :func:`remove_stale_scratch`).
    """
    remove_stale_scratch(beside)
    tmp = scratch_beside(beside)
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def seal(path: Path) -> None:
    """Make a finished temporary file 0600 and flush it to disk before it is renamed into place.

    A writer that replaced the file made it with the umask; the flush means a crash after the
    rename never leaves an empty file where the earlier one was.
    """
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    try:
        _fchmod(fd, PRIVATE_FILE)
        os.fsync(fd)
    finally:
        os.close(fd)


def write_private(out: str | Path, write: Callable[[Path], object] | bytes) -> Path:
    """Write one file atomically, readable by its owner only; a failure leaves no half of it.

    ``write`` is the file's bytes, or a function given a temporary path (with ``out``'s name,
    so its suffix) to write. That path is inside a fresh private folder beside ``out``, so no
    one can plant a symlink there; the finished file is made 0600 and then renamed over
    ``out``, replacing a symlink at ``out`` instead of writing through it. A full disk, or any
    other failed write, raises :class:`CasekitError` with a one-line message.
    """
    out = Path(out)
    if not out.parent.is_dir():
        raise CasekitError(f"{out.parent}: no such folder. Create it first.")
    if out.is_dir() and not out.is_symlink():
        raise CasekitError(f"{out}: is a folder, where a file is expected. Choose a file name.")
    try:
        with _scratch(out) as tmp:
            target = tmp / out.name
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, PRIVATE_FILE)
            if isinstance(write, bytes):
                with os.fdopen(fd, "wb") as fh:
                    fh.write(write)
            else:
                os.close(fd)
                write(target)
            seal(target)
            os.replace(target, out)
    except OSError as exc:
        raise disk_error(exc, out) from None
    return out


# --- output folders -----------------------------------------------------------------------------


def protect_paths(out: str | Path, protected: dict[str, str | Path | None], label: str) -> None:
    """Refuse an output path that is, holds, or lies inside a protected path (the key, an input).

    ``protected`` maps a label (``--key-file``, say) to a path; ``None`` entries are skipped.
    """
    target = Path(out).resolve()
    for what, path in protected.items():
        if path is None:
            continue
        p = Path(path).resolve()
        if p == target:
            raise CasekitError(
                f"{label} {out}: is {what}; casekit never writes over it. Choose another path."
            )
        if target in p.parents:
            raise CasekitError(
                f"{label} {out}: holds {what} ({path}); casekit will not write into a folder "
                "that holds it. Choose a new folder."
            )
        if p.is_dir() and p in target.parents:
            raise CasekitError(
                f"{label} {out}: is inside {what}; casekit never writes into it. Choose a path "
                "outside it."
            )


def _refuse_home_or_cwd(out: Path, label: str) -> None:
    target = out.resolve()
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents or target == Path.home().resolve():
        raise CasekitError(
            f"{label} {out}: is the current folder, a folder above it, or your home folder; "
            "casekit writes only into a folder of its own. Give a new folder, e.g. "
            f"{label} reviews."
        )


@dataclass
class OutputFolder:
    """An output folder casekit may write: its path and what an earlier run wrote there."""

    path: Path
    kind: str = "output"
    """What the folder holds (``bundle``, ``reviews``); a rerun must write the same kind."""
    previous: set[str] = field(default_factory=set)
    """Names (files or folders directly inside) the earlier run's manifest listed."""
    listed: set[str] = field(default_factory=set)

    def record(self, names: Iterable[str]) -> None:
        """Add ``names`` to the manifest, before they are written (so a crash leaves them owned)."""
        self.listed |= {safe_entry(n) for n in names}
        body = {"written_by": "casekit", "kind": self.kind, "entries": sorted(self.listed)}
        write_private(self.path / MANIFEST, json.dumps(body, indent=1).encode("utf-8"))

    def remove(self, names: Iterable[str]) -> None:
        """Remove entries the manifest lists (files, or casekit's own folders); unlist them."""
        gone = {n for n in names if n in self.listed}
        for name in gone:
            path = self.path / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)  # rmtree never follows symlinks
            else:
                path.unlink(missing_ok=True)
        if gone:
            self.listed -= gone
            self.record(())


def safe_entry(name: str) -> str:
    """Check a manifest entry: one name directly inside the folder, never a path."""
    if not name or name in (".", "..", MANIFEST) or "/" in name or "\\" in name or "\0" in name:
        raise CasekitError(f"{name!r}: not a name casekit writes in an output folder.")
    return name


_SCRATCH = re.compile(r"\..+\.[a-z0-9_]{8}\.partial")
"""The name of a scratch folder :func:`write_private` made (``mkdtemp``'s 8 random characters)."""


def _left_by_a_crash(path: Path) -> bool:
    """Say whether ``path`` is a scratch folder of casekit's that a killed run left behind."""
    if not _SCRATCH.fullmatch(path.name) or path.is_symlink() or not path.is_dir():
        return False
    return not hasattr(os, "getuid") or path.stat().st_uid == os.getuid()


def _remove_scratch(folders: list[Path]) -> None:
    """Remove scratch folders a killed run left: the files in them were never renamed in."""
    for folder in folders:
        shutil.rmtree(folder)


def read_manifest(folder: Path, kind: str) -> set[str] | None:
    """Return the entries of the folder's manifest, if it has one for output of this ``kind``."""
    path = folder / MANIFEST
    if path.is_symlink() or not path.is_file():
        return None
    try:
        data = load_json(path.read_text(encoding="utf-8"))
        if data.get("kind") != kind:
            return None
        return {safe_entry(str(e)) for e in data["entries"]}
    except (ValueError, KeyError, TypeError, AttributeError, CasekitError, OSError):
        return None


def claim_folder(
    out: str | Path,
    label: str = "--out",
    overwrite: bool = True,
    legacy: Callable[[Path], bool] | None = None,
    protected: dict[str, str | Path | None] | None = None,
    kind: str = "output",
) -> OutputFolder:
    """Check that casekit may write the folder ``out``; create it (0700) if it is new.

    Refused, with nothing touched: the current folder, a folder above it or the home folder;
    an existing file; a folder holding a ``protected`` path (the key file, an input); a folder
    holding anything its manifest does not list (files written by you or another program); and,
    without ``overwrite``, any earlier output. ``legacy`` accepts a folder written by an older
    casekit, before manifests: it is given each entry and says whether casekit wrote it.
    Scratch folders that killed runs left beside ``out`` are removed first (only those,
    see :func:`remove_stale_scratch`).
    """
    out = Path(out)
    _refuse_home_or_cwd(out, label)
    protect_paths(out, protected or {}, label)
    remove_stale_scratch(out)  # a killed run's scratch folder beside it, and only that
    if out.exists() and not out.is_dir():
        raise CasekitError(
            f"{label} {out}: is a file, where a folder is expected. Choose a new folder name; "
            "the file was not touched."
        )
    if not out.exists():
        return OutputFolder(private_folder(out), kind)
    crashed = [p for p in out.iterdir() if _left_by_a_crash(p)]
    entries = sorted(p.name for p in out.iterdir() if p not in crashed)
    if not entries:
        _remove_scratch(crashed)
        return OutputFolder(out, kind)
    listed = read_manifest(out, kind)
    if listed is None:
        if legacy is not None and all(legacy(out / e) for e in entries):
            listed = set(entries)
        else:
            listed = set()
    foreign = [e for e in entries if e != MANIFEST and e not in listed]
    if foreign:
        more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        shown = ", ".join(printable(e) for e in foreign[:5]) + more
        raise CasekitError(
            f"{label} {out}: the folder holds files casekit did not write there ({shown}); "
            "casekit writes only into a new or empty folder, or one where it wrote its "
            f"{kind} before. Choose another folder; nothing was touched."
        )
    if not overwrite:
        raise CasekitError(
            f"{out} already exists. Choose another {label}, or pass --overwrite to replace it."
        )
    present = {e for e in entries if e != MANIFEST}
    _remove_scratch(crashed)
    return OutputFolder(out, kind, previous=present, listed=listed & present)


def is_workbook(path: Path) -> bool:
    """Say whether an existing file is a workbook (a zip), so --overwrite may replace it."""
    with Path(path).open("rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


def check_file_target(
    out: str | Path,
    label: str = "--out",
    overwrite: bool = True,
    protected: dict[str, str | Path | None] | None = None,
    looks_ours: Callable[[Path], bool] | None = None,
    suffixes: Sequence[str] = (),
) -> Path:
    """Check a path a command writes one file to; refuse what must not be replaced.

    Refused: a wrong suffix (when ``suffixes`` is given), a folder, a ``protected`` path, an
    existing file without ``overwrite``, and an existing file that ``looks_ours`` says casekit
    did not write.
    """
    out = Path(out)
    protect_paths(out, protected or {}, label)
    if out.is_dir():
        raise CasekitError(
            f"{label} {out}: is a folder, where a file is expected; it was not touched. "
            "Choose a file name."
        )
    if suffixes and out.suffix.lower() not in suffixes:
        raise CasekitError(
            f"{label} {out}: give a file name ending in {' or '.join(suffixes)} "
            f"(e.g. {out.with_suffix(suffixes[0]).name})."
        )
    if out.exists() or out.is_symlink():
        if not overwrite:
            raise CasekitError(
                f"{out} already exists. Choose another {label}, or pass --overwrite to replace it."
            )
        if out.is_symlink() or (looks_ours is not None and not looks_ours(out)):
            raise CasekitError(
                f"{label} {out}: the file there is not one casekit wrote; it was not touched. "
                "Choose another path."
            )
    if not out.parent.is_dir():
        raise CasekitError(f"{label} {out}: the folder {out.parent} does not exist.")
    return out


# --- scratch folders beside a target ------------------------------------------------------------

SCRATCH_NOTE = ".casekit-scratch.json"
"""The note, first in every scratch folder :func:`scratch_beside` makes, of who is writing it."""
_NOTE_LIMIT = 65_536
"""The largest note read: a note is a few hundred bytes, so a larger file is not one."""


def _scratch_name(target: Path) -> re.Pattern[str]:
    """Match the names ``mkdtemp`` gives a scratch folder beside ``target``."""
    return re.compile(re.escape(f".{target.name}.") + r"[a-z0-9_]{8}\.partial")


def _host() -> str:
    import socket

    return socket.gethostname()


def _started(pid: int) -> tuple[str, int] | None:
    """Give a process's state and start time (clock ticks since boot), where /proc says."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        fields = text[text.rindex(")") + 2 :].split()
        return fields[0], int(fields[19])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int, start: int | None) -> bool:
    """Say whether process ``pid`` (started at ``start``, if known) may still be running.

    In doubt it is alive: a folder is removed only when every writer has provably ended.
    A zombie (ended, not yet reaped) has ended; a process with the same id but another start
    time is not the writer (the id was reused).
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process: it exists
    found = _started(pid)
    if found is None:
        return True
    state, started = found
    return state not in ("Z", "X") and (start is None or started == start)


_Writer = tuple[int, "int | None"]
"""A process that writes a scratch folder: its id, and its start time where /proc says."""


def _whoami(pid: int) -> _Writer:
    found = _started(pid)
    return pid, None if found is None else found[1]


def _write_note(folder: Path, processes: list[_Writer]) -> None:
    """Write (or replace, atomically) a scratch folder's note, 0600.

    The folder is casekit's own fresh private one (0700), so no one can plant anything in it:
    the note is written under a name of this process's and renamed over the note.
    """
    body = {
        "written_by": "casekit",
        "kind": "scratch",
        "uid": os.getuid(),
        "host": _host(),
        "processes": [{"pid": pid, "start": start} for pid, start in processes],
    }
    fresh = folder / f"{SCRATCH_NOTE}.{os.getpid()}.new"
    fresh.unlink(missing_ok=True)
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, PRIVATE_FILE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(json.dumps(body, indent=1).encode("utf-8"))
        os.replace(fresh, folder / SCRATCH_NOTE)
    except BaseException:
        fresh.unlink(missing_ok=True)
        raise


def _noted(folder: Path) -> Path:
    """Write a new folder's note naming this process, or remove the folder if that fails."""
    if hasattr(os, "getuid"):  # POSIX: where no user or process can be checked, no note
        try:
            _write_note(folder, [_whoami(os.getpid())])
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    return folder


_TEMP_PREFIX = re.compile(r"casekit-[a-z]+-")
"""The prefixes of casekit's folders in the system's temporary folder (``casekit-spark-``)."""


def private_temp(prefix: str) -> Path:
    """Make a private folder (0700, noted) in the system's temporary folder; return it.

    For the scratch an engine fills with case data (Spark's shuffle files, DuckDB's spill).
    Folders with the same ``prefix`` that killed runs left are removed first (see
    :func:`remove_stale_temp`); the caller removes its own folder when done.
    """
    if not _TEMP_PREFIX.fullmatch(prefix):
        raise CasekitError(f"{prefix!r}: not a prefix of casekit's temporary folders.")
    remove_stale_temp(prefix)
    return _noted(Path(tempfile.mkdtemp(prefix=prefix)))


def remove_stale_temp(prefix: str) -> list[Path]:
    """Remove the folders ``prefix`` + 8 random characters that killed runs left; return them.

    Only in the system's temporary folder, and only those whose note proves casekit wrote
    them for this user on this machine and whose writers have all ended, as
    :func:`remove_stale_scratch` does beside a target.
    """
    if not _TEMP_PREFIX.fullmatch(prefix):
        raise CasekitError(f"{prefix!r}: not a prefix of casekit's temporary folders.")
    pattern = re.compile(re.escape(prefix) + r"[a-z0-9_]{8}")
    return _remove_stale(Path(tempfile.gettempdir()), pattern)


def scratch_beside(target: str | Path) -> Path:
    """Make a private scratch folder beside ``target`` (``.NAME.xxxxxxxx.partial``); return it.

    Its note (:data:`SCRATCH_NOTE`) is written before anything else: the user, the machine and
    this process, so that :func:`remove_stale_scratch` can tell a folder left by a killed run
    from one a run is still writing. The caller removes the folder when done.
    """
    target = Path(target)
    return _noted(
        Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    )


def note_scratch_process(folder: str | Path, pid: int) -> None:
    """Add a process that writes into a scratch folder (a worker) to the folder's note."""
    folder = Path(folder)
    note = _read_note(folder)
    if note is None:
        return
    _write_note(folder, [*note, _whoami(pid)])


def _read_note(folder: Path) -> list[_Writer] | None:
    """Read a scratch folder's note: its writers, if it is this user's on this machine."""
    if not hasattr(os, "getuid"):
        return None
    try:
        fd = os.open(folder / SCRATCH_NOTE, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None  # no note, or a symlink: not provably casekit's
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            raw = fh.read(_NOTE_LIMIT + 1)
    finally:
        os.close(fd)
    try:
        body = load_json(raw) if len(raw) <= _NOTE_LIMIT else None
    except ValueError:
        return None
    if not (
        isinstance(body, dict)
        and body.get("written_by") == "casekit"
        and body.get("kind") == "scratch"
        and body.get("uid") == os.getuid()
        and body.get("host") == _host()
        and isinstance(body.get("processes"), list)
        and body["processes"]
    ):
        return None
    processes: list[_Writer] = []
    for entry in body["processes"]:
        if not isinstance(entry, dict):
            return None
        pid, start = entry.get("pid"), entry.get("start")
        if type(pid) is not int or pid <= 0 or not (start is None or type(start) is int):
            return None
        processes.append((pid, start))
    return processes


def remove_stale_scratch(target: str | Path) -> list[Path]:
    """Remove the scratch folders beside ``target`` that killed runs left; return them.

    A folder is removed only if all of these hold: its name is one :func:`scratch_beside`
    gives for ``target``; it is a real folder (not a symlink) owned by this user; it holds a
    note casekit wrote (a regular file of this user's, naming this user and this machine);
    and every process the note names has ended. Anything else, a run still writing included,
    is left as it is. A previous output a killed run had moved aside (``old`` in the folder,
    while ``target`` itself is missing) is moved back first, so the target is as it was.
    """
    target = Path(target)
    return _remove_stale(target.parent, _scratch_name(target), target)


def _remove_stale(parent: Path, pattern: re.Pattern[str], target: Path | None = None) -> list[Path]:
    """Remove the folders in ``parent`` named by ``pattern`` that killed runs provably left."""
    if not hasattr(os, "getuid") or not parent.is_dir():
        return []
    removed = []
    try:  # names first: a folder beside the target may hold thousands of other files
        names = sorted(name for name in os.listdir(parent) if pattern.fullmatch(name))
    except OSError:  # a folder we may write in but not list: nothing can be proven there
        return []
    for path in (parent / name for name in names):
        try:
            info = path.lstat()
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            continue
        processes = _read_note(path)
        if processes is None or any(_alive(pid, start) for pid, start in processes):
            continue
        old = path / "old"
        if (
            target is not None
            and old.is_dir()
            and not old.is_symlink()
            and not target.exists()
            and not target.is_symlink()
        ):
            os.replace(old, target)  # the swap was cut between its two renames: undo it
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed
