"""`python -m benchmarks`: run the harness (see harness.py and README.md)."""

import sys

from .harness import main

sys.exit(main())
