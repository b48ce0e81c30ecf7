import numpy as np
import pytest
import sympy

import spherical_approx as sa
from spherical_approx.certify import certify_sup_error
from spherical_approx.constructions import sampled_sup_error
from spherical_approx.heads import Prefix

x0, x1, x2 = sympy.symbols("x0:3")
F1 = sympy.Abs(x0) + x0 * x1


@pytest.fixture(scope="module")
def quad_s1():
    return sa.approximate(F1, 1, 0.05, method="quadrature")


def test_proves_a_good_head_and_the_bound_is_tight(quad_s1):
    cert = certify_sup_error(quad_s1, F1, 0.05, max_seconds=60)
    sampled = sampled_sup_error(quad_s1, F1, 1, samples=20000)
    assert cert.status == "proved" and cert.proved
    # rigorous: nothing sampled lies above the proved bound; tight: within 1.5x of what is attained
    assert sampled <= cert.upper <= 0.05
    assert cert.lower <= cert.upper <= 1.5 * cert.lower
    assert cert.boxes > 4 and cert.key_evaluations > 0 and cert.precision == 64
    assert "proved: sup |head - f| <=" in str(cert)


def test_a_perturbed_token_is_refuted_with_a_witness(quad_s1):
    pre = quad_s1.prefix
    for j, delta in [(0, 0.5), (len(pre.values) // 2, -2.0)]:
        values = pre.values.copy()
        values[j] += delta
        bad = Prefix(pre.keys, pre.biases, values)
        cert = certify_sup_error(quad_s1.head, F1, 0.05, m=1, prefix=bad, context_tokens=1, max_seconds=60)
        assert cert.status == "refuted" and cert.lower > 0.05
        # the witness is a real point where the compiled head misses f by more than eps
        w = cert.witness[None, :]
        err = abs(quad_s1.head(w, bad, 1)[0, 0] - float(F1.subs({x0: w[0, 0], x1: w[0, 1]})))
        assert err > 0.05 and abs(err - cert.lower) < 1e-9


def test_a_narrow_spike_in_f_is_never_proved(quad_s1):
    # f + a spike of height 0.2 and width 1e-3 around angle 1 (invisible to a coarse sample)
    c, s = np.cos(1.0), np.sin(1.0)
    spiky = F1 + sympy.Rational(1, 5) * sympy.exp(-(((x0 - c) ** 2 + (x1 - s) ** 2) * 10**6))
    cert = certify_sup_error(quad_s1, spiky, 0.05, max_seconds=60)
    assert cert.status == "refuted"
    assert np.linalg.norm(cert.witness - [c, s]) < 2e-3


def test_undecided_when_the_budget_is_too_small(quad_s1):
    cert = certify_sup_error(quad_s1, F1, 0.05, max_boxes=6)
    assert cert.status == "undecided" and cert.upper > 0.05 and "budget" in cert.notes[0]


def test_callable_target_uses_the_given_lipschitz_constant(quad_s1):
    g = lambda X: np.abs(X[:, 0]) + X[:, 0] * X[:, 1]  # noqa: E731
    with pytest.raises(ValueError, match="lipschitz"):
        certify_sup_error(quad_s1, g, 0.05)
    cert = certify_sup_error(quad_s1, g, 0.05, lipschitz=2.05, max_seconds=60)
    assert cert.status == "proved" and "callable" in cert.notes[0]
    # a Lipschitz constant far too small is taken at its word: then only the head's part is checked
    assert cert.upper >= sampled_sup_error(quad_s1, F1, 1, samples=5000)


def test_vector_valued_and_s2_heads():
    f = [x0 * x1, x2]
    a = sa.approximate(f, 2, 0.3, method="quadrature")
    cert = certify_sup_error(a, f, 0.3, max_seconds=120, tightness=None)
    assert cert.status == "proved"
    assert sampled_sup_error(a, f, 2, samples=5000) <= cert.upper <= 0.3


def test_bad_input():
    a = sa.approximate(x0 * x1, 1, 0.1, method="quadrature")
    with pytest.raises(ValueError, match="eps"):
        certify_sup_error(a, x0 * x1, -1.0)
    with pytest.raises(ValueError, match="outputs"):
        certify_sup_error(a, [x0, x1], 0.1)
    with pytest.raises(ValueError, match="prefix"):
        certify_sup_error(a.head, x0 * x1, 0.1)


def test_normalised_weight_bounds_stay_normal():
    # w / D raised to >= 2^-600 (upper) or dropped to 0 (lower), never a subnormal result
    from fractions import Fraction

    from spherical_approx.certify import _ratio_lower, _ratio_upper

    w = np.array([0.0, 3e-305, 1e-200, 0.7, 1e300])
    for D in [0.5, 1.0, 1e150, 1e300, 1.7e308]:
        with np.errstate(under="raise"):
            up, low = _ratio_upper(w, np.full(5, D)), _ratio_lower(w, np.full(5, D))
        for wi, u, lo in zip(w, up, low):
            exact = Fraction(wi) / Fraction(D)  # each end is the quotient up to one rounding
            assert Fraction(lo) <= exact * (1 + Fraction(2) ** -53) and lo >= 0
            assert Fraction(u) >= exact * (1 - Fraction(2) ** -53) and u >= 2.0**-600
            assert lo == 0 or lo >= 2.0**-601


def test_ordinary_heads_never_underflow(quad_s1):
    # the weight bounds' floors keep every float operation of the enclosures in the normal range
    # (without them, these searches lost 60 and 501 of 20,000 boxes to the underflow guard)
    for approx in (quad_s1, sa.approximate(F1, 1, 0.05, method="delta_net")):
        cert = certify_sup_error(approx, F1, 0.05, max_boxes=20000, tightness=1.0)
        assert not any("underflow" in note for note in cert.notes), cert.notes


@pytest.mark.parametrize("scale", [2.0**-1000, 2.0**1000, 1e-310])
def test_values_of_any_size_are_certified(quad_s1, scale):
    # h is linear in the values: values near the ends of the float range are enclosed scaled by a
    # power of two (before, products of weights and values underflowed or overflowed)
    pre = quad_s1.prefix
    small = Prefix(pre.keys, pre.biases, pre.values * scale)
    f = sympy.Rational(scale) * F1
    cert = certify_sup_error(quad_s1.head, f, 0.05 * scale, m=1, prefix=small, context_tokens=1, max_seconds=60)
    assert cert.status == "proved", cert
    X = sa.sample_uniform(1, 20000, seed=3)
    h = quad_s1.head(X, small, 1)[:, 0]
    # the error in units of scale, so that f's evaluation does not round in the subnormal range
    err = float(np.max(np.abs(h / scale - (np.abs(X[:, 0]) + X[:, 0] * X[:, 1])))) * scale
    assert err <= cert.upper <= 0.05 * scale
    if scale != 1e-310:  # a power of two: the same head in other units
        assert cert.upper / scale == pytest.approx(certify_sup_error(quad_s1, F1, 0.05, max_seconds=60).upper,
                                                   rel=1e-6)


def test_a_value_below_the_normal_range_among_others(quad_s1):
    pre = quad_s1.prefix
    values = pre.values.copy()
    j = int(np.argmin(np.abs(values[:, 0])))  # a value of 1.2e-16 becomes subnormal: the same head, nearly
    values[j] = 3e-320  # weight times this value is subnormal; it only enters the centring estimate
    odd = Prefix(pre.keys, pre.biases, values)
    cert = certify_sup_error(quad_s1.head, F1, 0.05, m=1, prefix=odd, context_tokens=1, max_seconds=60)
    assert cert.status == "proved" and not any("underflow" in note for note in cert.notes)
    X = sa.sample_uniform(1, 20000, seed=4)
    assert np.max(np.abs(quad_s1.head(X, odd, 1)[:, 0] - np.abs(X[:, 0]) - X[:, 0] * X[:, 1])) <= cert.upper


def test_a_box_whose_float_work_underflows_gets_no_bound(quad_s1):
    # keys of norm about 2^-600: their squares and the weighted sums underflow, which the relative
    # rounding model behind the margins does not cover, so no box gets a bound (not a guessed one)
    pre = quad_s1.prefix
    flat = Prefix(np.ldexp(pre.keys, -600), pre.biases, pre.values)
    cert = certify_sup_error(quad_s1.head, F1, 10.0, m=1, prefix=flat, context_tokens=1, max_boxes=64)
    assert cert.status == "undecided" and cert.upper == np.inf
    assert f"{cert.boxes} boxes got no bound: a float operation in their enclosure underflowed" in cert.notes


@pytest.fixture(scope="module")
def quad_s2():
    f = sympy.Abs(x0) + x1 * x2
    return f, sa.approximate(f, 2, 0.3, method="quadrature")


def test_s2_perturbed_token_is_refuted_and_the_witness_is_real(quad_s2):
    f, a = quad_s2
    pre = a.prefix
    values = pre.values.copy()
    j = int(np.argmax(pre.keys @ np.array([0.6, 0.0, 0.8])))  # the token nearest a smooth point
    values[j] += 5.0
    bad = Prefix(pre.keys, pre.biases, values)
    cert = certify_sup_error(a.head, f, 0.3, m=2, prefix=bad, context_tokens=a.context_tokens, max_seconds=60)
    assert cert.status == "refuted" and cert.lower > 0.3
    w = cert.witness[None, :]
    err = abs(a.head(w, bad, a.context_tokens)[0, 0] - float(f.subs(dict(zip((x0, x1, x2), w[0])))))
    assert err > 0.3 and 0 <= err - cert.lower < 1e-9


def test_s2_bound_holds_at_every_sampled_point_of_each_box(quad_s2):
    # the box bounds (all three forms) against the true error at points inside each box
    import flint

    from spherical_approx.boxes import box_to_balls
    from spherical_approx.certify import _Enclosures
    from spherical_approx.targets import Target

    f, a = quad_s2
    pre = a.prefix
    enc = _Enclosures(pre.keys, pre.biases, pre.values, a.context_tokens, Target(f, 2).exprs, 2, None)
    rng = np.random.default_rng(11)
    failures = []
    with flint.ctx.workprec(64):
        for _ in range(40):
            axis, sign = int(rng.integers(3)), float(rng.choice([-1, 1]))
            half = 10 ** rng.uniform(-3, -1)
            centre = rng.uniform(-1 + half, 1 - half, 2)
            lo, hi = centre - half, centre + half
            coords, _ = box_to_balls(axis, sign, lo, hi)
            mid, _ = box_to_balls(axis, sign, centre, centre)
            up, low, _, near = enc.box(coords, mid)
            # the near keys of a box, passed as candidates, give the same bound on a half
            v = rng.uniform(lo, hi, (200, 2))
            X = np.insert(v, axis, sign, axis=1)
            X /= np.linalg.norm(X, axis=1, keepdims=True)
            err = np.abs(a.head(X, pre, a.context_tokens)[:, 0] - np.abs(X[:, 0]) - X[:, 1] * X[:, 2])
            if not (err.max() <= up and low <= err.max() + 1e-9):
                failures.append((axis, sign, lo, hi, up, low, err.max()))
    assert not failures, failures[:3]


def test_candidates_from_a_parent_give_a_valid_bound(quad_s2):
    import flint

    from spherical_approx.boxes import box_to_balls, split_box
    from spherical_approx.certify import _Enclosures
    from spherical_approx.targets import Target

    f, a = quad_s2
    pre = a.prefix
    enc = _Enclosures(pre.keys, pre.biases, pre.values, a.context_tokens, Target(f, 2).exprs, 2, None)
    box = (2, 1.0, np.array([0.2, -0.1]), np.array([0.3, 0.0]))
    with flint.ctx.workprec(64):
        def bound(b, cand=None):
            coords, _ = box_to_balls(*b)
            mid = (b[2] + b[3]) / 2
            centre, _ = box_to_balls(b[0], b[1], mid, mid)
            return enc.box(coords, centre, cand)

        *_, near = bound(box)
        assert len(near) < enc.N
        for half in split_box(box):
            full, inherited = bound(half), bound(half, near)
            # the same near keys are found; the bound is the same up to the far-count term
            assert set(inherited[3]) == set(full[3])
            assert inherited[0] == pytest.approx(full[0], rel=1e-9)


@pytest.mark.parametrize("f, method", [
    (sympy.Abs(x0) + x1 * x2, "quadrature"),  # a kink
    (sympy.Abs(x0) + x1 * x2, "delta_net"),
    (sympy.sin(6 * x0) * x1 + sympy.exp(2 * x2), "quadrature"),  # large curvature
    ([x0 * x1, sympy.cos(4 * x2)], "quadrature"),  # two outputs
])
def test_every_enclosure_form_holds_on_its_own(f, method):
    # each of the four box bounds (mean value, Taylor, third-order Taylor, convex) against the
    # error at 304 points of each box, corners included; a third of the boxes straddle x0 = 0
    import flint

    from spherical_approx.boxes import box_to_balls
    from spherical_approx.certify import _Enclosures
    from spherical_approx.targets import Target

    a = sa.approximate(f, 2, 0.3, method=method)
    pre = a.prefix
    enc = _Enclosures(pre.keys, pre.biases, pre.values, a.context_tokens, Target(f, 2).exprs, 2, None)
    target = sympy.lambdify((x0, x1, x2), f if isinstance(f, list) else [f], "numpy")
    rng = np.random.default_rng(5)
    items, points = [], []
    with flint.ctx.workprec(64):
        for _ in range(60):
            axis, sign = int(rng.integers(1, 3)), float(rng.choice([-1, 1]))
            half = 10 ** rng.uniform(-4, -1.3)
            centre = rng.uniform(-1 + half, 1 - half, 2)
            if rng.random() < 1 / 3:
                centre[0] = rng.uniform(-half, half)  # x0 is the face's first free coordinate
            lo, hi = centre - half, centre + half
            coords, _ = box_to_balls(axis, sign, lo, hi)
            mid, _ = box_to_balls(axis, sign, centre, centre)
            items.append((coords, mid, None))
            v = np.vstack([rng.uniform(lo, hi, (300, 2)), [lo, [lo[0], hi[1]], [hi[0], lo[1]], hi]])
            X = np.insert(v, axis, sign, axis=1)
            points.append(X / np.linalg.norm(X, axis=1, keepdims=True))
        found = enc.enclose(items)
    failures, used = [], set()
    for i, X in enumerate(points):
        F = np.stack([np.broadcast_to(np.asarray(c, float), (len(X),)) for c in target(*X.T)], axis=1)
        err = np.linalg.norm(a(X).reshape(len(X), -1) - F, axis=1).max()
        assert found[i][0] == min(b[i] for b in enc.forms.values() if b[i] >= 0)
        used.add(min(enc.forms, key=lambda k: enc.forms[k][i] if enc.forms[k][i] >= 0 else np.inf))
        failures += [(name, i, err, bound[i]) for name, bound in enc.forms.items() if err > bound[i]]
    assert not failures, failures[:5]
    # the third-order form is the best one somewhere for smoothing heads (else it is dead code),
    # the convex form for the delta net (one key dominates)
    assert ("convex" if method == "delta_net" else "taylor3") in used
