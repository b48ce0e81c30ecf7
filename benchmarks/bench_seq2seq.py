"""Seq2seq layer attention: the softmax by logsumexp (two exponentials per score) against the
in-place softmax the layers use (one), as a ratio in one run on the compiled T = 2 transformer.

"max |diff|" is the logsumexp form's own error where scores are large: it subtracts
``max + log(sum)`` rounded at the size of the max score (~1e-8 at the inner map's scores).

Run:  python benchmarks/bench_seq2seq.py [--points 40] [--level 3]
"""

import argparse

import numpy as np
from _timing import best_of
from scipy.special import logsumexp

from spherical_approx.seq2seq import InnerFunction, compile_transformer, sprecher_outer
from spherical_approx.seq2seq.transformer import embed, grid


def attend_logsumexp(layer, Z, prefix):
    """The layers' attention as it was: weights exp(s - logsumexp(s))."""
    s, Vp, Vc = layer.scores_and_values(Z, prefix)
    w = np.exp(s - logsumexp(s, axis=2, keepdims=True))
    P = len(prefix)
    return w[:, :, :P] @ Vp + np.einsum("bts,bsv->btv", w[:, :, P:], Vc)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=40)
    ap.add_argument("--level", type=int, default=3)
    args = ap.parse_args(argv)
    T = 2
    inner = InnerFunction(T)
    outer = sprecher_outer(inner, lambda X: X[:, 0] * X[:, 1], level=args.level)
    net = compile_transformer(outer)
    Z = embed(grid(T, args.points), T)
    print(f"T = {T}, {len(Z)} sequences, layers: {[len(p) for p in net.prefixes]} prefix tokens")
    total_old = total_new = 0.0
    for layer, prefix in zip(net.layers, net.prefixes):
        old = best_of(lambda layer=layer, Z=Z, prefix=prefix: attend_logsumexp(layer, Z, prefix))
        new = best_of(lambda layer=layer, Z=Z, prefix=prefix: layer.attend(Z, prefix))
        diff = float(np.abs(attend_logsumexp(layer, Z, prefix) - layer.attend(Z, prefix)).max())
        total_old, total_new = total_old + old, total_new + new
        print(f"{layer.name:<14} P={len(prefix):>7}: logsumexp {old:.3f} s, in place {new:.3f} s, "
              f"speed-up {old / new:.2f}x, max |diff| {diff:.1e}")
        Z = layer(Z, prefix)
    print(f"all layers: speed-up {total_old / total_new:.2f}x")


if __name__ == "__main__":
    main()
