"""Köppen's inner function, Sprecher's outer functions and the Kolmogorov–Arnold transformer."""

from fractions import Fraction

import numpy as np
import pytest

from spherical_approx.seq2seq import (
    InnerFunction,
    compile_transformer,
    pretrained_layers,
    relative_content_attention,
    sprecher_outer,
)
from spherical_approx.seq2seq.transformer import Layer, embed, error_split, grid


@pytest.mark.parametrize("T", [2, 3])
def test_table_is_the_exact_recursion(T):
    psi = InnerFunction(T)
    k = 3 if T == 2 else 2
    exact = [psi.exact(Fraction(j, psi.gamma**k)) for j in range(psi.gamma**k + 1)]
    assert all(b > a for a, b in zip(exact, exact[1:]))  # strictly increasing on D_k
    table = psi.table(k)
    bad = [(j, float(e), table[j]) for j, e in enumerate(exact) if abs(float(e) - table[j]) > 2.3e-16]
    assert not bad, bad[:10]


def test_exact_values_by_hand():
    psi = InnerFunction(2)  # gamma 6, beta(2) = 3, beta(3) = 7
    assert psi.exact(Fraction(3, 6)) == Fraction(1, 2)
    assert psi.exact(Fraction(3, 6) + Fraction(4, 36)) == Fraction(1, 2) + Fraction(4, 6**3)
    # last digit gamma-1: the mean of the value below and the next coarser node
    d = Fraction(3, 6) + Fraction(5, 36)
    assert psi.exact(d) == (psi.exact(d - Fraction(1, 36)) + psi.exact(Fraction(4, 6))) / 2
    # trailing zeros do not change the value (psi_k(d) = psi(d) for d in D_k)
    assert psi._psi_k(3 * 36, 3) == psi.exact(Fraction(1, 2))
    assert psi.exact(1) == 1 and psi.exact(0) == 0


def test_increasing_and_continuous_on_a_dense_grid():
    psi = InnerFunction(2)
    x = np.linspace(0, 1, 200001)
    y = psi(x)
    assert np.all(np.diff(y) >= 0)
    # continuity: brackets shrink by about half per level, so the largest jump on a grid
    # of spacing 5e-6 is below the bracket of the level whose cells are wider than that
    assert np.abs(np.diff(y)).max() <= psi.accuracy(6)
    brackets = [psi.accuracy(level) for level in range(1, 7)]
    assert all(b < a for a, b in zip(brackets, brackets[1:]))
    # the float value is inside the bracket given by the exact values of the two nodes around it
    for xv in (0.123456, 0.5 + 1e-7, 0.97):
        j = int(xv * 6**5)
        lo, hi = psi.exact(Fraction(j, 6**5)), psi.exact(Fraction(j + 1, 6**5))
        assert float(lo) - 1e-16 <= psi(xv) <= float(hi) + 1e-16


def test_good_cube_images_are_disjoint():
    for T, levels in ((2, (1, 2, 3)), (3, (1, 2)), (4, (1,))):
        psi = InnerFunction(T)
        for level in levels:
            assert psi.image_separation(level) > psi.image_width(level) * 0  # strictly positive gap


def test_bad_input():
    with pytest.raises(ValueError, match="gamma"):
        InnerFunction(2, gamma=5)
    with pytest.raises(ValueError):
        InnerFunction(1)
    psi = InnerFunction(2)
    with pytest.raises(ValueError, match="terminating"):
        psi.exact(Fraction(1, 7))
    with pytest.raises(ValueError):
        psi(np.array([0.5, 1.5]))
    with pytest.raises(ValueError, match="shape"):
        psi.inner_sums(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="target"):
        sprecher_outer(psi, lambda X: np.zeros((len(X), 5)), level=1)
    with pytest.raises(TypeError):
        compile_transformer("not outer functions")


def test_transformer_structure_and_fixed_matrices():
    psi = InnerFunction(2)
    targets = [lambda X: X[:, 0] * X[:, 1], lambda X: X.max(axis=1),
               lambda X: np.stack([X[:, 0], np.cos(X[:, 1] - X[:, 0])], axis=1)]
    nets = [compile_transformer(sprecher_outer(psi, F, level=1)) for F in targets]
    X = grid(2, 9)
    for net in nets:
        assert net.depth == 2 * 2 + 3
        assert net.prefix_lengths[1] == 0  # the mixing layer has no prefix
        assert all(np.array_equal(a, b) for a, b in zip(net.matrices(), nets[0].matrices()))
    outs = [net(X) for net in nets]
    assert not np.allclose(outs[0], outs[1]) and not np.allclose(outs[0], outs[2])
    # the shared-output targets give the same value at both positions; the third does not
    assert np.array_equal(outs[0][:, 0], outs[0][:, 1])
    assert not np.allclose(outs[2][:, 0], outs[2][:, 1])


def test_stages_compute_what_they_claim():
    psi = InnerFunction(2)
    F = lambda X: X[:, 0] * X[:, 1]  # noqa: E731
    outer = sprecher_outer(psi, F, level=2)
    net = compile_transformer(outer)
    X = grid(2, 25)
    Z = net.streams(X)
    L = net.layout
    # mixing: every position holds T times the mean of layer 1's outputs
    s = Z[2][..., L.s]
    assert np.abs(s - Z[1][..., L.u].sum(axis=1, keepdims=True)).max() <= 1e-14
    # where every shifted argument is good at a finer level, layer 1 is psi to 1e-5
    u, exact = Z[1][..., L.u], psi.inner_map(X)
    assert np.median(np.abs(u - exact)) <= 1e-9
    split = error_split(net, outer, F, X)
    assert split["mixing"] <= 1e-14
    assert split["total"] <= split["outer"] + split["compiled_vs_superposition"] + 1e-12
    # the superposition is a genuine approximation: rms error well below the target's spread
    assert split["total_rms"] < 0.08


def test_relative_content_attention_is_unchanged_by_a_prefix():
    rng = np.random.default_rng(3)
    T = 2
    D = pretrained_layers(T)[0].W_Q.shape[1]
    layer = Layer("random", rng.standard_normal((4, D)), rng.standard_normal((4, D)),
                  rng.standard_normal((1, D)), np.zeros((D, 1)))
    Z = rng.standard_normal((3, T, D))
    prefix = 4 * rng.standard_normal((9, D))
    with_prefix = relative_content_attention(layer, Z, prefix)
    assert np.abs(with_prefix - relative_content_attention(layer, Z, prefix[:0])).max() <= 1e-13
    # the content weights themselves do change (the prefix takes mass), only their ratios do not
    s, _, _ = layer.scores_and_values(Z, prefix)
    w = np.exp(s - s.max(axis=2, keepdims=True))
    w /= w.sum(axis=2, keepdims=True)
    assert w[:, :, len(prefix):].sum(axis=2).max() < 0.999


def test_torch_export_matches_numpy():
    torch = pytest.importorskip("torch")
    psi = InnerFunction(2)
    net = compile_transformer(sprecher_outer(psi, lambda X: X.sum(axis=1) / 2, level=1))
    X = grid(2, 7)
    module = net.to_torch()
    with torch.no_grad():
        out = module(torch.tensor(embed(X, 2))).numpy()
    # scores are as large as lam ~ 1e8: a different summation order moves each by up to
    # a few ulps of that, which moves a softmax weight by as much (relative) and the output
    # by that times the spread of the values; 8 ulps of the largest score, per layer
    largest_score = max(net.info["lam_inner"], 3 * net.info["lam_outer"] * 1.5**2)
    tol = net.depth * 8 * np.finfo(float).eps * largest_score
    assert np.abs(out - net(X)).max() <= tol, tol


def test_torch_transformer_pickles_whole():
    torch = pytest.importorskip("torch")
    import io

    net = compile_transformer(sprecher_outer(InnerFunction(2), lambda X: X.sum(axis=1) / 2, level=1))
    module = net.to_torch()
    buf = io.BytesIO()
    torch.save(module, buf)
    buf.seek(0)
    back = torch.load(buf, weights_only=False)
    Z = torch.tensor(embed(grid(2, 3), 2))
    with torch.no_grad():
        assert torch.equal(back(Z), module(Z))


def test_inner_function_is_freed_with_its_caches():
    import gc
    import weakref

    psi = InnerFunction(2)
    psi.table(2)
    psi.exact(Fraction(1, 36))
    ref = weakref.ref(psi)
    del psi
    gc.collect()
    assert ref() is None  # an lru_cache on the methods kept every instance alive


def test_layer_softmax_is_accurate_at_large_scores():
    # the layers' scores reach 5e8; exp(s - logsumexp(s)) rounds max + log(sum) at that size (errors ~1e-8),
    # the in-place form subtracts the max exactly
    import mpmath

    from spherical_approx.seq2seq.transformer import softmax_in_place

    rng = np.random.default_rng(3)
    scores = 5e8 + rng.normal(scale=3.0, size=(4, 50))
    weights = softmax_in_place(scores.copy())
    for row, got in zip(scores, weights):
        exact = [mpmath.exp(mpmath.mpf(float(x)) - mpmath.mpf(float(row.max()))) for x in row]
        total = mpmath.fsum(exact)
        assert max(abs(float(e / total) - g) for e, g in zip(exact, got)) < 1e-15
