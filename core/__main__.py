"""``python -m core``: the command-line twin of the dashboard."""

from core.cli import main

raise SystemExit(main())
