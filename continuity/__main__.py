"""``python -m continuity``: the same as the ``continuity`` command."""

import sys

from continuity.cli import main

sys.exit(main())
