"""``python -m gupgeo``: the same command line as ``gupgeo``."""

from gupgeo.cli import main

raise SystemExit(main())
