"""Project-level checks: the package and its docs stand on their own."""

import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_no_reference_to_the_private_specification():
    # users never see the team's MATH.md / DESIGN.md: the docs' theory pages carry what is needed
    hits = []
    for folder in ("spherical_approx", "proofs_check", "docs"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in {".py", ".rst", ".md", ".txt"} and "_build" not in path.parts:
                text = path.read_text(encoding="utf-8")
                hits += [f"{path.relative_to(ROOT)}: {name}" for name in ("MATH.md", "DESIGN.md") if name in text]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    hits += [f"README.md: {name}" for name in ("MATH.md", "DESIGN.md") if name in readme]
    assert not hits, "\n".join(hits)
