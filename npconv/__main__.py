"""``python -m npconv`` is the ``npconv`` command."""

import sys

from .cli import main

sys.exit(main())
