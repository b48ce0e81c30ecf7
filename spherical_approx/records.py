"""The base of the toolkit's result dataclasses."""

from __future__ import annotations

import html
from dataclasses import asdict

import numpy as np

__all__ = ["AsDict", "html_table"]


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

    def _repr_html_(self):
        return html_table(type(self).__name__, self.as_dict().items())


def html_table(title, rows):
    """A two-column HTML table (name, value) under a title, for notebooks' rich display.

    Parameters
    ----------
    title : str
        The caption.
    rows : iterable of (str, object)
        Names and values (values shown with ``str``, floats with 6 significant digits).

    Returns
    -------
    str
        The HTML, with every value escaped.

    Examples
    --------
    >>> html_table("x", [("a", 1.0), ("b", "<c>")])
    '<table><caption>x</caption><tr><th>a</th><td>1</td></tr><tr><th>b</th><td>&lt;c&gt;</td></tr></table>'
    """
    def cell(v):
        return f"{v:.6g}" if isinstance(v, float) else str(v)

    body = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(cell(v))}</td></tr>" for k, v in rows)
    return f"<table><caption>{html.escape(title)}</caption>{body}</table>"
