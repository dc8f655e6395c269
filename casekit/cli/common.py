"""What the casekit commands share: argument types, output options and the input guard."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from casekit.errors import CasekitError, hide_secrets, shown

__all__ = [
    "Parser",
    "without_secrets",
    "file_and_name",
    "keep_inputs",
    "out_file",
    "overwrite_argument",
    "output_arguments",
    "parse_date",
    "positive",
    "protected",
    "reason_and_user",
    "report_file",
    "write_checked",
]


def without_secrets(message: str, given: Sequence[str]) -> str:
    """Take out of a parser's message every given value that may hold a password or token.

    argparse repeats a value it refuses ("invalid choice: 'postgresql://u:pw@host/db'", the
    words of "unrecognized arguments", a ``type`` function's own message): each command-line
    word that :func:`casekit.errors.shown` would not show (a URL, ``user@host``, ``key=value``,
    and the value of ``--option=value``) is replaced by what ``shown`` says instead, quoted or
    not; everything else in the message (the option, the choices, the advice) stays.
    """
    words = set()
    for word in given:
        words.add(word)
        if word.startswith("-") and "=" in word:
            words.add(word.split("=", 1)[1])
    hidden = shown("x:")  # what shown() says instead of a value
    for word in sorted(words, key=len, reverse=True):
        if not word or shown(word) == repr(word):
            continue  # a plain value (a typo, a number): shown, so the message still helps
        message = message.replace(repr(word), hidden)
        if len(word) >= 4:  # bare (unrecognized arguments); a short one could be anything
            message = message.replace(word, hidden)
    return hide_secrets(message)


class Parser(argparse.ArgumentParser):
    """casekit's argument parser: its errors never repeat a value that may hold a secret.

    Subcommands' parsers are made of the same class (argparse makes them of their parent's),
    so every ``choices``, ``type`` and "unrecognized arguments" error goes through
    :func:`without_secrets`; usage and the rest of argparse's text are kept.
    """

    _given: Sequence[str] = ()

    def parse_known_args(  # type: ignore[override]  # argparse's stub overloads the namespace type
        self, args: Sequence[str] | None = None, namespace: Any = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """Keep the words being parsed (for :meth:`error`), then parse them as argparse does."""
        self._given = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        """Print the usage and the message without secrets; exit with 2 (a user error)."""
        super().error(without_secrets(message, self._given))


def parse_date(text: str) -> dt.date:
    """Read a YYYY-MM-DD argument as a date from 1900 to 2199; anything else is a usage error."""
    from casekit.policy import FIRST_DAY, LAST_DAY

    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; write it as YYYY-MM-DD"
        ) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise argparse.ArgumentTypeError(
            f"{text!r} is outside the dates casekit works with, {FIRST_DAY} to {LAST_DAY}"
        )
    return day


def positive(text: str) -> int:
    """Read a whole number of 1 or more; anything else is a usage error."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be 1 or more")
    return value


def file_and_name(spec: str) -> tuple[Path, str | None]:
    """Split ``FILE=NAME`` (an agency, a table) into the path and the name; plain FILE has none."""
    path, sep, name = spec.rpartition("=")
    if sep and name and "/" not in name:
        return Path(path), name
    return Path(spec), None


def protected(args: argparse.Namespace) -> dict[str, str | Path | None]:
    """Every file a command reads (its inputs, the key file): no output may replace one."""
    found: dict[str, str | Path | None] = {"the key file": getattr(args, "key_file", None)}
    for name in ("bundle", "workbook", "data", "map", "names", "store"):
        value = getattr(args, name, None)
        if value and "://" not in str(value):
            found[f"an input (--{name} {value})"] = value
    for spec in getattr(args, "files", None) or []:
        path = file_and_name(spec)[0]
        found[f"an input ({path})"] = path
    return found


def out_file(args: argparse.Namespace, csv_header: bytes) -> Path:
    """Check ``--out``, one file a command writes, before any work is done; return it.

    It may not be a folder, an input or the key file. An existing file is replaced only with
    ``--overwrite``, and only if casekit wrote it: a workbook or Word file (a zip), a page in
    casekit's shell, or a CSV whose header starts with ``csv_header``; never a link.
    """
    from casekit.outputs import check_file_target, is_workbook
    from casekit.render.page import is_page

    def ours(path: Path) -> bool:
        suffix = path.suffix.lower()
        if suffix in (".xlsx", ".docx"):
            return is_workbook(path)
        if suffix in (".html", ".htm"):
            return is_page(path)
        with path.open("rb") as fh:
            return fh.read(len(csv_header)) == csv_header

    return check_file_target(
        Path(args.out), "--out", args.overwrite, protected(args), looks_ours=ours
    )


def overwrite_argument(p: argparse.ArgumentParser, what: str) -> None:
    """Add ``--overwrite``: replace ``what`` an earlier run wrote at ``--out``."""
    p.add_argument(
        "--overwrite", action="store_true", help=f"replace {what} an earlier run wrote at --out"
    )


def keep_inputs(args: argparse.Namespace, out: Path) -> None:
    """Refuse an --out that would replace the key file or one of the command's inputs."""
    from casekit.outputs import protect_paths

    protect_paths(out, protected(args), "--out")


def report_file(args: argparse.Namespace, out: Path, suffix: str) -> Path:
    """Where a command's report goes: --report, else beside --out; its folder must exist.

    A report never replaces the key file or an input, and never goes inside --out.
    """
    from casekit.outputs import protect_paths

    path = Path(args.report or out.parent / f"{out.name}-{suffix}")
    if args.report and not path.parent.exists():  # the default's folder is made with --out
        raise CasekitError(f"--report {path}: the folder {path.parent} does not exist.")
    protect_paths(path, {**protected(args), "--out": out}, "--report")
    if out.resolve() in path.resolve().parents:
        raise CasekitError(f"--report {path}: put the report beside --out {out}, not inside it.")
    return path


def write_checked(tables: dict, out: Path, args: argparse.Namespace) -> Path:
    """Write a bundle a command made, then load it back: an invalid one is a bug, said as one."""
    from casekit.bundle.io import write_bundle
    from casekit.store.load import load

    written = write_bundle(
        tables, out, args.form, overwrite=args.overwrite, protected=protected(args)
    )
    load(written)
    return written


def output_arguments(
    p: argparse.ArgumentParser,
    required: bool = True,
    forms: tuple[str, ...] = ("csv", "xlsx", "parquet"),
    form_help: str = "bundle form (default csv)",
) -> None:
    """Add the options every command that writes a bundle shares."""
    p.add_argument("--out", type=Path, required=required, help="folder (or .xlsx file) to write")
    p.add_argument("--form", choices=forms, default="csv", help=form_help)
    p.add_argument("--overwrite", action="store_true", help="replace an existing bundle at --out")


def reason_and_user(p: argparse.ArgumentParser, what: str) -> None:
    """Add ``--reason`` and ``--user``: why and by whom an access a store logs is made."""
    p.add_argument(
        "--reason",
        default=None,
        help=f"why you {what} it, kept in the store's access log (optional)",
    )
    p.add_argument(
        "--user",
        default=None,
        help="who is acting (default: $JUPYTERHUB_USER, else $CASEKIT_USER, else your login)",
    )
