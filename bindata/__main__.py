"""``python -m bindata``: the command line, as the ``bindata`` console script."""

import sys

from .cli import main

sys.exit(main())
