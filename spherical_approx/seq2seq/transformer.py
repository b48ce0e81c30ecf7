"""A transformer of single-head layers that computes a Kolmogorov–Arnold superposition.

Depth ``2T + 3`` for sequences of length T (docs/theory/seq2seq.rst):

1. one prefixed head on S^1 computes the element-wise map
   ``(x_t, t) -> (alpha_t psi(scale x_t + q a))_q``: token value and position are
   embedded on the circle (one arc per position), so this is a universal head with
   m = 1 and 2T+1 outputs;
2. one head with all scores 0 (no prefix) averages over positions; its output
   matrix multiplies by T, so every position holds the inner sums ``s_q``;
3. one prefixed head per shift q = 0..2T adds ``chi_{t,q}(s_q)`` to the output
   coordinate of position t. Its query is ``(s_q, 1, e_t)`` and a prefix token's key
   ``(2 lam c, beta - lam c^2, M e_t')`` scores ``lam s^2 - lam (s - c)^2 + beta + M[t = t']``,
   so over its own position group the prefix is a Gaussian-kernel smoother on the
   line with centres c.

Every matrix depends on T only (:func:`pretrained_layers`); layer 1's prefix depends
on the inner function only; layers 3.. carry F. Every layer has a residual
connection, ``z <- z + W_O attention(z)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from .._validate import check_int
from .kolmogorov import OuterFunctions, check_sequences

__all__ = ["Layout", "Layer", "pretrained_layers", "embed", "arc_angle", "LayeredTransformer", "PrefixTransformer",
           "inner_prefix", "outer_prefix", "compile_transformer", "softmax_in_place", "relative_content_attention",
           "error_split", "grid"]

#: score bonus of a prefix token for its own position (others are e^-M smaller)
POSITION_MARGIN = 80.0
#: bias added to every prefix score so content tokens (score 0) weigh <= T e^-BIAS
PREFIX_BIAS = 40.0
#: lam * (half the smallest gap between kernel centres)^2: neighbours weigh <= e^-KERNEL_SHARPNESS
KERNEL_SHARPNESS = 50.0


class Layout:
    """Coordinates of the residual stream for sequences of length T.

    ``token = (cos theta, sin theta, 1)``, ``pos`` = one-hot position, ``u`` = layer-1
    output (2T+1), ``s`` = inner sums (2T+1), ``y`` = output (1), then ``key`` and
    ``val`` blocks that only prefix tokens use (content tokens keep them 0).

    Parameters
    ----------
    T : int
        Sequence length.
    """

    def __init__(self, T):
        self.T = T
        Q = 2 * T + 1
        sizes = [("token", 3), ("pos", T), ("u", Q), ("s", Q), ("y", 1), ("key", T + 2), ("val", Q)]
        start = 0
        for name, size in sizes:
            setattr(self, name, slice(start, start + size))
            start += size
        self.width = start
        self.key_dim = T + 2

    def embed(self, X):
        """Residual streams (k, T, width): ``(cos theta, sin theta, 1)`` on arc t, and the one-hot position.

        Parameters
        ----------
        X : array_like
            Sequences as rows, shape (k, T), entries in [0, 1].

        Returns
        -------
        ndarray
            Shape (k, T, width).
        """
        T = self.T
        X = check_sequences(X, T)
        theta = arc_angle(X, np.arange(T)[None, :], T)
        Z = np.zeros(X.shape + (self.width,))
        Z[..., self.token.start] = np.cos(theta)
        Z[..., self.token.start + 1] = np.sin(theta)
        Z[..., self.token.start + 2] = 1.0
        Z[..., self.pos] = np.eye(T)[None, :, :]
        return Z


def softmax_in_place(scores):
    """Softmax over the last axis, in place: one exponential per score.

    ``exp(s - max s) / sum exp(s - max s)``, the same weights as ``exp(s - logsumexp(s))``
    (which computes every exponential twice) without temporaries of the scores' size.

    Parameters
    ----------
    scores : ndarray
        Float scores; overwritten with the weights.

    Returns
    -------
    ndarray
        ``scores``, now the softmax weights (each row sums to 1).

    Examples
    --------
    >>> softmax_in_place(np.array([[0.0, np.log(3.0)]])).round(12).tolist()
    [[0.25, 0.75]]
    """
    scores -= scores.max(axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=-1, keepdims=True)
    return scores


@dataclass(frozen=True)
class Layer:
    """One single-head attention layer with a residual connection.

    ``W_Q, W_K`` (key_dim x D), ``W_V`` (d_v x D), ``W_O`` (D x d_v). The layer maps
    the residual streams Z (B, T, D) to ``Z + attention(Z; prefix) W_O^T`` where the
    softmax runs over the prefix tokens and all T content tokens (no mask).

    Parameters
    ----------
    name : str
        The layer's name.
    W_Q : ndarray
        Query matrix.
    W_K : ndarray
        Key matrix.
    W_V : ndarray
        Value matrix.
    W_O : ndarray
        Output matrix into the residual stream.
    """

    name: str
    W_Q: np.ndarray
    W_K: np.ndarray
    W_V: np.ndarray
    W_O: np.ndarray

    def scores_and_values(self, Z, prefix):
        Q = Z @ self.W_Q.T
        scores = np.concatenate(
            [np.einsum("btk,pk->btp", Q, prefix @ self.W_K.T), Q @ np.swapaxes(Z @ self.W_K.T, 1, 2)],
            axis=2,
        )
        V = prefix @ self.W_V.T
        Vc = Z @ self.W_V.T
        return scores, V, Vc

    def attend(self, Z, prefix, chunk=2_000_000):
        """The attention output (B, T, d_v), evaluated in chunks of sequences.

        Parameters
        ----------
        Z : array or torch.Tensor
            Residual streams, shape (B, T, D).
        prefix : ndarray
            The layer's prefix tokens.
        chunk : int
            Score entries per chunk (``chunk / (T (P + T))`` sequences, P the prefix length).

        Returns
        -------
        ndarray
            Shape (B, T, d_v).
        """
        P = len(prefix)
        batch, T, _ = Z.shape
        step = max(1, chunk // max(1, T * (P + T)))
        out = np.empty((batch, T, self.W_V.shape[0]))
        for i in range(0, batch, step):
            w, Vp, Vc = self.scores_and_values(Z[i : i + step], prefix)
            softmax_in_place(w)
            out[i : i + step] = w[:, :, :P] @ Vp + np.einsum("bts,bsv->btv", w[:, :, P:], Vc)
        return out

    def __call__(self, Z, prefix):
        return Z + self.attend(Z, prefix) @ self.W_O.T


def pretrained_layers(T):
    """The 2T+3 layers for sequence length T; they depend on T and nothing else.

    Parameters
    ----------
    T : int
        Sequence length.

    Returns
    -------
    list of Layer
        The layers.
    """
    T = check_int(T, "T", minimum=2)
    layout = Layout(T)
    width, k, Q = layout.width, layout.key_dim, 2 * T + 1

    def select(rows, block_start, size=None):
        # rows x width, with an identity on `size` rows (all by default) picking block_start..
        size = rows if size is None else size
        W = np.zeros((rows, width))
        W[np.arange(size), block_start + np.arange(size)] = 1.0
        return W

    W_K = select(k, layout.key.start)
    # layer 1: query (cos, sin, 1) against keys (lam cos, lam sin, bias); values: 2T+1 numbers -> u
    layers = [Layer("inner map", select(k, layout.token.start, 3), W_K, select(Q, layout.val.start),
                    select(Q, layout.u.start).T)]
    # layer 2: all scores 0 -> the mean over positions; times T -> the inner sums in s
    layers.append(Layer("mixing", np.zeros((k, width)), np.zeros((k, width)), select(Q, layout.u.start),
                        float(T) * select(Q, layout.s.start).T))
    # layers 3..: query (s_q, 1, e_t); value: 1 number -> y
    W_V, W_O = select(1, layout.val.start), select(1, layout.y.start).T
    for q in range(Q):
        W_Qq = np.zeros((k, width))
        W_Qq[0, layout.s.start + q] = 1.0
        W_Qq[1, layout.token.start + 2] = 1.0
        W_Qq[2 + np.arange(T), layout.pos.start + np.arange(T)] = 1.0
        layers.append(Layer(f"outer q={q}", W_Qq, W_K, W_V, W_O))
    for layer in layers:
        for W in (layer.W_Q, layer.W_K, layer.W_V, layer.W_O):
            W.setflags(write=False)
    return layers


def embed(X, T):
    """Token embeddings (B, T, D) of sequences X (B, T) in [0, 1]: value and position on S^1.

    Parameters
    ----------
    X : array_like
        Sequences as rows, shape (k, T), entries in [0, 1].
    T : int
        Sequence length.

    Returns
    -------
    ndarray
        Shape (B, T, D).
    """
    return Layout(T).embed(X)


def arc_angle(x, t, T):
    """Angle of value x at position t (0-based): arc t is [2 pi t/T, 2 pi t/T + pi/T].

    Parameters
    ----------
    x : float or ndarray
        Values in [0, 1].
    t : int or ndarray
        Positions, 0-based.
    T : int
        Sequence length.

    Returns
    -------
    float or ndarray
        The angle.
    """
    return 2 * np.pi * t / T + np.pi / T * x


class LayeredTransformer:
    """Fixed single-head layers with residual connections, one prefix per layer (the shared part).

    Subclasses set ``T``, ``layers``, ``prefixes`` (one token array per layer, in the
    residual-stream layout), ``layout`` (with ``embed(X)`` and the output slot ``y``) and
    ``error_bound``. Both sequence-to-sequence routes are such transformers.
    """

    #: no proof applies unless a subclass proves one
    error_bound = math.inf

    @property
    def depth(self):
        return len(self.layers)

    @property
    def prefix_lengths(self):
        return [len(p) for p in self.prefixes]

    def embed(self, X):
        """Residual streams (k, T, width) of sequences X (k, T) in [0, 1], before the first layer.

        Parameters
        ----------
        X : array_like
            Sequences as rows, shape (k, T), entries in [0, 1].

        Returns
        -------
        ndarray
            Shape (k, T, width).
        """
        return self.layout.embed(X)

    def streams(self, X):
        """Residual streams after every layer, each layer evaluated densely and generically.

        Parameters
        ----------
        X : array_like
            Sequences as rows, shape (k, T), entries in [0, 1].

        Returns
        -------
        list of ndarray
            The streams, the embedding first.
        """
        Z = self.embed(X)
        out = [Z]
        for layer, prefix in zip(self.layers, self.prefixes):
            Z = layer(Z, prefix)
            out.append(Z)
        return out

    def matrices(self):
        """All layer matrices, in order: for checking they do not depend on the target.

        Returns
        -------
        list of ndarray
            The matrices.
        """
        return [W for layer in self.layers for W in (layer.W_Q, layer.W_K, layer.W_V, layer.W_O)]

    def to_torch(self, dtype=None, device=None):
        """A torch.nn.Module computing the same transformer densely (float64 by default).

        Its ``forward`` takes the residual streams :meth:`embed` returns.

        Parameters
        ----------
        dtype : torch.dtype, optional
            Floating type of the module (float64 by default).
        device : torch.device or str, optional
            Where the module's tensors live.

        Returns
        -------
        TorchPrefixTransformer
            The module.
        """
        from ..torch_heads import TorchPrefixTransformer  # a clear ImportError without torch

        return TorchPrefixTransformer(self, dtype, device)


class PrefixTransformer(LayeredTransformer):
    """The compiled Kolmogorov–Arnold transformer: fixed layers, one prefix per layer.

    Calling it on sequences X (B, T) in [0, 1] gives the outputs (B, T). No error bound is
    proven for this route (``error_bound = inf``; docs/theory/seq2seq.rst, "Limits").

    Parameters
    ----------
    T : int
        Sequence length.
    layers : list of Layer
        The fixed layers.
    prefixes : list of ndarray
        One prefix per layer.
    info : dict, optional
        Construction details.
    """

    route = "kolmogorov"

    def __init__(self, T, layers, prefixes, info=None):
        self.T, self.layers, self.prefixes = T, layers, prefixes
        self.layout = Layout(T)
        self.info = info or {}

    def __call__(self, X):
        Z = self.embed(X)
        for layer, prefix in zip(self.layers, self.prefixes):  # only the last stream is kept
            Z = layer(Z, prefix)
        return Z[..., self.layout.y.start]

    def __repr__(self):
        return f"PrefixTransformer(T={self.T}, depth={self.depth}, prefix_lengths={self.prefix_lengths})"


def inner_prefix(inner, level, sharpness=30.0):
    """Layer 1's prefix: keys on the T arcs, values ``alpha_t psi(scale x_j + q a)``.

    The nodes x_j are spaced so that the shifted arguments step by at most
    ``gamma^-(level+2)``; ``lam (node spacing)^2 = sharpness``.

    Parameters
    ----------
    inner : InnerFunction
        The inner function.
    level : int
        Level of Köppen's construction.
    sharpness : float
        Inverse temperature of the positional selection.

    Returns
    -------
    ndarray
        The prefix tokens.
    """
    T, L = inner.T, Layout(inner.T)
    n = int(np.ceil(inner.scale * inner.gamma ** (level + 2)))
    x = np.linspace(0.0, 1.0, n + 1)
    lam = sharpness / (np.pi / T / n) ** 2
    values = inner.inner_map(np.repeat(x[:, None], T, axis=1), min(level + 3, inner.default_level()))
    P = np.zeros((T * len(x), L.width))
    for t in range(T):
        rows = slice(t * len(x), (t + 1) * len(x))
        theta = arc_angle(x, t, T)
        P[rows, L.key.start] = lam * np.cos(theta)
        P[rows, L.key.start + 1] = lam * np.sin(theta)
        P[rows, L.key.start + 2] = PREFIX_BIAS
        P[rows, L.val.start : L.val.start + 2 * T + 1] = values[:, t, :]
    return P, lam


def outer_prefix(outer, q, lam):
    """The prefix of the outer layer for shift q: one token per cube image (and position).

    Parameters
    ----------
    outer : OuterFunctions
        The outer functions.
    q : int
        The shift.
    lam : float
        Softmax inverse temperature lambda > 0.

    Returns
    -------
    ndarray
        The prefix tokens.
    """
    L = Layout(outer.inner.T)
    c = outer.nodes[q]
    v = outer.values[q]
    groups = v.shape[1]
    P = np.zeros((groups * len(c), L.width))
    for t in range(groups):
        rows = slice(t * len(c), (t + 1) * len(c))
        P[rows, L.key.start] = 2 * lam * c
        P[rows, L.key.start + 1] = PREFIX_BIAS - lam * c**2
        if groups > 1:
            P[rows, L.key.start + 2 + t] = POSITION_MARGIN
        P[rows, L.val.start] = v[:, t]
    return P


def compile_transformer(outer):
    """The transformer computing ``sum_q chi_q(s_q)`` for the given outer functions.

    Parameters
    ----------
    outer : OuterFunctions
        The outer functions.

    Returns
    -------
    PrefixTransformer
        The transformer.

    Examples
    --------
    >>> import numpy as np
    >>> from spherical_approx.seq2seq import InnerFunction, sprecher_outer
    >>> chi = sprecher_outer(InnerFunction(2), lambda X: X.max(axis=1), level=1)
    >>> net = compile_transformer(chi)
    >>> net.depth, net.prefix_lengths[1]
    (7, 0)
    >>> net(np.array([[0.2, 0.9]])).shape
    (1, 2)
    """
    if not isinstance(outer, OuterFunctions):
        raise TypeError("outer must be OuterFunctions (see sprecher_outer)")
    inner, T = outer.inner, outer.inner.T
    layers = pretrained_layers(T)
    p1, lam1 = inner_prefix(inner, outer.level)
    gaps = np.diff(outer.nodes[0])
    lam = KERNEL_SHARPNESS / (gaps.min() / 2) ** 2
    prefixes = [p1, np.zeros((0, Layout(T).width))]
    prefixes += [outer_prefix(outer, q, lam) for q in range(2 * T + 1)]
    return PrefixTransformer(T, layers, prefixes, {"lam_inner": lam1, "lam_outer": lam, "level": outer.level})


def relative_content_attention(layer, Z, prefix):
    """Attention weights over the content tokens, renormalised over them: (B, T, T).

    With or without a prefix the result is the same [toolkit]: a prefix adds terms
    to the softmax denominator only, which scale every content weight of a query by
    the same factor.

    Parameters
    ----------
    layer : Layer
        The layer.
    Z : array or torch.Tensor
        Residual streams, shape (B, T, D).
    prefix : ndarray
        The layer's prefix tokens.

    Returns
    -------
    ndarray
        Shape (B, T, T).
    """
    s, _, _ = layer.scores_and_values(Z, prefix)
    # the log-weights the head really uses (softmax over prefix and content), then renormalised
    # over the content in logs: the content weights alone can underflow to 0 (0/0 otherwise)
    log_w = (s - logsumexp(s, axis=2, keepdims=True))[:, :, len(prefix) :]
    return np.exp(log_w - logsumexp(log_w, axis=2, keepdims=True))


def error_split(net, outer, F, X):
    """Sup errors of each stage on the sequences X (k, T), as a dict.

    ``inner``: layer 1 against the exact element-wise map ``alpha_t psi(scale x_t + q a)``;
    ``mixing``: layer 2 against T times the mean of what layer 1 wrote;
    ``outer``: the superposition ``sum_q chi_q`` on the exact inner sums against F;
    ``total``: the transformer against F. ``total <= outer + (compiled - superposition)``,
    where the last term collects the inner and mixing errors seen through the outer heads
    and the difference between the heads and the piecewise-linear chi.

    Parameters
    ----------
    net : PrefixTransformer
        The transformer.
    outer : OuterFunctions
        Its outer functions.
    F : callable
        The target.
    X : array_like
        Sequences as rows, shape (k, T), entries in [0, 1].

    Returns
    -------
    dict
        Stage name to sup error.
    """
    X = check_sequences(X, net.T)
    from .kolmogorov import evaluate_target

    L = net.layout
    Z = net.streams(X)
    u = Z[1][..., L.u]
    target = evaluate_target(F, X, net.T)
    target = np.broadcast_to(target, (len(X), net.T))
    out = Z[-1][..., L.y.start]
    exact = outer.inner.inner_map(X)
    superposition = np.broadcast_to(outer(exact.sum(axis=1)), (len(X), net.T))
    return {
        "inner": float(np.abs(u - exact).max()),
        "mixing": float(np.abs(Z[2][..., L.s] - u.sum(axis=1, keepdims=True)).max()),
        "outer": float(np.abs(superposition - target).max()),
        "compiled_vs_superposition": float(np.abs(out - superposition).max()),
        "total": float(np.abs(out - target).max()),
        "total_rms": float(np.sqrt(np.mean((out - target) ** 2))),
    }


def grid(T, points):
    """The tensor grid of ``points`` values per position in [0, 1]^T: (points^T, T).

    Parameters
    ----------
    T : int
        Sequence length.
    points : int
        Values per position.

    Returns
    -------
    ndarray
        Shape (points^T, T).
    """
    t = np.linspace(0.0, 1.0, points)
    return np.stack(np.meshgrid(*[t] * T, indexing="ij"), axis=-1).reshape(-1, T)
