"""Sequence-to-sequence functions from prefixed heads (docs/theory/seq2seq.rst).

:mod:`.kolmogorov` computes the Kolmogorov–Arnold superposition (Köppen's inner
function, Sprecher's outer functions); :mod:`.transformer` compiles it into a
transformer of single-head layers whose matrices never depend on the target.
"""

from .kolmogorov import InnerFunction, OuterFunctions, sprecher_outer
from .transformer import PrefixTransformer, compile_transformer, embed, pretrained_layers, relative_content_attention

__all__ = ["InnerFunction", "OuterFunctions", "sprecher_outer", "PrefixTransformer", "compile_transformer", "embed",
           "pretrained_layers", "relative_content_attention"]
