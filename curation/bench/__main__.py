"""`python -m curation.bench`: run the benchmark cases and print JSON."""

import sys

from curation.bench import cases  # noqa: F401  (registers the cases with run.CASES)
from curation.bench.run import main

sys.exit(main())
