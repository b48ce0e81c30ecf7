"""Optional torch export of a prefixed universal head (torch is imported lazily).

The module realises prefix-tuning as it is done in practice: the prefix tokens
are extra keys and values in ``torch.nn.functional.scaled_dot_product_attention``
next to the content tokens, with the fixed matrices W_Q, W_K, W_V of
:class:`~spherical_approx.heads.UniversalHead`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["TorchPrefixedHead"]


def _torch():
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("to_torch() needs torch: pip install 'spherical-approx[torch]' "
                          "(pins the CPU build torch==2.13.0)") from exc
    return torch


def TorchPrefixedHead(head, prefix, context_tokens=1, dtype=None, device=None):
    """Build an ``nn.Module`` computing the prefixed head on content sequences.

    ``module(X)`` with X of shape (k, m+1) evaluates every point as its own
    position seeing ``context_tokens`` content tokens (the same convention as the
    numpy head). ``module.forward_sequence(Z, causal=False)`` runs the head on a
    batch of content token sequences Z (B, T, d) with real attention over
    [prefix; content], optionally with a causal mask.

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
    torch = _torch()
    nn = torch.nn
    F = torch.nn.functional
    dtype = dtype or torch.float64

    class _Module(nn.Module):
        def __init__(self):
            super().__init__()
            self.m, self.d_out, self.d = head.m, head.d_out, head.d
            self.context_tokens = context_tokens
            self.register_buffer("W_Q", torch.tensor(np.array(head.W_Q), dtype=dtype, device=device))
            self.register_buffer("W_K", torch.tensor(np.array(head.W_K), dtype=dtype, device=device))
            self.register_buffer("W_V", torch.tensor(np.array(head.W_V), dtype=dtype, device=device))
            # the prefix is the only trainable part (prefix-tuning)
            self.prefix = nn.Parameter(torch.as_tensor(head.prefix_tokens(prefix), dtype=dtype, device=device))

        def forward_sequence(self, Z, causal=False):
            """Head outputs (B, T, d_out) for content token sequences Z (B, T, d)."""
            B, T, _ = Z.shape
            N = self.prefix.shape[0]
            U = torch.cat([self.prefix.unsqueeze(0).expand(B, N, self.d), Z], dim=1)
            q = (Z @ self.W_Q.T).unsqueeze(1)
            k = (U @ self.W_K.T).unsqueeze(1)
            v = (U @ self.W_V.T).unsqueeze(1)
            mask = None
            if causal:
                mask = torch.ones(T, N + T, dtype=torch.bool, device=Z.device)
                mask[:, N:] = torch.tril(torch.ones(T, T, dtype=torch.bool, device=Z.device))
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=1.0)
            return out.squeeze(1)

        def forward(self, X):
            """Output at each point X (k, m+1) as its own position seeing context_tokens tokens.

            The c content tokens visible to a position contribute score 0 and value 0;
            as one more key with score log(c) (value 0) they give the same softmax.
            """
            X = torch.as_tensor(np.asarray(X) if not torch.is_tensor(X) else X, dtype=dtype,
                                device=self.W_Q.device)
            k = X.shape[0]
            Z = torch.zeros(k, self.d, dtype=dtype, device=X.device)
            Z[:, : self.m + 1] = X
            Z[:, self.m + 1] = 1.0
            q = (Z @ self.W_Q.T).unsqueeze(0).unsqueeze(0)  # (1, 1, k, m+2)
            keys = self.prefix @ self.W_K.T  # (N, m+2)
            vals = self.prefix @ self.W_V.T
            c = float(self.context_tokens)
            if c > 0:
                # one extra key whose score is log c for every query: key (0, ..., 0, log c)
                extra_k = torch.zeros(1, keys.shape[1], dtype=dtype, device=X.device)
                extra_k[0, -1] = float(np.log(c))
                keys = torch.cat([keys, extra_k])
                vals = torch.cat([vals, torch.zeros(1, self.d_out, dtype=dtype, device=X.device)])
            # chunk the queries so that no more than ~4M scores exist at once
            rows = max(1, (1 << 22) // keys.shape[0])
            outs = [F.scaled_dot_product_attention(q[:, :, s:s + rows], keys[None, None], vals[None, None],
                                                   scale=1.0)[0, 0] for s in range(0, k, rows)]
            return torch.cat(outs) if outs else torch.zeros(0, self.d_out, dtype=dtype, device=X.device)

    return _Module()
