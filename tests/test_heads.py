import numpy as np
import pytest
import sympy

import spherical_approx as sa
from spherical_approx.heads import Prefix, UniversalHead, softmax_attention
from spherical_approx.testing import assert_refuses


@pytest.mark.parametrize("m", [1, 2, 3])
def test_head_algebra_symbolically(m):
    d_out = 2
    H = UniversalHead(m, d_out)
    x = sympy.symbols(f"x0:{m + 1}")
    kappa = sympy.symbols(f"k0:{m + 1}")
    b, v = sympy.Symbol("b"), sympy.symbols(f"v0:{d_out}")
    # content token (x, 1, 0, 0) and prefix token (0, (kappa, b), v), symbolically
    z = sympy.Matrix([*x, 1] + [0] * (m + 2) + [0] * d_out)
    u = sympy.Matrix([0] * (m + 2) + [*kappa, b] + list(v))
    WQ, WK, WV = (sympy.Matrix(W.astype(int)) for W in (H.W_Q, H.W_K, H.W_V))  # 0/1 entries, exact
    score_prefix = ((WQ * z).T * (WK * u))[0]
    score_content = ((WQ * z).T * (WK * z))[0]
    assert sympy.expand(score_prefix - (sum(a * c for a, c in zip(x, kappa)) + b)) == 0
    assert score_content == 0
    assert WV * z == sympy.zeros(d_out, 1)
    assert WV * u == sympy.Matrix(v)


@pytest.mark.parametrize("m,d_out,T", [(1, 1, 1), (2, 3, 5), (3, 2, 8)])
def test_closed_form_equals_generic_attention(m, d_out, T, rng):
    H = UniversalHead(m, d_out)
    N = 50
    prefix = Prefix(rng.normal(size=(N, m + 1)) * 3, rng.normal(size=N), rng.normal(size=(N, d_out)))
    X = sa.sample_uniform(m, T, seed=rng)
    Z = H.content_tokens(X)
    generic = H.attend_tokens(Z, H.prefix_tokens(prefix))
    np.testing.assert_allclose(generic, H(X, prefix, context_tokens=T), rtol=1e-13, atol=1e-14)
    causal = H.attend_tokens(Z, H.prefix_tokens(prefix), causal=True)
    np.testing.assert_allclose(causal, H(X, prefix, context_tokens=np.arange(1, T + 1)), rtol=1e-13, atol=1e-14)
    # and softmax_attention itself against a direct formula
    Q, K = rng.normal(size=(3, 4)), rng.normal(size=(5, 4))
    V = rng.normal(size=(5, 2))
    E = np.exp(Q @ K.T)
    np.testing.assert_allclose(softmax_attention(Q, K, V), E @ V / E.sum(1, keepdims=True), rtol=1e-13)


def test_element_wise_property(rng):
    # the output at a token depends on that token and on the count of visible tokens only
    m, T = 2, 6
    H = UniversalHead(m, 1)
    prefix = Prefix(rng.normal(size=(30, m + 1)) * 4, rng.normal(size=30), rng.normal(size=(30, 1)))
    X = sa.sample_uniform(m, T, seed=1)
    out = H.attend_tokens(H.content_tokens(X), H.prefix_tokens(prefix))
    for trial in range(3):
        Y = X.copy()
        Y[1:] = sa.sample_uniform(m, T - 1, seed=10 + trial)  # change every other token
        out2 = H.attend_tokens(H.content_tokens(Y), H.prefix_tokens(prefix))
        assert np.array_equal(out[0], out2[0]) or np.allclose(out[0], out2[0], rtol=1e-15, atol=0)


def test_bias_shift_scales_the_content_term(rng):
    m = 2
    H = UniversalHead(m, 1)
    prefix = Prefix(rng.normal(size=(20, m + 1)), rng.normal(size=20), rng.normal(size=(20, 1)))
    X = sa.sample_uniform(m, 7, seed=3)
    h0 = H(X, prefix, 0)
    for beta in (0.0, 2.0, 5.0):
        S = np.exp(X @ prefix.keys.T + prefix.biases).sum(1)
        expected = h0[:, 0] * S / (S + 4 * np.exp(-beta))
        np.testing.assert_allclose(H(X, prefix.shifted(beta), 4)[:, 0], expected, rtol=1e-13)


def test_huge_lambda_and_many_keys_do_not_overflow():
    m = 2
    H = UniversalHead(m, 1)
    net = sa.sample_uniform(m, 1_000_000, seed=0)
    prefix = Prefix(1e8 * net, np.zeros(len(net)), net[:, 2:3])
    X = sa.sample_uniform(m, 5, seed=1)
    out = H(X, prefix, 3)
    assert np.all(np.isfinite(out)) and np.all(np.abs(out) <= 1)
    tr = H.truncated(X, prefix, 3)
    assert np.all(np.isfinite(tr.output)) and np.all(np.isfinite(tr.error_bound))
    assert np.all(np.abs(tr.output - out) <= tr.error_bound + 8 * 3 * 1e8 * 2**-53)
    prefix12 = Prefix(1e12 * net[:1000], np.zeros(1000), net[:1000, :1])
    assert np.all(np.isfinite(H(X, prefix12, 1)))


@pytest.mark.parametrize("lam", [50.0, 1e3, 1e5])
def test_truncated_matches_dense_within_its_bound(lam):
    m = 2
    H = UniversalHead(m, 2)
    net = sa.delta_net(m, 0.05)
    prefix = Prefix(lam * net, np.log(np.linspace(1, 2, len(net))), np.stack([net[:, 0], net[:, 1] ** 2], 1))
    X = sa.sample_uniform(m, 500, seed=4)
    dense = H(X, prefix, 2)
    tr = H.truncated(X, prefix, 2)
    err = np.abs(tr.output - dense).max(axis=1)
    # both paths round the scores lam <x, u> differently (matmul vs dot): an exponent
    # error of ~(m+1) lam u changes the weights by that relative amount
    rounding = 8 * (m + 1) * lam * 2**-53 * np.abs(prefix.values).max()
    assert np.all(err <= tr.error_bound + rounding)
    if lam >= 1e3:
        # the balls (chord radius r, r^2 = nearest^2 + 2 * 40 / lam) hold few keys, and the grid
        # search visits them plus the keys of the cells on their rims: a few times the ball's keys
        # where balls are small (lam = 1e5: 1.5 keys per ball, 12 visited), 2.6 times at lam = 1e3
        chord2 = ((X[:, None, :] - net[None, :, :]) ** 2).sum(axis=2)
        in_balls = int((chord2 <= chord2.min(axis=1, keepdims=True) + 80 / lam).sum())
        assert in_balls < 0.05 * len(net) * len(X)
        assert in_balls <= tr.keys_visited <= 3 * in_balls + 16 * len(X)


BAD = [
    (lambda: UniversalHead(0, 1), ValueError, "m must be >= 1"),
    (lambda: UniversalHead(2, 0), ValueError, "d_out must be >= 1"),
    (lambda: Prefix(np.ones((3, 3)), np.ones(2), np.ones((3, 1))), ValueError, "shapes disagree"),
    (lambda: Prefix(np.full((1, 3), np.nan), np.ones(1), np.ones((1, 1))), ValueError, "NaN"),
    (lambda: UniversalHead(2, 1)(np.ones((1, 3)), Prefix(np.ones((1, 3)), [0.0], [[1.0]])), ValueError, "unit"),
    (lambda: UniversalHead(2, 1)(np.eye(3)[:1], Prefix(np.ones((1, 4)), [0.0], [[1.0]])), ValueError, "prefix is for"),
    (lambda: UniversalHead(2, 1)(np.eye(3)[:1], "prefix"), TypeError, "Prefix"),
    (lambda: UniversalHead(2, 1)(np.eye(3)[:1], Prefix(np.ones((1, 3)), [0.0], [[1.0]]), -1), ValueError,
     "context_tokens"),
    (lambda: UniversalHead(2, 1).truncated(np.eye(3)[:1], Prefix(np.eye(3) * [1, 2, 3], [0.0] * 3, [[1.0]] * 3)),
     ValueError, "common norm"),
    (lambda: UniversalHead(2, 1).truncated(np.eye(3)[:1], Prefix(np.eye(3), [0.0] * 3, [[1.0]] * 3), margin=0.0),
     ValueError, "margin must be"),
    (lambda: UniversalHead(2, 1).truncated(np.eye(3)[:1], Prefix(np.eye(3), [0.0] * 3, [[1.0]] * 3),
                                           margin=np.nan), ValueError, "margin must be"),
]


@pytest.mark.parametrize("call,exc,msg", BAD)
def test_bad_input(call, exc, msg):
    assert_refuses(call, exc, msg)


def test_a_pickled_prefix_drops_its_search_structures():
    import pickle

    Y = sa.sample_uniform(2, 20000, seed=2)
    prefix = Prefix(1e4 * Y, np.zeros(len(Y)), Y[:, 2:3])
    H, X = UniversalHead(2, 1), sa.sample_uniform(2, 50, seed=3)
    before = len(pickle.dumps(prefix))
    tr = H.truncated(X, prefix, 1)  # builds the KD-tree and a grid, cached on the prefix
    copy = pickle.loads(pickle.dumps(prefix))
    assert len(pickle.dumps(prefix)) == before and not copy.keys.flags.writeable
    np.testing.assert_array_equal(H.truncated(X, copy, 1).output, tr.output)


@pytest.mark.parametrize("lam", [1e-300, 1e-152, 1e200, 1e300])
def test_truncated_with_extreme_key_norms_is_the_dense_path(lam):
    """Key norms whose squares leave float64's normal range: common_key_norm stays right (it was
    inf at 1e200) and the truncated path hands every query to the dense path, bound 0."""
    Y = sa.sample_uniform(2, 100, seed=2)
    prefix = Prefix(lam * Y, np.zeros(100), Y[:, :1])
    assert prefix.common_key_norm() == pytest.approx(lam, rel=1e-15)
    H, X = UniversalHead(2, 1), sa.sample_uniform(2, 5, seed=1)
    tr = H.truncated(X, prefix, 1)
    np.testing.assert_array_equal(tr.output, H(X, prefix, 1))
    assert not tr.error_bound.any() and tr.keys_visited == 5 * 100
