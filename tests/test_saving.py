"""Saved heads: bit-identical outputs after a round trip; edited, truncated or foreign files refused."""

import io
import zipfile

import numpy as np
import pytest
import sympy

import spherical_approx as sa
from spherical_approx.saving import save_head
from spherical_approx.testing import assert_refuses

x0, x1, x2 = sympy.symbols("x0:3")


@pytest.fixture(scope="module")
def heads():
    return {
        "quadrature": sa.approximate(x0 * x1 + x2, 2, 0.1, method="quadrature"),
        "delta_net": sa.approximate(sympy.Abs(x0) + x0 * x1, 1, 0.05, method="delta_net", context_tokens=3),
        "vector": sa.approximate([x0, x1 * x2], 2, 0.2, method="quadrature"),
        "callable": sa.approximate(lambda X: np.sin(X[:, 0]), 1, 0.1, method="delta_net", lipschitz=1.0),
    }


@pytest.mark.parametrize("name", ["quadrature", "delta_net", "vector", "callable"])
def test_round_trip_is_bit_identical(heads, name, tmp_path):
    a = heads[name]
    b = sa.load(a.save(tmp_path / name))
    X = sa.sample_uniform(a.m, 500, seed=1)
    assert np.array_equal(a(X), b(X)) and np.array_equal(a(X, truncated=False), b(X, truncated=False))
    assert (b.method, b.m, b.error_bound, b.bound_kind, b.context_tokens) == \
        (a.method, a.m, a.error_bound, a.bound_kind, a.context_tokens)
    assert b.evaluation_allowance() == a.evaluation_allowance()
    assert b.parameters["math_bound"] == a.parameters["math_bound"]
    assert b.target_expressions == a.target_expressions
    assert (b.target_expressions is None) == (name == "callable")
    assert not b.prefix.keys.flags.writeable  # the loaded prefix is as frozen as a built one


def test_fitted_head_keeps_its_measured_label(tmp_path):
    a = sa.approximate(x0 * x1, 1, 0.2, method="fitted")
    b = sa.load(a.save(tmp_path / "fitted.npz"))
    assert b.bound_kind == a.bound_kind and "measured" in b.bound_kind and b.error_bound == a.error_bound


def _rewrite(src, dst, change):
    """Copy the npz at src to dst with change(name, bytes) -> bytes applied to each member."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item, change(item.filename, zin.read(item.filename)))


def test_edited_truncated_and_foreign_files_are_refused(heads, tmp_path):
    path = heads["quadrature"].save(tmp_path / "head")

    def flip_a_value(name, data):
        if name != "values.npy":
            return data
        arr = np.load(io.BytesIO(data))
        arr[0, 0] += 1e-12  # a tiny change is still a different head
        out = io.BytesIO()
        np.save(out, arr)
        return out.getvalue()

    edited = tmp_path / "edited.npz"
    _rewrite(path, edited, flip_a_value)
    assert_refuses(lambda: sa.load(edited), ValueError, "do not match the digest")

    dropped = tmp_path / "dropped.npz"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(dropped, "w") as zout:
        for item in zin.infolist():
            if item.filename != "biases.npy":
                zout.writestr(item, zin.read(item.filename))
    assert_refuses(lambda: sa.load(dropped), ValueError, r"missing entries \['biases'\]")

    data = open(path, "rb").read()
    for cut in (len(data) // 2, len(data) - 30, 100):
        truncated = tmp_path / f"truncated{cut}.npz"
        truncated.write_bytes(data[:cut])
        assert_refuses(lambda t=truncated: sa.load(t), ValueError, "not a valid saved head")

    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, keys=np.zeros((2, 3)), biases=np.zeros(2), values=np.zeros((2, 1)))
    assert_refuses(lambda: sa.load(foreign), ValueError, "missing entries")
    text = tmp_path / "text.npz"
    text.write_text("not an npz")
    assert_refuses(lambda: sa.load(text), ValueError, "not a valid saved head")
    assert_refuses(lambda: sa.load(tmp_path / "absent.npz"), FileNotFoundError, "no saved head")
    assert_refuses(lambda: save_head("not a head", tmp_path / "x"), TypeError, "needs an Approximation")


def test_torch_module_state_dict_round_trip(heads, tmp_path):
    torch = pytest.importorskip("torch")
    a = heads["quadrature"]
    module = a.to_torch()
    torch.save(module.state_dict(), tmp_path / "head.pt")
    fresh = sa.load(a.save(tmp_path / "head")).to_torch()
    fresh.load_state_dict(torch.load(tmp_path / "head.pt"))
    X = torch.tensor(sa.sample_uniform(2, 200, seed=2))
    assert torch.equal(module(X), fresh(X))
    assert np.abs(fresh(X).detach().numpy() - a(X.numpy(), truncated=False)).max() < 1e-12
