"""Project-level checks: the package and its docs stand on their own."""

import ast
import importlib
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


def _library_modules():
    root = pathlib.Path(__file__).resolve().parents[1]
    for package in ("spherical_approx", "proofs_check"):
        yield from sorted((root / package).rglob("*.py"))


_BACKEND_CLASSES = {"ExactBackend", "MpBackend", "ArbBackend", "AcbBackend", "FloatBackend"}


def test_no_backend_branches_outside_arith():
    # Library code is written once against the Backend; per-backend algorithms are Backend
    # methods or functions registered on a backend class, never tests of which backend it is.
    found = []
    for path in _library_modules():
        if path.name == "arith.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("is_float", "rigorous"):
                found.append(f"{path.name}:{node.lineno}: .{node.attr}")
            if isinstance(node, ast.Compare):
                for side in [node.left, *node.comparators]:
                    if isinstance(side, ast.Attribute) and side.attr == "name":
                        found.append(f"{path.name}:{node.lineno}: compares .name")
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "isinstance":
                names = {n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)}
                if names & _BACKEND_CLASSES:
                    found.append(f"{path.name}:{node.lineno}: isinstance on a backend class")
    assert not found, "\n".join(found)


def test_no_private_names_imported_across_modules():
    # A module's private helpers are its own: what another module needs is public, in one home.
    found = []
    for path in _library_modules():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                found += [f"{path.name}:{node.lineno}: imports {a.name}" for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")]
    assert not found, "\n".join(found)


def test_each_public_module_has_one_all():
    # one list of public names per library module, written once (no "__all__ +=" additions)
    root = pathlib.Path(__file__).resolve().parents[1]
    checked = 0
    for path in sorted((root / "spherical_approx").rglob("*.py")):
        if path.name.startswith("_") and path.name != "__init__.py":
            continue  # private modules (_validate, _outward)
        tree = ast.parse(path.read_text())
        statements = [n for n in tree.body if isinstance(n, ast.Assign) and any(getattr(t, "id", None) == "__all__"
                                                                                for t in n.targets)
                      or isinstance(n, ast.AugAssign) and getattr(n.target, "id", None) == "__all__"]
        assert len(statements) == 1 and isinstance(statements[0], ast.Assign), \
            f"{path.name}: {len(statements)} __all__ statements"
        module = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        missing = [n for n in ast.literal_eval(statements[0].value) if not hasattr(importlib.import_module(module), n)]
        assert not missing, f"{module}.__all__ names {missing}, which it does not define"
        checked += 1
    assert checked >= 25
