"""The grid search of the truncated head: its ranges hold every key of each ball (exact arithmetic)."""

from fractions import Fraction

import numpy as np
import pytest

import spherical_approx as sa
from spherical_approx.grid import MAX_COLUMNS, DirectionGrid, cell_exponent
from spherical_approx.heads import Prefix, UniversalHead


def covered(grid, Q, r):
    """For each query, the set of original key indices in its ranges (and the wide flags)."""
    qi, start, stop, wide = grid.ranges(Q, r)
    sets = [set() for _ in range(len(Q))]
    for i, s, e in zip(qi, start, stop):
        sets[i].update(int(j) for j in grid.order[s:e])
    return sets, wide


def exact_dist2(a, b):
    return sum((Fraction(float(x)) - Fraction(float(y))) ** 2 for x, y in zip(a, b))


# exact points at distance r = n 2^-6 from a query: offsets (3, 4)/5, (1, 2, 2)/3, (1, 1, 1, 1)/2 times r
TRIPLES = {2: ([3, 4], 5), 3: ([1, 2, 2], 3), 4: ([1, 1, 1, 1], 2)}


@pytest.mark.parametrize("d", [2, 3, 4])
def test_ranges_hold_every_key_of_the_ball(d):
    rng = np.random.default_rng(d)
    k = 4  # cells of side 1/16
    step = 2.0**-6
    offs, n = TRIPLES[d]
    Q = np.round(rng.uniform(-0.8, 0.8, (40, d)) / step) * step  # dyadic, often on cell boundaries
    r = np.full(len(Q), n * step)
    boundary = []  # keys at exactly distance r, every sign pattern and coordinate order
    for q in Q[:10]:
        for _ in range(6):
            boundary.append(q + rng.permutation(offs) * rng.choice([-1.0, 1.0], d) * step)
    keys = np.concatenate([rng.uniform(-1, 1, (3000, d)), np.array(boundary),
                           np.round(rng.uniform(-1, 1, (500, d)) * 16) / 16])  # keys on cell corners too
    grid = DirectionGrid(keys, k)
    sets, wide = covered(grid, Q, r)
    assert not wide.any()
    inside = 0
    for i, q in enumerate(Q):
        d2 = ((keys - q) ** 2).sum(axis=1)
        for j in np.flatnonzero(d2 <= r[i] ** 2 * (1 + 1e-9)):
            if exact_dist2(keys[j], q) <= Fraction(float(r[i])) ** 2:
                inside += 1
                assert j in sets[i], f"query {i} {q}: key {j} {keys[j]} in the ball, not in the ranges"
        # and the ranges stay near the ball: within r + two cell diagonals
        far = [j for j in sets[i] if np.sqrt(d2[j]) > r[i] + 2 * np.sqrt(d) / 16]
        assert not far, f"query {i}: keys {far[:5]} far outside the ball"
    assert inside >= 60  # the 60 boundary keys were met


def test_ranges_on_the_sphere_match_a_brute_force_search():
    m = 2
    U = sa.sample_uniform(m, 20000, seed=3)
    Q = sa.sample_uniform(m, 300, seed=4)
    r = np.random.default_rng(5).uniform(0.01, 0.3, len(Q))
    grid = DirectionGrid(U, cell_exponent(m, 0.05, 20))
    sets, wide = covered(grid, Q, r)
    for i in np.flatnonzero(~wide):
        ball = set(np.flatnonzero(((U - Q[i]) ** 2).sum(axis=1) <= r[i] ** 2).tolist())
        assert ball <= sets[i], f"query {i}: {sorted(ball - sets[i])[:5]} missed"
    assert wide.sum() < len(Q)


def test_too_many_columns_are_left_to_the_caller():
    grid = DirectionGrid(sa.sample_uniform(2, 100, seed=0), 10)
    qi, start, stop, wide = grid.ranges(np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]), np.array([1.5, 1e-3]))
    assert wide.tolist() == [True, False] and not (qi == 0).any()
    assert MAX_COLUMNS < (2 * 1.5 * 2**10) ** 2


def test_a_grid_beyond_int64_is_refused():
    with pytest.raises(ValueError, match="beyond int64"):
        DirectionGrid(np.eye(3), 62 // 3)
    DirectionGrid(np.eye(3), cell_exponent(2, 1e-30, 10))  # the finest cell_exponent gives fits


def test_cell_exponent():
    # the fastest k measured (S^2, 2,000 queries): N = 1e5, lam = 1e4 and N = 1e6, lam = 1e6
    assert cell_exponent(2, 0.09, 200) == 4 and cell_exponent(2, 0.0096, 23) == 6
    assert cell_exponent(2, 1e-30, 10) == 62 // 3 - 2  # cell numbers must fit an int64
    assert cell_exponent(10, 0.01, 1e9) == 62 // 11 - 2 and cell_exponent(1, 10.0, 1) == 0


def test_truncated_sends_sparse_and_empty_balls_to_the_dense_path():
    """Keys in two tight clusters: queries far from both have wide balls (many columns or dense)."""
    m, lam = 2, 1e5
    rng = np.random.default_rng(7)
    centres = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    Y = np.concatenate([c + 1e-3 * rng.standard_normal((3000, 3)) for c in centres])
    Y /= np.linalg.norm(Y, axis=1, keepdims=True)
    prefix = Prefix(lam * Y, rng.uniform(0, 1, len(Y)), Y[:, :1])
    X = np.concatenate([sa.sample_uniform(m, 200, seed=8), centres, [[0.0, 1.0, 0.0]]])
    H = UniversalHead(m, 1)
    dense, tr = H(X, prefix, 1), H.truncated(X, prefix, 1)
    rounding = 8 * (m + 1) * lam * 2**-53
    assert np.all(np.abs(tr.output - dense)[:, 0] <= tr.error_bound + rounding)
    assert tr.keys_visited < len(X) * len(Y)  # the cluster queries were truncated


@pytest.mark.parametrize("m,N,lam", [(1, 20000, 1e4), (3, 30000, 1e5), (4, 20000, 1e4)])
def test_truncated_in_other_dimensions(m, N, lam):
    """The grid search on S^1, S^3, S^4: within the bound of the dense path, few keys visited."""
    Y, X = sa.sample_uniform(m, N, seed=1), sa.sample_uniform(m, 300, seed=2)
    rng = np.random.default_rng(0)
    prefix = Prefix(lam * Y, rng.uniform(0, 2, N), np.stack([Y[:, 0], np.sin(3 * Y[:, -1])], 1))
    H = UniversalHead(m, 2)
    dense, tr = H(X, prefix, 2), H.truncated(X, prefix, 2)
    rounding = 8 * (m + 1) * lam * 2**-53
    assert np.all(np.abs(tr.output - dense).max(axis=1) <= tr.error_bound + rounding)
    assert tr.keys_visited < 0.05 * N * len(X)
