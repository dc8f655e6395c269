"""The ``casekit review`` command: team caseload reviews as HTML pages."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from casekit.cli.common import parse_date, positive, reason_and_user

__all__ = ["add_review"]


def _cmd_review(args: argparse.Namespace) -> int:
    from casekit.store.acting import acting_as

    with acting_as(args.user):  # who reads the store: here and in every review's kernel
        return _review(args)


def _review(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from casekit.review.run import TeamResult, log_reviews, plan, run_reviews
    from casekit.store.db import safe_url

    teams = "all" if args.team == "all" else [t.strip() for t in args.team.split(",") if t.strip()]
    scopes = plan(
        args.data,
        teams,
        args.from_,
        args.to,
        args.as_of,
        args.suppress,
        args.seen_alone_days,
        args.min_judgements,
        user=args.user,
    )
    if log_reviews(args.data, scopes, args.out, args.reason, args.user):
        where = safe_url(str(args.data))
        print(f"logged the review of each team in {where}'s access log", file=sys.stderr)
    print(
        f"reviewing {len(scopes)} team(s), {scopes[0].period}, as known on "
        f"{scopes[0].as_of.date()}, into {args.out}",
        file=sys.stderr,
    )
    with tqdm(total=len(scopes), unit="team", file=sys.stderr, disable=None) as bar:

        def progress(result: TeamResult) -> None:
            bar.update(1)
            if not result.ok:
                tqdm.write(f"team {result.team_id}: failed: {result.error}", file=sys.stderr)

        results = run_reviews(
            args.data, args.out, scopes, jobs=args.jobs, notebook=args.notebook, progress=progress
        )
    failed = [r for r in results if not r.ok]
    print(
        f"wrote {len(results) - len(failed)} review(s) and {Path(args.out) / 'index.html'}"
        + (f"; {len(failed)} failed: {', '.join(r.team_id for r in failed)}" if failed else ""),
        file=sys.stderr,
    )
    return 1 if failed else 0


def add_review(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``casekit review``: one self-contained HTML review per team."""
    from casekit.review.sections import MIN_JUDGEMENTS, SEEN_ALONE_DAYS

    p = sub.add_parser(
        "review",
        help="team caseload reviews: one self-contained HTML page per team, and an index",
        description="Run notebooks/caseload_review.ipynb with papermill for each team, export "
        "each as HTML without code, write every table as CSV and .xlsx, and an index.html.",
    )
    p.add_argument(
        "--data",
        required=True,
        help="the bundle or store to review: a folder, workbook, .sqlite store, or a server "
        "URL such as postgresql://analyst@host/casework (its password in $PGPASSWORD)",
    )
    p.add_argument("--out", type=Path, required=True, help="folder for the reviews")
    p.add_argument("--team", default="all", help="a team_id, several separated by commas, or all")
    p.add_argument(
        "--from", dest="from_", type=parse_date, help="first day of the period (YYYY-MM-DD)"
    )
    p.add_argument("--to", type=parse_date, help="last day of the period (default: --as-of)")
    p.add_argument(
        "--as-of",
        type=parse_date,
        help="review as known on this date (default: latest in the data)",
    )
    p.add_argument(
        "--suppress", action="store_true", help="for publication: counts 1-5 as c, no case lists"
    )
    p.add_argument(
        "--seen-alone-days",
        type=positive,
        default=SEEN_ALONE_DAYS,
        help="list a child not seen alone for more than this many working days under what "
        f"needs attention (default {SEEN_ALONE_DAYS})",
    )
    p.add_argument(
        "--min-judgements",
        type=positive,
        default=MIN_JUDGEMENTS,
        help="judgements a case needs before its safety trend is stated (at least 2; "
        f"default {MIN_JUDGEMENTS})",
    )
    p.add_argument("--jobs", type=positive, default=1, help="teams to run at once (default 1)")
    p.add_argument("--notebook", type=Path, help="run your own copy of the review notebook")
    reason_and_user(p, "run")
    p.set_defaults(run=_cmd_review)
