"""`python -m curation ...`: the app's functions, headless."""

from curation.cli import main

raise SystemExit(main())
