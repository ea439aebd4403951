"""``python -m course_utils.corpora [--check]``: write or check every generated data file."""

from .registry import main

raise SystemExit(main())
