"""spherical-approx: spherical harmonics, softmax smoothing and checked
approximation bounds for prefix-tuned attention heads on S^m.

The names below are the stable API, grouped by job (the API reference,
docs/api.rst, follows the same groups). Modules follow the data flow:

    arith -> sphere, gegenbauer, quadrature, targets -> harmonics -> kernels,
    bessel, boxes -> continuity, bounds -> heads, rounding -> constructions
    -> certify

Number systems
    get_backend
Geometry of S^m
    sphere_area, cap_area, monomial_integral, sample_uniform, delta_net,
    covering_radius, geodesic_distance, to_hyperspherical, from_hyperspherical
Quadrature
    quadrature_rule, product_rule, rule_size
Orthogonal polynomials
    gegenbauer, chebyshev_t, legendre, zonal_polynomial, zonal_polynomials
Targets and spherical harmonics
    Target, sphere_symbols, coordinate_expr, harmonic_dimension,
    harmonic_labels, harmonic_basis, HarmonicBasis, HarmonicExpansion,
    zonal_kernel
Softmax smoothing
    softmax_multipliers (and the module ``kernels``)
Bounds and certificates
    the modules ``bounds`` and ``continuity``; certify_sup_error, Certificate
Heads and constructions
    Prefix, UniversalHead, approximate, Approximation, load (a saved head)

Examples
--------
>>> import spherical_approx as sa
>>> sa.harmonic_dimension(2, 3)
7
>>> nodes, weights = sa.quadrature_rule(3, 6)
>>> bool(abs(weights.sum() - sa.sphere_area(3)) < 1e-12)
True
"""

from . import bounds, certify, continuity, kernels
from .arith import get_backend
from .certify import Certificate, certify_sup_error
from .constructions import Approximation, approximate
from .gegenbauer import chebyshev_t, gegenbauer, legendre, zonal_polynomial, zonal_polynomials
from .harmonics import (
    HarmonicBasis,
    HarmonicExpansion,
    harmonic_basis,
    harmonic_dimension,
    harmonic_labels,
    zonal_kernel,
)
from .heads import Prefix, UniversalHead
from .kernels import softmax_multipliers
from .quadrature import product_rule, quadrature_rule, rule_size
from .saving import load
from .sphere import (
    cap_area,
    covering_radius,
    delta_net,
    from_hyperspherical,
    geodesic_distance,
    monomial_integral,
    sample_uniform,
    sphere_area,
    to_hyperspherical,
)
from .targets import Target, coordinate_expr, sphere_symbols

__version__ = "0.1.0"

__all__ = [
    # number systems
    "get_backend",
    # geometry of S^m
    "sphere_area", "cap_area", "monomial_integral", "sample_uniform", "delta_net", "covering_radius",
    "geodesic_distance", "to_hyperspherical", "from_hyperspherical",
    # quadrature
    "quadrature_rule", "product_rule", "rule_size",
    # orthogonal polynomials
    "gegenbauer", "chebyshev_t", "legendre", "zonal_polynomial", "zonal_polynomials",
    # targets and spherical harmonics
    "Target", "sphere_symbols", "coordinate_expr", "harmonic_dimension", "harmonic_labels", "harmonic_basis",
    "HarmonicBasis", "HarmonicExpansion", "zonal_kernel",
    # softmax smoothing
    "softmax_multipliers", "kernels",
    # bounds and certificates
    "bounds", "continuity", "certify", "certify_sup_error", "Certificate",
    # heads and constructions
    "Prefix", "UniversalHead", "approximate", "Approximation", "load",
]
