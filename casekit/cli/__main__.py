"""Run the casekit command line: ``python -m casekit.cli``."""

from casekit.cli import main

raise SystemExit(main())
