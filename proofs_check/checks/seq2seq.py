"""Sequence-to-sequence functions: Köppen's inner function and the Kolmogorov–Arnold transformer."""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np

from spherical_approx.seq2seq import (
    InnerFunction,
    compile_transformer,
    pretrained_layers,
    relative_content_attention,
    sprecher_outer,
)
from spherical_approx.seq2seq.transformer import embed, error_split, grid

from ..claims import Result, claim
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


@claim(
    "paper.seq2seq",
    "Sequence-to-sequence functions by prefixes alone: a transformer of depth 2T+3 with matrices fixed in "
    "advance computes a Kolmogorov–Arnold superposition of each target; its sup error is measured (not bounded)",
    "[paper]", GROUP,
    params={"cases": [(2, 40, "grid"), (3, 15, "grid"), (4, 300, "random")], "eps": 0.05},
    quick={"cases": [(2, 20, "grid"), (3, 6, "grid")], "eps": 0.05},
    case_fields=("T", "points", "evaluation"),
)
def _seq2seq(p):
    rows, table, ok = [], [], True
    for T, size, kind in p["cases"]:
        X = grid(T, size) if kind == "grid" else np.random.default_rng(T).random((size, T))
        inner = InnerFunction(T)
        nets, outputs = {}, {}
        for name, F in targets(T).items():
            t0 = time.perf_counter()
            outer = sprecher_outer(inner, F)
            net = compile_transformer(outer)
            split = error_split(net, outer, F, X)
            nets[name] = net
            outputs[name] = net(X[:50])
            table.append({"T": T, "target": name, "depth": net.depth, "prefix_lengths": net.prefix_lengths,
                          "level": outer.level, "sweep_residual": outer.residual, "points": len(X),
                          "evaluation": kind, **split, "seconds": time.perf_counter() - t0})
        ref = next(iter(nets.values()))
        same = all(all(np.array_equal(a, b) for a, b in zip(ref.matrices(), n.matrices())) for n in nets.values())
        distinct = len({o.tobytes() for o in outputs.values()}) == len(outputs)
        depth_ok = all(n.depth == 2 * T + 3 for n in nets.values())
        mixing_ok = all(r["mixing"] <= 1e-12 for r in table if r["T"] == T)
        ok &= same and distinct and depth_ok and mixing_ok
        worst = max(r["total"] for r in table if r["T"] == T)
        rows.append(f"T={T}: depth {ref.depth}, matrices {'identical' if same else 'DIFFER'} across "
                    f"{len(nets)} targets, sup error <= {worst:.3g} on {len(X)} {kind} points "
                    f"({'meets' if worst <= p['eps'] else 'misses'} eps={p['eps']})")
    return Result("depth 2T+3; identical matrices; distinct F; mixing exact", "; ".join(rows), ok,
                  "outer functions: Sprecher's iteration at one level (see the seq2seq table)",
                  data=Seq2seqSection(table))
