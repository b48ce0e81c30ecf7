"""spherical-approx: spherical harmonics, softmax smoothing and checked
approximation bounds for prefix-tuned attention heads on S^m.

The public names below are the stable API (see the API reference, docs/api.rst). Modules follow the
data flow: arith -> sphere, gegenbauer, quadrature -> harmonics -> (kernels,
continuity, bounds) -> heads -> constructions -> certify.

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
    sphere_symbols,
    zonal_kernel,
)
from .heads import Prefix, UniversalHead
from .kernels import softmax_multipliers
from .quadrature import product_rule, quadrature_rule, rule_size
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

__version__ = "0.1.0"

__all__ = [
    "approximate",
    "Approximation",
    "UniversalHead",
    "Prefix",
    "softmax_multipliers",
    "bounds",
    "certify",
    "certify_sup_error",
    "Certificate",
    "continuity",
    "kernels",
    "get_backend",
    "chebyshev_t",
    "gegenbauer",
    "legendre",
    "zonal_polynomial",
    "zonal_polynomials",
    "HarmonicBasis",
    "HarmonicExpansion",
    "harmonic_basis",
    "harmonic_dimension",
    "harmonic_labels",
    "sphere_symbols",
    "zonal_kernel",
    "product_rule",
    "quadrature_rule",
    "rule_size",
    "cap_area",
    "covering_radius",
    "delta_net",
    "from_hyperspherical",
    "geodesic_distance",
    "monomial_integral",
    "sample_uniform",
    "sphere_area",
    "to_hyperspherical",
]
