"""Sequence-to-sequence functions: the direct route, Köppen's inner function and the Kolmogorov–Arnold transformer."""

from __future__ import annotations

import math
import time
from fractions import Fraction

import numpy as np
import sympy

from spherical_approx.seq2seq import (
    InnerFunction,
    compile_seq2seq,
    compile_transformer,
    pretrained_layers,
    relative_content_attention,
    sequence_symbols,
    sprecher_outer,
)
from spherical_approx.seq2seq.kolmogorov import (
    evaluate_target,
    extrapolate_levels,
    float64_resolution_level,
    sprecher_levels,
)
from spherical_approx.seq2seq.transformer import embed, error_split, grid

from ..claims import Quantity, Result, claim
from ..report import Seq2seqSection

GROUP = "seq2seq"


def targets(T):
    """The four targets of the issue: three shared by all positions, one per position."""
    return {
        "sum of products": lambda X: sum(X[:, p] * X[:, (p + 1) % T] for p in range(T)) / T,
        "max": lambda X: X.max(axis=1),
        "smooth mix": lambda X: np.sin(np.pi * X.mean(axis=1)) * np.exp(X[:, 0] - X[:, -1]) / 2,
        # output t weighs the inputs differently for each t
        "seq2seq": lambda X: np.stack([np.cos(np.pi * (X * np.roll(np.arange(1, T + 1), t)).sum(axis=1) / T)
                                       for t in range(T)], axis=1),
    }


@claim(
    "kolmogorov.inner_function",
    "Köppen's psi is increasing and continuous (its level-k brackets shrink to 0); its float table equals the "
    "exact recursion on terminating base-gamma expansions; images of distinct good cubes are disjoint",
    "[third-party]", GROUP,
    params={"Ts": [2, 3, 4], "exact_level": 3}, quick={"Ts": [2, 3], "exact_level": 2},
)
def _inner_function(p):
    rows, ok = [], True
    for T in p["Ts"]:
        psi = InnerFunction(T)
        k = p["exact_level"]
        exact = [psi.exact(Fraction(j, psi.gamma**k)) for j in range(psi.gamma**k + 1)]
        strictly = all(b > a for a, b in zip(exact, exact[1:]))
        table_err = float(np.abs(psi.table(k) - np.array([float(v) for v in exact])).max())
        brackets = [psi.accuracy(level) for level in range(1, psi.default_level() + 1)]
        shrinking = all(b < a for a, b in zip(brackets, brackets[1:]))
        monotone = bool(np.all(np.diff(psi.table(psi.default_level())) >= 0))
        seps = [psi.image_separation(level) for level in (1, 2) if psi.gamma ** (level * T) <= 1_000_000]
        ok &= strictly and monotone and shrinking and table_err <= 4e-16 and min(seps) > 0
        rows.append(f"T={T} gamma={psi.gamma}: exact increasing on {len(exact)} nodes, float vs exact "
                    f"{table_err:.1e}, brackets {brackets[0]:.3g} -> {brackets[-1]:.3g}, "
                    f"image gaps {', '.join(f'{s:.2g}' for s in seps)}")
    return Result("increasing; brackets decrease; table = exact within 2 ulp; image gaps > 0",
                  "; ".join(rows), ok, "Braun & Griebel (2009), Köppen (2002)")


@claim(
    "seq2seq.relative_attention",
    "A prefix cannot change which content tokens a head attends to: the attention over the content tokens, "
    "renormalised over them, is the same with and without any prefix",
    "[toolkit]", GROUP, params={"trials": 20}, quick={"trials": 5},
)
def _relative_attention(p):
    rng = np.random.default_rng(0)
    T = 3
    layers = pretrained_layers(T)
    worst = 0.0
    for _ in range(p["trials"]):
        # a "pretrained" layer with content scores that are not all equal, and a random prefix
        D = layers[0].W_Q.shape[1]
        W = [rng.standard_normal((T + 2, D)) for _ in range(2)]
        layer = type(layers[0])("random", W[0], W[1], rng.standard_normal((1, D)), np.zeros((D, 1)))
        Z = rng.standard_normal((4, T, D))
        prefix = 3 * rng.standard_normal((int(rng.integers(1, 50)), D))
        with_prefix = relative_content_attention(layer, Z, prefix)
        without = relative_content_attention(layer, Z, prefix[:0])
        worst = max(worst, float(np.abs(with_prefix - without).max()))
    # the compiled transformer's layers: content attention stays uniform whatever the prefix
    Z = embed(np.random.default_rng(1).random((5, T)), T)
    uniform = max(float(np.abs(relative_content_attention(layer, Z, 5 * rng.standard_normal((7, Z.shape[2])))
                               - 1 / T).max()) for layer in layers)
    ok = worst <= 1e-12 and uniform <= 1e-12
    return Result("difference 0 (rounding only)", f"random heads: {worst:.1e}; the transformer's layers: "
                  f"uniform within {uniform:.1e}", ok, f"{p['trials']} random layers and prefixes")


def sympy_targets(T):
    """The same four targets as sympy expressions in x1..xT (the direct route certifies their L)."""
    xs = sequence_symbols(T)
    return {
        "sum of products": sum(xs[p] * xs[(p + 1) % T] for p in range(T)) / T,
        "max": sympy.Max(*xs),
        "smooth mix": sympy.sin(sympy.pi * sum(xs) / T) * sympy.exp(xs[0] - xs[-1]) / 2,
        "seq2seq": [sympy.cos(sympy.pi * sum(int(w) * x for w, x in zip(np.roll(np.arange(1, T + 1), t), xs)) / T)
                    for t in range(T)],
    }


def _sequences(T, points, randoms):
    """The judged sequences: the grid of ``points`` values per token and ``randoms`` uniform ones."""
    parts = [grid(T, points)] if points else []
    parts.append(np.random.default_rng(T).random((randoms, T)))
    return np.concatenate(parts)


def _sup_error(net, F, X):
    want = np.broadcast_to(evaluate_target(F, X, net.T), (len(X), net.T))
    t0 = time.perf_counter()
    out = net(X)
    return float(np.abs(out - want).max()), time.perf_counter() - t0


def _direct_rows(T, eps, X):
    """The direct route for the four targets (sympy, L certified): rows, identical matrices, distinct outputs."""
    rows, nets = [], []
    callables = targets(T)
    for name, expr in sympy_targets(T).items():
        t0 = time.perf_counter()
        net = compile_seq2seq(expr, T, eps, route="direct")
        built = time.perf_counter() - t0
        err, seconds = _sup_error(net, callables[name], X)
        nets.append(net)
        rows.append({"T": T, "target": name, "route": "direct", "eps": eps, "depth": net.depth,
                     "prefix_lengths": net.prefix_lengths, "prefix_total": int(sum(net.prefix_lengths)),
                     "error_bound": net.error_bound, "sup_error": err, "points": len(X),
                     "eval_seconds": seconds, "build_seconds": built, "lipschitz": net.info["lipschitz"],
                     "grid": net.n})
    same = all(all(np.array_equal(a, b) for a, b in zip(nets[0].matrices(), n.matrices())) for n in nets)
    return rows, same


def _kolmogorov_levels(T, names, levels, points, eps):
    """Braun–Griebel's iteration per level with exact inner sums, the fitted contraction and float64's limit."""
    inner = InnerFunction(T)
    X = grid(T, points)
    rows = []
    for name in names:
        measured = sprecher_levels(inner, targets(T)[name], X, levels)
        fit = extrapolate_levels(measured, eps, inner.gamma, T) if len(measured) > 1 else {}
        rows.append({"T": T, "target": name, "gamma": inner.gamma, "points": len(X), "levels": measured,
                     "factor": fit.get("factor"), "level_for_eps": fit.get("level"),
                     "nodes_for_eps": fit.get("nodes"), "eps": eps,
                     "float64_level": float64_resolution_level(inner)})
    return rows


@claim(
    "paper.seq2seq",
    "Sequence-to-sequence functions by prefixes alone, two routes with matrices fixed by T: the direct route "
    "(T gathering heads and one prefixed torus head, depth T+1) meets eps with a proven bound [toolkit]; the "
    "Kolmogorov–Arnold route (depth 2T+3) computes a superposition whose sup error is measured (not bounded)",
    "[paper]", GROUP,
    params={"cases": [(2, 0.05, 40, 50_000), (3, 0.1, 15, 50_000), (4, 0.2, 0, 20_000)],
            "kolmogorov": {2: (40, "grid"), 3: (15, "grid"), 4: (300, "random")},
            "levels": [(2, [1, 2, 3], ["sum of products", "max", "smooth mix", "seq2seq"]),
                       (3, [1, 2], ["sum of products", "max"])]},
    quick={"cases": [(2, 0.05, 20, 5_000), (3, 0.1, 6, 5_000)],
           "kolmogorov": {2: (20, "grid"), 3: (6, "grid")},
           "levels": [(2, [1, 2], ["max"])]},
    case_fields=("T", "eps", "grid_points", "random_sequences"),
    cost=80,
)
def _seq2seq(p):
    rows, table, routes, ok = [], [], [], True
    quantities = []
    for T, eps, points, randoms in p["cases"]:
        X = _sequences(T, points, randoms)
        direct, same_direct = _direct_rows(T, eps, X)
        routes += direct
        for r in direct:
            quantities.append(Quantity(f"T={T} {r['target']}: sampled error / bound", r["sup_error"], r["error_bound"]))
            quantities.append(Quantity(f"T={T} {r['target']}: bound / eps", r["error_bound"], eps))
        ok &= same_direct and all(r["depth"] == T + 1 for r in direct)
        worst = max(r["sup_error"] for r in direct)
        bound = max(r["error_bound"] for r in direct)
        line = (f"T={T} direct: depth {T + 1}, matrices {'identical' if same_direct else 'DIFFER'}, sup error "
                f"{worst:.3g} <= bound {bound:.3g} <= eps {eps:g} on {len(X)} sequences")
        if T in p["kolmogorov"]:
            size, kind = p["kolmogorov"][T]
            ka, ka_ok, ka_text = _kolmogorov_case(T, size, kind, eps)
            table += ka
            ok &= ka_ok
            line += f"; Kolmogorov–Arnold: {ka_text}"
            routes += [{"T": T, "target": r["target"], "route": "kolmogorov", "eps": eps, "depth": r["depth"],
                        "prefix_lengths": r["prefix_lengths"], "prefix_total": int(sum(r["prefix_lengths"])),
                        "error_bound": math.inf, "sup_error": r["total"], "points": r["points"],
                        "eval_seconds": r["eval_seconds"], "build_seconds": r["seconds"] - r["eval_seconds"]}
                       for r in ka]
        rows.append(line)
    ok &= all(q.holds for q in quantities)
    eps_of = {case[0]: case[1] for case in p["cases"]}
    levels = [row for T, lv, names in p["levels"]
              for row in _kolmogorov_levels(T, names, lv, p["kolmogorov"][T][0], eps_of.get(T, 0.05))]
    for r in levels:
        last, sups = r["levels"][-1], " -> ".join(format(x["sup"], ".3g") for x in r["levels"])
        rows.append(f"KA T={r['T']} {r['target']}: sup error {sups} "
                    f"(levels {r['levels'][0]['level']}..{last['level']}, exact inner sums)"
                    + (f", factor {r['factor']:.2f}/level: eps {r['eps']:g} at level {r['level_for_eps']} "
                       f"({r['nodes_for_eps']:.3g} nodes per shift)" if r["factor"] is not None else "")
                    + f"; float64 stops resolving psi at level {r['float64_level']}")
    return Result("direct: sampled <= proven bound <= eps, depth T+1, identical matrices; Kolmogorov–Arnold: "
                  "depth 2T+3, identical matrices, distinct F, mixing exact",
                  "; ".join(rows), ok, "both routes per (T, target) in the seq2seq tables",
                  data=Seq2seqSection(table, routes, levels), quantities=quantities)


def _kolmogorov_case(T, size, kind, eps):
    """The Kolmogorov–Arnold transformer for the four targets: stage errors, structure checks."""
    X = grid(T, size) if kind == "grid" else np.random.default_rng(T).random((size, T))
    inner = InnerFunction(T)
    table, nets, outputs = [], {}, {}
    for name, F in targets(T).items():
        t0 = time.perf_counter()
        outer = sprecher_outer(inner, F)
        net = compile_transformer(outer)
        t1 = time.perf_counter()
        split = error_split(net, outer, F, X)
        nets[name] = net
        outputs[name] = net(X[:50])
        table.append({"T": T, "target": name, "depth": net.depth, "prefix_lengths": net.prefix_lengths,
                      "level": outer.level, "sweep_residual": outer.residual, "points": len(X),
                      "evaluation": kind, **split, "seconds": time.perf_counter() - t0,
                      "eval_seconds": time.perf_counter() - t1})
    ref = next(iter(nets.values()))
    same = all(all(np.array_equal(a, b) for a, b in zip(ref.matrices(), n.matrices())) for n in nets.values())
    distinct = len({o.tobytes() for o in outputs.values()}) == len(outputs)
    depth_ok = all(n.depth == 2 * T + 3 for n in nets.values())
    mixing_ok = all(r["mixing"] <= 1e-12 for r in table)
    worst = max(r["total"] for r in table)
    text = (f"depth {ref.depth}, matrices {'identical' if same else 'DIFFER'} across {len(nets)} targets, sup error "
            f"{worst:.3g} on {len(X)} {kind} points ({'meets' if worst <= eps else 'misses'} eps={eps:g})")
    return table, same and distinct and depth_ok and mixing_ok, text
