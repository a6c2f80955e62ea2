"""`python -m collector` is `footfall-collector`."""

import sys

from collector.cli import main

sys.exit(main())
