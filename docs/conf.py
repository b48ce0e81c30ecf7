"""Sphinx configuration for spherical-approx (numpydoc docstrings, warnings as errors in CI)."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "spherical-approx"
author = "spherical-approx developers"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.mathjax", "numpydoc"]
numpydoc_show_class_members = False
numpydoc_validation_checks = set()
autodoc_default_options = {"members": True}
exclude_patterns = ["_build"]
html_theme = "alabaster"
