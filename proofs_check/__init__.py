"""proofs_check: the verification suite of spherical-approx.

``python -m proofs_check`` (or :func:`run` from Python) runs every registered claim of the
toolkit's mathematics (docs/theory/), prints a table (claim, provenance, parameters,
predicted or bound, measured, PASS/FAIL), writes ``report.md`` and ``report.json`` to an
output folder and exits 1 if any claim fails. Only claims whose checks exist are registered;
none is faked.
"""

from .claims import CLAIMS, Claim, Quantity, Result, run_claims
from .runner import run

__all__ = ["CLAIMS", "Claim", "Quantity", "Result", "run_claims", "run"]
