"""Repository-level pytest configuration: torch is optional, so its doctests are
collected only where torch is installed (tests/test_torch_heads.py skips likewise)."""

import importlib.util

collect_ignore = []
if importlib.util.find_spec("torch") is None:
    collect_ignore.append("spherical_approx/torch_heads.py")
