"""The ``casekit synth`` command: a synthetic bundle or Annex A workbook."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from casekit.cli.common import output_arguments, parse_date, positive
from casekit.errors import CasekitError

if TYPE_CHECKING:
    from casekit.synth.national import Settings

__all__ = ["add_synth"]


def _cmd_synth(args: argparse.Namespace) -> int:
    from casekit.bundle.io import write_bundle

    if (args.out is None) == (args.annex_a is None):
        raise CasekitError("give --out (a bundle) or --annex-a (a workbook), one of the two.")
    if args.annex_a is not None:
        from casekit.outputs import check_file_target, is_workbook
        from casekit.synth.annex import annex_a_workbook

        check_file_target(args.annex_a, "--annex-a", args.overwrite, looks_ours=is_workbook)
        rows = annex_a_workbook(
            args.annex_a,
            cases=args.cases,
            seed=args.seed,
            radicalisation_share=args.radicalisation_share,
        )
        listed = ", ".join(f"list {n}: {k} rows" for n, k in rows.items())
        print(f"wrote {args.annex_a} (synthetic Annex A, seed {args.seed}: {listed})")
        return 0
    settings = _settings(args)
    if args.form == "dataset":
        return _dataset(args, settings)
    if args.part_cases is not None or args.jobs != 1:
        raise CasekitError(
            "--part-cases and --jobs apply to --form dataset only; a bundle is written whole."
        )
    tables = settings.generate()
    out = write_bundle(tables, args.out, args.form, overwrite=args.overwrite)
    sizes = ", ".join(f"{len(f)} {t}" for t, f in tables.items())
    print(f"wrote {out} (seed {args.seed}: {sizes})")
    return 0


def _whole(text: str) -> int:
    """Read a whole number; whether it is a sensible one is for the command to say."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _settings(args: argparse.Namespace) -> Settings:
    """Gather the generator's settings from the command line."""
    from casekit.synth.national import DEFAULT_PART_CASES, Settings

    return Settings(
        seed=args.seed,
        n_cases=args.cases,
        n_teams=args.teams,
        start=args.start,
        end=args.end,
        radicalisation_share=args.radicalisation_share,
        part_cases=DEFAULT_PART_CASES if args.part_cases is None else args.part_cases,
    )


def _dataset(args: argparse.Namespace, settings: Settings) -> int:
    """Write a partitioned, typed Parquet dataset, part by part."""
    import sys

    from casekit.synth.national import write_dataset

    def progress(done: int, parts: int) -> None:
        if parts > 1:
            print(f"  part {done} of {parts} written", file=sys.stderr, flush=True)

    rows = write_dataset(
        settings, args.out, jobs=args.jobs, overwrite=args.overwrite, progress=progress
    )
    sizes = ", ".join(f"{n} {t}" for t, n in rows.items())
    print(f"wrote {args.out} (dataset, seed {args.seed}: {sizes})")
    return 0


def add_synth(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``casekit synth``: generate a synthetic case bundle."""
    from casekit.synth.generator import DEFAULT_END, DEFAULT_RADICALISATION_SHARE, DEFAULT_START

    p = sub.add_parser(
        "synth",
        help="generate a synthetic case bundle",
        description="Write a complete, valid synthetic bundle with every table. "
        "The same seed always gives byte-identical files.",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--cases", type=positive, default=360, help="number of cases (default 360)")
    p.add_argument(
        "--teams",
        type=positive,
        default=6,
        help="number of teams (default 6; with --form dataset, in each part)",
    )
    p.add_argument(
        "--start",
        type=parse_date,
        default=DEFAULT_START,
        help=f"first referral date (default {DEFAULT_START})",
    )
    p.add_argument(
        "--end",
        type=parse_date,
        default=DEFAULT_END,
        help=f"last date in the data (default {DEFAULT_END})",
    )
    p.add_argument(
        "--radicalisation-share",
        type=float,
        default=DEFAULT_RADICALISATION_SHARE,
        metavar="SHARE",
        help="share of cases that are radicalisation (Prevent) cases, above 0 and at most 1 "
        f"(default {DEFAULT_RADICALISATION_SHARE}: over-sampled so that a team review has some)",
    )
    p.add_argument(
        "--annex-a",
        type=Path,
        metavar="FILE.xlsx",
        help="write a synthetic Ofsted Annex A workbook instead of a bundle",
    )
    output_arguments(
        p,
        required=False,
        forms=("csv", "xlsx", "parquet", "dataset"),
        form_help="bundle form (default csv); dataset: a folder per table of typed Parquet "
        "parts (<table>/part-NNNNN.parquet) cut by case, generated part by part, for data "
        "larger than memory",
    )
    p.add_argument(
        "--part-cases",
        type=_whole,
        default=None,
        metavar="N",
        help="with --form dataset: cases a part holds, at least 10 (default 50000)",
    )
    p.add_argument(
        "--jobs",
        type=_whole,
        default=1,
        metavar="N",
        help="with --form dataset: parts generated side by side, one process each (default 1)",
    )
    p.set_defaults(run=_cmd_synth)
