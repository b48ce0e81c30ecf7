"""Sequence-to-sequence functions from prefixed heads (docs/theory/seq2seq.rst).

:func:`compile_seq2seq` builds either route. :mod:`.direct` gathers every token into
every position and approximates F with one prefixed head on a torus (a proven bound);
:mod:`.kolmogorov` computes the Kolmogorov–Arnold superposition (Köppen's inner
function, Sprecher's outer functions) and :mod:`.transformer` compiles it into a
transformer of single-head layers (measured only). In both, the matrices never depend
on the target.
"""

from .direct import DirectTransformer, compile_direct, direct_layers, sequence_symbols
from .kolmogorov import InnerFunction, OuterFunctions, sprecher_outer
from .routes import ROUTES, compile_seq2seq
from .transformer import PrefixTransformer, compile_transformer, embed, pretrained_layers, relative_content_attention

__all__ = ["compile_seq2seq", "ROUTES", "DirectTransformer", "compile_direct", "direct_layers", "sequence_symbols",
           "InnerFunction", "OuterFunctions", "sprecher_outer", "PrefixTransformer", "compile_transformer", "embed",
           "pretrained_layers", "relative_content_attention"]
