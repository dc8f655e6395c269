"""What the casekit commands share: argument types, output options and the input guard."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from casekit.errors import CasekitError

__all__ = [
    "file_and_name",
    "keep_inputs",
    "output_arguments",
    "parse_date",
    "positive",
    "protected",
    "reason_and_user",
    "report_file",
    "write_checked",
]


def parse_date(text: str) -> dt.date:
    """Read a YYYY-MM-DD argument as a date; anything else is a usage error."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; write it as YYYY-MM-DD"
        ) from None


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


def output_arguments(p: argparse.ArgumentParser, required: bool = True) -> None:
    """Add the options every command that writes a bundle shares."""
    p.add_argument("--out", type=Path, required=required, help="folder (or .xlsx file) to write")
    p.add_argument(
        "--form",
        choices=("csv", "xlsx", "parquet"),
        default="csv",
        help="bundle form (default csv)",
    )
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
