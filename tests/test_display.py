"""Rich display in notebooks: the toolkit's result objects render as escaped HTML tables (and LaTeX)."""

import numpy as np
import sympy

import spherical_approx as sa
from spherical_approx.bounds import delta_net_parameters, smoothing_bound


def test_results_render_as_html_tables():
    x0, x1 = sa.sphere_symbols(1)
    f = sympy.Abs(x0) + x0 * x1
    a = sa.approximate(f, 1, 0.1, method="quadrature")
    html = a._repr_html_()
    assert html.startswith("<table>") and f"<td>{a.prefix_length}</td>" in html and f"<td>{f}</td>" in html
    cert = sa.certify_sup_error(sa.approximate(sympy.Abs(x0), 1, 0.1, method="quadrature"),
                                sympy.Abs(sympy.Symbol("x0")), 0.1, max_seconds=20)
    assert "<td>proved</td>" in cert._repr_html_() and "Certificate: proved" in cert._repr_html_()
    for record in (smoothing_bound(2, 10.0), delta_net_parameters(2, 0.1, 1.0, 1.0)):
        assert f"<caption>{type(record).__name__}</caption>" in record._repr_html_()
    callable_head = sa.approximate(lambda X: np.exp(X[:, 0]), 2, 1e-5, method="spectral")
    assert "measured" in callable_head._repr_html_() and "target" not in callable_head._repr_html_()


def test_expansion_renders_as_html_and_its_formula():
    x0, x1, x2 = sa.sphere_symbols(2)
    E = sa.HarmonicExpansion.from_polynomial(x0**2 + x1, 2)
    assert "<td>exact</td>" in E._repr_html_()
    # proj_0 + proj_2 + proj_1: equal to x0^2 + x1 on the sphere
    expected = 2 * x0**2 / 3 - x1**2 / 3 + x1 - x2**2 / 3 + sympy.Rational(1, 3)
    assert E._repr_latex_() == "$" + sympy.latex(expected) + "$"
    F = sa.HarmonicExpansion.from_function(lambda X: X[:, 0], 2, 3)
    assert F._repr_latex_() is None and "<td>float</td>" in F._repr_html_()
