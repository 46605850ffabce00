"""``python -m hongyan``: the same as the ``hongyan`` command."""

from __future__ import annotations

import sys

from hongyan.cli import main

sys.exit(main())
