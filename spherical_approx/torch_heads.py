"""Optional torch export of a prefixed universal head (import this module only with torch installed).

The module realises prefix-tuning as it is done in practice: the prefix tokens
are the only trainable tensor, next to the fixed matrices W_Q, W_K, W_V of
:class:`~spherical_approx.heads.UniversalHead`. :meth:`TorchPrefixedHead.forward`
evaluates points with the same explicit algorithm as the numpy head (scores,
log-sum-exp shift, exp, two sums, one division), so the rounding proof of
:mod:`spherical_approx.rounding` covers it in float64 and float32;
:meth:`TorchPrefixedHead.forward_sequence` runs real attention over
[prefix; content] sequences with ``scaled_dot_product_attention``.

:class:`TorchPrefixTransformer` is the same pattern for the sequence-to-sequence
transformer of :mod:`spherical_approx.seq2seq`. Both classes live at module scope, so
modules pickle and ``torch.save`` whole.
"""

from __future__ import annotations

import math

import numpy as np

try:
    import torch
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("to_torch() needs torch: pip install 'spherical-approx[torch]' "
                      "(pins the CPU build torch==2.13.0)") from exc

from ._validate import UNIT_TOL
from .heads import BLOCK, Prefix
from .rounding import EXP_FLOOR, EXP_FLOOR_SINGLE, INPUT_NORM_ULPS, head_rounding_bound

__all__ = ["TorchPrefixedHead", "TorchPrefixTransformer"]

#: Scores per chunk of queries in ``forward`` (as the numpy head's block).


class TorchPrefixedHead(torch.nn.Module):
    """An ``nn.Module`` computing the prefixed head on content sequences.

    ``module(X)`` with X of shape (k, m+1) evaluates every point as its own
    position seeing ``context_tokens`` content tokens (the same convention as the
    numpy head). ``module.forward_sequence(Z, causal=False)`` runs the head on a
    batch of content token sequences Z (B, T, d) with real attention over
    [prefix; content], optionally with a causal mask.

    Parameters
    ----------
    head : UniversalHead
        The fixed matrices.
    prefix : Prefix
        The prefix tokens (keys, biases, values).
    context_tokens : int
        Content tokens each query attends to (the query's own included).
    dtype : torch.dtype, optional
        Floating type of the module (float64 by default).
    device : torch.device or str, optional
        Where the module's tensors live.

    Examples
    --------
    >>> import numpy as np
    >>> from spherical_approx.heads import UniversalHead, Prefix
    >>> H = UniversalHead(1, 1)
    >>> P = Prefix([[2.0, 0.0]], [0.0], [[3.0]])
    >>> mod = TorchPrefixedHead(H, P, context_tokens=0)
    >>> float(mod(np.array([[1.0, 0.0]])).detach()[0, 0])
    3.0
    """

    def __init__(self, head, prefix, context_tokens=1, dtype=None, device=None):
        super().__init__()
        dtype = dtype or torch.float64
        if dtype not in (torch.float64, torch.float32):
            raise ValueError(f"dtype must be torch.float64 or torch.float32, got {dtype}")
        self.m, self.d_out, self.d = head.m, head.d_out, head.d
        self.context_tokens = int(context_tokens)
        self.dtype = dtype
        self.register_buffer("W_Q", torch.tensor(np.array(head.W_Q), dtype=dtype, device=device))
        self.register_buffer("W_K", torch.tensor(np.array(head.W_K), dtype=dtype, device=device))
        self.register_buffer("W_V", torch.tensor(np.array(head.W_V), dtype=dtype, device=device))
        # the prefix is the only trainable part (prefix-tuning)
        self.prefix = torch.nn.Parameter(torch.tensor(np.array(head.prefix_tokens(prefix)), dtype=dtype, device=device))
        self.error_bound = math.inf  # set by Approximation.to_torch

    def rounding_bound(self):
        """Proven bound of this module's rounding error in ``forward`` (its dtype; inf for float32
        when torch may use TF32/bf16 in matmuls, i.e. ``torch.get_float32_matmul_precision() !=
        'highest'``).

        Returns
        -------
        float
            The bound.
        """
        if self.dtype == torch.float32 and torch.get_float32_matmul_precision() != "highest":
            return math.inf
        tokens = self.prefix.detach().cpu().double().numpy()
        k = self.m + 2
        prefix = Prefix(tokens[:, k:k + self.m + 1], tokens[:, 2 * k - 1], tokens[:, 2 * k:])
        return head_rounding_bound(prefix, self.context_tokens, dtype=self.dtype,
                                   inputs_rounded=self.dtype != torch.float64)

    def forward_sequence(self, Z, causal=False):
        """Head outputs (B, T, d_out) for content token sequences Z (B, T, d).

        Parameters
        ----------
        Z : torch.Tensor
            Content token sequences, shape (B, T, d).
        causal : bool
            Causal mask over the content tokens.

        Returns
        -------
        torch.Tensor
            Shape (B, T, d_out).
        """
        batch, T, _ = Z.shape
        N = self.prefix.shape[0]
        tokens = torch.cat([self.prefix.unsqueeze(0).expand(batch, N, self.d), Z], dim=1)
        q = (Z @ self.W_Q.T).unsqueeze(1)
        k = (tokens @ self.W_K.T).unsqueeze(1)
        v = (tokens @ self.W_V.T).unsqueeze(1)
        mask = None
        if causal:
            mask = torch.ones(T, N + T, dtype=torch.bool, device=Z.device)
            mask[:, N:] = torch.tril(torch.ones(T, T, dtype=torch.bool, device=Z.device))
        out = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=1.0)
        return out.squeeze(1)

    def _points(self, X):
        """X as a (k, m+1) tensor of this dtype, checked finite and unit (renormalised in
        the module's precision when further from norm 1 than the rounding proof covers)."""
        X = torch.as_tensor(X if torch.is_tensor(X) else np.asarray(X), device=self.W_Q.device)
        if X.is_complex():
            raise TypeError("X must be real, got a complex tensor")
        if not X.is_floating_point():
            X = X.to(torch.float64)
        if X.ndim != 2 or X.shape[1] != self.m + 1:
            raise ValueError(f"X must have shape (k, {self.m + 1}) for points on S^{self.m}, got {tuple(X.shape)}")
        if not bool(torch.all(torch.isfinite(X))):
            raise ValueError("X contains NaN or infinite entries")
        norms = torch.linalg.vector_norm(X.double(), dim=1)
        tol = max(UNIT_TOL, 16 * (self.m + 1) * torch.finfo(X.dtype).eps)
        if X.shape[0] and float((norms - 1).abs().max()) > tol:
            worst = int((norms - 1).abs().argmax())
            raise ValueError(f"X must hold unit vectors (|x| = 1 within {tol:g}); row {worst} has norm "
                             f"{float(norms[worst]):.12g}")
        X = X.to(self.dtype)
        u = torch.finfo(self.dtype).eps / 2
        n = torch.linalg.vector_norm(X, dim=1, keepdim=True)
        far = (n - 1).abs() > INPUT_NORM_ULPS * (self.m + 2) * u
        return torch.where(far, X / n, X)

    def forward(self, X):
        """Output at each point X (k, m+1) as its own position seeing context_tokens tokens.

        The same algorithm as ``UniversalHead.__call__``: scores ``<x, kappa_i> + b_i``,
        shift ``M = max(0, max s)`` (``max s`` without content tokens), weights
        ``exp(s - M)``, output ``W V / (sum W + c e^-M)``.

        Parameters
        ----------
        X : array_like
            Points of S^m as rows, shape (k, m+1).

        Returns
        -------
        torch.Tensor
            Shape (k, d_out).
        """
        X = self._points(X)
        k = X.shape[0]
        Z = torch.zeros(k, self.d, dtype=self.dtype, device=X.device)
        Z[:, : self.m + 1] = X
        Z[:, self.m + 1] = 1.0
        q = Z @ self.W_Q.T  # (k, m+2): (x, 1)
        keys = self.prefix @ self.W_K.T  # (N, m+2): (kappa_i, b_i)
        vals = self.prefix @ self.W_V.T
        c = float(self.context_tokens)
        rows = max(1, BLOCK // max(keys.shape[0], 1))
        floor = EXP_FLOOR_SINGLE if self.dtype == torch.float32 else EXP_FLOOR
        outs = []
        for s in range(0, k, rows):
            S = q[s:s + rows] @ keys.T
            M = S.max(dim=1).values
            if c > 0:
                M = torch.clamp(M, min=0.0)
            # in place, as the numpy head: shift, clamp at -EXP_FLOOR (float32: -EXP_FLOOR_SINGLE;
            # covered by the rounding proof's absolute bound on tiny weights), exp; no temporaries
            W = S.sub_(M[:, None]).clamp_(min=-floor).exp_()
            den = W.sum(dim=1) + c * torch.exp(-torch.clamp(M, min=0.0))  # M >= 0 whenever c > 0
            outs.append((W @ vals) / den[:, None])
        return torch.cat(outs) if outs else torch.zeros(0, self.d_out, dtype=self.dtype, device=X.device)


class TorchPrefixTransformer(torch.nn.Module):
    """The prefixed transformer of :class:`spherical_approx.seq2seq.transformer.PrefixTransformer`.

    Every layer's matrices and prefix are buffers (fixed), named ``W_Q_i``, ``W_K_i``,
    ``W_V_i``, ``W_O_i`` and ``prefix_i``; ``forward(Z)`` maps residual streams (B, T, D)
    to the outputs (B, T).

    Parameters
    ----------
    net : PrefixTransformer
        The compiled transformer.
    dtype : torch.dtype, optional
        Floating type of the module (float64 by default).
    device : torch.device or str, optional
        Where the module's tensors live.
    """

    def __init__(self, net, dtype=None, device=None):
        super().__init__()
        dtype = dtype or torch.float64
        self.T, self.layout = net.T, net.layout
        for i, (layer, prefix) in enumerate(zip(net.layers, net.prefixes)):
            for name in ("W_Q", "W_K", "W_V", "W_O"):
                self.register_buffer(f"{name}_{i}", torch.tensor(getattr(layer, name), dtype=dtype, device=device))
            self.register_buffer(f"prefix_{i}", torch.tensor(np.array(prefix), dtype=dtype, device=device))
        self.depth = net.depth

    def forward(self, Z):
        """Residual streams Z (B, T, D) from :func:`~spherical_approx.seq2seq.transformer.embed` -> (B, T).

        Parameters
        ----------
        Z : array or torch.Tensor
            Residual streams, shape (B, T, D).

        Returns
        -------
        torch.Tensor
            Shape (B, T).
        """
        for i in range(self.depth):
            WQ, WK, WV, WO, P = (getattr(self, f"{n}_{i}") for n in ("W_Q", "W_K", "W_V", "W_O", "prefix"))
            Q = Z @ WQ.T
            s = torch.cat([Q @ (P @ WK.T).T, Q @ (Z @ WK.T).transpose(1, 2)], dim=2)
            w = torch.softmax(s, dim=2)
            V = torch.cat([(P @ WV.T).expand(Z.shape[0], -1, -1), Z @ WV.T], dim=1)
            Z = Z + (w @ V) @ WO.T
        return Z[..., self.layout.y.start]
