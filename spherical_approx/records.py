"""The base of the toolkit's result dataclasses."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

__all__ = ["AsDict"]


class AsDict:
    """Mixin for result dataclasses: ``as_dict()`` with numpy floats made plain floats."""

    def as_dict(self):
        """The fields as a dict (numpy floats converted to ``float``).

        Returns
        -------
        dict
            Field name to value.
        """
        return {k: (float(v) if isinstance(v, (np.floating,)) else v) for k, v in asdict(self).items()}
