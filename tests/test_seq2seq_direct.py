"""The direct sequence-to-sequence route: gathering heads and the torus head, with a proven bound."""

import math

import mpmath
import numpy as np
import pytest
import sympy

from proofs_check.checks.seq2seq import sympy_targets, targets
from spherical_approx.continuity import NotLipschitzError, cube_lipschitz_bound
from spherical_approx.seq2seq import ROUTES, compile_seq2seq, direct_layers
from spherical_approx.seq2seq.direct import embedding_error, grid_excess_bound, grid_nodes
from spherical_approx.seq2seq.transformer import grid
from spherical_approx.testing import assert_refuses

x1, x2, x3 = sympy.symbols("x1:4")


def claim_targets(T):
    """The four targets of proofs_check's paper.seq2seq claim: (sympy expression, callable) by name."""
    exprs, callables = sympy_targets(T), targets(T)
    return {name: (exprs[name], callables[name]) for name in callables}


def sup_error(net, F, X):
    want = np.asarray(F(X), dtype=float)
    want = np.broadcast_to(want.reshape(len(X), -1), (len(X), net.T))
    return float(np.abs(net(X) - want).max())


def judged_points(T, points, randoms):
    return np.concatenate([grid(T, points), np.random.default_rng(T).random((randoms, T))])


@pytest.mark.parametrize("name", ["sum of products", "max", "smooth mix", "seq2seq"])
def test_T2_meets_eps_with_proof(name):
    expr, F = claim_targets(2)[name]
    net = compile_seq2seq(expr, 2, 0.05)
    X = judged_points(2, 40, 50_000)
    err = sup_error(net, F, X)
    assert err <= net.error_bound <= 0.05, (name, err, net.error_bound)
    assert net.depth == 3 and net.prefix_lengths[:2] == [0, 0]


# held back from the claim: kinks, a spike (|grad|_1 = 8), a smooth oscillation, per-position outputs; callables
# with L = sup |grad F|_1 (the max-norm constant)
HELD_BACK = {
    "kinks": (lambda X: np.abs(X[:, 0] - 0.3) - np.minimum(X[:, 1], 0.6), 2.0),
    "spike": (lambda X: np.maximum(0.0, 0.2 - 4 * np.abs(X[:, 0] - 0.51) - 4 * np.abs(X[:, 1] - 0.49)), 8.0),
    "smooth": (lambda X: np.exp(X[:, 0] * X[:, 1]) * np.cos(3 * X[:, 1]) / 3, math.e * (1 + 3) / 3),
    "per position": (lambda X: np.stack([X[:, 1] ** 2, np.sin(2 * X[:, 0])], axis=1), 2.0),
}


@pytest.mark.parametrize("name", sorted(HELD_BACK))
def test_T2_held_back_callables(name):
    F, L = HELD_BACK[name]
    net = compile_seq2seq(F, 2, 0.05, lipschitz=L)
    err = sup_error(net, F, judged_points(2, 40, 50_000))
    assert err <= net.error_bound <= 0.05, (name, err, net.error_bound)


def test_bound_is_nearly_attained_by_the_worst_lipschitz_target():
    """F = L * (max-norm distance to the grid) vanishes at every node and is L-Lipschitz:
    the head returns about 0, so the error at a cell centre is about L h/2. A bound
    missing its h/2 term (or a kernel spread larger than claimed) would fail here."""
    L, eps = 3.0, 0.05
    holder = {}

    def F(X):
        h = holder.get("h", 1.0)
        d = np.abs(X / h - np.round(X / h)) * h
        return L * d.max(axis=1)

    probe = compile_seq2seq(F, 2, eps, lipschitz=L)
    holder["h"] = 1.0 / (probe.n - 1)
    net = compile_seq2seq(F, 2, eps, lipschitz=L)
    assert net.n == probe.n
    h = 1.0 / (net.n - 1)
    centres = (np.arange(net.n - 1) + 0.5) * h
    X = np.stack(np.meshgrid(centres, centres, indexing="ij"), axis=-1).reshape(-1, 2)
    err = sup_error(net, F, X)
    assert 0.97 * net.error_bound <= err <= net.error_bound, (err, net.error_bound)


@pytest.mark.parametrize("name", ["sum of products", "max", "smooth mix", "seq2seq"])
def test_T3_meets_eps_01(name):
    expr, F = claim_targets(3)[name]
    net = compile_seq2seq(expr, 3, 0.1)
    err = sup_error(net, F, judged_points(3, 12, 20_000))
    assert err <= net.error_bound <= 0.1, (name, err, net.error_bound)
    assert net.depth == 4


@pytest.mark.parametrize("T", [2, 3])
def test_matrices_depend_on_T_only(T):
    nets = [compile_seq2seq(expr, T, 0.1) for expr, _ in claim_targets(T).values()]
    ref = [W.tobytes() for W in direct_layers(T)[0].W_Q[None]]
    assert ref
    for net in nets:
        assert len(net.matrices()) == 4 * (T + 1)
        for a, b in zip(nets[0].matrices(), net.matrices()):
            assert a.tobytes() == b.tobytes()
    outputs = {net(np.full((1, T), 0.3)).tobytes() for net in nets}
    assert len(outputs) == len(nets)  # the prefixes, and only they, carry the targets


def test_window_evaluation_equals_the_dense_transformer_and_torch():
    torch = pytest.importorskip("torch")
    expr, _ = claim_targets(2)["seq2seq"]
    net = compile_seq2seq(expr, 2, 0.05)
    X = np.concatenate([np.random.default_rng(5).random((200, 2)), [[0, 0], [1, 1], [0, 1], [0.5, 0.5]]])
    window = net(X)
    dense = net.streams(X)[-1][..., net.layout.y.start]
    assert np.abs(window - dense).max() <= 1e-12
    module = net.to_torch()
    out = module(torch.tensor(net.embed(X))).numpy()
    assert np.abs(out - window).max() <= 1e-10


def test_embedding_error_bounds_the_computed_queries():
    """The torus head's queries against the exact embedding at 50 digits."""
    for T in (2, 3, 4):
        net = compile_seq2seq(lambda X: X[:, 0], T, 0.5, lipschitz=1.0)
        X = np.concatenate([np.random.default_rng(T).random((300, T)), np.eye(T), 1 - np.eye(T)])
        Q = net.queries(X)
        worst = 0.0
        with mpmath.workdps(50):
            s = 1 / mpmath.sqrt(T + 1)
            for k in range(len(X)):
                for t in range(T):
                    exact = [c(mpmath.pi * mpmath.mpf(x)) * s for x in X[k] for c in (mpmath.cos, mpmath.sin)]
                    rho = 2 * mpmath.pi * t / T
                    exact += [mpmath.cos(rho) * s, mpmath.sin(rho) * s]
                    err = mpmath.sqrt(sum((mpmath.mpf(q) - e) ** 2 for q, e in zip(Q[k, t], exact)))
                    worst = max(worst, float(err))
        assert 0 < worst <= embedding_error(T), (T, worst, embedding_error(T))


@pytest.mark.parametrize("n, lam", [(11, 5e3), (22, 2e4), (51, 1e5), (8, 50.0)])
def test_grid_excess_bound_covers_the_sampled_excess(n, lam):
    h = 1 / (n - 1)
    x = np.linspace(0, 1, 100_001)
    y = np.arange(n) * h
    u = np.abs(x[:, None] - y[None, :])
    logk = lam * np.cos(np.pi * u)
    k = np.exp(logk - logk.max(axis=1, keepdims=True))
    sampled = float(((np.maximum(u - h / 2, 0) * k).sum(axis=1) / k.sum(axis=1)).max())
    bound = grid_excess_bound(n, lam)
    assert sampled <= bound <= 1.3 * sampled + 1e-15, (sampled, bound)


def test_cube_lipschitz_bound():
    assert 2.0 <= cube_lipschitz_bound(x1 * x2, 2).upper <= 2.04
    assert cube_lipschitz_bound(sympy.Max(x1, x2, x3), 3).upper == 1.0
    b = cube_lipschitz_bound([x1 - x2 / 2, 3 * x3], 3)
    assert 3.0 <= b.upper <= 3.06  # the larger of the two outputs
    assert_refuses(lambda: cube_lipschitz_bound(sympy.sign(x1 - 0.5), 2), NotLipschitzError, "may jump")
    assert_refuses(lambda: cube_lipschitz_bound(x1 * sympy.Symbol("y"), 2), ValueError, "other than the tokens")


def test_bad_input_is_refused():
    net = compile_seq2seq(x1 + x2, 2, 0.2)
    assert_refuses(lambda: net([[0.2, 1.5]]), ValueError, "lie in \\[0, 1\\]")
    assert_refuses(lambda: net([[0.2, np.nan]]), ValueError, "lie in \\[0, 1\\]")
    assert_refuses(lambda: net([[0.2, 0.3, 0.4]]), ValueError, "shape \\(k, 2\\)")
    assert_refuses(lambda: compile_seq2seq(x1, 2, 0.0), ValueError, "eps must be")
    assert_refuses(lambda: compile_seq2seq(lambda X: X[:, 0], 2, 0.1), ValueError, "needs lipschitz")
    assert_refuses(lambda: compile_seq2seq(lambda X: np.ones((len(X), 3)), 2, 0.1, lipschitz=1.0), ValueError,
                   "must return shape")
    assert_refuses(lambda: compile_seq2seq(lambda X: X[:1, 0], 2, 0.1, lipschitz=1.0), ValueError, "must return shape")

    def infinite_at_zero(X):
        with np.errstate(divide="ignore"):
            return np.log(X[:, 0])

    assert_refuses(lambda: compile_seq2seq(infinite_at_zero, 2, 0.1, lipschitz=1.0), ValueError, "NaN or infinite")
    assert_refuses(lambda: compile_seq2seq([x1, x2, x1], 2, 0.1), ValueError, "one per position")
    y = sympy.Symbol("y")
    for route in ("direct", "kolmogorov"):  # an unknown symbol, named before any work, L given or not
        assert_refuses(lambda route=route: compile_seq2seq(x1 * y, 2, 0.1, route=route, lipschitz=1.0), ValueError,
                       "other than the tokens")
    assert_refuses(lambda: compile_seq2seq(x1 * y, 2, 0.1), ValueError, "other than the tokens")
    assert_refuses(lambda: compile_seq2seq(x1, 2, 0.1, route="other"), ValueError, "route must be")
    assert_refuses(lambda: compile_seq2seq(x1, 2, 0.1, method="spectral"), ValueError, "has the methods")
    assert_refuses(lambda: compile_seq2seq(x1, 1, 0.1), ValueError, "T must be")
    assert set(ROUTES) == {"direct", "kolmogorov"}


def test_kolmogorov_route_reports_no_proof():
    net = compile_seq2seq(x1 * x2, 2, 0.05, route="kolmogorov")
    assert net.error_bound == math.inf and net.depth == 7 and net.route == "kolmogorov"
    assert net(grid(2, 5)).shape == (25, 2)


def test_grid_nodes_are_the_rounded_lattice():
    Y = grid_nodes(3, 7)
    assert Y.shape == (343, 3)
    assert np.abs(Y - np.round(Y * 6) / 6).max() <= 2**-53
