"""``python -m spherical_approx``: see :mod:`spherical_approx.cli`."""

import sys

from .cli import main

sys.exit(main())
