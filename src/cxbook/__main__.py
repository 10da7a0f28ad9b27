"""``python -m cxbook``: the same command line as the ``cxbook`` command."""

import sys

from .cli import main

sys.exit(main())
