"""Sphinx configuration for spherical-approx (numpydoc docstrings, warnings as errors in CI)."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "spherical-approx"
author = "spherical-approx developers"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.mathjax", "numpydoc", "myst_nb"]
numpydoc_show_class_members = False
numpydoc_validation_checks = {"PR01", "RT01"}
autodoc_default_options = {"members": True}
exclude_patterns = ["_build", "_generated", "**.ipynb_checkpoints"]
# The notebooks are stored with their outputs and executed by the test suite
# (tests/test_notebooks.py); the site shows the stored outputs.
nb_execution_mode = "off"
html_theme = "alabaster"


def _make_figures(app):
    """Regenerate the gallery with the report's own code (quick sizes), so the docs never show stale figures."""
    from proofs_check import figures
    from proofs_check.prefix_lengths import run_sweep

    out = os.path.join(app.srcdir, "_generated")
    os.makedirs(out, exist_ok=True)
    figures.heads_on_circle(out, points=800)
    figures.error_map_sphere(out, resolution=60)
    figures.error_vs_prefix(out, run_sweep([1], [0.2, 0.1, 0.05, 0.02, 0.01], samples=2000))
    figures.multipliers(out)


def setup(app):
    app.connect("builder-inited", _make_figures)
